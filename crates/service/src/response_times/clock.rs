//! The response clock on each message, the acknowledgement a patient
//! gets, and what a patient is told before sending.

use super::jobs::{RESPONSE_DUE_SOON, RESPONSE_OVERDUE};
use super::schedule::Schedule;
use crate::auth::Principal;
use crate::{ServiceError, Switchboard, sealing};
use std::sync::Arc;
use switchboard_crypto::DataKey;
use switchboard_domain::auto_reply::{self};
use switchboard_domain::conversation::Priority;
use switchboard_domain::event::EventKind;
use switchboard_domain::ids::*;
use switchboard_domain::role::SenderKind;
use switchboard_domain::sla::{self, ClockChange, ClockState, Deadline, SlaState, Turn};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_domain::topic::Topic;
use switchboard_store::Step;
use switchboard_store::queries::{conversations as conv_q, directory, jobs as job_q};
use switchboard_store::rows::ConversationRow;

/// What the clock does for one message: steps to add, and the deadline of
/// a stretch of waiting that starts now.
pub(crate) struct ClockPlan {
    pub steps: Vec<Step>,
    pub started: Option<Deadline>,
}

/// One turn in a conversation, as the response clock needs it: whose turn
/// it became, where the clock stood, and what sets the target.
pub(crate) struct ClockTurn {
    pub conversation: ConversationId,
    pub state: ClockState,
    pub turn: Turn,
    pub priority: Priority,
    pub topic: Topic,
    pub department: Option<DepartmentId>,
    pub now: Timestamp,
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
    /// The response clock's steps for a turn in a conversation.
    pub(crate) fn clock_plan(&self, schedule: &Schedule, t: ClockTurn) -> Result<ClockPlan, ServiceError> {
        let ClockTurn { conversation, state, turn, priority, topic, department, now } = t;
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
                .ok_or_else(|| ServiceError::Invalid { field: "topic", problem: "that is not a topic".into() })?,
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
}

/// Where a conversation stands against its target, for views.
pub(crate) fn state_of(row: &ConversationRow, now: Timestamp) -> Option<SlaState> {
    let (since, soon, due) = (row.waiting_since?, row.due_soon_at?, row.due_at?);
    Some(sla::state(&Deadline { waiting_since: since, due_soon_at: soon, due_at: due }, now))
}
