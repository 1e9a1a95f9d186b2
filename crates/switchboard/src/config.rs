//! Configuration: defaults, then a TOML file, then `SWITCHBOARD_*`
//! environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Where the SQLite database, the key file (by default) and generated
    /// certificates live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// The master key file. Defaults to `<data_dir>/master.key`. In
    /// production keep it outside the data directory and its backups.
    /// `SWITCHBOARD_MASTER_KEY` (the file's text) takes precedence.
    pub master_key_file: Option<PathBuf>,
    pub tls: TlsSettings,
    /// Serve plain HTTP: only behind a proxy that terminates TLS.
    pub insecure_http: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub sessions: SessionSettings,
    /// The longest message a patient may send, in characters.
    pub message_max_chars: usize,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Connections in the read pool.
    pub read_connections: u32,
    /// How long a request waits for the database (a pooled connection, or
    /// the writer reaching the database) before it answers 503 with
    /// `Retry-After`, in milliseconds. Short, so that during an outage or a
    /// restart of the database requests fail fast instead of piling up.
    pub database_timeout_millis: u64,
    /// Run background jobs in this process (every node may; each job runs
    /// once).
    pub run_jobs: bool,
    /// Jobs this process runs at once (deliveries, pages, alerts,
    /// housekeeping).
    pub job_workers: usize,
    /// How often an open live stream re-checks its session, in
    /// milliseconds (it closes when the session ends).
    pub live_session_check_millis: u64,
    /// How long a pool member has to act on a conversation given to them
    /// before it goes back to the pool for the next member, in minutes.
    pub assignment_timeout_minutes: std::num::NonZeroU32,
    /// The address people open (`https://messages.example.org`), for the
    /// set-up, invitation and reset links handed to them. Unset: the address
    /// each request came to, if it is local or in `allowed_hosts`.
    pub public_url: Option<String>,
    /// With `public_url` unset, the host names (`messages.example.org`, or
    /// with a port, `messages.example.org:8443`) besides local ones that
    /// links may be made for. A request to any other host gets no link: its
    /// `Host` header may be forged.
    pub allowed_hosts: Vec<String>,
    pub limits: LimitSettings,
    pub attachments: AttachmentSettings,
    /// The SMTP server notifications leave by: `smtps://host:465` (TLS),
    /// `smtp://host:587?tls=required` (STARTTLS), or plain `smtp://` only to
    /// this machine (a local relay). `user:password@` may be in the URL.
    /// Unset: nothing is emailed, and administrators see what would have
    /// been in the outbox.
    pub smtp_url: Option<String>,
    /// The sender of those emails (`Riverside Messages <noreply@example.org>`).
    pub smtp_from: Option<String>,
    /// The SMS gateway (Twilio's request shape): a form POST with `To`,
    /// `From` and `Body`, HTTP basic credentials `sms_account`:`sms_token`.
    /// `https://`, or `http://` only to this machine.
    pub sms_gateway_url: Option<String>,
    pub sms_account: Option<String>,
    /// Also verifies the gateway's signature on inbound texts.
    pub sms_token: Option<String>,
    /// The number texts come from (E.164).
    pub sms_from: Option<String>,
    /// Seconds after a staff reply before the patient is told of it:
    /// replies within the window make one notification.
    pub notice_coalescing_secs: u64,
    /// Accept `http://` push endpoints on this machine: only for a test
    /// stand-in push service.
    pub allow_loopback_push: bool,
    /// Set by `switchboard demo` (and tests), never by a file or the
    /// environment: the server serves the synthetic demo practices, so
    /// the outbox may show the links and codes it holds.
    #[serde(skip)]
    pub demo: bool,
}

/// What connections may cost: caps and timeouts against floods of idle or
/// slow connections, and how long a shutdown may take.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Open connections at once. Lowered at start to stay below the open
    /// file limit (after raising that limit as far as the system allows).
    pub max_connections: usize,
    /// Open connections from one address (IPv4) or /64 (IPv6). Trusted
    /// proxies are not held to it.
    pub max_connections_per_address: usize,
    /// Seconds for the TLS handshake, and for each request's line and
    /// headers, counted from when the server starts waiting for them; an
    /// idle keep-alive connection is closed after this long too.
    pub header_timeout_secs: u64,
    /// Seconds a connection may go without a byte moving either way (a
    /// stalled upload, a client that stopped reading) before it is closed.
    pub idle_timeout_secs: u64,
    /// Seconds a shutdown waits for requests in progress and running jobs
    /// before closing what is left.
    pub shutdown_grace_secs: u64,
}

