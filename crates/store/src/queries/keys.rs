//! Wrapped data keys.

use crate::rows::{WrappedKeyRow, col};
use crate::{Step, Store, StoreError};
use switchboard_domain::ids::{DataKeyId, PracticeId};
use switchboard_domain::time::Timestamp;

pub fn insert(key: &WrappedKeyRow, practice: PracticeId, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO data_keys (id, practice_id, kek_id, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            key.id.to_vec().into(),
            practice.to_vec().into(),
            i64::from(key.kek_id).into(),
            key.wrapped.clone().into(),
            at.as_micros().into(),
        ],
    )
}

/// Replaces a data key's wrapping, only if it is still wrapped as expected
/// (so two rotations cannot overwrite each other).
pub fn rewrap(id: DataKeyId, old_kek: u32, new: &WrappedKeyRow) -> Step {
    Step::new(
        "UPDATE data_keys SET kek_id = $3, wrapped = $4 WHERE id = $1 AND kek_id = $2",
        vec![id.to_vec().into(), i64::from(old_kek).into(), i64::from(new.kek_id).into(), new.wrapped.clone().into()],
    )
}

/// Up to `limit` data keys not wrapped by `kek`, in id order after `after`.
pub async fn not_wrapped_by(
    store: &Store,
    kek: u32,
    after: Option<DataKeyId>,
    limit: i64,
) -> Result<Vec<WrappedKeyRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kek_id, wrapped FROM data_keys WHERE kek_id <> $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
    )
    .bind(i64::from(kek))
    .bind(after.map(|a| a.to_vec()))
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| WrappedKeyRow::read(r, "id", "kek_id", "wrapped")).collect()
}

/// The master-key ids that still wrap at least one data key.
pub async fn master_keys_in_use(store: &Store) -> Result<Vec<u32>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT kek_id FROM data_keys").fetch_all(store.reader()).await?;
    rows.iter().map(|r| u32::try_from(col::<i64>(r, "kek_id")?).map_err(|_| StoreError::Corrupt("kek_id"))).collect()
}

/// One data key wrapped by each master key in use (the lowest id of each),
/// to prove at start and in readiness that every master key needed is on
/// hand.
pub async fn one_per_master_key(store: &Store) -> Result<Vec<WrappedKeyRow>, StoreError> {
    let mut out = Vec::new();
    for kek in master_keys_in_use(store).await? {
        let row = sqlx::query("SELECT id, kek_id, wrapped FROM data_keys WHERE kek_id = $1 ORDER BY id LIMIT 1")
            .bind(i64::from(kek))
            .fetch_optional(store.reader())
            .await?;
        if let Some(r) = row {
            out.push(WrappedKeyRow::read(&r, "id", "kek_id", "wrapped")?);
        }
    }
    Ok(out)
}

pub async fn by_id(store: &Store, key: DataKeyId) -> Result<Option<WrappedKeyRow>, StoreError> {
    let row = sqlx::query("SELECT id, kek_id, wrapped FROM data_keys WHERE id = $1")
        .bind(key.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| WrappedKeyRow::read(&r, "id", "kek_id", "wrapped")).transpose()
}
