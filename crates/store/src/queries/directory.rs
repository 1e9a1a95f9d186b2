//! Practices, departments, users, care teams and patients.

use crate::rows::{Memberships, PatientRow, UserRow, col, id, opt_ts};
use crate::{Conflict, Step, Store, StoreError};
use sqlx::Row as _;
use switchboard_domain::ids::*;
use switchboard_domain::policy::PatientListScope;
use switchboard_domain::role::{StaffRole, UserKind};
use switchboard_domain::time::Timestamp;

/// A new practice requires a second factor of its staff from the start.
pub fn insert_practice(practice: PracticeId, name: &str, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO practices (id, name, created_at, staff_mfa_required, staff_mfa_required_since) VALUES ($1, $2, $3, 1, $3)",
        vec![practice.to_vec().into(), name.into(), at.as_micros().into()],
    )
}

pub fn insert_department(department: DepartmentId, practice: PracticeId, name: &str, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO departments (id, practice_id, name, created_at) VALUES ($1, $2, $3, $4)",
        vec![department.to_vec().into(), practice.to_vec().into(), name.into(), at.as_micros().into()],
    )
}

/// A new account. `role` and `display_name` are for staff only.
pub struct NewUser<'a> {
    pub id: UserId,
    pub practice: PracticeId,
    pub username: &'a str,
    pub kind: UserKind,
    pub role: Option<StaffRole>,
    pub display_name: Option<&'a str>,
    pub password_hash: &'a str,
    pub at: Timestamp,
}

impl<'a> NewUser<'a> {
    /// A patient's account: no role, no display name (a patient's name is
    /// sealed in their record, never in the clear on the account).
    pub fn patient(id: UserId, practice: PracticeId, username: &'a str, password_hash: &'a str, at: Timestamp) -> Self {
        NewUser { id, practice, username, kind: UserKind::Patient, role: None, display_name: None, password_hash, at }
    }

    /// A staff member's account.
    pub fn staff(
        id: UserId,
        practice: PracticeId,
        username: &'a str,
        role: StaffRole,
        display_name: &'a str,
        password_hash: &'a str,
        at: Timestamp,
    ) -> Self {
        NewUser {
            id,
            practice,
            username,
            kind: UserKind::Staff,
            role: Some(role),
            display_name: Some(display_name),
            password_hash,
            at,
        }
    }
}

pub fn insert_user(u: &NewUser<'_>) -> Step {
    Step::new(
        "INSERT INTO users (id, practice_id, username, kind, role, display_name, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
        vec![
            u.id.to_vec().into(),
            u.practice.to_vec().into(),
            u.username.into(),
            u.kind.as_str().into(),
            u.role.map(|r| r.as_str()).into(),
            u.display_name.into(),
            u.password_hash.into(),
            u.at.as_micros().into(),
        ],
    )
}

pub fn insert_staff_department(user: UserId, department: DepartmentId) -> Step {
    Step::new(
        "INSERT INTO staff_departments (user_id, department_id) VALUES ($1, $2)",
        vec![user.to_vec().into(), department.to_vec().into()],
    )
}

pub fn insert_care_team(
    team: CareTeamId,
    practice: PracticeId,
    department: Option<DepartmentId>,
    name: &str,
    primary_provider: Option<UserId>,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO care_teams (id, practice_id, department_id, name, primary_provider_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            team.to_vec().into(),
            practice.to_vec().into(),
            department.map(|d| d.to_vec()).into(),
            name.into(),
            primary_provider.map(|p| p.to_vec()).into(),
            at.as_micros().into(),
        ],
    )
}

pub fn insert_care_team_member(team: CareTeamId, user: UserId) -> Step {
    Step::new(
        "INSERT INTO care_team_members (care_team_id, user_id) VALUES ($1, $2)",
        vec![team.to_vec().into(), user.to_vec().into()],
    )
}

/// A patient record with its demographics already encrypted.
pub struct NewPatient {
    pub id: PatientId,
    pub practice: PracticeId,
    pub user: Option<UserId>,
    pub department: Option<DepartmentId>,
    pub care_team: Option<CareTeamId>,
    pub dek: DataKeyId,
    pub given_name_ct: Vec<u8>,
    pub family_name_ct: Vec<u8>,
    pub birth_date_ct: Vec<u8>,
    pub mrn_ct: Option<Vec<u8>>,
    /// Keyed hash of the normalised MRN, for matching imports.
    pub mrn_index: Option<Vec<u8>>,
    pub email_ct: Option<Vec<u8>>,
    pub phone_ct: Option<Vec<u8>>,
    pub at: Timestamp,
}

