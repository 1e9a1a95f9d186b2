//! Where you are signed in: your open sessions, ending one of them, and
//! ending all but this one. A secure-link session reaches none of these
//! (`Auth` refuses it).

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, Client, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::SessionId;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(list), routes!(end_one), routes!(end_others)]
}

/// Your open sessions (not signed out, not timed out): this one first, then
/// the others, last used first,
/// with the device each was opened on and where, as far as its address
/// tells; `current` marks this one.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SessionListDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<SessionListDto>, ApiError> {
    let sessions = s.app.my_sessions(&p).await?;
    Ok(Json(SessionListDto { sessions: sessions.into_iter().map(SessionDto::from).collect() }))
}

/// Ends one of your sessions (this one too, if named): it is signed out at
/// once, its browser's push subscriptions are dropped, and its live streams
/// close. Another person's session, or one already ended, is 404.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "the session's public id")),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn end_one(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.end_my_session(&p, path_id(&id, SessionId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every one of your sessions but this one.
#[utoipa::path(post, path = "/api/v1/me/sessions/end-others", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SessionsEndedDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn end_others(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<SessionsEndedDto>, ApiError> {
    let ended = s.app.end_my_other_sessions(&p, &ctx).await?;
    Ok(Json(SessionsEndedDto { ended: u64::try_from(ended).unwrap_or(u64::MAX) }))
}
