//! Read and unread marks, closing, reopening and the patient's rating.

use crate::access::facts;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::conversation::{self as conv, ConversationStatus, TransitionError};
use switchboard_domain::event::EventKind;
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::policy::ConversationAction;
use switchboard_domain::role::UserKind;
use switchboard_domain::text::{MessageBody, Reason};
use switchboard_store::queries::{conversations as q, routing as routing_q};
use switchboard_store::{Conflict, StoreError, Unit};
impl Switchboard {
    /// Marks the other side's messages as read by the caller. Returns how
    /// many were newly marked.
    pub async fn mark_read(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
    ) -> Result<i64, ServiceError> {
        let row =
            self.authorized_conversation(p, ctx, id, ConversationAction::MarkRead, AuditAction::MessagesRead).await?;
        let unread = q::unread_by(self.store(), id, p.user.id, p.user.kind).await?;
        let now = self.now();
        let mut unit = Unit::new().step(q::mark_read(id, p.user.id, p.user.kind, now));
        if p.user.kind == UserKind::Staff {
            unit.push(q::clear_unread_mark(id, p.user.id));
        }
        if p.user.kind == UserKind::Patient {
            // Read at last: no follow-up needed, no reminder left to see.
            unit.push(q::clear_unread_flag(id));
            unit.push(switchboard_store::queries::notifications::seen_for_conversation(p.user.id, id, now));
        }
        let unit = unit.audit(
            self.record(p, ctx, AuditAction::MessagesRead)
                .with_patient(Some(row.patient.id))
                .with_resource(ResourceKind::Conversation, *id.as_bytes())
                .with_detail(format!("count={unread}")),
        );
        let events = if unread > 0 {
            vec![self.event(
                p,
                id,
                &facts(&row),
                EventKind::MessagesRead { reader: p.user.id, reader_kind: p.user.kind },
            )]
        } else {
            Vec::new()
        };
        self.commit_with_events(unit, events).await?;
        Ok(unread)
    }

    /// A staff member's "mark unread": the conversation shows as unread
    /// for them (and only them) until they open it again. Read receipts
    /// already given stay: the patient was told the truth.
    pub async fn mark_unread(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let row = self
            .authorized_conversation(p, ctx, id, ConversationAction::MarkUnread, AuditAction::ConversationMarkedUnread)
            .await?;
        let unit = Unit::new().step(q::mark_unread(id, p.user.id, self.now())).audit(
            self.record(p, ctx, AuditAction::ConversationMarkedUnread)
                .with_patient(Some(row.patient.id))
                .with_resource(ResourceKind::Conversation, *id.as_bytes()),
        );
        self.store().commit(unit).await?;
        Ok(())
    }

