//! Enrollment's practice-wide rules: the messaging terms (published by
//! administrators, accepted by patients), the soft launch, and the
//! enrollment summary.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, field_id};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::enrollment::{RolloutMode, TermsVersion};
use switchboard_domain::ids::{DepartmentId, PatientId, UserId};
use switchboard_service::ServiceError;
use switchboard_service::enrollment::RolloutInput;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(my_enrollment),
        routes!(accept_terms),
        routes!(terms, publish_terms),
        routes!(rollout, save_rollout),
        routes!(summary),
    ]
}

/// Where the signed-in patient stands: the terms in force, what they
/// accepted, and whether they may start conversations (patients with an
/// account; anyone else gets 404).
#[utoipa::path(get, path = "/api/v1/me/enrollment", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MyEnrollmentDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn my_enrollment(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<MyEnrollmentDto>, ApiError> {
    Ok(Json(s.app.my_enrollment(&p).await?.into()))
}

/// Accept the messaging terms in force (patients with an account). A
/// version that is no longer in force is refused (422, `terms_version`).
#[utoipa::path(post, path = "/api/v1/me/terms-acceptances", tag = "accounts", security(("bearer" = [])),
    request_body = AcceptTermsRequest,
    responses((status = 201, body = AcceptanceDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn accept_terms(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<AcceptTermsRequest>,
) -> Result<(StatusCode, Json<AcceptanceDto>), ApiError> {
    let accepted = s.app.accept_terms(&p, TermsVersion::new(req.version), &ctx).await?;
    Ok((StatusCode::CREATED, Json(accepted.into())))
}

/// Every version of the practice's messaging terms, the one in force first
/// (staff who see the practice's setup).
#[utoipa::path(get, path = "/api/v1/practice/messaging-terms", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = Vec<TermsDto>), (status = 404, body = ErrorBody)))]
pub(crate) async fn terms(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<Vec<TermsDto>>, ApiError> {
    Ok(Json(s.app.messaging_terms(&p, &ctx).await?.into_iter().map(TermsDto::from).collect()))
}

/// Publish new messaging terms (administrators). Enrolled patients are
/// shown them and accept them before they write again.
#[utoipa::path(post, path = "/api/v1/practice/messaging-terms", tag = "setup", security(("bearer" = [])),
    request_body = PublishTermsRequest,
    responses((status = 201, body = TermsDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "someone else published new terms meanwhile")))]
pub(crate) async fn publish_terms(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PublishTermsRequest>,
) -> Result<(StatusCode, Json<TermsDto>), ApiError> {
    let published = s.app.publish_terms(&p, &req.text, &ctx).await?;
    Ok((StatusCode::CREATED, Json(published.into())))
}

fn rollout_dto(r: switchboard_domain::enrollment::Rollout) -> RolloutDto {
    RolloutDto {
        mode: r.mode.as_str().to_owned(),
        department_ids: r.departments.iter().map(ToString::to_string).collect(),
        provider_ids: r.providers.iter().map(ToString::to_string).collect(),
        patient_ids: r.patients.iter().map(ToString::to_string).collect(),
    }
}

fn field_ids<T>(
    field: &'static str,
    list: &[String],
    parse: fn(&str) -> Result<T, switchboard_domain::ids::InvalidId>,
) -> Result<Vec<T>, ApiError> {
    list.iter().map(|t| field_id(field, t, parse)).collect()
}

/// Who patient messaging is on for (staff who see the practice's setup).
#[utoipa::path(get, path = "/api/v1/practice/rollout", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = RolloutDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn rollout(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<RolloutDto>, ApiError> {
    Ok(Json(rollout_dto(s.app.rollout(&p, &ctx).await?)))
}

/// Turn patient messaging on for everyone, or for chosen cohorts first
/// (administrators). Patients outside it cannot be invited or start
/// conversations; they can still answer what the care team sends.
#[utoipa::path(put, path = "/api/v1/practice/rollout", tag = "setup", security(("bearer" = [])),
    request_body = RolloutDto,
    responses((status = 200, body = RolloutDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn save_rollout(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<RolloutDto>,
) -> Result<Json<RolloutDto>, ApiError> {
    let mode = RolloutMode::parse(&req.mode).ok_or_else(|| {
        ApiError::Service(ServiceError::Invalid {
            field: "mode",
            problem: "the mode must be everyone or cohorts".into(),
        })
    })?;
    let input = RolloutInput {
        mode,
        departments: field_ids("department_ids", &req.department_ids, DepartmentId::parse)?,
        providers: field_ids("provider_ids", &req.provider_ids, UserId::parse)?,
        patients: field_ids("patient_ids", &req.patient_ids, PatientId::parse)?,
    };
    Ok(Json(rollout_dto(s.app.set_rollout(&p, input, &ctx).await?)))
}

/// How far enrollment has come: patients, how many the launch includes,
/// enrolled, and on which terms (staff who see the practice's setup).
#[utoipa::path(get, path = "/api/v1/practice/enrollment", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = EnrollmentSummaryDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn summary(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<EnrollmentSummaryDto>, ApiError> {
    Ok(Json(s.app.enrollment_summary(&p, &ctx).await?.into()))
}
