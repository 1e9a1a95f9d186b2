use super::*;
use proptest::prelude::*;

fn at(text: &str) -> Timestamp {
    from_jiff(text.parse::<jiff::Timestamp>().unwrap())
}

fn weekdays(opens: u16, closes: u16) -> WeeklyHours {
    WeeklyHours::new((1..=5).map(|d| Period::new(d, opens, closes).unwrap()).collect()).unwrap()
}

fn new_york(hours: WeeklyHours, closures: Vec<Closure>) -> BusinessCalendar {
    BusinessCalendar::new(time_zone("America/New_York").unwrap(), hours, closures)
}

fn closure(first: &str, last: &str) -> Closure {
    Closure::new(parse_date(first).unwrap(), parse_date(last).unwrap()).unwrap()
}

const HOUR: Span = Span::from_hours(1);

#[test]
fn four_business_hours_over_a_weekend_that_changes_the_clocks() {
    // Clocks go forward in New York on Sunday 2026-03-08.
    let cal = new_york(weekdays(9 * 60, 17 * 60), vec![]);
    let friday_4pm = at("2026-03-06T16:00:00-05:00");
    let due = cal.add(friday_4pm, Span::from_hours(4)).unwrap();
    assert_eq!(due, at("2026-03-09T12:00:00-04:00"));
    assert_eq!(cal.between(friday_4pm, due), Span::from_hours(4));
    // And back on Sunday 2026-11-01.
    let friday = at("2026-10-30T15:30:00-04:00");
    assert_eq!(cal.add(friday, Span::from_hours(2)).unwrap(), at("2026-11-02T09:30:00-05:00"));
}

#[test]
fn holidays_count_no_time() {
    let cal = new_york(weekdays(9 * 60, 17 * 60), vec![closure("2026-11-26", "2026-11-27")]);
    let wednesday_3pm = at("2026-11-25T15:00:00-05:00");
    assert_eq!(cal.add(wednesday_3pm, Span::from_hours(4)).unwrap(), at("2026-11-30T11:00:00-05:00"));
    assert!(!cal.is_open(at("2026-11-26T10:00:00-05:00")));
    assert!(cal.is_open(at("2026-11-25T10:00:00-05:00")));
}

#[test]
fn a_message_sent_while_closed_starts_counting_at_the_next_opening() {
    let cal = new_york(weekdays(8 * 60, 17 * 60), vec![]);
    let saturday = at("2026-11-21T10:00:00-05:00");
    assert_eq!(cal.next_open(saturday).unwrap(), at("2026-11-23T08:00:00-05:00"));
    assert_eq!(cal.add(saturday, HOUR).unwrap(), at("2026-11-23T09:00:00-05:00"));
    let monday_night = at("2026-11-23T22:00:00-05:00");
    assert_eq!(cal.next_open(monday_night).unwrap(), at("2026-11-24T08:00:00-05:00"));
}

#[test]
fn a_target_that_ends_at_closing_time_ends_then() {
    let cal = new_york(weekdays(9 * 60, 17 * 60), vec![]);
    assert_eq!(cal.add(at("2026-11-23T13:00:00-05:00"), Span::from_hours(4)).unwrap(), at("2026-11-23T17:00:00-05:00"));
}

#[test]
fn hours_across_midnight() {
    // An overnight service: 22:00–24:00 and 00:00–06:00 every day.
    let periods = (1..=7).flat_map(|d| [Period::new(d, 22 * 60, 1440).unwrap(), Period::new(d, 0, 6 * 60).unwrap()]);
    let cal = new_york(WeeklyHours::new(periods.collect()).unwrap(), vec![]);
    let t = at("2026-11-24T23:00:00-05:00");
    assert_eq!(cal.add(t, Span::from_hours(2)).unwrap(), at("2026-11-25T01:00:00-05:00"));
    assert_eq!(cal.add(t, Span::from_hours(8)).unwrap(), at("2026-11-25T23:00:00-05:00"));
}

#[test]
fn days_that_are_23_and_25_hours_long() {
    let always = WeeklyHours::new((1..=7).map(|d| Period::new(d, 0, 1440).unwrap()).collect()).unwrap();
    let cal = new_york(always, vec![]);
    let day = |date: &str| {
        let d = parse_date(date).unwrap();
        (cal.instant(d, 0).unwrap(), cal.instant(d, 1440).unwrap())
    };
    let (a, b) = day("2026-03-08");
    assert_eq!(cal.between(a, b), Span::from_hours(23));
    let (a, b) = day("2026-11-01");
    assert_eq!(cal.between(a, b), Span::from_hours(25));
}

#[test]
fn a_calendar_with_no_hours_has_no_business_time() {
    let cal = new_york(WeeklyHours::default(), vec![]);
    assert_eq!(cal.add(at("2026-11-23T13:00:00-05:00"), HOUR), None);
    assert_eq!(cal.between(at("2026-11-23T13:00:00-05:00"), at("2026-11-30T13:00:00-05:00")), Span::from_micros(0));
}