pub fn insert_patient(p: NewPatient) -> Step {
    Step::new(
        "INSERT INTO patients (id, practice_id, user_id, department_id, care_team_id, dek_id, given_name_ct, family_name_ct, \
         birth_date_ct, mrn_ct, created_at, mrn_index, email_ct, phone_ct) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        vec![
            p.id.to_vec().into(),
            p.practice.to_vec().into(),
            p.user.map(|u| u.to_vec()).into(),
            p.department.map(|d| d.to_vec()).into(),
            p.care_team.map(|t| t.to_vec()).into(),
            p.dek.to_vec().into(),
            p.given_name_ct.into(),
            p.family_name_ct.into(),
            p.birth_date_ct.into(),
            p.mrn_ct.into(),
            p.at.as_micros().into(),
            p.mrn_index.into(),
            p.email_ct.into(),
            p.phone_ct.into(),
        ],
    )
}

macro_rules! user_select {
    () => {
        "SELECT u.id AS user_id, u.practice_id, u.username, u.kind, u.role, u.display_name, u.password_hash, u.active FROM users u"
    };
}

pub async fn user_by_username(store: &Store, username: &str) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(concat!(user_select!(), " WHERE u.username = $1"))
        .bind(username)
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| UserRow::read(&r)).transpose()
}

pub async fn user_by_id(store: &Store, user: UserId) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(concat!(user_select!(), " WHERE u.id = $1"))
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| UserRow::read(&r)).transpose()
}

/// The departments, care teams and pools (as a member or its lead) a staff
/// member belongs to.
pub async fn memberships(store: &Store, user: UserId) -> Result<Memberships, StoreError> {
    let rows = sqlx::query(
        "SELECT 'd' AS k, department_id AS v FROM staff_departments WHERE user_id = $1 \
         UNION ALL SELECT 't' AS k, care_team_id AS v FROM care_team_members WHERE user_id = $1 \
         UNION ALL SELECT 'p' AS k, pool_id AS v FROM pool_members WHERE user_id = $1 \
         UNION ALL SELECT 'p' AS k, id AS v FROM pools WHERE lead_id = $1",
    )
    .bind(user.to_vec())
    .fetch_all(store.reader())
    .await?;
    let mut m = Memberships::default();
    for r in &rows {
        let k: String = col(r, "k")?;
        match k.as_str() {
            "d" => m.departments.push(id(r, "v", DepartmentId::from_slice)?),
            "t" => m.care_teams.push(id(r, "v", CareTeamId::from_slice)?),
            _ => m.pools.push(id(r, "v", PoolId::from_slice)?),
        }
    }
    Ok(m)
}

macro_rules! patient_select {
    () => {
        "SELECT p.id AS p_id, p.practice_id AS p_practice_id, p.user_id AS p_user_id, p.department_id AS p_department_id, \
         p.care_team_id AS p_care_team_id, p.dek_id AS p_dek_id, pk.kek_id AS p_kek_id, pk.wrapped AS p_wrapped, \
         p.given_name_ct AS p_given_name_ct, p.family_name_ct AS p_family_name_ct, p.birth_date_ct AS p_birth_date_ct, \
         p.mrn_ct AS p_mrn_ct, ct.name AS p_care_team_name, d.name AS p_department_name, \
         p.program_pool_id AS p_program_pool_id \
         FROM patients p JOIN data_keys pk ON pk.id = p.dek_id \
         LEFT JOIN care_teams ct ON ct.id = p.care_team_id LEFT JOIN departments d ON d.id = p.department_id"
    };
}

pub async fn patient_by_id(store: &Store, patient: PatientId) -> Result<Option<PatientRow>, StoreError> {
    let row = sqlx::query(concat!(patient_select!(), " WHERE p.id = $1"))
        .bind(patient.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| PatientRow::read(&r)).transpose()
}

