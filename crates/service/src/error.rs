//! The one error type of the use cases, with stable codes.

use switchboard_domain::text::TextError;
use switchboard_domain::time::Span;
use switchboard_store::StoreError;
use thiserror::Error;

/// Stable, documented error codes. Clients may branch on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    InvalidCredentials,
    TooManyAttempts,
    NotFound,
    InvalidInput,
    Conflict,
    IdempotencyKeyReused,
    /// A set-up, invitation or reset link that is unknown, used, revoked or
    /// expired: all alike.
    LinkInvalid,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::LinkInvalid => "link_invalid",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Error)]
pub enum ServiceError {
    /// No valid session.
    #[error("sign in to continue")]
    Unauthenticated,
    /// Wrong user name or password (one message for both, on purpose).
    #[error("the user name or password is not correct")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },
    /// Missing, or not yours: the two look the same.
    #[error("not found")]
    NotFound,
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("this link is not valid any more; ask the practice for a new one")]
    LinkInvalid,
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
    #[error("something went wrong on our side")]
    Internal,
}

impl ServiceError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Unauthenticated => ErrorCode::Unauthenticated,
            ServiceError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ServiceError::Throttled { .. } => ErrorCode::TooManyAttempts,
            ServiceError::NotFound => ErrorCode::NotFound,
            ServiceError::Invalid { .. } => ErrorCode::InvalidInput,
            ServiceError::Conflict(_) => ErrorCode::Conflict,
            ServiceError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            ServiceError::LinkInvalid => ErrorCode::LinkInvalid,
            ServiceError::Unavailable => ErrorCode::Unavailable,
            ServiceError::Internal => ErrorCode::Internal,
        }
    }

    pub fn invalid(field: &'static str, e: TextError) -> Self {
        ServiceError::Invalid { field, problem: e.to_string() }
    }

    /// An attempt refused until `wait` has passed; never less than a
    /// second, so that a client told to retry does not retry at once.
    pub fn throttled(wait: Span) -> Self {
        ServiceError::Throttled { retry_after_secs: wait.as_secs_ceil().max(1) }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable => ServiceError::Unavailable,
            StoreError::StorageFull => {
                // The caller hears only "unavailable"; operators must free space.
                tracing::error!("the database's storage is full: writes fail until space is freed");
                ServiceError::Unavailable
            }
            other => {
                // Operators need the cause; it holds no PHI (SQL errors
                // carry no parameter values).
                tracing::error!(error = %other, source = ?std::error::Error::source(&other).map(ToString::to_string), "store error");
                ServiceError::Internal
            }
        }
    }
}
