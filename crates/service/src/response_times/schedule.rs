//! A practice's parsed schedule (calendars per department, targets,
//! reply wordings), cached per node for a short while and dropped on change.

use crate::{ServiceError, Switchboard};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_domain::auto_reply::AutoReplyText;
use switchboard_domain::conversation::Priority;
use switchboard_domain::hours::{self, BusinessCalendar, Closure, Period, WeeklyHours};
use switchboard_domain::ids::*;
use switchboard_domain::sla::{self, Policies, Policy, Target};
use switchboard_domain::time::Span;
use switchboard_domain::topic::Topic;
use switchboard_store::queries::schedule as sq;

/// How long a node trusts its copy of a practice's schedule. Changes made
/// through this node apply at once; other nodes see them within this time.
const SCHEDULE_TTL: Duration = Duration::from_secs(30);

/// A practice's schedule, parsed.
#[derive(Debug)]
pub struct Schedule {
    pub practice_name: String,
    pub phone: Option<String>,
    pub after_hours_phone: Option<String>,
    pub time_zone: String,
    pub calendar: BusinessCalendar,
    pub departments: HashMap<DepartmentId, BusinessCalendar>,
    pub policies: Policies,
    pub open_text: AutoReplyText,
    pub closed_text: AutoReplyText,
    pub open_text_custom: bool,
    pub closed_text_custom: bool,
    /// After this long unread, a staff reply is reminded to the patient;
    /// after `unread_flag` more, it is flagged for staff to follow up.
    pub unread_reminder: Span,
    pub unread_flag: Span,
}

impl Schedule {
    pub fn calendar_for(&self, department: Option<DepartmentId>) -> &BusinessCalendar {
        department.and_then(|d| self.departments.get(&d)).unwrap_or(&self.calendar)
    }

    /// Builds the schedule from its rows. Rows are checked when saved, so
    /// one that no longer parses (a zone dropped from the tz database) is
    /// skipped with a warning rather than stopping messages.
    pub(super) fn from_row(row: sq::ScheduleRow) -> Self {
        let zone = hours::time_zone(&row.time_zone).unwrap_or_else(|_| {
            tracing::warn!("practice time zone not in the tz database; using UTC");
            jiff::tz::TimeZone::UTC
        });
        let periods = |rows: &mut dyn Iterator<Item = (i64, i64, i64)>| -> WeeklyHours {
            let periods: Vec<Period> = rows
                .filter_map(|(d, o, c)| {
                    Period::new(u8::try_from(d).ok()?, u16::try_from(o).ok()?, u16::try_from(c).ok()?).ok()
                })
                .collect();
            WeeklyHours::new(periods).unwrap_or_default()
        };
        let closures_for = |department: Option<DepartmentId>| -> Vec<Closure> {
            row.closures
                .iter()
                .filter(|c| c.department.is_none() || c.department == department)
                .filter_map(|c| {
                    Closure::new(hours::parse_date(&c.first_day).ok()?, hours::parse_date(&c.last_day).ok()?).ok()
                })
                .collect()
        };
        let practice_hours = periods(&mut row.hours.iter().map(|h| (h.weekday, h.opens_minute, h.closes_minute)));
        let calendar = BusinessCalendar::new(zone.clone(), practice_hours.clone(), closures_for(None));
        let mut department_ids: Vec<DepartmentId> = row.department_hours.iter().map(|h| h.department).collect();
        for c in &row.closures {
            department_ids.extend(c.department);
        }
        department_ids.sort_by_key(|d| *d.as_bytes());
        department_ids.dedup();
        let departments = department_ids
            .into_iter()
            .map(|d| {
                let own: Vec<_> = row.department_hours.iter().filter(|h| h.department == d).collect();
                let weekly = if own.is_empty() {
                    practice_hours.clone()
                } else {
                    periods(&mut own.iter().map(|h| (h.weekday, h.opens_minute, h.closes_minute)))
                };
                (d, BusinessCalendar::new(zone.clone(), weekly, closures_for(Some(d))))
            })
            .collect();
        // No targets of its own: the defaults, shown and applied alike.
        let policies = if row.targets.is_empty() {
            Some(Policies::defaults().policies().to_vec())
        } else {
            row.targets.iter().map(target_from_row).collect::<Option<Vec<Policy>>>()
        }
        .and_then(|p| Policies::new(p, u8::try_from(row.due_soon_percent).ok()?).ok())
        .unwrap_or_else(Policies::defaults);
        let text = |custom: &Option<String>, default: fn() -> AutoReplyText| {
            custom.as_deref().and_then(|t| AutoReplyText::parse(t).ok()).unwrap_or_else(default)
        };
        let open_text = text(&row.auto_reply_open, AutoReplyText::default_open);
        let closed_text = text(&row.auto_reply_closed, AutoReplyText::default_closed);
        Schedule {
            practice_name: row.practice_name,
            phone: row.phone,
            after_hours_phone: row.after_hours_phone,
            time_zone: row.time_zone,
            calendar,
            departments,
            policies,
            open_text,
            closed_text,
            open_text_custom: row.auto_reply_open.is_some(),
            closed_text_custom: row.auto_reply_closed.is_some(),
            unread_reminder: Span::from_mins(row.unread_reminder_minutes.max(1)),
            unread_flag: Span::from_mins(row.unread_flag_minutes.max(1)),
        }
    }
}

fn target_from_row(t: &sq::TargetRow) -> Option<Policy> {
    let priority = match t.priority.as_deref() {
        None => None,
        Some(p) => Some(Priority::parse(p)?),
    };
    let topic = match t.topic.as_deref() {
        None => None,
        Some(x) => Some(Topic::parse(x)?),
    };
    let target = Target::new(
        Span::from_mins(t.first_response_minutes),
        Span::from_mins(t.next_response_minutes),
        sla::Clock::parse(&t.clock)?,
    )
    .ok()?;
    Some(Policy { priority, topic, target })
}

/// The per-node cache of parsed schedules.
#[derive(Default)]
pub(crate) struct ScheduleCache {
    entries: std::sync::Mutex<HashMap<PracticeId, (Instant, Arc<Schedule>)>>,
}

impl Switchboard {
    /// A practice's schedule, from this node's cache when fresh.
    pub(crate) async fn practice_schedule(&self, practice: PracticeId) -> Result<Arc<Schedule>, ServiceError> {
        if let Ok(entries) = self.inner.schedules.entries.lock()
            && let Some((at, s)) = entries.get(&practice)
            && at.elapsed() < SCHEDULE_TTL
        {
            return Ok(s.clone());
        }
        let row = sq::schedule(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        let schedule = Arc::new(Schedule::from_row(row));
        if let Ok(mut entries) = self.inner.schedules.entries.lock() {
            entries.insert(practice, (Instant::now(), schedule.clone()));
        }
        Ok(schedule)
    }

    pub(crate) fn forget_schedule(&self, practice: PracticeId) {
        if let Ok(mut entries) = self.inner.schedules.entries.lock() {
            entries.remove(&practice);
        }
    }
}
