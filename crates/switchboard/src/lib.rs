//! The `switchboard` binary's library half: configuration, wiring the
//! layers together, the demo data and the command-line tools. `main.rs` is
//! only argument parsing; tests and the load generator start servers
//! through [`server::start`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod config;
pub mod couriers;
pub mod demo;
pub mod demo_history;
pub mod fd_limit;
pub mod server;
pub mod telemetry;
