//! Handing conversations over: reassignment to a person, pool or
//! department (with a reason kept in the history), escalation to a provider
//! and the return to the staff member who asked, and absences with cover.

use crate::access::facts;
use crate::auth::Principal;
use crate::routing::{ABSENCE_ENDS, ABSENCE_STARTS, History};
use crate::sealing::{self, column};
use crate::views::PersonRef;
use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::assignment::{self, Absence};
use switchboard_domain::audit::{AuditAction, AuditRecord, ResourceKind};
use switchboard_domain::event::{DomainEvent, EventKind};
use switchboard_domain::history::HistoryCode;
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, Actor, ConversationAction, ConversationFacts, StaffActor};
use switchboard_domain::role::UserKind;
use switchboard_domain::routing::Owner;
use switchboard_domain::text::{NoteBody, Reason};
use switchboard_domain::time::Timestamp;
use switchboard_store::queries::{conversations as conv_q, directory, jobs as job_q, routing as q};
use switchboard_store::rows::ConversationRow;
use switchboard_store::{Step, Unit};

/// Where a conversation is handed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignTarget {
    Person(UserId),
    Pool(PoolId),
    Department(DepartmentId),
    /// Nobody in particular: it stays with its owner.
    Nobody,
}

/// What a handover came to.
#[derive(Clone, Debug)]
pub struct AssignOutcome {
    pub assignee: Option<PersonRef>,
    /// The colleague the assignee covers for, when the person chosen is away.
    pub covering_for: Option<String>,
    pub owner_name: Option<String>,
}

/// Store steps with the events they publish once committed.
pub(crate) type Changes = (Vec<Step>, Vec<DomainEvent>);

impl Switchboard {
    async fn staff_actor(&self, user: UserId) -> Result<Option<(StaffActor, String)>, ServiceError> {
        let Some(u) = directory::user_by_id(self.store(), user).await?.filter(|u| u.active) else { return Ok(None) };
        let (Some(role), UserKind::Staff) = (u.role, u.kind) else { return Ok(None) };
        let m = directory::memberships(self.store(), u.id).await?;
        let reads = self.content_grants(u.practice, role).await?;
        Ok(Some((
            StaffActor {
                user: u.id,
                practice: u.practice,
                role,
                departments: m.departments,
                care_teams: m.care_teams,
                pools: m.pools,
                reads,
                // Assignment is judged on roles and grants, never on
                // emergency access.
                emergency: Default::default(),
            },
            u.display_name.unwrap_or_default(),
        )))
    }

    fn seal_reason(
        &self,
        row: &ConversationRow,
        history_id: &[u8; 16],
        reason: Option<&str>,
    ) -> Result<Option<Vec<u8>>, ServiceError> {
        match reason {
            Some(r) => {
                Ok(Some(sealing::seal(&*self.conversation_key(row)?, column::ASSIGNMENT_REASON, history_id, r)?))
            }
            None => Ok(None),
        }
    }

