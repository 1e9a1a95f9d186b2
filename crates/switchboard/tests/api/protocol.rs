//! HTTPS, security headers, health and the OpenAPI document.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

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

/// A path template with every `{parameter}` filled in with `value`.
fn with_parameters(template: &str, value: &str) -> String {
    let mut out = String::new();
    for (i, part) in template.split(['{', '}']).enumerate() {
        // Parts alternate: literal text, a parameter's name, literal text…
        out.push_str(if i % 2 == 0 { part } else { value });
    }
    out
}

/// The methods a route could answer to; a path answers only those its
/// document lists.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes() {
    let t = TestApp::spawn().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/auth/login") && paths.contains_key("/api/v1/conversations/{id}"));
    let some_id = "01234567-89ab-7def-8123-456789abcdef";
    for (path, item) in paths {
        // Besides the API: the probes, and the unsubscribe link of reminder
        // emails (in mail already sent, so never versioned).
        assert!(
            path.starts_with("/api/v1/") || ["/healthz", "/readyz", "/unsubscribe/{token}"].contains(&path.as_str()),
            "{path}"
        );
        let concrete = with_parameters(path, some_id);
        for method in METHODS {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if ["post", "put", "patch"].contains(&method) { Some(json!({})) } else { None };
            let r = t.request(m, &concrete, None, body).await;
            if item.get(method).is_some() {
                // Routed: without a session it answers 401 (or serves),
                // never the router's 404 or 405.
                assert!(
                    ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&r.status),
                    "{method} {path} is documented but not routed: {}",
                    r.status
                );
            } else {
                // Not documented: not routed either.
                assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is routed but not documented");
            }
        }
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
