//! The couriers this node sends by, from the configuration: email when an
//! SMTP server is set, SMS when a gateway is, Web Push always (the VAPID
//! key is made on first run). What has no courier waits in the outbox.

use crate::config::Config;
use anyhow::{Context, bail};
use std::sync::Arc;
use switchboard_couriers::{PushCourier, SmsGateway, SmtpCourier};
use switchboard_crypto::webpush::VapidKey;
use switchboard_service::delivery::{Courier, Couriers, InboundSignature};

/// The couriers the configuration names; links in what they carry are made
/// on `link_base`.
pub fn from_config(config: &Config, link_base: String, vapid: Option<Arc<VapidKey>>) -> anyhow::Result<Couriers> {
    let email: Option<Arc<dyn Courier>> = match (&config.smtp_url, &config.smtp_from) {
        (Some(url), Some(from)) => Some(Arc::new(SmtpCourier::from_url(url, from).context("smtp_url")?)),
        (Some(_), None) => bail!("smtp_url is set but smtp_from (the sender's address) is not"),
        (None, _) => None,
    };
    let gateway: Option<Arc<SmsGateway>> = match &config.sms_gateway_url {
        Some(url) => {
            let (Some(account), Some(token), Some(from)) = (&config.sms_account, &config.sms_token, &config.sms_from)
            else {
                bail!("sms_gateway_url is set: sms_account, sms_token and sms_from are needed too");
            };
            Some(Arc::new(SmsGateway::new(url, account, token, from).context("sms_gateway_url")?))
        }
        None => None,
    };
    let push = match vapid {
        Some(key) => Some(PushCourier::new(key, &link_base).context("the push courier")?),
        None => None,
    };
    let push_public_key = push.as_ref().map(PushCourier::public_key);
    Ok(Couriers {
        email,
        sms: gateway.clone().map(|g| g as Arc<dyn Courier>),
        sms_inbound: gateway.map(|g| g as Arc<dyn InboundSignature>),
        push: push.map(|p| Arc::new(p) as Arc<dyn Courier>),
        link_base,
        push_public_key,
    })
}
