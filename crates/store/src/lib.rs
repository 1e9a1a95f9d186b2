//! Persistence for Switchboard on SQLite (embedded, the default) and
//! PostgreSQL (several nodes), through one code path.
//!
//! - Reads go to a pool of connections and return plain row structs.
//! - Writes are [`Unit`]s: lists of SQL steps plus the audit records that
//!   describe them. One writer task per process collects the units that
//!   arrive together, runs each in its own savepoint inside one transaction,
//!   appends their audit records to the hash chain, and commits once: the
//!   commit is durable (SQLite `synchronous=FULL`, PostgreSQL default) before
//!   any caller hears back, and concurrent writers share one flush (group
//!   commit).
//! - The SQL is written once with `$n` placeholders and portable types
//!   (16-byte ids, 64-bit integer microseconds, text codes, byte strings);
//!   the few dialect differences are chosen by [`Backend`].
//!
//! This crate knows SQL, not HTTP, and never sees plaintext PHI: columns
//! ending in `_ct` arrive already encrypted.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod audit;
mod error;
mod migrate;
pub mod rows;
mod unit;
mod writer;

pub mod blobs;
pub mod queries;

pub use audit::{AuditEntry, AuditQuery, HeadCheck};
pub mod audit_log {
    //! Audit-log reads and verification.
    pub use crate::audit::{head, latest, mac_at, search, unplaced, verify, verify_head};
}
pub use error::{Conflict, StoreError};
pub use migrate::MIGRATIONS;
pub use unit::{Guard, Step, Unit, Value};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions as _, Executor as _};
use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;
use switchboard_crypto::AuditMac;

/// Which database engine is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub enum Location {
    /// An SQLite database file (created if absent).
    SqliteFile(std::path::PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl Location {
    pub fn backend(&self) -> Backend {
        match self {
            Location::SqliteFile(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Tuning for the pools.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub read_connections: u32,
    /// How many units one transaction may carry.
    pub max_batch: usize,
    /// How long a read waits for a connection, and a unit for the writer to
    /// reach the database, before failing as [`StoreError::Unavailable`].
    /// Short, so that during an outage requests answer 503 quickly instead of
    /// piling up.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { read_connections: 8, max_batch: 512, acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT }
    }
}

/// See [`StoreOptions::acquire_timeout`].
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

/// What a database already holds, read before any key is created for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Existing {
    /// Audit entries written (the chain head's sequence number).
    pub audit_entries: i64,
    /// The master keys that wrap its data keys.
    pub master_keys: Vec<u32>,
    pub users: i64,
}

impl Existing {
    pub fn is_empty(&self) -> bool {
        self.audit_entries == 0 && self.master_keys.is_empty() && self.users == 0
    }
}

/// The database: a read pool and the single writer.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    read: AnyPool,
    writer: writer::WriterHandle,
    /// The SQLite file, whose volume's free space readiness watches.
    sqlite_file: Option<std::path::PathBuf>,
    /// This process's row in `readiness_probe`.
    node: [u8; 16],
    /// When a write last failed for want of space. A small probe may still
    /// fit where real writes no longer do (a page with room left, a WAL
    /// that is reused), so readiness also trusts what real writes met.
    storage_failed_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Told when a commit adds a job that is due now, so that idle job
    /// runners in this process start at once rather than at their next poll.
    jobs_due: Arc<tokio::sync::Notify>,
}

/// How long a real write's storage failure keeps readiness failing.
const STORAGE_FAILURE_MEMORY: Duration = Duration::from_secs(10);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

fn connect_options(location: &Location) -> Result<AnyConnectOptions, StoreError> {
    let url = match location {
        Location::SqliteFile(path) => {
            let p = path.to_str().ok_or(StoreError::Config("the database path must be valid UTF-8"))?;
            format!("sqlite://{p}?mode=rwc")
        }
        Location::Postgres(url) => url.clone(),
    };
    let opts = AnyConnectOptions::from_str(&url).map_err(|_| StoreError::Config("the database URL is not valid"))?;
    // Statement logging would print SQL with parameter placeholders only,
    // but keep it quiet: the application log is not an SQL trace.
    Ok(opts.disable_statement_logging())
}

async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    // WAL lets readers run beside the writer; synchronous=FULL makes each
    // commit durable before it returns.
    for pragma in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 10000",
        "PRAGMA secure_delete = ON",
    ] {
        conn.execute(pragma).await?;
    }
    Ok(())
}

/// The SQLite file and its directory, private to the service's user: the
/// file is created 0600 before SQLite opens it, because SQLite gives its
/// `-wal` and `-shm` files the database file's mode. Files left 0644 by
/// earlier versions are tightened.
fn prepare_sqlite_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|_| StoreError::Config("cannot create the data directory"))?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return Err(StoreError::Config("cannot create the database file")),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = Path::new(&name);
        if let Ok(meta) = std::fs::metadata(file)
            && meta.permissions().mode() & 0o077 != 0
        {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                .map_err(|_| StoreError::Config("cannot make the database file private (mode 0600)"))?;
        }
    }
    Ok(())
}

async fn pool(location: &Location, max: u32, acquire_timeout: Duration) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    if let Location::SqliteFile(path) = location {
        prepare_sqlite_file(path)?;
    }
    let backend = location.backend();
    let opts =
        AnyPoolOptions::new().max_connections(max).min_connections(0).acquire_timeout(acquire_timeout).after_connect(
            move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite_pragmas(conn).await?;
                    }
                    Ok(())
                })
            },
        );
    opts.connect_with(connect_options(location)?).await.map_err(StoreError::from)
}

