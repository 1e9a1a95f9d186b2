//! Caregivers (issue 16): a mother switching between her two children and
//! writing for them, with the attribution both sides see; a 13-year-old's
//! confidential conversations and sharing; single-use invitations;
//! practice grants for minors, which end at 18; revocation, at once; and
//! every use on the audit record with the caregiver as actor and the
//! patient as the record's patient. The demo family: Jane Doe (`jane`), the
//! mother of Sam (born 2012-05-09, 13 at the test clock's 2026-01-05) and
//! Mia (born 2018-09-14, 7), with the practice's grants for both.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_domain::time::Span;

async fn start_for(t: &TestApp, token: &str, patient: &str, subject: &str, body: &str) -> Resp {
    t.start_conversation(
        token,
        json!({"subject": subject, "topic": "care_question", "body": body, "patient_id": patient}),
    )
    .await
}

fn listed(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    ids(&r.json())
}

async fn audit_count(t: &TestApp, action: &str, actor: &str, patient: &str, extra: &str) -> i64 {
    t.count(&format!(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id JOIN patients p ON p.id = a.patient_id \
         WHERE a.action = '{action}' AND u.username = '{actor}' AND p.user_id = (SELECT id FROM users WHERE username = '{patient}') {extra}"
    ))
    .await
}

