//! The access policy: who may do what to which conversation, patient or
//! practice. One set of pure functions, called by every use case; the
//! storage layer's list filters are derived from [`list_scope`] and every
//! listed row is checked again with [`authorize_conversation`].
//!
//! Deny by default: anything not explicitly allowed below is refused.

use crate::caregiver::ProxyGrant;
use crate::emergency::{self, EmergencyAccess, EmergencyGrant};
use crate::ids::{CareTeamId, ConversationId, DepartmentId, PatientId, PoolId, PracticeId, UserId};
use crate::mfa::Assurance;
use crate::role::{StaffRole, UserKind};
use crate::routing::Owner;
use crate::sensitivity::{self, ContentGrants, Sensitivity};
use crate::topic::Topic;

/// A signed-in account of the patient app: a patient, or a caregiver who
/// is not a patient of the practice (who acts only through grants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientActor {
    pub user: UserId,
    pub practice: PracticeId,
    /// The account's own record; `None` for a caregiver-only account.
    pub patient: Option<PatientId>,
    /// The caregiver grants in force for this account (loaded with the
    /// session: only grants active now, each knowing whether its patient
    /// is a confidential minor today). A rule written for the patient's
    /// own record ignores them until it names them.
    pub proxies: Vec<ProxyGrant>,
}

impl PatientActor {
    /// Whether `patient` is this account's own record.
    pub fn is_own(&self, patient: PatientId) -> bool {
        self.patient == Some(patient)
    }

    /// The grant under which this account acts for `patient` of
    /// `practice`, if it holds one (never its own record).
    pub fn grant_for(&self, practice: PracticeId, patient: PatientId) -> Option<&ProxyGrant> {
        if self.is_own(patient) {
            return None;
        }
        self.proxies.iter().find(|g| g.practice == practice && g.patient == patient && g.practice == self.practice)
    }
}

/// A signed-in staff member and the relationships that give access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffActor {
    pub user: UserId,
    pub practice: PracticeId,
    pub role: StaffRole,
    pub departments: Vec<DepartmentId>,
    pub care_teams: Vec<CareTeamId>,
    pub pools: Vec<PoolId>,
    /// What the practice grants the role: the sensitive categories and, for
    /// the front desk and billing, the topics whose content they read.
    pub reads: ContentGrants,
    /// Emergency ("break-glass") grants not yet ended, loaded with the
    /// memberships, and the time they are judged at: a patient of an active
    /// grant is related by [`Relationship::Emergency`].
    pub emergency: EmergencyAccess,
}

/// A patient who proved who they are through a secure link (date of birth,
/// then a one-time code) rather than by signing in: their session reaches
/// the one conversation the link was sent for, and nothing else. A variant
/// of its own, not a patient with a flag, so that every rule written for
/// `Actor::Patient` leaves it out until it is named (deny by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPatientActor {
    /// The account the session belongs to: the patient's own, or one made
    /// for the link that cannot sign in.
    pub user: UserId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub conversation: ConversationId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Patient(PatientActor),
    Staff(StaffActor),
    LinkPatient(LinkPatientActor),
}

impl Actor {
    pub fn user(&self) -> UserId {
        match self {
            Actor::Patient(p) => p.user,
            Actor::Staff(s) => s.user,
            Actor::LinkPatient(l) => l.user,
        }
    }
    pub fn practice(&self) -> PracticeId {
        match self {
            Actor::Patient(p) => p.practice,
            Actor::Staff(s) => s.practice,
            Actor::LinkPatient(l) => l.practice,
        }
    }
    pub fn kind(&self) -> UserKind {
        match self {
            Actor::Patient(_) | Actor::LinkPatient(_) => UserKind::Patient,
            Actor::Staff(_) => UserKind::Staff,
        }
    }
}

/// What the policy needs to know about a patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientFacts {
    pub id: PatientId,
    pub practice: PracticeId,
    pub department: Option<DepartmentId>,
    pub care_team: Option<CareTeamId>,
}

