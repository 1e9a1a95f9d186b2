//! Pools, routing rules, staff load, absences, ownership and assignment
//! history, alerts.

use crate::rows::{col, id, opt_id, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::assignment::Absence;
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::routing::{Condition, Owner, Rule, Target};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

// ---- Pools ------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolRow {
    pub id: PoolId,
    pub practice: PracticeId,
    pub name: String,
    pub lead: Option<UserId>,
    /// Members in their round-robin order.
    pub members: Vec<UserId>,
    pub auto_assign: bool,
    pub last_assigned: Option<UserId>,
}

pub fn insert_pool(
    pool: PoolId,
    practice: PracticeId,
    name: &str,
    lead: Option<UserId>,
    auto_assign: bool,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO pools (id, practice_id, name, lead_id, assignment_mode, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            pool.to_vec().into(),
            practice.to_vec().into(),
            name.into(),
            lead.map(|l| l.to_vec()).into(),
            (if auto_assign { "auto" } else { "lead" }).into(),
            at.as_micros().into(),
        ],
    )
}

pub fn update_pool(pool: PoolId, name: &str, lead: Option<UserId>, auto_assign: bool) -> Step {
    Step::new(
        "UPDATE pools SET name = $2, lead_id = $3, assignment_mode = $4 WHERE id = $1",
        vec![
            pool.to_vec().into(),
            name.into(),
            lead.map(|l| l.to_vec()).into(),
            (if auto_assign { "auto" } else { "lead" }).into(),
        ],
    )
    .guarded(Conflict::PoolMissing)
}

pub fn clear_pool_members(pool: PoolId) -> Step {
    Step::new("DELETE FROM pool_members WHERE pool_id = $1", vec![pool.to_vec().into()])
}

pub fn insert_pool_member(pool: PoolId, user: UserId, position: i64) -> Step {
    Step::new(
        "INSERT INTO pool_members (pool_id, user_id, position) VALUES ($1, $2, $3)",
        vec![pool.to_vec().into(), user.to_vec().into(), position.into()],
    )
}

pub fn set_last_assigned(pool: PoolId, user: UserId) -> Step {
    Step::new("UPDATE pools SET last_assigned_id = $2 WHERE id = $1", vec![pool.to_vec().into(), user.to_vec().into()])
}

pub async fn pools(store: &Store, practice: PracticeId) -> Result<Vec<PoolRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, practice_id, name, lead_id, assignment_mode, last_assigned_id FROM pools WHERE practice_id = $1 ORDER BY name",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let members = sqlx::query(
        "SELECT pm.pool_id, pm.user_id FROM pool_members pm JOIN pools p ON p.id = pm.pool_id \
         WHERE p.practice_id = $1 ORDER BY pm.pool_id, pm.position",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let pool = id(r, "id", PoolId::from_slice)?;
        let mode: String = col(r, "assignment_mode")?;
        let mut m = Vec::new();
        for mr in &members {
            if id(mr, "pool_id", PoolId::from_slice)? == pool {
                m.push(id(mr, "user_id", UserId::from_slice)?);
            }
        }
        out.push(PoolRow {
            id: pool,
            practice: id(r, "practice_id", PracticeId::from_slice)?,
            name: col(r, "name")?,
            lead: opt_id(r, "lead_id", UserId::from_slice)?,
            members: m,
            auto_assign: mode == "auto",
            last_assigned: opt_id(r, "last_assigned_id", UserId::from_slice)?,
        });
    }
    Ok(out)
}

/// A pool member's load, for assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberLoad {
    pub user: UserId,
    pub open: i64,
    pub capacity: i64,
}

