//! Passkeys (WebAuthn): the relying party's side of registering a passkey
//! and of signing in with one, as a second factor or alone (a discoverable
//! credential, no user name). `webauthn-rs` does the checks (origin, the
//! relying party's id, the challenge, the signature, user verification);
//! this module is the only code that names it. Everything crosses this
//! boundary as opaque JSON text: the options for the browser, the state
//! kept in the database between a ceremony's two requests, the credential
//! the browser answered, and the passkey to keep (its public key and
//! counter: no secret).
//!
//! A relying party needs a domain name: browsers refuse WebAuthn on an IP
//! address, so [`RelyingParty::new`] refuses one too.

use serde_json::Value;
use std::net::IpAddr;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// Why a passkey step failed. None of these carries what the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// The relying party's id is an IP address (or empty): WebAuthn needs
    /// a domain name.
    #[error("passkeys need the server's name, not an IP address")]
    NeedsName,
    /// The relying party could not be set up from its id.
    #[error("the passkey relying party cannot be set up for this name")]
    Configuration,
    /// The browser's answer is not a credential of the expected shape.
    #[error("the passkey answer is malformed")]
    Malformed,
    /// The credential did not verify (wrong origin, challenge, signature,
    /// user verification, or a passkey not offered).
    #[error("the passkey was not accepted")]
    Refused,
    /// Stored state or a stored passkey does not decode.
    #[error("stored passkey data does not decode")]
    Corrupt,
}

/// Options to give the browser, and the state to keep until it answers.
pub struct Ceremony {
    /// `{"publicKey": {...}}` (JSON text): for `navigator.credentials.create`
    /// or `.get`, binary fields in base64url.
    pub options: String,
    /// Kept on the server (single use, short-lived), never sent.
    pub state: String,
}

/// A passkey just registered.
#[derive(Debug)]
pub struct NewPasskey {
    /// The authenticator's id for it (unique across accounts).
    pub credential_id: Vec<u8>,
    /// The passkey to keep: public key, algorithm, counter (JSON).
    pub stored: String,
}

/// A passkey that signed: which, and its new stored form when its counter
/// or backup flags moved.
#[derive(Debug)]
pub struct UsedPasskey {
    pub credential_id: Vec<u8>,
    pub updated: Option<String>,
}

/// This server as a WebAuthn relying party.
pub struct RelyingParty {
    id: String,
    webauthn: Webauthn,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Whether `host` (a name without port) can be a relying party's id: a
/// domain name, never an IP address.
pub fn is_name(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    !host.is_empty()
        && bare.parse::<IpAddr>().is_err()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !host.contains("..")
}

impl RelyingParty {
    /// The relying party `id` (a domain name, lower-case: the host of the
    /// configured public address, else `localhost`), accepting origins
    /// `https://<id>` on any port. `name` is shown by some authenticators.
    pub fn new(id: &str, name: &str) -> Result<Self, PasskeyError> {
        let id = id.to_ascii_lowercase();
        if !is_name(&id) {
            return Err(PasskeyError::NeedsName);
        }
        let origin = Url::parse(&format!("https://{id}")).map_err(|_| PasskeyError::Configuration)?;
        let webauthn = WebauthnBuilder::new(&id, &origin)
            .map_err(|_| PasskeyError::Configuration)?
            .allow_any_port(true)
            .rp_name(name)
            .build()
            .map_err(|_| PasskeyError::Configuration)?;
        Ok(RelyingParty { id, webauthn })
    }

    /// The relying party's id (a domain name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Options to register a new passkey for the account `user` (its id
    /// is the credential's user handle), excluding the account's passkeys
    /// already registered. The passkey is asked to be discoverable (a
    /// resident key), so that it can also sign in without a user name,
    /// with user verification required.
    pub fn start_registration(
        &self,
        user: [u8; 16],
        user_name: &str,
        display_name: &str,
        existing: &[String],
    ) -> Result<Ceremony, PasskeyError> {
        let exclude: Vec<_> =
            existing.iter().map(|s| decode::<Passkey>(s).map(|p| p.cred_id().clone())).collect::<Result<_, _>>()?;
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(Uuid::from_bytes(user), user_name, display_name, exclude)
            .map_err(|_| PasskeyError::Configuration)?;
        let mut options = serde_json::to_value(options).map_err(|_| PasskeyError::Configuration)?;
        // webauthn-rs discourages resident keys for its passkeys (security
        // keys' storage is small); passwordless sign-in needs one. The
        // state does not check residence, so asking for it here is enough.
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(Value::as_object_mut) {
            sel.insert("residentKey".into(), Value::from("required"));
            sel.insert("requireResidentKey".into(), Value::from(true));
            sel.insert("userVerification".into(), Value::from("required"));
        }
        Ok(Ceremony { options: encode(&options)?, state: encode(&state)? })
    }