/// What the policy needs to know about a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationFacts {
    pub id: ConversationId,
    pub patient: PatientFacts,
    pub assignee: Option<UserId>,
    /// The person, pool, care team or department routing gave it to.
    pub owner: Option<Owner>,
    /// A provider asked for clinical judgement.
    pub escalated_to: Option<UserId>,
    /// What the patient said it is about: front desk and billing read only
    /// the topics granted to them.
    pub topic: Topic,
    /// Marked sensitive: only roles granted the category read it.
    pub sensitivity: Option<Sensitivity>,
    /// Shared with the patient's caregivers: consulted only when the
    /// patient is a confidential minor (`ProxyGrant::confidential`).
    pub shared_with_caregivers: bool,
}

impl ConversationFacts {
    /// A conversation nobody has been given yet, not marked sensitive.
    pub fn unowned(id: ConversationId, patient: PatientFacts, topic: Topic) -> Self {
        ConversationFacts {
            id,
            patient,
            assignee: None,
            owner: None,
            escalated_to: None,
            topic,
            sensitivity: None,
            shared_with_caregivers: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationAction {
    /// See that the conversation exists, with the metadata needed to route
    /// it (patient, topic, status, waiting time, owner, whether it is
    /// marked sensitive): its row in a list, never its subject, messages,
    /// previews, notes or files. Every other action implies this one.
    ViewMetadata,
    /// See the conversation's content: its subject, messages, read
    /// receipts and files.
    View,
    Reply,
    MarkRead,
    /// Staff only: mark it unread for oneself, to come back to.
    MarkUnread,
    /// Staff-only notes: reading and writing them.
    ViewNotes,
    AddNote,
    Close,
    Reopen,
    Assign,
    /// Append a correction to a message written by `author`.
    Amend {
        author: UserId,
    },
    /// Rate how the conversation went: the patient's own say.
    Rate,
    /// Staff: send the patient a secure link to this conversation (to the
    /// mobile number or email on file).
    SendSecureLink,
    /// Staff of a clinical role: mark the conversation sensitive, or clear
    /// the mark.
    MarkSensitive,
    /// Share a minor's conversation with their caregivers, or stop
    /// sharing it: the patient themselves, or clinical staff who may read it.
    ShareWithCaregivers,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientAction {
    StartConversation,
    /// See the patient's record, contact details and enrollment in the
    /// patient list, and invite them to enroll.
    ManageEnrollment,
    /// See, grant and revoke the patient's caregivers: the patient
    /// themselves (never a caregiver), and staff who manage the patient's
    /// enrollment (the service lets staff grant only for minors).
    ManageCaregivers,
    /// Act for the patient in the app: list their conversations and write
    /// for them. The patient themselves, or a caregiver with a grant.
    ActFor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PracticeAction {
    ReadAuditLog,
    /// Change routing rules, pools and other practice settings.
    ManagePractice,
    /// See routing rules, pools, colleagues and templates; use templates.
    SeePracticeSetup,
    /// Keep the record: retention periods and legal holds (administrators
    /// and the compliance officer).
    ManageRecords,
}

/// Why something was refused. Recorded in the audit log; never shown to the
/// caller, who only ever sees "not found".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    OtherPractice,
    /// A patient reaching for another patient's records.
    NotOwnRecord,
    /// Staff with no care-team, department or assignment link to the patient.
    NoRelationship,
    /// The role does not do this.
    RoleNotPermitted,
    /// Only staff do this.
    StaffOnly,
    /// Only the author may amend a message.
    NotAuthor,
    /// Only the patient does this.
    PatientOnly,
    /// A secure-link session reaching past the one conversation it was
    /// opened for.
    OutsideLink,
    /// Not in the pool this work belongs to (the documents to file).
    NotInPool,
    /// A session that may only enrol a second factor (the practice
    /// requires one of staff, and this account has none yet).
    EnrolmentOnly,
    /// Front desk or billing reaching for the content of a topic the
    /// practice has not granted their role.
    NotGrantedClinical,
    /// The conversation is marked with a sensitive category the practice
    /// has not granted the role.
    Sensitive,
    /// Emergency access opens reading and answering, not the conversation's
    /// management (closing, reassigning, marking, links).
    EmergencyLimited,
    /// A caregiver reaching for a confidential minor's conversation that
    /// is not shared with caregivers.
    ConfidentialMinor,
}

impl Denial {
    pub const fn as_str(self) -> &'static str {
        match self {
            Denial::OtherPractice => "other_practice",
            Denial::NotOwnRecord => "not_own_record",
            Denial::NoRelationship => "no_relationship",
            Denial::RoleNotPermitted => "role_not_permitted",
            Denial::StaffOnly => "staff_only",
            Denial::NotAuthor => "not_author",
            Denial::PatientOnly => "patient_only",
            Denial::OutsideLink => "outside_link",
            Denial::NotInPool => "not_in_pool",
            Denial::EnrolmentOnly => "enrolment_only",
            Denial::NotGrantedClinical => "not_granted_clinical",
            Denial::Sensitive => "sensitive",
            Denial::EmergencyLimited => "emergency_limited",
            Denial::ConfidentialMinor => "confidential_minor",
        }
    }
}

/// How a staff member is related to a conversation (the first that
/// applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    CareTeam,
    Department,
    Assigned,
    /// The conversation's owner is them, or a pool, care team or department
    /// they belong to.
    Owner,
    Escalated,
    /// Only when none of the above applies: an active emergency grant for
    /// the patient, held by a role that may break glass. It opens what an
    /// emergency needs ([`emergency_allows`]) and is never listed in the
    /// inbox ([`in_list_scope`]).
    Emergency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Whether `staff` is, or belongs to, `owner`.
pub fn is_owner(staff: &StaffActor, owner: Owner) -> bool {
    match owner {
        Owner::Person(u) => u == staff.user,
        Owner::Pool(p) => staff.pools.contains(&p),
        Owner::CareTeam(t) => staff.care_teams.contains(&t),
        Owner::Department(d) => staff.departments.contains(&d),
    }
}

/// How a staff member relates to a conversation, ignoring role.
pub fn relationship(staff: &StaffActor, conv: &ConversationFacts) -> Option<Relationship> {
    let patient = &conv.patient;
    if staff.practice != patient.practice {
        return None;
    }
    if patient.care_team.is_some_and(|t| staff.care_teams.contains(&t)) {
        Some(Relationship::CareTeam)
    } else if patient.department.is_some_and(|d| staff.departments.contains(&d)) {
        Some(Relationship::Department)
    } else if conv.assignee == Some(staff.user) {
        Some(Relationship::Assigned)
    } else if conv.owner.is_some_and(|o| is_owner(staff, o)) {
        Some(Relationship::Owner)
    } else if conv.escalated_to == Some(staff.user) {
        Some(Relationship::Escalated)
    } else if emergency_grant(staff, &conv.patient).is_some() {
        Some(Relationship::Emergency)
    } else {
        None
    }
}

/// The active emergency grant that opens `patient` to `staff`, if any: the
/// same practice, a role that may break glass, not yet ended.
pub fn emergency_grant<'a>(staff: &'a StaffActor, patient: &PatientFacts) -> Option<&'a EmergencyGrant> {
    if staff.practice != patient.practice || !emergency::may_break_glass(staff.role) {
        return None;
    }
    staff.emergency.grant_for(patient.practice, patient.id)
}

/// What emergency access opens: seeing the conversation, answering it,
/// reading and writing notes, marking it read, correcting one's own
/// words. Not managing it (closing, reopening, reassigning, marking it
/// sensitive or unread, sending links, sharing a minor's conversation with
/// their caregivers): that stays with the care team.
pub const fn emergency_allows(action: ConversationAction) -> bool {
    use ConversationAction as A;
    match action {
        A::ViewMetadata | A::View | A::Reply | A::MarkRead | A::ViewNotes | A::AddNote | A::Amend { .. } => true,
        A::MarkUnread
        | A::Close
        | A::Reopen
        | A::Assign
        | A::Rate
        | A::SendSecureLink
        | A::MarkSensitive
        | A::ShareWithCaregivers => false,
    }
}

fn staff_may_work(staff: &StaffActor, conv: &ConversationFacts) -> Decision {
    if staff.practice != conv.patient.practice {
        return Decision::Deny(Denial::OtherPractice);
    }
    if !staff.role.works_patient_conversations() {
        return Decision::Deny(Denial::RoleNotPermitted);
    }
    match relationship(staff, conv) {
        // Reached only outside a conversation (starting one, the patient's
        // record): emergency access opens the patient's existing
        // conversations, nothing else of theirs.
        Some(Relationship::Emergency) => Decision::Deny(Denial::EmergencyLimited),
        Some(_) => Decision::Allow,
        None => Decision::Deny(Denial::NoRelationship),
    }
}

/// [`staff_may_work`] for a conversation of `patient` nobody has been given
/// yet (its id and topic play no part in this rule).
fn staff_may_work_with(staff: &StaffActor, patient: &PatientFacts) -> Decision {
    staff_may_work(
        staff,
        &ConversationFacts::unowned(ConversationId::from_bytes([0; 16]), patient.clone(), Topic::CareQuestion),
    )
}

/// Whether the practice grants `staff`'s role the content of `conv`: its
/// sensitive category, if marked, and, for the front desk and billing, its
/// topic. The relationship is [`staff_may_work`]'s question, not this one.
pub fn reads_content(staff: &StaffActor, conv: &ConversationFacts) -> Decision {
    if let Some(c) = conv.sensitivity
        && !staff.reads.categories.contains(c)
    {
        return Decision::Deny(Denial::Sensitive);
    }
    if !staff.reads.topics.allows(conv.topic) {
        return Decision::Deny(Denial::NotGrantedClinical);
    }
    Decision::Allow
}

/// May `actor` do `action` to a conversation described by `conv`?
pub fn authorize_conversation(actor: &Actor, action: ConversationAction, conv: &ConversationFacts) -> Decision {
    use ConversationAction as A;
    match actor {
        Actor::Patient(p) => {
            if p.practice != conv.patient.practice {
                return Decision::Deny(Denial::OtherPractice);
            }
            if !p.is_own(conv.patient.id) {
                return match p.grant_for(conv.patient.practice, conv.patient.id) {
                    Some(g) => proxy_may(p, g, action, conv),
                    None => Decision::Deny(Denial::NotOwnRecord),
                };
            }
            match action {
                A::ViewMetadata | A::View | A::Reply | A::MarkRead | A::Close | A::Rate | A::ShareWithCaregivers => {
                    Decision::Allow
                }
                A::Amend { author } if author == p.user => Decision::Allow,
                A::Amend { .. } => Decision::Deny(Denial::NotAuthor),
                A::ViewNotes
                | A::AddNote
                | A::Reopen
                | A::Assign
                | A::MarkUnread
                | A::SendSecureLink
                | A::MarkSensitive => Decision::Deny(Denial::StaffOnly),
            }
        }
        // Related staff of a role that works conversations see the row;
        // everything else needs the content too.
        // Emergency access: the limited actions, and the content whatever
        // its category (42 CFR 2.51: disclosure to medical personnel in a
        // bona fide medical emergency), since the grant is for this patient
        // and is recorded with its reason.
        Actor::Staff(s) if relationship(s, conv) == Some(Relationship::Emergency) => match action {
            A::Amend { author } if author != s.user => Decision::Deny(Denial::NotAuthor),
            _ if emergency_allows(action) => Decision::Allow,
            _ => Decision::Deny(Denial::EmergencyLimited),
        },
        Actor::Staff(s) => match staff_may_work(s, conv) {
            Decision::Allow if action == A::ViewMetadata => Decision::Allow,
            Decision::Allow => match reads_content(s, conv) {
                Decision::Allow => match action {
                    A::Amend { author } if author != s.user => Decision::Deny(Denial::NotAuthor),
                    A::Rate => Decision::Deny(Denial::PatientOnly),
                    A::MarkSensitive | A::ShareWithCaregivers if !sensitivity::marks_sensitivity(s.role) => {
                        Decision::Deny(Denial::RoleNotPermitted)
                    }
                    _ => Decision::Allow,
                },
                deny => deny,
            },
            deny => deny,
        },
        // Read and answer the one conversation, and nothing more: closing,
        // rating and corrections wait for a real account.
        Actor::LinkPatient(l) => {
            if l.practice != conv.patient.practice {
                return Decision::Deny(Denial::OtherPractice);
            }
            if l.patient != conv.patient.id {
                return Decision::Deny(Denial::NotOwnRecord);
            }
            if l.conversation != conv.id {
                return Decision::Deny(Denial::OutsideLink);
            }
            match action {
                A::ViewMetadata | A::View | A::Reply | A::MarkRead => Decision::Allow,
                A::Close | A::Rate | A::Amend { .. } | A::ShareWithCaregivers => Decision::Deny(Denial::OutsideLink),
                A::ViewNotes
                | A::AddNote
                | A::Reopen
                | A::Assign
                | A::MarkUnread
                | A::SendSecureLink
                | A::MarkSensitive => Decision::Deny(Denial::StaffOnly),
            }
        }
    }
}

/// What a caregiver may do in a conversation of a patient they hold
/// `grant` for: read it, answer, mark it read, close it, start one (see
/// [`authorize_patient`]) and correct their own messages; never rate it on
/// the patient's behalf or change who sees it, and nothing staff do. A
/// confidential minor's conversation is closed to them, row and all,
/// unless it is shared.
fn proxy_may(p: &PatientActor, grant: &ProxyGrant, action: ConversationAction, conv: &ConversationFacts) -> Decision {
    use ConversationAction as A;
    if grant.confidential && !conv.shared_with_caregivers {
        return Decision::Deny(Denial::ConfidentialMinor);
    }
    match action {
        A::ViewMetadata | A::View | A::Reply | A::MarkRead | A::Close => Decision::Allow,
        A::Amend { author } if author == p.user => Decision::Allow,
        A::Amend { .. } => Decision::Deny(Denial::NotAuthor),
        A::Rate | A::ShareWithCaregivers => Decision::Deny(Denial::PatientOnly),
        A::ViewNotes | A::AddNote | A::Reopen | A::Assign | A::MarkUnread | A::SendSecureLink | A::MarkSensitive => {
            Decision::Deny(Denial::StaffOnly)
        }
    }
}

/// May a secure-link session use a part of the product outside any one
/// conversation? The web layer asks this of every route before it calls
/// the use case, so a route added later is closed to these sessions until
/// it is named here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionUse {
    /// Who is signed in, and signing out.
    OwnSession,
    /// The practice's name, zone and limits; what to expect for an answer;
    /// the emergency screen of a draft.
    PracticeBasics,
    /// The live stream (filtered per event by [`authorize_conversation`]).
    LiveEvents,
    /// One conversation by its id (then [`authorize_conversation`]).
    OneConversation,
    /// The account's own second factors: enrolling, confirming, their
    /// standing. The one use an enrol-only session has besides its own
    /// session and the practice's basics.
    SecondFactor,
    /// Anything else: lists, records, settings, contact details,
    /// notifications, administration.
    Other,
}

