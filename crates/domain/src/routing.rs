//! Routing: which person or pool owns a new conversation, and why.
//!
//! A practice keeps an ordered list of rules. The first rule whose
//! condition holds and whose target can be resolved for this message wins;
//! the decision records the rule and a sentence saying why. A rule set is
//! only accepted if every possible message gets an owner
//! ([`validate`] checks every combination the practice can produce), so a
//! message is never left in a practice-wide heap.

use crate::ids::{CareTeamId, DepartmentId, PoolId, RuleId, UserId};
use crate::topic::Topic;

/// When a rule applies. Every condition given must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub topic: Option<Topic>,
    /// The patient belongs to this department.
    pub department: Option<DepartmentId>,
    /// The patient addressed a provider directly.
    pub provider_direct: bool,
}

impl Condition {
    pub const ALWAYS: Condition = Condition { topic: None, department: None, provider_direct: false };

    pub fn holds(&self, m: &MessageFacts) -> bool {
        self.topic.is_none_or(|t| t == m.topic)
            && self.department.is_none_or(|d| m.patient_department == Some(d))
            && (!self.provider_direct || m.addressed_provider.is_some())
    }

    /// Words for people: "topic is Billing and patient in department".
    pub fn describe(&self, department_name: impl Fn(DepartmentId) -> String) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.topic {
            parts.push(format!("topic is “{}”", t.label()));
        }
        if let Some(d) = self.department {
            parts.push(format!("patient is in {}", department_name(d)));
        }
        if self.provider_direct {
            parts.push("the patient wrote to a provider directly".to_owned());
        }
        if parts.is_empty() { "every message".to_owned() } else { parts.join(" and ") }
    }
}

/// Where a rule sends a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Person(UserId),
    Pool(PoolId),
    /// The patient's own care team.
    PatientCareTeam,
    /// The staff who run the patient's monitoring program.
    ProgramStaff,
    /// The provider the patient wrote to if they take direct messages;
    /// otherwise the patient's care team, with the provider as the intended
    /// reader.
    AddressedProvider,
}

/// Who owns a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Person(UserId),
    Pool(PoolId),
    CareTeam(CareTeamId),
    /// Only by reassignment: the department's staff as a whole.
    Department(DepartmentId),
}

impl Owner {
    pub const fn kind_str(self) -> &'static str {
        match self {
            Owner::Person(_) => "person",
            Owner::Pool(_) => "pool",
            Owner::CareTeam(_) => "care_team",
            Owner::Department(_) => "department",
        }
    }
    pub fn id_bytes(self) -> [u8; 16] {
        match self {
            Owner::Person(u) => *u.as_bytes(),
            Owner::Pool(p) => *p.as_bytes(),
            Owner::CareTeam(c) => *c.as_bytes(),
            Owner::Department(d) => *d.as_bytes(),
        }
    }
    pub fn from_parts(kind: &str, id: &[u8]) -> Option<Owner> {
        match kind {
            "person" => UserId::from_slice(id).ok().map(Owner::Person),
            "pool" => PoolId::from_slice(id).ok().map(Owner::Pool),
            "care_team" => CareTeamId::from_slice(id).ok().map(Owner::CareTeam),
            "department" => DepartmentId::from_slice(id).ok().map(Owner::Department),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: RuleId,
    /// A short name shown in decisions: "Billing questions".
    pub name: String,
    pub condition: Condition,
    pub target: Target,
}

/// The provider a patient addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressedProvider {
    pub user: UserId,
    pub accepts_direct: bool,
}

/// What routing needs to know about a new message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFacts {
    pub topic: Topic,
    pub patient_department: Option<DepartmentId>,
    pub patient_care_team: Option<CareTeamId>,
    /// The pool running the patient's monitoring program, if enrolled.
    pub patient_program_pool: Option<PoolId>,
    pub addressed_provider: Option<AddressedProvider>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub owner: Owner,
    /// Position (from 1) and id of the rule that decided.
    pub rule: (usize, RuleId),
    /// The provider the patient wanted to read it, when the message went to
    /// their team instead.
    pub intended_reader: Option<UserId>,
}

/// No rule gave this message an owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoOwner;