pub async fn member_loads(store: &Store, pool: PoolId) -> Result<Vec<MemberLoad>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.capacity, (SELECT count(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status <> 'closed') AS open \
         FROM pool_members pm JOIN users u ON u.id = pm.user_id \
         WHERE pm.pool_id = $1 AND u.active = 1 AND u.password_hash <> $2 ORDER BY pm.position",
    )
    .bind(pool.to_vec())
    // Nobody is given work before they can sign in.
    .bind(crate::queries::accounts::UNSET_PASSWORD_HASH)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberLoad {
                user: id(r, "id", UserId::from_slice)?,
                open: col(r, "open")?,
                capacity: col(r, "capacity")?,
            })
        })
        .collect()
}

/// Staff settings that routing and assignment read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffSettings {
    pub capacity: i64,
    pub accepts_direct_messages: bool,
}

pub async fn staff_settings(store: &Store, user: UserId) -> Result<Option<StaffSettings>, StoreError> {
    let row = sqlx::query("SELECT capacity, accepts_direct_messages FROM users WHERE id = $1 AND kind = 'staff'")
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(StaffSettings {
            capacity: col(&r, "capacity")?,
            accepts_direct_messages: col::<i64>(&r, "accepts_direct_messages")? != 0,
        })
    })
    .transpose()
}

pub fn update_staff_settings(user: UserId, s: StaffSettings) -> Step {
    Step::new(
        "UPDATE users SET capacity = $2, accepts_direct_messages = $3 WHERE id = $1 AND kind = 'staff'",
        vec![user.to_vec().into(), s.capacity.into(), i64::from(s.accepts_direct_messages).into()],
    )
    .guarded(Conflict::StaffMissing)
}

pub fn set_program_pool(patient: PatientId, pool: Option<PoolId>) -> Step {
    Step::new(
        "UPDATE patients SET program_pool_id = $2 WHERE id = $1",
        vec![patient.to_vec().into(), pool.map(|p| p.to_vec()).into()],
    )
    .guarded(Conflict::PatientMissing)
}

// ---- Routing rules ----------------------------------------------------------

fn target_parts(t: Target) -> (&'static str, Option<Vec<u8>>) {
    match t {
        Target::Person(u) => ("person", Some(u.to_vec())),
        Target::Pool(p) => ("pool", Some(p.to_vec())),
        Target::PatientCareTeam => ("patient_care_team", None),
        Target::ProgramStaff => ("program_staff", None),
        Target::AddressedProvider => ("addressed_provider", None),
    }
}

pub fn clear_rules(practice: PracticeId) -> Step {
    Step::new("DELETE FROM routing_rules WHERE practice_id = $1", vec![practice.to_vec().into()])
}

pub fn insert_rule(practice: PracticeId, position: i64, rule: &Rule, at: Timestamp) -> Step {
    let (kind, target) = target_parts(rule.target);
    Step::new(
        "INSERT INTO routing_rules (id, practice_id, position, name, topic, department_id, provider_direct, target_kind, target_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            rule.id.to_vec().into(),
            practice.to_vec().into(),
            position.into(),
            rule.name.as_str().into(),
            rule.condition.topic.map(|t| t.as_str()).into(),
            rule.condition.department.map(|d| d.to_vec()).into(),
            i64::from(rule.condition.provider_direct).into(),
            kind.into(),
            target.into(),
            at.as_micros().into(),
        ],
    )
}

pub async fn rules(store: &Store, practice: PracticeId) -> Result<Vec<Rule>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, topic, department_id, provider_direct, target_kind, target_id FROM routing_rules \
         WHERE practice_id = $1 ORDER BY position",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let topic: Option<String> = col(r, "topic")?;
            let kind: String = col(r, "target_kind")?;
            let target_id: Option<Vec<u8>> = col(r, "target_id")?;
            let target = match (kind.as_str(), target_id) {
                ("person", Some(i)) => {
                    Target::Person(UserId::from_slice(&i).map_err(|_| StoreError::Corrupt("target_id"))?)
                }
                ("pool", Some(i)) => {
                    Target::Pool(PoolId::from_slice(&i).map_err(|_| StoreError::Corrupt("target_id"))?)
                }
                ("patient_care_team", _) => Target::PatientCareTeam,
                ("program_staff", _) => Target::ProgramStaff,
                ("addressed_provider", _) => Target::AddressedProvider,
                _ => return Err(StoreError::Corrupt("target_kind")),
            };
            Ok(Rule {
                id: id(r, "id", RuleId::from_slice)?,
                name: col(r, "name")?,
                condition: Condition {
                    topic: topic.map(|t| Topic::parse(&t).ok_or(StoreError::Corrupt("topic"))).transpose()?,
                    department: opt_id(r, "department_id", DepartmentId::from_slice)?,
                    provider_direct: col::<i64>(r, "provider_direct")? != 0,
                },
                target,
            })
        })
        .collect()
}

