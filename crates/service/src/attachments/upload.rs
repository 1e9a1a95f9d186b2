//! One upload, as it streams in: the kind decided from the first bytes,
//! metadata removed as the bytes pass, the result hashed, sealed in chunks
//! and written to the blob store, the raw count held to the limit. Nothing
//! is kept whole in memory but what the cleaner must (a photo it re-orients
//! or clears, at most the file limit).

use crate::ServiceError;
use crate::scanner::{ScanSession, Verdict};
use std::sync::Arc;
use switchboard_crypto::chunked::{CHUNK, FileSealer};
use switchboard_crypto::{DataKey, Sha256Stream};
use switchboard_domain::attachment::{FileName, describe_bytes};
use switchboard_media::{Cleaned, Cleaner, Kind, Mismatch, SNIFF_LEN, Sniff};
use switchboard_store::blobs::{BlobError, BlobWriter, Blobs};

/// Where an upload's bytes come from (the web layer's multipart part).
pub trait UploadSource: Send {
    /// The next piece, or `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, ServiceError>> + Send;
}

/// What an upload came with besides its bytes.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    /// The name the sender's device gave the file.
    pub filename: String,
    /// The type the sender's device claimed (the part's `Content-Type`).
    pub claimed_type: Option<String>,
}

/// A stored file, sealed and written, not yet recorded.
pub(crate) struct Stored {
    pub kind: Kind,
    pub size: u64,
    pub sha256: [u8; 32],
    pub cleaned: Cleaned,
    pub writer: BlobWriter,
}

pub(crate) fn blob_error(e: BlobError) -> ServiceError {
    match e {
        BlobError::Full => {
            tracing::error!("the attachment storage is full: uploads fail until space is freed");
            ServiceError::Unavailable
        }
        other => {
            // The cause (an I/O error, or the object store's request and
            // answer) names no file's content and no credential.
            let cause = std::error::Error::source(&other).map(ToString::to_string);
            tracing::error!(error = %other, cause = ?cause, "attachment storage error");
            ServiceError::Internal
        }
    }
}

pub(crate) fn not_allowed() -> ServiceError {
    ServiceError::FileNotAllowed(format!(
        "This kind of file cannot be sent. {}",
        switchboard_media::allowed_description()
    ))
}

pub(crate) fn too_large(limit: u64) -> ServiceError {
    ServiceError::FileTooLarge(format!("The file is larger than {}, the most one file may be.", describe_bytes(limit)))
}

/// Reads the first bytes and decides the kind; refuses what is not allowed
/// or does not match its name or claimed type.
async fn first_bytes(
    source: &mut impl UploadSource,
    name: &FileName,
    claimed: Option<&str>,
    limit: u64,
) -> Result<(Kind, Vec<u8>), ServiceError> {
    let mut head = Vec::new();
    while head.len() < SNIFF_LEN {
        match source.next_chunk().await? {
            Some(piece) => {
                head.extend_from_slice(&piece);
                if head.len() as u64 > limit {
                    return Err(too_large(limit));
                }
            }
            None => break,
        }
    }
    if head.is_empty() {
        return Err(ServiceError::invalid("file", "the file", "is empty"));
    }
    let Sniff::Known(kind) = switchboard_media::sniff(&head) else { return Err(not_allowed()) };
    match switchboard_media::claims_agree(kind, name.as_str(), claimed) {
        Ok(()) => Ok((kind, head)),
        Err(Mismatch::Name) => Err(ServiceError::FileNotAllowed(format!(
            "This file's name does not match what it holds (it is a {}). Rename it or send the original. {}",
            kind.label(),
            switchboard_media::allowed_description()
        ))),
        Err(Mismatch::ClaimedType) => Err(ServiceError::FileNotAllowed(format!(
            "This file's declared type does not match what it holds (it is a {}). {}",
            kind.label(),
            switchboard_media::allowed_description()
        ))),
    }
}

/// Seals plaintext into full chunks as it accumulates, and writes them.
pub(crate) struct SealedOut {
    sealer: FileSealer,
    pending: Vec<u8>,
    writer: BlobWriter,
}

impl SealedOut {
    pub(crate) async fn new(
        blobs: &Blobs,
        name: &str,
        key: Arc<DataKey>,
        aad: Vec<u8>,
    ) -> Result<SealedOut, ServiceError> {
        let (sealer, header) = FileSealer::new(key, aad).map_err(|_| ServiceError::Internal)?;
        let mut writer = blobs.create(name).await.map_err(blob_error)?;
        writer.write(&header).await.map_err(blob_error)?;
        Ok(SealedOut { sealer, pending: Vec::with_capacity(CHUNK), writer })
    }

