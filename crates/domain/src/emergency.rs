//! Emergency ("break-glass") access: a clinician who is not related to a
//! patient opens that patient's conversations in an emergency, for a
//! limited time, after giving a reason. The rules here are pure: who may
//! break glass, what a reason must be, how long a grant lasts, and whether
//! a grant is active at a time. The policy reads the grants a staff actor
//! carries ([`crate::policy::StaffActor::emergency`]); the service records
//! them, audits every use and tells the compliance officer at once.

use crate::ids::{EmergencyAccessId, PatientId, PracticeId};
use crate::role::StaffRole;
use crate::text::{Lines, TextError, check_free_text};
use crate::time::{Span, Timestamp};
use std::fmt;

/// Whether `role` may break glass: the clinical roles that answer patients
/// (provider, nurse, medical assistant). The front desk and billing work
/// conversations, but an emergency is never theirs to open records for;
/// administrators and compliance officers do not read patients' messages by
/// virtue of their role, and an emergency does not change that.
pub const fn may_break_glass(role: StaffRole) -> bool {
    match role {
        StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant => true,
        StaffRole::PracticeAdmin | StaffRole::FrontDesk | StaffRole::Billing | StaffRole::ComplianceOfficer => false,
    }
}

/// How long a grant lasts unless the clinician chooses otherwise.
pub const DEFAULT_MINUTES: i64 = 60;
/// The shortest grant: long enough to read a thread and answer it.
pub const MIN_MINUTES: i64 = 15;
/// The longest grant: one shift's emergency, not a standing permission.
pub const MAX_MINUTES: i64 = 240;

/// A grant's length in whole minutes, within [`MIN_MINUTES`] and
/// [`MAX_MINUTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrantMinutes(i64);

impl GrantMinutes {
    pub const DEFAULT: GrantMinutes = GrantMinutes(DEFAULT_MINUTES);

    /// `None` (not given) is the default; anything outside the bounds is
    /// refused rather than clamped, so the clinician is never given a
    /// length they did not ask for.
    pub fn new(minutes: Option<i64>) -> Result<Self, DurationProblem> {
        match minutes {
            None => Ok(Self::DEFAULT),
            Some(m) if (MIN_MINUTES..=MAX_MINUTES).contains(&m) => Ok(GrantMinutes(m)),
            Some(_) => Err(DurationProblem),
        }
    }
    pub const fn get(self) -> i64 {
        self.0
    }
    pub const fn span(self) -> Span {
        Span::from_mins(self.0)
    }
}

/// A length outside the bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationProblem;

impl fmt::Display for DurationProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "must be between {MIN_MINUTES} and {MAX_MINUTES} minutes")
    }
}

/// Why glass was broken, in the clinician's words: one line, at least
/// [`EmergencyReason::MIN_CHARS`] characters (a reason, not "x"), under the
/// one text rule. It may describe the patient's condition, so it is PHI:
/// sealed at rest, redacted in `Debug`, never in a notice or a log.
#[derive(Clone, PartialEq, Eq)]
pub struct EmergencyReason(String);

impl EmergencyReason {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 500;

    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        check_free_text(text, Self::MAX_CHARS, Lines::One)?;
        if text.chars().count() < Self::MIN_CHARS {
            return Err(TextError::TooShort { min: Self::MIN_CHARS });
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmergencyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmergencyReason(<redacted {} chars>)", self.0.chars().count())
    }
}

/// What kind of emergency, when the clinician says: lets the compliance
/// officer sort uses without reading every reason. Never PHI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmergencyCategory {
    /// A patient in danger now (chest pain, overdose, self-harm…).
    ImmediateDanger,
    /// Covering for an absent colleague's urgent patient.
    Covering,
    /// Another clinician or service needs information urgently.
    UrgentRequest,
    Other,
}

impl EmergencyCategory {
    pub const ALL: [EmergencyCategory; 4] = [
        EmergencyCategory::ImmediateDanger,
        EmergencyCategory::Covering,
        EmergencyCategory::UrgentRequest,
        EmergencyCategory::Other,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            EmergencyCategory::ImmediateDanger => "immediate_danger",
            EmergencyCategory::Covering => "covering",
            EmergencyCategory::UrgentRequest => "urgent_request",
            EmergencyCategory::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One grant, as the policy needs it: which patient, in which practice,
/// until when. (Who holds it is the actor that carries it.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmergencyGrant {
    pub id: EmergencyAccessId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub until: Timestamp,
}

impl EmergencyGrant {
    /// Active strictly before `until`: at `until` it has ended.
    pub fn active(&self, at: Timestamp) -> bool {
        at < self.until
    }
}

/// The grants a staff member holds and the time the policy answers at. The
/// service loads only grants not yet ended and sets `as_of` to the
/// request's time; the live stream moves `as_of` to each event's time, so
/// a grant that runs out stops opening anything at once, even on a stream
/// that has not re-read its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyAccess {
    pub grants: Vec<EmergencyGrant>,
    pub as_of: Timestamp,
}

impl EmergencyAccess {
    /// No grants (almost everyone, almost always).
    pub const fn none() -> Self {
        EmergencyAccess { grants: Vec::new(), as_of: Timestamp::UNIX_EPOCH }
    }

