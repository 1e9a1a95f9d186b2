//! Setting up practices, departments, staff, care teams and patients.
//!
//! Used by the demo, the command line and tests today; the practice-admin
//! API (onboarding) will call the same functions with an authorised actor.

use crate::sealing::{self, column};
use crate::{ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::role::{StaffRole, UserKind};
use switchboard_domain::text::{DisplayName, MedicalRecordNumber, PersonName, Username};
use switchboard_domain::time::CivilDate;
use switchboard_store::queries::{directory as d, keys as key_q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{StoreError, Unit};

pub struct NewStaffInput {
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub password: String,
    pub departments: Vec<DepartmentId>,
}

pub struct NewPatientInput {
    /// A login, if the patient is enrolled; `None` for a record only.
    pub login: Option<(String, String)>,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub mrn: Option<String>,
    pub department: Option<DepartmentId>,
    pub care_team: Option<CareTeamId>,
}

/// Checks a new password by `domain::password` (NIST SP 800-63B rev. 4):
/// at least 15 characters when it is the account's only factor and 8 with
/// a second factor (`has_second_factor`: what the account has; a new
/// account has none), at most 256, not on the
/// list of common and breached passwords, not one of `context` (the user
/// name, the person's name, the practice's name), not one character
/// repeated or a simple sequence. The refusal's problem text says why.
/// Answers the password normalised (NFKC), the form that is hashed.
pub(crate) fn check_new_password(
    password: &str,
    has_second_factor: bool,
    context: &[&str],
) -> Result<switchboard_domain::password::NewPassword, ServiceError> {
    use switchboard_domain::password::{Context, SecondFactor, check_new};
    check_new(password, SecondFactor::from_has_second_factor(has_second_factor), Context { words: context })
        .map_err(|problem| ServiceError::Invalid { field: "password", problem: problem.to_string() })
}

pub(crate) fn taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::Conflict("that name is already taken"),
        other => other.into(),
    }
}

impl Switchboard {
    /// The keyed hash a patient is found by from their MRN: equal MRNs (in
    /// any case) in one practice give equal indexes; the key never leaves
    /// the key file.
    pub(crate) fn mrn_index(
        &self,
        practice: PracticeId,
        mrn: &switchboard_domain::text::MedicalRecordNumber,
    ) -> Vec<u8> {
        let key = switchboard_domain::onboarding::mrn_key(mrn);
        self.keys().fingerprint("patients.mrn_index", &[practice.as_bytes(), key.as_bytes()]).to_vec()
    }

    /// Indexes the MRNs of patients created before indexes existed. Run at
    /// start-up; does nothing once every MRN is indexed.
    pub async fn backfill_mrn_indexes(&self) -> Result<usize, ServiceError> {
        let rows = d::patients_without_mrn_index(self.store()).await?;
        let mut unit = Unit::new();
        let mut n = 0;
        for p in &rows {
            let Some(ct) = &p.mrn_ct else { continue };
            let dek = sealing::data_key(self.keys(), &p.key)?;
            let text = sealing::open(&dek, column::MRN, p.id.as_bytes(), ct)?;
            let mrn = MedicalRecordNumber::parse(&text).map_err(|_| ServiceError::Internal)?;
            unit.push(d::set_mrn_index(p.id, &self.mrn_index(p.practice, &mrn)));
            n += 1;
        }
        if n > 0 {
            self.store().commit(unit).await?;
        }
        Ok(n)
    }

    pub async fn create_practice(&self, name: &str, actor: AuditActor) -> Result<PracticeId, ServiceError> {
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the practice's name", e))?;
        let id = self.new_id(PracticeId::from_bytes)?;
        let unit =
            Unit::new().step(d::insert_practice(id, name.as_str(), self.now())).step(self.first_terms_step(id)).audit(
                AuditRecord::new(self.now(), Some(id), actor, AuditAction::PracticeCreated)
                    .with_resource(ResourceKind::Practice, *id.as_bytes()),
            );
        self.store().commit(unit).await.map_err(taken)?;
        Ok(id)
    }

