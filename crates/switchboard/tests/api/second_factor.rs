//! Second factors end to end: an authenticator app (pyotp, an independent
//! RFC 6238 implementation, reads the otpauth:// URI and computes every
//! code), recovery codes, the sign-in challenge, replay and throttling,
//! the practice's requirement of staff with its grace period and reset,
//! and re-authentication before sensitive actions.

use crate::peers;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

/// What pyotp makes of a URI, and its code at the server's (test) clock.
fn app_code(t: &TestApp, uri: &str) -> Value {
    let now = t.app().now().as_micros() / 1_000_000;
    let script = peers::workspace().join(".ci/peers/totp.py");
    let out = std::process::Command::new(peers::python())
        .arg(&script)
        .arg("uri")
        .arg(uri)
        .arg(now.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "totp.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn code_now(t: &TestApp, uri: &str) -> String {
    app_code(t, uri)["code"].as_str().unwrap().to_owned()
}

/// Sets up an authenticator app for the signed-in `token`: its URI and the
/// recovery codes.
pub(crate) async fn enrol(t: &TestApp, token: &str) -> (String, Vec<String>) {
    let begun = t.post("/api/v1/me/mfa/totp", Some(token), json!({})).await;
    assert_eq!(begun.status, StatusCode::CREATED, "{}", begun.text);
    let uri = begun.json()["otpauth_uri"].as_str().unwrap().to_owned();
    let confirmed = t.post("/api/v1/me/mfa/totp/confirm", Some(token), json!({"code": code_now(t, &uri)})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes =
        confirmed.json()["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (uri, codes)
}

/// Signs in with the password; the answer must ask for the second factor.
async fn challenge(t: &TestApp, username: &str) -> String {
    let r = t.try_login(username, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    assert_eq!(body["mfa_required"], json!(true), "{}", r.text);
    assert!(body.get("token").is_none(), "no session before the second factor: {}", r.text);
    assert!(r.header("set-cookie").is_none());
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(t: &TestApp, challenge: &str, code: &str) -> Resp {
    t.post("/api/v1/auth/mfa", None, json!({"challenge": challenge, "code": code})).await
}

#[tokio::test]
async fn an_authenticator_app_is_enrolled_and_signs_in_with_each_code_once() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    let status = t.get("/api/v1/me/mfa", Some(&token)).await.json();
    assert_eq!(
        status,
        json!({"totp": false, "passkeys": 0, "recovery_codes_left": 0, "required": false, "enrol_by": null})
    );

    let begun = t.post("/api/v1/me/mfa/totp", Some(&token), json!({})).await;
    assert_eq!(begun.status, StatusCode::CREATED, "{}", begun.text);
    let uri = begun.json()["otpauth_uri"].as_str().unwrap().to_owned();
    let app = app_code(&t, &uri);
    // What an authenticator app reads: the practice as issuer, the account,
    // SHA-1, six digits, 30 seconds, and the same secret as shown to type.
    assert_eq!(app["issuer"], json!("Riverside Family Medicine"));
    assert_eq!(app["name"], json!("alice"));
    assert_eq!(
        (app["digits"].clone(), app["interval"].clone(), app["algorithm"].clone()),
        (json!(6), json!(30), json!("sha1"))
    );
    assert_eq!(app["secret"], begun.json()["secret"]);
    let qr = &begun.json()["qr"];
    assert!(qr["size"].as_u64().unwrap() >= 29 && qr["path"].as_str().unwrap().starts_with('M'));

    // A wrong first code confirms nothing; the right one gives ten codes.
    let wrong = t.post("/api/v1/me/mfa/totp/confirm", Some(&token), json!({"code": "000000"})).await;
    if app["code"] != json!("000000") {
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
        assert_eq!(wrong.code(), "invalid_second_factor");
    }
    let confirmed = t.post("/api/v1/me/mfa/totp/confirm", Some(&token), json!({"code": app["code"]})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes = confirmed.json()["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(codes.len(), 10);
    let again = t.post("/api/v1/me/mfa/totp", Some(&token), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a second app is not started over the first");

    // Signing in now takes two steps, and the enrolment's code is spent.
    let c = challenge(&t, "alice").await;
    let login = t.try_login("alice", PASSWORD).await.json();
    assert_eq!(login["methods"], json!(["totp", "recovery_code"]));
    let replay = second_step(&t, &c, app["code"].as_str().unwrap()).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "the confirming code works once: {}", replay.text);
    assert_eq!(replay.code(), "invalid_second_factor");
    t.advance(Span::from_secs(30));
    let code = code_now(&t, &uri);
    let ok = second_step(&t, &c, &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let session = ok.json()["token"].as_str().unwrap().to_owned();
    assert!(ok.header("set-cookie").unwrap().contains("HttpOnly"));
    assert_eq!(t.get("/api/v1/me", Some(&session)).await.json()["username"], json!("alice"));
    assert_eq!(t.get("/api/v1/conversations", Some(&session)).await.status, StatusCode::OK);

    // The same code, at a new challenge within its window: refused.
    let c2 = challenge(&t, "alice").await;
    let replay = second_step(&t, &c2, &code).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.text);
    // A spent challenge signs nobody in, even with a good code.
    t.advance(Span::from_secs(30));
    let spent = second_step(&t, &c, &code_now(&t, &uri)).await;
    assert_eq!(spent.code(), "mfa_challenge_invalid", "{}", spent.text);
    assert_eq!(second_step(&t, &c2, &code_now(&t, &uri)).await.status, StatusCode::OK);

    // Every step is in the audit log, without the codes.
    let admin = t.login("admin").await;
    let log = t.get("/api/v1/audit-events?limit=200", Some(&admin)).await;
    let text = log.text.clone();
    for action in ["second_factor_enrolled", "recovery_codes_issued", "second_factor_challenged"] {
        assert!(text.contains(action), "{action} missing from the audit log");
    }
    assert!(text.contains("password+totp"));
    assert!(!text.contains(&code), "a code never reaches the audit log");
}

#[tokio::test]
async fn recovery_codes_work_once_and_wrong_codes_are_throttled() {
    let t = TestApp::spawn().await;
    let token = t.login("carol").await;
    let (_uri, codes) = enrol(&t, &token).await;
    let first = codes[0].clone();
    let c = challenge(&t, "carol").await;
    // Typed in capitals without the dash still works.
    let r = second_step(&t, &c, &first.replace('-', "").to_uppercase()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["recovery_codes_left"], json!(9));
    let c = challenge(&t, "carol").await;
    let again = second_step(&t, &c, &first).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "a recovery code works once: {}", again.text);

    // Five wrong codes close a challenge.
    let c = challenge(&t, "carol").await;
    for _ in 0..4 {
        assert_eq!(second_step(&t, &c, "abcde-fghjk").await.code(), "invalid_second_factor");
    }
    // (with the one above, the account has had five failures: the throttle
    // now asks to wait, like for passwords)
    let mut throttled = false;
    for _ in 0..3 {
        let r = second_step(&t, &c, "abcde-fghjk").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            assert!(r.header("retry-after").is_some());
            break;
        }
        assert!(matches!(r.code().as_str(), "invalid_second_factor" | "mfa_challenge_invalid"), "{}", r.text);
    }
    assert!(throttled, "wrong codes are throttled like passwords");
    t.advance(Span::from_mins(10));
    let c = challenge(&t, "carol").await;
    assert_eq!(second_step(&t, &c, &codes[1]).await.status, StatusCode::OK);
    // A challenge is good for five minutes.
    let c = challenge(&t, "carol").await;
    t.advance(Span::from_mins(6));
    assert_eq!(second_step(&t, &c, &codes[2]).await.code(), "mfa_challenge_invalid");
}

#[tokio::test]
async fn staff_must_enrol_within_the_grace_period_when_the_practice_requires_it() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let policy = t.get("/api/v1/practice/second-factor", Some(&admin)).await;
    assert_eq!(
        policy.json(),
        json!({"staff_second_factor_required": false, "grace_hours": 168}),
        "the demo turns it off"
    );
    // An administrator without a second factor cannot lock everyone out.
    let on = json!({"staff_second_factor_required": true, "grace_hours": 24});
    let refused = t.put("/api/v1/practice/second-factor", Some(&admin), on.clone()).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    let (admin_uri, _) = enrol(&t, &admin).await;
    let early_nurse = t.login("nina.nurse").await;
    let nurse_only = t.put("/api/v1/practice/second-factor", Some(&early_nurse), on.clone()).await;
    assert_eq!(nurse_only.status, StatusCode::NOT_FOUND, "administrators only: {}", nurse_only.text);
    let saved = t.put("/api/v1/practice/second-factor", Some(&admin), on).await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.text);
    // Sessions opened before the requirement follow it at once: the
    // nurse's may now only enrol; the administrator, who has a second
    // factor, keeps hers.
    let early = t.get("/api/v1/conversations", Some(&early_nurse)).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "{}", early.text);
    assert_eq!(early.code(), "second_factor_enrolment_required");
    assert_eq!(t.get("/api/v1/conversations", Some(&admin)).await.status, StatusCode::OK);

    // A nurse without one gets a session that can only enrol.
    let r = t.try_login("nina.nurse", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["user"]["second_factor_setup_required"], json!(true));
    let nurse = r.json()["token"].as_str().unwrap().to_owned();
    let list = t.get("/api/v1/conversations", Some(&nurse)).await;
    assert_eq!(list.status, StatusCode::FORBIDDEN, "{}", list.text);
    assert_eq!(list.code(), "second_factor_enrolment_required");
    assert_eq!(t.get("/api/v1/events", Some(&nurse)).await.status, StatusCode::FORBIDDEN, "no live stream either");
    assert_eq!(t.get("/api/v1/me", Some(&nurse)).await.json()["second_factor_setup_required"], json!(true));
    let status = t.get("/api/v1/me/mfa", Some(&nurse)).await.json();
    assert_eq!(status["required"], json!(true));
    assert!(status["enrol_by"].as_str().unwrap().starts_with("2026-01-06T15:00:00"), "{status}");
    // Enrolling opens the same session fully.
    let (nurse_uri, _) = enrol(&t, &nurse).await;
    assert_eq!(t.get("/api/v1/conversations", Some(&nurse)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me", Some(&nurse)).await.json()["second_factor_setup_required"], json!(false));
    // Removing it is refused while the practice requires it.
    let removed = t.request(Method::DELETE, "/api/v1/me/mfa/totp", Some(&nurse), None).await;
    assert_eq!(removed.status, StatusCode::CONFLICT, "{}", removed.text);

    // After the grace period, a staff member who never enrolled cannot sign
    // in until an administrator reopens it.
    t.advance(Span::from_hours(25));
    let late = t.try_login("mo.assistant", PASSWORD).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN, "{}", late.text);
    assert_eq!(late.code(), "second_factor_overdue");
    let c = challenge(&t, "admin").await;
    let admin = second_step(&t, &c, &code_now(&t, &admin_uri)).await.json()["token"].as_str().unwrap().to_owned();
    let mo = t.user_id("mo.assistant").await;
    let reset = t.post(&format!("/api/v1/users/{mo}/second-factor-reset"), Some(&admin), json!({})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text);
    let back = t.try_login("mo.assistant", PASSWORD).await;
    assert_eq!(back.json()["user"]["second_factor_setup_required"], json!(true), "{}", back.text);
    // A reset for a lost phone reaches the sessions already open too.
    let nina = t.user_id("nina.nurse").await;
    let c = challenge(&t, "nina.nurse").await;
    let nurse = second_step(&t, &c, &code_now(&t, &nurse_uri)).await.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/conversations", Some(&nurse)).await.status, StatusCode::OK);
    let reset = t.post(&format!("/api/v1/users/{nina}/second-factor-reset"), Some(&admin), json!({})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text);
    assert_eq!(t.get("/api/v1/conversations", Some(&nurse)).await.code(), "second_factor_enrolment_required");
    // Patients are never required to.
    let alice = t.try_login("alice", PASSWORD).await;
    assert_eq!(alice.json()["user"]["second_factor_setup_required"], json!(false));
}

#[tokio::test]
async fn sensitive_actions_ask_for_the_password_or_a_code_after_five_minutes() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let csv = "/api/v1/audit-events/csv?limit=10";
    assert_eq!(t.get(csv, Some(&admin)).await.status, StatusCode::OK, "signing in counts");
    t.advance(Span::from_mins(6));
    let later = t.get(csv, Some(&admin)).await;
    assert_eq!(later.status, StatusCode::FORBIDDEN, "{}", later.text);
    assert_eq!(later.code(), "reauthentication_required");
    let nina = t.user_id("nina.nurse").await;
    let deactivate = t.post(&format!("/api/v1/users/{nina}/deactivate"), Some(&admin), json!({})).await;
    assert_eq!(deactivate.code(), "reauthentication_required");

    let wrong =
        t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": "not the password at all"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
    let both =
        t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD, "code": "123456"})).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD})).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    assert_eq!(t.get(csv, Some(&admin)).await.status, StatusCode::OK);

    // With an app, a code does as well as the password.
    let (uri, _) = enrol(&t, &admin).await;
    t.advance(Span::from_mins(6));
    assert_eq!(t.get(csv, Some(&admin)).await.code(), "reauthentication_required");
    let ok = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"code": code_now(&t, &uri)})).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    assert_eq!(t.get(csv, Some(&admin)).await.status, StatusCode::OK);
    let codes = t.post("/api/v1/me/mfa/recovery-codes", Some(&admin), json!({})).await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.text);
    let log = t.get("/api/v1/audit-events?action=reauthenticated&limit=10", Some(&admin)).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert!(log.text.contains("reauthenticated"));
}

#[tokio::test]
async fn the_operator_resets_a_lost_second_factor_at_the_console() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    enrol(&t, &admin).await;
    let before = t.try_login("admin", PASSWORD).await;
    assert_eq!(before.json()["mfa_required"], json!(true), "{}", before.text);

    let unknown = t.cli(&["user", "reset-second-factor", "--username", "no.such.person"]).await;
    assert!(!unknown.status.success(), "an unknown account is an error");
    let out = t.cli(&["user", "reset-second-factor", "--username", "admin"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The password alone signs in again; the reset is on record as the system's.
    let after = t.try_login("admin", PASSWORD).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert!(after.json()["token"].is_string(), "{}", after.text);
    let token = after.json()["token"].as_str().unwrap().to_owned();
    let log = t.get("/api/v1/audit-events?action=second_factor_reset&limit=10", Some(&token)).await.json();
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["actor_kind"], json!("system"), "{log}");
    t.stop().await;
}
