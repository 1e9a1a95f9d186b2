//! Sensitive records: a conversation's sensitive category, and a practice's
//! choice of which roles read which categories and topics.

use crate::rows::{col, id, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::role::StaffRole;
use switchboard_domain::sensitivity::{Sensitivity, SensitivityGrants, TopicMarks};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// A practice's grants as it chose them, with when; `None` when it never
/// chose (the defaults apply).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredGrants {
    pub grants: SensitivityGrants,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// The practice's grants, if it has chosen them.
pub async fn grants(store: &Store, practice: PracticeId) -> Result<Option<StoredGrants>, StoreError> {
    let Some(settings) = sqlx::query("SELECT updated_at, updated_by FROM sensitivity_settings WHERE practice_id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query("SELECT grant_kind, code, role FROM sensitivity_grants WHERE practice_id = $1")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    let mut categories = Vec::new();
    let mut topics = Vec::new();
    for r in &rows {
        let kind: String = col(r, "grant_kind")?;
        let code: String = col(r, "code")?;
        let role: String = col(r, "role")?;
        let role = StaffRole::parse(&role).ok_or(StoreError::Corrupt("sensitivity_grants.role"))?;
        match kind.as_str() {
            "category" => categories
                .push((Sensitivity::parse(&code).ok_or(StoreError::Corrupt("sensitivity_grants.code"))?, role)),
            "topic" => topics.push((Topic::parse(&code).ok_or(StoreError::Corrupt("sensitivity_grants.code"))?, role)),
            _ => return Err(StoreError::Corrupt("sensitivity_grants.grant_kind")),
        }
    }
    let grants =
        SensitivityGrants::new(categories, topics).map_err(|_| StoreError::Corrupt("sensitivity_grants.role"))?;
    Ok(Some(StoredGrants {
        grants,
        updated_at: ts(&settings, "updated_at")?,
        updated_by: id(&settings, "updated_by", UserId::from_slice)?,
    }))
}

/// Replaces the practice's grants with `grants`.
pub fn set_grants(practice: PracticeId, grants: &SensitivityGrants, at: Timestamp, by: UserId) -> Vec<Step> {
    let mut steps = vec![
        Step::new(
            "INSERT INTO sensitivity_settings (practice_id, updated_at, updated_by) VALUES ($1, $2, $3) \
             ON CONFLICT (practice_id) DO UPDATE SET updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            vec![practice.to_vec().into(), at.as_micros().into(), by.to_vec().into()],
        ),
        Step::new("DELETE FROM sensitivity_grants WHERE practice_id = $1", vec![practice.to_vec().into()]),
    ];
    const INSERT: &str = "INSERT INTO sensitivity_grants (practice_id, grant_kind, code, role) VALUES ($1, $2, $3, $4)";
    for (c, r) in grants.categories() {
        steps.push(Step::new(
            INSERT,
            vec![practice.to_vec().into(), "category".into(), c.as_str().into(), r.as_str().into()],
        ));
    }
    for (t, r) in grants.topics() {
        steps.push(Step::new(
            INSERT,
            vec![practice.to_vec().into(), "topic".into(), t.as_str().into(), r.as_str().into()],
        ));
    }
    steps
}

/// The topics the practice marks sensitive (none until it chooses).
pub async fn topic_marks(store: &Store, practice: PracticeId) -> Result<TopicMarks, StoreError> {
    let rows = sqlx::query("SELECT topic, category FROM topic_sensitivity WHERE practice_id = $1")
        .bind(practice.to_vec())
        .fetch_all(store.reader())
        .await?;
    let mut marks = Vec::new();
    for r in &rows {
        let topic: String = col(r, "topic")?;
        let category: String = col(r, "category")?;
        marks.push((
            Topic::parse(&topic).ok_or(StoreError::Corrupt("topic_sensitivity.topic"))?,
            Sensitivity::parse(&category).ok_or(StoreError::Corrupt("topic_sensitivity.category"))?,
        ));
    }
    TopicMarks::new(marks).map_err(|_| StoreError::Corrupt("topic_sensitivity.topic"))
}

/// Replaces the topics the practice marks sensitive.
pub fn set_topic_marks(practice: PracticeId, marks: &TopicMarks) -> Vec<Step> {
    let mut steps =
        vec![Step::new("DELETE FROM topic_sensitivity WHERE practice_id = $1", vec![practice.to_vec().into()])];
    for (t, c) in marks.marks() {
        steps.push(Step::new(
            "INSERT INTO topic_sensitivity (practice_id, topic, category) VALUES ($1, $2, $3)",
            vec![practice.to_vec().into(), t.as_str().into(), c.as_str().into()],
        ));
    }
    steps
}

/// Gives the practice's conversations on `topic` that have no mark the
/// mark `category` (a topic newly marked). Marks clinicians set stay.
pub fn mark_unmarked_on_topic(practice: PracticeId, topic: Topic, category: Sensitivity) -> Step {
    Step::new(
        "UPDATE conversations SET sensitivity = $3 WHERE practice_id = $1 AND topic = $2 AND sensitivity IS NULL",
        vec![practice.to_vec().into(), topic.as_str().into(), category.as_str().into()],
    )
}

/// The practice's conversations on `topic` that have no mark, with their
/// patients: what `mark_unmarked_on_topic` will mark, for the audit log.
pub async fn unmarked_on_topic(
    store: &Store,
    practice: PracticeId,
    topic: Topic,
) -> Result<Vec<(ConversationId, PatientId)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, patient_id FROM conversations WHERE practice_id = $1 AND topic = $2 AND sensitivity IS NULL",
    )
    .bind(practice.to_vec())
    .bind(topic.as_str())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| Ok((id(r, "id", ConversationId::from_slice)?, id(r, "patient_id", PatientId::from_slice)?)))
        .collect()
}

/// Marks a conversation sensitive (or, `None`, clears the mark). Fails
/// with `Conflict::ConversationMissing` when the conversation is not there.
pub fn set_conversation_sensitivity(conversation: ConversationId, sensitivity: Option<Sensitivity>) -> Step {
    Step::new(
        "UPDATE conversations SET sensitivity = $2 WHERE id = $1",
        vec![conversation.to_vec().into(), sensitivity.map(Sensitivity::as_str).into()],
    )
    .guarded(Conflict::ConversationMissing)
}
