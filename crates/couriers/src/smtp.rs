//! Email over SMTP with `lettre`: one pooled connection set per node, TLS
//! from the start (`smtps://`) or STARTTLS required (`smtp://…?tls=required`),
//! and plain SMTP only to a relay on this machine.

use crate::CourierConfigError;
use crate::config::is_loopback;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, Error as SmtpError};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::OnceLock;
use std::time::Duration;
use switchboard_domain::notify::Medium;
use switchboard_service::delivery::{Address, Courier, CourierError, CourierFuture, Outbound, Sent};
use url::{Host, Url};

/// How long connecting, and then each SMTP command, may take. A server
/// slower than this is treated as down and the message retried later,
/// rather than holding a delivery job.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends email through one SMTP server. Its pooled connections belong to
/// the tokio runtime of its first `send`: one courier per runtime (the
/// server has one).
pub struct SmtpCourier {
    /// Kept until the first message: building the pool spawns its cleanup
    /// task, which needs the runtime that `send` runs on (the constructor
    /// may run before there is one).
    builder: AsyncSmtpTransportBuilder,
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    /// The sender's domain in ASCII (IDNA), for `Message-ID`.
    domain: String,
    host: String,
    port: u16,
}

// The builder holds the password: only where the courier connects is shown.
impl std::fmt::Debug for SmtpCourier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpCourier").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

/// How the connection is protected, from the URL's scheme and options.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Security {
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
    /// `smtp://…?tls=required`: STARTTLS, and nothing is sent if the server
    /// does not offer it (port 587).
    StartTls,
    /// `smtp://` to a loopback address: a local relay (port 25).
    Plain,
}

impl SmtpCourier {
    /// A courier for the server at `url`, sending as `from`:
    ///
    /// - `smtps://[user:password@]host[:465]`: implicit TLS;
    /// - `smtp://[user:password@]host[:587]?tls=required`: STARTTLS required;
    /// - `smtp://host[:25]`: no TLS, only when `host` is 127.0.0.0/8, `::1` or
    ///   `localhost`.
    ///
    /// The user name and password are percent-decoded. `from` is a mailbox
    /// (`Clinic <notify@clinic.example>`).
    pub fn from_url(url: &str, from: &str) -> Result<Self, CourierConfigError> {
        let parsed = Url::parse(url).map_err(|_| CourierConfigError::Unparsable { what: "SMTP" })?;
        let security = match parsed.scheme() {
            "smtps" => Security::Implicit,
            "smtp" => Security::Plain,
            _ => return Err(CourierConfigError::SmtpScheme),
        };
        let mut tls_required = false;
        for (name, value) in parsed.query_pairs() {
            match (&*name, &*value) {
                ("tls", "required") if security == Security::Plain && !tls_required => tls_required = true,
                _ => return Err(CourierConfigError::SmtpOption { name: name.into_owned() }),
            }
        }
        let security = if tls_required { Security::StartTls } else { security };
        if !matches!(parsed.path(), "" | "/") {
            return Err(CourierConfigError::SmtpPath);
        }
        // `smtp:` is not a special scheme to `url`, so its host arrives
        // unparsed: parse it as a host (IPv4 forms, IDNA, case) to judge it,
        // and connect to that same canonical form.
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .and_then(|h| Host::parse(h).ok())
            .ok_or(CourierConfigError::NoHost { what: "SMTP" })?;
        if security == Security::Plain && !is_loopback(&host) {
            return Err(CourierConfigError::PlainNotLoopback {
                what: "SMTP",
                host: host.to_string(),
                fix: "smtps://host or smtp://host:587?tls=required",
            });
        }
        let server = match &host {
            Host::Domain(name) => name.clone(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        let port = parsed.port().unwrap_or(match security {
            Security::Implicit => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });

        let from: Mailbox = from.parse().map_err(|_| CourierConfigError::Sender)?;
        let domain = match Host::parse(from.email.domain()) {
            Ok(Host::Domain(ascii)) => ascii,
            _ => return Err(CourierConfigError::Sender),
        };

        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.clone()).port(port).timeout(Some(TIMEOUT));
        builder = match security {
            Security::Plain => builder.tls(Tls::None),
            Security::Implicit | Security::StartTls => {
                let parameters = TlsParameters::new(server.clone())
                    .map_err(|_| CourierConfigError::Client { what: "SMTP", problem: "TLS settings" })?;
                builder.tls(if security == Security::Implicit {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                })
            }
        };
        if let Some((user, password)) = credentials(&parsed)? {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self { builder, transport: OnceLock::new(), from, domain, host: server, port })
    }

    /// The message as it goes out: multipart/alternative (text, then HTML),
    /// a `Message-ID` made from the delivery id, so that every attempt at one
    /// delivery is the same message to the receiving side, and the one-click
    /// unsubscribe headers (RFC 2369, RFC 8058) for reminders.
    fn message(&self, outbound: &Outbound<'_>) -> Result<Message, CourierError> {
        let Address::Email(to) = outbound.to else {
            return Err(CourierError::Refused("not_an_email_address"));
        };
        let to: Mailbox = to.parse().map_err(|_| CourierError::Refused("email_address_invalid"))?;
        let words = outbound.words;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(words.subject.clone())
            .message_id(Some(format!("<{}@{}>", outbound.id, self.domain)))
            .date_now();
        if let Some(link) = outbound.unsubscribe {
            // The link goes between angle brackets in a header: anything
            // that could end it or the header is our own bug, not a message.
            if link.is_empty() || !link.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>') {
                return Err(CourierError::Refused("unsubscribe_link_invalid"));
            }
            builder = builder.raw_header(header("List-Unsubscribe", format!("<{link}>"))?);
            // A POST of `List-Unsubscribe=One-Click` to the link turns
            // reminder emails off (a GET only shows a page with a button).
            // RFC 8058 allows one-click only for an https link.
            if link.starts_with("https://") {
                builder = builder.raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned())?);
            }
        }
        builder
            .multipart(MultiPart::alternative_plain_html(words.text.clone(), words.html.clone()))
            .map_err(|_| CourierError::Refused("email_unbuildable"))
    }
}

