//! Retention of the record (issue 17): how long a conversation is kept
//! after its last activity, legal holds that keep it regardless, and the
//! decision, for each conversation, whether it is kept, held, or removed.
//!
//! - `RetentionYears`: 1 to 100 years; `DEFAULT_YEARS` is 10.
//! - `RetentionPolicy`: a practice's default period and its overrides per
//!   category (a topic, or a sensitive category) where the law differs. A
//!   matching override replaces the default (so billing may be kept less
//!   long than clinical messages, and behavioural health longer); when two
//!   match, the longer wins.
//! - `expires_at`: the last activity plus whole calendar years (29 February
//!   becomes 1 March in a common year).
//! - `disposition`: keep (until when), held, or remove. A hold on the
//!   conversation or on its patient always keeps it.
//!
//! The retention job removes what `disposition` says to remove; nothing
//! else ever deletes a message (the database refuses it otherwise).

use crate::ids::{ConversationId, PatientId};
use crate::sensitivity::Sensitivity;
use crate::time::{Timestamp, civil_from_days, days_from_civil};
use crate::topic::Topic;

pub const DEFAULT_YEARS: u16 = 10;
pub const MIN_YEARS: u16 = 1;
pub const MAX_YEARS: u16 = 100;

/// A retention period in whole years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RetentionYears(u16);

impl RetentionYears {
    pub fn new(years: i64) -> Result<Self, String> {
        match u16::try_from(years) {
            Ok(y) if (MIN_YEARS..=MAX_YEARS).contains(&y) => Ok(RetentionYears(y)),
            _ => Err(format!("a retention period is from {MIN_YEARS} to {MAX_YEARS} years")),
        }
    }
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl Default for RetentionYears {
    fn default() -> Self {
        RetentionYears(DEFAULT_YEARS)
    }
}

/// What an override applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetentionCategory {
    Topic(Topic),
    Sensitive(Sensitivity),
}

impl RetentionCategory {
    /// `topic:billing`, `sensitive:substance_use`.
    pub fn code(self) -> String {
        match self {
            RetentionCategory::Topic(t) => format!("topic:{}", t.as_str()),
            RetentionCategory::Sensitive(s) => format!("sensitive:{}", s.as_str()),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.split_once(':')? {
            ("topic", t) => Topic::parse(t).map(RetentionCategory::Topic),
            ("sensitive", c) => Sensitivity::parse(c).map(RetentionCategory::Sensitive),
            _ => None,
        }
    }

    fn matches(self, topic: Topic, sensitivity: Option<Sensitivity>) -> bool {
        match self {
            RetentionCategory::Topic(t) => t == topic,
            RetentionCategory::Sensitive(s) => sensitivity == Some(s),
        }
    }
}

/// A practice's retention periods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    default: RetentionYears,
    overrides: Vec<(RetentionCategory, RetentionYears)>,
}

impl RetentionPolicy {
    /// Each category at most once.
    pub fn new(
        default: RetentionYears,
        mut overrides: Vec<(RetentionCategory, RetentionYears)>,
    ) -> Result<Self, String> {
        overrides.sort_by_key(|(c, _)| c.code());
        if overrides.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return Err("each category may have one retention period".into());
        }
        Ok(RetentionPolicy { default, overrides })
    }

    pub fn default_years(&self) -> RetentionYears {
        self.default
    }

    pub fn overrides(&self) -> &[(RetentionCategory, RetentionYears)] {
        &self.overrides
    }

    /// The period for a conversation: the longest matching override, or
    /// the default when none matches.
    pub fn years_for(&self, topic: Topic, sensitivity: Option<Sensitivity>) -> RetentionYears {
        self.overrides
            .iter()
            .filter(|(c, _)| c.matches(topic, sensitivity))
            .map(|(_, y)| *y)
            .max()
            .unwrap_or(self.default)
    }

    /// The shortest period any conversation can have: nothing whose last
    /// activity is later than `now` minus this can have expired.
    pub fn shortest(&self) -> RetentionYears {
        self.overrides.iter().map(|(_, y)| *y).chain([self.default]).min().unwrap_or(self.default)
    }
}

/// `at` plus whole calendar years, in UTC (29 February plus a year that is
/// common gives 1 March).
pub fn plus_years(at: Timestamp, years: i64) -> Timestamp {
    const DAY: i64 = 86_400_000_000;
    let micros = at.as_micros();
    let days = micros.div_euclid(DAY);
    let within = micros.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let y2 = y + years;
    let leap = (y2 % 4 == 0 && y2 % 100 != 0) || y2 % 400 == 0;
    let (m2, d2) = if m == 2 && d == 29 && !leap { (3, 1) } else { (m, d) };
    Timestamp::from_micros(days_from_civil(y2, m2, d2).saturating_mul(DAY).saturating_add(within))
}

pub fn expires_at(last_activity: Timestamp, years: RetentionYears) -> Timestamp {
    plus_years(last_activity, i64::from(years.get()))
}

/// What a legal hold is placed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoldTarget {
    Patient(PatientId),
    Conversation(ConversationId),
}

/// A conversation as retention sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionFacts {
    pub conversation: ConversationId,
    pub patient: PatientId,
    pub topic: Topic,
    pub sensitivity: Option<Sensitivity>,
    pub last_activity: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Kept until this time (then removed unless held).
    Keep {
        until: Timestamp,
    },
    /// Past its time, but a hold on it or on its patient keeps it.
    Held,
    Remove,
}

