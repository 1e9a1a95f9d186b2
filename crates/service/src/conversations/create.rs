//! Starting a conversation with its first message, in named steps: the
//! input is parsed, the patient checked, the record of the first message
//! written, an owner found, a patient's words screened for emergencies and
//! the response clock started; all of it then commits as one unit.

use super::NewConversationInput;
use crate::access::{denial_detail, patient_facts};
use crate::auth::Principal;
use crate::refusals::Target;
use crate::response_times::ClockTurn;
use crate::routing::Assignment;
use crate::sealing::{self, column};
use crate::search::Indexed;
use crate::views::*;
use crate::{RequestContext, ServiceError, Switchboard};
use std::sync::Arc;
use switchboard_crypto::DataKey;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::caregiver::{self, MinorStanding, ProxyGrant, Writer};
use switchboard_domain::conversation::{self as conv, Priority};
use switchboard_domain::event::{DomainEvent, EventKind};
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, Actor, ConversationFacts, PatientAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::routing::Owner;
use switchboard_domain::search::SearchSource;
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::sla::{ClockState, Turn};
use switchboard_domain::text::{IdempotencyKey, MessageBody, Subject};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_domain::topic::Topic;
use switchboard_store::queries::{
    caregivers as cq, conversations as q, directory, keys as key_q, routing as routing_q,
};
use switchboard_store::rows::{PatientRow, WrappedKeyRow};
use switchboard_store::{Conflict, StoreError, Unit};

/// A new conversation's input, parsed.
struct Parsed {
    subject: Subject,
    topic: Topic,
    body: MessageBody,
    priority: Priority,
    key: Option<IdempotencyKey>,
}

/// Who writes a new conversation and who sees it: the grant a caregiver
/// writes under, if any, whether it is shared with the patient's
/// caregivers, and the sensitive mark its topic gives it.
struct Writing {
    proxy: Option<ProxyGrant>,
    shared: bool,
    /// The topic's mark, if the practice marks it sensitive.
    sensitivity: Option<Sensitivity>,
}

/// A conversation being started: what has been decided so far, and the
/// unit and events that will commit together.
struct Start {
    conversation: ConversationId,
    message: MessageId,
    patient: PatientRow,
    dek: Arc<DataKey>,
    now: Timestamp,
    unit: Unit,
    events: Vec<DomainEvent>,
    facts: ConversationFacts,
    /// Urgent as asked by staff, or found so by the emergency screen.
    urgent: bool,
}

