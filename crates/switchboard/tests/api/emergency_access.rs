//! Emergency ("break-glass") access (issue 16): a nurse of Primary Care
//! finds Bob (Cardiology, not hers) by name and date of birth or by MRN,
//! gives a reason after proving it is her, reads and answers his
//! conversation (sensitive too) for the grant's time and no longer; every
//! step is on record, the compliance officer is told at once and finds the
//! use, with its reason, to review.

use crate::live::Live;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_domain::time::Span;

const BOB_SEARCH: &str = r#"{"family_name": " martinez ", "birth_date": "1962-07-21"}"#;

fn search_body() -> Value {
    serde_json::from_str(BOB_SEARCH).unwrap()
}

async fn bob_id(t: &TestApp, nina: &str) -> String {
    let r = t.post("/api/v1/emergency-access/search", Some(nina), search_body()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = r.json()["patients"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["display_name"], "Bob Martinez");
    assert_eq!(found[0]["birth_date"], "1962-07-21");
    found[0]["patient_id"].as_str().unwrap().to_owned()
}

/// Proves it is them again (a moment after signing in: the sign-in itself
/// is not the proof breaking glass asks for).
async fn confirm(t: &TestApp, token: &str) {
    t.advance(Span::from_secs(1));
    let r = t.post("/api/v1/auth/reauthenticate", Some(token), json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

async fn start(t: &TestApp, token: &str, patient: &str) -> crate::support::Resp {
    t.post(
        "/api/v1/emergency-access",
        Some(token),
        json!({"patient_id": patient, "reason": "Bob called the nurse line with chest pain; Dr. Okafor is away",
               "category": "immediate_danger"}),
    )
    .await
}

#[tokio::test]
async fn a_nurse_breaks_glass_for_a_patient_not_hers_and_the_compliance_officer_is_told() {
    let t = TestApp::spawn().await;
    // The hourly check's first run marks where the log stands.
    t.app().review_access().await.unwrap();
    let bob = t.login("bob").await;
    let c = t.patient_conversation(&bob, "Chest", "My chest hurts when I climb stairs.").await;
    // Dr. Okafor marks it substance use (42 CFR Part 2): nurses are not
    // granted that category.
    let okafor = t.login("dr.okafor").await;
    let r = t
        .put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&okafor), json!({"category": "substance_use"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cora = t.login("cora.compliance").await;
    let r = t.put("/api/v1/me/mobile", Some(&cora), json!({"mobile": "(555) 010-0177"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.put("/api/v1/me/notification-choices", Some(&cora), json!({"media": ["push", "sms"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let nina = t.login("nina.nurse").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);

    // Finding him: exact name and date, or MRN; partial names find nobody.
    let patient = bob_id(&t, &nina).await;
    let r = t.post("/api/v1/emergency-access/search", Some(&nina), json!({"mrn": "rfm-1003"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["patients"][0]["patient_id"], json!(patient));
    let r = t
        .post(
            "/api/v1/emergency-access/search",
            Some(&nina),
            json!({"family_name": "Mart", "birth_date": "1962-07-21"}),
        )
        .await;
    assert_eq!(r.json()["patients"], json!([]));
    let r = t.post("/api/v1/emergency-access/search", Some(&nina), json!({"family_name": "Martinez"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = t
        .post("/api/v1/emergency-access/search", Some(&nina), json!({"family_name": "Martinez", "birth_date": "July"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // The front desk, billing, administrators and the compliance officer
    // do not break glass.
    for who in ["fran.frontdesk", "bill.billing", "admin", "cora.compliance"] {
        let token = if who == "cora.compliance" { cora.clone() } else { t.login(who).await };
        let r = t.post("/api/v1/emergency-access/search", Some(&token), search_body()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(start(&t, &token, &patient).await.status, StatusCode::NOT_FOUND, "{who}");
    }
    // The search terms are never on record; the searches and who they
    // named are.
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%artinez%' OR detail LIKE '%1962%'").await,
        0
    );
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'emergency_patient_searched' AND outcome = 'success'")
            .await,
        3
    );

    // A proof given after signing in, within five minutes, is required:
    // the sign-in a minute ago is not enough.
    let r = start(&t, &nina, &patient).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "reauthentication_required");
    confirm(&t, &nina).await;
    t.advance(Span::from_mins(6));
    let r = start(&t, &nina, &patient).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "reauthentication_required");
    let r = t.post("/api/v1/auth/reauthenticate", Some(&nina), json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // A reason is required, and a real one; the length is bounded.
    let r = t.post("/api/v1/emergency-access", Some(&nina), json!({"patient_id": patient, "reason": "urgent"})).await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("reason")));
    let r = t
        .post(
            "/api/v1/emergency-access",
            Some(&nina),
            json!({"patient_id": patient, "reason": "Chest pain, PCP away", "minutes": 600}),
        )
        .await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("minutes")));

    let mut live = Live::open(&t, &nina).await;
    let r = start(&t, &nina, &patient).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let grant = r.json();
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    assert_eq!(grant["minutes"], 60);
    assert_eq!(grant["patient_name"], "Bob Martinez");
    assert_eq!(start(&t, &nina, &patient).await.status, StatusCode::CONFLICT, "one grant at a time");
    // A patient of her own care team needs no glass broken.
    let r = t
        .post(
            "/api/v1/emergency-access/search",
            Some(&nina),
            json!({"family_name": "Nguyen", "birth_date": "1984-03-12"}),
        )
        .await;
    let alice_patient = r.json()["patients"][0]["patient_id"].as_str().unwrap().to_owned();
    assert_eq!(start(&t, &nina, &alice_patient).await.status, StatusCode::CONFLICT);

    // The banner's list.
    let mine = t.get("/api/v1/emergency-access", Some(&nina)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    assert_eq!(mine.json()["grants"][0]["id"], json!(grant_id));
    assert_eq!(t.get("/api/v1/emergency-access", Some(&okafor)).await.json()["grants"], json!([]));

    // Reached from the patient, never listed in her inbox.
    let listed = t.get(&format!("/api/v1/emergency-access/{grant_id}/conversations"), Some(&nina)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let items = listed.json()["conversations"].as_array().unwrap().clone();
    assert!(items.iter().any(|i| i["id"] == json!(c)));
    assert!(items.iter().all(|i| i["patient"]["id"] == json!(patient)), "only Bob's: {items:?}");
    let inbox = t.get("/api/v1/conversations?view=all", Some(&nina)).await.json();
    assert!(inbox["conversations"].as_array().unwrap().iter().all(|i| i["patient"]["id"] != json!(patient)));
    assert_eq!(
        t.get(&format!("/api/v1/emergency-access/{grant_id}/conversations"), Some(&okafor)).await.status,
        StatusCode::NOT_FOUND,
        "another's grant"
    );

    // She reads it (sensitive: 42 CFR 2.51), answers and writes a note; she
    // does not close, reassign or unmark it.
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("My chest hurts"));
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Please call 911 now."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r =
        t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": "Told to call 911."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/close"), Some(&nina), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let r = t.put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&nina), json!({"category": null})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The live stream told her of her own reply in it.
    let events = live.drain(Duration::from_millis(800)).await;
    assert!(events.iter().any(|(name, _)| name == "message_sent"), "{events:?}");

    // Every opening under the grant names it.
    let named = format!(
        "SELECT count(*) FROM audit_log WHERE action = 'conversation_viewed' AND detail LIKE '%emergency_access={grant_id}%'"
    );
    assert_eq!(t.count(&named).await, 1);
    // So are the reply and the note written under it.
    let written = format!(
        "SELECT count(*) FROM audit_log WHERE action IN ('message_sent', 'note_added') AND detail = 'emergency_access={grant_id}'"
    );
    assert_eq!(t.count(&written).await, 2);
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'emergency_access_started' AND outcome = 'success'")
            .await,
        1
    );
    // The reason is sealed, not stored as text.
    assert_eq!(t.count("SELECT count(*) FROM emergency_access WHERE CAST(reason_ct AS TEXT) LIKE '%chest%'").await, 0);

    // The compliance officer was told at once (fixed words, no patient),
    // and her "To review" lists the use with who, whom, why and how long.
    assert_eq!(t.count("SELECT count(*) FROM deliveries WHERE kind = 'emergency_access'").await, 1);
    let reviews = t.get("/api/v1/access-reviews", Some(&cora)).await;
    assert_eq!(reviews.status, StatusCode::OK, "{}", reviews.text);
    let review =
        reviews.json()["reviews"].as_array().unwrap().iter().find(|r| r["reason"] == "emergency_access").cloned();
    let review = review.expect("the use is listed for review");
    assert_eq!(review["user_name"], "Nina Alvarez, RN");
    assert_eq!(review["patient_name"], "Bob Martinez");
    assert_eq!(review["emergency"]["reason"], "Bob called the nurse line with chest pain; Dr. Okafor is away");
    assert_eq!(review["emergency"]["minutes"], 60);
    assert_eq!(review["emergency"]["category"], "immediate_danger");
    assert_eq!(review["emergency"]["ended_at"], Value::Null);
    // The hourly check does not list the same opening again as outside
    // her teams (Dr. Okafor's opening of his own patient is not unusual).
    assert_eq!(t.app().review_access().await.unwrap(), 0);

    // Ending it early closes everything at once, the live stream too.
    let r = t.post(&format!("/api/v1/emergency-access/{grant_id}/end"), Some(&okafor), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "only its holder ends it");
    let r = t.post(&format!("/api/v1/emergency-access/{grant_id}/end"), Some(&nina), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.post(&format!("/api/v1/emergency-access/{grant_id}/end"), Some(&nina), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/emergency-access", Some(&nina)).await.json()["grants"], json!([]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    live.drain(Duration::from_millis(300)).await;
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&okafor), json!({"body": "I will call him."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let events = live.drain(Duration::from_millis(800)).await;
    assert!(events.iter().all(|(name, _)| name != "message_sent"), "an ended grant still streams: {events:?}");
    let review = t.get("/api/v1/access-reviews", Some(&cora)).await.json()["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "emergency_access")
        .cloned()
        .unwrap();
    assert!(review["emergency"]["ended_at"].is_string(), "{review}");
    t.stop().await;
}

#[tokio::test]
async fn a_grant_runs_out_by_itself_and_searching_is_throttled() {
    let t = TestApp::spawn().await;
    let bob = t.login("bob").await;
    let c = t.patient_conversation(&bob, "Dizzy", "I feel dizzy.").await;
    let nina = t.login("nina.nurse").await;
    let patient = bob_id(&t, &nina).await;
    confirm(&t, &nina).await;
    let r = t
        .post(
            "/api/v1/emergency-access",
            Some(&nina),
            json!({"patient_id": patient, "reason": "Dizzy and alone at home, covering the cardiology line", "minutes": 15}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::OK);
    t.advance(Span::from_mins(14));
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::OK);
    t.advance(Span::from_mins(1));
    // At the end of its fifteen minutes: nothing opens.
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/emergency-access", Some(&nina)).await.json()["grants"], json!([]));

    // Ten searches in fifteen minutes (the one above is older), then 429.
    for _ in 0..10 {
        assert_eq!(t.post("/api/v1/emergency-access/search", Some(&nina), search_body()).await.status, StatusCode::OK);
    }
    let r = t.post("/api/v1/emergency-access/search", Some(&nina), search_body()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    t.advance(Span::from_mins(16));
    let nina = t.login("nina.nurse").await;
    assert_eq!(t.post("/api/v1/emergency-access/search", Some(&nina), search_body()).await.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn deactivation_ends_a_grant_with_the_sessions() {
    let t = TestApp::spawn().await;
    let bob = t.login("bob").await;
    let c = t.patient_conversation(&bob, "Dizzy", "I feel dizzy.").await;
    let nina = t.login("nina.nurse").await;
    let patient = bob_id(&t, &nina).await;
    confirm(&t, &nina).await;
    let r = start(&t, &nina, &patient).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let admin = t.login("admin").await;
    let nina_id = t.user_id("nina.nurse").await;
    let r = t.post(&format!("/api/v1/users/{nina_id}/deactivate"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        t.count("SELECT count(*) FROM emergency_access WHERE ended_why = 'deactivated' AND ended_at IS NOT NULL").await,
        1
    );
    // Reactivated, the grant stays over.
    let r = t.post(&format!("/api/v1/users/{nina_id}/reactivate"), Some(&admin), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let nina = t.login("nina.nurse").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}
