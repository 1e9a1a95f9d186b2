//! Replies, notes, amendments, the response clock after a message, the draft screen and typing.

use crate::access::facts;
use crate::auth::Principal;
use crate::refusals::Target;
use crate::response_times::ClockTurn;
use crate::sealing::{self, column};
use crate::search::Indexed;
use crate::views::*;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::conversation::{self as conv, Priority};
use switchboard_domain::event::EventKind;
use switchboard_domain::ids::*;
use switchboard_domain::policy::ConversationAction;
use switchboard_domain::role::UserKind;
use switchboard_domain::search::SearchSource;
use switchboard_domain::sla::{ClockState, Turn};
use switchboard_domain::text::{IdempotencyKey, MessageBody, NoteBody};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::conversations as q;
use switchboard_store::rows::ConversationRow;
use switchboard_store::{Conflict, Step, StoreError, Unit};
impl Switchboard {
    /// The response clock after a message in an existing conversation. A
    /// message found urgent while the clock runs re-times the deadline
    /// against the urgent target, from when the waiting began.
    async fn message_clock_steps(
        &self,
        row: &ConversationRow,
        sender: UserKind,
        became_urgent: bool,
        now: Timestamp,
    ) -> Result<Vec<Step>, ServiceError> {
        let state = ClockState { waiting_since: row.waiting_since, answered: row.first_response_at.is_some() };
        let turn = match sender {
            UserKind::Patient => Turn::PatientWrote,
            UserKind::Staff => Turn::StaffReplied,
        };
        let change = switchboard_domain::sla::on_turn(state, turn);
        let retime = became_urgent && matches!(change, switchboard_domain::sla::ClockChange::Keep);
        if matches!(change, switchboard_domain::sla::ClockChange::Keep) && !retime {
            return Ok(Vec::new());
        }
        let schedule = self.practice_schedule(row.practice).await?;
        let priority = if became_urgent { Priority::Urgent } else { row.priority };
        match (retime, row.waiting_since) {
            (true, Some(since)) => {
                let d = self.deadline_for(
                    &schedule,
                    priority,
                    row.topic,
                    row.patient.department,
                    since,
                    row.first_response_at.is_none(),
                );
                self.deadline_steps(row.id, &d, row.first_response_at.is_none())
            }
            _ => Ok(self
                .clock_plan(
                    &schedule,
                    ClockTurn {
                        conversation: row.id,
                        state,
                        turn,
                        priority,
                        topic: row.topic,
                        department: row.patient.department,
                        now,
                    },
                )?
                .steps),
        }
    }

