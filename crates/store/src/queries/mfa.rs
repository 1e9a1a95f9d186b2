//! Second factors: authenticator apps (TOTP secrets, sealed), recovery
//! codes (keyed hashes), the sign-in challenges between the password and
//! the second factor, and the practice's requirement of staff. Every use of
//! a code or a challenge is a guarded step, so that two requests racing
//! with the same code cannot both succeed.

use crate::rows::{UserRow, WrappedKeyRow, col, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{PracticeId, UserId};
use switchboard_domain::mfa::{Assurance, StaffRequirement};
use switchboard_domain::time::{Span, Timestamp};

/// Where an account stands with its second factors.
#[derive(Clone, Debug)]
pub struct FactorsRow {
    pub user_created_at: Timestamp,
    pub reset_at: Option<Timestamp>,
    /// A confirmed authenticator app.
    pub totp_confirmed: bool,
    pub recovery_codes_left: u32,
    /// Passkeys registered.
    pub passkeys: u32,
    pub requirement: StaffRequirement,
}

impl FactorsRow {
    /// A second factor is set up: a confirmed app or a passkey.
    pub fn enrolled(&self) -> bool {
        self.totp_confirmed || self.passkeys > 0
    }
}

pub async fn factors(store: &Store, user: UserId) -> Result<Option<FactorsRow>, StoreError> {
    let row = sqlx::query(
        "SELECT u.created_at, u.mfa_reset_at, p.staff_mfa_required, p.staff_mfa_required_since, p.staff_mfa_grace_hours, \
         (SELECT count(*) FROM totp_factors t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS totp, \
         (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes, \
         (SELECT count(*) FROM passkeys k WHERE k.user_id = u.id) AS passkeys \
         FROM users u JOIN practices p ON p.id = u.practice_id WHERE u.id = $1",
    )
    .bind(user.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(FactorsRow {
            user_created_at: ts(&r, "created_at")?,
            reset_at: opt_ts(&r, "mfa_reset_at")?,
            totp_confirmed: col::<i64>(&r, "totp")? > 0,
            recovery_codes_left: u32::try_from(col::<i64>(&r, "codes")?).map_err(|_| StoreError::Corrupt("codes"))?,
            passkeys: u32::try_from(col::<i64>(&r, "passkeys")?).map_err(|_| StoreError::Corrupt("passkeys"))?,
            requirement: requirement_of(&r)?,
        })
    })
    .transpose()
}

fn requirement_of(r: &sqlx::any::AnyRow) -> Result<StaffRequirement, StoreError> {
    Ok(StaffRequirement {
        required: col::<i64>(r, "staff_mfa_required")? != 0,
        since: ts(r, "staff_mfa_required_since")?,
        grace: Span::from_hours(col::<i64>(r, "staff_mfa_grace_hours")?),
    })
}

pub async fn requirement(store: &Store, practice: PracticeId) -> Result<Option<StaffRequirement>, StoreError> {
    let row = sqlx::query(
        "SELECT staff_mfa_required, staff_mfa_required_since, staff_mfa_grace_hours FROM practices WHERE id = $1",
    )
    .bind(practice.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| requirement_of(&r)).transpose()
}

/// Sets the practice's requirement. `since` moves only when it is turned
/// on from off (the grace counts from then).
pub fn set_requirement(practice: PracticeId, required: bool, grace_hours: i64, at: Timestamp) -> Step {
    Step::new(
        "UPDATE practices SET staff_mfa_required_since = CASE WHEN $2 = 1 AND staff_mfa_required = 0 THEN $4 ELSE staff_mfa_required_since END, \
         staff_mfa_required = $2, staff_mfa_grace_hours = $3 WHERE id = $1",
        vec![practice.to_vec().into(), i64::from(required).into(), grace_hours.into(), at.as_micros().into()],
    )
    .guarded(Conflict::PracticeMissing)
}

