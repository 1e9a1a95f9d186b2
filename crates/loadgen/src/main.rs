//! `switchboard-loadgen`: how fast does one node accept messages?
//!
//! Starts a real server (HTTPS, SQLite in a temporary directory by default,
//! or PostgreSQL) on its own runtime, creates a practice with N patients,
//! then has every patient send messages back to back, each over its own
//! keep-alive TLS connection, for a fixed time. Every message is a full
//! request: session check, access policy, encryption, durable commit with
//! its audit record and event. Prints throughput and latency percentiles,
//! and what it ran on.
//!
//! With `--import-rows N` it times the patient import from an EHR export
//! instead (see `import.rs`); with `--idle-connections N` it measures what
//! idle connections cost and how a normal client fares among them (see
//! `idle.rs`); with `--notify N`, how long a staff reply takes to reach
//! the patient's email, and how many notifications a node sends per second
//! (see `notify.rs`); with `--search-messages N`, search latency over N
//! seeded messages and the send path's cost with indexing (see
//! `search.rs`).
#![allow(clippy::print_stdout)]

mod files;
mod idle;
mod import;
mod notify;
mod search;

use anyhow::Context as _;
use clap::Parser;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::config::Config;
use switchboard_domain::audit::AuditActor;
use switchboard_domain::role::StaffRole;
use switchboard_service::{NewPatientInput, NewStaffInput, SystemClock};

#[derive(Parser, Clone)]
#[command(about = "Drive N concurrent patients sending messages to a fresh Switchboard server")]
struct Args {
    /// Concurrent patients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 64)]
    patients: usize,
    /// Seconds of measured load (after the warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of unmeasured warm-up.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Characters per message body.
    #[arg(long, default_value_t = 200)]
    body_chars: usize,
    /// `postgres://…` to benchmark PostgreSQL (a fresh database is created
    /// and dropped there); SQLite in a temporary directory otherwise.
    #[arg(long)]
    postgres_admin_url: Option<String>,
    /// Worker threads for the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Time the patient import instead: a synthetic EHR file of this many
    /// rows, checked (dry run), imported, imported again unchanged, and
    /// imported with every row changed.
    #[arg(long)]
    import_rows: Option<usize>,
    /// Measure idle connections instead: the server's memory per idle
    /// HTTPS connection, and a normal client's latency with this many open.
    #[arg(long)]
    idle_connections: Option<usize>,
    /// Measure notifications instead: a staff reply to each of this many
    /// patients, to the email accepted by an SMTP server (see `notify.rs`).
    #[arg(long)]
    notify: Option<usize>,
    /// With `--notify`: the server's job workers.
    #[arg(long, default_value_t = 4)]
    job_workers: usize,
    /// Measure attachments instead: upload and download throughput and the
    /// server's peak memory for files of these sizes in MiB (see `files.rs`).
    #[arg(long, value_delimiter = ',')]
    files: Vec<usize>,
    /// With `--files`: what to upload.
    #[arg(long, value_enum, default_value = "pdf")]
    file_kind: files::FileKind,
    /// With `--files`: uploads (and downloads) per size.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// With `--files`: the server binary (default: `switchboard` beside this one).
    #[arg(long)]
    switchboard_bin: Option<std::path::PathBuf>,
    /// With `--files`: a setting for the server, `KEY=VALUE` (repeatable).
    #[arg(long, value_parser = parse_env)]
    server_env: Vec<(String, String)>,
    /// Measure search instead: seed this many messages (from `--patients`
    /// patients), then time a nurse's searches (see `search.rs`).
    #[arg(long)]
    search_messages: Option<usize>,
    /// Internal: serve per this configuration file until SIGTERM (the
    /// server process of `--idle-connections`).
    #[arg(long, hide = true)]
    serve_config: Option<std::path::PathBuf>,
}

pub(crate) const PASSWORD: &str = "load-generator-password";

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| "expected KEY=VALUE".to_owned())
}

pub(crate) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    f64::from(sorted.get(rank).copied().unwrap_or(0)) / 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .unwrap_or(0);
    format!("{cores} cores ({cpu}), {:.1} GiB RAM", mem as f64 / 1024.0 / 1024.0)
}

