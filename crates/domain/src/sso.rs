//! Single sign-on with a practice's OpenID Connect provider: the rules an
//! ID token's claims must meet (OpenID Connect Core 1.0, §3.1.3.7), what a
//! practice may configure, how long a sign-in's state lives, and which
//! signing algorithms are accepted. Plain data in, a verdict out: the
//! signature itself is `crypto::oidc`'s, the HTTP the service's.

use crate::text::{Lines, TextError, check_free_text};
use crate::time::{Span, Timestamp};

/// How long a sign-in may take at the provider: the state, nonce and PKCE
/// verifier kept for it are refused after this (and after one use).
pub const STATE_LIFETIME: Span = Span::from_mins(10);

/// How far in the future an ID token's `iat` may be (the provider's clock
/// may run a little ahead of ours).
pub const IAT_LEEWAY: Span = Span::from_secs(60);

/// The longest button label.
pub const LABEL_MAX: usize = 60;

/// Which practices' single sign-on buttons a sign-in page shows, of the
/// `enabled` ones: the one its link names (`/?practice=`), or, without one,
/// the only practice that has single sign-on on. A deployment with several
/// such practices shows none on its bare page, so that it never lists who
/// its practices are: each practice gives its staff its own link.
pub fn providers_shown<P: PartialEq + Copy>(enabled: &[P], asked: Option<P>) -> Vec<P> {
    match (asked, enabled) {
        (Some(p), _) => enabled.iter().copied().filter(|e| *e == p).collect(),
        (None, [only]) => vec![*only],
        (None, _) => Vec::new(),
    }
}

/// Whether a sign-in's state may still be used: once, within
/// [`STATE_LIFETIME`].
pub fn state_open(created_at: Timestamp, spent: bool, now: Timestamp) -> bool {
    !spent && now < created_at.plus(STATE_LIFETIME) && created_at <= now.plus(IAT_LEEWAY)
}

/// The JWS algorithms accepted for ID tokens. `none`, the HMAC family
/// (which would make the client secret a signing key anyone holding it
/// could use) and everything else are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlg {
    Rs256,
    Es256,
    /// For EHR clients' assertions (SMART Backend Services), never ID
    /// tokens.
    Rs384,
    Es384,
}

impl SigningAlg {
    /// What an ID token may be signed with.
    pub const ID_TOKEN: [SigningAlg; 2] = [SigningAlg::Rs256, SigningAlg::Es256];
    /// What an EHR client's assertion may be signed with: the two SMART
    /// Backend Services requires servers to support.
    pub const CLIENT_ASSERTION: [SigningAlg; 2] = [SigningAlg::Rs384, SigningAlg::Es384];

    /// The algorithm a token's header names, if it is one this server
    /// verifies for some purpose (each caller narrows it).
    pub fn from_header(alg: &str) -> Option<Self> {
        match alg {
            "RS256" => Some(SigningAlg::Rs256),
            "ES256" => Some(SigningAlg::Es256),
            "RS384" => Some(SigningAlg::Rs384),
            "ES384" => Some(SigningAlg::Es384),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs384 => "RS384",
            SigningAlg::Es384 => "ES384",
        }
    }

    /// The JWK key type (and curve) a key must have to verify this
    /// algorithm.
    pub const fn key_type(self) -> (&'static str, Option<&'static str>) {
        match self {
            SigningAlg::Rs256 | SigningAlg::Rs384 => ("RSA", None),
            SigningAlg::Es256 => ("EC", Some("P-256")),
            SigningAlg::Es384 => ("EC", Some("P-384")),
        }
    }
}

/// Whether a published key may verify an ID token whose header names
/// `header_alg` (RS256 or ES256; see `key_fits_among`).
pub fn key_fits(
    header_alg: &str,
    kty: &str,
    crv: Option<&str>,
    key_alg: Option<&str>,
    key_use: Option<&str>,
) -> Option<SigningAlg> {
    key_fits_among(header_alg, kty, crv, key_alg, key_use, &SigningAlg::ID_TOKEN)
}

