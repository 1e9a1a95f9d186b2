use serde::{Deserialize, Serialize};
use switchboard_service::export::ExportView;
use utoipa::ToSchema;

/// Ask for a legal export of a patient's record or of one conversation:
/// give exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportRequest {
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    #[schema(format = "uuid")]
    pub conversation_id: Option<String>,
    /// Staff's internal notes too.
    #[serde(default)]
    pub include_notes: bool,
}

/// A legal export and how far it has come.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExportDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub patient_name: String,
    #[schema(format = "uuid")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    pub include_notes: bool,
    /// `queued`, `running`, `ready` (download it once), `downloaded`,
    /// `expired` (not downloaded in time), `failed`.
    pub state: &'static str,
    /// Conversations read so far, of `total`.
    pub done: i64,
    pub total: i64,
    /// The archive's size and SHA-256 (hex), once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[schema(format = "date-time")]
    pub requested_at: String,
    /// A ready export not downloaded by then is removed.
    #[schema(format = "date-time")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl From<&ExportView> for ExportDto {
    fn from(e: &ExportView) -> Self {
        ExportDto {
            id: e.id.to_string(),
            patient_id: e.patient.to_string(),
            patient_name: e.patient_name.clone(),
            conversation_id: e.conversation.map(|c| c.to_string()),
            include_notes: e.include_notes,
            state: e.state.as_str(),
            done: e.done,
            total: e.total,
            size: e.size,
            sha256: e.sha256.clone(),
            requested_at: e.requested_at.to_rfc3339(),
            expires_at: e.expires_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ExportListDto {
    pub exports: Vec<ExportDto>,
}
