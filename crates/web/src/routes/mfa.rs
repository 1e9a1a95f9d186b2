use super::auth::session_response;
use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, LinkAuth, SecondFactor, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use switchboard_domain::ids::UserId;
use switchboard_service::ServiceError;
use switchboard_service::second_factor::{Proof, SecondStep};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(complete_sign_in),
        routes!(reauthenticate),
        routes!(status),
        routes!(begin_totp, remove_totp),
        routes!(confirm_totp),
        routes!(recovery_codes),
        routes!(staff_policy, set_staff_policy),
        routes!(reset_second_factors),
    ]
}

/// The second step of signing in: the challenge from `POST
/// /api/v1/auth/login` and either a code from the authenticator app (or a
/// recovery code) or a passkey's answer (`passkey`, to the options of `POST
/// /api/v1/auth/mfa/passkey-options`). Each code works once; wrong codes
/// are throttled like passwords, and a challenge takes five tries within
/// five minutes.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth", request_body = MfaCodeRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "a wrong or used code (`invalid_second_factor`), a passkey answer that did not verify or whose options are used or too old (`passkey_refused`), or a challenge that is unknown, spent or too old (`mfa_challenge_invalid`)"),
        (status = 429, body = ErrorBody, description = "too_many_attempts")))]
pub(crate) async fn complete_sign_in(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<MfaCodeRequest>,
) -> Result<Response, ApiError> {
    let step = match (req.code, req.passkey) {
        (Some(code), None) => SecondStep::Code(code),
        (None, Some(answer)) => {
            let credential = credential_text(&answer.credential).ok_or_else(|| ServiceError::Invalid {
                field: "passkey",
                problem: "the passkey's answer must be a JSON object".into(),
            })?;
            SecondStep::Passkey { state: answer.state, credential }
        }
        _ => {
            return Err(
                ServiceError::Invalid { field: "code", problem: "give either a code or a passkey".into() }.into()
            );
        }
    };
    let result = s.app.complete_sign_in(&req.challenge, step, &ctx).await?;
    Ok(session_response(result))
}

/// Prove again who you are (password, a code, or a passkey) before a
/// sensitive action: exports, role and access changes, and removing a
/// second factor ask for it within five minutes
/// (`reauthentication_required` otherwise).
#[utoipa::path(post, path = "/api/v1/auth/reauthenticate", tag = "auth", security(("bearer" = [])),
    request_body = ReauthenticateRequest,
    responses(
        (status = 204, description = "confirmed for the next five minutes"),
        (status = 401, body = ErrorBody, description = "a wrong password (`invalid_credentials`) or code (`invalid_second_factor`), or a passkey answer that did not verify or whose options are used or too old (`passkey_refused`)"),
        (status = 409, body = ErrorBody, description = "passkeys cannot be used at this address (`passkeys_unavailable`)"),
        (status = 429, body = ErrorBody, description = "too_many_attempts")))]
pub(crate) async fn reauthenticate(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ReauthenticateRequest>,
) -> Result<StatusCode, ApiError> {
    let proof = match (req.password, req.code, req.passkey) {
        (Some(pw), None, None) => Proof::Password(pw),
        (None, Some(code), None) => Proof::Code(code),
        (None, None, Some(answer)) => {
            let credential = credential_text(&answer.credential).ok_or_else(|| ServiceError::Invalid {
                field: "passkey",
                problem: "the passkey's answer must be a JSON object".into(),
            })?;
            Proof::Passkey { state: answer.state, credential }
        }
        _ => {
            return Err(ServiceError::Invalid {
                field: "password",
                problem: "give one of the password, a code or a passkey".into(),
            }
            .into());
        }
    };
    s.app.reauthenticate(&p, proof, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your second factors, and whether your practice requires one.
#[utoipa::path(get, path = "/api/v1/me/mfa", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SecondFactorStatusDto)))]
pub(crate) async fn status(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
) -> Result<Json<SecondFactorStatusDto>, ApiError> {
    Ok(Json(s.app.second_factor_status(&p).await?.into()))
}

/// Start setting up an authenticator app: scan the QR code (or type the
/// secret), then confirm with the app's first code within 15 minutes.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 201, body = TotpEnrolmentDto),
        (status = 409, body = ErrorBody, description = "an authenticator app is already set up")))]
pub(crate) async fn begin_totp(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
) -> Result<(StatusCode, Json<TotpEnrolmentDto>), ApiError> {
    let enrolment = s.app.begin_totp(&p, &ctx).await?;
    let dto = TotpEnrolmentDto::new(enrolment).ok_or(ServiceError::Internal)?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Confirm the authenticator app with its first code. Answers ten recovery
/// codes, shown this once.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "auth", security(("bearer" = [])),
    request_body = TotpConfirmRequest,
    responses((status = 200, body = RecoveryCodesDto),
        (status = 401, body = ErrorBody, description = "the code is wrong (`invalid_second_factor`)"),
        (status = 409, body = ErrorBody, description = "nothing to confirm: start again")))]
pub(crate) async fn confirm_totp(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<SecondFactor>,
    ApiJson(req): ApiJson<TotpConfirmRequest>,
) -> Result<Json<RecoveryCodesDto>, ApiError> {
    let recovery_codes = s.app.confirm_totp(&p, &req.code, &ctx).await?;
    Ok(Json(RecoveryCodesDto { recovery_codes }))
}

/// Remove your authenticator app and recovery codes (after proving again
/// who you are). Refused while your practice requires a second factor of
/// you.
#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "removed"),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 409, body = ErrorBody, description = "required by the practice")))]
pub(crate) async fn remove_totp(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<StatusCode, ApiError> {
    s.app.remove_totp(&p, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New recovery codes in place of the old ones (after proving again who you
/// are).
#[utoipa::path(post, path = "/api/v1/me/mfa/recovery-codes", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = RecoveryCodesDto),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 409, body = ErrorBody, description = "no authenticator app is set up")))]
pub(crate) async fn recovery_codes(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<RecoveryCodesDto>, ApiError> {
    let recovery_codes = s.app.regenerate_recovery_codes(&p, &ctx).await?;
    Ok(Json(RecoveryCodesDto { recovery_codes }))
}

/// Whether the practice's staff must sign in with a second factor.
#[utoipa::path(get, path = "/api/v1/practice/second-factor", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = StaffSecondFactorPolicyDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn staff_policy(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<StaffSecondFactorPolicyDto>, ApiError> {
    Ok(Json(s.app.staff_second_factor_policy(&p, &ctx).await?.into()))
}

/// Set whether staff must sign in with a second factor, and the grace
/// period to set one up (administrators, after proving again who they
/// are).
#[utoipa::path(put, path = "/api/v1/practice/second-factor", tag = "setup", security(("bearer" = [])),
    request_body = StaffSecondFactorPolicyDto,
    responses((status = 204, description = "saved"), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 409, body = ErrorBody, description = "the administrator has no second factor of their own yet")))]
pub(crate) async fn set_staff_policy(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<StaffSecondFactorPolicyDto>,
) -> Result<StatusCode, ApiError> {
    s.app.set_staff_second_factor_policy(&p, req.into(), &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an account's second factors (a lost phone), after proving again
/// who you are: they sign in with their password and set up a new one
/// within the practice's grace period.
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor-reset", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "reset"), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required")))]
pub(crate) async fn reset_second_factors(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.reset_second_factors(&p, path_id(&id, UserId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
