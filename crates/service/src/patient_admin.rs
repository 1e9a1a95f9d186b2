//! Patients as a practice administers them: records with contact details,
//! the patient list with enrollment state, invitations, and the import
//! from an EHR export that is all-or-nothing and safe to run again.

use crate::auth::Principal;
use crate::delivery::{Delivery, Notice};
use crate::directory::taken;
use crate::enrollment::EnrollmentStandings;
use crate::onboarding::{IssuedLink, LinkRequest};
use crate::refusals::Target;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_crypto::DataKey;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::enrollment::Acceptance;
use switchboard_domain::ids::*;
use switchboard_domain::notify::NoticeKind;
use switchboard_domain::onboarding::{self as ob, Channel, ImportRow, LineError, LinkPurpose};
use switchboard_domain::policy::{self, PatientAction, PracticeAction};
use switchboard_domain::text::{EmailAddress, MedicalRecordNumber, PersonName, PhoneNumber};
use switchboard_domain::time::{CivilDate, Timestamp};
use switchboard_store::queries::{accounts as q, directory as d, keys as key_q};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Conflict, StoreError, Unit};

/// A patient's record as text: what an administrator submits, and what
/// the patient list reads back (decrypted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatientRecord {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub mrn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A patient record as an administrator submits it, with where the
/// patient is placed.
#[derive(Clone, Debug, Default)]
pub struct PatientInput {
    pub record: PatientRecord,
    pub care_team: Option<CareTeamId>,
    pub department: Option<DepartmentId>,
}

/// A patient input that passed every rule.
struct Checked {
    given: PersonName,
    family: PersonName,
    birth: CivilDate,
    mrn: Option<MedicalRecordNumber>,
    email: Option<EmailAddress>,
    phone: Option<PhoneNumber>,
    care_team: Option<CareTeamId>,
    department: Option<DepartmentId>,
}

/// A patient in the administrators' list.
#[derive(Clone, Debug)]
pub struct PatientAccountView {
    pub id: PatientId,
    pub record: PatientRecord,
    pub care_team: Option<String>,
    pub department: Option<String>,
    pub care_team_id: Option<CareTeamId>,
    pub department_id: Option<DepartmentId>,
    pub user: Option<UserId>,
    pub username: Option<String>,
    pub active: Option<bool>,
    pub last_sign_in_at: Option<Timestamp>,
    /// When the patient asked for a password reset that nobody has
    /// answered yet (within the last week).
    pub reset_requested_at: Option<Timestamp>,
    /// `enrolled`, `not_invited`, or the latest invitation's state
    /// (`sent`, `opened`, `expired`, `revoked`).
    pub enrollment: &'static str,
    pub invitation: Option<InvitationView>,
    /// Whether the practice's soft launch includes them.
    pub messaging_open: bool,
    /// Their latest acceptance of the messaging terms, and whether it is of
    /// the version in force.
    pub terms: Option<Acceptance>,
    pub terms_current: bool,
}

#[derive(Clone, Debug)]
pub struct InvitationView {
    pub id: LinkId,
    pub channel: &'static str,
    pub state: &'static str,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What an import did, or would do.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<LineError>,
    pub applied: bool,
}

impl Switchboard {
    fn check_patient(&self, input: &PatientInput) -> Result<Checked, ServiceError> {
        let PatientInput { record: input, care_team, department } = input;
        let opt = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(Checked {
            given: PersonName::parse(&input.given_name)
                .map_err(|e| ServiceError::invalid("given_name", "the given name", e))?,
            family: PersonName::parse(&input.family_name)
                .map_err(|e| ServiceError::invalid("family_name", "the family name", e))?,
            birth: CivilDate::parse(&input.birth_date).map_err(|_| ServiceError::Invalid {
                field: "birth_date",
                problem: "the date of birth must be a date as YYYY-MM-DD".into(),
            })?,
            mrn: opt(&input.mrn)
                .map(|m| MedicalRecordNumber::parse(&m))
                .transpose()
                .map_err(|e| ServiceError::invalid("mrn", "the medical record number", e))?,
            email: opt(&input.email).map(|e| EmailAddress::parse(&e)).transpose().map_err(|_| {
                ServiceError::Invalid { field: "email", problem: "that is not an email address".into() }
            })?,
            phone: opt(&input.phone)
                .map(|p| PhoneNumber::parse(&p))
                .transpose()
                .map_err(|e| ServiceError::invalid("phone", "the phone number", e))?,
            care_team: *care_team,
            department: *department,
        })
    }