/// Every patient of the practice whose MRN index is `mrn_index`, or every
/// patient of the practice when it is `None` (for a search the service
/// answers by opening names and dates of birth: they are sealed, so SQL
/// cannot compare them).
pub async fn patients_of_practice(
    store: &Store,
    practice: PracticeId,
    mrn_index: Option<&[u8]>,
) -> Result<Vec<PatientRow>, StoreError> {
    let rows = match mrn_index {
        Some(index) => {
            sqlx::query(concat!(patient_select!(), " WHERE p.practice_id = $1 AND p.mrn_index = $2"))
                .bind(practice.to_vec())
                .bind(index.to_vec())
                .fetch_all(store.reader())
                .await?
        }
        None => {
            sqlx::query(concat!(patient_select!(), " WHERE p.practice_id = $1"))
                .bind(practice.to_vec())
                .fetch_all(store.reader())
                .await?
        }
    };
    rows.iter().map(PatientRow::read).collect()
}

pub async fn patient_by_user(store: &Store, user: UserId) -> Result<Option<PatientRow>, StoreError> {
    let row = sqlx::query(concat!(patient_select!(), " WHERE p.user_id = $1"))
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| PatientRow::read(&r)).transpose()
}

pub async fn practice_by_name(store: &Store, name: &str) -> Result<Option<PracticeId>, StoreError> {
    let row = sqlx::query("SELECT id FROM practices WHERE name = $1").bind(name).fetch_optional(store.reader()).await?;
    row.map(|r| id(&r, "id", PracticeId::from_slice)).transpose()
}

pub async fn practice_name(store: &Store, practice: PracticeId) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT name FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| r.try_get::<String, _>(0).map_err(|_| StoreError::Corrupt("name"))).transpose()
}

pub async fn department_by_name(
    store: &Store,
    practice: PracticeId,
    name: &str,
) -> Result<Option<DepartmentId>, StoreError> {
    let row = sqlx::query("SELECT id FROM departments WHERE practice_id = $1 AND name = $2")
        .bind(practice.to_vec())
        .bind(name)
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| id(&r, "id", DepartmentId::from_slice)).transpose()
}

/// A practice's public details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PracticeRow {
    pub id: PracticeId,
    pub name: String,
    pub time_zone: String,
    pub phone: Option<String>,
    pub after_hours_phone: Option<String>,
}

/// One opening period, in the practice's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfficeHoursRow {
    /// ISO weekday: 1 is Monday.
    pub weekday: i64,
    pub opens_minute: i64,
    pub closes_minute: i64,
}

pub async fn practice(store: &Store, practice: PracticeId) -> Result<Option<PracticeRow>, StoreError> {
    let row = sqlx::query("SELECT id, name, time_zone, phone, after_hours_phone FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(PracticeRow {
            id: id(&r, "id", PracticeId::from_slice)?,
            name: col(&r, "name")?,
            time_zone: col(&r, "time_zone")?,
            phone: col(&r, "phone")?,
            after_hours_phone: col(&r, "after_hours_phone")?,
        })
    })
    .transpose()
}

pub async fn office_hours(store: &Store, practice: PracticeId) -> Result<Vec<OfficeHoursRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT weekday, opens_minute, closes_minute FROM office_hours WHERE practice_id = $1 ORDER BY weekday, opens_minute",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OfficeHoursRow {
                weekday: col(r, "weekday")?,
                opens_minute: col(r, "opens_minute")?,
                closes_minute: col(r, "closes_minute")?,
            })
        })
        .collect()
}

pub fn update_practice_contact(
    practice: PracticeId,
    time_zone: &str,
    phone: Option<&str>,
    after_hours_phone: Option<&str>,
) -> Step {
    Step::new(
        "UPDATE practices SET time_zone = $2, phone = $3, after_hours_phone = $4 WHERE id = $1",
        vec![practice.to_vec().into(), time_zone.into(), phone.into(), after_hours_phone.into()],
    )
    .guarded(Conflict::PracticeMissing)
}

pub fn clear_office_hours(practice: PracticeId) -> Step {
    Step::new("DELETE FROM office_hours WHERE practice_id = $1", vec![practice.to_vec().into()])
}

pub fn insert_office_hours(practice: PracticeId, hours: OfficeHoursRow) -> Step {
    Step::new(
        "INSERT INTO office_hours (practice_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)",
        vec![practice.to_vec().into(), hours.weekday.into(), hours.opens_minute.into(), hours.closes_minute.into()],
    )
}

/// An active staff member, as colleagues see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRow {
    pub id: UserId,
    pub display_name: String,
    pub role: StaffRole,
}

pub async fn active_staff(store: &Store, practice: PracticeId) -> Result<Vec<StaffRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, display_name, role FROM users WHERE practice_id = $1 AND kind = 'staff' AND active = 1 ORDER BY display_name, id",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(staff_row).collect()
}

