//! Second factors: the sign-in's second step, enrolling an authenticator
//! app, recovery codes, re-authentication and the practice's requirement.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_domain::mfa::Method;
use switchboard_service::second_factor::{SecondFactorStatus, StaffSecondFactorPolicy, TotpEnrolment};
use utoipa::ToSchema;

/// What a correct password answers: a session, or (for an account with a
/// second factor) a challenge to give the second factor with.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum LoginAnswer {
    Session(LoginResponse),
    SecondFactor(MfaChallengeDto),
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MfaChallengeDto {
    /// Always `true`: no session yet. Send the challenge and a code to
    /// `POST /api/v1/auth/mfa` within five minutes.
    pub mfa_required: bool,
    pub challenge: String,
    /// What the account can give: `totp` (a code from an authenticator
    /// app), `recovery_code` and `passkey` (options from `POST
    /// /api/v1/auth/mfa/passkey-options`).
    pub methods: Vec<MethodDto>,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MethodDto {
    Totp,
    RecoveryCode,
    Passkey,
}

impl From<Method> for MethodDto {
    fn from(m: Method) -> Self {
        match m {
            Method::Totp => MethodDto::Totp,
            Method::RecoveryCode => MethodDto::RecoveryCode,
            Method::Passkey => MethodDto::Passkey,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaCodeRequest {
    pub challenge: String,
    /// Six digits from the authenticator app, or a recovery code
    /// (`abcde-fghjk`, with or without the dash). Give this or `passkey`.
    #[serde(default)]
    pub code: Option<String>,
    /// A passkey's answer to the options of `POST
    /// /api/v1/auth/mfa/passkey-options`. Give this or `code`.
    #[serde(default)]
    pub passkey: Option<PasskeyAnswerDto>,
}

/// Proving again who one is before a sensitive action: exactly one of the
/// three.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReauthenticateRequest {
    #[serde(default)]
    pub password: Option<String>,
    /// A code from the authenticator app, or a recovery code.
    #[serde(default)]
    pub code: Option<String>,
    /// A passkey's answer to the options of `POST
    /// /api/v1/auth/reauthenticate/passkey-options`.
    #[serde(default)]
    pub passkey: Option<PasskeyAnswerDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SecondFactorStatusDto {
    /// An authenticator app is set up.
    pub totp: bool,
    /// Passkeys registered.
    pub passkeys: u32,
    pub recovery_codes_left: u32,
    /// The practice requires a second factor of this account.
    pub required: bool,
    /// Required and not set up yet: until when this account may still sign
    /// in to set one up.
    #[schema(format = "date-time")]
    pub enrol_by: Option<String>,
}

impl From<SecondFactorStatus> for SecondFactorStatusDto {
    fn from(s: SecondFactorStatus) -> Self {
        SecondFactorStatusDto {
            totp: s.totp,
            passkeys: s.passkeys,
            recovery_codes_left: s.recovery_codes_left,
            required: s.required,
            enrol_by: s.enrol_by.map(|t| t.to_rfc3339()),
        }
    }
}

/// A new authenticator app, waiting for its first code.
#[derive(Serialize, ToSchema)]
pub(crate) struct TotpEnrolmentDto {
    /// The shared secret in base32, to type into the app by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub otpauth_uri: String,
    pub qr: QrDto,
}

/// A QR code as an SVG path: `size` modules square (a quiet zone of four
/// modules included), each dark module a unit square of `path`.
#[derive(Serialize, ToSchema)]
pub(crate) struct QrDto {
    pub size: u32,
    pub path: String,
}

impl TotpEnrolmentDto {
    pub(crate) fn new(e: TotpEnrolment) -> Option<Self> {
        let qr = qr_path(&e.otpauth_uri)?;
        Some(TotpEnrolmentDto { secret: e.secret, otpauth_uri: e.otpauth_uri, qr })
    }
}

fn qr_path(text: &str) -> Option<QrDto> {
    const QUIET: usize = 4;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some(QrDto { size: u32::try_from(width + 2 * QUIET).ok()?, path })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TotpConfirmRequest {
    /// The six digits the app shows now.
    pub code: String,
}

/// Recovery codes, shown this once: each signs in once in place of a code
/// from the app. Earlier codes no longer work.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecoveryCodesDto {
    pub recovery_codes: Vec<String>,
}

/// Whether the practice's staff must sign in with a second factor.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffSecondFactorPolicyDto {
    pub staff_second_factor_required: bool,
    /// How long staff without a second factor may still sign in to set one
    /// up, counted from when the requirement is turned on (or their account
    /// is made, or an administrator resets theirs): 1 to 720 hours.
    #[schema(minimum = 1, maximum = 720)]
    pub grace_hours: i64,
}

impl From<StaffSecondFactorPolicy> for StaffSecondFactorPolicyDto {
    fn from(p: StaffSecondFactorPolicy) -> Self {
        StaffSecondFactorPolicyDto { staff_second_factor_required: p.required, grace_hours: p.grace_hours }
    }
}

impl From<StaffSecondFactorPolicyDto> for StaffSecondFactorPolicy {
    fn from(p: StaffSecondFactorPolicyDto) -> Self {
        StaffSecondFactorPolicy { required: p.staff_second_factor_required, grace_hours: p.grace_hours }
    }
}