    /// Sends a message in a conversation, with the caller's waiting uploads
    /// in `attachments` (then the text may be empty). With an idempotency
    /// key, a retry of the same request returns the first result instead of
    /// sending twice.
    pub async fn post_message(
        &self,
        p: &Principal,
        id: ConversationId,
        body: String,
        attachments: &[AttachmentId],
        idempotency_key: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<SentMessage, ServiceError> {
        // Files may go without words; words are checked whenever there are any.
        let body = match MessageBody::parse(body.clone(), self.body_limit(p.user.kind)) {
            Ok(b) => Some(b),
            Err(_) if body.trim().is_empty() && !attachments.is_empty() => None,
            Err(e) => return Err(ServiceError::invalid("body", "the message", e)),
        };
        let text = body.as_ref().map(MessageBody::as_str).unwrap_or_default();
        let key = idempotency_key
            .map(IdempotencyKey::parse)
            .transpose()
            .map_err(|e| ServiceError::invalid("Idempotency-Key", "the Idempotency-Key", e))?;
        let row = self.authorized_conversation(p, ctx, id, ConversationAction::Reply, AuditAction::MessageSent).await?;
        self.require_current_terms(p).await?;
        let proxy = match &p.actor {
            switchboard_domain::policy::Actor::Patient(me) => me.grant_for(row.practice, row.patient.id).cloned(),
            _ => None,
        };
        let listed: Vec<u8> = attachments.iter().flat_map(|a| *a.as_bytes()).collect();
        let fingerprint =
            self.keys().fingerprint("idempotency.post_message", &[id.as_bytes(), text.as_bytes(), &listed]);
        if let Some(k) = &key
            && let Some(done) = self.replay(p, k, &fingerprint).await?
        {
            return Ok(done);
        }
        let now = self.now();
        let message = self.new_id(MessageId::from_bytes)?;
        let dek = self.conversation_key(&row)?;
        let status = conv::status_after_message(p.user.kind);
        let mut unit = Unit::new();
        if let Some(k) = &key {
            unit.push(q::claim_idempotency_key(p.user.id, k.as_str(), &fingerprint, message, now));
        }
        unit = unit
            .step(q::insert_message(q::NewMessage {
                id: message,
                conversation: id,
                sender: Some(p.user.id),
                sender_kind: p.user.kind.into(),
                body_ct: sealing::seal(&dek, column::BODY, message.as_bytes(), text)?,
                at: now,
            }))
            .steps(self.index_steps(Indexed {
                practice: row.practice,
                conversation: id,
                item: *message.as_bytes(),
                message: Some(message),
                source: SearchSource::Body,
                at: now,
                text,
            }))
            .steps(self.send_attachment_steps(p, id, message, attachments).await?)
            .step(q::after_message(id, status, now))
            .audit(crate::emergency::naming_grant(
                super::create::on_behalf(
                    self.record(p, ctx, AuditAction::MessageSent)
                        .with_patient(Some(row.patient.id))
                        .with_resource(ResourceKind::Message, *message.as_bytes()),
                    proxy.as_ref(),
                ),
                &p.actor,
                &facts(&row),
            ));
        if let Some(g) = &proxy {
            unit.push(super::create::proxy_message(p, g, message));
        }
        let mut after = facts(&row);
        let mut events = vec![self.event(
            p,
            id,
            &after,
            EventKind::MessageSent { message, sender: Some(p.user.id), sender_kind: p.user.kind.into() },
        )];
        if status != row.status {
            events.push(self.event(p, id, &after, EventKind::StatusChanged { status }));
        }
        // The provider asked for judgement answers the patient: the
        // conversation goes back to the staff member who asked.
        if let Some(extra) = self.return_from_escalation(p, &row, &mut after)? {
            unit = unit.steps(extra.0);
            events.extend(extra.1);
        }
        let mut urgent_now = false;
        if p.user.kind == UserKind::Patient
            && let Some((steps, kinds, audit)) =
                self.triage_steps(id, &row.patient, row.owner, row.assignee, &dek, text).await?
        {
            urgent_now = row.priority != Priority::Urgent;
            unit = unit.steps(steps);
            for a in audit {
                unit.push_audit(a);
            }
            for kind in kinds {
                events.push(self.event_by(None, id, &after, kind));
            }
        }
        unit = unit.steps(self.message_clock_steps(&row, p.user.kind, urgent_now, now).await?);
        if p.user.kind == UserKind::Staff {
            unit = unit.steps(self.staff_reply_steps(row.practice, id, message, now).await?);
        }
        match self.commit_with_events(unit, events).await {
            Ok(()) => Ok(SentMessage { conversation: id, message, sent_at: now, replayed: false }),
            Err(StoreError::Conflict(Conflict::IdempotencyKey)) => match &key {
                Some(k) => self.replay(p, k, &fingerprint).await?.ok_or(ServiceError::Internal),
                None => Err(ServiceError::Internal),
            },
            // Another message took one of the files first.
            Err(StoreError::Conflict(Conflict::AttachmentMissing)) => {
                Err(ServiceError::Conflict("one of these files was already sent"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a staff-only note.
    pub async fn add_note(
        &self,
        p: &Principal,
        id: ConversationId,
        body: String,
        ctx: &RequestContext,
    ) -> Result<NoteView, ServiceError> {
        let body = NoteBody::parse(body).map_err(|e| ServiceError::invalid("body", "the note", e))?;
        let row = self.authorized_conversation(p, ctx, id, ConversationAction::AddNote, AuditAction::NoteAdded).await?;
        let now = self.now();
        let note = self.new_id(NoteId::from_bytes)?;
        let dek = self.conversation_key(&row)?;
        let mut unit = Unit::new()
            .step(q::insert_note(
                note,
                id,
                p.user.id,
                sealing::seal(&dek, column::NOTE, note.as_bytes(), body.as_str())?,
                now,
            ))
            .steps(self.index_steps(Indexed {
                practice: row.practice,
                conversation: id,
                item: *note.as_bytes(),
                message: None,
                source: SearchSource::Note,
                at: now,
                text: body.as_str(),
            }))
            .audit(crate::emergency::naming_grant(
                self.record(p, ctx, AuditAction::NoteAdded)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Note, *note.as_bytes()),
                &p.actor,
                &facts(&row),
            ));
        let mut after = facts(&row);
        let mut events = vec![self.event(p, id, &after, EventKind::NoteAdded { note })];
        // The provider asked for judgement answers staff in a note: the
        // conversation goes back to the staff member who asked.
        if let Some((steps, more)) = self.return_from_escalation(p, &row, &mut after)? {
            unit = unit.steps(steps);
            events.extend(more);
        }
        self.commit_with_events(unit, events).await?;
        Ok(NoteView {
            id: note,
            author: PersonRef { id: p.user.id, kind: p.user.kind, display_name: p.user.display_name.clone() },
            body: body.into_string(),
            created_at: now,
        })
    }

    /// Appends a correction to one's own message. The original is kept and
    /// shown with its amendments.
    pub async fn amend_message(
        &self,
        p: &Principal,
        id: ConversationId,
        message: MessageId,
        body: String,
        ctx: &RequestContext,
    ) -> Result<AmendmentView, ServiceError> {
        let body = MessageBody::parse(body, self.body_limit(p.user.kind))
            .map_err(|e| ServiceError::invalid("body", "the correction", e))?;
        // Automatic replies have no author and cannot be amended.
        let Some((Some(author), _)) = q::message_sender(self.store(), id, message).await? else {
            // Refused on the conversation's terms (and filed with its
            // practice) before the missing message is.
            self.authorized_conversation(p, ctx, id, ConversationAction::View, AuditAction::MessageAmended).await?;
            let target = Target::missing(ResourceKind::Message, *message.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::MessageAmended, target, "denied:not_found".into()).await);
        };
        let row = self
            .authorized_conversation(p, ctx, id, ConversationAction::Amend { author }, AuditAction::MessageAmended)
            .await?;
        let now = self.now();
        let amendment = self.new_id(AmendmentId::from_bytes)?;
        let dek = self.conversation_key(&row)?;
        let unit = Unit::new()
            .step(q::insert_amendment(
                amendment,
                message,
                p.user.id,
                sealing::seal(&dek, column::AMENDMENT, amendment.as_bytes(), body.as_str())?,
                now,
            ))
            .steps(self.index_steps(Indexed {
                practice: row.practice,
                conversation: id,
                item: *amendment.as_bytes(),
                message: Some(message),
                source: SearchSource::Amendment,
                at: now,
                text: body.as_str(),
            }))
            .audit(
                self.record(p, ctx, AuditAction::MessageAmended)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Message, *message.as_bytes()),
            );
        let events = vec![self.event(p, id, &facts(&row), EventKind::MessageAmended { message })];
        self.commit_with_events(unit, events).await?;
        Ok(AmendmentView {
            id: amendment,
            author: PersonRef { id: p.user.id, kind: p.user.kind, display_name: p.user.display_name.clone() },
            body: body.into_string(),
            created_at: now,
        })
    }

    /// Whether a draft may describe an emergency: the same screen every
    /// sent message goes through, run before sending so the guidance can
    /// be shown in time. The text is neither stored nor logged, and nobody
    /// is alerted: only a sent message does that.
    pub fn screen_draft(&self, p: &Principal, text: &str) -> Result<bool, ServiceError> {
        // Generous (a draft may be over the limit while being written), but bounded.
        if text.chars().count() > 2 * self.body_limit(p.user.kind) {
            return Err(ServiceError::Invalid { field: "body", problem: "the text is too long to check".into() });
        }
        Ok(self.inner.triage.screen(text).urgent())
    }

    /// Tells the other side that the caller is writing. Not stored, not
    /// audited (nothing is read or written); refused like a reply would be.
    pub async fn typing(&self, p: &Principal, id: ConversationId, ctx: &RequestContext) -> Result<(), ServiceError> {
        let row = self.authorized_conversation(p, ctx, id, ConversationAction::Reply, AuditAction::MessageSent).await?;
        let kind = EventKind::Typing { user: p.user.id, user_kind: p.user.kind };
        self.events().publish(vec![self.event(p, id, &facts(&row), kind)]);
        Ok(())
    }
}
