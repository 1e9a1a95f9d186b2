//! The storage layer as a whole: migrations from the command line, group
//! commit under concurrency, the event stream. (The two backends' schemas
//! are compared in `schema_parity.rs`.)

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row as _;
use switchboard_domain::event::EventKind;

#[tokio::test]
async fn migrate_from_the_command_line_is_idempotent() {
    let t = TestApp::spawn().await;
    let out = t.cli(&["migrate"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied 0 migration(s)"));
    // A changed migration script is refused rather than silently skipped.
    let mut db = t.db().await;
    sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 1")
        .bind(vec![0u8; 32])
        .execute(&mut db)
        .await
        .unwrap();
    let out = t.cli(&["migrate"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("was changed after it was applied"));
    t.stop().await;
}

#[tokio::test]
async fn concurrent_writers_share_commits_and_keep_the_chain_intact() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Many", "first").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let req = t
            .client
            .post(t.url(&format!("/api/v1/conversations/{c}/messages")))
            .bearer_auth(&alice)
            .json(&json!({"body": format!("message {i}")}));
        set.spawn(async move { req.send().await.unwrap().status() });
    }
    while let Some(status) = set.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::CREATED);
    }
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    // The first message and its acknowledgement, then the 200.
    assert_eq!(view["messages"].as_array().unwrap().len(), 202);
    let report = t.app().verify_audit().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    t.stop().await;
}

#[tokio::test]
async fn committed_changes_are_published_on_the_event_stream_and_stored() {
    let t = TestApp::spawn().await;
    let mut events = t.app().events().subscribe();
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Events", "hello").await;
    t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "hi"})).await;
    let mut kinds = Vec::new();
    let mut senders = Vec::new();
    while let Ok(e) = events.try_recv() {
        assert_eq!(e.conversation.to_string(), c);
        kinds.push(e.kind.code());
        if let EventKind::MessageSent { sender_kind, .. } = &e.kind {
            senders.push(*sender_kind);
        }
    }
    assert_eq!(
        kinds,
        ["conversation_created", "message_sent", "message_sent", "messages_read", "message_sent", "status_changed"]
    );
    // Alice's message, its automatic acknowledgement, Nina's reply.
    use switchboard_domain::role::SenderKind;
    assert_eq!(senders, [SenderKind::Patient, SenderKind::System, SenderKind::Staff]);
    assert!(t.count("SELECT count(*) FROM events").await >= 5);
    // Events carry ids only: no text of any message.
    let mut db = t.db().await;
    for row in sqlx::query("SELECT detail FROM events").fetch_all(&mut db).await.unwrap() {
        let detail: Option<String> = row.get(0);
        assert!(detail.is_none_or(|d| d.len() < 32));
    }
    t.stop().await;
}
