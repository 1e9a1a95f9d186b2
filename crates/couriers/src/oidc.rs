//! The HTTP side of single sign-on: fetching a practice's OpenID Connect
//! provider's discovery document and keys, and exchanging a code at its
//! token endpoint (`switchboard_service::sso::ProviderClient`). reqwest on
//! rustls with ring and the Mozilla roots (the couriers' TLS settings); no
//! redirect is followed (a provider answers where it says it does), every
//! answer is read to at most 256 KiB within 10 seconds. It reads JSON and
//! checks nothing: the service verifies what it is given. Errors are the
//! seam's fixed codes, never the provider's words.

use crate::CourierConfigError;
use std::time::Duration;
use switchboard_service::sso::{ClientAuth, Discovery, ProviderClient, ProviderError, ProviderFuture, TokenRequest};

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BODY: usize = 256 * 1024;

/// Reaches identity providers over HTTPS (or plain HTTP on loopback, which
/// the practice's settings allow only for tests and the demo).
pub struct OidcHttp {
    client: reqwest::Client,
}

impl std::fmt::Debug for OidcHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OidcHttp")
    }
}

impl OidcHttp {
    pub fn new() -> Result<Self, CourierConfigError> {
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::client_config("identity provider")?)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| CourierConfigError::Client { what: "identity provider", problem: "HTTP client" })?;
        Ok(OidcHttp { client })
    }
}

/// The body of a successful answer, at most [`MAX_BODY`] bytes.
async fn body(mut res: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    let status = res.status();
    if status.is_server_error() {
        return Err(ProviderError::Unreachable);
    }
    if !status.is_success() {
        return Err(ProviderError::Refused);
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|_| ProviderError::Unreachable)? {
        if out.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::Malformed);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn json(bytes: &[u8]) -> Result<serde_json::Value, ProviderError> {
    serde_json::from_slice(bytes).map_err(|_| ProviderError::Malformed)
}

fn text(v: &serde_json::Value, key: &str) -> Result<String, ProviderError> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_owned).ok_or(ProviderError::Malformed)
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl ProviderClient for OidcHttp {
    fn discover<'a>(&'a self, url: &'a str) -> ProviderFuture<'a, Discovery> {
        Box::pin(async move {
            let res = self.client.get(url).send().await.map_err(|_| ProviderError::Unreachable)?;
            let doc = json(&body(res).await?)?;
            let methods = doc
                .get("token_endpoint_auth_methods_supported")
                .and_then(|m| m.as_array())
                .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            Ok(Discovery {
                issuer: text(&doc, "issuer")?,
                authorization_endpoint: text(&doc, "authorization_endpoint")?,
                token_endpoint: text(&doc, "token_endpoint")?,
                jwks_uri: text(&doc, "jwks_uri")?,
                token_auth_methods: methods,
            })
        })
    }

    fn jwks<'a>(&'a self, url: &'a str) -> ProviderFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let res = self.client.get(url).send().await.map_err(|_| ProviderError::Unreachable)?;
            body(res).await
        })
    }

    fn exchange<'a>(&'a self, r: TokenRequest<'a>) -> ProviderFuture<'a, String> {
        Box::pin(async move {
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", r.code),
                ("redirect_uri", r.redirect_uri),
                ("code_verifier", r.code_verifier),
            ];
            let mut req = self.client.post(r.endpoint).header("accept", "application/json");
            match r.auth {
                ClientAuth::Basic => {
                    // RFC 6749 §2.3.1: each part form-encoded before Basic.
                    req = req.basic_auth(form_encode(r.client_id), Some(form_encode(r.client_secret)));
                }
                ClientAuth::Post => {
                    form.push(("client_id", r.client_id));
                    form.push(("client_secret", r.client_secret));
                }
            }
            let res = req.form(&form).send().await.map_err(|_| ProviderError::Unreachable)?;
            let answer = json(&body(res).await?)?;
            text(&answer, "id_token")
        })
    }
}
