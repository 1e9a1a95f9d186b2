//! Files in conversations: the row of each upload (its bytes live in
//! [`crate::blobs`]), sending uploads with a message, and filing to the
//! chart.

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::role::UserKind;
use switchboard_domain::time::Timestamp;
use switchboard_media::Kind;

/// One attachment as stored; the file name stays sealed.
#[derive(Clone, Debug)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub conversation: ConversationId,
    pub uploaded_by: UserId,
    pub message: Option<MessageId>,
    pub filename_ct: Vec<u8>,
    pub kind: Kind,
    pub size: u64,
    pub sha256: Vec<u8>,
    pub preview: Option<Kind>,
    pub location_removed: bool,
    pub metadata_removed: bool,
    pub uploaded_at: Timestamp,
    pub filed_at: Option<Timestamp>,
    pub filed_by: Option<UserId>,
}

const COLUMNS: &str = "a.id, a.conversation_id, a.uploaded_by, a.message_id, a.filename_ct, a.kind, a.size, \
                       a.sha256, a.preview_kind, a.location_removed, a.metadata_removed, a.uploaded_at, \
                       a.filed_at, a.filed_by";

fn read(r: &sqlx::any::AnyRow) -> Result<AttachmentRow, StoreError> {
    Ok(AttachmentRow {
        id: id(r, "id", AttachmentId::from_slice)?,
        conversation: id(r, "conversation_id", ConversationId::from_slice)?,
        uploaded_by: id(r, "uploaded_by", UserId::from_slice)?,
        message: opt_id(r, "message_id", MessageId::from_slice)?,
        filename_ct: col(r, "filename_ct")?,
        kind: code(r, "kind", Kind::parse)?,
        size: u64::try_from(col::<i64>(r, "size")?).map_err(|_| StoreError::Corrupt("size"))?,
        sha256: col(r, "sha256")?,
        preview: opt_code(r, "preview_kind", Kind::parse)?,
        location_removed: col::<i64>(r, "location_removed")? != 0,
        metadata_removed: col::<i64>(r, "metadata_removed")? != 0,
        uploaded_at: ts(r, "uploaded_at")?,
        filed_at: opt_ts(r, "filed_at")?,
        filed_by: opt_id(r, "filed_by", UserId::from_slice)?,
    })
}

/// What an upload records.
pub struct NewAttachment<'a> {
    pub id: AttachmentId,
    pub conversation: ConversationId,
    pub uploaded_by: UserId,
    pub filename_ct: Vec<u8>,
    pub kind: Kind,
    pub size: u64,
    pub sha256: &'a [u8],
    pub preview: Option<Kind>,
    pub location_removed: bool,
    pub metadata_removed: bool,
    pub at: Timestamp,
}

pub fn insert(a: NewAttachment<'_>) -> Step {
    Step::new(
        "INSERT INTO attachments (id, conversation_id, uploaded_by, message_id, filename_ct, kind, size, sha256, \
         preview_kind, location_removed, metadata_removed, uploaded_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            a.id.to_vec().into(),
            a.conversation.to_vec().into(),
            a.uploaded_by.to_vec().into(),
            a.filename_ct.into(),
            a.kind.as_str().into(),
            i64::try_from(a.size).unwrap_or(i64::MAX).into(),
            a.sha256.to_vec().into(),
            a.preview.map(Kind::as_str).into(),
            i64::from(a.location_removed).into(),
            i64::from(a.metadata_removed).into(),
            a.at.as_micros().into(),
        ],
    )
}

/// Sends an upload with `message`: only the uploader's own, in the same
/// conversation, not sent before; anything else is
/// [`Conflict::AttachmentMissing`].
pub fn send_with(attachment: AttachmentId, message: MessageId, conversation: ConversationId, by: UserId) -> Step {
    Step::new(
        "UPDATE attachments SET message_id = $1 \
         WHERE id = $2 AND conversation_id = $3 AND uploaded_by = $4 AND message_id IS NULL",
        vec![message.to_vec().into(), attachment.to_vec().into(), conversation.to_vec().into(), by.to_vec().into()],
    )
    .guarded(Conflict::AttachmentMissing)
}

/// Files an attachment to the chart (once; a second time is
/// [`Conflict::AttachmentMissing`]).
pub fn mark_filed(attachment: AttachmentId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE attachments SET filed_at = $1, filed_by = $2 \
         WHERE id = $3 AND filed_at IS NULL AND message_id IS NOT NULL",
        vec![at.as_micros().into(), by.to_vec().into(), attachment.to_vec().into()],
    )
    .guarded(Conflict::AttachmentMissing)
}

