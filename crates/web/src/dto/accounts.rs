//! Staff accounts and single-use links (set-up, invitation, reset).

use super::TermsDto;
use crate::extract::PublicBase;
use serde::{Deserialize, Serialize};
use switchboard_service::onboarding::IssuedLink;
use utoipa::ToSchema;

/// A link just made: shown once, to hand over.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedLinkDto {
    /// `setup`, `invitation` or `reset`.
    pub purpose: &'static str,
    /// `hand_over`: no courier reaches the person yet, so give them the
    /// link (or `message`) yourself.
    pub delivery: &'static str,
    /// The path on the server's address: `/welcome#token=…`.
    pub path: String,
    /// The whole link, on the server's public address.
    pub url: String,
    /// Words to send or read out with it: the practice's name and the link,
    /// never anything about the person.
    pub message: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

pub(crate) fn issued(l: &IssuedLink, base: &PublicBase) -> IssuedLinkDto {
    let url = format!("{}{}", base.0, l.path);
    IssuedLinkDto {
        purpose: l.purpose.as_str(),
        delivery: l.delivery.as_str(),
        message: switchboard_domain::onboarding::link_message(l.purpose, &l.practice_name, &url),
        url,
        path: l.path.clone(),
        expires_at: l.expires_at.to_rfc3339(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkTokenDto {
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LinkInfoDto {
    pub purpose: &'static str,
    pub practice_name: String,
    pub asks_birth_date: bool,
    pub asks_username: bool,
    pub username: Option<String>,
    /// Invitations: the messaging terms the patient reads and accepts
    /// (send its `version` back as `terms_version`).
    pub terms: Option<TermsDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedeemDto {
    pub token: String,
    pub password: String,
    /// Invitations: the username the patient chooses.
    #[serde(default)]
    pub username: Option<String>,
    /// Invitations: `YYYY-MM-DD`, checked against the record. No `format`
    /// in the document: the link is checked first (410 when it is spent),
    /// and a birth date that is not a date counts as a wrong one.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Invitations: the version of the messaging terms the patient accepts
    /// (from the link's `terms`); it must be the version in force.
    #[serde(default)]
    pub terms_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequestDto {
    pub username: String,
}

/// The answer to a password-reset request: the same whether or not the
/// account exists.
#[derive(Serialize, ToSchema)]
pub(crate) struct ResetRequestedDto {
    pub message: &'static str,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffAccountDto {
    #[serde(default)]
    pub id: String,
    /// Set when adding; cannot be changed.
    #[serde(default)]
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub departments: Vec<String>,
    #[serde(default)]
    #[schema(format = "uuid")]
    pub care_teams: Vec<String>,
    /// Pool ids. Left out when changing someone: their pools stay as they are.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub pools: Option<Vec<String>>,
    /// Adding someone: their mobile number, kept as the number their SMS
    /// alerts and password resets go to (theirs to change afterwards; never
    /// shown back).
    #[serde(default, skip_serializing)]
    pub mobile: Option<String>,
    /// Adding someone: `sms` texts the set-up link to `mobile`; `desk` (the
    /// default) shows it once to hand over.
    #[serde(default, skip_serializing)]
    #[schema(pattern = "^(sms|desk)$")]
    pub setup_link_by: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// RFC 3339; null if never signed in.
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    /// False until they have used their set-up link.
    #[serde(default)]
    pub password_set: bool,
    /// They asked for a password reset on the sign-in page (within the last
    /// week) and nobody has issued them a reset link since.
    #[serde(default)]
    pub reset_requested_at: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StaffCreatedDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// The set-up link, shown only now.
    pub setup_link: IssuedLinkDto,
}
