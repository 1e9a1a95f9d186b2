//! Operations hardening (issue 12): a node with the wrong keys does not
//! start, a database outage answers 503 with `Retry-After` quickly and heals
//! by itself, readiness tells the truth (database, writes, keys), and the
//! SQLite files are private.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use switchboard::server;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Stops the test server but keeps its data.
async fn stop_server(t: &mut TestApp) {
    if let Some(r) = t.running.take() {
        r.shutdown().await.unwrap();
    }
}

/// Runs `switchboard serve` on the test's data with `env`, expecting it to
/// refuse to start; returns its standard error.
async fn serve_refused(t: &TestApp, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.arg("--data-dir").arg(&t.config.data_dir).arg("--database-url").arg(t.config.database_url.clone().unwrap());
    cmd.args(["--addr", "127.0.0.1:0", "--insecure-http", "serve"]);
    cmd.env_remove("SWITCHBOARD_MASTER_KEY").env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`switchboard serve` started with the wrong key");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn hardening_ops_the_wrong_key_is_refused() {
    let mut t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Refill", "Could I get a refill?").await;
    stop_server(&mut t).await;
    let real_key = t.config.key_file();
    let real_text = std::fs::read_to_string(&real_key).unwrap();

    // 1. The key file is missing: no new key is made for data that exists.
    let missing = t.config.data_dir.join("elsewhere/master.key");
    let mut config = t.config.clone();
    config.master_key_file = Some(missing.clone());
    let err = format!("{:#}", server::open_app(&config, t.clock.clone()).await.unwrap_err());
    assert!(err.contains("does not exist") && err.contains("`kek 1`") && err.contains("`mac`"), "{err}");
    assert!(!missing.exists(), "a key was created for a database that holds data");
    assert!(!err.contains(real_text.lines().find(|l| l.starts_with("kek")).unwrap().rsplit(' ').next().unwrap()));

    // 2. Another key file: the data keys do not unwrap and the chain head
    //    does not verify.
    let other = t.config.data_dir.join("other.key");
    std::fs::write(&other, switchboard_crypto::KeyRing::generate_text().unwrap()).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    config.master_key_file = Some(other.clone());
    let err = format!("{:#}", server::open_app(&config, t.clock.clone()).await.unwrap_err());
    assert!(err.contains("`kek 1` is not the key"), "{err}");
    assert!(err.contains("`mac` key is not the key the audit log was written with"), "{err}");
    assert!(err.contains(&other.display().to_string()), "names the key file: {err}");

    // 3. A key file that lacks the master key the data keys were wrapped by.
    let lacking = t.config.data_dir.join("lacking.key");
    let mac_line = real_text.lines().find(|l| l.starts_with("mac")).unwrap();
    let foreign = switchboard_crypto::KeyRing::generate_text().unwrap();
    let kek2 = foreign.lines().find(|l| l.starts_with("kek")).unwrap().replacen("kek 1", "kek 2", 1);
    std::fs::write(&lacking, format!("{kek2}\n{mac_line}\n")).unwrap();
    std::fs::set_permissions(&lacking, std::fs::Permissions::from_mode(0o600)).unwrap();
    config.master_key_file = Some(lacking);
    let err = format!("{:#}", server::open_app(&config, t.clock.clone()).await.unwrap_err());
    assert!(err.contains("master key `kek 1` is missing"), "{err}");
    assert!(!err.contains("`mac` key"), "the mac key is the right one: {err}");

    // 4. The wrong key in SWITCHBOARD_MASTER_KEY (in a child process: the
    //    environment is shared by every test in this one).
    let wrong = switchboard_crypto::KeyRing::generate_text().unwrap();
    let stderr = serve_refused(&t, &[("SWITCHBOARD_MASTER_KEY", &wrong)]).await;
    assert!(stderr.contains("SWITCHBOARD_MASTER_KEY") && stderr.contains("`kek 1` is not the key"), "{stderr}");
    // And the command line with the key file moved away.
    let moved = t.config.data_dir.join("master.key.moved");
    std::fs::rename(&real_key, &moved).unwrap();
    let stderr = serve_refused(&t, &[]).await;
    assert!(stderr.contains("does not exist") && stderr.contains("`kek 1`"), "{stderr}");
    assert!(!real_key.exists(), "a key was created for a database that holds data");
    std::fs::rename(&moved, &real_key).unwrap();

    // 5. The right key still opens it, and the chain is whole.
    t.restart().await;
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Again", "Still fine?").await;
    assert!(t.app().verify_audit().await.unwrap().is_intact());

    // 6. Readiness notices a key file swapped under a running node.
    assert_eq!(t.get("/readyz", None).await.status, StatusCode::OK);
    std::fs::write(&real_key, switchboard_crypto::KeyRing::generate_text().unwrap()).unwrap();
    std::fs::set_permissions(&real_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = t.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.json()["checks"]["keys"], "failing", "{}", r.text);
    assert!(r.header("retry-after").is_some());
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK, "liveness stays up");
    std::fs::write(&real_key, &real_text).unwrap();
    let r = t.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn hardening_ops_a_new_database_still_gets_a_key() {
    // First start on nothing: the key file is created (the demo relies on it).
    let mut t = TestApp::spawn().await;
    assert_eq!(mode(&t.config.key_file()), 0o600);
    assert_eq!(mode(&t.config.data_dir), 0o700);
    // The Web Push key beside it, private too, and the one the service signs
    // with; it survives a restart, or every browser would have to subscribe again.
    let vapid = t.config.vapid_key_file();
    assert_eq!(vapid, t.config.key_file().with_file_name("vapid.key"));
    assert_eq!(mode(&vapid), 0o600);
    let on_disk = switchboard_crypto::webpush::VapidKey::load(&vapid).unwrap().public_key();
    assert_eq!(t.app().config().vapid.as_ref().unwrap().public_key(), on_disk);
    t.restart().await;
    assert_eq!(t.app().config().vapid.as_ref().unwrap().public_key(), on_disk);
    t.stop().await;
}

