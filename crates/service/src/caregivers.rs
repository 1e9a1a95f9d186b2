//! Caregivers (proxy access): a patient's invitations and the caregiver's
//! acceptance, the practice's grants for minors, revocation, whom a
//! caregiver acts for, sharing a minor's conversation, and the grants a
//! session carries. Every use is audited with the caregiver as the actor and
//! the patient as the record's patient.

use crate::access::{denial_detail, facts, patient_facts};
use crate::auth::Principal;
use crate::refusals::Target;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, Outcome, ResourceKind};
use switchboard_domain::caregiver::{
    self, CaregiverRelationship, ConfidentialAge, GrantRecord, GrantedBy, InvitationCode, MinorStanding, ProxyGrant,
};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{
    self, Actor, ConversationAction, Decision, PatientAction, PatientActor, PracticeAction,
};
use switchboard_domain::time::{CivilDate, Timestamp};
use switchboard_store::queries::{caregivers as cq, conversations as conv_q, directory};
use switchboard_store::rows::PatientRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// Someone a signed-in patient may act for: themselves, or a patient they
/// hold a grant for.
#[derive(Clone, Debug)]
pub struct CaregivingPerson {
    pub patient: PatientId,
    pub display_name: String,
    /// `None`: the account's own record.
    pub relationship: Option<CaregiverRelationship>,
    pub grant: Option<ProxyGrantId>,
    pub until: Option<Timestamp>,
    /// A confidential minor: only conversations they share are open.
    pub confidential: bool,
}

/// One of a patient's caregivers.
#[derive(Clone, Debug)]
pub struct CaregiverView {
    pub grant: ProxyGrantId,
    pub caregiver_name: String,
    pub relationship: CaregiverRelationship,
    pub granted_by: GrantedBy,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
}

/// An invitation not yet used.
#[derive(Clone, Debug)]
pub struct InvitationView {
    pub id: CaregiverInvitationId,
    pub relationship: CaregiverRelationship,
    /// The patient's own, or the practice's for a minor.
    pub granted_by: GrantedBy,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A patient's caregivers, as the patient or staff see them.
#[derive(Clone, Debug)]
pub struct CaregiversOverview {
    pub patient: PatientId,
    pub caregivers: Vec<CaregiverView>,
    pub invitations: Vec<InvitationView>,
    /// Where the patient stands today (staff see it; a patient sees
    /// whether their conversations are confidential).
    pub standing: MinorStanding,
    pub confidential_age: i64,
}

/// A new invitation: its code is shown this once.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub id: CaregiverInvitationId,
    pub code: String,
    pub relationship: CaregiverRelationship,
    pub expires_at: Timestamp,
}

/// Staff's grant for a minor.
#[derive(Clone, Debug)]
pub struct GrantInput {
    /// The caregiver's own patient record (they sign in to it).
    pub caregiver_patient: PatientId,
    pub relationship: CaregiverRelationship,
    /// Earlier than the 18th birthday, if given.
    pub until: Option<Timestamp>,
}

/// Whether a conversation is shared with the patient's caregivers, and
/// whether that matters now (the patient is a confidential minor).
#[derive(Clone, Copy, Debug)]
pub struct SharingView {
    pub confidential_minor: bool,
    pub shared: bool,
}

impl Switchboard {
    /// The practice's confidentiality age.
    pub(crate) async fn confidential_age(&self, practice: PracticeId) -> Result<ConfidentialAge, ServiceError> {
        let stored = cq::confidential_age(self.store(), practice).await?;
        Ok(stored.and_then(ConfidentialAge::new).unwrap_or(ConfidentialAge::DEFAULT))
    }

    /// Where a patient stands for caregivers today, in the practice's
    /// zone, from the sealed date of birth. A date that cannot be read
    /// counts as a confidential minor: the answer that opens least.
    pub(crate) async fn minor_standing(&self, patient: &PatientRow) -> Result<MinorStanding, ServiceError> {
        let age = self.confidential_age(patient.practice).await?;
        let schedule = self.practice_schedule(patient.practice).await?;
        let today = caregiver::today_in(schedule.calendar.zone(), self.now());
        let birth = CivilDate::parse(&self.patient_birth_date(patient)?).ok();
        match (birth, today) {
            (Some(b), Some(t)) => Ok(caregiver::minor_standing(b, t, age)),
            _ => {
                tracing::warn!("a patient's date of birth could not be read; treated as a confidential minor");
                Ok(MinorStanding::ConfidentialMinor)
            }
        }
    }

