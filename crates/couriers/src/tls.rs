//! The TLS client settings for the couriers' HTTPS: rustls on ring (the
//! tree's one provider, chosen here rather than taken from a process
//! default so nothing depends on `main` having installed one) and the
//! Mozilla roots from `webpki-roots`, so no machine's certificate store is
//! read.

use crate::CourierConfigError;
use std::sync::Arc;

pub(crate) fn client_config(what: &'static str) -> Result<rustls::ClientConfig, CourierConfigError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|_| CourierConfigError::Client { what, problem: "no TLS protocol version" })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