    pub(crate) async fn write(&mut self, mut plain: &[u8]) -> Result<(), ServiceError> {
        while !plain.is_empty() {
            let room = CHUNK - self.pending.len();
            let (now, rest) = plain.split_at(room.min(plain.len()));
            self.pending.extend_from_slice(now);
            plain = rest;
            if self.pending.len() == CHUNK {
                let sealed = self.sealer.chunk(&self.pending).map_err(|_| ServiceError::Internal)?;
                self.writer.write(&sealed).await.map_err(blob_error)?;
                self.pending.clear();
            }
        }
        Ok(())
    }

    pub(crate) async fn finish(mut self) -> Result<BlobWriter, ServiceError> {
        let sealed = self.sealer.last(&self.pending).map_err(|_| ServiceError::Internal)?;
        self.writer.write(&sealed).await.map_err(blob_error)?;
        Ok(self.writer)
    }
}

/// Seals a whole small thing (a preview) into a new blob.
pub(crate) async fn seal_small(
    blobs: &Blobs,
    name: &str,
    key: Arc<DataKey>,
    aad: Vec<u8>,
    bytes: &[u8],
) -> Result<BlobWriter, ServiceError> {
    let mut out = SealedOut::new(blobs, name, key, aad).await?;
    out.write(bytes).await?;
    out.finish().await
}

/// Where and how one upload is kept.
pub(crate) struct Destination<'a> {
    pub blobs: &'a Blobs,
    /// The blob's name (the attachment's id), published only on commit.
    pub blob: &'a str,
    pub key: Arc<DataKey>,
    pub aad: Vec<u8>,
    pub name: &'a FileName,
    pub claimed: Option<&'a str>,
    /// The most raw bytes accepted.
    pub limit: u64,
    pub scan: Option<ScanSession>,
}

/// Streams one upload into a sealed blob. The raw bytes are counted
/// against `limit` as they arrive: past it the upload stops at once, and
/// what was written goes with the dropped writer.
pub(crate) async fn store(to: Destination<'_>, source: &mut impl UploadSource) -> Result<Stored, ServiceError> {
    let Destination { blobs, blob, key, aad, name, claimed, limit, mut scan } = to;
    let (kind, head) = first_bytes(source, name, claimed, limit).await?;
    let mut cleaner = Cleaner::new(kind, limit);
    let mut out = SealedOut::new(blobs, blob, key, aad).await?;
    let mut hash = Sha256Stream::default();
    let mut size = 0u64;
    let mut received = head.len() as u64;
    let mut clean = Vec::new();
    let mut piece = Some(head);
    while let Some(bytes) = piece.take() {
        clean.clear();
        cleaner.push(&bytes, &mut clean).map_err(|e| damaged(kind, &e))?;
        emit(&clean, &mut hash, &mut size, &mut out, scan.as_mut()).await?;
        piece = source.next_chunk().await?;
        if let Some(p) = &piece {
            received = received.saturating_add(p.len() as u64);
            if received > limit {
                return Err(too_large(limit));
            }
        }
    }
    clean.clear();
    let cleaned = cleaner.finish(&mut clean).map_err(|e| damaged(kind, &e))?;
    emit(&clean, &mut hash, &mut size, &mut out, scan.as_mut()).await?;
    if let Some(session) = scan {
        match session.finish().await.map_err(|_| ServiceError::ScanUnavailable)? {
            Verdict::Clean => {}
            Verdict::Infected { signature } => {
                tracing::warn!(signature = %signature, "the virus scan refused an upload");
                return Err(ServiceError::FileRefusedByScan);
            }
        }
    }
    let writer = out.finish().await?;
    Ok(Stored { kind, size, sha256: hash.finish(), cleaned, writer })
}

async fn emit(
    clean: &[u8],
    hash: &mut Sha256Stream,
    size: &mut u64,
    out: &mut SealedOut,
    scan: Option<&mut ScanSession>,
) -> Result<(), ServiceError> {
    if clean.is_empty() {
        return Ok(());
    }
    hash.update(clean);
    *size = size.saturating_add(clean.len() as u64);
    if let Some(s) = scan {
        s.feed(clean).await.map_err(|_| ServiceError::ScanUnavailable)?;
    }
    out.write(clean).await
}

fn damaged(kind: Kind, e: &switchboard_media::MediaError) -> ServiceError {
    tracing::info!(kind = kind.as_str(), problem = e.code(), "an upload could not be read as its kind");
    ServiceError::FileNotAllowed(format!(
        "This file looks like a {} but could not be read as one; it may be damaged. {}",
        kind.label(),
        switchboard_media::allowed_description()
    ))
}
