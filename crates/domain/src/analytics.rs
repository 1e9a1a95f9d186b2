//! Practice analytics as pure functions of plain facts: response times,
//! volume, backlog, workload, satisfaction and access. The service loads
//! the facts for a period; everything here is arithmetic, so the figures
//! can be checked exactly.
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n
//! sorted values is the value at rank ⌈p/100 · n⌉, always one of the
//! values. Times are whole minutes.

use crate::history::HistoryCode;
use crate::hours::{BusinessCalendar, to_jiff};
use crate::time::{Span, Timestamp};
use crate::topic::Topic;
use std::collections::BTreeMap;

/// Something results are grouped by: a department, pool or person.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub id: [u8; 16],
    pub name: String,
}

/// One conversation started in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationFact {
    pub created_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    /// The first response was due by then.
    pub first_due_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub topic: Topic,
    pub department: Option<Group>,
    pub pool: Option<Group>,
    /// Who has it (the assignee).
    pub person: Option<Group>,
}

/// The nearest-rank `p`-th percentile of `values` (sorted here).
pub fn percentile(values: &mut [i64], p: u8) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = (usize::from(p.min(100)) * n).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// Median and 90th percentile, in minutes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quantiles {
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

fn quantiles(mut minutes: Vec<i64>) -> Quantiles {
    Quantiles { median: percentile(&mut minutes, 50), p90: percentile(&mut minutes, 90) }
}

fn minutes(span: Span) -> i64 {
    span.as_micros() / 60_000_000
}

/// Response times of one group of conversations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseRow {
    /// `practice`, `department`, `pool`, `topic` or `person`.
    pub dimension: &'static str,
    pub group: String,
    pub conversations: usize,
    pub answered: usize,
    pub first_response_business: Quantiles,
    pub first_response_wall: Quantiles,
    pub resolved: usize,
    pub resolution_business: Quantiles,
    pub resolution_wall: Quantiles,
    /// Answered by the first due time, of those with one, in whole percent.
    pub within_target_percent: Option<u8>,
}

/// Response times by practice, department, pool, topic and person.
/// `calendar` gives the business calendar a conversation is measured on.
pub fn response_times<'c>(
    facts: &[ConversationFact],
    calendar: impl Fn(&ConversationFact) -> &'c BusinessCalendar,
) -> Vec<ResponseRow> {
    let mut groups: BTreeMap<(u8, &'static str, String), Vec<&ConversationFact>> = BTreeMap::new();
    for f in facts {
        groups.entry((0, "practice", "All".to_owned())).or_default().push(f);
        let keyed = [
            (1, "department", f.department.as_ref().map(|g| g.name.clone())),
            (2, "pool", f.pool.as_ref().map(|g| g.name.clone())),
            (3, "topic", Some(f.topic.label().to_owned())),
            (4, "person", f.person.as_ref().map(|g| g.name.clone())),
        ];
        for (order, dimension, name) in keyed {
            if let Some(name) = name {
                groups.entry((order, dimension, name)).or_default().push(f);
            }
        }
    }
    groups
        .into_iter()
        .map(|((_, dimension, group), list)| {
            let mut first_b = Vec::new();
            let mut first_w = Vec::new();
            let mut res_b = Vec::new();
            let mut res_w = Vec::new();
            let (mut due, mut within) = (0usize, 0usize);
            for f in &list {
                let cal = calendar(f);
                if let Some(r) = f.first_response_at {
                    first_b.push(minutes(cal.between(f.created_at, r)));
                    first_w.push(minutes(r.since(f.created_at)));
                }
                if let Some(c) = f.closed_at {
                    res_b.push(minutes(cal.between(f.created_at, c)));
                    res_w.push(minutes(c.since(f.created_at)));
                }
                if let Some(d) = f.first_due_at {
                    due += 1;
                    if f.first_response_at.is_some_and(|r| r <= d) {
                        within += 1;
                    }
                }
            }
            ResponseRow {
                dimension,
                group,
                conversations: list.len(),
                answered: first_w.len(),
                resolved: res_w.len(),
                first_response_business: quantiles(first_b),
                first_response_wall: quantiles(first_w),
                resolution_business: quantiles(res_b),
                resolution_wall: quantiles(res_w),
                within_target_percent: (due > 0).then(|| u8::try_from(within * 100 / due).unwrap_or(100)),
            }
        })
        .collect()
}

/// One message in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFact {
    pub at: Timestamp,
    pub from_patient: bool,
    pub topic: Topic,
    pub department: Option<Group>,
    /// The staff member who wrote it.
    pub sender: Option<Group>,
}

/// Messages and new conversations on one local day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayRow {
    /// `YYYY-MM-DD` in the practice's time zone.
    pub day: String,
    pub conversations: usize,
    pub messages: usize,
    pub from_patients: usize,
}

