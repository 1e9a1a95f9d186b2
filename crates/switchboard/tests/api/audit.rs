//! The audit log: what is recorded, who may search it, and that any
//! tampering with the stored chain is detected.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Executor as _;
use switchboard_domain::time::Span;
use switchboard_service::VerifyProblem;

fn actions(events: &Value) -> Vec<String> {
    events["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_read_and_write_of_phi_is_recorded_with_who_what_when_where() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let cora = t.login("cora.compliance").await;
    let alice_patient = t.patient_id("alice").await;
    let nina_id = t.user_id("nina.nurse").await;
    t.advance(Span::from_mins(1));
    let since = "2026-01-05T15:00:30Z";

    let c = t.patient_conversation(&alice, "Audit me", "hello").await;
    t.get("/api/v1/conversations", Some(&nina)).await;
    t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await;
    t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "hi"})).await;
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": "note"})).await;
    t.post(&format!("/api/v1/conversations/{c}/close"), Some(&nina), json!({})).await;
    // And a refusal: carol reaching for alice's conversation.
    let carol = t.login("carol").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&carol)).await.status, StatusCode::NOT_FOUND);

    let by_nina = t.get(&format!("/api/v1/audit-events?actor_id={nina_id}&from={since}"), Some(&cora)).await.json();
    let mut got = actions(&by_nina);
    got.reverse();
    // One listing entry per patient shown, then the single-conversation actions.
    let tail: Vec<&str> = got.iter().map(String::as_str).filter(|a| *a != "conversations_listed").collect();
    assert_eq!(tail, ["conversation_viewed", "messages_read", "message_sent", "note_added", "conversation_closed"]);
    let listed = got.iter().filter(|a| *a == "conversations_listed").count();
    assert_eq!(listed, 2, "one entry for each patient in nina's inbox: alice and carol");

    let view = by_nina["events"].as_array().unwrap().iter().find(|e| e["action"] == "conversation_viewed").unwrap();
    assert_eq!(view["actor_kind"], "staff");
    assert_eq!(view["outcome"], "success");
    assert_eq!(view["patient_id"], alice_patient.as_str());
    assert_eq!(view["resource_type"], "conversation");
    assert_eq!(view["resource_id"], c.as_str());
    assert_eq!(view["client_addr"], "127.0.0.1");
    assert_eq!(view["at"], "2026-01-05T15:01:00.000000Z");

    let about_alice =
        t.get(&format!("/api/v1/audit-events?patient_id={alice_patient}&from={since}"), Some(&cora)).await.json();
    let denied: Vec<&Value> =
        about_alice["events"].as_array().unwrap().iter().filter(|e| e["outcome"] == "denied").collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["action"], "conversation_viewed");
    assert_eq!(denied[0]["detail"], "denied:not_own_record");
    assert!(actions(&about_alice).contains(&"conversation_created".to_owned()));

    // Logins, failures and logouts too.
    t.try_login("alice", "definitely the wrong password").await;
    t.post("/api/v1/auth/logout", Some(&alice), json!({})).await;
    let alice_user = t.user_id("alice").await;
    let by_alice = t.get(&format!("/api/v1/audit-events?actor_id={alice_user}"), Some(&cora)).await.json();
    let a = actions(&by_alice);
    for expected in ["login_succeeded", "login_failed", "logout", "conversation_created", "message_sent"] {
        assert!(a.contains(&expected.to_owned()), "{expected} in {a:?}");
    }
    // Searching the log is itself recorded.
    let cora_id = t.user_id("cora.compliance").await;
    let by_cora = t.get(&format!("/api/v1/audit-events?actor_id={cora_id}"), Some(&cora)).await.json();
    // (Naming a patient in the results is recorded too.)
    assert!(
        actions(&by_cora)
            .iter()
            .all(|a| ["audit_log_searched", "login_succeeded", "patients_listed"].contains(&a.as_str())),
        "{by_cora}"
    );
    assert!(actions(&by_cora).iter().filter(|a| *a == "audit_log_searched").count() >= 3);
    t.stop().await;
}

#[tokio::test]
async fn audit_search_filters_by_time_and_pages() {
    let t = TestApp::spawn().await;
    t.advance(Span::from_hours(2));
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Later", "later").await;
    let admin = t.login("admin").await;
    let r = t.get("/api/v1/audit-events?from=2026-01-05T16:00:00Z&to=2026-01-05T18:00:00Z", Some(&admin)).await.json();
    let got = actions(&r);
    // The patient's message and the automatic acknowledgement.
    assert_eq!(got, ["login_succeeded", "message_sent", "message_sent", "conversation_created", "login_succeeded"]);
    let page1 = t.get("/api/v1/audit-events?limit=5", Some(&admin)).await.json();
    assert_eq!(page1["events"].as_array().unwrap().len(), 5);
    let before = page1["next_before"].as_i64().unwrap();
    let page2 = t.get(&format!("/api/v1/audit-events?limit=5&before={before}"), Some(&admin)).await.json();
    let last1 = page1["events"][4]["seq"].as_i64().unwrap();
    assert!(page2["events"][0]["seq"].as_i64().unwrap() < last1);
    t.stop().await;
}

