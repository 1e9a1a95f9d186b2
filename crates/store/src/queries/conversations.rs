//! Conversations, messages, amendments, notes, read receipts and
//! idempotency keys.

use crate::rows::*;
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::cursor::ListCursor;
use switchboard_domain::ids::*;
use switchboard_domain::inbox::{InboxCounts, ViewFilter};
use switchboard_domain::policy::ListScope;
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

macro_rules! conversation_columns {
    () => {
        concat!(conversation_base_columns!(), ", ", conversation_name_columns!())
    };
}

/// Everything but the display names of the owner, the intended reader and
/// the provider escalated to: what access checks and writes need.
macro_rules! conversation_base_columns {
    () => {
        "SELECT c.id AS c_id, c.practice_id AS c_practice_id, c.dek_id AS c_dek_id, ck.kek_id AS c_kek_id, \
         ck.wrapped AS c_wrapped, c.subject_ct AS c_subject_ct, c.topic AS c_topic, c.status AS c_status, \
         c.priority AS c_priority, c.assignee_id AS c_assignee_id, au.display_name AS c_assignee_name, \
         c.created_by AS c_created_by, c.created_at AS c_created_at, c.last_activity_at AS c_last_activity_at, \
         c.closed_at AS c_closed_at, \
         p.id AS p_id, p.practice_id AS p_practice_id, p.user_id AS p_user_id, p.department_id AS p_department_id, \
         p.care_team_id AS p_care_team_id, p.dek_id AS p_dek_id, pk.kek_id AS p_kek_id, pk.wrapped AS p_wrapped, \
         p.given_name_ct AS p_given_name_ct, p.family_name_ct AS p_family_name_ct, p.birth_date_ct AS p_birth_date_ct, \
         p.mrn_ct AS p_mrn_ct, ct.name AS p_care_team_name, d.name AS p_department_name, \
         p.program_pool_id AS p_program_pool_id, \
         c.owner_kind AS c_owner_kind, c.owner_id AS c_owner_id, \
         c.routing_reason AS c_routing_reason, c.intended_reader_id AS c_intended_reader_id, \
         c.assigned_at AS c_assigned_at, c.keep_with_assignee AS c_keep_with_assignee, c.covered_for AS c_covered_for, \
         c.escalated_to AS c_escalated_to, c.escalated_by AS c_escalated_by, c.escalated_at AS c_escalated_at, \
         c.waiting_since AS c_waiting_since, c.due_soon_at AS c_due_soon_at, c.due_at AS c_due_at, \
         c.first_response_at AS c_first_response_at, c.first_due_at AS c_first_due_at, \
         c.unread_reply_id AS c_unread_reply_id, c.unread_reply_sent_at AS c_unread_reply_sent_at, \
         c.unread_flagged_at AS c_unread_flagged_at, c.sensitivity AS c_sensitivity, \
         c.shared_with_caregivers AS c_shared_with_caregivers"
    };
}

/// The display names, as scalar subqueries: joins would multiply the
/// planner's work on every message for names only views show.
macro_rules! conversation_name_columns {
    () => {
        "CASE c.owner_kind WHEN 'person' THEN (SELECT display_name FROM users WHERE id = c.owner_id) \
           WHEN 'pool' THEN (SELECT name FROM pools WHERE id = c.owner_id) \
           WHEN 'care_team' THEN (SELECT name FROM care_teams WHERE id = c.owner_id) \
           WHEN 'department' THEN (SELECT name FROM departments WHERE id = c.owner_id) END AS c_owner_name, \
         (SELECT display_name FROM users WHERE id = c.intended_reader_id) AS c_intended_reader_name, \
         (SELECT display_name FROM users WHERE id = c.escalated_to) AS c_escalated_to_name"
    };
}

macro_rules! conversation_from {
    () => {
        " FROM conversations c JOIN data_keys ck ON ck.id = c.dek_id JOIN patients p ON p.id = c.patient_id \
         JOIN data_keys pk ON pk.id = p.dek_id LEFT JOIN users au ON au.id = c.assignee_id \
         LEFT JOIN care_teams ct ON ct.id = p.care_team_id LEFT JOIN departments d ON d.id = p.department_id"
    };
}

