//! One conversation with its messages, receipts, amendments and notes.

use crate::access::facts;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::views::*;
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::HashMap;
use switchboard_domain::audit::{AuditAction, ResourceKind};
use switchboard_domain::conversation::{self as conv};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, ConversationAction};
use switchboard_domain::receipt::{self, StaffRead};
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::routing::Owner;
use switchboard_domain::topic::Topic;
use switchboard_store::Unit;
use switchboard_store::queries::{conversations as q, directory, routing as routing_q};
impl Switchboard {
    /// One conversation with its messages, read receipts and amendments
    /// (and, for staff, internal notes).
    pub async fn get_conversation(
        &self,
        p: &Principal,
        id: ConversationId,
        ctx: &RequestContext,
    ) -> Result<ConversationView, ServiceError> {
        let row =
            self.authorized_conversation(p, ctx, id, ConversationAction::View, AuditAction::ConversationViewed).await?;
        // Opened through emergency access: the record names the grant.
        let via_grant = crate::emergency::emergency_detail(&p.actor, &facts(&row));
        let grant = crate::emergency::emergency_grant_of(&p.actor, &facts(&row));
        // Staff see who owns it, who it was meant for and who it waits on.
        let row = match p.user.kind {
            UserKind::Staff => q::with_names(self.store(), row).await?,
            UserKind::Patient => row,
        };
        let with_notes =
            policy::authorize_conversation(&p.actor, ConversationAction::ViewNotes, &facts(&row)).is_allowed();
        let summary = self.summary(&p.actor, &row)?;
        let patient_name = summary.patient.display_name.clone();
        let key = self.conversation_key(&row)?;
        let caregivers = self.sharing_of(p, &row).await?;
        // A caregiver never rates on the patient's behalf.
        let rateable_by_caller = !matches!(&p.actor, policy::Actor::Patient(me) if !me.is_own(row.patient.id));
        let patient_user = row.patient.user;
        let detail = q::detail(self.store(), row, with_notes).await?;
        // Messages caregivers sent for the patient, and the names of the
        // caregivers who wrote or read here (from their own records).
        let proxied: HashMap<MessageId, switchboard_store::queries::caregivers::ProxyMessageRow> =
            switchboard_store::queries::caregivers::proxy_messages_in(self.store(), id)
                .await?
                .into_iter()
                .map(|m| (m.message, m))
                .collect();
        let mut carer_names: HashMap<UserId, String> = HashMap::new();
        let carers = proxied
            .values()
            .map(|m| m.caregiver)
            .chain(detail.reads.iter().filter(|r| r.reader_kind == UserKind::Patient).map(|r| r.reader));
        for u in carers {
            if Some(u) == patient_user || carer_names.contains_key(&u) {
                continue;
            }
            if let Some(name) = self.portal_account_name(u).await? {
                carer_names.insert(u, name);
            }
        }

        // Names: staff from their accounts, the patient from their record,
        // a caregiver from theirs.
        let person = |id: UserId, kind: UserKind, staff_name: Option<&String>| PersonRef {
            id,
            kind,
            display_name: match kind {
                UserKind::Staff => staff_name.cloned().unwrap_or_default(),
                UserKind::Patient => carer_names.get(&id).cloned().unwrap_or_else(|| patient_name.clone()),
            },
        };
        // Patients see their own reads, and for staff reads only what
        // `domain::receipt` says is true to tell them; staff see every read.
        let patient_view = p.user.kind == UserKind::Patient;
        let mut reads: HashMap<MessageId, Vec<ReadReceipt>> = HashMap::new();
        let mut staff_reads: HashMap<MessageId, Vec<StaffRead>> = HashMap::new();
        for r in &detail.reads {
            if let (UserKind::Staff, Some(role)) = (r.reader_kind, r.reader_role) {
                let c = &detail.conversation;
                let answers_for_it = c.assignee == Some(r.reader)
                    || c.owner == Some(Owner::Person(r.reader))
                    || (role == StaffRole::Billing && c.topic == Topic::Billing);
                staff_reads.entry(r.message).or_default().push(StaffRead { role, answers_for_it, at: r.read_at });
            }
            if patient_view && r.reader_kind == UserKind::Staff {
                continue;
            }
            reads.entry(r.message).or_default().push(ReadReceipt {
                reader: person(r.reader, r.reader_kind, r.reader_display_name.as_ref()),
                read_at: r.read_at,
            });
        }
        let kinds: HashMap<UserId, (UserKind, Option<String>)> = detail
            .messages
            .iter()
            .filter_map(|m| {
                let kind = match m.sender_kind {
                    SenderKind::Patient => UserKind::Patient,
                    SenderKind::Staff => UserKind::Staff,
                    SenderKind::System => return None,
                };
                m.sender.map(|u| (u, (kind, m.sender_display_name.clone())))
            })
            .collect();
        let practice_name = match detail.messages.iter().any(|m| m.sender_kind == SenderKind::System) {
            true => directory::practice_name(self.store(), p.user.practice).await?.unwrap_or_default(),
            false => String::new(),
        };
        let mut amendments: HashMap<MessageId, Vec<AmendmentView>> = HashMap::new();
        for a in &detail.amendments {
            // Only a message's author may amend it, so the author is a sender.
            let (kind, name) = kinds.get(&a.author).cloned().unwrap_or((UserKind::Staff, None));
            amendments.entry(a.message).or_default().push(AmendmentView {
                id: a.id,
                author: person(a.author, kind, name.as_ref()),
                body: sealing::open(&key, column::AMENDMENT, a.id.as_bytes(), &a.body_ct)?,
                created_at: a.created_at,
            });
        }
        let mut files = self.attachments_by_message(&detail.conversation, &key).await?;
        let mut messages = Vec::with_capacity(detail.messages.len());
        for m in &detail.messages {
            let on_behalf = proxied.get(&m.id).map(|x| {
                let caregiver_name = carer_names.get(&x.caregiver).cloned().unwrap_or_default();
                OnBehalfView {
                    line: switchboard_domain::caregiver::on_behalf_line(&caregiver_name, x.relationship, &patient_name),
                    caregiver_name,
                    relationship: x.relationship,
                    patient_name: patient_name.clone(),
                }
            });
            let sender = match (m.sender, m.sender_kind) {
                (Some(u), SenderKind::Patient) => SenderRef {
                    id: Some(u),
                    kind: SenderKind::Patient,
                    display_name: match &on_behalf {
                        Some(b) => b.caregiver_name.clone(),
                        None => patient_name.clone(),
                    },
                },
                (Some(u), SenderKind::Staff) => SenderRef {
                    id: Some(u),
                    kind: SenderKind::Staff,
                    display_name: m.sender_display_name.clone().unwrap_or_default(),
                },
                _ => SenderRef {
                    id: None,
                    kind: SenderKind::System,
                    display_name: format!("{practice_name} (automatic reply)"),
                },
            };
            messages.push(MessageView {
                id: m.id,
                sender,
                body: sealing::open(&key, column::BODY, m.id.as_bytes(), &m.body_ct)?,
                sent_at: m.sent_at,
                read_by: reads.remove(&m.id).unwrap_or_default(),
                read_by_staff: match (m.sender_kind, staff_reads.remove(&m.id)) {
                    (SenderKind::Patient, Some(staff)) => receipt::patient_receipt(&staff),
                    _ => None,
                },
                amendments: amendments.remove(&m.id).unwrap_or_default(),
                attachments: files.remove(&m.id).unwrap_or_default(),
                on_behalf,
            });
        }
        let notes = if with_notes {
            let mut notes = Vec::with_capacity(detail.notes.len());
            for n in &detail.notes {
                notes.push(NoteView {
                    id: n.id,
                    author: person(n.author, UserKind::Staff, n.author_display_name.as_ref()),
                    body: sealing::open(&key, column::NOTE, n.id.as_bytes(), &n.body_ct)?,
                    created_at: n.created_at,
                });
            }
            Some(notes)
        } else {
            None
        };
        let history = if with_notes {
            let mut out = Vec::new();
            for h in routing_q::history(self.store(), id).await? {
                out.push(HistoryView {
                    at: h.at,
                    actor: h.actor_name,
                    code: h.reason_code,
                    to_assignee: h.to_assignee_name,
                    to_owner: h.to_owner_name,
                    reason: match h.reason_ct {
                        Some(ct) => Some(sealing::open(&key, column::ASSIGNMENT_REASON, h.id.as_bytes(), &ct)?),
                        None => None,
                    },
                });
            }
            Some(out)
        } else {
            None
        };
        let rec = self
            .record(p, ctx, AuditAction::ConversationViewed)
            .with_patient(Some(summary.patient.id))
            .with_resource(ResourceKind::Conversation, *id.as_bytes())
            .with_detail(match &via_grant {
                Some(grant) => format!("messages={};{grant}", messages.len()),
                None => format!("messages={}", messages.len()),
            });
        let rating = match switchboard_store::queries::ratings::for_conversation(self.store(), id).await? {
            Some(r) => Some(RatingView {
                score: u8::try_from(r.score).unwrap_or(0),
                comment: match &r.comment_ct {
                    Some(ct) => Some(sealing::open(&key, column::RATING_COMMENT, id.as_bytes(), ct)?),
                    None => None,
                },
                created_at: r.created_at,
            }),
            None => None,
        };
        self.store().commit(Unit::new().audit(rec)).await?;
        let answered_by_staff = messages.iter().any(|m| m.sender.kind == SenderKind::Staff);
        Ok(ConversationView {
            emergency_access: grant,
            rateable: conv::rateable(summary.status, answered_by_staff) && rating.is_none() && rateable_by_caller,
            caregivers,
            answered_by_staff,
            summary,
            messages,
            notes,
            history,
            rating,
        })
    }
}
