//! Ages on birthdays and leap days, grants in and out of force,
//! invitation codes.

use super::*;
use proptest::prelude::*;

fn date(y: i64, m: i64, d: i64) -> CivilDate {
    CivilDate::from_ymd(y, m, d).unwrap()
}

fn any_date() -> impl Strategy<Value = CivilDate> {
    (1950i64..2060, 1i64..=12, 1i64..=31).prop_filter_map("a real date", |(y, m, d)| CivilDate::from_ymd(y, m, d))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The day after `d` (written out here, not taken from the code under test).
fn next_day(d: CivilDate) -> CivilDate {
    CivilDate::from_ymd(d.year(), d.month(), d.day() + 1)
        .or_else(|| CivilDate::from_ymd(d.year(), d.month() + 1, 1))
        .unwrap_or_else(|| date(d.year() + 1, 1, 1))
}

/// The day before `d`.
fn prev_day(d: CivilDate) -> CivilDate {
    CivilDate::from_ymd(d.year(), d.month(), d.day() - 1)
        .or_else(|| (28..=31).rev().find_map(|x| CivilDate::from_ymd(d.year(), d.month() - 1, x)))
        .unwrap_or_else(|| date(d.year() - 1, 12, 31))
}

#[test]
fn ages_on_and_around_birthdays() {
    let b = date(2012, 6, 15);
    assert_eq!(age_on(b, date(2024, 6, 14)), 11);
    assert_eq!(age_on(b, date(2024, 6, 15)), 12);
    assert_eq!(age_on(b, date(2030, 6, 14)), 17);
    assert_eq!(age_on(b, date(2030, 6, 15)), 18);
    assert_eq!(age_on(b, date(2000, 1, 1)), 0, "never negative");
}

#[test]
fn a_leap_day_birth_gains_its_year_on_the_first_of_march_in_common_years() {
    let b = date(2012, 2, 29);
    assert_eq!(age_on(b, date(2024, 2, 28)), 11);
    assert_eq!(age_on(b, date(2024, 2, 29)), 12, "a leap year has the birthday itself");
    assert_eq!(age_on(b, date(2025, 2, 28)), 12);
    assert_eq!(age_on(b, date(2025, 3, 1)), 13);
    assert_eq!(coming_of_age(b), Some(date(2030, 3, 1)));
    assert_eq!(coming_of_age(date(1996, 2, 29)), Some(date(2014, 3, 1)));
    assert_eq!(coming_of_age(date(2008, 2, 29)), Some(date(2026, 3, 1)));
    assert_eq!(coming_of_age(date(2010, 2, 28)), Some(date(2028, 2, 28)));
}

#[test]
fn standing_follows_the_practice_age() {
    let b = date(2012, 6, 15);
    let twelve = ConfidentialAge::DEFAULT;
    assert_eq!(minor_standing(b, date(2024, 6, 14), twelve), MinorStanding::Child);
    assert_eq!(minor_standing(b, date(2024, 6, 15), twelve), MinorStanding::ConfidentialMinor);
    assert_eq!(minor_standing(b, date(2030, 6, 15), twelve), MinorStanding::Adult);
    let off = ConfidentialAge::new(18).unwrap();
    assert_eq!(minor_standing(b, date(2029, 6, 15), off), MinorStanding::Child);
    assert!(ConfidentialAge::new(9).is_none() && ConfidentialAge::new(19).is_none());
}

#[test]
fn who_sees_a_new_conversation() {
    assert!(shared_at_start(Writer::Caregiver, true, None));
    assert!(!shared_at_start(Writer::Patient, true, None), "a confidential minor writes confidentially by default");
    assert!(shared_at_start(Writer::Patient, true, Some(true)));
    assert!(!shared_at_start(Writer::Staff, true, None));
    assert!(shared_at_start(Writer::Staff, false, None));
    assert!(shared_at_start(Writer::Patient, false, Some(false)), "only a confidential minor's choice counts");
}

#[test]
fn invitations_last_seven_days_once() {
    let t = Timestamp::from_micros(1_000_000);
    assert!(invitation_open(t, false, false, t));
    assert!(invitation_open(t, false, false, t.plus(Span::from_micros(INVITATION_LIFETIME.as_micros() - 1))));
    assert!(!invitation_open(t, false, false, t.plus(INVITATION_LIFETIME)));
    assert!(!invitation_open(t, true, false, t));
    assert!(!invitation_open(t, false, true, t));
}

#[test]
fn codes_are_typed_loosely_and_shown_in_groups() {
    let c = InvitationCode::from_random(&[0u8; 12]).unwrap();
    assert_eq!(c.display(), "aaaa-aaaa-aaaa");
    assert_eq!(InvitationCode::parse(" AAAA-aaaa aaaa "), Some(c.clone()));
    assert!(InvitationCode::parse("aaaa-aaaa-aaa").is_none());
    assert!(InvitationCode::parse("aaaa-aaaa-aaa0").is_none(), "0 is not in the alphabet");
    assert!(InvitationCode::from_random(&[250u8; 40]).is_none());
    assert_eq!(format!("{c:?}"), "InvitationCode(<redacted>)");
}

#[test]
fn days_in_the_practice_zone() {
    let zone = crate::hours::time_zone("America/New_York").unwrap();
    // 2026-03-01 03:00 UTC is still 28 February in New York.
    let t = Timestamp::parse_rfc3339("2026-03-01T03:00:00Z").unwrap();
    assert_eq!(today_in(&zone, t), Some(date(2026, 2, 28)));
    let start = day_starts(&zone, date(2026, 3, 1)).unwrap();
    assert_eq!(start, Timestamp::parse_rfc3339("2026-03-01T05:00:00Z").unwrap());
    assert_eq!(today_in(&zone, start), Some(date(2026, 3, 1)));
}

#[test]
fn relationships_round_trip() {
    for r in CaregiverRelationship::ALL {
        assert_eq!(CaregiverRelationship::parse(r.as_str()), Some(r));
    }
    assert_eq!(
        on_behalf_line("Jane Doe", CaregiverRelationship::Mother, "Sam Doe"),
        "sent by Jane Doe (mother) on behalf of Sam Doe"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A year of age is added exactly on the birthday (1 March for a
    /// 29 February birth in a common year), and on no other day.
    #[test]
    fn age_changes_only_on_birthdays(birth in any_date(), today in any_date()) {
        let tomorrow = next_day(today);
        let (a, b) = (age_on(birth, today), age_on(birth, tomorrow));
        let birthday = if birth.month() == 2 && birth.day() == 29 && !is_leap(tomorrow.year()) {
            tomorrow.month() == 3 && tomorrow.day() == 1
        } else {
            tomorrow.month() == birth.month() && tomorrow.day() == birth.day()
        };
        if tomorrow > birth && birthday {
            prop_assert_eq!(b, a + 1);
        } else {
            prop_assert_eq!(b, a);
        }
    }

    /// The 18th birthday is the first day of age 18.
    #[test]
    fn coming_of_age_is_the_first_adult_day(birth in any_date()) {
        prop_assume!(birth.year() + ADULT_AGE <= 9999);
        let day = coming_of_age(birth).unwrap();
        prop_assert_eq!(age_on(birth, day), ADULT_AGE);
        prop_assert_eq!(age_on(birth, prev_day(day)), ADULT_AGE - 1);
        prop_assert_eq!(minor_standing(birth, day, ConfidentialAge::DEFAULT), MinorStanding::Adult);
    }

    /// A grant is in force from its start, until it ends or is revoked,
    /// never after either.
    #[test]
    fn grants_end_when_they_say(from in 0i64..100, until in proptest::option::of(0i64..100),
                                revoked in proptest::option::of(0i64..100), now in 0i64..100) {
        let t = Timestamp::from_micros;
        let active = grant_active(t(from), until.map(t), revoked.map(t), t(now));
        let expected = now >= from && until.is_none_or(|u| now < u) && revoked.is_none_or(|r| now < r);
        prop_assert_eq!(active, expected);
    }

    #[test]
    fn codes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 12..40)) {
        if let Some(c) = InvitationCode::from_random(&bytes) {
            prop_assert_eq!(InvitationCode::parse(&c.display()), Some(c.clone()));
            prop_assert_eq!(InvitationCode::parse(&c.display().to_uppercase()), Some(c));
        }
    }
}
