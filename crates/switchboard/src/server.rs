//! Wiring: keys, store, application, job runner and HTTP(S) listener.

use crate::config::Config;
use anyhow::{Context as _, bail};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use switchboard_crypto::webpush::VapidKey;
use switchboard_crypto::{KeyRing, KeySource};
use switchboard_domain::session::{SessionLimits, SessionPolicy};
use switchboard_domain::time::Span;
use switchboard_service::jobs::JobRunner;
use switchboard_service::{Clock, ServiceConfig, Switchboard};
use switchboard_store::blobs::{Blobs, S3Settings, S3SettingsError};
use switchboard_store::{Store, StoreOptions};
use switchboard_web::{ConnectionLimits, Transport, WebConfig, load_tls_config};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The environment variable that may hold the key file's text.
pub const MASTER_KEY_ENV: &str = "SWITCHBOARD_MASTER_KEY";
/// The environment variable that may hold the VAPID key (PKCS#8 PEM).
pub const VAPID_KEY_ENV: &str = "SWITCHBOARD_VAPID_KEY";

/// The Web Push (VAPID) key: from `SWITCHBOARD_VAPID_KEY`, else the key file
/// beside the master key, created on first start. Unlike the master key it
/// may be made for existing data: losing it only means browsers must
/// subscribe again. Nodes that share a database must share it too (the same
/// file or variable), or pushes signed by one are refused for the others'
/// subscriptions.
pub fn open_vapid_key(config: &Config) -> anyhow::Result<Arc<VapidKey>> {
    let key = match std::env::var(VAPID_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => VapidKey::from_pem(&text).context("reading SWITCHBOARD_VAPID_KEY")?,
        _ => {
            let path = config.vapid_key_file();
            VapidKey::load_or_create(&path).with_context(|| format!("opening the VAPID key file {}", path.display()))?
        }
    };
    Ok(Arc::new(key))
}

/// Where the keys come from, for messages.
fn key_source_text(config: &Config) -> String {
    match std::env::var(MASTER_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => MASTER_KEY_ENV.to_owned(),
        _ => format!("the key file {}", config.key_file().display()),
    }
}

/// The master keys: from `SWITCHBOARD_MASTER_KEY`, else the key file. A key
/// file is created only for a database that holds nothing yet: a node
/// pointed at existing data without its key must not make a new one and
/// write what nobody else can read or verify.
pub async fn open_keys(config: &Config) -> anyhow::Result<Arc<KeyRing>> {
    let ring = match std::env::var(MASTER_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => {
            KeyRing::open(KeySource::Text(text)).context("reading SWITCHBOARD_MASTER_KEY")?
        }
        _ => {
            let path = config.key_file();
            if !path.exists() {
                let existing = Store::existing(&config.location()).await.context("opening the database")?;
                if !existing.is_empty() {
                    let keys = match existing.master_keys.as_slice() {
                        [] => "its keys".to_owned(),
                        ids => ids.iter().map(|id| format!("`kek {id}`")).collect::<Vec<_>>().join(", "),
                    };
                    bail!(
                        "the key file {} does not exist, but the database already holds data written with \
                         another key file (master key {keys} and the `mac` key are missing). Restore that key \
                         file (or set {MASTER_KEY_ENV} to its text); refusing to create a new key for existing data",
                        path.display()
                    );
                }
            }
            KeyRing::open_or_create(&path).with_context(|| format!("opening the key file {}", path.display()))?
        }
    };
    Ok(Arc::new(ring))
}

