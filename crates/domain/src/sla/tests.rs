use super::*;
use crate::hours::{BusinessCalendar, Period, WeeklyHours, from_jiff, time_zone};
use proptest::prelude::*;

fn at(text: &str) -> Timestamp {
    from_jiff(text.parse::<jiff::Timestamp>().unwrap())
}

fn office() -> BusinessCalendar {
    let hours = WeeklyHours::new((1..=5).map(|d| Period::new(d, 9 * 60, 17 * 60).unwrap()).collect()).unwrap();
    BusinessCalendar::new(time_zone("America/New_York").unwrap(), hours, vec![])
}

fn target(first_mins: i64, next_mins: i64, clock: Clock) -> Target {
    Target::new(Span::from_mins(first_mins), Span::from_mins(next_mins), clock).unwrap()
}

#[test]
fn the_most_specific_policy_wins() {
    let billing = target(8 * 60, 8 * 60, Clock::Business);
    let urgent_refill = target(30, 30, Clock::Wall);
    let urgent = target(60, 60, Clock::Wall);
    let policies = Policies::new(
        vec![
            Policy { priority: None, topic: Some(Topic::Billing), target: billing },
            Policy { priority: Some(Priority::Urgent), topic: Some(Topic::PrescriptionRefill), target: urgent_refill },
            Policy { priority: Some(Priority::Urgent), topic: None, target: urgent },
        ],
        80,
    )
    .unwrap();
    assert_eq!(policies.target_for(Priority::Routine, Topic::Billing), billing);
    // A target with no priority is for routine messages: an urgent one
    // about billing is due on the urgent target, around the clock.
    assert_eq!(policies.target_for(Priority::Urgent, Topic::Billing), urgent);
    assert_eq!(policies.target_for(Priority::Urgent, Topic::PrescriptionRefill), urgent_refill);
    assert_eq!(policies.target_for(Priority::Urgent, Topic::Scheduling), urgent);
    // Nothing covers routine scheduling: the default of 4 business hours.
    assert_eq!(policies.target_for(Priority::Routine, Topic::Scheduling), target(4 * 60, 4 * 60, Clock::Business));
    // Without an urgent target, urgent messages keep the default: 1 hour around the clock.
    let routine_only = Policies::new(vec![Policy { priority: None, topic: None, target: billing }], 75).unwrap();
    assert_eq!(routine_only.target_for(Priority::Urgent, Topic::Billing), target(60, 60, Clock::Wall));
    assert_eq!(routine_only.target_for(Priority::Routine, Topic::Billing), billing);
}

#[test]
fn defaults_are_one_hour_urgent_and_four_hours_routine() {
    let d = Policies::defaults();
    assert_eq!(d.target_for(Priority::Urgent, Topic::CareQuestion).first_response(), Span::from_hours(1));
    assert_eq!(d.target_for(Priority::Routine, Topic::CareQuestion).first_response(), Span::from_hours(4));
    // An emergency's hour runs around the clock, office hours or not.
    assert_eq!(d.target_for(Priority::Urgent, Topic::Billing).clock(), Clock::Wall);
    assert_eq!(d.target_for(Priority::Routine, Topic::Billing).clock(), Clock::Business);
    assert_eq!(d.due_soon_percent(), 75);
}

#[test]
fn bad_policies_are_refused() {
    assert_eq!(Target::new(Span::from_secs(30), Span::from_hours(1), Clock::Wall), Err(PolicyError::TargetOutOfRange));
    assert_eq!(
        Target::new(Span::from_hours(1), Span::from_hours(24 * 31), Clock::Wall),
        Err(PolicyError::TargetOutOfRange)
    );
    assert_eq!(Policies::new(vec![], 0), Err(PolicyError::DueSoonShare));
    assert_eq!(Policies::new(vec![], 100), Err(PolicyError::DueSoonShare));
    let p = Policy { priority: None, topic: Some(Topic::Billing), target: target(60, 60, Clock::Wall) };
    assert_eq!(Policies::new(vec![p, p], 50), Err(PolicyError::Duplicate));
}

