//! Where attachments' bytes are kept: already sealed by the service (the
//! store never sees a file's plaintext), written as they arrive, and
//! published under their name only once complete.
//!
//! The data directory is the backend today. Writers put bytes in
//! `tmp/<random>.part` and rename into `<first two hex digits>/<name>` on
//! commit, so a reader never sees half a file; an abandoned writer (a
//! refused or dropped upload) removes its part file on drop, so a refusal
//! leaves nothing behind.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use thiserror::Error;
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why a blob could not be written or read. Messages name no file.
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

/// The attachment storage.
#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// Blobs under `root` (created 0700 when first written).
    pub fn in_dir(root: PathBuf) -> Blobs {
        Blobs { root }
    }

    fn path_of(&self, name: &str) -> Result<PathBuf, BlobError> {
        let (stem, suffix) = name.split_once('.').unwrap_or((name, ""));
        let ok = stem.len() >= 2
            && stem.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            && suffix.bytes().all(|b| b.is_ascii_lowercase());
        let shard = stem.get(..2).filter(|_| ok).ok_or(BlobError::BadName)?;
        Ok(self.root.join(shard).join(name))
    }

    /// A writer for a new blob.
    pub async fn create(&self) -> Result<BlobWriter, BlobError> {
        let dir = self.root.join("tmp");
        make_private_dir(&self.root).await?;
        make_private_dir(&dir).await?;
        let mut random = [0u8; 12];
        switchboard_crypto::random::fill(&mut random).map_err(|_| BlobError::Io(ErrorKind::Other.into()))?;
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let part = dir.join(format!("{name}.part"));
        let file = private_file(&part).await?;
        Ok(BlobWriter { file: Some(file), part, written: 0 })
    }

    /// Publishes what `writer` wrote under `name` (durably: the file and
    /// its directory are synced).
    pub async fn commit(&self, mut writer: BlobWriter, name: &str) -> Result<(), BlobError> {
        let target = self.path_of(name)?;
        let Some(mut file) = writer.file.take() else { return Err(BlobError::Io(ErrorKind::Other.into())) };
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        if let Some(dir) = target.parent() {
            make_private_dir(dir).await?;
            fs::rename(&writer.part, &target).await?;
            File::open(dir).await?.sync_all().await?;
        }
        writer.part = PathBuf::new();
        Ok(())
    }

    /// Opens a blob for reading.
    pub async fn open(&self, name: &str) -> Result<BlobReader, BlobError> {
        let file = File::open(self.path_of(name)?).await?;
        Ok(BlobReader { file })
    }

    /// Removes a blob (a file whose row could not be written); one that is
    /// not there is no error.
    pub async fn remove(&self, name: &str) {
        if let Ok(path) = self.path_of(name)
            && let Err(e) = fs::remove_file(path).await
            && e.kind() != ErrorKind::NotFound
        {
            tracing::error!(error = %e, "could not remove an attachment blob");
        }
    }

    /// Whether a blob exists (for tests and checks).
    pub async fn exists(&self, name: &str) -> Result<bool, BlobError> {
        Ok(fs::try_exists(self.path_of(name)?).await?)
    }
}

async fn make_private_dir(dir: &Path) -> Result<(), BlobError> {
    match fs::create_dir(dir).await {
        Ok(()) => {
            set_mode(dir, 0o700).await?;
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn private_file(path: &Path) -> Result<File, BlobError> {
    let file = OpenOptions::new().write(true).create_new(true).open(path).await?;
    set_mode(path, 0o600).await?;
    Ok(file)
}

#[cfg(unix)]
async fn set_mode(path: &Path, mode: u32) -> Result<(), BlobError> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).await?)
}

#[cfg(not(unix))]
async fn set_mode(_: &Path, _: u32) -> Result<(), BlobError> {
    Ok(())
}

/// A blob being written. Dropped without [`Blobs::commit`], it removes
/// what it wrote.
pub struct BlobWriter {
    file: Option<File>,
    part: PathBuf,
    written: u64,
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        let file = self.file.as_mut().ok_or(BlobError::Io(ErrorKind::Other.into()))?;
        file.write_all(bytes).await?;
        self.written = self.written.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.part.as_os_str().is_empty() {
            // Synchronous on purpose: drop cannot await, and the part file
            // must be gone before the refusal is answered.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// A blob being read.
pub struct BlobReader {
    file: File,
}

impl BlobReader {
    /// Fills `buf` as far as the blob goes; the count read is smaller than
    /// `buf` only at the end.
    pub async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, BlobError> {
        let mut filled = 0;
        while let Some(rest) = buf.get_mut(filled..) {
            if rest.is_empty() {
                break;
            }
            let n = self.file.read(rest).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_committed_blob_reads_back_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::in_dir(dir.path().join("attachments"));
        let mut w = blobs.create().await.unwrap();
        w.write(b"sealed bytes").await.unwrap();
        blobs.commit(w, "0a1b2c.preview").await.unwrap();
        let mut r = blobs.open("0a1b2c.preview").await.unwrap();
        let mut buf = [0u8; 64];
        let n = r.read_full(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"sealed bytes");

        let mut w = blobs.create().await.unwrap();
        w.write(&[1u8; 1000]).await.unwrap();
        drop(w);
        let tmp = std::fs::read_dir(dir.path().join("attachments/tmp")).unwrap().count();
        assert_eq!(tmp, 0, "the part file was removed");
        assert!(matches!(blobs.open("ffee").await, Err(BlobError::Missing)));
        assert!(matches!(blobs.open("../etc").await, Err(BlobError::BadName)));
    }
}
