//! `--notify N`: from a staff reply to the patient's email accepted by an
//! SMTP server, and how many notifications one node sends per second.
//!
//! A server (its job runner on, coalescing off) emails N patients through
//! a minimal SMTP server on this machine that accepts every message and
//! notes when its DATA ended. First the nurse replies to the N
//! conversations one at a time, 50 ms apart (latency: from sending the
//! reply to the email's acceptance, p50/p99); then replies to all of them
//! again at once (throughput: emails accepted per second, from the first
//! reply to the last email).

use crate::{PASSWORD, login, machine, percentile};
use anyhow::Context as _;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard::config::Config;
use switchboard_domain::audit::AuditActor;
use switchboard_domain::role::StaffRole;
use switchboard_service::my_account::ContactDetails;
use switchboard_service::{NewStaffInput, RequestContext, SystemClock};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

/// When each conversation's email arrived.
type Arrivals = Arc<Mutex<Vec<(Instant, String)>>>;

/// An SMTP server that takes everything: enough of RFC 5321 for lettre.
async fn sink(listener: tokio::net::TcpListener, arrivals: Arrivals) {
    while let Ok((stream, _)) = listener.accept().await {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            let _ = write.write_all(b"220 sink ESMTP\r\n").await;
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                let answer: &[u8] = match verb.as_str() {
                    "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                    "DATA" => {
                        let _ = write.write_all(b"354 go on\r\n").await;
                        let mut message = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            message.push_str(&line);
                        }
                        let at = Instant::now();
                        // Quoted-printable may fold the link: unfold first.
                        let text = message.replace("=\r\n", "");
                        if let Some(i) = text.find("/app#/c/") {
                            let id: String = text[i + 8..].chars().take(36).collect();
                            if let Ok(mut a) = arrivals.lock() {
                                a.push((at, id));
                            }
                        }
                        b"250 queued\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 ok\r\n",
                };
                if write.write_all(answer).await.is_err() {
                    return;
                }
            }
        });
    }
}

