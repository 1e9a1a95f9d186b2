//! Files: uploading one to a conversation (multipart, streamed to the
//! service, never held whole), downloading a file or its preview (streamed
//! from the service, from a sandboxed response that can never run in the
//! app's origin), a patient's documents, filing to the chart, the pool
//! that files documents and its queue.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    ApiJson, Auth, Client, ConversationPath, FileAsked, LinkAuth, OneConversation, field_id, path_id,
};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use switchboard_domain::attachment::{FileName, describe_bytes};
use switchboard_domain::ids::{AttachmentId, PatientId, PoolId};
use switchboard_service::ServiceError;
use switchboard_service::attachments::{Download, DownloadStream, UploadRequest, UploadSource};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(upload),
        routes!(download),
        routes!(preview),
        routes!(file_to_chart),
        routes!(patient_documents),
        routes!(documents_routing, set_documents_routing),
        routes!(documents_to_file),
    ]
}

/// What a downloaded file may do when a browser shows it: nothing. No
/// script, no plugin, no form, no request anywhere but this origin's
/// images and media; a unique origin (`sandbox`), so even an HTML file
/// (which is never accepted) could not reach the app's cookies or pages.
const DOWNLOAD_CSP: &str =
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// The multipart part, read a piece at a time.
struct Part<'r>(multer::Field<'r>, u64);

impl UploadSource for Part<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ServiceError> {
        match self.0.chunk().await {
            Ok(Some(bytes)) => Ok(Some(bytes.to_vec())),
            Ok(None) => Ok(None),
            Err(multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. }) => {
                Err(ServiceError::FileTooLarge(format!(
                    "The file is larger than {}, the most one file may be.",
                    describe_bytes(self.1)
                )))
            }
            Err(_) => Err(ServiceError::invalid("file", "the upload", "was cut off or is not well-formed multipart")),
        }
    }
}

/// Upload a file to a conversation, to send with a message.
///
/// `multipart/form-data` with one part named `file` (its file name and
/// type as the device gives them). What the file is, is decided from its
/// bytes: photos (JPEG, PNG, HEIC), PDF, plain text, video (MP4, MOV) and
/// audio (M4A, AAC, MP3, WebM, Ogg); location and other metadata are removed
/// from photos and videos before they are kept. The upload waits, the
/// uploader's own, until a message names it in `attachment_ids`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One part named `file`."),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 201, body = AttachmentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "a patient not on the practice's current terms (`terms_not_accepted`)"),
        (status = 413, body = ErrorBody, description = "over the limit for one file (`file_too_large`): the upload is cut off there"),
        (status = 415, body = ErrorBody, description = "not `multipart/form-data`"),
        (status = 422, body = ErrorBody, description = "not a kind of file accepted, or not what its name or type says (`file_not_allowed`); a threat found (`file_refused_by_scan`)"),
        (status = 503, body = ErrorBody, description = "the virus scanner cannot be reached (`scan_unavailable`)")))]
pub(crate) async fn upload(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OneConversation>,
    ConversationPath(id): ConversationPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| ApiError::UnsupportedMediaType)?;
    let limit = s.app.config().attachments.limits.file_bytes;
    // The service stops at `limit` file bytes; this stops everything else
    // (other parts, a preamble) a little past it.
    let constraints = multer::Constraints::new().allowed_fields(vec!["file"]).size_limit(
        multer::SizeLimit::new().whole_stream(limit.saturating_add(64 * 1024)).per_field(limit.saturating_add(1)),
    );
    let mut form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let field = match form.next_field().await {
        Ok(Some(f)) => f,
        Ok(None) => return Err(ServiceError::invalid("file", "the upload", "has no part named file").into()),
        Err(multer::Error::UnknownField { .. }) => {
            return Err(ServiceError::invalid("file", "the upload", "must have one part, named file").into());
        }
        Err(_) => return Err(ApiError::Malformed("the request body is not well-formed multipart".into())),
    };
    let request = UploadRequest {
        filename: field.file_name().unwrap_or_default().to_owned(),
        claimed_type: field.content_type().map(ToString::to_string),
    };
    let mut part = Part(field, limit);
    let view = s.app.upload_attachment(&p, id, request, &mut part, &ctx).await?;
    Ok((StatusCode::CREATED, Json(AttachmentDto::from(&view))).into_response())
}

fn attachment_path(id: &str) -> Result<AttachmentId, ApiError> {
    path_id(id, AttachmentId::parse)
}
/// A file or its preview, streamed out.
async fn serve(s: &AppState, file: FileAsked, preview: bool) -> Result<Response, ApiError> {
    Ok(send(s.app.download_attachment(&file.principal, file.id, preview, &file.ctx).await?))
}