#[tokio::test]
async fn a_mother_switches_between_her_children_and_writes_for_them() {
    let t = TestApp::spawn().await;
    let jane = t.login("jane").await;
    let (sam, mia) = (t.patient_id("sam").await, t.patient_id("mia").await);

    // Whom she may act for: herself, then each child, with who she is to them.
    let r = t.get("/api/v1/me/caregiving", Some(&jane)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let people = r.json();
    let names: Vec<&str> = people.as_array().unwrap().iter().map(|p| p["display_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Jane Doe", "Sam Doe", "Mia Doe"]);
    assert!(people[0]["relationship"].is_null());
    assert_eq!(people[1]["relationship"], "mother");
    assert_eq!(people[1]["confidential"], true, "Sam is 13");
    assert_eq!(people[2]["confidential"], false, "Mia is 7");
    // The practice's grant ends at Sam's 18th birthday, midnight in New York.
    assert_eq!(people[1]["until"], "2030-05-09T04:00:00.000000Z");
    assert_eq!(audit_count(&t, "caregivers_listed", "jane", "sam", "").await, 1);

    // Switching is on the record, with the patient.
    let r = t.put("/api/v1/me/acting-for", Some(&jane), json!({"patient_id": mia})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["relationship_words"], "mother");
    assert_eq!(audit_count(&t, "acting_for_changed", "jane", "mia", "AND a.detail = 'as=mother'").await, 1);
    // Not someone she does not care for.
    let alice = t.patient_id("alice").await;
    let r = t.put("/api/v1/me/acting-for", Some(&jane), json!({"patient_id": alice})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // She writes for Mia: Mia's conversation, shown under Mia, not under Jane.
    let r = start_for(&t, &jane, &mia, "Mia's cough", "Mia has had a cough for a week.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();
    assert!(listed(&t.get(&format!("/api/v1/conversations?patient_id={mia}"), Some(&jane)).await).contains(&c));
    assert!(!listed(&t.get("/api/v1/conversations", Some(&jane)).await).contains(&c));
    assert!(!listed(&t.get(&format!("/api/v1/conversations?patient_id={sam}"), Some(&jane)).await).contains(&c));

    // The care team sees who wrote it and for whom.
    let patel = t.login("dr.patel").await;
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&patel)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["patient"]["display_name"], "Mia Doe");
    assert_eq!(v["messages"][0]["sender"]["display_name"], "Jane Doe");
    assert_eq!(v["messages"][0]["on_behalf"]["line"], "sent by Jane Doe (mother) on behalf of Mia Doe");
    assert_eq!(v["status"], "needs_staff_response");
    // So does Mia in her own app.
    let mia_token = t.login("mia").await;
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&mia_token)).await;
    assert_eq!(r.json()["messages"][0]["on_behalf"]["line"], "sent by Jane Doe (mother) on behalf of Mia Doe");

    // The reply waits on the patient side; Jane's answer is the patient's move.
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&patel), json!({"body": "Any fever?"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = t.get(&format!("/api/v1/conversations/{c}"), Some(&jane)).await.json();
    assert_eq!(v["status"], "awaiting_patient");
    assert_eq!(t.post(&format!("/api/v1/conversations/{c}/read"), Some(&jane), json!({})).await.status, StatusCode::OK);
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&jane), json!({"body": "No fever."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = t.get(&format!("/api/v1/conversations/{c}"), Some(&patel)).await.json();
    assert_eq!(v["status"], "needs_staff_response");
    assert_eq!(v["messages"][2]["on_behalf"]["relationship"], "mother");
    // The staff member's message is not a caregiver's.
    assert!(v["messages"][1].get("on_behalf").is_none());

    // Every message on the record: Jane as actor, Mia as patient, on behalf.
    assert_eq!(audit_count(&t, "message_sent", "jane", "mia", "AND a.detail = 'on_behalf as=mother'").await, 2);
    assert!(audit_count(&t, "conversation_viewed", "jane", "mia", "").await >= 1);

    // A caregiver never rates for the patient, even once it is rateable.
    let r = t.post(&format!("/api/v1/conversations/{c}/close"), Some(&patel), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&jane)).await.json()["rateable"], false);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&mia_token)).await.json()["rateable"], true);
    let r = t.post(&format!("/api/v1/conversations/{c}/rating"), Some(&jane), json!({"score": 5})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // What is hers stays hers: a caregiver manages no one's caregivers but
    // their own, and sees no one else's contact details.
    let r = t.get(&format!("/api/v1/patient-accounts/{mia}/caregivers"), Some(&jane)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/me/caregivers", Some(&jane)).await;
    assert_eq!(r.json()["patient_id"], t.patient_id("jane").await);
    t.stop().await;
}

#[tokio::test]
async fn a_confidential_minor_keeps_conversations_unless_they_share() {
    let t = TestApp::spawn().await;
    let (jane, sam_token, patel, fran) =
        (t.login("jane").await, t.login("sam").await, t.login("dr.patel").await, t.login("fran.frontdesk").await);
    let sam = t.patient_id("sam").await;

    // Sam writes: confidential unless he says otherwise.
    let private = t.patient_conversation(&sam_token, "A private question", "Can we talk about something?").await;
    let r = t
        .start_conversation(
            &sam_token,
            json!({"subject": "Sports form", "topic": "care_question", "body": "Form for soccer", "share_with_caregivers": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let shared = r.json()["id"].as_str().unwrap().to_owned();
    let v = t.get(&format!("/api/v1/conversations/{private}"), Some(&sam_token)).await.json();
    assert_eq!(v["caregivers"], json!({"confidential_minor": true, "shared": false}));

    // His mother sees only the shared one, in the list and by id.
    let seen = listed(&t.get(&format!("/api/v1/conversations?patient_id={sam}"), Some(&jane)).await);
    assert!(seen.contains(&shared) && !seen.contains(&private), "{seen:?}");
    let before = t.count("SELECT count(*) FROM audit_log WHERE detail = 'denied:confidential_minor'").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&jane)).await.status, StatusCode::NOT_FOUND);
    let r = t.post(&format!("/api/v1/conversations/{private}/messages"), Some(&jane), json!({"body": "hi"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE detail = 'denied:confidential_minor'").await, before + 2);
    assert_eq!(t.get(&format!("/api/v1/conversations/{shared}"), Some(&jane)).await.status, StatusCode::OK);
    // The care team sees whether it is shared.
    let v = t.get(&format!("/api/v1/conversations/{private}"), Some(&patel)).await.json();
    assert_eq!(v["caregivers"], json!({"confidential_minor": true, "shared": false}));

    // Sam shares it; a clinician can stop sharing; the front desk, his
    // mother and others cannot change it.
    let sharing = |c: &str| format!("/api/v1/conversations/{c}/sharing");
    let r = t.put(&sharing(&private), Some(&sam_token), json!({"shared": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&jane)).await.status, StatusCode::OK);
    let r = t.put(&sharing(&private), Some(&patel), json!({"shared": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&jane)).await.status, StatusCode::NOT_FOUND);
    for who in [&jane, &fran] {
        assert_eq!(t.put(&sharing(&private), Some(who), json!({"shared": true})).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'conversation_sharing_changed' AND outcome = 'success'")
            .await,
        2
    );

    // What his mother writes for him is shared with her; she cannot choose.
    let r = start_for(&t, &jane, &sam, "Sam's allergy", "Sam sneezes every spring.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hers = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get(&format!("/api/v1/conversations/{hers}"), Some(&jane)).await.status, StatusCode::OK);
    assert!(listed(&t.get("/api/v1/conversations", Some(&sam_token)).await).contains(&hers));
    let r = t
        .start_conversation(
            &jane,
            json!({"subject": "x", "topic": "care_question", "body": "y", "patient_id": sam, "share_with_caregivers": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // What staff start for a confidential minor stays confidential.
    let r = start_for(&t, &patel, &sam, "Your results", "Please call us.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let staffs = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get(&format!("/api/v1/conversations/{staffs}"), Some(&jane)).await.status, StatusCode::NOT_FOUND);

    // A practice that sets the age to 14 makes Sam (13) a child again for
    // his caregivers: everything opens to his mother.
    let admin = t.login("admin").await;
    let r = t.put("/api/v1/practice/caregivers", Some(&admin), json!({"confidential_age": 14})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{private}"), Some(&jane)).await.status, StatusCode::OK);
    let r = t.put("/api/v1/practice/caregivers", Some(&admin), json!({"confidential_age": 9})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.put("/api/v1/practice/caregivers", Some(&patel), json!({"confidential_age": 12})).await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn invitations_are_used_once_and_revocation_is_immediate() {
    let t = TestApp::spawn().await;
    let (alice, carol, bob, dana) =
        (t.login("alice").await, t.login("carol").await, t.login("bob").await, t.login("dana").await);
    let alice_id = t.patient_id("alice").await;

    let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "spouse"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let code = r.json()["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "three groups of four: {code}");
    assert_eq!(r.json()["expires_at"], "2026-01-12T15:00:00.000000Z");
    // Only its hash is kept.
    let plain = code.replace('-', "");
    assert_eq!(t.count(&format!("SELECT count(*) FROM caregiver_invitations WHERE code_hash = '{plain}'")).await, 0);

    // Not by its maker, not from another practice; then by Carol, once,
    // typed loosely.
    let accept = |token: &str, code: &str| {
        let (t, token, code) = (&t, token.to_owned(), code.to_owned());
        async move { t.post("/api/v1/caregiver-invitations/accept", Some(&token), json!({"code": code})).await }
    };
    assert_eq!(accept(&alice, &code).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(accept(&dana, &code).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = accept(&carol, &code.to_uppercase().replace('-', " ")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["display_name"], "Alice Nguyen");
    assert_eq!(r.json()["relationship"], "spouse");
    assert_eq!(accept(&bob, &code).await.status, StatusCode::UNPROCESSABLE_ENTITY, "used once");
    assert_eq!(
        audit_count(&t, "caregiver_invitation_accepted", "carol", "alice", "AND a.outcome = 'success'").await,
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'caregiver_invitation_accepted' AND outcome = 'failed'")
            .await,
        3
    );

    // Alice sees her caregiver; Carol writes for her.
    let r = t.get("/api/v1/me/caregivers", Some(&alice)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let overview = r.json();
    assert_eq!(overview["caregivers"][0]["caregiver_name"], "Carol Smith");
    assert_eq!(overview["caregivers"][0]["granted_by"], "patient");
    assert_eq!(overview["standing"], "adult");
    let grant = overview["caregivers"][0]["grant_id"].as_str().unwrap().to_owned();
    let r = start_for(&t, &carol, &alice_id, "For Alice", "Alice asked me to write.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();

    // Alice revokes: from that moment nothing of hers opens to Carol.
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&carol)).await.status, StatusCode::NOT_FOUND);
    assert!(listed(&t.get(&format!("/api/v1/conversations?patient_id={alice_id}"), Some(&carol)).await).is_empty());
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&carol), json!({"body": "hello"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me/caregiving", Some(&carol)).await.json().as_array().unwrap().len(), 1);
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(audit_count(&t, "caregiver_revoked", "alice", "alice", "AND a.outcome = 'success'").await, 1);

    // An invitation lasts seven days; one can be withdrawn first.
    let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "adult_child"})).await;
    let late = r.json()["code"].as_str().unwrap().to_owned();
    let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "other"})).await;
    let withdrawn = (r.json()["id"].as_str().unwrap().to_owned(), r.json()["code"].as_str().unwrap().to_owned());
    assert_eq!(t.get("/api/v1/me/caregivers", Some(&alice)).await.json()["invitations"].as_array().unwrap().len(), 2);
    let r = t
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/caregiver-invitations/{}", withdrawn.0),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(accept(&bob, &withdrawn.1).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another patient cannot withdraw Alice's invitations.
    let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "other"})).await;
    let other = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .request(reqwest::Method::DELETE, &format!("/api/v1/me/caregiver-invitations/{other}"), Some(&bob), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.advance(Span::from_hours(7 * 24));
    let bob = t.login("bob").await;
    assert_eq!(accept(&bob, &late).await.status, StatusCode::UNPROCESSABLE_ENTITY, "expired");
    // Bad relationships are refused.
    let alice = t.login("alice").await;
    let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "neighbour"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn the_practice_grants_for_minors_only_until_they_turn_eighteen() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let (mia, carol, alice, sam) = (
        t.patient_id("mia").await,
        t.patient_id("carol").await,
        t.patient_id("alice").await,
        t.patient_id("sam").await,
    );

    let r = t.get(&format!("/api/v1/patient-accounts/{sam}/caregivers"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["standing"], "confidential_minor");
    assert_eq!(v["confidential_age"], 12);
    assert_eq!(v["caregivers"][0]["caregiver_name"], "Jane Doe");
    assert_eq!(v["caregivers"][0]["granted_by"], "practice");
    assert_eq!(v["caregivers"][0]["ends_at"], "2030-05-09T04:00:00.000000Z");
    let jane_for_sam = v["caregivers"][0]["grant_id"].as_str().unwrap().to_owned();

    let grant = |patient: &str, body: Value| {
        let (t, admin, patient) = (&t, admin.clone(), patient.to_owned());
        async move { t.post(&format!("/api/v1/patient-accounts/{patient}/caregivers"), Some(&admin), body).await }
    };
    // Not for an adult; not a caregiver without an account elsewhere or the
    // minor themselves; a closed list of relationships.
    let r = grant(&alice, json!({"caregiver_patient_id": carol, "relationship": "spouse"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = grant(&mia, json!({"caregiver_patient_id": mia, "relationship": "other"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let dana = t.patient_id("dana").await;
    let r = grant(&mia, json!({"caregiver_patient_id": dana, "relationship": "other"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = grant(&mia, json!({"caregiver_patient_id": carol, "relationship": "aunt"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Carol as Mia's guardian for two days.
    let r = grant(
        &mia,
        json!({"caregiver_patient_id": carol, "relationship": "guardian", "until": "2026-01-07T15:00:00Z"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["ends_at"], "2026-01-07T15:00:00.000000Z");
    let r = grant(&mia, json!({"caregiver_patient_id": carol, "relationship": "guardian"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(audit_count(&t, "caregiver_granted", "admin", "mia", "AND a.detail = 'as=guardian'").await, 1);
    // Staff of another practice, and patients, cannot grant.
    let lake = t.login("lake.admin").await;
    let r = t
        .post(
            &format!("/api/v1/patient-accounts/{mia}/caregivers"),
            Some(&lake),
            json!({"caregiver_patient_id": carol, "relationship": "guardian"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let jane = t.login("jane").await;
    let r = t
        .post(
            &format!("/api/v1/patient-accounts/{mia}/caregivers"),
            Some(&jane),
            json!({"caregiver_patient_id": carol, "relationship": "guardian"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let carol_token = t.login("carol").await;
    let c = start_for(&t, &carol_token, &mia, "For Mia", "Pick-up note").await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.text);
    let c = c.json()["id"].as_str().unwrap().to_owned();
    // Two days later it has ended by itself.
    t.advance(Span::from_hours(48));
    let carol_token = t.login("carol").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&carol_token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me/caregiving", Some(&carol_token)).await.json().as_array().unwrap().len(), 1);

    // Staff revoke a grant; the caregiver may also give one up.
    let admin = t.login("admin").await;
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{jane_for_sam}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let jane = t.login("jane").await;
    let people = t.get("/api/v1/me/caregiving", Some(&jane)).await.json();
    assert_eq!(people.as_array().unwrap().len(), 2);
    let mias = people[1]["grant_id"].as_str().unwrap().to_owned();
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{mias}"), Some(&jane), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get("/api/v1/me/caregiving", Some(&jane)).await.json().as_array().unwrap().len(), 1);

    // Sam turns 18 on 9 May 2030: he is an adult, and the practice can no
    // longer grant for him.
    let r = t
        .post(
            &format!("/api/v1/patient-accounts/{sam}/caregivers"),
            Some(&admin),
            json!({"caregiver_patient_id": carol, "relationship": "other"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let until = switchboard_domain::time::Timestamp::parse_rfc3339("2030-05-09T04:00:00Z").unwrap();
    let now = switchboard_service::Clock::now(t.clock.as_ref());
    t.advance(Span::from_micros(until.as_micros() - now.as_micros()));
    let carol_token = t.login("carol").await;
    assert_eq!(t.get("/api/v1/me/caregiving", Some(&carol_token)).await.json().as_array().unwrap().len(), 1);
    let admin = t.login("admin").await;
    let r = t
        .post(
            &format!("/api/v1/patient-accounts/{sam}/caregivers"),
            Some(&admin),
            json!({"caregiver_patient_id": carol, "relationship": "other"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    t.stop().await;
}

/// A caregiver hears of a staff reply by their own choices, at their own
/// address, in the fixed words; never of a confidential minor's unshared
/// conversation, and no more once their grant ends.
#[tokio::test]
async fn caregivers_are_told_of_replies_in_fixed_words() {
    let t = TestApp::spawn().await;
    let (jane, mia, sam, patel) =
        (t.login("jane").await, t.login("mia").await, t.login("sam").await, t.login("dr.patel").await);
    let r = t
        .request(
            reqwest::Method::PUT,
            "/api/v1/me/contact",
            Some(&jane),
            Some(json!({"email": "jane.doe@example.org", "phone": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.put("/api/v1/me/notification-choices", Some(&jane), json!({"media": ["email"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let to_jane = "SELECT count(*) FROM deliveries d JOIN users u ON u.id = d.user_id WHERE u.username = 'jane' \
                   AND d.kind = 'staff_reply' AND d.patient_id = (SELECT id FROM patients WHERE user_id = u.id)";

    let mias = t.patient_conversation(&mia, "Mia's rash", "A rash on my arm").await;
    let sams = t.patient_conversation(&sam, "Private", "Just between us").await;
    for c in [&mias, &sams] {
        let r = t
            .post(
                &format!("/api/v1/conversations/{c}/messages"),
                Some(&patel),
                json!({"body": "Thanks, we will call."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    t.advance(Span::from_mins(3));
    t.run_due_jobs().await;
    // One notice, about Mia's: Sam's is his own.
    assert_eq!(t.count(to_jane).await, 1);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM deliveries d JOIN users u ON u.id = d.user_id WHERE u.username = 'jane' \
             AND d.cause LIKE 'reply:%' AND d.medium = 'email'"
        )
        .await,
        1
    );

    // The practice revokes Jane's access to Mia: the next reply is Mia's news only.
    let admin = t.login("admin").await;
    let mia_id = t.patient_id("mia").await;
    let grants = t.get(&format!("/api/v1/patient-accounts/{mia_id}/caregivers"), Some(&admin)).await.json();
    let grant = grants["caregivers"][0]["grant_id"].as_str().unwrap().to_owned();
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let patel = t.login("dr.patel").await;
    let r = t
        .post(&format!("/api/v1/conversations/{mias}/messages"), Some(&patel), json!({"body": "One more thing."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    t.advance(Span::from_mins(3));
    t.run_due_jobs().await;
    assert_eq!(t.count(to_jane).await, 1, "nothing after revocation");
    t.stop().await;
}

#[tokio::test]
async fn guessing_invitation_codes_is_slowed_like_passwords() {
    let t = TestApp::spawn().await;
    let (alice, dana) = (t.login("alice").await, t.login("dana").await);
    let code = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "spouse"})).await.json()
        ["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut throttled = false;
    for i in 0..12 {
        let r = t
            .post("/api/v1/caregiver-invitations/accept", Some(&dana), json!({"code": format!("aaaa-bbbb-{i:04}")}))
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.header("retry-after").is_some());
            throttled = true;
            break;
        }
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    assert!(throttled, "wrong codes are slowed");
    // While it lasts, even the right code waits.
    let r = t.post("/api/v1/caregiver-invitations/accept", Some(&dana), json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    t.stop().await;
}
