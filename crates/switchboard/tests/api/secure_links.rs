//! Secure links for patients without an account: staff send one by SMS or
//! email; its holder gives the date of birth, then the one-time code sent
//! to the same address, and reads and answers that one conversation and
//! nothing else. Against the stand-in SMS gateway and aiosmtpd, with a
//! canary in the conversation that no text or email may carry.

use crate::notifications::{Gateway, Sink, TOKEN, readable};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_domain::time::Span;

const CANARY: &str = "ZQX-SECURE-4417";
/// Grace Kim (texts, unenrolled), Evan Brooks (email, unenrolled): both on
/// Dr. Patel's team in Primary Care, where Nina works.
const GRACE: (&str, &str, &str) = ("RFM-1005", "1975-09-30", "+15550100142");
const EVAN: (&str, &str, &str) = ("RFM-1004", "1990-05-17", "evan.brooks@example.org");

async fn spawn(gateway: &Gateway, sink: Option<&Sink>) -> TestApp {
    let url = gateway.start().await;
    let smtp = sink.map(Sink::url);
    TestApp::spawn_with(|c| {
        c.sms_gateway_url = Some(url);
        c.sms_account = Some("AC-test".into());
        c.sms_token = Some(TOKEN.into());
        c.sms_from = Some("+15555550100".into());
        c.smtp_url = smtp;
        c.smtp_from = Some("noreply@example.org".into());
        c.notice_coalescing_secs = 0;
    })
    .await
}

async fn record_id(t: &TestApp, mrn: &str) -> String {
    let admin = t.login("admin").await;
    let list = t.get("/api/v1/patient-accounts?limit=200", Some(&admin)).await.json();
    let found = list.as_array().unwrap().iter().find(|p| p["mrn"] == mrn).cloned();
    found.unwrap_or_else(|| panic!("no {mrn}"))["id"].as_str().unwrap().to_owned()
}

