//! The JSON shapes of API v1, one module per area. These are a contract:
//! change them only in a compatible way. Domain types are never serialised
//! directly. Each type's schema name (its Rust name) is unique across the
//! modules: the OpenAPI document has one namespace, and a test in
//! `routes` fails when two types claim one name.

mod accounts;
mod analytics;
mod attachments;
mod audit;
mod auth;
mod caregivers;
mod common;
mod conversation_actions;
mod conversation_view;
mod conversations;
mod ehr_clients;
mod emergency;
mod enrollment;
mod exports;
mod health;
mod inbox;
mod live;
mod mfa;
mod notifications;
mod oncall;
mod operator;
mod passkeys;
mod patients;
mod retention;
mod schedule;
mod search;
mod secure_links;
mod sensitivity;
mod sessions;
mod setup;
mod sso;
mod templates;

pub(crate) use accounts::*;
pub(crate) use analytics::*;
pub(crate) use attachments::*;
pub(crate) use audit::*;
pub(crate) use auth::*;
pub(crate) use caregivers::*;
pub(crate) use common::*;
pub(crate) use conversation_actions::*;
pub(crate) use conversation_view::*;
pub(crate) use conversations::*;
pub(crate) use ehr_clients::*;
pub(crate) use emergency::*;
pub(crate) use enrollment::*;
pub(crate) use exports::*;
pub(crate) use health::*;
pub(crate) use inbox::*;
pub(crate) use live::*;
pub(crate) use mfa::*;
pub(crate) use notifications::*;
pub(crate) use oncall::*;
pub(crate) use operator::*;
pub(crate) use passkeys::*;
pub(crate) use patients::*;
pub(crate) use retention::*;
pub(crate) use schedule::*;
pub(crate) use search::*;
pub(crate) use secure_links::*;
pub(crate) use sensitivity::*;
pub(crate) use sessions::*;
pub(crate) use setup::*;
pub(crate) use sso::*;
pub(crate) use templates::*;
