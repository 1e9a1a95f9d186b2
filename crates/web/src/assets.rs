//! The web pages and their files, embedded in the binary: no front-end
//! toolchain, nothing from another origin. Pages are static shells (no
//! PHI); their scripts fetch everything through the API.
//!
//! What several pages share (the head's common lines, the staff top bar,
//! the end of a page) is written once in `assets/partials/` and put in
//! place of a page's `<!--#include NAME-->` markers when `Assets::new`
//! runs, once per process: pages stay plain HTML files, with no template
//! engine and no build step.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

struct Asset {
    content_type: &'static str,
    /// As served: a page with its includes expanded.
    body: Bytes,
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

const FILES: [(&str, &str, &[u8]); 51] = embedded! {
    "/" => "index.html", "text/html; charset=utf-8";
    "/app" => "app.html", "text/html; charset=utf-8";
    "/inbox" => "inbox.html", "text/html; charset=utf-8";
    "/admin" => "admin.html", "text/html; charset=utf-8";
    "/analytics" => "analytics.html", "text/html; charset=utf-8";
    "/welcome" => "welcome.html", "text/html; charset=utf-8";
    "/secure" => "secure.html", "text/html; charset=utf-8";
    "/people" => "people.html", "text/html; charset=utf-8";
    "/audit" => "audit.html", "text/html; charset=utf-8";
    "/security" => "security.html", "text/html; charset=utf-8";
    "/emergency" => "emergency.html", "text/html; charset=utf-8";
    "/manifest.webmanifest" => "manifest.webmanifest", "application/manifest+json";
    "/sw.js" => "sw.js", "text/javascript; charset=utf-8";
    "/static/switchboard.css" => "static/switchboard.css", "text/css; charset=utf-8";
    "/static/common.js" => "static/common.js", "text/javascript; charset=utf-8";
    "/static/signin.js" => "static/signin.js", "text/javascript; charset=utf-8";
    "/static/patient.js" => "static/patient.js", "text/javascript; charset=utf-8";
    "/static/staff.js" => "static/staff.js", "text/javascript; charset=utf-8";
    "/static/inbox-search.js" => "static/inbox-search.js", "text/javascript; charset=utf-8";
    "/static/admin.js" => "static/admin.js", "text/javascript; charset=utf-8";
    "/static/admin-hours.js" => "static/admin-hours.js", "text/javascript; charset=utf-8";
    "/static/admin-documents.js" => "static/admin-documents.js", "text/javascript; charset=utf-8";
    "/static/admin-sensitivity.js" => "static/admin-sensitivity.js", "text/javascript; charset=utf-8";
    "/static/admin-enrollment.js" => "static/admin-enrollment.js", "text/javascript; charset=utf-8";
    "/static/admin-oncall.js" => "static/admin-oncall.js", "text/javascript; charset=utf-8";
    "/static/admin-security.js" => "static/admin-security.js", "text/javascript; charset=utf-8";
    "/static/admin-ehr.js" => "static/admin-ehr.js", "text/javascript; charset=utf-8";
    "/static/audit-records.js" => "static/audit-records.js", "text/javascript; charset=utf-8";
    "/static/analytics.js" => "static/analytics.js", "text/javascript; charset=utf-8";
    "/static/charts.js" => "static/charts.js", "text/javascript; charset=utf-8";
    "/static/welcome.js" => "static/welcome.js", "text/javascript; charset=utf-8";
    "/static/secure.js" => "static/secure.js", "text/javascript; charset=utf-8";
    "/static/patient-secure.js" => "static/patient-secure.js", "text/javascript; charset=utf-8";
    "/static/patient-terms.js" => "static/patient-terms.js", "text/javascript; charset=utf-8";
    "/static/patient-caregivers.js" => "static/patient-caregivers.js", "text/javascript; charset=utf-8";
    "/static/attachments.js" => "static/attachments.js", "text/javascript; charset=utf-8";
    "/static/to-file.js" => "static/to-file.js", "text/javascript; charset=utf-8";
    "/static/sessions.js" => "static/sessions.js", "text/javascript; charset=utf-8";
    "/static/people.js" => "static/people.js", "text/javascript; charset=utf-8";
    "/static/audit.js" => "static/audit.js", "text/javascript; charset=utf-8";
    "/static/audit-reviews.js" => "static/audit-reviews.js", "text/javascript; charset=utf-8";
    "/static/emergency.js" => "static/emergency.js", "text/javascript; charset=utf-8";
    "/static/security.js" => "static/security.js", "text/javascript; charset=utf-8";
    "/static/passkeys.js" => "static/passkeys.js", "text/javascript; charset=utf-8";
    "/static/admin.css" => "static/admin.css", "text/css; charset=utf-8";
    "/static/analytics.css" => "static/analytics.css", "text/css; charset=utf-8";
    "/static/people.css" => "static/people.css", "text/css; charset=utf-8";
    "/static/audit.css" => "static/audit.css", "text/css; charset=utf-8";
    "/static/icon.svg" => "static/icon.svg", "image/svg+xml";
    "/static/icon-192.png" => "static/icon-192.png", "image/png";
    "/static/icon-512.png" => "static/icon-512.png", "image/png";
};

/// The pieces pages include, by the name their markers give. They are
/// served only inside the pages, never at a URL of their own. A partial may
/// include the ones listed before it, and only those, so includes cannot loop.
const PARTIALS: [(&str, &str); 6] = [
    ("head", include_str!("../assets/partials/head.html")),
    ("page-end", include_str!("../assets/partials/page-end.html")),
    // The pages behind links (/welcome, /secure): the card their script fills.
    ("link-page", include_str!("../assets/partials/link-page.html")),
    ("staff-topbar-start", include_str!("../assets/partials/staff-topbar-start.html")),
    ("staff-topbar-links", include_str!("../assets/partials/staff-topbar-links.html")),
    ("staff-topbar", include_str!("../assets/partials/staff-topbar.html")),
];

/// A partial's name and its text with its own includes expanded.
type Expanded = (&'static str, String);

/// The partials ready to put in place. Each loses its last line break,
/// since the marker's line keeps its own.
fn expanded_partials() -> Vec<Expanded> {
    let mut done: Vec<Expanded> = Vec::with_capacity(PARTIALS.len());
    for (name, text) in PARTIALS {
        let text = expand_includes(text.strip_suffix('\n').unwrap_or(text), &done);
        done.push((name, text));
    }
    done
}

const INCLUDE_OPEN: &str = "<!--#include ";
const INCLUDE_CLOSE: &str = "-->";

/// `page` with each `<!--#include NAME-->` replaced by that partial. An
/// unknown name, or a marker left open, stays as it is: the tests below
/// refuse any served page that still holds one.
fn expand_includes(page: &str, partials: &[Expanded]) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some((before, marker)) = rest.split_once(INCLUDE_OPEN) {
        out.push_str(before);
        let Some((name, after)) = marker.split_once(INCLUDE_CLOSE) else {
            out.push_str(INCLUDE_OPEN);
            rest = marker;
            break;
        };
        match partials.iter().find(|(known, _)| *known == name) {
            Some((_, text)) => out.push_str(text),
            None => {
                out.push_str(INCLUDE_OPEN);
                out.push_str(name);
                out.push_str(INCLUDE_CLOSE);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The file as served: pages with their includes expanded, the rest as embedded.
fn served(content_type: &str, file: &'static [u8], partials: &[Expanded]) -> Bytes {
    match std::str::from_utf8(file) {
        Ok(page) if content_type.starts_with("text/html") => Bytes::from(expand_includes(page, partials)),
        _ => Bytes::from_static(file),
    }
}

/// FNV-1a: enough to tell versions of a file apart for caching.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl Assets {
    pub(crate) fn new() -> Self {
        let partials = expanded_partials();
        let by_path = FILES
            .iter()
            .map(|(path, content_type, file)| {
                let body = served(content_type, file, &partials);
                let etag = format!("\"{:016x}\"", fnv1a(&body));
                (*path, Asset { content_type, body, etag })
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
        let mut res = Response::new(Body::from(asset.body.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page_sources() -> impl Iterator<Item = (&'static str, &'static str)> {
        FILES
            .iter()
            .filter(|(_, ct, _)| ct.starts_with("text/html"))
            .filter_map(|(path, _, file)| std::str::from_utf8(file).ok().map(|text| (*path, text)))
    }

    #[test]
    fn no_served_file_keeps_an_include_marker() {
        let assets = Assets::new();
        for (path, asset) in &assets.by_path {
            let text = String::from_utf8_lossy(&asset.body);
            assert!(!text.contains("<!--#include"), "{path} still has an include: unknown name or unclosed marker");
        }
    }

    #[test]
    fn every_partial_is_used_and_none_is_served() {
        let includers: Vec<&str> = page_sources().map(|(_, text)| text).chain(PARTIALS.map(|(_, text)| text)).collect();
        for (name, _) in PARTIALS {
            let marker = format!("{INCLUDE_OPEN}{name}{INCLUDE_CLOSE}");
            assert!(includers.iter().any(|text| text.contains(&marker)), "nothing includes {name}");
        }
        let assets = Assets::new();
        assert!(assets.paths().all(|p| !p.contains("partial")));
        for (name, text) in PARTIALS {
            assert!(assets.by_path.values().all(|a| a.body != text.as_bytes()), "{name} is served as a file");
        }
    }

    #[test]
    fn includes_are_expanded_in_place_and_the_etag_is_of_the_page_as_served() {
        let assets = Assets::new();
        let inbox = assets.by_path.get("/inbox").map(|a| String::from_utf8_lossy(&a.body).into_owned()).unwrap();
        // The inbox's own buttons stand between the top bar's start and its links, on lines of their own.
        let start =
            inbox.find("  <span class=\"topbar-actions\">\n    <button type=\"button\" id=\"next-needing\"").unwrap();
        let help = inbox.find("    <button type=\"button\" id=\"show-help\"").unwrap();
        assert!(start < help && help < inbox.find("id=\"inbox-link\"").unwrap());
        assert!(inbox.starts_with("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"));
        assert!(!inbox.contains("\n\n"), "a marker's line gains no blank line");
        for asset in assets.by_path.values() {
            assert_eq!(asset.etag, format!("\"{:016x}\"", fnv1a(&asset.body)));
        }
        let source = page_sources().find(|(path, _)| *path == "/inbox").map(|(_, text)| text).unwrap();
        assert_ne!(source.as_bytes(), inbox.as_bytes());
    }

    #[test]
    fn partials_are_expanded_in_order_and_unknown_or_unclosed_markers_stay_for_the_tests_to_find() {
        let partials = vec![("a", "A".to_string()), ("b", "B1\n<!--#include a-->\nB2".to_string())];
        assert_eq!(expand_includes("x\n<!--#include b-->\ny", &partials), "x\nB1\n<!--#include a-->\nB2\ny");
        let expanded = expanded_partials();
        let (_, topbar) = expanded.iter().find(|(name, _)| *name == "staff-topbar").unwrap();
        assert!(
            topbar.contains("<header class=\"topbar\">")
                && topbar.contains("id=\"sign-out\"")
                && !topbar.ends_with('\n')
        );
        assert_eq!(expand_includes("a <!--#include nothing--> b", &expanded), "a <!--#include nothing--> b");
        assert_eq!(expand_includes("a <!--#include head", &expanded), "a <!--#include head");
    }
}
