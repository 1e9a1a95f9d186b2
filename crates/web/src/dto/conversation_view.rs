//! One conversation as its reader sees it: messages, receipts,
//! amendments, notes, history and rating.

use super::*;
use serde::Serialize;
use switchboard_service::views;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDto {
    #[serde(flatten)]
    pub summary: ConversationSummaryDto,
    pub messages: Vec<MessageDto>,
    /// Staff-only internal notes; absent for patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<AuthoredTextDto>>,
    /// Staff only: every change of owner or assignee, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryDto>>,
    /// The patient's rating of the closed conversation, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingDto>,
    /// A person on staff (not only an automatic reply) has written in it.
    pub answered_by_staff: bool,
    /// The patient may rate it now: closed, answered by a person, not yet
    /// rated (never a caregiver: they do not rate for the patient).
    pub rateable: bool,
    /// Staff: opened through the caller's emergency access (this grant's
    /// id): reading, answering and notes only.
    #[schema(format = "uuid")]
    pub emergency_access_id: Option<String>,
    /// For the patient and staff: whether it is shared with the patient's
    /// caregivers, and whether that matters (a confidential minor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caregivers: Option<SharingDto>,
}

impl From<&views::ConversationView> for ConversationDto {
    fn from(v: &views::ConversationView) -> Self {
        ConversationDto {
            summary: (&v.summary).into(),
            messages: v
                .messages
                .iter()
                .map(|m| MessageDto {
                    id: m.id.to_string(),
                    sender: (&m.sender).into(),
                    body: m.body.clone(),
                    sent_at: m.sent_at.to_rfc3339(),
                    read_by: m
                        .read_by
                        .iter()
                        .map(|r| ReadReceiptDto { reader: (&r.reader).into(), read_at: r.read_at.to_rfc3339() })
                        .collect(),
                    read_by_staff: m
                        .read_by_staff
                        .map(|(by, at)| StaffReadDto { by: by.as_str(), read_at: at.to_rfc3339() }),
                    amendments: m.amendments.iter().map(Into::into).collect(),
                    attachments: m.attachments.iter().map(Into::into).collect(),
                    on_behalf: m.on_behalf.as_ref().map(|b| OnBehalfDto {
                        caregiver_name: b.caregiver_name.clone(),
                        relationship: b.relationship.into(),
                        patient_name: b.patient_name.clone(),
                        line: b.line.clone(),
                    }),
                })
                .collect(),
            answered_by_staff: v.answered_by_staff,
            rateable: v.rateable,
            emergency_access_id: v.emergency_access.map(|g| g.to_string()),
            caregivers: v.caregivers.map(Into::into),
            rating: v.rating.as_ref().map(|r| RatingDto {
                score: r.score,
                comment: r.comment.clone(),
                created_at: r.created_at.to_rfc3339(),
            }),
            notes: v.notes.as_ref().map(|ns| ns.iter().map(Into::into).collect()),
            history: v.history.as_ref().map(|hs| {
                hs.iter()
                    .map(|h| HistoryDto {
                        at: h.at.to_rfc3339(),
                        actor: h.actor.clone(),
                        event: h.code.as_str().to_owned(),
                        to_assignee: h.to_assignee.clone(),
                        to_owner: h.to_owner.clone(),
                        reason: h.reason.clone(),
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MessageDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub sender: PersonDto,
    /// As originally sent; corrections are in `amendments`.
    pub body: String,
    #[schema(format = DateTime)]
    pub sent_at: String,
    /// Staff see every reading. A patient sees only their own here, and
    /// `read_by_staff` for their messages.
    pub read_by: Vec<ReadReceiptDto>,
    /// On a patient's own message, for the patient: who on staff has read
    /// it, as the patient may be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_by_staff: Option<StaffReadDto>,
    pub amendments: Vec<AuthoredTextDto>,
    /// The files sent with it.
    pub attachments: Vec<AttachmentDto>,
    /// Sent by a caregiver for the patient (`sender` is the caregiver).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf: Option<OnBehalfDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadReceiptDto {
    pub reader: PersonDto,
    #[schema(format = DateTime)]
    pub read_at: String,
}

/// "Read by your care team at 2:14 PM": only when someone who answers for
/// the patient's care read it; otherwise the desk that did; never a glance
/// by someone whose work it is not.
#[derive(Serialize, ToSchema)]
pub(crate) struct StaffReadDto {
    /// `care_team`, `front_desk` or `billing_office`.
    pub by: &'static str,
    #[schema(format = DateTime)]
    pub read_at: String,
}

/// Something written on the record by someone, at a time: a correction
/// appended to a message, or a staff note.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuthoredTextDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub author: PersonDto,
    pub body: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&views::AmendmentView> for AuthoredTextDto {
    fn from(a: &views::AmendmentView) -> Self {
        AuthoredTextDto {
            id: a.id.to_string(),
            author: (&a.author).into(),
            body: a.body.clone(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

impl From<&views::NoteView> for AuthoredTextDto {
    fn from(n: &views::NoteView) -> Self {
        AuthoredTextDto {
            id: n.id.to_string(),
            author: (&n.author).into(),
            body: n.body.clone(),
            created_at: n.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RatingDto {
    /// 1 (poor) to 5 (excellent).
    pub score: u8,
    pub comment: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryDto {
    #[schema(format = DateTime)]
    pub at: String,
    /// Who did it; absent when the system did (routing, timeouts, cover).
    pub actor: Option<String>,
    /// `routed`, `assigned`, `auto_assigned`, `kept`, `reassigned`, `timed_out`, `cover_started`, `cover_ended`, `deactivated`, `escalated` (to_assignee: the provider), `returned`, `closed_unanswered`.
    pub event: String,
    pub to_assignee: Option<String>,
    pub to_owner: Option<String>,
    pub reason: Option<String>,
}
