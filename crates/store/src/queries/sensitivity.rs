//! Sensitive records: a conversation's sensitive category, and a practice's
//! choice of which roles read which categories and topics.

use crate::rows::{col, id, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::role::StaffRole;
use switchboard_domain::sensitivity::{Sensitivity, SensitivityGrants};
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

/// Marks a conversation sensitive (or, `None`, clears the mark). Fails
/// with `Conflict::ConversationMissing` when the conversation is not there.
pub fn set_conversation_sensitivity(conversation: ConversationId, sensitivity: Option<Sensitivity>) -> Step {
    Step::new(
        "UPDATE conversations SET sensitivity = $2 WHERE id = $1",
        vec![conversation.to_vec().into(), sensitivity.map(Sensitivity::as_str).into()],
    )
    .guarded(Conflict::ConversationMissing)
}
