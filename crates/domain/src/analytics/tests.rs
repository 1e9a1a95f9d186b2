use super::*;
use crate::hours::{Period, WeeklyHours, from_jiff, time_zone};
use proptest::prelude::*;

fn at(text: &str) -> Timestamp {
    from_jiff(text.parse::<jiff::Timestamp>().unwrap())
}

fn office() -> BusinessCalendar {
    let hours = WeeklyHours::new((1..=5).map(|d| Period::new(d, 9 * 60, 17 * 60).unwrap()).collect()).unwrap();
    BusinessCalendar::new(time_zone("America/New_York").unwrap(), hours, vec![])
}

fn group(n: u8, name: &str) -> Group {
    Group { id: [n; 16], name: name.to_owned() }
}

#[test]
fn nearest_rank_percentiles() {
    assert_eq!(percentile(&mut [], 50), None);
    assert_eq!(percentile(&mut [7], 90), Some(7));
    assert_eq!(percentile(&mut [40, 10, 30, 20], 50), Some(20));
    assert_eq!(percentile(&mut [40, 10, 30, 20], 90), Some(40));
    let mut v: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&mut v, 90), Some(9));
    assert_eq!(percentile(&mut v, 100), Some(10));
    assert_eq!(percentile(&mut v, 0), Some(1));
}

#[test]
fn response_times_in_business_and_wall_time() {
    let cal = office();
    let billing = group(1, "Billing");
    let fact =
        |created: &str, first: Option<&str>, due: &str, closed: Option<&str>, pool: Option<Group>| ConversationFact {
            created_at: at(created),
            first_response_at: first.map(at),
            first_due_at: Some(at(due)),
            closed_at: closed.map(at),
            topic: if pool.is_some() { Topic::Billing } else { Topic::CareQuestion },
            department: None,
            pool,
            person: None,
        };
    let facts = vec![
        // Monday 10:00 → answered 11:00 (60 business, 60 wall), on time.
        fact("2026-01-05T15:00:00Z", Some("2026-01-05T16:00:00Z"), "2026-01-05T19:00:00Z", None, None),
        // Friday 16:00 → answered Monday 10:00: 2 business hours, 66 wall; late.
        fact(
            "2026-01-09T21:00:00Z",
            Some("2026-01-12T15:00:00Z"),
            "2026-01-12T14:00:00Z",
            Some("2026-01-12T16:00:00Z"),
            Some(billing.clone()),
        ),
        // Never answered.
        fact("2026-01-06T15:00:00Z", None, "2026-01-06T19:00:00Z", None, Some(billing)),
    ];
    let rows = response_times(&facts, |_| &cal);
    let all = rows.iter().find(|r| r.dimension == "practice").unwrap();
    assert_eq!((all.conversations, all.answered, all.resolved), (3, 2, 1));
    assert_eq!(all.first_response_business, Quantiles { median: Some(60), p90: Some(120) });
    assert_eq!(all.first_response_wall, Quantiles { median: Some(60), p90: Some(66 * 60) });
    assert_eq!(all.resolution_business, Quantiles { median: Some(180), p90: Some(180) });
    assert_eq!(all.within_target_percent, Some(33));
    let pool = rows.iter().find(|r| r.dimension == "pool" && r.group == "Billing").unwrap();
    assert_eq!((pool.conversations, pool.answered, pool.within_target_percent), (2, 1, Some(0)));
    assert!(rows.iter().any(|r| r.dimension == "topic" && r.group == Topic::CareQuestion.label()));
    assert!(!rows.iter().any(|r| r.dimension == "person"), "no assignee, no row");
}

#[test]
fn volume_by_day_and_hour_of_the_week() {
    let cal = office();
    let m = |t: &str, from_patient: bool| MessageFact {
        at: at(t),
        from_patient,
        topic: Topic::Scheduling,
        department: None,
        sender: None,
    };
    // Sunday 23:30 in New York is Monday 04:30 UTC: it counts on Sunday.
    let messages =
        vec![m("2026-01-05T04:30:00Z", true), m("2026-01-05T15:10:00Z", true), m("2026-01-05T15:50:00Z", false)];
    let days = daily(&cal, &[], &messages, "2026-01-04".parse().unwrap(), "2026-01-06".parse().unwrap());
    assert_eq!(
        days.iter().map(|d| (d.day.as_str(), d.messages, d.from_patients)).collect::<Vec<_>>(),
        [("2026-01-04", 1, 1), ("2026-01-05", 2, 1), ("2026-01-06", 0, 0)]
    );
    let grid = heat_map(&cal, &messages);
    assert_eq!(grid[6][23], 1, "Sunday 11 PM");
    assert_eq!(grid[0][10], 1, "Monday 10 AM; the staff message is not counted");
    assert_eq!(grid.iter().flatten().sum::<usize>(), 2);
    let by = volume_by(&[], &messages);
    assert_eq!(by.iter().find(|r| r.dimension == "topic").unwrap().messages, 3);
}

