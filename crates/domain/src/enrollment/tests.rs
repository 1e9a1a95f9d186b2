use super::*;
use proptest::prelude::*;

fn v(n: i64) -> TermsVersion {
    TermsVersion::new(n).unwrap()
}

fn accepted(n: i64) -> Acceptance {
    Acceptance { version: v(n), at: Timestamp::from_micros(0), through: AcceptedThrough::App }
}

#[test]
fn versions_start_at_one() {
    assert_eq!(TermsVersion::new(0), None);
    assert_eq!(TermsVersion::new(-1), None);
    assert_eq!(TermsVersion::new(1), Some(TermsVersion::FIRST));
    assert_eq!(TermsVersion::new(i64::from(u32::MAX) + 1), None);
    assert_eq!(v(1).next(), Some(v(2)));
    assert_eq!(TermsVersion::new(i64::from(u32::MAX)).unwrap().next(), None);
}

#[test]
fn standing_against_the_current_version() {
    assert_eq!(standing(None, v(1)), TermsStanding::Never);
    assert_eq!(standing(Some(&accepted(1)), v(1)), TermsStanding::Current);
    assert_eq!(standing(Some(&accepted(1)), v(2)), TermsStanding::Outdated { accepted: v(1) });
    assert_eq!(standing(Some(&accepted(3)), v(3)), TermsStanding::Current);
}

#[test]
fn only_the_version_in_force_is_accepted() {
    assert_eq!(accepts_current(Some(v(2)), v(2)), Ok(()));
    assert_eq!(accepts_current(Some(v(1)), v(2)), Err(TermsRefusal::Changed));
    assert_eq!(accepts_current(Some(v(3)), v(2)), Err(TermsRefusal::Changed));
    assert_eq!(accepts_current(None, v(2)), Err(TermsRefusal::NotAccepted));
}

#[test]
fn terms_text_is_checked() {
    assert!(TermsText::parse("   ").is_err());
    assert!(TermsText::parse("Too short to be terms.").is_err());
    assert!(TermsText::parse(&"x".repeat(TermsText::MAX_CHARS + 1)).is_err());
    assert!(TermsText::parse("Bad \u{0007} control characters in otherwise long enough terms text").is_err());
    let t = TermsText::parse("  Messages are for questions that can wait.\nCall 911 in an emergency.  ").unwrap();
    assert!(t.as_str().starts_with("Messages") && t.as_str().ends_with("emergency."));
}

#[test]
fn the_standard_terms_keep_the_safety_words() {
    let t = TermsText::standard();
    assert!(TermsText::parse(t.as_str()).is_ok());
    assert!(t.as_str().contains("call 911"));
    assert!(t.as_str().contains("988"));
}

#[test]
fn codes_round_trip() {
    for a in AcceptedThrough::ALL {
        assert_eq!(AcceptedThrough::parse(a.as_str()), Some(a));
    }
    for k in CohortKind::ALL {
        assert_eq!(CohortKind::parse(k.as_str()), Some(k));
    }
    for m in [RolloutMode::Everyone, RolloutMode::Cohorts] {
        assert_eq!(RolloutMode::parse(m.as_str()), Some(m));
    }
    assert_eq!(RolloutMode::parse("some"), None);
}

fn small_ids() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0u8..6, 0..4)
}

proptest! {
    /// On for everyone opens it to every patient; with cohorts, exactly
    /// to those named, in a chosen department, or on a chosen provider's
    /// panel.
    #[test]
    fn messaging_is_open_exactly_to_the_cohorts(
        everyone in any::<bool>(),
        departments in small_ids(),
        providers in small_ids(),
        patients in small_ids(),
        patient in 0u8..6,
        department in proptest::option::of(0u8..6),
        provider in proptest::option::of(0u8..6),
    ) {
        let rollout = Rollout {
            mode: if everyone { RolloutMode::Everyone } else { RolloutMode::Cohorts },
            departments: departments.iter().map(|d| DepartmentId::from_bytes([*d; 16])).collect(),
            providers: providers.iter().map(|p| UserId::from_bytes([*p; 16])).collect(),
            patients: patients.iter().map(|p| PatientId::from_bytes([*p; 16])).collect(),
        };
        let at = Placement {
            patient: PatientId::from_bytes([patient; 16]),
            department: department.map(|d| DepartmentId::from_bytes([d; 16])),
            provider: provider.map(|p| UserId::from_bytes([p; 16])),
        };
        let expected = everyone
            || patients.contains(&patient)
            || department.is_some_and(|d| departments.contains(&d))
            || provider.is_some_and(|p| providers.contains(&p));
        prop_assert_eq!(messaging_open(&rollout, &at), expected);
    }

    /// Whatever was accepted, the standing is current exactly when it is
    /// the version in force (or later), and accepting is allowed exactly
    /// for the version in force.
    #[test]
    fn standing_and_acceptance_agree(latest in proptest::option::of(1i64..10), current in 1i64..10) {
        let a = latest.map(accepted);
        let s = standing(a.as_ref(), v(current));
        prop_assert_eq!(s == TermsStanding::Current, latest.is_some_and(|l| l >= current));
        prop_assert_eq!(accepts_current(latest.map(v), v(current)).is_ok(), latest == Some(current));
    }
}
