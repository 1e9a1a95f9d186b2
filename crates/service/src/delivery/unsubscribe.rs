//! One-click unsubscribe from reminder emails (RFC 8058). Each reminder
//! email carries a link of its own, `/unsubscribe/<token>`: the token is
//! the delivery's id signed for this purpose alone by the key ring (no
//! PHI, no patient id, and nobody without the key can make one). A POST to
//! it turns reminder emails off for the patient the reminder went to;
//! their other notices stay as they chose.

use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::ids::DeliveryId;
use switchboard_domain::notify::Medium;
use switchboard_store::Unit;
use switchboard_store::queries::deliveries as q;

/// What the key ring signs unsubscribe tokens for.
const PURPOSE: &str = "reminder-emails-unsubscribe";

/// Where unsubscribe links point: the token follows.
pub const UNSUBSCRIBE_PATH: &str = "/unsubscribe/";

impl Switchboard {
    /// The path of the one-click unsubscribe link for a reminder email.
    pub(crate) fn unsubscribe_path(&self, delivery: DeliveryId) -> Result<String, ServiceError> {
        let token = self.keys().sign_token(PURPOSE, delivery.as_bytes()).ok_or(ServiceError::Internal)?;
        Ok(format!("{UNSUBSCRIBE_PATH}{token}"))
    }

    /// Turns reminder emails off for the patient a reminder email went to,
    /// given the token of its unsubscribe link. Doing it again changes
    /// nothing. Whoever presents the token is anonymous (the token is all
    /// they showed); the change is recorded in the patient's practice. A
    /// token that is not one of ours is refused like an unknown link, and
    /// tries are counted per address like links'.
    pub async fn unsubscribe_reminder_emails(&self, token: &str, ctx: &RequestContext) -> Result<(), ServiceError> {
        let presented = self.present_link(token, ctx).await?;
        let delivery = self.keys().open_token(PURPOSE, token).and_then(|b| DeliveryId::from_slice(&b).ok());
        let row = match delivery {
            Some(id) => q::by_id(self.store(), id).await?,
            None => None,
        };
        let Some((row, user)) =
            row.filter(|r| r.kind.is_reminder() && r.medium == Medium::Email).and_then(|r| r.user.map(|u| (r, u)))
        else {
            return Err(self.unknown_link(ctx).await);
        };
        self.link_accepted(presented).await?;
        let now = self.now();
        let rec = AuditRecord::new(
            now,
            Some(row.practice),
            AuditActor::Anonymous,
            AuditAction::NotificationPreferencesChanged,
        )
        .with_patient(row.patient)
        .with_resource(ResourceKind::User, *user.as_bytes())
        .with_client_addr(ctx.client_text())
        .with_detail("reminder_emails_off;one_click");
        let unit = Unit::new().step(q::set_reminder_emails_off(user, Some(now), now)).audit(rec);
        self.store().commit(unit).await?;
        Ok(())
    }
}
