//! Conversations: listing, starting, reading, replying, notes, read
//! receipts, closing, assignment and amendments.

use crate::auth::Principal;
use crate::refusals::Target;
use crate::sealing::{self, column};
use crate::views::*;
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use switchboard_crypto::DataKey;
use switchboard_domain::audit::{AuditAction, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::conversation::{self as conv, ConversationStatus, Priority, TransitionError};
use switchboard_domain::cursor::ListCursor;
use switchboard_domain::event::{DomainEvent, EventKind};
use switchboard_domain::ids::*;
use switchboard_domain::inbox::{InboxView, Sort};
use switchboard_domain::policy::{
    self, Actor, ConversationAction, ConversationFacts, Decision, PatientAction, PatientFacts,
};
use switchboard_domain::receipt::{self, StaffRead};
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::routing::Owner;
use switchboard_domain::sla::{ClockState, Turn};
use switchboard_domain::text::{IdempotencyKey, MessageBody, NoteBody, Reason, Subject};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_store::queries::{conversations as q, directory, events as ev, keys as key_q, routing as routing_q};
use switchboard_store::rows::{ConversationRow, PatientRow, WrappedKeyRow};
use switchboard_store::{Step, StoreError, Unit};

/// Assignee filter for staff listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffFilterAssignee {
    User(UserId),
    Unassigned,
}

/// Filters and paging for [`Switchboard::list_conversations`].
#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    /// A named slice (staff inbox views; patients may use the
    /// status-based ones).
    pub view: Option<InboxView>,
    pub status: Option<ConversationStatus>,
    pub assignee: Option<StaffFilterAssignee>,
    pub patient: Option<PatientId>,
    /// Most recent first unless asked otherwise.
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Input to start a conversation, as received (validated here).
#[derive(Clone, Debug)]
pub struct NewConversationInput {
    /// Required for staff; a patient may omit it or give their own.
    pub patient_id: Option<PatientId>,
    pub subject: String,
    pub topic: String,
    pub body: String,
    /// Staff only; patients' conversations start routine.
    pub priority: Option<String>,
    /// Patients only: a provider of their care team to write to directly.
    pub to_provider: Option<UserId>,
    /// Staff only: keep it with the caller ("replies come straight to me")
    /// instead of routing it.
    pub keep_with_me: bool,
}

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

pub(crate) fn facts(row: &ConversationRow) -> ConversationFacts {
    ConversationFacts {
        patient: patient_facts(&row.patient),
        assignee: row.assignee,
        owner: row.owner,
        escalated_to: row.escalated_to.as_ref().map(|(u, _)| *u),
    }
}

pub(crate) fn patient_facts(p: &PatientRow) -> PatientFacts {
    PatientFacts { id: p.id, practice: p.practice, department: p.department, care_team: p.care_team }
}

/// The longest preview of a message a listing carries, in characters.
const PREVIEW_CHARS: usize = 120;

/// A message's first line, cut to [`PREVIEW_CHARS`] with an ellipsis: what
/// an inbox row shows (the whole body stays in the conversation).
fn preview_text(body: &str) -> String {
    let line = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(PREVIEW_CHARS).collect();
    if line.chars().count() > PREVIEW_CHARS || body.trim().lines().count() > 1 {
        out = out.trim_end().to_owned();
        out.push('…');
    }
    out
}

fn denial_detail(d: Decision) -> String {
    match d {
        Decision::Allow => "allowed".to_owned(),
        Decision::Deny(reason) => format!("denied:{}", reason.as_str()),
    }
}

impl Switchboard {
    /// A successful audit record of `action` by `p`; refine with the
    /// record's `with_*` methods.
    pub(crate) fn record(&self, p: &Principal, ctx: &RequestContext, action: AuditAction) -> AuditRecord {
        AuditRecord {
            at: self.now(),
            practice: Some(p.user.practice),
            actor: p.audit_actor(),
            action,
            outcome: Outcome::Success,
            patient: None,
            resource: None,
            client_addr: ctx.client_text(),
            detail: None,
        }
    }

