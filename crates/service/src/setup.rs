//! Practice setup that staff see and administrators change: routing rules,
//! pools, staff availability settings, quick-reply templates; and the
//! alerts that reach staff.

use crate::access::{facts, patient_facts};
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, Actor, ConversationAction, PracticeAction};
use switchboard_domain::role::UserKind;
use switchboard_domain::routing::{self, Condition, Rule, Target};
use switchboard_domain::templates::{self, Values};
use switchboard_domain::text::DisplayName;
use switchboard_domain::time::CivilDate;
use switchboard_store::queries::{conversations as conv_q, directory, routing as q, templates as tq};
use switchboard_store::{Conflict, StoreError, Unit};

/// A routing rule as staff see it.
#[derive(Clone, Debug)]
pub struct RuleView {
    pub rule: Rule,
    /// "topic is “Billing”", in words.
    pub condition: String,
    /// The person or pool, by name, for those targets.
    pub target_name: Option<String>,
    /// Rules before it take every message it could: it never decides one.
    pub never_used: bool,
}

/// A routing rule as submitted (before validation).
#[derive(Clone, Debug)]
pub struct RuleInput {
    pub name: String,
    pub condition: Condition,
    pub target: Target,
}

#[derive(Clone, Debug)]
pub struct PoolView {
    pub id: PoolId,
    pub name: String,
    pub lead: Option<UserId>,
    pub members: Vec<UserId>,
    pub auto_assign: bool,
}

/// A template as staff see it: the saved one, and whether it is due for
/// review.
#[derive(Clone, Debug)]
pub struct TemplateView {
    pub template: templates::Template,
    /// Past its review-by date.
    pub stale: bool,
}

#[derive(Clone, Debug)]
pub struct AlertView {
    pub id: AlertId,
    pub conversation: ConversationId,
    pub kind: String,
    pub created_at: switchboard_domain::Timestamp,
    /// Who and what it is about, when the caller may open the conversation
    /// (staff only ever; an administrator told of an overdue reply in a
    /// conversation they do not work gets neither).
    pub about: Option<AlertAbout>,
}

/// The patient and subject an alert concerns, for the staff inbox.
#[derive(Clone, Debug)]
pub struct AlertAbout {
    pub patient: PatientId,
    pub patient_name: String,
    pub subject: String,
}

const MAX_RULES: usize = 100;

/// A pool as an administrator describes it.
#[derive(Clone, Copy, Debug)]
pub struct PoolInput<'a> {
    pub name: &'a str,
    pub lead: Option<UserId>,
    pub members: &'a [UserId],
    /// Assign new work to the least-loaded available member; otherwise the
    /// lead hands it out.
    pub auto_assign: bool,
}

/// A staff member's own availability: read and saved whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffSettings {
    /// How many open conversations they take at once (0–500).
    pub capacity: i64,
    /// Providers: whether patients may write to them directly.
    pub accepts_direct_messages: bool,
}

impl From<q::StaffSettings> for StaffSettings {
    fn from(s: q::StaffSettings) -> Self {
        StaffSettings { capacity: s.capacity, accepts_direct_messages: s.accepts_direct_messages }
    }
}

impl From<StaffSettings> for q::StaffSettings {
    fn from(s: StaffSettings) -> Self {
        q::StaffSettings { capacity: s.capacity, accepts_direct_messages: s.accepts_direct_messages }
    }
}

/// A quick reply as its author writes it.
#[derive(Clone, Copy, Debug)]
pub struct TemplateInput<'a> {
    pub name: &'a str,
    pub body: &'a str,
    /// `YYYY-MM-DD`: when someone should check it is still right.
    pub review_by: &'a str,
    /// A new owner (administrators only).
    pub owner: Option<UserId>,
}

impl Switchboard {
    /// The practice's routing rules, in order (staff).
    pub async fn routing_rules(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<RuleView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let rules = q::rules(self.store(), p.user.practice).await?;
        let shape = q::practice_shape(self.store(), p.user.practice).await?;
        let never_used = routing::never_used(&rules, &shape);
        let mut out = Vec::with_capacity(rules.len());
        for (i, rule) in rules.into_iter().enumerate() {
            let department = match rule.condition.department {
                Some(d) => directory::department_name_of(self.store(), p.user.practice, d).await?.unwrap_or_default(),
                None => String::new(),
            };
            let target_name = match rule.target {
                Target::Person(u) => q::owner_name(self.store(), routing::Owner::Person(u)).await?,
                Target::Pool(x) => q::owner_name(self.store(), routing::Owner::Pool(x)).await?,
                _ => None,
            };
            out.push(RuleView {
                condition: rule.condition.describe(|_| department.clone()),
                target_name,
                never_used: never_used.contains(&(i + 1)),
                rule,
            });
        }
        Ok(out)
    }