/// Per local day from `first` to `last` inclusive, days with nothing
/// included, so charts have no gaps.
pub fn daily(
    calendar: &BusinessCalendar,
    conversations: &[ConversationFact],
    messages: &[MessageFact],
    first: jiff::civil::Date,
    last: jiff::civil::Date,
) -> Vec<DayRow> {
    let mut by_day: BTreeMap<jiff::civil::Date, DayRow> = BTreeMap::new();
    let mut d = first;
    while d <= last && by_day.len() <= 3660 {
        by_day.insert(d, DayRow { day: d.to_string(), conversations: 0, messages: 0, from_patients: 0 });
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    for c in conversations {
        if let Some(row) = by_day.get_mut(&calendar.local_date(c.created_at)) {
            row.conversations += 1;
        }
    }
    for m in messages {
        if let Some(row) = by_day.get_mut(&calendar.local_date(m.at)) {
            row.messages += 1;
            row.from_patients += usize::from(m.from_patient);
        }
    }
    by_day.into_values().collect()
}

/// Messages from patients by local weekday (0 = Monday) and hour.
pub fn heat_map(calendar: &BusinessCalendar, messages: &[MessageFact]) -> [[usize; 24]; 7] {
    let mut grid = [[0usize; 24]; 7];
    for m in messages.iter().filter(|m| m.from_patient) {
        let z = to_jiff(m.at).to_zoned(calendar.zone().clone());
        let day = usize::try_from(z.weekday().to_monday_zero_offset()).unwrap_or(0);
        let hour = usize::try_from(z.hour()).unwrap_or(0);
        if let Some(cell) = grid.get_mut(day).and_then(|r| r.get_mut(hour)) {
            *cell += 1;
        }
    }
    grid
}

/// Conversations and messages per topic or department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountRow {
    pub dimension: &'static str,
    pub group: String,
    pub conversations: usize,
    pub messages: usize,
}

pub fn volume_by(conversations: &[ConversationFact], messages: &[MessageFact]) -> Vec<CountRow> {
    let mut rows: BTreeMap<(&'static str, String), (usize, usize)> = BTreeMap::new();
    let dept = |g: &Option<Group>| g.as_ref().map(|g| g.name.clone()).unwrap_or_else(|| "No department".into());
    for c in conversations {
        rows.entry(("topic", c.topic.label().to_owned())).or_default().0 += 1;
        rows.entry(("department", dept(&c.department))).or_default().0 += 1;
    }
    for m in messages {
        rows.entry(("topic", m.topic.label().to_owned())).or_default().1 += 1;
        rows.entry(("department", dept(&m.department))).or_default().1 += 1;
    }
    rows.into_iter()
        .map(|((dimension, group), (conversations, messages))| CountRow { dimension, group, conversations, messages })
        .collect()
}

/// Conversations waiting on staff now, by how long they have waited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backlog {
    pub waiting: usize,
    /// Under 4 hours, 4 to 24 hours, 1 to 3 days, over 3 days.
    pub by_age: [usize; 4],
    pub oldest_minutes: Option<i64>,
    pub overdue: usize,
}

pub const BACKLOG_BUCKETS: [&str; 4] = ["under 4 hours", "4 to 24 hours", "1 to 3 days", "over 3 days"];

/// `waiting` holds, per waiting conversation, when the wait began and when
/// the answer is due.
pub fn backlog(waiting: &[(Timestamp, Option<Timestamp>)], now: Timestamp) -> Backlog {
    let mut by_age = [0usize; 4];
    let mut oldest = None::<i64>;
    let mut overdue = 0;
    for (since, due) in waiting {
        let age = minutes(now.since(*since)).max(0);
        let bucket = match age {
            a if a < 4 * 60 => 0,
            a if a < 24 * 60 => 1,
            a if a < 72 * 60 => 2,
            _ => 3,
        };
        if let Some(b) = by_age.get_mut(bucket) {
            *b += 1;
        }
        oldest = Some(oldest.map_or(age, |o| o.max(age)));
        overdue += usize::from(due.is_some_and(|d| d <= now));
    }
    Backlog { waiting: waiting.len(), by_age, oldest_minutes: oldest, overdue }
}

/// One person's work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkloadRow {
    pub person: String,
    /// Assigned and not closed, now.
    pub open: usize,
    /// Conversations they wrote in during the period.
    pub handled: usize,
    pub messages_sent: usize,
    /// Reassignments away from them in the period.
    pub reassigned_away: usize,
    /// Escalations to them (providers) in the period.
    pub escalations_received: usize,
}

/// A change of assignee in the period: from whom, to whom, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassignment {
    pub from: Option<Group>,
    pub to: Option<Group>,
    pub code: HistoryCode,
}

