//! The access policy is the most important function in the product: these
//! tests state its rules independently of how it is written and check them
//! over a small universe where ids collide often.

use super::*;
use crate::role::StaffRole;
use crate::routing::Owner;
use crate::sensitivity::{CategorySet, ContentGrants, Sensitivity, TopicAccess, TopicSet};
use crate::topic::Topic;
use proptest::prelude::*;

fn id16(n: u8) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[15] = n;
    b
}

fn practice() -> impl Strategy<Value = PracticeId> {
    (0u8..2).prop_map(|n| PracticeId::from_bytes(id16(n)))
}
fn dept() -> impl Strategy<Value = DepartmentId> {
    (0u8..3).prop_map(|n| DepartmentId::from_bytes(id16(n)))
}
fn team() -> impl Strategy<Value = CareTeamId> {
    (0u8..3).prop_map(|n| CareTeamId::from_bytes(id16(n)))
}
fn user() -> impl Strategy<Value = UserId> {
    (0u8..4).prop_map(|n| UserId::from_bytes(id16(n)))
}
fn patient_id() -> impl Strategy<Value = PatientId> {
    (0u8..3).prop_map(|n| PatientId::from_bytes(id16(n)))
}
fn conversation_id() -> impl Strategy<Value = ConversationId> {
    (0u8..3).prop_map(|n| ConversationId::from_bytes(id16(n)))
}
fn link_patient() -> impl Strategy<Value = LinkPatientActor> {
    (user(), practice(), patient_id(), conversation_id())
        .prop_map(|(user, practice, patient, conversation)| LinkPatientActor { user, practice, patient, conversation })
}
fn role() -> impl Strategy<Value = StaffRole> {
    proptest::sample::select(StaffRole::ALL.to_vec())
}

fn pool() -> impl Strategy<Value = PoolId> {
    (0u8..3).prop_map(|n| PoolId::from_bytes(id16(n)))
}

fn category() -> impl Strategy<Value = Sensitivity> {
    proptest::sample::select(Sensitivity::ALL.to_vec())
}
fn topic() -> impl Strategy<Value = Topic> {
    proptest::sample::select(Topic::ALL.to_vec())
}
fn category_set() -> impl Strategy<Value = CategorySet> {
    proptest::collection::vec(category(), 0..4).prop_map(|v| v.into_iter().collect())
}
fn topic_access() -> impl Strategy<Value = TopicAccess> {
    prop_oneof![
        Just(TopicAccess::All),
        proptest::collection::vec(topic(), 0..4).prop_map(|v| TopicAccess::Only(v.into_iter().collect())),
    ]
}
/// Any grants at all, whatever the role: the policy's rules must hold for
/// every combination, not only for the ones the practice settings make.
fn content_grants() -> impl Strategy<Value = ContentGrants> {
    (category_set(), topic_access()).prop_map(|(categories, topics)| ContentGrants { categories, topics })
}

fn staff() -> impl Strategy<Value = StaffActor> {
    (
        user(),
        practice(),
        role(),
        proptest::collection::vec(dept(), 0..3),
        proptest::collection::vec(team(), 0..3),
        proptest::collection::vec(pool(), 0..3),
        content_grants(),
    )
        .prop_map(|(user, practice, role, departments, care_teams, pools, reads)| StaffActor {
            user,
            practice,
            role,
            departments,
            care_teams,
            pools,
            reads,
            emergency: EmergencyAccess::none(),
        })
}

fn owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        user().prop_map(Owner::Person),
        pool().prop_map(Owner::Pool),
        team().prop_map(Owner::CareTeam),
        dept().prop_map(Owner::Department),
    ]
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        (user(), practice(), proptest::option::of(patient_id())).prop_map(|(user, practice, patient)| Actor::Patient(
            PatientActor { user, practice, patient, proxies: Vec::new() }
        )),
        staff().prop_map(Actor::Staff),
        link_patient().prop_map(Actor::LinkPatient),
    ]
}

fn patient_facts() -> impl Strategy<Value = PatientFacts> {
    (patient_id(), practice(), proptest::option::of(dept()), proptest::option::of(team()))
        .prop_map(|(id, practice, department, care_team)| PatientFacts { id, practice, department, care_team })
}

