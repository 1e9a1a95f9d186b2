//! Sign-in, sessions, throttling and sign-out.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use switchboard_domain::time::Span;

#[tokio::test]
async fn login_returns_token_and_user_and_sets_a_strict_cookie() {
    let t = TestApp::spawn().await;
    let r = t.try_login("Dr.Patel", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    assert_eq!(body["user"]["username"], "dr.patel");
    assert_eq!(body["user"]["display_name"], "Dr. Priya Patel");
    assert_eq!(body["user"]["kind"], "staff");
    assert_eq!(body["user"]["role"], "provider");
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 43);
    let cookie = r.header("set-cookie").unwrap();
    for part in ["__Host-switchboard_session=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }

    let alice = t.try_login("alice", PASSWORD).await.json();
    assert_eq!(alice["user"]["kind"], "patient");
    assert_eq!(alice["user"]["role"], serde_json::Value::Null);
    assert_eq!(alice["user"]["display_name"], "Alice Nguyen");

    // The token works as a bearer token and as the cookie.
    assert_eq!(t.get("/api/v1/me", Some(token)).await.status, StatusCode::OK);
    let by_cookie = t
        .client
        .get(t.url("/api/v1/me"))
        .header("cookie", format!("__Host-switchboard_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn the_database_keeps_only_token_hashes() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    let mut db = t.db().await;
    let rows = sqlx::query("SELECT token_hash FROM sessions").fetch_all(&mut db).await.unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let stored: Vec<u8> = sqlx::Row::get(&row, 0);
        assert_ne!(stored, token.as_bytes());
        assert_eq!(stored.len(), 32);
    }
    t.stop().await;
}

#[tokio::test]
async fn failures_look_the_same_whether_or_not_the_user_exists() {
    let t = TestApp::spawn().await;
    let wrong = t.try_login("alice", "not the password at all").await;
    let unknown = t.try_login("nobody-here", "not the password at all").await;
    let bad_name = t.try_login("x", "not the password at all").await;
    for r in [&wrong, &unknown, &bad_name] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        assert_eq!(r.code(), "invalid_credentials");
    }
    assert_eq!(wrong.text, unknown.text);
    assert_eq!(wrong.text, bad_name.text);
    // All three are in the audit log as failed logins.
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND outcome = 'failed'").await, 3);
    t.stop().await;
}

#[tokio::test]
async fn no_anonymous_access_beyond_login_health_and_the_api_description() {
    let t = TestApp::spawn().await;
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/openapi.json", None).await.status, StatusCode::OK);
    for path in ["/api/v1/me", "/api/v1/conversations", "/api/v1/audit-events"] {
        let r = t.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.code(), "unauthenticated");
        assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
        let garbage = t.get(path, Some("garbage")).await;
        assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
        let well_formed_but_unknown = t.get(path, Some(&"A".repeat(43))).await;
        assert_eq!(well_formed_but_unknown.status, StatusCode::UNAUTHORIZED);
    }
    let r = t.post("/api/v1/conversations", None, json!({"subject": "s", "topic": "billing", "body": "b"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let t = TestApp::spawn().await;
    let token = t.login("nina.nurse").await;
    let r = t.post("/api/v1/auth/logout", Some(&token), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.post("/api/v1/auth/logout", Some(&token), json!({})).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'logout'").await, 1);
    t.stop().await;
}

#[tokio::test]
async fn staff_sessions_end_after_fifteen_idle_minutes() {
    let t = TestApp::spawn().await;
    let token = t.login("nina.nurse").await;
    // Activity keeps the session alive...
    for _ in 0..3 {
        t.advance(Span::from_secs(14 * 60 + 30));
        assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::OK);
    }
    // ...fifteen minutes of silence ends it.
    t.advance(Span::from_mins(15));
    assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn patient_sessions_allow_thirty_idle_minutes() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    t.advance(Span::from_mins(29));
    assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::OK);
    t.advance(Span::from_mins(30));
    assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn sessions_end_after_twelve_hours_however_busy() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    for _ in 0..(12 * 6 - 1) {
        t.advance(Span::from_mins(10));
        assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::OK);
    }
    t.advance(Span::from_mins(10));
    assert_eq!(t.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_even_for_unknown_names() {
    let t = TestApp::spawn().await;
    for name in ["alice", "no-such-user"] {
        // Five free failures, then a sixth that starts the waiting.
        for i in 0..6 {
            let r = t.try_login(name, "wrong password, again").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} attempt {i}: {}", r.text);
        }
        let r = t.try_login(name, "wrong password, again").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert_eq!(r.code(), "too_many_attempts");
        assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    }
    // Even the right password waits, then works, and success clears the count.
    assert_eq!(t.try_login("alice", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    t.advance(Span::from_secs(2));
    assert_eq!(t.try_login("alice", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(t.try_login("alice", "wrong password, again").await.status, StatusCode::UNAUTHORIZED);
    // Other accounts were never affected.
    assert_eq!(t.try_login("carol", PASSWORD).await.status, StatusCode::OK);
    assert!(t.count("SELECT count(*) FROM audit_log WHERE action = 'login_throttled'").await >= 3);
    t.stop().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_address() {
    let t = TestApp::spawn().await;
    // Thirty-one failures spread over many names from one address...
    for i in 0..31 {
        let r = t.try_login(&format!("sprayed-{i}"), "Summer2026!Summer2026!").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // ...and the address must wait, even for a real account.
    let r = t.try_login("carol", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    t.advance(Span::from_secs(1));
    assert_eq!(t.try_login("carol", PASSWORD).await.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn cookie_sessions_refuse_cross_origin_writes() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    let cookie = format!("__Host-switchboard_session={token}");
    let post = |origin: Option<&'static str>| {
        let mut req = t
            .client
            .post(t.url("/api/v1/conversations"))
            .header("cookie", cookie.clone())
            .json(&json!({"subject": "Hello", "topic": "care_question", "body": "Question"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(post(Some("https://evil.example")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let same = format!("https://{}", t.running().addr);
    let r = t
        .client
        .post(t.url("/api/v1/conversations"))
        .header("cookie", cookie.clone())
        .header("origin", same)
        .json(&json!({"subject": "Hello", "topic": "care_question", "body": "Question"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    t.stop().await;
}
