//! Emergency ("break-glass") access, as use cases: finding a patient one
//! is not related to (exactly, throttled, audited), starting a grant after
//! re-authenticating (recorded with its sealed reason, raised at once as a
//! finding for the compliance officer, who is told through the outbox),
//! ending it early, and the holder's active grants for the banner. Whether
//! a grant opens a conversation is `domain::policy`'s answer, on the
//! grants `auth` loads onto the staff actor.

use crate::auth::Principal;
use crate::refusals::Target;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::access_review::{self, ReviewReason};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::emergency::{
    self as rules, EmergencyAccess, EmergencyCategory, EmergencyGrant, EmergencyReason, GrantMinutes,
};
use switchboard_domain::ids::{AccessReviewId, EmergencyAccessId, PatientId, UserId};
use switchboard_domain::notify::NoticeKind;
use switchboard_domain::policy::{self, Actor, ConversationAction, ConversationFacts, Relationship};
use switchboard_domain::text::MedicalRecordNumber;
use switchboard_domain::time::{CivilDate, Timestamp};
use switchboard_store::queries::{access_reviews as reviews, directory, emergency as q};
use switchboard_store::{Conflict, StoreError, Unit};

/// How a clinician looks for a patient in an emergency: exactly, never by
/// part of a name.
#[derive(Clone, Debug)]
pub enum EmergencySearch {
    /// The whole family name and the date of birth (`YYYY-MM-DD`).
    NameAndBirthDate { family_name: String, birth_date: String },
    /// The medical record number.
    Mrn(String),
}

/// A patient found: the least that tells them apart.
#[derive(Clone, Debug)]
pub struct EmergencyMatch {
    pub patient: PatientId,
    pub display_name: String,
    pub birth_date: String,
}

/// What a clinician asks for.
#[derive(Clone, Debug)]
pub struct StartEmergency {
    pub patient: PatientId,
    pub reason: String,
    pub category: Option<String>,
    pub minutes: Option<i64>,
}

/// A grant as its holder sees it (the banner).
#[derive(Clone, Debug)]
pub struct EmergencyGrantView {
    pub id: EmergencyAccessId,
    pub patient: PatientId,
    pub patient_name: String,
    pub category: Option<EmergencyCategory>,
    pub minutes: i64,
    pub started_at: Timestamp,
    pub ends_at: Timestamp,
}

/// A use of emergency access as the reviewer sees it, with its finding.
#[derive(Clone, Debug)]
pub struct EmergencyUse {
    pub grant: EmergencyAccessId,
    pub reason: String,
    pub category: Option<EmergencyCategory>,
    pub minutes: i64,
    pub started_at: Timestamp,
    pub ends_at: Timestamp,
    /// When it ended before its time, if it did.
    pub ended_at: Option<Timestamp>,
}

/// The grants of `user` not ended at `now`, as the policy carries them.
pub(crate) async fn load(
    store: &switchboard_store::Store,
    user: UserId,
    now: Timestamp,
) -> Result<EmergencyAccess, ServiceError> {
    let rows = q::active_for(store, user, now).await?;
    Ok(EmergencyAccess {
        grants: rows
            .iter()
            .map(|g| EmergencyGrant { id: g.id, practice: g.practice, patient: g.patient, until: g.ends_at })
            .collect(),
        as_of: now,
    })
}

/// The grant a conversation is reached through, when it is reached only
/// through emergency access.
pub(crate) fn emergency_grant_of(actor: &Actor, conv: &ConversationFacts) -> Option<EmergencyAccessId> {
    let Actor::Staff(s) = actor else { return None };
    if policy::relationship(s, conv) != Some(Relationship::Emergency) {
        return None;
    }
    policy::emergency_grant(s, &conv.patient).map(|g| g.id)
}

/// The audit detail naming the grant a conversation was reached through,
/// when it was (`emergency_access=<id>`).
pub(crate) fn emergency_detail(actor: &Actor, conv: &ConversationFacts) -> Option<String> {
    emergency_grant_of(actor, conv).map(|g| format!("emergency_access={g}"))
}

/// `rec`, naming the grant when the conversation is reached through
/// emergency access (for a record that carries no other detail).
pub(crate) fn naming_grant(rec: AuditRecord, actor: &Actor, conv: &ConversationFacts) -> AuditRecord {
    match emergency_detail(actor, conv) {
        Some(detail) => rec.with_detail(detail),
        None => rec,
    }
}

