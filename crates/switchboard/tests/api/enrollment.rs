//! Enrollment terms and the soft launch: a patient accepts the practice's
//! messaging terms as they enroll (the version, when and how are kept),
//! accepts new terms before writing again, and patient messaging can be on
//! for chosen cohorts first.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "a long new passphrase";
const NEW_TERMS: &str = "Messages are for questions that can wait a business day.\n\
                         In an emergency call 911. If you are thinking about harming yourself, call or text 988.";

fn token_of(path: &str) -> String {
    path.split_once("#token=").map(|(_, t)| t.to_owned()).unwrap_or_else(|| panic!("no token in {path}"))
}

/// A new patient record invited at the desk: (patient id, link token).
async fn invited(t: &TestApp, admin: &str, mrn: &str, birth_date: &str) -> (String, String) {
    let primary = t.department_id(admin, "Primary Care").await;
    let rec = json!({"given_name": "Ivy", "family_name": "Lane", "birth_date": birth_date, "mrn": mrn, "department_id": primary});
    let r = t.add_patient(admin, rec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let patient = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(&format!("/api/v1/patient-accounts/{patient}/invitation"), Some(admin), json!({"channel": "desk"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (patient, token_of(r.json()["path"].as_str().unwrap()))
}

async fn listed(t: &TestApp, admin: &str, patient: &str) -> Value {
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(admin)).await.json();
    list.as_array().unwrap().iter().find(|p| p["id"] == patient).unwrap().clone()
}

async fn publish(t: &TestApp, token: &str, text: &str) -> Resp {
    t.post("/api/v1/practice/messaging-terms", Some(token), json!({"text": text})).await
}

#[tokio::test]
async fn patients_accept_the_terms_as_they_enroll_and_again_when_the_terms_change() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    // The demo's patients accepted the terms as they were seeded.
    let seeded = t.count("SELECT COUNT(*) FROM terms_acceptances").await;
    assert_eq!(seeded, t.count("SELECT COUNT(*) FROM patients WHERE user_id IS NOT NULL").await);
    let (patient, token) = invited(&t, &admin, "RFM-8001", "1990-02-03").await;

    // The invitation shows the terms in force: the standard ones, version 1.
    let info = t.post("/api/v1/links/inspect", None, json!({"token": token})).await.json();
    assert_eq!(info["terms"]["version"], 1, "{info}");
    assert!(info["terms"]["text"].as_str().unwrap().contains("call 911"), "{info}");
    assert_eq!(info["terms"]["published_by"], Value::Null);

    // Without accepting them there is no enrollment, and the link still works.
    let form = json!({"token": token, "password": PASSWORD, "username": "ivy.lane", "birth_date": "1990-02-03"});
    let r = t.post("/api/v1/links/redeem", None, form.clone()).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("terms_version"))
    );
    assert_eq!(t.try_login("ivy.lane", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let mut accepted = form.clone();
    accepted["terms_version"] = json!(1);
    let r = t.post("/api/v1/links/redeem", None, accepted).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // The record says which version, when and how.
    let row = listed(&t, &admin, &patient).await;
    assert_eq!(row["enrollment"], "enrolled");
    assert_eq!(row["terms_accepted"]["version"], 1, "{row}");
    assert_eq!(row["terms_accepted"]["method"], "invitation");
    assert_eq!(row["terms_accepted"]["accepted_at"], "2026-01-05T15:00:00.000000Z", "the test clock's time");
    assert_eq!(row["terms_current"], true);
    let ivy = t.try_login("ivy.lane", PASSWORD).await.json()["token"].as_str().unwrap().to_owned();
    let me = t.get("/api/v1/me/enrollment", Some(&ivy)).await.json();
    assert_eq!((me["standing"].as_str(), me["may_start_conversations"].as_bool()), (Some("current"), Some(true)));
    let c = t.patient_conversation(&ivy, "Refill", "A refill, please.").await;

    // Only administrators publish; the words are checked; nothing changes
    // when the same terms are sent again.
    let nina = t.login("nina.nurse").await;
    assert_eq!(publish(&t, &nina, NEW_TERMS).await.status, StatusCode::NOT_FOUND);
    assert_eq!(publish(&t, &ivy, NEW_TERMS).await.status, StatusCode::NOT_FOUND);
    let short = publish(&t, &admin, "Be nice.").await;
    assert_eq!(
        (short.status, short.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("text"))
    );
    let standard = info["terms"]["text"].as_str().unwrap();
    assert_eq!(publish(&t, &admin, standard).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = publish(&t, &admin, NEW_TERMS).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!((r.json()["version"].as_u64(), r.json()["published_by"].as_str()), (Some(2), Some("Alex Morgan")));
    let all = t.get("/api/v1/practice/messaging-terms", Some(&admin)).await.json();
    assert_eq!(all.as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 1]);

    // New terms: shown to the patient, who writes again only once they accept.
    let me = t.get("/api/v1/me/enrollment", Some(&ivy)).await.json();
    assert_eq!((me["standing"].as_str(), me["terms"]["version"].as_u64()), (Some("outdated"), Some(2)), "{me}");
    assert_eq!(me["accepted"]["version"], 1);
    let reply = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&ivy), json!({"body": "Any news?"})).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "terms_not_accepted".to_owned()), "{}", reply.text);
    let new = t.start_conversation(&ivy, json!({"subject": "Hi", "topic": "care_question", "body": "Hello."})).await;
    assert_eq!((new.status, new.code()), (StatusCode::CONFLICT, "terms_not_accepted".to_owned()));
    let stale = t.post("/api/v1/me/terms-acceptances", Some(&ivy), json!({"version": 1})).await;
    assert_eq!(
        (stale.status, stale.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("terms_version"))
    );
    let ok = t.post("/api/v1/me/terms-acceptances", Some(&ivy), json!({"version": 2})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["method"], "app");
    let reply = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&ivy), json!({"body": "Any news?"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let row = listed(&t, &admin, &patient).await;
    assert_eq!((row["terms_accepted"]["version"].as_u64(), row["terms_current"].as_bool()), (Some(2), Some(true)));

    // Staff reply as before: the terms are the patients'.
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "Sent to the pharmacy."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.get("/api/v1/me/enrollment", Some(&nina)).await.status, StatusCode::NOT_FOUND);

    // Both acceptances and the publication are on record; none is ever removed.
    assert_eq!(t.count("SELECT COUNT(*) FROM terms_acceptances").await, seeded + 2, "Ivy's two");
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'terms_accepted'").await, seeded + 2);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'terms_published' AND outcome = 'success'").await,
        1
    );

    // An invitation opened under version 2, redeemed after version 3 came out:
    // the patient is asked to read the new terms.
    let (_, token) = invited(&t, &admin, "RFM-8002", "1991-04-05").await;
    let info = t.post("/api/v1/links/inspect", None, json!({"token": token})).await.json();
    assert_eq!(info["terms"]["version"], 2);
    assert_eq!(
        publish(&t, &admin, &format!("{NEW_TERMS}\nWe answer within two business days.")).await.status,
        StatusCode::CREATED
    );
    let form = json!({"token": token, "password": PASSWORD, "username": "ivy.two", "birth_date": "1991-04-05", "terms_version": 2});
    let r = t.post("/api/v1/links/redeem", None, form).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("terms_version"))
    );
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("changed"), "{}", r.text);
    let summary = t.get("/api/v1/practice/enrollment", Some(&admin)).await.json();
    assert_eq!(summary["current_version"], 3, "{summary}");
    // The demo's six enrolled patients (the Doe family among them) and the one enrolled here.
    assert_eq!(summary["enrolled"], 7, "{summary}");
    assert_eq!(summary["on_earlier_terms"], 7, "{summary}");
    t.stop().await;
}

