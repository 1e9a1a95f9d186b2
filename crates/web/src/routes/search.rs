//! Searching message text (staff): `GET /api/v1/search` as the contract
//! has it, and `POST /api/v1/search` with the same fields in a body, which
//! the inbox uses so that search words never appear in an address.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Client, field_id};
use axum::Json;
use axum::extract::State;
use switchboard_domain::ids::PatientId;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_service::ServiceError;
use switchboard_service::search::SearchInput;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(search_get, search_post)]
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ApiError {
    ApiError::Service(ServiceError::Invalid { field, problem: problem.into() })
}

fn time(field: &'static str, v: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(v).map_err(|e| invalid(field, e.to_string()))
}

fn input(
    q: String,
    patient_id: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    topic: Option<&str>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<SearchInput, ApiError> {
    Ok(SearchInput {
        q,
        patient: patient_id.map(|v| field_id("patient_id", v, PatientId::parse)).transpose()?,
        topic: topic.map(|v| Topic::parse(v).ok_or_else(|| invalid("topic", "that is not a topic"))).transpose()?,
        from: from.map(|v| time("from", v)).transpose()?,
        to: to.map(|v| time("to", v)).transpose()?,
        cursor,
        limit,
    })
}

async fn run(
    s: &AppState,
    ctx: &switchboard_service::RequestContext,
    p: &switchboard_service::Principal,
    i: SearchInput,
) -> Result<Json<SearchResultsDto>, ApiError> {
    let page = s.app.search_messages(p, ctx, i).await?;
    Ok(Json(SearchResultsDto { results: page.results.iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Search the text of the conversations the caller may read (staff):
/// message bodies and subjects, newest first. A result is shown only when
/// the access policy lets the caller read its conversation, sensitive
/// categories included; each search is audited per patient shown, never
/// with its words. Prefer `POST` (the same fields in a body), which keeps
/// the words out of addresses.
#[utoipa::path(get, path = "/api/v1/search", tag = "conversations", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchResultsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not staff"),
        (status = 422, body = ErrorBody, description = "no word to search for, too many, or a bad filter")))]
pub(crate) async fn search_get(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> Result<Json<SearchResultsDto>, ApiError> {
    let limit = q
        .limit
        .as_deref()
        .map(|v| v.parse().map_err(|_| invalid("limit", "`limit` must be a whole number")))
        .transpose()?;
    let i =
        input(q.q, q.patient_id.as_deref(), q.from.as_deref(), q.to.as_deref(), q.topic.as_deref(), q.cursor, limit)?;
    run(&s, &ctx, &p, i).await
}

/// The same search with its fields in a body.
#[utoipa::path(post, path = "/api/v1/search", tag = "conversations", security(("bearer" = [])), request_body = SearchRequest,
    responses((status = 200, body = SearchResultsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not staff"), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "no word to search for, too many, or a bad filter")))]
pub(crate) async fn search_post(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(r): ApiJson<SearchRequest>,
) -> Result<Json<SearchResultsDto>, ApiError> {
    let i =
        input(r.q, r.patient_id.as_deref(), r.from.as_deref(), r.to.as_deref(), r.topic.as_deref(), r.cursor, r.limit)?;
    run(&s, &ctx, &p, i).await
}
