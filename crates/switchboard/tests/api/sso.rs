//! Single sign-on with an OpenID Connect provider, end to end: a local
//! provider run here as an independent peer (`.ci/peers/oidc_provider.py`,
//! its ID tokens signed by PyJWT with `cryptography`'s keys), and a client
//! that follows no redirect by itself, so every hop is seen: the start's
//! 303 to the provider (PKCE S256, state, nonce), the provider's redirect
//! back with a code, and the callback's 303 to the sign-in page with the
//! session cookie, the second step, or a short failure code. The provider
//! checks the client secret and the PKCE verifier against the challenge, and
//! logs what it decided, so the test proves PKCE. Its misbehaviour (a
//! forged signature, a wrong audience, an expired token, …) is chosen per
//! case through its admin endpoint.

use crate::peers::Peer;
use crate::second_factor::{code_now, enrol};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_domain::time::Span;

const CLIENT_ID: &str = "switchboard-test";
const CLIENT_SECRET: &str = "s3cret-for-the-test-provider-0123456789";

/// The provider: its process, and a plain client to drive its admin side.
struct Idp {
    _peer: Peer,
    base: String,
    http: reqwest::Client,
}

impl Idp {
    fn start() -> Idp {
        let peer = Peer::start("oidc_provider.py", &[CLIENT_ID, CLIENT_SECRET]);
        let base = format!("http://127.0.0.1:{}", peer.port);
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Idp { _peer: peer, base, http }
    }