#[test]
fn a_friday_afternoon_message_is_due_monday() {
    let d = deadline(
        &office(),
        &Policies::defaults(),
        at("2026-11-20T16:00:00-05:00"),
        Span::from_hours(4),
        Clock::Business,
    );
    assert_eq!(d.due_at, at("2026-11-23T12:00:00-05:00"));
    // 75 % of 4 hours is 3 hours: one on Friday, two on Monday.
    assert_eq!(d.due_soon_at, at("2026-11-23T11:00:00-05:00"));
    assert_eq!(state(&d, at("2026-11-21T12:00:00-05:00")), SlaState::OnTrack);
    assert_eq!(state(&d, at("2026-11-23T11:00:00-05:00")), SlaState::DueSoon);
    assert_eq!(state(&d, at("2026-11-23T12:00:00-05:00")), SlaState::Overdue);
    let wall =
        deadline(&office(), &Policies::defaults(), at("2026-11-20T16:00:00-05:00"), Span::from_hours(1), Clock::Wall);
    assert_eq!(wall.due_at, at("2026-11-20T17:00:00-05:00"));
    assert_eq!(wall.due_soon_at, at("2026-11-20T16:45:00-05:00"));
}

#[test]
fn a_practice_with_no_hours_still_gets_a_due_time() {
    let closed = BusinessCalendar::new(time_zone("UTC").unwrap(), WeeklyHours::default(), vec![]);
    let since = at("2026-11-20T16:00:00Z");
    let d = deadline(&closed, &Policies::defaults(), since, Span::from_hours(4), Clock::Business);
    assert_eq!(d.due_at, since.plus(Span::from_hours(4)));
}

#[test]
fn the_clock_runs_only_while_waiting_on_staff() {
    let mut s = ClockState::default();
    let t = at("2026-11-20T16:00:00Z");
    assert_eq!(on_turn(s, Turn::PatientWrote), ClockChange::Start { first: true });
    s.waiting_since = Some(t);
    assert_eq!(on_turn(s, Turn::PatientWrote), ClockChange::Keep);
    assert_eq!(on_turn(s, Turn::StaffReplied), ClockChange::Stop);
    s = ClockState { waiting_since: None, answered: true };
    assert_eq!(on_turn(s, Turn::StaffReplied), ClockChange::Keep);
    assert_eq!(on_turn(s, Turn::PatientWrote), ClockChange::Start { first: false });
    assert_eq!(on_turn(ClockState { waiting_since: Some(t), answered: true }, Turn::Closed), ClockChange::Stop);
    assert_eq!(on_turn(s, Turn::Reopened), ClockChange::Keep);
}

fn turn() -> impl Strategy<Value = Turn> {
    prop_oneof![Just(Turn::PatientWrote), Just(Turn::StaffReplied), Just(Turn::Closed), Just(Turn::Reopened)]
}

proptest! {
    /// Over any history, the clock runs exactly when the patient wrote
    /// after the last staff reply or close, and the first target applies
    /// only until staff first answer.
    #[test]
    fn the_clock_follows_whose_move_it_is(turns in prop::collection::vec(turn(), 0..30)) {
        let mut s = ClockState::default();
        let mut waiting = false;
        let mut staff_answered = false;
        for (i, t) in turns.iter().enumerate() {
            match on_turn(s, *t) {
                ClockChange::Start { first } => {
                    prop_assert_eq!(first, !staff_answered);
                    s.waiting_since = Some(Timestamp::from_micros(i as i64));
                }
                ClockChange::Stop => {
                    if *t == Turn::StaffReplied {
                        s.answered = true;
                    }
                    s.waiting_since = None;
                }
                ClockChange::Keep => {
                    if *t == Turn::StaffReplied {
                        s.answered = true;
                    }
                }
            }
            match t {
                Turn::PatientWrote => waiting = true,
                Turn::StaffReplied => { waiting = false; staff_answered = true; }
                Turn::Closed => waiting = false,
                Turn::Reopened => {}
            }
            prop_assert_eq!(s.waiting_since.is_some(), waiting);
        }
    }

    #[test]
    fn due_soon_comes_first_and_states_only_advance(
        since in 0i64..(400 * 86_400), allowed in 1i64..(10 * 24 * 60), wall in any::<bool>(),
        a in 0i64..(40 * 86_400), b in 0i64..(40 * 86_400),
    ) {
        let since = at("2026-01-01T00:00:00Z").plus(Span::from_secs(since));
        let clock = if wall { Clock::Wall } else { Clock::Business };
        let d = deadline(&office(), &Policies::defaults(), since, Span::from_mins(allowed), clock);
        prop_assert!(d.waiting_since <= d.due_soon_at && d.due_soon_at <= d.due_at);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(state(&d, since.plus(Span::from_secs(lo))) <= state(&d, since.plus(Span::from_secs(hi))));
    }
}
