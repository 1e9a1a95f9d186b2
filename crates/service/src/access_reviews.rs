//! Unusual access, found in the audit log and put in front of the
//! compliance officer (`domain::access_review` decides what is unusual):
//! `review_access` reads the conversations staff opened since its last
//! run (the `access_review` job, hourly); `access_reviews` lists the
//! findings with names for those who review the audit log, and
//! `mark_access_reviewed` closes one.

use crate::access::patient_facts;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use switchboard_domain::access_review::{self as rules, ReviewReason};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::ids::{AccessReviewId, PatientId, PracticeId, UserId};
use switchboard_domain::notify::NoticeKind;
use switchboard_domain::policy::{Actor, PracticeAction, StaffActor};
use switchboard_domain::role::StaffRole;
use switchboard_domain::time::Timestamp;
use switchboard_store::Unit;
use switchboard_store::queries::{access_reviews as q, accounts, directory};

/// How many opened conversations one run reads at most (the next run goes on).
const BATCH: i64 = 5_000;
const DAY: i64 = 86_400_000_000;

/// A finding as the reviewer sees it.
#[derive(Clone, Debug)]
pub struct AccessReview {
    pub id: AccessReviewId,
    pub reason: ReviewReason,
    pub user: UserId,
    pub user_name: String,
    pub patient: Option<PatientId>,
    pub patient_name: Option<String>,
    pub patients_opened: i64,
    pub raised_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
    /// For emergency access: the grant, its reason and its times.
    pub emergency: Option<crate::emergency::EmergencyUse>,
}