/// The departments, care teams and program pools a practice has (for
/// checking a rule set covers every message).
pub async fn practice_shape(
    store: &Store,
    practice: PracticeId,
) -> Result<switchboard_domain::routing::PracticeShape, StoreError> {
    let rows = sqlx::query(
        "SELECT 'd' AS k, id AS v FROM departments WHERE practice_id = $1 \
         UNION ALL SELECT 't' AS k, id AS v FROM care_teams WHERE practice_id = $1 \
         UNION ALL SELECT DISTINCT 'p' AS k, program_pool_id AS v FROM patients WHERE practice_id = $1 AND program_pool_id IS NOT NULL",
    )
    .bind(practice.to_vec())
    .fetch_all(store.reader())
    .await?;
    let mut shape = switchboard_domain::routing::PracticeShape::default();
    for r in &rows {
        let k: String = col(r, "k")?;
        match k.as_str() {
            "d" => shape.departments.push(id(r, "v", DepartmentId::from_slice)?),
            "t" => shape.care_teams.push(id(r, "v", CareTeamId::from_slice)?),
            _ => shape.program_pools.push(id(r, "v", PoolId::from_slice)?),
        }
    }
    Ok(shape)
}

// ---- Ownership, assignment, escalation ----------------------------------------

pub fn set_owner(
    conversation: ConversationId,
    owner: Option<Owner>,
    rule: Option<RuleId>,
    reason: Option<&str>,
    intended_reader: Option<UserId>,
) -> Step {
    Step::new(
        "UPDATE conversations SET owner_kind = $2, owner_id = $3, routing_rule_id = $4, routing_reason = $5, \
         intended_reader_id = $6 WHERE id = $1",
        vec![
            conversation.to_vec().into(),
            owner.map(|o| o.kind_str()).into(),
            owner.map(|o| o.id_bytes().to_vec()).into(),
            rule.map(|r| r.to_vec()).into(),
            reason.into(),
            intended_reader.map(|u| u.to_vec()).into(),
        ],
    )
    .guarded(Conflict::ConversationMissing)
}

/// Hands the conversation to `assignee` (or nobody), noting whose work a
/// cover is doing.
pub fn set_assignee(
    conversation: ConversationId,
    assignee: Option<UserId>,
    at: Timestamp,
    covered_for: Option<UserId>,
    keep: bool,
) -> Step {
    Step::new(
        "UPDATE conversations SET assignee_id = $2, assigned_at = $3, covered_for = $4, keep_with_assignee = $5 WHERE id = $1",
        vec![
            conversation.to_vec().into(),
            assignee.map(|a| a.to_vec()).into(),
            assignee.map(|_| at.as_micros()).into(),
            covered_for.map(|c| c.to_vec()).into(),
            i64::from(keep).into(),
        ],
    )
    .guarded(Conflict::ConversationMissing)
}

/// Moves the assignment only if it is still what the caller saw (jobs race
/// with people).
pub fn reassign_if(
    conversation: ConversationId,
    expected: UserId,
    assignee: Option<UserId>,
    at: Timestamp,
    covered_for: Option<UserId>,
) -> Step {
    Step::new(
        "UPDATE conversations SET assignee_id = $3, assigned_at = $4, covered_for = $5 WHERE id = $1 AND assignee_id = $2",
        vec![
            conversation.to_vec().into(),
            expected.to_vec().into(),
            assignee.map(|a| a.to_vec()).into(),
            assignee.map(|_| at.as_micros()).into(),
            covered_for.map(|c| c.to_vec()).into(),
        ],
    )
    .guarded(Conflict::AssignmentChanged)
}

