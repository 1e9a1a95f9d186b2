//! Enrollment's practice-wide rules as use cases: the messaging terms
//! (published by administrators, accepted by patients as they enroll or
//! when the terms change), the soft launch (who patient messaging is on
//! for), and the enrollment summary administrators watch.
//!
//! The rules themselves are `domain::enrollment`'s; here they are applied:
//! a patient writes only under the terms in force, starts conversations
//! and is invited only while the launch includes them.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::HashMap;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::enrollment::{
    self as rules, Acceptance, AcceptedThrough, Placement, Rollout, RolloutMode, TermsStanding, TermsText, TermsVersion,
};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{Actor, PatientActor, PracticeAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::directory as d;
use switchboard_store::queries::enrollment as q;
use switchboard_store::queries::enrollment::TermsRow;
use switchboard_store::{Conflict, Step, StoreError, Unit};

/// A set of terms as it is shown.
#[derive(Clone, Debug)]
pub struct TermsView {
    pub version: TermsVersion,
    pub text: String,
    pub published_at: Timestamp,
    /// Who published it; `None` for the standard wording every practice
    /// starts with.
    pub published_by: Option<String>,
}

impl From<TermsRow> for TermsView {
    fn from(r: TermsRow) -> Self {
        TermsView { version: r.version, text: r.body, published_at: r.published_at, published_by: r.published_by_name }
    }
}

/// Where a signed-in patient stands: the terms in force, what they
/// accepted, and whether they may start conversations.
#[derive(Clone, Debug)]
pub struct MyEnrollment {
    pub terms: TermsView,
    pub accepted: Option<Acceptance>,
    pub standing: TermsStanding,
    pub may_start_conversations: bool,
}

/// An administrator's soft launch, as submitted.
#[derive(Clone, Debug)]
pub struct RolloutInput {
    pub mode: RolloutMode,
    pub departments: Vec<DepartmentId>,
    pub providers: Vec<UserId>,
    pub patients: Vec<PatientId>,
}

/// How far enrollment has come in a practice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnrollmentSummary {
    pub patients: usize,
    /// Patients the soft launch includes.
    pub open_to: usize,
    pub enrolled: usize,
    /// Enrolled patients who accepted the terms in force.
    pub on_current_terms: usize,
    /// Enrolled patients who accepted only an earlier version, or none.
    pub on_earlier_terms: usize,
    pub never_accepted: usize,
    pub current_version: u32,
}

/// Most patient ids one launch list may name.
const MAX_LISTED: usize = 5_000;

impl Switchboard {
    /// Gives every practice from before terms were kept the standard terms
    /// as version 1. Run at start-up; does nothing once all have terms.
    pub async fn keep_first_terms(&self) -> Result<(), ServiceError> {
        let unit = Unit::new().step(q::backfill_first_terms(TermsText::standard().as_str(), self.now()));
        Ok(self.store().commit(unit).await?)
    }

    /// The step that gives a new practice the standard terms.
    pub(crate) fn first_terms_step(&self, practice: PracticeId) -> Step {
        q::insert_terms(practice, TermsVersion::FIRST, TermsText::standard().as_str(), self.now(), None)
    }

    /// The practice's terms in force.
    pub(crate) async fn terms_in_force(&self, practice: PracticeId) -> Result<TermsRow, ServiceError> {
        // Every practice has version 1 from its creation (or start-up's
        // backfill): none at all is a broken database.
        q::current_terms(self.store(), practice).await?.ok_or(ServiceError::Internal)
    }

    /// Every version of the practice's terms, newest (in force) first
    /// (administrators and the staff who see the setup).
    pub async fn messaging_terms(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<TermsView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let all = q::all_terms(self.store(), p.user.practice).await?;
        Ok(all.into_iter().map(TermsView::from).collect())
    }

