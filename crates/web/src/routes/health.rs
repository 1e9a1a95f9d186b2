use crate::AppState;
use crate::dto::HealthDto;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Liveness and database health. No authentication, no PHI.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = HealthDto), (status = 503, body = HealthDto)))]
pub(crate) async fn healthz(State(s): State<AppState>) -> (StatusCode, Json<HealthDto>) {
    if s.app.healthy().await {
        (StatusCode::OK, Json(HealthDto { status: "ok" }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(HealthDto { status: "degraded" }))
    }
}

/// This document: the OpenAPI 3.1 description of API v1, generated from the
/// code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::openapi_json())
}
