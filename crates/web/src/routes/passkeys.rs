use super::auth::session_response;
use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, LinkAuth, PasskeyHost, SecondFactor, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use switchboard_domain::ids::PasskeyId;
use switchboard_service::ServiceError;
use switchboard_service::passkeys::PasskeyCeremony;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(second_factor_options),
        routes!(reauthentication_options),
        routes!(sign_in_options),
        routes!(sign_in),
        routes!(list, register),
        routes!(registration_options),
        routes!(remove),
    ]
}

fn options(c: PasskeyCeremony) -> Result<Json<PasskeyOptionsDto>, ApiError> {
    Ok(Json(PasskeyOptionsDto::new(c).ok_or(ServiceError::Internal)?))
}

/// The credential as JSON text, when it is a JSON object.
fn credential(value: &serde_json::Value) -> Result<String, ApiError> {
    credential_text(value).ok_or_else(|| {
        ServiceError::Invalid { field: "credential", problem: "the passkey's answer must be a JSON object".into() }
            .into()
    })
}

/// Options for the sign-in's second step with a passkey (when `POST
/// /api/v1/auth/login` listed `passkey` among the `methods`): pass
/// `publicKey` to `navigator.credentials.get`, then send the answer and
/// `state` to `POST /api/v1/auth/mfa` as `passkey`.
#[utoipa::path(post, path = "/api/v1/auth/mfa/passkey-options", tag = "auth", request_body = MfaPasskeyOptionsRequest,
    responses(
        (status = 200, body = PasskeyOptionsDto),
        (status = 401, body = ErrorBody, description = "a challenge that is unknown, spent or too old (`mfa_challenge_invalid`)"),
        (status = 409, body = ErrorBody, description = "the account has no passkey (`conflict`), or passkeys cannot be used at this address, such as an IP address (`passkeys_unavailable`)")))]
pub(crate) async fn second_factor_options(
    State(s): State<AppState>,
    Client(ctx): Client,
    _host: PasskeyHost,
    ApiJson(req): ApiJson<MfaPasskeyOptionsRequest>,
) -> Result<Json<PasskeyOptionsDto>, ApiError> {
    options(s.app.second_factor_passkey_options(&req.challenge, &ctx).await?)
}

/// Options to prove again who you are with a passkey (before a sensitive
/// action): pass `publicKey` to `navigator.credentials.get`, then send the
/// answer and `state` to `POST /api/v1/auth/reauthenticate` as `passkey`
/// within five minutes.
#[utoipa::path(post, path = "/api/v1/auth/reauthenticate/passkey-options", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, body = PasskeyOptionsDto),
        (status = 409, body = ErrorBody, description = "the account has no passkey (`conflict`), or passkeys cannot be used at this address, such as an IP address (`passkeys_unavailable`)")))]
pub(crate) async fn reauthentication_options(
    State(s): State<AppState>,
    Auth(p): Auth,
    _host: PasskeyHost,
) -> Result<Json<PasskeyOptionsDto>, ApiError> {
    options(s.app.reauthentication_passkey_options(&p).await?)
}

/// Options to sign in with a passkey alone (no user name, no password):
/// pass `publicKey` to `navigator.credentials.get`, then send the answer
/// and `state` to `POST /api/v1/auth/passkey` within five minutes.
/// Counted per address.
#[utoipa::path(post, path = "/api/v1/auth/passkey/options", tag = "auth",
    responses(
        (status = 200, body = PasskeyOptionsDto),
        (status = 409, body = ErrorBody, description = "passkeys cannot be used at this address, such as an IP address (`passkeys_unavailable`)"),
        (status = 429, body = ErrorBody, description = "too_many_attempts")))]
pub(crate) async fn sign_in_options(
    State(s): State<AppState>,
    Client(ctx): Client,
    _host: PasskeyHost,
) -> Result<Json<PasskeyOptionsDto>, ApiError> {
    options(s.app.passkey_sign_in_options(&ctx).await?)
}

/// Sign in with a passkey alone. The authenticator checked its user (PIN
/// or biometric) and holds the key: the answer is a full session, as after
/// a password and a second factor. Throttled per address; audited.
#[utoipa::path(post, path = "/api/v1/auth/passkey", tag = "auth", request_body = PasskeyAnswerDto,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "the passkey's answer did not verify or names no registered passkey (`passkey_refused`), or its options are unknown, used or too old (`mfa_challenge_invalid`)"),
        (status = 409, body = ErrorBody, description = "passkeys cannot be used at this address (`passkeys_unavailable`)"),
        (status = 429, body = ErrorBody, description = "too_many_attempts")))]
pub(crate) async fn sign_in(
    State(s): State<AppState>,
    Client(ctx): Client,
    _host: PasskeyHost,
    ApiJson(req): ApiJson<PasskeyAnswerDto>,
) -> Result<Response, ApiError> {
    let credential = credential(&req.credential)?;
    Ok(session_response(s.app.passkey_sign_in(&req.state, &credential, &ctx).await?))
}

/// Your passkeys: name, when added, when last used.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<PasskeyDto>)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
) -> Result<Json<Vec<PasskeyDto>>, ApiError> {
    Ok(Json(s.app.passkeys(&p).await?.iter().map(PasskeyDto::from).collect()))
}

/// Options to add a passkey: pass `publicKey` to
/// `navigator.credentials.create`, then send the answer and `state` to
/// `POST /api/v1/me/passkeys` within five minutes.
#[utoipa::path(post, path = "/api/v1/me/passkeys/options", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = PasskeyOptionsDto),
        (status = 409, body = ErrorBody, description = "passkeys cannot be used at this address (`passkeys_unavailable`)")))]
pub(crate) async fn registration_options(
    State(s): State<AppState>,
    Client(ctx): Client,
    _host: PasskeyHost,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
) -> Result<Json<PasskeyOptionsDto>, ApiError> {
    options(s.app.passkey_registration_options(&p, &ctx).await?)
}

/// Add the passkey the browser made. It is a second factor, and signs in
/// alone too. A session that could only set up a second factor can then do
/// everything.
#[utoipa::path(post, path = "/api/v1/me/passkeys", tag = "auth", security(("bearer" = [])),
    request_body = PasskeyRegistrationRequest,
    responses((status = 201, body = PasskeyDto),
        (status = 409, body = ErrorBody, description = "the options are unknown, used or too old, or the passkey is already registered (`conflict`); passkeys cannot be used at this address (`passkeys_unavailable`)"),
        (status = 422, body = ErrorBody, description = "the passkey's answer was not accepted, or the name is not acceptable (`invalid_input`)")))]
pub(crate) async fn register(
    State(s): State<AppState>,
    Client(ctx): Client,
    _host: PasskeyHost,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
    ApiJson(req): ApiJson<PasskeyRegistrationRequest>,
) -> Result<(StatusCode, Json<PasskeyDto>), ApiError> {
    let credential = credential(&req.credential)?;
    let view = s.app.register_passkey(&p, &req.state, &credential, req.name.as_deref(), &ctx).await?;
    Ok((StatusCode::CREATED, Json(PasskeyDto::from(&view))))
}

/// Remove one of your passkeys (after proving again who you are). Refused
/// when it is your last second factor and your practice requires one of
/// staff.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "removed"), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 409, body = ErrorBody, description = "the last second factor the practice requires")))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_passkey(&p, path_id(&id, PasskeyId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
