//! The seam between the delivery jobs and the protocols: a [`Courier`]
//! takes one finished message to one address by one medium. The couriers
//! themselves (SMTP, the SMS gateway, Web Push) live in the
//! `switchboard-couriers` crate, so that this crate knows no protocol; the
//! binary hands them to [`crate::Switchboard::start_delivery`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use switchboard_domain::ids::DeliveryId;
use switchboard_domain::notify::{Medium, NoticeKind, Words};

/// Where a message goes.
#[derive(Clone, PartialEq, Eq)]
pub enum Address {
    Email(String),
    /// E.164 (`+15555550123`).
    Phone(String),
    Push(PushTarget),
}

/// A browser's push subscription (RFC 8030 endpoint, RFC 8291 keys).
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub endpoint: String,
    /// The browser's P-256 public key (65 bytes, uncompressed).
    pub p256dh: Vec<u8>,
    /// The 16-byte authentication secret.
    pub auth: Vec<u8>,
}

// Addresses are PHI for patients: never printed.
impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Address::Email(_) => "Address::Email(..)",
            Address::Phone(_) => "Address::Phone(..)",
            Address::Push(_) => "Address::Push(..)",
        })
    }
}

/// One message to send.
#[derive(Debug)]
pub struct Outbound<'a> {
    /// The same for every attempt at this message: couriers derive the
    /// `Message-ID` (or an idempotency key) from it, so a retry after a
    /// lost answer is recognisable as the same message.
    pub id: DeliveryId,
    pub kind: NoticeKind,
    pub to: &'a Address,
    pub words: &'a Words,
    /// The address the message opens (the push notification's target).
    pub link: &'a str,
    /// For reminder emails: the one-click unsubscribe link (RFC 8058), to
    /// which a POST turns reminder emails off (`List-Unsubscribe` and
    /// `List-Unsubscribe-Post`).
    pub unsubscribe: Option<&'a str>,
}

/// The channel took the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// The channel's id for it (an SMS gateway's message sid), for its
    /// later status reports.
    pub provider_ref: Option<String>,
}

/// Why a message did not go. The codes are short and fixed: they are
/// stored and shown to staff, so never the channel's own words (which may
/// echo the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourierError {
    /// Worth trying again later: the server is down, busy, or timed out.
    Retry(&'static str),
    /// Refused for good: a bad address, a rejected sender, a message too
    /// large.
    Refused(&'static str),
    /// A push subscription the push service no longer knows (404 or 410):
    /// drop it.
    Gone,
}

pub type CourierFuture<'a> = Pin<Box<dyn Future<Output = Result<Sent, CourierError>> + Send + 'a>>;

/// Takes messages to people by one medium.
pub trait Courier: Send + Sync + 'static {
    fn medium(&self) -> Medium;
    fn send<'a>(&'a self, message: Outbound<'a>) -> CourierFuture<'a>;
}

/// Checks that a request to our inbound SMS address came from the gateway
/// (its signature over the URL and the form's fields).
pub trait InboundSignature: Send + Sync + 'static {
    fn verify(&self, url: &str, params: &[(String, String)], presented: &str) -> bool;
}

/// The couriers a node has, and the address its links point to.
#[derive(Clone, Default)]
pub struct Couriers {
    pub email: Option<Arc<dyn Courier>>,
    pub sms: Option<Arc<dyn Courier>>,
    pub push: Option<Arc<dyn Courier>>,
    /// `https://messages.example.org`: links in messages are made on it.
    pub link_base: String,
    /// The VAPID public key browsers subscribe with (base64url), when
    /// `push` is set.
    pub push_public_key: Option<String>,
    /// The SMS gateway's signature on inbound texts, when one is set up.
    pub sms_inbound: Option<Arc<dyn InboundSignature>>,
}

impl Couriers {
    pub fn for_medium(&self, medium: Medium) -> Option<&Arc<dyn Courier>> {
        match medium {
            Medium::Email => self.email.as_ref(),
            Medium::Sms => self.sms.as_ref(),
            Medium::Push => self.push.as_ref(),
        }
    }
}

impl std::fmt::Debug for Couriers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Couriers")
            .field("email", &self.email.is_some())
            .field("sms", &self.sms.is_some())
            .field("push", &self.push.is_some())
            .field("link_base", &self.link_base)
            .finish()
    }
}
