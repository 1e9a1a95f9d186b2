//! Where a person is signed in: each session's public id, device and
//! address recorded at sign-in (and the address at last use), the list its
//! holder sees, ending one of them or all the others; and telling the
//! account holder of a sign-in from a new device and of repeated failed
//! sign-ins, through the delivery queue (fixed words, the practice's name
//! and a link to the settings page: never a device, an address or PHI).

use crate::auth::Principal;
use crate::delivery::Notice;
use crate::refusals::Target;
use crate::{RequestContext, ServiceError, Switchboard};
use std::net::IpAddr;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::SessionId;
use switchboard_domain::notify::NoticeKind;
use switchboard_domain::role::UserKind;
use switchboard_domain::session::{SessionState, SessionTimes, session_state};
use switchboard_domain::sign_in::{self, Place};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{deliveries as deliveries_q, directory, sessions};
use switchboard_store::rows::UserRow;
use switchboard_store::{Step, Unit};

/// One of the caller's sessions, as they are shown it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    pub id: SessionId,
    /// "Chrome on Android", "unknown device".
    pub device: String,
    /// "this computer", "a local network", the address.
    pub place: String,
    pub signed_in_at: Timestamp,
    pub last_used_at: Timestamp,
    /// The session this request came in on.
    pub current: bool,
}

/// The page a sign-in notice links to: the sessions section of the
/// holder's settings.
fn settings_path(kind: UserKind) -> &'static str {
    match kind {
        UserKind::Patient => "/app#/settings/sessions",
        UserKind::Staff => "/admin#sessions",
    }
}

impl Switchboard {
    /// The steps, in a sign-in's own commit, that record where the new
    /// session was opened (its public id, the device, the address) and
    /// remember the device, and, when the account has signed in before but
    /// not lately from this device and address, queue the notice of a new
    /// sign-in to its holder. Read before the sign-in is committed.
    pub(crate) async fn sign_in_origin_steps(
        &self,
        token_hash: &[u8; 32],
        user: &UserRow,
        ctx: &RequestContext,
    ) -> Result<Vec<Step>, ServiceError> {
        let now = self.now();
        let public_id = self.new_id(SessionId::from_bytes)?;
        let device = ctx.device.describe();
        let addr = ctx.client_text();
        let addr_key = addr.clone().unwrap_or_default();
        let first = sessions::last_login_at(self.store(), user.id).await?.is_none();
        let since = now.minus(sign_in::KNOWN_DEVICE_MEMORY);
        let known = sessions::device_known(self.store(), user.id, &device, &addr_key, since).await?;
        let mut steps = vec![
            sessions::record_origin(token_hash, public_id, &device, addr.as_deref()),
            sessions::remember_device(user.id, &device, &addr_key, now),
        ];
        if sign_in::tell_new_sign_in(first, known) {
            let cause = format!("new_sign_in:{public_id}");
            steps.extend(self.account_notice_steps(user, NoticeKind::NewSignIn, cause).await?);
        }
        Ok(steps)
    }

    /// The steps that tell an account's holder of failed sign-ins, when this
    /// failure is the one they are told at (the fifth in a row in the
    /// throttle window, so once per window).
    pub(crate) async fn failed_sign_in_steps(
        &self,
        user: &UserRow,
        consecutive: u32,
    ) -> Result<Vec<Step>, ServiceError> {
        if !user.active || !sign_in::tell_failures(consecutive) {
            return Ok(Vec::new());
        }
        let cause = format!("failed_sign_ins:{}:{}", user.id, self.now().as_micros());
        self.account_notice_steps(user, NoticeKind::FailedSignIns, cause).await
    }

    /// The steps that queue `kind` to the holder of `user`'s account by the
    /// media they chose: a patient's addresses on file and browsers, a
    /// staff member's browsers (and mobile, if they opted in).
    async fn account_notice_steps(
        &self,
        user: &UserRow,
        kind: NoticeKind,
        cause: String,
    ) -> Result<Vec<Step>, ServiceError> {
        let path = settings_path(user.kind).to_owned();
        match user.kind {
            UserKind::Patient => {
                // A caregiver-only account has no record: push only.
                let patient = directory::patient_by_user(self.store(), user.id).await?;
                let notice = Notice {
                    practice: user.practice,
                    kind,
                    user: Some(user.id),
                    patient: patient.map(|p| p.id),
                    path,
                    cause,
                };
                Ok(self.patient_notice_steps(&notice, None).await?.0)
            }
            UserKind::Staff => self.staff_notice_steps(user, kind, cause, path).await,
        }
    }

