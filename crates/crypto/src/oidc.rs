//! OpenID Connect on `ring`: the provider's published keys (a JWK Set,
//! RFC 7517), the check of an ID token's signature (JWS compact form,
//! RFC 7515; RS256 and ES256 only, RFC 7518), the signed claims read into
//! the domain's plain data, and PKCE's S256 challenge (RFC 7636).
//!
//! What the claims must say is `domain::sso`'s; this module only answers
//! whether a key the provider published signed exactly these bytes. No
//! `jsonwebtoken` or `openidconnect` crate: ring already verifies both
//! algorithms, and a JOSE library's many options (`none`, HMAC with a
//! public key as secret, keys embedded in the header) are the classic ways
//! such checks go wrong. Errors never carry a token's or key's content.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use switchboard_domain::sso::{IdTokenClaims, SigningAlg, key_fits_among};

/// The most a token or key set is read to (a provider's answer is small).
const MAX_TOKEN: usize = 16 * 1024;
const MAX_KEYS: usize = 32;

/// Why a token's signature was not accepted; stable reason codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwsError {
    /// Not three base64url parts, or a header or payload that is not JSON.
    Malformed,
    /// `none`, HMAC, or any algorithm other than RS256 and ES256; or a
    /// header asking for extensions (`crit`).
    AlgRefused,
    /// No published key has the token's `kid` (or, without a `kid`, none
    /// fits its algorithm): the key set may be stale.
    UnknownKey,
    /// A fitting key did not verify the signature.
    BadSignature,
}

impl JwsError {
    pub const fn as_str(self) -> &'static str {
        match self {
            JwsError::Malformed => "malformed_token",
            JwsError::AlgRefused => "alg_refused",
            JwsError::UnknownKey => "unknown_key",
            JwsError::BadSignature => "bad_signature",
        }
    }
}

/// One published key (only the members verification reads).
#[derive(Clone, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Deserialize)]
struct JwkSetJson {
    keys: Vec<serde_json::Value>,
}

/// A provider's JWK Set. Keys of types it cannot use are skipped; the
/// private members of a key published by mistake are never read.
#[derive(Clone, Default)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl std::fmt::Debug for JwkSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwkSet").field("keys", &self.keys.len()).finish()
    }
}

impl JwkSet {
    /// Reads `{"keys": [...]}`; `None` when it is not that.
    pub fn parse(json: &[u8]) -> Option<JwkSet> {
        let set: JwkSetJson = serde_json::from_slice(json).ok()?;
        let keys = set.keys.into_iter().take(MAX_KEYS).filter_map(|k| serde_json::from_value(k).ok()).collect();
        Some(JwkSet { keys })
    }

    /// Reads a key set a practice registers for a client: refused when it
    /// is not a JWK Set, when any key carries private members (the client
    /// keeps its private key; one pasted by mistake is not stored), or when
    /// no key can verify a token signed with one of `allowed`.
    pub fn parse_public(json: &[u8], allowed: &[SigningAlg]) -> Result<JwkSet, &'static str> {
        const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
        let set: JwkSetJson = serde_json::from_slice(json).map_err(|_| "this is not a JWK Set ({\"keys\": [...]})")?;
        if set.keys.len() > MAX_KEYS {
            return Err("a key set may hold at most 32 keys");
        }
        if set.keys.iter().any(|k| PRIVATE.iter().any(|m| k.get(m).is_some())) {
            return Err("this key set holds a private key: paste only the public keys");
        }
        let parsed = JwkSet::parse(json).ok_or("this is not a JWK Set")?;
        let usable = parsed.keys.iter().any(|k| {
            allowed.iter().any(|a| {
                key_fits_among(a.as_str(), &k.kty, k.crv.as_deref(), k.alg.as_deref(), k.key_use.as_deref(), allowed)
                    .is_some()
            }) && k.kid.as_deref().is_some_and(|kid| !kid.is_empty())
        });
        if !usable {
            return Err("no key in this set can check RS384 or ES384 signatures and has a kid (RSA, or EC on P-384)");
        }
        Ok(parsed)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
    jwk: Option<serde_json::Value>,
    jku: Option<serde_json::Value>,
    x5u: Option<serde_json::Value>,
}

fn b64(part: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| JwsError::Malformed)
}

/// Checks an ID token's signature against the provider's keys and gives
/// the signed payload's bytes. The algorithm is the header's only if it is
/// RS256 or ES256 and the chosen key is of its type (and names it, if it
/// names one): a token cannot pick HMAC, `none`, or a key of its own
/// (`jwk`, `jku`, `x5u` in the header are refused).
pub fn verify(token: &str, keys: &JwkSet) -> Result<Vec<u8>, JwsError> {
    verify_allowing(token, keys, &SigningAlg::ID_TOKEN)
}

