//! Audit records and their canonical byte form.
//!
//! The canonical form is what the tamper-evident chain commits to (the MAC
//! itself is computed in the crypto crate). Records hold identifiers, codes
//! and counts only, never message text or names, so the log can be read and
//! exported without exposing PHI.

pub mod checkpoint;
pub mod verify;

use crate::ids::{EhrClientId, OperatorKeyId, PatientId, PracticeId, UserId};
use crate::role::UserKind;
use crate::time::Timestamp;

/// What happened. Codes are stable: they are stored and chained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Logout,
    ConversationsListed,
    /// Staff searched message text: one record per patient whose messages
    /// were shown (or one without a patient when none were); never the
    /// terms.
    MessagesSearched,
    ConversationViewed,
    ConversationCreated,
    MessageSent,
    MessageAmended,
    MessagesRead,
    NoteAdded,
    ConversationClosed,
    ConversationReopened,
    ConversationAssigned,
    AuditLogSearched,
    PracticeCreated,
    DepartmentCreated,
    UserCreated,
    PatientCreated,
    CareTeamCreated,
    CareTeamMemberAdded,
    StaffDepartmentAdded,
    MasterKeyRotated,
    PracticeUpdated,
    UrgentMessageFlagged,
    ConversationEscalated,
    RoutingRulesChanged,
    PoolChanged,
    AbsenceRecorded,
    AbsenceCancelled,
    StaffSettingsChanged,
    TemplateSaved,
    TemplateUsed,
    AlertAcknowledged,
    CoverStarted,
    CoverEnded,
    AssignmentTimedOut,
    ResponseSettingsChanged,
    ResponseTargetMissed,
    ConversationRated,
    AnalyticsViewed,
    UserUpdated,
    UserDeactivated,
    UserReactivated,
    LinkIssued,
    LinkOpened,
    LinkRedeemed,
    LinkRefused,
    LinkRevoked,
    /// A one-time code was sent for a secure link.
    CodeSent,
    /// A request refused before its use case: a secure-link session
    /// reaching outside its one conversation.
    AccessRefused,
    PasswordResetRequested,
    PatientUpdated,
    PatientsImported,
    PatientsListed,
    OperatorKeyCreated,
    OperatorKeyRevoked,
    /// An administrator registered an EHR system as a SMART Backend
    /// Services client, or revoked one.
    EhrClientRegistered,
    EhrClientRevoked,
    /// An EHR client was given an access token, or refused one (the
    /// reason code in the detail).
    EhrTokenIssued,
    EhrTokenRefused,
    /// An EHR client read FHIR resources: one record per patient whose
    /// record was sent (or one without a patient when none was).
    FhirRead,
    /// The practice's retention periods were changed.
    RetentionSettingsChanged,
    /// A legal hold was placed on a patient or a conversation, or released.
    LegalHoldPlaced,
    LegalHoldReleased,
    /// The retention job removed a conversation whose period had passed
    /// (counts in the detail; its content and keys are gone).
    ConversationRemoved,
    /// A legal export of a patient's or a conversation's record was asked
    /// for, made (or failed), and downloaded (once).
    RecordExportRequested,
    RecordExportMade,
    RecordExportDownloaded,
    OperatorAuthFailed,
    PracticesListed,
    ConversationMarkedUnread,
    PasswordChanged,
    /// Looking at the practice's setup (rules, pools, templates, targets,
    /// accounts): recorded only when refused, as the setup holds no PHI.
    SetupViewed,
    /// An email, text or push left (or failed to leave) for a person's
    /// address.
    NotificationSent,
    /// Someone changed how they (or, for the practice's defaults, its
    /// patients) are reached.
    NotificationPreferencesChanged,
    /// A text arrived at the SMS number (STOP, START, HELP or other).
    SmsReceived,
    /// Deliveries (the outbox, a patient's record) were looked at.
    DeliveriesViewed,
    /// A clinician (or the fallback number) was paged about an urgent
    /// message.
    Paged,
    PageAcknowledged,
    /// The on-call schedule or the paging settings changed.
    OnCallChanged,
    /// An administrator published a new version of the messaging terms.
    TermsPublished,
    /// A patient accepted a version of the messaging terms.
    TermsAccepted,
    /// Who patient messaging is on for (the soft launch) changed.
    RolloutChanged,
    /// A file was uploaded to a conversation (refusals are recorded too).
    AttachmentUploaded,
    /// A file or its preview was downloaded.
    AttachmentDownloaded,
    /// Staff marked a file as filed to the patient's chart.
    AttachmentFiled,
    /// A password was accepted and the second factor asked for (the sign-in
    /// itself is `LoginSucceeded` once the code is given).
    SecondFactorChallenged,
    /// An authenticator app was set up (`detail`: begun or confirmed).
    SecondFactorEnrolled,
    /// Someone removed their own authenticator app.
    SecondFactorRemoved,
    /// An administrator removed an account's second factors (a lost phone):
    /// its grace period to enrol again starts.
    SecondFactorReset,
    /// New recovery codes were made (the old ones stop working).
    RecoveryCodesIssued,
    /// The holder of a session proved who they are again before a sensitive
    /// action (failures too).
    Reauthenticated,
    /// Unusual access was found in the log, for the compliance officer to
    /// review (`detail`: why).
    AccessReviewRaised,
    /// A reviewer marked a finding of unusual access reviewed.
    AccessReviewed,
    /// Staff marked a conversation sensitive (a category) or cleared the
    /// mark.
    ConversationSensitivityChanged,
    /// An administrator changed which roles read which sensitive
    /// categories and topics.
    SensitivitySettingsChanged,
    /// A first single sign-on bound an account to its identity at the
    /// practice's OpenID Connect provider (by a verified email), or an
    /// administrator set the email an account may be bound by.
    SsoLinked,
    /// An administrator removed an account's single sign-on binding.
    SsoUnlinked,
    /// A clinician searched for a patient to open in an emergency (the
    /// search's terms are never recorded; `detail`: how many matched).
    EmergencyPatientSearched,
    /// Emergency ("break-glass") access began (`detail`: the grant, its
    /// category and length; the reason is sealed with the grant).
    EmergencyAccessStarted,
    /// Emergency access ended early, by its holder or with their sessions
    /// (`detail`: the grant and why).
    EmergencyAccessEnded,
    /// A patient made a one-time invitation for a caregiver.
    CaregiverInvited,
    /// A caregiver accepted a patient's invitation (failures too): a grant began.
    CaregiverInvitationAccepted,
    /// Staff gave a caregiver access to a minor's messages.
    CaregiverGranted,
    /// A grant or an unused invitation was revoked (by the patient or staff).
    CaregiverRevoked,
    /// A patient's caregivers (or a caregiver's patients) were listed.
    CaregiversListed,
    /// A caregiver switched whom they act for in the app (`detail`: the relationship, or `self`).
    ActingForChanged,
    /// A minor's conversation was shared with their caregivers, or no longer.
    ConversationSharingChanged,
    /// An administrator changed the practice's confidentiality age for minors.
    CaregiverSettingsChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 111] = [
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::LoginThrottled,
        AuditAction::Logout,
        AuditAction::ConversationsListed,
        AuditAction::MessagesSearched,
        AuditAction::ConversationViewed,
        AuditAction::ConversationCreated,
        AuditAction::MessageSent,
        AuditAction::MessageAmended,
        AuditAction::MessagesRead,
        AuditAction::NoteAdded,
        AuditAction::ConversationClosed,
        AuditAction::ConversationReopened,
        AuditAction::ConversationAssigned,
        AuditAction::AuditLogSearched,
        AuditAction::PracticeCreated,
        AuditAction::DepartmentCreated,
        AuditAction::UserCreated,
        AuditAction::PatientCreated,
        AuditAction::CareTeamCreated,
        AuditAction::CareTeamMemberAdded,
        AuditAction::StaffDepartmentAdded,
        AuditAction::MasterKeyRotated,
        AuditAction::PracticeUpdated,
        AuditAction::UrgentMessageFlagged,
        AuditAction::ConversationEscalated,
        AuditAction::RoutingRulesChanged,
        AuditAction::PoolChanged,
        AuditAction::AbsenceRecorded,
        AuditAction::AbsenceCancelled,
        AuditAction::StaffSettingsChanged,
        AuditAction::TemplateSaved,
        AuditAction::TemplateUsed,
        AuditAction::AlertAcknowledged,
        AuditAction::CoverStarted,
        AuditAction::CoverEnded,
        AuditAction::AssignmentTimedOut,
        AuditAction::ResponseSettingsChanged,
        AuditAction::ResponseTargetMissed,
        AuditAction::ConversationRated,
        AuditAction::AnalyticsViewed,
        AuditAction::UserUpdated,
        AuditAction::UserDeactivated,
        AuditAction::UserReactivated,
        AuditAction::LinkIssued,
        AuditAction::LinkOpened,
        AuditAction::LinkRedeemed,
        AuditAction::LinkRefused,
        AuditAction::LinkRevoked,
        AuditAction::CodeSent,
        AuditAction::AccessRefused,
        AuditAction::PasswordResetRequested,
        AuditAction::PatientUpdated,
        AuditAction::PatientsImported,
        AuditAction::PatientsListed,
        AuditAction::OperatorKeyCreated,
        AuditAction::OperatorKeyRevoked,
        AuditAction::EhrClientRegistered,
        AuditAction::EhrClientRevoked,
        AuditAction::EhrTokenIssued,
        AuditAction::EhrTokenRefused,
        AuditAction::FhirRead,
        AuditAction::RetentionSettingsChanged,
        AuditAction::LegalHoldPlaced,
        AuditAction::LegalHoldReleased,
        AuditAction::ConversationRemoved,
        AuditAction::RecordExportRequested,
        AuditAction::RecordExportMade,
        AuditAction::RecordExportDownloaded,
        AuditAction::OperatorAuthFailed,
        AuditAction::PracticesListed,
        AuditAction::ConversationMarkedUnread,
        AuditAction::PasswordChanged,
        AuditAction::SetupViewed,
        AuditAction::NotificationSent,
        AuditAction::NotificationPreferencesChanged,
        AuditAction::SmsReceived,
        AuditAction::DeliveriesViewed,
        AuditAction::Paged,
        AuditAction::PageAcknowledged,
        AuditAction::OnCallChanged,
        AuditAction::TermsPublished,
        AuditAction::TermsAccepted,
        AuditAction::RolloutChanged,
        AuditAction::AttachmentUploaded,
        AuditAction::AttachmentDownloaded,
        AuditAction::AttachmentFiled,
        AuditAction::SecondFactorChallenged,
        AuditAction::SecondFactorEnrolled,
        AuditAction::SecondFactorRemoved,
        AuditAction::SecondFactorReset,
        AuditAction::RecoveryCodesIssued,
        AuditAction::Reauthenticated,
        AuditAction::AccessReviewRaised,
        AuditAction::AccessReviewed,
        AuditAction::ConversationSensitivityChanged,
        AuditAction::SensitivitySettingsChanged,
        AuditAction::SsoLinked,
        AuditAction::SsoUnlinked,
        AuditAction::EmergencyPatientSearched,
        AuditAction::EmergencyAccessStarted,
        AuditAction::EmergencyAccessEnded,
        AuditAction::CaregiverInvited,
        AuditAction::CaregiverInvitationAccepted,
        AuditAction::CaregiverGranted,
        AuditAction::CaregiverRevoked,
        AuditAction::CaregiversListed,
        AuditAction::ActingForChanged,
        AuditAction::ConversationSharingChanged,
        AuditAction::CaregiverSettingsChanged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login_succeeded",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::LoginThrottled => "login_throttled",
            AuditAction::Logout => "logout",
            AuditAction::ConversationsListed => "conversations_listed",
            AuditAction::MessagesSearched => "messages_searched",
            AuditAction::ConversationViewed => "conversation_viewed",
            AuditAction::ConversationCreated => "conversation_created",
            AuditAction::MessageSent => "message_sent",
            AuditAction::MessageAmended => "message_amended",
            AuditAction::MessagesRead => "messages_read",
            AuditAction::NoteAdded => "note_added",
            AuditAction::ConversationClosed => "conversation_closed",
            AuditAction::ConversationReopened => "conversation_reopened",
            AuditAction::ConversationAssigned => "conversation_assigned",
            AuditAction::AuditLogSearched => "audit_log_searched",
            AuditAction::PracticeCreated => "practice_created",
            AuditAction::DepartmentCreated => "department_created",
            AuditAction::UserCreated => "user_created",
            AuditAction::PatientCreated => "patient_created",
            AuditAction::CareTeamCreated => "care_team_created",
            AuditAction::CareTeamMemberAdded => "care_team_member_added",
            AuditAction::StaffDepartmentAdded => "staff_department_added",
            AuditAction::MasterKeyRotated => "master_key_rotated",
            AuditAction::PracticeUpdated => "practice_updated",
            AuditAction::UrgentMessageFlagged => "urgent_message_flagged",
            AuditAction::ConversationEscalated => "conversation_escalated",
            AuditAction::RoutingRulesChanged => "routing_rules_changed",
            AuditAction::PoolChanged => "pool_changed",
            AuditAction::AbsenceRecorded => "absence_recorded",
            AuditAction::AbsenceCancelled => "absence_cancelled",
            AuditAction::StaffSettingsChanged => "staff_settings_changed",
            AuditAction::TemplateSaved => "template_saved",
            AuditAction::TemplateUsed => "template_used",
            AuditAction::AlertAcknowledged => "alert_acknowledged",
            AuditAction::CoverStarted => "cover_started",
            AuditAction::CoverEnded => "cover_ended",
            AuditAction::AssignmentTimedOut => "assignment_timed_out",
            AuditAction::ResponseSettingsChanged => "response_settings_changed",
            AuditAction::ResponseTargetMissed => "response_target_missed",
            AuditAction::ConversationRated => "conversation_rated",
            AuditAction::AnalyticsViewed => "analytics_viewed",
            AuditAction::UserUpdated => "user_updated",
            AuditAction::UserDeactivated => "user_deactivated",
            AuditAction::UserReactivated => "user_reactivated",
            AuditAction::LinkIssued => "link_issued",
            AuditAction::LinkOpened => "link_opened",
            AuditAction::LinkRedeemed => "link_redeemed",
            AuditAction::LinkRefused => "link_refused",
            AuditAction::CodeSent => "code_sent",
            AuditAction::AccessRefused => "access_refused",
            AuditAction::LinkRevoked => "link_revoked",
            AuditAction::PasswordResetRequested => "password_reset_requested",
            AuditAction::PatientUpdated => "patient_updated",
            AuditAction::PatientsImported => "patients_imported",
            AuditAction::PatientsListed => "patients_listed",
            AuditAction::OperatorKeyCreated => "operator_key_created",
            AuditAction::OperatorKeyRevoked => "operator_key_revoked",
            AuditAction::EhrClientRegistered => "ehr_client_registered",
            AuditAction::EhrClientRevoked => "ehr_client_revoked",
            AuditAction::EhrTokenIssued => "ehr_token_issued",
            AuditAction::EhrTokenRefused => "ehr_token_refused",
            AuditAction::FhirRead => "fhir_read",
            AuditAction::RetentionSettingsChanged => "retention_settings_changed",
            AuditAction::LegalHoldPlaced => "legal_hold_placed",
            AuditAction::LegalHoldReleased => "legal_hold_released",
            AuditAction::ConversationRemoved => "conversation_removed",
            AuditAction::RecordExportRequested => "record_export_requested",
            AuditAction::RecordExportMade => "record_export_made",
            AuditAction::RecordExportDownloaded => "record_export_downloaded",
            AuditAction::OperatorAuthFailed => "operator_auth_failed",
            AuditAction::PracticesListed => "practices_listed",
            AuditAction::ConversationMarkedUnread => "conversation_marked_unread",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::SetupViewed => "setup_viewed",
            AuditAction::NotificationSent => "notification_sent",
            AuditAction::NotificationPreferencesChanged => "notification_preferences_changed",
            AuditAction::SmsReceived => "sms_received",
            AuditAction::DeliveriesViewed => "deliveries_viewed",
            AuditAction::Paged => "paged",
            AuditAction::PageAcknowledged => "page_acknowledged",
            AuditAction::OnCallChanged => "on_call_changed",
            AuditAction::TermsPublished => "terms_published",
            AuditAction::TermsAccepted => "terms_accepted",
            AuditAction::RolloutChanged => "rollout_changed",
            AuditAction::AttachmentUploaded => "attachment_uploaded",
            AuditAction::AttachmentDownloaded => "attachment_downloaded",
            AuditAction::AttachmentFiled => "attachment_filed",
            AuditAction::SecondFactorChallenged => "second_factor_challenged",
            AuditAction::SecondFactorEnrolled => "second_factor_enrolled",
            AuditAction::SecondFactorRemoved => "second_factor_removed",
            AuditAction::SecondFactorReset => "second_factor_reset",
            AuditAction::RecoveryCodesIssued => "recovery_codes_issued",
            AuditAction::Reauthenticated => "reauthenticated",
            AuditAction::AccessReviewRaised => "access_review_raised",
            AuditAction::AccessReviewed => "access_reviewed",
            AuditAction::ConversationSensitivityChanged => "conversation_sensitivity_changed",
            AuditAction::SensitivitySettingsChanged => "sensitivity_settings_changed",
            AuditAction::SsoLinked => "sso_linked",
            AuditAction::SsoUnlinked => "sso_unlinked",
            AuditAction::EmergencyPatientSearched => "emergency_patient_searched",
            AuditAction::EmergencyAccessStarted => "emergency_access_started",
            AuditAction::EmergencyAccessEnded => "emergency_access_ended",
            AuditAction::CaregiverInvited => "caregiver_invited",
            AuditAction::CaregiverInvitationAccepted => "caregiver_invitation_accepted",
            AuditAction::CaregiverGranted => "caregiver_granted",
            AuditAction::CaregiverRevoked => "caregiver_revoked",
            AuditAction::CaregiversListed => "caregivers_listed",
            AuditAction::ActingForChanged => "acting_for_changed",
            AuditAction::ConversationSharingChanged => "conversation_sharing_changed",
            AuditAction::CaregiverSettingsChanged => "caregiver_settings_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    /// Refused by the access policy (or by authentication).
    Denied,
    /// Attempted and failed for another reason (bad password, throttled).
    Failed,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// The kinds of thing an audit record can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Conversation,
    Message,
    Note,
    Patient,
    User,
    Practice,
    Department,
    CareTeam,
    Session,
    AuditLog,
    KeyRing,
    Pool,
    RoutingRules,
    Absence,
    Template,
    Alert,
    Link,
    OperatorKey,
    Delivery,
    SecureLink,
    Attachment,
    /// A caregiver's grant, or a patient's invitation to one.
    ProxyGrant,
    /// An EHR system registered as a client.
    EhrClient,
    /// A legal hold on a patient or a conversation.
    LegalHold,
    /// A legal export of the record.
    RecordExport,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 25] = [
        ResourceKind::Conversation,
        ResourceKind::Message,
        ResourceKind::Note,
        ResourceKind::Patient,
        ResourceKind::User,
        ResourceKind::Practice,
        ResourceKind::Department,
        ResourceKind::CareTeam,
        ResourceKind::Session,
        ResourceKind::AuditLog,
        ResourceKind::KeyRing,
        ResourceKind::Pool,
        ResourceKind::RoutingRules,
        ResourceKind::Absence,
        ResourceKind::Template,
        ResourceKind::Alert,
        ResourceKind::Link,
        ResourceKind::OperatorKey,
        ResourceKind::Delivery,
        ResourceKind::SecureLink,
        ResourceKind::Attachment,
        ResourceKind::ProxyGrant,
        ResourceKind::EhrClient,
        ResourceKind::LegalHold,
        ResourceKind::RecordExport,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Conversation => "conversation",
            ResourceKind::Message => "message",
            ResourceKind::Note => "note",
            ResourceKind::Patient => "patient",
            ResourceKind::User => "user",
            ResourceKind::Practice => "practice",
            ResourceKind::Department => "department",
            ResourceKind::CareTeam => "care_team",
            ResourceKind::Session => "session",
            ResourceKind::AuditLog => "audit_log",
            ResourceKind::KeyRing => "key_ring",
            ResourceKind::Pool => "pool",
            ResourceKind::RoutingRules => "routing_rules",
            ResourceKind::Absence => "absence",
            ResourceKind::Template => "template",
            ResourceKind::Alert => "alert",
            ResourceKind::Link => "link",
            ResourceKind::OperatorKey => "operator_key",
            ResourceKind::Delivery => "delivery",
            ResourceKind::SecureLink => "secure_link",
            ResourceKind::Attachment => "attachment",
            ResourceKind::ProxyGrant => "proxy_grant",
            ResourceKind::EhrClient => "ehr_client",
            ResourceKind::LegalHold => "legal_hold",
            ResourceKind::RecordExport => "record_export",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who acted. `None` user for anonymous attempts (a failed login with an
/// unknown name) and for the system itself (jobs, command-line tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditActor {
    User {
        id: UserId,
        kind: UserKind,
    },
    Anonymous,
    System,
    /// The deployment's operator, by the API key they used.
    Operator {
        key: OperatorKeyId,
    },
    /// An EHR system, by its registration.
    EhrClient {
        client: EhrClientId,
    },
}

impl AuditActor {
    pub const fn kind_str(self) -> &'static str {
        match self {
            AuditActor::User { kind, .. } => kind.as_str(),
            AuditActor::Anonymous => "anonymous",
            AuditActor::System => "system",
            AuditActor::Operator { .. } => "operator",
            AuditActor::EhrClient { .. } => "ehr_client",
        }
    }
    pub const fn user(self) -> Option<UserId> {
        match self {
            AuditActor::User { id, .. } => Some(id),
            AuditActor::Anonymous | AuditActor::System | AuditActor::Operator { .. } | AuditActor::EhrClient { .. } => {
                None
            }
        }
    }
    /// The stored actor id: the user's, or the operator key's.
    pub const fn id_bytes(self) -> Option<[u8; 16]> {
        match self {
            AuditActor::User { id, .. } => Some(*id.as_bytes()),
            AuditActor::Operator { key } => Some(*key.as_bytes()),
            AuditActor::EhrClient { client } => Some(*client.as_bytes()),
            AuditActor::Anonymous | AuditActor::System => None,
        }
    }
}

