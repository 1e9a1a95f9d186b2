use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Client, LinkAuth, OwnSession, SESSION_COOKIE};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::mfa::Assurance;
use switchboard_domain::policy::Actor;
use switchboard_service::{LoginOutcome, LoginResult};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(login), routes!(logout), routes!(me)]
}

/// Sign in with a user name and password.
///
/// Returns a session token (also set as an HttpOnly, Secure, SameSite=Strict
/// cookie), or, for an account with a second factor, `mfa_required` and a
/// challenge to give the second factor with (`POST /api/v1/auth/mfa`).
/// Failures give one answer whether or not the account exists; repeated
/// failures are throttled per account and per address (429 with
/// `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginAnswer),
        (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 403, body = ErrorBody, description = "staff whose time to set up the second factor their practice requires has passed (`second_factor_overdue`)"),
        (status = 429, body = ErrorBody, description = "too_many_attempts"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn login(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    match s.app.login(&req.username, req.password, &ctx).await? {
        LoginOutcome::Session(result) => Ok(session_response(result)),
        LoginOutcome::SecondFactor { challenge, methods } => Ok(Json(LoginAnswer::SecondFactor(MfaChallengeDto {
            mfa_required: true,
            challenge,
            methods: methods.into_iter().map(Into::into).collect(),
        }))
        .into_response()),
    }
}

/// A new session's answer: the token in the body and in the cookie.
pub(super) fn session_response(result: LoginResult) -> Response {
    let mut user = UserDto::from(&result.user);
    user.second_factor_setup_required = result.assurance == Assurance::EnrolOnly;
    let body = LoginResponse { user, token: result.token, recovery_codes_left: result.recovery_codes_left };
    let cookie = session_cookie(&body.token);
    let mut res = Json(LoginAnswer::Session(body)).into_response();
    if let Some(v) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The session cookie for a new session's token (the one definition, for
/// every way of signing in).
pub(super) fn session_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")).ok()
}

/// End the session now.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody)))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OwnSession>,
) -> Result<Response, ApiError> {
    s.app.logout(&p, &ctx).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(LinkAuth(p, _): LinkAuth<OwnSession>) -> Json<UserDto> {
    let mut user = UserDto::from(&p.user);
    user.second_factor_setup_required = p.assurance == Assurance::EnrolOnly;
    if let Actor::LinkPatient(l) = &p.actor {
        user.secure_conversation_id = Some(l.conversation.to_string());
    }
    Json(user)
}
