//! Practice analytics as tables: the page draws its charts from them, and
//! every table downloads as CSV.

use super::csv;
use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth, Client};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(analytics), routes!(analytics_csv)]
}

/// The practice's analytics for a period (practice administrators and
/// compliance officers): response times, volume, backlog, workload,
/// satisfaction and access, as tables.
#[utoipa::path(get, path = "/api/v1/analytics", tag = "analytics", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = AnalyticsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn analytics(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(period): ApiQuery<PeriodQuery>,
) -> Result<Json<AnalyticsDto>, ApiError> {
    let r = s.app.analytics(&p, period.from.as_deref(), period.to.as_deref(), &ctx).await?;
    Ok(Json(AnalyticsDto::from(&r)))
}

/// One analytics table as CSV (`response_times`, `daily`, `heat_map`,
/// `volume`, `backlog`, `workload`, `reassignments`, `satisfaction`,
/// `access`, `access_by_patient`).
#[utoipa::path(get, path = "/api/v1/analytics/{table}/csv", tag = "analytics", security(("bearer" = [])),
    params(("table" = String, Path), PeriodQuery),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn analytics_csv(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(name): Path<String>,
    ApiQuery(period): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let r = s.app.analytics(&p, period.from.as_deref(), period.to.as_deref(), &ctx).await?;
    let mut all = AnalyticsDto::from(&r).tables;
    let t = all.remove(&name).ok_or(ApiError::Service(ServiceError::NotFound))?;
    Ok(csv::attachment(&format!("switchboard-{name}-{}-{}.csv", r.from, r.to), &t.columns, &t.rows))
}
