//! Blobs in the data directory (one node). Writers put bytes in
//! `tmp/<random>.part` and rename into `<first two hex digits>/<name>` on
//! commit, so a reader never sees half a file; an abandoned writer (a
//! refused or dropped upload) removes its part file on drop, so a refusal
//! leaves nothing behind.

use super::{BlobError, check_name};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};

#[derive(Clone, Debug)]
pub(super) struct Dir {
    root: PathBuf,
}

impl Dir {
    pub(super) fn new(root: PathBuf) -> Dir {
        Dir { root }
    }

    fn path_of(&self, name: &str) -> Result<PathBuf, BlobError> {
        let stem = check_name(name)?;
        let shard = stem.get(..2).ok_or(BlobError::BadName)?;
        Ok(self.root.join(shard).join(name))
    }

    pub(super) async fn create(&self, name: &str) -> Result<DirWriter, BlobError> {
        let target = self.path_of(name)?;
        let dir = self.root.join("tmp");
        make_private_dir(&self.root).await?;
        make_private_dir(&dir).await?;
        let mut random = [0u8; 12];
        switchboard_crypto::random::fill(&mut random).map_err(|_| BlobError::Io(ErrorKind::Other.into()))?;
        let part_name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let part = dir.join(format!("{part_name}.part"));
        let file = private_file(&part).await?;
        Ok(DirWriter { file: Some(BufWriter::with_capacity(IO_BUFFER, file)), part, target })
    }

    pub(super) async fn open(&self, name: &str) -> Result<DirReader, BlobError> {
        let file = File::open(self.path_of(name)?).await?;
        Ok(DirReader { file: BufReader::with_capacity(IO_BUFFER, file) })
    }

    pub(super) async fn remove(&self, name: &str) {
        if let Ok(path) = self.path_of(name)
            && let Err(e) = fs::remove_file(path).await
            && e.kind() != ErrorKind::NotFound
        {
            tracing::error!(error = %e, "could not remove an attachment blob");
        }
    }

    pub(super) async fn exists(&self, name: &str) -> Result<bool, BlobError> {
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

/// Bytes gathered before a write reaches the file. `tokio::fs` runs each
/// write on its blocking pool, one at a time: a 64 KiB sealed chunk per
/// hand-off made the thread switches, not the disk or the cipher, the cost
/// of an upload. A megabyte per hand-off is sixteen chunks.
const IO_BUFFER: usize = 1024 * 1024;

pub(super) struct DirWriter {
    file: Option<BufWriter<File>>,
    /// Emptied once committed, so that drop leaves the published file be.
    part: PathBuf,
    target: PathBuf,
}

impl DirWriter {
    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        let file = self.file.as_mut().ok_or(BlobError::Io(ErrorKind::Other.into()))?;
        file.write_all(bytes).await?;
        Ok(())
    }

    /// Renames the part file into place, the file and its directory synced.
    pub(super) async fn commit(mut self) -> Result<(), BlobError> {
        let Some(mut file) = self.file.take() else { return Err(BlobError::Io(ErrorKind::Other.into())) };
        file.flush().await?;
        file.get_mut().sync_all().await?;
        drop(file);
        if let Some(dir) = self.target.parent() {
            make_private_dir(dir).await?;
            fs::rename(&self.part, &self.target).await?;
            File::open(dir).await?.sync_all().await?;
        }
        self.part = PathBuf::new();
        Ok(())
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        if !self.part.as_os_str().is_empty() {
            // Synchronous on purpose: drop cannot await, and the part file
            // must be gone before the refusal is answered.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

pub(super) struct DirReader {
    file: BufReader<File>,
}

impl DirReader {
    pub(super) async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, BlobError> {
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
    use super::super::Blobs;
    use super::*;

    #[tokio::test]
    async fn a_committed_blob_reads_back_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::in_dir(dir.path().join("attachments"));
        let mut w = blobs.create("0a1b2c.preview").await.unwrap();
        w.write(b"sealed bytes").await.unwrap();
        assert!(!blobs.exists("0a1b2c.preview").await.unwrap(), "invisible until committed");
        blobs.commit(w).await.unwrap();
        assert!(dir.path().join("attachments/0a/0a1b2c.preview").exists());
        let mut r = blobs.open("0a1b2c.preview").await.unwrap();
        let mut buf = [0u8; 64];
        let n = r.read_full(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"sealed bytes");

        let mut w = blobs.create("0a1b2d").await.unwrap();
        w.write(&[1u8; 1000]).await.unwrap();
        drop(w);
        let tmp = std::fs::read_dir(dir.path().join("attachments/tmp")).unwrap().count();
        assert_eq!(tmp, 0, "the part file was removed");
        assert!(!blobs.exists("0a1b2d").await.unwrap());
        assert!(matches!(blobs.open("ffee").await, Err(BlobError::Missing)));
        assert!(matches!(blobs.open("../etc").await, Err(BlobError::BadName)));
        assert!(matches!(blobs.create("../etc").await, Err(BlobError::BadName)), "refused before any byte");
    }
}
