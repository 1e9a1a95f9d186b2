//! What daily use found missing (issue 11): closing an unanswered emergency
//! only with a reason, urgent replies that promise no more than happens,
//! warning before sending, escalation that keeps a reassignment, alerts
//! that say whom they concern, truthful read receipts, previews and "mark
//! unread", corrections, staff starting conversations, the compliance
//! officer's audit search, a patient's own settings, and a patient's page.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_domain::time::{Span, Timestamp};

const EMERGENCY: &str = "I have crushing chest pain going down my left arm right now";

async fn start(t: &TestApp, token: &str, topic: &str, body: &str) -> String {
    let r = t.start_conversation(token, json!({"subject": "A question", "topic": topic, "body": body})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn view(t: &TestApp, token: &str, id: &str) -> Value {
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn last_body(v: &Value) -> String {
    v["messages"].as_array().unwrap().last().unwrap()["body"].as_str().unwrap().to_owned()
}

async fn audit_actions(t: &TestApp, query: &str) -> Vec<Value> {
    let cora = t.login("cora.compliance").await;
    let r = t.get(&format!("/api/v1/audit-events?{query}"), Some(&cora)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_unanswered_emergency_closes_only_with_a_reason_and_is_never_rated() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let mo = t.login("mo.assistant").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    let close = format!("/api/v1/conversations/{c}/close");

    // One key is not enough: no body, an empty reason, a reason of many lines.
    for body in [None, Some(json!({})), Some(json!({"reason": "   "})), Some(json!({"reason": "a\nb"}))] {
        let r = t.request(reqwest::Method::POST, &close, Some(&mo), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], "reason", "{}", r.text);
    }
    assert_eq!(view(&t, &alice, &c).await["status"], "needs_staff_response", "still open");
    let reason = "Called her at home: she is on her way to the emergency room.";
    let r = t.post(&close, Some(&mo), json!({"reason": reason})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The reason is in the history (staff only), sealed at rest.
    let staff_view = view(&t, &mo, &c).await;
    let closed = staff_view["history"].as_array().unwrap().iter().find(|h| h["event"] == "closed_unanswered").unwrap();
    assert_eq!(closed["reason"], reason);
    assert_eq!(closed["actor"], "Mo Rahman, MA");
    let mut db = t.db().await;
    let raw: Vec<u8> =
        sqlx::query_scalar("SELECT reason_ct FROM assignment_history WHERE reason_code = 'closed_unanswered'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("emergency room"));
    let closing = audit_actions(&t, "action=conversation_closed").await;
    assert_eq!(closing[0]["detail"], "unanswered_urgent", "{closing:?}");

    // The patient sees it closed, but is never asked to rate what no person answered.
    let own = view(&t, &alice, &c).await;
    assert_eq!((own["status"].as_str(), own["answered_by_staff"].as_bool()), (Some("closed"), Some(false)));
    assert_eq!(own["rateable"], false);
    assert!(own["history"].is_null(), "the reason stays with staff");
    let r = t.post(&format!("/api/v1/conversations/{c}/rating"), Some(&alice), json!({"score": 5})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // Answered by a person, an urgent conversation closes in one step and may be rated.
    let c2 = start(&t, &alice, "care_question", EMERGENCY).await;
    let r =
        t.post(&format!("/api/v1/conversations/{c2}/messages"), Some(&mo), json!({"body": "Calling you now."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(t.post(&format!("/api/v1/conversations/{c2}/close"), Some(&mo), json!({})).await.status, StatusCode::OK);
    let own = view(&t, &alice, &c2).await;
    assert_eq!((own["answered_by_staff"].as_bool(), own["rateable"].as_bool()), (Some(true), Some(true)));
    // A routine one needs no reason; the patient closing their own urgent one neither.
    let c3 = start(&t, &alice, "care_question", "Is the clinic open on Saturday?").await;
    let r = t.request(reqwest::Method::POST, &format!("/api/v1/conversations/{c3}/close"), Some(&mo), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c4 = start(&t, &alice, "care_question", EMERGENCY).await;
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c4}/close"), Some(&alice), json!({})).await.status,
        StatusCode::OK
    );
    t.stop().await;
}

#[tokio::test]
async fn the_urgent_reply_tells_the_patient_exactly_who_can_see_it_now() {
    let t = TestApp::spawn().await;
    // Sunday 10:00 in New York: the office is closed and nobody is signed in.
    t.clock.set(Timestamp::parse_rfc3339("2026-01-11T15:00:00Z").unwrap());
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    let v = view(&t, &alice, &c).await;
    let reply = last_body(&v);
    assert!(reply.contains("call 911 now") && reply.contains("988"), "{reply}");
    assert!(reply.contains("Our office is closed, and no one is reading messages right now"), "{reply}");
    assert!(reply.contains("when we open tomorrow at 8:00 AM"), "{reply}");
    assert!(reply.contains("after-hours line at (555) 010-0199"), "{reply}");
    assert!(!reply.contains("alerted"), "nothing promised that did not happen: {reply}");
    // The urgent target runs on the wall clock: due in an hour, not Monday.
    assert_eq!(v["response"]["due_at"], "2026-01-11T16:00:00.000000Z", "{}", v["response"]);

    // Monday 10:00, open, with the care team's nurse signed in.
    t.clock.set(Timestamp::parse_rfc3339("2026-01-12T15:00:00Z").unwrap());
    let alice = t.login("alice").await;
    let _nina = t.login("nina.nurse").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    let reply = last_body(&view(&t, &alice, &c).await);
    assert!(reply.contains("on the screen of 1 member of your care team who is signed in now"), "{reply}");
    assert!(reply.contains("call us at (555) 010-0100"), "{reply}");
    let flagged = audit_actions(&t, "action=urgent_message_flagged").await;
    assert!(flagged[0]["detail"].as_str().unwrap().ends_with(";signed_in=1"), "{flagged:?}");

    // Open, but everyone alerted has been idle past the session limit.
    t.advance(Span::from_mins(20));
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    let reply = last_body(&view(&t, &alice, &c).await);
    assert!(reply.contains("No one on your care team is signed in to read messages right now"), "{reply}");

    // The after-hours line is the practice's to set, and shown to patients.
    let admin = t.login("admin").await;
    let hours = json!({"time_zone": "America/New_York", "phone": "(555) 010-0100", "after_hours_phone": "(555) 010-0111",
        "office_hours": [{"weekday": 1, "opens": "08:00", "closes": "17:00"}]});
    assert_eq!(
        t.request(reqwest::Method::PUT, "/api/v1/practice/hours", Some(&admin), Some(hours)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get("/api/v1/practice", Some(&alice)).await.json()["after_hours_phone"], "(555) 010-0111");
    let bad = json!({"time_zone": "America/New_York", "after_hours_phone": "call Bob", "office_hours": []});
    let r = t.request(reqwest::Method::PUT, "/api/v1/practice/hours", Some(&admin), Some(bad)).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("after_hours_phone"))
    );

    // A practice may choose business time for urgent messages, but only by saying so.
    let targets = json!({"due_soon_percent": 75, "targets": [
        {"priority": "urgent", "first_response_minutes": 60, "next_response_minutes": 60, "clock": "business"}]});
    let r = t.request(reqwest::Method::PUT, "/api/v1/response-settings", Some(&admin), Some(targets)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    t.clock.set(Timestamp::parse_rfc3339("2026-01-18T15:00:00Z").unwrap()); // Sunday again
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    assert_eq!(view(&t, &alice, &c).await["response"]["due_at"], "2026-01-19T14:00:00.000000Z", "Monday 9:00");
    t.stop().await;
}

#[tokio::test]
async fn a_draft_is_screened_before_sending_and_nothing_is_kept() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let before = t.footprint().await;
    let screen = |body: &str| {
        let (t, alice, body) = (&t, alice.clone(), body.to_owned());
        async move { t.post("/api/v1/screen", Some(&alice), json!({"body": body})).await }
    };
    let r = screen(EMERGENCY).await;
    assert_eq!((r.status, r.json()["possible_emergency"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.text);
    assert_eq!(screen("Could you refill my inhaler?").await.json()["possible_emergency"], false);
    assert_eq!(screen("No chest pain since Tuesday, just tired.").await.json()["possible_emergency"], false);
    // Nothing stored, no alert, nothing in the audit log: it is only a draft.
    assert_eq!(t.footprint().await, before);
    assert!(!String::from_utf8_lossy(&captured_logs().lock().unwrap()).contains("crushing chest pain going down"));
    assert_eq!(t.post("/api/v1/screen", None, json!({"body": "x"})).await.status, StatusCode::UNAUTHORIZED);
    let r = screen(&"a".repeat(20_000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn escalation_returns_to_whoever_holds_it_and_clears_the_providers_alert() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let patel = t.login("dr.patel").await;
    let (mo_id, patel_id) = (t.user_id("mo.assistant").await, t.user_id("dr.patel").await);
    let c = start(&t, &alice, "care_question", "The new pills make me dizzy in the mornings.").await;
    let url = format!("/api/v1/conversations/{c}");
    let r =
        t.post(&format!("{url}/assign"), Some(&nina), json!({"assignee_id": mo_id, "reason": "Mo knows her"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .post(&format!("{url}/escalate"), Some(&nina), json!({"provider_id": patel_id, "note": "Lower the dose?"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let alerts = t.get("/api/v1/alerts", Some(&patel)).await.json();
    let alert = alerts.as_array().unwrap().iter().find(|a| a["kind"] == "escalated").unwrap().clone();
    // The alert says whom it concerns, for staff who may open it.
    assert_eq!(alert["patient"]["display_name"], "Alice Nguyen");
    assert_eq!(alert["subject"], "A question");

    let r = t.post(&format!("{url}/messages"), Some(&patel), json!({"body": "Please take half a tablet."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = view(&t, &nina, &c).await;
    assert_eq!(v["assignee"]["id"], mo_id.as_str(), "the reassignment stands: {v}");
    let escalated = v["history"].as_array().unwrap().iter().find(|h| h["event"] == "escalated").unwrap();
    assert_eq!(escalated["to_assignee"], "Dr. Priya Patel", "{escalated}");
    let returned = v["history"].as_array().unwrap().iter().find(|h| h["event"] == "returned").unwrap();
    assert_eq!(returned["to_assignee"], "Mo Rahman, MA");
    // Acting on it cleared the provider's alert.
    let alerts = t.get("/api/v1/alerts", Some(&patel)).await.json();
    assert!(!alerts.as_array().unwrap().iter().any(|a| a["kind"] == "escalated"), "{alerts}");
    t.stop().await;
}

#[tokio::test]
async fn opening_a_thread_reads_every_message_an_automatic_reply_included() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", EMERGENCY).await;
    let unread = |list: &Value| {
        list["conversations"].as_array().unwrap().iter().find(|x| x["id"] == c.as_str()).unwrap()["unread_count"]
            .clone()
    };
    let list = t.get("/api/v1/conversations", Some(&alice)).await.json();
    assert_eq!(unread(&list), 1, "the urgent automatic reply is new to her");
    let r = t.post(&format!("/api/v1/conversations/{c}/read"), Some(&alice), json!({})).await;
    assert_eq!(r.json()["marked"], 1);
    let list = t.get("/api/v1/conversations", Some(&alice)).await.json();
    assert_eq!(unread(&list), 0);
    t.stop().await;
}

#[tokio::test]
async fn list_refreshes_are_audited_but_unusual_access_counts_patients_opened() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let carol = t.login("carol").await;
    let a = start(&t, &alice, "care_question", "A question about my blood pressure.").await;
    start(&t, &carol, "care_question", "A question about my knee.").await;
    let nina = t.login("nina.nurse").await;
    // A shift's live refreshes: 108 listings of two patients, one conversation opened.
    for _ in 0..54 {
        assert_eq!(t.get("/api/v1/conversations?view=needs_response", Some(&nina)).await.status, StatusCode::OK);
    }
    view(&t, &nina, &a).await;
    let nina_id = t.user_id("nina.nurse").await;
    let listed = audit_actions(&t, &format!("actor_id={nina_id}&action=conversations_listed&limit=500")).await;
    assert_eq!(listed.len(), 108, "every disclosure is still on record");

    let admin = t.login("admin").await;
    let r = t.get("/api/v1/analytics?from=2026-01-05&to=2026-01-05", Some(&admin)).await.json();
    let access = r["tables"]["access"]["rows"].as_array().unwrap();
    let row = access.iter().find(|r| r[0] == "Nina Alvarez, RN").unwrap();
    assert_eq!(row, &json!(["Nina Alvarez, RN", nina_id, "1", "1", "2", "no"]), "{row}");
    // Names for the reviewer, not raw ids, with the ids to search the audit log by.
    let by_patient = r["tables"]["access_by_patient"]["rows"].as_array().unwrap();
    assert!(
        by_patient.iter().any(|r| r[0] == "Nina Alvarez, RN" && r[2] == "Alice Nguyen" && r[4] == "1"),
        "{by_patient:?}"
    );
    assert!(by_patient.iter().any(|r| r[2] == "Carol Smith" && r[4] == "0" && r[5] != "0"), "{by_patient:?}");
    let admin_id = t.user_id("admin").await;
    let named = audit_actions(&t, &format!("actor_id={admin_id}&action=patients_listed")).await;
    assert!(
        named.iter().any(|e| e["detail"] == "context=analytics" && e["patient_name"] == "Alice Nguyen"),
        "{named:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn staff_start_a_conversation_with_a_patient_from_their_list() {
    let t = TestApp::spawn().await;
    let nina = t.login("nina.nurse").await;
    let patients = t.get("/api/v1/patient-accounts", Some(&nina)).await.json();
    let alice_id = patients.as_array().unwrap().iter().find(|p| p["given_name"] == "Alice").unwrap()["id"].clone();
    let bob_id = t.patient_id("bob").await;
    assert!(!patients.to_string().contains(&bob_id), "not one of hers");
    let req = |patient: &Value| {
        json!({"patient_id": patient, "subject": "Your lab results", "topic": "test_results",
            "body": "Your cholesterol came back a little high; let's talk at your next visit.", "keep_with_me": true})
    };
    let r = t.start_conversation(&nina, req(&alice_id)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();
    let alice = t.login("alice").await;
    let list = t.get("/api/v1/conversations", Some(&alice)).await.json();
    assert!(ids(&list).contains(&c));
    let v = view(&t, &nina, &c).await;
    assert_eq!(
        (v["status"].as_str(), v["assignee"]["display_name"].as_str()),
        (Some("awaiting_patient"), Some("Nina Alvarez, RN"))
    );
    // Not for a patient she has no link to, and the patient must be named.
    assert_eq!(t.start_conversation(&nina, req(&json!(bob_id))).await.status, StatusCode::NOT_FOUND);
    let mut no_patient = req(&alice_id);
    no_patient.as_object_mut().unwrap().remove("patient_id");
    assert_eq!(t.start_conversation(&nina, no_patient).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn corrections_are_appended_and_the_original_stays() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = start(&t, &alice, "care_question", "I take 50 mg of metoprolol.").await;
    let r =
        t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Take it at night."})).await;
    let reply = r.json()["id"].as_str().unwrap().to_owned();
    let first = view(&t, &alice, &c).await["messages"][0]["id"].as_str().unwrap().to_owned();
    let amend = |token: &str, m: &str, body: &str| {
        let (t, token, path, body) =
            (&t, token.to_owned(), format!("/api/v1/conversations/{c}/messages/{m}/amendments"), body.to_owned());
        async move { t.post(&path, Some(&token), json!({"body": body})).await }
    };
    assert_eq!(amend(&alice, &first, "Sorry: 25 mg, not 50.").await.status, StatusCode::CREATED);
    assert_eq!(amend(&nina, &reply, "At bedtime, with food.").await.status, StatusCode::CREATED);
    // Nobody corrects someone else's words.
    assert_eq!(amend(&alice, &reply, "x").await.status, StatusCode::NOT_FOUND);
    assert_eq!(amend(&nina, &first, "x").await.status, StatusCode::NOT_FOUND);
    for token in [&alice, &nina] {
        let v = view(&t, token, &c).await;
        let m0 = &v["messages"][0];
        assert_eq!(m0["body"], "I take 50 mg of metoprolol.", "the original stays");
        assert_eq!(m0["amendments"][0]["body"], "Sorry: 25 mg, not 50.");
        assert_eq!(m0["amendments"][0]["author"]["display_name"], "Alice Nguyen");
        let m2 = v["messages"].as_array().unwrap().iter().find(|m| m["id"] == reply.as_str()).unwrap();
        assert_eq!(m2["amendments"][0]["body"], "At bedtime, with food.");
    }
    t.stop().await;
}

#[tokio::test]
async fn inbox_rows_carry_a_preview_and_staff_can_mark_unread() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let long = format!("{}\nSecond line that the preview leaves out.", "Word ".repeat(40));
    let c = start(&t, &alice, "care_question", &long).await;
    let nina = t.login("nina.nurse").await;
    let row = |list: &Value| {
        list["conversations"].as_array().unwrap().iter().find(|x| x["id"] == c.as_str()).cloned().unwrap()
    };
    let list = t.get("/api/v1/conversations?view=needs_response", Some(&nina)).await.json();
    // The newest message is the automatic acknowledgement, which says
    // nothing about the conversation: the preview is the patient's words.
    assert_eq!(row(&list)["preview"]["from"], "patient");
    t.advance(Span::from_mins(1));
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": &long})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let p = row(&t.get("/api/v1/conversations", Some(&nina)).await.json())["preview"].clone();
    assert_eq!(p["from"], "patient");
    let text = p["text"].as_str().unwrap();
    assert!(text.ends_with('…') && text.chars().count() <= 121 && !text.contains("Second line"), "{text}");
    // Carol's preview is never in Alice's list.
    assert!(!t.get("/api/v1/conversations", Some(&alice)).await.text.contains("knee"));

    // Read, then marked unread to come back to: unread for Nina only.
    assert_eq!(t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await.status, StatusCode::OK);
    let unread_count = |token: String| {
        let t = &t;
        async move { t.get("/api/v1/inbox/counts", Some(&token)).await.json()["unread"].as_i64().unwrap() }
    };
    let before = unread_count(nina.clone()).await;
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/unread"), Some(&nina), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(unread_count(nina.clone()).await, before + 1);
    let unread_view = t.get("/api/v1/conversations?view=unread", Some(&nina)).await.json();
    assert_eq!(row(&unread_view)["marked_unread"], true);
    let fran = t.login("fran.frontdesk").await;
    assert_eq!(row(&t.get("/api/v1/conversations", Some(&fran)).await.json())["marked_unread"], false, "hers alone");
    // The patient's receipt is not taken back.
    assert_eq!(view(&t, &alice, &c).await["messages"][0]["read_by_staff"]["by"], "care_team");
    // Opening it again ends the mark.
    t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await;
    assert_eq!(unread_count(nina.clone()).await, before);
    // Patients do not mark unread.
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/unread"), Some(&alice), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn read_receipts_tell_the_patient_only_what_is_true() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    // Billing also works in Primary Care here, so Bill may open Alice's thread.
    let bill_id = t.user_id("bill.billing").await;
    let accounts = t.get("/api/v1/staff-accounts", Some(&admin)).await.json();
    let primary = t.department_id(&admin, "Primary Care").await;
    let bill = accounts.as_array().unwrap().iter().find(|a| a["id"] == bill_id.as_str()).unwrap().clone();
    let mut change = json!({"display_name": bill["display_name"], "role": "billing", "departments": [primary]});
    change["care_teams"] = json!([]);
    let r =
        t.request(reqwest::Method::PUT, &format!("/api/v1/staff-accounts/{bill_id}"), Some(&admin), Some(change)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // And the practice lets billing and the front desk read care questions.
    t.desk_and_billing_read_every_topic().await;

    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", "My ankle is still swollen after the fall.").await;
    let receipt = || {
        let (t, alice, c) = (&t, alice.clone(), c.clone());
        async move { view(t, &alice, &c).await["messages"][0]["read_by_staff"].clone() }
    };
    let read = |who: &str| {
        let (t, who, c) = (&t, who.to_owned(), c.clone());
        async move {
            let token = t.login(&who).await;
            let r = t.post(&format!("/api/v1/conversations/{c}/read"), Some(&token), json!({})).await;
            assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        }
    };
    read("bill.billing").await;
    assert!(receipt().await.is_null(), "a glance by billing is not a receipt");
    t.advance(Span::from_mins(1));
    read("fran.frontdesk").await;
    assert_eq!(receipt().await["by"], "front_desk");
    t.advance(Span::from_mins(1));
    read("nina.nurse").await;
    let r = receipt().await;
    assert_eq!(r["by"], "care_team");
    assert_eq!(r["read_at"], "2026-01-05T15:02:00.000000Z", "when the care team read it");
    // Staff still see every reading, by name.
    let nina = t.login("nina.nurse").await;
    let readers: Vec<String> = view(&t, &nina, &c).await["messages"][0]["read_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reader"]["display_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(readers, ["Bill Turner", "Fran Lee", "Nina Alvarez, RN"]);

    // Billing answering a billing question is the billing office.
    let b = start(&t, &alice, "billing", "Why was I charged twice?").await;
    let bill = t.login("bill.billing").await;
    t.post(&format!("/api/v1/conversations/{b}/read"), Some(&bill), json!({})).await;
    assert_eq!(view(&t, &alice, &b).await["messages"][0]["read_by_staff"]["by"], "billing_office");
    t.stop().await;
}

#[tokio::test]
async fn the_compliance_officer_searches_the_audit_log_by_person_action_and_time() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", "A question about my blood pressure.").await;
    let nina = t.login("nina.nurse").await;
    view(&t, &nina, &c).await;
    let cora = t.login("cora.compliance").await;
    let (nina_id, alice_patient) = (t.user_id("nina.nurse").await, t.patient_id("alice").await);

    // Whose trail: by name, staff and patients (with birth dates to tell them apart).
    let r = t.post("/api/v1/audit-events/subjects", Some(&cora), json!({"q": "ali"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = r.json();
    assert_eq!(found["patients"][0]["display_name"], "Alice Nguyen");
    assert_eq!(found["patients"][0]["birth_date"], "1984-03-12");
    assert_eq!(found["patients"][0]["id"], alice_patient.as_str());
    assert!(!found["staff"].as_array().unwrap().iter().any(|s| s["display_name"] == "Nina Alvarez, RN"));
    let found = t.post("/api/v1/audit-events/subjects", Some(&cora), json!({"q": "nina"})).await.json();
    assert_eq!(found["staff"][0]["id"], nina_id.as_str());
    let r = t.post("/api/v1/audit-events/subjects", Some(&cora), json!({"q": "a"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // By staff member, patient and action, with names.
    let q = format!("/api/v1/audit-events?actor_id={nina_id}&patient_id={alice_patient}&action=conversation_viewed");
    let r = t.get(&q, Some(&cora)).await.json();
    let e = &r["events"][0];
    assert_eq!(
        (e["action"].as_str(), e["actor_name"].as_str()),
        (Some("conversation_viewed"), Some("Nina Alvarez, RN"))
    );
    assert_eq!((e["patient_name"].as_str(), e["actor_role"].as_str()), (Some("Alice Nguyen"), Some("nurse")));
    assert_eq!(r["events"].as_array().unwrap().len(), 1);
    // Only what was refused or failed.
    t.try_login("nina.nurse", "not her password").await;
    let r = t.get("/api/v1/audit-events?outcome=failed", Some(&cora)).await.json();
    let outcomes: Vec<&str> = r["events"].as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert!(!outcomes.is_empty() && outcomes.iter().all(|o| *o == "failed"), "{outcomes:?}");
    // A patient acting for themselves is named too.
    let alice_user = t.user_id("alice").await;
    let r = t
        .get(&format!("/api/v1/audit-events?actor_id={alice_user}&action=conversation_created"), Some(&cora))
        .await
        .json();
    assert_eq!(r["events"][0]["actor_name"], "Alice Nguyen");
    // Time range and paging.
    let r = t.get("/api/v1/audit-events?from=2026-01-06T00:00:00Z", Some(&cora)).await.json();
    assert!(r["events"].as_array().unwrap().is_empty());
    let page1 = t.get("/api/v1/audit-events?limit=2", Some(&cora)).await.json();
    let before = page1["next_before"].as_i64().unwrap();
    let page2 = t.get(&format!("/api/v1/audit-events?limit=2&before={before}"), Some(&cora)).await.json();
    assert!(page2["events"][0]["seq"].as_i64().unwrap() < before);
    // Bad filters are refused clearly.
    let r = t.get("/api/v1/audit-events?action=peeking", Some(&cora)).await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")));

    // The same as CSV, names included, formulas defused.
    let csv = t
        .client
        .get(t.url(&format!("/api/v1/audit-events/csv?patient_id={alice_patient}")))
        .bearer_auth(&cora)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    assert!(
        body.starts_with("seq,at,action,outcome,actor_kind,actor_id,actor,actor_role,patient_id,patient,"),
        "{body}"
    );
    assert!(body.contains("\"Nina Alvarez, RN\""), "a name with a comma is quoted: {body}");
    assert!(body.contains("Alice Nguyen"));

    // Nobody else reads it; naming patients is itself on record, the search words are not.
    for who in ["nina.nurse", "alice", "dr.patel"] {
        let token = t.login(who).await;
        for path in ["/api/v1/audit-events", "/api/v1/audit-events/csv"] {
            assert_eq!(t.get(path, Some(&token)).await.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
        let r = t.post("/api/v1/audit-events/subjects", Some(&token), json!({"q": "ali"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let cora_id = t.user_id("cora.compliance").await;
    let by_cora =
        t.get(&format!("/api/v1/audit-events?actor_id={cora_id}&action=patients_listed&limit=500"), Some(&cora)).await;
    assert!(by_cora.text.contains("context=audit_search") && !by_cora.text.contains("ali\""), "{}", by_cora.text);
    t.stop().await;
}

#[tokio::test]
async fn a_patient_keeps_their_contact_details_and_changes_their_password() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let other_session = t.login("alice").await;
    let r = t.get("/api/v1/me/contact", Some(&alice)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let saved = json!({"email": "alice.nguyen@example.org", "phone": "(555) 010-0123"});
    let r = t.request(reqwest::Method::PUT, "/api/v1/me/contact", Some(&alice), Some(saved.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get("/api/v1/me/contact", Some(&alice)).await.json(), saved);
    // Sealed at rest; the administrator's list shows the same.
    assert!(t.count("SELECT count(*) FROM patients WHERE email_ct IS NOT NULL").await >= 1);
    let admin = t.login("admin").await;
    assert!(t.get("/api/v1/patient-accounts", Some(&admin)).await.text.contains("alice.nguyen@example.org"));
    for (bad, field) in [(json!({"email": "not an address"}), "email"), (json!({"phone": "call me"}), "phone")] {
        let r = t.request(reqwest::Method::PUT, "/api/v1/me/contact", Some(&alice), Some(bad)).await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
    }
    assert_eq!(t.get("/api/v1/me/contact", Some(&alice)).await.json(), saved, "nothing lost");
    let nina = t.login("nina.nurse").await;
    assert_eq!(t.get("/api/v1/me/contact", Some(&nina)).await.status, StatusCode::NOT_FOUND, "patients only");

    // Password: the current one first; a wrong one counts like a failed sign-in.
    let change = |current: &str, new: &str| {
        let (t, alice, body) = (&t, alice.clone(), json!({"current_password": current, "new_password": new}));
        async move { t.post("/api/v1/me/password", Some(&alice), body).await }
    };
    let r = change("not my password", "a much longer new passphrase").await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let r = change(PASSWORD, "short").await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let r = change(PASSWORD, "a much longer new passphrase").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // This session goes on; the other ends; the new password signs in.
    assert_eq!(t.get("/api/v1/me", Some(&alice)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me", Some(&other_session)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login("alice", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login("alice", "a much longer new passphrase").await.status, StatusCode::OK);
    let changed = audit_actions(&t, "action=password_changed").await;
    assert_eq!(changed.iter().map(|e| e["outcome"].as_str().unwrap()).collect::<Vec<_>>(), ["success", "failed"]);
    t.stop().await;
}

#[tokio::test]
async fn a_patients_page_shows_their_record_enrollment_and_conversations() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let patient = t.patient_id("alice").await;
    let path = format!("/api/v1/patient-accounts/{patient}");
    let admin = t.login("admin").await;
    let before = t.get(&path, Some(&admin)).await.json()["open_conversations"].as_i64().unwrap();
    start(&t, &alice, "care_question", "A question.").await;
    for who in ["admin", "nina.nurse"] {
        let token = t.login(who).await;
        let r = t.get(&path, Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        let v = r.json();
        assert_eq!((v["given_name"].as_str(), v["enrollment"].as_str()), (Some("Alice"), Some("enrolled")));
        assert_eq!(
            (v["care_team"].as_str(), v["open_conversations"].as_i64()),
            (Some("Dr. Patel's team"), Some(before + 1))
        );
    }
    // Refused like the list: another department, a role that does not enroll, a patient.
    for who in ["dr.okafor", "cora.compliance", "carol"] {
        let token = t.login(who).await;
        assert_eq!(t.get(&path, Some(&token)).await.status, StatusCode::NOT_FOUND, "{who}");
    }
    t.stop().await;
}

#[tokio::test]
async fn the_setup_page_learns_which_rules_never_decide_a_message_and_stale_templates_come_last() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let mut rules = t.get("/api/v1/routing-rules", Some(&admin)).await.json();
    assert!(rules["rules"].as_array().unwrap().iter().all(|r| r["never_used"] == false), "{rules}");
    // "Everyone else" moved to the top takes every message.
    let list = rules["rules"].as_array_mut().unwrap();
    let catch_all = list.pop().unwrap();
    list.insert(0, catch_all);
    let r = t.request(reqwest::Method::PUT, "/api/v1/routing-rules", Some(&admin), Some(rules)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "allowed: every message still has an owner: {}", r.text);
    let rules = t.get("/api/v1/routing-rules", Some(&admin)).await.json();
    let unused: Vec<bool> =
        rules["rules"].as_array().unwrap().iter().map(|r| r["never_used"].as_bool().unwrap()).collect();
    assert_eq!(unused, [false, true, true, true, true, true, true, true, true]);

    // The template due for review is offered after the current ones.
    t.clock.set(Timestamp::parse_rfc3339("2026-03-02T15:00:00Z").unwrap());
    let nina = t.login("nina.nurse").await;
    let names: Vec<(String, bool)> = t
        .get("/api/v1/templates", Some(&nina))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["stale"].as_bool().unwrap()))
        .collect();
    assert_eq!(names.last().unwrap(), &("Flu shot clinic".to_owned(), true), "{names:?}");
    assert!(names.iter().rev().skip(1).all(|(_, stale)| !stale), "{names:?}");
    t.stop().await;
}