/// Files in conversations: size limits and the optional virus scan.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentSettings {
    /// The largest file, in MiB.
    pub max_file_mib: u32,
    /// The most one message's files may come to together, in MiB.
    pub max_message_mib: u32,
    /// A ClamAV daemon's Unix socket: when set, every upload is scanned
    /// before it is accepted, and refused while the daemon cannot be reached.
    pub clamd_socket: Option<PathBuf>,
    /// Seconds each exchange with the scanner may take.
    pub scan_timeout_secs: u64,
    /// Where the sealed bytes are kept: unset, `<data_dir>/attachments`;
    /// `s3://bucket/optional/prefix`, an S3-compatible object store (for
    /// several nodes).
    pub store_url: Option<String>,
    /// An S3-compatible server's address; unset: AWS.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Both or neither; neither: the machine's role.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Accept an `http://` endpoint: only for a local test server.
    pub s3_allow_http: bool,
}

impl Default for AttachmentSettings {
    fn default() -> Self {
        AttachmentSettings {
            max_file_mib: 25,
            max_message_mib: 100,
            clamd_socket: None,
            scan_timeout_secs: 30,
            store_url: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            max_connections: 10_000,
            max_connections_per_address: 1000,
            header_timeout_secs: 10,
            idle_timeout_secs: 60,
            shutdown_grace_secs: 10,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Generate a self-signed certificate in `<data_dir>/tls` (testing and
    /// demos only: browsers will warn).
    pub self_signed: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    pub staff_idle_minutes: i64,
    pub patient_idle_minutes: i64,
    pub absolute_hours: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings { staff_idle_minutes: 15, patient_idle_minutes: 30, absolute_hours: 12 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("switchboard-data"),
            database_url: None,
            master_key_file: None,
            tls: TlsSettings::default(),
            insecure_http: false,
            trusted_proxies: Vec::new(),
            sessions: SessionSettings::default(),
            message_max_chars: switchboard_domain::text::MessageBody::DEFAULT_MAX_CHARS,
            max_body_bytes: 64 * 1024,
            read_connections: 8,
            database_timeout_millis: 1500,
            run_jobs: true,
            job_workers: 4,
            live_session_check_millis: 15_000,
            assignment_timeout_minutes: std::num::NonZeroU32::new(120).unwrap_or(std::num::NonZeroU32::MIN),
            public_url: None,
            allowed_hosts: Vec::new(),
            limits: LimitSettings::default(),
            attachments: AttachmentSettings::default(),
            smtp_url: None,
            smtp_from: None,
            sms_gateway_url: None,
            sms_account: None,
            sms_token: None,
            sms_from: None,
            notice_coalescing_secs: 120,
            allow_loopback_push: false,
            demo: false,
        }
    }
}

/// Values given on the command line, which win over everything else.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
}

/// Variables with the prefix that are not settings: read elsewhere (the key
/// file's text, the `--config` flag's fallback) or by the test suites.
/// Anything else with the prefix must name a setting.
const NOT_SETTINGS: &[&str] = &[
    "SWITCHBOARD_MASTER_KEY",
    "SWITCHBOARD_VAPID_KEY",
    "SWITCHBOARD_CONFIG",
    "SWITCHBOARD_TEST_DATABASE_URL",
    "SWITCHBOARD_BIN",
    "SWITCHBOARD_PEERS_PYTHON",
];

const ENV_PREFIX: &str = "SWITCHBOARD_";

/// Settings whose environment value is taken as text, never as a number
/// or a boolean.
const TEXT_SETTINGS: &[&str] = &[
    "data_dir",
    "database_url",
    "master_key_file",
    "public_url",
    "smtp_url",
    "smtp_from",
    "sms_gateway_url",
    "sms_account",
    "sms_token",
    "sms_from",
    "tls.cert_file",
    "tls.key_file",
    "attachments.clamd_socket",
    "attachments.store_url",
    "attachments.s3_endpoint",
    "attachments.s3_region",
    "attachments.s3_access_key_id",
    "attachments.s3_secret_access_key",
];

/// Why the configuration could not be loaded. Names settings and variables,
/// never their values (a database URL may hold a password).
#[derive(Debug)]
pub enum ConfigError {
    /// A `SWITCHBOARD_*` variable that names no setting: most likely a typo,
    /// and a typo in a safety setting must not pass silently.
    UnknownVariable(String),
    /// A `SWITCHBOARD_*` setting whose value is not UTF-8.
    NotUnicode(String),
    /// The file, or a value, is not what the setting takes.
    Invalid(Box<figment::Error>),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::UnknownVariable(name) => write!(
                f,
                "{name} is not a setting (see config.example.toml; a setting in a section is \
                 SWITCHBOARD_<SECTION>__<KEY>, with two underscores, such as SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES)"
            ),
            ConfigError::NotUnicode(name) => write!(f, "{name} is not valid UTF-8"),
            ConfigError::Invalid(e) => {
                for (i, e) in (**e).clone().into_iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    describe(&e, f)?;
                }
                Ok(())
            }
        }
    }
}