    /// `input` checked by every rule, its care team and department among
    /// the practice's.
    async fn checked_patient(&self, practice: PracticeId, input: &PatientInput) -> Result<Checked, ServiceError> {
        let c = self.check_patient(input)?;
        if let Some(t) = c.care_team
            && !q::care_teams(self.store(), practice).await?.iter().any(|(id, _)| *id == t)
        {
            return Err(ServiceError::Invalid { field: "care_team_id", problem: "no such care team".into() });
        }
        if let Some(dep) = c.department
            && d::department_name_of(self.store(), practice, dep).await?.is_none()
        {
            return Err(ServiceError::Invalid { field: "department_id", problem: "no such department".into() });
        }
        Ok(c)
    }

    fn sealed_patient(
        &self,
        id: PatientId,
        practice: PracticeId,
        dek_id: DataKeyId,
        dek: &DataKey,
        c: &Checked,
    ) -> Result<d::NewPatient, ServiceError> {
        let row = id.as_bytes();
        let seal = |col: &str, text: &str| sealing::seal(dek, col, row, text);
        Ok(d::NewPatient {
            id,
            practice,
            user: None,
            department: c.department,
            care_team: c.care_team,
            dek: dek_id,
            given_name_ct: seal(column::GIVEN_NAME, c.given.as_str())?,
            family_name_ct: seal(column::FAMILY_NAME, c.family.as_str())?,
            birth_date_ct: seal(column::BIRTH_DATE, &c.birth.to_string())?,
            mrn_index: c.mrn.as_ref().map(|m| self.mrn_index(practice, m)),
            mrn_ct: c.mrn.as_ref().map(|m| seal(column::MRN, m.as_str())).transpose()?,
            email_ct: c.email.as_ref().map(|e| seal(column::EMAIL, e.as_str())).transpose()?,
            phone_ct: c.phone.as_ref().map(|p| seal(column::PHONE, p.as_str())).transpose()?,
            at: self.now(),
        })
    }

