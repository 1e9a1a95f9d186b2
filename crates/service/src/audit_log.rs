//! Searching the audit log, and naming the people in it for those who
//! review it (checking its chain is in `audit_chain`).

use crate::auth::Principal;
use crate::views::{AuditEntryView, AuditPage, AuditSubjects, PersonRef};
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::{BTreeSet, HashMap};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{PatientId, UserId};
use switchboard_domain::policy::{self, Decision, PatientListScope, PracticeAction};
use switchboard_domain::role::{StaffRole, UserKind};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::directory;
use switchboard_store::{AuditQuery, Unit, audit_log};

/// Filters for an audit search.
#[derive(Clone, Debug, Default)]
pub struct AuditSearch {
    pub patient: Option<PatientId>,
    pub actor: Option<UserId>,
    pub action: Option<AuditAction>,
    pub outcome: Option<Outcome>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

const MAX_AUDIT_PAGE: u32 = 500;
/// The most rows one CSV export holds (narrow the period for more).
pub const MAX_AUDIT_EXPORT: u32 = 10_000;
/// The most people one "who" search names.
const MAX_SUBJECTS: usize = 20;

impl Switchboard {
    fn review_permission(&self, p: &Principal, rec: &AuditRecord) -> Option<AuditRecord> {
        match policy::authorize_practice(&p.actor, PracticeAction::ReadAuditLog, p.user.practice) {
            Decision::Allow => None,
            Decision::Deny(reason) => {
                Some(rec.clone().with_outcome(Outcome::Denied).with_detail(format!("denied:{}", reason.as_str())))
            }
        }
    }

    /// The caller's practice's audit log, newest first, with the names of
    /// the people in it: practice administrators and compliance officers
    /// only. `limit` may go up to [`MAX_AUDIT_EXPORT`] when `export` is set.
    pub async fn search_audit(
        &self,
        p: &Principal,
        search: AuditSearch,
        export: bool,
        ctx: &RequestContext,
    ) -> Result<AuditPage, ServiceError> {
        let practice = p.user.practice;
        let mut rec = self
            .record(p, ctx, AuditAction::AuditLogSearched)
            .with_patient(search.patient)
            .with_resource(ResourceKind::AuditLog, *practice.as_bytes());
        if let Some(denied) = self.review_permission(p, &rec) {
            self.store().commit(Unit::new().audit(denied)).await?;
            return Err(ServiceError::NotFound);
        }
        if export {
            // An export leaves the product: the person at the keyboard
            // proves who they are again first.
            self.require_recent_authentication(p)?;
        }
        let max = if export { MAX_AUDIT_EXPORT } else { MAX_AUDIT_PAGE };
        let limit = search.limit.unwrap_or(if export { MAX_AUDIT_EXPORT } else { 100 });
        if limit == 0 || limit > max {
            return Err(ServiceError::Invalid {
                field: "limit",
                problem: format!("the limit must be between 1 and {max}"),
            });
        }
        if let (Some(from), Some(to)) = (search.from, search.to)
            && from > to
        {
            return Err(ServiceError::Invalid {
                field: "from",
                problem: "the start (`from`) must not be after the end (`to`)".into(),
            });
        }
        let entries = audit_log::search(
            self.store(),
            &AuditQuery {
                practice,
                patient: search.patient,
                actor: search.actor,
                action: search.action.map(AuditAction::as_str),
                outcome: search.outcome.map(Outcome::as_str),
                from: search.from,
                to: search.to,
                before_seq: search.before,
                limit: i64::from(limit) + 1,
            },
        )
        .await?;
        let has_more = entries.len() > limit as usize;
        let entries: Vec<(i64, AuditRecord)> =
            entries.into_iter().take(limit as usize).map(|e| (e.seq, e.record)).collect();
        let next_before = if has_more { entries.last().map(|(s, _)| *s) } else { None };

        // Names: staff from their accounts; patients (as actors or as the
        // subject) from their sealed records, each naming itself on record.
        let mut staff: HashMap<UserId, (String, Option<StaffRole>)> = HashMap::new();
        let mut patient_users: HashMap<UserId, PatientId> = HashMap::new();
        let mut caregivers: HashMap<UserId, String> = HashMap::new();
        let mut patients: BTreeSet<PatientId> = BTreeSet::new();
        for (_, r) in &entries {
            patients.extend(r.patient);
            if let AuditActor::User { id, kind } = r.actor {
                match kind {
                    UserKind::Staff if !staff.contains_key(&id) => {
                        let user = directory::user_by_id(self.store(), id).await?.filter(|u| u.practice == practice);
                        let role = user.as_ref().and_then(|u| u.role);
                        staff.insert(id, (user.and_then(|u| u.display_name).unwrap_or_default(), role));
                    }
                    UserKind::Patient if !patient_users.contains_key(&id) && !caregivers.contains_key(&id) => {
                        if let Some(patient) = directory::patient_by_user(self.store(), id).await? {
                            patients.insert(patient.id);
                            patient_users.insert(id, patient.id);
                        } else if let Some(name) = self.portal_account_name(id).await? {
                            // A caregiver who is not a patient here.
                            caregivers.insert(id, name);
                        }
                    }
                    _ => {}
                }
            }
        }
        let patients: Vec<PatientId> = patients.into_iter().collect();
        let (names, named) = self.patient_names_for_review(p, ctx, &patients, "audit_log").await?;
        let views = entries
            .into_iter()
            .map(|(seq, record)| {
                let actor_role = match record.actor {
                    AuditActor::User { id, kind: UserKind::Staff } => staff.get(&id).and_then(|(_, r)| *r),
                    _ => None,
                };
                let actor_name = match record.actor {
                    AuditActor::User { id, kind: UserKind::Staff } => staff.get(&id).map(|(n, _)| n.clone()),
                    AuditActor::User { id, kind: UserKind::Patient } => {
                        patient_users.get(&id).and_then(|pid| names.get(pid)).or_else(|| caregivers.get(&id)).cloned()
                    }
                    _ => None,
                };
                let patient_name = record.patient.and_then(|pid| names.get(&pid)).cloned();
                AuditEntryView { seq, record, actor_name, actor_role, patient_name }
            })
            .collect::<Vec<_>>();
        rec.detail = Some(format!("count={};{}", views.len(), if export { "export=csv" } else { "page" }));
        let mut unit = Unit::new().audit(rec);
        for r in named {
            unit.push_audit(r);
        }
        // The reads are on record before the data leaves.
        self.store().commit(unit).await?;
        Ok(AuditPage { entries: views, next_before })
    }

