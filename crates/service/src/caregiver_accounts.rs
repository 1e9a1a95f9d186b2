//! Caregivers who are not patients of the practice: an account of the
//! patient app with no record of its own, made by redeeming a caregiver
//! invitation code (a patient's, or one the practice gave for a minor),
//! whose name is sealed under its own data key. It acts only through its
//! grants. Also the practice's codes for a minor's caregivers.

use crate::auth::Principal;
use crate::caregivers::NewInvitation;
use crate::directory::{check_new_password, taken};
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::caregiver::{self, CaregiverRelationship, GrantedBy, InvitationCode, MinorStanding};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{Actor, PatientAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::text::{PersonName, Username};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{caregivers as cq, directory as d, keys as key_q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// Throttle purpose for codes typed by someone not signed in.
const CODE_ADDRESS: &str = "caregiver.code.address";

/// What someone with a code and no account gives to make one.
#[derive(Clone, Debug)]
pub struct NewCaregiverAccount {
    pub code: String,
    pub given_name: String,
    pub family_name: String,
    pub username: String,
    pub password: String,
}

/// The account made; the caregiver signs in with it next.
#[derive(Clone, Debug)]
pub struct CaregiverAccount {
    pub user: UserId,
    pub username: String,
}

fn code_refused() -> ServiceError {
    ServiceError::Invalid {
        field: "code",
        problem: "that code is not a caregiver invitation you can use (it may be used or expired)".into(),
    }
}

impl Switchboard {
    /// The name of a patient-app account: from its patient record, or from
    /// its caregiver profile. `None` for an account with neither.
    pub(crate) async fn portal_account_name(&self, user: UserId) -> Result<Option<String>, ServiceError> {
        if let Some(patient) = d::patient_by_user(self.store(), user).await? {
            return Ok(Some(self.patient_display_name(&patient)?));
        }
        match cq::profile_by_user(self.store(), user).await? {
            Some(profile) => Ok(Some(self.caregiver_profile_name(&profile)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn caregiver_profile_name(&self, profile: &cq::ProfileRow) -> Result<String, ServiceError> {
        let key = sealing::data_key(self.keys(), &profile.key)?;
        let row = profile.user.as_bytes();
        let given = sealing::open(&key, column::CAREGIVER_GIVEN_NAME, row, &profile.given_name_ct)?;
        let family = sealing::open(&key, column::CAREGIVER_FAMILY_NAME, row, &profile.family_name_ct)?;
        Ok(format!("{given} {family}"))
    }

    /// An invitation a code opens now, if any: not used, withdrawn or
    /// expired, and (for the practice's) whose grant would not have ended.
    pub(crate) async fn usable_invitation(
        &self,
        code: &str,
        now: Timestamp,
    ) -> Result<(Option<cq::InvitationRow>, bool), ServiceError> {
        let found = match InvitationCode::parse(code) {
            Some(c) => cq::invitation_by_code(self.store(), &self.invitation_hash(&c)).await?,
            None => None,
        };
        let usable = found.as_ref().is_some_and(|i| {
            caregiver::invitation_open(i.created_at, i.used_at.is_some(), i.revoked_at.is_some(), now)
                && now < i.expires_at
                && i.grant_ends_at.is_none_or(|end| now < end)
        });
        Ok((found, usable))
    }

    /// Someone with a caregiver code and no account at the practice makes
    /// one: an account with no patient record, holding the grant the code
    /// gives. They read and accept the practice's terms in the app before
    /// they first write, as patients do. A wrong, used, withdrawn
    /// or expired code is one refusal (recorded); codes typed by callers not
    /// signed in are slowed per address like passwords.
    pub async fn create_caregiver_account(
        &self,
        input: NewCaregiverAccount,
        ctx: &RequestContext,
    ) -> Result<CaregiverAccount, ServiceError> {
        let attempt = match self.take_address_attempt(CODE_ADDRESS, ctx).await? {
            Ok(key) => key,
            Err(wait) => return Err(ServiceError::throttled(wait)),
        };
        let now = self.now();
        let (found, usable) = self.usable_invitation(&input.code, now).await?;
        let Some(inv) = found.filter(|_| usable) else {
            // Nobody is signed in: the operator's log, naming no practice.
            let rec = AuditRecord::new(now, None, AuditActor::Anonymous, AuditAction::CaregiverInvitationAccepted)
                .with_outcome(Outcome::Failed)
                .with_client_addr(ctx.client_text())
                .with_detail("invitation_unusable;new_account");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(code_refused());
        };
        let given = PersonName::parse(&input.given_name)
            .map_err(|e| ServiceError::invalid("given_name", "your given name", e))?;
        let family = PersonName::parse(&input.family_name)
            .map_err(|e| ServiceError::invalid("family_name", "your family name", e))?;
        let username =
            Username::parse(&input.username).map_err(|e| ServiceError::invalid("username", "the user name", e))?;
        let practice_name = self.practice_name(inv.practice).await?.unwrap_or_default();
        let password = check_new_password(
            &input.password,
            false,
            &[username.as_str(), practice_name.as_str(), given.as_str(), family.as_str()],
        )?;
        let hash = self.hash_password(password.into_inner()).await?;

        let user = self.new_id(UserId::from_bytes)?;
        let dek_id = self.new_id(DataKeyId::from_bytes)?;
        let (dek, wrapped) = self.keys().new_data_key(*dek_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let key = WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes };
        let profile = cq::ProfileRow {
            user,
            practice: inv.practice,
            given_name_ct: sealing::seal(&dek, column::CAREGIVER_GIVEN_NAME, user.as_bytes(), given.as_str())?,
            family_name_ct: sealing::seal(&dek, column::CAREGIVER_FAMILY_NAME, user.as_bytes(), family.as_str())?,
            key: key.clone(),
        };
        let grant = self.grant_from_invitation(&inv, user, now)?;
        let actor = AuditActor::User { id: user, kind: UserKind::Patient };
        let record =
            |action| AuditRecord::new(now, Some(inv.practice), actor, action).with_client_addr(ctx.client_text());
        let mut unit = Unit::new()
            .step(d::insert_user(&d::NewUser::patient(user, inv.practice, username.as_str(), &hash, now)))
            .step(key_q::insert(&key, inv.practice, now))
            .step(cq::insert_profile(&profile, now))
            .step(cq::insert_grant(&grant))
            .step(cq::use_invitation(inv.id, user, grant.id, now))
            .audit(
                record(AuditAction::UserCreated)
                    .with_resource(ResourceKind::User, *user.as_bytes())
                    .with_detail("caregiver"),
            )
            .audit(
                record(AuditAction::CaregiverInvitationAccepted)
                    .with_patient(Some(inv.patient))
                    .with_resource(ResourceKind::ProxyGrant, *grant.id.as_bytes())
                    .with_detail(format!("as={};new_account", inv.relationship.as_str())),
            );
        if let Some(k) = &attempt {
            unit.push(switchboard_store::queries::throttle::clear(k));
        }
        match self.store().commit(unit).await {
            Ok(()) => Ok(CaregiverAccount { user, username: username.as_str().to_owned() }),
            Err(StoreError::Conflict(Conflict::InvitationSpent)) => Err(code_refused()),
            Err(e) => Err(taken(e)),
        }
    }

    /// The grant an invitation makes for `caregiver`, beginning `now`: the
    /// patient's has no end; the practice's ends when the code said.
    pub(crate) fn grant_from_invitation(
        &self,
        inv: &cq::InvitationRow,
        caregiver: UserId,
        now: Timestamp,
    ) -> Result<cq::GrantRow, ServiceError> {
        Ok(cq::GrantRow {
            id: self.new_id(ProxyGrantId::from_bytes)?,
            practice: inv.practice,
            caregiver,
            patient: inv.patient,
            relationship: inv.relationship,
            granted_by_kind: inv.granted_by_kind,
            granted_by: inv.created_by,
            starts_at: now,
            ends_at: inv.grant_ends_at,
            revoked_at: None,
            created_at: now,
        })
    }

    /// Staff who manage a minor's enrollment make a code for a caregiver who
    /// has no account at the practice (or one who does): handed over in
    /// person or read out by phone, good once for seven days. The grant it
    /// makes ends at the minor's 18th birthday, or earlier if `until` says.
    pub async fn invite_caregiver_for_minor(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        relationship: CaregiverRelationship,
        until: Option<Timestamp>,
    ) -> Result<NewInvitation, ServiceError> {
        if !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::NotFound);
        }
        let row =
            self.patient_for(p, ctx, patient, PatientAction::ManageCaregivers, AuditAction::CaregiverInvited).await?;
        if self.minor_standing(&row).await? == MinorStanding::Adult {
            return Err(ServiceError::Invalid {
                field: "patient",
                problem: "the practice grants caregivers only for minors; an adult invites their caregivers in the app"
                    .into(),
            });
        }
        let ends_at = self.minor_grant_end(&row, until).await?;
        self.issue_invitation(p, ctx, &row, relationship, GrantedBy::Practice, Some(ends_at)).await
    }
}
