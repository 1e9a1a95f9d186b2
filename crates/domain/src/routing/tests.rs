use super::*;
use proptest::prelude::*;

fn id16(n: u8) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[15] = n;
    b
}
fn dept(n: u8) -> DepartmentId {
    DepartmentId::from_bytes(id16(n))
}
fn team(n: u8) -> CareTeamId {
    CareTeamId::from_bytes(id16(n))
}
fn pool(n: u8) -> PoolId {
    PoolId::from_bytes(id16(n))
}
fn user(n: u8) -> UserId {
    UserId::from_bytes(id16(n))
}
fn rule(n: u8, condition: Condition, target: Target) -> Rule {
    Rule { id: RuleId::from_bytes(id16(n)), name: format!("rule {n}"), condition, target }
}

fn shape() -> PracticeShape {
    PracticeShape {
        departments: vec![dept(1), dept(2)],
        care_teams: vec![team(1), team(2)],
        program_pools: vec![pool(9)],
    }
}

/// The demo practice's rules: the issue's examples in order.
fn clinic_rules() -> Vec<Rule> {
    vec![
        rule(1, Condition { topic: Some(Topic::Billing), ..Condition::ALWAYS }, Target::Pool(pool(1))),
        rule(2, Condition { topic: Some(Topic::PrescriptionRefill), ..Condition::ALWAYS }, Target::Pool(pool(2))),
        rule(3, Condition { topic: Some(Topic::Scheduling), ..Condition::ALWAYS }, Target::Pool(pool(3))),
        rule(4, Condition { topic: Some(Topic::Telehealth), ..Condition::ALWAYS }, Target::Pool(pool(4))),
        rule(5, Condition { topic: Some(Topic::MonitoringProgram), ..Condition::ALWAYS }, Target::ProgramStaff),
        rule(6, Condition { provider_direct: true, ..Condition::ALWAYS }, Target::AddressedProvider),
        rule(7, Condition { department: Some(dept(2)), ..Condition::ALWAYS }, Target::Pool(pool(5))),
        rule(8, Condition::ALWAYS, Target::PatientCareTeam),
        rule(9, Condition::ALWAYS, Target::Pool(pool(3))),
    ]
}

fn facts(topic: Topic) -> MessageFacts {
    MessageFacts {
        topic,
        patient_department: Some(dept(1)),
        patient_care_team: Some(team(1)),
        patient_program_pool: None,
        addressed_provider: None,
    }
}

#[test]
fn the_issues_examples() {
    let rules = clinic_rules();
    assert_eq!(route(&rules, &facts(Topic::Billing)).unwrap().owner, Owner::Pool(pool(1)));
    assert_eq!(route(&rules, &facts(Topic::PrescriptionRefill)).unwrap().owner, Owner::Pool(pool(2)));
    assert_eq!(route(&rules, &facts(Topic::Scheduling)).unwrap().owner, Owner::Pool(pool(3)));
    assert_eq!(route(&rules, &facts(Topic::Telehealth)).unwrap().owner, Owner::Pool(pool(4)));
    // Monitoring goes to the patient's program staff, or falls through when
    // the patient is in no program.
    let rtm = MessageFacts { patient_program_pool: Some(pool(9)), ..facts(Topic::MonitoringProgram) };
    assert_eq!(route(&rules, &rtm).unwrap().owner, Owner::Pool(pool(9)));
    assert_eq!(route(&rules, &facts(Topic::MonitoringProgram)).unwrap().owner, Owner::CareTeam(team(1)));
    // Department routing.
    let cardiology = MessageFacts { patient_department: Some(dept(2)), ..facts(Topic::CareQuestion) };
    let d = route(&rules, &cardiology).unwrap();
    assert_eq!((d.owner, d.rule.0), (Owner::Pool(pool(5)), 7));
    // Provider-direct, accepted and declined.
    let direct = MessageFacts {
        addressed_provider: Some(AddressedProvider { user: user(7), accepts_direct: true }),
        ..facts(Topic::CareQuestion)
    };
    assert_eq!(route(&rules, &direct).unwrap().owner, Owner::Person(user(7)));
    let declined = MessageFacts {
        addressed_provider: Some(AddressedProvider { user: user(7), accepts_direct: false }),
        ..facts(Topic::CareQuestion)
    };
    let d = route(&rules, &declined).unwrap();
    assert_eq!((d.owner, d.intended_reader), (Owner::CareTeam(team(1)), Some(user(7))));
    // Default: the patient's own care team; the front desk for patients without one.
    let d = route(&rules, &facts(Topic::CareQuestion)).unwrap();
    assert_eq!((d.owner, d.rule.0), (Owner::CareTeam(team(1)), 8));
    let no_team = MessageFacts { patient_care_team: None, ..facts(Topic::TestResults) };
    assert_eq!(route(&rules, &no_team).unwrap().owner, Owner::Pool(pool(3)));
    assert!(validate(&rules, &shape()).is_ok());
}