#[test]
fn backlog_by_age() {
    let now = at("2026-01-10T12:00:00Z");
    let b = backlog(
        &[
            (at("2026-01-10T11:00:00Z"), Some(at("2026-01-10T15:00:00Z"))),
            (at("2026-01-10T02:00:00Z"), Some(at("2026-01-10T06:00:00Z"))),
            (at("2026-01-08T12:00:00Z"), None),
            (at("2026-01-01T12:00:00Z"), Some(at("2026-01-01T16:00:00Z"))),
        ],
        now,
    );
    assert_eq!(b.by_age, [1, 1, 1, 1]);
    assert_eq!(b.oldest_minutes, Some(9 * 24 * 60));
    assert_eq!(b.overdue, 2);
}

#[test]
fn workload_per_person() {
    let (nina, patel) = (group(1, "Nina"), group(2, "Dr. Patel"));
    let rows = workload(
        &[nina.clone(), nina.clone(), patel.clone()],
        &[(nina.clone(), [9; 16]), (nina.clone(), [9; 16]), (nina.clone(), [8; 16])],
        &[
            Reassignment { from: Some(nina.clone()), to: Some(patel.clone()), code: HistoryCode::Reassigned },
            Reassignment { from: Some(nina.clone()), to: Some(patel.clone()), code: HistoryCode::Escalated },
        ],
    );
    let n = rows.iter().find(|r| r.person == "Nina").unwrap();
    assert_eq!((n.open, n.handled, n.messages_sent, n.reassigned_away), (2, 2, 3, 1));
    let p = rows.iter().find(|r| r.person == "Dr. Patel").unwrap();
    assert_eq!((p.open, p.escalations_received), (1, 1));
}

#[test]
fn satisfaction_average_and_distribution() {
    let s = satisfaction(&[5, 4, 4, 1]);
    assert_eq!(s.ratings, 4);
    assert_eq!(s.average_hundredths, Some(350));
    assert_eq!(s.distribution, [1, 0, 0, 2, 1]);
    assert_eq!(satisfaction(&[5, 4, 4]).average_hundredths, Some(433));
    assert_eq!(satisfaction(&[]).average_hundredths, None);
}

fn seen(user: &Group, patient: u8, opened: usize, listed: usize) -> PatientAccess {
    PatientAccess { user: user.clone(), patient: [patient; 16], opened, listed }
}

#[test]
fn unusual_access_stands_out() {
    let users: Vec<Group> = (0..4).map(|i| group(i, &format!("user {i}"))).collect();
    let mut views = Vec::new();
    for (i, u) in users.iter().enumerate() {
        views.push(seen(u, 1, 5 + i, 0));
    }
    // user 3 opens 40 more patients' records once each.
    for p in 0..40u8 {
        views.push(seen(&users[3], p.wrapping_add(100), 1, 0));
    }
    let rows = access(&views);
    assert_eq!(rows[0].user.name, "user 3");
    assert_eq!((rows[0].patients_opened, rows[0].opens), (41, 48));
    assert!(rows[0].unusual);
    assert!(rows.iter().skip(1).all(|r| !r.unusual));
}

#[test]
fn list_refreshes_are_not_unusual_access() {
    // A nurse whose inbox refreshed 108 times over two patients, and a
    // colleague who opened one conversation: nobody browsed.
    let nurse = group(1, "nurse");
    let other = group(2, "other");
    let views = vec![seen(&nurse, 1, 1, 60), seen(&nurse, 2, 0, 48), seen(&other, 1, 1, 3)];
    let rows = access(&views);
    assert!(rows.iter().all(|r| !r.unusual), "{rows:?}");
    let n = rows.iter().find(|r| r.user.name == "nurse").unwrap();
    assert_eq!((n.patients_opened, n.opens, n.patients_listed), (1, 1, 2));
    // Opening 30 patients' conversations when colleagues open one is.
    let mut views = views;
    for p in 10..40u8 {
        views.push(seen(&nurse, p, 1, 0));
    }
    let third = group(3, "third");
    views.push(seen(&third, 1, 2, 0));
    assert!(access(&views).iter().find(|r| r.user.name == "nurse").unwrap().unusual);
}

proptest! {
    #[test]
    fn a_percentile_is_one_of_the_values_and_ordered(mut v in prop::collection::vec(-1000i64..1000, 1..50)) {
        let p50 = percentile(&mut v, 50).unwrap();
        let p90 = percentile(&mut v, 90).unwrap();
        prop_assert!(v.contains(&p50) && v.contains(&p90));
        prop_assert!(p50 <= p90);
        let below = v.iter().filter(|x| **x <= p50).count();
        prop_assert!(below * 2 >= v.len());
    }
}