/// One figment error, without the value it was given: figment's own text
/// repeats it, and a database URL may carry a password.
fn describe(e: &figment::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    use figment::error::Kind;
    if !e.path.is_empty() {
        write!(f, "setting `{}` ", e.path.join("."))?;
    }
    match &e.kind {
        // A TOML parser's message quotes the offending line between `|`
        // gutters; that line may be a database URL with its password.
        Kind::Message(m) => {
            let kept: Vec<&str> = m.lines().map(str::trim).filter(|l| !l.is_empty() && !l.contains('|')).collect();
            f.write_str(&kept.join(": "))?
        }
        Kind::InvalidType(_, expected) | Kind::InvalidValue(_, expected) => write!(f, "must be {expected}")?,
        Kind::InvalidLength(n, expected) => write!(f, "has {n} elements, expected {expected}")?,
        Kind::UnknownVariant(_, expected) => write!(f, "must be one of {}", expected.join(", "))?,
        Kind::UnknownField(field, _) => write!(f, "`{field}` is not a setting")?,
        Kind::MissingField(field) => write!(f, "is missing `{field}`")?,
        Kind::DuplicateField(field) => write!(f, "`{field}` is given twice")?,
        Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => f.write_str("is out of range")?,
        Kind::Unsupported(_) | Kind::UnsupportedKey(..) => f.write_str("has a type no setting takes")?,
    }
    if let Some(m) = &e.metadata {
        write!(f, " (in {}", m.name)?;
        if let Some(source) = &m.source {
            write!(f, " {source}")?;
        }
        f.write_str(")")?;
    }
    Ok(())
}

impl std::error::Error for ConfigError {}

/// One `SWITCHBOARD_*` variable as a figment provider, so that a bad value
/// is reported against the variable's name.
struct EnvSetting {
    name: String,
    path: String,
    value: figment::value::Value,
}

impl figment::Provider for EnvSetting {
    fn metadata(&self) -> figment::Metadata {
        let name = self.name.clone();
        figment::Metadata::named(format!("environment variable {name}")).interpolater(move |_, _| name.clone())
    }

    fn data(&self) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        match figment::util::nest(&self.path, self.value.clone()) {
            figment::value::Value::Dict(_, dict) => Ok(figment::Profile::Default.collect(dict)),
            _ => Err(figment::Error::from(format!("{} names no setting", self.name))),
        }
    }
}

