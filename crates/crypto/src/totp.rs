//! Time-based one-time codes (RFC 6238 over RFC 4226's HOTP), with HMAC-SHA1
//! as every authenticator app computes them. The time steps, the window and
//! the replay rule are the domain's (`switchboard_domain::mfa`); here is the
//! secret and the arithmetic.

use crate::CryptoError;
use ring::hmac;
use zeroize::Zeroizing;

/// Bytes of a new secret: 160 bits, the length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. Its bytes never appear in `Debug`.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        crate::random::fill(&mut bytes)?;
        Ok(TotpSecret(bytes))
    }

    /// A secret read back from storage (after it is unsealed).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        TotpSecret(Zeroizing::new(bytes.to_vec()))
    }

    /// The bytes, to be sealed before they are stored.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what a person types into an
    /// authenticator app, and what the `otpauth://` URI carries.
    pub fn base32(&self) -> String {
        base32(&self.0)
    }

    /// The code for time step `counter`, with `digits` digits (RFC 4226
    /// dynamic truncation).
    pub fn code(&self, counter: u64, digits: u32) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &counter.to_be_bytes());
        let mac = tag.as_ref();
        let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
        let word = mac.get(offset..offset + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map_or(0, u32::from_be_bytes);
        (word & 0x7fff_ffff) % 10u32.pow(digits)
    }

    /// Which of `steps` the code belongs to, if any. Every step is computed
    /// and compared in constant time, so the answer's timing does not tell
    /// which step (or how many digits) matched.
    pub fn matching_step(&self, code: u32, digits: u32, steps: impl IntoIterator<Item = u64>) -> Option<u64> {
        let mut found = None;
        for step in steps {
            let expected = self.code(step, digits);
            let same = constant_time_eq(&expected.to_be_bytes(), &code.to_be_bytes());
            if same && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = ((buffer >> bits) & 31) as usize;
            out.extend(BASE32.get(index).map(|c| char::from(*c)));
        }
    }
    if bits > 0 {
        let index = ((buffer << (5 - bits)) & 31) as usize;
        out.extend(BASE32.get(index).map(|c| char::from(*c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the secret is the ASCII of
    /// "12345678901234567890", eight digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let rows: [(u64, u32); 6] = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        for (time, code) in rows {
            assert_eq!(secret.code(time / 30, 8), code, "at {time}");
            assert_eq!(secret.code(time / 30, 6), code % 1_000_000, "six digits at {time}");
        }
    }

    /// RFC 4226 appendix D: HOTP values for counters 0..9.
    #[test]
    fn rfc_4226_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(secret.code(counter as u64, 6), *code);
        }
    }

    #[test]
    fn matching_finds_the_step_or_nothing() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        assert_eq!(secret.matching_step(287_082, 6, [0, 1, 2]), Some(1));
        assert_eq!(secret.matching_step(287_082, 6, [2, 3, 4]), None);
    }

    #[test]
    fn base32_is_rfc_4648() {
        // RFC 4648 section 10, without padding.
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let s = TotpSecret::generate().unwrap();
        assert_eq!(s.base32().len(), 32);
        assert_eq!(format!("{s:?}"), "TotpSecret(<redacted>)");
    }
}
