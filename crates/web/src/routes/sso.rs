//! Single sign-on with the practice's OpenID Connect provider: the sign-in
//! page's buttons, the start (a redirect to the provider) and the return
//! (a redirect back to the sign-in page, with the session cookie set or the
//! second step to give), the practice's settings and a staff account's
//! work email and binding. The browser follows the redirects; the
//! sign-in page reads only a short code from its address.

use super::auth::session_cookie;
use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, PublicBase, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::ids::{PracticeId, UserId};
use switchboard_domain::mfa::Assurance;
use switchboard_service::LoginOutcome;
use switchboard_service::sso::{SsoFailure, SsoReturn};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(providers),
        routes!(start),
        routes!(callback),
        routes!(settings, set_settings),
        routes!(account, set_account_email, unlink),
    ]
}

/// The path the provider sends people back to, after `public_url`.
const CALLBACK: &str = "/api/v1/auth/sso/callback";

/// A 303 to `location` (`headers.rs` adds `no-store` and `no-referrer`,
/// as to every answer).
fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Back to the sign-in page with a failure's short code.
fn failed(f: SsoFailure) -> Response {
    see_other(&format!("/?sso_error={}", f.code()))
}

/// The query string as `T`, or `None` when it is not one (a repeated
/// parameter, a bad encoding).
fn query<T: serde::de::DeserializeOwned>(parts: &Parts) -> Option<T> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).ok()
}

/// The sign-in page's single sign-on buttons: the practice its link names
/// (`?practice=`), or, without one, the only practice on this server whose
/// single sign-on is on. A server with several lists none on a bare page,
/// so that it never tells who its practices are; each practice gives its
/// staff the link with its id.
#[utoipa::path(get, path = "/api/v1/auth/sso/providers", tag = "auth", params(SsoProvidersQuery),
    responses((status = 200, body = Vec<SsoProviderDto>)))]
pub(crate) async fn providers(State(s): State<AppState>, parts: Parts) -> Result<Json<Vec<SsoProviderDto>>, ApiError> {
    let asked = query::<SsoProvidersQuery>(&parts).and_then(|q| q.practice);
    let shown = match asked {
        // A practice the link names that is not one shows nothing.
        Some(text) => match PracticeId::parse(&text) {
            Ok(id) => s.app.sso_providers(Some(id)).await?,
            Err(_) => Vec::new(),
        },
        None => s.app.sso_providers(None).await?,
    };
    Ok(Json(shown.into_iter().map(Into::into).collect()))
}

/// Start a single sign-on: a `303` to the practice's provider (its
/// authorization endpoint, with `response_type=code`, `scope=openid email
/// profile`, a state, a nonce and a PKCE `S256` challenge; the redirect URI
/// is `{public_url}/api/v1/auth/sso/callback`). A practice without single
/// sign-on, a provider that does not answer, or too many starts from one
/// address: a `303` back to the sign-in page with `?sso_error=` and a short
/// code (`unavailable`, `refused`, `throttled`).
#[utoipa::path(get, path = "/api/v1/auth/sso/start", tag = "auth", params(SsoStartQuery),
    responses((status = 303, description = "to the provider, or back to the sign-in page with `sso_error`",
        headers(("Location" = String, description = "where to go next")))))]
pub(crate) async fn start(State(s): State<AppState>, Client(ctx): Client, parts: Parts) -> Response {
    let Some(SsoStartQuery { practice: Some(practice) }) = query::<SsoStartQuery>(&parts) else {
        return failed(SsoFailure::Unavailable);
    };
    let Ok(PublicBase(base)) = PublicBase::from_parts(&parts, &s) else {
        return failed(SsoFailure::Unavailable);
    };
    match s.app.sso_start(&practice, &format!("{base}{CALLBACK}"), &ctx).await {
        Ok(url) => see_other(&url),
        Err(f) => failed(f),
    }
}

