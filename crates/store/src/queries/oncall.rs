//! The on-call schedule, pages about urgent messages and their
//! acknowledgements, and a practice's paging settings.

use crate::rows::*;
use crate::{Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::oncall::Shift;
use switchboard_domain::time::Timestamp;

fn read_shift(r: &sqlx::any::AnyRow) -> Result<Shift, StoreError> {
    let position: i64 = col(r, "position")?;
    Ok(Shift {
        id: id(r, "id", ShiftId::from_slice)?,
        user: id(r, "user_id", UserId::from_slice)?,
        department: opt_id(r, "department_id", DepartmentId::from_slice)?,
        starts_at: ts(r, "starts_at")?,
        ends_at: ts(r, "ends_at")?,
        position: u8::try_from(position).map_err(|_| StoreError::Corrupt("position"))?,
    })
}

/// A practice's shifts that end after `from` and start before `to`, in
/// order of start.
pub async fn shifts(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Shift>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, user_id, department_id, starts_at, ends_at, position FROM on_call_shifts \
         WHERE practice_id = $1 AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at, position, id",
    )
    .bind(practice.to_vec())
    .bind(from.as_micros())
    .bind(to.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(read_shift).collect()
}

pub fn insert_shift(practice: PracticeId, s: &Shift, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO on_call_shifts (id, practice_id, department_id, user_id, starts_at, ends_at, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            s.id.to_vec().into(),
            practice.to_vec().into(),
            s.department.map(|d| d.to_vec()).into(),
            s.user.to_vec().into(),
            s.starts_at.as_micros().into(),
            s.ends_at.as_micros().into(),
            i64::from(s.position).into(),
            at.as_micros().into(),
        ],
    )
}

/// Removes one of a practice's shifts (only that practice's).
pub fn delete_shift(practice: PracticeId, shift: ShiftId) -> Step {
    Step::new(
        "DELETE FROM on_call_shifts WHERE id = $1 AND practice_id = $2",
        vec![shift.to_vec().into(), practice.to_vec().into()],
    )
}

pub async fn shift_practice(store: &Store, shift: ShiftId) -> Result<Option<PracticeId>, StoreError> {
    let row = sqlx::query("SELECT practice_id FROM on_call_shifts WHERE id = $1")
        .bind(shift.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| id(&r, "practice_id", PracticeId::from_slice)).transpose()
}

/// How long a page waits, in minutes, and the fallback number.
pub async fn paging_settings(store: &Store, practice: PracticeId) -> Result<Option<(i64, Option<String>)>, StoreError> {
    let row = sqlx::query("SELECT page_ack_minutes, page_fallback_phone FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| Ok((col(&r, "page_ack_minutes")?, col(&r, "page_fallback_phone")?))).transpose()
}

pub fn set_paging_settings(practice: PracticeId, ack_minutes: i64, fallback: Option<&str>) -> Step {
    Step::new(
        "UPDATE practices SET page_ack_minutes = $2, page_fallback_phone = $3 WHERE id = $1",
        vec![practice.to_vec().into(), ack_minutes.into(), fallback.into()],
    )
}

/// A page as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRow {
    pub id: PageId,
    pub practice: PracticeId,
    pub conversation: ConversationId,
    pub step: i64,
    pub user: Option<UserId>,
    pub paged_at: Timestamp,
    pub expires_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<UserId>,
}

const PAGE_COLUMNS: &str = "id, practice_id, conversation_id, step, user_id, paged_at, expires_at, acknowledged_at, acknowledged_by FROM pages";

fn read_page(r: &sqlx::any::AnyRow) -> Result<PageRow, StoreError> {
    Ok(PageRow {
        id: id(r, "id", PageId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        conversation: id(r, "conversation_id", ConversationId::from_slice)?,
        step: col(r, "step")?,
        user: opt_id(r, "user_id", UserId::from_slice)?,
        paged_at: ts(r, "paged_at")?,
        expires_at: ts(r, "expires_at")?,
        acknowledged_at: opt_ts(r, "acknowledged_at")?,
        acknowledged_by: opt_id(r, "acknowledged_by", UserId::from_slice)?,
    })
}

pub struct NewPage<'a> {
    pub id: PageId,
    pub practice: PracticeId,
    pub conversation: ConversationId,
    pub step: i64,
    pub user: Option<UserId>,
    pub token_hash: Option<&'a [u8]>,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

pub fn insert_page(p: NewPage<'_>) -> Step {
    Step::new(
        "INSERT INTO pages (id, practice_id, conversation_id, step, user_id, token_hash, paged_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            p.id.to_vec().into(),
            p.practice.to_vec().into(),
            p.conversation.to_vec().into(),
            p.step.into(),
            p.user.map(|u| u.to_vec()).into(),
            p.token_hash.map(<[u8]>::to_vec).into(),
            p.at.as_micros().into(),
            p.expires_at.as_micros().into(),
        ],
    )
}

/// A conversation's pages, oldest first.
pub async fn pages_for(store: &Store, conversation: ConversationId) -> Result<Vec<PageRow>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {PAGE_COLUMNS} WHERE conversation_id = $1 ORDER BY paged_at, step, id"))
        .bind(conversation.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(read_page).collect()
}

pub async fn page_by_token_hash(store: &Store, hash: &[u8]) -> Result<Option<PageRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {PAGE_COLUMNS} WHERE token_hash = $1"))
        .bind(hash.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.as_ref().map(read_page).transpose()
}

/// Marks a page acknowledged (once).
pub fn acknowledge(page: PageId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE pages SET acknowledged_at = $3, acknowledged_by = $2 WHERE id = $1 AND acknowledged_at IS NULL",
        vec![page.to_vec().into(), by.to_vec().into(), at.as_micros().into()],
    )
}