/// Deny by default for secure-link sessions and for sessions that may only
/// enrol a second factor; everyone else is answered by the rules of what
/// they reach.
pub fn authorize_session_use(actor: &Actor, assurance: Assurance, use_: SessionUse) -> Decision {
    match (actor, assurance, use_) {
        (Actor::LinkPatient(_), _, SessionUse::SecondFactor | SessionUse::Other) => Decision::Deny(Denial::OutsideLink),
        (
            Actor::LinkPatient(_),
            _,
            SessionUse::OwnSession | SessionUse::PracticeBasics | SessionUse::LiveEvents | SessionUse::OneConversation,
        ) => Decision::Allow,
        (Actor::Patient(_) | Actor::Staff(_), Assurance::Full, _) => Decision::Allow,
        (
            Actor::Patient(_) | Actor::Staff(_),
            Assurance::EnrolOnly,
            SessionUse::OwnSession | SessionUse::PracticeBasics | SessionUse::SecondFactor,
        ) => Decision::Allow,
        (
            Actor::Patient(_) | Actor::Staff(_),
            Assurance::EnrolOnly,
            SessionUse::LiveEvents | SessionUse::OneConversation | SessionUse::Other,
        ) => Decision::Deny(Denial::EnrolmentOnly),
    }
}

/// May `actor` do `action` for a patient (outside any one conversation)?
pub fn authorize_patient(actor: &Actor, action: PatientAction, patient: &PatientFacts) -> Decision {
    match (actor, action) {
        // A caregiver may start a conversation for the patient whatever the
        // patient's age: what they write is shared with them.
        (Actor::Patient(p), PatientAction::StartConversation | PatientAction::ActFor) => {
            if p.practice != patient.practice {
                Decision::Deny(Denial::OtherPractice)
            } else if p.is_own(patient.id) || p.grant_for(patient.practice, patient.id).is_some() {
                Decision::Allow
            } else {
                Decision::Deny(Denial::NotOwnRecord)
            }
        }
        (Actor::Patient(p), PatientAction::ManageCaregivers) => {
            if p.practice != patient.practice {
                Decision::Deny(Denial::OtherPractice)
            } else if p.is_own(patient.id) {
                Decision::Allow
            } else if p.grant_for(patient.practice, patient.id).is_some() {
                Decision::Deny(Denial::PatientOnly)
            } else {
                Decision::Deny(Denial::NotOwnRecord)
            }
        }
        (Actor::Staff(_), PatientAction::ActFor) => Decision::Deny(Denial::PatientOnly),
        (Actor::Staff(s), PatientAction::StartConversation) => staff_may_work_with(s, patient),
        (
            Actor::LinkPatient(l),
            PatientAction::StartConversation | PatientAction::ActFor | PatientAction::ManageCaregivers,
        ) => {
            if l.practice != patient.practice {
                Decision::Deny(Denial::OtherPractice)
            } else {
                Decision::Deny(Denial::OutsideLink)
            }
        }
        (Actor::Patient(_) | Actor::LinkPatient(_), PatientAction::ManageEnrollment) => {
            Decision::Deny(Denial::StaffOnly)
        }
        // Administrators enroll anyone in their practice; colleagues who work
        // patient conversations, the patients of their care teams and
        // departments.
        (Actor::Staff(s), PatientAction::ManageEnrollment | PatientAction::ManageCaregivers) => {
            if s.practice != patient.practice {
                Decision::Deny(Denial::OtherPractice)
            } else if s.role == StaffRole::PracticeAdmin {
                Decision::Allow
            } else {
                staff_may_work_with(s, patient)
            }
        }
    }
}

