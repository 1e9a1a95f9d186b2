//! Secure links: staff send a conversation to a patient (enrolled or not)
//! by the mobile number or email on file; whoever opens the link proves
//! they are the patient (date of birth, then a one-time code sent to the
//! same address) before anything is shown, and gets a session that reaches
//! that one conversation (`policy::Actor::LinkPatient`). Every try, right
//! or wrong, is audited; tries are counted before they are checked.

use crate::auth::Principal;
use crate::delivery::Notice;
use crate::onboarding::{LINK_ADDRESS, LinkRequest};
use crate::refusals::Target;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{self, DeliveryState, Medium, NoticeKind};
use switchboard_domain::onboarding::{Channel, LinkPurpose};
use switchboard_domain::policy::{Actor, ConversationAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::secure_link::{self as rules, BIRTH_DATE_TRIES, CODE_TRIES};
use switchboard_domain::throttle::ThrottleState;
use switchboard_domain::time::{CivilDate, Span, Timestamp};
use switchboard_store::queries::accounts::UNSET_PASSWORD_HASH;
use switchboard_store::queries::secure_links::{self as q, SecureLinkRow};
use switchboard_store::queries::{accounts as accounts_q, deliveries as deliveries_q, directory as d, sessions};
use switchboard_store::{Conflict, StoreError, Unit};

/// The counters of tries at one link's date of birth and at its codes.
const BIRTH_DATE_COUNTER: &str = "secure.birth_date";
const CODE_COUNTER: &str = "secure.code";

/// A secure link just sent. The token left with the message and is not
/// kept.
#[derive(Clone, Debug)]
pub struct SentSecureLink {
    pub id: SecureLinkId,
    pub medium: Medium,
    pub expires_at: Timestamp,
}

/// What became of a secure link staff sent: the message's medium and how
/// far it got, and whether the patient has opened and used the link. No
/// address and no words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecureLinkStatus {
    pub id: SecureLinkId,
    pub medium: Medium,
    pub expires_at: Timestamp,
    /// Where the message with the link stands (`Queued` until its job runs).
    pub state: DeliveryState,
    /// The short code of the last failure (`no_channel`, `sms_opted_out`…).
    pub reason: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub opened_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
}

/// What the holder of a secure link sees before proving anything: the
/// practice's name and how the code will travel. No PHI.
#[derive(Clone, Debug)]
pub struct SecureLinkInfo {
    pub practice_name: String,
    pub medium: Medium,
    /// A code was sent within its lifetime: the page may ask for it at once.
    pub code_sent: bool,
}

/// A session opened through a secure link.
#[derive(Clone, Debug)]
pub struct OpenedSecureLink {
    pub token: String,
    pub conversation: ConversationId,
}