    /// Patients' names for someone reviewing access (the audit log, the
    /// access report), with one `patients_listed` record per patient named,
    /// for the caller to commit before the names leave. Only patients of
    /// the caller's practice are named.
    pub(crate) async fn patient_names_for_review(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patients: &[PatientId],
        context: &str,
    ) -> Result<(HashMap<PatientId, String>, Vec<AuditRecord>), ServiceError> {
        let mut names = HashMap::new();
        let mut records = Vec::new();
        if policy::authorize_practice(&p.actor, PracticeAction::ReadAuditLog, p.user.practice) != Decision::Allow {
            return Ok((names, records));
        }
        for id in patients {
            if names.contains_key(id) {
                continue;
            }
            let Some(row) = directory::patient_by_id(self.store(), *id).await? else { continue };
            if row.practice != p.user.practice {
                continue;
            }
            names.insert(*id, self.patient_display_name(&row)?);
            records.push(
                self.record(p, ctx, AuditAction::PatientsListed)
                    .with_patient(Some(*id))
                    .with_resource(ResourceKind::Patient, *id.as_bytes())
                    .with_detail(format!("context={context}")),
            );
        }
        Ok((names, records))
    }

    /// Staff and patients whose names contain `q`, for choosing whose
    /// audit trail to search (reviewers only). Each patient named is on
    /// record; the search words are not.
    pub async fn audit_subjects(
        &self,
        p: &Principal,
        q: &str,
        ctx: &RequestContext,
    ) -> Result<AuditSubjects, ServiceError> {
        let rec = self
            .record(p, ctx, AuditAction::PatientsListed)
            .with_resource(ResourceKind::AuditLog, *p.user.practice.as_bytes())
            .with_detail("context=audit_search");
        if let Some(denied) = self.review_permission(p, &rec) {
            self.store().commit(Unit::new().audit(denied)).await?;
            return Err(ServiceError::NotFound);
        }
        let needle = q.trim().to_lowercase();
        if needle.chars().count() < 2 {
            return Err(ServiceError::Invalid { field: "q", problem: "type at least 2 letters of a name".into() });
        }
        let practice = p.user.practice;
        let staff = directory::all_staff(self.store(), practice)
            .await?
            .into_iter()
            .filter(|s| s.display_name.to_lowercase().contains(&needle))
            .take(MAX_SUBJECTS)
            .map(|s| PersonRef { id: s.id, kind: UserKind::Staff, display_name: s.display_name })
            .collect();
        let mut patients = Vec::new();
        let mut offset = 0;
        let scope = PatientListScope::Practice(practice);
        'pages: loop {
            let page = directory::patients_page(self.store(), &scope, offset, 500).await?;
            if page.is_empty() {
                break;
            }
            offset += 500;
            for r in page {
                let name = self.patient_display_name(&r.patient)?;
                if name.to_lowercase().contains(&needle) {
                    let birth_date = self.patient_birth_date(&r.patient)?;
                    patients.push((r.patient.id, name, birth_date));
                    if patients.len() >= MAX_SUBJECTS {
                        break 'pages;
                    }
                }
            }
        }
        let mut unit = Unit::new();
        for (id, _, _) in &patients {
            unit.push_audit(rec.clone().with_patient(Some(*id)).with_resource(ResourceKind::Patient, *id.as_bytes()));
        }
        if patients.is_empty() {
            unit.push_audit(rec.with_detail("context=audit_search;count=0"));
        }
        self.store().commit(unit).await?;
        Ok(AuditSubjects { staff, patients })
    }
}
