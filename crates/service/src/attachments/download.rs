//! Reading a file (or its preview) back: the policy and the audit first,
//! then the sealed blob opened chunk by chunk as the response is sent, so
//! memory stays flat whatever the size.

use super::{blob_name, file_aad, upload::blob_error};
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::chunked::{FileOpener, HEADER_LEN, SEALED_CHUNK};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::ConversationAction;
use switchboard_media::Kind;
use switchboard_store::Unit;
use switchboard_store::blobs::BlobReader;
use switchboard_store::queries::keys as keys_q;

/// A file on its way out.
pub struct Download {
    /// What the bytes are (the preview's own kind for a preview).
    pub kind: Kind,
    pub filename: String,
    /// The plaintext size, when known (not for previews).
    pub size: Option<u64>,
    pub body: DownloadStream,
}

/// The plaintext of a sealed blob, a chunk at a time.
pub struct DownloadStream {
    reader: BlobReader,
    opener: FileOpener,
    buf: Vec<u8>,
}

impl DownloadStream {
    /// The next piece of plaintext, or `None` at the end. A blob that was
    /// cut short, altered or moved fails here (and is logged).
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, ServiceError> {
        if self.opener.finished() {
            return Ok(None);
        }
        self.buf.resize(SEALED_CHUNK, 0);
        let n = self.reader.read_full(&mut self.buf).await.map_err(blob_error)?;
        let sealed = self.buf.get(..n).ok_or(ServiceError::Internal)?;
        self.opener.open(sealed).map(Some).map_err(|_| {
            tracing::error!("a stored attachment failed authentication");
            ServiceError::Internal
        })
    }
}

impl Switchboard {
    /// Opens a sent file (or one's own waiting upload) for download, or its
    /// preview. Audited before a byte leaves.
    pub async fn download_attachment(
        &self,
        p: &Principal,
        attachment: AttachmentId,
        preview: bool,
        ctx: &RequestContext,
    ) -> Result<Download, ServiceError> {
        let (a, row) = self
            .authorized_attachment(p, ctx, attachment, ConversationAction::View, AuditAction::AttachmentDownloaded)
            .await?;
        let kind = match (preview, a.preview) {
            (false, _) => a.kind,
            (true, Some(k)) => k,
            (true, None) => return Err(ServiceError::NotFound),
        };
        let conversation_key = self.conversation_key(&row)?;
        let filename =
            sealing::open(&conversation_key, column::ATTACHMENT_NAME, attachment.as_bytes(), &a.filename_ct)?;
        let body = self.open_sealed(attachment, preview).await?;
        let rec = self
            .record(p, ctx, AuditAction::AttachmentDownloaded)
            .with_patient(Some(row.patient.id))
            .with_resource(ResourceKind::Attachment, *attachment.as_bytes())
            .with_detail(if preview { "preview" } else { "file" });
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(Download { kind, filename, size: (!preview).then_some(a.size), body })
    }

    /// A stored file's (or preview's) plaintext as a stream. The caller has
    /// decided that it may be read and audited it.
    pub(crate) async fn open_sealed(
        &self,
        attachment: AttachmentId,
        preview: bool,
    ) -> Result<DownloadStream, ServiceError> {
        let key = DataKeyId::from_bytes(*attachment.as_bytes());
        self.open_blob(&blob_name(attachment, preview), key, file_aad(attachment, preview)).await
    }

    /// Any sealed blob's plaintext as a stream, by its name, the id of the
    /// data key that sealed it and the associated data it was sealed with.
    pub(crate) async fn open_blob(
        &self,
        blob: &str,
        key: DataKeyId,
        aad: Vec<u8>,
    ) -> Result<DownloadStream, ServiceError> {
        let wrapped = keys_q::by_id(self.store(), key).await?.ok_or(ServiceError::Internal)?;
        let key = sealing::data_key(self.keys(), &wrapped)?;
        let mut reader = self.blobs()?.open(blob).await.map_err(blob_error)?;
        let mut header = [0u8; HEADER_LEN];
        let n = reader.read_full(&mut header).await.map_err(blob_error)?;
        let opener = FileOpener::new(key, aad, header.get(..n).unwrap_or_default()).map_err(|_| {
            tracing::error!("a stored blob has a damaged header");
            ServiceError::Internal
        })?;
        Ok(DownloadStream { reader, opener, buf: Vec::new() })
    }
}