    async fn user(&self, sub: &str, email: &str, verified: Option<bool>) {
        let body = json!({"sub": sub, "email": email, "email_verified": verified});
        let r = self.http.post(format!("{}/admin/user", self.base)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }

    /// How the next tokens are made, dated by the server's test clock.
    async fn mode(&self, t: &TestApp, mode: &str, alg: &str) {
        let now = t.app().now().as_micros() / 1_000_000;
        let body = json!({"mode": mode, "alg": alg, "now": now});
        let r = self.http.post(format!("{}/admin/mode", self.base)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }

    async fn log(&self) -> Vec<Value> {
        let r = self.http.get(format!("{}/admin/log", self.base)).send().await.unwrap();
        r.json::<Value>().await.unwrap().as_array().unwrap().clone()
    }
}

/// A client of the server under test that follows nothing.
fn browser(t: &TestApp) -> reqwest::Client {
    let pem = t.running().cert_pem.clone().unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// What the sign-in page is sent back with.
struct Landing {
    location: String,
    /// The session token from the cookie, when signed in.
    token: Option<String>,
    /// The callback's address, to replay it.
    callback: String,
}

/// The administrator configures the provider; returns the practice's id.
async fn configure(t: &TestApp, admin: &str, idp: &Idp, trust: bool) -> String {
    let body = json!({
        "enabled": true, "issuer": idp.base, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "label": "Sign in with Riverside Health", "trust_provider_mfa": trust,
    });
    let saved = t.put("/api/v1/practice/sso", Some(admin), body).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let providers = t.get("/api/v1/auth/sso/providers", None).await.json();
    let mine = providers.as_array().unwrap().iter().find(|p| p["label"] == "Sign in with Riverside Health").unwrap();
    let id = mine["practice_id"].as_str().unwrap().to_owned();
    // A link naming the practice shows its button; one naming another (or
    // nothing that is an id) shows none.
    let named = t.get(&format!("/api/v1/auth/sso/providers?practice={id}"), None).await.json();
    assert_eq!(named.as_array().unwrap().len(), 1, "{named}");
    for other in ["00000000-0000-7000-8000-000000000000", "not-an-id"] {
        let none = t.get(&format!("/api/v1/auth/sso/providers?practice={other}"), None).await.json();
        assert_eq!(none, json!([]), "{other}");
    }
    id
}

/// Sets a staff member's work email (as their administrator).
async fn work_email(t: &TestApp, admin: &str, username: &str, email: &str) {
    let id = t.user_id(username).await;
    let r = t.put(&format!("/api/v1/users/{id}/sso"), Some(admin), json!({"email": email})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// The start's 303 to the provider.
async fn begin(t: &TestApp, practice: &str) -> String {
    let r = browser(t).get(t.url(&format!("/api/v1/auth/sso/start?practice={practice}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r)
}

/// The provider's redirect back (the callback's address with code and state).
async fn at_provider(idp: &Idp, authorize: &str) -> String {
    assert!(authorize.starts_with(&format!("{}/authorize?", idp.base)), "to the provider: {authorize}");
    let r = idp.http.get(authorize).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text().await.unwrap());
    location(&r)
}

async fn finish(t: &TestApp, callback: &str) -> Landing {
    let r = browser(t).get(callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next()?.split_once('=').map(|(_, v)| v.to_owned()))
        .filter(|v| !v.is_empty());
    Landing { location: location(&r), token, callback: callback.to_owned() }
}

/// A whole single sign-on.
async fn sso(t: &TestApp, idp: &Idp, practice: &str) -> Landing {
    let authorize = begin(t, practice).await;
    let back = at_provider(idp, &authorize).await;
    finish(t, &back).await
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split(['&', '#']).find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

async fn audit_text(t: &TestApp, admin: &str) -> String {
    t.get("/api/v1/audit-events?limit=200", Some(admin)).await.text
}

#[tokio::test]
async fn settings_are_checked_and_the_secret_is_never_shown() {
    let t = TestApp::spawn().await;
    let idp = Idp::start();
    let admin = t.login("admin").await;
    assert_eq!(t.get("/api/v1/practice/sso", Some(&admin)).await.status, StatusCode::NOT_FOUND);
    let base = json!({"enabled": true, "issuer": idp.base, "client_id": CLIENT_ID, "label": "Sign in with Riverside"});
    let mut cases = vec![];
    for (field, value, fault) in [
        ("issuer", json!("http://login.example.org"), "issuer"),
        ("issuer", json!("https://login.example.org?x=1"), "issuer"),
        ("issuer", json!("login.example.org"), "issuer"),
        ("label", json!(""), "label"),
        ("client_id", json!("has space"), "client_id"),
    ] {
        let mut b = base.clone();
        b[field] = value;
        b["client_secret"] = json!(CLIENT_SECRET);
        cases.push((b, fault));
    }
    // On without a secret; a provider that does not answer.
    cases.push((base.clone(), "client_secret"));
    let mut away = base.clone();
    away["issuer"] = json!("http://127.0.0.1:9");
    away["client_secret"] = json!(CLIENT_SECRET);
    cases.push((away, "issuer"));
    for (body, fault) in cases {
        let r = t.put("/api/v1/practice/sso", Some(&admin), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert!(r.text.contains(fault), "{fault}: {}", r.text);
    }
    // Not for other staff; after five minutes, only after proving again.
    let nurse = t.login("nina.nurse").await;
    let mut ok = base.clone();
    ok["client_secret"] = json!(CLIENT_SECRET);
    assert!(t.put("/api/v1/practice/sso", Some(&nurse), ok.clone()).await.status.is_client_error());
    t.advance(Span::from_mins(6));
    assert_eq!(t.put("/api/v1/practice/sso", Some(&admin), ok.clone()).await.code(), "reauthentication_required");
    let again = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD})).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "{}", again.text);
    let saved = t.put("/api/v1/practice/sso", Some(&admin), ok).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let shown = t.get("/api/v1/practice/sso", Some(&admin)).await;
    assert_eq!(shown.json()["client_secret_set"], true);
    assert!(shown.json()["redirect_uri"].as_str().unwrap().ends_with("/api/v1/auth/sso/callback"));
    assert!(!shown.text.contains(CLIENT_SECRET), "the secret is never returned");
    // Saving again without a secret keeps it.
    let kept = t.put("/api/v1/practice/sso", Some(&admin), base).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert_eq!(kept.json()["client_secret_set"], true);
    // Sealed, never stored as typed.
    assert_eq!(t.count("SELECT COUNT(*) FROM sso_settings WHERE client_secret_ct IS NOT NULL").await, 1);
    // Work emails: staff only, one per practice.
    let alice = t.user_id("alice").await;
    let r = t.put(&format!("/api/v1/users/{alice}/sso"), Some(&admin), json!({"email": "alice@example.org"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    work_email(&t, &admin, "nina.nurse", "Nina@Riverside.example").await;
    let mo = t.user_id("mo.assistant").await;
    let r = t.put(&format!("/api/v1/users/{mo}/sso"), Some(&admin), json!({"email": "nina@riverside.example"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn a_staff_member_signs_in_through_the_provider() {
    let t = TestApp::spawn().await;
    let idp = Idp::start();
    let admin = t.login("admin").await;
    let practice = configure(&t, &admin, &idp, false).await;
    work_email(&t, &admin, "nina.nurse", "nina@riverside.example").await;
    let subject = "a1b2c3-subject-of-nina";
    idp.user(subject, "Nina@Riverside.example", Some(true)).await;
    idp.mode(&t, "good", "RS256").await;

    // The start: a 303 to the provider with everything the flow needs.
    let authorize = begin(&t, &practice).await;
    for part in [
        "response_type=code",
        &format!("client_id={CLIENT_ID}"),
        "scope=openid%20email%20profile",
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "redirect_uri=https%3A%2F%2F127.0.0.1%3A",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let back = at_provider(&idp, &authorize).await;
    assert!(back.contains("/api/v1/auth/sso/callback?code="), "{back}");
    let landing = finish(&t, &back).await;
    assert_eq!(landing.location, "/?sso=signed_in");
    let token = landing.token.expect("the session cookie");
    let me = t.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["username"], "nina.nurse");
    assert_eq!(t.get("/api/v1/conversations", Some(&token)).await.status, StatusCode::OK, "a full session");

    // The provider saw the right client secret (HTTP Basic) and the PKCE
    // verifier matching the challenge it was given.
    let log = idp.log().await;
    let exchange = log.iter().rfind(|e| e["event"] == "token").unwrap();
    assert_eq!(exchange["client_auth"], "basic");
    assert_eq!(exchange["pkce"], "verified");
    assert_eq!(exchange["decision"], "issued");
    // …and it refuses a wrong verifier, so that proof means something.
    let challenge = query_param(&authorize, "code_challenge").unwrap();
    let own = format!(
        "{}/authorize?response_type=code&client_id={CLIENT_ID}&scope=openid&state=x&nonce=y&redirect_uri=http://x/cb&code_challenge={challenge}&code_challenge_method=S256",
        idp.base
    );
    let code = query_param(&at_provider(&idp, &own).await, "code").unwrap();
    let wrong = idp
        .http
        .post(format!("{}/token", idp.base))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://x/cb"),
            ("code_verifier", "not-the-verifier-not-the-verifier-not-the-ver"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);

    // The same return again: its state was spent.
    let replay = finish(&t, &landing.callback).await;
    assert_eq!(replay.location, "/?sso_error=expired");
    assert!(replay.token.is_none());

    // A state older than ten minutes.
    let late = at_provider(&idp, &begin(&t, &practice).await).await;
    t.advance(Span::from_mins(11));
    idp.mode(&t, "good", "ES256").await;
    assert_eq!(finish(&t, &late).await.location, "/?sso_error=expired");

    // ES256 signs in too; once bound, the subject finds the account
    // whatever the email says now.
    idp.user(subject, "nina.renamed@elsewhere.example", Some(false)).await;
    let by_subject = sso(&t, &idp, &practice).await;
    assert_eq!(by_subject.location, "/?sso=signed_in", "bound by subject");
    let admin = t.login("admin").await;
    let audit = audit_text(&t, &admin).await;
    for needle in ["sso_linked", "first_sign_in", "\"sso\"", "sso:state_spent", "sso:state_expired"] {
        assert!(audit.contains(needle), "{needle} in the audit log");
    }
    for secret in [subject, "nina.renamed@elsewhere.example", CLIENT_SECRET] {
        assert!(!audit.contains(secret), "nothing from the token or the secret in the audit log");
    }

    // Unlinked by an administrator: the subject no longer finds it, and the
    // provider's email (now unverified) cannot bind it again.
    let nina = t.user_id("nina.nurse").await;
    assert_eq!(t.get(&format!("/api/v1/users/{nina}/sso"), Some(&admin)).await.json()["linked"], true);
    let unlinked = t.request(reqwest::Method::DELETE, &format!("/api/v1/users/{nina}/sso"), Some(&admin), None).await;
    assert_eq!(unlinked.status, StatusCode::NO_CONTENT, "{}", unlinked.text);
    assert_eq!(t.get(&format!("/api/v1/users/{nina}/sso"), Some(&admin)).await.json()["linked"], false);
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso_error=email_unverified");
    assert!(audit_text(&t, &admin).await.contains("sso_unlinked"));

    // Another practice's id starts nothing; an unknown one neither.
    let none = begin(&t, "00000000-0000-7000-8000-000000000000").await;
    assert_eq!(none, "/?sso_error=unavailable");
    t.stop().await;
}

#[tokio::test]
async fn tokens_that_fail_a_check_are_refused() {
    let t = TestApp::spawn().await;
    let idp = Idp::start();
    let admin = t.login("admin").await;
    let practice = configure(&t, &admin, &idp, true).await;
    work_email(&t, &admin, "dr.patel", "patel@riverside.example").await;
    idp.user("patel-sub", "patel@riverside.example", Some(true)).await;
    for (mode, alg, reason) in [
        ("forged", "RS256", "sso:bad_signature"),
        ("forged", "ES256", "sso:bad_signature"),
        ("wrong_audience", "RS256", "sso:wrong_audience"),
        ("several_audiences_no_azp", "RS256", "sso:wrong_azp"),
        ("expired", "RS256", "sso:expired"),
        ("wrong_nonce", "ES256", "sso:wrong_nonce"),
        ("wrong_issuer", "RS256", "sso:wrong_issuer"),
        ("alg_none", "RS256", "sso:alg_refused"),
    ] {
        idp.mode(&t, mode, alg).await;
        let landing = sso(&t, &idp, &practice).await;
        assert_eq!(landing.location, "/?sso_error=refused", "{mode} {alg}");
        assert!(landing.token.is_none(), "{mode}: no session");
        let log = t.get("/api/v1/audit-events?action=login_failed&limit=1", Some(&admin)).await.text;
        assert!(log.contains(reason), "{mode} {alg}: {reason} in {log}");
        // Refused before binding anything.
        assert_eq!(t.count("SELECT COUNT(*) FROM sso_accounts WHERE subject IS NOT NULL").await, 0, "{mode}");
    }
    // The same provider, behaving: signed in, a full session at once
    // (the practice trusts the provider's own second factor).
    idp.mode(&t, "good", "RS256").await;
    let landing = sso(&t, &idp, &practice).await;
    assert_eq!(landing.location, "/?sso=signed_in");
    let audit = audit_text(&t, &admin).await;
    assert!(audit.contains("sso+provider_mfa"), "{audit}");

    // A key id not in the cached key set fetches it again, once: a key the
    // provider rotated in is found; one it never published is refused.
    let fetches = |log: &[Value]| log.iter().filter(|e| e["event"] == "jwks").count();
    let before = fetches(&idp.log().await);
    idp.mode(&t, "unknown_kid", "RS256").await;
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso_error=refused");
    let log = t.get("/api/v1/audit-events?action=login_failed&limit=1", Some(&admin)).await.text;
    assert!(log.contains("sso:unknown_key"), "{log}");
    assert_eq!(fetches(&idp.log().await), before + 1, "fetched again once");
    idp.mode(&t, "rotate", "RS256").await;
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso=signed_in", "the rotated key is fetched");
    assert_eq!(fetches(&idp.log().await), before + 2);
    t.stop().await;
}

#[tokio::test]
async fn only_active_staff_with_a_verified_work_email_sign_in() {
    let t = TestApp::spawn().await;
    let idp = Idp::start();
    let admin = t.login("admin").await;
    let practice = configure(&t, &admin, &idp, false).await;
    idp.mode(&t, "good", "RS256").await;
    work_email(&t, &admin, "mo.assistant", "mo@riverside.example").await;
    work_email(&t, &admin, "fran.frontdesk", "fran@riverside.example").await;
    // Another practice's staff member with a work email there.
    let lake_admin = t.login("lake.admin").await;
    work_email(&t, &lake_admin, "lake.nurse", "lake.nurse@lakeside.example").await;

    for (sub, email, verified, code) in [
        ("s-unknown", "stranger@example.org", Some(true), "no_account"),
        ("s-unverified", "mo@riverside.example", Some(false), "email_unverified"),
        ("s-unsaid", "mo@riverside.example", None, "email_unverified"),
        // A patient's address: patients never sign in this way.
        ("s-patient", "alice.nguyen@example.org", Some(true), "no_account"),
        // Staff of another practice: not through this practice's provider.
        ("s-lake", "lake.nurse@lakeside.example", Some(true), "no_account"),
    ] {
        idp.user(sub, email, verified).await;
        let landing = sso(&t, &idp, &practice).await;
        assert_eq!(landing.location, format!("/?sso_error={code}"), "{sub}");
        assert!(landing.token.is_none());
    }
    // A deactivated staff member.
    let fran = t.user_id("fran.frontdesk").await;
    let off = t.post(&format!("/api/v1/users/{fran}/deactivate"), Some(&admin), json!({})).await;
    assert!(off.status.is_success(), "{}", off.text);
    idp.user("s-fran", "fran@riverside.example", Some(true)).await;
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso_error=inactive");
    // No account was made, and none was bound.
    assert_eq!(t.count("SELECT COUNT(*) FROM sso_accounts WHERE subject IS NOT NULL").await, 0);
    let audit = audit_text(&t, &admin).await;
    for reason in ["sso:no_account", "sso:email_unverified", "sso:inactive_user"] {
        assert!(audit.contains(reason), "{reason}");
    }
    assert!(!audit.contains("stranger@example.org"), "no claim in the audit log");
    // Mo, verified, signs in (bound on the way).
    idp.user("s-mo", "mo@riverside.example", Some(true)).await;
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso=signed_in");
    t.stop().await;
}

#[tokio::test]
async fn the_second_factor_is_still_asked_unless_the_provider_is_trusted() {
    let t = TestApp::spawn().await;
    let idp = Idp::start();
    let admin = t.login("admin").await;
    let practice = configure(&t, &admin, &idp, false).await;
    idp.mode(&t, "good", "RS256").await;
    work_email(&t, &admin, "dr.okafor", "okafor@riverside.example").await;
    let okafor = t.login("dr.okafor").await;
    let (uri, _) = enrol(&t, &okafor).await;
    idp.user("s-okafor", "okafor@riverside.example", Some(true)).await;

    let landing = sso(&t, &idp, &practice).await;
    assert!(landing.token.is_none(), "no session before the second step");
    assert!(landing.location.starts_with("/?sso=second_factor#challenge="), "{}", landing.location);
    let challenge = query_param(&landing.location, "challenge").unwrap();
    let methods = query_param(&landing.location, "methods").unwrap();
    assert!(methods.split(',').any(|m| m == "totp"), "{methods}");
    t.advance(Span::from_secs(31));
    let done = t.post("/api/v1/auth/mfa", None, json!({"challenge": challenge, "code": code_now(&t, &uri)})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let audit = audit_text(&t, &admin).await;
    assert!(audit.contains("sso+totp"), "the second step says it followed a single sign-on");

    // Trusted: the provider's sign-in counts as both factors.
    t.advance(Span::from_mins(6));
    let again = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD})).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    configure(&t, &admin, &idp, true).await;
    idp.mode(&t, "good", "ES256").await;
    let trusted = sso(&t, &idp, &practice).await;
    assert_eq!(trusted.location, "/?sso=signed_in");
    assert!(trusted.token.is_some());

    // Not trusted, and the practice requires a second factor of staff: a
    // colleague without one gets a session that can only set one up, as
    // after a password; after the grace period, none.
    configure(&t, &admin, &idp, false).await;
    enrol(&t, &admin).await;
    let on = json!({"staff_second_factor_required": true, "grace_hours": 1});
    let required = t.put("/api/v1/practice/second-factor", Some(&admin), on).await;
    assert_eq!(required.status, StatusCode::NO_CONTENT, "{}", required.text);
    work_email(&t, &admin, "mo.assistant", "mo@riverside.example").await;
    idp.user("s-mo", "mo@riverside.example", Some(true)).await;
    idp.mode(&t, "good", "RS256").await;
    let enrol_only = sso(&t, &idp, &practice).await;
    assert_eq!(enrol_only.location, "/security");
    let token = enrol_only.token.unwrap();
    assert_eq!(t.get("/api/v1/conversations", Some(&token)).await.code(), "second_factor_enrolment_required");
    t.advance(Span::from_hours(2));
    idp.mode(&t, "good", "RS256").await;
    assert_eq!(sso(&t, &idp, &practice).await.location, "/?sso_error=second_factor_overdue");
    t.stop().await;
}
