//! EHR systems as SMART Backend Services clients, on the administrators'
//! setup page: list, register (the EHR's name, public keys and scopes),
//! revoke. The FHIR endpoints they then use are in `crate::fhir`.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, PublicBase, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use switchboard_domain::ids::EhrClientId;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(list, register), routes!(revoke)]
}

/// The practice's EHR clients, revoked ones included, with the addresses
/// to configure the EHR with (administrators).
#[utoipa::path(get, path = "/api/v1/practice/ehr-clients", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = EhrClientListDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator")))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    parts: Parts,
) -> Result<Json<EhrClientListDto>, ApiError> {
    let clients = s.app.ehr_clients(&p, &ctx).await?;
    let base = PublicBase::from_parts(&parts, &s).ok().map(|b| format!("{}/fhir/r4", b.0));
    Ok(Json(EhrClientListDto {
        clients: clients.iter().map(Into::into).collect(),
        token_endpoint: base.as_ref().map(|b| format!("{b}/auth/token")),
        fhir_base: base,
    }))
}

/// Register an EHR as a client (administrators, after proving again who
/// they are). The answer's `id` is the EHR's `client_id`.
#[utoipa::path(post, path = "/api/v1/practice/ehr-clients", tag = "setup", security(("bearer" = [])),
    request_body = EhrClientRequest,
    responses((status = 201, body = EhrClientDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "not an administrator"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a field at fault (`field` names it)")))]
pub(crate) async fn register(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<EhrClientRequest>,
) -> Result<(StatusCode, Json<EhrClientDto>), ApiError> {
    let c = s.app.register_ehr_client(&p, req.into(), &ctx).await?;
    Ok((StatusCode::CREATED, Json((&c).into())))
}

/// Revoke a client: its tokens stop working at once (administrators,
/// after proving again who they are).
#[utoipa::path(post, path = "/api/v1/practice/ehr-clients/{client_id}/revoke", tag = "setup", security(("bearer" = [])),
    params(("client_id" = String, Path, format = "uuid")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "reauthentication_required"),
        (status = 404, body = ErrorBody, description = "no such client, already revoked, or not an administrator")))]
pub(crate) async fn revoke(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(client_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&client_id, EhrClientId::parse)?;
    s.app.revoke_ehr_client(&p, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