pub fn workload(
    open_assignees: &[Group],
    messages: &[(Group, [u8; 16])],
    changes: &[Reassignment],
) -> Vec<WorkloadRow> {
    let mut rows: BTreeMap<Group, WorkloadRow> = BTreeMap::new();
    for g in open_assignees {
        entry(&mut rows, g).open += 1;
    }
    let mut handled: BTreeMap<Group, std::collections::BTreeSet<[u8; 16]>> = BTreeMap::new();
    for (g, conversation) in messages {
        entry(&mut rows, g).messages_sent += 1;
        handled.entry(g.clone()).or_default().insert(*conversation);
    }
    for (g, set) in handled {
        entry(&mut rows, &g).handled = set.len();
    }
    for c in changes {
        if c.code == HistoryCode::Escalated {
            if let Some(to) = &c.to {
                entry(&mut rows, to).escalations_received += 1;
            }
        } else if let (Some(from), true) = (&c.from, c.to != c.from) {
            entry(&mut rows, from).reassigned_away += 1;
        }
    }
    rows.into_values().collect()
}

fn entry<'a>(rows: &'a mut BTreeMap<Group, WorkloadRow>, g: &Group) -> &'a mut WorkloadRow {
    rows.entry(g.clone()).or_insert_with(|| WorkloadRow { person: g.name.clone(), ..WorkloadRow::default() })
}

/// Ratings: how many, their average (two decimals, as hundredths) and how
/// many of each score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Satisfaction {
    pub ratings: usize,
    pub average_hundredths: Option<i64>,
    /// Index 0 is a score of 1.
    pub distribution: [usize; 5],
}

pub fn satisfaction(scores: &[u8]) -> Satisfaction {
    let mut distribution = [0usize; 5];
    let mut sum = 0i64;
    for s in scores {
        if let Some(d) = distribution.get_mut(usize::from(s.clamp(&1, &5) - 1)) {
            *d += 1;
        }
        sum += i64::from(*s);
    }
    let n = i64::try_from(scores.len()).unwrap_or(i64::MAX);
    // Rounded half up to hundredths.
    let average_hundredths = (n > 0).then(|| (sum * 1000 / n + 5) / 10);
    Satisfaction { ratings: scores.len(), average_hundredths, distribution }
}

/// One staff member's reach into one patient's conversations in a period,
/// from the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientAccess {
    pub user: Group,
    pub patient: [u8; 16],
    /// Times they opened one of the patient's conversations.
    pub opened: usize,
    /// Times the patient appeared in a list they loaded (every live refresh
    /// of an inbox counts: a disclosure, but not a sign of snooping).
    pub listed: usize,
}

/// Who looked at patients' messages: per user, how many patients they
/// opened, how often, and how many more they only saw listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRow {
    pub user: Group,
    /// Distinct patients whose conversations they opened.
    pub patients_opened: usize,
    pub opens: usize,
    /// Distinct patients they saw in lists (opened or not).
    pub patients_listed: usize,
    /// Far more patients opened than colleagues: more than three times the
    /// median and at least [`UNUSUAL_FLOOR`].
    pub unusual: bool,
}

/// The fewest distinct patients opened in a period that can count as
/// unusual (a small practice's median may be 1 or 2).
pub const UNUSUAL_FLOOR: usize = 10;

/// The access table. Unusual access is measured on distinct patients
/// opened, never on list refreshes: a nurse whose inbox refreshes all shift
/// is working, not browsing.
pub fn access(views: &[PatientAccess]) -> Vec<AccessRow> {
    let mut per_user: BTreeMap<Group, AccessRow> = BTreeMap::new();
    for v in views {
        let row = per_user.entry(v.user.clone()).or_insert_with(|| AccessRow {
            user: v.user.clone(),
            patients_opened: 0,
            opens: 0,
            patients_listed: 0,
            unusual: false,
        });
        if v.opened > 0 {
            row.patients_opened += 1;
            row.opens += v.opened;
        }
        if v.listed > 0 || v.opened > 0 {
            row.patients_listed += 1;
        }
    }
    let mut opened: Vec<i64> =
        per_user.values().map(|r| i64::try_from(r.patients_opened).unwrap_or(i64::MAX)).collect();
    let median = usize::try_from(percentile(&mut opened, 50).unwrap_or(0)).unwrap_or(0);
    let mut rows: Vec<AccessRow> = per_user
        .into_values()
        .map(|mut r| {
            r.unusual = r.patients_opened >= UNUSUAL_FLOOR && r.patients_opened > 3 * median;
            r
        })
        .collect();
    rows.sort_by(|a, b| {
        b.patients_opened
            .cmp(&a.patients_opened)
            .then(b.opens.cmp(&a.opens))
            .then_with(|| a.user.name.cmp(&b.user.name))
    });
    rows
}

#[cfg(test)]
mod tests;