    async fn change_status(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
        closing: Option<Option<String>>,
    ) -> Result<ConversationStatus, ServiceError> {
        let (action, audit_action) = if closing.is_some() {
            (ConversationAction::Close, AuditAction::ConversationClosed)
        } else {
            (ConversationAction::Reopen, AuditAction::ConversationReopened)
        };
        // A reason is one line, like a reassignment's.
        let reason = Reason::parse_optional(closing.clone().flatten().as_deref())
            .map_err(|e| ServiceError::invalid("reason", "the reason", e))?
            .map(Reason::into_string);
        let row = self.authorized_conversation(p, ctx, id, action, audit_action).await?;
        let next = if closing.is_some() { conv::close(row.status) } else { conv::reopen(row.status) };
        let status = next.map_err(|e| match e {
            TransitionError::AlreadyClosed => ServiceError::Conflict("the conversation is already closed"),
            TransitionError::NotClosed => ServiceError::Conflict("the conversation is not closed"),
        })?;
        let now = self.now();
        let mut record = self
            .record(p, ctx, audit_action)
            .with_patient(Some(row.patient.id))
            .with_resource(ResourceKind::Conversation, *id.as_bytes());
        // An urgent message nobody has answered is not closed in passing:
        // staff confirm, and say why, in the history.
        let mut history = None;
        if closing.is_some() {
            let answered = q::staff_answered(self.store(), id).await?;
            if conv::close_requirement(row.priority, answered, p.user.kind) == conv::CloseRequirement::ConfirmWithReason
            {
                let Some(reason) = &reason else {
                    return Err(ServiceError::Invalid {
                        field: "reason",
                        problem: "no one on staff has answered this urgent message: give a reason to close it".into(),
                    });
                };
                let history_id = self.new_id(HistoryId::from_bytes)?;
                let reason_ct = sealing::seal(
                    &*self.conversation_key(&row)?,
                    column::ASSIGNMENT_REASON,
                    history_id.as_bytes(),
                    reason,
                )?;
                history = Some(routing_q::insert_history(routing_q::HistoryEntry {
                    id: history_id,
                    conversation: id,
                    at: now,
                    actor: Some(p.user.id),
                    from_assignee: row.assignee,
                    to_assignee: row.assignee,
                    to_owner: None,
                    reason_code: HistoryCode::ClosedUnanswered,
                    reason_ct: Some(reason_ct),
                }));
                record = record.with_detail("unanswered_urgent");
            }
        }
        let step = if closing.is_some() { q::close(id, now) } else { q::reopen(id, status, now) };
        let mut unit = Unit::new().step(step).audit(record);
        if let Some(h) = history {
            unit.push(h);
        }
        // Closing stops the response clock; reopening leaves it to the
        // patient's next message.
        if closing.is_some() && row.waiting_since.is_some() {
            unit.push(q::stop_clock(id, None));
        }
        let events = vec![self.event(p, id, &facts(&row), EventKind::StatusChanged { status })];
        match self.commit_with_events(unit, events).await {
            Ok(()) => {
                // Closing frees the assignee's room for work waiting in a pool.
                if let (true, Some(assignee)) = (closing.is_some(), row.assignee) {
                    self.offer_work_to(row.practice, assignee).await;
                }
                Ok(status)
            }
            // Someone else changed it between our read and our write.
            Err(StoreError::Conflict(Conflict::AlreadyClosed)) => {
                Err(ServiceError::Conflict("the conversation is already closed"))
            }
            Err(StoreError::Conflict(Conflict::NotClosed)) => {
                Err(ServiceError::Conflict("the conversation is not closed"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Closes a conversation. Staff closing an urgent one that no staff
    /// member has answered must give a reason (kept, sealed, in its
    /// history).
    pub async fn close_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        reason: Option<String>,
        ctx: &RequestContext,
    ) -> Result<ConversationStatus, ServiceError> {
        self.change_status(p, id, ctx, Some(reason)).await
    }

    pub async fn reopen_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
    ) -> Result<ConversationStatus, ServiceError> {
        self.change_status(p, id, ctx, None).await
    }

    /// The patient rates a closed conversation, once: a score of 1 to 5 and
    /// an optional comment.
    pub async fn rate_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        score: i64,
        comment: Option<String>,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        if !(1..=5).contains(&score) {
            return Err(ServiceError::Invalid { field: "score", problem: "the score must be 1 to 5".into() });
        }
        let comment = match comment.filter(|c| !c.trim().is_empty()) {
            Some(c) => {
                Some(MessageBody::parse(c, 1000).map_err(|e| ServiceError::invalid("comment", "the comment", e))?)
            }
            None => None,
        };
        let row =
            self.authorized_conversation(p, ctx, id, ConversationAction::Rate, AuditAction::ConversationRated).await?;
        if row.status != ConversationStatus::Closed {
            return Err(ServiceError::Conflict("a conversation can be rated once it is closed"));
        }
        // Only what a person answered is rated (an automatic reply is not an answer).
        if !conv::rateable(row.status, q::staff_answered(self.store(), id).await?) {
            return Err(ServiceError::Conflict("a conversation can be rated once someone on staff has answered it"));
        }
        let key = self.conversation_key(&row)?;
        let comment_ct = match &comment {
            Some(c) => Some(sealing::seal(&key, column::RATING_COMMENT, id.as_bytes(), c.as_str())?),
            None => None,
        };
        let now = self.now();
        let unit = Unit::new()
            .step(switchboard_store::queries::ratings::insert(id, row.practice, row.patient.id, score, comment_ct, now))
            .audit(
                self.record(p, ctx, AuditAction::ConversationRated)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Conversation, *id.as_bytes())
                    .with_detail(format!("score={score}")),
            );
        match self.store().commit(unit).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(Conflict::AlreadyRated)) => {
                Err(ServiceError::Conflict("this conversation is already rated"))
            }
            Err(e) => Err(e.into()),
        }
    }
}
