//! Urgent messages reach a person after hours: the on-call chain is paged
//! by text (a stand-in SMS gateway), each page waits for its
//! acknowledgement before the next, the fallback number comes last, and
//! the patient is told "paging" only when a page really goes out.

use crate::notifications::{Form, Gateway};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

const URGENT: &str = "I have crushing chest pain going down my left arm right now";

fn texts_to<'a>(sent: &'a [Form], number: &str) -> Vec<&'a Form> {
    sent.iter().filter(|f| f.iter().any(|(k, v)| k == "To" && v == number)).collect()
}

fn body(form: &Form) -> String {
    form.iter().find(|(k, _)| k == "Body").unwrap().1.clone()
}

fn ack_token(form: &Form) -> String {
    let text = body(form);
    let at = text.find("/inbox#/ack/").unwrap() + "/inbox#/ack/".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// Dr. Patel on call first, Nina second, the fallback line last, all for
/// this evening (T0 is 10:00 in New York; the office closes at 17:00).
async fn evening_schedule(t: &TestApp, admin: &str) {
    let start = "2026-01-05T22:00:00Z";
    let end = "2026-01-06T13:00:00Z";
    for (user, position) in [("dr.patel", 0), ("nina.nurse", 1)] {
        let id = t.user_id(user).await;
        let r = t
            .post(
                "/api/v1/on-call",
                Some(admin),
                json!({"user_id": id, "starts_at": start, "ends_at": end, "position": position}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = t
        .request(
            Method::PUT,
            "/api/v1/practice/paging",
            Some(admin),
            Some(json!({"ack_minutes": 10, "fallback_phone": "(555) 010-0190"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn last_reply(t: &TestApp, token: &str, c: &str) -> String {
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(token)).await;
    let messages = r.json()["messages"].as_array().unwrap().clone();
    messages.last().unwrap()["body"].as_str().unwrap().to_owned()
}

/// The evening schedule, then Alice's urgent message at 18:30 in New York
/// (closed): her session and the conversation.
async fn urgent_after_hours(t: &TestApp) -> (String, String) {
    let admin = t.login("admin").await;
    evening_schedule(t, &admin).await;
    t.advance(Span::from_mins(8 * 60 + 30));
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Now", URGENT).await;
    (alice, c)
}

#[tokio::test]
async fn after_hours_the_on_call_chain_is_paged_until_someone_acknowledges() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    let (alice, c) = urgent_after_hours(&t).await;
    let reply = last_reply(&t, &alice, &c).await;
    assert!(reply.contains("paging the clinician on call"), "{reply}");
    assert!(reply.contains("call 911"), "{reply}");

    t.run_due_jobs().await;
    let sent = gateway.sent();
    let to_patel = texts_to(&sent, "+15550100112");
    assert_eq!(to_patel.len(), 1, "Dr. Patel is paged first: {sent:?}");
    let page = body(to_patel[0]);
    assert!(page.contains("Riverside Family Medicine") && page.contains("/inbox#/ack/"), "{page}");
    for private in ["chest", "arm", "Alice", "Nguyen"] {
        assert!(!page.contains(private), "{private} in {page}");
    }
    assert!(texts_to(&sent, "+15550100111").is_empty(), "Nina waits her turn");

    // Ten minutes without an acknowledgement: Nina is paged.
    t.advance(Span::from_secs(10 * 60 + 1));
    t.run_due_jobs().await;
    let sent = gateway.sent();
    let to_nina = texts_to(&sent, "+15550100111");
    assert_eq!(to_nina.len(), 1, "{sent:?}");
    let nina = t.login("nina.nurse").await;
    let token = ack_token(to_nina[0]);
    // A patient cannot acknowledge; Nina can, once it opens the conversation.
    let refused = t.post("/api/v1/pages/acknowledge", Some(&alice), json!({"token": token})).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let ack = t.post("/api/v1/pages/acknowledge", Some(&nina), json!({"token": token})).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    assert_eq!(ack.json()["conversation_id"], c.as_str());
    let again = t.post("/api/v1/pages/acknowledge", Some(&nina), json!({"token": token})).await;
    assert_eq!(again.status, StatusCode::GONE, "the link works once");

    // Nobody else is paged, not even the fallback line.
    t.advance(Span::from_secs(30 * 60));
    t.run_due_jobs().await;
    assert!(texts_to(&gateway.sent(), "+15550100190").is_empty());
    let (nina, alice) = (t.login("nina.nurse").await, t.login("alice").await);
    let pages: Value = t.get(&format!("/api/v1/conversations/{c}/pages"), Some(&nina)).await.json();
    let pages = pages.as_array().unwrap();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages[0]["paged"]["display_name"], "Dr. Priya Patel");
    assert!(pages[0]["acknowledged_at"].is_null());
    assert_eq!(pages[1]["acknowledged_by"]["display_name"], "Nina Alvarez, RN");
    // Each page says how it went out, and how far it got: never the number.
    for page in pages {
        assert_eq!(page["channels"], json!([{"medium": "sms", "state": "sent", "reason": null}]), "{page}");
    }
    // Patients do not see the paging record.
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}/pages"), Some(&alice)).await.status, StatusCode::NOT_FOUND);
    // A made-up link is refused like a used one.
    let bogus = t.post("/api/v1/pages/acknowledge", Some(&nina), json!({"token": "not-a-real-token"})).await;
    assert_eq!(bogus.status, StatusCode::GONE, "{}", bogus.text);
    t.stop().await;
}

#[tokio::test]
async fn when_nobody_acknowledges_the_fallback_number_is_texted_last() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    let (_, c) = urgent_after_hours(&t).await;
    for _ in 0..3 {
        t.run_due_jobs().await;
        t.advance(Span::from_secs(10 * 60 + 1));
    }
    t.run_due_jobs().await;
    let sent = gateway.sent();
    let order: Vec<String> = sent
        .iter()
        .map(|f| f.iter().find(|(k, _)| k == "To").unwrap().1.clone())
        .filter(|n| ["+15550100112", "+15550100111", "+15550100190"].contains(&n.as_str()))
        .collect();
    assert_eq!(order, vec!["+15550100112", "+15550100111", "+15550100190"], "{sent:?}");
    let nina = t.login("nina.nurse").await;
    let pages: Value = t.get(&format!("/api/v1/conversations/{c}/pages"), Some(&nina)).await.json();
    let last = pages.as_array().unwrap().last().unwrap().clone();
    assert!(last["paged"].is_null(), "the fallback number: {last}");
    assert_eq!(last["channels"], json!([{"medium": "sms", "state": "sent", "reason": null}]), "{last}");
    t.stop().await;
}

/// Without a schedule (or with nobody reachable), nobody is paged and the
/// reply says what really happened.
#[tokio::test]
async fn no_page_no_promise() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    t.advance(Span::from_mins(8 * 60 + 30));
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Now", URGENT).await;
    let reply = last_reply(&t, &alice, &c).await;
    assert!(!reply.contains("paging"), "{reply}");
    assert!(reply.contains("closed"), "{reply}");
    t.run_due_jobs().await;
    assert!(gateway.sent().iter().all(|f| !body(f).contains("/inbox#/ack/")));
    // Shifts are checked.
    let admin = t.login("admin").await;
    let nina = t.user_id("nina.nurse").await;
    let bad = t
        .post(
            "/api/v1/on-call",
            Some(&admin),
            json!({"user_id": nina, "starts_at": "2026-01-06T10:00:00Z", "ends_at": "2026-01-06T09:00:00Z"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let staff = t.login("nina.nurse").await;
    let refused = t
        .post(
            "/api/v1/on-call",
            Some(&staff),
            json!({"user_id": nina, "starts_at": "2026-01-06T08:00:00Z", "ends_at": "2026-01-06T09:00:00Z"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "only administrators change the schedule");
    t.stop().await;
}