fn staff_row(r: &sqlx::any::AnyRow) -> Result<StaffRow, StoreError> {
    let role: String = col(r, "role")?;
    Ok(StaffRow {
        id: id(r, "id", UserId::from_slice)?,
        display_name: col::<Option<String>>(r, "display_name")?.unwrap_or_default(),
        role: StaffRole::parse(&role).ok_or(StoreError::Corrupt("role"))?,
    })
}

/// Every staff account of the practice, deactivated ones too (their names
/// stay in the audit log's story).
pub async fn all_staff(store: &Store, practice: PracticeId) -> Result<Vec<StaffRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, display_name, role FROM users WHERE practice_id = $1 AND kind = 'staff' ORDER BY display_name, id",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(staff_row).collect()
}

/// A department's name, if it belongs to the practice.
pub async fn department_name_of(
    store: &Store,
    practice: PracticeId,
    department: DepartmentId,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT name FROM departments WHERE id = $1 AND practice_id = $2")
        .bind(department.to_vec())
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| col::<String>(&r, "name")).transpose()
}

/// A practice's departments, by name.
pub async fn departments(store: &Store, practice: PracticeId) -> Result<Vec<(DepartmentId, String)>, StoreError> {
    let rows = sqlx::query("SELECT id, name FROM departments WHERE practice_id = $1 ORDER BY name, id")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| Ok((id(r, "id", DepartmentId::from_slice)?, col::<String>(r, "name")?))).collect()
}

/// Replaces a patient's demographics, contact details, team and department.
pub fn update_patient(p: &NewPatient) -> Step {
    Step::new(
        "UPDATE patients SET department_id = $3, care_team_id = $4, given_name_ct = $5, family_name_ct = $6, \
         birth_date_ct = $7, mrn_ct = $8, mrn_index = $9, email_ct = $10, phone_ct = $11 WHERE id = $1 AND practice_id = $2",
        vec![
            p.id.to_vec().into(),
            p.practice.to_vec().into(),
            p.department.map(|d| d.to_vec()).into(),
            p.care_team.map(|t| t.to_vec()).into(),
            p.given_name_ct.clone().into(),
            p.family_name_ct.clone().into(),
            p.birth_date_ct.clone().into(),
            p.mrn_ct.clone().into(),
            p.mrn_index.clone().into(),
            p.email_ct.clone().into(),
            p.phone_ct.clone().into(),
        ],
    )
    .guarded(Conflict::PatientMissing)
}

/// A patient as administrators manage them: the record, contact details,
/// and the account (if enrolled).
#[derive(Clone, Debug)]
pub struct PatientAdminRow {
    pub patient: PatientRow,
    pub email_ct: Option<Vec<u8>>,
    pub phone_ct: Option<Vec<u8>>,
    pub username: Option<String>,
    pub active: Option<bool>,
    pub last_login_at: Option<Timestamp>,
    /// The latest self-service reset request nobody has answered yet.
    pub reset_requested_at: Option<Timestamp>,
    /// The keyed hash of the record's MRN, for matching an import.
    pub mrn_index: Option<Vec<u8>>,
}

/// The patient select with contact details, the account, and its latest
/// unanswered reset request (a reset link made for no channel, neither
/// used nor replaced).
fn patient_admin_select() -> String {
    concat!(patient_select!(), " LEFT JOIN users pu ON pu.id = p.user_id").replace(
        "p.program_pool_id AS p_program_pool_id",
        "p.program_pool_id AS p_program_pool_id, p.email_ct AS p_email_ct, p.phone_ct AS p_phone_ct, \
         p.mrn_index AS p_mrn_index, pu.username AS pu_username, pu.active AS pu_active, pu.last_login_at AS pu_last_login_at, \
         (SELECT MAX(l.created_at) FROM access_links l WHERE l.user_id = pu.id AND l.purpose = 'reset' \
          AND l.channel = 'none' AND l.used_at IS NULL AND l.revoked_at IS NULL) AS pu_reset_requested_at",
    )
}

fn patient_admin_row(r: &sqlx::any::AnyRow) -> Result<PatientAdminRow, StoreError> {
    Ok(PatientAdminRow {
        patient: PatientRow::read(r)?,
        email_ct: col(r, "p_email_ct")?,
        phone_ct: col(r, "p_phone_ct")?,
        username: col(r, "pu_username")?,
        active: col::<Option<i64>>(r, "pu_active")?.map(|a| a != 0),
        last_login_at: opt_ts(r, "pu_last_login_at")?,
        reset_requested_at: opt_ts(r, "pu_reset_requested_at")?,
        mrn_index: col(r, "p_mrn_index")?,
    })
}

