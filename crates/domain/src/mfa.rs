//! Second factors: the rules of time-based one-time codes (RFC 6238) as
//! authenticator apps use them, recovery codes, the sign-in challenge
//! between the password and the second factor, the practice's requirement
//! that staff use one, and how recent an authentication must be before a
//! sensitive action. The arithmetic of the codes themselves (HMAC) is the
//! crypto crate's; here are the windows, the formats and the decisions.

use crate::role::UserKind;
use crate::time::{Span, Timestamp};

/// The length of a time step, as every authenticator app uses it.
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// How many steps either side of now a code is still accepted (clock
/// drift between the phone and the server, and the time it takes to type).
pub const TOTP_SKEW_STEPS: u64 = 1;
/// Recovery codes given at enrolment (and when they are made again).
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, before the dash is added.
pub const RECOVERY_CODE_CHARS: usize = 10;
/// How long a sign-in challenge waits for its second factor.
pub const CHALLENGE_LIFETIME: Span = Span::from_mins(5);
/// Wrong codes one challenge takes before it is spent (the sign-in
/// throttle also counts each).
pub const CHALLENGE_TRIES: u32 = 5;
/// How long an enrolment started but not confirmed stays open.
pub const ENROLMENT_LIFETIME: Span = Span::from_mins(15);
/// How recently the holder of a session must have proved who they are
/// before a sensitive action (export, key rotation, role and policy
/// changes, break-glass, removing a factor).
pub const REAUTH_WINDOW: Span = Span::from_mins(5);
/// The grace period a new practice gives staff to enrol (7 days).
pub const DEFAULT_GRACE: Span = Span::from_hours(24 * 7);
/// The longest grace period a practice may set (30 days).
pub const MAX_GRACE_HOURS: i64 = 24 * 30;

/// The time step a moment falls in (the RFC's `T`). Moments before 1970
/// are step 0: the server's clock is never there.
pub fn step_at(now: Timestamp) -> u64 {
    u64::try_from(now.as_micros().div_euclid(1_000_000) / TOTP_STEP_SECS).unwrap_or(0)
}

/// The steps whose codes are accepted now, oldest first.
pub fn accepted_steps(now: Timestamp) -> impl Iterator<Item = u64> {
    let now = step_at(now);
    now.saturating_sub(TOTP_SKEW_STEPS)..=now.saturating_add(TOTP_SKEW_STEPS)
}

/// Whether a code that matched `step` may be used, given the step of the
/// last code accepted for this authenticator: each code works once, and
/// never one older than a code already used (no replay within the window).
pub fn fresh_step(last_used: Option<u64>, step: u64) -> bool {
    last_used.is_none_or(|last| step > last)
}

/// A one-time code as typed: six digits, spaces ignored ("123 456").
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TotpCode(u32);

impl TotpCode {
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != TOTP_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(TotpCode)
    }
    pub const fn value(self) -> u32 {
        self.0
    }
}

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCode(<redacted>)")
    }
}

/// The alphabet of recovery codes: lower-case letters and digits without
/// the ones read wrongly from paper (0/o, 1/l/i): 31 characters.
pub(crate) const RECOVERY_ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A recovery code, normalised: ten characters of the alphabet, as stored
/// (hashed) and compared. Typed with or without the dash, in any case.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// A code from random bytes (one byte per character, without bias:
    /// bytes at or above 248, a multiple of the alphabet's 31, are dropped
    /// before the rest are reduced modulo 31). `None` if too few are left.
    pub fn from_random(bytes: &[u8]) -> Option<Self> {
        let code: String = bytes
            .iter()
            .filter(|b| **b < 248)
            .take(RECOVERY_CODE_CHARS)
            .filter_map(|b| RECOVERY_ALPHABET.get(usize::from(*b % 31)).map(|c| char::from(*c)))
            .collect();
        (code.len() == RECOVERY_CODE_CHARS).then_some(RecoveryCode(code))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let code: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
        let known = code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        (code.len() == RECOVERY_CODE_CHARS && known).then_some(RecoveryCode(code))
    }

    /// The normalised form, as hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// As shown to the person once: two groups of five ("abcde-fghjk").
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(self.0.len() / 2);
        format!("{a}-{b}")
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// What was typed at the second step of a sign-in: a one-time code from
/// the app, or a recovery code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondFactorCode {
    Totp(TotpCode),
    Recovery(RecoveryCode),
}

