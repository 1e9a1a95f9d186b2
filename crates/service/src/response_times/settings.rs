//! The response-time settings use cases: targets, automatic replies,
//! closures and department hours.

use super::schedule::Schedule;
use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::auto_reply::{AutoReplyError, AutoReplyText};
use switchboard_domain::conversation::Priority;
use switchboard_domain::hours::{self, Closure, Period, WeeklyHours};
use switchboard_domain::ids::*;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::sla::{self, Policies, Policy, Target};
use switchboard_domain::time::Span;
use switchboard_domain::topic::Topic;
use switchboard_store::Unit;
use switchboard_store::queries::{directory, schedule as sq};

/// The practice's response settings as an administrator edits them.
#[derive(Clone, Debug)]
pub struct ResponseSettings {
    pub time_zone: String,
    pub targets: Vec<Policy>,
    pub due_soon_percent: u8,
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub closures: Vec<ClosureView>,
    pub department_hours: Vec<(DepartmentId, Vec<crate::OpeningPeriod>)>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Clone, Debug)]
pub struct ClosureView {
    pub id: ClosureId,
    pub department: Option<DepartmentId>,
    pub first_day: String,
    pub last_day: String,
    pub name: String,
}

/// Targets and automatic replies as submitted.
#[derive(Clone, Debug)]
pub struct ResponseSettingsInput {
    pub targets: Vec<TargetInput>,
    pub due_soon_percent: u8,
    /// `None`: the built-in wording.
    pub auto_reply_open: Option<String>,
    pub auto_reply_closed: Option<String>,
    pub unread_reminder_minutes: i64,
    pub unread_flag_minutes: i64,
}

#[derive(Clone, Debug)]
pub struct TargetInput {
    pub priority: Option<String>,
    pub topic: Option<String>,
    pub first_response_minutes: i64,
    pub next_response_minutes: i64,
    pub clock: String,
}

/// A refused automatic-reply wording: what it lacks is said of `subject`;
/// a bad placeholder is named on its own.
fn reply_refused(field: &'static str, subject: &str, e: AutoReplyError) -> ServiceError {
    match e {
        AutoReplyError::Template(_) => ServiceError::Invalid { field, problem: e.to_string() },
        AutoReplyError::Text(_) | AutoReplyError::NoEmergencyAdvice => ServiceError::invalid(field, subject, e),
    }
}

impl Switchboard {
    /// The practice's targets, automatic replies, closures and department
    /// hours (staff of the practice).
    pub async fn response_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<ResponseSettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let row = sq::schedule(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        let schedule = Schedule::from_row(row.clone());
        let mut department_hours: Vec<(DepartmentId, Vec<crate::OpeningPeriod>)> = Vec::new();
        for h in &row.department_hours {
            let period = crate::OpeningPeriod {
                weekday: u8::try_from(h.weekday).unwrap_or(0),
                opens_minute: u16::try_from(h.opens_minute).unwrap_or(0),
                closes_minute: u16::try_from(h.closes_minute).unwrap_or(0),
            };
            match department_hours.iter_mut().find(|(d, _)| *d == h.department) {
                Some((_, v)) => v.push(period),
                None => department_hours.push((h.department, vec![period])),
            }
        }
        Ok(ResponseSettings {
            time_zone: row.time_zone,
            targets: schedule.policies.policies().to_vec(),
            due_soon_percent: schedule.policies.due_soon_percent(),
            auto_reply_open: row.auto_reply_open,
            auto_reply_closed: row.auto_reply_closed,
            closures: row
                .closures
                .into_iter()
                .map(|c| ClosureView {
                    id: c.id,
                    department: c.department,
                    first_day: c.first_day,
                    last_day: c.last_day,
                    name: c.name,
                })
                .collect(),
            department_hours,
            unread_reminder_minutes: row.unread_reminder_minutes,
            unread_flag_minutes: row.unread_flag_minutes,
        })
    }