    /// The grants in force for an account now, each knowing whether its
    /// patient is a confidential minor today: what its sessions carry.
    pub(crate) async fn proxy_grants(
        &self,
        user: UserId,
        practice: PracticeId,
    ) -> Result<Vec<ProxyGrant>, ServiceError> {
        let rows = cq::held_by(self.store(), user).await?;
        let now = self.now();
        let mut records = Vec::new();
        for g in rows {
            if g.practice != practice || !caregiver::grant_active(g.starts_at, g.ends_at, g.revoked_at, now) {
                continue;
            }
            let Some(patient) = directory::patient_by_id(self.store(), g.patient).await? else { continue };
            let confidential = self.minor_standing(&patient).await? == MinorStanding::ConfidentialMinor;
            records.push(GrantRecord {
                grant: ProxyGrant {
                    id: g.id,
                    practice: g.practice,
                    patient: g.patient,
                    relationship: g.relationship,
                    until: g.ends_at,
                    confidential,
                },
                from: g.starts_at,
                revoked_at: g.revoked_at,
            });
        }
        Ok(caregiver::in_force(records, now))
    }

    /// A patient row and the caller's right to `action` on it; refusals
    /// and missing patients are audited as `audit_action` and look alike.
    pub(crate) async fn patient_for(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        action: PatientAction,
        audit_action: AuditAction,
    ) -> Result<PatientRow, ServiceError> {
        let Some(row) = directory::patient_by_id(self.store(), patient).await? else {
            let target = Target::missing(ResourceKind::Patient, *patient.as_bytes());
            return Err(self.deny(p, ctx, audit_action, target, "denied:not_found".into()).await);
        };
        match policy::authorize_patient(&p.actor, action, &patient_facts(&row)) {
            Decision::Allow => Ok(row),
            d => {
                let target = Target::owned(row.practice, Some(row.id), ResourceKind::Patient, *patient.as_bytes());
                Err(self.deny(p, ctx, audit_action, target, denial_detail(d)).await)
            }
        }
    }

