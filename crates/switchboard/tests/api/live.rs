//! The live event stream (server-sent events) and the inbox endpoints
//! behind the web pages.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_domain::time::Span;

/// A reader of one session's event stream.
pub(crate) struct Live {
    resp: reqwest::Response,
    buf: String,
}

impl Live {
    pub(crate) async fn open(t: &TestApp, token: &str) -> Live {
        let resp = t.client.get(t.url("/api/v1/events")).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.headers()["cache-control"], "no-store");
        Live { resp, buf: String::new() }
    }

    /// The next (event name, data) within `wait`, skipping keep-alives.
    pub(crate) async fn next(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if block.lines().all(|l| l.starts_with(':') || l.is_empty()) {
                    continue;
                }
                return Some((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await.ok()?.ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every event within `wait`.
    pub(crate) async fn drain(&mut self, wait: Duration) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        while let Some(e) = self.next(wait).await {
            out.push(e);
        }
        out
    }
}

const SHORT: Duration = Duration::from_millis(600);

#[tokio::test]
async fn each_session_hears_only_what_it_may_see() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let carol = t.login("carol").await;
    let nina = t.login("nina.nurse").await;
    let okafor = t.login("dr.okafor").await;
    let (mut alice_live, mut carol_live, mut nina_live, mut okafor_live) = (
        Live::open(&t, &alice).await,
        Live::open(&t, &carol).await,
        Live::open(&t, &nina).await,
        Live::open(&t, &okafor).await,
    );

    let c = t.patient_conversation(&alice, "Live", "hello").await;
    t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await;
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": "private"})).await;
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "hi"})).await;

    let nina_saw: Vec<String> = nina_live.drain(SHORT).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        nina_saw,
        // The patient's message, its acknowledgement, then Nina's work.
        [
            "conversation_created",
            "message_sent",
            "message_sent",
            "messages_read",
            "note_added",
            "message_sent",
            "status_changed"
        ]
    );
    let alice_events = alice_live.drain(SHORT).await;
    let alice_saw: Vec<&str> = alice_events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        alice_saw,
        ["conversation_created", "message_sent", "message_sent", "messages_read", "message_sent", "status_changed"],
        "no notes"
    );
    let (_, reply) = &alice_events[4];
    assert_eq!(reply["conversation_id"], c.as_str());
    assert_eq!(reply["actor_kind"], "staff");
    assert!(reply.get("body").is_none() && !reply.to_string().contains("hi\""), "ids only: {reply}");
    assert!(carol_live.drain(SHORT).await.is_empty(), "another patient hears nothing");
    assert!(okafor_live.drain(SHORT).await.is_empty(), "unrelated staff hear nothing");
    t.stop().await;
}

