//! The couriers: what takes a finished message from `service::delivery` to
//! a person. Each implements [`switchboard_service::delivery::Courier`]:
//!
//! - [`SmtpCourier`]: email over SMTP (implicit TLS, or STARTTLS required;
//!   plain SMTP only to a relay on this machine).
//! - [`SmsGateway`]: text messages through a Twilio-shaped HTTPS gateway,
//!   and [`verify_twilio_signature`] for the requests it makes to us.
//! - [`PushCourier`]: Web Push, encrypted and VAPID-signed
//!   (`switchboard_crypto::webpush`).
//!
//! - [`OidcHttp`]: not a courier but the same kind of outbound HTTPS: the
//!   practice's OpenID Connect provider for single sign-on
//!   (`switchboard_service::sso::ProviderClient`).
//!
//! Failures come back as the seam's short fixed codes (`smtp_rejected`,
//! `sms_opted_out`, …), never the peer's own words, which may echo the
//! address. Configuration errors ([`CourierConfigError`]) name the rule that
//! was broken and never repeat a password or token.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod config;
mod oidc;
mod push;
mod sms;
mod smtp;
mod tls;

pub use config::CourierConfigError;
pub use oidc::OidcHttp;
pub use push::PushCourier;
pub use sms::{SmsGateway, twilio_signature, verify_twilio_signature};
pub use smtp::SmtpCourier;
