//! Domain events: what happened, for whoever listens (the live web UI,
//! notifications, other server nodes). Events carry identifiers only; a
//! listener that needs content reads it through the access policy.

use crate::conversation::{ConversationStatus, Priority};
use crate::ids::{ConversationId, MessageId, NoteId, PatientId, PracticeId, UserId};
use crate::role::UserKind;
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    ConversationCreated,
    MessageSent { message: MessageId, sender: UserId, sender_kind: UserKind },
    MessageAmended { message: MessageId },
    MessagesRead { reader: UserId, reader_kind: UserKind },
    NoteAdded { note: NoteId },
    StatusChanged { status: ConversationStatus },
    PriorityChanged { priority: Priority },
    Assigned { assignee: Option<UserId> },
}

impl EventKind {
    pub const fn code(&self) -> &'static str {
        match self {
            EventKind::ConversationCreated => "conversation_created",
            EventKind::MessageSent { .. } => "message_sent",
            EventKind::MessageAmended { .. } => "message_amended",
            EventKind::MessagesRead { .. } => "messages_read",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::PriorityChanged { .. } => "priority_changed",
            EventKind::Assigned { .. } => "assigned",
        }
    }

    /// Whether a patient may be told of this event. Internal notes and
    /// assignments are staff business.
    pub const fn visible_to_patient(&self) -> bool {
        !matches!(self, EventKind::NoteAdded { .. } | EventKind::Assigned { .. } | EventKind::PriorityChanged { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainEvent {
    pub at: Timestamp,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub conversation: ConversationId,
    pub actor: UserId,
    pub kind: EventKind,
}
