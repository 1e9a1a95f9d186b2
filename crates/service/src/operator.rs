//! The deployment's operator: whoever runs Switchboard for several
//! practices (a health system's IT, a hosting vendor). They hold API keys
//! made on the command line, create practices with a first administrator,
//! and see the practices by name and counts. They never see a patient, a
//! message or a practice's settings: a practice's administrators run it.

use crate::onboarding::IssuedLink;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{OperatorKeyId, PracticeId, UserId};
pub use switchboard_domain::operator::{OperatorKey, PracticeOverview};
use switchboard_domain::text::DisplayName;
use switchboard_store::Conflict;
use switchboard_store::Unit;
use switchboard_store::queries::operator as q;

/// Operator keys start with this, so that they are told apart from session
/// tokens at a glance and by secret scanners.
pub const KEY_PREFIX: &str = "sbop_";

/// A request made with a valid operator key.
#[derive(Clone, Debug)]
pub struct OperatorPrincipal {
    pub key: OperatorKeyId,
}

impl OperatorPrincipal {
    fn actor(&self) -> AuditActor {
        AuditActor::Operator { key: self.key }
    }
}

/// A practice just created for an operator.
#[derive(Clone, Debug)]
pub struct CreatedPractice {
    pub practice: PracticeId,
    pub admin: UserId,
    pub setup_link: IssuedLink,
}

impl Switchboard {
    /// Makes an operator key (`switchboard operator key create`). The key's
    /// text is returned once and only its hash is kept.
    pub async fn create_operator_key(&self, name: &str) -> Result<(OperatorKeyId, String), ServiceError> {
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the key's name", e))?;
        let (secret, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        let id = self.new_id(OperatorKeyId::from_bytes)?;
        let unit = Unit::new().step(q::insert_key(id, name.as_str(), &hash, self.now())).audit(
            AuditRecord::new(self.now(), None, AuditActor::System, AuditAction::OperatorKeyCreated)
                .with_resource(ResourceKind::OperatorKey, *id.as_bytes()),
        );
        self.store().commit(unit).await?;
        Ok((id, format!("{KEY_PREFIX}{secret}")))
    }

    /// Every operator key, revoked or not (`switchboard operator key list`).
    pub async fn operator_keys(&self) -> Result<Vec<OperatorKey>, ServiceError> {
        Ok(q::keys(self.store()).await?)
    }

    /// Revokes an operator key at once (`switchboard operator key revoke`).
    pub async fn revoke_operator_key(&self, key: OperatorKeyId) -> Result<(), ServiceError> {
        let unit = Unit::new().step(q::revoke_key(key, self.now())).audit(
            AuditRecord::new(self.now(), None, AuditActor::System, AuditAction::OperatorKeyRevoked)
                .with_resource(ResourceKind::OperatorKey, *key.as_bytes()),
        );
        match self.store().commit(unit).await {
            Ok(()) => Ok(()),
            Err(switchboard_store::StoreError::Conflict(Conflict::KeyMissing)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a presented operator key. Anything else (a session token, a
    /// revoked key, garbage) is `Unauthenticated`, and on record.
    pub async fn authenticate_operator(
        &self,
        presented: &str,
        ctx: &RequestContext,
    ) -> Result<OperatorPrincipal, ServiceError> {
        let hash = presented.strip_prefix(KEY_PREFIX).and_then(token::hash_presented_token);
        let key = match hash {
            Some(h) => q::key_by_token_hash(self.store(), &h).await?.filter(|k| k.revoked_at.is_none()),
            None => None,
        };
        let Some(key) = key else {
            let rec = AuditRecord::new(self.now(), None, AuditActor::Anonymous, AuditAction::OperatorAuthFailed)
                .with_client_addr(ctx.client_text())
                .with_outcome(Outcome::Denied);
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::Unauthenticated);
        };
        // Last use, at most once a minute per key: enough to spot a key
        // nobody uses any more.
        let now = self.now();
        if key.last_used_at.is_none_or(|t| t.plus(switchboard_domain::time::Span::from_mins(1)) <= now) {
            self.store().commit(Unit::new().step(q::touch_key(key.id, now))).await?;
        }
        Ok(OperatorPrincipal { key: key.id })
    }

    /// Creates a practice and its first administrator for an operator; the
    /// administrator's one-time set-up link is returned to hand over.
    pub async fn operator_create_practice(
        &self,
        op: &OperatorPrincipal,
        name: &str,
        admin_username: &str,
        admin_display_name: &str,
        ctx: &RequestContext,
    ) -> Result<CreatedPractice, ServiceError> {
        let (practice, admin, setup_link) =
            self.create_practice_with_admin(name, admin_username, admin_display_name, op.actor(), Some(ctx)).await?;
        Ok(CreatedPractice { practice, admin, setup_link })
    }

    /// The deployment's practices with their counts (no PHI), on record.
    pub async fn operator_practices(
        &self,
        op: &OperatorPrincipal,
        ctx: &RequestContext,
    ) -> Result<Vec<PracticeOverview>, ServiceError> {
        let rows = q::practices(self.store()).await?;
        let rec = AuditRecord::new(self.now(), None, op.actor(), AuditAction::PracticesListed)
            .with_client_addr(ctx.client_text())
            .with_detail(format!("count={}", rows.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(rows)
    }

    /// The operator's log: what belongs to no practice (sign-in failures
    /// for names nobody has, unknown link tokens, operator keys refused),
    /// newest first; reading it is on record.
    pub async fn operator_audit(
        &self,
        op: &OperatorPrincipal,
        before: Option<i64>,
        limit: Option<i64>,
        ctx: &RequestContext,
    ) -> Result<crate::views::AuditPage, ServiceError> {
        let limit = limit.unwrap_or(100).clamp(1, 500);
        let mut rows = switchboard_store::audit_log::unplaced(self.store(), before, limit + 1).await?;
        let more = usize::try_from(limit).is_ok_and(|l| rows.len() > l);
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let rec = AuditRecord::new(self.now(), None, op.actor(), AuditAction::AuditLogSearched)
            .with_client_addr(ctx.client_text())
            .with_detail(format!("operator_log count={}", rows.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        let next_before = if more { rows.last().map(|e| e.seq) } else { None };
        let entries = rows
            .into_iter()
            .map(|e| crate::views::AuditEntryView {
                seq: e.seq,
                record: e.record,
                actor_name: None,
                actor_role: None,
                patient_name: None,
            })
            .collect();
        Ok(crate::views::AuditPage { entries, next_before })
    }
}
