//! Sensitive records: the practice's settings of who reads which sensitive
//! categories and topics (administrators), and marking a conversation
//! sensitive (clinical staff who may read it).

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, ConversationPath};
use axum::Json;
use axum::extract::State;
use switchboard_domain::role::StaffRole;
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::topic::Topic;
use switchboard_service::ServiceError;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(sensitivity_settings, set_sensitivity_settings), routes!(set_conversation_sensitivity)]
}

fn invalid(field: &'static str, problem: &str) -> ApiError {
    ApiError::Service(ServiceError::Invalid { field, problem: problem.to_owned() })
}

fn category(text: &str) -> Result<Sensitivity, ApiError> {
    Sensitivity::parse(text).ok_or_else(|| {
        invalid("category", "the category must be behavioural_health, reproductive_health or substance_use")
    })
}

fn role(text: &str) -> Result<StaffRole, ApiError> {
    StaffRole::parse(text).ok_or_else(|| invalid("role", "that is not a staff role"))
}

/// Who reads what (practice administrators): for each sensitive category,
/// the roles that read conversations marked with it; for the front desk
/// and billing, the topics whose content they read. Staff related to a
/// patient who may not read a conversation still see its row in their
/// lists (patient, topic, status, waiting time, owner), never its subject,
/// messages, notes or files.
#[utoipa::path(get, path = "/api/v1/practice/sensitivity", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = SensitivitySettingsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator of the practice")))]
pub(crate) async fn sensitivity_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<SensitivitySettingsDto>, ApiError> {
    let settings = s.app.sensitivity_settings(&p, &ctx).await?;
    Ok(Json((&settings).into()))
}

/// Replace who reads what (practice administrators). A category or role
/// left out is granted to nobody; topics are granted only to the front
/// desk and billing (clinical roles read every topic); administrators and
/// compliance officers read no conversation, whatever is granted. Sessions
/// follow the change at their next request. `topic_marks`, when given,
/// replaces the topics marked sensitive: a conversation on such a topic
/// starts with that mark, and a topic newly marked marks the practice's
/// conversations on it that have none (each audited).
#[utoipa::path(put, path = "/api/v1/practice/sensitivity", tag = "setup", security(("bearer" = [])),
    request_body = SensitivitySettingsRequest,
    responses((status = 200, body = SensitivitySettingsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator of the practice"),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "an unknown category, role or topic, or a grant a role cannot hold")))]
pub(crate) async fn set_sensitivity_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<SensitivitySettingsRequest>,
) -> Result<Json<SensitivitySettingsDto>, ApiError> {
    let mut categories = Vec::new();
    for g in &req.categories {
        let c = category(&g.category)?;
        for r in &g.roles {
            categories.push((c, role(r)?));
        }
    }
    let mut topics = Vec::new();
    for g in &req.topics {
        let r = role(&g.role)?;
        for t in &g.topics {
            topics.push((Topic::parse(t).ok_or_else(|| invalid("topics", "that is not a topic"))?, r));
        }
    }
    let topic_marks = match &req.topic_marks {
        None => None,
        Some(marks) => Some(
            marks
                .iter()
                .map(|m| {
                    let t = Topic::parse(&m.topic).ok_or_else(|| invalid("topic_marks", "that is not a topic"))?;
                    Ok((t, category(&m.category)?))
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
    };
    let settings = s.app.set_sensitivity_settings(&p, &ctx, categories, topics, topic_marks).await?;
    Ok(Json((&settings).into()))
}

/// Mark a conversation sensitive with a category, or clear the mark with
/// `{"category": null}`: providers, nurses and medical assistants who may
/// read it. From then on only roles the practice grants the category read
/// it (the others see its row only, without the mark); by default
/// `substance_use` (42 CFR Part 2) is for providers alone. Audited.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/sensitivity", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id", format = "uuid")),
    request_body = SetSensitivityRequest,
    responses((status = 200, body = SensitivityResultDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such conversation, or the caller may not mark it"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a category")))]
pub(crate) async fn set_conversation_sensitivity(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<SetSensitivityRequest>,
) -> Result<Json<SensitivityResultDto>, ApiError> {
    let c = req.category.as_deref().map(category).transpose()?;
    let now = s.app.set_conversation_sensitivity(&p, &ctx, id, c).await?;
    Ok(Json(SensitivityResultDto { category: now.map(Into::into) }))
}
