//! Practice analytics as tables.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use switchboard_domain::analytics::{BACKLOG_BUCKETS, Quantiles};
use switchboard_service::analytics::AnalyticsReport;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodQuery {
    /// First day, `YYYY-MM-DD` in the practice's time zone (default: 29
    /// days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, included (default: today).
    #[param(format = Date)]
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnalyticsDto {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub time_zone: String,
    /// `response_times`, `daily`, `heat_map`, `volume`, `backlog`,
    /// `workload`, `reassignments`, `satisfaction`, `access`,
    /// `access_by_patient`.
    pub tables: BTreeMap<String, TableDto>,
}

impl From<&AnalyticsReport> for AnalyticsDto {
    fn from(r: &AnalyticsReport) -> Self {
        AnalyticsDto { from: r.from.clone(), to: r.to.clone(), time_zone: r.time_zone.clone(), tables: tables(r) }
    }
}

/// One table: column names and rows of text cells.
#[derive(Serialize, ToSchema)]
pub(crate) struct TableDto {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn tables(r: &AnalyticsReport) -> BTreeMap<String, TableDto> {
    let mut t = BTreeMap::new();
    t.insert(
        "response_times".to_owned(),
        table(
            &[
                "dimension",
                "group",
                "conversations",
                "answered",
                "first_response_median_business_hours",
                "first_response_p90_business_hours",
                "first_response_median_wall_hours",
                "first_response_p90_wall_hours",
                "resolved",
                "resolution_median_business_hours",
                "resolution_p90_business_hours",
                "resolution_median_wall_hours",
                "resolution_p90_wall_hours",
                "answered_within_target_percent",
            ],
            r.response_times
                .iter()
                .map(|x| {
                    let mut row = vec![
                        x.dimension.to_owned(),
                        x.group.clone(),
                        x.conversations.to_string(),
                        x.answered.to_string(),
                    ];
                    row.extend(q(x.first_response_business));
                    row.extend(q(x.first_response_wall));
                    row.push(x.resolved.to_string());
                    row.extend(q(x.resolution_business));
                    row.extend(q(x.resolution_wall));
                    row.push(x.within_target_percent.map(|p| p.to_string()).unwrap_or_default());
                    row
                })
                .collect(),
        ),
    );
    t.insert(
        "daily".to_owned(),
        table(
            &["day", "conversations", "messages", "from_patients"],
            r.daily
                .iter()
                .map(|d| {
                    vec![
                        d.day.clone(),
                        d.conversations.to_string(),
                        d.messages.to_string(),
                        d.from_patients.to_string(),
                    ]
                })
                .collect(),
        ),
    );
    let mut heat_columns = vec!["weekday".to_owned()];
    heat_columns.extend((0..24).map(|h| format!("{h:02}")));
    t.insert(
        "heat_map".to_owned(),
        TableDto {
            columns: heat_columns,
            rows: WEEKDAYS
                .iter()
                .zip(r.heat_map.iter())
                .map(|(day, hours)| {
                    let mut row = vec![(*day).to_owned()];
                    row.extend(hours.iter().map(ToString::to_string));
                    row
                })
                .collect(),
        },
    );
    t.insert(
        "volume".to_owned(),
        table(
            &["dimension", "group", "conversations", "messages"],
            r.volume
                .iter()
                .map(|v| {
                    vec![v.dimension.to_owned(), v.group.clone(), v.conversations.to_string(), v.messages.to_string()]
                })
                .collect(),
        ),
    );
    let mut backlog: Vec<Vec<String>> = BACKLOG_BUCKETS
        .iter()
        .zip(r.backlog.by_age.iter())
        .map(|(label, n)| vec![(*label).to_owned(), n.to_string()])
        .collect();
    backlog.push(vec!["waiting now".into(), r.backlog.waiting.to_string()]);
    backlog.push(vec!["overdue now".into(), r.backlog.overdue.to_string()]);
    backlog.push(vec!["oldest wait (hours)".into(), hours(r.backlog.oldest_minutes)]);
    t.insert("backlog".to_owned(), table(&["measure", "value"], backlog));
    t.insert(
        "workload".to_owned(),
        table(
            &["person", "open_now", "handled", "messages_sent", "reassigned_away", "escalations_received"],
            r.workload
                .iter()
                .map(|w| {
                    vec![
                        w.person.clone(),
                        w.open.to_string(),
                        w.handled.to_string(),
                        w.messages_sent.to_string(),
                        w.reassigned_away.to_string(),
                        w.escalations_received.to_string(),
                    ]
                })
                .collect(),
        ),
    );
    t.insert(
        "reassignments".to_owned(),
        table(&["reason", "count"], r.reassignments.iter().map(|(c, n)| vec![c.clone(), n.to_string()]).collect()),
    );
    let mut sat: Vec<Vec<String>> =
        r.satisfaction.distribution.iter().enumerate().map(|(i, n)| vec![(i + 1).to_string(), n.to_string()]).collect();
    sat.push(vec![
        "average".into(),
        r.satisfaction.average_hundredths.map(|h| format!("{:.2}", h as f64 / 100.0)).unwrap_or_default(),
    ]);
    sat.push(vec!["ratings".into(), r.satisfaction.ratings.to_string()]);
    t.insert("satisfaction".to_owned(), table(&["score", "ratings"], sat));
    t.insert(
        "access".to_owned(),
        table(
            &["user", "user_id", "patients_opened", "opens", "patients_listed", "unusual"],
            r.access
                .iter()
                .map(|x| {
                    vec![
                        x.user.name.clone(),
                        switchboard_domain::ids::uuid_text(&x.user.id),
                        x.patients_opened.to_string(),
                        x.opens.to_string(),
                        x.patients_listed.to_string(),
                        if x.unusual { "yes".into() } else { "no".into() },
                    ]
                })
                .collect(),
        ),
    );
    t.insert(
        "access_by_patient".to_owned(),
        table(
            &["user", "user_id", "patient", "patient_id", "opened", "listed"],
            r.access_by_patient
                .iter()
                .map(|a| {
                    vec![
                        a.user.name.clone(),
                        switchboard_domain::ids::uuid_text(&a.user.id),
                        a.patient_name.clone(),
                        a.patient.to_string(),
                        a.opened.to_string(),
                        a.listed.to_string(),
                    ]
                })
                .collect(),
        ),
    );
    t
}

fn table(columns: &[&str], rows: Vec<Vec<String>>) -> TableDto {
    TableDto { columns: columns.iter().map(|c| (*c).to_owned()).collect(), rows }
}

fn hours(minutes: Option<i64>) -> String {
    minutes.map(|m| format!("{:.2}", m as f64 / 60.0)).unwrap_or_default()
}

fn q(q: Quantiles) -> [String; 2] {
    [hours(q.median), hours(q.p90)]
}

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