/// A sealed blob's plaintext as a response body, opened a chunk at a time
/// as it is sent (attachments, FHIR `Binary`, legal exports).
pub(crate) fn sealed_body(stream: DownloadStream) -> Body {
    let stream = futures_util::stream::unfold(stream, |mut body| async move {
        match body.next().await {
            Ok(Some(bytes)) => Some((Ok::<_, std::io::Error>(bytes), body)),
            Ok(None) => None,
            // The response has begun: all that is left is to cut it short,
            // so the client sees an incomplete download, not a wrong one.
            Err(_) => Some((Err(std::io::Error::other("a stored file could not be read")), body)),
        }
    });
    Body::from_stream(stream)
}

/// The headers that make a download safe to open: its real type (never
/// the app's HTML), shown inline only for photos and PDF, a safe name, no
/// sniffing, and a sandbox.
fn send(d: Download) -> Response {
    let disposition = if d.kind.inline() { "inline" } else { "attachment" };
    let name = FileName::parse(&d.filename).map(|n| n.ascii_fallback()).unwrap_or_else(|_| "file".to_owned());
    let full = utf8_percent_encode(&d.filename, NON_ALPHANUMERIC);
    let mut res = Response::new(sealed_body(d.body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(d.kind.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}\"; filename*=UTF-8''{full}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(size) = d.size {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOWNLOAD_CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// Download a file: one sent in a conversation you may see, or your own
/// upload not yet sent. Everyone else: not found.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Attachment id", format = "uuid")),
    responses((status = 200, description = "The file's bytes, as its own type.", content(
            ("application/octet-stream"), ("image/jpeg"), ("image/png"), ("image/heic"), ("application/pdf"),
            ("text/plain"), ("video/mp4"), ("video/quicktime"), ("audio/mp4"), ("audio/aac"), ("audio/mpeg"),
            ("audio/webm"), ("audio/ogg"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn download(State(s): State<AppState>, file: FileAsked) -> Result<Response, ApiError> {
    serve(&s, file, false).await
}

/// A photo's small preview (JPEG or PNG, at most 320 pixels a side), where
/// one was made.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/preview", tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Attachment id", format = "uuid")),
    responses((status = 200, description = "The preview image.", content(("image/jpeg"), ("image/png"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn preview(State(s): State<AppState>, file: FileAsked) -> Result<Response, ApiError> {
    serve(&s, file, true).await
}

/// Mark a sent file as filed to the patient's chart (staff who may write
/// notes on its conversation; once).
#[utoipa::path(post, path = "/api/v1/attachments/{id}/filing", tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Attachment id", format = "uuid")),
    responses((status = 200, body = AttachmentDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already filed")))]
pub(crate) async fn file_to_chart(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<AttachmentDto>, ApiError> {
    let id = attachment_path(&id)?;
    let view = s.app.file_attachment(&p, id, &ctx).await?;
    Ok(Json((&view).into()))
}

/// A patient's documents: the files sent in the conversations you may see,
/// newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/documents", tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id", format = "uuid")),
    responses((status = 200, body = [DocumentDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn patient_documents(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<DocumentDto>>, ApiError> {
    let id = path_id(&id, PatientId::parse)?;
    let docs = s.app.patient_documents(&p, id, &ctx).await?;
    Ok(Json(docs.iter().map(Into::into).collect()))
}

/// The pool that files documents: the photos, PDFs and text files patients
/// send (not audio or video) wait in its queue until someone files them.
/// `null` when none is named (staff).
#[utoipa::path(get, path = "/api/v1/practice/documents-routing", tag = "attachments", security(("bearer" = [])),
    responses((status = 200, body = DocumentsRoutingDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn documents_routing(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<DocumentsRoutingDto>, ApiError> {
    let pool = s.app.documents_routing(&p, &ctx).await?;
    Ok(Json(DocumentsRoutingDto { pool_id: pool.map(|x| x.to_string()) }))
}

/// Name the pool that files documents, or none with `null` (practice
/// administrators).
#[utoipa::path(put, path = "/api/v1/practice/documents-routing", tag = "attachments", security(("bearer" = [])),
    request_body = DocumentsRoutingDto,
    responses((status = 200, body = DocumentsRoutingDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not one of the practice's pools")))]
pub(crate) async fn set_documents_routing(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<DocumentsRoutingDto>,
) -> Result<Json<DocumentsRoutingDto>, ApiError> {
    let pool = req.pool_id.as_deref().map(|x| field_id("pool_id", x, PoolId::parse)).transpose()?;
    s.app.set_documents_routing(&p, pool, &ctx).await?;
    Ok(Json(DocumentsRoutingDto { pool_id: pool.map(|x| x.to_string()) }))
}

/// The documents patients sent that are still to file, oldest first, in
/// the conversations you may see: for the members of the documents pool
/// and administrators. Filing one takes it off.
#[utoipa::path(get, path = "/api/v1/documents/to-file", tag = "attachments", security(("bearer" = [])),
    responses((status = 200, body = [DocumentToFileDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn documents_to_file(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<Vec<DocumentToFileDto>>, ApiError> {
    let docs = s.app.documents_to_file(&p, &ctx).await?;
    Ok(Json(docs.iter().map(Into::into).collect()))
}
