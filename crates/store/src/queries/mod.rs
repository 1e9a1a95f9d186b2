//! Read queries and write-step builders, one module per area. Every SQL
//! string lives here; nothing above the store composes SQL.

pub mod access_reviews;
pub mod accounts;
pub mod analytics;
pub mod attachments;
pub mod caregivers;
pub mod conversations;
pub mod deliveries;
pub mod directory;
pub mod ehr;
pub mod emergency;
pub mod enrollment;
pub mod events;
pub mod exports;
pub mod jobs;
pub mod keys;
pub mod mfa;
pub mod notifications;
pub mod oncall;
pub mod operator;
pub mod passkeys;
pub mod ratings;
pub mod retention;
pub mod routing;
pub mod schedule;
pub mod search;
pub mod secure_links;
pub mod sensitivity;
pub mod sessions;
pub mod sso;
pub mod templates;
pub mod throttle;

use crate::Value;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: Vec<Value>,
) -> Query<'q, Any, AnyArguments<'q>> {
    for v in args {
        q = match v {
            Value::Int(x) => q.bind(x),
            Value::Text(x) => q.bind(x),
            Value::Bytes(x) => q.bind(x),
        };
    }
    q
}
