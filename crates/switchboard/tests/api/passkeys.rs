//! Passkeys (WebAuthn) end to end through the API. A software
//! authenticator here (a P-256 key, "none" attestation, CBOR and the
//! signature written out by hand from the WebAuthn specification, signing
//! with `ring`) answers the server's options the way a browser and a
//! platform authenticator do, so that registration, the sign-in's second
//! step and passwordless sign-in are proved with real signatures; the
//! browser suite does the same with Chromium's virtual authenticator.
//! Also: forged and garbage answers refused and audited, each ceremony's
//! state used once and only for five minutes, a cloned authenticator
//! (its counter going back) refused, an IP address refused in words,
//! removal needing a fresh proof, and a passkey meeting the staff
//! requirement.

use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().to_vec()
}

/// A CBOR item's head (RFC 8949): major type and length or value.
fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        _ => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
    }
}
fn int(n: i64) -> Vec<u8> {
    if n >= 0 { head(0, n as u64) } else { head(1, (-1 - n) as u64) }
}
fn bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len() as u64), b.to_vec()].concat()
}
fn text(s: &str) -> Vec<u8> {
    [head(3, s.len() as u64), s.as_bytes().to_vec()].concat()
}
fn map(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = head(5, pairs.len() as u64);
    for (k, val) in pairs {
        v.extend_from_slice(k);
        v.extend_from_slice(val);
    }
    v
}

/// A platform authenticator in software: one discoverable P-256 passkey
/// for the relying party `localhost`, user verification always done.
struct SoftAuthenticator {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    origin: String,
}

impl SoftAuthenticator {
    fn new(t: &TestApp) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let credential_id = switchboard_crypto::random::array::<16>().unwrap().to_vec();
        let origin = format!("https://localhost:{}", t.running().addr.port());
        SoftAuthenticator { key, rng, credential_id, user_handle: Vec::new(), counter: 0, origin }
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// `navigator.credentials.create` with the server's options.
    fn create(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        assert_eq!(pk["rp"]["id"], "localhost");
        self.user_handle = URL_SAFE_NO_PAD.decode(pk["user"]["id"].as_str().unwrap()).unwrap();
        let client_data = self.client_data("webauthn.create", options);
        let point = self.key.public_key().as_ref(); // 0x04 ‖ x ‖ y
        let cose = map(&[
            (int(1), int(2)),  // kty: EC2
            (int(3), int(-7)), // alg: ES256
            (int(-1), int(1)), // crv: P-256
            (int(-2), bytes(&point[1..33])),
            (int(-3), bytes(&point[33..65])),
        ]);
        self.counter += 1;
        let mut auth_data = sha256(b"localhost");
        auth_data.push(0x01 | 0x04 | 0x40); // user present, verified, credential data included
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose);
        let attestation =
            map(&[(text("fmt"), text("none")), (text("attStmt"), map(&[])), (text("authData"), bytes(&auth_data))]);
        json!({
            "id": b64(&self.credential_id), "rawId": b64(&self.credential_id), "type": "public-key", "extensions": {},
            "response": {"attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data)}
        })
    }

