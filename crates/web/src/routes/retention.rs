//! Keeping the record (administrators and the compliance officer): the
//! practice's retention periods, legal holds, and what the retention job
//! removed.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::{ConversationId, LegalHoldId, PatientId};
use switchboard_domain::retention::HoldTarget;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(settings, set_settings), routes!(holds, place_hold), routes!(release_hold), routes!(removals)]
}

/// How long conversations are kept after their last activity: the
/// default (ten years unless set) and the categories that differ.
#[utoipa::path(get, path = "/api/v1/practice/retention", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = RetentionSettingsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator or the compliance officer")))]
pub(crate) async fn settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<RetentionSettingsDto>, ApiError> {
    Ok(Json(s.app.retention_settings(&p, &ctx).await?.into()))
}

/// Change the retention periods (after proving again who you are). A
/// category's period replaces the default for it; when two match, the
/// longer is kept.
#[utoipa::path(put, path = "/api/v1/practice/retention", tag = "setup", security(("bearer" = [])),
    request_body = RetentionSettingsRequest,
    responses((status = 200, body = RetentionSettingsDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "not an administrator or the compliance officer"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a field at fault (`field` names it)")))]
pub(crate) async fn set_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<RetentionSettingsRequest>,
) -> Result<Json<RetentionSettingsDto>, ApiError> {
    Ok(Json(s.app.set_retention_settings(&p, req.into(), &ctx).await?.into()))
}

/// The practice's legal holds, those in force first.
#[utoipa::path(get, path = "/api/v1/practice/legal-holds", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = LegalHoldListDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator or the compliance officer")))]
pub(crate) async fn holds(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<LegalHoldListDto>, ApiError> {
    let holds = s.app.legal_holds(&p, &ctx).await?;
    Ok(Json(LegalHoldListDto { holds: holds.iter().map(Into::into).collect() }))
}

/// Place a legal hold on a patient or on one conversation (after proving
/// again who you are): nothing it covers is removed until it is released.
#[utoipa::path(post, path = "/api/v1/practice/legal-holds", tag = "setup", security(("bearer" = [])),
    request_body = LegalHoldRequest,
    responses((status = 201, body = IdDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "no such patient or conversation here, or not allowed"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a field at fault (`field` names it)")))]
pub(crate) async fn place_hold(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<LegalHoldRequest>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let target = match (req.patient_id.as_deref(), req.conversation_id.as_deref()) {
        (Some(pt), None) => HoldTarget::Patient(field_id("patient_id", pt, PatientId::parse)?),
        (None, Some(c)) => HoldTarget::Conversation(field_id("conversation_id", c, ConversationId::parse)?),
        _ => {
            return Err(ApiError::Service(ServiceError::Invalid {
                field: "patient_id",
                problem: "name either a patient or a conversation to hold".into(),
            }));
        }
    };
    let id = s.app.place_legal_hold(&p, target, &req.reason, &ctx).await?;
    Ok((StatusCode::CREATED, Json(IdDto { id: id.to_string() })))
}

/// Release a legal hold (after proving again who you are).
#[utoipa::path(post, path = "/api/v1/practice/legal-holds/{hold_id}/release", tag = "setup", security(("bearer" = [])),
    params(("hold_id" = String, Path, format = "uuid")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "no such hold in force, or not allowed")))]
pub(crate) async fn release_hold(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(hold_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&hold_id, LegalHoldId::parse)?;
    s.app.release_legal_hold(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the retention job removed, newest first: ids, counts and times.
#[utoipa::path(get, path = "/api/v1/practice/retention/removals", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = RemovalListDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator or the compliance officer")))]
pub(crate) async fn removals(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<RemovalListDto>, ApiError> {
    let list = s.app.retention_removals(&p, &ctx).await?;
    Ok(Json(RemovalListDto { removals: list.iter().map(Into::into).collect() }))
}