struct Server {
    url: String,
    cert: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

/// Starts the server on a runtime of its own, seeded with `n` patients.
fn start_server(args: &Args, data_dir: std::path::PathBuf, database_url: Option<String>) -> anyhow::Result<Server> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let n = args.patients;
    let threads = args.server_threads;
    let thread = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
        rt.block_on(async move {
            let mut config = Config { addr: "127.0.0.1:0".parse()?, data_dir, database_url, ..Config::default() };
            config.tls.self_signed = true;
            // Every simulated patient connects from 127.0.0.1.
            config.limits.max_connections_per_address = config.limits.max_connections;
            let app = switchboard::server::open_app(&config, Arc::new(SystemClock)).await?;
            let system = AuditActor::System;
            let practice = app.create_practice("Load Test Clinic", system).await?;
            // Staff sign in with a password alone in the load runs.
            app.set_staff_second_factor_required(practice, false).await?;
            let dept = app.create_department(practice, "General", system).await?;
            let nurse = app
                .create_staff(
                    practice,
                    NewStaffInput {
                        username: "load.nurse".into(),
                        display_name: "Load Nurse".into(),
                        role: StaffRole::Nurse,
                        password: PASSWORD.into(),
                        departments: vec![dept],
                    },
                    system,
                )
                .await?;
            let team = app.create_care_team(practice, Some(dept), "Team", Some(nurse), &[], system).await?;
            let admin = NewStaffInput {
                username: "load.admin".into(),
                display_name: "Load Admin".into(),
                role: StaffRole::PracticeAdmin,
                password: PASSWORD.into(),
                departments: vec![],
            };
            app.create_staff(practice, admin, system).await?;
            for i in 0..n {
                app.create_patient(practice, test_patient(i, dept, team), system).await?;
                let user = app.user_id(&format!("patient{i}")).await?.context("patient login")?;
                switchboard::demo::accept_terms_as(&app, user).await?;
            }
            let running = switchboard::server::start_with(app, &config).await?;
            ready_tx.send((running.url(""), running.cert_pem.clone().unwrap_or_default()))?;
            let _ = stop_rx.await;
            running.shutdown().await
        })
    });
    let (url, cert) = ready_rx.recv_timeout(Duration::from_secs(600)).context("the server did not start")?;
    Ok(Server { url, cert, stop, thread })
}

/// The `i`th synthetic patient, signing in as `patient{i}`.
pub(crate) fn test_patient(
    i: usize,
    department: switchboard_domain::ids::DepartmentId,
    care_team: switchboard_domain::ids::CareTeamId,
) -> NewPatientInput {
    NewPatientInput {
        login: Some((format!("patient{i}"), PASSWORD.into())),
        given_name: format!("Test{i}"),
        family_name: "Patient".into(),
        birth_date: "1980-01-01".into(),
        mrn: None,
        department: Some(department),
        care_team: Some(care_team),
    }
}

/// Signs in as `username`, waiting out the server's throttle: it slows
/// many sign-ins from one address, and every simulated person here comes
/// from 127.0.0.1.
pub(crate) async fn login(client: &reqwest::Client, url: &str, username: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let r = client
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await?;
        if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS && Instant::now() < deadline {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait.clamp(1, 30))).await;
            continue;
        }
        let body: serde_json::Value = r.json().await?;
        return Ok(body
            .get("token")
            .and_then(|v| v.as_str())
            .with_context(|| format!("login failed: {body}"))?
            .to_owned());
    }
}

struct PatientResult {
    latencies_us: Vec<u32>,
    errors: u64,
}