    /// Publishes new terms (administrators): enrolled patients are shown
    /// them and must accept them before they write again; invitations show
    /// them from now on.
    pub async fn publish_terms(
        &self,
        p: &Principal,
        text: &str,
        ctx: &RequestContext,
    ) -> Result<TermsView, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::TermsPublished).await?;
        let text = TermsText::parse(text).map_err(|e| ServiceError::invalid("text", "the terms", e))?;
        let current = self.terms_in_force(p.user.practice).await?;
        if current.body == text.as_str() {
            return Err(ServiceError::Invalid {
                field: "text",
                problem: "these are the terms in force already; change them to publish a new version".into(),
            });
        }
        let version = current.version.next().ok_or(ServiceError::Internal)?;
        let now = self.now();
        let unit =
            Unit::new().step(q::insert_terms(p.user.practice, version, text.as_str(), now, Some(p.user.id))).audit(
                self.record(p, ctx, AuditAction::TermsPublished)
                    .with_resource(ResourceKind::Practice, *p.user.practice.as_bytes())
                    .with_detail(format!("version={version}")),
            );
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::Unique)) => {
                return Err(ServiceError::Conflict(
                    "someone else published new terms just now; reload to see them before publishing yours",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let by = d::user_by_id(self.store(), p.user.id).await?.and_then(|u| u.display_name);
        Ok(TermsView { version, text: text.into_string(), published_at: now, published_by: by })
    }

    /// The signed-in patient's standing with the terms and the launch.
    pub async fn my_enrollment(&self, p: &Principal) -> Result<MyEnrollment, ServiceError> {
        let me = own_patient(p)?;
        let terms = self.terms_in_force(me.practice).await?;
        let accepted = self.latest_acceptance_of(me).await?;
        let standing = rules::standing(accepted.as_ref(), terms.version);
        // A caregiver-only account writes only for others, each checked
        // against the launch when they write.
        let may_start_conversations = match me.patient {
            Some(own) => self.messaging_open_to(me.practice, own).await?,
            None => true,
        };
        Ok(MyEnrollment { terms: terms.into(), accepted, standing, may_start_conversations })
    }

    /// The signed-in patient accepts `version` of their practice's terms,
    /// which must be the version in force.
    pub async fn accept_terms(
        &self,
        p: &Principal,
        version: Option<TermsVersion>,
        ctx: &RequestContext,
    ) -> Result<Acceptance, ServiceError> {
        let me = own_patient(p)?;
        let terms = self.terms_in_force(me.practice).await?;
        check_acceptance(version, terms.version)?;
        let acceptance = Acceptance { version: terms.version, at: self.now(), through: AcceptedThrough::App };
        let step = self.acceptance_step(me.practice, me.patient, me.user, acceptance)?;
        let mut rec = self
            .record(p, ctx, AuditAction::TermsAccepted)
            .with_patient(me.patient)
            .with_detail(format!("version={};through=app", terms.version));
        if let Some(own) = me.patient {
            rec = rec.with_resource(ResourceKind::Patient, *own.as_bytes());
        }
        self.store().commit(Unit::new().step(step).audit(rec)).await?;
        Ok(acceptance)
    }

    /// The step that records an acceptance.
    pub(crate) fn acceptance_step(
        &self,
        practice: PracticeId,
        patient: Option<PatientId>,
        user: UserId,
        acceptance: Acceptance,
    ) -> Result<Step, ServiceError> {
        let id = self.new_id(AcceptanceId::from_bytes)?;
        Ok(q::insert_acceptance(&q::NewAcceptance { id, practice, patient, user, acceptance }))
    }

    /// Refuses a patient who has not accepted the terms in force: they
    /// write under the terms their practice keeps now. Staff and
    /// secure-link visitors (who answer one conversation the care team
    /// started, and have not enrolled) are not asked.
    pub(crate) async fn require_current_terms(&self, p: &Principal) -> Result<(), ServiceError> {
        let Actor::Patient(me) = &p.actor else { return Ok(()) };
        let terms = self.terms_in_force(me.practice).await?;
        let accepted = self.latest_acceptance_of(me).await?;
        match rules::standing(accepted.as_ref(), terms.version) {
            TermsStanding::Current => Ok(()),
            TermsStanding::Outdated { .. } | TermsStanding::Never => Err(ServiceError::TermsNotAccepted),
        }
    }

    /// The latest acceptance an account gave: for its patient record, or
    /// (a caregiver-only account) for itself.
    async fn latest_acceptance_of(&self, me: &PatientActor) -> Result<Option<Acceptance>, ServiceError> {
        Ok(match me.patient {
            Some(own) => q::latest_acceptance(self.store(), own).await?,
            None => q::latest_acceptance_by_user(self.store(), me.user).await?,
        })
    }

    /// Whether the practice's soft launch includes the patient.
    pub(crate) async fn messaging_open_to(
        &self,
        practice: PracticeId,
        patient: PatientId,
    ) -> Result<bool, ServiceError> {
        let rollout = q::rollout(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        if rollout.mode == RolloutMode::Everyone {
            return Ok(true);
        }
        let placement = q::placement(self.store(), patient).await?.ok_or(ServiceError::NotFound)?;
        Ok(rules::messaging_open(&rollout, &placement))
    }

    /// Refuses what the launch does not include yet, in the words of
    /// `refusal` (the caller's, for whoever asked).
    pub(crate) async fn require_messaging_open(
        &self,
        practice: PracticeId,
        patient: PatientId,
        refusal: &'static str,
    ) -> Result<(), ServiceError> {
        if self.messaging_open_to(practice, patient).await? {
            Ok(())
        } else {
            Err(ServiceError::MessagingNotOpen(refusal))
        }
    }

    /// The practice's soft launch (administrators and staff who see the
    /// setup).
    pub async fn rollout(&self, p: &Principal, ctx: &RequestContext) -> Result<Rollout, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        q::rollout(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)
    }

    /// Sets who patient messaging is on for (administrators). Every
    /// department, provider and patient named must be the practice's; a
    /// provider is anyone on staff who leads a care team, or a provider.
    pub async fn set_rollout(
        &self,
        p: &Principal,
        input: RolloutInput,
        ctx: &RequestContext,
    ) -> Result<Rollout, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::RolloutChanged).await?;
        let practice = p.user.practice;
        let rollout = self.checked_rollout(practice, input).await?;
        let rec = self
            .record(p, ctx, AuditAction::RolloutChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(format!(
                "mode={};departments={};providers={};patients={}",
                rollout.mode.as_str(),
                rollout.departments.len(),
                rollout.providers.len(),
                rollout.patients.len()
            ));
        self.store().commit(Unit::new().steps(q::set_rollout(practice, &rollout)).audit(rec)).await?;
        Ok(rollout)
    }

    async fn checked_rollout(&self, practice: PracticeId, input: RolloutInput) -> Result<Rollout, ServiceError> {
        let RolloutInput { mode, mut departments, mut providers, mut patients } = input;
        for list in [departments.len(), providers.len(), patients.len()] {
            if list > MAX_LISTED {
                return Err(ServiceError::Invalid {
                    field: "patient_ids",
                    problem: format!("a launch names at most {MAX_LISTED} of each"),
                });
            }
        }
        departments.sort();
        departments.dedup();
        providers.sort();
        providers.dedup();
        patients.sort();
        patients.dedup();
        for dep in &departments {
            if d::department_name_of(self.store(), practice, *dep).await?.is_none() {
                return Err(ServiceError::Invalid { field: "department_ids", problem: "no such department".into() });
            }
        }
        for user in &providers {
            let staff = d::user_by_id(self.store(), *user).await?;
            if !staff.is_some_and(|u| u.practice == practice && u.kind == UserKind::Staff) {
                return Err(ServiceError::Invalid { field: "provider_ids", problem: "no such provider".into() });
            }
        }
        for patient in &patients {
            if d::patient_by_id(self.store(), *patient).await?.is_none_or(|r| r.practice != practice) {
                return Err(ServiceError::Invalid { field: "patient_ids", problem: "no such patient".into() });
            }
        }
        Ok(Rollout { mode, departments, providers, patients })
    }

    /// How far enrollment has come (administrators and staff who see the
    /// setup). Counts only: no patient is named.
    pub async fn enrollment_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<EnrollmentSummary, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let practice = p.user.practice;
        let rollout = q::rollout(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        let current = self.terms_in_force(practice).await?.version;
        let placed = q::placements(self.store(), practice).await?;
        let accepted: HashMap<PatientId, Acceptance> =
            q::latest_acceptances(self.store(), practice).await?.into_iter().collect();
        let mut s = EnrollmentSummary { current_version: current.get(), ..EnrollmentSummary::default() };
        for (placement, enrolled) in &placed {
            s.patients += 1;
            s.open_to += usize::from(rules::messaging_open(&rollout, placement));
            if !enrolled {
                continue;
            }
            s.enrolled += 1;
            match rules::standing(accepted.get(&placement.patient), current) {
                TermsStanding::Current => s.on_current_terms += 1,
                TermsStanding::Outdated { .. } => s.on_earlier_terms += 1,
                TermsStanding::Never => s.never_accepted += 1,
            }
        }
        Ok(s)
    }

    /// Each patient's standing in the launch and with the terms, for the
    /// patient list: `open` says whether the launch includes them.
    pub(crate) async fn enrollment_standings(&self, practice: PracticeId) -> Result<EnrollmentStandings, ServiceError> {
        let rollout = q::rollout(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        let placements = match rollout.mode {
            RolloutMode::Everyone => HashMap::new(),
            RolloutMode::Cohorts => {
                q::placements(self.store(), practice).await?.into_iter().map(|(p, _)| (p.patient, p)).collect()
            }
        };
        let current = self.terms_in_force(practice).await?.version;
        let accepted = q::latest_acceptances(self.store(), practice).await?.into_iter().collect();
        Ok(EnrollmentStandings { rollout, placements, current, accepted })
    }
}

/// What the patient list needs to say of each patient's enrollment.
pub(crate) struct EnrollmentStandings {
    rollout: Rollout,
    placements: HashMap<PatientId, Placement>,
    pub(crate) current: TermsVersion,
    accepted: HashMap<PatientId, Acceptance>,
}

impl EnrollmentStandings {
    pub(crate) fn open(&self, patient: PatientId) -> bool {
        self.rollout.mode == RolloutMode::Everyone
            || self.placements.get(&patient).is_some_and(|p| rules::messaging_open(&self.rollout, p))
    }
    pub(crate) fn accepted(&self, patient: PatientId) -> Option<Acceptance> {
        self.accepted.get(&patient).copied()
    }
}

/// A submitted acceptance checked against the version in force.
pub(crate) fn check_acceptance(submitted: Option<TermsVersion>, current: TermsVersion) -> Result<(), ServiceError> {
    rules::accepts_current(submitted, current).map_err(|why| ServiceError::Invalid {
        field: "terms_version",
        problem: match why {
            rules::TermsRefusal::NotAccepted => "please read and accept the messaging terms".into(),
            rules::TermsRefusal::Changed => {
                "the messaging terms have changed since this page was opened; read the new terms and accept them".into()
            }
        },
    })
}

/// The caller as a patient with an account; anyone else has no enrollment
/// of their own.
fn own_patient(p: &Principal) -> Result<&PatientActor, ServiceError> {
    match &p.actor {
        Actor::Patient(me) => Ok(me),
        Actor::Staff(_) | Actor::LinkPatient(_) => Err(ServiceError::NotFound),
    }
}
