//! The routes of API v1. Each route file lists its routes once
//! (`routes()`: handlers whose `#[utoipa::path]` names the method and
//! path), and [`api`] builds both the router and the OpenAPI document from
//! those lists, so nothing is routed undocumented or documented unrouted.
//! A handler left out of its file's list is dead code, which the lints
//! refuse.

mod access_reviews;
mod accounts;
mod analytics;
mod attachments;
mod audit;
mod auth;
mod caregivers;
mod conversations;
mod csv;
mod ehr_clients;
mod emergency;
mod enrollment;
mod exports;
mod health;
mod inbox;
mod live;
mod me;
mod mfa;
mod notifications;
mod oncall;
mod operator;
mod pages;
mod passkeys;
mod patients;
mod retention;
mod schedule;
mod search;
mod secure_links;
mod sensitivity;
mod sessions;
mod setup;
mod sms;
mod sso;

use crate::AppState;
use crate::error::ApiError;
pub(crate) use attachments::sealed_body;
use axum::Router;
use axum::routing::get;
use switchboard_service::ServiceError;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Every documented route, one entry per path.
fn documented() -> Vec<UtoipaMethodRouter<AppState>> {
    [
        health::routes(),
        auth::routes(),
        me::routes(),
        sessions::routes(),
        mfa::routes(),
        passkeys::routes(),
        notifications::routes(),
        oncall::routes(),
        enrollment::routes(),
        accounts::routes(),
        patients::routes(),
        operator::routes(),
        conversations::routes(),
        attachments::routes(),
        inbox::routes(),
        live::routes(),
        audit::routes(),
        access_reviews::routes(),
        emergency::routes(),
        analytics::routes(),
        schedule::routes(),
        search::routes(),
        secure_links::routes(),
        sensitivity::routes(),
        caregivers::routes(),
        setup::routes(),
        sms::routes(),
        sso::routes(),
        ehr_clients::routes(),
        retention::routes(),
        exports::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The API's routes together with their OpenAPI document.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    documented().into_iter().fold(OpenApiRouter::with_openapi(crate::openapi::base()), OpenApiRouter::routes)
}

/// The whole router: the API, then the embedded pages (anonymous files,
/// not part of the API or its document).
pub(crate) fn routes(api: Router<AppState>, pages: impl Iterator<Item = &'static str>) -> Router<AppState> {
    pages
        .fold(api, |router, path| router.route(path, get(pages::asset)))
        .method_not_allowed_fallback(method_not_allowed)
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::Service(ServiceError::NotFound)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::collections::btree_map::Entry;

    /// utoipa keys schemas by name and the last one registered wins, so two
    /// types published under one name leave the document describing one of
    /// them twice. Every route registers the schemas it uses, each time it
    /// uses them: a name must always come with the same schema.
    #[test]
    fn no_two_types_share_a_schema_name() {
        let mut seen: BTreeMap<String, (serde_json::Value, String)> = BTreeMap::new();
        let base = crate::openapi::base().components.unwrap_or_default().schemas;
        let registered = base.into_iter().map(|(name, schema)| (name, schema, "the document's base".to_owned()));
        let by_routes = documented().into_iter().flat_map(|(schemas, paths, _)| {
            let route = paths.paths.keys().cloned().collect::<Vec<_>>().join(", ");
            schemas.into_iter().map(move |(name, schema)| (name, schema, route.clone()))
        });
        let mut count = 0;
        for (name, schema, from) in registered.chain(by_routes) {
            count += 1;
            let schema = serde_json::to_value(&schema).unwrap();
            match seen.entry(name) {
                Entry::Vacant(e) => {
                    e.insert((schema, from));
                }
                Entry::Occupied(e) => {
                    let (first, first_from) = e.get();
                    assert_eq!(
                        first,
                        &schema,
                        "two different types are published as schema {}: one by {first_from}, one by {from}",
                        e.key()
                    );
                }
            }
        }
        // The walk saw the routes' schemas, not only the base's.
        assert!(count > seen.len() && seen.contains_key("ConversationDto") && seen.contains_key("MessageDto"));
    }
}
