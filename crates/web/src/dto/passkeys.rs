//! Passkeys (WebAuthn): the options given to the browser, its answers
//! (passed through as JSON the server hands to the relying party's checks
//! unread), and registered passkeys as their holder sees them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_service::passkeys::{PasskeyCeremony, PasskeyView};
use utoipa::ToSchema;

/// Options for the browser's WebAuthn call, and the token naming their
/// state on the server (send it back with the answer, within five
/// minutes; it works once).
#[derive(Serialize, ToSchema)]
pub(crate) struct PasskeyOptionsDto {
    pub state: String,
    /// The `publicKey` member for `navigator.credentials.create` (adding a
    /// passkey) or `navigator.credentials.get` (signing in), as WebAuthn
    /// defines it, with every binary field (`challenge`, `user.id`,
    /// credential `id`s) in base64url.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    pub public_key: Value,
}

impl PasskeyOptionsDto {
    pub(crate) fn new(c: PasskeyCeremony) -> Option<Self> {
        let mut options: Value = serde_json::from_str(&c.options).ok()?;
        let public_key = options.get_mut("publicKey").map(Value::take)?;
        Some(PasskeyOptionsDto { state: c.state, public_key })
    }
}

/// The browser's answer to passkey options: the `state` they came with and
/// the `PublicKeyCredential` as JSON (`id`, `rawId`, `type`, `response`
/// with its binary fields in base64url, `extensions`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyAnswerDto {
    pub state: String,
    #[schema(value_type = Object)]
    pub credential: Value,
}

/// Adding a passkey: the answer to `POST /api/v1/me/passkeys/options`, and
/// an optional name ("Work laptop"; otherwise "Passkey added 7 Dec 2026").
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyRegistrationRequest {
    pub state: String,
    #[schema(value_type = Object)]
    pub credential: Value,
    #[serde(default)]
    #[schema(max_length = 60)]
    pub name: Option<String>,
}

/// The challenge from `POST /api/v1/auth/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaPasskeyOptionsRequest {
    pub challenge: String,
}

/// A registered passkey.
#[derive(Serialize, ToSchema)]
pub(crate) struct PasskeyDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    #[schema(format = "date-time")]
    pub created_at: String,
    /// When it last signed in (or confirmed a sign-in).
    #[schema(format = "date-time")]
    pub last_used_at: Option<String>,
}

impl From<&PasskeyView> for PasskeyDto {
    fn from(p: &PasskeyView) -> Self {
        PasskeyDto {
            id: p.id.to_string(),
            name: p.name.clone(),
            created_at: p.created_at.to_rfc3339(),
            last_used_at: p.last_used_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// Whether the credential is a JSON object: anything else is refused
/// before it reaches the checks.
pub(crate) fn credential_text(credential: &Value) -> Option<String> {
    credential.is_object().then(|| credential.to_string())
}
