//! The messaging flows: start, reply, read receipts, notes, closing,
//! assignment, amendments, paging, idempotent retries.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use switchboard_domain::time::Span;

#[tokio::test]
async fn a_patient_writes_and_the_care_team_answers() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Rash on my arm", "The rash is spreading since yesterday.").await;

    let inbox = t.get("/api/v1/conversations?status=needs_staff_response", Some(&nina)).await.json();
    let row = inbox["conversations"].as_array().unwrap().iter().find(|r| r["id"] == c.as_str()).unwrap().clone();
    assert_eq!(row["subject"], "Rash on my arm");
    assert_eq!(row["patient"]["display_name"], "Alice Nguyen");
    assert_eq!(row["patient"]["birth_date"], "1984-03-12");
    assert_eq!(row["unread_count"], 1);
    assert_eq!(row["topic"], "care_question");
    assert_eq!(row["priority"], "routine");

    t.advance(Span::from_mins(3));
    assert_eq!(t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await.json()["marked"], 1);
    let reply = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Please send a photo."}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let note = t
        .post(
            &format!("/api/v1/conversations/{c}/notes"),
            Some(&nina),
            json!({"body": "Looks like contact dermatitis"}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED);

    // The patient sees the reply, who read her message and when, but no note.
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    assert_eq!(view["status"], "awaiting_patient");
    assert_eq!(view["unread_count"], 0, "computed for listings only");
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["body"], "The rash is spreading since yesterday.");
    assert_eq!(messages[0]["sender"]["kind"], "patient");
    // Read by her care team (a nurse), and when; not who by name.
    assert_eq!(messages[0]["read_by_staff"]["by"], "care_team");
    assert_eq!(messages[0]["read_by_staff"]["read_at"], "2026-01-05T15:03:00.000000Z");
    assert_eq!(messages[0]["read_by"], json!([]), "staff readings stay with staff");
    // The automatic acknowledgement, with when to expect an answer.
    assert_eq!(messages[1]["sender"]["kind"], "system");
    assert!(messages[1]["body"].as_str().unwrap().contains("will answer by"), "{}", messages[1]);
    assert_eq!(messages[2]["sender"]["display_name"], "Nina Alvarez, RN");
    assert!(view.get("notes").is_none(), "patients never get internal notes");
    assert!(view["assignee"].is_null());
    assert!(view["patient"]["birth_date"].is_null());
    assert!(!t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.text.contains("dermatitis"));

    // Unread for the patient is the staff reply.
    let list = t.get("/api/v1/conversations", Some(&alice)).await.json();
    let mine = list["conversations"].as_array().unwrap().iter().find(|r| r["id"] == c.as_str()).unwrap().clone();
    assert_eq!(mine["unread_count"], 1);
    assert_eq!(t.post(&format!("/api/v1/conversations/{c}/read"), Some(&alice), json!({})).await.json()["marked"], 1);
    assert_eq!(t.post(&format!("/api/v1/conversations/{c}/read"), Some(&alice), json!({})).await.json()["marked"], 0);

    // Staff see the note, set apart.
    let staff_view = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.json();
    assert_eq!(staff_view["notes"][0]["body"], "Looks like contact dermatitis");
    assert_eq!(staff_view["messages"][2]["read_by"][0]["reader"]["kind"], "patient");

    // The patient's answer makes it the staff's move again.
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "Photo attached soon."})).await;
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.json();
    assert_eq!(view["status"], "needs_staff_response");
    t.stop().await;
}

#[tokio::test]
async fn closing_reopening_and_writing_to_a_closed_conversation() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let patel = t.login("dr.patel").await;
    let c = t.patient_conversation(&alice, "Thanks", "All better now").await;
    let r = t.post(&format!("/api/v1/conversations/{c}/close"), Some(&patel), json!({})).await;
    assert_eq!(r.json()["status"], "closed");
    let again = t.post(&format!("/api/v1/conversations/{c}/close"), Some(&patel), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "conflict");
    let closed = t.get("/api/v1/conversations?status=closed", Some(&patel)).await.json();
    assert!(ids(&closed).contains(&c));
    let reopened = t.post(&format!("/api/v1/conversations/{c}/reopen"), Some(&patel), json!({})).await;
    assert_eq!(reopened.json()["status"], "needs_staff_response");
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/reopen"), Some(&patel), json!({})).await.status,
        StatusCode::CONFLICT
    );
    // A patient may close their own; their next message reopens it.
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/close"), Some(&alice), json!({})).await.status,
        StatusCode::OK
    );
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "It came back"})).await;
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    assert_eq!(view["status"], "needs_staff_response");
    t.stop().await;
}

