//! The scanner client against Debian's real clamd (started per test by
//! `support/clamd.rs` with a one-signature database). Each test skips, and
//! says so, when clamd is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/clamd.rs"]
mod clamd;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use switchboard_service::scanner::{ScanError, Scanner, Verdict};

const TIMEOUT: Duration = Duration::from_secs(10);

fn scanner(clamd: &clamd::Clamd) -> Scanner {
    Scanner::new(clamd.socket.clone(), TIMEOUT)
}

async fn scan(scanner: &Scanner, parts: &[&[u8]]) -> Result<Verdict, ScanError> {
    let mut session = scanner.begin().await?;
    for part in parts {
        session.feed(part).await?;
    }
    session.finish().await
}

fn assert_eicar(verdict: Result<Verdict, ScanError>, clamd: &clamd::Clamd) {
    match verdict {
        // Our database's name, so the verdict is this daemon's and this signature's.
        Ok(Verdict::Infected { signature }) => {
            assert!(signature.starts_with(clamd::SIGNATURE), "matched {signature}, not our signature:\n{}", clamd.log())
        }
        other => panic!("EICAR not found: {other:?}\n{}", clamd.log()),
    }
}

/// Random-looking bytes (xorshift), so that the clean data is not a
/// pattern some scanner shortcut might wave through.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn the_eicar_constants_are_the_standard_file() {
    assert_eq!(clamd::EICAR.len(), 68);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eicar");
    std::fs::write(&file, clamd::EICAR).unwrap();
    // coreutils' md5sum, independent of clamd and of us.
    let out = Command::new("md5sum").arg(&file).output().unwrap();
    let sum = String::from_utf8(out.stdout).unwrap();
    assert_eq!(sum.split_whitespace().next(), Some(clamd::EICAR_MD5));
}

#[tokio::test]
async fn ping_answers_when_clamd_is_up() {
    let Some(clamd) = clamd::start().await else { return };
    assert_eq!(scanner(&clamd).ping().await, Ok(()));
}

#[tokio::test]
async fn the_eicar_file_is_infected() {
    let Some(clamd) = clamd::start().await else { return };
    assert_eicar(scan(&scanner(&clamd), &[clamd::EICAR]).await, &clamd);
}

#[tokio::test]
async fn the_eicar_file_split_across_feeds_is_infected() {
    let Some(clamd) = clamd::start().await else { return };
    let scanner = scanner(&clamd);
    let (a, rest) = clamd::EICAR.split_at(20);
    let (b, c) = rest.split_at(1);
    assert_eicar(scan(&scanner, &[a, b, &[], c]).await, &clamd);
    // One byte per feed, one frame each.
    let bytes: Vec<&[u8]> = clamd::EICAR.chunks(1).collect();
    assert_eicar(scan(&scanner, &bytes).await, &clamd);
}

#[tokio::test]
async fn clean_data_in_pieces_is_clean() {
    let Some(clamd) = clamd::start().await else { return };
    let scanner = scanner(&clamd);
    let data = noise(5 * 1024 * 1024 + 17, 0x5eed_cafe_f00d_d00d);
    // Pieces above and below the 1 MiB frame size.
    let (a, rest) = data.split_at(1_500_000);
    let (b, rest) = rest.split_at(700_001);
    let (c, d) = rest.split_at(1);
    assert_eq!(scan(&scanner, &[a, b, c, d]).await, Ok(Verdict::Clean), "{}", clamd.log());
    // The same daemon still finds the test file afterwards: the clean verdict
    // was not a scanner that finds nothing.
    assert_eicar(scan(&scanner, &[clamd::EICAR]).await, &clamd);
}

#[tokio::test]
async fn a_110_mib_upload_fits_the_harness_limits() {
    let Some(clamd) = clamd::start().await else { return };
    let data = noise(110 * 1024 * 1024, 42);
    assert_eq!(scan(&scanner(&clamd), &[&data]).await, Ok(Verdict::Clean), "{}", clamd.log());
}

#[tokio::test]
async fn a_stream_over_clamds_limit_is_unavailable() {
    let Some(clamd) = clamd::start_with_limit("1M").await else { return };
    let data = noise(3 * 1024 * 1024, 7);
    assert_eq!(scan(&scanner(&clamd), &[&data]).await, Err(ScanError::Unavailable));
    assert!(clamd.log().contains("size limit"), "clamd did not say why:\n{}", clamd.log());
}

#[tokio::test]
async fn nothing_listening_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let scanner = Scanner::new(dir.path().join("no.sock"), TIMEOUT);
    assert_eq!(scanner.ping().await, Err(ScanError::Unavailable));
    assert_eq!(scan(&scanner, &[clamd::EICAR]).await, Err(ScanError::Unavailable));
    // A socket file whose listener is gone (a crashed daemon) refuses too.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let scanner = Scanner::new(stale, TIMEOUT);
    assert_eq!(scan(&scanner, &[b"hello"]).await, Err(ScanError::Unavailable));
}

#[tokio::test]
async fn a_clamd_killed_mid_session_fails_closed() {
    let Some(clamd) = clamd::start().await else { return };
    let scanner = scanner(&clamd);
    let mut session = scanner.begin().await.unwrap();
    session.feed(&noise(1024 * 1024, 3)).await.unwrap();
    drop(clamd); // SIGKILL, waited for.
    let rest = async {
        session.feed(&noise(2 * 1024 * 1024, 4)).await?;
        session.finish().await
    };
    assert_eq!(rest.await, Err(ScanError::Unavailable));
    assert_eq!(scanner.ping().await, Err(ScanError::Unavailable));
}

/// A peer that accepts and never answers (a hung daemon): every step is
/// bounded, so the scanner gives up after about its timeout.
#[tokio::test]
async fn a_silent_peer_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("silent.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            conns.push(conn);
        }
    });
    let timeout = Duration::from_millis(300);
    let scanner = Scanner::new(path, timeout);
    let started = Instant::now();
    assert_eq!(scanner.ping().await, Err(ScanError::Unavailable));
    assert_eq!(scan(&scanner, &[clamd::EICAR]).await, Err(ScanError::Unavailable));
    let took = started.elapsed();
    assert!(took >= timeout * 2 && took < timeout * 6, "took {took:?}");
    held.abort();
}
