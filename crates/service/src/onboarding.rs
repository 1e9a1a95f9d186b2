//! Bringing a practice's people in without a developer: a new practice
//! with its first administrator, staff accounts with one-time set-up
//! links, deactivation, and the single-use links themselves (set-up,
//! invitation, password reset).
//!
//! Nobody is ever given a default password: an account starts with an
//! unusable hash and becomes usable when its holder follows a link.

use crate::auth::Principal;
use crate::delivery::{Delivery, Destination, Notice};
use crate::directory::taken;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::enrollment::{Acceptance, AcceptedThrough, TermsVersion};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{Medium, NoticeKind};
pub use switchboard_domain::onboarding::StaffAccount;
use switchboard_domain::onboarding::{self as ob, Channel, LinkPurpose};
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::role::{StaffRole, UserKind};
use switchboard_domain::text::{DisplayName, PasswordInput, Username};
use switchboard_domain::throttle::ThrottleState;
use switchboard_domain::time::{CivilDate, Span, Timestamp};
use switchboard_store::queries::{accounts as q, directory as d, routing as routing_q};
use switchboard_store::{Conflict, Step, StoreError, Unit};

use switchboard_store::queries::accounts::UNSET_PASSWORD_HASH as UNUSABLE_PASSWORD;

/// A link just made. The token is shown once and never stored.
#[derive(Clone, Debug)]
pub struct IssuedLink {
    pub id: LinkId,
    pub purpose: LinkPurpose,
    pub token: String,
    /// Path and fragment to open, `/welcome#token=…`: the token stays out of
    /// server logs and `Referer` headers.
    pub path: String,
    pub expires_at: Timestamp,
    /// What became of it: today always handed over by the staff member who
    /// made it (or, for a self-service reset, nobody).
    pub delivery: Delivery,
    /// For the words that go with it ([`ob::link_message`]).
    pub practice_name: String,
}

/// What the holder of a link sees before using it. No PHI: only the
/// practice's name and what will be asked.
#[derive(Clone, Debug)]
pub struct LinkInfo {
    pub purpose: LinkPurpose,
    pub practice_name: String,
    /// An invitation: the patient confirms their date of birth and picks a
    /// username.
    pub asks_birth_date: bool,
    pub asks_username: bool,
    /// The account's username, for set-up and reset links.
    pub username: Option<String>,
    /// An invitation: the messaging terms the patient accepts as they
    /// enroll.
    pub terms: Option<crate::enrollment::TermsView>,
}

/// What the holder of a link submits.
#[derive(Clone, Debug)]
pub struct RedeemInput {
    pub password: String,
    pub username: Option<String>,
    pub birth_date: Option<String>,
    /// An invitation: the version of the messaging terms the patient read
    /// and accepted.
    pub terms_version: Option<i64>,
}

/// A staff member as an administrator describes them.
#[derive(Clone, Debug)]
pub struct StaffInput {
    pub username: Option<String>,
    pub display_name: String,
    pub role: StaffRole,
    pub departments: Vec<DepartmentId>,
    pub care_teams: Vec<CareTeamId>,
    /// The pools they belong to; `None` leaves their pools as they are.
    pub pools: Option<Vec<PoolId>>,
    /// A new staff member's mobile number (kept as the number their SMS
    /// alerts and password resets go to; theirs to change afterwards).
    pub mobile: Option<String>,
    /// How a new staff member's set-up link goes: handed over at the desk,
    /// or by text to `mobile`.
    pub setup_by: Channel,
}

/// What a new link is for and whom: an account (set-up, reset) or an
/// invited patient.
pub(crate) struct LinkRequest {
    practice: PracticeId,
    purpose: LinkPurpose,
    user: Option<UserId>,
    patient: Option<PatientId>,
    channel: Channel,
    created_by: Option<UserId>,
}

impl LinkRequest {
    /// A link that sets an account's password.
    pub(crate) fn for_account(
        practice: PracticeId,
        purpose: LinkPurpose,
        user: UserId,
        channel: Channel,
        created_by: Option<UserId>,
    ) -> Self {
        LinkRequest { practice, purpose, user: Some(user), patient: None, channel, created_by }
    }

    /// A patient's invitation to enroll.
    pub(crate) fn invitation(practice: PracticeId, patient: PatientId, channel: Channel, created_by: UserId) -> Self {
        LinkRequest {
            practice,
            purpose: LinkPurpose::Invitation,
            user: None,
            patient: Some(patient),
            channel,
            created_by: Some(created_by),
        }
    }
}

