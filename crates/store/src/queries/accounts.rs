//! Accounts and their single-use links: set-up, invitation and reset
//! links, passwords, deactivation, last sign-in.

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::onboarding::{Channel, LinkFacts, LinkPurpose, StaffAccount};
use switchboard_domain::time::Timestamp;

/// The password hash of an account nobody has set up yet: not a PHC
/// string, so no password ever matches it.
pub const UNSET_PASSWORD_HASH: &str = "!unset";

#[derive(Clone, Debug)]
pub struct NewLink<'a> {
    pub id: LinkId,
    pub practice: PracticeId,
    pub token_hash: &'a [u8; 32],
    pub purpose: LinkPurpose,
    pub user: Option<UserId>,
    pub patient: Option<PatientId>,
    pub channel: Channel,
    pub created_by: Option<UserId>,
    pub at: Timestamp,
}

pub fn insert_link(l: &NewLink<'_>) -> Step {
    Step::new(
        "INSERT INTO access_links (id, practice_id, token_hash, purpose, user_id, patient_id, channel, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            l.id.to_vec().into(),
            l.practice.to_vec().into(),
            l.token_hash.to_vec().into(),
            l.purpose.as_str().into(),
            l.user.map(|u| u.to_vec()).into(),
            l.patient.map(|p| p.to_vec()).into(),
            l.channel.as_str().into(),
            l.created_by.map(|u| u.to_vec()).into(),
            l.at.as_micros().into(),
            l.at.plus(l.purpose.lifetime()).as_micros().into(),
        ],
    )
}

#[derive(Clone, Debug)]
pub struct LinkRow {
    pub id: LinkId,
    pub practice: PracticeId,
    pub user: Option<UserId>,
    pub patient: Option<PatientId>,
    pub channel: Channel,
    pub created_at: Timestamp,
    pub facts: LinkFacts,
}

const LINK_COLUMNS: &str = "SELECT id, practice_id, purpose, user_id, patient_id, channel, created_at, expires_at, opened_at, used_at, revoked_at FROM access_links";

