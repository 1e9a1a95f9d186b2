//! Every conversation route × every role × own patient, another patient of
//! the practice, another practice, and (issue 16, "Minimum necessary") a
//! clinical topic, a scheduling and a billing one, and conversations marked
//! sensitive, and caregivers (proxies: a grant in force, ended, revoked, a
//! confidential minor's conversation shared or not; `mod caregivers`). The
//! expectations are written out here from the rules in the
//! issues, independently of the policy code, under the practice's default
//! grants (`docs/access.md`).

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
    /// Alice's scheduling question (the front desk's pool takes it).
    AliceScheduling,
    /// Alice's care question, marked behavioural health.
    AliceBehavioural,
    /// Alice's care question, marked substance use (42 CFR Part 2).
    AlicePart2,
    /// Dana's, at the other practice.
    Dana,
}

const TARGETS: [Target; 7] = [
    Target::Alice,
    Target::Bob,
    Target::AliceBilling,
    Target::AliceScheduling,
    Target::AliceBehavioural,
    Target::AlicePart2,
    Target::Dana,
];

fn topic(target: Target) -> &'static str {
    match target {
        Target::AliceBilling => "billing",
        Target::AliceScheduling => "scheduling",
        _ => "care_question",
    }
}

fn sensitivity(target: Target) -> Option<&'static str> {
    match target {
        Target::AliceBehavioural => Some("behavioural_health"),
        Target::AlicePart2 => Some("substance_use"),
        _ => None,
    }
}

/// Who sees each target's row, per the issue: patients their own; staff of
/// the practice related by care team, department or assignment, in a role
/// that works patient conversations.
fn staff_may_work(user: &str, target: Target) -> bool {
    match target {
        Target::Alice | Target::AliceScheduling | Target::AliceBehavioural | Target::AlicePart2 => {
            matches!(user, "dr.patel" | "nina.nurse" | "mo.assistant" | "fran.frontdesk")
        }
        Target::AliceBilling => {
            matches!(user, "dr.patel" | "nina.nurse" | "mo.assistant" | "fran.frontdesk" | "bill.billing")
        }
        Target::Bob => matches!(user, "dr.okafor" | "fran.frontdesk"),
        Target::Dana => matches!(user, "dr.lee" | "lake.nurse"),
    }
}

fn role(user: &str) -> &'static str {
    match user {
        "dr.patel" | "dr.okafor" | "dr.lee" => "provider",
        "nina.nurse" | "lake.nurse" => "nurse",
        "mo.assistant" => "medical_assistant",
        "fran.frontdesk" => "front_desk",
        "bill.billing" => "billing",
        _ => "other",
    }
}

/// Whether the role reads the target's content under the default grants:
/// the front desk reads scheduling, billing reads billing; behavioural
/// health is for providers, nurses and medical assistants, substance use
/// for providers only.
fn role_reads(user: &str, target: Target) -> bool {
    let topic_ok = match role(user) {
        "front_desk" => topic(target) == "scheduling",
        "billing" => topic(target) == "billing",
        _ => true,
    };
    let category_ok = match sensitivity(target) {
        None => true,
        Some("substance_use") => role(user) == "provider",
        Some(_) => matches!(role(user), "provider" | "nurse" | "medical_assistant"),
    };
    topic_ok && category_ok
}

fn owner(target: Target) -> &'static str {
    match target {
        Target::Alice
        | Target::AliceBilling
        | Target::AliceScheduling
        | Target::AliceBehavioural
        | Target::AlicePart2 => "alice",
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
    /// Setting the conversation's sensitive mark to what it already is.
    MarkSensitive,
}

const ACTS: [Act; 9] = [
    Act::View,
    Act::Reply,
    Act::Read,
    Act::Note,
    Act::Close,
    Act::Reopen,
    Act::Assign,
    Act::AmendFirstMessage,
    Act::MarkSensitive,
];

