//! The record as EHR systems read it (issue 17, FHIR R4): each message
//! with who sent it to whom, when it was sent and first read by the other
//! side, its corrections and files; each conversation as the thread its
//! messages belong to; the patient, staff members and the practice they
//! name. Plain structs with decrypted text: the web layer shapes them as
//! FHIR resources. Every read is for an `EhrPrincipal` whose scopes cover
//! the type, within its practice, never a conversation marked sensitive
//! (`domain::ehr::may_receive`), and is audited per patient whose record
//! was sent.

use crate::ehr::EhrPrincipal;
use crate::sealing::{self, column};
use crate::{ServiceError, Switchboard};
use std::collections::{BTreeMap, HashMap};
use switchboard_domain::audit::{AuditAction, AuditRecord, ResourceKind};
use switchboard_domain::caregiver::CaregiverRelationship;
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::ehr::{self, FhirType};
use switchboard_domain::ids::*;
use switchboard_domain::role::{SenderKind, UserKind};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_media::Kind;
use switchboard_store::Unit;
use switchboard_store::queries::ehr::{self as q, RecordItem};
pub use switchboard_store::queries::ehr::{Bound, Party, Range, RecordFilter};
use switchboard_store::queries::{attachments as files_q, caregivers as carers_q, conversations as conv_q, directory};
use switchboard_store::rows::ConversationRow;

/// The most resources one search page holds.
pub const MAX_PAGE: i64 = 100;

/// Who wrote or received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordParty {
    Patient {
        id: PatientId,
        name: String,
    },
    /// Someone writing for the patient under a caregiver's grant.
    Caregiver {
        name: String,
        relationship: CaregiverRelationship,
    },
    Staff {
        id: UserId,
        name: String,
    },
    /// The practice's care team (what patients write to), or the practice
    /// itself (automatic replies).
    Practice {
        id: PracticeId,
        name: String,
    },
}