/// A page of the patients a list scope covers, oldest record first. The
/// caller re-checks every row with the access policy.
pub async fn patients_page(
    store: &Store,
    scope: &PatientListScope,
    offset: i64,
    limit: i64,
) -> Result<Vec<PatientAdminRow>, StoreError> {
    let (practice, related) = match scope {
        PatientListScope::Nothing => return Ok(Vec::new()),
        PatientListScope::Practice(practice) => (*practice, None),
        PatientListScope::Related { practice, user } => (*practice, Some(*user)),
    };
    let sql = format!(
        "{} WHERE p.practice_id = $1 AND ($4 IS NULL \
         OR p.care_team_id IN (SELECT m.care_team_id FROM care_team_members m WHERE m.user_id = $4) \
         OR p.department_id IN (SELECT sd.department_id FROM staff_departments sd WHERE sd.user_id = $4)) \
         ORDER BY p.created_at, p.id LIMIT $2 OFFSET $3",
        patient_admin_select()
    );
    let rows = sqlx::query(&sql)
        .bind(practice.to_vec())
        .bind(limit)
        .bind(offset)
        .bind(related.map(|u| u.to_vec()))
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(patient_admin_row).collect()
}

/// The practice's patients with these MRN indexes, looked up in batches
/// (an import matches thousands of rows: one query per row would cost a
/// round trip each).
pub async fn patients_by_mrn_indexes(
    store: &Store,
    practice: PracticeId,
    indexes: &[Vec<u8>],
) -> Result<Vec<PatientAdminRow>, StoreError> {
    const BATCH: usize = 500;
    let mut out = Vec::new();
    for chunk in indexes.chunks(BATCH) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql =
            format!("{} WHERE p.practice_id = $1 AND p.mrn_index IN ({})", patient_admin_select(), marks.join(", "));
        // Not a prepared statement kept for reuse: PostgreSQL would switch
        // to a generic plan after five runs and scan the practice's whole
        // patient list for each batch (measured: 5 ms became 200 ms).
        let mut q = sqlx::query(&sql).persistent(false).bind(practice.to_vec());
        for index in chunk {
            q = q.bind(index.clone());
        }
        for r in q.fetch_all(store.reader()).await? {
            out.push(patient_admin_row(&r)?);
        }
    }
    Ok(out)
}

/// One patient with contact details and account, by id.
pub async fn patient_admin_by_id(store: &Store, patient: PatientId) -> Result<Option<PatientAdminRow>, StoreError> {
    let sql = format!("{} WHERE p.id = $1", patient_admin_select());
    let row = sqlx::query(&sql).bind(patient.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| patient_admin_row(&r)).transpose()
}

/// Patients whose MRN has no index yet (created before indexes existed).
pub async fn patients_without_mrn_index(store: &Store) -> Result<Vec<PatientRow>, StoreError> {
    let rows = sqlx::query(concat!(patient_select!(), " WHERE p.mrn_ct IS NOT NULL AND p.mrn_index IS NULL"))
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(PatientRow::read).collect()
}

pub fn set_mrn_index(patient: PatientId, index: &[u8]) -> Step {
    Step::new(
        "UPDATE patients SET mrn_index = $2 WHERE id = $1 AND mrn_index IS NULL",
        vec![patient.to_vec().into(), index.to_vec().into()],
    )
}

/// A patient's own change of how to reach them (sealed contact details).
pub fn update_patient_contact(patient: PatientId, email_ct: Option<Vec<u8>>, phone_ct: Option<Vec<u8>>) -> Step {
    Step::new(
        "UPDATE patients SET email_ct = $2, phone_ct = $3 WHERE id = $1",
        vec![patient.to_vec().into(), email_ct.into(), phone_ct.into()],
    )
    .guarded(Conflict::PatientMissing)
}

/// A patient's sealed contact details.
pub async fn patient_contact(
    store: &Store,
    patient: PatientId,
) -> Result<Option<(Option<Vec<u8>>, Option<Vec<u8>>)>, StoreError> {
    let row = sqlx::query("SELECT email_ct, phone_ct FROM patients WHERE id = $1")
        .bind(patient.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| Ok((col(&r, "email_ct")?, col(&r, "phone_ct")?))).transpose()
}
