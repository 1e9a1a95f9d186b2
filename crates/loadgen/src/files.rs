//! `--files`: upload and download throughput of attachments, and the
//! server's peak memory while it handles them.
//!
//! For each size, a fresh `switchboard demo` (the release binary beside
//! this one, or `--switchboard-bin`) is started as a child process with its
//! file limit raised, so that its memory is its own. After start-up its
//! peak resident set is reset (`/proc/<pid>/clear_refs`, "5"); a patient
//! then uploads the file `--repeat` times (each timed from the first byte
//! sent to the `201`), sends them, and downloads each (timed to the last
//! byte). The peak resident set after all of that, less the resident set
//! before, is what the files cost the server. `--server-env KEY=VALUE`
//! passes settings to the server (an object store, say).

use anyhow::{Context as _, bail};
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const MIB: usize = 1024 * 1024;

/// Resident and peak resident memory of `pid`, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Demo {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh demo; `limits` raises the file and message limits, in MiB
/// (`None`: the defaults).
fn start_demo(bin: &PathBuf, limits: Option<(usize, usize)>, env: &[(String, String)]) -> anyhow::Result<Demo> {
    let dir = tempfile::tempdir()?;
    let mut command = Command::new(bin);
    command.args(["--addr", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("data")).arg("demo");
    if let Some((file, message)) = limits {
        command
            .env("SWITCHBOARD_ATTACHMENTS__MAX_FILE_MIB", file.to_string())
            .env("SWITCHBOARD_ATTACHMENTS__MAX_MESSAGE_MIB", message.to_string());
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let out = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(out).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.split("Switchboard demo: ").nth(1) {
            let url = rest.split('/').take(3).collect::<Vec<_>>().join("/");
            // The demo goes on printing (its logins): keep its pipe drained,
            // or a closed pipe would stop it.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(Demo { child, url, _dir: dir });
        }
    }
    bail!("the demo server did not start")
}

/// A file of `size` bytes from a cheap generator, so the bytes do not
/// compress: a PDF (kept as sent: the pipeline without a cleaner), or an
/// MP4 whose media data streams through the video cleaner.
fn file(kind: FileKind, size: usize) -> Vec<u8> {
    let mut out = match kind {
        FileKind::Pdf => b"%PDF-1.4\n".to_vec(),
        FileKind::Mp4 => {
            let mut head = vec![0, 0, 0, 20];
            head.extend_from_slice(b"ftypisom\0\0\0\0isom");
            let mdat = u32::try_from(size.saturating_sub(head.len())).unwrap_or(u32::MAX);
            head.extend_from_slice(&mdat.to_be_bytes());
            head.extend_from_slice(b"mdat");
            head
        }
    };
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(size);
    out
}

/// What the benchmark uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FileKind {
    Pdf,
    Mp4,
}

fn multipart(kind: FileKind, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "loadgen-files";
    let (name, ct) = match kind {
        FileKind::Pdf => ("scan.pdf", "application/pdf"),
        FileKind::Mp4 => ("clip.mp4", "video/mp4"),
    };
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

async fn wait_a_moment(_: reqwest::Error) {
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
}

/// Alice signs in and starts a conversation: her token and its id.
async fn patient_conversation(client: &reqwest::Client, url: &str) -> anyhow::Result<(String, String)> {
    // The demo prints its address as it starts listening: a first attempt
    // may come a moment early.
    let mut tries = 0;
    let login: serde_json::Value = loop {
        let sent = client
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "alice", "password": switchboard::demo::DEMO_PASSWORD}))
            .send()
            .await;
        match sent {
            Ok(r) => break r.json().await?,
            Err(e) if tries < 20 => {
                tries += 1;
                wait_a_moment(e).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let token = login.get("token").and_then(|v| v.as_str()).context("login failed")?.to_owned();
    let created: serde_json::Value = client
        .post(format!("{url}/api/v1/conversations"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"subject": "Scans", "topic": "care_question", "body": "Scans attached"}))
        .send()
        .await?
        .json()
        .await?;
    let conversation = created.get("id").and_then(|v| v.as_str()).context("create failed")?.to_owned();
    Ok((token, conversation))
}

