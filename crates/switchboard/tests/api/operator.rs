//! The deployment operator's API: keys made on the command line, practices
//! created with their first administrator, and nothing else.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn new_key(t: &TestApp, name: &str) -> (String, String) {
    let out = t.cli(&["operator", "key", "create", "--name", name]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.lines().map(str::trim).find(|l| l.starts_with("sbop_")).unwrap_or_else(|| panic!("{stdout}"));
    let id = stdout.split_whitespace().nth(2).unwrap().to_owned();
    (id, key.to_owned())
}

async fn operator(t: &TestApp, method: reqwest::Method, key: &str, body: Option<Value>) -> Resp {
    t.request(method, "/api/v1/operator/practices", Some(key), body).await
}

#[tokio::test]
async fn an_operator_creates_practices_with_a_key_and_sees_only_counts() {
    let t = TestApp::spawn().await;
    let (key_id, key) = new_key(&t, "provisioning").await;
    let new = json!({"name": "Hillside Clinic", "admin_username": "hill.admin", "admin_name": "Robin Hale"});
    let r = operator(&t, reqwest::Method::POST, &key, Some(new.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let created = r.json();
    let link = &created["setup_link"];
    assert_eq!((link["purpose"].as_str(), link["delivery"].as_str()), (Some("setup"), Some("hand_over")));
    assert!(link["message"].as_str().unwrap().contains("Hillside Clinic"));
    // Nobody has a password until the administrator uses the link.
    assert_ne!(t.try_login("hill.admin", PASSWORD).await.status, StatusCode::OK);
    let token = link["path"].as_str().unwrap().split_once("#token=").unwrap().1;
    let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "hillside passphrase one"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let first = t.try_login("hill.admin", "hillside passphrase one").await.json();
    let admin = first["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/practice", Some(&admin)).await.json()["name"], "Hillside Clinic");
    // A new practice requires a second factor of its staff: its first
    // administrator's session can only set one up, then does the rest.
    assert_eq!(first["user"]["second_factor_setup_required"], json!(true));
    assert_eq!(t.get("/api/v1/patient-accounts", Some(&admin)).await.code(), "second_factor_enrolment_required");
    crate::second_factor::enrol(&t, &admin).await;
    // The new practice is its own: nothing of Riverside's shows.
    assert_eq!(t.get("/api/v1/patient-accounts", Some(&admin)).await.json(), json!([]));
    assert_eq!(t.get("/api/v1/staff-accounts", Some(&admin)).await.json().as_array().unwrap().len(), 1);
    // Its audit log says the operator's key created it.
    let audit = t.get("/api/v1/audit-events", Some(&admin)).await.json();
    let created_by = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "practice_created")
        .unwrap_or_else(|| panic!("{audit}"))
        .clone();
    assert_eq!(
        (created_by["actor_kind"].as_str(), created_by["actor_id"].as_str()),
        (Some("operator"), Some(key_id.as_str()))
    );

    // Refused: taken names, bad input (and nothing half-made).
    let practices = t.count("SELECT count(*) FROM practices").await;
    let r = operator(&t, reqwest::Method::POST, &key, Some(new)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    for (body, field) in [
        (json!({"name": "", "admin_username": "x.admin", "admin_name": "X"}), "name"),
        (json!({"name": "X", "admin_username": "?", "admin_name": "X"}), "admin_username"),
        (json!({"name": "X", "admin_username": "x.admin", "admin_name": ""}), "admin_name"),
    ] {
        let r = operator(&t, reqwest::Method::POST, &key, Some(body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.json()["error"]["field"], field, "{}", r.text);
    }
    assert_eq!(t.count("SELECT count(*) FROM practices").await, practices);

    // The overview: names and counts, no one's details.
    let r = operator(&t, reqwest::Method::GET, &key, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    let riverside = list.as_array().unwrap().iter().find(|p| p["name"] == "Riverside Family Medicine").unwrap();
    assert_eq!(
        (riverside["active_staff"].as_i64(), riverside["patients"].as_i64(), riverside["enrolled_patients"].as_i64()),
        (Some(8), Some(9), Some(6))
    );
    for private in ["Alice", "Nguyen", "RFM-", "alice"] {
        assert!(!r.text.contains(private), "{private}");
    }
    t.stop().await;
}

#[tokio::test]
async fn only_a_live_operator_key_opens_the_operator_routes() {
    let t = TestApp::spawn().await;
    let (id, key) = new_key(&t, "provisioning").await;
    assert_eq!(operator(&t, reqwest::Method::GET, &key, None).await.status, StatusCode::OK);
    let forged = format!("sbop_{}", "A".repeat(43));
    let session = t.login("admin").await;
    for bad in [forged.as_str(), key.trim_start_matches("sbop_"), session.as_str(), "sbop_", "nonsense"] {
        let r = operator(&t, reqwest::Method::GET, bad, None).await;
        assert_eq!((r.status, r.code().as_str()), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{bad}");
    }
    assert_eq!(t.get("/api/v1/operator/practices", None).await.status, StatusCode::UNAUTHORIZED);
    // An operator key is not a session: it opens nothing else.
    assert_eq!(t.get("/api/v1/me", Some(&key)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/api/v1/patient-accounts", Some(&key)).await.status, StatusCode::UNAUTHORIZED);
    // Listed without its text; revoked at once.
    let out = t.cli(&["operator", "key", "list"]).await;
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(listing.contains(&id) && listing.contains("active") && !listing.contains(&key), "{listing}");
    let out = t.cli(&["operator", "key", "revoke", "--id", &id]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(operator(&t, reqwest::Method::GET, &key, None).await.status, StatusCode::UNAUTHORIZED);
    assert!(!t.cli(&["operator", "key", "revoke", "--id", &id]).await.status.success(), "once");
    // Refusals are on record, and the chain still verifies.
    assert!(t.count("SELECT count(*) FROM audit_log WHERE action = 'operator_auth_failed'").await >= 6);
    let out = t.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    t.stop().await;
}