    /// `navigator.credentials.get` with the server's options.
    fn get(&mut self, options: &Value) -> Value {
        assert_eq!(options["publicKey"]["rpId"], "localhost");
        let client_data = self.client_data("webauthn.get", options);
        self.counter += 1;
        let mut auth_data = sha256(b"localhost");
        auth_data.push(0x01 | 0x04);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let signed = [auth_data.clone(), sha256(&client_data)].concat();
        let signature = self.key.sign(&self.rng, &signed).unwrap();
        json!({
            "id": b64(&self.credential_id), "rawId": b64(&self.credential_id), "type": "public-key", "extensions": {},
            "response": {"authenticatorData": b64(&auth_data), "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()), "userHandle": b64(&self.user_handle)}
        })
    }
}

/// A request to the server by its name (`Host: localhost:PORT`), as a
/// browser at https://localhost sends it.
async fn named(t: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
    send_as(t, &format!("localhost:{}", t.running().addr.port()), method, path, token, body).await
}

async fn send_as(
    t: &TestApp,
    host: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut req = t.client.request(method, t.url(path)).header("host", host);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    Resp { status, headers, text: r.text().await.unwrap_or_default() }
}

/// Adds the authenticator's passkey to the signed-in `token`'s account.
async fn register(t: &TestApp, token: &str, key: &mut SoftAuthenticator, name: Option<&str>) -> Resp {
    let options = named(t, Method::POST, "/api/v1/me/passkeys/options", Some(token), None).await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.text);
    let options = options.json();
    let credential = key.create(&options);
    let mut body = json!({"state": options["state"], "credential": credential});
    if let Some(n) = name {
        body["name"] = json!(n);
    }
    named(t, Method::POST, "/api/v1/me/passkeys", Some(token), Some(body)).await
}