impl Store {
    /// Connects, runs pending migrations, and starts the writer.
    pub async fn open(location: &Location, options: StoreOptions, audit_mac: AuditMac) -> Result<Store, StoreError> {
        let backend = location.backend();
        let wait = options.acquire_timeout;
        let write_pool = pool(location, 1, wait).await?;
        migrate::run(&write_pool, backend).await?;
        forget_departed_nodes(&write_pool).await?;
        let read = pool(location, options.read_connections.max(1), wait).await?;
        let writer = writer::spawn(write_pool, backend, audit_mac, options.max_batch.max(1), wait);
        let sqlite_file = sqlite_path(location).map(Path::to_path_buf);
        let node = switchboard_crypto::random::array::<16>().map_err(|_| StoreError::Config("no randomness"))?;
        Ok(Store {
            backend,
            read,
            writer,
            sqlite_file,
            node,
            storage_failed_at: Arc::default(),
            jobs_due: Arc::default(),
        })
    }

    /// Runs pending migrations only.
    pub async fn migrate(location: &Location) -> Result<Vec<i64>, StoreError> {
        let p = pool(location, 1, DEFAULT_ACQUIRE_TIMEOUT).await?;
        let applied = migrate::run(&p, location.backend()).await;
        p.close().await;
        applied
    }

    /// What the database at `location` already holds (migrating it first,
    /// so that a new database answers "nothing"). Needs no keys: it is asked
    /// before deciding whether a new master key may be made.
    pub async fn existing(location: &Location) -> Result<Existing, StoreError> {
        let p = pool(location, 1, DEFAULT_ACQUIRE_TIMEOUT).await?;
        let read = async {
            migrate::run(&p, location.backend()).await?;
            let head = sqlx::query("SELECT seq FROM audit_head WHERE id = 1").fetch_optional(&p).await?;
            let audit_entries = match head {
                Some(row) => rows::col::<i64>(&row, "seq")?,
                None => 0,
            };
            let keks = sqlx::query("SELECT DISTINCT kek_id FROM data_keys ORDER BY kek_id").fetch_all(&p).await?;
            let master_keys = keks
                .iter()
                .map(|r| u32::try_from(rows::col::<i64>(r, "kek_id")?).map_err(|_| StoreError::Corrupt("kek_id")))
                .collect::<Result<Vec<u32>, StoreError>>()?;
            let users = sqlx::query("SELECT count(*) AS n FROM users").fetch_one(&p).await?;
            Ok(Existing { audit_entries, master_keys, users: rows::col::<i64>(&users, "n")? })
        }
        .await;
        p.close().await;
        read
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The read pool, for the query modules.
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Commits `unit` durably (with its audit records) or not at all.
    pub async fn commit(&self, unit: Unit) -> Result<(), StoreError> {
        let wakes_jobs = unit.steps.iter().any(|s| s.wakes_jobs);
        let result = self.writer.submit(unit).await;
        if wakes_jobs && result.is_ok() {
            // Every idle runner now, and a permit for one about to wait.
            self.jobs_due.notify_waiters();
            self.jobs_due.notify_one();
        }
        let failed = match &result {
            Ok(()) => Some(None),
            Err(StoreError::StorageFull) => Some(Some(std::time::Instant::now())),
            Err(_) => None,
        };
        if let (Some(at), Ok(mut last)) = (failed, self.storage_failed_at.lock()) {
            *last = at;
        }
        result
    }

    /// Resolves when a commit in this process adds a job that is due now.
    pub async fn job_due(&self) {
        self.jobs_due.notified().await;
    }

    /// Cheap liveness check for health endpoints.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// A small durable write through the writer (the readiness probe's row),
    /// so readiness fails when writes fail: a full disk, a read-only or
    /// unreachable database. Records nothing in the audit log.
    pub async fn probe_write(&self, at_micros: i64) -> Result<(), StoreError> {
        // One small write can still fit where the last failed one left room
        // (SQLite reuses its WAL), so the volume's free space is judged too.
        if let Some(file) = &self.sqlite_file
            && let Some(free) = free_bytes(file)
            && free < MIN_FREE_BYTES
        {
            return Err(StoreError::StorageFull);
        }
        let recently_full = self
            .storage_failed_at
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < STORAGE_FAILURE_MEMORY);
        if recently_full {
            return Err(StoreError::StorageFull);
        }
        let mut unit = Unit::new();
        unit.push(Step::new(
            "INSERT INTO readiness_probe (node_id, checked_at) VALUES ($1, $2) \
             ON CONFLICT (node_id) DO UPDATE SET checked_at = excluded.checked_at",
            vec![self.node.to_vec().into(), at_micros.into()],
        ));
        self.commit(unit).await
    }

    /// Waits for the writer to finish what it has and closes the pools.
    pub async fn close(&self) {
        self.writer.shutdown().await;
        self.read.close().await;
    }
}

/// Removes the probe rows of nodes not heard from for a week, at start, in
/// a statement of its own (so it never holds a lock a writer waits on).
async fn forget_departed_nodes(pool: &AnyPool) -> Result<(), StoreError> {
    const WEEK_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    sqlx::query("DELETE FROM readiness_probe WHERE checked_at < $1")
        .bind(now.saturating_sub(WEEK_MICROS))
        .execute(pool)
        .await?;
    Ok(())
}

/// Below this much free space on the SQLite volume, writes are about to
/// fail (a message with its audit record and event takes tens of KiB of WAL).
const MIN_FREE_BYTES: u64 = 4 << 20;

/// Free bytes for unprivileged writers on the volume holding `file`, if the
/// system says.
fn free_bytes(file: &Path) -> Option<u64> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// The file of an SQLite location, if any (for tools that inspect it).
pub fn sqlite_path(location: &Location) -> Option<&Path> {
    match location {
        Location::SqliteFile(p) => Some(p),
        Location::Postgres(_) => None,
    }
}
