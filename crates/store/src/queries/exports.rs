//! Legal exports of the record: the request, the job's progress, the
//! archive's facts once made, the one download (a guarded step, so two
//! racing downloads cannot both have it), and expiry.

use crate::rows::{code, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::export::ExportState;
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

#[derive(Clone, Debug)]
pub struct ExportRow {
    pub id: RecordExportId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub conversation: Option<ConversationId>,
    pub include_notes: bool,
    pub requested_by: UserId,
    pub requested_at: Timestamp,
    pub state: ExportState,
    pub done: i64,
    pub total: i64,
    pub size: Option<i64>,
    pub sha256: Option<Vec<u8>>,
    pub ready_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub downloaded_at: Option<Timestamp>,
}

const COLUMNS: &str = "SELECT id, practice_id, patient_id, conversation_id, include_notes, requested_by, requested_at, \
     state, done, total, size, sha256, ready_at, expires_at, downloaded_at FROM record_exports";

fn row(r: &sqlx::any::AnyRow) -> Result<ExportRow, StoreError> {
    Ok(ExportRow {
        id: id(r, "id", RecordExportId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        patient: id(r, "patient_id", PatientId::from_slice)?,
        conversation: opt_id(r, "conversation_id", ConversationId::from_slice)?,
        include_notes: col::<i64>(r, "include_notes")? != 0,
        requested_by: id(r, "requested_by", UserId::from_slice)?,
        requested_at: ts(r, "requested_at")?,
        state: code(r, "state", ExportState::parse)?,
        done: col(r, "done")?,
        total: col(r, "total")?,
        size: col(r, "size")?,
        sha256: col(r, "sha256")?,
        ready_at: opt_ts(r, "ready_at")?,
        expires_at: opt_ts(r, "expires_at")?,
        downloaded_at: opt_ts(r, "downloaded_at")?,
    })
}

pub struct NewExport {
    pub id: RecordExportId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub conversation: Option<ConversationId>,
    pub include_notes: bool,
    pub by: UserId,
    pub at: Timestamp,
}

pub fn insert(e: &NewExport) -> Step {
    Step::new(
        "INSERT INTO record_exports (id, practice_id, patient_id, conversation_id, include_notes, requested_by, \
         requested_at, state, done, total) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, 0)",
        vec![
            e.id.to_vec().into(),
            e.practice.to_vec().into(),
            e.patient.to_vec().into(),
            e.conversation.map(|c| c.to_vec()).into(),
            i64::from(e.include_notes).into(),
            e.by.to_vec().into(),
            e.at.as_micros().into(),
        ],
    )
}

pub async fn by_id(store: &Store, export: RecordExportId) -> Result<Option<ExportRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE id = $1");
    let r = sqlx::query(&sql).bind(export.to_vec()).fetch_optional(store.reader()).await?;
    r.map(|r| row(&r)).transpose()
}

/// The practice's exports, newest first.
pub async fn list(store: &Store, practice: PracticeId, limit: i64) -> Result<Vec<ExportRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE practice_id = $1 ORDER BY requested_at DESC, id DESC LIMIT $2");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).bind(limit).fetch_all(store.reader()).await?;
    rows.iter().map(row).collect()
}

pub fn progress(export: RecordExportId, done: i64, total: i64) -> Step {
    Step::new(
        "UPDATE record_exports SET state = 'running', done = $2, total = $3 WHERE id = $1 AND state IN ('queued', 'running')",
        vec![export.to_vec().into(), done.into(), total.into()],
    )
}

pub fn ready(export: RecordExportId, size: i64, sha256: &[u8; 32], at: Timestamp, expires: Timestamp) -> Step {
    Step::new(
        "UPDATE record_exports SET state = 'ready', done = total, size = $2, sha256 = $3, ready_at = $4, expires_at = $5 \
         WHERE id = $1 AND state IN ('queued', 'running')",
        vec![export.to_vec().into(), size.into(), sha256.to_vec().into(), at.as_micros().into(), expires.as_micros().into()],
    )
    .guarded(Conflict::ExportUnavailable)
}

pub fn failed(export: RecordExportId) -> Step {
    Step::new(
        "UPDATE record_exports SET state = 'failed' WHERE id = $1 AND state IN ('queued', 'running')",
        vec![export.to_vec().into()],
    )
}

/// Spends the one download of a ready export of the practice that has not
/// expired (`export_unavailable` otherwise).
pub fn take(practice: PracticeId, export: RecordExportId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE record_exports SET state = 'downloaded', downloaded_at = $3 \
         WHERE id = $1 AND practice_id = $2 AND state = 'ready' AND expires_at > $3",
        vec![export.to_vec().into(), practice.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::ExportUnavailable)
}

/// Exports whose archive is to go: ready past their time, or downloaded
/// more than `grace` ago (time for the download to finish), not yet
/// purged.
pub async fn to_purge(
    store: &Store,
    now: Timestamp,
    downloaded_before: Timestamp,
) -> Result<Vec<RecordExportId>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM record_exports WHERE purged_at IS NULL AND \
         ((state = 'ready' AND expires_at <= $1) OR (state = 'downloaded' AND downloaded_at <= $2))",
    )
    .bind(now.as_micros())
    .bind(downloaded_before.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| id(r, "id", RecordExportId::from_slice)).collect()
}

/// Marks an export's archive gone (a ready one expired), with its key.
pub fn purged(export: RecordExportId, at: Timestamp) -> [Step; 2] {
    [
        Step::new(
            "UPDATE record_exports SET purged_at = $2, state = CASE WHEN state = 'ready' THEN 'expired' ELSE state END \
             WHERE id = $1",
            vec![export.to_vec().into(), at.as_micros().into()],
        ),
        Step::new("DELETE FROM data_keys WHERE id = $1", vec![export.to_vec().into()]),
    ]
}
