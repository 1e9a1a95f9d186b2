use super::*;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

struct Signer {
    pair: EcdsaKeyPair,
    kid: &'static str,
}

fn signer(kid: &'static str) -> Signer {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    Signer { pair, kid }
}

impl Signer {
    fn jwk(&self) -> serde_json::Value {
        let public = self.pair.public_key().as_ref();
        serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&public[1..33]), "y": URL_SAFE_NO_PAD.encode(&public[33..65]),
        })
    }

    fn sign(&self, header: serde_json::Value, payload: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload);
        let input = format!("{h}.{p}");
        let sig = self.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

fn set(keys: &[serde_json::Value]) -> JwkSet {
    JwkSet::parse(serde_json::json!({ "keys": keys }).to_string().as_bytes()).unwrap()
}

const PAYLOAD: &str = r#"{"iss":"https://id.example.org","sub":"1","aud":"c","exp":2,"iat":1,"nonce":"n"}"#;

#[test]
fn a_published_key_verifies_and_claims_read() {
    let s = signer("k1");
    let token = s.sign(serde_json::json!({"alg": "ES256", "kid": "k1"}), PAYLOAD);
    let payload = verify(&token, &set(&[s.jwk()])).unwrap();
    let c = claims(&payload).unwrap();
    assert_eq!(c.aud, vec!["c".to_owned()]);
    assert_eq!(c.nonce.as_deref(), Some("n"));
}

#[test]
fn a_key_not_published_is_refused() {
    let real = signer("k1");
    let forger = signer("k1");
    let token = forger.sign(serde_json::json!({"alg": "ES256", "kid": "k1"}), PAYLOAD);
    assert_eq!(verify(&token, &set(&[real.jwk()])), Err(JwsError::BadSignature));
    let other = signer("k2");
    let token = other.sign(serde_json::json!({"alg": "ES256", "kid": "k2"}), PAYLOAD);
    assert_eq!(verify(&token, &set(&[real.jwk()])), Err(JwsError::UnknownKey));
}

#[test]
fn a_changed_payload_is_refused() {
    let s = signer("k1");
    let token = s.sign(serde_json::json!({"alg": "ES256", "kid": "k1"}), PAYLOAD);
    let mut parts: Vec<&str> = token.split('.').collect();
    let other = URL_SAFE_NO_PAD.encode(PAYLOAD.replace("\"sub\":\"1\"", "\"sub\":\"2\""));
    parts[1] = &other;
    assert_eq!(verify(&parts.join("."), &set(&[s.jwk()])), Err(JwsError::BadSignature));
}

#[test]
fn none_hmac_and_header_keys_are_refused() {
    let s = signer("k1");
    let keys = set(&[s.jwk()]);
    let p = URL_SAFE_NO_PAD.encode(PAYLOAD);
    for alg in ["none", "HS256", "RS384", "PS256", "ES384"] {
        let h = URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": alg, "kid": "k1"}).to_string());
        assert_eq!(verify(&format!("{h}.{p}."), &keys), Err(JwsError::AlgRefused), "{alg}");
        assert_eq!(verify(&format!("{h}.{p}.AAAA"), &keys), Err(JwsError::AlgRefused), "{alg}");
    }
    // An RS256 header for an EC key: the key is not for that algorithm.
    let token = s.sign(serde_json::json!({"alg": "RS256", "kid": "k1"}), PAYLOAD);
    assert_eq!(verify(&token, &keys), Err(JwsError::AlgRefused));
    for extra in [
        serde_json::json!({"alg": "ES256", "kid": "k1", "jwk": s.jwk()}),
        serde_json::json!({"alg": "ES256", "kid": "k1", "jku": "https://evil.example/jwks"}),
        serde_json::json!({"alg": "ES256", "kid": "k1", "crit": ["b64"], "b64": false}),
    ] {
        assert_eq!(verify(&s.sign(extra, PAYLOAD), &keys), Err(JwsError::AlgRefused));
    }
}

#[test]
fn a_key_naming_another_alg_is_not_used() {
    let s = signer("k1");
    let mut jwk = s.jwk();
    jwk["alg"] = "ES384".into();
    let token = s.sign(serde_json::json!({"alg": "ES256", "kid": "k1"}), PAYLOAD);
    assert_eq!(verify(&token, &set(&[jwk])), Err(JwsError::AlgRefused));
}

#[test]
fn garbage_is_malformed() {
    let keys = JwkSet::default();
    for t in ["", "a.b", "a.b.c.d", "!!.??.##", "e30.e30"] {
        assert_eq!(verify(t, &keys), Err(JwsError::Malformed), "{t}");
    }
    assert!(JwkSet::parse(b"[]").is_none());
    assert!(claims(b"{\"iss\":1}").is_none());
}

#[test]
fn pkce_matches_rfc_7636_appendix_b() {
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}
