//! Practice analytics for managers: loads the period's facts and hands
//! them to the pure functions of `domain::analytics`.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::analytics::{self as a, ConversationFact, Group, MessageFact};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::history::HistoryCode;
use switchboard_domain::hours::{self, from_jiff};
use switchboard_domain::ids::PatientId;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::analytics as q;

/// Everything the analytics pages show for one period.
#[derive(Clone, Debug)]
pub struct AnalyticsReport {
    /// First and last day, `YYYY-MM-DD` in the practice's time zone.
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub response_times: Vec<a::ResponseRow>,
    pub daily: Vec<a::DayRow>,
    /// Patients' messages by weekday (0 = Monday) and hour.
    pub heat_map: [[usize; 24]; 7],
    pub volume: Vec<a::CountRow>,
    pub backlog: a::Backlog,
    pub workload: Vec<a::WorkloadRow>,
    /// Changes of assignee by reason, in the period.
    pub reassignments: Vec<(String, usize)>,
    pub satisfaction: a::Satisfaction,
    pub access: Vec<a::AccessRow>,
    /// Who opened or saw listed which patient's conversations, and how
    /// often, most opened first, at most 1,000 rows.
    pub access_by_patient: Vec<AccessByPatient>,
}

/// One staff member's reach into one patient's conversations, named for
/// the reviewer (administrators and compliance officers, who may see who
/// was looked at).
#[derive(Clone, Debug)]
pub struct AccessByPatient {
    pub user: Group,
    pub patient: PatientId,
    pub patient_name: String,
    pub opened: usize,
    pub listed: usize,
}

fn grp(g: Option<([u8; 16], String)>) -> Option<Group> {
    g.map(|(id, name)| Group { id, name })
}

