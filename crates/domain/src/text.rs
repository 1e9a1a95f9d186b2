//! Validated text. Each type can only be built through its constructor, so a
//! value that exists is a value that passed the rules (parse, don't
//! validate).

use std::fmt;

/// Why a piece of text was refused. The variants are stable and safe to show:
/// they never echo the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// Control characters (other than line breaks and tabs where allowed) or
    /// characters outside the allowed set.
    InvalidCharacters,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Empty => f.write_str("must not be empty"),
            TextError::TooShort { min } => write!(f, "must be at least {min} characters"),
            TextError::TooLong { max } => write!(f, "must be at most {max} characters"),
            TextError::InvalidCharacters => f.write_str("contains characters that are not allowed"),
        }
    }
}

impl std::error::Error for TextError {}

/// Whether a text may run over several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names, subjects, reasons: no line breaks or tabs.
    One,
    /// Messages, notes, templates, reply wordings: line breaks and tabs.
    Many,
}

pub(crate) fn is_forbidden_control(c: char, lines: Lines) -> bool {
    if lines == Lines::Many && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    // C0/C1 controls, and the bidi overrides and isolates that can make
    // text read differently from what it is.
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// **The** rule for free text anyone writes, whoever reads it: not blank, at
/// most `max_chars` characters, no control characters (line breaks and tabs
/// only in [`Lines::Many`]) and no bidi overrides. Every text type here
/// applies it, and so do the practice's wordings and templates
/// (`auto_reply`, `templates`), so no path lets in what a message may not
/// carry.
pub fn check_free_text(text: &str, max_chars: usize, lines: Lines) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextError::TooLong { max: max_chars });
    }
    if text.chars().any(|c| is_forbidden_control(c, lines)) {
        return Err(TextError::InvalidCharacters);
    }
    Ok(())
}

/// Text that may carry protected health information. Its `Debug` output is
/// redacted so that it cannot reach a log by accident.
macro_rules! sensitive_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted {} chars>)", stringify!($name), self.0.chars().count())
            }
        }
    };
}

sensitive_text!(
    /// The body of a message between a patient and the care team.
    MessageBody
);
sensitive_text!(
    /// A conversation's subject line.
    Subject
);
sensitive_text!(
    /// A staff-only internal note.
    NoteBody
);
sensitive_text!(
    /// A person's given or family name.
    PersonName
);
sensitive_text!(
    /// Why a conversation was handed on or closed: kept, sealed like a
    /// note, in its history. It may mention the patient's condition.
    Reason
);
sensitive_text!(
    /// A medical record number.
    MedicalRecordNumber
);

sensitive_text!(
    /// A patient's email address (contact details are PHI).
    EmailAddress
);
sensitive_text!(
    /// A patient's mobile or other telephone number.
    PhoneNumber
);

impl EmailAddress {
    pub const MAX_CHARS: usize = 254;
    /// `local@domain.tld`, no spaces; the domain is lower-cased.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        let (local, domain) = text.rsplit_once('@').ok_or(TextError::InvalidCharacters)?;
        let ok = !local.is_empty()
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.chars().any(char::is_whitespace)
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if !ok {
            return Err(TextError::InvalidCharacters);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}

impl PhoneNumber {
    /// Digits with the usual separators, 7 to 15 digits (E.164's limit);
    /// kept as written.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, 32, Lines::One)?;
        if !text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
            return Err(TextError::InvalidCharacters);
        }
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if digits < 7 {
            return Err(TextError::TooShort { min: 7 });
        }
        if digits > 15 {
            return Err(TextError::TooLong { max: 15 });
        }
        Ok(Self(text.to_owned()))
    }
}

impl MessageBody {
    /// Upper bound for any message, whatever the configured limit: a hard
    /// ceiling on what one request can make us store.
    pub const HARD_MAX_CHARS: usize = 20_000;
    pub const DEFAULT_MAX_CHARS: usize = 2_000;

    /// A message body of at most `max_chars` Unicode scalar values.
    pub fn parse(text: String, max_chars: usize) -> Result<Self, TextError> {
        check_free_text(&text, max_chars.min(Self::HARD_MAX_CHARS), Lines::Many)?;
        Ok(Self(text))
    }
}

impl NoteBody {
    pub const MAX_CHARS: usize = 10_000;
    pub fn parse(text: String) -> Result<Self, TextError> {
        check_free_text(&text, Self::MAX_CHARS, Lines::Many)?;
        Ok(Self(text))
    }
}

impl Subject {
    pub const MAX_CHARS: usize = 120;
    /// A one-line subject; surrounding whitespace is removed.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        Ok(Self(text.to_owned()))
    }
}

impl Reason {
    pub const MAX_CHARS: usize = 500;
    /// One line; surrounding whitespace is removed.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        Ok(Self(text.to_owned()))
    }

    /// A reason that may be left out: absent or blank is `None`.
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, TextError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => Self::parse(t).map(Some),
        }
    }
}

impl PersonName {
    pub const MAX_CHARS: usize = 100;
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        Ok(Self(text.to_owned()))
    }
}

impl MedicalRecordNumber {
    pub const MAX_CHARS: usize = 40;
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(TextError::InvalidCharacters);
        }
        Ok(Self(text.to_owned()))
    }
}

