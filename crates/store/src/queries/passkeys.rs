//! Passkeys (WebAuthn): the credentials registered to accounts (sealed
//! records, found by account or by the authenticator's credential id) and
//! the ceremonies' state between the options and the browser's answer.
//! Spending a state is a guarded step, so that one answer cannot be used
//! twice, even by two requests at once.

use crate::rows::{WrappedKeyRow, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{PasskeyId, UserId};
use switchboard_domain::time::Timestamp;

/// A registered passkey.
#[derive(Clone, Debug)]
pub struct PasskeyRow {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub credential_id: Vec<u8>,
    pub key: WrappedKeyRow,
    pub credential_ct: Vec<u8>,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT p.id, p.user_id, p.credential_id, p.credential_ct, p.name, p.created_at, p.last_used_at, \
     k.id AS key_id, k.kek_id, k.wrapped FROM passkeys p JOIN data_keys k ON k.id = p.key_id";

fn read(r: &sqlx::any::AnyRow) -> Result<PasskeyRow, StoreError> {
    Ok(PasskeyRow {
        id: id(r, "id", PasskeyId::from_slice)?,
        user_id: id(r, "user_id", UserId::from_slice)?,
        credential_id: col(r, "credential_id")?,
        key: WrappedKeyRow::read(r, "key_id", "kek_id", "wrapped")?,
        credential_ct: col(r, "credential_ct")?,
        name: col(r, "name")?,
        created_at: ts(r, "created_at")?,
        last_used_at: opt_ts(r, "last_used_at")?,
    })
}

/// The account's passkeys, oldest first.
pub async fn of_user(store: &Store, user: UserId) -> Result<Vec<PasskeyRow>, StoreError> {
    let sql = format!("{SELECT} WHERE p.user_id = $1 ORDER BY p.created_at, p.id");
    let rows = sqlx::query(&sql).bind(user.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(read).collect()
}

/// The passkey with this credential id, whoever's it is.
pub async fn by_credential_id(store: &Store, credential_id: &[u8]) -> Result<Option<PasskeyRow>, StoreError> {
    let sql = format!("{SELECT} WHERE p.credential_id = $1");
    let row = sqlx::query(&sql).bind(credential_id.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(read).transpose()
}

/// What a new passkey is stored as.
pub struct NewPasskey<'a> {
    pub id: PasskeyId,
    pub user: UserId,
    pub credential_id: &'a [u8],
    pub key: &'a WrappedKeyRow,
    pub credential_ct: Vec<u8>,
    pub name: &'a str,
    pub at: Timestamp,
}

/// Registers a passkey; a credential id already registered (to anyone)
/// fails with `Conflict::Unique`.
pub fn insert(p: NewPasskey<'_>) -> Step {
    Step::new(
        "INSERT INTO passkeys (id, user_id, credential_id, key_id, credential_ct, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            p.id.to_vec().into(),
            p.user.to_vec().into(),
            p.credential_id.to_vec().into(),
            p.key.id.to_vec().into(),
            p.credential_ct.into(),
            p.name.to_owned().into(),
            p.at.as_micros().into(),
        ],
    )
}

/// A passkey signed: when, and its record when its counter moved.
pub fn used(passkey: PasskeyId, at: Timestamp, credential_ct: Option<Vec<u8>>) -> Step {
    match credential_ct {
        Some(ct) => Step::new(
            "UPDATE passkeys SET last_used_at = $2, credential_ct = $3 WHERE id = $1",
            vec![passkey.to_vec().into(), at.as_micros().into(), ct.into()],
        ),
        None => Step::new(
            "UPDATE passkeys SET last_used_at = $2 WHERE id = $1",
            vec![passkey.to_vec().into(), at.as_micros().into()],
        ),
    }
    .guarded(Conflict::PasskeyMissing)
}

/// Removes one of the account's passkeys (none of another's).
pub fn delete(user: UserId, passkey: PasskeyId) -> Step {
    Step::new(
        "DELETE FROM passkeys WHERE id = $1 AND user_id = $2",
        vec![passkey.to_vec().into(), user.to_vec().into()],
    )
    .guarded(Conflict::PasskeyMissing)
}

/// Every passkey of the account (an administrator's reset).
pub fn delete_all(user: UserId) -> Step {
    Step::new("DELETE FROM passkeys WHERE user_id = $1", vec![user.to_vec().into()])
}

/// What a ceremony's state is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey to the signed-in account.
    Registration,
    /// The second step of a sign-in, for the challenge's account.
    SecondFactor,
    /// Signing in with a passkey alone; nobody is named until it answers.
    Passwordless,
}

impl CeremonyKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::SecondFactor => "second_factor",
            CeremonyKind::Passwordless => "passwordless",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "registration" => Some(CeremonyKind::Registration),
            "second_factor" => Some(CeremonyKind::SecondFactor),
            "passwordless" => Some(CeremonyKind::Passwordless),
            _ => None,
        }
    }
}

pub fn insert_state(
    token_hash: &[u8; 32],
    user: Option<UserId>,
    kind: CeremonyKind,
    state: String,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO webauthn_states (token_hash, user_id, kind, state, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            token_hash.to_vec().into(),
            user.map(|u| u.to_vec()).into(),
            kind.as_str().into(),
            state.into(),
            at.as_micros().into(),
        ],
    )
}

/// A ceremony's state as stored.
#[derive(Clone, Debug)]
pub struct StateRow {
    pub user: Option<UserId>,
    pub kind: CeremonyKind,
    pub state: String,
    pub created_at: Timestamp,
    pub spent: bool,
}

pub async fn state(store: &Store, token_hash: &[u8; 32]) -> Result<Option<StateRow>, StoreError> {
    let row =
        sqlx::query("SELECT user_id, kind, state, created_at, spent_at FROM webauthn_states WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .fetch_optional(store.reader())
            .await?;
    row.map(|r| {
        let kind: String = col(&r, "kind")?;
        Ok(StateRow {
            user: opt_id(&r, "user_id", UserId::from_slice)?,
            kind: CeremonyKind::parse(&kind).ok_or(StoreError::Corrupt("kind"))?,
            state: col(&r, "state")?,
            created_at: ts(&r, "created_at")?,
            spent: opt_ts(&r, "spent_at")?.is_some(),
        })
    })
    .transpose()
}

/// Spends a state: once, and only while it is younger than
/// `created_after` allows (`ChallengeSpent` otherwise).
pub fn spend_state(token_hash: &[u8; 32], at: Timestamp, created_after: Timestamp) -> Step {
    Step::new(
        "UPDATE webauthn_states SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL AND created_at > $3",
        vec![token_hash.to_vec().into(), at.as_micros().into(), created_after.as_micros().into()],
    )
    .guarded(Conflict::ChallengeSpent)
}

/// Housekeeping: states made before `before` are of no use any more.
pub fn purge_states(before: Timestamp) -> Step {
    Step::new("DELETE FROM webauthn_states WHERE created_at < $1", vec![before.as_micros().into()])
}
