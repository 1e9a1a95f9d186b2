//! The staff inbox's views, and how each one filters.

use crate::conversation::{ConversationStatus, Priority};

/// A named slice of the conversations a staff member may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InboxView {
    /// The care team owes an answer.
    NeedsResponse,
    AwaitingPatient,
    /// Open, with a patient message nobody on staff has read.
    Unread,
    /// Open and assigned to the viewer.
    AssignedToMe,
    /// Open, and the patient is on one of the viewer's care teams.
    MyTeam,
    /// Open and urgent.
    Urgent,
    /// Open and escalated to the viewer for clinical judgement.
    Escalated,
    Closed,
    /// Everything the viewer may see.
    All,
}

impl InboxView {
    pub const ALL: [InboxView; 9] = [
        InboxView::NeedsResponse,
        InboxView::AwaitingPatient,
        InboxView::Unread,
        InboxView::AssignedToMe,
        InboxView::MyTeam,
        InboxView::Urgent,
        InboxView::Escalated,
        InboxView::Closed,
        InboxView::All,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            InboxView::NeedsResponse => "needs_response",
            InboxView::AwaitingPatient => "awaiting_patient",
            InboxView::Unread => "unread",
            InboxView::AssignedToMe => "assigned_to_me",
            InboxView::MyTeam => "my_team",
            InboxView::Urgent => "urgent",
            InboxView::Escalated => "escalated_to_me",
            InboxView::Closed => "closed",
            InboxView::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Views that only make sense for staff.
    pub const fn staff_only(self) -> bool {
        matches!(self, InboxView::AssignedToMe | InboxView::MyTeam | InboxView::Urgent | InboxView::Escalated)
    }

    /// The filter this view applies.
    pub const fn filter(self) -> ViewFilter {
        let open = ViewFilter {
            status: None,
            open_only: true,
            unread_only: false,
            assigned_to_me: false,
            my_team: false,
            priority: None,
            escalated_to_me: false,
        };
        match self {
            InboxView::NeedsResponse => {
                ViewFilter { status: Some(ConversationStatus::NeedsStaffResponse), open_only: false, ..open }
            }
            InboxView::AwaitingPatient => {
                ViewFilter { status: Some(ConversationStatus::AwaitingPatient), open_only: false, ..open }
            }
            InboxView::Unread => ViewFilter { unread_only: true, ..open },
            InboxView::AssignedToMe => ViewFilter { assigned_to_me: true, ..open },
            InboxView::MyTeam => ViewFilter { my_team: true, ..open },
            InboxView::Urgent => ViewFilter { priority: Some(Priority::Urgent), ..open },
            InboxView::Escalated => ViewFilter { escalated_to_me: true, ..open },
            InboxView::Closed => ViewFilter { status: Some(ConversationStatus::Closed), open_only: false, ..open },
            InboxView::All => ViewFilter { open_only: false, ..open },
        }
    }
}

/// The conditions behind a view, all of which must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewFilter {
    pub status: Option<ConversationStatus>,
    /// Not closed.
    pub open_only: bool,
    /// With a message from the other side that nobody on the viewer's side
    /// has read.
    pub unread_only: bool,
    pub assigned_to_me: bool,
    /// The patient is on one of the viewer's care teams.
    pub my_team: bool,
    pub priority: Option<Priority>,
    pub escalated_to_me: bool,
}

/// What a row needs for [`ViewFilter::matches`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowFacts {
    pub status: ConversationStatus,
    pub priority: Priority,
    pub unread: bool,
    pub assigned_to_me: bool,
    pub on_my_team: bool,
    pub escalated_to_me: bool,
}

impl ViewFilter {
    /// The reference the SQL filters must agree with.
    pub fn matches(&self, row: RowFacts) -> bool {
        self.status.is_none_or(|s| s == row.status)
            && (!self.open_only || row.status != ConversationStatus::Closed)
            && (!self.unread_only || row.unread)
            && (!self.assigned_to_me || row.assigned_to_me)
            && (!self.my_team || row.on_my_team)
            && self.priority.is_none_or(|p| p == row.priority)
            && (!self.escalated_to_me || row.escalated_to_me)
    }
}

