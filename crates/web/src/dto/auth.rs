//! Signing in, the signed-in user, and their own contact details and
//! password.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::views;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub kind: KindDto,
    /// Staff only.
    pub role: Option<RoleDto>,
    #[schema(format = "uuid")]
    pub practice_id: String,
    /// Patients only: their patient record.
    #[schema(format = "uuid")]
    pub patient_id: Option<String>,
    /// A session opened through a secure link: the one conversation it
    /// reaches (everything else answers 404).
    #[schema(format = "uuid")]
    pub secure_conversation_id: Option<String>,
    /// The practice requires a second factor of this account and it has
    /// none yet: the session may only set one up (`/api/v1/me/mfa`).
    pub second_factor_setup_required: bool,
}

impl From<&views::UserSummary> for UserDto {
    fn from(u: &views::UserSummary) -> Self {
        UserDto {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            kind: u.kind.into(),
            role: u.role.map(Into::into),
            practice_id: u.practice.to_string(),
            patient_id: u.patient.map(|p| p.to_string()),
            secure_conversation_id: None,
            second_factor_setup_required: false,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`. The
    /// same token is also set as an HttpOnly cookie for browsers.
    pub token: String,
    pub user: UserDto,
    /// After signing in with a recovery code: how many are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<u32>,
}

/// A patient's own contact details.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactDetailsDto {
    #[serde(default)]
    pub email: Option<String>,
    /// A telephone number that can take text messages.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChangeRequest {
    pub current_password: String,
    /// 15 to 128 characters.
    pub new_password: String,
}
