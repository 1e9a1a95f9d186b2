//! Login sessions, keyed by the SHA-256 of their token.

use crate::rows::{SessionRow, UserRow, code, col, opt_id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::{ConversationId, UserId};
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
