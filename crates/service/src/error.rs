//! The one error type of the use cases, with stable codes.

use switchboard_domain::time::Span;
use switchboard_store::StoreError;
use thiserror::Error;

/// Declares an enum of stable wire codes from one list: the enum, its
/// `ALL` (every code, in order) and `as_str`. One list, so a new code can
/// be neither left out of `ALL` nor given no text; the web layer checks the
/// documented codes against `ALL`.
#[macro_export]
macro_rules! stable_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

stable_codes! {
    /// Stable, documented error codes. Clients may branch on these.
    pub enum ErrorCode {
        Unauthenticated = "unauthenticated",
        InvalidCredentials = "invalid_credentials",
        TooManyAttempts = "too_many_attempts",
        NotFound = "not_found",
        InvalidInput = "invalid_input",
        Conflict = "conflict",
        IdempotencyKeyReused = "idempotency_key_reused",
        /// A set-up, invitation or reset link that is unknown, used, revoked
        /// or expired: all alike.
        LinkInvalid = "link_invalid",
        /// A call from the SMS gateway whose signature does not verify (or
        /// no gateway is configured).
        SignatureInvalid = "signature_invalid",
        /// A patient who has not accepted the practice's current messaging
        /// terms tried to write: the app shows the terms.
        TermsNotAccepted = "terms_not_accepted",
        /// A patient tried to start a conversation (or be invited) while
        /// the practice's soft launch does not include them.
        MessagingNotOpen = "messaging_not_open",
        FileTooLarge = "file_too_large",
        FileNotAllowed = "file_not_allowed",
        FileRefusedByScan = "file_refused_by_scan",
        ScanUnavailable = "scan_unavailable",
        /// A one-time or recovery code that is wrong or already used.
        InvalidSecondFactor = "invalid_second_factor",
        /// A sign-in challenge that is unknown, used, out of tries or too
        /// old: sign in again.
        ChallengeInvalid = "mfa_challenge_invalid",
        /// Staff whose practice requires a second factor and whose time to
        /// set one up has passed: an administrator reopens it.
        SecondFactorOverdue = "second_factor_overdue",
        /// A session that may only enrol a second factor reached further.
        SecondFactorEnrolmentRequired = "second_factor_enrolment_required",
        /// A sensitive action needs the password or a code given again
        /// (within the last five minutes).
        ReauthenticationRequired = "reauthentication_required",
        /// A passkey answer that did not verify (or is not a passkey's answer).
        PasskeyRefused = "passkey_refused",
        /// Passkeys cannot be used at this address: WebAuthn needs the
        /// server's name, not an IP address.
        PasskeysUnavailable = "passkeys_unavailable",
        /// An EHR client's access token does not cover this resource type
        /// (its SMART scopes).
        InsufficientScope = "insufficient_scope",
        Unavailable = "unavailable",
        Internal = "internal",
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
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },
    /// Missing, or not yours: the two look the same.
    #[error("not found")]
    NotFound,
    /// A request field at fault. `problem` is a sentence that stands alone
    /// ("the message must not be empty"); `field` names the field for
    /// clients, and is not repeated in the text.
    #[error("{problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("this link is not valid any more; ask the practice for a new one")]
    LinkInvalid,
    #[error("the request's signature does not verify")]
    SignatureInvalid,
    #[error("please read and accept your practice's messaging terms before you send a message")]
    TermsNotAccepted,
    #[error("{0}")]
    MessagingNotOpen(&'static str),
    /// An upload (or a message's uploads together) over the limit; the
    /// upload was cut off there.
    #[error("{0}")]
    FileTooLarge(String),
    /// A file whose bytes are not a kind we accept, or not the kind its
    /// name or declared type says.
    #[error("{0}")]
    FileNotAllowed(String),
    /// The virus scanner found something in the file.
    #[error("this file was refused: the virus scan found a threat in it")]
    FileRefusedByScan,
    /// A virus scanner is configured but could not be reached: uploads are
    /// refused (fail closed) until it is back.
    #[error("files cannot be checked for viruses just now, so none are accepted; try again in a few minutes")]
    ScanUnavailable,
    #[error("that code is not right or was already used; enter the newest code from your app, or a recovery code")]
    InvalidSecondFactor,
    #[error("this sign-in was not finished in time; sign in again")]
    ChallengeInvalid,
    #[error(
        "your practice requires a second factor for staff, and the time to set one up has passed; ask your practice administrator to reopen it"
    )]
    SecondFactorOverdue,
    #[error("set up a second factor to continue: your practice requires one for staff")]
    SecondFactorEnrolmentRequired,
    #[error("confirm it is you: enter your password or a code from your app again to do this")]
    ReauthenticationRequired,
    #[error("that passkey was not accepted; try again, or sign in with your password")]
    PasskeyRefused,
    #[error("{0}")]
    PasskeysUnavailable(&'static str),
    #[error("this client's access token does not cover this resource type")]
    InsufficientScope,
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
            ServiceError::SignatureInvalid => ErrorCode::SignatureInvalid,
            ServiceError::TermsNotAccepted => ErrorCode::TermsNotAccepted,
            ServiceError::MessagingNotOpen(_) => ErrorCode::MessagingNotOpen,
            ServiceError::FileTooLarge(_) => ErrorCode::FileTooLarge,
            ServiceError::FileNotAllowed(_) => ErrorCode::FileNotAllowed,
            ServiceError::FileRefusedByScan => ErrorCode::FileRefusedByScan,
            ServiceError::ScanUnavailable => ErrorCode::ScanUnavailable,
            ServiceError::InvalidSecondFactor => ErrorCode::InvalidSecondFactor,
            ServiceError::ChallengeInvalid => ErrorCode::ChallengeInvalid,
            ServiceError::SecondFactorOverdue => ErrorCode::SecondFactorOverdue,
            ServiceError::SecondFactorEnrolmentRequired => ErrorCode::SecondFactorEnrolmentRequired,
            ServiceError::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            ServiceError::PasskeyRefused => ErrorCode::PasskeyRefused,
            ServiceError::PasskeysUnavailable(_) => ErrorCode::PasskeysUnavailable,
            ServiceError::InsufficientScope => ErrorCode::InsufficientScope,
            ServiceError::Unavailable => ErrorCode::Unavailable,
            ServiceError::Internal => ErrorCode::Internal,
        }
    }

    /// A field refused for a problem worded as a predicate ("must not be
    /// empty"), said of `subject` ("the message") so that it reads alone.
    pub fn invalid(field: &'static str, subject: &str, problem: impl std::fmt::Display) -> Self {
        ServiceError::Invalid { field, problem: format!("{subject} {problem}") }
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