fn conversation() -> impl Strategy<Value = ConversationFacts> {
    (
        conversation_id(),
        patient_facts(),
        proptest::option::of(user()),
        proptest::option::of(owner()),
        proptest::option::of(user()),
        topic(),
        proptest::option::of(category()),
        any::<bool>(),
    )
        .prop_map(|(id, patient, assignee, owner, escalated_to, topic, sensitivity, shared_with_caregivers)| {
            ConversationFacts { id, patient, assignee, owner, escalated_to, topic, sensitivity, shared_with_caregivers }
        })
}

fn action() -> impl Strategy<Value = ConversationAction> {
    prop_oneof![
        Just(ConversationAction::ViewMetadata),
        Just(ConversationAction::View),
        Just(ConversationAction::Reply),
        Just(ConversationAction::MarkRead),
        Just(ConversationAction::MarkUnread),
        Just(ConversationAction::ViewNotes),
        Just(ConversationAction::AddNote),
        Just(ConversationAction::Close),
        Just(ConversationAction::Reopen),
        Just(ConversationAction::Assign),
        Just(ConversationAction::Rate),
        Just(ConversationAction::SendSecureLink),
        Just(ConversationAction::MarkSensitive),
        Just(ConversationAction::ShareWithCaregivers),
        user().prop_map(|author| ConversationAction::Amend { author }),
    ]
}

/// Whether the role is granted the conversation's content, written out
/// independently of the implementation.
fn staff_granted(s: &StaffActor, c: &ConversationFacts) -> bool {
    let category_ok = match c.sensitivity {
        None => true,
        Some(x) => s.reads.categories.contains(x),
    };
    let topic_ok = match s.reads.topics {
        TopicAccess::All => true,
        TopicAccess::Only(set) => set.contains(c.topic),
    };
    category_ok && topic_ok
}

