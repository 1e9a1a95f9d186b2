//! Configuration: defaults, then a TOML file, then `SWITCHBOARD_*`
//! environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
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
    /// How often an open live stream re-checks its session, in
    /// milliseconds (it closes when the session ends).
    pub live_session_check_millis: u64,
    /// How long a pool member has to act on a conversation given to them
    /// before it goes back to the pool for the next member, in minutes.
    pub assignment_timeout_minutes: std::num::NonZeroU32,
    /// The address people open (`https://messages.example.org`), for the
    /// set-up, invitation and reset links handed to them. Unset: the address
    /// each request came to.
    pub public_url: Option<String>,
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
            live_session_check_millis: 15_000,
            assignment_timeout_minutes: std::num::NonZeroU32::new(120).unwrap_or(std::num::NonZeroU32::MIN),
            public_url: None,
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

/// Environment variables read as configuration (`SWITCHBOARD_ADDR`,
/// `SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES`, …). Others with the prefix
/// (`SWITCHBOARD_MASTER_KEY`, test settings) are not configuration keys.
const ENV_KEYS: &[&str] = &[
    "addr",
    "data_dir",
    "database_url",
    "master_key_file",
    "tls",
    "insecure_http",
    "trusted_proxies",
    "sessions",
    "message_max_chars",
    "max_body_bytes",
    "read_connections",
    "database_timeout_millis",
    "run_jobs",
    "live_session_check_millis",
    "assignment_timeout_minutes",
    "public_url",
];

impl Config {
    pub fn load(file: Option<&Path>, defaults: Config, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(defaults));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        let env = Env::prefixed("SWITCHBOARD_").split("__").filter(|k| {
            let top = k.as_str().split('.').next().unwrap_or("");
            ENV_KEYS.contains(&top)
        });
        fig.merge(env).merge(Serialized::defaults(overrides)).extract().map_err(Box::new)
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

    pub fn key_file(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    pub fn location(&self) -> switchboard_service::Location {
        match &self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                switchboard_service::Location::Postgres(url.clone())
            }
            Some(url) => switchboard_service::Location::SqliteFile(PathBuf::from(url.trim_start_matches("sqlite://"))),
            None => switchboard_service::Location::SqliteFile(self.data_dir.join("switchboard.db")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn example_config_parses_and_overrides_win() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config.example.toml");
        let overrides = Overrides { addr: Some("127.0.0.1:9999".parse().unwrap()), ..Overrides::default() };
        let c = Config::load(Some(&path), Config::default(), &overrides).unwrap();
        assert_eq!(c.addr.port(), 9999);
        assert_eq!(c.sessions.staff_idle_minutes, 15);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "adr = \"127.0.0.1:1\"\n").unwrap();
        assert!(Config::load(Some(&path), Config::default(), &Overrides::default()).is_err());
    }
}