/// Whether a published key may verify a token whose header names
/// `header_alg`: the algorithm is one of `allowed`, the key is of its type
/// (and curve), the key's own `alg`, when it names one, is the same, and
/// the key is not marked for encryption only.
pub fn key_fits_among(
    header_alg: &str,
    kty: &str,
    crv: Option<&str>,
    key_alg: Option<&str>,
    key_use: Option<&str>,
    allowed: &[SigningAlg],
) -> Option<SigningAlg> {
    let alg = SigningAlg::from_header(header_alg).filter(|a| allowed.contains(a))?;
    let (want_kty, want_crv) = alg.key_type();
    if kty != want_kty {
        return None;
    }
    if want_crv.is_some() && crv != want_crv {
        return None;
    }
    if key_alg.is_some_and(|a| a != header_alg) {
        return None;
    }
    if key_use.is_some_and(|u| u != "sig") {
        return None;
    }
    Some(alg)
}

/// An ID token's claims as the rules need them: plain data, read from the
/// signed payload after its signature was checked.
#[derive(Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// `aud` as a list (a single string is a list of one).
    pub aud: Vec<String>,
    pub azp: Option<String>,
    /// Seconds since the epoch.
    pub exp: i64,
    pub iat: i64,
    pub nonce: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

impl std::fmt::Debug for IdTokenClaims {
    // The subject and email are personal data: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenClaims").field("iss", &self.iss).finish_non_exhaustive()
    }
}

/// What the claims are checked against.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// The issuer as the practice configured it (compared exactly).
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with this sign-in's authorization request.
    pub nonce: &'a str,
    pub now: Timestamp,
}

/// Why the claims were refused. Each is a stable reason code for the audit
/// log (`as_str`); none carries a claim's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimProblem {
    WrongIssuer,
    WrongAudience,
    /// Several audiences and `azp` is not the client.
    WrongAuthorizedParty,
    Expired,
    IssuedInFuture,
    WrongNonce,
    NoSubject,
}

impl ClaimProblem {
    pub const fn as_str(self) -> &'static str {
        match self {
            ClaimProblem::WrongIssuer => "wrong_issuer",
            ClaimProblem::WrongAudience => "wrong_audience",
            ClaimProblem::WrongAuthorizedParty => "wrong_azp",
            ClaimProblem::Expired => "expired",
            ClaimProblem::IssuedInFuture => "issued_in_future",
            ClaimProblem::WrongNonce => "wrong_nonce",
            ClaimProblem::NoSubject => "no_subject",
        }
    }
}

