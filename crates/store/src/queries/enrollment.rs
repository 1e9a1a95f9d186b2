//! A practice's messaging terms (every version), patients' acceptances of
//! them, and its soft launch (who patient messaging is on for).

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::enrollment::{
    Acceptance, AcceptedThrough, CohortKind, Placement, Rollout, RolloutMode, TermsVersion,
};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

/// One version of a practice's terms.
#[derive(Clone, Debug)]
pub struct TermsRow {
    pub version: TermsVersion,
    pub body: String,
    pub published_at: Timestamp,
    pub published_by: Option<UserId>,
    pub published_by_name: Option<String>,
}

fn version(r: &sqlx::any::AnyRow, name: &'static str) -> Result<TermsVersion, StoreError> {
    TermsVersion::new(col::<i64>(r, name)?).ok_or(StoreError::Corrupt(name))
}

fn read_terms(r: &sqlx::any::AnyRow) -> Result<TermsRow, StoreError> {
    Ok(TermsRow {
        version: version(r, "version")?,
        body: col(r, "body")?,
        published_at: ts(r, "published_at")?,
        published_by: opt_id(r, "published_by", UserId::from_slice)?,
        published_by_name: col(r, "display_name")?,
    })
}

const TERMS: &str = "SELECT t.version, t.body, t.published_at, t.published_by, u.display_name \
                     FROM messaging_terms t LEFT JOIN users u ON u.id = t.published_by WHERE t.practice_id = $1";

/// The version in force: the latest published.
pub async fn current_terms(store: &Store, practice: PracticeId) -> Result<Option<TermsRow>, StoreError> {
    let sql = format!("{TERMS} ORDER BY t.version DESC LIMIT 1");
    let row = sqlx::query(&sql).bind(practice.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read_terms).transpose()
}

/// Every version, newest first.
pub async fn all_terms(store: &Store, practice: PracticeId) -> Result<Vec<TermsRow>, StoreError> {
    let sql = format!("{TERMS} ORDER BY t.version DESC");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(read_terms).collect()
}

/// Publishes a version; one already there (published meanwhile by someone
/// else) is a [`Conflict::Unique`].
pub fn insert_terms(
    practice: PracticeId,
    version: TermsVersion,
    body: &str,
    at: Timestamp,
    by: Option<UserId>,
) -> Step {
    Step::new(
        "INSERT INTO messaging_terms (practice_id, version, body, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            practice.to_vec().into(),
            i64::from(version.get()).into(),
            body.into(),
            at.as_micros().into(),
            by.map(|u| u.to_vec()).into(),
        ],
    )
}

/// Version 1, `body`, for every practice that has no terms yet (those from
/// before terms were kept). Safe to run on several nodes at once.
pub fn backfill_first_terms(body: &str, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO messaging_terms (practice_id, version, body, published_at, published_by) \
         SELECT p.id, 1, $1, $2, NULL FROM practices p \
         WHERE NOT EXISTS (SELECT 1 FROM messaging_terms t WHERE t.practice_id = p.id) \
         ON CONFLICT DO NOTHING",
        vec![body.into(), at.as_micros().into()],
    )
}

/// An acceptance about to be recorded.
pub struct NewAcceptance {
    pub id: AcceptanceId,
    pub practice: PracticeId,
    /// `None`: an account without a patient record (a caregiver's).
    pub patient: Option<PatientId>,
    pub user: UserId,
    pub acceptance: Acceptance,
}

pub fn insert_acceptance(a: &NewAcceptance) -> Step {
    Step::new(
        "INSERT INTO terms_acceptances (id, practice_id, patient_id, user_id, version, accepted_at, method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            a.id.to_vec().into(),
            a.practice.to_vec().into(),
            a.patient.map(|p| p.to_vec()).into(),
            a.user.to_vec().into(),
            i64::from(a.acceptance.version.get()).into(),
            a.acceptance.at.as_micros().into(),
            a.acceptance.through.as_str().into(),
        ],
    )
}

fn read_acceptance(r: &sqlx::any::AnyRow) -> Result<Acceptance, StoreError> {
    Ok(Acceptance {
        version: version(r, "version")?,
        at: ts(r, "accepted_at")?,
        through: code(r, "method", AcceptedThrough::parse)?,
    })
}

