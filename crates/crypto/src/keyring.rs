//! Master keys, data-key wrapping and derived MAC keys.
//!
//! Key file format (one key per line, `#` comments):
//!
//! ```text
//! kek 1 <base64 of 32 bytes>
//! kek 2 <base64 of 32 bytes>     # the highest id is the active master key
//! mac 1 <base64 of 32 bytes>     # root of the audit-chain and fingerprint keys
//! ```
//!
//! The same text may be given in an environment variable instead of a file
//! (lines separated by newlines or `;`). Rotation (`switchboard keys
//! rotate`) adds a master key to the file, rewraps every data key under it,
//! then retires master keys no data key uses. A running server notices the
//! new file on its own (see [`KeyRing::refresh`]), so rotation needs no
//! restart.

use crate::aead::{DataKey, aad};
use crate::{CryptoError, random};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::{hkdf, hmac, signature};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

/// Where the master keys come from.
#[derive(Clone)]
pub enum KeySource {
    File(PathBuf),
    /// Key-file text from an environment variable.
    Text(String),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "File({})", p.display()),
            KeySource::Text(_) => f.write_str("Text(<secret>)"),
        }
    }
}

/// A data key as stored: encrypted under master key `kek_id`.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub kek_id: u32,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey(kek {})", self.kek_id)
    }
}

struct Keys {
    keks: BTreeMap<u32, DataKey>,
    audit: hmac::Key,
    fingerprint: hmac::Key,
    signed_tokens: hmac::Key,
    search: hmac::Key,
    /// The seed of the Ed25519 key that signs audit checkpoints.
    checkpoint_seed: [u8; 32],
    stamp: Option<(SystemTime, u64)>,
}

/// The master keys and a cache of unwrapped data keys.
pub struct KeyRing {
    source: KeySource,
    keys: RwLock<Keys>,
    data_keys: Mutex<HashMap<[u8; 16], Arc<DataKey>>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").field("source", &self.source).finish_non_exhaustive()
    }
}

const DATA_KEY_CACHE_LIMIT: usize = 200_000;
const HKDF_SALT: &[u8] = b"switchboard key ring v1";

fn encode_line(kind: &str, id: u32, key: &[u8; 32]) -> String {
    format!("{kind} {id} {}\n", STANDARD.encode(key))
}

fn new_key_file_text() -> Result<String, CryptoError> {
    let mut text = String::from(
        "# Switchboard master keys. Keep this file secret, readable only by the service,\n\
         # and backed up apart from the database: without it the data cannot be read.\n",
    );
    text.push_str(&encode_line("kek", 1, &random::array::<32>()?));
    text.push_str(&encode_line("mac", 1, &random::array::<32>()?));
    Ok(text)
}

fn derive(root: &[u8], purpose: &'static [u8]) -> hmac::Key {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(root);
    let info = [purpose];
    match prk.expand(&info, hmac::HMAC_SHA256) {
        Ok(okm) => hmac::Key::from(okm),
        // Unreachable: the output length (32) is far below HKDF's limit.
        Err(_) => hmac::Key::new(hmac::HMAC_SHA256, root),
    }
}

