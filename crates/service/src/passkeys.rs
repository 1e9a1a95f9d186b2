//! Passkeys (WebAuthn): registering one from the Security page, listing
//! and removing them, the sign-in's second step with one, and signing in
//! with a passkey alone (a discoverable credential: no user name, no
//! password). The relying party's checks are `crypto::passkey`'s; here are
//! the ceremonies' state (kept in the database, used once, five minutes),
//! the sealed records, throttling and the audit. Everything the browser
//! sends or gets passes through as JSON text this module never reads.

use crate::auth::{LoginResult, Principal};
use crate::sealing;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::passkey::{PasskeyError, RelyingParty};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome};
use switchboard_domain::ids::{DataKeyId, PasskeyId, UserId};
use switchboard_domain::mfa::{self, Assurance, PASSKEY_CEREMONY_LIFETIME, PasskeyName};
use switchboard_domain::role::UserKind;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::passkeys::{self as pq, CeremonyKind, PasskeyRow};
use switchboard_store::queries::{accounts, directory, keys as keys_q, mfa as q, sessions};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// The sealed passkey record's column, bound into its ciphertext.
const CREDENTIAL_COLUMN: &str = "passkeys.credential_ct";
/// The address counter for passwordless options (given back on success).
const OPTIONS_ADDRESS: &str = "passkey.options";

/// Options for the browser and the token naming their state on the
/// server: the token comes back with the browser's answer.
#[derive(Clone)]
pub struct PasskeyCeremony {
    pub state: String,
    /// `{"publicKey": {...}}` as JSON text.
    pub options: String,
}

impl std::fmt::Debug for PasskeyCeremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyCeremony(<redacted>)")
    }
}

/// A registered passkey as its holder sees it.
#[derive(Clone, Debug)]
pub struct PasskeyView {
    pub id: PasskeyId,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl From<&PasskeyRow> for PasskeyView {
    fn from(r: &PasskeyRow) -> Self {
        PasskeyView { id: r.id, name: r.name.clone(), created_at: r.created_at, last_used_at: r.last_used_at }
    }
}

/// What the second step of a sign-in was given.
pub enum SecondStep {
    /// A code from the authenticator app, or a recovery code.
    Code(String),
    /// A passkey's answer (JSON text) to the options its state token names.
    Passkey { state: String, credential: String },
}

/// Why a ceremony's state could not be used.
enum StateRefused {
    /// Unknown, spent, too old, or of another kind or account.
    Closed,
    Store(ServiceError),
}

impl From<StoreError> for StateRefused {
    fn from(e: StoreError) -> Self {
        StateRefused::Store(e.into())
    }
}

impl Switchboard {
    /// The relying party, or why passkeys cannot be used here.
    pub(crate) fn relying_party(&self) -> Result<&RelyingParty, ServiceError> {
        self.config().passkeys.as_deref().ok_or(ServiceError::PasskeysUnavailable(
            "passkeys need the server's name, such as https://localhost:PORT, not an IP address",
        ))
    }

    /// The relying party's id (the domain passkeys are made for), if any.
    pub fn passkey_rp_id(&self) -> Option<&str> {
        self.config().passkeys.as_deref().map(RelyingParty::id)
    }

    async fn new_state(
        &self,
        user: Option<UserId>,
        kind: CeremonyKind,
        state: String,
        options: String,
    ) -> Result<PasskeyCeremony, ServiceError> {
        let (token, hash) = token::new_session_token().map_err(|_| ServiceError::Internal)?;
        self.store().commit(Unit::new().step(pq::insert_state(&hash, user, kind, state, self.now()))).await?;
        Ok(PasskeyCeremony { state: token, options })
    }

    /// Takes a ceremony's state for its one use: it must be of `kind`, for
    /// `user` (when one is named), unspent and younger than five minutes.
    /// Spent at once, before the answer is checked, so that one answer
    /// cannot be tried twice.
    async fn take_state(
        &self,
        token: &str,
        kind: CeremonyKind,
        user: Option<UserId>,
    ) -> Result<pq::StateRow, StateRefused> {
        let now = self.now();
        let Some(hash) = token::hash_presented_token(token) else { return Err(StateRefused::Closed) };
        let Some(row) = pq::state(self.store(), &hash).await? else { return Err(StateRefused::Closed) };
        if row.kind != kind
            || (user.is_some() && row.user != user)
            || !mfa::ceremony_open(row.created_at, row.spent, now)
        {
            return Err(StateRefused::Closed);
        }
        match self
            .store()
            .commit(Unit::new().step(pq::spend_state(&hash, now, now.minus(PASSKEY_CEREMONY_LIFETIME))))
            .await
        {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict(Conflict::ChallengeSpent)) => Err(StateRefused::Closed),
            Err(e) => Err(e.into()),
        }
    }

