//! Sensitive records: the practice's grants (which roles read which
//! sensitive categories and, for the front desk and billing, which topics)
//! and marking one conversation sensitive. The rules are
//! `domain::sensitivity` and `domain::policy`; this module loads, checks,
//! audits and stores.

use crate::auth::Principal;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::event::EventKind;
use switchboard_domain::ids::*;
use switchboard_domain::policy::{ConversationAction, ConversationFacts, PracticeAction};
use switchboard_domain::role::StaffRole;
use switchboard_domain::sensitivity::{self, ContentGrants, GrantError, Sensitivity, SensitivityGrants, TopicMarks};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_store::Unit;
use switchboard_store::queries::{directory, sensitivity as q};

/// A practice's sensitivity settings, as administrators see and change
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SensitivitySettings {
    /// Each category with the roles that read it.
    pub categories: Vec<(Sensitivity, Vec<StaffRole>)>,
    /// The front desk and billing, each with the topics whose content it
    /// reads.
    pub topics: Vec<(StaffRole, Vec<Topic>)>,
    /// Topics the practice marks sensitive: their conversations start with
    /// that mark.
    pub topic_marks: Vec<(Topic, Sensitivity)>,
    /// When an administrator last chose; `None`: the defaults.
    pub updated_at: Option<Timestamp>,
}

impl SensitivitySettings {
    fn of(grants: &SensitivityGrants, marks: &TopicMarks, updated_at: Option<Timestamp>) -> Self {
        let categories = Sensitivity::ALL
            .into_iter()
            .map(|c| (c, grants.categories().iter().filter(|(x, _)| *x == c).map(|(_, r)| *r).collect()))
            .collect();
        let topics = [StaffRole::FrontDesk, StaffRole::Billing]
            .into_iter()
            .map(|r| (r, grants.topics().iter().filter(|(_, x)| *x == r).map(|(t, _)| *t).collect()))
            .collect();
        SensitivitySettings { categories, topics, topic_marks: marks.marks().to_vec(), updated_at }
    }
}

impl Switchboard {
    /// The practice's grants: what it chose, or the defaults.
    pub(crate) async fn practice_grants(&self, practice: PracticeId) -> Result<SensitivityGrants, ServiceError> {
        Ok(q::grants(self.store(), practice).await?.map(|g| g.grants).unwrap_or_else(SensitivityGrants::defaults))
    }

    /// What the practice grants `role`, for the role's actor.
    pub(crate) async fn content_grants(
        &self,
        practice: PracticeId,
        role: StaffRole,
    ) -> Result<ContentGrants, ServiceError> {
        Ok(self.practice_grants(practice).await?.for_role(role))
    }

    /// Whether `user` may hold (be assigned) a conversation about `topic`
    /// marked `sensitivity`: nobody is handed what their role may not read
    /// (`policy::may_be_assigned` states the same for a chosen assignee).
    pub(crate) async fn may_hold(
        &self,
        practice: PracticeId,
        user: UserId,
        topic: Topic,
        sensitivity: Option<Sensitivity>,
    ) -> Result<bool, ServiceError> {
        let Some(u) = directory::user_by_id(self.store(), user).await? else { return Ok(false) };
        let Some(role) = u.role else { return Ok(false) };
        Ok(u.practice == practice
            && role.works_patient_conversations()
            && self.content_grants(practice, role).await?.reads(topic, sensitivity))
    }

