//! The writer: one task per process that owns the write connection,
//! batches concurrent units into one transaction (group commit) and keeps
//! the audit chain.

use crate::queries::bind_all;
use crate::unit::{Guard, Unit, Value};
use crate::{Backend, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor as _};
use std::time::Duration;
use switchboard_crypto::AuditMac;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

enum Msg {
    Unit(Pending),
    Shutdown(oneshot::Sender<()>),
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Msg>,
}

impl WriterHandle {
    pub(crate) async fn submit(&self, unit: Unit) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        let pending = Pending { unit, reply, submitted: Instant::now() };
        self.tx.send(Msg::Unit(pending)).await.map_err(|_| StoreError::Unavailable)?;
        rx.await.map_err(|_| StoreError::Unavailable)?
    }

    pub(crate) async fn shutdown(&self) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(reply)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// `wait` bounds how long a unit waits for the database from the moment it
/// is submitted: during an outage callers hear back within it instead of
/// queueing behind earlier units' failed attempts.
pub(crate) fn spawn(pool: AnyPool, backend: Backend, mac: AuditMac, max_batch: usize, wait: Duration) -> WriterHandle {
    let (tx, rx) = mpsc::channel(max_batch.saturating_mul(4));
    tokio::spawn(run(rx, Writer { pool, backend, mac, wait, failing: false }, max_batch));
    WriterHandle { tx }
}

struct Pending {
    unit: Unit,
    reply: oneshot::Sender<Result<(), StoreError>>,
    submitted: Instant,
}

struct Writer {
    pool: AnyPool,
    backend: Backend,
    mac: AuditMac,
    wait: Duration,
    /// The database did not answer the last batch.
    failing: bool,
}

async fn run(mut rx: mpsc::Receiver<Msg>, mut w: Writer, max_batch: usize) {
    let mut batch: Vec<Pending> = Vec::with_capacity(max_batch);
    let mut shutdown = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Unit(p) => batch.push(p),
            Msg::Shutdown(r) => shutdown = Some(r),
        }
        // Take whatever else is already waiting: these share one commit.
        while shutdown.is_none() && batch.len() < max_batch {
            match rx.try_recv() {
                Ok(Msg::Unit(p)) => batch.push(p),
                Ok(Msg::Shutdown(r)) => shutdown = Some(r),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            w.commit_batch(&mut batch).await;
        }
        if shutdown.is_some() {
            break;
        }
    }
    w.pool.close().await;
    if let Some(r) = shutdown {
        let _ = r.send(());
    }
}

/// Answers every unit of the batch with the same failure: none of them was
/// committed (the transaction was rolled back or never began).
fn fail_all(batch: &mut Vec<Pending>, cause: Option<StoreError>) {
    let full = matches!(cause, Some(StoreError::StorageFull));
    for p in batch.drain(..) {
        let e = if full { StoreError::StorageFull } else { StoreError::Unavailable };
        let _ = p.reply.send(Err(e));
    }
}

/// Why a step or the commit failed, for `fail_all`.
fn cause(e: sqlx::Error) -> Option<StoreError> {
    Some(StoreError::from(e))
}

impl Writer {
    async fn commit_batch(&mut self, batch: &mut Vec<Pending>) {
        let (pool, backend, mac) = (&self.pool, self.backend, &self.mac);
        let mut left = self.wait;
        if self.failing {
            // The database did not answer the last batch: units that already
            // waited their whole allowance behind it are answered now, and the
            // rest wait at most what is left of theirs (the oldest unit's).
            // While it answers, a busy queue is only slow, and nobody is
            // turned away for waiting in it.
            let now = Instant::now();
            let (mut late, on_time): (Vec<Pending>, Vec<Pending>) =
                batch.drain(..).partition(|p| now.saturating_duration_since(p.submitted) >= self.wait);
            *batch = on_time;
            fail_all(&mut late, None);
            let Some(oldest) = batch.iter().map(|p| p.submitted).min() else { return };
            left = self.wait.saturating_sub(now.saturating_duration_since(oldest));
        }
        let mut conn = match tokio::time::timeout(left, pool.acquire()).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "writer cannot get a connection");
                self.failing = true;
                return fail_all(batch, cause(e));
            }
            Err(_) => {
                tracing::warn!("writer cannot get a connection in time");
                self.failing = true;
                return fail_all(batch, None);
            }
        };
        let begin = match backend {
            // IMMEDIATE takes the write lock now, so the busy handler applies;
            // a deferred BEGIN that later upgrades fails without waiting.
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = conn.execute(begin).await {
            tracing::warn!(error = %e, "writer cannot begin a transaction");
            discard(conn);
            self.failing = true;
            return fail_all(batch, cause(e));
        }
        self.failing = false;

        let single = batch.len() == 1;
        let mut chain = Chain::default();
        let mut results: Vec<Result<(), StoreError>> = Vec::with_capacity(batch.len());
        for p in batch.iter_mut() {
            let unit = std::mem::take(&mut p.unit);
            if let Err(e) = if single { Ok(()) } else { conn.execute("SAVEPOINT unit").await.map(drop) } {
                discard(conn);
                return fail_all(batch, cause(e));
            }
            let saved = chain.clone();
            match apply(&mut conn, backend, mac, unit, &mut chain).await {
                Ok(()) => {
                    if let Err(e) = if single { Ok(()) } else { conn.execute("RELEASE SAVEPOINT unit").await.map(drop) }
                    {
                        let _ = conn.execute("ROLLBACK").await;
                        discard(conn);
                        return fail_all(batch, cause(e));
                    }
                    results.push(Ok(()));
                }
                Err(e) => {
                    chain = saved;
                    if single {
                        let _ = conn.execute("ROLLBACK").await;
                        if e.is_unavailable() {
                            discard(conn);
                        }
                        if let Some(p) = batch.pop() {
                            let _ = p.reply.send(Err(e));
                        }
                        return;
                    }
                    let rolled_back = conn.execute("ROLLBACK TO SAVEPOINT unit").await.is_ok()
                        && conn.execute("RELEASE SAVEPOINT unit").await.is_ok();
                    if !rolled_back {
                        let _ = conn.execute("ROLLBACK").await;
                        discard(conn);
                        return fail_all(batch, Some(e));
                    }
                    results.push(Err(e));
                }
            }
        }

        let finished = async {
            chain.store_head(&mut conn).await?;
            conn.execute("COMMIT").await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = finished {
            tracing::warn!(error = %e, "writer commit failed");
            let _ = conn.execute("ROLLBACK").await;
            discard(conn);
            return fail_all(batch, cause(e));
        }
        for (p, result) in batch.drain(..).zip(results) {
            let _ = p.reply.send(result);
        }
    }
}

