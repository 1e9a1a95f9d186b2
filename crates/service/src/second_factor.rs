//! Second factors: enrolling an authenticator app (TOTP) with recovery
//! codes, the second step of a sign-in, re-authentication before sensitive
//! actions, and the practice's requirement that staff use a second factor
//! (with an administrator's reset for a lost phone). The rules are the
//! domain's (`domain::mfa`), the code arithmetic the crypto crate's.

use crate::auth::{LoginResult, Principal};
pub use crate::passkeys::SecondStep;
use crate::sealing;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::token;
use switchboard_crypto::totp::TotpSecret;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{DataKeyId, UserId};
use switchboard_domain::mfa::{
    self, Assurance, CHALLENGE_LIFETIME, CHALLENGE_TRIES, ENROLMENT_LIFETIME, MAX_GRACE_HOURS, Method, RECOVERY_CODES,
    RecoveryCode, SecondFactorCode, Standing, TotpCode,
};
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::role::UserKind;
use switchboard_domain::text::{PasswordInput, Username};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{accounts, directory, keys as keys_q, mfa as q, sessions};
use switchboard_store::rows::{UserRow, WrappedKeyRow};
use switchboard_store::{Conflict, StoreError, Unit};

/// The sealed TOTP secret's column, bound into its ciphertext.
const SECRET_COLUMN: &str = "totp_factors.secret_ct";
/// The purpose recovery codes are hashed under.
const RECOVERY_PURPOSE: &str = "mfa.recovery_code";

/// A new authenticator app, before its first code confirms it.
#[derive(Clone)]
pub struct TotpEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// `otpauth://` for the QR code.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(<redacted>)")
    }
}

/// Where the signed-in account stands with its second factors.
#[derive(Clone, Debug)]
pub struct SecondFactorStatus {
    pub totp: bool,
    /// Passkeys registered.
    pub passkeys: u32,
    pub recovery_codes_left: u32,
    /// The practice requires one of this account.
    pub required: bool,
    /// Until when an account without one may still enrol.
    pub enrol_by: Option<Timestamp>,
}

/// The practice's requirement of staff, as administrators set it.
#[derive(Clone, Copy, Debug)]
pub struct StaffSecondFactorPolicy {
    pub required: bool,
    pub grace_hours: i64,
}

/// What the second step of a sign-in, or a re-authentication, was given.
pub enum Proof {
    Password(String),
    Code(String),
    /// A passkey's answer (JSON text) to the options of
    /// `reauthentication_passkey_options`, with their state token.
    Passkey {
        state: String,
        credential: String,
    },
}

impl Switchboard {
    fn recovery_hash(&self, user: UserId, code: &RecoveryCode) -> [u8; 32] {
        self.keys().fingerprint(RECOVERY_PURPOSE, &[user.as_bytes(), code.expose().as_bytes()])
    }

    /// The account's confirmed (or pending) authenticator secret, unsealed.
    async fn totp_secret(&self, user: UserId) -> Result<Option<(TotpSecret, q::TotpRow)>, ServiceError> {
        let Some(row) = q::totp(self.store(), user).await? else { return Ok(None) };
        let key = sealing::data_key(self.keys(), &row.key)?;
        let text = sealing::open(&key, SECRET_COLUMN, user.as_bytes(), &row.secret_ct)?;
        let bytes = decode_hex(&text).ok_or(ServiceError::Internal)?;
        Ok(Some((TotpSecret::from_bytes(&bytes), row)))
    }

    /// Which accepted time step `code` matches for a confirmed app, if it
    /// is fresh (never a code of a step already used).
    async fn totp_step(&self, user: UserId, code: TotpCode, confirmed: bool) -> Result<Option<u64>, ServiceError> {
        let Some((secret, row)) = self.totp_secret(user).await? else { return Ok(None) };
        if row.confirmed != confirmed {
            return Ok(None);
        }
        let digits = u32::try_from(mfa::TOTP_DIGITS).unwrap_or(6);
        let step = secret.matching_step(code.value(), digits, mfa::accepted_steps(self.now()));
        Ok(step.filter(|s| mfa::fresh_step(row.last_step, *s)))
    }

    /// The account's second factors and its practice's requirement, read once.
    pub(crate) async fn account_factors(&self, user: UserId) -> Result<q::FactorsRow, ServiceError> {
        q::factors(self.store(), user).await?.ok_or(ServiceError::Internal)
    }

