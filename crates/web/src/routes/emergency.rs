//! Emergency ("break-glass") access: a clinician finds a patient they are
//! not related to, gives a reason and opens their conversations for a
//! limited time; the compliance officer is told at once.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::{EmergencyAccessId, PatientId};
use switchboard_service::ServiceError;
use switchboard_service::emergency::{EmergencySearch, StartEmergency};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(search), routes!(mine, start), routes!(end), routes!(conversations)]
}

/// Find a patient for emergency access: the whole family name and date of
/// birth, or the MRN, matched exactly (at most 5). Providers, nurses and
/// medical assistants only (others get 404). Every search is recorded, and
/// ten are allowed in fifteen minutes.
#[utoipa::path(post, path = "/api/v1/emergency-access/search", tag = "emergency", security(("bearer" = [])),
    request_body = EmergencySearchRequest,
    responses((status = 200, body = EmergencyMatchListDto),
        (status = 404, body = ErrorBody, description = "the role may not use emergency access"),
        (status = 429, body = ErrorBody, description = "too_many_attempts: too many searches")))]
pub(crate) async fn search(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<EmergencySearchRequest>,
) -> Result<Json<EmergencyMatchListDto>, ApiError> {
    let search = match (req.mrn, req.family_name, req.birth_date) {
        (Some(mrn), None, None) => EmergencySearch::Mrn(mrn),
        (None, Some(family_name), Some(birth_date)) => EmergencySearch::NameAndBirthDate { family_name, birth_date },
        _ => {
            let problem = "give the family name and date of birth, or the medical record number".to_owned();
            return Err(ServiceError::Invalid { field: "mrn", problem }.into());
        }
    };
    let found = s.app.emergency_search(&p, search, &ctx).await?;
    Ok(Json(EmergencyMatchListDto { patients: found.into_iter().map(Into::into).collect() }))
}

/// The caller's emergency access not yet over, soonest to end first (the
/// banner on every staff page).
#[utoipa::path(get, path = "/api/v1/emergency-access", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = EmergencyGrantListDto)))]
pub(crate) async fn mine(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<EmergencyGrantListDto>, ApiError> {
    let grants = s.app.my_emergency_access(&p, &ctx).await?;
    Ok(Json(EmergencyGrantListDto { grants: grants.into_iter().map(Into::into).collect() }))
}

/// Start emergency access to a patient, with a reason. Needs the password
/// or a second factor given within five minutes
/// (`POST /api/v1/auth/reauthenticate`). Recorded, and reported at once to
/// the compliance officer.
#[utoipa::path(post, path = "/api/v1/emergency-access", tag = "emergency", security(("bearer" = [])),
    request_body = StartEmergencyRequest,
    responses((status = 201, body = EmergencyGrantDto),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "no such patient, or the role may not use emergency access"),
        (status = 409, body = ErrorBody, description = "the patient is already the caller's, or already opened in an emergency")))]
pub(crate) async fn start(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<StartEmergencyRequest>,
) -> Result<(StatusCode, Json<EmergencyGrantDto>), ApiError> {
    let patient = PatientId::parse(&req.patient_id).map_err(|_| ServiceError::NotFound)?;
    let grant = s
        .app
        .start_emergency_access(
            &p,
            StartEmergency { patient, reason: req.reason, category: req.category, minutes: req.minutes },
            &ctx,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(grant.into())))
}

/// End one's own emergency access now.
#[utoipa::path(post, path = "/api/v1/emergency-access/{id}/end", tag = "emergency", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "ended"), (status = 404, body = ErrorBody)))]
pub(crate) async fn end(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.end_emergency_access(&p, path_id(&id, EmergencyAccessId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The conversations of the patient of one's active emergency access
/// (they are never listed in the inbox). Each is opened as usual, by id.
#[utoipa::path(get, path = "/api/v1/emergency-access/{id}/conversations", tag = "emergency", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = EmergencyConversationsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn conversations(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<EmergencyConversationsDto>, ApiError> {
    let items = s.app.emergency_conversations(&p, path_id(&id, EmergencyAccessId::parse)?, &ctx).await?;
    Ok(Json(EmergencyConversationsDto { conversations: items.iter().map(Into::into).collect() }))
}
