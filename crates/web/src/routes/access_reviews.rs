//! Unusual access for the compliance officer to review (found hourly in
//! the audit log): the findings with names, and marking one reviewed.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth, Client, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::AccessReviewId;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(list_access_reviews), routes!(mark_reviewed)]
}

/// Findings of unusual access, newest first (at most 200): practice
/// administrators and compliance officers only (others get 404). Naming a
/// patient is itself recorded.
#[utoipa::path(get, path = "/api/v1/access-reviews", tag = "audit", security(("bearer" = [])), params(AccessReviewQuery),
    responses((status = 200, body = AccessReviewListDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_access_reviews(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AccessReviewQuery>,
) -> Result<Json<AccessReviewListDto>, ApiError> {
    let open_only = match q.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => {
            let problem = "the state must be open or all".to_owned();
            return Err(ServiceError::Invalid { field: "state", problem }.into());
        }
    };
    let reviews = s.app.access_reviews(&p, open_only, &ctx).await?;
    Ok(Json(AccessReviewListDto { reviews: reviews.into_iter().map(Into::into).collect() }))
}

/// Mark a finding reviewed.
#[utoipa::path(post, path = "/api/v1/access-reviews/{id}/reviewed", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "reviewed"), (status = 404, body = ErrorBody)))]
pub(crate) async fn mark_reviewed(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.mark_access_reviewed(&p, path_id(&id, AccessReviewId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
