//! Retention of the record (issue 17): the practice's periods, legal holds
//! (administrators and the compliance officer), and the retention job,
//! which removes each conversation whose period has passed and that no
//! hold keeps: its rows, its files, and its data keys (crypto-shredding),
//! recording what it removed. The rules are `domain::retention`'s; the
//! database itself refuses to delete a message any other way. The audit
//! chain holds no content, so it verifies across removals.

use crate::auth::Principal;
use crate::sealing;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::PracticeAction;
use switchboard_domain::retention::{
    self, Disposition, HoldTarget, RetentionCategory, RetentionFacts, RetentionPolicy, RetentionYears,
};
use switchboard_domain::text::Reason;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{conversations as conv_q, directory, keys as keys_q, retention as q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// The job that removes what has expired; it runs daily.
pub const RETENTION: &str = "retention";
const BATCH: i64 = 200;
/// The column a hold's reason is sealed under.
const REASON_COLUMN: &str = "legal_holds.reason";

/// The practice's periods as administrators see them.
#[derive(Clone, Debug)]
pub struct RetentionSettingsView {
    pub policy: RetentionPolicy,
    /// False while the defaults apply (nobody chose).
    pub chosen: bool,
}

/// What an administrator saves: the default and each override as a
/// category code (`topic:billing`) with its years.
#[derive(Clone, Debug)]
pub struct RetentionInput {
    pub default_years: i64,
    pub overrides: Vec<(String, i64)>,
}

#[derive(Clone, Debug)]
pub struct LegalHoldView {
    pub id: LegalHoldId,
    pub target: HoldTarget,
    /// The patient it keeps, or whose conversation it keeps.
    pub patient: Option<PatientId>,
    pub patient_name: Option<String>,
    pub reason: String,
    pub placed_by: String,
    pub placed_at: Timestamp,
    pub released_at: Option<Timestamp>,
}

/// A removal as recorded: ids, counts and times.
pub use switchboard_store::queries::retention::RemovalRow as RemovalView;

/// What one run of the retention job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub removed: usize,
    /// Past their period but kept by a hold.
    pub held: usize,
}

/// A stored policy, read strictly (a row that no longer parses is kept
/// out, never stretched: the default applies to it).
fn policy_of(stored: Option<(i64, Vec<(String, i64)>)>) -> (RetentionPolicy, bool) {
    let Some((default, overrides)) = stored else { return (RetentionPolicy::default(), false) };
    let default = RetentionYears::new(default).unwrap_or_default();
    let overrides = overrides
        .into_iter()
        .filter_map(|(c, y)| Some((RetentionCategory::parse(&c)?, RetentionYears::new(y).ok()?)))
        .collect();
    (RetentionPolicy::new(default, overrides).unwrap_or_default(), true)
}

