//! Legal exports of the record (issue 17): for a records request or a
//! legal inquiry, an administrator or the compliance officer (after
//! re-authenticating) asks for a patient's or one conversation's complete
//! record. A job reads it whole (every message with sender, recipient,
//! sent and first-read times, corrections, files, and notes if asked),
//! has the web layer render it as a PDF and a FHIR Bundle
//! (`ExportRenderer`: only the web layer knows those formats), and writes
//! one ZIP archive, sealed, with every file's SHA-256 in a manifest signed
//! by the checkpoint key. The page shows the job's progress; the archive
//! is downloaded once, then removed, and expires unread after a day.

use crate::attachments::upload::SealedOut;
use crate::auth::Principal;
use crate::record::{RecordMessage, RecordNote, RecordThread};
use crate::sealing;
use crate::{RequestContext, ServiceError, Switchboard};
use base64::Engine as _;
use std::sync::Arc;
use switchboard_crypto::Sha256Stream;
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::export::{self, ExportState, Manifest, ManifestFile};
use switchboard_domain::ids::*;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::{Span, Timestamp};
use switchboard_media::zip::ZipWriter;
use switchboard_store::queries::{conversations as conv_q, directory, exports as q, keys as keys_q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// The job that makes an export (payload: its id).
pub const RECORD_EXPORT: &str = "record_export";
const ARCHIVE_AAD: &[u8] = b"record_exports.archive";
/// How long after a download the archive is kept (for the transfer to
/// finish) before housekeeping removes it.
const AFTER_DOWNLOAD: Span = Span::from_hours(1);

/// One conversation as the export holds it.
#[derive(Clone, Debug)]
pub struct ExportThread {
    pub thread: RecordThread,
    pub sensitivity: Option<Sensitivity>,
    pub messages: Vec<RecordMessage>,
    pub notes: Vec<RecordNote>,
}

/// The record to render.
#[derive(Clone, Debug)]
pub struct ExportRecord {
    pub export: RecordExportId,
    pub practice_name: String,
    pub patient: crate::record::RecordPatient,
    /// `None`: the patient's whole record.
    pub conversation: Option<ConversationId>,
    pub include_notes: bool,
    pub made_at: Timestamp,
    pub requested_by: String,
    pub threads: Vec<ExportThread>,
    /// Each file's name in the archive, by its attachment id.
    pub file_names: Vec<(AttachmentId, String)>,
}

/// The formats only the web layer knows, given to the service at start.
pub trait ExportRenderer: Send + Sync {
    /// The record for people, as a PDF.
    fn pdf(&self, record: &ExportRecord) -> Vec<u8>;
    /// The record for systems, as a FHIR R4 Bundle (JSON).
    fn fhir_bundle(&self, record: &ExportRecord) -> Vec<u8>;
}

/// An export as the page shows it.
#[derive(Clone, Debug)]
pub struct ExportView {
    pub id: RecordExportId,
    pub patient: PatientId,
    pub patient_name: String,
    pub conversation: Option<ConversationId>,
    pub include_notes: bool,
    pub state: ExportState,
    pub done: i64,
    pub total: i64,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub requested_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// An archive on its way out.
pub struct ExportDownload {
    pub filename: String,
    pub size: Option<u64>,
    pub body: crate::attachments::DownloadStream,
}

/// The archive's blob: the export's id, `.zip`.
fn blob_name(id: RecordExportId) -> String {
    format!("{id}.zip")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes written to the archive, counted into its SHA-256.
struct Archive {
    out: SealedOut,
    zip: ZipWriter,
    whole: Sha256Stream,
    size: u64,
    manifest: Vec<ManifestFile>,
}

impl Archive {
    async fn raw(&mut self, bytes: &[u8]) -> Result<(), ServiceError> {
        self.whole.update(bytes);
        self.size = self.size.saturating_add(bytes.len() as u64);
        self.out.write(bytes).await
    }

    async fn start(&mut self, name: &str) -> Result<(), ServiceError> {
        let h = self.zip.start_entry(name).map_err(|_| ServiceError::Internal)?;
        self.raw(&h).await
    }

    async fn end(&mut self) -> Result<(), ServiceError> {
        let d = self.zip.end_entry().map_err(|_| ServiceError::Internal)?;
        self.raw(&d).await
    }

    /// A whole small file, listed in the manifest (unless it is the
    /// manifest or its signature).
    async fn file(&mut self, name: &str, bytes: &[u8], listed: bool) -> Result<(), ServiceError> {
        self.start(name).await?;
        self.zip.data(bytes).map_err(|_| ServiceError::Internal)?;
        self.raw(bytes).await?;
        self.end().await?;
        if listed {
            self.manifest.push(ManifestFile {
                name: name.to_owned(),
                size: bytes.len() as u64,
                sha256: switchboard_crypto::sha256(bytes),
            });
        }
        Ok(())
    }
}

impl Switchboard {
    /// Gives the node its renderer of PDFs and FHIR Bundles (once, at start).
    pub fn set_export_renderer(&self, renderer: Arc<dyn ExportRenderer>) {
        let _ = self.inner().export_renderer.set(renderer);
    }

    /// Asks for a legal export of a patient's record, or of one of their
    /// conversations (administrators and the compliance officer, after
    /// re-authenticating). The job makes it; `record_exports` shows it.
    pub async fn request_export(
        &self,
        p: &Principal,
        patient: Option<PatientId>,
        conversation: Option<ConversationId>,
        include_notes: bool,
        ctx: &RequestContext,
    ) -> Result<RecordExportId, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::RecordExportRequested).await?;
        self.require_recent_authentication(p)?;
        let practice = p.user.practice;
        let patient = match (patient, conversation) {
            (Some(pt), None) => directory::patient_by_id(self.store(), pt)
                .await?
                .filter(|r| r.practice == practice)
                .map(|r| r.id)
                .ok_or(ServiceError::NotFound)?,
            (None, Some(c)) => conv_q::by_id(self.store(), c)
                .await?
                .filter(|r| r.practice == practice)
                .map(|r| r.patient.id)
                .ok_or(ServiceError::NotFound)?,
            _ => {
                return Err(ServiceError::Invalid {
                    field: "patient_id",
                    problem: "name either a patient or a conversation to export".into(),
                });
            }
        };
        let id = self.new_id(RecordExportId::from_bytes)?;
        let now = self.now();
        let rec = self
            .record(p, ctx, AuditAction::RecordExportRequested)
            .with_patient(Some(patient))
            .with_resource(ResourceKind::RecordExport, *id.as_bytes())
            .with_detail(format!(
                "of={};notes={include_notes}",
                if conversation.is_some() { "conversation" } else { "patient" }
            ));
        let unit = Unit::new()
            .step(q::insert(&q::NewExport {
                id,
                practice,
                patient,
                conversation,
                include_notes,
                by: p.user.id,
                at: now,
            }))
            .audit(rec);
        self.store().commit(unit).await?;
        self.schedule(RECORD_EXPORT, &id.to_string(), now, None).await?;
        Ok(id)
    }

    /// The practice's exports, newest first, with their progress.
    pub async fn record_exports(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<ExportView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::SetupViewed).await?;
        let mut out = Vec::new();
        for e in q::list(self.store(), p.user.practice, 50).await? {
            let patient_name = match directory::patient_by_id(self.store(), e.patient).await? {
                Some(row) => self.patient_display_name(&row)?,
                None => String::new(),
            };
            out.push(ExportView {
                id: e.id,
                patient: e.patient,
                patient_name,
                conversation: e.conversation,
                include_notes: e.include_notes,
                state: e.state,
                done: e.done,
                total: e.total,
                size: e.size,
                sha256: e.sha256.as_deref().map(hex),
                requested_at: e.requested_at,
                expires_at: e.expires_at,
            });
        }
        Ok(out)
    }

    /// The archive, once (administrators and the compliance officer, after
    /// re-authenticating). A second download, or one after it expired, is
    /// "not found".
    pub async fn download_export(
        &self,
        p: &Principal,
        export: RecordExportId,
        ctx: &RequestContext,
    ) -> Result<ExportDownload, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::RecordExportDownloaded).await?;
        self.require_recent_authentication(p)?;
        let row = q::by_id(self.store(), export)
            .await?
            .filter(|e| e.practice == p.user.practice)
            .ok_or(ServiceError::NotFound)?;
        let body =
            self.open_blob(&blob_name(export), DataKeyId::from_bytes(*export.as_bytes()), ARCHIVE_AAD.to_vec()).await;
        let rec = self
            .record(p, ctx, AuditAction::RecordExportDownloaded)
            .with_patient(Some(row.patient))
            .with_resource(ResourceKind::RecordExport, *export.as_bytes());
        match self.store().commit(Unit::new().step(q::take(p.user.practice, export, self.now())).audit(rec)).await {
            Ok(_) => {}
            Err(StoreError::Conflict(Conflict::ExportUnavailable)) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        }
        Ok(ExportDownload {
            filename: format!("record-{export}.zip"),
            size: row.size.and_then(|s| u64::try_from(s).ok()),
            body: body?,
        })
    }

    /// Housekeeping: removes the archives downloaded (an hour on) or
    /// expired unread, with their keys.
    pub(crate) async fn purge_exports(&self) -> Result<usize, ServiceError> {
        let now = self.now();
        let ids = q::to_purge(self.store(), now, now.minus(AFTER_DOWNLOAD)).await?;
        for id in &ids {
            if let Ok(blobs) = self.blobs() {
                blobs.remove(&blob_name(*id)).await;
            }
            self.store().commit(Unit::new().steps(q::purged(*id, now))).await?;
        }
        Ok(ids.len())
    }

    /// The job: reads the record, renders it, writes the archive.
    pub(crate) async fn export_job(&self, payload: &str) -> Result<(), String> {
        let Ok(id) = RecordExportId::parse(payload) else { return Ok(()) };
        match self.make_export(id).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "a legal export failed");
                let _ = self.store().commit(Unit::new().step(q::failed(id))).await;
                Ok(())
            }
        }
    }

    async fn make_export(&self, id: RecordExportId) -> Result<(), ServiceError> {
        let Some(e) = q::by_id(self.store(), id).await? else { return Ok(()) };
        if !matches!(e.state, ExportState::Queued | ExportState::Running) {
            return Ok(());
        }
        let renderer = self.inner().export_renderer.get().cloned().ok_or(ServiceError::Unavailable)?;
        let rows = match e.conversation {
            Some(c) => conv_q::by_id(self.store(), c).await?.into_iter().collect::<Vec<_>>(),
            None => conv_q::of_patient(self.store(), e.patient).await?,
        };
        let total = rows.len() as i64;
        self.store().commit(Unit::new().step(q::progress(id, 0, total))).await?;
        let mut threads = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            let sensitivity = row.sensitivity;
            let loaded = self.load_thread(row, e.include_notes).await?;
            threads.push(ExportThread {
                thread: loaded.thread,
                sensitivity,
                messages: loaded.messages,
                notes: loaded.notes,
            });
            self.store().commit(Unit::new().step(q::progress(id, i as i64 + 1, total))).await?;
        }
        let patient_row = directory::patient_by_id(self.store(), e.patient).await?.ok_or(ServiceError::NotFound)?;
        let pkey = sealing::data_key(self.keys(), &patient_row.key)?;
        let prow = patient_row.id.as_bytes();
        let patient = crate::record::RecordPatient {
            id: patient_row.id,
            practice: patient_row.practice,
            given: sealing::open(&pkey, sealing::column::GIVEN_NAME, prow, &patient_row.given_name_ct)?,
            family: sealing::open(&pkey, sealing::column::FAMILY_NAME, prow, &patient_row.family_name_ct)?,
            birth_date: sealing::open(&pkey, sealing::column::BIRTH_DATE, prow, &patient_row.birth_date_ct)?,
            mrn: patient_row
                .mrn_ct
                .as_ref()
                .map(|ct| sealing::open(&pkey, sealing::column::MRN, prow, ct))
                .transpose()?,
        };
        let mut file_names = Vec::new();
        for t in &threads {
            for m in &t.messages {
                for f in &m.files {
                    file_names.push((f.id, export::archive_file_name(file_names.len() + 1, &f.title)));
                }
            }
        }
        let now = self.now();
        let requested_by =
            directory::user_by_id(self.store(), e.requested_by).await?.and_then(|u| u.display_name).unwrap_or_default();
        let record = ExportRecord {
            export: id,
            practice_name: directory::practice_name(self.store(), e.practice).await?.unwrap_or_default(),
            patient,
            conversation: e.conversation,
            include_notes: e.include_notes,
            made_at: now,
            requested_by,
            threads,
            file_names,
        };
        let pdf = renderer.pdf(&record);
        let bundle = renderer.fhir_bundle(&record);

        // The archive, sealed under its own key as it is written.
        let key_id = DataKeyId::from_bytes(*id.as_bytes());
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let blobs = self.blobs()?.clone();
        let out = SealedOut::new(&blobs, &blob_name(id), key, ARCHIVE_AAD.to_vec()).await?;
        let mut a =
            Archive { out, zip: ZipWriter::new(), whole: Sha256Stream::default(), size: 0, manifest: Vec::new() };
        a.file("record.pdf", &pdf, true).await?;
        a.file("record.fhir.json", &bundle, true).await?;
        for (attachment, name) in &record.file_names {
            a.start(name).await?;
            let mut stream = self.open_sealed(*attachment, false).await?;
            let mut sha = Sha256Stream::default();
            let mut size = 0u64;
            while let Some(piece) = stream.next().await? {
                sha.update(&piece);
                size += piece.len() as u64;
                a.zip.data(&piece).map_err(|_| ServiceError::Internal)?;
                a.raw(&piece).await?;
            }
            a.end().await?;
            a.manifest.push(ManifestFile { name: name.clone(), size, sha256: sha.finish() });
        }
        let manifest = Manifest {
            export: id,
            practice: e.practice,
            patient: e.patient,
            conversation: e.conversation,
            created: now,
            files: std::mem::take(&mut a.manifest),
        };
        let text = manifest.to_text();
        let sig = self.keys().sign_checkpoint(text.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let public = self.keys().checkpoint_public_key().map_err(|_| ServiceError::Internal)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let sig_text = format!(
            "signature {}\npublic-key {}\nalgorithm Ed25519 over the bytes of {}\n",
            b64.encode(sig),
            b64.encode(public),
            export::MANIFEST_NAME
        );
        a.file(export::MANIFEST_NAME, text.as_bytes(), false).await?;
        a.file(export::SIGNATURE_NAME, sig_text.as_bytes(), false).await?;
        let tail = std::mem::take(&mut a.zip).finish().map_err(|_| ServiceError::Internal)?;
        a.raw(&tail).await?;
        let Archive { out, whole, size, .. } = a;
        let writer = out.finish().await?;
        blobs.commit(writer).await.map_err(crate::attachments::upload::blob_error)?;
        let sha = whole.finish();
        let key_row = WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let rec = AuditRecord::new(now, Some(e.practice), AuditActor::System, AuditAction::RecordExportMade)
            .with_patient(Some(e.patient))
            .with_resource(ResourceKind::RecordExport, *id.as_bytes())
            .with_detail(format!("conversations={total};files={}", record.file_names.len()));
        let unit = Unit::new()
            .step(keys_q::insert(&key_row, e.practice, now))
            .step(q::ready(id, i64::try_from(size).unwrap_or(i64::MAX), &sha, now, now.plus(export::DOWNLOAD_WINDOW)))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(())
    }
}
