//! Secure links: staff send a conversation to its patient by the address
//! on file; the holder proves who they are (date of birth, then a one-time
//! code) and gets a session that reaches that conversation only. Tokens
//! travel in request bodies, never in URLs.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, LinkAuth, OptionalApiJson, OwnSession, SESSION_COOKIE, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::ids::{ConversationId, SecureLinkId};
use switchboard_domain::notify::Medium;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(send_secure_link),
        routes!(secure_link_status),
        routes!(inspect_secure_link),
        routes!(secure_birth_date),
        routes!(secure_session),
        routes!(secure_enrollment),
    ]
}

/// Send the conversation's patient a secure link (staff who work the
/// conversation): "You have a secure message from …" by SMS or email to
/// the address on file, enrolled or not. The link works once, for 72
/// hours, after the patient's date of birth and a one-time code.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/secure-links", tag = "conversations",
    security(("bearer" = [])), request_body = SendSecureLinkRequest,
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 201, body = SecureLinkSentDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "no such address on file")))]
pub(crate) async fn send_secure_link(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    OptionalApiJson(req): OptionalApiJson<SendSecureLinkRequest>,
) -> Result<(StatusCode, Json<SecureLinkSentDto>), ApiError> {
    let id = path_id(&id, ConversationId::parse)?;
    let medium = match req.and_then(|r| r.medium) {
        None => None,
        Some(m) => match Medium::parse(&m) {
            Some(m @ (Medium::Sms | Medium::Email)) => Some(m),
            _ => {
                return Err(ApiError::Service(ServiceError::Invalid {
                    field: "medium",
                    problem: "the medium must be sms or email".into(),
                }));
            }
        },
    };
    let sent = s.app.send_secure_link(&p, &ctx, id, medium).await?;
    Ok((
        StatusCode::CREATED,
        Json(SecureLinkSentDto {
            id: sent.id.to_string(),
            medium: Code(sent.medium),
            expires_at: sent.expires_at.to_rfc3339(),
        }),
    ))
}

/// What became of a secure link sent about the conversation (staff who
/// may send one): the message's medium and state (`queued` until it is
/// tried; `failed` with `no_channel` where nothing can send it), and
/// whether the patient opened and used the link.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/secure-links/{link_id}", tag = "conversations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid"),
        ("link_id" = String, Path, description = "Secure link id", format = "uuid")),
    responses((status = 200, body = SecureLinkStatusDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn secure_link_status(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path((id, link_id)): Path<(String, String)>,
) -> Result<Json<SecureLinkStatusDto>, ApiError> {
    let id = path_id(&id, ConversationId::parse)?;
    let link = path_id(&link_id, SecureLinkId::parse)?;
    let v = s.app.secure_link_status(&p, &ctx, id, link).await?;
    Ok(Json(SecureLinkStatusDto {
        id: v.id.to_string(),
        medium: Code(v.medium),
        state: Code(v.state),
        reason: v.reason,
        sent_at: v.sent_at.map(|t| t.to_rfc3339()),
        expires_at: v.expires_at.to_rfc3339(),
        opened_at: v.opened_at.map(|t| t.to_rfc3339()),
        used_at: v.used_at.map(|t| t.to_rfc3339()),
    }))
}

/// What a secure link is (and marks it opened): the practice's name and
/// how the code will travel. Unknown, used, revoked and expired links all
/// answer 410 `link_invalid`.
#[utoipa::path(post, path = "/api/v1/secure-links/inspect", tag = "accounts", request_body = SecureLinkTokenRequest,
    responses((status = 200, body = SecureLinkInfoDto), (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn inspect_secure_link(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SecureLinkTokenRequest>,
) -> Result<Json<SecureLinkInfoDto>, ApiError> {
    let info = s.app.inspect_secure_link(&req.token, &ctx).await?;
    Ok(Json(SecureLinkInfoDto {
        practice_name: info.practice_name,
        medium: Code(info.medium),
        code_sent: info.code_sent,
    }))
}

/// The holder's date of birth. The answer is the same whether it matched
/// or not; if it did, a six-digit code (10 minutes, once) goes to the
/// address on file. Five wrong dates revoke the link (then 410).
#[utoipa::path(post, path = "/api/v1/secure-links/birth-date", tag = "accounts", request_body = SecureBirthDateRequest,
    responses((status = 202, body = SecureCodeSentDto), (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn secure_birth_date(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SecureBirthDateRequest>,
) -> Result<(StatusCode, Json<SecureCodeSentDto>), ApiError> {
    let medium = s.app.confirm_secure_birth_date(&req.token, Some(&req.birth_date), &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(SecureCodeSentDto { medium: Code(medium) })))
}

/// The one-time code: opens a session (token, and the session cookie)
/// that reaches the link's conversation and nothing else, and spends the
/// link. A wrong or expired code is 422 on `code`; five revoke the link.
#[utoipa::path(post, path = "/api/v1/secure-links/session", tag = "accounts", request_body = SecureCodeRequest,
    responses((status = 201, body = SecureSessionDto), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn secure_session(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SecureCodeRequest>,
) -> Result<Response, ApiError> {
    let opened = s.app.open_secure_link(&req.token, &req.code, &ctx).await?;
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict", opened.token);
    let body = SecureSessionDto { token: opened.token, conversation_id: opened.conversation.to_string() };
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Enroll fully (a secure-link session of a patient without an account):
/// an invitation goes to the address on file, as staff would send it.
#[utoipa::path(post, path = "/api/v1/secure-links/enrollment", tag = "accounts", security(("bearer" = [])),
    responses((status = 202, body = SecureEnrollmentDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already enrolled")))]
pub(crate) async fn secure_enrollment(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OwnSession>,
) -> Result<(StatusCode, Json<SecureEnrollmentDto>), ApiError> {
    let medium = s.app.enroll_from_secure_link(&p, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(SecureEnrollmentDto { medium: Code(medium) })))
}
