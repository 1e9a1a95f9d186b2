//! Notifications outside the app: your own choices and push
//! subscriptions, the practice's defaults, a patient's deliveries, the
//! outbox of what found no channel, and the one-click unsubscribe link of
//! reminder emails.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::ids::{PatientId, PushSubscriptionId};
use switchboard_service::ServiceError;
use switchboard_service::delivery::{PracticeNotificationDefaults, PushSubscriptionInput};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(my_choices, save_my_choices),
        routes!(my_mobile, save_my_mobile),
        routes!(subscribe),
        routes!(unsubscribe),
        routes!(push_key),
        routes!(practice_defaults, save_practice_defaults),
        routes!(patient_deliveries),
        routes!(outbox),
        routes!(unsubscribe_page, unsubscribe_reminder_emails),
    ]
}

/// How you are told of new messages outside the app.
#[utoipa::path(get, path = "/api/v1/me/notification-choices", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationChoicesDto)))]
pub(crate) async fn my_choices(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<NotificationChoicesDto>, ApiError> {
    Ok(Json(s.app.my_notification_choices(&p).await?.into()))
}

/// Choose how you are told of new messages (media, quiet hours).
#[utoipa::path(put, path = "/api/v1/me/notification-choices", tag = "notifications", security(("bearer" = [])),
    request_body = NotificationChoicesRequest, responses((status = 200, body = NotificationChoicesDto)))]
pub(crate) async fn save_my_choices(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<NotificationChoicesRequest>,
) -> Result<Json<NotificationChoicesDto>, ApiError> {
    let reach = req.media.as_deref().map(parse_media).transpose()?;
    let quiet = req.quiet_hours.as_ref().map(QuietHoursDto::parse).transpose()?;
    Ok(Json(s.app.save_my_notification_choices(&p, reach, quiet, req.reminder_emails, &ctx).await?.into()))
}

/// Your mobile number for SMS alerts (staff).
#[utoipa::path(get, path = "/api/v1/me/mobile", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MobileDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn my_mobile(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<MobileDto>, ApiError> {
    Ok(Json(MobileDto { mobile: s.app.my_mobile(&p).await? }))
}

