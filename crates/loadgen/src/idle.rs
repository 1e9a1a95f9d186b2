//! `--idle-connections N`: what idle connections cost a server, and how
//! quickly a normal client is served while they are open.
//!
//! The server runs in a child process (this program again, with
//! `--serve-config`), so that its resident memory is its own. Its limits are
//! raised above N and its timeouts set to an hour, so the idle connections
//! stay. Each idle connection completes its TLS handshake, makes one
//! keep-alive request (as a browser's would) and then sends nothing. A
//! normal client makes requests to `/healthz` before and while they are
//! open: over one keep-alive connection, and on a new connection each time.

use anyhow::{Context as _, bail};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::config::{Config, Overrides};
use switchboard_service::SystemClock;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

/// The child: serves per `config` until SIGTERM.
pub fn serve_child(config: &Path, threads: usize) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
    rt.block_on(async {
        let config = Config::load(Some(config), Config::default(), &Overrides::default(), std::env::vars_os())
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        let running = switchboard::server::start(&config, Arc::new(SystemClock)).await?;
        running.wait(switchboard::server::shutdown_signal()).await
    })
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

pub(crate) fn connector(cert_pem: &str) -> anyhow::Result<TlsConnector> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A connection that has made one request and then sits idle.
async fn idle_connection(addr: SocketAddr, tls: TlsConnector) -> anyhow::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let mut conn = tls.connect(rustls::pki_types::ServerName::IpAddress(addr.ip().into()), tcp).await?;
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await?;
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            bail!("closed before the answer");
        }
        got.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return Ok(conn);
            }
        }
    }
}

/// Latencies (µs, sorted) of `n` sequential `/healthz` requests.
async fn sample(client: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Vec<u32>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let r = client.get(url).send().await?;
        let status = r.status();
        r.bytes().await?;
        if status != reqwest::StatusCode::OK {
            bail!("/healthz answered {status}");
        }
        out.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    out.sort_unstable();
    Ok(out)
}

fn line(label: &str, sorted: &[u32]) {
    println!(
        "  {label:<44} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} requests)",
        crate::percentile(sorted, 50.0),
        crate::percentile(sorted, 99.0),
        crate::percentile(sorted, 100.0),
        sorted.len()
    );
}

pub fn run(n: usize, server_threads: usize) -> anyhow::Result<()> {
    // The client side holds N descriptors too.
    let soft = switchboard::fd_limit::raise();
    let dir = tempfile::tempdir()?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let data = dir.path().join("data");
    let config = dir.path().join("switchboard.toml");
    let cap = n + 1000;
    std::fs::write(
        &config,
        format!(
            "addr = \"{addr}\"\ndata_dir = \"{}\"\nrun_jobs = false\n[tls]\nself_signed = true\n[limits]\n\
             max_connections = {cap}\nmax_connections_per_address = {cap}\nheader_timeout_secs = 3600\n\
             idle_timeout_secs = 3600\n",
            data.display()
        ),
    )?;
    let log = std::fs::File::create(dir.path().join("server.log"))?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("--serve-config")
        .arg(&config)
        .arg("--server-threads")
        .arg(server_threads.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()?;
    let pid = child.id();
    println!(
        "  load:     {n} idle HTTPS connections (handshake, one keep-alive request, then nothing) against a server \
         process of {server_threads} runtime threads; open-file limit here {soft:?}"
    );
    println!("  build:    {}", if cfg!(debug_assertions) { "debug" } else { "release" });

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let done = rt.block_on(async {
        let cert_path = data.join("tls/cert.pem");
        let mut cert = String::new();
        for _ in 0..600 {
            if let Ok(pem) = std::fs::read_to_string(&cert_path)
                && !pem.is_empty()
                && TcpStream::connect(addr).await.is_ok()
            {
                cert = pem;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if cert.is_empty() {
            bail!("the server did not start");
        }
        let root = reqwest::Certificate::from_pem(cert.as_bytes())?;
        let builder = || {
            reqwest::Client::builder().use_rustls_tls().tls_built_in_root_certs(false).add_root_certificate(root.clone())
        };
        let keep_alive = builder().build()?;
        let fresh = builder().pool_max_idle_per_host(0).build()?;
        let url = format!("https://{addr}/healthz");

        sample(&keep_alive, &url, 200).await?;
        sample(&fresh, &url, 50).await?;
        let before_ka = sample(&keep_alive, &url, 2000).await?;
        let before_new = sample(&fresh, &url, 300).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_before = rss_kib(pid);
        let fds_before = open_descriptors(pid);

        let tls = connector(&cert)?;
        let opening = Instant::now();
        let gate = Arc::new(tokio::sync::Semaphore::new(256));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (tls, gate) = (tls.clone(), gate.clone());
            set.spawn(async move {
                let _turn = gate.acquire_owned().await?;
                idle_connection(addr, tls).await
            });
        }
        let mut idle = Vec::with_capacity(n);
        let mut failed = 0usize;
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(conn)) => idle.push(conn),
                _ => failed += 1,
            }
        }
        let opened_in = opening.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_after = rss_kib(pid);
        let fds_after = open_descriptors(pid);

        let during_ka = sample(&keep_alive, &url, 2000).await?;
        let during_new = sample(&fresh, &url, 300).await?;
        let fds_end = open_descriptors(pid);

        println!("results");
        println!(
            "  opened:   {} idle connections in {:.1} s ({failed} failed); server descriptors {fds_before} -> {fds_after}",
            idle.len(),
            opened_in.as_secs_f64()
        );
        let per = (rss_after.saturating_sub(rss_before)) as f64 / idle.len().max(1) as f64;
        println!("  memory:   server RSS {rss_before} KiB -> {rss_after} KiB: {per:.1} KiB per idle connection");
        line("normal client, keep-alive, no idle connections", &before_ka);
        line(&format!("normal client, keep-alive, {} idle open", idle.len()), &during_ka);
        line("normal client, new connection each, no idle", &before_new);
        line(&format!("normal client, new connection each, {} idle", idle.len()), &during_new);
        println!("  after:    server descriptors {fds_end}: the idle connections were still open");
        drop(idle);
        Ok::<_, anyhow::Error>(())
    });
    let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    if done.is_err() {
        eprintln!("{}", std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default());
    }
    done.context("idle-connection benchmark")
}
