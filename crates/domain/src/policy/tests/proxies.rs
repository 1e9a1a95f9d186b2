//! Caregivers (proxy access) in the policy: a grant opens its own
//! patient's conversations in its own practice, for what a caregiver does,
//! never a confidential minor's unshared conversation, and nothing once it
//! has ended.

use super::*;
use crate::caregiver::{CaregiverRelationship, GrantRecord, ProxyGrant, in_force};
use crate::ids::ProxyGrantId;
use crate::time::Timestamp;

fn grant() -> impl Strategy<Value = ProxyGrant> {
    (practice(), patient_id(), proptest::sample::select(CaregiverRelationship::ALL.to_vec()), any::<bool>()).prop_map(
        |(practice, patient, relationship, confidential)| ProxyGrant {
            id: ProxyGrantId::from_bytes(id16(9)),
            practice,
            patient,
            relationship,
            until: None,
            confidential,
        },
    )
}

fn caregiver() -> impl Strategy<Value = PatientActor> {
    (user(), practice(), proptest::option::of(patient_id()), proptest::collection::vec(grant(), 0..4))
        .prop_map(|(user, practice, patient, proxies)| PatientActor { user, practice, patient, proxies })
}

/// The grant that counts for `c`, written out independently: the first
/// one for its patient in the caregiver's own practice.
fn grant_of<'a>(p: &'a PatientActor, c: &ConversationFacts) -> Option<&'a ProxyGrant> {
    if p.patient == Some(c.patient.id) || c.patient.practice != p.practice {
        return None;
    }
    p.proxies.iter().find(|g| g.patient == c.patient.id && g.practice == c.patient.practice)
}

