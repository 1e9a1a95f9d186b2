//! Turning a notice for a person into delivery rows, one per medium they
//! can be reached by, each with the job that sends it: who is reachable
//! where (their choices, the practice's defaults, their addresses, SMS
//! opt-outs), and when (quiet hours).

use crate::sealing::{self, column};
use crate::{ServiceError, Switchboard};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{self, DeliveryState, Medium, NoticeKind, QuietHours, Reach};
use switchboard_domain::time::Timestamp;
use switchboard_store::Step;
use switchboard_store::queries::{deliveries as q, directory as d, jobs as job_q, keys as keys_q};
use switchboard_store::rows::WrappedKeyRow;

/// The job that sends one delivery; its payload is the delivery's id.
pub const DELIVER: &str = "deliver";

/// Attempts at one delivery before it is marked failed (10 s doubling:
/// about an hour and a half of an SMTP server being down).
pub(crate) const DELIVERY_TRIES: i64 = 10;

/// Something to tell one person.
pub(crate) struct Notice {
    pub practice: PracticeId,
    pub kind: NoticeKind,
    /// Their account, if they have one.
    pub user: Option<UserId>,
    /// The patient it is for or about (for the patient's record).
    pub patient: Option<PatientId>,
    /// The path the message links to (`/welcome#token=…`, `/app/`); it
    /// may carry a secret, so it is sealed.
    pub path: String,
    /// What called for it: the same cause never makes a second delivery
    /// by the same medium.
    pub cause: String,
}

/// Where one person can be reached by one medium.
pub(crate) enum Destination {
    Email(String),
    Phone(String),
    Push(PushSubscriptionId),
}

impl Destination {
    pub fn medium(&self) -> Medium {
        match self {
            Destination::Email(_) => Medium::Email,
            Destination::Phone(_) => Medium::Sms,
            Destination::Push(_) => Medium::Push,
        }
    }

    /// The sealed form: the medium, a newline, the address.
    fn to_text(&self) -> String {
        match self {
            Destination::Email(a) => format!("email\n{a}"),
            Destination::Phone(n) => format!("sms\n{n}"),
            Destination::Push(s) => format!("push\n{s}"),
        }
    }

    pub fn from_text(text: &str) -> Option<Self> {
        let (medium, rest) = text.split_once('\n')?;
        match medium {
            "email" => Some(Destination::Email(rest.to_owned())),
            "sms" => Some(Destination::Phone(rest.to_owned())),
            "push" => PushSubscriptionId::parse(rest).ok().map(Destination::Push),
            _ => None,
        }
    }
}

/// A person's reach and quiet hours after their own choices and the
/// practice's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectiveChoices {
    pub reach: Reach,
    pub quiet: Option<QuietHours>,
}

pub(crate) fn parse_reach(text: &str) -> Reach {
    let mut r = Reach::default();
    for m in text.split(',').filter_map(|m| Medium::parse(m.trim())) {
        match m {
            Medium::Email => r.email = true,
            Medium::Sms => r.sms = true,
            Medium::Push => r.push = true,
        }
    }
    r
}

pub(crate) fn reach_text(r: Reach) -> String {
    r.media().map(Medium::as_str).collect::<Vec<_>>().join(",")
}

pub(crate) fn quiet_hours(from: Option<i64>, to: Option<i64>) -> Option<QuietHours> {
    let (from, to) = (u16::try_from(from?).ok()?, u16::try_from(to?).ok()?);
    QuietHours::new(from, to).ok()
}

impl Switchboard {
    /// The number's fingerprint in the opt-out list (keyed: the number is
    /// PHI, and the key is outside the database).
    pub(crate) fn sms_number_index(&self, e164: &str) -> [u8; 32] {
        self.keys().fingerprint("sms.opt_out", &[e164.as_bytes()])
    }

    /// What a user has chosen, over the practice's defaults.
    pub(crate) async fn effective_choices(
        &self,
        practice: PracticeId,
        user: Option<UserId>,
        staff: bool,
    ) -> Result<EffectiveChoices, ServiceError> {
        let mut defaults = q::practice_defaults(self.store(), practice).await?.ok_or(ServiceError::NotFound)?;
        // The practice's defaults are for its patients; staff start with
        // push alone, and no quiet hours.
        if staff {
            defaults = q::ReachRow {
                reach: Some(reach_text(super::staff::STAFF_DEFAULT_REACH)),
                quiet_from: None,
                quiet_to: None,
            };
        }
        let own = match user {
            Some(u) => q::preferences(self.store(), u).await?,
            None => None,
        };
        let reach = own
            .as_ref()
            .and_then(|o| o.reach.as_deref())
            .or(defaults.reach.as_deref())
            .map(parse_reach)
            .unwrap_or_default();
        let quiet = match &own {
            Some(o) if o.quiet_from.is_some() || o.reach.is_some() => quiet_hours(o.quiet_from, o.quiet_to),
            _ => quiet_hours(defaults.quiet_from, defaults.quiet_to),
        };
        Ok(EffectiveChoices { reach, quiet })
    }

