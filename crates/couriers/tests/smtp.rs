//! The email courier against a real SMTP server (aiosmtpd,
//! `.ci/peers/smtp_sink.py`): what arrives is checked byte by byte, and the
//! server's refusals map to the right outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod peers;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use peers::Peer;
use std::path::{Path, PathBuf};
use switchboard_couriers::SmtpCourier;
use switchboard_domain::ids::DeliveryId;
use switchboard_domain::notify::{Medium, NoticeKind, Words, words};
use switchboard_service::delivery::{Address, Courier, CourierError, Outbound, Sent};

const FROM: &str = "Lakeside Clinic <notify@clinic.example>";
const TO: &str = "patient@example.org";
const LINK: &str = "https://messages.example.org/sign-in";
const UNSUBSCRIBE: &str = "https://messages.example.org/unsubscribe/AbC123";

/// An SMTP sink and the file it writes what it receives to.
struct Sink {
    peer: Peer,
    _dir: tempfile::TempDir,
    output: PathBuf,
}

impl Sink {
    fn start(args: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("received.jsonl");
        let mut all = vec![output.to_str().unwrap()];
        all.extend_from_slice(args);
        Sink { peer: Peer::start("smtp_sink.py", &all), _dir: dir, output }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.peer.port)
    }

    /// Every message received so far: the envelope and the raw message.
    fn received(&self) -> Vec<(String, Vec<String>, String)> {
        read_received(&self.output)
    }
}

fn read_received(path: &Path) -> Vec<(String, Vec<String>, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let raw = STANDARD.decode(record["data_b64"].as_str().unwrap()).unwrap();
            let rcpt = record["rcpt_tos"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect();
            (record["mail_from"].as_str().unwrap().to_owned(), rcpt, String::from_utf8(raw).unwrap())
        })
        .collect()
}

fn id(n: u8) -> DeliveryId {
    DeliveryId::from_bytes([0x01, 0x8f, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, n])
}

async fn send(
    courier: &SmtpCourier,
    id: DeliveryId,
    to: &Address,
    words: &Words,
    unsubscribe: Option<&str>,
) -> Result<Sent, CourierError> {
    courier.send(Outbound { id, kind: NoticeKind::StaffReply, to, words, link: LINK, unsubscribe }).await
}

/// One MIME entity: unfolded headers and the raw body.
struct Entity {
    headers: Vec<(String, String)>,
    body: String,
}

impl Entity {
    fn parse(raw: &str) -> Entity {
        let (head, body) = raw.split_once("\r\n\r\n").expect("a blank line after the headers");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                // A folded line continues the header before it.
                headers.last_mut().expect("a header before a continuation").1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("not a header: {line:?}"));
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        Entity { headers, body: body.to_owned() }
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        let all = self.all(name);
        assert!(all.len() <= 1, "{name} appears {} times", all.len());
        all.first().copied()
    }

    /// The parts of a multipart entity, in order.
    fn parts(&self) -> Vec<Entity> {
        let content_type = self.header("Content-Type").unwrap();
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"'))
            .expect("a boundary");
        let delimiter = format!("--{boundary}");
        let (_, rest) = self.body.split_once(&format!("{delimiter}\r\n")).expect("a first part");
        let (inside, _) = rest.split_once(&format!("\r\n{delimiter}--")).expect("a closing delimiter");
        inside.split(&format!("\r\n{delimiter}\r\n")).map(Entity::parse).collect()
    }

    /// The body, with its transfer encoding undone, line breaks as `\n`.
    fn decoded(&self) -> String {
        let bytes = match self.header("Content-Transfer-Encoding").map(str::to_ascii_lowercase).as_deref() {
            None | Some("7bit" | "8bit") => self.body.clone().into_bytes(),
            Some("base64") => STANDARD.decode(self.body.replace("\r\n", "")).unwrap(),
            Some("quoted-printable") => quoted_printable(&self.body),
            Some(other) => panic!("unexpected transfer encoding {other}"),
        };
        String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
    }
}

