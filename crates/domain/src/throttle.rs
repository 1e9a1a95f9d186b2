//! Throttling of failed logins, per account name and per client address.
//!
//! After a few free failures each further failure doubles a waiting period,
//! up to a cap. A success clears the account's record. The cap is short
//! enough that an attacker cannot lock a real user out for long, and the
//! doubling makes guessing hopeless (NIST SP 800-63B allows at most 100
//! consecutive failures; at the defaults that takes more than 7 hours).

use crate::time::{Span, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any waiting is imposed.
    pub free_failures: u32,
    /// Wait after the first failure beyond the free ones; doubles after each.
    pub base_delay: Span,
    pub max_delay: Span,
    /// A record with no failure for this long is forgotten.
    pub forget_after: Span,
}

impl ThrottlePolicy {
    /// Per account name.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        base_delay: Span::from_secs(2),
        max_delay: Span::from_mins(5),
        forget_after: Span::from_hours(1),
    };
    /// Per client address: more generous (clinics share an address behind
    /// their router) but with a longer cap.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 30,
        base_delay: Span::from_secs(1),
        max_delay: Span::from_mins(15),
        forget_after: Span::from_hours(1),
    };
}

/// The recorded failures for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub last_failure_at: Timestamp,
}

/// The wait imposed after `failures` consecutive failures.
pub fn delay_after(policy: &ThrottlePolicy, failures: u32) -> Span {
    if failures <= policy.free_failures {
        return Span::from_micros(0);
    }
    let doublings = (failures - policy.free_failures - 1).min(40);
    let factor = 1i64.checked_shl(doublings).unwrap_or(i64::MAX);
    let delay = policy.base_delay.as_micros().saturating_mul(factor);
    Span::from_micros(delay.min(policy.max_delay.as_micros()))
}

/// `Ok` if an attempt may be made now, or how long to wait.
pub fn check(policy: &ThrottlePolicy, state: Option<ThrottleState>, now: Timestamp) -> Result<(), Span> {
    let Some(state) = state else { return Ok(()) };
    if now >= state.last_failure_at.plus(policy.forget_after) {
        return Ok(());
    }
    let open_at = state.last_failure_at.plus(delay_after(policy, state.failures));
    if now >= open_at { Ok(()) } else { Err(open_at.since(now)) }
}

/// The state after a failed attempt at `now`.
pub fn record_failure(policy: &ThrottlePolicy, state: Option<ThrottleState>, now: Timestamp) -> ThrottleState {
    let previous = match state {
        Some(s) if now < s.last_failure_at.plus(policy.forget_after) => s.failures,
        _ => 0,
    };
    ThrottleState { failures: previous.saturating_add(1), last_failure_at: now }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: ThrottlePolicy = ThrottlePolicy::ACCOUNT;

    #[test]
    fn free_failures_then_doubling() {
        let t0 = Timestamp::from_micros(10_000_000_000);
        let mut state = None;
        for _ in 0..5 {
            assert_eq!(check(&P, state, t0), Ok(()));
            state = Some(record_failure(&P, state, t0));
        }
        // The fifth failure is still free; the sixth attempt may go ahead.
        assert_eq!(check(&P, state, t0), Ok(()));
        state = Some(record_failure(&P, state, t0));
        assert_eq!(check(&P, state, t0), Err(Span::from_secs(2)));
        assert_eq!(check(&P, state, t0.plus(Span::from_secs(2))), Ok(()));
        state = Some(record_failure(&P, state, t0));
        assert_eq!(check(&P, state, t0), Err(Span::from_secs(4)));
    }

    #[test]
    fn one_hundred_guesses_take_hours() {
        let mut now = Timestamp::from_micros(0);
        let mut state = None;
        for _ in 0..100 {
            if let Err(wait) = check(&P, state, now) {
                now = now.plus(wait);
            }
            state = Some(record_failure(&P, state, now));
        }
        assert!(now.since(Timestamp::from_micros(0)) > Span::from_hours(7));
    }

    proptest! {
        #[test]
        fn wait_is_bounded_and_monotonic(failures in 0u32..10_000) {
            let d = delay_after(&P, failures);
            prop_assert!(d <= P.max_delay);
            prop_assert!(delay_after(&P, failures + 1) >= d);
        }

        #[test]
        fn never_locked_beyond_the_cap(failures in 0u32..1000, at in 0i64..1_000_000_000, later in 0i64..1_000_000_000) {
            let state = ThrottleState { failures, last_failure_at: Timestamp::from_micros(at) };
            let now = Timestamp::from_micros(at + later);
            if let Err(wait) = check(&P, Some(state), now) {
                prop_assert!(wait <= P.max_delay);
                prop_assert!(wait.as_micros() > 0);
            }
            prop_assert_eq!(check(&P, Some(state), now.plus(P.max_delay)), Ok(()));
        }
    }
}