/// The rule for staff, written out independently of the implementation.
fn staff_related(s: &StaffActor, c: &ConversationFacts) -> bool {
    let p = &c.patient;
    let owns = match c.owner {
        Some(Owner::Person(u)) => u == s.user,
        Some(Owner::Pool(x)) => s.pools.contains(&x),
        Some(Owner::CareTeam(t)) => s.care_teams.contains(&t),
        Some(Owner::Department(d)) => s.departments.contains(&d),
        None => false,
    };
    s.practice == p.practice
        && (p.care_team.map(|t| s.care_teams.contains(&t)).unwrap_or(false)
            || p.department.map(|d| s.departments.contains(&d)).unwrap_or(false)
            || c.assignee == Some(s.user)
            || c.escalated_to == Some(s.user)
            || owns)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn nothing_crosses_practices(a in actor(), act in action(), c in conversation()) {
        if a.practice() != c.patient.practice {
            prop_assert_eq!(authorize_conversation(&a, act, &c), Decision::Deny(Denial::OtherPractice));
            prop_assert_eq!(
                authorize_patient(&a, PatientAction::StartConversation, &c.patient),
                Decision::Deny(Denial::OtherPractice)
            );
            prop_assert!(!in_list_scope(&list_scope(&a), &a, &c));
        }
    }

    #[test]
    fn patients_see_only_their_own(a in actor(), act in action(), c in conversation()) {
        if let Actor::Patient(p) = &a {
            let allowed = authorize_conversation(&a, act, &c).is_allowed();
            let own = p.practice == c.patient.practice && p.patient == Some(c.patient.id);
            let patient_action = match act {
                ConversationAction::ViewMetadata | ConversationAction::View | ConversationAction::Reply
                    | ConversationAction::MarkRead | ConversationAction::Close | ConversationAction::Rate
                    | ConversationAction::ShareWithCaregivers => true,
                ConversationAction::Amend { author } => author == p.user,
                ConversationAction::ViewNotes | ConversationAction::AddNote | ConversationAction::Reopen | ConversationAction::Assign
                    | ConversationAction::MarkUnread | ConversationAction::SendSecureLink
                    | ConversationAction::MarkSensitive => false,
            };
            prop_assert_eq!(allowed, own && patient_action);
        }
    }

    #[test]
    fn staff_need_a_relationship_and_a_clinical_role(s in staff(), act in action(), c in conversation()) {
        let a = Actor::Staff(s.clone());
        let allowed = authorize_conversation(&a, act, &c).is_allowed();
        let author_ok = match act {
            ConversationAction::Amend { author } => author == s.user,
            ConversationAction::Rate => false,
            ConversationAction::MarkSensitive | ConversationAction::ShareWithCaregivers => {
                matches!(s.role, StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant)
            }
            _ => true,
        };
        // The row needs a relationship and a role that works conversations;
        // everything else needs the content granted as well.
        let row = staff_related(&s, &c) && s.role.works_patient_conversations();
        let expected = row && (act == ConversationAction::ViewMetadata || (staff_granted(&s, &c) && author_ok));
        prop_assert_eq!(allowed, expected);
    }

    #[test]
    fn without_the_grant_a_sensitive_conversation_is_never_read(s in staff(), act in action(), c in conversation()) {
        if let Some(x) = c.sensitivity
            && !s.reads.categories.contains(x)
            && act != ConversationAction::ViewMetadata
        {
            let d = authorize_conversation(&Actor::Staff(s.clone()), act, &c);
            prop_assert!(!d.is_allowed());
            // Refused as sensitive once the relationship holds.
            if staff_related(&s, &c) && s.role.works_patient_conversations() {
                prop_assert_eq!(d, Decision::Deny(Denial::Sensitive));
            }
            prop_assert!(!may_be_assigned(&s, &c));
        }
    }

    #[test]
    fn front_desk_and_billing_read_only_granted_topics(s in staff(), c in conversation()) {
        // Under any grants the practice can make, the front desk and billing
        // read no topic it has not granted them.
        let grants = crate::sensitivity::SensitivityGrants::defaults();
        for role in [StaffRole::FrontDesk, StaffRole::Billing] {
            let s = StaffActor { role, reads: grants.for_role(role), ..s.clone() };
            let a = Actor::Staff(s.clone());
            let granted_topic = match role {
                StaffRole::FrontDesk => c.topic == Topic::Scheduling,
                _ => c.topic == Topic::Billing,
            };
            if !granted_topic {
                for act in [ConversationAction::View, ConversationAction::Reply, ConversationAction::ViewNotes, ConversationAction::AddNote, ConversationAction::Assign] {
                    prop_assert!(!authorize_conversation(&a, act, &c).is_allowed());
                }
            }
            // They still see the row when related.
            prop_assert_eq!(
                authorize_conversation(&a, ConversationAction::ViewMetadata, &c).is_allowed(),
                staff_related(&s, &c)
            );
            // And never read a sensitive one under the defaults.
            if c.sensitivity.is_some() {
                prop_assert!(!authorize_conversation(&a, ConversationAction::View, &c).is_allowed());
            }
        }
    }

    #[test]
    fn grants_are_monotone(s in staff(), act in action(), c in conversation(), more in content_grants()) {
        // Adding a grant (a category, a topic, or every topic) never takes
        // anything away.
        let wider = ContentGrants {
            categories: [s.reads.categories, more.categories].into_iter().flat_map(CategorySet::iter).collect(),
            topics: match (s.reads.topics, more.topics) {
                (TopicAccess::All, _) | (_, TopicAccess::All) => TopicAccess::All,
                (TopicAccess::Only(a), TopicAccess::Only(b)) => {
                    TopicAccess::Only(a.iter().chain(b.iter()).collect::<TopicSet>())
                }
            },
        };
        let before = authorize_conversation(&Actor::Staff(s.clone()), act, &c).is_allowed();
        let after = authorize_conversation(&Actor::Staff(StaffActor { reads: wider, ..s.clone() }), act, &c).is_allowed();
        prop_assert!(!before || after);
        let before = may_be_assigned(&s, &c);
        let after = may_be_assigned(&StaffActor { reads: wider, ..s }, &c);
        prop_assert!(!before || after);
    }

    #[test]
    fn every_action_implies_seeing_the_row(a in actor(), act in action(), c in conversation()) {
        if authorize_conversation(&a, act, &c).is_allowed() {
            prop_assert!(authorize_conversation(&a, ConversationAction::ViewMetadata, &c).is_allowed());
        }
    }

    #[test]
    fn practice_settings_grant_what_they_say(
        cats in proptest::collection::vec((category(), proptest::sample::select(vec![StaffRole::Provider, StaffRole::Nurse, StaffRole::MedicalAssistant, StaffRole::FrontDesk, StaffRole::Billing])), 0..8),
        tops in proptest::collection::vec((topic(), proptest::sample::select(vec![StaffRole::FrontDesk, StaffRole::Billing])), 0..6),
        s in staff(),
        c in conversation(),
    ) {
        let g = crate::sensitivity::SensitivityGrants::new(cats.clone(), tops.clone()).unwrap();
        let s = StaffActor { reads: g.for_role(s.role), ..s };
        let a = Actor::Staff(s.clone());
        let category_ok = c.sensitivity.is_none_or(|x| cats.contains(&(x, s.role)));
        let topic_ok = !matches!(s.role, StaffRole::FrontDesk | StaffRole::Billing) || tops.contains(&(c.topic, s.role));
        let expected = staff_related(&s, &c) && s.role.works_patient_conversations() && category_ok && topic_ok;
        prop_assert_eq!(authorize_conversation(&a, ConversationAction::View, &c).is_allowed(), expected);
    }

    #[test]
    fn listing_agrees_with_viewing(a in actor(), c in conversation()) {
        let listed = in_list_scope(&list_scope(&a), &a, &c);
        // Rows the viewer may not read are listed with their metadata only.
        let viewable = authorize_conversation(&a, ConversationAction::ViewMetadata, &c).is_allowed();
        // A secure-link session lists nothing: it opens its one
        // conversation by id.
        let expected = viewable && !matches!(a, Actor::LinkPatient(_));
        prop_assert_eq!(listed, expected);
    }

    #[test]
    fn a_secure_link_reaches_its_one_conversation_only(l in link_patient(), act in action(), c in conversation()) {
        // Stated independently: the link's practice, patient and
        // conversation, and only reading, replying and marking read.
        let a = Actor::LinkPatient(l.clone());
        let allowed = authorize_conversation(&a, act, &c).is_allowed();
        let same = l.practice == c.patient.practice && l.patient == c.patient.id && l.conversation == c.id;
        let permitted = matches!(act, ConversationAction::ViewMetadata | ConversationAction::View | ConversationAction::Reply | ConversationAction::MarkRead);
        prop_assert_eq!(allowed, same && permitted);
        if l.practice == c.patient.practice && l.patient == c.patient.id && l.conversation != c.id {
            prop_assert_eq!(authorize_conversation(&a, act, &c), Decision::Deny(Denial::OutsideLink));
        }
        // Never a list, a patient record, a new conversation or the practice.
        prop_assert_eq!(list_scope(&a), ListScope::Nothing);
        prop_assert_eq!(patient_list_scope(&a), PatientListScope::Nothing);
        for pa in [PatientAction::StartConversation, PatientAction::ManageEnrollment] {
            prop_assert!(!authorize_patient(&a, pa, &c.patient).is_allowed());
        }
        for pr in [PracticeAction::ReadAuditLog, PracticeAction::ManagePractice, PracticeAction::SeePracticeSetup] {
            prop_assert!(!authorize_practice(&a, pr, c.patient.practice).is_allowed());
        }
    }

    #[test]
    fn secure_link_and_enrol_only_sessions_are_kept_to_the_basics(a in actor()) {
        let uses = [
            SessionUse::OwnSession,
            SessionUse::PracticeBasics,
            SessionUse::LiveEvents,
            SessionUse::OneConversation,
            SessionUse::SecondFactor,
            SessionUse::Other,
        ];
        for assurance in [Assurance::Full, Assurance::EnrolOnly] {
            for u in uses {
                let allowed = authorize_session_use(&a, assurance, u).is_allowed();
                let expected = match (&a, assurance) {
                    (Actor::LinkPatient(_), _) => !matches!(u, SessionUse::Other | SessionUse::SecondFactor),
                    (Actor::Patient(_) | Actor::Staff(_), Assurance::Full) => true,
                    (Actor::Patient(_) | Actor::Staff(_), Assurance::EnrolOnly) => {
                        matches!(u, SessionUse::OwnSession | SessionUse::PracticeBasics | SessionUse::SecondFactor)
                    }
                };
                prop_assert_eq!(allowed, expected);
                if !allowed && !matches!(a, Actor::LinkPatient(_)) {
                    prop_assert_eq!(authorize_session_use(&a, assurance, u), Decision::Deny(Denial::EnrolmentOnly));
                }
            }
        }
    }

    #[test]
    fn only_auditors_of_the_same_practice_read_the_audit_log(a in actor(), p in practice()) {
        let allowed = authorize_practice(&a, PracticeAction::ReadAuditLog, p).is_allowed();
        let expected = match &a {
            Actor::Staff(s) => s.practice == p && matches!(s.role, StaffRole::PracticeAdmin | StaffRole::ComplianceOfficer),
            Actor::Patient(_) | Actor::LinkPatient(_) => false,
        };
        prop_assert_eq!(allowed, expected);
    }

    #[test]
    fn only_administrators_manage_and_only_staff_see_the_setup(a in actor(), p in practice()) {
        let manage = authorize_practice(&a, PracticeAction::ManagePractice, p).is_allowed();
        let see = authorize_practice(&a, PracticeAction::SeePracticeSetup, p).is_allowed();
        match &a {
            Actor::Staff(s) => {
                prop_assert_eq!(manage, s.practice == p && s.role == StaffRole::PracticeAdmin);
                prop_assert_eq!(see, s.practice == p);
            }
            Actor::Patient(_) | Actor::LinkPatient(_) => prop_assert!(!manage && !see),
        }
    }

    #[test]
    fn only_the_documents_pool_and_administrators_see_the_queue(a in actor(), p in practice(), x in proptest::option::of(pool())) {
        let allowed = authorize_documents_queue(&a, p, x).is_allowed();
        let expected = match &a {
            Actor::Staff(s) => {
                s.practice == p && (s.role == StaffRole::PracticeAdmin || x.is_some_and(|x| s.pools.contains(&x)))
            }
            Actor::Patient(_) | Actor::LinkPatient(_) => false,
        };
        prop_assert_eq!(allowed, expected);
    }

    #[test]
    fn starting_a_conversation_follows_viewing(a in actor(), id in conversation_id(), p in patient_facts(), t in topic()) {
        // Whoever may start a conversation for a patient sees it afterwards
        // (the use case also asks `View` of the new conversation, topic
        // included); a secure link starts nothing.
        let start = authorize_patient(&a, PatientAction::StartConversation, &p).is_allowed();
        let conv = ConversationFacts::unowned(id, p, t);
        let view = authorize_conversation(&a, ConversationAction::ViewMetadata, &conv).is_allowed();
        prop_assert_eq!(start, view && !matches!(a, Actor::LinkPatient(_)));
    }

    #[test]
    fn enrollment_is_for_administrators_and_the_patients_own_care_team(a in actor(), p in patient_facts()) {
        // Stated independently: an administrator of the practice, or a
        // colleague who works conversations and shares a care team or a
        // department with the patient. Never a patient, never across practices.
        let allowed = authorize_patient(&a, PatientAction::ManageEnrollment, &p).is_allowed();
        let expected = match &a {
            Actor::Patient(_) | Actor::LinkPatient(_) => false,
            Actor::Staff(s) => s.practice == p.practice
                && (s.role == StaffRole::PracticeAdmin
                    || (s.role.works_patient_conversations()
                        && (p.care_team.is_some_and(|t| s.care_teams.contains(&t))
                            || p.department.is_some_and(|d| s.departments.contains(&d))))),
        };
        prop_assert_eq!(allowed, expected);
    }

    #[test]
    fn the_patient_list_scope_agrees_with_the_policy(a in actor(), p in patient_facts()) {
        let scope = patient_list_scope(&a);
        let listed = in_patient_list_scope(&scope, &a, &p);
        prop_assert_eq!(listed, authorize_patient(&a, PatientAction::ManageEnrollment, &p).is_allowed());
    }

    #[test]
    fn escalation_goes_to_providers_who_read_it(target in staff(), c in conversation()) {
        let expected = target.practice == c.patient.practice
            && target.role == StaffRole::Provider
            && staff_granted(&target, &c);
        prop_assert_eq!(may_be_escalated_to(&target, &c), expected);
    }

    #[test]
    fn assignees_can_work_what_they_are_given(target in staff(), c in conversation()) {
        if may_be_assigned(&target, &c) {
            let conv = ConversationFacts { assignee: Some(target.user), ..c };
            prop_assert!(authorize_conversation(&Actor::Staff(target), ConversationAction::Reply, &conv).is_allowed());
        }
    }
}