impl Switchboard {
    /// Staff send the patient of a conversation a secure link to it, by
    /// `medium` (or the mobile number, else the email, on file). The
    /// patient need not be enrolled: without an account of their own, the
    /// session runs as an account made for their secure links, which has
    /// no password and so can never sign in.
    pub async fn send_secure_link(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        conversation: ConversationId,
        medium: Option<Medium>,
    ) -> Result<SentSecureLink, ServiceError> {
        let row = self
            .authorized_conversation(p, ctx, conversation, ConversationAction::SendSecureLink, AuditAction::LinkIssued)
            .await?;
        let patient = d::patient_by_id(self.store(), row.patient.id).await?.ok_or(ServiceError::NotFound)?;
        let (email_ct, phone_ct) = d::patient_contact(self.store(), patient.id).await?.unwrap_or_default();
        let key = sealing::data_key(self.keys(), &patient.key)?;
        // A number that cannot be written in E.164 cannot be texted.
        let phone = match phone_ct {
            Some(ct) => notify::e164(&sealing::open(&key, column::PHONE, patient.id.as_bytes(), &ct)?),
            None => None,
        };
        let medium = match (medium, phone.is_some(), email_ct.is_some()) {
            (Some(Medium::Push), _, _) => {
                return Err(ServiceError::Invalid {
                    field: "medium",
                    problem: "the medium must be sms or email".into(),
                });
            }
            (Some(Medium::Sms), false, _) => {
                return Err(ServiceError::Invalid {
                    field: "medium",
                    problem: "this patient has no mobile number on file that can take texts".into(),
                });
            }
            (Some(Medium::Email), _, false) => {
                return Err(ServiceError::Invalid {
                    field: "medium",
                    problem: "this patient has no email address on file".into(),
                });
            }
            (Some(m), _, _) => m,
            (None, true, _) => Medium::Sms,
            (None, false, true) => Medium::Email,
            (None, false, false) => {
                return Err(ServiceError::Invalid {
                    field: "medium",
                    problem: "this patient has no mobile number or email on file".into(),
                });
            }
        };
        let now = self.now();
        let mut unit = Unit::new();
        let holder = match patient.user {
            Some(own) => own,
            None => match q::link_account(self.store(), patient.id).await? {
                Some(made) => made,
                None => {
                    let made = self.new_id(UserId::from_bytes)?;
                    let username = format!("~secure-link-{made}");
                    unit.push(d::insert_user(&d::NewUser::patient(
                        made,
                        patient.practice,
                        &username,
                        UNSET_PASSWORD_HASH,
                        now,
                    )));
                    made
                }
            },
        };
        let (token, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        let id = self.new_id(SecureLinkId::from_bytes)?;
        unit.push(q::insert(&q::NewSecureLink {
            id,
            practice: row.practice,
            conversation,
            patient: patient.id,
            holder,
            token_hash: &hash,
            medium,
            created_by: p.user.id,
            at: now,
        }));
        let notice = Notice {
            practice: row.practice,
            kind: NoticeKind::SecureLink,
            user: None,
            patient: Some(patient.id),
            path: format!("/secure#token={token}"),
            cause: format!("secure:{id}"),
        };
        let (steps, queued) = self.patient_notice_steps(&notice, Some(medium)).await?;
        if queued == 0 {
            return Err(ServiceError::Internal);
        }
        let rec = self
            .record(p, ctx, AuditAction::LinkIssued)
            .with_patient(Some(patient.id))
            .with_resource(ResourceKind::SecureLink, *id.as_bytes())
            .with_detail(format!("secure_link;conversation={conversation};medium={}", medium.as_str()));
        self.store().commit(unit.steps(steps).audit(rec)).await?;
        Ok(SentSecureLink { id, medium, expires_at: now.plus(rules::LINK_LIFETIME) })
    }

    /// What became of a secure link sent about `conversation` (staff who
    /// may send one): the message's state, and whether the link was opened
    /// and used. A link of another conversation is "not found".
    pub async fn secure_link_status(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        conversation: ConversationId,
        link: SecureLinkId,
    ) -> Result<SecureLinkStatus, ServiceError> {
        self.authorized_conversation(
            p,
            ctx,
            conversation,
            ConversationAction::SendSecureLink,
            AuditAction::ConversationViewed,
        )
        .await?;
        let Some(row) = q::by_id(self.store(), link).await?.filter(|l| l.conversation == conversation) else {
            let target = Target::missing(ResourceKind::SecureLink, *link.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::ConversationViewed, target, "denied:not_found".into()).await);
        };
        let outcome = deliveries_q::outcomes_for_cause(self.store(), &format!("secure:{link}"))
            .await?
            .into_iter()
            .find(|o| o.medium == row.medium);
        Ok(SecureLinkStatus {
            id: row.id,
            medium: row.medium,
            expires_at: row.facts.expires_at,
            state: outcome.as_ref().map_or(DeliveryState::Queued, |o| o.state),
            reason: outcome.as_ref().and_then(|o| o.reason.clone()),
            sent_at: outcome.and_then(|o| o.sent_at),
            opened_at: row.opened_at,
            used_at: row.facts.used_at,
        })
    }

    /// The secure link behind `presented`, if it can still be used. Every
    /// try counts against the caller's address first (given back when the
    /// link is good); an unknown token is recorded in the operator's log.
    async fn live_secure_link(&self, presented: &str, ctx: &RequestContext) -> Result<SecureLinkRow, ServiceError> {
        let presented = self.present_link(presented, ctx).await?;
        let link = match presented.hash {
            Some(hash) => q::by_token_hash(self.store(), &hash).await?,
            None => None,
        };
        let Some(link) = link else { return Err(self.unknown_link(ctx).await) };
        match rules::usable(&link.facts, self.now()) {
            Ok(()) => {
                self.link_accepted(presented).await?;
                Ok(link)
            }
            Err(why) => {
                let rec = holder_record(self.now(), &link, AuditAction::LinkRefused, ctx)
                    .with_outcome(Outcome::Denied)
                    .with_detail(why.as_str());
                self.store().commit(Unit::new().audit(rec)).await?;
                Err(ServiceError::LinkInvalid)
            }
        }
    }

