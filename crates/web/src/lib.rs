//! The HTTP layer: the only crate that knows HTTP, JSON and TLS.
//!
//! - [`router`] builds the axum application: JSON API v1, health, OpenAPI.
//! - [`serve()`] runs it over TLS (rustls, TLS 1.2 and 1.3 only) or, when
//!   explicitly asked, plain HTTP behind a TLS-terminating proxy, within
//!   [`ConnectionLimits`] (timeouts, connection caps, shutdown deadline).
//! - Every response carries the security headers ([`headers`]); every error
//!   is `{"error":{"code","message"}}` built in one place ([`error`]).
//!
//! Handlers are thin: extract and shape JSON, call one use case of
//! [`switchboard_service::Switchboard`], shape the answer.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod assets;
mod dto;
mod error;
mod export;
mod extract;
mod fhir;
mod headers;
mod openapi;
mod openapi_errors;
mod routes;
mod serve;
pub mod tls;

pub use error::ApiError;
pub use openapi::openapi_json;
pub use serve::{ConnectionLimits, Transport, serve};
pub use tls::{PeerAddr, load_tls_config};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::net::IpAddr;
use std::sync::Arc;
use switchboard_service::Switchboard;

/// HTTP settings.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How often a live stream re-checks its session (it ends when the
    /// session does).
    pub live_session_check: std::time::Duration,
    /// The address people open (`https://messages.example.org`), for the
    /// links handed to them. Unset: the address the request came to, when
    /// it is local, the listening address, or in `allowed_hosts`.
    pub public_url: Option<String>,
    /// Lower-cased host names (`messages.example.org`, any port) or
    /// `host:port` pairs links may be made for when `public_url` is unset.
    pub allowed_hosts: Vec<String>,
    /// The address the server listens on: a request to it by number is
    /// local enough to make links for.
    pub local_addr: Option<std::net::SocketAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: None,
            allowed_hosts: Vec::new(),
            local_addr: None,
            trusted_proxies: Vec::new(),
            max_body_bytes: 64 * 1024,
            live_session_check: std::time::Duration::from_secs(15),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Switchboard,
    pub web: Arc<WebConfig>,
    assets: Arc<assets::Assets>,
    /// Raised when the server is shutting down: live streams end so that
    /// graceful shutdown can finish.
    stopping: tokio::sync::watch::Receiver<bool>,
    /// The OpenAPI document as JSON, made once with the router.
    openapi: Arc<str>,
}

/// The whole HTTP application. Live streams end when `stopping` turns true.
pub fn router(app: Switchboard, web: WebConfig, stopping: tokio::sync::watch::Receiver<bool>) -> Router {
    let limit = web.max_body_bytes;
    let assets = Arc::new(assets::Assets::new());
    let pages: Vec<&'static str> = assets.paths().collect();
    let (api, document) = routes::api().split_for_parts();
    let openapi = Arc::from(openapi::to_json(&openapi::complete(document)));
    app.set_export_renderer(Arc::new(export::WebRenderer));
    let state = AppState { app, web: Arc::new(web), assets, stopping, openapi };
    routes::routes(api.merge(fhir::router()), pages.into_iter())
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}
