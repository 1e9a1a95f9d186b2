//! Notifications outside the app, against real peers: an SMTP server
//! (aiosmtpd), a stand-in SMS gateway, and the gateway's signed inbound
//! texts. Every captured message is scanned for a canary written into the
//! conversation's subject and bodies.

use crate::peers;
use crate::support::*;
use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use switchboard_domain::time::Span;

const CANARY: &str = "ZQX-CANARY-7731";

/// An aiosmtpd server and what it has received (raw messages).
pub(crate) struct Sink {
    peer: peers::Peer,
    _dir: tempfile::TempDir,
    output: std::path::PathBuf,
}

impl Sink {
    pub(crate) fn start() -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("received.jsonl");
        Sink { peer: peers::Peer::start("smtp_sink.py", &[output.to_str().unwrap()]), _dir: dir, output }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.peer.port)
    }

    pub(crate) fn received(&self) -> Vec<(Vec<String>, String)> {
        let text = std::fs::read_to_string(&self.output).unwrap_or_default();
        text.lines()
            .map(|line| {
                let r: Value = serde_json::from_str(line).unwrap();
                let raw = base64::engine::general_purpose::STANDARD.decode(r["data_b64"].as_str().unwrap()).unwrap();
                let to = r["rcpt_tos"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
                (to, String::from_utf8(raw).unwrap())
            })
            .collect()
    }
}

