//! What staff see of deliveries: a patient's, on their record (what was
//! sent, by what, and whether they can be reached), and, where no channel
//! is configured, the outbox of what would have been sent.

use super::queue::Destination;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{self, DeliveryState, Medium, NoticeKind};
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::time::Timestamp;
use switchboard_store::Unit;
use switchboard_store::queries::deliveries as q;

/// One delivery as staff see it: never its words or address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: DeliveryId,
    pub medium: Medium,
    pub kind: NoticeKind,
    pub state: DeliveryState,
    /// The code of the last failure (`smtp_unavailable`, `no_channel`…).
    pub reason: Option<String>,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

impl From<&q::DeliveryRow> for DeliveryView {
    fn from(r: &q::DeliveryRow) -> Self {
        DeliveryView {
            id: r.id,
            medium: r.medium,
            kind: r.kind,
            state: r.state,
            reason: r.reason.clone(),
            attempts: r.attempts,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}

/// A patient's recent deliveries and the media they cannot be reached by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientDeliveries {
    pub deliveries: Vec<DeliveryView>,
    /// "Not reachable by SMS since …".
    pub unreachable: Vec<(Medium, Timestamp)>,
}

/// A message that found no channel to leave by, as administrators see it
/// in the outbox: who it was for and what it said, with its link's token or
/// its code withheld (only the demo shows them), since they open a
/// patient's account or messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: DeliveryId,
    pub medium: Medium,
    pub kind: NoticeKind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub created_at: Timestamp,
}

/// How many recent deliveries a record shows.
const RECENT: i64 = 50;

impl Switchboard {
    /// A patient's deliveries, for staff who manage the patient.
    pub async fn patient_deliveries(
        &self,
        p: &Principal,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<PatientDeliveries, ServiceError> {
        self.patient_for_invitation(p, patient, AuditAction::DeliveriesViewed, ctx).await?;
        let rows = q::for_patient(self.store(), patient, RECENT).await?;
        let outcomes: Vec<notify::Outcome> =
            rows.iter().map(|r| notify::Outcome { medium: r.medium, state: r.state, at: r.updated_at }).collect();
        let unreachable =
            Medium::ALL.into_iter().filter_map(|m| notify::unreachable_since(&outcomes, m).map(|t| (m, t))).collect();
        let rec = self
            .record(p, ctx, AuditAction::DeliveriesViewed)
            .with_patient(Some(patient))
            .with_resource(ResourceKind::Patient, *patient.as_bytes());
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(PatientDeliveries { deliveries: rows.iter().map(DeliveryView::from).collect(), unreachable })
    }

    /// What would have been sent had a channel been configured
    /// (administrators).
    pub async fn outbox(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<OutboxItem>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::DeliveriesViewed).await?;
        let rows = q::unsent_for_practice(self.store(), p.user.practice, RECENT).await?;
        let practice_name = self.practice_name(p.user.practice).await?.unwrap_or_default();
        let base = self.couriers().link_base;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let key = sealing::data_key(self.keys(), &r.key)?;
            let to = sealing::open(&key, column::DELIVERY_ADDRESS, r.id.as_bytes(), &r.address_ct)?;
            let to = match Destination::from_text(&to) {
                Some(Destination::Email(a)) => a,
                Some(Destination::Phone(n)) => n,
                Some(Destination::Push(_)) => "a browser".to_owned(),
                None => return Err(ServiceError::Internal),
            };
            let path = sealing::open(&key, column::DELIVERY_LINK, r.id.as_bytes(), &r.link_ct)?;
            // A one-time code is shown as it is, like the message that carries it.
            let link = if r.kind.carries_code() { path } else { format!("{base}{path}") };
            let link = if self.config().demo { link } else { notify::withhold_secret(r.kind, &link) };
            let words = notify::words(r.kind, &practice_name, &link);
            let text = if r.medium == Medium::Email { words.text } else { words.sms };
            items.push(OutboxItem {
                id: r.id,
                medium: r.medium,
                kind: r.kind,
                to,
                subject: words.subject,
                text,
                created_at: r.created_at,
            });
        }
        let rec = self
            .record(p, ctx, AuditAction::DeliveriesViewed)
            .with_resource(ResourceKind::Practice, *p.user.practice.as_bytes())
            .with_detail(format!("outbox;items={}", items.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(items)
    }
}