    /// Checks the browser's answer to [`Self::start_registration`] against
    /// its state: the new passkey to keep.
    pub fn finish_registration(&self, credential: &str, state: &str) -> Result<NewPasskey, PasskeyError> {
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyRegistration = decode(state)?;
        let passkey =
            self.webauthn.finish_passkey_registration(&credential, &state).map_err(|_| PasskeyError::Refused)?;
        Ok(NewPasskey { credential_id: passkey.cred_id().as_ref().to_vec(), stored: encode(&passkey)? })
    }

    /// Options to sign with one of the account's `passkeys` (stored forms;
    /// at least one), with user verification required.
    pub fn start_authentication(&self, passkeys: &[String]) -> Result<Ceremony, PasskeyError> {
        let keys: Vec<Passkey> = passkeys.iter().map(|s| decode(s)).collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(PasskeyError::Refused);
        }
        let (options, state) =
            self.webauthn.start_passkey_authentication(&keys).map_err(|_| PasskeyError::Configuration)?;
        let options = serde_json::to_value(options).map_err(|_| PasskeyError::Configuration)?;
        Ok(Ceremony { options: encode(&only_public_key(options))?, state: encode(&state)? })
    }

    /// Checks the browser's answer to [`Self::start_authentication`]: it
    /// must be signed by one of the passkeys offered.
    pub fn finish_authentication(
        &self,
        credential: &str,
        state: &str,
        passkeys: &[String],
    ) -> Result<UsedPasskey, PasskeyError> {
        let credential = public_key_credential(credential)?;
        let state: PasskeyAuthentication = decode(state)?;
        let result =
            self.webauthn.finish_passkey_authentication(&credential, &state).map_err(|_| PasskeyError::Refused)?;
        for stored in passkeys {
            let mut key: Passkey = decode(stored)?;
            if let Some(changed) = key.update_credential(&result) {
                let updated = if changed { Some(encode(&key)?) } else { None };
                return Ok(UsedPasskey { credential_id: key.cred_id().as_ref().to_vec(), updated });
            }
        }
        Err(PasskeyError::Refused)
    }

    /// Options to sign in with a discoverable passkey: no user name, no
    /// list of credentials; the authenticator offers what it holds for
    /// this relying party.
    pub fn start_discoverable(&self) -> Result<Ceremony, PasskeyError> {
        let (options, state) =
            self.webauthn.start_discoverable_authentication().map_err(|_| PasskeyError::Configuration)?;
        let options = serde_json::to_value(options).map_err(|_| PasskeyError::Configuration)?;
        // webauthn-rs asks for conditional mediation (autofill); the pages
        // sign in from a button instead.
        Ok(Ceremony { options: encode(&only_public_key(options))?, state: encode(&state)? })
    }

    /// Which account (user handle) and which of its passkeys (credential
    /// id) a discoverable answer claims, before it is checked: to look the
    /// passkey up.
    pub fn identify_discoverable(&self, credential: &str) -> Result<([u8; 16], Vec<u8>), PasskeyError> {
        let credential = public_key_credential(credential)?;
        let (user, id) =
            self.webauthn.identify_discoverable_authentication(&credential).map_err(|_| PasskeyError::Malformed)?;
        Ok((*user.as_bytes(), id.to_vec()))
    }

    /// Checks a discoverable answer against its state and the passkey
    /// [`Self::identify_discoverable`] led to.
    pub fn finish_discoverable(
        &self,
        credential: &str,
        state: &str,
        passkey: &str,
    ) -> Result<UsedPasskey, PasskeyError> {
        let credential = public_key_credential(credential)?;
        let state: DiscoverableAuthentication = decode(state)?;
        let mut key: Passkey = decode(passkey)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication(&credential, state, &[DiscoverableKey::from(&key)])
            .map_err(|_| PasskeyError::Refused)?;
        let changed = key.update_credential(&result).ok_or(PasskeyError::Refused)?;
        let updated = if changed { Some(encode(&key)?) } else { None };
        Ok(UsedPasskey { credential_id: key.cred_id().as_ref().to_vec(), updated })
    }
}

