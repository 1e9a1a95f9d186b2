//! Committing a change with its domain events (stored in the same
//! transaction, published after it), and replaying a retried request.

use crate::auth::Principal;
use crate::views::*;
use crate::{ServiceError, Switchboard};
use switchboard_domain::event::{DomainEvent, EventKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::ConversationFacts;
use switchboard_domain::text::IdempotencyKey;
use switchboard_store::queries::{conversations as q, events as ev};
use switchboard_store::{StoreError, Unit};

impl Switchboard {
    pub(crate) fn event(
        &self,
        p: &Principal,
        conversation: ConversationId,
        facts: &ConversationFacts,
        kind: EventKind,
    ) -> DomainEvent {
        self.event_by(Some(p.user.id), conversation, facts, kind)
    }

    /// An event by a user, or by the system (`None`).
    pub(crate) fn event_by(
        &self,
        actor: Option<UserId>,
        conversation: ConversationId,
        facts: &ConversationFacts,
        kind: EventKind,
    ) -> DomainEvent {
        DomainEvent {
            at: self.now(),
            practice: facts.patient.practice,
            patient: facts.patient.id,
            conversation,
            actor,
            kind,
            facts: facts.clone(),
        }
    }

    pub(crate) async fn commit_with_events(&self, mut unit: Unit, events: Vec<DomainEvent>) -> Result<(), StoreError> {
        for e in &events {
            unit.push(ev::insert(e));
        }
        self.store().commit(unit).await?;
        self.events().publish(events);
        Ok(())
    }

    /// What a retried request gets back, or `None` if the key is new.
    pub(crate) async fn replay(
        &self,
        p: &Principal,
        key: &IdempotencyKey,
        fingerprint: &[u8; 32],
    ) -> Result<Option<SentMessage>, ServiceError> {
        let Some((stored, message)) = q::idempotency_record(self.store(), p.user.id, key.as_str()).await? else {
            return Ok(None);
        };
        if &stored != fingerprint {
            return Err(ServiceError::IdempotencyKeyReused);
        }
        let found = self.message_location(message).await?;
        Ok(Some(SentMessage { conversation: found.0, message, sent_at: found.1, replayed: true }))
    }

    async fn message_location(
        &self,
        message: MessageId,
    ) -> Result<(ConversationId, switchboard_domain::Timestamp), ServiceError> {
        q::message_location(self.store(), message).await?.ok_or(ServiceError::Internal)
    }
}
