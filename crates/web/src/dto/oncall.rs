//! The on-call schedule, paging settings, and the pages about an urgent
//! conversation.

use super::{Code, DeliveryStateDto, MediumDto};
use serde::{Deserialize, Serialize};
use switchboard_domain::oncall::Shift;
use switchboard_service::oncall::{PageChannel, PageView};
use utoipa::{IntoParams, ToSchema};

/// One stretch of someone being on call, for the practice or one
/// department; position 0 is paged first.
#[derive(Serialize, ToSchema)]
pub(crate) struct ShiftDto {
    /// The shift's id, for removing it.
    #[schema(format = "uuid")]
    pub id: String,
    /// The staff member on call.
    #[schema(format = "uuid")]
    pub user_id: String,
    /// Null: on call for the whole practice.
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    /// The order in which people on call together are paged, 0 first.
    pub position: u8,
    /// When the shift begins (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// When it ends; the end itself is outside the shift.
    #[schema(format = DateTime)]
    pub ends_at: String,
}

impl From<&Shift> for ShiftDto {
    fn from(s: &Shift) -> Self {
        ShiftDto {
            id: s.id.to_string(),
            user_id: s.user.to_string(),
            department_id: s.department.map(|d| d.to_string()),
            starts_at: s.starts_at.to_rfc3339(),
            ends_at: s.ends_at.to_rfc3339(),
            position: s.position,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShiftRequest {
    #[schema(format = "uuid")]
    pub user_id: String,
    /// Absent: for the whole practice.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub department_id: Option<String>,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    /// 0 (first, the default) to 9.
    #[serde(default)]
    #[schema(maximum = 9)]
    pub position: u8,
}

/// The stretch of the schedule to list (RFC 3339); by default the next
/// fortnight.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ShiftQuery {
    #[param(format = DateTime)]
    pub from: Option<String>,
    #[param(format = DateTime)]
    pub to: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagingSettingsDto {
    /// Minutes a page waits for an acknowledgement before the next person
    /// in the chain is paged (1 to 120).
    #[schema(minimum = 1, maximum = 120)]
    pub ack_minutes: i64,
    /// Texted when nobody in the chain acknowledges; null for none.
    #[serde(default)]
    pub fallback_phone: Option<String>,
}

/// Someone paged (null: the practice's fallback number).
#[derive(Serialize, ToSchema)]
pub(crate) struct PagedPersonDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PageDto {
    /// 0 for the first person paged.
    pub step: i64,
    pub paged: Option<PagedPersonDto>,
    #[schema(format = DateTime)]
    pub paged_at: String,
    #[schema(format = DateTime)]
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<PagedPersonDto>,
    /// How the page went out, one entry per medium (`push`, `sms`), each
    /// with how far it got; empty when there was no way to reach them.
    pub channels: Vec<PageChannelDto>,
}

/// One medium a page went by.
#[derive(Serialize, ToSchema)]
pub(crate) struct PageChannelDto {
    pub medium: MediumDto,
    pub state: DeliveryStateDto,
    /// Why it failed or waits (`no_channel`, `sms_opted_out`…).
    pub reason: Option<String>,
}

impl From<&PageChannel> for PageChannelDto {
    fn from(c: &PageChannel) -> Self {
        PageChannelDto { medium: Code(c.medium), state: Code(c.state), reason: c.reason.clone() }
    }
}

fn person(p: &Option<(switchboard_domain::ids::UserId, String)>) -> Option<PagedPersonDto> {
    p.as_ref().map(|(id, name)| PagedPersonDto { id: id.to_string(), display_name: name.clone() })
}

impl From<&PageView> for PageDto {
    fn from(p: &PageView) -> Self {
        PageDto {
            step: p.step,
            paged: person(&p.user),
            paged_at: p.paged_at.to_rfc3339(),
            acknowledged_at: p.acknowledged_at.map(|t| t.to_rfc3339()),
            acknowledged_by: person(&p.acknowledged_by),
            channels: p.channels.iter().map(PageChannelDto::from).collect(),
        }
    }
}

/// The token from a page's link (`/inbox#/ack/<token>`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcknowledgeRequest {
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AcknowledgedDto {
    /// The conversation to open.
    #[schema(format = "uuid")]
    pub conversation_id: String,
}
