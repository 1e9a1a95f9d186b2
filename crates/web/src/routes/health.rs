use crate::AppState;
use crate::dto::*;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(healthz), routes!(readyz), routes!(openapi)]
}

/// Liveness: the process is up and answering. It touches nothing else (no
/// database), so a database outage never gets a node restarted: that is
/// what readiness (`/readyz`) is for. No authentication, no PHI.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = HealthDto)))]
pub(crate) async fn healthz() -> Json<HealthDto> {
    Json(HealthDto { status: "ok" })
}

/// Readiness answers within this, even when the database hangs.
const READINESS_LIMIT: Duration = Duration::from_millis(800);

/// Readiness: whether this node can serve now. The database answers, a
/// small durable write commits, and the master keys unwrap the stored data
/// keys and verify the audit chain's head. Answers within a second; 503 with
/// `Retry-After` when not ready. No authentication, no PHI.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = ReadinessDto), (status = 503, body = ReadinessDto)))]
pub(crate) async fn readyz(State(s): State<AppState>) -> Response {
    let r = s.app.readiness(READINESS_LIMIT).await;
    let ready = r.is_ready();
    let body = ReadinessDto {
        status: if ready { "ready" } else { "not_ready" },
        checks: ReadinessChecksDto { database: r.database.as_str(), writes: r.writes.as_str(), keys: r.keys.as_str() },
    };
    if ready {
        return (StatusCode::OK, Json(body)).into_response();
    }
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}

/// This document: the OpenAPI 3.1 description of API v1, generated from the
/// code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub(crate) async fn openapi(State(s): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], s.openapi.to_string())
}
