//! The conversation lists and the inbox counts.

use super::{ConversationFilter, DEFAULT_PAGE, MAX_PAGE, StaffFilterAssignee};
use crate::access::facts;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::views::*;
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::BTreeMap;
use switchboard_domain::audit::AuditAction;
use switchboard_domain::cursor::ListCursor;
use switchboard_domain::ids::*;
use switchboard_domain::inbox::{InboxView, Sort};
use switchboard_domain::policy::{self, Actor, ConversationAction};
use switchboard_domain::role::UserKind;
use switchboard_store::Unit;
use switchboard_store::queries::conversations as q;
use switchboard_store::rows::ConversationRow;
/// The longest preview of a message a listing carries, in characters.
const PREVIEW_CHARS: usize = 120;
/// A message's first line, cut to [`PREVIEW_CHARS`] with an ellipsis: what
/// an inbox row shows (the whole body stays in the conversation).
fn preview_text(body: &str) -> String {
    let line = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(PREVIEW_CHARS).collect();
    if line.chars().count() > PREVIEW_CHARS || body.trim().lines().count() > 1 {
        out = out.trim_end().to_owned();
        out.push('…');
    }
    out
}

impl Switchboard {
    pub(crate) fn summary(&self, viewer: &Actor, row: &ConversationRow) -> Result<ConversationSummary, ServiceError> {
        let key = self.conversation_key(row)?;
        let staff_view = matches!(viewer, Actor::Staff(_));
        // The row for anyone listed; its content only for who may read it.
        let content = policy::authorize_conversation(viewer, ConversationAction::View, &facts(row)).is_allowed();
        Ok(ConversationSummary {
            id: row.id,
            patient: PatientSummary {
                id: row.patient.id,
                display_name: self.patient_display_name(&row.patient)?,
                birth_date: if staff_view { Some(self.patient_birth_date(&row.patient)?) } else { None },
                care_team: row.patient.care_team_name.clone(),
                department: row.patient.department_name.clone(),
            },
            subject: match content {
                true => Some(sealing::open(&key, column::SUBJECT, row.id.as_bytes(), &row.subject_ct)?),
                false => None,
            },
            topic: row.topic,
            sensitivity: if staff_view && content { row.sensitivity } else { None },
            content_withheld: !content,
            status: row.status,
            priority: row.priority,
            assignee: match (staff_view, row.assignee) {
                (true, Some(id)) => Some(PersonRef {
                    id,
                    kind: UserKind::Staff,
                    display_name: row.assignee_name.clone().unwrap_or_default(),
                }),
                _ => None,
            },
            created_at: row.created_at,
            last_activity_at: row.last_activity_at,
            unread: row.unread,
            routing: staff_view.then(|| RoutingView {
                owner_kind: row.owner.map(|o| o.kind_str()),
                owner_name: row.owner_name.clone(),
                reason: row.routing_reason.clone(),
                intended_reader: row.intended_reader.as_ref().map(|(_, n)| n.clone()),
                covering_for: row.covered_for,
            }),
            escalated_to: match (staff_view, &row.escalated_to) {
                (true, Some((id, name))) => {
                    Some(PersonRef { id: *id, kind: UserKind::Staff, display_name: name.clone() })
                }
                _ => None,
            },
            response: match (row.waiting_since, row.due_soon_at, row.due_at) {
                (Some(waiting_since), Some(due_soon_at), Some(due_at)) => Some(ResponseDue {
                    waiting_since,
                    due_soon_at,
                    due_at,
                    state: crate::response_times::state_of(row, self.now())
                        .unwrap_or(switchboard_domain::sla::SlaState::OnTrack),
                }),
                _ => None,
            },
            unread_reply: match (staff_view, row.unread_reply_sent_at, row.unread_flagged_at) {
                (true, Some(sent_at), Some(flagged_at)) => Some(UnreadReply { sent_at, flagged_at }),
                _ => None,
            },
            marked_unread: row.marked_unread,
            preview: match &row.latest {
                Some(m) if content => Some(Preview {
                    from: m.sender_kind,
                    text: preview_text(&sealing::open(&key, column::BODY, m.id.as_bytes(), &m.body_ct)?),
                }),
                _ => None,
            },
        })
    }

