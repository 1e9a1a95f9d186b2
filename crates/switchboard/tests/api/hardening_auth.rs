//! Issue 12's security findings: limits that hold under parallel attempts,
//! and refusals recorded where they belong.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Sends `n` requests at once (each built by `body(i)`) and counts the
/// answers by status.
async fn parallel(t: &TestApp, n: usize, path: &str, body: impl Fn(usize) -> Value) -> BTreeMap<u16, usize> {
    let sends = (0..n).map(|i| t.post(path, None, body(i)));
    let mut counts = BTreeMap::new();
    for r in futures_join_all(sends).await {
        *counts.entry(r.status.as_u16()).or_default() += 1;
    }
    counts
}

async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.collect();
    let mut set = Vec::with_capacity(handles.len());
    // Polled together: every request is in flight before any is answered.
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    set.extend(done.into_iter().map(Option::unwrap));
    set
}

#[tokio::test]
async fn a_hundred_parallel_guesses_get_exactly_the_free_tries() {
    let t = TestApp::spawn().await;
    let counts = parallel(
        &t,
        100,
        "/api/v1/auth/login",
        |i| json!({"username": "nina.nurse", "password": format!("guess {i}")}),
    )
    .await;
    // Five free failures, and the sixth attempt may still go ahead: exactly
    // six passwords are checked, whatever the timing.
    assert_eq!(counts, BTreeMap::from([(401, 6), (429, 94)]), "{counts:?}");
    // The right password is refused too now (the clock has not moved).
    let right = t.try_login("nina.nurse", PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.header("retry-after").is_some());
    // A colleague at the same address is not locked out by one account's lock.
    assert_eq!(t.try_login("mo.assistant", PASSWORD).await.status, StatusCode::OK);
    // The waiting period passes; a success clears the account's count.
    t.advance(switchboard_domain::time::Span::from_mins(10));
    assert_eq!(t.try_login("nina.nurse", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(t.try_login("nina.nurse", "wrong again").await.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn successful_sign_ins_from_one_address_do_not_add_up_to_a_lock() {
    let t = TestApp::spawn().await;
    // A clinic's staff share one address: forty sign-ins in an hour are
    // forty successes, not forty attempts against the address's limit.
    for _ in 0..40 {
        assert_eq!(t.try_login("mo.assistant", PASSWORD).await.status, StatusCode::OK);
    }
    t.stop().await;
}

fn token_of(path: &str) -> String {
    path.split_once("#token=").map(|(_, t)| t.to_owned()).unwrap_or_else(|| panic!("no token in {path}"))
}

#[tokio::test]
async fn a_hundred_parallel_birth_date_guesses_get_exactly_five_tries() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let rec = json!({"given_name": "Gil", "family_name": "Hart", "birth_date": "1961-03-04", "mrn": "RFM-7001"});
    let gil = t.add_patient(&admin, rec).await.json()["id"].as_str().unwrap().to_owned();
    let r =
        t.post(&format!("/api/v1/patient-accounts/{gil}/invitation"), Some(&admin), json!({"channel": "desk"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = token_of(r.json()["path"].as_str().unwrap());
    let guesses = parallel(&t, 100, "/api/v1/links/redeem", |i| {
        // Every date of one century but the right one.
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        json!({"token": token, "password": "a long new passphrase", "username": "gil.hart",
               "birth_date": format!("19{:02}-{month:02}-{day:02}", 20 + i / 28)})
    })
    .await;
    // Four "does not match", the fifth revokes the invitation; the rest are
    // refused as spent (410) or slowed at the address (429). Nothing else:
    // no enrolment, no 500.
    assert_eq!(guesses.get(&422), Some(&4), "{guesses:?}");
    assert!(guesses.keys().all(|s| [422, 410, 429].contains(s)), "{guesses:?}");
    let right = json!({"token": token, "password": "a long new passphrase", "username": "gil.hart", "birth_date": "1961-03-04"});
    let r = t.post("/api/v1/links/redeem", None, right).await;
    assert!(matches!(r.status.as_u16(), 410 | 429), "revoked: {}", r.text);
    assert_eq!(t.try_login("gil.hart", "a long new passphrase").await.status, StatusCode::UNAUTHORIZED);
    // Each wrong try is on record once, with its number.
    for n in 1..=5 {
        let sql =
            format!("SELECT COUNT(*) FROM audit_log WHERE action = 'link_refused' AND detail = 'wrong_birth_date={n}'");
        assert_eq!(t.count(&sql).await, 1, "try {n}");
    }
    t.stop().await;
}

#[tokio::test]
async fn unknown_link_tokens_are_throttled_per_address_and_kept_in_the_operators_log() {
    let t = TestApp::spawn().await;
    let mut statuses = BTreeMap::<u16, usize>::new();
    for i in 0..40 {
        let token = format!("{:0>43}", i);
        let r = t.post("/api/v1/links/inspect", None, json!({"token": token})).await;
        *statuses.entry(r.status.as_u16()).or_default() += 1;
    }
    // The address policy's free tries (30, and the 31st), then waiting.
    assert_eq!(statuses, BTreeMap::from([(410, 31), (429, 9)]), "{statuses:?}");
    // On record, in no practice's log: the operator's.
    let unplaced = "SELECT COUNT(*) FROM audit_log WHERE action = 'link_refused' AND detail = 'unknown_token' AND practice_id IS NULL";
    assert_eq!(t.count(unplaced).await, 31);
    let out = t.cli(&["operator", "key", "create", "--name", "audit"]).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.lines().map(str::trim).find(|l| l.starts_with("sbop_")).unwrap().to_owned();
    let _ = t.try_login("nobody.at.all", "whatever it is").await;
    let log = t.get("/api/v1/operator/audit-events?limit=50", Some(&key)).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let events = log.json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 32 + 1, "31 links, one failed sign-in, and making the key? {}", log.text);
    assert!(events.iter().any(|e| e["action"] == "login_failed" && e["detail"] == "unknown_user"));
    assert!(events.iter().all(|e| e["patient_id"].is_null()));
    // A practice's auditor sees none of it.
    let admin = t.login("admin").await;
    let theirs = t.get("/api/v1/audit-events?action=link_refused", Some(&admin)).await.json();
    assert_eq!(theirs["events"].as_array().unwrap().len(), 0, "{theirs}");
    t.stop().await;
}

/// The audit events of `token`'s practice, optionally of one outcome.
async fn audit(t: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = t.get(&format!("/api/v1/audit-events?limit=500&{query}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn refused_administration_is_on_record_in_the_practice_it_concerns() {
    let t = TestApp::spawn().await;
    let nina = t.login("nina.nurse").await;
    let fran_id = t.user_id("fran.frontdesk").await;
    let alice = t.patient_id("alice").await;
    // A nurse tries what only administrators may.
    let staff = json!({"username": "evil.admin", "display_name": "Evil", "role": "practice_admin"});
    assert_eq!(t.add_staff(&nina, staff).await.status, StatusCode::NOT_FOUND);
    let r = t.post(&format!("/api/v1/users/{fran_id}/reset-link"), Some(&nina), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.post(&format!("/api/v1/users/{fran_id}/deactivate"), Some(&nina), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let edit = json!({"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "mrn": "X-1"});
    let r = t
        .request(reqwest::Method::PUT, &format!("/api/v1/patient-accounts/{alice}"), Some(&nina), Some(edit.clone()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.post_raw("/api/v1/patient-accounts/import", Some(&nina), "text/csv", b"mrn\n".to_vec()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.request(reqwest::Method::PUT, "/api/v1/routing-rules", Some(&nina), Some(json!({"rules": []}))).await;
    assert!(matches!(r.status.as_u16(), 404 | 422), "{}", r.text);

    let cora = t.login("cora.compliance").await;
    let nina_id = t.user_id("nina.nurse").await;
    let refused = audit(&t, &cora, &format!("outcome=denied&actor_id={nina_id}")).await;
    let actions: Vec<&str> = refused.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for expected in ["user_created", "link_issued", "user_deactivated", "patient_updated", "patients_imported"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }

    // Another practice's administrator reaches for our patient and colleague.
    let lake = t.login("lake.admin").await;
    let r =
        t.request(reqwest::Method::PUT, &format!("/api/v1/patient-accounts/{alice}"), Some(&lake), Some(edit)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.post(&format!("/api/v1/users/{fran_id}/deactivate"), Some(&lake), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let lake_id = t.user_id("lake.admin").await;
    let ours = audit(&t, &cora, &format!("actor_id={lake_id}")).await;
    assert!(ours.iter().any(|e| e["action"] == "patient_updated" && e["patient_id"] == alice.as_str()), "{ours:?}");
    assert!(ours.iter().any(|e| e["action"] == "user_deactivated" && e["resource_id"] == fran_id.as_str()), "{ours:?}");
    // Lakeside's own log says their administrator was refused, with none of our ids.
    let theirs = audit(&t, &lake, "outcome=denied").await;
    let text = serde_json::to_string(&theirs).unwrap();
    assert!(theirs.len() >= 2, "{text}");
    assert!(!text.contains(&alice) && !text.contains(&fran_id), "{text}");
    t.stop().await;
}

#[tokio::test]
async fn probes_of_another_practices_conversation_are_seen_by_its_compliance_officer_only() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let conversation = t.patient_conversation(&alice, "Refill", "Please refill my prescription.").await;
    let alice_patient = t.patient_id("alice").await;
    let lee = t.login("dr.lee").await;
    for _ in 0..12 {
        let r = t.get(&format!("/api/v1/conversations/{conversation}"), Some(&lee)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let lee_id = t.user_id("dr.lee").await;
    let cora = t.login("cora.compliance").await;
    let ours = audit(&t, &cora, &format!("patient_id={alice_patient}&outcome=denied")).await;
    let probes = ours.iter().filter(|e| e["actor_id"] == lee_id.as_str()).count();
    assert_eq!(probes, 12, "Riverside sees every probe of its patient");
    let lake = t.login("lake.admin").await;
    let theirs = audit(&t, &lake, &format!("actor_id={lee_id}&outcome=denied")).await;
    assert_eq!(theirs.len(), 12, "Lakeside sees its user refused");
    let text = serde_json::to_string(&theirs).unwrap();
    assert!(!text.contains(&conversation) && !text.contains(&alice_patient), "no Riverside ids: {text}");
    // A made-up id looks the same in Lakeside's log.
    let made_up = "0190a0a0-0000-7000-8000-000000000000";
    assert_eq!(t.get(&format!("/api/v1/conversations/{made_up}"), Some(&lee)).await.status, StatusCode::NOT_FOUND);
    let after = audit(&t, &lake, &format!("actor_id={lee_id}&outcome=denied")).await;
    assert_eq!(after.len(), 13);
    let strip =
        |e: &Value| (e["action"].clone(), e["detail"].clone(), e["resource_id"].clone(), e["patient_id"].clone());
    assert_eq!(strip(&after[0]), strip(&after[1]));
    t.stop().await;
}