/// Which patients the patient list may consider at all. The store turns
/// this into SQL; each row it returns is then re-checked with
/// [`authorize_patient`] and `ManageEnrollment`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatientListScope {
    Nothing,
    /// Every patient of the practice (its administrators).
    Practice(PracticeId),
    /// The practice's patients on the staff member's care teams or in their
    /// departments.
    Related {
        practice: PracticeId,
        user: UserId,
    },
}

pub fn patient_list_scope(actor: &Actor) -> PatientListScope {
    match actor {
        Actor::Staff(s) if s.role == StaffRole::PracticeAdmin => PatientListScope::Practice(s.practice),
        Actor::Staff(s) if s.role.works_patient_conversations() => {
            PatientListScope::Related { practice: s.practice, user: s.user }
        }
        Actor::Staff(_) | Actor::Patient(_) | Actor::LinkPatient(_) => PatientListScope::Nothing,
    }
}

/// Whether a patient belongs in a patient list with this scope, on plain
/// data: the reference the SQL filter must agree with.
pub fn in_patient_list_scope(scope: &PatientListScope, actor: &Actor, patient: &PatientFacts) -> bool {
    match (scope, actor) {
        (PatientListScope::Nothing, _) | (_, Actor::Patient(_) | Actor::LinkPatient(_)) => false,
        (PatientListScope::Practice(practice), _) => patient.practice == *practice,
        (PatientListScope::Related { practice, .. }, Actor::Staff(s)) => {
            patient.practice == *practice
                && (patient.care_team.is_some_and(|t| s.care_teams.contains(&t))
                    || patient.department.is_some_and(|d| s.departments.contains(&d)))
        }
    }
}

