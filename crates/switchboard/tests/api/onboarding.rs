//! Bringing people in: a new practice from the command line, staff with
//! one-time set-up links, deactivation, password resets. Links are
//! single-use, expire, and every bad one (forged, reused, expired,
//! revoked) gets the same answer.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

const NEW_PASSWORD: &str = "a long new passphrase";

fn token_of(path: &str) -> String {
    path.split_once("#token=").map(|(_, t)| t.to_owned()).unwrap_or_else(|| panic!("no token in {path}"))
}

async fn redeem(t: &TestApp, token: &str, extra: Value) -> Resp {
    let mut body = json!({"token": token, "password": NEW_PASSWORD});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    t.post("/api/v1/links/redeem", None, body).await
}

#[tokio::test]
async fn a_new_practice_starts_with_an_administrator_and_a_one_time_link() {
    let t = TestApp::spawn().await;
    let out = t
        .cli(&[
            "practice",
            "create",
            "--name",
            "Hillside Clinic",
            "--admin-username",
            "hill.admin",
            "--admin-name",
            "Robin Hale",
        ])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let link = stdout.lines().find(|l| l.contains("/welcome#token=")).unwrap_or_else(|| panic!("{stdout}")).trim();
    let token = token_of(link);
    // No default password: nothing lets the administrator in before the link.
    for guess in ["switchboard-demo", "password", "!unset", ""] {
        assert_ne!(t.try_login("hill.admin", guess).await.status, StatusCode::OK, "{guess}");
    }
    let info = t.post("/api/v1/links/inspect", None, json!({"token": token})).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!(info.json()["purpose"], "setup");
    assert_eq!(info.json()["practice_name"], "Hillside Clinic");
    assert_eq!(info.json()["username"], "hill.admin");
    let short = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "short"})).await;
    assert_eq!(
        (short.status, short.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("password"))
    );
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::NO_CONTENT);
    let r = t.try_login("hill.admin", NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["user"]["role"], "practice_admin");
    // Used once: gone, exactly like a forged one.
    let again = redeem(&t, &token, json!({})).await;
    assert_eq!((again.status, again.code().as_str()), (StatusCode::GONE, "link_invalid"));
    let forged = redeem(&t, &"A".repeat(43), json!({})).await;
    assert_eq!((forged.status, forged.text.clone()), (again.status, again.text.clone()));
    assert_eq!(t.post("/api/v1/links/inspect", None, json!({"token": "not a token"})).await.status, StatusCode::GONE);
    // The operator cannot create a second practice with a taken username.
    let dup =
        t.cli(&["practice", "create", "--name", "Other", "--admin-username", "hill.admin", "--admin-name", "X"]).await;
    assert!(!dup.status.success());
    t.stop().await;
}