    /// Replaces the response-time targets and automatic replies (practice
    /// administrators).
    pub async fn save_response_settings(
        &self,
        p: &Principal,
        input: ResponseSettingsInput,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        if input.targets.len() > 50 {
            return Err(ServiceError::Invalid { field: "targets", problem: "there can be at most 50 targets".into() });
        }
        let mut policies = Vec::new();
        for (i, t) in input.targets.iter().enumerate() {
            let bad = |problem: String| ServiceError::Invalid {
                field: "targets",
                problem: format!("target {}: {problem}", i + 1),
            };
            let priority = match t.priority.as_deref() {
                None => None,
                Some(x) => Some(Priority::parse(x).ok_or_else(|| bad("priority must be routine or urgent".into()))?),
            };
            let topic = match t.topic.as_deref() {
                None => None,
                Some(x) => Some(Topic::parse(x).ok_or_else(|| bad("that is not a topic".into()))?),
            };
            let clock = sla::Clock::parse(&t.clock).ok_or_else(|| bad("the clock must be business or wall".into()))?;
            let target =
                Target::new(Span::from_mins(t.first_response_minutes), Span::from_mins(t.next_response_minutes), clock)
                    .map_err(|e| bad(e.to_string()))?;
            policies.push(Policy { priority, topic, target });
        }
        Policies::new(policies, input.due_soon_percent).map_err(|e| ServiceError::Invalid {
            field: if e == sla::PolicyError::DueSoonShare { "due_soon_percent" } else { "targets" },
            problem: e.to_string(),
        })?;
        let open = match input.auto_reply_open.as_deref() {
            None => None,
            Some(t) => {
                Some(AutoReplyText::parse(t).map_err(|e| reply_refused("auto_reply_open", "the reply while open", e))?)
            }
        };
        let closed = match input.auto_reply_closed.as_deref() {
            None => None,
            Some(t) => Some(
                AutoReplyText::parse(t).map_err(|e| reply_refused("auto_reply_closed", "the reply while closed", e))?,
            ),
        };
        for (field, subject, minutes) in [
            ("unread_reminder_minutes", "the reminder's delay", input.unread_reminder_minutes),
            ("unread_flag_minutes", "the follow-up flag's delay", input.unread_flag_minutes),
        ] {
            if !(10..=30 * 24 * 60).contains(&minutes) {
                return Err(ServiceError::invalid(field, subject, "must be between 10 minutes and 30 days"));
            }
        }
        let practice = p.user.practice;
        let mut unit = Unit::new().step(sq::clear_targets(practice)).step(sq::set_response_settings(
            practice,
            sq::ResponseSettingsRow {
                due_soon_percent: i64::from(input.due_soon_percent),
                auto_reply_open: open.as_ref().map(|t| t.as_str()),
                auto_reply_closed: closed.as_ref().map(|t| t.as_str()),
                unread_reminder_minutes: input.unread_reminder_minutes,
                unread_flag_minutes: input.unread_flag_minutes,
            },
        ));
        for (i, t) in input.targets.iter().enumerate() {
            unit.push(sq::insert_target(
                practice,
                i64::try_from(i).unwrap_or(i64::MAX),
                &sq::TargetRow {
                    priority: t.priority.clone(),
                    topic: t.topic.clone(),
                    first_response_minutes: t.first_response_minutes,
                    next_response_minutes: t.next_response_minutes,
                    clock: t.clock.clone(),
                },
            ));
        }
        let rec = self
            .record(p, ctx, AuditAction::ResponseSettingsChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(format!("targets={}", input.targets.len()));
        self.store().commit(unit.audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(())
    }

    /// Adds a closure (a holiday) for the practice or one department.
    pub async fn add_closure(
        &self,
        p: &Principal,
        department: Option<DepartmentId>,
        first_day: &str,
        last_day: &str,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<ClosureId, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let first = hours::parse_date(first_day)
            .map_err(|_| ServiceError::invalid("first_day", "the first day", "must be a date (YYYY-MM-DD)"))?;
        let last = hours::parse_date(last_day)
            .map_err(|_| ServiceError::invalid("last_day", "the last day", "must be a date (YYYY-MM-DD)"))?;
        Closure::new(first, last).map_err(|e| ServiceError::Invalid { field: "last_day", problem: e.to_string() })?;
        let name = switchboard_domain::text::DisplayName::parse(name)
            .map_err(|e| ServiceError::invalid("name", "the closure's name", e))?;
        let practice = p.user.practice;
        if let Some(d) = department
            && directory::department_name_of(self.store(), practice, d).await?.is_none()
        {
            return Err(ServiceError::Invalid { field: "department_id", problem: "no such department".into() });
        }
        let id = self.new_id(ClosureId::from_bytes)?;
        let row = sq::ClosureRow {
            id,
            department,
            first_day: first.to_string(),
            last_day: last.to_string(),
            name: name.as_str().to_owned(),
        };
        let rec = self
            .record(p, ctx, AuditAction::ResponseSettingsChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail("closure_added");
        self.store().commit(Unit::new().step(sq::insert_closure(practice, &row, self.now())).audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(id)
    }

    pub async fn remove_closure(
        &self,
        p: &Principal,
        closure: ClosureId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let practice = p.user.practice;
        let rec = self
            .record(p, ctx, AuditAction::ResponseSettingsChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail("closure_removed");
        match self.store().commit(Unit::new().step(sq::delete_closure(practice, closure)).audit(rec)).await {
            Ok(()) => {}
            Err(switchboard_store::StoreError::Conflict(_)) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        }
        self.forget_schedule(practice);
        Ok(())
    }

    /// Replaces one department's own hours; an empty list means the
    /// practice's hours apply.
    pub async fn set_department_hours(
        &self,
        p: &Principal,
        department: DepartmentId,
        periods: &[crate::OpeningPeriod],
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::ResponseSettingsChanged).await?;
        let practice = p.user.practice;
        if directory::department_name_of(self.store(), practice, department).await?.is_none() {
            return Err(ServiceError::NotFound);
        }
        let parsed: Vec<Period> = periods
            .iter()
            .map(|h| Period::new(h.weekday, h.opens_minute, h.closes_minute))
            .collect::<Result<_, _>>()
            .map_err(|e| ServiceError::Invalid { field: "office_hours", problem: e.to_string() })?;
        WeeklyHours::new(parsed)
            .map_err(|e| ServiceError::Invalid { field: "office_hours", problem: e.to_string() })?;
        let mut unit = Unit::new().step(sq::clear_department_hours(department));
        for h in periods {
            unit.push(sq::insert_department_hours(sq::DepartmentHoursRow {
                department,
                weekday: i64::from(h.weekday),
                opens_minute: i64::from(h.opens_minute),
                closes_minute: i64::from(h.closes_minute),
            }));
        }
        let rec = self
            .record(p, ctx, AuditAction::ResponseSettingsChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail("department_hours");
        self.store().commit(unit.audit(rec)).await?;
        self.forget_schedule(practice);
        Ok(())
    }
}