async fn drop_protection(t: &TestApp, db: &mut sqlx::AnyConnection) {
    // An attacker with database access can remove the triggers.
    if t.db.is_postgres() {
        db.execute("ALTER TABLE audit_log DISABLE TRIGGER USER").await.unwrap();
        db.execute("ALTER TABLE audit_head DISABLE TRIGGER USER").await.unwrap();
    } else {
        db.execute("DROP TRIGGER audit_log_no_update").await.unwrap();
        db.execute("DROP TRIGGER audit_log_no_delete").await.unwrap();
    }
}

async fn tampered(
    setup: impl for<'a> FnOnce(&'a mut sqlx::AnyConnection) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>,
) -> (Vec<VerifyProblem>, std::process::Output) {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Tamper", "body").await;
    let clean = t.app().verify_audit().await.unwrap();
    assert!(clean.is_intact(), "{:?}", clean.problems);
    assert!(clean.entries > 20);
    // The log refuses changes through the application's own connection.
    let mut db = t.db().await;
    assert!(sqlx::query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 5").execute(&mut db).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 5").execute(&mut db).await.is_err());
    drop_protection(&t, &mut db).await;
    setup(&mut db).await;
    let report = t.app().verify_audit().await.unwrap();
    let cli = t.cli(&["audit", "verify"]).await;
    t.stop().await;
    (report.problems, cli)
}

#[tokio::test]
async fn a_modified_entry_is_detected() {
    let (problems, cli) = tampered(|db| {
        Box::pin(async move {
            sqlx::query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 7").execute(db).await.unwrap();
        })
    })
    .await;
    assert_eq!(problems, vec![VerifyProblem::Altered { seq: 7 }]);
    assert_eq!(cli.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&cli.stdout).contains("entry 7 was altered"),
        "{}",
        String::from_utf8_lossy(&cli.stdout)
    );
}

#[tokio::test]
async fn a_changed_code_is_detected() {
    let (problems, cli) = tampered(|db| {
        Box::pin(async move {
            sqlx::query("UPDATE audit_log SET action = 'nothing_to_see' WHERE seq = 3").execute(db).await.unwrap();
        })
    })
    .await;
    assert_eq!(problems, vec![VerifyProblem::Unreadable { seq: 3 }]);
    assert_eq!(cli.status.code(), Some(1));
}

#[tokio::test]
async fn a_deleted_entry_is_detected() {
    let (problems, cli) = tampered(|db| {
        Box::pin(async move {
            sqlx::query("DELETE FROM audit_log WHERE seq = 9").execute(db).await.unwrap();
        })
    })
    .await;
    assert_eq!(problems, vec![VerifyProblem::Missing { after: 8, next: 10 }, VerifyProblem::Altered { seq: 10 }]);
    assert_eq!(cli.status.code(), Some(1));
}

#[tokio::test]
async fn reordered_entries_are_detected() {
    let (problems, cli) = tampered(|db| {
        Box::pin(async move {
            // Swap entries 11 and 12.
            sqlx::query("UPDATE audit_log SET seq = -1 WHERE seq = 11").execute(&mut *db).await.unwrap();
            sqlx::query("UPDATE audit_log SET seq = 11 WHERE seq = 12").execute(&mut *db).await.unwrap();
            sqlx::query("UPDATE audit_log SET seq = 12 WHERE seq = -1").execute(&mut *db).await.unwrap();
        })
    })
    .await;
    // Both moved entries fail, and so does the next, whose predecessor changed.
    assert_eq!(
        problems,
        vec![
            VerifyProblem::Altered { seq: 11 },
            VerifyProblem::Altered { seq: 12 },
            VerifyProblem::Altered { seq: 13 }
        ]
    );
    assert_eq!(cli.status.code(), Some(1));
}

#[tokio::test]
async fn entries_removed_from_the_end_are_detected() {
    let (problems, _) = tampered(|db| {
        Box::pin(async move {
            sqlx::query("DELETE FROM audit_log WHERE seq > 20").execute(db).await.unwrap();
        })
    })
    .await;
    assert!(matches!(problems.as_slice(), [VerifyProblem::Truncated { last: 20, .. }]), "{problems:?}");
}

#[tokio::test]
async fn a_recomputed_chain_without_the_key_is_detected() {
    // An attacker who rewrites an entry and "fixes" the chain with a plain
    // hash cannot produce the keyed MACs.
    let (problems, _) = tampered(|db| {
        Box::pin(async move {
            sqlx::query("UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE seq = 2) WHERE seq = 4")
                .execute(db)
                .await
                .unwrap();
        })
    })
    .await;
    assert!(problems.contains(&VerifyProblem::Altered { seq: 4 }), "{problems:?}");
}

