//! Retention of the record (issue 17) on the test clock: periods per
//! practice and per category, legal holds on a patient and on a
//! conversation, and the retention job removing, irreversibly, exactly
//! what has expired and is not held (rows, files, data keys; nothing
//! readable or findable afterwards), recording what it removed, with the
//! audit chain still verifying. Nothing else can delete a message.

use crate::attachments::{files_under, upload};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use switchboard_domain::time::Span;

const DAY: Span = Span::from_hours(24);

fn years(n: i64) -> Span {
    Span::from_hours(24 * 366 * n)
}

async fn reauth(t: &TestApp, token: &str) {
    let r = t.post("/api/v1/auth/reauthenticate", Some(token), json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn expired_conversations_are_removed_unless_held_and_the_chain_still_verifies() {
    let t = TestApp::spawn().await;
    let (alice, bob, nina, admin) =
        (t.login("alice").await, t.login("bob").await, t.login("nina.nurse").await, t.login("admin").await);

    // Who may: administrators and the compliance officer, after proving
    // again who they are; every field checked.
    assert_eq!(t.get("/api/v1/practice/retention", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/practice/retention", Some(&admin)).await;
    assert_eq!(
        (r.json()["default_years"].as_u64(), r.json()["chosen"].as_bool()),
        (Some(10), Some(false)),
        "{}",
        r.text
    );
    let billing = json!({"default_years": 10, "overrides": [{"category": "topic:billing", "years": 7}]});
    t.advance(Span::from_mins(6));
    assert_eq!(
        t.put("/api/v1/practice/retention", Some(&admin), billing.clone()).await.code(),
        "reauthentication_required"
    );
    reauth(&t, &admin).await;
    let r = t.put("/api/v1/practice/retention", Some(&admin), json!({"default_years": 0})).await;
    assert_eq!(r.json()["error"]["field"], "default_years", "{}", r.text);
    let r = t
        .put(
            "/api/v1/practice/retention",
            Some(&admin),
            json!({"default_years": 10, "overrides": [{"category": "topic:gossip", "years": 3}]}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "overrides", "{}", r.text);
    let r = t.put("/api/v1/practice/retention", Some(&admin), billing).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["overrides"][0]["years"], 7);
    let carol = t.login("cora.compliance").await;
    assert_eq!(t.get("/api/v1/practice/retention", Some(&carol)).await.json()["chosen"], true);

    // Alice: one conversation with a file, a correction and a note; one
    // that will be held. Bob: a billing question (seven years).
    let c1 = t.patient_conversation(&alice, "Ketorolix refill", "Please refill the ketorolix.").await;
    let up = upload(&t, &alice, &c1, "log.txt", "text/plain", b"zanthrovex log\n").await;
    let file = up.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            &format!("/api/v1/conversations/{c1}/messages"),
            Some(&alice),
            json!({"body": "Log attached.", "attachment_ids": [file]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t.post(&format!("/api/v1/conversations/{c1}/messages"), Some(&nina), json!({"body": "Done."})).await;
    let reply = r.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/conversations/{c1}/messages/{reply}/amendments"),
        Some(&nina),
        json!({"body": "Done, sent."}),
    )
    .await;
    t.post(&format!("/api/v1/conversations/{c1}/notes"), Some(&nina), json!({"body": "Checked the ketorolix dose."}))
        .await;
    let c2 = t.patient_conversation(&alice, "Fall at work", "I fell at work on Monday.").await;
    let r = t
        .start_conversation(&bob, json!({"subject": "Statement", "topic": "billing", "body": "Why two charges?"}))
        .await;
    let c3 = r.json()["id"].as_str().unwrap().to_owned();
    let blobs_before = files_under(&t.config.data_dir.join("attachments")).len();
    assert!(blobs_before >= 1);

    // Holds: Alice's fall (a conversation), Bob (a patient).
    let bob_id = t.patient_id("bob").await;
    let hold = |body: serde_json::Value| {
        let (t, admin) = (&t, admin.clone());
        async move { t.post("/api/v1/practice/legal-holds", Some(&admin), body).await }
    };
    assert_eq!(hold(json!({"reason": "no target"})).await.json()["error"]["field"], "patient_id");
    assert_eq!(hold(json!({"conversation_id": c2, "reason": " "})).await.json()["error"]["field"], "reason");
    let r = hold(json!({"conversation_id": c2, "reason": "Workers' comp claim WC-2026-118"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = hold(json!({"patient_id": bob_id, "reason": "Records request RR-77"})).await;
    let bob_hold = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        t.post("/api/v1/practice/legal-holds", Some(&nina), json!({"patient_id": bob_id, "reason": "x"})).await.status,
        StatusCode::NOT_FOUND
    );
    let list = t.get("/api/v1/practice/legal-holds", Some(&carol)).await.json();
    assert_eq!(list["holds"].as_array().unwrap().len(), 2);
    assert_eq!(list["holds"][0]["reason"], "Records request RR-77");
    assert_eq!(list["holds"][0]["patient_name"], "Bob Martinez");
    let sealed = t.count("SELECT COUNT(*) FROM legal_holds WHERE reason_ct LIKE '%RR-77%'").await;
    assert_eq!(sealed, 0, "the reason is sealed");

    // Seven years and a day on: Bob's billing question has expired, but
    // his hold keeps it; nothing of Alice's has expired.
    t.advance(years(7));
    t.advance(DAY);
    let report = t.app().run_retention().await.unwrap();
    assert!(report.held >= 1, "{report:?}");
    let admin = t.login("admin").await;
    let removed = |list: &serde_json::Value| -> Vec<String> {
        list["removals"].as_array().unwrap().iter().map(|r| r["conversation_id"].as_str().unwrap().to_owned()).collect()
    };
    let first = removed(&t.get("/api/v1/practice/retention/removals", Some(&admin)).await.json());
    assert!(!first.contains(&c3) && !first.contains(&c1), "held and not yet expired: {first:?}");
    reauth(&t, &admin).await;
    let r = t.post(&format!("/api/v1/practice/legal-holds/{bob_hold}/release"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.post(&format!("/api/v1/practice/legal-holds/{bob_hold}/release"), Some(&admin), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let report = t.app().run_retention().await.unwrap();
    assert!(report.removed >= 1, "{report:?}");
    let removals = t.get("/api/v1/practice/retention/removals", Some(&admin)).await.json();
    let gone: Vec<&str> =
        removals["removals"].as_array().unwrap().iter().map(|r| r["conversation_id"].as_str().unwrap()).collect();
    assert!(gone.contains(&c3.as_str()) && !gone.contains(&c1.as_str()), "{removals}");
    let c3_row = removals["removals"].as_array().unwrap().iter().find(|r| r["conversation_id"] == c3.as_str()).unwrap();
    assert_eq!((c3_row["retention_years"].as_i64(), c3_row["topic"].as_str()), (Some(7), Some("billing")));

    // Ten years and a day: Alice's first is removed, her held one stays.
    t.advance(years(3));
    let report = t.app().run_retention().await.unwrap();
    assert!(report.removed >= 1 && report.held >= 1, "{report:?}");
    let (alice, nina) = (t.login("alice").await, t.login("nina.nurse").await);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c1}"), Some(&alice)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c1}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);
    let held = t.get(&format!("/api/v1/conversations/{c2}"), Some(&nina)).await;
    assert_eq!(held.status, StatusCode::OK, "the held conversation is still whole");
    assert_eq!(held.json()["messages"][0]["body"], "I fell at work on Monday.");
    let found = t.post("/api/v1/search", Some(&nina), json!({"q": "ketorolix"})).await;
    assert_eq!(found.json()["results"].as_array().unwrap().len(), 0, "{}", found.text);
    assert_eq!(
        t.post("/api/v1/search", Some(&nina), json!({"q": "fell work"})).await.json()["results"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Nothing of it left to read: rows, files, keys.
    let hex = |id: &str| id.replace('-', "");
    for table in ["messages", "notes", "attachments", "search_index", "events"] {
        let left = if t.db.is_postgres() {
            t.count(&format!("SELECT COUNT(*) FROM {table} WHERE encode(conversation_id, 'hex') = '{}'", hex(&c1)))
                .await
        } else {
            t.count(&format!("SELECT COUNT(*) FROM {table} WHERE hex(conversation_id) = upper('{}')", hex(&c1))).await
        };
        assert_eq!(left, 0, "{table}");
    }
    let keys_left = if t.db.is_postgres() {
        t.count(&format!(
            "SELECT COUNT(*) FROM data_keys WHERE encode(id, 'hex') IN ('{}', '{}')",
            hex(&c1),
            hex(&file)
        ))
        .await
    } else {
        t.count(&format!(
            "SELECT COUNT(*) FROM data_keys WHERE hex(id) IN (upper('{}'), upper('{}'))",
            hex(&c1),
            hex(&file)
        ))
        .await
    };
    assert_eq!(keys_left, 0, "the data keys are shredded");
    let blobs = files_under(&t.config.data_dir.join("attachments"));
    assert!(blobs.iter().all(|p| !p.to_string_lossy().contains(&file)), "the file's blob is gone: {blobs:?}");

    // Recorded and audited; the chain verifies across the removals.
    assert!(t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'conversation_removed'").await >= 2);
    let out = t.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // Nobody deletes a message otherwise: the database refuses.
    let mut db = t.db().await;
    let sql = if t.db.is_postgres() {
        format!("DELETE FROM messages WHERE encode(conversation_id, 'hex') = '{}'", hex(&c2))
    } else {
        format!("DELETE FROM messages WHERE hex(conversation_id) = upper('{}')", hex(&c2))
    };
    assert!(sqlx::query(&sql).execute(&mut db).await.is_err());
}