    /// Replaces the practice's routing rules (practice administrators). A
    /// rule set that would leave any message without an owner is refused,
    /// naming such a message.
    pub async fn save_routing_rules(
        &self,
        p: &Principal,
        input: Vec<RuleInput>,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::RoutingRulesChanged).await?;
        if input.len() > MAX_RULES {
            return Err(ServiceError::Invalid {
                field: "rules",
                problem: format!("there can be at most {MAX_RULES} rules"),
            });
        }
        let practice = p.user.practice;
        let pools = q::pools(self.store(), practice).await?;
        let staff = directory::active_staff(self.store(), practice).await?;
        let mut rules = Vec::with_capacity(input.len());
        for (i, r) in input.into_iter().enumerate() {
            let name = DisplayName::parse(&r.name).map_err(|e| ServiceError::Invalid {
                field: "rules",
                problem: format!("rule {}: the name {e}", i + 1),
            })?;
            let bad =
                |problem: &str| ServiceError::Invalid { field: "rules", problem: format!("rule {}: {problem}", i + 1) };
            match r.target {
                Target::Pool(x) if !pools.iter().any(|pool| pool.id == x) => {
                    return Err(bad("no such pool in this practice"));
                }
                Target::Person(u) if !staff.iter().any(|s| s.id == u && s.role.works_patient_conversations()) => {
                    return Err(bad("no staff member of this practice who can take conversations"));
                }
                _ => {}
            }
            if let Some(d) = r.condition.department
                && directory::department_name_of(self.store(), practice, d).await?.is_none()
            {
                return Err(bad("no such department in this practice"));
            }
            rules.push(Rule {
                id: self.new_id(RuleId::from_bytes)?,
                name: name.as_str().to_owned(),
                condition: r.condition,
                target: r.target,
            });
        }
        let shape = q::practice_shape(self.store(), practice).await?;
        if let Err(routing::Uncovered(m)) = routing::validate(&rules, &shape) {
            let mut case = vec![format!("topic “{}”", m.topic.label())];
            case.push(if m.patient_care_team.is_some() {
                "a patient with a care team".into()
            } else {
                "a patient without a care team".into()
            });
            if m.patient_department.is_none() {
                case.push("no department".into());
            }
            if let Some(a) = m.addressed_provider {
                case.push(if a.accepts_direct {
                    "written to a provider".into()
                } else {
                    "written to a provider who declines direct messages".into()
                });
            }
            return Err(ServiceError::Invalid {
                field: "rules",
                problem: format!(
                    "some messages would have no owner, for example {}; end the list with a rule for every message that goes to a person or pool",
                    case.join(", ")
                ),
            });
        }
        let now = self.now();
        let mut unit = Unit::new().step(q::clear_rules(practice));
        for (i, r) in rules.iter().enumerate() {
            unit.push(q::insert_rule(practice, i64::try_from(i).unwrap_or(i64::MAX), r, now));
        }
        let mut rec = self
            .record(p, ctx, AuditAction::RoutingRulesChanged)
            .with_resource(ResourceKind::RoutingRules, *practice.as_bytes());
        rec.detail = Some(format!("rules={}", rules.len()));
        self.store().commit(unit.audit(rec)).await?;
        Ok(())
    }

    /// The practice's pools (staff).
    pub async fn pools(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<PoolView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        Ok(q::pools(self.store(), p.user.practice)
            .await?
            .into_iter()
            .map(|x| PoolView { id: x.id, name: x.name, lead: x.lead, members: x.members, auto_assign: x.auto_assign })
            .collect())
    }

    /// Creates (`id` none) or changes a pool (practice administrators).
    pub async fn save_pool(
        &self,
        p: &Principal,
        id: Option<PoolId>,
        input: PoolInput<'_>,
        ctx: &RequestContext,
    ) -> Result<PoolId, ServiceError> {
        let PoolInput { name, lead, members, auto_assign } = input;
        self.practice_permission(p, ctx, PracticeAction::ManagePractice, AuditAction::PoolChanged).await?;
        let practice = p.user.practice;
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the pool's name", e))?;
        let staff = directory::active_staff(self.store(), practice).await?;
        let works = |u: &UserId| staff.iter().any(|s| s.id == *u && s.role.works_patient_conversations());
        if let Some(bad) = members.iter().find(|u| !works(u)) {
            return Err(ServiceError::Invalid {
                field: "members",
                problem: format!("{bad} is not a staff member of this practice who can take conversations"),
            });
        }
        if let Some(l) = lead
            && !staff.iter().any(|s| s.id == l)
        {
            return Err(ServiceError::Invalid {
                field: "lead_id",
                problem: "the lead is not a staff member of this practice".into(),
            });
        }
        let pools = q::pools(self.store(), practice).await?;
        let now = self.now();
        let (pool, mut unit) = match id {
            Some(x) if pools.iter().any(|pool| pool.id == x) => {
                (x, Unit::new().step(q::update_pool(x, name.as_str(), lead, auto_assign)))
            }
            Some(_) => return Err(ServiceError::NotFound),
            None => {
                let x = self.new_id(PoolId::from_bytes)?;
                (x, Unit::new().step(q::insert_pool(x, practice, name.as_str(), lead, auto_assign, now)))
            }
        };
        unit.push(q::clear_pool_members(pool));
        let mut seen = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if !seen.contains(m) {
                seen.push(*m);
                unit.push(q::insert_pool_member(pool, *m, i64::try_from(i).unwrap_or(i64::MAX)));
            }
        }
        unit.push_audit(
            self.record(p, ctx, AuditAction::PoolChanged).with_resource(ResourceKind::Pool, *pool.as_bytes()),
        );
        self.store().commit(unit).await.map_err(|e| match e {
            StoreError::Conflict(_) => ServiceError::Conflict("a pool with that name exists"),
            other => other.into(),
        })?;
        if auto_assign {
            self.offer_waiting_work(practice, &[pool]).await;
        }
        Ok(pool)
    }

    /// The caller's capacity and whether they take direct messages.
    pub async fn my_settings(&self, p: &Principal) -> Result<StaffSettings, ServiceError> {
        q::staff_settings(self.store(), p.user.id).await?.map(StaffSettings::from).ok_or(ServiceError::NotFound)
    }

    /// Sets how many open conversations the caller takes and (providers)
    /// whether patients may write to them directly.
    pub async fn save_my_settings(
        &self,
        p: &Principal,
        settings: StaffSettings,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        if p.user.kind != switchboard_domain::role::UserKind::Staff {
            return Err(ServiceError::NotFound);
        }
        if !(0..=500).contains(&settings.capacity) {
            return Err(ServiceError::Invalid {
                field: "capacity",
                problem: "the capacity must be between 0 and 500".into(),
            });
        }
        let rec = self
            .record(p, ctx, AuditAction::StaffSettingsChanged)
            .with_resource(ResourceKind::User, *p.user.id.as_bytes());
        self.store().commit(Unit::new().step(q::update_staff_settings(p.user.id, settings.into())).audit(rec)).await?;
        self.offer_work_to(p.user.practice, p.user.id).await;
        Ok(())
    }

    /// The providers of the caller's care team (patients), and whether they
    /// take direct messages.
    pub async fn my_providers(&self, p: &Principal) -> Result<Vec<(UserId, String, bool)>, ServiceError> {
        let Actor::Patient(me) = &p.actor else { return Err(ServiceError::NotFound) };
        // A caregiver who is not a patient here has no care team of their own.
        let Some(own) = me.patient else { return Ok(Vec::new()) };
        let Some(patient) = directory::patient_by_id(self.store(), own).await? else {
            return Err(ServiceError::NotFound);
        };
        match patient.care_team {
            Some(team) => Ok(q::care_team_providers(self.store(), team).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Unacknowledged alerts for the caller, newest first, each with the
    /// patient and subject it concerns where the caller may see them (one
    /// `conversations_listed` record per patient named).
    pub async fn my_alerts(&self, p: &Principal, ctx: &RequestContext) -> Result<Vec<AlertView>, ServiceError> {
        let mut out = Vec::new();
        let mut named: std::collections::BTreeMap<PatientId, u32> = std::collections::BTreeMap::new();
        for a in q::open_alerts(self.store(), p.user.id).await? {
            let row = match p.user.kind {
                UserKind::Staff => conv_q::by_id(self.store(), a.conversation).await?,
                UserKind::Patient => None,
            };
            let about = match row {
                Some(row)
                    if policy::authorize_conversation(&p.actor, ConversationAction::View, &facts(&row))
                        .is_allowed() =>
                {
                    let key = self.conversation_key(&row)?;
                    *named.entry(row.patient.id).or_default() += 1;
                    Some(AlertAbout {
                        patient: row.patient.id,
                        patient_name: self.patient_display_name(&row.patient)?,
                        subject: sealing::open(&key, column::SUBJECT, row.id.as_bytes(), &row.subject_ct)?,
                    })
                }
                _ => None,
            };
            out.push(AlertView {
                id: a.id,
                conversation: a.conversation,
                kind: a.kind,
                created_at: a.created_at,
                about,
            });
        }
        if !named.is_empty() {
            let mut unit = Unit::new();
            for (patient, n) in named {
                unit.push_audit(
                    self.record(p, ctx, AuditAction::ConversationsListed)
                        .with_patient(Some(patient))
                        .with_detail(format!("count={n};context=alerts")),
                );
            }
            self.store().commit(unit).await?;
        }
        Ok(out)
    }

    pub async fn acknowledge_alert(
        &self,
        p: &Principal,
        alert: AlertId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let rec =
            self.record(p, ctx, AuditAction::AlertAcknowledged).with_resource(ResourceKind::Alert, *alert.as_bytes());
        self.store()
            .commit(Unit::new().step(q::acknowledge_alert(alert, p.user.id, self.now())).audit(rec))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::NotFound,
                other => other.into(),
            })
    }

    fn template_view(&self, t: templates::Template) -> TemplateView {
        let today = self.now().to_rfc3339();
        let today = today.get(..10).unwrap_or("");
        TemplateView { stale: t.review_by.as_str() < today, template: t }
    }

    /// The practice's templates whose name or text contains `search` (all
    /// when empty), by name (staff).
    pub async fn templates(
        &self,
        p: &Principal,
        search: Option<&str>,
        stale_only: bool,
        ctx: &RequestContext,
    ) -> Result<Vec<TemplateView>, ServiceError> {
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let needle = search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        let mut list: Vec<TemplateView> = tq::list(self.store(), p.user.practice)
            .await?
            .into_iter()
            .map(|t| self.template_view(t))
            .filter(|t| {
                needle.as_ref().is_none_or(|n| {
                    t.template.name.to_lowercase().contains(n) || t.template.body.to_lowercase().contains(n)
                })
            })
            .filter(|t| !stale_only || t.stale)
            .collect();
        // Templates past their review date may say something no longer
        // true: still offered, but after the current ones (by name within each).
        list.sort_by_key(|t| t.stale);
        Ok(list)
    }

    /// Creates (`id` none) or changes a template. Any staff member may add
    /// one and becomes its owner; its owner or an administrator may change
    /// it.
    pub async fn save_template(
        &self,
        p: &Principal,
        id: Option<TemplateId>,
        input: TemplateInput<'_>,
        ctx: &RequestContext,
    ) -> Result<TemplateId, ServiceError> {
        let TemplateInput { name, body, review_by, owner } = input;
        self.practice_permission(p, ctx, PracticeAction::SeePracticeSetup, AuditAction::SetupViewed).await?;
        let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", "the template's name", e))?;
        let body = templates::TemplateBody::parse(body).map_err(|e| match e {
            templates::TemplateError::Text(e) => ServiceError::invalid("body", "the template's text", e),
            other => ServiceError::Invalid { field: "body", problem: other.to_string() },
        })?;
        let body = body.as_str();
        let review_by = CivilDate::parse(review_by)
            .map_err(|_| ServiceError::Invalid {
                field: "review_by",
                problem: "the review-by date must be a date as YYYY-MM-DD".into(),
            })?
            .to_string();
        let admin = policy::authorize_practice(&p.actor, PracticeAction::ManagePractice, p.user.practice).is_allowed();
        let practice = p.user.practice;
        let now = self.now();
        let (template, step) = match id {
            None => {
                let t = self.new_id(TemplateId::from_bytes)?;
                let fields = tq::TemplateFields { name: name.as_str(), body, owner: p.user.id, review_by: &review_by };
                (t, tq::insert(t, practice, fields, now))
            }
            Some(t) => {
                let existing = tq::by_id(self.store(), practice, t).await?.ok_or(ServiceError::NotFound)?;
                if existing.owner != p.user.id && !admin {
                    return Err(ServiceError::NotFound);
                }
                let new_owner = match owner {
                    Some(o) if admin => {
                        if !directory::active_staff(self.store(), practice).await?.iter().any(|s| s.id == o) {
                            return Err(ServiceError::Invalid {
                                field: "owner_id",
                                problem: "the owner is not a staff member of this practice".into(),
                            });
                        }
                        o
                    }
                    _ => existing.owner,
                };
                let fields = tq::TemplateFields { name: name.as_str(), body, owner: new_owner, review_by: &review_by };
                (t, tq::update(t, practice, fields, now))
            }
        };
        let rec =
            self.record(p, ctx, AuditAction::TemplateSaved).with_resource(ResourceKind::Template, *template.as_bytes());
        self.store().commit(Unit::new().step(step).audit(rec)).await.map_err(|e| match e {
            StoreError::Conflict(Conflict::Unique) => ServiceError::Conflict("a template with that name exists"),
            StoreError::Conflict(_) => ServiceError::NotFound,
            other => other.into(),
        })?;
        Ok(template)
    }

    /// A template filled in for one conversation, ready for the sender to
    /// edit; counts as one use.
    pub async fn render_template(
        &self,
        p: &Principal,
        conversation: ConversationId,
        template: TemplateId,
        ctx: &RequestContext,
    ) -> Result<String, ServiceError> {
        let row = self
            .authorized_conversation(p, ctx, conversation, ConversationAction::Reply, AuditAction::TemplateUsed)
            .await?;
        if !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::NotFound);
        }
        let t = tq::by_id(self.store(), p.user.practice, template).await?.ok_or(ServiceError::NotFound)?;
        let first_name = self.patient_display_name(&row.patient)?.split(' ').next().unwrap_or("").to_owned();
        let provider = match row.patient.care_team {
            Some(team) => q::primary_provider(self.store(), team).await?.map(|(_, n)| n).unwrap_or_default(),
            None => String::new(),
        };
        let info = self.practice_info(p).await?;
        let hours = info
            .office_hours
            .iter()
            .map(|(d, o, c)| {
                let day =
                    ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].get(usize::from(*d)).copied().unwrap_or("");
                format!("{day} {:02}:{:02}–{:02}:{:02}", o / 60, o % 60, c / 60, c % 60)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let values = Values {
            patient_first_name: first_name,
            provider_name: provider,
            practice_phone: info.phone.unwrap_or_default(),
            scheduling_link: q::scheduling_url(self.store(), p.user.practice).await?.unwrap_or_default(),
            office_hours: hours,
            my_name: p.user.display_name.clone(),
        };
        let text = templates::render(&t.body, &values).map_err(|_| ServiceError::Internal)?;
        let rec = self
            .record(p, ctx, AuditAction::TemplateUsed)
            .with_patient(Some(patient_facts(&row.patient).id))
            .with_resource(ResourceKind::Template, *template.as_bytes());
        self.store().commit(Unit::new().step(tq::count_use(template)).audit(rec)).await?;
        Ok(text)
    }
}

impl Switchboard {
    /// Enrols a patient in (or removes them from) a monitoring program run
    /// by `pool`: for tools and the onboarding that comes next.
    pub async fn set_program_pool(&self, patient: PatientId, pool: Option<PoolId>) -> Result<(), ServiceError> {
        Ok(self.store().commit(Unit::new().step(q::set_program_pool(patient, pool))).await?)
    }

    /// Sets the practice's self-scheduling link (for templates).
    pub async fn set_scheduling_url(&self, practice: PracticeId, url: Option<&str>) -> Result<(), ServiceError> {
        Ok(self.store().commit(Unit::new().step(q::set_scheduling_url(practice, url))).await?)
    }
}
