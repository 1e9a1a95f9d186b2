//! Files sealed in chunks (AES-256-GCM), so that a file of any size is
//! encrypted and decrypted with flat memory.
//!
//! Sealed form: `"SBF1" ‖ nonce prefix (7) ‖ chunk*`. Every chunk but the
//! last holds exactly [`CHUNK`] bytes of plaintext; the last holds fewer
//! (possibly none), so a reader knows the end when a read comes up short.
//! Each chunk is `ciphertext ‖ tag (16)` under the nonce
//! `prefix ‖ index (4, big-endian) ‖ last (1)` (the STREAM construction of
//! Hoang, Reyhanitabar, Rogaway and Vizár): chunks cannot be reordered,
//! dropped, repeated or cut off after a chunk boundary without the open
//! failing. The prefix is random per file, and a data key seals one file.

use crate::{CryptoError, DataKey};
use ring::aead::{Aad, NONCE_LEN, Nonce};
use std::sync::Arc;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// The tag each chunk adds.
pub const CHUNK_OVERHEAD: usize = 16;
/// A sealed chunk's size on disk when full.
pub const SEALED_CHUNK: usize = CHUNK + CHUNK_OVERHEAD;
const MAGIC: &[u8; 4] = b"SBF1";
const PREFIX_LEN: usize = 7;
/// The header every sealed file starts with.
pub const HEADER_LEN: usize = MAGIC.len() + PREFIX_LEN;

fn nonce(prefix: &[u8; PREFIX_LEN], index: u32, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    let (p, rest) = n.split_at_mut(PREFIX_LEN);
    p.copy_from_slice(prefix);
    let (i, flag) = rest.split_at_mut(4);
    i.copy_from_slice(&index.to_be_bytes());
    if let Some(f) = flag.first_mut() {
        *f = u8::from(last);
    }
    Nonce::assume_unique_for_key(n)
}

/// Seals one file, chunk by chunk.
pub struct FileSealer {
    key: Arc<DataKey>,
    aad: Vec<u8>,
    prefix: [u8; PREFIX_LEN],
    index: u32,
}

impl FileSealer {
    /// A sealer for one file and its header, bound to `aad` (see
    /// [`crate::aad`]).
    pub fn new(key: Arc<DataKey>, aad: Vec<u8>) -> Result<(FileSealer, Vec<u8>), CryptoError> {
        let prefix = crate::random::array::<PREFIX_LEN>()?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&prefix);
        Ok((FileSealer { key, aad, prefix, index: 0 }, header))
    }

    fn seal(&mut self, plain: &[u8], last: bool) -> Result<Vec<u8>, CryptoError> {
        let mut body = Vec::with_capacity(plain.len() + CHUNK_OVERHEAD);
        body.extend_from_slice(plain);
        self.key.seal_with(nonce(&self.prefix, self.index, last), Aad::from(&self.aad[..]), &mut body)?;
        self.index = self.index.checked_add(1).ok_or(CryptoError::Integrity)?;
        Ok(body)
    }

    /// Seals a full chunk (exactly [`CHUNK`] bytes).
    pub fn chunk(&mut self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if plain.len() != CHUNK {
            return Err(CryptoError::Integrity);
        }
        self.seal(plain, false)
    }

    /// Seals the last chunk (fewer than [`CHUNK`] bytes, possibly none).
    pub fn last(mut self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if plain.len() >= CHUNK {
            return Err(CryptoError::Integrity);
        }
        self.seal(plain, true)
    }
}

/// Opens one sealed file, chunk by chunk, in order.
pub struct FileOpener {
    key: Arc<DataKey>,
    aad: Vec<u8>,
    prefix: [u8; PREFIX_LEN],
    index: u32,
    done: bool,
}

impl FileOpener {
    /// Reads the header ([`HEADER_LEN`] bytes).
    pub fn new(key: Arc<DataKey>, aad: Vec<u8>, header: &[u8]) -> Result<FileOpener, CryptoError> {
        let (magic, prefix) = header.split_at_checked(MAGIC.len()).ok_or(CryptoError::Integrity)?;
        if magic != MAGIC {
            return Err(CryptoError::Integrity);
        }
        let prefix: [u8; PREFIX_LEN] = prefix.try_into().map_err(|_| CryptoError::Integrity)?;
        Ok(FileOpener { key, aad, prefix, index: 0, done: false })
    }

