//! Emergency ("break-glass") access: finding a patient, starting and
//! ending a grant, the holder's active grants and the conversations one
//! opens.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::emergency::{EmergencyGrantView, EmergencyMatch, EmergencyUse};
use utoipa::ToSchema;

/// Either the whole family name and the date of birth, or the medical
/// record number: exact matches only. In the body, not the address,
/// because both are health information.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmergencySearchRequest {
    pub family_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub mrn: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyMatchDto {
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub display_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl From<EmergencyMatch> for EmergencyMatchDto {
    fn from(m: EmergencyMatch) -> Self {
        EmergencyMatchDto { patient_id: m.patient.to_string(), display_name: m.display_name, birth_date: m.birth_date }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyMatchListDto {
    /// At most 5.
    pub patients: Vec<EmergencyMatchDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartEmergencyRequest {
    #[schema(format = "uuid")]
    pub patient_id: String,
    /// Why, in a line (10–500 characters). Shown to the compliance officer.
    pub reason: String,
    /// `immediate_danger`, `covering`, `urgent_request` or `other`.
    pub category: Option<String>,
    /// 15–240; 60 when left out.
    pub minutes: Option<i64>,
}

/// A grant as its holder sees it.
#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyGrantDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub patient_name: String,
    pub category: Option<String>,
    pub minutes: i64,
    #[schema(format = "date-time")]
    pub started_at: String,
    #[schema(format = "date-time")]
    pub ends_at: String,
}

impl From<EmergencyGrantView> for EmergencyGrantDto {
    fn from(g: EmergencyGrantView) -> Self {
        EmergencyGrantDto {
            id: g.id.to_string(),
            patient_id: g.patient.to_string(),
            patient_name: g.patient_name,
            category: g.category.map(|c| c.as_str().to_owned()),
            minutes: g.minutes,
            started_at: g.started_at.to_rfc3339(),
            ends_at: g.ends_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyGrantListDto {
    pub grants: Vec<EmergencyGrantDto>,
}

/// A use of emergency access, on its finding.
#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyUseDto {
    #[schema(format = "uuid")]
    pub grant_id: String,
    pub reason: String,
    pub category: Option<String>,
    pub minutes: i64,
    #[schema(format = "date-time")]
    pub started_at: String,
    #[schema(format = "date-time")]
    pub ends_at: String,
    /// When it was ended before its time.
    #[schema(format = "date-time")]
    pub ended_at: Option<String>,
}

impl From<EmergencyUse> for EmergencyUseDto {
    fn from(u: EmergencyUse) -> Self {
        EmergencyUseDto {
            grant_id: u.grant.to_string(),
            reason: u.reason,
            category: u.category.map(|c| c.as_str().to_owned()),
            minutes: u.minutes,
            started_at: u.started_at.to_rfc3339(),
            ends_at: u.ends_at.to_rfc3339(),
            ended_at: u.ended_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyConversationsDto {
    pub conversations: Vec<ConversationSummaryDto>,
}