fn public_key_credential(credential: &str) -> Result<PublicKeyCredential, PasskeyError> {
    serde_json::from_str(credential).map_err(|_| PasskeyError::Malformed)
}

/// `{"publicKey": ...}` alone (no `mediation`).
fn only_public_key(mut options: Value) -> Value {
    let public_key = options.get_mut("publicKey").map(Value::take).unwrap_or(Value::Null);
    serde_json::json!({ "publicKey": public_key })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|_| PasskeyError::Corrupt)
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|_| PasskeyError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ip_addresses_and_odd_names_are_refused() {
        for bad in ["127.0.0.1", "::1", "[::1]", "10.1.2.3", "", ".localhost", "a..b", "exa mple.org", "x/y"] {
            assert_eq!(RelyingParty::new(bad, "t").unwrap_err(), PasskeyError::NeedsName, "{bad}");
        }
        for good in ["localhost", "messages.example.org", "Clinic.Example"] {
            let rp = RelyingParty::new(good, "Switchboard").unwrap();
            assert_eq!(rp.id(), good.to_ascii_lowercase());
        }
    }

    #[test]
    fn registration_asks_for_a_discoverable_user_verified_passkey() {
        let rp = RelyingParty::new("localhost", "Switchboard").unwrap();
        let c = rp.start_registration([7; 16], "pat", "Pat", &[]).unwrap();
        let options: Value = serde_json::from_str(&c.options).unwrap();
        let pk = &options["publicKey"];
        assert_eq!(pk["rp"]["id"], "localhost");
        assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(pk["authenticatorSelection"]["requireResidentKey"], true);
        assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
        assert!(pk["challenge"].as_str().is_some_and(|s| s.len() >= 43), "{pk}");
        // The state is kept server-side and is not the options.
        assert!(!c.state.is_empty());
        // Two ceremonies never share a challenge.
        let d = rp.start_registration([7; 16], "pat", "Pat", &[]).unwrap();
        let again: Value = serde_json::from_str(&d.options).unwrap();
        assert_ne!(pk["challenge"], again["publicKey"]["challenge"]);
    }

    #[test]
    fn discoverable_options_name_no_credentials_and_no_mediation() {
        let rp = RelyingParty::new("localhost", "Switchboard").unwrap();
        let c = rp.start_discoverable().unwrap();
        let options: Value = serde_json::from_str(&c.options).unwrap();
        assert!(options.get("mediation").is_none());
        assert_eq!(options["publicKey"]["rpId"], "localhost");
        assert_eq!(options["publicKey"]["userVerification"], "required");
        let allowed = &options["publicKey"]["allowCredentials"];
        assert!(allowed.is_null() || allowed.as_array().is_some_and(Vec::is_empty), "{allowed}");
    }

    #[test]
    fn garbage_answers_are_malformed_and_forged_ones_refused() {
        let rp = RelyingParty::new("localhost", "Switchboard").unwrap();
        let reg = rp.start_registration([1; 16], "pat", "Pat", &[]).unwrap();
        for garbage in ["", "null", "{}", "\"x\"", "{\"id\": 5}", "[1, 2]", "{"] {
            assert_eq!(rp.finish_registration(garbage, &reg.state).unwrap_err(), PasskeyError::Malformed);
        }
        // Well-formed but made up: refused by the checks, not by the shape.
        let forged = json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
            "response": {"attestationObject": "o2NmbXRkbm9uZQ", "clientDataJSON":
                "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiQUFBQSIsIm9yaWdpbiI6Imh0dHBzOi8vZXZpbC5leGFtcGxlIn0"}
        })
        .to_string();
        assert_eq!(rp.finish_registration(&forged, &reg.state).unwrap_err(), PasskeyError::Refused);
        // State that is not state.
        assert_eq!(rp.finish_registration(&forged, "{}").unwrap_err(), PasskeyError::Corrupt);
        let auth = rp.start_discoverable().unwrap();
        let assertion = json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
            "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA"}
        })
        .to_string();
        // A user handle that is not an account id.
        assert_eq!(rp.identify_discoverable(&assertion).unwrap_err(), PasskeyError::Malformed);
        assert!(rp.start_authentication(&[]).is_err());
        assert_eq!(rp.finish_discoverable(&assertion, &auth.state, "{}").unwrap_err(), PasskeyError::Corrupt);
    }
}
