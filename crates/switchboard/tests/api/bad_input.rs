//! Bad input gets a clear 4xx (never a 5xx), in the standard error shape,
//! and changes nothing.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn malformed_bodies_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Bad input", "fine").await;
    let send = format!("/api/v1/conversations/{c}/messages");
    let before = t.footprint().await;

    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            "application/json",
            br#"{"body": "x""#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        ("not JSON at all", "application/json", b"body=x".to_vec(), StatusCode::BAD_REQUEST, "malformed_request"),
        ("empty", "application/json", Vec::new(), StatusCode::BAD_REQUEST, "malformed_request"),
        (
            "unknown field",
            "application/json",
            br#"{"body": "x", "sender_id": "someone"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        ("wrong type", "application/json", br#"{"body": 42}"#.to_vec(), StatusCode::BAD_REQUEST, "malformed_request"),
        ("array", "application/json", br#"["x"]"#.to_vec(), StatusCode::BAD_REQUEST, "malformed_request"),
        ("missing field", "application/json", br#"{}"#.to_vec(), StatusCode::BAD_REQUEST, "malformed_request"),
        (
            "invalid UTF-8",
            "application/json",
            b"{\"body\": \"caf\xe9 \xff\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        (
            "deep nesting",
            "application/json",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        (
            "not JSON content type",
            "text/plain",
            br#"{"body": "x"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "form content type",
            "application/x-www-form-urlencoded",
            b"body=x".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized",
            "application/json",
            format!(r#"{{"body": "{}"}}"#, "a".repeat(70 * 1024)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "over-long message",
            "application/json",
            format!(r#"{{"body": "{}"}}"#, "é".repeat(2001)).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "blank message",
            "application/json",
            br#"{"body": "  \n\t "}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "control characters",
            "application/json",
            br#"{"body": "a\u0000b"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
    ];
    for (what, content_type, bytes, status, code) in cases {
        let r = t.post_raw(&send, Some(&alice), content_type, bytes).await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_eq!(r.code(), code, "{what}");
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty(), "{what}");
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"), "{what}");
    }
    // Exactly at the limit is fine, one character over is not.
    let at_limit = t.post(&send, Some(&alice), json!({"body": "é".repeat(2000)})).await;
    assert_eq!(at_limit.status, StatusCode::CREATED);
    let after = t.footprint().await;
    assert_eq!(after[0], before[0], "no conversation was added");
    assert_eq!(after[1], before[1] + 1, "only the message at the limit was added");
    t.stop().await;
}

#[tokio::test]
async fn errors_never_repeat_the_callers_text_back() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let r = t
        .start_conversation(&alice, json!({"subject": "x", "topic": "care_question", "body": ["my chest hurts"]}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.text.contains("chest"), "{}", r.text);
    let r = t.start_conversation(&alice, json!({"subject": "x", "topic": "my chest hurts", "body": "b"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text.contains("chest"), "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn bad_fields_on_starting_a_conversation() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let before = t.footprint().await;
    let bad = [
        (&alice, json!({"subject": "", "topic": "billing", "body": "b"}), "subject"),
        (&alice, json!({"subject": "s".repeat(121), "topic": "billing", "body": "b"}), "subject"),
        (&alice, json!({"subject": "two\nlines", "topic": "billing", "body": "b"}), "subject"),
        (&alice, json!({"subject": "s", "topic": "gossip", "body": "b"}), "topic"),
        (&alice, json!({"subject": "s", "topic": "billing", "body": "b", "priority": "urgent"}), "priority"),
        (&alice, json!({"subject": "s", "topic": "billing", "body": "b", "patient_id": "not-an-id"}), "patient_id"),
        (&nina, json!({"subject": "s", "topic": "billing", "body": "b"}), "patient_id"),
        (
            &nina,
            json!({"subject": "s", "topic": "billing", "body": "b", "priority": "whenever", "patient_id": "01234567-89ab-7def-8123-456789abcdef"}),
            "priority",
        ),
    ];
    for (token, body, field) in bad {
        let r = t.start_conversation(token, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", r.text);
        // The field travels on its own; the sentence does not repeat it.
        assert_eq!(r.json()["error"]["field"], field, "{}", r.text);
        assert!(!r.json()["error"]["message"].as_str().unwrap().starts_with(&format!("{field}:")), "{}", r.text);
    }
    assert_eq!(t.footprint().await, before);
    t.stop().await;
}

#[tokio::test]
async fn bad_paths_queries_and_headers() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let cora = t.login("cora.compliance").await;
    let c = t.patient_conversation(&alice, "Paths", "body").await;
    let before = t.footprint().await;
    for path in [
        "/api/v1/conversations/not-a-uuid",
        "/api/v1/conversations/../../etc/passwd",
        "/api/v1/nothing-here",
        "/api/v1/conversations/%00",
    ] {
        let r = t.get(path, Some(&alice)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.code(), "not_found");
    }
    let queries = [
        ("/api/v1/conversations?bogus=1", StatusCode::BAD_REQUEST),
        ("/api/v1/conversations?limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?limit=many", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?limit=99999999999999999999", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?status=open", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?cursor=garbage", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?patient_id=alice", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/conversations?limit=1&limit=2", StatusCode::BAD_REQUEST),
    ];
    for (path, status) in queries {
        let r = t.get(path, Some(&alice)).await;
        assert_eq!(r.status, status, "{path}: {}", r.text);
    }
    for (path, status) in [
        ("/api/v1/audit-events?from=yesterday", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/audit-events?from=2026-02-01&to=2026-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/audit-events?actor_id=42", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/audit-events?limit=501", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = t.get(path, Some(&cora)).await;
        assert_eq!(r.status, status, "{path}: {}", r.text);
    }
    // The documented bounds are enforced, not quietly clamped.
    let admin = t.login("admin").await;
    for (path, field) in [
        ("/api/v1/patient-accounts?limit=201", "limit"),
        ("/api/v1/patient-accounts?limit=0", "limit"),
        ("/api/v1/patient-accounts?offset=-1", "offset"),
    ] {
        let r = t.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], field, "{path}");
    }
    let long_key = t
        .client
        .post(t.url(&format!("/api/v1/conversations/{c}/messages")))
        .bearer_auth(&alice)
        .header("idempotency-key", "k".repeat(201))
        .json(&json!({"body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(long_key.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.post("/api/v1/auth/login", None, json!({"username": "alice"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t.post("/api/v1/auth/login", None, json!({"username": "alice", "password": "x".repeat(2000)})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Only the audit searches above (cora's) were recorded; nothing else changed.
    let after = t.footprint().await;
    assert_eq!(&after[..6], &before[..6]);
    t.stop().await;
}
