//! Accounts: staff management, deactivation, and single-use links
//! (account set-up, invitations, password resets). Link tokens travel in
//! request bodies, never in URLs.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, PublicBase, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::ids::{CareTeamId, DepartmentId, PoolId, UserId};
use switchboard_domain::onboarding::Channel;
use switchboard_domain::role::StaffRole;
use switchboard_service::ServiceError;
use switchboard_service::onboarding::{RedeemInput, StaffInput};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(request_password_reset),
        routes!(inspect_link),
        routes!(redeem_link),
        routes!(staff_accounts, add_staff),
        routes!(update_staff),
        routes!(deactivate),
        routes!(reactivate),
        routes!(reset_link),
    ]
}

/// What a link is for (and marks it opened). Unknown, used, revoked and
/// expired links all answer 410 `link_invalid`.
#[utoipa::path(post, path = "/api/v1/links/inspect", tag = "accounts", request_body = LinkTokenDto,
    responses((status = 200, body = LinkInfoDto), (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn inspect_link(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<LinkTokenDto>,
) -> Result<Json<LinkInfoDto>, ApiError> {
    let info = s.app.inspect_link(&req.token, &ctx).await?;
    Ok(Json(LinkInfoDto {
        purpose: info.purpose.as_str(),
        practice_name: info.practice_name,
        asks_birth_date: info.asks_birth_date,
        asks_username: info.asks_username,
        username: info.username,
        terms: info.terms.map(TermsDto::from),
    }))
}

/// Use a link: set a password (set-up, reset; a reset ends other
/// sessions) or enroll (invitation, after the date of birth matches).
#[utoipa::path(post, path = "/api/v1/links/redeem", tag = "accounts", request_body = RedeemDto,
    responses((status = 204, description = "done; sign in with the new password"), (status = 410, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn redeem_link(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<RedeemDto>,
) -> Result<StatusCode, ApiError> {
    let input = RedeemInput {
        password: req.password,
        username: req.username,
        birth_date: req.birth_date,
        terms_version: req.terms_version,
    };
    s.app.redeem_link(&req.token, input, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgotten password. The same answer whether or not the account exists;
/// throttled per account and per address.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequestDto,
    responses((status = 202, body = ResetRequestedDto), (status = 429, body = ErrorBody)))]
pub(crate) async fn request_password_reset(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ResetRequestDto>,
) -> Result<(StatusCode, Json<ResetRequestedDto>), ApiError> {
    s.app.request_password_reset(&req.username, &ctx).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetRequestedDto {
            message: "If that account exists, we send the reset link to its email address or mobile number, or, if \
                      it has neither, let your practice know you asked. You can also ask at the front desk or call them.",
        }),
    ))
}

fn staff_input(req: StaffAccountDto) -> Result<StaffInput, ApiError> {
    let role = StaffRole::parse(&req.role).ok_or(ApiError::Service(ServiceError::Invalid {
        field: "role",
        problem: format!(
            "the role must be one of: {}",
            StaffRole::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }))?;
    Ok(StaffInput {
        username: (!req.username.is_empty()).then_some(req.username),
        display_name: req.display_name,
        role,
        departments: req
            .departments
            .iter()
            .map(|d| field_id("departments", d, DepartmentId::parse))
            .collect::<Result<_, _>>()?,
        care_teams: req
            .care_teams
            .iter()
            .map(|t| field_id("care_teams", t, CareTeamId::parse))
            .collect::<Result<_, _>>()?,
        pools: req
            .pools
            .map(|pools| pools.iter().map(|p| field_id("pools", p, PoolId::parse)).collect::<Result<_, _>>())
            .transpose()?,
        mobile: req.mobile,
        setup_by: match req.setup_link_by.as_deref() {
            None | Some("desk") => Channel::Desk,
            Some("sms") => Channel::Sms,
            Some(_) => {
                return Err(ServiceError::Invalid {
                    field: "setup_link_by",
                    problem: "a set-up link is sent by sms or handed over at the desk".into(),
                }
                .into());
            }
        },
    })
}

/// The practice's staff accounts, with last sign-in (administrators).
#[utoipa::path(get, path = "/api/v1/staff-accounts", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [StaffAccountDto]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn staff_accounts(
    State(s): State<AppState>,
    Auth(p): Auth,
    Client(ctx): Client,
) -> Result<Json<Vec<StaffAccountDto>>, ApiError> {
    let rows = s.app.staff_accounts(&p, &ctx).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| StaffAccountDto {
                id: r.id.to_string(),
                username: r.username,
                display_name: r.display_name,
                role: r.role.as_str().to_owned(),
                departments: r.departments.iter().map(ToString::to_string).collect(),
                care_teams: r.care_teams.iter().map(ToString::to_string).collect(),
                pools: Some(r.pools.iter().map(ToString::to_string).collect()),
                active: r.active,
                last_sign_in_at: r.last_login_at.map(|t| t.to_rfc3339()),
                password_set: r.password_set,
                reset_requested_at: r.reset_requested_at.map(|t| t.to_rfc3339()),
                mobile: None,
                setup_link_by: None,
            })
            .collect(),
    ))
}

/// Add a staff member (administrators). They set their own password
/// through the set-up link returned once here.
#[utoipa::path(post, path = "/api/v1/staff-accounts", tag = "accounts", security(("bearer" = [])),
    request_body = StaffAccountDto,
    responses((status = 201, body = StaffCreatedDto), (status = 400, body = ErrorBody, description = "host_not_allowed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_staff(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    base: PublicBase,
    ApiJson(req): ApiJson<StaffAccountDto>,
) -> Result<(StatusCode, Json<StaffCreatedDto>), ApiError> {
    let (id, link) = s.app.add_staff_member(&p, staff_input(req)?, &ctx).await?;
    Ok((StatusCode::CREATED, Json(StaffCreatedDto { id: id.to_string(), setup_link: issued(&link, &base) })))
}

/// Change a staff member's name, role, departments and care teams.
#[utoipa::path(put, path = "/api/v1/staff-accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = StaffAccountDto,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_staff(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StaffAccountDto>,
) -> Result<StatusCode, ApiError> {
    let user = path_id(&id, UserId::parse)?;
    s.app.update_staff_member(&p, user, staff_input(req)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivate an account: its sessions end at once, its history stays.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "deactivated"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn deactivate(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.set_account_active(&p, path_id(&id, UserId::parse)?, false, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivate an account.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "reactivated"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn reactivate(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.set_account_active(&p, path_id(&id, UserId::parse)?, true, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password-reset link for an account, shown once to the administrator
/// to hand over. Earlier reset links stop working.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-link", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 201, body = IssuedLinkDto), (status = 400, body = ErrorBody, description = "host_not_allowed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn reset_link(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    base: PublicBase,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<IssuedLinkDto>), ApiError> {
    let link = s.app.issue_reset_link(&p, path_id(&id, UserId::parse)?, &ctx).await?;
    Ok((StatusCode::CREATED, Json(issued(&link, &base))))
}
