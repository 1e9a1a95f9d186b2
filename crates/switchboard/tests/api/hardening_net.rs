//! Connection floods and shutdown (issue 12): idle and slow connections are
//! closed by deadlines, one address cannot take every slot, a server at its
//! descriptor limit keeps serving, and a shutdown ends within its deadline
//! with a slow-header connection open, finishing requests in progress and
//! handing back an unfinished job.

use crate::support::*;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_service::jobs::{JobFuture, JobHandler, JobRunner, Turn};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

/// A raw TCP connection to `addr` from the local address `from`.
async fn tcp_from(from: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

fn connector(cert_pem: &str) -> TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A TLS connection with its handshake done, and nothing sent yet.
async fn tls(cert_pem: &str, addr: SocketAddr) -> TlsStream<TcpStream> {
    let tcp = tcp_from("127.0.0.1", addr).await;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    connector(cert_pem).connect(name, tcp).await.unwrap()
}

/// Whether the server closes the connection within `within` (reading and
/// discarding whatever it sends first).
async fn closed_within(io: &mut (impl AsyncRead + Unpin), within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Sends a request head one header line at a time, `every` apart, for as
/// long as it is polled; returns when the server closes the connection.
async fn trickle_headers(io: &mut (impl AsyncRead + AsyncWrite + Unpin), every: Duration) {
    let (mut r, mut w) = tokio::io::split(io);
    let writing = async {
        if w.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").await.is_err() {
            return;
        }
        for i in 0u64.. {
            tokio::time::sleep(every).await;
            if w.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).await.is_err() || w.flush().await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = writing => {},
        _ = closed_within(&mut r, Duration::from_secs(3600)) => {},
    }
}

/// A normal client whose connections come from `from`.
fn client_from(t: &TestApp, from: &str) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(t.running().cert_pem.as_deref().unwrap().as_bytes()).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .local_address(from.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test]
async fn hardening_net_idle_and_slow_connections_are_closed_by_the_header_timeout() {
    let t = TestApp::spawn_with(|c| {
        c.limits.header_timeout_secs = 1;
        c.limits.idle_timeout_secs = 60;
    })
    .await;
    let addr = t.running().addr;
    let cert = t.running().cert_pem.clone().unwrap();
    // Deadlines of 1 s; a server without them keeps these open (a TLS
    // connection forever, a bare TCP one until a 10 s handshake timeout).
    let bound = Duration::from_secs(5);

    let mut bare = tcp_from("127.0.0.1", addr).await;
    let mut idle = tls(&cert, addr).await;
    let mut slow = tls(&cert, addr).await;
    let mut kept_alive = tls(&cert, addr).await;
    kept_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    kept_alive.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let started = Instant::now();
    let (bare, idle, slow, kept_alive) = tokio::join!(
        closed_within(&mut bare, bound),
        closed_within(&mut idle, bound),
        tokio::time::timeout(bound, trickle_headers(&mut slow, Duration::from_millis(200))),
        closed_within(&mut kept_alive, bound),
    );
    assert!(bare, "a connection that never starts its TLS handshake is closed");
    assert!(idle, "a TLS connection that never sends a request is closed");
    assert!(slow.is_ok(), "a request head trickled in a line at a time is cut off");
    assert!(kept_alive, "an idle keep-alive connection is closed");
    assert!(started.elapsed() < bound);

    // The server itself is fine.
    assert_eq!(t.get("/healthz", None).await.status, 200);
    t.stop().await;
}

#[tokio::test]
async fn hardening_net_a_stalled_upload_is_closed_by_the_idle_timeout() {
    let t = TestApp::spawn_with(|c| {
        c.limits.header_timeout_secs = 60;
        c.limits.idle_timeout_secs = 1;
    })
    .await;
    let mut conn = tls(t.running().cert_pem.as_deref().unwrap(), t.running().addr).await;
    conn.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    conn.flush().await.unwrap();
    // The head arrived, so only the idle timeout can end this.
    assert!(closed_within(&mut conn, Duration::from_secs(5)).await, "a body that stops arriving is cut off");
    t.stop().await;
}

#[tokio::test]
async fn hardening_net_one_address_cannot_take_every_connection() {
    let t = TestApp::spawn_with(|c| {
        c.limits.max_connections_per_address = 8;
        c.limits.header_timeout_secs = 60;
    })
    .await;
    let addr = t.running().addr;
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let mut conn = tcp_from("127.0.0.3", addr).await;
        // Each is kept open until the end of the test, closed or not.
        flood.spawn(async move { (closed_within(&mut conn, Duration::from_secs(3)).await, conn) });
    }
    // Eight are held (the header timeout is a minute); the rest are closed
    // at once.
    let mut closed = 0;
    let mut held = Vec::new();
    while let Some(r) = flood.join_next().await {
        let (was_closed, conn) = r.unwrap();
        closed += usize::from(was_closed);
        held.push(conn);
    }
    assert_eq!(closed, 32, "connections beyond the per-address cap are closed at once");

    // Another address is served while the flood holds its share.
    let r = client_from(&t, "127.0.0.2").get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    drop(held);
    t.stop().await;
}

