//! Why a conversation's owner or assignee changed: the codes of its
//! assignment history. They are stored, so they are stable.

/// One reason in a conversation's assignment history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HistoryCode {
    /// Routing gave it an owner.
    Routed,
    /// The staff member who started it kept it ("replies come to me").
    Kept,
    /// Routing gave it to a person.
    Assigned,
    /// An auto-assigning pool gave it to its least-loaded member.
    AutoAssigned,
    /// Someone reassigned it, with a reason.
    Reassigned,
    /// Its assignee did not act in time; it went back to the pool.
    TimedOut,
    /// Sent to a provider; the assignee stays.
    Escalated,
    /// The provider acted; back to whoever holds it.
    Returned,
    CoverStarted,
    CoverEnded,
    /// Its assignee's account was deactivated.
    Deactivated,
    /// Overdue, and handed to the pool's lead.
    OverdueToLead,
    /// An urgent conversation closed without a staff answer, with a reason.
    ClosedUnanswered,
}

impl HistoryCode {
    pub const ALL: [HistoryCode; 13] = [
        HistoryCode::Routed,
        HistoryCode::Kept,
        HistoryCode::Assigned,
        HistoryCode::AutoAssigned,
        HistoryCode::Reassigned,
        HistoryCode::TimedOut,
        HistoryCode::Escalated,
        HistoryCode::Returned,
        HistoryCode::CoverStarted,
        HistoryCode::CoverEnded,
        HistoryCode::Deactivated,
        HistoryCode::OverdueToLead,
        HistoryCode::ClosedUnanswered,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            HistoryCode::Routed => "routed",
            HistoryCode::Kept => "kept",
            HistoryCode::Assigned => "assigned",
            HistoryCode::AutoAssigned => "auto_assigned",
            HistoryCode::Reassigned => "reassigned",
            HistoryCode::TimedOut => "timed_out",
            HistoryCode::Escalated => "escalated",
            HistoryCode::Returned => "returned",
            HistoryCode::CoverStarted => "cover_started",
            HistoryCode::CoverEnded => "cover_ended",
            HistoryCode::Deactivated => "deactivated",
            HistoryCode::OverdueToLead => "overdue_to_lead",
            HistoryCode::ClosedUnanswered => "closed_unanswered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for c in HistoryCode::ALL {
            assert_eq!(HistoryCode::parse(c.as_str()), Some(c));
            assert!(seen.insert(c.as_str()), "{c:?}");
        }
        assert_eq!(HistoryCode::parse("Routed"), None);
    }
}
