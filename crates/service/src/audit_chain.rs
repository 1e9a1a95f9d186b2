//! Checking the audit log's tamper-evident chain (for `switchboard audit
//! verify`). The report is the domain's `audit::verify::VerifyReport`.

use crate::{ServiceError, Switchboard};
use switchboard_domain::audit::verify::VerifyReport;
use switchboard_store::audit_log;

impl Switchboard {
    /// Recomputes the audit chain from the first entry.
    pub async fn verify_audit(&self) -> Result<VerifyReport, ServiceError> {
        Ok(audit_log::verify(self.store(), &self.keys().audit_mac()).await?)
    }
}
