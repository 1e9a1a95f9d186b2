//! Notifications outside the app: people's choices (media, quiet hours),
//! the practice's defaults, push subscriptions, deliveries on a patient's
//! record, and the outbox.

use super::common::Code;
use serde::{Deserialize, Serialize};
use switchboard_domain::notify::{DeliveryState, Medium, NoticeKind, QuietHours, Reach};
use switchboard_service::ServiceError;
use switchboard_service::delivery::{DeliveryView, EffectiveChoices, NotificationChoices, OutboxItem};
use utoipa::ToSchema;

pub(crate) type MediumDto = Code<Medium>;
pub(crate) type NoticeKindDto = Code<NoticeKind>;
pub(crate) type DeliveryStateDto = Code<DeliveryState>;

/// A daily quiet stretch in the practice's time zone, `HH:MM` to `HH:MM`
/// (it may span midnight). Only urgent and time-critical messages are sent
/// in it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuietHoursDto {
    #[schema(example = "21:00", pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    #[schema(example = "08:00", pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$")]
    pub to: String,
}

impl From<QuietHours> for QuietHoursDto {
    fn from(q: QuietHours) -> Self {
        let (from, to) = q.display();
        QuietHoursDto { from, to }
    }
}

impl QuietHoursDto {
    pub fn parse(&self) -> Result<QuietHours, ServiceError> {
        QuietHours::parse(&self.from, &self.to).map_err(|_| ServiceError::Invalid {
            field: "quiet_hours",
            problem: "quiet hours must be two different times, HH:MM on a 24-hour clock".into(),
        })
    }
}

fn media(r: Reach) -> Vec<MediumDto> {
    r.media().map(Code).collect()
}

pub(crate) fn parse_media(list: &[String]) -> Result<Reach, ServiceError> {
    let mut r = Reach::default();
    for m in list {
        match Medium::parse(m) {
            Some(Medium::Email) => r.email = true,
            Some(Medium::Sms) => r.sms = true,
            Some(Medium::Push) => r.push = true,
            None => {
                return Err(ServiceError::Invalid {
                    field: "media",
                    problem: "each medium must be email, sms or push".into(),
                });
            }
        }
    }
    Ok(r)
}

/// How you are told of new messages, and what holds after the practice's
/// defaults.
#[derive(Serialize, ToSchema)]
pub(crate) struct NotificationChoicesDto {
    /// Your own choice; null follows the practice.
    pub media: Option<Vec<MediumDto>>,
    /// Your own quiet hours; null follows the practice.
    pub quiet_hours: Option<QuietHoursDto>,
    /// Whether you have made your own choice.
    pub custom: bool,
    /// The media you are reached by now (needs an address on file, or a
    /// browser subscribed for push).
    pub effective_media: Vec<MediumDto>,
    pub effective_quiet_hours: Option<QuietHoursDto>,
    /// Whether a reply left unread is also reminded by email (when email
    /// is among your media); false once you unsubscribed from a reminder.
    pub reminder_emails: bool,
}

impl From<NotificationChoices> for NotificationChoicesDto {
    fn from(c: NotificationChoices) -> Self {
        let EffectiveChoices { reach, quiet } = c.effective;
        NotificationChoicesDto {
            media: c.reach.map(media),
            quiet_hours: c.quiet.map(Into::into),
            custom: c.custom,
            effective_media: media(reach),
            effective_quiet_hours: quiet.map(Into::into),
            reminder_emails: c.reminder_emails,
        }
    }
}

/// Your choices. `media` and `quiet_hours` both null (or absent): follow
/// the practice's defaults.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationChoicesRequest {
    /// Any of `email`, `sms`, `push`; an empty list turns notifications
    /// off (messages still wait in the app).
    #[serde(default)]
    pub media: Option<Vec<String>>,
    #[serde(default)]
    pub quiet_hours: Option<QuietHoursDto>,
    /// Whether unread replies are also reminded by email; absent leaves it
    /// as it is.
    #[serde(default)]
    pub reminder_emails: Option<bool>,
}

/// What the practice's patients get until they choose.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeNotificationDefaultsDto {
    /// Any of `email`, `sms`, `push`.
    pub media: Vec<String>,
    #[serde(default)]
    pub quiet_hours: Option<QuietHoursDto>,
}

/// A staff member's mobile number, for the SMS alerts they opt into.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MobileDto {
    /// Null or empty: none.
    #[serde(default)]
    pub mobile: Option<String>,
}

/// The keys of a browser's push subscription.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PushKeysDto {
    /// base64url P-256 public key.
    pub p256dh: String,
    /// base64url 16-byte secret.
    pub auth: String,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PushSubscriptionRequest {
    pub endpoint: String,
    pub keys: PushKeysDto,
    /// Ignored (browsers send null).
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)]
    pub expiration_time: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PushSubscriptionCreated {
    #[schema(format = "uuid")]
    pub id: String,
}

/// The key browsers subscribe with (`applicationServerKey`).
#[derive(Serialize, ToSchema)]
pub(crate) struct PushKeyDto {
    /// base64url, uncompressed P-256 point.
    pub public_key: String,
}

/// One email, text or push: never its words or address.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub medium: MediumDto,
    pub kind: NoticeKindDto,
    pub state: DeliveryStateDto,
    /// Why it failed or waits (`smtp_unavailable`, `no_channel`,
    /// `sms_opted_out`…).
    pub reason: Option<String>,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

impl From<&DeliveryView> for DeliveryDto {
    fn from(d: &DeliveryView) -> Self {
        DeliveryDto {
            id: d.id.to_string(),
            medium: Code(d.medium),
            kind: Code(d.kind),
            state: Code(d.state),
            reason: d.reason.clone(),
            attempts: d.attempts,
            created_at: d.created_at.to_rfc3339(),
            sent_at: d.sent_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A medium the patient has not been reachable by since a time.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnreachableDto {
    pub medium: MediumDto,
    #[schema(format = DateTime)]
    pub since: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientDeliveriesDto {
    pub deliveries: Vec<DeliveryDto>,
    pub unreachable: Vec<UnreachableDto>,
}

/// A message that found no channel: what would have been sent.
#[derive(Serialize, ToSchema)]
pub(crate) struct OutboxItemDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub medium: MediumDto,
    pub kind: NoticeKindDto,
    pub to: String,
    pub subject: String,
    pub text: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<OutboxItem> for OutboxItemDto {
    fn from(o: OutboxItem) -> Self {
        OutboxItemDto {
            id: o.id.to_string(),
            medium: Code(o.medium),
            kind: Code(o.kind),
            to: o.to,
            subject: o.subject,
            text: o.text,
            created_at: o.created_at.to_rfc3339(),
        }
    }
}