    /// The account's passkeys with their records unsealed.
    async fn unsealed_passkeys(&self, user: UserId) -> Result<Vec<(PasskeyRow, String)>, ServiceError> {
        let rows = pq::of_user(self.store(), user).await?;
        rows.into_iter()
            .map(|r| {
                let key = sealing::data_key(self.keys(), &r.key)?;
                let text = sealing::open(&key, CREDENTIAL_COLUMN, r.id.as_bytes(), &r.credential_ct)?;
                Ok((r, text))
            })
            .collect()
    }

    fn reseal(&self, row: &PasskeyRow, updated: Option<String>) -> Result<Option<Vec<u8>>, ServiceError> {
        updated
            .map(|text| {
                let key = sealing::data_key(self.keys(), &row.key)?;
                sealing::seal(&key, CREDENTIAL_COLUMN, row.id.as_bytes(), &text)
            })
            .transpose()
    }

    /// Options to register a passkey for the signed-in account (a session
    /// that may only enrol may too). The passkey is asked to be
    /// discoverable, so that it also signs in without a password.
    pub async fn passkey_registration_options(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<PasskeyCeremony, ServiceError> {
        let rp = self.relying_party()?;
        let existing: Vec<String> = self.unsealed_passkeys(p.user.id).await?.into_iter().map(|(_, s)| s).collect();
        let ceremony = rp
            .start_registration(*p.user.id.as_bytes(), &p.user.username, &p.user.display_name, &existing)
            .map_err(passkey_internal)?;
        let made =
            self.new_state(Some(p.user.id), CeremonyKind::Registration, ceremony.state, ceremony.options).await?;
        let rec = self.record(p, ctx, AuditAction::SecondFactorEnrolled).with_detail("passkey_begun");
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(made)
    }

    /// Registers the passkey the browser made for the options `state`
    /// names. A session that could only enrol can now do everything its
    /// holder may.
    pub async fn register_passkey(
        &self,
        p: &Principal,
        state: &str,
        credential: &str,
        name: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<PasskeyView, ServiceError> {
        let rp = self.relying_party()?;
        let now = self.now();
        let name = match name.filter(|n| !n.trim().is_empty()) {
            Some(n) => PasskeyName::parse(n).map_err(|e| ServiceError::invalid("name", "the passkey's name", e))?,
            None => PasskeyName::added_on(now),
        };
        let row = match self.take_state(state, CeremonyKind::Registration, Some(p.user.id)).await {
            Ok(row) => row,
            Err(StateRefused::Store(e)) => return Err(e),
            Err(StateRefused::Closed) => {
                return Err(ServiceError::Conflict(
                    "adding this passkey took too long or was already finished; start again",
                ));
            }
        };
        let new = match rp.finish_registration(credential, &row.state) {
            Ok(new) => new,
            Err(e) => {
                let rec = self
                    .record(p, ctx, AuditAction::SecondFactorEnrolled)
                    .with_outcome(Outcome::Failed)
                    .with_detail(refusal_detail(e));
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::invalid(
                    "credential",
                    "the passkey",
                    "was not accepted; try adding it again",
                ));
            }
        };
        let id = self.new_id(PasskeyId::from_bytes)?;
        let key_id = self.new_id(DataKeyId::from_bytes)?;
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let sealed = sealing::seal(&key, CREDENTIAL_COLUMN, id.as_bytes(), &new.stored)?;
        let key_row = WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let mut unit = Unit::new()
            .step(keys_q::insert(&key_row, p.user.practice, now))
            .step(pq::insert(pq::NewPasskey {
                id,
                user: p.user.id,
                credential_id: &new.credential_id,
                key: &key_row,
                credential_ct: sealed,
                name: name.as_str(),
                at: now,
            }))
            .audit(self.record(p, ctx, AuditAction::SecondFactorEnrolled).with_detail("passkey"));
        if p.assurance == Assurance::EnrolOnly {
            unit.push(q::raise_session(&p.token_hash, now));
        }
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::Unique)) => {
                return Err(ServiceError::Conflict("this passkey is already registered"));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(PasskeyView { id, name: name.as_str().to_owned(), created_at: now, last_used_at: None })
    }

    /// The caller's passkeys, oldest first.
    pub async fn passkeys(&self, p: &Principal) -> Result<Vec<PasskeyView>, ServiceError> {
        Ok(pq::of_user(self.store(), p.user.id).await?.iter().map(PasskeyView::from).collect())
    }