pub fn escalate(conversation: ConversationId, to: UserId, by: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET escalated_to = $2, escalated_by = $3, escalated_at = $4 WHERE id = $1",
        vec![conversation.to_vec().into(), to.to_vec().into(), by.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::ConversationMissing)
}

pub fn clear_escalation(conversation: ConversationId) -> Step {
    Step::new(
        "UPDATE conversations SET escalated_to = NULL, escalated_by = NULL, escalated_at = NULL WHERE id = $1 AND escalated_to IS NOT NULL",
        vec![conversation.to_vec().into()],
    )
}

/// One change of owner or assignee.
pub struct HistoryEntry {
    pub id: HistoryId,
    pub conversation: ConversationId,
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub from_assignee: Option<UserId>,
    pub to_assignee: Option<UserId>,
    pub to_owner: Option<Owner>,
    pub reason_code: HistoryCode,
    pub reason_ct: Option<Vec<u8>>,
}

pub fn insert_history(h: HistoryEntry) -> Step {
    Step::new(
        "INSERT INTO assignment_history (id, conversation_id, at, actor_id, from_assignee_id, to_assignee_id, to_owner_kind, \
         to_owner_id, reason_code, reason_ct) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            h.id.to_vec().into(),
            h.conversation.to_vec().into(),
            h.at.as_micros().into(),
            h.actor.map(|a| a.to_vec()).into(),
            h.from_assignee.map(|a| a.to_vec()).into(),
            h.to_assignee.map(|a| a.to_vec()).into(),
            h.to_owner.map(|o| o.kind_str()).into(),
            h.to_owner.map(|o| o.id_bytes().to_vec()).into(),
            h.reason_code.as_str().into(),
            h.reason_ct.into(),
        ],
    )
}

#[derive(Clone, Debug)]
pub struct HistoryRow {
    pub id: HistoryId,
    pub at: Timestamp,
    pub actor_name: Option<String>,
    pub to_assignee_name: Option<String>,
    pub to_owner_name: Option<String>,
    pub reason_code: HistoryCode,
    pub reason_ct: Option<Vec<u8>>,
}

pub async fn history(store: &Store, conversation: ConversationId) -> Result<Vec<HistoryRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT h.id, h.at, au.display_name AS actor_name, tu.display_name AS to_assignee_name, \
         COALESCE(ou.display_name, op.name, oct.name, od.name) AS to_owner_name, h.reason_code, h.reason_ct \
         FROM assignment_history h LEFT JOIN users au ON au.id = h.actor_id LEFT JOIN users tu ON tu.id = h.to_assignee_id \
         LEFT JOIN users ou ON h.to_owner_kind = 'person' AND ou.id = h.to_owner_id \
         LEFT JOIN pools op ON h.to_owner_kind = 'pool' AND op.id = h.to_owner_id \
         LEFT JOIN care_teams oct ON h.to_owner_kind = 'care_team' AND oct.id = h.to_owner_id \
         LEFT JOIN departments od ON h.to_owner_kind = 'department' AND od.id = h.to_owner_id \
         WHERE h.conversation_id = $1 ORDER BY h.at, h.id",
    )
    .bind(conversation.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let code: String = col(r, "reason_code")?;
            Ok(HistoryRow {
                id: id(r, "id", HistoryId::from_slice)?,
                at: ts(r, "at")?,
                actor_name: col(r, "actor_name")?,
                to_assignee_name: col(r, "to_assignee_name")?,
                to_owner_name: col(r, "to_owner_name")?,
                reason_code: HistoryCode::parse(&code).ok_or(StoreError::Corrupt("reason_code"))?,
                reason_ct: col(r, "reason_ct")?,
            })
        })
        .collect()
}

