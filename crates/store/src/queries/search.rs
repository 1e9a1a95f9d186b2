//! The blind search index: the keyed hashes of the terms of each text
//! people write (`search_index`: message bodies, subjects, notes,
//! corrections), and the candidates a
//! query's hashed terms find among the conversations a staff member may
//! list. Never sees a term in clear; whether a candidate is shown is the
//! service's to decide, after the policy and the decrypted text agree.

use crate::rows::{code, id, ts};
use crate::{Backend, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::search::SearchSource;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// A text's terms go in one statement, as one blob of 16-byte hashes cut
/// apart by the database: a message has a hundred terms or more, and each
/// statement is a round trip to the database (`BENCHMARKS.md`).
const INDEX_SQLITE: &str = "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < $7) \
     INSERT INTO search_index (practice_id, term, source, item_id, message_id, conversation_id, at) \
     SELECT $1, substr($8, n * 16 + 1, 16), $2, $3, $4, $5, $6 FROM i WHERE true ON CONFLICT DO NOTHING";
const INDEX_POSTGRES: &str = "INSERT INTO search_index (practice_id, term, source, item_id, message_id, conversation_id, at) \
     SELECT $1, substring($8 from (n * 16 + 1)::int for 16), $2, $3, $4, $5, $6 \
     FROM generate_series(0, $7 - 1) AS n ON CONFLICT DO NOTHING";

/// What one text is indexed under.
pub struct IndexEntry<'a> {
    pub practice: PracticeId,
    pub conversation: ConversationId,
    /// The message, note or correction (by its id's bytes).
    pub item: [u8; 16],
    /// The message it belongs to; `None` for a note.
    pub message: Option<MessageId>,
    pub source: SearchSource,
    pub at: Timestamp,
    /// The keyed hashes of its terms.
    pub terms: &'a [[u8; 16]],
}

/// The step that indexes one text (none for a text without terms).
pub fn index(backend: Backend, entry: &IndexEntry<'_>) -> Option<Step> {
    if entry.terms.is_empty() {
        return None;
    }
    let sql = match backend {
        Backend::Sqlite => INDEX_SQLITE,
        Backend::Postgres => INDEX_POSTGRES,
    };
    let terms: Vec<u8> = entry.terms.iter().flatten().copied().collect();
    let count = i64::try_from(entry.terms.len()).unwrap_or(i64::MAX);
    Some(Step::new(
        sql,
        vec![
            entry.practice.to_vec().into(),
            entry.source.as_str().into(),
            entry.item.to_vec().into(),
            entry.message.map(|m| m.to_vec()).into(),
            entry.conversation.to_vec().into(),
            entry.at.as_micros().into(),
            count.into(),
            terms.into(),
        ],
    ))
}

/// A text that has every term asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub item: [u8; 16],
    pub message: Option<MessageId>,
    pub source: SearchSource,
    pub conversation: ConversationId,
    pub at: Timestamp,
}

/// What a search is narrowed by, besides the terms.
#[derive(Clone, Debug, Default)]
pub struct Narrowing {
    pub patient: Option<PatientId>,
    pub topic: Option<Topic>,
    /// From this time on (inclusive).
    pub from: Option<Timestamp>,
    /// Before this time.
    pub to: Option<Timestamp>,
    /// After this position in the newest-first order (a page's cursor).
    pub before: Option<(Timestamp, [u8; 16])>,
}

/// The entries indexed under every one of `terms`, in conversations of
/// `practice` that `viewer` may list (the conversations' staff scope),
/// newest first, at most `limit`. Candidates only: a hash may collide, and
/// the policy is asked again of each.
pub async fn candidates(
    store: &Store,
    practice: PracticeId,
    viewer: UserId,
    terms: &[[u8; 16]],
    narrowing: &Narrowing,
    limit: i64,
) -> Result<Vec<Candidate>, StoreError> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut n = 3;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let term_params: Vec<String> = terms.iter().map(|_| next()).collect();
    let mut sql = format!(
        "SELECT s.item_id, s.message_id, s.source, s.conversation_id, s.at \
         FROM search_index s JOIN conversations c ON c.id = s.conversation_id JOIN patients p ON p.id = c.patient_id{} \
         AND s.practice_id = $2 AND s.term IN ({})",
        super::conversations::staff_scope!(),
        term_params.join(", ")
    );
    if narrowing.patient.is_some() {
        sql.push_str(&format!(" AND c.patient_id = {}", next()));
    }
    if narrowing.topic.is_some() {
        sql.push_str(&format!(" AND c.topic = {}", next()));
    }
    if narrowing.from.is_some() {
        sql.push_str(&format!(" AND s.at >= {}", next()));
    }
    if narrowing.to.is_some() {
        sql.push_str(&format!(" AND s.at < {}", next()));
    }
    if narrowing.before.is_some() {
        let (at, at_again, item) = (next(), next(), next());
        sql.push_str(&format!(" AND (s.at < {at} OR (s.at = {at_again} AND s.item_id < {item}))"));
    }
    sql.push_str(&format!(
        " GROUP BY s.item_id, s.message_id, s.source, s.conversation_id, s.at HAVING COUNT(DISTINCT s.term) = {} \
         ORDER BY s.at DESC, s.item_id DESC, s.source LIMIT {}",
        next(),
        next()
    ));
    let mut q = sqlx::query(&sql).bind(practice.to_vec()).bind(practice.to_vec()).bind(viewer.to_vec());
    for t in terms {
        q = q.bind(t.to_vec());
    }
    if let Some(p) = narrowing.patient {
        q = q.bind(p.to_vec());
    }
    if let Some(t) = narrowing.topic {
        q = q.bind(t.as_str());
    }
    if let Some(f) = narrowing.from {
        q = q.bind(f.as_micros());
    }
    if let Some(t) = narrowing.to {
        q = q.bind(t.as_micros());
    }
    if let Some((at, item)) = narrowing.before {
        q = q.bind(at.as_micros()).bind(at.as_micros()).bind(item.to_vec());
    }
    let count = i64::try_from(terms.len()).unwrap_or(i64::MAX);
    let rows = q.bind(count).bind(limit).fetch_all(store.reader()).await?;
    rows.iter()
        .map(|r| {
            let item: Vec<u8> = crate::rows::col(r, "item_id")?;
            Ok(Candidate {
                item: item.try_into().map_err(|_| StoreError::Corrupt("search_index.item_id"))?,
                message: crate::rows::opt_id(r, "message_id", MessageId::from_slice)?,
                source: code(r, "source", SearchSource::parse)?,
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                at: ts(r, "at")?,
            })
        })
        .collect()
}

