//! Every conversation route × every role × own patient, another patient of
//! the practice, another practice. The expectations are written out here
//! from the rules in the issue, independently of the policy code.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The conversations the matrix works on, by the patient they belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// Alice's, Primary Care, Dr. Patel's team.
    Alice,
    /// Bob's, Cardiology, Dr. Okafor's team.
    Bob,
    /// Alice's billing question, assigned to bill.billing.
    AliceBilling,
    /// Dana's, at the other practice.
    Dana,
}

const TARGETS: [Target; 4] = [Target::Alice, Target::Bob, Target::AliceBilling, Target::Dana];

/// Who may work each target, per the issue: patients their own; staff of
/// the practice related by care team, department or assignment, in a role
/// that works patient conversations.
fn staff_may_work(user: &str, target: Target) -> bool {
    match target {
        Target::Alice => matches!(user, "dr.patel" | "nina.nurse" | "mo.assistant" | "fran.frontdesk"),
        Target::AliceBilling => {
            matches!(user, "dr.patel" | "nina.nurse" | "mo.assistant" | "fran.frontdesk" | "bill.billing")
        }
        Target::Bob => matches!(user, "dr.okafor" | "fran.frontdesk"),
        Target::Dana => matches!(user, "dr.lee" | "lake.nurse"),
    }
}

fn owner(target: Target) -> &'static str {
    match target {
        Target::Alice | Target::AliceBilling => "alice",
        Target::Bob => "bob",
        Target::Dana => "dana",
    }
}

const PATIENTS: [&str; 4] = ["alice", "carol", "bob", "dana"];
const STAFF: [&str; 11] = [
    "admin",
    "dr.patel",
    "dr.okafor",
    "nina.nurse",
    "mo.assistant",
    "fran.frontdesk",
    "bill.billing",
    "cora.compliance",
    "lake.admin",
    "dr.lee",
    "lake.nurse",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    View,
    Reply,
    Read,
    Note,
    Close,
    Reopen,
    Assign,
    AmendFirstMessage,
}

const ACTS: [Act; 8] =
    [Act::View, Act::Reply, Act::Read, Act::Note, Act::Close, Act::Reopen, Act::Assign, Act::AmendFirstMessage];

fn expected(user: &str, target: Target, act: Act) -> bool {
    if PATIENTS.contains(&user) {
        let own = owner(target) == user;
        return own && matches!(act, Act::View | Act::Reply | Act::Read | Act::Close | Act::AmendFirstMessage);
    }
    // The first message of each target was written by its patient: staff
    // may never amend it.
    staff_may_work(user, target) && act != Act::AmendFirstMessage
}

struct Fixture {
    conversation: BTreeMap<Target, String>,
    first_message: BTreeMap<Target, String>,
    assignee: BTreeMap<Target, Value>,
}

