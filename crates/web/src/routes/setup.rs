//! Practice setup and personal settings: routing rules, pools, templates,
//! availability, alerts, and the providers a patient may write to.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::{AbsenceId, AlertId, DepartmentId, PoolId, TemplateId, UserId};
use switchboard_domain::routing::{Condition, Target};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_service::{PoolInput, RuleInput, ServiceError, TemplateInput};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(rules, save_rules),
        routes!(pools, create_pool),
        routes!(update_pool),
        routes!(my_settings, save_my_settings),
        routes!(my_absences, record_absence),
        routes!(cancel_absence),
        routes!(my_providers),
        routes!(my_notifications),
        routes!(alerts),
        routes!(acknowledge_alert),
        routes!(templates, create_template),
        routes!(update_template),
    ]
}

fn invalid(field: &'static str, problem: &str) -> ApiError {
    ApiError::Service(ServiceError::Invalid { field, problem: problem.to_owned() })
}

/// The practice's routing rules, in order (staff).
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = RulesDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn rules(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
) -> Result<Json<RulesDto>, ApiError> {
    let rules = s.app.routing_rules(&p, &ctx).await?;
    Ok(Json(RulesDto {
        rules: rules
            .into_iter()
            .map(|v| {
                let (target, target_id) = match v.rule.target {
                    Target::Person(u) => ("person", Some(u.to_string())),
                    Target::Pool(x) => ("pool", Some(x.to_string())),
                    Target::PatientCareTeam => ("patient_care_team", None),
                    Target::ProgramStaff => ("program_staff", None),
                    Target::AddressedProvider => ("addressed_provider", None),
                };
                RuleDto {
                    name: v.rule.name,
                    topic: v.rule.condition.topic.map(|t| t.as_str().to_owned()),
                    department_id: v.rule.condition.department.map(|d| d.to_string()),
                    provider_direct: v.rule.condition.provider_direct,
                    target: target.to_owned(),
                    target_id,
                    described: Some(v.condition),
                    target_name: v.target_name,
                    never_used: v.never_used,
                }
            })
            .collect(),
    }))
}

