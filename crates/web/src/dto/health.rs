//! Liveness and readiness.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// Always `ok`: the process answers (liveness).
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadinessDto {
    /// `ready`, or `not_ready` when any check fails.
    pub status: &'static str,
    pub checks: ReadinessChecksDto,
}

/// Each check: `ok`, `failing`, or `timeout` (no answer in time).
#[derive(Serialize, ToSchema)]
pub(crate) struct ReadinessChecksDto {
    /// The database answers a read.
    pub database: &'static str,
    /// A small durable write commits (fails on a full disk).
    pub writes: &'static str,
    /// The master keys unwrap the stored data keys and verify the audit
    /// chain's head.
    pub keys: &'static str,
}