/// Where a reset link goes.
enum ResetTo {
    /// The patient's address on file, by this medium.
    Patient((PatientId, Medium)),
    /// A staff member's mobile number (E.164).
    StaffMobile(String),
}

/// Wrong dates of birth allowed per invitation before it is revoked.
const BIRTH_DATE_TRIES: u32 = 5;
/// The counters of tries at links from one address, and at one
/// invitation's date of birth.
pub(crate) const LINK_ADDRESS: &str = "link.address";
const INVITATION_TRIES: &str = "invitation.birth_date";

impl Switchboard {
    /// A new single-use link and the step that stores its hash, routed
    /// through [`Self::deliver`].
    pub(crate) async fn new_link(&self, r: LinkRequest) -> Result<(Step, IssuedLink), ServiceError> {
        let practice_name = self.practice_name(r.practice).await?.unwrap_or_default();
        self.named_link(r, practice_name)
    }

    /// [`Self::new_link`] for a practice whose name the caller already has
    /// (one not yet committed, say).
    fn named_link(&self, r: LinkRequest, practice_name: String) -> Result<(Step, IssuedLink), ServiceError> {
        let (token, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        let id = self.new_id(LinkId::from_bytes)?;
        let now = self.now();
        let step = q::insert_link(&q::NewLink {
            id,
            practice: r.practice,
            token_hash: &hash,
            purpose: r.purpose,
            user: r.user,
            patient: r.patient,
            channel: r.channel,
            created_by: r.created_by,
            at: now,
        });
        let path = format!("/welcome#token={token}");
        let delivery = Delivery::for_channel(r.channel);
        let expires_at = now.plus(r.purpose.lifetime());
        Ok((step, IssuedLink { id, purpose: r.purpose, token, path, expires_at, delivery, practice_name }))
    }

    /// Creates a practice and its first administrator, who gets a set-up
    /// link (for the operator to hand over), all in one commit: a practice
    /// never exists without its administrator. For `switchboard practice
    /// create` and the operator API.
    pub async fn create_practice_with_admin(
        &self,
        name: &str,
        admin_username: &str,
        admin_display_name: &str,
        actor: AuditActor,
        ctx: Option<&RequestContext>,
    ) -> Result<(PracticeId, UserId, IssuedLink), ServiceError> {
        let practice_name =
            DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the practice's name", e))?;
        let username = Username::parse(admin_username)
            .map_err(|e| ServiceError::invalid("admin_username", "the administrator's user name", e))?;
        let display = DisplayName::parse(admin_display_name)
            .map_err(|e| ServiceError::invalid("admin_name", "the administrator's name", e))?;
        if d::user_by_username(self.store(), username.as_str()).await?.is_some() {
            return Err(ServiceError::Conflict("that name is already taken"));
        }
        let practice = self.new_id(PracticeId::from_bytes)?;
        let user = self.new_id(UserId::from_bytes)?;
        let request = LinkRequest::for_account(practice, LinkPurpose::Setup, user, Channel::Desk, None);
        let (link_step, link) = self.named_link(request, practice_name.as_str().to_owned())?;
        let client = ctx.and_then(RequestContext::client_text);
        let record = |action, (kind, id): (ResourceKind, [u8; 16])| {
            AuditRecord::new(self.now(), Some(practice), actor, action)
                .with_resource(kind, id)
                .with_client_addr(client.clone())
        };
        let unit = Unit::new()
            .step(d::insert_practice(practice, practice_name.as_str(), self.now()))
            .step(self.first_terms_step(practice))
            .step(d::insert_user(&d::NewUser::staff(
                user,
                practice,
                username.as_str(),
                StaffRole::PracticeAdmin,
                display.as_str(),
                UNUSABLE_PASSWORD,
                self.now(),
            )))
            .step(link_step)
            .audit(record(AuditAction::PracticeCreated, (ResourceKind::Practice, *practice.as_bytes())))
            .audit(record(AuditAction::UserCreated, (ResourceKind::User, *user.as_bytes())))
            .audit(
                record(AuditAction::LinkIssued, (ResourceKind::Link, *link.id.as_bytes())).with_detail("purpose=setup"),
            );
        self.store().commit(unit).await.map_err(taken)?;
        Ok((practice, user, link))
    }

    /// The practice's staff accounts, active or not, with their last
    /// sign-in (practice administrators).
    pub async fn staff_accounts(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<StaffAccount>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SetupViewed).await?;
        let now = self.now();
        let mut rows: Vec<StaffAccount> = q::staff_accounts(self.store(), p.user.practice).await?;
        for r in &mut rows {
            r.reset_requested_at = ob::unanswered_reset(r.reset_requested_at, now);
        }
        Ok(rows)
    }

