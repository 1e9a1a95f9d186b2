use super::*;
use proptest::prelude::*;

fn id<T>(make: fn([u8; 16]) -> T, n: u8) -> T {
    make([n; 16])
}

fn at(h: i64) -> Timestamp {
    Timestamp::from_micros(h * 3_600_000_000)
}

fn shift(n: u8, user: u8, department: Option<u8>, from: i64, to: i64, position: u8) -> Shift {
    Shift {
        id: id(ShiftId::from_bytes, n),
        user: id(UserId::from_bytes, user),
        department: department.map(|d| id(DepartmentId::from_bytes, d)),
        starts_at: at(from),
        ends_at: at(to),
        position,
    }
}

#[test]
fn the_department_comes_first_then_the_practice_by_position() {
    let cardiology = Some(id(DepartmentId::from_bytes, 9));
    let shifts = [
        shift(1, 1, None, 0, 24, 0),
        shift(2, 2, Some(9), 0, 24, 1),
        shift(3, 3, Some(9), 0, 24, 0),
        shift(4, 4, Some(8), 0, 24, 0),
        shift(5, 5, None, 30, 40, 0),
        shift(6, 1, None, 0, 24, 1),
    ];
    let users: Vec<u8> = chain(&shifts, cardiology, at(5)).iter().map(|u| u.as_bytes()[0]).collect();
    assert_eq!(users, vec![3, 2, 1], "department by position, then the practice; user 1 once");
    let users: Vec<u8> = chain(&shifts, None, at(5)).iter().map(|u| u.as_bytes()[0]).collect();
    assert_eq!(users, vec![1]);
    assert!(chain(&shifts, None, at(24)).is_empty(), "a shift ends at its end");
    assert_eq!(chain(&shifts, None, at(30)).len(), 1);
}

#[test]
fn steps_page_each_person_then_the_fallback_then_stop() {
    assert_eq!(step(2, true, 0), PageStep::Person(0));
    assert_eq!(step(2, true, 1), PageStep::Person(1));
    assert_eq!(step(2, true, 2), PageStep::Fallback);
    assert_eq!(step(2, true, 3), PageStep::Done);
    assert_eq!(step(2, false, 2), PageStep::Done);
    assert_eq!(step(0, true, 0), PageStep::Fallback);
    assert_eq!(step(0, false, 0), PageStep::Done);
}

#[test]
fn shifts_are_checked() {
    assert_eq!(shift(1, 1, None, 5, 5, 0).check(), Err(ShiftError::Empty));
    assert_eq!(shift(1, 1, None, 5, 4, 0).check(), Err(ShiftError::Empty));
    assert_eq!(shift(1, 1, None, 0, 14 * 24 + 1, 0).check(), Err(ShiftError::TooLong));
    assert_eq!(shift(1, 1, None, 0, 12, 0).check(), Ok(()));
}

proptest! {
    /// Everyone in the chain has a shift covering the moment for the
    /// department or the practice, nobody twice, and nobody left out.
    #[test]
    fn the_chain_is_exactly_who_covers_the_moment(
        raw in proptest::collection::vec((0u8..6, proptest::option::of(0u8..3), 0i64..48, 1i64..24, 0u8..3), 0..12),
        department in proptest::option::of(0u8..3),
        hour in 0i64..72,
    ) {
        let shifts: Vec<Shift> = raw.iter().enumerate()
            .map(|(i, (u, d, from, len, pos))| shift(u8::try_from(i).unwrap(), *u, *d, *from, from + len, *pos))
            .collect();
        let dep = department.map(|d| id(DepartmentId::from_bytes, d));
        let got = chain(&shifts, dep, at(hour));
        let mut expected: Vec<UserId> = shifts.iter()
            .filter(|s| s.covers(at(hour)) && (s.department.is_none() || s.department == dep))
            .map(|s| s.user).collect();
        expected.sort();
        expected.dedup();
        let mut sorted = got.clone();
        sorted.sort();
        prop_assert_eq!(sorted.len(), got.len(), "nobody twice");
        prop_assert_eq!(sorted, expected);
    }
}
