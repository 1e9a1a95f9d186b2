//! Request extractors that turn every failure into an [`ApiError`]:
//! JSON bodies, query strings, path ids, the session, the client address
//! and the idempotency key.

use crate::AppState;
use crate::error::ApiError;
use crate::tls::PeerAddr;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::net::IpAddr;
use switchboard_domain::ids::ConversationId;
use switchboard_domain::policy::{self, Decision, Denial, SessionUse};
use switchboard_service::{Principal, RequestContext, ServiceError};

/// The session cookie. `__Host-` binds it to this origin, path `/`, HTTPS.
pub(crate) const SESSION_COOKIE: &str = "__Host-switchboard_session";

/// A JSON body: `Content-Type: application/json`, within the size limit,
/// valid UTF-8 JSON of exactly the expected shape (unknown fields refused).
pub(crate) struct ApiJson<T>(pub T);

fn is_json(parts_ct: Option<&header::HeaderValue>) -> bool {
    let Some(ct) = parts_ct.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Malformed("the request body could not be read".into())
            }
        })?;
        // Every request body of this API is an object; serde would also
        // accept an array for a struct, which nobody means.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::Malformed("the body must be a JSON object".into()));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| ApiError::Malformed(describe_json_error(&e)))
    }
}

/// A JSON body that may be left out: no body at all is `None`; a body is
/// held to the same rules as [`ApiJson`].
pub(crate) struct OptionalApiJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        let declared_length =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if !has_type && matches!(declared_length, None | Some(0)) {
            return Ok(OptionalApiJson(None));
        }
        ApiJson::from_request(req, state).await.map(|ApiJson(v)| OptionalApiJson(Some(v)))
    }
}

/// Says what is wrong without repeating the caller's values (which may be
/// health information) back in the message.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            format!("the body is not valid JSON (at {at})")
        }
        Category::Data => {
            let text = e.to_string();
            if text.starts_with("unknown field") || text.starts_with("missing field") {
                // These name fields only, never values.
                let text = text.split(" at line").next().unwrap_or(&text);
                text.to_owned()
            } else {
                format!("a field has the wrong type or value (at {at})")
            }
        }
    }
}

/// A query string of the expected shape (unknown parameters refused).
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q).map(ApiQuery).map_err(|_| {
            ApiError::Malformed("the query string has an unknown or repeated parameter, or a bad value".into())
        })
    }
}

/// The client's address: the socket peer, or, when the peer is a trusted
/// proxy, the last address it appended to `X-Forwarded-For`.
pub(crate) fn client_addr(parts: &Parts, state: &AppState) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<PeerAddr>>().map(|c| c.0.0.ip())?;
    if state.web.trusted_proxies.contains(&peer) {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        return forwarded.or(Some(peer));
    }
    Some(peer)
}

/// Where the request came from: the client's address, and the device its
/// `User-Agent` names.
pub(crate) fn request_context(parts: &Parts, state: &AppState) -> RequestContext {
    let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    RequestContext {
        client_addr: client_addr(parts, state),
        device: switchboard_domain::sign_in::Device::from_user_agent(user_agent),
    }
}

/// Where the request came from.
pub(crate) struct Client(pub RequestContext);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(request_context(parts, state)))
    }
}

/// The session token from `Authorization: Bearer` or the session cookie.
/// Cookie-borne sessions are refused on state-changing requests from
/// another origin (defence in depth beside `SameSite=Strict`).
pub(crate) fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = auth.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    let cookie = session_cookie(parts)?.to_owned();
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(parts) {
        return None;
    }
    Some(cookie)
}

/// The session cookie's value, if the request carries one.
fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Non-browser clients send no Origin; browsers always do on POST.
        return true;
    };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) == Some(host)
}

/// A request that would ride on the session cookie although the browser
/// says another site's page made it (an `<img>` or a link on a same-site
/// page, which `SameSite=Strict` lets through). `SameSite` and the Origin
/// check guard writes; this guards reads, which are audited as views.
/// Without `Sec-Fetch-Site` (programs, older browsers) the request is
/// judged as before; a Bearer token is never sent by a browser on its own.
fn cross_site_cookie(parts: &Parts) -> bool {
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return false;
    }
    let has_cookie = session_cookie(parts).is_some();
    let Some(site) = parts.headers.get("sec-fetch-site") else { return false };
    has_cookie && !site.as_bytes().eq_ignore_ascii_case(b"same-origin")
}

/// An authenticated session, for any route: a secure-link session is
/// refused here (audited, "not found") unless the handler takes
/// [`LinkAuth`] instead, so a new route is closed to it by default.
pub(crate) struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        session(parts, state, SessionUse::Other).await.map(Auth)
    }
}

/// What a route is to a secure-link session, as the policy
/// (`policy::authorize_session_use`) names it: the marker a handler's
/// [`LinkAuth`] carries.
pub(crate) trait RouteUse {
    const USE: SessionUse;
}