    /// Adds a patient record (practice administrators). A medical record
    /// number already on file is refused: the import updates instead.
    pub async fn add_patient_record(
        &self,
        p: &Principal,
        input: PatientInput,
        ctx: &RequestContext,
    ) -> Result<PatientId, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PatientCreated).await?;
        let practice = p.user.practice;
        let c = self.checked_patient(practice, &input).await?;
        let id = self.new_id(PatientId::from_bytes)?;
        let dek_id = self.new_id(DataKeyId::from_bytes)?;
        let (dek, wrapped) = self.keys().new_data_key(*dek_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
        let row = self.sealed_patient(id, practice, dek_id, &dek, &c)?;
        let unit = Unit::new()
            .step(key_q::insert(
                &WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
                practice,
                self.now(),
            ))
            .step(d::insert_patient(row));
        self.commit_patient_record(p, ctx, AuditAction::PatientCreated, id, unit).await?;
        Ok(id)
    }

    /// Changes a patient record (practice administrators).
    pub async fn update_patient_record(
        &self,
        p: &Principal,
        patient: PatientId,
        input: PatientInput,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PatientUpdated).await?;
        let practice = p.user.practice;
        let existing = match d::patient_by_id(self.store(), patient).await? {
            Some(r) if r.practice == practice => r,
            found => {
                let target = match found {
                    Some(r) => Target::owned(r.practice, Some(patient), ResourceKind::Patient, *patient.as_bytes()),
                    None => Target::missing(ResourceKind::Patient, *patient.as_bytes()),
                };
                return Err(self
                    .deny(p, ctx, AuditAction::PatientUpdated, target, "denied:other_practice".into())
                    .await);
            }
        };
        let c = self.checked_patient(practice, &input).await?;
        let dek = sealing::data_key(self.keys(), &existing.key)?;
        let row = self.sealed_patient(patient, practice, existing.key.id, &dek, &c)?;
        let unit = Unit::new().step(d::update_patient(&row));
        self.commit_patient_record(p, ctx, AuditAction::PatientUpdated, patient, unit).await
    }

    /// Commits the write of one patient record with its audit record. A
    /// record gone meanwhile is "not found"; any other conflict is the
    /// medical record number, the one unique value a record holds.
    async fn commit_patient_record(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        action: AuditAction,
        patient: PatientId,
        unit: Unit,
    ) -> Result<(), ServiceError> {
        let rec = self
            .record(p, ctx, action)
            .with_resource(ResourceKind::Patient, *patient.as_bytes())
            .with_patient(Some(patient));
        match self.store().commit(unit.audit(rec)).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(Conflict::PatientMissing)) => Err(ServiceError::NotFound),
            Err(StoreError::Conflict(_)) => {
                Err(ServiceError::Conflict("a patient with this medical record number is already on file"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A page of the patients the caller may enroll, with contact details,
    /// enrollment and last sign-in: every patient of the practice for its
    /// administrators, the patients of their care teams and departments for
    /// colleagues who work conversations. Each patient shown is an audited
    /// read.
    pub async fn patient_accounts(
        &self,
        p: &Principal,
        offset: i64,
        limit: i64,
        ctx: &RequestContext,
    ) -> Result<Vec<PatientAccountView>, ServiceError> {
        let scope = policy::patient_list_scope(&p.actor);
        if scope == policy::PatientListScope::Nothing {
            let why = format!("denied:{}", policy::Denial::RoleNotPermitted.as_str());
            let target = Target::practice(p.user.practice);
            return Err(self.deny(p, ctx, AuditAction::PatientsListed, target, why).await);
        }
        let practice = p.user.practice;
        let admin = matches!(scope, policy::PatientListScope::Practice(_));
        let rows = d::patients_page(self.store(), &scope, offset.max(0), limit.clamp(1, 200)).await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| {
                policy::authorize_patient(
                    &p.actor,
                    PatientAction::ManageEnrollment,
                    &crate::access::patient_facts(&r.patient),
                )
                .is_allowed()
            })
            .collect();
        let invitations = q::latest_invitations(self.store(), practice).await?;
        let standings = self.enrollment_standings(practice).await?;
        let now = self.now();
        let mut out = Vec::with_capacity(rows.len());
        let mut unit = Unit::new();
        for r in rows {
            out.push(self.account_view(&r, &invitations, &standings, admin, now)?);
            unit.push_audit(
                self.record(p, ctx, AuditAction::PatientsListed)
                    .with_resource(ResourceKind::Patient, *r.patient.id.as_bytes())
                    .with_patient(Some(r.patient.id)),
            );
        }
        // The reads are on record before the data leaves.
        self.store().commit(unit).await?;
        Ok(out)
    }

    /// One patient as the patient list shows them (decrypted here).
    fn account_view(
        &self,
        r: &d::PatientAdminRow,
        invitations: &[q::LinkRow],
        standings: &EnrollmentStandings,
        admin: bool,
        now: Timestamp,
    ) -> Result<PatientAccountView, ServiceError> {
        let pr = &r.patient;
        let dek = sealing::data_key(self.keys(), &pr.key)?;
        let invitation = invitations.iter().find(|l| l.patient == Some(pr.id)).map(|l| InvitationView {
            id: l.id,
            channel: l.channel.as_str(),
            state: ob::state(&l.facts, now).as_str(LinkPurpose::Invitation),
            sent_at: l.created_at,
            expires_at: l.facts.expires_at,
        });
        let enrollment = match (&r.username, &invitation) {
            (Some(_), _) => "enrolled",
            (None, Some(i)) => i.state,
            (None, None) => "not_invited",
        };
        Ok(PatientAccountView {
            id: pr.id,
            record: open_record(&dek, r)?,
            care_team: pr.care_team_name.clone(),
            department: pr.department_name.clone(),
            care_team_id: pr.care_team,
            department_id: pr.department,
            user: pr.user,
            username: r.username.clone(),
            active: r.active,
            last_sign_in_at: r.last_login_at,
            // Only administrators can answer a reset request.
            reset_requested_at: ob::unanswered_reset(r.reset_requested_at, now).filter(|_| admin),
            enrollment,
            invitation,
            messaging_open: standings.open(pr.id),
            terms: standings.accepted(pr.id),
            terms_current: standings.accepted(pr.id).is_some_and(|a| a.version >= standings.current),
        })
    }

    /// One patient of the list, for their page: the record, enrollment and
    /// how many conversations they have open and closed (counts, not
    /// contents: those who work the patient's conversations list them
    /// through the conversations API). Refused like the list would refuse.
    pub async fn patient_account(
        &self,
        p: &Principal,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<(PatientAccountView, i64, i64), ServiceError> {
        let Some(r) = d::patient_admin_by_id(self.store(), patient).await? else {
            let target = Target::missing(ResourceKind::Patient, *patient.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::PatientsListed, target, "denied:not_found".into()).await);
        };
        let decision = policy::authorize_patient(
            &p.actor,
            PatientAction::ManageEnrollment,
            &crate::access::patient_facts(&r.patient),
        );
        if let policy::Decision::Deny(why) = decision {
            let detail = format!("denied:{}", why.as_str());
            let target = Target::owned(r.patient.practice, Some(patient), ResourceKind::Patient, *patient.as_bytes());
            return Err(self.deny(p, ctx, AuditAction::PatientsListed, target, detail).await);
        }
        let admin = matches!(policy::patient_list_scope(&p.actor), policy::PatientListScope::Practice(_));
        let invitations = q::latest_invitations(self.store(), p.user.practice).await?;
        let standings = self.enrollment_standings(p.user.practice).await?;
        let view = self.account_view(&r, &invitations, &standings, admin, self.now())?;
        let (open, closed) =
            switchboard_store::queries::conversations::counts_for_patient(self.store(), patient).await?;
        let rec = self
            .record(p, ctx, AuditAction::PatientsListed)
            .with_resource(ResourceKind::Patient, *patient.as_bytes())
            .with_patient(Some(patient))
            .with_detail("context=patient_page");
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok((view, open, closed))
    }

    /// Invites a patient to enroll (administrators, or staff who care for
    /// the patient). The link is shown once to hand over; until email and
    /// SMS delivery exist, that is how it reaches the patient. Earlier open
    /// invitations stop working.
    pub async fn invite_patient(
        &self,
        p: &Principal,
        patient: PatientId,
        channel: Option<Channel>,
        ctx: &RequestContext,
    ) -> Result<IssuedLink, ServiceError> {
        let row = self.patient_for_invitation(p, patient, AuditAction::LinkIssued, ctx).await?;
        let bad_channel =
            || ServiceError::Invalid { field: "channel", problem: "the channel must be email, sms or desk".into() };
        let channel = channel.ok_or_else(bad_channel)?;
        if row.patient.user.is_some() {
            return Err(ServiceError::Conflict("this patient is already enrolled"));
        }
        self.require_messaging_open(
            row.patient.practice,
            patient,
            "patient messaging is not on for this patient yet: add them to the launch on the setup page first",
        )
        .await?;
        let on_file = match channel {
            Channel::Email => row.email_ct.is_some(),
            Channel::Sms => row.phone_ct.is_some(),
            Channel::Desk => true,
            Channel::None => return Err(bad_channel()),
        };
        if !on_file {
            let what = if channel == Channel::Email { "email address" } else { "mobile number" };
            return Err(ServiceError::Invalid {
                field: "channel",
                problem: format!(
                    "this patient has no {what} on file: add it to the record, or hand the link over at the desk"
                ),
            });
        }
        let row = row.patient;
        let now = self.now();
        let (step, link) = self.new_link(LinkRequest::invitation(row.practice, patient, channel, p.user.id)).await?;
        // By email or SMS, the link leaves with the invitation's commit.
        let sent = match link.delivery {
            Delivery::Queued(medium) => {
                let notice = Notice {
                    practice: row.practice,
                    kind: NoticeKind::Invitation,
                    user: None,
                    patient: Some(patient),
                    path: link.path.clone(),
                    cause: format!("link:{}", link.id),
                };
                self.patient_notice_steps(&notice, Some(medium)).await?.0
            }
            Delivery::HandOver | Delivery::Undelivered => Vec::new(),
        };
        let unit = Unit::new()
            .step(q::revoke_open_links(LinkPurpose::Invitation, None, Some(patient), now))
            .step(step)
            .steps(sent)
            .audit(
                self.record(p, ctx, AuditAction::LinkIssued)
                    .with_resource(ResourceKind::Link, *link.id.as_bytes())
                    .with_patient(Some(patient))
                    .with_detail(format!("purpose=invitation;channel={}", channel.as_str())),
            );
        self.store().commit(unit).await?;
        Ok(link)
    }

    /// Revokes a patient's open invitation.
    pub async fn revoke_invitation(
        &self,
        p: &Principal,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let row = self.patient_for_invitation(p, patient, AuditAction::LinkRevoked, ctx).await?.patient;
        let now = self.now();
        let open = q::links_for_patient(self.store(), patient)
            .await?
            .into_iter()
            .find(|l| ob::redeemable(&l.facts, now).is_ok())
            .ok_or(ServiceError::NotFound)?;
        let unit = Unit::new().step(q::revoke_link(open.id, row.practice, now)).audit(
            self.record(p, ctx, AuditAction::LinkRevoked)
                .with_resource(ResourceKind::Link, *open.id.as_bytes())
                .with_patient(Some(patient)),
        );
        self.store().commit(unit).await?;
        Ok(())
    }

    /// The patient, if the caller may manage their enrollment; a refusal
    /// is audited and looks like a missing patient.
    pub(crate) async fn patient_for_invitation(
        &self,
        p: &Principal,
        patient: PatientId,
        action: AuditAction,
        ctx: &RequestContext,
    ) -> Result<d::PatientAdminRow, ServiceError> {
        let row = d::patient_admin_by_id(self.store(), patient).await?;
        let decision = match &row {
            Some(r) => policy::authorize_patient(
                &p.actor,
                PatientAction::ManageEnrollment,
                &crate::access::patient_facts(&r.patient),
            ),
            None => policy::Decision::Deny(policy::Denial::OtherPractice),
        };
        match (row, decision) {
            (Some(row), policy::Decision::Allow) => Ok(row),
            (row, policy::Decision::Deny(why)) => {
                let target = match row {
                    Some(r) => {
                        Target::owned(r.patient.practice, Some(patient), ResourceKind::Patient, *patient.as_bytes())
                    }
                    None => Target::missing(ResourceKind::Patient, *patient.as_bytes()),
                };
                Err(self.deny(p, ctx, action, target, format!("denied:{}", why.as_str())).await)
            }
            (None, policy::Decision::Allow) => Err(ServiceError::NotFound),
        }
    }

    /// Imports patients from an EHR export (CSV). Every row is checked
    /// first; any problem and nothing is imported, with each problem by
    /// line. Patients are matched by medical record number: a match is
    /// updated (or left alone if nothing changed), so running the same file
    /// again changes nothing. `dry_run` reports without writing.
    pub async fn import_patients(
        &self,
        p: &Principal,
        csv: &str,
        dry_run: bool,
        ctx: &RequestContext,
    ) -> Result<ImportReport, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PatientsImported).await?;
        let practice = p.user.practice;
        let rows = match ob::parse_import(csv) {
            Ok(rows) => rows,
            Err(errors) => return Ok(ImportReport { errors, ..ImportReport::default() }),
        };
        let teams = q::care_teams(self.store(), practice).await?;
        let departments = d::departments(self.store(), practice).await?;
        let mut errors = Vec::new();
        let mut placed = Vec::with_capacity(rows.len());
        for r in rows {
            let team = match &r.care_team {
                None => None,
                Some(name) => match teams.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
                    Some((id, _)) => Some(*id),
                    None => {
                        errors.push(LineError {
                            line: r.line,
                            field: "care_team".into(),
                            problem: "no care team by that name".into(),
                        });
                        None
                    }
                },
            };
            let dep = match &r.department {
                None => None,
                Some(name) => match departments.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
                    Some((id, _)) => Some(*id),
                    None => {
                        errors.push(LineError {
                            line: r.line,
                            field: "department".into(),
                            problem: "no department by that name".into(),
                        });
                        None
                    }
                },
            };
            placed.push((r, team, dep));
        }
        if !errors.is_empty() {
            return Ok(ImportReport { errors, ..ImportReport::default() });
        }
        let mut report = ImportReport::default();
        let mut unit = Unit::new();
        let now = self.now();
        let indexes: Vec<Vec<u8>> = placed.iter().map(|(r, _, _)| self.mrn_index(practice, &r.mrn)).collect();
        let mut on_file: std::collections::HashMap<Vec<u8>, d::PatientAdminRow> =
            d::patients_by_mrn_indexes(self.store(), practice, &indexes)
                .await?
                .into_iter()
                .filter_map(|row| row.mrn_index.clone().map(|i| (i, row)))
                .collect();
        for ((r, team, dep), index) in placed.into_iter().zip(indexes) {
            let checked = checked_from_import(&r, team, dep);
            match on_file.remove(&index) {
                Some(existing) => {
                    let dek = sealing::data_key(self.keys(), &existing.patient.key)?;
                    if self.same_as_on_file(&existing, &dek, &checked)? {
                        report.unchanged += 1;
                        continue;
                    }
                    let id = existing.patient.id;
                    unit.push(d::update_patient(&self.sealed_patient(
                        id,
                        practice,
                        existing.patient.key.id,
                        &dek,
                        &checked,
                    )?));
                    unit.push_audit(
                        self.record(p, ctx, AuditAction::PatientUpdated)
                            .with_resource(ResourceKind::Patient, *id.as_bytes())
                            .with_patient(Some(id))
                            .with_detail("import"),
                    );
                    report.updated += 1;
                }
                None => {
                    let id = self.new_id(PatientId::from_bytes)?;
                    let dek_id = self.new_id(DataKeyId::from_bytes)?;
                    let (dek, wrapped) =
                        self.keys().new_data_key(*dek_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
                    unit.push(key_q::insert(
                        &WrappedKeyRow { id: dek_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
                        practice,
                        now,
                    ));
                    unit.push(d::insert_patient(self.sealed_patient(id, practice, dek_id, &dek, &checked)?));
                    unit.push_audit(
                        self.record(p, ctx, AuditAction::PatientCreated)
                            .with_resource(ResourceKind::Patient, *id.as_bytes())
                            .with_patient(Some(id))
                            .with_detail("import"),
                    );
                    report.created += 1;
                }
            }
        }
        if dry_run {
            return Ok(report);
        }
        unit.push_audit(
            self.record(p, ctx, AuditAction::PatientsImported)
                .with_resource(ResourceKind::Practice, *practice.as_bytes())
                .with_detail(format!(
                    "created={};updated={};unchanged={}",
                    report.created, report.updated, report.unchanged
                )),
        );
        self.store().commit(unit).await.map_err(taken)?;
        report.applied = true;
        Ok(report)
    }

    fn same_as_on_file(&self, existing: &d::PatientAdminRow, dek: &DataKey, c: &Checked) -> Result<bool, ServiceError> {
        let pr = &existing.patient;
        Ok(open_record(dek, existing)? == c.record() && pr.care_team == c.care_team && pr.department == c.department)
    }
}

