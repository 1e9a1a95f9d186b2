//! Files in conversations: every kind accepted and every spoof refused, the
//! limits (a huge upload cut off early, nothing left behind), photos kept
//! upright without their location (read back by Pillow, an independent
//! reader), access and audit on download, the download's headers, sealing
//! at rest, and the virus scan against Debian's clamd. The helpers are
//! shared with `attachments_s3.rs`, the same checks on the object store.

use crate::peers;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A multipart body with one part named `file`.
fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sb-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn upload(t: &TestApp, token: &str, conversation: &str, name: &str, ct: &str, bytes: &[u8]) -> Resp {
    let (content_type, body) = multipart(name, ct, bytes);
    t.post_raw(&format!("/api/v1/conversations/{conversation}/attachments"), Some(token), &content_type, body).await
}

pub(crate) async fn download(
    t: &TestApp,
    token: &str,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = t.client.get(t.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn bx(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(content.len() + 8).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

fn ftyp(major: &[u8; 4]) -> Vec<u8> {
    let mut c = major.to_vec();
    c.extend_from_slice(&[0, 0, 0, 0]);
    c.extend_from_slice(major);
    c.extend_from_slice(b"isom");
    bx(b"ftyp", &c)
}

/// A video whose `udta` carries a place (the `©xyz` atom phones write).
const PLACE: &[u8] = b"+40.7128-074.0060/";

fn video(major: &[u8; 4]) -> Vec<u8> {
    let mut xyz = vec![0, 18, 0x15, 0xc7];
    xyz.extend_from_slice(PLACE);
    let udta = bx(b"udta", &bx(&[0xA9, b'x', b'y', b'z'], &xyz));
    [ftyp(major), bx(b"moov", &udta), bx(b"mdat", &[7u8; 3000])].concat()
}

fn adts(len: usize) -> Vec<u8> {
    let mut f = vec![0xFF, 0xF1, 0x50, 0x80, ((len >> 3) & 0xFF) as u8, (((len & 7) << 5) | 0x1F) as u8, 0xFC];
    f.resize(len, 0);
    f
}

fn mp3_frame() -> Vec<u8> {
    let mut f = vec![0xFF, 0xFB, 0x90, 0x64];
    f.resize(417, 0);
    f
}

fn webm() -> Vec<u8> {
    let mut out = vec![0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84];
    out.extend_from_slice(b"webm");
    out.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x81, 0x00]);
    out
}

/// Photos made by Pillow with orientation and GPS in their EXIF.
pub(crate) fn fixtures() -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let script = peers::workspace().join(".ci/peers/media.py");
    let out = std::process::Command::new(peers::python()).arg(&script).arg("make").arg(&dir).output().unwrap();
    assert!(out.status.success(), "media.py make: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// What Pillow reads from these bytes.
fn probe(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe");
    std::fs::write(&path, bytes).unwrap();
    let script = peers::workspace().join(".ci/peers/media.py");
    let out = std::process::Command::new(peers::python()).arg(&script).arg("probe").arg(&path).output().unwrap();
    assert!(out.status.success(), "media.py probe: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A photo taken sideways with GPS: kept upright, without its location or
/// other EXIF (Pillow finds none), with a preview; the patient's answer
/// says the location was removed. Sent with an empty body, it shows on the
/// message; the nurse downloads it, another patient gets "not found", and
/// each upload and download is audited. The download is served as what it
/// is, inline, sandboxed, never sniffed.
#[tokio::test]
async fn a_sideways_photo_with_gps_is_kept_upright_without_its_location() {
    let t = TestApp::spawn().await;
    let dir = fixtures();
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Rash photo", "Here is the rash").await;
    let jpeg = std::fs::read(dir.join("rotated_gps.jpg")).unwrap();
    assert_eq!(probe(&jpeg)["gps_tags"], 4, "the fixture carries a location");

    let r = upload(&t, &alice, &c, "IMG_0042.JPG", "image/jpeg", &jpeg).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = r.json();
    assert_eq!(a["content_type"], "image/jpeg");
    assert_eq!(a["filename"], "IMG_0042.JPG");
    assert_eq!(a["location_removed"], true);
    assert_eq!(a["has_preview"], true);
    let id = a["id"].as_str().unwrap().to_owned();

    // Not yet sent: the uploader may look at it, nobody else.
    let nina = t.login("nina.nurse").await;
    assert_eq!(download(&t, &nina, &format!("/api/v1/attachments/{id}")).await.0, StatusCode::NOT_FOUND);
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": [id]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": [id]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "sent once only: {}", r.text);
    let r = t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no words and no files: {}", r.text);

    let view = t.get(&format!("/api/v1/conversations/{c}"), Some(&nina)).await.json();
    let sent = view["messages"].as_array().unwrap().iter().find(|m| !m["attachments"].as_array().unwrap().is_empty());
    let listed = &sent.expect("a message with the photo")["attachments"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["sha256"], a["sha256"]);

    let (status, headers, bytes) = download(&t, &nina, &format!("/api/v1/attachments/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox") && csp.contains("default-src 'none'") && !csp.contains("script"), "{csp}");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline; filename=\"IMG_0042.JPG\""), "{disposition}");
    assert_eq!(hex(&switchboard_crypto::sha256(&bytes)), a["sha256"].as_str().unwrap());
    assert_eq!(bytes.len() as u64, a["size"].as_u64().unwrap());
    let seen = probe(&bytes);
    assert_eq!(seen["format"], "JPEG");
    assert_eq!(seen["gps_tags"], 0, "{seen}");
    assert_eq!(seen["exif_tags"], json!([]), "every EXIF tag removed: {seen}");
    // Turned a quarter clockwise: the red left half is now on top.
    assert_eq!(seen["size"], json!([32, 64]), "{seen}");
    let red = |p: &Value| p[0].as_i64().unwrap() > 200 && p[2].as_i64().unwrap() < 60;
    assert!(red(&seen["top_left"]) && red(&seen["top_right"]) && !red(&seen["bottom_left"]), "{seen}");

    let (status, headers, preview) = download(&t, &alice, &format!("/api/v1/attachments/{id}/preview")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    let p = probe(&preview);
    assert_eq!(p["gps_tags"], 0);
    assert!(p["size"][0].as_i64().unwrap() <= 320 && p["size"][1].as_i64().unwrap() <= 320, "{p}");

    let bob = t.login("bob").await;
    assert_eq!(download(&t, &bob, &format!("/api/v1/attachments/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&t, &bob, &format!("/api/v1/attachments/{id}/preview")).await.0, StatusCode::NOT_FOUND);
    let r = upload(&t, &bob, &c, "x.jpg", "image/jpeg", &jpeg).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another patient's conversation: {}", r.text);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment_uploaded' AND outcome = 'success'").await,
        1
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment_downloaded' AND outcome = 'success'").await,
        2
    );
    assert!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment_downloaded' AND outcome = 'denied'").await
            >= 3,
        "the nurse before it was sent, and the other patient twice"
    );
    t.stop().await;
}

/// Every kind accepted, decided by the bytes; the other photo formats lose
/// their metadata too (PNG text and EXIF; HEIC's EXIF item, location
/// included), and a video its location atom. Everything that is not an
/// accepted kind, or whose bytes do not match its name or claimed type, is
/// refused with words that name what is allowed, and leaves nothing.
#[tokio::test]
async fn every_kind_is_decided_by_its_bytes_and_every_spoof_is_refused() {
    let t = TestApp::spawn().await;
    let dir = fixtures();
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Files", "Some files").await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let accepted: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("letter.pdf", "application/pdf", pdf.clone(), "application/pdf"),
        (
            "readings.txt",
            "text/plain",
            b"Blood pressure log\n120/80 in the morning\n".to_vec(),
            "text/plain; charset=utf-8",
        ),
        ("clip.mp4", "video/mp4", video(b"isom"), "video/mp4"),
        ("clip.mov", "video/quicktime", video(b"qt  "), "video/quicktime"),
        ("voice.m4a", "audio/x-m4a", video(b"M4A "), "audio/mp4"),
        ("voice.aac", "audio/aac", [adts(100), adts(100)].concat(), "audio/aac"),
        ("voice.mp3", "audio/mpeg", [mp3_frame(), mp3_frame()].concat(), "audio/mpeg"),
        ("voice.webm", "audio/webm", webm(), "audio/webm"),
        ("voice.ogg", "audio/ogg", [b"OggS\0".to_vec(), vec![0u8; 60]].concat(), "audio/ogg"),
        ("chart.png", "image/png", std::fs::read(dir.join("text_chunk.png")).unwrap(), "image/png"),
        ("photo.heic", "image/heic", std::fs::read(dir.join("gps.heic")).unwrap(), "image/heic"),
        ("no-claim.pdf", "application/octet-stream", pdf.clone(), "application/pdf"),
    ];
    for (name, claimed, bytes, served) in &accepted {
        let r = upload(&t, &alice, &c, name, claimed, bytes).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
        let a = r.json();
        assert_eq!(a["content_type"], *served, "{name}");
        let (status, _, stored) =
            download(&t, &alice, &format!("/api/v1/attachments/{}", a["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        match *name {
            "clip.mp4" | "clip.mov" | "voice.m4a" => {
                assert!(!contains(&stored, PLACE), "{name}: the place is gone");
                assert_eq!(stored.len(), bytes.len(), "{name}: sizes unchanged, so offsets hold");
                assert_eq!(a["location_removed"], true, "{name}");
            }
            "chart.png" => {
                let seen = probe(&stored);
                assert_eq!(seen["text"], json!({}), "{seen}");
                assert_eq!(seen["exif_tags"], json!([]), "{seen}");
            }
            "photo.heic" => {
                let seen = probe(&stored);
                assert_eq!(seen["gps_tags"], 0, "{seen}");
                assert_eq!(seen["size"], json!([64, 32]), "still a picture: {seen}");
                assert_eq!(a["location_removed"], true);
            }
            _ => assert_eq!(&stored, bytes, "{name} is kept as sent"),
        }
    }

    let jpeg = std::fs::read(dir.join("upright_gps.jpg")).unwrap();
    let refused: Vec<(&str, &str, Vec<u8>)> = vec![
        ("scan.jpg", "image/jpeg", pdf.clone()),
        ("scan.pdf", "application/pdf", jpeg.clone()),
        ("photo.jpg", "image/png", jpeg.clone()),
        ("page.png", "image/png", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec()),
        ("page.txt", "text/plain", b"<html><body onload=alert(1)>hi</body></html>".to_vec()),
        (
            "icon.svg",
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
        ),
        ("anim.gif", "image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()),
        ("archive.zip", "application/zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec()),
        ("notes.txt", "text/plain", b"text with a \x00 NUL".to_vec()),
    ];
    let before = t.count("SELECT COUNT(*) FROM attachments").await;
    for (name, claimed, bytes) in &refused {
        let r = upload(&t, &alice, &c, name, claimed, bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.text);
        assert_eq!(r.code(), "file_not_allowed", "{name}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("JPEG, PNG, HEIC") && message.contains("PDF"), "{name}: {message}");
        assert!(!message.contains("alert"), "never echoes the file: {message}");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments").await, before);
    assert!(files_under(&t.config.data_dir.join("attachments/tmp")).is_empty(), "no part files left");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment_uploaded' AND outcome = 'failed'").await,
        refused.len() as i64
    );
    // Not multipart, and no part named file.
    let r =
        t.post_raw(&format!("/api/v1/conversations/{c}/attachments"), Some(&alice), "image/jpeg", jpeg.clone()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    let boundary = "b0";
    let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let r = t
        .post_raw(
            &format!("/api/v1/conversations/{c}/attachments"),
            Some(&alice),
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    t.stop().await;
}

/// Posts a video whose body is announced as `announced` bytes (an `mdat`
/// of zeros), by hand over TLS so that it can be written until the server
/// stops reading. The answer's text, and how many bytes went out.
pub(crate) async fn endless_video(t: &TestApp, token: &str, conversation: &str, announced: u64) -> (String, u64) {
    let running = t.running();
    let addr = running.addr;
    let cert = running.cert_pem.clone().unwrap();
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for der in rustls_pemfile_certs(&cert) {
        roots.add(der).unwrap();
    }
    let config = tokio_rustls::rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = tokio_rustls::rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await.unwrap();
    let boundary = "huge";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"long.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    );
    let mdat_len = announced - 64;
    let mut start = head.into_bytes();
    start.extend_from_slice(&ftyp(b"isom"));
    start.extend_from_slice(&(mdat_len as u32).to_be_bytes());
    start.extend_from_slice(b"mdat");
    let request = format!(
        "POST /api/v1/conversations/{conversation}/attachments HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        start.len() as u64 + mdat_len
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    tls.write_all(&start).await.unwrap();
    let (mut read, mut write) = tokio::io::split(tls);
    let writer = tokio::spawn(async move {
        let block = vec![0u8; 256 * 1024];
        let mut sent = 0u64;
        while sent < mdat_len {
            if write.write_all(&block).await.is_err() {
                break;
            }
            sent += block.len() as u64;
        }
        sent
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read_answer = async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read_answer).await.expect("an answer within a minute");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let sent =
        tokio::time::timeout(std::time::Duration::from_secs(60), writer).await.expect("the writer stops").unwrap();
    (answer, sent)
}

/// An upload far over the limit (1 GiB announced and streamed, at the
/// default 25 MiB) is answered 413 once the limit is passed, with the rest
/// never read; nothing is left on disk or in the database. (Its memory is
/// measured by `switchboard-loadgen --files`: BENCHMARKS.md.)
#[tokio::test]
async fn a_huge_upload_is_cut_off_at_the_limit_and_leaves_nothing() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Video", "A long video").await;
    let before = t.count("SELECT COUNT(*) FROM attachments").await;

    let (answer, sent) = endless_video(&t, &alice, &c, 1 << 30).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("file_too_large") && answer.contains("25 MB"), "{answer}");
    assert!(sent < 64 * 1024 * 1024, "the server stopped reading early; {sent} bytes went out");
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments").await, before);
    assert!(files_under(&t.config.data_dir.join("attachments/tmp")).is_empty(), "no part files left");
    t.stop().await;
}

/// A message's files together are held to their own limit.
#[tokio::test]
async fn a_messages_files_are_held_to_the_message_limit() {
    let t = TestApp::spawn_with(|c| {
        c.attachments.max_file_mib = 2;
        c.attachments.max_message_mib = 3;
    })
    .await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Scans", "Three scans").await;
    // Two files of 1.4 MB fit one message (3 MiB), three do not.
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'x'; 1_400_000]].concat();
    let one = upload(&t, &alice, &c, "a.pdf", "application/pdf", &big).await.json()["id"].as_str().unwrap().to_owned();
    let two = upload(&t, &alice, &c, "b.pdf", "application/pdf", &big).await.json()["id"].as_str().unwrap().to_owned();
    let three =
        upload(&t, &alice, &c, "c.pdf", "application/pdf", &big).await.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/messages"),
            Some(&alice),
            json!({"body": "all three", "attachment_ids": [one, two, three]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "file_too_large");
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/messages"),
            Some(&alice),
            json!({"body": "two of them", "attachment_ids": [one, two]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    t.stop().await;
}

fn rustls_pemfile_certs(pem: &str) -> Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem.as_bytes()).map(Result::unwrap).collect()
}

/// Neither a file's bytes nor its name appear in the data directory (the
/// file is sealed in chunks; the name in the database under the
/// conversation's key).
#[tokio::test]
async fn no_plaintext_of_a_file_or_its_name_in_the_data_directory() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Readings", "My readings").await;
    let canary = format!("CANARY{}", hex(&switchboard_crypto::random::array::<6>().unwrap()));
    let text = format!("Blood pressure {canary}\n").repeat(20_000);
    let name = format!("{canary}.txt");
    let r = upload(&t, &alice, &c, &name, "text/plain", text.as_bytes()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": [id]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let blobs = files_under(&t.config.data_dir.join("attachments"));
    assert!(!blobs.is_empty());
    for file in files_under(&t.config.data_dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, canary.as_bytes()), "{} holds the canary", file.display());
    }
    let (_, _, back) = download(&t, &alice, &format!("/api/v1/attachments/{id}")).await;
    assert_eq!(back, text.as_bytes());
    t.stop().await;
}

/// Staff file a patient's document to the chart (once), and see it among
/// the patient's documents; the patient cannot file, and a patient sees no
/// documents list.
#[tokio::test]
async fn staff_file_a_document_to_the_chart_and_list_a_patients_documents() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Letter", "A letter from the hospital").await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let id = upload(&t, &alice, &c, "discharge.pdf", "application/pdf", &pdf).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        t.post(&format!("/api/v1/attachments/{id}/filing"), Some(&nina), json!({})).await.status,
        StatusCode::NOT_FOUND,
        "not sent yet"
    );
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": [id]}))
        .await;
    assert_eq!(
        t.post(&format!("/api/v1/attachments/{id}/filing"), Some(&alice), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let r = t.post(&format!("/api/v1/attachments/{id}/filing"), Some(&nina), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["filed_at"].is_string());
    let again = t.post(&format!("/api/v1/attachments/{id}/filing"), Some(&nina), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let patient = t.patient_id("alice").await;
    let docs = t.get(&format!("/api/v1/patients/{patient}/documents"), Some(&nina)).await;
    assert_eq!(docs.status, StatusCode::OK, "{}", docs.text);
    let docs = docs.json();
    assert_eq!(docs[0]["id"], id.as_str());
    assert_eq!(docs[0]["conversation_id"], c.as_str());
    assert!(docs[0]["filed_at"].is_string());
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment_filed' AND outcome = 'success'").await,
        1
    );
    // Not for patients, nor for a patient that does not exist.
    let r = t.get(&format!("/api/v1/patients/{patient}/documents"), Some(&alice)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/patients/0190a0a0-0000-7000-8000-000000000000/documents", Some(&nina)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

/// With a ClamAV daemon configured (Debian's, started with a signature
/// database of the EICAR file alone), the EICAR file is refused and a clean
/// file accepted; with the daemon gone, uploads fail closed.
#[tokio::test]
async fn the_virus_scan_refuses_eicar_and_fails_closed() {
    let Some(clamd) = crate::clamd::start().await else { return };
    let socket = clamd.socket.clone();
    let t = TestApp::spawn_with(move |c| c.attachments.clamd_socket = Some(socket)).await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Scan", "Scanned files").await;
    let r = upload(&t, &alice, &c, "eicar.txt", "text/plain", crate::clamd::EICAR).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "file_refused_by_scan");
    let r = upload(&t, &alice, &c, "fine.txt", "text/plain", b"nothing to see here\n").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    drop(clamd);
    let r = upload(&t, &alice, &c, "fine.txt", "text/plain", b"nothing to see here\n").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.code(), "scan_unavailable");
    assert!(files_under(&t.config.data_dir.join("attachments/tmp")).is_empty());
    t.stop().await;
}

/// Housekeeping removes an upload nobody sent within a day (row, key and
/// bytes); a sent file stays.
#[tokio::test]
async fn uploads_never_sent_are_removed_after_a_day_and_sent_ones_stay() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Forms", "Two forms").await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let kept =
        upload(&t, &alice, &c, "kept.pdf", "application/pdf", &pdf).await.json()["id"].as_str().unwrap().to_owned();
    let left =
        upload(&t, &alice, &c, "left.pdf", "application/pdf", &pdf).await.json()["id"].as_str().unwrap().to_owned();
    t.post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": [kept]}))
        .await;
    let blobs = t.config.data_dir.join("attachments");
    assert_eq!(files_under(&blobs).len(), 2);
    t.advance(switchboard_domain::time::Span::from_hours(25));
    let hk = switchboard_service::jobs::HOUSEKEEPING;
    t.app().schedule(hk, "{}", t.app().now(), Some(hk)).await.unwrap();
    t.run_due_jobs().await;
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments").await, 1);
    let remaining = files_under(&blobs);
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    assert!(remaining[0].ends_with(&kept));
    let alice = t.login("alice").await;
    assert_eq!(download(&t, &alice, &format!("/api/v1/attachments/{left}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&t, &alice, &format!("/api/v1/attachments/{kept}")).await.0, StatusCode::OK);
    t.stop().await;
}

/// A 1×1 PNG, as a photo stands in the queue.
const TINY_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// The id of the demo practice's pool named `name`.
async fn pool_id(t: &TestApp, token: &str, name: &str) -> String {
    let pools = t.get("/api/v1/pools", Some(token)).await.json();
    pools.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_owned()
}

/// Administrators name the pool that files documents (anyone else is
/// refused as "not found", and a pool not the practice's is 422). A
/// patient's PDF and photo, never their recording, then wait in the queue
/// of that pool's members, oldest first, with whose and where they are;
/// not for anyone outside the pool. Every listing is audited, the inbox
/// counts carry the queue's size for its members only, and filing a file
/// takes it off.
#[tokio::test]
async fn documents_wait_for_the_documents_pool_until_filed() {
    use base64::Engine as _;
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let patel = t.login("dr.patel").await;
    let refills = pool_id(&t, &admin, "Refills").await;
    let routing = "/api/v1/practice/documents-routing";

    // Only administrators name it; staff may read it.
    let r = t.put(routing, Some(&nina), json!({"pool_id": refills})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.put(routing, Some(&alice), json!({"pool_id": null})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'practice_updated' AND outcome = 'denied'").await,
        2
    );
    let r = t.put(routing, Some(&admin), json!({"pool_id": "0190a0a0-0000-7000-8000-000000000000"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["field"], "pool_id");
    let lake_admin = t.login("lake.admin").await;
    let lakeside = t.get("/api/v1/pools", Some(&lake_admin)).await.json();
    if let Some(other) = lakeside.as_array().unwrap().first() {
        let r = t.put(routing, Some(&admin), json!({"pool_id": other["id"]})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "another practice's pool: {}", r.text);
    }
    let r = t.put(routing, Some(&admin), json!({"pool_id": refills})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["pool_id"], refills.as_str());
    assert_eq!(t.get(routing, Some(&nina)).await.json()["pool_id"], refills.as_str());

    // A letter, a photo and a voice note from alice, in one message.
    let c = t.patient_conversation(&alice, "Letters", "From the hospital").await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let png = base64::engine::general_purpose::STANDARD.decode(TINY_PNG).unwrap();
    let mp3 = [mp3_frame(), mp3_frame()].concat();
    let mut ids = Vec::new();
    for (name, ct, bytes) in
        [("letter.pdf", "application/pdf", &pdf), ("rash.png", "image/png", &png), ("voice.mp3", "audio/mpeg", &mp3)]
    {
        let r = upload(&t, &alice, &c, name, ct, bytes).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
        t.advance(switchboard_domain::time::Span::from_secs(1));
    }
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": ids}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // A member of the pool sees the letter and the photo, not the recording.
    let before = t.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%context=documents_to_file'").await;
    let r = t.get("/api/v1/documents/to-file", Some(&nina)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let queue = r.json();
    let listed: Vec<&str> = queue.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [ids[0].as_str(), ids[1].as_str()], "oldest first, no audio");
    assert_eq!(queue[0]["filename"], "letter.pdf");
    assert_eq!(queue[0]["conversation_id"], c.as_str());
    assert_eq!(queue[0]["patient_id"], t.patient_id("alice").await.as_str());
    assert_eq!(queue[0]["patient_name"], "Alice Nguyen");
    assert_eq!(queue[0]["subject"], "Letters");
    assert_eq!(queue[1]["kind"], "png");
    assert!(queue[1]["filed_at"].is_null());
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'conversations_listed' AND outcome = 'success' \
             AND patient_id IS NOT NULL AND detail = 'count=2;context=documents_to_file'"
        )
        .await,
        1,
        "one record for the one patient shown"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%context=documents_to_file'").await,
        before + 1
    );
    assert_eq!(t.get("/api/v1/inbox/counts", Some(&nina)).await.json()["to_file"], 2);

    // Dr. Patel sees alice's conversation but is not in the pool.
    let r = t.get("/api/v1/documents/to-file", Some(&patel)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'conversations_listed' AND outcome = 'denied' \
             AND detail = 'denied:not_in_pool'"
        )
        .await,
        1
    );
    assert!(t.get("/api/v1/inbox/counts", Some(&patel)).await.json()["to_file"].is_null());
    // Administrators open the queue; it holds only what they may view.
    let r = t.get("/api/v1/documents/to-file", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!([]));

    // Filed from anywhere, a file leaves the queue.
    let r = t.post(&format!("/api/v1/attachments/{}/filing", ids[0]), Some(&patel), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let queue = t.get("/api/v1/documents/to-file", Some(&nina)).await.json();
    assert_eq!(ids_of(&queue), [ids[1].clone()]);
    assert_eq!(t.get("/api/v1/inbox/counts", Some(&nina)).await.json()["to_file"], 1);

    // With no pool named, only administrators have the queue.
    let r = t.put(routing, Some(&admin), json!({"pool_id": null})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["pool_id"].is_null());
    assert_eq!(t.get("/api/v1/documents/to-file", Some(&nina)).await.status, StatusCode::NOT_FOUND);
    assert!(t.get("/api/v1/inbox/counts", Some(&nina)).await.json()["to_file"].is_null());
    assert_eq!(t.get("/api/v1/documents/to-file", Some(&admin)).await.status, StatusCode::OK);
    t.stop().await;
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}
