//! Blobs in an S3-compatible object store, for several nodes: objects
//! `<prefix>/<name>` in one bucket. The bytes are sealed before they get
//! here, exactly as for the data directory.
//!
//! A writer holds at most one part ([`PART`]) in memory. A blob that fits
//! in one part is sent with a single PUT at commit; a larger one becomes a
//! multipart upload, started when the first part is full and completed at
//! commit. Either way nothing is visible under the name before commit. A
//! writer dropped without commit aborts its multipart upload on the
//! runtime, best effort: a bucket lifecycle rule that removes incomplete
//! multipart uploads after a day is the backstop (a node that dies
//! mid-upload aborts nothing).

use super::{BlobError, check_name};
use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, MultipartUpload, ObjectStore, PutPayload};
use std::sync::Arc;

/// The size of a multipart upload's parts: S3's smallest (every part but
/// the last must be at least 5 MiB), so a writer holds little.
pub const PART: usize = 5 * 1024 * 1024;

/// Where and how to reach the object store.
#[derive(Clone, Default)]
pub struct S3Settings {
    /// `s3://bucket` or `s3://bucket/prefix/of/keys`.
    pub url: String,
    /// An S3-compatible server (`https://objects.example.org`); unset: AWS.
    pub endpoint: Option<String>,
    pub region: String,
    /// Both or neither; neither: the machine's role (instance metadata).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Accept an `http://` endpoint: only for a local test server.
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Which setting is wrong. Carries no value: a URL or key may be secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum S3SettingsError {
    #[error("the store URL must be s3://bucket or s3://bucket/prefix (a valid bucket name; no ., .. or empty parts)")]
    Url,
    #[error("the endpoint must be an https:// (or, allowed, http://) URL without a user or password")]
    Endpoint,
    #[error("the endpoint is http://, which is allowed only with allow_http (a local test server)")]
    PlainHttp,
    #[error("give both the access key id and the secret access key, or neither")]
    Credentials,
    #[error("the object store client could not be built from these settings")]
    Client,
}

#[derive(Clone)]
pub(super) struct S3 {
    store: Arc<AmazonS3>,
    bucket: String,
    prefix: Path,
}

impl std::fmt::Debug for S3 {
    // The client's own Debug would show its credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3").field("bucket", &self.bucket).field("prefix", &self.prefix.as_ref()).finish()
    }
}

fn bucket_and_prefix(url: &str) -> Result<(String, Path), S3SettingsError> {
    let rest = url.strip_prefix("s3://").ok_or(S3SettingsError::Url)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && bucket.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bucket.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    let prefix_ok = prefix.chars().all(|c| !c.is_control() && !matches!(c, '?' | '#' | '\\' | ' '));
    if !bucket_ok || !prefix_ok {
        return Err(S3SettingsError::Url);
    }
    Ok((bucket.to_owned(), Path::parse(prefix).map_err(|_| S3SettingsError::Url)?))
}

