//! Web Push key material: the application server's VAPID key (RFC 8292)
//! and message encryption for a subscription (RFC 8291, which uses the
//! `aes128gcm` content coding of RFC 8188).
//!
//! Both are small enough to write on `ring` directly; the `web-push` and
//! `ece` crates would bring OpenSSL and a second HTTP stack into the tree.
//!
//! A push message body is one record:
//! `salt (16) ‖ rs (4, big-endian) ‖ idlen (1) = 65 ‖ keyid = as_public (65) ‖ AES-128-GCM(payload ‖ 0x02)`.

use crate::CryptoError;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use ring::hkdf::{self, HKDF_SHA256};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use std::fmt;
use std::fs;
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use zeroize::Zeroizing;

/// An uncompressed P-256 point: `0x04 ‖ x (32) ‖ y (32)`.
pub const PUBLIC_KEY_LEN: usize = 65;
/// The subscription's `auth` secret (RFC 8291 section 3.2).
pub const AUTH_SECRET_LEN: usize = 16;
/// The record size written in the header. One record holds the whole message.
pub const RECORD_SIZE: u32 = 4096;
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = SALT_LEN + 4 + 1 + PUBLIC_KEY_LEN;
/// The largest payload [`encrypt`] accepts. A push service need not take a
/// body over 4096 bytes (RFC 8030 section 7.2); less the header (86), the
/// padding delimiter (1) and the tag (16), that is 3993 bytes (RFC 8291
/// section 4). The record itself (payload, delimiter, tag) is then at most
/// 4010 bytes, within [`RECORD_SIZE`].
pub const MAX_PAYLOAD: usize = 4096 - HEADER_LEN - 1 - TAG_LEN;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn invalid(what: &'static str) -> CryptoError {
    CryptoError::WebPush(what)
}

/// The application server's VAPID key pair (ECDSA P-256), which signs the
/// `Authorization` header of every push request. Browsers bind a
/// subscription to its public key, so it must outlive restarts: see
/// [`VapidKey::load_or_create`].
pub struct VapidKey {
    pair: EcdsaKeyPair,
    public: [u8; PUBLIC_KEY_LEN],
}

impl fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VapidKey(<secret>)")
    }
}

