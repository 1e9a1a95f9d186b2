//! FHIR R4 for EHR systems (issue 17), under `/fhir/r4`: the
//! CapabilityStatement, SMART Backend Services' discovery document and
//! token endpoint, `Communication` read and search, `Patient`,
//! `Practitioner`, `Organization` and `Binary` read. Everything answers
//! `application/fhir+json`, and every error is an `OperationOutcome`
//! (the token endpoint answers as OAuth 2.0 does). Not in the OpenAPI
//! document: FHIR describes itself (`metadata`). `docs/fhir.md` has the
//! mapping.

mod params;
pub(crate) mod resources;

use crate::AppState;
use crate::extract::{Client, PublicBase, bearer_token};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::Value;
use switchboard_domain::ids::*;
use switchboard_service::ServiceError;
use switchboard_service::ehr::{EhrPrincipal, TokenRefusal, TokenRequest};
use switchboard_service::record::MAX_PAGE;

const FHIR_JSON: &str = "application/fhir+json";

/// The FHIR routes. Any other path under `/fhir/r4`, and any other method
/// on these, is an `OperationOutcome`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/r4/metadata", get(metadata).fallback(not_allowed))
        .route("/fhir/r4/.well-known/smart-configuration", get(smart_configuration).fallback(not_allowed))
        .route("/fhir/r4/auth/token", post(token).fallback(not_allowed))
        .route("/fhir/r4/Communication", get(search_communication).fallback(not_allowed))
        .route("/fhir/r4/Communication/{id}", get(read_communication).fallback(not_allowed))
        .route("/fhir/r4/Patient/{id}", get(read_patient).fallback(not_allowed))
        .route("/fhir/r4/Practitioner/{id}", get(read_practitioner).fallback(not_allowed))
        .route("/fhir/r4/Organization/{id}", get(read_organization).fallback(not_allowed))
        .route("/fhir/r4/Binary/{id}", get(read_binary).fallback(not_allowed))
        .route("/fhir/r4/{*rest}", any(unknown))
        .route("/fhir/r4", any(unknown))
}

/// A FHIR error: the status and an `OperationOutcome`.
pub(crate) struct FhirError {
    status: StatusCode,
    code: &'static str,
    diagnostics: String,
}

