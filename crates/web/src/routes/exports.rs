//! Legal exports of the record (administrators and the compliance
//! officer): ask for one, watch its progress, download it once.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use switchboard_domain::ids::{ConversationId, PatientId, RecordExportId};
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(list, request), routes!(download)]
}

/// The practice's legal exports, newest first, with their progress.
#[utoipa::path(get, path = "/api/v1/practice/exports", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = ExportListDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator or the compliance officer")))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<ExportListDto>, ApiError> {
    let list = s.app.record_exports(&p, &ctx).await?;
    Ok(Json(ExportListDto { exports: list.iter().map(Into::into).collect() }))
}

/// Ask for a legal export of a patient's record or one conversation
/// (after proving again who you are): a PDF, a FHIR Bundle, the files, and
/// a signed manifest of their SHA-256s, in one ZIP archive made by a job.
#[utoipa::path(post, path = "/api/v1/practice/exports", tag = "setup", security(("bearer" = [])),
    request_body = ExportRequest,
    responses((status = 202, body = IdDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "no such patient or conversation here, or not allowed"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a field at fault (`field` names it)")))]
pub(crate) async fn request(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ExportRequest>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let (patient, conversation) = match (req.patient_id.as_deref(), req.conversation_id.as_deref()) {
        (Some(pt), None) => (Some(field_id("patient_id", pt, PatientId::parse)?), None),
        (None, Some(c)) => (None, Some(field_id("conversation_id", c, ConversationId::parse)?)),
        _ => {
            return Err(ApiError::Service(ServiceError::Invalid {
                field: "patient_id",
                problem: "name either a patient or a conversation to export".into(),
            }));
        }
    };
    let id = s.app.request_export(&p, patient, conversation, req.include_notes, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(IdDto { id: id.to_string() })))
}

/// The export's ZIP archive, once (after proving again who you are). It
/// is then removed; a second download is "not found".
#[utoipa::path(get, path = "/api/v1/practice/exports/{export_id}/download", tag = "setup", security(("bearer" = [])),
    params(("export_id" = String, Path, format = "uuid")),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "not ready, already downloaded, expired, or not allowed")))]
pub(crate) async fn download(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(export_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&export_id, RecordExportId::parse)?;
    let d = s.app.download_export(&p, id, &ctx).await?;
    let mut res = Response::new(super::attachments::sealed_body(d.body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(size) = d.size {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}