/// The service's settings from the configuration; refuses attachment
/// storage settings that cannot work, naming the setting (never its value).
pub fn service_config(config: &Config) -> anyhow::Result<ServiceConfig> {
    let absolute = Span::from_hours(config.sessions.absolute_hours);
    Ok(ServiceConfig {
        sessions: SessionPolicy {
            staff: SessionLimits { idle: Span::from_mins(config.sessions.staff_idle_minutes), absolute },
            patient: SessionLimits { idle: Span::from_mins(config.sessions.patient_idle_minutes), absolute },
        },
        patient_message_max_chars: config.message_max_chars,
        assignment_timeout: Span::from_mins(i64::from(config.assignment_timeout_minutes.get())),
        notice_coalescing: Span::from_secs(
            i64::try_from(config.notice_coalescing_secs).unwrap_or(i64::MAX / 1_000_000),
        ),
        allow_loopback_push: config.allow_loopback_push,
        demo: config.demo,
        attachments: switchboard_service::attachments::AttachmentSettings {
            limits: switchboard_domain::attachment::AttachmentLimits {
                file_bytes: u64::from(config.attachments.max_file_mib) * 1024 * 1024,
                message_bytes: u64::from(config.attachments.max_message_mib) * 1024 * 1024,
            },
            blobs: Some(attachment_blobs(config)?),
            scanner: config.attachments.clamd_socket.clone().map(|socket| {
                std::sync::Arc::new(switchboard_service::scanner::Scanner::new(
                    socket,
                    std::time::Duration::from_secs(config.attachments.scan_timeout_secs.max(1)),
                ))
            }),
        },
        passkeys: passkey_relying_party(config)?,
        audit_checkpoint_dir: Some(config.data_dir.join("audit-checkpoints")),
        ..ServiceConfig::default()
    })
}

/// The WebAuthn relying party: the public address's host, else
/// `localhost` (the demo and the tests). A public address that is an IP
/// address leaves passkeys off, with a warning: WebAuthn needs a name.
fn passkey_relying_party(
    config: &Config,
) -> anyhow::Result<Option<std::sync::Arc<switchboard_crypto::passkey::RelyingParty>>> {
    use switchboard_crypto::passkey::{PasskeyError, RelyingParty};
    let host = match config.public_url()? {
        Some(url) => {
            let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
            let host = match rest.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or("").to_owned(),
                None => rest.split(':').next().unwrap_or("").to_owned(),
            };
            host.to_ascii_lowercase()
        }
        None => "localhost".to_owned(),
    };
    match RelyingParty::new(&host, "Switchboard") {
        Ok(rp) => Ok(Some(std::sync::Arc::new(rp))),
        Err(PasskeyError::NeedsName) => {
            tracing::warn!("public_url is an IP address: passkeys are off (WebAuthn needs a domain name)");
            Ok(None)
        }
        Err(e) => Err(anyhow::anyhow!("passkeys cannot be set up for public_url's host: {e}")),
    }
}

/// The data directory, or the object store `attachments.store_url` names.
fn attachment_blobs(config: &Config) -> anyhow::Result<Blobs> {
    let a = &config.attachments;
    let Some(url) = &a.store_url else { return Ok(Blobs::in_dir(config.data_dir.join("attachments"))) };
    let settings = S3Settings {
        url: url.clone(),
        endpoint: a.s3_endpoint.clone(),
        region: a.s3_region.clone(),
        access_key_id: a.s3_access_key_id.clone(),
        secret_access_key: a.s3_secret_access_key.clone(),
        allow_http: a.s3_allow_http,
    };
    Blobs::s3(&settings).map_err(|e| {
        let setting = match e {
            S3SettingsError::Url => "attachments.store_url",
            S3SettingsError::Endpoint | S3SettingsError::PlainHttp => "attachments.s3_endpoint",
            S3SettingsError::Credentials => "attachments.s3_access_key_id and attachments.s3_secret_access_key",
            S3SettingsError::Client => "attachments.store_url and the s3_ settings",
        };
        anyhow::anyhow!("the attachment storage setting {setting} is not usable: {e}")
    })
}