/// The dotted path of every setting (`addr`, `sessions.staff_idle_minutes`,
/// …), read off the structure itself so that it cannot drift from it.
pub fn setting_paths() -> Vec<String> {
    fn walk(prefix: &str, dict: &figment::value::Dict, out: &mut Vec<String>) {
        for (key, value) in dict {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                figment::value::Value::Dict(_, inner) => walk(&path, inner, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(data) = figment::Provider::data(&Serialized::defaults(Config::default())) {
        for dict in data.values() {
            walk("", dict, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The settings among `env`: `SWITCHBOARD_ADDR` is `addr`,
/// `SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES` is `sessions.staff_idle_minutes`.
fn env_settings<K, V>(env: impl IntoIterator<Item = (K, V)>) -> Result<Vec<EnvSetting>, ConfigError>
where
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let known = setting_paths();
    let mut out = Vec::new();
    for (name, value) in env {
        let name = name.as_ref().to_string_lossy().into_owned();
        let Some(key) = name.strip_prefix(ENV_PREFIX) else { continue };
        if NOT_SETTINGS.contains(&name.as_str()) {
            continue;
        }
        let path = key.to_ascii_lowercase().replace("__", ".");
        if !known.contains(&path) {
            return Err(ConfigError::UnknownVariable(name));
        }
        let Some(text) = value.as_ref().to_str() else { return Err(ConfigError::NotUnicode(name)) };
        // A text setting keeps the text as written: `+15555550100` or a
        // token of digits must not become a number (and lose its `+`).
        let value = if TEXT_SETTINGS.contains(&path.as_str()) {
            figment::value::Value::from(text.to_owned())
        } else {
            let Ok(value) = text.parse::<figment::value::Value>();
            value
        };
        out.push(EnvSetting { name, path, value });
    }
    // `SWITCHBOARD_ADDR` and `SWITCHBOARD_addr` name one setting; the
    // environment's order is not defined, so the outcome must not hang on it.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

impl Config {
    /// Defaults, then `file`, then the `SWITCHBOARD_*` variables among `env`
    /// (the process passes `std::env::vars_os()`; tests pass their own, so
    /// that they need not change the process's environment), then flags.
    pub fn load<K, V>(
        file: Option<&Path>,
        defaults: Config,
        overrides: &Overrides,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Config, ConfigError>
    where
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        let mut fig = Figment::from(Serialized::defaults(defaults));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        for setting in env_settings(env)? {
            fig = fig.merge(setting);
        }
        fig.merge(Serialized::defaults(overrides)).extract().map_err(|e| ConfigError::Invalid(Box::new(e)))
    }

    /// The public URL, checked: `https://host[:port]` (or `http://` for a
    /// test behind nothing), without a path.
    pub fn public_url(&self) -> anyhow::Result<Option<String>> {
        let Some(url) = &self.public_url else { return Ok(None) };
        let url = url.trim().trim_end_matches('/');
        let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
        if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
            anyhow::bail!("public_url must look like https://messages.example.org (no path)");
        }
        Ok(Some(url.to_owned()))
    }

    /// `allowed_hosts`, checked and lower-cased: host names or `host:port`,
    /// nothing else (no scheme, no path).
    pub fn allowed_hosts(&self) -> anyhow::Result<Vec<String>> {
        self.allowed_hosts
            .iter()
            .map(|h| {
                let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
                let (name, port) = h.rsplit_once(':').unwrap_or((&h, "0"));
                let plausible = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
                    && port.parse::<u16>().is_ok();
                if !plausible {
                    anyhow::bail!(
                        "allowed_hosts: each entry is a host name, or host:port (such as messages.example.org)"
                    );
                }
                Ok(h)
            })
            .collect()
    }

    pub fn key_file(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The Web Push (VAPID) key file: `vapid.key` beside the master key file.
    pub fn vapid_key_file(&self) -> PathBuf {
        self.key_file().with_file_name("vapid.key")
    }

    pub fn location(&self) -> switchboard_store::Location {
        match &self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                switchboard_store::Location::Postgres(url.clone())
            }
            Some(url) => switchboard_store::Location::SqliteFile(PathBuf::from(url.trim_start_matches("sqlite://"))),
            None => switchboard_store::Location::SqliteFile(self.data_dir.join("switchboard.db")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    const NO_ENV: [(&str, &str); 0] = [];

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config.example.toml")
    }

    #[test]
    fn example_config_parses_to_the_defaults_and_overrides_win() {
        // The example says its values are the defaults; hold it to that.
        let c = Config::load(Some(&example()), Config::default(), &Overrides::default(), NO_ENV).unwrap();
        assert_eq!(c, Config::default());
        let overrides = Overrides { addr: Some("127.0.0.1:9999".parse().unwrap()), ..Overrides::default() };
        let env = [("SWITCHBOARD_ADDR", "127.0.0.1:7777")];
        let c = Config::load(Some(&example()), Config::default(), &overrides, env).unwrap();
        assert_eq!(c.addr.port(), 9999);
        assert_eq!(c.sessions.staff_idle_minutes, 15);
        assert_eq!(c.limits, LimitSettings::default(), "the example documents the defaults");
    }
    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "adr = \"127.0.0.1:1\"\n").unwrap();
        assert!(Config::load(Some(&path), Config::default(), &Overrides::default(), NO_ENV).is_err());
    }

    /// Every key config.example.toml documents, whether set or commented
    /// out (`# key = value`), as a dotted path.
    fn documented_keys() -> Vec<String> {
        let text = std::fs::read_to_string(example()).unwrap();
        let mut section = String::new();
        let mut keys = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = format!("{name}.");
                continue;
            }
            let line = line.trim_start_matches('#').trim();
            let Some((key, value)) = line.split_once('=') else { continue };
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                continue;
            }
            // A commented-out example must still be valid TOML for its key.
            let toml = format!("{key} = {}", value.trim());
            let parsed: Result<figment::value::Dict, _> = Figment::from(Toml::string(&toml)).extract();
            assert!(parsed.is_ok(), "config.example.toml: `{line}` is not valid TOML");
            keys.push(format!("{section}{key}"));
        }
        keys.sort();
        keys
    }

    /// A value for each setting other than its default: the setting's path,
    /// the value as TOML, the same as an environment variable, and what it
    /// changes.
    type Case = (&'static str, &'static str, &'static str, fn(&mut Config));

    fn cases() -> Vec<Case> {
        vec![
            ("addr", "\"127.0.0.1:9000\"", "127.0.0.1:9000", |c| c.addr = "127.0.0.1:9000".parse().unwrap()),
            ("data_dir", "\"/srv/sb\"", "/srv/sb", |c| c.data_dir = "/srv/sb".into()),
            ("database_url", "\"postgres://db.internal/sb\"", "postgres://db.internal/sb", |c| {
                c.database_url = Some("postgres://db.internal/sb".into())
            }),
            ("master_key_file", "\"/etc/sb/master.key\"", "/etc/sb/master.key", |c| {
                c.master_key_file = Some("/etc/sb/master.key".into())
            }),
            ("insecure_http", "true", "true", |c| c.insecure_http = true),
            ("trusted_proxies", "[\"10.0.0.1\", \"::1\"]", "[\"10.0.0.1\", \"::1\"]", |c| {
                c.trusted_proxies = vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()]
            }),
            ("public_url", "\"https://messages.example.org\"", "https://messages.example.org", |c| {
                c.public_url = Some("https://messages.example.org".into())
            }),
            ("allowed_hosts", "[\"messages.example.org\"]", "[\"messages.example.org\"]", |c| {
                c.allowed_hosts = vec!["messages.example.org".into()]
            }),
            ("message_max_chars", "3000", "3000", |c| c.message_max_chars = 3000),
            ("max_body_bytes", "131072", "131072", |c| c.max_body_bytes = 131_072),
            ("read_connections", "4", "4", |c| c.read_connections = 4),
            ("database_timeout_millis", "800", "800", |c| c.database_timeout_millis = 800),
            ("run_jobs", "false", "false", |c| c.run_jobs = false),
            ("job_workers", "16", "16", |c| c.job_workers = 16),
            ("live_session_check_millis", "5000", "5000", |c| c.live_session_check_millis = 5000),
            ("assignment_timeout_minutes", "45", "45", |c| {
                c.assignment_timeout_minutes = std::num::NonZeroU32::new(45).unwrap()
            }),
            ("smtp_url", "\"smtps://mail.example.org\"", "smtps://mail.example.org", |c| {
                c.smtp_url = Some("smtps://mail.example.org".into())
            }),
            ("smtp_from", "\"noreply@example.org\"", "noreply@example.org", |c| {
                c.smtp_from = Some("noreply@example.org".into())
            }),
            ("sms_gateway_url", "\"https://sms.example.org/send\"", "https://sms.example.org/send", |c| {
                c.sms_gateway_url = Some("https://sms.example.org/send".into())
            }),
            ("sms_account", "\"AC123\"", "AC123", |c| c.sms_account = Some("AC123".into())),
            ("sms_token", "\"12345\"", "12345", |c| c.sms_token = Some("12345".into())),
            ("sms_from", "\"+15555550100\"", "+15555550100", |c| c.sms_from = Some("+15555550100".into())),
            ("notice_coalescing_secs", "0", "0", |c| c.notice_coalescing_secs = 0),
            ("allow_loopback_push", "true", "true", |c| c.allow_loopback_push = true),
            ("tls.cert_file", "\"/etc/sb/cert.pem\"", "/etc/sb/cert.pem", |c| {
                c.tls.cert_file = Some("/etc/sb/cert.pem".into())
            }),
            ("tls.key_file", "\"/etc/sb/key.pem\"", "/etc/sb/key.pem", |c| {
                c.tls.key_file = Some("/etc/sb/key.pem".into())
            }),
            ("tls.self_signed", "true", "true", |c| c.tls.self_signed = true),
            ("sessions.staff_idle_minutes", "1", "1", |c| c.sessions.staff_idle_minutes = 1),
            ("sessions.patient_idle_minutes", "5", "5", |c| c.sessions.patient_idle_minutes = 5),
            ("sessions.absolute_hours", "8", "8", |c| c.sessions.absolute_hours = 8),
            ("limits.max_connections", "500", "500", |c| c.limits.max_connections = 500),
            ("limits.max_connections_per_address", "50", "50", |c| c.limits.max_connections_per_address = 50),
            ("limits.header_timeout_secs", "5", "5", |c| c.limits.header_timeout_secs = 5),
            ("limits.idle_timeout_secs", "30", "30", |c| c.limits.idle_timeout_secs = 30),
            ("limits.shutdown_grace_secs", "3", "3", |c| c.limits.shutdown_grace_secs = 3),
            ("attachments.max_file_mib", "10", "10", |c| c.attachments.max_file_mib = 10),
            ("attachments.max_message_mib", "40", "40", |c| c.attachments.max_message_mib = 40),
            ("attachments.clamd_socket", "\"/run/clamav/clamd.ctl\"", "/run/clamav/clamd.ctl", |c| {
                c.attachments.clamd_socket = Some("/run/clamav/clamd.ctl".into())
            }),
            ("attachments.scan_timeout_secs", "5", "5", |c| c.attachments.scan_timeout_secs = 5),
            ("attachments.store_url", "\"s3://clinic-files/sb\"", "s3://clinic-files/sb", |c| {
                c.attachments.store_url = Some("s3://clinic-files/sb".into())
            }),
            ("attachments.s3_endpoint", "\"https://objects.example.org\"", "https://objects.example.org", |c| {
                c.attachments.s3_endpoint = Some("https://objects.example.org".into())
            }),
            ("attachments.s3_region", "\"eu-west-1\"", "eu-west-1", |c| c.attachments.s3_region = "eu-west-1".into()),
            ("attachments.s3_access_key_id", "\"0123\"", "0123", |c| {
                c.attachments.s3_access_key_id = Some("0123".into())
            }),
            ("attachments.s3_secret_access_key", "\"true\"", "true", |c| {
                c.attachments.s3_secret_access_key = Some("true".into())
            }),
            ("attachments.s3_allow_http", "true", "true", |c| c.attachments.s3_allow_http = true),
        ]
    }

    fn env_name(path: &str) -> String {
        format!("SWITCHBOARD_{}", path.replace('.', "__").to_ascii_uppercase())
    }

    #[test]
    fn every_setting_is_documented_and_tested() {
        let mut tested: Vec<String> = cases().iter().map(|c| c.0.to_owned()).collect();
        tested.sort();
        assert_eq!(documented_keys(), setting_paths(), "config.example.toml and Config differ");
        assert_eq!(tested, setting_paths(), "a setting has no case below");
    }

    #[test]
    fn every_documented_key_takes_effect_through_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        for (path, toml, env, change) in cases() {
            let mut expected = Config::default();
            change(&mut expected);
            assert_ne!(expected, Config::default(), "{path}: the case must change something");

            let file = dir.path().join("c.toml");
            let text = match path.split_once('.') {
                Some((section, key)) => format!("[{section}]\n{key} = {toml}\n"),
                None => format!("{path} = {toml}\n"),
            };
            std::fs::write(&file, text).unwrap();
            let from_file = Config::load(Some(&file), Config::default(), &Overrides::default(), NO_ENV);
            assert_eq!(from_file.unwrap(), expected, "{path} through the file");

            let vars = [(env_name(path), env.to_owned())];
            let from_env = Config::load(None, Config::default(), &Overrides::default(), vars.clone());
            assert_eq!(from_env.unwrap(), expected, "{path} through {}", env_name(path));

            // The environment wins over the example file.
            let both = Config::load(Some(&example()), Config::default(), &Overrides::default(), vars);
            assert_eq!(both.unwrap(), expected, "{path}: the environment over the file");
        }
    }

    #[test]
    fn the_names_the_issue_reported_work() {
        let env = [("SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES", "1"), ("SWITCHBOARD_TLS__SELF_SIGNED", "true")];
        let c = Config::load(None, Config::default(), &Overrides::default(), env).unwrap();
        assert_eq!(c.sessions.staff_idle_minutes, 1);
        assert!(c.tls.self_signed);
        // And on to the session policy the service enforces.
        let policy = crate::server::service_config(&c).unwrap().sessions;
        assert_eq!(policy.staff.idle, switchboard_domain::time::Span::from_mins(1));
    }

    #[test]
    fn unusable_attachment_storage_stops_the_start_naming_the_setting_not_the_value() {
        let refusal = |c: &Config| crate::server::service_config(c).map(|_| ()).unwrap_err().to_string();
        let mut c = Config::default();
        c.attachments.store_url = Some("s3:/hunter2-bucket".into());
        let e = refusal(&c);
        assert!(e.contains("attachments.store_url") && !e.contains("hunter2"), "{e}");
        c.attachments.store_url = Some("s3://clinic-files/sb".into());
        c.attachments.s3_access_key_id = Some("AKIA".into());
        c.attachments.s3_secret_access_key = Some("hunter2".into());
        c.attachments.s3_endpoint = Some("https://user:hunter2@objects.example.org".into());
        let e = refusal(&c);
        assert!(e.contains("attachments.s3_endpoint") && !e.contains("hunter2"), "{e}");
        c.attachments.s3_endpoint = Some("http://127.0.0.1:9000".into());
        assert!(refusal(&c).contains("allow_http"));
        c.attachments.s3_allow_http = true;
        assert!(crate::server::service_config(&c).is_ok());
        c.attachments.s3_secret_access_key = None;
        let e = refusal(&c);
        assert!(e.contains("attachments.s3_secret_access_key") && !e.contains("AKIA"), "{e}");
    }

    #[test]
    fn a_misspelt_variable_stops_the_start() {
        for name in [
            "SWITCHBOARD_SESSIONS_STAFF_IDLE_MINUTES",
            "SWITCHBOARD_SESIONS__STAFF_IDLE_MINUTES",
            "SWITCHBOARD_SESSIONS__STAFF_IDLE",
            "SWITCHBOARD_SESSIONS",
            "SWITCHBOARD_",
        ] {
            let err = Config::load(None, Config::default(), &Overrides::default(), [(name, "1")]).unwrap_err();
            assert!(matches!(&err, ConfigError::UnknownVariable(n) if n == name), "{name}: {err}");
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn variables_that_are_not_settings_are_left_alone() {
        let env = [
            ("SWITCHBOARD_MASTER_KEY", "key text"),
            ("SWITCHBOARD_VAPID_KEY", "-----BEGIN PRIVATE KEY-----"),
            ("SWITCHBOARD_PEERS_PYTHON", "/usr/bin/python3"),
            ("SWITCHBOARD_CONFIG", "/etc/sb.toml"),
            ("SWITCHBOARD_TEST_DATABASE_URL", "postgres://x"),
            ("PATH", "/usr/bin"),
            ("ADDR", "nonsense"),
        ];
        assert_eq!(Config::load(None, Config::default(), &Overrides::default(), env).unwrap(), Config::default());
    }

    #[test]
    fn a_broken_file_is_reported_without_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "database_url = \"postgres://u:secretpw@db/x\n").unwrap();
        let err = Config::load(Some(&path), Config::default(), &Overrides::default(), NO_ENV).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(!err.contains("secretpw"), "{err}");
    }

    #[test]
    fn a_bad_value_names_the_variable_not_the_value() {
        let env =
            [("SWITCHBOARD_DATABASE_URL", "postgres://u:pw@db/x"), ("SWITCHBOARD_READ_CONNECTIONS", "lots-secret")];
        let err = Config::load(None, Config::default(), &Overrides::default(), env).unwrap_err().to_string();
        assert!(err.contains("SWITCHBOARD_READ_CONNECTIONS"), "{err}");
        assert!(!err.contains("secret") && !err.contains("pw@"), "{err}");
    }
}
