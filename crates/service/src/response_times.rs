//! Office hours, response-time targets and automatic replies, applied:
//! the response clock on each message, the acknowledgement a patient gets,
//! what a patient is told before sending, and the jobs that raise due-soon
//! and overdue alerts.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard, sealing};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_crypto::DataKey;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::auto_reply::{self, AutoReplyText};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::event::EventKind;
use switchboard_domain::hours::{self, BusinessCalendar, Closure, Period, WeeklyHours};
use switchboard_domain::ids::*;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::role::{SenderKind, StaffRole};
use switchboard_domain::routing::Owner;
use switchboard_domain::sla::{self, ClockChange, ClockState, Deadline, Policies, Policy, SlaState, Target, Turn};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_domain::topic::Topic;
use switchboard_store::queries::{conversations as conv_q, directory, jobs as job_q, routing as q, schedule as sq};
use switchboard_store::rows::ConversationRow;
use switchboard_store::{Step, Unit};

/// The jobs that check a waiting conversation when it becomes due soon and
/// when it becomes overdue. Payload: `conversation:waiting_since`.
pub const RESPONSE_DUE_SOON: &str = "response_due_soon";
pub const RESPONSE_OVERDUE: &str = "response_overdue";

/// How long a node trusts its copy of a practice's schedule. Changes made
/// through this node apply at once; other nodes see them within this time.
const SCHEDULE_TTL: Duration = Duration::from_secs(30);

/// A practice's schedule, parsed.
#[derive(Debug)]
pub struct Schedule {
    pub practice_name: String,
    pub phone: Option<String>,
    pub after_hours_phone: Option<String>,
    pub time_zone: String,
    pub calendar: BusinessCalendar,
    pub departments: HashMap<DepartmentId, BusinessCalendar>,
    pub policies: Policies,
    pub open_text: AutoReplyText,
    pub closed_text: AutoReplyText,
    pub open_text_custom: bool,
    pub closed_text_custom: bool,
    /// After this long unread, a staff reply is reminded to the patient;
    /// after `unread_flag` more, it is flagged for staff to follow up.
    pub unread_reminder: Span,
    pub unread_flag: Span,
}

impl Schedule {
    pub fn calendar_for(&self, department: Option<DepartmentId>) -> &BusinessCalendar {
        department.and_then(|d| self.departments.get(&d)).unwrap_or(&self.calendar)
    }

