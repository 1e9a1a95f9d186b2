//! Single sign-on for staff with the practice's OpenID Connect provider
//! (authorization code with PKCE). The practice's settings (the client
//! secret sealed under a data key of its own), the start of a sign-in (its
//! state, nonce and PKCE verifier kept in the database for ten minutes, so
//! any node can finish it), the provider's return (the state spent before
//! the code is exchanged; the ID token's signature checked by
//! `crypto::oidc` against the provider's published keys, its claims by
//! `domain::sso`), and who it signs in: a staff member bound to the
//! identity, or, on a first sign-in, the one whose work email the token's
//! verified email is. Never a patient; no account is ever made here. The
//! sign-in then completes exactly as a password's does
//! ([`Switchboard::finish_first_step`]).
//!
//! The provider is reached through [`ProviderClient`] (HTTP and its JSON
//! live outside this crate). Nothing from a token (subject, email, claims)
//! is written to the audit log or the logs: only reason codes.

use crate::auth::{FirstStep, LoginOutcome, Principal};
use crate::sealing;
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use switchboard_crypto::oidc::{self, JwkSet, JwsError};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{DataKeyId, PracticeId, UserId};
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::role::UserKind;
use switchboard_domain::sso::{self, BindingProblem, Expected, IssuerUrl, STATE_LIFETIME};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_store::queries::{directory, sso as q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// The sealed client secret's column, bound into its ciphertext.
const SECRET_COLUMN: &str = "sso_settings.client_secret_ct";
/// How long a provider's discovery document and keys are kept.
const CACHE_FOR: Span = Span::from_mins(15);
/// The throttle purposes: starting a sign-in, and its return.
const START_ADDRESS: &str = "throttle.sso_start";
const RETURN_ADDRESS: &str = "throttle.address";

/// What a provider's discovery document says (OpenID Connect Discovery
/// §3), as the client read it.
#[derive(Clone, Debug)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// `token_endpoint_auth_methods_supported` (empty: the default,
    /// `client_secret_basic`).
    pub token_auth_methods: Vec<String>,
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (RFC 6749 §2.3.1), the default.
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

/// A token request (RFC 6749 §4.1.3 with RFC 7636's verifier).
pub struct TokenRequest<'a> {
    pub endpoint: &'a str,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub code_verifier: &'a str,
    pub auth: ClientAuth,
}

/// Why the provider could not be used; stable reason codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderError {
    /// Not reached, timed out, or answered with a server error.
    Unreachable,
    /// Answered, but refused (a 4xx: a wrong client secret, a code or
    /// verifier it does not accept).
    Refused,
    /// Answered with something that is not what the protocol says.
    Malformed,
}

impl ProviderError {
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderError::Unreachable => "provider_unreachable",
            ProviderError::Refused => "provider_refused",
            ProviderError::Malformed => "provider_malformed",
        }
    }
}

pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// The HTTP side of talking to a provider (the binary gives one, on
/// reqwest and rustls): it fetches and reads JSON; it checks nothing.
pub trait ProviderClient: Send + Sync + 'static {
    fn discover<'a>(&'a self, url: &'a str) -> ProviderFuture<'a, Discovery>;
    /// The JWK Set's bytes, as served.
    fn jwks<'a>(&'a self, url: &'a str) -> ProviderFuture<'a, Vec<u8>>;
    /// The `id_token` of the token endpoint's answer.
    fn exchange<'a>(&'a self, request: TokenRequest<'a>) -> ProviderFuture<'a, String>;
}

/// Discovery documents and key sets by address, kept [`CACHE_FOR`].
#[derive(Default)]
pub(crate) struct ProviderCache {
    discovery: Mutex<HashMap<String, (Timestamp, Discovery)>>,
    keys: Mutex<HashMap<String, (Timestamp, JwkSet)>>,
}

/// A practice's settings as administrators see them: never the secret,
/// only whether one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoSettings {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub label: String,
    pub trust_provider_mfa: bool,
}

/// What an administrator saves.
#[derive(Clone)]
pub struct SsoSettingsInput {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// A new secret; `None` keeps the one stored.
    pub client_secret: Option<String>,
    pub label: String,
    pub trust_provider_mfa: bool,
}

