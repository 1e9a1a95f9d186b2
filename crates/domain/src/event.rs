//! Domain events: what happened, for whoever listens (the live web UI,
//! notifications, other server nodes). Events carry identifiers only; a
//! listener that needs content reads it through the access policy.

use crate::conversation::{ConversationStatus, Priority};
use crate::ids::{ConversationId, MessageId, NoteId, PatientId, PracticeId, UserId};
use crate::policy::{self, Actor, ConversationAction, ConversationFacts};
use crate::role::{SenderKind, UserKind};
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    ConversationCreated,
    MessageSent {
        message: MessageId,
        /// `None` for an automatic reply.
        sender: Option<UserId>,
        sender_kind: SenderKind,
    },
    MessageAmended {
        message: MessageId,
    },
    MessagesRead {
        reader: UserId,
        reader_kind: UserKind,
    },
    NoteAdded {
        note: NoteId,
    },
    StatusChanged {
        status: ConversationStatus,
    },
    PriorityChanged {
        priority: Priority,
    },
    /// `previous` loses sight of the conversation unless related otherwise;
    /// they are told too.
    Assigned {
        assignee: Option<UserId>,
        previous: Option<UserId>,
    },
    /// Someone is writing a reply. Ephemeral: never stored.
    Typing {
        user: UserId,
        user_kind: UserKind,
    },
    /// A staff member has a new alert (an urgent message, an escalation).
    Alert {
        user: UserId,
    },
    /// A provider was asked for clinical judgement.
    Escalated {
        to: UserId,
    },
    /// The conversation was marked sensitive, or the mark was cleared. It
    /// does not say which category: who may not read the conversation must
    /// not learn that either (a substance-use mark is itself Part 2
    /// information).
    SensitivityChanged,
}

impl EventKind {
    /// Every event's `code`: the names of the live stream's events. The
    /// pages' list (`LIVE_EVENTS` in `static/common.js`) is tested against it.
    pub const CODES: [&'static str; 12] = [
        "conversation_created",
        "message_sent",
        "message_amended",
        "messages_read",
        "note_added",
        "status_changed",
        "priority_changed",
        "assigned",
        "typing",
        "alert",
        "escalated",
        "sensitivity_changed",
    ];

