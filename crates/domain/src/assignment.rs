//! Assignment within a pool, and cover for people who are away.
//!
//! - [`pick`] chooses the available member with the least open work who is
//!   under their capacity; ties go round-robin after the member assigned
//!   last. Nobody away is ever chosen.
//! - [`covering`] follows out-of-office cover: a message for someone away
//!   goes to their cover (or their cover's cover), never to an absent
//!   person.

use crate::ids::UserId;
use crate::time::Timestamp;

/// A pool member as assignment sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    /// Open conversations assigned to them now.
    pub open: u32,
    /// The most open conversations they take.
    pub capacity: u32,
    pub away: bool,
}

/// The member to assign next, or `None` if nobody can take it (all away,
/// all full or excluded): then it waits in the pool for its lead.
///
/// `candidates` are in the pool's member order; `last_assigned` is the
/// member who got the previous assignment, for round-robin among equals;
/// `exclude` are members who already had it and did not act.
pub fn pick(candidates: &[Candidate], last_assigned: Option<UserId>, exclude: &[UserId]) -> Option<UserId> {
    let eligible = |c: &&Candidate| !c.away && c.open < c.capacity && !exclude.contains(&c.user);
    let least = candidates.iter().filter(eligible).map(|c| c.open).min()?;
    let tied: Vec<&Candidate> = candidates.iter().filter(eligible).filter(|c| c.open == least).collect();
    // Round-robin: the first tied member after the last one assigned, in
    // member order, wrapping around.
    let start = last_assigned.and_then(|u| candidates.iter().position(|c| c.user == u)).map_or(0, |i| i + 1);
    let n = candidates.len();
    (0..n)
        .filter_map(|k| candidates.get((start + k) % n))
        .find(|c| tied.iter().any(|t| t.user == c.user))
        .map(|c| c.user)
}

/// An out-of-office period with the colleague who covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Absence {
    pub user: UserId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cover: Option<UserId>,
}

impl Absence {
    pub fn covers(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// Whether `user` is away at `now`.
pub fn is_away(user: UserId, absences: &[Absence], now: Timestamp) -> bool {
    absences.iter().any(|a| a.user == user && a.covers(now))
}

/// Who takes `user`'s work at `now`: `user` if present, else their cover,
/// followed through covers who are away themselves. `None` when the chain
/// ends with nobody present (no cover, or a loop of absent people).
pub fn covering(user: UserId, absences: &[Absence], now: Timestamp) -> Option<UserId> {
    let mut current = user;
    let mut seen = Vec::new();
    loop {
        let Some(away) = absences.iter().find(|a| a.user == current && a.covers(now)) else {
            return Some(current);
        };
        if seen.contains(&current) {
            return None;
        }
        seen.push(current);
        current = away.cover?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(n: u8) -> UserId {
        let mut b = [0u8; 16];
        b[15] = n;
        UserId::from_bytes(b)
    }

    fn c(n: u8, open: u32, capacity: u32, away: bool) -> Candidate {
        Candidate { user: u(n), open, capacity, away }
    }

    #[test]
    fn least_loaded_then_round_robin() {
        let members = [c(1, 2, 10, false), c(2, 1, 10, false), c(3, 1, 10, false), c(4, 0, 10, true)];
        assert_eq!(pick(&members, None, &[]), Some(u(2)));
        assert_eq!(pick(&members, Some(u(2)), &[]), Some(u(3)));
        assert_eq!(pick(&members, Some(u(3)), &[]), Some(u(2)), "wraps around");
        assert_eq!(pick(&members, None, &[u(2)]), Some(u(3)));
        assert_eq!(pick(&[c(1, 5, 5, false)], None, &[]), None, "full");
        assert_eq!(pick(&[], None, &[]), None);
    }

    #[test]
    fn cover_chains() {
        let t = |s: i64| Timestamp::from_micros(s * 1_000_000);
        let a = [
            Absence { user: u(1), starts_at: t(10), ends_at: t(20), cover: Some(u(2)) },
            Absence { user: u(2), starts_at: t(15), ends_at: t(30), cover: Some(u(3)) },
            Absence { user: u(3), starts_at: t(25), ends_at: t(40), cover: Some(u(1)) },
        ];
        assert_eq!(covering(u(1), &a, t(5)), Some(u(1)));
        assert_eq!(covering(u(1), &a, t(12)), Some(u(2)));
        assert_eq!(covering(u(1), &a, t(16)), Some(u(3)));
        assert_eq!(covering(u(2), &a, t(26)), Some(u(1)), "u1 is back");
        let looped = [
            Absence { user: u(1), starts_at: t(0), ends_at: t(9), cover: Some(u(2)) },
            Absence { user: u(2), starts_at: t(0), ends_at: t(9), cover: Some(u(1)) },
        ];
        assert_eq!(covering(u(1), &looped, t(1)), None);
    }

    fn members() -> impl Strategy<Value = Vec<Candidate>> {
        proptest::collection::vec((0u32..6, 0u32..6, proptest::bool::weighted(0.3)), 0..7).prop_map(|v| {
            v.into_iter().enumerate().map(|(i, (open, capacity, away))| c(i as u8, open, capacity, away)).collect()
        })
    }

    proptest! {
        #[test]
        fn nobody_away_full_or_excluded_is_picked(ms in members(), last in proptest::option::of(0u8..8), ex in proptest::collection::vec(0u8..8, 0..3)) {
            let exclude: Vec<UserId> = ex.into_iter().map(u).collect();
            match pick(&ms, last.map(u), &exclude) {
                Some(chosen) => {
                    let m = ms.iter().find(|m| m.user == chosen).unwrap();
                    prop_assert!(!m.away && m.open < m.capacity && !exclude.contains(&chosen));
                    // Nobody eligible has less open work.
                    for other in &ms {
                        if !other.away && other.open < other.capacity && !exclude.contains(&other.user) {
                            prop_assert!(other.open >= m.open);
                        }
                    }
                }
                None => {
                    prop_assert!(ms.iter().all(|m| m.away || m.open >= m.capacity || exclude.contains(&m.user)));
                }
            }
            // Deterministic.
            prop_assert_eq!(pick(&ms, last.map(u), &exclude), pick(&ms, last.map(u), &exclude));
        }

        #[test]
        fn cover_is_never_away(absences in proptest::collection::vec((0u8..4, 0i64..10, 0i64..10, proptest::option::of(0u8..4)), 0..6), who in 0u8..4, now in 0i64..20) {
            let t = |s: i64| Timestamp::from_micros(s);
            let abs: Vec<Absence> = absences.into_iter().map(|(user, s, len, cover)| Absence {
                user: u(user), starts_at: t(s), ends_at: t(s + len), cover: cover.map(u),
            }).collect();
            if let Some(c) = covering(u(who), &abs, t(now)) {
                prop_assert!(!is_away(c, &abs, t(now)));
            }
        }
    }
}
