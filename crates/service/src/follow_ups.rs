//! Follow-up when a patient does not read a staff reply: one reminder
//! through the patient's notification channels, then a flag for staff
//! ("patient has not read your reply of Tue 10:12 AM").

use crate::auth::Principal;
use crate::{ServiceError, Switchboard};
use switchboard_domain::conversation::ConversationStatus;
use switchboard_domain::event::EventKind;
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;
use switchboard_store::Step;
use switchboard_store::Unit;
use switchboard_store::queries::{conversations as conv_q, jobs as job_q, notifications as nq};

/// The job that checks a staff reply: payload `conversation:message:stage`,
/// stage `remind` or `flag`.
pub const REPLY_UNREAD: &str = "reply_unread";

/// The kind of notification that reminds a patient of an unread reply.
pub const UNREAD_REPLY_REMINDER: &str = "unread_reply_reminder";

impl Switchboard {
    /// Steps for a staff message: check later that the patient read it, and
    /// clear any earlier flag (staff have followed up).
    pub(crate) async fn staff_reply_steps(
        &self,
        practice: PracticeId,
        conversation: ConversationId,
        message: MessageId,
        now: Timestamp,
    ) -> Result<Vec<Step>, ServiceError> {
        let schedule = self.practice_schedule(practice).await?;
        let job = self.new_id(JobId::from_bytes)?;
        let payload = format!("{conversation}:{message}:remind");
        Ok(vec![
            conv_q::clear_unread_flag(conversation),
            job_q::enqueue(job, REPLY_UNREAD, &payload, now.plus(schedule.unread_reminder), 5, None, now),
            self.reply_notice_step(conversation, message, now)?,
        ])
    }

    /// The follow-up job. Does nothing once the patient has read the reply,
    /// or the conversation is closed.
    pub(crate) async fn reply_unread(&self, payload: &str) -> Result<(), String> {
        let mut parts = payload.split(':');
        let (Some(c), Some(m), Some(stage), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("bad_payload".into());
        };
        let conversation = ConversationId::parse(c).map_err(|_| "bad_payload".to_owned())?;
        let message = MessageId::parse(m).map_err(|_| "bad_payload".to_owned())?;
        let Some((sent_at, read)) = conv_q::message_read_state(self.store(), message).await.map_err(job_error)? else {
            return Ok(());
        };
        let Some(row) = conv_q::by_id(self.store(), conversation).await.map_err(job_error)? else {
            return Ok(());
        };
        if read || row.status == ConversationStatus::Closed {
            return Ok(());
        }
        let now = self.now();
        let facts = crate::access::facts(&row);
        match stage {
            "remind" => {
                // The reminder by the patient's media first: made once per
                // reply however often this job runs.
                self.remind_unread(conversation, message).await?;
                let mut unit = Unit::new();
                if let Some(user) = row.patient.user {
                    let id = self.new_id(NotificationId::from_bytes).map_err(job_error)?;
                    unit.push(nq::insert(id, row.practice, user, UNREAD_REPLY_REMINDER, Some(conversation), now));
                }
                let schedule = self.practice_schedule(row.practice).await.map_err(job_error)?;
                let job = self.new_id(JobId::from_bytes).map_err(job_error)?;
                let payload = format!("{conversation}:{message}:flag");
                unit.push(job_q::enqueue(job, REPLY_UNREAD, &payload, now.plus(schedule.unread_flag), 5, None, now));
                self.store().commit(unit).await.map_err(job_error)?;
            }
            "flag" => {
                let mut unit = Unit::new().step(conv_q::flag_unread_reply(conversation, message, sent_at, now));
                let mut events = Vec::new();
                // The sender is told; failing that, whoever has it.
                let sender = conv_q::message_sender(self.store(), conversation, message)
                    .await
                    .map_err(job_error)?
                    .and_then(|(u, _)| u);
                if let Some(user) = sender.or(row.assignee) {
                    unit.extend(
                        self.alert_steps(row.practice, user, conversation, "reply_unread", now).map_err(job_error)?,
                    );
                    events.push(self.event_by(None, conversation, &facts, EventKind::Alert { user }));
                }
                self.commit_with_events(unit, events).await.map_err(job_error)?;
            }
            _ => return Err("bad_payload".into()),
        }
        Ok(())
    }

    /// The caller's unseen notifications (the in-app channel; email, SMS
    /// and push come later and will read the same rows).
    pub async fn my_notifications(&self, p: &Principal) -> Result<Vec<NotificationView>, ServiceError> {
        Ok(nq::unseen(self.store(), p.user.id).await?.into_iter().map(NotificationView::from).collect())
    }
}

/// A notification as its recipient sees it: what kind, about which
/// conversation; never the conversation's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationView {
    pub id: NotificationId,
    /// [`UNREAD_REPLY_REMINDER`], for now the only kind.
    pub kind: String,
    pub conversation: Option<ConversationId>,
    pub created_at: Timestamp,
}

impl From<nq::NotificationRow> for NotificationView {
    fn from(n: nq::NotificationRow) -> Self {
        NotificationView { id: n.id, kind: n.kind, conversation: n.conversation, created_at: n.created_at }
    }
}

fn job_error(e: impl std::fmt::Display) -> String {
    tracing::warn!(error = %e, "follow-up check failed");
    "failed".to_owned()
}