impl Switchboard {
    /// A staff member whose role may break glass, or a refusal recorded as
    /// an `attempted` that was denied.
    async fn may_break_glass(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        attempted: AuditAction,
    ) -> Result<(), ServiceError> {
        match &p.actor {
            Actor::Staff(s) if rules::may_break_glass(s.role) => Ok(()),
            _ => {
                let target = Target::practice(p.user.practice);
                Err(self.deny(p, ctx, attempted, target, "denied:role_not_permitted".into()).await)
            }
        }
    }

    /// Finds a patient of the practice for emergency access: the whole
    /// family name and date of birth, or the MRN, exactly; at most
    /// [`rules::MAX_MATCHES`]. Every search is recorded (its terms are not),
    /// and so is each patient it names; a clinician may make
    /// [`rules::SEARCHES_PER_WINDOW`] in [`rules::SEARCH_WINDOW`].
    pub async fn emergency_search(
        &self,
        p: &Principal,
        search: EmergencySearch,
        ctx: &RequestContext,
    ) -> Result<Vec<EmergencyMatch>, ServiceError> {
        self.may_break_glass(p, ctx, AuditAction::EmergencyPatientSearched).await?;
        let now = self.now();
        let since = now.minus(rules::SEARCH_WINDOW);
        if q::searches_since(self.store(), p.user.id, since).await? >= rules::SEARCHES_PER_WINDOW {
            let rec = self
                .record(p, ctx, AuditAction::EmergencyPatientSearched)
                .with_outcome(switchboard_domain::audit::Outcome::Denied)
                .with_detail("throttled");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(ServiceError::throttled(rules::SEARCH_WINDOW));
        }
        let practice = p.user.practice;
        let (rows, by, wanted) = match &search {
            EmergencySearch::Mrn(mrn) => {
                let mrn = MedicalRecordNumber::parse(mrn)
                    .map_err(|e| ServiceError::invalid("mrn", "the medical record number", e))?;
                let index = self.mrn_index(practice, &mrn);
                (directory::patients_of_practice(self.store(), practice, Some(&index)).await?, "mrn", None)
            }
            EmergencySearch::NameAndBirthDate { family_name, birth_date } => {
                if family_name.trim().is_empty() {
                    return Err(ServiceError::invalid("family_name", "the family name", "must not be empty"));
                }
                let date = CivilDate::parse(birth_date.trim()).map_err(|_| {
                    ServiceError::invalid("birth_date", "the date of birth", "must be a date (YYYY-MM-DD)")
                })?;
                let rows = directory::patients_of_practice(self.store(), practice, None).await?;
                (rows, "name_and_birth_date", Some((family_name.clone(), date.to_string())))
            }
        };
        let mut found = Vec::new();
        for row in rows {
            if row.practice != practice {
                continue;
            }
            let birth = self.patient_birth_date(&row)?;
            if let Some((family, date)) = &wanted {
                let key = sealing::data_key(self.keys(), &row.key)?;
                let on_record = sealing::open(&key, column::FAMILY_NAME, row.id.as_bytes(), &row.family_name_ct)?;
                if !rules::same_family_name(family, &on_record) || birth != *date {
                    continue;
                }
            }
            found.push(EmergencyMatch {
                patient: row.id,
                display_name: self.patient_display_name(&row)?,
                birth_date: birth,
            });
            if found.len() >= rules::MAX_MATCHES {
                break;
            }
        }
        let mut unit = Unit::new().audit(
            self.record(p, ctx, AuditAction::EmergencyPatientSearched)
                .with_detail(format!("by={by};matches={}", found.len())),
        );
        for m in &found {
            unit.push_audit(
                self.record(p, ctx, AuditAction::PatientsListed)
                    .with_patient(Some(m.patient))
                    .with_resource(ResourceKind::Patient, *m.patient.as_bytes())
                    .with_detail("context=emergency_search"),
            );
        }
        self.store().commit(unit).await?;
        Ok(found)
    }

