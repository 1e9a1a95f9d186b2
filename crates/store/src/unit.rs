//! Units of work for the writer: plain data, so they can be queued,
//! batched and retried without closures borrowing across awaits.

use crate::Conflict;
use switchboard_domain::audit::AuditRecord;

/// A bound parameter. Nulls carry their type, which PostgreSQL needs.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl std::fmt::Debug for Value {
    // Parameters may be ciphertext or hashes: show shapes, not contents.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "Int({v:?})"),
            Value::Text(v) => write!(f, "Text({})", v.as_ref().map_or(0, String::len)),
            Value::Bytes(v) => write!(f, "Bytes({})", v.as_ref().map_or(0, Vec::len)),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}
impl From<Option<Vec<u8>>> for Value {
    fn from(v: Option<Vec<u8>>) -> Self {
        Value::Bytes(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Some(v.to_vec()))
    }
}

/// What a step requires of its effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    None,
    /// At least one row must be affected, or the unit fails with
    /// `Conflict(tag)` and nothing of it is kept.
    RowsAffected(Conflict),
}

/// One SQL statement with its parameters.
#[derive(Clone, Debug)]
pub struct Step {
    pub(crate) sql: &'static str,
    pub(crate) args: Vec<Value>,
    pub(crate) guard: Guard,
    /// It adds a job that is due now: the job runners are woken on commit.
    pub(crate) wakes_jobs: bool,
}

impl Step {
    pub fn new(sql: &'static str, args: Vec<Value>) -> Self {
        Step { sql, args, guard: Guard::None, wakes_jobs: false }
    }
    pub fn guarded(mut self, tag: Conflict) -> Self {
        self.guard = Guard::RowsAffected(tag);
        self
    }
}

/// Everything one use case writes: it commits entirely, with its audit
/// records, or not at all.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    pub(crate) steps: Vec<Step>,
    pub(crate) audit: Vec<AuditRecord>,
}

impl Unit {
    pub fn new() -> Self {
        Unit::default()
    }
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }
    pub fn steps(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.steps.extend(steps);
        self
    }
    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }
    pub fn extend(&mut self, steps: impl IntoIterator<Item = Step>) {
        self.steps.extend(steps);
    }
    pub fn audit(mut self, record: AuditRecord) -> Self {
        self.audit.push(record);
        self
    }
    pub fn push_audit(&mut self, record: AuditRecord) {
        self.audit.push(record);
    }
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.audit.is_empty()
    }
}
