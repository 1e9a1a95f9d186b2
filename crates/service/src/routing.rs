//! Routing new conversations, assignment within pools, cover for people
//! who are away, urgency triage with its automatic reply and alerts, and
//! the jobs that return unworked conversations to their pool and move work
//! to and from covers.
//!
//! The decisions are the domain's pure functions (`routing::route`,
//! `assignment::pick`, `assignment::covering`, `triage`); this module loads
//! their inputs and turns their answers into store steps that commit with
//! the change that called for them.

use crate::sealing::{self, column};
use crate::{ServiceError, Switchboard};
use std::sync::Arc;
use switchboard_crypto::DataKey;
use switchboard_domain::assignment::{self, Absence, Candidate};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::auto_reply::{self, UrgentReach};
use switchboard_domain::conversation::Priority;
use switchboard_domain::event::EventKind;
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::role::SenderKind;
use switchboard_domain::routing::{self, AddressedProvider, Condition, MessageFacts, Owner, Rule, Target};
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::{Span, Timestamp};
use switchboard_domain::topic::Topic;
use switchboard_store::Conflict;
use switchboard_store::Step;
use switchboard_store::queries::{conversations as conv_q, jobs as job_q, routing as q};
use switchboard_store::rows::PatientRow;

/// The job that returns a conversation to its pool when its assignee has
/// not acted in time.
pub const ASSIGNMENT_TIMEOUT: &str = "assignment_timeout";
/// The jobs that move work to a cover when an absence starts, and back when
/// it ends.
pub const ABSENCE_STARTS: &str = "absence_starts";
pub const ABSENCE_ENDS: &str = "absence_ends";
/// Someone was deactivated: their open work goes to someone who can do it.
pub const ACCOUNT_DEACTIVATED: &str = "account_deactivated";

/// Routing's answer for one new conversation.
#[derive(Debug)]
pub(crate) struct Routed {
    pub owner: Option<Owner>,
    pub assignee: Option<UserId>,
    pub steps: Vec<Step>,
    pub events: Vec<EventKind>,
}

/// Used when a practice has not set any rules: the provider the patient
/// wrote to, else the patient's own care team.
fn default_rules() -> Vec<Rule> {
    vec![
        Rule {
            id: RuleId::from_bytes([0; 16]),
            name: "Messages to a provider".into(),
            condition: Condition { provider_direct: true, ..Condition::ALWAYS },
            target: Target::AddressedProvider,
        },
        Rule {
            id: RuleId::from_bytes([0; 16]),
            name: "The patient's care team".into(),
            condition: Condition::ALWAYS,
            target: Target::PatientCareTeam,
        },
    ]
}

/// One row of a conversation's assignment history, as a use case writes
/// it: name what applies on top of [`History::of`].
pub(crate) struct History {
    pub conversation: ConversationId,
    pub code: HistoryCode,
    /// Who did it; `None` for the system.
    pub actor: Option<UserId>,
    pub from: Option<UserId>,
    pub to: Option<UserId>,
    pub owner: Option<Owner>,
    /// A free-text reason, sealed like a note.
    pub reason_ct: Option<Vec<u8>>,
}

impl History {
    pub(crate) fn of(conversation: ConversationId, code: HistoryCode) -> Self {
        History { conversation, code, actor: None, from: None, to: None, owner: None, reason_ct: None }
    }
}

/// A conversation given to someone (or to nobody): name what applies on
/// top of [`Assignment::of`].
pub(crate) struct Assignment {
    pub conversation: ConversationId,
    pub to: Option<UserId>,
    pub code: HistoryCode,
    pub actor: Option<UserId>,
    pub from: Option<UserId>,
    /// The person whose work `to` covers while they are away.
    pub covered_for: Option<UserId>,
    /// "Replies come straight to me": the assignee keeps it.
    pub keep: bool,
    /// The pool it was picked from (its member's clock to act starts).
    pub pool: Option<PoolId>,
    pub reason_ct: Option<Vec<u8>>,
}