    /// Loads a conversation and checks `action` on it; refusals and missing
    /// conversations are audited and look alike.
    pub(crate) async fn authorized_conversation(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ConversationId,
        action: ConversationAction,
        audit_action: AuditAction,
    ) -> Result<ConversationRow, ServiceError> {
        let Some(row) = q::by_id(self.store(), id).await? else {
            let target = Target::missing(ResourceKind::Conversation, *id.as_bytes());
            return Err(self.deny(p, ctx, audit_action, target, "denied:not_found".into()).await);
        };
        match policy::authorize_conversation(&p.actor, action, &facts(&row)) {
            Decision::Allow => Ok(row),
            d => {
                let target =
                    Target::owned(row.practice, Some(row.patient.id), ResourceKind::Conversation, *id.as_bytes());
                Err(self.deny(p, ctx, audit_action, target, denial_detail(d)).await)
            }
        }
    }

    pub(crate) fn conversation_key(&self, row: &ConversationRow) -> Result<Arc<DataKey>, ServiceError> {
        sealing::data_key(self.keys(), &row.key)
    }

    fn summary(&self, viewer: &Actor, row: &ConversationRow) -> Result<ConversationSummary, ServiceError> {
        let key = self.conversation_key(row)?;
        let staff_view = matches!(viewer, Actor::Staff(_));
        Ok(ConversationSummary {
            id: row.id,
            patient: PatientSummary {
                id: row.patient.id,
                display_name: self.patient_display_name(&row.patient)?,
                birth_date: if staff_view { Some(self.patient_birth_date(&row.patient)?) } else { None },
                care_team: row.patient.care_team_name.clone(),
                department: row.patient.department_name.clone(),
            },
            subject: sealing::open(&key, column::SUBJECT, row.id.as_bytes(), &row.subject_ct)?,
            topic: row.topic,
            status: row.status,
            priority: row.priority,
            assignee: match (staff_view, row.assignee) {
                (true, Some(id)) => Some(PersonRef {
                    id,
                    kind: UserKind::Staff,
                    display_name: row.assignee_name.clone().unwrap_or_default(),
                }),
                _ => None,
            },
            created_at: row.created_at,
            last_activity_at: row.last_activity_at,
            unread: row.unread,
            routing: staff_view.then(|| RoutingView {
                owner_kind: row.owner.map(|o| o.kind_str()),
                owner_name: row.owner_name.clone(),
                reason: row.routing_reason.clone(),
                intended_reader: row.intended_reader.as_ref().map(|(_, n)| n.clone()),
                covering_for: row.covered_for,
            }),
            escalated_to: match (staff_view, &row.escalated_to) {
                (true, Some((id, name))) => {
                    Some(PersonRef { id: *id, kind: UserKind::Staff, display_name: name.clone() })
                }
                _ => None,
            },
            response: match (row.waiting_since, row.due_soon_at, row.due_at) {
                (Some(waiting_since), Some(due_soon_at), Some(due_at)) => Some(ResponseDue {
                    waiting_since,
                    due_soon_at,
                    due_at,
                    state: crate::response_times::state_of(row, self.now())
                        .unwrap_or(switchboard_domain::sla::SlaState::OnTrack),
                }),
                _ => None,
            },
            unread_reply: match (staff_view, row.unread_reply_sent_at, row.unread_flagged_at) {
                (true, Some(sent_at), Some(flagged_at)) => Some(UnreadReply { sent_at, flagged_at }),
                _ => None,
            },
            marked_unread: row.marked_unread,
            preview: match &row.latest {
                Some(m) => Some(Preview {
                    from: m.sender_kind,
                    text: preview_text(&sealing::open(&key, column::BODY, m.id.as_bytes(), &m.body_ct)?),
                }),
                None => None,
            },
        })
    }

