//! Files in conversations: an upload's answer, the files listed on a
//! message, a patient's documents, the pool that files documents and its
//! queue.

use serde::{Deserialize, Serialize};
use switchboard_service::attachments::{AttachmentView, DocumentToFile};
use utoipa::ToSchema;

/// One file. Its bytes are at `/api/v1/attachments/{id}`, its preview (when
/// `has_preview`) at `/api/v1/attachments/{id}/preview`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttachmentDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// The name the sender's device gave it.
    pub filename: String,
    /// What the bytes are, decided from the bytes themselves.
    pub content_type: &'static str,
    /// `jpeg`, `png`, `heic`, `pdf`, `text`, `mp4`, `mov`, `m4a`, `aac`,
    /// `mp3`, `webm` or `ogg`.
    pub kind: &'static str,
    /// Bytes as kept (after metadata was removed).
    pub size: u64,
    /// SHA-256 of the bytes as kept, in hexadecimal.
    pub sha256: String,
    pub has_preview: bool,
    /// Location data was found in the file and removed before it was kept.
    pub location_removed: bool,
    /// Other metadata (camera, time taken, software) was removed.
    pub metadata_removed: bool,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
    /// When staff filed it to the patient's chart.
    #[schema(format = DateTime)]
    pub filed_at: Option<String>,
}

impl From<&AttachmentView> for AttachmentDto {
    fn from(a: &AttachmentView) -> Self {
        AttachmentDto {
            id: a.id.to_string(),
            filename: a.filename.clone(),
            content_type: a.kind.content_type(),
            kind: a.kind.as_str(),
            size: a.size,
            sha256: a.sha256.iter().map(|b| format!("{b:02x}")).collect(),
            has_preview: a.has_preview,
            location_removed: a.location_removed,
            metadata_removed: a.metadata_removed,
            uploaded_at: a.uploaded_at.to_rfc3339(),
            filed_at: a.filed_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A file among a patient's documents, with where it was sent.
#[derive(Serialize, ToSchema)]
pub(crate) struct DocumentDto {
    #[serde(flatten)]
    pub file: AttachmentDto,
    #[schema(format = "uuid")]
    pub conversation_id: String,
    #[schema(format = "uuid")]
    pub message_id: Option<String>,
}

impl From<&AttachmentView> for DocumentDto {
    fn from(a: &AttachmentView) -> Self {
        DocumentDto {
            file: a.into(),
            conversation_id: a.conversation.to_string(),
            message_id: a.message.map(|m| m.to_string()),
        }
    }
}

/// The upload's form: one part, `file`, with the file's name and type as
/// the device gives them. Read a piece at a time by the handler, never
/// deserialised, so this type only describes it.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the multipart form; the handler streams the part instead")]
pub(crate) struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The pool whose members file to the chart the documents patients send
/// (photos, PDF and text; not audio or video). `null`: none, and only
/// administrators see the queue.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentsRoutingDto {
    #[schema(format = "uuid")]
    pub pool_id: Option<String>,
}

/// A document a patient sent that is still to file, with whose it is and
/// the conversation it came in.
#[derive(Serialize, ToSchema)]
pub(crate) struct DocumentToFileDto {
    #[serde(flatten)]
    pub document: DocumentDto,
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub patient_name: String,
    /// The conversation's subject.
    pub subject: String,
}

impl From<&DocumentToFile> for DocumentToFileDto {
    fn from(d: &DocumentToFile) -> Self {
        DocumentToFileDto {
            document: (&d.file).into(),
            patient_id: d.patient.to_string(),
            patient_name: d.patient_name.clone(),
            subject: d.subject.clone(),
        }
    }
}