/// Sessions already open that the practice's requirement now reaches:
/// those of its staff with no second factor (no confirmed authenticator
/// app, no passkey) may from now on only enrol one, as a new sign-in
/// would. Does nothing while the practice does not require it, so it can
/// follow any change of the requirement or of someone's factors.
pub fn restrict_unenrolled_staff_sessions(practice: PracticeId) -> Step {
    Step::new(
        "UPDATE sessions SET assurance = 'enrol_only' WHERE assurance = 'full' AND revoked_at IS NULL \
         AND user_id IN (SELECT u.id FROM users u JOIN practices p ON p.id = u.practice_id \
         WHERE u.practice_id = $1 AND u.kind = 'staff' AND p.staff_mfa_required = 1 \
         AND NOT EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = u.id))",
        vec![practice.to_vec().into()],
    )
}

/// An authenticator app's sealed secret.
#[derive(Clone, Debug)]
pub struct TotpRow {
    pub key: WrappedKeyRow,
    pub secret_ct: Vec<u8>,
    pub created_at: Timestamp,
    pub confirmed: bool,
    /// The time step of the last code accepted.
    pub last_step: Option<u64>,
}

pub async fn totp(store: &Store, user: UserId) -> Result<Option<TotpRow>, StoreError> {
    let row = sqlx::query(
        "SELECT t.secret_ct, t.created_at, t.confirmed_at, t.last_step, k.id AS key_id, k.kek_id, k.wrapped \
         FROM totp_factors t JOIN data_keys k ON k.id = t.key_id WHERE t.user_id = $1",
    )
    .bind(user.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        let last: i64 = col(&r, "last_step")?;
        Ok(TotpRow {
            key: WrappedKeyRow::read(&r, "key_id", "kek_id", "wrapped")?,
            secret_ct: col(&r, "secret_ct")?,
            created_at: ts(&r, "created_at")?,
            confirmed: opt_ts(&r, "confirmed_at")?.is_some(),
            last_step: u64::try_from(last).ok(),
        })
    })
    .transpose()
}

/// A new enrolment (unconfirmed) in place of any earlier one that was not
/// confirmed. A confirmed app is never replaced this way: it is removed
/// first (`delete_totp`).
pub fn begin_totp(user: UserId, key: &WrappedKeyRow, secret_ct: Vec<u8>, at: Timestamp) -> [Step; 2] {
    [
        Step::new("DELETE FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NULL", vec![user.to_vec().into()]),
        Step::new(
            "INSERT INTO totp_factors (user_id, key_id, secret_ct, created_at) VALUES ($1, $2, $3, $4)",
            vec![user.to_vec().into(), key.id.to_vec().into(), secret_ct.into(), at.as_micros().into()],
        ),
    ]
}

/// Confirms the enrolment with its first code (whose step is `step`).
pub fn confirm_totp(user: UserId, step: u64, at: Timestamp) -> Step {
    Step::new(
        "UPDATE totp_factors SET confirmed_at = $3, last_step = $2 WHERE user_id = $1 AND confirmed_at IS NULL AND last_step < $2",
        vec![user.to_vec().into(), step_value(step).into(), at.as_micros().into()],
    )
    .guarded(Conflict::CodeSpent)
}

/// Spends a code of step `step`: only if no code of this or a later step
/// was accepted before (no replay, even of two requests at once).
pub fn use_totp_step(user: UserId, step: u64) -> Step {
    Step::new(
        "UPDATE totp_factors SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
        vec![user.to_vec().into(), step_value(step).into()],
    )
    .guarded(Conflict::CodeSpent)
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

pub fn delete_totp(user: UserId) -> Step {
    Step::new("DELETE FROM totp_factors WHERE user_id = $1", vec![user.to_vec().into()])
}

/// Replaces every recovery code of the account with `hashes`.
pub fn replace_recovery_codes(user: UserId, hashes: &[[u8; 32]], at: Timestamp) -> Vec<Step> {
    let mut steps = vec![delete_recovery_codes(user)];
    steps.extend(hashes.iter().map(|h| {
        Step::new(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            vec![user.to_vec().into(), h.to_vec().into(), at.as_micros().into()],
        )
    }));
    steps
}

pub fn delete_recovery_codes(user: UserId) -> Step {
    Step::new("DELETE FROM recovery_codes WHERE user_id = $1", vec![user.to_vec().into()])
}

/// Spends a recovery code: once.
pub fn use_recovery_code(user: UserId, hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        vec![user.to_vec().into(), hash.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::CodeSpent)
}

pub async fn recovery_code_unused(store: &Store, user: UserId, hash: &[u8; 32]) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user.to_vec())
    .bind(hash.to_vec())
    .fetch_one(store.reader())
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// An administrator's reset: the account's factors are removed and its
/// grace period to enrol again starts now.
pub fn reset(user: UserId, at: Timestamp) -> [Step; 4] {
    [
        delete_totp(user),
        delete_recovery_codes(user),
        crate::queries::passkeys::delete_all(user),
        Step::new(
            "UPDATE users SET mfa_reset_at = $2 WHERE id = $1",
            vec![user.to_vec().into(), at.as_micros().into()],
        )
        .guarded(Conflict::UserMissing),
    ]
}

