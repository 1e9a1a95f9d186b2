//! The blind search index: the keyed hashes of each message body's and
//! conversation subject's terms (`search_index`), and the candidates a
//! query's hashed terms find among the conversations a staff member may
//! list. Never sees a term in clear; whether a candidate is shown is the
//! service's to decide, after the policy and the decrypted text agree.

use crate::rows::{code, id, ts};
use crate::{Step, Store, StoreError};
use std::sync::LazyLock;
use switchboard_domain::ids::*;
use switchboard_domain::search::SearchSource;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// The columns of one entry, in the order the inserts bind them.
const ENTRY_COLUMNS: usize = 6;

fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let base = r * ENTRY_COLUMNS;
            let params: Vec<String> = (1..=ENTRY_COLUMNS).map(|c| format!("${}", base + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO search_index (practice_id, term, source, message_id, conversation_id, at) VALUES {} \
         ON CONFLICT DO NOTHING",
        values.join(", ")
    )
}

// A message has hundreds of terms: they go in a few statements of many
// rows, not one statement each.
static INSERT_64: LazyLock<String> = LazyLock::new(|| insert_sql(64));
static INSERT_8: LazyLock<String> = LazyLock::new(|| insert_sql(8));
static INSERT_1: LazyLock<String> = LazyLock::new(|| insert_sql(1));

/// What one text of a message is indexed under.
pub struct IndexEntry<'a> {
    pub practice: PracticeId,
    pub conversation: ConversationId,
    pub message: MessageId,
    pub source: SearchSource,
    pub at: Timestamp,
    /// The keyed hashes of its terms.
    pub terms: &'a [[u8; 16]],
}

/// The steps that index one text: its terms in batches of 64, 8 and 1.
pub fn index(entry: &IndexEntry<'_>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = entry.terms;
    for (size, sql) in [(64, &*INSERT_64), (8, &*INSERT_8), (1, &*INSERT_1)] {
        while rest.len() >= size {
            let (batch, tail) = rest.split_at(size);
            let mut args = Vec::with_capacity(size * ENTRY_COLUMNS);
            for term in batch {
                args.push(entry.practice.to_vec().into());
                args.push(term.to_vec().into());
                args.push(entry.source.as_str().into());
                args.push(entry.message.to_vec().into());
                args.push(entry.conversation.to_vec().into());
                args.push(entry.at.as_micros().into());
            }
            steps.push(Step::new(sql.as_str(), args));
            rest = tail;
        }
    }
    steps
}

/// A message (or its conversation's subject) that has every term asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub message: MessageId,
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
    pub before: Option<(Timestamp, MessageId)>,
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
        "SELECT s.message_id, s.source, s.conversation_id, s.at \
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
        let (at, at_again, message) = (next(), next(), next());
        sql.push_str(&format!(" AND (s.at < {at} OR (s.at = {at_again} AND s.message_id < {message}))"));
    }
    sql.push_str(&format!(
        " GROUP BY s.message_id, s.source, s.conversation_id, s.at HAVING COUNT(DISTINCT s.term) = {} \
         ORDER BY s.at DESC, s.message_id DESC, s.source LIMIT {}",
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
    if let Some((at, message)) = narrowing.before {
        q = q.bind(at.as_micros()).bind(at.as_micros()).bind(message.to_vec());
    }
    let count = i64::try_from(terms.len()).unwrap_or(i64::MAX);
    let rows = q.bind(count).bind(limit).fetch_all(store.reader()).await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                message: id(r, "message_id", MessageId::from_slice)?,
                source: code(r, "source", SearchSource::parse)?,
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                at: ts(r, "at")?,
            })
        })
        .collect()
}

/// A message's sealed body, to decrypt for a candidate the caller may read.
pub async fn message_body(
    store: &Store,
    conversation: ConversationId,
    message: MessageId,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = sqlx::query("SELECT body_ct FROM messages WHERE id = $1 AND conversation_id = $2")
        .bind(message.to_vec())
        .bind(conversation.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| crate::rows::col(&r, "body_ct")).transpose()
}
