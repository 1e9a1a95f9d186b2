//! The conversation state machine.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_move() {
        assert_eq!(status_after_message(UserKind::Patient), ConversationStatus::NeedsStaffResponse);
        assert_eq!(status_after_message(UserKind::Staff), ConversationStatus::AwaitingPatient);
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
}
