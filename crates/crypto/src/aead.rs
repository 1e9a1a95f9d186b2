//! AES-256-GCM sealing under data keys.
//!
//! Sealed form: `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. Nonces
//! are random; a data key covers one conversation or one patient record, so
//! it seals far fewer than the 2^32 messages after which random 96-bit nonces
//! would become a concern.

use crate::CryptoError;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fmt;

const SEALED_VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// An unwrapped data key. Only obtainable from the [`crate::KeyRing`].
pub struct DataKey {
    key: LessSafeKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

impl DataKey {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| CryptoError::Integrity)?;
        Ok(DataKey { key: LessSafeKey::new(unbound) })
    }

    /// Encrypts `plaintext`, binding it to `aad` (see [`aad`]).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes = crate::random::array::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(SEALED_VERSION);
        out.extend_from_slice(&nonce_bytes);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(aad), &mut body)
            .map_err(|_| CryptoError::Integrity)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same `aad`. Any
    /// change to the bytes, the key or the associated data fails.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (version, rest) = sealed.split_first().ok_or(CryptoError::Integrity)?;
        if *version != SEALED_VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Integrity);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Integrity)?;
        let mut body = body.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| CryptoError::Integrity)?;
        let n = plain.len();
        body.truncate(n);
        Ok(body)
    }

    /// Seals `body` in place under a nonce the caller constructs (the
    /// chunked file format's, which is unique per chunk by construction).
    pub(crate) fn seal_with(&self, nonce: Nonce, aad: Aad<&[u8]>, body: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.key.seal_in_place_append_tag(nonce, aad, body).map_err(|_| CryptoError::Integrity)
    }

    /// Opens `body` in place; returns the plaintext's length.
    pub(crate) fn open_with(&self, nonce: Nonce, aad: Aad<&[u8]>, body: &mut [u8]) -> Result<usize, CryptoError> {
        self.key.open_in_place(nonce, aad, body).map(|p| p.len()).map_err(|_| CryptoError::Integrity)
    }

    /// Convenience for UTF-8 text.
    pub fn open_string(&self, aad: &[u8], sealed: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(aad, sealed)?).map_err(|_| CryptoError::Integrity)
    }
}

/// Associated data naming where a ciphertext lives (`"messages.body"` and
/// the row id, say), so that a ciphertext moved to another row or column no
/// longer decrypts. Parts are length-prefixed so the encoding is
/// unambiguous.
pub fn aad(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for p in parts {
        out.extend_from_slice(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u8) -> DataKey {
        DataKey::from_bytes(&[n; 32]).unwrap()
    }

    proptest! {
        #[test]
        fn round_trip(plain in proptest::collection::vec(any::<u8>(), 0..300), a in proptest::collection::vec(any::<u8>(), 0..40)) {
            let k = key(1);
            let sealed = k.seal(&a, &plain).unwrap();
            prop_assert_eq!(k.open(&a, &sealed).unwrap(), plain);
        }

        #[test]
        fn any_flipped_bit_is_detected(plain in proptest::collection::vec(any::<u8>(), 1..100), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let k = key(2);
            let mut sealed = k.seal(b"x", &plain).unwrap();
            let i = pos.index(sealed.len());
            sealed[i] ^= 1 << bit;
            prop_assert!(k.open(b"x", &sealed).is_err());
        }
    }

    #[test]
    fn wrong_key_or_place_fails() {
        let sealed = key(1).seal(&aad(&[b"messages.body", b"row-1"]), b"take with food?").unwrap();
        assert!(key(2).open(&aad(&[b"messages.body", b"row-1"]), &sealed).is_err());
        assert!(key(1).open(&aad(&[b"messages.body", b"row-2"]), &sealed).is_err());
        assert!(key(1).open(&aad(&[b"messages.bod", b"yrow-1"]), &sealed).is_err());
        assert!(key(1).open(b"", &[]).is_err());
    }

    #[test]
    fn nonces_differ() {
        let k = key(3);
        assert_ne!(k.seal(b"", b"same").unwrap(), k.seal(b"", b"same").unwrap());
    }
}
