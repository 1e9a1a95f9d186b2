//! Notifications waiting for a user: a kind and ids, never PHI.

use crate::rows::*;
use crate::{Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub kind: String,
    pub conversation: Option<ConversationId>,
    pub created_at: Timestamp,
}

pub fn insert(
    id: NotificationId,
    practice: PracticeId,
    user: UserId,
    kind: &str,
    conversation: Option<ConversationId>,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO notifications (id, practice_id, user_id, kind, conversation_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            id.to_vec().into(),
            practice.to_vec().into(),
            user.to_vec().into(),
            kind.into(),
            conversation.map(|c| c.to_vec()).into(),
            at.as_micros().into(),
        ],
    )
}

/// Marks a user's notifications about a conversation seen.
pub fn seen_for_conversation(user: UserId, conversation: ConversationId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE notifications SET seen_at = $3 WHERE user_id = $1 AND conversation_id = $2 AND seen_at IS NULL",
        vec![user.to_vec().into(), conversation.to_vec().into(), at.as_micros().into()],
    )
}

/// A user's unseen notifications, newest first.
pub async fn unseen(store: &Store, user: UserId) -> Result<Vec<NotificationRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, conversation_id, created_at FROM notifications WHERE user_id = $1 AND seen_at IS NULL \
         ORDER BY created_at DESC, id DESC LIMIT 100",
    )
    .bind(user.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NotificationRow {
                id: id(r, "id", NotificationId::from_slice)?,
                kind: col(r, "kind")?,
                conversation: opt_id(r, "conversation_id", ConversationId::from_slice)?,
                created_at: ts(r, "created_at")?,
            })
        })
        .collect()
}