    /// The steps that queue `kind` (opening `path`) to a staff member by
    /// the media they chose, once per `cause`.
    pub(crate) async fn staff_notice_steps(
        &self,
        user: &UserRow,
        kind: NoticeKind,
        cause: String,
        path: String,
    ) -> Result<Vec<Step>, ServiceError> {
        if deliveries_q::cause_exists(self.store(), &cause).await? {
            return Ok(Vec::new());
        }
        let notice = Notice { practice: user.practice, kind, user: Some(user.id), patient: None, path, cause };
        let choices = self.effective_choices(user.practice, Some(user.id), true).await?;
        let destinations = self.staff_destinations(user.id, choices.reach).await?;
        let release = self.release_time(user.practice, kind, choices.quiet).await?;
        self.notice_steps(&notice, &destinations, release).await
    }

    /// The caller's sessions that are still open: this one first, then the
    /// others, last used first.
    pub async fn my_sessions(&self, p: &Principal) -> Result<Vec<SessionView>, ServiceError> {
        let now = self.now();
        let limits = self.config().sessions.for_kind(p.user.kind);
        let rows = sessions::open_for_user(self.store(), p.user.id, now.minus(limits.idle), now.minus(limits.absolute))
            .await?;
        let (this, others): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.token_hash == p.token_hash);
        Ok(this
            .into_iter()
            .chain(others)
            .filter(|r| {
                let times = SessionTimes { created_at: r.created_at, last_seen_at: r.last_seen_at, revoked: false };
                session_state(times, limits, now) == SessionState::Active
            })
            .map(|r| {
                let addr = r.last_client_addr.as_deref().or(r.client_addr.as_deref());
                SessionView {
                    id: r.public_id,
                    device: r.device.unwrap_or_else(|| sign_in::UNKNOWN_DEVICE.to_owned()),
                    place: Place::of(addr.and_then(|a| a.parse::<IpAddr>().ok())).describe(),
                    signed_in_at: r.created_at,
                    last_used_at: r.last_seen_at,
                    current: r.token_hash == p.token_hash,
                }
            })
            .collect())
    }

    /// Ends one of the caller's sessions (any but one of another person,
    /// which is "not found"), and drops the push subscriptions made in it,
    /// as signing out there would. Its live streams end at their next
    /// check.
    pub async fn end_my_session(&self, p: &Principal, id: SessionId, ctx: &RequestContext) -> Result<(), ServiceError> {
        let now = self.now();
        let limits = self.config().sessions.for_kind(p.user.kind);
        let rows = sessions::open_for_user(self.store(), p.user.id, now.minus(limits.idle), now.minus(limits.absolute))
            .await?;
        let Some(row) = rows.into_iter().find(|r| r.public_id == id) else {
            let target = Target::missing(ResourceKind::Session, *id.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::Logout, target, "not_own_open_session".into()).await);
        };
        let unit = Unit::new().steps(self.end_session_steps(p, &row.token_hash, now)).audit(
            self.record(p, ctx, AuditAction::Logout)
                .with_resource(ResourceKind::Session, *id.as_bytes())
                .with_detail(format!("session={id}")),
        );
        self.store().commit(unit).await?;
        Ok(())
    }

    /// Ends every session of the caller's but this one; answers how many.
    pub async fn end_my_other_sessions(&self, p: &Principal, ctx: &RequestContext) -> Result<usize, ServiceError> {
        let now = self.now();
        let limits = self.config().sessions.for_kind(p.user.kind);
        let rows = sessions::open_for_user(self.store(), p.user.id, now.minus(limits.idle), now.minus(limits.absolute))
            .await?;
        let others: Vec<_> = rows.into_iter().filter(|r| r.token_hash != p.token_hash).collect();
        if others.is_empty() {
            return Ok(0);
        }
        let mut unit = Unit::new();
        for row in &others {
            unit.extend(self.end_session_steps(p, &row.token_hash, now));
            unit.push_audit(
                self.record(p, ctx, AuditAction::Logout)
                    .with_resource(ResourceKind::Session, *row.public_id.as_bytes())
                    .with_detail(format!("session={}", row.public_id)),
            );
        }
        self.store().commit(unit).await?;
        Ok(others.len())
    }

    fn end_session_steps(&self, p: &Principal, token_hash: &[u8; 32], now: Timestamp) -> Vec<Step> {
        vec![
            sessions::revoke_for_user(p.user.id, token_hash, now),
            deliveries_q::delete_session_push_subscriptions(token_hash),
        ]
    }
}
