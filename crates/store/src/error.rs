use thiserror::Error;

/// Store failures. The `Display` texts are for operators' logs; callers map
/// variants to stable client-facing codes and never echo these.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or the writer has stopped. Retryable.
    #[error("database unavailable")]
    Unavailable,
    /// A guarded step changed no row, or a uniqueness rule was hit.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("stored data is malformed: {0}")]
    Corrupt(&'static str),
    #[error("configuration: {0}")]
    Config(&'static str),
    #[error("migration: {0}")]
    Migration(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
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
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("unique"),
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable)
    }
}
