//! The durable job runner.
//!
//! Work that must happen later or outside a request (housekeeping today;
//! response-time alerts, notifications and EHR sync next) is a row in the
//! `jobs` table, added in the same transaction as the change that calls for
//! it. Runners on any node claim due jobs with a lease, run them, and mark
//! them done, or retry them with exponential backoff until their last
//! attempt, after which they are parked as `dead` for an operator. A runner
//! that dies mid-job loses its lease and the job runs again, so handlers
//! must be idempotent.

use crate::{ServiceError, Switchboard};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use switchboard_domain::ids::JobId;
pub use switchboard_domain::job::JobStatus;
use switchboard_domain::time::{Span, Timestamp};
use switchboard_store::Unit;
use switchboard_store::queries::{jobs as q, sessions};

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Something a job of one kind does. The error is a short code recorded
/// with the job: never PHI.
pub trait JobHandler: Send + Sync + 'static {
    fn run<'a>(&'a self, app: &'a Switchboard, payload: &'a str) -> JobFuture<'a>;
}

/// The wait before attempt `attempt + 1` after a failure: 10 s doubling up
/// to an hour.
pub fn backoff(attempt: i64) -> Span {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let secs = 10i64.saturating_mul(1i64 << exp.min(16));
    Span::from_secs(secs.min(3600))
}

/// Removes ended sessions, devices not signed in from for 90 days, stale throttles, old finished jobs and uploads
/// never sent, looks for unusual access, writes a signed checkpoint of the audit chain, then
/// schedules itself again in an hour.
pub const HOUSEKEEPING: &str = "housekeeping";

struct Housekeeping;

impl JobHandler for Housekeeping {
    fn run<'a>(&'a self, app: &'a Switchboard, _payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            let now = app.now();
            let unit = Unit::new()
                .step(sessions::purge_ended(now.minus(Span::from_hours(24))))
                .step(q::purge_done(now.minus(Span::from_hours(24 * 7))))
                .step(switchboard_store::queries::mfa::purge_challenges(now.minus(Span::from_hours(24))))
                .step(switchboard_store::queries::mfa::purge_unconfirmed(now.minus(Span::from_hours(24))))
                .step(sessions::forget_devices(now.minus(switchboard_domain::sign_in::KNOWN_DEVICE_MEMORY)))
                .step(switchboard_store::queries::passkeys::purge_states(now.minus(Span::from_hours(1))))
                .step(switchboard_store::queries::sso::purge_states(now.minus(Span::from_hours(1))))
                .steps(switchboard_store::queries::ehr::purge_expired(now));
            app.store().commit(unit).await.map_err(|_| "store_unavailable".to_owned())?;
            app.purge_unsent_attachments().await.map_err(|_| "purge_unsent_attachments".to_owned())?;
            app.purge_exports().await.map_err(|_| "purge_exports".to_owned())?;
            app.review_access().await.map_err(|_| "review_access".to_owned())?;
            // A signed checkpoint of the audit chain, outside the database.
            if let Err(e) = app.write_audit_checkpoint().await {
                tracing::warn!(error = %e, "the hourly audit checkpoint was not written");
            }
            app.schedule(HOUSEKEEPING, "{}", now.plus(Span::from_hours(1)), Some(HOUSEKEEPING))
                .await
                .map_err(|_| "reschedule_failed".to_owned())?;
            Ok(())
        })
    }
}

/// Adapts a method of [`Switchboard`] to a job handler.
struct Method(for<'a> fn(&'a Switchboard, &'a str) -> JobFuture<'a>);

impl JobHandler for Method {
    fn run<'a>(&'a self, app: &'a Switchboard, payload: &'a str) -> JobFuture<'a> {
        (self.0)(app, payload)
    }
}

/// Claims and runs jobs.
#[derive(Clone)]
pub struct JobRunner {
    app: Switchboard,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    lease: Span,
    name: String,
    /// At shutdown, how long the job in hand may take to finish before it
    /// is handed back.
    grace: Duration,
    /// Jobs run at once by [`Self::run`].
    workers: usize,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Switchboard {
    /// Adds a job. With a `dedupe_key`, nothing is added if a pending job
    /// with that key exists.
    pub async fn schedule(
        &self,
        kind: &str,
        payload: &str,
        run_at: Timestamp,
        dedupe_key: Option<&str>,
    ) -> Result<JobId, ServiceError> {
        let id = self.new_id(JobId::from_bytes)?;
        self.store().commit(Unit::new().step(q::enqueue(id, kind, payload, run_at, 8, dedupe_key, self.now()))).await?;
        Ok(id)
    }

    /// Where a job stands (for tools and tests).
    pub async fn job_status(&self, job: JobId) -> Result<Option<JobStatus>, ServiceError> {
        Ok(q::status(self.store(), job).await?)
    }
}

/// What one turn of the runner did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Turn {
    Idle,
    Done(JobId),
    Retrying(JobId),
    Dead(JobId),
}

