//! Plain row structs returned by the read queries. Encrypted columns stay
//! encrypted here (`*_ct`); the service layer opens them.

use crate::StoreError;
use sqlx::any::AnyRow;
use sqlx::{Any, Decode, Row as _, Type};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::ids::*;
use switchboard_domain::mfa::Assurance;
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::routing::Owner;
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &'static str) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get(name).map_err(|_| StoreError::Corrupt(name))
}

pub(crate) fn id<T>(
    row: &AnyRow,
    name: &'static str,
    parse: fn(&[u8]) -> Result<T, InvalidId>,
) -> Result<T, StoreError> {
    let bytes: Vec<u8> = col(row, name)?;
    parse(&bytes).map_err(|_| StoreError::Corrupt(name))
}

pub(crate) fn opt_id<T>(
    row: &AnyRow,
    name: &'static str,
    parse: fn(&[u8]) -> Result<T, InvalidId>,
) -> Result<Option<T>, StoreError> {
    let bytes: Option<Vec<u8>> = col(row, name)?;
    bytes.map(|b| parse(&b).map_err(|_| StoreError::Corrupt(name))).transpose()
}

pub(crate) fn ts(row: &AnyRow, name: &'static str) -> Result<Timestamp, StoreError> {
    Ok(Timestamp::from_micros(col::<i64>(row, name)?))
}

pub(crate) fn opt_ts(row: &AnyRow, name: &'static str) -> Result<Option<Timestamp>, StoreError> {
    Ok(col::<Option<i64>>(row, name)?.map(Timestamp::from_micros))
}

pub(crate) fn code<T>(row: &AnyRow, name: &'static str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let s: String = col(row, name)?;
    parse(&s).ok_or(StoreError::Corrupt(name))
}

pub(crate) fn opt_code<T>(
    row: &AnyRow,
    name: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    let s: Option<String> = col(row, name)?;
    s.map(|s| parse(&s).ok_or(StoreError::Corrupt(name))).transpose()
}

/// A data key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKeyRow {
    pub id: DataKeyId,
    pub kek_id: u32,
    pub wrapped: Vec<u8>,
}

impl WrappedKeyRow {
    pub(crate) fn read(
        row: &AnyRow,
        id_col: &'static str,
        kek_col: &'static str,
        wrapped_col: &'static str,
    ) -> Result<Self, StoreError> {
        let kek: i64 = col(row, kek_col)?;
        Ok(WrappedKeyRow {
            id: id(row, id_col, DataKeyId::from_slice)?,
            kek_id: u32::try_from(kek).map_err(|_| StoreError::Corrupt("kek_id"))?,
            wrapped: col(row, wrapped_col)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: UserId,
    pub practice: PracticeId,
    pub username: String,
    pub kind: UserKind,
    pub role: Option<StaffRole>,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub active: bool,
}

impl UserRow {
    pub(crate) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(UserRow {
            id: id(row, "user_id", UserId::from_slice)?,
            practice: id(row, "practice_id", PracticeId::from_slice)?,
            username: col(row, "username")?,
            kind: code(row, "kind", UserKind::parse)?,
            role: opt_code(row, "role", StaffRole::parse)?,
            display_name: col(row, "display_name")?,
            password_hash: col(row, "password_hash")?,
            active: col::<i64>(row, "active")? != 0,
        })
    }
}

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub user: UserRow,
    /// A session opened through a secure link reaches this conversation
    /// only.
    pub conversation: Option<ConversationId>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub revoked: bool,
    /// What the session may do (everything, or only enrol a second factor).
    pub assurance: Assurance,
    /// When its holder last gave a password or a second factor; `None` for
    /// sessions opened through a secure link.
    pub authenticated_at: Option<Timestamp>,
}

/// What links a staff member to patients.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memberships {
    pub departments: Vec<DepartmentId>,
    pub care_teams: Vec<CareTeamId>,
    pub pools: Vec<PoolId>,
}