/// A header value with its RFC 2047 `B` encoded words decoded (the white
/// space between two encoded words is dropped, RFC 2047 section 6.2).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_encoded = false;
    for (n, token) in value.split(' ').enumerate() {
        let encoded = token.strip_prefix("=?utf-8?b?").and_then(|t| t.strip_suffix("?="));
        if n > 0 && !(last_encoded && encoded.is_some()) {
            out.push(' ');
        }
        match encoded {
            Some(b64) => out.push_str(&String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()),
            None => out.push_str(token),
        }
        last_encoded = encoded.is_some();
    }
    out
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = body.replace("=\r\n", "").into_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn a_message_arrives_as_multipart_alternative_with_stable_ids() {
    let sink = Sink::start(&[]);
    let courier = SmtpCourier::from_url(&sink.url(), FROM).unwrap();
    assert_eq!(courier.medium(), Medium::Email);
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let to = Address::Email(TO.to_owned());

    let before = jiff::Timestamp::now();
    let sent = send(&courier, id(1), &to, &words, None).await.unwrap();
    assert_eq!(sent, Sent { provider_ref: None });
    // The same delivery again (a retry after a lost answer), then another.
    send(&courier, id(1), &to, &words, None).await.unwrap();
    send(&courier, id(2), &to, &words, None).await.unwrap();

    let received = sink.received();
    assert_eq!(received.len(), 3);
    let (mail_from, rcpt_tos, raw) = &received[0];
    assert_eq!(mail_from, "notify@clinic.example");
    assert_eq!(rcpt_tos, &[TO.to_owned()]);
    assert!(raw.is_ascii(), "the message needs no 8-bit transport");

    let message = Entity::parse(raw);
    assert_eq!(message.header("Subject"), Some(words.subject.as_str()));
    assert_eq!(message.header("From"), Some("\"Lakeside Clinic\" <notify@clinic.example>"));
    assert_eq!(message.header("To"), Some(TO));
    assert_eq!(message.header("MIME-Version"), Some("1.0"));
    let message_id = format!("<{}@clinic.example>", id(1));
    assert_eq!(message.header("Message-ID"), Some(message_id.as_str()));
    let date = jiff::fmt::rfc2822::parse(message.header("Date").unwrap()).unwrap().timestamp();
    // RFC 5322 dates have whole seconds.
    assert!(date >= before - jiff::SignedDuration::from_secs(1) && date <= jiff::Timestamp::now(), "{date}");
    assert_eq!(message.header("List-Unsubscribe"), None);
    assert_eq!(message.header("List-Unsubscribe-Post"), None);

    assert!(message.header("Content-Type").unwrap().starts_with("multipart/alternative;"));
    let parts = message.parts();
    assert_eq!(parts.len(), 2);
    // Plain text first: a reader shows the last part it can (RFC 2046 5.1.4).
    assert!(parts[0].header("Content-Type").unwrap().starts_with("text/plain"), "{:?}", parts[0].headers);
    assert!(parts[1].header("Content-Type").unwrap().starts_with("text/html"), "{:?}", parts[1].headers);
    assert_eq!(parts[0].decoded().trim_end(), words.text);
    assert_eq!(parts[1].decoded().trim_end(), words.html);

    // Every attempt at one delivery is the same message; another is not.
    let again = Entity::parse(&received[1].2);
    assert_eq!(again.header("Message-ID"), Some(message_id.as_str()));
    let other = Entity::parse(&received[2].2);
    assert_eq!(other.header("Message-ID"), Some(format!("<{}@clinic.example>", id(2)).as_str()));
}

