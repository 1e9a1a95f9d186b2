//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the JSON types.

use crate::dto::*;
use crate::error::{ErrorBody, ErrorDetail};
use crate::openapi_errors::StandardErrors;
use crate::routes::*;
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
    paths(
        healthz, readyz, openapi, login, logout, me, list_conversations, create_conversation, get_conversation, send_message,
        amend_message, mark_read, add_note, close, reopen, assign, typing, list_audit_events, counts, staff, practice,
        events, escalate, render_template, rules, save_rules, pools, create_pool, update_pool, my_settings,
        save_my_settings, my_absences, record_absence, cancel_absence, my_providers, alerts, acknowledge_alert,
        templates, create_template, update_template, expectation, save_practice_hours, save_department_hours,
        response_settings, save_response_settings, add_closure, remove_closure, my_notifications, rate,
        analytics, analytics_csv, inspect_link, redeem_link, request_password_reset, staff_accounts, add_staff,
        update_staff, deactivate, reactivate, reset_link, list_patients, create_patient, update_patient, invite,
        revoke_invitation, import_patients, operator_create_practice, operator_practices, operator_audit_events, mark_unread, screen,
        audit_events_csv, audit_subjects, contact, save_contact, change_password, patient_account
    ),
    components(schemas(ErrorBody, ErrorDetail, KindDto, RoleDto, TopicDto, StatusDto, PriorityDto)),
    modifiers(&BearerAuth, &StandardErrors),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "conversations", description = "Conversations between a patient and the care team"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "inbox", description = "The staff inbox and the practice"),
        (name = "live", description = "Live updates as server-sent events"),
        (name = "setup", description = "Routing rules, pools, availability and settings"),
        (name = "templates", description = "Quick replies"),
        (name = "accounts", description = "Staff accounts, deactivation, and set-up, invitation and reset links"),
        (name = "analytics", description = "Response times, volume, workload, satisfaction and access, with CSV"),
        (name = "practice", description = "Office hours, closures, response-time targets and automatic replies"),
        (name = "operator", description = "Practices and their first administrators, for the deployment's operator"),
        (name = "health"), (name = "meta")
    )
)]
struct ApiDoc;

/// The document as JSON text.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}
