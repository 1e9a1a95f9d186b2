//! Urgent messages reach a person: the on-call schedule, paging (a page
//! per step of the chain, by push and text, each waiting for an
//! acknowledgement before the next, the practice's fallback number last),
//! acknowledgement through the single-use link in the page, and the record
//! of who was paged and who answered.

use crate::auth::Principal;
use crate::delivery::Notice;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{self, DeliveryState, Medium, NoticeKind};
use switchboard_domain::oncall::{self, PageStep, Shift, ShiftError};
use switchboard_domain::policy::{ConversationAction, PracticeAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::text::PhoneNumber;
use switchboard_domain::time::{Span, Timestamp};
use switchboard_store::queries::{
    conversations as conv_q, deliveries as delivery_q, directory as d, jobs as job_q, oncall as q,
};
use switchboard_store::{Step, Unit};

/// The job that takes one step of paging; payload
/// `conversation:step:user,user,…` (the chain, fixed when paging starts).
pub const PAGE_STEP: &str = "page_step";

/// How long a page's acknowledgement link works.
const PAGE_LINK_LIFETIME: Span = Span::from_hours(24);

/// A shift as an administrator describes it.
#[derive(Clone, Copy, Debug)]
pub struct ShiftInput {
    pub user: UserId,
    pub department: Option<DepartmentId>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub position: u8,
}

/// A practice's paging settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagingSettings {
    /// Minutes a page waits for an acknowledgement before the next person.
    pub ack_minutes: i64,
    /// Texted when the chain runs out.
    pub fallback_phone: Option<String>,
}

/// One page, as staff see it on the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageView {
    pub step: i64,
    /// `None`: the practice's fallback number.
    pub user: Option<(UserId, String)>,
    pub paged_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<(UserId, String)>,
    /// How the page went out: one per medium (push, text), each with how
    /// far it got. Empty when there was no way to reach them.
    pub channels: Vec<PageChannel>,
}

/// One medium a page went by, and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageChannel {
    pub medium: Medium,
    pub state: DeliveryState,
    /// The short code of the last failure (`no_channel`, `sms_opted_out`…).
    pub reason: Option<String>,
}

impl Switchboard {
    /// Who is paged for an urgent message about `department` at `at`: the
    /// on-call schedule's chain (while nobody is on it, the alerts in the
    /// inbox are all there is).
    pub(crate) async fn page_chain(
        &self,
        practice: PracticeId,
        department: Option<DepartmentId>,
        at: Timestamp,
    ) -> Result<Vec<UserId>, ServiceError> {
        let shifts = q::shifts(self.store(), practice, at, at.plus(Span::from_micros(1))).await?;
        Ok(oncall::chain(&shifts, department, at))
    }

    /// The step, in an urgent message's commit, that starts paging, when a
    /// page can really go out: someone in the chain has a browser or a
    /// mobile number this node can reach, or the fallback number can be
    /// texted. While one episode's first step waits, another urgent message
    /// adds nothing.
    pub(crate) async fn paging_steps(
        &self,
        practice: PracticeId,
        conversation: ConversationId,
        chain: &[UserId],
        now: Timestamp,
    ) -> Result<Option<Step>, ServiceError> {
        let (_, fallback) = q::paging_settings(self.store(), practice).await?.unwrap_or((10, None));
        let couriers = self.couriers();
        let mut reachable = fallback.as_deref().and_then(notify::e164).is_some() && couriers.sms.is_some();
        for user in chain {
            if reachable {
                break;
            }
            reachable = self.page_destinations(*user).await?.iter().any(|d| couriers.for_medium(d.medium()).is_some());
        }
        if !reachable {
            return Ok(None);
        }
        let chain = chain.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        let job = self.new_id(JobId::from_bytes)?;
        let dedupe = format!("{PAGE_STEP}:{conversation}");
        Ok(Some(job_q::enqueue(job, PAGE_STEP, &format!("{conversation}:0:{chain}"), now, 8, Some(&dedupe), now)))
    }

