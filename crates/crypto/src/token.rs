//! Opaque session tokens. The client holds 32 random bytes (base64url);
//! the database holds only their SHA-256, so a copy of the database lets
//! nobody sign in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of a token's text form.
pub const TOKEN_CHARS: usize = 43;

/// A new token and the hash to store.
pub fn new_session_token() -> Result<(String, [u8; 32]), crate::CryptoError> {
    let raw = crate::random::array::<32>()?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = crate::sha256(token.as_bytes());
    Ok((token, hash))
}

/// The stored hash of a presented token, or `None` if it is not even shaped
/// like one (so garbage never reaches the database).
pub fn hash_presented_token(token: &str) -> Option<[u8; 32]> {
    let well_formed =
        token.len() == TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| crate::sha256(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let (t, h) = new_session_token().unwrap();
        assert_eq!(t.len(), TOKEN_CHARS);
        assert_eq!(hash_presented_token(&t), Some(h));
        assert_eq!(hash_presented_token("short"), None);
        assert_eq!(hash_presented_token(&format!("{}!", &t[..42])), None);
        assert_ne!(new_session_token().unwrap().0, t);
    }
}