    /// Removes one of the caller's passkeys (after re-authenticating).
    /// Refused when it is the last second factor of staff whose practice
    /// requires one.
    pub async fn remove_passkey(&self, p: &Principal, id: PasskeyId, ctx: &RequestContext) -> Result<(), ServiceError> {
        self.require_recent_authentication(p)?;
        let mine = pq::of_user(self.store(), p.user.id).await?;
        if !mine.iter().any(|k| k.id == id) {
            return Err(ServiceError::NotFound);
        }
        let f = q::factors(self.store(), p.user.id).await?.ok_or(ServiceError::NotFound)?;
        if p.user.kind == UserKind::Staff && f.requirement.required && !f.totp_confirmed && f.passkeys <= 1 {
            return Err(ServiceError::Conflict(
                "your practice requires a second factor of staff, and this passkey is your last one; add another passkey or an authenticator app first",
            ));
        }
        let rec = self.record(p, ctx, AuditAction::SecondFactorRemoved).with_detail("passkey");
        match self.store().commit(Unit::new().step(pq::delete(p.user.id, id)).audit(rec)).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(Conflict::PasskeyMissing)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Options for the sign-in's second step with a passkey, for the
    /// challenge the password step gave.
    pub async fn second_factor_passkey_options(
        &self,
        challenge: &str,
        ctx: &RequestContext,
    ) -> Result<PasskeyCeremony, ServiceError> {
        let rp = self.relying_party()?;
        let hash = token::hash_presented_token(challenge).ok_or(ServiceError::ChallengeInvalid)?;
        let found = q::challenge(self.store(), &hash).await?;
        let Some(found) =
            found.filter(|c| c.user.active && mfa::challenge_open(c.created_at, c.tries, c.spent, self.now()))
        else {
            let rec = AuditRecord::new(self.now(), None, AuditActor::Anonymous, AuditAction::LoginFailed)
                .with_outcome(Outcome::Failed)
                .with_client_addr(ctx.client_text())
                .with_detail("unknown_challenge");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::ChallengeInvalid);
        };
        let keys: Vec<String> = self.unsealed_passkeys(found.user.id).await?.into_iter().map(|(_, s)| s).collect();
        if keys.is_empty() {
            return Err(ServiceError::Conflict("this account has no passkey; use a code from your app"));
        }
        let ceremony = rp.start_authentication(&keys).map_err(passkey_internal)?;
        self.new_state(Some(found.user.id), CeremonyKind::SecondFactor, ceremony.state, ceremony.options).await
    }

    /// Options to prove again who one is with a passkey, before a sensitive
    /// action (the answer goes to `reauthenticate`). The same kind of
    /// ceremony as a sign-in's second step, bound to the session's account.
    pub async fn reauthentication_passkey_options(&self, p: &Principal) -> Result<PasskeyCeremony, ServiceError> {
        let rp = self.relying_party()?;
        let keys: Vec<String> = self.unsealed_passkeys(p.user.id).await?.into_iter().map(|(_, s)| s).collect();
        if keys.is_empty() {
            return Err(ServiceError::Conflict("this account has no passkey; use your password or a code"));
        }
        let ceremony = rp.start_authentication(&keys).map_err(passkey_internal)?;
        self.new_state(Some(p.user.id), CeremonyKind::SecondFactor, ceremony.state, ceremony.options).await
    }

    /// Checks a passkey's answer at the sign-in's second step: the steps
    /// that record its use, or `None` when it is not accepted (the caller
    /// audits and answers that).
    pub(crate) async fn second_factor_passkey(
        &self,
        user: UserId,
        state: &str,
        credential: &str,
    ) -> Result<Option<switchboard_store::Step>, ServiceError> {
        let rp = self.relying_party()?;
        let row = match self.take_state(state, CeremonyKind::SecondFactor, Some(user)).await {
            Ok(row) => row,
            Err(StateRefused::Store(e)) => return Err(e),
            Err(StateRefused::Closed) => return Ok(None),
        };
        let keys = self.unsealed_passkeys(user).await?;
        let stored: Vec<String> = keys.iter().map(|(_, s)| s.clone()).collect();
        let Ok(used) = rp.finish_authentication(credential, &row.state, &stored) else { return Ok(None) };
        let Some((key_row, _)) = keys.iter().find(|(r, _)| r.credential_id == used.credential_id) else {
            return Ok(None);
        };
        let resealed = self.reseal(key_row, used.updated)?;
        Ok(Some(pq::used(key_row.id, self.now(), resealed)))
    }

    /// Options to sign in with a passkey alone (no user name). Counted per
    /// address, and given back when the sign-in succeeds.
    pub async fn passkey_sign_in_options(&self, ctx: &RequestContext) -> Result<PasskeyCeremony, ServiceError> {
        let rp = self.relying_party()?;
        if let Err(wait) = self.take_address_attempt(OPTIONS_ADDRESS, ctx).await? {
            return Err(ServiceError::throttled(wait));
        }
        let ceremony = rp.start_discoverable().map_err(passkey_internal)?;
        self.new_state(None, CeremonyKind::Passwordless, ceremony.state, ceremony.options).await
    }