/// OpenID Connect Core §3.1.3.7, steps 2–4, 9, 10 and 11: `iss` is the
/// configured issuer exactly; `aud` contains the client id; with several
/// audiences, `azp` is the client id (and when present at all, it must be);
/// `exp` is in the future (no leeway: an expired token is refused); `iat`
/// is not more than [`IAT_LEEWAY`] ahead; `nonce` is the one sent; `sub` is
/// not empty. The nonce is compared in constant time (it stands in for
/// the browser's binding to this sign-in).
pub fn check_claims(c: &IdTokenClaims, e: &Expected<'_>) -> Result<(), ClaimProblem> {
    if c.iss != e.issuer {
        return Err(ClaimProblem::WrongIssuer);
    }
    if !c.aud.iter().any(|a| a == e.client_id) {
        return Err(ClaimProblem::WrongAudience);
    }
    match &c.azp {
        Some(azp) if azp != e.client_id => return Err(ClaimProblem::WrongAuthorizedParty),
        None if c.aud.len() > 1 => return Err(ClaimProblem::WrongAuthorizedParty),
        _ => {}
    }
    let now_secs = e.now.as_micros().div_euclid(1_000_000);
    if c.exp <= now_secs {
        return Err(ClaimProblem::Expired);
    }
    let leeway = IAT_LEEWAY.as_micros() / 1_000_000;
    if c.iat > now_secs.saturating_add(leeway) {
        return Err(ClaimProblem::IssuedInFuture);
    }
    match &c.nonce {
        Some(n) if constant_time_eq(n.as_bytes(), e.nonce.as_bytes()) => {}
        _ => return Err(ClaimProblem::WrongNonce),
    }
    if c.sub.is_empty() || c.sub.len() > 255 {
        return Err(ClaimProblem::NoSubject);
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why the claims cannot bind an account on a first sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingProblem {
    NoEmail,
    EmailNotVerified,
}

/// The address a first sign-in binds by: the token's `email`, only when
/// `email_verified` is `true` (absent counts as not verified), normalised
/// as [`normalise_email`].
pub fn binding_email(c: &IdTokenClaims) -> Result<String, BindingProblem> {
    let email = c.email.as_deref().and_then(normalise_email).ok_or(BindingProblem::NoEmail)?;
    if c.email_verified != Some(true) {
        return Err(BindingProblem::EmailNotVerified);
    }
    Ok(email)
}

/// An email address as compared for binding: trimmed and lower-cased (the
/// local part too: no provider of a practice's staff tells two people apart
/// by case). `None` for anything that is not `local@domain` in one line of
/// at most 254 characters.
pub fn normalise_email(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = t.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || (!domain.contains('.') && domain != "localhost") {
        return None;
    }
    Some(t.to_lowercase())
}

/// A configuration field's refusal, in words that read alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub field: &'static str,
    pub problem: String,
}

fn problem(field: &'static str, text: &str) -> ConfigProblem {
    ConfigProblem { field, problem: text.to_owned() }
}

/// A provider's issuer URL: `https://host[:port][/path]`, no query, no
/// fragment, no user name or password; `http://` only on the loopback host
/// (`127.0.0.1`, `[::1]`, `localhost`), for tests and the demo. Kept as
/// typed (the ID token's `iss` must equal it exactly), but a trailing `/`
/// is not doubled when the discovery document's address is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerUrl(String);

impl IssuerUrl {
    pub fn parse(text: &str) -> Result<Self, ConfigProblem> {
        let t = text.trim();
        let bad = |p: &str| Err(problem("issuer", p));
        if t.is_empty() {
            return bad("the issuer URL must not be empty");
        }
        if t.len() > 512 || t.chars().any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
            return bad("the issuer URL must be one address of at most 512 plain characters");
        }
        let (scheme, rest) = match t.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => return bad("the issuer URL must start with https://"),
        };
        if rest.contains(['?', '#']) {
            return bad("the issuer URL must not have a query or a fragment");
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return bad("the issuer URL must name a host");
        }
        if authority.contains('@') {
            return bad("the issuer URL must not carry a user name or password");
        }
        let host = host_of(authority).to_ascii_lowercase();
        match scheme.as_str() {
            "https" => {}
            "http" if matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") => {}
            "http" => {
                return bad("the issuer URL must use https:// (http:// only for 127.0.0.1 or localhost, for testing)");
            }
            _ => return bad("the issuer URL must start with https://"),
        }
        Ok(IssuerUrl(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{issuer}/.well-known/openid-configuration` (OpenID Connect
    /// Discovery §4).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.0.trim_end_matches('/'))
    }
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// The client id the provider registered for the practice: one line of
/// printable ASCII, at most 255 characters.
pub fn client_id(text: &str) -> Result<String, ConfigProblem> {
    let t = text.trim();
    if t.is_empty() {
        return Err(problem("client_id", "the client id must not be empty"));
    }
    if t.len() > 255 || !t.chars().all(|c| c.is_ascii_graphic()) {
        return Err(problem("client_id", "the client id must be at most 255 printable characters without spaces"));
    }
    Ok(t.to_owned())
}

/// The client secret: not empty, at most 1024 printable ASCII characters.
pub fn client_secret(text: &str) -> Result<String, ConfigProblem> {
    if text.trim().is_empty() {
        return Err(problem("client_secret", "the client secret must not be empty"));
    }
    if text.len() > 1024 || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(problem(
            "client_secret",
            "the client secret must be at most 1024 printable characters without spaces",
        ));
    }
    Ok(text.to_owned())
}

/// The sign-in button's words ("Sign in with Contoso Health"): the text
/// rule, one line, at most [`LABEL_MAX`] characters.
pub fn button_label(text: &str) -> Result<String, ConfigProblem> {
    let t = text.trim();
    check_free_text(t, LABEL_MAX, Lines::One).map_err(|e| {
        let words = match e {
            TextError::Empty => "the button label must not be empty".to_owned(),
            other => format!("the button label {other}"),
        };
        ConfigProblem { field: "label", problem: words }
    })?;
    Ok(t.to_owned())
}

/// Percent-encodes a query value (RFC 3986: everything but unreserved
/// characters).
pub fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The authorization request's address: the provider's endpoint with the
/// parameters appended (after its own query, if it has one).
pub fn authorization_url(endpoint: &str, params: &[(&str, &str)]) -> String {
    let mut url = endpoint.to_owned();
    let mut sep = if endpoint.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        url.push(sep);
        url.push_str(&query_encode(k));
        url.push('=');
        url.push_str(&query_encode(v));
        sep = '&';
    }
    url
}

#[cfg(test)]
mod tests;
