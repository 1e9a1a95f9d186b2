//! The facts practice analytics are computed from, for one practice and
//! period. Ids, times, codes and staff or group names only: no PHI.

use crate::rows::*;
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// The rows `sql` finds for one practice (`$1`) in `[from, to)` (`$2`, `$3`).
async fn in_period(
    store: &Store,
    sql: &str,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<AnyRow>, StoreError> {
    Ok(sqlx::query(sql)
        .bind(practice.to_vec())
        .bind(from.as_micros())
        .bind(to.as_micros())
        .fetch_all(store.reader())
        .await?)
}

/// A named group (department, pool, staff member) from two columns.
fn group(row: &AnyRow, id_col: &'static str, name_col: &'static str) -> Result<Option<([u8; 16], String)>, StoreError> {
    let id: Option<Vec<u8>> = col(row, id_col)?;
    let name: Option<String> = col(row, name_col)?;
    Ok(match (id, name) {
        (Some(id), Some(name)) => Some((id.try_into().map_err(|_| StoreError::Corrupt("group id"))?, name)),
        _ => None,
    })
}

#[derive(Clone, Debug)]
pub struct ConversationFactRow {
    pub id: ConversationId,
    pub created_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub first_due_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub topic: Topic,
    pub department: Option<([u8; 16], String)>,
    pub pool: Option<([u8; 16], String)>,
    pub assignee: Option<([u8; 16], String)>,
    pub waiting_since: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub open: bool,
}

const CONVERSATION_FACTS: &str = "SELECT c.id, c.created_at, c.first_response_at, c.first_due_at, c.closed_at, c.topic, \
     p.department_id, d.name AS department_name, CASE WHEN c.owner_kind = 'pool' THEN c.owner_id END AS pool_id, \
     pl.name AS pool_name, c.assignee_id, u.display_name AS assignee_name, c.waiting_since, c.due_at, c.status \
     FROM conversations c JOIN patients p ON p.id = c.patient_id LEFT JOIN departments d ON d.id = p.department_id \
     LEFT JOIN pools pl ON c.owner_kind = 'pool' AND pl.id = c.owner_id LEFT JOIN users u ON u.id = c.assignee_id \
     WHERE c.practice_id = $1";

fn conversation_fact(r: &AnyRow) -> Result<ConversationFactRow, StoreError> {
    let status: String = col(r, "status")?;
    Ok(ConversationFactRow {
        id: id(r, "id", ConversationId::from_slice)?,
        created_at: ts(r, "created_at")?,
        first_response_at: opt_ts(r, "first_response_at")?,
        first_due_at: opt_ts(r, "first_due_at")?,
        closed_at: opt_ts(r, "closed_at")?,
        topic: code(r, "topic", Topic::parse)?,
        department: group(r, "department_id", "department_name")?,
        pool: group(r, "pool_id", "pool_name")?,
        assignee: group(r, "assignee_id", "assignee_name")?,
        waiting_since: opt_ts(r, "waiting_since")?,
        due_at: opt_ts(r, "due_at")?,
        open: status != "closed",
    })
}

/// Conversations started in `[from, to)`.
pub async fn conversations_started(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<ConversationFactRow>, StoreError> {
    let sql = format!("{CONVERSATION_FACTS} AND c.created_at >= $2 AND c.created_at < $3");
    let rows = in_period(store, &sql, practice, from, to).await?;
    rows.iter().map(conversation_fact).collect()
}

/// Conversations open now (for backlog and workload).
pub async fn conversations_open(store: &Store, practice: PracticeId) -> Result<Vec<ConversationFactRow>, StoreError> {
    let sql = format!("{CONVERSATION_FACTS} AND c.status <> 'closed'");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(conversation_fact).collect()
}

#[derive(Clone, Debug)]
pub struct MessageFactRow {
    pub conversation: ConversationId,
    pub at: Timestamp,
    pub sender_kind: String,
    pub sender: Option<([u8; 16], String)>,
    pub topic: Topic,
    pub department: Option<([u8; 16], String)>,
}

/// Messages sent in `[from, to)`.
pub async fn messages_sent(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<MessageFactRow>, StoreError> {
    let sql = "SELECT m.conversation_id, m.sent_at, m.sender_kind, m.sender_id, u.display_name AS sender_name, c.topic, \
         p.department_id, d.name AS department_name FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN patients p ON p.id = c.patient_id LEFT JOIN departments d ON d.id = p.department_id \
         LEFT JOIN users u ON u.id = m.sender_id AND m.sender_kind = 'staff' \
         WHERE c.practice_id = $1 AND m.sent_at >= $2 AND m.sent_at < $3";
    let rows = in_period(store, sql, practice, from, to).await?;
    rows.iter()
        .map(|r| {
            Ok(MessageFactRow {
                conversation: id(r, "conversation_id", ConversationId::from_slice)?,
                at: ts(r, "sent_at")?,
                sender_kind: col(r, "sender_kind")?,
                sender: group(r, "sender_id", "sender_name")?,
                topic: code(r, "topic", Topic::parse)?,
                department: group(r, "department_id", "department_name")?,
            })
        })
        .collect()
}

/// Changes of assignee in `[from, to)`: from, to, reason code.
pub type AssigneeChange = (Option<([u8; 16], String)>, Option<([u8; 16], String)>, HistoryCode);

pub async fn assignee_changes(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<AssigneeChange>, StoreError> {
    let sql = "SELECT h.from_assignee_id, fu.display_name AS from_name, h.to_assignee_id, tu.display_name AS to_name, h.reason_code \
         FROM assignment_history h JOIN conversations c ON c.id = h.conversation_id \
         LEFT JOIN users fu ON fu.id = h.from_assignee_id LEFT JOIN users tu ON tu.id = h.to_assignee_id \
         WHERE c.practice_id = $1 AND h.at >= $2 AND h.at < $3";
    let rows = in_period(store, sql, practice, from, to).await?;
    rows.iter()
        .map(|r| {
            let code: String = col(r, "reason_code")?;
            Ok((
                group(r, "from_assignee_id", "from_name")?,
                group(r, "to_assignee_id", "to_name")?,
                HistoryCode::parse(&code).ok_or(StoreError::Corrupt("reason_code"))?,
            ))
        })
        .collect()
}

/// Providers asked for judgement in `[from, to)`, one entry per request.
pub async fn escalations(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<([u8; 16], String)>, StoreError> {
    let sql = "SELECT a.user_id, u.display_name FROM alerts a JOIN users u ON u.id = a.user_id \
         WHERE a.practice_id = $1 AND a.kind = 'escalated' AND a.created_at >= $2 AND a.created_at < $3";
    let rows = in_period(store, sql, practice, from, to).await?;
    rows.iter().filter_map(|r| group(r, "user_id", "display_name").transpose()).collect()
}

/// Scores of ratings given in `[from, to)`.
pub async fn rating_scores(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let sql = "SELECT score FROM ratings WHERE practice_id = $1 AND created_at >= $2 AND created_at < $3";
    let rows = in_period(store, sql, practice, from, to).await?;
    rows.iter().map(|r| col(r, "score")).collect()
}

/// One staff member's reach into one patient's conversations, from the
/// audit log: times opened, times listed.
pub type PatientAccessRow = (([u8; 16], String), PatientId, i64, i64);

/// From the audit log: per staff member and patient, how often they
/// opened that patient's conversations, and how often the patient appeared
/// in a list they loaded, in `[from, to)`.
pub async fn patient_access(
    store: &Store,
    practice: PracticeId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<PatientAccessRow>, StoreError> {
    let sql = "SELECT a.actor_id, u.display_name, a.patient_id, \
         SUM(CASE WHEN a.action = 'conversation_viewed' THEN 1 ELSE 0 END) AS opened, \
         SUM(CASE WHEN a.action = 'conversations_listed' THEN 1 ELSE 0 END) AS listed \
         FROM audit_log a JOIN users u ON u.id = a.actor_id \
         WHERE a.practice_id = $1 AND a.at >= $2 AND a.at < $3 AND u.kind = 'staff' AND a.outcome = 'success' \
         AND a.action IN ('conversation_viewed', 'conversations_listed') AND a.patient_id IS NOT NULL \
         GROUP BY a.actor_id, u.display_name, a.patient_id";
    let rows = in_period(store, sql, practice, from, to).await?;
    rows.iter()
        .filter_map(|r| {
            let user = match group(r, "actor_id", "display_name") {
                Ok(Some(g)) => g,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            Some((|| Ok((user, id(r, "patient_id", PatientId::from_slice)?, col(r, "opened")?, col(r, "listed")?)))())
        })
        .collect()
}