#[test]
fn a_rule_set_that_leaves_a_message_unowned_is_refused() {
    let mut rules = clinic_rules();
    rules.pop(); // no fallback for patients without a care team
    let Err(Uncovered(m)) = validate(&rules, &shape()) else { panic!("should be refused") };
    assert_eq!(m.patient_care_team, None);
    assert!(validate(&[], &shape()).is_err());
    assert!(validate(&[rule(1, Condition::ALWAYS, Target::AddressedProvider)], &shape()).is_err());
    assert!(validate(&[rule(1, Condition::ALWAYS, Target::Pool(pool(1)))], &shape()).is_ok());
}

fn topic() -> impl Strategy<Value = Topic> {
    proptest::sample::select(Topic::ALL.to_vec())
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0u8..3).prop_map(|n| Target::Person(user(n))),
        (0u8..3).prop_map(|n| Target::Pool(pool(n))),
        Just(Target::PatientCareTeam),
        Just(Target::ProgramStaff),
        Just(Target::AddressedProvider),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    (proptest::option::of(topic()), proptest::option::of((1u8..3).prop_map(dept)), proptest::bool::weighted(0.2))
        .prop_map(|(topic, department, provider_direct)| Condition { topic, department, provider_direct })
}

fn rules() -> impl Strategy<Value = Vec<Rule>> {
    proptest::collection::vec((condition(), target()), 0..7)
        .prop_map(|v| v.into_iter().enumerate().map(|(i, (c, t))| rule(i as u8 + 1, c, t)).collect())
}

fn message() -> impl Strategy<Value = MessageFacts> {
    (
        topic(),
        proptest::option::of((1u8..3).prop_map(dept)),
        proptest::option::of((1u8..3).prop_map(team)),
        proptest::option::of(Just(pool(9))),
        proptest::option::of(
            (1u8..4, proptest::bool::ANY).prop_map(|(n, a)| AddressedProvider { user: user(n), accepts_direct: a }),
        ),
    )
        .prop_map(|(topic, patient_department, patient_care_team, patient_program_pool, addressed_provider)| {
            MessageFacts { topic, patient_department, patient_care_team, patient_program_pool, addressed_provider }
        })
}

#[test]
fn rules_after_a_catch_all_are_never_used() {
    let rules = clinic_rules();
    assert_eq!(never_used(&rules, &shape()), Vec::<usize>::new(), "every demo rule decides some message");
    // A catch-all in front takes every message: all the rules after it are dead.
    let mut early = clinic_rules();
    early.insert(0, rule(50, Condition::ALWAYS, Target::Pool(pool(7))));
    assert_eq!(never_used(&early, &shape()), (2..=10).collect::<Vec<_>>());
    // A rule covered by an earlier, broader one.
    let covered = vec![
        rule(1, Condition { topic: Some(Topic::Billing), ..Condition::ALWAYS }, Target::Pool(pool(1))),
        rule(
            2,
            Condition { topic: Some(Topic::Billing), department: Some(dept(1)), ..Condition::ALWAYS },
            Target::Pool(pool(2)),
        ),
        rule(3, Condition::ALWAYS, Target::Pool(pool(3))),
    ];
    assert_eq!(never_used(&covered, &shape()), vec![2]);
    // The patient's care team cannot take a patient without one: the rule
    // after it still decides those messages.
    let fallback =
        vec![rule(1, Condition::ALWAYS, Target::PatientCareTeam), rule(2, Condition::ALWAYS, Target::Pool(pool(3)))];
    assert_eq!(never_used(&fallback, &shape()), Vec::<usize>::new());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// A rule reported as never used never decides a message of the practice.
    #[test]
    fn never_used_rules_decide_nothing(rs in rules(), m in message()) {
        let dead = never_used(&rs, &shape());
        if let Ok(d) = route(&rs, &m) {
            prop_assert!(!dead.contains(&d.rule.0), "rule {} decided {:?} but is reported unused", d.rule.0, m);
        }
        prop_assert!(dead.iter().all(|&n| n >= 1 && n <= rs.len()));
    }

    /// Every message gets exactly one owner under an accepted rule set.
    #[test]
    fn accepted_rule_sets_own_every_message(rs in rules(), m in message()) {
        if validate(&rs, &shape()).is_ok() {
            prop_assert!(route(&rs, &m).is_ok());
        }
    }

    /// The decision is the first rule that applies and resolves, and the
    /// same inputs always give the same decision.
    #[test]
    fn first_applicable_rule_wins(rs in rules(), m in message()) {
        let a = route(&rs, &m);
        prop_assert_eq!(&a, &route(&rs, &m));
        if let Ok(d) = a {
            let (pos, id) = d.rule;
            let r = &rs[pos - 1];
            prop_assert_eq!(r.id, id);
            prop_assert!(r.condition.holds(&m));
            for earlier in &rs[..pos - 1] {
                prop_assert!(!earlier.condition.holds(&m) || resolve(earlier.target, &m).is_none());
            }
        }
    }

    /// Appending an always-matching pool rule makes any rule set acceptable.
    #[test]
    fn a_final_pool_rule_covers_everything(mut rs in rules()) {
        rs.push(rule(99, Condition::ALWAYS, Target::Pool(pool(1))));
        prop_assert!(validate(&rs, &shape()).is_ok());
    }
}