impl Assignment {
    pub(crate) fn of(conversation: ConversationId, to: Option<UserId>, code: HistoryCode) -> Self {
        Assignment {
            conversation,
            to,
            code,
            actor: None,
            from: None,
            covered_for: None,
            keep: false,
            pool: None,
            reason_ct: None,
        }
    }
}

/// A conversation moved by the system from one holder to another.
struct Move {
    conversation: ConversationId,
    from: UserId,
    to: Option<UserId>,
    covered_for: Option<UserId>,
    pool: Option<PoolId>,
    code: HistoryCode,
    action: AuditAction,
}

impl Move {
    fn new(
        conversation: ConversationId,
        from: UserId,
        to: Option<UserId>,
        code: HistoryCode,
        action: AuditAction,
    ) -> Self {
        Move { conversation, from, to, covered_for: None, pool: None, code, action }
    }
}

impl Switchboard {
    async fn absences_now(&self, practice: PracticeId, now: Timestamp) -> Result<Vec<Absence>, ServiceError> {
        Ok(q::absences(self.store(), practice, now).await?.into_iter().map(|(_, a)| a).collect())
    }

    pub(crate) fn history_step(&self, h: History) -> Result<Step, ServiceError> {
        Ok(q::insert_history(q::HistoryEntry {
            id: self.new_id(HistoryId::from_bytes)?,
            conversation: h.conversation,
            at: self.now(),
            actor: h.actor,
            from_assignee: h.from,
            to_assignee: h.to,
            to_owner: h.owner,
            reason_code: h.code,
            reason_ct: h.reason_ct,
        }))
    }

    /// Who should hold a conversation given to `owner` now: the person (or
    /// their cover), the least-loaded available member of an auto-assigning
    /// pool, or nobody (care teams, departments, lead-triaged pools).
    /// Nobody is handed a conversation their role may not read (`content`:
    /// its topic and sensitive category; see `policy::may_be_assigned`): it
    /// stays with its owner, unassigned, or goes to a pool member who can.
    /// Returns (assignee, whose work the assignee covers, pool to note as
    /// assigned last).
    pub(crate) async fn choose_assignee(
        &self,
        practice: PracticeId,
        owner: Owner,
        exclude: &[UserId],
        now: Timestamp,
        content: (Topic, Option<Sensitivity>),
    ) -> Result<(Option<UserId>, Option<UserId>, Option<PoolId>), ServiceError> {
        let absences = self.absences_now(practice, now).await?;
        let (topic, sensitivity) = content;
        match owner {
            Owner::Person(u) => {
                let who = assignment::covering(u, &absences, now).filter(|w| !exclude.contains(w));
                let who = match who {
                    Some(w) if self.may_hold(practice, w, topic, sensitivity).await? => Some(w),
                    _ => None,
                };
                // Nobody deactivated or not yet set up holds work: it stays with
                // its owner, unassigned, where the care team and department see it.
                let who = match who {
                    Some(w) => switchboard_store::queries::directory::user_by_id(self.store(), w)
                        .await?
                        .filter(|r| {
                            r.active && r.password_hash != switchboard_store::queries::accounts::UNSET_PASSWORD_HASH
                        })
                        .map(|_| w),
                    None => None,
                };
                Ok((who, who.filter(|w| *w != u).map(|_| u), None))
            }
            Owner::Pool(pool) => {
                let pools = q::pools(self.store(), practice).await?;
                let Some(p) = pools.iter().find(|p| p.id == pool) else { return Ok((None, None, None)) };
                if !p.auto_assign {
                    return Ok((None, None, None));
                }
                let loads = q::member_loads(self.store(), pool).await?;
                let candidates: Vec<Candidate> = loads
                    .iter()
                    .map(|l| Candidate {
                        user: l.user,
                        open: u32::try_from(l.open).unwrap_or(u32::MAX),
                        capacity: u32::try_from(l.capacity).unwrap_or(0),
                        away: assignment::is_away(l.user, &absences, now),
                    })
                    .collect();
                let mut exclude = exclude.to_vec();
                for l in &loads {
                    if !self.may_hold(practice, l.user, topic, sensitivity).await? {
                        exclude.push(l.user);
                    }
                }
                let chosen = assignment::pick(&candidates, p.last_assigned, &exclude);
                Ok((chosen, None, chosen.map(|_| pool)))
            }
            Owner::CareTeam(_) | Owner::Department(_) => Ok((None, None, None)),
        }
    }