/// Where the provider sends the browser back (the redirect URI to register
/// at the provider). Always a `303` to the sign-in page: signed in (the
/// session cookie set, `?sso=signed_in`), the second step to give
/// (`?sso=second_factor`, with the challenge and the methods in the
/// address's fragment, which no server sees), or `?sso_error=` and a short
/// code: `expired` (the state is unknown, used or older than ten minutes),
/// `refused` (the provider refused, or its token failed a check),
/// `no_account`, `email_unverified`, `inactive`, `second_factor_overdue`,
/// `throttled`, `unavailable` or `error`.
#[utoipa::path(get, path = "/api/v1/auth/sso/callback", tag = "auth", params(SsoCallbackQuery),
    responses((status = 303, description = "back to the sign-in page: signed in, the second step, or `sso_error`",
        headers(("Location" = String, description = "the sign-in page"),
            ("Set-Cookie" = String, description = "the session, when signed in")))))]
pub(crate) async fn callback(State(s): State<AppState>, Client(ctx): Client, parts: Parts) -> Response {
    let ret = match query::<SsoCallbackQuery>(&parts) {
        Some(q) => SsoReturn { state: q.state, code: q.code, error: q.error },
        None => SsoReturn::default(),
    };
    match s.app.sso_callback(ret, &ctx).await {
        Ok(LoginOutcome::Session(result)) => {
            let mut res =
                see_other(if result.assurance == Assurance::EnrolOnly { "/security" } else { "/?sso=signed_in" });
            if let Some(v) = session_cookie(&result.token) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Ok(LoginOutcome::SecondFactor { challenge, methods }) => {
            let methods: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            see_other(&format!("/?sso=second_factor#challenge={challenge}&methods={}", methods.join(",")))
        }
        Err(f) => failed(f),
    }
}

/// The address this server is reached at, for the redirect URI shown to
/// administrators (`None` when it cannot tell).
fn redirect_uri(parts: &Parts, s: &AppState) -> Option<String> {
    PublicBase::from_parts(parts, s).ok().map(|PublicBase(base)| format!("{base}{CALLBACK}"))
}

/// The practice's single sign-on settings (`404` until configured).
#[utoipa::path(get, path = "/api/v1/practice/sso", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = SsoSettingsDto), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    parts: Parts,
) -> Result<Json<SsoSettingsDto>, ApiError> {
    let found = s.app.sso_settings(&p, &ctx).await?.ok_or(switchboard_service::ServiceError::NotFound)?;
    Ok(Json(SsoSettingsDto::of(found, redirect_uri(&parts, &s))))
}

/// Configure the practice's OpenID Connect provider (administrators, after
/// proving again who they are). Turning it on needs a client secret and a
/// provider that answers at the issuer URL.
#[utoipa::path(put, path = "/api/v1/practice/sso", tag = "setup", security(("bearer" = [])),
    request_body = SsoSettingsRequest,
    responses((status = 200, body = SsoSettingsDto), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required, or not an administrator"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody, description = "a field at fault (`field` names it)")))]
pub(crate) async fn set_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    parts: Parts,
    ApiJson(req): ApiJson<SsoSettingsRequest>,
) -> Result<Json<SsoSettingsDto>, ApiError> {
    let saved = s.app.set_sso_settings(&p, req.into(), &ctx).await?;
    Ok(Json(SsoSettingsDto::of(saved, redirect_uri(&parts, &s))))
}

/// A staff member's single sign-on: the work email it binds by, and
/// whether it is bound.
#[utoipa::path(get, path = "/api/v1/users/{id}/sso", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = SsoAccountDto), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn account(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<SsoAccountDto>, ApiError> {
    Ok(Json(s.app.sso_account(&p, path_id(&id, UserId::parse)?, &ctx).await?.into()))
}

/// Set (or clear) the work email a staff member's first single sign-on
/// binds them by (administrators, after proving again who they are).
#[utoipa::path(put, path = "/api/v1/users/{id}/sso", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = SsoEmailRequest,
    responses((status = 200, body = SsoAccountDto), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required, or not an administrator"),
        (status = 409, body = ErrorBody, description = "another staff member has this email"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn set_account_email(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SsoEmailRequest>,
) -> Result<Json<SsoAccountDto>, ApiError> {
    let user = path_id(&id, UserId::parse)?;
    Ok(Json(s.app.set_sso_email(&p, user, req.email.as_deref(), &ctx).await?.into()))
}

/// Unlink a staff member from their identity at the provider
/// (administrators, after proving again who they are). Their next single
/// sign-on binds again by their work email.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sso", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "unlinked"), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required, or not an administrator"),
        (status = 409, body = ErrorBody, description = "the account is not linked")))]
pub(crate) async fn unlink(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.unlink_sso(&p, path_id(&id, UserId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
