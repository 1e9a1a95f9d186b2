//! Unusual access found in the audit log for the compliance officer: a
//! nurse opening a patient who shares her family name, a provider opening
//! a patient of another department (through an escalation), a nurse
//! opening far more patients in a day than a new colleague can, each found
//! once by the hourly job, listed with names for reviewers only, and
//! marked reviewed.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn open_new_patient(t: &TestApp, admin: &str, nurse: &str, family: &str, mrn: &str) -> String {
    let primary = t.department_id(admin, "Primary Care").await;
    let rec = json!({"given_name": "Rosa", "family_name": family, "birth_date": "1980-02-03", "mrn": mrn,
        "department_id": primary});
    let r = t.add_patient(admin, rec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let patient = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .start_conversation(
            nurse,
            json!({"patient_id": patient, "subject": "Checking in", "topic": "care_question",
            "body": "How are you feeling after the visit?", "keep_with_me": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(nurse)).await.status, StatusCode::OK);
    patient
}

fn reasons(list: &Value) -> Vec<(String, String)> {
    list["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["reason"].as_str().unwrap().to_owned(), r["user_name"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn unusual_access_is_found_once_and_reviewed_by_the_compliance_officer() {
    let t = TestApp::spawn().await;
    // The first run marks where the log stands: findings are about what
    // happens from then on.
    assert_eq!(t.app().review_access().await.unwrap(), 0);
    let admin = t.login("admin").await;
    let nina = t.login("nina.nurse").await;
    let cora = t.login("cora.compliance").await;

    // A patient who shares the nurse's family name ("Nina Alvarez, RN").
    let relative = open_new_patient(&t, &admin, &nina, "Alvarez", "RFM-9001").await;
    // A patient opened by a provider of another department, through an
    // escalation: Dr. Okafor (Cardiology) and Alice (Primary Care).
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Dizzy", "I feel dizzy since the new pills.").await;
    let okafor_id = t.user_id("dr.okafor").await;
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/escalate"),
            Some(&nina),
            json!({"provider_id": okafor_id, "note": "Cardiac?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let okafor = t.login("dr.okafor").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&okafor)).await.status, StatusCode::OK);
    // Lists alone are never access to review: Dr. Patel's inbox refreshes.
    let patel = t.login("dr.patel").await;
    for _ in 0..20 {
        t.get("/api/v1/conversations", Some(&patel)).await;
    }

    assert_eq!(t.app().review_access().await.unwrap(), 2);
    let list = t.get("/api/v1/access-reviews", Some(&cora)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let mut found = reasons(&list.json());
    found.sort();
    assert_eq!(
        found,
        vec![
            ("outside_teams".to_owned(), "Dr. Chidi Okafor".to_owned()),
            ("shared_family_name".to_owned(), "Nina Alvarez, RN".to_owned()),
        ]
    );
    let family = list.json()["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "shared_family_name")
        .unwrap()
        .clone();
    assert_eq!(family["patient_id"], json!(relative));
    assert_eq!(family["patient_name"], json!("Rosa Alvarez"));
    // Opening the same patient again finds nothing new.
    let again = t.get("/api/v1/conversations?view=all", Some(&nina)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(t.app().review_access().await.unwrap(), 0);

    // Only reviewers see them; marking one reviewed takes it off the list.
    assert_eq!(t.get("/api/v1/access-reviews", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    let id = family["id"].as_str().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/access-reviews/{id}/reviewed"), Some(&nina), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post(&format!("/api/v1/access-reviews/{id}/reviewed"), Some(&cora), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.post(&format!("/api/v1/access-reviews/{id}/reviewed"), Some(&cora), json!({})).await.status,
        StatusCode::NOT_FOUND,
        "once"
    );
    assert_eq!(reasons(&t.get("/api/v1/access-reviews", Some(&cora)).await.json()).len(), 1);
    assert_eq!(reasons(&t.get("/api/v1/access-reviews?state=all", Some(&cora)).await.json()).len(), 2);
    assert_eq!(t.get("/api/v1/access-reviews?state=maybe", Some(&cora)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let log = t.get("/api/v1/audit-events?action=access_review_raised", Some(&cora)).await.json();
    assert_eq!(log["events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_new_nurse_opening_thirty_patients_in_a_day_is_found() {
    let t = TestApp::spawn().await;
    t.app().review_access().await.unwrap();
    let admin = t.login("admin").await;
    let mo = t.login("mo.assistant").await;
    for i in 0..29 {
        open_new_patient(
            &t,
            &admin,
            &mo,
            &format!("Family{}", (b'A' + u8::try_from(i % 26).unwrap()) as char),
            &format!("RFM-8{i:03}"),
        )
        .await;
    }
    assert_eq!(t.app().review_access().await.unwrap(), 0, "29 is within what a new colleague opens");
    open_new_patient(&t, &admin, &mo, "Zed", "RFM-8999").await;
    assert_eq!(t.app().review_access().await.unwrap(), 1);
    let list = t.get("/api/v1/access-reviews", Some(&admin)).await.json();
    assert_eq!(list["reviews"][0]["reason"], json!("many_patients"));
    assert_eq!(list["reviews"][0]["patients_opened"], json!(30));
    assert_eq!(list["reviews"][0]["user_name"], json!("Mo Rahman, MA"));
}