fn link_row(r: &sqlx::any::AnyRow) -> Result<LinkRow, StoreError> {
    Ok(LinkRow {
        id: id(r, "id", LinkId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        user: opt_id(r, "user_id", UserId::from_slice)?,
        patient: opt_id(r, "patient_id", PatientId::from_slice)?,
        channel: code(r, "channel", Channel::parse)?,
        created_at: ts(r, "created_at")?,
        facts: LinkFacts {
            purpose: code(r, "purpose", LinkPurpose::parse)?,
            expires_at: ts(r, "expires_at")?,
            opened_at: opt_ts(r, "opened_at")?,
            used_at: opt_ts(r, "used_at")?,
            revoked_at: opt_ts(r, "revoked_at")?,
        },
    })
}

pub async fn link_by_token_hash(store: &Store, hash: &[u8; 32]) -> Result<Option<LinkRow>, StoreError> {
    let sql = format!("{LINK_COLUMNS} WHERE token_hash = $1");
    let row = sqlx::query(&sql).bind(hash.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| link_row(&r)).transpose()
}

/// A patient's invitations, newest first.
pub async fn links_for_patient(store: &Store, patient: PatientId) -> Result<Vec<LinkRow>, StoreError> {
    let sql = format!("{LINK_COLUMNS} WHERE patient_id = $1 ORDER BY created_at DESC, id DESC");
    let rows = sqlx::query(&sql).bind(patient.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(link_row).collect()
}

/// Every practice's patients' latest invitation, for the patient list.
pub async fn latest_invitations(store: &Store, practice: PracticeId) -> Result<Vec<LinkRow>, StoreError> {
    let sql = format!(
        "{LINK_COLUMNS} WHERE practice_id = $1 AND purpose = 'invitation' ORDER BY patient_id, created_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    let mut out: Vec<LinkRow> = Vec::new();
    for r in &rows {
        let l = link_row(r)?;
        if out.last().is_none_or(|p| p.patient != l.patient) {
            out.push(l);
        }
    }
    Ok(out)
}

pub fn mark_opened(link: LinkId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE access_links SET opened_at = $2 WHERE id = $1 AND opened_at IS NULL",
        vec![link.to_vec().into(), at.as_micros().into()],
    )
}

/// Uses a link, once: refused (`link_spent`) if it was used, revoked or
/// expired in the meantime.
pub fn mark_used(link: LinkId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE access_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        vec![link.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::LinkSpent)
}

pub fn revoke_link(link: LinkId, practice: PracticeId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE access_links SET revoked_at = $3 WHERE id = $1 AND practice_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
        vec![link.to_vec().into(), practice.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::LinkMissing)
}

/// Revokes every open link of a purpose for a user or patient (a new one
/// replaces them).
pub fn revoke_open_links(
    purpose: LinkPurpose,
    user: Option<UserId>,
    patient: Option<PatientId>,
    at: Timestamp,
) -> Step {
    Step::new(
        "UPDATE access_links SET revoked_at = $4 WHERE purpose = $1 AND used_at IS NULL AND revoked_at IS NULL \
         AND (($2 IS NOT NULL AND user_id = $2) OR ($3 IS NOT NULL AND patient_id = $3))",
        vec![
            purpose.as_str().into(),
            user.map(|u| u.to_vec()).into(),
            patient.map(|p| p.to_vec()).into(),
            at.as_micros().into(),
        ],
    )
}

pub fn set_password(user: UserId, hash: &str) -> Step {
    Step::new(
        "UPDATE users SET password_hash = $2 WHERE id = $1 AND active = 1",
        vec![user.to_vec().into(), hash.into()],
    )
    .guarded(Conflict::UserInactive)
}

pub fn set_active(user: UserId, practice: PracticeId, active: bool, at: Timestamp) -> Step {
    Step::new(
        "UPDATE users SET active = $3, deactivated_at = CASE WHEN $3 = 1 THEN NULL ELSE $4 END WHERE id = $1 AND practice_id = $2",
        vec![user.to_vec().into(), practice.to_vec().into(), i64::from(active).into(), at.as_micros().into()],
    )
    .guarded(Conflict::UserMissing)
}

/// Ends every session of a user (deactivation, a password reset).
pub fn revoke_sessions(user: UserId, at: Timestamp, except: Option<&[u8; 32]>) -> Step {
    Step::new(
        "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND ($3 IS NULL OR token_hash <> $3)",
        vec![user.to_vec().into(), at.as_micros().into(), except.map(|h| h.to_vec()).into()],
    )
}

pub fn record_login(user: UserId, at: Timestamp) -> Step {
    Step::new("UPDATE users SET last_login_at = $2 WHERE id = $1", vec![user.to_vec().into(), at.as_micros().into()])
}

pub fn link_patient_user(patient: PatientId, user: UserId) -> Step {
    Step::new(
        "UPDATE patients SET user_id = $2 WHERE id = $1 AND user_id IS NULL",
        vec![patient.to_vec().into(), user.to_vec().into()],
    )
    .guarded(Conflict::AlreadyEnrolled)
}

pub async fn staff_accounts(store: &Store, practice: PracticeId) -> Result<Vec<StaffAccount>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, username, display_name, role, active, last_login_at, \
         CAST(CASE WHEN password_hash = $2 THEN 0 ELSE 1 END AS BIGINT) AS password_set, \
         (SELECT MAX(l.created_at) FROM access_links l WHERE l.user_id = users.id AND l.purpose = 'reset' \
          AND l.channel = 'none' AND l.used_at IS NULL AND l.revoked_at IS NULL) AS reset_requested_at \
         FROM users WHERE practice_id = $1 AND kind = 'staff' ORDER BY display_name, id",
    )
    .bind(practice.to_vec())
    .bind(UNSET_PASSWORD_HASH)
    .fetch_all(store.reader())
    .await?;
    let depts = sqlx::query(
        "SELECT sd.user_id, sd.department_id FROM staff_departments sd JOIN users u ON u.id = sd.user_id WHERE u.practice_id = $1",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let teams = sqlx::query(
        "SELECT m.user_id, m.care_team_id FROM care_team_members m JOIN users u ON u.id = m.user_id WHERE u.practice_id = $1",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let pools = sqlx::query(
        "SELECT m.user_id, m.pool_id FROM pool_members m JOIN pools p ON p.id = m.pool_id \
         WHERE p.practice_id = $1 ORDER BY p.name, p.id",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let user = id(r, "id", UserId::from_slice)?;
            let mut member_of = Vec::new();
            for m in &pools {
                if id(m, "user_id", UserId::from_slice)? == user {
                    member_of.push(id(m, "pool_id", PoolId::from_slice)?);
                }
            }
            let mut departments = Vec::new();
            for d in &depts {
                if id(d, "user_id", UserId::from_slice)? == user {
                    departments.push(id(d, "department_id", DepartmentId::from_slice)?);
                }
            }
            let mut care_teams = Vec::new();
            for t in &teams {
                if id(t, "user_id", UserId::from_slice)? == user {
                    care_teams.push(id(t, "care_team_id", CareTeamId::from_slice)?);
                }
            }
            Ok(StaffAccount {
                id: user,
                username: col(r, "username")?,
                display_name: col::<Option<String>>(r, "display_name")?.unwrap_or_default(),
                role: opt_code(r, "role", switchboard_domain::role::StaffRole::parse)?
                    .ok_or(StoreError::Corrupt("staff role"))?,
                active: col::<i64>(r, "active")? != 0,
                last_login_at: opt_ts(r, "last_login_at")?,
                password_set: col::<i64>(r, "password_set")? != 0,
                reset_requested_at: opt_ts(r, "reset_requested_at")?,
                departments,
                care_teams,
                pools: member_of,
            })
        })
        .collect()
}

pub fn update_staff(
    user: UserId,
    practice: PracticeId,
    display_name: &str,
    role: switchboard_domain::role::StaffRole,
) -> Step {
    Step::new(
        "UPDATE users SET display_name = $3, role = $4 WHERE id = $1 AND practice_id = $2 AND kind = 'staff'",
        vec![user.to_vec().into(), practice.to_vec().into(), display_name.into(), role.as_str().into()],
    )
    .guarded(Conflict::UserMissing)
}

pub fn clear_staff_departments(user: UserId) -> Step {
    Step::new("DELETE FROM staff_departments WHERE user_id = $1", vec![user.to_vec().into()])
}

/// Adds a colleague to a pool, last in its round-robin order.
pub fn join_pool(pool: PoolId, user: UserId) -> Step {
    Step::new(
        "INSERT INTO pool_members (pool_id, user_id, position) \
         SELECT $1, $2, COALESCE(MAX(position), -1) + 1 FROM pool_members WHERE pool_id = $1",
        vec![pool.to_vec().into(), user.to_vec().into()],
    )
}

pub fn leave_pool(pool: PoolId, user: UserId) -> Step {
    Step::new(
        "DELETE FROM pool_members WHERE pool_id = $1 AND user_id = $2",
        vec![pool.to_vec().into(), user.to_vec().into()],
    )
}

pub fn clear_care_teams(user: UserId) -> Step {
    Step::new("DELETE FROM care_team_members WHERE user_id = $1", vec![user.to_vec().into()])
}

/// The practice's care teams, by name.
pub async fn care_teams(store: &Store, practice: PracticeId) -> Result<Vec<(CareTeamId, String)>, StoreError> {
    let rows = sqlx::query("SELECT id, name FROM care_teams WHERE practice_id = $1 ORDER BY name, id")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| Ok((id(r, "id", CareTeamId::from_slice)?, col(r, "name")?))).collect()
}
