//! Codes and small shapes every area shares: who someone is (kind, role),
//! a conversation's topic, status and priority, a person, an id.

use serde::Serialize;
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
pub(crate) struct IdDto {
    pub id: String,
}
