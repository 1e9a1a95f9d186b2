//! Caregivers (proxy access): whom a caregiver acts for, a patient's
//! caregivers and invitations, the practice's grants for minors, and a
//! conversation's sharing with caregivers.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_domain::caregiver::{CaregiverRelationship, GrantedBy, MinorStanding};
use switchboard_service::caregivers as cg;
use utoipa::ToSchema;

pub(crate) type RelationshipDto = Code<CaregiverRelationship>;
pub(crate) type GrantedByDto = Code<GrantedBy>;
pub(crate) type MinorStandingDto = Code<MinorStanding>;

/// Someone the signed-in patient may act for: themselves (`relationship`
/// null), or a patient they hold a grant for.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaregivingPersonDto {
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub display_name: String,
    /// Who the caregiver is to this patient; null for oneself.
    pub relationship: Option<RelationshipDto>,
    /// The relationship in words ("mother", "adult child", "caregiver").
    pub relationship_words: Option<String>,
    #[schema(format = "uuid")]
    pub grant_id: Option<String>,
    /// When the access ends by itself (RFC 3339), if it does.
    #[schema(format = DateTime)]
    pub until: Option<String>,
    /// A confidential minor: only the conversations they share are listed
    /// to a caregiver. For oneself: one is a confidential minor, whose new
    /// conversations are private unless shared.
    pub confidential: bool,
}

impl From<&cg::CaregivingPerson> for CaregivingPersonDto {
    fn from(p: &cg::CaregivingPerson) -> Self {
        CaregivingPersonDto {
            patient_id: p.patient.to_string(),
            display_name: p.display_name.clone(),
            relationship: p.relationship.map(Into::into),
            relationship_words: p.relationship.map(|r| r.words().to_owned()),
            grant_id: p.grant.map(|g| g.to_string()),
            until: p.until.map(|t| t.to_rfc3339()),
            confidential: p.confidential,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActingForRequest {
    /// Oneself, or a patient one holds a grant for.
    #[schema(format = "uuid")]
    pub patient_id: String,
}

/// One of a patient's caregivers.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaregiverDto {
    #[schema(format = "uuid")]
    pub grant_id: String,
    pub caregiver_name: String,
    pub relationship: RelationshipDto,
    pub relationship_words: String,
    pub granted_by: GrantedByDto,
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// When it ends by itself (for a practice's grant, at the latest the
    /// minor's 18th birthday); null: until revoked.
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
}

impl From<&cg::CaregiverView> for CaregiverDto {
    fn from(c: &cg::CaregiverView) -> Self {
        CaregiverDto {
            grant_id: c.grant.to_string(),
            caregiver_name: c.caregiver_name.clone(),
            relationship: c.relationship.into(),
            relationship_words: c.relationship.words().to_owned(),
            granted_by: c.granted_by.into(),
            starts_at: c.starts_at.to_rfc3339(),
            ends_at: c.ends_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// An invitation not yet used (its code is never shown again).
#[derive(Serialize, ToSchema)]
pub(crate) struct CaregiverInvitationDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub relationship: RelationshipDto,
    /// The patient's own, or the practice's for a minor.
    pub granted_by: GrantedByDto,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// A patient's caregivers and open invitations.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaregiversDto {
    #[schema(format = "uuid")]
    pub patient_id: String,
    pub caregivers: Vec<CaregiverDto>,
    pub invitations: Vec<CaregiverInvitationDto>,
    pub standing: MinorStandingDto,
    /// The practice's confidentiality age.
    pub confidential_age: i64,
}

impl From<&cg::CaregiversOverview> for CaregiversDto {
    fn from(o: &cg::CaregiversOverview) -> Self {
        CaregiversDto {
            patient_id: o.patient.to_string(),
            caregivers: o.caregivers.iter().map(Into::into).collect(),
            invitations: o
                .invitations
                .iter()
                .map(|i| CaregiverInvitationDto {
                    id: i.id.to_string(),
                    relationship: i.relationship.into(),
                    granted_by: i.granted_by.into(),
                    created_at: i.created_at.to_rfc3339(),
                    expires_at: i.expires_at.to_rfc3339(),
                })
                .collect(),
            standing: o.standing.into(),
            confidential_age: o.confidential_age,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteCaregiverRequest {
    #[schema(value_type = RelationshipDto)]
    pub relationship: String,
}

/// A new invitation: hand the code (or the link) to the caregiver. Shown
/// once; good once, for seven days.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewCaregiverInvitationDto {
    #[schema(format = "uuid")]
    pub id: String,
    /// Twelve characters in three groups ("abcd-efgh-jkmn").
    pub code: String,
    pub relationship: RelationshipDto,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptCaregiverInvitationRequest {
    /// As handed over, with or without dashes, in any case.
    pub code: String,
}

/// Someone with a caregiver code and no account makes one. They accept
/// the practice's messaging terms in the app before they first write.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCaregiverAccountRequest {
    /// As handed over, with or without dashes, in any case.
    pub code: String,
    pub given_name: String,
    pub family_name: String,
    pub username: String,
    /// At least 15 characters (no second factor yet), checked against
    /// common and breached passwords.
    pub password: String,
}

/// The account made: sign in with it.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaregiverAccountDto {
    #[schema(format = "uuid")]
    pub user_id: String,
    pub username: String,
}

/// The practice's code for a minor's caregiver (who may have no account).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeCaregiverInvitationRequest {
    #[schema(value_type = RelationshipDto)]
    pub relationship: String,
    /// An earlier end than the minor's 18th birthday (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

/// Staff's grant for a minor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantCaregiverRequest {
    /// The caregiver's own patient record (they must have an account).
    #[schema(format = "uuid")]
    pub caregiver_patient_id: String,
    #[schema(value_type = RelationshipDto)]
    pub relationship: String,
    /// An earlier end than the minor's 18th birthday (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetSharingRequest {
    pub shared: bool,
}

/// Whether a conversation is shared with the patient's caregivers, and
/// whether that matters now (the patient is a confidential minor: their
/// caregivers see it only when shared).
#[derive(Serialize, ToSchema)]
pub(crate) struct SharingDto {
    pub confidential_minor: bool,
    pub shared: bool,
}

impl From<cg::SharingView> for SharingDto {
    fn from(s: cg::SharingView) -> Self {
        SharingDto { confidential_minor: s.confidential_minor, shared: s.shared }
    }
}

/// Sent by a caregiver for the patient.
#[derive(Serialize, ToSchema)]
pub(crate) struct OnBehalfDto {
    pub caregiver_name: String,
    pub relationship: RelationshipDto,
    pub patient_name: String,
    /// "sent by Jane Doe (mother) on behalf of Sam Doe"
    pub line: String,
}

/// The practice's confidentiality age for minors: from it until 18 a
/// minor's conversations are confidential from caregivers unless shared
/// (18: never). 12 unless chosen.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaregiverSettingsDto {
    pub confidential_age: i64,
}