/// One audited event, before it is given its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: Timestamp,
    pub practice: Option<PracticeId>,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub outcome: Outcome,
    pub patient: Option<PatientId>,
    pub resource: Option<(ResourceKind, [u8; 16])>,
    /// The client's IP address as text, when known.
    pub client_addr: Option<String>,
    /// Codes and counts only (`denied:no_relationship`, `count=3`): never
    /// free text from a user.
    pub detail: Option<String>,
}

impl AuditRecord {
    /// A successful record of `action` by `actor`, naming nothing else: no
    /// patient, resource, client address or detail. This is the one way to
    /// start a record; the `with_*` methods add what the event involved.
    pub fn new(at: Timestamp, practice: Option<PracticeId>, actor: AuditActor, action: AuditAction) -> Self {
        AuditRecord {
            at,
            practice,
            actor,
            action,
            outcome: Outcome::Success,
            patient: None,
            resource: None,
            client_addr: None,
            detail: None,
        }
    }
    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
    pub fn with_patient(mut self, patient: Option<PatientId>) -> Self {
        self.patient = patient;
        self
    }
    pub fn with_resource(mut self, kind: ResourceKind, id: [u8; 16]) -> Self {
        self.resource = Some((kind, id));
        self
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// The address the request came from, when there was a request.
    pub fn with_client_addr(mut self, client_addr: Option<String>) -> Self {
        self.client_addr = client_addr;
        self
    }
}

/// Where the record of a refused request is filed. A refusal belongs to the
/// practice that owns what was asked for, so its compliance officer sees
/// who reached for their patients; the caller's own practice is told only
/// that something was refused, with none of the other practice's ids, and
/// the same whether the thing asked for exists elsewhere or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalRecords {
    /// The full record (patient and resource ids), in the owner's practice.
    pub owner: Option<AuditRecord>,
    /// A record without ids, in the caller's practice, when the caller is
    /// not the owner.
    pub caller: Option<AuditRecord>,
}

