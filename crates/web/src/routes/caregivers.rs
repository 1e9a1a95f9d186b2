//! Caregivers (proxy access): whom a caregiver acts for, a patient's
//! caregivers and invitations, the practice's grants for minors,
//! revocation, sharing a minor's conversation, and the practice's
//! confidentiality age.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth, Client, ConversationPath, field_id, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::caregiver::CaregiverRelationship;
use switchboard_domain::ids::{CaregiverInvitationId, PatientId, ProxyGrantId};
use switchboard_domain::time::Timestamp;
use switchboard_service::ServiceError;
use switchboard_service::caregiver_accounts::NewCaregiverAccount;
use switchboard_service::caregivers::{GrantInput, NewInvitation};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(caregiving),
        routes!(act_for),
        routes!(my_caregivers),
        routes!(invite),
        routes!(withdraw_invitation),
        routes!(accept),
        routes!(revoke),
        routes!(patient_caregivers, grant),
        routes!(practice_invitation),
        routes!(create_account),
        routes!(set_sharing),
        routes!(settings, set_settings),
    ]
}

fn relationship(text: &str) -> Result<CaregiverRelationship, ApiError> {
    CaregiverRelationship::parse(text).ok_or_else(|| {
        ApiError::Service(ServiceError::Invalid {
            field: "relationship",
            problem: "the relationship must be mother, father, guardian, spouse, adult_child or other".into(),
        })
    })
}

