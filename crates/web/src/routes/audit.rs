//! The audit log for those who review it: search with names, CSV export,
//! and finding whose trail to search.

use super::csv;
use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, field_id};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use switchboard_domain::audit::{AuditAction, Outcome};
use switchboard_domain::ids::{PatientId, UserId};
use switchboard_domain::time::Timestamp;
use switchboard_service::{AuditSearch, ServiceError};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(list_audit_events), routes!(audit_events_csv), routes!(audit_subjects)]
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ApiError {
    ApiError::Service(ServiceError::Invalid { field, problem: problem.into() })
}

fn time(field: &'static str, v: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(v).map_err(|e| invalid(field, e.to_string()))
}

fn number<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, ApiError> {
    v.parse().map_err(|_| invalid(field, format!("`{field}` must be a whole number")))
}

fn search(q: AuditQueryParams) -> Result<AuditSearch, ApiError> {
    Ok(AuditSearch {
        patient: q.patient_id.as_deref().map(|v| field_id("patient_id", v, PatientId::parse)).transpose()?,
        actor: q.actor_id.as_deref().map(|v| field_id("actor_id", v, UserId::parse)).transpose()?,
        action: q
            .action
            .as_deref()
            .map(|v| AuditAction::parse(v).ok_or_else(|| invalid("action", "that is not an audit action")))
            .transpose()?,
        outcome: q
            .outcome
            .as_deref()
            .map(|v| {
                Outcome::parse(v).ok_or_else(|| invalid("outcome", "the outcome must be success, denied or failed"))
            })
            .transpose()?,
        from: q.from.as_deref().map(|v| time("from", v)).transpose()?,
        to: q.to.as_deref().map(|v| time("to", v)).transpose()?,
        before: q.before.as_deref().map(|v| number("before", v)).transpose()?,
        limit: q.limit.as_deref().map(|v| number("limit", v)).transpose()?,
    })
}

/// The practice's audit log, newest first, with the names of the people in
/// each entry: practice administrators and compliance officers only
/// (others get 404). Naming a patient is itself recorded.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])), params(AuditQueryParams),
    responses((status = 200, body = AuditListDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn list_audit_events(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQueryParams>,
) -> Result<Json<AuditListDto>, ApiError> {
    let page = s.app.search_audit(&p, search(q)?, false, &ctx).await?;
    Ok(Json(AuditListDto {
        events: page.entries.iter().map(AuditEventDto::new).collect(),
        next_before: page.next_before,
    }))
}

/// The same search as a CSV file (up to 10,000 entries, newest first; the
/// `x-truncated: true` header says there were more: narrow the period).
#[utoipa::path(get, path = "/api/v1/audit-events/csv", tag = "audit", security(("bearer" = [])), params(AuditQueryParams),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn audit_events_csv(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQueryParams>,
) -> Result<Response, ApiError> {
    let page = s.app.search_audit(&p, search(q)?, true, &ctx).await?;
    let columns: Vec<String> = [
        "seq",
        "at",
        "action",
        "outcome",
        "actor_kind",
        "actor_id",
        "actor",
        "actor_role",
        "patient_id",
        "patient",
        "resource_type",
        "resource_id",
        "client_addr",
        "detail",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|e| {
            let d = AuditEventDto::new(e);
            vec![
                d.seq.to_string(),
                d.at,
                d.action,
                d.outcome,
                d.actor_kind,
                d.actor_id.unwrap_or_default(),
                d.actor_name.unwrap_or_default(),
                e.actor_role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                d.patient_id.unwrap_or_default(),
                d.patient_name.unwrap_or_default(),
                d.resource_type.unwrap_or_default(),
                d.resource_id.unwrap_or_default(),
                d.client_addr.unwrap_or_default(),
                d.detail.unwrap_or_default(),
            ]
        })
        .collect();
    let mut res = csv::attachment("switchboard-audit-log.csv", &columns, &rows);
    if page.next_before.is_some() {
        res.headers_mut().insert("x-truncated", axum::http::HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Staff and patients whose names contain `q`, to choose whose trail to
/// search (reviewers only; each patient named is recorded, the words
/// searched for are not).
#[utoipa::path(post, path = "/api/v1/audit-events/subjects", tag = "audit", security(("bearer" = [])),
    request_body = SubjectSearch,
    responses((status = 200, body = AuditSubjectsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn audit_subjects(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(q): ApiJson<SubjectSearch>,
) -> Result<Json<AuditSubjectsDto>, ApiError> {
    let found = s.app.audit_subjects(&p, &q.q, &ctx).await?;
    Ok(Json(AuditSubjectsDto {
        staff: found.staff.iter().map(Into::into).collect(),
        patients: found
            .patients
            .into_iter()
            .map(|(id, display_name, birth_date)| AuditPatientDto { id: id.to_string(), display_name, birth_date })
            .collect(),
    }))
}