    async fn check_staff_links(&self, practice: PracticeId, input: &StaffInput) -> Result<DisplayName, ServiceError> {
        let display = DisplayName::parse(&input.display_name)
            .map_err(|e| ServiceError::invalid("display_name", "the name", e))?;
        for dep in &input.departments {
            if d::department_name_of(self.store(), practice, *dep).await?.is_none() {
                return Err(ServiceError::Invalid { field: "departments", problem: "no such department".into() });
            }
        }
        let teams = q::care_teams(self.store(), practice).await?;
        for t in &input.care_teams {
            if !teams.iter().any(|(id, _)| id == t) {
                return Err(ServiceError::Invalid { field: "care_teams", problem: "no such care team".into() });
            }
        }
        if let Some(pools) = input.pools.as_deref().filter(|p| !p.is_empty()) {
            let known = routing_q::pools(self.store(), practice).await?;
            if pools.iter().any(|p| !known.iter().any(|k| k.id == *p)) {
                return Err(ServiceError::Invalid { field: "pools", problem: "no such pool".into() });
            }
            if !input.role.works_patient_conversations() {
                return Err(ServiceError::Invalid {
                    field: "pools",
                    problem: "this role does not take conversations, so it cannot be in a pool".into(),
                });
            }
        }
        Ok(display)
    }

    /// The steps that make `user`'s pools `wanted` (joining last in each
    /// pool's turn order), the pools joined, and an audit record per pool
    /// changed.
    async fn pool_changes(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        user: UserId,
        wanted: Option<&[PoolId]>,
    ) -> Result<(Vec<Step>, Vec<PoolId>, Vec<AuditRecord>), ServiceError> {
        let Some(wanted) = wanted else { return Ok((Vec::new(), Vec::new(), Vec::new())) };
        let pools = routing_q::pools(self.store(), p.user.practice).await?;
        let (mut steps, mut joined, mut records) = (Vec::new(), Vec::new(), Vec::new());
        for pool in &pools {
            let member = pool.members.contains(&user);
            let want = wanted.contains(&pool.id);
            if member == want {
                continue;
            }
            steps.push(if want { q::join_pool(pool.id, user) } else { q::leave_pool(pool.id, user) });
            if want {
                joined.push(pool.id);
            }
            records.push(
                self.record(p, ctx, AuditAction::PoolChanged)
                    .with_resource(ResourceKind::Pool, *pool.id.as_bytes())
                    .with_detail(if want { "member_added" } else { "member_removed" }),
            );
        }
        Ok((steps, joined, records))
    }