#[test]
fn administrators_do_not_read_messages_by_role() {
    let practice = PracticeId::from_bytes(id16(1));
    let dept = DepartmentId::from_bytes(id16(1));
    let conv = ConversationFacts::unowned(
        ConversationId::from_bytes(id16(1)),
        PatientFacts { id: PatientId::from_bytes(id16(1)), practice, department: Some(dept), care_team: None },
        Topic::CareQuestion,
    );
    for role in [StaffRole::PracticeAdmin, StaffRole::ComplianceOfficer] {
        let a = Actor::Staff(StaffActor {
            user: UserId::from_bytes(id16(9)),
            practice,
            role,
            departments: vec![dept],
            care_teams: vec![],
            pools: vec![],
            // Even granted everything, the role reads nothing.
            reads: ContentGrants { categories: CategorySet::ALL, topics: TopicAccess::All },
            emergency: EmergencyAccess::none(),
        });
        assert_eq!(
            authorize_conversation(&a, ConversationAction::View, &conv),
            Decision::Deny(Denial::RoleNotPermitted)
        );
        assert_eq!(list_scope(&a), ListScope::Nothing);
    }
}

#[test]
fn front_desk_sees_the_row_of_a_clinical_conversation_but_not_its_content() {
    let practice = PracticeId::from_bytes(id16(1));
    let dept = DepartmentId::from_bytes(id16(1));
    let patient =
        PatientFacts { id: PatientId::from_bytes(id16(1)), practice, department: Some(dept), care_team: None };
    let desk = Actor::Staff(StaffActor {
        user: UserId::from_bytes(id16(9)),
        practice,
        role: StaffRole::FrontDesk,
        departments: vec![dept],
        care_teams: vec![],
        pools: vec![],
        reads: ContentGrants::default_for(StaffRole::FrontDesk),
        emergency: EmergencyAccess::none(),
    });
    let clinical = ConversationFacts::unowned(ConversationId::from_bytes(id16(1)), patient.clone(), Topic::TestResults);
    assert_eq!(authorize_conversation(&desk, ConversationAction::ViewMetadata, &clinical), Decision::Allow);
    assert_eq!(
        authorize_conversation(&desk, ConversationAction::View, &clinical),
        Decision::Deny(Denial::NotGrantedClinical)
    );
    let scheduling = ConversationFacts { topic: Topic::Scheduling, ..clinical.clone() };
    assert_eq!(authorize_conversation(&desk, ConversationAction::View, &scheduling), Decision::Allow);
    // Front desk never marks sensitivity, even where it reads.
    assert_eq!(
        authorize_conversation(&desk, ConversationAction::MarkSensitive, &scheduling),
        Decision::Deny(Denial::RoleNotPermitted)
    );
    let marked = ConversationFacts { sensitivity: Some(Sensitivity::ReproductiveHealth), ..scheduling };
    assert_eq!(authorize_conversation(&desk, ConversationAction::View, &marked), Decision::Deny(Denial::Sensitive));
    assert_eq!(authorize_conversation(&desk, ConversationAction::ViewMetadata, &marked), Decision::Allow);
    let Actor::Staff(desk_staff) = &desk else { unreachable!() };
    assert!(!may_be_assigned(desk_staff, &clinical));
    assert!(!may_be_assigned(desk_staff, &marked));
    // A nurse reads behavioural health by default, not substance use.
    let nurse = StaffActor {
        role: StaffRole::Nurse,
        reads: ContentGrants::default_for(StaffRole::Nurse),
        emergency: EmergencyAccess::none(),
        ..desk_staff.clone()
    };
    let bh = ConversationFacts { sensitivity: Some(Sensitivity::BehaviouralHealth), ..clinical.clone() };
    let part2 = ConversationFacts { sensitivity: Some(Sensitivity::SubstanceUse), ..clinical };
    assert!(authorize_conversation(&Actor::Staff(nurse.clone()), ConversationAction::View, &bh).is_allowed());
    assert_eq!(
        authorize_conversation(&Actor::Staff(nurse.clone()), ConversationAction::View, &part2),
        Decision::Deny(Denial::Sensitive)
    );
    let provider =
        StaffActor { role: StaffRole::Provider, reads: ContentGrants::default_for(StaffRole::Provider), ..nurse };
    assert!(authorize_conversation(&Actor::Staff(provider), ConversationAction::MarkSensitive, &part2).is_allowed());
}

