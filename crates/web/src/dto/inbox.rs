//! The staff inbox's counts, the staff list and the practice.

use super::*;
use serde::Serialize;
use switchboard_domain::inbox::InboxCounts;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct InboxCountsDto {
    pub needs_response: i64,
    pub awaiting_patient: i64,
    pub unread: i64,
    pub assigned_to_me: i64,
    pub my_team: i64,
    pub urgent: i64,
    pub closed: i64,
    pub escalated_to_me: i64,
    pub all: i64,
}

// The domain's `InboxCounts` cannot be serialised itself (only the web
// crate knows serde), and two of its names differ on the wire
// (`escalated_to_me`, `all`), so the fields are listed twice: here and in
// the domain. This conversion is the one place that pairs them.
impl From<InboxCounts> for InboxCountsDto {
    fn from(c: InboxCounts) -> Self {
        InboxCountsDto {
            needs_response: c.needs_response,
            awaiting_patient: c.awaiting_patient,
            unread: c.unread,
            assigned_to_me: c.assigned_to_me,
            my_team: c.my_team,
            urgent: c.urgent,
            closed: c.closed,
            escalated_to_me: c.escalated,
            all: c.total,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StaffMemberDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
    pub role: RoleDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PracticeDto {
    pub name: String,
    /// IANA time zone of the office hours.
    pub time_zone: String,
    pub phone: Option<String>,
    /// The line to call when the office is closed and something cannot wait.
    pub after_hours_phone: Option<String>,
    pub office_hours: Vec<OfficeHoursDto>,
    /// The longest message the caller may send, in characters.
    pub message_max_chars: usize,
    /// The practice's departments (staff only; empty for patients).
    pub departments: Vec<DepartmentDto>,
    /// The practice's care teams (staff only; empty for patients).
    pub care_teams: Vec<CareTeamDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OfficeHoursDto {
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    pub weekday: u8,
    /// `HH:MM`, in the practice's time zone.
    pub opens: String,
    pub closes: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DepartmentDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CareTeamDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
}
