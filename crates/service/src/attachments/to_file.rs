//! Routing documents: the pool a practice names to file what patients send
//! (a practice setting administrators change), and the queue of documents
//! still to file that the pool's members work through. Which files are
//! documents is [`switchboard_media::Kind::is_document`]; filing one
//! (`file_attachment`) takes it off the queue, from wherever it is filed.

use super::AttachmentView;
use crate::auth::Principal;
use crate::refusals::Target;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, Actor, Decision, PracticeAction};
use switchboard_domain::sensitivity::{CategorySet, TopicAccess};
use switchboard_store::Unit;
use switchboard_store::queries::{attachments as q, routing as routing_q};

/// The most the queue lists at once; filing takes files off it, so the
/// next ones come up.
const QUEUE_LIMIT: i64 = 200;

/// A document in the queue: the file, and whose and where it is.
#[derive(Clone, Debug)]
pub struct DocumentToFile {
    pub file: AttachmentView,
    pub patient: PatientId,
    pub patient_name: String,
    /// The conversation's subject.
    pub subject: String,
}

/// What the queue needs of a conversation the caller may view, read once
/// per conversation.
struct Seen {
    key: Arc<switchboard_crypto::DataKey>,
    patient: PatientId,
    patient_name: String,
    subject: String,
}

impl Switchboard {
    /// The pool that files documents, if one is named (staff; no PHI).
    pub async fn documents_routing(&self, p: &Principal, ctx: &RequestContext) -> Result<Option<PoolId>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        Ok(routing_q::documents_pool(self.store(), p.user.practice).await?)
    }

    /// Names the pool that files documents, or none (practice
    /// administrators). A pool that is not the practice's is refused.
    pub async fn set_documents_routing(
        &self,
        p: &Principal,
        pool: Option<PoolId>,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PracticeUpdated).await?;
        let practice = p.user.practice;
        if let Some(x) = pool
            && !routing_q::pools(self.store(), practice).await?.iter().any(|known| known.id == x)
        {
            return Err(ServiceError::invalid("pool_id", "the pool", "is not one of this practice's pools"));
        }
        let rec = self
            .record(p, ctx, AuditAction::PracticeUpdated)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(if pool.is_some() { "documents_pool=set" } else { "documents_pool=none" });
        self.store().commit(Unit::new().step(routing_q::set_documents_pool(practice, pool)).audit(rec)).await?;
        Ok(())
    }

    /// The documents patients sent that are still to file, oldest first,
    /// among the conversations the caller may view: for the documents
    /// pool's members and administrators. One `conversations_listed`
    /// record per patient shown (one saying none when the queue is empty).
    pub async fn documents_to_file(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<DocumentToFile>, ServiceError> {
        let action = AuditAction::ConversationsListed;
        let practice = p.user.practice;
        let pool = routing_q::documents_pool(self.store(), practice).await?;
        if let Decision::Deny(why) = policy::authorize_documents_queue(&p.actor, practice, pool) {
            return Err(self
                .deny(p, ctx, action, Target::practice(practice), format!("denied:{}", why.as_str()))
                .await);
        }
        let rows = q::to_file(self.store(), practice, p.user.id, QUEUE_LIMIT).await?;
        let mut seen: HashMap<ConversationId, Seen> = HashMap::new();
        for (id, c) in self.viewable_conversations(p, &rows).await? {
            let key = self.conversation_key(&c)?;
            let subject = sealing::open(&key, column::SUBJECT, c.id.as_bytes(), &c.subject_ct)?;
            let patient_name = self.patient_display_name(&c.patient)?;
            seen.insert(id, Seen { subject, patient_name, patient: c.patient.id, key });
        }
        let mut out = Vec::new();
        let mut per_patient: BTreeMap<PatientId, u32> = BTreeMap::new();
        for a in &rows {
            if let Some(s) = seen.get(&a.conversation) {
                *per_patient.entry(s.patient).or_default() += 1;
                out.push(DocumentToFile {
                    file: self.attachment_view(a, &s.key)?,
                    patient: s.patient,
                    patient_name: s.patient_name.clone(),
                    subject: s.subject.clone(),
                });
            }
        }
        let mut unit = Unit::new();
        if per_patient.is_empty() {
            unit.push_audit(self.record(p, ctx, action).with_detail("count=0;context=documents_to_file"));
        }
        for (patient, n) in per_patient {
            unit.push_audit(
                self.record(p, ctx, action)
                    .with_patient(Some(patient))
                    .with_detail(format!("count={n};context=documents_to_file")),
            );
        }
        self.store().commit(unit).await?;
        Ok(out)
    }

    /// How many documents are still to file, for the inbox's badge: `None`
    /// for anyone the queue is not open to. Counted by the same scope as
    /// the queue, without reading or recording any file.
    pub async fn documents_to_file_count(&self, p: &Principal) -> Result<Option<u32>, ServiceError> {
        let practice = p.user.practice;
        let Actor::Staff(s) = &p.actor else { return Ok(None) };
        let pool = routing_q::documents_pool(self.store(), practice).await?;
        if !policy::authorize_documents_queue(&p.actor, practice, pool).is_allowed() {
            return Ok(None);
        }
        // Roles that work no conversations (administrators) view none, so
        // their queue is empty, as the listing's policy check makes it.
        if !s.role.works_patient_conversations() {
            return Ok(Some(0));
        }
        // A role that reads every topic and category views every
        // conversation the scope holds: the SQL count is the queue's. One
        // whose content is limited (the front desk, billing, a category not
        // granted) counts what the queue would show it, as the queue checks
        // it, up to the queue's length.
        let reads_all = s.reads.topics == TopicAccess::All && s.reads.categories == CategorySet::ALL;
        if reads_all {
            let n = q::to_file_count(self.store(), practice, p.user.id).await?;
            return Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)));
        }
        let files = q::to_file(self.store(), practice, p.user.id, QUEUE_LIMIT).await?;
        let seen = self.viewable_conversations(p, &files).await?;
        let n = files.iter().filter(|a| seen.contains_key(&a.conversation)).count();
        Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}
