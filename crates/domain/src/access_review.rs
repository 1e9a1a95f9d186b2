//! Unusual access, for the compliance officer to review: a staff member
//! who opens far more distinct patients than their own norm, opens a
//! patient outside their departments and care teams, or opens a patient who
//! shares their family name. Measured on conversations opened, never on
//! lists (an inbox that refreshes all shift is work, not browsing).

use crate::policy::{PatientFacts, StaffActor};

/// Why an access is put in front of the compliance officer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReviewReason {
    /// Far more distinct patients opened in a day than the person's norm.
    ManyPatients,
    /// A patient of none of their departments or care teams (reached
    /// through a pool, an assignment or an escalation).
    OutsideTeams,
    /// A patient with the same family name as theirs.
    SharedFamilyName,
    /// Emergency ("break-glass") access: every use is raised at once, for
    /// review, with the reason given.
    EmergencyAccess,
}

impl ReviewReason {
    pub const ALL: [ReviewReason; 4] = [
        ReviewReason::ManyPatients,
        ReviewReason::OutsideTeams,
        ReviewReason::SharedFamilyName,
        ReviewReason::EmergencyAccess,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewReason::ManyPatients => "many_patients",
            ReviewReason::OutsideTeams => "outside_teams",
            ReviewReason::SharedFamilyName => "shared_family_name",
            ReviewReason::EmergencyAccess => "emergency_access",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The fewest distinct patients in a day that can count as many.
pub const MANY_FLOOR: usize = 10;
/// How many times their own median day counts as far more.
pub const MANY_FACTOR: usize = 3;
/// Days of history needed before a person's own norm is trusted; before
/// that, only [`NEW_STAFF_FLOOR`] patients in a day count as many.
pub const NORM_DAYS: usize = 5;
pub const NEW_STAFF_FLOOR: usize = 30;
/// Days of history the norm is taken from.
pub const HISTORY_DAYS: i64 = 30;

/// Whether `today` distinct patients opened is far more than the person's
/// norm: the median of their earlier working days (days with at least one
/// patient opened).
pub fn many_patients(today: usize, history: &[usize]) -> bool {
    let mut worked: Vec<usize> = history.iter().copied().filter(|n| *n > 0).collect();
    if worked.len() < NORM_DAYS {
        return today >= NEW_STAFF_FLOOR;
    }
    worked.sort_unstable();
    let median = worked.get(worked.len() / 2).copied().unwrap_or(0);
    today >= MANY_FLOOR && today > MANY_FACTOR * median
}

/// Whether the patient is in none of the staff member's departments and
/// care teams.
pub fn outside_teams(staff: &StaffActor, patient: &PatientFacts) -> bool {
    let team = patient.care_team.is_some_and(|t| staff.care_teams.contains(&t));
    let department = patient.department.is_some_and(|d| staff.departments.contains(&d));
    !team && !department
}

/// Whether a staff member's name ends in the patient's family name
/// (compared without case, accents or punctuation, on whole words: "Dr.
/// Ana Rivera-Lopez" shares "Lopez" and "Rivera"; "Riveras" does not).
pub fn shares_family_name(staff_display_name: &str, patient_family_name: &str) -> bool {
    let patient = words(patient_family_name);
    if patient.is_empty() {
        return false;
    }
    let staff = words(staff_display_name);
    patient.iter().any(|p| p.chars().count() > 1 && staff.iter().skip(1).any(|s| s == p))
}

/// Lower-case words of letters, accents folded for the common Latin ones.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().flat_map(char::to_lowercase).map(fold).collect())
        .collect()
}

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CareTeamId, DepartmentId, PatientId, PracticeId, UserId};
    use crate::role::StaffRole;
    use proptest::prelude::*;

    #[test]
    fn family_names_match_on_whole_words_without_accents() {
        assert!(shares_family_name("Dr. Ana Rivera-López", "Lopez"));
        assert!(shares_family_name("Ana Rivera", "RIVERA"));
        assert!(shares_family_name("Nina Park", "park"));
        assert!(!shares_family_name("Nina Parker", "Park"));
        assert!(!shares_family_name("Park Nina", "Park"), "a given name alone is not a family name");
        assert!(!shares_family_name("Nina Park", ""));
        assert!(!shares_family_name("Nina O", "O"), "one letter is too little to go on");
    }

    #[test]
    fn many_patients_is_against_the_persons_own_norm() {
        assert!(!many_patients(9, &[1, 1, 1, 1, 1, 1]), "below the floor");
        assert!(many_patients(10, &[2, 3, 3, 3, 3, 0, 0]));
        assert!(!many_patients(12, &[4, 5, 4, 5, 4]), "three times their median is 12");
        assert!(many_patients(13, &[4, 5, 4, 5, 4]));
        assert!(!many_patients(25, &[1, 2]), "too little history: only the new-staff floor");
        assert!(many_patients(30, &[]));
    }

    fn staff(departments: Vec<DepartmentId>, care_teams: Vec<CareTeamId>) -> StaffActor {
        StaffActor {
            user: UserId::from_bytes([1; 16]),
            practice: PracticeId::from_bytes([2; 16]),
            role: StaffRole::Nurse,
            departments,
            care_teams,
            pools: vec![],
            reads: crate::sensitivity::ContentGrants::default_for(StaffRole::Nurse),
            emergency: Default::default(),
        }
    }

    proptest! {
        #[test]
        fn outside_means_neither_department_nor_team(d in 0u8..4, t in 0u8..4, sd in proptest::collection::vec(0u8..4, 0..3), st in proptest::collection::vec(0u8..4, 0..3)) {
            let s = staff(sd.iter().map(|x| DepartmentId::from_bytes([*x; 16])).collect(), st.iter().map(|x| CareTeamId::from_bytes([*x; 16])).collect());
            let p = PatientFacts {
                id: PatientId::from_bytes([9; 16]),
                practice: s.practice,
                department: Some(DepartmentId::from_bytes([d; 16])),
                care_team: Some(CareTeamId::from_bytes([t; 16])),
            };
            prop_assert_eq!(outside_teams(&s, &p), !sd.contains(&d) && !st.contains(&t));
        }

        #[test]
        fn more_patients_never_stops_being_many(today in 0usize..200, history in proptest::collection::vec(0usize..40, 0..30)) {
            if many_patients(today, &history) {
                prop_assert!(many_patients(today + 1, &history));
            }
        }
    }
}
