//! Web Push checked against independent implementations, as a browser and a
//! push service would check it: `http_ece` (over Python's `cryptography`)
//! decrypts what [`webpush::encrypt`] sealed for a key pair made on the
//! Python side, and `cryptography` verifies the VAPID header's signature.
//!
//! The peers live in `.ci/peers`. Their Python environment is made on first
//! use in `<workspace>/target/peers-venv` from `.ci/peers/requirements.txt`
//! (again when that file changes), under a file lock so that parallel test
//! processes do not build it twice. `SWITCHBOARD_PEERS_PYTHON` names an
//! interpreter that already has the packages instead. Without Python, venv
//! or pip these tests fail, saying so: a peer check that quietly skips
//! proves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use switchboard_crypto::webpush::{self, MAX_PAYLOAD, VapidKey};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn run_or_fail(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {cmd:?} failed ({})\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python with the peers' packages: `SWITCHBOARD_PEERS_PYTHON`, else the
/// workspace's venv, made if missing or out of date.
fn peers_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Some(python) = std::env::var_os("SWITCHBOARD_PEERS_PYTHON").filter(|p| !p.is_empty()) {
            return PathBuf::from(python);
        }
        let root = workspace();
        let target = root.join("target");
        fs::create_dir_all(&target).unwrap();
        let requirements_path = root.join(".ci/peers/requirements.txt");
        let requirements = fs::read(&requirements_path).unwrap();
        let venv = target.join("peers-venv");
        let python = venv.join("bin/python");
        let stamp = venv.join("requirements.stamp");
        // Held until the venv is ready; another process waits here, then
        // finds it made.
        let lock = fs::File::create(target.join("peers-venv.lock")).unwrap();
        lock.lock().unwrap();
        if !python.exists() || fs::read(&stamp).ok().as_deref() != Some(requirements.as_slice()) {
            let _ = fs::remove_dir_all(&venv);
            run_or_fail(
                Command::new("python3").arg("-m").arg("venv").arg(&venv),
                "the Web Push peer tests need Python 3 with venv (Debian: apt-get install python3 python3-venv), \
                 or SWITCHBOARD_PEERS_PYTHON naming a Python that has .ci/peers/requirements.txt installed",
            );
            run_or_fail(
                Command::new(&python)
                    .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(&requirements_path),
                "pip could not install .ci/peers/requirements.txt into target/peers-venv (is PyPI reachable?)",
            );
            fs::write(&stamp, &requirements).unwrap();
        }
        lock.unlock().unwrap();
        python
    })
}

/// Runs `.ci/peers/<script> <mode>` with `input` on standard input.
fn peer(script: &str, mode: &str, input: &Value) -> Result<Vec<u8>, String> {
    let mut child = Command::new(peers_python())
        .arg(workspace().join(".ci/peers").join(script))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start the peer {script} with {}: {e}", peers_python().display()));
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() { Ok(out.stdout) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

fn peer_json(script: &str, mode: &str) -> Value {
    let out = peer(script, mode, &Value::Null).unwrap_or_else(|e| panic!("{script} {mode}: {e}"));
    serde_json::from_slice(&out).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value.as_str().unwrap()).unwrap()
}

#[test]
fn http_ece_decrypts_what_we_encrypt_for_a_browser_made_subscription() {
    let subscription = peer_json("webpush_decrypt.py", "keygen");
    let ua_public = unb64(&subscription["ua_public_b64"]);
    let auth = unb64(&subscription["auth_b64"]);
    let decrypt = |body: &[u8]| {
        peer(
            "webpush_decrypt.py",
            "decrypt",
            &json!({
                "body_b64": b64(body),
                "ua_private_b64": subscription["ua_private_b64"],
                "auth_b64": subscription["auth_b64"],
            }),
        )
    };
    let largest: Vec<u8> = (0..MAX_PAYLOAD).map(|i| (i % 251) as u8).collect();
    let payloads: [&[u8]; 3] =
        [b"", br#"{"title":"Riverside Family Medicine","body":"You have a new message","url":"/app/"}"#, &largest];
    for payload in payloads {
        let body = webpush::encrypt(payload, &ua_public, &auth).unwrap();
        assert_eq!(decrypt(&body).unwrap(), payload, "a {}-byte payload", payload.len());
    }
    // The peer is a real check: an altered body is refused.
    let mut body = webpush::encrypt(b"hello", &ua_public, &auth).unwrap();
    let last = body.len() - 1;
    body[last] ^= 1;
    let err = decrypt(&body).unwrap_err();
    assert!(err.contains("InvalidTag"), "{err}");
}

fn verify(authorization: &str, public_key_b64: &str) -> Result<Value, String> {
    peer("vapid_verify.py", "verify", &json!({ "authorization": authorization, "public_key_b64": public_key_b64 }))
        .map(|out| serde_json::from_slice(&out).unwrap())
}

#[test]
fn a_push_service_verifies_our_vapid_header() {
    let (key, _pkcs8) = VapidKey::generate().unwrap();
    let header = key
        .authorization(
            "https://updates.push.example.net:443/wpush/v2/gAAAAABk",
            "mailto:ops@example.org",
            1_900_000_000,
        )
        .unwrap();
    assert_eq!(
        verify(&header, &key.public_key_b64url()).unwrap(),
        json!({ "aud": "https://updates.push.example.net", "exp": 1_900_000_000u64, "sub": "mailto:ops@example.org" })
    );

    // A signature over other claims, or under another key, is refused.
    let (other, _) = VapidKey::generate().unwrap();
    let forged = header.replace(&key.public_key_b64url(), &other.public_key_b64url());
    assert!(verify(&forged, &other.public_key_b64url()).unwrap_err().contains("does not verify"));
    let (jwt, k) = header.split_once(", k=").unwrap();
    let (rest, sig) = jwt.rsplit_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    sig[0] ^= 1;
    let tampered = format!("{rest}.{}, k={k}", b64(&sig));
    assert!(verify(&tampered, &key.public_key_b64url()).unwrap_err().contains("does not verify"));
}

#[test]
fn a_key_made_by_other_tools_is_read_from_pem() {
    let made = peer_json("vapid_verify.py", "keygen");
    let key = VapidKey::from_pem(made["pem"].as_str().unwrap()).unwrap();
    assert_eq!(key.public_key_b64url(), made["public_key_b64"].as_str().unwrap());
    let header = key.authorization("http://127.0.0.1:8999/push/1", "https://clinic.example.org/", 42).unwrap();
    let claims = verify(&header, made["public_key_b64"].as_str().unwrap()).unwrap();
    assert_eq!(claims, json!({ "aud": "http://127.0.0.1:8999", "exp": 42, "sub": "https://clinic.example.org/" }));
}