impl JobRunner {
    /// A runner with the built-in handlers.
    pub fn new(app: Switchboard) -> Self {
        let mut handlers: HashMap<&'static str, Arc<dyn JobHandler>> = HashMap::new();
        handlers.insert(HOUSEKEEPING, Arc::new(Housekeeping));
        handlers.insert(
            crate::routing::ASSIGNMENT_TIMEOUT,
            Arc::new(Method(|app, payload| Box::pin(app.assignment_timed_out(payload)))),
        );
        handlers.insert(
            crate::routing::ABSENCE_STARTS,
            Arc::new(Method(|app, payload| Box::pin(app.absence_started(payload)))),
        );
        handlers.insert(
            crate::routing::ABSENCE_ENDS,
            Arc::new(Method(|app, payload| Box::pin(app.absence_ended(payload)))),
        );
        handlers.insert(
            crate::routing::ACCOUNT_DEACTIVATED,
            Arc::new(Method(|app, payload| Box::pin(app.deactivated_work_released(payload)))),
        );
        handlers.insert(
            crate::response_times::RESPONSE_DUE_SOON,
            Arc::new(Method(|app, payload| Box::pin(app.response_check(payload, false)))),
        );
        handlers.insert(
            crate::response_times::RESPONSE_OVERDUE,
            Arc::new(Method(|app, payload| Box::pin(app.response_check(payload, true)))),
        );
        handlers.insert(
            crate::follow_ups::REPLY_UNREAD,
            Arc::new(Method(|app, payload| Box::pin(app.reply_unread(payload)))),
        );
        handlers.insert(
            crate::delivery::NOTIFY_REPLY,
            Arc::new(Method(|app, payload| Box::pin(app.notify_reply(payload)))),
        );
        handlers.insert(crate::oncall::PAGE_STEP, Arc::new(Method(|app, payload| Box::pin(app.page_step(payload)))));
        handlers.insert(
            crate::delivery::NOTIFY_ALERT,
            Arc::new(Method(|app, payload| Box::pin(app.notify_alert(payload)))),
        );
        handlers.insert(crate::delivery::DELIVER, Arc::new(Method(|app, payload| Box::pin(app.deliver_job(payload)))));
        handlers
            .insert(crate::retention::RETENTION, Arc::new(Method(|app, payload| Box::pin(app.retention_job(payload)))));
        handlers
            .insert(crate::export::RECORD_EXPORT, Arc::new(Method(|app, payload| Box::pin(app.export_job(payload)))));
        handlers.insert(
            crate::search::SEARCH_BACKFILL,
            Arc::new(Method(|app, payload| Box::pin(app.search_backfill(payload)))),
        );
        JobRunner {
            app,
            handlers: Arc::new(handlers),
            lease: Span::from_mins(5),
            name: "runner".into(),
            grace: Duration::from_secs(10),
            workers: 4,
        }
    }

    /// How long, at shutdown, the job being run may take to finish before
    /// it is handed back for another runner (default 10 s).
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// How many jobs [`Self::run`] runs at once (default 4).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Adds (or replaces) the handler for `kind` (letters, digits and `_`).
    pub fn with_handler(mut self, kind: &'static str, handler: Arc<dyn JobHandler>) -> Self {
        Arc::make_mut(&mut self.handlers).insert(kind, handler);
        self
    }

    /// Claims one due job, runs it and records the outcome.
    pub async fn run_once(&self) -> Result<Turn, ServiceError> {
        self.turn(&self.claim_token()?).await
    }