    /// Builds the schedule from its rows. Rows are checked when saved, so
    /// one that no longer parses (a zone dropped from the tz database) is
    /// skipped with a warning rather than stopping messages.
    fn from_row(row: sq::ScheduleRow) -> Self {
        let zone = hours::time_zone(&row.time_zone).unwrap_or_else(|_| {
            tracing::warn!("practice time zone not in the tz database; using UTC");
            jiff::tz::TimeZone::UTC
        });
        let periods = |rows: &mut dyn Iterator<Item = (i64, i64, i64)>| -> WeeklyHours {
            let periods: Vec<Period> = rows
                .filter_map(|(d, o, c)| {
                    Period::new(u8::try_from(d).ok()?, u16::try_from(o).ok()?, u16::try_from(c).ok()?).ok()
                })
                .collect();
            WeeklyHours::new(periods).unwrap_or_default()
        };
        let closures_for = |department: Option<DepartmentId>| -> Vec<Closure> {
            row.closures
                .iter()
                .filter(|c| c.department.is_none() || c.department == department)
                .filter_map(|c| {
                    Closure::new(hours::parse_date(&c.first_day).ok()?, hours::parse_date(&c.last_day).ok()?).ok()
                })
                .collect()
        };
        let practice_hours = periods(&mut row.hours.iter().map(|h| (h.weekday, h.opens_minute, h.closes_minute)));
        let calendar = BusinessCalendar::new(zone.clone(), practice_hours.clone(), closures_for(None));
        let mut department_ids: Vec<DepartmentId> = row.department_hours.iter().map(|h| h.department).collect();
        for c in &row.closures {
            department_ids.extend(c.department);
        }
        department_ids.sort_by_key(|d| *d.as_bytes());
        department_ids.dedup();
        let departments = department_ids
            .into_iter()
            .map(|d| {
                let own: Vec<_> = row.department_hours.iter().filter(|h| h.department == d).collect();
                let weekly = if own.is_empty() {
                    practice_hours.clone()
                } else {
                    periods(&mut own.iter().map(|h| (h.weekday, h.opens_minute, h.closes_minute)))
                };
                (d, BusinessCalendar::new(zone.clone(), weekly, closures_for(Some(d))))
            })
            .collect();
        // No targets of its own: the defaults, shown and applied alike.
        let policies = if row.targets.is_empty() {
            Some(Policies::defaults().policies().to_vec())
        } else {
            row.targets.iter().map(target_from_row).collect::<Option<Vec<Policy>>>()
        }
        .and_then(|p| Policies::new(p, u8::try_from(row.due_soon_percent).ok()?).ok())
        .unwrap_or_else(Policies::defaults);
        let text = |custom: &Option<String>, default: fn() -> AutoReplyText| {
            custom.as_deref().and_then(|t| AutoReplyText::parse(t).ok()).unwrap_or_else(default)
        };
        let open_text = text(&row.auto_reply_open, AutoReplyText::default_open);
        let closed_text = text(&row.auto_reply_closed, AutoReplyText::default_closed);
        Schedule {
            practice_name: row.practice_name,
            phone: row.phone,
            after_hours_phone: row.after_hours_phone,
            time_zone: row.time_zone,
            calendar,
            departments,
            policies,
            open_text,
            closed_text,
            open_text_custom: row.auto_reply_open.is_some(),
            closed_text_custom: row.auto_reply_closed.is_some(),
            unread_reminder: Span::from_mins(row.unread_reminder_minutes.max(1)),
            unread_flag: Span::from_mins(row.unread_flag_minutes.max(1)),
        }
    }
}

fn target_from_row(t: &sq::TargetRow) -> Option<Policy> {
    let priority = match t.priority.as_deref() {
        None => None,
        Some(p) => Some(Priority::parse(p)?),
    };
    let topic = match t.topic.as_deref() {
        None => None,
        Some(x) => Some(Topic::parse(x)?),
    };
    let target = Target::new(
        Span::from_mins(t.first_response_minutes),
        Span::from_mins(t.next_response_minutes),
        sla::Clock::parse(&t.clock)?,
    )
    .ok()?;
    Some(Policy { priority, topic, target })
}

/// The per-node cache of parsed schedules.
#[derive(Default)]
pub(crate) struct ScheduleCache {
    entries: std::sync::Mutex<HashMap<PracticeId, (Instant, Arc<Schedule>)>>,
}

/// What the clock does for one message: steps to add, and the deadline of
/// a stretch of waiting that starts now.
pub(crate) struct ClockPlan {
    pub steps: Vec<Step>,
    pub started: Option<Deadline>,
}

/// What a patient is told about when to expect an answer.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub open_now: bool,
    pub opens_at: Option<Timestamp>,
    pub reply_by: Timestamp,
    /// "Monday at 12:00 PM".
    pub reply_by_text: String,
    /// The whole sentence, as the automatic reply would say it.
    pub message: String,
}