impl Switchboard {
    /// The practice's analytics from `from` to `to` (local dates, both
    /// included; the last 30 days by default). For practice administrators
    /// and compliance officers.
    pub async fn analytics(
        &self,
        p: &Principal,
        from: Option<&str>,
        to: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<AnalyticsReport, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ReadAuditLog, AuditAction::AnalyticsViewed).await?;
        let practice = p.user.practice;
        let schedule = self.practice_schedule(practice).await?;
        let calendar = &schedule.calendar;
        let now = self.now();
        let today = calendar.local_date(now);
        let date = |field: &'static str, subject: &str, text: Option<&str>, default: jiff::civil::Date| match text {
            None => Ok(default),
            Some(t) => {
                hours::parse_date(t).map_err(|_| ServiceError::invalid(field, subject, "must be a date (YYYY-MM-DD)"))
            }
        };
        let last = date("to", "the last day", to, today)?;
        let first = date("from", "the first day", from, last.checked_sub(jiff::Span::new().days(29)).unwrap_or(last))?;
        let days = first.until(last).map(|s| s.get_days()).unwrap_or(-1);
        if !(0..=366).contains(&days) {
            return Err(ServiceError::Invalid {
                field: "from",
                problem: "the period must start on or before its end and last at most a year".into(),
            });
        }
        let start = local_midnight(calendar.zone(), first)?;
        let end = local_midnight(calendar.zone(), last.tomorrow().map_err(|_| ServiceError::Internal)?)?;

        let store = self.store();
        let started = q::conversations_started(store, practice, start, end).await?;
        let facts: Vec<ConversationFact> = started
            .iter()
            .map(|c| ConversationFact {
                created_at: c.created_at,
                first_response_at: c.first_response_at,
                first_due_at: c.first_due_at,
                closed_at: c.closed_at,
                topic: c.topic,
                department: grp(c.department.clone()),
                pool: grp(c.pool.clone()),
                person: grp(c.assignee.clone()),
            })
            .collect();
        let department_of = |f: &ConversationFact| {
            f.department.as_ref().and_then(|g| switchboard_domain::ids::DepartmentId::from_slice(&g.id).ok())
        };
        let response_times = a::response_times(&facts, |f| schedule.calendar_for(department_of(f)));

        let message_rows = q::messages_sent(store, practice, start, end).await?;
        let messages: Vec<MessageFact> = message_rows
            .iter()
            .filter(|m| m.sender_kind != "system")
            .map(|m| MessageFact {
                at: m.at,
                from_patient: m.sender_kind == "patient",
                topic: m.topic,
                department: grp(m.department.clone()),
                sender: grp(m.sender.clone()),
            })
            .collect();
        let daily = a::daily(calendar, &facts, &messages, first, last);
        let heat_map = a::heat_map(calendar, &messages);
        let volume = a::volume_by(&facts, &messages);

        let open = q::conversations_open(store, practice).await?;
        let waiting: Vec<(Timestamp, Option<Timestamp>)> =
            open.iter().filter_map(|c| c.waiting_since.map(|w| (w, c.due_at))).collect();
        let backlog = a::backlog(&waiting, now);
        let open_assignees: Vec<Group> = open.iter().filter_map(|c| grp(c.assignee.clone())).collect();
        let staff_messages: Vec<(Group, [u8; 16])> = message_rows
            .iter()
            .filter(|m| m.sender_kind == "staff")
            .filter_map(|m| Some((grp(m.sender.clone())?, *m.conversation.as_bytes())))
            .collect();
        let history = q::assignee_changes(store, practice, start, end).await?;
        let mut changes: Vec<a::Reassignment> = history
            .iter()
            .filter(|(_, _, code)| *code != HistoryCode::Escalated)
            .map(|(from, to, code)| a::Reassignment { from: grp(from.clone()), to: grp(to.clone()), code: *code })
            .collect();
        for provider in q::escalations(store, practice, start, end).await? {
            changes.push(a::Reassignment { from: None, to: grp(Some(provider)), code: HistoryCode::Escalated });
        }
        let workload = a::workload(&open_assignees, &staff_messages, &changes);
        let mut reassignments: Vec<(String, usize)> = Vec::new();
        for (_, _, code) in &history {
            match reassignments.iter_mut().find(|(c, _)| c == code.as_str()) {
                Some((_, n)) => *n += 1,
                None => reassignments.push((code.as_str().to_owned(), 1)),
            }
        }
        reassignments.sort();

        let scores: Vec<u8> = q::rating_scores(store, practice, start, end)
            .await?
            .into_iter()
            .filter_map(|s| u8::try_from(s).ok())
            .collect();
        let satisfaction = a::satisfaction(&scores);
        let views: Vec<a::PatientAccess> = q::patient_access(store, practice, start, end)
            .await?
            .into_iter()
            .map(|((id, name), patient, opened, listed)| a::PatientAccess {
                user: Group { id, name },
                patient: *patient.as_bytes(),
                opened: usize::try_from(opened).unwrap_or(0),
                listed: usize::try_from(listed).unwrap_or(0),
            })
            .collect();
        let access = a::access(&views);
        let mut by_patient: Vec<&a::PatientAccess> = views.iter().collect();
        by_patient.sort_by(|x, y| {
            (y.opened, y.listed).cmp(&(x.opened, x.listed)).then_with(|| x.user.name.cmp(&y.user.name))
        });
        by_patient.truncate(1000);
        let patients: Vec<PatientId> = by_patient.iter().map(|v| PatientId::from_bytes(v.patient)).collect();
        let (names, named) = self.patient_names_for_review(p, ctx, &patients, "analytics").await?;
        let access_by_patient = by_patient
            .into_iter()
            .map(|v| {
                let patient = PatientId::from_bytes(v.patient);
                AccessByPatient {
                    user: v.user.clone(),
                    patient,
                    patient_name: names.get(&patient).cloned().unwrap_or_default(),
                    opened: v.opened,
                    listed: v.listed,
                }
            })
            .collect();

        let rec = self
            .record(p, ctx, AuditAction::AnalyticsViewed)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(format!("from={first};to={last}"));
        let mut unit = switchboard_store::Unit::new().audit(rec);
        for r in named {
            unit.push_audit(r);
        }
        // The names are on record as seen before they leave.
        self.store().commit(unit).await?;
        Ok(AnalyticsReport {
            from: first.to_string(),
            to: last.to_string(),
            time_zone: schedule.time_zone.clone(),
            response_times,
            daily,
            heat_map,
            volume,
            backlog,
            workload,
            reassignments,
            satisfaction,
            access,
            access_by_patient,
        })
    }
}

fn local_midnight(zone: &jiff::tz::TimeZone, day: jiff::civil::Date) -> Result<Timestamp, ServiceError> {
    day.to_zoned(zone.clone()).map(|z| from_jiff(z.timestamp())).map_err(|_| ServiceError::Internal)
}
