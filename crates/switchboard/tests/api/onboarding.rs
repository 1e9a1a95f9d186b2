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
    let practice = t.get("/api/v1/practice", Some(&admin)).await.json();
    let primary =
        practice["departments"].as_array().unwrap().iter().find(|d| d["name"] == "Primary Care").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let new_staff =
        json!({"username": "sam.nurse", "display_name": "Sam Ortiz, RN", "role": "nurse", "departments": [primary]});

    // Only administrators.
    assert_eq!(t.get("/api/v1/staff-accounts", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.post("/api/v1/staff-accounts", Some(&nina), new_staff.clone()).await.status, StatusCode::NOT_FOUND);
    for (bad, field) in [
        (json!({"username": "x", "display_name": "X", "role": "nurse"}), "username"),
        (json!({"username": "sam.nurse", "display_name": "Sam", "role": "surgeon"}), "role"),
        (
            json!({"username": "sam.nurse", "display_name": "Sam", "role": "nurse", "departments": ["nope"]}),
            "departments",
        ),
    ] {
        let r = t.post("/api/v1/staff-accounts", Some(&admin), bad.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{bad}"
        );
    }
    let taken = t
        .post(
            "/api/v1/staff-accounts",
            Some(&admin),
            json!({"username": "nina.nurse", "display_name": "N", "role": "nurse"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    let r = t.post("/api/v1/staff-accounts", Some(&admin), new_staff).await;
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
        .post(
            "/api/v1/staff-accounts",
            Some(&admin),
            json!({"username": "late.starter", "display_name": "Lee Late", "role": "front_desk"}),
        )
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
