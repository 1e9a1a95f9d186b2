//! The one way out for what Switchboard sends to a person: links
//! (set-up, invitations, password resets) and notifications, by email,
//! SMS and Web Push.
//!
//! A notice becomes one delivery row per medium the person can be reached
//! by ([`queue`]), sealed, with a durable `deliver` job that sends it
//! through the node's [`Courier`] for that medium ([`send`]), retried with
//! backoff, its state kept for staff to see. The words come from
//! [`switchboard_domain::notify::words`], built from the practice's name
//! and the link alone, so no health information travels.

mod choices;
mod courier;
mod inbound;
mod notices;
mod push;
mod queue;
mod send;
mod staff;
mod unsubscribe;
mod views;

pub use choices::{NotificationChoices, PracticeNotificationDefaults};
pub use courier::{
    Address, Courier, CourierError, CourierFuture, Couriers, InboundSignature, Outbound, PushTarget, Sent,
};
pub use inbound::SmsReply;
pub use notices::NOTIFY_REPLY;
pub use push::PushSubscriptionInput;
pub use queue::{DELIVER, EffectiveChoices};
pub use staff::NOTIFY_ALERT;
pub use unsubscribe::UNSUBSCRIBE_PATH;
pub use views::{DeliveryView, OutboxItem, PatientDeliveries};

pub(crate) use queue::{Destination, Notice};

use crate::Switchboard;
use switchboard_domain::notify::Medium;
use switchboard_domain::onboarding::Channel;

/// What became of a link.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delivery {
    /// Shown once to the staff member who made it, to hand over (at the
    /// front desk, or by their own phone or email).
    HandOver,
    /// Queued to go by this medium to the address on file.
    Queued(Medium),
    /// Nobody to give it to: a self-service reset for an account with no
    /// address. The link is never shown, so it cannot be used; the request
    /// is flagged for the practice's administrators instead.
    Undelivered,
}

impl Delivery {
    pub const fn as_str(self) -> &'static str {
        match self {
            Delivery::HandOver => "hand_over",
            Delivery::Queued(Medium::Email) => "email",
            Delivery::Queued(Medium::Sms) => "sms",
            Delivery::Queued(Medium::Push) => "push",
            Delivery::Undelivered => "undelivered",
        }
    }

    /// How a link made for `channel` leaves.
    pub(crate) const fn for_channel(channel: Channel) -> Self {
        match channel {
            Channel::Email => Delivery::Queued(Medium::Email),
            Channel::Sms => Delivery::Queued(Medium::Sms),
            Channel::Desk => Delivery::HandOver,
            Channel::None => Delivery::Undelivered,
        }
    }
}

impl Switchboard {
    /// Gives this node its couriers and the address its links point to.
    /// Until it is called (one-off commands), deliveries wait.
    pub fn start_delivery(&self, couriers: Couriers) {
        if self.inner.couriers.set(couriers).is_err() {
            tracing::warn!("couriers were already set; keeping the first");
        }
    }

    /// This node's couriers (none before [`Self::start_delivery`]).
    pub(crate) fn couriers(&self) -> Couriers {
        self.inner.couriers.get().cloned().unwrap_or_default()
    }
}