/// `first_factor`: what the sign-in's first step was (`password`, `sso`),
/// for the second step's audit record.
pub fn insert_challenge(token_hash: &[u8; 32], user: UserId, at: Timestamp, first_factor: &str) -> Step {
    Step::new(
        "INSERT INTO mfa_challenges (token_hash, user_id, created_at, first_factor) VALUES ($1, $2, $3, $4)",
        vec![token_hash.to_vec().into(), user.to_vec().into(), at.as_micros().into(), first_factor.into()],
    )
}

/// A challenge and the account it is for.
#[derive(Clone, Debug)]
pub struct ChallengeRow {
    pub user: UserRow,
    pub created_at: Timestamp,
    pub tries: u32,
    pub spent: bool,
    /// `password` or `sso`.
    pub first_factor: String,
}

pub async fn challenge(store: &Store, token_hash: &[u8; 32]) -> Result<Option<ChallengeRow>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id AS user_id, u.practice_id, u.username, u.kind, u.role, u.display_name, u.password_hash, u.active, \
         c.created_at AS challenge_created_at, c.tries, c.spent_at, c.first_factor FROM mfa_challenges c JOIN users u ON u.id = c.user_id \
         WHERE c.token_hash = $1",
    )
    .bind(token_hash.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(ChallengeRow {
            user: UserRow::read(&r)?,
            created_at: ts(&r, "challenge_created_at")?,
            tries: u32::try_from(col::<i64>(&r, "tries")?).map_err(|_| StoreError::Corrupt("tries"))?,
            spent: opt_ts(&r, "spent_at")?.is_some(),
            first_factor: col(&r, "first_factor")?,
        })
    })
    .transpose()
}

/// Counts a try at the challenge before its code is checked: refused
/// (`ChallengeSpent`) once it is spent, out of tries or too old.
pub fn count_challenge_try(token_hash: &[u8; 32], tries: u32, created_after: Timestamp) -> Step {
    Step::new(
        "UPDATE mfa_challenges SET tries = tries + 1 WHERE token_hash = $1 AND spent_at IS NULL AND tries < $2 AND created_at > $3",
        vec![token_hash.to_vec().into(), i64::from(tries).into(), created_after.as_micros().into()],
    )
    .guarded(Conflict::ChallengeSpent)
}

pub fn spend_challenge(token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE mfa_challenges SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL",
        vec![token_hash.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::ChallengeSpent)
}

/// Housekeeping: challenges older than `before` are of no use any more.
pub fn purge_challenges(before: Timestamp) -> Step {
    Step::new("DELETE FROM mfa_challenges WHERE created_at < $1", vec![before.as_micros().into()])
}

/// Housekeeping: enrolments never confirmed, begun before `before`.
pub fn purge_unconfirmed(before: Timestamp) -> Step {
    Step::new(
        "DELETE FROM totp_factors WHERE confirmed_at IS NULL AND created_at < $1",
        vec![before.as_micros().into()],
    )
}

/// A session's assurance is raised to full once its holder enrolled.
pub fn raise_session(token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE sessions SET assurance = $2, authenticated_at = $3 WHERE token_hash = $1 AND revoked_at IS NULL",
        vec![token_hash.to_vec().into(), Assurance::Full.as_str().into(), at.as_micros().into()],
    )
}
