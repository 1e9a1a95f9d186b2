//! Searching and verifying the audit log.

use crate::auth::Principal;
use crate::views::AuditPage;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{PatientId, UserId};
use switchboard_domain::policy::{self, Decision, PracticeAction};
use switchboard_domain::time::Timestamp;
use switchboard_store::{AuditQuery, Unit, VerifyReport, audit_log};

/// Filters for an audit search.
#[derive(Clone, Debug, Default)]
pub struct AuditSearch {
    pub patient: Option<PatientId>,
    pub actor: Option<UserId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

const MAX_AUDIT_PAGE: u32 = 500;

impl Switchboard {
    /// The caller's practice's audit log, newest first: practice
    /// administrators and compliance officers only.
    pub async fn search_audit(
        &self,
        p: &Principal,
        search: AuditSearch,
        ctx: &RequestContext,
    ) -> Result<AuditPage, ServiceError> {
        let practice = p.user.practice;
        let decision = policy::authorize_practice(&p.actor, PracticeAction::ReadAuditLog, practice);
        let mut rec = AuditRecord {
            at: self.now(),
            practice: Some(practice),
            actor: p.audit_actor(),
            action: AuditAction::AuditLogSearched,
            outcome: Outcome::Success,
            patient: search.patient,
            resource: Some((ResourceKind::AuditLog, *practice.as_bytes())),
            client_addr: ctx.client_text(),
            detail: None,
        };
        if let Decision::Deny(reason) = decision {
            rec.outcome = Outcome::Denied;
            rec.detail = Some(format!("denied:{}", reason.as_str()));
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::NotFound);
        }
        let limit = search.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_AUDIT_PAGE {
            return Err(ServiceError::Invalid {
                field: "limit",
                problem: format!("must be between 1 and {MAX_AUDIT_PAGE}"),
            });
        }
        if let (Some(from), Some(to)) = (search.from, search.to)
            && from > to
        {
            return Err(ServiceError::Invalid { field: "from", problem: "must not be after `to`".into() });
        }
        let entries = audit_log::search(
            self.store(),
            &AuditQuery {
                practice,
                patient: search.patient,
                actor: search.actor,
                from: search.from,
                to: search.to,
                before_seq: search.before,
                limit: i64::from(limit) + 1,
            },
        )
        .await?;
        let has_more = entries.len() > limit as usize;
        let entries: Vec<(i64, AuditRecord)> =
            entries.into_iter().take(limit as usize).map(|e| (e.seq, e.record)).collect();
        let next_before = if has_more { entries.last().map(|(s, _)| *s) } else { None };
        rec.detail = Some(format!("count={}", entries.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(AuditPage { entries, next_before })
    }

    /// Recomputes the audit chain from the first entry.
    pub async fn verify_audit(&self) -> Result<VerifyReport, ServiceError> {
        Ok(audit_log::verify(self.store(), &self.keys().audit_mac()).await?)
    }
}