    fn claim_token(&self) -> Result<String, ServiceError> {
        let bytes = switchboard_crypto::random::array::<16>().map_err(|_| ServiceError::Internal)?;
        Ok(format!("{}:{}", self.name, bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
    }

    async fn turn(&self, token: &str) -> Result<Turn, ServiceError> {
        let app = &self.app;
        let now = app.now();
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        app.store()
            .commit(Unit::new().step(q::claim(app.store().backend(), &kinds, token, now, now.plus(self.lease))))
            .await?;
        let Some(job) = q::claimed(app.store(), token).await? else {
            return Ok(Turn::Idle);
        };
        let outcome = match self.handlers.get(job.kind.as_str()) {
            Some(h) => h.run(app, &job.payload).await,
            // Only claimed kinds it knows; kept for robustness.
            None => Err("unknown_job_kind".to_owned()),
        };
        let now = app.now();
        match outcome {
            Ok(()) => {
                app.store().commit(Unit::new().step(q::complete(job.id, token, now))).await?;
                Ok(Turn::Done(job.id))
            }
            Err(code) => {
                let retry_at = (job.attempts < job.max_attempts).then(|| now.plus(backoff(job.attempts)));
                tracing::warn!(kind = %job.kind, attempt = job.attempts, error = %code, "job failed");
                app.store().commit(Unit::new().step(q::fail(job.id, token, &code, retry_at, now))).await?;
                Ok(if retry_at.is_some() { Turn::Retrying(job.id) } else { Turn::Dead(job.id) })
            }
        }
    }

    /// Runs until `shutdown` resolves, with [`Self::with_workers`] workers
    /// (each claims and runs one job at a time, so slow jobs, such as an
    /// email waiting on its server, do not hold up the rest, and their
    /// commits share the writer's batches), waking when a commit in this
    /// process adds a job due now and polling otherwise. At shutdown each
    /// worker's job in hand gets the grace to finish; if it does not, its
    /// claim is released so that another node runs it now, not when the
    /// lease ends.
    pub async fn run(self, poll: Duration, shutdown: impl Future<Output = ()>) {
        // Housekeeping is always scheduled; the dedupe key keeps it single.
        if let Err(e) = self.app.schedule(HOUSEKEEPING, "{}", self.app.now(), Some(HOUSEKEEPING)).await {
            tracing::warn!(error = %e, "cannot schedule housekeeping");
        }
        // Indexes what was written before the search index existed; a
        // batch that finds the walk done does nothing.
        let backfill = crate::search::SEARCH_BACKFILL;
        if let Err(e) = self.app.schedule(backfill, "{}", self.app.now(), Some(backfill)).await {
            tracing::warn!(error = %e, "cannot schedule the search backfill");
        }
        // The daily retention run: one job, however many nodes start.
        let retention = crate::retention::RETENTION;
        if let Err(e) = self.app.schedule(retention, "{}", self.app.now(), Some(retention)).await {
            tracing::warn!(error = %e, "cannot schedule the retention run");
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.workers.max(1) {
            let (worker, mut stopped) = (self.clone(), stopped.clone());
            workers.spawn(async move {
                worker.work(poll, async move { while stopped.changed().await.is_ok() && !*stopped.borrow() {} }).await;
            });
        }
        shutdown.await;
        let _ = stop.send(true);
        while workers.join_next().await.is_some() {}
    }

    async fn work(self, poll: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let token = match self.claim_token() {
                Ok(t) => t,
                Err(_) => {
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(poll) => continue,
                    }
                }
            };
            let turn = self.turn(&token);
            tokio::pin!(turn);
            let turn = tokio::select! {
                _ = &mut shutdown => {
                    if tokio::time::timeout(self.grace, turn).await.is_err() {
                        self.release(&token).await;
                    }
                    return;
                }
                t = &mut turn => t,
            };
            match turn {
                Ok(Turn::Idle) | Err(_) => {
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(poll) => {}
                        _ = self.app.store().job_due() => {}
                    }
                }
                Ok(_) => {}
            }
        }
    }
}

impl JobRunner {
    async fn release(&self, token: &str) {
        let app = &self.app;
        match app.store().commit(Unit::new().step(q::release(token, app.now()))).await {
            Ok(_) => tracing::info!("shutting down: handed an unfinished job back"),
            Err(e) => tracing::warn!(error = %e, "shutting down: cannot hand a job back; it runs when its lease ends"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Span::from_secs(10));
        assert_eq!(backoff(2), Span::from_secs(20));
        assert_eq!(backoff(3), Span::from_secs(40));
        assert_eq!(backoff(100), Span::from_secs(3600));
        assert_eq!(backoff(0), Span::from_secs(10));
    }
}
