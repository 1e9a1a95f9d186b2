//! Searching sealed messages (issue 17): the keyed blind index finds
//! bodies and subjects, results honour the access policy and sensitive
//! categories (a nurse never finds another team's patient, not even by a
//! snippet), filters and pages work, each search is audited without its
//! words, and the database holds no word in clear.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn search(t: &TestApp, token: &str, body: Value) -> Resp {
    t.post("/api/v1/search", Some(token), body).await
}

fn found(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["conversation_id"].as_str().unwrap().to_owned(), h["source"].as_str().unwrap().to_owned()))
        .collect()
}

fn conversations(r: &Resp) -> Vec<String> {
    let mut ids: Vec<String> = found(r).into_iter().map(|(c, _)| c).collect();
    ids.dedup();
    ids
}

#[tokio::test]
async fn staff_find_what_they_may_read_and_nothing_else() {
    let t = TestApp::spawn().await;
    let (alice, bob) = (t.login("alice").await, t.login("bob").await);
    let (nina, patel, okafor, fran) = (
        t.login("nina.nurse").await,
        t.login("dr.patel").await,
        t.login("dr.okafor").await,
        t.login("fran.frontdesk").await,
    );
    let alices = t.patient_conversation(&alice, "Brevanol supply", "My brevanol ran out and I feel dizzy.").await;
    let bobs = t.patient_conversation(&bob, "Dose question", "Should I take brevanol with food?").await;

    // The nurse of Alice's team finds Alice's, never Bob's (another team).
    let r = search(&t, &nina, json!({"q": "brev"})).await;
    assert_eq!(conversations(&r), vec![alices.clone()]);
    let hit = &r.json()["results"][0];
    assert_eq!(hit["patient"]["display_name"], "Alice Nguyen");
    assert_eq!(hit["subject"], "Brevanol supply");
    assert_eq!(hit["topic"], "care_question");
    // The snippet marks the words that matched, in UTF-16 offsets.
    let text = hit["snippet"]["text"].as_str().unwrap();
    let utf16: Vec<u16> = text.encode_utf16().collect();
    let marked: Vec<String> = hit["snippet"]["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            String::from_utf16(&utf16[m["start"].as_u64().unwrap() as usize..m["end"].as_u64().unwrap() as usize])
                .unwrap()
        })
        .collect();
    assert!(marked.iter().all(|w| w.to_lowercase().starts_with("brev")), "{marked:?}");
    assert!(!marked.is_empty());
    // Both texts of Alice's first message match: one result for it.
    assert_eq!(found(&r).len(), 1, "{}", r.text);
    // Dr. Okafor (Bob's team) finds Bob's only; GET says the same as POST.
    let r = t.get("/api/v1/search?q=brevanol", Some(&okafor)).await;
    assert_eq!(conversations(&r), vec![bobs.clone()]);
    // Words must all match, in any order, each the start of a word.
    assert_eq!(conversations(&search(&t, &patel, json!({"q": "dizzy brevanol"})).await), vec![alices.clone()]);
    assert!(conversations(&search(&t, &patel, json!({"q": "vanol"})).await).is_empty(), "not the middle of a word");
    assert!(conversations(&search(&t, &patel, json!({"q": "brevanol food"})).await).is_empty());
    // A subject word: the subject is the result.
    assert_eq!(found(&search(&t, &patel, json!({"q": "supply"})).await), [(alices.clone(), "subject".to_owned())]);

    // An internal note and a correction are found too, as what they are.
    let r = t
        .post(
            &format!("/api/v1/conversations/{alices}/notes"),
            Some(&nina),
            json!({"body": "Called pharmacy about the quillwort tablets."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let note_id = r.json()["id"].as_str().unwrap().to_owned();
    let first = t.get(&format!("/api/v1/conversations/{alices}"), Some(&alice)).await.json()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .post(
            &format!("/api/v1/conversations/{alices}/messages/{first}/amendments"),
            Some(&alice),
            json!({"body": "I meant the quillwort tea, not brevanol."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = search(&t, &patel, json!({"q": "quillwort"})).await;
    assert_eq!(found(&r), [(alices.clone(), "amendment".to_owned()), (alices.clone(), "note".to_owned())]);
    let hits = r.json()["results"].clone();
    assert_eq!(hits[0]["message_id"], first.as_str());
    assert!(hits[0]["note_id"].is_null());
    assert!(hits[1]["message_id"].is_null());
    assert_eq!(hits[1]["note_id"], note_id.as_str());

    // The front desk reads no care question: nothing, not even a snippet.
    assert!(conversations(&search(&t, &fran, json!({"q": "brevanol"})).await).is_empty());
    // Marked substance use, the nurse loses it; the provider keeps it.
    let r = t
        .put(&format!("/api/v1/conversations/{alices}/sensitivity"), Some(&nina), json!({"category": "substance_use"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(conversations(&search(&t, &nina, json!({"q": "brevanol"})).await).is_empty());
    assert_eq!(conversations(&search(&t, &patel, json!({"q": "brevanol"})).await), vec![alices.clone()]);

    // Patients do not search here; bad searches are said plainly.
    assert_eq!(search(&t, &alice, json!({"q": "brevanol"})).await.status, StatusCode::NOT_FOUND);
    for (body, field) in [
        (json!({"q": ""}), "q"),
        (json!({"q": "a"}), "q"),
        (json!({"q": "one two three four five six seven eight nine"}), "q"),
        (json!({"q": "x".repeat(201)}), "q"),
        (json!({"q": "brevanol", "topic": "gossip"}), "topic"),
        (json!({"q": "brevanol", "patient_id": "nope"}), "patient_id"),
        (json!({"q": "brevanol", "cursor": "nope"}), "cursor"),
        (json!({"q": "brevanol", "from": "2026-02-01", "to": "2026-01-01"}), "to"),
    ] {
        let r = search(&t, &patel, body.clone()).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{body}"
        );
    }

    // Audited per patient shown (four searches above showed one result
    // each), never with the words.
    assert!(t.count("SELECT count(*) FROM audit_log WHERE action = 'messages_searched'").await >= 6);
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE action = 'messages_searched' AND patient_id IS NOT NULL AND detail = 'results=1;narrowed=none'").await,
        4
    );
    assert_eq!(
        t.count("SELECT count(*) FROM audit_log WHERE lower(coalesce(detail, '')) LIKE '%brev%' OR lower(coalesce(detail, '')) LIKE '%dizzy%'").await,
        0
    );
    // The index holds hashes only: no word, no prefix in clear.
    assert!(t.count("SELECT count(*) FROM search_index").await > 20);
    let mut db = t.db().await;
    let rows = sqlx::query("SELECT term FROM search_index").fetch_all(&mut db).await.unwrap();
    for word in ["brevanol", "brev", "dizzy", "supply"] {
        for r in &rows {
            let term: Vec<u8> = sqlx::Row::get(r, "term");
            assert_eq!(term.len(), 16);
            assert!(!term.windows(word.len()).any(|w| w == word.as_bytes()), "{word} in clear");
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn filters_and_pages() {
    let t = TestApp::spawn().await;
    let mut alices = Vec::new();
    for i in 0..3 {
        let alice = t.login("alice").await;
        alices.push(t.patient_conversation(&alice, &format!("Question {i}"), "A question about my inhaler.").await);
        t.advance(switchboard_domain::time::Span::from_secs(3600));
    }
    let (carol, patel) = (t.login("carol").await, t.login("dr.patel").await);
    let r = t
        .start_conversation(
            &carol,
            json!({"subject": "Visit", "topic": "scheduling", "body": "Can I move my inhaler check?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let carols = r.json()["id"].as_str().unwrap().to_owned();
    let alice_id = t.patient_id("alice").await;

    // Newest first, across patients.
    let all = conversations(&search(&t, &patel, json!({"q": "inhaler"})).await);
    let mut want = vec![carols.clone()];
    want.extend(alices.iter().rev().cloned());
    assert_eq!(all, want);
    // One patient; one topic; a time window.
    let mine = conversations(&search(&t, &patel, json!({"q": "inhaler", "patient_id": alice_id})).await);
    assert_eq!(mine, alices.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        conversations(&search(&t, &patel, json!({"q": "inhaler", "topic": "scheduling"})).await),
        vec![carols.clone()]
    );
    let window = conversations(
        &search(&t, &patel, json!({"q": "inhaler", "from": "2026-01-05T16:00:00Z", "to": "2026-01-05T17:00:01Z"}))
            .await,
    );
    assert_eq!(
        window,
        [alices[1].clone(), alices[2].clone()].into_iter().rev().collect::<Vec<_>>(),
        "the test clock starts 15:00"
    );
    // Pages of one: each result once, then no cursor.
    let mut paged = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..10 {
        let mut body = json!({"q": "inhaler", "limit": 1});
        if !cursor.is_null() {
            body["cursor"] = cursor.clone();
        }
        let r = search(&t, &patel, body).await;
        paged.extend(conversations(&r));
        cursor = r.json()["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(paged, want);
    t.stop().await;
}

/// Texts written before the index existed (an upgraded database) are
/// indexed by the backfill job, batch by batch, once; texts indexed as they
/// were written are only walked over.
#[tokio::test]
async fn the_backfill_indexes_what_was_written_before_the_index() {
    let t = TestApp::spawn().await;
    let (alice, nina, patel) = (t.login("alice").await, t.login("nina.nurse").await, t.login("dr.patel").await);
    let c = t.patient_conversation(&alice, "Zephyrine dose", "Is zephyrine safe with grapefruit?").await;
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/notes"),
            Some(&nina),
            json!({"body": "Zephyrine interacts; call back."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let before = t.count("SELECT count(*) FROM search_index").await;
    assert_eq!(
        found(&search(&t, &patel, json!({"q": "zephyrine"})).await).len(),
        2,
        "body (with its subject) and note"
    );

    // As if it were all written before this version.
    let mut db = t.db().await;
    sqlx::query("DELETE FROM search_index").execute(&mut db).await.unwrap();
    sqlx::query("DELETE FROM search_backfill").execute(&mut db).await.unwrap();
    assert!(found(&search(&t, &patel, json!({"q": "zephyrine"})).await).is_empty());

    let job = switchboard_service::search::SEARCH_BACKFILL;
    t.app().schedule(job, "{}", t.app().now(), Some(job)).await.unwrap();
    assert!(t.run_due_jobs().await >= 1);
    assert_eq!(t.count("SELECT count(*) FROM search_index").await, before, "the same entries as on the send path");
    assert_eq!(t.count("SELECT count(*) FROM search_backfill WHERE done = 1").await, 1);
    let r = search(&t, &patel, json!({"q": "zephyrine"})).await;
    assert_eq!(found(&r), [(c.clone(), "note".to_owned()), (c.clone(), "body".to_owned())]);
    // Done once: another run changes nothing.
    t.app().schedule(job, "{}", t.app().now(), Some(job)).await.unwrap();
    t.run_due_jobs().await;
    assert_eq!(t.count("SELECT count(*) FROM search_index").await, before);
    t.stop().await;
}
