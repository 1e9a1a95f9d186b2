//! The JSON shapes of API v1. These are a contract: change them only in a
//! compatible way. Domain types are never serialised directly.

use serde::{Deserialize, Serialize};
use switchboard_domain::audit::AuditRecord;
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
    pub id: String,
    pub kind: KindDto,
    pub display_name: String,
}

impl From<&views::PersonRef> for PersonDto {
    fn from(p: &views::PersonRef) -> Self {
        PersonDto { id: p.id.to_string(), kind: p.kind.into(), display_name: p.display_name.clone() }
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
    pub read_by: Vec<ReadReceiptDto>,
    pub amendments: Vec<AmendmentDto>,
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
                    amendments: m.amendments.iter().map(Into::into).collect(),
                })
                .collect(),
            notes: v.notes.as_ref().map(|ns| ns.iter().map(Into::into).collect()),
        }
    }
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignRequest {
    /// A staff member's user id, or null to unassign.
    pub assignee_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssignResultDto {
    pub assignee: Option<PersonDto>,
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
}

impl AuditEventDto {
    pub(crate) fn new(seq: i64, r: &AuditRecord) -> Self {
        AuditEventDto {
            seq,
            at: r.at.to_rfc3339(),
            actor_id: r.actor.user().map(|u| u.to_string()),
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

#[derive(Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: &'static str,
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
    pub office_hours: Vec<OfficeHoursDto>,
    /// The longest message the caller may send, in characters.
    pub message_max_chars: usize,
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
    /// Who did it.
    pub actor_id: String,
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
            actor_id: e.actor.to_string(),
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
        }
        dto
    }
}
