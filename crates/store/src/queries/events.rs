//! The durable event stream.

use crate::Step;
use switchboard_domain::event::{DomainEvent, EventKind};

pub fn insert(e: &DomainEvent) -> Step {
    let (ref_id, detail): (Option<Vec<u8>>, Option<String>) = match &e.kind {
        EventKind::ConversationCreated => (None, None),
        EventKind::MessageSent { message, sender_kind, .. } => {
            (Some(message.to_vec()), Some(sender_kind.as_str().to_owned()))
        }
        EventKind::MessageAmended { message } => (Some(message.to_vec()), None),
        EventKind::MessagesRead { reader_kind, .. } => (None, Some(reader_kind.as_str().to_owned())),
        EventKind::NoteAdded { note } => (Some(note.to_vec()), None),
        EventKind::StatusChanged { status } => (None, Some(status.as_str().to_owned())),
        EventKind::PriorityChanged { priority } => (None, Some(priority.as_str().to_owned())),
        EventKind::Assigned { assignee, .. } => (assignee.map(|a| a.to_vec()), None),
        // Never stored (see `EventKind::Typing`); kept total all the same.
        EventKind::Typing { user_kind, .. } => (None, Some(user_kind.as_str().to_owned())),
        EventKind::Alert { user } => (Some(user.to_vec()), None),
        EventKind::Escalated { to } => (Some(to.to_vec()), None),
        EventKind::SensitivityChanged => (None, None),
    };
    Step::new(
        "INSERT INTO events (at, practice_id, patient_id, conversation_id, actor_id, kind, ref_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            e.at.as_micros().into(),
            e.practice.to_vec().into(),
            e.patient.to_vec().into(),
            e.conversation.to_vec().into(),
            e.actor.map(|a| a.to_vec()).into(),
            e.kind.code().into(),
            ref_id.into(),
            detail.into(),
        ],
    )
}