/// 32 bytes for a signing key's seed, from a derived key.
fn seed(key: &hmac::Key) -> [u8; 32] {
    let tag = hmac::sign(key, b"ed25519 seed");
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

fn parse_keys(text: &str) -> Result<Keys, CryptoError> {
    let mut keks = BTreeMap::new();
    let mut mac = None;
    for (n, raw) in text.split(['\n', ';']).enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason| CryptoError::KeyFileFormat { line: n + 1, reason };
        let mut parts = line.split_whitespace();
        let (Some(kind), Some(id), Some(b64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected `<kek|mac> <id> <base64 key>`"));
        };
        let id: u32 = id.parse().map_err(|_| bad("key id must be a positive number"))?;
        let bytes = STANDARD.decode(b64).map_err(|_| bad("key is not valid base64"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| bad("key must be 32 bytes"))?;
        match kind {
            "kek" => {
                if keks.insert(id, DataKey::from_bytes(&key)?).is_some() {
                    return Err(bad("duplicate master key id"));
                }
            }
            "mac" => {
                if mac.replace(key).is_some() {
                    return Err(bad("only one mac key is allowed"));
                }
            }
            _ => return Err(bad("unknown key kind")),
        }
    }
    let mac = mac.ok_or(CryptoError::KeyFileFormat { line: 0, reason: "no mac key" })?;
    if keks.is_empty() {
        return Err(CryptoError::KeyFileFormat { line: 0, reason: "no master (kek) key" });
    }
    Ok(Keys {
        keks,
        audit: derive(&mac, b"audit-chain"),
        fingerprint: derive(&mac, b"fingerprint"),
        signed_tokens: derive(&mac, b"signed-tokens"),
        search: derive(&mac, b"search-index"),
        checkpoint_seed: seed(&derive(&mac, b"audit-checkpoint")),
        stamp: None,
    })
}

fn file_stamp(path: &Path) -> Result<(SystemTime, u64), CryptoError> {
    let meta = fs::metadata(path)?;
    Ok((meta.modified()?, meta.len()))
}

fn read_key_file(path: &Path) -> Result<Keys, CryptoError> {
    let meta = fs::metadata(path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(CryptoError::InsecurePermissions(path.display().to_string()));
    }
    let text = fs::read_to_string(path)?;
    let mut keys = parse_keys(&text)?;
    keys.stamp = Some(file_stamp(path)?);
    Ok(keys)
}

/// Writes `text` to `path` atomically with mode 0600.
fn write_key_file(path: &Path, text: &str) -> Result<(), CryptoError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn dek_aad(dek_id: &[u8; 16]) -> Vec<u8> {
    aad(&[b"switchboard.data-key.v1", dek_id])
}

impl KeyRing {
    /// Opens the key file at `path`, creating it (mode 0600) with fresh keys
    /// if it does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self, CryptoError> {
        if !path.exists() {
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                // Only the service's user may list a directory that holds keys.
                fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            }
            let text = new_key_file_text()?;
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        Self::open(KeySource::File(path.to_path_buf()))
    }

    pub fn open(source: KeySource) -> Result<Self, CryptoError> {
        let keys = match &source {
            KeySource::File(path) => read_key_file(path)?,
            KeySource::Text(text) => parse_keys(text)?,
        };
        Ok(KeyRing { source, keys: RwLock::new(keys), data_keys: Mutex::new(HashMap::new()) })
    }

    /// Fresh key-file text, for operators who keep keys in the environment.
    pub fn generate_text() -> Result<String, CryptoError> {
        new_key_file_text()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Re-reads the key file if it changed on disk (after a rotation by
    /// another process). Cheap: one `stat` when nothing changed.
    pub fn refresh(&self) -> Result<(), CryptoError> {
        let KeySource::File(path) = &self.source else {
            return Ok(());
        };
        let stamp = file_stamp(path)?;
        if self.read().stamp == Some(stamp) {
            return Ok(());
        }
        let fresh = read_key_file(path)?;
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    pub fn active_master_key_id(&self) -> u32 {
        self.read().keks.keys().next_back().copied().unwrap_or(0)
    }

    pub fn master_key_ids(&self) -> Vec<u32> {
        self.read().keks.keys().copied().collect()
    }

    fn wrap(&self, dek_id: &[u8; 16], raw: &[u8; 32]) -> Result<WrappedKey, CryptoError> {
        let keys = self.read();
        let (kek_id, kek) = keys.keks.iter().next_back().ok_or(CryptoError::UnknownMasterKey(0))?;
        Ok(WrappedKey { kek_id: *kek_id, bytes: kek.seal(&dek_aad(dek_id), raw)? })
    }

    fn unwrap_raw(&self, dek_id: &[u8; 16], wrapped: &WrappedKey) -> Result<[u8; 32], CryptoError> {
        if !self.read().keks.contains_key(&wrapped.kek_id) {
            // Perhaps rotated by another process since we loaded the file.
            self.refresh()?;
        }
        let keys = self.read();
        let kek = keys.keks.get(&wrapped.kek_id).ok_or(CryptoError::UnknownMasterKey(wrapped.kek_id))?;
        let mut raw = kek.open(&dek_aad(dek_id), &wrapped.bytes)?;
        let out: Result<[u8; 32], _> = raw.as_slice().try_into();
        zeroize::Zeroize::zeroize(&mut raw);
        out.map_err(|_| CryptoError::Integrity)
    }

    /// A new data key for the record group `dek_id`, and its wrapped form to
    /// store.
    pub fn new_data_key(&self, dek_id: [u8; 16]) -> Result<(Arc<DataKey>, WrappedKey), CryptoError> {
        self.refresh()?;
        let mut raw = random::array::<32>()?;
        let wrapped = self.wrap(&dek_id, &raw);
        let key = DataKey::from_bytes(&raw);
        zeroize::Zeroize::zeroize(&mut raw);
        let key = Arc::new(key?);
        self.cache(dek_id, key.clone());
        Ok((key, wrapped?))
    }

    /// The data key `dek_id`, unwrapped from `wrapped` unless cached.
    pub fn data_key(&self, dek_id: [u8; 16], wrapped: &WrappedKey) -> Result<Arc<DataKey>, CryptoError> {
        if let Some(k) = self.cached(&dek_id) {
            return Ok(k);
        }
        let mut raw = self.unwrap_raw(&dek_id, wrapped)?;
        let key = DataKey::from_bytes(&raw);
        zeroize::Zeroize::zeroize(&mut raw);
        let key = Arc::new(key?);
        self.cache(dek_id, key.clone());
        Ok(key)
    }

    /// Whether `wrapped` opens under the master keys, always unwrapping
    /// (never answered from the cache), so a start-up or readiness check
    /// proves the keys on hand are the ones the data was written with.
    pub fn check_unwrap(&self, dek_id: [u8; 16], wrapped: &WrappedKey) -> Result<(), CryptoError> {
        // A key file replaced under a running node must be judged, not the
        // keys read at start.
        self.refresh()?;
        let mut raw = self.unwrap_raw(&dek_id, wrapped)?;
        zeroize::Zeroize::zeroize(&mut raw);
        Ok(())
    }

    /// Where the master keys come from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// `wrapped` re-encrypted under the active master key, or `None` if it
    /// already is.
    pub fn rewrap(&self, dek_id: [u8; 16], wrapped: &WrappedKey) -> Result<Option<WrappedKey>, CryptoError> {
        if wrapped.kek_id == self.active_master_key_id() {
            return Ok(None);
        }
        let mut raw = self.unwrap_raw(&dek_id, wrapped)?;
        let out = self.wrap(&dek_id, &raw);
        zeroize::Zeroize::zeroize(&mut raw);
        out.map(Some)
    }

    fn cached(&self, dek_id: &[u8; 16]) -> Option<Arc<DataKey>> {
        self.data_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(dek_id).cloned()
    }

    fn cache(&self, dek_id: [u8; 16], key: Arc<DataKey>) {
        let mut cache = self.data_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= DATA_KEY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(dek_id, key);
    }

    fn file_path(&self) -> Result<&Path, CryptoError> {
        match &self.source {
            KeySource::File(p) => Ok(p),
            KeySource::Text(_) => Err(CryptoError::RotationNeedsFile),
        }
    }

    /// Adds a new master key to the key file and makes it the active one.
    /// Returns its id.
    pub fn add_master_key(&self) -> Result<u32, CryptoError> {
        let path = self.file_path()?;
        self.refresh()?;
        let id = self.active_master_key_id().saturating_add(1);
        let mut text = fs::read_to_string(path)?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&encode_line("kek", id, &random::array::<32>()?));
        write_key_file(path, &text)?;
        self.refresh()?;
        Ok(id)
    }

    /// Removes from the key file every master key that is neither active nor
    /// in `in_use`. Returns the ids removed.
    pub fn retire_master_keys(&self, in_use: &[u32]) -> Result<Vec<u32>, CryptoError> {
        let path = self.file_path()?;
        self.refresh()?;
        let active = self.active_master_key_id();
        let text = fs::read_to_string(path)?;
        let mut removed = Vec::new();
        let mut kept = String::with_capacity(text.len());
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if let (Some("kek"), Some(id)) = (parts.next(), parts.next().and_then(|s| s.parse::<u32>().ok()))
                && id != active
                && !in_use.contains(&id)
            {
                removed.push(id);
                continue;
            }
            kept.push_str(line);
            kept.push('\n');
        }
        if !removed.is_empty() {
            write_key_file(path, &kept)?;
            self.refresh()?;
        }
        Ok(removed)
    }

    /// The MAC that chains audit records.
    pub fn audit_mac(&self) -> AuditMac {
        AuditMac { key: self.read().audit.clone() }
    }

    /// A keyed fingerprint of `data` (for example of a request, to recognise
    /// a retry) that reveals nothing about `data` without the key.
    pub fn fingerprint(&self, domain: &str, data: &[&[u8]]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.read().fingerprint);
        ctx.update(&aad(&[domain.as_bytes()]));
        ctx.update(&aad(data));
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

impl KeyRing {
    /// The blind index's entry for one search term of one practice: an
    /// HMAC-SHA256, cut to 16 bytes, over the practice, the term's kind
    /// (word or prefix) and its text, under a key derived from the MAC key
    /// for search alone. The same term gives the same entry within a
    /// practice (that is what makes it searchable) and unrelated entries
    /// across practices; without the key nobody can compute one, so the
    /// database holding only entries cannot be searched or tested for a
    /// guessed word. Master-key rotation leaves it unchanged (the MAC key
    /// is not rotated with the data keys' master keys).
    pub fn search_term(&self, practice: &[u8; 16], kind: &str, text: &str) -> [u8; 16] {
        let tag = hmac::sign(&self.read().search, &aad(&[practice.as_slice(), kind.as_bytes(), text.as_bytes()]));
        let mut out = [0u8; 16];
        for (o, t) in out.iter_mut().zip(tag.as_ref()) {
            *o = *t;
        }
        out
    }
}

impl KeyRing {
    fn checkpoint_key(&self) -> Result<signature::Ed25519KeyPair, CryptoError> {
        signature::Ed25519KeyPair::from_seed_unchecked(&self.read().checkpoint_seed)
            .map_err(|_| CryptoError::CheckpointKey)
    }

    /// Signs an audit checkpoint (Ed25519, under a key derived from the MAC
    /// key for this use alone): anyone with the public key can check it.
    pub fn sign_checkpoint(&self, message: &[u8]) -> Result<[u8; 64], CryptoError> {
        let sig = self.checkpoint_key()?.sign(message);
        sig.as_ref().try_into().map_err(|_| CryptoError::CheckpointKey)
    }

    /// The public key that checks this deployment's audit checkpoints.
    pub fn checkpoint_public_key(&self) -> Result<[u8; 32], CryptoError> {
        use signature::KeyPair as _;
        self.checkpoint_key()?.public_key().as_ref().try_into().map_err(|_| CryptoError::CheckpointKey)
    }
}

/// Whether `sig` is an Ed25519 signature of `message` by `public_key`.
pub fn verify_checkpoint(public_key: &[u8; 32], message: &[u8], sig: &[u8]) -> bool {
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key).verify(message, sig).is_ok()
}

/// The longest payload a signed token carries.
pub const SIGNED_TOKEN_MAX_PAYLOAD: usize = 64;

impl KeyRing {
    /// A token that carries `payload` (an id, never PHI: it is readable)
    /// and proves that this deployment made it for `purpose`: base64url of
    /// the payload and an HMAC-SHA256 over the purpose and the payload,
    /// under a key derived for signed tokens alone. Nobody without the key
    /// can make one, or turn one made for another purpose into this one.
    /// `None` for a payload over [`SIGNED_TOKEN_MAX_PAYLOAD`] bytes.
    pub fn sign_token(&self, purpose: &str, payload: &[u8]) -> Option<String> {
        if payload.len() > SIGNED_TOKEN_MAX_PAYLOAD {
            return None;
        }
        let tag = hmac::sign(&self.read().signed_tokens, &aad(&[purpose.as_bytes(), payload]));
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(tag.as_ref());
        Some(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The payload of a token [`Self::sign_token`] made for `purpose`, or
    /// `None` for anything else (checked in constant time).
    pub fn open_token(&self, purpose: &str, token: &str) -> Option<Vec<u8>> {
        if token.len() > (SIGNED_TOKEN_MAX_PAYLOAD + TAG_LEN) * 4 / 3 + 4 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let split = bytes.len().checked_sub(TAG_LEN)?;
        let (payload, tag) = bytes.split_at(split);
        hmac::verify(&self.read().signed_tokens, &aad(&[purpose.as_bytes(), payload]), tag).ok()?;
        Some(payload.to_vec())
    }
}

/// HMAC-SHA256's tag length.
const TAG_LEN: usize = 32;

/// HMAC-SHA256 chaining of audit records: `mac_n = HMAC(k, mac_{n-1} ‖
/// record_n)`. Without the key, nobody can alter, remove or reorder a record
/// and recompute a chain that verifies.
#[derive(Clone)]
pub struct AuditMac {
    key: hmac::Key,
}

impl fmt::Debug for AuditMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditMac(<secret>)")
    }
}

impl AuditMac {
    /// The value before the first record.
    pub const GENESIS: [u8; 32] = [0u8; 32];

    pub fn chain(&self, previous: &[u8; 32], canonical_record: &[u8]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(previous);
        ctx.update(canonical_record);
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_wrap_unwrap_rotate_retire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        let ring = KeyRing::open_or_create(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(ring.active_master_key_id(), 1);

        let id = [9u8; 16];
        let (key, wrapped) = ring.new_data_key(id).unwrap();
        let sealed = key.seal(b"aad", b"secret").unwrap();
        assert_eq!(wrapped.kek_id, 1);

        // A second process (the rotate command) adds a key; this one notices.
        let other = KeyRing::open(KeySource::File(path.clone())).unwrap();
        assert_eq!(other.add_master_key().unwrap(), 2);
        let rewrapped = other.rewrap(id, &wrapped).unwrap().unwrap();
        assert_eq!(rewrapped.kek_id, 2);
        assert_ne!(rewrapped.bytes, wrapped.bytes);
        assert_eq!(other.retire_master_keys(&[]).unwrap(), vec![1]);

        // The first ring, with a cold cache, reads the rewrapped key.
        let fresh = KeyRing::open(KeySource::File(path.clone())).unwrap();
        let k2 = fresh.data_key(id, &rewrapped).unwrap();
        assert_eq!(k2.open(b"aad", &sealed).unwrap(), b"secret");
        // The old wrapping no longer opens: its master key is gone.
        assert!(matches!(fresh.data_key([8; 16], &wrapped), Err(CryptoError::UnknownMasterKey(1))));
        // The running ring picks the new active key up for new data keys.
        let (_, w3) = ring.new_data_key([7; 16]).unwrap();
        assert_eq!(w3.kek_id, 2);
    }

    #[test]
    fn signed_tokens_carry_their_payload_and_only_for_their_purpose() {
        let text = KeyRing::generate_text().unwrap();
        let ring = KeyRing::open(KeySource::Text(text.clone())).unwrap();
        let token = ring.sign_token("unsubscribe", &[9; 16]).unwrap();
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        assert_eq!(ring.open_token("unsubscribe", &token), Some(vec![9; 16]));
        // The same keys (another node) open it; another purpose, other keys,
        // a changed payload or tag, and garbage do not.
        assert_eq!(KeyRing::open(KeySource::Text(text)).unwrap().open_token("unsubscribe", &token), Some(vec![9; 16]));
        assert_eq!(ring.open_token("reset", &token), None);
        let other = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        assert_eq!(other.open_token("unsubscribe", &token), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[0] ^= 1;
        assert_eq!(ring.open_token("unsubscribe", &URL_SAFE_NO_PAD.encode(&bytes)), None);
        bytes[0] ^= 1;
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(ring.open_token("unsubscribe", &URL_SAFE_NO_PAD.encode(&bytes)), None);
        for junk in ["", "AAAA", "not a token!", &"A".repeat(500)] {
            assert_eq!(ring.open_token("unsubscribe", junk), None, "{junk}");
        }
        assert!(ring.sign_token("unsubscribe", &[0; 65]).is_none());
        // The payload is readable: it must never be anything secret.
        assert_ne!(ring.sign_token("unsubscribe", &[1; 16]), ring.sign_token("unsubscribe", &[2; 16]));
    }

    #[test]
    fn checkpoints_are_signed_by_a_key_of_the_key_file() {
        let text = KeyRing::generate_text().unwrap();
        let ring = KeyRing::open(KeySource::Text(text.clone())).unwrap();
        let public = ring.checkpoint_public_key().unwrap();
        let sig = ring.sign_checkpoint(b"seq=12").unwrap();
        assert!(verify_checkpoint(&public, b"seq=12", &sig));
        assert!(!verify_checkpoint(&public, b"seq=13", &sig), "another message");
        let mut bent = sig;
        bent[0] ^= 1;
        assert!(!verify_checkpoint(&public, b"seq=12", &bent));
        // The same key file gives the same key; another gives another.
        assert_eq!(KeyRing::open(KeySource::Text(text)).unwrap().checkpoint_public_key().unwrap(), public);
        let other = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        assert!(!verify_checkpoint(&other.checkpoint_public_key().unwrap(), b"seq=12", &sig));
    }

    #[test]
    fn search_terms_are_keyed_per_practice_and_kind() {
        let text = KeyRing::generate_text().unwrap();
        let ring = KeyRing::open(KeySource::Text(text.clone())).unwrap();
        let a = ring.search_term(&[1; 16], "word", "refill");
        assert_eq!(a, KeyRing::open(KeySource::Text(text)).unwrap().search_term(&[1; 16], "word", "refill"));
        assert_ne!(a, ring.search_term(&[2; 16], "word", "refill"), "another practice");
        assert_ne!(a, ring.search_term(&[1; 16], "prefix", "refill"), "another kind");
        assert_ne!(a, ring.search_term(&[1; 16], "word", "refills"));
        // The kind and the text are framed apart: no ambiguity at their seam.
        assert_ne!(ring.search_term(&[1; 16], "word", "xy"), ring.search_term(&[1; 16], "wordx", "y"));
        let other = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        assert_ne!(a, other.search_term(&[1; 16], "word", "refill"), "another deployment's keys");
        // A new master key for data keys leaves the index as it is.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        let ring = KeyRing::open_or_create(&path).unwrap();
        let before = ring.search_term(&[1; 16], "word", "refill");
        ring.add_master_key().unwrap();
        assert_eq!(KeyRing::open(KeySource::File(path)).unwrap().search_term(&[1; 16], "word", "refill"), before);
    }

    #[test]
    fn wrapped_keys_are_bound_to_their_id() {
        let text = KeyRing::generate_text().unwrap();
        let ring = KeyRing::open(KeySource::Text(text.clone())).unwrap();
        let (_, wrapped) = ring.new_data_key([1; 16]).unwrap();
        assert!(ring.rewrap([1; 16], &wrapped).unwrap().is_none());
        // Same master keys, cold cache: the right id opens, another id does not.
        let cold = KeyRing::open(KeySource::Text(text)).unwrap();
        assert!(cold.data_key([2; 16], &wrapped).is_err());
        assert!(cold.data_key([1; 16], &wrapped).is_ok());
        // Other master keys: nothing opens.
        let other = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        assert!(other.data_key([1; 16], &wrapped).is_err());
        assert!(matches!(other.check_unwrap([1; 16], &wrapped), Err(CryptoError::Integrity)));
        // The check never trusts the cache.
        assert!(ring.check_unwrap([1; 16], &wrapped).is_ok());
        assert!(ring.check_unwrap([2; 16], &wrapped).is_err());
        assert!(KeyRing::open(KeySource::Text(String::new())).is_err());
    }

    #[test]
    fn refuses_world_readable_key_files_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        fs::write(&path, KeyRing::generate_text().unwrap()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(KeyRing::open(KeySource::File(path)), Err(CryptoError::InsecurePermissions(_))));
        for bad in
            ["kek 1 abc", "kek x AAAA", "mac 1 AAAA", "foo 1 2 3", "kek 1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
        {
            assert!(KeyRing::open(KeySource::Text(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn audit_chain_depends_on_everything() {
        let ring = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        let mac = ring.audit_mac();
        let a = mac.chain(&AuditMac::GENESIS, b"one");
        assert_ne!(a, mac.chain(&AuditMac::GENESIS, b"two"));
        assert_ne!(a, mac.chain(&[1; 32], b"one"));
        let other = KeyRing::open(KeySource::Text(KeyRing::generate_text().unwrap())).unwrap();
        assert_ne!(a, other.audit_mac().chain(&AuditMac::GENESIS, b"one"));
        assert_eq!(ring.fingerprint("d", &[b"x"]), ring.fingerprint("d", &[b"x"]));
        assert_ne!(ring.fingerprint("d", &[b"x"]), ring.fingerprint("e", &[b"x"]));
    }
}
