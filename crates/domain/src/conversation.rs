//! The conversation state machine, and what closing and rating require.

use crate::role::UserKind;

/// Whose move it is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ConversationStatus {
    /// The patient wrote last (or opened it): staff owe an answer.
    NeedsStaffResponse,
    /// Staff wrote last: waiting on the patient.
    AwaitingPatient,
    Closed,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 3] =
        [ConversationStatus::NeedsStaffResponse, ConversationStatus::AwaitingPatient, ConversationStatus::Closed];
    pub const fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::NeedsStaffResponse => "needs_staff_response",
            ConversationStatus::AwaitingPatient => "awaiting_patient",
            ConversationStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Priority {
    Routine,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 2] = [Priority::Routine, Priority::Urgent];
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "routine" => Some(Priority::Routine),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        }
    }
}

/// The status after someone of `sender` kind posts a message. Writing in a
/// closed conversation reopens it: a patient's follow-up must never vanish
/// into a closed thread.
pub const fn status_after_message(sender: UserKind) -> ConversationStatus {
    match sender {
        UserKind::Patient => ConversationStatus::NeedsStaffResponse,
        UserKind::Staff => ConversationStatus::AwaitingPatient,
    }
}

/// The status a conversation takes when reopened by staff: the care team
/// owes the next move.
pub const fn status_after_reopen() -> ConversationStatus {
    ConversationStatus::NeedsStaffResponse
}

/// Why a status change was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TransitionError {
    AlreadyClosed,
    NotClosed,
}

pub fn close(current: ConversationStatus) -> Result<ConversationStatus, TransitionError> {
    match current {
        ConversationStatus::Closed => Err(TransitionError::AlreadyClosed),
        _ => Ok(ConversationStatus::Closed),
    }
}

pub fn reopen(current: ConversationStatus) -> Result<ConversationStatus, TransitionError> {
    match current {
        ConversationStatus::Closed => Ok(status_after_reopen()),
        _ => Err(TransitionError::NotClosed),
    }
}

/// What a close asks of the one closing, beyond permission.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CloseRequirement {
    /// Closing is one step.
    Plain,
    /// An urgent conversation no staff member has answered: staff must
    /// confirm and give a reason, which the history keeps. (The patient
    /// closing their own is their call.)
    ConfirmWithReason,
}

pub const fn close_requirement(priority: Priority, answered_by_staff: bool, closer: UserKind) -> CloseRequirement {
    match (priority, answered_by_staff, closer) {
        (Priority::Urgent, false, UserKind::Staff) => CloseRequirement::ConfirmWithReason,
        _ => CloseRequirement::Plain,
    }
}

/// Whether the patient is asked how it went: only once it is closed and a
/// person (not only an automatic reply) answered them.
pub const fn rateable(status: ConversationStatus, answered_by_staff: bool) -> bool {
    matches!(status, ConversationStatus::Closed) && answered_by_staff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_move() {
        assert_eq!(status_after_message(UserKind::Patient), ConversationStatus::NeedsStaffResponse);
        assert_eq!(status_after_message(UserKind::Staff), ConversationStatus::AwaitingPatient);
    }

    #[test]
    fn priorities_round_trip_and_all_lists_every_one() {
        let index = |p: Priority| match p {
            Priority::Routine => 0,
            Priority::Urgent => 1,
        };
        assert_eq!(Priority::ALL.map(index), [0, 1]);
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn close_and_reopen() {
        for s in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(s.as_str()), Some(s));
            match s {
                ConversationStatus::Closed => {
                    assert_eq!(close(s), Err(TransitionError::AlreadyClosed));
                    assert_eq!(reopen(s), Ok(ConversationStatus::NeedsStaffResponse));
                }
                _ => {
                    assert_eq!(close(s), Ok(ConversationStatus::Closed));
                    assert_eq!(reopen(s), Err(TransitionError::NotClosed));
                }
            }
        }
    }

    #[test]
    fn an_unanswered_urgent_conversation_needs_a_reason_to_close() {
        use CloseRequirement::*;
        for priority in [Priority::Routine, Priority::Urgent] {
            for answered in [false, true] {
                for closer in [UserKind::Patient, UserKind::Staff] {
                    let expected = if priority == Priority::Urgent && !answered && closer == UserKind::Staff {
                        ConfirmWithReason
                    } else {
                        Plain
                    };
                    assert_eq!(close_requirement(priority, answered, closer), expected);
                }
            }
        }
    }

    #[test]
    fn only_a_closed_conversation_a_person_answered_is_rated() {
        for s in ConversationStatus::ALL {
            assert!(!rateable(s, false));
            assert_eq!(rateable(s, true), s == ConversationStatus::Closed);
        }
    }
}
