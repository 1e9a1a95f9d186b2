//! EHR systems as clients (issue 17): an administrator registers an EHR
//! as a SMART Backend Services client (its name, the public keys it signs
//! with, the system scopes it may have); the EHR trades a signed assertion
//! for a five-minute access token at the token endpoint; each FHIR request
//! carries the token. Registration, revocation, every token issued and
//! every refusal are audited, like users' sign-ins. The rules are
//! `domain::ehr`'s; the signature check is `crypto::oidc`'s.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::oidc::{self, JwkSet};
use switchboard_crypto::token;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ehr::{self, ClientName, FhirType, Scopes};
use switchboard_domain::ids::*;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::sso::SigningAlg;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::ehr as q;
use switchboard_store::{Conflict, StoreError, Unit};

/// The assertion type SMART Backend Services uses (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A registered client as administrators see it (never its keys' text).
#[derive(Clone, Debug)]
pub struct EhrClientView {
    pub id: EhrClientId,
    pub name: String,
    pub scopes: String,
    pub keys: usize,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// What an administrator registers.
#[derive(Clone, Debug)]
pub struct NewEhrClient {
    pub name: String,
    pub scopes: String,
    /// The client's public keys, a JWK Set as JSON text.
    pub jwks: String,
}

/// A token request as the token endpoint received it (form fields).
#[derive(Clone, Debug, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

/// An access token granted.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Why a token was refused, as OAuth 2.0 (RFC 6749 §5.2) names it. The
/// client learns the code and a sentence; the precise reason goes to the
/// audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    InvalidRequest(&'static str),
    UnsupportedGrantType,
    InvalidClient,
    InvalidScope,
    Unavailable,
}

/// An EHR client's request, authenticated by its access token.
#[derive(Clone, Debug)]
pub struct EhrPrincipal {
    pub client: EhrClientId,
    pub practice: PracticeId,
    pub scopes: Scopes,
}

impl EhrPrincipal {
    pub(crate) fn audit_actor(&self) -> AuditActor {
        AuditActor::EhrClient { client: self.client }
    }

    /// The token's scopes cover `t`, or the request is refused.
    pub(crate) fn require(&self, t: FhirType) -> Result<(), ServiceError> {
        if self.scopes.allows(t) { Ok(()) } else { Err(ServiceError::InsufficientScope) }
    }
}

fn view(c: &q::ClientRow) -> EhrClientView {
    EhrClientView {
        id: c.id,
        name: c.name.clone(),
        scopes: Scopes::parse(&c.scopes).map(|s| s.to_text()).unwrap_or_default(),
        keys: JwkSet::parse(c.jwks.as_bytes()).map(|k| k.len()).unwrap_or(0),
        created_at: c.created_at,
        revoked_at: c.revoked_at,
        last_used_at: c.last_used_at,
    }
}

impl Switchboard {
    /// The practice's EHR clients, revoked ones included (administrators).
    pub async fn ehr_clients(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<EhrClientView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        Ok(q::clients(self.store(), p.user.practice).await?.iter().map(view).collect())
    }

