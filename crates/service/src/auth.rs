//! Sign-in, sessions and sign-out.

use crate::sealing::{self, column};
use crate::views::UserSummary;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome};
use switchboard_domain::ids::ConversationId;
use switchboard_domain::mfa::{Assurance, Method, Standing};
use switchboard_domain::policy::{Actor, LinkPatientActor, PatientActor, StaffActor};
use switchboard_domain::role::UserKind;
use switchboard_domain::session::{SessionState, SessionTimes, needs_touch, session_state};
use switchboard_domain::text::{PasswordInput, Username};
use switchboard_domain::time::Timestamp;
use switchboard_store::Unit;
use switchboard_store::queries::{conversations, directory, sessions};
use switchboard_store::rows::{PatientRow, UserRow};

/// An authenticated request's identity.
#[derive(Clone, Debug)]
pub struct Principal {
    pub actor: Actor,
    pub user: UserSummary,
    /// What the session may do: everything, or only enrol a second factor.
    pub assurance: Assurance,
    /// When the holder last gave a password or a second factor.
    pub(crate) authenticated_at: Option<Timestamp>,
    /// When the session was opened (`None` outside a session): a proof
    /// given after it is an explicit re-authentication, not the sign-in.
    pub(crate) session_created_at: Option<Timestamp>,
    pub(crate) token_hash: [u8; 32],
}

impl Principal {
    pub(crate) fn audit_actor(&self) -> AuditActor {
        AuditActor::User { id: self.user.id, kind: self.user.kind }
    }
}

#[derive(Clone, Debug)]
pub struct LoginResult {
    pub token: String,
    pub user: UserSummary,
    /// `EnrolOnly`: the practice requires a second factor and the account
    /// has none yet; the session may only enrol one.
    pub assurance: Assurance,
    /// After signing in with a recovery code: how many are left.
    pub recovery_codes_left: Option<u32>,
}

/// What a correct password leads to.
#[derive(Clone, Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Session(LoginResult),
    /// The account has a second factor: give it with this challenge.
    SecondFactor { challenge: String, methods: Vec<Method> },
}

/// What a sign-in's first step was.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FirstStep {
    Password,
    /// Single sign-on; `provider_mfa`: the practice trusts the provider's
    /// own multi-factor sign-in.
    Sso {
        provider_mfa: bool,
    },
}

impl FirstStep {
    /// As audit records and the second step's challenge name it.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            FirstStep::Password => "password",
            FirstStep::Sso { .. } => "sso",
        }
    }
}

/// What a session's re-check found.
#[derive(Clone, Debug)]
pub enum SessionCheck {
    Active(Box<Principal>),
    Ended(SessionEnd),
}

/// Why a session ended, as its holder is told (no more than that).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SessionEnd {
    /// Signed out here or elsewhere, or ended by a new password.
    SignedOut,
    /// Idle too long, or past its lifetime.
    TimedOut,
    /// The account was deactivated.
    Deactivated,
}

impl SessionEnd {
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionEnd::SignedOut => "signed_out",
            SessionEnd::TimedOut => "timed_out",
            SessionEnd::Deactivated => "deactivated",
        }
    }
}

impl Switchboard {
    pub(crate) fn patient_display_name(&self, p: &PatientRow) -> Result<String, ServiceError> {
        let key = sealing::data_key(self.keys(), &p.key)?;
        let id = p.id.as_bytes();
        let given = sealing::open(&key, column::GIVEN_NAME, id, &p.given_name_ct)?;
        let family = sealing::open(&key, column::FAMILY_NAME, id, &p.family_name_ct)?;
        Ok(format!("{given} {family}"))
    }

    pub(crate) fn patient_birth_date(&self, p: &PatientRow) -> Result<String, ServiceError> {
        let key = sealing::data_key(self.keys(), &p.key)?;
        sealing::open(&key, column::BIRTH_DATE, p.id.as_bytes(), &p.birth_date_ct)
    }