#[test]
fn bad_hours_are_refused() {
    assert_eq!(Period::new(0, 60, 120), Err(HoursError::Weekday));
    assert_eq!(Period::new(8, 60, 120), Err(HoursError::Weekday));
    assert_eq!(Period::new(1, 120, 120), Err(HoursError::Period));
    assert_eq!(Period::new(1, 0, 1441), Err(HoursError::Period));
    let overlapping = vec![Period::new(1, 60, 180).unwrap(), Period::new(1, 120, 240).unwrap()];
    assert_eq!(WeeklyHours::new(overlapping), Err(HoursError::Overlap));
    let touching = vec![Period::new(1, 60, 120).unwrap(), Period::new(1, 120, 240).unwrap()];
    assert!(WeeklyHours::new(touching).is_ok());
    assert_eq!(
        Closure::new(parse_date("2026-12-26").unwrap(), parse_date("2026-12-25").unwrap()),
        Err(HoursError::Closure)
    );
    assert_eq!(
        Closure::new(parse_date("2026-01-01").unwrap(), parse_date("2027-06-01").unwrap()),
        Err(HoursError::Closure)
    );
    assert!(parse_date("2026-02-30").is_err());
    assert!(parse_date("20261201").is_err());
    assert!(time_zone("Mars/Olympus_Mons").is_err());
    assert!(time_zone("Europe/London").is_ok());
}

#[test]
fn labels_for_patients() {
    let cal = new_york(weekdays(8 * 60, 17 * 60), vec![]);
    let now = at("2026-11-20T18:00:00-05:00"); // a Friday evening
    assert_eq!(cal.describe(at("2026-11-20T19:30:00-05:00"), now), "today at 7:30 PM");
    assert_eq!(cal.describe(at("2026-11-21T08:00:00-05:00"), now), "tomorrow at 8:00 AM");
    assert_eq!(cal.describe(at("2026-11-23T08:00:00-05:00"), now), "Monday at 8:00 AM");
    assert_eq!(cal.describe(at("2026-12-01T12:00:00-05:00"), now), "Tuesday, December 1 at 12:00 PM");
}

// Property tests over random calendars in zones with unusual transitions:
// half-hour daylight saving (Lord Howe), changes at midnight (Santiago),
// none at all (Kolkata, UTC).
const ZONES: [&str; 6] =
    ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"];
const START: i64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
const TWO_YEARS: i64 = 2 * 365 * 86_400_000_000;

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    let period = (1u8..=7, 0u16..1440, 1u16..=720)
        .prop_map(|(d, opens, len)| Period::new(d, opens, (opens + len).min(1440)).unwrap());
    let closure = (0i32..700, 0i32..10).prop_map(|(start, len)| {
        let first = parse_date("2026-01-01").unwrap().checked_add(jiff::Span::new().days(start)).unwrap();
        Closure::new(first, first.checked_add(jiff::Span::new().days(len)).unwrap()).unwrap()
    });
    (0..ZONES.len(), prop::collection::vec(period, 0..10), prop::collection::vec(closure, 0..6)).prop_map(
        |(zone, periods, closures)| {
            // Drop overlaps rather than reject the case.
            let mut kept: Vec<Period> = Vec::new();
            for p in periods {
                if kept.iter().all(|k| k.weekday != p.weekday || p.closes <= k.opens || k.closes <= p.opens) {
                    kept.push(p);
                }
            }
            BusinessCalendar::new(time_zone(ZONES[zone]).unwrap(), WeeklyHours::new(kept).unwrap(), closures)
        },
    )
}

fn instant() -> impl Strategy<Value = Timestamp> {
    (0..TWO_YEARS).prop_map(|m| Timestamp::from_micros(START + m))
}

fn business_span() -> impl Strategy<Value = Span> {
    (0i64..30 * 86_400).prop_map(Span::from_secs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn between_undoes_add(cal in calendar(), t in instant(), d in business_span()) {
        if let Some(due) = cal.add(t, d) {
            prop_assert!(due >= t);
            prop_assert_eq!(cal.between(t, due), d);
            if d.as_micros() > 0 {
                // It ends on open time, not in a closed stretch.
                prop_assert!(cal.is_open(due.minus(Span::from_micros(1))));
            }
        }
    }

    #[test]
    fn add_is_monotone(cal in calendar(), t in instant(), a in business_span(), b in business_span()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        if let (Some(x), Some(y)) = (cal.add(t, lo), cal.add(t, hi)) {
            prop_assert!(x <= y);
        }
    }

    #[test]
    fn next_open_is_open_and_nothing_is_skipped(cal in calendar(), t in instant()) {
        match cal.next_open(t) {
            Some(open) => {
                prop_assert!(open >= t);
                prop_assert!(cal.is_open(open));
                prop_assert_eq!(cal.between(t, open), Span::from_micros(0));
                prop_assert_eq!(open == t, cal.is_open(t));
            }
            None => prop_assert!(!cal.is_open(t)),
        }
    }

    #[test]
    fn between_is_additive_and_bounded(cal in calendar(), a in instant(), b in instant(), c in instant()) {
        let mut v = [a, b, c];
        v.sort();
        let [a, b, c] = v;
        prop_assert_eq!(cal.between(a, b).as_micros() + cal.between(b, c).as_micros(), cal.between(a, c).as_micros());
        prop_assert!(cal.between(a, c) <= c.since(a));
    }

    #[test]
    fn closed_days_are_closed(cal in calendar(), t in instant()) {
        if cal.is_closed_on(cal.local_date(t)) {
            prop_assert!(!cal.is_open(t));
        }
    }

    #[test]
    fn intervals_are_ordered_and_disjoint(cal in calendar(), t in instant()) {
        let mut last: Option<Timestamp> = None;
        for (start, end) in cal.intervals_from(t).take(40) {
            prop_assert!(start < end);
            prop_assert!(end > t);
            if let Some(l) = last {
                prop_assert!(start >= l);
            }
            last = Some(end);
        }
    }
}
