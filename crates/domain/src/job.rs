//! Where a durable background job stands. The store runs the queue; this
//! is what tools and tests are told about one job.

use crate::time::Timestamp;

/// Where a job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStatus {
    /// `pending`, `running`, `done` or `dead`.
    pub state: String,
    pub attempts: i64,
    /// The short code its last failed attempt recorded.
    pub last_error: Option<String>,
    pub run_at: Timestamp,
}
