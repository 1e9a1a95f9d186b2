//! Secure links: a conversation's single-use link for a patient, its
//! one-time code (as a keyed hash), and where it stands.

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::notify::Medium;
use switchboard_domain::secure_link::{CODE_LIFETIME, LINK_LIFETIME, SecureLinkFacts};
use switchboard_domain::time::Timestamp;

pub struct NewSecureLink<'a> {
    pub id: SecureLinkId,
    pub practice: PracticeId,
    pub conversation: ConversationId,
    pub patient: PatientId,
    pub holder: UserId,
    pub token_hash: &'a [u8; 32],
    pub medium: Medium,
    pub created_by: UserId,
    pub at: Timestamp,
}

pub fn insert(l: &NewSecureLink<'_>) -> Step {
    Step::new(
        "INSERT INTO secure_links (id, practice_id, conversation_id, patient_id, holder_id, token_hash, medium, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            l.id.to_vec().into(),
            l.practice.to_vec().into(),
            l.conversation.to_vec().into(),
            l.patient.to_vec().into(),
            l.holder.to_vec().into(),
            l.token_hash.to_vec().into(),
            l.medium.as_str().into(),
            l.created_by.to_vec().into(),
            l.at.as_micros().into(),
            l.at.plus(LINK_LIFETIME).as_micros().into(),
        ],
    )
}

#[derive(Clone, Debug)]
pub struct SecureLinkRow {
    pub id: SecureLinkId,
    pub practice: PracticeId,
    pub conversation: ConversationId,
    pub patient: PatientId,
    pub holder: UserId,
    pub medium: Medium,
    pub created_by: UserId,
    pub opened_at: Option<Timestamp>,
    /// The keyed hash of the latest code sent.
    pub code_hash: Option<Vec<u8>>,
    pub facts: SecureLinkFacts,
}

const COLUMNS: &str = "SELECT id, practice_id, conversation_id, patient_id, holder_id, medium, created_by, expires_at, \
     opened_at, code_hash, code_sent_at, codes_sent, used_at, revoked_at FROM secure_links";

fn secure_link_row(r: &sqlx::any::AnyRow) -> Result<SecureLinkRow, StoreError> {
    Ok(SecureLinkRow {
        id: id(r, "id", SecureLinkId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        conversation: id(r, "conversation_id", ConversationId::from_slice)?,
        patient: id(r, "patient_id", PatientId::from_slice)?,
        holder: id(r, "holder_id", UserId::from_slice)?,
        medium: code(r, "medium", Medium::parse)?,
        created_by: id(r, "created_by", UserId::from_slice)?,
        opened_at: opt_ts(r, "opened_at")?,
        code_hash: col(r, "code_hash")?,
        facts: SecureLinkFacts {
            expires_at: ts(r, "expires_at")?,
            used_at: opt_ts(r, "used_at")?,
            revoked_at: opt_ts(r, "revoked_at")?,
            code_sent_at: opt_ts(r, "code_sent_at")?,
            codes_sent: u32::try_from(col::<i64>(r, "codes_sent")?).map_err(|_| StoreError::Corrupt("codes_sent"))?,
        },
    })
}

pub async fn by_token_hash(store: &Store, hash: &[u8; 32]) -> Result<Option<SecureLinkRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE token_hash = $1");
    let row = sqlx::query(&sql).bind(hash.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| secure_link_row(&r)).transpose()
}

/// A secure link by its id (staff asking what became of one they sent).
pub async fn by_id(store: &Store, link: SecureLinkId) -> Result<Option<SecureLinkRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE id = $1");
    let row = sqlx::query(&sql).bind(link.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| secure_link_row(&r)).transpose()
}

/// The account made for an earlier secure link of this patient (one that
/// is not the patient's own), so one patient keeps one such account.
pub async fn link_account(store: &Store, patient: PatientId) -> Result<Option<UserId>, StoreError> {
    let row = sqlx::query(
        "SELECT l.holder_id FROM secure_links l JOIN patients p ON p.id = l.patient_id \
         WHERE l.patient_id = $1 AND (p.user_id IS NULL OR p.user_id <> l.holder_id) \
         ORDER BY l.created_at DESC, l.id DESC LIMIT 1",
    )
    .bind(patient.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| id(&r, "holder_id", UserId::from_slice)).transpose()
}

pub fn mark_opened(link: SecureLinkId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE secure_links SET opened_at = $2 WHERE id = $1 AND opened_at IS NULL",
        vec![link.to_vec().into(), at.as_micros().into()],
    )
}

/// Records a new code, in place of any earlier one. `sent_before` is how
/// many codes the caller saw sent: a compare-and-swap, so parallel
/// requests cannot send more than the link allows.
pub fn set_code(link: SecureLinkId, code_hash: &[u8; 32], sent_before: u32, at: Timestamp) -> Step {
    Step::new(
        "UPDATE secure_links SET code_hash = $2, code_sent_at = $3, codes_sent = codes_sent + 1 \
         WHERE id = $1 AND codes_sent = $4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
        vec![link.to_vec().into(), code_hash.to_vec().into(), at.as_micros().into(), i64::from(sent_before).into()],
    )
    .guarded(Conflict::LinkSpent)
}

/// Spends the link on the code the holder gave: only if that code is the
/// latest, still within its lifetime, and the link unused and unrevoked.
pub fn mark_used(link: SecureLinkId, code_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE secure_links SET used_at = $2 \
         WHERE id = $1 AND code_hash = $3 AND code_sent_at > $4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        vec![
            link.to_vec().into(),
            at.as_micros().into(),
            code_hash.to_vec().into(),
            at.minus(CODE_LIFETIME).as_micros().into(),
        ],
    )
    .guarded(Conflict::LinkSpent)
}

/// Revokes the link (its tries are spent); a link already spent stays so.
pub fn revoke(link: SecureLinkId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE secure_links SET revoked_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        vec![link.to_vec().into(), at.as_micros().into()],
    )
}