impl VapidKey {
    /// A fresh key pair and its PKCS#8 (v1, DER) form, to be kept secret.
    pub fn generate() -> Result<(VapidKey, Zeroizing<Vec<u8>>), CryptoError> {
        let rng = SystemRandom::new();
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|_| CryptoError::Random)?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        let key = VapidKey::from_pkcs8(&pkcs8)?;
        Ok((key, pkcs8))
    }

    /// A key pair from its PKCS#8 DER form (P-256, with the public key).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<VapidKey, CryptoError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
            .map_err(|_| CryptoError::VapidKey("not a PKCS#8 P-256 private key"))?;
        let public = <[u8; PUBLIC_KEY_LEN]>::try_from(pair.public_key().as_ref())
            .map_err(|_| CryptoError::VapidKey("not a PKCS#8 P-256 private key"))?;
        Ok(VapidKey { pair, public })
    }

    /// A key pair from PEM text (`-----BEGIN PRIVATE KEY-----`, PKCS#8), the
    /// form of the key file; `openssl genpkey -algorithm EC -pkeyopt
    /// ec_paramgen_curve:P-256` makes one too.
    pub fn from_pem(text: &str) -> Result<VapidKey, CryptoError> {
        let body = text
            .split_once(PEM_BEGIN)
            .and_then(|(_, rest)| rest.split_once(PEM_END))
            .map(|(body, _)| body)
            .ok_or(CryptoError::VapidKey("no `BEGIN PRIVATE KEY` block"))?;
        let b64: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let der = Zeroizing::new(
            STANDARD.decode(b64.as_bytes()).map_err(|_| CryptoError::VapidKey("the PEM block is not base64"))?,
        );
        VapidKey::from_pkcs8(&der)
    }

    /// The key file at `path`: read it, or create it (mode 0600, in a 0700
    /// directory if the directory is new) with a fresh key if there is none.
    ///
    /// Creation is atomic: the key is written in full to a private temporary
    /// file and then hard-linked to `path`, which fails if another process
    /// got there first; that process's key is then read. Two nodes starting
    /// together on one volume therefore end up with the same key, and a
    /// crash never leaves a half-written key file.
    pub fn load_or_create(path: &Path) -> Result<VapidKey, CryptoError> {
        match Self::load(path) {
            Err(CryptoError::KeyFile(e)) if e.kind() == ErrorKind::NotFound => {}
            other => return other,
        }
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            // Only the service's user may list a directory that holds keys.
            fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        }
        let (key, pkcs8) = VapidKey::generate()?;
        let pem = Zeroizing::new(pem_text(&pkcs8));
        let suffix: [u8; 8] = crate::random::array()?;
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp-{}", b64url(&suffix)));
        let tmp = std::path::PathBuf::from(tmp_name);
        let written = (|| -> Result<(), CryptoError> {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(pem.as_bytes())?;
            f.sync_all()?;
            Ok(())
        })();
        let linked = written.and_then(|()| fs::hard_link(&tmp, path).map_err(CryptoError::from));
        // The temporary name is not needed whether or not the link was made.
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::File::open(dir)?.sync_all()?;
                }
                Ok(key)
            }
            Err(CryptoError::KeyFile(e)) if e.kind() == ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(e),
        }
    }

    /// Reads the key file at `path`, refusing one that other users may read.
    pub fn load(path: &Path) -> Result<VapidKey, CryptoError> {
        let meta = fs::metadata(path)?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(CryptoError::InsecurePermissions(path.display().to_string()));
        }
        let text = Zeroizing::new(fs::read_to_string(path)?);
        VapidKey::from_pem(&text)
    }

    /// The public key as an uncompressed P-256 point.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }

    /// The public key in base64url without padding: the
    /// `applicationServerKey` a browser's `pushManager.subscribe` takes.
    pub fn public_key_b64url(&self) -> String {
        b64url(&self.public)
    }

    /// The `Authorization` header value for a push request to `endpoint`:
    /// `vapid t=<JWT>, k=<public key>` (RFC 8292 section 3). The JWT is
    /// ES256-signed with `aud` the endpoint's origin, `exp` = `expires_unix`
    /// and `sub` = `subject` (a `mailto:` or `https:` URI for the push
    /// service's operator to reach us). RFC 8292 has push services refuse
    /// an `exp` more than 24 hours ahead; the caller owns the clock.
    pub fn authorization(&self, endpoint: &str, subject: &str, expires_unix: u64) -> Result<String, CryptoError> {
        let aud = origin(endpoint)?;
        check_subject(subject)?;
        // `aud` and `sub` are checked to hold no character JSON must escape.
        let header = b64url(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = b64url(format!(r#"{{"aud":"{aud}","exp":{expires_unix},"sub":"{subject}"}}"#).as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| CryptoError::VapidKey("signing failed"))?;
        Ok(format!("vapid t={signing_input}.{}, k={}", b64url(signature.as_ref()), self.public_key_b64url()))
    }
}

/// PKCS#8 DER as PEM, 64 columns.
fn pem_text(der: &[u8]) -> String {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + PEM_BEGIN.len() + PEM_END.len() + 4);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push('\n');
    out.push_str(PEM_END);
    out.push('\n');
    out
}

/// The origin (`scheme://host[:port]`, RFC 6454) of a push endpoint URL: the
/// JWT's audience. The default port is left out, as browsers serialise it.
fn origin(endpoint: &str) -> Result<String, CryptoError> {
    let (scheme, rest) = endpoint.split_once("://").ok_or(invalid("the push endpoint is not an absolute URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return Err(invalid("the push endpoint is not an http(s) URL")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(invalid("the push endpoint has no host"));
    }
    // Letters, digits, `.-` of host names, `:` of a port and `[]` of an IPv6
    // literal: no user information, nothing that would need escaping in JSON.
    if !authority.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')) {
        return Err(invalid("the push endpoint's host is malformed"));
    }
    let authority = authority.to_ascii_lowercase();
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    if authority.is_empty() || authority.starts_with(':') || authority.ends_with(':') {
        return Err(invalid("the push endpoint has no host"));
    }
    Ok(format!("{scheme}://{authority}"))
}

/// The JWT's `sub`: a `mailto:` or `https:` URI of printable ASCII with no
/// `"` or `\`, so that it goes into the JSON claims unescaped.
fn check_subject(subject: &str) -> Result<(), CryptoError> {
    let lower = subject.to_ascii_lowercase();
    let scheme_ok = (lower.starts_with("mailto:") && subject.len() > "mailto:".len())
        || (lower.starts_with("https://") && subject.len() > "https://".len());
    let chars_ok = subject.len() <= 256 && subject.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if scheme_ok && chars_ok { Ok(()) } else { Err(invalid("the VAPID subject must be a mailto: or https: URI")) }
}

/// Encrypts `payload` for a subscription with the `aes128gcm` content
/// coding (RFC 8291): a fresh ephemeral P-256 key and a fresh random salt
/// for every message. `ua_public` is the subscription's `p256dh` key (65
/// bytes, uncompressed) and `auth_secret` its `auth` (16 bytes). Returns the
/// request body, to be sent with `Content-Encoding: aes128gcm`.
pub fn encrypt(payload: &[u8], ua_public: &[u8], auth_secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let ephemeral = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new()).map_err(|_| CryptoError::Random)?;
    let salt: [u8; SALT_LEN] = crate::random::array()?;
    encrypt_with(payload, ua_public, auth_secret, ephemeral, &salt)
}

