//! Attachments' rules that are not about bytes: the file name a person
//! gave (what it may hold, and how it is offered back on download), and
//! the size limits.

use std::fmt;

/// A file's name as the sender gave it: the last path component, trimmed,
/// 1–255 characters, no control or bidirectional-override characters
/// (which would let a name pretend to another extension). It is PHI (people
/// name scans after themselves), so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct FileName(String);

/// Why a file name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileNameError {
    Empty,
    TooLong,
    ForbiddenCharacter,
}

impl fmt::Display for FileNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileNameError::Empty => "has no name",
            FileNameError::TooLong => "has a name longer than 255 characters",
            FileNameError::ForbiddenCharacter => "has a name with control or direction-changing characters",
        })
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileName(<redacted>)")
    }
}

impl FileName {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(raw: &str) -> Result<FileName, FileNameError> {
        // Browsers send a bare name, but some old ones send the whole path.
        let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
        if base.is_empty() || base == "." || base == ".." {
            return Err(FileNameError::Empty);
        }
        if base.chars().count() > Self::MAX_CHARS {
            return Err(FileNameError::TooLong);
        }
        if base.chars().any(|c| crate::text::is_forbidden_control(c, crate::text::Lines::One)) {
            return Err(FileNameError::ForbiddenCharacter);
        }
        Ok(FileName(base.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension, lower-cased, if the name has one.
    pub fn extension(&self) -> Option<String> {
        let (stem, ext) = self.0.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_lowercase())
    }

    /// The name for a `Content-Disposition` header's plain `filename=`:
    /// ASCII letters, digits, `.`, `-` and `_` only (others become `_`), so
    /// no quote, semicolon or line break can reach the header. The full
    /// name goes in `filename*` (RFC 6266), percent-encoded.
    pub fn ascii_fallback(&self) -> String {
        let out: String = self
            .0
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        if out.trim_matches(['_', '.']).is_empty() { "file".to_owned() } else { out }
    }
}

/// How large uploads may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// One file, as uploaded.
    pub file_bytes: u64,
    /// All the files of one message together.
    pub message_bytes: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits { file_bytes: 25 * MIB, message_bytes: 100 * MIB }
    }
}

const MIB: u64 = 1024 * 1024;

/// A limit in the words a person reads: "25 MB".
pub fn describe_bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MB", n as f64 / MIB as f64)
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_keep_their_last_component_and_refuse_tricks() {
        assert_eq!(FileName::parse("C:\\scans\\letter.pdf").unwrap().as_str(), "letter.pdf");
        assert_eq!(FileName::parse(" /tmp/rash.JPG ").unwrap().extension().as_deref(), Some("jpg"));
        assert_eq!(FileName::parse("README").unwrap().extension(), None);
        assert_eq!(FileName::parse(".profile").unwrap().extension(), None);
        assert_eq!(FileName::parse(""), Err(FileNameError::Empty));
        assert_eq!(FileName::parse("dir/"), Err(FileNameError::Empty));
        assert_eq!(FileName::parse("a\u{202e}gpj.exe"), Err(FileNameError::ForbiddenCharacter));
        assert_eq!(FileName::parse("a\nb.txt"), Err(FileNameError::ForbiddenCharacter));
        assert_eq!(FileName::parse(&"a".repeat(256)), Err(FileNameError::TooLong));
        assert_eq!(FileName::parse("Zoë's \"scan\"; x.pdf").unwrap().ascii_fallback(), "Zo__s__scan___x.pdf");
        assert_eq!(FileName::parse("ß").unwrap().ascii_fallback(), "file");
        assert_eq!(describe_bytes(25 * MIB), "25 MB");
        assert_eq!(describe_bytes(1536), "2 KB");
    }

    proptest! {
        #[test]
        fn the_header_fallback_is_always_a_safe_token(raw in "\\PC{0,300}") {
            if let Ok(name) = FileName::parse(&raw) {
                let f = name.ascii_fallback();
                prop_assert!(!f.is_empty());
                prop_assert!(f.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
            }
        }
    }
}