impl Switchboard {
    /// A practice's schedule, from this node's cache when fresh.
    pub(crate) async fn practice_schedule(&self, practice: PracticeId) -> Result<Arc<Schedule>, ServiceError> {
        if let Ok(entries) = self.inner.schedules.entries.lock()
            && let Some((at, s)) = entries.get(&practice)
            && at.elapsed() < SCHEDULE_TTL
        {
            return Ok(s.clone());
        }
        let row = sq::schedule(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        let schedule = Arc::new(Schedule::from_row(row));
        if let Ok(mut entries) = self.inner.schedules.entries.lock() {
            entries.insert(practice, (Instant::now(), schedule.clone()));
        }
        Ok(schedule)
    }

    pub(crate) fn forget_schedule(&self, practice: PracticeId) {
        if let Ok(mut entries) = self.inner.schedules.entries.lock() {
            entries.remove(&practice);
        }
    }

    /// The response clock's steps for a turn in a conversation.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn clock_plan(
        &self,
        schedule: &Schedule,
        conversation: ConversationId,
        state: ClockState,
        turn: Turn,
        priority: Priority,
        topic: Topic,
        department: Option<DepartmentId>,
        now: Timestamp,
    ) -> Result<ClockPlan, ServiceError> {
        match sla::on_turn(state, turn) {
            ClockChange::Keep => Ok(ClockPlan { steps: Vec::new(), started: None }),
            ClockChange::Stop => {
                let answered = (turn == Turn::StaffReplied).then_some(now);
                Ok(ClockPlan { steps: vec![conv_q::stop_clock(conversation, answered)], started: None })
            }
            ClockChange::Start { first } => {
                let deadline = self.deadline_for(schedule, priority, topic, department, now, first);
                let steps = self.deadline_steps(conversation, &deadline, first)?;
                Ok(ClockPlan { steps, started: Some(deadline) })
            }
        }
    }

    pub(crate) fn deadline_for(
        &self,
        schedule: &Schedule,
        priority: Priority,
        topic: Topic,
        department: Option<DepartmentId>,
        since: Timestamp,
        first: bool,
    ) -> Deadline {
        let target = schedule.policies.target_for(priority, topic);
        sla::deadline(
            schedule.calendar_for(department),
            &schedule.policies,
            since,
            sla::allowed(&target, first),
            target.clock(),
        )
    }

    /// Sets a conversation's deadline and schedules its checks.
    pub(crate) fn deadline_steps(
        &self,
        conversation: ConversationId,
        d: &Deadline,
        first: bool,
    ) -> Result<Vec<Step>, ServiceError> {
        let now = self.now();
        let payload = format!("{}:{}", conversation, d.waiting_since.as_micros());
        let mut steps = vec![conv_q::start_clock(conversation, d.waiting_since, d.due_soon_at, d.due_at, first)];
        for (kind, at) in [(RESPONSE_DUE_SOON, d.due_soon_at), (RESPONSE_OVERDUE, d.due_at)] {
            let job = self.new_id(JobId::from_bytes)?;
            // A re-timed deadline (the message turned out urgent) adds new
            // checks; the old ones find the deadline moved and do nothing.
            let dedupe = format!("{kind}:{payload}:{}", at.as_micros());
            steps.push(job_q::enqueue(job, kind, &payload, at, 5, Some(&dedupe), now));
        }
        Ok(steps)
    }

    /// The acknowledgement for a new patient conversation: a system message
    /// saying when to expect an answer, or that the office is closed.
    pub(crate) fn acknowledgement(
        &self,
        schedule: &Schedule,
        department: Option<DepartmentId>,
        conversation: ConversationId,
        dek: &Arc<DataKey>,
        deadline: &Deadline,
    ) -> Result<(Vec<Step>, EventKind, MessageId), ServiceError> {
        let now = self.now();
        let text = self.expectation_text(schedule, department, deadline.due_at, now);
        let reply = self.new_id(MessageId::from_bytes)?;
        // A moment after the patient's message, so it sorts after it.
        let step = conv_q::insert_message(conv_q::NewMessage {
            id: reply,
            conversation,
            sender: None,
            sender_kind: SenderKind::System,
            body_ct: sealing::seal(dek, sealing::column::BODY, reply.as_bytes(), &text.message)?,
            at: now.plus(Span::from_micros(1)),
        });
        Ok((
            vec![step],
            EventKind::MessageSent { message: reply, sender: None, sender_kind: SenderKind::System },
            reply,
        ))
    }

