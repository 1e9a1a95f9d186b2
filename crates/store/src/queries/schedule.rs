//! A practice's schedule: department hours, closures, response-time
//! targets, and the wording of automatic replies. (The practice's own
//! weekly hours live with its contact details in `directory`.)

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

/// One opening period of a department.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepartmentHoursRow {
    pub department: DepartmentId,
    pub weekday: i64,
    pub opens_minute: i64,
    pub closes_minute: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureRow {
    pub id: ClosureId,
    pub department: Option<DepartmentId>,
    pub first_day: String,
    pub last_day: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRow {
    pub priority: Option<String>,
    pub topic: Option<String>,
    pub first_response_minutes: i64,
    pub next_response_minutes: i64,
    pub clock: String,
}

/// Everything that decides when a practice answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRow {
    pub practice_name: String,
    pub time_zone: String,
    pub phone: Option<String>,
    /// Where patients call when the office is closed and cannot wait.
    pub after_hours_phone: Option<String>,
    pub hours: Vec<super::directory::OfficeHoursRow>,
    pub department_hours: Vec<DepartmentHoursRow>,
    pub closures: Vec<ClosureRow>,
    pub targets: Vec<TargetRow>,
    pub due_soon_percent: i64,
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

pub async fn schedule(store: &Store, practice: PracticeId) -> Result<Option<ScheduleRow>, StoreError> {
    let db = store.reader();
    let pid = practice.to_vec();
    let Some(p) = sqlx::query(
        "SELECT name, time_zone, phone, after_hours_phone, due_soon_percent, auto_reply_open, auto_reply_closed, unread_reminder_minutes, \
         unread_flag_minutes FROM practices WHERE id = $1",
    )
    .bind(pid.clone())
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let hours = super::directory::office_hours(store, practice).await?;
    let department_hours = sqlx::query(
        "SELECT h.department_id, h.weekday, h.opens_minute, h.closes_minute FROM department_hours h \
         JOIN departments d ON d.id = h.department_id WHERE d.practice_id = $1 ORDER BY h.department_id, h.weekday, h.opens_minute",
    )
    .bind(pid.clone())
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok(DepartmentHoursRow {
            department: id(r, "department_id", DepartmentId::from_slice)?,
            weekday: col(r, "weekday")?,
            opens_minute: col(r, "opens_minute")?,
            closes_minute: col(r, "closes_minute")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let closures = sqlx::query(
        "SELECT id, department_id, first_day, last_day, name FROM closures WHERE practice_id = $1 ORDER BY first_day, id",
    )
    .bind(pid.clone())
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok(ClosureRow {
            id: id(r, "id", ClosureId::from_slice)?,
            department: opt_id(r, "department_id", DepartmentId::from_slice)?,
            first_day: col(r, "first_day")?,
            last_day: col(r, "last_day")?,
            name: col(r, "name")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let targets = sqlx::query(
        "SELECT priority, topic, first_response_minutes, next_response_minutes, clock FROM response_targets \
         WHERE practice_id = $1 ORDER BY position",
    )
    .bind(pid)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok(TargetRow {
            priority: col(r, "priority")?,
            topic: col(r, "topic")?,
            first_response_minutes: col(r, "first_response_minutes")?,
            next_response_minutes: col(r, "next_response_minutes")?,
            clock: col(r, "clock")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(ScheduleRow {
        practice_name: col(&p, "name")?,
        time_zone: col(&p, "time_zone")?,
        phone: col(&p, "phone")?,
        after_hours_phone: col(&p, "after_hours_phone")?,
        hours,
        department_hours,
        closures,
        targets,
        due_soon_percent: col(&p, "due_soon_percent")?,
        auto_reply_open: col(&p, "auto_reply_open")?,
        auto_reply_closed: col(&p, "auto_reply_closed")?,
        unread_reminder_minutes: col(&p, "unread_reminder_minutes")?,
        unread_flag_minutes: col(&p, "unread_flag_minutes")?,
    }))
}

pub fn clear_department_hours(department: DepartmentId) -> Step {
    Step::new("DELETE FROM department_hours WHERE department_id = $1", vec![department.to_vec().into()])
}

pub fn insert_department_hours(h: DepartmentHoursRow) -> Step {
    Step::new(
        "INSERT INTO department_hours (department_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)",
        vec![h.department.to_vec().into(), h.weekday.into(), h.opens_minute.into(), h.closes_minute.into()],
    )
}

pub fn insert_closure(practice: PracticeId, c: &ClosureRow, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO closures (id, practice_id, department_id, first_day, last_day, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            c.id.to_vec().into(),
            practice.to_vec().into(),
            c.department.map(|d| d.to_vec()).into(),
            c.first_day.as_str().into(),
            c.last_day.as_str().into(),
            c.name.as_str().into(),
            at.as_micros().into(),
        ],
    )
}

pub fn delete_closure(practice: PracticeId, closure: ClosureId) -> Step {
    Step::new(
        "DELETE FROM closures WHERE id = $1 AND practice_id = $2",
        vec![closure.to_vec().into(), practice.to_vec().into()],
    )
    .guarded(Conflict::ClosureMissing)
}

pub fn clear_targets(practice: PracticeId) -> Step {
    Step::new("DELETE FROM response_targets WHERE practice_id = $1", vec![practice.to_vec().into()])
}

pub fn insert_target(practice: PracticeId, position: i64, t: &TargetRow) -> Step {
    Step::new(
        "INSERT INTO response_targets (practice_id, position, priority, topic, first_response_minutes, \
         next_response_minutes, clock) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            practice.to_vec().into(),
            position.into(),
            t.priority.clone().into(),
            t.topic.clone().into(),
            t.first_response_minutes.into(),
            t.next_response_minutes.into(),
            t.clock.as_str().into(),
        ],
    )
}

/// The practice-wide response settings (targets are separate rows).
#[derive(Clone, Copy, Debug)]
pub struct ResponseSettingsRow<'a> {
    pub due_soon_percent: i64,
    pub auto_reply_open: Option<&'a str>,
    pub auto_reply_closed: Option<&'a str>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

pub fn set_response_settings(practice: PracticeId, s: ResponseSettingsRow<'_>) -> Step {
    Step::new(
        "UPDATE practices SET due_soon_percent = $2, auto_reply_open = $3, auto_reply_closed = $4, \
         unread_reminder_minutes = $5, unread_flag_minutes = $6 WHERE id = $1",
        vec![
            practice.to_vec().into(),
            s.due_soon_percent.into(),
            s.auto_reply_open.into(),
            s.auto_reply_closed.into(),
            s.unread_reminder_minutes.into(),
            s.unread_flag_minutes.into(),
        ],
    )
    .guarded(Conflict::PracticeMissing)
}
