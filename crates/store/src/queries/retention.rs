//! Retention of the record: the practice's periods, legal holds (the
//! reason sealed by the service), the conversations old enough to be
//! considered, and the removal of one conversation with everything that
//! hangs off it. Whether a conversation is removed is
//! `domain::retention::disposition`'s to decide; the removal's first step
//! records it in `retention_removals` (guarded on the last activity the
//! decision saw), which is also what lets the database delete its
//! messages.

use crate::rows::{WrappedKeyRow, code, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// The practice's periods as stored: the default and each override's
/// category code with its years (`None` when it never chose).
pub async fn settings(store: &Store, practice: PracticeId) -> Result<Option<(i64, Vec<(String, i64)>)>, StoreError> {
    let Some(row) = sqlx::query("SELECT default_years FROM retention_settings WHERE practice_id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query("SELECT category, years FROM retention_overrides WHERE practice_id = $1 ORDER BY category")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    let overrides =
        rows.iter().map(|r| Ok((col(r, "category")?, col(r, "years")?))).collect::<Result<_, StoreError>>()?;
    Ok(Some((col(&row, "default_years")?, overrides)))
}

/// Replaces the practice's periods.
pub fn save_settings(
    practice: PracticeId,
    default_years: i64,
    overrides: &[(String, i64)],
    by: UserId,
    at: Timestamp,
) -> Vec<Step> {
    let mut steps = vec![
        Step::new(
            "INSERT INTO retention_settings (practice_id, default_years, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (practice_id) DO UPDATE SET default_years = $2, updated_by = $3, updated_at = $4",
            vec![practice.to_vec().into(), default_years.into(), by.to_vec().into(), at.as_micros().into()],
        ),
        Step::new("DELETE FROM retention_overrides WHERE practice_id = $1", vec![practice.to_vec().into()]),
    ];
    for (category, years) in overrides {
        steps.push(Step::new(
            "INSERT INTO retention_overrides (practice_id, category, years) VALUES ($1, $2, $3)",
            vec![practice.to_vec().into(), category.as_str().into(), (*years).into()],
        ));
    }
    steps
}

/// A legal hold as stored (its reason sealed).
#[derive(Clone, Debug)]
pub struct HoldRow {
    pub id: LegalHoldId,
    pub patient: Option<PatientId>,
    pub conversation: Option<ConversationId>,
    pub key: WrappedKeyRow,
    pub reason_ct: Vec<u8>,
    pub placed_by: UserId,
    pub placed_by_name: Option<String>,
    pub placed_at: Timestamp,
    pub released_at: Option<Timestamp>,
}

pub struct NewHold<'a> {
    pub id: LegalHoldId,
    pub practice: PracticeId,
    pub patient: Option<PatientId>,
    pub conversation: Option<ConversationId>,
    pub key: DataKeyId,
    pub reason_ct: &'a [u8],
    pub by: UserId,
    pub at: Timestamp,
}

pub fn insert_hold(h: &NewHold<'_>) -> Step {
    Step::new(
        "INSERT INTO legal_holds (id, practice_id, patient_id, conversation_id, dek_id, reason_ct, placed_by, placed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            h.id.to_vec().into(),
            h.practice.to_vec().into(),
            h.patient.map(|p| p.to_vec()).into(),
            h.conversation.map(|c| c.to_vec()).into(),
            h.key.to_vec().into(),
            h.reason_ct.into(),
            h.by.to_vec().into(),
            h.at.as_micros().into(),
        ],
    )
}

/// Releases a hold of the practice once (`hold_missing` otherwise).
pub fn release_hold(practice: PracticeId, hold: LegalHoldId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE legal_holds SET released_by = $3, released_at = $4 \
         WHERE id = $1 AND practice_id = $2 AND released_at IS NULL",
        vec![hold.to_vec().into(), practice.to_vec().into(), by.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::HoldMissing)
}

/// The practice's holds, in force first, newest first.
pub async fn holds(store: &Store, practice: PracticeId) -> Result<Vec<HoldRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT h.id, h.patient_id, h.conversation_id, h.dek_id, k.kek_id, k.wrapped, h.reason_ct, h.placed_by, \
         u.display_name, h.placed_at, h.released_at \
         FROM legal_holds h JOIN data_keys k ON k.id = h.dek_id JOIN users u ON u.id = h.placed_by \
         WHERE h.practice_id = $1 ORDER BY (CASE WHEN h.released_at IS NULL THEN 0 ELSE 1 END), h.placed_at DESC, h.id DESC",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HoldRow {
                id: id(r, "id", LegalHoldId::from_slice)?,
                patient: opt_id(r, "patient_id", PatientId::from_slice)?,
                conversation: opt_id(r, "conversation_id", ConversationId::from_slice)?,
                key: WrappedKeyRow::read(r, "dek_id", "kek_id", "wrapped")?,
                reason_ct: col(r, "reason_ct")?,
                placed_by: id(r, "placed_by", UserId::from_slice)?,
                placed_by_name: col(r, "display_name")?,
                placed_at: ts(r, "placed_at")?,
                released_at: opt_ts(r, "released_at")?,
            })
        })
        .collect()
}

/// A conversation old enough to be considered.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub conversation: ConversationId,
    pub patient: PatientId,
    pub topic: Topic,
    pub sensitivity: Option<Sensitivity>,
    pub last_activity: Timestamp,
    pub key: DataKeyId,
}

