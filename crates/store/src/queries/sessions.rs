//! Login sessions, keyed by the SHA-256 of their token.

use crate::rows::{SessionRow, UserRow, code, col, id, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{ConversationId, SessionId, UserId};
use switchboard_domain::mfa::Assurance;
use switchboard_domain::time::Timestamp;

/// A session opened by signing in: `at` is also when its holder last
/// proved who they are.
pub fn insert(token_hash: &[u8; 32], user: UserId, assurance: Assurance, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, assurance, authenticated_at) VALUES ($1, $2, $3, $3, $4, $3)",
        vec![token_hash.to_vec().into(), user.to_vec().into(), at.as_micros().into(), assurance.as_str().into()],
    )
}

/// The holder proved who they are again (re-authentication).
pub fn reauthenticated(token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE sessions SET authenticated_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        vec![token_hash.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::SessionEnded)
}

/// A session opened through a secure link, kept to one conversation.
pub fn insert_for_conversation(
    token_hash: &[u8; 32],
    user: UserId,
    conversation: ConversationId,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, conversation_id) VALUES ($1, $2, $3, $3, $4)",
        vec![token_hash.to_vec().into(), user.to_vec().into(), at.as_micros().into(), conversation.to_vec().into()],
    )
}

pub fn touch(token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL AND last_seen_at < $2",
        vec![token_hash.to_vec().into(), at.as_micros().into()],
    )
}

pub fn revoke(token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        vec![token_hash.to_vec().into(), at.as_micros().into()],
    )
}

/// Removes sessions that ended before `before` (housekeeping; the audit log
/// keeps the logins and logouts).
pub fn purge_ended(before: Timestamp) -> Step {
    Step::new(
        "DELETE FROM sessions WHERE last_seen_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)",
        vec![before.as_micros().into()],
    )
}

pub async fn by_token_hash(store: &Store, token_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id AS user_id, u.practice_id, u.username, u.kind, u.role, u.display_name, u.password_hash, u.active, \
         s.created_at, s.last_seen_at, s.revoked_at, s.conversation_id, s.assurance, s.authenticated_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(token_hash.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            user: UserRow::read(&r)?,
            conversation: opt_id(&r, "conversation_id", ConversationId::from_slice)?,
            created_at: ts(&r, "created_at")?,
            last_seen_at: ts(&r, "last_seen_at")?,
            revoked: col::<Option<i64>>(&r, "revoked_at")?.is_some(),
            assurance: code(&r, "assurance", Assurance::parse)?,
            authenticated_at: opt_ts(&r, "authenticated_at")?,
        })
    })
    .transpose()
}

/// Whether `user` has a live session: not revoked, active since
/// `seen_since` (the idle limit) and begun since `created_since` (the
/// absolute limit). What "signed in now" means when telling a patient who
/// can see their urgent message.
pub async fn signed_in(
    store: &Store,
    user: UserId,
    seen_since: Timestamp,
    created_since: Timestamp,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL \
         AND last_seen_at >= $2 AND created_at >= $3",
    )
    .bind(user.to_vec())
    .bind(seen_since.as_micros())
    .bind(created_since.as_micros())
    .fetch_one(store.reader())
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// Where a session was opened: its public id, the device as shown to its
/// holder, and the client address (text, as the audit log keeps it).
pub fn record_origin(token_hash: &[u8; 32], public_id: SessionId, device: &str, client_addr: Option<&str>) -> Step {
    Step::new(
        "UPDATE sessions SET public_id = $2, device = $3, client_addr = $4, last_client_addr = $4 WHERE token_hash = $1",
        vec![
            token_hash.to_vec().into(),
            public_id.to_vec().into(),
            device.to_owned().into(),
            client_addr.map(str::to_owned).into(),
        ],
    )
}