    /// The actor and summary for an account; for a session opened through a
    /// secure link, kept to its one conversation.
    async fn principal_parts(
        &self,
        user: &UserRow,
        scope: Option<ConversationId>,
    ) -> Result<(Actor, UserSummary), ServiceError> {
        if let Some(conversation) = scope {
            return self.link_principal_parts(user, conversation).await;
        }
        match user.kind {
            UserKind::Staff => {
                let role = user.role.ok_or(ServiceError::Internal)?;
                let m = directory::memberships(self.store(), user.id).await?;
                let reads = self.content_grants(user.practice, role).await?;
                // Only roles that may break glass can hold a grant.
                let emergency = if switchboard_domain::emergency::may_break_glass(role) {
                    crate::emergency::load(self.store(), user.id, self.now()).await?
                } else {
                    switchboard_domain::emergency::EmergencyAccess::none()
                };
                let actor = Actor::Staff(StaffActor {
                    user: user.id,
                    practice: user.practice,
                    role,
                    departments: m.departments,
                    care_teams: m.care_teams,
                    pools: m.pools,
                    reads,
                    emergency,
                });
                let summary = UserSummary {
                    id: user.id,
                    username: user.username.clone(),
                    display_name: user.display_name.clone().unwrap_or_default(),
                    kind: UserKind::Staff,
                    role: Some(role),
                    practice: user.practice,
                    patient: None,
                };
                Ok((actor, summary))
            }
            UserKind::Patient => {
                // A patient's own record, or (a caregiver who is not a
                // patient here) the sealed name of their profile.
                let (patient, display_name) = match directory::patient_by_user(self.store(), user.id).await? {
                    Some(patient) => (Some(patient.id), self.patient_display_name(&patient)?),
                    None => {
                        let profile = switchboard_store::queries::caregivers::profile_by_user(self.store(), user.id)
                            .await?
                            .ok_or(ServiceError::Unauthenticated)?;
                        (None, self.caregiver_profile_name(&profile)?)
                    }
                };
                let proxies = self.proxy_grants(user.id, user.practice).await?;
                let actor = Actor::Patient(PatientActor { user: user.id, practice: user.practice, patient, proxies });
                let summary = UserSummary {
                    id: user.id,
                    username: user.username.clone(),
                    display_name,
                    kind: UserKind::Patient,
                    role: None,
                    practice: user.practice,
                    patient,
                };
                Ok((actor, summary))
            }
        }
    }

    /// A secure-link session: the patient of the conversation, reaching
    /// only it (`Actor::LinkPatient`), whether the account is their own or
    /// one made for the link.
    async fn link_principal_parts(
        &self,
        user: &UserRow,
        conversation: ConversationId,
    ) -> Result<(Actor, UserSummary), ServiceError> {
        if user.kind != UserKind::Patient {
            return Err(ServiceError::Unauthenticated);
        }
        let row = conversations::by_id(self.store(), conversation).await?.ok_or(ServiceError::Unauthenticated)?;
        if row.practice != user.practice {
            return Err(ServiceError::Unauthenticated);
        }
        let patient = &row.patient;
        let actor = Actor::LinkPatient(LinkPatientActor {
            user: user.id,
            practice: row.practice,
            patient: patient.id,
            conversation,
        });
        let summary = UserSummary {
            id: user.id,
            username: user.username.clone(),
            display_name: self.patient_display_name(patient)?,
            kind: UserKind::Patient,
            role: None,
            practice: row.practice,
            patient: Some(patient.id),
        };
        Ok((actor, summary))
    }

    /// A sign-in attempt's record: by the account's holder, in their
    /// practice, when the name is known; anonymous and in the operator's
    /// log when it is not.
    pub(crate) fn login_record(
        &self,
        ctx: &RequestContext,
        user: Option<&UserRow>,
        action: AuditAction,
        outcome: Outcome,
        detail: &str,
    ) -> AuditRecord {
        let actor = user.map_or(AuditActor::Anonymous, |u| AuditActor::User { id: u.id, kind: u.kind });
        AuditRecord::new(self.now(), user.map(|u| u.practice), actor, action)
            .with_outcome(outcome)
            .with_client_addr(ctx.client_text())
            .with_detail(detail)
    }