#[tokio::test]
async fn hardening_net_shutdown_ends_within_its_deadline_with_a_slow_header_connection_open() {
    let t = TestApp::spawn_with(|c| {
        c.limits.header_timeout_secs = 60;
        c.limits.shutdown_grace_secs = 1;
    })
    .await;
    let cert = t.running().cert_pem.clone().unwrap();
    let addr = t.running().addr;
    let mut slow = tls(&cert, addr).await;
    let trickling = tokio::spawn(async move { trickle_headers(&mut slow, Duration::from_millis(200)).await });

    // A request in progress: its body is still arriving when the shutdown
    // starts, and completes within the grace.
    let mut upload = tls(&cert, addr).await;
    let body = br#"{"username":"nobody-at-all","password":"not-the-password-1"}"#;
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    upload.write_all(&body[..10]).await.unwrap();
    upload.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let stopping = tokio::spawn(t.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    upload.write_all(&body[10..]).await.unwrap();
    upload.flush().await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), upload.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "the request in progress is answered: {answer:?}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");

    tokio::time::timeout(Duration::from_secs(6), stopping)
        .await
        .expect("the shutdown ends within its deadline despite the slow-header connection")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(6));
    tokio::time::timeout(Duration::from_secs(2), trickling)
        .await
        .expect("the slow-header connection was dropped")
        .unwrap();
}

/// Never finishes; says when it has started.
struct Stuck(Arc<tokio::sync::Notify>);

impl JobHandler for Stuck {
    fn run<'a>(&'a self, _app: &'a switchboard_service::Switchboard, _payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            self.0.notify_one();
            std::future::pending().await
        })
    }
}

struct Quick;

impl JobHandler for Quick {
    fn run<'a>(&'a self, _app: &'a switchboard_service::Switchboard, _payload: &'a str) -> JobFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn hardening_net_a_job_unfinished_at_shutdown_is_handed_back_for_another_node() {
    let t = TestApp::spawn().await;
    let job = t.app().schedule("slow_sync", "{}", t.app().now(), None).await.unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let runner = JobRunner::new(t.app().clone())
        .with_handler("slow_sync", Arc::new(Stuck(started.clone())))
        .with_shutdown_grace(Duration::from_millis(500));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.run(Duration::from_millis(20), async {
        let _ = stopped.await;
    }));
    tokio::time::timeout(Duration::from_secs(10), started.notified()).await.unwrap();
    assert_eq!(t.app().job_status(job).await.unwrap().unwrap().state, "running");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("the runner stops within its grace").unwrap();
    let s = t.app().job_status(job).await.unwrap().unwrap();
    assert_eq!((s.state.as_str(), s.attempts), ("pending", 0), "handed back, the cut-short attempt not counted");

    // Another node takes it at once, without waiting for the lease to end
    // (the test clock has not moved).
    let other = JobRunner::new(t.app().clone()).with_handler("slow_sync", Arc::new(Quick));
    let mut turns = Vec::new();
    loop {
        let turn = other.run_once().await.unwrap();
        if turn == Turn::Idle {
            break;
        }
        turns.push(turn);
    }
    assert!(turns.contains(&Turn::Done(job)), "{turns:?}");
    t.stop().await;
}

/// The `switchboard` binary serving on a free port, with `limits` and, if
/// given, an open-file limit it cannot raise.
struct Process {
    child: std::process::Child,
    addr: SocketAddr,
    cert_pem: String,
    dir: tempfile::TempDir,
}

