//! The JSON shapes of API v1. These are a contract: change them only in a
//! compatible way. Domain types are never serialised directly.

use serde::{Deserialize, Serialize};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::role::{StaffRole, UserKind};
use switchboard_domain::topic::Topic;
use switchboard_service::views;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum KindDto {
    Patient,
    Staff,
    /// The practice's automatic replies.
    System,
}

impl From<switchboard_domain::role::SenderKind> for KindDto {
    fn from(k: switchboard_domain::role::SenderKind) -> Self {
        match k {
            switchboard_domain::role::SenderKind::Patient => KindDto::Patient,
            switchboard_domain::role::SenderKind::Staff => KindDto::Staff,
            switchboard_domain::role::SenderKind::System => KindDto::System,
        }
    }
}

impl From<UserKind> for KindDto {
    fn from(k: UserKind) -> Self {
        match k {
            UserKind::Patient => KindDto::Patient,
            UserKind::Staff => KindDto::Staff,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RoleDto {
    PracticeAdmin,
    Provider,
    Nurse,
    MedicalAssistant,
    FrontDesk,
    Billing,
    ComplianceOfficer,
}

impl From<StaffRole> for RoleDto {
    fn from(r: StaffRole) -> Self {
        match r {
            StaffRole::PracticeAdmin => RoleDto::PracticeAdmin,
            StaffRole::Provider => RoleDto::Provider,
            StaffRole::Nurse => RoleDto::Nurse,
            StaffRole::MedicalAssistant => RoleDto::MedicalAssistant,
            StaffRole::FrontDesk => RoleDto::FrontDesk,
            StaffRole::Billing => RoleDto::Billing,
            StaffRole::ComplianceOfficer => RoleDto::ComplianceOfficer,
        }
    }
}

/// What a conversation is about.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TopicDto {
    CareQuestion,
    PrescriptionRefill,
    Scheduling,
    Billing,
    TestResults,
    Telehealth,
    MonitoringProgram,
}

impl From<Topic> for TopicDto {
    fn from(t: Topic) -> Self {
        match t {
            Topic::CareQuestion => TopicDto::CareQuestion,
            Topic::PrescriptionRefill => TopicDto::PrescriptionRefill,
            Topic::Scheduling => TopicDto::Scheduling,
            Topic::Billing => TopicDto::Billing,
            Topic::TestResults => TopicDto::TestResults,
            Topic::Telehealth => TopicDto::Telehealth,
            Topic::MonitoringProgram => TopicDto::MonitoringProgram,
        }
    }
}

/// Whose move it is.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusDto {
    NeedsStaffResponse,
    AwaitingPatient,
    Closed,
}

impl From<ConversationStatus> for StatusDto {
    fn from(s: ConversationStatus) -> Self {
        match s {
            ConversationStatus::NeedsStaffResponse => StatusDto::NeedsStaffResponse,
            ConversationStatus::AwaitingPatient => StatusDto::AwaitingPatient,
            ConversationStatus::Closed => StatusDto::Closed,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PriorityDto {
    Routine,
    Urgent,
}

impl From<Priority> for PriorityDto {
    fn from(p: Priority) -> Self {
        match p {
            Priority::Routine => PriorityDto::Routine,
            Priority::Urgent => PriorityDto::Urgent,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub kind: KindDto,
    /// Staff only.
    pub role: Option<RoleDto>,
    pub practice_id: String,
    /// Patients only: their patient record.
    pub patient_id: Option<String>,
}

impl From<&views::UserSummary> for UserDto {
    fn from(u: &views::UserSummary) -> Self {
        UserDto {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            kind: u.kind.into(),
            role: u.role.map(Into::into),
            practice_id: u.practice.to_string(),
            patient_id: u.patient.map(|p| p.to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`. The
    /// same token is also set as an HttpOnly cookie for browsers.
    pub token: String,
    pub user: UserDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PersonDto {
    /// Absent for the practice's automatic replies.
    pub id: Option<String>,
    pub kind: KindDto,
    pub display_name: String,
}

impl From<&views::SenderRef> for PersonDto {
    fn from(p: &views::SenderRef) -> Self {
        PersonDto { id: p.id.map(|i| i.to_string()), kind: p.kind.into(), display_name: p.display_name.clone() }
    }
}

impl From<&views::PersonRef> for PersonDto {
    fn from(p: &views::PersonRef) -> Self {
        PersonDto { id: Some(p.id.to_string()), kind: p.kind.into(), display_name: p.display_name.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PatientDto {
    pub id: String,
    pub display_name: String,
    /// `YYYY-MM-DD`; staff only.
    pub birth_date: Option<String>,
    /// The patient's care team, by name.
    pub care_team: Option<String>,
    pub department: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationSummaryDto {
    pub id: String,
    pub patient: PatientDto,
    pub subject: String,
    pub topic: TopicDto,
    pub status: StatusDto,
    pub priority: PriorityDto,
    /// Staff only.
    pub assignee: Option<PersonDto>,
    /// RFC 3339, UTC.
    pub created_at: String,
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

#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewDto {
    /// Who wrote it: `patient`, `staff` or `system` (an automatic reply).
    pub from: KindDto,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UnreadReplyDto {
    /// RFC 3339: when the unread reply was sent.
    pub sent_at: String,
    pub flagged_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResponseDueDto {
    /// RFC 3339: when the current wait on staff began.
    pub waiting_since: String,
    pub due_soon_at: String,
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
pub(crate) struct ConversationListDto {
    pub conversations: Vec<ConversationSummaryDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
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
    pub patient_id: Option<String>,
    /// Staff only.
    #[serde(default)]
    #[schema(value_type = Option<PriorityDto>)]
    pub priority: Option<String>,
    /// Patients: a provider of their care team to write to directly
    /// (`/api/v1/me/providers`).
    #[serde(default)]
    pub to_provider_id: Option<String>,
    /// Staff: keep the conversation with yourself ("replies come straight
    /// to me") instead of routing it.
    #[serde(default)]
    pub keep_with_me: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedConversationDto {
    pub id: String,
    pub message_id: String,
    pub sent_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BodyRequest {
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SentMessageDto {
    pub id: String,
    pub conversation_id: String,
    pub sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadReceiptDto {
    pub reader: PersonDto,
    pub read_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AmendmentDto {
    pub id: String,
    pub author: PersonDto,
    pub body: String,
    pub created_at: String,
}

impl From<&views::AmendmentView> for AmendmentDto {
    fn from(a: &views::AmendmentView) -> Self {
        AmendmentDto {
            id: a.id.to_string(),
            author: (&a.author).into(),
            body: a.body.clone(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MessageDto {
    pub id: String,
    pub sender: PersonDto,
    /// As originally sent; corrections are in `amendments`.
    pub body: String,
    pub sent_at: String,
    /// Staff see every reading. A patient sees only their own here, and
    /// `read_by_staff` for their messages.
    pub read_by: Vec<ReadReceiptDto>,
    /// On a patient's own message, for the patient: who on staff has read
    /// it, as the patient may be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_by_staff: Option<StaffReadDto>,
    pub amendments: Vec<AmendmentDto>,
}

/// "Read by your care team at 2:14 PM": only when someone who answers for
/// the patient's care read it; otherwise the desk that did; never a glance
/// by someone whose work it is not.
#[derive(Serialize, ToSchema)]
pub(crate) struct StaffReadDto {
    /// `care_team`, `front_desk` or `billing_office`.
    pub by: &'static str,
    pub read_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NoteDto {
    pub id: String,
    pub author: PersonDto,
    pub body: String,
    pub created_at: String,
}

impl From<&views::NoteView> for NoteDto {
    fn from(n: &views::NoteView) -> Self {
        NoteDto {
            id: n.id.to_string(),
            author: (&n.author).into(),
            body: n.body.clone(),
            created_at: n.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDto {
    #[serde(flatten)]
    pub summary: ConversationSummaryDto,
    pub messages: Vec<MessageDto>,
    /// Staff-only internal notes; absent for patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteDto>>,
    /// Staff only: every change of owner or assignee, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryDto>>,
    /// The patient's rating of the closed conversation, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingDto>,
    /// A person on staff (not only an automatic reply) has written in it.
    pub answered_by_staff: bool,
    /// The patient may rate it now: closed, answered by a person, not yet
    /// rated.
    pub rateable: bool,
}

/// Closing: staff closing an urgent conversation no staff member has
/// answered must give a reason (kept, encrypted, in its history).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RatingDto {
    /// 1 (poor) to 5 (excellent).
    pub score: u8,
    pub comment: Option<String>,
    pub created_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateRequest {
    /// 1 (poor) to 5 (excellent).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryDto {
    pub at: String,
    /// Who did it; absent when the system did (routing, timeouts, cover).
    pub actor: Option<String>,
    /// `routed`, `assigned`, `auto_assigned`, `kept`, `reassigned`, `timed_out`, `cover_started`, `cover_ended`, `deactivated`, `escalated` (to_assignee: the provider), `returned`, `closed_unanswered`.
    pub event: String,
    pub to_assignee: Option<String>,
    pub to_owner: Option<String>,
    pub reason: Option<String>,
}

impl From<&views::ConversationView> for ConversationDto {
    fn from(v: &views::ConversationView) -> Self {
        ConversationDto {
            summary: (&v.summary).into(),
            messages: v
                .messages
                .iter()
                .map(|m| MessageDto {
                    id: m.id.to_string(),
                    sender: (&m.sender).into(),
                    body: m.body.clone(),
                    sent_at: m.sent_at.to_rfc3339(),
                    read_by: m
                        .read_by
                        .iter()
                        .map(|r| ReadReceiptDto { reader: (&r.reader).into(), read_at: r.read_at.to_rfc3339() })
                        .collect(),
                    read_by_staff: m
                        .read_by_staff
                        .map(|(by, at)| StaffReadDto { by: by.as_str(), read_at: at.to_rfc3339() }),
                    amendments: m.amendments.iter().map(Into::into).collect(),
                })
                .collect(),
            answered_by_staff: v.answered_by_staff,
            rateable: v.rateable,
            rating: v.rating.as_ref().map(|r| RatingDto {
                score: r.score,
                comment: r.comment.clone(),
                created_at: r.created_at.to_rfc3339(),
            }),
            notes: v.notes.as_ref().map(|ns| ns.iter().map(Into::into).collect()),
            history: v.history.as_ref().map(|hs| {
                hs.iter()
                    .map(|h| HistoryDto {
                        at: h.at.to_rfc3339(),
                        actor: h.actor.clone(),
                        event: h.code.as_str().to_owned(),
                        to_assignee: h.to_assignee.clone(),
                        to_owner: h.to_owner.clone(),
                        reason: h.reason.clone(),
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ScreenResultDto {
    /// The words may describe an emergency: show the 911/988 guidance.
    pub possible_emergency: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadResultDto {
    /// Messages newly marked as read.
    pub marked: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StatusResultDto {
    pub status: StatusDto,
}

/// Give the conversation to one person, one pool or one department, or
/// (`assignee_id` null and nothing else) to nobody in particular.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignRequest {
    #[serde(default)]
    pub assignee_id: Option<String>,
    #[serde(default)]
    pub pool_id: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
    /// Why: kept, encrypted, in the conversation's history.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssignResultDto {
    pub assignee: Option<PersonDto>,
    /// When the person chosen is away: the colleague covering for them got it.
    pub covering_for: Option<String>,
    pub owner: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EscalateRequest {
    pub provider_id: String,
    /// Context for the provider; kept as an internal note.
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EscalateResultDto {
    pub escalated_to: PersonDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEventDto {
    /// Position in the tamper-evident chain.
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<String>,
    /// `patient`, `staff`, `anonymous` or `system`.
    pub actor_kind: String,
    pub action: String,
    /// `success`, `denied` or `failed`.
    pub outcome: String,
    pub patient_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
    /// The actor's name (staff, or a patient acting for themselves).
    pub actor_name: Option<String>,
    /// A staff actor's role.
    pub actor_role: Option<RoleDto>,
    /// The patient the entry concerns, by name.
    pub patient_name: Option<String>,
}

impl AuditEventDto {
    pub(crate) fn new(e: &views::AuditEntryView) -> Self {
        let (seq, r) = (e.seq, &e.record);
        AuditEventDto {
            actor_name: e.actor_name.clone(),
            actor_role: e.actor_role.map(Into::into),
            patient_name: e.patient_name.clone(),
            seq,
            at: r.at.to_rfc3339(),
            actor_id: r.actor.id_bytes().map(|id| switchboard_domain::ids::uuid_text(&id)),
            actor_kind: r.actor.kind_str().to_owned(),
            action: r.action.as_str().to_owned(),
            outcome: r.outcome.as_str().to_owned(),
            patient_id: r.patient.map(|p| p.to_string()),
            resource_type: r.resource.map(|(k, _)| k.as_str().to_owned()),
            resource_id: r.resource.map(|(_, id)| switchboard_domain::ids::uuid_text(&id)),
            client_addr: r.client_addr.clone(),
            detail: r.detail.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditListDto {
    pub events: Vec<AuditEventDto>,
    /// Pass as `before` to get older events; absent on the last page.
    pub next_before: Option<i64>,
}

/// People whose audit trail may be searched, matching a name.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditSubjectsDto {
    pub staff: Vec<PersonDto>,
    pub patients: Vec<AuditPatientDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditPatientDto {
    pub id: String,
    pub display_name: String,
    /// To tell two patients of the same name apart.
    pub birth_date: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// Always `ok`: the process answers (liveness).
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadinessDto {
    /// `ready`, or `not_ready` when any check fails.
    pub status: &'static str,
    pub checks: ReadinessChecksDto,
}

/// Each check: `ok`, `failing`, or `timeout` (no answer in time).
#[derive(Serialize, ToSchema)]
pub(crate) struct ReadinessChecksDto {
    /// The database answers a read.
    pub database: &'static str,
    /// A small durable write commits (fails on a full disk).
    pub writes: &'static str,
    /// The master keys unwrap the stored data keys and verify the audit
    /// chain's head.
    pub keys: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InboxCountsDto {
    pub needs_response: i64,
    pub awaiting_patient: i64,
    pub unread: i64,
    pub assigned_to_me: i64,
    pub my_team: i64,
    pub urgent: i64,
    pub closed: i64,
    pub escalated_to_me: i64,
    pub all: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StaffMemberDto {
    pub id: String,
    pub display_name: String,
    pub role: RoleDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OfficeHoursDto {
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    pub weekday: u8,
    /// `HH:MM`, in the practice's time zone.
    pub opens: String,
    pub closes: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PracticeDto {
    pub name: String,
    /// IANA time zone of the office hours.
    pub time_zone: String,
    pub phone: Option<String>,
    /// The line to call when the office is closed and something cannot wait.
    pub after_hours_phone: Option<String>,
    pub office_hours: Vec<OfficeHoursDto>,
    /// The longest message the caller may send, in characters.
    pub message_max_chars: usize,
    /// The practice's departments (staff only; empty for patients).
    pub departments: Vec<DepartmentDto>,
    /// The practice's care teams (staff only; empty for patients).
    pub care_teams: Vec<CareTeamDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DepartmentDto {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CareTeamDto {
    pub id: String,
    pub name: String,
}

/// One live event: what happened to which conversation. Ids and codes
/// only; fetch the conversation for its content.
#[derive(Serialize, ToSchema)]
pub(crate) struct LiveEventDto {
    /// The event's type; also the SSE event name.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub conversation_id: String,
    pub patient_id: String,
    pub at: String,
    /// Who did it; absent when the system did.
    pub actor_id: Option<String>,
    /// `message_sent`, `message_amended`: the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// `message_sent`, `messages_read`, `typing`: the side that acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_kind: Option<KindDto>,
    /// `status_changed`: the new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusDto>,
    /// `priority_changed`: the new priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<PriorityDto>,
    /// `assigned`: the new assignee (absent when unassigned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
}

impl LiveEventDto {
    pub(crate) fn new(e: &switchboard_domain::event::DomainEvent) -> Self {
        use switchboard_domain::event::EventKind as K;
        let mut dto = LiveEventDto {
            kind: e.kind.code(),
            conversation_id: e.conversation.to_string(),
            patient_id: e.patient.to_string(),
            at: e.at.to_rfc3339(),
            actor_id: e.actor.map(|a| a.to_string()),
            message_id: None,
            actor_kind: None,
            status: None,
            priority: None,
            assignee_id: None,
        };
        match &e.kind {
            K::ConversationCreated | K::NoteAdded { .. } => {}
            K::MessageSent { message, sender_kind, .. } => {
                dto.message_id = Some(message.to_string());
                dto.actor_kind = Some((*sender_kind).into());
            }
            K::MessageAmended { message } => dto.message_id = Some(message.to_string()),
            K::MessagesRead { reader_kind, .. } => dto.actor_kind = Some((*reader_kind).into()),
            K::StatusChanged { status } => dto.status = Some((*status).into()),
            K::PriorityChanged { priority } => dto.priority = Some((*priority).into()),
            K::Assigned { assignee, .. } => dto.assignee_id = assignee.map(|a| a.to_string()),
            K::Typing { user_kind, .. } => dto.actor_kind = Some((*user_kind).into()),
            K::Alert { .. } | K::Escalated { .. } => {}
        }
        dto
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProviderDto {
    pub id: String,
    pub display_name: String,
    /// If not, messages to them go to their team, marked for them.
    pub accepts_direct_messages: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffSettingsDto {
    /// The most open conversations you take from a pool.
    pub capacity: i64,
    /// Providers: whether patients may write to you directly.
    pub accepts_direct_messages: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AbsenceRequest {
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    /// The colleague who covers; none leaves work with its pool or team.
    #[serde(default)]
    pub cover_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AbsenceDto {
    pub id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub cover_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AlertDto {
    pub id: String,
    pub conversation_id: String,
    /// `urgent_message`, `escalated`, `response_due_soon`, `response_overdue` or `reply_unread`.
    pub kind: String,
    pub created_at: String,
    /// The patient and subject, when the caller may open the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<AlertPatientDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AlertPatientDto {
    pub id: String,
    pub display_name: String,
}

/// A patient's own contact details.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactDetailsDto {
    #[serde(default)]
    pub email: Option<String>,
    /// A telephone number that can take text messages.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChangeRequest {
    pub current_password: String,
    /// 15 to 128 characters.
    pub new_password: String,
}

/// A routing rule. Conditions that are given must all hold; the first rule
/// that holds and can be resolved for the message decides.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleDto {
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Option<TopicDto>)]
    pub topic: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
    /// The patient wrote to a provider directly.
    #[serde(default)]
    pub provider_direct: bool,
    /// `person`, `pool`, `patient_care_team`, `program_staff` or `addressed_provider`.
    pub target: String,
    /// For `person` and `pool` targets.
    #[serde(default)]
    pub target_id: Option<String>,
    /// In responses: the condition in words, and the target's name.
    #[serde(default)]
    pub described: Option<String>,
    #[serde(default)]
    pub target_name: Option<String>,
    /// In responses: rules before this one take every message it could
    /// match, so it never decides one (allowed, but worth a look).
    #[serde(default)]
    pub never_used: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesDto {
    pub rules: Vec<RuleDto>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolDto {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    /// Member user ids, in round-robin order.
    #[serde(default)]
    pub members: Vec<String>,
    /// Assign new work to the least-loaded available member; otherwise the
    /// lead hands it out.
    #[serde(default)]
    pub auto_assign: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TemplateDto {
    pub id: String,
    pub name: String,
    /// With `{placeholders}`: patient_first_name, provider_name, practice_phone, scheduling_link, office_hours, my_name.
    pub body: String,
    pub owner_id: String,
    pub owner_name: String,
    /// `YYYY-MM-DD`.
    pub review_by: String,
    pub usage_count: i64,
    /// Past its review-by date.
    pub stale: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateRequest {
    pub name: String,
    pub body: String,
    pub review_by: String,
    /// Administrators may hand a template to another owner.
    #[serde(default)]
    pub owner_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenderTemplateRequest {
    pub template_id: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RenderedTemplateDto {
    /// The template filled in for this conversation, to edit and send.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct IdDto {
    pub id: String,
}

// ---- Office hours, response-time targets, automatic replies -----------------

/// What a patient is told before sending.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExpectationDto {
    pub open_now: bool,
    /// RFC 3339: the next opening (now, if open).
    pub opens_at: Option<String>,
    /// RFC 3339: when a new message would be answered by.
    pub reply_by: String,
    /// "Monday at 12:00 PM", in the practice's time zone.
    pub reply_by_text: String,
    /// The automatic reply the message would get, in full.
    pub message: String,
}

/// A response-time target. `priority` and `topic` left out match any.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetDto {
    #[serde(default)]
    #[schema(value_type = Option<PriorityDto>)]
    pub priority: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<TopicDto>)]
    pub topic: Option<String>,
    pub first_response_minutes: i64,
    pub next_response_minutes: i64,
    /// `business` (only while open) or `wall` (around the clock).
    pub clock: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseSettingsInputDto {
    pub targets: Vec<TargetDto>,
    /// Due soon at this share of the target, in percent (1–99).
    pub due_soon_percent: u8,
    /// `null` for the built-in wording. Placeholders: {reply_by}, {opens},
    /// {practice_name}, {practice_phone}. Must tell patients to call 911.
    #[serde(default)]
    pub auto_reply_open: Option<String>,
    #[serde(default)]
    pub auto_reply_closed: Option<String>,
    /// Remind the patient of a staff reply unread this long (default a day).
    #[serde(default = "default_unread_minutes")]
    pub unread_reminder_minutes: i64,
    /// Then flag it for staff follow-up after this much longer.
    #[serde(default = "default_unread_minutes")]
    pub unread_flag_minutes: i64,
}

fn default_unread_minutes() -> i64 {
    24 * 60
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResponseSettingsDto {
    pub time_zone: String,
    pub targets: Vec<TargetDto>,
    pub due_soon_percent: u8,
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub default_auto_reply_open: &'static str,
    pub default_auto_reply_closed: &'static str,
    pub closures: Vec<ClosureDto>,
    pub department_hours: Vec<DepartmentHoursDto>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClosureDto {
    #[serde(default)]
    pub id: String,
    /// Left out: the whole practice.
    #[serde(default)]
    pub department_id: Option<String>,
    /// `YYYY-MM-DD`, first and last closed day.
    pub first_day: String,
    pub last_day: String,
    /// "Thanksgiving".
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoursInputDto {
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    pub weekday: u8,
    /// `HH:MM`; `closes` may be `24:00`.
    pub opens: String,
    pub closes: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepartmentHoursDto {
    #[serde(default)]
    pub department_id: String,
    /// Empty: the practice's hours apply.
    pub office_hours: Vec<HoursInputDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeHoursDto {
    /// An IANA time zone, such as `America/New_York`.
    pub time_zone: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The line patients are told to call when the office is closed and
    /// something cannot wait (an answering service, an on-call line).
    #[serde(default)]
    pub after_hours_phone: Option<String>,
    pub office_hours: Vec<HoursInputDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NotificationDto {
    pub id: String,
    /// `unread_reply_reminder`: a reply from the care team is waiting.
    pub kind: String,
    pub conversation_id: Option<String>,
    pub created_at: String,
}