    /// Opens the next sealed chunk. A full [`SEALED_CHUNK`] is a middle
    /// chunk; anything shorter is the last, after which nothing more opens.
    pub fn open(&mut self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if self.done || sealed.len() > SEALED_CHUNK || sealed.len() < CHUNK_OVERHEAD {
            return Err(CryptoError::Integrity);
        }
        let last = sealed.len() < SEALED_CHUNK;
        let mut body = sealed.to_vec();
        let n = self.key.open_with(nonce(&self.prefix, self.index, last), Aad::from(&self.aad[..]), &mut body)?;
        body.truncate(n);
        self.index = self.index.checked_add(1).ok_or(CryptoError::Integrity)?;
        self.done = last;
        Ok(body)
    }

    /// Whether the last chunk has been opened: a file that ends before it
    /// was cut short.
    pub fn finished(&self) -> bool {
        self.done
    }
}

/// The sealed size of a file of `plain` bytes.
pub fn sealed_len(plain: u64) -> u64 {
    let chunks = plain / CHUNK as u64 + 1;
    HEADER_LEN as u64 + plain + chunks * CHUNK_OVERHEAD as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u8) -> Arc<DataKey> {
        Arc::new(DataKey::from_bytes(&[n; 32]).unwrap())
    }

    fn seal_all(k: &Arc<DataKey>, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let (mut s, mut out) = FileSealer::new(k.clone(), aad.to_vec()).unwrap();
        let mut rest = plain;
        while rest.len() >= CHUNK {
            let (c, r) = rest.split_at(CHUNK);
            out.extend(s.chunk(c).unwrap());
            rest = r;
        }
        out.extend(s.last(rest).unwrap());
        out
    }

    fn open_all(k: &Arc<DataKey>, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (header, mut rest) = sealed.split_at_checked(HEADER_LEN).ok_or(CryptoError::Integrity)?;
        let mut o = FileOpener::new(k.clone(), aad.to_vec(), header)?;
        let mut out = Vec::new();
        while !o.finished() {
            let (c, r) = rest.split_at(rest.len().min(SEALED_CHUNK));
            out.extend(o.open(c)?);
            rest = r;
        }
        if !rest.is_empty() {
            return Err(CryptoError::Integrity);
        }
        Ok(out)
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        let k = key(1);
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal_all(&k, b"a", &plain);
            assert_eq!(sealed.len() as u64, sealed_len(len as u64), "{len}");
            assert_eq!(open_all(&k, b"a", &sealed).unwrap(), plain, "{len}");
        }
    }

    #[test]
    fn a_file_cut_at_a_chunk_boundary_or_reordered_fails() {
        let k = key(2);
        let plain = vec![7u8; 2 * CHUNK + 10];
        let sealed = seal_all(&k, b"a", &plain);
        // Dropping the last chunk leaves full chunks only: the reader then
        // opens the second full chunk as if it were last, which fails.
        let cut = &sealed[..HEADER_LEN + 2 * SEALED_CHUNK];
        assert!(open_all(&k, b"a", cut).is_err());
        let mut swapped = sealed[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&sealed[HEADER_LEN + SEALED_CHUNK..HEADER_LEN + 2 * SEALED_CHUNK]);
        swapped.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + SEALED_CHUNK]);
        swapped.extend_from_slice(&sealed[HEADER_LEN + 2 * SEALED_CHUNK..]);
        assert!(open_all(&k, b"a", &swapped).is_err());
        assert!(open_all(&k, b"b", &sealed).is_err(), "another place");
        assert!(open_all(&key(3), b"a", &sealed).is_err(), "another key");
        let mut extra = sealed.clone();
        extra.extend_from_slice(&[0u8; 20]);
        assert!(open_all(&k, b"a", &extra).is_err(), "bytes after the end");
    }

    proptest! {
        #[test]
        fn any_flipped_bit_is_detected(len in 0usize..(CHUNK + 50), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let k = key(4);
            let plain = vec![3u8; len];
            let mut sealed = seal_all(&k, b"x", &plain);
            let i = pos.index(sealed.len());
            sealed[i] ^= 1 << bit;
            prop_assert!(open_all(&k, b"x", &sealed).is_err());
        }
    }
}