    /// Adds a staff member (practice administrators). They get a set-up
    /// link, shown once to the administrator to hand over; no password is
    /// ever set for them.
    pub async fn add_staff_member(
        &self,
        p: &Principal,
        input: StaffInput,
        ctx: &RequestContext,
    ) -> Result<(UserId, IssuedLink), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::UserCreated).await?;
        // Who holds which role, and who can sign in, is for the person at
        // the keyboard to change, not for an unattended session.
        self.require_recent_authentication(p)?;
        let practice = p.user.practice;
        let username = Username::parse(input.username.as_deref().unwrap_or(""))
            .map_err(|e| ServiceError::invalid("username", "the user name", e))?;
        let display = self.check_staff_links(practice, &input).await?;
        let user = self.new_id(UserId::from_bytes)?;
        let mobile = input.mobile.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let sealed = mobile.map(|m| self.sealed_staff_mobile(practice, user, m)).transpose()?;
        let texted = match (input.setup_by, &sealed) {
            (Channel::Desk, _) => None,
            (Channel::Sms, Some(mobile)) => Some(mobile.e164.clone()),
            (Channel::Sms, None) => {
                return Err(ServiceError::Invalid {
                    field: "mobile",
                    problem: "add their mobile number to send the set-up link by text, or hand it over".into(),
                });
            }
            (Channel::Email | Channel::None, _) => {
                return Err(ServiceError::Invalid {
                    field: "setup_link_by",
                    problem: "a set-up link is sent by sms or handed over at the desk".into(),
                });
            }
        };
        let channel = if texted.is_some() { Channel::Sms } else { Channel::Desk };
        let (link_step, link) = self
            .new_link(LinkRequest::for_account(practice, LinkPurpose::Setup, user, channel, Some(p.user.id)))
            .await?;
        let mut unit = Unit::new().step(d::insert_user(&d::NewUser::staff(
            user,
            practice,
            username.as_str(),
            input.role,
            display.as_str(),
            UNUSABLE_PASSWORD,
            self.now(),
        )));
        for dep in &input.departments {
            unit.push(d::insert_staff_department(user, *dep));
        }
        for team in &input.care_teams {
            unit.push(d::insert_care_team_member(*team, user));
        }
        // Pools give them no work until they have set up their account.
        let (steps, _, records) = self.pool_changes(p, ctx, user, input.pools.as_deref()).await?;
        for (step, record) in steps.into_iter().zip(records) {
            unit.push(step);
            unit.push_audit(record);
        }
        if let Some(mobile) = sealed {
            unit.push(mobile.key_step);
            unit.push(switchboard_store::queries::deliveries::set_staff_mobile(user, Some(mobile.sealed), self.now()));
        }
        unit.push(link_step);
        if let Some(number) = texted {
            let notice = Notice {
                practice,
                kind: NoticeKind::AccountSetup,
                user: Some(user),
                patient: None,
                path: link.path.clone(),
                cause: format!("link:{}", link.id),
            };
            unit.extend(self.notice_steps(&notice, &[Destination::Phone(number)], self.now()).await?);
        }
        let unit = unit
            .audit(self.record(p, ctx, AuditAction::UserCreated).with_resource(ResourceKind::User, *user.as_bytes()))
            .audit(
                self.record(p, ctx, AuditAction::LinkIssued)
                    .with_resource(ResourceKind::Link, *link.id.as_bytes())
                    .with_detail(format!("purpose=setup;channel={}", channel.as_str())),
            );
        self.store().commit(unit).await.map_err(taken)?;
        Ok((user, link))
    }

    /// Changes a staff member's name, role, departments and care teams.
    pub async fn update_staff_member(
        &self,
        p: &Principal,
        user: UserId,
        input: StaffInput,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::UserUpdated).await?;
        // Who holds which role, and who can sign in, is for the person at
        // the keyboard to change, not for an unattended session.
        self.require_recent_authentication(p)?;
        let practice = p.user.practice;
        let existing = self.own_practice_user(p, ctx, user, AuditAction::UserUpdated).await?;
        if existing.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        if input.mobile.as_deref().is_some_and(|m| !m.trim().is_empty()) {
            return Err(ServiceError::Invalid {
                field: "mobile",
                problem: "a staff member changes their own mobile number, under My alerts on the setup page".into(),
            });
        }
        if user == p.user.id && input.role != StaffRole::PracticeAdmin {
            return Err(ServiceError::Conflict("you cannot take away your own administrator role"));
        }
        let display = self.check_staff_links(practice, &input).await?;
        let mut unit = Unit::new()
            .step(q::update_staff(user, practice, display.as_str(), input.role))
            .step(q::clear_staff_departments(user))
            .step(q::clear_care_teams(user));
        for dep in &input.departments {
            unit.push(d::insert_staff_department(user, *dep));
        }
        for team in &input.care_teams {
            unit.push(d::insert_care_team_member(*team, user));
        }
        // A new role that takes no conversations leaves every pool.
        let pools = if input.role.works_patient_conversations() { input.pools.as_deref() } else { Some(&[][..]) };
        let (steps, joined, records) = self.pool_changes(p, ctx, user, pools).await?;
        for (step, record) in steps.into_iter().zip(records) {
            unit.push(step);
            unit.push_audit(record);
        }
        let unit = unit.audit(
            self.record(p, ctx, AuditAction::UserUpdated)
                .with_resource(ResourceKind::User, *user.as_bytes())
                .with_detail(format!("role={}", input.role.as_str())),
        );
        match self.store().commit(unit).await {
            Ok(()) => {
                // A pool they joined may have work waiting for someone free.
                self.offer_waiting_work(practice, &joined).await;
                Ok(())
            }
            Err(StoreError::Conflict(Conflict::UserMissing)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Deactivates (or reactivates) an account of the practice. A
    /// deactivated user's sessions end at once; their history stays.
    pub async fn set_account_active(
        &self,
        p: &Principal,
        user: UserId,
        active: bool,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let action = if active { AuditAction::UserReactivated } else { AuditAction::UserDeactivated };
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, action).await?;
        // Who holds which role, and who can sign in, is for the person at
        // the keyboard to change, not for an unattended session.
        self.require_recent_authentication(p)?;
        if user == p.user.id && !active {
            return Err(ServiceError::Conflict("you cannot deactivate your own account"));
        }
        let existing = self.own_practice_user(p, ctx, user, action).await?;
        let now = self.now();
        let mut unit = Unit::new().step(q::set_active(user, p.user.practice, active, now));
        if !active {
            unit.push(q::revoke_sessions(user, now, None));
            // Emergency access ends with their sessions.
            unit.push(switchboard_store::queries::emergency::end_all(
                user,
                now,
                switchboard_store::queries::emergency::EndedWhy::Deactivated,
            ));
            unit.push(q::revoke_open_links(LinkPurpose::Setup, Some(user), None, now));
            unit.push(q::revoke_open_links(LinkPurpose::Reset, Some(user), None, now));
            // Their open work is handed on by a durable job, so that none
            // is left with someone who can no longer sign in.
            if existing.kind == UserKind::Staff {
                let job = self.new_id(JobId::from_bytes)?;
                unit.push(switchboard_store::queries::jobs::enqueue(
                    job,
                    crate::routing::ACCOUNT_DEACTIVATED,
                    &user.to_string(),
                    now,
                    8,
                    None,
                    now,
                ));
            }
        }
        let unit = unit.audit(self.record(p, ctx, action).with_resource(ResourceKind::User, *user.as_bytes()));
        self.store().commit(unit).await?;
        if !active {
            self.events().sessions_ended(user);
        }
        Ok(())
    }

    /// A password-reset link for an account of the practice, shown once to
    /// the administrator to hand over (until email and SMS delivery exist).
    pub async fn issue_reset_link(
        &self,
        p: &Principal,
        user: UserId,
        ctx: &RequestContext,
    ) -> Result<IssuedLink, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::LinkIssued).await?;
        // Who holds which role, and who can sign in, is for the person at
        // the keyboard to change, not for an unattended session.
        self.require_recent_authentication(p)?;
        if !self.own_practice_user(p, ctx, user, AuditAction::LinkIssued).await?.active {
            return Err(ServiceError::NotFound);
        }
        let now = self.now();
        let (step, link) = self
            .new_link(LinkRequest::for_account(
                p.user.practice,
                LinkPurpose::Reset,
                user,
                Channel::Desk,
                Some(p.user.id),
            ))
            .await?;
        let unit = Unit::new().step(q::revoke_open_links(LinkPurpose::Reset, Some(user), None, now)).step(step).audit(
            self.record(p, ctx, AuditAction::LinkIssued)
                .with_resource(ResourceKind::Link, *link.id.as_bytes())
                .with_detail("purpose=reset"),
        );
        self.store().commit(unit).await?;
        Ok(link)
    }

    /// Someone who forgot their password asks for a reset. The answer is
    /// the same whether or not the account exists, and requests are
    /// throttled per account and per address. A patient's link goes to the
    /// address on their record; a staff member's by SMS to the mobile
    /// number they keep for alerts, where this node can text and the number
    /// has not opted out. Otherwise the link goes nowhere and an
    /// administrator issues one instead ([`Self::issue_reset_link`]).
    /// Sending is a job after the commit, never part of the answer, so no
    /// channel's speed shows in how long the answer takes.
    pub async fn request_password_reset(&self, username: &str, ctx: &RequestContext) -> Result<(), ServiceError> {
        let now = self.now();
        let name = Username::parse(username).map(|u| u.as_str().to_owned()).unwrap_or_else(|_| username.to_lowercase());
        // Every request counts towards the limit, found or not.
        if let Err(wait) = self.take_attempt(&format!("reset:{name}"), ctx).await? {
            return Err(ServiceError::throttled(wait));
        }
        let mut unit = Unit::new();
        let user = d::user_by_username(self.store(), &name).await?.filter(|u| u.active);
        // A patient's link goes to the address on their record (email,
        // else mobile); a staff member's to their mobile. Without one,
        // the request waits for an administrator, and the link made for it
        // goes nowhere, so it cannot be used.
        let reach = match &user {
            Some(u) if u.kind == UserKind::Patient => self.reset_medium(u.id).await?.map(ResetTo::Patient),
            Some(u) if u.kind == UserKind::Staff => self.staff_reset_number(u.id).await?.map(ResetTo::StaffMobile),
            _ => None,
        };
        let channel = match reach {
            Some(ResetTo::Patient((_, Medium::Email))) => Channel::Email,
            Some(ResetTo::Patient((_, Medium::Sms)) | ResetTo::StaffMobile(_)) => Channel::Sms,
            _ => Channel::None,
        };
        let detail = if user.is_some() { format!("channel={}", channel.as_str()) } else { "unknown_user".to_owned() };
        let mut rec = AuditRecord::new(
            now,
            user.as_ref().map(|u| u.practice),
            AuditActor::Anonymous,
            AuditAction::PasswordResetRequested,
        )
        .with_client_addr(ctx.client_text())
        .with_detail(detail);
        if let Some(u) = &user {
            let (step, link) =
                self.new_link(LinkRequest::for_account(u.practice, LinkPurpose::Reset, u.id, channel, None)).await?;
            unit.push(step);
            let notice = |patient| Notice {
                practice: u.practice,
                kind: NoticeKind::PasswordReset,
                user: Some(u.id),
                patient,
                path: link.path.clone(),
                cause: format!("link:{}", link.id),
            };
            match reach {
                Some(ResetTo::Patient((patient, medium))) => {
                    unit.extend(self.patient_notice_steps(&notice(Some(patient)), Some(medium)).await?.0);
                }
                Some(ResetTo::StaffMobile(number)) => {
                    unit.extend(self.notice_steps(&notice(None), &[Destination::Phone(number)], now).await?);
                }
                None => {}
            }
            rec = rec.with_resource(ResourceKind::Link, *link.id.as_bytes());
        }
        self.store().commit(unit.audit(rec)).await?;
        Ok(())
    }

    /// Where a staff member's reset link can go: the mobile number they
    /// keep for alerts (E.164), when this node can text and the number has
    /// not texted STOP.
    async fn staff_reset_number(&self, user: UserId) -> Result<Option<String>, ServiceError> {
        if self.couriers().sms.is_none() {
            return Ok(None);
        }
        let Some(number) = self.staff_mobile(user).await?.as_deref().and_then(switchboard_domain::notify::e164) else {
            return Ok(None);
        };
        let opted_out =
            switchboard_store::queries::deliveries::opted_out_since(self.store(), &self.sms_number_index(&number))
                .await?;
        Ok(opted_out.is_none().then_some(number))
    }

    /// Where a patient's reset link can go: their email, else their
    /// mobile number.
    async fn reset_medium(&self, user: UserId) -> Result<Option<(PatientId, Medium)>, ServiceError> {
        let Some(patient) = d::patient_by_user(self.store(), user).await? else { return Ok(None) };
        let (email, phone) = d::patient_contact(self.store(), patient.id).await?.unwrap_or_default();
        Ok(match (email, phone) {
            (Some(_), _) => Some((patient.id, Medium::Email)),
            (None, Some(_)) => Some((patient.id, Medium::Sms)),
            (None, None) => None,
        })
    }

    /// The link behind `presented`, if it can still be used. Every try is
    /// counted against the caller's address first (and given back when the
    /// link is good), so tokens cannot be guessed in bulk; an unknown token
    /// is recorded in the operator's log, as it belongs to no practice.
    async fn live_link(&self, presented: &str, ctx: &RequestContext) -> Result<q::LinkRow, ServiceError> {
        let presented = self.present_link(presented, ctx).await?;
        let link = match presented.hash {
            Some(hash) => q::link_by_token_hash(self.store(), &hash).await?,
            None => None,
        };
        let Some(link) = link else { return Err(self.unknown_link(ctx).await) };
        match ob::redeemable(&link.facts, self.now()) {
            Ok(()) => {
                self.link_accepted(presented).await?;
                Ok(link)
            }
            Err(why) => {
                let rec = link_holder_record(self.now(), &link, AuditAction::LinkRefused)
                    .with_outcome(Outcome::Denied)
                    .with_client_addr(ctx.client_text())
                    .with_detail(format!("{why:?}").to_lowercase());
                self.store().commit(Unit::new().audit(rec)).await?;
                Err(ServiceError::LinkInvalid)
            }
        }
    }

    /// What a link is for, before using it; marks it opened.
    pub async fn inspect_link(&self, presented: &str, ctx: &RequestContext) -> Result<LinkInfo, ServiceError> {
        let link = self.live_link(presented, ctx).await?;
        let practice_name = self.practice_name(link.practice).await?.unwrap_or_default();
        let username = match link.user {
            Some(u) => d::user_by_id(self.store(), u).await?.map(|u| u.username),
            None => None,
        };
        if link.facts.opened_at.is_none() {
            let rec = link_holder_record(self.now(), &link, AuditAction::LinkOpened);
            self.store().commit(Unit::new().step(q::mark_opened(link.id, self.now())).audit(rec)).await?;
        }
        let invitation = link.facts.purpose == LinkPurpose::Invitation;
        let terms = if invitation { Some(self.terms_in_force(link.practice).await?.into()) } else { None };
        Ok(LinkInfo {
            purpose: link.facts.purpose,
            practice_name,
            asks_birth_date: invitation,
            asks_username: invitation,
            username,
            terms,
        })
    }

    /// Uses a link: sets the password of the account it is for (set-up,
    /// reset), or enrolls the invited patient after they confirm their date
    /// of birth. A reset ends the account's other sessions.
    pub async fn redeem_link(
        &self,
        presented: &str,
        input: RedeemInput,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let link = self.live_link(presented, ctx).await?;
        PasswordInput::parse(input.password.clone())
            .map_err(|e| ServiceError::invalid("password", "the password", e))?;
        let mut context = vec![self.practice_name(link.practice).await?.unwrap_or_default()];
        let mut has_second_factor = false;
        if let Some(user) = link.user
            && let Some(row) = d::user_by_id(self.store(), user).await?
        {
            context.push(row.username);
            context.extend(row.display_name);
            // A reset keeps the account's second factor: 8 characters suffice then.
            has_second_factor = !self.second_factor_methods(user).await?.is_empty();
        }
        context.extend(input.username.clone());
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        let password = crate::directory::check_new_password(&input.password, has_second_factor, &context)?.into_inner();
        let now = self.now();
        let mut unit = Unit::new().step(q::mark_used(link.id, now));
        let mut rec =
            link_holder_record(self.now(), &link, AuditAction::LinkRedeemed).with_client_addr(ctx.client_text());
        match (link.facts.purpose, link.user, link.patient) {
            (LinkPurpose::Setup | LinkPurpose::Reset, Some(user), _) => {
                let kind = d::user_by_id(self.store(), user).await?.map(|u| u.kind).ok_or(ServiceError::LinkInvalid)?;
                let hash = self.hash_password(password.clone()).await?;
                unit.push(q::set_password(user, &hash));
                unit.push(q::revoke_sessions(user, now, None));
                // Any other open reset (and the request an administrator was
                // shown) is answered now.
                unit.push(q::revoke_open_links(LinkPurpose::Reset, Some(user), None, now));
                rec.actor = AuditActor::User { id: user, kind };
                rec.detail = Some(format!("purpose={}", link.facts.purpose.as_str()));
            }
            (LinkPurpose::Invitation, _, Some(patient)) => {
                let row = d::patient_by_id(self.store(), patient).await?.ok_or(ServiceError::LinkInvalid)?;
                let given = input.birth_date.as_deref().and_then(|b| CivilDate::parse(b).ok());
                let on_file = self.patient_birth_date(&row)?;
                let tries = self.birth_date_try(&link, ctx).await?;
                if given.map(|g| g.to_string()) != Some(on_file) {
                    return Err(self.wrong_birth_date(&link, tries, ctx).await);
                }
                let username = Username::parse(input.username.as_deref().unwrap_or(""))
                    .map_err(|e| ServiceError::invalid("username", "the user name", e))?;
                let terms = self.terms_in_force(row.practice).await?.version;
                crate::enrollment::check_acceptance(input.terms_version.and_then(TermsVersion::new), terms)?;
                let hash = self.hash_password(password.clone()).await?;
                let user = self.new_id(UserId::from_bytes)?;
                unit.push(d::insert_user(&d::NewUser::patient(user, row.practice, username.as_str(), &hash, now)));
                unit.push(q::link_patient_user(patient, user));
                let accepted = Acceptance { version: terms, at: now, through: AcceptedThrough::Invitation };
                unit.push(self.acceptance_step(row.practice, Some(patient), user, accepted)?);
                unit.push_audit(
                    AuditRecord::new(
                        now,
                        Some(row.practice),
                        AuditActor::User { id: user, kind: UserKind::Patient },
                        AuditAction::TermsAccepted,
                    )
                    .with_patient(Some(patient))
                    .with_resource(ResourceKind::Patient, *patient.as_bytes())
                    .with_client_addr(ctx.client_text())
                    .with_detail(format!("version={terms};through=invitation")),
                );
                rec.actor = AuditActor::User { id: user, kind: UserKind::Patient };
                rec.patient = Some(patient);
                rec.detail = Some("purpose=invitation".into());
            }
            _ => return Err(ServiceError::LinkInvalid),
        }
        let ended = link.user.filter(|_| link.facts.purpose != LinkPurpose::Invitation);
        match self.store().commit(unit.audit(rec)).await {
            Ok(()) => {
                if let Some(user) = ended {
                    self.events().sessions_ended(user);
                }
                if let (LinkPurpose::Setup, Some(user)) = (link.facts.purpose, link.user) {
                    // Set up at last: their pools may have work waiting.
                    self.offer_work_to(link.practice, user).await;
                }
                Ok(())
            }
            Err(StoreError::Conflict(
                Conflict::LinkSpent | Conflict::LinkMissing | Conflict::AlreadyEnrolled | Conflict::UserInactive,
            )) => Err(ServiceError::LinkInvalid),
            Err(e) => Err(taken(e)),
        }
    }

    /// Counts a try at an invitation's date of birth before it is compared,
    /// so parallel guesses are counted one by one: answers which try this
    /// is, or refuses once the invitation's tries are spent.
    async fn birth_date_try(&self, link: &q::LinkRow, ctx: &RequestContext) -> Result<u32, ServiceError> {
        let now = self.now();
        let key = [(self.attempt_key(INVITATION_TRIES, link.id.as_bytes()), ())];
        let counted = self
            .count_attempt(&key, |_, state| {
                let failures = state.map_or(0, |s| s.failures);
                if failures >= BIRTH_DATE_TRIES {
                    return Err(Span::from_secs(1));
                }
                Ok(ThrottleState { failures: failures + 1, last_failure_at: now })
            })
            .await?;
        match counted.map(|states| states.first().map_or(BIRTH_DATE_TRIES, |s| s.failures)) {
            Ok(tries) => Ok(tries),
            Err(_) => {
                let rec = link_holder_record(self.now(), link, AuditAction::LinkRefused)
                    .with_outcome(Outcome::Denied)
                    .with_client_addr(ctx.client_text())
                    .with_detail("birth_date_tries_spent");
                self.store().commit(Unit::new().audit(rec)).await?;
                Err(ServiceError::LinkInvalid)
            }
        }
    }

    /// A wrong date of birth (the `tries`th): after the last one the
    /// invitation is revoked, so it cannot be guessed; each also counts
    /// against the caller's address.
    async fn wrong_birth_date(&self, link: &q::LinkRow, tries: u32, ctx: &RequestContext) -> ServiceError {
        // The address's count only slows a guesser down: a wait it imposes
        // applies to their next link, not to this answer.
        if let Err(e) = self.take_address_attempt(LINK_ADDRESS, ctx).await {
            return e;
        }
        let rec = link_holder_record(self.now(), link, AuditAction::LinkRefused)
            .with_outcome(Outcome::Failed)
            .with_client_addr(ctx.client_text())
            .with_detail(format!("wrong_birth_date={tries}"));
        let mut unit = Unit::new().audit(rec);
        let last = tries >= BIRTH_DATE_TRIES;
        if last {
            unit.push(q::revoke_link(link.id, link.practice, self.now()));
        }
        match self.store().commit(unit).await {
            Ok(()) if last => ServiceError::LinkInvalid,
            Ok(()) => ServiceError::Invalid {
                field: "birth_date",
                problem: "the date of birth does not match our records".into(),
            },
            // Used or revoked meanwhile: it is spent either way.
            Err(StoreError::Conflict(_)) => ServiceError::LinkInvalid,
            Err(e) => e.into(),
        }
    }
}

/// The record of what whoever holds `link` did with it: anonymous, since the
/// token is all they showed, and filed in the link's practice.
fn link_holder_record(at: Timestamp, link: &q::LinkRow, action: AuditAction) -> AuditRecord {
    AuditRecord::new(at, Some(link.practice), AuditActor::Anonymous, action)
        .with_resource(ResourceKind::Link, *link.id.as_bytes())
}
