//! Attachments in an S3-compatible object store: moto's server (from
//! `.ci/peers/requirements.txt`, started by `.ci/peers/s3_server.py`) in
//! place of AWS. The same sealing as in the data directory: files and
//! previews go up, come back byte for byte, and no object holds plaintext;
//! a file over one part goes up as a multipart upload, and a refused one
//! leaves neither an object nor an unfinished multipart upload.

use crate::attachments::{contains, download, endless_video, files_under, fixtures, upload};
use crate::peers::Peer;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// A bucket on a moto server of the test's own, read and written with
/// plain unsigned HTTP (moto takes it): the test looks at the store
/// without the code under test.
struct Bucket {
    _peer: Peer,
    http: reqwest::Client,
    endpoint: String,
    name: &'static str,
}

/// The text of every `<tag>…</tag>` in `xml`, in order.
fn tags<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

impl Bucket {
    async fn start(name: &'static str) -> Bucket {
        let peer = Peer::start("s3_server.py", &[]);
        let endpoint = format!("http://127.0.0.1:{}", peer.port);
        let http = reqwest::Client::builder().build().unwrap();
        let r = http.put(format!("{endpoint}/{name}")).send().await.unwrap();
        assert!(r.status().is_success(), "creating the bucket: {}", r.status());
        Bucket { _peer: peer, http, endpoint, name }
    }

    async fn get(&self, query: &str) -> String {
        let r = self.http.get(format!("{}/{}{query}", self.endpoint, self.name)).send().await.unwrap();
        assert!(r.status().is_success(), "{query}: {}", r.status());
        r.text().await.unwrap()
    }

    /// Every object: its key and its ETag (a multipart upload's ends in
    /// `-<parts>`).
    async fn objects(&self) -> Vec<(String, String)> {
        let listing = self.get("?list-type=2").await;
        assert!(!listing.contains("<IsTruncated>true"), "one page holds them all");
        tags(&listing, "Contents")
            .into_iter()
            .map(|c| (tags(c, "Key")[0].to_owned(), tags(c, "ETag")[0].replace("&#34;", "").replace('"', "")))
            .collect()
    }

    async fn object(&self, key: &str) -> Vec<u8> {
        // An anonymous GET of a private object is refused; moto reads who
        // asks from the header and checks no signature.
        let who = "AWS4-HMAC-SHA256 Credential=test-key/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, \
                   Signature=00";
        let url = format!("{}/{}/{key}", self.endpoint, self.name);
        let r = self.http.get(url).header("authorization", who).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{key}");
        r.bytes().await.unwrap().to_vec()
    }

    /// Multipart uploads started and neither completed nor aborted.
    async fn unfinished_uploads(&self) -> usize {
        tags(&self.get("?uploads").await, "Upload").len()
    }
}