    fn expectation_text(
        &self,
        schedule: &Schedule,
        department: Option<DepartmentId>,
        reply_by: Timestamp,
        now: Timestamp,
    ) -> Expectation {
        let calendar = schedule.calendar_for(department);
        let open_now = calendar.is_open(now);
        let opens_at = if open_now { Some(now) } else { calendar.next_open(now) };
        let values = auto_reply::Values {
            reply_by: calendar.describe(reply_by, now),
            opens: opens_at.map(|t| calendar.describe(t, now)).unwrap_or_else(|| "next".into()),
            practice_name: schedule.practice_name.clone(),
            practice_phone: schedule.phone.clone().unwrap_or_default(),
        };
        let message = if open_now { schedule.open_text.render(&values) } else { schedule.closed_text.render(&values) };
        Expectation { open_now, opens_at, reply_by, reply_by_text: values.reply_by, message }
    }

    /// What a patient is told before sending a new message about `topic`.
    pub async fn expectation(&self, p: &Principal, topic: Option<&str>) -> Result<Expectation, ServiceError> {
        let topic = match topic {
            None => Topic::CareQuestion,
            Some(t) => Topic::parse(t)
                .ok_or_else(|| ServiceError::Invalid { field: "topic", problem: "not a topic".into() })?,
        };
        let department = match directory::patient_by_user(self.store(), p.user.id).await? {
            Some(patient) => patient.department,
            None => None,
        };
        let schedule = self.practice_schedule(p.user.practice).await?;
        let now = self.now();
        let d = self.deadline_for(&schedule, Priority::Routine, topic, department, now, true);
        Ok(self.expectation_text(&schedule, department, d.due_at, now))
    }

    /// The job run when a deadline's due-soon or overdue time comes.
    pub(crate) async fn response_check(&self, payload: &str, overdue: bool) -> Result<(), String> {
        let (conversation, since) = parse_payload(payload).ok_or_else(|| "bad_payload".to_owned())?;
        let Some(row) = conv_q::by_id(self.store(), conversation).await.map_err(job_error)? else {
            return Ok(());
        };
        // Answered, closed, or re-timed since: nothing to do.
        let due = if overdue { row.due_at } else { row.due_soon_at };
        if row.waiting_since != Some(since) || row.status == ConversationStatus::Closed {
            return Ok(());
        }
        let now = self.now();
        if due.is_none_or(|d| d > now) {
            return Ok(());
        }
        let practice = row.practice;
        let absences: Vec<_> =
            q::absences(self.store(), practice, now).await.map_err(job_error)?.into_iter().map(|(_, a)| a).collect();
        let present = |u: &UserId| !switchboard_domain::assignment::is_away(*u, &absences, now);
        let pools = q::pools(self.store(), practice).await.map_err(job_error)?;
        let pool = match row.owner {
            Some(Owner::Pool(x)) => pools.iter().find(|p| p.id == x),
            _ => None,
        };
        let mut to: Vec<UserId> = owners_of(self, &row, pool).await?;
        let mut escalate_to_lead = None;
        if overdue {
            let staff = directory::active_staff(self.store(), practice).await.map_err(job_error)?;
            to.extend(staff.iter().filter(|s| s.role == StaffRole::PracticeAdmin).map(|s| s.id));
            if let Some(lead) = pool.and_then(|p| p.lead) {
                to.push(lead);
                escalate_to_lead = Some(lead);
            }
        }
        to.retain(present);
        to.sort_by_key(|u| *u.as_bytes());
        to.dedup();
        let kind = if overdue { "response_overdue" } else { "response_due_soon" };
        let mut unit = Unit::new();
        let mut events = Vec::new();
        for user in &to {
            let alert = self.new_id(AlertId::from_bytes).map_err(job_error)?;
            unit.push(q::insert_alert(alert, practice, *user, conversation, kind, now));
            events.push(self.event_by(
                None,
                conversation,
                &crate::conversations::facts(&row),
                EventKind::Alert { user: *user },
            ));
        }
        if escalate_to_lead.is_some() {
            let reason = "Overdue: escalated to the pool lead";
            let key = self.conversation_key(&row).map_err(job_error)?;
            let entry_id = *self.new_id(AlertId::from_bytes).map_err(job_error)?.as_bytes();
            unit.push(q::insert_history(q::HistoryEntry {
                id: entry_id,
                conversation,
                at: now,
                actor: None,
                from_assignee: row.assignee,
                to_assignee: row.assignee,
                // The pool keeps it; its lead, who hands out its work, is told.
                to_owner: None,
                reason_code: "overdue_to_lead",
                reason_ct: Some(
                    sealing::seal(&key, sealing::column::ASSIGNMENT_REASON, &entry_id, reason).map_err(job_error)?,
                ),
            }));
        }
        if overdue {
            unit.push_audit(self.system_record(
                practice,
                AuditAction::ResponseTargetMissed,
                conversation,
                format!("alerted={}", to.len()),
            ));
        }
        self.commit_with_events(unit, events).await.map_err(job_error)?;
        Ok(())
    }
}