/// Opens the database (running migrations) and builds the application,
/// refusing keys that do not fit the database.
pub async fn open_app(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Switchboard> {
    open_app_checked(config, clock, true).await
}

/// As [`open_app`], without proving the keys against the audit chain and
/// data keys: for `audit verify`, which must report a damaged chain rather
/// than refuse to look at it. It still never creates a key for existing data.
pub async fn open_app_for_audit(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Switchboard> {
    open_app_checked(config, clock, false).await
}

async fn open_app_checked(config: &Config, clock: Arc<dyn Clock>, check_keys: bool) -> anyhow::Result<Switchboard> {
    // Settings that cannot work stop the start before anything is opened.
    let base = service_config(config)?;
    let keys = open_keys(config).await?;
    let options = StoreOptions {
        read_connections: config.read_connections,
        acquire_timeout: Duration::from_millis(config.database_timeout_millis.max(1)),
        ..StoreOptions::default()
    };
    // Verifying the audit chain of a copy never needs (or makes) a push key.
    let vapid = if check_keys { Some(open_vapid_key(config)?) } else { None };
    let store = Store::open(&config.location(), options, keys.audit_mac()).await.context("opening the database")?;
    let service = ServiceConfig { vapid, ..base };
    let app = Switchboard::new(store, keys, clock, service).map_err(|e| anyhow::anyhow!("starting: {e}"))?;
    if check_keys {
        let problems = match app.key_problems().await {
            Ok(p) => p,
            Err(e) => {
                app.close().await;
                bail!("checking the keys against the database: {e}");
            }
        };
        if !problems.is_empty() {
            app.close().await;
            let list = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            bail!("the keys from {} do not fit this database: {list}. Refusing to start", key_source_text(config));
        }
    }
    // Records from before MRN indexes existed become findable by MRN.
    let indexed =
        app.backfill_mrn_indexes().await.map_err(|e| anyhow::anyhow!("indexing medical record numbers: {e}"))?;
    if indexed > 0 {
        tracing::info!(patients = indexed, "indexed medical record numbers");
    }
    // Practices from before terms were kept get the standard terms (not in
    // a copy being verified, which is only read).
    if check_keys {
        app.keep_first_terms().await.map_err(|e| anyhow::anyhow!("keeping the messaging terms: {e}"))?;
    }
    Ok(app)
}

/// PEM certificate and key: configured files, or a self-signed pair kept in
/// `<data_dir>/tls` (generated once).
fn tls_material(config: &Config) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    match (&config.tls.cert_file, &config.tls.key_file) {
        (Some(cert), Some(key)) => Ok((
            std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?,
            std::fs::read(key).with_context(|| format!("reading {}", key.display()))?,
        )),
        (None, None) if config.tls.self_signed => self_signed(&config.data_dir.join("tls")),
        (None, None) => bail!(
            "no TLS certificate: set tls.cert_file and tls.key_file, or tls.self_signed = true to try things out, \
             or --insecure-http behind a proxy that terminates TLS"
        ),
        _ => bail!("tls.cert_file and tls.key_file must be given together"),
    }
}

fn self_signed(dir: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert_path.exists() && key_path.exists() {
        return Ok((std::fs::read(&cert_path)?, std::fs::read(&key_path)?));
    }
    std::fs::create_dir_all(dir)?;
    let pair =
        switchboard_crypto::tls::self_signed(&["localhost", "127.0.0.1", "::1"]).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(&cert_path, &pair.cert_pem)?;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&key_path)?;
    f.write_all(pair.key_pem.as_bytes())?;
    Ok((pair.cert_pem.into_bytes(), pair.key_pem.into_bytes()))
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub app: Switchboard,
    /// The certificate served (PEM), for clients that must trust it.
    pub cert_pem: Option<String>,
    pub scheme: &'static str,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    jobs: JoinHandle<()>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// Stops accepting, tells live streams to reconnect, lets in-flight
    /// requests and the running job finish (within `shutdown_grace_secs`;
    /// an unfinished job is handed back for another node), and flushes the
    /// writer.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let (served, _) = tokio::join!(self.http, self.jobs);
        self.app.close().await;
        served.context("HTTP task")?.context("serving")
    }

    /// Waits until the server stops (after a shutdown signal).
    pub async fn wait(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

/// Resolves when the stop flag is raised (or its sender is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Starts serving `app` per `config` (binding `config.addr`; port 0 picks a
/// free port).
pub async fn start_with(app: Switchboard, config: &Config) -> anyhow::Result<Running> {
    let public_url = config.public_url()?;
    let allowed_hosts = config.allowed_hosts()?;
    let tcp = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let addr = tcp.local_addr()?;
    let web = WebConfig {
        trusted_proxies: config.trusted_proxies.clone(),
        max_body_bytes: config.max_body_bytes,
        live_session_check: Duration::from_millis(config.live_session_check_millis.max(10)),
        public_url: public_url.clone(),
        allowed_hosts,
        local_addr: Some(addr),
    };
    let (stop, stop_rx) = watch::channel(false);
    let router = switchboard_web::router(app.clone(), web, stop_rx.clone());
    let limits = connection_limits(config);

    let jobs = if config.run_jobs {
        let runner =
            JobRunner::new(app.clone()).with_shutdown_grace(limits.shutdown_grace).with_workers(config.job_workers);
        tokio::spawn(runner.run(Duration::from_secs(1), stopped(stop_rx.clone())))
    } else {
        tokio::spawn(async {})
    };

    let (transport, cert_pem, scheme) = if config.insecure_http {
        tracing::warn!("serving plain HTTP: only do this behind a proxy that terminates TLS");
        (Transport::Plain, None, "http")
    } else {
        let (cert, key) = tls_material(config)?;
        let tls = load_tls_config(&cert, &key).map_err(|e| anyhow::anyhow!(e))?;
        (Transport::Tls(tls), Some(String::from_utf8_lossy(&cert).into_owned()), "https")
    };
    // Links in emails, texts and pushes: the public address, else this
    // server's own (a demo, or the tests).
    let link_base = match &public_url {
        Some(url) => url.clone(),
        None if addr.ip().is_unspecified() || addr.ip().is_loopback() => {
            format!("{scheme}://localhost:{}", addr.port())
        }
        None => format!("{scheme}://{addr}"),
    };
    app.start_delivery(crate::couriers::from_config(config, link_base, app.config().vapid.clone())?);
    // Single sign-on reaches each practice's provider with this client.
    app.set_sso_client(std::sync::Arc::new(
        switchboard_couriers::OidcHttp::new().map_err(|e| anyhow::anyhow!("the identity provider client: {e}"))?,
    ));
    let http = tokio::spawn(switchboard_web::serve(tcp, transport, router, limits, stopped(stop_rx)));
    Ok(Running { addr, app, cert_pem, scheme, stop, http, jobs })
}

/// The connection limits from the configuration, with the cap kept below
/// the open-file limit (raised first where allowed).
fn connection_limits(config: &Config) -> ConnectionLimits {
    let l = &config.limits;
    let soft = crate::fd_limit::raise();
    let max_connections = crate::fd_limit::connection_cap(l.max_connections, soft);
    if max_connections < l.max_connections {
        tracing::warn!(
            configured = l.max_connections,
            open_file_limit = soft,
            max_connections,
            "limits.max_connections lowered to stay below the open-file limit"
        );
    }
    ConnectionLimits {
        max_connections,
        max_connections_per_address: l.max_connections_per_address.max(1),
        header_timeout: Duration::from_secs(l.header_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(l.idle_timeout_secs.max(1)),
        shutdown_grace: Duration::from_secs(l.shutdown_grace_secs),
        exempt: config.trusted_proxies.clone(),
    }
}

/// Opens everything and starts serving.
pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let app = open_app(config, clock).await?;
    start_with(app, config).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