    pub const fn code(&self) -> &'static str {
        match self {
            EventKind::ConversationCreated => "conversation_created",
            EventKind::MessageSent { .. } => "message_sent",
            EventKind::MessageAmended { .. } => "message_amended",
            EventKind::MessagesRead { .. } => "messages_read",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::PriorityChanged { .. } => "priority_changed",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Typing { .. } => "typing",
            EventKind::Alert { .. } => "alert",
            EventKind::Escalated { .. } => "escalated",
            EventKind::SensitivityChanged => "sensitivity_changed",
        }
    }

    /// Whether a patient may be told of this event. Internal notes and
    /// assignments are staff business.
    pub fn visible_to_patient(&self) -> bool {
        match self {
            EventKind::NoteAdded { .. }
            | EventKind::Assigned { .. }
            | EventKind::PriorityChanged { .. }
            | EventKind::Alert { .. }
            | EventKind::Escalated { .. }
            | EventKind::SensitivityChanged => false,
            EventKind::ConversationCreated
            | EventKind::MessageSent { .. }
            | EventKind::MessageAmended { .. }
            | EventKind::MessagesRead { .. }
            | EventKind::StatusChanged { .. }
            | EventKind::Typing { .. } => true,
        }
    }

    /// Whether someone who sees the conversation's row but not its content
    /// (`ConversationAction::ViewMetadata` only) is told of this event: the
    /// changes a list row shows (a new message arrived, read, status,
    /// priority, owner), never notes, corrections or typing. Events carry
    /// ids only, so this tells them the row changed and nothing it says.
    pub fn changes_row(&self) -> bool {
        match self {
            EventKind::ConversationCreated
            | EventKind::MessageSent { .. }
            | EventKind::MessagesRead { .. }
            | EventKind::StatusChanged { .. }
            | EventKind::PriorityChanged { .. }
            | EventKind::Assigned { .. }
            | EventKind::Escalated { .. }
            | EventKind::SensitivityChanged => true,
            EventKind::NoteAdded { .. }
            | EventKind::MessageAmended { .. }
            | EventKind::Typing { .. }
            | EventKind::Alert { .. } => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainEvent {
    pub at: Timestamp,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub conversation: ConversationId,
    /// `None` when the system acted (an automatic reply, a job).
    pub actor: Option<UserId>,
    pub kind: EventKind,
    /// The conversation's access facts after the change, so that listeners
    /// can apply the access policy without a database read.
    pub facts: ConversationFacts,
}

impl DomainEvent {
    /// Whether `viewer` may be told of this event: the same rule as viewing
    /// the conversation, plus patients are not told of staff business, and
    /// someone who just lost an assignment is told that. Staff who see the
    /// row but not the content (`ViewMetadata` only: front desk on a
    /// clinical topic, a role without a sensitive category's grant) are
    /// told of the changes a row shows ([`EventKind::changes_row`]).
    pub fn visible_to(&self, viewer: &Actor) -> bool {
        // Emergency grants are judged at the event's time: a live stream
        // that has not re-read its session stops hearing about a patient
        // the moment the grant runs out.
        if let Actor::Staff(s) = viewer
            && !s.emergency.grants.is_empty()
            && s.emergency.as_of < self.at
        {
            let moved = Actor::Staff(crate::policy::StaffActor { emergency: s.emergency.at(self.at), ..s.clone() });
            return self.visible_at(&moved);
        }
        self.visible_at(viewer)
    }

    fn visible_at(&self, viewer: &Actor) -> bool {
        if matches!(viewer, Actor::Patient(_) | Actor::LinkPatient(_)) && !self.kind.visible_to_patient() {
            return false;
        }
        if let (EventKind::Assigned { previous: Some(prev), .. }, Actor::Staff(s)) = (&self.kind, viewer)
            && *prev == s.user
            && s.practice == self.facts.patient.practice
        {
            return true;
        }
        // An alert is for its recipient only.
        if let EventKind::Alert { user } = &self.kind {
            return matches!(viewer, Actor::Staff(s) if s.user == *user);
        }
        if policy::authorize_conversation(viewer, ConversationAction::View, &self.facts).is_allowed() {
            return true;
        }
        self.kind.changes_row()
            && policy::authorize_conversation(viewer, ConversationAction::ViewMetadata, &self.facts).is_allowed()
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;
    use crate::conversation::{ConversationStatus, Priority};
    use crate::ids::{MessageId, NoteId, UserId};
    use crate::role::{SenderKind, UserKind};

    #[test]
    fn codes_lists_every_kind_once() {
        let user = UserId::from_bytes([1; 16]);
        let kinds = [
            EventKind::ConversationCreated,
            EventKind::MessageSent {
                message: MessageId::from_bytes([2; 16]),
                sender: None,
                sender_kind: SenderKind::System,
            },
            EventKind::MessageAmended { message: MessageId::from_bytes([2; 16]) },
            EventKind::MessagesRead { reader: user, reader_kind: UserKind::Staff },
            EventKind::NoteAdded { note: NoteId::from_bytes([3; 16]) },
            EventKind::StatusChanged { status: ConversationStatus::NeedsStaffResponse },
            EventKind::PriorityChanged { priority: Priority::Urgent },
            EventKind::Assigned { assignee: Some(user), previous: None },
            EventKind::Typing { user, user_kind: UserKind::Patient },
            EventKind::Alert { user },
            EventKind::Escalated { to: user },
            EventKind::SensitivityChanged,
        ];
        let codes: Vec<&str> = kinds.iter().map(EventKind::code).collect();
        assert_eq!(codes, EventKind::CODES);
    }
}

#[cfg(test)]
mod metadata_tests {
    use super::*;
    use crate::ids::{ConversationId, DepartmentId, NoteId, PatientId};
    use crate::policy::{PatientFacts, StaffActor};
    use crate::role::StaffRole;
    use crate::sensitivity::ContentGrants;
    use crate::topic::Topic;

    fn id16(n: u8) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[15] = n;
        b
    }

    #[test]
    fn a_row_only_viewer_hears_of_row_changes_and_nothing_else() {
        let practice = PracticeId::from_bytes(id16(1));
        let dept = DepartmentId::from_bytes(id16(1));
        let patient =
            PatientFacts { id: PatientId::from_bytes(id16(1)), practice, department: Some(dept), care_team: None };
        let facts =
            ConversationFacts::unowned(ConversationId::from_bytes(id16(1)), patient.clone(), Topic::TestResults);
        let staff = |role| {
            Actor::Staff(StaffActor {
                user: UserId::from_bytes(id16(9)),
                practice,
                role,
                departments: vec![dept],
                care_teams: vec![],
                pools: vec![],
                reads: ContentGrants::default_for(role),
                emergency: Default::default(),
            })
        };
        let desk = staff(StaffRole::FrontDesk);
        let nurse = staff(StaffRole::Nurse);
        let event = |kind| DomainEvent {
            at: Timestamp::from_micros(0),
            practice,
            patient: patient.id,
            conversation: facts.id,
            actor: None,
            kind,
            facts: facts.clone(),
        };
        let sent = event(EventKind::MessageSent {
            message: MessageId::from_bytes(id16(2)),
            sender: None,
            sender_kind: SenderKind::Patient,
        });
        let note = event(EventKind::NoteAdded { note: NoteId::from_bytes(id16(3)) });
        let typing = event(EventKind::Typing { user: UserId::from_bytes(id16(4)), user_kind: UserKind::Patient });
        assert!(sent.visible_to(&desk));
        assert!(!note.visible_to(&desk));
        assert!(!typing.visible_to(&desk));
        for e in [&sent, &note, &typing] {
            assert!(e.visible_to(&nurse));
        }
        // Unrelated front desk hears nothing.
        let Actor::Staff(d) = &desk else { unreachable!() };
        let stranger = Actor::Staff(StaffActor { departments: vec![], ..d.clone() });
        assert!(!sent.visible_to(&stranger));
    }

    /// A live stream loaded while a grant was active stops hearing about
    /// the patient at the grant's end, before it re-reads its session.
    #[test]
    fn an_emergency_grant_is_heard_only_until_it_ends() {
        use crate::emergency::{EmergencyAccess, EmergencyGrant};
        let practice = PracticeId::from_bytes(id16(1));
        let patient = PatientFacts { id: PatientId::from_bytes(id16(1)), practice, department: None, care_team: None };
        let facts =
            ConversationFacts::unowned(ConversationId::from_bytes(id16(1)), patient.clone(), Topic::CareQuestion);
        let grant = EmergencyGrant {
            id: crate::ids::EmergencyAccessId::from_bytes(id16(5)),
            practice,
            patient: patient.id,
            until: Timestamp::from_micros(1_000),
        };
        let nurse = Actor::Staff(StaffActor {
            user: UserId::from_bytes(id16(9)),
            practice,
            role: StaffRole::Nurse,
            departments: vec![],
            care_teams: vec![],
            pools: vec![],
            reads: ContentGrants::default_for(StaffRole::Nurse),
            // Loaded at 0, while the grant was active.
            emergency: EmergencyAccess { grants: vec![grant], as_of: Timestamp::from_micros(0) },
        });
        let at = |micros| DomainEvent {
            at: Timestamp::from_micros(micros),
            practice,
            patient: patient.id,
            conversation: facts.id,
            actor: None,
            kind: EventKind::MessageSent {
                message: MessageId::from_bytes(id16(2)),
                sender: None,
                sender_kind: SenderKind::Patient,
            },
            facts: facts.clone(),
        };
        assert!(at(999).visible_to(&nurse));
        assert!(!at(1_000).visible_to(&nurse));
        assert!(!at(5_000).visible_to(&nurse));
    }
}
