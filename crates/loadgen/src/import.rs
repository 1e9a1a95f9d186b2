//! How long does the patient import of an EHR export take? One request per
//! step, each the whole file: a dry run (every row checked and matched,
//! nothing written), the import (every row created, one transaction), the
//! same file again (every row matched and unchanged), and the file with
//! every row changed (every row updated).

use anyhow::Context as _;
use serde_json::{Value, json};
use std::time::Instant;

/// A synthetic export: invented names, reserved example.org addresses and
/// 555-01xx numbers. `generation` changes every row's email.
fn export(rows: usize, generation: u32) -> String {
    let mut csv = String::from("mrn,given_name,family_name,birth_date,email,phone,care_team,department\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "SYN-{i:06},Given{i},Family{i},19{:02}-{:02}-{:02},p{i}.g{generation}@example.org,(555) 010-{:04},Team,General\n",
            50 + i % 50,
            1 + i % 12,
            1 + i % 28,
            i % 10_000
        ));
    }
    csv
}

pub fn run(url: &str, cert: &str, rows: usize, password: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes())?)
            .build()?;
        let login: Value = client
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "load.admin", "password": password}))
            .send()
            .await?
            .json()
            .await?;
        let token = login.get("token").and_then(Value::as_str).context("login failed")?.to_owned();
        let first = export(rows, 1);
        let changed = export(rows, 2);
        println!("  load:     patient import, {rows} rows ({} bytes), one request per step", first.len());
        println!("results");
        for (step, query, body) in [
            ("dry run", "?dry_run=true", &first),
            ("import", "", &first),
            ("again", "", &first),
            ("changed", "", &changed),
        ] {
            let started = Instant::now();
            let r = client
                .post(format!("{url}/api/v1/patient-accounts/import{query}"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(body.clone())
                .send()
                .await?;
            let status = r.status();
            let report: Value = r.json().await?;
            let secs = started.elapsed().as_secs_f64();
            let counts = |k: &str| report.get(k).and_then(Value::as_u64).unwrap_or(0);
            println!(
                "  {step:<8}  {status}  {secs:>6.2} s  {:>7.0} rows/s  created {} updated {} unchanged {}",
                rows as f64 / secs,
                counts("created"),
                counts("updated"),
                counts("unchanged")
            );
            anyhow::ensure!(status.is_success(), "{step}: {report}");
        }
        Ok(())
    })
}