impl std::fmt::Debug for SsoSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettingsInput").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// A practice's button on the sign-in page.
#[derive(Clone, Debug)]
pub struct SsoProvider {
    pub practice: PracticeId,
    pub label: String,
}

/// A staff account's single sign-on, as administrators see it.
#[derive(Clone, Debug)]
pub struct SsoAccount {
    /// The work email a first sign-in binds by.
    pub email: Option<String>,
    pub linked: bool,
    pub linked_at: Option<Timestamp>,
}

/// Why a single sign-on did not sign anyone in. The sign-in page is told
/// [`SsoFailure::code`] (in its address: nothing from the token), the
/// audit log a finer reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoFailure {
    /// The practice has no single sign-on turned on (or no such practice).
    Unavailable,
    /// The sign-in's state is unknown, used, or older than ten minutes.
    Expired,
    /// The provider refused, could not be reached, or its answer or token
    /// did not pass the checks.
    Refused,
    /// No staff account of the practice is bound to this identity or has
    /// this email.
    NoAccount,
    /// The provider did not say the email is verified.
    EmailUnverified,
    /// The account is deactivated.
    Inactive,
    /// The practice requires a second factor the account did not set up in
    /// time.
    SecondFactorOverdue,
    /// Too many sign-ins from this address.
    Throttled,
    /// Something on our side failed (logged with its cause).
    Internal,
}

impl SsoFailure {
    pub const fn code(self) -> &'static str {
        match self {
            SsoFailure::Unavailable => "unavailable",
            SsoFailure::Expired => "expired",
            SsoFailure::Refused => "refused",
            SsoFailure::NoAccount => "no_account",
            SsoFailure::EmailUnverified => "email_unverified",
            SsoFailure::Inactive => "inactive",
            SsoFailure::SecondFactorOverdue => "second_factor_overdue",
            SsoFailure::Throttled => "throttled",
            SsoFailure::Internal => "error",
        }
    }
}

impl From<ServiceError> for SsoFailure {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::SecondFactorOverdue => SsoFailure::SecondFactorOverdue,
            ServiceError::Throttled { .. } => SsoFailure::Throttled,
            other => {
                tracing::warn!(error = %other, "single sign-on failed on our side");
                SsoFailure::Internal
            }
        }
    }
}

impl From<StoreError> for SsoFailure {
    fn from(e: StoreError) -> Self {
        SsoFailure::from(ServiceError::from(e))
    }
}

/// What came back to the redirect URI.
#[derive(Clone, Default)]
pub struct SsoReturn {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's `error` (the person declined, or it refused).
    pub error: Option<String>,
}

impl std::fmt::Debug for SsoReturn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SsoReturn(<redacted>)")
    }
}

/// The settings of a practice whose single sign-on is on, secret unsealed.
struct Live {
    issuer: IssuerUrl,
    client_id: String,
    secret: String,
    trust_provider_mfa: bool,
}

impl Switchboard {
    /// Gives the node its way to reach providers (once, at start).
    pub fn set_sso_client(&self, client: Arc<dyn ProviderClient>) {
        let _ = self.inner().sso_client.set(client);
    }

    fn sso_client(&self) -> Option<&Arc<dyn ProviderClient>> {
        self.inner().sso_client.get()
    }

    // ----- settings -------------------------------------------------------

