//! Failed-login counters. Keys are keyed fingerprints, not user names.

use crate::rows::{col, ts};
use crate::{Step, Store, StoreError};
use switchboard_domain::throttle::ThrottleState;

pub fn record(key: &str, state: ThrottleState) -> Step {
    Step::new(
        "INSERT INTO login_throttles (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
         ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at",
        vec![key.into(), i64::from(state.failures).into(), state.last_failure_at.as_micros().into()],
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
