//! The real protocol peers the couriers are tested against, written in
//! Python (`.ci/peers/`): a virtual environment with
//! `.ci/peers/requirements.txt` is made once in `target/peers-venv`, and
//! each test starts the peer it needs as a child process.
//!
//! `SWITCHBOARD_PEERS_PYTHON`, when set, names a Python that already has the
//! requirements (CI can provide one), and no environment is made.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python to run peers with: made once per process (the first test to
/// ask waits, the others wait for it).
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(ensure_venv).clone()
}

fn run(what: &str, command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: could not run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}\n\nThe couriers' tests need Python 3 with venv and pip, and PyPI, to install \
         .ci/peers/requirements.txt; or set SWITCHBOARD_PEERS_PYTHON to a Python that has them.",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

fn ensure_venv() -> PathBuf {
    if let Some(python) = std::env::var_os("SWITCHBOARD_PEERS_PYTHON") {
        return PathBuf::from(python);
    }
    let root = workspace();
    let requirements = root.join(".ci/peers/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("read .ci/peers/requirements.txt");
    let target = root.join("target");
    let venv = target.join("peers-venv");
    // The environment records what it was made from: a changed list makes a
    // new one.
    let current = |dir: &Path| {
        std::fs::read_to_string(dir.join("requirements.txt")).is_ok_and(|made| made == wanted)
            && dir.join("bin/python").exists()
    };
    if current(&venv) {
        return venv.join("bin/python");
    }
    // Other test binaries may be doing the same at the same time: each
    // builds in a directory of its own and renames it into place, so none
    // ever sees a half-made environment.
    std::fs::create_dir_all(&target).expect("create target/");
    let building = target.join(format!("peers-venv.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let system_python = std::env::var_os("PYTHON3").unwrap_or_else(|| "python3".into());
    run("creating target/peers-venv", Command::new(&system_python).arg("-m").arg("venv").arg(&building));
    run(
        "installing .ci/peers/requirements.txt",
        Command::new(building.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    );
    std::fs::write(building.join("requirements.txt"), &wanted).expect("stamp the environment");
    if venv.exists() && !current(&venv) {
        let old = target.join(format!("peers-venv.old-{}", std::process::id()));
        if std::fs::rename(&venv, &old).is_ok() {
            let _ = std::fs::remove_dir_all(&old);
        }
    }
    if std::fs::rename(&building, &venv).is_err() {
        // Someone else's finished first; theirs will do if it is current.
        let _ = std::fs::remove_dir_all(&building);
        assert!(current(&venv), "could not put the Python environment in place at {}", venv.display());
    }
    venv.join("bin/python")
}

/// A free TCP port on 127.0.0.1 (free when asked: a peer started on it
/// retries if another process took it meanwhile).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A peer running as a child process; killed when dropped.
pub struct Peer {
    child: Child,
    // Held open: the peer exits when its standard input closes, so it also
    // goes if this process dies without running `Drop`.
    _stdin: ChildStdin,
    /// Its standard error goes to a file (kept for the peer's life), so a
    /// chatty peer never blocks on a full pipe.
    _stderr: tempfile::NamedTempFile,
    pub port: u16,
}

impl Peer {
    /// Starts `.ci/peers/{script}` with the port first, then `args`, and
    /// waits for its "ready".
    pub fn start(script: &str, args: &[&str]) -> Peer {
        let python = python();
        let script = workspace().join(".ci/peers").join(script);
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let stderr = tempfile::NamedTempFile::new().unwrap();
            let mut child = Command::new(&python)
                .arg(&script)
                .arg(port.to_string())
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(stderr.reopen().unwrap()))
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));
            let stdin = child.stdin.take().unwrap();
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            if line.trim() == "ready" {
                return Peer { child, _stdin: stdin, _stderr: stderr, port };
            }
            drop(stdin);
            let _ = child.wait();
            last = std::fs::read_to_string(stderr.path()).unwrap_or_default();
        }
        panic!("{} did not start:\n{last}", script.display());
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