/// [`encrypt`] with the ephemeral key and salt given: deterministic, so the
/// RFC's example can be reproduced byte for byte.
fn encrypt_with(
    payload: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    ephemeral: EphemeralPrivateKey,
    salt: &[u8; SALT_LEN],
) -> Result<Vec<u8>, CryptoError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(CryptoError::PushPayloadTooLarge { len: payload.len(), max: MAX_PAYLOAD });
    }
    if ua_public.len() != PUBLIC_KEY_LEN || ua_public.first() != Some(&0x04) {
        return Err(invalid("the subscription's p256dh key must be a 65-byte uncompressed P-256 point"));
    }
    if auth_secret.len() != AUTH_SECRET_LEN {
        return Err(invalid("the subscription's auth secret must be 16 bytes"));
    }
    let as_public = ephemeral.compute_public_key().map_err(|_| CryptoError::Random)?;
    let as_public = <[u8; PUBLIC_KEY_LEN]>::try_from(as_public.as_ref()).map_err(|_| CryptoError::Random)?;
    // ring checks that the peer's point is on the curve before agreeing.
    let ikm = agreement::agree_ephemeral(ephemeral, &UnparsedPublicKey::new(&ECDH_P256, ua_public), |ecdh_secret| {
        combine_keys(ecdh_secret, auth_secret, ua_public, &as_public)
    })
    .map_err(|_| invalid("the subscription's p256dh key is not a point on P-256"))??;
    let keys = RecordKeys::derive(ikm.as_slice(), salt)?;

    let mut body = Vec::with_capacity(HEADER_LEN + payload.len() + 1 + TAG_LEN);
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(PUBLIC_KEY_LEN as u8);
    body.extend_from_slice(&as_public);
    let mut record = Vec::with_capacity(payload.len() + 1 + TAG_LEN);
    record.extend_from_slice(payload);
    // The last (only) record's delimiter; no padding follows.
    record.push(0x02);
    keys.cipher()?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(keys.nonce), Aad::empty(), &mut record)
        .map_err(|_| CryptoError::Integrity)?;
    body.extend_from_slice(&record);
    Ok(body)
}

/// An HKDF output length for ring's `expand`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf_fill(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
    prk.expand(info, Len(out.len())).and_then(|okm| okm.fill(out)).map_err(|_| CryptoError::Integrity)
}

/// RFC 8291 section 3.3: the input keying material from the ECDH secret,
/// bound to the subscription's auth secret and both public keys.
fn combine_keys(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let prk_key = hkdf::Salt::new(HKDF_SHA256, auth_secret).extract(ecdh_secret);
    let mut ikm = Zeroizing::new([0u8; 32]);
    hkdf_fill(&prk_key, &[b"WebPush: info\0", ua_public, as_public], ikm.as_mut_slice())?;
    Ok(ikm)
}

/// RFC 8188 section 2.2 and 2.3: the content encryption key and the nonce
/// of the first (only) record.
struct RecordKeys {
    cek: Zeroizing<[u8; 16]>,
    nonce: [u8; 12],
}