/// A patient's record, decrypted: the one place that opens its columns.
fn open_record(dek: &DataKey, r: &d::PatientAdminRow) -> Result<PatientRecord, ServiceError> {
    let pr = &r.patient;
    let id = pr.id.as_bytes();
    let open = |col: &'static str, ct: &Option<Vec<u8>>| -> Result<Option<String>, ServiceError> {
        ct.as_ref().map(|x| sealing::open(dek, col, id, x)).transpose()
    };
    Ok(PatientRecord {
        given_name: sealing::open(dek, column::GIVEN_NAME, id, &pr.given_name_ct)?,
        family_name: sealing::open(dek, column::FAMILY_NAME, id, &pr.family_name_ct)?,
        birth_date: sealing::open(dek, column::BIRTH_DATE, id, &pr.birth_date_ct)?,
        mrn: open(column::MRN, &pr.mrn_ct)?,
        email: open(column::EMAIL, &r.email_ct)?,
        phone: open(column::PHONE, &r.phone_ct)?,
    })
}

impl Checked {
    /// The record as it is stored (each value in its normal form), to
    /// compare with what is on file.
    fn record(&self) -> PatientRecord {
        PatientRecord {
            given_name: self.given.as_str().to_owned(),
            family_name: self.family.as_str().to_owned(),
            birth_date: self.birth.to_string(),
            mrn: self.mrn.as_ref().map(|m| m.as_str().to_owned()),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
        }
    }
}

fn checked_from_import(r: &ImportRow, care_team: Option<CareTeamId>, department: Option<DepartmentId>) -> Checked {
    Checked {
        given: r.given_name.clone(),
        family: r.family_name.clone(),
        birth: r.birth_date,
        mrn: Some(r.mrn.clone()),
        email: r.email.clone(),
        phone: r.phone.clone(),
        care_team,
        department,
    }
}