impl Switchboard {
    pub async fn retention_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<RetentionSettingsView, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::SetupViewed).await?;
        let (policy, chosen) = policy_of(q::settings(self.store(), p.user.practice).await?);
        Ok(RetentionSettingsView { policy, chosen })
    }

    /// Changes the practice's periods (administrators and the compliance
    /// officer, after re-authenticating).
    pub async fn set_retention_settings(
        &self,
        p: &Principal,
        input: RetentionInput,
        ctx: &RequestContext,
    ) -> Result<RetentionSettingsView, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::RetentionSettingsChanged).await?;
        self.require_recent_authentication(p)?;
        let invalid = |field: &'static str, problem: String| ServiceError::Invalid { field, problem };
        let default = RetentionYears::new(input.default_years).map_err(|e| invalid("default_years", e))?;
        let mut overrides = Vec::with_capacity(input.overrides.len());
        for (c, y) in &input.overrides {
            let category = RetentionCategory::parse(c).ok_or_else(|| {
                invalid("overrides", format!("`{}` is not a topic or sensitive category", printable(c)))
            })?;
            overrides.push((category, RetentionYears::new(*y).map_err(|e| invalid("overrides", e))?));
        }
        let policy = RetentionPolicy::new(default, overrides).map_err(|e| invalid("overrides", e))?;
        let stored: Vec<(String, i64)> =
            policy.overrides().iter().map(|(c, y)| (c.code(), i64::from(y.get()))).collect();
        let steps = q::save_settings(p.user.practice, i64::from(default.get()), &stored, p.user.id, self.now());
        let rec = self
            .record(p, ctx, AuditAction::RetentionSettingsChanged)
            .with_resource(ResourceKind::Practice, *p.user.practice.as_bytes())
            .with_detail(format!("default_years={};overrides={}", default.get(), stored.len()));
        self.store().commit(Unit::new().steps(steps).audit(rec)).await?;
        Ok(RetentionSettingsView { policy, chosen: true })
    }

    /// The practice's legal holds, in force first.
    pub async fn legal_holds(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<LegalHoldView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::SetupViewed).await?;
        let mut out = Vec::new();
        for h in q::holds(self.store(), p.user.practice).await? {
            let key = sealing::data_key(self.keys(), &h.key)?;
            let reason = sealing::open(&key, REASON_COLUMN, h.id.as_bytes(), &h.reason_ct)?;
            let (target, patient) = match (h.patient, h.conversation) {
                (Some(pt), _) => (HoldTarget::Patient(pt), Some(pt)),
                (None, Some(c)) => {
                    (HoldTarget::Conversation(c), conv_q::by_id(self.store(), c).await?.map(|r| r.patient.id))
                }
                (None, None) => return Err(ServiceError::Internal),
            };
            let patient_name = match patient {
                Some(pt) => match directory::patient_by_id(self.store(), pt).await? {
                    Some(row) => Some(self.patient_display_name(&row)?),
                    None => None,
                },
                None => None,
            };
            out.push(LegalHoldView {
                id: h.id,
                target,
                patient,
                patient_name,
                reason,
                placed_by: h.placed_by_name.unwrap_or_default(),
                placed_at: h.placed_at,
                released_at: h.released_at,
            });
        }
        Ok(out)
    }

    /// Places a legal hold on a patient (everything of theirs) or on one
    /// conversation: nothing it covers is removed until it is released.
    pub async fn place_legal_hold(
        &self,
        p: &Principal,
        target: HoldTarget,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<LegalHoldId, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::LegalHoldPlaced).await?;
        self.require_recent_authentication(p)?;
        let reason = Reason::parse(reason).map_err(|e| ServiceError::invalid("reason", "the reason", e))?;
        let practice = p.user.practice;
        let patient = match target {
            HoldTarget::Patient(pt) => directory::patient_by_id(self.store(), pt)
                .await?
                .filter(|r| r.practice == practice)
                .map(|r| r.id)
                .ok_or(ServiceError::NotFound)?,
            HoldTarget::Conversation(c) => conv_q::by_id(self.store(), c)
                .await?
                .filter(|r| r.practice == practice)
                .map(|r| r.patient.id)
                .ok_or(ServiceError::NotFound)?,
        };
        let id = self.new_id(LegalHoldId::from_bytes)?;
        let key_id = DataKeyId::from_bytes(*id.as_bytes());
        let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let key_row = WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let reason_ct = sealing::seal(&key, REASON_COLUMN, id.as_bytes(), reason.as_str())?;
        let now = self.now();
        let (hold_patient, hold_conversation) = match target {
            HoldTarget::Patient(pt) => (Some(pt), None),
            HoldTarget::Conversation(c) => (None, Some(c)),
        };
        let rec = self
            .record(p, ctx, AuditAction::LegalHoldPlaced)
            .with_patient(Some(patient))
            .with_resource(ResourceKind::LegalHold, *id.as_bytes())
            .with_detail(if hold_conversation.is_some() { "on=conversation" } else { "on=patient" });
        let unit = Unit::new()
            .step(keys_q::insert(&key_row, practice, now))
            .step(q::insert_hold(&q::NewHold {
                id,
                practice,
                patient: hold_patient,
                conversation: hold_conversation,
                key: key_id,
                reason_ct: &reason_ct,
                by: p.user.id,
                at: now,
            }))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(id)
    }

    pub async fn release_legal_hold(
        &self,
        p: &Principal,
        hold: LegalHoldId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::LegalHoldReleased).await?;
        self.require_recent_authentication(p)?;
        let rec = self
            .record(p, ctx, AuditAction::LegalHoldReleased)
            .with_resource(ResourceKind::LegalHold, *hold.as_bytes());
        let unit = Unit::new().step(q::release_hold(p.user.practice, hold, p.user.id, self.now())).audit(rec);
        match self.store().commit(unit).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(Conflict::HoldMissing)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// What the retention job removed, newest first (ids and counts).
    pub async fn retention_removals(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<RemovalView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManageRecords, AuditAction::SetupViewed).await?;
        Ok(q::removals(self.store(), p.user.practice, 200).await?)
    }

    /// The retention job's handler: a run, then the next one a day later.
    pub(crate) async fn retention_job(&self, _payload: &str) -> Result<(), String> {
        let report = self.run_retention().await.map_err(|e| {
            tracing::warn!(error = %e, "the retention run failed");
            "failed".to_owned()
        })?;
        tracing::info!(removed = report.removed, held = report.held, "retention run");
        let next = self.now().plus(switchboard_domain::time::Span::from_hours(24));
        self.schedule(RETENTION, "{}", next, Some(RETENTION)).await.map_err(|_| "reschedule_failed".to_owned())?;
        Ok(())
    }

    /// Removes, in every practice, each conversation whose retention period
    /// has passed and that no hold keeps.
    pub async fn run_retention(&self) -> Result<RetentionReport, ServiceError> {
        let mut report = RetentionReport::default();
        let now = self.now();
        for practice in q::practices(self.store()).await? {
            let (policy, _) = policy_of(q::settings(self.store(), practice).await?);
            let holds: Vec<HoldTarget> = q::holds(self.store(), practice)
                .await?
                .into_iter()
                .filter(|h| h.released_at.is_none())
                .filter_map(|h| match (h.patient, h.conversation) {
                    (Some(pt), _) => Some(HoldTarget::Patient(pt)),
                    (None, Some(c)) => Some(HoldTarget::Conversation(c)),
                    (None, None) => None,
                })
                .collect();
            // Nothing with later activity than this can have expired.
            let cutoff = retention::plus_years(now, -i64::from(policy.shortest().get()));
            let mut after = None;
            loop {
                let batch = q::candidates(self.store(), practice, cutoff, after, BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = Some((last.last_activity, last.conversation));
                for c in &batch {
                    let facts = RetentionFacts {
                        conversation: c.conversation,
                        patient: c.patient,
                        topic: c.topic,
                        sensitivity: c.sensitivity,
                        last_activity: c.last_activity,
                    };
                    match retention::disposition(&facts, &policy, &holds, now) {
                        Disposition::Keep { .. } => {}
                        Disposition::Held => report.held += 1,
                        Disposition::Remove => {
                            let years = i64::from(policy.years_for(c.topic, c.sensitivity).get());
                            if self.remove_conversation(practice, c, years, now).await? {
                                report.removed += 1;
                            }
                        }
                    }
                }
                if (batch.len() as i64) < BATCH {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// One removal: the rows and keys in one transaction with its audit
    /// record, then the files' blobs. `false` when the conversation moved
    /// on meanwhile (a new message): it is kept.
    async fn remove_conversation(
        &self,
        practice: PracticeId,
        c: &q::Candidate,
        years: i64,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        let files = q::attachment_ids(self.store(), c.conversation).await?;
        let steps = q::remove_conversation(&q::Removal {
            conversation: c.conversation,
            last_activity: c.last_activity,
            years,
            key: c.key,
            attachments: &files,
            at: now,
        });
        let rec = AuditRecord::new(now, Some(practice), AuditActor::System, AuditAction::ConversationRemoved)
            .with_patient(Some(c.patient))
            .with_resource(ResourceKind::Conversation, *c.conversation.as_bytes())
            .with_detail(format!("retention_years={years};files={}", files.len()));
        match self.store().commit(Unit::new().steps(steps).audit(rec)).await {
            Ok(_) => {}
            Err(StoreError::Conflict(Conflict::ConversationMissing)) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        if let Some(blobs) = self.config().attachments.blobs.clone() {
            for a in files {
                blobs.remove(&crate::attachments::blob_name(a, false)).await;
                blobs.remove(&crate::attachments::blob_name(a, true)).await;
            }
        }
        Ok(true)
    }
}

fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && *c != '`').take(40).collect()
}
