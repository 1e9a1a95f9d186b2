//! Conversation lists and starting a conversation.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::views;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// A named view: `needs_response`, `awaiting_patient`, `unread`,
    /// `closed`, `all`, and for staff `assigned_to_me`, `my_team`, `urgent`.
    pub view: Option<String>,
    /// `recent` (most recent activity first, the default) or `attention`
    /// (urgent first, then waiting on staff, oldest first).
    pub sort: Option<String>,
    /// `needs_staff_response`, `awaiting_patient` or `closed`.
    pub status: Option<String>,
    /// Staff only: a staff user id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    /// Staff: one patient's conversations. Patients: their own (the
    /// default), or, as a caregiver, those of a patient they hold a grant
    /// for (a confidential minor's: only those shared with caregivers);
    /// anyone else's lists nothing.
    #[param(format = "uuid")]
    pub patient_id: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationListDto {
    pub conversations: Vec<ConversationSummaryDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationSummaryDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub patient: PatientDto,
    /// `null` when `content_withheld`.
    pub subject: Option<String>,
    pub topic: TopicDto,
    /// Staff who may read it: the sensitive category it is marked with
    /// (`null`: not marked). Never shown to patients, nor with a withheld
    /// row.
    pub sensitivity: Option<SensitivityDto>,
    /// Staff: the caller sees this row (patient, topic, status, waiting
    /// time, owner) but not its content: no subject, preview or
    /// sensitivity mark, and opening it answers 404. A clinical topic for
    /// the front desk or billing, or a sensitive category the practice has
    /// not granted the caller's role.
    pub content_withheld: bool,
    pub status: StatusDto,
    pub priority: PriorityDto,
    /// Staff only.
    pub assignee: Option<PersonDto>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_activity_at: String,
    /// Messages from the other side not yet read by the caller's side.
    pub unread_count: i64,
    /// Staff only: who owns it, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingDto>,
    /// Staff only: the provider asked for clinical judgement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<PersonDto>,
    /// While the conversation waits on staff: when an answer is due. The
    /// patient sees this as "your care team will answer by …".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDueDto>,
    /// Staff only: a reply the patient has not read in time, to follow up
    /// ("patient has not read your reply of Tue 10:12 AM").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_reply: Option<UnreadReplyDto>,
    /// The caller marked it unread to come back to (staff).
    pub marked_unread: bool,
    /// The newest message's first line (at most 120 characters), for a
    /// list row; absent in a conversation with no messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<PreviewDto>,
}

impl From<&views::ConversationSummary> for ConversationSummaryDto {
    fn from(c: &views::ConversationSummary) -> Self {
        ConversationSummaryDto {
            id: c.id.to_string(),
            patient: PatientDto {
                id: c.patient.id.to_string(),
                display_name: c.patient.display_name.clone(),
                birth_date: c.patient.birth_date.clone(),
                care_team: c.patient.care_team.clone(),
                department: c.patient.department.clone(),
            },
            subject: c.subject.clone(),
            topic: c.topic.into(),
            sensitivity: c.sensitivity.map(Into::into),
            content_withheld: c.content_withheld,
            status: c.status.into(),
            priority: c.priority.into(),
            assignee: c.assignee.as_ref().map(Into::into),
            created_at: c.created_at.to_rfc3339(),
            last_activity_at: c.last_activity_at.to_rfc3339(),
            unread_count: c.unread,
            routing: c.routing.as_ref().map(|r| RoutingDto {
                owner_kind: r.owner_kind,
                owner_name: r.owner_name.clone(),
                reason: r.reason.clone(),
                intended_reader: r.intended_reader.clone(),
                covering_for: r.covering_for.map(|u| u.to_string()),
            }),
            escalated_to: c.escalated_to.as_ref().map(Into::into),
            response: c.response.map(|r| ResponseDueDto {
                waiting_since: r.waiting_since.to_rfc3339(),
                due_soon_at: r.due_soon_at.to_rfc3339(),
                due_at: r.due_at.to_rfc3339(),
                state: r.state.as_str(),
            }),
            unread_reply: c
                .unread_reply
                .as_ref()
                .map(|u| UnreadReplyDto { sent_at: u.sent_at.to_rfc3339(), flagged_at: u.flagged_at.to_rfc3339() }),
            marked_unread: c.marked_unread,
            preview: c.preview.as_ref().map(|p| PreviewDto { from: p.from.into(), text: p.text.clone() }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
    /// `YYYY-MM-DD`; staff only.
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    /// The patient's care team, by name.
    pub care_team: Option<String>,
    pub department: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewDto {
    /// Who wrote it: `patient`, `staff` or `system` (an automatic reply).
    pub from: KindDto,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UnreadReplyDto {
    /// RFC 3339: when the unread reply was sent.
    #[schema(format = DateTime)]
    pub sent_at: String,
    #[schema(format = DateTime)]
    pub flagged_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResponseDueDto {
    /// RFC 3339: when the current wait on staff began.
    #[schema(format = DateTime)]
    pub waiting_since: String,
    #[schema(format = DateTime)]
    pub due_soon_at: String,
    #[schema(format = DateTime)]
    pub due_at: String,
    /// `on_track`, `due_soon` or `overdue`, at the time of the answer.
    pub state: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RoutingDto {
    /// `person`, `pool`, `care_team` or `department`.
    pub owner_kind: Option<&'static str>,
    pub owner_name: Option<String>,
    /// "Routed to Billing because rule 1, “Billing questions”: topic is “Billing”".
    pub reason: Option<String>,
    /// The provider the patient wrote to, when their team answers instead.
    pub intended_reader: Option<String>,
    /// The assignee covers for this colleague (user id), who is away.
    pub covering_for: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateConversationRequest {
    pub subject: String,
    #[schema(value_type = TopicDto)]
    pub topic: String,
    pub body: String,
    /// Staff must name the patient; patients leave it out.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    /// Staff only.
    #[serde(default)]
    #[schema(value_type = Option<PriorityDto>)]
    pub priority: Option<String>,
    /// Patients: a provider of their care team to write to directly
    /// (`/api/v1/me/providers`).
    #[serde(default)]
    #[schema(format = "uuid")]
    pub to_provider_id: Option<String>,
    /// Staff: keep the conversation with yourself ("replies come straight
    /// to me") instead of routing it.
    #[serde(default)]
    pub keep_with_me: bool,
    /// A patient writing for themselves: share it with their caregivers.
    /// A confidential minor writes confidentially unless this is true;
    /// refused from anyone else (what a caregiver writes is shared).
    #[serde(default)]
    pub share_with_caregivers: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedConversationDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub message_id: String,
    #[schema(format = DateTime)]
    pub sent_at: String,
}