fn resolve(target: Target, m: &MessageFacts) -> Option<(Owner, Option<UserId>)> {
    match target {
        Target::Person(u) => Some((Owner::Person(u), None)),
        Target::Pool(p) => Some((Owner::Pool(p), None)),
        Target::PatientCareTeam => m.patient_care_team.map(|t| (Owner::CareTeam(t), None)),
        Target::ProgramStaff => m.patient_program_pool.map(|p| (Owner::Pool(p), None)),
        Target::AddressedProvider => match m.addressed_provider {
            Some(p) if p.accepts_direct => Some((Owner::Person(p.user), None)),
            Some(p) => m.patient_care_team.map(|t| (Owner::CareTeam(t), Some(p.user))),
            None => None,
        },
    }
}

/// The owner of a new conversation: the first rule that applies and can be
/// resolved for this message.
pub fn route(rules: &[Rule], m: &MessageFacts) -> Result<Decision, NoOwner> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.condition.holds(m))
        .find_map(|(i, r)| {
            resolve(r.target, m).map(|(owner, intended_reader)| Decision {
                owner,
                rule: (i + 1, r.id),
                intended_reader,
            })
        })
        .ok_or(NoOwner)
}

/// What a practice can produce, for [`validate`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PracticeShape {
    pub departments: Vec<DepartmentId>,
    pub care_teams: Vec<CareTeamId>,
    pub program_pools: Vec<PoolId>,
}

/// A message the rule set would leave without an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncovered(pub MessageFacts);

/// Every combination of topic, department (or none), care team (or none),
/// program (or none) and addressed provider (none, accepting, declining)
/// that the practice can produce. Staff and pool ids do not change whether
/// a rule resolves, so one stand-in provider covers them all.
fn shapes(shape: &PracticeShape) -> impl Iterator<Item = MessageFacts> + '_ {
    let departments: Vec<Option<DepartmentId>> =
        std::iter::once(None).chain(shape.departments.iter().copied().map(Some)).collect();
    let teams: Vec<Option<CareTeamId>> =
        std::iter::once(None).chain(shape.care_teams.iter().copied().map(Some)).collect();
    let programs: Vec<Option<PoolId>> =
        std::iter::once(None).chain(shape.program_pools.first().copied().map(Some)).collect();
    let stand_in = UserId::from_bytes([0xff; 16]);
    let providers = [
        None,
        Some(AddressedProvider { user: stand_in, accepts_direct: true }),
        Some(AddressedProvider { user: stand_in, accepts_direct: false }),
    ];
    Topic::ALL.into_iter().flat_map(move |topic| {
        let (departments, teams, programs) = (departments.clone(), teams.clone(), programs.clone());
        departments.into_iter().flat_map(move |patient_department| {
            let (teams, programs) = (teams.clone(), programs.clone());
            teams.into_iter().flat_map(move |patient_care_team| {
                let programs = programs.clone();
                programs.into_iter().flat_map(move |patient_program_pool| {
                    providers.into_iter().map(move |addressed_provider| MessageFacts {
                        topic,
                        patient_department,
                        patient_care_team,
                        patient_program_pool,
                        addressed_provider,
                    })
                })
            })
        })
    })
}

/// Refuses a rule set that would leave any message of this practice
/// without an owner, naming the first such message.
pub fn validate(rules: &[Rule], shape: &PracticeShape) -> Result<(), Uncovered> {
    match shapes(shape).find(|m| route(rules, m).is_err()) {
        Some(m) => Err(Uncovered(m)),
        None => Ok(()),
    }
}

/// The rules (positions from 1) that can never decide a message of this
/// practice, because rules before them take every message they would: a
/// catch-all early in the list, or a rule whose every case an earlier one
/// covers. Saving such a rule set is allowed (the messages are all owned),
/// but the setup page warns about these rules.
pub fn never_used(rules: &[Rule], shape: &PracticeShape) -> Vec<usize> {
    let mut used = vec![false; rules.len()];
    for m in shapes(shape) {
        if let Ok(d) = route(rules, &m)
            && let Some(slot) = used.get_mut(d.rule.0.saturating_sub(1))
        {
            *slot = true;
        }
    }
    used.iter().enumerate().filter(|(_, u)| !**u).map(|(i, _)| i + 1).collect()
}

#[cfg(test)]
mod tests;
