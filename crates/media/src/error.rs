//! Why a file could not be cleaned. Messages never echo file content.

use thiserror::Error;

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum MediaError {
    /// The bytes do not parse as the kind (or stop before its end).
    #[error("the file is damaged or is not what its first bytes say")]
    Damaged,
    /// Well formed, but beyond what is held or decoded: a metadata box too
    /// large to buffer, or an image of too many pixels.
    #[error("the file is too complex to check")]
    TooComplex,
    /// A kind that must be held whole is longer than the cleaner's `max_len`.
    #[error("the file is larger than allowed")]
    TooLarge,
    /// Re-encoding a turned photo or a preview failed.
    #[error("the image could not be re-encoded")]
    Encode,
}

impl MediaError {
    /// A stable code for logs and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Damaged => "damaged",
            MediaError::TooComplex => "too_complex",
            MediaError::TooLarge => "too_large",
            MediaError::Encode => "encode_failed",
        }
    }
}
