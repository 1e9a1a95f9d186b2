//! Self-signed certificates for the demo and for tests.

use crate::CryptoError;

/// A certificate and private key in PEM.
pub struct SelfSigned {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A self-signed certificate for `names` (DNS names or IP addresses).
pub fn self_signed(names: &[&str]) -> Result<SelfSigned, CryptoError> {
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let ck = rcgen::generate_simple_self_signed(names).map_err(|_| CryptoError::Certificate)?;
    Ok(SelfSigned { cert_pem: ck.cert.pem(), key_pem: ck.signing_key.serialize_pem() })
}
