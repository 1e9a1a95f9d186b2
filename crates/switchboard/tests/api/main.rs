//! The end-to-end suite: each test starts the real server on a random port
//! over real HTTPS, against a fresh SQLite database in a temporary directory
//! or, when `SWITCHBOARD_TEST_DATABASE_URL` is set, a fresh PostgreSQL
//! database. One binary for all of them (each integration-test binary costs
//! a link on a 2-core machine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::print_stdout)]

#[path = "../../../service/tests/support/clamd.rs"]
mod clamd;
#[path = "../../../couriers/tests/peers/mod.rs"]
mod peers;
mod support;

mod access_matrix;
mod access_reviews;
mod analytics;
mod attachments;
mod attachments_s3;
mod audit;
mod auth;
mod bad_input;
mod caregiver_accounts;
mod caregivers;
mod conversations;
mod daily_use;
mod emergency_access;
mod encryption;
mod enrollment;
mod exports;
mod fhir;
mod hardening_auth;
mod hardening_low;
mod hardening_net;
mod hardening_ops;
mod inbox_reference;
mod jobs;
mod live;
mod notifications;
mod onboarding;
mod oncall;
mod operator;
mod passkeys;
mod protocol;
mod response_times;
mod retention;
mod routing;
mod schema_parity;
mod search;
mod second_factor;
mod secure_links;
mod sensitivity;
mod sessions;
mod sso;
mod store;