    /// The conversations the caller may see, most recent activity first.
    pub async fn list_conversations(
        &self,
        p: &Principal,
        filter: ConversationFilter,
        ctx: &RequestContext,
    ) -> Result<ConversationPage, ServiceError> {
        let staff = matches!(p.actor, Actor::Staff(_));
        if !staff && filter.assignee.is_some() {
            return Err(ServiceError::Invalid {
                field: "assignee",
                problem: "only staff can filter by assignee".into(),
            });
        }
        if let Some(v) = filter.view
            && !staff
            && v.staff_only()
        {
            return Err(ServiceError::Invalid { field: "view", problem: "this view is for staff".into() });
        }
        let sort = filter.sort.unwrap_or(Sort::Recent);
        let after = filter.cursor.as_deref().map(ListCursor::parse).transpose().map_err(|_| ServiceError::Invalid {
            field: "cursor",
            problem: "the cursor is not one this API returned".into(),
        })?;
        let cursor_fits = matches!(
            (sort, after),
            (_, None) | (Sort::Recent, Some(ListCursor::After { .. })) | (Sort::Attention, Some(ListCursor::Offset(_)))
        );
        if !cursor_fits {
            return Err(ServiceError::Invalid {
                field: "cursor",
                problem: "the cursor belongs to a listing in another order".into(),
            });
        }
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ServiceError::Invalid {
                field: "limit",
                problem: format!("the limit must be between 1 and {MAX_PAGE}"),
            });
        }
        // A patient lists their own conversations, or, as a caregiver, those
        // of a patient they act for (`filter.patient`).
        let scope = policy::list_scope_for(&p.actor, filter.patient);
        let view = filter.view.unwrap_or(InboxView::All).filter();
        let by_view = q::ListFilter::view(view, p.user.id);
        let store_filter = q::ListFilter {
            status: filter.status.or(by_view.status),
            assignee: match filter.assignee {
                Some(StaffFilterAssignee::User(u)) => Some(u),
                _ => by_view.assignee,
            },
            unassigned: filter.assignee == Some(StaffFilterAssignee::Unassigned),
            patient: filter.patient,
            attention_order: sort == Sort::Attention,
            after,
            limit: i64::from(limit) + 1,
            ..by_view
        };
        if filter.status.is_some() && view.status.is_some() && filter.status != view.status {
            return Ok(ConversationPage { items: Vec::new(), next_cursor: None });
        }
        let mut rows = q::list(self.store(), &scope, p.user.kind, &store_filter).await?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (has_more, sort) {
            (false, _) => None,
            (true, Sort::Recent) => {
                rows.last().map(|r| ListCursor::After { last_activity_at: r.last_activity_at, id: r.id }.encode())
            }
            (true, Sort::Attention) => {
                let start = match after {
                    Some(ListCursor::Offset(n)) => n,
                    _ => 0,
                };
                Some(ListCursor::Offset(start.saturating_add(limit)).encode())
            }
        };

        let mut items = Vec::with_capacity(rows.len());
        let mut per_patient: BTreeMap<PatientId, u32> = BTreeMap::new();
        for row in &rows {
            // The SQL scope is derived from the policy; check each row with
            // the policy itself anyway, so a query bug cannot leak. Rows
            // whose content the viewer may not read are listed with their
            // metadata only (`summary`).
            if !policy::authorize_conversation(&p.actor, ConversationAction::ViewMetadata, &facts(row)).is_allowed() {
                tracing::error!("listing query returned a conversation the policy refuses; dropped");
                continue;
            }
            *per_patient.entry(row.patient.id).or_default() += 1;
            items.push(self.summary(&p.actor, row)?);
        }

        let mut unit = Unit::new();
        if per_patient.is_empty() {
            unit.push_audit(self.record(p, ctx, AuditAction::ConversationsListed).with_detail("count=0"));
        }
        for (patient, n) in per_patient {
            unit.push_audit(
                self.record(p, ctx, AuditAction::ConversationsListed)
                    .with_patient(Some(patient))
                    .with_detail(format!("count={n}")),
            );
        }
        self.store().commit(unit).await?;
        Ok(ConversationPage { items, next_cursor })
    }

    /// How many conversations each inbox view holds for a staff member.
    pub async fn inbox_counts(&self, p: &Principal) -> Result<InboxCounts, ServiceError> {
        match &p.actor {
            Actor::Staff(s) if s.role.works_patient_conversations() => {
                Ok(q::inbox_counts(self.store(), s.practice, s.user).await?)
            }
            // Roles that see no conversations have empty views.
            Actor::Staff(_) => Ok(InboxCounts::default()),
            Actor::Patient(_) | Actor::LinkPatient(_) => Err(ServiceError::NotFound),
        }
    }
}
