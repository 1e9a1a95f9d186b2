//! Failed-login counters. Keys are keyed fingerprints, not user names.

use crate::rows::{col, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::throttle::ThrottleState;

pub fn record(key: &str, state: ThrottleState) -> Step {
    Step::new(
        "INSERT INTO login_throttles (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
         ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at",
        vec![key.into(), i64::from(state.failures).into(), state.last_failure_at.as_micros().into()],
    )
}

/// Moves a key from `expected` (`None`: no record) to `next`, or fails the
/// unit with `Conflict(Conflict::ThrottleRaced)` when another attempt moved it
/// first: a compare-and-swap, so parallel attempts cannot overwrite each
/// other's counts.
pub fn replace(key: &str, expected: Option<ThrottleState>, next: ThrottleState) -> Step {
    let next_failures = i64::from(next.failures);
    let next_at = next.last_failure_at.as_micros();
    match expected {
        None => Step::new(
            "INSERT INTO login_throttles (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
             ON CONFLICT (throttle_key) DO NOTHING",
            vec![key.into(), next_failures.into(), next_at.into()],
        ),
        Some(was) => Step::new(
            "UPDATE login_throttles SET failures = $2, last_failure_at = $3 \
             WHERE throttle_key = $1 AND failures = $4 AND last_failure_at = $5",
            vec![
                key.into(),
                next_failures.into(),
                next_at.into(),
                i64::from(was.failures).into(),
                was.last_failure_at.as_micros().into(),
            ],
        ),
    }
    .guarded(Conflict::ThrottleRaced)
}

/// Takes back one counted attempt (it turned out to be a success).
pub fn release(key: &str) -> Step {
    Step::new(
        "UPDATE login_throttles SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0",
        vec![key.into()],
    )
}

pub fn clear(key: &str) -> Step {
    Step::new("DELETE FROM login_throttles WHERE throttle_key = $1", vec![key.into()])
}

pub async fn get(store: &Store, key: &str) -> Result<Option<ThrottleState>, StoreError> {
    let row = sqlx::query("SELECT failures, last_failure_at FROM login_throttles WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(ThrottleState {
            failures: u32::try_from(col::<i64>(&r, "failures")?).unwrap_or(u32::MAX),
            last_failure_at: ts(&r, "last_failure_at")?,
        })
    })
    .transpose()
}
