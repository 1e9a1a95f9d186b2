//! The only crate that touches key material.
//!
//! - [`KeyRing`] holds the master keys (key-encryption keys, KEKs) kept outside the
//!   database in a key file or an environment variable, the data keys they
//!   wrap, and the MAC keys derived for the audit chain and fingerprints.
//! - [`DataKey`] does AES-256-GCM sealing of PHI under a per-record-group data
//!   key, with associated data binding each ciphertext to its place.
//! - [`chunked`] seals files in chunks under a data key, with flat memory.
//! - [`PasswordHasher`] hashes passwords with argon2id.
//! - [`token`] makes opaque session tokens, stored only as their SHA-256.
//! - [`tls`] makes self-signed certificates for the demo.
//! - [`totp`] computes time-based one-time codes (RFC 6238) for second factors.
//! - [`webpush`] holds the VAPID key and encrypts Web Push messages.
//! - [`oidc`] checks OpenID Connect ID tokens' signatures (RS256, ES256) and PKCE.
//! - [`passkey`] is the WebAuthn relying party (webauthn-rs behind opaque JSON).
//!
//! Nothing here logs, and no type here prints key bytes in `Debug`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod aead;
pub mod chunked;
mod error;
mod keyring;
pub mod oidc;
pub mod passkey;
mod password;
pub mod random;
pub mod tls;
pub mod token;
pub mod totp;
pub mod webpush;

pub use aead::{DataKey, aad};
pub use error::CryptoError;
pub use keyring::{AuditMac, KeyRing, KeySource, WrappedKey, verify_checkpoint};
pub use password::PasswordHasher;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-256 over data that arrives in pieces (a file as it is uploaded).
pub struct Sha256Stream(ring::digest::Context);

impl Default for Sha256Stream {
    fn default() -> Self {
        Sha256Stream(ring::digest::Context::new(&ring::digest::SHA256))
    }
}

impl Sha256Stream {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> [u8; 32] {
        let d = self.0.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }
}

/// SHA-1 over data that arrives in pieces: only because FHIR R4's
/// `Attachment.hash` is defined as SHA-1 (a checksum for the receiver,
/// never a security decision of ours; the SHA-256 goes beside it).
pub struct Sha1Stream(ring::digest::Context);

impl Default for Sha1Stream {
    fn default() -> Self {
        Sha1Stream(ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY))
    }
}

impl Sha1Stream {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> [u8; 20] {
        let d = self.0.finish();
        let mut out = [0u8; 20];
        out.copy_from_slice(d.as_ref());
        out
    }
}

/// HMAC-SHA1 of `data` under `key`: the signature an SMS gateway (Twilio)
/// puts on the requests it makes to us. SHA-1 only because the gateway's
/// scheme fixes it (HMAC-SHA1 is still sound as a MAC); nothing of ours
/// is signed with it.
pub fn sms_signature(key: &[u8], data: &[u8]) -> [u8; 20] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = ring::hmac::sign(&key, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Whether `tag` is [`sms_signature`] of `data` under `key`, compared in
/// constant time (ring's `hmac::verify`), so a forger learns nothing from
/// how long a wrong guess took.
pub fn verify_sms_signature(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    ring::hmac::verify(&key, data, tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2202, test case 2 (HMAC-SHA1, key "Jefe").
    #[test]
    fn sms_signature_is_hmac_sha1() {
        let tag = sms_signature(b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        assert!(verify_sms_signature(b"Jefe", b"what do ya want for nothing?", &tag));
        let mut wrong = tag;
        wrong[0] ^= 1;
        assert!(!verify_sms_signature(b"Jefe", b"what do ya want for nothing?", &wrong));
        assert!(!verify_sms_signature(b"Jefe", b"what do ya want for nothing?", &tag[..19]));
    }
}
