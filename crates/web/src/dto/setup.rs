//! Routing rules, pools, personal settings, time away, providers, alerts
//! and notifications.

use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A routing rule. Conditions that are given must all hold; the first rule
/// that holds and can be resolved for the message decides.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleDto {
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Option<TopicDto>)]
    pub topic: Option<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    /// The patient wrote to a provider directly.
    #[serde(default)]
    pub provider_direct: bool,
    /// `person`, `pool`, `patient_care_team`, `program_staff` or `addressed_provider`.
    pub target: String,
    /// For `person` and `pool` targets.
    #[serde(default)]
    pub target_id: Option<String>,
    /// In responses: the condition in words, and the target's name.
    #[serde(default)]
    pub described: Option<String>,
    #[serde(default)]
    pub target_name: Option<String>,
    /// In responses: rules before this one take every message it could
    /// match, so it never decides one (allowed, but worth a look).
    #[serde(default)]
    pub never_used: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesDto {
    pub rules: Vec<RuleDto>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolDto {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub lead_id: Option<String>,
    /// Member user ids, in round-robin order.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub members: Vec<String>,
    /// Assign new work to the least-loaded available member; otherwise the
    /// lead hands it out.
    #[serde(default)]
    pub auto_assign: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffSettingsDto {
    /// The most open conversations you take from a pool.
    pub capacity: i64,
    /// Providers: whether patients may write to you directly.
    pub accepts_direct_messages: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AbsenceRequest {
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    /// The colleague who covers; none leaves work with its pool or team.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub cover_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AbsenceDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    #[schema(format = "uuid")]
    pub cover_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProviderDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
    /// If not, messages to them go to their team, marked for them.
    pub accepts_direct_messages: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AlertDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub conversation_id: String,
    /// `urgent_message`, `escalated`, `response_due_soon`, `response_overdue` or `reply_unread`.
    pub kind: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The patient and subject, when the caller may open the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<AlertPatientDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AlertPatientDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NotificationDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// `unread_reply_reminder`: a reply from the care team is waiting.
    pub kind: String,
    #[schema(format = "uuid")]
    pub conversation_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<switchboard_service::PoolView> for PoolDto {
    fn from(v: switchboard_service::PoolView) -> Self {
        PoolDto {
            id: v.id.to_string(),
            name: v.name,
            lead_id: v.lead.map(|l| l.to_string()),
            members: v.members.iter().map(ToString::to_string).collect(),
            auto_assign: v.auto_assign,
        }
    }
}
