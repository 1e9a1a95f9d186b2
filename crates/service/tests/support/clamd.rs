//! A private ClamAV daemon for tests: Debian's real `clamd`, with a
//! signature database of our own and its socket in a temporary directory,
//! killed when dropped.
//!
//! Signature updates cannot be downloaded on the machines the tests run on
//! (and freshclam is never run), so the database holds exactly one hash
//! signature, of the EICAR test file. A verdict that names it proves the
//! scan went through this daemon and this database.
//!
//! Running as root: clamd changes user only when its config sets `User`
//! (Debian's `/etc/clamav/clamd.conf` sets `User clamav`). This config
//! leaves it out, so clamd runs as whoever runs the tests, root included,
//! and can bind its socket in the root-owned temporary directory; with
//! `User clamav` it could not. (`AllowSupplementaryGroups` is ignored as
//! deprecated by ClamAV 1.x, and `User root` works but only says the same.)
//!
//! Shared by the service's `clamd` test and, through `#[path]`, by other
//! test binaries; it uses only std, tokio and tempfile.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's clamav-daemon puts it here.
pub const CLAMD: &str = "/usr/sbin/clamd";

/// The standard 68-byte EICAR anti-virus test file.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The MD5 of [`EICAR`], as `md5sum` gives it; the `clamd` test checks it
/// against `md5sum` and against clamd itself.
pub const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";

/// The name of our one signature. clamd reports it with `.UNOFFICIAL`
/// appended, as it does for any signature not published by ClamAV.
pub const SIGNATURE: &str = "Switchboard.Test.EICAR";

/// Generous for uploads of up to 110 MiB (clamd's own default stream
/// limit is 100M, below that).
pub const DEFAULT_LIMIT: &str = "128M";

/// How long clamd may take to load its database and listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running clamd. Dropping it kills the daemon (SIGKILL, as a crash
/// would) and removes its directory.
pub struct Clamd {
    pub socket: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Clamd {
    /// clamd's own log and output so far, for a failing test's message.
    pub fn log(&self) -> String {
        log_of(self.dir.path())
    }
}

/// Starts clamd with room for large uploads, or `None` (having said so)
/// when clamd is not installed.
pub async fn start() -> Option<Clamd> {
    start_with_limit(DEFAULT_LIMIT).await
}

/// Starts clamd with `limit` (clamd's size syntax: `1M`) as its stream,
/// file and scan size limits. Panics, with clamd's log, if clamd is
/// installed but does not come up: that is a broken test machine, not a
/// reason to skip.
pub async fn start_with_limit(limit: &str) -> Option<Clamd> {
    if !Path::new(CLAMD).exists() {
        eprintln!("skipped: clamd not installed (apt-get install clamav-daemon)");
        return None;
    }
    // A short path: a Unix socket's path must fit in 108 bytes.
    let dir = tempfile::Builder::new().prefix("clamd").tempdir().unwrap();
    let root = dir.path();
    let socket = root.join("clamd.sock");
    let db = root.join("db");
    fs::create_dir(&db).unwrap();
    // A hash signature: `md5:size:name`, matching the whole file only.
    fs::write(db.join("switchboard-test.hdb"), format!("{EICAR_MD5}:{}:{SIGNATURE}\n", EICAR.len())).unwrap();
    let config = format!(
        "LocalSocket {socket}\n\
         DatabaseDirectory {db}\n\
         TemporaryDirectory {tmp}\n\
         LogFile {log}\n\
         LogSyslog no\n\
         Foreground yes\n\
         StreamMaxLength {limit}\n\
         MaxFileSize {limit}\n\
         MaxScanSize {limit}\n",
        socket = socket.display(),
        db = db.display(),
        tmp = root.display(),
        log = root.join("clamd.log").display(),
    );
    let conf = root.join("clamd.conf");
    fs::write(&conf, config).unwrap();
    let out = fs::File::create(root.join("clamd.out")).unwrap();
    let child = Command::new(CLAMD)
        .arg(format!("--config-file={}", conf.display()))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let mut clamd = Clamd { socket, child, dir };
    let started = Instant::now();
    loop {
        if std::os::unix::net::UnixStream::connect(&clamd.socket).is_ok() {
            return Some(clamd);
        }
        if let Some(status) = clamd.child.try_wait().unwrap() {
            panic!("clamd exited ({status}) before listening:\n{}", clamd.log());
        }
        if started.elapsed() > START_TIMEOUT {
            panic!("clamd did not listen within {START_TIMEOUT:?}:\n{}", clamd.log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_of(dir: &Path) -> String {
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    format!("--- clamd.out\n{}--- clamd.log\n{}", read("clamd.out"), read("clamd.log"))
}