/// The sealed text of a candidate in `conversation` (a message's body, a
/// note's or a correction's), to decrypt once the caller may read it;
/// `None` for a subject, which is the conversation's.
pub async fn sealed_text(
    store: &Store,
    conversation: ConversationId,
    source: SearchSource,
    item: [u8; 16],
) -> Result<Option<Vec<u8>>, StoreError> {
    let sql = match source {
        SearchSource::Subject => return Ok(None),
        SearchSource::Body => "SELECT body_ct FROM messages WHERE id = $1 AND conversation_id = $2",
        SearchSource::Note => "SELECT body_ct FROM notes WHERE id = $1 AND conversation_id = $2",
        SearchSource::Amendment => {
            "SELECT a.body_ct FROM amendments a JOIN messages m ON m.id = a.message_id \
             WHERE a.id = $1 AND m.conversation_id = $2"
        }
    };
    let row = sqlx::query(sql).bind(item.to_vec()).bind(conversation.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| crate::rows::col(&r, "body_ct")).transpose()
}

/// A text written before the index existed, as the backfill walks them.
#[derive(Clone, Debug)]
pub struct Unindexed {
    pub source: SearchSource,
    pub item: [u8; 16],
    pub message: Option<MessageId>,
    pub conversation: ConversationId,
    pub sealed: Vec<u8>,
    pub at: Timestamp,
}

/// Where the backfill walk stands: `None` before it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackfillState {
    pub after: (Timestamp, [u8; 16], SearchSource),
    pub done: bool,
}

pub async fn backfill_state(store: &Store) -> Result<Option<BackfillState>, StoreError> {
    let row = sqlx::query("SELECT after_at, after_item, after_source, done FROM search_backfill WHERE id = 1")
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        let item: Vec<u8> = crate::rows::col(&r, "after_item")?;
        let done: i64 = crate::rows::col(&r, "done")?;
        Ok(BackfillState {
            after: (
                ts(&r, "after_at")?,
                item.try_into().map_err(|_| StoreError::Corrupt("search_backfill.after_item"))?,
                code(&r, "after_source", SearchSource::parse)?,
            ),
            done: done != 0,
        })
    })
    .transpose()
}

/// Records how far the walk came.
pub fn set_backfill_state(state: &BackfillState) -> Step {
    let (at, item, source) = state.after;
    Step::new(
        "INSERT INTO search_backfill (id, after_at, after_item, after_source, done) VALUES (1, $1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET after_at = excluded.after_at, after_item = excluded.after_item, \
         after_source = excluded.after_source, done = excluded.done",
        vec![at.as_micros().into(), item.to_vec().into(), source.as_str().into(), i64::from(state.done).into()],
    )
}

/// The next `limit` texts people wrote after `after`, in (time, item,
/// source) order: message bodies (not automatic replies), each
/// conversation's subject with its first message, notes and corrections.
pub async fn texts_after(
    store: &Store,
    after: (Timestamp, [u8; 16], SearchSource),
    limit: i64,
) -> Result<Vec<Unindexed>, StoreError> {
    let (at, item, source) = after;
    let rows = sqlx::query(
        "SELECT source, item_id, message_id, conversation_id, sealed, at FROM ( \
           SELECT 'body' AS source, m.id AS item_id, m.id AS message_id, m.conversation_id AS conversation_id, \
                  m.body_ct AS sealed, m.sent_at AS at FROM messages m WHERE m.sender_id IS NOT NULL \
           UNION ALL \
           SELECT 'subject', m.id, m.id, m.conversation_id, c.subject_ct, m.sent_at FROM conversations c \
             JOIN messages m ON m.id = (SELECT f.id FROM messages f WHERE f.conversation_id = c.id \
                                        ORDER BY f.sent_at, f.id LIMIT 1) \
           UNION ALL \
           SELECT 'note', n.id, NULL, n.conversation_id, n.body_ct, n.created_at FROM notes n \
           UNION ALL \
           SELECT 'amendment', a.id, a.message_id, m.conversation_id, a.body_ct, a.created_at \
             FROM amendments a JOIN messages m ON m.id = a.message_id \
         ) t WHERE t.at > $1 OR (t.at = $1 AND (t.item_id > $2 OR (t.item_id = $2 AND t.source > $3))) \
         ORDER BY t.at, t.item_id, t.source LIMIT $4",
    )
    .bind(at.as_micros())
    .bind(item.to_vec())
    .bind(source.as_str())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let item: Vec<u8> = crate::rows::col(r, "item_id")?;
            Ok(Unindexed {
                source: code(r, "source", SearchSource::parse)?,
                item: item.try_into().map_err(|_| StoreError::Corrupt("texts.item_id"))?,
                message: crate::rows::opt_id(r, "message_id", MessageId::from_slice)?,
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                sealed: crate::rows::col(r, "sealed")?,
                at: ts(r, "at")?,
            })
        })
        .collect()
}
