//! Office hours, response-time targets and automatic replies, applied:
//! the response clock on each message, the acknowledgement a patient gets,
//! what a patient is told before sending, and the jobs that raise due-soon
//! and overdue alerts.

mod clock;
mod jobs;
mod schedule;
mod settings;

pub use clock::Expectation;
pub(crate) use clock::{ClockTurn, state_of};
pub use jobs::{RESPONSE_DUE_SOON, RESPONSE_OVERDUE};
pub use schedule::Schedule;
pub(crate) use schedule::ScheduleCache;
pub use settings::{ClosureView, ResponseSettings, ResponseSettingsInput, TargetInput};