/// May `actor` do `action` at the level of `practice`?
pub fn authorize_practice(actor: &Actor, action: PracticeAction, practice: PracticeId) -> Decision {
    let Actor::Staff(s) = actor else { return Decision::Deny(Denial::StaffOnly) };
    if s.practice != practice {
        return Decision::Deny(Denial::OtherPractice);
    }
    let allowed = match action {
        PracticeAction::ReadAuditLog => s.role.reviews_audit_log(),
        PracticeAction::ManagePractice => s.role == StaffRole::PracticeAdmin,
        PracticeAction::SeePracticeSetup => true,
        PracticeAction::ManageRecords => matches!(s.role, StaffRole::PracticeAdmin | StaffRole::ComplianceOfficer),
    };
    if allowed { Decision::Allow } else { Decision::Deny(Denial::RoleNotPermitted) }
}

/// May `actor` see the practice's queue of documents to file? The members
/// (and the lead) of the pool the practice names for documents, and its
/// administrators. Each file in the queue is then still checked with
/// [`authorize_conversation`] and `View`, so this opens the queue, never a
/// conversation.
pub fn authorize_documents_queue(actor: &Actor, practice: PracticeId, documents_pool: Option<PoolId>) -> Decision {
    let Actor::Staff(s) = actor else { return Decision::Deny(Denial::StaffOnly) };
    if s.practice != practice {
        return Decision::Deny(Denial::OtherPractice);
    }
    if s.role == StaffRole::PracticeAdmin || documents_pool.is_some_and(|x| s.pools.contains(&x)) {
        Decision::Allow
    } else {
        Decision::Deny(Denial::NotInPool)
    }
}

