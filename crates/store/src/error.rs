use thiserror::Error;

/// Store failures. The `Display` texts are for operators' logs; callers map
/// variants to stable client-facing codes and never echo these.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached, is shutting down or starting up, or
    /// the writer has stopped. Retryable.
    #[error("database unavailable")]
    Unavailable,
    /// The database's disk is full: writes fail until space is freed.
    /// Retryable, like [`StoreError::Unavailable`].
    #[error("the database's storage is full")]
    StorageFull,
    /// A guarded step changed no row, or a uniqueness rule was hit.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("stored data is malformed: {0}")]
    Corrupt(&'static str),
    #[error("configuration: {0}")]
    Config(&'static str),
    #[error("migration: {0}")]
    Migration(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

/// Why a unit was refused: a guarded step changed no row (what it needed
/// was gone or had moved on), or a uniqueness rule was hit. Callers match
/// on the variant, so a misspelt reason cannot compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    AbsenceMissing,
    AlertMissing,
    AlreadyClosed,
    AlreadyEnrolled,
    AlreadyRated,
    AssignmentChanged,
    AttachmentMissing,
    ChallengeSpent,
    /// An EHR client that is not there or was already revoked.
    ClientMissing,
    /// An EHR client's assertion whose `jti` was already used.
    AssertionReplayed,
    ClosureMissing,
    /// A legal hold that is not there or was already released.
    HoldMissing,
    /// A legal export that is not ready (or was downloaded, or expired).
    ExportUnavailable,
    CodeSpent,
    /// A caregiver or emergency-access grant that is not there, or was
    /// already revoked or ended.
    GrantMissing,
    /// A caregiver invitation already used, revoked or expired.
    InvitationSpent,
    ConversationMissing,
    IdempotencyKey,
    KeyMissing,
    LeaseLost,
    LinkMissing,
    LinkSpent,
    NotClosed,
    PasskeyMissing,
    PatientMissing,
    PoolMissing,
    PracticeMissing,
    ReviewMissing,
    SessionEnded,
    StaffMissing,
    TemplateMissing,
    ThrottleRaced,
    Unique,
    UserInactive,
    UserMissing,
}

impl Conflict {
    /// The code in operators' logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Conflict::AbsenceMissing => "absence_missing",
            Conflict::AlertMissing => "alert_missing",
            Conflict::AlreadyClosed => "already_closed",
            Conflict::AlreadyEnrolled => "already_enrolled",
            Conflict::AlreadyRated => "already_rated",
            Conflict::AssignmentChanged => "assignment_changed",
            Conflict::AttachmentMissing => "attachment_missing",
            Conflict::ChallengeSpent => "challenge_spent",
            Conflict::ClientMissing => "client_missing",
            Conflict::HoldMissing => "hold_missing",
            Conflict::ExportUnavailable => "export_unavailable",
            Conflict::AssertionReplayed => "assertion_replayed",
            Conflict::CodeSpent => "code_spent",
            Conflict::GrantMissing => "grant_missing",
            Conflict::InvitationSpent => "invitation_spent",
            Conflict::ClosureMissing => "closure_missing",
            Conflict::ConversationMissing => "conversation_missing",
            Conflict::IdempotencyKey => "idempotency_key",
            Conflict::KeyMissing => "key_missing",
            Conflict::LeaseLost => "lease_lost",
            Conflict::LinkMissing => "link_missing",
            Conflict::LinkSpent => "link_spent",
            Conflict::NotClosed => "not_closed",
            Conflict::PasskeyMissing => "passkey_missing",
            Conflict::PatientMissing => "patient_missing",
            Conflict::PoolMissing => "pool_missing",
            Conflict::PracticeMissing => "practice_missing",
            Conflict::ReviewMissing => "review_missing",
            Conflict::SessionEnded => "session_ended",
            Conflict::StaffMissing => "staff_missing",
            Conflict::TemplateMissing => "template_missing",
            Conflict::ThrottleRaced => "throttle_raced",
            Conflict::Unique => "unique",
            Conflict::UserInactive => "user_inactive",
            Conflict::UserMissing => "user_missing",
        }
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a database's own error code says about the database as a whole, when
/// it says something: PostgreSQL SQLSTATEs (five characters) and SQLite
/// result codes (numbers, possibly extended).
fn classify(code: &str) -> Option<StoreError> {
    // SQLSTATEs are exactly five characters, often all digits; SQLite's
    // codes (extended ones included) have at most four digits.
    if code.len() != 5
        && let Ok(n) = code.parse::<i64>()
    {
        // SQLite: the primary result code is the low byte.
        return match n & 0xff {
            13 => Some(StoreError::StorageFull),
            // IOERR, BUSY, LOCKED, CANTOPEN, READONLY: the file cannot be
            // used now; nothing about the request itself is wrong.
            10 | 5 | 6 | 14 | 8 => Some(StoreError::Unavailable),
            _ => None,
        };
    }
    if code.len() != 5 {
        return None;
    }
    match code {
        // disk_full
        "53100" => Some(StoreError::StorageFull),
        // insufficient resources (out of memory, too many connections)
        c if c.starts_with("53") => Some(StoreError::Unavailable),
        // connection exceptions
        c if c.starts_with("08") => Some(StoreError::Unavailable),
        // admin_shutdown, crash_shutdown, cannot_connect_now: the server is
        // stopping, restarting or starting up.
        "57P01" | "57P02" | "57P03" | "57P05" => Some(StoreError::Unavailable),
        // serialization_failure, deadlock_detected, lock_not_available:
        // the transaction was rolled back whole and may simply be retried.
        "40001" | "40P01" | "55P03" => Some(StoreError::Unavailable),
        _ => None,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => StoreError::Unavailable,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(Conflict::Unique),
            sqlx::Error::Database(db) => match db.code().as_deref().and_then(classify) {
                Some(mapped) => mapped,
                None => StoreError::Database(e),
            },
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// Whether the failure is the database's state rather than the request:
    /// the caller may retry later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable | StoreError::StorageFull)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_and_full_disks_are_retryable() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001", "53300", "40P01", "5", "517", "10", "778", "6"] {
            assert!(classify(code).is_some_and(|e| matches!(e, StoreError::Unavailable)), "{code}");
        }
        for code in ["53100", "13"] {
            assert!(classify(code).is_some_and(|e| matches!(e, StoreError::StorageFull)), "{code}");
        }
        for code in ["23505", "42P01", "22001", "1", "19", "2067", "11", "13000"] {
            assert!(classify(code).is_none(), "{code}");
        }
    }
}
