//! Single sign-on: the sign-in page's buttons, the practice's settings
//! (never the client secret, only whether it is set) and a staff account's
//! work email and binding.

use serde::{Deserialize, Serialize};
use switchboard_service::sso::{SsoAccount, SsoProvider, SsoSettings, SsoSettingsInput};
use utoipa::{IntoParams, ToSchema};

/// A practice's single sign-on button on the sign-in page.
#[derive(Serialize, ToSchema)]
pub(crate) struct SsoProviderDto {
    #[schema(format = "uuid")]
    pub practice_id: String,
    /// The button's words ("Sign in with Contoso Health").
    pub label: String,
    /// Where the button goes: `GET` it in the browser.
    pub start_url: String,
}

impl From<SsoProvider> for SsoProviderDto {
    fn from(p: SsoProvider) -> Self {
        SsoProviderDto {
            practice_id: p.practice.to_string(),
            label: p.label,
            start_url: format!("/api/v1/auth/sso/start?practice={}", p.practice),
        }
    }
}

/// The practice's OpenID Connect provider, as administrators see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct SsoSettingsDto {
    /// Whether the sign-in page offers it.
    pub enabled: bool,
    /// The provider's issuer URL (its ID tokens' `iss`, exactly).
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored (it is never returned).
    pub client_secret_set: bool,
    pub label: String,
    /// Whether the provider's own multi-factor sign-in is trusted: then a
    /// single sign-on counts as both factors; otherwise staff who have a
    /// second factor here give it after the provider.
    pub trust_provider_mfa: bool,
    /// The redirect URI to register at the provider, when this server
    /// knows its public address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

impl SsoSettingsDto {
    pub(crate) fn of(s: SsoSettings, redirect_uri: Option<String>) -> Self {
        SsoSettingsDto {
            enabled: s.enabled,
            issuer: s.issuer,
            client_id: s.client_id,
            client_secret_set: s.client_secret_set,
            label: s.label,
            trust_provider_mfa: s.trust_provider_mfa,
            redirect_uri,
        }
    }
}

/// What an administrator saves. `issuer` must be `https://` (plain
/// `http://` only at 127.0.0.1 or localhost, for testing).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoSettingsRequest {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// A new client secret; leave it out to keep the one stored.
    #[serde(default)]
    pub client_secret: Option<String>,
    pub label: String,
    #[serde(default)]
    pub trust_provider_mfa: bool,
}

impl From<SsoSettingsRequest> for SsoSettingsInput {
    fn from(r: SsoSettingsRequest) -> Self {
        SsoSettingsInput {
            enabled: r.enabled,
            issuer: r.issuer,
            client_id: r.client_id,
            client_secret: r.client_secret,
            label: r.label,
            trust_provider_mfa: r.trust_provider_mfa,
        }
    }
}

/// A staff account's single sign-on.
#[derive(Serialize, ToSchema)]
pub(crate) struct SsoAccountDto {
    /// The work email a first single sign-on binds the account by (the
    /// provider must say it is verified).
    pub email: Option<String>,
    /// Bound to an identity at the provider.
    pub linked: bool,
    #[schema(format = "date-time")]
    pub linked_at: Option<String>,
}

impl From<SsoAccount> for SsoAccountDto {
    fn from(a: SsoAccount) -> Self {
        SsoAccountDto { email: a.email, linked: a.linked, linked_at: a.linked_at.map(|t| t.to_rfc3339()) }
    }
}

/// Sets (or, with `null`, clears) a staff member's work email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoEmailRequest {
    pub email: Option<String>,
}

/// Which sign-in page asks for its buttons.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SsoProvidersQuery {
    /// The practice the sign-in page's link names (`/?practice=`), if any.
    pub practice: Option<String>,
}

/// Where a single sign-on starts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SsoStartQuery {
    /// The practice's id (as `GET /api/v1/auth/sso/providers` gives it).
    pub practice: Option<String>,
}

/// What the provider sends back (OAuth 2.0's authorization response).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SsoCallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's refusal (`access_denied`, …).
    pub error: Option<String>,
}
