//! Notifications outside the app: your own choices and push
//! subscriptions, the practice's defaults, a patient's deliveries, and the
//! outbox of what found no channel.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
    Ok(Json(s.app.save_my_notification_choices(&p, reach, quiet, &ctx).await?.into()))
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
