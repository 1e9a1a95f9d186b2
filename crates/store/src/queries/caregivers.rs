//! Caregivers (proxy access): grants, patients' invitations, the messages a
//! caregiver sent for whom, and the practice's confidentiality age. Plain
//! rows: whether a grant is in force, and what it opens, is the domain's
//! and the service's to say.

use crate::rows::{code, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::caregiver::{CaregiverRelationship, GrantedBy};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

/// A stored grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRow {
    pub id: ProxyGrantId,
    pub practice: PracticeId,
    pub caregiver: UserId,
    pub patient: PatientId,
    pub relationship: CaregiverRelationship,
    pub granted_by_kind: GrantedBy,
    pub granted_by: UserId,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

fn grant(r: &sqlx::any::AnyRow) -> Result<GrantRow, StoreError> {
    Ok(GrantRow {
        id: id(r, "id", ProxyGrantId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        caregiver: id(r, "caregiver_user_id", UserId::from_slice)?,
        patient: id(r, "patient_id", PatientId::from_slice)?,
        relationship: code(r, "relationship", CaregiverRelationship::parse)?,
        granted_by_kind: code(r, "granted_by_kind", GrantedBy::parse)?,
        granted_by: id(r, "granted_by", UserId::from_slice)?,
        starts_at: ts(r, "starts_at")?,
        ends_at: opt_ts(r, "ends_at")?,
        revoked_at: opt_ts(r, "revoked_at")?,
        created_at: ts(r, "created_at")?,
    })
}

/// The grants an account holds that were never revoked (the service keeps
/// those in force).
pub async fn held_by(store: &Store, caregiver: UserId) -> Result<Vec<GrantRow>, StoreError> {
    const SQL: &str = "SELECT id, practice_id, caregiver_user_id, patient_id, relationship, granted_by_kind, \
         granted_by, starts_at, ends_at, revoked_at, created_at FROM proxy_grants \
         WHERE caregiver_user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id";
    let rows = sqlx::query(SQL).bind(caregiver.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(grant).collect()
}

/// The grants given for a patient that were never revoked.
pub async fn for_patient(store: &Store, patient: PatientId) -> Result<Vec<GrantRow>, StoreError> {
    const SQL: &str = "SELECT id, practice_id, caregiver_user_id, patient_id, relationship, granted_by_kind, \
         granted_by, starts_at, ends_at, revoked_at, created_at FROM proxy_grants \
         WHERE patient_id = $1 AND revoked_at IS NULL ORDER BY created_at, id";
    let rows = sqlx::query(SQL).bind(patient.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(grant).collect()
}

pub async fn grant_by_id(store: &Store, grant_id: ProxyGrantId) -> Result<Option<GrantRow>, StoreError> {
    const SQL: &str = "SELECT id, practice_id, caregiver_user_id, patient_id, relationship, granted_by_kind, \
         granted_by, starts_at, ends_at, revoked_at, created_at FROM proxy_grants WHERE id = $1";
    let row = sqlx::query(SQL).bind(grant_id.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(grant).transpose()
}

pub fn insert_grant(g: &GrantRow) -> Step {
    Step::new(
        "INSERT INTO proxy_grants (id, practice_id, caregiver_user_id, patient_id, relationship, granted_by_kind, \
         granted_by, starts_at, ends_at, revoked_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)",
        vec![
            g.id.to_vec().into(),
            g.practice.to_vec().into(),
            g.caregiver.to_vec().into(),
            g.patient.to_vec().into(),
            g.relationship.as_str().into(),
            g.granted_by_kind.as_str().into(),
            g.granted_by.to_vec().into(),
            g.starts_at.as_micros().into(),
            g.ends_at.map(Timestamp::as_micros).into(),
            g.created_at.as_micros().into(),
        ],
    )
}

/// Revokes a grant not yet revoked (a second revocation is a conflict).
pub fn revoke_grant(grant_id: ProxyGrantId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE proxy_grants SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL",
        vec![grant_id.to_vec().into(), at.as_micros().into(), by.to_vec().into()],
    )
    .guarded(Conflict::GrantMissing)
}

/// A patient's invitation to a caregiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: CaregiverInvitationId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub relationship: CaregiverRelationship,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub used_by: Option<UserId>,
    pub revoked_at: Option<Timestamp>,
    /// The patient, or the practice for a minor.
    pub granted_by_kind: GrantedBy,
    /// When the grant it makes ends (a practice's code: the 18th birthday
    /// at the latest).
    pub grant_ends_at: Option<Timestamp>,
}

fn invitation(r: &sqlx::any::AnyRow) -> Result<InvitationRow, StoreError> {
    Ok(InvitationRow {
        id: id(r, "id", CaregiverInvitationId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        patient: id(r, "patient_id", PatientId::from_slice)?,
        relationship: code(r, "relationship", CaregiverRelationship::parse)?,
        created_by: id(r, "created_by", UserId::from_slice)?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        used_at: opt_ts(r, "used_at")?,
        used_by: opt_id(r, "used_by", UserId::from_slice)?,
        revoked_at: opt_ts(r, "revoked_at")?,
        granted_by_kind: code(r, "granted_by_kind", GrantedBy::parse)?,
        grant_ends_at: opt_ts(r, "grant_ends_at")?,
    })
}

pub fn insert_invitation(i: &InvitationRow, code_hash: &[u8; 32]) -> Step {
    Step::new(
        "INSERT INTO caregiver_invitations (id, practice_id, patient_id, relationship, code_hash, created_by, \
         created_at, expires_at, granted_by_kind, grant_ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            i.id.to_vec().into(),
            i.practice.to_vec().into(),
            i.patient.to_vec().into(),
            i.relationship.as_str().into(),
            code_hash.to_vec().into(),
            i.created_by.to_vec().into(),
            i.created_at.as_micros().into(),
            i.expires_at.as_micros().into(),
            i.granted_by_kind.as_str().into(),
            i.grant_ends_at.map(Timestamp::as_micros).into(),
        ],
    )
}

/// The invitation whose code hashes to `code_hash`, whatever its state.
pub async fn invitation_by_code(store: &Store, code_hash: &[u8; 32]) -> Result<Option<InvitationRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, practice_id, patient_id, relationship, created_by, created_at, expires_at, used_at, used_by, \
         revoked_at, granted_by_kind, grant_ends_at FROM caregiver_invitations WHERE code_hash = $1",
    )
    .bind(code_hash.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.as_ref().map(invitation).transpose()
}

/// A patient's invitations that are neither used, revoked nor expired.
pub async fn open_invitations(
    store: &Store,
    patient: PatientId,
    now: Timestamp,
) -> Result<Vec<InvitationRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, practice_id, patient_id, relationship, created_by, created_at, expires_at, used_at, used_by, \
         revoked_at, granted_by_kind, grant_ends_at FROM caregiver_invitations WHERE patient_id = $1 AND used_at IS NULL AND revoked_at IS NULL \
         AND expires_at > $2 ORDER BY created_at, id",
    )
    .bind(patient.to_vec())
    .bind(now.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(invitation).collect()
}

pub async fn invitation_by_id(
    store: &Store,
    invitation_id: CaregiverInvitationId,
) -> Result<Option<InvitationRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, practice_id, patient_id, relationship, created_by, created_at, expires_at, used_at, used_by, \
         revoked_at, granted_by_kind, grant_ends_at FROM caregiver_invitations WHERE id = $1",
    )
    .bind(invitation_id.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.as_ref().map(invitation).transpose()
}

