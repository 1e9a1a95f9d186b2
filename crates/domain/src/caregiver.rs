//! Caregivers (proxy access): who may act for a patient, for how long, and
//! what a minor keeps to themselves.
//!
//! A grant gives one caregiver account access to one patient's messages,
//! given by the patient (through a one-time invitation) or, for a minor, by
//! the practice, from a time until an optional end (a practice's grant for a
//! minor ends at their 18th birthday), until revoked. From an age the
//! practice sets (by default 12) until 18, a minor's conversations are
//! confidential from their caregivers unless shared. The policy reads the
//! grants the service loaded as active ([`grant_active`]) with, for each,
//! whether its patient is a confidential minor today ([`minor_standing`]).

use crate::ids::{PatientId, PracticeId, ProxyGrantId};
use crate::mfa::RECOVERY_ALPHABET;
use crate::time::{CivilDate, Span, Timestamp};

/// Who the caregiver is to the patient: a closed list, each with its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaregiverRelationship {
    Mother,
    Father,
    Guardian,
    Spouse,
    AdultChild,
    Other,
}

impl CaregiverRelationship {
    pub const ALL: [CaregiverRelationship; 6] = [
        CaregiverRelationship::Mother,
        CaregiverRelationship::Father,
        CaregiverRelationship::Guardian,
        CaregiverRelationship::Spouse,
        CaregiverRelationship::AdultChild,
        CaregiverRelationship::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CaregiverRelationship::Mother => "mother",
            CaregiverRelationship::Father => "father",
            CaregiverRelationship::Guardian => "guardian",
            CaregiverRelationship::Spouse => "spouse",
            CaregiverRelationship::AdultChild => "adult_child",
            CaregiverRelationship::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The words shown beside the caregiver's name: "Jane Doe (mother)".
    pub const fn words(self) -> &'static str {
        match self {
            CaregiverRelationship::Mother => "mother",
            CaregiverRelationship::Father => "father",
            CaregiverRelationship::Guardian => "guardian",
            CaregiverRelationship::Spouse => "spouse",
            CaregiverRelationship::AdultChild => "adult child",
            CaregiverRelationship::Other => "caregiver",
        }
    }
}

/// Who gave a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantedBy {
    /// The patient, by an invitation the caregiver accepted.
    Patient,
    /// The practice, for a minor (staff who manage the patient's enrollment).
    Practice,
}

impl GrantedBy {
    pub const ALL: [GrantedBy; 2] = [GrantedBy::Patient, GrantedBy::Practice];

    pub const fn as_str(self) -> &'static str {
        match self {
            GrantedBy::Patient => "patient",
            GrantedBy::Practice => "practice",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(GrantedBy::Patient),
            "practice" => Some(GrantedBy::Practice),
            _ => None,
        }
    }
}

/// An active grant as the signed-in caregiver carries it: what the policy
/// needs, loaded with the session, so the policy stays a pure function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyGrant {
    pub id: ProxyGrantId,
    pub practice: PracticeId,
    pub patient: PatientId,
    pub relationship: CaregiverRelationship,
    /// When it ends by itself, if it does (shown; the service loads only
    /// grants active at the request's time).
    pub until: Option<Timestamp>,
    /// The patient is, today, a minor at or above the practice's
    /// confidentiality age: only conversations shared with caregivers are
    /// open to this grant.
    pub confidential: bool,
}

/// Whether a grant given from `from`, ending at `until` (exclusive) and
/// revoked at `revoked_at` (from then on) is in force at `now`.
pub fn grant_active(from: Timestamp, until: Option<Timestamp>, revoked_at: Option<Timestamp>, now: Timestamp) -> bool {
    from <= now && until.is_none_or(|u| now < u) && revoked_at.is_none_or(|r| now < r)
}

/// A stored grant's times, with the grant as the policy will carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    pub grant: ProxyGrant,
    pub from: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// The grants in force at `now`: what a session carries. The service
/// loads an account's grants and keeps these, so a grant that ended or was
/// revoked opens nothing from that moment.
pub fn in_force(records: Vec<GrantRecord>, now: Timestamp) -> Vec<ProxyGrant> {
    records.into_iter().filter(|r| grant_active(r.from, r.grant.until, r.revoked_at, now)).map(|r| r.grant).collect()
}

/// Age of majority: a practice's grant for a minor ends on this birthday,
/// and confidentiality ends with it.
pub const ADULT_AGE: i64 = 18;

/// The practice's confidentiality age, by default 12: from it until 18 a
/// minor's conversations are confidential from caregivers unless shared.
/// 18 turns confidentiality off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfidentialAge(i64);

impl ConfidentialAge {
    pub const DEFAULT: ConfidentialAge = ConfidentialAge(12);
    pub const MIN: i64 = 10;

    pub fn new(age: i64) -> Option<Self> {
        (Self::MIN..=ADULT_AGE).contains(&age).then_some(ConfidentialAge(age))
    }
    pub const fn years(self) -> i64 {
        self.0
    }
}

/// Whole years of age on `today` for someone born on `birth`: a year is
/// added on the birthday, and someone born on 29 February gains it on
/// 1 March in a common year (28 February is still before their birthday).
/// Never negative.
pub fn age_on(birth: CivilDate, today: CivilDate) -> i64 {
    let before_birthday = (today.month(), today.day()) < (birth.month(), birth.day());
    (today.year() - birth.year() - i64::from(before_birthday)).max(0)
}