/// The practice's conversations whose last activity is at or before
/// `cutoff`, oldest first, after `after` (the walk's position).
pub async fn candidates(
    store: &Store,
    practice: PracticeId,
    cutoff: Timestamp,
    after: Option<(Timestamp, ConversationId)>,
    limit: i64,
) -> Result<Vec<Candidate>, StoreError> {
    let (at, after_id) = after.map_or((i64::MIN, vec![0u8; 16]), |(t, c)| (t.as_micros(), c.to_vec()));
    let rows = sqlx::query(
        "SELECT id, patient_id, topic, sensitivity, last_activity_at, dek_id FROM conversations \
         WHERE practice_id = $1 AND last_activity_at <= $2 AND (last_activity_at > $3 OR (last_activity_at = $4 AND id > $5)) \
         ORDER BY last_activity_at, id LIMIT $6",
    )
    .bind(practice.to_vec())
    .bind(cutoff.as_micros())
    .bind(at)
    .bind(at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let sensitivity: Option<String> = col(r, "sensitivity")?;
            Ok(Candidate {
                conversation: id(r, "id", ConversationId::from_slice)?,
                patient: id(r, "patient_id", PatientId::from_slice)?,
                topic: code(r, "topic", Topic::parse)?,
                sensitivity: match sensitivity {
                    Some(s) => Some(Sensitivity::parse(&s).ok_or(StoreError::Corrupt("sensitivity"))?),
                    None => None,
                },
                last_activity: ts(r, "last_activity_at")?,
                key: id(r, "dek_id", DataKeyId::from_slice)?,
            })
        })
        .collect()
}

/// Every practice (the retention job walks each).
pub async fn practices(store: &Store) -> Result<Vec<PracticeId>, StoreError> {
    let rows = sqlx::query("SELECT id FROM practices ORDER BY id").fetch_all(store.reader()).await?;
    rows.iter().map(|r| id(r, "id", PracticeId::from_slice)).collect()
}

/// A conversation's files (their ids name their blobs and data keys).
pub async fn attachment_ids(store: &Store, conversation: ConversationId) -> Result<Vec<AttachmentId>, StoreError> {
    let rows = sqlx::query("SELECT id FROM attachments WHERE conversation_id = $1")
        .bind(conversation.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| id(r, "id", AttachmentId::from_slice)).collect()
}

/// What a removal records.
pub struct Removal<'a> {
    pub conversation: ConversationId,
    /// The last activity the decision saw: if it moved since, the removal
    /// fails (`conversation_missing`) and nothing of it is kept.
    pub last_activity: Timestamp,
    pub years: i64,
    pub key: DataKeyId,
    pub attachments: &'a [AttachmentId],
    pub at: Timestamp,
}

/// Removes one conversation and everything that hangs off it, then its
/// data keys and its files' (crypto-shredding: a backup's sealed copy can
/// never be opened again once the wrapped keys are gone from every copy).
pub fn remove_conversation(r: &Removal<'_>) -> Vec<Step> {
    let c = || r.conversation.to_vec().into();
    let mut steps = vec![
        Step::new(
            "INSERT INTO retention_removals (conversation_id, practice_id, patient_id, topic, last_activity_at, \
             retention_years, messages, attachments, removed_at) \
             SELECT c.id, c.practice_id, c.patient_id, c.topic, c.last_activity_at, $3, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id), \
             (SELECT COUNT(*) FROM attachments a WHERE a.conversation_id = c.id), $4 \
             FROM conversations c WHERE c.id = $1 AND c.last_activity_at = $2",
            vec![c(), r.last_activity.as_micros().into(), r.years.into(), r.at.as_micros().into()],
        )
        .guarded(Conflict::ConversationMissing),
        Step::new("DELETE FROM search_index WHERE conversation_id = $1", vec![c()]),
        Step::new(
            "DELETE FROM proxy_messages WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)",
            vec![c()],
        ),
        Step::new(
            "DELETE FROM message_reads WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)",
            vec![c()],
        ),
        Step::new(
            "DELETE FROM amendments WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)",
            vec![c()],
        ),
        Step::new(
            "DELETE FROM idempotency_keys WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)",
            vec![c()],
        ),
        Step::new("DELETE FROM attachments WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM notes WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM assignment_history WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM alerts WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM ratings WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM unread_marks WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM pages WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM notifications WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM sessions WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM secure_links WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM events WHERE conversation_id = $1", vec![c()]),
        Step::new("UPDATE conversations SET unread_reply_id = NULL WHERE id = $1", vec![c()]),
        Step::new("DELETE FROM messages WHERE conversation_id = $1", vec![c()]),
        Step::new("DELETE FROM conversations WHERE id = $1", vec![c()]),
        Step::new("DELETE FROM data_keys WHERE id = $1", vec![r.key.to_vec().into()]),
    ];
    for a in r.attachments {
        steps.push(Step::new("DELETE FROM data_keys WHERE id = $1", vec![a.to_vec().into()]));
    }
    steps
}

/// What the retention job removed, newest first.
#[derive(Clone, Debug)]
pub struct RemovalRow {
    pub conversation: ConversationId,
    pub patient: PatientId,
    pub topic: Topic,
    pub last_activity: Timestamp,
    pub years: i64,
    pub messages: i64,
    pub attachments: i64,
    pub removed_at: Timestamp,
}

pub async fn removals(store: &Store, practice: PracticeId, limit: i64) -> Result<Vec<RemovalRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT conversation_id, patient_id, topic, last_activity_at, retention_years, messages, attachments, removed_at \
         FROM retention_removals WHERE practice_id = $1 ORDER BY removed_at DESC, conversation_id LIMIT $2",
    )
    .bind(practice.to_vec())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RemovalRow {
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                patient: id(r, "patient_id", PatientId::from_slice)?,
                topic: code(r, "topic", Topic::parse)?,
                last_activity: ts(r, "last_activity_at")?,
                years: col(r, "retention_years")?,
                messages: col(r, "messages")?,
                attachments: col(r, "attachments")?,
                removed_at: ts(r, "removed_at")?,
            })
        })
        .collect()
}