    /// Starts emergency access to a patient, after the holder has proved
    /// who they are again (after signing in, within five minutes). Recorded with its reason (sealed),
    /// raised at once as a finding for review, and told to the practice's
    /// compliance officers (else its administrators).
    pub async fn start_emergency_access(
        &self,
        p: &Principal,
        req: StartEmergency,
        ctx: &RequestContext,
    ) -> Result<EmergencyGrantView, ServiceError> {
        self.may_break_glass(p, ctx, AuditAction::EmergencyAccessStarted).await?;
        let reason =
            EmergencyReason::parse(&req.reason).map_err(|e| ServiceError::invalid("reason", "the reason", e))?;
        let category = match req.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(EmergencyCategory::parse(c).ok_or_else(|| {
                ServiceError::invalid("category", "the kind of emergency", "is not one of the kinds offered")
            })?),
        };
        let minutes =
            GrantMinutes::new(req.minutes).map_err(|e| ServiceError::invalid("minutes", "the length of access", e))?;
        let Actor::Staff(staff) = &p.actor else { return Err(ServiceError::NotFound) };
        let patient = match directory::patient_by_id(self.store(), req.patient).await? {
            Some(row) if row.practice == p.user.practice => row,
            other => {
                let target = match other {
                    Some(row) => Target::owned(row.practice, Some(row.id), ResourceKind::Patient, *row.id.as_bytes()),
                    None => Target::missing(ResourceKind::Patient, *req.patient.as_bytes()),
                };
                return Err(self
                    .deny(p, ctx, AuditAction::EmergencyAccessStarted, target, "denied:not_found".into())
                    .await);
            }
        };
        let facts = crate::access::patient_facts(&patient);
        if !access_review::outside_teams(staff, &facts) {
            return Err(ServiceError::Conflict(
                "this patient is on your care team or in your department: open their conversations from the inbox",
            ));
        }
        if staff.emergency.grant_for(patient.practice, patient.id).is_some() {
            return Err(ServiceError::Conflict("you already have emergency access to this patient"));
        }
        // Asked last, so that the clinician confirms it is them only for a
        // request that will then be granted.
        self.require_explicit_reauthentication(p)?;
        let now = self.now();
        let id = self.new_id(EmergencyAccessId::from_bytes)?;
        let review = self.new_id(AccessReviewId::from_bytes)?;
        let ends_at = rules::ends_at(now, minutes);
        let key = sealing::data_key(self.keys(), &patient.key)?;
        let reason_ct = sealing::seal(&key, column::EMERGENCY_REASON, id.as_bytes(), reason.as_str())?;
        let dedup = format!("{}:{id}", ReviewReason::EmergencyAccess.as_str());
        let mut unit = Unit::new()
            .step(reviews::insert(&reviews::NewReview {
                id: review,
                practice: patient.practice,
                reason: ReviewReason::EmergencyAccess,
                user: p.user.id,
                patient: Some(patient.id),
                patients_opened: 0,
                dedup_key: &dedup,
                at: now,
            }))
            .step(q::insert(q::NewGrant {
                id,
                practice: patient.practice,
                user: p.user.id,
                patient: patient.id,
                category,
                reason_ct,
                minutes: minutes.get(),
                started_at: now,
                ends_at,
                review,
            }));
        unit.extend(self.reviewer_notices(patient.practice, review, NoticeKind::EmergencyAccess).await?);
        let detail = format!(
            "grant={id};category={};minutes={}",
            category.map_or("none", EmergencyCategory::as_str),
            minutes.get()
        );
        unit.push_audit(
            self.record(p, ctx, AuditAction::EmergencyAccessStarted)
                .with_patient(Some(patient.id))
                .with_resource(ResourceKind::Patient, *patient.id.as_bytes())
                .with_detail(detail),
        );
        unit.push_audit(
            AuditRecord::new(now, Some(patient.practice), AuditActor::System, AuditAction::AccessReviewRaised)
                .with_patient(Some(patient.id))
                .with_resource(ResourceKind::User, *p.user.id.as_bytes())
                .with_detail(ReviewReason::EmergencyAccess.as_str()),
        );
        self.store().commit(unit).await?;
        // The holder's live streams re-read their grants now.
        self.events().sessions_ended(p.user.id);
        Ok(EmergencyGrantView {
            id,
            patient: patient.id,
            patient_name: self.patient_display_name(&patient)?,
            category,
            minutes: minutes.get(),
            started_at: now,
            ends_at,
        })
    }

    /// Ends one of the caller's grants now. Another's, or one already over,
    /// is not found.
    pub async fn end_emergency_access(
        &self,
        p: &Principal,
        grant: EmergencyAccessId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let row = q::by_id(self.store(), grant).await?;
        let now = self.now();
        let Some(row) = row.filter(|g| g.user == p.user.id && g.ended_at.is_none() && g.ends_at > now) else {
            // Another's grant, an ended one or none: the practice's record.
            let target = Target::practice(p.user.practice);
            return Err(self.deny(p, ctx, AuditAction::EmergencyAccessEnded, target, "denied:not_found".into()).await);
        };
        let rec = self
            .record(p, ctx, AuditAction::EmergencyAccessEnded)
            .with_patient(Some(row.patient))
            .with_resource(ResourceKind::Patient, *row.patient.as_bytes())
            .with_detail(format!("grant={grant};why=ended_by_holder"));
        match self.store().commit(Unit::new().step(q::end(grant, p.user.id, now)).audit(rec)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::GrantMissing)) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        }
        // Its holder's live streams stop hearing about the patient at once.
        self.events().sessions_ended(p.user.id);
        Ok(())
    }

    /// The caller's grants not yet over, soonest to end first (for the
    /// banner on every staff page). Each patient named is recorded.
    pub async fn my_emergency_access(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<EmergencyGrantView>, ServiceError> {
        if !matches!(&p.actor, Actor::Staff(_)) {
            return Ok(Vec::new());
        }
        let rows = q::active_for(self.store(), p.user.id, self.now()).await?;
        let mut out = Vec::new();
        let mut unit = Unit::new();
        for g in rows {
            let Some(patient) = directory::patient_by_id(self.store(), g.patient).await? else { continue };
            unit.push_audit(
                self.record(p, ctx, AuditAction::PatientsListed)
                    .with_patient(Some(g.patient))
                    .with_resource(ResourceKind::Patient, *g.patient.as_bytes())
                    .with_detail(format!("context=emergency_banner;grant={}", g.id)),
            );
            out.push(EmergencyGrantView {
                id: g.id,
                patient: g.patient,
                patient_name: self.patient_display_name(&patient)?,
                category: g.category,
                minutes: g.minutes,
                started_at: g.started_at,
                ends_at: g.ends_at,
            });
        }
        if !out.is_empty() {
            self.store().commit(unit).await?;
        }
        Ok(out)
    }

    /// The conversations of the patient of one of the caller's active
    /// grants: how emergency access is reached (never through the inbox).
    /// Each row is checked with the policy like any list's.
    pub async fn emergency_conversations(
        &self,
        p: &Principal,
        grant: EmergencyAccessId,
        ctx: &RequestContext,
    ) -> Result<Vec<crate::views::ConversationSummary>, ServiceError> {
        let now = self.now();
        let row = q::by_id(self.store(), grant).await?;
        let Some(row) = row.filter(|g| g.user == p.user.id && g.ended_at.is_none() && g.ends_at > now) else {
            // Another's grant, an ended one or none: the practice's record.
            let target = Target::practice(p.user.practice);
            return Err(self.deny(p, ctx, AuditAction::ConversationsListed, target, "denied:not_found".into()).await);
        };
        // The patient's own conversations (the same SQL as the patient's
        // list), each checked with the policy on the caller's actor, which
        // carries the grant: an ended grant lists nothing.
        let scope = policy::ListScope::Patient { practice: row.practice, patient: row.patient };
        let filter = switchboard_store::queries::conversations::ListFilter { limit: 100, ..Default::default() };
        let rows = switchboard_store::queries::conversations::list(self.store(), &scope, p.user.kind, &filter).await?;
        let mut items = Vec::new();
        for r in &rows {
            let f = crate::access::facts(r);
            if policy::authorize_conversation(&p.actor, ConversationAction::ViewMetadata, &f).is_allowed() {
                items.push(self.summary(&p.actor, r)?);
            }
        }
        let rec = self
            .record(p, ctx, AuditAction::ConversationsListed)
            .with_patient(Some(row.patient))
            .with_detail(format!("count={};emergency_access={grant}", items.len()));
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(items)
    }

    /// What the reviewer sees of the grants behind findings.
    pub(crate) async fn emergency_uses(
        &self,
        findings: &[AccessReviewId],
    ) -> Result<std::collections::HashMap<AccessReviewId, EmergencyUse>, ServiceError> {
        let mut out = std::collections::HashMap::new();
        for (review, g) in q::by_reviews(self.store(), findings).await? {
            let Some(patient) = directory::patient_by_id(self.store(), g.patient).await? else { continue };
            let key = sealing::data_key(self.keys(), &patient.key)?;
            let reason = sealing::open(&key, column::EMERGENCY_REASON, g.id.as_bytes(), &g.reason_ct)?;
            out.insert(
                review,
                EmergencyUse {
                    grant: g.id,
                    reason,
                    category: g.category,
                    minutes: g.minutes,
                    started_at: g.started_at,
                    ends_at: g.ends_at,
                    ended_at: g.ended_at,
                },
            );
        }
        Ok(out)
    }
}