/// Files `refused` (a record in the caller's practice naming the resource)
/// per [`RefusalRecords`]. `owner` is the practice that owns the resource,
/// `None` when nothing by that id exists.
pub fn file_refusal(refused: AuditRecord, owner: Option<PracticeId>) -> RefusalRecords {
    if owner.is_some() && owner == refused.practice {
        return RefusalRecords { owner: Some(refused), caller: None };
    }
    let caller =
        AuditRecord { patient: None, resource: None, detail: Some("denied:not_found".into()), ..refused.clone() };
    let owner = owner.map(|o| AuditRecord { practice: Some(o), ..refused });
    RefusalRecords { owner, caller: Some(caller) }
}

impl RefusalRecords {
    pub fn into_records(self) -> impl Iterator<Item = AuditRecord> {
        self.owner.into_iter().chain(self.caller)
    }
}

const CANONICAL_VERSION: u8 = 1;

fn put_field(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            // Fields are short (ids, codes); a length over u32 cannot occur
            // for stored records, and saturating keeps this total.
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

impl AuditRecord {
    /// The unambiguous byte string the chain commits to, for this record at
    /// position `seq`. Every field is length-prefixed and present/absent
    /// marked, so no two different records encode alike.
    pub fn canonical_bytes(&self, seq: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        out.push(CANONICAL_VERSION);
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&self.at.as_micros().to_be_bytes());
        put_field(&mut out, self.practice.as_ref().map(|p| p.as_bytes().as_slice()));
        put_field(&mut out, Some(self.actor.kind_str().as_bytes()));
        put_field(&mut out, self.actor.id_bytes().as_ref().map(|u| u.as_slice()));
        put_field(&mut out, Some(self.action.as_str().as_bytes()));
        put_field(&mut out, Some(self.outcome.as_str().as_bytes()));
        put_field(&mut out, self.patient.as_ref().map(|p| p.as_bytes().as_slice()));
        put_field(&mut out, self.resource.as_ref().map(|(k, _)| k.as_str().as_bytes()));
        put_field(&mut out, self.resource.as_ref().map(|(_, id)| id.as_slice()));
        put_field(&mut out, self.client_addr.as_deref().map(str::as_bytes));
        put_field(&mut out, self.detail.as_deref().map(str::as_bytes));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(detail: Option<String>, client: Option<String>) -> AuditRecord {
        let mut rec = AuditRecord::new(Timestamp::from_micros(5), None, AuditActor::System, AuditAction::Logout)
            .with_client_addr(client);
        rec.detail = detail;
        rec
    }

    #[test]
    fn a_new_record_is_a_success_that_names_nothing_else() {
        let practice = PracticeId::from_bytes([1; 16]);
        let actor = AuditActor::User { id: UserId::from_bytes([2; 16]), kind: UserKind::Patient };
        let rec = AuditRecord::new(Timestamp::from_micros(9), Some(practice), actor, AuditAction::MessageSent);
        assert_eq!(
            rec,
            AuditRecord {
                at: Timestamp::from_micros(9),
                practice: Some(practice),
                actor,
                action: AuditAction::MessageSent,
                outcome: Outcome::Success,
                patient: None,
                resource: None,
                client_addr: None,
                detail: None,
            }
        );
    }

    #[test]
    fn builders_set_only_their_field() {
        let base = AuditRecord::new(Timestamp::from_micros(9), None, AuditActor::Anonymous, AuditAction::LoginFailed);
        let patient = PatientId::from_bytes([3; 16]);
        let rec = base
            .clone()
            .with_outcome(Outcome::Failed)
            .with_patient(Some(patient))
            .with_resource(ResourceKind::User, [4; 16])
            .with_client_addr(Some("192.0.2.1".into()))
            .with_detail("wrong_password");
        assert_eq!(
            rec,
            AuditRecord {
                outcome: Outcome::Failed,
                patient: Some(patient),
                resource: Some((ResourceKind::User, [4; 16])),
                client_addr: Some("192.0.2.1".into()),
                detail: Some("wrong_password".into()),
                ..base
            }
        );
    }

    #[test]
    fn codes_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        for k in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        // Moving bytes from one field to the next must change the encoding.
        let a = record(Some("b".into()), Some("a".into()));
        let b = record(Some("".into()), Some("ab".into()));
        let c = record(None, Some("ab".into()));
        assert_ne!(a.canonical_bytes(1), b.canonical_bytes(1));
        assert_ne!(b.canonical_bytes(1), c.canonical_bytes(1));
        assert_ne!(a.canonical_bytes(1), a.canonical_bytes(2));
    }

    #[test]
    fn refusals_are_filed_with_the_owner() {
        let ours = PracticeId::from_bytes([1; 16]);
        let theirs = PracticeId::from_bytes([2; 16]);
        let patient = PatientId::from_bytes([3; 16]);
        let refused = AuditRecord {
            practice: Some(ours),
            outcome: Outcome::Denied,
            patient: Some(patient),
            resource: Some((ResourceKind::Conversation, [4; 16])),
            detail: Some("denied:other_practice".into()),
            ..record(None, None)
        };
        // Our own resource: one record, as it was.
        let own = file_refusal(refused.clone(), Some(ours));
        assert_eq!(own.owner.as_ref(), Some(&refused));
        assert_eq!(own.caller, None);
        // Another practice's: theirs in full, ours without their ids.
        let other = file_refusal(refused.clone(), Some(theirs));
        let full = other.owner.clone().unwrap();
        assert_eq!((full.practice, full.patient, full.resource), (Some(theirs), Some(patient), refused.resource));
        let stripped = other.caller.clone().unwrap();
        assert_eq!((stripped.practice, stripped.patient, stripped.resource), (Some(ours), None, None));
        // Nothing by that id: our record looks exactly like the one above.
        let missing = file_refusal(refused, None);
        assert_eq!(missing.owner, None);
        assert_eq!(missing.caller, other.caller);
    }

    proptest! {
        #[test]
        fn distinct_details_encode_distinctly(x in proptest::option::of(".{0,8}"), y in proptest::option::of(".{0,8}"),
                                              cx in proptest::option::of("[0-9.]{0,4}"), cy in proptest::option::of("[0-9.]{0,4}")) {
            let a = record(x.clone(), cx.clone());
            let b = record(y.clone(), cy.clone());
            prop_assert_eq!(a.canonical_bytes(7) == b.canonical_bytes(7), x == y && cx == cy);
        }
    }
}