    /// What a secure link is, before anything is proved; marks it opened.
    pub async fn inspect_secure_link(
        &self,
        presented: &str,
        ctx: &RequestContext,
    ) -> Result<SecureLinkInfo, ServiceError> {
        let link = self.live_secure_link(presented, ctx).await?;
        let practice_name = self.practice_name(link.practice).await?.unwrap_or_default();
        let now = self.now();
        let rec = holder_record(now, &link, AuditAction::LinkOpened, ctx).with_detail("secure_link");
        self.store().commit(Unit::new().step(q::mark_opened(link.id, now)).audit(rec)).await?;
        Ok(SecureLinkInfo { practice_name, medium: link.medium, code_sent: rules::code_live(&link.facts, now) })
    }

    /// The holder's date of birth. The answer is the same whether it
    /// matched or not (the medium a code would go by), so the link does not
    /// tell a guesser which dates are wrong; a matching date sends a new
    /// one-time code to the address on file. Too many wrong dates revoke
    /// the link.
    pub async fn confirm_secure_birth_date(
        &self,
        presented: &str,
        birth_date: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<Medium, ServiceError> {
        let link = self.live_secure_link(presented, ctx).await?;
        let tries = self.count_secure_try(&link, BIRTH_DATE_COUNTER, BIRTH_DATE_TRIES, ctx).await?;
        let patient = d::patient_by_id(self.store(), link.patient).await?.ok_or(ServiceError::LinkInvalid)?;
        let on_file = self.patient_birth_date(&patient)?;
        let given = birth_date.and_then(|b| CivilDate::parse(b.trim()).ok()).map(|g| g.to_string());
        if given.as_deref() != Some(on_file.as_str()) {
            return self
                .wrong_secure_answer(&link, "wrong_birth_date", tries, BIRTH_DATE_TRIES, ctx)
                .await
                .map(|()| link.medium);
        }
        if !rules::may_send_code(&link.facts) {
            let rec = holder_record(self.now(), &link, AuditAction::LinkRefused, ctx)
                .with_outcome(Outcome::Denied)
                .with_detail("codes_spent");
            self.store().commit(Unit::new().step(q::revoke(link.id, self.now())).audit(rec)).await?;
            return Err(ServiceError::LinkInvalid);
        }
        let code = new_code()?;
        let hash = self.code_hash(link.id, &code);
        let notice = Notice {
            practice: link.practice,
            kind: NoticeKind::VerificationCode,
            user: None,
            patient: Some(link.patient),
            // The code travels sealed in the delivery, like a link.
            path: code,
            cause: format!("code:{}:{}", link.id, link.facts.codes_sent + 1),
        };
        let (steps, _) = self.patient_notice_steps(&notice, Some(link.medium)).await?;
        let now = self.now();
        let rec = holder_record(now, &link, AuditAction::CodeSent, ctx)
            .with_detail(format!("birth_date_matched={tries};medium={}", link.medium.as_str()));
        let unit = Unit::new().step(q::set_code(link.id, &hash, link.facts.codes_sent, now)).steps(steps).audit(rec);
        match self.store().commit(unit).await {
            Ok(()) => Ok(link.medium),
            // Another request sent one at the same moment: that code stands.
            Err(StoreError::Conflict(Conflict::LinkSpent)) => Ok(link.medium),
            Err(e) => Err(e.into()),
        }
    }

    /// The one-time code: when it is the latest sent, within its ten
    /// minutes, the link is spent and a session opened that reaches the
    /// link's conversation only. Too many wrong codes revoke the link.
    pub async fn open_secure_link(
        &self,
        presented: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<OpenedSecureLink, ServiceError> {
        let link = self.live_secure_link(presented, ctx).await?;
        let tries = self.count_secure_try(&link, CODE_COUNTER, CODE_TRIES, ctx).await?;
        let now = self.now();
        let given = rules::normalise_code(code).map(|c| self.code_hash(link.id, &c));
        // Keyed hashes are compared: timing reveals nothing a guesser could
        // compute.
        let matches = match (&given, &link.code_hash) {
            (Some(g), Some(stored)) => g.as_slice() == stored.as_slice() && rules::code_live(&link.facts, now),
            _ => false,
        };
        let Some(hash) = given.filter(|_| matches) else {
            self.wrong_secure_answer(&link, "wrong_code", tries, CODE_TRIES, ctx).await?;
            return Err(ServiceError::Invalid { field: "code", problem: "the code is wrong or has expired".into() });
        };
        let (session, session_hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        let rec = AuditRecord::new(
            now,
            Some(link.practice),
            AuditActor::User { id: link.holder, kind: UserKind::Patient },
            AuditAction::LinkRedeemed,
        )
        .with_patient(Some(link.patient))
        .with_resource(ResourceKind::SecureLink, *link.id.as_bytes())
        .with_client_addr(ctx.client_text())
        .with_detail(format!("secure_link;conversation={}", link.conversation));
        let unit = Unit::new()
            .step(q::mark_used(link.id, &hash, now))
            .step(sessions::insert_for_conversation(&session_hash, link.holder, link.conversation, now))
            .step(sessions::record_origin(
                &session_hash,
                self.new_id(switchboard_domain::ids::SessionId::from_bytes)?,
                &ctx.device.describe(),
                ctx.client_text().as_deref(),
            ))
            .audit(rec);
        match self.store().commit(unit).await {
            Ok(()) => Ok(OpenedSecureLink { token: session, conversation: link.conversation }),
            Err(StoreError::Conflict(Conflict::LinkSpent)) => Err(ServiceError::LinkInvalid),
            Err(e) => Err(e.into()),
        }
    }

    /// The full enrollment a secure-link session is offered: an invitation
    /// like the one staff send, to the same address the secure link went
    /// to. Answers the medium it went by.
    pub async fn enroll_from_secure_link(&self, p: &Principal, ctx: &RequestContext) -> Result<Medium, ServiceError> {
        let Actor::LinkPatient(me) = &p.actor else { return Err(ServiceError::NotFound) };
        let patient = d::patient_by_id(self.store(), me.patient).await?.ok_or(ServiceError::NotFound)?;
        if patient.user.is_some() {
            return Err(ServiceError::Conflict("you are already enrolled: sign in to see all your messages"));
        }
        self.require_messaging_open(
            me.practice,
            me.patient,
            "your practice is not offering accounts to every patient yet; you can still answer this message here",
        )
        .await?;
        let medium = match d::patient_contact(self.store(), me.patient).await?.unwrap_or_default() {
            (_, Some(_)) => Medium::Sms,
            (Some(_), None) => Medium::Email,
            (None, None) => return Err(ServiceError::NotFound),
        };
        let channel = if medium == Medium::Sms { Channel::Sms } else { Channel::Email };
        let now = self.now();
        let (step, link) = self.new_link(LinkRequest::invitation(me.practice, me.patient, channel, me.user)).await?;
        let notice = Notice {
            practice: me.practice,
            kind: NoticeKind::Invitation,
            user: None,
            patient: Some(me.patient),
            path: link.path.clone(),
            cause: format!("link:{}", link.id),
        };
        let (sent, _) = self.patient_notice_steps(&notice, Some(medium)).await?;
        let rec = self
            .record(p, ctx, AuditAction::LinkIssued)
            .with_patient(Some(me.patient))
            .with_resource(ResourceKind::Link, *link.id.as_bytes())
            .with_detail(format!("purpose=invitation;from_secure_link;medium={}", medium.as_str()));
        let unit = Unit::new()
            .step(accounts_q::revoke_open_links(LinkPurpose::Invitation, None, Some(me.patient), now))
            .step(step)
            .steps(sent)
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(medium)
    }

    /// Refuses a secure-link session a part of the product outside its one
    /// conversation: recorded like every refusal, answered "not found".
    pub async fn refuse_outside_link(&self, p: &Principal, ctx: &RequestContext) -> ServiceError {
        let target = Target::practice(p.user.practice);
        self.deny(p, ctx, AuditAction::AccessRefused, target, "denied:outside_link".into()).await
    }

    /// A session that may only enrol a second factor reached for anything
    /// else: recorded like every refusal, answered with what to do.
    pub async fn refuse_enrolment_only(&self, p: &Principal, ctx: &RequestContext) -> ServiceError {
        let target = Target::practice(p.user.practice);
        match self.deny(p, ctx, AuditAction::AccessRefused, target, "denied:enrolment_only".into()).await {
            ServiceError::NotFound => ServiceError::SecondFactorEnrolmentRequired,
            other => other,
        }
    }

    /// The keyed hash a code is kept as: six digits are too few for a plain
    /// hash, and the key is outside the database.
    fn code_hash(&self, link: SecureLinkId, code: &str) -> [u8; 32] {
        self.keys().fingerprint(CODE_COUNTER, &[link.as_bytes(), code.as_bytes()])
    }

    /// Counts a try at one of the link's questions before it is answered,
    /// so parallel guesses count one by one: which try this is, or a
    /// refusal (recorded) once they are spent.
    async fn count_secure_try(
        &self,
        link: &SecureLinkRow,
        counter: &'static str,
        limit: u32,
        ctx: &RequestContext,
    ) -> Result<u32, ServiceError> {
        let now = self.now();
        let key = [(self.attempt_key(counter, link.id.as_bytes()), ())];
        let counted = self
            .count_attempt(&key, |_, state| {
                let failures = state.map_or(0, |s| s.failures);
                if failures >= limit {
                    return Err(Span::from_secs(1));
                }
                Ok(ThrottleState { failures: failures + 1, last_failure_at: now })
            })
            .await?;
        match counted.map(|states| states.first().map_or(limit, |s| s.failures)) {
            Ok(tries) => Ok(tries),
            Err(_) => {
                let rec = holder_record(self.now(), link, AuditAction::LinkRefused, ctx)
                    .with_outcome(Outcome::Denied)
                    .with_detail(format!("{counter}_tries_spent"));
                self.store().commit(Unit::new().step(q::revoke(link.id, self.now())).audit(rec)).await?;
                Err(ServiceError::LinkInvalid)
            }
        }
    }

    /// A wrong answer (the `tries`th): recorded, counted against the
    /// caller's address too, and after the last one the link is revoked
    /// (then the answer is that the link no longer works).
    async fn wrong_secure_answer(
        &self,
        link: &SecureLinkRow,
        what: &str,
        tries: u32,
        limit: u32,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        // The address's count only slows a guesser down: a wait it imposes
        // applies to their next try, not to this answer.
        if let Err(wait) = self.take_address_attempt(LINK_ADDRESS, ctx).await? {
            return Err(ServiceError::throttled(wait));
        }
        let rec = holder_record(self.now(), link, AuditAction::LinkRefused, ctx)
            .with_outcome(Outcome::Failed)
            .with_detail(format!("{what}={tries}"));
        let mut unit = Unit::new().audit(rec);
        let last = tries >= limit;
        if last {
            unit.push(q::revoke(link.id, self.now()));
        }
        self.store().commit(unit).await?;
        if last { Err(ServiceError::LinkInvalid) } else { Ok(()) }
    }
}

/// Six random digits, every code equally likely.
fn new_code() -> Result<String, ServiceError> {
    for _ in 0..16 {
        let bytes = switchboard_crypto::random::array::<4>().map_err(|_| ServiceError::Internal)?;
        if let Some(code) = rules::code_from_random(bytes) {
            return Ok(code);
        }
    }
    // Sixteen draws all in the top 0.02% of the range: the generator is
    // broken, not unlucky.
    Err(ServiceError::Internal)
}

/// What whoever holds the link did with it: anonymous (the token is all
/// they showed, until a code proves more), filed in the link's practice
/// and on the patient's trail.
fn holder_record(at: Timestamp, link: &SecureLinkRow, action: AuditAction, ctx: &RequestContext) -> AuditRecord {
    AuditRecord::new(at, Some(link.practice), AuditActor::Anonymous, action)
        .with_patient(Some(link.patient))
        .with_resource(ResourceKind::SecureLink, *link.id.as_bytes())
        .with_client_addr(ctx.client_text())
}
