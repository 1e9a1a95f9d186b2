//! Office hours, closures, response-time targets and automatic replies.

use super::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectationQuery {
    /// The topic the patient picked; a care question if left out.
    pub topic: Option<String>,
}

/// What a patient is told before sending.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExpectationDto {
    pub open_now: bool,
    /// RFC 3339: the next opening (now, if open).
    #[schema(format = DateTime)]
    pub opens_at: Option<String>,
    /// RFC 3339: when a new message would be answered by.
    #[schema(format = DateTime)]
    pub reply_by: String,
    /// "Monday at 12:00 PM", in the practice's time zone.
    pub reply_by_text: String,
    /// The automatic reply the message would get, in full.
    pub message: String,
}

/// A response-time target. `priority` and `topic` left out match any.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetDto {
    #[serde(default)]
    #[schema(value_type = Option<PriorityDto>)]
    pub priority: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<TopicDto>)]
    pub topic: Option<String>,
    pub first_response_minutes: i64,
    pub next_response_minutes: i64,
    /// `business` (only while open) or `wall` (around the clock).
    pub clock: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseSettingsInputDto {
    pub targets: Vec<TargetDto>,
    /// Due soon at this share of the target, in percent (1–99).
    pub due_soon_percent: u8,
    /// `null` for the built-in wording. Placeholders: {reply_by}, {opens},
    /// {practice_name}, {practice_phone}. Must tell patients to call 911.
    #[serde(default)]
    pub auto_reply_open: Option<String>,
    #[serde(default)]
    pub auto_reply_closed: Option<String>,
    /// Remind the patient of a staff reply unread this long (default a day).
    #[serde(default = "default_unread_minutes")]
    pub unread_reminder_minutes: i64,
    /// Then flag it for staff follow-up after this much longer.
    #[serde(default = "default_unread_minutes")]
    pub unread_flag_minutes: i64,
}

fn default_unread_minutes() -> i64 {
    24 * 60
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResponseSettingsDto {
    pub time_zone: String,
    pub targets: Vec<TargetDto>,
    pub due_soon_percent: u8,
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub default_auto_reply_open: &'static str,
    pub default_auto_reply_closed: &'static str,
    pub closures: Vec<ClosureDto>,
    pub department_hours: Vec<DepartmentHoursDto>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClosureDto {
    #[serde(default)]
    pub id: String,
    /// Left out: the whole practice.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    /// `YYYY-MM-DD`, first and last closed day.
    #[schema(format = Date)]
    pub first_day: String,
    #[schema(format = Date)]
    pub last_day: String,
    /// "Thanksgiving".
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoursInputDto {
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    pub weekday: u8,
    /// `HH:MM`; `closes` may be `24:00`.
    pub opens: String,
    pub closes: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepartmentHoursDto {
    #[serde(default)]
    pub department_id: String,
    /// Empty: the practice's hours apply.
    pub office_hours: Vec<HoursInputDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeHoursDto {
    /// An IANA time zone, such as `America/New_York`.
    pub time_zone: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The line patients are told to call when the office is closed and
    /// something cannot wait (an answering service, an on-call line).
    #[serde(default)]
    pub after_hours_phone: Option<String>,
    pub office_hours: Vec<HoursInputDto>,
}
