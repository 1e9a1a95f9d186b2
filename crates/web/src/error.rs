//! Every error the API returns is built here, as
//! `{"error":{"code":"…","message":"…"}}`, with the status that fits.
//! Messages are fixed texts or validation notes about the caller's own
//! input; internal causes are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_service::{ErrorCode, ServiceError, stable_codes};
use utoipa::ToSchema;

stable_codes! {
    /// The codes only the HTTP layer gives: the request never reached a use
    /// case. With the service's [`ErrorCode`]s they are every code a client
    /// can see, and `ErrorDetail::code` lists them all (a test checks).
    pub(crate) enum WebErrorCode {
        MalformedRequest = "malformed_request",
        UnsupportedMediaType = "unsupported_media_type",
        PayloadTooLarge = "payload_too_large",
        MethodNotAllowed = "method_not_allowed",
        CrossSiteRequest = "cross_site_request",
        HostNotAllowed = "host_not_allowed",
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable code to branch on: `unauthenticated`, `invalid_credentials`,
    /// `too_many_attempts`, `not_found`, `invalid_input`, `malformed_request`,
    /// `unsupported_media_type`, `payload_too_large`, `method_not_allowed`,
    /// `conflict`, `idempotency_key_reused`, `link_invalid`, `signature_invalid`, `terms_not_accepted`,
    /// `messaging_not_open`, `file_too_large`, `file_not_allowed`,
    /// `file_refused_by_scan`, `scan_unavailable`, `invalid_second_factor`,
    /// `mfa_challenge_invalid`, `second_factor_overdue`,
    /// `second_factor_enrolment_required`, `reauthentication_required`,
    /// `passkey_refused`, `passkeys_unavailable`, `insufficient_scope` (FHIR only), `unavailable`, `internal`,
    /// `cross_site_request`, `host_not_allowed`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// With `invalid_input`: the request field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub enum ApiError {
    Service(ServiceError),
    /// The request could not be read: bad JSON, bad query string.
    Malformed(String),
    UnsupportedMediaType,
    PayloadTooLarge,
    MethodNotAllowed,
    /// A cookie-borne API request a browser says another site's page made
    /// (`Sec-Fetch-Site` other than `same-origin`).
    CrossSite,
    /// A link was asked for while `public_url` is unset, on a `Host` that is
    /// neither local nor configured (and may be forged).
    HostNotAllowed,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError::Service(e)
    }
}

pub(crate) fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthenticated
        | ErrorCode::InvalidCredentials
        | ErrorCode::InvalidSecondFactor
        | ErrorCode::ChallengeInvalid
        | ErrorCode::PasskeyRefused => StatusCode::UNAUTHORIZED,
        ErrorCode::SecondFactorOverdue
        | ErrorCode::SecondFactorEnrolmentRequired
        | ErrorCode::ReauthenticationRequired => StatusCode::FORBIDDEN,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput | ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict
        | ErrorCode::TermsNotAccepted
        | ErrorCode::MessagingNotOpen
        | ErrorCode::PasskeysUnavailable => StatusCode::CONFLICT,
        ErrorCode::LinkInvalid => StatusCode::GONE,
        ErrorCode::SignatureInvalid | ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::FileNotAllowed | ErrorCode::FileRefusedByScan => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unavailable | ErrorCode::ScanUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn body(status: StatusCode, code: WebErrorCode, message: String) -> Response {
    (status, Json(ErrorBody { error: ErrorDetail { code: code.as_str(), message, field: None } })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Service(e) => {
                let code = e.code();
                let field = match &e {
                    ServiceError::Invalid { field, .. } => Some(*field),
                    _ => None,
                };
                let mut res = (
                    status_of(code),
                    Json(ErrorBody { error: ErrorDetail { code: code.as_str(), message: e.to_string(), field } }),
                )
                    .into_response();
                let h = res.headers_mut();
                match e {
                    ServiceError::Throttled { retry_after_secs } => {
                        if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                            h.insert(header::RETRY_AFTER, v);
                        }
                    }
                    ServiceError::Unavailable | ServiceError::ScanUnavailable => {
                        h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                    }
                    ServiceError::Unauthenticated => {
                        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    }
                    _ => {}
                }
                res
            }
            ApiError::Malformed(message) => body(StatusCode::BAD_REQUEST, WebErrorCode::MalformedRequest, message),
            ApiError::UnsupportedMediaType => body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                WebErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json".into(),
            ),
            ApiError::PayloadTooLarge => body(
                StatusCode::PAYLOAD_TOO_LARGE,
                WebErrorCode::PayloadTooLarge,
                "the request body is too large".into(),
            ),
            ApiError::MethodNotAllowed => body(
                StatusCode::METHOD_NOT_ALLOWED,
                WebErrorCode::MethodNotAllowed,
                "this method is not allowed here".into(),
            ),
            ApiError::CrossSite => body(
                StatusCode::FORBIDDEN,
                WebErrorCode::CrossSiteRequest,
                "the session cookie is accepted only on requests from this site's own pages".into(),
            ),
            // The host is not repeated: it is the caller's value.
            ApiError::HostNotAllowed => body(
                StatusCode::BAD_REQUEST,
                WebErrorCode::HostNotAllowed,
                "links are made only for this server's configured address: the operator sets public_url \
                 (or lists this host in allowed_hosts)"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The codes `ErrorDetail::code` documents (in the served OpenAPI
    /// document) are exactly the codes there are.
    #[test]
    fn the_documented_codes_are_every_code() {
        let doc: serde_json::Value = serde_json::from_str(&crate::openapi_json()).unwrap();
        let text = doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["description"].as_str().unwrap();
        // The codes are the `quoted` words.
        let documented: BTreeSet<&str> = text.split('`').skip(1).step_by(2).collect();
        let codes: Vec<&str> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).chain(WebErrorCode::ALL.iter().map(|c| c.as_str())).collect();
        let distinct: BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), codes.len(), "a code is given twice: {codes:?}");
        assert_eq!(documented, distinct);
    }
}
