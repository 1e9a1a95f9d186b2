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

pub mod queries;

pub use audit::{AuditEntry, AuditQuery, VerifyProblem, VerifyReport};
pub mod audit_log {
    //! Audit-log reads and verification.
    pub use crate::audit::{latest, search, unplaced, verify};
}
pub use error::StoreError;
pub use migrate::MIGRATIONS;
pub use unit::{Guard, Step, Unit, Value};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions as _, Executor as _};
use std::path::Path;
use std::str::FromStr as _;
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
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { read_connections: 8, max_batch: 512 }
    }
}

/// The database: a read pool and the single writer.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    read: AnyPool,
    writer: writer::WriterHandle,
}

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

async fn pool(location: &Location, max: u32) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = location.backend();
    let opts = AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    sqlite_pragmas(conn).await?;
                }
                Ok(())
            })
        });
    opts.connect_with(connect_options(location)?).await.map_err(StoreError::from)
}

impl Store {
    /// Connects, runs pending migrations, and starts the writer.
    pub async fn open(location: &Location, options: StoreOptions, audit_mac: AuditMac) -> Result<Store, StoreError> {
        if let Location::SqliteFile(path) = location
            && let Some(dir) = path.parent()
        {
            std::fs::create_dir_all(dir).map_err(|_| StoreError::Config("cannot create the data directory"))?;
        }
        let backend = location.backend();
        let write_pool = pool(location, 1).await?;
        migrate::run(&write_pool, backend).await?;
        let read = pool(location, options.read_connections.max(1)).await?;
        let writer = writer::spawn(write_pool, backend, audit_mac, options.max_batch.max(1));
        Ok(Store { backend, read, writer })
    }

    /// Runs pending migrations only.
    pub async fn migrate(location: &Location) -> Result<Vec<i64>, StoreError> {
        let p = pool(location, 1).await?;
        let applied = migrate::run(&p, location.backend()).await;
        p.close().await;
        applied
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
        self.writer.submit(unit).await
    }

    /// Cheap liveness check for health endpoints.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Waits for the writer to finish what it has and closes the pools.
    pub async fn close(&self) {
        self.writer.shutdown().await;
        self.read.close().await;
    }
}

/// The file of an SQLite location, if any (for tools that inspect it).
pub fn sqlite_path(location: &Location) -> Option<&Path> {
    match location {
        Location::SqliteFile(p) => Some(p),
        Location::Postgres(_) => None,
    }
}