fn caregiver_action(act: ConversationAction, user: UserId) -> bool {
    match act {
        ConversationAction::ViewMetadata
        | ConversationAction::View
        | ConversationAction::Reply
        | ConversationAction::MarkRead
        | ConversationAction::Close => true,
        ConversationAction::Amend { author } => author == user,
        ConversationAction::Rate
        | ConversationAction::ShareWithCaregivers
        | ConversationAction::ViewNotes
        | ConversationAction::AddNote
        | ConversationAction::Reopen
        | ConversationAction::Assign
        | ConversationAction::MarkUnread
        | ConversationAction::SendSecureLink
        | ConversationAction::MarkSensitive => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_grant_never_opens_another_patient_or_practice(p in caregiver(), act in action(), c in conversation()) {
        let a = Actor::Patient(p.clone());
        if authorize_conversation(&a, act, &c).is_allowed() {
            prop_assert_eq!(c.patient.practice, p.practice);
            let granted = p.proxies.iter().any(|g| g.patient == c.patient.id && g.practice == p.practice);
            prop_assert!(p.patient == Some(c.patient.id) || granted);
        }
        if c.patient.practice != p.practice {
            prop_assert_eq!(authorize_conversation(&a, act, &c), Decision::Deny(Denial::OtherPractice));
        }
    }

    #[test]
    fn caregivers_do_what_the_table_says(p in caregiver(), act in action(), c in conversation()) {
        let a = Actor::Patient(p.clone());
        if p.patient != Some(c.patient.id) {
            let expected = grant_of(&p, &c)
                .is_some_and(|g| (!g.confidential || c.shared_with_caregivers) && caregiver_action(act, p.user));
            prop_assert_eq!(authorize_conversation(&a, act, &c).is_allowed(), expected);
        }
    }

    #[test]
    fn never_a_confidential_minors_unshared_conversation(p in caregiver(), act in action(), mut c in conversation()) {
        c.shared_with_caregivers = false;
        let a = Actor::Patient(p.clone());
        if p.patient != Some(c.patient.id) && grant_of(&p, &c).is_some_and(|g| g.confidential) {
            prop_assert_eq!(authorize_conversation(&a, act, &c), Decision::Deny(Denial::ConfidentialMinor));
            // Not even in a list.
            prop_assert!(!in_list_scope(&list_scope_for(&a, Some(c.patient.id)), &a, &c));
        }
    }

    #[test]
    fn never_after_it_ends(
        p in caregiver(),
        times in proptest::collection::vec((0i64..50, proptest::option::of(0i64..50), proptest::option::of(0i64..50)), 0..4),
        now in 0i64..50,
        act in action(),
        c in conversation(),
    ) {
        let t = Timestamp::from_micros;
        let records: Vec<GrantRecord> = p.proxies.iter().cloned().zip(times.iter()).map(|(mut grant, (from, until, revoked))| {
            grant.until = until.map(t);
            GrantRecord { grant, from: t(*from), revoked_at: revoked.map(t) }
        }).collect();
        let in_force_now: Vec<bool> = records.iter().map(|r| {
            let (from, until, revoked) = (r.from.as_micros(), r.grant.until.map(Timestamp::as_micros), r.revoked_at.map(Timestamp::as_micros));
            now >= from && until.is_none_or(|u| now < u) && revoked.is_none_or(|x| now < x)
        }).collect();
        let any_live_for_patient = records.iter().zip(&in_force_now).any(|(r, live)| *live && r.grant.patient == c.patient.id);
        let loaded = PatientActor { proxies: in_force(records, t(now)), ..p.clone() };
        if p.patient != Some(c.patient.id) && !any_live_for_patient {
            prop_assert!(!authorize_conversation(&Actor::Patient(loaded.clone()), act, &c).is_allowed());
            prop_assert!(!authorize_patient(&Actor::Patient(loaded), PatientAction::StartConversation, &c.patient).is_allowed());
        }
    }

    #[test]
    fn a_caregivers_listing_agrees_with_viewing(p in caregiver(), asked in patient_id(), c in conversation()) {
        let a = Actor::Patient(p.clone());
        let listed = in_list_scope(&list_scope_for(&a, Some(asked)), &a, &c);
        let viewable = authorize_conversation(&a, ConversationAction::ViewMetadata, &c).is_allowed();
        prop_assert_eq!(listed, viewable && c.patient.id == asked);
        // Asking for nobody in particular lists one's own.
        prop_assert_eq!(list_scope_for(&a, None), list_scope(&a));
    }

    #[test]
    fn caregivers_start_conversations_but_never_manage_caregivers(p in caregiver(), f in patient_facts()) {
        let a = Actor::Patient(p.clone());
        let own = f.practice == p.practice && p.patient == Some(f.id);
        let granted = f.practice == p.practice && p.patient != Some(f.id)
            && p.proxies.iter().any(|g| g.patient == f.id && g.practice == f.practice);
        for pa in [PatientAction::StartConversation, PatientAction::ActFor] {
            prop_assert_eq!(authorize_patient(&a, pa, &f).is_allowed(), own || granted);
        }
        prop_assert_eq!(authorize_patient(&a, PatientAction::ManageCaregivers, &f).is_allowed(), own);
        prop_assert!(!authorize_patient(&a, PatientAction::ManageEnrollment, &f).is_allowed());
    }

    #[test]
    fn every_caregiver_action_implies_seeing_the_row(p in caregiver(), act in action(), c in conversation()) {
        let a = Actor::Patient(p);
        if authorize_conversation(&a, act, &c).is_allowed() {
            prop_assert!(authorize_conversation(&a, ConversationAction::ViewMetadata, &c).is_allowed());
        }
    }

    #[test]
    fn staff_manage_caregivers_as_they_manage_enrollment(s in staff(), f in patient_facts()) {
        let a = Actor::Staff(s);
        prop_assert_eq!(
            authorize_patient(&a, PatientAction::ManageCaregivers, &f).is_allowed(),
            authorize_patient(&a, PatientAction::ManageEnrollment, &f).is_allowed()
        );
        prop_assert!(!authorize_patient(&a, PatientAction::ActFor, &f).is_allowed());
    }
}

proptest! {
    /// A caregiver who is not a patient of the practice reaches exactly
    /// what its grants open: nothing is "its own", its default listing is
    /// empty, and without a grant no conversation or patient is open to it.
    #[test]
    fn a_caregiver_only_account_reaches_only_its_grants(
        mut p in caregiver(), act in action(), c in conversation(),
    ) {
        p.patient = None;
        let a = Actor::Patient(p.clone());
        prop_assert_eq!(list_scope(&a), ListScope::Nothing);
        prop_assert!(!authorize_patient(&a, PatientAction::ManageCaregivers, &c.patient).is_allowed());
        let opened = authorize_conversation(&a, act, &c).is_allowed();
        if grant_of(&p, &c).is_none() {
            prop_assert!(!opened);
            prop_assert!(!authorize_patient(&a, PatientAction::StartConversation, &c.patient).is_allowed());
        }
        let bare = Actor::Patient(PatientActor { proxies: Vec::new(), ..p });
        prop_assert!(!authorize_conversation(&bare, act, &c).is_allowed());
        prop_assert!(!in_list_scope(&list_scope_for(&bare, Some(c.patient.id)), &bare, &c));
    }
}
