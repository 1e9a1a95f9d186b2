//! Patients' ratings of closed conversations.

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingRow {
    pub score: i64,
    pub comment_ct: Option<Vec<u8>>,
    pub created_at: Timestamp,
}

/// Records a rating; a second one for the same conversation is refused
/// (`already_rated`).
pub fn insert(
    conversation: ConversationId,
    practice: PracticeId,
    patient: PatientId,
    score: i64,
    comment_ct: Option<Vec<u8>>,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO ratings (conversation_id, practice_id, patient_id, score, comment_ct, created_at) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM ratings WHERE conversation_id = $1)",
        vec![
            conversation.to_vec().into(),
            practice.to_vec().into(),
            patient.to_vec().into(),
            score.into(),
            comment_ct.into(),
            at.as_micros().into(),
        ],
    )
    .guarded(Conflict::AlreadyRated)
}

pub async fn for_conversation(store: &Store, conversation: ConversationId) -> Result<Option<RatingRow>, StoreError> {
    let row = sqlx::query("SELECT score, comment_ct, created_at FROM ratings WHERE conversation_id = $1")
        .bind(conversation.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(RatingRow {
            score: col(&r, "score")?,
            comment_ct: col(&r, "comment_ct")?,
            created_at: ts(&r, "created_at")?,
        })
    })
    .transpose()
}