    /// The conversations the caller may see, most recent activity first.
    pub async fn list_conversations(
        &self,
        p: &Principal,
        filter: ConversationFilter,
        ctx: &RequestContext,
    ) -> Result<ConversationPage, ServiceError> {
        let staff = matches!(p.actor, Actor::Staff(_));
        if !staff && filter.assignee.is_some() {
            return Err(ServiceError::Invalid {
                field: "assignee",
                problem: "only staff can filter by assignee".into(),
            });
        }
        if let Some(v) = filter.view
            && !staff
            && v.staff_only()
        {
            return Err(ServiceError::Invalid { field: "view", problem: "this view is for staff".into() });
        }
        let sort = filter.sort.unwrap_or(Sort::Recent);
        let after = filter.cursor.as_deref().map(ListCursor::parse).transpose().map_err(|_| ServiceError::Invalid {
            field: "cursor",
            problem: "not a cursor returned by this API".into(),
        })?;
        let cursor_fits = matches!(
            (sort, after),
            (_, None) | (Sort::Recent, Some(ListCursor::After { .. })) | (Sort::Attention, Some(ListCursor::Offset(_)))
        );
        if !cursor_fits {
            return Err(ServiceError::Invalid {
                field: "cursor",
                problem: "belongs to a listing in another order".into(),
            });
        }
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ServiceError::Invalid { field: "limit", problem: format!("must be between 1 and {MAX_PAGE}") });
        }
        let scope = policy::list_scope(&p.actor);
        let view = filter.view.unwrap_or(InboxView::All).filter();
        let store_filter = q::ListFilter {
            status: filter.status.or(view.status),
            priority: view.priority,
            assignee: match filter.assignee {
                Some(StaffFilterAssignee::User(u)) => Some(u),
                _ if view.assigned_to_me => Some(p.user.id),
                _ => None,
            },
            unassigned: filter.assignee == Some(StaffFilterAssignee::Unassigned),
            patient: filter.patient,
            open_only: view.open_only,
            unread_only: view.unread_only,
            my_team: view.my_team,
            attention_order: sort == Sort::Attention,
            escalated_to_me: view.escalated_to_me,
            after,
            limit: i64::from(limit) + 1,
        };
        if filter.status.is_some() && view.status.is_some() && filter.status != view.status {
            return Ok(ConversationPage { items: Vec::new(), next_cursor: None });
        }
        let mut rows = q::list(self.store(), &scope, p.user.kind, &store_filter).await?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (has_more, sort) {
            (false, _) => None,
            (true, Sort::Recent) => {
                rows.last().map(|r| ListCursor::After { last_activity_at: r.last_activity_at, id: r.id }.encode())
            }
            (true, Sort::Attention) => {
                let start = match after {
                    Some(ListCursor::Offset(n)) => n,
                    _ => 0,
                };
                Some(ListCursor::Offset(start.saturating_add(limit)).encode())
            }
        };

        let mut items = Vec::with_capacity(rows.len());
        let mut per_patient: BTreeMap<PatientId, u32> = BTreeMap::new();
        for row in &rows {
            // The SQL scope is derived from the policy; check each row with
            // the policy itself anyway, so a query bug cannot leak.
            if !policy::authorize_conversation(&p.actor, ConversationAction::View, &facts(row)).is_allowed() {
                tracing::error!("listing query returned a conversation the policy refuses; dropped");
                continue;
            }
            *per_patient.entry(row.patient.id).or_default() += 1;
            items.push(self.summary(&p.actor, row)?);
        }

        let mut unit = Unit::new();
        if per_patient.is_empty() {
            unit.push_audit(self.record(p, ctx, AuditAction::ConversationsListed).with_detail("count=0"));
        }
        for (patient, n) in per_patient {
            unit.push_audit(
                self.record(p, ctx, AuditAction::ConversationsListed)
                    .with_patient(Some(patient))
                    .with_detail(format!("count={n}")),
            );
        }
        self.store().commit(unit).await?;
        Ok(ConversationPage { items, next_cursor })
    }

    fn body_limit(&self, kind: UserKind) -> usize {
        match kind {
            UserKind::Patient => self.config().patient_message_max_chars,
            UserKind::Staff => self.config().staff_message_max_chars,
        }
    }

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
    async fn replay(
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

    /// Starts a conversation with its first message.
    pub async fn create_conversation(
        &self,
        p: &Principal,
        input: NewConversationInput,
        idempotency_key: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<SentMessage, ServiceError> {
        let subject = Subject::parse(&input.subject).map_err(|e| ServiceError::invalid("subject", e))?;
        let topic = Topic::parse(&input.topic).ok_or_else(|| ServiceError::Invalid {
            field: "topic",
            problem: format!(
                "must be one of: {}",
                Topic::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        let body = MessageBody::parse(input.body, self.body_limit(p.user.kind))
            .map_err(|e| ServiceError::invalid("body", e))?;
        let priority = match (&p.actor, input.priority.as_deref()) {
            (_, None) => Priority::Routine,
            (Actor::Staff(_), Some(s)) => Priority::parse(s).ok_or_else(|| ServiceError::Invalid {
                field: "priority",
                problem: "must be routine or urgent".into(),
            })?,
            (Actor::Patient(_), Some(_)) => {
                return Err(ServiceError::Invalid { field: "priority", problem: "set by the care team".into() });
            }
        };
        let key = idempotency_key
            .map(IdempotencyKey::parse)
            .transpose()
            .map_err(|e| ServiceError::invalid("Idempotency-Key", e))?;

        let patient_id = match (&p.actor, input.patient_id) {
            (Actor::Patient(me), None) => me.patient,
            (_, Some(id)) => id,
            (Actor::Staff(_), None) => {
                return Err(ServiceError::Invalid {
                    field: "patient_id",
                    problem: "staff must say which patient".into(),
                });
            }
        };
        let Some(patient) = directory::patient_by_id(self.store(), patient_id).await? else {
            let target = Target::missing(ResourceKind::Patient, *patient_id.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::ConversationCreated, target, "denied:not_found".into()).await);
        };
        let decision = policy::authorize_patient(&p.actor, PatientAction::StartConversation, &patient_facts(&patient));
        if !decision.is_allowed() {
            let target =
                Target::owned(patient.practice, Some(patient.id), ResourceKind::Patient, *patient_id.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::ConversationCreated, target, denial_detail(decision)).await);
        }

        let fingerprint = self.keys().fingerprint(
            "idempotency.create_conversation",
            &[patient_id.as_bytes(), subject.as_str().as_bytes(), topic.as_str().as_bytes(), body.as_str().as_bytes()],
        );
        if let Some(k) = &key
            && let Some(done) = self.replay(p, k, &fingerprint).await?
        {
            return Ok(done);
        }

        // Who may be written to directly: a provider on the patient's own care team.
        if let Some(provider) = input.to_provider {
            let allowed = match (&p.actor, patient.care_team) {
                (Actor::Patient(_), Some(team)) => {
                    routing_q::care_team_providers(self.store(), team).await?.iter().any(|(u, _, _)| *u == provider)
                }
                _ => false,
            };
            if !allowed {
                return Err(ServiceError::Invalid {
                    field: "to_provider_id",
                    problem: "not a provider on your care team".into(),
                });
            }
        }
        if input.keep_with_me && !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::Invalid { field: "keep_with_me", problem: "for staff only".into() });
        }

        let now = self.now();
        let conversation = self.new_id(ConversationId::from_bytes)?;
        let message = self.new_id(MessageId::from_bytes)?;
        let dek_id = self.new_id(DataKeyId::from_bytes)?;
        let (dek, wrapped) = self.keys().new_data_key(*dek_id.as_bytes()).map_err(|e| {
            tracing::error!(error = %e, "cannot create a data key");
            ServiceError::Internal
        })?;
        let status = conv::status_after_message(p.user.kind);
        let key_row = WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let mut unit = Unit::new();
        if let Some(k) = &key {
            unit.push(q::claim_idempotency_key(p.user.id, k.as_str(), &fingerprint, message, now));
        }
        unit = unit
            .step(key_q::insert(&key_row, patient.practice, now))
            .step(q::insert_conversation(q::NewConversation {
                id: conversation,
                practice: patient.practice,
                patient: patient.id,
                dek: dek_id,
                subject_ct: sealing::seal(&dek, column::SUBJECT, conversation.as_bytes(), subject.as_str())?,
                topic,
                status,
                priority,
                assignee: None,
                created_by: p.user.id,
                at: now,
            }))
            .step(q::insert_message(q::NewMessage {
                id: message,
                conversation,
                sender: Some(p.user.id),
                sender_kind: p.user.kind.into(),
                body_ct: sealing::seal(&dek, column::BODY, message.as_bytes(), body.as_str())?,
                at: now,
            }))
            .audit(
                self.record(p, ctx, AuditAction::ConversationCreated)
                    .with_patient(Some(patient.id))
                    .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                    .with_detail(format!("topic={}", topic.as_str())),
            )
            .audit(
                self.record(p, ctx, AuditAction::MessageSent)
                    .with_patient(Some(patient.id))
                    .with_resource(ResourceKind::Message, *message.as_bytes()),
            );

        // Ownership: kept by the staff member who started it, or routed.
        let (owner, assignee, follow_ups) = if input.keep_with_me {
            let owner = Owner::Person(p.user.id);
            let reason = format!("Kept by {}: replies come straight to them", p.user.display_name);
            unit.push(routing_q::set_owner(conversation, Some(owner), None, Some(&reason), None));
            unit = unit.steps(self.assignment_steps(
                conversation,
                Some(p.user.id),
                None,
                Some(p.user.id),
                None,
                true,
                None,
                "kept",
                None,
            )?);
            (Some(owner), Some(p.user.id), vec![EventKind::Assigned { assignee: Some(p.user.id), previous: None }])
        } else {
            let routed = self.route_new(conversation, &patient, topic, input.to_provider).await?;
            unit = unit.steps(routed.steps);
            (routed.owner, routed.assignee, routed.events)
        };
        let mut new_facts = ConversationFacts { patient: patient_facts(&patient), assignee, owner, escalated_to: None };
        let mut events = vec![
            self.event(p, conversation, &new_facts, EventKind::ConversationCreated),
            self.event(
                p,
                conversation,
                &new_facts,
                EventKind::MessageSent { message, sender: Some(p.user.id), sender_kind: p.user.kind.into() },
            ),
        ];
        for kind in follow_ups {
            events.push(self.event(p, conversation, &new_facts, kind));
        }
        // A patient's words are screened for emergencies before anyone reads them.
        let mut urgent = priority == Priority::Urgent;
        if p.user.kind == UserKind::Patient {
            let text = format!("{}. {}", subject.as_str(), body.as_str());
            if let Some((steps, kinds, audit)) =
                self.triage_steps(conversation, &patient, owner, assignee, &dek, &text).await?
            {
                urgent = true;
                unit = unit.steps(steps);
                for a in audit {
                    unit.push_audit(a);
                }
                new_facts.assignee = assignee;
                for kind in kinds {
                    events.push(self.event_by(None, conversation, &new_facts, kind));
                }
            }
        }
        if p.user.kind == UserKind::Staff {
            unit = unit.steps(self.staff_reply_steps(patient.practice, conversation, message, now).await?);
        }
        // The response clock starts, and the patient is told when to expect
        // an answer (the urgent reply already told them to call 911).
        if p.user.kind == UserKind::Patient {
            let schedule = self.practice_schedule(patient.practice).await?;
            let priority = if urgent { Priority::Urgent } else { priority };
            let plan = self.clock_plan(
                &schedule,
                conversation,
                ClockState::default(),
                Turn::PatientWrote,
                priority,
                topic,
                patient.department,
                now,
            )?;
            unit = unit.steps(plan.steps);
            if let (Some(deadline), false) = (plan.started, urgent) {
                let (steps, kind, reply) =
                    self.acknowledgement(&schedule, patient.department, conversation, &dek, &deadline)?;
                // Shown to the patient as soon as they send, so it is read.
                unit = unit.steps(steps).step(q::mark_read(
                    conversation,
                    p.user.id,
                    UserKind::Patient,
                    now.plus(switchboard_domain::time::Span::from_micros(2)),
                ));
                unit = unit.audit(
                    self.record(p, ctx, AuditAction::MessageSent)
                        .with_patient(Some(patient.id))
                        .with_resource(ResourceKind::Message, *reply.as_bytes())
                        .with_detail("automatic_reply=acknowledgement"),
                );
                events.push(self.event_by(None, conversation, &new_facts, kind));
            }
        }
        match self.commit_with_events(unit, events).await {
            Ok(()) => Ok(SentMessage { conversation, message, sent_at: now, replayed: false }),
            Err(StoreError::Conflict("idempotency_key")) => match &key {
                Some(k) => self.replay(p, k, &fingerprint).await?.ok_or(ServiceError::Internal),
                None => Err(ServiceError::Internal),
            },
            Err(e) => Err(e.into()),
        }
    }
}

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
                .clock_plan(&schedule, row.id, state, turn, priority, row.topic, row.patient.department, now)?
                .steps),
        }
    }

    /// One conversation with its messages, read receipts and amendments
    /// (and, for staff, internal notes).
    pub async fn get_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
    ) -> Result<ConversationView, ServiceError> {
        let row =
            self.authorized_conversation(p, ctx, id, ConversationAction::View, AuditAction::ConversationViewed).await?;
        // Staff see who owns it, who it was meant for and who it waits on.
        let row = match p.user.kind {
            UserKind::Staff => q::with_names(self.store(), row).await?,
            UserKind::Patient => row,
        };
        let with_notes =
            policy::authorize_conversation(&p.actor, ConversationAction::ViewNotes, &facts(&row)).is_allowed();
        let summary = self.summary(&p.actor, &row)?;
        let patient_name = summary.patient.display_name.clone();
        let key = self.conversation_key(&row)?;
        let detail = q::detail(self.store(), row, with_notes).await?;

        // Names: staff from their accounts, the patient from their record.
        let person = |id: UserId, kind: UserKind, staff_name: Option<&String>| PersonRef {
            id,
            kind,
            display_name: match kind {
                UserKind::Staff => staff_name.cloned().unwrap_or_default(),
                UserKind::Patient => patient_name.clone(),
            },
        };
        // Patients see their own reads, and for staff reads only what
        // `domain::receipt` says is true to tell them; staff see every read.
        let patient_view = p.user.kind == UserKind::Patient;
        let mut reads: HashMap<MessageId, Vec<ReadReceipt>> = HashMap::new();
        let mut staff_reads: HashMap<MessageId, Vec<StaffRead>> = HashMap::new();
        for r in &detail.reads {
            if let (UserKind::Staff, Some(role)) = (r.reader_kind, r.reader_role) {
                let c = &detail.conversation;
                let answers_for_it = c.assignee == Some(r.reader)
                    || c.owner == Some(Owner::Person(r.reader))
                    || (role == StaffRole::Billing && c.topic == Topic::Billing);
                staff_reads.entry(r.message).or_default().push(StaffRead { role, answers_for_it, at: r.read_at });
            }
            if patient_view && r.reader_kind == UserKind::Staff {
                continue;
            }
            reads.entry(r.message).or_default().push(ReadReceipt {
                reader: person(r.reader, r.reader_kind, r.reader_display_name.as_ref()),
                read_at: r.read_at,
            });
        }
        let kinds: HashMap<UserId, (UserKind, Option<String>)> = detail
            .messages
            .iter()
            .filter_map(|m| {
                let kind = match m.sender_kind {
                    SenderKind::Patient => UserKind::Patient,
                    SenderKind::Staff => UserKind::Staff,
                    SenderKind::System => return None,
                };
                m.sender.map(|u| (u, (kind, m.sender_display_name.clone())))
            })
            .collect();
        let practice_name = match detail.messages.iter().any(|m| m.sender_kind == SenderKind::System) {
            true => directory::practice_name(self.store(), p.user.practice).await?.unwrap_or_default(),
            false => String::new(),
        };
        let mut amendments: HashMap<MessageId, Vec<AmendmentView>> = HashMap::new();
        for a in &detail.amendments {
            // Only a message's author may amend it, so the author is a sender.
            let (kind, name) = kinds.get(&a.author).cloned().unwrap_or((UserKind::Staff, None));
            amendments.entry(a.message).or_default().push(AmendmentView {
                id: a.id,
                author: person(a.author, kind, name.as_ref()),
                body: sealing::open(&key, column::AMENDMENT, a.id.as_bytes(), &a.body_ct)?,
                created_at: a.created_at,
            });
        }
        let mut messages = Vec::with_capacity(detail.messages.len());
        for m in &detail.messages {
            let sender = match (m.sender, m.sender_kind) {
                (Some(u), SenderKind::Patient) => {
                    SenderRef { id: Some(u), kind: SenderKind::Patient, display_name: patient_name.clone() }
                }
                (Some(u), SenderKind::Staff) => SenderRef {
                    id: Some(u),
                    kind: SenderKind::Staff,
                    display_name: m.sender_display_name.clone().unwrap_or_default(),
                },
                _ => SenderRef {
                    id: None,
                    kind: SenderKind::System,
                    display_name: format!("{practice_name} (automatic reply)"),
                },
            };
            messages.push(MessageView {
                id: m.id,
                sender,
                body: sealing::open(&key, column::BODY, m.id.as_bytes(), &m.body_ct)?,
                sent_at: m.sent_at,
                read_by: reads.remove(&m.id).unwrap_or_default(),
                read_by_staff: match (m.sender_kind, staff_reads.remove(&m.id)) {
                    (SenderKind::Patient, Some(staff)) => receipt::patient_receipt(&staff),
                    _ => None,
                },
                amendments: amendments.remove(&m.id).unwrap_or_default(),
            });
        }
        let notes = if with_notes {
            let mut notes = Vec::with_capacity(detail.notes.len());
            for n in &detail.notes {
                notes.push(NoteView {
                    id: n.id,
                    author: person(n.author, UserKind::Staff, n.author_display_name.as_ref()),
                    body: sealing::open(&key, column::NOTE, n.id.as_bytes(), &n.body_ct)?,
                    created_at: n.created_at,
                });
            }
            Some(notes)
        } else {
            None
        };
        let history = if with_notes {
            let mut out = Vec::new();
            for h in routing_q::history(self.store(), id).await? {
                out.push(HistoryView {
                    at: h.at,
                    actor: h.actor_name,
                    code: h.reason_code,
                    to_assignee: h.to_assignee_name,
                    to_owner: h.to_owner_name,
                    reason: match h.reason_ct {
                        Some(ct) => Some(sealing::open(&key, column::ASSIGNMENT_REASON, &h.id, &ct)?),
                        None => None,
                    },
                });
            }
            Some(out)
        } else {
            None
        };
        let rec = self
            .record(p, ctx, AuditAction::ConversationViewed)
            .with_patient(Some(summary.patient.id))
            .with_resource(ResourceKind::Conversation, *id.as_bytes())
            .with_detail(format!("messages={}", messages.len()));
        let rating = match switchboard_store::queries::ratings::for_conversation(self.store(), id).await? {
            Some(r) => Some(RatingView {
                score: u8::try_from(r.score).unwrap_or(0),
                comment: match &r.comment_ct {
                    Some(ct) => Some(sealing::open(&key, column::RATING_COMMENT, id.as_bytes(), ct)?),
                    None => None,
                },
                created_at: r.created_at,
            }),
            None => None,
        };
        self.store().commit(Unit::new().audit(rec)).await?;
        let answered_by_staff = messages.iter().any(|m| m.sender.kind == SenderKind::Staff);
        Ok(ConversationView {
            rateable: conv::rateable(summary.status, answered_by_staff) && rating.is_none(),
            answered_by_staff,
            summary,
            messages,
            notes,
            history,
            rating,
        })
    }

    /// Sends a message in a conversation. With an idempotency key, a retry
    /// of the same request returns the first result instead of sending twice.
    pub async fn post_message(
        &self,
        p: &Principal,
        id: ConversationId,
        body: String,
        idempotency_key: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<SentMessage, ServiceError> {
        let body =
            MessageBody::parse(body, self.body_limit(p.user.kind)).map_err(|e| ServiceError::invalid("body", e))?;
        let key = idempotency_key
            .map(IdempotencyKey::parse)
            .transpose()
            .map_err(|e| ServiceError::invalid("Idempotency-Key", e))?;
        let row = self.authorized_conversation(p, ctx, id, ConversationAction::Reply, AuditAction::MessageSent).await?;
        let fingerprint =
            self.keys().fingerprint("idempotency.post_message", &[id.as_bytes(), body.as_str().as_bytes()]);
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
                body_ct: sealing::seal(&dek, column::BODY, message.as_bytes(), body.as_str())?,
                at: now,
            }))
            .step(q::after_message(id, status, now))
            .audit(
                self.record(p, ctx, AuditAction::MessageSent)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Message, *message.as_bytes()),
            );
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
                self.triage_steps(id, &row.patient, row.owner, row.assignee, &dek, body.as_str()).await?
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
            Err(StoreError::Conflict("idempotency_key")) => match &key {
                Some(k) => self.replay(p, k, &fingerprint).await?.ok_or(ServiceError::Internal),
                None => Err(ServiceError::Internal),
            },
            Err(e) => Err(e.into()),
        }
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
            return Err(ServiceError::Invalid { field: "score", problem: "must be 1 to 5".into() });
        }
        let comment = match comment.filter(|c| !c.trim().is_empty()) {
            Some(c) => Some(MessageBody::parse(c, 1000).map_err(|e| ServiceError::invalid("comment", e))?),
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
            Err(StoreError::Conflict("already_rated")) => {
                Err(ServiceError::Conflict("this conversation is already rated"))
            }
            Err(e) => Err(e.into()),
        }
    }

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

    /// Adds a staff-only note.
    pub async fn add_note(
        &self,
        p: &Principal,
        id: ConversationId,
        body: String,
        ctx: &RequestContext,
    ) -> Result<NoteView, ServiceError> {
        let body = NoteBody::parse(body).map_err(|e| ServiceError::invalid("body", e))?;
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
            .audit(
                self.record(p, ctx, AuditAction::NoteAdded)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Note, *note.as_bytes()),
            );
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
            .map_err(|e| ServiceError::invalid("reason", e))?
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
                let history_id = *self.new_id(AlertId::from_bytes)?.as_bytes();
                let reason_ct =
                    sealing::seal(&*self.conversation_key(&row)?, column::ASSIGNMENT_REASON, &history_id, reason)?;
                history = Some(routing_q::insert_history(routing_q::HistoryEntry {
                    id: history_id,
                    conversation: id,
                    at: now,
                    actor: Some(p.user.id),
                    from_assignee: row.assignee,
                    to_assignee: row.assignee,
                    to_owner: None,
                    reason_code: "closed_unanswered",
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
            Err(StoreError::Conflict("already_closed")) => {
                Err(ServiceError::Conflict("the conversation is already closed"))
            }
            Err(StoreError::Conflict("not_closed")) => Err(ServiceError::Conflict("the conversation is not closed")),
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
        let body =
            MessageBody::parse(body, self.body_limit(p.user.kind)).map_err(|e| ServiceError::invalid("body", e))?;
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
}

impl Switchboard {
    /// How many conversations each inbox view holds for a staff member.
    pub async fn inbox_counts(&self, p: &Principal) -> Result<q::InboxCounts, ServiceError> {
        match &p.actor {
            Actor::Staff(s) if s.role.works_patient_conversations() => {
                Ok(q::inbox_counts(self.store(), s.practice, s.user).await?)
            }
            // Roles that see no conversations have empty views.
            Actor::Staff(_) => Ok(q::InboxCounts::default()),
            Actor::Patient(_) => Err(ServiceError::NotFound),
        }
    }

    /// Whether a draft may describe an emergency: the same screen every
    /// sent message goes through, run before sending so the guidance can
    /// be shown in time. The text is neither stored nor logged, and nobody
    /// is alerted: only a sent message does that.
    pub fn screen_draft(&self, p: &Principal, text: &str) -> Result<bool, ServiceError> {
        // Generous (a draft may be over the limit while being written), but bounded.
        if text.chars().count() > 2 * self.body_limit(p.user.kind) {
            return Err(ServiceError::Invalid { field: "body", problem: "is too long to check".into() });
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