impl SecondFactorCode {
    pub fn parse(text: &str) -> Option<Self> {
        TotpCode::parse(text)
            .map(SecondFactorCode::Totp)
            .or_else(|| RecoveryCode::parse(text).map(SecondFactorCode::Recovery))
    }
}

/// The ways a person can prove the second factor, as the sign-in answer
/// names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Totp,
    RecoveryCode,
    /// A passkey (WebAuthn) registered to the account.
    Passkey,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
            Method::Passkey => "passkey",
        }
    }
}

/// How long a passkey ceremony's state (the options given, waiting for
/// the browser's answer) stays usable; each state is used once.
pub const PASSKEY_CEREMONY_LIFETIME: Span = Span::from_mins(5);
/// The longest name a passkey may be given.
pub const PASSKEY_NAME_MAX_CHARS: usize = 60;

/// Whether a passkey ceremony's state may still take the browser's answer.
pub fn ceremony_open(created_at: Timestamp, spent: bool, now: Timestamp) -> bool {
    !spent && now < created_at.plus(PASSKEY_CEREMONY_LIFETIME)
}

/// A passkey's name as its holder sees it on the Security page: one line,
/// at most [`PASSKEY_NAME_MAX_CHARS`], the free-text rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(text: &str) -> Result<Self, crate::text::TextError> {
        let text = text.trim();
        crate::text::check_free_text(text, PASSKEY_NAME_MAX_CHARS, crate::text::Lines::One)?;
        Ok(PasskeyName(text.to_owned()))
    }

    /// The name a passkey gets when its holder gives none: "Passkey added
    /// 7 Dec 2026" (UTC date).
    pub fn added_on(at: Timestamp) -> Self {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let date = at.to_rfc3339();
        let (y, m, d) = (date.get(0..4), date.get(5..7), date.get(8..10));
        let month = m.and_then(|m| m.parse::<usize>().ok()).and_then(|m| months.get(m.wrapping_sub(1)));
        let day = d.and_then(|d| d.parse::<u32>().ok());
        match (y, month, day) {
            (Some(y), Some(m), Some(d)) => PasskeyName(format!("Passkey added {d} {m} {y}")),
            _ => PasskeyName("Passkey".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a challenge may still take a code.
pub fn challenge_open(created_at: Timestamp, tries: u32, spent: bool, now: Timestamp) -> bool {
    !spent && tries < CHALLENGE_TRIES && now < created_at.plus(CHALLENGE_LIFETIME)
}

/// The practice's rule for staff: a second factor required or not, since
/// when, and how long staff without one may still sign in to enrol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffRequirement {
    pub required: bool,
    /// When the requirement was last turned on; the grace counts from it
    /// for accounts that existed then.
    pub since: Timestamp,
    pub grace: Span,
}

/// Where an account stands against its practice's requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Not required (patients, or staff of a practice that does not ask).
    NotRequired,
    /// Required and enrolled.
    Enrolled,
    /// Required, not enrolled, and still within the grace period: the
    /// session may only enrol.
    EnrolBy(Timestamp),
    /// Required, not enrolled, and the grace period is over: an
    /// administrator must reopen it.
    Overdue,
}

/// The account's standing: `grace_from` is the later of when it was made
/// and when an administrator last reset its factors.
pub fn standing(
    kind: UserKind,
    requirement: &StaffRequirement,
    enrolled: bool,
    grace_from: Timestamp,
    now: Timestamp,
) -> Standing {
    match kind {
        UserKind::Patient => Standing::NotRequired,
        UserKind::Staff if !requirement.required => Standing::NotRequired,
        UserKind::Staff if enrolled => Standing::Enrolled,
        UserKind::Staff => {
            let from = if grace_from > requirement.since { grace_from } else { requirement.since };
            let until = from.plus(requirement.grace);
            if now < until { Standing::EnrolBy(until) } else { Standing::Overdue }
        }
    }
}

/// What a session may do: everything its actor may, or only enrol a second
/// factor (staff whose practice requires one and who have none yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assurance {
    Full,
    EnrolOnly,
}

