//! Sensitive records and clinical content (issue 16, "Minimum necessary"):
//! the practice's settings, what they change, and who is handed what. The
//! access matrix (`access_matrix.rs`) covers every route under the
//! defaults; the live stream, `live.rs`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn roles_of(settings: &Value, category: &str) -> Vec<String> {
    let entry = settings["categories"].as_array().unwrap().iter().find(|c| c["category"] == category).unwrap();
    entry["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect()
}

fn topics_of(settings: &Value, role: &str) -> Vec<String> {
    let entry = settings["topics"].as_array().unwrap().iter().find(|c| c["role"] == role).unwrap();
    entry["topics"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn administrators_see_and_change_who_reads_what() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    // Only administrators, and it is recorded when others try.
    for who in ["dr.patel", "nina.nurse", "fran.frontdesk", "cora.compliance", "alice"] {
        let token = t.login(who).await;
        assert_eq!(t.get("/api/v1/practice/sensitivity", Some(&token)).await.status, StatusCode::NOT_FOUND, "{who}");
        let r = t.put("/api/v1/practice/sensitivity", Some(&token), json!({"categories": [], "topics": []})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'sensitivity_settings_changed' AND outcome = 'denied'")
            .await,
        5
    );

    // The defaults.
    let r = t.get("/api/v1/practice/sensitivity", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert!(d["updated_at"].is_null());
    assert_eq!(roles_of(&d, "behavioural_health"), ["provider", "nurse", "medical_assistant"]);
    assert_eq!(roles_of(&d, "reproductive_health"), ["provider", "nurse", "medical_assistant"]);
    assert_eq!(roles_of(&d, "substance_use"), ["provider"]);
    assert_eq!(topics_of(&d, "front_desk"), ["scheduling"]);
    assert_eq!(topics_of(&d, "billing"), ["billing"]);

    // Refused: a role that reads no conversation, topics for a clinical
    // role, unknown codes.
    for (body, field) in [
        (json!({"categories": [{"category": "substance_use", "roles": ["compliance_officer"]}], "topics": []}), "role"),
        (json!({"categories": [], "topics": [{"role": "nurse", "topics": ["billing"]}]}), "topics"),
        (json!({"categories": [{"category": "dental", "roles": []}], "topics": []}), "category"),
        (json!({"categories": [], "topics": [{"role": "front_desk", "topics": ["gossip"]}]}), "topics"),
        (json!({"categories": [], "topics": [{"role": "janitor", "topics": []}]}), "role"),
    ] {
        let r = t.put("/api/v1/practice/sensitivity", Some(&admin), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], field, "{body}");
    }

    // A care question Fran (front desk, Primary Care) sees as a row only.
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "My rash", "It spread to my arm.").await;
    let fran = t.login("fran.frontdesk").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&fran)).await.status, StatusCode::NOT_FOUND);
    let row = |list: Value| list["conversations"].as_array().unwrap().iter().find(|x| x["id"] == c.as_str()).cloned();
    let listed = row(t.get("/api/v1/conversations", Some(&fran)).await.json()).unwrap();
    assert_eq!(listed["content_withheld"], true);
    assert!(listed["subject"].is_null() && listed.get("preview").is_none());

    // The practice lets its front desk read care questions, and Part 2
    // records for nurses: the change is recorded and takes effect at once.
    let body = json!({
        "categories": [
            {"category": "behavioural_health", "roles": ["provider", "nurse"]},
            {"category": "substance_use", "roles": ["provider", "nurse"]},
        ],
        "topics": [{"role": "front_desk", "topics": ["scheduling", "care_question", "scheduling"]}],
    });
    let r = t.put("/api/v1/practice/sensitivity", Some(&admin), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let now = r.json();
    assert!(now["updated_at"].is_string());
    assert_eq!(roles_of(&now, "substance_use"), ["provider", "nurse"]);
    assert!(roles_of(&now, "reproductive_health").is_empty(), "left out: granted to nobody");
    assert_eq!(topics_of(&now, "front_desk"), ["care_question", "scheduling"]);
    assert!(topics_of(&now, "billing").is_empty());
    assert_eq!(t.get("/api/v1/practice/sensitivity", Some(&admin)).await.json(), now);
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'sensitivity_settings_changed' AND outcome = 'success'")
            .await,
        1
    );
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&fran)).await.status, StatusCode::OK);
    let listed = row(t.get("/api/v1/conversations", Some(&fran)).await.json()).unwrap();
    assert_eq!((listed["content_withheld"].as_bool(), listed["subject"].as_str()), (Some(false), Some("My rash")));

    // Marked reproductive health, which nobody reads now: even Dr. Patel
    // sees the row only, and may clear the mark no more.
    let nina = t.login("nina.nurse").await;
    let r = t
        .put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&nina), json!({"category": "reproductive_health"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let patel = t.login("dr.patel").await;
    assert_eq!(t.get(&format!("/api/v1/conversations/{c}"), Some(&patel)).await.status, StatusCode::NOT_FOUND);
    let r = t.put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&patel), json!({"category": null})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Back to a category nurses read: the administrator's grant opens it again.
    let body = json!({
        "categories": [{"category": "reproductive_health", "roles": ["provider"]}],
        "topics": [],
    });
    assert_eq!(t.put("/api/v1/practice/sensitivity", Some(&admin), body).await.status, StatusCode::OK);
    let v = t.get(&format!("/api/v1/conversations/{c}"), Some(&patel)).await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.json()["sensitivity"], "reproductive_health");
    let r = t.put(&format!("/api/v1/conversations/{c}/sensitivity"), Some(&patel), json!({"category": null})).await;
    assert_eq!((r.status, r.json()["category"].clone()), (StatusCode::OK, Value::Null));
    t.stop().await;
}

