//! Starting a server for a test, and talking to it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection as _, Executor as _, Row as _};
use std::sync::{Arc, Mutex, Once, OnceLock};
use switchboard::config::Config;
use switchboard::server::{self, Running};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_service::jobs::{JobRunner, Turn};
use switchboard_service::{ManualClock, Switchboard};
use tempfile::TempDir;

pub const PASSWORD: &str = switchboard::demo::DEMO_PASSWORD;
/// The test clock starts here: a Monday afternoon.
pub const T0: &str = "2026-01-05T15:00:00Z";

/// Everything the server logs during the test run, to check it for PHI.
pub fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct CaptureWriter;
impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        captured_logs().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Log everything, at the most verbose level, into a buffer.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(|| CaptureWriter)
            .try_init();
    });
}

/// The database behind a test server.
pub enum TestDb {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String, url: String },
}

impl TestDb {
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(p) => format!("sqlite://{}", p.display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }
    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
    /// Drops a PostgreSQL database (an SQLite file goes with its directory).
    pub async fn drop_database(&self) {
        if let TestDb::Postgres { admin_url, name, .. } = self {
            let mut admin = AnyConnection::connect(admin_url).await.unwrap();
            let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        }
    }
}

async fn fresh_database(dir: &TempDir) -> TestDb {
    match postgres_admin_url() {
        Some(admin_url) => fresh_postgres(&admin_url).await,
        None => TestDb::Sqlite(dir.path().join("data/switchboard.db")),
    }
}