/// The URL's user name and password, percent-decoded.
fn credentials(url: &Url) -> Result<Option<(String, String)>, CourierConfigError> {
    if url.username().is_empty() {
        return Ok(None);
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|d| d.into_owned())
            .map_err(|_| CourierConfigError::SmtpCredentials)
    };
    Ok(Some((decode(url.username())?, decode(url.password().unwrap_or(""))?)))
}

fn header(name: &'static str, value: String) -> Result<HeaderValue, CourierError> {
    let name = HeaderName::new_from_ascii(name.to_owned()).map_err(|_| CourierError::Refused("email_unbuildable"))?;
    Ok(HeaderValue::new(name, value))
}

impl Courier for SmtpCourier {
    fn medium(&self) -> Medium {
        Medium::Email
    }

    fn send<'a>(&'a self, outbound: Outbound<'a>) -> CourierFuture<'a> {
        Box::pin(async move {
            let message = self.message(&outbound)?;
            let transport = self.transport.get_or_init(|| self.builder.clone().build());
            transport.send(message).await.map_err(|e| classify(&e))?;
            Ok(Sent { provider_ref: None })
        })
    }
}

/// What an SMTP failure means for the message. The server's own text is
/// dropped: it may repeat the address.
fn classify(error: &SmtpError) -> CourierError {
    if let Some(code) = error.status() {
        if !error.is_permanent() {
            return CourierError::Retry("smtp_deferred");
        }
        return match code.to_string().as_str() {
            // Our credentials were refused, or the server wants them (or TLS)
            // first: the server's settings are wrong, not this message, so it
            // waits for them to be fixed rather than failing for good.
            "530" | "534" | "535" | "538" => CourierError::Retry("smtp_auth_failed"),
            _ => CourierError::Refused("smtp_rejected"),
        };
    }
    if error.is_timeout() || io_kind(error) == Some(std::io::ErrorKind::TimedOut) {
        CourierError::Retry("smtp_timeout")
    } else if error.is_tls() || tls_failure(error) {
        CourierError::Retry("smtp_tls_failed")
    } else if error.is_client() {
        // For example STARTTLS required but not offered, or no common
        // authentication mechanism: the server or our settings are wrong.
        CourierError::Retry("smtp_misconfigured")
    } else {
        // Refused or dropped connections, unresolvable hosts, garbled
        // answers, a transport shut down.
        CourierError::Retry("smtp_unavailable")
    }
}

/// The errors under `error`, including those an `io::Error` wraps (whose
/// `source` skips the wrapped error itself).
fn causes<'a>(error: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        out.push(e);
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            out.push(inner);
        }
        next = e.source();
    }
    out
}

/// Whether the TLS handshake itself failed (a bad certificate, a server
/// that does not speak TLS on this port), as opposed to the network.
fn tls_failure(error: &SmtpError) -> bool {
    causes(error).iter().any(|e| e.is::<rustls::Error>())
}

