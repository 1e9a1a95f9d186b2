//! The `deliver` job: one delivery, one attempt. The row is the truth:
//! once it is final the job does nothing, so a job run twice (a lost
//! lease) sends once unless the channel took the message and the answer
//! was lost, and then the stable `Message-ID` lets the recipient's mail
//! system see the repeat.

use super::queue::{DELIVERY_TRIES, Destination};
use super::{Address, CourierError, Outbound, PushTarget};
use crate::sealing::{self, column};
use crate::{ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::DeliveryId;
use switchboard_domain::notify::{self, DeliveryState};
use switchboard_store::Unit;
use switchboard_store::queries::deliveries as q;

/// What one attempt came to.
struct Attempt {
    state: DeliveryState,
    reason: Option<&'static str>,
    provider_ref: Option<String>,
    /// Ask the job runner to try again (with its backoff).
    retry: bool,
    /// A push subscription the push service no longer knows.
    drop_subscription: bool,
}

impl Attempt {
    fn finished(state: DeliveryState, reason: Option<&'static str>) -> Self {
        Attempt { state, reason, provider_ref: None, retry: false, drop_subscription: false }
    }
}

impl Switchboard {
    pub(crate) async fn deliver_job(&self, payload: &str) -> Result<(), String> {
        let id = DeliveryId::parse(payload).map_err(|_| "bad_payload".to_owned())?;
        self.deliver_once(id).await.map_err(|e| match e {
            DeliverError::Retry(code) => code.to_owned(),
            DeliverError::Service(e) => {
                tracing::warn!(error = %e, "delivery job failed");
                "failed".to_owned()
            }
        })
    }

    async fn deliver_once(&self, id: DeliveryId) -> Result<(), DeliverError> {
        let Some(row) = q::by_id(self.store(), id).await? else { return Ok(()) };
        if row.state.is_final() {
            return Ok(());
        }
        let key = sealing::data_key(self.keys(), &row.key)?;
        let destination = sealing::open(&key, column::DELIVERY_ADDRESS, id.as_bytes(), &row.address_ct)?;
        let destination = Destination::from_text(&destination).ok_or(ServiceError::Internal)?;
        let path = sealing::open(&key, column::DELIVERY_LINK, id.as_bytes(), &row.link_ct)?;
        let couriers = self.couriers();
        let attempt = match (couriers.for_medium(row.medium), self.address(&destination).await?) {
            (None, _) => Attempt::finished(DeliveryState::Failed, Some("no_channel")),
            (_, Resolved::OptedOut) => Attempt::finished(DeliveryState::OptedOut, Some("sms_opted_out")),
            (_, Resolved::Gone) => Attempt::finished(DeliveryState::Failed, Some("push_gone")),
            (Some(courier), Resolved::To(address)) => {
                let practice_name = self.practice_name(row.practice).await?.unwrap_or_default();
                // A one-time code goes as it is: it is read, not opened.
                let link = if row.kind.carries_code() { path } else { format!("{}{}", couriers.link_base, path) };
                // A reminder email carries its own one-click unsubscribe link.
                let unsubscribe =
                    match row.kind.is_reminder() && row.medium == switchboard_domain::notify::Medium::Email {
                        true => Some(format!("{}{}", couriers.link_base, self.unsubscribe_path(id)?)),
                        false => None,
                    };
                let words = notify::words(row.kind, &practice_name, &link);
                let message = Outbound {
                    id,
                    kind: row.kind,
                    to: &address,
                    words: &words,
                    link: &link,
                    unsubscribe: unsubscribe.as_deref(),
                };
                match courier.send(message).await {
                    Ok(sent) => Attempt {
                        state: DeliveryState::Sent,
                        reason: None,
                        provider_ref: sent.provider_ref,
                        retry: false,
                        drop_subscription: false,
                    },
                    Err(CourierError::Retry(code)) if row.attempts + 1 < DELIVERY_TRIES => Attempt {
                        state: DeliveryState::Queued,
                        reason: Some(code),
                        provider_ref: None,
                        retry: true,
                        drop_subscription: false,
                    },
                    Err(CourierError::Retry(code) | CourierError::Refused(code)) => {
                        Attempt::finished(DeliveryState::Failed, Some(code))
                    }
                    Err(CourierError::Gone) => Attempt {
                        drop_subscription: true,
                        ..Attempt::finished(DeliveryState::Failed, Some("push_gone"))
                    },
                }
            }
        };
        let now = self.now();
        let mut unit = Unit::new().step(q::record_attempt(
            id,
            attempt.state,
            attempt.reason,
            attempt.provider_ref.as_deref(),
            now,
        ));
        if attempt.drop_subscription
            && let Destination::Push(s) = destination
        {
            unit.push(q::delete_push_subscription(s));
        }
        if !attempt.retry {
            let outcome = if attempt.state == DeliveryState::Sent { Outcome::Success } else { Outcome::Failed };
            let mut detail =
                format!("medium={};kind={};state={}", row.medium.as_str(), row.kind.as_str(), attempt.state.as_str());
            if let Some(r) = attempt.reason {
                detail.push_str(";reason=");
                detail.push_str(r);
            }
            unit.push_audit(
                AuditRecord::new(now, Some(row.practice), AuditActor::System, AuditAction::NotificationSent)
                    .with_resource(ResourceKind::Delivery, *id.as_bytes())
                    .with_patient(row.patient)
                    .with_outcome(outcome)
                    .with_detail(detail),
            );
        }
        self.store().commit(unit).await?;
        match attempt.reason {
            Some(code) if attempt.retry => Err(DeliverError::Retry(code)),
            _ => Ok(()),
        }
    }

    /// The address to send to now: an opted-out number or a dropped push
    /// subscription stops the delivery.
    async fn address(&self, destination: &Destination) -> Result<Resolved, ServiceError> {
        Ok(match destination {
            Destination::Email(a) => Resolved::To(Address::Email(a.clone())),
            Destination::Phone(n) => {
                if q::opted_out_since(self.store(), &self.sms_number_index(n)).await?.is_some() {
                    Resolved::OptedOut
                } else {
                    Resolved::To(Address::Phone(n.clone()))
                }
            }
            Destination::Push(s) => match q::push_subscription(self.store(), *s).await? {
                None => Resolved::Gone,
                Some(row) => {
                    let key = sealing::data_key(self.keys(), &row.key)?;
                    let text = sealing::open(&key, column::PUSH_SUBSCRIPTION, row.id.as_bytes(), &row.subscription_ct)?;
                    super::push::parse_subscription(&text)
                        .map(|t: PushTarget| Resolved::To(Address::Push(t)))
                        .ok_or(ServiceError::Internal)?
                }
            },
        })
    }
}

enum Resolved {
    To(Address),
    OptedOut,
    Gone,
}

enum DeliverError {
    Retry(&'static str),
    Service(ServiceError),
}

impl From<ServiceError> for DeliverError {
    fn from(e: ServiceError) -> Self {
        DeliverError::Service(e)
    }
}

impl From<switchboard_store::StoreError> for DeliverError {
    fn from(e: switchboard_store::StoreError) -> Self {
        DeliverError::Service(e.into())
    }
}
