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

fn start_demo(bin: &PathBuf, max_mib: usize, env: &[(String, String)]) -> anyhow::Result<Demo> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("demo")
        .env("SWITCHBOARD_ATTACHMENTS__MAX_FILE_MIB", max_mib.to_string())
        .env("SWITCHBOARD_ATTACHMENTS__MAX_MESSAGE_MIB", (2 * max_mib).to_string())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let out = child.stdout.take().context("no stdout")?;
    for line in BufReader::new(out).lines() {
        let line = line?;
        if let Some(rest) = line.split("Switchboard demo: ").nth(1) {
            let url = rest.split('/').take(3).collect::<Vec<_>>().join("/");
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
    for &mib in sizes {
        let demo = start_demo(&bin, mib.max(1) + 1, env)?;
        let pid = demo.child.id();
        let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build()?;
        let data = file(kind, mib * MIB);
        let (uploads, downloads, before, peak) = rt.block_on(async {
            let login: serde_json::Value = client
                .post(format!("{}/api/v1/auth/login", demo.url))
                .json(&serde_json::json!({"username": "alice", "password": switchboard::demo::DEMO_PASSWORD}))
                .send()
                .await?
                .json()
                .await?;
            let token = login.get("token").and_then(|v| v.as_str()).context("login failed")?.to_owned();
            let created: serde_json::Value = client
                .post(format!("{}/api/v1/conversations", demo.url))
                .bearer_auth(&token)
                .json(&serde_json::json!({"subject": "Scans", "topic": "care_question", "body": "Scans attached"}))
                .send()
                .await?
                .json()
                .await?;
            let conversation = created.get("id").and_then(|v| v.as_str()).context("create failed")?.to_owned();
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
    Ok(())
}