/// Whom the signed-in patient may act for: themselves first, then each
/// patient whose caregiver they are (grants in force now). Audited per
/// patient shown.
#[utoipa::path(get, path = "/api/v1/me/caregiving", tag = "caregivers", security(("bearer" = [])),
    responses((status = 200, body = [CaregivingPersonDto]), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not a patient")))]
pub(crate) async fn caregiving(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<Vec<CaregivingPersonDto>>, ApiError> {
    let people = s.app.caregiving(&p, &ctx).await?;
    Ok(Json(people.iter().map(Into::into).collect()))
}

/// Switch whom one acts for in the app (oneself, or a patient one is a
/// caregiver for). Nothing changes on the server but the record: every
/// switch is audited; lists and new conversations then name the patient.
#[utoipa::path(put, path = "/api/v1/me/acting-for", tag = "caregivers", security(("bearer" = [])),
    request_body = ActingForRequest,
    responses((status = 200, body = CaregivingPersonDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not oneself nor a patient one cares for"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn act_for(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ActingForRequest>,
) -> Result<Json<CaregivingPersonDto>, ApiError> {
    let patient = field_id("patient_id", &req.patient_id, PatientId::parse)?;
    let person = s.app.act_for(&p, &ctx, patient).await?;
    Ok(Json((&person).into()))
}

/// The signed-in patient's caregivers and open invitations (never a
/// caregiver's view of someone else's).
#[utoipa::path(get, path = "/api/v1/me/caregivers", tag = "caregivers", security(("bearer" = [])),
    responses((status = 200, body = CaregiversDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not a patient"), (status = 422, body = ErrorBody)))]
pub(crate) async fn my_caregivers(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<CaregiversDto>, ApiError> {
    let overview = s.app.caregivers_of(&p, &ctx, None).await?;
    Ok(Json((&overview).into()))
}

/// Make a one-time invitation for a caregiver: a code to hand over (shown
/// once), good once for seven days. The caregiver accepts it signed in to
/// their own patient account at this practice.
#[utoipa::path(post, path = "/api/v1/me/caregiver-invitations", tag = "caregivers", security(("bearer" = [])),
    request_body = InviteCaregiverRequest,
    responses((status = 201, body = NewCaregiverInvitationDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not a patient"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a relationship")))]
pub(crate) async fn invite(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<InviteCaregiverRequest>,
) -> Result<(StatusCode, Json<NewCaregiverInvitationDto>), ApiError> {
    let r = relationship(&req.relationship)?;
    let inv = s.app.invite_caregiver(&p, &ctx, r).await?;
    Ok((StatusCode::CREATED, Json(new_invitation(inv))))
}

/// Withdraw an invitation not yet used.
#[utoipa::path(delete, path = "/api/v1/me/caregiver-invitations/{id}", tag = "caregivers", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "withdrawn"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already used or withdrawn")))]
pub(crate) async fn withdraw_invitation(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_caregiver_invitation(&p, &ctx, path_id(&id, CaregiverInvitationId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept a caregiver invitation, signed in to one's own patient account
/// at the same practice: from now on one may act for the patient who made
/// it. A wrong, used, withdrawn or expired code is refused alike.
#[utoipa::path(post, path = "/api/v1/caregiver-invitations/accept", tag = "caregivers", security(("bearer" = [])),
    request_body = AcceptCaregiverInvitationRequest,
    responses((status = 201, body = CaregivingPersonDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not a patient"),
        (status = 409, body = ErrorBody, description = "already a caregiver of this patient"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a usable invitation code"),
        (status = 429, body = ErrorBody, description = "too_many_attempts: wrong codes are slowed like passwords")))]
pub(crate) async fn accept(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<AcceptCaregiverInvitationRequest>,
) -> Result<(StatusCode, Json<CaregivingPersonDto>), ApiError> {
    let person = s.app.accept_caregiver_invitation(&p, &ctx, &req.code).await?;
    Ok((StatusCode::CREATED, Json((&person).into())))
}

/// End a caregiver's access at once: the patient, staff who manage the
/// patient's enrollment, or the caregiver giving it up.
#[utoipa::path(delete, path = "/api/v1/caregivers/{id}", tag = "caregivers", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "the grant")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already revoked")))]
pub(crate) async fn revoke(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_caregiver(&p, &ctx, path_id(&id, ProxyGrantId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A patient's caregivers and open invitations, and where the patient
/// stands (adult, child, confidential minor): staff who manage the
/// patient's enrollment.
#[utoipa::path(get, path = "/api/v1/patient-accounts/{id}/caregivers", tag = "caregivers", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses((status = 200, body = CaregiversDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn patient_caregivers(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CaregiversDto>, ApiError> {
    let overview = s.app.caregivers_of(&p, &ctx, Some(path_id(&id, PatientId::parse)?)).await?;
    Ok(Json((&overview).into()))
}

/// Give a caregiver access to a minor's messages (staff who manage the
/// patient's enrollment): the caregiver is another patient of the practice
/// with an account. It ends at the minor's 18th birthday, or earlier.
#[utoipa::path(post, path = "/api/v1/patient-accounts/{id}/caregivers", tag = "caregivers", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = GrantCaregiverRequest,
    responses((status = 201, body = CaregiverDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the caregiver already has access"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a minor, not a caregiver with an account, a bad relationship or end")))]
pub(crate) async fn grant(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GrantCaregiverRequest>,
) -> Result<(StatusCode, Json<CaregiverDto>), ApiError> {
    let patient = path_id(&id, PatientId::parse)?;
    let input = GrantInput {
        caregiver_patient: field_id("caregiver_patient_id", &req.caregiver_patient_id, PatientId::parse)?,
        relationship: relationship(&req.relationship)?,
        until: until(req.until.as_deref())?,
    };
    let view = s.app.grant_caregiver(&p, &ctx, patient, input).await?;
    Ok((StatusCode::CREATED, Json((&view).into())))
}

fn until(text: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|u| {
        Timestamp::parse_rfc3339(u).map_err(|_| {
            ApiError::Service(ServiceError::Invalid {
                field: "until",
                problem: "the end must be an RFC 3339 time".into(),
            })
        })
    })
    .transpose()
}

/// Make a code for a minor's caregiver (staff who manage the patient's
/// enrollment), for a caregiver with no account at the practice (they make
/// one with it) or one with an account (they accept it in Settings). Shown
/// once; good once, for seven days. The access it gives ends at the
/// minor's 18th birthday, or at `until` if earlier.
#[utoipa::path(post, path = "/api/v1/patient-accounts/{id}/caregiver-invitations", tag = "caregivers",
    security(("bearer" = [])), params(("id" = String, Path, format = "uuid")),
    request_body = PracticeCaregiverInvitationRequest,
    responses((status = 201, body = NewCaregiverInvitationDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a minor, a bad relationship or end")))]
pub(crate) async fn practice_invitation(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PracticeCaregiverInvitationRequest>,
) -> Result<(StatusCode, Json<NewCaregiverInvitationDto>), ApiError> {
    let patient = path_id(&id, PatientId::parse)?;
    let r = relationship(&req.relationship)?;
    let inv = s.app.invite_caregiver_for_minor(&p, &ctx, patient, r, until(req.until.as_deref())?).await?;
    Ok((StatusCode::CREATED, Json(new_invitation(inv))))
}

fn new_invitation(inv: NewInvitation) -> NewCaregiverInvitationDto {
    NewCaregiverInvitationDto {
        id: inv.id.to_string(),
        code: inv.code,
        relationship: inv.relationship.into(),
        expires_at: inv.expires_at.to_rfc3339(),
    }
}

/// Make a caregiver account with a code, not signed in: for a caregiver
/// who is not a patient of the practice. The account has no record of its
/// own and reaches only the person the code is for; it accepts the
/// practice's messaging terms in the app before it first writes. A wrong,
/// used, withdrawn or expired code is refused alike, and codes are slowed
/// per address like passwords.
#[utoipa::path(post, path = "/api/v1/caregiver-accounts", tag = "caregivers", request_body = NewCaregiverAccountRequest,
    responses((status = 201, body = CaregiverAccountDto), (status = 409, body = ErrorBody, description = "the user name is taken"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not a usable code, or a bad name, user name or password"),
        (status = 429, body = ErrorBody, description = "too_many_attempts")))]
pub(crate) async fn create_account(
    State(s): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<NewCaregiverAccountRequest>,
) -> Result<(StatusCode, Json<CaregiverAccountDto>), ApiError> {
    let input = NewCaregiverAccount {
        code: req.code,
        given_name: req.given_name,
        family_name: req.family_name,
        username: req.username,
        password: req.password,
    };
    let made = s.app.create_caregiver_account(input, &ctx).await?;
    Ok((StatusCode::CREATED, Json(CaregiverAccountDto { user_id: made.user.to_string(), username: made.username })))
}

/// Share a conversation with the patient's caregivers, or stop: the
/// patient, or providers, nurses and medical assistants who may read it.
/// It matters while the patient is a confidential minor (their caregivers
/// see only what is shared). Audited.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/sharing", tag = "caregivers", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid")), request_body = SetSharingRequest,
    responses((status = 200, body = SharingDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such conversation, or the caller may not share it"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn set_sharing(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ConversationPath(id): ConversationPath,
    ApiJson(req): ApiJson<SetSharingRequest>,
) -> Result<Json<SharingDto>, ApiError> {
    Ok(Json(s.app.set_conversation_sharing(&p, &ctx, id, req.shared).await?.into()))
}

/// The practice's confidentiality age for minors (staff).
#[utoipa::path(get, path = "/api/v1/practice/caregivers", tag = "setup", security(("bearer" = [])),
    responses((status = 200, body = CaregiverSettingsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not staff of the practice")))]
pub(crate) async fn settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
) -> Result<Json<CaregiverSettingsDto>, ApiError> {
    Ok(Json(CaregiverSettingsDto { confidential_age: s.app.caregiver_settings(&p, &ctx).await? }))
}

/// Set the practice's confidentiality age (administrators): 10 to 18; 18
/// means minors' conversations are never confidential from caregivers.
/// Sessions follow the change at their next request.
#[utoipa::path(put, path = "/api/v1/practice/caregivers", tag = "setup", security(("bearer" = [])),
    request_body = CaregiverSettingsDto,
    responses((status = 200, body = CaregiverSettingsDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not an administrator of the practice"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "an age outside 10 to 18")))]
pub(crate) async fn set_settings(
    State(s): State<AppState>,
    Client(ctx): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CaregiverSettingsDto>,
) -> Result<Json<CaregiverSettingsDto>, ApiError> {
    Ok(Json(CaregiverSettingsDto {
        confidential_age: s.app.set_caregiver_settings(&p, &ctx, req.confidential_age).await?,
    }))
}
