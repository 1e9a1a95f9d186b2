//! Sensitive records and clinical content: which roles of a practice read
//! the content of which conversations.
//!
//! Two things narrow what a staff member related to a patient may read
//! (the relationship itself is [`crate::policy::relationship`]):
//!
//! - **Sensitivity**: a single conversation can be marked with a
//!   [`Sensitivity`] category (behavioural health, reproductive health,
//!   substance use). Only roles the practice grants that category read it.
//!   Substance-use records are those 42 CFR Part 2 protects, so by default
//!   only providers read them.
//! - **Clinical topics**: front desk and billing are not clinical roles.
//!   They read only the topics the practice grants them (by default
//!   `scheduling` for the front desk and `billing` for billing); every other
//!   topic is clinical content to them.
//!
//! Whoever is related to a conversation but may not read its content still
//! sees its row (the routing metadata: patient, topic, status, waiting
//! time, owner); see `ConversationAction::ViewMetadata`.
//!
//! The practice's choice is [`SensitivityGrants`]; each staff member's
//! session carries the part that applies to their role, [`ContentGrants`],
//! so the policy stays a pure function of its arguments.

use crate::role::StaffRole;
use crate::topic::Topic;

/// A category of sensitive record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Sensitivity {
    /// Mental and behavioural health.
    BehaviouralHealth,
    /// Reproductive and sexual health.
    ReproductiveHealth,
    /// Substance-use disorder treatment records (42 CFR Part 2).
    SubstanceUse,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 3] =
        [Sensitivity::BehaviouralHealth, Sensitivity::ReproductiveHealth, Sensitivity::SubstanceUse];

    pub const fn as_str(self) -> &'static str {
        match self {
            Sensitivity::BehaviouralHealth => "behavioural_health",
            Sensitivity::ReproductiveHealth => "reproductive_health",
            Sensitivity::SubstanceUse => "substance_use",
        }
    }

    /// The words staff see.
    pub const fn label(self) -> &'static str {
        match self {
            Sensitivity::BehaviouralHealth => "Behavioural health",
            Sensitivity::ReproductiveHealth => "Reproductive health",
            Sensitivity::SubstanceUse => "Substance use (42 CFR Part 2)",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    const fn bit(self) -> u8 {
        match self {
            Sensitivity::BehaviouralHealth => 1,
            Sensitivity::ReproductiveHealth => 2,
            Sensitivity::SubstanceUse => 4,
        }
    }
}

/// A set of sensitivity categories.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct CategorySet(u8);

impl CategorySet {
    pub const EMPTY: CategorySet = CategorySet(0);
    pub const ALL: CategorySet = CategorySet(7);

    pub const fn contains(self, c: Sensitivity) -> bool {
        self.0 & c.bit() != 0
    }
    #[must_use]
    pub const fn with(self, c: Sensitivity) -> Self {
        CategorySet(self.0 | c.bit())
    }
    pub fn iter(self) -> impl Iterator<Item = Sensitivity> {
        Sensitivity::ALL.into_iter().filter(move |c| self.contains(*c))
    }
    pub const fn is_subset_of(self, other: CategorySet) -> bool {
        self.0 & !other.0 == 0
    }
}

impl FromIterator<Sensitivity> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Sensitivity>>(iter: I) -> Self {
        iter.into_iter().fold(CategorySet::EMPTY, CategorySet::with)
    }
}

/// A set of topics.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct TopicSet(u8);

const fn topic_bit(t: Topic) -> u8 {
    match t {
        Topic::CareQuestion => 1,
        Topic::PrescriptionRefill => 2,
        Topic::Scheduling => 4,
        Topic::Billing => 8,
        Topic::TestResults => 16,
        Topic::Telehealth => 32,
        Topic::MonitoringProgram => 64,
    }
}

impl TopicSet {
    pub const EMPTY: TopicSet = TopicSet(0);

    pub const fn contains(self, t: Topic) -> bool {
        self.0 & topic_bit(t) != 0
    }
    #[must_use]
    pub const fn with(self, t: Topic) -> Self {
        TopicSet(self.0 | topic_bit(t))
    }
    pub fn iter(self) -> impl Iterator<Item = Topic> {
        Topic::ALL.into_iter().filter(move |t| self.contains(*t))
    }
    pub const fn is_subset_of(self, other: TopicSet) -> bool {
        self.0 & !other.0 == 0
    }
}

