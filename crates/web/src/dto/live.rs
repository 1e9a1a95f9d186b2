//! Live events (server-sent events).

use super::*;
use serde::Serialize;
use utoipa::ToSchema;

/// One live event: what happened to which conversation. Ids and codes
/// only; fetch the conversation for its content.
#[derive(Serialize, ToSchema)]
pub(crate) struct LiveEventDto {
    /// The event's type; also the SSE event name.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(format = "uuid")]
    pub conversation_id: String,
    #[schema(format = "uuid")]
    pub patient_id: String,
    #[schema(format = DateTime)]
    pub at: String,
    /// Who did it; absent when the system did.
    #[schema(format = "uuid")]
    pub actor_id: Option<String>,
    /// `message_sent`, `message_amended`: the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uuid")]
    pub message_id: Option<String>,
    /// `message_sent`, `messages_read`, `typing`: the side that acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_kind: Option<KindDto>,
    /// `status_changed`: the new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusDto>,
    /// `priority_changed`: the new priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<PriorityDto>,
    /// `assigned`: the new assignee (absent when unassigned).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uuid")]
    pub assignee_id: Option<String>,
}

impl LiveEventDto {
    pub(crate) fn new(e: &switchboard_domain::event::DomainEvent) -> Self {
        use switchboard_domain::event::EventKind as K;
        let mut dto = LiveEventDto {
            kind: e.kind.code(),
            conversation_id: e.conversation.to_string(),
            patient_id: e.patient.to_string(),
            at: e.at.to_rfc3339(),
            actor_id: e.actor.map(|a| a.to_string()),
            message_id: None,
            actor_kind: None,
            status: None,
            priority: None,
            assignee_id: None,
        };
        match &e.kind {
            K::ConversationCreated | K::NoteAdded { .. } => {}
            K::MessageSent { message, sender_kind, .. } => {
                dto.message_id = Some(message.to_string());
                dto.actor_kind = Some((*sender_kind).into());
            }
            K::MessageAmended { message } => dto.message_id = Some(message.to_string()),
            K::MessagesRead { reader_kind, .. } => dto.actor_kind = Some((*reader_kind).into()),
            K::StatusChanged { status } => dto.status = Some((*status).into()),
            K::PriorityChanged { priority } => dto.priority = Some((*priority).into()),
            K::Assigned { assignee, .. } => dto.assignee_id = assignee.map(|a| a.to_string()),
            K::Typing { user_kind, .. } => dto.actor_kind = Some((*user_kind).into()),
            K::Alert { .. } | K::Escalated { .. } | K::SensitivityChanged => {}
        }
        dto
    }
}
