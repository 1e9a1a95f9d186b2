//! Refusals: every request the policy turns down is recorded, in the
//! practice that owns what was asked for (`domain::audit::file_refusal`),
//! and answered like a missing thing.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, Outcome, ResourceKind, file_refusal};
use switchboard_domain::ids::{PatientId, PracticeId, UserId};
use switchboard_domain::policy::{self, Decision, PracticeAction};
use switchboard_store::Unit;
use switchboard_store::queries::directory;
use switchboard_store::rows::UserRow;

/// What a refused request reached for, and who owns it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// The practice that owns the resource; `None` when nothing by that id
    /// exists.
    pub owner: Option<PracticeId>,
    pub patient: Option<PatientId>,
    pub resource: Option<(ResourceKind, [u8; 16])>,
}

impl Target {
    /// Something by this id does not exist (anywhere).
    pub fn missing(kind: ResourceKind, id: [u8; 16]) -> Self {
        Target { owner: None, patient: None, resource: Some((kind, id)) }
    }
    /// A resource of `owner`, about `patient` if it is a patient's.
    pub fn owned(owner: PracticeId, patient: Option<PatientId>, kind: ResourceKind, id: [u8; 16]) -> Self {
        Target { owner: Some(owner), patient, resource: Some((kind, id)) }
    }
    /// The caller's own practice as a whole (its settings, lists, imports).
    pub fn practice(owner: PracticeId) -> Self {
        Target { owner: Some(owner), patient: None, resource: None }
    }
}

impl Switchboard {
    /// Records a refusal where it belongs and answers "not found".
    pub(crate) async fn deny(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        action: AuditAction,
        target: Target,
        detail: String,
    ) -> ServiceError {
        let refused =
            self.record(p, ctx, action).with_outcome(Outcome::Denied).with_patient(target.patient).with_detail(detail);
        let refused = match target.resource {
            Some((kind, id)) => refused.with_resource(kind, id),
            None => refused,
        };
        let mut unit = Unit::new();
        for rec in file_refusal(refused, target.owner).into_records() {
            unit.push_audit(rec);
        }
        match self.store().commit(unit).await {
            Ok(()) => ServiceError::NotFound,
            Err(e) => e.into(),
        }
    }

    /// The caller may do `action` to their practice; a refusal is recorded
    /// as an `attempted` that was denied.
    pub(crate) async fn practice_permission(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        action: PracticeAction,
        attempted: AuditAction,
    ) -> Result<(), ServiceError> {
        match policy::authorize_practice(&p.actor, action, p.user.practice) {
            Decision::Allow => Ok(()),
            Decision::Deny(why) => {
                let detail = format!("denied:{}", why.as_str());
                Err(self.deny(p, ctx, attempted, Target::practice(p.user.practice), detail).await)
            }
        }
    }

    /// An account of the caller's practice, for an administrator's change
    /// to it; anyone else's is refused and recorded with its practice.
    pub(crate) async fn own_practice_user(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        user: UserId,
        attempted: AuditAction,
    ) -> Result<UserRow, ServiceError> {
        match directory::user_by_id(self.store(), user).await? {
            Some(row) if row.practice == p.user.practice => Ok(row),
            Some(row) => {
                let target = Target::owned(row.practice, None, ResourceKind::User, *user.as_bytes());
                Err(self.deny(p, ctx, attempted, target, "denied:other_practice".into()).await)
            }
            None => {
                let target = Target::missing(ResourceKind::User, *user.as_bytes());
                Err(self.deny(p, ctx, attempted, target, "denied:not_found".into()).await)
            }
        }
    }
}
