use serde::{Deserialize, Serialize};
use switchboard_service::ehr::{EhrClientView, NewEhrClient};
use utoipa::ToSchema;

/// An EHR system registered as a SMART Backend Services client.
#[derive(Serialize, ToSchema)]
pub(crate) struct EhrClientDto {
    /// The client's `client_id`: the `iss` and `sub` of its assertions.
    pub id: String,
    pub name: String,
    /// The SMART system scopes it may be granted, space-separated.
    pub scopes: String,
    /// How many public keys are registered for it.
    pub keys: usize,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// When it was last given an access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

impl From<&EhrClientView> for EhrClientDto {
    fn from(c: &EhrClientView) -> Self {
        EhrClientDto {
            id: c.id.to_string(),
            name: c.name.clone(),
            scopes: c.scopes.clone(),
            keys: c.keys,
            created_at: c.created_at.to_rfc3339(),
            revoked_at: c.revoked_at.map(|t| t.to_rfc3339()),
            last_used_at: c.last_used_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EhrClientListDto {
    pub clients: Vec<EhrClientDto>,
    /// The token endpoint the EHR is configured with (the `aud` of its
    /// assertions), when this server knows its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The FHIR base URL, likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fhir_base: Option<String>,
}

/// What an administrator registers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EhrClientRequest {
    /// What the practice calls it ("Epic production"), 1 to 80 characters.
    pub name: String,
    /// SMART system scopes, space-separated: `system/Communication.read`,
    /// `system/Patient.read`, `system/Practitioner.read`,
    /// `system/Organization.read`, `system/Binary.read`, or `system/*.read`.
    pub scopes: String,
    /// The EHR's public keys as a JWK Set (JSON text): RSA (RS384) or EC
    /// P-384 (ES384) keys, each with a `kid`; never a private key.
    pub jwks: String,
}

impl From<EhrClientRequest> for NewEhrClient {
    fn from(r: EhrClientRequest) -> Self {
        NewEhrClient { name: r.name, scopes: r.scopes, jwks: r.jwks }
    }
}