impl Switchboard {
    /// Reads the conversations staff opened since the last run and records
    /// what is unusual. The first run only marks where the log stands:
    /// findings are about access from then on. Returns how many findings
    /// were new.
    pub async fn review_access(&self) -> Result<usize, ServiceError> {
        let store = self.store();
        let after = q::progress(store).await?;
        if after == 0 {
            let newest = q::newest_seq(store).await?;
            if newest > 0 {
                store.commit(Unit::new().step(q::set_progress(newest))).await?;
            }
            return Ok(0);
        }
        let opened = q::opened_since(store, after, BATCH).await?;
        let Some(last) = opened.last().map(|o| o.seq) else { return Ok(0) };
        let mut staff: HashMap<UserId, Option<(StaffActor, String)>> = HashMap::new();
        let mut findings: Vec<(q::NewReview<'static>, String)> = Vec::new();
        let mut keys = BTreeSet::new();
        let mut days = BTreeSet::new();
        let now = self.now();
        for o in &opened {
            if let Entry::Vacant(slot) = staff.entry(o.user) {
                let found = match self.principal_for(o.user).await {
                    Ok(p) => match p.actor {
                        Actor::Staff(s) => Some((s, p.user.display_name)),
                        _ => None,
                    },
                    Err(ServiceError::NotFound) => None,
                    Err(e) => return Err(e),
                };
                slot.insert(found);
            }
            let Some(Some((actor, name))) = staff.get(&o.user) else { continue };
            days.insert((o.user, o.practice, o.at.as_micros().div_euclid(DAY)));
            let period = o.at.as_micros().div_euclid(DAY * 30);
            let Some(patient) = directory::patient_by_id(store, o.patient).await? else { continue };
            let mut reasons = Vec::new();
            if !o.emergency && rules::outside_teams(actor, &patient_facts(&patient)) {
                reasons.push(ReviewReason::OutsideTeams);
            }
            let key = sealing::data_key(self.keys(), &patient.key)?;
            let family = sealing::open(&key, column::FAMILY_NAME, patient.id.as_bytes(), &patient.family_name_ct)?;
            if rules::shares_family_name(name, &family) {
                reasons.push(ReviewReason::SharedFamilyName);
            }
            for reason in reasons {
                let dedup = format!("{}:{}:{}:{period}", reason.as_str(), o.user, o.patient);
                if keys.insert(dedup.clone()) && !q::exists(store, &dedup).await? {
                    let id = self.new_id(AccessReviewId::from_bytes)?;
                    let review = q::NewReview {
                        id,
                        practice: o.practice,
                        reason,
                        user: o.user,
                        patient: Some(o.patient),
                        patients_opened: 0,
                        dedup_key: "",
                        at: now,
                    };
                    findings.push((review, dedup));
                }
            }
        }
        for (user, practice, day) in days {
            let counts = q::daily_patients(store, user, Timestamp::from_micros(day * DAY), rules::HISTORY_DAYS).await?;
            let Some((today, history)) = counts.split_last() else { continue };
            if !rules::many_patients(*today, history) {
                continue;
            }
            let dedup = format!("{}:{user}:{day}", ReviewReason::ManyPatients.as_str());
            if keys.insert(dedup.clone()) && !q::exists(store, &dedup).await? {
                let id = self.new_id(AccessReviewId::from_bytes)?;
                let review = q::NewReview {
                    id,
                    practice,
                    reason: ReviewReason::ManyPatients,
                    user,
                    patient: None,
                    patients_opened: i64::try_from(*today).unwrap_or(i64::MAX),
                    dedup_key: "",
                    at: now,
                };
                findings.push((review, dedup));
            }
        }
        let mut unit = Unit::new().step(q::set_progress(last));
        let mut told = BTreeSet::new();
        for (review, _) in &findings {
            if told.insert(review.practice) {
                unit.extend(self.reviewer_notice_steps(review.practice, review.id).await?);
            }
        }
        for (review, dedup) in &findings {
            let review = q::NewReview { dedup_key: dedup, ..*review };
            unit.push(q::insert(&review));
            unit.push_audit(
                AuditRecord::new(now, Some(review.practice), AuditActor::System, AuditAction::AccessReviewRaised)
                    .with_patient(review.patient)
                    .with_resource(ResourceKind::User, *review.user.as_bytes())
                    .with_detail(review.reason.as_str()),
            );
        }
        store.commit(unit).await?;
        Ok(findings.len())
    }

    /// Tells the practice's reviewers that there is access to review: its
    /// compliance officers, or its administrators where it has none. The
    /// notice names the practice and links to the audit page, nothing else.
    pub(crate) async fn reviewer_notice_steps(
        &self,
        practice: PracticeId,
        first: AccessReviewId,
    ) -> Result<Vec<switchboard_store::Step>, ServiceError> {
        self.reviewer_notices(practice, first, NoticeKind::AccessReview).await
    }

    /// [`Self::reviewer_notice_steps`] of a given kind.
    pub(crate) async fn reviewer_notices(
        &self,
        practice: PracticeId,
        first: AccessReviewId,
        kind: NoticeKind,
    ) -> Result<Vec<switchboard_store::Step>, ServiceError> {
        let staff = accounts::staff_accounts(self.store(), practice).await?;
        let active = |role| staff.iter().filter(move |s| s.active && s.role == role).map(|s| s.id).collect::<Vec<_>>();
        let mut reviewers = active(StaffRole::ComplianceOfficer);
        if reviewers.is_empty() {
            reviewers = active(StaffRole::PracticeAdmin);
        }
        let mut steps = Vec::new();
        for id in reviewers {
            let Some(user) = directory::user_by_id(self.store(), id).await? else { continue };
            let cause = format!("{}:{first}:{id}", kind.as_str());
            steps.extend(self.staff_notice_steps(&user, kind, cause, "/audit".to_owned()).await?);
        }
        Ok(steps)
    }

    /// The practice's findings, newest first, with names: for those who
    /// review the audit log. Each patient named is audited.
    pub async fn access_reviews(
        &self,
        p: &Principal,
        open_only: bool,
        ctx: &RequestContext,
    ) -> Result<Vec<AccessReview>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ReadAuditLog, AuditAction::AuditLogSearched).await?;
        let rows = q::list(self.store(), p.user.practice, open_only, 200).await?;
        let patients: Vec<PatientId> = rows.iter().filter_map(|r| r.patient).collect();
        let (names, records) = self.patient_names_for_review(p, ctx, &patients, "access_reviews").await?;
        if !records.is_empty() {
            let mut unit = Unit::new();
            for r in records {
                unit.push_audit(r);
            }
            self.store().commit(unit).await?;
        }
        let emergency_ids: Vec<AccessReviewId> =
            rows.iter().filter(|r| r.reason == ReviewReason::EmergencyAccess).map(|r| r.id).collect();
        let mut uses = self.emergency_uses(&emergency_ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| AccessReview {
                emergency: uses.remove(&r.id),
                id: r.id,
                reason: r.reason,
                user: r.user,
                user_name: r.user_name,
                patient_name: r.patient.and_then(|id| names.get(&id).cloned()),
                patient: r.patient,
                patients_opened: r.patients_opened,
                raised_at: r.raised_at,
                reviewed_at: r.reviewed_at,
            })
            .collect())
    }

    /// Marks a finding reviewed (audited).
    pub async fn mark_access_reviewed(
        &self,
        p: &Principal,
        review: AccessReviewId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ReadAuditLog, AuditAction::AccessReviewed).await?;
        let rec = self.record(p, ctx, AuditAction::AccessReviewed).with_detail(review.to_string());
        let unit = Unit::new().step(q::mark_reviewed(review, p.user.practice, p.user.id, self.now())).audit(rec);
        match self.store().commit(unit).await {
            Ok(()) => Ok(()),
            Err(switchboard_store::StoreError::Conflict(_)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}