    /// Steps that give a conversation to `a.to`, record it, and (for pool
    /// assignments) start the clock for acting on it.
    pub(crate) fn assignment_steps(&self, a: Assignment) -> Result<Vec<Step>, ServiceError> {
        let now = self.now();
        let history = History {
            actor: a.actor,
            from: a.from,
            to: a.to,
            reason_ct: a.reason_ct,
            ..History::of(a.conversation, a.code)
        };
        let mut steps =
            vec![q::set_assignee(a.conversation, a.to, now, a.covered_for, a.keep), self.history_step(history)?];
        if let (Some(pool), Some(who)) = (a.pool, a.to) {
            steps.push(q::set_last_assigned(pool, who));
            steps.push(self.assignment_timeout_step(a.conversation, who, now)?);
        }
        Ok(steps)
    }

    /// The job that takes a pool conversation back from `who` if they have
    /// not acted on it in time.
    fn assignment_timeout_step(
        &self,
        conversation: ConversationId,
        who: UserId,
        now: Timestamp,
    ) -> Result<Step, ServiceError> {
        let job = self.new_id(JobId::from_bytes)?;
        let payload = format!("{conversation}:{who}:{}", now.as_micros());
        let due = now.plus(self.config().assignment_timeout);
        Ok(job_q::enqueue(job, ASSIGNMENT_TIMEOUT, &payload, due, 3, None, now))
    }

    /// Routes a new conversation of `patient` about `topic`, optionally
    /// addressed to a provider.
    pub(crate) async fn route_new(
        &self,
        conversation: ConversationId,
        patient: &PatientRow,
        content: (Topic, Option<Sensitivity>),
        addressed: Option<UserId>,
    ) -> Result<Routed, ServiceError> {
        let topic = content.0;
        let now = self.now();
        let mut rules = q::rules(self.store(), patient.practice).await?;
        if rules.is_empty() {
            rules = default_rules();
        }
        let addressed_provider = match addressed {
            Some(u) => {
                let settings = q::staff_settings(self.store(), u).await?.ok_or(ServiceError::Internal)?;
                Some(AddressedProvider { user: u, accepts_direct: settings.accepts_direct_messages })
            }
            None => None,
        };
        let facts = MessageFacts {
            topic,
            patient_department: patient.department,
            patient_care_team: patient.care_team,
            patient_program_pool: patient.program_pool,
            addressed_provider,
        };
        let mut steps = Vec::new();
        let mut events = Vec::new();
        let Ok(decision) = routing::route(&rules, &facts) else {
            // Only a practice with no rules and a patient with no care team
            // gets here: the patient's department still sees it.
            let reason = "No routing rule gave it an owner: the patient's department sees it";
            steps.push(q::set_owner(conversation, None, None, Some(reason), None));
            steps.push(self.history_step(History::of(conversation, HistoryCode::Routed))?);
            return Ok(Routed { owner: None, assignee: None, steps, events });
        };
        let owner_name = q::owner_name(self.store(), decision.owner).await?.unwrap_or_else(|| "its owner".into());
        let (position, rule_id) = decision.rule;
        let rule = rules.get(position - 1).ok_or(ServiceError::Internal)?;
        let mut department_names = Vec::new();
        if let Some(d) = rule.condition.department {
            department_names.push((d, q::department_name(self.store(), d).await?.unwrap_or_default()));
        }
        let condition = rule
            .condition
            .describe(|d| department_names.iter().find(|(x, _)| *x == d).map(|(_, n)| n.clone()).unwrap_or_default());
        let mut reason = format!("Routed to {owner_name} because rule {position}, “{}”: {condition}", rule.name);
        if let Some(reader) = decision.intended_reader {
            let name = q::owner_name(self.store(), Owner::Person(reader)).await?.unwrap_or_default();
            reason.push_str(&format!(". Written to {name}, who does not take direct messages: their team answers"));
        }
        let rule_ref = (rule_id != RuleId::from_bytes([0; 16])).then_some(rule_id);
        steps.push(q::set_owner(conversation, Some(decision.owner), rule_ref, Some(&reason), decision.intended_reader));
        steps.push(
            self.history_step(History {
                owner: Some(decision.owner),
                ..History::of(conversation, HistoryCode::Routed)
            })?,
        );
        let (assignee, covered_for, pool) =
            self.choose_assignee(patient.practice, decision.owner, &[], now, content).await?;
        if assignee.is_some() {
            let code = if pool.is_some() { HistoryCode::AutoAssigned } else { HistoryCode::Assigned };
            steps.extend(self.assignment_steps(Assignment {
                covered_for,
                pool,
                ..Assignment::of(conversation, assignee, code)
            })?);
            events.push(EventKind::Assigned { assignee, previous: None });
        }
        Ok(Routed { owner: Some(decision.owner), assignee, steps, events })
    }