/// Open conversations assigned to `user`.
pub async fn open_assigned_to(store: &Store, user: UserId) -> Result<Vec<ConversationId>, StoreError> {
    let rows = sqlx::query("SELECT id FROM conversations WHERE assignee_id = $1 AND status <> 'closed'")
        .bind(user.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| id(r, "id", ConversationId::from_slice)).collect()
}

/// Open conversations a cover holds for `user`.
pub async fn covered_for(store: &Store, user: UserId) -> Result<Vec<(ConversationId, Option<UserId>)>, StoreError> {
    let rows = sqlx::query("SELECT id, assignee_id FROM conversations WHERE covered_for = $1 AND status <> 'closed'")
        .bind(user.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter()
        .map(|r| Ok((id(r, "id", ConversationId::from_slice)?, opt_id(r, "assignee_id", UserId::from_slice)?)))
        .collect()
}

/// Whether `user` has acted on the conversation since `since` (written,
/// noted or read).
pub async fn acted_since(
    store: &Store,
    conversation: ConversationId,
    user: UserId,
    since: Timestamp,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND sent_at >= $3) \
         + (SELECT count(*) FROM notes WHERE conversation_id = $1 AND author_id = $2 AND created_at >= $3) \
         + (SELECT count(*) FROM message_reads r JOIN messages m ON m.id = r.message_id \
            WHERE m.conversation_id = $1 AND r.reader_id = $2 AND r.read_at >= $3) AS n",
    )
    .bind(conversation.to_vec())
    .bind(user.to_vec())
    .bind(since.as_micros())
    .fetch_one(store.reader())
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

// ---- Absences ---------------------------------------------------------------

pub fn insert_absence(absence: AbsenceId, practice: PracticeId, a: &Absence, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO absences (id, practice_id, user_id, starts_at, ends_at, cover_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            absence.to_vec().into(),
            practice.to_vec().into(),
            a.user.to_vec().into(),
            a.starts_at.as_micros().into(),
            a.ends_at.as_micros().into(),
            a.cover.map(|c| c.to_vec()).into(),
            at.as_micros().into(),
        ],
    )
}

pub fn cancel_absence(absence: AbsenceId, user: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE absences SET cancelled_at = $3 WHERE id = $1 AND user_id = $2 AND cancelled_at IS NULL",
        vec![absence.to_vec().into(), user.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::AbsenceMissing)
}

/// Absences in the practice that are not over by `now` (current and future).
pub async fn absences(
    store: &Store,
    practice: PracticeId,
    now: Timestamp,
) -> Result<Vec<(AbsenceId, Absence)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, user_id, starts_at, ends_at, cover_id FROM absences WHERE practice_id = $1 AND cancelled_at IS NULL \
         AND ends_at > $2 ORDER BY starts_at",
    )
    .bind(practice.to_vec())
    .bind(now.as_micros())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                id(r, "id", AbsenceId::from_slice)?,
                Absence {
                    user: id(r, "user_id", UserId::from_slice)?,
                    starts_at: ts(r, "starts_at")?,
                    ends_at: ts(r, "ends_at")?,
                    cover: opt_id(r, "cover_id", UserId::from_slice)?,
                },
            ))
        })
        .collect()
}

// ---- Alerts -----------------------------------------------------------------

pub fn insert_alert(
    alert: AlertId,
    practice: PracticeId,
    user: UserId,
    conversation: ConversationId,
    kind: &str,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO alerts (id, practice_id, user_id, conversation_id, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            alert.to_vec().into(),
            practice.to_vec().into(),
            user.to_vec().into(),
            conversation.to_vec().into(),
            kind.into(),
            at.as_micros().into(),
        ],
    )
}

pub fn acknowledge_alert(alert: AlertId, user: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE alerts SET acknowledged_at = $3 WHERE id = $1 AND user_id = $2 AND acknowledged_at IS NULL",
        vec![alert.to_vec().into(), user.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::AlertMissing)
}