impl Process {
    async fn start(limits: &str, nofile: Option<u64>) -> Option<Process> {
        let dir = tempfile::tempdir().unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let config = dir.path().join("switchboard.toml");
        let data = dir.path().join("data");
        std::fs::write(
            &config,
            format!(
                "addr = \"{addr}\"\ndata_dir = \"{}\"\nrun_jobs = false\n[tls]\nself_signed = true\n[limits]\n{limits}\n",
                data.display()
            ),
        )
        .unwrap();
        let exe = env!("CARGO_BIN_EXE_switchboard");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = std::process::Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(exe);
                c
            }
            None => std::process::Command::new(exe),
        };
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        cmd.arg("--config").arg(&config).arg("serve");
        cmd.env_remove("SWITCHBOARD_MASTER_KEY").env("RUST_LOG", "warn");
        cmd.stdout(std::process::Stdio::null()).stderr(log);
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                println!("cannot start the server ({e}); skipped");
                return None;
            }
        };
        let cert_path = data.join("tls/cert.pem");
        let mut process = Process { child, addr, cert_pem: String::new(), dir };
        for _ in 0..300 {
            if let Ok(pem) = std::fs::read_to_string(&cert_path)
                && !pem.is_empty()
                && TcpStream::connect(addr).await.is_ok()
            {
                process.cert_pem = pem;
                return Some(process);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start: {}", process.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn client(&self) -> reqwest::Client {
        let cert = reqwest::Certificate::from_pem(self.cert_pem.as_bytes()).unwrap();
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit.
    async fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test]
async fn hardening_net_a_flood_at_the_descriptor_limit_does_not_lock_others_out() {
    // 256 descriptors, hard limit too, so the server cannot raise it. Before
    // the cap and timeouts, some 240 idle TLS connections took every
    // descriptor for good: accept failed for everyone else.
    let limits = "max_connections_per_address = 100000\nheader_timeout_secs = 1";
    let Some(server) = Process::start(limits, Some(256)).await else { return };
    let cert = server.cert_pem.clone();
    let addr = server.addr;
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..320 {
        let cert = cert.clone();
        flood.spawn(async move {
            let tcp = TcpStream::connect(addr).await.ok()?;
            let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
            let mut conn =
                tokio::time::timeout(Duration::from_secs(60), connector(&cert).connect(name, tcp)).await.ok()?.ok()?;
            // Holds the connection, sending nothing, until the server closes it.
            closed_within(&mut conn, Duration::from_secs(120)).await.then_some(())
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let r = server.client().get(format!("https://{addr}/healthz")).send().await;
    assert!(r.as_ref().is_ok_and(|r| r.status() == 200), "a normal client is served: {r:?}\n{}", server.log());
    assert!(server.log().contains("max_connections lowered"), "{}", server.log());
    flood.abort_all();
}

#[tokio::test]
async fn hardening_net_sigterm_ends_the_process_within_the_deadline_with_a_slow_header_connection_open() {
    let limits = "header_timeout_secs = 120\nshutdown_grace_secs = 2";
    let Some(mut server) = Process::start(limits, None).await else { return };
    let mut slow = tls(&server.cert_pem, server.addr).await;
    let trickling = tokio::spawn(async move { trickle_headers(&mut slow, Duration::from_millis(200)).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = server.terminate(Duration::from_secs(8)).await;
    assert!(status.is_some_and(|s| s.success()), "exits cleanly within the deadline: {status:?}\n{}", server.log());
    assert!(server.log().contains("shutdown deadline reached"), "{}", server.log());
    tokio::time::timeout(Duration::from_secs(2), trickling).await.unwrap().unwrap();
}

#[tokio::test]
async fn hardening_net_live_streams_outlast_the_header_timeout() {
    // The header timeout runs only while the server waits for a request, so
    // a quiet live stream is not cut by it.
    let t = TestApp::spawn_with(|c| {
        c.limits.header_timeout_secs = 1;
        c.limits.idle_timeout_secs = 60;
    })
    .await;
    let alice = t.login("alice").await;
    let mut live = t.client.get(t.url("/api/v1/events")).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let quiet = tokio::time::timeout(Duration::from_secs(3), live.chunk()).await;
    assert!(quiet.is_err(), "three header timeouts later the stream is still open and quiet: {quiet:?}");
    let stopping = tokio::spawn(t.stop());
    let chunk = tokio::time::timeout(Duration::from_secs(5), live.chunk()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&chunk).contains("reconnect"));
    tokio::time::timeout(Duration::from_secs(10), stopping).await.unwrap().unwrap();
}