/// How many conversations each view holds for one staff member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboxCounts {
    pub needs_response: i64,
    pub awaiting_patient: i64,
    pub unread: i64,
    pub assigned_to_me: i64,
    pub my_team: i64,
    pub urgent: i64,
    pub closed: i64,
    pub escalated: i64,
    pub total: i64,
}

impl InboxCounts {
    /// The count of one view (`All` is the total).
    pub fn of(&self, view: InboxView) -> i64 {
        match view {
            InboxView::NeedsResponse => self.needs_response,
            InboxView::AwaitingPatient => self.awaiting_patient,
            InboxView::Unread => self.unread,
            InboxView::AssignedToMe => self.assigned_to_me,
            InboxView::MyTeam => self.my_team,
            InboxView::Urgent => self.urgent,
            InboxView::Escalated => self.escalated,
            InboxView::Closed => self.closed,
            InboxView::All => self.total,
        }
    }
}

/// How a listing is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Most recent activity first.
    Recent,
    /// What needs attention first: urgent, then waiting on staff, then the
    /// longest waiting.
    Attention,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "recent" => Some(Sort::Recent),
            "attention" => Some(Sort::Attention),
            _ => None,
        }
    }
}

/// The attention order as a comparable key: smaller comes first.
pub fn attention_key(status: ConversationStatus, priority: Priority, last_activity_micros: i64) -> (u8, u8, i64) {
    (
        u8::from(priority != Priority::Urgent),
        u8::from(status != ConversationStatus::NeedsStaffResponse),
        last_activity_micros,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row() -> impl Strategy<Value = RowFacts> {
        (
            proptest::sample::select(ConversationStatus::ALL.to_vec()),
            proptest::bool::ANY,
            proptest::bool::ANY,
            proptest::bool::ANY,
            proptest::bool::ANY,
            proptest::bool::ANY,
        )
            .prop_map(|(status, urgent, unread, assigned_to_me, on_my_team, escalated_to_me)| RowFacts {
                status,
                priority: if urgent { Priority::Urgent } else { Priority::Routine },
                unread,
                assigned_to_me,
                on_my_team,
                escalated_to_me,
            })
    }

    proptest! {
        #[test]
        fn views_mean_what_their_names_say(r in row()) {
            let open = r.status != ConversationStatus::Closed;
            prop_assert_eq!(InboxView::NeedsResponse.filter().matches(r), r.status == ConversationStatus::NeedsStaffResponse);
            prop_assert_eq!(InboxView::AwaitingPatient.filter().matches(r), r.status == ConversationStatus::AwaitingPatient);
            prop_assert_eq!(InboxView::Unread.filter().matches(r), open && r.unread);
            prop_assert_eq!(InboxView::AssignedToMe.filter().matches(r), open && r.assigned_to_me);
            prop_assert_eq!(InboxView::MyTeam.filter().matches(r), open && r.on_my_team);
            prop_assert_eq!(InboxView::Urgent.filter().matches(r), open && r.priority == Priority::Urgent);
            prop_assert_eq!(InboxView::Escalated.filter().matches(r), open && r.escalated_to_me);
            prop_assert_eq!(InboxView::Closed.filter().matches(r), !open);
            prop_assert!(InboxView::All.filter().matches(r));
        }

        #[test]
        fn urgent_comes_first_then_waiting_on_staff_then_oldest(a in row(), b in row(), ta in 0i64..1000, tb in 0i64..1000) {
            let ka = attention_key(a.status, a.priority, ta);
            let kb = attention_key(b.status, b.priority, tb);
            if a.priority == Priority::Urgent && b.priority != Priority::Urgent {
                prop_assert!(ka < kb);
            }
            if a.priority == b.priority && a.status == ConversationStatus::NeedsStaffResponse && b.status != ConversationStatus::NeedsStaffResponse {
                prop_assert!(ka < kb);
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for v in InboxView::ALL {
            assert_eq!(InboxView::parse(v.as_str()), Some(v));
        }
    }
}