impl FromIterator<Topic> for TopicSet {
    fn from_iter<I: IntoIterator<Item = Topic>>(iter: I) -> Self {
        iter.into_iter().fold(TopicSet::EMPTY, TopicSet::with)
    }
}

/// Which topics a role reads the content of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TopicAccess {
    /// A clinical role: every topic.
    All,
    /// Front desk and billing: only these.
    Only(TopicSet),
}

impl TopicAccess {
    pub const fn allows(self, t: Topic) -> bool {
        match self {
            TopicAccess::All => true,
            TopicAccess::Only(set) => set.contains(t),
        }
    }
}

/// What a staff member's role is granted in their practice: carried by the
/// session's actor, read by the policy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ContentGrants {
    pub categories: CategorySet,
    pub topics: TopicAccess,
}

impl ContentGrants {
    /// Nothing beyond what is not sensitive and not clinical (for a role
    /// limited to topics, no topic at all).
    pub const NONE: ContentGrants =
        ContentGrants { categories: CategorySet::EMPTY, topics: TopicAccess::Only(TopicSet::EMPTY) };

    /// Whether these grants reach the content of a conversation about
    /// `topic`, marked `sensitivity`. (The relationship to the patient is
    /// the policy's other question.)
    pub const fn reads(self, topic: Topic, sensitivity: Option<Sensitivity>) -> bool {
        let category_ok = match sensitivity {
            Some(c) => self.categories.contains(c),
            None => true,
        };
        category_ok && self.topics.allows(topic)
    }

    /// What `role` reads under the defaults (a practice that never changed
    /// its settings).
    pub fn default_for(role: StaffRole) -> Self {
        SensitivityGrants::defaults().for_role(role)
    }
}

/// Whether a role's reading of topics is limited by the practice's topic
/// grants: the roles that are not clinical but work conversations.
pub const fn limited_to_topics(role: StaffRole) -> bool {
    matches!(role, StaffRole::FrontDesk | StaffRole::Billing)
}

/// Whether a role may be granted anything here: the roles that work
/// patients' conversations (administrators and compliance officers read no
/// conversation by their role, whatever is granted).
pub const fn grantable(role: StaffRole) -> bool {
    role.works_patient_conversations()
}

/// Whether a role may mark a conversation sensitive (or clear the mark):
/// the clinical roles, who judge what a conversation is about.
pub const fn marks_sensitivity(role: StaffRole) -> bool {
    matches!(role, StaffRole::Provider | StaffRole::Nurse | StaffRole::MedicalAssistant)
}

/// A grant that cannot be made.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GrantError {
    /// The role reads no conversation (administrators, compliance officers).
    RoleNotGrantable(StaffRole),
    /// Topics are granted only to the front desk and billing; clinical
    /// roles read every topic.
    TopicsNotLimited(StaffRole),
}

/// A practice's choice of who reads what. Made only through
/// [`SensitivityGrants::new`] or [`SensitivityGrants::defaults`], so it
/// never names a role that cannot be granted.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SensitivityGrants {
    categories: Vec<(Sensitivity, StaffRole)>,
    topics: Vec<(Topic, StaffRole)>,
}

impl SensitivityGrants {
    /// What a clinic expects until it decides otherwise:
    ///
    /// - behavioural and reproductive health: providers, nurses and medical
    ///   assistants (the clinical roles);
    /// - substance use (42 CFR Part 2, stricter): providers only;
    /// - the front desk reads `scheduling`, billing reads `billing`; every
    ///   other topic is clinical to them. Telehealth visits are clinical by
    ///   default (patients write symptoms there); a practice can grant it
    ///   to the front desk.
    pub fn defaults() -> Self {
        use Sensitivity as S;
        use StaffRole as R;
        SensitivityGrants {
            categories: vec![
                (S::BehaviouralHealth, R::Provider),
                (S::BehaviouralHealth, R::Nurse),
                (S::BehaviouralHealth, R::MedicalAssistant),
                (S::ReproductiveHealth, R::Provider),
                (S::ReproductiveHealth, R::Nurse),
                (S::ReproductiveHealth, R::MedicalAssistant),
                (S::SubstanceUse, R::Provider),
            ],
            topics: vec![(Topic::Scheduling, R::FrontDesk), (Topic::Billing, R::Billing)],
        }
    }