/// Who is signed in, signing out, the enrollment offer.
pub(crate) struct OwnSession;
/// The practice's name, zone and limits; expectations; the draft screen.
pub(crate) struct PracticeBasics;
/// The live stream.
pub(crate) struct LiveEvents;
/// One conversation by id (the policy then checks which).
pub(crate) struct OneConversation;
/// The account's own second factors (the one thing an enrol-only session
/// does).
pub(crate) struct SecondFactor;

impl RouteUse for OwnSession {
    const USE: SessionUse = SessionUse::OwnSession;
}
impl RouteUse for PracticeBasics {
    const USE: SessionUse = SessionUse::PracticeBasics;
}
impl RouteUse for LiveEvents {
    const USE: SessionUse = SessionUse::LiveEvents;
}
impl RouteUse for OneConversation {
    const USE: SessionUse = SessionUse::OneConversation;
}
impl RouteUse for SecondFactor {
    const USE: SessionUse = SessionUse::SecondFactor;
}

/// An authenticated session that may also be a secure-link session, for
/// the routes the policy lets such a session use (`U` says which use).
pub(crate) struct LinkAuth<U>(pub Principal, pub PhantomData<U>);

impl<U: RouteUse> FromRequestParts<AppState> for LinkAuth<U> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        session(parts, state, U::USE).await.map(|p| LinkAuth(p, PhantomData))
    }
}

/// The session behind the request, if the policy lets it make this use of
/// the product.
async fn session(parts: &Parts, state: &AppState, use_: SessionUse) -> Result<Principal, ApiError> {
    // Before the session is even looked up: nothing is read, recorded
    // or audited for a request the signed-in person did not make.
    if cross_site_cookie(parts) {
        return Err(ApiError::CrossSite);
    }
    let token = presented_token(parts).ok_or(ApiError::Service(ServiceError::Unauthenticated))?;
    let ctx = request_context(parts, state);
    let principal = state.app.authenticate_from(&token, &ctx).await?;
    match policy::authorize_session_use(&principal.actor, principal.assurance, use_) {
        Decision::Allow => {}
        Decision::Deny(Denial::EnrolmentOnly) => {
            return Err(ApiError::Service(state.app.refuse_enrolment_only(&principal, &ctx).await));
        }
        Decision::Deny(_) => {
            return Err(ApiError::Service(state.app.refuse_outside_link(&principal, &ctx).await));
        }
    }
    Ok(principal)
}

/// The optional `Idempotency-Key` header.
pub(crate) struct IdempotencyKeyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKeyHeader(None)),
            Some(v) => v
                .to_str()
                .map(|s| IdempotencyKeyHeader(Some(s.to_owned())))
                .map_err(|_| ApiError::Malformed("the Idempotency-Key header must be printable ASCII".into())),
        }
    }
}

/// Parses an id from a path segment; a malformed id is simply not found.
pub(crate) fn path_id<T>(
    text: &str,
    parse: fn(&str) -> Result<T, switchboard_domain::ids::InvalidId>,
) -> Result<T, ApiError> {
    parse(text).map_err(|_| ApiError::Service(ServiceError::NotFound))
}

/// A conversation's id from the path (`/conversations/{id}/…`); one that
/// does not parse is not found, like one that does not exist.
pub(crate) struct ConversationPath(pub ConversationId);

impl<S: Send + Sync> FromRequestParts<S> for ConversationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Service(ServiceError::NotFound))?;
        path_id(&id, ConversationId::parse).map(ConversationPath)
    }
}

/// A file asked for by its id in the path, by a session that may be a
/// secure link's (the conversation's policy decides).
pub(crate) struct FileAsked {
    pub ctx: RequestContext,
    pub principal: Principal,
    pub id: switchboard_domain::ids::AttachmentId,
}

impl FromRequestParts<AppState> for FileAsked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Client(ctx) = Client::from_request_parts(parts, state).await?;
        let LinkAuth(principal, _) = LinkAuth::<OneConversation>::from_request_parts(parts, state).await?;
        let axum::extract::Path(id) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Service(ServiceError::NotFound))?;
        Ok(FileAsked { ctx, principal, id: path_id(&id, switchboard_domain::ids::AttachmentId::parse)? })
    }
}

/// Parses an id given in a body or query field.
pub(crate) fn field_id<T>(
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Result<T, switchboard_domain::ids::InvalidId>,
) -> Result<T, ApiError> {
    parse(text).map_err(|_| {
        ApiError::Service(ServiceError::Invalid { field, problem: "that is not a valid identifier".into() })
    })
}

/// The address links are made for: the configured public URL, or else
/// `https://` and the request's `Host`, only when that host is local, the
/// address the server listens on, or listed in `allowed_hosts`. Anyone can
/// write any `Host`, and a link to their server would hand them the token.
pub(crate) struct PublicBase(pub String);

impl FromRequestParts<AppState> for PublicBase {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        PublicBase::from_parts(parts, state)
    }
}

impl PublicBase {
    pub(crate) fn from_parts(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(url) = &state.web.public_url {
            return Ok(PublicBase(url.trim_end_matches('/').to_owned()));
        }
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        if host_allowed(host, &state.web) {
            Ok(PublicBase(format!("https://{}", host.to_ascii_lowercase())))
        } else {
            Err(ApiError::HostNotAllowed)
        }
    }
}

