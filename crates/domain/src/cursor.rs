//! Opaque pagination cursors for conversation listings: the sort key of the
//! last row returned.

use crate::ids::ConversationId;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListCursor {
    pub last_activity_at: Timestamp,
    pub id: ConversationId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidCursor;

impl ListCursor {
    pub fn encode(&self) -> String {
        format!("{}~{}", self.last_activity_at.as_micros(), self.id)
    }

    pub fn parse(text: &str) -> Result<Self, InvalidCursor> {
        let (t, id) = text.split_once('~').ok_or(InvalidCursor)?;
        let micros: i64 = t.parse().map_err(|_| InvalidCursor)?;
        let id = ConversationId::parse(id).map_err(|_| InvalidCursor)?;
        Ok(ListCursor { last_activity_at: Timestamp::from_micros(micros), id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(t in any::<i64>(), b in any::<[u8; 16]>()) {
            let c = ListCursor { last_activity_at: Timestamp::from_micros(t), id: ConversationId::from_bytes(b) };
            prop_assert_eq!(ListCursor::parse(&c.encode()), Ok(c));
        }

        #[test]
        fn garbage_is_refused_not_panicking(s in ".{0,60}") {
            let _ = ListCursor::parse(&s);
        }
    }
}
