//! What the use cases return: plain structs with decrypted text, for the web
//! layer to shape into JSON (or HTML, or FHIR).

use switchboard_domain::audit::AuditRecord;
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::ids::*;
pub use switchboard_domain::inbox::InboxCounts;
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// The signed-in user.
#[derive(Clone, Debug)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub kind: UserKind,
    pub role: Option<StaffRole>,
    pub practice: PracticeId,
    /// For patients, their patient record.
    pub patient: Option<PatientId>,
}

/// A person as shown next to what they wrote or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRef {
    pub id: UserId,
    pub kind: UserKind,
    pub display_name: String,
}

#[derive(Clone, Debug)]
pub struct PatientSummary {
    pub id: PatientId,
    pub display_name: String,
    /// Shown to staff only.
    pub birth_date: Option<String>,
    pub care_team: Option<String>,
    pub department: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub patient: PatientSummary,
    /// `None` when the viewer sees the row but not the content
    /// (`content_withheld`).
    pub subject: Option<String>,
    pub topic: Topic,
    /// Staff who read it: the sensitive category it is marked with. Never
    /// shown to patients, nor to staff who see the row only (the mark is
    /// itself sensitive: a substance-use mark is Part 2 information).
    pub sensitivity: Option<Sensitivity>,
    /// The viewer sees the row (routing metadata) but not the content: no
    /// subject, no preview, no sensitivity mark.
    pub content_withheld: bool,
    pub status: ConversationStatus,
    pub priority: Priority,
    /// Staff only.
    pub assignee: Option<PersonRef>,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    /// Messages from the other side not yet read by the viewer's side.
    pub unread: i64,
    /// Staff only: who owns it and why ("Routed to Billing because rule 1…").
    pub routing: Option<RoutingView>,
    /// Staff only: the provider asked for clinical judgement.
    pub escalated_to: Option<PersonRef>,
    /// While the conversation waits on staff: when an answer is due.
    pub response: Option<ResponseDue>,
    /// Staff only: a reply the patient has not read in time.
    pub unread_reply: Option<UnreadReply>,
    /// The viewer marked it unread to come back to.
    pub marked_unread: bool,
    /// The newest message's first line, for the list row.
    pub preview: Option<Preview>,
}

