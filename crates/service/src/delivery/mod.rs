//! The one way out for what Switchboard sends to a person: set-up links,
//! invitations and password resets today, notifications as their channels
//! arrive (email, SMS and push are on the roadmap). Every outbound message
//! passes through [`Switchboard::deliver`], and its words come from
//! [`switchboard_domain::onboarding::link_message`], which is built from the
//! practice's name and the link alone, so no health information travels.

mod courier;

pub use courier::{Address, Courier, CourierError, CourierFuture, Couriers, Outbound, PushTarget, Sent};

use crate::Switchboard;
use switchboard_domain::onboarding::Channel;

/// What became of an outbound message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delivery {
    /// No courier reaches the channel yet: the link is shown once to the
    /// staff member who made it, to hand over (at the front desk, or by
    /// their own phone or email).
    HandOver,
    /// Nobody to give it to: a self-service reset for an account with no
    /// channel. The link is never shown, so it cannot be used; the request
    /// is flagged for the practice's administrators instead.
    Undelivered,
}

impl Delivery {
    pub const fn as_str(self) -> &'static str {
        match self {
            Delivery::HandOver => "hand_over",
            Delivery::Undelivered => "undelivered",
        }
    }
}

impl Switchboard {
    /// Sends (or, until couriers exist, routes for hand-over) a message on
    /// `channel`. Couriers for email and SMS plug in here, as durable jobs.
    pub(crate) fn deliver(&self, channel: Channel) -> Delivery {
        match channel {
            Channel::Email | Channel::Sms | Channel::Desk => Delivery::HandOver,
            Channel::None => Delivery::Undelivered,
        }
    }
}