impl FhirError {
    fn new(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Self {
        FhirError { status, code, diagnostics: diagnostics.into() }
    }
    fn not_found() -> Self {
        FhirError::new(StatusCode::NOT_FOUND, "not-found", "no such resource here")
    }
}

impl From<ServiceError> for FhirError {
    fn from(e: ServiceError) -> Self {
        // The service's messages are written for people and hold no
        // internals; the generic ones stay generic.
        match e {
            ServiceError::NotFound => FhirError::not_found(),
            ServiceError::Unauthenticated => FhirError::new(
                StatusCode::UNAUTHORIZED,
                "login",
                "a valid access token is required (SMART Backend Services)",
            ),
            ServiceError::InsufficientScope => FhirError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            ServiceError::Invalid { .. } => FhirError::new(StatusCode::BAD_REQUEST, "invalid", e.to_string()),
            ServiceError::Throttled { .. } => FhirError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", e.to_string()),
            ServiceError::Unavailable => FhirError::new(StatusCode::SERVICE_UNAVAILABLE, "transient", e.to_string()),
            _ => FhirError::new(StatusCode::INTERNAL_SERVER_ERROR, "exception", "something went wrong on our side"),
        }
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let mut res = fhir_json(self.status, &resources::outcome(self.code, &self.diagnostics));
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

fn fhir_json(status: StatusCode, v: &Value) -> Response {
    let mut res = (status, v.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    res
}

async fn unknown() -> FhirError {
    FhirError::new(
        StatusCode::NOT_FOUND,
        "not-supported",
        "this server does not serve that here; see /fhir/r4/metadata",
    )
}

async fn not_allowed() -> FhirError {
    FhirError::new(StatusCode::METHOD_NOT_ALLOWED, "not-supported", "this server is read-only to EHR clients")
}

/// The client behind the request's bearer token.
struct Ehr(EhrPrincipal);

impl FromRequestParts<AppState> for Ehr {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = bearer_token(parts).ok_or(ServiceError::Unauthenticated)?;
        Ok(Ehr(state.app.authenticate_ehr(presented).await?))
    }
}

/// `https://host/fhir/r4`.
struct Base(String);

impl FromRequestParts<AppState> for Base {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let base = PublicBase::from_parts(parts, state).map_err(|_| {
            FhirError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "this server answers FHIR only at its configured address",
            )
        })?;
        Ok(Base(format!("{}/fhir/r4", base.0)))
    }
}

async fn metadata(State(s): State<AppState>, Base(base): Base) -> Response {
    fhir_json(StatusCode::OK, &resources::capability(&base, &s.app.now().to_rfc3339()))
}

async fn smart_configuration(Base(base): Base) -> Response {
    let mut res = axum::Json(resources::smart_configuration(&base)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The token endpoint: a form (`application/x-www-form-urlencoded`), an
/// OAuth 2.0 answer.
async fn token(State(s): State<AppState>, Client(ctx): Client, Base(base): Base, body: Bytes) -> Response {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let r = TokenRequest {
        grant_type: field("grant_type"),
        scope: field("scope"),
        client_assertion_type: field("client_assertion_type"),
        client_assertion: field("client_assertion"),
    };
    let answer = match s.app.ehr_token(r, &format!("{base}/auth/token"), &ctx).await {
        Ok(g) => (
            StatusCode::OK,
            serde_json::json!({"access_token": g.access_token, "token_type": "bearer", "expires_in": g.expires_in, "scope": g.scope}),
        ),
        Err(refusal) => {
            let (status, error, description) = match refusal {
                TokenRefusal::InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
                TokenRefusal::UnsupportedGrantType => {
                    (StatusCode::BAD_REQUEST, "unsupported_grant_type", "only client_credentials is supported")
                }
                TokenRefusal::InvalidClient => (
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "the client assertion was not accepted (unknown or revoked client, wrong key, audience or time, or a reused jti)",
                ),
                TokenRefusal::InvalidScope => (
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "none of the scopes asked for is registered for this client",
                ),
                TokenRefusal::Unavailable => {
                    (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again shortly")
                }
            };
            (status, serde_json::json!({"error": error, "error_description": description}))
        }
    };
    let mut res = (answer.0, axum::Json(answer.1)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn id_of(raw: &str) -> Result<[u8; 16], FhirError> {
    ConversationId::parse(raw).map(|c| *c.as_bytes()).map_err(|_| FhirError::not_found())
}

async fn read_communication(
    State(s): State<AppState>,
    Ehr(ep): Ehr,
    Base(base): Base,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let c = s.app.record_communication(&ep, id_of(&id)?).await?;
    Ok(fhir_json(StatusCode::OK, &resources::communication(&c, &base)))
}

async fn search_communication(
    State(s): State<AppState>,
    Ehr(ep): Ehr,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Result<Response, FhirError> {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query)
        .map_err(|_| FhirError::new(StatusCode::BAD_REQUEST, "invalid", "the query string could not be read"))?;
    let search =
        params::parse(&pairs, MAX_PAGE).map_err(|p| FhirError::new(StatusCode::BAD_REQUEST, "invalid", p.0))?;
    let page = if search.matches_nothing || search.count == 0 {
        switchboard_service::record::RecordPage { items: Vec::new(), next: None }
    } else {
        s.app.record_search(&ep, &search.filter, search.count).await?
    };
    // Links repeat the query as asked, with the page's position.
    let kept: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "_cursor").cloned().collect();
    let link = |extra: Option<(String, String)>| {
        let mut all = kept.clone();
        all.extend(extra);
        let q = serde_urlencoded::to_string(&all).unwrap_or_default();
        if q.is_empty() { format!("{base}/Communication") } else { format!("{base}/Communication?{q}") }
    };
    let mut links =
        vec![serde_json::json!({"relation": "self", "url": link(pairs.iter().find(|(k, _)| k == "_cursor").cloned())})];
    if let Some((at, id)) = page.next {
        links.push(
            serde_json::json!({"relation": "next", "url": link(Some(("_cursor".into(), params::cursor_text(at, id))))}),
        );
    }
    let entries: Vec<Value> = page
        .items
        .iter()
        .map(|c| {
            let r = resources::communication(c, &base);
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            serde_json::json!({"fullUrl": format!("{base}/Communication/{id}"), "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    let bundle = serde_json::json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": s.app.now().to_rfc3339(),
        "link": links,
        "entry": entries,
    });
    Ok(fhir_json(StatusCode::OK, &bundle))
}

async fn read_patient(State(s): State<AppState>, Ehr(ep): Ehr, Path(id): Path<String>) -> Result<Response, FhirError> {
    let id = PatientId::parse(&id).map_err(|_| FhirError::not_found())?;
    Ok(fhir_json(StatusCode::OK, &resources::patient(&s.app.record_patient(&ep, id).await?)))
}

async fn read_practitioner(
    State(s): State<AppState>,
    Ehr(ep): Ehr,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let id = UserId::parse(&id).map_err(|_| FhirError::not_found())?;
    Ok(fhir_json(StatusCode::OK, &resources::practitioner(&s.app.record_practitioner(&ep, id).await?)))
}

async fn read_organization(
    State(s): State<AppState>,
    Ehr(ep): Ehr,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let id = PracticeId::parse(&id).map_err(|_| FhirError::not_found())?;
    Ok(fhir_json(StatusCode::OK, &resources::organization(&s.app.record_organization(&ep, id).await?)))
}

/// A file's bytes, as its own type (FHIR's raw `Binary` read).
async fn read_binary(State(s): State<AppState>, Ehr(ep): Ehr, Path(id): Path<String>) -> Result<Response, FhirError> {
    let id = AttachmentId::parse(&id).map_err(|_| FhirError::not_found())?;
    let b = s.app.record_binary(&ep, id).await?;
    let mut res = Response::new(crate::routes::sealed_body(b.body));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(b.kind.content_type()));
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(res)
}
