//! Analytics over a known synthetic week, checked figure by figure. The
//! demo practice is open 8:00 AM to 5:00 PM, Monday to Friday, in New York.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_domain::time::Span;

async fn start(t: &TestApp, who: &str, topic: &str) -> String {
    let token = t.login(who).await;
    let r = t.start_conversation(&token, json!({"subject": "Question", "topic": topic, "body": "A question."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn reply(t: &TestApp, who: &str, c: &str) {
    let token = t.login(who).await;
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&token), json!({"body": "An answer."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn close(t: &TestApp, who: &str, c: &str) {
    let token = t.login(who).await;
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/close"), Some(&token), json!({})).await.status,
        StatusCode::OK
    );
}

async fn rate(t: &TestApp, c: &str, score: i64) {
    let token = t.login("alice").await;
    let r = t.post(&format!("/api/v1/conversations/{c}/rating"), Some(&token), json!({"score": score})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

fn rows<'a>(report: &'a Value, table: &str) -> Vec<Vec<&'a str>> {
    report["tables"][table]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table}"))
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect())
        .collect()
}

fn row<'a>(report: &'a Value, table: &str, key: &[&str]) -> Vec<&'a str> {
    rows(report, table)
        .into_iter()
        .find(|r| r.starts_with(key))
        .unwrap_or_else(|| panic!("no row {key:?} in {table}: {}", report["tables"][table]))
}

fn value(report: &Value, table: &str, key: &str) -> i64 {
    row(report, table, &[key])[1].parse().unwrap()
}

#[tokio::test]
async fn a_known_week_gives_exact_figures() {
    let t = TestApp::spawn().await;
    // Monday 2026-01-12, 10:00 AM in New York.
    t.advance(Span::from_hours(24 * 7));
    let admin = t.login("admin").await;
    let before = t.get("/api/v1/analytics?from=2026-01-12&to=2026-01-14", Some(&admin)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let before = before.json();

    // 1. A care question, answered in 30 minutes, closed after an hour, rated 5.
    let c1 = start(&t, "alice", "care_question").await;
    t.advance(Span::from_mins(30));
    let nina = t.login("nina.nurse").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c1}"), Some(&nina)).await.status, StatusCode::OK);
    reply(&t, "nina.nurse", &c1).await;
    t.advance(Span::from_mins(30));
    close(&t, "nina.nurse", &c1).await;
    t.advance(Span::from_mins(5));
    rate(&t, &c1, 5).await;
    // 2. Billing at 4:30 PM, answered Tuesday 9:00 AM (90 business minutes,
    //    990 wall), closed 9:30 AM, rated 3.
    t.advance(Span::from_mins(5 * 60 + 25));
    let c2 = start(&t, "alice", "billing").await;
    t.advance(Span::from_mins(16 * 60 + 30));
    reply(&t, "bill.billing", &c2).await;
    t.advance(Span::from_mins(30));
    close(&t, "bill.billing", &c2).await;
    t.advance(Span::from_mins(5));
    rate(&t, &c2, 3).await;
    // 3. Bob on Wednesday at 10:00 AM, to the Cardiology pool: unanswered.
    t.advance(Span::from_mins(24 * 60 + 25));
    let _c3 = start(&t, "bob", "care_question").await;
    t.advance(Span::from_hours(2));

    let admin = t.login("admin").await;
    let r = t.get("/api/v1/analytics?from=2026-01-12&to=2026-01-14", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.json();
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str(), r["time_zone"].as_str()),
        (Some("2026-01-12"), Some("2026-01-14"), Some("America/New_York"))
    );

    // Response times, nearest-rank percentiles, in hours.
    assert_eq!(
        row(&r, "response_times", &["practice", "All"]),
        ["practice", "All", "3", "2", "0.50", "1.50", "0.50", "16.50", "2", "1.00", "2.00", "1.00", "17.00", "66"]
    );
    assert_eq!(row(&r, "response_times", &["pool", "Billing"])[2..4], ["1", "1"]);
    assert_eq!(row(&r, "response_times", &["pool", "Cardiology"])[2..4], ["1", "0"]);
    assert_eq!(row(&r, "response_times", &["topic", "Billing"])[4], "1.50");

    // Volume: patients' and staff messages (not automatic replies) per day,
    // and the hours patients wrote.
    assert_eq!(
        rows(&r, "daily"),
        [["2026-01-12", "2", "3", "2"], ["2026-01-13", "0", "1", "0"], ["2026-01-14", "1", "1", "1"]]
    );
    let heat = rows(&r, "heat_map");
    assert_eq!((heat[0][0], heat[0][11], heat[0][17], heat[2][11]), ("Monday", "1", "1", "1"));
    let total: i64 = heat.iter().flat_map(|h| h[1..].iter()).map(|c| c.parse::<i64>().unwrap()).sum();
    assert_eq!(total, 3);
    assert_eq!(row(&r, "volume", &["topic", "Billing"])[2..], ["1", "2"]);
    assert_eq!(row(&r, "volume", &["department", "Cardiology"])[2..], ["1", "1"]);

    // Satisfaction.
    assert_eq!(value(&r, "satisfaction", "ratings"), 2);
    assert_eq!(row(&r, "satisfaction", &["average"])[1], "4.00");
    assert_eq!(
        (value(&r, "satisfaction", "3"), value(&r, "satisfaction", "5"), value(&r, "satisfaction", "1")),
        (1, 1, 0)
    );

    // Workload in the period; the backlog now holds Bob's question too.
    let bill = row(&r, "workload", &["Bill Turner"]);
    assert_eq!(bill[2..4], ["1", "1"], "{bill:?}");
    let nina = row(&r, "workload", &["Nina Alvarez, RN"]);
    assert_eq!(nina[2..4], ["1", "1"], "{nina:?}");
    assert_eq!(value(&r, "backlog", "waiting now"), value(&before, "backlog", "waiting now") + 1);
    assert_eq!(value(&r, "backlog", "under 4 hours"), value(&before, "backlog", "under 4 hours") + 1);

    // Access from the audit log: who opened which patients' conversations,
    // and whom they saw listed; patients by name for the reviewer.
    let nina_id = t.user_id("nina.nurse").await;
    let access = row(&r, "access", &["Nina Alvarez, RN"]);
    assert_eq!(access[..3], ["Nina Alvarez, RN", nina_id.as_str(), "1"], "{access:?}");
    assert_eq!(access[5], "no");
    let alice = t.patient_id("alice").await;
    let by_patient = row(&r, "access_by_patient", &["Nina Alvarez, RN"]);
    assert_eq!(
        by_patient[..5],
        ["Nina Alvarez, RN", nina_id.as_str(), "Alice Nguyen", alice.as_str(), "1"],
        "{by_patient:?}"
    );
    assert!(!serde_json::to_string(&r).unwrap().contains("A question."), "no message text");

    // Every table as CSV, the same figures.
    let csv = t
        .client
        .get(t.url("/api/v1/analytics/response_times/csv?from=2026-01-12&to=2026-01-14"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("dimension,group,conversations,answered,"), "{body}");
    assert!(body.contains("\r\npractice,All,3,2,0.50,1.50,0.50,16.50,2,1.00,2.00,1.00,17.00,66\r\n"), "{body}");
    for table in [
        "daily",
        "heat_map",
        "volume",
        "backlog",
        "workload",
        "reassignments",
        "satisfaction",
        "access",
        "access_by_patient",
    ] {
        let path = format!("/api/v1/analytics/{table}/csv?from=2026-01-12&to=2026-01-14");
        assert_eq!(t.get(&path, Some(&admin)).await.status, StatusCode::OK, "{table}");
    }
    assert_eq!(t.get("/api/v1/analytics/nonsense/csv", Some(&admin)).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn analytics_are_for_managers_and_auditors_only() {
    let t = TestApp::spawn().await;
    for who in ["admin", "cora.compliance"] {
        let token = t.login(who).await;
        assert_eq!(t.get("/api/v1/analytics", Some(&token)).await.status, StatusCode::OK, "{who}");
    }
    for who in ["nina.nurse", "dr.patel", "alice"] {
        let token = t.login(who).await;
        assert_eq!(t.get("/api/v1/analytics", Some(&token)).await.status, StatusCode::NOT_FOUND, "{who}");
    }
    let admin = t.login("admin").await;
    for bad in ["?from=2026-01-14&to=2026-01-12", "?from=2024-01-01&to=2026-01-12", "?from=yesterday"] {
        let r = t.get(&format!("/api/v1/analytics{bad}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text);
    }
    // Viewing analytics is itself audited.
    let cora = t.login("cora.compliance").await;
    assert!(t.get("/api/v1/audit-events?limit=20", Some(&cora)).await.text.contains("analytics_viewed"));
    t.stop().await;
}
