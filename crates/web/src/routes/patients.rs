//! Patients as administrators manage them: records, the list with
//! enrollment state, invitations, and the CSV import.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, PublicBase, field_id, path_id};
use crate::routes::accounts::{IssuedLinkDto, issued};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use switchboard_domain::ids::{CareTeamId, DepartmentId, PatientId};
use switchboard_domain::onboarding::Channel;
use switchboard_service::ServiceError;
use switchboard_service::patient_admin::{PatientAccountView, PatientInput};
use utoipa::{IntoParams, ToSchema};

/// The largest import file accepted (about 10,000 patients).
pub(crate) const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientRecordDto {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    #[serde(default)]
    pub mrn: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub care_team_id: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
}

fn input(r: PatientRecordDto) -> Result<PatientInput, ApiError> {
    Ok(PatientInput {
        given_name: r.given_name,
        family_name: r.family_name,
        birth_date: r.birth_date,
        mrn: r.mrn,
        email: r.email,
        phone: r.phone,
        care_team: r.care_team_id.as_deref().map(|t| field_id("care_team_id", t, CareTeamId::parse)).transpose()?,
        department: r
            .department_id
            .as_deref()
            .map(|d| field_id("department_id", d, DepartmentId::parse))
            .transpose()?,
    })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationDto {
    pub channel: &'static str,
    /// `sent`, `opened`, `enrolled`, `expired` or `revoked`.
    pub state: &'static str,
    pub sent_at: String,
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientAccountDto {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub mrn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The care team's and department's names, and their ids (for `PUT`).
    pub care_team: Option<String>,
    pub department: Option<String>,
    pub care_team_id: Option<String>,
    pub department_id: Option<String>,
    /// The patient's account, once enrolled.
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub active: Option<bool>,
    pub last_sign_in_at: Option<String>,
    /// They asked for a password reset on the sign-in page (within the last
    /// week) and nobody has issued them a reset link since.
    pub reset_requested_at: Option<String>,
    /// `enrolled`, `not_invited`, or the latest invitation's state.
    pub enrollment: &'static str,
    pub invitation: Option<InvitationDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// How many to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// How many to return (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl PageQuery {
    /// The page asked for, refused (not clamped) outside its documented bounds.
    fn page(&self) -> Result<(i64, i64), ApiError> {
        let offset = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(100);
        if offset < 0 {
            return Err(ServiceError::Invalid { field: "offset", problem: "must be 0 or more".into() }.into());
        }
        if !(1..=200).contains(&limit) {
            return Err(ServiceError::Invalid { field: "limit", problem: "must be from 1 to 200".into() }.into());
        }
        Ok((offset, limit))
    }
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
    let (offset, limit) = q.page()?;
    let rows = s.app.patient_accounts(&p, offset, limit, &ctx).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

impl From<PatientAccountView> for PatientAccountDto {
    fn from(v: PatientAccountView) -> Self {
        PatientAccountDto {
            id: v.id.to_string(),
            given_name: v.given_name,
            family_name: v.family_name,
            birth_date: v.birth_date,
            mrn: v.mrn,
            email: v.email,
            phone: v.phone,
            care_team: v.care_team,
            department: v.department,
            care_team_id: v.care_team_id.map(|t| t.to_string()),
            department_id: v.department_id.map(|d| d.to_string()),
            user_id: v.user.map(|u| u.to_string()),
            username: v.username,
            active: v.active,
            last_sign_in_at: v.last_sign_in_at.map(|t| t.to_rfc3339()),
            reset_requested_at: v.reset_requested_at.map(|t| t.to_rfc3339()),
            enrollment: v.enrollment,
            invitation: v.invitation.map(|i| InvitationDto {
                channel: i.channel,
                state: i.state,
                sent_at: i.sent_at.to_rfc3339(),
                expires_at: i.expires_at.to_rfc3339(),
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientPageDto {
    #[serde(flatten)]
    pub account: PatientAccountDto,
    /// How many of their conversations are open and closed. Those who work
    /// the patient's conversations list them with
    /// `GET /api/v1/conversations?patient_id=`.
    pub open_conversations: i64,
    pub closed_conversations: i64,
}

/// One patient of the list, for their page: the record, enrollment and
/// conversation counts (for whoever may see them in the list).
#[utoipa::path(get, path = "/api/v1/patient-accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)),
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

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedDto {
    pub id: String,
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
    params(("id" = String, Path)), request_body = PatientRecordDto,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteDto {
    /// `email`, `sms` or `desk`. Until email and SMS delivery exist, the
    /// link is returned once, to hand over.
    pub channel: String,
}

/// Invite a patient to enroll (administrators, or staff who care for the
/// patient). Earlier open invitations stop working.
#[utoipa::path(post, path = "/api/v1/patient-accounts/{id}/invitation", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = InviteDto,
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
    params(("id" = String, Path)),
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// `true`: check and count, write nothing.
    pub dry_run: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LineErrorDto {
    pub line: usize,
    pub field: String,
    pub problem: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ImportReportDto {
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Every problem, by line. Any problem and nothing is imported.
    pub errors: Vec<LineErrorDto>,
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
        ApiError::Service(ServiceError::Invalid { field: "file", problem: "must be UTF-8 text".into() })
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