/// What listings add: the unread count, the viewer's own "mark unread"
/// (only a staff member's user id, bound as $3, can match one), and the
/// latest message a person wrote, for the row's preview (still sealed; an
/// automatic reply would say nothing about the conversation).
macro_rules! unread_column {
    () => {
        ", (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.sender_kind <> $2 AND NOT (m.sender_kind = 'system' AND $2 = 'staff') \
         AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.reader_kind = $2)) AS unread, \
         (SELECT count(*) FROM unread_marks k WHERE k.conversation_id = c.id AND k.user_id = $3) AS marked_unread, \
         (SELECT lm.id FROM messages lm WHERE lm.conversation_id = c.id AND lm.sender_kind <> 'system' ORDER BY lm.sent_at DESC, lm.id DESC LIMIT 1) AS l_id, \
         (SELECT lm.sender_kind FROM messages lm WHERE lm.conversation_id = c.id AND lm.sender_kind <> 'system' ORDER BY lm.sent_at DESC, lm.id DESC LIMIT 1) AS l_sender_kind, \
         (SELECT lm.body_ct FROM messages lm WHERE lm.conversation_id = c.id AND lm.sender_kind <> 'system' ORDER BY lm.sent_at DESC, lm.id DESC LIMIT 1) AS l_body_ct"
    };
}

macro_rules! list_filters {
    () => {
        " AND ($4 IS NULL OR c.status = $4) AND ($5 IS NULL OR c.assignee_id = $5) AND ($6 = 0 OR c.assignee_id IS NULL) \
         AND ($7 IS NULL OR c.patient_id = $7) AND ($11 IS NULL OR c.priority = $11) \
         AND ($12 = 0 OR EXISTS (SELECT 1 FROM messages um WHERE um.conversation_id = c.id AND um.sender_kind <> $2 AND NOT (um.sender_kind = 'system' AND $2 = 'staff') \
             AND NOT EXISTS (SELECT 1 FROM message_reads ur WHERE ur.message_id = um.id AND ur.reader_kind = $2)) \
             OR EXISTS (SELECT 1 FROM unread_marks uk WHERE uk.conversation_id = c.id AND uk.user_id = $3)) \
         AND ($13 = 0 OR EXISTS (SELECT 1 FROM care_team_members mt WHERE mt.user_id = $3 AND mt.care_team_id = p.care_team_id)) \
         AND ($14 = 0 OR c.status <> 'closed') AND ($16 = 0 OR c.escalated_to = $3) \
         AND ($8 IS NULL OR c.last_activity_at < $8 OR (c.last_activity_at = $8 AND c.id < $9))"
    };
}

macro_rules! order_recent {
    () => {
        " ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $10 OFFSET $15"
    };
}

macro_rules! order_attention {
    () => {
        " ORDER BY CASE WHEN c.priority = 'urgent' THEN 0 ELSE 1 END, \
         CASE WHEN c.status = 'needs_staff_response' THEN 0 ELSE 1 END, c.last_activity_at, c.id LIMIT $10 OFFSET $15"
    };
}

macro_rules! patient_scope {
    () => {
        " WHERE c.practice_id = $1 AND c.patient_id = $3"
    };
}

/// A caregiver's listing of a confidential minor's conversations: only
/// those shared with caregivers (`ListScope::Proxy { shared_only: true }`).
macro_rules! proxy_shared_scope {
    () => {
        " WHERE c.practice_id = $1 AND c.patient_id = $3 AND c.shared_with_caregivers = 1"
    };
}

macro_rules! staff_scope {
    () => {
        " WHERE c.practice_id = $1 AND (\
           EXISTS (SELECT 1 FROM care_team_members tm WHERE tm.user_id = $3 AND tm.care_team_id = p.care_team_id) \
           OR EXISTS (SELECT 1 FROM staff_departments sd WHERE sd.user_id = $3 AND sd.department_id = p.department_id) \
           OR c.assignee_id = $3 OR c.escalated_to = $3 \
           OR (c.owner_kind = 'person' AND c.owner_id = $3) \
           OR (c.owner_kind = 'pool' AND (EXISTS (SELECT 1 FROM pool_members om WHERE om.user_id = $3 AND om.pool_id = c.owner_id) \
               OR EXISTS (SELECT 1 FROM pools ol WHERE ol.id = c.owner_id AND ol.lead_id = $3))) \
           OR (c.owner_kind = 'care_team' AND EXISTS (SELECT 1 FROM care_team_members ocm WHERE ocm.user_id = $3 AND ocm.care_team_id = c.owner_id)) \
           OR (c.owner_kind = 'department' AND EXISTS (SELECT 1 FROM staff_departments osd WHERE osd.user_id = $3 AND osd.department_id = c.owner_id)))"
    };
}
// The queue of documents to file lists by the same scope.
pub(crate) use staff_scope;

