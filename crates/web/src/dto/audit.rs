//! The audit log: search, entries, and whose trail to search.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::views;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQueryParams {
    /// Only events about this patient.
    #[param(format = "uuid")]
    pub patient_id: Option<String>,
    /// Only events by this user.
    #[param(format = "uuid")]
    pub actor_id: Option<String>,
    /// Only events of this action (`conversation_viewed`, `login_failed`, …).
    pub action: Option<String>,
    /// Only events with this outcome: `success`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// RFC 3339 date-time (or date), inclusive.
    pub from: Option<String>,
    /// RFC 3339 date-time (or date), exclusive.
    pub to: Option<String>,
    /// `next_before` from the previous page.
    pub before: Option<String>,
    /// Page size, 1–500 (default 100); for the CSV, 1–10,000 (default 10,000).
    pub limit: Option<String>,
}

/// Whose trail to search: part of a name. In the body, not the address,
/// because a patient's name is health information.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubjectSearch {
    /// At least 2 letters of a name.
    pub q: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEventDto {
    /// Position in the tamper-evident chain.
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(format = "uuid")]
    pub actor_id: Option<String>,
    /// `patient`, `staff`, `anonymous` or `system`.
    pub actor_kind: String,
    pub action: String,
    /// `success`, `denied` or `failed`.
    pub outcome: String,
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
    /// The actor's name (staff, or a patient acting for themselves).
    pub actor_name: Option<String>,
    /// A staff actor's role.
    pub actor_role: Option<RoleDto>,
    /// The patient the entry concerns, by name.
    pub patient_name: Option<String>,
}

impl AuditEventDto {
    pub(crate) fn new(e: &views::AuditEntryView) -> Self {
        let (seq, r) = (e.seq, &e.record);
        AuditEventDto {
            actor_name: e.actor_name.clone(),
            actor_role: e.actor_role.map(Into::into),
            patient_name: e.patient_name.clone(),
            seq,
            at: r.at.to_rfc3339(),
            actor_id: r.actor.id_bytes().map(|id| switchboard_domain::ids::uuid_text(&id)),
            actor_kind: r.actor.kind_str().to_owned(),
            action: r.action.as_str().to_owned(),
            outcome: r.outcome.as_str().to_owned(),
            patient_id: r.patient.map(|p| p.to_string()),
            resource_type: r.resource.map(|(k, _)| k.as_str().to_owned()),
            resource_id: r.resource.map(|(_, id)| switchboard_domain::ids::uuid_text(&id)),
            client_addr: r.client_addr.clone(),
            detail: r.detail.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditListDto {
    pub events: Vec<AuditEventDto>,
    /// Pass as `before` to get older events; absent on the last page.
    pub next_before: Option<i64>,
}

/// People whose audit trail may be searched, matching a name.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditSubjectsDto {
    pub staff: Vec<PersonDto>,
    pub patients: Vec<AuditPatientDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditPatientDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
    /// To tell two patients of the same name apart.
    #[schema(format = Date)]
    pub birth_date: String,
}

/// Which findings of unusual access to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AccessReviewQuery {
    /// `open` (the default): not yet reviewed; `all`: reviewed ones too.
    pub state: Option<String>,
}

/// A finding of unusual access, for the compliance officer to review.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccessReviewDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// `many_patients` (far more distinct patients in a day than the
    /// person's own norm), `outside_teams` (a patient of none of their
    /// departments and care teams), `shared_family_name`,
    /// `emergency_access` (every use of emergency access, with `emergency`).
    pub reason: String,
    #[schema(format = "uuid")]
    pub user_id: String,
    pub user_name: String,
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    /// With `many_patients`: distinct patients opened that day.
    pub patients_opened: i64,
    #[schema(format = "date-time")]
    pub raised_at: String,
    #[schema(format = "date-time")]
    pub reviewed_at: Option<String>,
    /// With `emergency_access`: the reason given and the grant's times.
    pub emergency: Option<EmergencyUseDto>,
}

impl From<switchboard_service::access_reviews::AccessReview> for AccessReviewDto {
    fn from(r: switchboard_service::access_reviews::AccessReview) -> Self {
        AccessReviewDto {
            id: r.id.to_string(),
            reason: r.reason.as_str().to_owned(),
            user_id: r.user.to_string(),
            user_name: r.user_name,
            patient_id: r.patient.map(|p| p.to_string()),
            patient_name: r.patient_name,
            patients_opened: r.patients_opened,
            raised_at: r.raised_at.to_rfc3339(),
            reviewed_at: r.reviewed_at.map(|t| t.to_rfc3339()),
            emergency: r.emergency.map(Into::into),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AccessReviewListDto {
    pub reviews: Vec<AccessReviewDto>,
}