async fn fixture(t: &TestApp, tokens: &BTreeMap<&str, String>) -> Fixture {
    let mut conversation = BTreeMap::new();
    let mut first_message = BTreeMap::new();
    let mut assignee = BTreeMap::new();
    for target in TARGETS {
        let token = &tokens[owner(target)];
        let topic = if target == Target::AliceBilling { "billing" } else { "care_question" };
        let r = t
            .start_conversation(token, json!({"subject": format!("{target:?}"), "topic": topic, "body": "first"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        conversation.insert(target, r.json()["id"].as_str().unwrap().to_owned());
        first_message.insert(target, r.json()["message_id"].as_str().unwrap().to_owned());
        assignee.insert(target, Value::Null);
    }
    let bill = t.user_id("bill.billing").await;
    let r = t
        .post(
            &format!("/api/v1/conversations/{}/assign", conversation[&Target::AliceBilling]),
            Some(&tokens["nina.nurse"]),
            json!({"assignee_id": bill}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assignee.insert(Target::AliceBilling, json!(bill));
    Fixture { conversation, first_message, assignee }
}

async fn attempt(t: &TestApp, token: Option<&str>, f: &Fixture, target: Target, act: Act) -> StatusCode {
    let c = &f.conversation[&target];
    let (method, path, body) = match act {
        Act::View => (Method::GET, format!("/api/v1/conversations/{c}"), None),
        Act::Reply => (Method::POST, format!("/api/v1/conversations/{c}/messages"), Some(json!({"body": "a reply"}))),
        Act::Read => (Method::POST, format!("/api/v1/conversations/{c}/read"), None),
        Act::Note => (Method::POST, format!("/api/v1/conversations/{c}/notes"), Some(json!({"body": "a note"}))),
        Act::Close => (Method::POST, format!("/api/v1/conversations/{c}/close"), None),
        Act::Reopen => (Method::POST, format!("/api/v1/conversations/{c}/reopen"), None),
        // Re-assigning to the current assignee leaves the matrix unchanged.
        Act::Assign => (
            Method::POST,
            format!("/api/v1/conversations/{c}/assign"),
            Some(json!({"assignee_id": f.assignee[&target]})),
        ),
        Act::AmendFirstMessage => (
            Method::POST,
            format!("/api/v1/conversations/{c}/messages/{}/amendments", f.first_message[&target]),
            Some(json!({"body": "a correction"})),
        ),
    };
    t.request(method, &path, token, body).await.status
}

#[tokio::test]
async fn every_route_every_role_every_relationship() {
    let t = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        tokens.insert(*user, t.login(user).await);
    }
    let f = fixture(&t, &tokens).await;
    // Each refusal is on record once in the caller's own practice (and,
    // when it reached into another practice, also in that one's).
    const DENIED_HERE: &str = "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id \
                               WHERE a.outcome = 'denied' AND a.practice_id = u.practice_id";
    let denied_before = t.count(DENIED_HERE).await;
    let mut refusals = 0;
    let mut failures = Vec::new();

    for user in PATIENTS.iter().chain(STAFF.iter()) {
        for target in TARGETS {
            for act in ACTS {
                let status = attempt(&t, Some(&tokens[user]), &f, target, act).await;
                let allowed = expected(user, target, act);
                let ok = if allowed {
                    // Closing twice or reopening an open conversation is a
                    // conflict, which still shows access was granted.
                    matches!(status, StatusCode::OK | StatusCode::CREATED | StatusCode::CONFLICT)
                } else {
                    refusals += 1;
                    status == StatusCode::NOT_FOUND
                };
                if !ok {
                    failures.push(format!(
                        "{user} {act:?} {target:?}: got {status}, expected {}",
                        if allowed { "access" } else { "404" }
                    ));
                }
            }
        }
    }
    // Anonymous callers get 401 everywhere.
    for target in TARGETS {
        for act in ACTS {
            let status = attempt(&t, None, &f, target, act).await;
            if status != StatusCode::UNAUTHORIZED {
                failures.push(format!("anonymous {act:?} {target:?}: got {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "access matrix violations:\n{}", failures.join("\n"));

    // Every refusal was audited as a denial.
    let denied_after = t.count(DENIED_HERE).await;
    assert_eq!(denied_after - denied_before, refusals);
    t.stop().await;
}

#[tokio::test]
async fn listings_show_exactly_what_each_caller_may_see() {
    let t = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        tokens.insert(*user, t.login(user).await);
    }
    let f = fixture(&t, &tokens).await;
    let matrix_ids: BTreeSet<&String> = f.conversation.values().collect();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        let r = t.get("/api/v1/conversations?limit=200", Some(&tokens[user])).await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
        let seen: BTreeSet<String> = ids(&r.json()).into_iter().filter(|id| matrix_ids.contains(id)).collect();
        let expected: BTreeSet<String> = TARGETS
            .iter()
            .filter(|target| expected(user, **target, Act::View))
            .map(|target| f.conversation[target].clone())
            .collect();
        assert_eq!(seen, expected, "{user}");
    }
    // Filtering by another practice's patient finds nothing.
    let dana = t.patient_id("dana").await;
    let r = t.get(&format!("/api/v1/conversations?patient_id={dana}"), Some(&tokens["fran.frontdesk"])).await;
    assert!(ids(&r.json()).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn starting_conversations_follows_the_same_rules() {
    let t = TestApp::spawn().await;
    let patients: BTreeMap<&str, String> = [
        ("alice", t.patient_id("alice").await),
        ("bob", t.patient_id("bob").await),
        ("dana", t.patient_id("dana").await),
    ]
    .into_iter()
    .collect();
    let relation = |user: &str, patient: &str| match patient {
        "alice" => user == "alice" || staff_may_work(user, Target::Alice),
        "bob" => user == "bob" || staff_may_work(user, Target::Bob),
        _ => user == "dana" || staff_may_work(user, Target::Dana),
    };
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        let token = t.login(user).await;
        for (name, id) in &patients {
            let r = t
                .start_conversation(
                    &token,
                    json!({"subject": "Hi", "topic": "scheduling", "body": "b", "patient_id": id}),
                )
                .await;
            let expect = if relation(user, name) { StatusCode::CREATED } else { StatusCode::NOT_FOUND };
            assert_eq!(r.status, expect, "{user} for {name}: {}", r.text);
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn only_auditors_read_the_audit_log_and_only_their_own_practice() {
    let t = TestApp::spawn().await;
    let dana = t.patient_id("dana").await;
    let alice = t.patient_id("alice").await;
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        let token = t.login(user).await;
        let r = t.get("/api/v1/audit-events?limit=500", Some(&token)).await;
        let auditor = matches!(*user, "admin" | "cora.compliance" | "lake.admin");
        if !auditor {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{user}");
            continue;
        }
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
        let patients: BTreeSet<String> = r.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["patient_id"].as_str().map(str::to_owned))
            .collect();
        if *user == "lake.admin" {
            assert!(patients.contains(&dana) && !patients.contains(&alice), "{user}");
        } else {
            assert!(patients.contains(&alice) && !patients.contains(&dana), "{user}");
        }
    }
    t.stop().await;
}