/// A topic the practice marks sensitive: its conversations start with the
/// mark, its earlier unmarked ones are marked (each on the record), marks
/// clinicians chose stay, staff cannot start what they could not read, and
/// unmarking the topic clears nothing.
#[tokio::test]
async fn a_topic_the_practice_marks_starts_its_conversations_marked() {
    let t = TestApp::spawn().await;
    let (admin, alice, nina, patel) =
        (t.login("admin").await, t.login("alice").await, t.login("nina.nurse").await, t.login("dr.patel").await);
    let alice_id = t.patient_id("alice").await;
    let start = |token: &str, topic: &str, subject: &str, patient: Option<&str>| {
        let (t, token) = (&t, token.to_owned());
        let mut body = json!({"subject": subject, "topic": topic, "body": "About my program."});
        if let Some(p) = patient {
            body["patient_id"] = json!(p);
        }
        async move { t.start_conversation(&token, body).await }
    };
    let id_of = |r: Resp| {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"].as_str().unwrap().to_owned()
    };
    let mark_of = |c: String| {
        let (t, patel) = (&t, patel.clone());
        async move { t.get(&format!("/api/v1/conversations/{c}"), Some(&patel)).await.json()["sensitivity"].clone() }
    };
    assert_eq!(t.get("/api/v1/practice/sensitivity", Some(&admin)).await.json()["topic_marks"], json!([]));
    let earlier = id_of(start(&alice, "monitoring_program", "Earlier", None).await);
    let chosen = id_of(start(&alice, "monitoring_program", "Chosen", None).await);
    let r = t
        .put(
            &format!("/api/v1/conversations/{chosen}/sensitivity"),
            Some(&nina),
            json!({"category": "behavioural_health"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let other = id_of(start(&alice, "care_question", "Other", None).await);

    // Refused: a topic twice, an unknown topic or category.
    let grants = t.get("/api/v1/practice/sensitivity", Some(&admin)).await.json();
    let with_marks = |marks: Value| {
        json!({
            "categories": grants["categories"].clone(),
            "topics": grants["topics"].clone(),
            "topic_marks": marks,
        })
    };
    for (marks, field) in [
        (
            json!([{"topic": "test_results", "category": "substance_use"}, {"topic": "test_results", "category": "reproductive_health"}]),
            "topic_marks",
        ),
        (json!([{"topic": "gossip", "category": "substance_use"}]), "topic_marks"),
        (json!([{"topic": "test_results", "category": "dental"}]), "category"),
    ] {
        let r = t.put("/api/v1/practice/sensitivity", Some(&admin), with_marks(marks.clone())).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{marks}"
        );
    }
    assert_eq!(t.count("SELECT count(*) FROM topic_sensitivity").await, 0, "nothing kept from a refusal");

    // The practice's monitoring program is an opioid treatment program.
    let marks = json!([{"topic": "monitoring_program", "category": "substance_use"}]);
    let r = t.put("/api/v1/practice/sensitivity", Some(&admin), with_marks(marks.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["topic_marks"], marks);
    assert_eq!(t.get("/api/v1/practice/sensitivity", Some(&admin)).await.json()["topic_marks"], marks);
    // The earlier one is marked now, on its own record; the one a nurse
    // marked keeps her mark; other topics are untouched.
    assert_eq!(mark_of(earlier.clone()).await, "substance_use");
    assert_eq!(
        t.count(
            "SELECT count(*) FROM audit_log WHERE action = 'conversation_sensitivity_changed' \
             AND detail = 'from=none;to=substance_use;by=topic'"
        )
        .await,
        1
    );
    assert_eq!(
        t.get(&format!("/api/v1/conversations/{chosen}"), Some(&nina)).await.json()["sensitivity"],
        "behavioural_health"
    );
    assert!(mark_of(other.clone()).await.is_null());
    // Part 2 by default: providers only. Nina sees the row, not the content.
    assert_eq!(t.get(&format!("/api/v1/conversations/{earlier}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);

    // New conversations on the topic start marked, whoever writes them.
    let fresh = id_of(start(&alice, "monitoring_program", "Fresh", None).await);
    assert_eq!(mark_of(fresh.clone()).await, "substance_use");
    assert_eq!(t.get(&format!("/api/v1/conversations/{fresh}"), Some(&nina)).await.status, StatusCode::NOT_FOUND);
    // The patient reads their own, and never sees the mark.
    let mine = t.get(&format!("/api/v1/conversations/{fresh}"), Some(&alice)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.json().get("sensitivity").is_none_or(Value::is_null), "{}", mine.text);
    // Staff start only what they could read.
    let r = start(&nina, "monitoring_program", "From the nurse", Some(&alice_id)).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("topic")),
        "{}",
        r.text
    );
    let by_patel = id_of(start(&patel, "monitoring_program", "From the doctor", Some(&alice_id)).await);
    assert_eq!(mark_of(by_patel).await, "substance_use");

    // Leaving the marks out keeps them; unmarking clears nothing.
    let r = t
        .put(
            "/api/v1/practice/sensitivity",
            Some(&admin),
            json!({"categories": grants["categories"], "topics": grants["topics"]}),
        )
        .await;
    assert_eq!(r.json()["topic_marks"], marks);
    let r = t.put("/api/v1/practice/sensitivity", Some(&admin), with_marks(json!([]))).await;
    assert_eq!(r.json()["topic_marks"], json!([]));
    assert_eq!(mark_of(fresh).await, "substance_use");
    let after = id_of(start(&alice, "monitoring_program", "After", None).await);
    assert!(mark_of(after).await.is_null());
    t.stop().await;
}

/// A pool never hands a conversation to someone whose role may not read
/// it: the front desk's pool gives Fran Alice's scheduling question, but a
/// care question a nurse sends to that pool waits there unassigned, its row
/// shown to Fran.
#[tokio::test]
async fn a_pool_hands_nobody_what_they_may_not_read() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let pools = t.get("/api/v1/pools", Some(&admin)).await.json();
    let desk_pool = pools.as_array().unwrap().iter().find(|p| p["name"] == "Front desk").unwrap()["id"].clone();
    let fran_id = t.user_id("fran.frontdesk").await;

    let r = t
        .start_conversation(&alice, json!({"subject": "Visit", "topic": "scheduling", "body": "Can I move my visit?"}))
        .await;
    let scheduling = r.json()["id"].as_str().unwrap().to_owned();
    let v = t.get(&format!("/api/v1/conversations/{scheduling}"), Some(&nina)).await.json();
    assert_eq!(v["assignee"]["id"], fran_id.as_str(), "the front desk takes scheduling");

    let care = t.patient_conversation(&alice, "Dizzy", "I feel dizzy when I stand up.").await;
    let r = t.post(&format!("/api/v1/conversations/{care}/assign"), Some(&nina), json!({"pool_id": desk_pool})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["assignee"].is_null(), "nobody in the pool may read it: {}", r.text);
    let v = t.get(&format!("/api/v1/conversations/{care}"), Some(&nina)).await.json();
    assert_eq!(v["routing"]["owner_name"], "Front desk");
    assert!(v["assignee"].is_null());
    // Fran sees that it waits in her pool, not what it says.
    let fran = t.login("fran.frontdesk").await;
    let list = t.get("/api/v1/conversations?view=needs_response", Some(&fran)).await.json();
    let row = list["conversations"].as_array().unwrap().iter().find(|x| x["id"] == care.as_str()).unwrap().clone();
    assert_eq!(row["content_withheld"], true);
    assert_eq!(row["routing"]["owner_name"], "Front desk");
    assert!(row["subject"].is_null());
    t.stop().await;
}

/// The document describes the routes, and every schema they name is in it.
#[tokio::test]
async fn the_document_describes_the_sensitivity_routes() {
    let t = TestApp::spawn().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    for (path, method) in [
        ("/api/v1/practice/sensitivity", "get"),
        ("/api/v1/practice/sensitivity", "put"),
        ("/api/v1/conversations/{id}/sensitivity", "put"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path}");
        for status in ["200", "401", "404"] {
            assert!(op["responses"][status].is_object(), "{method} {path} {status}");
        }
    }
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("#/components/schemas/") {
        rest = &rest[i + "#/components/schemas/".len()..];
        let name: String = rest.chars().take_while(|c| *c != '"').collect();
        assert!(schemas.contains_key(&name), "{name} is named but not described");
    }
    let values = &schemas["SensitivityDto"]["enum"];
    assert_eq!(values, &json!(["behavioural_health", "reproductive_health", "substance_use"]));
    assert!(schemas["ConversationSummaryDto"]["properties"]["content_withheld"].is_object());
    t.stop().await;
}