    /// The account's standing against its practice's requirement.
    pub(crate) fn second_factor_standing(&self, kind: UserKind, f: &q::FactorsRow) -> Standing {
        let grace_from = match f.reset_at {
            Some(r) if r > f.user_created_at => r,
            _ => f.user_created_at,
        };
        mfa::standing(kind, &f.requirement, f.enrolled(), grace_from, self.now())
    }

    /// The methods a sign-in's second step takes for this account.
    pub(crate) async fn second_factor_methods(&self, user: UserId) -> Result<Vec<Method>, ServiceError> {
        Ok(methods_of(&self.account_factors(user).await?))
    }

    /// A password was accepted for an account with a second factor: a
    /// challenge for the second step (its token, given to the client once).
    pub(crate) async fn issue_challenge(
        &self,
        user: &UserRow,
        release: Vec<switchboard_store::Step>,
        ctx: &RequestContext,
        first_factor: &str,
    ) -> Result<String, ServiceError> {
        let (challenge, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        let rec = AuditRecord::new(
            self.now(),
            Some(user.practice),
            AuditActor::User { id: user.id, kind: user.kind },
            AuditAction::SecondFactorChallenged,
        )
        .with_client_addr(ctx.client_text())
        .with_detail(first_factor);
        let unit =
            Unit::new().steps(release).step(q::insert_challenge(&hash, user.id, self.now(), first_factor)).audit(rec);
        self.store().commit(unit).await?;
        Ok(challenge)
    }

    /// The second step of a sign-in: a code from the authenticator app, a
    /// recovery code, or a passkey's answer, for the challenge the password
    /// step gave. Tries are counted (per challenge, and by the sign-in
    /// throttle per account and address) before the code or answer is
    /// checked; each code, and each passkey ceremony, works once.
    pub async fn complete_sign_in(
        &self,
        challenge: &str,
        step: SecondStep,
        ctx: &RequestContext,
    ) -> Result<LoginResult, ServiceError> {
        let now = self.now();
        let hash = token::hash_presented_token(challenge).ok_or(ServiceError::ChallengeInvalid)?;
        let Some(found) = q::challenge(self.store(), &hash).await? else {
            let rec = AuditRecord::new(now, None, AuditActor::Anonymous, AuditAction::LoginFailed)
                .with_outcome(Outcome::Failed)
                .with_client_addr(ctx.client_text())
                .with_detail("unknown_challenge");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::ChallengeInvalid);
        };
        let user = found.user;
        // As stored by the first step; only the two known words are written.
        let first = if found.first_factor == "sso" { "sso" } else { "password" };
        let record = |action, outcome, detail: &str| {
            AuditRecord::new(self.now(), Some(user.practice), AuditActor::User { id: user.id, kind: user.kind }, action)
                .with_outcome(outcome)
                .with_client_addr(ctx.client_text())
                .with_detail(detail)
        };
        let attempt = match self.take_attempt(&user.username, ctx).await? {
            Ok(a) => a,
            Err(wait) => {
                let rec = record(AuditAction::LoginThrottled, Outcome::Denied, "throttled");
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::throttled(wait));
            }
        };
        let counted = Unit::new().step(q::count_challenge_try(&hash, CHALLENGE_TRIES, now.minus(CHALLENGE_LIFETIME)));
        if let Err(e) = self.store().commit(counted).await {
            return match e {
                StoreError::Conflict(Conflict::ChallengeSpent) => {
                    let rec = record(AuditAction::LoginFailed, Outcome::Failed, "challenge_closed");
                    self.store().commit(Unit::new().audit(rec)).await?;
                    Err(ServiceError::ChallengeInvalid)
                }
                other => Err(other.into()),
            };
        }
        if !user.active || !mfa::challenge_open(found.created_at, found.tries, found.spent, now) {
            let rec = record(AuditAction::LoginFailed, Outcome::Failed, "challenge_closed");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::ChallengeInvalid);
        }
        let spent = match &step {
            SecondStep::Code(code) => match SecondFactorCode::parse(code) {
                Some(SecondFactorCode::Totp(c)) => {
                    self.totp_step(user.id, c, true).await?.map(|s| (q::use_totp_step(user.id, s), "totp"))
                }
                Some(SecondFactorCode::Recovery(c)) => {
                    let h = self.recovery_hash(user.id, &c);
                    Some((q::use_recovery_code(user.id, &h, now), "recovery_code"))
                }
                None => None,
            },
            SecondStep::Passkey { state, credential } => {
                self.second_factor_passkey(user.id, state, credential).await?.map(|s| (s, "passkey"))
            }
        };
        let Some((use_code, method)) = spent else {
            if matches!(step, SecondStep::Passkey { .. }) {
                let rec = record(AuditAction::LoginFailed, Outcome::Failed, "passkey_refused");
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::PasskeyRefused);
            }
            return Err(self.wrong_code(record(AuditAction::LoginFailed, Outcome::Failed, "wrong_code")).await);
        };
        let (summary, token, token_hash) = self.new_session_parts(&user).await?;
        let unit = Unit::new()
            .step(use_code)
            .step(q::spend_challenge(&hash, now))
            .steps(attempt.success_steps())
            .step(sessions::insert(&token_hash, user.id, Assurance::Full, now))
            .steps(self.sign_in_origin_steps(&token_hash, &user, ctx).await?)
            .step(accounts::record_login(user.id, now))
            .audit(record(AuditAction::LoginSucceeded, Outcome::Success, &format!("{first}+{method}")));
        match self.store().commit(unit).await {
            Ok(_) => {}
            // The code was used meanwhile (a replay, or the same code twice
            // at once), or the challenge was: the same answer as a wrong one.
            Err(StoreError::Conflict(Conflict::CodeSpent | Conflict::ChallengeSpent | Conflict::PasskeyMissing)) => {
                return Err(self.wrong_code(record(AuditAction::LoginFailed, Outcome::Failed, "code_spent")).await);
            }
            Err(e) => return Err(e.into()),
        }
        let left = if method == "recovery_code" {
            Some(q::factors(self.store(), user.id).await?.map_or(0, |f| f.recovery_codes_left))
        } else {
            None
        };
        Ok(LoginResult { token, user: summary, assurance: Assurance::Full, recovery_codes_left: left })
    }

    /// A wrong (or spent) code: recorded; its throttle attempt is kept.
    async fn wrong_code(&self, rec: AuditRecord) -> ServiceError {
        match self.store().commit(Unit::new().audit(rec)).await {
            Ok(_) => ServiceError::InvalidSecondFactor,
            Err(e) => e.into(),
        }
    }

    /// Where the caller stands with second factors.
    pub async fn second_factor_status(&self, p: &Principal) -> Result<SecondFactorStatus, ServiceError> {
        let f = q::factors(self.store(), p.user.id).await?.ok_or(ServiceError::NotFound)?;
        let standing = self.second_factor_standing(p.user.kind, &f);
        Ok(SecondFactorStatus {
            totp: f.totp_confirmed,
            passkeys: f.passkeys,
            recovery_codes_left: f.recovery_codes_left,
            required: !matches!(standing, Standing::NotRequired),
            enrol_by: match standing {
                Standing::EnrolBy(t) => Some(t),
                _ => None,
            },
        })
    }

    /// Starts setting up an authenticator app: a new secret, sealed and
    /// kept unconfirmed until the first code from the app
    /// ([`Self::confirm_totp`]). Refused while a confirmed app exists.
    pub async fn begin_totp(&self, p: &Principal, ctx: &RequestContext) -> Result<TotpEnrolment, ServiceError> {
        if q::totp(self.store(), p.user.id).await?.is_some_and(|t| t.confirmed) {
            return Err(ServiceError::Conflict("an authenticator app is already set up; remove it first"));
        }
        let secret = TotpSecret::generate().map_err(|_| ServiceError::Internal)?;
        let key_id = self.new_id(DataKeyId::from_bytes)?;
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let sealed = sealing::seal(&key, SECRET_COLUMN, p.user.id.as_bytes(), &encode_hex(secret.expose()))?;
        let key_row = WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let now = self.now();
        let rec = self.record(p, ctx, AuditAction::SecondFactorEnrolled).with_detail("totp_begun");
        let unit = Unit::new()
            .step(keys_q::insert(&key_row, p.user.practice, now))
            .steps(q::begin_totp(p.user.id, &key_row, sealed, now))
            .audit(rec);
        self.store().commit(unit).await?;
        let issuer = directory::practice_name(self.store(), p.user.practice).await?.unwrap_or_default();
        let secret = secret.base32();
        let otpauth_uri = mfa::otpauth_uri(&issuer, &p.user.username, &secret);
        Ok(TotpEnrolment { secret, otpauth_uri })
    }

    /// Confirms the app with its first code and gives ten recovery codes,
    /// shown this once. A session that could only enrol can now do
    /// everything its holder may.
    pub async fn confirm_totp(
        &self,
        p: &Principal,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<Vec<String>, ServiceError> {
        let Some(code) = TotpCode::parse(code) else {
            return Err(ServiceError::invalid("code", "the code", "must be the six digits the app shows"));
        };
        let pending = q::totp(self.store(), p.user.id).await?;
        let now = self.now();
        match &pending {
            Some(t) if !t.confirmed && now < t.created_at.plus(ENROLMENT_LIFETIME) => {}
            Some(t) if t.confirmed => {
                return Err(ServiceError::Conflict("this authenticator app is already set up"));
            }
            _ => return Err(ServiceError::Conflict("start setting up the authenticator app again")),
        }
        let Some(step) = self.totp_step(p.user.id, code, false).await? else {
            let rec = self
                .record(p, ctx, AuditAction::SecondFactorEnrolled)
                .with_outcome(Outcome::Failed)
                .with_detail("wrong_code");
            return Err(self.wrong_code(rec).await);
        };
        let (codes, steps) = self.new_recovery_codes(p.user.id)?;
        let mut unit = Unit::new()
            .step(q::confirm_totp(p.user.id, step, now))
            .steps(steps)
            .audit(self.record(p, ctx, AuditAction::SecondFactorEnrolled).with_detail("totp_confirmed"))
            .audit(self.record(p, ctx, AuditAction::RecoveryCodesIssued));
        if p.assurance == Assurance::EnrolOnly {
            unit.push(q::raise_session(&p.token_hash, now));
        }
        match self.store().commit(unit).await {
            Ok(_) => Ok(codes),
            Err(StoreError::Conflict(Conflict::CodeSpent)) => Err(ServiceError::InvalidSecondFactor),
            Err(e) => Err(e.into()),
        }
    }

    fn new_recovery_codes(&self, user: UserId) -> Result<(Vec<String>, Vec<switchboard_store::Step>), ServiceError> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let mut hashes = Vec::with_capacity(RECOVERY_CODES);
        while codes.len() < RECOVERY_CODES {
            let random = switchboard_crypto::random::array::<32>().map_err(|_| ServiceError::Internal)?;
            if let Some(code) = RecoveryCode::from_random(&random) {
                let h = self.recovery_hash(user, &code);
                if !hashes.contains(&h) {
                    hashes.push(h);
                    codes.push(code.display());
                }
            }
        }
        Ok((codes, q::replace_recovery_codes(user, &hashes, self.now())))
    }

    /// New recovery codes in place of the old ones (after re-authenticating).
    pub async fn regenerate_recovery_codes(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<String>, ServiceError> {
        self.require_recent_authentication(p)?;
        if !q::totp(self.store(), p.user.id).await?.is_some_and(|t| t.confirmed) {
            return Err(ServiceError::Conflict("set up an authenticator app first"));
        }
        let (codes, steps) = self.new_recovery_codes(p.user.id)?;
        let unit = Unit::new().steps(steps).audit(self.record(p, ctx, AuditAction::RecoveryCodesIssued));
        self.store().commit(unit).await?;
        Ok(codes)
    }

    /// Removes the caller's authenticator app and recovery codes (after
    /// re-authenticating). Refused while their practice requires a second
    /// factor of them: an administrator resets a lost one instead.
    pub async fn remove_totp(&self, p: &Principal, ctx: &RequestContext) -> Result<(), ServiceError> {
        self.require_recent_authentication(p)?;
        let f = q::factors(self.store(), p.user.id).await?.ok_or(ServiceError::NotFound)?;
        // A passkey left keeps the requirement met.
        if p.user.kind == UserKind::Staff && f.requirement.required && f.passkeys == 0 {
            return Err(ServiceError::Conflict(
                "your practice requires a second factor of staff, so it cannot be removed; ask an administrator to reset it if your phone is lost",
            ));
        }
        let unit = Unit::new()
            .step(q::delete_totp(p.user.id))
            .step(q::delete_recovery_codes(p.user.id))
            .audit(self.record(p, ctx, AuditAction::SecondFactorRemoved));
        self.store().commit(unit).await?;
        Ok(())
    }

    /// Proves again who the session's holder is (a password, a code from
    /// the app or a recovery code, or a passkey), for the sensitive actions that
    /// ask for it within [`mfa::REAUTH_WINDOW`]. Throttled like sign-in.
    pub async fn reauthenticate(&self, p: &Principal, proof: Proof, ctx: &RequestContext) -> Result<(), ServiceError> {
        let user = directory::user_by_id(self.store(), p.user.id).await?.ok_or(ServiceError::Unauthenticated)?;
        let attempt = match self.take_attempt(&user.username, ctx).await? {
            Ok(a) => a,
            Err(wait) => {
                let rec = self.record(p, ctx, AuditAction::Reauthenticated).with_outcome(Outcome::Denied);
                self.store().commit(Unit::new().audit(rec.with_detail("throttled"))).await?;
                return Err(ServiceError::throttled(wait));
            }
        };
        let now = self.now();
        let (use_code, method) = match proof {
            Proof::Password(pw) => {
                let pw = PasswordInput::parse(pw).map_err(|e| ServiceError::invalid("password", "the password", e))?;
                let ok = self.verify_password(pw.expose().to_owned(), Some(user.password_hash.clone())).await?;
                (ok.then_some(None), "password")
            }
            Proof::Code(code) => match SecondFactorCode::parse(&code) {
                Some(SecondFactorCode::Totp(c)) => {
                    (self.totp_step(user.id, c, true).await?.map(|s| Some(q::use_totp_step(user.id, s))), "totp")
                }
                Some(SecondFactorCode::Recovery(c)) => {
                    let h = self.recovery_hash(user.id, &c);
                    (Some(Some(q::use_recovery_code(user.id, &h, now))), "recovery_code")
                }
                None => (None, "code"),
            },
            Proof::Passkey { state, credential } => {
                (self.second_factor_passkey(user.id, &state, &credential).await?.map(Some), "passkey")
            }
        };
        let failed = |detail: &str| {
            self.record(p, ctx, AuditAction::Reauthenticated).with_outcome(Outcome::Failed).with_detail(detail)
        };
        let Some(use_code) = use_code else {
            return Err(match method {
                "password" => {
                    self.store().commit(Unit::new().audit(failed("wrong_password"))).await?;
                    ServiceError::InvalidCredentials
                }
                "passkey" => {
                    self.store().commit(Unit::new().audit(failed("passkey_refused"))).await?;
                    ServiceError::PasskeyRefused
                }
                _ => self.wrong_code(failed("wrong_code")).await,
            });
        };
        let mut unit = Unit::new()
            .steps(attempt.success_steps())
            .step(sessions::reauthenticated(&p.token_hash, now))
            .audit(self.record(p, ctx, AuditAction::Reauthenticated).with_detail(method));
        unit.extend(use_code);
        match self.store().commit(unit).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(Conflict::CodeSpent)) => Err(self.wrong_code(failed("code_spent")).await),
            Err(StoreError::Conflict(Conflict::SessionEnded)) => Err(ServiceError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses a sensitive action unless the session's holder proved who
    /// they are within the last five minutes (sign-in counts).
    pub(crate) fn require_recent_authentication(&self, p: &Principal) -> Result<(), ServiceError> {
        match p.authenticated_at {
            Some(at) if mfa::recently_authenticated(at, self.now()) => Ok(()),
            _ => Err(ServiceError::ReauthenticationRequired),
        }
    }

    /// [`Self::require_recent_authentication`], by a proof given *after*
    /// signing in: for breaking glass, where the proof is part of the act
    /// (as a signature is), even a minute after the sign-in.
    pub(crate) fn require_explicit_reauthentication(&self, p: &Principal) -> Result<(), ServiceError> {
        self.require_recent_authentication(p)?;
        match (p.authenticated_at, p.session_created_at) {
            (Some(at), Some(opened)) if at <= opened => Err(ServiceError::ReauthenticationRequired),
            _ => Ok(()),
        }
    }

    /// The practice's requirement of staff.
    pub async fn staff_second_factor_policy(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<StaffSecondFactorPolicy, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let r = q::requirement(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        Ok(StaffSecondFactorPolicy { required: r.required, grace_hours: r.grace.as_micros() / 3_600_000_000 })
    }

    /// Administrators set whether staff must use a second factor and the
    /// grace period to enrol (after re-authenticating). Turning it on starts
    /// everyone's grace period now.
    pub async fn set_staff_second_factor_policy(
        &self,
        p: &Principal,
        policy: StaffSecondFactorPolicy,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PracticeUpdated).await?;
        self.require_recent_authentication(p)?;
        if !(1..=MAX_GRACE_HOURS).contains(&policy.grace_hours) {
            return Err(ServiceError::Invalid {
                field: "grace_hours",
                problem: format!("the grace period must be between 1 hour and {} days", MAX_GRACE_HOURS / 24),
            });
        }
        // An administrator who requires it of everyone has one: otherwise
        // the grace period could lock every administrator out at once.
        if policy.required && !q::factors(self.store(), p.user.id).await?.is_some_and(|f| f.enrolled()) {
            return Err(ServiceError::Conflict(
                "set up your own second factor first, so that the requirement cannot lock you out",
            ));
        }
        let practice = p.user.practice;
        let rec = self
            .record(p, ctx, AuditAction::PracticeUpdated)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(if policy.required { "staff_second_factor=required" } else { "staff_second_factor=optional" });
        // Sessions opened before the requirement follow it at once, not at
        // their holder's next sign-in.
        let unit = Unit::new()
            .step(q::set_requirement(practice, policy.required, policy.grace_hours, self.now()))
            .step(q::restrict_unenrolled_staff_sessions(practice))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(())
    }

    /// An administrator removes a staff member's (or patient's) second
    /// factors, for a lost phone: they sign in with their password and,
    /// where the practice requires it, enrol again within the grace period.
    pub async fn reset_second_factors(
        &self,
        p: &Principal,
        user: UserId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SecondFactorReset).await?;
        self.require_recent_authentication(p)?;
        let target = directory::user_by_id(self.store(), user).await?;
        let Some(target) = target.filter(|t| t.practice == p.user.practice) else {
            return Err(ServiceError::NotFound);
        };
        let rec = self
            .record(p, ctx, AuditAction::SecondFactorReset)
            .with_resource(ResourceKind::User, *target.id.as_bytes());
        // Whoever holds the lost phone may also hold an open session: where
        // the practice requires a second factor, that session may now only
        // enrol one.
        let unit = Unit::new()
            .steps(q::reset(target.id, self.now()))
            .step(q::restrict_unenrolled_staff_sessions(target.practice))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(())
    }

    /// The deployment's operator, at the server's console, resets an
    /// account's second factors: for the administrator who lost both their
    /// phone and their recovery codes and has no colleague to do it. Audited
    /// as the system's act; never reachable over HTTP. Answers the account's
    /// practice.
    pub async fn reset_second_factors_at_console(
        &self,
        username: &str,
    ) -> Result<switchboard_domain::ids::PracticeId, ServiceError> {
        let name = Username::parse(username).map_err(|e| ServiceError::invalid("username", "the user name", e))?;
        let Some(target) = directory::user_by_username(self.store(), name.as_str()).await? else {
            return Err(ServiceError::NotFound);
        };
        let rec =
            AuditRecord::new(self.now(), Some(target.practice), AuditActor::System, AuditAction::SecondFactorReset)
                .with_resource(ResourceKind::User, *target.id.as_bytes());
        let unit = Unit::new()
            .steps(q::reset(target.id, self.now()))
            .step(q::restrict_unenrolled_staff_sessions(target.practice))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(target.practice)
    }

    /// The demo practice (and tools that set up a practice) may turn the
    /// requirement off without a signed-in administrator. Never reachable
    /// over HTTP.
    pub async fn set_staff_second_factor_required(
        &self,
        practice: switchboard_domain::ids::PracticeId,
        required: bool,
    ) -> Result<(), ServiceError> {
        let grace = mfa::DEFAULT_GRACE.as_micros() / 3_600_000_000;
        self.store().commit(Unit::new().step(q::set_requirement(practice, required, grace, self.now()))).await?;
        Ok(())
    }
}

/// The methods a sign-in's second step takes, given the account's factors.
pub(crate) fn methods_of(f: &q::FactorsRow) -> Vec<Method> {
    let mut methods = Vec::new();
    if f.totp_confirmed {
        methods.push(Method::Totp);
    }
    if f.recovery_codes_left > 0 && !methods.is_empty() {
        methods.push(Method::RecoveryCode);
    }
    if f.passkeys > 0 {
        methods.push(Method::Passkey);
    }
    methods
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}
