//! Caregivers who are not patients of the practice (issue 16): a patient's
//! code, or the practice's code for a minor, makes an account with no
//! patient record of its own. It reaches only whom its grants open, writes
//! with the "on behalf of" attribution, accepts the terms in the app, is
//! refused alike for any unusable code, and loses everything at once when
//! its access is revoked. Demo family: Jane Doe's children Sam (13,
//! confidential) and Mia (7).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "harbour lantern quietly orbit";

fn account(code: &str, username: &str) -> Value {
    json!({"code": code, "given_name": "Robin", "family_name": "Okafor", "username": username, "password": NEW_PASSWORD})
}

async fn make_account(t: &TestApp, body: Value) -> Resp {
    t.post("/api/v1/caregiver-accounts", None, body).await
}

async fn sign_in(t: &TestApp, username: &str) -> String {
    let r = t.try_login(username, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["token"].as_str().unwrap().to_owned()
}

async fn practice_code(t: &TestApp, staff: &str, patient: &str, relationship: &str) -> Resp {
    t.post(
        &format!("/api/v1/patient-accounts/{patient}/caregiver-invitations"),
        Some(staff),
        json!({"relationship": relationship}),
    )
    .await
}

#[tokio::test]
async fn a_patients_code_makes_an_account_that_acts_only_for_them() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let alice_id = t.patient_id("alice").await;
    let patients_before = t.count("SELECT count(*) FROM patients").await;
    let code = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "adult_child"})).await;
    assert_eq!(code.status, StatusCode::CREATED, "{}", code.text);
    let code = code.json()["code"].as_str().unwrap().to_owned();

    // Bad input loses nothing: the code still works after a refused try.
    let mut short = account(&code, "robin.okafor");
    short["password"] = json!("short");
    let r = make_account(&t, short).await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("password")));
    let r = make_account(&t, account(&code, "alice")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a taken user name: {}", r.text);
    let r = make_account(&t, account(&code, "robin.okafor")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["username"], "robin.okafor");
    // Used once.
    let r = make_account(&t, account(&code, "robin.two")).await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("code")));

    // No patient record was made; the name is sealed, not stored in clear.
    assert_eq!(t.count("SELECT count(*) FROM patients").await, patients_before);
    assert_eq!(t.count("SELECT count(*) FROM users WHERE username = 'robin.okafor' AND display_name IS NULL").await, 1);
    assert_eq!(t.count("SELECT count(*) FROM caregiver_profiles").await, 1);

    let robin = sign_in(&t, "robin.okafor").await;
    let me = t.get("/api/v1/me", Some(&robin)).await.json();
    assert_eq!(me["kind"], "patient");
    assert!(me["patient_id"].is_null(), "{me}");
    assert_eq!(me["display_name"], "Robin Okafor");
    // Whom Robin acts for: Alice only, no "Me".
    let people = t.get("/api/v1/me/caregiving", Some(&robin)).await.json();
    assert_eq!(people.as_array().unwrap().len(), 1, "{people}");
    assert_eq!(people[0]["display_name"], "Alice Nguyen");
    assert_eq!(people[0]["relationship"], "adult_child");
    // Nothing of Robin's own: no contact details, no caregivers to manage,
    // no conversation without saying for whom.
    assert_eq!(t.get("/api/v1/me/contact", Some(&robin)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me/caregivers", Some(&robin)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.post("/api/v1/me/caregiver-invitations", Some(&robin), json!({"relationship": "spouse"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(ids(&t.get("/api/v1/conversations", Some(&robin)).await.json()).is_empty());

    // The terms first, in the app, as for any patient.
    let start = json!({"subject": "For my mother", "topic": "care_question", "body": "She asked me to write.", "patient_id": alice_id});
    let r = t.start_conversation(&robin, start.clone()).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "terms_not_accepted".to_owned()), "{}", r.text);
    assert_eq!(t.get("/api/v1/me/enrollment", Some(&robin)).await.json()["standing"], "never");
    let r = t.post("/api/v1/me/terms-acceptances", Some(&robin), json!({"version": 1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.get("/api/v1/me/enrollment", Some(&robin)).await.json()["standing"], "current");

    let mut unnamed = start.clone();
    unnamed.as_object_mut().unwrap().remove("patient_id");
    let r = t.start_conversation(&robin, unnamed).await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("patient_id")));
    let r = t.start_conversation(&robin, start).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();
    assert!(
        ids(&t.get(&format!("/api/v1/conversations?patient_id={alice_id}"), Some(&robin)).await.json()).contains(&c)
    );

    // Alice and her care team see who wrote it.
    let v = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await.json();
    assert_eq!(v["messages"][0]["on_behalf"]["line"], "sent by Robin Okafor (adult child) on behalf of Alice Nguyen");
    let overview = t.get("/api/v1/me/caregivers", Some(&alice)).await.json();
    assert_eq!(overview["caregivers"][0]["caregiver_name"], "Robin Okafor");
    // On the record: the account made by the code, and the acceptance.
    let on_record = |action: &str, extra: &str| {
        format!(
            "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE u.username = 'robin.okafor' \
             AND a.action = '{action}' {extra}"
        )
    };
    assert_eq!(t.count(&on_record("user_created", "AND a.detail = 'caregiver'")).await, 1);
    assert_eq!(t.count(&on_record("caregiver_invitation_accepted", "AND a.outcome = 'success'")).await, 1);
    assert_eq!(t.count(&on_record("message_sent", "AND a.detail = 'on_behalf as=adult_child'")).await, 1);

    // Alice revokes: nothing of hers opens to Robin any more.
    let grant = overview["caregivers"][0]["grant_id"].as_str().unwrap().to_owned();
    assert_eq!(
        t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&alice), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get("/api/v1/me/caregiving", Some(&robin)).await.json(), json!([]));
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&robin)).await.status, StatusCode::NOT_FOUND);
    assert!(ids(&t.get(&format!("/api/v1/conversations?patient_id={alice_id}"), Some(&robin)).await.json()).is_empty());
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&robin), json!({"body": "Still here?"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn the_practice_gives_a_minors_caregiver_a_code_until_eighteen() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let (sam, alice) = (t.patient_id("sam").await, t.patient_id("alice").await);

    // Only for minors, only by staff who manage the patient.
    let r = practice_code(&t, &admin, &alice, "guardian").await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("patient")));
    let jane = t.login("jane").await;
    assert_eq!(practice_code(&t, &jane, &sam, "father").await.status, StatusCode::NOT_FOUND);
    let billing = t.login("bill.billing").await;
    assert_eq!(practice_code(&t, &billing, &sam, "father").await.status, StatusCode::NOT_FOUND);
    let r = practice_code(&t, &admin, &sam, "bogus").await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("relationship"))
    );

    let r = practice_code(&t, &admin, &sam, "father").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let code = r.json()["code"].as_str().unwrap().to_owned();
    let v = t.get(&format!("/api/v1/patient-accounts/{sam}/caregivers"), Some(&admin)).await.json();
    assert_eq!(v["invitations"][0]["granted_by"], "practice");

    let r = make_account(&t, account(&code, "sams.dad")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let dad = sign_in(&t, "sams.dad").await;
    let people = t.get("/api/v1/me/caregiving", Some(&dad)).await.json();
    assert_eq!(people[0]["display_name"], "Sam Doe");
    assert_eq!(people[0]["relationship"], "father");
    assert_eq!(people[0]["confidential"], true, "Sam is 13");
    // The practice's grant: ends at Sam's 18th birthday, midnight in New York.
    assert_eq!(people[0]["until"], "2030-05-09T04:00:00.000000Z");
    let v = t.get(&format!("/api/v1/patient-accounts/{sam}/caregivers"), Some(&admin)).await.json();
    let dads =
        v["caregivers"].as_array().unwrap().iter().find(|c| c["caregiver_name"] == "Robin Okafor").cloned().unwrap();
    assert_eq!(dads["granted_by"], "practice");
    assert_eq!(v["invitations"], json!([]));

    // Sam's own conversations stay his unless shared.
    let sam_token = t.login("sam").await;
    let private = t.patient_conversation(&sam_token, "A private question", "Something I want to ask alone.").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&dad)).await.status, StatusCode::NOT_FOUND);
    assert!(
        !ids(&t.get(&format!("/api/v1/conversations?patient_id={sam}"), Some(&dad)).await.json()).contains(&private)
    );
    let r = t.put(&format!("/api/v1/conversations/{private}/sharing"), Some(&sam_token), json!({"shared": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&dad)).await.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn unusable_codes_are_refused_alike_and_slowed() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let make = |token: &str, rel: &str| {
        let (t, token, rel) = (&t, token.to_owned(), rel.to_owned());
        async move {
            let r = t.post("/api/v1/me/caregiver-invitations", Some(&token), json!({"relationship": rel})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            (r.json()["id"].as_str().unwrap().to_owned(), r.json()["code"].as_str().unwrap().to_owned())
        }
    };
    let (withdrawn_id, withdrawn) = make(&alice, "spouse").await;
    let r = t
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/caregiver-invitations/{withdrawn_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let (_, expired) = make(&alice, "spouse").await;
    t.advance(switchboard_domain::time::Span::from_secs(3 * 24 * 3600));
    let alice = t.login("alice").await;
    let (_, fresh) = make(&alice, "other").await;
    // Eight days after the first codes (they lasted seven); five after `fresh`.
    t.advance(switchboard_domain::time::Span::from_secs(5 * 24 * 3600));
    let alice = t.login("alice").await;
    let mut answers = Vec::new();
    for code in [withdrawn.as_str(), expired.as_str(), "not a code", "abcd-efgh-jkmn"] {
        let r = make_account(&t, account(code, "someone.new")).await;
        answers.push((r.status, r.json()["error"]["message"].clone()));
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::UNPROCESSABLE_ENTITY);
    // Refusals are on the operator's record, naming no one.
    assert_eq!(
        t.count(
            "SELECT count(*) FROM audit_log WHERE action = 'caregiver_invitation_accepted' AND outcome = 'failed' \
             AND actor_id IS NULL AND practice_id IS NULL"
        )
        .await,
        4
    );
    let r = make_account(&t, account(&fresh, "someone.new")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Guessing from one address is slowed like passwords, even for the
    // right code.
    let (_, right) = make(&alice, "spouse").await;
    let mut throttled = false;
    for i in 0..60 {
        let r = make_account(&t, account(&format!("aaaa-bbbb-{i:04}"), "guesser")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.header("retry-after").is_some());
            throttled = true;
            break;
        }
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    assert!(throttled, "wrong codes are slowed");
    let r = make_account(&t, account(&right, "guesser")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    t.stop().await;
}