/// Spends an invitation once, while it is open: a second use, a revoked or
/// an expired invitation is a conflict, whoever raced.
pub fn use_invitation(invitation_id: CaregiverInvitationId, by: UserId, grant_id: ProxyGrantId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE caregiver_invitations SET used_at = $2, used_by = $3, grant_id = $4 \
         WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        vec![invitation_id.to_vec().into(), at.as_micros().into(), by.to_vec().into(), grant_id.to_vec().into()],
    )
    .guarded(Conflict::InvitationSpent)
}

pub fn revoke_invitation(invitation_id: CaregiverInvitationId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE caregiver_invitations SET revoked_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        vec![invitation_id.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::InvitationSpent)
}

/// A message a caregiver sent for a patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyMessageRow {
    pub message: MessageId,
    pub caregiver: UserId,
    pub patient: PatientId,
    pub relationship: CaregiverRelationship,
}

pub fn insert_proxy_message(message: MessageId, grant_id: ProxyGrantId, m: &ProxyMessageRow) -> Step {
    Step::new(
        "INSERT INTO proxy_messages (message_id, grant_id, caregiver_user_id, patient_id, relationship) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            message.to_vec().into(),
            grant_id.to_vec().into(),
            m.caregiver.to_vec().into(),
            m.patient.to_vec().into(),
            m.relationship.as_str().into(),
        ],
    )
}

