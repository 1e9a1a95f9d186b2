//! What a conversation is about, in the patient's plain words.

/// The topics a patient picks from when starting a conversation. Routing
/// (which pool or person answers) is decided from the topic later; the
/// patient never needs to know how the practice is organised.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Topic {
    /// "A question for my care team"
    CareQuestion,
    /// "Prescription refill"
    PrescriptionRefill,
    /// "Appointment / scheduling"
    Scheduling,
    /// "Billing"
    Billing,
    /// "Test results"
    TestResults,
    /// "Telehealth visit"
    Telehealth,
    /// "My monitoring program"
    MonitoringProgram,
}

impl Topic {
    pub const ALL: [Topic; 7] = [
        Topic::CareQuestion,
        Topic::PrescriptionRefill,
        Topic::Scheduling,
        Topic::Billing,
        Topic::TestResults,
        Topic::Telehealth,
        Topic::MonitoringProgram,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Topic::CareQuestion => "care_question",
            Topic::PrescriptionRefill => "prescription_refill",
            Topic::Scheduling => "scheduling",
            Topic::Billing => "billing",
            Topic::TestResults => "test_results",
            Topic::Telehealth => "telehealth",
            Topic::MonitoringProgram => "monitoring_program",
        }
    }

    /// The words a patient sees.
    pub const fn label(self) -> &'static str {
        match self {
            Topic::CareQuestion => "A question for my care team",
            Topic::PrescriptionRefill => "Prescription refill",
            Topic::Scheduling => "Appointment / scheduling",
            Topic::Billing => "Billing",
            Topic::TestResults => "Test results",
            Topic::Telehealth => "Telehealth visit",
            Topic::MonitoringProgram => "My monitoring program",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("Billing"), None);
    }
}