    /// One step of paging: unless someone has acknowledged, page the next
    /// person (and schedule the step after), or text the fallback number.
    pub(crate) async fn page_step(&self, payload: &str) -> Result<(), String> {
        let bad = || "bad_payload".to_owned();
        let mut parts = payload.splitn(3, ':');
        let (Some(c), Some(k), Some(list)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
        let conversation = ConversationId::parse(c).map_err(|_| bad())?;
        let step: usize = k.parse().map_err(|_| bad())?;
        let chain = list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(UserId::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        self.take_page_step(conversation, step, &chain).await.map_err(|e| {
            tracing::warn!(error = %e, "a paging step failed");
            "failed".to_owned()
        })
    }

    async fn take_page_step(
        &self,
        conversation: ConversationId,
        step: usize,
        chain: &[UserId],
    ) -> Result<(), ServiceError> {
        let Some(row) = conv_q::by_id(self.store(), conversation).await? else { return Ok(()) };
        let pages = q::pages_for(self.store(), conversation).await?;
        // This episode's pages are those at or after its first step; an
        // acknowledgement of any of them ends it.
        let episode_start = pages.iter().rev().find(|p| p.step == 0).map(|p| p.paged_at);
        if step > 0 && pages.iter().any(|p| p.acknowledged_at.is_some() && Some(p.paged_at) >= episode_start) {
            return Ok(());
        }
        let (ack_minutes, fallback) = q::paging_settings(self.store(), row.practice).await?.unwrap_or((10, None));
        let now = self.now();
        let step_i64 = i64::try_from(step).map_err(|_| ServiceError::Internal)?;
        let page = self.new_id(PageId::from_bytes)?;
        let mut unit = Unit::new();
        let (user, destination_text) = match oncall::step(chain.len(), fallback.is_some(), step) {
            PageStep::Done => return Ok(()),
            PageStep::Person(i) => (chain.get(i).copied(), None),
            PageStep::Fallback => (None, fallback.clone()),
        };
        let (token, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        unit.push(q::insert_page(q::NewPage {
            id: page,
            practice: row.practice,
            conversation,
            step: step_i64,
            user,
            token_hash: Some(&hash),
            at: now,
            expires_at: now.plus(PAGE_LINK_LIFETIME),
        }));
        let notice = Notice {
            practice: row.practice,
            kind: NoticeKind::Page,
            user,
            patient: None,
            path: format!("/inbox#/ack/{token}"),
            cause: format!("page:{page}"),
        };
        let destinations = match (user, destination_text) {
            (Some(u), _) => self.page_destinations(u).await?,
            (None, Some(number)) => {
                notify::e164(&number).map(crate::delivery::Destination::Phone).into_iter().collect()
            }
            (None, None) => Vec::new(),
        };
        unit.extend(self.notice_steps(&notice, &destinations, now).await?);
        if user.is_some() {
            let chain_text = chain.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            let next = format!("{conversation}:{}:{chain_text}", step + 1);
            let job = self.new_id(JobId::from_bytes)?;
            unit.push(job_q::enqueue(job, PAGE_STEP, &next, now.plus(Span::from_mins(ack_minutes)), 8, None, now));
        }
        let detail = format!(
            "step={step};to={};media={}",
            if user.is_some() { "person" } else { "fallback" },
            destinations.len()
        );
        let unit = unit.audit(
            AuditRecord::new(now, Some(row.practice), AuditActor::System, AuditAction::Paged)
                .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                .with_patient(Some(row.patient.id))
                .with_detail(detail),
        );
        self.store().commit(unit).await?;
        Ok(())
    }

    /// A page goes to every browser the person subscribed and, whatever
    /// they chose for routine alerts, to their mobile number: being on
    /// call means being reachable.
    async fn page_destinations(&self, user: UserId) -> Result<Vec<crate::delivery::Destination>, ServiceError> {
        let reach = notify::Reach { email: false, sms: true, push: true };
        self.staff_destinations(user, reach).await
    }

    /// Acknowledges a page from the link in it (once): the caller must be
    /// staff who may see the conversation. Ends the paging; answers the
    /// conversation to open. The same answer for a used, expired or
    /// unknown link.
    pub async fn acknowledge_page(
        &self,
        p: &Principal,
        presented: &str,
        ctx: &RequestContext,
    ) -> Result<ConversationId, ServiceError> {
        if p.user.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        let page = match token::hash_presented_token(presented) {
            Some(hash) => q::page_by_token_hash(self.store(), &hash).await?,
            None => None,
        };
        let now = self.now();
        let Some(page) = page.filter(|pg| now < pg.expires_at) else {
            let rec = self
                .record(p, ctx, AuditAction::PageAcknowledged)
                .with_outcome(switchboard_domain::audit::Outcome::Failed)
                .with_detail("unknown_or_expired");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::LinkInvalid);
        };
        let row = self
            .authorized_conversation(p, ctx, page.conversation, ConversationAction::View, AuditAction::PageAcknowledged)
            .await?;
        let rec = self
            .record(p, ctx, AuditAction::PageAcknowledged)
            .with_resource(ResourceKind::Conversation, *page.conversation.as_bytes())
            .with_patient(Some(row.patient.id));
        // The link works once.
        if page.acknowledged_at.is_some() {
            let rec = rec.with_outcome(switchboard_domain::audit::Outcome::Failed).with_detail("already_used");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::LinkInvalid);
        }
        let rec = rec.with_detail(format!("step={}", page.step));
        self.store().commit(Unit::new().step(q::acknowledge(page.id, p.user.id, now)).audit(rec)).await?;
        Ok(page.conversation)
    }

    /// Who was paged about a conversation, when, and who acknowledged.
    pub async fn conversation_pages(
        &self,
        p: &Principal,
        conversation: ConversationId,
        ctx: &RequestContext,
    ) -> Result<Vec<PageView>, ServiceError> {
        if p.user.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        self.authorized_conversation(p, ctx, conversation, ConversationAction::View, AuditAction::ConversationViewed)
            .await?;
        let mut out = Vec::new();
        for pg in q::pages_for(self.store(), conversation).await? {
            out.push(PageView {
                step: pg.step,
                user: self.named(pg.user).await?,
                paged_at: pg.paged_at,
                acknowledged_at: pg.acknowledged_at,
                acknowledged_by: self.named(pg.acknowledged_by).await?,
                channels: delivery_q::outcomes_for_cause(self.store(), &format!("page:{}", pg.id))
                    .await?
                    .into_iter()
                    .map(|o| PageChannel { medium: o.medium, state: o.state, reason: o.reason })
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn named(&self, user: Option<UserId>) -> Result<Option<(UserId, String)>, ServiceError> {
        Ok(match user {
            Some(u) => d::user_by_id(self.store(), u).await?.map(|r| (u, r.display_name.unwrap_or(r.username))),
            None => None,
        })
    }

    /// The practice's shifts from `from` to `to`.
    pub async fn on_call_shifts(
        &self,
        p: &Principal,
        from: Timestamp,
        to: Timestamp,
        ctx: &RequestContext,
    ) -> Result<Vec<Shift>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        Ok(q::shifts(self.store(), p.user.practice, from, to).await?)
    }

    /// Adds a shift (administrators): an active staff member of the
    /// practice, in one of its departments or for all of it.
    pub async fn add_on_call_shift(
        &self,
        p: &Principal,
        input: ShiftInput,
        ctx: &RequestContext,
    ) -> Result<Shift, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::OnCallChanged).await?;
        let shift = Shift {
            id: self.new_id(ShiftId::from_bytes)?,
            user: input.user,
            department: input.department,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            position: input.position,
        };
        shift.check().map_err(|e| ServiceError::Invalid {
            field: "ends_at",
            problem: match e {
                ShiftError::Empty => "the shift must end after it starts".into(),
                ShiftError::TooLong => "a shift can last at most 14 days".into(),
            },
        })?;
        match d::user_by_id(self.store(), input.user).await? {
            Some(u) if u.practice == p.user.practice && u.active && u.kind == UserKind::Staff => {}
            _ => {
                return Err(ServiceError::Invalid {
                    field: "user_id",
                    problem: "that is not an active staff member of this practice".into(),
                });
            }
        }
        if let Some(dep) = input.department
            && !d::departments(self.store(), p.user.practice).await?.iter().any(|(id, _)| *id == dep)
        {
            return Err(ServiceError::Invalid { field: "department_id", problem: "no such department here".into() });
        }
        let unit = Unit::new().step(q::insert_shift(p.user.practice, &shift, self.now())).audit(
            self.record(p, ctx, AuditAction::OnCallChanged)
                .with_resource(ResourceKind::User, *input.user.as_bytes())
                .with_detail("shift_added"),
        );
        self.store().commit(unit).await?;
        Ok(shift)
    }

    /// Removes a shift (administrators).
    pub async fn remove_on_call_shift(
        &self,
        p: &Principal,
        shift: ShiftId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::OnCallChanged).await?;
        if q::shift_practice(self.store(), shift).await? != Some(p.user.practice) {
            return Err(ServiceError::NotFound);
        }
        let unit = Unit::new()
            .step(q::delete_shift(p.user.practice, shift))
            .audit(self.record(p, ctx, AuditAction::OnCallChanged).with_detail("shift_removed"));
        self.store().commit(unit).await?;
        Ok(())
    }

    pub async fn paging_settings(&self, p: &Principal, ctx: &RequestContext) -> Result<PagingSettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let (ack_minutes, fallback_phone) =
            q::paging_settings(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        Ok(PagingSettings { ack_minutes, fallback_phone })
    }

    /// Sets how long a page waits and the fallback number (administrators).
    pub async fn save_paging_settings(
        &self,
        p: &Principal,
        settings: PagingSettings,
        ctx: &RequestContext,
    ) -> Result<PagingSettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::OnCallChanged).await?;
        if !(1..=120).contains(&settings.ack_minutes) {
            return Err(ServiceError::Invalid {
                field: "ack_minutes",
                problem: "a page waits between 1 and 120 minutes".into(),
            });
        }
        let fallback = match settings.fallback_phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => {
                let number =
                    PhoneNumber::parse(text).map_err(|e| ServiceError::invalid("fallback_phone", "the number", e))?;
                if notify::e164(number.as_str()).is_none() {
                    return Err(ServiceError::Invalid {
                        field: "fallback_phone",
                        problem: "write the number with its country code (+44 …) or as a 10-digit US number".into(),
                    });
                }
                Some(number.as_str().to_owned())
            }
            None => None,
        };
        let unit = Unit::new()
            .step(q::set_paging_settings(p.user.practice, settings.ack_minutes, fallback.as_deref()))
            .audit(self.record(p, ctx, AuditAction::OnCallChanged).with_detail("paging_settings"));
        self.store().commit(unit).await?;
        Ok(PagingSettings { ack_minutes: settings.ack_minutes, fallback_phone: fallback })
    }
}
