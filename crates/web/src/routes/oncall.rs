//! The on-call schedule and paging: shifts, the practice's paging
//! settings, acknowledging a page, and who was paged about a conversation.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, ConversationPath, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::{DepartmentId, ShiftId, UserId};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_service::ServiceError;
use switchboard_service::oncall::{PagingSettings, ShiftInput};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(shifts, add_shift),
        routes!(remove_shift),
        routes!(paging, save_paging),
        routes!(acknowledge),
        routes!(pages),
    ]
}

fn time(field: &'static str, v: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(v).map_err(|e| ApiError::Service(ServiceError::Invalid { field, problem: e.to_string() }))
}

/// The on-call schedule (staff who see the practice's setup).
#[utoipa::path(get, path = "/api/v1/on-call", tag = "setup", security(("bearer" = [])), params(ShiftQuery),
    responses((status = 200, body = Vec<ShiftDto>), (status = 404, body = ErrorBody)))]
pub(crate) async fn shifts(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ShiftQuery>,
) -> Result<Json<Vec<ShiftDto>>, ApiError> {
    let from = q.from.as_deref().map(|v| time("from", v)).transpose()?.unwrap_or_else(|| s.app.now());
    let to =
        q.to.as_deref().map(|v| time("to", v)).transpose()?.unwrap_or_else(|| from.plus(Span::from_hours(14 * 24)));
    Ok(Json(s.app.on_call_shifts(&p, from, to, &ctx).await?.iter().map(ShiftDto::from).collect()))
}

/// Add someone to the on-call schedule (administrators).
#[utoipa::path(post, path = "/api/v1/on-call", tag = "setup", security(("bearer" = [])), request_body = ShiftRequest,
    responses((status = 201, body = ShiftDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_shift(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ShiftRequest>,
) -> Result<(StatusCode, Json<ShiftDto>), ApiError> {
    if req.position > 9 {
        return Err(ServiceError::Invalid { field: "position", problem: "the position must be 0 to 9".into() }.into());
    }
    let input = ShiftInput {
        user: field_id("user_id", &req.user_id, UserId::parse)?,
        department: req
            .department_id
            .as_deref()
            .map(|d| field_id("department_id", d, DepartmentId::parse))
            .transpose()?,
        starts_at: time("starts_at", &req.starts_at)?,
        ends_at: time("ends_at", &req.ends_at)?,
        position: req.position,
    };
    let shift = s.app.add_on_call_shift(&p, input, &ctx).await?;
    Ok((StatusCode::CREATED, Json(ShiftDto::from(&shift))))
}

/// Remove a shift from the on-call schedule (administrators).
#[utoipa::path(delete, path = "/api/v1/on-call/{id}", tag = "setup", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "removed"), (status = 404, body = ErrorBody)))]
pub(crate) async fn remove_shift(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_on_call_shift(&p, path_id(&id, ShiftId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long a page waits for an acknowledgement, and the fallback number.
#[utoipa::path(get, path = "/api/v1/practice/paging", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = PagingSettingsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn paging(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<PagingSettingsDto>, ApiError> {
    let v = s.app.paging_settings(&p, &ctx).await?;
    Ok(Json(PagingSettingsDto { ack_minutes: v.ack_minutes, fallback_phone: v.fallback_phone }))
}

/// Set the paging settings (administrators).
#[utoipa::path(put, path = "/api/v1/practice/paging", tag = "setup", security(("bearer" = [])),
    request_body = PagingSettingsDto, responses((status = 200, body = PagingSettingsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn save_paging(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PagingSettingsDto>,
) -> Result<Json<PagingSettingsDto>, ApiError> {
    let settings = PagingSettings { ack_minutes: req.ack_minutes, fallback_phone: req.fallback_phone };
    let v = s.app.save_paging_settings(&p, settings, &ctx).await?;
    Ok(Json(PagingSettingsDto { ack_minutes: v.ack_minutes, fallback_phone: v.fallback_phone }))
}

/// Acknowledge a page from its link (staff who may see the conversation):
/// nobody else is paged about it. Answers the conversation to open; 410
/// for a link that is used up, expired or unknown.
#[utoipa::path(post, path = "/api/v1/pages/acknowledge", tag = "conversations", security(("bearer" = [])),
    request_body = AcknowledgeRequest,
    responses((status = 200, body = AcknowledgedDto), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub(crate) async fn acknowledge(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<AcknowledgeRequest>,
) -> Result<Json<AcknowledgedDto>, ApiError> {
    let conversation = s.app.acknowledge_page(&p, &req.token, &ctx).await?;
    Ok(Json(AcknowledgedDto { conversation_id: conversation.to_string() }))
}

/// Who was paged about a conversation, when, and who acknowledged (staff).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/pages", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = Vec<PageDto>), (status = 404, body = ErrorBody)))]
pub(crate) async fn pages(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
) -> Result<Json<Vec<PageDto>>, ApiError> {
    let list = s.app.conversation_pages(&p, id, &ctx).await?;
    Ok(Json(list.iter().map(PageDto::from).collect()))
}
