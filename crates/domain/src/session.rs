//! Session lifetime rules (automatic logoff).

use crate::role::UserKind;
use crate::time::{Span, Timestamp};

/// How long a session may sit idle, and how long it may live at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: Span,
    pub absolute: Span,
}

/// Limits for each kind of account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub staff: SessionLimits,
    pub patient: SessionLimits,
}

impl Default for SessionPolicy {
    /// 15 minutes idle for staff (shared workstations), 30 for patients;
    /// 12 hours absolute for both (NIST SP 800-63B rev. 3 AAL2 values).
    fn default() -> Self {
        SessionPolicy {
            staff: SessionLimits { idle: Span::from_mins(15), absolute: Span::from_hours(12) },
            patient: SessionLimits { idle: Span::from_mins(30), absolute: Span::from_hours(12) },
        }
    }
}

impl SessionPolicy {
    pub const fn for_kind(&self, kind: UserKind) -> SessionLimits {
        match kind {
            UserKind::Staff => self.staff,
            UserKind::Patient => self.patient,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    Active,
    IdleExpired,
    LifetimeExpired,
    Revoked,
}

/// A session's recorded times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub revoked: bool,
}

pub fn session_state(times: SessionTimes, limits: SessionLimits, now: Timestamp) -> SessionState {
    if times.revoked {
        SessionState::Revoked
    } else if now >= times.created_at.plus(limits.absolute) {
        SessionState::LifetimeExpired
    } else if now >= times.last_seen_at.plus(limits.idle) {
        SessionState::IdleExpired
    } else {
        SessionState::Active
    }
}

/// Activity is recorded at most this often, so that reads do not each cost
/// a write. The error is on the safe side: a session can end up to this much
/// earlier than its idle limit, never later.
pub const TOUCH_GRANULARITY: Span = Span::from_secs(15);

pub fn needs_touch(last_seen_at: Timestamp, now: Timestamp) -> bool {
    now >= last_seen_at.plus(TOUCH_GRANULARITY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn idle_and_absolute_limits() {
        let limits = SessionPolicy::default().staff;
        let t0 = Timestamp::from_micros(1_000_000_000_000);
        let times = SessionTimes { created_at: t0, last_seen_at: t0, revoked: false };
        assert_eq!(session_state(times, limits, t0.plus(Span::from_secs(899))), SessionState::Active);
        assert_eq!(session_state(times, limits, t0.plus(Span::from_secs(900))), SessionState::IdleExpired);
        let busy = SessionTimes { last_seen_at: t0.plus(Span::from_hours(12)), ..times };
        assert_eq!(session_state(busy, limits, t0.plus(Span::from_hours(12))), SessionState::LifetimeExpired);
        let revoked = SessionTimes { revoked: true, ..times };
        assert_eq!(session_state(revoked, limits, t0), SessionState::Revoked);
    }

    proptest! {
        #[test]
        fn active_means_within_both_limits(c in 0i64..1_000_000_000, seen_after in 0i64..100_000_000, now_after in 0i64..100_000_000_000) {
            let limits = SessionPolicy::default().patient;
            let created_at = Timestamp::from_micros(c);
            let last_seen_at = created_at.plus(Span::from_micros(seen_after));
            let now = created_at.plus(Span::from_micros(now_after));
            let state = session_state(SessionTimes { created_at, last_seen_at, revoked: false }, limits, now);
            let within = now.since(created_at) < limits.absolute && now.since(last_seen_at) < limits.idle;
            prop_assert_eq!(state == SessionState::Active, within);
        }
    }
}
