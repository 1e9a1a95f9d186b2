//! Browsers' Web Push subscriptions: added and removed by the signed-in
//! user, one per browser, sealed at rest (an endpoint is a capability: who
//! holds it and the keys can push to that browser).

use super::PushTarget;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_store::Unit;
use switchboard_store::queries::{deliveries as q, keys as keys_q};
use switchboard_store::rows::WrappedKeyRow;

/// A subscription as the browser's `PushSubscription.toJSON()` gives it.
#[derive(Clone)]
pub struct PushSubscriptionInput {
    pub endpoint: String,
    /// base64url, the browser's P-256 public key.
    pub p256dh: String,
    /// base64url, the 16-byte authentication secret.
    pub auth: String,
}

/// Endpoints are the push services' (`https://…`); plain `http://` only to
/// this machine, and only when the operator allows it (the test suite's
/// stand-in push service).
fn endpoint_allowed(endpoint: &str, allow_loopback_http: bool) -> bool {
    if endpoint.len() > 2048 || endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = endpoint.strip_prefix("https://") {
        return !rest.is_empty() && !rest.starts_with('/');
    }
    if let Some(rest) = endpoint.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        return allow_loopback_http && matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    }
    false
}

fn decode(text: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    (bytes.len() == len).then_some(bytes)
}

/// The sealed text of a subscription: endpoint, key, secret on three lines.
pub(crate) fn parse_subscription(text: &str) -> Option<PushTarget> {
    let mut lines = text.lines();
    let (Some(endpoint), Some(p256dh), Some(auth), None) = (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return None;
    };
    Some(PushTarget { endpoint: endpoint.to_owned(), p256dh: decode(p256dh, 65)?, auth: decode(auth, 16)? })
}

impl Switchboard {
    /// Adds the caller's browser's push subscription (replacing any earlier
    /// one for the same endpoint), tied to the caller's session: signing
    /// out of it drops the subscription.
    pub async fn add_push_subscription(
        &self,
        p: &Principal,
        input: PushSubscriptionInput,
        ctx: &RequestContext,
    ) -> Result<PushSubscriptionId, ServiceError> {
        if !endpoint_allowed(&input.endpoint, self.config().allow_loopback_push) {
            return Err(ServiceError::Invalid {
                field: "endpoint",
                problem: "the endpoint must be a push service's https:// address".into(),
            });
        }
        let p256dh = decode(&input.p256dh, 65).filter(|k| k.first() == Some(&4));
        if p256dh.is_none() {
            return Err(ServiceError::Invalid {
                field: "p256dh",
                problem: "the key must be a P-256 public key (65 bytes, base64url)".into(),
            });
        }
        if decode(&input.auth, 16).is_none() {
            return Err(ServiceError::Invalid {
                field: "auth",
                problem: "the secret must be 16 bytes, base64url".into(),
            });
        }
        let now = self.now();
        let id = self.new_id(PushSubscriptionId::from_bytes)?;
        let key_id = self.new_id(DataKeyId::from_bytes)?;
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let text =
            format!("{}\n{}\n{}", input.endpoint, input.p256dh.trim_end_matches('='), input.auth.trim_end_matches('='));
        let row = q::PushSubscriptionRow {
            id,
            practice: p.user.practice,
            user: p.user.id,
            key: WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
            subscription_ct: sealing::seal(&key, column::PUSH_SUBSCRIPTION, id.as_bytes(), &text)?,
        };
        let index = self.keys().fingerprint("push.endpoint", &[input.endpoint.as_bytes()]);
        let unit = Unit::new()
            .step(keys_q::insert(&row.key, p.user.practice, now))
            .steps(q::insert_push_subscription(&row, &index, &p.token_hash, now))
            .audit(
                self.record(p, ctx, AuditAction::NotificationPreferencesChanged)
                    .with_resource(ResourceKind::User, *p.user.id.as_bytes())
                    .with_detail("push_subscribed"),
            );
        self.store().commit(unit).await?;
        Ok(id)
    }

    /// Removes one of the caller's push subscriptions (signing out of a
    /// browser); anyone else's is "not found".
    pub async fn remove_push_subscription(
        &self,
        p: &Principal,
        subscription: PushSubscriptionId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let Some(row) = q::push_subscription(self.store(), subscription).await? else {
            return Err(ServiceError::NotFound);
        };
        if row.user != p.user.id {
            return Err(ServiceError::NotFound);
        }
        let unit = Unit::new().step(q::delete_user_push_subscription(p.user.id, subscription)).audit(
            self.record(p, ctx, AuditAction::NotificationPreferencesChanged)
                .with_resource(ResourceKind::User, *p.user.id.as_bytes())
                .with_detail("push_unsubscribed"),
        );
        self.store().commit(unit).await?;
        Ok(())
    }

    /// The key browsers subscribe with (`applicationServerKey`), when this
    /// node can send Web Push.
    pub fn push_public_key(&self) -> Option<String> {
        self.couriers().push_public_key.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", false));
        assert!(!endpoint_allowed("http://push.example.org/x", true));
        assert!(!endpoint_allowed("http://127.0.0.1:9000/x", false));
        assert!(endpoint_allowed("http://127.0.0.1:9000/x", true));
        assert!(!endpoint_allowed("http://10.0.0.1:9000/x", true));
        assert!(!endpoint_allowed("ftp://x", true));
        assert!(!endpoint_allowed("https://", true));
        assert!(!endpoint_allowed("https://a b", true));
    }

    #[test]
    fn subscriptions_round_trip() {
        let key = URL_SAFE_NO_PAD.encode([4u8; 65]);
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        let t = parse_subscription(&format!("https://p.example/x\n{key}\n{auth}")).unwrap();
        assert_eq!(t.p256dh, vec![4u8; 65]);
        assert_eq!(t.auth, vec![7u8; 16]);
        assert!(parse_subscription("https://p.example/x\nAAAA\nBBBB").is_none());
    }
}