async fn passwordless_options(t: &TestApp) -> Value {
    let r = named(t, Method::POST, "/api/v1/auth/passkey/options", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

async fn passwordless(t: &TestApp, key: &mut SoftAuthenticator) -> Resp {
    let options = passwordless_options(t).await;
    let credential = key.get(&options);
    named(
        t,
        Method::POST,
        "/api/v1/auth/passkey",
        None,
        Some(json!({"state": options["state"], "credential": credential})),
    )
    .await
}

/// How many audit records of `action` say `detail` (anonymous ones belong
/// to no practice: the operator's log, read here from the table).
async fn audited(t: &TestApp, action: &str, detail: &str) -> i64 {
    t.count(&format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND detail = '{detail}'")).await
}

async fn audit_text(t: &TestApp) -> String {
    let admin = t.login("admin").await;
    let log = t.get("/api/v1/audit-events?limit=200", Some(&admin)).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    log.text
}

#[tokio::test]
async fn a_passkey_registers_then_signs_in_as_the_second_step_and_alone() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    assert_eq!(t.get("/api/v1/me/passkeys", Some(&token)).await.json(), json!([]));

    // The options ask for a discoverable passkey that verifies its user.
    let options = named(&t, Method::POST, "/api/v1/me/passkeys/options", Some(&token), None).await.json();
    let pk = &options["publicKey"];
    assert_eq!(pk["user"]["name"], "alice");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert!(options["state"].as_str().unwrap().len() >= 40);

    let mut key = SoftAuthenticator::new(&t);
    let added = register(&t, &token, &mut key, None).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.json()["name"], "Passkey added 5 Jan 2026");
    assert_eq!(added.json()["last_used_at"], Value::Null);
    let list = t.get("/api/v1/me/passkeys", Some(&token)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(t.get("/api/v1/me/mfa", Some(&token)).await.json()["passkeys"], json!(1));
    // The same authenticator again is excluded by the options (and
    // refused by the server even when it answers anyway).
    let again = register(&t, &token, &mut key, Some("Twice")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.text);
    // Its credential id cannot be registered to another account either.
    let bob = t.login("bob").await;
    let handle = key.user_handle.clone();
    let stolen = register(&t, &bob, &mut key, None).await;
    key.user_handle = handle;
    assert_eq!(stolen.status, StatusCode::CONFLICT, "{}", stolen.text);
    assert_eq!(t.get("/api/v1/me/passkeys", Some(&bob)).await.json(), json!([]));

    // The password now leads to a second step the passkey can take.
    let login = t.try_login("alice", PASSWORD).await.json();
    assert_eq!(login["mfa_required"], json!(true));
    assert_eq!(login["methods"], json!(["passkey"]));
    let challenge = login["challenge"].as_str().unwrap().to_owned();
    let opts =
        named(&t, Method::POST, "/api/v1/auth/mfa/passkey-options", None, Some(json!({"challenge": challenge}))).await;
    assert_eq!(opts.status, StatusCode::OK, "{}", opts.text);
    let opts = opts.json();
    assert_eq!(opts["publicKey"]["allowCredentials"][0]["id"], json!(b64(&key.credential_id)));
    let answer = key.get(&opts);
    let body = json!({"challenge": challenge, "passkey": {"state": opts["state"], "credential": answer}});
    let signed_in = t.post("/api/v1/auth/mfa", None, body.clone()).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert!(signed_in.json()["token"].as_str().is_some());
    // The same answer at a new challenge: its state is spent.
    let c2 = t.try_login("alice", PASSWORD).await.json()["challenge"].as_str().unwrap().to_owned();
    let replay = t
        .post(
            "/api/v1/auth/mfa",
            None,
            json!({"challenge": c2, "passkey": {"state": opts["state"], "credential": answer}}),
        )
        .await;
    assert_eq!(replay.code(), "passkey_refused", "{}", replay.text);
    // A code and a passkey at once, or neither: refused.
    let both = t
        .post(
            "/api/v1/auth/mfa",
            None,
            json!({"challenge": c2, "code": "123456", "passkey": {"state": "x", "credential": {}}}),
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", both.text);
    assert_eq!(
        t.post("/api/v1/auth/mfa", None, json!({"challenge": c2})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The passkey alone: a full session.
    t.advance(Span::from_mins(1));
    let alone = passwordless(&t, &mut key).await;
    assert_eq!(alone.status, StatusCode::OK, "{}", alone.text);
    let session = alone.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(alone.json()["user"]["username"], "alice");
    assert_eq!(t.get("/api/v1/conversations", Some(&session)).await.status, StatusCode::OK);
    let listed = t.get("/api/v1/me/passkeys", Some(&session)).await.json();
    assert!(listed[0]["last_used_at"].as_str().is_some(), "{listed}");

    // A copy of the authenticator whose counter went back (a clone) is refused.
    key.counter -= 2;
    let clone = passwordless(&t, &mut key).await;
    assert_eq!(clone.code(), "passkey_refused", "{}", clone.text);
    key.counter += 10;

    // An answer given twice: the state is spent after the first.
    let options = passwordless_options(&t).await;
    let answer = key.get(&options);
    let body = json!({"state": options["state"], "credential": answer});
    assert_eq!(named(&t, Method::POST, "/api/v1/auth/passkey", None, Some(body.clone())).await.status, StatusCode::OK);
    let twice = named(&t, Method::POST, "/api/v1/auth/passkey", None, Some(body)).await;
    assert_eq!(twice.code(), "mfa_challenge_invalid", "{}", twice.text);
    // An old answer under new options: the challenge does not match.
    let fresh = passwordless_options(&t).await;
    let stale = named(
        &t,
        Method::POST,
        "/api/v1/auth/passkey",
        None,
        Some(json!({"state": fresh["state"], "credential": answer})),
    )
    .await;
    assert_eq!(stale.code(), "passkey_refused", "{}", stale.text);

    // Removing it needs a fresh proof after five minutes.
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    t.advance(Span::from_mins(6));
    let del = t.request(Method::DELETE, &format!("/api/v1/me/passkeys/{id}"), Some(&session), None).await;
    assert_eq!(del.code(), "reauthentication_required", "{}", del.text);
    let re = t.post("/api/v1/auth/reauthenticate", Some(&session), json!({"password": PASSWORD})).await;
    assert_eq!(re.status, StatusCode::NO_CONTENT, "{}", re.text);
    // Someone else's passkey, or none: not found.
    let re = t.post("/api/v1/auth/reauthenticate", Some(&bob), json!({"password": PASSWORD})).await;
    assert_eq!(re.status, StatusCode::NO_CONTENT, "{}", re.text);
    let other = t.request(Method::DELETE, &format!("/api/v1/me/passkeys/{id}"), Some(&bob), None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
    let del = t.request(Method::DELETE, &format!("/api/v1/me/passkeys/{id}"), Some(&session), None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.text);
    assert_eq!(t.get("/api/v1/me/passkeys", Some(&session)).await.json(), json!([]));
    let gone = passwordless(&t, &mut key).await;
    assert_eq!(gone.code(), "passkey_refused", "{}", gone.text);
    // And the password alone signs in again.
    assert!(t.try_login("alice", PASSWORD).await.json()["token"].as_str().is_some());

    let log = audit_text(&t).await;
    assert!(!log.contains(&b64(&key.credential_id)), "no credential in the audit log");
    for (action, detail, n) in [
        ("second_factor_enrolled", "passkey_begun", 4),
        ("second_factor_enrolled", "passkey", 1),
        ("login_succeeded", "password+passkey", 1),
        ("login_succeeded", "passkey", 2),
        ("login_failed", "passkey_refused", 3),
        ("login_failed", "passkey_state_closed", 1),
        ("login_failed", "unknown_passkey", 1),
        ("second_factor_removed", "passkey", 1),
    ] {
        assert_eq!(audited(&t, action, detail).await, n, "{action} {detail}");
    }
    assert!(!log.contains(&b64(&key.credential_id)), "no credential in the audit log");
    t.stop().await;
}

#[tokio::test]
async fn forged_answers_are_refused_and_audited_and_states_are_single_use_and_short_lived() {
    let t = TestApp::spawn().await;
    let token = t.login("carol").await;
    let forged = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": {"attestationObject": "o2NmbXRkbm9uZQ", "clientDataJSON": b64(b"{\"type\":\"webauthn.create\"}")}
    });
    let options = named(&t, Method::POST, "/api/v1/me/passkeys/options", Some(&token), None).await.json();
    let body = json!({"state": options["state"], "credential": forged});
    let r = named(&t, Method::POST, "/api/v1/me/passkeys", Some(&token), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "credential");
    // The state was used by that try.
    let r = named(&t, Method::POST, "/api/v1/me/passkeys", Some(&token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Garbage of every shape: 4xx, never 500.
    for garbage in [json!(null), json!(5), json!("x"), json!([]), json!({}), json!({"response": 7})] {
        let options = named(&t, Method::POST, "/api/v1/me/passkeys/options", Some(&token), None).await.json();
        let r = named(
            &t,
            Method::POST,
            "/api/v1/me/passkeys",
            Some(&token),
            Some(json!({"state": options["state"], "credential": garbage})),
        )
        .await;
        assert!(r.status.is_client_error(), "{garbage}: {} {}", r.status, r.text);
        let r = named(
            &t,
            Method::POST,
            "/api/v1/auth/passkey",
            None,
            Some(json!({"state": "nope", "credential": garbage})),
        )
        .await;
        assert!(r.status.is_client_error(), "{garbage}: {} {}", r.status, r.text);
    }
    // Another account's state is not this one's.
    let bob = t.login("bob").await;
    let bobs = named(&t, Method::POST, "/api/v1/me/passkeys/options", Some(&bob), None).await.json();
    let mut key = SoftAuthenticator::new(&t);
    let credential = key.create(&bobs);
    let r = named(
        &t,
        Method::POST,
        "/api/v1/me/passkeys",
        Some(&token),
        Some(json!({"state": bobs["state"], "credential": credential})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Five minutes: then the options are no use, even with a good answer.
    let options = named(&t, Method::POST, "/api/v1/me/passkeys/options", Some(&token), None).await.json();
    let credential = key.create(&options);
    t.advance(Span::from_secs(301));
    let r = named(
        &t,
        Method::POST,
        "/api/v1/me/passkeys",
        Some(&token),
        Some(json!({"state": options["state"], "credential": credential})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let options = passwordless_options(&t).await;
    t.advance(Span::from_mins(6));
    let r = named(
        &t,
        Method::POST,
        "/api/v1/auth/passkey",
        None,
        Some(json!({"state": options["state"], "credential": forged})),
    )
    .await;
    assert_eq!(r.code(), "mfa_challenge_invalid", "{}", r.text);
    // A forged assertion naming a passkey nobody has.
    let options = passwordless_options(&t).await;
    let assertion = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA",
            "userHandle": b64(&[7; 16])}
    });
    let r = named(
        &t,
        Method::POST,
        "/api/v1/auth/passkey",
        None,
        Some(json!({"state": options["state"], "credential": assertion})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "passkey_refused");
    assert!(r.header("set-cookie").is_none());
    // Housekeeping removes old states.
    assert!(t.count("SELECT count(*) FROM webauthn_states").await > 0);
    t.advance(Span::from_hours(2));
    let hk = switchboard_service::jobs::HOUSEKEEPING;
    t.app().schedule(hk, "{}", t.app().now(), Some(hk)).await.unwrap();
    t.run_due_jobs().await;
    assert_eq!(t.count("SELECT count(*) FROM webauthn_states").await, 0);

    assert!(audited(&t, "second_factor_enrolled", "passkey_refused").await >= 1, "enrolment refusals audited");
    assert!(audited(&t, "second_factor_enrolled", "passkey_malformed").await >= 1);
    assert_eq!(audited(&t, "login_failed", "unknown_passkey").await, 1, "sign-in refusals audited");
    assert!(audited(&t, "login_failed", "passkey_state_closed").await >= 1);
    t.stop().await;
}

#[tokio::test]
async fn wrong_passkeys_are_throttled_per_address() {
    let t = TestApp::spawn().await;
    let mut last = None;
    for _ in 0..40 {
        let r =
            named(&t, Method::POST, "/api/v1/auth/passkey", None, Some(json!({"state": "x", "credential": {}}))).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            last = Some(r);
            break;
        }
        assert!(r.status.is_client_error(), "{}", r.text);
    }
    let r = last.expect("throttled within 40 tries");
    assert!(r.header("retry-after").is_some());
    t.stop().await;
}

#[tokio::test]
async fn passkeys_need_the_servers_name_not_an_ip_address() {
    let t = TestApp::spawn().await;
    let token = t.login("alice").await;
    // The test client talks to 127.0.0.1.
    let r = t.post("/api/v1/auth/passkey/options", None, json!({})).await;
    let r2 = t.request(Method::POST, "/api/v1/auth/passkey/options", None, None).await;
    for r in [&r, &r2] {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.code(), "passkeys_unavailable");
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("not an IP address"), "{}", r.text);
    }
    let r = t.request(Method::POST, "/api/v1/me/passkeys/options", Some(&token), None).await;
    assert_eq!(r.code(), "passkeys_unavailable", "{}", r.text);
    let r = send_as(&t, "[::1]:443", Method::POST, "/api/v1/auth/passkey/options", None, None).await;
    assert_eq!(r.code(), "passkeys_unavailable", "{}", r.text);
    // Another name than the relying party's is told what to do.
    let r = send_as(&t, "evil.example", Method::POST, "/api/v1/auth/passkey/options", None, None).await;
    assert_eq!(r.code(), "passkeys_unavailable", "{}", r.text);
    assert!(r.text.contains("public_url"), "{}", r.text);
    // Listing works anywhere (no ceremony).
    assert_eq!(t.get("/api/v1/me/passkeys", Some(&token)).await.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn a_passkey_meets_the_staff_requirement() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    // An administrator whose second factor is a passkey may require one.
    let mut admin_key = SoftAuthenticator::new(&t);
    assert_eq!(register(&t, &admin, &mut admin_key, Some("Admin laptop")).await.status, StatusCode::CREATED);
    let on = json!({"staff_second_factor_required": true, "grace_hours": 24});
    let saved = t.put("/api/v1/practice/second-factor", Some(&admin), on).await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.text);

    // A nurse without one gets a session that can only enrol; a passkey
    // makes it a full one.
    let r = t.try_login("nina.nurse", PASSWORD).await;
    assert_eq!(r.json()["user"]["second_factor_setup_required"], json!(true), "{}", r.text);
    let nurse = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/conversations", Some(&nurse)).await.code(), "second_factor_enrolment_required");
    let mut key = SoftAuthenticator::new(&t);
    let added = register(&t, &nurse, &mut key, Some("Ward phone")).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(t.get("/api/v1/conversations", Some(&nurse)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me/mfa", Some(&nurse)).await.json()["required"], json!(true));

    // Her last second factor cannot go while the practice requires one.
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let del = t.request(Method::DELETE, &format!("/api/v1/me/passkeys/{id}"), Some(&nurse), None).await;
    assert_eq!(del.status, StatusCode::CONFLICT, "{}", del.text);

    // Signing in: the password, then the passkey.
    let login = t.try_login("nina.nurse", PASSWORD).await.json();
    assert_eq!(login["methods"], json!(["passkey"]));
    // The administrator's reset removes passkeys too.
    let nurse_id = t.user_id("nina.nurse").await;
    let reset = t.post(&format!("/api/v1/users/{nurse_id}/second-factor-reset"), Some(&admin), json!({})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text);
    assert_eq!(t.count("SELECT count(*) FROM passkeys").await, 1, "the administrator's own stays");
    let again = passwordless(&t, &mut key).await;
    assert_eq!(again.code(), "passkey_refused", "{}", again.text);
    t.stop().await;
}

#[tokio::test]
async fn a_passkey_confirms_it_is_you_before_a_sensitive_action() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let mut key = SoftAuthenticator::new(&t);
    assert_eq!(register(&t, &admin, &mut key, None).await.status, StatusCode::CREATED);
    let csv = "/api/v1/audit-events/csv?limit=10";
    t.advance(Span::from_mins(6));
    assert_eq!(named(&t, Method::GET, csv, Some(&admin), None).await.code(), "reauthentication_required");

    // Someone without a passkey is told to use their password or a code.
    let nina = t.login("nina.nurse").await;
    let none = named(&t, Method::POST, "/api/v1/auth/reauthenticate/passkey-options", Some(&nina), None).await;
    assert_eq!(none.status, StatusCode::CONFLICT, "{}", none.text);

    let options = named(&t, Method::POST, "/api/v1/auth/reauthenticate/passkey-options", Some(&admin), None).await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.text);
    let options = options.json();
    let answer = json!({"passkey": {"state": options["state"], "credential": key.get(&options)}});
    let ok = named(&t, Method::POST, "/api/v1/auth/reauthenticate", Some(&admin), Some(answer.clone())).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    assert_eq!(named(&t, Method::GET, csv, Some(&admin), None).await.status, StatusCode::OK);
    // The same answer again is refused: its options were spent.
    let again = named(&t, Method::POST, "/api/v1/auth/reauthenticate", Some(&admin), Some(answer)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    assert_eq!(again.code(), "passkey_refused");
    // Another account's passkey options do not confirm this one.
    let theirs =
        named(&t, Method::POST, "/api/v1/auth/reauthenticate/passkey-options", Some(&admin), None).await.json();
    let forged = json!({"passkey": {"state": theirs["state"], "credential": key.get(&theirs)}});
    let cross = named(&t, Method::POST, "/api/v1/auth/reauthenticate", Some(&nina), Some(forged)).await;
    assert_eq!(cross.code(), "passkey_refused", "{}", cross.text);
    assert_eq!(audited(&t, "reauthenticated", "passkey").await, 1);
    assert_eq!(audited(&t, "reauthenticated", "passkey_refused").await, 2);
    t.stop().await;
}