    /// Signs in with a passkey alone: the authenticator verified its user
    /// (a PIN or biometric) and holds the key, so the session is a full one.
    /// Throttled per address like sign-in; every outcome is audited.
    pub async fn passkey_sign_in(
        &self,
        state: &str,
        credential: &str,
        ctx: &RequestContext,
    ) -> Result<LoginResult, ServiceError> {
        let rp = self.relying_party()?;
        let now = self.now();
        let anonymous = |detail: &str| {
            AuditRecord::new(now, None, AuditActor::Anonymous, AuditAction::LoginFailed)
                .with_outcome(Outcome::Failed)
                .with_client_addr(ctx.client_text())
                .with_detail(detail)
        };
        let address = match self.take_address_attempt("throttle.address", ctx).await? {
            Ok(key) => key,
            Err(wait) => {
                let rec = AuditRecord::new(now, None, AuditActor::Anonymous, AuditAction::LoginThrottled)
                    .with_outcome(Outcome::Denied)
                    .with_client_addr(ctx.client_text())
                    .with_detail("throttled");
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::throttled(wait));
            }
        };
        let row = match self.take_state(state, CeremonyKind::Passwordless, None).await {
            Ok(row) => row,
            Err(StateRefused::Store(e)) => return Err(e),
            Err(StateRefused::Closed) => {
                self.store().commit(Unit::new().audit(anonymous("passkey_state_closed"))).await?;
                return Err(ServiceError::ChallengeInvalid);
            }
        };
        // Which passkey the answer claims to be, to find its account.
        let found = match rp.identify_discoverable(credential) {
            Ok((handle, credential_id)) => {
                pq::by_credential_id(self.store(), &credential_id).await?.filter(|k| *k.user_id.as_bytes() == handle)
            }
            Err(_) => None,
        };
        let Some(key_row) = found else {
            self.store().commit(Unit::new().audit(anonymous("unknown_passkey"))).await?;
            return Err(ServiceError::PasskeyRefused);
        };
        let user = directory::user_by_id(self.store(), key_row.user_id).await?.ok_or(ServiceError::PasskeyRefused)?;
        let record = |action, outcome, detail: &str| {
            AuditRecord::new(self.now(), Some(user.practice), AuditActor::User { id: user.id, kind: user.kind }, action)
                .with_outcome(outcome)
                .with_client_addr(ctx.client_text())
                .with_detail(detail)
        };
        if !user.active {
            let rec = record(AuditAction::LoginFailed, Outcome::Failed, "inactive_user");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::PasskeyRefused);
        }
        let dk = sealing::data_key(self.keys(), &key_row.key)?;
        let stored = sealing::open(&dk, CREDENTIAL_COLUMN, key_row.id.as_bytes(), &key_row.credential_ct)?;
        let used = match rp.finish_discoverable(credential, &row.state, &stored) {
            Ok(used) => used,
            Err(e) => {
                let rec = record(AuditAction::LoginFailed, Outcome::Failed, refusal_detail(e));
                self.store().commit(Unit::new().audit(rec)).await?;
                return Err(ServiceError::PasskeyRefused);
            }
        };
        let resealed = self.reseal(&key_row, used.updated)?;
        let (summary, token, token_hash) = self.new_session_parts(&user).await?;
        let mut unit = Unit::new()
            .step(pq::used(key_row.id, now, resealed))
            .step(sessions::insert(&token_hash, user.id, Assurance::Full, now))
            .steps(self.sign_in_origin_steps(&token_hash, &user, ctx).await?)
            .step(accounts::record_login(user.id, now))
            .audit(record(AuditAction::LoginSucceeded, Outcome::Success, "passkey"));
        unit.extend(address.as_deref().map(switchboard_store::queries::throttle::release));
        unit.extend(
            self.address_key(OPTIONS_ADDRESS, ctx).as_deref().map(switchboard_store::queries::throttle::release),
        );
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::PasskeyMissing)) => return Err(ServiceError::PasskeyRefused),
            Err(e) => return Err(e.into()),
        }
        Ok(LoginResult { token, user: summary, assurance: Assurance::Full, recovery_codes_left: None })
    }
}

/// What an audit record says of a refused passkey answer (never the answer).
fn refusal_detail(e: PasskeyError) -> &'static str {
    match e {
        PasskeyError::Malformed => "passkey_malformed",
        _ => "passkey_refused",
    }
}

fn passkey_internal(e: PasskeyError) -> ServiceError {
    tracing::error!(error = %e, "passkey options could not be made");
    ServiceError::Internal
}