impl Switchboard {
    /// Starts a conversation with its first message.
    pub async fn create_conversation(
        &self,
        p: &Principal,
        input: NewConversationInput,
        idempotency_key: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<SentMessage, ServiceError> {
        let parsed = self.parse_new_conversation(p, &input, idempotency_key)?;
        let patient = self.patient_to_write_about(p, ctx, input.patient_id).await?;
        // A topic the practice marks sensitive gives the conversation that
        // mark from its start.
        let mark = switchboard_store::queries::sensitivity::topic_marks(self.store(), patient.practice)
            .await?
            .mark_for(parsed.topic);
        // Staff start only what they could read afterwards: the front desk
        // and billing, the topics the practice grants them; anyone, the
        // topic's mark if it has one.
        if let Actor::Staff(s) = &p.actor
            && !s.reads.reads(parsed.topic, mark)
        {
            let problem = if s.reads.topics.allows(parsed.topic) {
                "the practice marks this topic sensitive, and your role does not read it"
            } else {
                "your role does not read conversations on this topic in this practice"
            };
            return Err(ServiceError::Invalid { field: "topic", problem: problem.into() });
        }
        let fingerprint = self.keys().fingerprint(
            "idempotency.create_conversation",
            &[
                patient.id.as_bytes(),
                parsed.subject.as_str().as_bytes(),
                parsed.topic.as_str().as_bytes(),
                parsed.body.as_str().as_bytes(),
            ],
        );
        if let Some(k) = &parsed.key
            && let Some(done) = self.replay(p, k, &fingerprint).await?
        {
            return Ok(done);
        }
        self.check_addressing(p, &patient, &input).await?;
        if let Actor::Patient(me) = &p.actor {
            self.require_messaging_open(
                me.practice,
                patient.id,
                "your practice has not turned on messages from patients for you yet; call the office instead",
            )
            .await?;
            self.require_current_terms(p).await?;
        }

        let writing =
            Writing { sensitivity: mark, ..self.who_sees_it(p, &patient, input.share_with_caregivers).await? };
        let mut start = self.first_message(p, ctx, patient, &parsed, &fingerprint, &writing)?;
        self.find_owner(p, &mut start, &input, parsed.topic).await?;
        if p.user.kind == UserKind::Patient {
            self.screen_for_emergency(&mut start, &parsed).await?;
        }
        self.start_clock(p, ctx, &mut start, &parsed).await?;

        let (conversation, message, now) = (start.conversation, start.message, start.now);
        match self.commit_with_events(start.unit, start.events).await {
            Ok(()) => Ok(SentMessage { conversation, message, sent_at: now, replayed: false }),
            Err(StoreError::Conflict(Conflict::IdempotencyKey)) => match &parsed.key {
                Some(k) => self.replay(p, k, &fingerprint).await?.ok_or(ServiceError::Internal),
                None => Err(ServiceError::Internal),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Subject, topic, body, priority (staff only) and the idempotency key.
    fn parse_new_conversation(
        &self,
        p: &Principal,
        input: &NewConversationInput,
        idempotency_key: Option<&str>,
    ) -> Result<Parsed, ServiceError> {
        let subject = Subject::parse(&input.subject).map_err(|e| ServiceError::invalid("subject", "the subject", e))?;
        let topic = Topic::parse(&input.topic).ok_or_else(|| ServiceError::Invalid {
            field: "topic",
            problem: format!(
                "the topic must be one of: {}",
                Topic::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        let body = MessageBody::parse(input.body.clone(), self.body_limit(p.user.kind))
            .map_err(|e| ServiceError::invalid("body", "the message", e))?;
        let priority = match (&p.actor, input.priority.as_deref()) {
            (_, None) => Priority::Routine,
            (Actor::Staff(_), Some(s)) => Priority::parse(s).ok_or_else(|| ServiceError::Invalid {
                field: "priority",
                problem: "the priority must be routine or urgent".into(),
            })?,
            (Actor::Patient(_) | Actor::LinkPatient(_), Some(_)) => {
                return Err(ServiceError::Invalid {
                    field: "priority",
                    problem: "the priority is set by the care team".into(),
                });
            }
        };
        let key = idempotency_key
            .map(IdempotencyKey::parse)
            .transpose()
            .map_err(|e| ServiceError::invalid("Idempotency-Key", "the Idempotency-Key", e))?;
        Ok(Parsed { subject, topic, body, priority, key })
    }

    /// The patient the conversation is about (a patient's own record when
    /// they leave it out), if the caller may start one for them.
    async fn patient_to_write_about(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        asked: Option<PatientId>,
    ) -> Result<PatientRow, ServiceError> {
        let patient_id = match (&p.actor, asked) {
            (Actor::Patient(me), None) => me.patient.ok_or_else(|| ServiceError::Invalid {
                field: "patient_id",
                problem: "say whom you are writing for".into(),
            })?,
            // Refused by the policy below (and recorded as such).
            (Actor::LinkPatient(me), None) => me.patient,
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
        Ok(patient)
    }

    /// The grant a caregiver writes under, if they write for someone else,
    /// and whether the new conversation is shared with the patient's
    /// caregivers (`domain::caregiver::shared_at_start`): only the patient
    /// writing for themselves chooses.
    async fn who_sees_it(
        &self,
        p: &Principal,
        patient: &PatientRow,
        choice: Option<bool>,
    ) -> Result<Writing, ServiceError> {
        let proxy = match &p.actor {
            Actor::Patient(me) => me.grant_for(patient.practice, patient.id).cloned(),
            Actor::Staff(_) | Actor::LinkPatient(_) => None,
        };
        let writer = match (&p.actor, &proxy) {
            (Actor::Staff(_), _) => Writer::Staff,
            (_, Some(_)) => Writer::Caregiver,
            (_, None) => Writer::Patient,
        };
        if choice.is_some() && writer != Writer::Patient {
            return Err(ServiceError::Invalid {
                field: "share_with_caregivers",
                problem: "only the patient chooses this when writing for themselves".into(),
            });
        }
        let confidential = match writer {
            // What a caregiver writes is shared whatever the patient's age.
            Writer::Caregiver => false,
            Writer::Patient | Writer::Staff => self.minor_standing(patient).await? == MinorStanding::ConfidentialMinor,
        };
        Ok(Writing { shared: caregiver::shared_at_start(writer, confidential, choice), proxy, sensitivity: None })
    }

    /// Who it may go to directly: a patient may write to a provider on
    /// their own care team; only staff keep a conversation with themselves.
    async fn check_addressing(
        &self,
        p: &Principal,
        patient: &PatientRow,
        input: &NewConversationInput,
    ) -> Result<(), ServiceError> {
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
                    problem: "that is not a provider on your care team".into(),
                });
            }
        }
        if input.keep_with_me && !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::Invalid {
                field: "keep_with_me",
                problem: "keeping a conversation with yourself is for staff only".into(),
            });
        }
        Ok(())
    }

    /// The conversation's data key, the conversation and its first message
    /// (sealed), the idempotency claim, and their audit records.
    fn first_message(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientRow,
        parsed: &Parsed,
        fingerprint: &[u8; 32],
        writing: &Writing,
    ) -> Result<Start, ServiceError> {
        let mark = writing.sensitivity;
        let (shared, proxy) = (writing.shared, writing.proxy.as_ref());
        let now = self.now();
        let conversation = self.new_id(ConversationId::from_bytes)?;
        let message = self.new_id(MessageId::from_bytes)?;
        let dek_id = self.new_id(DataKeyId::from_bytes)?;
        let (dek, wrapped) = self.keys().new_data_key(*dek_id.as_bytes()).map_err(|e| {
            tracing::error!(error = %e, "cannot create a data key");
            ServiceError::Internal
        })?;
        let key_row = WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let mut unit = Unit::new();
        if let Some(k) = &parsed.key {
            unit.push(q::claim_idempotency_key(p.user.id, k.as_str(), fingerprint, message, now));
        }
        let unit = unit
            .step(key_q::insert(&key_row, patient.practice, now))
            .step(q::insert_conversation(q::NewConversation {
                id: conversation,
                practice: patient.practice,
                patient: patient.id,
                dek: dek_id,
                subject_ct: sealing::seal(&dek, column::SUBJECT, conversation.as_bytes(), parsed.subject.as_str())?,
                topic: parsed.topic,
                status: conv::status_after_message(p.user.kind),
                priority: parsed.priority,
                assignee: None,
                created_by: p.user.id,
                at: now,
                shared_with_caregivers: shared,
                sensitivity: mark,
            }))
            .step(q::insert_message(q::NewMessage {
                id: message,
                conversation,
                sender: Some(p.user.id),
                sender_kind: p.user.kind.into(),
                body_ct: sealing::seal(&dek, column::BODY, message.as_bytes(), parsed.body.as_str())?,
                at: now,
            }))
            .steps(self.index_steps(Indexed {
                practice: patient.practice,
                conversation,
                item: *message.as_bytes(),
                message: Some(message),
                source: SearchSource::Body,
                at: now,
                text: parsed.body.as_str(),
            }))
            .steps(self.index_steps(Indexed {
                practice: patient.practice,
                conversation,
                item: *message.as_bytes(),
                message: Some(message),
                source: SearchSource::Subject,
                at: now,
                text: parsed.subject.as_str(),
            }))
            .audit(
                self.record(p, ctx, AuditAction::ConversationCreated)
                    .with_patient(Some(patient.id))
                    .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                    .with_detail(format!("topic={}", parsed.topic.as_str())),
            )
            .audit(on_behalf(
                self.record(p, ctx, AuditAction::MessageSent)
                    .with_patient(Some(patient.id))
                    .with_resource(ResourceKind::Message, *message.as_bytes()),
                proxy,
            ));
        let mut unit = unit;
        if let Some(g) = proxy {
            unit.push(proxy_message(p, g, message));
        }
        let mut facts = ConversationFacts::unowned(conversation, patient_facts(&patient), parsed.topic);
        facts.shared_with_caregivers = shared;
        facts.sensitivity = mark;
        Ok(Start {
            conversation,
            message,
            patient,
            dek,
            now,
            unit,
            events: Vec::new(),
            facts,
            urgent: parsed.priority == Priority::Urgent,
        })
    }

    /// Ownership: kept by the staff member who started it, or routed. The
    /// conversation's first events go out with the owner they end up with.
    async fn find_owner(
        &self,
        p: &Principal,
        start: &mut Start,
        input: &NewConversationInput,
        topic: Topic,
    ) -> Result<(), ServiceError> {
        let conversation = start.conversation;
        let (owner, assignee, follow_ups) = if input.keep_with_me {
            let owner = Owner::Person(p.user.id);
            let reason = format!("Kept by {}: replies come straight to them", p.user.display_name);
            start.unit.push(routing_q::set_owner(conversation, Some(owner), None, Some(&reason), None));
            let steps = self.assignment_steps(Assignment {
                actor: Some(p.user.id),
                keep: true,
                ..Assignment::of(conversation, Some(p.user.id), HistoryCode::Kept)
            })?;
            start.unit.extend(steps);
            (Some(owner), Some(p.user.id), vec![EventKind::Assigned { assignee: Some(p.user.id), previous: None }])
        } else {
            let content = (topic, start.facts.sensitivity);
            let routed = self.route_new(conversation, &start.patient, content, input.to_provider).await?;
            start.unit.extend(routed.steps);
            (routed.owner, routed.assignee, routed.events)
        };
        start.facts.owner = owner;
        start.facts.assignee = assignee;
        let sent =
            EventKind::MessageSent { message: start.message, sender: Some(p.user.id), sender_kind: p.user.kind.into() };
        for kind in [EventKind::ConversationCreated, sent].into_iter().chain(follow_ups) {
            start.events.push(self.event(p, conversation, &start.facts, kind));
        }
        Ok(())
    }

    /// A patient's words are screened for emergencies before anyone reads
    /// them: a possible emergency is flagged, answered and alerted on in
    /// the same unit.
    async fn screen_for_emergency(&self, start: &mut Start, parsed: &Parsed) -> Result<(), ServiceError> {
        let text = format!("{}. {}", parsed.subject.as_str(), parsed.body.as_str());
        let Some((steps, kinds, audit)) = self
            .triage_steps(
                start.conversation,
                &start.patient,
                start.facts.owner,
                start.facts.assignee,
                &start.dek,
                &text,
            )
            .await?
        else {
            return Ok(());
        };
        start.urgent = true;
        start.unit.extend(steps);
        for a in audit {
            start.unit.push_audit(a);
        }
        for kind in kinds {
            start.events.push(self.event_by(None, start.conversation, &start.facts, kind));
        }
        Ok(())
    }

    /// Staff who start a conversation have answered; a patient's starts the
    /// response clock, and they are told when to expect an answer (the
    /// urgent reply already told them to call 911).
    async fn start_clock(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        start: &mut Start,
        parsed: &Parsed,
    ) -> Result<(), ServiceError> {
        let (practice, department, conversation, now) =
            (start.patient.practice, start.patient.department, start.conversation, start.now);
        if p.user.kind == UserKind::Staff {
            let steps = self.staff_reply_steps(practice, conversation, start.message, now).await?;
            start.unit.extend(steps);
            return Ok(());
        }
        let schedule = self.practice_schedule(practice).await?;
        let priority = if start.urgent { Priority::Urgent } else { parsed.priority };
        let plan = self.clock_plan(
            &schedule,
            ClockTurn {
                conversation,
                state: ClockState::default(),
                turn: Turn::PatientWrote,
                priority,
                topic: parsed.topic,
                department,
                now,
            },
        )?;
        start.unit.extend(plan.steps);
        let (Some(deadline), false) = (plan.started, start.urgent) else { return Ok(()) };
        let (steps, kind, reply) = self.acknowledgement(&schedule, department, conversation, &start.dek, &deadline)?;
        // Shown to the patient as soon as they send, so it is read.
        start.unit.extend(steps);
        start.unit.push(q::mark_read(conversation, p.user.id, UserKind::Patient, now.plus(Span::from_micros(2))));
        start.unit.push_audit(
            self.record(p, ctx, AuditAction::MessageSent)
                .with_patient(Some(start.patient.id))
                .with_resource(ResourceKind::Message, *reply.as_bytes())
                .with_detail("automatic_reply=acknowledgement"),
        );
        start.events.push(self.event_by(None, conversation, &start.facts, kind));
        Ok(())
    }
}

/// A message's audit record, saying so when a caregiver sent it for the
/// patient (and as whom).
pub(super) fn on_behalf(
    rec: switchboard_domain::audit::AuditRecord,
    proxy: Option<&ProxyGrant>,
) -> switchboard_domain::audit::AuditRecord {
    match proxy {
        Some(g) => rec.with_detail(format!("on_behalf as={}", g.relationship.as_str())),
        None => rec,
    }
}

/// The record that a caregiver sent `message` for the grant's patient.
pub(super) fn proxy_message(p: &Principal, g: &ProxyGrant, message: MessageId) -> switchboard_store::Step {
    cq::insert_proxy_message(
        message,
        g.id,
        &cq::ProxyMessageRow { message, caregiver: p.user.id, patient: g.patient, relationship: g.relationship },
    )
}
