//! Legal exports (issue 17): an administrator, after re-authenticating,
//! asks for a patient's complete record; the job makes one ZIP archive
//! with a PDF, a FHIR Bundle, the files and a signed manifest; it is
//! downloaded once. The archive is checked by independent peers
//! (`.ci/peers/export_check.py`: Python's zipfile, hashlib, `cryptography`'s
//! Ed25519 against `switchboard audit public-key`, pypdf for the PDF's
//! text) and the Bundle by `fhir.resources` (`fhir_validate.py`).

use crate::attachments::upload;
use crate::peers::{python, workspace};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use switchboard_domain::time::Span;

#[tokio::test]
async fn a_patients_record_is_exported_once_with_a_signed_manifest() {
    let t = TestApp::spawn().await;
    let (alice, nina, patel, admin) =
        (t.login("alice").await, t.login("nina.nurse").await, t.login("dr.patel").await, t.login("admin").await);
    let c1 = t.patient_conversation(&alice, "Rash after lisinopril", "A rash started on my arm.").await;
    let photo = b"rash diary: day 1 red, day 2 fading\n";
    let up = upload(&t, &alice, &c1, "rash diary.txt", "text/plain", photo).await;
    let file = up.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/conversations/{c1}/messages"),
        Some(&alice),
        json!({"body": "My diary.", "attachment_ids": [file]}),
    )
    .await;
    let r = t
        .post(&format!("/api/v1/conversations/{c1}/messages"), Some(&nina), json!({"body": "Stop it and call us."}))
        .await;
    let reply = r.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/conversations/{c1}/messages/{reply}/amendments"),
        Some(&nina),
        json!({"body": "Stop it today and call us."}),
    )
    .await;
    t.post(
        &format!("/api/v1/conversations/{c1}/notes"),
        Some(&nina),
        json!({"body": "Possible ACE inhibitor reaction."}),
    )
    .await;
    let c2 = t.patient_conversation(&alice, "Private question", "About my drinking.").await;
    t.put(&format!("/api/v1/conversations/{c2}/sensitivity"), Some(&patel), json!({"category": "substance_use"})).await;
    let alice_id = t.patient_id("alice").await;

    // Who may: administrators and the compliance officer, re-authenticated.
    let ask = json!({"patient_id": alice_id, "include_notes": true});
    assert_eq!(t.post("/api/v1/practice/exports", Some(&nina), ask.clone()).await.status, StatusCode::NOT_FOUND);
    t.advance(Span::from_mins(6));
    assert_eq!(t.post("/api/v1/practice/exports", Some(&admin), ask.clone()).await.code(), "reauthentication_required");
    let again = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD})).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.post("/api/v1/practice/exports", Some(&admin), json!({"include_notes": true})).await.json()["error"]["field"],
        "patient_id"
    );
    let r = t.post("/api/v1/practice/exports", Some(&admin), ask).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let list = t.get("/api/v1/practice/exports", Some(&admin)).await.json();
    assert_eq!(list["exports"][0]["state"], "queued");
    let not_yet = t
        .client
        .get(t.url(&format!("/api/v1/practice/exports/{id}/download")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(not_yet.status(), StatusCode::NOT_FOUND, "not ready yet");

    // The job makes it.
    assert!(t.run_due_jobs().await >= 1);
    let e = &t.get("/api/v1/practice/exports", Some(&admin)).await.json()["exports"][0];
    assert_eq!(e["state"], "ready", "{e}");
    assert_eq!(e["done"], e["total"]);
    assert!(e["total"].as_i64().unwrap() >= 2);
    let sha = e["sha256"].as_str().unwrap().to_owned();

    // Downloaded once.
    let r = t
        .client
        .get(t.url(&format!("/api/v1/practice/exports/{id}/download")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.unwrap().to_vec();
    let again = t
        .client
        .get(t.url(&format!("/api/v1/practice/exports/{id}/download")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "a second download");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("record.zip");
    std::fs::write(&archive, &zip).unwrap();
    let out = Command::new(python())
        .args(["-c", "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), sha, "the archive is the one the page named");

    // Checked by independent peers: the manifest, its signature, the PDF.
    let key = t.cli(&["audit", "public-key"]).await;
    let key = String::from_utf8_lossy(&key.stdout).trim().to_owned();
    let out = Command::new(python())
        .arg(workspace().join(".ci/peers/export_check.py"))
        .arg(&archive)
        .arg(&key)
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "export_check.py: {text}{}", String::from_utf8_lossy(&out.stderr));
    for words in [
        "Alice Nguyen",
        "A rash started on my arm.",
        "Stop it and call us.",
        "Correction",
        "Stop it today and call us.",
        "Possible ACE inhibitor reaction.",
        "rash diary.txt",
        "42 CFR part 2 prohibits unauthorized use or disclosure of these records.",
        "About my drinking.",
    ] {
        assert!(text.contains(words), "the PDF lacks {words:?}:\n{text}");
    }
    let v = Command::new(python())
        .arg(workspace().join(".ci/peers/fhir_validate.py"))
        .arg(dir.path().join("record.fhir.json"))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("record.fhir.json")).unwrap()).unwrap();
    assert_eq!(bundle["type"], "collection");
    let urls: Vec<String> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["payload"].as_array())
        .flatten()
        .filter_map(|p| p["contentAttachment"]["extension"].as_array())
        .flatten()
        .filter(|x| x["url"] == "urn:switchboard:fhir:extension:archive-path")
        .filter_map(|x| x["valueString"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(urls, vec!["files/001-rash_diary.txt".to_owned()]);

    // Audited; the archive is removed an hour after its download.
    for action in ["record_export_requested", "record_export_made", "record_export_downloaded"] {
        assert_eq!(
            t.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = 'success'")).await,
            1,
            "{action}"
        );
    }
    let before = crate::attachments::files_under(&t.config.data_dir.join("attachments")).len();
    t.advance(Span::from_hours(2));
    let kind = switchboard_service::jobs::HOUSEKEEPING;
    t.app().schedule(kind, "{}", t.app().now(), Some(kind)).await.unwrap();
    t.run_due_jobs().await;
    let after = crate::attachments::files_under(&t.config.data_dir.join("attachments")).len();
    assert_eq!(after + 1, before, "the archive's blob is gone");
}