    /// Registers an EHR client (administrators, after re-authenticating).
    /// Its keys must be public keys that can sign RS384 or ES384, each
    /// with a `kid`; its scopes, SMART system read scopes.
    pub async fn register_ehr_client(
        &self,
        p: &Principal,
        input: NewEhrClient,
        ctx: &RequestContext,
    ) -> Result<EhrClientView, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::EhrClientRegistered).await?;
        self.require_recent_authentication(p)?;
        let name = ClientName::parse(&input.name).map_err(|e| ServiceError::Invalid { field: "name", problem: e })?;
        let scopes =
            Scopes::parse(&input.scopes).map_err(|e| ServiceError::Invalid { field: "scopes", problem: e.0 })?;
        if input.jwks.len() > 64 * 1024 {
            return Err(ServiceError::Invalid { field: "jwks", problem: "the key set is too long".into() });
        }
        JwkSet::parse_public(input.jwks.as_bytes(), &SigningAlg::CLIENT_ASSERTION)
            .map_err(|e| ServiceError::Invalid { field: "jwks", problem: e.into() })?;
        let id = self.new_id(EhrClientId::from_bytes)?;
        let now = self.now();
        let scopes_text = scopes.to_text();
        let step = q::insert_client(&q::NewClient {
            id,
            practice: p.user.practice,
            name: name.as_str(),
            scopes: &scopes_text,
            jwks: input.jwks.trim(),
            by: p.user.id,
            at: now,
        });
        let rec = self
            .record(p, ctx, AuditAction::EhrClientRegistered)
            .with_resource(ResourceKind::EhrClient, *id.as_bytes())
            .with_detail(format!("scopes={}", scopes.iter().count()));
        self.store().commit(Unit::new().step(step).audit(rec)).await?;
        let row = q::client(self.store(), id).await?.ok_or(ServiceError::Internal)?;
        Ok(view(&row))
    }

    /// Revokes a client: its tokens stop working at once and it can get no
    /// more (administrators, after re-authenticating).
    pub async fn revoke_ehr_client(
        &self,
        p: &Principal,
        client: EhrClientId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::EhrClientRevoked).await?;
        self.require_recent_authentication(p)?;
        let rec = self
            .record(p, ctx, AuditAction::EhrClientRevoked)
            .with_resource(ResourceKind::EhrClient, *client.as_bytes());
        let unit = Unit::new().steps(q::revoke_client(p.user.practice, client, p.user.id, self.now())).audit(rec);
        match self.store().commit(unit).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(Conflict::ClientMissing)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// The token endpoint (SMART Backend Services): a client-credentials
    /// grant with a JWT assertion signed by one of the client's registered
    /// keys. `token_url` is this endpoint's absolute address, which the
    /// assertion's `aud` must be.
    pub async fn ehr_token(
        &self,
        r: TokenRequest,
        token_url: &str,
        ctx: &RequestContext,
    ) -> Result<TokenGrant, TokenRefusal> {
        if r.grant_type.as_deref() != Some("client_credentials") {
            return Err(match r.grant_type {
                None => TokenRefusal::InvalidRequest("grant_type is missing"),
                Some(_) => TokenRefusal::UnsupportedGrantType,
            });
        }
        if r.client_assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(TokenRefusal::InvalidRequest(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let assertion =
            r.client_assertion.as_deref().ok_or(TokenRefusal::InvalidRequest("client_assertion is missing"))?;
        let asked = match r.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(Scopes::parse(s).map_err(|_| TokenRefusal::InvalidScope)?),
            None => None,
        };
        // Which client: the assertion's own (unverified) issuer, only to
        // find the keys that must have signed it.
        let claimed = oidc::unverified_payload(assertion)
            .and_then(|p| oidc::assertion_claims(&p))
            .and_then(|c| c.iss)
            .and_then(|iss| EhrClientId::parse(&iss).ok());
        let Some(client_id) = claimed else {
            self.token_refused(None, None, "unknown_client", ctx).await;
            return Err(TokenRefusal::InvalidClient);
        };
        let client = match q::client(self.store(), client_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                self.token_refused(None, None, "unknown_client", ctx).await;
                return Err(TokenRefusal::InvalidClient);
            }
            Err(_) => return Err(TokenRefusal::Unavailable),
        };
        let practice = Some(client.practice);
        if client.revoked_at.is_some() {
            self.token_refused(practice, Some(client.id), "revoked", ctx).await;
            return Err(TokenRefusal::InvalidClient);
        }
        let keys = JwkSet::parse(client.jwks.as_bytes()).unwrap_or_default();
        let payload = match oidc::verify_allowing(assertion, &keys, &SigningAlg::CLIENT_ASSERTION) {
            Ok(p) => p,
            Err(e) => {
                self.token_refused(practice, Some(client.id), e.as_str(), ctx).await;
                return Err(TokenRefusal::InvalidClient);
            }
        };
        let Some(claims) = oidc::assertion_claims(&payload) else {
            self.token_refused(practice, Some(client.id), "malformed_claims", ctx).await;
            return Err(TokenRefusal::InvalidClient);
        };
        let now = self.now();
        if let Err(problem) = ehr::check_assertion(&claims, &client.id.to_string(), token_url, now) {
            self.token_refused(practice, Some(client.id), problem.as_str(), ctx).await;
            return Err(TokenRefusal::InvalidClient);
        }
        let registered = Scopes::parse(&client.scopes).unwrap_or_default();
        let Some(granted) = registered.granted(asked.as_ref()) else {
            self.token_refused(practice, Some(client.id), "scope_not_registered", ctx).await;
            return Err(TokenRefusal::InvalidScope);
        };
        let (secret, hash) = token::new_session_token().map_err(|_| TokenRefusal::Unavailable)?;
        let expires = now.plus(ehr::ACCESS_TOKEN_LIFETIME);
        let assertion_expires = Timestamp::from_micros(claims.exp.unwrap_or(0).saturating_mul(1_000_000));
        let scope_text = granted.to_text();
        let steps = q::issue_token(
            client.id,
            claims.jti.as_deref().unwrap_or_default(),
            assertion_expires,
            &hash,
            &scope_text,
            now,
            expires,
        );
        let rec =
            AuditRecord::new(now, practice, AuditActor::EhrClient { client: client.id }, AuditAction::EhrTokenIssued)
                .with_resource(ResourceKind::EhrClient, *client.id.as_bytes())
                .with_client_addr(ctx.client_text())
                .with_detail(format!("scopes={}", granted.iter().count()));
        match self.store().commit(Unit::new().steps(steps).audit(rec)).await {
            Ok(_) => {}
            Err(StoreError::Conflict(Conflict::AssertionReplayed)) => {
                self.token_refused(practice, Some(client.id), "replayed", ctx).await;
                return Err(TokenRefusal::InvalidClient);
            }
            Err(_) => return Err(TokenRefusal::Unavailable),
        }
        Ok(TokenGrant {
            access_token: secret,
            expires_in: ehr::ACCESS_TOKEN_LIFETIME.as_secs_ceil(),
            scope: scope_text,
        })
    }

    async fn token_refused(
        &self,
        practice: Option<PracticeId>,
        client: Option<EhrClientId>,
        reason: &str,
        ctx: &RequestContext,
    ) {
        let actor = match client {
            Some(client) => AuditActor::EhrClient { client },
            None => AuditActor::Anonymous,
        };
        let mut rec = AuditRecord::new(self.now(), practice, actor, AuditAction::EhrTokenRefused)
            .with_outcome(Outcome::Denied)
            .with_client_addr(ctx.client_text())
            .with_detail(format!("reason={reason}"));
        if let Some(c) = client {
            rec = rec.with_resource(ResourceKind::EhrClient, *c.as_bytes());
        }
        if self.store().commit(Unit::new().audit(rec)).await.is_err() {
            tracing::warn!(reason, "an EHR token refusal could not be audited");
        }
        tracing::info!(reason, "an EHR client's token request was refused");
    }

    /// The client behind a presented access token (live, its client not
    /// revoked); `Unauthenticated` otherwise.
    pub async fn authenticate_ehr(&self, presented: &str) -> Result<EhrPrincipal, ServiceError> {
        let hash = token::hash_presented_token(presented).ok_or(ServiceError::Unauthenticated)?;
        let (client, scopes) = q::token(self.store(), &hash, self.now()).await?.ok_or(ServiceError::Unauthenticated)?;
        Ok(EhrPrincipal {
            client: client.id,
            practice: client.practice,
            scopes: Scopes::parse(&scopes).map_err(|_| ServiceError::Internal)?,
        })
    }
}