#[tokio::test]
async fn an_intact_log_verifies_from_the_command_line() {
    let t = TestApp::spawn().await;
    let out = t.cli(&["audit", "verify"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit log intact"));
    t.stop().await;
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Signed checkpoints close the gap the chain alone leaves: someone who
/// cuts entries from the end and rewrites the head row to match leaves a
/// chain that verifies, but not against a checkpoint made before; a
/// rewritten entry disagrees with it; and a checkpoint file that was
/// edited, or not signed with this deployment's key, is reported.
#[tokio::test]
async fn signed_checkpoints_catch_a_cut_tail_a_rewrite_and_a_forged_checkpoint() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Checkpoint", "body").await;
    let key = t.cli(&["audit", "public-key"]).await;
    assert_eq!(key.status.code(), Some(0), "{}", String::from_utf8_lossy(&key.stderr));
    assert_eq!(stdout(&key).trim().len(), 64, "{}", stdout(&key));

    let out = t.cli(&["audit", "checkpoint"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("checkpoint of entry"), "{}", stdout(&out));
    let dir = t.config.data_dir.join("audit-checkpoints");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let seq: i64 = text.lines().nth(1).unwrap().strip_prefix("seq ").unwrap().parse().unwrap();
    let out = t.cli(&["audit", "verify"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 signed checkpoint(s) agree"), "{}", stdout(&out));

    // A copy kept elsewhere is checked too; an edited one is reported.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("copy.checkpoint"), &text).unwrap();
    std::fs::write(
        elsewhere.path().join("edited.checkpoint"),
        text.replacen(&format!("seq {seq}"), &format!("seq {}", seq - 1), 1),
    )
    .unwrap();
    let report = t.app().verify_audit_with_checkpoints(&[elsewhere.path().to_owned()]).await.unwrap();
    assert_eq!(report.checkpoints, 2);
    assert!(
        matches!(report.problems.as_slice(), [VerifyProblem::CheckpointNotSigned { name }] if name.ends_with("edited.checkpoint")),
        "{:?}",
        report.problems
    );
    std::fs::remove_file(elsewhere.path().join("edited.checkpoint")).unwrap();

    // Entries cut from the end, the head row rewritten to match: the chain
    // alone verifies, the checkpoint does not.
    let mut db = t.db().await;
    drop_protection(&t, &mut db).await;
    let keep = seq - 3;
    sqlx::query(&format!("DELETE FROM audit_log WHERE seq > {keep}")).execute(&mut db).await.unwrap();
    sqlx::query(&format!(
        "UPDATE audit_head SET seq = {keep}, mac = (SELECT mac FROM audit_log WHERE seq = {keep}) WHERE id = 1"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    assert!(t.app().verify_audit().await.unwrap().is_intact(), "the chain alone cannot tell");
    let report = t.app().verify_audit_with_checkpoints(&[elsewhere.path().to_owned()]).await.unwrap();
    assert_eq!(
        report.problems,
        vec![
            VerifyProblem::CheckpointBeyondLog { seq, last: keep },
            VerifyProblem::CheckpointBeyondLog { seq, last: keep }
        ]
    );
    let out = t.cli(&["audit", "verify"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("entries were removed from the end"), "{}", stdout(&out));
    t.stop().await;
}

/// An entry up to a checkpoint that no longer has the checkpoint's MAC is
/// reported against the checkpoint as well as by the chain.
#[tokio::test]
async fn a_rewritten_entry_disagrees_with_its_checkpoint() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Checkpoint", "body").await;
    let written = t.app().write_audit_checkpoint().await.unwrap().unwrap();
    let mut db = t.db().await;
    drop_protection(&t, &mut db).await;
    sqlx::query(&format!(
        "UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE seq = 1) WHERE seq = {}",
        written.seq
    ))
    .execute(&mut db)
    .await
    .unwrap();
    let report = t.app().verify_audit_with_checkpoints(&[]).await.unwrap();
    assert!(
        report.problems.contains(&VerifyProblem::CheckpointRewritten { seq: written.seq }),
        "{:?}",
        report.problems
    );
    t.stop().await;
}

/// Housekeeping writes a checkpoint every hour.
#[tokio::test]
async fn housekeeping_writes_a_checkpoint() {
    let t = TestApp::spawn().await;
    let hk = switchboard_service::jobs::HOUSEKEEPING;
    t.app().schedule(hk, "{}", t.app().now(), Some(hk)).await.unwrap();
    t.run_due_jobs().await;
    let dir = t.config.data_dir.join("audit-checkpoints");
    assert!(std::fs::read_dir(&dir).unwrap().count() >= 1);
    let report = t.app().verify_audit_with_checkpoints(&[]).await.unwrap();
    assert!(report.is_intact() && report.checkpoints >= 1, "{report:?}");
    t.stop().await;
}
