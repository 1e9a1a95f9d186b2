use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    ApiJson, ApiQuery, Auth, Client, ConversationPath, IdempotencyKeyHeader, LinkAuth, OneConversation,
    OptionalApiJson, PracticeBasics, field_id, path_id,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchboard_domain::conversation::ConversationStatus;
use switchboard_domain::ids::{
    AttachmentId, ConversationId, DepartmentId, MessageId, PatientId, PoolId, TemplateId, UserId,
};
use switchboard_domain::inbox::{InboxView, Sort};
use switchboard_service::views::SentMessage;
use switchboard_service::{AssignTarget, ConversationFilter, NewConversationInput, ServiceError, StaffFilterAssignee};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(list_conversations, create_conversation),
        routes!(get_conversation),
        routes!(send_message),
        routes!(amend_message),
        routes!(mark_read),
        routes!(add_note),
        routes!(close),
        routes!(mark_unread),
        routes!(reopen),
        routes!(rate),
        routes!(assign),
        routes!(escalate),
        routes!(render_template),
        routes!(screen),
    ]
}

fn invalid(field: &'static str, problem: &str) -> ApiError {
    ApiError::Service(ServiceError::Invalid { field, problem: problem.to_owned() })
}

/// The conversations the caller may see, most recent activity first.
///
/// Patients see their own, or with `patient_id` those of a patient they
/// are a caregiver for; staff see their practice's conversations whose
/// patient is on their care team or in their department, or that are
/// assigned to them.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = ConversationListDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_conversations(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ConversationListDto>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|v| {
            ConversationStatus::parse(v)
                .ok_or_else(|| invalid("status", "the status must be needs_staff_response, awaiting_patient or closed"))
        })
        .transpose()?;
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some("me") => Some(StaffFilterAssignee::User(p.user.id)),
        Some("none") => Some(StaffFilterAssignee::Unassigned),
        Some(id) => Some(StaffFilterAssignee::User(field_id("assignee", id, UserId::parse)?)),
    };
    let patient = q.patient_id.as_deref().map(|v| field_id("patient_id", v, PatientId::parse)).transpose()?;
    let view = q
        .view
        .as_deref()
        .map(|v| InboxView::parse(v).ok_or_else(|| invalid("view", "that is not a known view")))
        .transpose()?;
    let sort = q
        .sort
        .as_deref()
        .map(|v| Sort::parse(v).ok_or_else(|| invalid("sort", "the sort must be recent or attention")))
        .transpose()?;
    let limit = q
        .limit
        .as_deref()
        .map(|v| v.parse::<u32>().map_err(|_| invalid("limit", "the limit must be a whole number between 1 and 200")))
        .transpose()?;
    let page = s
        .app
        .list_conversations(
            &p,
            ConversationFilter { view, status, assignee, patient, sort, cursor: q.cursor, limit },
            &ctx,
        )
        .await?;
    Ok(Json(ConversationListDto {
        conversations: page.items.iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

fn created(sent: &SentMessage, body: impl serde::Serialize) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if sent.replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// Start a conversation with its first message.
///
/// A patient starts one for themselves; staff name the patient. An
/// `Idempotency-Key` header makes a retry safe.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = CreateConversationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first result")),
    responses((status = 201, body = CreatedConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody,
            description = "a patient outside the practice's launch (`messaging_not_open`) or not on its current terms (`terms_not_accepted`)"),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn create_conversation(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> Result<Response, ApiError> {
    let patient_id = req.patient_id.as_deref().map(|v| field_id("patient_id", v, PatientId::parse)).transpose()?;
    let to_provider =
        req.to_provider_id.as_deref().map(|v| field_id("to_provider_id", v, UserId::parse)).transpose()?;
    let input = NewConversationInput {
        patient_id,
        subject: req.subject,
        topic: req.topic,
        body: req.body,
        priority: req.priority,
        to_provider,
        keep_with_me: req.keep_with_me,
        share_with_caregivers: req.share_with_caregivers,
    };
    let sent = s.app.create_conversation(&p, input, key.as_deref(), &ctx).await?;
    Ok(created(
        &sent,
        CreatedConversationDto {
            id: sent.conversation.to_string(),
            message_id: sent.message.to_string(),
            sent_at: sent.sent_at.to_rfc3339(),
        },
    ))
}

/// A conversation with its messages, read receipts and amendments; staff
/// also get internal notes.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_conversation(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OneConversation>,
    ConversationPath(id): ConversationPath,
) -> Result<Json<ConversationDto>, ApiError> {
    let view = s.app.get_conversation(&p, id, &ctx).await?;
    Ok(Json((&view).into()))
}

/// Send a message. Messages are never edited or deleted.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    request_body = MessageRequest,
    params(("id" = String, Path, description = "Conversation id", format = "uuid"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first result")),
    responses((status = 201, body = SentMessageDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "a patient not on the practice's current terms (`terms_not_accepted`), or a file already sent (`conflict`)"),
        (status = 413, body = ErrorBody, description = "the files together are over the limit for one message (`file_too_large`)"),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn send_message(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OneConversation>,
    ConversationPath(id): ConversationPath,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ApiJson(req): ApiJson<MessageRequest>,
) -> Result<Response, ApiError> {
    let files = req
        .attachment_ids
        .iter()
        .map(|a| field_id("attachment_ids", a, AttachmentId::parse))
        .collect::<Result<Vec<_>, _>>()?;
    if files.len() > 20 {
        return Err(ServiceError::invalid("attachment_ids", "a message", "may carry at most 20 files").into());
    }
    let sent = s.app.post_message(&p, id, req.body, &files, key.as_deref(), &ctx).await?;
    Ok(created(
        &sent,
        SentMessageDto {
            id: sent.message.to_string(),
            conversation_id: sent.conversation.to_string(),
            sent_at: sent.sent_at.to_rfc3339(),
        },
    ))
}

/// Append a correction to one of your own messages; the original stays.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages/{message_id}/amendments", tag = "conversations",
    security(("bearer" = [])), request_body = BodyRequest,
    params(("id" = String, Path, description = "Conversation id", format = "uuid"), ("message_id" = String, Path, description = "Message id", format = "uuid")),
    responses((status = 201, body = AuthoredTextDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn amend_message(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path((id, message_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<BodyRequest>,
) -> Result<(StatusCode, Json<AuthoredTextDto>), ApiError> {
    let id = path_id(&id, ConversationId::parse)?;
    let message = path_id(&message_id, MessageId::parse)?;
    let a = s.app.amend_message(&p, id, message, req.body, &ctx).await?;
    Ok((StatusCode::CREATED, Json((&a).into())))
}

/// Mark the other side's messages as read by the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = ReadResultDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn mark_read(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OneConversation>,
    ConversationPath(id): ConversationPath,
) -> Result<Json<ReadResultDto>, ApiError> {
    let marked = s.app.mark_read(&p, id, &ctx).await?;
    Ok(Json(ReadResultDto { marked }))
}

/// Add an internal note, visible to staff only.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "conversations", security(("bearer" = [])),
    request_body = BodyRequest, params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 201, body = AuthoredTextDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn add_note(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<BodyRequest>,
) -> Result<(StatusCode, Json<AuthoredTextDto>), ApiError> {
    let note = s.app.add_note(&p, id, req.body, &ctx).await?;
    Ok((StatusCode::CREATED, Json((&note).into())))
}

/// Close a conversation. A later message from either side reopens it.
///
/// The body is optional. Staff closing an urgent conversation that no
/// staff member has answered must send `{"reason": "…"}` (one line, kept
/// encrypted in the history); without it the answer is 422 with `field`
/// `reason`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")), request_body(content = Option<CloseRequest>),
    responses((status = 200, body = StatusResultDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn close(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    OptionalApiJson(req): OptionalApiJson<CloseRequest>,
) -> Result<Json<StatusResultDto>, ApiError> {
    let status = s.app.close_conversation(&p, id, req.and_then(|r| r.reason), &ctx).await?;
    Ok(Json(StatusResultDto { status: status.into() }))
}

/// Mark a conversation unread for yourself (staff), to come back to it: it
/// shows as unread, and in the Unread view, until you open it again.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/unread", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 204, description = "marked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn mark_unread(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
) -> Result<StatusCode, ApiError> {
    s.app.mark_unread(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check a draft for words that may describe an emergency, with the same
/// screen the server runs on every message, so the 911/988 guidance can be
/// shown before sending. Nothing is stored or logged; sending is never
/// blocked.
#[utoipa::path(post, path = "/api/v1/screen", tag = "conversations", security(("bearer" = [])),
    request_body = BodyRequest,
    responses((status = 200, body = ScreenResultDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn screen(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<PracticeBasics>,
    ApiJson(req): ApiJson<BodyRequest>,
) -> Result<Json<ScreenResultDto>, ApiError> {
    let possible_emergency = s.app.screen_draft(&p, &req.body)?;
    Ok(Json(ScreenResultDto { possible_emergency }))
}

/// Rate a closed conversation (the patient, once): 1 to 5 and an optional
/// comment.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/rating", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")), request_body = RateRequest,
    responses((status = 204, description = "recorded"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn rate(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<RateRequest>,
) -> Result<StatusCode, ApiError> {
    s.app.rate_conversation(&p, id, req.score, req.comment, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reopen a closed conversation (staff).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reopen", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = StatusResultDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn reopen(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
) -> Result<Json<StatusResultDto>, ApiError> {
    let status = s.app.reopen_conversation(&p, id, &ctx).await?;
    Ok(Json(StatusResultDto { status: status.into() }))
}

/// Hand the conversation to a person, a pool or a department (staff), with
/// an optional reason kept in its history; `{"assignee_id": null}` leaves it
/// with nobody in particular. Someone away is never given work: whoever
/// covers for them is.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "conversations", security(("bearer" = [])),
    request_body = AssignRequest, params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = AssignResultDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn assign(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<AssignResultDto>, ApiError> {
    let target = match (req.assignee_id.as_deref(), req.pool_id.as_deref(), req.department_id.as_deref()) {
        (Some(u), None, None) => AssignTarget::Person(field_id("assignee_id", u, UserId::parse)?),
        (None, Some(x), None) => AssignTarget::Pool(field_id("pool_id", x, PoolId::parse)?),
        (None, None, Some(d)) => AssignTarget::Department(field_id("department_id", d, DepartmentId::parse)?),
        (None, None, None) => AssignTarget::Nobody,
        _ => return Err(invalid("assignee_id", "give one of assignee_id, pool_id or department_id")),
    };
    let out = s.app.assign_conversation(&p, id, target, req.reason, &ctx).await?;
    Ok(Json(AssignResultDto {
        assignee: out.assignee.as_ref().map(Into::into),
        covering_for: out.covering_for,
        owner: out.owner_name,
    }))
}

/// Ask a provider for clinical judgement (staff). The note gives them the
/// context; their reply to the patient, or a note back, returns the
/// conversation to you.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/escalate", tag = "conversations", security(("bearer" = [])),
    request_body = EscalateRequest, params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = EscalateResultDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn escalate(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<EscalateRequest>,
) -> Result<Json<EscalateResultDto>, ApiError> {
    let provider = field_id("provider_id", &req.provider_id, UserId::parse)?;
    let who = s.app.escalate(&p, id, provider, req.note, &ctx).await?;
    Ok(Json(EscalateResultDto { escalated_to: (&who).into() }))
}

/// A template filled in for this conversation, to edit and send (staff).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/render-template", tag = "templates", security(("bearer" = [])),
    request_body = RenderTemplateRequest, params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 200, body = RenderedTemplateDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn render_template(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<RenderTemplateRequest>,
) -> Result<Json<RenderedTemplateDto>, ApiError> {
    let template = field_id("template_id", &req.template_id, TemplateId::parse)?;
    let body = s.app.render_template(&p, id, template, &ctx).await?;
    Ok(Json(RenderedTemplateDto { body }))
}
