//! What a check of the audit log's tamper-evident chain found, in the
//! words `switchboard audit verify` prints. The store runs the check; this
//! is its report.

/// Something the check found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyProblem {
    /// Entry `seq` does not match its MAC: it was altered, moved, or an
    /// entry before it was removed.
    Altered { seq: i64 },
    /// Sequence numbers jump from `after` to `next`: entries were removed.
    Missing { after: i64, next: i64 },
    /// The entry's fields are not valid codes: altered.
    Unreadable { seq: i64 },
    /// The chain head says `head` entries were written but the log ends at
    /// `last`: entries were removed from the end.
    Truncated { last: i64, head: i64 },
    /// The chain head disagrees with the last entry.
    HeadMismatch,
    /// A signed checkpoint says entry `seq` had another MAC: the log up to
    /// there was rewritten since.
    CheckpointRewritten { seq: i64 },
    /// A signed checkpoint says the log had reached entry `seq`, but it ends
    /// at `last`: entries were removed from the end (the head row with
    /// them).
    CheckpointBeyondLog { seq: i64, last: i64 },
    /// The file `name` is not a checkpoint signed by this deployment's key.
    CheckpointNotSigned { name: String },
}

impl std::fmt::Display for VerifyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyProblem::Altered { seq } => write!(f, "entry {seq} was altered, moved, or follows a removed entry"),
            VerifyProblem::Missing { after, next } => {
                write!(f, "entries between {after} and {next} are missing")
            }
            VerifyProblem::Unreadable { seq } => {
                write!(f, "entry {seq} holds values that were never written by Switchboard")
            }
            VerifyProblem::Truncated { last, head } => {
                write!(f, "the log ends at entry {last} but {head} entries were written")
            }
            VerifyProblem::HeadMismatch => f.write_str("the chain head does not match the last entry"),
            VerifyProblem::CheckpointRewritten { seq } => {
                write!(f, "a signed checkpoint shows entry {seq} was different: the log was rewritten up to there")
            }
            VerifyProblem::CheckpointBeyondLog { seq, last } => {
                write!(
                    f,
                    "a signed checkpoint shows the log had reached entry {seq}, but it ends at {last}: entries were removed from the end"
                )
            }
            VerifyProblem::CheckpointNotSigned { name } => {
                write!(f, "{name} is not a checkpoint signed with this deployment's key")
            }
        }
    }
}

/// What a check of the whole chain found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many entries were read.
    pub entries: i64,
    pub last_seq: i64,
    /// How many signed checkpoints the chain was checked against.
    pub checkpoints: usize,
    /// Every damaged place, in log order; empty when the log is intact.
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}
