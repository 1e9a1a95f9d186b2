//! Web Push (RFC 8030): the payload encrypted for the browser (RFC 8291),
//! the request signed with the server's VAPID key (RFC 8292), POSTed to the
//! subscription's endpoint. The payload is the notification's title, its
//! words and the page to open: the practice's name and fixed wording only.

use crate::CourierConfigError;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use switchboard_crypto::webpush::{self, VapidKey};
use switchboard_domain::notify::{Audience, Medium, NoticeKind};
use switchboard_service::delivery::{Address, Courier, CourierError, CourierFuture, Outbound, Sent};

const TIMEOUT: Duration = Duration::from_secs(30);
/// How long a push service keeps a message for a browser that is offline.
const TTL_SECS: u64 = 24 * 3600;
/// The VAPID token's lifetime (RFC 8292 allows at most 24 hours).
const TOKEN_SECS: u64 = 12 * 3600;

/// Sends Web Push messages signed with this deployment's VAPID key.
pub struct PushCourier {
    client: reqwest::Client,
    key: Arc<VapidKey>,
    /// `mailto:` or `https:` contact for the push services (RFC 8292).
    subject: String,
}

impl std::fmt::Debug for PushCourier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushCourier").field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl PushCourier {
    /// `subject`: how a push service reaches the operator (`mailto:…` or
    /// the public `https://` address).
    pub fn new(key: Arc<VapidKey>, subject: &str) -> Result<Self, CourierConfigError> {
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::client_config("push service")?)
            .timeout(TIMEOUT)
            // A push service answers; a redirect elsewhere is not followed
            // with the signed message.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| CourierConfigError::Client { what: "push service", problem: "HTTP client" })?;
        Ok(PushCourier { client, key, subject: subject.to_owned() })
    }

    /// The key browsers subscribe with.
    pub fn public_key(&self) -> String {
        self.key.public_key_b64url()
    }
}

/// The JSON the service worker reads. Built from the notice's fixed words.
fn payload(outbound: &Outbound<'_>) -> Vec<u8> {
    serde_json::json!({
        "title": outbound.words.push_title,
        "body": outbound.words.push_body,
        "url": outbound.link,
        "kind": outbound.kind.as_str(),
        // One notification per delivery: a repeat replaces, not stacks.
        "tag": outbound.id.to_string(),
    })
    .to_string()
    .into_bytes()
}

fn urgency(kind: NoticeKind) -> &'static str {
    match (kind, kind.audience()) {
        (NoticeKind::Page | NoticeKind::UrgentMessage, _) => "high",
        (_, Audience::Staff) => "high",
        _ => "normal",
    }
}

impl Courier for PushCourier {
    fn medium(&self) -> Medium {
        Medium::Push
    }

    fn send<'a>(&'a self, outbound: Outbound<'a>) -> CourierFuture<'a> {
        Box::pin(async move {
            let Address::Push(target) = outbound.to else {
                return Err(CourierError::Refused("not_a_push_subscription"));
            };
            let body = webpush::encrypt(&payload(&outbound), &target.p256dh, &target.auth)
                .map_err(|_| CourierError::Refused("push_keys_invalid"))?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let authorization = self
                .key
                .authorization(&target.endpoint, &self.subject, now + TOKEN_SECS)
                .map_err(|_| CourierError::Refused("push_endpoint_invalid"))?;
            let answer = self
                .client
                .post(&target.endpoint)
                .header("Authorization", authorization)
                .header("Content-Encoding", "aes128gcm")
                .header("Content-Type", "application/octet-stream")
                .header("TTL", TTL_SECS.to_string())
                .header("Urgency", urgency(outbound.kind))
                .body(body)
                .send()
                .await
                .map_err(|e| CourierError::Retry(if e.is_timeout() { "push_timeout" } else { "push_unavailable" }))?;
            match answer.status().as_u16() {
                200..=299 => Ok(Sent::default()),
                // The browser unsubscribed, or the subscription expired.
                404 | 410 => Err(CourierError::Gone),
                // Our signature was refused: the key or subject is wrong,
                // not this message.
                401 | 403 => Err(CourierError::Retry("push_auth_failed")),
                413 => Err(CourierError::Refused("push_too_large")),
                429 => Err(CourierError::Retry("push_throttled")),
                400..=499 => Err(CourierError::Refused("push_rejected")),
                _ => Err(CourierError::Retry("push_unavailable")),
            }
        })
    }
}
