//! Single sign-on: a practice's OpenID Connect settings (the client
//! secret sealed), the sign-ins in flight (spent by a guarded step, so one
//! state finishes one sign-in, even with two requests at once), and staff
//! accounts' work emails and bindings to their identity at the provider.

use crate::rows::{WrappedKeyRow, col, id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{PracticeId, UserId};
use switchboard_domain::time::Timestamp;

/// A practice's settings as stored (the secret still sealed).
#[derive(Clone, Debug)]
pub struct SettingsRow {
    pub practice: PracticeId,
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// The data key and the sealed secret, once a secret was given.
    pub secret: Option<(WrappedKeyRow, Vec<u8>)>,
    pub label: String,
    pub trust_provider_mfa: bool,
    pub updated_at: Timestamp,
}

pub async fn settings(store: &Store, practice: PracticeId) -> Result<Option<SettingsRow>, StoreError> {
    let row = sqlx::query(
        "SELECT s.practice_id, s.enabled, s.issuer, s.client_id, s.client_secret_ct, s.label, s.trust_provider_mfa, \
         s.updated_at, k.id AS key_id, k.kek_id, k.wrapped \
         FROM sso_settings s LEFT JOIN data_keys k ON k.id = s.secret_key_id WHERE s.practice_id = $1",
    )
    .bind(practice.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        let ct: Option<Vec<u8>> = col(&r, "client_secret_ct")?;
        let key_id: Option<Vec<u8>> = col(&r, "key_id")?;
        let secret = match (ct, key_id) {
            (Some(ct), Some(_)) => Some((WrappedKeyRow::read(&r, "key_id", "kek_id", "wrapped")?, ct)),
            _ => None,
        };
        Ok(SettingsRow {
            practice: id(&r, "practice_id", PracticeId::from_slice)?,
            enabled: col::<i64>(&r, "enabled")? != 0,
            issuer: col(&r, "issuer")?,
            client_id: col(&r, "client_id")?,
            secret,
            label: col(&r, "label")?,
            trust_provider_mfa: col::<i64>(&r, "trust_provider_mfa")? != 0,
            updated_at: ts(&r, "updated_at")?,
        })
    })
    .transpose()
}

/// What a practice's settings are saved as.
pub struct NewSettings<'a> {
    pub practice: PracticeId,
    pub enabled: bool,
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// A new sealed secret and its data key; `None` keeps the one stored.
    pub secret: Option<(&'a WrappedKeyRow, Vec<u8>)>,
    pub label: &'a str,
    pub trust_provider_mfa: bool,
    pub at: Timestamp,
}

pub fn save_settings(s: NewSettings<'_>) -> Step {
    let (key, ct) = match s.secret {
        Some((k, ct)) => (Some(k.id.to_vec()), Some(ct)),
        None => (None, None),
    };
    Step::new(
        "INSERT INTO sso_settings (practice_id, enabled, issuer, client_id, secret_key_id, client_secret_ct, label, \
         trust_provider_mfa, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (practice_id) DO UPDATE SET enabled = excluded.enabled, issuer = excluded.issuer, \
         client_id = excluded.client_id, \
         secret_key_id = COALESCE(excluded.secret_key_id, sso_settings.secret_key_id), \
         client_secret_ct = COALESCE(excluded.client_secret_ct, sso_settings.client_secret_ct), \
         label = excluded.label, trust_provider_mfa = excluded.trust_provider_mfa, updated_at = excluded.updated_at",
        vec![
            s.practice.to_vec().into(),
            i64::from(s.enabled).into(),
            s.issuer.into(),
            s.client_id.into(),
            key.into(),
            ct.into(),
            s.label.into(),
            i64::from(s.trust_provider_mfa).into(),
            s.at.as_micros().into(),
        ],
    )
}

/// The practices that offer single sign-on now: their ids and button
/// labels, for the sign-in page.
pub async fn enabled(store: &Store) -> Result<Vec<(PracticeId, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT practice_id, label FROM sso_settings WHERE enabled = 1 AND client_secret_ct IS NOT NULL \
         ORDER BY label, practice_id",
    )
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| Ok((id(r, "practice_id", PracticeId::from_slice)?, col(r, "label")?))).collect()
}

/// A sign-in in flight.
#[derive(Clone, Debug)]
pub struct StateRow {
    pub practice: PracticeId,
    pub nonce: String,
    pub verifier: String,
    pub redirect_uri: String,
    pub created_at: Timestamp,
    pub spent: bool,
}

pub fn insert_state(state_hash: &[u8; 32], row: &StateRow) -> Step {
    Step::new(
        "INSERT INTO sso_states (state_hash, practice_id, nonce, verifier, redirect_uri, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            state_hash.to_vec().into(),
            row.practice.to_vec().into(),
            row.nonce.as_str().into(),
            row.verifier.as_str().into(),
            row.redirect_uri.as_str().into(),
            row.created_at.as_micros().into(),
        ],
    )
}