/// A patient's latest acceptance (of the highest version, the latest of
/// equals).
pub async fn latest_acceptance(store: &Store, patient: PatientId) -> Result<Option<Acceptance>, StoreError> {
    let row = sqlx::query(
        "SELECT version, accepted_at, method FROM terms_acceptances WHERE patient_id = $1 \
         ORDER BY version DESC, accepted_at DESC LIMIT 1",
    )
    .bind(patient.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.as_ref().map(read_acceptance).transpose()
}

/// The latest acceptance an account without a patient record gave.
pub async fn latest_acceptance_by_user(store: &Store, user: UserId) -> Result<Option<Acceptance>, StoreError> {
    let row = sqlx::query(
        "SELECT version, accepted_at, method FROM terms_acceptances WHERE user_id = $1 AND patient_id IS NULL \
         ORDER BY version DESC, accepted_at DESC LIMIT 1",
    )
    .bind(user.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.as_ref().map(read_acceptance).transpose()
}

/// Every patient's latest acceptance in a practice.
pub async fn latest_acceptances(
    store: &Store,
    practice: PracticeId,
) -> Result<Vec<(PatientId, Acceptance)>, StoreError> {
    let rows = sqlx::query(
        "SELECT patient_id, version, accepted_at, method FROM terms_acceptances WHERE practice_id = $1 \
         AND patient_id IS NOT NULL ORDER BY patient_id, version, accepted_at",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let mut out: Vec<(PatientId, Acceptance)> = Vec::new();
    for r in &rows {
        let patient = id(r, "patient_id", PatientId::from_slice)?;
        let a = read_acceptance(r)?;
        // Ordered by patient then version: the last row of each patient wins.
        match out.last_mut() {
            Some((p, latest)) if *p == patient => *latest = a,
            _ => out.push((patient, a)),
        }
    }
    Ok(out)
}

/// A practice's soft launch.
pub async fn rollout(store: &Store, practice: PracticeId) -> Result<Option<Rollout>, StoreError> {
    let Some(row) = sqlx::query("SELECT rollout FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?
    else {
        return Ok(None);
    };
    let mode = code(&row, "rollout", RolloutMode::parse)?;
    let members = sqlx::query("SELECT kind, member_id FROM rollout_cohorts WHERE practice_id = $1 ORDER BY kind")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    let mut rollout = Rollout { mode, ..Rollout::everyone() };
    for r in &members {
        match code(r, "kind", CohortKind::parse)? {
            CohortKind::Department => rollout.departments.push(id(r, "member_id", DepartmentId::from_slice)?),
            CohortKind::Provider => rollout.providers.push(id(r, "member_id", UserId::from_slice)?),
            CohortKind::Patient => rollout.patients.push(id(r, "member_id", PatientId::from_slice)?),
        }
    }
    Ok(Some(rollout))
}

/// The steps that make `rollout` the practice's: its mode, and its cohorts
/// in place of the ones before.
pub fn set_rollout(practice: PracticeId, rollout: &Rollout) -> Vec<Step> {
    let mut steps = vec![
        Step::new(
            "UPDATE practices SET rollout = $1 WHERE id = $2",
            vec![rollout.mode.as_str().into(), practice.to_vec().into()],
        )
        .guarded(Conflict::PracticeMissing),
        Step::new("DELETE FROM rollout_cohorts WHERE practice_id = $1", vec![practice.to_vec().into()]),
    ];
    let members = rollout
        .departments
        .iter()
        .map(|d| (CohortKind::Department, d.to_vec()))
        .chain(rollout.providers.iter().map(|u| (CohortKind::Provider, u.to_vec())))
        .chain(rollout.patients.iter().map(|p| (CohortKind::Patient, p.to_vec())));
    for (kind, member) in members {
        steps.push(Step::new(
            "INSERT INTO rollout_cohorts (practice_id, kind, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![practice.to_vec().into(), kind.as_str().into(), member.into()],
        ));
    }
    steps
}

fn read_placement(r: &sqlx::any::AnyRow) -> Result<Placement, StoreError> {
    Ok(Placement {
        patient: id(r, "id", PatientId::from_slice)?,
        department: opt_id(r, "department_id", DepartmentId::from_slice)?,
        provider: opt_id(r, "primary_provider_id", UserId::from_slice)?,
    })
}

const PLACEMENT: &str = "SELECT p.id, p.department_id, ct.primary_provider_id, p.user_id \
                         FROM patients p LEFT JOIN care_teams ct ON ct.id = p.care_team_id";

/// Where a patient is placed, as the soft launch looks at them.
pub async fn placement(store: &Store, patient: PatientId) -> Result<Option<Placement>, StoreError> {
    let sql = format!("{PLACEMENT} WHERE p.id = $1");
    let row = sqlx::query(&sql).bind(patient.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read_placement).transpose()
}

/// Every patient of a practice, placed, and whether they are enrolled.
pub async fn placements(store: &Store, practice: PracticeId) -> Result<Vec<(Placement, bool)>, StoreError> {
    let sql = format!("{PLACEMENT} WHERE p.practice_id = $1");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(|r| Ok((read_placement(r)?, col::<Option<Vec<u8>>>(r, "user_id")?.is_some()))).collect()
}