#[tokio::test]
async fn typing_reaches_the_other_side() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Typing", "hello").await;
    let mut alice_live = Live::open(&t, &alice).await;
    let r = t.post(&format!("/api/v1/conversations/{c}/typing"), Some(&nina), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (name, data) = alice_live.next(SHORT).await.unwrap();
    assert_eq!(name, "typing");
    assert_eq!(data["actor_kind"], "staff");
    // Not for other patients' conversations.
    let carol = t.login("carol").await;
    assert_eq!(
        t.post(&format!("/api/v1/conversations/{c}/typing"), Some(&carol), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn the_stream_ends_with_the_session() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let mut live = Live::open(&t, &alice).await;
    t.post("/api/v1/auth/logout", Some(&alice), json!({})).await;
    let (name, data) = live.next(Duration::from_secs(3)).await.unwrap();
    assert_eq!((name.as_str(), data["reason"].as_str()), ("session_ended", Some("signed_out")));
    assert!(live.next(SHORT).await.is_none(), "and the stream is closed");

    // An open stream does not keep a session alive: idle time still counts.
    let nina = t.login("nina.nurse").await;
    let mut live = Live::open(&t, &nina).await;
    t.advance(Span::from_mins(16));
    let (name, data) = live.next(Duration::from_secs(3)).await.unwrap();
    assert_eq!((name.as_str(), data["reason"].as_str()), ("session_ended", Some("timed_out")));
    assert_eq!(t.get("/api/v1/events", None).await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn live_streams_are_told_to_reconnect_at_shutdown() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let mut live = Live::open(&t, &alice).await;
    let stopping = tokio::spawn(t.stop());
    let (name, _) = live.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(name, "reconnect");
    tokio::time::timeout(Duration::from_secs(10), stopping).await.expect("shutdown finishes").unwrap();
}

#[tokio::test]
async fn inbox_views_counts_and_attention_order() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let carol = t.login("carol").await;
    let patel = t.login("dr.patel").await;
    let nina = t.login("nina.nurse").await;
    let carol_patient = t.patient_id("carol").await;
    t.advance(Span::from_mins(1));
    let old = t.patient_conversation(&alice, "Waiting longest", "first").await;
    t.advance(Span::from_mins(1));
    let newer = t.patient_conversation(&carol, "Newer", "second").await;
    t.advance(Span::from_mins(1));
    let urgent = t
        .start_conversation(&nina, json!({"subject": "Call back", "topic": "test_results", "body": "Please call", "priority": "urgent", "patient_id": carol_patient}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = t.user_id("dr.patel").await;
    t.post(&format!("/api/v1/conversations/{newer}/assign"), Some(&nina), json!({"assignee_id": me})).await;

    let counts = t.get("/api/v1/inbox/counts", Some(&patel)).await.json();
    // With the demo's billing question and refill request.
    assert_eq!(counts["needs_response"], 4);
    assert_eq!(counts["awaiting_patient"], 2, "the demo's answered thread and the urgent one staff started");
    assert_eq!(counts["urgent"], 1);
    assert_eq!(counts["assigned_to_me"], 1);
    assert_eq!(counts["unread"], 4);
    assert_eq!(counts["closed"], 0);
    assert_eq!(counts["my_team"], 6);

    let list = t.get("/api/v1/conversations?view=needs_response&sort=attention", Some(&patel)).await.json();
    let order = ids(&list);
    assert_eq!(order.len(), 4);
    assert!(order.iter().position(|x| x == &old) < order.iter().position(|x| x == &newer), "oldest waiting first");
    let all = ids(&t.get("/api/v1/conversations?view=all&sort=attention", Some(&patel)).await.json());
    assert_eq!(all[0], urgent, "urgent first");
    assert_eq!(
        ids(&t.get("/api/v1/conversations?view=assigned_to_me", Some(&patel)).await.json()),
        vec![newer.clone()]
    );
    assert_eq!(ids(&t.get("/api/v1/conversations?view=urgent", Some(&patel)).await.json()), vec![urgent.clone()]);
    // Attention pages are positional.
    let page = t.get("/api/v1/conversations?view=all&sort=attention&limit=2", Some(&patel)).await.json();
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = t
        .get(&format!("/api/v1/conversations?view=all&sort=attention&limit=2&cursor={next}"), Some(&patel))
        .await
        .json();
    assert_eq!(ids(&page2)[0], all[2]);
    // Patients use the simple views only; counts are for staff.
    assert_eq!(t.get("/api/v1/conversations?view=urgent", Some(&alice)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.get("/api/v1/conversations?view=unread", Some(&alice)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/inbox/counts", Some(&alice)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/api/v1/conversations?view=everything", Some(&patel)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    t.stop().await;
}

#[tokio::test]
async fn practice_details_and_staff_directory() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let p = t.get("/api/v1/practice", Some(&alice)).await.json();
    assert_eq!(p["name"], "Riverside Family Medicine");
    assert_eq!(p["phone"], "(555) 010-0100");
    assert_eq!(p["time_zone"], "America/New_York");
    assert_eq!(p["office_hours"].as_array().unwrap().len(), 5);
    assert_eq!(p["office_hours"][0], json!({"weekday": 1, "opens": "08:00", "closes": "17:00"}));
    let dana = t.login("dana").await;
    assert_eq!(t.get("/api/v1/practice", Some(&dana)).await.json()["name"], "Lakeside Pediatrics");

    let staff = t.get("/api/v1/staff", Some(&nina)).await.json();
    let names: Vec<&str> = staff.as_array().unwrap().iter().map(|s| s["display_name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Bill Turner") && names.contains(&"Dr. Chidi Okafor"));
    assert!(!names.contains(&"Cora Jensen") && !names.contains(&"Alex Morgan"), "not assignable roles");
    assert!(!names.contains(&"Dr. Sam Lee"), "not another practice");
    assert_eq!(t.get("/api/v1/staff", Some(&alice)).await.status, StatusCode::NOT_FOUND);

    // The conversation view carries the patient's context.
    let list = t.get("/api/v1/conversations", Some(&nina)).await.json();
    let row = &list["conversations"][0];
    assert_eq!(row["patient"]["care_team"], "Dr. Patel's team");
    assert_eq!(row["patient"]["department"], "Primary Care");
    t.stop().await;
}

#[tokio::test]
async fn pages_are_served_with_a_strict_policy() {
    let t = TestApp::spawn().await;
    let pages = ["/", "/app", "/inbox", "/admin", "/analytics", "/people", "/audit", "/welcome"];
    let files =
        ["/static/switchboard.css", "/static/common.js", "/static/welcome.js", "/manifest.webmanifest", "/sw.js"];
    for path in pages.iter().chain(&files) {
        let r = t.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(r.header("cache-control").as_deref(), Some("no-cache"));
        let etag = r.header("etag").unwrap();
        let again = t.client.get(t.url(path)).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    // No page holds an inline script or a reference to another origin.
    for path in pages {
        let html = t.get(path, None).await.text;
        assert!(!html.contains("<script>") && !html.contains("http://") && !html.contains("https://"), "{path}");
        // Served with its shared parts in place (assets/partials/), which have no address of their own.
        assert!(html.contains("<meta charset=\"utf-8\">") && !html.contains("<!--#include"), "{path}");
    }
    assert_eq!(t.get("/static/nothing.js", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/partials/head.html", None).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

/// Deactivating an account, or setting its password through a link, ends
/// its open live streams at once, not at their next periodic check.
#[tokio::test]
async fn deactivation_and_resets_end_live_streams_at_once() {
    // Periodic checks a minute apart: only the immediate notice can end them in time.
    let t = TestApp::spawn_with(|c| c.live_session_check_millis = 60_000).await;
    let admin = t.login("admin").await;
    let nina = t.login("nina.nurse").await;
    let nina_id = t.user_id("nina.nurse").await;
    let alice = t.login("alice").await;
    let (mut nina_live, mut alice_live) = (Live::open(&t, &nina).await, Live::open(&t, &alice).await);
    let r = t.post(&format!("/api/v1/users/{nina_id}/deactivate"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (name, data) = nina_live.next(Duration::from_secs(3)).await.expect("told at once");
    assert_eq!((name.as_str(), data["reason"].as_str()), ("session_ended", Some("deactivated")));
    assert!(alice_live.next(SHORT).await.is_none(), "nobody else's stream ends");

    let fran = t.login("fran.frontdesk").await;
    let mut fran_live = Live::open(&t, &fran).await;
    let fran_id = t.user_id("fran.frontdesk").await;
    let link = t.post(&format!("/api/v1/users/{fran_id}/reset-link"), Some(&admin), json!({})).await.json();
    let token = link["path"].as_str().unwrap().split_once("#token=").unwrap().1.to_owned();
    let r = t.post("/api/v1/links/redeem", None, json!({"token": token, "password": "a long new passphrase"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (name, data) = fran_live.next(Duration::from_secs(3)).await.expect("told at once");
    assert_eq!((name.as_str(), data["reason"].as_str()), ("session_ended", Some("signed_out")));
    t.stop().await;
}

/// The front desk sees a care question's row, not its content: its stream
/// tells it that the row changed (new, a message, read, status, the
/// sensitive mark), never of notes, corrections or typing, and no event
/// says which category a conversation was marked with.
#[tokio::test]
async fn a_row_only_viewer_hears_that_rows_changed_and_nothing_of_their_content() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let fran = t.login("fran.frontdesk").await;
    let mut fran_live = Live::open(&t, &fran).await;
    let mut nina_live = Live::open(&t, &nina).await;

    let c = t.patient_conversation(&alice, "Live", "hello").await;
    t.post(&format!("/api/v1/conversations/{c}/read"), Some(&nina), json!({})).await;
    t.post(&format!("/api/v1/conversations/{c}/notes"), Some(&nina), json!({"body": "private"})).await;
    let r = t.post(&format!("/api/v1/conversations/{c}/typing"), Some(&nina), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let sent = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&nina), json!({"body": "hi"})).await.json();
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/messages/{}/amendments", sent["id"].as_str().unwrap()),
            Some(&nina),
            json!({"body": "hi again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&nina), json!({"category": "substance_use"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let names = |events: &[(String, Value)]| -> Vec<String> {
        events.iter().filter(|(_, d)| d["conversation_id"] == c.as_str()).map(|(n, _)| n.clone()).collect()
    };
    let fran_events = fran_live.drain(SHORT).await;
    let heard = names(&fran_events);
    for kind in ["conversation_created", "message_sent", "messages_read", "sensitivity_changed"] {
        assert!(heard.contains(&kind.to_owned()), "{kind} in {heard:?}");
    }
    for kind in ["note_added", "typing", "message_amended"] {
        assert!(!heard.contains(&kind.to_owned()), "{kind} in {heard:?}");
    }
    let nina_heard = names(&nina_live.drain(SHORT).await);
    for kind in ["note_added", "typing", "message_amended", "sensitivity_changed"] {
        assert!(nina_heard.contains(&kind.to_owned()), "{kind} in {nina_heard:?}");
    }
    // Ids and codes only: nothing names the category.
    for (_, data) in &fran_events {
        assert!(!data.to_string().contains("substance"), "{data}");
    }
    t.stop().await;
}

/// A caregiver's stream carries the events of the patients they act for,
/// never a confidential minor's unshared conversation, and stops the
/// moment their grant is revoked.
#[tokio::test]
async fn a_caregivers_stream_follows_their_grants() {
    let t = TestApp::spawn().await;
    let (jane, mia, sam, admin) =
        (t.login("jane").await, t.login("mia").await, t.login("sam").await, t.login("admin").await);
    let mut live = Live::open(&t, &jane).await;
    let mentions = |events: &[(String, Value)], id: &str| events.iter().any(|(_, d)| d.to_string().contains(id));

    let mias = t.patient_conversation(&mia, "Mia's", "hello").await;
    let sams = t.patient_conversation(&sam, "Sam's", "private").await;
    let heard = live.drain(SHORT).await;
    assert!(mentions(&heard, &mias), "{heard:?}");
    assert!(!mentions(&heard, &sams), "a confidential minor's unshared conversation: {heard:?}");

    // The practice revokes Jane's access to Mia: from then on, nothing.
    let mia_id = t.patient_id("mia").await;
    let grants = t.get(&format!("/api/v1/patient-accounts/{mia_id}/caregivers"), Some(&admin)).await.json();
    let grant = grants["caregivers"][0]["grant_id"].as_str().unwrap().to_owned();
    let r = t.request(reqwest::Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = live.drain(SHORT).await;
    let r = t.post(&format!("/api/v1/conversations/{mias}/messages"), Some(&mia), json!({"body": "again"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let heard = live.drain(SHORT).await;
    assert!(!mentions(&heard, &mias), "after revocation: {heard:?}");
    t.stop().await;
}
