//! The deployment operator's API: practices and their first administrators.
//! Authenticated by an operator key (`switchboard operator key create`),
//! never by a user's session.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Client, OperatorAuth, PublicBase};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(practices, create_practice), routes!(audit_events)]
}

/// Create a practice and its first practice administrator (operators).
/// Nobody gets a password: the administrator chooses one through the
/// set-up link returned here, once.
#[utoipa::path(post, path = "/api/v1/operator/practices", tag = "operator", security(("operator" = [])),
    request_body = NewPracticeDto,
    responses((status = 201, body = PracticeCreatedDto), (status = 400, body = ErrorBody, description = "host_not_allowed"),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn create_practice(
    State(s): State<AppState>,
    Client(ctx): Client,
    OperatorAuth(op): OperatorAuth,
    base: PublicBase,
    ApiJson(req): ApiJson<NewPracticeDto>,
) -> Result<(StatusCode, Json<PracticeCreatedDto>), ApiError> {
    let created = s.app.operator_create_practice(&op, &req.name, &req.admin_username, &req.admin_name, &ctx).await?;
    Ok((
        StatusCode::CREATED,
        Json(PracticeCreatedDto {
            practice_id: created.practice.to_string(),
            admin_user_id: created.admin.to_string(),
            setup_link: issued(&created.setup_link, &base),
        }),
    ))
}

/// The deployment's practices, with counts (operators). No health
/// information.
#[utoipa::path(get, path = "/api/v1/operator/practices", tag = "operator", security(("operator" = [])),
    responses((status = 200, body = [PracticeOverviewDto]), (status = 401, body = ErrorBody)))]
pub(crate) async fn practices(
    State(s): State<AppState>,
    Client(ctx): Client,
    OperatorAuth(op): OperatorAuth,
) -> Result<Json<Vec<PracticeOverviewDto>>, ApiError> {
    let rows = s.app.operator_practices(&op, &ctx).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| PracticeOverviewDto {
                id: r.id.to_string(),
                name: r.name,
                created_at: r.created_at.to_rfc3339(),
                active_staff: r.active_staff,
                patients: r.patients,
                enrolled_patients: r.enrolled_patients,
            })
            .collect(),
    ))
}

fn whole(field: &'static str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    v.map(|v| {
        v.parse().map_err(|_| {
            ApiError::Service(switchboard_service::ServiceError::Invalid {
                field,
                problem: format!("`{field}` must be a whole number"),
            })
        })
    })
    .transpose()
}

/// The operator's log (operators): what belongs to no practice, such as
/// sign-in failures for names nobody has and unknown link tokens. Newest
/// first; no health information.
#[utoipa::path(get, path = "/api/v1/operator/audit-events", tag = "operator", security(("operator" = [])),
    params(OperatorAuditParams),
    responses((status = 200, body = crate::dto::AuditListDto), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn audit_events(
    State(s): State<AppState>,
    Client(ctx): Client,
    OperatorAuth(op): OperatorAuth,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<OperatorAuditParams>,
) -> Result<Json<crate::dto::AuditListDto>, ApiError> {
    let before = whole("before", q.before.as_deref())?;
    let limit = whole("limit", q.limit.as_deref())?;
    let page = s.app.operator_audit(&op, before, limit, &ctx).await?;
    Ok(Json(crate::dto::AuditListDto {
        events: page.entries.iter().map(crate::dto::AuditEventDto::new).collect(),
        next_before: page.next_before,
    }))
}