    /// Screens a patient's message; if it may describe an emergency,
    /// returns the steps that mark the conversation urgent, add the
    /// automatic reply, and alert the clinical staff on duty, with their
    /// events and audit records.
    pub(crate) async fn triage_steps(
        &self,
        conversation: ConversationId,
        patient: &PatientRow,
        owner: Option<Owner>,
        assignee: Option<UserId>,
        dek: &Arc<DataKey>,
        text: &str,
    ) -> Result<Option<(Vec<Step>, Vec<EventKind>, Vec<AuditRecord>)>, ServiceError> {
        let screening = self.inner.triage.screen(text);
        if !screening.urgent() {
            return Ok(None);
        }
        let now = self.now();
        let pool = match owner {
            Some(Owner::Pool(p)) => Some(p),
            _ => None,
        };
        let person = match owner {
            Some(Owner::Person(u)) => Some(u),
            _ => assignee,
        };
        let care_team = match owner {
            Some(Owner::CareTeam(t)) => Some(t),
            _ => patient.care_team,
        };
        let absences = self.absences_now(patient.practice, now).await?;
        let on_duty: Vec<UserId> = q::clinical_staff_for(self.store(), patient.practice, care_team, pool, person)
            .await?
            .into_iter()
            .filter(|u| !assignment::is_away(*u, &absences, now))
            .collect();
        // The reply tells the patient exactly what happened: who (if
        // anyone) can see the alert now, and whom to call if not.
        let schedule = self.practice_schedule(patient.practice).await?;
        // Someone is paged (the chain of the on-call schedule, or the
        // clinicians on duty while open): the reply says so only then.
        let chain = self.page_chain(patient.practice, patient.department, now).await?;
        let paging = self.paging_steps(patient.practice, conversation, &chain, now).await?;
        let reach = match paging {
            Some(_) => UrgentReach::Paging { after_hours: !schedule.calendar_for(patient.department).is_open(now) },
            None => self.urgent_reach(&schedule, patient.department, &on_duty, now).await?,
        };
        let text = auto_reply::urgent_reply(&reach, schedule.after_hours_phone.as_deref(), schedule.phone.as_deref());
        // The reply comes a moment after the message, so it sorts after it.
        let reply_at = now.plus(Span::from_micros(1));
        let reply = self.new_id(MessageId::from_bytes)?;
        let mut steps: Vec<Step> = paging.into_iter().collect();
        steps.extend([
            conv_q::set_priority(conversation, Priority::Urgent),
            conv_q::insert_message(conv_q::NewMessage {
                id: reply,
                conversation,
                sender: None,
                sender_kind: SenderKind::System,
                body_ct: sealing::seal(dek, column::BODY, reply.as_bytes(), &text)?,
                at: reply_at,
            }),
        ]);
        let mut events = vec![
            EventKind::PriorityChanged { priority: Priority::Urgent },
            EventKind::MessageSent { message: reply, sender: None, sender_kind: SenderKind::System },
        ];
        let reached = match reach {
            UrgentReach::SignedIn(n) => n,
            UrgentReach::NobodyWhileOpen | UrgentReach::Closed { .. } | UrgentReach::Paging { .. } => 0,
        };
        let by_system = |action| {
            AuditRecord::new(now, Some(patient.practice), AuditActor::System, action).with_patient(Some(patient.id))
        };
        let flagged = by_system(AuditAction::UrgentMessageFlagged)
            .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
            .with_detail(format!(
                "categories={};alerted={};signed_in={reached}",
                screening.categories().join(","),
                on_duty.len()
            ));
        let replied = by_system(AuditAction::MessageSent)
            .with_resource(ResourceKind::Message, *reply.as_bytes())
            .with_detail("automatic_reply=urgent");
        let audit = vec![flagged, replied];
        for user in on_duty {
            steps.extend(self.alert_steps(patient.practice, user, conversation, "urgent_message", now)?);
            events.push(EventKind::Alert { user });
        }
        Ok(Some((steps, events, audit)))
    }