pub async fn by_id(store: &Store, attachment: AttachmentId) -> Result<Option<AttachmentRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM attachments a WHERE a.id = $1");
    let row = sqlx::query(&sql).bind(attachment.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read).transpose()
}

/// The sent attachments of a conversation, in upload order.
pub async fn sent_in(store: &Store, conversation: ConversationId) -> Result<Vec<AttachmentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments a WHERE a.conversation_id = $1 AND a.message_id IS NOT NULL \
         ORDER BY a.uploaded_at, a.id"
    );
    let rows = sqlx::query(&sql).bind(conversation.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(read).collect()
}

/// The sent attachments of every conversation of a patient, newest first.
pub async fn sent_for_patient(store: &Store, patient: PatientId) -> Result<Vec<AttachmentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments a JOIN conversations c ON c.id = a.conversation_id \
         WHERE c.patient_id = $1 AND a.message_id IS NOT NULL ORDER BY a.uploaded_at DESC, a.id DESC"
    );
    let rows = sqlx::query(&sql).bind(patient.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(read).collect()
}

/// The filter shared by the queue of documents to file and its count:
/// sent by a patient, not filed, a kind that is a document
/// ([`Kind::is_document`]), in a conversation of the practice `$1` that the
/// staff member `$3` may list ([`super::conversations`]'s staff scope).
fn to_file_from() -> String {
    let kinds: Vec<String> =
        Kind::ALL.into_iter().filter(|k| k.is_document()).map(|k| format!("'{}'", k.as_str())).collect();
    format!(
        "FROM attachments a JOIN conversations c ON c.id = a.conversation_id JOIN patients p ON p.id = c.patient_id \
         JOIN users u ON u.id = a.uploaded_by{} \
         AND u.kind = $2 AND a.message_id IS NOT NULL AND a.filed_at IS NULL AND a.kind IN ({})",
        super::conversations::staff_scope!(),
        kinds.join(", ")
    )
}

/// The documents patients sent that are still to file, oldest first (at
/// most `limit`), among the conversations `viewer` may list in `practice`.
/// The caller checks each against the policy again.
pub async fn to_file(
    store: &Store,
    practice: PracticeId,
    viewer: UserId,
    limit: i64,
) -> Result<Vec<AttachmentRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} {} ORDER BY a.uploaded_at, a.id LIMIT $4", to_file_from());
    let rows = sqlx::query(&sql)
        .bind(practice.to_vec())
        .bind(UserKind::Patient.as_str())
        .bind(viewer.to_vec())
        .bind(limit)
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(read).collect()
}

/// How many documents [`to_file`] would list, without its limit.
pub async fn to_file_count(store: &Store, practice: PracticeId, viewer: UserId) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) AS n {}", to_file_from());
    let row = sqlx::query(&sql)
        .bind(practice.to_vec())
        .bind(UserKind::Patient.as_str())
        .bind(viewer.to_vec())
        .fetch_one(store.reader())
        .await?;
    col(&row, "n")
}

/// Uploads not yet sent, by `by` in `conversation`, among `ids`.
pub async fn waiting(
    store: &Store,
    conversation: ConversationId,
    by: UserId,
    ids: &[AttachmentId],
) -> Result<Vec<AttachmentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments a \
         WHERE a.conversation_id = $1 AND a.uploaded_by = $2 AND a.message_id IS NULL"
    );
    let rows = sqlx::query(&sql).bind(conversation.to_vec()).bind(by.to_vec()).fetch_all(store.reader()).await?;
    let all: Vec<AttachmentRow> = rows.iter().map(read).collect::<Result<_, _>>()?;
    Ok(all.into_iter().filter(|a| ids.contains(&a.id)).collect())
}

/// Uploads never sent, from before `before` (at most `limit`), for
/// housekeeping.
pub async fn unsent_before(store: &Store, before: Timestamp, limit: i64) -> Result<Vec<AttachmentId>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM attachments WHERE message_id IS NULL AND uploaded_at < $1 ORDER BY uploaded_at LIMIT $2",
    )
    .bind(before.as_micros())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| id(r, "id", AttachmentId::from_slice)).collect()
}

/// Removes an upload that was never sent, and its data key; nothing if it
/// was sent meanwhile (a sent file is part of the record and never goes).
pub fn purge_unsent(attachment: AttachmentId) -> [Step; 2] {
    [
        Step::new("DELETE FROM attachments WHERE id = $1 AND message_id IS NULL", vec![attachment.to_vec().into()]),
        Step::new(
            "DELETE FROM data_keys WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM attachments WHERE id = $1)",
            vec![attachment.to_vec().into()],
        ),
    ]
}