    /// Signs in. Every failure looks the same to the caller, whether the
    /// account exists or not; repeated failures are throttled per account
    /// name and per client address.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        ctx: &RequestContext,
    ) -> Result<LoginOutcome, ServiceError> {
        // An unparseable name is treated like an unknown one.
        let name = Username::parse(username).map(|u| u.as_str().to_owned()).unwrap_or_else(|_| username.to_lowercase());
        let password =
            PasswordInput::parse(password).map_err(|e| ServiceError::invalid("password", "the password", e))?;
        let user = directory::user_by_username(self.store(), &name).await?;
        // Counted before the password is checked, so that parallel guesses
        // cannot all slip in under the limit.
        let attempt = match self.take_attempt(&name, ctx).await? {
            Ok(attempt) => attempt,
            Err(wait) => {
                let rec =
                    self.login_record(ctx, user.as_ref(), AuditAction::LoginThrottled, Outcome::Denied, "throttled");
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::throttled(wait));
            }
        };

        let usable = user.as_ref().filter(|u| u.active);
        let ok = self.verify_password(password.expose().to_owned(), usable.map(|u| u.password_hash.clone())).await?;
        let Some(user) = usable.filter(|_| ok) else {
            let detail = match &user {
                None => "unknown_user",
                Some(u) if !u.active => "inactive_user",
                Some(_) => "wrong_password",
            };
            let rec = self.login_record(ctx, user.as_ref(), AuditAction::LoginFailed, Outcome::Failed, detail);
            let told = match &user {
                Some(u) => self.failed_sign_in_steps(u, attempt.account_failures).await?,
                None => Vec::new(),
            };
            self.store().commit(Unit::new().steps(told).audit(rec)).await?;
            return Err(ServiceError::InvalidCredentials);
        };

        self.finish_first_step(user, FirstStep::Password, attempt.success_steps(), ctx).await
    }

    /// **The one completion of a sign-in's first step** (a password, or a
    /// single sign-on): the second step when the account has a second
    /// factor (a challenge), otherwise the practice's staff requirement
    /// decides a full session, an enrol-only one, or `second_factor_overdue`.
    /// A single sign-on whose practice trusts its provider's own
    /// multi-factor sign-in counts as both factors. `release` gives back the
    /// throttle attempts the first step took, in the same commit.
    pub(crate) async fn finish_first_step(
        &self,
        user: &UserRow,
        first: FirstStep,
        release: Vec<switchboard_store::Step>,
        ctx: &RequestContext,
    ) -> Result<LoginOutcome, ServiceError> {
        let now = self.now();
        // One read of the account's factors decides both the second step and
        // the practice's requirement.
        let factors = self.account_factors(user.id).await?;
        let methods = crate::second_factor::methods_of(&factors);
        let assurance = if first == (FirstStep::Sso { provider_mfa: true }) {
            Assurance::Full
        } else {
            if !methods.is_empty() {
                // The first step's attempt is given back; each code tried at
                // the second step is counted again.
                let challenge = self.issue_challenge(user, release, ctx, first.as_str()).await?;
                return Ok(LoginOutcome::SecondFactor { challenge, methods });
            }
            match self.second_factor_standing(user.kind, &factors) {
                Standing::NotRequired | Standing::Enrolled => Assurance::Full,
                Standing::EnrolBy(_) => Assurance::EnrolOnly,
                Standing::Overdue => {
                    let rec = self.login_record(
                        ctx,
                        Some(user),
                        AuditAction::LoginFailed,
                        Outcome::Denied,
                        &format!("{}:second_factor_overdue", first.as_str()),
                    );
                    self.store().commit(Unit::new().steps(release).audit(rec)).await?;
                    return Err(ServiceError::SecondFactorOverdue);
                }
            }
        };
        let (summary, token, token_hash) = self.new_session_parts(user).await?;
        let detail = match (first, assurance) {
            (FirstStep::Sso { provider_mfa: true }, _) => "sso+provider_mfa".to_owned(),
            (_, Assurance::Full) => first.as_str().to_owned(),
            (_, Assurance::EnrolOnly) => format!("{};enrol_only", first.as_str()),
        };
        let unit = Unit::new()
            .steps(release)
            .step(sessions::insert(&token_hash, user.id, assurance, now))
            .steps(self.sign_in_origin_steps(&token_hash, user, ctx).await?)
            .step(switchboard_store::queries::accounts::record_login(user.id, now))
            .audit(self.login_record(ctx, Some(user), AuditAction::LoginSucceeded, Outcome::Success, &detail));
        self.store().commit(unit).await?;
        Ok(LoginOutcome::Session(LoginResult { token, user: summary, assurance, recovery_codes_left: None }))
    }

    /// The summary of a signing-in account and a new session token (and
    /// its hash, as stored).
    pub(crate) async fn new_session_parts(
        &self,
        user: &UserRow,
    ) -> Result<(UserSummary, String, [u8; 32]), ServiceError> {
        let (_, summary) = self.principal_parts(user, None).await?;
        let (token, token_hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        Ok((summary, token, token_hash))
    }

    /// Resolves a presented session token. Records activity (at most every
    /// few seconds) so that the idle timeout counts from the last request.
    pub async fn authenticate(&self, presented: &str) -> Result<Principal, ServiceError> {
        self.authenticate_from(presented, &RequestContext::default()).await
    }

    /// [`Self::authenticate`], keeping the address the session was last
    /// used from (shown to its holder with their sessions).
    pub async fn authenticate_from(&self, presented: &str, ctx: &RequestContext) -> Result<Principal, ServiceError> {
        let token_hash = token::hash_presented_token(presented).ok_or(ServiceError::Unauthenticated)?;
        let session = sessions::by_token_hash(self.store(), &token_hash).await?.ok_or(ServiceError::Unauthenticated)?;
        if !session.user.active {
            return Err(ServiceError::Unauthenticated);
        }
        let now = self.now();
        let limits = self.config().sessions.for_kind(session.user.kind);
        let times = SessionTimes {
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            revoked: session.revoked,
        };
        if session_state(times, limits, now) != SessionState::Active {
            return Err(ServiceError::Unauthenticated);
        }
        if needs_touch(session.last_seen_at, now) {
            let touch = sessions::touch_from(&token_hash, now, ctx.client_text().as_deref());
            self.store().commit(Unit::new().step(touch)).await?;
        }
        let (actor, user) = self.principal_parts(&session.user, session.conversation).await?;
        Ok(Principal {
            actor,
            user,
            assurance: session.assurance,
            authenticated_at: session.authenticated_at,
            session_created_at: Some(session.created_at),
            token_hash,
        })
    }

    /// Ends the session at once, and drops the push subscriptions made in
    /// it: a browser signed out of is told nothing more for the account.
    pub async fn logout(&self, principal: &Principal, ctx: &RequestContext) -> Result<(), ServiceError> {
        let rec = self.record(principal, ctx, AuditAction::Logout);
        let unit = Unit::new()
            .step(sessions::revoke(&principal.token_hash, self.now()))
            .step(switchboard_store::queries::deliveries::delete_session_push_subscriptions(&principal.token_hash))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(())
    }
}

