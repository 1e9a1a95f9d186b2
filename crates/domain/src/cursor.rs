//! Opaque pagination cursors for conversation listings.

use crate::ids::ConversationId;
use crate::time::Timestamp;

/// Where the next page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListCursor {
    /// After this row, in most-recent-first order (stable under inserts).
    After { last_activity_at: Timestamp, id: ConversationId },
    /// After this many rows, in attention order (which changes as
    /// conversations are answered, so a position is all one can keep).
    Offset(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidCursor;

impl ListCursor {
    pub fn encode(&self) -> String {
        match self {
            ListCursor::After { last_activity_at, id } => format!("{}~{}", last_activity_at.as_micros(), id),
            ListCursor::Offset(n) => format!("o~{n}"),
        }
    }

    pub fn parse(text: &str) -> Result<Self, InvalidCursor> {
        let (head, tail) = text.split_once('~').ok_or(InvalidCursor)?;
        if head == "o" {
            return tail.parse().map(ListCursor::Offset).map_err(|_| InvalidCursor);
        }
        let micros: i64 = head.parse().map_err(|_| InvalidCursor)?;
        let id = ConversationId::parse(tail).map_err(|_| InvalidCursor)?;
        Ok(ListCursor::After { last_activity_at: Timestamp::from_micros(micros), id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(t in any::<i64>(), b in any::<[u8; 16]>(), n in any::<u32>()) {
            let c = ListCursor::After { last_activity_at: Timestamp::from_micros(t), id: ConversationId::from_bytes(b) };
            prop_assert_eq!(ListCursor::parse(&c.encode()), Ok(c));
            prop_assert_eq!(ListCursor::parse(&ListCursor::Offset(n).encode()), Ok(ListCursor::Offset(n)));
        }

        #[test]
        fn garbage_is_refused_not_panicking(s in ".{0,60}") {
            let _ = ListCursor::parse(&s);
        }
    }
}