pub async fn state(store: &Store, state_hash: &[u8; 32]) -> Result<Option<StateRow>, StoreError> {
    let row = sqlx::query(
        "SELECT practice_id, nonce, verifier, redirect_uri, created_at, spent_at FROM sso_states WHERE state_hash = $1",
    )
    .bind(state_hash.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(StateRow {
            practice: id(&r, "practice_id", PracticeId::from_slice)?,
            nonce: col(&r, "nonce")?,
            verifier: col(&r, "verifier")?,
            redirect_uri: col(&r, "redirect_uri")?,
            created_at: ts(&r, "created_at")?,
            spent: opt_ts(&r, "spent_at")?.is_some(),
        })
    })
    .transpose()
}

/// Spends a state: once, and only while it is younger than `created_after`
/// allows (`ChallengeSpent` otherwise).
pub fn spend_state(state_hash: &[u8; 32], at: Timestamp, created_after: Timestamp) -> Step {
    Step::new(
        "UPDATE sso_states SET spent_at = $2 WHERE state_hash = $1 AND spent_at IS NULL AND created_at > $3",
        vec![state_hash.to_vec().into(), at.as_micros().into(), created_after.as_micros().into()],
    )
    .guarded(Conflict::ChallengeSpent)
}

/// Housekeeping: states made before `before` are of no use any more.
pub fn purge_states(before: Timestamp) -> Step {
    Step::new("DELETE FROM sso_states WHERE created_at < $1", vec![before.as_micros().into()])
}

/// A staff account's single sign-on: its work email and binding.
#[derive(Clone, Debug)]
pub struct AccountRow {
    pub user: UserId,
    pub email: Option<String>,
    /// Issuer and subject, once bound.
    pub bound: Option<(String, String)>,
    pub linked_at: Option<Timestamp>,
}

const ACCOUNT: &str = "SELECT user_id, email, issuer, subject, linked_at FROM sso_accounts";

fn read_account(r: &sqlx::any::AnyRow) -> Result<AccountRow, StoreError> {
    let issuer: Option<String> = col(r, "issuer")?;
    let subject: Option<String> = col(r, "subject")?;
    Ok(AccountRow {
        user: id(r, "user_id", UserId::from_slice)?,
        email: col(r, "email")?,
        bound: issuer.zip(subject),
        linked_at: opt_ts(r, "linked_at")?,
    })
}

pub async fn account(store: &Store, user: UserId) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("{ACCOUNT} WHERE user_id = $1");
    let row = sqlx::query(&sql).bind(user.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read_account).transpose()
}

/// The account bound to this identity in the practice.
pub async fn by_subject(
    store: &Store,
    practice: PracticeId,
    issuer: &str,
    subject: &str,
) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("{ACCOUNT} WHERE practice_id = $1 AND issuer = $2 AND subject = $3");
    let row = sqlx::query(&sql)
        .bind(practice.to_vec())
        .bind(issuer.to_owned())
        .bind(subject.to_owned())
        .fetch_optional(store.reader())
        .await?;
    row.as_ref().map(read_account).transpose()
}

/// The account whose work email this is in the practice (lower-cased).
pub async fn by_email(store: &Store, practice: PracticeId, email: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("{ACCOUNT} WHERE practice_id = $1 AND email = $2");
    let row = sqlx::query(&sql).bind(practice.to_vec()).bind(email.to_owned()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read_account).transpose()
}

/// Sets (or clears) the work email an account may be bound by; another
/// account of the practice with the same email fails with
/// `Conflict::Unique`.
pub fn set_email(user: UserId, practice: PracticeId, email: Option<&str>, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO sso_accounts (user_id, practice_id, email, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
        vec![user.to_vec().into(), practice.to_vec().into(), email.into(), at.as_micros().into()],
    )
}

/// Binds an unbound account to its identity at the provider (guarded: an
/// account bound meanwhile is not rebound).
pub fn bind(user: UserId, issuer: &str, subject: &str, at: Timestamp) -> Step {
    Step::new(
        "UPDATE sso_accounts SET issuer = $2, subject = $3, linked_at = $4, updated_at = $4 \
         WHERE user_id = $1 AND subject IS NULL",
        vec![user.to_vec().into(), issuer.into(), subject.into(), at.as_micros().into()],
    )
    .guarded(Conflict::UserMissing)
}

/// Removes an account's binding (its email stays: the next sign-in binds
/// it again by that email).
pub fn unlink(user: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE sso_accounts SET issuer = NULL, subject = NULL, linked_at = NULL, updated_at = $2 \
         WHERE user_id = $1 AND subject IS NOT NULL",
        vec![user.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::UserMissing)
}