    /// The practice's single sign-on settings (`None` until configured).
    pub async fn sso_settings(&self, p: &Principal, ctx: &RequestContext) -> Result<Option<SsoSettings>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        Ok(q::settings(self.store(), p.user.practice).await?.map(|s| view(&s)))
    }

    /// Administrators configure single sign-on (after re-authenticating).
    /// Every field is checked; turning it on needs a client secret (given
    /// now or before) and a provider that answers at the issuer with its
    /// discovery document naming that same issuer.
    pub async fn set_sso_settings(
        &self,
        p: &Principal,
        input: SsoSettingsInput,
        ctx: &RequestContext,
    ) -> Result<SsoSettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PracticeUpdated).await?;
        self.require_recent_authentication(p)?;
        let invalid = |e: sso::ConfigProblem| ServiceError::Invalid { field: e.field, problem: e.problem };
        let issuer = IssuerUrl::parse(&input.issuer).map_err(invalid)?;
        let client_id = sso::client_id(&input.client_id).map_err(invalid)?;
        let label = sso::button_label(&input.label).map_err(invalid)?;
        let secret = input.client_secret.as_deref().map(sso::client_secret).transpose().map_err(invalid)?;
        let practice = p.user.practice;
        let stored = q::settings(self.store(), practice).await?;
        if input.enabled && secret.is_none() && stored.as_ref().is_none_or(|s| s.secret.is_none()) {
            return Err(ServiceError::Invalid {
                field: "client_secret",
                problem: "give the client secret the provider issued before turning single sign-on on".into(),
            });
        }
        if input.enabled {
            match self.discovery(&issuer).await {
                Ok(d) if d.issuer == issuer.as_str() => {}
                Ok(_) => {
                    return Err(ServiceError::Invalid {
                        field: "issuer",
                        problem: "the provider's discovery document names another issuer; copy the issuer URL exactly as the provider gives it".into(),
                    });
                }
                Err(_) => {
                    return Err(ServiceError::Invalid {
                        field: "issuer",
                        problem: "the provider did not answer at this issuer URL with its OpenID configuration (/.well-known/openid-configuration)".into(),
                    });
                }
            }
        }
        let now = self.now();
        let mut unit = Unit::new();
        let sealed = match &secret {
            Some(secret) => {
                let key_id = self.new_id(DataKeyId::from_bytes)?;
                let (key, wrapped) =
                    self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
                let ct = sealing::seal(&key, SECRET_COLUMN, practice.as_bytes(), secret)?;
                let key_row = WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
                unit.push(switchboard_store::queries::keys::insert(&key_row, practice, now));
                Some((key_row, ct))
            }
            None => None,
        };
        unit.push(q::save_settings(q::NewSettings {
            practice,
            enabled: input.enabled,
            issuer: issuer.as_str(),
            client_id: &client_id,
            secret: sealed.as_ref().map(|(k, ct)| (k, ct.clone())),
            label: &label,
            trust_provider_mfa: input.trust_provider_mfa,
            at: now,
        }));
        let detail = format!(
            "sso={};trust_provider_mfa={}{}",
            if input.enabled { "on" } else { "off" },
            input.trust_provider_mfa,
            if secret.is_some() { ";secret_changed" } else { "" },
        );
        let rec = self
            .record(p, ctx, AuditAction::PracticeUpdated)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(&detail);
        self.store().commit(unit.audit(rec)).await?;
        let saved = q::settings(self.store(), practice).await?.ok_or(ServiceError::Internal)?;
        Ok(view(&saved))
    }

    /// The single sign-on buttons for a sign-in page: the practice its
    /// link names, or the only one on this server with single sign-on on
    /// (`domain::sso::providers_shown`).
    pub async fn sso_providers(&self, asked: Option<PracticeId>) -> Result<Vec<SsoProvider>, ServiceError> {
        if self.sso_client().is_none() {
            return Ok(Vec::new());
        }
        let rows = q::enabled(self.store()).await?;
        let enabled: Vec<PracticeId> = rows.iter().map(|(p, _)| *p).collect();
        let shown = switchboard_domain::sso::providers_shown(&enabled, asked);
        Ok(rows
            .into_iter()
            .filter(|(p, _)| shown.contains(p))
            .map(|(practice, label)| SsoProvider { practice, label })
            .collect())
    }

    // ----- staff accounts ---------------------------------------------------

    /// A staff account's single sign-on (its work email, whether bound).
    pub async fn sso_account(
        &self,
        p: &Principal,
        user: UserId,
        ctx: &RequestContext,
    ) -> Result<SsoAccount, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SetupViewed).await?;
        let target = self.own_practice_user(p, ctx, user, AuditAction::SetupViewed).await?;
        if target.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        Ok(account_view(q::account(self.store(), user).await?))
    }

    /// Sets (or clears, with `None`) the work email a staff member's first
    /// single sign-on binds by. One email per account in a practice.
    pub async fn set_sso_email(
        &self,
        p: &Principal,
        user: UserId,
        email: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<SsoAccount, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SsoLinked).await?;
        self.require_recent_authentication(p)?;
        let target = self.own_practice_user(p, ctx, user, AuditAction::SsoLinked).await?;
        if target.kind != UserKind::Staff {
            return Err(ServiceError::Invalid {
                field: "user",
                problem: "single sign-on is for staff accounts only".into(),
            });
        }
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(sso::normalise_email(e).ok_or_else(|| ServiceError::Invalid {
                field: "email",
                problem: "the email must be an address like name@example.org".into(),
            })?),
            None => None,
        };
        let rec = self
            .record(p, ctx, AuditAction::SsoLinked)
            .with_resource(ResourceKind::User, *user.as_bytes())
            .with_detail(if email.is_some() { "email_set" } else { "email_cleared" });
        let unit = Unit::new().step(q::set_email(user, p.user.practice, email.as_deref(), self.now())).audit(rec);
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::Unique)) => {
                return Err(ServiceError::Conflict("another staff member of the practice has this email"));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(account_view(q::account(self.store(), user).await?))
    }

    /// An administrator removes a staff member's binding to their identity
    /// at the provider (after re-authenticating). Their next single sign-on
    /// binds again by their work email.
    pub async fn unlink_sso(&self, p: &Principal, user: UserId, ctx: &RequestContext) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SsoUnlinked).await?;
        self.require_recent_authentication(p)?;
        self.own_practice_user(p, ctx, user, AuditAction::SsoUnlinked).await?;
        let rec = self.record(p, ctx, AuditAction::SsoUnlinked).with_resource(ResourceKind::User, *user.as_bytes());
        match self.store().commit(Unit::new().step(q::unlink(user, self.now())).audit(rec)).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(Conflict::UserMissing)) => {
                Err(ServiceError::Conflict("this account is not linked to single sign-on"))
            }
            Err(e) => Err(e.into()),
        }
    }

    // ----- the sign-in --------------------------------------------------------

    /// The settings of a practice whose single sign-on is on.
    async fn live_settings(&self, practice: PracticeId) -> Result<Option<Live>, ServiceError> {
        let Some(row) = q::settings(self.store(), practice).await? else { return Ok(None) };
        let Some((key, ct)) = row.secret.as_ref().filter(|_| row.enabled) else { return Ok(None) };
        let Ok(issuer) = IssuerUrl::parse(&row.issuer) else { return Ok(None) };
        let dk = sealing::data_key(self.keys(), key)?;
        let secret = sealing::open(&dk, SECRET_COLUMN, practice.as_bytes(), ct)?;
        Ok(Some(Live { issuer, client_id: row.client_id, secret, trust_provider_mfa: row.trust_provider_mfa }))
    }

    /// A failed sign-in's record, in the practice's log (the person is not
    /// known yet, or is `user`): a reason code only.
    fn sso_failed(
        &self,
        practice: Option<PracticeId>,
        user: Option<&switchboard_store::rows::UserRow>,
        reason: &str,
        ctx: &RequestContext,
    ) -> AuditRecord {
        let actor = user.map_or(AuditActor::Anonymous, |u| AuditActor::User { id: u.id, kind: u.kind });
        AuditRecord::new(self.now(), practice.or(user.map(|u| u.practice)), actor, AuditAction::LoginFailed)
            .with_outcome(Outcome::Failed)
            .with_client_addr(ctx.client_text())
            .with_detail(format!("sso:{reason}"))
    }

    async fn fail(&self, rec: AuditRecord, failure: SsoFailure) -> SsoFailure {
        match self.store().commit(Unit::new().audit(rec)).await {
            Ok(()) => failure,
            Err(e) => e.into(),
        }
    }

    /// Starts a single sign-on for `practice` (its id, as the sign-in page
    /// has it): the address of the provider's authorization endpoint with
    /// a new state, nonce and PKCE challenge. `redirect_uri` is this
    /// server's callback. Counted per address.
    pub async fn sso_start(
        &self,
        practice: &str,
        redirect_uri: &str,
        ctx: &RequestContext,
    ) -> Result<String, SsoFailure> {
        let Ok(practice) = PracticeId::parse(practice) else { return Err(SsoFailure::Unavailable) };
        if self.sso_client().is_none() {
            return Err(SsoFailure::Unavailable);
        }
        let Some(live) = self.live_settings(practice).await? else { return Err(SsoFailure::Unavailable) };
        if self.take_address_attempt(START_ADDRESS, ctx).await?.is_err() {
            let rec = self.sso_failed(Some(practice), None, "throttled", ctx);
            return Err(self.fail(rec, SsoFailure::Throttled).await);
        }
        let discovery = match self.discovery(&live.issuer).await {
            Ok(d) if d.issuer == live.issuer.as_str() => d,
            Ok(_) => {
                let rec = self.sso_failed(Some(practice), None, "discovery_issuer_mismatch", ctx);
                return Err(self.fail(rec, SsoFailure::Refused).await);
            }
            Err(e) => {
                let rec = self.sso_failed(Some(practice), None, e.as_str(), ctx);
                return Err(self.fail(rec, SsoFailure::Refused).await);
            }
        };
        let internal = |_| SsoFailure::Internal;
        let (state, state_hash) = token::new_session_token().map_err(internal)?;
        let (nonce, _) = token::new_session_token().map_err(internal)?;
        let (verifier, _) = token::new_session_token().map_err(internal)?;
        let challenge = oidc::pkce_challenge(&verifier);
        let row = q::StateRow {
            practice,
            nonce: nonce.clone(),
            verifier,
            redirect_uri: redirect_uri.to_owned(),
            created_at: self.now(),
            spent: false,
        };
        self.store().commit(Unit::new().step(q::insert_state(&state_hash, &row))).await?;
        Ok(sso::authorization_url(
            &discovery.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", &live.client_id),
                ("redirect_uri", redirect_uri),
                ("scope", "openid email profile"),
                ("state", &state),
                ("nonce", &nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        ))
    }

    /// The provider's return: the state spent first (once, within ten
    /// minutes), then the code exchanged with the verifier and the client
    /// secret, the ID token checked, the account found (or bound by its
    /// verified email), and the sign-in completed as a password's is.
    pub async fn sso_callback(&self, ret: SsoReturn, ctx: &RequestContext) -> Result<LoginOutcome, SsoFailure> {
        let now = self.now();
        let hash = ret.state.as_deref().and_then(token::hash_presented_token);
        let found = match &hash {
            Some(h) => q::state(self.store(), h).await?,
            None => None,
        };
        let (Some(hash), Some(row)) = (hash, found) else {
            let rec = self.sso_failed(None, None, "state_unknown", ctx);
            return Err(self.fail(rec, SsoFailure::Expired).await);
        };
        let practice = row.practice;
        let address = match self.take_address_attempt(RETURN_ADDRESS, ctx).await? {
            Ok(key) => key,
            Err(_) => {
                let rec = self.sso_failed(Some(practice), None, "throttled", ctx);
                return Err(self.fail(rec, SsoFailure::Throttled).await);
            }
        };
        // Spent before anything else is done with it: a replayed return, or
        // two at once, finish nothing.
        let spend = q::spend_state(&hash, now, now.minus(STATE_LIFETIME));
        match self.store().commit(Unit::new().step(spend)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::ChallengeSpent)) => {
                let reason = if row.spent { "state_spent" } else { "state_expired" };
                let rec = self.sso_failed(Some(practice), None, reason, ctx);
                return Err(self.fail(rec, SsoFailure::Expired).await);
            }
            Err(e) => return Err(e.into()),
        }
        if ret.error.is_some() {
            let rec = self.sso_failed(Some(practice), None, "provider_error", ctx);
            return Err(self.fail(rec, SsoFailure::Refused).await);
        }
        let Some(code) = ret.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
            let rec = self.sso_failed(Some(practice), None, "no_code", ctx);
            return Err(self.fail(rec, SsoFailure::Refused).await);
        };
        let (Some(client), Some(live)) = (self.sso_client(), self.live_settings(practice).await?) else {
            let rec = self.sso_failed(Some(practice), None, "sso_off", ctx);
            return Err(self.fail(rec, SsoFailure::Unavailable).await);
        };
        let discovery = match self.discovery(&live.issuer).await {
            Ok(d) => d,
            Err(e) => {
                let rec = self.sso_failed(Some(practice), None, e.as_str(), ctx);
                return Err(self.fail(rec, SsoFailure::Refused).await);
            }
        };
        let auth = if discovery.token_auth_methods.is_empty()
            || discovery.token_auth_methods.iter().any(|m| m == "client_secret_basic")
        {
            ClientAuth::Basic
        } else {
            ClientAuth::Post
        };
        let request = TokenRequest {
            endpoint: &discovery.token_endpoint,
            code: &code,
            redirect_uri: &row.redirect_uri,
            client_id: &live.client_id,
            client_secret: &live.secret,
            code_verifier: &row.verifier,
            auth,
        };
        let id_token = match client.exchange(request).await {
            Ok(t) => t,
            Err(e) => {
                let rec = self.sso_failed(Some(practice), None, e.as_str(), ctx);
                return Err(self.fail(rec, SsoFailure::Refused).await);
            }
        };
        let payload = match self.verify_id_token(&discovery, &id_token).await {
            Ok(p) => p,
            Err(reason) => {
                let rec = self.sso_failed(Some(practice), None, reason, ctx);
                return Err(self.fail(rec, SsoFailure::Refused).await);
            }
        };
        let Some(claims) = oidc::claims(&payload) else {
            let rec = self.sso_failed(Some(practice), None, "claims_malformed", ctx);
            return Err(self.fail(rec, SsoFailure::Refused).await);
        };
        let expected =
            Expected { issuer: live.issuer.as_str(), client_id: &live.client_id, nonce: &row.nonce, now: self.now() };
        if let Err(problem) = sso::check_claims(&claims, &expected) {
            let rec = self.sso_failed(Some(practice), None, problem.as_str(), ctx);
            return Err(self.fail(rec, SsoFailure::Refused).await);
        }

        // Who: the account bound to this identity; on a first sign-in, the
        // staff member whose work email is the token's verified email.
        let (account, first_binding) = match q::by_subject(self.store(), practice, &claims.iss, &claims.sub).await? {
            Some(a) => (a, false),
            None => {
                let email = match sso::binding_email(&claims) {
                    Ok(e) => e,
                    Err(BindingProblem::EmailNotVerified) => {
                        let rec = self.sso_failed(Some(practice), None, "email_unverified", ctx);
                        return Err(self.fail(rec, SsoFailure::EmailUnverified).await);
                    }
                    Err(BindingProblem::NoEmail) => {
                        let rec = self.sso_failed(Some(practice), None, "no_email", ctx);
                        return Err(self.fail(rec, SsoFailure::NoAccount).await);
                    }
                };
                match q::by_email(self.store(), practice, &email).await? {
                    Some(a) if a.bound.is_none() => (a, true),
                    // That account is bound to another identity already.
                    Some(_) => {
                        let rec = self.sso_failed(Some(practice), None, "bound_to_another", ctx);
                        return Err(self.fail(rec, SsoFailure::NoAccount).await);
                    }
                    None => {
                        let rec = self.sso_failed(Some(practice), None, "no_account", ctx);
                        return Err(self.fail(rec, SsoFailure::NoAccount).await);
                    }
                }
            }
        };
        let user = directory::user_by_id(self.store(), account.user).await?;
        let Some(user) = user.filter(|u| u.practice == practice && u.kind == UserKind::Staff) else {
            let rec = self.sso_failed(Some(practice), None, "no_account", ctx);
            return Err(self.fail(rec, SsoFailure::NoAccount).await);
        };
        if !user.active {
            let rec = self.sso_failed(Some(practice), Some(&user), "inactive_user", ctx);
            return Err(self.fail(rec, SsoFailure::Inactive).await);
        }
        if first_binding {
            let rec = AuditRecord::new(
                self.now(),
                Some(practice),
                AuditActor::User { id: user.id, kind: user.kind },
                AuditAction::SsoLinked,
            )
            .with_client_addr(ctx.client_text())
            .with_resource(ResourceKind::User, *user.id.as_bytes())
            .with_detail("first_sign_in");
            let unit = Unit::new().step(q::bind(user.id, &claims.iss, &claims.sub, self.now())).audit(rec);
            match self.store().commit(unit).await {
                Ok(()) => {}
                // Bound meanwhile (two first sign-ins at once): only one wins.
                Err(StoreError::Conflict(Conflict::UserMissing | Conflict::Unique)) => {
                    let rec = self.sso_failed(Some(practice), Some(&user), "bound_to_another", ctx);
                    return Err(self.fail(rec, SsoFailure::NoAccount).await);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut release = Vec::new();
        release.extend(address.as_deref().map(switchboard_store::queries::throttle::release));
        release
            .extend(self.address_key(START_ADDRESS, ctx).as_deref().map(switchboard_store::queries::throttle::release));
        let first = FirstStep::Sso { provider_mfa: live.trust_provider_mfa };
        Ok(self.finish_first_step(&user, first, release, ctx).await?)
    }

    /// The ID token's signature, by a key the provider publishes: an
    /// unknown key id fetches the key set again, once. A reason code when
    /// refused.
    async fn verify_id_token(&self, discovery: &Discovery, id_token: &str) -> Result<Vec<u8>, &'static str> {
        let keys = self.key_set(&discovery.jwks_uri, false).await.map_err(ProviderError::as_str)?;
        match oidc::verify(id_token, &keys) {
            Ok(p) => Ok(p),
            Err(JwsError::UnknownKey) => {
                let fresh = self.key_set(&discovery.jwks_uri, true).await.map_err(ProviderError::as_str)?;
                oidc::verify(id_token, &fresh).map_err(JwsError::as_str)
            }
            Err(e) => Err(e.as_str()),
        }
    }

    async fn discovery(&self, issuer: &IssuerUrl) -> Result<Discovery, ProviderError> {
        let url = issuer.discovery_url();
        let now = self.now();
        let cache = &self.inner().sso_cache;
        if let Some((at, d)) = cache.discovery.lock().ok().and_then(|m| m.get(&url).cloned())
            && now < at.plus(CACHE_FOR)
        {
            return Ok(d);
        }
        let client = self.sso_client().ok_or(ProviderError::Unreachable)?;
        let d = client.discover(&url).await?;
        if let Ok(mut m) = cache.discovery.lock() {
            m.insert(url, (now, d.clone()));
        }
        Ok(d)
    }

    async fn key_set(&self, url: &str, refresh: bool) -> Result<JwkSet, ProviderError> {
        let now = self.now();
        let cache = &self.inner().sso_cache;
        if !refresh
            && let Some((at, k)) = cache.keys.lock().ok().and_then(|m| m.get(url).cloned())
            && now < at.plus(CACHE_FOR)
        {
            return Ok(k);
        }
        let client = self.sso_client().ok_or(ProviderError::Unreachable)?;
        let bytes = client.jwks(url).await?;
        let keys = JwkSet::parse(&bytes).ok_or(ProviderError::Malformed)?;
        if let Ok(mut m) = cache.keys.lock() {
            m.insert(url.to_owned(), (now, keys.clone()));
        }
        Ok(keys)
    }
}

fn view(s: &q::SettingsRow) -> SsoSettings {
    SsoSettings {
        enabled: s.enabled,
        issuer: s.issuer.clone(),
        client_id: s.client_id.clone(),
        client_secret_set: s.secret.is_some(),
        label: s.label.clone(),
        trust_provider_mfa: s.trust_provider_mfa,
    }
}

fn account_view(row: Option<q::AccountRow>) -> SsoAccount {
    match row {
        Some(a) => SsoAccount { email: a.email, linked: a.bound.is_some(), linked_at: a.linked_at },
        None => SsoAccount { email: None, linked: false, linked_at: None },
    }
}