async fn owners_of(app: &Switchboard, row: &ConversationRow, pool: Option<&q::PoolRow>) -> Result<Vec<UserId>, String> {
    if let Some(a) = row.assignee {
        return Ok(vec![a]);
    }
    Ok(match row.owner {
        Some(Owner::Person(u)) => vec![u],
        Some(Owner::Pool(_)) => pool.map(|p| p.members.clone()).unwrap_or_default(),
        Some(Owner::CareTeam(t)) => {
            q::clinical_staff_for(app.store(), row.practice, Some(t), None, None).await.map_err(job_error)?
        }
        Some(Owner::Department(_)) | None => {
            q::clinical_staff_for(app.store(), row.practice, row.patient.care_team, None, None)
                .await
                .map_err(job_error)?
        }
    })
}

fn parse_payload(payload: &str) -> Option<(ConversationId, Timestamp)> {
    let (c, t) = payload.split_once(':')?;
    Some((ConversationId::parse(c).ok()?, Timestamp::from_micros(t.parse().ok()?)))
}

fn job_error(e: impl std::fmt::Display) -> String {
    tracing::warn!(error = %e, "response check failed");
    "failed".to_owned()
}

/// Where a conversation stands against its target, for views.
pub fn state_of(row: &ConversationRow, now: Timestamp) -> Option<SlaState> {
    let (since, soon, due) = (row.waiting_since?, row.due_soon_at?, row.due_at?);
    Some(sla::state(&Deadline { waiting_since: since, due_soon_at: soon, due_at: due }, now))
}

/// The practice's response settings as an administrator edits them.
#[derive(Clone, Debug)]
pub struct ResponseSettings {
    pub time_zone: String,
    pub targets: Vec<Policy>,
    pub due_soon_percent: u8,
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub closures: Vec<ClosureView>,
    pub department_hours: Vec<(DepartmentId, Vec<crate::OpeningPeriod>)>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Clone, Debug)]
pub struct ClosureView {
    pub id: ClosureId,
    pub department: Option<DepartmentId>,
    pub first_day: String,
    pub last_day: String,
    pub name: String,
}

/// Targets and automatic replies as submitted.
#[derive(Clone, Debug)]
pub struct ResponseSettingsInput {
    pub targets: Vec<TargetInput>,
    pub due_soon_percent: u8,
    /// `None`: the built-in wording.
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Clone, Debug)]
pub struct TargetInput {
    pub priority: Option<String>,
    pub topic: Option<String>,
    pub first_response_minutes: i64,
    pub next_response_minutes: i64,
    pub clock: String,
}

impl Switchboard {
    /// The practice's targets, automatic replies, closures and department
    /// hours (staff of the practice).
    pub async fn response_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<ResponseSettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let row = sq::schedule(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        let schedule = Schedule::from_row(row.clone());
        let mut department_hours: Vec<(DepartmentId, Vec<crate::OpeningPeriod>)> = Vec::new();
        for h in &row.department_hours {
            let period = crate::OpeningPeriod {
                weekday: u8::try_from(h.weekday).unwrap_or(0),
                opens_minute: u16::try_from(h.opens_minute).unwrap_or(0),
                closes_minute: u16::try_from(h.closes_minute).unwrap_or(0),
            };
            match department_hours.iter_mut().find(|(d, _)| *d == h.department) {
                Some((_, v)) => v.push(period),
                None => department_hours.push((h.department, vec![period])),
            }
        }
        Ok(ResponseSettings {
            time_zone: row.time_zone,
            targets: schedule.policies.policies().to_vec(),
            due_soon_percent: schedule.policies.due_soon_percent(),
            auto_reply_open: row.auto_reply_open,
            auto_reply_closed: row.auto_reply_closed,
            closures: row
                .closures
                .into_iter()
                .map(|c| ClosureView {
                    id: c.id,
                    department: c.department,
                    first_day: c.first_day,
                    last_day: c.last_day,
                    name: c.name,
                })
                .collect(),
            department_hours,
            unread_reminder_minutes: row.unread_reminder_minutes,
            unread_flag_minutes: row.unread_flag_minutes,
        })
    }

