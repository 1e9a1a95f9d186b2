//! Emergency ("break-glass") grants: recorded with their sealed reason,
//! ended early, read back for the policy (the holder's grants not yet
//! ended), for the banner and for the review. The store never decides
//! whether a grant opens anything: `domain::policy` does, on the rows the
//! service loads.

use crate::rows::{col, id, opt_code, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::emergency::EmergencyCategory;
use switchboard_domain::ids::{AccessReviewId, EmergencyAccessId, PatientId, PracticeId, UserId};
use switchboard_domain::time::Timestamp;

/// Why a grant ended before its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndedWhy {
    /// Its holder chose "End now".
    EndedByHolder,
    /// Its holder's account was deactivated.
    Deactivated,
}

impl EndedWhy {
    pub const fn as_str(self) -> &'static str {
        match self {
            EndedWhy::EndedByHolder => "ended_by_holder",
            EndedWhy::Deactivated => "deactivated",
        }
    }
}

pub struct NewGrant {
    pub id: EmergencyAccessId,
    pub practice: PracticeId,
    pub user: UserId,
    pub patient: PatientId,
    pub category: Option<EmergencyCategory>,
    pub reason_ct: Vec<u8>,
    pub minutes: i64,
    pub started_at: Timestamp,
    pub ends_at: Timestamp,
    pub review: AccessReviewId,
}

/// Records a grant; the finding it names (`review`) must be inserted first
/// in the same unit.
pub fn insert(g: NewGrant) -> Step {
    Step::new(
        "INSERT INTO emergency_access (id, practice_id, user_id, patient_id, category, reason_ct, minutes, \
         started_at, ends_at, review_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            g.id.to_vec().into(),
            g.practice.to_vec().into(),
            g.user.to_vec().into(),
            g.patient.to_vec().into(),
            g.category.map(|c| c.as_str().to_owned()).into(),
            g.reason_ct.into(),
            g.minutes.into(),
            g.started_at.as_micros().into(),
            g.ends_at.as_micros().into(),
            g.review.to_vec().into(),
        ],
    )
}

/// Ends one of `user`'s grants now, if it has not ended; a grant already
/// over (or another's) is `GrantMissing`.
pub fn end(grant: EmergencyAccessId, user: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE emergency_access SET ended_at = $3, ended_why = 'ended_by_holder' \
         WHERE id = $1 AND user_id = $2 AND ended_at IS NULL AND ends_at > $3",
        vec![grant.to_vec().into(), user.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::GrantMissing)
}

/// Ends every grant of `user` not yet over (their account is deactivated).
pub fn end_all(user: UserId, at: Timestamp, why: EndedWhy) -> Step {
    Step::new(
        "UPDATE emergency_access SET ended_at = $2, ended_why = $3 \
         WHERE user_id = $1 AND ended_at IS NULL AND ends_at > $2",
        vec![user.to_vec().into(), at.as_micros().into(), why.as_str().into()],
    )
}

/// A grant as read back.
#[derive(Clone, Debug)]
pub struct GrantRow {
    pub id: EmergencyAccessId,
    pub practice: PracticeId,
    pub user: UserId,
    pub patient: PatientId,
    pub category: Option<EmergencyCategory>,
    pub reason_ct: Vec<u8>,
    pub minutes: i64,
    pub started_at: Timestamp,
    pub ends_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

impl GrantRow {
    fn read(r: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        Ok(GrantRow {
            id: id(r, "id", EmergencyAccessId::from_slice)?,
            practice: id(r, "practice_id", PracticeId::from_slice)?,
            user: id(r, "user_id", UserId::from_slice)?,
            patient: id(r, "patient_id", PatientId::from_slice)?,
            category: opt_code(r, "category", EmergencyCategory::parse)?,
            reason_ct: col(r, "reason_ct")?,
            minutes: col(r, "minutes")?,
            started_at: ts(r, "started_at")?,
            ends_at: ts(r, "ends_at")?,
            ended_at: opt_ts(r, "ended_at")?,
        })
    }

    /// When it ended or ends: early, or at its time.
    pub fn over_at(&self) -> Timestamp {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }
}

macro_rules! grant_select {
    () => {
        "SELECT id, practice_id, user_id, patient_id, category, reason_ct, minutes, started_at, ends_at, ended_at \
         FROM emergency_access"
    };
}

/// `user`'s grants not ended at `now`, soonest to end first.
pub async fn active_for(store: &Store, user: UserId, now: Timestamp) -> Result<Vec<GrantRow>, StoreError> {
    let rows = sqlx::query(concat!(
        grant_select!(),
        " WHERE user_id = $1 AND ended_at IS NULL AND ends_at > $2 ORDER BY ends_at, id"
    ))
    .bind(user.to_vec())
    .bind(now.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(GrantRow::read).collect()
}

pub async fn by_id(store: &Store, grant: EmergencyAccessId) -> Result<Option<GrantRow>, StoreError> {
    let row = sqlx::query(concat!(grant_select!(), " WHERE id = $1"))
        .bind(grant.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.as_ref().map(GrantRow::read).transpose()
}

/// The grants whose findings are `reviews` (for the review list).
pub async fn by_reviews(
    store: &Store,
    reviews: &[AccessReviewId],
) -> Result<Vec<(AccessReviewId, GrantRow)>, StoreError> {
    let mut out = Vec::new();
    for review in reviews {
        let row = sqlx::query(concat!(grant_select!(), " WHERE review_id = $1"))
            .bind(review.to_vec())
            .fetch_optional(store.reader())
            .await?;
        if let Some(r) = row {
            out.push((*review, GrantRow::read(&r)?));
        }
    }
    Ok(out)
}

/// How many times `user` searched for a patient for emergency access
/// after `since` (from the audit log: every search is recorded there;
/// refused ones do not count).
pub async fn searches_since(store: &Store, user: UserId, since: Timestamp) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n FROM audit_log WHERE actor_id = $1 AND action = 'emergency_patient_searched' \
         AND outcome = 'success' AND at > $2",
    )
    .bind(user.to_vec())
    .bind(since.as_micros())
    .fetch_one(store.reader())
    .await?;
    col(&row, "n")
}
