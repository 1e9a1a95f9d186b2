//! Where you are signed in: your open sessions, as you are shown them.

use serde::Serialize;
use switchboard_service::sign_ins::SessionView;
use utoipa::ToSchema;

/// One of your open sessions. Its `id` is its public id (never its token),
/// which ends it.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// The device it was opened on, as its browser named itself: "Chrome
    /// on Android", "Safari on iPhone", "unknown device".
    #[schema(example = "Firefox on Windows")]
    pub device: String,
    /// Where, as far as its address tells (there is no location database):
    /// "this computer", "a local network", or the address itself.
    #[schema(example = "a local network")]
    pub place: String,
    #[schema(format = DateTime)]
    pub signed_in_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: String,
    /// The session this request came in on.
    pub current: bool,
}

impl From<SessionView> for SessionDto {
    fn from(s: SessionView) -> Self {
        SessionDto {
            id: s.id.to_string(),
            device: s.device,
            place: s.place,
            signed_in_at: s.signed_in_at.to_rfc3339(),
            last_used_at: s.last_used_at.to_rfc3339(),
            current: s.current,
        }
    }
}

/// Your open sessions: this one first, then the others, last used first.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionListDto {
    pub sessions: Vec<SessionDto>,
}

/// How many sessions were ended.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionsEndedDto {
    #[schema(minimum = 0)]
    pub ended: u64,
}
