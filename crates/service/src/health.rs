//! Whether this node may serve: the start-up key check and readiness.
//!
//! A node started with the wrong master keys would write data and audit
//! entries nobody else can read or verify, so the keys are proved against
//! what the database holds before serving and again on every readiness
//! probe: one data key per master key in use is unwrapped (never from the
//! cache), and the audit chain's newest link is recomputed.

use crate::{ServiceError, Switchboard};
use std::fmt;
use std::time::Duration;
use switchboard_crypto::{CryptoError, WrappedKey};
use switchboard_store::HeadCheck;
use switchboard_store::audit_log;
use switchboard_store::queries::keys as key_q;

/// Why the keys on hand do not fit the database. The texts name key ids
/// only, never key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// Data keys are wrapped by master key `kek N`, which the keys lack.
    MissingMasterKey(u32),
    /// `kek N` is present but is not the key that wrapped the data keys.
    WrongMasterKey(u32),
    /// The audit chain's newest entry was not written with this `mac` key.
    WrongAuditKey,
    /// The audit chain's head and its last entry disagree.
    AuditChainDamaged,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::MissingMasterKey(id) => {
                write!(f, "master key `kek {id}` is missing: the database's data keys are wrapped by it")
            }
            KeyProblem::WrongMasterKey(id) => write!(
                f,
                "master key `kek {id}` is not the key the database's data keys were wrapped with (a different key file?)"
            ),
            KeyProblem::WrongAuditKey => {
                f.write_str("the `mac` key is not the key the audit log was written with (a different key file?)")
            }
            KeyProblem::AuditChainDamaged => {
                f.write_str("the audit chain's head does not match its last entry; run `switchboard audit verify`")
            }
        }
    }
}

/// One readiness check's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Ok,
    Failing,
    /// No answer in the time allowed (a database that hangs).
    TimedOut,
}

impl Check {
    pub fn is_ok(self) -> bool {
        self == Check::Ok
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Ok => "ok",
            Check::Failing => "failing",
            Check::TimedOut => "timeout",
        }
    }
}

/// Whether this node can do its work now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// The database answers a read.
    pub database: Check,
    /// A small durable write commits.
    pub writes: Check,
    /// The keys unwrap the stored data keys and verify the audit chain's head.
    pub keys: Check,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.writes.is_ok() && self.keys.is_ok()
    }
}

async fn within<F: std::future::Future<Output = bool>>(limit: Duration, check: F) -> Check {
    match tokio::time::timeout(limit, check).await {
        Ok(true) => Check::Ok,
        Ok(false) => Check::Failing,
        Err(_) => Check::TimedOut,
    }
}

impl Switchboard {
    /// What is wrong with the keys for this database, if anything. An empty
    /// database fits any keys.
    pub async fn key_problems(&self) -> Result<Vec<KeyProblem>, ServiceError> {
        let mut problems = Vec::new();
        for row in key_q::one_per_master_key(self.store()).await? {
            let wrapped = WrappedKey { kek_id: row.kek_id, bytes: row.wrapped };
            match self.keys().check_unwrap(*row.id.as_bytes(), &wrapped) {
                Ok(()) => {}
                Err(CryptoError::UnknownMasterKey(id)) => problems.push(KeyProblem::MissingMasterKey(id)),
                Err(CryptoError::Integrity) => problems.push(KeyProblem::WrongMasterKey(row.kek_id)),
                Err(e) => {
                    // The key file itself cannot be read now (removed, made
                    // readable by others, malformed): the cause is in the log.
                    tracing::error!(error = %e, "cannot read the master keys");
                    problems.push(KeyProblem::MissingMasterKey(row.kek_id));
                }
            }
        }
        match audit_log::verify_head(self.store(), &self.keys().audit_mac()).await? {
            HeadCheck::Empty | HeadCheck::Verified => {}
            HeadCheck::WrongKey => problems.push(KeyProblem::WrongAuditKey),
            HeadCheck::Damaged => problems.push(KeyProblem::AuditChainDamaged),
        }
        Ok(problems)
    }

    /// Readiness, answered within `limit` whatever the database does: every
    /// check runs at once, and one that has not answered by then counts as
    /// timed out.
    pub async fn readiness(&self, limit: Duration) -> Readiness {
        let database = within(limit, async { self.store().ping().await.is_ok() });
        let writes = within(limit, async { self.store().probe_write(self.now().as_micros()).await.is_ok() });
        let keys = within(limit, async {
            match self.key_problems().await {
                Ok(problems) if problems.is_empty() => true,
                Ok(problems) => {
                    for p in problems {
                        tracing::error!(problem = %p, "readiness: the keys do not fit the database");
                    }
                    false
                }
                Err(_) => false,
            }
        });
        let (database, writes, keys) = tokio::join!(database, writes, keys);
        Readiness { database, writes, keys }
    }
}
