//! Secure links: staff sending one, and its holder's identity check (the
//! token travels in request bodies, never in URLs).

use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendSecureLinkRequest {
    /// `sms` or `email`; left out, the mobile number on file, else the
    /// email address.
    #[serde(default)]
    pub medium: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SecureLinkSentDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub medium: MediumDto,
    #[schema(format = "date-time")]
    pub expires_at: String,
}

/// What became of a secure link staff sent: the message's medium and how
/// far it got (`queued` until it is tried), and whether the patient has
/// opened and used the link. Never the address or the words.
#[derive(Serialize, ToSchema)]
pub(crate) struct SecureLinkStatusDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub medium: MediumDto,
    pub state: DeliveryStateDto,
    /// Why it failed or waits (`no_channel`, `sms_opted_out`…).
    pub reason: Option<String>,
    #[schema(format = "date-time")]
    pub sent_at: Option<String>,
    #[schema(format = "date-time")]
    pub expires_at: String,
    #[schema(format = "date-time")]
    pub opened_at: Option<String>,
    #[schema(format = "date-time")]
    pub used_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecureLinkTokenRequest {
    pub token: String,
}

/// What the holder of a secure link is told before proving who they are:
/// the practice's name and how the code will travel, nothing more.
#[derive(Serialize, ToSchema)]
pub(crate) struct SecureLinkInfoDto {
    pub practice_name: String,
    pub medium: MediumDto,
    /// A code was sent in the last ten minutes: the page may ask for it.
    pub code_sent: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecureBirthDateRequest {
    pub token: String,
    /// `YYYY-MM-DD`; anything else counts as a wrong answer.
    pub birth_date: String,
}

/// The same answer whether the date matched or not: if it did, a code is
/// on its way by `medium`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SecureCodeSentDto {
    pub medium: MediumDto,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecureCodeRequest {
    pub token: String,
    /// The six digits sent (spaces and hyphens are ignored).
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SecureSessionDto {
    /// The session token (also set as the session cookie). It reaches the
    /// one conversation below and nothing else.
    pub token: String,
    #[schema(format = "uuid")]
    pub conversation_id: String,
}

/// An invitation to enroll went to the address on file by `medium`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SecureEnrollmentDto {
    pub medium: MediumDto,
}
