//! Routing, assignment, cover, escalation, urgency triage and quick replies,
//! against the demo practice's rules:
//!
//! 1 billing → Billing pool, 2 refills → Refills pool (Mo, Nina),
//! 3 scheduling → Front desk, 4 telehealth → Virtual care, 5 monitoring →
//! the patient's program staff, 6 written to a provider → that provider,
//! 7 Cardiology patients → Cardiology pool (lead-triaged), 8 → the patient's
//! care team, 9 → Front desk.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

async fn start(t: &TestApp, token: &str, topic: &str, body: Value) -> String {
    let mut req = json!({"subject": "A question", "topic": topic, "body": "Hello, a question for the office."});
    if let (Some(r), Some(extra)) = (req.as_object_mut(), body.as_object()) {
        r.extend(extra.clone());
    }
    let r = t.start_conversation(token, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn conversation(t: &TestApp, token: &str, id: &str) -> Value {
    let r = t.get(&format!("/api/v1/conversations/{id}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// The conversation as the front desk sees it: Fran works both departments,
/// so she sees every Riverside patient's thread once the practice lets the
/// front desk read every topic (these tests are about routing, not about
/// who reads what; `access_matrix` and `sensitivity` are). Signs in afresh,
/// since the tests move the clock past the idle timeout.
async fn as_desk(t: &TestApp, id: &str) -> Value {
    t.desk_and_billing_read_every_topic().await;
    let fran = t.login("fran.frontdesk").await;
    conversation(t, &fran, id).await
}

fn assignee(c: &Value) -> Option<String> {
    c["assignee"]["id"].as_str().map(str::to_owned)
}

fn history_events(c: &Value) -> Vec<String> {
    c["history"].as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap().to_owned()).collect()
}

async fn pool_id(t: &TestApp, token: &str, name: &str) -> String {
    let pools = t.get("/api/v1/pools", Some(token)).await.json();
    pools.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn topics_go_to_their_pools_and_each_conversation_says_why() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let bill = t.user_id("bill.billing").await;
    let fran = t.user_id("fran.frontdesk").await;

    let billing = start(&t, &alice, "billing", json!({})).await;
    let c = conversation(&t, &nina, &billing).await;
    assert_eq!(c["routing"]["owner_kind"], "pool");
    assert_eq!(c["routing"]["owner_name"], "Billing");
    let reason = c["routing"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("Routed to Billing because rule 1, “Billing questions”"), "{reason}");
    assert_eq!(assignee(&c), Some(bill.clone()), "the pool's only member takes it");
    assert_eq!(history_events(&c), ["routed", "auto_assigned"]);

    let scheduling = start(&t, &alice, "scheduling", json!({})).await;
    let c = conversation(&t, &nina, &scheduling).await;
    assert_eq!((c["routing"]["owner_name"].as_str(), assignee(&c)), (Some("Front desk"), Some(fran)));
    assert!(c["routing"]["reason"].as_str().unwrap().contains("rule 3"));

    let telehealth = start(&t, &alice, "telehealth", json!({})).await;
    let c = conversation(&t, &nina, &telehealth).await;
    assert_eq!(c["routing"]["owner_name"], "Virtual care");
    assert!(c["routing"]["reason"].as_str().unwrap().contains("rule 4"));

    // Bob is in the remote-monitoring program, whose pool its lead triages
    // by hand: it waits there, unassigned.
    let bob = t.login("bob").await;
    let monitoring = start(&t, &bob, "monitoring_program", json!({})).await;
    let c = conversation(&t, &nina, &monitoring).await;
    assert_eq!(c["routing"]["owner_name"], "Remote monitoring");
    assert!(c["routing"]["reason"].as_str().unwrap().contains("rule 5"));
    assert!(c["assignee"].is_null());

    // The patient sees none of the practice's organisation.
    let own = conversation(&t, &alice, &billing).await;
    assert!(own.get("routing").is_none() && own.get("history").is_none(), "{own}");

    // And a pool member who is not on the patient's team sees the thread
    // the pool owns; someone outside it does not.
    let bill_token = t.login("bill.billing").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{billing}"), Some(&bill_token)).await.status, StatusCode::OK);
    assert_eq!(
        t.get(&format!("/api/v1/conversations/{telehealth}"), Some(&bill_token)).await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn department_and_care_team_rules() {
    let t = TestApp::spawn().await;
    let nina = t.login("nina.nurse").await;
    let okafor = t.login("dr.okafor").await;
    // A Cardiology patient's question goes to Cardiology, to be triaged by
    // its lead.
    let bob = t.login("bob").await;
    let c = start(&t, &bob, "care_question", json!({})).await;
    let v = conversation(&t, &okafor, &c).await;
    assert_eq!(v["routing"]["owner_name"], "Cardiology");
    assert!(v["routing"]["reason"].as_str().unwrap().contains("rule 7, “Cardiology patients”"), "{v}");
    assert!(v["assignee"].is_null());
    // A Primary Care patient's goes to her own care team, not a heap.
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", json!({})).await;
    let v = conversation(&t, &nina, &c).await;
    assert_eq!(v["routing"]["owner_kind"], "care_team");
    assert_eq!(v["routing"]["owner_name"], "Dr. Patel's team");
    assert!(v["routing"]["reason"].as_str().unwrap().contains("rule 8"));
    // Staff outside the team and its department do not see it.
    let bill = t.login("bill.billing").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&bill)).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn a_patient_may_write_to_their_provider_who_chooses_whether_to_take_it() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let patel = t.user_id("dr.patel").await;
    let providers = t.get("/api/v1/me/providers", Some(&alice)).await.json();
    assert_eq!(providers, json!([{"id": patel, "display_name": "Dr. Priya Patel", "accepts_direct_messages": true}]));

    let c = start(&t, &alice, "care_question", json!({"to_provider_id": patel})).await;
    let patel_token = t.login("dr.patel").await;
    let v = conversation(&t, &patel_token, &c).await;
    assert_eq!(v["routing"]["owner_kind"], "person");
    assert_eq!(assignee(&v), Some(patel.clone()));
    assert!(v["routing"]["reason"].as_str().unwrap().contains("rule 6"));
    assert!(v["routing"]["intended_reader"].is_null());

    // Dr. Okafor does not take direct messages: his team does, and sees
    // that the patient meant him.
    let bob = t.login("bob").await;
    let okafor = t.user_id("dr.okafor").await;
    let c = start(&t, &bob, "care_question", json!({"to_provider_id": okafor})).await;
    let okafor_token = t.login("dr.okafor").await;
    let v = conversation(&t, &okafor_token, &c).await;
    assert_eq!(v["routing"]["owner_name"], "Dr. Okafor's team");
    assert_eq!(v["routing"]["intended_reader"], "Dr. Chidi Okafor");
    assert!(v["routing"]["reason"].as_str().unwrap().contains("does not take direct messages"));

    // He changes his mind.
    let r = t
        .request(
            Method::PUT,
            "/api/v1/me/settings",
            Some(&okafor_token),
            Some(json!({"capacity": 20, "accepts_direct_messages": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let c = start(&t, &bob, "care_question", json!({"to_provider_id": okafor})).await;
    assert_eq!(assignee(&conversation(&t, &okafor_token, &c).await), Some(okafor.clone()));

    // Only a provider of the patient's own team.
    let r = t
        .start_conversation(
            &alice,
            json!({"subject": "x", "topic": "care_question", "body": "x", "to_provider_id": okafor}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into()), "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "to_provider_id");
    t.stop().await;
}

#[tokio::test]
async fn rule_sets_are_checked_when_saved() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let rules = t.get("/api/v1/routing-rules", Some(&admin)).await.json();
    let list = rules["rules"].as_array().unwrap();
    assert_eq!(list.len(), 9);
    assert_eq!(list[0]["name"], "Billing questions");
    assert_eq!(list[0]["target_name"], "Billing");

    let put = |body: Value| {
        let t = &t;
        let admin = admin.clone();
        async move { t.request(Method::PUT, "/api/v1/routing-rules", Some(&admin), Some(body)).await }
    };
    // Without the catch-alls, a scheduling question from a patient with no
    // care team would belong to nobody.
    let billing = pool_id(&t, &admin, "Billing").await;
    let r =
        put(json!({"rules": [{"name": "Billing", "topic": "billing", "target": "pool", "target_id": billing}]})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".into()), "{}", r.text);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("no owner"), "{}", r.text);
    // A care team alone is not enough: some patients have none.
    let r = put(json!({"rules": [{"name": "Team", "target": "patient_care_team"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // A pool of another practice, or that does not exist.
    let r =
        put(json!({"rules": [{"name": "All", "target": "pool", "target_id": "01234567-89ab-7def-8123-456789abcdef"}]}))
            .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = put(json!({"rules": [{"name": "All", "target": "somewhere"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Refusals change nothing.
    assert_eq!(t.get("/api/v1/routing-rules", Some(&admin)).await.json(), rules);

    // A complete set saves, and new conversations follow it.
    let r = put(json!({"rules": [
        {"name": "Billing", "topic": "billing", "target": "pool", "target_id": billing},
        {"name": "Everything else", "target": "pool", "target_id": billing},
    ]}))
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "care_question", json!({})).await;
    let v = as_desk(&t, &c).await;
    assert!(v["routing"]["reason"].as_str().unwrap().contains("rule 2, “Everything else”"), "{v}");

    // Only an administrator changes them, and only their own practice's.
    let nina = t.login("nina.nurse").await;
    let r = t.request(Method::PUT, "/api/v1/routing-rules", Some(&nina), Some(rules.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let lake = t.login("lake.admin").await;
    let r = t
        .request(
            Method::PUT,
            "/api/v1/routing-rules",
            Some(&lake),
            Some(json!({"rules": [{"name": "All", "target": "pool", "target_id": billing}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn a_pool_assigns_the_least_loaded_available_member_in_turn() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let carol = t.login("carol").await;
    let nina = t.user_id("nina.nurse").await;
    let mo = t.user_id("mo.assistant").await;
    let nina_token = t.login("nina.nurse").await;
    let mo_token = t.login("mo.assistant").await;
    let load = |token: String| {
        let t = &t;
        async move { ids(&t.get("/api/v1/conversations?view=assigned_to_me", Some(&token)).await.json()).len() }
    };
    let mut last: Option<String> = None;
    for (i, token) in [&alice, &carol, &alice, &carol, &alice].into_iter().enumerate() {
        let (n, m) = (load(nina_token.clone()).await, load(mo_token.clone()).await);
        let c = start(&t, token, "prescription_refill", json!({"subject": format!("Refill {i}")})).await;
        let v = as_desk(&t, &c).await;
        assert_eq!(v["routing"]["owner_name"], "Refills");
        let got = assignee(&v).unwrap();
        // The less loaded member; on a tie, not the one who had the last.
        let expected = match n.cmp(&m) {
            std::cmp::Ordering::Less => nina.clone(),
            std::cmp::Ordering::Greater => mo.clone(),
            std::cmp::Ordering::Equal => {
                if last.as_deref() == Some(nina.as_str()) {
                    mo.clone()
                } else if last.is_some() {
                    nina.clone()
                } else {
                    got.clone()
                }
            }
        };
        assert_eq!(got, expected, "loads nina {n}, mo {m}, last {last:?}");
        last = Some(got);
    }

    // Mo has no room: everything new goes to Nina.
    let r = t
        .request(
            Method::PUT,
            "/api/v1/me/settings",
            Some(&mo_token),
            Some(json!({"capacity": 0, "accepts_direct_messages": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let c = start(&t, &alice, "prescription_refill", json!({})).await;
        assert_eq!(assignee(&as_desk(&t, &c).await), Some(nina.clone()));
    }
    // Nobody with room: it waits in the pool.
    let r = t
        .request(
            Method::PUT,
            "/api/v1/me/settings",
            Some(&nina_token),
            Some(json!({"capacity": 0, "accepts_direct_messages": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let older = start(&t, &alice, "prescription_refill", json!({})).await;
    let v = as_desk(&t, &older).await;
    assert!(v["assignee"].is_null(), "{v}");
    assert_eq!(v["routing"]["owner_name"], "Refills");
    t.advance(Span::from_mins(1));
    let newer = start(&t, &carol, "prescription_refill", json!({})).await;
    assert!(as_desk(&t, &newer).await["assignee"].is_null());

    // Mo makes room for one more: the oldest waiting is offered first.
    let mine = t.get("/api/v1/conversations?view=assigned_to_me", Some(&mo_token)).await.json();
    let held = ids(&mine).len();
    let r = t
        .request(
            Method::PUT,
            "/api/v1/me/settings",
            Some(&mo_token),
            Some(json!({"capacity": held + 1, "accepts_direct_messages": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(assignee(&as_desk(&t, &older).await), Some(mo.clone()));
    assert!(as_desk(&t, &newer).await["assignee"].is_null());
    // Closing one of his frees room for the next.
    let r = t.post(&format!("/api/v1/conversations/{older}/close"), Some(&mo_token), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(assignee(&as_desk(&t, &newer).await), Some(mo));
    t.stop().await;
}

#[tokio::test]
async fn an_unworked_assignment_goes_back_to_the_pool_and_the_next_member() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "prescription_refill", json!({})).await;
    let first = assignee(&as_desk(&t, &c).await).unwrap();
    // Not yet: the timeout is two hours.
    t.advance(Span::from_mins(119));
    t.run_due_jobs().await;
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(first.clone()));
    t.advance(Span::from_mins(2));
    assert!(t.run_due_jobs().await >= 1);
    let v = as_desk(&t, &c).await;
    let second = assignee(&v).unwrap();
    assert_ne!(second, first, "offered to the next member");
    assert_eq!(history_events(&v).last().unwrap(), "timed_out");

    // Whoever acts on it keeps it.
    let who = if second == t.user_id("nina.nurse").await { "nina.nurse" } else { "mo.assistant" };
    let token = t.login(who).await;
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&token), json!({"body": "On its way."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    t.advance(Span::from_hours(3));
    t.run_due_jobs().await;
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(second));
    t.stop().await;
}

#[tokio::test]
async fn reassignment_to_a_person_pool_or_department_keeps_the_reason() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let admin = t.login("admin").await;
    // A practice whose billing office reads every topic (by default it
    // reads billing questions only, and the pool would hand this care
    // question to nobody: see `sensitivity.rs`).
    t.desk_and_billing_read_every_topic().await;
    let c = start(&t, &alice, "care_question", json!({"body": "Actually this is about my bill."})).await;
    let billing = pool_id(&t, &admin, "Billing").await;
    let bill = t.user_id("bill.billing").await;
    let url = format!("/api/v1/conversations/{c}/assign");

    let r = t.post(&url, Some(&nina), json!({"pool_id": billing, "reason": "It is a billing question"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = as_desk(&t, &c).await;
    assert_eq!(v["routing"]["owner_name"], "Billing");
    assert_eq!(v["routing"]["reason"], "Reassigned to Billing by Nina Alvarez, RN");
    assert_eq!(assignee(&v), Some(bill.clone()), "the pool assigns as usual");
    let moved = v["history"].as_array().unwrap().iter().find(|h| h["event"] == "reassigned").unwrap();
    assert_eq!(moved["reason"], "It is a billing question");
    assert_eq!(moved["to_owner"], "Billing");
    assert_eq!(moved["actor"], "Nina Alvarez, RN");

    // To a person, then to a department.
    let mo = t.user_id("mo.assistant").await;
    let bill_token = t.login("bill.billing").await;
    let r = t.post(&url, Some(&bill_token), json!({"assignee_id": mo, "reason": "Needs clinical input"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(mo));
    let cardiology = t.department_id(&admin, "Cardiology").await;
    let r = t.post(&url, Some(&nina), json!({"department_id": cardiology, "reason": "Heart question"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = as_desk(&t, &c).await;
    assert_eq!((v["routing"]["owner_kind"].as_str(), v["assignee"].is_null()), (Some("department"), true));
    let reasons: Vec<&str> = v["history"].as_array().unwrap().iter().filter_map(|h| h["reason"].as_str()).collect();
    assert_eq!(reasons, ["It is a billing question", "Needs clinical input", "Heart question"]);

    // Bad targets are refused with the field named, and change nothing.
    for (body, field) in [
        (json!({"pool_id": "01234567-89ab-7def-8123-456789abcdef"}), "pool_id"),
        (json!({"assignee_id": t.user_id("dr.lee").await}), "assignee_id"),
        (json!({"pool_id": billing, "assignee_id": bill}), "assignee_id"),
        (json!({"pool_id": billing, "reason": "line one\nline two"}), "reason"),
    ] {
        let r = t.post(&url, Some(&nina), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.json()["error"]["field"], field, "{}", r.text);
    }
    assert_eq!(as_desk(&t, &c).await["routing"]["owner_kind"], "department");
    t.stop().await;
}

#[tokio::test]
async fn nobody_away_is_assigned_and_cover_takes_the_work_and_hands_it_back() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let patel = t.login("dr.patel").await;
    let patel_id = t.user_id("dr.patel").await;
    let nina_id = t.user_id("nina.nurse").await;
    // Alice writes to Dr. Patel, who has it.
    let before = start(&t, &alice, "care_question", json!({"to_provider_id": patel_id})).await;
    assert_eq!(assignee(&as_desk(&t, &before).await), Some(patel_id.clone()));

    // She will be away tomorrow for a day; Nina covers.
    let now = t.app().now();
    let starts = now.plus(Span::from_hours(24));
    let ends = starts.plus(Span::from_hours(24));
    let r = t
        .post(
            "/api/v1/me/absences",
            Some(&patel),
            json!({"starts_at": starts.to_rfc3339(), "ends_at": ends.to_rfc3339(), "cover_id": nina_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.get("/api/v1/me/absences", Some(&patel)).await.json().as_array().unwrap().len(), 1);

    t.advance(Span::from_hours(24));
    t.run_due_jobs().await;
    // Her open work is with Nina, marked as cover…
    let v = as_desk(&t, &before).await;
    assert_eq!(assignee(&v), Some(nina_id.clone()));
    assert_eq!(v["routing"]["covering_for"], patel_id.as_str());
    assert_eq!(history_events(&v).last().unwrap(), "cover_started");
    // …and so is anything new written to her.
    let alice = t.login("alice").await;
    let during = start(&t, &alice, "care_question", json!({"to_provider_id": patel_id})).await;
    let v = as_desk(&t, &during).await;
    assert_eq!(assignee(&v), Some(nina_id.clone()));
    assert_eq!(v["routing"]["covering_for"], patel_id.as_str());
    // Work handed to her while she is away goes to her cover.
    let nina = t.login("nina.nurse").await;
    let r =
        t.post(&format!("/api/v1/conversations/{during}/assign"), Some(&nina), json!({"assignee_id": patel_id})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["assignee"]["id"], nina_id.as_str());
    assert_eq!(r.json()["covering_for"], "Dr. Priya Patel");
    // Nor is a clinical question left waiting for her.
    let r = t
        .post(
            &format!("/api/v1/conversations/{during}/escalate"),
            Some(&nina),
            json!({"provider_id": patel_id, "note": "Dose question"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("provider_id"))
    );
    assert!(r.text.contains("is away"), "{}", r.text);
    // Telehealth goes to Virtual care (Dr. Patel and Nina): only Nina now.
    for _ in 0..3 {
        let c = start(&t, &alice, "telehealth", json!({})).await;
        assert_eq!(assignee(&as_desk(&t, &c).await), Some(nina_id.clone()));
    }

    // Back the next day: the covered work returns to her.
    t.advance(Span::from_hours(24));
    t.run_due_jobs().await;
    for c in [&before, &during] {
        let v = as_desk(&t, c).await;
        assert_eq!(assignee(&v), Some(patel_id.clone()), "{v}");
        assert!(v["routing"]["covering_for"].is_null());
        assert_eq!(history_events(&v).last().unwrap(), "cover_ended");
    }
    // Absences are checked: the end after the start, a real colleague.
    let patel = t.login("dr.patel").await;
    let r = t
        .post(
            "/api/v1/me/absences",
            Some(&patel),
            json!({"starts_at": ends.to_rfc3339(), "ends_at": starts.to_rfc3339()}),
        )
        .await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ends_at")));
    let r = t
        .post(
            "/api/v1/me/absences",
            Some(&patel),
            json!({"starts_at": starts.to_rfc3339(), "ends_at": ends.to_rfc3339(), "cover_id": t.user_id("alice").await}),
        )
        .await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cover_id")));
    t.stop().await;
}

#[tokio::test]
async fn a_cancelled_absence_moves_nothing() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let patel = t.login("dr.patel").await;
    let patel_id = t.user_id("dr.patel").await;
    let c = start(&t, &alice, "care_question", json!({"to_provider_id": patel_id})).await;
    let now = t.app().now();
    let r = t
        .post(
            "/api/v1/me/absences",
            Some(&patel),
            json!({"starts_at": now.plus(Span::from_hours(1)).to_rfc3339(),
                   "ends_at": now.plus(Span::from_hours(5)).to_rfc3339(),
                   "cover_id": t.user_id("nina.nurse").await}),
        )
        .await;
    let absence = r.json()["id"].as_str().unwrap().to_owned();
    let r = t.request(Method::DELETE, &format!("/api/v1/me/absences/{absence}"), Some(&patel), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    t.advance(Span::from_hours(2));
    t.run_due_jobs().await;
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(patel_id));
    // Someone else's absence is not yours to cancel.
    let nina = t.login("nina.nurse").await;
    let r = t.request(Method::DELETE, &format!("/api/v1/me/absences/{absence}"), Some(&nina), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn staff_can_keep_a_follow_up_they_start() {
    let t = TestApp::spawn().await;
    let nina = t.login("nina.nurse").await;
    let nina_id = t.user_id("nina.nurse").await;
    let alice_patient = t.patient_id("alice").await;
    let c = start(
        &t,
        &nina,
        "care_question",
        json!({"patient_id": alice_patient, "body": "How is the cough this week?", "keep_with_me": true}),
    )
    .await;
    let v = conversation(&t, &nina, &c).await;
    assert_eq!((v["routing"]["owner_kind"].as_str(), assignee(&v)), (Some("person"), Some(nina_id.clone())));
    assert!(v["routing"]["reason"].as_str().unwrap().starts_with("Kept by Nina Alvarez, RN"));
    // The patient's reply comes straight back to her, and no timeout
    // takes it away.
    let alice = t.login("alice").await;
    let r =
        t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "Better, thanks."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    t.advance(Span::from_hours(5));
    t.run_due_jobs().await;
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(nina_id));
    // Patients cannot ask for it.
    let alice = t.login("alice").await;
    let r = t
        .start_conversation(
            &alice,
            json!({"subject": "x", "topic": "care_question", "body": "x", "keep_with_me": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn escalation_reaches_the_provider_and_returns_to_the_staff_owner() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let nina_id = t.user_id("nina.nurse").await;
    let patel = t.login("dr.patel").await;
    let patel_id = t.user_id("dr.patel").await;
    let c = start(&t, &alice, "care_question", json!({"body": "The new pills make me dizzy in the mornings."})).await;
    let url = format!("/api/v1/conversations/{c}");
    // Nina takes it, then asks Dr. Patel.
    assert_eq!(
        t.post(&format!("{url}/assign"), Some(&nina), json!({"assignee_id": nina_id})).await.status,
        StatusCode::OK
    );
    let r = t
        .post(
            &format!("{url}/escalate"),
            Some(&nina),
            json!({"provider_id": patel_id, "note": "Started amlodipine 5 mg last week; BP 102/64 at home. Lower the dose?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // It is in her escalated queue, with the thread and the note.
    let queue = t.get("/api/v1/conversations?view=escalated_to_me", Some(&patel)).await.json();
    assert_eq!(ids(&queue), std::slice::from_ref(&c));
    let counts = t.get("/api/v1/inbox/counts", Some(&patel)).await.json();
    assert_eq!(counts["escalated_to_me"], 1, "{counts}");
    let v = conversation(&t, &patel, &c).await;
    assert_eq!(v["escalated_to"]["id"], patel_id.as_str());
    assert!(v["notes"].as_array().unwrap().iter().any(|n| n["body"].as_str().unwrap().contains("amlodipine")));
    assert_eq!(v["messages"].as_array().unwrap().len(), 2, "the message and its acknowledgement");
    let alerts = t.get("/api/v1/alerts", Some(&patel)).await.json();
    assert!(alerts.as_array().unwrap().iter().any(|a| a["kind"] == "escalated" && a["conversation_id"] == c.as_str()));
    // The patient sees neither the note nor the escalation.
    let own = conversation(&t, &alice, &c).await;
    assert!(own.get("notes").is_none() && own.get("escalated_to").is_none(), "{own}");

    // She answers staff in a note: it comes back to Nina.
    let r =
        t.post(&format!("{url}/notes"), Some(&patel), json!({"body": "Halve it to 2.5 mg; recheck in a week."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = conversation(&t, &nina, &c).await;
    assert!(v.get("escalated_to").is_none() || v["escalated_to"].is_null(), "{v}");
    assert_eq!(assignee(&v), Some(nina_id.clone()));
    assert!(history_events(&v).ends_with(&["escalated".to_owned(), "returned".to_owned()]));
    let queue = t.get("/api/v1/conversations?view=escalated_to_me", Some(&patel)).await.json();
    assert!(ids(&queue).is_empty());

    // Escalated again, she replies to the patient herself: it returns too.
    let r =
        t.post(&format!("{url}/escalate"), Some(&nina), json!({"provider_id": patel_id, "note": "Still dizzy."})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.post(&format!("{url}/messages"), Some(&patel), json!({"body": "Please halve the dose."})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = conversation(&t, &nina, &c).await;
    assert!(v["escalated_to"].is_null());
    assert_eq!(assignee(&v), Some(nina_id));

    // Only to a provider of this practice, with a note.
    let mo = t.user_id("mo.assistant").await;
    for body in [
        json!({"provider_id": mo, "note": "x"}),
        json!({"provider_id": t.user_id("dr.lee").await, "note": "x"}),
        json!({"provider_id": patel_id, "note": ""}),
    ] {
        let r = t.post(&format!("{url}/escalate"), Some(&nina), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    // Patients cannot escalate.
    let r = t.post(&format!("{url}/escalate"), Some(&alice), json!({"provider_id": patel_id, "note": "x"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn emergency_language_marks_urgent_answers_at_once_and_alerts_clinical_staff() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = start(
        &t,
        &alice,
        "care_question",
        json!({"body": "I have crushing chest pain going down my left arm right now"}),
    )
    .await;
    let own = conversation(&t, &alice, &c).await;
    assert_eq!(own["priority"], "urgent");
    let messages = own["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["sender"]["kind"], "system");
    let reply = messages[1]["body"].as_str().unwrap();
    assert!(reply.contains("call 911 now") && reply.contains("988"), "{reply}");

    // Top of the care team's inbox, and an alert for the clinical staff on
    // duty (not for billing or the front desk).
    let inbox = t.get("/api/v1/conversations?sort=attention", Some(&nina)).await.json();
    assert_eq!(inbox["conversations"][0]["id"], c.as_str());
    let alerts = t.get("/api/v1/alerts", Some(&nina)).await.json();
    let alert = alerts.as_array().unwrap().iter().find(|a| a["conversation_id"] == c.as_str()).unwrap().clone();
    assert_eq!(alert["kind"], "urgent_message");
    assert!(!alert.to_string().contains("chest"), "no PHI in alerts: {alert}");
    let patel = t.login("dr.patel").await;
    assert!(
        t.get("/api/v1/alerts", Some(&patel))
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["conversation_id"] == c.as_str())
    );
    for other in ["bill.billing", "fran.frontdesk"] {
        let token = t.login(other).await;
        assert!(t.get("/api/v1/alerts", Some(&token)).await.json().as_array().unwrap().is_empty(), "{other}");
    }
    // Acknowledged, it is gone; not someone else's to acknowledge.
    let id = alert["id"].as_str().unwrap();
    let bill = t.login("bill.billing").await;
    assert_eq!(t.post(&format!("/api/v1/alerts/{id}/ack"), Some(&bill), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.post(&format!("/api/v1/alerts/{id}/ack"), Some(&nina), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!t.get("/api/v1/alerts", Some(&nina)).await.json().to_string().contains(id));
    // The audit says what happened, without the words.
    let patient = t.patient_id("alice").await;
    let cora = t.login("cora.compliance").await;
    let audit = t.get(&format!("/api/v1/audit-events?patient_id={patient}"), Some(&cora)).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let flagged = audit.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "urgent_message_flagged")
        .cloned()
        .unwrap_or_else(|| panic!("{}", audit.text));
    assert_eq!(flagged["actor_kind"], "system", "{flagged}");
    assert!(flagged["detail"].as_str().unwrap().starts_with("categories="), "{flagged}");
    assert!(!audit.text.contains("crushing"));

    // History and negation are not emergencies.
    for body in ["No chest pain since Tuesday, just tired.", "My mother had a stroke in 2010; is that a risk for me?"] {
        let c = start(&t, &alice, "care_question", json!({"body": body})).await;
        let v = conversation(&t, &alice, &c).await;
        assert_eq!((v["priority"].as_str(), v["messages"].as_array().unwrap().len()), (Some("routine"), 2), "{body}");
        let ack = v["messages"][1]["body"].as_str().unwrap();
        assert!(ack.contains("will answer by"), "an acknowledgement, not the urgent reply: {ack}");
    }
    // A later message in a routine thread is screened too.
    let c = start(&t, &alice, "care_question", json!({})).await;
    let r =
        t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "I can't breathe"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(conversation(&t, &alice, &c).await["priority"], "urgent");
    t.stop().await;
}

#[tokio::test]
async fn templates_are_personalised_searched_counted_and_reviewed() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = start(&t, &alice, "prescription_refill", json!({})).await;

    let all = t.get("/api/v1/templates", Some(&nina)).await.json();
    assert_eq!(all.as_array().unwrap().len(), 4);
    let found = t.get("/api/v1/templates?q=pharmacy", Some(&nina)).await.json();
    assert_eq!(found.as_array().unwrap().iter().map(|x| x["name"].clone()).collect::<Vec<_>>(), [json!("Refill sent")]);
    let by_name = t.get("/api/v1/templates?q=BOOK%20A", Some(&nina)).await.json();
    assert_eq!(by_name[0]["name"], "Please book a visit");
    let book = by_name[0]["id"].as_str().unwrap().to_owned();

    let r =
        t.post(&format!("/api/v1/conversations/{c}/render-template"), Some(&nina), json!({"template_id": book})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json()["body"].as_str().unwrap().to_owned();
    assert!(body.starts_with("Hi Alice, Dr. Priya Patel would like to see you"), "{body}");
    assert!(body.contains("https://book.example.org/riverside") && body.contains("(555) 010-0100"), "{body}");
    assert!(body.contains("Mon–Fri 8:00 AM–5:00 PM") || body.contains("Mon"), "{body}");
    assert!(!body.contains('{'), "every placeholder filled: {body}");
    let after = t.get("/api/v1/templates?q=BOOK%20A", Some(&nina)).await.json();
    assert_eq!(after[0]["usage_count"], 1);

    // Stale ones, for the admin pages.
    assert!(t.get("/api/v1/templates?stale=true", Some(&nina)).await.json().as_array().unwrap().is_empty());
    t.advance(Span::from_hours(24 * 30));
    let nina = t.login("nina.nurse").await;
    let stale = t.get("/api/v1/templates?stale=true", Some(&nina)).await.json();
    assert_eq!(stale.as_array().unwrap().len(), 1);
    assert_eq!((stale[0]["name"].as_str(), stale[0]["stale"].as_bool()), (Some("Flu shot clinic"), Some(true)));
    assert_eq!(stale[0]["owner_name"], "Alex Morgan");

    // New ones are checked: known placeholders only, a real date.
    let r = t
        .post(
            "/api/v1/templates",
            Some(&nina),
            json!({"name": "Dose", "body": "Hi {patient_first_name}, {dosage}", "review_by": "2027-01-01"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body")),
        "{}",
        r.text
    );
    let r =
        t.post("/api/v1/templates", Some(&nina), json!({"name": "Dose", "body": "Hi", "review_by": "next year"})).await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("review_by")));
    let r = t
        .post(
            "/api/v1/templates",
            Some(&nina),
            json!({"name": "Fasting labs", "body": "Hi {patient_first_name}, please fast for 8 hours.", "review_by": "2027-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // The owner may change it; another clinician may not.
    let mo = t.login("mo.assistant").await;
    let change = json!({"name": "Fasting labs", "body": "Hi {patient_first_name}, no food for 8 hours.", "review_by": "2027-03-01"});
    let r = t.request(Method::PUT, &format!("/api/v1/templates/{id}"), Some(&mo), Some(change.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.request(Method::PUT, &format!("/api/v1/templates/{id}"), Some(&nina), Some(change)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Patients have no templates, nor another practice's staff.
    let alice = t.login("alice").await;
    assert_eq!(t.get("/api/v1/templates", Some(&alice)).await.status, StatusCode::NOT_FOUND);
    let lee = t.login("dr.lee").await;
    assert!(t.get("/api/v1/templates", Some(&lee)).await.json().as_array().unwrap().is_empty());
    let r =
        t.post(&format!("/api/v1/conversations/{c}/render-template"), Some(&lee), json!({"template_id": book})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn the_assignment_timeout_is_configurable() {
    let t = TestApp::spawn_with(|c| c.assignment_timeout_minutes = std::num::NonZeroU32::new(30).unwrap()).await;
    let alice = t.login("alice").await;
    let c = start(&t, &alice, "prescription_refill", json!({})).await;
    let first = assignee(&as_desk(&t, &c).await).unwrap();
    t.advance(Span::from_mins(29));
    t.run_due_jobs().await;
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(first.clone()));
    t.advance(Span::from_mins(2));
    t.run_due_jobs().await;
    assert_ne!(assignee(&as_desk(&t, &c).await), Some(first));
    t.stop().await;
}

#[tokio::test]
async fn a_pool_lead_hands_out_work_by_hand() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let monitoring = pool_id(&t, &admin, "Remote monitoring").await;
    let (nina, mo, bill) =
        (t.user_id("nina.nurse").await, t.user_id("mo.assistant").await, t.user_id("bill.billing").await);
    // The lead need not be a member: Bill leads, Nina and Mo take the work.
    // (Billing leading a clinical pool: the practice lets billing read
    // every topic.)
    t.desk_and_billing_read_every_topic().await;
    let r = t
        .request(
            Method::PUT,
            &format!("/api/v1/pools/{monitoring}"),
            Some(&admin),
            Some(json!({"name": "Remote monitoring", "lead_id": bill, "members": [nina, mo], "auto_assign": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let bob = t.login("bob").await;
    let c = start(&t, &bob, "monitoring_program", json!({"body": "My scale says I gained 2 lb."})).await;
    let lead = t.login("bill.billing").await;
    let waiting = t.get("/api/v1/conversations?view=needs_response", Some(&lead)).await.json();
    assert!(ids(&waiting).contains(&c), "the lead sees what waits in the pool");
    let v = conversation(&t, &lead, &c).await;
    assert!(v["assignee"].is_null());
    let r = t.post(&format!("/api/v1/conversations/{c}/assign"), Some(&lead), json!({"assignee_id": mo})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(assignee(&as_desk(&t, &c).await), Some(mo));
    t.stop().await;
}

/// A deactivated colleague's open work is handed on by a job: pool work to
/// the next available member, work written to them back to them as owner,
/// unassigned, where their team sees it. Nothing new is given to them.
#[tokio::test]
async fn a_deactivated_colleagues_open_work_is_handed_on() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let alice = t.login("alice").await;
    let patel_token = t.login("dr.patel").await;
    let refill = start(&t, &alice, "prescription_refill", json!({})).await;
    let holder = conversation(&t, &patel_token, &refill).await["assignee"]["id"].as_str().unwrap().to_owned();
    let (mo, nina) = (t.user_id("mo.assistant").await, t.user_id("nina.nurse").await);
    assert!([&mo, &nina].contains(&&holder), "the Refills pool holds it");
    let other = if holder == mo { nina.clone() } else { mo.clone() };
    let patel = t.user_id("dr.patel").await;
    let direct = start(&t, &alice, "care_question", json!({"to_provider_id": patel})).await;
    assert_eq!(conversation(&t, &patel_token, &direct).await["assignee"]["id"], patel.as_str());

    let r = t.post(&format!("/api/v1/users/{holder}/deactivate"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(t.run_due_jobs().await >= 1);
    let c = conversation(&t, &patel_token, &refill).await;
    assert_eq!(c["assignee"]["id"], other.as_str(), "the pool's other member: {c}");
    assert_eq!(history_events(&c).last().map(String::as_str), Some("deactivated"), "{c}");

    // Dr. Patel leaves: what was written to him stays his (owner), held by nobody.
    // Read by the Primary Care colleague still active.
    let colleague = t.login(if other == mo { "mo.assistant" } else { "nina.nurse" }).await;
    let r = t.post(&format!("/api/v1/users/{patel}/deactivate"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    t.run_due_jobs().await;
    let c = conversation(&t, &colleague, &direct).await;
    assert!(c["assignee"].is_null(), "{c}");
    assert_eq!(
        (c["routing"]["owner_kind"].as_str(), c["routing"]["owner_name"].as_str()),
        (Some("person"), Some("Dr. Priya Patel")),
        "{c}"
    );
    // Patients no longer see him among the providers they can write to.
    let providers = t.get("/api/v1/me/providers", Some(&alice)).await.text;
    assert!(!providers.contains(&patel), "{providers}");
    t.stop().await;
}
