//! Files in conversations: uploading one (it waits, the uploader's own,
//! until a message carries it), sending uploads with a message, reading a
//! file or its preview back, a patient's documents, filing a file to the
//! chart, and the queue of documents to file. The conversation's access policy decides every step; a file
//! anyone else asks for is "not found", and every upload and download is
//! audited.

mod download;
mod to_file;
pub(crate) mod upload;

pub use download::{Download, DownloadStream};
pub use to_file::DocumentToFile;
pub use upload::{UploadRequest, UploadSource};

use crate::access::facts;
use crate::auth::Principal;
use crate::scanner::Scanner;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::HashMap;
use std::sync::Arc;
use switchboard_crypto::aad;
use switchboard_domain::attachment::{AttachmentLimits, FileName, describe_bytes};
use switchboard_domain::audit::{AuditAction, Outcome, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, ConversationAction};
use switchboard_domain::time::Timestamp;
use switchboard_media::Kind;
use switchboard_store::blobs::Blobs;
use switchboard_store::queries::{attachments as q, conversations as conv_q, keys as keys_q};
use switchboard_store::rows::{ConversationRow, WrappedKeyRow};
use switchboard_store::{Conflict, Step, StoreError, Unit};

/// How attachments are kept and checked.
#[derive(Clone, Debug, Default)]
pub struct AttachmentSettings {
    pub limits: AttachmentLimits,
    /// Where the sealed bytes go; `None` (services built without a data
    /// directory) refuses uploads as unavailable.
    pub blobs: Option<Blobs>,
    /// The virus scanner every upload passes through, when one is set up.
    pub scanner: Option<Arc<Scanner>>,
}

/// A file as people see it listed.
#[derive(Clone, Debug)]
pub struct AttachmentView {
    pub id: AttachmentId,
    pub conversation: ConversationId,
    pub message: Option<MessageId>,
    pub filename: String,
    pub kind: Kind,
    pub size: u64,
    pub sha256: [u8; 32],
    pub has_preview: bool,
    /// Location data was found and removed before the file was kept.
    pub location_removed: bool,
    /// Other metadata (camera, time, software) was removed.
    pub metadata_removed: bool,
    pub uploaded_at: Timestamp,
    pub uploaded_by: UserId,
    pub filed_at: Option<Timestamp>,
}

/// The blob names of a file and its preview.
pub(crate) fn blob_name(id: AttachmentId, preview: bool) -> String {
    if preview { format!("{id}.preview") } else { id.to_string() }
}

/// The associated data that binds a sealed file to its attachment.
pub(crate) fn file_aad(id: AttachmentId, preview: bool) -> Vec<u8> {
    let place: &[u8] = if preview { b"attachments.preview" } else { b"attachments.file" };
    aad(&[place, id.as_bytes()])
}

impl Switchboard {
    pub(crate) fn blobs(&self) -> Result<&Blobs, ServiceError> {
        self.config().attachments.blobs.as_ref().ok_or_else(|| {
            tracing::error!("an upload or download was asked of a service with no attachment storage");
            ServiceError::Unavailable
        })
    }

    pub(crate) fn attachment_view(
        &self,
        row: &q::AttachmentRow,
        conversation_key: &switchboard_crypto::DataKey,
    ) -> Result<AttachmentView, ServiceError> {
        Ok(AttachmentView {
            id: row.id,
            conversation: row.conversation,
            message: row.message,
            filename: sealing::open(conversation_key, column::ATTACHMENT_NAME, row.id.as_bytes(), &row.filename_ct)?,
            kind: row.kind,
            size: row.size,
            sha256: row.sha256.as_slice().try_into().map_err(|_| ServiceError::Internal)?,
            has_preview: row.preview.is_some(),
            location_removed: row.location_removed,
            metadata_removed: row.metadata_removed,
            uploaded_at: row.uploaded_at,
            uploaded_by: row.uploaded_by,
            filed_at: row.filed_at,
        })
    }