/// Drops a connection that may be in an unknown state instead of returning
/// it to the pool.
fn discard(conn: PoolConnection<Any>) {
    drop(conn.detach());
}

async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
    mac: &AuditMac,
    unit: Unit,
    chain: &mut Chain,
) -> Result<(), StoreError> {
    for step in unit.steps {
        let done = bind_all(sqlx::query(step.sql), step.args).execute(&mut *conn).await?;
        if let Guard::RowsAffected(tag) = step.guard
            && done.rows_affected() == 0
        {
            return Err(StoreError::Conflict(tag));
        }
    }
    for record in unit.audit {
        chain.append(conn, backend, mac, &record).await?;
    }
    Ok(())
}

/// The audit chain's head as this transaction sees it.
#[derive(Clone, Default)]
struct Chain {
    loaded: Option<(i64, [u8; 32])>,
    current: Option<(i64, [u8; 32])>,
}

const INSERT_AUDIT: &str = "INSERT INTO audit_log (seq, at, practice_id, actor_kind, actor_id, action, outcome, patient_id, \
     resource_kind, resource_id, client_addr, detail, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

impl Chain {
    async fn head(&mut self, conn: &mut AnyConnection, backend: Backend) -> Result<(i64, [u8; 32]), StoreError> {
        if let Some(h) = self.current {
            return Ok(h);
        }
        let sql = match backend {
            Backend::Sqlite => "SELECT seq, mac FROM audit_head WHERE id = 1",
            // Appends from every node serialise on this row.
            Backend::Postgres => "SELECT seq, mac FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
        let seq: i64 = sqlx::Row::try_get(&row, 0)?;
        let mac: Vec<u8> = sqlx::Row::try_get(&row, 1)?;
        let mac: [u8; 32] = mac.try_into().map_err(|_| StoreError::Corrupt("audit head"))?;
        self.loaded = Some((seq, mac));
        self.current = Some((seq, mac));
        Ok((seq, mac))
    }

    async fn append(
        &mut self,
        conn: &mut AnyConnection,
        backend: Backend,
        mac: &AuditMac,
        r: &switchboard_domain::audit::AuditRecord,
    ) -> Result<(), StoreError> {
        let (seq, prev) = self.head(conn, backend).await?;
        let seq = seq + 1;
        let tag = mac.chain(&prev, &r.canonical_bytes(seq));
        let args: Vec<Value> = vec![
            seq.into(),
            r.at.as_micros().into(),
            r.practice.map(|p| p.to_vec()).into(),
            r.actor.kind_str().into(),
            r.actor.id_bytes().map(|u| u.to_vec()).into(),
            r.action.as_str().into(),
            r.outcome.as_str().into(),
            r.patient.map(|p| p.to_vec()).into(),
            r.resource.map(|(k, _)| k.as_str()).into(),
            r.resource.map(|(_, id)| id.to_vec()).into(),
            r.client_addr.clone().into(),
            r.detail.clone().into(),
            tag.to_vec().into(),
        ];
        bind_all(sqlx::query(INSERT_AUDIT), args).execute(&mut *conn).await?;
        self.current = Some((seq, tag));
        Ok(())
    }

    async fn store_head(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        match self.current {
            Some((seq, mac)) if self.current != self.loaded => {
                sqlx::query("UPDATE audit_head SET seq = $1, mac = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(mac.to_vec())
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