    pub async fn create_department(
        &self,
        practice: PracticeId,
        name: &str,
        actor: AuditActor,
    ) -> Result<DepartmentId, ServiceError> {
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the department's name", e))?;
        let id = self.new_id(DepartmentId::from_bytes)?;
        let unit = Unit::new().step(d::insert_department(id, practice, name.as_str(), self.now())).audit(
            AuditRecord::new(self.now(), Some(practice), actor, AuditAction::DepartmentCreated)
                .with_resource(ResourceKind::Department, *id.as_bytes()),
        );
        self.store().commit(unit).await.map_err(taken)?;
        Ok(id)
    }

    pub async fn create_staff(
        &self,
        practice: PracticeId,
        input: NewStaffInput,
        actor: AuditActor,
    ) -> Result<UserId, ServiceError> {
        let username =
            Username::parse(&input.username).map_err(|e| ServiceError::invalid("username", "the user name", e))?;
        let display = DisplayName::parse(&input.display_name)
            .map_err(|e| ServiceError::invalid("display_name", "the name", e))?;
        let practice_name = self.practice_name(practice).await?.unwrap_or_default();
        let password =
            check_new_password(&input.password, false, &[username.as_str(), display.as_str(), practice_name.as_str()])?;
        let hash = self.hash_password(password.into_inner()).await?;
        let id = self.new_id(UserId::from_bytes)?;
        let mut unit = Unit::new()
            .step(d::insert_user(&d::NewUser::staff(
                id,
                practice,
                username.as_str(),
                input.role,
                display.as_str(),
                &hash,
                self.now(),
            )))
            .audit(
                AuditRecord::new(self.now(), Some(practice), actor, AuditAction::UserCreated)
                    .with_resource(ResourceKind::User, *id.as_bytes()),
            );
        for dep in input.departments {
            unit.push(d::insert_staff_department(id, dep));
            unit.push_audit(
                AuditRecord::new(self.now(), Some(practice), actor, AuditAction::StaffDepartmentAdded)
                    .with_resource(ResourceKind::Department, *dep.as_bytes()),
            );
        }
        self.store().commit(unit).await.map_err(taken)?;
        Ok(id)
    }

    pub async fn create_care_team(
        &self,
        practice: PracticeId,
        department: Option<DepartmentId>,
        name: &str,
        primary_provider: Option<UserId>,
        members: &[UserId],
        actor: AuditActor,
    ) -> Result<CareTeamId, ServiceError> {
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the care team's name", e))?;
        let id = self.new_id(CareTeamId::from_bytes)?;
        let mut unit = Unit::new()
            .step(d::insert_care_team(id, practice, department, name.as_str(), primary_provider, self.now()))
            .audit(
                AuditRecord::new(self.now(), Some(practice), actor, AuditAction::CareTeamCreated)
                    .with_resource(ResourceKind::CareTeam, *id.as_bytes()),
            );
        let mut all: Vec<UserId> = primary_provider.into_iter().chain(members.iter().copied()).collect();
        all.sort();
        all.dedup();
        for m in all {
            unit.push(d::insert_care_team_member(id, m));
            unit.push_audit(
                AuditRecord::new(self.now(), Some(practice), actor, AuditAction::CareTeamMemberAdded)
                    .with_resource(ResourceKind::User, *m.as_bytes()),
            );
        }
        self.store().commit(unit).await.map_err(taken)?;
        Ok(id)
    }