    /// Who reads which sensitive categories and topics (administrators).
    pub async fn sensitivity_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<SensitivitySettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SetupViewed).await?;
        let stored = q::grants(self.store(), p.user.practice).await?;
        let marks = q::topic_marks(self.store(), p.user.practice).await?;
        Ok(match stored {
            Some(s) => SensitivitySettings::of(&s.grants, &marks, Some(s.updated_at)),
            None => SensitivitySettings::of(&SensitivityGrants::defaults(), &marks, None),
        })
    }

    /// Replaces who reads which sensitive categories and topics
    /// (administrators), and, when given, which topics are marked
    /// sensitive. Sessions pick the change up at their next request; live
    /// streams at their next session check. A topic newly marked marks the
    /// practice's conversations on it that have no mark, each on the record
    /// (`conversation_sensitivity_changed`, `by=topic`); marks clinicians
    /// chose stay, and unmarking a topic clears nothing.
    pub async fn set_sensitivity_settings(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        categories: Vec<(Sensitivity, StaffRole)>,
        topics: Vec<(Topic, StaffRole)>,
        topic_marks: Option<Vec<(Topic, Sensitivity)>>,
    ) -> Result<SensitivitySettings, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::SensitivitySettingsChanged)
            .await?;
        // Who reads what is an access policy: changed only by the person at
        // the keyboard, proved again within five minutes.
        self.require_recent_authentication(p)?;
        let grants = SensitivityGrants::new(categories, topics).map_err(|e| match e {
            GrantError::RoleNotGrantable(_) => ServiceError::invalid(
                "role",
                "a role",
                "must be one that works patients' conversations (administrators and compliance officers read none)",
            ),
            GrantError::TopicsNotLimited(_) => ServiceError::invalid(
                "topics",
                "topics",
                "can be granted only to the front desk and billing (clinical roles read every topic)",
            ),
        })?;
        let practice = p.user.practice;
        let before = q::topic_marks(self.store(), practice).await?;
        let marks = match topic_marks {
            Some(m) => TopicMarks::new(m).map_err(|t| {
                ServiceError::invalid("topic_marks", "the topic marks", format!("name {} once", t.as_str()))
            })?,
            None => before.clone(),
        };
        let now = self.now();
        let detail = format!(
            "categories={};topics={}",
            grants
                .categories()
                .iter()
                .map(|(c, r)| format!("{}:{}", c.as_str(), r.as_str()))
                .collect::<Vec<_>>()
                .join(","),
            grants.topics().iter().map(|(t, r)| format!("{}:{}", t.as_str(), r.as_str())).collect::<Vec<_>>().join(",")
        );
        let detail = format!(
            "{detail};topic_marks={}",
            marks.marks().iter().map(|(t, c)| format!("{}:{}", t.as_str(), c.as_str())).collect::<Vec<_>>().join(",")
        );
        let rec = self
            .record(p, ctx, AuditAction::SensitivitySettingsChanged)
            .with_resource(ResourceKind::Practice, *practice.as_bytes())
            .with_detail(detail);
        let mut unit = Unit::new()
            .steps(q::set_grants(practice, &grants, now, p.user.id))
            .steps(q::set_topic_marks(practice, &marks))
            .audit(rec);
        // Each conversation a new topic mark reaches, on its own record.
        for (topic, category) in before.added_in(&marks) {
            for (conversation, patient) in q::unmarked_on_topic(self.store(), practice, topic).await? {
                unit.push_audit(
                    self.record(p, ctx, AuditAction::ConversationSensitivityChanged)
                        .with_patient(Some(patient))
                        .with_resource(ResourceKind::Conversation, *conversation.as_bytes())
                        .with_detail(format!("from=none;to={};by=topic", category.as_str())),
                );
            }
            unit.push(q::mark_unmarked_on_topic(practice, topic, category));
        }
        self.store().commit(unit).await?;
        Ok(SensitivitySettings::of(&grants, &marks, Some(now)))
    }

    /// Marks a conversation sensitive with a category, or (`None`) clears
    /// the mark: staff of a clinical role who may read it
    /// (`ConversationAction::MarkSensitive`). Refusals look like "not
    /// found" and are audited. Whoever the new mark leaves out sees the row
    /// only from now on (the caller too, if their role is not granted the
    /// category).
    pub async fn set_conversation_sensitivity(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ConversationId,
        category: Option<Sensitivity>,
    ) -> Result<Option<Sensitivity>, ServiceError> {
        let row = self
            .authorized_conversation(
                p,
                ctx,
                id,
                ConversationAction::MarkSensitive,
                AuditAction::ConversationSensitivityChanged,
            )
            .await?;
        if row.sensitivity == category {
            return Ok(category);
        }
        let rec = self
            .record(p, ctx, AuditAction::ConversationSensitivityChanged)
            .with_patient(Some(row.patient.id))
            .with_resource(ResourceKind::Conversation, *id.as_bytes())
            .with_detail(format!(
                "from={};to={}",
                row.sensitivity.map_or("none", Sensitivity::as_str),
                category.map_or("none", Sensitivity::as_str)
            ));
        let after = ConversationFacts { sensitivity: category, ..crate::access::facts(&row) };
        let event = self.event(p, id, &after, EventKind::SensitivityChanged);
        let unit = Unit::new().step(q::set_conversation_sensitivity(id, category)).audit(rec);
        self.commit_with_events(unit, vec![event]).await?;
        Ok(category)
    }
}

/// The categories a role may be granted and the roles that may mark
/// conversations, for the settings page's words.
pub fn grantable_roles() -> Vec<StaffRole> {
    StaffRole::ALL.into_iter().filter(|r| sensitivity::grantable(*r)).collect()
}