    /// The people a signed-in patient may act for: themselves first, then
    /// each patient they hold a grant for. Audited per patient shown.
    pub async fn caregiving(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<CaregivingPerson>, ServiceError> {
        let Actor::Patient(me) = &p.actor else { return Err(ServiceError::NotFound) };
        let mut people = Vec::new();
        // For oneself, `confidential` says whether one is a confidential
        // minor (whose new conversations are private unless shared). A
        // caregiver who is not a patient here has no own entry.
        if let Some(own_id) = me.patient {
            let own = directory::patient_by_id(self.store(), own_id).await?.ok_or(ServiceError::NotFound)?;
            people.push(CaregivingPerson {
                patient: own_id,
                display_name: p.user.display_name.clone(),
                relationship: None,
                grant: None,
                until: None,
                confidential: self.minor_standing(&own).await? == MinorStanding::ConfidentialMinor,
            });
        }
        let mut unit = Unit::new();
        for g in &me.proxies {
            let Some(row) = directory::patient_by_id(self.store(), g.patient).await? else { continue };
            people.push(CaregivingPerson {
                patient: g.patient,
                display_name: self.patient_display_name(&row)?,
                relationship: Some(g.relationship),
                grant: Some(g.id),
                until: g.until,
                confidential: g.confidential,
            });
            unit.push_audit(
                self.record(p, ctx, AuditAction::CaregiversListed)
                    .with_patient(Some(g.patient))
                    .with_resource(ResourceKind::ProxyGrant, *g.id.as_bytes())
                    .with_detail(format!("as={}", g.relationship.as_str())),
            );
        }
        if !unit.is_empty() {
            self.store().commit(unit).await?;
        }
        Ok(people)
    }

    /// A caregiver switches whom they act for in the app (their own record,
    /// or a patient they hold a grant for): audited, so every switch is on
    /// the record.
    pub async fn act_for(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
    ) -> Result<CaregivingPerson, ServiceError> {
        let row = self.patient_for(p, ctx, patient, PatientAction::ActFor, AuditAction::ActingForChanged).await?;
        let Actor::Patient(me) = &p.actor else { return Err(ServiceError::NotFound) };
        let grant = me.grant_for(row.practice, row.id);
        let person = CaregivingPerson {
            patient: row.id,
            display_name: self.patient_display_name(&row)?,
            relationship: grant.map(|g| g.relationship),
            grant: grant.map(|g| g.id),
            until: grant.and_then(|g| g.until),
            confidential: grant.is_some_and(|g| g.confidential),
        };
        let detail = match grant {
            Some(g) => format!("as={}", g.relationship.as_str()),
            None => "as=self".to_owned(),
        };
        let mut rec = self.record(p, ctx, AuditAction::ActingForChanged).with_patient(Some(row.id)).with_detail(detail);
        if let Some(g) = grant {
            rec = rec.with_resource(ResourceKind::ProxyGrant, *g.id.as_bytes());
        }
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(person)
    }

    /// A patient's caregivers and open invitations: the patient's own
    /// (never a caregiver's), or, for staff who manage the patient's
    /// enrollment, any patient's.
    pub async fn caregivers_of(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: Option<PatientId>,
    ) -> Result<CaregiversOverview, ServiceError> {
        let patient = match (&p.actor, patient) {
            (_, Some(id)) => id,
            (Actor::Patient(PatientActor { patient: Some(own), .. }), None) => *own,
            _ => return Err(ServiceError::Invalid { field: "patient", problem: "say which patient".into() }),
        };
        let row =
            self.patient_for(p, ctx, patient, PatientAction::ManageCaregivers, AuditAction::CaregiversListed).await?;
        let now = self.now();
        let mut caregivers = Vec::new();
        for g in cq::for_patient(self.store(), row.id).await? {
            // Ended grants are history (the audit log keeps them).
            if !caregiver::grant_active(g.starts_at, g.ends_at, g.revoked_at, now) && g.starts_at <= now {
                continue;
            }
            let name = self.portal_account_name(g.caregiver).await?.unwrap_or_default();
            caregivers.push(CaregiverView {
                grant: g.id,
                caregiver_name: name,
                relationship: g.relationship,
                granted_by: g.granted_by_kind,
                starts_at: g.starts_at,
                ends_at: g.ends_at,
            });
        }
        let invitations = cq::open_invitations(self.store(), row.id, now)
            .await?
            .into_iter()
            .map(|i| InvitationView {
                id: i.id,
                relationship: i.relationship,
                granted_by: i.granted_by_kind,
                created_at: i.created_at,
                expires_at: i.expires_at,
            })
            .collect();
        let standing = self.minor_standing(&row).await?;
        let confidential_age = self.confidential_age(row.practice).await?.years();
        self.store()
            .commit(
                Unit::new().audit(
                    self.record(p, ctx, AuditAction::CaregiversListed)
                        .with_patient(Some(row.id))
                        .with_detail(format!("count={}", caregivers.len())),
                ),
            )
            .await?;
        Ok(CaregiversOverview { patient: row.id, caregivers, invitations, standing, confidential_age })
    }

    /// A patient makes a one-time invitation for a caregiver: a code to
    /// hand over, good once for seven days, stored only as a keyed hash.
    pub async fn invite_caregiver(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        relationship: CaregiverRelationship,
    ) -> Result<NewInvitation, ServiceError> {
        let Actor::Patient(PatientActor { patient: Some(own), .. }) = &p.actor else {
            return Err(ServiceError::NotFound);
        };
        let row =
            self.patient_for(p, ctx, *own, PatientAction::ManageCaregivers, AuditAction::CaregiverInvited).await?;
        self.issue_invitation(p, ctx, &row, relationship, GrantedBy::Patient, None).await
    }

    /// Makes and records an invitation for `row`'s caregivers: by the
    /// patient, or by the practice for a minor (whose grant ends at
    /// `grant_ends_at`).
    pub(crate) async fn issue_invitation(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        row: &PatientRow,
        relationship: CaregiverRelationship,
        granted_by: GrantedBy,
        grant_ends_at: Option<Timestamp>,
    ) -> Result<NewInvitation, ServiceError> {
        let code = loop {
            let random = switchboard_crypto::random::array::<32>().map_err(|_| ServiceError::Internal)?;
            if let Some(c) = InvitationCode::from_random(&random) {
                break c;
            }
        };
        let now = self.now();
        let invitation = cq::InvitationRow {
            id: self.new_id(CaregiverInvitationId::from_bytes)?,
            practice: row.practice,
            patient: row.id,
            relationship,
            created_by: p.user.id,
            created_at: now,
            expires_at: now.plus(caregiver::INVITATION_LIFETIME),
            used_at: None,
            used_by: None,
            revoked_at: None,
            granted_by_kind: granted_by,
            grant_ends_at,
        };
        let hash = self.invitation_hash(&code);
        let unit = Unit::new().step(cq::insert_invitation(&invitation, &hash)).audit(
            self.record(p, ctx, AuditAction::CaregiverInvited)
                .with_patient(Some(row.id))
                .with_resource(ResourceKind::ProxyGrant, *invitation.id.as_bytes())
                .with_detail(format!("as={};by={}", relationship.as_str(), granted_by.as_str())),
        );
        self.store().commit(unit).await?;
        Ok(NewInvitation { id: invitation.id, code: code.display(), relationship, expires_at: invitation.expires_at })
    }

    pub(crate) fn invitation_hash(&self, code: &InvitationCode) -> [u8; 32] {
        self.keys().fingerprint("caregiver_invitation", &[code.expose().as_bytes()])
    }

    /// A caregiver, signed in to their own patient account at the same
    /// practice, accepts an invitation: the grant begins now. A wrong,
    /// used, revoked or expired code, one from another practice, and one's
    /// own are all the same refusal (recorded).
    pub async fn accept_caregiver_invitation(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        code: &str,
    ) -> Result<CaregivingPerson, ServiceError> {
        let Actor::Patient(me) = &p.actor else { return Err(ServiceError::NotFound) };
        let refused = || ServiceError::Invalid {
            field: "code",
            problem: "that code is not a caregiver invitation you can accept (it may be used or expired)".into(),
        };
        // Guessing codes is slowed like guessing passwords, per account.
        let attempt = match self.take_account_attempt("caregiver.invitation", p.user.id.as_bytes()).await? {
            Ok(key) => key,
            Err(wait) => return Err(ServiceError::throttled(wait)),
        };
        let now = self.now();
        let (found, open) = self.usable_invitation(code, now).await?;
        let usable = found.as_ref().filter(|i| open && i.practice == me.practice && !me.is_own(i.patient));
        let Some(inv) = usable.cloned() else {
            // Filed in the caller's practice; another practice's invitation
            // is not named.
            let mut rec = self
                .record(p, ctx, AuditAction::CaregiverInvitationAccepted)
                .with_outcome(Outcome::Failed)
                .with_detail("invitation_unusable");
            if let Some(i) = found.as_ref().filter(|i| i.practice == me.practice) {
                rec = rec.with_patient(Some(i.patient)).with_resource(ResourceKind::ProxyGrant, *i.id.as_bytes());
            }
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(refused());
        };
        if me.proxies.iter().any(|g| g.patient == inv.patient) {
            return Err(ServiceError::Conflict("you already have access to this person's messages"));
        }
        let Some(patient) = directory::patient_by_id(self.store(), inv.patient).await? else {
            return Err(refused());
        };
        let grant = self.grant_from_invitation(&inv, p.user.id, now)?;
        let unit = Unit::new()
            .step(cq::insert_grant(&grant))
            .step(cq::use_invitation(inv.id, p.user.id, grant.id, now))
            .step(switchboard_store::queries::throttle::clear(&attempt))
            .audit(
                self.record(p, ctx, AuditAction::CaregiverInvitationAccepted)
                    .with_patient(Some(inv.patient))
                    .with_resource(ResourceKind::ProxyGrant, *grant.id.as_bytes())
                    .with_detail(format!("as={}", inv.relationship.as_str())),
            );
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::InvitationSpent)) => return Err(refused()),
            Err(e) => return Err(e.into()),
        }
        let confidential = self.minor_standing(&patient).await? == MinorStanding::ConfidentialMinor;
        Ok(CaregivingPerson {
            patient: patient.id,
            display_name: self.patient_display_name(&patient)?,
            relationship: Some(inv.relationship),
            grant: Some(grant.id),
            until: grant.ends_at,
            confidential,
        })
    }

    /// A patient withdraws an invitation not yet used.
    pub async fn revoke_caregiver_invitation(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: CaregiverInvitationId,
    ) -> Result<(), ServiceError> {
        let Some(inv) = cq::invitation_by_id(self.store(), id).await? else {
            let target = Target::missing(ResourceKind::ProxyGrant, *id.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::CaregiverRevoked, target, "denied:not_found".into()).await);
        };
        let row = self
            .patient_for(p, ctx, inv.patient, PatientAction::ManageCaregivers, AuditAction::CaregiverRevoked)
            .await?;
        let unit = Unit::new().step(cq::revoke_invitation(id, self.now())).audit(
            self.record(p, ctx, AuditAction::CaregiverRevoked)
                .with_patient(Some(row.id))
                .with_resource(ResourceKind::ProxyGrant, *id.as_bytes())
                .with_detail("invitation"),
        );
        match self.store().commit(unit).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(Conflict::InvitationSpent)) => {
                Err(ServiceError::Conflict("this invitation was already used or withdrawn"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Ends a grant at once: the patient, staff who manage the patient's
    /// enrollment, or the caregiver giving it up. The caregiver's live
    /// streams re-read their grants straight away.
    pub async fn revoke_caregiver(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ProxyGrantId,
    ) -> Result<(), ServiceError> {
        let Some(g) = cq::grant_by_id(self.store(), id).await? else {
            let target = Target::missing(ResourceKind::ProxyGrant, *id.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::CaregiverRevoked, target, "denied:not_found".into()).await);
        };
        let own_grant = g.caregiver == p.user.id && g.practice == p.user.practice;
        if !own_grant {
            self.patient_for(p, ctx, g.patient, PatientAction::ManageCaregivers, AuditAction::CaregiverRevoked).await?;
        }
        let who = if own_grant { "caregiver" } else { p.user.kind.as_str() };
        let unit = Unit::new().step(cq::revoke_grant(id, p.user.id, self.now())).audit(
            self.record(p, ctx, AuditAction::CaregiverRevoked)
                .with_patient(Some(g.patient))
                .with_resource(ResourceKind::ProxyGrant, *id.as_bytes())
                .with_detail(format!("by={who}")),
        );
        match self.store().commit(unit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::GrantMissing)) => {
                return Err(ServiceError::Conflict("this access was already revoked"));
            }
            Err(e) => return Err(e.into()),
        }
        self.events().access_changed(g.caregiver);
        Ok(())
    }

    /// Staff who manage a minor's enrollment give a caregiver (who has their
    /// own patient account at the practice) access to the minor's
    /// messages, until the minor's 18th birthday at the latest.
    pub async fn grant_caregiver(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        input: GrantInput,
    ) -> Result<CaregiverView, ServiceError> {
        if !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::NotFound);
        }
        let row =
            self.patient_for(p, ctx, patient, PatientAction::ManageCaregivers, AuditAction::CaregiverGranted).await?;
        if self.minor_standing(&row).await? == MinorStanding::Adult {
            return Err(ServiceError::Invalid {
                field: "patient",
                problem: "the practice grants caregivers only for minors; an adult invites their caregivers in the app"
                    .into(),
            });
        }
        let no_account = || ServiceError::Invalid {
            field: "caregiver_patient_id",
            problem: "the caregiver must be another patient of this practice with an account".into(),
        };
        let Some(carer) = directory::patient_by_id(self.store(), input.caregiver_patient).await? else {
            return Err(no_account());
        };
        let Some(carer_user) = carer.user else { return Err(no_account()) };
        if carer.practice != row.practice || carer.id == row.id {
            return Err(no_account());
        }
        let now = self.now();
        if cq::for_patient(self.store(), row.id)
            .await?
            .iter()
            .any(|g| g.caregiver == carer_user && caregiver::grant_active(g.starts_at, g.ends_at, g.revoked_at, now))
        {
            return Err(ServiceError::Conflict("this caregiver already has access"));
        }
        let ends_at = Some(self.minor_grant_end(&row, input.until).await?);
        let grant = cq::GrantRow {
            id: self.new_id(ProxyGrantId::from_bytes)?,
            practice: row.practice,
            caregiver: carer_user,
            patient: row.id,
            relationship: input.relationship,
            granted_by_kind: GrantedBy::Practice,
            granted_by: p.user.id,
            starts_at: now,
            ends_at,
            revoked_at: None,
            created_at: now,
        };
        let unit = Unit::new().step(cq::insert_grant(&grant)).audit(
            self.record(p, ctx, AuditAction::CaregiverGranted)
                .with_patient(Some(row.id))
                .with_resource(ResourceKind::ProxyGrant, *grant.id.as_bytes())
                .with_detail(format!("as={}", input.relationship.as_str())),
        );
        self.store().commit(unit).await?;
        self.events().access_changed(carer_user);
        Ok(CaregiverView {
            grant: grant.id,
            caregiver_name: self.patient_display_name(&carer)?,
            relationship: input.relationship,
            granted_by: GrantedBy::Practice,
            starts_at: now,
            ends_at,
        })
    }

    /// When a practice's grant for a minor ends: the start of their 18th
    /// birthday in the practice's zone, or `until` if earlier (which must
    /// be in the future).
    pub(crate) async fn minor_grant_end(
        &self,
        row: &PatientRow,
        until: Option<Timestamp>,
    ) -> Result<Timestamp, ServiceError> {
        let schedule = self.practice_schedule(row.practice).await?;
        let adult_on = CivilDate::parse(&self.patient_birth_date(row)?)
            .ok()
            .and_then(caregiver::coming_of_age)
            .and_then(|d| caregiver::day_starts(schedule.calendar.zone(), d))
            .ok_or(ServiceError::Internal)?;
        if until.is_some_and(|u| u <= self.now()) {
            return Err(ServiceError::Invalid { field: "until", problem: "the end must be in the future".into() });
        }
        Ok(until.map_or(adult_on, |u| u.min(adult_on)))
    }

    /// Shares a conversation with the patient's caregivers, or stops: the
    /// patient, or clinical staff who may read it. Audited.
    pub async fn set_conversation_sharing(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ConversationId,
        shared: bool,
    ) -> Result<SharingView, ServiceError> {
        let row = self
            .authorized_conversation(
                p,
                ctx,
                id,
                ConversationAction::ShareWithCaregivers,
                AuditAction::ConversationSharingChanged,
            )
            .await?;
        let unit = Unit::new().step(conv_q::set_shared_with_caregivers(id, shared)).audit(
            self.record(p, ctx, AuditAction::ConversationSharingChanged)
                .with_patient(Some(row.patient.id))
                .with_resource(ResourceKind::Conversation, *id.as_bytes())
                .with_detail(format!("shared={shared}")),
        );
        self.store().commit(unit).await?;
        let confidential_minor = self.minor_standing(&row.patient).await? == MinorStanding::ConfidentialMinor;
        Ok(SharingView { confidential_minor, shared })
    }

    /// Whether a conversation is shared with caregivers, for the patient
    /// and staff who read it (never a caregiver: what they see is shared).
    pub(crate) async fn sharing_of(
        &self,
        p: &Principal,
        row: &switchboard_store::rows::ConversationRow,
    ) -> Result<Option<SharingView>, ServiceError> {
        let own = matches!(&p.actor, Actor::Patient(me) if me.is_own(row.patient.id));
        let staff = matches!(p.actor, Actor::Staff(_));
        if !own && !staff {
            return Ok(None);
        }
        let confidential_minor = self.minor_standing(&row.patient).await? == MinorStanding::ConfidentialMinor;
        let may_share =
            policy::authorize_conversation(&p.actor, ConversationAction::ShareWithCaregivers, &facts(row)).is_allowed();
        if !may_share && !staff {
            return Ok(None);
        }
        Ok(Some(SharingView { confidential_minor, shared: row.shared_with_caregivers }))
    }

    /// The practice's confidentiality age (administrators and staff who
    /// see the setup).
    pub async fn caregiver_settings(&self, p: &Principal, ctx: &RequestContext) -> Result<i64, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::CaregiverSettingsChanged)
            .await?;
        Ok(self.confidential_age(p.user.practice).await?.years())
    }

    /// Sets the practice's confidentiality age (administrators): from it
    /// until 18 a minor's conversations are confidential from caregivers
    /// unless shared; 18 turns this off.
    pub async fn set_caregiver_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        age: i64,
    ) -> Result<i64, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::CaregiverSettingsChanged).await?;
        let age = ConfidentialAge::new(age).ok_or_else(|| ServiceError::Invalid {
            field: "confidential_age",
            problem: format!("the age must be between {} and {}", ConfidentialAge::MIN, caregiver::ADULT_AGE),
        })?;
        let unit = Unit::new().step(cq::set_confidential_age(p.user.practice, age.years())).audit(
            self.record(p, ctx, AuditAction::CaregiverSettingsChanged).with_detail(format!("age={}", age.years())),
        );
        self.store().commit(unit).await?;
        Ok(age.years())
    }
}