/// The messages of a conversation that caregivers sent.
pub async fn proxy_messages_in(
    store: &Store,
    conversation: ConversationId,
) -> Result<Vec<ProxyMessageRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT pm.message_id, pm.caregiver_user_id, pm.patient_id, pm.relationship FROM proxy_messages pm \
         JOIN messages m ON m.id = pm.message_id WHERE m.conversation_id = $1",
    )
    .bind(conversation.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ProxyMessageRow {
                message: id(r, "message_id", MessageId::from_slice)?,
                caregiver: id(r, "caregiver_user_id", UserId::from_slice)?,
                patient: id(r, "patient_id", PatientId::from_slice)?,
                relationship: code(r, "relationship", CaregiverRelationship::parse)?,
            })
        })
        .collect()
}

/// The practice's confidentiality age (12 unless it chose another).
pub async fn confidential_age(store: &Store, practice: PracticeId) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT caregiver_confidential_age FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| col::<i64>(&r, "caregiver_confidential_age")).transpose()
}

pub fn set_confidential_age(practice: PracticeId, age: i64) -> Step {
    Step::new(
        "UPDATE practices SET caregiver_confidential_age = $2 WHERE id = $1",
        vec![practice.to_vec().into(), age.into()],
    )
    .guarded(Conflict::PracticeMissing)
}

/// The sealed name of an account that has no patient record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileRow {
    pub user: UserId,
    pub practice: PracticeId,
    pub key: crate::rows::WrappedKeyRow,
    pub given_name_ct: Vec<u8>,
    pub family_name_ct: Vec<u8>,
}

pub fn insert_profile(p: &ProfileRow, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO caregiver_profiles (user_id, practice_id, dek_id, given_name_ct, family_name_ct, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            p.user.to_vec().into(),
            p.practice.to_vec().into(),
            p.key.id.to_vec().into(),
            p.given_name_ct.clone().into(),
            p.family_name_ct.clone().into(),
            at.as_micros().into(),
        ],
    )
}

/// The profile of a caregiver-only account, with its data key.
pub async fn profile_by_user(store: &Store, user: UserId) -> Result<Option<ProfileRow>, StoreError> {
    let row = sqlx::query(
        "SELECT c.user_id, c.practice_id, c.given_name_ct, c.family_name_ct, k.id AS dek_id, k.kek_id, k.wrapped \
         FROM caregiver_profiles c JOIN data_keys k ON k.id = c.dek_id WHERE c.user_id = $1",
    )
    .bind(user.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.as_ref()
        .map(|r| {
            Ok(ProfileRow {
                user: id(r, "user_id", UserId::from_slice)?,
                practice: id(r, "practice_id", PracticeId::from_slice)?,
                key: crate::rows::WrappedKeyRow::read(r, "dek_id", "kek_id", "wrapped")?,
                given_name_ct: col(r, "given_name_ct")?,
                family_name_ct: col(r, "family_name_ct")?,
            })
        })
        .transpose()
}