/// [`touch`], also keeping the address the session was last used from
/// (unchanged when it is not known).
pub fn touch_from(token_hash: &[u8; 32], at: Timestamp, client_addr: Option<&str>) -> Step {
    Step::new(
        "UPDATE sessions SET last_seen_at = $2, last_client_addr = COALESCE($3, last_client_addr) \
         WHERE token_hash = $1 AND revoked_at IS NULL AND last_seen_at < $2",
        vec![token_hash.to_vec().into(), at.as_micros().into(), client_addr.map(str::to_owned).into()],
    )
}

/// One of an account's sessions as its holder is shown it. The token hash
/// stays in the service (to end the session and tell the current one).
#[derive(Clone, Debug)]
pub struct SessionListing {
    pub public_id: SessionId,
    pub token_hash: [u8; 32],
    pub device: Option<String>,
    pub client_addr: Option<String>,
    pub last_client_addr: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub conversation: Option<ConversationId>,
}

/// `user`'s sessions not signed out, last used since `seen_since` and
/// begun since `created_since`, last used first.
pub async fn open_for_user(
    store: &Store,
    user: UserId,
    seen_since: Timestamp,
    created_since: Timestamp,
) -> Result<Vec<SessionListing>, StoreError> {
    let rows = sqlx::query(
        "SELECT public_id, token_hash, device, client_addr, last_client_addr, created_at, last_seen_at, conversation_id \
         FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND public_id IS NOT NULL \
         AND last_seen_at >= $2 AND created_at >= $3 ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user.to_vec())
    .bind(seen_since.as_micros())
    .bind(created_since.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let hash: Vec<u8> = col(r, "token_hash")?;
            Ok(SessionListing {
                public_id: id(r, "public_id", SessionId::from_slice)?,
                token_hash: hash.try_into().map_err(|_| StoreError::Corrupt("token_hash"))?,
                device: col(r, "device")?,
                client_addr: col(r, "client_addr")?,
                last_client_addr: col(r, "last_client_addr")?,
                created_at: ts(r, "created_at")?,
                last_seen_at: ts(r, "last_seen_at")?,
                conversation: opt_id(r, "conversation_id", ConversationId::from_slice)?,
            })
        })
        .collect()
}

/// Signs out one session, by its token hash, only if it is `user`'s.
pub fn revoke_for_user(user: UserId, token_hash: &[u8; 32], at: Timestamp) -> Step {
    Step::new(
        "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
        vec![user.to_vec().into(), token_hash.to_vec().into(), at.as_micros().into()],
    )
}

/// Remembers that `user` signed in from `device` at `client_addr` ('' when
/// unknown) at `at`.
pub fn remember_device(user: UserId, device: &str, client_addr: &str, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO sign_in_devices (user_id, device, client_addr, last_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, device, client_addr) DO UPDATE SET last_at = excluded.last_at",
        vec![user.to_vec().into(), device.to_owned().into(), client_addr.to_owned().into(), at.as_micros().into()],
    )
}

/// Whether `user` signed in from `device` at `client_addr` since `since`.
pub async fn device_known(
    store: &Store,
    user: UserId,
    device: &str,
    client_addr: &str,
    since: Timestamp,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n FROM sign_in_devices WHERE user_id = $1 AND device = $2 AND client_addr = $3 AND last_at >= $4",
    )
    .bind(user.to_vec())
    .bind(device.to_owned())
    .bind(client_addr.to_owned())
    .bind(since.as_micros())
    .fetch_one(store.reader())
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// Forgets the devices not signed in from since `before` (housekeeping).
pub fn forget_devices(before: Timestamp) -> Step {
    Step::new("DELETE FROM sign_in_devices WHERE last_at < $1", vec![before.as_micros().into()])
}

/// When `user` last signed in, before now (`None`: never).
pub async fn last_login_at(store: &Store, user: UserId) -> Result<Option<Timestamp>, StoreError> {
    let row = sqlx::query("SELECT last_login_at FROM users WHERE id = $1")
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| opt_ts(&r, "last_login_at")).transpose().map(Option::flatten)
}