async fn set_rollout(t: &TestApp, token: &str, body: Value) -> Resp {
    t.put("/api/v1/practice/rollout", Some(token), body).await
}

async fn may_start(t: &TestApp, who: &str) -> bool {
    let token = t.login(who).await;
    t.get("/api/v1/me/enrollment", Some(&token)).await.json()["may_start_conversations"].as_bool().unwrap()
}

#[tokio::test]
async fn a_soft_launch_turns_messaging_on_for_chosen_cohorts_first() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let everyone = t.get("/api/v1/practice/rollout", Some(&admin)).await.json();
    assert_eq!(everyone, json!({"mode": "everyone", "department_ids": [], "provider_ids": [], "patient_ids": []}));
    let cardiology = t.department_id(&admin, "Cardiology").await;
    let alice = t.login("alice").await;
    let open =
        t.patient_conversation(&alice, "Before the launch", "Started while messaging was on for everyone.").await;

    // Cardiology first: Bob (a Cardiology patient) may start conversations,
    // Alice (Primary Care) may not, but still answers her care team.
    let r = set_rollout(&t, &admin, json!({"mode": "cohorts", "department_ids": [cardiology]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(may_start(&t, "bob").await);
    assert!(!may_start(&t, "alice").await);
    let r = t.start_conversation(&alice, json!({"subject": "Hi", "topic": "care_question", "body": "Hello."})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "messaging_not_open".to_owned()), "{}", r.text);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("call the office"), "{}", r.text);
    let reply =
        t.post(&format!("/api/v1/conversations/{open}/messages"), Some(&alice), json!({"body": "Thanks."})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);

    // Outside the launch nobody is invited; on its list they are.
    let rec = json!({"given_name": "Jo", "family_name": "Park", "birth_date": "1985-06-07", "mrn": "RFM-8101"});
    let jo = t.add_patient(&admin, rec).await.json()["id"].as_str().unwrap().to_owned();
    let invite = format!("/api/v1/patient-accounts/{jo}/invitation");
    let r = t.post(&invite, Some(&admin), json!({"channel": "desk"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "messaging_not_open".to_owned()));
    assert_eq!(listed(&t, &admin, &jo).await["messaging_open"], false);
    let r =
        set_rollout(&t, &admin, json!({"mode": "cohorts", "department_ids": [cardiology], "patient_ids": [jo, jo]}))
            .await;
    assert_eq!(r.json()["patient_ids"], json!([jo]), "listed once: {}", r.text);
    assert_eq!(listed(&t, &admin, &jo).await["messaging_open"], true);
    assert_eq!(t.post(&invite, Some(&admin), json!({"channel": "desk"})).await.status, StatusCode::CREATED);

    // A provider's panel: the patients whose care team Dr. Patel leads.
    let patel = t.user_id("dr.patel").await;
    set_rollout(&t, &admin, json!({"mode": "cohorts", "provider_ids": [patel]})).await;
    assert!(may_start(&t, "alice").await && may_start(&t, "carol").await);
    assert!(!may_start(&t, "bob").await);
    let summary = t.get("/api/v1/practice/enrollment", Some(&admin)).await.json();
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(&admin)).await.json();
    let list = list.as_array().unwrap();
    let on_panel = list.iter().filter(|p| p["care_team"] == "Dr. Patel's team").count();
    assert!(on_panel >= 2 && on_panel < list.len());
    assert!(list.iter().all(|p| p["messaging_open"] == (p["care_team"] == "Dr. Patel's team")));
    assert_eq!(summary["patients"].as_u64(), Some(list.len() as u64), "{summary}");
    assert_eq!(
        (summary["open_to"].as_u64(), summary["enrolled"].as_u64()),
        (Some(on_panel as u64), Some(6)),
        "{summary}"
    );

    // Nothing chosen: on for nobody; then on for everyone again.
    set_rollout(&t, &admin, json!({"mode": "cohorts"})).await;
    assert!(!may_start(&t, "carol").await);
    set_rollout(&t, &admin, json!({"mode": "everyone"})).await;
    assert!(may_start(&t, "alice").await && may_start(&t, "bob").await);

    // Bad input is refused whole and changes nothing.
    for (body, field) in [
        (json!({"mode": "some"}), "mode"),
        (json!({"mode": "cohorts", "department_ids": ["nope"]}), "department_ids"),
        (json!({"mode": "cohorts", "department_ids": [jo]}), "department_ids"),
        (json!({"mode": "cohorts", "provider_ids": [jo]}), "provider_ids"),
        (json!({"mode": "cohorts", "patient_ids": [patel]}), "patient_ids"),
    ] {
        let r = set_rollout(&t, &admin, body.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{body}"
        );
    }
    assert_eq!(t.get("/api/v1/practice/rollout", Some(&admin)).await.json()["mode"], "everyone");
    // Only administrators change it.
    let nina = t.login("nina.nurse").await;
    assert_eq!(set_rollout(&t, &nina, json!({"mode": "cohorts"})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.request(Method::PUT, "/api/v1/practice/rollout", Some(&alice), Some(json!({"mode": "cohorts"}))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'rollout_changed' AND outcome = 'success'").await,
        5
    );
    t.stop().await;
}
