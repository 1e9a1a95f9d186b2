//! How people choose to be reached: a patient's media and quiet hours on
//! their settings page, over the practice's defaults that administrators
//! set.

use super::queue::{parse_reach, quiet_hours, reach_text};
use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::notify::{QuietHours, Reach};
use switchboard_domain::policy::PracticeAction;
use switchboard_store::Unit;
use switchboard_store::queries::deliveries as q;

/// One person's choices, and what holds for them after the practice's
/// defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationChoices {
    /// Their own choice of media; `None` follows the practice.
    pub reach: Option<Reach>,
    /// Their own quiet hours; `None` follows the practice.
    pub quiet: Option<QuietHours>,
    /// Whether their own choice is set at all (else the practice's holds).
    pub custom: bool,
    pub effective: super::EffectiveChoices,
    /// Whether a reply left unread is also reminded by email (when email
    /// is among their media): off once they unsubscribed from a reminder.
    pub reminder_emails: bool,
}

/// What a practice gives its patients until they choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PracticeNotificationDefaults {
    pub reach: Reach,
    pub quiet: Option<QuietHours>,
}

impl Switchboard {
    /// The caller's own notification choices.
    pub async fn my_notification_choices(&self, p: &Principal) -> Result<NotificationChoices, ServiceError> {
        let own = q::preferences(self.store(), p.user.id).await?;
        let staff = p.user.kind == switchboard_domain::role::UserKind::Staff;
        let effective = self.effective_choices(p.user.practice, Some(p.user.id), staff).await?;
        let reminder_emails = q::reminder_emails_off_since(self.store(), p.user.id).await?.is_none();
        Ok(NotificationChoices {
            reach: own.as_ref().and_then(|o| o.reach.as_deref()).map(parse_reach),
            quiet: own.as_ref().and_then(|o| quiet_hours(o.quiet_from, o.quiet_to)),
            custom: own.as_ref().is_some_and(|o| o.reach.is_some() || o.quiet_from.is_some()),
            effective,
            reminder_emails,
        })
    }

    /// Sets the caller's own choices (`None` for both: back to the
    /// practice's defaults), and, when `reminder_emails` is given, whether
    /// unread replies are also reminded by email.
    pub async fn save_my_notification_choices(
        &self,
        p: &Principal,
        reach: Option<Reach>,
        quiet: Option<QuietHours>,
        reminder_emails: Option<bool>,
        ctx: &RequestContext,
    ) -> Result<NotificationChoices, ServiceError> {
        let row = q::ReachRow {
            reach: reach.map(reach_text),
            quiet_from: quiet.map(|h| i64::from(h.from_minutes())),
            quiet_to: quiet.map(|h| i64::from(h.to_minutes())),
        };
        let now = self.now();
        let mut rec = self
            .record(p, ctx, AuditAction::NotificationPreferencesChanged)
            .with_resource(ResourceKind::User, *p.user.id.as_bytes());
        let mut unit = Unit::new().step(q::set_preferences(p.user.id, &row, now));
        if let Some(on) = reminder_emails {
            unit.push(q::set_reminder_emails_off(p.user.id, (!on).then_some(now), now));
            rec = rec.with_detail(if on { "reminder_emails_on" } else { "reminder_emails_off" });
        }
        let unit = unit.audit(rec);
        self.store().commit(unit).await?;
        self.my_notification_choices(p).await
    }

    /// The practice's defaults for its patients.
    pub async fn practice_notification_defaults(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<PracticeNotificationDefaults, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let row = q::practice_defaults(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        Ok(PracticeNotificationDefaults {
            reach: row.reach.as_deref().map(parse_reach).unwrap_or_default(),
            quiet: quiet_hours(row.quiet_from, row.quiet_to),
        })
    }

    /// Administrators set the practice's defaults.
    pub async fn save_practice_notification_defaults(
        &self,
        p: &Principal,
        defaults: PracticeNotificationDefaults,
        ctx: &RequestContext,
    ) -> Result<PracticeNotificationDefaults, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::NotificationPreferencesChanged)
            .await?;
        let row = q::ReachRow {
            reach: Some(reach_text(defaults.reach)),
            quiet_from: defaults.quiet.map(|h| i64::from(h.from_minutes())),
            quiet_to: defaults.quiet.map(|h| i64::from(h.to_minutes())),
        };
        let unit = Unit::new().step(q::set_practice_defaults(p.user.practice, &row)).audit(
            self.record(p, ctx, AuditAction::NotificationPreferencesChanged)
                .with_resource(ResourceKind::Practice, *p.user.practice.as_bytes())
                .with_detail("practice_defaults"),
        );
        self.store().commit(unit).await?;
        self.practice_notification_defaults(p, ctx).await
    }
}
