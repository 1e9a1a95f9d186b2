//! Where attachments' bytes are kept: already sealed by the service (the
//! store never sees a file's plaintext), written as they arrive, and
//! published under their name only once complete.
//!
//! Two backends behind one interface: the data directory (`dir.rs`, one
//! node) and an S3-compatible object store (`s3.rs`, several nodes). Either
//! way a blob is invisible until [`Blobs::commit`], and a writer dropped
//! without it (a refused or abandoned upload) takes what it wrote with it.

mod dir;
mod s3;

pub use s3::{S3Settings, S3SettingsError};

use std::io::ErrorKind;
use thiserror::Error;

/// Why a blob could not be written or read. Messages name no file, URL or
/// credential.
#[derive(Debug, Error)]
pub enum BlobError {
    #[error("no blob under that name")]
    Missing,
    #[error("the attachment storage is full")]
    Full,
    #[error("the attachment storage failed")]
    Io(#[source] std::io::Error),
    #[error("a blob name must be hexadecimal with an optional .suffix")]
    BadName,
    /// The object store answered with an error or could not be reached.
    /// The source names the request (endpoint, bucket, object key: an
    /// attachment id), never a credential: requests are signed in headers.
    #[error("the attachment object store failed")]
    Remote(#[source] object_store::Error),
    #[error("the attachment object store refused the credentials")]
    Denied,
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            ErrorKind::NotFound => BlobError::Missing,
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => BlobError::Full,
            _ => BlobError::Io(e),
        }
    }
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::Missing,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                BlobError::Denied
            }
            other => BlobError::Remote(other),
        }
    }
}

/// A blob's name: the attachment's id (hex digits and dashes), with an
/// optional lowercase suffix (`.preview`).
fn check_name(name: &str) -> Result<&str, BlobError> {
    let (stem, suffix) = name.split_once('.').unwrap_or((name, ""));
    let ok = stem.len() >= 2
        && stem.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && suffix.bytes().all(|b| b.is_ascii_lowercase());
    if ok { Ok(stem) } else { Err(BlobError::BadName) }
}

/// The attachment storage.
#[derive(Clone, Debug)]
pub struct Blobs {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Dir(dir::Dir),
    S3(s3::S3),
}

impl Blobs {
    /// Whether blobs go to an object store (off this machine), not the
    /// data directory.
    pub fn is_object_store(&self) -> bool {
        matches!(self.backend, Backend::S3(_))
    }

    /// Blobs under `root` (created 0700 when first written).
    pub fn in_dir(root: std::path::PathBuf) -> Blobs {
        Blobs { backend: Backend::Dir(dir::Dir::new(root)) }
    }

    /// Blobs in an S3-compatible object store. Nothing is contacted yet:
    /// a wrong bucket or credential shows on the first upload.
    pub fn s3(settings: &S3Settings) -> Result<Blobs, S3SettingsError> {
        Ok(Blobs { backend: Backend::S3(s3::S3::new(settings)?) })
    }

    /// A writer for the blob `name`, published only by [`Blobs::commit`].
    pub async fn create(&self, name: &str) -> Result<BlobWriter, BlobError> {
        let inner = match &self.backend {
            Backend::Dir(d) => Writer::Dir(d.create(name).await?),
            Backend::S3(s) => Writer::S3(s.create(name)?),
        };
        Ok(BlobWriter { inner, written: 0 })
    }

    /// Publishes what `writer` wrote under the name it was created for
    /// (durably: the data directory syncs the file and its directory; the
    /// object store has it once it answers).
    pub async fn commit(&self, writer: BlobWriter) -> Result<(), BlobError> {
        match writer.inner {
            Writer::Dir(w) => w.commit().await,
            Writer::S3(w) => w.commit().await,
        }
    }

    /// Opens a blob for reading.
    pub async fn open(&self, name: &str) -> Result<BlobReader, BlobError> {
        let inner = match &self.backend {
            Backend::Dir(d) => Reader::Dir(d.open(name).await?),
            Backend::S3(s) => Reader::S3(s.open(name).await?),
        };
        Ok(BlobReader { inner })
    }

    /// Removes a blob (a file whose row could not be written); one that is
    /// not there is no error, and a failure is logged, not returned.
    pub async fn remove(&self, name: &str) {
        match &self.backend {
            Backend::Dir(d) => d.remove(name).await,
            Backend::S3(s) => s.remove(name).await,
        }
    }

    /// Whether a blob exists (for tests and checks).
    pub async fn exists(&self, name: &str) -> Result<bool, BlobError> {
        match &self.backend {
            Backend::Dir(d) => d.exists(name).await,
            Backend::S3(s) => s.exists(name).await,
        }
    }
}

/// A blob being written. Dropped without [`Blobs::commit`], it removes
/// what it wrote (the part file; the object store's multipart upload is
/// aborted).
pub struct BlobWriter {
    inner: Writer,
    written: u64,
}

enum Writer {
    Dir(dir::DirWriter),
    S3(s3::S3Writer),
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        match &mut self.inner {
            Writer::Dir(w) => w.write(bytes).await?,
            Writer::S3(w) => w.write(bytes).await?,
        }
        self.written = self.written.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// A blob being read.
pub struct BlobReader {
    inner: Reader,
}

enum Reader {
    Dir(dir::DirReader),
    S3(s3::S3Reader),
}

impl BlobReader {
    /// Fills `buf` as far as the blob goes; the count read is smaller than
    /// `buf` only at the end.
    pub async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, BlobError> {
        match &mut self.inner {
            Reader::Dir(r) => r.read_full(buf).await,
            Reader::S3(r) => r.read_full(buf).await,
        }
    }
}