    pub async fn create_patient(
        &self,
        practice: PracticeId,
        input: NewPatientInput,
        actor: AuditActor,
    ) -> Result<PatientId, ServiceError> {
        let given = PersonName::parse(&input.given_name)
            .map_err(|e| ServiceError::invalid("given_name", "the given name", e))?;
        let family = PersonName::parse(&input.family_name)
            .map_err(|e| ServiceError::invalid("family_name", "the family name", e))?;
        let birth = CivilDate::parse(&input.birth_date).map_err(|_| ServiceError::Invalid {
            field: "birth_date",
            problem: "the date of birth must be a date as YYYY-MM-DD".into(),
        })?;
        let mrn = input
            .mrn
            .as_deref()
            .map(MedicalRecordNumber::parse)
            .transpose()
            .map_err(|e| ServiceError::invalid("mrn", "the medical record number", e))?;
        let now = self.now();
        let id = self.new_id(PatientId::from_bytes)?;
        let dek_id = self.new_id(DataKeyId::from_bytes)?;
        let (dek, wrapped) = self.keys().new_data_key(*dek_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let mut unit = Unit::new();
        let user = match input.login {
            None => None,
            Some((username, password)) => {
                let username =
                    Username::parse(&username).map_err(|e| ServiceError::invalid("username", "the user name", e))?;
                let practice_name = self.practice_name(practice).await?.unwrap_or_default();
                let password = check_new_password(&password, false, &[username.as_str(), practice_name.as_str()])?;
                let hash = self.hash_password(password.into_inner()).await?;
                let user = self.new_id(UserId::from_bytes)?;
                unit.push(d::insert_user(&d::NewUser::patient(user, practice, username.as_str(), &hash, now)));
                unit.push_audit(
                    AuditRecord::new(self.now(), Some(practice), actor, AuditAction::UserCreated)
                        .with_resource(ResourceKind::User, *user.as_bytes()),
                );
                Some(user)
            }
        };
        let row = id.as_bytes();
        unit.push(key_q::insert(
            &WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
            practice,
            now,
        ));
        unit.push(d::insert_patient(d::NewPatient {
            id,
            practice,
            user,
            department: input.department,
            care_team: input.care_team,
            dek: dek_id,
            given_name_ct: sealing::seal(&dek, column::GIVEN_NAME, row, given.as_str())?,
            family_name_ct: sealing::seal(&dek, column::FAMILY_NAME, row, family.as_str())?,
            birth_date_ct: sealing::seal(&dek, column::BIRTH_DATE, row, &birth.to_string())?,
            mrn_index: mrn.as_ref().map(|m| self.mrn_index(practice, m)),
            mrn_ct: mrn.map(|m| sealing::seal(&dek, column::MRN, row, m.as_str())).transpose()?,
            email_ct: None,
            phone_ct: None,
            at: now,
        }));
        unit.push_audit(
            AuditRecord::new(self.now(), Some(practice), actor, AuditAction::PatientCreated)
                .with_resource(ResourceKind::Patient, *id.as_bytes())
                .with_patient(Some(id)),
        );
        self.store().commit(unit).await.map_err(taken)?;
        Ok(id)
    }

    pub async fn practice_by_name(&self, name: &str) -> Result<Option<PracticeId>, ServiceError> {
        Ok(d::practice_by_name(self.store(), name).await?)
    }

    pub async fn practice_name(&self, practice: PracticeId) -> Result<Option<String>, ServiceError> {
        Ok(d::practice_name(self.store(), practice).await?)
    }

    /// The user id of a user name, for tools and tests.
    pub async fn user_id(&self, username: &str) -> Result<Option<UserId>, ServiceError> {
        Ok(d::user_by_username(self.store(), username).await?.map(|u| u.id))
    }

    /// The patient record of a patient's login, for tools and tests.
    pub async fn patient_of_user(&self, user: UserId) -> Result<Option<PatientId>, ServiceError> {
        Ok(d::patient_by_user(self.store(), user).await?.map(|p| p.id))
    }
}

/// A weekly opening period: ISO weekday (1 is Monday) and minutes after
/// midnight, in the practice's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpeningPeriod {
    pub weekday: u8,
    pub opens_minute: u16,
    pub closes_minute: u16,
}

/// How patients reach a practice and when: its time zone, office number
/// and after-hours line.
#[derive(Clone, Copy, Debug)]
pub struct PracticeContact<'a> {
    pub time_zone: &'a str,
    pub phone: Option<&'a str>,
    /// Called when the office is closed and something cannot wait (an
    /// answering service or on-call line).
    pub after_hours_phone: Option<&'a str>,
}

fn check_phone(field: &'static str, subject: &str, phone: Option<&str>) -> Result<(), ServiceError> {
    match phone {
        Some(p) if p.len() > 32 || !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) => {
            Err(ServiceError::invalid(field, subject, "must be a telephone number"))
        }
        _ => Ok(()),
    }
}