/// May `target` be asked for clinical judgement on `conv`? Providers of
/// the same practice only, whose role the practice grants the
/// conversation's content (its sensitive category, if marked).
pub fn may_be_escalated_to(target: &StaffActor, conv: &ConversationFacts) -> bool {
    target.practice == conv.patient.practice
        && target.role == StaffRole::Provider
        && reads_content(target, conv).is_allowed()
}

/// May `target` be made the assignee of `conv`? Assignment gives access,
/// so only staff of the same practice whose role works patient
/// conversations qualify, and only when the practice grants their role the
/// conversation's content: an assignee who could not read what they are
/// given could not answer it (a front-desk member is never handed a
/// clinical or sensitive conversation; it stays with whoever can read it).
pub fn may_be_assigned(target: &StaffActor, conv: &ConversationFacts) -> bool {
    target.practice == conv.patient.practice
        && target.role.works_patient_conversations()
        && reads_content(target, conv).is_allowed()
}

/// Which conversations a listing may consider at all. The store turns this
/// into SQL; each row it returns is then re-checked with
/// [`authorize_conversation`] and `ViewMetadata`, and its content (subject,
/// preview) is shown only when `View` is allowed too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListScope {
    Nothing,
    /// The patient's own conversations.
    Patient {
        practice: PracticeId,
        patient: PatientId,
    },
    /// A caregiver's listing of a patient they hold a grant for: that
    /// patient's conversations, only those shared with caregivers when
    /// `shared_only` (the patient is a confidential minor).
    Proxy {
        practice: PracticeId,
        patient: PatientId,
        shared_only: bool,
    },
    /// Conversations in the practice whose patient is on one of the staff
    /// member's care teams or in one of their departments, that are
    /// assigned or escalated to them, or owned by them or by a pool, care
    /// team or department of theirs.
    StaffRelated {
        practice: PracticeId,
        user: UserId,
    },
}