const LIST_PATIENT_RECENT: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    patient_scope!(),
    list_filters!(),
    order_recent!()
);
const LIST_PATIENT_ATTENTION: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    patient_scope!(),
    list_filters!(),
    order_attention!()
);
const LIST_PROXY_SHARED_RECENT: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    proxy_shared_scope!(),
    list_filters!(),
    order_recent!()
);
const LIST_PROXY_SHARED_ATTENTION: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    proxy_shared_scope!(),
    list_filters!(),
    order_attention!()
);
const LIST_STAFF_RECENT: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    staff_scope!(),
    list_filters!(),
    order_recent!()
);
const LIST_STAFF_ATTENTION: &str = concat!(
    conversation_columns!(),
    unread_column!(),
    conversation_from!(),
    staff_scope!(),
    list_filters!(),
    order_attention!()
);

const COUNTS_STAFF: &str = concat!(
    "SELECT \
     COALESCE(SUM(CASE WHEN c.status = 'needs_staff_response' THEN 1 ELSE 0 END), 0) AS needs_response, \
     COALESCE(SUM(CASE WHEN c.status = 'awaiting_patient' THEN 1 ELSE 0 END), 0) AS awaiting_patient, \
     COALESCE(SUM(CASE WHEN c.status <> 'closed' AND (EXISTS (SELECT 1 FROM messages um WHERE um.conversation_id = c.id \
         AND um.sender_kind <> $2 AND um.sender_kind <> 'system' AND NOT EXISTS (SELECT 1 FROM message_reads ur WHERE ur.message_id = um.id \
         AND ur.reader_kind = $2)) OR EXISTS (SELECT 1 FROM unread_marks uk WHERE uk.conversation_id = c.id AND uk.user_id = $3)) \
         THEN 1 ELSE 0 END), 0) AS unread, \
     COALESCE(SUM(CASE WHEN c.status <> 'closed' AND c.assignee_id = $3 THEN 1 ELSE 0 END), 0) AS assigned_to_me, \
     COALESCE(SUM(CASE WHEN c.status <> 'closed' AND EXISTS (SELECT 1 FROM care_team_members mt WHERE mt.user_id = $3 \
         AND mt.care_team_id = p.care_team_id) THEN 1 ELSE 0 END), 0) AS my_team, \
     COALESCE(SUM(CASE WHEN c.status <> 'closed' AND c.priority = 'urgent' THEN 1 ELSE 0 END), 0) AS urgent, \
     COALESCE(SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END), 0) AS closed, \
     COALESCE(SUM(CASE WHEN c.status <> 'closed' AND c.escalated_to = $3 THEN 1 ELSE 0 END), 0) AS escalated, \
     count(*) AS total \
     FROM conversations c JOIN patients p ON p.id = c.patient_id",
    staff_scope!()
);

const BY_ID: &str = concat!(
    conversation_base_columns!(),
    ", NULL AS c_owner_name, NULL AS c_intended_reader_name, NULL AS c_escalated_to_name",
    conversation_from!(),
    " WHERE c.id = $1"
);
const OF_PATIENT: &str = concat!(
    conversation_base_columns!(),
    ", NULL AS c_owner_name, NULL AS c_intended_reader_name, NULL AS c_escalated_to_name",
    conversation_from!(),
    " WHERE c.patient_id = $1 ORDER BY c.created_at, c.id"
);
const NAMES: &str = concat!("SELECT ", conversation_name_columns!(), " FROM conversations c WHERE c.id = $1");

/// Filters on a listing (see `switchboard_domain::inbox` for the views).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    pub assignee: Option<UserId>,
    pub unassigned: bool,
    pub patient: Option<PatientId>,
    pub open_only: bool,
    pub unread_only: bool,
    /// Staff only: the patient is on one of the viewer's care teams.
    pub my_team: bool,
    pub attention_order: bool,
    /// Staff only: escalated to the viewer.
    pub escalated_to_me: bool,
    pub after: Option<ListCursor>,
    pub limit: i64,
}