#[tokio::test]
async fn reminders_carry_an_unsubscribe_link() {
    let sink = Sink::start(&[]);
    let courier = SmtpCourier::from_url(&sink.url(), FROM).unwrap();
    let words = words(NoticeKind::ReplyReminder, "Lakeside Clinic", LINK);
    let to = Address::Email(TO.to_owned());
    send(&courier, id(3), &to, &words, Some(UNSUBSCRIBE)).await.unwrap();
    // A mailto: link gets the header too, without claiming one-click
    // (RFC 8058 allows it only for https).
    send(&courier, id(4), &to, &words, Some("mailto:unsubscribe@clinic.example")).await.unwrap();
    // Something that would break out of the header is refused, not sent.
    let bad = send(&courier, id(5), &to, &words, Some("https://x.example/>\r\nBcc: all@example.org")).await;
    assert_eq!(bad, Err(CourierError::Refused("unsubscribe_link_invalid")));

    let received = sink.received();
    assert_eq!(received.len(), 2);
    let https = Entity::parse(&received[0].2);
    assert_eq!(https.header("List-Unsubscribe"), Some(format!("<{UNSUBSCRIBE}>").as_str()));
    assert_eq!(https.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    let mailto = Entity::parse(&received[1].2);
    assert_eq!(mailto.header("List-Unsubscribe"), Some("<mailto:unsubscribe@clinic.example>"));
    assert_eq!(mailto.header("List-Unsubscribe-Post"), None);
}

#[tokio::test]
async fn non_ascii_words_are_encoded() {
    let sink = Sink::start(&[]);
    let courier = SmtpCourier::from_url(&sink.url(), "Clinique Étoile <avis@clinique.example>").unwrap();
    let words = words(NoticeKind::StaffReply, "Clinique Étoile", LINK);
    send(&courier, id(6), &Address::Email(TO.to_owned()), &words, None).await.unwrap();
    let received = sink.received();
    let raw = &received[0].2;
    assert!(raw.is_ascii(), "encoded for 7-bit transport");
    let message = Entity::parse(raw);
    let subject = message.header("Subject").unwrap();
    assert!(subject.contains("=?utf-8?b?"), "RFC 2047 encoded words: {subject}");
    assert_eq!(decode_words(subject), words.subject);
    let parts = message.parts();
    assert_eq!(parts[0].decoded().trim_end(), words.text);
    assert_eq!(parts[1].decoded().trim_end(), words.html);
}

#[tokio::test]
async fn a_temporary_refusal_is_retried() {
    let sink = Sink::start(&["--rcpt-reply", "451"]);
    let courier = SmtpCourier::from_url(&sink.url(), FROM).unwrap();
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let result = send(&courier, id(7), &Address::Email(TO.to_owned()), &words, None).await;
    assert_eq!(result, Err(CourierError::Retry("smtp_deferred")));
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_is_final() {
    let sink = Sink::start(&["--rcpt-reply", "550"]);
    let courier = SmtpCourier::from_url(&sink.url(), FROM).unwrap();
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let result = send(&courier, id(8), &Address::Email(TO.to_owned()), &words, None).await;
    assert_eq!(result, Err(CourierError::Refused("smtp_rejected")));
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_server_that_is_down_is_retried() {
    // Nothing listens on a port just found free.
    let url = format!("smtp://127.0.0.1:{}", peers::free_port());
    let courier = SmtpCourier::from_url(&url, FROM).unwrap();
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let result = send(&courier, id(9), &Address::Email(TO.to_owned()), &words, None).await;
    assert_eq!(result, Err(CourierError::Retry("smtp_unavailable")));
}

#[tokio::test]
async fn tls_that_cannot_be_had_is_never_skipped() {
    // The sink speaks no TLS: implicit TLS fails in the handshake, and
    // STARTTLS is not offered. Either way nothing is sent in the clear.
    let sink = Sink::start(&[]);
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let to = Address::Email(TO.to_owned());
    let implicit = SmtpCourier::from_url(&format!("smtps://127.0.0.1:{}", sink.peer.port), FROM).unwrap();
    assert_eq!(send(&implicit, id(10), &to, &words, None).await, Err(CourierError::Retry("smtp_tls_failed")));
    let starttls = SmtpCourier::from_url(&format!("smtp://127.0.0.1:{}?tls=required", sink.peer.port), FROM).unwrap();
    assert_eq!(send(&starttls, id(11), &to, &words, None).await, Err(CourierError::Retry("smtp_misconfigured")));
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn only_email_addresses_are_taken() {
    let courier = SmtpCourier::from_url("smtp://127.0.0.1:25", FROM).unwrap();
    let words = words(NoticeKind::StaffReply, "Lakeside Clinic", LINK);
    let phone = Address::Phone("+15555550123".to_owned());
    assert_eq!(send(&courier, id(12), &phone, &words, None).await, Err(CourierError::Refused("not_an_email_address")));
    let bad = Address::Email("not an address".to_owned());
    assert_eq!(send(&courier, id(13), &bad, &words, None).await, Err(CourierError::Refused("email_address_invalid")));
}
