//! What every use case on a conversation shares before it acts: the
//! policy's facts about a conversation or patient, the caller's audit
//! record, and loading a conversation only if the policy allows.

use crate::auth::Principal;
use crate::refusals::Target;
use crate::sealing::{self};
use crate::{RequestContext, ServiceError, Switchboard};
use std::sync::Arc;
use switchboard_crypto::DataKey;
use switchboard_domain::audit::{AuditAction, AuditRecord, ResourceKind};
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, ConversationAction, ConversationFacts, Decision, PatientFacts};
use switchboard_store::queries::conversations as q;
use switchboard_store::rows::{ConversationRow, PatientRow};

pub(crate) fn facts(row: &ConversationRow) -> ConversationFacts {
    ConversationFacts {
        id: row.id,
        patient: patient_facts(&row.patient),
        assignee: row.assignee,
        owner: row.owner,
        escalated_to: row.escalated_to.as_ref().map(|(u, _)| *u),
        topic: row.topic,
        sensitivity: row.sensitivity,
        shared_with_caregivers: row.shared_with_caregivers,
    }
}

pub(crate) fn patient_facts(p: &PatientRow) -> PatientFacts {
    PatientFacts { id: p.id, practice: p.practice, department: p.department, care_team: p.care_team }
}

pub(crate) fn denial_detail(d: Decision) -> String {
    match d {
        Decision::Allow => "allowed".to_owned(),
        Decision::Deny(reason) => format!("denied:{}", reason.as_str()),
    }
}

impl Switchboard {
    /// A successful audit record of `action` by `p`; refine with the
    /// record's `with_*` methods.
    pub(crate) fn record(&self, p: &Principal, ctx: &RequestContext, action: AuditAction) -> AuditRecord {
        AuditRecord::new(self.now(), Some(p.user.practice), p.audit_actor(), action).with_client_addr(ctx.client_text())
    }

    /// Loads a conversation and checks `action` on it; refusals and missing
    /// conversations are audited and look alike.
    pub(crate) async fn authorized_conversation(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ConversationId,
        action: ConversationAction,
        audit_action: AuditAction,
    ) -> Result<ConversationRow, ServiceError> {
        let Some(row) = q::by_id(self.store(), id).await? else {
            let target = Target::missing(ResourceKind::Conversation, *id.as_bytes());
            return Err(self.deny(p, ctx, audit_action, target, "denied:not_found".into()).await);
        };
        match policy::authorize_conversation(&p.actor, action, &facts(&row)) {
            Decision::Allow => Ok(row),
            d => {
                let target =
                    Target::owned(row.practice, Some(row.patient.id), ResourceKind::Conversation, *id.as_bytes());
                Err(self.deny(p, ctx, audit_action, target, denial_detail(d)).await)
            }
        }
    }

    pub(crate) fn conversation_key(&self, row: &ConversationRow) -> Result<Arc<DataKey>, ServiceError> {
        sealing::data_key(self.keys(), &row.key)
    }
}
