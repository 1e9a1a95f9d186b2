use serde::{Deserialize, Serialize};
use switchboard_domain::retention::HoldTarget;
use switchboard_service::retention::{LegalHoldView, RemovalView, RetentionInput, RetentionSettingsView};
use utoipa::ToSchema;

/// One category whose retention period differs from the default.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionOverrideDto {
    /// `topic:<topic>` (such as `topic:billing`) or `sensitive:<category>`
    /// (such as `sensitive:behavioural_health`).
    pub category: String,
    /// 1 to 100.
    pub years: i64,
}

/// How long conversations are kept after their last activity.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionSettingsDto {
    pub default_years: u16,
    pub overrides: Vec<RetentionOverrideDto>,
    /// False while the defaults apply (ten years, no overrides).
    pub chosen: bool,
}

impl From<RetentionSettingsView> for RetentionSettingsDto {
    fn from(v: RetentionSettingsView) -> Self {
        RetentionSettingsDto {
            default_years: v.policy.default_years().get(),
            overrides: v
                .policy
                .overrides()
                .iter()
                .map(|(c, y)| RetentionOverrideDto { category: c.code(), years: i64::from(y.get()) })
                .collect(),
            chosen: v.chosen,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionSettingsRequest {
    /// 1 to 100.
    pub default_years: i64,
    #[serde(default)]
    pub overrides: Vec<RetentionOverrideDto>,
}

impl From<RetentionSettingsRequest> for RetentionInput {
    fn from(r: RetentionSettingsRequest) -> Self {
        RetentionInput {
            default_years: r.default_years,
            overrides: r.overrides.into_iter().map(|o| (o.category, o.years)).collect(),
        }
    }
}

/// A legal hold: nothing it covers is removed until it is released.
#[derive(Serialize, ToSchema)]
pub(crate) struct LegalHoldDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// `patient` (everything of the patient's) or `conversation`.
    pub on: &'static str,
    #[schema(format = "uuid")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    #[schema(format = "uuid")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
    pub reason: String,
    pub placed_by: String,
    #[schema(format = "date-time")]
    pub placed_at: String,
    #[schema(format = "date-time")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at: Option<String>,
}

impl From<&LegalHoldView> for LegalHoldDto {
    fn from(h: &LegalHoldView) -> Self {
        let (on, conversation_id) = match h.target {
            HoldTarget::Patient(_) => ("patient", None),
            HoldTarget::Conversation(c) => ("conversation", Some(c.to_string())),
        };
        LegalHoldDto {
            id: h.id.to_string(),
            on,
            conversation_id,
            patient_id: h.patient.map(|p| p.to_string()),
            patient_name: h.patient_name.clone(),
            reason: h.reason.clone(),
            placed_by: h.placed_by.clone(),
            placed_at: h.placed_at.to_rfc3339(),
            released_at: h.released_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LegalHoldListDto {
    pub holds: Vec<LegalHoldDto>,
}

/// A hold on a patient or on one conversation: give exactly one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LegalHoldRequest {
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    #[schema(format = "uuid")]
    pub conversation_id: Option<String>,
    /// Why (a matter or request reference), one line, up to 500
    /// characters. Kept sealed.
    pub reason: String,
}

/// A conversation the retention job removed: ids, counts and times only.
#[derive(Serialize, ToSchema)]
pub(crate) struct RemovalDto {
    #[schema(format = "uuid")]
    pub conversation_id: String,
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub topic: &'static str,
    #[schema(format = "date-time")]
    pub last_activity_at: String,
    pub retention_years: i64,
    pub messages: i64,
    pub attachments: i64,
    #[schema(format = "date-time")]
    pub removed_at: String,
}

impl From<&RemovalView> for RemovalDto {
    fn from(r: &RemovalView) -> Self {
        RemovalDto {
            conversation_id: r.conversation.to_string(),
            patient_id: r.patient.to_string(),
            topic: r.topic.as_str(),
            last_activity_at: r.last_activity.to_rfc3339(),
            retention_years: r.years,
            messages: r.messages,
            attachments: r.attachments,
            removed_at: r.removed_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RemovalListDto {
    pub removals: Vec<RemovalDto>,
}