impl Switchboard {
    /// Sets a practice's time zone, phone numbers and weekly office hours.
    pub async fn set_practice_details(
        &self,
        practice: PracticeId,
        contact: PracticeContact<'_>,
        hours: &[OpeningPeriod],
        actor: AuditActor,
    ) -> Result<(), ServiceError> {
        switchboard_domain::hours::time_zone(contact.time_zone)
            .map_err(|e| ServiceError::invalid("time_zone", "the time zone", e))?;
        check_phone("phone", "the phone number", contact.phone)?;
        check_phone("after_hours_phone", "the after-hours number", contact.after_hours_phone)?;
        let periods = hours
            .iter()
            .map(|h| switchboard_domain::hours::Period::new(h.weekday, h.opens_minute, h.closes_minute))
            .collect::<Result<Vec<_>, _>>()
            .and_then(switchboard_domain::hours::WeeklyHours::new)
            .map_err(|e| ServiceError::Invalid { field: "office_hours", problem: e.to_string() });
        periods?;
        let mut unit = Unit::new()
            .step(d::update_practice_contact(practice, contact.time_zone, contact.phone, contact.after_hours_phone))
            .step(d::clear_office_hours(practice))
            .audit(
                AuditRecord::new(self.now(), Some(practice), actor, AuditAction::PracticeUpdated)
                    .with_resource(ResourceKind::Practice, *practice.as_bytes()),
            );
        for h in hours {
            unit.push(d::insert_office_hours(
                practice,
                d::OfficeHoursRow {
                    weekday: i64::from(h.weekday),
                    opens_minute: i64::from(h.opens_minute),
                    closes_minute: i64::from(h.closes_minute),
                },
            ));
        }
        self.store().commit(unit).await.map_err(taken)?;
        self.forget_schedule(practice);
        Ok(())
    }

    /// Changes the caller's practice's time zone, phone numbers and weekly
    /// hours (practice administrators).
    pub async fn save_practice_hours(
        &self,
        p: &crate::Principal,
        contact: PracticeContact<'_>,
        hours: &[OpeningPeriod],
        ctx: &crate::RequestContext,
    ) -> Result<(), ServiceError> {
        use switchboard_domain::{audit::AuditAction, policy::PracticeAction};
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PracticeUpdated).await?;
        self.set_practice_details(p.user.practice, contact, hours, p.audit_actor()).await
    }

    /// The caller's practice: name, phone, time zone, office hours. No PHI.
    pub async fn practice_info(&self, p: &crate::Principal) -> Result<crate::views::PracticeInfo, ServiceError> {
        let practice = d::practice(self.store(), p.user.practice).await?.ok_or(ServiceError::NotFound)?;
        let hours = d::office_hours(self.store(), practice.id).await?;
        let (departments, care_teams) = match p.user.kind {
            UserKind::Staff => (
                d::departments(self.store(), practice.id).await?,
                switchboard_store::queries::accounts::care_teams(self.store(), practice.id).await?,
            ),
            UserKind::Patient => (Vec::new(), Vec::new()),
        };
        Ok(crate::views::PracticeInfo {
            departments,
            care_teams,
            name: practice.name,
            time_zone: practice.time_zone,
            phone: practice.phone,
            after_hours_phone: practice.after_hours_phone,
            office_hours: hours
                .iter()
                .filter_map(|h| {
                    Some((
                        u8::try_from(h.weekday).ok()?,
                        u16::try_from(h.opens_minute).ok()?,
                        u16::try_from(h.closes_minute).ok()?,
                    ))
                })
                .collect(),
        })
    }

    /// Colleagues who can take conversations: for staff only.
    pub async fn assignable_staff(&self, p: &crate::Principal) -> Result<Vec<crate::views::StaffMember>, ServiceError> {
        if p.user.kind != UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        let staff = d::active_staff(self.store(), p.user.practice).await?;
        Ok(staff
            .into_iter()
            .filter(|s| s.role.works_patient_conversations())
            .map(|s| crate::views::StaffMember { id: s.id, display_name: s.display_name, role: s.role })
            .collect())
    }
}
