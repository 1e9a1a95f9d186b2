//! What is done to a conversation: replies, notes, closing, rating,
//! assignment, escalation, the draft screen.

use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BodyRequest {
    pub body: String,
}

/// A message: words, files, or both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRequest {
    /// May be empty when `attachment_ids` names at least one file.
    pub body: String,
    /// Files uploaded to this conversation by the sender and not yet sent.
    #[serde(default)]
    #[schema(format = "uuid", max_items = 20)]
    pub attachment_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SentMessageDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub conversation_id: String,
    #[schema(format = DateTime)]
    pub sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadResultDto {
    /// Messages newly marked as read.
    pub marked: i64,
}

/// Closing: staff closing an urgent conversation no staff member has
/// answered must give a reason (kept, encrypted, in its history).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StatusResultDto {
    pub status: StatusDto,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateRequest {
    /// 1 (poor) to 5 (excellent).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ScreenResultDto {
    /// The words may describe an emergency: show the 911/988 guidance.
    pub possible_emergency: bool,
}

/// Give the conversation to one person, one pool or one department, or
/// (`assignee_id` null and nothing else) to nobody in particular.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignRequest {
    #[serde(default)]
    #[schema(format = "uuid")]
    pub assignee_id: Option<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub pool_id: Option<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    /// Why: kept, encrypted, in the conversation's history.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssignResultDto {
    pub assignee: Option<PersonDto>,
    /// When the person chosen is away: the colleague covering for them got it.
    pub covering_for: Option<String>,
    pub owner: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EscalateRequest {
    #[schema(format = "uuid")]
    pub provider_id: String,
    /// Context for the provider; kept as an internal note.
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EscalateResultDto {
    pub escalated_to: PersonDto,
}