/// Clears `user`'s open alerts of `kind` about a conversation: they have
/// acted on what the alert asked of them.
pub fn acknowledge_alerts_about(conversation: ConversationId, user: UserId, kind: &str, at: Timestamp) -> Step {
    Step::new(
        "UPDATE alerts SET acknowledged_at = $4 WHERE conversation_id = $1 AND user_id = $2 AND kind = $3 \
         AND acknowledged_at IS NULL",
        vec![conversation.to_vec().into(), user.to_vec().into(), kind.into(), at.as_micros().into()],
    )
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    pub id: AlertId,
    pub conversation: ConversationId,
    pub kind: String,
    pub created_at: Timestamp,
}

pub async fn open_alerts(store: &Store, user: UserId) -> Result<Vec<AlertRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, kind, created_at FROM alerts WHERE user_id = $1 AND acknowledged_at IS NULL ORDER BY created_at DESC",
    )
    .bind(user.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AlertRow {
                id: id(r, "id", AlertId::from_slice)?,
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                kind: col(r, "kind")?,
                created_at: ts(r, "created_at")?,
            })
        })
        .collect()
}

/// Active clinical staff (providers, nurses, medical assistants) of the
/// practice who are on `care_team`, in `pool`, or are `person`: the people
/// to alert about an urgent message.
pub async fn clinical_staff_for(
    store: &Store,
    practice: PracticeId,
    care_team: Option<CareTeamId>,
    pool: Option<PoolId>,
    person: Option<UserId>,
) -> Result<Vec<UserId>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id FROM users u WHERE u.practice_id = $1 AND u.active = 1 AND u.kind = 'staff' \
         AND u.role IN ('provider', 'nurse', 'medical_assistant') AND ( \
           EXISTS (SELECT 1 FROM care_team_members m WHERE m.user_id = u.id AND m.care_team_id = $2) \
           OR EXISTS (SELECT 1 FROM pool_members pm WHERE pm.user_id = u.id AND pm.pool_id = $3) \
           OR u.id = $4) ORDER BY u.id",
    )
    .bind(practice.to_vec())
    .bind(care_team.map(|t| t.to_vec()))
    .bind(pool.map(|p| p.to_vec()))
    .bind(person.map(|p| p.to_vec()))
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| id(r, "id", UserId::from_slice)).collect()
}

/// The primary provider of a care team.
pub async fn primary_provider(store: &Store, care_team: CareTeamId) -> Result<Option<(UserId, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.display_name FROM care_teams t JOIN users u ON u.id = t.primary_provider_id WHERE t.id = $1",
    )
    .bind(care_team.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| Ok((id(&r, "id", UserId::from_slice)?, col::<Option<String>>(&r, "display_name")?.unwrap_or_default())))
        .transpose()
}

/// Providers on a care team, with whether they take direct messages.
pub async fn care_team_providers(
    store: &Store,
    care_team: CareTeamId,
) -> Result<Vec<(UserId, String, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.display_name, u.accepts_direct_messages FROM care_team_members m JOIN users u ON u.id = m.user_id \
         WHERE m.care_team_id = $1 AND u.role = 'provider' AND u.active = 1 ORDER BY u.display_name",
    )
    .bind(care_team.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                id(r, "id", UserId::from_slice)?,
                col::<Option<String>>(r, "display_name")?.unwrap_or_default(),
                col::<i64>(r, "accepts_direct_messages")? != 0,
            ))
        })
        .collect()
}

/// Names of the things an owner can be, for routing reasons.
pub async fn owner_name(store: &Store, owner: Owner) -> Result<Option<String>, StoreError> {
    let (sql, idv) = match owner {
        Owner::Person(u) => ("SELECT display_name AS n FROM users WHERE id = $1", u.to_vec()),
        Owner::Pool(p) => ("SELECT name AS n FROM pools WHERE id = $1", p.to_vec()),
        Owner::CareTeam(t) => ("SELECT name AS n FROM care_teams WHERE id = $1", t.to_vec()),
        Owner::Department(d) => ("SELECT name AS n FROM departments WHERE id = $1", d.to_vec()),
    };
    let row = sqlx::query(sql).bind(idv).fetch_optional(store.reader()).await?;
    Ok(row.map(|r| col::<Option<String>>(&r, "n")).transpose()?.flatten())
}

