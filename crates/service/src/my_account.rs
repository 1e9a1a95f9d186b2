//! What people change about their own account: a patient's contact
//! details, and anyone's password.

use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, Outcome, ResourceKind};
use switchboard_domain::policy::{Actor, PatientActor};
use switchboard_domain::text::{EmailAddress, PasswordInput, PhoneNumber};
use switchboard_store::Unit;
use switchboard_store::queries::{accounts as q, directory as d};

/// How a patient can be reached, as they see and change it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactDetails {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Switchboard {
    /// The signed-in patient's contact details (their own record only).
    pub async fn my_contact(&self, p: &Principal, ctx: &RequestContext) -> Result<ContactDetails, ServiceError> {
        // Contact details live on one's own patient record (a caregiver who
        // is not a patient here has none).
        let Actor::Patient(PatientActor { patient: Some(own), .. }) = &p.actor else {
            return Err(ServiceError::NotFound);
        };
        let own = *own;
        let row = d::patient_by_id(self.store(), own).await?.ok_or(ServiceError::NotFound)?;
        let (email_ct, phone_ct) = d::patient_contact(self.store(), own).await?.unwrap_or_default();
        let key = sealing::data_key(self.keys(), &row.key)?;
        let open = |col: &'static str, ct: Option<Vec<u8>>| -> Result<Option<String>, ServiceError> {
            ct.map(|c| sealing::open(&key, col, own.as_bytes(), &c)).transpose()
        };
        let details = ContactDetails { email: open(column::EMAIL, email_ct)?, phone: open(column::PHONE, phone_ct)? };
        let rec = self
            .record(p, ctx, AuditAction::PatientsListed)
            .with_patient(Some(own))
            .with_resource(ResourceKind::Patient, *own.as_bytes())
            .with_detail("context=own_contact");
        self.store().commit(Unit::new().audit(rec)).await?;
        Ok(details)
    }

    /// The signed-in patient changes how they can be reached. Empty
    /// values clear a detail.
    pub async fn save_my_contact(
        &self,
        p: &Principal,
        input: ContactDetails,
        ctx: &RequestContext,
    ) -> Result<ContactDetails, ServiceError> {
        // Contact details live on one's own patient record (a caregiver who
        // is not a patient here has none).
        let Actor::Patient(PatientActor { patient: Some(own), .. }) = &p.actor else {
            return Err(ServiceError::NotFound);
        };
        let own = *own;
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let email = given(input.email)
            .map(|e| EmailAddress::parse(&e))
            .transpose()
            .map_err(|_| ServiceError::Invalid { field: "email", problem: "that is not an email address".into() })?;
        let phone = given(input.phone)
            .map(|v| PhoneNumber::parse(&v))
            .transpose()
            .map_err(|e| ServiceError::invalid("phone", "the phone number", e))?;
        let row = d::patient_by_id(self.store(), own).await?.ok_or(ServiceError::NotFound)?;
        let key = sealing::data_key(self.keys(), &row.key)?;
        let id = own.as_bytes();
        let email_ct = email.as_ref().map(|e| sealing::seal(&key, column::EMAIL, id, e.as_str())).transpose()?;
        let phone_ct = phone.as_ref().map(|v| sealing::seal(&key, column::PHONE, id, v.as_str())).transpose()?;
        let unit = Unit::new().step(d::update_patient_contact(own, email_ct, phone_ct)).audit(
            self.record(p, ctx, AuditAction::PatientUpdated)
                .with_patient(Some(own))
                .with_resource(ResourceKind::Patient, *id)
                .with_detail("contact_details"),
        );
        self.store().commit(unit).await?;
        Ok(ContactDetails { email: email.map(|e| e.as_str().to_owned()), phone: phone.map(|v| v.as_str().to_owned()) })
    }

    /// Anyone changes their own password, giving the current one. A wrong
    /// current password counts like a failed login; success ends the
    /// account's other sessions (this one stays signed in).
    pub async fn change_my_password(
        &self,
        p: &Principal,
        current: String,
        new: String,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let new = PasswordInput::parse(new).map_err(|e| ServiceError::invalid("password", "the new password", e))?;
        let current = PasswordInput::parse(current)
            .map_err(|e| ServiceError::invalid("current_password", "the current password", e))?;
        let now = self.now();
        let user = d::user_by_id(self.store(), p.user.id).await?.ok_or(ServiceError::NotFound)?;
        let practice_name = self.practice_name(user.practice).await?.unwrap_or_default();
        // 8 characters suffice when the account has a second factor.
        let has_second_factor = !self.second_factor_methods(user.id).await?.is_empty();
        let new = crate::directory::check_new_password(
            new.expose(),
            has_second_factor,
            &[user.username.as_str(), p.user.display_name.as_str(), practice_name.as_str()],
        )?;
        let attempt = match self.take_attempt(&user.username, ctx).await? {
            Ok(attempt) => attempt,
            Err(wait) => return Err(ServiceError::throttled(wait)),
        };
        let record =
            self.record(p, ctx, AuditAction::PasswordChanged).with_resource(ResourceKind::User, *user.id.as_bytes());
        if !self.verify_password(current.expose().to_owned(), Some(user.password_hash.clone())).await? {
            let unit = Unit::new().audit(record.with_outcome(Outcome::Failed).with_detail("wrong_password"));
            self.store().commit(unit).await?;
            return Err(ServiceError::Invalid {
                field: "current_password",
                problem: "that is not your current password".into(),
            });
        }
        let hash = self.hash_password(new.into_inner()).await?;
        let unit = Unit::new()
            .steps(attempt.success_steps())
            .step(q::set_password(user.id, &hash))
            .step(q::revoke_sessions(user.id, now, Some(&p.token_hash)))
            .audit(record);
        self.store().commit(unit).await?;
        Ok(())
    }
}