/// Text of a captured email with quoted-printable soft breaks undone, for
/// searching.
pub(crate) fn readable(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// A test server that emails through `smtp_url`, coalescing off.
async fn emailing_app(smtp_url: String) -> TestApp {
    TestApp::spawn_with(|c| {
        c.smtp_url = Some(smtp_url);
        c.smtp_from = Some("noreply@example.org".into());
        c.notice_coalescing_secs = 0;
    })
    .await
}

async fn reply(t: &TestApp, token: &str, conversation: &str, body: &str) {
    let r = t.post(&format!("/api/v1/conversations/{conversation}/messages"), Some(token), json!({"body": body})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn deliveries(t: &TestApp, admin: &str, username: &str) -> Value {
    let patient = t.patient_id(username).await;
    let r = t.get(&format!("/api/v1/patient-accounts/{patient}/deliveries"), Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// A burst of staff replies makes one email, after the coalescing window,
/// to the address on file; it names the practice and links to the
/// conversation, and carries nothing of it.
#[tokio::test]
async fn staff_replies_reach_the_patient_by_email_once_per_burst_with_no_phi() {
    let sink = Sink::start();
    let t = TestApp::spawn_with(|c| {
        c.smtp_url = Some(sink.url());
        c.smtp_from = Some("Riverside Messages <noreply@example.org>".into());
    })
    .await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, &format!("Rash {CANARY}"), &format!("My rash is spreading {CANARY}")).await;
    reply(&t, &nina, &c, &format!("Please send a photo {CANARY}")).await;
    reply(&t, &nina, &c, &format!("And your temperature {CANARY}")).await;
    t.run_due_jobs().await;
    assert!(sink.received().is_empty(), "nothing before the coalescing window ends");

    t.advance(Span::from_secs(121));
    t.run_due_jobs().await;
    let mail = sink.received();
    assert_eq!(mail.len(), 1, "one notice for the burst: {mail:?}");
    let (to, raw) = &mail[0];
    assert_eq!(to, &vec!["alice.nguyen@example.org".to_owned()]);
    let text = readable(raw);
    assert!(text.contains("Riverside Family Medicine"), "{text}");
    assert!(text.contains(&format!("/app#/c/{c}")), "links to the conversation: {text}");
    assert!(text.contains("911"), "{text}");
    for private in [CANARY, "Rash", "rash", "photo", "Alice", "Nguyen", "Primary", "Patel"] {
        assert!(!text.contains(private), "{private} in the email:\n{text}");
    }
    assert!(raw.contains("multipart/alternative") && raw.contains("Message-ID:"), "{raw}");

    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "alice").await;
    let list = d["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{d}");
    assert_eq!(list[0]["medium"], "email");
    assert_eq!(list[0]["kind"], "staff_reply");
    assert_eq!(list[0]["state"], "sent");
    assert!(!d.to_string().contains("alice.nguyen"), "staff see states, not addresses: {d}");

    // A reply the patient reads within the window is not notified.
    reply(&t, &nina, &c, "One more thing").await;
    let r = t.get(&format!("/api/v1/conversations/{c}"), Some(&alice)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.post(&format!("/api/v1/conversations/{c}/read"), Some(&alice), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    t.advance(Span::from_secs(121));
    t.run_due_jobs().await;
    assert_eq!(sink.received().len(), 1, "read in the app: no email");
    t.stop().await;
}

/// The SMTP server is down: the email waits and is retried with backoff,
/// and goes once the server is back.
#[tokio::test]
async fn an_email_waits_while_the_smtp_server_is_down() {
    let sink = Sink::start();
    let dead = format!("smtp://127.0.0.1:{}", peers::free_port());
    let mut t = emailing_app(dead).await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Question", "Hello").await;
    reply(&t, &nina, &c, "Hello back").await;
    t.run_due_jobs().await;
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "alice").await;
    assert_eq!(d["deliveries"][0]["state"], "queued", "{d}");
    assert_eq!(d["deliveries"][0]["reason"], "smtp_unavailable", "{d}");
    assert_eq!(d["deliveries"][0]["attempts"], 1, "{d}");

    // The server comes back (at another address, for the test).
    t.config.smtp_url = Some(sink.url());
    t.restart().await;
    t.advance(Span::from_secs(11));
    t.run_due_jobs().await;
    assert_eq!(sink.received().len(), 1);
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "alice").await;
    assert_eq!(d["deliveries"][0]["state"], "sent", "{d}");
    assert_eq!(d["deliveries"][0]["attempts"], 2, "{d}");
    t.stop().await;
}

/// With no channel configured, what would have been sent waits in the
/// outbox for administrators, and the patient's record says why.
#[tokio::test]
async fn with_no_channel_administrators_see_the_outbox() {
    let t = TestApp::spawn_with(|c| c.notice_coalescing_secs = 0).await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, &format!("Subject {CANARY}"), &format!("Body {CANARY}")).await;
    reply(&t, &nina, &c, &format!("Reply {CANARY}")).await;
    t.run_due_jobs().await;
    let admin = t.login("admin").await;
    let r = t.get("/api/v1/outbox", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.json();
    let item = &items.as_array().unwrap()[0];
    assert_eq!(item["to"], "alice.nguyen@example.org");
    assert_eq!(item["medium"], "email");
    assert!(item["text"].as_str().unwrap().contains(&format!("/app#/c/{c}")), "{item}");
    assert!(!items.to_string().contains(CANARY), "{items}");
    let d = deliveries(&t, &admin, "alice").await;
    assert_eq!(d["deliveries"][0]["state"], "failed", "{d}");
    assert_eq!(d["deliveries"][0]["reason"], "no_channel", "{d}");
    assert_eq!(d["unreachable"][0]["medium"], "email", "{d}");
    // Only administrators.
    assert_eq!(t.get("/api/v1/outbox", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/outbox", Some(&alice)).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

/// A stand-in SMS gateway: every form it is sent.
#[derive(Clone, Default)]
pub struct Gateway(Arc<Mutex<Vec<Form>>>);

pub type Form = Vec<(String, String)>;

impl Gateway {
    pub async fn start(&self) -> String {
        let seen = self.0.clone();
        let app = axum::Router::new().route(
            "/send",
            axum::routing::post(move |body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    let mut seen = seen.lock().unwrap();
                    seen.push(serde_urlencoded::from_bytes(&body).unwrap());
                    // Twilio's message ids: "SM" and 32 hex digits.
                    (StatusCode::CREATED, axum::Json(json!({"sid": format!("SM{:032x}", seen.len())})))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://127.0.0.1:{port}/send")
    }

    /// A test server that texts through this gateway.
    pub async fn spawn_app(&self, more: impl FnOnce(&mut switchboard::config::Config)) -> TestApp {
        let url = self.start().await;
        TestApp::spawn_with(|c| {
            c.sms_gateway_url = Some(url);
            c.sms_account = Some("AC-test".into());
            c.sms_token = Some(TOKEN.into());
            c.sms_from = Some("+15555550100".into());
            more(c);
        })
        .await
    }

    pub fn sent(&self) -> Vec<Form> {
        self.0.lock().unwrap().clone()
    }

    /// The one text sent, which carries a link: to whom, its words, and
    /// the link's token.
    pub fn only_link_texted(&self) -> (String, String, String) {
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let field = |k: &str| sent[0].iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        let body = field("Body");
        let token = body.split_once("#token=").map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned());
        (field("To"), body.clone(), token.unwrap_or_else(|| panic!("no link in {body}")))
    }
}

pub const TOKEN: &str = "gateway-secret-token";

async fn text_in(t: &TestApp, path: &str, fields: &[(&str, &str)], sign: bool) -> Resp {
    let params: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let url = format!("https://localhost:{}{path}", t.running().addr.port());
    let signature = if sign { switchboard_couriers::twilio_signature(TOKEN, &url, &params) } else { "bad".to_owned() };
    let body = serde_urlencoded::to_string(&params).unwrap();
    let r = t
        .client
        .post(t.url(path))
        .header("X-Twilio-Signature", signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    Resp { status, headers: r.headers().clone(), text: r.text().await.unwrap() }
}

/// STOP by text is honoured (nothing more is texted, and the record says
/// so), START turns texts back on, and the texts carry nothing of the
/// conversation; unsigned requests are refused.
#[tokio::test]
async fn sms_opt_out_and_back_in() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|c| c.notice_coalescing_secs = 0).await;
    let bob_number = "+15550100103";
    let unsigned = text_in(&t, "/api/v1/sms/inbound", &[("From", bob_number), ("Body", "STOP")], false).await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    assert_eq!(unsigned.json()["error"]["code"], "signature_invalid");
    let stop = text_in(&t, "/api/v1/sms/inbound", &[("From", bob_number), ("Body", "stop")], true).await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text);
    assert!(stop.text.contains("<Message>") && stop.text.contains("START"), "{}", stop.text);

    let bob = t.login("bob").await;
    let staff = t.login("dr.okafor").await;
    let c = t.patient_conversation(&bob, &format!("Chest {CANARY}"), &format!("Pain {CANARY}")).await;
    reply(&t, &staff, &c, &format!("Call us {CANARY}")).await;
    t.run_due_jobs().await;
    assert!(gateway.sent().is_empty(), "an opted-out number is never texted");
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "bob").await;
    assert_eq!(d["deliveries"][0]["state"], "opted_out", "{d}");
    assert_eq!(d["unreachable"][0]["medium"], "sms", "{d}");

    let start = text_in(&t, "/api/v1/sms/inbound", &[("From", bob_number), ("Body", "START")], true).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    reply(&t, &staff, &c, &format!("Again {CANARY}")).await;
    t.advance(Span::from_secs(1));
    t.run_due_jobs().await;
    let sent = gateway.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let field = |k: &str| sent[0].iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(field("To"), bob_number);
    assert_eq!(field("From"), "+15555550100");
    let body = field("Body");
    assert!(body.contains("Riverside Family Medicine") && body.contains("911"), "{body}");
    for private in [CANARY, "Chest", "Pain", "Bob", "Martinez", "Cardiology", "Okafor"] {
        assert!(!body.contains(private), "{private} in {body}");
    }
    let d = deliveries(&t, &admin, "bob").await;
    assert_eq!(d["deliveries"][0]["state"], "sent", "{d}");
    assert!(d["unreachable"].as_array().unwrap().is_empty(), "{d}");

    // The gateway reports it delivered.
    let report = text_in(
        &t,
        "/api/v1/sms/status",
        &[("MessageSid", &format!("SM{:032x}", 1)), ("MessageStatus", "delivered")],
        true,
    )
    .await;
    assert_eq!(report.status, StatusCode::NO_CONTENT, "{}", report.text);
    let d = deliveries(&t, &admin, "bob").await;
    assert_eq!(d["deliveries"][0]["state"], "delivered", "{d}");
    t.stop().await;
}

/// Choices: the media and quiet hours are checked, and quiet hours hold a
/// routine notice until they end.
#[tokio::test]
async fn choices_are_checked_and_quiet_hours_hold_routine_notices() {
    let t = TestApp::spawn_with(|c| c.notice_coalescing_secs = 0).await;
    let alice = t.login("alice").await;
    let bad = t.put("/api/v1/me/notification-choices", Some(&alice), json!({"media": ["fax"]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.json()["error"]["field"], "media");
    let quiet = |from: &str, to: &str| {
        t.put(
            "/api/v1/me/notification-choices",
            Some(&alice),
            json!({"media": ["email"], "quiet_hours": {"from": from, "to": to}}),
        )
    };
    let bad = quiet("25:00", "07:00").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    // T0 is 10:00 in the practice's zone: quiet from 09:00 to 11:00.
    let ok = quiet("09:00", "11:00").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json()["effective_quiet_hours"]["from"], "09:00");
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Question", "Hello").await;
    reply(&t, &nina, &c, "Hello back").await;
    t.run_due_jobs().await;
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "alice").await;
    assert_eq!(d["deliveries"][0]["state"], "queued", "held in quiet hours: {d}");
    t.advance(Span::from_mins(61));
    t.run_due_jobs().await;
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "alice").await;
    assert_eq!(d["deliveries"][0]["reason"], "no_channel", "released at the end of quiet hours: {d}");
    t.stop().await;
}

/// One request a push service received: its headers and body.
type Pushed = (axum::http::HeaderMap, Vec<u8>);

/// A stand-in push service: what it is sent, and the status it answers
/// (201, or 410 once the browser has "unsubscribed").
#[derive(Clone, Default)]
struct PushService {
    seen: Arc<Mutex<Vec<Pushed>>>,
    /// The subscription (the endpoint's last segment) each push went to.
    to: Arc<Mutex<Vec<String>>>,
    gone: Arc<std::sync::atomic::AtomicBool>,
}

impl PushService {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/push/{id}",
            axum::routing::post(
                move |axum::extract::Path(id): axum::extract::Path<String>,
                      headers: axum::http::HeaderMap,
                      body: axum::body::Bytes| {
                    let me = me.clone();
                    async move {
                        me.to.lock().unwrap().push(id);
                        me.seen.lock().unwrap().push((headers, body.to_vec()));
                        if me.gone.load(std::sync::atomic::Ordering::SeqCst) {
                            StatusCode::GONE
                        } else {
                            StatusCode::CREATED
                        }
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://127.0.0.1:{port}/push/browser-1")
    }
}

/// Runs `.ci/peers/webpush_decrypt.py` (http_ece, an independent RFC 8291
/// implementation) with `input` on standard input.
fn browser(args: &[&str], input: Option<&Value>) -> Vec<u8> {
    use std::io::Write as _;
    let script = peers::workspace().join(".ci/peers/webpush_decrypt.py");
    let mut child = std::process::Command::new(peers::python())
        .arg(script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A browser subscribes; a staff reply reaches it as a Web Push message
/// that an independent implementation decrypts to the practice's name, a
/// fixed wording and the conversation's page, and nothing else. A push
/// service that answers 410 loses the subscription.
#[tokio::test]
async fn push_reaches_a_subscribed_browser_and_a_gone_one_is_dropped() {
    let service = PushService::default();
    let endpoint = service.start().await;
    let t = TestApp::spawn_with(|c| {
        c.allow_loopback_push = true;
        c.notice_coalescing_secs = 0;
    })
    .await;
    let carol = t.login("carol").await;
    let key = t.get("/api/v1/push/key", Some(&carol)).await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.text);
    assert_eq!(key.json()["public_key"].as_str().unwrap().len(), 87, "65 bytes, base64url");
    let keys: Value = serde_json::from_slice(&browser(&["keygen"], None)).unwrap();
    let subscription = json!({
        "endpoint": endpoint,
        "expirationTime": null,
        "keys": {"p256dh": keys["ua_public_b64"], "auth": keys["auth_b64"]},
    });
    let bad = t
        .post(
            "/api/v1/me/push-subscriptions",
            Some(&carol),
            json!({"endpoint": "http://10.1.2.3/x", "keys": subscription["keys"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let r = t.post("/api/v1/me/push-subscriptions", Some(&carol), subscription).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let subscription_id = r.json()["id"].as_str().unwrap().to_owned();

    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&carol, &format!("Dizzy {CANARY}"), &format!("Since Monday {CANARY}")).await;
    reply(&t, &nina, &c, &format!("Drink water {CANARY}")).await;
    t.run_due_jobs().await;
    let seen = service.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers["authorization"].to_str().unwrap().starts_with("vapid t="), "{headers:?}");
    assert!(headers.contains_key("ttl"));
    let plain = browser(
        &["decrypt"],
        Some(&json!({
            "body_b64": base64::engine::general_purpose::STANDARD.encode(body),
            "ua_private_b64": keys["ua_private_b64"],
            "auth_b64": keys["auth_b64"],
        })),
    );
    let payload: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(payload["title"], "Riverside Family Medicine");
    assert!(payload["url"].as_str().unwrap().ends_with(&format!("/app#/c/{c}")), "{payload}");
    for private in [CANARY, "Dizzy", "water", "Carol", "Smith", "Patel"] {
        assert!(!payload.to_string().contains(private), "{private} in {payload}");
    }

    // The browser goes away: the push service answers 410 Gone.
    service.gone.store(true, std::sync::atomic::Ordering::SeqCst);
    reply(&t, &nina, &c, "Another reply").await;
    t.advance(Span::from_secs(1));
    t.run_due_jobs().await;
    let admin = t.login("admin").await;
    let d = deliveries(&t, &admin, "carol").await;
    assert_eq!(d["deliveries"][0]["state"], "failed", "{d}");
    assert_eq!(d["deliveries"][0]["reason"], "push_gone", "{d}");
    let again = t
        .request(
            axum::http::Method::DELETE,
            &format!("/api/v1/me/push-subscriptions/{subscription_id}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the subscription was dropped");
    t.stop().await;
}

/// An escalation reaches the provider by SMS once they opt in with a
/// mobile number, and the text carries nothing of the conversation or the
/// note; patients have no staff mobile.
#[tokio::test]
async fn staff_alerts_go_by_sms_to_staff_who_opt_in() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    let alice = t.login("alice").await;
    assert_eq!(t.get("/api/v1/me/mobile", Some(&alice)).await.status, StatusCode::NOT_FOUND);
    let patel = t.login("dr.patel").await;
    let bad = t.put("/api/v1/me/mobile", Some(&patel), json!({"mobile": "010-0142"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let r = t.put("/api/v1/me/mobile", Some(&patel), json!({"mobile": "(555) 010-0199"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.put("/api/v1/me/notification-choices", Some(&patel), json!({"media": ["push", "sms"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let nina = t.login("nina.nurse").await;
    let patel_id = t.user_id("dr.patel").await;
    let c = t.patient_conversation(&alice, &format!("Pills {CANARY}"), &format!("Dizzy {CANARY}")).await;
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/escalate"),
            Some(&nina),
            json!({"provider_id": patel_id, "note": format!("Lower the dose? {CANARY}")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    t.run_due_jobs().await;
    let sent = gateway.sent();
    let to_patel: Vec<&Form> =
        sent.iter().filter(|f| f.iter().any(|(k, v)| k == "To" && v == "+15550100199")).collect();
    assert_eq!(to_patel.len(), 1, "{sent:?}");
    let body = &to_patel[0].iter().find(|(k, _)| k == "Body").unwrap().1;
    assert!(body.contains("escalated") && body.contains("Riverside Family Medicine"), "{body}");
    assert!(body.contains(&format!("/inbox#/needs_response/c/{c}")), "{body}");
    for private in [CANARY, "Pills", "Dizzy", "dose", "Alice", "Nguyen"] {
        assert!(!body.contains(private), "{private} in {body}");
    }
    t.stop().await;
}

/// A reply left unread gets one reminder by the patient's media a day
/// later, with a way to turn reminders off (`List-Unsubscribe`), and
/// nothing of the conversation.
#[tokio::test]
async fn an_unread_reply_is_reminded_once_by_email() {
    let sink = Sink::start();
    let t = emailing_app(sink.url()).await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, &format!("Rash {CANARY}"), &format!("Itchy {CANARY}")).await;
    reply(&t, &nina, &c, &format!("Please send a photo {CANARY}")).await;
    t.run_due_jobs().await;
    assert_eq!(sink.received().len(), 1, "the reply's notice");
    // A day later, still unread: the reminder (the demo's own history
    // reminds too, so this conversation's mail is picked out).
    t.advance(Span::from_mins(24 * 60 + 1));
    t.run_due_jobs().await;
    let ours = |mail: Vec<(Vec<String>, String)>| -> Vec<String> {
        mail.into_iter().map(|(_, raw)| raw).filter(|raw| readable(raw).contains(&c)).collect()
    };
    let mail = ours(sink.received());
    assert_eq!(mail.len(), 2, "the notice and the reminder: {mail:?}");
    let raw = &mail[1];
    let text = readable(raw);
    assert!(text.contains("Unread secure message from Riverside Family Medicine"), "{text}");
    assert!(raw.contains("List-Unsubscribe:") && text.contains("/unsubscribe/"), "{raw}");
    for private in [CANARY, "Rash", "photo", "Alice", "Nguyen"] {
        assert!(!text.contains(private), "{private} in the reminder:\n{text}");
    }
    // Once only.
    t.advance(Span::from_mins(24 * 60));
    t.run_due_jobs().await;
    assert_eq!(ours(sink.received()).len(), 2);
    t.stop().await;
}

/// A subscription for `endpoint` with a fresh browser key pair.
fn subscription_for(endpoint: &str) -> Value {
    let keys: Value = serde_json::from_slice(&browser(&["keygen"], None)).unwrap();
    json!({"endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": keys["ua_public_b64"], "auth": keys["auth_b64"]}})
}

/// Signing out of a browser drops the push subscription made in that
/// session: the phone signed out of gets nothing more, while the desktop
/// still signed in does.
#[tokio::test]
async fn signing_out_drops_that_browsers_push_subscription() {
    let service = PushService::default();
    let endpoint = service.start().await;
    let t = TestApp::spawn_with(|c| {
        c.allow_loopback_push = true;
        c.notice_coalescing_secs = 0;
    })
    .await;
    let phone = t.login("carol").await;
    let desktop = t.login("carol").await;
    let on_phone = subscription_for(&endpoint.replace("browser-1", "phone"));
    let on_desktop = subscription_for(&endpoint.replace("browser-1", "desktop"));
    let r = t.post("/api/v1/me/push-subscriptions", Some(&phone), on_phone).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let phone_subscription = r.json()["id"].as_str().unwrap().to_owned();
    let r = t.post("/api/v1/me/push-subscriptions", Some(&desktop), on_desktop).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = t.post("/api/v1/auth/logout", Some(&phone), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let gone = t
        .request(
            axum::http::Method::DELETE,
            &format!("/api/v1/me/push-subscriptions/{phone_subscription}"),
            Some(&desktop),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "the phone's subscription went with its session");

    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&desktop, "Question", "Hello").await;
    reply(&t, &nina, &c, "Hello back").await;
    t.run_due_jobs().await;
    assert_eq!(*service.to.lock().unwrap(), ["desktop"], "only the browser still signed in is told");
    t.stop().await;
}

/// Ending a session from another one (the settings' "Sign out") drops the
/// push subscription made in it, as signing out there would.
#[tokio::test]
async fn ending_a_session_elsewhere_drops_its_push_subscription() {
    let service = PushService::default();
    let endpoint = service.start().await;
    let t = TestApp::spawn_with(|c| {
        c.allow_loopback_push = true;
        c.notice_coalescing_secs = 0;
    })
    .await;
    let phone = t.login("carol").await;
    let desktop = t.login("carol").await;
    let r = t
        .post("/api/v1/me/push-subscriptions", Some(&phone), subscription_for(&endpoint.replace("browser-1", "phone")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .post(
            "/api/v1/me/push-subscriptions",
            Some(&desktop),
            subscription_for(&endpoint.replace("browser-1", "desktop")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let listed = t.get("/api/v1/me/sessions", Some(&desktop)).await.json();
    let other = listed["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t.request(axum::http::Method::DELETE, &format!("/api/v1/me/sessions/{other}"), Some(&desktop), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.count("SELECT count(*) FROM push_subscriptions").await,
        1,
        "the phone's subscription went with its session"
    );

    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&desktop, "Question", "Hello").await;
    reply(&t, &nina, &c, "Hello back").await;
    t.run_due_jobs().await;
    assert_eq!(*service.to.lock().unwrap(), ["desktop"], "only the browser still signed in is told");
    t.stop().await;
}

/// The value of header `name` in a raw message (unfolded).
fn header_value(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim().to_owned())
}

/// A reminder email carries a one-click unsubscribe link (RFC 8058): an
/// https address with a signed token and nothing about the patient.
/// Opening it only shows a page; a POST as a mail program makes it turns
/// reminder emails off, audited, and the next reply is still emailed but
/// not reminded.
#[tokio::test]
async fn a_reminder_email_unsubscribes_in_one_click() {
    let sink = Sink::start();
    let t = emailing_app(sink.url()).await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Rash", "Itchy").await;
    reply(&t, &nina, &c, "Please send a photo").await;
    t.run_due_jobs().await;
    t.advance(Span::from_mins(24 * 60 + 1));
    t.run_due_jobs().await;
    let ours = |c: &str| -> Vec<String> {
        sink.received().into_iter().map(|(_, raw)| raw).filter(|raw| readable(raw).contains(c)).collect()
    };
    let mail = ours(&c);
    assert_eq!(mail.len(), 2, "the notice and the reminder");
    assert_eq!(header_value(&mail[0], "List-Unsubscribe"), None, "only reminders can be unsubscribed from");
    let reminder = &mail[1];
    assert_eq!(header_value(reminder, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let link = header_value(reminder, "List-Unsubscribe").unwrap();
    let link = link.strip_prefix('<').and_then(|l| l.strip_suffix('>')).unwrap().to_owned();
    assert!(link.starts_with("https://") && link.contains("/unsubscribe/"), "{link}");
    let patient = t.patient_id("alice").await;
    let user = t.user_id("alice").await;
    for id in [&patient, &user] {
        assert!(!link.contains(id.as_str()) && !link.contains(&id.replace('-', "")), "{link}");
    }
    assert!(!link.to_lowercase().contains("alice"), "{link}");
    let path = link.split_once("/unsubscribe/").map(|(_, token)| format!("/unsubscribe/{token}")).unwrap();
    // A day on, Alice signs in again.
    let alice = t.login("alice").await;
    let choices = || async { t.get("/api/v1/me/notification-choices", Some(&alice)).await.json() };
    assert_eq!(choices().await["reminder_emails"], true);

    // A mail system checking the link (a GET) changes nothing.
    let page = t.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(
        page.text.contains("<form method=\"post\">") && page.text.contains("Stop reminder emails"),
        "{}",
        page.text
    );
    assert!(page.text.contains("911"), "{}", page.text);
    assert_eq!(choices().await["reminder_emails"], true, "a GET does not unsubscribe");

    // A forged token does nothing.
    let forged = format!("{}A", &path[..path.len() - 1]);
    let forged = if forged == path { format!("{}B", &path[..path.len() - 1]) } else { forged };
    let r =
        t.post_raw(&forged, None, "application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click".to_vec()).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    assert_eq!(choices().await["reminder_emails"], true);

    // The mail program's one click.
    let r = t.post_raw(&path, None, "application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click".to_vec()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Reminder emails are off"), "{}", r.text);
    let now = choices().await;
    assert_eq!(now["reminder_emails"], false, "{now}");
    assert!(now["effective_media"].as_array().unwrap().contains(&json!("email")), "reply notices stay: {now}");
    let audited = t
        .count(
            "SELECT count(*) FROM audit_log WHERE action = 'notification_preferences_changed' \
             AND actor_kind = 'anonymous' AND detail = 'reminder_emails_off;one_click' AND patient_id IS NOT NULL",
        )
        .await;
    assert_eq!(audited, 1);
    // Again: still off, nothing else changes.
    let r = t.post_raw(&path, None, "application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click".to_vec()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The next reply is emailed, but not reminded.
    let nina = t.login("nina.nurse").await;
    let c2 = t.patient_conversation(&alice, "Another", "Question").await;
    reply(&t, &nina, &c2, "An answer").await;
    t.run_due_jobs().await;
    assert_eq!(ours(&c2).len(), 1, "the reply's notice still goes");
    t.advance(Span::from_mins(24 * 60 + 1));
    t.run_due_jobs().await;
    assert_eq!(ours(&c2).len(), 1, "no reminder email");

    // Turned back on in the settings.
    let alice = t.login("alice").await;
    let r = t
        .put("/api/v1/me/notification-choices", Some(&alice), json!({"media": ["email"], "reminder_emails": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["reminder_emails"], true);
    t.stop().await;
}

/// A staff member who forgot their password gets the reset link by text
/// to the mobile number they keep for alerts, and sets a new password
/// with it; the answer is the same for every name, and someone with no
/// mobile still waits for an administrator.
#[tokio::test]
async fn a_staff_reset_goes_by_text_to_their_mobile() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    let app = &t;
    let reset = |name: &'static str| async move {
        let started = std::time::Instant::now();
        let r = app.post("/api/v1/auth/password-reset", None, json!({"username": name})).await;
        (r, started.elapsed())
    };
    // The connection is open first, so that the times compare the work.
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK);
    let (unknown, unknown_took) = reset("nobody.here").await;
    let (known, known_took) = reset("dr.patel").await;
    let (without_mobile, without_took) = reset("fran.frontdesk").await;
    assert_eq!(known.status, StatusCode::ACCEPTED, "{}", known.text);
    for other in [&unknown, &without_mobile] {
        assert_eq!((&known.status, &known.text), (&other.status, &other.text), "the same answer");
    }
    println!("reset request: with a mobile {known_took:?}, without {without_took:?}, unknown {unknown_took:?}");
    t.run_due_jobs().await;
    let (to, body, token) = gateway.only_link_texted();
    assert_eq!(to, "+15550100112");
    assert!(body.contains("Reset your") || body.contains("reset"), "{body}");
    let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "a long new passphrase"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.try_login("dr.patel", "a long new passphrase").await.status, StatusCode::OK);

    // Fran keeps no mobile: her request is for an administrator to answer,
    // and Dr. Patel's, answered by text, is not.
    let admin = t.login("admin").await;
    let rows = t.get("/api/v1/staff-accounts", Some(&admin)).await.json();
    let row = |name: &str| rows.as_array().unwrap().iter().find(|r| r["username"] == name).unwrap().clone();
    assert!(row("fran.frontdesk")["reset_requested_at"].is_string(), "{rows}");
    assert!(row("dr.patel")["reset_requested_at"].is_null(), "{rows}");
    t.stop().await;
}

/// A new staff member's set-up link goes by text to the mobile number the
/// administrator gives, which becomes the number they keep for alerts; it
/// is never shown back, and only they change it afterwards.
#[tokio::test]
async fn a_new_staff_members_set_up_link_goes_by_text() {
    let gateway = Gateway::default();
    let t = gateway.spawn_app(|_| {}).await;
    let admin = t.login("admin").await;
    let staff = |extra: Value| {
        let mut body = json!({"username": "sam.rivera", "display_name": "Sam Rivera", "role": "nurse"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    // Refused whole: by text with no number, a number that cannot be texted, another way.
    for (extra, field) in [
        (json!({"setup_link_by": "sms"}), "mobile"),
        (json!({"setup_link_by": "sms", "mobile": "12345"}), "mobile"),
        (json!({"setup_link_by": "email", "mobile": "(555) 010-0150"}), "setup_link_by"),
    ] {
        let r = t.post("/api/v1/staff-accounts", Some(&admin), staff(extra.clone())).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{extra}"
        );
    }
    assert_eq!(t.count("SELECT count(*) FROM users WHERE username = 'sam.rivera'").await, 0);

    let r = t
        .post(
            "/api/v1/staff-accounts",
            Some(&admin),
            staff(json!({"setup_link_by": "sms", "mobile": "(555) 010-0150"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["setup_link"]["delivery"], "sms", "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    t.run_due_jobs().await;
    let (to, body, token) = gateway.only_link_texted();
    assert_eq!(to, "+15550100150");
    assert!(body.contains("Riverside Family Medicine") && !body.contains("Sam"), "{body}");
    let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "a long new passphrase"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let sam = t.try_login("sam.rivera", "a long new passphrase").await.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/v1/me/mobile", Some(&sam)).await.json()["mobile"], "(555) 010-0150");
    // Never shown back, and changed only by its owner.
    let list = t.get("/api/v1/staff-accounts", Some(&admin)).await;
    assert!(!list.text.contains("010-0150") && !list.text.contains("0100150"), "{}", list.text);
    let r =
        t.put(&format!("/api/v1/staff-accounts/{id}"), Some(&admin), staff(json!({"mobile": "(555) 010-0151"}))).await;
    assert_eq!((r.status, r.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("mobile")));
    // At the desk, as before: nothing is texted.
    let r = t
        .post(
            "/api/v1/staff-accounts",
            Some(&admin),
            json!({"username": "kim.desk", "display_name": "Kim Desk", "role": "front_desk"}),
        )
        .await;
    assert_eq!((r.status, r.json()["setup_link"]["delivery"].as_str()), (StatusCode::CREATED, Some("hand_over")));
    t.run_due_jobs().await;
    assert_eq!(gateway.sent().len(), 1);
    t.stop().await;
}

/// The demo's seeded history (and weeks of played history) is nobody's
/// news: no reply notice waits for it, and days later none has been sent.
/// Its unread replies are reminded of, as any unread reply is.
#[tokio::test]
async fn the_demo_history_queues_no_reply_notices() {
    let t = TestApp::spawn().await;
    let pending = "SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = 'notify_reply'";
    assert!(t.count("SELECT count(*) FROM messages WHERE sender_kind = 'staff'").await > 0, "the demo has replies");
    assert_eq!(t.count(pending).await, 0);
    let played = switchboard::demo_history::play(t.app(), 1).await.unwrap();
    assert!(played > 0);
    assert_eq!(t.count(pending).await, 0, "nor does played history");
    t.advance(Span::from_mins(3 * 24 * 60));
    t.run_due_jobs().await;
    assert_eq!(t.count("SELECT count(*) FROM deliveries WHERE kind = 'staff_reply'").await, 0);
    t.stop().await;
}

/// The outbox withholds what would open an account: a reset link's token
/// (and codes), except on the demo, whose people are made up.
#[tokio::test]
async fn the_outbox_withholds_link_tokens_except_in_the_demo() {
    for demo in [false, true] {
        let t = TestApp::spawn_with(|c| c.demo = demo).await;
        let r = t.post("/api/v1/auth/password-reset", None, json!({"username": "alice"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        t.run_due_jobs().await;
        let admin = t.login("admin").await;
        let items = t.get("/api/v1/outbox", Some(&admin)).await.json();
        let reset = items.as_array().unwrap().iter().find(|i| i["kind"] == "password_reset").unwrap().clone();
        let text = reset["text"].as_str().unwrap();
        let token =
            text.split_once("/welcome#token=").map(|(_, rest)| rest.split_whitespace().next().unwrap()).unwrap();
        if demo {
            assert_eq!(token.len(), 43, "{text}");
            let r = t
                .post("/api/v1/links/redeem", None, json!({"token": token, "password": "a long new passphrase"}))
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "the demo's outbox shows the working link: {}", r.text);
        } else {
            assert_eq!(token, "[withheld]", "{text}");
            let all = items.to_string();
            assert_eq!(all.matches("#token=").count(), all.matches("#token=[withheld]").count(), "{items}");
        }
        t.stop().await;
    }
}
