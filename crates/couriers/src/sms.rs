//! Text messages through a Twilio-shaped gateway: a form POST of `To`,
//! `From` and `Body` with HTTP basic authentication (account, token), and
//! the check of the signature the gateway puts on the requests it makes to
//! us (delivery reports, replies such as STOP).

use crate::CourierConfigError;
use crate::config::is_loopback;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;
use switchboard_domain::notify::Medium;
use switchboard_service::delivery::{Address, Courier, CourierError, CourierFuture, Outbound, Sent};
use url::Url;

/// How long connecting may take, and then the whole exchange.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(30);
/// The most of an answer that is read: the gateway's answers are a few
/// hundred bytes; more is not read into memory.
const MAX_ANSWER: usize = 64 * 1024;
/// Twilio's error for a recipient who has replied STOP to this sender.
const TWILIO_UNSUBSCRIBED: u64 = 21610;

/// Sends text messages through one gateway account.
pub struct SmsGateway {
    client: reqwest::Client,
    url: Url,
    account: String,
    token: String,
    from: String,
}

// The token is a credential (and the key of the gateway's signatures).
impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsGateway")
            .field("url", &self.url.as_str())
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl SmsGateway {
    /// A gateway at `gateway_url` (for Twilio,
    /// `https://api.twilio.com/2010-04-01/Accounts/{account}/Messages.json`),
    /// signed in as `account` with `token`, sending from `from` (a number in
    /// E.164, or the gateway's sender id). The URL must be `https://`, or
    /// `http://` to a loopback address.
    pub fn new(gateway_url: &str, account: &str, token: &str, from: &str) -> Result<Self, CourierConfigError> {
        let url = Url::parse(gateway_url).map_err(|_| CourierConfigError::Unparsable { what: "SMS gateway" })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CourierConfigError::GatewayCredentials);
        }
        let host = url.host().ok_or(CourierConfigError::NoHost { what: "SMS gateway" })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(CourierConfigError::PlainNotLoopback {
                    what: "the SMS gateway",
                    host: host.to_string(),
                    fix: "https://",
                });
            }
            _ => return Err(CourierConfigError::GatewayScheme),
        }
        for (field, value) in [("account", account), ("token", token), ("sender", from)] {
            if value.trim().is_empty() {
                return Err(CourierConfigError::GatewayEmpty { field });
            }
        }
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::client_config("SMS gateway")?)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            // An answer is the gateway's or nothing: a redirect is not
            // followed with the message and credentials.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| CourierConfigError::Client { what: "SMS gateway", problem: "HTTP client" })?;
        Ok(Self { client, url, account: account.to_owned(), token: token.to_owned(), from: from.to_owned() })
    }

    async fn post(&self, to: &str, body: &str) -> Result<Sent, CourierError> {
        let form = [("To", to), ("From", self.from.as_str()), ("Body", body)];
        let answer = self
            .client
            .post(self.url.clone())
            .basic_auth(&self.account, Some(&self.token))
            .form(&form)
            .send()
            .await
            .map_err(|e| CourierError::Retry(if e.is_timeout() { "sms_timeout" } else { "sms_unavailable" }))?;
        let status = answer.status();
        // A failure to read the rest of an answer whose status was read
        // loses only its details.
        let body = read_capped(answer).await.unwrap_or_default();
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        if status.is_success() {
            let provider_ref = json
                .as_ref()
                .and_then(|j| j.get("sid"))
                .and_then(|s| s.as_str())
                .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(str::to_owned);
            return Ok(Sent { provider_ref });
        }
        Err(classify(status, json.as_ref()))
    }
}

/// What a gateway's refusal means for the message.
fn classify(status: reqwest::StatusCode, json: Option<&serde_json::Value>) -> CourierError {
    let code = json.and_then(|j| j.get("code")).and_then(serde_json::Value::as_u64);
    match status.as_u16() {
        400 if code == Some(TWILIO_UNSUBSCRIBED) => CourierError::Refused("sms_opted_out"),
        // Our account or token was refused: the settings are wrong, not this
        // message, so it waits for them to be fixed rather than failing for
        // good.
        401 | 403 => CourierError::Retry("sms_auth_failed"),
        408 => CourierError::Retry("sms_timeout"),
        429 => CourierError::Retry("sms_throttled"),
        400..=499 => CourierError::Refused("sms_rejected"),
        500..=599 => CourierError::Retry("sms_unavailable"),
        // 1xx or 3xx: not what a gateway answers a message with.
        _ => CourierError::Retry("sms_unexpected_answer"),
    }
}

async fn read_capped(mut answer: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await? {
        let room = MAX_ANSWER.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if body.len() >= MAX_ANSWER {
            break;
        }
    }
    Ok(body)
}

