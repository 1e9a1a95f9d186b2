//! Response-time targets: which target applies, when the clock runs, when
//! an answer is due, and whether a conversation is on track.
//!
//! The clock runs only while a conversation waits on staff. It starts when
//! the patient writes into a conversation that was not already waiting,
//! stops when staff answer or close it, and starts again, against the
//! "next response" target, when the patient writes again. Each stretch of
//! waiting is measured on its own.

use crate::conversation::Priority;
use crate::hours::BusinessCalendar;
use crate::time::{Span, Timestamp};
use crate::topic::Topic;

/// How a target's time is counted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Clock {
    /// Only while the practice (or department) is open.
    Business,
    /// Around the clock.
    Wall,
}

impl Clock {
    pub const fn as_str(self) -> &'static str {
        match self {
            Clock::Business => "business",
            Clock::Wall => "wall",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "business" => Some(Clock::Business),
            "wall" => Some(Clock::Wall),
            _ => None,
        }
    }
}

/// Time allowed to the first staff response and to each later one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Target {
    first_response: Span,
    next_response: Span,
    clock: Clock,
}

/// Why a policy was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PolicyError {
    /// Targets must be between one minute and 30 days.
    TargetOutOfRange,
    /// The due-soon share is a percentage from 1 to 99.
    DueSoonShare,
    /// Two policies with the same priority and topic.
    Duplicate,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PolicyError::TargetOutOfRange => "targets must be between 1 minute and 30 days",
            PolicyError::DueSoonShare => "the due-soon share must be a percentage from 1 to 99",
            PolicyError::Duplicate => "two policies cover the same priority and topic",
        })
    }
}

impl std::error::Error for PolicyError {}

impl Target {
    pub fn new(first_response: Span, next_response: Span, clock: Clock) -> Result<Self, PolicyError> {
        let ok = |s: Span| (Span::from_mins(1)..=Span::from_hours(24 * 30)).contains(&s);
        if !ok(first_response) || !ok(next_response) {
            return Err(PolicyError::TargetOutOfRange);
        }
        Ok(Target { first_response, next_response, clock })
    }
    pub const fn first_response(&self) -> Span {
        self.first_response
    }
    pub const fn next_response(&self) -> Span {
        self.next_response
    }
    pub const fn clock(&self) -> Clock {
        self.clock
    }
}

/// A practice's target for conversations of one priority and/or topic.
/// `None` matches any.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Policy {
    pub priority: Option<Priority>,
    pub topic: Option<Topic>,
    pub target: Target,
}

impl Policy {
    /// How specific the policy is: both set beats topic, topic beats
    /// priority, priority beats neither.
    const fn specificity(&self) -> u8 {
        (if self.topic.is_some() { 2 } else { 0 }) + (if self.priority.is_some() { 1 } else { 0 })
    }
    /// An urgent message answers only to targets that say "urgent": a
    /// practice's "billing within 8 business hours" must not make an
    /// emergency written under Billing wait until Monday.
    fn matches(&self, priority: Priority, topic: Topic) -> bool {
        let priority_ok = match (self.priority, priority) {
            (Some(p), _) => p == priority,
            (None, Priority::Urgent) => false,
            (None, Priority::Routine) => true,
        };
        priority_ok && self.topic.is_none_or(|t| t == topic)
    }
}

/// A practice's response-time rules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Policies {
    policies: Vec<Policy>,
    due_soon_percent: u8,
}

impl Policies {
    /// The defaults: urgent within 1 hour around the clock (an emergency
    /// does not wait for Monday), routine within 4 business hours, due soon
    /// at 75 % of the target. A practice may choose business time for
    /// urgent messages too, but only by saying so in its own targets.
    pub fn defaults() -> Self {
        let routine = Span::from_hours(4);
        let urgent = Span::from_hours(1);
        Policies {
            policies: vec![
                Policy {
                    priority: Some(Priority::Urgent),
                    topic: None,
                    target: Target { first_response: urgent, next_response: urgent, clock: Clock::Wall },
                },
                Policy {
                    priority: Some(Priority::Routine),
                    topic: None,
                    target: Target { first_response: routine, next_response: routine, clock: Clock::Business },
                },
            ],
            due_soon_percent: 75,
        }
    }

