//! Patient records as administrators manage them, and the CSV import.

use serde::{Deserialize, Serialize};
use switchboard_service::patient_admin::{PatientAccountView, PatientRecord};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientRecordDto {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub birth_date: String,
    #[serde(default)]
    pub mrn: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub care_team_id: Option<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// How many to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// How many to return (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientAccountDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    #[schema(format = Date)]
    pub birth_date: String,
    pub mrn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The care team's and department's names, and their ids (for `PUT`).
    pub care_team: Option<String>,
    pub department: Option<String>,
    #[schema(format = "uuid")]
    pub care_team_id: Option<String>,
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    /// The patient's account, once enrolled.
    #[schema(format = "uuid")]
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub active: Option<bool>,
    #[schema(format = DateTime)]
    pub last_sign_in_at: Option<String>,
    /// They asked for a password reset on the sign-in page (within the last
    /// week) and nobody has issued them a reset link since.
    #[schema(format = DateTime)]
    pub reset_requested_at: Option<String>,
    /// `enrolled`, `not_invited`, or the latest invitation's state.
    pub enrollment: &'static str,
    pub invitation: Option<InvitationDto>,
    /// Whether the practice's soft launch includes them (they can be
    /// invited and start conversations).
    pub messaging_open: bool,
    /// Their latest acceptance of the messaging terms; null if none.
    pub terms_accepted: Option<super::AcceptanceDto>,
    /// Whether that acceptance is of the version in force.
    pub terms_current: bool,
}

// The service's view carries typed ids and times and knows nothing of
// serde; the wire flattens its record and spells ids and times as strings.
// So the fields are listed here and in the service, and this conversion is
// the one place that pairs them.
impl From<PatientAccountView> for PatientAccountDto {
    fn from(v: PatientAccountView) -> Self {
        // Destructured whole, so that a field added to the record cannot
        // be left off the wire unnoticed.
        let PatientRecord { given_name, family_name, birth_date, mrn, email, phone } = v.record;
        PatientAccountDto {
            id: v.id.to_string(),
            given_name,
            family_name,
            birth_date,
            mrn,
            email,
            phone,
            care_team: v.care_team,
            department: v.department,
            care_team_id: v.care_team_id.map(|t| t.to_string()),
            department_id: v.department_id.map(|d| d.to_string()),
            user_id: v.user.map(|u| u.to_string()),
            username: v.username,
            active: v.active,
            last_sign_in_at: v.last_sign_in_at.map(|t| t.to_rfc3339()),
            reset_requested_at: v.reset_requested_at.map(|t| t.to_rfc3339()),
            enrollment: v.enrollment,
            invitation: v.invitation.map(|i| InvitationDto {
                channel: i.channel,
                state: i.state,
                sent_at: i.sent_at.to_rfc3339(),
                expires_at: i.expires_at.to_rfc3339(),
            }),
            messaging_open: v.messaging_open,
            terms_accepted: v.terms.map(super::AcceptanceDto::from),
            terms_current: v.terms_current,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationDto {
    pub channel: &'static str,
    /// `sent`, `opened`, `enrolled`, `expired` or `revoked`.
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub sent_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientPageDto {
    #[serde(flatten)]
    pub account: PatientAccountDto,
    /// How many of their conversations are open and closed. Those who work
    /// the patient's conversations list them with
    /// `GET /api/v1/conversations?patient_id=`.
    pub open_conversations: i64,
    pub closed_conversations: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedDto {
    #[schema(format = "uuid")]
    pub id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteDto {
    /// `email`, `sms` or `desk`. Until email and SMS delivery exist, the
    /// link is returned once, to hand over.
    pub channel: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// `true`: check and count, write nothing.
    pub dry_run: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ImportReportDto {
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Every problem, by line. Any problem and nothing is imported.
    pub errors: Vec<LineErrorDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LineErrorDto {
    pub line: usize,
    pub field: String,
    pub problem: String,
}