/// A photo (with its preview), a small text file and one over a part go to
/// the object store under `<prefix>/<id>`, sealed; they download as sent;
/// the data directory holds none of them; an upload refused after its
/// first part went up leaves no object and no unfinished upload.
#[tokio::test]
async fn attachments_in_an_s3_compatible_store_are_sealed_and_a_refusal_leaves_nothing() {
    let bucket = Bucket::start("clinic-files").await;
    let endpoint = bucket.endpoint.clone();
    let t = TestApp::spawn_with(move |c| {
        c.attachments.store_url = Some("s3://clinic-files/riverside/attachments".into());
        c.attachments.s3_endpoint = Some(endpoint);
        c.attachments.s3_allow_http = true;
        c.attachments.s3_access_key_id = Some("test-key".into());
        c.attachments.s3_secret_access_key = Some("test-secret".into());
        c.attachments.max_file_mib = 6;
        c.attachments.max_message_mib = 20;
    })
    .await;
    let alice = t.login("alice").await;
    let nina = t.login("nina.nurse").await;
    let c = t.patient_conversation(&alice, "Readings", "My readings and a photo").await;
    let canary = format!("CANARY{}", hex(&switchboard_crypto::random::array::<6>().unwrap()));

    let jpeg = std::fs::read(fixtures().join("rotated_gps.jpg")).unwrap();
    let photo = upload(&t, &alice, &c, "IMG_0042.JPG", "image/jpeg", &jpeg).await;
    assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.text);
    let photo = photo.json();
    assert_eq!(photo["has_preview"], true);
    let small = format!("Blood pressure {canary}\n").repeat(1000);
    // Over 5 MiB sealed: two parts of a multipart upload.
    let line = format!("Glucose diary {canary}\n");
    let large = line.repeat(5_800_000 / line.len());
    let mut sent = vec![(photo, None)];
    for (name, text) in [(format!("{canary}.txt"), &small), ("diary.txt".to_owned(), &large)] {
        let r = upload(&t, &alice, &c, &name, "text/plain", text.as_bytes()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        sent.push((r.json(), Some(text.as_bytes())));
    }
    let ids: Vec<&str> = sent.iter().map(|(a, _)| a["id"].as_str().unwrap()).collect();
    let r = t
        .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": "", "attachment_ids": ids}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    for (a, original) in &sent {
        let (status, _, bytes) =
            download(&t, &nina, &format!("/api/v1/attachments/{}", a["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(hex(&switchboard_crypto::sha256(&bytes)), a["sha256"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, a["size"].as_u64().unwrap());
        if let Some(original) = original {
            assert!(bytes == *original, "a text file comes back as sent");
        }
    }
    let (status, _, preview) = download(&t, &alice, &format!("/api/v1/attachments/{}/preview", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&preview[..2], b"\xFF\xD8", "a JPEG preview");

    let objects = bucket.objects().await;
    let mut keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("riverside/attachments/{id}")).collect();
    expected.push(format!("riverside/attachments/{}.preview", ids[0]));
    expected.sort();
    assert_eq!(keys, expected);
    for (key, etag) in &objects {
        let bytes = bucket.object(key).await;
        assert!(!bytes.is_empty(), "{key}");
        assert!(!contains(&bytes, canary.as_bytes()), "{key} holds the canary");
        assert!(!contains(&bytes, b"Glucose diary") && !contains(&bytes, b"JFIF"), "{key} holds plaintext");
        let multipart = key.ends_with(ids[2]);
        assert_eq!(etag.ends_with("-2"), multipart, "{key}: {etag}");
        if multipart {
            assert!(bytes.len() > 5 * 1024 * 1024, "{}", bytes.len());
        }
    }
    assert!(files_under(&t.config.data_dir.join("attachments")).is_empty(), "nothing in the data directory");
    for file in files_under(&t.config.data_dir) {
        assert!(!contains(&std::fs::read(&file).unwrap(), canary.as_bytes()), "{} holds the canary", file.display());
    }

    // Over the 6 MiB limit: the first 5 MiB part has gone up as a
    // multipart upload when the limit is passed.
    // Watched while it streams, so the test knows one was begun.
    let before = t.count("SELECT COUNT(*) FROM attachments").await;
    let (http, uploads) = (bucket.http.clone(), format!("{}/{}?uploads", bucket.endpoint, bucket.name));
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(async move {
        loop {
            let listing = http.get(&uploads).send().await.unwrap().text().await.unwrap();
            if !tags(&listing, "Upload").is_empty() {
                return true;
            }
            tokio::select! {
                _ = &mut stopped => return false,
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    });
    let (answer, _) = endless_video(&t, &alice, &c, 64 << 20).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let _ = stop.send(());
    assert!(watcher.await.unwrap(), "a multipart upload was begun before the limit was passed");
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments").await, before);
    assert_eq!(bucket.objects().await.len(), objects.len(), "no new object");
    // The abort runs after the answer: give it a moment.
    let deadline = Instant::now() + Duration::from_secs(15);
    while bucket.unfinished_uploads().await > 0 {
        assert!(Instant::now() < deadline, "the refused upload's multipart upload was never aborted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    t.stop().await;
}