    /// Checks and normalises (sorted, each pair once) a practice's choice.
    pub fn new(
        categories: impl IntoIterator<Item = (Sensitivity, StaffRole)>,
        topics: impl IntoIterator<Item = (Topic, StaffRole)>,
    ) -> Result<Self, GrantError> {
        let mut cats = Vec::new();
        for (c, r) in categories {
            if !grantable(r) {
                return Err(GrantError::RoleNotGrantable(r));
            }
            if !cats.contains(&(c, r)) {
                cats.push((c, r));
            }
        }
        let mut tops = Vec::new();
        for (t, r) in topics {
            if !grantable(r) {
                return Err(GrantError::RoleNotGrantable(r));
            }
            if !limited_to_topics(r) {
                return Err(GrantError::TopicsNotLimited(r));
            }
            if !tops.contains(&(t, r)) {
                tops.push((t, r));
            }
        }
        let role_index = |r: StaffRole| StaffRole::ALL.iter().position(|x| *x == r).unwrap_or(usize::MAX);
        let topic_index = |t: Topic| Topic::ALL.iter().position(|x| *x == t).unwrap_or(usize::MAX);
        cats.sort_by_key(|(c, r)| (*c, role_index(*r)));
        tops.sort_by_key(|(t, r)| (role_index(*r), topic_index(*t)));
        Ok(SensitivityGrants { categories: cats, topics: tops })
    }

    /// Every (category, role) granted.
    pub fn categories(&self) -> &[(Sensitivity, StaffRole)] {
        &self.categories
    }

    /// Every (topic, role) granted to a role limited to topics.
    pub fn topics(&self) -> &[(Topic, StaffRole)] {
        &self.topics
    }

    /// What one role reads under these grants.
    pub fn for_role(&self, role: StaffRole) -> ContentGrants {
        if !grantable(role) {
            return ContentGrants::NONE;
        }
        let categories = self.categories.iter().filter(|(_, r)| *r == role).map(|(c, _)| *c).collect();
        let topics = if limited_to_topics(role) {
            TopicAccess::Only(self.topics.iter().filter(|(_, r)| *r == role).map(|(t, _)| *t).collect())
        } else {
            TopicAccess::All
        };
        ContentGrants { categories, topics }
    }
}

/// Topics the practice marks sensitive: a conversation on such a topic
/// starts with that mark (a practice whose monitoring program is an
/// opioid treatment program marks that topic substance use). Clinicians
/// may still change or clear the mark on one conversation. Each topic at
/// most once.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct TopicMarks(Vec<(Topic, Sensitivity)>);

impl TopicMarks {
    /// Checks a practice's choice: a topic named twice (with different
    /// categories, or the same) is refused with that topic.
    pub fn new(marks: impl IntoIterator<Item = (Topic, Sensitivity)>) -> Result<Self, Topic> {
        let mut out: Vec<(Topic, Sensitivity)> = Vec::new();
        for (t, c) in marks {
            if out.iter().any(|(x, _)| *x == t) {
                return Err(t);
            }
            out.push((t, c));
        }
        out.sort_by_key(|(t, _)| Topic::ALL.iter().position(|x| x == t));
        Ok(TopicMarks(out))
    }

    /// Every (topic, category) marked, in the order of `Topic::ALL`.
    pub fn marks(&self) -> &[(Topic, Sensitivity)] {
        &self.0
    }

    /// The mark a new conversation on `topic` starts with.
    pub fn mark_for(&self, topic: Topic) -> Option<Sensitivity> {
        self.0.iter().find(|(t, _)| *t == topic).map(|(_, c)| *c)
    }

