//! What staff are told outside the inbox: every alert raised for them
//! (an urgent message, an escalation, a response overdue, a reply left
//! unread) by push to their browsers and, if they opted in, by SMS to their
//! mobile number. The words are the practice's name and a link, as for
//! patients.

use super::queue::{Destination, Notice};
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{self, NoticeKind, Reach};
use switchboard_domain::role::UserKind;
use switchboard_domain::text::PhoneNumber;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{
    deliveries as q, directory as d, jobs as job_q, keys as keys_q, routing as routing_q,
};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Step, Unit};

/// The job that tells a staff member of an alert; payload
/// `alert:user:conversation:kind`.
pub const NOTIFY_ALERT: &str = "notify_alert";

/// Staff are reached by push unless they choose otherwise; SMS only when
/// they opt in and have a mobile number on file.
pub(crate) const STAFF_DEFAULT_REACH: Reach = Reach { email: false, sms: false, push: true };

impl Switchboard {
    /// The steps that raise an alert for a staff member: the row the inbox
    /// shows, and the job that tells them outside it.
    pub(crate) fn alert_steps(
        &self,
        practice: PracticeId,
        user: UserId,
        conversation: ConversationId,
        kind: &str,
        now: Timestamp,
    ) -> Result<Vec<Step>, ServiceError> {
        let alert = self.new_id(AlertId::from_bytes)?;
        let job = self.new_id(JobId::from_bytes)?;
        let payload = format!("{alert}:{user}:{conversation}:{kind}");
        Ok(vec![
            routing_q::insert_alert(alert, practice, user, conversation, kind, now),
            job_q::enqueue(job, NOTIFY_ALERT, &payload, now, 8, None, now),
        ])
    }

    pub(crate) async fn notify_alert(&self, payload: &str) -> Result<(), String> {
        let bad = || "bad_payload".to_owned();
        let mut parts = payload.splitn(4, ':');
        let (Some(a), Some(u), Some(c), Some(kind)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let alert = AlertId::parse(a).map_err(|_| bad())?;
        let user = UserId::parse(u).map_err(|_| bad())?;
        let conversation = ConversationId::parse(c).map_err(|_| bad())?;
        let Some(row) = d::user_by_id(self.store(), user).await.map_err(job_error)? else { return Ok(()) };
        if !row.active || row.kind != UserKind::Staff {
            return Ok(());
        }
        let kind = match kind {
            "urgent_message" => NoticeKind::UrgentMessage,
            "escalated" => NoticeKind::Escalation,
            _ => NoticeKind::Alert,
        };
        let notice = Notice {
            practice: row.practice,
            kind,
            user: Some(user),
            patient: None,
            path: format!("/inbox#/needs_response/c/{conversation}"),
            cause: format!("alert:{alert}"),
        };
        self.notify_staff(&notice).await.map_err(job_error)?;
        Ok(())
    }

    /// Queues `notice` for a staff member by their media.
    pub(crate) async fn notify_staff(&self, notice: &Notice) -> Result<usize, ServiceError> {
        let Some(user) = notice.user else { return Ok(0) };
        if q::cause_exists(self.store(), &notice.cause).await? {
            return Ok(0);
        }
        let choices = self.effective_choices(notice.practice, Some(user), true).await?;
        let destinations = self.staff_destinations(user, choices.reach).await?;
        let release = self.release_time(notice.practice, notice.kind, choices.quiet).await?;
        let steps = self.notice_steps(notice, &destinations, release).await?;
        if !steps.is_empty() {
            self.store().commit(Unit::new().steps(steps)).await?;
        }
        Ok(destinations.len())
    }

    pub(crate) async fn staff_destinations(
        &self,
        user: UserId,
        reach: Reach,
    ) -> Result<Vec<Destination>, ServiceError> {
        let mut out = Vec::new();
        if reach.push {
            out.extend(q::push_subscriptions(self.store(), user).await?.into_iter().map(Destination::Push));
        }
        if reach.sms
            && let Some(number) = self.staff_mobile(user).await?
        {
            out.extend(notify::e164(&number).map(Destination::Phone));
        }
        Ok(out)
    }

    pub(crate) async fn staff_mobile(&self, user: UserId) -> Result<Option<String>, ServiceError> {
        let Some((key, sealed)) = q::staff_mobile(self.store(), user).await? else { return Ok(None) };
        let key = sealing::data_key(self.keys(), &key)?;
        Ok(Some(sealing::open(&key, column::STAFF_MOBILE, user.as_bytes(), &sealed)?))
    }

    /// The signed-in staff member's mobile number, for SMS alerts.
    pub async fn my_mobile(&self, p: &Principal) -> Result<Option<String>, ServiceError> {
        if p.user.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        self.staff_mobile(p.user.id).await
    }

    /// `text` checked as a mobile number that can be texted, and sealed for
    /// `user` under a new data key.
    pub(crate) fn sealed_staff_mobile(
        &self,
        practice: PracticeId,
        user: UserId,
        text: &str,
    ) -> Result<SealedMobile, ServiceError> {
        let number = PhoneNumber::parse(text).map_err(|e| ServiceError::invalid("mobile", "the mobile number", e))?;
        let Some(e164) = notify::e164(number.as_str()) else {
            return Err(ServiceError::Invalid {
                field: "mobile",
                problem: "write the number with its country code (+44 …) or as a 10-digit US number".into(),
            });
        };
        let key_id = self.new_id(DataKeyId::from_bytes)?;
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let step = keys_q::insert(
            &WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
            practice,
            self.now(),
        );
        let sealed = sealing::seal(&key, column::STAFF_MOBILE, user.as_bytes(), number.as_str())?;
        Ok(SealedMobile { key_step: step, sealed: (key_id, sealed), e164 })
    }

    /// Sets (or clears) the signed-in staff member's mobile number.
    pub async fn save_my_mobile(
        &self,
        p: &Principal,
        mobile: Option<String>,
        ctx: &RequestContext,
    ) -> Result<Option<String>, ServiceError> {
        if p.user.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        let mobile = mobile.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        let now = self.now();
        let mut unit = Unit::new();
        let sealed = match &mobile {
            Some(m) => {
                let mobile = self.sealed_staff_mobile(p.user.practice, p.user.id, m)?;
                unit.push(mobile.key_step);
                Some(mobile.sealed)
            }
            None => None,
        };
        let unit = unit.step(q::set_staff_mobile(p.user.id, sealed, now)).audit(
            self.record(p, ctx, AuditAction::NotificationPreferencesChanged)
                .with_resource(ResourceKind::User, *p.user.id.as_bytes())
                .with_detail("mobile"),
        );
        self.store().commit(unit).await?;
        Ok(mobile)
    }
}

/// A staff member's mobile number, sealed under a new data key.
pub(crate) struct SealedMobile {
    /// Stores the data key.
    pub(crate) key_step: Step,
    pub(crate) sealed: (DataKeyId, Vec<u8>),
    /// The number in E.164, to text.
    pub(crate) e164: String,
}

fn job_error(e: impl std::fmt::Display) -> String {
    tracing::warn!(error = %e, "a staff notice failed");
    "failed".to_owned()
}
