use crate::AppState;
use crate::error::ApiError;
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::Response;
use switchboard_service::ServiceError;

/// Serves an embedded page or file: anonymous, no PHI.
pub(crate) async fn asset(
    State(s): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.assets.respond(uri.path(), &headers).ok_or(ApiError::Service(ServiceError::NotFound))
}
