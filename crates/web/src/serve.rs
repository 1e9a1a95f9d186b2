//! Accepting and serving connections, with the limits a public server needs:
//! a deadline for every request head (which also ends idle keep-alive
//! connections), an inactivity timeout, a global cap kept below the file
//! descriptor limit, a per-address cap, a backoff when the process is out
//! of descriptors, and a graceful shutdown that ends within a deadline.

mod io;
mod per_address;

use crate::tls::PeerAddr;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming as Body;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use io::{Activity, Watched};
use per_address::PerAddress;
use rustls::ServerConfig;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// What a connection may cost the server.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Open connections at once (TLS handshakes included). Keep it below the
    /// file descriptor limit, so that the database and everyone else still
    /// get descriptors.
    pub max_connections: usize,
    /// Open connections from one address (an IPv4 address, an IPv6 /64).
    pub max_connections_per_address: usize,
    /// The TLS handshake, and each request head (from when the server starts
    /// waiting for it: a new connection, or the end of the previous
    /// response), must arrive within this.
    pub header_timeout: Duration,
    /// A connection on which no byte moves either way for this long is
    /// closed (a stalled upload, a client that stopped reading). Live
    /// streams send a keep-alive more often than this.
    pub idle_timeout: Duration,
    /// At shutdown, requests in progress get this long to finish; then the
    /// remaining connections are dropped.
    pub shutdown_grace: Duration,
    /// Addresses not held to the per-address cap (trusted proxies).
    pub exempt: Vec<IpAddr>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 10_000,
            max_connections_per_address: 1000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            exempt: Vec::new(),
        }
    }
}

/// Plain HTTP (behind a TLS-terminating proxy) or TLS.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls(Arc<ServerConfig>),
}

/// Where connections come from: a TCP listener, or a stand-in in tests.
pub(crate) trait Accept: Send {
    fn accept(&mut self) -> impl Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    fn accept(&mut self) -> impl Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Send {
        TcpListener::accept(self)
    }
}

/// What every connection task shares.
struct Shared {
    router: Router,
    tls: Option<TlsAcceptor>,
    http: http1::Builder,
    limits: ConnectionLimits,
}

/// Serves `router` on `tcp` until `shutdown` resolves, then stops accepting,
/// lets requests in progress finish, and returns within
/// `limits.shutdown_grace`.
pub async fn serve(
    tcp: TcpListener,
    transport: Transport,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_from(tcp, transport, router, limits, shutdown).await;
    Ok(())
}

pub(crate) async fn serve_from<A: Accept>(
    mut incoming: A,
    transport: Transport,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let shared = Arc::new(Shared {
        router,
        tls: match transport {
            Transport::Plain => None,
            Transport::Tls(config) => Some(TlsAcceptor::from(config)),
        },
        http,
        limits: limits.clone(),
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = PerAddress::new(limits.max_connections_per_address, limits.exempt.clone());
    let (stop, stopping) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut backoff = Backoff::default();
    // A flood keeps hitting these; one line a minute says enough.
    let mut full_warning = Quiet::default();
    let mut accept_warning = Quiet::default();
    tokio::pin!(shutdown);

    'serving: loop {
        // Take a slot before accepting: while all are taken, new connections
        // wait in the kernel's backlog instead of costing a descriptor.
        if slots.available_permits() == 0 && full_warning.speak() {
            tracing::warn!(max = limits.max_connections, "connection limit reached: not accepting for now");
        }
        let permit: OwnedSemaphorePermit = tokio::select! {
            _ = &mut shutdown => break 'serving,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue 'serving,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break 'serving,
            },
        };
        let (stream, peer) = loop {
            tokio::select! {
                _ = &mut shutdown => break 'serving,
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                accepted = incoming.accept() => match accepted {
                    Ok(conn) => {
                        backoff.reset();
                        break conn;
                    }
                    Err(e) if per_connection(&e) => {}
                    Err(e) => {
                        let wait = backoff.next();
                        if accept_warning.speak() {
                            tracing::warn!(error = %e, "accept failed: backing off until a connection closes");
                        }
                        // A closing connection frees a descriptor: try again
                        // then, or after the wait, never in a tight loop.
                        tokio::select! {
                            _ = &mut shutdown => break 'serving,
                            Some(_) = conns.join_next(), if !conns.is_empty() => {}
                            _ = tokio::time::sleep(wait) => {}
                        }
                    }
                },
            }
        };
        let Some(slot) = per_address.admit(peer.ip()) else {
            // Closed at once: one address may not take everyone's slots.
            tracing::debug!("connection refused: too many from one address");
            continue 'serving;
        };
        let shared = shared.clone();
        let stopping = stopping.clone();
        conns.spawn(async move {
            connection(stream, peer, &shared, stopping).await;
            drop((slot, permit));
        });
    }

    // Stop accepting: from here new connections are refused by the kernel.
    drop(incoming);
    let _ = stop.send(true);
    let drained =
        tokio::time::timeout(limits.shutdown_grace, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = conns.len(), "shutdown deadline reached: closing the remaining connections");
        conns.shutdown().await;
    }
}

