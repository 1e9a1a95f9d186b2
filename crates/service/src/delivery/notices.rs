//! The notices patients get without asking: a staff reply (one per burst
//! of replies in a conversation), and the reminder of a reply left unread.
//! A patient's caregivers get the same notices, by their own choices and to
//! their own contact details, while their grant is in force (for a
//! confidential minor, only about conversations shared with caregivers).

use super::queue::Notice;
use crate::{ServiceError, Switchboard};
use switchboard_domain::caregiver::{self, MinorStanding};
use switchboard_domain::ids::*;
use switchboard_domain::notify::NoticeKind;
use switchboard_domain::time::Timestamp;
use switchboard_store::Step;
use switchboard_store::queries::{caregivers as cq, conversations as conv_q, directory, jobs as job_q};

/// The job that tells a patient of a staff reply; payload
/// `conversation:message` (the burst's first reply).
pub const NOTIFY_REPLY: &str = "notify_reply";

impl Switchboard {
    /// The step, in the reply's own commit, that schedules the patient's
    /// notice at the end of the coalescing window. While one is pending for
    /// the conversation, further replies add nothing: one burst, one notice.
    pub(crate) fn reply_notice_step(
        &self,
        conversation: ConversationId,
        message: MessageId,
        now: Timestamp,
    ) -> Result<Step, ServiceError> {
        let job = self.new_id(JobId::from_bytes)?;
        let dedupe = format!("{NOTIFY_REPLY}:{conversation}");
        let payload = format!("{conversation}:{message}");
        Ok(job_q::enqueue(
            job,
            NOTIFY_REPLY,
            &payload,
            now.plus(self.config().notice_coalescing),
            8,
            Some(&dedupe),
            now,
        ))
    }

    /// Forgets the reply notices not yet made: for history played into a
    /// demo, which is nobody's news ("you have a new message" about a reply
    /// written weeks ago). Its unread replies are still reminded of, and
    /// flagged to staff: those are true of it.
    pub async fn forget_pending_reply_notices(&self) -> Result<(), ServiceError> {
        let unit = switchboard_store::Unit::new().step(job_q::drop_pending(NOTIFY_REPLY));
        self.store().commit(unit).await?;
        Ok(())
    }

    /// Sends the reply notice, unless the patient has read the reply in
    /// the app meanwhile.
    pub(crate) async fn notify_reply(&self, payload: &str) -> Result<(), String> {
        let (conversation, message) = parse_pair(payload)?;
        let Some((_, read)) = conv_q::message_read_state(self.store(), message).await.map_err(job_error)? else {
            return Ok(());
        };
        if read {
            return Ok(());
        }
        self.patient_notice(conversation, message, NoticeKind::StaffReply, "reply").await
    }

    /// The reminder of an unread reply, by the patient's media (the
    /// in-app notification is made beside it).
    pub(crate) async fn remind_unread(&self, conversation: ConversationId, message: MessageId) -> Result<(), String> {
        self.patient_notice(conversation, message, NoticeKind::ReplyReminder, "remind").await
    }

    async fn patient_notice(
        &self,
        conversation: ConversationId,
        message: MessageId,
        kind: NoticeKind,
        cause: &str,
    ) -> Result<(), String> {
        let Some(row) = conv_q::by_id(self.store(), conversation).await.map_err(job_error)? else {
            return Ok(());
        };
        // A patient without an account is reached by a secure link instead.
        let Some(user) = row.patient.user else { return Ok(()) };
        let notice = Notice {
            practice: row.practice,
            kind,
            user: Some(user),
            patient: Some(row.patient.id),
            path: format!("/app#/c/{conversation}"),
            cause: format!("{cause}:{message}"),
        };
        self.notify_patient(notice, None).await.map_err(job_error)?;
        self.caregiver_notices(&row, message, kind, cause).await.map_err(job_error)
    }

    /// The same notice for each caregiver of the patient whose grant is in
    /// force and who may see the conversation: the words are fixed (the
    /// practice's name and a link), the addresses the caregiver's own (the
    /// delivery is filed under their record, never the patient's).
    async fn caregiver_notices(
        &self,
        row: &switchboard_store::rows::ConversationRow,
        message: MessageId,
        kind: NoticeKind,
        cause: &str,
    ) -> Result<(), ServiceError> {
        let grants = cq::for_patient(self.store(), row.patient.id).await?;
        let now = self.now();
        let live: Vec<_> = grants
            .into_iter()
            .filter(|g| {
                g.practice == row.practice && caregiver::grant_active(g.starts_at, g.ends_at, g.revoked_at, now)
            })
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        if !row.shared_with_caregivers && self.minor_standing(&row.patient).await? == MinorStanding::ConfidentialMinor {
            return Ok(());
        }
        for g in live {
            // A caregiver who is not a patient here has no record to file
            // it under (nor contact details on file): Web Push only.
            let carer = directory::patient_by_user(self.store(), g.caregiver).await?;
            let notice = Notice {
                practice: row.practice,
                kind,
                user: Some(g.caregiver),
                patient: carer.map(|c| c.id),
                path: format!("/app#/c/{}", row.id),
                cause: format!("{cause}:{message}:{}", g.caregiver),
            };
            self.notify_patient(notice, None).await?;
        }
        Ok(())
    }
}

pub(crate) fn parse_pair(payload: &str) -> Result<(ConversationId, MessageId), String> {
    let (c, m) = payload.split_once(':').ok_or_else(|| "bad_payload".to_owned())?;
    let c = ConversationId::parse(c).map_err(|_| "bad_payload".to_owned())?;
    let m = MessageId::parse(m).map_err(|_| "bad_payload".to_owned())?;
    Ok((c, m))
}

fn job_error(e: impl std::fmt::Display) -> String {
    tracing::warn!(error = %e, "a patient notice failed");
    "failed".to_owned()
}