#[tokio::test]
async fn hardening_ops_sqlite_files_are_private() {
    let mut t = TestApp::spawn().await;
    if t.db.is_postgres() {
        println!("the SQLite file modes are checked in the SQLite run");
        t.stop().await;
        return;
    }
    let db = switchboard_store::sqlite_path(&t.config.location()).unwrap().to_path_buf();
    let alice = t.login("alice").await;
    t.patient_conversation(&alice, "Refill", "Could I get a refill?").await;
    let side = |suffix: &str| PathBuf::from(format!("{}{suffix}", db.display()));
    assert_eq!(mode(&db), 0o600, "database file");
    assert_eq!(mode(&side("-wal")), 0o600, "WAL file");
    assert_eq!(mode(&side("-shm")), 0o600, "shared-memory file");
    assert_eq!(mode(db.parent().unwrap()), 0o700, "data directory");

    // Files left readable by an earlier version are made private at start.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(side("-wal"), std::fs::Permissions::from_mode(0o644)).unwrap();
    t.restart().await;
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&side("-wal")), 0o600);
    t.stop().await;
}

/// A small tmpfs, unmounted on drop (also when the test fails).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs is not permitted here: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes zeros into `filler` until the disk is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).output();
    }
}

#[tokio::test]
async fn hardening_ops_a_full_disk_answers_503_and_readiness_fails() {
    let disk = match SmallDisk::mount("48m") {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let data = disk.path().join("data");
    let db_path = data.join("switchboard.db");
    let t = TestApp::spawn_with(|c| {
        c.data_dir = data.clone();
        c.database_url = Some(format!("sqlite://{}", db_path.display()));
    })
    .await;
    let alice = t.login("alice").await;
    let conv = t.patient_conversation(&alice, "Refill", "Could I get a refill?").await;
    let send = |body: &'static str| {
        let path = format!("/api/v1/conversations/{conv}/messages");
        let t = &t;
        let alice = alice.clone();
        async move { t.post(&path, Some(&alice), json!({ "body": body })).await }
    };
    assert_eq!(send("before the disk fills").await.status, StatusCode::CREATED);

    // Every write must now grow the WAL: empty it, then take all the space.
    {
        sqlx::any::install_default_drivers();
        use sqlx::Connection as _;
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{}", db_path.display())).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let filler = disk.fill();

    let started = Instant::now();
    let r = send("while the disk is full").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(r.code(), "unavailable");
    assert!(r.header("retry-after").is_some());
    assert!(!r.text.to_lowercase().contains("sqlite") && !r.text.contains("full"), "no internals: {}", r.text);
    let started = Instant::now();
    let r = t.get("/readyz", None).await;
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.json()["checks"]["writes"], "failing", "{}", r.text);
    assert_eq!(r.json()["checks"]["database"], "ok", "{}", r.text);
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK, "liveness stays up");
    // Nothing else turns into a 500 either.
    for r in [t.get(&format!("/api/v1/conversations/{conv}"), Some(&alice)).await, t.try_login("carol", PASSWORD).await]
    {
        assert!(r.status.is_success() || r.status == StatusCode::SERVICE_UNAVAILABLE, "{} {}", r.status, r.text);
    }

    // Space returns: so does service, with nothing half-written.
    std::fs::remove_file(&filler).unwrap();
    let r = send("after space was freed").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let conversation = t.get(&format!("/api/v1/conversations/{conv}"), Some(&alice)).await.json();
    let bodies: Vec<&str> =
        conversation["messages"].as_array().unwrap().iter().filter_map(|m| m["body"].as_str()).collect();
    assert!(bodies.contains(&"after space was freed") && !bodies.contains(&"while the disk is full"), "{bodies:?}");
    assert!(t.app().verify_audit().await.unwrap().is_intact());
    t.stop().await;
    drop(disk);
}

