//! Who is paged for an urgent message: the on-call schedule (shifts, for
//! the practice or one department, each with its place in the chain) and
//! the chain it gives for a moment. Paging itself (a page per step, each
//! waiting for an acknowledgement before the next) runs in the service.

use crate::ids::{DepartmentId, ShiftId, UserId};
use crate::time::{Span, Timestamp};

/// One stretch of someone being on call (or on duty).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Shift {
    pub id: ShiftId,
    pub user: UserId,
    /// `None`: for the whole practice.
    pub department: Option<DepartmentId>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// 0 is paged first, then 1 (the backup), and so on.
    pub position: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShiftError {
    /// It ends before it starts, or lasts no time.
    Empty,
    /// Longer than a fortnight: most likely a typing mistake.
    TooLong,
}

impl Shift {
    pub const MAX_LENGTH: Span = Span::from_hours(14 * 24);

    pub fn check(&self) -> Result<(), ShiftError> {
        if self.ends_at <= self.starts_at {
            return Err(ShiftError::Empty);
        }
        if self.ends_at.as_micros() - self.starts_at.as_micros() > Self::MAX_LENGTH.as_micros() {
            return Err(ShiftError::TooLong);
        }
        Ok(())
    }

    pub fn covers(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

/// The people to page for a message about `department` at `at`, in order:
/// the department's shifts covering the moment, then the practice-wide
/// ones, each by position (then start, then id, so the order is fixed);
/// everyone once.
pub fn chain(shifts: &[Shift], department: Option<DepartmentId>, at: Timestamp) -> Vec<UserId> {
    let mut covering: Vec<&Shift> =
        shifts.iter().filter(|s| s.covers(at) && (s.department.is_none() || s.department == department)).collect();
    covering.sort_by_key(|s| (s.department.is_none(), s.position, s.starts_at, s.id));
    let mut out: Vec<UserId> = Vec::new();
    for s in covering {
        if !out.contains(&s.user) {
            out.push(s.user);
        }
    }
    out
}

/// What paging does at step `step` (0-based) of a chain of `people`, with
/// or without a fallback number: page a person, text the practice's
/// fallback number, or stop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PageStep {
    Person(usize),
    Fallback,
    Done,
}

pub fn step(people: usize, has_fallback: bool, step: usize) -> PageStep {
    if step < people {
        PageStep::Person(step)
    } else if step == people && has_fallback {
        PageStep::Fallback
    } else {
        PageStep::Done
    }
}

#[cfg(test)]
mod tests;