impl Courier for SmsGateway {
    fn medium(&self) -> Medium {
        Medium::Sms
    }

    fn send<'a>(&'a self, outbound: Outbound<'a>) -> CourierFuture<'a> {
        Box::pin(async move {
            let Address::Phone(to) = outbound.to else {
                return Err(CourierError::Refused("not_a_phone_number"));
            };
            self.post(to, &outbound.words.sms).await
        })
    }
}

/// What the gateway signs: the full URL it requested, then each POST
/// parameter's name and value, in order of name (then value).
fn signed_text(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.to_owned();
    for (name, value) in sorted {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// The `X-Twilio-Signature` of a request to `url` with the POST parameters
/// `params`: base64 of HMAC-SHA1, keyed with the auth token, over the URL
/// followed by each parameter's name and value sorted by name (Twilio's
/// "Validating requests" algorithm).
pub fn twilio_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(switchboard_crypto::sms_signature(token.as_bytes(), signed_text(url, params).as_bytes()))
}

/// Whether `presented` (the request's `X-Twilio-Signature`) is the
/// gateway's signature of this request, compared in constant time. `url`
/// must be the URL exactly as the gateway requested it (scheme, host, port
/// as configured there, path and query).
pub fn verify_twilio_signature(token: &str, url: &str, params: &[(String, String)], presented: &str) -> bool {
    let Ok(tag) = STANDARD.decode(presented.trim()) else {
        return false;
    };
    switchboard_crypto::verify_sms_signature(token.as_bytes(), signed_text(url, params).as_bytes(), &tag)
}

impl switchboard_service::delivery::InboundSignature for SmsGateway {
    fn verify(&self, url: &str, params: &[(String, String)], presented: &str) -> bool {
        verify_twilio_signature(&self.token, url, params, presented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    // The vectors are Twilio's own: twilio-python's
    // tests/unit/test_request_validator.py (auth token "12345", the URL
    // below, and the signatures its `compute_signature` must give).
    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilio_signature_matches_twilios_examples() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]);
        assert_eq!(twilio_signature(TOKEN, URL, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify_twilio_signature(TOKEN, URL, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

        // A repeated name: sorted by name, then value.
        let repeated = pairs(&[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]);
        assert_eq!(twilio_signature(TOKEN, URL, &repeated), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");

        // The URL is signed as given: with an explicit port, another signature.
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(twilio_signature(TOKEN, with_port, &params), "kvajT1Ptam85bY51eRf/AJRuM3w=");
    }

    #[test]
    fn any_change_fails_verification() {
        let params = pairs(&[("Body", "STOP"), ("From", "+15555550123")]);
        let good = twilio_signature(TOKEN, URL, &params);
        assert!(verify_twilio_signature(TOKEN, URL, &params, &good));
        assert!(!verify_twilio_signature("12346", URL, &params, &good));
        assert!(!verify_twilio_signature(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", &params, &good));
        let changed = pairs(&[("Body", "START"), ("From", "+15555550123")]);
        assert!(!verify_twilio_signature(TOKEN, URL, &changed, &good));
        assert!(!verify_twilio_signature(TOKEN, URL, &params, ""));
        assert!(!verify_twilio_signature(TOKEN, URL, &params, "not base64!"));
        assert!(!verify_twilio_signature(TOKEN, URL, &params, &good[..good.len() - 4]));
    }

    #[test]
    fn the_gateway_url_is_https_or_loopback() {
        let ok = |url: &str| SmsGateway::new(url, "AC1", "secret-token", "+15555550100");
        ok("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json").unwrap();
        ok("http://127.0.0.1:8080/messages").unwrap();
        ok("http://[::1]:8080/messages").unwrap();
        ok("http://localhost/messages").unwrap();
        let error = ok("http://api.twilio.com/messages").unwrap_err();
        assert!(matches!(&error, CourierConfigError::PlainNotLoopback { host, .. } if host == "api.twilio.com"));
        assert!(error.to_string().contains("loopback"), "{error}");
        assert_eq!(ok("ftp://127.0.0.1/").unwrap_err(), CourierConfigError::GatewayScheme);
        assert_eq!(ok("https://AC1:secret@api.twilio.com/").unwrap_err(), CourierConfigError::GatewayCredentials);
        assert_eq!(
            SmsGateway::new("https://api.twilio.com/", "AC1", " ", "+1555").unwrap_err(),
            CourierConfigError::GatewayEmpty { field: "token" }
        );
        let shown = format!("{:?}", ok("https://api.twilio.com/").unwrap());
        assert!(!shown.contains("secret-token"), "{shown}");
    }
}