// Emergency ("break-glass") access.

fn grant() -> impl Strategy<Value = EmergencyGrant> {
    (practice(), patient_id(), 0i64..100).prop_map(|(practice, patient, until)| EmergencyGrant {
        id: crate::ids::EmergencyAccessId::from_bytes(id16(7)),
        practice,
        patient,
        until: crate::time::Timestamp::from_micros(until),
    })
}

fn emergency_access() -> impl Strategy<Value = EmergencyAccess> {
    (proptest::collection::vec(grant(), 0..3), 0i64..100)
        .prop_map(|(grants, as_of)| EmergencyAccess { grants, as_of: crate::time::Timestamp::from_micros(as_of) })
}

/// Whether some grant of `e` is, written out independently, for this
/// patient of this practice, held in the staff member's own practice and
/// not yet ended.
fn grant_applies(s: &StaffActor, e: &EmergencyAccess, c: &ConversationFacts) -> bool {
    e.grants.iter().any(|g| {
        g.practice == s.practice
            && g.practice == c.patient.practice
            && g.patient == c.patient.id
            && e.as_of.as_micros() < g.until.as_micros()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_grant_opens_only_its_patient_its_practice_a_clinical_role_and_only_while_it_lasts(
        s in staff(), e in emergency_access(), act in action(), c in conversation()
    ) {
        let without = authorize_conversation(&Actor::Staff(s.clone()), act, &c);
        let with_grants = StaffActor { emergency: e.clone(), ..s.clone() };
        let with = authorize_conversation(&Actor::Staff(with_grants.clone()), act, &c);
        if with.is_allowed() && !without.is_allowed() {
            prop_assert!(grant_applies(&s, &e, &c), "a grant opened what it is not for");
            prop_assert!(matches!(s.role, StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant));
            prop_assert!(!staff_related(&s, &c), "emergency only where no ordinary relationship applies");
            prop_assert!(emergency_allows(act));
        }
        // An ordinary relationship is answered exactly as without grants.
        if staff_related(&s, &c) {
            prop_assert_eq!(with, without);
        }
        // A grant that applies opens what emergency access allows, whatever
        // the conversation's category or topic, and refuses the rest.
        if grant_applies(&s, &e, &c) && !staff_related(&s, &c) && crate::emergency::may_break_glass(s.role) {
            let expected = match act {
                ConversationAction::Amend { author } => author == s.user,
                other => emergency_allows(other),
            };
            prop_assert_eq!(with.is_allowed(), expected);
            if !emergency_allows(act) {
                prop_assert_eq!(with, Decision::Deny(Denial::EmergencyLimited));
            }
        }
        // Once every grant has ended, nothing is opened by them.
        let ended = StaffActor {
            emergency: EmergencyAccess { grants: e.grants.clone(), as_of: crate::time::Timestamp::from_micros(100) },
            ..s.clone()
        };
        prop_assert_eq!(authorize_conversation(&Actor::Staff(ended), act, &c), without);
    }

    #[test]
    fn a_grant_never_lists_starts_or_opens_the_record(s in staff(), e in emergency_access(), c in conversation()) {
        let plain = Actor::Staff(s.clone());
        let with = Actor::Staff(StaffActor { emergency: e, ..s });
        // Emergency conversations are reached from the patient, not the inbox.
        prop_assert_eq!(in_list_scope(&list_scope(&with), &with, &c), in_list_scope(&list_scope(&plain), &plain, &c));
        prop_assert_eq!(list_scope(&with), list_scope(&plain));
        for action in [PatientAction::StartConversation, PatientAction::ManageEnrollment] {
            prop_assert_eq!(
                authorize_patient(&with, action, &c.patient).is_allowed(),
                authorize_patient(&plain, action, &c.patient).is_allowed()
            );
        }
        prop_assert_eq!(
            in_patient_list_scope(&patient_list_scope(&with), &with, &c.patient),
            in_patient_list_scope(&patient_list_scope(&plain), &plain, &c.patient)
        );
    }
}

#[test]
fn emergency_access_reads_a_sensitive_conversation_and_no_more() {
    let practice = PracticeId::from_bytes(id16(1));
    let patient = PatientFacts { id: PatientId::from_bytes(id16(2)), practice, department: None, care_team: None };
    let mut conv =
        ConversationFacts::unowned(ConversationId::from_bytes(id16(3)), patient.clone(), Topic::CareQuestion);
    conv.sensitivity = Some(Sensitivity::SubstanceUse);
    let grant = EmergencyGrant {
        id: crate::ids::EmergencyAccessId::from_bytes(id16(4)),
        practice,
        patient: patient.id,
        until: crate::time::Timestamp::from_micros(1_000),
    };
    let nurse = |as_of: i64, role: StaffRole| {
        Actor::Staff(StaffActor {
            user: UserId::from_bytes(id16(9)),
            practice,
            role,
            departments: vec![],
            care_teams: vec![],
            pools: vec![],
            // The practice grants the role no sensitive category.
            reads: ContentGrants { categories: CategorySet::default(), topics: TopicAccess::All },
            emergency: EmergencyAccess { grants: vec![grant], as_of: crate::time::Timestamp::from_micros(as_of) },
        })
    };
    let during = nurse(999, StaffRole::Nurse);
    assert_eq!(relationship_of(&during, &conv), Some(Relationship::Emergency));
    for act in
        [ConversationAction::View, ConversationAction::Reply, ConversationAction::AddNote, ConversationAction::MarkRead]
    {
        assert_eq!(authorize_conversation(&during, act, &conv), Decision::Allow, "{act:?}");
    }
    for act in [
        ConversationAction::Close,
        ConversationAction::Assign,
        ConversationAction::MarkSensitive,
        ConversationAction::SendSecureLink,
    ] {
        assert_eq!(authorize_conversation(&during, act, &conv), Decision::Deny(Denial::EmergencyLimited), "{act:?}");
    }
    assert_eq!(
        authorize_patient(&during, PatientAction::StartConversation, &patient),
        Decision::Deny(Denial::EmergencyLimited)
    );
    let after = nurse(1_000, StaffRole::Nurse);
    assert_eq!(authorize_conversation(&after, ConversationAction::View, &conv), Decision::Deny(Denial::NoRelationship));
    let desk = nurse(999, StaffRole::FrontDesk);
    assert!(!authorize_conversation(&desk, ConversationAction::ViewMetadata, &conv).is_allowed());
    let other = ConversationFacts::unowned(
        ConversationId::from_bytes(id16(5)),
        PatientFacts { id: PatientId::from_bytes(id16(6)), ..patient },
        Topic::CareQuestion,
    );
    assert_eq!(
        authorize_conversation(&during, ConversationAction::View, &other),
        Decision::Deny(Denial::NoRelationship)
    );
}

fn relationship_of(a: &Actor, c: &ConversationFacts) -> Option<Relationship> {
    match a {
        Actor::Staff(s) => relationship(s, c),
        _ => None,
    }
}
mod proxies;
