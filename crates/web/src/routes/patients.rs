//! Patients as administrators manage them: records, the list with
//! enrollment state, invitations, and the CSV import.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, PublicBase, field_id, path_id};
use axum::Json;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use switchboard_domain::ids::{CareTeamId, DepartmentId, PatientId};
use switchboard_domain::onboarding::Channel;
use switchboard_service::ServiceError;
use switchboard_service::patient_admin::{PatientInput, PatientRecord};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(list, create),
        routes!(import).layer(DefaultBodyLimit::max(IMPORT_MAX_BYTES)),
        routes!(one, update),
        routes!(invite, revoke_invitation),
    ]
}

/// The largest import file accepted (about 10,000 patients).
const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;

fn input(r: PatientRecordDto) -> Result<PatientInput, ApiError> {
    let PatientRecordDto { given_name, family_name, birth_date, mrn, email, phone, care_team_id, department_id } = r;
    Ok(PatientInput {
        record: PatientRecord { given_name, family_name, birth_date, mrn, email, phone },
        care_team: care_team_id.as_deref().map(|t| field_id("care_team_id", t, CareTeamId::parse)).transpose()?,
        department: department_id.as_deref().map(|d| field_id("department_id", d, DepartmentId::parse)).transpose()?,
    })
}

/// The patients the caller may enroll, with contact details, enrollment
/// and last sign-in: every patient of the practice for its administrators,
/// the patients of their care teams and departments for colleagues who work
/// conversations. Every patient shown is audited.
#[utoipa::path(get, path = "/api/v1/patient-accounts", tag = "accounts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = [PatientAccountDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<PatientAccountDto>>, ApiError> {
    let (offset, limit) = page(&q)?;
    let rows = s.app.patient_accounts(&p, offset, limit, &ctx).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// One patient of the list, for their page: the record, enrollment and
/// conversation counts (for whoever may see them in the list).
#[utoipa::path(get, path = "/api/v1/patient-accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = PatientPageDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn one(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<PatientPageDto>, ApiError> {
    let (view, open, closed) = s.app.patient_account(&p, path_id(&id, PatientId::parse)?, &ctx).await?;
    Ok(Json(PatientPageDto { account: view.into(), open_conversations: open, closed_conversations: closed }))
}

/// Add a patient record (administrators).
#[utoipa::path(post, path = "/api/v1/patient-accounts", tag = "accounts", security(("bearer" = [])),
    request_body = PatientRecordDto,
    responses((status = 201, body = CreatedDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PatientRecordDto>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    let id = s.app.add_patient_record(&p, input(req)?, &ctx).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id: id.to_string() })))
}

/// Change a patient record (administrators). The whole record: a field
/// left out is cleared.
#[utoipa::path(put, path = "/api/v1/patient-accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = PatientRecordDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PatientRecordDto>,
) -> Result<StatusCode, ApiError> {
    s.app.update_patient_record(&p, path_id(&id, PatientId::parse)?, input(req)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a patient to enroll (administrators, or staff who care for the
/// patient). Earlier open invitations stop working.
#[utoipa::path(post, path = "/api/v1/patient-accounts/{id}/invitation", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = InviteDto,
    responses((status = 201, body = IssuedLinkDto), (status = 400, body = ErrorBody, description = "host_not_allowed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn invite(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    base: PublicBase,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InviteDto>,
) -> Result<(StatusCode, Json<IssuedLinkDto>), ApiError> {
    // Checked by the use case, after the door: a bad channel tells nobody
    // else anything.
    let channel = Channel::parse(&req.channel).filter(|c| *c != Channel::None);
    let link = s.app.invite_patient(&p, path_id(&id, PatientId::parse)?, channel, &ctx).await?;
    Ok((StatusCode::CREATED, Json(issued(&link, &base))))
}

/// Revoke a patient's open invitation.
#[utoipa::path(delete, path = "/api/v1/patient-accounts/{id}/invitation", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_invitation(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_invitation(&p, path_id(&id, PatientId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import patients from an EHR export: a CSV body (`text/csv`) with the
/// columns mrn, given_name, family_name, birth_date and optionally email,
/// phone, care_team, department. All or nothing; matched by medical record
/// number, so it can be run again.
#[utoipa::path(post, path = "/api/v1/patient-accounts/import", tag = "accounts", security(("bearer" = [])),
    params(ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReportDto, description = "imported (or, for a dry run, checked)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ImportReportDto, description = "problems by line; nothing imported")))]
pub(crate) async fn import(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReportDto>), ApiError> {
    let csv_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv")));
    if !csv_type {
        return Err(ApiError::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::Service(ServiceError::Invalid { field: "file", problem: "the file must be UTF-8 text".into() })
    })?;
    let r = s.app.import_patients(&p, text, q.dry_run.unwrap_or(false), &ctx).await?;
    let status = if r.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((
        status,
        Json(ImportReportDto {
            applied: r.applied,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            errors: r
                .errors
                .into_iter()
                .map(|e| LineErrorDto { line: e.line, field: e.field, problem: e.problem })
                .collect(),
        }),
    ))
}

/// The page asked for, refused (not clamped) outside its documented bounds.
fn page(q: &PageQuery) -> Result<(i64, i64), ApiError> {
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    if offset < 0 {
        return Err(ServiceError::Invalid { field: "offset", problem: "the offset must be 0 or more".into() }.into());
    }
    if !(1..=200).contains(&limit) {
        return Err(ServiceError::Invalid { field: "limit", problem: "the limit must be from 1 to 200".into() }.into());
    }
    Ok((offset, limit))
}
