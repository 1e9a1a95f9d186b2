//! Master-key rotation without downtime.
//!
//! 1. A new master key is added to the key file and becomes active; running
//!    servers notice the changed file the next time they create a data key
//!    or meet a data key wrapped by a master key they do not know.
//! 2. Every data key is rewrapped under the new master key (small batches,
//!    each guarded so that two rotations cannot clobber each other). The
//!    data itself is not re-encrypted.
//! 3. After a grace period for requests already in flight, a second sweep
//!    catches data keys created meanwhile; master keys that no data key uses
//!    any more are removed from the file.

use crate::{ServiceError, Switchboard};
use std::time::Duration;
use switchboard_crypto::WrappedKey;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_store::Unit;
use switchboard_store::queries::keys as key_q;
use switchboard_store::rows::WrappedKeyRow;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationReport {
    pub new_master_key: u32,
    pub rewrapped: u64,
    pub retired: Vec<u32>,
    /// Master keys still wrapping data keys (rotation must be run again).
    pub still_in_use: Vec<u32>,
}

const BATCH: i64 = 500;

impl Switchboard {
    async fn rewrap_all(&self) -> Result<u64, ServiceError> {
        let active = self.keys().active_master_key_id();
        let mut after = None;
        let mut total = 0u64;
        loop {
            let rows = key_q::not_wrapped_by(self.store(), active, after, BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            let mut unit = Unit::new();
            for row in &rows {
                let old = WrappedKey { kek_id: row.kek_id, bytes: row.wrapped.clone() };
                let Some(new) = self.keys().rewrap(*row.id.as_bytes(), &old).map_err(|e| {
                    tracing::error!(error = %e, "cannot rewrap a data key");
                    ServiceError::Internal
                })?
                else {
                    continue;
                };
                unit.push(key_q::rewrap(
                    row.id,
                    row.kek_id,
                    &WrappedKeyRow { id: row.id, kek_id: new.kek_id, wrapped: new.bytes },
                ));
                total += 1;
            }
            self.store().commit(unit).await?;
        }
        Ok(total)
    }

    /// Rotates the master key (see the module documentation). `grace` is how
    /// long to wait for in-flight requests before the final sweep.
    pub async fn rotate_master_key(&self, grace: Duration) -> Result<RotationReport, ServiceError> {
        let new_master_key = self.keys().add_master_key().map_err(|e| {
            tracing::error!(error = %e, "cannot add a master key");
            ServiceError::Internal
        })?;
        let mut rewrapped = self.rewrap_all().await?;
        tokio::time::sleep(grace).await;
        rewrapped += self.rewrap_all().await?;
        let in_use = key_q::master_keys_in_use(self.store()).await?;
        let retired = self.keys().retire_master_keys(&in_use).map_err(|_| ServiceError::Internal)?;
        let still_in_use: Vec<u32> = in_use.into_iter().filter(|k| *k != new_master_key).collect();
        let rec = AuditRecord::new(self.now(), None, AuditActor::System, AuditAction::MasterKeyRotated)
            .with_resource(ResourceKind::KeyRing, [0u8; 16])
            .with_detail(format!("new={new_master_key};rewrapped={rewrapped};retired={}", retired.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(RotationReport { new_master_key, rewrapped, retired, still_in_use })
    }
}
