//! Office hours, closures, response-time targets and automatic replies;
//! and what a patient is told about when to expect an answer.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, LinkAuth, PracticeBasics, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::auto_reply;
use switchboard_domain::ids::{ClosureId, DepartmentId};
use switchboard_service::response_times::{ResponseSettingsInput, TargetInput};
use switchboard_service::{OpeningPeriod, PracticeContact, ServiceError};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(expectation),
        routes!(save_practice_hours),
        routes!(save_department_hours),
        routes!(response_settings, save_response_settings),
        routes!(add_closure),
        routes!(remove_closure),
    ]
}

/// When a new message would be answered, and the automatic reply it would
/// get: the patient app shows this before sending.
#[utoipa::path(get, path = "/api/v1/practice/expectation", tag = "practice", security(("bearer" = [])),
    params(ExpectationQuery),
    responses((status = 200, body = ExpectationDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn expectation(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<PracticeBasics>,
    ApiQuery(q): ApiQuery<ExpectationQuery>,
) -> Result<Json<ExpectationDto>, ApiError> {
    let e = s.app.expectation(&p, q.topic.as_deref()).await?;
    Ok(Json(ExpectationDto {
        open_now: e.open_now,
        opens_at: e.opens_at.map(|t| t.to_rfc3339()),
        reply_by: e.reply_by.to_rfc3339(),
        reply_by_text: e.reply_by_text,
        message: e.message,
    }))
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `HH:MM` (00:00 to 24:00) as minutes after midnight.
fn minutes(field: &'static str, text: &str) -> Result<u16, ApiError> {
    let bad =
        || ApiError::Service(ServiceError::Invalid { field, problem: "times must be HH:MM, 00:00 to 24:00".into() });
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h * 60 + m > 1440 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn periods(hours: &[HoursInputDto]) -> Result<Vec<OpeningPeriod>, ApiError> {
    hours
        .iter()
        .map(|h| {
            Ok(OpeningPeriod {
                weekday: h.weekday,
                opens_minute: minutes("office_hours", &h.opens)?,
                closes_minute: minutes("office_hours", &h.closes)?,
            })
        })
        .collect()
}

/// Set the practice's time zone, phone and weekly office hours (practice
/// administrators).
#[utoipa::path(put, path = "/api/v1/practice/hours", tag = "practice", security(("bearer" = [])),
    request_body = PracticeHoursDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn save_practice_hours(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
    ApiJson(req): ApiJson<PracticeHoursDto>,
) -> Result<StatusCode, ApiError> {
    let hours = periods(&req.office_hours)?;
    let contact = PracticeContact {
        time_zone: &req.time_zone,
        phone: req.phone.as_deref(),
        after_hours_phone: req.after_hours_phone.as_deref(),
    };
    s.app.save_practice_hours(&p, contact, &hours, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set one department's own hours; an empty list means the practice's
/// hours apply (practice administrators).
#[utoipa::path(put, path = "/api/v1/departments/{id}/hours", tag = "practice", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = DepartmentHoursDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn save_department_hours(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DepartmentHoursDto>,
) -> Result<StatusCode, ApiError> {
    let department = path_id(&id, DepartmentId::parse)?;
    let hours = periods(&req.office_hours)?;
    s.app.set_department_hours(&p, department, &hours, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The response-time targets, automatic replies, closures and department
/// hours (staff of the practice).
#[utoipa::path(get, path = "/api/v1/response-settings", tag = "practice", security(("bearer" = [])),
    responses((status = 200, body = ResponseSettingsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn response_settings(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
) -> Result<Json<ResponseSettingsDto>, ApiError> {
    let v = s.app.response_settings(&p, &ctx).await?;
    Ok(Json(ResponseSettingsDto {
        time_zone: v.time_zone,
        targets: v
            .targets
            .iter()
            .map(|t| TargetDto {
                priority: t.priority.map(|x| x.as_str().to_owned()),
                topic: t.topic.map(|x| x.as_str().to_owned()),
                first_response_minutes: t.target.first_response().as_micros() / 60_000_000,
                next_response_minutes: t.target.next_response().as_micros() / 60_000_000,
                clock: t.target.clock().as_str().to_owned(),
            })
            .collect(),
        due_soon_percent: v.due_soon_percent,
        auto_reply_open: v.auto_reply_open,
        auto_reply_closed: v.auto_reply_closed,
        default_auto_reply_open: auto_reply::DEFAULT_OPEN,
        default_auto_reply_closed: auto_reply::DEFAULT_CLOSED,
        closures: v
            .closures
            .into_iter()
            .map(|c| ClosureDto {
                id: c.id.to_string(),
                department_id: c.department.map(|d| d.to_string()),
                first_day: c.first_day,
                last_day: c.last_day,
                name: c.name,
            })
            .collect(),
        department_hours: v
            .department_hours
            .into_iter()
            .map(|(d, hours)| DepartmentHoursDto {
                department_id: d.to_string(),
                office_hours: hours
                    .iter()
                    .map(|h| HoursInputDto {
                        weekday: h.weekday,
                        opens: hhmm(h.opens_minute),
                        closes: hhmm(h.closes_minute),
                    })
                    .collect(),
            })
            .collect(),
        unread_reminder_minutes: v.unread_reminder_minutes,
        unread_flag_minutes: v.unread_flag_minutes,
    }))
}

/// Replace the response-time targets and automatic replies (practice
/// administrators). Conversations no target covers use the defaults:
/// urgent 1 business hour, routine 4.
#[utoipa::path(put, path = "/api/v1/response-settings", tag = "practice", security(("bearer" = [])),
    request_body = ResponseSettingsInputDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn save_response_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ResponseSettingsInputDto>,
) -> Result<StatusCode, ApiError> {
    let input = ResponseSettingsInput {
        targets: req
            .targets
            .into_iter()
            .map(|t| TargetInput {
                priority: t.priority,
                topic: t.topic,
                first_response_minutes: t.first_response_minutes,
                next_response_minutes: t.next_response_minutes,
                clock: t.clock,
            })
            .collect(),
        due_soon_percent: req.due_soon_percent,
        auto_reply_open: req.auto_reply_open,
        auto_reply_closed: req.auto_reply_closed,
        unread_reminder_minutes: req.unread_reminder_minutes,
        unread_flag_minutes: req.unread_flag_minutes,
    };
    s.app.save_response_settings(&p, input, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a closure: whole days the practice (or one department) is closed
/// (practice administrators).
#[utoipa::path(post, path = "/api/v1/closures", tag = "practice", security(("bearer" = [])), request_body = ClosureDto,
    responses((status = 201, body = IdDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn add_closure(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ClosureDto>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let department =
        req.department_id.as_deref().map(|d| field_id("department_id", d, DepartmentId::parse)).transpose()?;
    let id = s.app.add_closure(&p, department, &req.first_day, &req.last_day, &req.name, &ctx).await?;
    Ok((StatusCode::CREATED, Json(IdDto { id: id.to_string() })))
}

/// Remove a closure (practice administrators).
#[utoipa::path(delete, path = "/api/v1/closures/{id}", tag = "practice", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "removed"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn remove_closure(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let closure = path_id(&id, ClosureId::parse)?;
    s.app.remove_closure(&p, closure, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