async fn patient(
    i: usize,
    url: String,
    client: reqwest::Client,
    body: String,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<PatientResult> {
    let token = login(&client, &url, &format!("patient{i}")).await?;
    let created: serde_json::Value = client
        .post(format!("{url}/api/v1/conversations"))
        .bearer_auth(&token)
        .json(&json!({"subject": "Load test", "topic": "care_question", "body": body}))
        .send()
        .await?
        .json()
        .await?;
    let conversation = created.get("id").and_then(|v| v.as_str()).context("create failed")?.to_owned();
    let send_url = format!("{url}/api/v1/conversations/{conversation}/messages");
    let payload = serde_json::to_vec(&json!({"body": body}))?;
    let mut result = PatientResult { latencies_us: Vec::with_capacity(4096), errors: 0 };
    loop {
        let started = Instant::now();
        if started >= until {
            break;
        }
        let r = client
            .post(&send_url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(payload.clone())
            .send()
            .await;
        let ok = match r {
            Ok(resp) => {
                let status = resp.status();
                let _ = resp.bytes().await;
                status == reqwest::StatusCode::CREATED
            }
            Err(_) => false,
        };
        if started >= measure_from {
            if ok {
                result.latencies_us.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            } else {
                result.errors += 1;
            }
        }
    }
    Ok(result)
}

fn drop_database(args: &Args) {
    if let Some(admin) = &args.postgres_admin_url {
        let name = format!("sb_load_{}", std::process::id());
        let _ = std::process::Command::new("psql")
            .args([admin.as_str(), "-qc", &format!("DROP DATABASE {name} WITH (FORCE)")])
            .status();
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(config) = &args.serve_config {
        return idle::serve_child(config, args.server_threads);
    }
    if !args.files.is_empty() {
        return files::run(
            args.file_kind,
            &args.files,
            args.repeat.max(1),
            args.switchboard_bin.clone(),
            &args.server_env,
        );
    }
    if let Some(n) = args.notify {
        return notify::run(n, args.server_threads, args.job_workers);
    }
    if let Some(n) = args.idle_connections {
        println!("switchboard-loadgen");
        println!("  machine:  {}", machine());
        return idle::run(n, args.server_threads);
    }
    let dir = tempfile::tempdir()?;
    let (database_url, backend) = match &args.postgres_admin_url {
        Some(admin) => {
            let name = format!("sb_load_{}", std::process::id());
            std::process::Command::new("psql")
                .args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
                .status()?;
            (
                Some(format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(admin))),
                format!("PostgreSQL (database {name})"),
            )
        }
        None => (None, "SQLite (WAL, synchronous=FULL) in a temporary directory".to_owned()),
    };
    println!("switchboard-loadgen");
    println!("  machine:  {}", machine());
    println!("  backend:  {backend}");
    if let Some(rows) = args.import_rows {
        let server = start_server(&Args { patients: 0, ..args.clone() }, dir.path().join("data"), database_url)?;
        let done = import::run(&server.url, &server.cert, rows, PASSWORD);
        let _ = server.stop.send(());
        let _ = server.thread.join();
        drop_database(&args);
        return done;
    }
    if let Some(messages) = args.search_messages {
        println!("  seed:     {messages} messages from {} patients", args.patients);
        let server = start_server(&args, dir.path().join("data"), database_url)?;
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let done = rt.block_on(search::run(&server.url, &server.cert, messages, args.patients));
        let _ = server.stop.send(());
        let _ = server.thread.join();
        drop_database(&args);
        return done;
    }
    println!(
        "  load:     {} patients, one keep-alive HTTPS connection each, {}-char messages",
        args.patients, args.body_chars
    );
    println!(
        "  time:     {} s warm-up, {} s measured; server runtime {} threads, load generator on the same machine",
        args.warmup, args.seconds, args.server_threads
    );
    let server = start_server(&args, dir.path().join("data"), database_url)?;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let results = rt.block_on(async {
        let cert = reqwest::Certificate::from_pem(server.cert.as_bytes())?;
        let body: String =
            "Is it normal to feel dizzy after the new dose? ".chars().cycle().take(args.body_chars).collect();
        let start = Instant::now();
        let measure_from = start + Duration::from_secs(args.warmup);
        let until = measure_from + Duration::from_secs(args.seconds);
        let mut set = tokio::task::JoinSet::new();
        for i in 0..args.patients {
            let client = reqwest::Client::builder()
                .use_rustls_tls()
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert.clone())
                .pool_max_idle_per_host(1)
                .build()?;
            set.spawn(patient(i, server.url.clone(), client, body.clone(), measure_from, until));
        }
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            all.push(r??);
        }
        Ok::<_, anyhow::Error>(all)
    })?;

    let _ = server.stop.send(());
    let _ = server.thread.join();
    drop_database(&args);

    let mut latencies: Vec<u32> = results.iter().flat_map(|r| r.latencies_us.iter().copied()).collect();
    let errors: u64 = results.iter().map(|r| r.errors).sum();
    latencies.sort_unstable();
    let n = latencies.len();
    println!("results");
    println!("  messages: {n} acknowledged (201), {errors} failed");
    println!("  rate:     {:.0} messages/s", n as f64 / args.seconds as f64);
    println!(
        "  latency:  p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    Ok(())
}