/// Errors that concern only the connection being accepted (the client gave
/// up); anything else (out of descriptors or memory) calls for a backoff.
fn per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted | WouldBlock)
}

/// Lets a warning through at most once a minute.
#[derive(Default)]
struct Quiet {
    last: Option<tokio::time::Instant>,
}

impl Quiet {
    fn speak(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let speak = self.last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(60));
        if speak {
            self.last = Some(now);
        }
        speak
    }
}

/// Waits after failed accepts: 10 ms doubling to 1 s.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn next(&mut self) -> Duration {
        let wait = Self::FIRST.saturating_mul(1u32 << self.failures.min(7)).min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// One connection: the TLS handshake, then HTTP/1.1 until the client or a
/// limit ends it, or the server stops.
async fn connection(stream: TcpStream, peer: SocketAddr, shared: &Shared, mut stopping: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = Watched::new(stream, activity.clone());
    match &shared.tls {
        None => http(io, peer, shared, activity, stopping).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(shared.limits.header_timeout, acceptor.accept(io));
            let tls = tokio::select! {
                done = handshake => done,
                _ = stopping.wait_for(|s| *s) => return,
            };
            match tls {
                Ok(Ok(tls)) => http(tls, peer, shared, activity, stopping).await,
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn http<I>(io: I, peer: SocketAddr, shared: &Shared, activity: Activity, mut stopping: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // The application reads the peer's address as `ConnectInfo<PeerAddr>`.
    let app = shared.router.clone().map_request(move |mut req: hyper::Request<Body>| {
        req.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
        req
    });
    let conn = shared.http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    tokio::pin!(conn);
    let mut stopped = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = activity.idle_for(shared.limits.idle_timeout) => {
                tracing::debug!("closing a connection on which nothing moved");
                return;
            }
            _ = stopping.wait_for(|s| *s), if !stopped => {
                // Finishes the request in progress, if any, then closes.
                stopped = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every accept fails as if the process were out of descriptors.
    struct OutOfDescriptors(Arc<AtomicUsize>);

    impl Accept for OutOfDescriptors {
        fn accept(&mut self) -> impl Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Send {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err(std::io::Error::from_raw_os_error(24)))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn running_out_of_descriptors_backs_off_instead_of_spinning() {
        let calls = Arc::new(AtomicUsize::new(0));
        let started = tokio::time::Instant::now();
        serve_from(
            OutOfDescriptors(calls.clone()),
            Transport::Plain,
            Router::new(),
            ConnectionLimits::default(),
            tokio::time::sleep(Duration::from_secs(10)),
        )
        .await;
        let calls = calls.load(Ordering::SeqCst);
        // 10, 20, 40, …, 640 ms, then once a second.
        assert!((10..=20).contains(&calls), "{calls} accepts in 10 s");
        assert!(started.elapsed() < Duration::from_secs(11), "shutdown still works while backing off");
    }

    #[test]
    fn backoff_doubles_up_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..9).map(|_| b.next().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.next(), Backoff::FIRST);
    }
}
