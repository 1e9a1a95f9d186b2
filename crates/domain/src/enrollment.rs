//! Enrollment's two practice-wide rules: the messaging terms a patient
//! accepts (versioned, so the record says which words they agreed to, when
//! and how) and the soft launch (patient messaging on for everyone, or for
//! chosen cohorts first: departments, providers' panels, a list).
//!
//! The launch decides who may be invited and who may *start* a
//! conversation. A patient outside it still answers what the care team
//! sends them, and is never cut off from a conversation already open.

use crate::ids::{DepartmentId, PatientId, UserId};
use crate::text::{Lines, TextError, check_free_text};
use crate::time::Timestamp;
use std::fmt;

/// A version of a practice's messaging terms: 1 for the terms every
/// practice starts with, one more for each set published after.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TermsVersion(u32);

impl TermsVersion {
    pub const FIRST: TermsVersion = TermsVersion(1);

    /// A version as stored or submitted: 1 or more.
    pub fn new(n: i64) -> Option<Self> {
        u32::try_from(n).ok().filter(|n| *n >= 1).map(TermsVersion)
    }
    pub const fn get(self) -> u32 {
        self.0
    }
    /// The version published after this one.
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(TermsVersion)
    }
}

impl fmt::Display for TermsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The words of a set of messaging terms: not PHI, shown to every patient
/// of the practice.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TermsText(String);

impl TermsText {
    /// Room for terms several times the standard ones, and small enough
    /// that the request publishing them, however its characters are
    /// escaped, fits the API's 64 KiB body limit.
    pub const MAX_CHARS: usize = 5_000;
    /// Terms as an administrator wrote them; surrounding whitespace is
    /// removed.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::Many)?;
        if text.chars().count() < 40 {
            return Err(TextError::TooShort { min: 40 });
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
    /// The terms every practice starts with, until it publishes its own.
    pub fn standard() -> Self {
        Self(STANDARD_TERMS.to_owned())
    }
}

/// Version 1 of every practice's terms. Changing these words changes only
/// practices created afterwards: a practice's terms, once stored, are its
/// record of what its patients accepted.
pub const STANDARD_TERMS: &str = "\
Secure messaging is for questions that can wait: prescription refills, test results, appointments, billing and other non-urgent questions.

Do not use messages for emergencies. If you have a medical emergency, call 911. If you are thinking about harming yourself, call or text 988.

Your care team answers messages during office hours. The app tells you when to expect an answer. Messages sent in the evening, at the weekend or on holidays are answered on the next business day.

Your messages become part of your medical record. Staff of your practice who care for you, or who help run the practice, may read them.

We notify you by email, text message or on your device when you have a new message. These notices never contain health information; you sign in to read the message. You can choose how you are notified in Settings.

You can stop using secure messaging at any time by contacting the practice.";

/// How a patient accepted the terms.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AcceptedThrough {
    /// On the invitation page, as they enrolled.
    Invitation,
    /// In the app, when the practice's terms changed (or were first kept)
    /// after they enrolled.
    App,
}

impl AcceptedThrough {
    pub const ALL: [AcceptedThrough; 2] = [AcceptedThrough::Invitation, AcceptedThrough::App];
    pub const fn as_str(self) -> &'static str {
        match self {
            AcceptedThrough::Invitation => "invitation",
            AcceptedThrough::App => "app",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A patient's latest acceptance, as the rules need it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Acceptance {
    pub version: TermsVersion,
    pub at: Timestamp,
    pub through: AcceptedThrough,
}

/// Where a patient stands with their practice's current terms.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TermsStanding {
    /// They accepted the current version.
    Current,
    /// They accepted an earlier version: the app shows the new terms.
    Outdated { accepted: TermsVersion },
    /// They never accepted any (enrolled before terms were kept).
    Never,
}

impl TermsStanding {
    pub const fn as_str(self) -> &'static str {
        match self {
            TermsStanding::Current => "current",
            TermsStanding::Outdated { .. } => "outdated",
            TermsStanding::Never => "never",
        }
    }
}

/// `latest` measured against the practice's `current` version.
pub fn standing(latest: Option<&Acceptance>, current: TermsVersion) -> TermsStanding {
    match latest {
        Some(a) if a.version >= current => TermsStanding::Current,
        Some(a) => TermsStanding::Outdated { accepted: a.version },
        None => TermsStanding::Never,
    }
}

/// Whether a submitted acceptance is of the terms in force: a patient who
/// read a version that has since been replaced must read the new one.
pub fn accepts_current(submitted: Option<TermsVersion>, current: TermsVersion) -> Result<(), TermsRefusal> {
    match submitted {
        None => Err(TermsRefusal::NotAccepted),
        Some(v) if v == current => Ok(()),
        Some(_) => Err(TermsRefusal::Changed),
    }
}

/// Why an acceptance was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TermsRefusal {
    /// Nothing was accepted.
    NotAccepted,
    /// A version other than the one in force.
    Changed,
}

/// Who patient messaging is on for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RolloutMode {
    Everyone,
    /// Only the chosen cohorts (nobody, while none is chosen).
    Cohorts,
}

impl RolloutMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            RolloutMode::Everyone => "everyone",
            RolloutMode::Cohorts => "cohorts",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [RolloutMode::Everyone, RolloutMode::Cohorts].into_iter().find(|m| m.as_str() == s)
    }
}

/// What a cohort is made of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CohortKind {
    /// The patients placed in a department.
    Department,
    /// A provider's panel: patients whose care team the provider leads.
    Provider,
    /// One patient, named on a list.
    Patient,
}

impl CohortKind {
    pub const ALL: [CohortKind; 3] = [CohortKind::Department, CohortKind::Provider, CohortKind::Patient];
    pub const fn as_str(self) -> &'static str {
        match self {
            CohortKind::Department => "department",
            CohortKind::Provider => "provider",
            CohortKind::Patient => "patient",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A practice's soft launch.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rollout {
    pub mode: RolloutMode,
    pub departments: Vec<DepartmentId>,
    pub providers: Vec<UserId>,
    pub patients: Vec<PatientId>,
}

impl Rollout {
    /// Messaging on for every patient: how every practice starts.
    pub fn everyone() -> Self {
        Rollout { mode: RolloutMode::Everyone, departments: Vec::new(), providers: Vec::new(), patients: Vec::new() }
    }
}

/// Where a patient is placed, as the launch looks at them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Placement {
    pub patient: PatientId,
    pub department: Option<DepartmentId>,
    /// The provider who leads the patient's care team.
    pub provider: Option<UserId>,
}

/// Whether patient messaging is on for the patient placed so: for everyone,
/// or the patient is in one of the chosen cohorts.
pub fn messaging_open(rollout: &Rollout, at: &Placement) -> bool {
    match rollout.mode {
        RolloutMode::Everyone => true,
        RolloutMode::Cohorts => {
            rollout.patients.contains(&at.patient)
                || at.department.is_some_and(|d| rollout.departments.contains(&d))
                || at.provider.is_some_and(|p| rollout.providers.contains(&p))
        }
    }
}

#[cfg(test)]
mod tests;
