//! Unusual access for review: the conversations staff opened, read from
//! the audit log after the job's last position, how many distinct patients
//! a person opened per day, and the findings the compliance officer reviews.

use crate::rows::{code, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::access_review::ReviewReason;
use switchboard_domain::ids::{AccessReviewId, PatientId, PracticeId, UserId};
use switchboard_domain::time::Timestamp;

/// One conversation opened by a staff member, as the audit log has it.
#[derive(Clone, Copy, Debug)]
pub struct OpenedRow {
    pub seq: i64,
    pub at: Timestamp,
    pub practice: PracticeId,
    pub user: UserId,
    pub patient: PatientId,
    /// Opened through emergency access (the record names a grant): that
    /// use is already in front of the reviewer, with its reason.
    pub emergency: bool,
}

pub async fn progress(store: &Store) -> Result<i64, StoreError> {
    let row =
        sqlx::query("SELECT last_seq FROM access_review_progress WHERE id = 1").fetch_optional(store.reader()).await?;
    row.map_or(Ok(0), |r| col(&r, "last_seq"))
}

pub fn set_progress(last_seq: i64) -> Step {
    Step::new(
        "INSERT INTO access_review_progress (id, last_seq) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq",
        vec![last_seq.into()],
    )
}

/// Conversations opened by staff (successfully) after `after_seq`, oldest
/// first, at most `limit`.
pub async fn opened_since(store: &Store, after_seq: i64, limit: i64) -> Result<Vec<OpenedRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.seq, a.at, a.practice_id, a.actor_id, a.patient_id, a.detail FROM audit_log a JOIN users u ON u.id = a.actor_id \
         WHERE a.seq > $1 AND a.action = 'conversation_viewed' AND a.outcome = 'success' AND u.kind = 'staff' \
         AND a.patient_id IS NOT NULL AND a.practice_id IS NOT NULL ORDER BY a.seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OpenedRow {
                seq: col(r, "seq")?,
                at: ts(r, "at")?,
                practice: id(r, "practice_id", PracticeId::from_slice)?,
                user: id(r, "actor_id", UserId::from_slice)?,
                patient: id(r, "patient_id", PatientId::from_slice)?,
                emergency: col::<Option<String>>(r, "detail")?.is_some_and(|d| d.contains("emergency_access=")),
            })
        })
        .collect()
}

/// The newest audit record's seq (where a first run starts: findings are
/// about what happens from then on, not years of history at once).
pub async fn newest_seq(store: &Store) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_log").fetch_one(store.reader()).await?;
    col(&row, "seq")
}

/// Distinct patients `user` opened in each of the `days` whole UTC days
/// before `day_start`, and on the day from `day_start` (the last entry).
pub async fn daily_patients(
    store: &Store,
    user: UserId,
    day_start: Timestamp,
    days: i64,
) -> Result<Vec<usize>, StoreError> {
    const DAY: i64 = 86_400_000_000;
    let from = day_start.as_micros() - days * DAY;
    let rows = sqlx::query(
        "SELECT (at - $2) / $4 AS day, COUNT(DISTINCT patient_id) AS n FROM audit_log \
         WHERE actor_id = $1 AND at >= $2 AND at < $3 AND action = 'conversation_viewed' AND outcome = 'success' \
         AND patient_id IS NOT NULL GROUP BY (at - $2) / $4",
    )
    .bind(user.to_vec())
    .bind(from)
    .bind(day_start.as_micros() + DAY)
    .bind(DAY)
    .fetch_all(store.reader())
    .await?;
    let mut out = vec![0usize; usize::try_from(days + 1).unwrap_or(0)];
    for r in &rows {
        let day = usize::try_from(col::<i64>(r, "day")?).map_err(|_| StoreError::Corrupt("day"))?;
        let n = usize::try_from(col::<i64>(r, "n")?).map_err(|_| StoreError::Corrupt("n"))?;
        if let Some(slot) = out.get_mut(day) {
            *slot = n;
        }
    }
    Ok(out)
}

/// A finding; nothing happens if the same one (`dedup_key`) was made before.
pub struct NewReview<'a> {
    pub id: AccessReviewId,
    pub practice: PracticeId,
    pub reason: ReviewReason,
    pub user: UserId,
    pub patient: Option<PatientId>,
    pub patients_opened: i64,
    pub dedup_key: &'a str,
    pub at: Timestamp,
}

pub fn insert(r: &NewReview<'_>) -> Step {
    Step::new(
        "INSERT INTO access_reviews (id, practice_id, reason, user_id, patient_id, patients_opened, dedup_key, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedup_key) DO NOTHING",
        vec![
            r.id.to_vec().into(),
            r.practice.to_vec().into(),
            r.reason.as_str().into(),
            r.user.to_vec().into(),
            r.patient.map(|p| p.to_vec()).into(),
            r.patients_opened.into(),
            r.dedup_key.into(),
            r.at.as_micros().into(),
        ],
    )
}

pub async fn exists(store: &Store, dedup_key: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT count(*) AS n FROM access_reviews WHERE dedup_key = $1")
        .bind(dedup_key)
        .fetch_one(store.reader())
        .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// A finding as the compliance officer sees it (names are the service's).
#[derive(Clone, Debug)]
pub struct ReviewRow {
    pub id: AccessReviewId,
    pub reason: ReviewReason,
    pub user: UserId,
    pub user_name: String,
    pub patient: Option<PatientId>,
    pub patients_opened: i64,
    pub raised_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
    pub reviewed_by: Option<UserId>,
}

/// The practice's findings, newest first: open ones only, or all.
pub async fn list(
    store: &Store,
    practice: PracticeId,
    open_only: bool,
    limit: i64,
) -> Result<Vec<ReviewRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.id, r.reason, r.user_id, u.display_name, r.patient_id, r.patients_opened, r.raised_at, r.reviewed_at, \
         r.reviewed_by FROM access_reviews r JOIN users u ON u.id = r.user_id \
         WHERE r.practice_id = $1 AND ($2 = 0 OR r.reviewed_at IS NULL) ORDER BY r.raised_at DESC, r.id DESC LIMIT $3",
    )
    .bind(practice.to_vec())
    .bind(i64::from(open_only))
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReviewRow {
                id: id(r, "id", AccessReviewId::from_slice)?,
                reason: code(r, "reason", ReviewReason::parse)?,
                user: id(r, "user_id", UserId::from_slice)?,
                user_name: col::<Option<String>>(r, "display_name")?.unwrap_or_default(),
                patient: opt_id(r, "patient_id", PatientId::from_slice)?,
                patients_opened: col(r, "patients_opened")?,
                raised_at: ts(r, "raised_at")?,
                reviewed_at: opt_ts(r, "reviewed_at")?,
                reviewed_by: opt_id(r, "reviewed_by", UserId::from_slice)?,
            })
        })
        .collect()
}

/// Marks a finding reviewed (once).
pub fn mark_reviewed(review: AccessReviewId, practice: PracticeId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE access_reviews SET reviewed_at = $4, reviewed_by = $3 WHERE id = $1 AND practice_id = $2 AND reviewed_at IS NULL",
        vec![review.to_vec().into(), practice.to_vec().into(), by.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::ReviewMissing)
}