    /// Hands a conversation to a person, a pool or a department, or leaves
    /// it with nobody in particular. Someone away is never given work: the
    /// colleague covering for them is.
    pub async fn assign_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        target: AssignTarget,
        reason: Option<String>,
        ctx: &RequestContext,
    ) -> Result<AssignOutcome, ServiceError> {
        let reason = Reason::parse_optional(reason.as_deref())
            .map_err(|e| ServiceError::invalid("reason", "the reason", e))?
            .map(Reason::into_string);
        let row = self
            .authorized_conversation(p, ctx, id, ConversationAction::Assign, AuditAction::ConversationAssigned)
            .await?;
        let now = self.now();
        let practice = row.practice;
        let (owner, assignee, covered_for, pool, detail) = match target {
            AssignTarget::Person(user) => {
                let not_assignable = || ServiceError::Invalid {
                    field: "assignee_id",
                    problem: "that is not a staff member of this practice who can take and read this conversation"
                        .into(),
                };
                let (staff, name) = self.staff_actor(user).await?.ok_or_else(not_assignable)?;
                if !policy::may_be_assigned(&staff, &facts(&row)) {
                    return Err(not_assignable());
                }
                let absences: Vec<Absence> =
                    q::absences(self.store(), practice, now).await?.into_iter().map(|(_, a)| a).collect();
                let who = assignment::covering(user, &absences, now).ok_or_else(|| ServiceError::Invalid {
                    field: "assignee_id",
                    problem: format!("{name} is away and nobody covers for them"),
                })?;
                (row.owner, Some(who), (who != user).then_some(user), None, format!("assignee={who}"))
            }
            AssignTarget::Pool(pool) => {
                let pools = q::pools(self.store(), practice).await?;
                if !pools.iter().any(|x| x.id == pool) {
                    return Err(ServiceError::Invalid {
                        field: "pool_id",
                        problem: "there is no such pool in this practice".into(),
                    });
                }
                let (who, covered, last) =
                    self.choose_assignee(practice, Owner::Pool(pool), &[], now, (row.topic, row.sensitivity)).await?;
                (Some(Owner::Pool(pool)), who, covered, last, format!("pool={pool}"))
            }
            AssignTarget::Department(d) => {
                if directory::department_name_of(self.store(), practice, d).await?.is_none() {
                    return Err(ServiceError::Invalid {
                        field: "department_id",
                        problem: "there is no such department in this practice".into(),
                    });
                }
                (Some(Owner::Department(d)), None, None, None, format!("department={d}"))
            }
            AssignTarget::Nobody => (row.owner, None, None, None, "assignee=none".to_owned()),
        };
        let history_id = self.new_id(HistoryId::from_bytes)?;
        let reason_ct = self.seal_reason(&row, history_id.as_bytes(), reason.as_deref())?;
        let mut unit = Unit::new();
        if owner != row.owner {
            // The conversation now says who moved it, not the rule that no
            // longer applies; the free-text why is in the (sealed) history.
            let owner_name = match owner {
                Some(o) => q::owner_name(self.store(), o).await?.unwrap_or_else(|| "its new owner".into()),
                None => "nobody".into(),
            };
            let moved = format!("Reassigned to {owner_name} by {}", p.user.display_name);
            unit.push(q::set_owner(id, owner, None, Some(&moved), row.intended_reader.as_ref().map(|(u, _)| *u)));
        }
        unit.push(q::set_assignee(id, assignee, now, covered_for, false));
        unit.push(q::insert_history(q::HistoryEntry {
            id: history_id,
            conversation: id,
            at: now,
            actor: Some(p.user.id),
            from_assignee: row.assignee,
            to_assignee: assignee,
            to_owner: (owner != row.owner).then_some(owner).flatten(),
            reason_code: HistoryCode::Reassigned,
            reason_ct,
        }));
        if let (Some(pool), Some(who)) = (pool, assignee) {
            unit.push(q::set_last_assigned(pool, who));
        }
        unit.push_audit(
            self.record(p, ctx, AuditAction::ConversationAssigned)
                .with_patient(Some(row.patient.id))
                .with_resource(ResourceKind::Conversation, *id.as_bytes())
                .with_detail(detail),
        );
        let after = ConversationFacts { assignee, owner, ..facts(&row) };
        let previous = row.assignee.filter(|prev| Some(*prev) != assignee);
        let events = vec![self.event(p, id, &after, EventKind::Assigned { assignee, previous })];
        self.commit_with_events(unit, events).await?;
        let name_of = |u: UserId| async move {
            directory::user_by_id(self.store(), u).await.map(|r| r.and_then(|x| x.display_name))
        };
        Ok(AssignOutcome {
            assignee: match assignee {
                Some(u) => Some(PersonRef {
                    id: u,
                    kind: UserKind::Staff,
                    display_name: name_of(u).await?.unwrap_or_default(),
                }),
                None => None,
            },
            covering_for: match covered_for {
                Some(u) => name_of(u).await?,
                None => None,
            },
            owner_name: match owner {
                Some(o) => q::owner_name(self.store(), o).await?,
                None => None,
            },
        })
    }

    /// Asks a provider for clinical judgement: a note with the context goes
    /// into the conversation, the provider sees it in their queue and is
    /// alerted. Their reply to the patient, or a note back to staff, returns
    /// the conversation to the staff member who asked.
    pub async fn escalate(
        &self,
        p: &Principal,
        id: ConversationId,
        provider: UserId,
        note: String,
        ctx: &RequestContext,
    ) -> Result<PersonRef, ServiceError> {
        let note = NoteBody::parse(note).map_err(|e| ServiceError::invalid("note", "the note", e))?;
        let row = self
            .authorized_conversation(p, ctx, id, ConversationAction::Assign, AuditAction::ConversationEscalated)
            .await?;
        let not_a_provider = || ServiceError::Invalid {
            field: "provider_id",
            problem: "there is no provider of this practice by that id".into(),
        };
        let (target, name) = self.staff_actor(provider).await?.ok_or_else(not_a_provider)?;
        if !policy::may_be_escalated_to(&target, &facts(&row)) {
            return Err(not_a_provider());
        }
        if provider == p.user.id {
            return Err(ServiceError::Invalid {
                field: "provider_id",
                problem: "you cannot escalate to yourself".into(),
            });
        }
        let now = self.now();
        let absences: Vec<Absence> =
            q::absences(self.store(), row.practice, now).await?.into_iter().map(|(_, a)| a).collect();
        if assignment::is_away(provider, &absences, now) {
            // A clinical question must not wait for someone's return: the
            // caller picks another provider (the cover may not be one).
            return Err(ServiceError::Invalid {
                field: "provider_id",
                problem: format!("{name} is away; escalate to another provider"),
            });
        }
        let note_id = self.new_id(NoteId::from_bytes)?;
        let dek = self.conversation_key(&row)?;
        let unit = Unit::new()
            .step(conv_q::insert_note(
                note_id,
                id,
                p.user.id,
                sealing::seal(&dek, column::NOTE, note_id.as_bytes(), note.as_str())?,
                now,
            ))
            .steps(self.index_steps(crate::search::Indexed {
                practice: row.practice,
                conversation: id,
                item: *note_id.as_bytes(),
                message: None,
                source: switchboard_domain::search::SearchSource::Note,
                at: now,
                text: note.as_str(),
            }))
            .step(q::escalate(id, provider, p.user.id, now))
            // The history names the provider it went to; the assignee stays.
            .step(self.history_step(History {
                actor: Some(p.user.id),
                from: row.assignee,
                to: Some(provider),
                ..History::of(id, HistoryCode::Escalated)
            })?)
            .steps(self.alert_steps(row.practice, provider, id, "escalated", now)?)
            .audit(
                self.record(p, ctx, AuditAction::ConversationEscalated)
                    .with_patient(Some(row.patient.id))
                    .with_resource(ResourceKind::Conversation, *id.as_bytes())
                    .with_detail(format!("provider={provider}")),
            );
        let after = ConversationFacts { escalated_to: Some(provider), ..facts(&row) };
        let events = vec![
            self.event(p, id, &after, EventKind::NoteAdded { note: note_id }),
            self.event(p, id, &after, EventKind::Escalated { to: provider }),
            self.event(p, id, &after, EventKind::Alert { user: provider }),
        ];
        self.commit_with_events(unit, events).await?;
        Ok(PersonRef { id: provider, kind: UserKind::Staff, display_name: name })
    }

    /// When the provider a conversation was escalated to writes in it, the
    /// escalation ends, their "escalated to you" alert clears, and the
    /// conversation goes back to whoever holds it now (a reassignment made
    /// while the provider looked at it stands), else to whoever asked.
    pub(crate) fn return_from_escalation(
        &self,
        p: &Principal,
        row: &ConversationRow,
        after: &mut ConversationFacts,
    ) -> Result<Option<Changes>, ServiceError> {
        let Some((to, _)) = row.escalated_to else { return Ok(None) };
        if to != p.user.id {
            return Ok(None);
        }
        let back_to = row.assignee.or(row.escalated_by);
        let steps = vec![
            q::clear_escalation(row.id),
            q::acknowledge_alerts_about(row.id, to, "escalated", self.now()),
            q::set_assignee(row.id, back_to, self.now(), None, row.keep_with_assignee),
            self.history_step(History {
                actor: Some(p.user.id),
                from: row.assignee,
                to: back_to,
                ..History::of(row.id, HistoryCode::Returned)
            })?,
        ];
        after.escalated_to = None;
        after.assignee = back_to;
        let events = vec![self.event(p, row.id, after, EventKind::Assigned { assignee: back_to, previous: None })];
        Ok(Some((steps, events)))
    }

    /// Records that the caller is away from `starts_at` to `ends_at`, and who
    /// covers. Their open work moves to the cover when it starts and back
    /// when it ends.
    pub async fn record_absence(
        &self,
        p: &Principal,
        starts_at: Timestamp,
        ends_at: Timestamp,
        cover: Option<UserId>,
        ctx: &RequestContext,
    ) -> Result<AbsenceId, ServiceError> {
        let Actor::Staff(me) = &p.actor else { return Err(ServiceError::NotFound) };
        if starts_at >= ends_at {
            return Err(ServiceError::Invalid { field: "ends_at", problem: "the end must be after the start".into() });
        }
        if let Some(c) = cover {
            let ok = c != me.user
                && self
                    .staff_actor(c)
                    .await?
                    .is_some_and(|(s, _)| s.practice == me.practice && s.role.works_patient_conversations());
            if !ok {
                return Err(ServiceError::Invalid {
                    field: "cover_id",
                    problem: "the cover is not a colleague who can take conversations".into(),
                });
            }
        }
        let now = self.now();
        let absence = self.new_id(AbsenceId::from_bytes)?;
        let a = Absence { user: me.user, starts_at, ends_at, cover };
        let start_job = self.new_id(JobId::from_bytes)?;
        let end_job = self.new_id(JobId::from_bytes)?;
        let payload = absence.to_string();
        let mut rec = AuditRecord::new(now, Some(me.practice), p.audit_actor(), AuditAction::AbsenceRecorded)
            .with_resource(ResourceKind::Absence, *absence.as_bytes())
            .with_client_addr(ctx.client_text());
        if let Some(c) = cover {
            rec = rec.with_detail(format!("cover={c}"));
        }
        let unit = Unit::new()
            .step(q::insert_absence(absence, me.practice, &a, now))
            .step(job_q::enqueue(start_job, ABSENCE_STARTS, &payload, starts_at.max(now), 8, None, now))
            .step(job_q::enqueue(end_job, ABSENCE_ENDS, &payload, ends_at, 8, None, now))
            .audit(rec);
        self.store().commit(unit).await?;
        Ok(absence)
    }

    /// Cancels one of the caller's absences (work already moved comes back
    /// when its end job runs, now).
    pub async fn cancel_absence(
        &self,
        p: &Principal,
        absence: AbsenceId,
        ctx: &RequestContext,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let job = self.new_id(JobId::from_bytes)?;
        let unit = Unit::new()
            .step(q::cancel_absence(absence, p.user.id, now))
            .step(job_q::enqueue(job, ABSENCE_ENDS, &absence.to_string(), now, 8, None, now))
            .audit(
                AuditRecord::new(now, Some(p.user.practice), p.audit_actor(), AuditAction::AbsenceCancelled)
                    .with_resource(ResourceKind::Absence, *absence.as_bytes())
                    .with_client_addr(ctx.client_text()),
            );
        self.store().commit(unit).await.map_err(|e| match e {
            switchboard_store::StoreError::Conflict(_) => ServiceError::NotFound,
            other => other.into(),
        })
    }

    /// The caller's current and future absences.
    pub async fn my_absences(&self, p: &Principal) -> Result<Vec<(AbsenceId, Absence)>, ServiceError> {
        let all = q::absences(self.store(), p.user.practice, self.now()).await?;
        Ok(all.into_iter().filter(|(_, a)| a.user == p.user.id).collect())
    }
}
