//! What the deployment's operator sees: their API keys (never a key's
//! secret) and the practices by name and counts (never PHI).

use crate::ids::{OperatorKeyId, PracticeId};
use crate::time::Timestamp;

/// An operator key as `switchboard operator key list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorKey {
    pub id: OperatorKeyId,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A practice as the operator sees it: its name and counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PracticeOverview {
    pub id: PracticeId,
    pub name: String,
    pub created_at: Timestamp,
    pub active_staff: i64,
    pub patients: i64,
    pub enrolled_patients: i64,
}
