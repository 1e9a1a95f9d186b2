//! What a new password must be, per NIST SP 800-63B rev. 4 (§3.1.1.2):
//! long enough for the factors the account has (15 characters when the
//! password is the only factor, 8 with a second factor), at most 256
//! characters (the guideline asks that at least 64 be allowed), any
//! characters at all, spaces and emoji included, with no composition rules
//! and never truncated; and not a password attackers try first: one on the
//! list of common and breached passwords that ships with the product
//! (`data/passwords/common.txt`, zxcvbn's list), a word of its context (the
//! user name, the person's name, "switchboard", the practice's name), one
//! character repeated, or a simple sequence ("123456789012345",
//! "abcdefghijklmno").
//!
//! A password is compared and hashed in its Unicode normalisation form KC
//! ([`normalise`]), so that the same password typed on two keyboards ("ﬁ"
//! or "fi", a composed or decomposed "é") is the same password; its length
//! is counted after normalisation.

use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The fewest characters when the password is the account's only factor.
pub const MIN_CHARS_ALONE: usize = 15;
/// The fewest characters when the account also has a second factor.
pub const MIN_CHARS_WITH_SECOND_FACTOR: usize = 8;
/// The most characters a password may have (the guideline asks for at
/// least 64 to be allowed).
pub const MAX_CHARS: usize = 256;

/// The common and breached passwords, one a line, lower case, sorted in
/// byte order; `#` lines are the header (where it comes from, its licence).
pub const COMMON_PASSWORDS: &str = include_str!("../data/passwords/common.txt");

/// The name of the product, which is never a password.
const PRODUCT: &str = "switchboard";

/// Whether the account the password is for has a second factor: it decides
/// the shortest password allowed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SecondFactor {
    /// The password is the only factor.
    None,
    /// The account also has a second factor (an authenticator app, …).
    Enrolled,
}

impl SecondFactor {
    pub const fn from_has_second_factor(has_second_factor: bool) -> Self {
        if has_second_factor { SecondFactor::Enrolled } else { SecondFactor::None }
    }

    /// The fewest characters a password may have.
    pub const fn min_chars(self) -> usize {
        match self {
            SecondFactor::None => MIN_CHARS_ALONE,
            SecondFactor::Enrolled => MIN_CHARS_WITH_SECOND_FACTOR,
        }
    }
}

/// Why a new password is refused, worded to be shown to the person as it
/// is (the service's error problem text).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PasswordProblem {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// On the list of common and breached passwords.
    Common,
    /// The user name, the person's name, the product's or the practice's.
    ContextWord,
    /// One character, repeated.
    Repeated,
    /// A run such as "123456…", "abcdef…" or "qwerty…", either way.
    Sequence,
}

impl PasswordProblem {
    /// A stable code for the audit log and tests.
    pub const fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort { .. } => "too_short",
            PasswordProblem::TooLong { .. } => "too_long",
            PasswordProblem::Common => "common",
            PasswordProblem::ContextWord => "context_word",
            PasswordProblem::Repeated => "repeated",
            PasswordProblem::Sequence => "sequence",
        }
    }
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordProblem::TooShort { min } => write!(
                f,
                "the password must be at least {min} characters; a few unrelated words are easy to remember"
            ),
            PasswordProblem::TooLong { max } => write!(f, "the password must be at most {max} characters"),
            PasswordProblem::Common => {
                f.write_str("that password is on a list of passwords known to attackers; choose another")
            }
            PasswordProblem::ContextWord => f.write_str(
                "that password is your user name, your name, the practice's name or the name of this service; choose another",
            ),
            PasswordProblem::Repeated => f.write_str("that password is one character repeated; choose another"),
            PasswordProblem::Sequence => f.write_str(
                "that password is a simple sequence (like 123456… or abcdef…) that attackers try first; choose another",
            ),
        }
    }
}

/// A password in normalisation form KC: how it is hashed and verified.
pub fn normalise(password: &str) -> String {
    password.nfkc().collect()
}

/// A new password that passed [`check_new`], in its normalised form (the
/// form to hash). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// The normalised password, to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// The words a password must not be, besides the list: the user name, the
/// person's name, the practice's name (whichever are at hand).
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub words: &'a [&'a str],
}

/// Checks a new password and answers it normalised, or says why not.
pub fn check_new(
    password: &str,
    second_factor: SecondFactor,
    context: Context<'_>,
) -> Result<NewPassword, PasswordProblem> {
    let normalised = normalise(password);
    let chars = normalised.chars().count();
    let min = second_factor.min_chars();
    if chars < min {
        return Err(PasswordProblem::TooShort { min });
    }
    if chars > MAX_CHARS {
        return Err(PasswordProblem::TooLong { max: MAX_CHARS });
    }
    let folded = fold(&normalised);
    if is_common(&folded) {
        return Err(PasswordProblem::Common);
    }
    if is_context_word(&folded, context) {
        return Err(PasswordProblem::ContextWord);
    }
    if is_repeated(&folded) {
        return Err(PasswordProblem::Repeated);
    }
    if is_sequence(&folded) {
        return Err(PasswordProblem::Sequence);
    }
    Ok(NewPassword(normalised))
}

/// Trimmed and lower-cased, for comparison with the lists.
fn fold(text: &str) -> String {
    normalise(text).trim().to_lowercase()
}

/// Whether `folded` (trimmed, lower case) is on the list: a bisection over
/// the sorted lines (the list is ASCII, sorted in byte order; a test checks).
fn is_common(folded: &str) -> bool {
    let needle = folded.as_bytes();
    let list = list_body(COMMON_PASSWORDS).as_bytes();
    // Invariant: every line in `list[lo..hi]` is whole.
    let (mut lo, mut hi) = (0usize, list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = list.get(lo..mid).and_then(|b| b.iter().rposition(|c| *c == b'\n')).map_or(lo, |i| lo + i + 1);
        let end = list.get(start..hi).and_then(|b| b.iter().position(|c| *c == b'\n')).map_or(hi, |i| start + i);
        let Some(line) = list.get(start..end) else { return false };
        match line.cmp(needle) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// The list without its `#` header lines.
fn list_body(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    rest
}

fn is_context_word(folded: &str, context: Context<'_>) -> bool {
    let squeezed: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    std::iter::once(PRODUCT).chain(context.words.iter().copied()).map(fold).filter(|w| !w.is_empty()).any(|w| {
        let w_squeezed: String = w.chars().filter(|c| !c.is_whitespace()).collect();
        w == folded || w_squeezed == squeezed
    })
}

fn is_repeated(folded: &str) -> bool {
    let mut chars = folded.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => false,
    }
}

/// The runs a "simple sequence" walks along, each read round (so "…890123"
/// and "…xyzabc" are runs too): digits, the alphabet, the keyboard's rows.
const RUNS: [&str; 3] = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm"];

/// Whether every character is the next (or every one the previous) of the
/// one before it in one run.
fn is_sequence(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    if chars.len() < 3 {
        return false;
    }
    RUNS.iter().any(|run| {
        let run: Vec<char> = run.chars().collect();
        let position = |c: char| run.iter().position(|r| *r == c);
        let steps: Option<Vec<usize>> = chars
            .windows(2)
            .map(|pair| match pair {
                [a, b] => {
                    let (a, b) = (position(*a)?, position(*b)?);
                    Some((b + run.len() - a) % run.len())
                }
                _ => None,
            })
            .collect();
        match steps {
            Some(steps) => steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == run.len() - 1),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests;
