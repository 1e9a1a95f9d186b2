//! The only crate that touches key material.
//!
//! - [`KeyRing`] holds the master keys (key-encryption keys, KEKs) kept outside the
//!   database in a key file or an environment variable, the data keys they
//!   wrap, and the MAC keys derived for the audit chain and fingerprints.
//! - [`DataKey`] does AES-256-GCM sealing of PHI under a per-record-group data
//!   key, with associated data binding each ciphertext to its place.
//! - [`PasswordHasher`] hashes passwords with argon2id.
//! - [`token`] makes opaque session tokens, stored only as their SHA-256.
//! - [`tls`] makes self-signed certificates for the demo.
//! - [`webpush`] holds the VAPID key and encrypts Web Push messages.
//!
//! Nothing here logs, and no type here prints key bytes in `Debug`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod aead;
mod error;
mod keyring;
mod password;
pub mod random;
pub mod tls;
pub mod token;
pub mod webpush;

pub use aead::{DataKey, aad};
pub use error::CryptoError;
pub use keyring::{AuditMac, KeyRing, KeySource, WrappedKey};
pub use password::PasswordHasher;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
