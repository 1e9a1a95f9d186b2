//! Who a user is to the practice.

use std::fmt;

/// The two kinds of account.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UserKind {
    Patient,
    Staff,
}

impl UserKind {
    pub const ALL: [UserKind; 2] = [UserKind::Patient, UserKind::Staff];
    pub const fn as_str(self) -> &'static str {
        match self {
            UserKind::Patient => "patient",
            UserKind::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(UserKind::Patient),
            "staff" => Some(UserKind::Staff),
            _ => None,
        }
    }
}

/// Who wrote a message: a patient, staff, or the practice's automatic
/// replies.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SenderKind {
    Patient,
    Staff,
    System,
}

impl SenderKind {
    pub const ALL: [SenderKind; 3] = [SenderKind::Patient, SenderKind::Staff, SenderKind::System];
    pub const fn as_str(self) -> &'static str {
        match self {
            SenderKind::Patient => "patient",
            SenderKind::Staff => "staff",
            SenderKind::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(SenderKind::Patient),
            "staff" => Some(SenderKind::Staff),
            "system" => Some(SenderKind::System),
            _ => None,
        }
    }
}

impl From<UserKind> for SenderKind {
    fn from(k: UserKind) -> Self {
        match k {
            UserKind::Patient => SenderKind::Patient,
            UserKind::Staff => SenderKind::Staff,
        }
    }
}

/// A staff member's job in the practice. Each role is one set of
/// permissions in [`crate::policy`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StaffRole {
    PracticeAdmin,
    Provider,
    Nurse,
    MedicalAssistant,
    FrontDesk,
    Billing,
    ComplianceOfficer,
}

impl StaffRole {
    pub const ALL: [StaffRole; 7] = [
        StaffRole::PracticeAdmin,
        StaffRole::Provider,
        StaffRole::Nurse,
        StaffRole::MedicalAssistant,
        StaffRole::FrontDesk,
        StaffRole::Billing,
        StaffRole::ComplianceOfficer,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StaffRole::PracticeAdmin => "practice_admin",
            StaffRole::Provider => "provider",
            StaffRole::Nurse => "nurse",
            StaffRole::MedicalAssistant => "medical_assistant",
            StaffRole::FrontDesk => "front_desk",
            StaffRole::Billing => "billing",
            StaffRole::ComplianceOfficer => "compliance_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that take part in patients' care and so may work their
    /// conversations when related to the patient (care team, department or
    /// assignment). Administrators and compliance officers oversee the
    /// practice; they do not read patients' messages by virtue of the role.
    pub const fn works_patient_conversations(self) -> bool {
        match self {
            StaffRole::Provider
            | StaffRole::Nurse
            | StaffRole::MedicalAssistant
            | StaffRole::FrontDesk
            | StaffRole::Billing => true,
            StaffRole::PracticeAdmin | StaffRole::ComplianceOfficer => false,
        }
    }

    /// Roles that may search the audit log of their practice.
    pub const fn reviews_audit_log(self) -> bool {
        matches!(self, StaffRole::PracticeAdmin | StaffRole::ComplianceOfficer)
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in StaffRole::ALL {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(StaffRole::parse("root"), None);
        assert_eq!(UserKind::parse("staff"), Some(UserKind::Staff));
        for k in UserKind::ALL {
            assert_eq!(UserKind::parse(k.as_str()), Some(k));
        }
        for k in SenderKind::ALL {
            assert_eq!(SenderKind::parse(k.as_str()), Some(k));
        }
    }

    /// `ALL` lists every variant: the matches below are exhaustive, so a new
    /// variant must be numbered here, and then must be in `ALL`.
    #[test]
    fn all_lists_every_variant() {
        let user = |k: UserKind| match k {
            UserKind::Patient => 0,
            UserKind::Staff => 1,
        };
        assert_eq!(UserKind::ALL.map(user), [0, 1]);
        let sender = |k: SenderKind| match k {
            SenderKind::Patient => 0,
            SenderKind::Staff => 1,
            SenderKind::System => 2,
        };
        assert_eq!(SenderKind::ALL.map(sender), [0, 1, 2]);
    }
}
