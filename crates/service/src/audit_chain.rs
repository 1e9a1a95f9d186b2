//! Checking the audit log's tamper-evident chain (for `switchboard audit
//! verify`), and its signed checkpoints: at intervals (housekeeping) and on
//! demand (`switchboard audit checkpoint`) the chain's head is signed with
//! a key derived from the key file (never in the database) and written
//! outside the database, to the checkpoint directory and to the object
//! store when attachments live there. A check against every checkpoint
//! catches a log rewritten by someone who also rewrote its head row, and a
//! log cut back at its end. `docs/audit.md` says where to keep copies.

use crate::{ServiceError, Switchboard};
use std::path::{Path, PathBuf};
use switchboard_domain::audit::checkpoint::{Checkpoint, CheckpointCheck};
use switchboard_domain::audit::verify::{VerifyProblem, VerifyReport};
use switchboard_store::audit_log;

/// A checkpoint written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenCheckpoint {
    pub seq: i64,
    /// Where the file went.
    pub path: Option<PathBuf>,
    /// Whether a copy went to the object store.
    pub in_object_store: bool,
}

impl Switchboard {
    /// Recomputes the audit chain from the first entry.
    pub async fn verify_audit(&self) -> Result<VerifyReport, ServiceError> {
        Ok(audit_log::verify(self.store(), &self.keys().audit_mac()).await?)
    }

    /// The public key that checks this deployment's checkpoints, in hex:
    /// for operators to keep apart from the server.
    pub fn audit_checkpoint_public_key(&self) -> Result<String, ServiceError> {
        let key = self.keys().checkpoint_public_key().map_err(|_| ServiceError::Internal)?;
        Ok(key.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Signs where the chain stands and writes it outside the database;
    /// `None` while the log is empty.
    pub async fn write_audit_checkpoint(&self) -> Result<Option<WrittenCheckpoint>, ServiceError> {
        let (seq, mac) = audit_log::head(self.store()).await?;
        if seq == 0 {
            return Ok(None);
        }
        let checkpoint = Checkpoint { seq, mac, at_micros: self.now().as_micros() };
        let signature =
            self.keys().sign_checkpoint(checkpoint.signed_text().as_bytes()).map_err(|_| ServiceError::Internal)?;
        let text = checkpoint.file_text(&signature);
        let path = match &self.config().audit_checkpoint_dir {
            Some(dir) => Some(write_file(dir, &checkpoint.file_name(), &text).await.map_err(|e| {
                tracing::error!(error = %e, "cannot write an audit checkpoint");
                ServiceError::Unavailable
            })?),
            None => None,
        };
        let mut in_object_store = false;
        if let Some(blobs) = self.config().attachments.blobs.as_ref().filter(|b| b.is_object_store()) {
            let written = async {
                let mut w = blobs.create(&checkpoint.file_name()).await?;
                w.write(text.as_bytes()).await?;
                blobs.commit(w).await
            }
            .await;
            match written {
                Ok(()) => in_object_store = true,
                Err(e) => tracing::warn!(error = %e, "cannot copy an audit checkpoint to the object store"),
            }
        }
        Ok(Some(WrittenCheckpoint { seq, path, in_object_store }))
    }

    /// Recomputes the chain, then checks it against every checkpoint file
    /// in the checkpoint directory and in `more` (copies kept elsewhere): a
    /// file not signed with this deployment's key, an entry whose MAC is
    /// not the checkpoint's, or a log that ends before a checkpoint's entry
    /// is a problem.
    pub async fn verify_audit_with_checkpoints(&self, more: &[PathBuf]) -> Result<VerifyReport, ServiceError> {
        let mut report = self.verify_audit().await?;
        let public = self.keys().checkpoint_public_key().map_err(|_| ServiceError::Internal)?;
        let dirs = self.config().audit_checkpoint_dir.iter().chain(more);
        for dir in dirs {
            for (name, text) in read_dir_files(dir).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read a checkpoint directory");
                ServiceError::Unavailable
            })? {
                let Some((checkpoint, _, _)) = Checkpoint::parse(&text)
                    .filter(|(_, signed, sig)| switchboard_crypto::verify_checkpoint(&public, signed.as_bytes(), sig))
                else {
                    report.problems.push(VerifyProblem::CheckpointNotSigned { name });
                    continue;
                };
                report.checkpoints += 1;
                let mac = audit_log::mac_at(self.store(), checkpoint.seq).await?;
                match checkpoint.compare(mac, report.last_seq) {
                    CheckpointCheck::Matches => {}
                    CheckpointCheck::Rewritten => {
                        report.problems.push(VerifyProblem::CheckpointRewritten { seq: checkpoint.seq });
                    }
                    CheckpointCheck::BeyondLog => report
                        .problems
                        .push(VerifyProblem::CheckpointBeyondLog { seq: checkpoint.seq, last: report.last_seq }),
                }
            }
        }
        Ok(report)
    }
}

/// Writes `text` to `dir/name` whole or not at all (a temporary file,
/// synced, then renamed), creating the directory (0700) if needed.
async fn write_file(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let (dir, name, text) = (dir.to_owned(), name.to_owned(), text.to_owned());
    tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The `*.checkpoint` files of `dir` in name order (none if it does not
/// exist).
async fn read_dir_files(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x == "checkpoint") {
                let name = path.display().to_string();
                // A file that is not text is not a checkpoint; it is reported.
                let text = std::fs::read(&path).map(|b| String::from_utf8_lossy(&b).into_owned())?;
                out.push((name, text));
            }
        }
        out.sort();
        Ok(out)
    })
    .await
    .map_err(std::io::Error::other)?
}