    /// A practice's own rules. Conversations no rule covers fall back to
    /// the defaults for their priority.
    pub fn new(policies: Vec<Policy>, due_soon_percent: u8) -> Result<Self, PolicyError> {
        if !(1..=99).contains(&due_soon_percent) {
            return Err(PolicyError::DueSoonShare);
        }
        for (i, a) in policies.iter().enumerate() {
            if policies.iter().skip(i + 1).any(|b| a.priority == b.priority && a.topic == b.topic) {
                return Err(PolicyError::Duplicate);
            }
        }
        Ok(Policies { policies, due_soon_percent })
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    pub const fn due_soon_percent(&self) -> u8 {
        self.due_soon_percent
    }

    /// The most specific matching policy's target, else the default for
    /// the priority. Urgent messages match only urgent policies.
    pub fn target_for(&self, priority: Priority, topic: Topic) -> Target {
        self.policies
            .iter()
            .filter(|p| p.matches(priority, topic))
            .max_by_key(|p| p.specificity())
            .map(|p| p.target)
            .or_else(|| Policies::defaults().policies.iter().find(|p| p.matches(priority, topic)).map(|p| p.target))
            .unwrap_or(Target {
                first_response: Span::from_hours(4),
                next_response: Span::from_hours(4),
                clock: Clock::Business,
            })
    }
}

/// When a waiting conversation becomes due soon and overdue.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Deadline {
    pub waiting_since: Timestamp,
    pub due_soon_at: Timestamp,
    pub due_at: Timestamp,
}

/// The deadline for a stretch of waiting that began at `since`. Business
/// time on a calendar with no opening hours at all falls back to wall time,
/// so nothing is ever without a due time.
pub fn deadline(
    calendar: &BusinessCalendar,
    policies: &Policies,
    since: Timestamp,
    allowed: Span,
    clock: Clock,
) -> Deadline {
    let soon = Span::from_micros(allowed.as_micros() / 100 * i64::from(policies.due_soon_percent));
    let after = |span: Span| match clock {
        Clock::Business => calendar.add(since, span).unwrap_or(since.plus(span)),
        Clock::Wall => since.plus(span),
    };
    Deadline { waiting_since: since, due_soon_at: after(soon), due_at: after(allowed) }
}

/// Where a waiting conversation stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum SlaState {
    OnTrack,
    DueSoon,
    Overdue,
}

impl SlaState {
    pub const fn as_str(self) -> &'static str {
        match self {
            SlaState::OnTrack => "on_track",
            SlaState::DueSoon => "due_soon",
            SlaState::Overdue => "overdue",
        }
    }
}

pub fn state(deadline: &Deadline, now: Timestamp) -> SlaState {
    if now >= deadline.due_at {
        SlaState::Overdue
    } else if now >= deadline.due_soon_at {
        SlaState::DueSoon
    } else {
        SlaState::OnTrack
    }
}

/// What happened in a conversation, as far as the clock cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Turn {
    PatientWrote,
    StaffReplied,
    Closed,
    Reopened,
}

/// The response clock of one conversation.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ClockState {
    /// When the current stretch of waiting on staff began, if it is running.
    pub waiting_since: Option<Timestamp>,
    /// Whether staff have ever answered (the next target applies after).
    pub answered: bool,
}

/// What the clock does on a turn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClockChange {
    /// A new stretch of waiting begins now: allow this long.
    Start { first: bool },
    /// Nothing changes (the patient wrote again while already waiting).
    Keep,
    /// The clock stops.
    Stop,
}

pub fn on_turn(state: ClockState, turn: Turn) -> ClockChange {
    match (turn, state.waiting_since) {
        (Turn::PatientWrote, None) => ClockChange::Start { first: !state.answered },
        (Turn::PatientWrote, Some(_)) => ClockChange::Keep,
        (Turn::StaffReplied | Turn::Closed, Some(_)) => ClockChange::Stop,
        (Turn::StaffReplied | Turn::Closed | Turn::Reopened, None) => ClockChange::Keep,
        // Staff reopening a conversation that somehow still runs: leave it.
        (Turn::Reopened, Some(_)) => ClockChange::Keep,
    }
}

/// The allowed time for a stretch of waiting.
pub const fn allowed(target: &Target, first: bool) -> Span {
    if first { target.first_response } else { target.next_response }
}

#[cfg(test)]
mod tests;