fn io_kind(error: &SmtpError) -> Option<std::io::ErrorKind> {
    causes(error).iter().find_map(|e| e.downcast_ref::<std::io::Error>()).map(std::io::Error::kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Clinic <notify@clinic.example>";

    fn refused(url: &str) -> CourierConfigError {
        SmtpCourier::from_url(url, FROM).unwrap_err()
    }

    #[test]
    fn plain_smtp_is_refused_beyond_this_machine() {
        let error = refused("smtp://mail.example.org:25");
        assert!(matches!(&error, CourierConfigError::PlainNotLoopback { host, .. } if host == "mail.example.org"));
        let text = error.to_string();
        assert!(text.contains("loopback"), "{text}");
        assert!(text.contains("tls=required"), "{text}");
        // Every spelling of "not this machine".
        for url in ["smtp://10.0.0.1", "smtp://[2001:db8::1]:2525", "smtp://localhost.example.org", "smtp://0.0.0.0"] {
            assert!(matches!(refused(url), CourierConfigError::PlainNotLoopback { .. }), "{url}");
        }
    }

    #[test]
    fn tls_urls_and_loopback_relays_are_accepted() {
        let starttls = SmtpCourier::from_url("smtp://mail.example.org:587?tls=required", FROM).unwrap();
        assert_eq!((starttls.host.as_str(), starttls.port), ("mail.example.org", 587));
        let starttls = SmtpCourier::from_url("smtp://mail.example.org?tls=required", FROM).unwrap();
        assert_eq!(starttls.port, 587);
        let implicit = SmtpCourier::from_url("smtps://mail.example.org", FROM).unwrap();
        assert_eq!((implicit.host.as_str(), implicit.port), ("mail.example.org", 465));
        let implicit = SmtpCourier::from_url("smtps://mail.example.org:2465", FROM).unwrap();
        assert_eq!(implicit.port, 2465);
        let local = SmtpCourier::from_url("smtp://127.0.0.1:2525", FROM).unwrap();
        assert_eq!((local.host.as_str(), local.port), ("127.0.0.1", 2525));
        let local = SmtpCourier::from_url("smtp://[::1]:2525", FROM).unwrap();
        assert_eq!(local.host, "::1");
        let local = SmtpCourier::from_url("smtp://LOCALHOST", FROM).unwrap();
        assert_eq!((local.host.as_str(), local.port), ("localhost", 25));
    }

    #[test]
    fn other_schemes_options_and_paths_are_refused() {
        assert_eq!(refused("http://mail.example.org"), CourierConfigError::SmtpScheme);
        assert_eq!(refused("not a url"), CourierConfigError::Unparsable { what: "SMTP" });
        assert_eq!(
            refused("smtp://mail.example.org?tls=opportunistic"),
            CourierConfigError::SmtpOption { name: "tls".into() }
        );
        assert_eq!(
            refused("smtps://mail.example.org?tls=required"),
            CourierConfigError::SmtpOption { name: "tls".into() }
        );
        assert_eq!(
            refused("smtp://mail.example.org?tls=required&helo=x"),
            CourierConfigError::SmtpOption { name: "helo".into() }
        );
        assert_eq!(refused("smtps://mail.example.org/ehlo.example"), CourierConfigError::SmtpPath);
        assert_eq!(refused("smtps://"), CourierConfigError::NoHost { what: "SMTP" });
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_echoed() {
        let url = "smtps://notify%40clinic.example:p%40ss%3Aw0rd@mail.example.org";
        let parsed = Url::parse(url).unwrap();
        assert_eq!(credentials(&parsed).unwrap(), Some(("notify@clinic.example".into(), "p@ss:w0rd".into())));
        let parsed = Url::parse("smtps://relay-user@mail.example.org").unwrap();
        assert_eq!(credentials(&parsed).unwrap(), Some(("relay-user".into(), String::new())));
        assert_eq!(credentials(&Url::parse("smtps://mail.example.org").unwrap()).unwrap(), None);
        let courier = SmtpCourier::from_url(url, FROM).unwrap();
        let shown = format!("{courier:?}");
        assert!(!shown.contains("p@ss") && !shown.contains("p%40ss"), "{shown}");

        let secret = "hunter2-secret";
        for url in [
            format!("smtp://user:{secret}@mail.example.org:25"),
            format!("smtp://user:{secret}@mail.example.org?tls=maybe"),
            format!("smtp://user:{secret}@mail.example.org/path"),
            format!("ftp://user:{secret}@mail.example.org"),
            format!("smtps://user:{secret}%ff@mail.example.org"),
            format!("smtps://user:{secret}@"),
        ] {
            let error = refused(&url);
            assert!(!error.to_string().contains(secret) && !format!("{error:?}").contains(secret), "{error}");
        }
        assert_eq!(refused("smtps://user:%ff@mail.example.org"), CourierConfigError::SmtpCredentials);
        let secret_sender = SmtpCourier::from_url(&format!("smtps://u:{secret}@mail.example.org"), "not a mailbox");
        assert_eq!(secret_sender.unwrap_err(), CourierConfigError::Sender);
    }

    #[test]
    fn the_sender_must_be_a_mailbox() {
        assert_eq!(
            SmtpCourier::from_url("smtps://mail.example.org", "nobody").unwrap_err(),
            CourierConfigError::Sender
        );
        let plain = SmtpCourier::from_url("smtps://mail.example.org", "notify@clinic.example").unwrap();
        assert_eq!(plain.domain, "clinic.example");
        // The Message-ID's domain is ASCII even when the sender's is not.
        let idn = SmtpCourier::from_url("smtps://mail.example.org", "notify@klinik-ö.example").unwrap();
        assert_eq!(idn.domain, "xn--klinik--g1a.example");
    }
}