    /// The sent files of a conversation, by message.
    pub(crate) async fn attachments_by_message(
        &self,
        row: &ConversationRow,
        key: &switchboard_crypto::DataKey,
    ) -> Result<HashMap<MessageId, Vec<AttachmentView>>, ServiceError> {
        let mut out: HashMap<MessageId, Vec<AttachmentView>> = HashMap::new();
        for a in q::sent_in(self.store(), row.id).await? {
            if let Some(m) = a.message {
                out.entry(m).or_default().push(self.attachment_view(&a, key)?);
            }
        }
        Ok(out)
    }

    /// Uploads a file to a conversation, for the caller to send with a
    /// message. Refusals (a kind not allowed, too large, a threat found)
    /// are audited and leave nothing stored.
    pub async fn upload_attachment(
        &self,
        p: &Principal,
        conversation: ConversationId,
        request: UploadRequest,
        source: &mut impl UploadSource,
        ctx: &RequestContext,
    ) -> Result<AttachmentView, ServiceError> {
        let row = self
            .authorized_conversation(p, ctx, conversation, ConversationAction::Reply, AuditAction::AttachmentUploaded)
            .await?;
        self.require_current_terms(p).await?;
        let name = FileName::parse(&request.filename).map_err(|e| ServiceError::invalid("file", "the file", e))?;
        let blobs = self.blobs()?.clone();
        let id = self.new_id(AttachmentId::from_bytes)?;
        let (file_key, wrapped) = self.keys().new_data_key(*id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let settings = &self.config().attachments;
        let scan = match &settings.scanner {
            Some(s) => Some(s.begin().await.map_err(|_| {
                tracing::error!("the virus scanner cannot be reached: uploads are refused until it is back");
                ServiceError::ScanUnavailable
            })?),
            None => None,
        };
        let file_blob = blob_name(id, false);
        let preview_blob = blob_name(id, true);
        let destination = upload::Destination {
            blobs: &blobs,
            blob: &file_blob,
            key: file_key.clone(),
            aad: file_aad(id, false),
            name: &name,
            claimed: request.claimed_type.as_deref(),
            limit: settings.limits.file_bytes,
            scan,
        };
        let stored = match upload::store(destination, source).await {
            Ok(s) => s,
            Err(e) => return Err(self.upload_refused(p, ctx, &row, e).await),
        };
        let preview = match &stored.cleaned.preview {
            Some(pv) => Some((
                pv.kind,
                upload::seal_small(&blobs, &preview_blob, file_key, file_aad(id, true), &pv.bytes).await?,
            )),
            None => None,
        };
        let now = self.now();
        let conversation_key = self.conversation_key(&row)?;
        let unit = Unit::new()
            .step(keys_q::insert(
                &WrappedKeyRow {
                    id: DataKeyId::from_bytes(*id.as_bytes()),
                    kek_id: wrapped.kek_id,
                    wrapped: wrapped.bytes,
                },
                row.practice,
                now,
            ))
            .step(q::insert(q::NewAttachment {
                id,
                conversation,
                uploaded_by: p.user.id,
                filename_ct: sealing::seal(&conversation_key, column::ATTACHMENT_NAME, id.as_bytes(), name.as_str())?,
                kind: stored.kind,
                size: stored.size,
                sha256: &stored.sha256,
                preview: preview.as_ref().map(|(k, _)| *k),
                location_removed: stored.cleaned.removed_location,
                metadata_removed: stored.cleaned.removed_metadata,
                at: now,
            }))
            .audit(
                self.record(p, ctx, AuditAction::AttachmentUploaded)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Attachment, *id.as_bytes())
                    .with_detail(format!("kind={} size={}", stored.kind.as_str(), stored.size)),
            );
        // The blobs go first: a row never names bytes that are not there.
        // If the preview or the row then fails, the blobs are removed again.
        blobs.commit(stored.writer).await.map_err(upload::blob_error)?;
        if let Some((_, writer)) = preview
            && let Err(e) = blobs.commit(writer).await
        {
            blobs.remove(&file_blob).await;
            return Err(upload::blob_error(e));
        }
        if let Err(e) = self.store().commit(unit).await {
            blobs.remove(&file_blob).await;
            blobs.remove(&preview_blob).await;
            return Err(e.into());
        }
        Ok(AttachmentView {
            id,
            conversation,
            message: None,
            filename: name.as_str().to_owned(),
            kind: stored.kind,
            size: stored.size,
            sha256: stored.sha256,
            has_preview: stored.cleaned.preview.is_some(),
            location_removed: stored.cleaned.removed_location,
            metadata_removed: stored.cleaned.removed_metadata,
            uploaded_at: now,
            uploaded_by: p.user.id,
            filed_at: None,
        })
    }

