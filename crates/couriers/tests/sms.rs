//! The SMS courier against a stand-in gateway (a local axum server that
//! records each request and gives a scripted answer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::{Arc, Mutex};
use switchboard_couriers::SmsGateway;
use switchboard_domain::ids::DeliveryId;
use switchboard_domain::notify::{Medium, NoticeKind, words};
use switchboard_service::delivery::{Address, Courier, CourierError, Outbound, Sent};

const ACCOUNT: &str = "AC0123456789abcdef";
const TOKEN: &str = "tok-3f9a";
const FROM: &str = "+15555550100";
const TO: &str = "+15555550123";
const LINK: &str = "https://messages.example.org/sign-in";

/// One request as the gateway saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    form: Vec<(String, String)>,
}

#[derive(Clone)]
struct Gateway {
    answer: (StatusCode, String),
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn messages(
    State(gateway): State<Gateway>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    let text = |name| headers.get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned());
    gateway.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    });
    let (status, body) = gateway.answer.clone();
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

/// A gateway on a free port that answers every request with `answer`.
async fn gateway(status: u16, body: &str) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Gateway { answer: (StatusCode::from_u16(status).unwrap(), body.to_owned()), seen: seen.clone() };
    let app = axum::Router::new().fallback(messages).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/2010-04-01/Accounts/{ACCOUNT}/Messages.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn send_to(url: &str, to: &Address) -> Result<Sent, CourierError> {
    let courier = SmsGateway::new(url, ACCOUNT, TOKEN, FROM).unwrap();
    assert_eq!(courier.medium(), Medium::Sms);
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let id = DeliveryId::from_bytes([7; 16]);
    courier.send(Outbound { id, kind: NoticeKind::StaffReply, to, words: &words, link: LINK, unsubscribe: None }).await
}

async fn send(url: &str) -> Result<Sent, CourierError> {
    send_to(url, &Address::Phone(TO.to_owned())).await
}

#[tokio::test]
async fn a_message_is_a_form_post_with_basic_auth() {
    let (url, seen) = gateway(201, r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#).await;
    let sent = send(&url).await.unwrap();
    assert_eq!(sent, Sent { provider_ref: Some("SM0123456789abcdef0123456789abcdef".to_owned()) });

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"));
    assert_eq!(request.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    let expected_auth = format!("Basic {}", STANDARD.encode(format!("{ACCOUNT}:{TOKEN}")));
    assert_eq!(request.authorization.as_deref(), Some(expected_auth.as_str()));
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let mut form = request.form.clone();
    form.sort();
    let mut expected = vec![
        ("Body".to_owned(), words.sms.clone()),
        ("From".to_owned(), FROM.to_owned()),
        ("To".to_owned(), TO.to_owned()),
    ];
    expected.sort();
    assert_eq!(form, expected);
}

#[tokio::test]
async fn an_answer_without_a_sid_is_still_sent() {
    let (url, _) = gateway(200, "accepted").await;
    assert_eq!(send(&url).await, Ok(Sent { provider_ref: None }));
}

#[tokio::test]
async fn refusals_map_to_outcomes() {
    let cases: &[(u16, &str, Result<Sent, CourierError>)] = &[
        (
            400,
            r#"{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}"#,
            Err(CourierError::Refused("sms_opted_out")),
        ),
        (
            400,
            r#"{"code":21211,"message":"Invalid 'To' Phone Number","status":400}"#,
            Err(CourierError::Refused("sms_rejected")),
        ),
        (404, "", Err(CourierError::Refused("sms_rejected"))),
        (401, r#"{"code":20003,"status":401}"#, Err(CourierError::Retry("sms_auth_failed"))),
        (429, r#"{"code":20429,"status":429}"#, Err(CourierError::Retry("sms_throttled"))),
        (500, "", Err(CourierError::Retry("sms_unavailable"))),
        (503, "<html>down</html>", Err(CourierError::Retry("sms_unavailable"))),
        (302, "", Err(CourierError::Retry("sms_unexpected_answer"))),
    ];
    for (status, body, expected) in cases {
        let (url, seen) = gateway(*status, body).await;
        assert_eq!(&send(&url).await, expected, "{status} {body}");
        assert_eq!(seen.lock().unwrap().len(), 1, "{status}: one request, no redirect followed");
    }
}

#[tokio::test]
async fn a_gateway_that_is_down_is_retried() {
    // A port just found free, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let result = send(&format!("http://127.0.0.1:{port}/messages")).await;
    assert_eq!(result, Err(CourierError::Retry("sms_unavailable")));
}

#[tokio::test]
async fn only_phone_numbers_are_taken() {
    let (url, seen) = gateway(201, "{}").await;
    let result = send_to(&url, &Address::Email("patient@example.org".to_owned())).await;
    assert_eq!(result, Err(CourierError::Refused("not_a_phone_number")));
    assert!(seen.lock().unwrap().is_empty());
}