/// A one-line preview of a conversation's newest message.
#[derive(Clone, Debug)]
pub struct Preview {
    pub from: SenderKind,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct UnreadReply {
    pub sent_at: Timestamp,
    pub flagged_at: Timestamp,
}

/// The response clock of a waiting conversation.
#[derive(Clone, Copy, Debug)]
pub struct ResponseDue {
    pub waiting_since: Timestamp,
    pub due_soon_at: Timestamp,
    pub due_at: Timestamp,
    pub state: switchboard_domain::sla::SlaState,
}

/// Ownership as staff see it.
#[derive(Clone, Debug)]
pub struct RoutingView {
    /// `person`, `pool`, `care_team` or `department`.
    pub owner_kind: Option<&'static str>,
    pub owner_name: Option<String>,
    pub reason: Option<String>,
    /// The provider the patient wrote to, when their team answers instead.
    pub intended_reader: Option<String>,
    /// The assignee covers for this colleague, who is away.
    pub covering_for: Option<UserId>,
}

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderRef {
    /// `None` for an automatic reply.
    pub id: Option<UserId>,
    pub kind: SenderKind,
    pub display_name: String,
}

/// One change of owner or assignee.
#[derive(Clone, Debug)]
pub struct HistoryView {
    pub at: Timestamp,
    pub actor: Option<String>,
    pub code: switchboard_domain::history::HistoryCode,
    pub to_assignee: Option<String>,
    pub to_owner: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ReadReceipt {
    pub reader: PersonRef,
    pub read_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct AmendmentView {
    pub id: AmendmentId,
    pub author: PersonRef,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct MessageView {
    pub id: MessageId,
    pub sender: SenderRef,
    pub body: String,
    pub sent_at: Timestamp,
    /// Staff see every reading; a patient sees only their own.
    pub read_by: Vec<ReadReceipt>,
    /// On a patient's message: who the patient is told has read it, and
    /// when (see `domain::receipt`).
    pub read_by_staff: Option<(switchboard_domain::receipt::ReadBy, Timestamp)>,
    pub amendments: Vec<AmendmentView>,
    /// The files sent with it, in upload order.
    pub attachments: Vec<crate::attachments::AttachmentView>,
    /// Sent by a caregiver for the patient: "sent by Jane Doe (mother) on
    /// behalf of Sam Doe". The sender is then the caregiver.
    pub on_behalf: Option<OnBehalfView>,
}

/// Who sent a message for the patient, and as whom.
#[derive(Clone, Debug)]
pub struct OnBehalfView {
    pub caregiver_name: String,
    pub relationship: switchboard_domain::caregiver::CaregiverRelationship,
    pub patient_name: String,
    /// The whole line, in the words both sides are shown.
    pub line: String,
}

#[derive(Clone, Debug)]
pub struct NoteView {
    pub id: NoteId,
    pub author: PersonRef,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct ConversationView {
    pub summary: ConversationSummary,
    pub messages: Vec<MessageView>,
    /// `None` for patients, who never see internal notes.
    pub notes: Option<Vec<NoteView>>,
    /// Staff only: how ownership and assignment changed.
    pub history: Option<Vec<HistoryView>>,
    /// The patient's rating, once the conversation is closed and rated.
    pub rating: Option<RatingView>,
    /// A person on staff (not only an automatic reply) has written in it.
    pub answered_by_staff: bool,
    /// The patient may rate it now: closed, answered by a person, not yet
    /// rated.
    pub rateable: bool,
    /// Staff: opened through the caller's emergency access (this grant):
    /// reading, answering and notes only.
    pub emergency_access: Option<switchboard_domain::ids::EmergencyAccessId>,
    /// For the patient and staff: whether it is shared with the patient's
    /// caregivers, and whether that matters (a confidential minor).
    pub caregivers: Option<crate::caregivers::SharingView>,
}

#[derive(Clone, Debug)]
pub struct RatingView {
    pub score: u8,
    pub comment: Option<String>,
    pub created_at: Timestamp,
}

/// The result of creating a conversation or sending a message.
#[derive(Clone, Debug)]
pub struct SentMessage {
    pub conversation: ConversationId,
    pub message: MessageId,
    pub sent_at: Timestamp,
    /// True when this answers a retried request with its earlier result.
    pub replayed: bool,
}

/// A practice as its users see it: name, how to call, when it is open.
#[derive(Clone, Debug)]
pub struct PracticeInfo {
    pub name: String,
    pub time_zone: String,
    pub phone: Option<String>,
    /// The line to call when the office is closed.
    pub after_hours_phone: Option<String>,
    /// (ISO weekday, opens minute, closes minute), in the practice's zone.
    pub office_hours: Vec<(u8, u16, u16)>,
    /// For staff (who reassign to them); empty for patients.
    pub departments: Vec<(DepartmentId, String)>,
    /// For staff (who place patients and colleagues on them); empty for patients.
    pub care_teams: Vec<(CareTeamId, String)>,
}

/// A colleague who can be assigned conversations.
#[derive(Clone, Debug)]
pub struct StaffMember {
    pub id: UserId,
    pub display_name: String,
    pub role: StaffRole,
}

/// One audit entry with the names of the people in it, for reviewers.
#[derive(Clone, Debug)]
pub struct AuditEntryView {
    pub seq: i64,
    pub record: AuditRecord,
    pub actor_name: Option<String>,
    /// A staff actor's role.
    pub actor_role: Option<StaffRole>,
    pub patient_name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_before: Option<i64>,
}

/// Whose audit trail a reviewer may search: staff, and patients with their
/// date of birth (to tell two of the same name apart).
#[derive(Clone, Debug)]
pub struct AuditSubjects {
    pub staff: Vec<PersonRef>,
    pub patients: Vec<(PatientId, String, String)>,
}
