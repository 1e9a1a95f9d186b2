//! The deployment operator's practices and log.

use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPracticeDto {
    /// The practice's name, as patients will see it.
    pub name: String,
    pub admin_username: String,
    /// The administrator's name, as colleagues see it.
    pub admin_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PracticeCreatedDto {
    #[schema(format = "uuid")]
    pub practice_id: String,
    #[schema(format = "uuid")]
    pub admin_user_id: String,
    /// The administrator's one-time set-up link (72 hours), shown only now.
    pub setup_link: IssuedLinkDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PracticeOverviewDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub active_staff: i64,
    pub patients: i64,
    pub enrolled_patients: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OperatorAuditParams {
    /// `next_before` from the previous page.
    pub before: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<String>,
}
