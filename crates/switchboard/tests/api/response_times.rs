//! Office hours, automatic replies, response-time targets and their alerts,
//! with the test clock. The demo practice is open Monday to Friday, 8:00 AM
//! to 5:00 PM in New York; the clock starts on Monday 2026-01-05 at
//! 10:00 AM there (15:00 UTC).

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

async fn start(t: &TestApp, token: &str, topic: &str, body: &str) -> String {
    let req = json!({"subject": "A question", "topic": topic, "body": body});
    let r = t.start_conversation(token, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn view(t: &TestApp, who: &str, id: &str) -> Value {
    let token = t.login(who).await;
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn system_messages(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender"]["kind"] == "system")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// The kinds of `who`'s unacknowledged alerts about conversation `id`.
async fn alert_kinds(t: &TestApp, who: &str, id: &str) -> Vec<String> {
    let token = t.login(who).await;
    let alerts = t.get("/api/v1/alerts", Some(&token)).await.json();
    let mut kinds: Vec<String> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["conversation_id"] == id)
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn patients_are_told_when_to_expect_an_answer_in_and_out_of_hours() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;

    // Before sending: open now, answered by 2:00 PM (4 business hours).
    let e = t.get("/api/v1/practice/expectation?topic=care_question", Some(&alice)).await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    let e = e.json();
    assert_eq!(e["open_now"], true);
    assert_eq!(e["reply_by"], "2026-01-05T19:00:00.000000Z");
    assert_eq!(e["reply_by_text"], "today at 2:00 PM");
    assert!(e["message"].as_str().unwrap().contains("911"));
    let bad = t.get("/api/v1/practice/expectation?topic=astrology", Some(&alice)).await;
    assert_eq!((bad.status, bad.code().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"));

    // Sent: the same promise comes back as an automatic reply, and the
    // conversation carries its due time.
    let c = start(&t, &alice, "care_question", "Is the new dose taken with food?").await;
    let v = view(&t, "alice", &c).await;
    let acks = system_messages(&v);
    assert_eq!(acks.len(), 1);
    assert!(acks[0].contains("Your care team will answer by today at 2:00 PM."), "{}", acks[0]);
    assert!(acks[0].contains("call 911"), "{}", acks[0]);
    assert_eq!(v["response"]["due_at"], "2026-01-05T19:00:00.000000Z");
    assert_eq!(v["response"]["due_soon_at"], "2026-01-05T18:00:00.000000Z", "75 % of the target");
    assert_eq!(v["response"]["state"], "on_track");
    assert_eq!(v["unread_count"], 0);
    let list = t.get("/api/v1/conversations", Some(&alice)).await.json();
    let row = list["conversations"].as_array().unwrap().iter().find(|r| r["id"] == c.as_str()).unwrap().clone();
    assert_eq!(row["unread_count"], 0, "the patient saw the acknowledgement as they sent");

    // Friday 5:30 PM: closed until Monday 8:00 AM; answered by Monday noon.
    t.advance(Span::from_mins((4 * 24 + 7) * 60 + 30));
    let alice = t.login("alice").await;
    let e = t.get("/api/v1/practice/expectation", Some(&alice)).await.json();
    assert_eq!(e["open_now"], false);
    assert_eq!(e["opens_at"], "2026-01-12T13:00:00.000000Z");
    assert_eq!(e["reply_by"], "2026-01-12T17:00:00.000000Z");
    assert_eq!(e["reply_by_text"], "Monday at 12:00 PM");
    let c = start(&t, &alice, "care_question", "Can I get a flu shot at my next visit?").await;
    let ack = system_messages(&view(&t, "alice", &c).await).remove(0);
    assert!(ack.starts_with("Our office is closed right now."), "{ack}");
    assert!(ack.contains("when we open Monday at 8:00 AM"), "{ack}");
    assert!(ack.contains("will answer by Monday at 12:00 PM"), "{ack}");
    assert!(ack.contains("call 911"), "{ack}");

    // Staff starting a conversation start no clock and get no acknowledgement.
    let nina = t.login("nina.nurse").await;
    let patient = t.patient_id("alice").await;
    let r = t
        .start_conversation(&nina, json!({"subject": "Lab results", "topic": "test_results", "body": "Your results are normal.", "patient_id": patient}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = view(&t, "nina.nurse", r.json()["id"].as_str().unwrap()).await;
    assert!(system_messages(&v).is_empty());
    assert!(v.get("response").is_none());
    t.stop().await;
}

#[tokio::test]
async fn administrators_set_targets_and_reword_the_replies() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let nina = t.login("nina.nurse").await;
    let alice = t.login("alice").await;
    let settings = json!({
        "targets": [
            {"topic": "billing", "first_response_minutes": 480, "next_response_minutes": 240, "clock": "business"},
            {"priority": "urgent", "first_response_minutes": 30, "next_response_minutes": 30, "clock": "wall"}
        ],
        "due_soon_percent": 50,
        "auto_reply_open": "Thanks from {practice_name}. We will reply by {reply_by}. Emergencies: call 911."
    });

    // Only administrators change them; patients do not see them.
    let put = |token: &str, body: Value| {
        let token = token.to_owned();
        let t = &t;
        async move { t.request(Method::PUT, "/api/v1/response-settings", Some(&token), Some(body)).await }
    };
    assert_eq!(put(&nina, settings.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(put(&alice, settings.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/response-settings", Some(&alice)).await.status, StatusCode::NOT_FOUND);
    // Bad input is refused, naming the field, and changes nothing.
    for (body, field) in [
        (
            json!({"targets": [], "due_soon_percent": 50, "auto_reply_open": "We will reply by {reply_by}."}),
            "auto_reply_open",
        ),
        (
            json!({"targets": [], "due_soon_percent": 50, "auto_reply_closed": "Call 911. {patient_name}"}),
            "auto_reply_closed",
        ),
        (json!({"targets": [], "due_soon_percent": 100}), "due_soon_percent"),
        (
            json!({"targets": [{"topic": "astrology", "first_response_minutes": 60, "next_response_minutes": 60, "clock": "wall"}], "due_soon_percent": 50}),
            "targets",
        ),
        (
            json!({"targets": [{"first_response_minutes": 0, "next_response_minutes": 60, "clock": "wall"}], "due_soon_percent": 50}),
            "targets",
        ),
        (
            json!({"targets": [{"first_response_minutes": 60, "next_response_minutes": 60, "clock": "lunar"}], "due_soon_percent": 50}),
            "targets",
        ),
    ] {
        let r = put(&admin, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.text);
    }
    let before = t.get("/api/v1/response-settings", Some(&nina)).await.json();
    assert!(before["targets"].as_array().unwrap().len() == 2 && before["auto_reply_open"].is_null(), "{before}");

    let r = put(&admin, settings).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let after = t.get("/api/v1/response-settings", Some(&nina)).await.json();
    assert_eq!(after["targets"][0]["topic"], "billing");
    assert_eq!(after["targets"][1]["clock"], "wall");
    assert_eq!(after["due_soon_percent"], 50);
    assert!(after["default_auto_reply_closed"].as_str().unwrap().contains("{opens}"));

    // Billing: 8 business hours from Monday 10:00 is Tuesday 9:00; due soon
    // at half of it. The reworded reply is used.
    let c = start(&t, &alice, "billing", "Why was I charged twice for my visit?").await;
    let v = view(&t, "alice", &c).await;
    assert_eq!(v["response"]["due_at"], "2026-01-06T14:00:00.000000Z");
    assert_eq!(v["response"]["due_soon_at"], "2026-01-05T19:00:00.000000Z");
    let ack = system_messages(&v).remove(0);
    assert_eq!(
        ack,
        "Thanks from Riverside Family Medicine. We will reply by tomorrow at 9:00 AM. Emergencies: call 911."
    );
    // Urgent: 30 minutes around the clock, and the emergency reply instead.
    let c = start(&t, &alice, "care_question", "I can't breathe and my lips are turning blue").await;
    let v = view(&t, "alice", &c).await;
    assert_eq!(v["priority"], "urgent");
    assert_eq!(v["response"]["due_at"], "2026-01-05T15:30:00.000000Z");
    let replies = system_messages(&v);
    assert_eq!(replies.len(), 1);
    assert!(!replies[0].contains("will answer by"), "{}", replies[0]);

    let cora = t.login("cora.compliance").await;
    let audit = t.get("/api/v1/audit-events?limit=50", Some(&cora)).await;
    assert!(audit.text.contains("response_settings_changed"), "{}", audit.text);
    t.stop().await;
}

#[tokio::test]
async fn holidays_and_department_hours_move_the_due_time() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let closure = |body: Value| {
        let admin = admin.clone();
        let t = &t;
        async move { t.post("/api/v1/closures", Some(&admin), body).await }
    };
    for (body, field) in [
        (json!({"first_day": "2026-01-07", "last_day": "2026-01-06", "name": "Backwards"}), "last_day"),
        (json!({"first_day": "2026-02-30", "last_day": "2026-03-01", "name": "No such day"}), "first_day"),
        (json!({"first_day": "2026-01-06", "last_day": "2026-01-06", "name": ""}), "name"),
        (
            json!({"first_day": "2026-01-06", "last_day": "2026-01-06", "name": "X", "department_id": "01234567-89ab-7def-8123-456789abcdef"}),
            "department_id",
        ),
    ] {
        let r = closure(body.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{body}"
        );
    }
    let nina = t.login("nina.nurse").await;
    let r = t
        .post(
            "/api/v1/closures",
            Some(&nina),
            json!({"first_day": "2026-01-06", "last_day": "2026-01-06", "name": "X"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = closure(json!({"first_day": "2026-01-06", "last_day": "2026-01-06", "name": "Staff training"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let closure_id = r.json()["id"].as_str().unwrap().to_owned();

    // Cardiology keeps its own hours: 9:00 AM to 1:00 PM on weekdays.
    let cardiology = t.department_id(&admin, "Cardiology").await;
    let hours = |list: Value| {
        let admin = admin.clone();
        let t = &t;
        let path = format!("/api/v1/departments/{cardiology}/hours");
        async move { t.request(Method::PUT, &path, Some(&admin), Some(json!({"office_hours": list}))).await }
    };
    for bad in [
        json!([{"weekday": 1, "opens": "09:00", "closes": "25:00"}]),
        json!([{"weekday": 8, "opens": "09:00", "closes": "13:00"}]),
        json!([{"weekday": 1, "opens": "09:00", "closes": "13:00"}, {"weekday": 1, "opens": "12:00", "closes": "14:00"}]),
    ] {
        assert_eq!(hours(bad.clone()).await.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let week: Vec<Value> = (1..=5).map(|d| json!({"weekday": d, "opens": "09:00", "closes": "13:00"})).collect();
    assert_eq!(hours(json!(week)).await.status, StatusCode::NO_CONTENT);
    let settings = t.get("/api/v1/response-settings", Some(&admin)).await.json();
    assert_eq!(settings["closures"][0]["name"], "Staff training");
    assert_eq!(settings["department_hours"][0]["office_hours"].as_array().unwrap().len(), 5);

    // Monday 4:00 PM. Alice (Primary Care): one hour today, none on the
    // Tuesday closure, three on Wednesday: due Wednesday 11:00 AM.
    t.advance(Span::from_hours(6));
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", "Question about my prescription").await;
    assert_eq!(view(&t, "alice", &c).await["response"]["due_at"], "2026-01-07T16:00:00.000000Z");
    // Bob (Cardiology): closed now, closed Tuesday, open Wednesday 9:00 AM to
    // 1:00 PM: due Wednesday 1:00 PM, and told when Cardiology opens.
    let bob = t.login("bob").await;
    let c = start(&t, &bob, "care_question", "Question about my heart monitor").await;
    let v = view(&t, "bob", &c).await;
    assert_eq!(v["response"]["due_at"], "2026-01-07T18:00:00.000000Z");
    let ack = system_messages(&v).remove(0);
    assert!(ack.contains("when we open Wednesday at 9:00 AM"), "{ack}");

    // Removing the closure: gone once.
    let path = format!("/api/v1/closures/{closure_id}");
    let admin = t.login("admin").await;
    assert_eq!(t.request(Method::DELETE, &path, Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.request(Method::DELETE, &path, Some(&admin), None).await.status, StatusCode::NOT_FOUND);
    let bob = t.login("bob").await;
    let e = t.get("/api/v1/practice/expectation", Some(&bob)).await.json();
    assert_eq!(e["opens_at"], "2026-01-06T14:00:00.000000Z", "Cardiology opens Tuesday 9:00 AM again");
    t.stop().await;
}

#[tokio::test]
async fn the_clock_runs_only_while_staff_owe_an_answer_and_alerts_when_due() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", "Should I keep taking the antibiotic?").await;

    // 1:00 PM: three quarters of the target gone; the care team is told.
    t.advance(Span::from_hours(3));
    t.run_due_jobs().await;
    assert_eq!(alert_kinds(&t, "nina.nurse", &c).await, ["response_due_soon"]);
    assert_eq!(alert_kinds(&t, "dr.patel", &c).await, ["response_due_soon"]);
    assert!(alert_kinds(&t, "admin", &c).await.is_empty());
    assert!(alert_kinds(&t, "bill.billing", &c).await.is_empty());
    assert_eq!(view(&t, "nina.nurse", &c).await["response"]["state"], "due_soon");

    // 2:00 PM: overdue; the care team and a manager are told.
    t.advance(Span::from_hours(1));
    t.run_due_jobs().await;
    assert_eq!(alert_kinds(&t, "nina.nurse", &c).await, ["response_due_soon", "response_overdue"]);
    assert_eq!(alert_kinds(&t, "admin", &c).await, ["response_overdue"]);
    assert_eq!(view(&t, "nina.nurse", &c).await["response"]["state"], "overdue");
    let alerts = t.get("/api/v1/alerts", Some(&t.login("admin").await)).await;
    assert!(!alerts.text.contains("antibiotic"), "no PHI in alerts");
    let cora = t.login("cora.compliance").await;
    let missed = t.get("/api/v1/audit-events?limit=50", Some(&cora)).await;
    assert!(missed.text.contains("response_target_missed"), "{}", missed.text);

    // Staff answer: the clock stops while the patient has the next move.
    let nina = t.login("nina.nurse").await;
    let r =
        t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Yes, finish it."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(view(&t, "nina.nurse", &c).await.get("response").is_none());

    // 3:00 PM the patient writes again: a new wait, against the next-response
    // target (4 business hours: two today, two on Tuesday).
    t.advance(Span::from_hours(1));
    let alice = t.login("alice").await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "Thanks. And the rash?"}))
        .await;
    let v = view(&t, "alice", &c).await;
    assert_eq!(v["response"]["waiting_since"], "2026-01-05T20:00:00.000000Z");
    assert_eq!(v["response"]["due_at"], "2026-01-06T15:00:00.000000Z");
    // Writing again while waiting does not restart it.
    t.advance(Span::from_mins(10));
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "It is itchy."})).await;
    assert_eq!(view(&t, "alice", &c).await["response"]["waiting_since"], "2026-01-05T20:00:00.000000Z");

    // Closed: no clock, and the checks already scheduled do nothing.
    let nina = t.login("nina.nurse").await;
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/close"), Some(&nina), json!({})).await.status,
        StatusCode::OK
    );
    assert!(view(&t, "nina.nurse", &c).await.get("response").is_none());
    t.advance(Span::from_hours(48));
    t.run_due_jobs().await;
    assert_eq!(alert_kinds(&t, "nina.nurse", &c).await, ["response_due_soon", "response_overdue"], "nothing new");
    t.stop().await;
}

#[tokio::test]
async fn an_overdue_conversation_in_a_pool_goes_to_the_pool_lead() {
    let t = TestApp::spawn().await;
    let bob = t.login("bob").await;
    // Cardiology patients go to the Cardiology pool, which Dr. Okafor leads.
    let c = start(&t, &bob, "care_question", "My ankles are more swollen this week").await;
    t.advance(Span::from_hours(4));
    t.run_due_jobs().await;
    assert!(alert_kinds(&t, "dr.okafor", &c).await.contains(&"response_overdue".to_owned()));
    assert_eq!(alert_kinds(&t, "admin", &c).await, ["response_overdue"]);
    // Fran works Cardiology; the practice lets its front desk read care
    // questions here.
    t.desk_and_billing_read_every_topic().await;
    let v = view(&t, "fran.frontdesk", &c).await;
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
    assert!(history.contains(&"overdue_to_lead"), "{history:?}");
    t.stop().await;
}

#[tokio::test]
async fn a_message_found_urgent_is_due_within_the_urgent_target() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", "A question about my blood pressure readings").await;
    assert_eq!(view(&t, "alice", &c).await["response"]["due_at"], "2026-01-05T19:00:00.000000Z");
    t.advance(Span::from_mins(10));
    let alice = t.login("alice").await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "Now I can't breathe"})).await;
    let v = view(&t, "alice", &c).await;
    assert_eq!(v["priority"], "urgent");
    // One business hour from when the wait began, not from now.
    assert_eq!(v["response"]["waiting_since"], "2026-01-05T15:00:00.000000Z");
    assert_eq!(v["response"]["due_at"], "2026-01-05T16:00:00.000000Z");
    t.stop().await;
}

#[tokio::test]
async fn an_unread_reply_is_reminded_once_then_flagged_for_staff() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let unread = start(&t, &alice, "care_question", "Do I need to fast before the blood test?").await;
    let read = start(&t, &alice, "care_question", "Can I bring my daughter to the visit?").await;
    t.advance(Span::from_mins(5));
    let nina = t.login("nina.nurse").await;
    for c in [&unread, &read] {
        let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Yes."})).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    t.advance(Span::from_hours(2));
    let alice = t.login("alice").await;
    let r = t.post(&format!("/api/v1/conversations/{read}/read"), Some(&alice), json!({})).await;
    assert_eq!(r.json()["marked"], 1, "{}", r.text);

    // A day later: one reminder, for the unread reply only, without content.
    t.advance(Span::from_hours(23));
    t.run_due_jobs().await;
    let alice = t.login("alice").await;
    let notes = t.get("/api/v1/me/notifications", Some(&alice)).await;
    assert_eq!(notes.status, StatusCode::OK, "{}", notes.text);
    let notes = notes.json();
    // (The demo's own seeded replies to Alice are reminded too.)
    let list: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["conversation_id"] == unread.as_str() || n["conversation_id"] == read.as_str())
        .collect();
    assert_eq!(list.len(), 1, "{notes}");
    assert_eq!(list[0]["kind"], "unread_reply_reminder");
    assert_eq!(list[0]["conversation_id"], unread.as_str());
    assert!(!notes.to_string().contains("fast"), "no PHI in notifications");
    assert!(view(&t, "nina.nurse", &unread).await.get("unread_reply").is_none(), "not flagged yet");

    // Another day: flagged for staff, and the sender is alerted. No second reminder.
    t.advance(Span::from_hours(24));
    t.run_due_jobs().await;
    let v = view(&t, "nina.nurse", &unread).await;
    assert_eq!(v["unread_reply"]["sent_at"], "2026-01-05T15:05:00.000000Z", "{v}");
    assert_eq!(alert_kinds(&t, "nina.nurse", &unread).await, ["reply_unread"]);
    assert!(view(&t, "nina.nurse", &read).await.get("unread_reply").is_none());
    assert!(view(&t, "alice", &unread).await.get("unread_reply").is_none(), "staff only");
    let alice = t.login("alice").await;
    let mine = |n: &Value| n.as_array().unwrap().iter().filter(|x| x["conversation_id"] == unread.as_str()).count();
    assert_eq!(mine(&t.get("/api/v1/me/notifications", Some(&alice)).await.json()), 1, "reminded once");

    // Read at last: the flag and the reminder are gone.
    t.post(&format!("/api/v1/conversations/{unread}/read"), Some(&alice), json!({})).await;
    assert!(view(&t, "nina.nurse", &unread).await.get("unread_reply").is_none());
    assert_eq!(mine(&t.get("/api/v1/me/notifications", Some(&alice)).await.json()), 0);
    t.stop().await;
}

#[tokio::test]
async fn a_patient_rates_a_closed_conversation_once() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = start(&t, &alice, "care_question", "Is my referral through?").await;
    let rate = |token: &str, body: Value| {
        let (token, path) = (token.to_owned(), format!("/api/v1/conversations/{c}/rating"));
        let t = &t;
        async move { t.post(&path, Some(&token), body).await }
    };
    let r = rate(&alice, json!({"score": 5})).await;
    assert_eq!((r.status, r.code().as_str()), (StatusCode::CONFLICT, "conflict"), "only once closed: {}", r.text);
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Yes, it went through."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/close"), Some(&nina), json!({})).await.status,
        StatusCode::OK
    );
    for bad in [json!({"score": 0}), json!({"score": 6}), json!({"score": 3, "comment": "x".repeat(1001)})] {
        assert_eq!(rate(&alice, bad.clone()).await.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(rate(&nina, json!({"score": 1})).await.status, StatusCode::NOT_FOUND, "staff do not rate");
    let carol = t.login("carol").await;
    assert_eq!(rate(&carol, json!({"score": 1})).await.status, StatusCode::NOT_FOUND, "nor other patients");
    let r = rate(&alice, json!({"score": 4, "comment": "Quick and clear, thank you."})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(rate(&alice, json!({"score": 1})).await.status, StatusCode::CONFLICT, "once");
    let v = view(&t, "nina.nurse", &c).await;
    assert_eq!(v["rating"]["score"], 4);
    assert_eq!(v["rating"]["comment"], "Quick and clear, thank you.");
    // Sealed at rest like messages.
    assert_eq!(t.count("SELECT count(*) FROM ratings WHERE score = 4").await, 1);
    let raw = t.count("SELECT count(*) FROM ratings WHERE comment_ct IS NOT NULL").await;
    assert_eq!(raw, 1);
    t.stop().await;
}
