//! Encryption at rest: no plaintext on disk, and master-key rotation while
//! the server runs.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_plaintext_phi_in_the_database_files_including_the_wal() {
    let t = TestApp::spawn().await;
    if t.db.is_postgres() {
        // The files are PostgreSQL's; the SQLite run of this suite covers it.
        t.stop().await;
        return;
    }
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let canary = format!("CANARY-{}", hex(&switchboard_crypto::random::array::<6>().unwrap()));
    let r = t
        .start_conversation(
            &alice,
            json!({"subject": format!("subject {canary}"), "topic": "care_question", "body": format!("body {canary}")}),
        )
        .await;
    let c = r.json()["id"].as_str().unwrap().to_owned();
    let m = r.json()["message_id"].as_str().unwrap().to_owned();
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": format!("note {canary}")})).await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": format!("reply {canary}")}))
        .await;
    t.post(
        &format!("/api/v1/conversations/{c}/messages/{m}/amendments"),
        Some(&alice),
        json!({"body": format!("fix {canary}")}),
    )
    .await;
    // Still readable through the API...
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.text;
    assert_eq!(view.matches(&canary).count(), 5);

    // ...and nowhere on disk, whether in the database, its WAL or elsewhere.
    let files = files_under(&t.config.data_dir);
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with("switchboard.db-wal")), "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for needle in [canary.as_bytes(), b"Nguyen", b"1984-03-12", b"RFM-1001", b"lisinopril"] {
            assert!(!contains(&bytes, needle), "{} found in {}", String::from_utf8_lossy(needle), f.display());
        }
    }
    // Also after a checkpoint moves the WAL into the main file.
    let mut db = t.db().await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut db).await.unwrap();
    let main = std::fs::read(t.config.data_dir.join("switchboard.db")).unwrap();
    assert!(!contains(&main, canary.as_bytes()));
    // The canary did reach the database, encrypted: the message exists.
    assert!(t.count("SELECT count(*) FROM messages").await > 0);
    t.stop().await;
}

#[tokio::test]
async fn a_moved_ciphertext_does_not_decrypt() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "One", "first message").await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "second message"})).await;
    let mut db = t.db().await;
    // Copy one message's ciphertext over another's note-free slot: notes
    // accept updates, so move a message body into a note.
    let nina = t.login("nina.nurse").await;
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": "note"})).await;
    sqlx::query("UPDATE notes SET body_ct = (SELECT body_ct FROM messages ORDER BY sent_at DESC LIMIT 1)")
        .execute(&mut db)
        .await
        .unwrap();
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.code(), "internal");
    assert!(!r.text.contains("second message"));
    t.stop().await;
}

#[tokio::test]
async fn master_key_rotation_while_the_server_runs() {
    let mut t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let before = t.patient_conversation(&alice, "Before rotation", "written under key 1").await;
    let keys_before = t.count("SELECT count(*) FROM data_keys").await;
    assert_eq!(t.count("SELECT count(*) FROM data_keys WHERE kek_id = 1").await, keys_before);

    // The operator rotates from another process.
    let out = t.cli(&["keys", "rotate", "--grace-secs", "0"]).await;
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("retired master key(s) [1]"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(t.count("SELECT count(*) FROM data_keys WHERE kek_id = 2").await, keys_before);
    let key_file = std::fs::read_to_string(t.config.data_dir.join("master.key")).unwrap();
    assert!(!key_file.contains("kek 1 ") && key_file.contains("kek 2 "));

    // The running server carries on: old data reads, new data uses key 2.
    let nina = t.login("nina.nurse").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{before}"), Some(&nina)).await.status, StatusCode::OK);
    let after = t.patient_conversation(&alice, "After rotation", "written under key 2").await;
    assert_eq!(t.count("SELECT count(*) FROM data_keys WHERE kek_id <> 2").await, 0);

    // A restarted server, with nothing cached, reads everything.
    t.restart().await;
    let nina = t.login("nina.nurse").await;
    for c in [&before, &after] {
        let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let text = t.get(&format!("/api/v1/conversations/{before}"), Some(&nina)).await.json();
    assert_eq!(text["messages"][0]["body"], "written under key 1");
    assert!(t.app().verify_audit().await.unwrap().is_intact());
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'master_key_rotated'").await, 1);
    t.stop().await;
}

#[tokio::test]
async fn nothing_identifying_reaches_the_logs() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let canary = format!("LOGCANARY{}", hex(&switchboard_crypto::random::array::<6>().unwrap()));
    let c = t.patient_conversation(&alice, &format!("s{canary}"), &format!("b{canary}")).await;
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": format!("n{canary}")})).await;
    t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await;
    // Errors too: a bad body with the canary in it.
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": [canary.clone()]})).await;
    t.try_login(&format!("u{canary}"), &format!("p{canary}")).await;
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(logs.contains("switchboard::access"), "the log capture works");
    assert!(!logs.contains(&canary), "PHI or credentials reached the logs");
    assert!(!logs.contains(&alice) && !logs.contains(&nina), "session tokens reached the logs");
    assert!(!logs.contains("Nguyen"));
    t.stop().await;
}
