//! The signed-in person's own account: a patient's contact details, and a
//! password change for anyone.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_service::my_account::ContactDetails;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(contact, save_contact), routes!(change_password)]
}

/// Your contact details (patients): where the practice can reach you.
#[utoipa::path(get, path = "/api/v1/me/contact", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = ContactDetailsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn contact(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<ContactDetailsDto>, ApiError> {
    let c = s.app.my_contact(&p, &ctx).await?;
    Ok(Json(ContactDetailsDto { email: c.email, phone: c.phone }))
}

/// Change your contact details (patients). An empty or missing value
/// clears it.
#[utoipa::path(put, path = "/api/v1/me/contact", tag = "auth", security(("bearer" = [])), request_body = ContactDetailsDto,
    responses((status = 200, body = ContactDetailsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn save_contact(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ContactDetailsDto>,
) -> Result<Json<ContactDetailsDto>, ApiError> {
    let c = s.app.save_my_contact(&p, ContactDetails { email: req.email, phone: req.phone }, &ctx).await?;
    Ok(Json(ContactDetailsDto { email: c.email, phone: c.phone }))
}

/// Change your password, giving the current one. Wrong current passwords
/// are throttled like failed sign-ins; your other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses((status = 204, description = "changed"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn change_password(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    s.app.change_my_password(&p, req.current_password, req.new_password, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