impl Switchboard {
    /// Re-reads a session without recording activity (for long-lived live
    /// streams, which must not keep a session alive by themselves). `None`
    /// once it has ended; otherwise the principal with fresh memberships.
    pub async fn recheck_session(&self, principal: &Principal) -> Result<SessionCheck, ServiceError> {
        let Some(session) = sessions::by_token_hash(self.store(), &principal.token_hash).await? else {
            return Ok(SessionCheck::Ended(SessionEnd::SignedOut));
        };
        if !session.user.active {
            return Ok(SessionCheck::Ended(SessionEnd::Deactivated));
        }
        let limits = self.config().sessions.for_kind(session.user.kind);
        let times = SessionTimes {
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            revoked: session.revoked,
        };
        match session_state(times, limits, self.now()) {
            SessionState::Active => {}
            SessionState::IdleExpired | SessionState::LifetimeExpired => {
                return Ok(SessionCheck::Ended(SessionEnd::TimedOut));
            }
            SessionState::Revoked => return Ok(SessionCheck::Ended(SessionEnd::SignedOut)),
        }
        let (actor, user) = self.principal_parts(&session.user, session.conversation).await?;
        Ok(SessionCheck::Active(Box::new(Principal {
            actor,
            user,
            assurance: session.assurance,
            authenticated_at: session.authenticated_at,
            session_created_at: Some(session.created_at),
            token_hash: principal.token_hash,
        })))
    }

    /// The principal of `user` without a session: for trusted in-process
    /// tools only (demo seeding, tests). Never reachable over HTTP.
    pub async fn principal_for(&self, user: switchboard_domain::ids::UserId) -> Result<Principal, ServiceError> {
        let row = directory::user_by_id(self.store(), user).await?.ok_or(ServiceError::NotFound)?;
        let (actor, user) = self.principal_parts(&row, None).await?;
        Ok(Principal {
            actor,
            user,
            assurance: Assurance::Full,
            authenticated_at: Some(self.now()),
            session_created_at: None,
            token_hash: [0u8; 32],
        })
    }
}