impl RecordKeys {
    fn derive(ikm: &[u8], salt: &[u8]) -> Result<RecordKeys, CryptoError> {
        let prk = hkdf::Salt::new(HKDF_SHA256, salt).extract(ikm);
        let mut cek = Zeroizing::new([0u8; 16]);
        hkdf_fill(&prk, &[b"Content-Encoding: aes128gcm\0"], cek.as_mut_slice())?;
        let mut nonce = [0u8; 12];
        hkdf_fill(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;
        Ok(RecordKeys { cek, nonce })
    }

    fn cipher(&self) -> Result<LessSafeKey, CryptoError> {
        Ok(LessSafeKey::new(UnboundKey::new(&AES_128_GCM, self.cek.as_slice()).map_err(|_| CryptoError::Integrity)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unb64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291 section 5 and Appendix A.
    const PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";
    const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const IKM: &str = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    /// An ephemeral key with a chosen scalar. ring makes these only from a
    /// random source, so a source that returns the scalar stands in (ring's
    /// own test helper, public but deprecated).
    #[allow(deprecated)]
    fn fixed_key(scalar: &[u8]) -> EphemeralPrivateKey {
        let rng = ring::test::rand::FixedSliceRandom { bytes: scalar };
        EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap()
    }

    /// A user agent's side, for tests: RFC 8188 decryption of a one-record
    /// body with the subscription's private key.
    fn decrypt(body: &[u8], ua_private: EphemeralPrivateKey, auth_secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let ua_public = ua_private.compute_public_key().unwrap().as_ref().to_vec();
        let (salt, rest) = body.split_at_checked(SALT_LEN).ok_or(CryptoError::Integrity)?;
        let (rs, rest) = rest.split_at_checked(4).ok_or(CryptoError::Integrity)?;
        let (&idlen, rest) = rest.split_first().ok_or(CryptoError::Integrity)?;
        let (keyid, ciphertext) = rest.split_at_checked(usize::from(idlen)).ok_or(CryptoError::Integrity)?;
        assert_eq!(u32::from_be_bytes(rs.try_into().unwrap()), RECORD_SIZE);
        assert!(ciphertext.len() <= RECORD_SIZE as usize, "one record, within rs");
        let ikm = agreement::agree_ephemeral(ua_private, &UnparsedPublicKey::new(&ECDH_P256, keyid), |secret| {
            combine_keys(secret, auth_secret, &ua_public, keyid)
        })
        .map_err(|_| CryptoError::Integrity)??;
        let keys = RecordKeys::derive(ikm.as_slice(), salt)?;
        let mut buf = ciphertext.to_vec();
        let plain = keys
            .cipher()?
            .open_in_place(Nonce::assume_unique_for_key(keys.nonce), Aad::empty(), &mut buf)
            .map_err(|_| CryptoError::Integrity)?;
        // Padding is zeros after the delimiter; the last record's is 0x02.
        let end = plain.iter().rposition(|&b| b != 0).ok_or(CryptoError::Integrity)?;
        assert_eq!(plain[end], 0x02, "last-record delimiter");
        Ok(plain[..end].to_vec())
    }

    #[test]
    fn reproduces_the_rfc_8291_example_byte_for_byte() {
        let server = fixed_key(&unb64(AS_PRIVATE));
        assert_eq!(server.compute_public_key().unwrap().as_ref(), unb64(AS_PUBLIC).as_slice());
        let salt: [u8; 16] = unb64(SALT).try_into().unwrap();
        let body = encrypt_with(PLAINTEXT, &unb64(UA_PUBLIC), &unb64(AUTH), server, &salt).unwrap();
        assert_eq!(b64url(&body), BODY);
        // And the user agent of the example reads it back.
        assert_eq!(decrypt(&body, fixed_key(&unb64(UA_PRIVATE)), &unb64(AUTH)).unwrap(), PLAINTEXT);
    }

    #[test]
    fn derivation_steps_match_appendix_a() {
        let ikm = combine_keys(&unb64(ECDH_SECRET), &unb64(AUTH), &unb64(UA_PUBLIC), &unb64(AS_PUBLIC)).unwrap();
        assert_eq!(b64url(ikm.as_slice()), IKM);
        let keys = RecordKeys::derive(ikm.as_slice(), &unb64(SALT)).unwrap();
        assert_eq!(b64url(keys.cek.as_slice()), CEK);
        assert_eq!(b64url(&keys.nonce), NONCE);
    }

    #[test]
    fn round_trips_with_a_fresh_user_agent_key_and_differs_every_time() {
        let auth: [u8; 16] = crate::random::array().unwrap();
        let ua = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new()).unwrap();
        let ua_public = ua.compute_public_key().unwrap().as_ref().to_vec();
        let payload = br#"{"title":"Riverside Family Medicine","url":"/app/"}"#;
        let body = encrypt(payload, &ua_public, &auth).unwrap();
        let again = encrypt(payload, &ua_public, &auth).unwrap();
        assert_ne!(body[..SALT_LEN], again[..SALT_LEN], "fresh salt");
        assert_ne!(body[21..HEADER_LEN], again[21..HEADER_LEN], "fresh ephemeral key");
        assert_eq!(body.len(), HEADER_LEN + payload.len() + 1 + TAG_LEN);
        assert_eq!(decrypt(&body, ua, &auth).unwrap(), payload);

        // A wrong auth secret, or a flipped bit, does not decrypt.
        let ua = fixed_key(&unb64(UA_PRIVATE));
        let body = encrypt(payload, &unb64(UA_PUBLIC), &auth).unwrap();
        let mut wrong = auth;
        wrong[0] ^= 1;
        assert!(decrypt(&body, ua, &wrong).is_err());
        let mut tampered = body.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(decrypt(&tampered, fixed_key(&unb64(UA_PRIVATE)), &auth).is_err());
        assert_eq!(decrypt(&body, fixed_key(&unb64(UA_PRIVATE)), &auth).unwrap(), payload);
    }

    #[test]
    fn the_largest_payload_fits_one_4096_byte_body_and_one_more_byte_is_refused() {
        let ua_public = unb64(UA_PUBLIC);
        let auth = unb64(AUTH);
        let body = encrypt(&[b'x'; MAX_PAYLOAD], &ua_public, &auth).unwrap();
        assert_eq!(MAX_PAYLOAD, 3993);
        assert_eq!(body.len(), 4096);
        assert_eq!(decrypt(&body, fixed_key(&unb64(UA_PRIVATE)), &auth).unwrap(), vec![b'x'; MAX_PAYLOAD]);
        let err = encrypt(&[b'x'; MAX_PAYLOAD + 1], &ua_public, &auth).unwrap_err();
        assert!(matches!(err, CryptoError::PushPayloadTooLarge { len: 3994, max: 3993 }), "{err}");
        assert!(encrypt(b"", &ua_public, &auth).is_ok(), "an empty payload is a valid message");
    }

    #[test]
    fn malformed_subscription_keys_are_refused() {
        let ua_public = unb64(UA_PUBLIC);
        let auth = unb64(AUTH);
        let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (ua_public[..64].to_vec(), auth.clone()),
            ([ua_public.as_slice(), &[0]].concat(), auth.clone()),
            (ua_public[..33].to_vec(), auth.clone()), // a compressed-length key
            (vec![], auth.clone()),
            ([&[0x02], &ua_public[1..]].concat(), auth.clone()), // not uncompressed
            (ua_public.clone(), auth[..15].to_vec()),
            (ua_public.clone(), [auth.as_slice(), &[0]].concat()),
            (ua_public.clone(), vec![]),
        ];
        for (key, secret) in cases {
            let err = encrypt(b"hi", &key, &secret).unwrap_err();
            assert!(matches!(err, CryptoError::WebPush(_)), "{} / {}: {err}", key.len(), secret.len());
        }
        // 65 bytes in the right form, but not a point on the curve.
        let mut off_curve = ua_public.clone();
        off_curve[64] ^= 1;
        let err = encrypt(b"hi", &off_curve, &auth).unwrap_err();
        assert!(err.to_string().contains("not a point on P-256"), "{err}");
        let mut zero = vec![0u8; 65];
        zero[0] = 4;
        assert!(matches!(encrypt(b"hi", &zero, &auth), Err(CryptoError::WebPush(_))));
    }

    fn verify_jwt(header_value: &str, key: &VapidKey) -> String {
        let rest = header_value.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, key.public_key_b64url());
        let (signing_input, sig) = jwt.rsplit_once('.').unwrap();
        let (header, claims) = signing_input.split_once('.').unwrap();
        assert_eq!(unb64(header), br#"{"typ":"JWT","alg":"ES256"}"#);
        let sig = unb64(sig);
        assert_eq!(sig.len(), 64, "ES256 is r ‖ s, not DER");
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, key.public_key())
            .verify(signing_input.as_bytes(), &sig)
            .unwrap();
        String::from_utf8(unb64(claims)).unwrap()
    }

    #[test]
    fn vapid_authorization_is_an_es256_jwt_for_the_endpoints_origin() {
        let (key, pkcs8) = VapidKey::generate().unwrap();
        assert_eq!(key.public_key()[0], 4);
        assert_eq!(unb64(&key.public_key_b64url()), key.public_key());
        assert_eq!(VapidKey::from_pkcs8(&pkcs8).unwrap().public_key(), key.public_key());
        let header = key
            .authorization("https://Push.Example.net/wpush/v2/gAAAA?x=1", "mailto:ops@example.org", 1_800_000_000)
            .unwrap();
        assert_eq!(
            verify_jwt(&header, &key),
            r#"{"aud":"https://push.example.net","exp":1800000000,"sub":"mailto:ops@example.org"}"#
        );
        for (endpoint, aud) in [
            ("https://push.example.net:443/x", "https://push.example.net"),
            ("https://push.example.net:8443/x", "https://push.example.net:8443"),
            ("http://127.0.0.1:9000/push/1", "http://127.0.0.1:9000"),
            ("http://[::1]/push", "http://[::1]"),
            ("https://push.example.net", "https://push.example.net"),
        ] {
            let claims = verify_jwt(&key.authorization(endpoint, "https://example.org/", 1).unwrap(), &key);
            assert!(claims.contains(&format!(r#""aud":"{aud}""#)), "{endpoint}: {claims}");
        }
        for endpoint in [
            "push.example.net/x",
            "ftp://push.example.net/",
            "https:///x",
            "https://user@push.example.net/",
            "https://:443/x",
            "https://a\"b/",
            "https://host:/x",
        ] {
            assert!(matches!(key.authorization(endpoint, "mailto:a@b", 1), Err(CryptoError::WebPush(_))), "{endpoint}");
        }
        for subject in
            ["ops@example.org", "mailto:", "http://example.org", "mailto:a\"b@c", "mailto:a b@c", "mailto:a\\b"]
        {
            assert!(
                matches!(key.authorization("https://p.example/", subject, 1), Err(CryptoError::WebPush(_))),
                "{subject}"
            );
        }
        assert_eq!(format!("{key:?}"), "VapidKey(<secret>)");
    }

    #[test]
    fn vapid_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("vapid.key");
        let first = VapidKey::load_or_create(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(PEM_BEGIN) && text.trim_end().ends_with(PEM_END), "{text}");
        assert!(text.lines().all(|l| l.len() <= 64));
        let again = VapidKey::load_or_create(&path).unwrap();
        assert_eq!(again.public_key(), first.public_key(), "the same key after a restart");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");

        // Racing creators all end up with one key.
        let raced = dir.path().join("raced.key");
        let keys: Vec<[u8; 65]> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..4).map(|_| s.spawn(|| VapidKey::load_or_create(&raced).unwrap().public_key())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        assert_eq!(VapidKey::load(&raced).unwrap().public_key(), keys[0]);

        // Readable by others: refused, as the master key file is.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(VapidKey::load_or_create(&path), Err(CryptoError::InsecurePermissions(_))));
        // Garbage is refused, not replaced.
        let garbage = dir.path().join("garbage.key");
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&garbage)
            .unwrap()
            .write_all(b"x")
            .unwrap();
        assert!(matches!(VapidKey::load_or_create(&garbage), Err(CryptoError::VapidKey(_))));
        assert_eq!(fs::read(&garbage).unwrap(), b"x");
        let not_b64 = format!("{PEM_BEGIN}\n!!!!\n{PEM_END}\n");
        assert!(matches!(VapidKey::from_pem(&not_b64), Err(CryptoError::VapidKey(_))));
    }
}