/// Set or clear your mobile number for SMS alerts (staff; patients keep
/// theirs in their contact details). Turn SMS on in your choices too.
#[utoipa::path(put, path = "/api/v1/me/mobile", tag = "notifications", security(("bearer" = [])),
    request_body = MobileDto, responses((status = 200, body = MobileDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn save_my_mobile(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<MobileDto>,
) -> Result<Json<MobileDto>, ApiError> {
    Ok(Json(MobileDto { mobile: s.app.save_my_mobile(&p, req.mobile, &ctx).await? }))
}

/// Subscribe this browser to push notifications (what
/// `PushSubscription.toJSON()` gives). They say only that something waits.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = PushSubscriptionRequest, responses((status = 201, body = PushSubscriptionCreated)))]
pub(crate) async fn subscribe(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PushSubscriptionRequest>,
) -> Result<(StatusCode, Json<PushSubscriptionCreated>), ApiError> {
    let input = PushSubscriptionInput { endpoint: req.endpoint, p256dh: req.keys.p256dh, auth: req.keys.auth };
    let id = s.app.add_push_subscription(&p, input, &ctx).await?;
    Ok((StatusCode::CREATED, Json(PushSubscriptionCreated { id: id.to_string() })))
}

/// Stop push notifications to one of your browsers.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), responses((status = 204, description = "removed"), (status = 404, body = ErrorBody)))]
pub(crate) async fn unsubscribe(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_push_subscription(&p, path_id(&id, PushSubscriptionId::parse)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The key browsers subscribe with; 404 when this server sends no push.
#[utoipa::path(get, path = "/api/v1/push/key", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PushKeyDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn push_key(State(s): State<AppState>, Auth(_p): Auth) -> Result<Json<PushKeyDto>, ApiError> {
    let public_key = s.app.push_public_key().ok_or(ServiceError::NotFound)?;
    Ok(Json(PushKeyDto { public_key }))
}

/// The practice's notification defaults for its patients.
#[utoipa::path(get, path = "/api/v1/practice/notification-defaults", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PracticeNotificationDefaultsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn practice_defaults(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<PracticeNotificationDefaultsDto>, ApiError> {
    Ok(Json(defaults_dto(s.app.practice_notification_defaults(&p, &ctx).await?)))
}

/// Set the practice's notification defaults (administrators).
#[utoipa::path(put, path = "/api/v1/practice/notification-defaults", tag = "notifications", security(("bearer" = [])),
    request_body = PracticeNotificationDefaultsDto,
    responses((status = 200, body = PracticeNotificationDefaultsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn save_practice_defaults(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PracticeNotificationDefaultsDto>,
) -> Result<Json<PracticeNotificationDefaultsDto>, ApiError> {
    let defaults = PracticeNotificationDefaults {
        reach: parse_media(&req.media)?,
        quiet: req.quiet_hours.as_ref().map(QuietHoursDto::parse).transpose()?,
    };
    Ok(Json(defaults_dto(s.app.save_practice_notification_defaults(&p, defaults, &ctx).await?)))
}

fn defaults_dto(d: PracticeNotificationDefaults) -> PracticeNotificationDefaultsDto {
    PracticeNotificationDefaultsDto {
        media: d.reach.media().map(|m| m.as_str().to_owned()).collect(),
        quiet_hours: d.quiet.map(Into::into),
    }
}

/// A patient's recent emails, texts and pushes, and the media they cannot
/// be reached by (staff who manage the patient).
#[utoipa::path(get, path = "/api/v1/patient-accounts/{id}/deliveries", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = PatientDeliveriesDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn patient_deliveries(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<PatientDeliveriesDto>, ApiError> {
    let d = s.app.patient_deliveries(&p, path_id(&id, PatientId::parse)?, &ctx).await?;
    Ok(Json(PatientDeliveriesDto {
        deliveries: d.deliveries.iter().map(DeliveryDto::from).collect(),
        unreachable: d
            .unreachable
            .into_iter()
            .map(|(m, t)| UnreachableDto { medium: m.into(), since: t.to_rfc3339() })
            .collect(),
    }))
}

/// What would have been sent had a channel been configured
/// (administrators): with no SMTP server, SMS gateway or push key, the
/// messages wait here to be handed over.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxItemDto>), (status = 404, body = ErrorBody)))]
pub(crate) async fn outbox(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<Vec<OutboxItemDto>>, ApiError> {
    Ok(Json(s.app.outbox(&p, &ctx).await?.into_iter().map(Into::into).collect()))
}

/// A plain page with fixed words (no data, no script): what the
/// unsubscribe link shows.
fn plain_page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n{head}<title>{title} · Switchboard</title>\n</head>\n\
         <body class=\"signin-page\">\n<main id=\"main\" class=\"signin welcome\">\n\
         <p class=\"brand\"><span class=\"brand-mark\" aria-hidden=\"true\"></span>Switchboard</p>\n\
         <div class=\"card\">\n<h1>{title}</h1>\n{body}\n</div>\n\
         <p class=\"emergency-short\"><strong>In an emergency, call 911.</strong> For thoughts of suicide, call or text 988.</p>\n\
         </main>\n</body>\n</html>\n",
        head = include_str!("../../assets/partials/head.html"),
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The page a reminder email's unsubscribe link opens: what it does, and a
/// button that does it. Opening it changes nothing (mail systems open
/// links to check them).
#[utoipa::path(get, path = "/unsubscribe/{token}", tag = "notifications",
    params(("token" = String, Path, description = "The token of a reminder email's unsubscribe link")),
    responses((status = 200, content_type = "text/html", body = String, description = "The page with its button")))]
pub(crate) async fn unsubscribe_page(Path(_token): Path<String>) -> Response {
    plain_page(
        StatusCode::OK,
        "Stop reminder emails?",
        "<p>When a reply from your care team waits unread, you get one email to remind you. \
         Stop these reminder emails? You will still be told of new replies the way you chose, \
         and you can turn reminders back on in your settings.</p>\n\
         <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Stop reminder emails</button></form>",
    )
}

/// One-click unsubscribe (RFC 8058): turns reminder emails off for the
/// patient the reminder went to. Mail programs post
/// `List-Unsubscribe=One-Click` here, and the page's button a form; the
/// body is not read (the token in the path is the whole request), so it
/// is not described.
/// Other notices stay as the patient chose. 410 for a link that is not
/// one of ours.
#[utoipa::path(post, path = "/unsubscribe/{token}", tag = "notifications",
    params(("token" = String, Path, description = "The token of a reminder email's unsubscribe link")),
    responses((status = 200, content_type = "text/html", body = String, description = "Reminder emails are off"),
        (status = 410, content_type = "text/html", body = String, description = "Not a working unsubscribe link"),
        (status = 429, body = ErrorBody, description = "Too many tries at links from this address")))]
pub(crate) async fn unsubscribe_reminder_emails(
    State(s): State<AppState>,
    Client(ctx): Client,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    match s.app.unsubscribe_reminder_emails(&token, &ctx).await {
        Ok(()) => Ok(plain_page(
            StatusCode::OK,
            "Reminder emails are off",
            "<p>You will get no more emails reminding you of unread replies. \
             You are still told of new replies the way you chose.</p>\n\
             <p>To turn reminders back on, <a href=\"/app#/settings\">sign in and open Settings</a>.</p>",
        )),
        Err(ServiceError::LinkInvalid) => Ok(plain_page(
            StatusCode::GONE,
            "This link does not work",
            "<p>It may have been copied incompletely. To stop reminder emails, \
             <a href=\"/app#/settings\">sign in and open Settings</a>.</p>",
        )),
        Err(e) => Err(e.into()),
    }
}