    /// Replaces the response-time targets and automatic replies (practice
    /// administrators).
    pub async fn save_response_settings(
        &self,
        p: &Principal,
        input: ResponseSettingsInput,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        if input.targets.len() > 50 {
            return Err(ServiceError::Invalid { field: "targets", problem: "at most 50 targets".into() });
        }
        let mut policies = Vec::new();
        for (i, t) in input.targets.iter().enumerate() {
            let bad = |problem: String| ServiceError::Invalid {
                field: "targets",
                problem: format!("target {}: {problem}", i + 1),
            };
            let priority = match t.priority.as_deref() {
                None => None,
                Some(x) => Some(Priority::parse(x).ok_or_else(|| bad("priority must be routine or urgent".into()))?),
            };
            let topic = match t.topic.as_deref() {
                None => None,
                Some(x) => Some(Topic::parse(x).ok_or_else(|| bad("not a topic".into()))?),
            };
            let clock = sla::Clock::parse(&t.clock).ok_or_else(|| bad("clock must be business or wall".into()))?;
            let target =
                Target::new(Span::from_mins(t.first_response_minutes), Span::from_mins(t.next_response_minutes), clock)
                    .map_err(|e| bad(e.to_string()))?;
            policies.push(Policy { priority, topic, target });
        }
        Policies::new(policies, input.due_soon_percent).map_err(|e| ServiceError::Invalid {
            field: if e == sla::PolicyError::DueSoonShare { "due_soon_percent" } else { "targets" },
            problem: e.to_string(),
        })?;
        let open = match input.auto_reply_open.as_deref() {
            None => None,
            Some(t) => Some(
                AutoReplyText::parse(t)
                    .map_err(|e| ServiceError::Invalid { field: "auto_reply_open", problem: e.to_string() })?,
            ),
        };
        let closed = match input.auto_reply_closed.as_deref() {
            None => None,
            Some(t) => Some(
                AutoReplyText::parse(t)
                    .map_err(|e| ServiceError::Invalid { field: "auto_reply_closed", problem: e.to_string() })?,
            ),
        };
        for (field, minutes) in [
            ("unread_reminder_minutes", input.unread_reminder_minutes),
            ("unread_flag_minutes", input.unread_flag_minutes),
        ] {
            if !(10..=30 * 24 * 60).contains(&minutes) {
                return Err(ServiceError::Invalid { field, problem: "must be between 10 minutes and 30 days".into() });
            }
        }
        let practice = p.user.practice;
        let mut unit = Unit::new().step(sq::clear_targets(practice)).step(sq::set_response_settings(
            practice,
            sq::ResponseSettingsRow {
                due_soon_percent: i64::from(input.due_soon_percent),
                auto_reply_open: open.as_ref().map(|t| t.as_str()),
                auto_reply_closed: closed.as_ref().map(|t| t.as_str()),
                unread_reminder_minutes: input.unread_reminder_minutes,
                unread_flag_minutes: input.unread_flag_minutes,
            },
        ));
        for (i, t) in input.targets.iter().enumerate() {
            unit.push(sq::insert_target(
                practice,
                i64::try_from(i).unwrap_or(i64::MAX),
                &sq::TargetRow {
                    priority: t.priority.clone(),
                    topic: t.topic.clone(),
                    first_response_minutes: t.first_response_minutes,
                    next_response_minutes: t.next_response_minutes,
                    clock: t.clock.clone(),
                },
            ));
        }
        let rec = self
            .setup_record(p, ctx, AuditAction::ResponseSettingsChanged, (ResourceKind::Practice, *practice.as_bytes()))
            .with_detail(format!("targets={}", input.targets.len()));
        self.store().commit(unit.audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(())
    }

    /// Adds a closure (a holiday) for the practice or one department.
    pub async fn add_closure(
        &self,
        p: &Principal,
        department: Option<DepartmentId>,
        first_day: &str,
        last_day: &str,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<ClosureId, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let first = hours::parse_date(first_day)
            .map_err(|_| ServiceError::Invalid { field: "first_day", problem: "must be a date (YYYY-MM-DD)".into() })?;
        let last = hours::parse_date(last_day)
            .map_err(|_| ServiceError::Invalid { field: "last_day", problem: "must be a date (YYYY-MM-DD)".into() })?;
        Closure::new(first, last).map_err(|e| ServiceError::Invalid { field: "last_day", problem: e.to_string() })?;
        let name = switchboard_domain::text::DisplayName::parse(name)
            .map_err(|e| ServiceError::Invalid { field: "name", problem: e.to_string() })?;
        let practice = p.user.practice;
        if let Some(d) = department
            && directory::department_name_of(self.store(), practice, d).await?.is_none()
        {
            return Err(ServiceError::Invalid { field: "department_id", problem: "no such department".into() });
        }
        let id = self.new_id(ClosureId::from_bytes)?;
        let row = sq::ClosureRow {
            id,
            department,
            first_day: first.to_string(),
            last_day: last.to_string(),
            name: name.as_str().to_owned(),
        };
        let rec = self
            .setup_record(p, ctx, AuditAction::ResponseSettingsChanged, (ResourceKind::Practice, *practice.as_bytes()))
            .with_detail("closure_added");
        self.store().commit(Unit::new().step(sq::insert_closure(practice, &row, self.now())).audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(id)
    }

    pub async fn remove_closure(
        &self,
        p: &Principal,
        closure: ClosureId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let practice = p.user.practice;
        let rec = self
            .setup_record(p, ctx, AuditAction::ResponseSettingsChanged, (ResourceKind::Practice, *practice.as_bytes()))
            .with_detail("closure_removed");
        match self.store().commit(Unit::new().step(sq::delete_closure(practice, closure)).audit(rec)).await {
            Ok(()) => {}
            Err(switchboard_store::StoreError::Conflict(_)) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        }
        self.forget_schedule(practice);
        Ok(())
    }

    /// Replaces one department's own hours; an empty list means the
    /// practice's hours apply.
    pub async fn set_department_hours(
        &self,
        p: &Principal,
        department: DepartmentId,
        periods: &[crate::OpeningPeriod],
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let practice = p.user.practice;
        if directory::department_name_of(self.store(), practice, department).await?.is_none() {
            return Err(ServiceError::NotFound);
        }
        let parsed: Vec<Period> = periods
            .iter()
            .map(|h| Period::new(h.weekday, h.opens_minute, h.closes_minute))
            .collect::<Result<_, _>>()
            .map_err(|e| ServiceError::Invalid { field: "office_hours", problem: e.to_string() })?;
        WeeklyHours::new(parsed)
            .map_err(|e| ServiceError::Invalid { field: "office_hours", problem: e.to_string() })?;
        let mut unit = Unit::new().step(sq::clear_department_hours(department));
        for h in periods {
            unit.push(sq::insert_department_hours(sq::DepartmentHoursRow {
                department,
                weekday: i64::from(h.weekday),
                opens_minute: i64::from(h.opens_minute),
                closes_minute: i64::from(h.closes_minute),
            }));
        }
        let rec = self
            .setup_record(p, ctx, AuditAction::ResponseSettingsChanged, (ResourceKind::Practice, *practice.as_bytes()))
            .with_detail("department_hours");
        self.store().commit(unit.audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(())
    }
}