pub fn run(patients: usize, server_threads: usize, job_workers: usize) -> anyhow::Result<()> {
    println!("switchboard-loadgen --notify");
    println!("  machine:  {}", machine());
    println!("  backend:  SQLite (WAL, synchronous=FULL) in a temporary directory");
    println!(
        "  setup:    {patients} patients with an email address, coalescing off, job runner on; \
         a minimal SMTP server on 127.0.0.1 (in this process); server runtime {server_threads} threads, \
         {job_workers} job workers"
    );
    let dir = tempfile::tempdir()?;
    let arrivals: Arrivals = Arc::default();
    let sink_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let listener = sink_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let smtp_port = listener.local_addr()?.port();
    sink_rt.spawn(sink(listener, arrivals.clone()));

    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let data_dir = dir.path().join("data");
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(server_threads).enable_all().build()?;
        rt.block_on(async move {
            let mut config = Config { addr: "127.0.0.1:0".parse()?, data_dir, ..Config::default() };
            config.tls.self_signed = true;
            config.limits.max_connections_per_address = config.limits.max_connections;
            config.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
            config.smtp_from = Some("Load Test Clinic <noreply@example.org>".into());
            config.notice_coalescing_secs = 0;
            config.job_workers = job_workers;
            let app = switchboard::server::open_app(&config, Arc::new(SystemClock)).await?;
            let system = AuditActor::System;
            let practice = app.create_practice("Load Test Clinic", system).await?;
            // Staff sign in with a password alone in the load runs.
            app.set_staff_second_factor_required(practice, false).await?;
            let dept = app.create_department(practice, "General", system).await?;
            let nurse = NewStaffInput {
                username: "load.nurse".into(),
                display_name: "Load Nurse".into(),
                role: StaffRole::Nurse,
                password: PASSWORD.into(),
                departments: vec![dept],
            };
            let nurse = app.create_staff(practice, nurse, system).await?;
            let team = app.create_care_team(practice, Some(dept), "Team", Some(nurse), &[], system).await?;
            for i in 0..patients {
                app.create_patient(practice, crate::test_patient(i, dept, team), system).await?;
                let user = app.user_id(&format!("patient{i}")).await?.context("patient login")?;
                switchboard::demo::accept_terms_as(&app, user).await?;
                let contact = ContactDetails { email: Some(format!("patient{i}@example.org")), phone: None };
                app.save_my_contact(&app.principal_for(user).await?, contact, &RequestContext::default()).await?;
            }
            let running = switchboard::server::start_with(app, &config).await?;
            ready_tx.send((running.url(""), running.cert_pem.clone().unwrap_or_default()))?;
            let _ = stop_rx.await;
            running.shutdown().await
        })
    });
    let (url, cert) = ready_rx.recv_timeout(Duration::from_secs(600)).context("the server did not start")?;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let outcome = rt.block_on(drive(&url, &cert, patients, &arrivals));
    let _ = stop.send(());
    let _ = server.join();
    let (latencies, (count, elapsed)) = outcome?;
    let mut sorted = latencies;
    sorted.sort_unstable();
    println!("results");
    println!(
        "  one at a time: {} emails; staff reply sent -> email accepted: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sorted.len(),
        percentile(&sorted, 50.0),
        percentile(&sorted, 99.0),
        percentile(&sorted, 100.0)
    );
    println!(
        "  all at once:   {count} emails in {:.2} s: {:.0} notifications/s",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

async fn reply(client: &reqwest::Client, url: &str, token: &str, conversation: &str) -> anyhow::Result<()> {
    let r = client
        .post(format!("{url}/api/v1/conversations/{conversation}/messages"))
        .bearer_auth(token)
        .json(&json!({"body": "Thank you, we have looked at this."}))
        .send()
        .await?;
    anyhow::ensure!(r.status() == reqwest::StatusCode::CREATED, "reply refused: {}", r.status());
    Ok(())
}

/// Waits until `n` emails have arrived after `from` (at most 5 minutes).
async fn arrived(arrivals: &Arrivals, n: usize) -> anyhow::Result<Vec<(Instant, String)>> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let got = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
        if got.len() >= n {
            return Ok(got);
        }
        anyhow::ensure!(Instant::now() < deadline, "only {} of {n} emails arrived", got.len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn drive(
    url: &str,
    cert: &str,
    patients: usize,
    arrivals: &Arrivals,
) -> anyhow::Result<(Vec<u32>, (usize, Duration))> {
    let cert = reqwest::Certificate::from_pem(cert.as_bytes())?;
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()?;
    let mut conversations = Vec::with_capacity(patients);
    for i in 0..patients {
        let token = login(&client, url, &format!("patient{i}")).await?;
        let created: serde_json::Value = client
            .post(format!("{url}/api/v1/conversations"))
            .bearer_auth(&token)
            .json(&json!({"subject": "Load test", "topic": "care_question", "body": "A question for my nurse."}))
            .send()
            .await?
            .json()
            .await?;
        conversations.push(created.get("id").and_then(|v| v.as_str()).context("create failed")?.to_owned());
    }
    let nurse = login(&client, url, "load.nurse").await?;

    // One at a time.
    let mut sent_at = HashMap::with_capacity(patients);
    for c in &conversations {
        sent_at.insert(c.clone(), Instant::now());
        reply(&client, url, &nurse, c).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = arrived(arrivals, patients).await?;
    let latencies: Vec<u32> = first
        .iter()
        .filter_map(|(at, c)| {
            sent_at.get(c).map(|s| u32::try_from(at.duration_since(*s).as_micros()).unwrap_or(u32::MAX))
        })
        .collect();

    // All at once (16 requests in flight).
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for chunk in conversations.chunks(patients.div_ceil(16).max(1)) {
        let (client, url, nurse, chunk) = (client.clone(), url.to_owned(), nurse.clone(), chunk.to_vec());
        set.spawn(async move {
            for c in &chunk {
                reply(&client, &url, &nurse, c).await?;
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    let all = arrived(arrivals, 2 * patients).await?;
    let last = all.iter().skip(patients).map(|(at, _)| *at).max().context("no emails")?;
    Ok((latencies, (patients, last.duration_since(started))))
}
