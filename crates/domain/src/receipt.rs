//! Read receipts as the patient sees them. A receipt tells the patient who
//! has their message in hand, so it must be true: "read by your care team"
//! only when someone who answers for their care opened it; otherwise the
//! desk that did ("read by the front desk"); and nothing at all for a
//! glance by someone whose work it is not (billing passing through a
//! clinical thread).

use crate::role::StaffRole;
use crate::time::Timestamp;

/// One staff member's first reading of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffRead {
    pub role: StaffRole,
    /// The conversation is theirs to answer: assigned or owned by them, or
    /// (for billing) about billing.
    pub answers_for_it: bool,
    pub at: Timestamp,
}

/// Who the patient is told read their message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReadBy {
    CareTeam,
    FrontDesk,
    BillingOffice,
}

impl ReadBy {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadBy::CareTeam => "care_team",
            ReadBy::FrontDesk => "front_desk",
            ReadBy::BillingOffice => "billing_office",
        }
    }
}

/// How one reading counts for the patient, if at all.
pub const fn counts_as(read: &StaffRead) -> Option<ReadBy> {
    match read.role {
        StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant => Some(ReadBy::CareTeam),
        StaffRole::FrontDesk => Some(ReadBy::FrontDesk),
        StaffRole::Billing if read.answers_for_it => Some(ReadBy::BillingOffice),
        // A glance by billing at something not theirs, and roles that never
        // open conversations, say nothing to the patient.
        StaffRole::Billing | StaffRole::PracticeAdmin | StaffRole::ComplianceOfficer => None,
    }
}

/// The receipt the patient sees for one message: the care team's first
/// reading if there is one, otherwise the earliest reading that counts.
pub fn patient_receipt(reads: &[StaffRead]) -> Option<(ReadBy, Timestamp)> {
    let counted = reads.iter().filter_map(|r| counts_as(r).map(|who| (who, r.at)));
    counted.min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(role: StaffRole, answers_for_it: bool, micros: i64) -> StaffRead {
        StaffRead { role, answers_for_it, at: Timestamp::from_micros(micros) }
    }

    #[test]
    fn who_the_patient_is_told_read_it() {
        assert_eq!(patient_receipt(&[]), None);
        // Billing glancing at a clinical thread: no receipt at all.
        assert_eq!(patient_receipt(&[read(StaffRole::Billing, false, 1)]), None);
        // Billing answering a billing question: the billing office read it.
        assert_eq!(
            patient_receipt(&[read(StaffRole::Billing, true, 1)]),
            Some((ReadBy::BillingOffice, Timestamp::from_micros(1)))
        );
        assert_eq!(
            patient_receipt(&[read(StaffRole::FrontDesk, false, 5)]),
            Some((ReadBy::FrontDesk, Timestamp::from_micros(5)))
        );
        // The front desk read it first, a nurse later: the care team has it.
        assert_eq!(
            patient_receipt(&[read(StaffRole::FrontDesk, false, 5), read(StaffRole::Nurse, false, 9)]),
            Some((ReadBy::CareTeam, Timestamp::from_micros(9)))
        );
    }

    fn role() -> impl Strategy<Value = StaffRole> {
        proptest::sample::select(StaffRole::ALL.to_vec())
    }

    proptest! {
        /// "Read by your care team" appears exactly when a clinician read it,
        /// at the first such reading; and no receipt ever comes from billing
        /// alone unless it was theirs to answer.
        #[test]
        fn receipts_are_true(reads in proptest::collection::vec((role(), any::<bool>(), 0i64..1000), 0..8)) {
            let reads: Vec<StaffRead> = reads.into_iter().map(|(r, a, t)| read(r, a, t)).collect();
            let clinical: Vec<Timestamp> = reads.iter()
                .filter(|r| matches!(r.role, StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant))
                .map(|r| r.at).collect();
            let got = patient_receipt(&reads);
            match clinical.iter().min() {
                Some(first) => prop_assert_eq!(got, Some((ReadBy::CareTeam, *first))),
                None => prop_assert!(got.is_none_or(|(who, _)| who != ReadBy::CareTeam)),
            }
            if reads.iter().all(|r| r.role == StaffRole::Billing && !r.answers_for_it) {
                prop_assert_eq!(got, None);
            }
        }
    }
}
