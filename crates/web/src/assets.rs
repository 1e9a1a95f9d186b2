//! The web pages and their files, embedded in the binary: no front-end
//! toolchain, nothing from another origin. Pages are static shells (no
//! PHI); their scripts fetch everything through the API.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

struct Asset {
    content_type: &'static str,
    body: &'static [u8],
    etag: String,
}

/// The embedded files by URL path.
pub(crate) struct Assets {
    by_path: HashMap<&'static str, Asset>,
}

macro_rules! embedded {
    ($($path:literal => $file:literal, $ct:literal;)*) => {
        [$(($path, $ct, include_bytes!(concat!("../assets/", $file)) as &'static [u8]),)*]
    };
}

const FILES: [(&str, &str, &[u8]); 29] = embedded! {
    "/" => "index.html", "text/html; charset=utf-8";
    "/app" => "app.html", "text/html; charset=utf-8";
    "/inbox" => "inbox.html", "text/html; charset=utf-8";
    "/admin" => "admin.html", "text/html; charset=utf-8";
    "/analytics" => "analytics.html", "text/html; charset=utf-8";
    "/welcome" => "welcome.html", "text/html; charset=utf-8";
    "/people" => "people.html", "text/html; charset=utf-8";
    "/audit" => "audit.html", "text/html; charset=utf-8";
    "/manifest.webmanifest" => "manifest.webmanifest", "application/manifest+json";
    "/sw.js" => "sw.js", "text/javascript; charset=utf-8";
    "/static/switchboard.css" => "static/switchboard.css", "text/css; charset=utf-8";
    "/static/common.js" => "static/common.js", "text/javascript; charset=utf-8";
    "/static/signin.js" => "static/signin.js", "text/javascript; charset=utf-8";
    "/static/patient.js" => "static/patient.js", "text/javascript; charset=utf-8";
    "/static/staff.js" => "static/staff.js", "text/javascript; charset=utf-8";
    "/static/admin.js" => "static/admin.js", "text/javascript; charset=utf-8";
    "/static/admin-hours.js" => "static/admin-hours.js", "text/javascript; charset=utf-8";
    "/static/analytics.js" => "static/analytics.js", "text/javascript; charset=utf-8";
    "/static/charts.js" => "static/charts.js", "text/javascript; charset=utf-8";
    "/static/welcome.js" => "static/welcome.js", "text/javascript; charset=utf-8";
    "/static/people.js" => "static/people.js", "text/javascript; charset=utf-8";
    "/static/audit.js" => "static/audit.js", "text/javascript; charset=utf-8";
    "/static/admin.css" => "static/admin.css", "text/css; charset=utf-8";
    "/static/analytics.css" => "static/analytics.css", "text/css; charset=utf-8";
    "/static/people.css" => "static/people.css", "text/css; charset=utf-8";
    "/static/audit.css" => "static/audit.css", "text/css; charset=utf-8";
    "/static/icon.svg" => "static/icon.svg", "image/svg+xml";
    "/static/icon-192.png" => "static/icon-192.png", "image/png";
    "/static/icon-512.png" => "static/icon-512.png", "image/png";
};

/// FNV-1a: enough to tell versions of a file apart for caching.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl Assets {
    pub(crate) fn new() -> Self {
        let by_path = FILES
            .iter()
            .map(|(path, content_type, body)| {
                (*path, Asset { content_type, body, etag: format!("\"{:016x}\"", fnv1a(body)) })
            })
            .collect();
        Assets { by_path }
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_path.keys().copied()
    }

    /// The file at `path`, or 304 if the client's copy is current.
    pub(crate) fn respond(&self, path: &str, request: &HeaderMap) -> Option<Response> {
        let asset = self.by_path.get(path)?;
        let etag = HeaderValue::from_str(&asset.etag).ok()?;
        // Revalidate every time: pages must never run stale code.
        let cache = HeaderValue::from_static("no-cache");
        if request.get(header::IF_NONE_MATCH) == Some(&etag) {
            return Some(
                (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response(),
            );
        }
        let mut res = Response::new(Body::from(asset.body));
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        h.insert(header::ETAG, etag);
        h.insert(header::CACHE_CONTROL, cache);
        if path == "/sw.js" {
            h.insert("service-worker-allowed", HeaderValue::from_static("/"));
        }
        Some(res)
    }
}