pub fn list_scope(actor: &Actor) -> ListScope {
    match actor {
        Actor::Patient(p) => match p.patient {
            Some(patient) => ListScope::Patient { practice: p.practice, patient },
            // A caregiver-only account lists only whom it acts for.
            None => ListScope::Nothing,
        },
        Actor::Staff(s) if s.role.works_patient_conversations() => {
            ListScope::StaffRelated { practice: s.practice, user: s.user }
        }
        Actor::Staff(_) => ListScope::Nothing,
        // Its one conversation is reached by id, never through a list.
        Actor::LinkPatient(_) => ListScope::Nothing,
    }
}

/// The listing scope of `actor` for the patient it asks about: a
/// patient's own conversations by default, or those of a patient they hold
/// a grant for; nothing for anyone else. Staff ignore `patient` here (their
/// lists filter by patient instead).
pub fn list_scope_for(actor: &Actor, patient: Option<PatientId>) -> ListScope {
    match (actor, patient) {
        (Actor::Patient(p), Some(other)) if !p.is_own(other) => match p.grant_for(p.practice, other) {
            Some(g) => ListScope::Proxy { practice: g.practice, patient: g.patient, shared_only: g.confidential },
            None => ListScope::Nothing,
        },
        _ => list_scope(actor),
    }
}