/// A conversation: the thread its messages are part of.
#[derive(Clone, Debug)]
pub struct RecordThread {
    pub id: ConversationId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub patient_name: String,
    pub subject: String,
    pub topic: Topic,
    pub priority: Priority,
    pub status: ConversationStatus,
    pub started_at: Timestamp,
    pub started_by: RecordParty,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct RecordCorrection {
    pub author: RecordParty,
    pub at: Timestamp,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct RecordFile {
    pub id: AttachmentId,
    pub kind: Kind,
    pub title: String,
    pub size: u64,
    pub sha1: [u8; 20],
    pub sha256: [u8; 32],
    pub uploaded_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct RecordMessage {
    pub id: MessageId,
    pub thread: ConversationId,
    pub sender: RecordParty,
    pub recipient: RecordParty,
    pub body: String,
    pub sent_at: Timestamp,
    /// When the other side first read it.
    pub received_at: Option<Timestamp>,
    pub corrections: Vec<RecordCorrection>,
    pub files: Vec<RecordFile>,
    /// The message from the other side it follows.
    pub in_response_to: Option<MessageId>,
    pub updated_at: Timestamp,
}

/// One `Communication`: a message, or a conversation.
#[derive(Clone, Debug)]
pub enum RecordCommunication {
    Message { message: Box<RecordMessage>, thread: RecordThread },
    Thread(RecordThread),
}

/// A page of a `Communication` search.
#[derive(Clone, Debug)]
pub struct RecordPage {
    pub items: Vec<RecordCommunication>,
    /// Where the next page starts, if there is one.
    pub next: Option<(Timestamp, [u8; 16])>,
}

#[derive(Clone, Debug)]
pub struct RecordPatient {
    pub id: PatientId,
    pub practice: PracticeId,
    pub given: String,
    pub family: String,
    pub birth_date: String,
    pub mrn: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RecordPractitioner {
    pub id: UserId,
    pub practice: PracticeId,
    pub name: String,
    pub active: bool,
}

#[derive(Clone, Debug)]
pub struct RecordOrganization {
    pub id: PracticeId,
    pub name: String,
}

/// A file to send as a `Binary`.
pub struct RecordBinary {
    pub kind: Kind,
    pub body: crate::attachments::DownloadStream,
}

/// An internal note (legal exports only: never sent to an EHR).
#[derive(Clone, Debug)]
pub struct RecordNote {
    pub author: String,
    pub at: Timestamp,
    pub text: String,
}

/// A conversation read whole.
pub(crate) struct LoadedThread {
    pub thread: RecordThread,
    pub messages: Vec<RecordMessage>,
    /// Only when asked for.
    pub notes: Vec<RecordNote>,
}

impl Switchboard {
    /// One `Communication`: a message by its id, or a conversation by its.
    pub async fn record_communication(
        &self,
        ep: &EhrPrincipal,
        id: [u8; 16],
    ) -> Result<RecordCommunication, ServiceError> {
        ep.require(FhirType::Communication)?;
        let (conversation, message) = match conv_q::message_location(self.store(), MessageId::from_bytes(id)).await? {
            Some((c, _)) => (c, Some(MessageId::from_bytes(id))),
            None => (ConversationId::from_bytes(id), None),
        };
        let row = self.receivable(ep, conversation).await?;
        let loaded = self.load_thread(row, false).await?;
        let item = match message {
            Some(m) => {
                let message = loaded.messages.into_iter().find(|x| x.id == m).ok_or(ServiceError::NotFound)?;
                RecordCommunication::Message { message: Box::new(message), thread: loaded.thread }
            }
            None => RecordCommunication::Thread(loaded.thread),
        };
        self.audit_read(ep, FhirType::Communication, std::slice::from_ref(&item)).await?;
        Ok(item)
    }

    /// A page of `Communication`s matching `filter`, oldest first.
    pub async fn record_search(
        &self,
        ep: &EhrPrincipal,
        filter: &RecordFilter,
        count: i64,
    ) -> Result<RecordPage, ServiceError> {
        ep.require(FhirType::Communication)?;
        let count = count.clamp(0, MAX_PAGE);
        let (hits, more) = q::walk(self.store(), ep.practice, filter, count).await?;
        let mut threads: HashMap<ConversationId, LoadedThread> = HashMap::new();
        let mut items = Vec::with_capacity(hits.len());
        for h in &hits {
            if let std::collections::hash_map::Entry::Vacant(e) = threads.entry(h.conversation) {
                let row = self.receivable(ep, h.conversation).await?;
                e.insert(self.load_thread(row, false).await?);
            }
            let t = threads.get(&h.conversation).ok_or(ServiceError::Internal)?;
            items.push(match h.item {
                RecordItem::Conversation(_) => RecordCommunication::Thread(t.thread.clone()),
                RecordItem::Message(m) => RecordCommunication::Message {
                    message: Box::new(t.messages.iter().find(|x| x.id == m).cloned().ok_or(ServiceError::Internal)?),
                    thread: t.thread.clone(),
                },
            });
        }
        let next = match (more, hits.last()) {
            (true, Some(last)) => Some((
                last.at,
                match last.item {
                    RecordItem::Message(m) => *m.as_bytes(),
                    RecordItem::Conversation(c) => *c.as_bytes(),
                },
            )),
            _ => None,
        };
        self.audit_read(ep, FhirType::Communication, &items).await?;
        Ok(RecordPage { items, next })
    }

    pub async fn record_patient(&self, ep: &EhrPrincipal, id: PatientId) -> Result<RecordPatient, ServiceError> {
        ep.require(FhirType::Patient)?;
        let p = directory::patient_by_id(self.store(), id).await?.ok_or(ServiceError::NotFound)?;
        if p.practice != ep.practice {
            return Err(ServiceError::NotFound);
        }
        let key = sealing::data_key(self.keys(), &p.key)?;
        let row = p.id.as_bytes();
        let out = RecordPatient {
            id: p.id,
            practice: p.practice,
            given: sealing::open(&key, column::GIVEN_NAME, row, &p.given_name_ct)?,
            family: sealing::open(&key, column::FAMILY_NAME, row, &p.family_name_ct)?,
            birth_date: sealing::open(&key, column::BIRTH_DATE, row, &p.birth_date_ct)?,
            mrn: p.mrn_ct.as_ref().map(|ct| sealing::open(&key, column::MRN, row, ct)).transpose()?,
        };
        let rec = self
            .ehr_record(ep, FhirType::Patient)
            .with_patient(Some(id))
            .with_resource(ResourceKind::Patient, *id.as_bytes());
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(out)
    }

    /// A staff member of the practice (patients' accounts are not
    /// practitioners).
    pub async fn record_practitioner(&self, ep: &EhrPrincipal, id: UserId) -> Result<RecordPractitioner, ServiceError> {
        ep.require(FhirType::Practitioner)?;
        let u = directory::user_by_id(self.store(), id).await?.ok_or(ServiceError::NotFound)?;
        if u.practice != ep.practice || u.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        let rec = self.ehr_record(ep, FhirType::Practitioner).with_resource(ResourceKind::User, *id.as_bytes());
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(RecordPractitioner { id, practice: u.practice, name: u.display_name.unwrap_or_default(), active: u.active })
    }

    /// The client's own practice.
    pub async fn record_organization(
        &self,
        ep: &EhrPrincipal,
        id: PracticeId,
    ) -> Result<RecordOrganization, ServiceError> {
        ep.require(FhirType::Organization)?;
        if id != ep.practice {
            return Err(ServiceError::NotFound);
        }
        let name = directory::practice_name(self.store(), id).await?.ok_or(ServiceError::NotFound)?;
        Ok(RecordOrganization { id, name })
    }

    /// A file sent in a conversation the client may receive, as its bytes.
    pub async fn record_binary(&self, ep: &EhrPrincipal, id: AttachmentId) -> Result<RecordBinary, ServiceError> {
        ep.require(FhirType::Binary)?;
        let a = files_q::by_id(self.store(), id).await?.ok_or(ServiceError::NotFound)?;
        if a.message.is_none() {
            return Err(ServiceError::NotFound);
        }
        let row = self.receivable(ep, a.conversation).await?;
        let body = self.open_sealed(id, false).await?;
        let rec = self
            .ehr_record(ep, FhirType::Binary)
            .with_patient(Some(row.patient.id))
            .with_resource(ResourceKind::Attachment, *id.as_bytes());
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(RecordBinary { kind: a.kind, body })
    }

    /// A conversation of the client's practice that may leave it; any
    /// other is "not found", like one that does not exist.
    async fn receivable(&self, ep: &EhrPrincipal, id: ConversationId) -> Result<ConversationRow, ServiceError> {
        let row = conv_q::by_id(self.store(), id).await?.ok_or(ServiceError::NotFound)?;
        if row.practice != ep.practice || !ehr::may_receive(row.sensitivity) {
            return Err(ServiceError::NotFound);
        }
        Ok(row)
    }

    fn ehr_record(&self, ep: &EhrPrincipal, t: FhirType) -> AuditRecord {
        AuditRecord::new(self.now(), Some(ep.practice), ep.audit_actor(), AuditAction::FhirRead)
            .with_detail(format!("type={}", t.as_str()))
    }

    /// One `fhir_read` record per patient whose record was sent (one
    /// without a patient when none was).
    async fn audit_read(
        &self,
        ep: &EhrPrincipal,
        t: FhirType,
        items: &[RecordCommunication],
    ) -> Result<(), ServiceError> {
        let mut per_patient: BTreeMap<PatientId, usize> = BTreeMap::new();
        for i in items {
            let p = match i {
                RecordCommunication::Message { thread, .. } | RecordCommunication::Thread(thread) => thread.patient,
            };
            *per_patient.entry(p).or_default() += 1;
        }
        let mut unit = Unit::new();
        if per_patient.is_empty() {
            unit.push_audit(self.ehr_record(ep, t).with_detail(format!("type={};count=0", t.as_str())));
        }
        for (p, n) in per_patient {
            unit.push_audit(
                self.ehr_record(ep, t).with_patient(Some(p)).with_detail(format!("type={};count={n}", t.as_str())),
            );
        }
        self.store().commit(unit).await?;
        Ok(())
    }

    /// A conversation with its messages decrypted, each with its sender and
    /// recipient, first read by the other side, corrections and files.
    pub(crate) async fn load_thread(
        &self,
        row: ConversationRow,
        with_notes: bool,
    ) -> Result<LoadedThread, ServiceError> {
        let key = self.conversation_key(&row)?;
        let patient_name = self.patient_display_name(&row.patient)?;
        let practice_name = directory::practice_name(self.store(), row.practice).await?.unwrap_or_default();
        let patient = RecordParty::Patient { id: row.patient.id, name: patient_name.clone() };
        let care_team = RecordParty::Practice {
            id: row.practice,
            name: row.patient.care_team_name.clone().unwrap_or_else(|| practice_name.clone()),
        };
        let practice = RecordParty::Practice { id: row.practice, name: practice_name.clone() };
        let proxied: HashMap<MessageId, carers_q::ProxyMessageRow> =
            carers_q::proxy_messages_in(self.store(), row.id).await?.into_iter().map(|m| (m.message, m)).collect();
        let mut carer_names: HashMap<UserId, String> = HashMap::new();
        for m in proxied.values() {
            if let std::collections::hash_map::Entry::Vacant(e) = carer_names.entry(m.caregiver)
                && let Some(name) = self.portal_account_name(m.caregiver).await?
            {
                e.insert(name);
            }
        }
        let mut files: HashMap<MessageId, Vec<RecordFile>> = HashMap::new();
        for a in files_q::sent_in(self.store(), row.id).await? {
            let Some(m) = a.message else { continue };
            let title = sealing::open(&key, column::ATTACHMENT_NAME, a.id.as_bytes(), &a.filename_ct)?;
            let mut stream = self.open_sealed(a.id, false).await?;
            let mut sha1 = switchboard_crypto::Sha1Stream::default();
            while let Some(piece) = stream.next().await? {
                sha1.update(&piece);
            }
            files.entry(m).or_default().push(RecordFile {
                id: a.id,
                kind: a.kind,
                title,
                size: a.size,
                sha1: sha1.finish(),
                sha256: a.sha256.as_slice().try_into().map_err(|_| ServiceError::Internal)?,
                uploaded_at: a.uploaded_at,
            });
        }
        let started_by_user = row.created_by;
        let thread_row = row.clone();
        let detail = conv_q::detail(self.store(), row, with_notes).await?;
        let mut notes = Vec::with_capacity(detail.notes.len());
        for n in &detail.notes {
            notes.push(RecordNote {
                author: n.author_display_name.clone().unwrap_or_default(),
                at: n.created_at,
                text: sealing::open(&key, column::NOTE, n.id.as_bytes(), &n.body_ct)?,
            });
        }
        let staff =
            |id: UserId, name: Option<&String>| RecordParty::Staff { id, name: name.cloned().unwrap_or_default() };
        let mut staff_names: HashMap<UserId, Option<String>> = HashMap::new();
        for m in &detail.messages {
            if let (Some(u), SenderKind::Staff) = (m.sender, m.sender_kind) {
                staff_names.insert(u, m.sender_display_name.clone());
            }
        }
        let party_of = |user: UserId| -> RecordParty {
            if Some(user) == thread_row.patient.user {
                return patient.clone();
            }
            if let Some(name) = staff_names.get(&user) {
                return staff(user, name.as_ref());
            }
            match carer_names.get(&user) {
                Some(name) => RecordParty::Caregiver {
                    name: name.clone(),
                    relationship: proxied
                        .values()
                        .find(|p| p.caregiver == user)
                        .map_or(CaregiverRelationship::Other, |p| p.relationship),
                },
                None => staff(user, None),
            }
        };
        let started_by = match directory::user_by_id(self.store(), started_by_user).await? {
            Some(u) if u.kind == UserKind::Staff => staff(u.id, u.display_name.as_ref()),
            _ => party_of(started_by_user),
        };
        let thread = RecordThread {
            id: thread_row.id,
            practice: thread_row.practice,
            patient: thread_row.patient.id,
            patient_name: patient_name.clone(),
            subject: sealing::open(&key, column::SUBJECT, thread_row.id.as_bytes(), &thread_row.subject_ct)?,
            topic: thread_row.topic,
            priority: thread_row.priority,
            status: thread_row.status,
            started_at: thread_row.created_at,
            started_by,
            updated_at: thread_row.last_activity_at,
        };
        let mut received: HashMap<MessageId, Timestamp> = HashMap::new();
        let sender_kinds: HashMap<MessageId, SenderKind> =
            detail.messages.iter().map(|m| (m.id, m.sender_kind)).collect();
        for r in &detail.reads {
            let other_side = match sender_kinds.get(&r.message) {
                Some(SenderKind::Patient) => r.reader_kind == UserKind::Staff,
                Some(SenderKind::Staff | SenderKind::System) => r.reader_kind == UserKind::Patient,
                None => false,
            };
            if other_side {
                let e = received.entry(r.message).or_insert(r.read_at);
                if r.read_at < *e {
                    *e = r.read_at;
                }
            }
        }
        let mut corrections: HashMap<MessageId, Vec<RecordCorrection>> = HashMap::new();
        for a in &detail.amendments {
            corrections.entry(a.message).or_default().push(RecordCorrection {
                author: party_of(a.author),
                at: a.created_at,
                text: sealing::open(&key, column::AMENDMENT, a.id.as_bytes(), &a.body_ct)?,
            });
        }
        let mut messages = Vec::with_capacity(detail.messages.len());
        let mut last_from: HashMap<bool, MessageId> = HashMap::new();
        for m in &detail.messages {
            let from_patient_side = m.sender_kind == SenderKind::Patient;
            let sender = match (m.sender, m.sender_kind) {
                (Some(u), SenderKind::Patient) => match proxied.get(&m.id) {
                    Some(x) => RecordParty::Caregiver {
                        name: carer_names.get(&x.caregiver).cloned().unwrap_or_default(),
                        relationship: x.relationship,
                    },
                    None => party_of(u),
                },
                (Some(u), SenderKind::Staff) => staff(u, m.sender_display_name.as_ref()),
                _ => practice.clone(),
            };
            let recipient = if from_patient_side { care_team.clone() } else { patient.clone() };
            let fixes = corrections.remove(&m.id).unwrap_or_default();
            let received_at = received.get(&m.id).copied();
            let updated_at = [Some(m.sent_at), received_at, fixes.iter().map(|c| c.at).max()]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(m.sent_at);
            messages.push(RecordMessage {
                id: m.id,
                thread: thread.id,
                sender,
                recipient,
                body: sealing::open(&key, column::BODY, m.id.as_bytes(), &m.body_ct)?,
                sent_at: m.sent_at,
                received_at,
                corrections: fixes,
                files: files.remove(&m.id).unwrap_or_default(),
                in_response_to: last_from.get(&!from_patient_side).copied(),
                updated_at,
            });
            last_from.insert(from_patient_side, m.id);
        }
        Ok(LoadedThread { thread, messages, notes })
    }
}