/// 1 GiB announced and streamed (an MP4's media data) at the default limit:
/// how much the server read before answering, what it answered, and what
/// its memory did meanwhile.
async fn oversize(client: &reqwest::Client, demo: &Demo) -> anyhow::Result<(String, u64, u64, u64)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let pid = demo.child.id();
    let (token, conversation) = patient_conversation(client, &demo.url).await?;
    let cert = std::fs::read_to_string(demo._dir.path().join("data/tls/cert.pem"))?;
    let addr: std::net::SocketAddr = demo.url.trim_start_matches("https://").parse()?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").context("resetting the peak (needs Linux)")?;
    let (before, _) = memory(pid);
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = super::idle::connector(&cert)?.connect(name, tcp).await?;
    const GIB: u64 = 1 << 30;
    let boundary = "loadgen-oversize";
    let mut start = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"long.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    )
    .into_bytes();
    // An MP4 head whose media data box announces the whole gigabyte.
    start.extend_from_slice(&[0, 0, 0, 20]);
    start.extend_from_slice(b"ftypisom\0\0\0\0isom");
    start.extend_from_slice(&u32::try_from(GIB + 8).unwrap_or(u32::MAX).to_be_bytes());
    start.extend_from_slice(b"mdat");
    let request = format!(
        "POST /api/v1/conversations/{conversation}/attachments HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        start.len() as u64 + GIB
    );
    let (mut read, mut write) = tokio::io::split(tls);
    let writer = tokio::spawn(async move {
        let mut sent = 0u64;
        if write.write_all(request.as_bytes()).await.is_err() || write.write_all(&start).await.is_err() {
            return sent;
        }
        let block = vec![0u8; 256 * 1024];
        while sent < GIB {
            if write.write_all(&block).await.is_err() {
                break;
            }
            sent += block.len() as u64;
        }
        sent
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                answer.extend_from_slice(buf.get(..n).unwrap_or_default());
                if answer.ends_with(b"}") {
                    break;
                }
            }
        }
    }
    let sent = tokio::time::timeout(std::time::Duration::from_secs(120), writer).await??;
    let (_, peak) = memory(pid);
    let status = String::from_utf8_lossy(&answer).lines().next().unwrap_or("no answer").to_owned();
    Ok((status, sent, before, peak))
}

pub fn run(
    kind: FileKind,
    sizes: &[usize],
    repeat: usize,
    bin: Option<PathBuf>,
    env: &[(String, String)],
) -> anyhow::Result<()> {
    let bin = match bin {
        Some(b) => b,
        None => std::env::current_exe()?.with_file_name("switchboard"),
    };
    println!("switchboard-loadgen --files");
    println!("  machine:  {}", super::machine());
    println!("  server:   {} demo (SQLite), a fresh one per size", bin.display());
    for (k, _) in env {
        println!("  server setting: {k}");
    }
    let what = match kind {
        FileKind::Pdf => "a PDF (kept as sent)",
        FileKind::Mp4 => "an MP4 (through the video cleaner)",
    };
    println!("  file:     {what}, uploaded {repeat} times per size, then each downloaded");
    println!();
    println!(
        "| size | upload MiB/s (median) | download MiB/s (median) | server RSS before | server peak RSS | peak − before |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build()?;
    for &mib in sizes {
        let demo = start_demo(&bin, Some((mib + 1, (mib + 1) * repeat)), env)?;
        let pid = demo.child.id();
        let data = file(kind, mib * MIB);
        let (uploads, downloads, before, peak) = rt.block_on(async {
            let (token, conversation) = patient_conversation(&client, &demo.url).await?;
            let (content_type, body) = multipart(kind, &data);
            // Settle, then measure from here.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            std::fs::write(format!("/proc/{pid}/clear_refs"), "5").context("resetting the peak (needs Linux)")?;
            let (before, _) = memory(pid);
            let mut ids = Vec::new();
            let mut uploads = Vec::new();
            for _ in 0..repeat {
                let started = Instant::now();
                let r = client
                    .post(format!("{}/api/v1/conversations/{conversation}/attachments", demo.url))
                    .bearer_auth(&token)
                    .header("content-type", &content_type)
                    .body(body.clone())
                    .send()
                    .await?;
                if r.status() != reqwest::StatusCode::CREATED {
                    bail!("upload answered {}: {}", r.status(), r.text().await.unwrap_or_default());
                }
                let a: serde_json::Value = r.json().await?;
                uploads.push(mib as f64 / started.elapsed().as_secs_f64());
                ids.push(a.get("id").and_then(|v| v.as_str()).context("no id")?.to_owned());
            }
            let r = client
                .post(format!("{}/api/v1/conversations/{conversation}/messages", demo.url))
                .bearer_auth(&token)
                .json(&serde_json::json!({"body": "", "attachment_ids": ids}))
                .send()
                .await?;
            if r.status() != reqwest::StatusCode::CREATED {
                bail!("sending answered {}", r.status());
            }
            let mut downloads = Vec::new();
            for id in &ids {
                let started = Instant::now();
                let mut r =
                    client.get(format!("{}/api/v1/attachments/{id}", demo.url)).bearer_auth(&token).send().await?;
                let mut got = 0usize;
                while let Some(chunk) = r.chunk().await? {
                    got += chunk.len();
                }
                if got != data.len() {
                    bail!("downloaded {got} bytes of {}", data.len());
                }
                downloads.push(mib as f64 / started.elapsed().as_secs_f64());
            }
            let (_, peak) = memory(pid);
            Ok::<_, anyhow::Error>((uploads, downloads, before, peak))
        })?;
        let (mut uploads, mut downloads) = (uploads, downloads);
        println!(
            "| {mib} MiB | {:.1} | {:.1} | {:.1} MiB | {:.1} MiB | {:.1} MiB |",
            median(&mut uploads),
            median(&mut downloads),
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0
        );
        drop(demo);
    }
    let demo = start_demo(&bin, None, env)?;
    let (status, sent, before, peak) = rt.block_on(oversize(&client, &demo))?;
    println!();
    println!(
        "1 GiB announced and streamed at the default 25 MiB limit: answered `{status}` after {:.1} MiB had been \
         sent (socket buffers included); server RSS {:.1} MiB before, peak {:.1} MiB (+{:.1} MiB)",
        sent as f64 / MIB as f64,
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(before) as f64 / 1024.0
    );
    Ok(())
}