impl ListFilter {
    /// What an inbox view asks of the SQL when `viewer` looks at it: the one
    /// translation of [`ViewFilter`] (the SQL's reference) into a filter.
    pub fn view(view: ViewFilter, viewer: UserId) -> ListFilter {
        ListFilter {
            status: view.status,
            priority: view.priority,
            assignee: view.assigned_to_me.then_some(viewer),
            open_only: view.open_only,
            unread_only: view.unread_only,
            my_team: view.my_team,
            escalated_to_me: view.escalated_to_me,
            ..ListFilter::default()
        }
    }
}

/// The conversations in `scope` that pass `filter`. `viewer_kind` decides
/// which side's unread messages are counted.
pub async fn list(
    store: &Store,
    scope: &ListScope,
    viewer_kind: UserKind,
    filter: &ListFilter,
) -> Result<Vec<ConversationRow>, StoreError> {
    let (sql, practice, scope_id) = match (scope, filter.attention_order) {
        (ListScope::Nothing, _) => return Ok(Vec::new()),
        (ListScope::Patient { practice, patient }, false) => (LIST_PATIENT_RECENT, *practice, patient.to_vec()),
        (ListScope::Patient { practice, patient }, true) => (LIST_PATIENT_ATTENTION, *practice, patient.to_vec()),
        // A caregiver's listing of a patient they act for is that patient's
        // listing, kept to what is shared while the patient is a
        // confidential minor.
        (ListScope::Proxy { practice, patient, shared_only: false }, false) => {
            (LIST_PATIENT_RECENT, *practice, patient.to_vec())
        }
        (ListScope::Proxy { practice, patient, shared_only: false }, true) => {
            (LIST_PATIENT_ATTENTION, *practice, patient.to_vec())
        }
        (ListScope::Proxy { practice, patient, shared_only: true }, false) => {
            (LIST_PROXY_SHARED_RECENT, *practice, patient.to_vec())
        }
        (ListScope::Proxy { practice, patient, shared_only: true }, true) => {
            (LIST_PROXY_SHARED_ATTENTION, *practice, patient.to_vec())
        }
        (ListScope::StaffRelated { practice, user }, false) => (LIST_STAFF_RECENT, *practice, user.to_vec()),
        (ListScope::StaffRelated { practice, user }, true) => (LIST_STAFF_ATTENTION, *practice, user.to_vec()),
    };
    let (after, offset) = match filter.after {
        Some(ListCursor::After { last_activity_at, id }) => (Some((last_activity_at, id)), 0),
        Some(ListCursor::Offset(n)) => (None, i64::from(n)),
        None => (None, 0),
    };
    let rows = sqlx::query(sql)
        .bind(practice.to_vec())
        .bind(viewer_kind.as_str())
        .bind(scope_id)
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.assignee.map(|a| a.to_vec()))
        .bind(i64::from(filter.unassigned))
        .bind(filter.patient.map(|p| p.to_vec()))
        .bind(after.map(|(t, _)| t.as_micros()))
        .bind(after.map(|(_, id)| id.to_vec()))
        .bind(filter.limit)
        .bind(filter.priority.map(|p| p.as_str()))
        .bind(i64::from(filter.unread_only))
        .bind(i64::from(filter.my_team))
        .bind(i64::from(filter.open_only))
        .bind(offset)
        .bind(i64::from(filter.escalated_to_me))
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| ConversationRow::read(r, true)).collect()
}

pub async fn inbox_counts(store: &Store, practice: PracticeId, user: UserId) -> Result<InboxCounts, StoreError> {
    let row = sqlx::query(COUNTS_STAFF)
        .bind(practice.to_vec())
        .bind(UserKind::Staff.as_str())
        .bind(user.to_vec())
        .fetch_one(store.reader())
        .await?;
    Ok(InboxCounts {
        needs_response: col(&row, "needs_response")?,
        awaiting_patient: col(&row, "awaiting_patient")?,
        unread: col(&row, "unread")?,
        assigned_to_me: col(&row, "assigned_to_me")?,
        my_team: col(&row, "my_team")?,
        urgent: col(&row, "urgent")?,
        closed: col(&row, "closed")?,
        escalated: col(&row, "escalated")?,
        total: col(&row, "total")?,
    })
}

/// The conversation with its patient and keys, without the display names
/// of its owner, intended reader and escalation (see `with_names`).
pub async fn by_id(store: &Store, conversation: ConversationId) -> Result<Option<ConversationRow>, StoreError> {
    let row = sqlx::query(BY_ID).bind(conversation.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| ConversationRow::read(&r, false)).transpose()
}