#[tokio::test]
async fn administrators_add_change_and_deactivate_staff() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let nina = t.login("nina.nurse").await;
    let primary = t.department_id(&admin, "Primary Care").await;
    let new_staff =
        json!({"username": "sam.nurse", "display_name": "Sam Ortiz, RN", "role": "nurse", "departments": [primary]});

    // Only administrators.
    assert_eq!(t.get("/api/v1/staff-accounts", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.add_staff(&nina, new_staff.clone()).await.status, StatusCode::NOT_FOUND);
    for (bad, field) in [
        (json!({"username": "x", "display_name": "X", "role": "nurse"}), "username"),
        (json!({"username": "sam.nurse", "display_name": "Sam", "role": "surgeon"}), "role"),
        (
            json!({"username": "sam.nurse", "display_name": "Sam", "role": "nurse", "departments": ["nope"]}),
            "departments",
        ),
    ] {
        let r = t.add_staff(&admin, bad.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{bad}"
        );
    }
    let taken = t.add_staff(&admin, json!({"username": "nina.nurse", "display_name": "N", "role": "nurse"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    let r = t.add_staff(&admin, new_staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sam = r.json()["id"].as_str().unwrap().to_owned();
    let token = token_of(r.json()["setup_link"]["path"].as_str().unwrap());
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::NO_CONTENT);
    let sam_token = t.try_login("sam.nurse", NEW_PASSWORD).await.json()["token"].as_str().unwrap().to_owned();

    // Listed with their last sign-in; other staff have never signed in.
    let list = t.get("/api/v1/staff-accounts", Some(&admin)).await.json();
    let row = list.as_array().unwrap().iter().find(|u| u["id"] == sam.as_str()).unwrap().clone();
    assert_eq!((row["role"].as_str(), row["active"].as_bool()), (Some("nurse"), Some(true)));
    assert_eq!(row["last_sign_in_at"], "2026-01-05T15:00:00.000000Z");
    let bill = list.as_array().unwrap().iter().find(|u| u["username"] == "bill.billing").unwrap().clone();
    assert!(bill["last_sign_in_at"].is_null());

    // Changed: a medical assistant now.
    let path = format!("/api/v1/staff-accounts/{sam}");
    let change = json!({"display_name": "Sam Ortiz, MA", "role": "medical_assistant", "departments": [primary]});
    assert_eq!(t.request(Method::PUT, &path, Some(&admin), Some(change)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/api/v1/me", Some(&sam_token)).await.json()["role"], "medical_assistant");
    // Administrators cannot lock themselves out.
    let admin_id = t.user_id("admin").await;
    let demote = json!({"display_name": "Alex Morgan", "role": "nurse"});
    assert_eq!(
        t.request(Method::PUT, &format!("/api/v1/staff-accounts/{admin_id}"), Some(&admin), Some(demote)).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.post(&format!("/api/v1/users/{admin_id}/deactivate"), Some(&admin), json!({})).await.status,
        StatusCode::CONFLICT
    );

    // Deactivated: the open session ends at once, sign-in fails, history stays.
    assert_eq!(
        t.post(&format!("/api/v1/users/{sam}/deactivate"), Some(&admin), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get("/api/v1/me", Some(&sam_token)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login("sam.nurse", NEW_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let list = t.get("/api/v1/staff-accounts", Some(&admin)).await.json();
    assert_eq!(list.as_array().unwrap().iter().find(|u| u["id"] == sam.as_str()).unwrap()["active"], false);
    assert_eq!(
        t.post(&format!("/api/v1/users/{sam}/reactivate"), Some(&admin), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.try_login("sam.nurse", NEW_PASSWORD).await.status, StatusCode::OK);
    // Another practice's account is not ours to touch.
    let lake = t.user_id("lake.nurse").await;
    assert_eq!(
        t.post(&format!("/api/v1/users/{lake}/deactivate"), Some(&admin), json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    // Every step is in the audit log.
    let cora = t.login("cora.compliance").await;
    let audit = t.get("/api/v1/audit-events?limit=100", Some(&cora)).await.text;
    for action in [
        "user_created",
        "link_issued",
        "link_opened",
        "link_redeemed",
        "user_updated",
        "user_deactivated",
        "user_reactivated",
    ] {
        if action == "link_opened" {
            continue; // redeemed without inspecting first
        }
        assert!(audit.contains(action), "{action}");
    }
    assert!(!audit.contains(&token), "tokens never reach the audit log");
    t.stop().await;
}

#[tokio::test]
async fn links_expire_and_can_be_replaced() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let r = t
        .add_staff(&admin, json!({"username": "late.starter", "display_name": "Lee Late", "role": "front_desk"}))
        .await;
    let token = token_of(r.json()["setup_link"]["path"].as_str().unwrap());
    let user = r.json()["id"].as_str().unwrap().to_owned();
    t.advance(Span::from_hours(72));
    let expired = redeem(&t, &token, json!({})).await;
    assert_eq!((expired.status, expired.code().as_str()), (StatusCode::GONE, "link_invalid"));
    // A reset link from an administrator replaces it.
    let admin = t.login("admin").await;
    let r = t.post(&format!("/api/v1/users/{user}/reset-link"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = token_of(r.json()["path"].as_str().unwrap());
    let r = t.post(&format!("/api/v1/users/{user}/reset-link"), Some(&admin), json!({})).await;
    let second = token_of(r.json()["path"].as_str().unwrap());
    assert_eq!(redeem(&t, &first, json!({})).await.status, StatusCode::GONE, "replaced by the newer link");
    t.advance(Span::from_mins(30));
    assert_eq!(redeem(&t, &second, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.try_login("late.starter", NEW_PASSWORD).await.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn a_password_reset_reveals_nothing_is_throttled_and_ends_other_sessions() {
    let t = TestApp::spawn().await;
    let known = t.post("/api/v1/auth/password-reset", None, json!({"username": "nina.nurse"})).await;
    let unknown = t.post("/api/v1/auth/password-reset", None, json!({"username": "nobody.here"})).await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, known.text.clone()), (unknown.status, unknown.text.clone()), "the same answer");
    let mut throttled = false;
    for _ in 0..10 {
        let r = t.post("/api/v1/auth/password-reset", None, json!({"username": "nina.nurse"})).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            assert!(r.header("retry-after").is_some());
            break;
        }
    }
    assert!(throttled, "repeated requests are throttled");

    // An administrator's reset link: the old password stops working, and
    // every session of the account ends.
    let nina_session = t.login("nina.nurse").await;
    let admin = t.login("admin").await;
    let nina = t.user_id("nina.nurse").await;
    let r = t.post(&format!("/api/v1/users/{nina}/reset-link"), Some(&admin), json!({})).await;
    let token = token_of(r.json()["path"].as_str().unwrap());
    assert_eq!(t.post("/api/v1/links/inspect", None, json!({"token": token})).await.json()["purpose"], "reset");
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/api/v1/me", Some(&nina_session)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login("nina.nurse", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login("nina.nurse", NEW_PASSWORD).await.status, StatusCode::OK);
    // A reset link lasts an hour.
    let r = t.post(&format!("/api/v1/users/{nina}/reset-link"), Some(&admin), json!({})).await;
    let token = token_of(r.json()["path"].as_str().unwrap());
    t.advance(Span::from_mins(61));
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::GONE);
    t.stop().await;
}

async fn import(t: &TestApp, token: &str, csv: &str, dry_run: bool) -> Resp {
    let path = if dry_run { "/api/v1/patient-accounts/import?dry_run=true" } else { "/api/v1/patient-accounts/import" };
    t.post_raw(path, Some(token), "text/csv", csv.as_bytes().to_vec()).await
}

const EXPORT: &str = "mrn,given_name,family_name,birth_date,email,phone,care_team,department\n\
RFM-3001,Ana,Lima,1990-04-02,ana@example.org,(555) 010-3001,Dr. Patel's team,Primary Care\n\
RFM-3002,Ben,Osei,1958-11-30,,(555) 010-3002,Dr. Okafor's team,Cardiology\n\
RFM-1001,Alice,Nguyen,1984-03-12,alice@example.org,,Dr. Patel's team,Primary Care\n";

#[tokio::test]
async fn the_patient_import_is_checked_whole_matches_by_mrn_and_can_run_again() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let before = t.count("SELECT count(*) FROM patients").await;
    let emails_before = t.count("SELECT count(*) FROM patients WHERE email_ct IS NOT NULL").await;

    // Problems anywhere: nothing is imported, each problem by line.
    let bad = format!(
        "{EXPORT}RFM-3003,Cy,,1990-02-30,not-mail,,No such team,Primary Care\nrfm-3001,Dup,Row,2000-01-01,,,,\n"
    );
    let r = import(&t, &admin, &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors: Vec<(i64, String)> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(errors, [(5, "family_name".into()), (5, "birth_date".into()), (5, "email".into()), (6, "mrn".into())]);
    assert!(!r.text.contains("not-mail"), "values are never echoed");
    assert_eq!(t.count("SELECT count(*) FROM patients").await, before);
    let r = import(&t, &admin, &EXPORT.replace("Dr. Okafor's team", "Dr. Who's team"), false).await;
    assert_eq!(r.json()["errors"][0]["field"], "care_team");
    assert_eq!(t.count("SELECT count(*) FROM patients").await, before);

    // A dry run counts without writing; Alice (RFM-1001) is matched, not duplicated.
    let r = import(&t, &admin, EXPORT, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.json()["created"].as_i64(), r.json()["updated"].as_i64(), r.json()["applied"].as_bool()),
        (Some(2), Some(1), Some(false))
    );
    assert_eq!(t.count("SELECT count(*) FROM patients").await, before);
    let r = import(&t, &admin, EXPORT, false).await;
    assert_eq!(
        (r.json()["created"].as_i64(), r.json()["updated"].as_i64(), r.json()["applied"].as_bool()),
        (Some(2), Some(1), Some(true))
    );
    assert_eq!(t.count("SELECT count(*) FROM patients").await, before + 2);
    // Again: nothing changes.
    let r = import(&t, &admin, EXPORT, false).await;
    assert_eq!(
        (r.json()["created"].as_i64(), r.json()["updated"].as_i64(), r.json()["unchanged"].as_i64()),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(t.count("SELECT count(*) FROM patients").await, before + 2);
    // Contact details are sealed at rest: Ana's is new (Alice's was on file).
    assert_eq!(t.count("SELECT count(*) FROM patients WHERE email_ct IS NOT NULL").await, emails_before + 1);

    // The list shows them, with enrollment state; Alice keeps her account.
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(&admin)).await.json();
    let find = |mrn: &str| list.as_array().unwrap().iter().find(|p| p["mrn"] == mrn).unwrap().clone();
    assert_eq!(find("RFM-3001")["email"], "ana@example.org");
    assert_eq!(find("RFM-3001")["care_team"], "Dr. Patel's team");
    assert_eq!(find("RFM-3001")["enrollment"], "not_invited");
    assert_eq!(find("RFM-1001")["enrollment"], "enrolled");
    assert_eq!(find("RFM-1001")["email"], "alice@example.org");
    assert_eq!(t.try_login("alice", PASSWORD).await.status, StatusCode::OK);

    // Only administrators import; only CSV.
    let nina = t.login("nina.nurse").await;
    assert_eq!(import(&t, &nina, EXPORT, false).await.status, StatusCode::NOT_FOUND);
    let json_body =
        t.post_raw("/api/v1/patient-accounts/import", Some(&admin), "application/json", b"{}".to_vec()).await;
    assert_eq!(json_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A large file is accepted (beyond the 64 KiB limit of other routes).
    let mut big = String::from("mrn,given_name,family_name,birth_date\n");
    for i in 0..2000 {
        big.push_str(&format!("BIG-{i:05},Given{i},Family{i},1970-01-01\n"));
    }
    assert!(big.len() > 64 * 1024);
    let r = import(&t, &admin, &big, true).await;
    assert_eq!((r.status, r.json()["created"].as_i64()), (StatusCode::OK, Some(2000)), "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn administrators_add_and_change_patient_records() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let rec = json!({"given_name": "Dee", "family_name": "Park", "birth_date": "1999-09-09", "mrn": "RFM-4001", "email": "dee@example.org"});
    let r = t.add_patient(&admin, rec.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(t.add_patient(&admin, rec).await.status, StatusCode::CONFLICT, "same MRN");
    let same_mrn_other_case =
        json!({"given_name": "X", "family_name": "Y", "birth_date": "2000-01-01", "mrn": "rfm-4001"});
    assert_eq!(t.add_patient(&admin, same_mrn_other_case).await.status, StatusCode::CONFLICT);
    for (bad, field) in [
        (json!({"given_name": "", "family_name": "Park", "birth_date": "1999-09-09"}), "given_name"),
        (json!({"given_name": "Dee", "family_name": "Park", "birth_date": "09/09/1999"}), "birth_date"),
        (json!({"given_name": "Dee", "family_name": "Park", "birth_date": "1999-09-09", "phone": "12"}), "phone"),
        (json!({"given_name": "Dee", "family_name": "Park", "birth_date": "1999-09-09", "email": "dee"}), "email"),
    ] {
        let r = t.add_patient(&admin, bad.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{bad}"
        );
    }
    let change = json!({"given_name": "Dee", "family_name": "Park-Lee", "birth_date": "1999-09-09", "mrn": "RFM-4001", "phone": "555 010 4001"});
    let path = format!("/api/v1/patient-accounts/{id}");
    assert_eq!(t.request(Method::PUT, &path, Some(&admin), Some(change)).await.status, StatusCode::NO_CONTENT);
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(&admin)).await.json();
    let dee = list.as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).unwrap().clone();
    assert_eq!(
        (dee["family_name"].as_str(), dee["phone"].as_str(), dee["email"].is_null()),
        (Some("Park-Lee"), Some("555 010 4001"), true)
    );
    // Listing is an audited read of each patient shown.
    let cora = t.login("cora.compliance").await;
    let audit = t.get(&format!("/api/v1/audit-events?patient_id={id}"), Some(&cora)).await.json();
    let actions: Vec<&str> =
        audit["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"patients_listed")
            && actions.contains(&"patient_updated")
            && actions.contains(&"patient_created"),
        "{actions:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_patient_follows_an_invitation_confirms_their_birth_date_and_enrolls() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let rec = json!({"given_name": "Eve", "family_name": "Stone", "birth_date": "1980-05-17", "mrn": "RFM-5001", "phone": "555 010 5001"});
    let patient = t.add_patient(&admin, rec).await.json()["id"].as_str().unwrap().to_owned();
    let invite = |token: &str, channel: &str| {
        let (token, channel, path) =
            (token.to_owned(), channel.to_owned(), format!("/api/v1/patient-accounts/{patient}/invitation"));
        let t = &t;
        async move { t.post(&path, Some(&token), json!({"channel": channel})).await }
    };
    // Staff who do not care for the patient cannot invite; bad channels are refused.
    let bill = t.login("bill.billing").await;
    assert_eq!(invite(&bill, "sms").await.status, StatusCode::NOT_FOUND);
    assert_eq!(invite(&admin, "pigeon").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let first = invite(&admin, "sms").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let first = token_of(first.json()["path"].as_str().unwrap());
    // Resent: the first link stops working.
    let second = token_of(invite(&admin, "sms").await.json()["path"].as_str().unwrap());
    assert_eq!(t.post("/api/v1/links/inspect", None, json!({"token": first})).await.status, StatusCode::GONE);
    async fn enrollment(t: &TestApp, admin: &str, patient: &str) -> String {
        let list = t.get("/api/v1/patient-accounts?limit=200", Some(admin)).await.json();
        list.as_array().unwrap().iter().find(|p| p["id"] == patient).unwrap()["enrollment"].as_str().unwrap().to_owned()
    }
    assert_eq!(enrollment(&t, &admin, &patient).await, "sent");
    let info = t.post("/api/v1/links/inspect", None, json!({"token": second})).await.json();
    assert_eq!((info["purpose"].as_str(), info["asks_birth_date"].as_bool()), (Some("invitation"), Some(true)));
    assert_eq!(info["practice_name"], "Riverside Family Medicine");
    assert!(!info.to_string().contains("Eve"), "nothing about the patient before the check");
    assert_eq!(enrollment(&t, &admin, &patient).await, "opened");

    // A wrong date of birth: refused, and after a few the link is revoked.
    let wrong = redeem(&t, &second, json!({"username": "eve.stone", "birth_date": "1980-05-18"})).await;
    assert_eq!(
        (wrong.status, wrong.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("birth_date"))
    );
    let ok =
        redeem(&t, &second, json!({"username": "eve.stone", "birth_date": "1980-05-17", "terms_version": 1})).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    assert_eq!(enrollment(&t, &admin, &patient).await, "enrolled");
    let eve = t.try_login("eve.stone", NEW_PASSWORD).await;
    assert_eq!(eve.status, StatusCode::OK);
    let eve = eve.json()["token"].as_str().unwrap().to_owned();
    let r = t
        .start_conversation(&eve, json!({"subject": "Hello", "topic": "care_question", "body": "My first message."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(invite(&admin, "sms").await.status, StatusCode::CONFLICT, "already enrolled");

    // Guessing: five wrong dates and the invitation is gone.
    let rec = json!({"given_name": "Fay", "family_name": "Rowe", "birth_date": "1970-01-02", "mrn": "RFM-5002"});
    let fay = t.add_patient(&admin, rec).await.json()["id"].as_str().unwrap().to_owned();
    let r =
        t.post(&format!("/api/v1/patient-accounts/{fay}/invitation"), Some(&admin), json!({"channel": "desk"})).await;
    let token = token_of(r.json()["path"].as_str().unwrap());
    for day in 3..=7 {
        let r = redeem(&t, &token, json!({"username": "fay.rowe", "birth_date": format!("1970-01-0{day}")})).await;
        assert_ne!(r.status, StatusCode::NO_CONTENT);
    }
    let last = redeem(&t, &token, json!({"username": "fay.rowe", "birth_date": "1970-01-02"})).await;
    assert_eq!(last.status, StatusCode::GONE, "revoked after guessing");
    // Revoking by hand.
    let path = format!("/api/v1/patient-accounts/{fay}/invitation");
    // Fay has no email address or mobile number on file: those channels cannot reach her.
    for channel in ["email", "sms"] {
        let r = t.post(&path, Some(&admin), json!({"channel": channel})).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("channel")),
            "{channel}: {}",
            r.text
        );
    }
    let r = t.post(&path, Some(&admin), json!({"channel": "desk"})).await;
    let token = token_of(r.json()["path"].as_str().unwrap());
    assert_eq!(t.request(Method::DELETE, &path, Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        redeem(&t, &token, json!({"username": "fay.rowe", "birth_date": "1970-01-02"})).await.status,
        StatusCode::GONE
    );
    // An invitation lasts a week.
    let r =
        t.post(&format!("/api/v1/patient-accounts/{fay}/invitation"), Some(&admin), json!({"channel": "desk"})).await;
    let token = token_of(r.json()["path"].as_str().unwrap());
    t.advance(Span::from_hours(7 * 24));
    assert_eq!(
        redeem(&t, &token, json!({"username": "fay.rowe", "birth_date": "1970-01-02"})).await.status,
        StatusCode::GONE
    );
    t.stop().await;
}

/// A record's id by medical record number, from the administrator's list.
async fn patient_by_mrn(t: &TestApp, admin: &str, mrn: &str) -> Value {
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(admin)).await.json();
    list.as_array().unwrap().iter().find(|p| p["mrn"] == mrn).unwrap_or_else(|| panic!("no {mrn}")).clone()
}

/// The account routes × every role. Managing accounts is for the practice's
/// administrators; the patient list and invitations also for colleagues who
/// work conversations, for the patients of their care teams and
/// departments; everyone else sees "not found". The operator's routes take
/// no session at all. (Bodies are well-formed but invalid, so whoever gets
/// past the door gets a validation error rather than a change.)
#[tokio::test]
async fn the_account_routes_by_role_and_relationship() {
    let t = TestApp::spawn().await;
    let admin_token = t.login("admin").await;
    let alice_patient = t.patient_id("alice").await;
    // Evan Brooks: a Primary Care record on Dr. Patel's team, not enrolled.
    let evan = patient_by_mrn(&t, &admin_token, "RFM-1004").await["id"].as_str().unwrap().to_owned();
    let nina = t.user_id("nina.nurse").await;
    let bad_staff = json!({"username": "x", "display_name": "", "role": "nurse"});
    let bad_patient = json!({"given_name": "", "family_name": "X", "birth_date": "x"});
    let admin_only: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/staff-accounts".into(), None),
        (Method::POST, "/api/v1/staff-accounts".into(), Some(bad_staff.clone())),
        (Method::PUT, format!("/api/v1/staff-accounts/{nina}"), Some(bad_staff)),
        (Method::POST, format!("/api/v1/users/{nina}/deactivate"), Some(json!({}))),
        (Method::POST, format!("/api/v1/users/{nina}/reactivate"), Some(json!({}))),
        (Method::POST, format!("/api/v1/users/{nina}/reset-link"), Some(json!({}))),
        (Method::POST, "/api/v1/patient-accounts".into(), Some(bad_patient.clone())),
        (Method::PUT, format!("/api/v1/patient-accounts/{alice_patient}"), Some(bad_patient)),
    ];
    let invitation = format!("/api/v1/patient-accounts/{evan}/invitation");
    let everyone = [
        "lake.admin",
        "dr.patel",
        "dr.okafor",
        "nina.nurse",
        "mo.assistant",
        "fran.frontdesk",
        "bill.billing",
        "cora.compliance",
        "alice",
        "dana",
        "admin",
    ];
    for who in everyone {
        let token = t.login(who).await;
        let admin = who == "admin";
        // lake.admin administers another practice: Riverside's accounts are not theirs.
        let own_practice_admin = admin || who == "lake.admin";
        for (method, path, body) in &admin_only {
            if admin && path.ends_with("/deactivate") {
                continue; // reached, and would end Nina's sessions
            }
            let r = t.request(method.clone(), path, Some(&token), body.clone()).await;
            let reached = r.status != StatusCode::NOT_FOUND;
            let expected = admin || (who == "lake.admin" && !path.contains(&nina) && !path.contains(&alice_patient));
            assert_eq!(reached, expected, "{who} {method} {path}: {} {}", r.status, r.text);
            if admin && *method == Method::POST && !path.contains("/users/") {
                assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.text);
            }
        }
        let r = t.post_raw("/api/v1/patient-accounts/import", Some(&token), "text/csv", b"nonsense\n".to_vec()).await;
        let expected = if own_practice_admin { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::NOT_FOUND };
        assert_eq!(r.status, expected, "{who} import: {}", r.text);

        // The patient list: which of Riverside's patients each one sees.
        let r = t.get("/api/v1/patient-accounts?limit=200", Some(&token)).await;
        // Who cares for Evan (Primary Care, Dr. Patel's team) and may invite him.
        let cares_for_evan = admin || ["dr.patel", "nina.nurse", "mo.assistant", "fran.frontdesk"].contains(&who);
        match who {
            "cora.compliance" | "alice" | "dana" => assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}"),
            _ => {
                assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
                let listed: Vec<String> =
                    r.json().as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
                assert_eq!(listed.contains(&evan), cares_for_evan, "{who} sees Evan");
                assert_eq!(listed.contains(&alice_patient), cares_for_evan, "{who} sees Alice");
                if who == "dr.okafor" {
                    let bob = t.patient_id("bob").await;
                    assert!(listed.contains(&bob) && listed.len() == 2, "Cardiology's two patients: {listed:?}");
                }
            }
        }
        // Inviting Evan, and revoking his open invitation.
        let r = t.post(&invitation, Some(&token), json!({"channel": "pigeon"})).await;
        let expected = if cares_for_evan { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::NOT_FOUND };
        assert_eq!(r.status, expected, "{who} invites: {}", r.text);
        let r = t.post(&invitation, Some(&admin_token), json!({"channel": "desk"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = t.request(Method::DELETE, &invitation, Some(&token), None).await;
        let expected = if cares_for_evan { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND };
        assert_eq!(r.status, expected, "{who} revokes: {}", r.text);

        // No session of anyone's opens the operator's routes.
        for (method, body) in [(Method::GET, None), (Method::POST, Some(json!({})))] {
            let r = t.request(method.clone(), "/api/v1/operator/practices", Some(&token), body).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{who} {method} operator");
        }
    }
    // Every refusal is on record.
    let cora = t.login("cora.compliance").await;
    let audit = t.get(&format!("/api/v1/audit-events?patient_id={evan}&limit=500"), Some(&cora)).await.json();
    let denied: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Dr. Okafor and Billing (no relationship to Evan), the compliance
    // officer (whose role does not enroll) and Alice (a patient) were
    // refused both; so were the other practice's administrator and nurse,
    // on record here, where Evan is.
    for action in ["link_issued", "link_revoked"] {
        assert_eq!(denied.iter().filter(|a| **a == action).count(), 6, "{action}: {denied:?}");
    }
    t.stop().await;
}

/// Every link comes with the words to hand over with it: the practice's
/// name and the link, never anything about the person.
#[tokio::test]
async fn links_come_with_words_that_carry_nothing_about_the_person() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let evan = patient_by_mrn(&t, &admin, "RFM-1004").await;
    let id = evan["id"].as_str().unwrap();
    let r =
        t.post(&format!("/api/v1/patient-accounts/{id}/invitation"), Some(&admin), json!({"channel": "email"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let link = r.json();
    assert_eq!(link["delivery"], "email", "queued for the address on file (and shown once, to hand over too)");
    let url = link["url"].as_str().unwrap();
    assert_eq!(url, t.url(link["path"].as_str().unwrap()), "on the address the request came to");
    let message = link["message"].as_str().unwrap();
    assert!(message.contains("Riverside Family Medicine") && message.contains(url), "{message}");
    for private in ["Evan", "Brooks", "1990", "RFM-1004", "evan.brooks", "Patel", "Primary"] {
        assert!(!message.contains(private), "{private} in {message}");
    }
    t.stop().await;

    // With a public address configured, links are made for it.
    let t = TestApp::spawn_with(|c| c.public_url = Some("https://messages.riverside.example/".into())).await;
    let admin = t.login("admin").await;
    let r = t.add_staff(&admin, json!({"username": "new.nurse", "display_name": "Noor Nurse", "role": "nurse"})).await;
    let link = &r.json()["setup_link"];
    assert!(link["url"].as_str().unwrap().starts_with("https://messages.riverside.example/welcome#token="), "{link}");
    assert!(link["message"].as_str().unwrap().contains("72 hours"), "{link}");
    t.stop().await;
}

async fn staff(t: &TestApp, admin: String) -> Vec<Value> {
    t.get("/api/v1/staff-accounts", Some(&admin)).await.json().as_array().unwrap().clone()
}

/// A reset asked for on the sign-in page cannot reach anyone yet (no email
/// or SMS), so administrators see it on the account until they answer it
/// with a reset link, for a week at most.
#[tokio::test]
async fn reset_requests_are_shown_to_administrators_until_answered() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let row = |rows: &[Value], username: &str| rows.iter().find(|r| r["username"] == username).unwrap().clone();
    let before = staff(&t, admin.clone()).await;
    assert!(before.iter().all(|r| r["reset_requested_at"].is_null() && r["password_set"] == true));

    // Alice has no address on file any more, so her request cannot reach
    // her (with one, it goes by email or SMS: see `notifications`).
    let alice_token = t.login("alice").await;
    let cleared = t.request(Method::PUT, "/api/v1/me/contact", Some(&alice_token), Some(json!({}))).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    t.post("/api/v1/auth/password-reset", None, json!({"username": "fran.frontdesk"})).await;
    t.post("/api/v1/auth/password-reset", None, json!({"username": "alice"})).await;
    let rows = staff(&t, admin.clone()).await;
    assert_eq!(row(&rows, "fran.frontdesk")["reset_requested_at"], "2026-01-05T15:00:00.000000Z");
    assert!(row(&rows, "nina.nurse")["reset_requested_at"].is_null());
    let alice = patient_by_mrn(&t, &admin, "RFM-1001").await;
    assert_eq!(alice["reset_requested_at"], "2026-01-05T15:00:00.000000Z", "patients too");
    // Only administrators answer them, so only they are shown them.
    let nina = t.login("nina.nurse").await;
    let seen_by_nina = patient_by_mrn(&t, &nina, "RFM-1001").await;
    assert!(seen_by_nina["reset_requested_at"].is_null(), "{seen_by_nina}");

    // Answered: the administrator hands Fran a reset link.
    let fran = t.user_id("fran.frontdesk").await;
    let r = t.post(&format!("/api/v1/users/{fran}/reset-link"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(row(&staff(&t, admin.clone()).await, "fran.frontdesk")["reset_requested_at"].is_null());
    // Unanswered for over a week: no longer shown.
    t.advance(Span::from_hours(8 * 24));
    let admin = t.login("admin").await;
    assert!(patient_by_mrn(&t, &admin, "RFM-1001").await["reset_requested_at"].is_null());

    // A new staff member has no password until they use their link.
    let r = t.add_staff(&admin, json!({"username": "new.nurse", "display_name": "Noor Nurse", "role": "nurse"})).await;
    let token = token_of(r.json()["setup_link"]["path"].as_str().unwrap());
    assert_eq!(row(&staff(&t, admin.clone()).await, "new.nurse")["password_set"], false);
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(row(&staff(&t, admin.clone()).await, "new.nurse")["password_set"], true);
    t.stop().await;
}

async fn members(t: &TestApp, token: String, pool: String) -> Vec<String> {
    let pools = t.get("/api/v1/pools", Some(&token)).await.json();
    let p = pools.as_array().unwrap().iter().find(|p| p["id"] == pool.as_str()).unwrap().clone();
    p["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect()
}

/// Administrators place staff in pools from their account; nobody is given
/// pool work before they have set up their account.
#[tokio::test]
async fn staff_join_and_leave_pools_from_their_account() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let pools = t.get("/api/v1/pools", Some(&admin)).await.json();
    let pool_id = |name: &str| {
        pools.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let (refills, billing) = (pool_id("Refills"), pool_id("Billing"));
    // Refused: a pool that is not the practice's, and a role that takes no conversations.
    for (body, field) in [
        (json!({"username": "rae.nurse", "display_name": "Rae", "role": "nurse", "pools": ["nope"]}), "pools"),
        (
            json!({"username": "rae.nurse", "display_name": "Rae", "role": "nurse", "pools": ["01234567-89ab-7def-8123-456789abcdef"]}),
            "pools",
        ),
        (
            json!({"username": "rae.nurse", "display_name": "Rae", "role": "compliance_officer", "pools": [refills]}),
            "pools",
        ),
    ] {
        let r = t.add_staff(&admin, body).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{}",
            r.text
        );
    }
    let r = t
        .add_staff(
            &admin,
            json!({"username": "rae.nurse", "display_name": "Rae Kim, RN", "role": "nurse", "pools": [refills]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rae = r.json()["id"].as_str().unwrap().to_owned();
    let token = token_of(r.json()["setup_link"]["path"].as_str().unwrap());
    assert!(members(&t, admin.clone(), refills.clone()).await.contains(&rae), "last in the pool's order");
    let listed = t.get("/api/v1/staff-accounts", Some(&admin)).await.json();
    let row = listed.as_array().unwrap().iter().find(|u| u["id"] == rae.as_str()).unwrap().clone();
    assert_eq!(row["pools"], json!([refills]));

    // Before she sets up her account, refill requests go to the others.
    let alice = t.login("alice").await;
    let fran = t.login("nina.nurse").await;
    // Who holds each of three new refill requests (Nina sees Primary Care's).
    let holders = || async {
        let mut out = Vec::new();
        for _ in 0..3 {
            let body =
                json!({"subject": "Refill", "topic": "prescription_refill", "body": "Please refill my inhaler."});
            let c = t.start_conversation(&alice, body).await.json()["id"].as_str().unwrap().to_owned();
            let held = t.get(&format!("/api/v1/conversations/{c}"), Some(&fran)).await.json()["assignee"]["id"].clone();
            out.push(held);
        }
        out
    };
    assert!(!holders().await.contains(&json!(rae)), "not before she can sign in");
    assert_eq!(redeem(&t, &token, json!({})).await.status, StatusCode::NO_CONTENT);
    let hers = holders().await.iter().filter(|h| **h == json!(rae)).count();
    assert!(hers >= 1, "once set up, she takes her turn");

    // Changing her pools; leaving them out changes nothing.
    let path = format!("/api/v1/staff-accounts/{rae}");
    let change = json!({"display_name": "Rae Kim, RN", "role": "nurse", "pools": [billing]});
    assert_eq!(t.request(Method::PUT, &path, Some(&admin), Some(change)).await.status, StatusCode::NO_CONTENT);
    assert!(!members(&t, admin.clone(), refills.clone()).await.contains(&rae));
    assert!(members(&t, admin.clone(), billing.clone()).await.contains(&rae));
    let rename = json!({"display_name": "Rae Kim-Lee, RN", "role": "nurse"});
    assert_eq!(t.request(Method::PUT, &path, Some(&admin), Some(rename)).await.status, StatusCode::NO_CONTENT);
    assert!(members(&t, admin.clone(), billing.clone()).await.contains(&rae), "left as they were");
    // A role that takes no conversations leaves every pool.
    let role = json!({"display_name": "Rae Kim-Lee", "role": "compliance_officer"});
    assert_eq!(t.request(Method::PUT, &path, Some(&admin), Some(role)).await.status, StatusCode::NO_CONTENT);
    assert!(!members(&t, admin.clone(), billing).await.contains(&rae));
    t.stop().await;
}
