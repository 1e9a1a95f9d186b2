//! The messaging terms, a patient's acceptance of them, the soft launch and
//! the enrollment summary.

use super::wire_count;
use serde::{Deserialize, Serialize};
use switchboard_domain::enrollment::Acceptance;
use switchboard_service::enrollment::{EnrollmentSummary, MyEnrollment, TermsView};
use utoipa::ToSchema;

/// One version of a practice's messaging terms.
#[derive(Serialize, ToSchema)]
pub(crate) struct TermsDto {
    pub version: u32,
    pub text: String,
    #[schema(format = DateTime)]
    pub published_at: String,
    /// Who published it; null for the standard terms every practice
    /// starts with.
    pub published_by: Option<String>,
}

impl From<TermsView> for TermsDto {
    fn from(t: TermsView) -> Self {
        TermsDto {
            version: t.version.get(),
            text: t.text,
            published_at: t.published_at.to_rfc3339(),
            published_by: t.published_by,
        }
    }
}

/// A patient's acceptance of a version of the terms: when and how
/// (`invitation`: as they enrolled; `app`: in the app afterwards).
#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptanceDto {
    pub version: u32,
    #[schema(format = DateTime)]
    pub accepted_at: String,
    #[schema(pattern = "^(invitation|app)$")]
    pub method: &'static str,
}

impl From<Acceptance> for AcceptanceDto {
    fn from(a: Acceptance) -> Self {
        AcceptanceDto { version: a.version.get(), accepted_at: a.at.to_rfc3339(), method: a.through.as_str() }
    }
}

/// Where the signed-in patient stands.
#[derive(Serialize, ToSchema)]
pub(crate) struct MyEnrollmentDto {
    /// The terms in force.
    pub terms: TermsDto,
    /// Their latest acceptance; null if they never accepted any.
    pub accepted: Option<AcceptanceDto>,
    /// `current`, `outdated` (the terms changed since) or `never`: unless
    /// `current`, the app shows the terms, and writing is refused with
    /// `terms_not_accepted` until they accept.
    #[schema(pattern = "^(current|outdated|never)$")]
    pub standing: &'static str,
    /// Whether the practice has turned messaging on for them (its soft
    /// launch); they can always answer what the care team sends.
    pub may_start_conversations: bool,
}

impl From<MyEnrollment> for MyEnrollmentDto {
    fn from(m: MyEnrollment) -> Self {
        MyEnrollmentDto {
            terms: m.terms.into(),
            accepted: m.accepted.map(AcceptanceDto::from),
            standing: m.standing.as_str(),
            may_start_conversations: m.may_start_conversations,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptTermsRequest {
    /// The version read: it must be the one in force.
    #[schema(minimum = 1)]
    pub version: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishTermsRequest {
    /// 40 to 5,000 characters.
    #[schema(min_length = 40, max_length = 5000)]
    pub text: String,
}

/// Who patient messaging is on for: `everyone`, or only the patients in
/// the listed departments, on the listed providers' panels (patients whose
/// care team the provider leads), or listed by id.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutDto {
    #[schema(pattern = "^(everyone|cohorts)$")]
    pub mode: String,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_ids: Vec<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub provider_ids: Vec<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub patient_ids: Vec<String>,
}

/// How far enrollment has come: counts only.
#[derive(Serialize, ToSchema)]
pub(crate) struct EnrollmentSummaryDto {
    /// Patients on the practice's list.
    pub patients: u32,
    /// Of those, the patients the soft launch includes.
    pub open_to: u32,
    /// Patients with an app account.
    pub enrolled: u32,
    /// Enrolled patients who accepted the terms in force.
    pub on_current_terms: u32,
    /// Enrolled patients whose last acceptance is of an earlier version.
    pub on_earlier_terms: u32,
    /// Enrolled patients with no acceptance on record.
    pub never_accepted: u32,
    /// The version of the terms in force, counted from 1.
    pub current_version: u32,
}

impl From<EnrollmentSummary> for EnrollmentSummaryDto {
    fn from(s: EnrollmentSummary) -> Self {
        EnrollmentSummaryDto {
            patients: wire_count(s.patients),
            open_to: wire_count(s.open_to),
            enrolled: wire_count(s.enrolled),
            on_current_terms: wire_count(s.on_current_terms),
            on_earlier_terms: wire_count(s.on_earlier_terms),
            never_accepted: wire_count(s.never_accepted),
            current_version: s.current_version,
        }
    }
}