    /// Where a patient can be reached: the addresses on their record and
    /// their browsers' push subscriptions, limited to `reach`.
    pub(crate) async fn patient_destinations(
        &self,
        patient: Option<PatientId>,
        user: Option<UserId>,
        reach: Reach,
    ) -> Result<Vec<Destination>, ServiceError> {
        let mut out = Vec::new();
        // Contact details live on the patient record: an account without
        // one (a caregiver who is not a patient here) is reached by push.
        if let Some(patient) = patient
            && (reach.email || reach.sms)
        {
            let row = d::patient_by_id(self.store(), patient).await?.ok_or(ServiceError::NotFound)?;
            let (email_ct, phone_ct) = d::patient_contact(self.store(), patient).await?.unwrap_or_default();
            let key = sealing::data_key(self.keys(), &row.key)?;
            if reach.email
                && let Some(ct) = email_ct
            {
                out.push(Destination::Email(sealing::open(&key, column::EMAIL, patient.as_bytes(), &ct)?));
            }
            if reach.sms
                && let Some(ct) = phone_ct
            {
                // A number that cannot be written in E.164 cannot be texted.
                let number = sealing::open(&key, column::PHONE, patient.as_bytes(), &ct)?;
                out.extend(notify::e164(&number).map(Destination::Phone));
            }
        }
        if reach.push
            && let Some(u) = user
        {
            out.extend(q::push_subscriptions(self.store(), u).await?.into_iter().map(Destination::Push));
        }
        Ok(out)
    }

    /// The steps that queue `notice` to each destination: a sealed
    /// delivery row and its sending job, held until `release_at` (the end
    /// of quiet hours). A number that texted STOP gets an `opted_out` row
    /// and no job.
    pub(crate) async fn notice_steps(
        &self,
        notice: &Notice,
        destinations: &[Destination],
        release_at: Timestamp,
    ) -> Result<Vec<Step>, ServiceError> {
        let now = self.now();
        let mut steps = Vec::new();
        for dest in destinations {
            let id = self.new_id(DeliveryId::from_bytes)?;
            let key_id = self.new_id(DataKeyId::from_bytes)?;
            let (key, wrapped) = self.keys().new_data_key(*key_id.as_bytes()).map_err(|_| ServiceError::Internal)?;
            let opted_out = match dest {
                Destination::Phone(n) => q::opted_out_since(self.store(), &self.sms_number_index(n)).await?.is_some(),
                _ => false,
            };
            let state = if opted_out { DeliveryState::OptedOut } else { DeliveryState::Queued };
            steps.push(keys_q::insert(
                &WrappedKeyRow { id: key_id, kek_id: wrapped.kek_id, wrapped: wrapped.bytes },
                notice.practice,
                now,
            ));
            steps.push(q::insert(q::NewDelivery {
                id,
                practice: notice.practice,
                cause: &notice.cause,
                medium: dest.medium(),
                kind: notice.kind,
                user: notice.user,
                patient: notice.patient,
                key: key_id,
                address_ct: sealing::seal(&key, column::DELIVERY_ADDRESS, id.as_bytes(), &dest.to_text())?,
                link_ct: sealing::seal(&key, column::DELIVERY_LINK, id.as_bytes(), &notice.path)?,
                state,
                reason: opted_out.then_some("sms_opted_out"),
                at: now,
            }));
            if !opted_out {
                let job = self.new_id(JobId::from_bytes)?;
                steps.push(job_q::enqueue(job, DELIVER, &id.to_string(), release_at, DELIVERY_TRIES + 2, None, now));
            }
        }
        Ok(steps)
    }

    /// When a notice made now may go, given the recipient's quiet hours
    /// in the practice's time zone.
    pub(crate) async fn release_time(
        &self,
        practice: PracticeId,
        kind: NoticeKind,
        quiet: Option<QuietHours>,
    ) -> Result<Timestamp, ServiceError> {
        let now = self.now();
        let Some(quiet) = quiet.filter(|_| !kind.ignores_quiet_hours()) else { return Ok(now) };
        let schedule = self.practice_schedule(practice).await?;
        Ok(quiet.held_until(schedule.calendar.zone(), now).unwrap_or(now))
    }

    /// The steps that queue `notice` for a patient by every medium their
    /// choices allow (or only `only`, when staff chose one), or none if the
    /// cause already made deliveries; and how many were queued.
    pub(crate) async fn patient_notice_steps(
        &self,
        notice: &Notice,
        only: Option<Medium>,
    ) -> Result<(Vec<Step>, usize), ServiceError> {
        if notice.patient.is_none() && notice.user.is_none() {
            return Ok((Vec::new(), 0));
        }
        if q::cause_exists(self.store(), &notice.cause).await? {
            return Ok((Vec::new(), 0));
        }
        let choices = self.effective_choices(notice.practice, notice.user, false).await?;
        let mut reach = match only {
            Some(m) => Reach { email: m == Medium::Email, sms: m == Medium::Sms, push: m == Medium::Push },
            None => choices.reach,
        };
        // A patient who unsubscribed from reminder emails gets none; their
        // other notices go as they chose.
        if notice.kind.is_reminder()
            && reach.email
            && let Some(user) = notice.user
            && q::reminder_emails_off_since(self.store(), user).await?.is_some()
        {
            reach.email = false;
        }
        let destinations = self.patient_destinations(notice.patient, notice.user, reach).await?;
        let release = self.release_time(notice.practice, notice.kind, choices.quiet).await?;
        let steps = self.notice_steps(notice, &destinations, release).await?;
        Ok((steps, destinations.len()))
    }

    /// [`Self::patient_notice_steps`], committed.
    pub(crate) async fn notify_patient(&self, notice: Notice, only: Option<Medium>) -> Result<usize, ServiceError> {
        let (steps, queued) = self.patient_notice_steps(&notice, only).await?;
        if !steps.is_empty() {
            self.store().commit(switchboard_store::Unit::new().steps(steps)).await?;
        }
        Ok(queued)
    }
}