#[derive(Clone, Debug)]
pub struct PatientRow {
    pub id: PatientId,
    pub practice: PracticeId,
    pub user: Option<UserId>,
    pub department: Option<DepartmentId>,
    pub care_team: Option<CareTeamId>,
    pub key: WrappedKeyRow,
    pub given_name_ct: Vec<u8>,
    pub family_name_ct: Vec<u8>,
    pub birth_date_ct: Vec<u8>,
    pub mrn_ct: Option<Vec<u8>>,
    pub care_team_name: Option<String>,
    pub department_name: Option<String>,
    pub program_pool: Option<PoolId>,
}

impl PatientRow {
    pub(crate) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(PatientRow {
            id: id(row, "p_id", PatientId::from_slice)?,
            practice: id(row, "p_practice_id", PracticeId::from_slice)?,
            user: opt_id(row, "p_user_id", UserId::from_slice)?,
            department: opt_id(row, "p_department_id", DepartmentId::from_slice)?,
            care_team: opt_id(row, "p_care_team_id", CareTeamId::from_slice)?,
            key: WrappedKeyRow::read(row, "p_dek_id", "p_kek_id", "p_wrapped")?,
            given_name_ct: col(row, "p_given_name_ct")?,
            family_name_ct: col(row, "p_family_name_ct")?,
            birth_date_ct: col(row, "p_birth_date_ct")?,
            mrn_ct: col(row, "p_mrn_ct")?,
            care_team_name: col(row, "p_care_team_name")?,
            department_name: col(row, "p_department_name")?,
            program_pool: opt_id(row, "p_program_pool_id", PoolId::from_slice)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub practice: PracticeId,
    pub patient: PatientRow,
    pub key: WrappedKeyRow,
    pub subject_ct: Vec<u8>,
    pub topic: Topic,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee: Option<UserId>,
    pub assignee_name: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// Messages from the other side that nobody on the viewer's side has
    /// read (only filled in by listings).
    pub unread: i64,
    /// The viewer marked it unread to come back to (listings only).
    pub marked_unread: bool,
    /// The newest message, still sealed (listings only), for a preview.
    pub latest: Option<LatestMessage>,
    pub owner: Option<Owner>,
    pub owner_name: Option<String>,
    pub routing_reason: Option<String>,
    pub intended_reader: Option<(UserId, String)>,
    pub assigned_at: Option<Timestamp>,
    pub keep_with_assignee: bool,
    pub covered_for: Option<UserId>,
    pub escalated_to: Option<(UserId, String)>,
    pub escalated_by: Option<UserId>,
    pub escalated_at: Option<Timestamp>,
    /// The response clock: set while the conversation waits on staff.
    pub waiting_since: Option<Timestamp>,
    pub due_soon_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub first_due_at: Option<Timestamp>,
    /// A staff reply flagged because the patient has not read it.
    pub unread_reply: Option<MessageId>,
    pub unread_reply_sent_at: Option<Timestamp>,
    pub unread_flagged_at: Option<Timestamp>,
    /// Marked sensitive: only roles the practice grants the category read
    /// it.
    pub sensitivity: Option<Sensitivity>,
    /// Shared with the patient's caregivers (consulted while the patient
    /// is a confidential minor).
    pub shared_with_caregivers: bool,
}

impl ConversationRow {
    pub(crate) fn read(row: &AnyRow, with_unread: bool) -> Result<Self, StoreError> {
        Ok(ConversationRow {
            id: id(row, "c_id", ConversationId::from_slice)?,
            practice: id(row, "c_practice_id", PracticeId::from_slice)?,
            patient: PatientRow::read(row)?,
            key: WrappedKeyRow::read(row, "c_dek_id", "c_kek_id", "c_wrapped")?,
            subject_ct: col(row, "c_subject_ct")?,
            topic: code(row, "c_topic", Topic::parse)?,
            status: code(row, "c_status", ConversationStatus::parse)?,
            priority: code(row, "c_priority", Priority::parse)?,
            assignee: opt_id(row, "c_assignee_id", UserId::from_slice)?,
            assignee_name: col(row, "c_assignee_name")?,
            created_by: id(row, "c_created_by", UserId::from_slice)?,
            created_at: ts(row, "c_created_at")?,
            last_activity_at: ts(row, "c_last_activity_at")?,
            closed_at: opt_ts(row, "c_closed_at")?,
            unread: if with_unread { col(row, "unread")? } else { 0 },
            marked_unread: with_unread && col::<i64>(row, "marked_unread")? > 0,
            latest: match with_unread {
                true => match opt_id(row, "l_id", MessageId::from_slice)? {
                    Some(id) => Some(LatestMessage {
                        id,
                        sender_kind: code(row, "l_sender_kind", SenderKind::parse)?,
                        body_ct: col(row, "l_body_ct")?,
                    }),
                    None => None,
                },
                false => None,
            },
            owner: {
                let kind: Option<String> = col(row, "c_owner_kind")?;
                let id: Option<Vec<u8>> = col(row, "c_owner_id")?;
                match (kind, id) {
                    (Some(k), Some(i)) => Some(Owner::from_parts(&k, &i).ok_or(StoreError::Corrupt("owner"))?),
                    _ => None,
                }
            },
            owner_name: col(row, "c_owner_name")?,
            routing_reason: col(row, "c_routing_reason")?,
            intended_reader: match opt_id(row, "c_intended_reader_id", UserId::from_slice)? {
                Some(u) => Some((u, col::<Option<String>>(row, "c_intended_reader_name")?.unwrap_or_default())),
                None => None,
            },
            assigned_at: opt_ts(row, "c_assigned_at")?,
            keep_with_assignee: col::<i64>(row, "c_keep_with_assignee")? != 0,
            covered_for: opt_id(row, "c_covered_for", UserId::from_slice)?,
            escalated_to: match opt_id(row, "c_escalated_to", UserId::from_slice)? {
                Some(u) => Some((u, col::<Option<String>>(row, "c_escalated_to_name")?.unwrap_or_default())),
                None => None,
            },
            escalated_by: opt_id(row, "c_escalated_by", UserId::from_slice)?,
            escalated_at: opt_ts(row, "c_escalated_at")?,
            waiting_since: opt_ts(row, "c_waiting_since")?,
            due_soon_at: opt_ts(row, "c_due_soon_at")?,
            due_at: opt_ts(row, "c_due_at")?,
            first_response_at: opt_ts(row, "c_first_response_at")?,
            first_due_at: opt_ts(row, "c_first_due_at")?,
            unread_reply: opt_id(row, "c_unread_reply_id", MessageId::from_slice)?,
            unread_reply_sent_at: opt_ts(row, "c_unread_reply_sent_at")?,
            unread_flagged_at: opt_ts(row, "c_unread_flagged_at")?,
            sensitivity: opt_code(row, "c_sensitivity", Sensitivity::parse)?,
            shared_with_caregivers: col::<i64>(row, "c_shared_with_caregivers")? != 0,
        })
    }
}

/// A conversation's newest message, as a listing carries it.
#[derive(Clone, Debug)]
pub struct LatestMessage {
    pub id: MessageId,
    pub sender_kind: SenderKind,
    pub body_ct: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct MessageRow {
    pub id: MessageId,
    /// `None` for automatic replies from the practice.
    pub sender: Option<UserId>,
    pub sender_kind: SenderKind,
    /// Staff senders' display names; patients' names come from their record.
    pub sender_display_name: Option<String>,
    pub body_ct: Vec<u8>,
    pub sent_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct ReadRow {
    pub message: MessageId,
    pub reader: UserId,
    pub reader_kind: UserKind,
    pub reader_display_name: Option<String>,
    /// Staff readers' roles (what a read receipt may say depends on it).
    pub reader_role: Option<StaffRole>,
    pub read_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct AmendmentRow {
    pub id: AmendmentId,
    pub message: MessageId,
    pub author: UserId,
    pub body_ct: Vec<u8>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NoteRow {
    pub id: NoteId,
    pub author: UserId,
    pub author_display_name: Option<String>,
    pub body_ct: Vec<u8>,
    pub created_at: Timestamp,
}

/// A conversation with everything in it.
#[derive(Clone, Debug)]
pub struct ConversationDetail {
    pub conversation: ConversationRow,
    pub messages: Vec<MessageRow>,
    pub reads: Vec<ReadRow>,
    pub amendments: Vec<AmendmentRow>,
    pub notes: Vec<NoteRow>,
}