/// Replace the routing rules (practice administrators). A rule set that
/// would leave any message without an owner is refused with an example.
#[utoipa::path(put, path = "/api/v1/routing-rules", tag = "setup", security(("bearer" = [])), request_body = RulesDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn save_rules(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<RulesDto>,
) -> Result<StatusCode, ApiError> {
    let mut input = Vec::with_capacity(req.rules.len());
    for r in req.rules {
        let topic = r
            .topic
            .as_deref()
            .map(|t| Topic::parse(t).ok_or_else(|| invalid("rules", "a rule has an unknown topic")))
            .transpose()?;
        let department = r.department_id.as_deref().map(|d| field_id("rules", d, DepartmentId::parse)).transpose()?;
        let id_of = |kind: &str| {
            r.target_id.as_deref().ok_or_else(|| invalid("rules", &format!("a {kind} target needs target_id")))
        };
        let target = match r.target.as_str() {
            "person" => Target::Person(field_id("rules", id_of("person")?, UserId::parse)?),
            "pool" => Target::Pool(field_id("rules", id_of("pool")?, PoolId::parse)?),
            "patient_care_team" => Target::PatientCareTeam,
            "program_staff" => Target::ProgramStaff,
            "addressed_provider" => Target::AddressedProvider,
            _ => {
                return Err(invalid(
                    "rules",
                    "a rule's target must be person, pool, patient_care_team, program_staff or addressed_provider",
                ));
            }
        };
        input.push(RuleInput {
            name: r.name,
            condition: Condition { topic, department, provider_direct: r.provider_direct },
            target,
        });
    }
    s.app.save_routing_rules(&p, input, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The practice's pools (staff).
#[utoipa::path(get, path = "/api/v1/pools", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = [PoolDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn pools(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
) -> Result<Json<Vec<PoolDto>>, ApiError> {
    Ok(Json(s.app.pools(&p, &ctx).await?.into_iter().map(PoolDto::from).collect()))
}

async fn save_pool_inner(
    s: &AppState,
    p: &switchboard_service::Principal,
    ctx: &switchboard_service::RequestContext,
    id: Option<PoolId>,
    req: PoolDto,
) -> Result<PoolId, ApiError> {
    let lead = req.lead_id.as_deref().map(|l| field_id("lead_id", l, UserId::parse)).transpose()?;
    let members = req.members.iter().map(|m| field_id("members", m, UserId::parse)).collect::<Result<Vec<_>, _>>()?;
    Ok(s.app
        .save_pool(p, id, PoolInput { name: &req.name, lead, members: &members, auto_assign: req.auto_assign }, ctx)
        .await?)
}

/// Create a pool (practice administrators).
#[utoipa::path(post, path = "/api/v1/pools", tag = "setup", security(("bearer" = [])), request_body = PoolDto,
    responses((status = 201, body = IdDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create_pool(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PoolDto>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let id = save_pool_inner(&s, &p, &ctx, None, req).await?;
    Ok((StatusCode::CREATED, Json(IdDto { id: id.to_string() })))
}

/// Change a pool: name, lead, members, assignment (practice administrators).
#[utoipa::path(put, path = "/api/v1/pools/{id}", tag = "setup", security(("bearer" = [])), request_body = PoolDto,
    params(("id" = String, Path, description = "Pool id", format = "uuid")),
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_pool(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PoolDto>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, PoolId::parse)?;
    save_pool_inner(&s, &p, &ctx, Some(id), req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your capacity and whether you take direct messages (staff).
#[utoipa::path(get, path = "/api/v1/me/settings", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = StaffSettingsDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn my_settings(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<StaffSettingsDto>, ApiError> {
    let x = s.app.my_settings(&p).await?;
    Ok(Json(StaffSettingsDto { capacity: x.capacity, accepts_direct_messages: x.accepts_direct_messages }))
}

/// Change your capacity and whether you take direct messages (staff).
#[utoipa::path(put, path = "/api/v1/me/settings", tag = "setup", security(("bearer" = [])), request_body = StaffSettingsDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn save_my_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<StaffSettingsDto>,
) -> Result<StatusCode, ApiError> {
    let settings = switchboard_store_settings(req.capacity, req.accepts_direct_messages);
    s.app.save_my_settings(&p, settings, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn switchboard_store_settings(capacity: i64, accepts_direct_messages: bool) -> switchboard_service::StaffSettings {
    switchboard_service::StaffSettings { capacity, accepts_direct_messages }
}

/// Your current and coming absences (staff).
#[utoipa::path(get, path = "/api/v1/me/absences", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = [AbsenceDto]), (status = 401, body = ErrorBody)))]
pub(crate) async fn my_absences(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<AbsenceDto>>, ApiError> {
    Ok(Json(
        s.app
            .my_absences(&p)
            .await?
            .into_iter()
            .map(|(id, a)| AbsenceDto {
                id: id.to_string(),
                starts_at: a.starts_at.to_rfc3339(),
                ends_at: a.ends_at.to_rfc3339(),
                cover_id: a.cover.map(|c| c.to_string()),
            })
            .collect(),
    ))
}

/// Record an absence and who covers (staff). Your open work moves to the
/// cover when it starts and back when it ends; nothing new is given to you
/// meanwhile.
#[utoipa::path(post, path = "/api/v1/me/absences", tag = "setup", security(("bearer" = [])), request_body = AbsenceRequest,
    responses((status = 201, body = IdDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn record_absence(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<AbsenceRequest>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let time = |field: &'static str, v: &str| {
        Timestamp::parse_rfc3339(v)
            .map_err(|e| ApiError::Service(ServiceError::Invalid { field, problem: e.to_string() }))
    };
    let cover = req.cover_id.as_deref().map(|c| field_id("cover_id", c, UserId::parse)).transpose()?;
    let id = s
        .app
        .record_absence(&p, time("starts_at", &req.starts_at)?, time("ends_at", &req.ends_at)?, cover, &ctx)
        .await?;
    Ok((StatusCode::CREATED, Json(IdDto { id: id.to_string() })))
}

/// Cancel one of your absences (staff).
#[utoipa::path(delete, path = "/api/v1/me/absences/{id}", tag = "setup", security(("bearer" = [])),
    params(("id" = String, Path, description = "Absence id", format = "uuid")),
    responses((status = 204, description = "cancelled"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn cancel_absence(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, AbsenceId::parse)?;
    s.app.cancel_absence(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The providers of your care team you may write to directly (patients).
#[utoipa::path(get, path = "/api/v1/me/providers", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = [ProviderDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn my_providers(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<ProviderDto>>, ApiError> {
    Ok(Json(
        s.app
            .my_providers(&p)
            .await?
            .into_iter()
            .map(|(id, name, accepts)| ProviderDto {
                id: id.to_string(),
                display_name: name,
                accepts_direct_messages: accepts,
            })
            .collect(),
    ))
}

/// Your unacknowledged alerts, newest first (staff).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = [AlertDto]), (status = 401, body = ErrorBody)))]
pub(crate) async fn alerts(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<Vec<AlertDto>>, ApiError> {
    Ok(Json(
        s.app
            .my_alerts(&p, &ctx)
            .await?
            .into_iter()
            .map(|a| AlertDto {
                id: a.id.to_string(),
                conversation_id: a.conversation.to_string(),
                kind: a.kind,
                created_at: a.created_at.to_rfc3339(),
                patient: a
                    .about
                    .as_ref()
                    .map(|x| AlertPatientDto { id: x.patient.to_string(), display_name: x.patient_name.clone() }),
                subject: a.about.map(|x| x.subject),
            })
            .collect(),
    ))
}

/// Acknowledge an alert.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/ack", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id", format = "uuid")),
    responses((status = 204, description = "acknowledged"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn acknowledge_alert(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, AlertId::parse)?;
    s.app.acknowledge_alert(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The practice's quick replies (staff).
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])), params(TemplateQuery),
    responses((status = 200, body = [TemplateDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn templates(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> Result<Json<Vec<TemplateDto>>, ApiError> {
    let stale = match q.stale.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("stale", "`stale` must be true or false")),
    };
    Ok(Json(s.app.templates(&p, q.q.as_deref(), stale, &ctx).await?.into_iter().map(TemplateDto::from).collect()))
}

/// Add a quick reply (staff; you become its owner).
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])), request_body = TemplateRequest,
    responses((status = 201, body = IdDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create_template(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<TemplateRequest>,
) -> Result<(StatusCode, Json<IdDto>), ApiError> {
    let id = s
        .app
        .save_template(
            &p,
            None,
            TemplateInput { name: &req.name, body: &req.body, review_by: &req.review_by, owner: None },
            &ctx,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(IdDto { id: id.to_string() })))
}

/// Change a quick reply (its owner, or an administrator).
#[utoipa::path(put, path = "/api/v1/templates/{id}", tag = "templates", security(("bearer" = [])), request_body = TemplateRequest,
    params(("id" = String, Path, description = "Template id", format = "uuid")),
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_template(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TemplateRequest>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, TemplateId::parse)?;
    let owner = req.owner_id.as_deref().map(|o| field_id("owner_id", o, UserId::parse)).transpose()?;
    s.app
        .save_template(
            &p,
            Some(id),
            TemplateInput { name: &req.name, body: &req.body, review_by: &req.review_by, owner },
            &ctx,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's unseen notifications: a kind and the conversation, never
/// its content. Reading the conversation marks them seen.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = [NotificationDto]), (status = 401, body = ErrorBody)))]
pub(crate) async fn my_notifications(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let list = s.app.my_notifications(&p).await?;
    Ok(Json(
        list.into_iter()
            .map(|n| NotificationDto {
                id: n.id.to_string(),
                kind: n.kind,
                conversation_id: n.conversation.map(|c| c.to_string()),
                created_at: n.created_at.to_rfc3339(),
            })
            .collect(),
    ))
}
