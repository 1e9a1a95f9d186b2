//! Quick replies.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct TemplateQuery {
    /// Only templates whose name or text contains this.
    pub q: Option<String>,
    /// `true`: only those past their review-by date.
    pub stale: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TemplateDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    /// With `{placeholders}`: patient_first_name, provider_name, practice_phone, scheduling_link, office_hours, my_name.
    pub body: String,
    #[schema(format = "uuid")]
    pub owner_id: String,
    pub owner_name: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub review_by: String,
    pub usage_count: i64,
    /// Past its review-by date.
    pub stale: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateRequest {
    pub name: String,
    pub body: String,
    #[schema(format = Date)]
    pub review_by: String,
    /// Administrators may hand a template to another owner.
    #[serde(default)]
    #[schema(format = "uuid")]
    pub owner_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenderTemplateRequest {
    #[schema(format = "uuid")]
    pub template_id: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RenderedTemplateDto {
    /// The template filled in for this conversation, to edit and send.
    pub body: String,
}

impl From<switchboard_service::TemplateView> for TemplateDto {
    fn from(v: switchboard_service::TemplateView) -> Self {
        let t = v.template;
        TemplateDto {
            id: t.id.to_string(),
            name: t.name,
            body: t.body,
            owner_id: t.owner.to_string(),
            owner_name: t.owner_name,
            review_by: t.review_by,
            usage_count: t.usage_count,
            stale: v.stale,
        }
    }
}
