//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the JSON types. This holds what is not a route (title, security schemes,
//! tags); the routes add themselves (`routes::api`).

use crate::dto::{KindDto, PriorityDto, RoleDto, StatusDto, TopicDto};
use crate::error::{ErrorBody, ErrorDetail};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token from /api/v1/auth/login. Browsers may use the session cookie instead; a \
                         cookie-borne request whose Sec-Fetch-Site is not same-origin is refused \
                         (403 cross_site_request).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An operator key (sbop_…) from `switchboard operator key create`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "Secure messaging between patients and their clinic's care team. \
            Errors are `{\"error\":{\"code\",\"message\"}}`. Times are RFC 3339 in UTC. \
            Every read and write of health information is recorded in the audit log.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(ErrorBody, ErrorDetail, KindDto, RoleDto, TopicDto, StatusDto, PriorityDto)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "conversations", description = "Conversations between a patient and the care team"),
        (name = "attachments", description = "Photos, documents, audio and video sent in conversations"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "emergency", description = "Emergency (break-glass) access to a patient one is not related to"),
        (name = "inbox", description = "The staff inbox and the practice"),
        (name = "live", description = "Live updates as server-sent events"),
        (name = "setup", description = "Routing rules, pools, availability and settings"),
        (name = "templates", description = "Quick replies"),
        (name = "accounts", description = "Staff accounts, deactivation, and set-up, invitation and reset links"),
        (name = "analytics", description = "Response times, volume, workload, satisfaction and access, with CSV"),
        (name = "practice", description = "Office hours, closures, response-time targets and automatic replies"),
        (name = "operator", description = "Practices and their first administrators, for the deployment's operator"),
        (name = "caregivers", description = "Caregivers acting for patients (proxy access), and minors' confidentiality"),
        (name = "notifications", description = "Email, SMS and Web Push: choices, subscriptions, deliveries and the outbox"),
        (name = "health"), (name = "meta")
    )
)]
struct ApiDoc;

/// The document's start, before the routes add their paths and schemas.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// A document as JSON text.
pub(crate) fn to_json(doc: &utoipa::openapi::OpenApi) -> String {
    doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

/// The routes' document completed with what applies to every operation
/// (`openapi_errors`): a modifier on `ApiDoc` would run before the routes
/// add themselves, so this runs on the assembled document.
pub(crate) fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    crate::openapi_errors::StandardErrors.modify(&mut doc);
    doc
}

/// The whole document as JSON text, as `/api/v1/openapi.json` serves it.
pub fn openapi_json() -> String {
    to_json(&complete(crate::routes::api().into_openapi()))
}
