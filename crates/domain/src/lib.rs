//! The pure domain core of Switchboard.
//!
//! Plain data and plain functions: identifiers, validated text, roles, the
//! conversation state machine, the access policy, session and throttling
//! rules, the canonical form of audit records. Nothing here performs I/O,
//! awaits, touches a database or knows about HTTP or JSON, so every rule can
//! be tested exhaustively and with property tests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod access_review;
pub mod analytics;
pub mod assignment;
pub mod attachment;
pub mod audit;
pub mod auto_reply;
pub mod caregiver;
pub mod conversation;
pub mod cursor;
pub mod ehr;
pub mod emergency;
pub mod enrollment;
pub mod event;
pub mod export;
pub mod history;
pub mod hours;
pub mod ids;
pub mod inbox;
pub mod job;
pub mod mfa;
pub mod notify;
pub mod onboarding;
pub mod oncall;
pub mod operator;
pub mod password;
pub mod policy;
pub mod receipt;
pub mod retention;
pub mod role;
pub mod routing;
pub mod search;
pub mod secure_link;
pub mod sensitivity;
pub mod session;
pub mod sign_in;
pub mod sla;
pub mod sso;
pub mod templates;
pub mod text;
pub mod throttle;
pub mod time;
pub mod topic;
pub mod triage;

pub use ids::*;
pub use time::Timestamp;
