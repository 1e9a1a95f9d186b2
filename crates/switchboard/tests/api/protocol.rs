//! HTTPS, security headers, health and the OpenAPI document.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
];

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let responses = vec![
        t.get("/healthz", None).await,
        t.get("/api/v1/openapi.json", None).await,
        t.get("/api/v1/conversations", Some(&alice)).await,
        t.get("/api/v1/conversations", None).await,
        t.get("/api/v1/nope", Some(&alice)).await,
        t.request(reqwest::Method::DELETE, "/api/v1/conversations", Some(&alice), None).await,
        t.post_raw("/api/v1/auth/login", None, "text/plain", b"x".to_vec()).await,
        t.try_login("alice", "wrong password here").await,
    ];
    for r in responses {
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(r.header(name).as_deref(), Some(value), "{name} on a {} response", r.status);
        }
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
    }
    t.stop().await;
}

#[tokio::test]
async fn health_answers_without_a_session() {
    let t = TestApp::spawn().await;
    let r = t.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"status": "ok"}));
    let r = t.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({"status": "ready", "checks": {"database": "ok", "writes": "ok", "keys": "ok"}}));
    t.stop().await;
}

async fn openssl_connects(addr: std::net::SocketAddr, version_flag: &'static str) -> bool {
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["s_client", "-connect", &addr.to_string(), version_flag, "-cipher", "DEFAULT:@SECLEVEL=0"])
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("openssl is needed for the TLS version test (apt-get install openssl)");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Cipher is") && !text.contains("Cipher is (NONE)")
}

#[tokio::test]
async fn only_tls_1_2_and_1_3_are_spoken() {
    let t = TestApp::spawn().await;
    let addr = t.running().addr;
    assert!(openssl_connects(addr, "-tls1_3").await);
    assert!(openssl_connects(addr, "-tls1_2").await);
    assert!(!openssl_connects(addr, "-tls1_1").await);
    assert!(!openssl_connects(addr, "-tls1").await);
    // And no plain HTTP on the TLS port.
    let plain = reqwest::Client::new().get(format!("http://{addr}/healthz")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    t.stop().await;
}

#[tokio::test]
async fn plain_http_only_when_asked_for() {
    let t = TestApp::spawn_with(|c| c.insecure_http = true).await;
    assert_eq!(t.running().scheme, "http");
    let r = reqwest::Client::new().get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Still marked for HTTPS-only use: the proxy in front serves TLS.
    assert!(r.headers().get("strict-transport-security").is_some());
    t.stop().await;
}

/// Every route of the router, as (method, path template).
const ROUTES: [(&str, &str); 77] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/conversations"),
    ("post", "/api/v1/conversations"),
    ("get", "/api/v1/conversations/{id}"),
    ("post", "/api/v1/conversations/{id}/messages"),
    ("post", "/api/v1/conversations/{id}/messages/{message_id}/amendments"),
    ("post", "/api/v1/conversations/{id}/read"),
    ("post", "/api/v1/conversations/{id}/notes"),
    ("post", "/api/v1/conversations/{id}/close"),
    ("post", "/api/v1/conversations/{id}/reopen"),
    ("post", "/api/v1/conversations/{id}/assign"),
    ("post", "/api/v1/conversations/{id}/typing"),
    ("get", "/api/v1/audit-events"),
    ("get", "/api/v1/inbox/counts"),
    ("get", "/api/v1/staff"),
    ("get", "/api/v1/practice"),
    ("get", "/api/v1/events"),
    ("post", "/api/v1/conversations/{id}/escalate"),
    ("post", "/api/v1/conversations/{id}/render-template"),
    ("get", "/api/v1/routing-rules"),
    ("put", "/api/v1/routing-rules"),
    ("get", "/api/v1/pools"),
    ("post", "/api/v1/pools"),
    ("put", "/api/v1/pools/{id}"),
    ("get", "/api/v1/me/settings"),
    ("put", "/api/v1/me/settings"),
    ("get", "/api/v1/me/absences"),
    ("post", "/api/v1/me/absences"),
    ("delete", "/api/v1/me/absences/{id}"),
    ("get", "/api/v1/me/providers"),
    ("get", "/api/v1/alerts"),
    ("post", "/api/v1/alerts/{id}/ack"),
    ("get", "/api/v1/templates"),
    ("post", "/api/v1/templates"),
    ("put", "/api/v1/templates/{id}"),
    ("get", "/api/v1/practice/expectation"),
    ("put", "/api/v1/practice/hours"),
    ("put", "/api/v1/departments/{id}/hours"),
    ("get", "/api/v1/response-settings"),
    ("put", "/api/v1/response-settings"),
    ("post", "/api/v1/closures"),
    ("delete", "/api/v1/closures/{id}"),
    ("get", "/api/v1/me/notifications"),
    ("post", "/api/v1/conversations/{id}/rating"),
    ("get", "/api/v1/analytics"),
    ("get", "/api/v1/analytics/{table}/csv"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/links/inspect"),
    ("post", "/api/v1/links/redeem"),
    ("get", "/api/v1/staff-accounts"),
    ("post", "/api/v1/staff-accounts"),
    ("put", "/api/v1/staff-accounts/{id}"),
    ("post", "/api/v1/users/{id}/deactivate"),
    ("post", "/api/v1/users/{id}/reactivate"),
    ("post", "/api/v1/users/{id}/reset-link"),
    ("get", "/api/v1/patient-accounts"),
    ("post", "/api/v1/patient-accounts"),
    ("post", "/api/v1/patient-accounts/import"),
    ("get", "/api/v1/patient-accounts/{id}"),
    ("put", "/api/v1/patient-accounts/{id}"),
    ("post", "/api/v1/conversations/{id}/unread"),
    ("post", "/api/v1/screen"),
    ("get", "/api/v1/audit-events/csv"),
    ("post", "/api/v1/audit-events/subjects"),
    ("get", "/api/v1/me/contact"),
    ("put", "/api/v1/me/contact"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/patient-accounts/{id}/invitation"),
    ("delete", "/api/v1/patient-accounts/{id}/invitation"),
    ("get", "/api/v1/operator/practices"),
    ("post", "/api/v1/operator/practices"),
    ("get", "/api/v1/operator/audit-events"),
];

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes() {
    let t = TestApp::spawn().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, expected);
    // Each documented route exists: without a session it answers 401 (or
    // serves), never 404 or 405.
    let some_id = "01234567-89ab-7def-8123-456789abcdef";
    for (method, path) in ROUTES {
        let concrete = path.replace("{id}", some_id).replace("{message_id}", some_id);
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = if ["post", "put"].contains(&method) { Some(json!({})) } else { None };
        let r = t.request(m, &concrete, None, body).await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&r.status),
            "{method} {path}: {}",
            r.status
        );
    }
    // The shapes the issue fixes are in the document.
    let login = &doc["components"]["schemas"]["LoginResponse"]["properties"];
    assert!(login["token"].is_object() && login["user"].is_object());
    let user = &doc["components"]["schemas"]["UserDto"]["properties"];
    for f in ["id", "username", "display_name", "kind", "role"] {
        assert!(user[f].is_object(), "{f}");
    }
    t.stop().await;
}
