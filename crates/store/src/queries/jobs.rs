//! Durable background jobs: enqueued in the same transaction as the change
//! that calls for them, claimed with a lease so that exactly one worker runs
//! each (on PostgreSQL `FOR UPDATE SKIP LOCKED` lets nodes claim side by
//! side), retried with backoff, parked as `dead` after their last attempt.

use crate::rows::{col, id, ts};
use crate::{Backend, Conflict, Step, Store, StoreError};
use switchboard_domain::ids::JobId;
use switchboard_domain::job::JobStatus;
use switchboard_domain::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    /// Attempts so far, including the one now running.
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Timestamp,
}

/// A job to run at `run_at`. With a `dedupe_key`, nothing is added while a
/// pending job has the same key (for recurring housekeeping).
pub fn enqueue(
    job: JobId,
    kind: &str,
    payload: &str,
    run_at: Timestamp,
    max_attempts: i64,
    dedupe_key: Option<&str>,
    now: Timestamp,
) -> Step {
    let mut step = Step::new(
        "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, max_attempts, dedupe_key, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, 0, $5, $6, $7, $7) ON CONFLICT (dedupe_key) WHERE state = 'pending' DO NOTHING",
        vec![
            job.to_vec().into(),
            kind.into(),
            payload.into(),
            run_at.as_micros().into(),
            max_attempts.into(),
            dedupe_key.into(),
            now.as_micros().into(),
        ],
    );
    step.wakes_jobs = run_at <= now;
    step
}

const CLAIM_SQLITE: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1, updated_at = $2 \
     WHERE id = (SELECT id FROM jobs WHERE ((state = 'pending' AND run_at <= $2) OR (state = 'running' AND locked_until < $2)) \
     AND $4 LIKE '%,' || kind || ',%' ORDER BY run_at, id LIMIT 1)";

const CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1, updated_at = $2 \
     WHERE id = (SELECT id FROM jobs WHERE ((state = 'pending' AND run_at <= $2) OR (state = 'running' AND locked_until < $2)) \
     AND $4 LIKE '%,' || kind || ',%' ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)";

/// Claims the oldest due job (or one whose lease ran out) of one of `kinds`
/// for `claim_token` until `lease_until`. A runner only claims kinds it can
/// run, so nodes of different versions can share the table. Read the
/// claimed job back with [`claimed`].
pub fn claim(backend: Backend, kinds: &[&str], claim_token: &str, now: Timestamp, lease_until: Timestamp) -> Step {
    let sql = match backend {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    // Kinds are code constants (letters, digits, `_`), so `,kind,` matching
    // is exact.
    let list = format!(",{},", kinds.join(","));
    Step::new(sql, vec![claim_token.into(), now.as_micros().into(), lease_until.as_micros().into(), list.into()])
}

pub async fn claimed(store: &Store, claim_token: &str) -> Result<Option<JobRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, kind, payload, attempts, max_attempts, run_at FROM jobs WHERE locked_by = $1 AND state = 'running'",
    )
    .bind(claim_token)
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(JobRow {
            id: id(&r, "id", JobId::from_slice)?,
            kind: col(&r, "kind")?,
            payload: col(&r, "payload")?,
            attempts: col(&r, "attempts")?,
            max_attempts: col(&r, "max_attempts")?,
            run_at: ts(&r, "run_at")?,
        })
    })
    .transpose()
}

/// Marks a job done, if this claim still holds it.
pub fn complete(job: JobId, claim_token: &str, now: Timestamp) -> Step {
    Step::new(
        "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $3 \
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        vec![job.to_vec().into(), claim_token.into(), now.as_micros().into()],
    )
    .guarded(Conflict::LeaseLost)
}

/// Records a failed attempt: back to `pending` at `retry_at`, or `dead` if
/// `retry_at` is `None`. `error` must be a code, never PHI.
pub fn fail(job: JobId, claim_token: &str, error: &str, retry_at: Option<Timestamp>, now: Timestamp) -> Step {
    Step::new(
        "UPDATE jobs SET state = $4, run_at = COALESCE($5, run_at), locked_by = NULL, locked_until = NULL, last_error = $3, \
         updated_at = $6 WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        vec![
            job.to_vec().into(),
            claim_token.into(),
            error.into(),
            (if retry_at.is_some() { "pending" } else { "dead" }).into(),
            retry_at.map(Timestamp::as_micros).into(),
            now.as_micros().into(),
        ],
    )
    .guarded(Conflict::LeaseLost)
}

/// Hands a claimed job back, due at once, without counting the attempt:
/// its runner is shutting down and another may take it now rather than
/// when the lease runs out.
pub fn release(claim_token: &str, now: Timestamp) -> Step {
    Step::new(
        "UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL, \
         attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $2 \
         WHERE locked_by = $1 AND state = 'running'",
        vec![claim_token.into(), now.as_micros().into()],
    )
}

pub async fn status(store: &Store, job: JobId) -> Result<Option<JobStatus>, StoreError> {
    let row = sqlx::query("SELECT state, attempts, last_error, run_at FROM jobs WHERE id = $1")
        .bind(job.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(JobStatus {
            state: col(&r, "state")?,
            attempts: col(&r, "attempts")?,
            last_error: col(&r, "last_error")?,
            run_at: ts(&r, "run_at")?,
        })
    })
    .transpose()
}

/// Removes finished jobs older than `before`.
pub fn purge_done(before: Timestamp) -> Step {
    Step::new("DELETE FROM jobs WHERE state = 'done' AND updated_at < $1", vec![before.as_micros().into()])
}

/// Drops the pending jobs of one kind.
pub fn drop_pending(kind: &str) -> Step {
    Step::new("DELETE FROM jobs WHERE kind = $1 AND state = 'pending'", vec![kind.into()])
}
