//! Searching message text: the search (in the address, as the contract
//! has it, or in a body, which keeps the words out of every address) and
//! its results.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::search::SearchHit;
use utoipa::{IntoParams, ToSchema};

/// A search of the message text of the conversations the caller may read.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Up to 8 words (200 characters); each must start a word of the text.
    pub q: String,
    /// Only this patient's conversations.
    #[param(format = "uuid")]
    pub patient_id: Option<String>,
    /// RFC 3339 date-time (or date), inclusive.
    pub from: Option<String>,
    /// RFC 3339 date-time (or date), exclusive.
    pub to: Option<String>,
    /// Only conversations on this topic.
    pub topic: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Results per page, 1–50 (default 20).
    pub limit: Option<String>,
}

/// The same search in a body: the screens use it, so that what someone
/// searched for is never in an address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchRequest {
    pub q: String,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A run of the snippet that matched: offsets in UTF-16 code units, as
/// JavaScript counts them, end exclusive.
#[derive(Serialize, ToSchema)]
pub(crate) struct SnippetMarkDto {
    pub start: usize,
    pub end: usize,
}

/// A piece of the text around its first match.
#[derive(Serialize, ToSchema)]
pub(crate) struct SnippetDto {
    pub text: String,
    pub marks: Vec<SnippetMarkDto>,
}

/// One text that matched: a message, a conversation's subject, an
/// internal note or a correction.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchResultDto {
    #[schema(format = "uuid")]
    pub conversation_id: String,
    /// The message the text is or belongs to; null for a note.
    #[schema(format = "uuid")]
    pub message_id: Option<String>,
    /// The note, when the text is one (staff who read notes only).
    #[schema(format = "uuid")]
    pub note_id: Option<String>,
    /// `body` (a message), `subject` (the conversation's, on its first
    /// message), `note` (internal) or `amendment` (a correction to the
    /// message).
    pub source: String,
    pub snippet: SnippetDto,
    #[schema(format = DateTime)]
    pub sent_at: String,
    pub patient: IdNameDto,
    pub subject: String,
    pub topic: TopicDto,
}

/// An id and a name.
#[derive(Serialize, ToSchema)]
pub(crate) struct IdNameDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SearchResultsDto {
    pub results: Vec<SearchResultDto>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

/// UTF-16 length of `text` up to byte `at` (a char boundary).
fn utf16_at(text: &str, at: usize) -> usize {
    text.get(..at).map_or(0, |s| s.encode_utf16().count())
}

impl From<&SearchHit> for SearchResultDto {
    fn from(h: &SearchHit) -> Self {
        let text = &h.snippet.text;
        SearchResultDto {
            conversation_id: h.conversation.to_string(),
            message_id: h.message.map(|m| m.to_string()),
            note_id: h.note.map(|n| n.to_string()),
            source: h.source.as_str().to_owned(),
            snippet: SnippetDto {
                text: text.clone(),
                marks: h
                    .snippet
                    .marks
                    .iter()
                    .map(|r| SnippetMarkDto { start: utf16_at(text, r.start), end: utf16_at(text, r.end) })
                    .collect(),
            },
            sent_at: h.sent_at.to_rfc3339(),
            patient: IdNameDto { id: h.patient.to_string(), display_name: h.patient_name.clone() },
            subject: h.subject.clone(),
            topic: h.topic.into(),
        }
    }
}