/// Where a patient stands for caregivers on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinorStanding {
    /// 18 or older.
    Adult,
    /// Under the practice's confidentiality age: caregivers see everything.
    Child,
    /// At or above the confidentiality age and under 18: caregivers see only
    /// what is shared with them.
    ConfidentialMinor,
}

impl MinorStanding {
    pub const ALL: [MinorStanding; 3] = [MinorStanding::Adult, MinorStanding::Child, MinorStanding::ConfidentialMinor];

    pub const fn as_str(self) -> &'static str {
        match self {
            MinorStanding::Adult => "adult",
            MinorStanding::Child => "child",
            MinorStanding::ConfidentialMinor => "confidential_minor",
        }
    }
}

pub fn minor_standing(birth: CivilDate, today: CivilDate, age: ConfidentialAge) -> MinorStanding {
    let years = age_on(birth, today);
    if years >= ADULT_AGE {
        MinorStanding::Adult
    } else if years >= age.years() {
        MinorStanding::ConfidentialMinor
    } else {
        MinorStanding::Child
    }
}

/// The day someone born on `birth` turns 18 (1 March for a 29 February
/// birth when that year is common): when a practice's grant for them ends.
pub fn coming_of_age(birth: CivilDate) -> Option<CivilDate> {
    let year = birth.year() + ADULT_AGE;
    CivilDate::from_ymd(year, birth.month(), birth.day()).or_else(|| CivilDate::from_ymd(year, 3, 1))
}

/// The date in a zone at an instant: "today" where the practice is.
pub fn today_in(zone: &jiff::tz::TimeZone, now: Timestamp) -> Option<CivilDate> {
    let d = crate::hours::to_jiff(now).to_zoned(zone.clone()).date();
    CivilDate::from_ymd(i64::from(d.year()), i64::from(d.month()), i64::from(d.day()))
}

/// The first instant of a date in a zone (after a gap at midnight, the
/// instant the day starts).
pub fn day_starts(zone: &jiff::tz::TimeZone, day: CivilDate) -> Option<Timestamp> {
    let year = i16::try_from(day.year()).ok()?;
    let month = i8::try_from(day.month()).ok()?;
    let d = i8::try_from(day.day()).ok()?;
    let date = jiff::civil::Date::new(year, month, d).ok()?;
    let zoned = date.to_zoned(zone.clone()).ok()?;
    Some(crate::hours::from_jiff(zoned.timestamp()))
}

/// Whether a new conversation is shared with the patient's caregivers.
/// What a caregiver writes is theirs to see; a confidential minor writes
/// confidentially unless they choose to share; what staff start for a
/// confidential minor stays confidential until someone shares it; anyone
/// else's is shared (it only matters once the patient is a confidential
/// minor).
pub fn shared_at_start(writer: Writer, patient_confidential: bool, minor_chose_to_share: Option<bool>) -> bool {
    match writer {
        Writer::Caregiver => true,
        Writer::Patient if patient_confidential => minor_chose_to_share.unwrap_or(false),
        Writer::Staff => !patient_confidential,
        Writer::Patient => true,
    }
}

/// Who writes the first message of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Patient,
    Caregiver,
    Staff,
}

/// How long a caregiver invitation can be accepted: seven days.
pub const INVITATION_LIFETIME: Span = Span::from_micros(7 * 24 * 3_600 * 1_000_000);

/// Whether an invitation made at `created_at` can still be accepted.
pub fn invitation_open(created_at: Timestamp, used: bool, revoked: bool, now: Timestamp) -> bool {
    !used && !revoked && now >= created_at && now < created_at.plus(INVITATION_LIFETIME)
}

const INVITATION_CODE_CHARS: usize = 12;

/// A caregiver invitation's code: twelve characters of the recovery codes'
/// alphabet (about 59 bits), shown once to the patient to hand over,
/// stored only as a keyed hash. Typed with or without dashes, in any case.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationCode(String);

impl InvitationCode {
    /// From random bytes without bias (bytes at or above 248 dropped);
    /// `None` if too few are left.
    pub fn from_random(bytes: &[u8]) -> Option<Self> {
        let code: String = bytes
            .iter()
            .filter(|b| **b < 248)
            .take(INVITATION_CODE_CHARS)
            .filter_map(|b| RECOVERY_ALPHABET.get(usize::from(*b % 31)).map(|c| char::from(*c)))
            .collect();
        (code.len() == INVITATION_CODE_CHARS).then_some(InvitationCode(code))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let code: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
        let known = code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        (code.len() == INVITATION_CODE_CHARS && known).then_some(InvitationCode(code))
    }

    /// The normalised form, as hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// As shown: three groups of four ("abcd-efgh-jkmn").
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(14);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl std::fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvitationCode(<redacted>)")
    }
}

/// The attribution of a message a caregiver sent: "sent by Jane Doe
/// (mother) on behalf of Sam Doe".
pub fn on_behalf_line(caregiver: &str, relationship: CaregiverRelationship, patient: &str) -> String {
    format!("sent by {caregiver} ({}) on behalf of {patient}", relationship.words())
}

#[cfg(test)]
mod tests;