pub async fn department_name(store: &Store, d: DepartmentId) -> Result<Option<String>, StoreError> {
    owner_name(store, Owner::Department(d)).await
}

pub async fn scheduling_url(store: &Store, practice: PracticeId) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT scheduling_url FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map(|r| col::<Option<String>>(&r, "scheduling_url")).transpose()?.flatten())
}

pub fn set_scheduling_url(practice: PracticeId, url: Option<&str>) -> Step {
    Step::new("UPDATE practices SET scheduling_url = $2 WHERE id = $1", vec![practice.to_vec().into(), url.into()])
}

/// The pool that files the documents patients send, if the practice names
/// one.
pub async fn documents_pool(store: &Store, practice: PracticeId) -> Result<Option<PoolId>, StoreError> {
    let row = sqlx::query("SELECT documents_pool_id FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map(|r| opt_id(&r, "documents_pool_id", PoolId::from_slice)).transpose()?.flatten())
}

/// Names (or, `None`, clears) the pool that files documents. The caller
/// checks that the pool is the practice's own.
pub fn set_documents_pool(practice: PracticeId, pool: Option<PoolId>) -> Step {
    Step::new(
        "UPDATE practices SET documents_pool_id = $2 WHERE id = $1",
        vec![practice.to_vec().into(), pool.map(|x| x.to_vec()).into()],
    )
}

/// An absence by id, with whether it was cancelled.
pub async fn absence_by_id(
    store: &Store,
    absence: AbsenceId,
) -> Result<Option<(PracticeId, Absence, bool)>, StoreError> {
    let row = sqlx::query(
        "SELECT practice_id, user_id, starts_at, ends_at, cover_id, cancelled_at FROM absences WHERE id = $1",
    )
    .bind(absence.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok((
            id(&r, "practice_id", PracticeId::from_slice)?,
            Absence {
                user: id(&r, "user_id", UserId::from_slice)?,
                starts_at: ts(&r, "starts_at")?,
                ends_at: ts(&r, "ends_at")?,
                cover: opt_id(&r, "cover_id", UserId::from_slice)?,
            },
            col::<Option<i64>>(&r, "cancelled_at")?.is_some(),
        ))
    })
    .transpose()
}

/// Open conversations a pool owns that nobody holds, oldest first.
pub async fn waiting_in_pool(store: &Store, pool: PoolId, limit: i64) -> Result<Vec<ConversationId>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM conversations WHERE owner_kind = 'pool' AND owner_id = $1 AND assignee_id IS NULL \
         AND status <> 'closed' ORDER BY created_at, id LIMIT $2",
    )
    .bind(pool.to_vec())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| id(r, "id", ConversationId::from_slice)).collect()
}

/// The auto-assigning pools `user` is a member of.
pub async fn auto_pools_of(store: &Store, user: UserId) -> Result<Vec<PoolId>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.id FROM pools p JOIN pool_members m ON m.pool_id = p.id \
         WHERE m.user_id = $1 AND p.assignment_mode = 'auto' ORDER BY p.name, p.id",
    )
    .bind(user.to_vec())
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| id(r, "id", PoolId::from_slice)).collect()
}

/// Gives a waiting conversation to `assignee`, only if nobody took it
/// meanwhile.
pub fn claim_if_unassigned(conversation: ConversationId, assignee: UserId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET assignee_id = $2, assigned_at = $3, covered_for = NULL \
         WHERE id = $1 AND assignee_id IS NULL AND status <> 'closed'",
        vec![conversation.to_vec().into(), assignee.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::AssignmentChanged)
}