impl Assurance {
    pub const fn as_str(self) -> &'static str {
        match self {
            Assurance::Full => "full",
            Assurance::EnrolOnly => "enrol_only",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Assurance::Full),
            "enrol_only" => Some(Assurance::EnrolOnly),
            _ => None,
        }
    }
}

/// Whether the session's holder proved who they are recently enough for a
/// sensitive action.
pub fn recently_authenticated(authenticated_at: Timestamp, now: Timestamp) -> bool {
    now < authenticated_at.plus(REAUTH_WINDOW) && authenticated_at <= now
}

/// The `otpauth://` URI an authenticator app reads from the QR code
/// (Google Authenticator's key-URI format): the issuer is the practice's
/// name, the account the user name; SHA-1, six digits, 30 seconds.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}"
    )
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn passkey_ceremonies_last_five_minutes_and_one_use() {
        let t = Timestamp::parse_rfc3339("2026-12-07T10:00:00Z").unwrap();
        assert!(ceremony_open(t, false, t.plus(Span::from_secs(299))));
        assert!(!ceremony_open(t, false, t.plus(PASSKEY_CEREMONY_LIFETIME)));
        assert!(!ceremony_open(t, true, t));
    }

    #[test]
    fn passkey_names() {
        let t = Timestamp::parse_rfc3339("2026-12-07T23:59:00Z").unwrap();
        assert_eq!(PasskeyName::added_on(t).as_str(), "Passkey added 7 Dec 2026");
        assert_eq!(PasskeyName::parse("  Work laptop ").unwrap().as_str(), "Work laptop");
        assert!(PasskeyName::parse("   ").is_err());
        assert!(PasskeyName::parse("a\u{202e}b").is_err());
        assert!(PasskeyName::parse(&"x".repeat(PASSKEY_NAME_MAX_CHARS + 1)).is_err());
    }

    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_micros(secs * 1_000_000)
    }

    #[test]
    fn steps_are_thirty_seconds_from_the_epoch() {
        // RFC 6238 appendix B's times and their T values.
        assert_eq!(step_at(at(59)), 1);
        assert_eq!(step_at(at(1_111_111_109)), 0x0000_0000_0235_23EC);
        assert_eq!(step_at(at(1_234_567_890)), 0x0000_0000_0273_EF07);
        assert_eq!(step_at(at(20_000_000_000)), 0x0000_0000_27BC_86AA);
        assert_eq!(accepted_steps(at(90)).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(accepted_steps(at(0)).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn a_code_works_once_and_never_an_older_one() {
        assert!(fresh_step(None, 5));
        assert!(fresh_step(Some(4), 5));
        assert!(!fresh_step(Some(5), 5));
        assert!(!fresh_step(Some(6), 5));
    }

    #[test]
    fn codes_are_parsed_as_typed() {
        assert_eq!(TotpCode::parse("123 456").map(TotpCode::value), Some(123_456));
        assert_eq!(TotpCode::parse("012345").map(TotpCode::value), Some(12_345));
        assert!(TotpCode::parse("12345").is_none());
        assert!(TotpCode::parse("1234567").is_none());
        assert!(TotpCode::parse("12a456").is_none());
        assert!(TotpCode::parse("١٢٣٤٥٦").is_none(), "only ASCII digits");
        let r = RecoveryCode::parse("ABCDE-FGHJK").map(|c| c.expose().to_owned());
        assert_eq!(r.as_deref(), Some("abcdefghjk"));
        assert!(RecoveryCode::parse("abcde-fghjo").is_none(), "o is not in the alphabet");
        assert!(RecoveryCode::parse("abcde.fghjk").is_none());
        assert!(matches!(SecondFactorCode::parse(" 654321 "), Some(SecondFactorCode::Totp(_))));
        assert!(matches!(SecondFactorCode::parse("abcde fghjk"), Some(SecondFactorCode::Recovery(_))));
        assert!(SecondFactorCode::parse("").is_none());
        assert_eq!(format!("{:?}", TotpCode::parse("123456")), "Some(TotpCode(<redacted>))");
    }

    #[test]
    fn the_uri_names_the_practice_and_the_account() {
        let uri = otpauth_uri("Maple & Oak Clinic", "nurse.ana", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Maple%20%26%20Oak%20Clinic:nurse.ana?secret=JBSWY3DPEHPK3PXP&issuer=Maple%20%26%20Oak%20Clinic&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn challenges_close_after_their_tries_their_lifetime_or_use() {
        let t = at(1000);
        assert!(challenge_open(t, 0, false, t));
        assert!(challenge_open(t, CHALLENGE_TRIES - 1, false, t.plus(Span::from_secs(299))));
        assert!(!challenge_open(t, CHALLENGE_TRIES, false, t));
        assert!(!challenge_open(t, 0, false, t.plus(CHALLENGE_LIFETIME)));
        assert!(!challenge_open(t, 0, true, t));
    }

    #[test]
    fn staff_enrol_within_the_grace_then_are_overdue() {
        let req = StaffRequirement { required: true, since: at(1000), grace: Span::from_hours(24) };
        let day = Span::from_hours(24);
        assert_eq!(standing(UserKind::Patient, &req, false, at(0), at(5000)), Standing::NotRequired);
        assert_eq!(standing(UserKind::Staff, &req, true, at(0), at(1_000_000)), Standing::Enrolled);
        assert_eq!(standing(UserKind::Staff, &req, false, at(0), at(2000)), Standing::EnrolBy(at(1000).plus(day)));
        assert_eq!(standing(UserKind::Staff, &req, false, at(0), at(1000).plus(day)), Standing::Overdue);
        // A later account (or a reset by an administrator) has its own grace.
        let later = at(50_000);
        assert_eq!(standing(UserKind::Staff, &req, false, later, later.plus(day)), Standing::Overdue);
        assert_eq!(
            standing(UserKind::Staff, &req, false, later, later.plus(Span::from_hours(1))),
            Standing::EnrolBy(later.plus(day))
        );
        let off = StaffRequirement { required: false, ..req };
        assert_eq!(standing(UserKind::Staff, &off, false, at(0), at(10_000_000)), Standing::NotRequired);
    }

    #[test]
    fn reauthentication_lasts_five_minutes() {
        let t = at(10_000);
        assert!(recently_authenticated(t, t));
        assert!(recently_authenticated(t, t.plus(Span::from_secs(299))));
        assert!(!recently_authenticated(t, t.plus(REAUTH_WINDOW)));
        assert!(!recently_authenticated(t.plus(Span::from_secs(60)), t), "not from the future");
    }

    proptest! {
        #[test]
        fn recovery_codes_round_trip_through_their_display(bytes in proptest::collection::vec(any::<u8>(), 10..40)) {
            if let Some(code) = RecoveryCode::from_random(&bytes) {
                prop_assert_eq!(code.expose().len(), RECOVERY_CODE_CHARS);
                prop_assert_eq!(RecoveryCode::parse(&code.display()), Some(code.clone()));
                prop_assert_eq!(RecoveryCode::parse(&code.display().to_uppercase()), Some(code.clone()));
            }
        }

        #[test]
        fn only_codes_of_the_accepted_steps_are_fresh_once(now in 0i64..4_000_000_000, last in proptest::option::of(0u64..200_000_000)) {
            let steps: Vec<u64> = accepted_steps(at(now)).collect();
            prop_assert!(steps.len() <= 3);
            prop_assert!(steps.contains(&step_at(at(now))));
            for s in steps {
                prop_assert_eq!(fresh_step(last, s), last.is_none_or(|l| s > l));
                prop_assert!(!fresh_step(Some(s), s));
            }
        }
    }
}
