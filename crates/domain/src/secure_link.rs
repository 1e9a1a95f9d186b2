//! Secure links: a conversation reached by a patient who has no account
//! (or does not sign in), through a single-use, expiring link and an
//! identity check (date of birth, then a one-time code sent to the address
//! on file). What a link allows once opened is the policy's
//! (`policy::Actor::LinkPatient`); here are its lifetimes, its limits and
//! where it stands.

use crate::time::{Span, Timestamp};

/// How long a secure link may be opened after it is sent.
pub const LINK_LIFETIME: Span = Span::from_hours(72);
/// How long a one-time code works after it is sent.
pub const CODE_LIFETIME: Span = Span::from_mins(10);
/// Wrong dates of birth before the link is revoked.
pub const BIRTH_DATE_TRIES: u32 = 5;
/// Wrong codes before the link is revoked.
pub const CODE_TRIES: u32 = 5;
/// Codes one link may send (each right date of birth sends a new one).
pub const CODES_PER_LINK: u32 = 3;
/// Digits in a one-time code.
pub const CODE_DIGITS: usize = 6;

/// What the rules need to know of a secure link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecureLinkFacts {
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// When the latest code was sent, and how many have been.
    pub code_sent_at: Option<Timestamp>,
    pub codes_sent: u32,
}

/// Why a secure link cannot be used (recorded, never told apart to the
/// holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Used,
    Expired,
    Revoked,
}

impl Refusal {
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::Used => "used",
            Refusal::Expired => "expired",
            Refusal::Revoked => "revoked",
        }
    }
}

/// Whether the link may still be opened: not used (a code was accepted),
/// not revoked, not past its lifetime.
pub fn usable(link: &SecureLinkFacts, now: Timestamp) -> Result<(), Refusal> {
    if link.used_at.is_some() {
        Err(Refusal::Used)
    } else if link.revoked_at.is_some() {
        Err(Refusal::Revoked)
    } else if now >= link.expires_at {
        Err(Refusal::Expired)
    } else {
        Ok(())
    }
}

/// Whether the latest code may still be accepted: the link is usable and
/// the code was sent less than [`CODE_LIFETIME`] ago.
pub fn code_live(link: &SecureLinkFacts, now: Timestamp) -> bool {
    usable(link, now).is_ok() && link.code_sent_at.is_some_and(|sent| now < sent.plus(CODE_LIFETIME))
}

/// Whether another code may be sent for this link.
pub fn may_send_code(link: &SecureLinkFacts) -> bool {
    link.codes_sent < CODES_PER_LINK
}

/// A six-digit code from four random bytes, or `None` for the few values
/// that would favour some codes over others (the caller draws again).
pub fn code_from_random(bytes: [u8; 4]) -> Option<String> {
    const CODES: u32 = 1_000_000;
    // The largest multiple of a million that fits: values at or above it
    // are refused, so every code is equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % CODES;
    let n = u32::from_be_bytes(bytes);
    (n < LIMIT).then(|| format!("{:06}", n % CODES))
}

/// A code as typed, made comparable: spaces and hyphens dropped; `None`
/// unless what is left is exactly six digits.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SecureLinkFacts {
        SecureLinkFacts {
            expires_at: Timestamp::from_micros(1_000_000_000),
            used_at: None,
            revoked_at: None,
            code_sent_at: None,
            codes_sent: 0,
        }
    }

    #[test]
    fn a_link_is_usable_until_used_revoked_or_expired() {
        let now = Timestamp::from_micros(1);
        assert_eq!(usable(&facts(), now), Ok(()));
        assert_eq!(usable(&SecureLinkFacts { used_at: Some(now), ..facts() }, now), Err(Refusal::Used));
        assert_eq!(usable(&SecureLinkFacts { revoked_at: Some(now), ..facts() }, now), Err(Refusal::Revoked));
        assert_eq!(usable(&facts(), facts().expires_at), Err(Refusal::Expired));
    }

    #[test]
    fn a_code_lives_ten_minutes_and_only_on_a_usable_link() {
        let sent = Timestamp::from_micros(100);
        let link = SecureLinkFacts { code_sent_at: Some(sent), codes_sent: 1, ..facts() };
        assert!(!code_live(&facts(), sent));
        assert!(code_live(&link, sent));
        assert!(code_live(&link, sent.plus(Span::from_secs(599))));
        assert!(!code_live(&link, sent.plus(CODE_LIFETIME)));
        assert!(!code_live(&SecureLinkFacts { used_at: Some(sent), ..link }, sent));
        assert!(may_send_code(&link));
        assert!(!may_send_code(&SecureLinkFacts { codes_sent: CODES_PER_LINK, ..link }));
    }

    #[test]
    fn codes_are_six_digits_and_unbiased() {
        assert_eq!(code_from_random([0, 0, 0, 7]).as_deref(), Some("000007"));
        assert_eq!(code_from_random(u32::MAX.to_be_bytes()), None);
        let limit = u32::MAX - u32::MAX % 1_000_000;
        assert_eq!(code_from_random(limit.to_be_bytes()), None);
        assert_eq!(code_from_random((limit - 1).to_be_bytes()).as_deref(), Some("999999"));
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_code(" 042 917 ").as_deref(), Some("042917"));
        assert_eq!(normalise_code("042-917").as_deref(), Some("042917"));
        assert_eq!(normalise_code("42917"), None);
        assert_eq!(normalise_code("0429170"), None);
        assert_eq!(normalise_code("04291a"), None);
        assert_eq!(normalise_code("٠٤٢٩١٧"), None);
    }
}
