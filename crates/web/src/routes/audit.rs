use crate::AppState;
use crate::dto::{AuditEventDto, AuditListDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth, Client, field_id};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use switchboard_domain::ids::{PatientId, UserId};
use switchboard_domain::time::Timestamp;
use switchboard_service::{AuditSearch, ServiceError};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQueryParams {
    /// Only events about this patient.
    patient_id: Option<String>,
    /// Only events by this user.
    actor_id: Option<String>,
    /// RFC 3339 date-time (or date), inclusive.
    from: Option<String>,
    /// RFC 3339 date-time (or date), exclusive.
    to: Option<String>,
    /// `next_before` from the previous page.
    before: Option<String>,
    /// Page size, 1–500 (default 100).
    limit: Option<String>,
}

fn time(field: &'static str, v: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(v).map_err(|e| ApiError::Service(ServiceError::Invalid { field, problem: e.to_string() }))
}

fn number<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, ApiError> {
    v.parse().map_err(|_| ApiError::Service(ServiceError::Invalid { field, problem: "must be a whole number".into() }))
}

/// The practice's audit log, newest first: practice administrators and
/// compliance officers only (others get 404).
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])), params(AuditQueryParams),
    responses((status = 200, body = AuditListDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn list_audit_events(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQueryParams>,
) -> Result<Json<AuditListDto>, ApiError> {
    let search = AuditSearch {
        patient: q.patient_id.as_deref().map(|v| field_id("patient_id", v, PatientId::parse)).transpose()?,
        actor: q.actor_id.as_deref().map(|v| field_id("actor_id", v, UserId::parse)).transpose()?,
        from: q.from.as_deref().map(|v| time("from", v)).transpose()?,
        to: q.to.as_deref().map(|v| time("to", v)).transpose()?,
        before: q.before.as_deref().map(|v| number("before", v)).transpose()?,
        limit: q.limit.as_deref().map(|v| number("limit", v)).transpose()?,
    };
    let page = s.app.search_audit(&p, search, &ctx).await?;
    Ok(Json(AuditListDto {
        events: page.entries.iter().map(|(seq, r)| AuditEventDto::new(*seq, r)).collect(),
        next_before: page.next_before,
    }))
}
