//! What a courier's configuration may say, and the one rule both protocols
//! share: a connection without TLS goes only to this machine.

use url::Host;

/// A courier's settings were refused. Each message names the rule that was
/// broken and, at most, the host: never a password, a token or the rest of
/// the URL (which may carry them).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CourierConfigError {
    #[error("the {what} URL is not a valid URL")]
    Unparsable { what: &'static str },
    #[error("the {what} URL names no host")]
    NoHost { what: &'static str },
    #[error(
        "the SMTP URL must start with smtps:// (TLS from the start) or smtp:// (with ?tls=required, or to a loopback address)"
    )]
    SmtpScheme,
    #[error("the SMS gateway URL must start with https:// (or http:// to a loopback address)")]
    GatewayScheme,
    #[error(
        "{what} without TLS is allowed only to a loopback address (127.0.0.0/8, ::1, localhost), not to {host}: use {fix}"
    )]
    PlainNotLoopback { what: &'static str, host: String, fix: &'static str },
    #[error("the SMTP URL has an unknown option {name:?}: the only one is tls=required, with smtp://")]
    SmtpOption { name: String },
    #[error("the SMTP URL has a path: it takes none")]
    SmtpPath,
    #[error("the SMTP URL's user name or password is not valid percent-encoded UTF-8")]
    SmtpCredentials,
    #[error("the sender address is not a valid mailbox (\"Name <user@example.org>\" or \"user@example.org\")")]
    Sender,
    #[error("the SMS gateway URL must not carry credentials: give the account and token separately")]
    GatewayCredentials,
    #[error("the SMS gateway's {field} must not be empty")]
    GatewayEmpty { field: &'static str },
    #[error("the {what} client could not be set up ({problem})")]
    Client { what: &'static str, problem: &'static str },
}

/// Whether a host is this machine: 127.0.0.0/8, `::1` or `localhost`. Only
/// these may be reached without TLS, since nothing on the way can read or
/// change what is sent.
pub(crate) fn is_loopback<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        // `url` has already lowercased a special scheme's domain, but not an
        // opaque one's (`smtp:`).
        Host::Domain(name) => name.as_ref().eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_127_8_the_ipv6_one_and_localhost() {
        for yes in ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LocalHost"] {
            let host = Host::parse(yes).unwrap();
            assert!(is_loopback(&host), "{yes}");
        }
        for no in ["128.0.0.1", "10.0.0.1", "[::2]", "localhost.example.org", "mail.example.org", "0.0.0.0"] {
            let host = Host::parse(no).unwrap();
            assert!(!is_loopback(&host), "{no}");
        }
    }
}