    /// Who an urgent alert reaches now: those alerted who are signed in
    /// (alerts are shown in the inbox, nowhere else yet); if nobody is,
    /// whether the office is open or when it opens.
    async fn urgent_reach(
        &self,
        schedule: &crate::response_times::Schedule,
        department: Option<DepartmentId>,
        alerted: &[UserId],
        now: Timestamp,
    ) -> Result<UrgentReach, ServiceError> {
        let limits = self.config().sessions.staff;
        let (seen_since, created_since) = (now.minus(limits.idle), now.minus(limits.absolute));
        let mut signed_in = 0;
        for user in alerted {
            if switchboard_store::queries::sessions::signed_in(self.store(), *user, seen_since, created_since).await? {
                signed_in += 1;
            }
        }
        if signed_in > 0 {
            return Ok(UrgentReach::SignedIn(signed_in));
        }
        let calendar = schedule.calendar_for(department);
        if calendar.is_open(now) {
            return Ok(UrgentReach::NobodyWhileOpen);
        }
        Ok(UrgentReach::Closed { opens: calendar.next_open(now).map(|t| calendar.describe(t, now)) })
    }
}

fn job_error(e: impl std::fmt::Display) -> String {
    // Codes only in the job table: the detail goes to the operator's log.
    tracing::warn!(error = %e, "job step failed");
    "failed".to_owned()
}