fn expected(user: &str, target: Target, act: Act) -> bool {
    if PATIENTS.contains(&user) {
        let own = owner(target) == user;
        return own && matches!(act, Act::View | Act::Reply | Act::Read | Act::Close | Act::AmendFirstMessage);
    }
    // The first message of each target was written by its patient: staff
    // may never amend it. Everything else needs the row and the content;
    // marking sensitivity, a clinical role as well.
    let clinical = matches!(role(user), "provider" | "nurse" | "medical_assistant");
    staff_may_work(user, target)
        && role_reads(user, target)
        && act != Act::AmendFirstMessage
        && (act != Act::MarkSensitive || clinical)
}

/// Who sees the target's row in their lists, content or not.
fn sees_row(user: &str, target: Target) -> bool {
    if PATIENTS.contains(&user) {
        return owner(target) == user;
    }
    staff_may_work(user, target)
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
        let r = t
            .start_conversation(
                token,
                json!({"subject": format!("{target:?}"), "topic": topic(target), "body": "first"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_str().unwrap().to_owned();
        first_message.insert(target, r.json()["message_id"].as_str().unwrap().to_owned());
        // Nina (a nurse of Alice's care team) marks the sensitive ones, the
        // Part 2 one too, though her role does not read it afterwards.
        if let Some(category) = sensitivity(target) {
            let r = t
                .put(
                    &format!("/api/v1/conversations/{id}/sensitivity"),
                    Some(&tokens["nina.nurse"]),
                    json!({"category": category}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.json()["category"], category);
        }
        // Whoever routing gave it to stays its assignee (read by a provider
        // of the patient's department).
        let provider = match owner(target) {
            "alice" => "dr.patel",
            "bob" => "dr.okafor",
            _ => "dr.lee",
        };
        let r = t.get(&format!("/api/v1/conversations/{id}"), Some(&tokens[provider])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assignee.insert(target, r.json()["assignee"]["id"].clone());
        conversation.insert(target, id);
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
        Act::MarkSensitive => (
            Method::PUT,
            format!("/api/v1/conversations/{c}/sensitivity"),
            Some(json!({"category": sensitivity(target)})),
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
        let expected_rows: BTreeSet<String> = TARGETS
            .iter()
            .filter(|target| sees_row(user, **target))
            .map(|target| f.conversation[target].clone())
            .collect();
        assert_eq!(seen, expected_rows, "{user}");
        // A row whose content the caller may not read carries the routing
        // metadata only: no subject, preview or sensitive mark.
        for row in r.json()["conversations"].as_array().unwrap() {
            let Some(target) = TARGETS.iter().find(|x| row["id"] == f.conversation[*x].as_str()) else { continue };
            let reads = expected(user, *target, Act::View);
            assert_eq!(row["content_withheld"], !reads, "{user} {target:?}");
            if reads {
                assert_eq!(row["subject"], format!("{target:?}"), "{user} {target:?}");
                assert_eq!(row["preview"]["text"], "first", "{user} {target:?}");
                let mark = if PATIENTS.contains(user) { None } else { sensitivity(*target) };
                assert_eq!(row["sensitivity"].as_str(), mark, "{user} {target:?}");
            } else {
                assert!(row["subject"].is_null(), "{user} {target:?}");
                assert!(row.get("preview").is_none(), "{user} {target:?}");
                assert!(row["sensitivity"].is_null(), "{user} {target:?}");
                assert_eq!(row["topic"], topic(*target), "{user} {target:?}");
                assert!(row["patient"]["display_name"].is_string());
                assert!(row["routing"]["owner_kind"].is_string() || row["routing"]["owner_kind"].is_null());
            }
        }
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

/// Refusals for lack of a grant are audited with their reason: a clinical
/// topic for the front desk, a sensitive category for a role not granted
/// it. The front desk cannot start a conversation on a topic it does not
/// read, and nobody is handed a conversation their role may not read.
#[tokio::test]
async fn withheld_content_is_refused_with_its_reason_on_record() {
    let t = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        tokens.insert(*user, t.login(user).await);
    }
    let f = fixture(&t, &tokens).await;
    let denials = |reason: &'static str| {
        let t = &t;
        async move {
            t.count(&format!(
                "SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND action = 'conversation_viewed' \
                 AND detail = 'denied:{reason}'"
            ))
            .await
        }
    };
    let (clinical, sensitive) = (denials("not_granted_clinical").await, denials("sensitive").await);
    let view = |user: &'static str, target: Target| {
        let (t, token, c) = (&t, tokens[user].clone(), f.conversation[&target].clone());
        async move { t.get(&format!("/api/v1/conversations/{c}"), Some(&token)).await.status }
    };
    assert_eq!(view("fran.frontdesk", Target::Alice).await, StatusCode::NOT_FOUND);
    assert_eq!(view("fran.frontdesk", Target::AliceScheduling).await, StatusCode::OK);
    assert_eq!(view("bill.billing", Target::AliceBilling).await, StatusCode::OK);
    assert_eq!(denials("not_granted_clinical").await, clinical + 1);
    assert_eq!(view("nina.nurse", Target::AlicePart2).await, StatusCode::NOT_FOUND);
    assert_eq!(view("nina.nurse", Target::AliceBehavioural).await, StatusCode::OK);
    assert_eq!(view("dr.patel", Target::AlicePart2).await, StatusCode::OK);
    assert_eq!(denials("sensitive").await, sensitive + 1);

    // Staff start only topics they read.
    let alice = t.patient_id("alice").await;
    let r = t
        .start_conversation(
            &tokens["fran.frontdesk"],
            json!({"subject": "Hi", "topic": "test_results", "body": "b", "patient_id": alice}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "topic");

    // Fran may not be handed the Part 2 conversation, nor Nina.
    for who in ["fran.frontdesk", "nina.nurse"] {
        let id = t.user_id(who).await;
        let r = t
            .post(
                &format!("/api/v1/conversations/{}/assign", f.conversation[&Target::AlicePart2]),
                Some(&tokens["dr.patel"]),
                json!({"assignee_id": id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{who}: {}", r.text);
    }
    // Marking is audited with the change; the front desk and patients
    // cannot mark.
    let c = &f.conversation[&Target::Alice];
    for who in ["fran.frontdesk", "alice", "admin"] {
        let r = t
            .put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&tokens[who]), json!({"category": null}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let r = t
        .put(
            &format!("/api/v1/conversations/{c}/sensitivity"),
            Some(&tokens["mo.assistant"]),
            json!({"category": "reproductive_health"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&tokens["mo.assistant"]), json!({"category": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM audit_log WHERE action = 'conversation_sensitivity_changed' AND outcome = 'success' \
             AND detail = 'from=none;to=reproductive_health'"
        )
        .await,
        1
    );
    // Billing and the front desk now see its row only; Nina still reads it.
    assert_eq!(view("nina.nurse", Target::Alice).await, StatusCode::OK);
    t.stop().await;
}

/// What emergency access opens of a conversation: reading, answering,
/// notes and marking read; never closing, reopening, reassigning, marking
/// sensitivity or amending the patient's words (`docs/access.md`).
fn emergency_opens(act: Act) -> bool {
    matches!(act, Act::View | Act::Reply | Act::Read | Act::Note)
}

/// Nina (a nurse of Primary Care) and Bob (Cardiology): before a grant,
/// during it, for another patient, for a role that may not break glass,
/// for a colleague who holds none, and after it ends.
#[tokio::test]
async fn break_glass_before_during_after_other_patient_wrong_role() {
    let t = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        tokens.insert(*user, t.login(user).await);
    }
    let f = fixture(&t, &tokens).await;
    // Another Cardiology patient, with a conversation Dr. Okafor started.
    let admin = &tokens["admin"];
    let cardiology = t.department_id(admin, "Cardiology").await;
    let r = t
        .add_patient(
            admin,
            json!({"given_name": "Omar", "family_name": "Haddad", "birth_date": "1970-05-06", "mrn": "RFM-7001",
                   "department_id": cardiology}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let omar = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .start_conversation(
            &tokens["dr.okafor"],
            json!({"patient_id": omar, "subject": "Results", "topic": "care_question", "body": "Your results are in."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let omar_conversation = r.json()["id"].as_str().unwrap().to_owned();
    let bob =
        t.get(&format!("/api/v1/conversations/{}", f.conversation[&Target::Bob]), Some(&tokens["dr.okafor"])).await;
    let bob_patient = bob.json()["patient"]["id"].as_str().unwrap().to_owned();

    let mut failures = Vec::new();
    let mut check = |who: &str, when: &str, target: Target, act: Act, status: StatusCode, allowed: bool| {
        let ok = if allowed {
            matches!(status, StatusCode::OK | StatusCode::CREATED | StatusCode::CONFLICT)
        } else {
            status == StatusCode::NOT_FOUND
        };
        if !ok {
            failures.push(format!(
                "{who} {when} {act:?} {target:?}: got {status}, expected {}",
                if allowed { "access" } else { "404" }
            ));
        }
    };

    // Before: nothing of Bob's.
    for act in ACTS {
        let status = attempt(&t, Some(&tokens["nina.nurse"]), &f, Target::Bob, act).await;
        check("nina.nurse", "before", Target::Bob, act, status, false);
    }
    // Roles that may not break glass cannot start it.
    for who in ["fran.frontdesk", "bill.billing", "admin", "cora.compliance", "lake.nurse"] {
        let r = t
            .post(
                "/api/v1/emergency-access",
                Some(&tokens[who]),
                json!({"patient_id": bob_patient, "reason": "Testing the emergency access rules"}),
            )
            .await;
        if r.status != StatusCode::NOT_FOUND {
            check(who, "starting", Target::Bob, Act::View, r.status, false);
        }
    }
    // Nina proves it is her again, then breaks glass for Bob.
    t.advance(switchboard_domain::time::Span::from_secs(1));
    let r = t.post("/api/v1/auth/reauthenticate", Some(&tokens["nina.nurse"]), json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t
        .post(
            "/api/v1/emergency-access",
            Some(&tokens["nina.nurse"]),
            json!({"patient_id": bob_patient, "reason": "Chest pain on the phone, cardiology closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // During: Bob's conversation opens to what an emergency needs; every
    // other target is as it was; another patient stays closed; a
    // colleague without a grant (Mo, a medical assistant) gets nothing.
    for target in TARGETS {
        for act in ACTS {
            let status = attempt(&t, Some(&tokens["nina.nurse"]), &f, target, act).await;
            let allowed =
                if target == Target::Bob { emergency_opens(act) } else { expected("nina.nurse", target, act) };
            check("nina.nurse", "during", target, act, status, allowed);
        }
        let status = attempt(&t, Some(&tokens["mo.assistant"]), &f, Target::Bob, Act::View).await;
        check("mo.assistant", "during (no grant)", Target::Bob, Act::View, status, false);
    }
    let omar_status =
        t.get(&format!("/api/v1/conversations/{omar_conversation}"), Some(&tokens["nina.nurse"])).await.status;
    check("nina.nurse", "during, another patient's", Target::Bob, Act::View, omar_status, false);
    // After it ends (sixty minutes; she signs in again).
    t.advance(switchboard_domain::time::Span::from_mins(60));
    let nina = t.login("nina.nurse").await;
    for act in ACTS {
        let status = attempt(&t, Some(&nina), &f, Target::Bob, act).await;
        check("nina.nurse", "after", Target::Bob, act, status, false);
    }
    assert!(failures.is_empty(), "break-glass matrix violations:\n{}", failures.join("\n"));
    t.stop().await;
}

/// A deactivated staff member's and patient's sessions are refused on
/// every route (401), and they cannot sign in again.
#[tokio::test]
async fn deactivated_users_are_refused_everywhere() {
    let t = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for user in PATIENTS.iter().chain(STAFF.iter()) {
        tokens.insert(*user, t.login(user).await);
    }
    let f = fixture(&t, &tokens).await;
    for user in ["nina.nurse", "alice"] {
        let id = t.user_id(user).await;
        let r = t.post(&format!("/api/v1/users/{id}/deactivate"), Some(&tokens["admin"]), json!({})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    let mut failures = Vec::new();
    for user in ["nina.nurse", "alice"] {
        for target in TARGETS {
            for act in ACTS {
                let status = attempt(&t, Some(&tokens[user]), &f, target, act).await;
                if status != StatusCode::UNAUTHORIZED {
                    failures.push(format!("deactivated {user} {act:?} {target:?}: got {status}"));
                }
            }
        }
        for path in [
            "/api/v1/conversations",
            "/api/v1/me",
            "/api/v1/events",
            "/api/v1/emergency-access",
            "/api/v1/inbox/counts",
        ] {
            let status = t.get(path, Some(&tokens[user])).await.status;
            if status != StatusCode::UNAUTHORIZED {
                failures.push(format!("deactivated {user} GET {path}: got {status}"));
            }
        }
        let status = t.try_login(user, PASSWORD).await.status;
        if status != StatusCode::UNAUTHORIZED {
            failures.push(format!("deactivated {user} signed in again: {status}"));
        }
    }
    // Everyone else is as before.
    for target in TARGETS {
        let status = attempt(&t, Some(&tokens["dr.patel"]), &f, target, Act::View).await;
        let allowed = expected("dr.patel", target, Act::View);
        if (status == StatusCode::OK) != allowed {
            failures.push(format!("dr.patel View {target:?}: got {status}"));
        }
    }
    assert!(failures.is_empty(), "deactivated users reached:\n{}", failures.join("\n"));
    t.stop().await;
}

/// Caregivers (issue 16): proxies are another relationship. Jane holds the
/// practice's grants for Sam (13: a confidential minor) and Mia (7); Carol's
/// grant for Mia has ended; Bob's, given by Alice, was revoked; Sam is the
/// minor himself. Written out from the rules in the issue.
mod caregivers {
    use super::*;
    use switchboard_domain::time::Span;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    enum Conv {
        JaneOwn,
        Mia,
        SamUnshared,
        SamShared,
        Alice,
        Dana,
    }
    const CONVS: [Conv; 6] = [Conv::JaneOwn, Conv::Mia, Conv::SamUnshared, Conv::SamShared, Conv::Alice, Conv::Dana];
    /// `kim` and `lee` are caregivers who are not patients of the
    /// practice (accounts made with a code): Kim Mia's guardian by the
    /// practice's code, Lee Alice's until she revoked it.
    const CALLERS: [&str; 6] = ["jane", "carol", "bob", "sam", "kim", "lee"];

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Act {
        View,
        Reply,
        Read,
        Close,
        Note,
        Reopen,
        AmendFirstMessage,
        /// Setting the sharing to what it already is.
        Share,
    }
    const ACTS: [Act; 8] =
        [Act::View, Act::Reply, Act::Read, Act::Close, Act::Note, Act::Reopen, Act::AmendFirstMessage, Act::Share];

    fn owner(c: Conv) -> &'static str {
        match c {
            Conv::JaneOwn => "jane",
            Conv::Mia => "mia",
            Conv::SamUnshared | Conv::SamShared => "sam",
            Conv::Alice => "alice",
            Conv::Dana => "dana",
        }
    }

    fn shared(c: Conv) -> bool {
        c != Conv::SamUnshared
    }

    /// A patient's own conversations as before; a caregiver with a grant in
    /// force reads, answers, marks read and closes the patient's shared (or
    /// not confidential) conversations, never amends the patient's words or
    /// changes the sharing; nobody else reaches anything.
    fn expected(user: &str, c: Conv, act: Act) -> bool {
        if owner(c) == user {
            return matches!(
                act,
                Act::View | Act::Reply | Act::Read | Act::Close | Act::AmendFirstMessage | Act::Share
            );
        }
        let open = (user == "jane" && matches!(c, Conv::Mia | Conv::SamShared)) || (user == "kim" && c == Conv::Mia);
        open && matches!(act, Act::View | Act::Reply | Act::Read | Act::Close)
    }

    async fn attempt(t: &TestApp, token: &str, id: &str, first: &str, c: Conv, act: Act) -> StatusCode {
        let (method, path, body) = match act {
            Act::View => (Method::GET, format!("/api/v1/conversations/{id}"), None),
            Act::Reply => {
                (Method::POST, format!("/api/v1/conversations/{id}/messages"), Some(json!({"body": "a reply"})))
            }
            Act::Read => (Method::POST, format!("/api/v1/conversations/{id}/read"), None),
            Act::Close => (Method::POST, format!("/api/v1/conversations/{id}/close"), None),
            Act::Note => (Method::POST, format!("/api/v1/conversations/{id}/notes"), Some(json!({"body": "a note"}))),
            Act::Reopen => (Method::POST, format!("/api/v1/conversations/{id}/reopen"), None),
            Act::AmendFirstMessage => (
                Method::POST,
                format!("/api/v1/conversations/{id}/messages/{first}/amendments"),
                Some(json!({"body": "a correction"})),
            ),
            Act::Share => {
                (Method::PUT, format!("/api/v1/conversations/{id}/sharing"), Some(json!({"shared": shared(c)})))
            }
        };
        t.request(method, &path, Some(token), body).await.status
    }

    #[tokio::test]
    async fn caregivers_reach_what_their_grants_open_and_nothing_else() {
        let t = TestApp::spawn().await;
        let admin = t.login("admin").await;
        // Carol, Mia's guardian for an hour; Bob, Alice's caregiver until
        // she revokes it.
        let (mia, carol) = (t.patient_id("mia").await, t.patient_id("carol").await);
        let r = t
            .post(
                &format!("/api/v1/patient-accounts/{mia}/caregivers"),
                Some(&admin),
                json!({"caregiver_patient_id": carol, "relationship": "guardian", "until": "2026-01-05T16:00:00Z"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let alice = t.login("alice").await;
        let code = t
            .post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "spouse"}))
            .await
            .json()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let r =
            t.post("/api/v1/caregiver-invitations/accept", Some(&t.login("bob").await), json!({"code": code})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let grant = r.json()["grant_id"].as_str().unwrap().to_owned();
        let r = t.request(Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&alice), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        // Kim and Lee make accounts with their codes; Kim accepts the terms.
        let new_account = |code: String, username: &'static str| {
            let t = &t;
            async move {
                let body = json!({"code": code, "given_name": username, "family_name": "Carer", "username": username, "password": PASSWORD});
                let r = t.post("/api/v1/caregiver-accounts", None, body).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            }
        };
        let r = t
            .post(
                &format!("/api/v1/patient-accounts/{mia}/caregiver-invitations"),
                Some(&admin),
                json!({"relationship": "guardian"}),
            )
            .await;
        new_account(r.json()["code"].as_str().unwrap().to_owned(), "kim").await;
        let r = t.post("/api/v1/me/caregiver-invitations", Some(&alice), json!({"relationship": "other"})).await;
        new_account(r.json()["code"].as_str().unwrap().to_owned(), "lee").await;
        let kim = t.login("kim").await;
        assert_eq!(
            t.post("/api/v1/me/terms-acceptances", Some(&kim), json!({"version": 1})).await.status,
            StatusCode::CREATED
        );
        let lee = t.login("lee").await;
        let lees = t.get("/api/v1/me/caregiving", Some(&lee)).await.json();
        let grant = lees[0]["grant_id"].as_str().unwrap().to_owned();
        let r = t.request(Method::DELETE, &format!("/api/v1/caregivers/{grant}"), Some(&alice), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);

        let mut convs = BTreeMap::new();
        let mut firsts = BTreeMap::new();
        for c in CONVS {
            let token = t.login(owner(c)).await;
            let mut body = json!({"subject": format!("{c:?}"), "topic": "care_question", "body": "first"});
            if c == Conv::SamShared {
                body["share_with_caregivers"] = json!(true);
            }
            let r = t.start_conversation(&token, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            convs.insert(c, r.json()["id"].as_str().unwrap().to_owned());
            firsts.insert(c, r.json()["message_id"].as_str().unwrap().to_owned());
        }
        // Carol's hour is over.
        t.advance(Span::from_hours(2));
        let mut tokens = BTreeMap::new();
        for user in CALLERS {
            tokens.insert(user, t.login(user).await);
        }

        const DENIED_HERE: &str = "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id \
                                   WHERE a.outcome = 'denied' AND a.practice_id = u.practice_id";
        let denied_before = t.count(DENIED_HERE).await;
        let (mut refusals, mut failures) = (0, Vec::new());
        for user in CALLERS {
            for c in CONVS {
                for act in ACTS {
                    let status = attempt(&t, &tokens[user], &convs[&c], &firsts[&c], c, act).await;
                    let allowed = expected(user, c, act);
                    let ok = if allowed {
                        matches!(status, StatusCode::OK | StatusCode::CREATED | StatusCode::CONFLICT)
                    } else {
                        refusals += 1;
                        status == StatusCode::NOT_FOUND
                    };
                    if !ok {
                        failures.push(format!(
                            "{user} {act:?} {c:?}: got {status}, expected {}",
                            if allowed { "access" } else { "404" }
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "caregiver matrix violations:\n{}", failures.join("\n"));
        assert_eq!(t.count(DENIED_HERE).await - denied_before, refusals);

        // Listings, per patient asked for: one's own, or a patient one acts
        // for (shared only for a confidential minor); nothing of anyone else.
        let matrix: BTreeSet<&String> = convs.values().collect();
        for user in CALLERS {
            for asked in ["jane", "mia", "sam", "alice", "dana"] {
                let pid = t.patient_id(asked).await;
                let r = t.get(&format!("/api/v1/conversations?patient_id={pid}&limit=200"), Some(&tokens[user])).await;
                assert_eq!(r.status, StatusCode::OK, "{user} {asked}: {}", r.text);
                let seen: BTreeSet<String> = ids(&r.json()).into_iter().filter(|i| matrix.contains(i)).collect();
                let want: BTreeSet<String> = CONVS
                    .iter()
                    .filter(|c| owner(**c) == asked && expected(user, **c, Act::View))
                    .map(|c| convs[c].clone())
                    .collect();
                assert_eq!(seen, want, "{user} listing {asked}");
            }
        }
        // Starting a conversation for someone follows the grants (whatever
        // the minor's confidentiality: what a caregiver writes is shared).
        for user in CALLERS {
            for asked in ["mia", "sam", "alice", "dana"] {
                let pid = t.patient_id(asked).await;
                let r = t
                    .start_conversation(
                        &tokens[user],
                        json!({"subject": "Hi", "topic": "scheduling", "body": "b", "patient_id": pid}),
                    )
                    .await;
                let allowed = user == asked
                    || (user == "jane" && matches!(asked, "mia" | "sam"))
                    || (user == "kim" && asked == "mia");
                let want = if allowed { StatusCode::CREATED } else { StatusCode::NOT_FOUND };
                assert_eq!(r.status, want, "{user} for {asked}: {}", r.text);
            }
        }
        t.stop().await;
    }
}