fn check_endpoint(endpoint: &str, allow_http: bool) -> Result<(), S3SettingsError> {
    let (plain, rest) = match (endpoint.strip_prefix("https://"), endpoint.strip_prefix("http://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return Err(S3SettingsError::Endpoint),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || endpoint.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(S3SettingsError::Endpoint);
    }
    if plain && !allow_http {
        return Err(S3SettingsError::PlainHttp);
    }
    Ok(())
}

impl S3 {
    pub(super) fn new(s: &S3Settings) -> Result<S3, S3SettingsError> {
        let (bucket, prefix) = bucket_and_prefix(&s.url)?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(&s.region)
            .with_client_options(ClientOptions::new().with_allow_http(s.allow_http));
        if let Some(endpoint) = &s.endpoint {
            check_endpoint(endpoint, s.allow_http)?;
            builder = builder.with_endpoint(endpoint);
        }
        match (&s.access_key_id, &s.secret_access_key) {
            (Some(id), Some(secret)) => {
                builder = builder.with_access_key_id(id).with_secret_access_key(secret);
            }
            (None, None) => {}
            _ => return Err(S3SettingsError::Credentials),
        }
        // object_store's message may quote a setting's value: not passed on.
        let store = builder.build().map_err(|_| S3SettingsError::Client)?;
        Ok(S3 { store: Arc::new(store), bucket, prefix })
    }

    fn path_of(&self, name: &str) -> Result<Path, BlobError> {
        check_name(name)?;
        Ok(self.prefix.child(name))
    }

    pub(super) fn create(&self, name: &str) -> Result<S3Writer, BlobError> {
        Ok(S3Writer { store: self.store.clone(), path: self.path_of(name)?, buf: Vec::new(), upload: None })
    }

    pub(super) async fn open(&self, name: &str) -> Result<S3Reader, BlobError> {
        let got = self.store.get(&self.path_of(name)?).await?;
        Ok(S3Reader { stream: got.into_stream(), held: Bytes::new() })
    }

    pub(super) async fn remove(&self, name: &str) {
        let Ok(path) = self.path_of(name) else { return };
        match self.store.delete(&path).await.map_err(BlobError::from) {
            Ok(()) | Err(BlobError::Missing) => {}
            Err(e) => tracing::error!(error = %e, cause = ?std::error::Error::source(&e).map(ToString::to_string),
                "could not remove an attachment object"),
        }
    }

    pub(super) async fn exists(&self, name: &str) -> Result<bool, BlobError> {
        match self.store.head(&self.path_of(name)?).await.map_err(BlobError::from) {
            Ok(_) => Ok(true),
            Err(BlobError::Missing) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

pub(super) struct S3Writer {
    store: Arc<AmazonS3>,
    path: Path,
    /// Less than one part: sent when it reaches [`PART`], or at commit.
    buf: Vec<u8>,
    /// Started with the first full part; taken once completed, so that
    /// drop aborts only an unfinished one.
    upload: Option<Box<dyn MultipartUpload>>,
}

impl S3Writer {
    pub(super) async fn write(&mut self, mut bytes: &[u8]) -> Result<(), BlobError> {
        while !bytes.is_empty() {
            let room = PART.saturating_sub(self.buf.len());
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = rest;
            if self.buf.len() >= PART {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    /// Sends the buffer as the next part, and waits for it: one part in
    /// memory at a time.
    async fn send_part(&mut self) -> Result<(), BlobError> {
        let part = PutPayload::from(std::mem::take(&mut self.buf));
        let upload = match &mut self.upload {
            Some(upload) => upload,
            None => self.upload.insert(self.store.put_multipart(&self.path).await?),
        };
        upload.put_part(part).await?;
        Ok(())
    }

    pub(super) async fn commit(mut self) -> Result<(), BlobError> {
        let rest = PutPayload::from(std::mem::take(&mut self.buf));
        match &mut self.upload {
            None => {
                self.store.put(&self.path, rest).await?;
            }
            Some(upload) => {
                if rest.content_length() > 0 {
                    upload.put_part(rest).await?;
                }
                upload.complete().await?;
                self.upload = None;
            }
        }
        Ok(())
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        let Some(mut upload) = self.upload.take() else { return };
        // Drop cannot await: the abort runs on the runtime, and the answer
        // to the refused upload does not wait for it.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = upload.abort().await.map_err(BlobError::from) {
                        tracing::warn!(error = %e, cause = ?std::error::Error::source(&e).map(ToString::to_string),
                            "could not abort an unfinished attachment upload; the bucket's lifecycle rule will");
                    }
                });
            }
            Err(_) => tracing::warn!("an unfinished attachment upload was left to the bucket's lifecycle rule"),
        }
    }
}

pub(super) struct S3Reader {
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    /// What the last piece of the stream had beyond the caller's buffer.
    held: Bytes,
}

impl S3Reader {
    pub(super) async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, BlobError> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.held.is_empty() {
                match self.stream.next().await {
                    Some(piece) => self.held = piece?,
                    None => break,
                }
                continue;
            }
            let rest = buf.get_mut(filled..).unwrap_or_default();
            let n = rest.len().min(self.held.len());
            let piece = self.held.split_to(n);
            rest.get_mut(..n).unwrap_or_default().copy_from_slice(&piece);
            filled += n;
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_and_endpoints_are_checked() {
        let (bucket, prefix) = bucket_and_prefix("s3://clinic-files/switchboard/prod/").unwrap();
        assert_eq!((bucket.as_str(), prefix.as_ref()), ("clinic-files", "switchboard/prod"));
        assert_eq!(bucket_and_prefix("s3://clinic-files").unwrap().1.as_ref(), "");
        for bad in ["clinic-files", "s3://", "s3://ab", "s3://Clinic", "s3://-x-/p", "s3://b-1/a//b", "s3://b-1/../x"] {
            assert_eq!(bucket_and_prefix(bad).unwrap_err(), S3SettingsError::Url, "{bad}");
        }
        assert_eq!(bucket_and_prefix("s3://b-1/a?x=1").unwrap_err(), S3SettingsError::Url);
        assert!(check_endpoint("https://objects.example.org", false).is_ok());
        assert!(check_endpoint("http://127.0.0.1:9000", true).is_ok());
        assert_eq!(check_endpoint("http://127.0.0.1:9000", false), Err(S3SettingsError::PlainHttp));
        assert_eq!(check_endpoint("https://user:pw@objects.example.org", false), Err(S3SettingsError::Endpoint));
        assert_eq!(check_endpoint("objects.example.org", false), Err(S3SettingsError::Endpoint));
        let half = S3Settings {
            url: "s3://clinic-files".into(),
            region: "us-east-1".into(),
            access_key_id: Some("AKIA".into()),
            ..S3Settings::default()
        };
        assert_eq!(S3::new(&half).unwrap_err(), S3SettingsError::Credentials);
        let debug = format!("{:?}", S3Settings { secret_access_key: Some("hunter2".into()), ..half });
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
