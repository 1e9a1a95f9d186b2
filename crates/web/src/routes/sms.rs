//! The SMS gateway's calls to us (Twilio's shape): texts sent to our
//! number, and reports on the texts we sent. Each is signed by the gateway
//! (`X-Twilio-Signature`); an unsigned or wrongly signed request is
//! refused with 403 `signature_invalid`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::notify::escape_html;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(inbound), routes!(status)]
}

const SIGNATURE: &str = "x-twilio-signature";

fn signed_form(headers: &HeaderMap, body: &Bytes) -> Result<(Vec<(String, String)>, String), ApiError> {
    let signature = headers.get(SIGNATURE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let params: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| ServiceError::SignatureInvalid)?;
    Ok((params, signature))
}

/// A text to our number (STOP, START, HELP, or anything else), from the
/// gateway, form-encoded (`From`, `To`, `Body`, …). Answered with TwiML
/// carrying the reply to text back.
#[utoipa::path(post, path = "/api/v1/sms/inbound", tag = "notifications",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "The gateway's fields: From, To, Body, MessageSid…"),
    params(("X-Twilio-Signature" = String, Header, description = "The gateway's signature over the URL and the fields")),
    responses((status = 200, content_type = "text/xml", body = String, description = "TwiML with the reply"),
        (status = 403, body = ErrorBody, description = "not signed by the configured gateway")))]
pub(crate) async fn inbound(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let (params, signature) = signed_form(&headers, &body)?;
    let reply = s.app.sms_received(&params, &signature).await?;
    let message = reply.0.map(|text| format!("<Message>{}</Message>", escape_html(&text))).unwrap_or_default();
    let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{message}</Response>");
    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response())
}

/// The gateway's report on a text we sent (`MessageSid`,
/// `MessageStatus`: delivered, undelivered, failed).
#[utoipa::path(post, path = "/api/v1/sms/status", tag = "notifications",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "The gateway's fields: MessageSid, MessageStatus…"),
    params(("X-Twilio-Signature" = String, Header, description = "The gateway's signature over the URL and the fields")),
    responses((status = 204, description = "recorded"),
        (status = 403, body = ErrorBody, description = "not signed by the configured gateway")))]
pub(crate) async fn status(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let (params, signature) = signed_form(&headers, &body)?;
    s.app.sms_status(&params, &signature).await?;
    Ok(StatusCode::NO_CONTENT)
}