    /// The active grant for `patient` of `practice`, if any.
    pub fn grant_for(&self, practice: PracticeId, patient: PatientId) -> Option<&EmergencyGrant> {
        self.grants.iter().find(|g| g.practice == practice && g.patient == patient && g.active(self.as_of))
    }

    /// The same grants, answered at `at` when that is later (time only
    /// moves forward: an older event never revives an ended grant).
    pub fn at(&self, at: Timestamp) -> Self {
        EmergencyAccess { grants: self.grants.clone(), as_of: self.as_of.max(at) }
    }
}

impl Default for EmergencyAccess {
    fn default() -> Self {
        Self::none()
    }
}

/// Searches for a patient to open in an emergency one clinician may make
/// in [`SEARCH_WINDOW`]: enough for an emergency (a typo or two), not
/// enough to walk the practice's list.
pub const SEARCHES_PER_WINDOW: i64 = 10;
pub const SEARCH_WINDOW: Span = Span::from_mins(15);
/// The most patients one search answers (twins share a name and a date).
pub const MAX_MATCHES: usize = 5;

/// Whether a family name typed for an emergency search is the one on
/// record: the whole name, without case or extra spaces. Exact on purpose:
/// a search that matched parts of names would let someone browse.
pub fn same_family_name(typed: &str, on_record: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let typed = norm(typed);
    !typed.is_empty() && typed == norm(on_record)
}

/// When a grant that starts at `start` for `minutes` ends.
pub fn ends_at(start: Timestamp, minutes: GrantMinutes) -> Timestamp {
    start.plus(minutes.span())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_clinical_roles_break_glass() {
        let allowed: Vec<_> = StaffRole::ALL.into_iter().filter(|r| may_break_glass(*r)).collect();
        assert_eq!(allowed, vec![StaffRole::Provider, StaffRole::Nurse, StaffRole::MedicalAssistant]);
        // Every role that may break glass works conversations: the grant
        // adds a patient, never a kind of work.
        assert!(allowed.iter().all(|r| r.works_patient_conversations()));
    }

    #[test]
    fn durations_default_and_bounds() {
        assert_eq!(GrantMinutes::new(None).unwrap().get(), 60);
        assert_eq!(GrantMinutes::new(Some(15)).unwrap().get(), 15);
        assert_eq!(GrantMinutes::new(Some(240)).unwrap().get(), 240);
        assert_eq!(GrantMinutes::new(Some(14)), Err(DurationProblem));
        assert_eq!(GrantMinutes::new(Some(241)), Err(DurationProblem));
        assert_eq!(GrantMinutes::new(Some(-60)), Err(DurationProblem));
        assert_eq!(DurationProblem.to_string(), "must be between 15 and 240 minutes");
    }

    #[test]
    fn reasons_are_real_sentences_and_redacted() {
        assert!(EmergencyReason::parse("  Chest pain reported by phone, PCP away  ").is_ok());
        assert_eq!(EmergencyReason::parse("urgent"), Err(TextError::TooShort { min: 10 }));
        assert_eq!(EmergencyReason::parse("   "), Err(TextError::Empty));
        assert_eq!(EmergencyReason::parse("overdose\nnow now"), Err(TextError::InvalidCharacters));
        assert_eq!(EmergencyReason::parse("bidi \u{202e} override text"), Err(TextError::InvalidCharacters));
        assert_eq!(EmergencyReason::parse(&"x".repeat(501)), Err(TextError::TooLong { max: 500 }));
        let r = EmergencyReason::parse("suicidal thoughts, called in").unwrap();
        assert!(!format!("{r:?}").contains("suicidal"));
    }

    #[test]
    fn names_match_whole_and_exactly() {
        assert!(same_family_name("  rivera ", "Rivera"));
        assert!(same_family_name("de la  Cruz", "De La Cruz"));
        assert!(!same_family_name("Riv", "Rivera"));
        assert!(!same_family_name("", ""));
        assert!(!same_family_name("Rivera", "Rivera-Lopez"));
    }

    #[test]
    fn categories_round_trip() {
        for c in EmergencyCategory::ALL {
            assert_eq!(EmergencyCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(EmergencyCategory::parse("curiosity"), None);
    }

    proptest! {
        #[test]
        fn a_grant_is_active_exactly_until_it_ends(start in 0i64..1_000_000_000, minutes in 15i64..=240, probe in -1_000_000_000i64..20_000_000_000) {
            let start = Timestamp::from_micros(start);
            let until = ends_at(start, GrantMinutes::new(Some(minutes)).unwrap());
            prop_assert_eq!(until.since(start), Span::from_mins(minutes));
            let g = EmergencyGrant {
                id: EmergencyAccessId::from_bytes([1; 16]),
                practice: PracticeId::from_bytes([2; 16]),
                patient: PatientId::from_bytes([3; 16]),
                until,
            };
            let at = start.plus(Span::from_micros(probe));
            prop_assert_eq!(g.active(at), at < until);
            let access = EmergencyAccess { grants: vec![g], as_of: at };
            prop_assert_eq!(access.grant_for(g.practice, g.patient).is_some(), at < until);
            // Time never runs backwards for a grant.
            prop_assert!(access.at(start).as_of >= at);
        }
    }
}
