//! Sensitive records: the practice's settings (which roles read which
//! sensitive categories, which topics the front desk and billing read) and
//! a conversation's mark.

use super::*;
use serde::{Deserialize, Serialize};
use switchboard_service::sensitivity::SensitivitySettings;
use utoipa::ToSchema;

/// Who reads what in the practice. Without a choice by an administrator
/// (`updated_at` null) these are the defaults: behavioural and
/// reproductive health for providers, nurses and medical assistants;
/// substance use (42 CFR Part 2) for providers only; `scheduling` for the
/// front desk and `billing` for billing.
#[derive(Serialize, ToSchema)]
pub(crate) struct SensitivitySettingsDto {
    /// Every category, with the roles that read conversations marked with
    /// it.
    pub categories: Vec<CategoryGrantDto>,
    /// The front desk and billing, each with the topics whose content it
    /// reads. Every other topic is clinical to them: they see its rows,
    /// not its content. Clinical roles read every topic.
    pub topics: Vec<TopicGrantDto>,
    /// Topics the practice marks sensitive: a conversation on one starts
    /// with its category as its mark. None by default.
    pub topic_marks: Vec<TopicMarkDto>,
    /// RFC 3339, UTC: when an administrator last chose; null: the defaults.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CategoryGrantDto {
    pub category: SensitivityDto,
    pub roles: Vec<RoleDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TopicMarkDto {
    pub topic: TopicDto,
    pub category: SensitivityDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TopicGrantDto {
    /// `front_desk` or `billing`.
    pub role: RoleDto,
    pub topics: Vec<TopicDto>,
}

impl From<&SensitivitySettings> for SensitivitySettingsDto {
    fn from(s: &SensitivitySettings) -> Self {
        SensitivitySettingsDto {
            categories: s
                .categories
                .iter()
                .map(|(c, roles)| CategoryGrantDto {
                    category: (*c).into(),
                    roles: roles.iter().map(|r| (*r).into()).collect(),
                })
                .collect(),
            topics: s
                .topics
                .iter()
                .map(|(r, topics)| TopicGrantDto {
                    role: (*r).into(),
                    topics: topics.iter().map(|t| (*t).into()).collect(),
                })
                .collect(),
            topic_marks: s
                .topic_marks
                .iter()
                .map(|(t, c)| TopicMarkDto { topic: (*t).into(), category: (*c).into() })
                .collect(),
            updated_at: s.updated_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// The whole choice, replacing the last: a category or role left out is
/// granted to nobody.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SensitivitySettingsRequest {
    /// Each category with the roles that read it: `provider`, `nurse`,
    /// `medical_assistant`, `front_desk`, `billing`.
    pub categories: Vec<CategoryGrantRequest>,
    /// The topics the front desk and billing read (only those two roles).
    pub topics: Vec<TopicGrantRequest>,
    /// The topics marked sensitive, each at most once; left out: unchanged.
    #[serde(default)]
    pub topic_marks: Option<Vec<TopicMarkRequest>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopicMarkRequest {
    pub topic: String,
    /// `behavioural_health`, `reproductive_health` or `substance_use`.
    pub category: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryGrantRequest {
    /// `behavioural_health`, `reproductive_health` or `substance_use`.
    pub category: String,
    pub roles: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopicGrantRequest {
    /// `front_desk` or `billing`.
    pub role: String,
    pub topics: Vec<String>,
}

/// Mark a conversation sensitive with a category, or clear the mark with
/// `null`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetSensitivityRequest {
    /// `behavioural_health`, `reproductive_health`, `substance_use`, or
    /// `null`.
    pub category: Option<String>,
}

/// The conversation's mark after the change.
#[derive(Serialize, ToSchema)]
pub(crate) struct SensitivityResultDto {
    pub category: Option<SensitivityDto>,
}
