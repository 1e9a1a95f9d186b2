use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, Client, ConversationPath, LinkAuth, OneConversation, PracticeBasics};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::role::UserKind;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(counts), routes!(staff), routes!(practice), routes!(typing)]
}

/// How many conversations each staff inbox view holds (staff only), and,
/// for those who file documents, how many are still to file.
#[utoipa::path(get, path = "/api/v1/inbox/counts", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = InboxCountsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn counts(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<InboxCountsDto>, ApiError> {
    let mut counts = InboxCountsDto::from(s.app.inbox_counts(&p).await?);
    counts.to_file = s.app.documents_to_file_count(&p).await?;
    Ok(Json(counts))
}

/// Colleagues who can be assigned conversations (staff only).
#[utoipa::path(get, path = "/api/v1/staff", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = [StaffMemberDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn staff(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<StaffMemberDto>>, ApiError> {
    let staff = s.app.assignable_staff(&p).await?;
    Ok(Json(
        staff
            .iter()
            .map(|m| StaffMemberDto { id: m.id.to_string(), display_name: m.display_name.clone(), role: m.role.into() })
            .collect(),
    ))
}

/// The caller's practice: name, phone, time zone and office hours.
#[utoipa::path(get, path = "/api/v1/practice", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = PracticeDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn practice(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<PracticeBasics>,
) -> Result<Json<PracticeDto>, ApiError> {
    let info = s.app.practice_info(&p).await?;
    let config = s.app.config();
    let message_max_chars = match p.user.kind {
        UserKind::Patient => config.patient_message_max_chars,
        UserKind::Staff => config.staff_message_max_chars,
    };
    let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    Ok(Json(PracticeDto {
        name: info.name,
        time_zone: info.time_zone,
        phone: info.phone,
        after_hours_phone: info.after_hours_phone,
        office_hours: info
            .office_hours
            .iter()
            .map(|(d, o, c)| OfficeHoursDto { weekday: *d, opens: hhmm(*o), closes: hhmm(*c) })
            .collect(),
        message_max_chars,
        attachment_max_bytes: config.attachments.limits.file_bytes,
        message_attachments_max_bytes: config.attachments.limits.message_bytes,
        departments: info
            .departments
            .into_iter()
            .map(|(id, name)| DepartmentDto { id: id.to_string(), name })
            .collect(),
        care_teams: info.care_teams.into_iter().map(|(id, name)| CareTeamDto { id: id.to_string(), name }).collect(),
    }))
}

/// Tell the other side you are writing (shown for a few seconds).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    responses((status = 204, description = "announced"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn typing(
    State(s): State<AppState>,
    Client(ctx): Client,
    LinkAuth(p, _): LinkAuth<OneConversation>,
    ConversationPath(id): ConversationPath,
) -> Result<StatusCode, ApiError> {
    s.app.typing(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