/// A PostgreSQL server of the test's own, which it may stop and start.
struct PrivatePostgres {
    dir: PathBuf,
    /// The directory, when this server made its own.
    _own: Option<tempfile::TempDir>,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

impl PrivatePostgres {
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn init() -> Result<PrivatePostgres, String> {
        let own = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = own.path().to_owned();
        Self::init_in(dir, Some(own))
    }

    /// A server whose files all live in `dir` (a small disk, say).
    fn init_in(dir: PathBuf, own: Option<tempfile::TempDir>) -> Result<PrivatePostgres, String> {
        let bin = postgres_bin().ok_or("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")?;
        let root =
            std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").map_err(|e| e.to_string())?) == 0;
        if root {
            let id = |flag: &str| -> Option<u32> {
                let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
                String::from_utf8_lossy(&out.stdout).trim().parse().ok()
            };
            let (Some(uid), Some(gid)) = (id("-u"), id("-g")) else {
                return Err("running as root, and there is no postgres user to run PostgreSQL as".into());
            };
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = PrivatePostgres { dir, _own: own, bin, port, as_postgres: root };
        let out = pg.run("initdb", &["-D", &pg.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(pg)
    }

    fn start(&self) {
        let log = self.dir.join("log").display().to_string();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.dir.display()
        );
        let out = self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-t", "30", "-o", &opts, "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn stop(&self, mode: &str) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-w", "-m", mode, "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

/// One request of the load, as the client saw it.
#[derive(Debug)]
struct Seen {
    what: &'static str,
    /// `None`: no HTTP answer at all (a hang or a dropped connection).
    status: Option<StatusCode>,
    retry_after: bool,
    code: String,
    took: Duration,
}

async fn timed(what: &'static str, req: reqwest::RequestBuilder) -> (Seen, Option<serde_json::Value>) {
    let started = Instant::now();
    let res = req.timeout(Duration::from_secs(10)).send().await;
    let (status, retry_after, body) = match res {
        Ok(r) => {
            let status = r.status();
            let retry_after = r.headers().contains_key("retry-after");
            (Some(status), retry_after, r.json::<serde_json::Value>().await.ok())
        }
        Err(_) => (None, false, None),
    };
    let code = body.as_ref().and_then(|b| b["error"]["code"].as_str()).unwrap_or("").to_owned();
    (Seen { what, status, retry_after, code, took: started.elapsed() }, body)
}

/// Logs in and sends messages until `stop`, recording every answer.
async fn patient_load(
    client: reqwest::Client,
    base: String,
    username: &'static str,
    conversation: String,
    stop: Arc<AtomicBool>,
) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let (s, body) = timed(
            "login",
            client.post(format!("{base}/api/v1/auth/login")).json(&json!({"username": username, "password": PASSWORD})),
        )
        .await;
        let token = body.as_ref().and_then(|b| b["token"].as_str()).map(str::to_owned);
        let failed = token.is_none();
        seen.push(s);
        if failed {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let token = token.unwrap_or_default();
        for _ in 0..5 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            n += 1;
            let (s, _) = timed(
                "message",
                client
                    .post(format!("{base}/api/v1/conversations/{conversation}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("load message {n}")})),
            )
            .await;
            let failed = s.status != Some(StatusCode::CREATED);
            seen.push(s);
            if failed {
                break;
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardening_ops_postgres_stopped_under_load_answers_503_then_heals() {
    let pg = match tokio::task::spawn_blocking(PrivatePostgres::init).await.unwrap() {
        Ok(pg) => pg,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let pg = Arc::new(pg);
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.start()).await.unwrap();
    let url = pg.url();
    let t = TestApp::spawn_with(|c| c.database_url = Some(url.clone())).await;
    let base = t.url("");

    let patients = ["alice", "carol", "bob"];
    let mut conversations = Vec::new();
    for p in patients {
        let token = t.login(p).await;
        conversations.push(t.patient_conversation(&token, "Under load", "A first message").await);
    }
    let unaudited = "SELECT count(*) FROM messages m WHERE NOT EXISTS \
                     (SELECT 1 FROM audit_log a WHERE a.resource_id = m.id AND a.action = 'message_sent')";
    let count = |sql: &'static str| {
        let url = pg.url();
        async move {
            use sqlx::{Connection as _, Row as _};
            let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
            let n: i64 = sqlx::query(sql).fetch_one(&mut c).await.unwrap().get(0);
            c.close().await.unwrap();
            n
        }
    };
    let unaudited_before = count(unaudited).await;

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = patients
        .iter()
        .zip(&conversations)
        .map(|(p, c)| tokio::spawn(patient_load(t.client.clone(), base.clone(), p, c.clone(), stop.clone())))
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.stop("fast")).await.unwrap();

    // Readiness should say so at once (checked after the load's answers).
    let client = t.client.clone();
    let readiness_down = timed("readyz", client.get(format!("{base}/readyz"))).await;
    let (live, _) = timed("healthz", client.get(format!("{base}/healthz"))).await;

    tokio::time::sleep(Duration::from_secs(3)).await;
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.start()).await.unwrap();
    let restarted = Instant::now();

    // Service resumes by itself.
    let mut ready = false;
    while restarted.elapsed() < Duration::from_secs(15) {
        let (s, _) = timed("readyz", client.get(format!("{base}/readyz"))).await;
        if s.status == Some(StatusCode::OK) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for w in workers {
        seen.extend(w.await.unwrap());
    }

    let unavailable = seen.iter().filter(|s| s.status == Some(StatusCode::SERVICE_UNAVAILABLE)).count();
    let ok = seen.iter().filter(|s| s.status.is_some_and(|st| st.is_success())).count();
    let slowest_503 = seen
        .iter()
        .filter(|s| s.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .map(|s| s.took)
        .max()
        .unwrap_or_default();
    println!("{} requests: {ok} succeeded, {unavailable} answered 503 (slowest {slowest_503:?})", seen.len());
    for s in &seen {
        match s.status {
            Some(st) if st.is_success() => {}
            Some(StatusCode::SERVICE_UNAVAILABLE) => {
                assert!(s.retry_after, "503 without Retry-After: {s:?}");
                assert_eq!(s.code, "unavailable", "{s:?}");
                assert!(s.took < Duration::from_secs(2), "{} answered 503 after more than 2 s: {s:?}", s.what);
            }
            _ => panic!("neither a success nor a 503: {s:?}"),
        }
    }
    assert!(unavailable > 0, "the outage was not seen");
    let (s, body) = readiness_down;
    assert_eq!(s.status, Some(StatusCode::SERVICE_UNAVAILABLE), "readiness during the outage: {body:?}");
    assert!(s.took < Duration::from_secs(1), "readiness took {:?}", s.took);
    assert!(s.retry_after);
    assert_eq!(body.unwrap()["checks"]["database"], "timeout");
    assert_eq!(live.status, Some(StatusCode::OK), "liveness does not depend on the database");
    assert!(ready, "not ready 15 s after PostgreSQL came back");
    // Work went on after the restart: some requests succeeded at the end.
    let tail = seen.iter().rev().take(3).filter(|s| s.status.is_some_and(|st| st.is_success())).count();
    assert!(ok > 0 && tail > 0, "{seen:?}");
    for (p, c) in patients.iter().zip(&conversations) {
        let token = t.login(p).await;
        let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&token), json!({"body": "after"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    // Nothing half-written: every message has its audit record, and the
    // chain verifies.
    assert_eq!(count(unaudited).await, unaudited_before);
    let report = t.app().verify_audit().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    t.stop().await;
    drop(pg);
}

#[tokio::test]
async fn hardening_ops_postgres_on_a_full_disk_answers_503_and_readiness_fails() {
    let disk = match SmallDisk::mount("128m") {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let dir = disk.path().to_owned();
    let pg = match tokio::task::spawn_blocking(move || PrivatePostgres::init_in(dir, None)).await.unwrap() {
        Ok(pg) => Arc::new(pg),
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.start()).await.unwrap();
    let url = pg.url();
    let t = TestApp::spawn_with(|c| c.database_url = Some(url.clone())).await;
    let alice = t.login("alice").await;
    let conv = t.patient_conversation(&alice, "Refill", "Could I get a refill?").await;
    let path = format!("/api/v1/conversations/{conv}/messages");
    assert_eq!(t.get("/readyz", None).await.status, StatusCode::OK);

    // The database server's disk fills up: writes go on while pages and
    // the current WAL segment have room, then fail. None may be a 500.
    let filler = disk.fill();
    let mut refused = None;
    for i in 0..3000 {
        let started = Instant::now();
        let r = t.post(&path, Some(&alice), json!({ "body": format!("message {i} {}", "x".repeat(900)) })).await;
        match r.status {
            StatusCode::CREATED => continue,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
                refused = Some(r);
                break;
            }
            other => panic!("message {i} on a full disk: {other} {}", r.text),
        }
    }
    let r = refused.expect("writes never failed on a full disk");
    assert_eq!(r.code(), "unavailable", "{}", r.text);
    assert!(r.header("retry-after").is_some());
    let started = Instant::now();
    let ready = t.get("/readyz", None).await;
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.text);
    assert_eq!(ready.json()["checks"]["writes"], "failing", "{}", ready.text);
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK, "liveness stays up");

    // Space returns: so does service, by itself, with nothing half-written.
    std::fs::remove_file(&filler).unwrap();
    let mut back = false;
    let freed = Instant::now();
    while freed.elapsed() < Duration::from_secs(30) {
        if t.get("/readyz", None).await.status == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(back, "not ready 30 s after space was freed");
    let r = t.post(&path, Some(&alice), json!({ "body": "after space was freed" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(t.app().verify_audit().await.unwrap().is_intact());
    t.stop().await;
    drop(pg);
    drop(disk);
}