/// A login name: 3–64 characters from `a-z 0-9 . _ - @`, starting with a
/// letter or digit. Input is lower-cased, so `Alice` and `alice` are the
/// same account.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        let n = text.chars().count();
        if n < Self::MIN_CHARS {
            return Err(TextError::TooShort { min: Self::MIN_CHARS });
        }
        if n > Self::MAX_CHARS {
            return Err(TextError::TooLong { max: Self::MAX_CHARS });
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@');
        let starts_well = text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !starts_well || !text.chars().all(allowed) {
            return Err(TextError::InvalidCharacters);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff member's name as shown to colleagues and patients
/// ("Dr. Priya Patel").
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed at login. Never validated for strength here (that is
/// for setting a password), only bounded so that hashing cannot be abused.
#[derive(Clone)]
pub struct PasswordInput(String);

impl PasswordInput {
    pub const MAX_BYTES: usize = 1024;
    pub fn parse(text: String) -> Result<Self, TextError> {
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.len() > Self::MAX_BYTES {
            return Err(TextError::TooLong { max: Self::MAX_BYTES });
        }
        Ok(Self(text))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordInput(<redacted>)")
    }
}

/// A client-chosen key that makes a retried request safe: 1–200 printable
/// ASCII characters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_CHARS: usize = 200;
    pub fn parse(text: &str) -> Result<Self, TextError> {
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.len() > Self::MAX_CHARS {
            return Err(TextError::TooLong { max: Self::MAX_CHARS });
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TextError::InvalidCharacters);
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn message_limits_count_characters_not_bytes() {
        let limit = 5;
        assert!(MessageBody::parse("héllo".into(), limit).is_ok());
        assert_eq!(MessageBody::parse("héllo!".into(), limit), Err(TextError::TooLong { max: 5 }));
        assert_eq!(MessageBody::parse("   \n ".into(), limit), Err(TextError::Empty));
        assert_eq!(MessageBody::parse("a\u{0}b".into(), limit), Err(TextError::InvalidCharacters));
        assert!(MessageBody::parse("a\nb\tc".into(), limit).is_ok());
        assert_eq!(
            MessageBody::parse("x".repeat(30_000), usize::MAX),
            Err(TextError::TooLong { max: MessageBody::HARD_MAX_CHARS })
        );
    }

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(Subject::parse("  Refill  ").unwrap().as_str(), "Refill");
        assert_eq!(Subject::parse("a\nb"), Err(TextError::InvalidCharacters));
        assert_eq!(Subject::parse("evil\u{202E}txt"), Err(TextError::InvalidCharacters));
    }

    #[test]
    fn reasons_are_one_line_without_disguise() {
        assert_eq!(Reason::parse("  Covering for Dr. Lee  ").unwrap().as_str(), "Covering for Dr. Lee");
        assert_eq!(Reason::parse_optional(None), Ok(None));
        assert_eq!(Reason::parse_optional(Some("  ")), Ok(None));
        for bad in ["a\u{202E}b", "a\u{2066}b", "a\nb", "a\tb", "a\u{0}b", "a\u{9b}b"] {
            assert_eq!(Reason::parse_optional(Some(bad)), Err(TextError::InvalidCharacters), "{bad:?}");
        }
        assert_eq!(Reason::parse(&"x".repeat(501)), Err(TextError::TooLong { max: 500 }));
        assert!(!format!("{:?}", Reason::parse("her chest pain").unwrap()).contains("chest"));
    }

    #[test]
    fn usernames_are_normalised() {
        assert_eq!(Username::parse(" Dr.Patel ").unwrap().as_str(), "dr.patel");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(".alice").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alice\u{0}").is_err());
    }

    #[test]
    fn debug_never_shows_phi() {
        let body = MessageBody::parse("my rash is worse".into(), 100).unwrap();
        assert!(!format!("{body:?}").contains("rash"));
        let pw = PasswordInput::parse("hunter2hunter2".into()).unwrap();
        assert!(!format!("{pw:?}").contains("hunter"));
    }

    proptest! {
        #[test]
        fn accepted_bodies_respect_the_limit(s in "\\PC{0,60}", limit in 1usize..50) {
            if let Ok(body) = MessageBody::parse(s.clone(), limit) {
                prop_assert!(body.as_str().chars().count() <= limit);
                prop_assert!(!body.as_str().trim().is_empty());
                prop_assert_eq!(body.as_str(), s.as_str());
            }
        }

        /// The one rule: whatever one-line text a subject refuses for its
        /// characters, a reason refuses too, and what a message refuses
        /// with line breaks allowed, a note refuses too.
        #[test]
        fn one_rule_for_every_text(s in "\\PC{0,20}[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}]?\\PC{0,20}") {
            let one_line = check_free_text(s.trim(), 120, Lines::One);
            prop_assert_eq!(Subject::parse(&s).map(|_| ()), one_line);
            prop_assert_eq!(Reason::parse(&s).map(|_| ()), one_line);
            let many = check_free_text(&s, 2000, Lines::Many);
            prop_assert_eq!(MessageBody::parse(s.clone(), 2000).map(|_| ()), many);
            prop_assert_eq!(NoteBody::parse(s.clone()).map(|_| ()), many);
        }

        #[test]
        fn usernames_are_idempotent(s in "[A-Za-z0-9._@-]{0,70}") {
            if let Ok(u) = Username::parse(&s) {
                prop_assert_eq!(Username::parse(u.as_str()), Ok(u.clone()));
            }
        }
    }
}