    /// The marks in `next` that are not in `self` (a topic newly marked, or
    /// marked with another category): the ones to apply to the practice's
    /// existing unmarked conversations on those topics.
    pub fn added_in(&self, next: &TopicMarks) -> Vec<(Topic, Sensitivity)> {
        next.0.iter().filter(|m| !self.0.contains(m)).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_marks_name_each_topic_once_and_say_what_is_new() {
        use Sensitivity as S;
        assert_eq!(
            TopicMarks::new([(Topic::TestResults, S::ReproductiveHealth), (Topic::TestResults, S::SubstanceUse)]),
            Err(Topic::TestResults)
        );
        let before = TopicMarks::new([(Topic::MonitoringProgram, S::SubstanceUse)]).unwrap_or_default();
        let after =
            TopicMarks::new([(Topic::TestResults, S::ReproductiveHealth), (Topic::MonitoringProgram, S::SubstanceUse)])
                .unwrap_or_default();
        assert_eq!(after.mark_for(Topic::TestResults), Some(S::ReproductiveHealth));
        assert_eq!(after.mark_for(Topic::Scheduling), None);
        assert_eq!(before.added_in(&after), vec![(Topic::TestResults, S::ReproductiveHealth)]);
        assert!(after.added_in(&before).is_empty(), "unmarking a topic marks nothing");
        let changed = TopicMarks::new([(Topic::MonitoringProgram, S::BehaviouralHealth)]).unwrap_or_default();
        assert_eq!(before.added_in(&changed), vec![(Topic::MonitoringProgram, S::BehaviouralHealth)]);
        // Sorted as topics are, whatever the order given.
        let topics: Vec<Topic> = after.marks().iter().map(|(t, _)| *t).collect();
        assert_eq!(topics, vec![Topic::TestResults, Topic::MonitoringProgram]);
    }

    #[test]
    fn codes_round_trip() {
        for c in Sensitivity::ALL {
            assert_eq!(Sensitivity::parse(c.as_str()), Some(c));
        }
        assert_eq!(Sensitivity::parse("Substance_use"), None);
    }

    #[test]
    fn defaults_are_what_the_documentation_says() {
        let g = SensitivityGrants::defaults();
        let provider = g.for_role(StaffRole::Provider);
        assert_eq!(provider.categories, CategorySet::ALL);
        assert_eq!(provider.topics, TopicAccess::All);
        for r in [StaffRole::Nurse, StaffRole::MedicalAssistant] {
            let x = g.for_role(r);
            assert!(x.categories.contains(Sensitivity::BehaviouralHealth));
            assert!(x.categories.contains(Sensitivity::ReproductiveHealth));
            assert!(!x.categories.contains(Sensitivity::SubstanceUse));
            assert_eq!(x.topics, TopicAccess::All);
        }
        let desk = g.for_role(StaffRole::FrontDesk);
        assert_eq!(desk.categories, CategorySet::EMPTY);
        assert_eq!(desk.topics, TopicAccess::Only(TopicSet::EMPTY.with(Topic::Scheduling)));
        let billing = g.for_role(StaffRole::Billing);
        assert_eq!(billing.topics, TopicAccess::Only(TopicSet::EMPTY.with(Topic::Billing)));
        for r in [StaffRole::PracticeAdmin, StaffRole::ComplianceOfficer] {
            assert_eq!(g.for_role(r), ContentGrants::NONE);
        }
        // The defaults pass their own checks unchanged.
        assert_eq!(SensitivityGrants::new(g.categories().to_vec(), g.topics().to_vec()), Ok(g));
    }

    #[test]
    fn grants_name_only_roles_that_can_hold_them() {
        assert_eq!(
            SensitivityGrants::new([(Sensitivity::SubstanceUse, StaffRole::ComplianceOfficer)], []),
            Err(GrantError::RoleNotGrantable(StaffRole::ComplianceOfficer))
        );
        assert_eq!(
            SensitivityGrants::new([], [(Topic::CareQuestion, StaffRole::Nurse)]),
            Err(GrantError::TopicsNotLimited(StaffRole::Nurse))
        );
        assert_eq!(
            SensitivityGrants::new([], [(Topic::CareQuestion, StaffRole::PracticeAdmin)]),
            Err(GrantError::RoleNotGrantable(StaffRole::PracticeAdmin))
        );
        let twice = SensitivityGrants::new(
            [(Sensitivity::SubstanceUse, StaffRole::Nurse), (Sensitivity::SubstanceUse, StaffRole::Nurse)],
            [],
        )
        .unwrap();
        assert_eq!(twice.categories().len(), 1);
    }

    #[test]
    fn sets_hold_what_was_put_in() {
        let s: CategorySet = [Sensitivity::SubstanceUse].into_iter().collect();
        assert!(s.contains(Sensitivity::SubstanceUse));
        assert!(!s.contains(Sensitivity::BehaviouralHealth));
        assert!(s.is_subset_of(CategorySet::ALL));
        assert_eq!(CategorySet::ALL.iter().count(), 3);
        let t: TopicSet = Topic::ALL.into_iter().collect();
        assert_eq!(t.iter().collect::<Vec<_>>(), Topic::ALL.to_vec());
        assert!(TopicSet::EMPTY.is_subset_of(t));
    }
}