/// Whether a conversation is kept, held, or removed at `now`, given the
/// holds in force.
pub fn disposition(c: &RetentionFacts, policy: &RetentionPolicy, holds: &[HoldTarget], now: Timestamp) -> Disposition {
    let until = expires_at(c.last_activity, policy.years_for(c.topic, c.sensitivity));
    if now < until {
        return Disposition::Keep { until };
    }
    let held = holds.iter().any(|h| match h {
        HoldTarget::Patient(p) => *p == c.patient,
        HoldTarget::Conversation(x) => *x == c.conversation,
    });
    if held { Disposition::Held } else { Disposition::Remove }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }
    fn years(n: i64) -> RetentionYears {
        RetentionYears::new(n).unwrap()
    }

    #[test]
    fn calendar_years() {
        assert_eq!(plus_years(ts("2016-03-05T10:00:00Z"), 10), ts("2026-03-05T10:00:00Z"));
        assert_eq!(plus_years(ts("2016-02-29T23:59:59Z"), 10), ts("2026-03-01T23:59:59Z"));
        assert_eq!(plus_years(ts("2016-02-29T00:00:00Z"), 4), ts("2020-02-29T00:00:00Z"));
        assert!(
            RetentionYears::new(0).is_err() && RetentionYears::new(101).is_err() && RetentionYears::new(-3).is_err()
        );
    }

    #[test]
    fn overrides_replace_the_default_and_the_longest_match_wins() {
        let p = RetentionPolicy::new(
            years(10),
            vec![
                (RetentionCategory::Topic(Topic::Billing), years(7)),
                (RetentionCategory::Sensitive(Sensitivity::BehaviouralHealth), years(25)),
                (RetentionCategory::Topic(Topic::CareQuestion), years(12)),
            ],
        )
        .unwrap();
        assert_eq!(p.years_for(Topic::Billing, None), years(7));
        assert_eq!(p.years_for(Topic::Scheduling, None), years(10));
        assert_eq!(p.years_for(Topic::CareQuestion, Some(Sensitivity::BehaviouralHealth)), years(25));
        assert_eq!(p.years_for(Topic::CareQuestion, None), years(12));
        assert_eq!(p.shortest(), years(7));
        let dup = vec![
            (RetentionCategory::Topic(Topic::Billing), years(7)),
            (RetentionCategory::Topic(Topic::Billing), years(8)),
        ];
        assert!(RetentionPolicy::new(years(10), dup).is_err());
        for c in [RetentionCategory::Topic(Topic::Billing), RetentionCategory::Sensitive(Sensitivity::SubstanceUse)] {
            assert_eq!(RetentionCategory::parse(&c.code()), Some(c));
        }
        assert_eq!(RetentionCategory::parse("topic:nope"), None);
    }

    fn facts(last: Timestamp) -> RetentionFacts {
        RetentionFacts {
            conversation: ConversationId::from_bytes([1; 16]),
            patient: PatientId::from_bytes([2; 16]),
            topic: Topic::CareQuestion,
            sensitivity: None,
            last_activity: last,
        }
    }

    #[test]
    fn holds_keep_what_has_expired() {
        let p = RetentionPolicy::default();
        let c = facts(ts("2016-01-01T00:00:00Z"));
        assert_eq!(
            disposition(&c, &p, &[], ts("2025-12-31T23:59:59Z")),
            Disposition::Keep { until: ts("2026-01-01T00:00:00Z") }
        );
        assert_eq!(disposition(&c, &p, &[], ts("2026-01-01T00:00:00Z")), Disposition::Remove);
        assert_eq!(
            disposition(&c, &p, &[HoldTarget::Patient(c.patient)], ts("2030-01-01T00:00:00Z")),
            Disposition::Held
        );
        assert_eq!(
            disposition(&c, &p, &[HoldTarget::Conversation(c.conversation)], ts("2030-01-01T00:00:00Z")),
            Disposition::Held
        );
        let other = HoldTarget::Patient(PatientId::from_bytes([9; 16]));
        assert_eq!(disposition(&c, &p, &[other], ts("2030-01-01T00:00:00Z")), Disposition::Remove);
    }

    proptest! {
        /// Nothing held is ever removed, nothing is removed before its
        /// period has passed, and nothing the shortest period keeps can be
        /// removed.
        #[test]
        fn removal_only_when_expired_and_unheld(
            last in 0i64..2_000_000_000_000_000, after in 0i64..4_000_000_000_000_000,
            default in 1i64..30, billing in 1i64..30, held_patient: bool, held_conversation: bool,
        ) {
            let p = RetentionPolicy::new(years(default), vec![(RetentionCategory::Topic(Topic::Billing), years(billing))]).unwrap();
            let mut c = facts(Timestamp::from_micros(last));
            c.topic = if after % 2 == 0 { Topic::Billing } else { Topic::CareQuestion };
            let now = Timestamp::from_micros(last + after);
            let mut holds = Vec::new();
            if held_patient { holds.push(HoldTarget::Patient(c.patient)); }
            if held_conversation { holds.push(HoldTarget::Conversation(c.conversation)); }
            let d = disposition(&c, &p, &holds, now);
            if d == Disposition::Remove {
                prop_assert!(holds.is_empty());
                prop_assert!(now >= expires_at(c.last_activity, p.years_for(c.topic, None)));
                prop_assert!(now >= expires_at(c.last_activity, p.shortest()));
            }
            if now < expires_at(c.last_activity, p.years_for(c.topic, None)) {
                let kept = matches!(d, Disposition::Keep { .. });
                prop_assert!(kept);
            }
        }
    }
}