/// Nina starts a conversation with the patient (the canary in its subject
/// and body) and sends it as a secure link; answers its id.
async fn secure_conversation(t: &TestApp, nina: &str, patient: &str, medium: Option<&str>) -> String {
    let r = t
        .start_conversation(
            nina,
            json!({"patient_id": patient, "subject": format!("Lab result {CANARY}"), "topic": "care_question",
                   "body": format!("Your potassium is high {CANARY}")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json()["id"].as_str().unwrap().to_owned();
    send_link(t, nina, &c, medium).await;
    c
}

async fn send_link(t: &TestApp, staff: &str, conversation: &str, medium: Option<&str>) -> Value {
    let body = medium.map_or(json!({}), |m| json!({"medium": m}));
    let r = t.post(&format!("/api/v1/conversations/{conversation}/secure-links"), Some(staff), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

/// The texts the gateway was sent, as (to, body).
fn texts(gateway: &Gateway) -> Vec<(String, String)> {
    let field = |f: &Vec<(String, String)>, k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    gateway.sent().iter().map(|f| (field(f, "To"), field(f, "Body"))).collect()
}

/// The latest text carrying a secure link, and its token.
fn latest_link(gateway: &Gateway) -> String {
    let sent = texts(gateway);
    let (_, body) = sent.iter().rev().find(|(_, b)| b.contains("/secure#token=")).expect("a secure link was texted");
    token_in(body)
}

/// The latest text carrying a code, and the code.
fn latest_code(gateway: &Gateway) -> String {
    let sent = texts(gateway);
    let (_, body) = sent.iter().rev().find(|(_, b)| b.contains("Code: ")).expect("a code was texted");
    code_in(body)
}

fn token_in(text: &str) -> String {
    let at = text.find("/secure#token=").unwrap_or_else(|| panic!("no secure link in {text}")) + "/secure#token=".len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

fn code_in(text: &str) -> String {
    let at = text.find("Code: ").unwrap_or_else(|| panic!("no code in {text}")) + "Code: ".len();
    let code: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{text}");
    code
}

fn no_phi(text: &str) {
    for private in
        [CANARY, "Lab result", "potassium", "Grace", "Kim", "Evan", "Brooks", "1975", "1990", "Patel", "Primary"]
    {
        assert!(!text.contains(private), "{private} in {text}");
    }
}

async fn inspect(t: &TestApp, token: &str) -> Resp {
    t.post("/api/v1/secure-links/inspect", None, json!({"token": token})).await
}

async fn birth_date(t: &TestApp, token: &str, date: &str) -> Resp {
    t.post("/api/v1/secure-links/birth-date", None, json!({"token": token, "birth_date": date})).await
}

async fn open(t: &TestApp, token: &str, code: &str) -> Resp {
    t.post("/api/v1/secure-links/session", None, json!({"token": token, "code": code})).await
}

async fn audited(t: &TestApp, action: &str, detail_like: &str) -> i64 {
    t.count(&format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND detail LIKE '{detail_like}'")).await
}

/// By SMS, end to end: the link, a wrong and a right date of birth, the
/// code by text, a wrong and a right code, then the one conversation read
/// and answered; the link cannot be used again, and no text carries the
/// conversation.
#[tokio::test]
async fn a_secure_link_by_sms_opens_its_conversation_after_the_birth_date_and_a_code() {
    let gateway = Gateway::default();
    let t = spawn(&gateway, None).await;
    let nina = t.login("nina.nurse").await;
    let grace = record_id(&t, GRACE.0).await;
    let c = secure_conversation(&t, &nina, &grace, None).await;
    t.run_due_jobs().await;
    let sent = texts(&gateway);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, GRACE.2);
    assert!(sent[0].1.contains("You have a secure message from Riverside Family Medicine"), "{}", sent[0].1);
    no_phi(&sent[0].1);
    let token = token_in(&sent[0].1);

    let info = inspect(&t, &token).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!(info.json(), json!({"practice_name": "Riverside Family Medicine", "medium": "sms", "code_sent": false}));

    // A wrong date gets the same answer as a right one, and sends nothing.
    let wrong = birth_date(&t, &token, "1975-09-29").await;
    assert_eq!(wrong.status, StatusCode::ACCEPTED, "{}", wrong.text);
    assert_eq!(wrong.json(), json!({"medium": "sms"}));
    let not_a_date = birth_date(&t, &token, "soon").await;
    assert_eq!((not_a_date.status, not_a_date.json()), (StatusCode::ACCEPTED, json!({"medium": "sms"})));
    t.run_due_jobs().await;
    assert_eq!(texts(&gateway).len(), 1, "a wrong date sends no code");
    assert_eq!(audited(&t, "link_refused", "wrong_birth_date=%").await, 2);

    let right = birth_date(&t, &token, GRACE.1).await;
    assert_eq!((right.status, right.json()), (StatusCode::ACCEPTED, json!({"medium": "sms"})));
    t.run_due_jobs().await;
    let sent = texts(&gateway);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].0, GRACE.2);
    assert!(sent[1].1.contains("Riverside Family Medicine") && sent[1].1.contains("911"), "{}", sent[1].1);
    no_phi(&sent[1].1);
    let code = code_in(&sent[1].1);
    assert_eq!(audited(&t, "code_sent", "%medium=sms").await, 1);
    assert_eq!(inspect(&t, &token).await.json()["code_sent"], true);

    let wrong_code = if code == "000000" { "000001" } else { "000000" };
    let r = open(&t, &token, wrong_code).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "code");
    assert_eq!(audited(&t, "link_refused", "wrong_code=1").await, 1);

    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let r = open(&t, &token, &spaced).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.header("set-cookie").unwrap().contains("HttpOnly"));
    let session = r.json();
    assert_eq!(session["conversation_id"], c.as_str());
    let holder = session["token"].as_str().unwrap().to_owned();
    assert_eq!(audited(&t, "link_redeemed", "secure_link;%").await, 1);

    // The one conversation: read and answered.
    let me = t.get("/api/v1/me", Some(&holder)).await.json();
    assert_eq!(me["kind"], "patient");
    assert_eq!(me["secure_conversation_id"], c.as_str());
    assert_eq!(me["display_name"], "Grace Kim");
    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&holder)).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text);
    assert!(view.text.contains(CANARY));
    let r = t.post(&format!("/api/v1/conversations/{c}/read"), Some(&holder), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/messages"),
            Some(&holder),
            json!({"body": "Should I stop the pills?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let staff_view = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.json();
    let last = staff_view["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["sender"]["kind"], "patient", "{last}");
    assert_eq!(t.get("/api/v1/practice", Some(&holder)).await.status, StatusCode::OK);

    // Spent: the link and its code open nothing more.
    assert_eq!(inspect(&t, &token).await.status, StatusCode::GONE);
    assert_eq!(open(&t, &token, &code).await.status, StatusCode::GONE);
    assert_eq!(birth_date(&t, &token, GRACE.1).await.status, StatusCode::GONE);
    assert_eq!(audited(&t, "link_refused", "used").await, 3);
    t.stop().await;
}

/// A secure-link session reaches its one conversation and nothing else:
/// not the list, not another conversation of the same patient, not the
/// record, contact details or notifications, not a new conversation, not
/// closing or rating; each refusal is audited and answers "not found".
#[tokio::test]
async fn a_secure_link_session_reaches_its_one_conversation_only() {
    let gateway = Gateway::default();
    let t = spawn(&gateway, None).await;
    let nina = t.login("nina.nurse").await;
    let grace = record_id(&t, GRACE.0).await;
    let c = secure_conversation(&t, &nina, &grace, Some("sms")).await;
    let other = t
        .start_conversation(
            &nina,
            json!({"patient_id": grace, "subject": "Another", "topic": "care_question", "body": "Another thread"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let holder = holder_session(&t, &gateway, GRACE.1).await;

    let refused_before = t.count("SELECT count(*) FROM audit_log WHERE action = 'access_refused'").await;
    let outside: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/conversations".into(), None),
        (Method::GET, format!("/api/v1/conversations/{other}"), None),
        (Method::POST, format!("/api/v1/conversations/{other}/messages"), Some(json!({"body": "hi"}))),
        (Method::POST, format!("/api/v1/conversations/{other}/read"), Some(json!({}))),
        (
            Method::POST,
            "/api/v1/conversations".into(),
            Some(json!({"subject": "x", "topic": "care_question", "body": "x"})),
        ),
        (Method::POST, format!("/api/v1/conversations/{c}/close"), Some(json!({}))),
        (Method::POST, format!("/api/v1/conversations/{c}/rating"), Some(json!({"score": 5}))),
        (Method::POST, format!("/api/v1/conversations/{c}/secure-links"), Some(json!({}))),
        (Method::GET, "/api/v1/me/contact".into(), None),
        (Method::GET, "/api/v1/me/notifications".into(), None),
        (Method::GET, "/api/v1/me/notification-choices".into(), None),
        (Method::GET, "/api/v1/me/providers".into(), None),
        (Method::GET, "/api/v1/inbox/counts".into(), None),
        (Method::GET, format!("/api/v1/patient-accounts/{grace}"), None),
        (Method::GET, "/api/v1/patient-accounts".into(), None),
        (Method::GET, "/api/v1/audit-events".into(), None),
        // Where its holder is signed in is not for a link's session.
        (Method::GET, "/api/v1/me/sessions".into(), None),
        (Method::POST, "/api/v1/me/sessions/end-others".into(), Some(json!({}))),
        (Method::DELETE, "/api/v1/me/sessions/0193b0c4-0000-7000-8000-000000000001".into(), None),
    ];
    for (method, path, body) in &outside {
        let r = t.request(method.clone(), path, Some(&holder), body.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
        assert!(!r.text.contains(CANARY) && !r.text.contains("Another"), "{path}: {}", r.text);
    }
    let refused = t.count("SELECT count(*) FROM audit_log WHERE action = 'access_refused'").await - refused_before;
    let by_policy =
        t.count("SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND detail LIKE 'denied:%outside_link'").await;
    assert!(refused >= 10, "refusals before the use case are audited: {refused}");
    assert!(by_policy >= refused, "{by_policy} < {refused}");
    // Its own conversation still works, and staff still see everything.
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&holder)).await.status, StatusCode::OK);
    assert_eq!(t.get(&format!("/api/v1/conversations/{other}"), Some(&nina)).await.status, StatusCode::OK);
    // The account made for the link cannot sign in.
    let username: String = {
        use sqlx::Row as _;
        let mut db = t.db().await;
        let row = sqlx::query("SELECT username FROM users WHERE username LIKE '~secure-link-%'")
            .fetch_one(&mut db)
            .await
            .unwrap();
        row.get("username")
    };
    assert_eq!(t.try_login(&username, "").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.try_login(&username, "correct horse battery staple").await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

/// Opens the one secure link the gateway carried (the latest), with
/// `date` as the birth date; answers the session token.
async fn holder_session(t: &TestApp, gateway: &Gateway, date: &str) -> String {
    t.run_due_jobs().await;
    let token = latest_link(gateway);
    assert_eq!(birth_date(t, &token, date).await.status, StatusCode::ACCEPTED);
    t.run_due_jobs().await;
    let code = latest_code(gateway);
    let r = open(t, &token, &code).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["token"].as_str().unwrap().to_owned()
}

/// By email: the link and the code go to the address on file, each a
/// proper email naming the practice and nothing of the conversation; the
/// patient then answers, and is offered full enrollment (an invitation to
/// the same address).
#[tokio::test]
async fn a_secure_link_by_email_sends_the_code_by_email_and_offers_enrollment() {
    let gateway = Gateway::default();
    let sink = Sink::start();
    let t = spawn(&gateway, Some(&sink)).await;
    let nina = t.login("nina.nurse").await;
    let evan = record_id(&t, EVAN.0).await;
    // Evan has no mobile number: asking for SMS is refused, by name of field.
    let r = t
        .start_conversation(&nina, json!({"patient_id": evan, "subject": "S", "topic": "care_question", "body": "B"}))
        .await;
    let first = r.json()["id"].as_str().unwrap().to_owned();
    let r = t.post(&format!("/api/v1/conversations/{first}/secure-links"), Some(&nina), json!({"medium": "sms"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "medium");

    let c = secure_conversation(&t, &nina, &evan, None).await;
    t.run_due_jobs().await;
    let mail = sink.received();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, vec![EVAN.2.to_owned()]);
    let text = readable(&mail[0].1);
    assert!(text.contains("Subject: You have a secure message from Riverside Family Medicine"), "{text}");
    no_phi(&text);
    let token = token_in(&text);
    assert_eq!(inspect(&t, &token).await.json()["medium"], "email");
    assert_eq!(birth_date(&t, &token, EVAN.1).await.json(), json!({"medium": "email"}));
    t.run_due_jobs().await;
    let mail = sink.received();
    assert_eq!(mail.len(), 2, "{mail:?}");
    let text = readable(&mail[1].1);
    assert!(text.contains("verification code"), "{text}");
    no_phi(&text);
    let code = code_in(&text);
    assert!(texts(&gateway).is_empty(), "nothing by text for an email link");
    let r = open(&t, &token, &code).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let holder = r.json()["token"].as_str().unwrap().to_owned();
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&holder), json!({"body": "Thank you"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.get(&format!("/api/v1/conversations/{first}"), Some(&holder)).await.status, StatusCode::NOT_FOUND);

    // Full enrollment: an invitation to the same address, through the
    // invitation flow (the welcome page asks the date of birth again).
    let r = t.post("/api/v1/secure-links/enrollment", Some(&holder), json!({})).await;
    assert_eq!((r.status, r.json()), (StatusCode::ACCEPTED, json!({"medium": "email"})), "{}", r.text);
    t.run_due_jobs().await;
    let mail = sink.received();
    assert_eq!(mail.len(), 3);
    let text = readable(&mail[2].1);
    assert!(text.contains("/welcome#token="), "{text}");
    no_phi(&text);
    let at = text.find("/welcome#token=").unwrap() + "/welcome#token=".len();
    let invitation: String =
        text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let r = t.post("/api/v1/links/inspect", None, json!({"token": invitation})).await;
    assert_eq!(r.json()["purpose"], "invitation", "{}", r.text);
    let r = t
        .post(
            "/api/v1/links/redeem",
            None,
            json!({"token": invitation, "password": "a long enough passphrase", "username": "evan", "birth_date": EVAN.1, "terms_version": 1}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    // Enrolled: his own sign-in lists both conversations, the secure
    // session still only its one.
    let signed_in = t.try_login("evan", "a long enough passphrase").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let own = signed_in.json()["token"].as_str().unwrap().to_owned();
    let list = t.get("/api/v1/conversations", Some(&own)).await.json();
    let listed = ids(&list);
    assert!(listed.contains(&c) && listed.contains(&first), "{list}");
    assert_eq!(t.get("/api/v1/conversations", Some(&holder)).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

/// Links and codes expire, wrong answers run out and revoke the link,
/// unknown tokens from one address are throttled, and only staff who work
/// the conversation send links.
#[tokio::test]
async fn secure_links_expire_run_out_and_are_throttled() {
    let gateway = Gateway::default();
    let t = spawn(&gateway, None).await;
    let nina = t.login("nina.nurse").await;
    let grace = record_id(&t, GRACE.0).await;
    let c = secure_conversation(&t, &nina, &grace, None).await;
    t.run_due_jobs().await;
    let expired = latest_link(&gateway);

    // Only staff who work the conversation send links.
    let okafor = t.login("dr.okafor").await;
    let r = t.post(&format!("/api/v1/conversations/{c}/secure-links"), Some(&okafor), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let alice = t.login("alice").await;
    let own = t.patient_conversation(&alice, "Mine", "Mine").await;
    let r = t.post(&format!("/api/v1/conversations/{own}/secure-links"), Some(&alice), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // The link lasts 72 hours.
    t.advance(Span::from_hours(72));
    assert_eq!(inspect(&t, &expired).await.status, StatusCode::GONE);
    assert_eq!(audited(&t, "link_refused", "expired").await, 1);
    let nina = t.login("nina.nurse").await;

    // Five wrong dates revoke the link; the right one then opens nothing.
    send_link(&t, &nina, &c, Some("sms")).await;
    t.run_due_jobs().await;
    let token = latest_link(&gateway);
    for n in 1..=4 {
        let r = birth_date(&t, &token, "2000-01-01").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "try {n}: {}", r.text);
    }
    assert_eq!(birth_date(&t, &token, "2000-01-01").await.status, StatusCode::GONE);
    assert_eq!(birth_date(&t, &token, GRACE.1).await.status, StatusCode::GONE);
    let before = texts(&gateway).len();
    t.run_due_jobs().await;
    assert_eq!(texts(&gateway).len(), before, "no code for a revoked link");

    // A code lasts ten minutes.
    send_link(&t, &nina, &c, None).await;
    t.run_due_jobs().await;
    let token = latest_link(&gateway);
    assert_eq!(birth_date(&t, &token, GRACE.1).await.status, StatusCode::ACCEPTED);
    t.run_due_jobs().await;
    let code = latest_code(&gateway);
    t.advance(Span::from_mins(10));
    let r = open(&t, &token, &code).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an expired code: {}", r.text);
    // A new code (the date again) works, once.
    assert_eq!(birth_date(&t, &token, GRACE.1).await.status, StatusCode::ACCEPTED);
    t.run_due_jobs().await;
    let fresh = latest_code(&gateway);
    if fresh != code {
        assert_eq!(open(&t, &token, &code).await.status, StatusCode::UNPROCESSABLE_ENTITY, "the old code is gone");
    }
    assert_eq!(open(&t, &token, &fresh).await.status, StatusCode::CREATED);
    assert_eq!(open(&t, &token, &fresh).await.status, StatusCode::GONE, "single use");

    // Five wrong codes revoke the link.
    send_link(&t, &nina, &c, None).await;
    t.run_due_jobs().await;
    let token = latest_link(&gateway);
    assert_eq!(birth_date(&t, &token, GRACE.1).await.status, StatusCode::ACCEPTED);
    t.run_due_jobs().await;
    let code = latest_code(&gateway);
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 1..=4 {
        assert_eq!(open(&t, &token, wrong).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(open(&t, &token, wrong).await.status, StatusCode::GONE);
    assert_eq!(open(&t, &token, &code).await.status, StatusCode::GONE, "revoked: even the right code");
    assert_eq!(audited(&t, "link_refused", "wrong_code=5").await, 1);

    // Guessing tokens from one address is throttled.
    let mut throttled = false;
    for n in 0..40 {
        let r = inspect(&t, &format!("guess-{n}-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.header("retry-after").is_some());
            throttled = true;
            break;
        }
        assert_eq!(r.status, StatusCode::GONE);
    }
    assert!(throttled, "40 unknown tokens from one address are throttled");
    assert!(audited(&t, "link_refused", "unknown_token").await >= 1);
    t.stop().await;
}

/// An enrolled patient may be sent a secure link too: the session runs as
/// their own account but still reaches only the one conversation, and
/// their own sign-in is untouched.
#[tokio::test]
async fn an_enrolled_patients_secure_link_is_kept_to_its_conversation() {
    let gateway = Gateway::default();
    let t = spawn(&gateway, None).await;
    let okafor = t.login("dr.okafor").await;
    let bob = t.patient_id("bob").await;
    let c = secure_conversation(&t, &okafor, &bob, Some("sms")).await;
    let holder = holder_session(&t, &gateway, "1962-07-21").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&holder)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/conversations", Some(&holder)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me/contact", Some(&holder)).await.status, StatusCode::NOT_FOUND);
    let r = t.post("/api/v1/secure-links/enrollment", Some(&holder), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "already enrolled: {}", r.text);
    let own = t.login("bob").await;
    assert_eq!(t.get("/api/v1/conversations", Some(&own)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me/contact", Some(&own)).await.status, StatusCode::OK);
    assert_eq!(t.count("SELECT count(*) FROM users WHERE username LIKE '~secure-link-%'").await, 0);
    t.stop().await;
}

/// Staff who sent a link see what became of it: queued, then sent, then
/// opened and used; with no text-message service, failed with
/// `no_channel`. Only for staff who may send one, and only about its own
/// conversation; never the address or the words.
#[tokio::test]
async fn staff_see_what_became_of_a_secure_link() {
    let gateway = Gateway::default();
    let t = spawn(&gateway, None).await;
    let nina = t.login("nina.nurse").await;
    let grace = record_id(&t, GRACE.0).await;
    let c = secure_conversation(&t, &nina, &grace, Some("sms")).await;
    let other = secure_conversation(&t, &nina, &grace, Some("sms")).await;
    let sent = send_link(&t, &nina, &c, None).await;
    let link = sent["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conversations/{c}/secure-links/{link}");

    let queued = t.get(&path, Some(&nina)).await;
    assert_eq!(queued.status, StatusCode::OK, "{}", queued.text);
    let v = queued.json();
    assert_eq!((v["medium"].as_str(), v["state"].as_str()), (Some("sms"), Some("queued")), "{v}");
    assert!(v["sent_at"].is_null() && v["opened_at"].is_null() && v["used_at"].is_null(), "{v}");
    assert_eq!(v["expires_at"], sent["expires_at"]);
    assert!(!queued.text.contains(GRACE.2) && !queued.text.contains("0142"), "no address: {}", queued.text);

    t.run_due_jobs().await;
    let v = t.get(&path, Some(&nina)).await.json();
    assert_eq!(v["state"], "sent", "{v}");
    assert!(v["sent_at"].is_string() && v["reason"].is_null(), "{v}");

    assert_eq!(inspect(&t, &latest_link(&gateway)).await.status, StatusCode::OK);
    let v = t.get(&path, Some(&nina)).await.json();
    assert!(v["opened_at"].is_string() && v["used_at"].is_null(), "{v}");
    let session = holder_session(&t, &gateway, GRACE.1).await;
    let v = t.get(&path, Some(&nina)).await.json();
    assert!(v["opened_at"].is_string() && v["used_at"].is_string(), "{v}");

    // Not for the patient, nor for staff who do not work the conversation,
    // nor about another conversation's link.
    assert_eq!(t.get(&path, Some(&session)).await.status, StatusCode::NOT_FOUND);
    let alice = t.login("alice").await;
    assert_eq!(t.get(&path, Some(&alice)).await.status, StatusCode::NOT_FOUND);
    let okafor = t.login("dr.okafor").await;
    assert_eq!(t.get(&path, Some(&okafor)).await.status, StatusCode::NOT_FOUND);
    let elsewhere = t.get(&format!("/api/v1/conversations/{other}/secure-links/{link}"), Some(&nina)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.text);
    t.stop().await;

    // No text-message service: the link is not sent, and says why.
    let t = TestApp::spawn().await;
    let nina = t.login("nina.nurse").await;
    let grace = record_id(&t, GRACE.0).await;
    let r = t
        .start_conversation(
            &nina,
            json!({"patient_id": grace, "subject": "Results", "topic": "care_question", "body": "Your results are in."}),
        )
        .await;
    let c = r.json()["id"].as_str().unwrap().to_owned();
    let link = send_link(&t, &nina, &c, None).await["id"].as_str().unwrap().to_owned();
    t.run_due_jobs().await;
    let v = t.get(&format!("/api/v1/conversations/{c}/secure-links/{link}"), Some(&nina)).await.json();
    assert_eq!((v["state"].as_str(), v["reason"].as_str()), (Some("failed"), Some("no_channel")), "{v}");
    t.stop().await;
}
