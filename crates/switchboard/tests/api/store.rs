//! The storage layer as a whole: schema parity between the backends,
//! migrations from the command line, group commit under concurrency, the
//! event stream.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{AnyConnection, Connection as _, Executor as _, Row as _};
use std::collections::BTreeMap;
use switchboard_domain::event::EventKind;

async fn columns(conn: &mut AnyConnection, postgres: bool) -> BTreeMap<String, Vec<String>> {
    let sql = if postgres {
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
    } else {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name <> 'sqlite_sequence' ORDER BY 1, 2"
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sqlx::query(sql).fetch_all(conn).await.unwrap() {
        out.entry(row.get::<String, _>("t")).or_default().push(row.get::<String, _>("c"));
    }
    out
}

async fn indexes(conn: &mut AnyConnection, postgres: bool) -> Vec<String> {
    let sql = if postgres {
        // Indexes behind PRIMARY KEY and UNIQUE constraints are named by
        // PostgreSQL and anonymous in SQLite: compare the declared ones.
        "SELECT indexname::text AS n FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY 1"
    } else {
        "SELECT name AS n FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY 1"
    };
    sqlx::query(sql).fetch_all(conn).await.unwrap().iter().map(|r| r.get::<String, _>("n")).collect()
}

#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let Ok(admin) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL") else {
        println!("SWITCHBOARD_TEST_DATABASE_URL is not set: schema parity is checked in the PostgreSQL run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("parity.db");
    switchboard_store::Store::migrate(&switchboard_store::Location::SqliteFile(sqlite.clone())).await.unwrap();
    sqlx::any::install_default_drivers();
    let name = format!("sbt_{}", hex(&switchboard_crypto::random::array::<8>().unwrap()));
    let mut a = AnyConnection::connect(&admin).await.unwrap();
    a.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let pg_url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    switchboard_store::Store::migrate(&switchboard_store::Location::Postgres(pg_url.clone())).await.unwrap();

    let mut lite = AnyConnection::connect(&format!("sqlite://{}", sqlite.display())).await.unwrap();
    let mut pg = AnyConnection::connect(&pg_url).await.unwrap();
    assert_eq!(columns(&mut lite, false).await, columns(&mut pg, true).await);
    assert_eq!(indexes(&mut lite, false).await, indexes(&mut pg, true).await);
    pg.close().await.unwrap();
    a.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
}

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
