//! The jobs that raise due-soon and overdue alerts.

use crate::{Switchboard, sealing};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::conversation::ConversationStatus;
use switchboard_domain::event::EventKind;
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::role::StaffRole;
use switchboard_domain::routing::Owner;
use switchboard_domain::time::Timestamp;
use switchboard_store::Unit;
use switchboard_store::queries::{conversations as conv_q, directory, routing as q};
use switchboard_store::rows::ConversationRow;

/// The jobs that check a waiting conversation when it becomes due soon and
/// when it becomes overdue. Payload: `conversation:waiting_since`.
pub const RESPONSE_DUE_SOON: &str = "response_due_soon";
pub const RESPONSE_OVERDUE: &str = "response_overdue";

impl Switchboard {
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
            unit.extend(self.alert_steps(practice, *user, conversation, kind, now).map_err(job_error)?);
            events.push(self.event_by(
                None,
                conversation,
                &crate::access::facts(&row),
                EventKind::Alert { user: *user },
            ));
        }
        if escalate_to_lead.is_some() {
            let reason = "Overdue: escalated to the pool lead";
            let key = self.conversation_key(&row).map_err(job_error)?;
            let entry_id = self.new_id(HistoryId::from_bytes).map_err(job_error)?;
            unit.push(q::insert_history(q::HistoryEntry {
                id: entry_id,
                conversation,
                at: now,
                actor: None,
                from_assignee: row.assignee,
                to_assignee: row.assignee,
                // The pool keeps it; its lead, who hands out its work, is told.
                to_owner: None,
                reason_code: HistoryCode::OverdueToLead,
                reason_ct: Some(
                    sealing::seal(&key, sealing::column::ASSIGNMENT_REASON, entry_id.as_bytes(), reason)
                        .map_err(job_error)?,
                ),
            }));
        }
        if overdue {
            unit.push_audit(
                AuditRecord::new(self.now(), Some(practice), AuditActor::System, AuditAction::ResponseTargetMissed)
                    .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                    .with_detail(format!("alerted={}", to.len())),
            );
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