    /// Audits a refused upload (what was refused, never the file) and
    /// hands the refusal back.
    async fn upload_refused(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        row: &ConversationRow,
        e: ServiceError,
    ) -> ServiceError {
        let rec = self
            .record(p, ctx, AuditAction::AttachmentUploaded)
            .with_outcome(Outcome::Failed)
            .with_patient(Some(row.patient.id))
            .with_resource(ResourceKind::Conversation, *row.id.as_bytes())
            .with_detail(format!("refused:{}", e.code().as_str()));
        if let Err(audit) = self.store().commit(Unit::new().audit(rec)).await {
            tracing::error!(error = %audit, "could not audit a refused upload");
        }
        e
    }

    /// The steps that send `ids` (the caller's waiting uploads in this
    /// conversation) with `message`, after checking the message's limit.
    pub(crate) async fn send_attachment_steps(
        &self,
        p: &Principal,
        conversation: ConversationId,
        message: MessageId,
        ids: &[AttachmentId],
    ) -> Result<Vec<Step>, ServiceError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut unique = ids.to_vec();
        unique.sort_by_key(|a| *a.as_bytes());
        unique.dedup();
        if unique.len() != ids.len() {
            return Err(ServiceError::invalid("attachment_ids", "the list of files", "names a file twice"));
        }
        let waiting = q::waiting(self.store(), conversation, p.user.id, ids).await?;
        if waiting.len() != ids.len() {
            return Err(ServiceError::invalid(
                "attachment_ids",
                "the list of files",
                "names a file that is not waiting to be sent here (upload it to this conversation first)",
            ));
        }
        let total: u64 = waiting.iter().map(|a| a.size).sum();
        let limit = self.config().attachments.limits.message_bytes;
        if total > limit {
            return Err(ServiceError::FileTooLarge(format!(
                "These files come to more than {}, the most one message may carry. Send them in more than one message.",
                describe_bytes(limit)
            )));
        }
        Ok(ids.iter().map(|a| q::send_with(*a, message, conversation, p.user.id)).collect())
    }

    /// A patient's sent files across the conversations the caller may see,
    /// newest first: the documents view, for staff who may see the
    /// patient's page (administrators, the care team and department).
    pub async fn patient_documents(
        &self,
        p: &Principal,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<Vec<AttachmentView>, ServiceError> {
        let action = AuditAction::ConversationsListed;
        let Some(record) = switchboard_store::queries::directory::patient_admin_by_id(self.store(), patient).await?
        else {
            let target = crate::refusals::Target::missing(ResourceKind::Patient, *patient.as_bytes());
            return Err(self.deny(p, ctx, action, target, "denied:not_found".into()).await);
        };
        let decision = policy::authorize_patient(
            &p.actor,
            policy::PatientAction::ManageEnrollment,
            &crate::access::patient_facts(&record.patient),
        );
        if let policy::Decision::Deny(why) = decision {
            let target = crate::refusals::Target::owned(
                record.patient.practice,
                Some(patient),
                ResourceKind::Patient,
                *patient.as_bytes(),
            );
            return Err(self.deny(p, ctx, action, target, format!("denied:{}", why.as_str())).await);
        }
        let rows = q::sent_for_patient(self.store(), patient).await?;
        let mut keys = HashMap::new();
        for (id, c) in self.viewable_conversations(p, &rows).await? {
            if c.patient.id == patient {
                keys.insert(id, self.conversation_key(&c)?);
            }
        }
        let mut out = Vec::new();
        for a in &rows {
            if let Some(key) = keys.get(&a.conversation) {
                out.push(self.attachment_view(a, key)?);
            }
        }
        let rec = self
            .record(p, ctx, action)
            .with_patient(Some(patient))
            .with_resource(ResourceKind::Patient, *patient.as_bytes())
            .with_detail(format!("documents={}", out.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(out)
    }

    /// Marks a sent file as filed to the patient's chart (staff who may
    /// write notes on the conversation; once).
    pub async fn file_attachment(
        &self,
        p: &Principal,
        attachment: AttachmentId,
        ctx: &RequestContext,
    ) -> Result<AttachmentView, ServiceError> {
        let (a, row) = self
            .authorized_attachment(p, ctx, attachment, ConversationAction::AddNote, AuditAction::AttachmentFiled)
            .await?;
        if a.message.is_none() {
            return Err(ServiceError::NotFound);
        }
        let now = self.now();
        let unit = Unit::new().step(q::mark_filed(attachment, p.user.id, now)).audit(
            self.record(p, ctx, AuditAction::AttachmentFiled)
                .with_patient(Some(row.patient.id))
                .with_resource(ResourceKind::Attachment, *attachment.as_bytes()),
        );
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::AttachmentMissing)) => {
                return Err(ServiceError::Conflict("this file is already filed to the chart"));
            }
            Err(e) => return Err(e.into()),
        }
        let key = self.conversation_key(&row)?;
        let mut view = self.attachment_view(&a, &key)?;
        view.filed_at = Some(now);
        Ok(view)
    }

    /// Housekeeping: uploads never sent within a day are removed, row, data
    /// key and bytes (they are not part of the record until sent).
    pub(crate) async fn purge_unsent_attachments(&self) -> Result<usize, ServiceError> {
        let Some(blobs) = self.config().attachments.blobs.clone() else { return Ok(0) };
        let before = self.now().minus(switchboard_domain::time::Span::from_hours(24));
        let ids = q::unsent_before(self.store(), before, 500).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let unit = Unit::new().steps(ids.iter().flat_map(|a| q::purge_unsent(*a)));
        self.store().commit(unit).await?;
        let mut removed = 0;
        for a in ids {
            if q::by_id(self.store(), a).await?.is_none() {
                blobs.remove(&blob_name(a, false)).await;
                blobs.remove(&blob_name(a, true)).await;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The conversations `files` were sent in that the caller may view, each
    /// loaded once (a list of files shows only what its viewer may see).
    pub(crate) async fn viewable_conversations(
        &self,
        p: &Principal,
        files: &[q::AttachmentRow],
    ) -> Result<HashMap<ConversationId, ConversationRow>, ServiceError> {
        let mut ids: Vec<ConversationId> = files.iter().map(|a| a.conversation).collect();
        ids.sort_by_key(|c| *c.as_bytes());
        ids.dedup();
        let mut out = HashMap::new();
        for id in ids {
            if let Some(c) = conv_q::by_id(self.store(), id).await?
                && policy::authorize_conversation(&p.actor, ConversationAction::View, &facts(&c)).is_allowed()
            {
                out.insert(id, c);
            }
        }
        Ok(out)
    }

    /// Loads an attachment and its conversation if `action` is allowed on
    /// the conversation; an unsent upload only for its uploader. Anything
    /// else is audited and "not found".
    pub(crate) async fn authorized_attachment(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        attachment: AttachmentId,
        action: ConversationAction,
        audit: AuditAction,
    ) -> Result<(q::AttachmentRow, ConversationRow), ServiceError> {
        let Some(a) = q::by_id(self.store(), attachment).await? else {
            let target = crate::refusals::Target::missing(ResourceKind::Attachment, *attachment.as_bytes());
            return Err(self.deny(p, ctx, audit, target, "denied:not_found".into()).await);
        };
        let row = self.authorized_conversation(p, ctx, a.conversation, action, audit).await?;
        if a.message.is_none() && a.uploaded_by != p.user.id {
            let target = crate::refusals::Target::owned(
                row.practice,
                Some(row.patient.id),
                ResourceKind::Attachment,
                *attachment.as_bytes(),
            );
            return Err(self.deny(p, ctx, audit, target, "denied:not_sent".into()).await);
        }
        Ok((a, row))
    }
}