#[tokio::test]
async fn assignment_gives_access_and_is_limited_to_the_practice() {
    let t = TestApp::spawn().await;
    let bob = t.login("bob").await;
    let okafor = t.login("dr.okafor").await;
    let bill = t.login("bill.billing").await;
    let c = t.patient_conversation(&bob, "Invoice", "Why two charges?").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&bill)).await.status, StatusCode::NOT_FOUND);

    let bill_id = t.user_id("bill.billing").await;
    // Billing does not read care questions by default, so Bill is not handed
    // one: an assignee who cannot read it could not answer it.
    let r = t.post(&format!("/api/v1/conversations/{c}/assign"), Some(&okafor), json!({"assignee_id": bill_id})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "assignee_id");
    // Where the practice lets billing read every topic, he may be.
    t.desk_and_billing_read_every_topic().await;
    let bill = t.login("bill.billing").await;
    let r = t.post(&format!("/api/v1/conversations/{c}/assign"), Some(&okafor), json!({"assignee_id": bill_id})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["assignee"]["display_name"], "Bill Turner");
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&bill)).await.status, StatusCode::OK);
    let mine = t.get("/api/v1/conversations?assignee=me", Some(&bill)).await.json();
    assert!(ids(&mine).contains(&c));

    // Not to patients, other practices, compliance, or nobody.
    for who in [
        t.user_id("alice").await,
        t.user_id("dr.lee").await,
        t.user_id("cora.compliance").await,
        "01234567-89ab-7def-8123-456789abcdef".into(),
    ] {
        let r = t.post(&format!("/api/v1/conversations/{c}/assign"), Some(&okafor), json!({"assignee_id": who})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    // Unassigning takes the access away again.
    let r = t.post(&format!("/api/v1/conversations/{c}/assign"), Some(&okafor), json!({"assignee_id": null})).await;
    assert!(r.json()["assignee"].is_null());
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&bill)).await.status, StatusCode::NOT_FOUND);
    let unassigned = t.get("/api/v1/conversations?assignee=none", Some(&okafor)).await.json();
    assert!(ids(&unassigned).contains(&c));
    // Patients cannot filter by assignee.
    assert_eq!(t.get("/api/v1/conversations?assignee=me", Some(&bob)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn messages_are_never_edited_only_amended() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let r = t
        .start_conversation(&alice, json!({"subject": "Dose", "topic": "prescription_refill", "body": "I take 50 mg"}))
        .await;
    let c = r.json()["id"].as_str().unwrap().to_owned();
    let m = r.json()["message_id"].as_str().unwrap().to_owned();
    let a = t
        .post(
            &format!("/api/v1/conversations/{c}/messages/{m}/amendments"),
            Some(&alice),
            json!({"body": "Sorry, 25 mg"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    assert_eq!(view["messages"][0]["body"], "I take 50 mg");
    assert_eq!(view["messages"][0]["amendments"][0]["body"], "Sorry, 25 mg");
    assert_eq!(view["messages"][0]["amendments"][0]["author"]["display_name"], "Alice Nguyen");
    // The database itself refuses to change or remove a message.
    let mut db = t.db().await;
    assert!(sqlx::query("UPDATE messages SET sent_at = 0").execute(&mut db).await.is_err());
    assert!(sqlx::query("DELETE FROM messages").execute(&mut db).await.is_err());
    // No route edits or deletes.
    let path = format!("/api/v1/conversations/{c}");
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let r = t.request(method, &path, Some(&alice), Some(json!({"body": "x"}))).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.code(), "method_not_allowed");
    }
    t.stop().await;
}

#[tokio::test]
async fn listings_page_with_a_cursor_newest_first() {
    let t = TestApp::spawn().await;
    let carol = t.login("carol").await;
    let mut made = Vec::new();
    for i in 0..7 {
        t.advance(Span::from_secs(60));
        made.push(t.patient_conversation(&carol, &format!("Question {i}"), "body").await);
    }
    made.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=3&cursor={c}"),
            None => "/api/v1/conversations?limit=3".to_owned(),
        };
        let page = t.get(&path, Some(&carol)).await.json();
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // Carol also has the demo's refill conversation, the oldest.
    assert_eq!(seen.len(), 8);
    assert_eq!(&seen[..7], &made[..]);
    t.stop().await;
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_sends_once() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Retry", "first").await;
    let send = |key: &'static str, body: &'static str| {
        t.client
            .post(t.url(&format!("/api/v1/conversations/{c}/messages")))
            .bearer_auth(&alice)
            .header("idempotency-key", key)
            .json(&json!({"body": body}))
            .send()
    };
    let first = send("key-1", "Is my prescription ready?").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();
    let retry = send("key-1", "Is my prescription ready?").await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let retry: serde_json::Value = retry.json().await.unwrap();
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(first["sent_at"], retry["sent_at"]);

    // Many concurrent retries still make one message.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let req = t
            .client
            .post(t.url(&format!("/api/v1/conversations/{c}/messages")))
            .bearer_auth(&alice)
            .header("idempotency-key", "key-2")
            .json(&json!({"body": "Concurrent retry"}));
        set.spawn(async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(done) = set.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);

    // The same key for something else is refused.
    let other = send("key-1", "A different question").await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    // The first message, its acknowledgement, and the one sent once.
    assert_eq!(view["messages"].as_array().unwrap().len(), 4);

    // Keys belong to their user: another user's identical key is separate.
    let nina = t.login("nina.nurse").await;
    let r = t
        .client
        .post(t.url(&format!("/api/v1/conversations/{c}/messages")))
        .bearer_auth(&nina)
        .header("idempotency-key", "key-1")
        .json(&json!({"body": "Is my prescription ready?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("idempotent-replayed").is_none());
    t.stop().await;
}

#[tokio::test]
async fn a_retried_start_with_the_same_idempotency_key_starts_once() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let before = t.count("SELECT count(*) FROM conversations").await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let r = t
            .client
            .post(t.url("/api/v1/conversations"))
            .bearer_auth(&alice)
            .header("idempotency-key", "start-1")
            .json(&json!({"subject": "Hello", "topic": "care_question", "body": "One conversation please"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        seen.insert(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 1);
    assert_eq!(t.count("SELECT count(*) FROM conversations").await, before + 1);
    t.stop().await;
}