impl Switchboard {
    /// Moves one conversation from `m.from` to `m.to` (if it is still
    /// `m.from`'s), recording why; returns whether it moved.
    async fn move_assignment(&self, m: Move) -> Result<bool, ServiceError> {
        let Move { conversation, from, to, covered_for, pool, code, action } = m;
        let Some(row) = conv_q::by_id(self.store(), conversation).await? else { return Ok(false) };
        let now = self.now();
        let mut unit = switchboard_store::Unit::new()
            .step(q::reassign_if(conversation, from, to, now, covered_for))
            .step(self.history_step(History { from: Some(from), to, ..History::of(conversation, code) })?)
            .audit(
                AuditRecord::new(self.now(), Some(row.practice), AuditActor::System, action)
                    .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                    .with_detail(format!("from={from};to={}", to.map_or("pool".into(), |t| t.to_string()))),
            );
        if let (Some(pool), Some(who)) = (pool, to) {
            unit.push(q::set_last_assigned(pool, who));
            unit.push(self.assignment_timeout_step(conversation, who, now)?);
        }
        let after = switchboard_domain::policy::ConversationFacts { assignee: to, ..crate::access::facts(&row) };
        let events =
            vec![self.event_by(None, conversation, &after, EventKind::Assigned { assignee: to, previous: Some(from) })];
        match self.commit_with_events(unit, events).await {
            Ok(()) => Ok(true),
            // Someone moved it meanwhile: their choice stands.
            Err(switchboard_store::StoreError::Conflict(Conflict::AssignmentChanged)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// `assignment_timeout`: the assignee has not acted in time, so the
    /// conversation goes back to its pool and to the next available member.
    pub(crate) async fn assignment_timed_out(&self, payload: &str) -> Result<(), String> {
        let mut parts = payload.split(':');
        let (Some(c), Some(u), Some(t), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("bad_payload".into());
        };
        let conversation = ConversationId::parse(c).map_err(|_| "bad_payload".to_owned())?;
        let user = UserId::parse(u).map_err(|_| "bad_payload".to_owned())?;
        let assigned_at = Timestamp::from_micros(t.parse().map_err(|_| "bad_payload".to_owned())?);
        let Some(row) = conv_q::by_id(self.store(), conversation).await.map_err(job_error)? else { return Ok(()) };
        let still_theirs = row.assignee == Some(user) && row.assigned_at == Some(assigned_at);
        if !still_theirs || row.status == switchboard_domain::conversation::ConversationStatus::Closed {
            return Ok(());
        }
        if q::acted_since(self.store(), conversation, user, assigned_at).await.map_err(job_error)? {
            return Ok(());
        }
        let Some(Owner::Pool(pool)) = row.owner else { return Ok(()) };
        let (next, _, last) = self
            .choose_assignee(row.practice, Owner::Pool(pool), &[user], self.now(), (row.topic, row.sensitivity))
            .await
            .map_err(job_error)?;
        let m = Move::new(conversation, user, next, HistoryCode::TimedOut, AuditAction::AssignmentTimedOut);
        self.move_assignment(Move { pool: last, ..m }).await.map_err(job_error)?;
        Ok(())
    }

    /// `absence_starts`: the absent person's open work goes to their cover
    /// (or back to its owner when nobody covers).
    pub(crate) async fn absence_started(&self, payload: &str) -> Result<(), String> {
        let absence = AbsenceId::parse(payload).map_err(|_| "bad_payload".to_owned())?;
        let Some((practice, a, cancelled)) = q::absence_by_id(self.store(), absence).await.map_err(job_error)? else {
            return Ok(());
        };
        let now = self.now();
        if cancelled || now >= a.ends_at {
            return Ok(());
        }
        let absences = self.absences_now(practice, now).await.map_err(job_error)?;
        let cover = assignment::covering(a.user, &absences, now).filter(|c| *c != a.user);
        for conversation in q::open_assigned_to(self.store(), a.user).await.map_err(job_error)? {
            let m = Move::new(conversation, a.user, cover, HistoryCode::CoverStarted, AuditAction::CoverStarted);
            self.move_assignment(Move { covered_for: cover.map(|_| a.user), ..m }).await.map_err(job_error)?;
        }
        Ok(())
    }

    /// `account_deactivated`: a deactivated colleague's open work is handed
    /// on, as if by a timeout: to the next available member of its pool, or
    /// back to its owner (person, care team, department) unassigned.
    /// Nothing happens if they were reactivated meanwhile.
    pub(crate) async fn deactivated_work_released(&self, payload: &str) -> Result<(), String> {
        let user = UserId::parse(payload).map_err(|_| "bad_payload".to_owned())?;
        let Some(account) =
            switchboard_store::queries::directory::user_by_id(self.store(), user).await.map_err(job_error)?
        else {
            return Ok(());
        };
        if account.active {
            return Ok(());
        }
        for conversation in q::open_assigned_to(self.store(), user).await.map_err(job_error)? {
            let Some(row) = conv_q::by_id(self.store(), conversation).await.map_err(job_error)? else { continue };
            let (next, covering, last) = match row.owner {
                Some(owner) => self
                    .choose_assignee(row.practice, owner, &[user], self.now(), (row.topic, row.sensitivity))
                    .await
                    .map_err(job_error)?,
                None => (None, None, None),
            };
            let m = Move::new(conversation, user, next, HistoryCode::Deactivated, AuditAction::ConversationAssigned);
            self.move_assignment(Move { covered_for: covering, pool: last, ..m }).await.map_err(job_error)?;
        }
        Ok(())
    }

    /// `absence_ends`: work a cover held comes back to the person who is
    /// back (if they are: another absence may have begun).
    pub(crate) async fn absence_ended(&self, payload: &str) -> Result<(), String> {
        let absence = AbsenceId::parse(payload).map_err(|_| "bad_payload".to_owned())?;
        let Some((practice, a, _)) = q::absence_by_id(self.store(), absence).await.map_err(job_error)? else {
            return Ok(());
        };
        let now = self.now();
        let absences = self.absences_now(practice, now).await.map_err(job_error)?;
        if assignment::is_away(a.user, &absences, now) {
            return Ok(());
        }
        for (conversation, holder) in q::covered_for(self.store(), a.user).await.map_err(job_error)? {
            if let Some(holder) = holder {
                self.move_assignment(Move::new(
                    conversation,
                    holder,
                    Some(a.user),
                    HistoryCode::CoverEnded,
                    AuditAction::CoverEnded,
                ))
                .await
                .map_err(job_error)?;
            }
        }
        self.offer_work_to(practice, a.user).await;
        Ok(())
    }
}

impl Switchboard {
    /// Offers the work waiting in `pools` (nobody held it: everyone was
    /// full, away, or it timed out with no one free) to members who now have
    /// room, oldest first. Called when someone frees up: a conversation
    /// closes, a capacity rises, someone is back, a pool gains members.
    /// Best effort: a failure leaves the work waiting, and is logged.
    pub(crate) async fn offer_waiting_work(&self, practice: PracticeId, pools: &[PoolId]) {
        for pool in pools {
            if let Err(e) = self.offer_pool(practice, *pool).await {
                tracing::warn!(error = %e, "offering waiting work failed");
            }
        }
    }

    async fn offer_pool(&self, practice: PracticeId, pool: PoolId) -> Result<(), ServiceError> {
        for conversation in q::waiting_in_pool(self.store(), pool, 50).await? {
            let now = self.now();
            let Some(row) = conv_q::by_id(self.store(), conversation).await? else { continue };
            // Someone free may not read this one (clinical, sensitive) and
            // still take the next.
            let (Some(who), _, _) =
                self.choose_assignee(practice, Owner::Pool(pool), &[], now, (row.topic, row.sensitivity)).await?
            else {
                continue;
            };
            let unit = switchboard_store::Unit::new()
                .step(q::claim_if_unassigned(conversation, who, now))
                .step(
                    self.history_step(History {
                        to: Some(who),
                        ..History::of(conversation, HistoryCode::AutoAssigned)
                    })?,
                )
                .step(q::set_last_assigned(pool, who))
                .step(self.assignment_timeout_step(conversation, who, now)?)
                .audit(
                    AuditRecord::new(self.now(), Some(practice), AuditActor::System, AuditAction::ConversationAssigned)
                        .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                        .with_detail(format!("to={who};waiting")),
                );
            let after =
                switchboard_domain::policy::ConversationFacts { assignee: Some(who), ..crate::access::facts(&row) };
            let events = vec![self.event_by(
                None,
                conversation,
                &after,
                EventKind::Assigned { assignee: Some(who), previous: None },
            )];
            match self.commit_with_events(unit, events).await {
                Ok(()) | Err(switchboard_store::StoreError::Conflict(Conflict::AssignmentChanged)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// After `user` frees up: their auto-assigning pools offer waiting work.
    pub(crate) async fn offer_work_to(&self, practice: PracticeId, user: UserId) {
        match q::auto_pools_of(self.store(), user).await {
            Ok(pools) => self.offer_waiting_work(practice, &pools).await,
            Err(e) => tracing::warn!(error = %e, "cannot list pools to offer waiting work"),
        }
    }
}
