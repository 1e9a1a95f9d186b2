//! Where you are signed in: your sessions listed with their device and
//! place, one or all the others ended; sign-in notices (a new device, five
//! failures in a row); and the reasons a new password is refused.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const LAPTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const TABLET: &str = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// Signs in as `username` from a browser calling itself `user_agent`.
async fn login_from(t: &TestApp, username: &str, password: &str, user_agent: &str) -> Resp {
    let r = t
        .client
        .post(t.url("/api/v1/auth/login"))
        .header("user-agent", user_agent)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    Resp { status, headers, text: r.text().await.unwrap() }
}

async fn token_from(t: &TestApp, username: &str, user_agent: &str) -> String {
    let r = login_from(t, username, PASSWORD, user_agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["token"].as_str().unwrap().to_owned()
}

async fn sessions(t: &TestApp, token: &str) -> Vec<Value> {
    let r = t.get("/api/v1/me/sessions", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["sessions"].as_array().unwrap().clone()
}

async fn count_kind(t: &TestApp, kind: &str) -> i64 {
    t.count(&format!("SELECT count(*) FROM deliveries WHERE kind = '{kind}'")).await
}

#[tokio::test]
async fn you_see_where_you_are_signed_in_and_end_a_session_elsewhere() {
    let t = TestApp::spawn().await;
    let phone = token_from(&t, "alice", PHONE).await;
    let laptop = token_from(&t, "alice", LAPTOP).await;
    let other_person = t.login("bob").await;

    // Used last first, this one marked; device and place in words.
    let _ = t.get("/api/v1/me", Some(&phone)).await;
    let listed = sessions(&t, &laptop).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let devices: Vec<&str> = listed.iter().map(|s| s["device"].as_str().unwrap()).collect();
    assert!(devices.contains(&"Chrome on Android") && devices.contains(&"Firefox on Windows"), "{devices:?}");
    for s in &listed {
        assert_eq!(s["place"], "this computer");
        assert_eq!(s["id"].as_str().unwrap().len(), 36);
        assert!(s["signed_in_at"].is_string() && s["last_used_at"].is_string());
    }
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox on Windows");
    let phone_id =
        listed.iter().find(|s| s["device"] == "Chrome on Android").unwrap()["id"].as_str().unwrap().to_owned();
    // The public id is not the token, nor its hash.
    assert!(!phone.contains(&phone_id));
    assert_eq!(t.count("SELECT count(*) FROM sessions WHERE public_id = token_hash").await, 0);

    // Someone else cannot end it, nor see it.
    let path = format!("/api/v1/me/sessions/{phone_id}");
    let r = t.request(Method::DELETE, &path, Some(&other_person), None).await;
    assert_eq!((r.status, r.code().as_str()), (StatusCode::NOT_FOUND, "not_found"), "{}", r.text);
    assert!(sessions(&t, &other_person).await.iter().all(|s| s["id"] != phone_id.as_str()));
    assert_eq!(t.get("/api/v1/me", Some(&phone)).await.status, StatusCode::OK);
    // Nor can a malformed id.
    assert_eq!(
        t.request(Method::DELETE, "/api/v1/me/sessions/nope", Some(&laptop), None).await.status,
        StatusCode::NOT_FOUND
    );

    // Its holder can: signed out there at once, and audited by public id.
    let r = t.request(Method::DELETE, &path, Some(&laptop), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.get("/api/v1/me", Some(&phone)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions(&t, &laptop).await.len(), 1);
    let audited = t
        .count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'logout' AND outcome = 'success' AND detail = 'session={phone_id}'"
        ))
        .await;
    assert_eq!(audited, 1);
    // Ended, it is gone: a second try is "not found", and refused in the log.
    let r = t.request(Method::DELETE, &path, Some(&laptop), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(t.count("SELECT count(*) FROM audit_log WHERE action = 'logout' AND outcome = 'denied'").await >= 2);
    t.stop().await;
}

#[tokio::test]
async fn signing_out_everywhere_else_keeps_this_session() {
    let t = TestApp::spawn().await;
    let here = token_from(&t, "nina.nurse", LAPTOP).await;
    let a = token_from(&t, "nina.nurse", PHONE).await;
    let b = token_from(&t, "nina.nurse", TABLET).await;
    let colleague = t.login("mo.assistant").await;
    assert_eq!(sessions(&t, &here).await.len(), 3);
    let r = t.post("/api/v1/me/sessions/end-others", Some(&here), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["ended"], 2);
    for gone in [&a, &b] {
        assert_eq!(t.get("/api/v1/me", Some(gone)).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(t.get("/api/v1/me", Some(&here)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me", Some(&colleague)).await.status, StatusCode::OK, "nobody else's");
    let left = sessions(&t, &here).await;
    assert_eq!((left.len(), left[0]["current"].clone()), (1, json!(true)));
    let r = t.post("/api/v1/me/sessions/end-others", Some(&here), json!({})).await;
    assert_eq!(r.json()["ended"], 0);
    t.stop().await;
}

/// A sign-in from a device and address the account has not used in 90
/// days is told to the holder (not the account's very first sign-in, nor
/// one from a device it knows); the words hold no device or address.
#[tokio::test]
async fn a_sign_in_from_a_new_device_is_told_to_the_account_holder() {
    let t = TestApp::spawn().await;
    // Alice is reached by email. Her first sign-in ever tells nobody.
    token_from(&t, "alice", PHONE).await;
    assert_eq!(count_kind(&t, "new_sign_in").await, 0, "the first sign-in of an account");
    token_from(&t, "alice", PHONE).await;
    assert_eq!(count_kind(&t, "new_sign_in").await, 0, "a device it knows");
    token_from(&t, "alice", LAPTOP).await;
    assert_eq!(count_kind(&t, "new_sign_in").await, 1, "a new device");
    token_from(&t, "alice", LAPTOP).await;
    assert_eq!(count_kind(&t, "new_sign_in").await, 1);
    // Forgotten after 90 days.
    t.advance(switchboard_domain::time::Span::from_hours(91 * 24));
    token_from(&t, "alice", PHONE).await;
    assert_eq!(count_kind(&t, "new_sign_in").await, 2);
    assert_eq!(t.count("SELECT count(*) FROM deliveries WHERE kind = 'new_sign_in' AND medium = 'email'").await, 2);
    t.stop().await;
}

/// The fifth wrong password in a row is told to the account holder, once
/// for the throttle window.
#[tokio::test]
async fn repeated_failed_sign_ins_are_told_once() {
    let t = TestApp::spawn().await;
    for n in 1..=6 {
        let r = login_from(&t, "alice", "not alices password at all", PHONE).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "try {n}: {}", r.text);
        let told = if n < 5 { 0 } else { 1 };
        assert_eq!(count_kind(&t, "failed_sign_ins").await, told, "after try {n}");
    }
    // An unknown name tells nobody.
    for _ in 0..5 {
        let _ = login_from(&t, "nobody.here", "not a password at all", PHONE).await;
    }
    assert_eq!(count_kind(&t, "failed_sign_ins").await, 1);
    t.stop().await;
}

/// Every refusal of a new password says why, in the words shown on the
/// page; a password typed in another normalisation form is the same
/// password; one hashed as typed before passwords were normalised still
/// signs in.
#[tokio::test]
async fn a_refused_password_says_why_and_normalised_passwords_sign_in() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let change = |new: &str| {
        let body = json!({"current_password": PASSWORD, "new_password": new});
        let t = &t;
        let alice = alice.clone();
        async move { t.post("/api/v1/me/password", Some(&alice), body).await }
    };
    for (new, why) in [
        ("short one", "the password must be at least 15 characters"),
        ("1qaz2wsx3edc4rfv", "that password is on a list of passwords known to attackers; choose another"),
        ("  123456789QWERTY ", "that password is on a list of passwords known to attackers; choose another"),
        ("abcdefghijklmnopq", "that password is a simple sequence"),
        ("zzzzzzzzzzzzzzzzzzz", "that password is one character repeated; choose another"),
        ("Riverside Family Medicine", "that password is your user name, your name, the practice's name"),
    ] {
        let r = change(new).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            "{new}: {}",
            r.text
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.to_lowercase().starts_with(&why.to_lowercase()), "{new}: {message}");
        assert!(!message.contains(new.trim()), "the refusal never repeats the password: {message}");
    }
    // "ﬁ" (one ligature character) and "fi" are the same password.
    let r = change("ﬁne ﬁsh for ﬁve").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.try_login("alice", "fine fish for five").await.status, StatusCode::OK);
    assert_eq!(t.try_login("alice", "ﬁne ﬁsh for ﬁve").await.status, StatusCode::OK);
    assert_eq!(t.try_login("alice", "fine fish for fivE").await.status, StatusCode::UNAUTHORIZED);

    // A password set before normalisation, hashed as typed (decomposed é).
    let typed = "cafe\u{301} au lait every day";
    let hasher = switchboard_crypto::PasswordHasher::new().unwrap();
    let phc = hasher.hash(typed).unwrap();
    let mut db = t.db().await;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE username = 'alice'")
        .bind(phc)
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(t.try_login("alice", typed).await.status, StatusCode::OK, "still signs in as typed");
    t.stop().await;
}

/// A set-up link's password is refused with its reason too; the product's
/// own name is never a password.
#[tokio::test]
async fn a_setup_link_refuses_a_known_password_with_its_reason() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let r = t
        .add_staff(&admin, json!({"username": "new.nurse", "display_name": "Noor Nasser Haddad", "role": "nurse"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let path = r.json()["setup_link"]["path"].as_str().map(str::to_owned).unwrap_or_else(|| panic!("{}", r.text));
    let token = path.split_once("#token=").unwrap().1.to_owned();
    for (password, why) in [
        ("hd764nw5d7e1vb1", "that password is on a list of passwords known to attackers; choose another"),
        ("noor nasser haddad", "that password is your user name, your name, the practice's name"),
        ("Noor Nasser", "the password must be at least 15 characters"),
        ("SWITCHBOARD", "the password must be at least 15"),
    ] {
        let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": password})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], "password");
        let message = r.json()["error"]["message"].as_str().unwrap().to_lowercase();
        assert!(message.starts_with(&why.to_lowercase()), "{password}: {message}");
    }
    let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "a long new passphrase"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.try_login("new.nurse", "a long new passphrase").await.status, StatusCode::OK);
    t.stop().await;
}