/// `SWITCHBOARD_TEST_DATABASE_URL`, when set: the PostgreSQL server tests
/// make their databases on.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("SWITCHBOARD_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A new, empty PostgreSQL database on the server `admin_url` points at.
pub async fn fresh_postgres(admin_url: &str) -> TestDb {
    sqlx::any::install_default_drivers();
    let name = format!("sbt_{}", hex(&switchboard_crypto::random::array::<8>().unwrap()));
    let mut admin = AnyConnection::connect(admin_url).await.expect("connect to SWITCHBOARD_TEST_DATABASE_URL");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    admin.close().await.unwrap();
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    TestDb::Postgres { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub struct TestApp {
    pub running: Option<Running>,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    /// Kept so the directory lives as long as the test.
    _dir: TempDir,
    pub config: Config,
    pub db: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or("").to_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

impl TestApp {
    /// A server with the demo practices.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        init_once();
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_database(&dir).await;
        let mut config =
            Config { addr: "127.0.0.1:0".parse().unwrap(), data_dir: dir.path().join("data"), ..Config::default() };
        config.tls.self_signed = true;
        config.database_url = Some(db.url());
        // Tests drive the job runner themselves, with the test clock.
        config.run_jobs = false;
        // Live streams notice ended sessions quickly.
        config.live_session_check_millis = 100;
        configure(&mut config);
        let clock = Arc::new(ManualClock::new(Timestamp::parse_rfc3339(T0).unwrap()));
        let app = server::open_app(&config, clock.clone()).await.unwrap();
        switchboard::demo::seed(&app).await.unwrap();
        let running = server::start_with(app, &config).await.unwrap();
        let client = client_for(&running);
        TestApp { running: Some(running), clock, client, _dir: dir, config, db }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    pub fn app(&self) -> &Switchboard {
        &self.running().app
    }

    pub fn url(&self, path: &str) -> String {
        self.running().url(path)
    }

    pub fn advance(&self, by: Span) {
        self.clock.advance(by);
    }

    /// Stops the server (if it runs) and starts it again on the same data.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.unwrap();
        }
        let app = server::open_app(&self.config, self.clock.clone()).await.unwrap();
        let running = server::start_with(app, &self.config).await.unwrap();
        self.client = client_for(&running);
        self.running = Some(running);
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
        self.db.drop_database().await;
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        into_resp(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// A POST with exactly these bytes and this content type.
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, content_type: &str, bytes: Vec<u8>) -> Resp {
        let mut req = self.client.post(self.url(path)).header("content-type", content_type).body(bytes);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        into_resp(req.send().await.unwrap()).await
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Resp {
        self.post("/api/v1/auth/login", None, json!({"username": username, "password": password})).await
    }

    pub async fn login(&self, username: &str) -> String {
        let r = self.try_login(username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.text);
        r.json()["token"].as_str().unwrap().to_owned()
    }

    /// Asks to start a conversation with `body` as the request; the answer
    /// is the caller's to check.
    pub async fn start_conversation(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v1/conversations", Some(token), body).await
    }

    /// Asks to add a staff account (`body` as the request).
    pub async fn add_staff(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v1/staff-accounts", Some(token), body).await
    }

    /// Asks to add a patient record (`body` as the request).
    pub async fn add_patient(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v1/patient-accounts", Some(token), body).await
    }

    /// Runs every job that is due now; returns how many turns did work.
    pub async fn run_due_jobs(&self) -> usize {
        let runner = JobRunner::new(self.app().clone());
        let mut ran = 0;
        while runner.run_once().await.unwrap() != Turn::Idle {
            ran += 1;
        }
        ran
    }

    /// Starts a conversation as a patient; returns its id.
    /// The demo practice's administrator lets the front desk and billing
    /// read every topic (the sensitive categories keep their defaults):
    /// for tests about something else that read clinical threads as those
    /// roles, as every practice could before sensitivity settings existed.
    pub async fn desk_and_billing_read_every_topic(&self) {
        let admin = self.login("admin").await;
        let all = json!([
            "care_question",
            "prescription_refill",
            "scheduling",
            "billing",
            "test_results",
            "telehealth",
            "monitoring_program"
        ]);
        let body = json!({
            "categories": [
                {"category": "behavioural_health", "roles": ["provider", "nurse", "medical_assistant"]},
                {"category": "reproductive_health", "roles": ["provider", "nurse", "medical_assistant"]},
                {"category": "substance_use", "roles": ["provider"]},
            ],
            "topics": [{"role": "front_desk", "topics": all}, {"role": "billing", "topics": all}],
        });
        let r = self.put("/api/v1/practice/sensitivity", Some(&admin), body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    pub async fn patient_conversation(&self, token: &str, subject: &str, body: &str) -> String {
        let r =
            self.start_conversation(token, json!({"subject": subject, "topic": "care_question", "body": body})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"].as_str().unwrap().to_owned()
    }

    /// A direct connection to the database, as an attacker or an operator
    /// with database access would have.
    pub async fn db(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.db.url()).await.unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let mut c = self.db().await;
        let row = sqlx::query(sql).fetch_one(&mut c).await.unwrap();
        row.try_get::<i64, _>(0).unwrap()
    }

    /// Row counts of every table that records PHI or activity.
    pub async fn footprint(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for t in [
            "conversations",
            "messages",
            "notes",
            "amendments",
            "message_reads",
            "idempotency_keys",
            "audit_log",
            "events",
            "data_keys",
        ] {
            out.push(self.count(&format!("SELECT count(*) FROM {t}")).await);
        }
        out
    }

    /// The id of the practice's department called `name`, as the API
    /// lists it to `token`.
    pub async fn department_id(&self, token: &str, name: &str) -> String {
        let practice = self.get("/api/v1/practice", Some(token)).await.json();
        let departments = practice["departments"].as_array().unwrap();
        let department = departments.iter().find(|d| d["name"] == name).unwrap();
        department["id"].as_str().unwrap().to_owned()
    }

    pub async fn user_id(&self, username: &str) -> String {
        self.app().user_id(username).await.unwrap().unwrap().to_string()
    }

    pub async fn patient_id(&self, username: &str) -> String {
        let u = self.app().user_id(username).await.unwrap().unwrap();
        self.app().patient_of_user(u).await.unwrap().unwrap().to_string()
    }

    /// Runs the `switchboard` binary against this test's data (off the
    /// runtime's thread, so the server keeps serving meanwhile).
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--data-dir").arg(&self.config.data_dir).arg("--database-url").arg(self.db.url());
        cmd.args(args).env_remove("SWITCHBOARD_MASTER_KEY").env("RUST_LOG", "warn");
        tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
    }
}

pub fn client_for(running: &Running) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(running.cert_pem.as_deref().unwrap_or("").as_bytes()).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap()
}

async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    Resp { status, headers, text }
}

/// Ids of the conversations in a listing.
pub fn ids(list: &Value) -> Vec<String> {
    list["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}
