//! The staff inbox's counts, the staff list and the practice.

use super::*;
use serde::Serialize;
use switchboard_domain::inbox::InboxCounts;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct InboxCountsDto {
    /// Conversations waiting on an answer from staff.
    pub needs_response: u32,
    /// Conversations waiting on the patient.
    pub awaiting_patient: u32,
    /// Open conversations with a patient message nobody on staff has read.
    pub unread: u32,
    /// Open conversations assigned to this staff member.
    pub assigned_to_me: u32,
    /// Open conversations of patients on this staff member's care teams.
    pub my_team: u32,
    /// Open conversations triaged urgent.
    pub urgent: u32,
    /// Closed conversations this staff member may see.
    pub closed: u32,
    /// Open conversations escalated to this staff member.
    pub escalated_to_me: u32,
    /// Every conversation this staff member may see, closed ones included.
    pub all: u32,
    /// Documents patients sent that are still to file, among the
    /// conversations this staff member may see: for the members of the
    /// practice's documents pool and administrators; `null` for everyone
    /// else.
    pub to_file: Option<u32>,
}

// The domain's `InboxCounts` cannot be serialised itself (only the web
// crate knows serde), and two of its names differ on the wire
// (`escalated_to_me`, `all`), so the fields are listed twice: here and in
// the domain. This conversion is the one place that pairs them. Counts go
// out as u32: never negative, and exact as a JavaScript number.
impl From<InboxCounts> for InboxCountsDto {
    fn from(c: InboxCounts) -> Self {
        InboxCountsDto {
            needs_response: wire_count(c.needs_response),
            awaiting_patient: wire_count(c.awaiting_patient),
            unread: wire_count(c.unread),
            assigned_to_me: wire_count(c.assigned_to_me),
            my_team: wire_count(c.my_team),
            urgent: wire_count(c.urgent),
            closed: wire_count(c.closed),
            escalated_to_me: wire_count(c.escalated),
            all: wire_count(c.total),
            to_file: None,
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
    /// The largest file one may attach, in bytes (the page refuses a larger
    /// one before uploading it).
    pub attachment_max_bytes: u64,
    /// The most one message's files may come to together, in bytes.
    pub message_attachments_max_bytes: u64,
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
