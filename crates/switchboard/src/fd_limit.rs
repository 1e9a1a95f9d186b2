//! The open-file limit: every connection costs a descriptor, and a server
//! out of descriptors cannot accept anyone. The soft limit is raised to the
//! hard one at start, and the connection cap is kept below it with room for
//! the database, the key file and the runtime.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft open-file limit to the hard limit where allowed, and
/// returns the soft limit now in force (`None`: unlimited).
pub fn raise() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Descriptors kept for everything but client connections: an eighth of
/// the limit, at least 64 and at most 1,024.
fn reserve(soft: u64) -> u64 {
    (soft / 8).clamp(64, 1024)
}

/// The connection cap: `configured`, lowered to leave [`reserve`]
/// descriptors free under `soft`.
pub fn connection_cap(configured: usize, soft: Option<u64>) -> usize {
    let Some(soft) = soft else { return configured.max(1) };
    let room = usize::try_from(soft.saturating_sub(reserve(soft))).unwrap_or(usize::MAX);
    configured.min(room).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        assert_eq!(connection_cap(10_000, Some(1024)), 896);
        assert_eq!(connection_cap(10_000, Some(256)), 192);
        assert_eq!(connection_cap(10_000, Some(1_048_576)), 10_000);
        assert_eq!(connection_cap(500, Some(1024)), 500);
        assert_eq!(connection_cap(10_000, None), 10_000);
        assert_eq!(connection_cap(10, Some(20)), 1, "never zero");
    }

    #[test]
    fn raising_leaves_a_usable_limit() {
        let soft = raise();
        assert!(soft.is_none_or(|s| s >= 64), "{soft:?}");
        assert_eq!(raise(), soft, "raising twice changes nothing");
    }
}