/// Whether a conversation belongs in a listing with this scope, evaluated on
/// plain data: the reference the SQL filter must agree with. It agrees with
/// `ViewMetadata` (rows whose content the viewer may not read are listed
/// with their metadata only), never with sensitivity or topic, which the
/// SQL does not need to know.
pub fn in_list_scope(scope: &ListScope, actor: &Actor, conv: &ConversationFacts) -> bool {
    match (scope, actor) {
        (ListScope::Nothing, _) => false,
        (ListScope::Patient { .. }, Actor::LinkPatient(_)) => false,
        (ListScope::Proxy { .. }, Actor::LinkPatient(_) | Actor::Staff(_)) => false,
        (ListScope::Proxy { practice, patient, shared_only }, Actor::Patient(_)) => {
            conv.patient.practice == *practice
                && conv.patient.id == *patient
                && (!*shared_only || conv.shared_with_caregivers)
        }
        (ListScope::Patient { practice, patient }, _) => {
            conv.patient.practice == *practice && conv.patient.id == *patient
        }
        // Emergency access is reached from the patient, never listed.
        (ListScope::StaffRelated { practice, .. }, Actor::Staff(s)) => {
            conv.patient.practice == *practice && relationship(s, conv).is_some_and(|r| r != Relationship::Emergency)
        }
        (ListScope::StaffRelated { .. }, Actor::Patient(_) | Actor::LinkPatient(_)) => false,
    }
}

#[cfg(test)]
mod tests;
