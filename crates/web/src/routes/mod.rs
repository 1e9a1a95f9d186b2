//! The routes of API v1. Every route here must be documented in
//! `openapi.rs`; the integration tests check both ways.

mod accounts;
mod analytics;
mod audit;
mod auth;
mod conversations;
mod csv;
mod health;
mod inbox;
mod live;
mod me;
mod operator;
mod pages;
mod patients;
mod schedule;
mod setup;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::routing::{delete, get, post, put};
use switchboard_service::ServiceError;

pub(crate) use accounts::{
    __path_add_staff, __path_deactivate, __path_inspect_link, __path_reactivate, __path_redeem_link,
    __path_request_password_reset, __path_reset_link, __path_staff_accounts, __path_update_staff,
};
pub(crate) use analytics::{__path_analytics, __path_analytics_csv};
pub(crate) use audit::{__path_audit_events_csv, __path_audit_subjects, __path_list_audit_events};
pub(crate) use auth::{__path_login, __path_logout, __path_me};
pub(crate) use conversations::{
    __path_add_note, __path_amend_message, __path_assign, __path_close, __path_create_conversation, __path_escalate,
    __path_get_conversation, __path_list_conversations, __path_mark_read, __path_mark_unread, __path_rate,
    __path_render_template, __path_reopen, __path_screen, __path_send_message,
};
pub(crate) use health::{__path_healthz, __path_openapi, __path_readyz};
pub(crate) use inbox::{__path_counts, __path_practice, __path_staff, __path_typing};
pub(crate) use live::__path_events;
pub(crate) use me::{__path_change_password, __path_contact, __path_save_contact};
pub(crate) use operator::{
    __path_audit_events as __path_operator_audit_events, __path_create_practice as __path_operator_create_practice,
    __path_practices as __path_operator_practices,
};
pub(crate) use patients::{
    __path_create as __path_create_patient, __path_import as __path_import_patients, __path_invite,
    __path_list as __path_list_patients, __path_one as __path_patient_account, __path_revoke_invitation,
    __path_update as __path_update_patient,
};
pub(crate) use schedule::{
    __path_add_closure, __path_expectation, __path_remove_closure, __path_response_settings,
    __path_save_department_hours, __path_save_practice_hours, __path_save_response_settings,
};
pub(crate) use setup::{
    __path_acknowledge_alert, __path_alerts, __path_cancel_absence, __path_create_pool, __path_create_template,
    __path_my_absences, __path_my_notifications, __path_my_providers, __path_my_settings, __path_pools,
    __path_record_absence, __path_rules, __path_save_my_settings, __path_save_rules, __path_templates,
    __path_update_pool, __path_update_template,
};

pub(crate) fn routes(pages: impl Iterator<Item = &'static str>) -> Router<AppState> {
    let mut router = Router::new();
    for path in pages {
        router = router.route(path, get(pages::asset));
    }
    router
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/openapi.json", get(health::openapi))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/password-reset", post(accounts::request_password_reset))
        .route("/api/v1/links/inspect", post(accounts::inspect_link))
        .route("/api/v1/links/redeem", post(accounts::redeem_link))
        .route("/api/v1/staff-accounts", get(accounts::staff_accounts).post(accounts::add_staff))
        .route("/api/v1/staff-accounts/{id}", put(accounts::update_staff))
        .route("/api/v1/users/{id}/deactivate", post(accounts::deactivate))
        .route("/api/v1/users/{id}/reactivate", post(accounts::reactivate))
        .route("/api/v1/users/{id}/reset-link", post(accounts::reset_link))
        .route("/api/v1/patient-accounts", get(patients::list).post(patients::create))
        .route(
            "/api/v1/patient-accounts/import",
            post(patients::import).layer(axum::extract::DefaultBodyLimit::max(patients::IMPORT_MAX_BYTES)),
        )
        .route("/api/v1/patient-accounts/{id}", get(patients::one).put(patients::update))
        .route("/api/v1/patient-accounts/{id}/invitation", post(patients::invite).delete(patients::revoke_invitation))
        .route("/api/v1/operator/practices", get(operator::practices).post(operator::create_practice))
        .route("/api/v1/operator/audit-events", get(operator::audit_events))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/me/contact", get(me::contact).put(me::save_contact))
        .route("/api/v1/me/password", post(me::change_password))
        .route("/api/v1/conversations", get(conversations::list_conversations).post(conversations::create_conversation))
        .route("/api/v1/conversations/{id}", get(conversations::get_conversation))
        .route("/api/v1/conversations/{id}/messages", post(conversations::send_message))
        .route("/api/v1/conversations/{id}/messages/{message_id}/amendments", post(conversations::amend_message))
        .route("/api/v1/conversations/{id}/read", post(conversations::mark_read))
        .route("/api/v1/conversations/{id}/notes", post(conversations::add_note))
        .route("/api/v1/conversations/{id}/close", post(conversations::close))
        .route("/api/v1/conversations/{id}/unread", post(conversations::mark_unread))
        .route("/api/v1/screen", post(conversations::screen))
        .route("/api/v1/conversations/{id}/reopen", post(conversations::reopen))
        .route("/api/v1/conversations/{id}/rating", post(conversations::rate))
        .route("/api/v1/conversations/{id}/assign", post(conversations::assign))
        .route("/api/v1/conversations/{id}/typing", post(inbox::typing))
        .route("/api/v1/audit-events", get(audit::list_audit_events))
        .route("/api/v1/audit-events/csv", get(audit::audit_events_csv))
        .route("/api/v1/audit-events/subjects", post(audit::audit_subjects))
        .route("/api/v1/analytics", get(analytics::analytics))
        .route("/api/v1/analytics/{table}/csv", get(analytics::analytics_csv))
        .route("/api/v1/inbox/counts", get(inbox::counts))
        .route("/api/v1/staff", get(inbox::staff))
        .route("/api/v1/practice", get(inbox::practice))
        .route("/api/v1/practice/expectation", get(schedule::expectation))
        .route("/api/v1/practice/hours", put(schedule::save_practice_hours))
        .route("/api/v1/departments/{id}/hours", put(schedule::save_department_hours))
        .route("/api/v1/response-settings", get(schedule::response_settings).put(schedule::save_response_settings))
        .route("/api/v1/closures", post(schedule::add_closure))
        .route("/api/v1/closures/{id}", delete(schedule::remove_closure))
        .route("/api/v1/events", get(live::events))
        .route("/api/v1/conversations/{id}/escalate", post(conversations::escalate))
        .route("/api/v1/conversations/{id}/render-template", post(conversations::render_template))
        .route("/api/v1/routing-rules", get(setup::rules).put(setup::save_rules))
        .route("/api/v1/pools", get(setup::pools).post(setup::create_pool))
        .route("/api/v1/pools/{id}", put(setup::update_pool))
        .route("/api/v1/me/settings", get(setup::my_settings).put(setup::save_my_settings))
        .route("/api/v1/me/absences", get(setup::my_absences).post(setup::record_absence))
        .route("/api/v1/me/absences/{id}", delete(setup::cancel_absence))
        .route("/api/v1/me/providers", get(setup::my_providers))
        .route("/api/v1/me/notifications", get(setup::my_notifications))
        .route("/api/v1/alerts", get(setup::alerts))
        .route("/api/v1/alerts/{id}/ack", post(setup::acknowledge_alert))
        .route("/api/v1/templates", get(setup::templates).post(setup::create_template))
        .route("/api/v1/templates/{id}", put(setup::update_template))
        .method_not_allowed_fallback(method_not_allowed)
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::Service(ServiceError::NotFound)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