/// A request that may use passkeys: WebAuthn needs the server's name. With
/// `public_url` set, the relying party is its host and the browser checks
/// the page's origin against it (a proxy may rewrite `Host`, so it plays no
/// part). Without it, the relying party is `localhost`, and a request that
/// came to an IP address (or another name) is told so, instead of the
/// browser's refusal later.
pub(crate) struct PasskeyHost;

impl FromRequestParts<AppState> for PasskeyHost {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(rp_id) = state.app.passkey_rp_id() else {
            return Err(ServiceError::PasskeysUnavailable(
                "passkeys need the server's name, such as https://localhost:PORT, not an IP address",
            )
            .into());
        };
        if state.web.public_url.is_some() {
            return Ok(PasskeyHost);
        }
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        match split_host(host) {
            Some((name, _)) if name == rp_id => Ok(PasskeyHost),
            Some((name, _)) if name.parse::<IpAddr>().is_err() => Err(ServiceError::PasskeysUnavailable(
                "passkeys work at https://localhost on this server; to use them at another name, the operator sets public_url",
            )
            .into()),
            _ => Err(ServiceError::PasskeysUnavailable(
                "passkeys need the server's name, such as https://localhost:PORT, not an IP address",
            )
            .into()),
        }
    }
}

/// `name` and the port, if any, of a `Host` value (`[::1]:8443` gives
/// `::1`), or `None` for anything a host and port cannot be.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    if host.is_empty() || host.len() > 255 || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    {
        return None;
    }
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (name, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (name, port)
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some((name, port))
}

fn host_allowed(host: &str, web: &crate::WebConfig) -> bool {
    let Some((name, port)) = split_host(host) else { return false };
    let local = match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || web.local_addr.is_some_and(|a| !a.ip().is_unspecified() && a.ip() == ip),
        Err(_) => name == "localhost",
    };
    let with_port = port.map(|p| if name.contains(':') { format!("[{name}]:{p}") } else { format!("{name}:{p}") });
    local || web.allowed_hosts.iter().any(|a| *a == name || Some(a) == with_port.as_ref())
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in
/// any case), for callers that are programs: the operator and EHR clients.
pub(crate) fn bearer_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// A request made with the deployment operator's API key
/// (`Authorization: Bearer sbop_…`). Never a cookie: operators are
/// programs and command lines, not browser sessions.
pub(crate) struct OperatorAuth(pub switchboard_service::operator::OperatorPrincipal);

impl FromRequestParts<AppState> for OperatorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = bearer_token(parts).ok_or(ApiError::Service(ServiceError::Unauthenticated))?;
        let ctx = request_context(parts, state);
        Ok(OperatorAuth(state.app.authenticate_operator(bearer, &ctx).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebConfig;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().uri("/api/v1/me");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_local_listening_or_configured_hosts_get_links() {
        let web = WebConfig {
            allowed_hosts: vec!["messages.example.org".into(), "other.example.org:8443".into()],
            local_addr: Some("10.1.2.3:8443".parse().unwrap()),
            ..WebConfig::default()
        };
        for ok in [
            "localhost",
            "LOCALHOST:8443",
            "127.0.0.1:8443",
            "127.9.9.9",
            "[::1]:8443",
            "10.1.2.3:8443",
            "messages.example.org",
            "Messages.Example.Org.:443",
            "other.example.org:8443",
        ] {
            assert!(host_allowed(ok, &web), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8443",
            "messages.example.org.evil.example",
            "other.example.org",
            "other.example.org:9999",
            "10.1.2.4:8443",
            "localhost.evil.example",
            "",
            "[::1",
            "127.0.0.1:99999",
            "a b",
            "evil.example/path",
        ] {
            assert!(!host_allowed(bad, &web), "{bad}");
        }
        // Listening on every address says nothing about which one is ours.
        let any = WebConfig { local_addr: Some("0.0.0.0:8443".parse().unwrap()), ..WebConfig::default() };
        assert!(!host_allowed("0.0.0.0:8443", &any));
        assert!(!host_allowed("192.0.2.7:8443", &any));
    }

    #[test]
    fn cookie_reads_from_other_sites_are_cross_site() {
        let cookie = ("cookie", "__Host-switchboard_session=abc");
        assert!(cross_site_cookie(&parts(&[cookie, ("sec-fetch-site", "same-site")])));
        assert!(cross_site_cookie(&parts(&[cookie, ("sec-fetch-site", "cross-site")])));
        assert!(cross_site_cookie(&parts(&[cookie, ("sec-fetch-site", "none")])));
        assert!(!cross_site_cookie(&parts(&[cookie, ("sec-fetch-site", "same-origin")])));
        // Programs and older browsers send no Sec-Fetch-Site.
        assert!(!cross_site_cookie(&parts(&[cookie])));
        // A Bearer token is the caller's own doing, and no cookie, no session.
        assert!(!cross_site_cookie(&parts(&[("authorization", "Bearer abc"), ("sec-fetch-site", "cross-site")])));
        assert!(!cross_site_cookie(&parts(&[("sec-fetch-site", "cross-site")])));
    }
}