/// `verify` for tokens signed with one of `allowed` (an EHR client's
/// assertion: `SigningAlg::CLIENT_ASSERTION`).
pub fn verify_allowing(token: &str, keys: &JwkSet, allowed: &[SigningAlg]) -> Result<Vec<u8>, JwsError> {
    if token.len() > MAX_TOKEN {
        return Err(JwsError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed);
    };
    let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| JwsError::Malformed)?;
    if header.crit.is_some() || header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() {
        return Err(JwsError::AlgRefused);
    }
    let alg = SigningAlg::from_header(&header.alg).filter(|a| allowed.contains(a)).ok_or(JwsError::AlgRefused)?;
    let payload = b64(p)?;
    let sig = b64(s)?;
    let signed = token.get(..h.len() + 1 + p.len()).ok_or(JwsError::Malformed)?.as_bytes();

    let named: Vec<&Jwk> = match &header.kid {
        Some(kid) => keys.keys.iter().filter(|k| k.kid.as_deref() == Some(kid.as_str())).collect(),
        None => keys.keys.iter().collect(),
    };
    let fitting: Vec<&Jwk> = named
        .iter()
        .copied()
        .filter(|k| {
            key_fits_among(&header.alg, &k.kty, k.crv.as_deref(), k.alg.as_deref(), k.key_use.as_deref(), allowed)
                == Some(alg)
        })
        .collect();
    if fitting.is_empty() {
        // A key with this kid exists but is of another type or algorithm:
        // the token asked for an algorithm the key is not for.
        return Err(if named.is_empty() { JwsError::UnknownKey } else { JwsError::AlgRefused });
    }
    if fitting.iter().any(|k| verifies(alg, k, signed, &sig)) { Ok(payload) } else { Err(JwsError::BadSignature) }
}

fn verifies(alg: SigningAlg, key: &Jwk, signed: &[u8], sig: &[u8]) -> bool {
    let decode = |v: &Option<String>| v.as_deref().and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
    let rsa = |params: &'static signature::RsaParameters| {
        let (Some(n), Some(e)) = (decode(&key.n), decode(&key.e)) else { return false };
        let n = strip_zeros(&n);
        let e = strip_zeros(&e);
        RsaPublicKeyComponents { n, e }.verify(params, signed, sig).is_ok()
    };
    let ec = |params: &'static signature::EcdsaVerificationAlgorithm, len: usize| {
        let (Some(x), Some(y)) = (decode(&key.x), decode(&key.y)) else { return false };
        if x.len() != len || y.len() != len {
            return false;
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(4u8);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        UnparsedPublicKey::new(params, point).verify(signed, sig).is_ok()
    };
    match alg {
        SigningAlg::Rs256 => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        SigningAlg::Rs384 => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        SigningAlg::Es256 => ec(&signature::ECDSA_P256_SHA256_FIXED, 32),
        SigningAlg::Es384 => ec(&signature::ECDSA_P384_SHA384_FIXED, 48),
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

/// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct ClaimsJson {
    iss: String,
    sub: String,
    aud: Audience,
    azp: Option<String>,
    exp: i64,
    iat: i64,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// The verified payload's claims as plain data; `None` when a required
/// claim is missing or of the wrong type.
pub fn claims(payload: &[u8]) -> Option<IdTokenClaims> {
    let c: ClaimsJson = serde_json::from_slice(payload).ok()?;
    Some(IdTokenClaims {
        iss: c.iss,
        sub: c.sub,
        aud: match c.aud {
            Audience::One(a) => vec![a],
            Audience::Many(a) => a,
        },
        azp: c.azp,
        exp: c.exp,
        iat: c.iat,
        nonce: c.nonce,
        email: c.email,
        email_verified: c.email_verified,
    })
}

/// The payload of a compact JWS, **not verified**: only to learn which
/// client's keys to check it against (`iss`). Never trust what it says.
pub fn unverified_payload(token: &str) -> Option<Vec<u8>> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(_), Some(p), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    b64(p).ok()
}

#[derive(Deserialize)]
struct AssertionJson {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    jti: Option<String>,
}

/// An EHR client's assertion's claims (SMART Backend Services); `None`
/// when the payload is not a JSON object of that shape.
pub fn assertion_claims(payload: &[u8]) -> Option<switchboard_domain::ehr::AssertionClaims> {
    let c: AssertionJson = serde_json::from_slice(payload).ok()?;
    Some(switchboard_domain::ehr::AssertionClaims {
        iss: c.iss,
        sub: c.sub,
        aud: match c.aud {
            Some(Audience::One(a)) => vec![a],
            Some(Audience::Many(a)) => a,
            None => Vec::new(),
        },
        exp: c.exp,
        jti: c.jti,
    })
}

/// PKCE's `code_challenge` for a verifier: base64url(SHA-256(verifier)),
/// method `S256` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(crate::sha256(verifier.as_bytes()))
}

#[cfg(test)]
mod tests;