/// Every conversation about a patient, oldest first (as `by_id` reads
/// each): a legal export's.
pub async fn of_patient(store: &Store, patient: PatientId) -> Result<Vec<ConversationRow>, StoreError> {
    let rows = sqlx::query(OF_PATIENT).bind(patient.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(|r| ConversationRow::read(r, false)).collect()
}

/// Fills in the display names `by_id` leaves out, for showing the row.
pub async fn with_names(store: &Store, mut row: ConversationRow) -> Result<ConversationRow, StoreError> {
    let Some(names) = sqlx::query(NAMES).bind(row.id.to_vec()).fetch_optional(store.reader()).await? else {
        return Ok(row);
    };
    row.owner_name = col(&names, "c_owner_name")?;
    if let Some((_, name)) = row.intended_reader.as_mut() {
        *name = col::<Option<String>>(&names, "c_intended_reader_name")?.unwrap_or_default();
    }
    if let Some((_, name)) = row.escalated_to.as_mut() {
        *name = col::<Option<String>>(&names, "c_escalated_to_name")?.unwrap_or_default();
    }
    Ok(row)
}

/// The conversation and everything in it; notes only if `with_notes`.
pub async fn detail(
    store: &Store,
    conversation: ConversationRow,
    with_notes: bool,
) -> Result<ConversationDetail, StoreError> {
    let cid = conversation.id.to_vec();
    let db = store.reader();
    let message_rows = sqlx::query(
        "SELECT m.id, m.sender_id, m.sender_kind, u.display_name, m.body_ct, m.sent_at FROM messages m \
         LEFT JOIN users u ON u.id = m.sender_id WHERE m.conversation_id = $1 ORDER BY m.sent_at, m.id",
    )
    .bind(cid.clone())
    .fetch_all(db)
    .await?;
    let messages = message_rows
        .iter()
        .map(|r| {
            Ok(MessageRow {
                id: id(r, "id", MessageId::from_slice)?,
                sender: opt_id(r, "sender_id", UserId::from_slice)?,
                sender_kind: code(r, "sender_kind", SenderKind::parse)?,
                sender_display_name: col(r, "display_name")?,
                body_ct: col(r, "body_ct")?,
                sent_at: ts(r, "sent_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let read_rows = sqlx::query(
        "SELECT r.message_id, r.reader_id, r.reader_kind, u.display_name, u.role, r.read_at FROM message_reads r \
         JOIN messages m ON m.id = r.message_id JOIN users u ON u.id = r.reader_id \
         WHERE m.conversation_id = $1 ORDER BY r.read_at, r.reader_id",
    )
    .bind(cid.clone())
    .fetch_all(db)
    .await?;
    let reads = read_rows
        .iter()
        .map(|r| {
            Ok(ReadRow {
                message: id(r, "message_id", MessageId::from_slice)?,
                reader: id(r, "reader_id", UserId::from_slice)?,
                reader_kind: code(r, "reader_kind", UserKind::parse)?,
                reader_display_name: col(r, "display_name")?,
                reader_role: opt_code(r, "role", StaffRole::parse)?,
                read_at: ts(r, "read_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let amendment_rows = sqlx::query(
        "SELECT a.id, a.message_id, a.author_id, a.body_ct, a.created_at FROM amendments a \
         JOIN messages m ON m.id = a.message_id WHERE m.conversation_id = $1 ORDER BY a.created_at, a.id",
    )
    .bind(cid.clone())
    .fetch_all(db)
    .await?;
    let amendments = amendment_rows
        .iter()
        .map(|r| {
            Ok(AmendmentRow {
                id: id(r, "id", AmendmentId::from_slice)?,
                message: id(r, "message_id", MessageId::from_slice)?,
                author: id(r, "author_id", UserId::from_slice)?,
                body_ct: col(r, "body_ct")?,
                created_at: ts(r, "created_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let notes = if with_notes {
        let note_rows = sqlx::query(
            "SELECT n.id, n.author_id, u.display_name, n.body_ct, n.created_at FROM notes n \
             JOIN users u ON u.id = n.author_id WHERE n.conversation_id = $1 ORDER BY n.created_at, n.id",
        )
        .bind(cid)
        .fetch_all(db)
        .await?;
        note_rows
            .iter()
            .map(|r| {
                Ok(NoteRow {
                    id: id(r, "id", NoteId::from_slice)?,
                    author: id(r, "author_id", UserId::from_slice)?,
                    author_display_name: col(r, "display_name")?,
                    body_ct: col(r, "body_ct")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?
    } else {
        Vec::new()
    };
    Ok(ConversationDetail { conversation, messages, reads, amendments, notes })
}

/// The sender of a message in a conversation, if it is there.
pub async fn message_sender(
    store: &Store,
    conversation: ConversationId,
    message: MessageId,
) -> Result<Option<(Option<UserId>, SenderKind)>, StoreError> {
    let row = sqlx::query("SELECT sender_id, sender_kind FROM messages WHERE id = $1 AND conversation_id = $2")
        .bind(message.to_vec())
        .bind(conversation.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| Ok((opt_id(&r, "sender_id", UserId::from_slice)?, code(&r, "sender_kind", SenderKind::parse)?)))
        .transpose()
}

/// How many messages from the other side `reader` has not read yet.
pub async fn unread_by(
    store: &Store,
    conversation: ConversationId,
    reader: UserId,
    reader_kind: UserKind,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS n FROM messages m WHERE m.conversation_id = $1 AND m.sender_kind <> $3 \
         AND NOT (m.sender_kind = 'system' AND $3 = 'staff') \
         AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.reader_id = $2)",
    )
    .bind(conversation.to_vec())
    .bind(reader.to_vec())
    .bind(reader_kind.as_str())
    .fetch_one(store.reader())
    .await?;
    col(&row, "n")
}

/// A previously recorded idempotent request: its fingerprint and the
/// message it created.
pub async fn idempotency_record(
    store: &Store,
    actor: UserId,
    key: &str,
) -> Result<Option<([u8; 32], MessageId)>, StoreError> {
    let row = sqlx::query("SELECT fingerprint, message_id FROM idempotency_keys WHERE actor_id = $1 AND idem_key = $2")
        .bind(actor.to_vec())
        .bind(key)
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        let fp: Vec<u8> = col(&r, "fingerprint")?;
        let fp: [u8; 32] = fp.try_into().map_err(|_| StoreError::Corrupt("fingerprint"))?;
        Ok((fp, id(&r, "message_id", MessageId::from_slice)?))
    })
    .transpose()
}

pub struct NewConversation {
    pub id: ConversationId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub dek: DataKeyId,
    pub subject_ct: Vec<u8>,
    pub topic: Topic,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee: Option<UserId>,
    pub created_by: UserId,
    pub at: Timestamp,
    /// Shared with the patient's caregivers (see
    /// `switchboard_domain::caregiver::shared_at_start`).
    pub shared_with_caregivers: bool,
    /// The practice's mark for the topic, if it marks it.
    pub sensitivity: Option<switchboard_domain::sensitivity::Sensitivity>,
}

pub fn insert_conversation(c: NewConversation) -> Step {
    Step::new(
        "INSERT INTO conversations (id, practice_id, patient_id, dek_id, subject_ct, topic, status, priority, assignee_id, \
         created_by, created_at, last_activity_at, shared_with_caregivers, sensitivity) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13)",
        vec![
            c.id.to_vec().into(),
            c.practice.to_vec().into(),
            c.patient.to_vec().into(),
            c.dek.to_vec().into(),
            c.subject_ct.into(),
            c.topic.as_str().into(),
            c.status.as_str().into(),
            c.priority.as_str().into(),
            c.assignee.map(|a| a.to_vec()).into(),
            c.created_by.to_vec().into(),
            c.at.as_micros().into(),
            i64::from(c.shared_with_caregivers).into(),
            c.sensitivity.map(switchboard_domain::sensitivity::Sensitivity::as_str).into(),
        ],
    )
}

/// Shares a conversation with the patient's caregivers, or stops.
pub fn set_shared_with_caregivers(conversation: ConversationId, shared: bool) -> Step {
    Step::new(
        "UPDATE conversations SET shared_with_caregivers = $2 WHERE id = $1",
        vec![conversation.to_vec().into(), i64::from(shared).into()],
    )
    .guarded(Conflict::ConversationMissing)
}

pub struct NewMessage {
    pub id: MessageId,
    pub conversation: ConversationId,
    /// `None` for an automatic reply.
    pub sender: Option<UserId>,
    pub sender_kind: SenderKind,
    pub body_ct: Vec<u8>,
    pub at: Timestamp,
}

pub fn insert_message(m: NewMessage) -> Step {
    Step::new(
        "INSERT INTO messages (id, conversation_id, sender_id, sender_kind, body_ct, sent_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            m.id.to_vec().into(),
            m.conversation.to_vec().into(),
            m.sender.map(|s| s.to_vec()).into(),
            m.sender_kind.as_str().into(),
            m.body_ct.into(),
            m.at.as_micros().into(),
        ],
    )
}

/// After a message: whose move it is, and the activity time for sorting.
/// Reopens a closed conversation.
pub fn after_message(conversation: ConversationId, status: ConversationStatus, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET status = $2, last_activity_at = $3, closed_at = NULL WHERE id = $1",
        vec![conversation.to_vec().into(), status.as_str().into(), at.as_micros().into()],
    )
    .guarded(Conflict::ConversationMissing)
}

/// Starts (or re-times) the response clock of a conversation. The first
/// wait's due time is also kept, to measure first answers against.
pub fn start_clock(
    conversation: ConversationId,
    since: Timestamp,
    due_soon_at: Timestamp,
    due_at: Timestamp,
    first: bool,
) -> Step {
    Step::new(
        "UPDATE conversations SET waiting_since = $2, due_soon_at = $3, due_at = $4, \
         first_due_at = CASE WHEN $5 = 1 THEN $4 ELSE first_due_at END WHERE id = $1",
        vec![
            conversation.to_vec().into(),
            since.as_micros().into(),
            due_soon_at.as_micros().into(),
            due_at.as_micros().into(),
            i64::from(first).into(),
        ],
    )
    .guarded(Conflict::ConversationMissing)
}

/// Flags a staff reply the patient has not read in time.
pub fn flag_unread_reply(conversation: ConversationId, message: MessageId, sent_at: Timestamp, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET unread_reply_id = $2, unread_reply_sent_at = $3, unread_flagged_at = $4 WHERE id = $1",
        vec![conversation.to_vec().into(), message.to_vec().into(), sent_at.as_micros().into(), at.as_micros().into()],
    )
}

/// Clears the flag: the patient read, or staff followed up.
pub fn clear_unread_flag(conversation: ConversationId) -> Step {
    Step::new(
        "UPDATE conversations SET unread_reply_id = NULL, unread_reply_sent_at = NULL, unread_flagged_at = NULL \
         WHERE id = $1 AND unread_reply_id IS NOT NULL",
        vec![conversation.to_vec().into()],
    )
}

/// Whether the patient's side has read a message, and when it was sent.
pub async fn message_read_state(store: &Store, message: MessageId) -> Result<Option<(Timestamp, bool)>, StoreError> {
    let row = sqlx::query(
        "SELECT m.sent_at, (SELECT count(*) FROM message_reads r WHERE r.message_id = m.id AND r.reader_kind = 'patient') AS reads \
         FROM messages m WHERE m.id = $1",
    )
    .bind(message.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| Ok((ts(&r, "sent_at")?, col::<i64>(&r, "reads")? > 0))).transpose()
}

/// Stops the response clock; `answered_at` records the first staff answer.
pub fn stop_clock(conversation: ConversationId, answered_at: Option<Timestamp>) -> Step {
    Step::new(
        "UPDATE conversations SET waiting_since = NULL, due_soon_at = NULL, due_at = NULL, \
         first_response_at = COALESCE(first_response_at, $2) WHERE id = $1",
        vec![conversation.to_vec().into(), answered_at.map(|t| t.as_micros()).into()],
    )
    .guarded(Conflict::ConversationMissing)
}

pub fn close(conversation: ConversationId, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET status = 'closed', closed_at = $2, last_activity_at = $2 WHERE id = $1 AND status <> 'closed'",
        vec![conversation.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::AlreadyClosed)
}

pub fn reopen(conversation: ConversationId, status: ConversationStatus, at: Timestamp) -> Step {
    Step::new(
        "UPDATE conversations SET status = $2, closed_at = NULL, last_activity_at = $3 WHERE id = $1 AND status = 'closed'",
        vec![conversation.to_vec().into(), status.as_str().into(), at.as_micros().into()],
    )
    .guarded(Conflict::NotClosed)
}

pub fn assign(conversation: ConversationId, assignee: Option<UserId>) -> Step {
    Step::new(
        "UPDATE conversations SET assignee_id = $2 WHERE id = $1",
        vec![conversation.to_vec().into(), assignee.map(|a| a.to_vec()).into()],
    )
    .guarded(Conflict::ConversationMissing)
}

pub fn set_priority(conversation: ConversationId, priority: Priority) -> Step {
    Step::new(
        "UPDATE conversations SET priority = $2 WHERE id = $1",
        vec![conversation.to_vec().into(), priority.as_str().into()],
    )
    .guarded(Conflict::ConversationMissing)
}

/// Marks every message from the other side as read by `reader`.
pub fn mark_read(conversation: ConversationId, reader: UserId, reader_kind: UserKind, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO message_reads (message_id, reader_id, reader_kind, read_at) \
         SELECT m.id, $2, $3, $4 FROM messages m WHERE m.conversation_id = $1 AND m.sender_kind <> $3 \
         AND NOT (m.sender_kind = 'system' AND $3 = 'staff') \
         AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.reader_id = $2)",
        vec![conversation.to_vec().into(), reader.to_vec().into(), reader_kind.as_str().into(), at.as_micros().into()],
    )
}

/// A staff member's "mark unread": the conversation counts as unread for
/// them until they next open it.
pub fn mark_unread(conversation: ConversationId, user: UserId, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO unread_marks (conversation_id, user_id, marked_at) VALUES ($1, $2, $3) \
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET marked_at = excluded.marked_at",
        vec![conversation.to_vec().into(), user.to_vec().into(), at.as_micros().into()],
    )
}

/// Opening it again ends the mark.
pub fn clear_unread_mark(conversation: ConversationId, user: UserId) -> Step {
    Step::new(
        "DELETE FROM unread_marks WHERE conversation_id = $1 AND user_id = $2",
        vec![conversation.to_vec().into(), user.to_vec().into()],
    )
}

/// How many of a patient's conversations are open, and how many closed.
pub async fn counts_for_patient(store: &Store, patient: PatientId) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END), 0) AS open, \
         COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0) AS closed FROM conversations WHERE patient_id = $1",
    )
    .bind(patient.to_vec())
    .fetch_one(store.reader())
    .await?;
    Ok((col(&row, "open")?, col(&row, "closed")?))
}

/// Whether a person on staff (not only an automatic reply) has written in
/// the conversation.
pub async fn staff_answered(store: &Store, conversation: ConversationId) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND sender_kind = 'staff'")
        .bind(conversation.to_vec())
        .fetch_one(store.reader())
        .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

pub fn insert_note(
    note: NoteId,
    conversation: ConversationId,
    author: UserId,
    body_ct: Vec<u8>,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO notes (id, conversation_id, author_id, body_ct, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            note.to_vec().into(),
            conversation.to_vec().into(),
            author.to_vec().into(),
            body_ct.into(),
            at.as_micros().into(),
        ],
    )
}

pub fn insert_amendment(
    amendment: AmendmentId,
    message: MessageId,
    author: UserId,
    body_ct: Vec<u8>,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO amendments (id, message_id, author_id, body_ct, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            amendment.to_vec().into(),
            message.to_vec().into(),
            author.to_vec().into(),
            body_ct.into(),
            at.as_micros().into(),
        ],
    )
}

/// Claims an idempotency key for a new message; the unit fails with
/// `Conflict::IdempotencyKey` if the key was already used.
pub fn claim_idempotency_key(
    actor: UserId,
    key: &str,
    fingerprint: &[u8; 32],
    message: MessageId,
    at: Timestamp,
) -> Step {
    Step::new(
        "INSERT INTO idempotency_keys (actor_id, idem_key, fingerprint, message_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (actor_id, idem_key) DO NOTHING",
        vec![actor.to_vec().into(), key.into(), fingerprint.to_vec().into(), message.to_vec().into(), at.as_micros().into()],
    )
    .guarded(Conflict::IdempotencyKey)
}

/// Which conversation a message is in, and when it was sent.
pub async fn message_location(
    store: &Store,
    message: MessageId,
) -> Result<Option<(ConversationId, Timestamp)>, StoreError> {
    let row = sqlx::query("SELECT conversation_id, sent_at FROM messages WHERE id = $1")
        .bind(message.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| Ok((id(&r, "conversation_id", ConversationId::from_slice)?, ts(&r, "sent_at")?))).transpose()
}
