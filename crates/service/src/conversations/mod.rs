//! Conversations: listing, starting, reading, replying, notes, read
//! receipts, closing and amendments. Each area has its own file; what all
//! of them share is in `access.rs` and `commit.rs`.

mod create;
mod list;
mod messages;
mod status;
mod view;

use crate::Switchboard;
use switchboard_domain::conversation::ConversationStatus;
use switchboard_domain::ids::*;
use switchboard_domain::inbox::{InboxView, Sort};
use switchboard_domain::role::UserKind;

/// Assignee filter for staff listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffFilterAssignee {
    User(UserId),
    Unassigned,
}

/// Filters and paging for [`Switchboard::list_conversations`].
#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    /// A named slice (staff inbox views; patients may use the
    /// status-based ones).
    pub view: Option<InboxView>,
    pub status: Option<ConversationStatus>,
    pub assignee: Option<StaffFilterAssignee>,
    pub patient: Option<PatientId>,
    /// Most recent first unless asked otherwise.
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Input to start a conversation, as received (validated here).
#[derive(Clone, Debug)]
pub struct NewConversationInput {
    /// Required for staff; a patient may omit it or give their own.
    pub patient_id: Option<PatientId>,
    pub subject: String,
    pub topic: String,
    pub body: String,
    /// Staff only; patients' conversations start routine.
    pub priority: Option<String>,
    /// Patients only: a provider of their care team to write to directly.
    pub to_provider: Option<UserId>,
    /// Staff only: keep it with the caller ("replies come straight to me")
    /// instead of routing it.
    pub keep_with_me: bool,
    /// A patient writing for themselves: whether to share the new
    /// conversation with their caregivers. It matters while they are a
    /// confidential minor, who writes confidentially unless they say so.
    pub share_with_caregivers: Option<bool>,
}

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

impl Switchboard {
    fn body_limit(&self, kind: UserKind) -> usize {
        match kind {
            UserKind::Patient => self.config().patient_message_max_chars,
            UserKind::Staff => self.config().staff_message_max_chars,
        }
    }
}
