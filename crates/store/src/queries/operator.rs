//! The deployment operator's API keys, and the overview of practices they
//! see (names and counts, never PHI).

use crate::rows::{col, id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{OperatorKeyId, PracticeId};
use switchboard_domain::operator::{OperatorKey, PracticeOverview};
use switchboard_domain::time::Timestamp;

pub fn insert_key(key: OperatorKeyId, name: &str, token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO operator_keys (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        vec![key.to_vec().into(), name.into(), token_hash.to_vec().into(), at.as_micros().into()],
    )
}

/// Revokes a key, once (`key_missing` if unknown or already revoked).
pub fn revoke_key(key: OperatorKeyId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE operator_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        vec![key.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::KeyMissing)
}

pub fn touch_key(key: OperatorKeyId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE operator_keys SET last_used_at = $2 WHERE id = $1",
        vec![key.to_vec().into(), at.as_micros().into()],
    )
}

const KEY_COLUMNS: &str = "SELECT id, name, created_at, last_used_at, revoked_at FROM operator_keys";

fn key_row(r: &sqlx::any::AnyRow) -> Result<OperatorKey, StoreError> {
    Ok(OperatorKey {
        id: id(r, "id", OperatorKeyId::from_slice)?,
        name: col(r, "name")?,
        created_at: ts(r, "created_at")?,
        last_used_at: opt_ts(r, "last_used_at")?,
        revoked_at: opt_ts(r, "revoked_at")?,
    })
}

pub async fn key_by_token_hash(store: &Store, hash: &[u8; 32]) -> Result<Option<OperatorKey>, StoreError> {
    let sql = format!("{KEY_COLUMNS} WHERE token_hash = $1");
    let row = sqlx::query(&sql).bind(hash.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| key_row(&r)).transpose()
}

pub async fn keys(store: &Store) -> Result<Vec<OperatorKey>, StoreError> {
    let sql = format!("{KEY_COLUMNS} ORDER BY created_at, id");
    let rows = sqlx::query(&sql).fetch_all(store.reader()).await?;
    rows.iter().map(key_row).collect()
}

pub async fn practices(store: &Store) -> Result<Vec<PracticeOverview>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.id, p.name, p.created_at, \
         (SELECT COUNT(*) FROM users u WHERE u.practice_id = p.id AND u.kind = 'staff' AND u.active = 1) AS active_staff, \
         (SELECT COUNT(*) FROM patients pt WHERE pt.practice_id = p.id) AS patients, \
         (SELECT COUNT(*) FROM patients pt WHERE pt.practice_id = p.id AND pt.user_id IS NOT NULL) AS enrolled_patients \
         FROM practices p ORDER BY p.name, p.id",
    )
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PracticeOverview {
                id: id(r, "id", PracticeId::from_slice)?,
                name: col(r, "name")?,
                created_at: ts(r, "created_at")?,
                active_staff: col(r, "active_staff")?,
                patients: col(r, "patients")?,
                enrolled_patients: col(r, "enrolled_patients")?,
            })
        })
        .collect()
}
