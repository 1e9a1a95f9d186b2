//! Where each encrypted column's associated data comes from, and the
//! mapping of crypto failures to service errors.

use crate::ServiceError;
use std::sync::Arc;
use switchboard_crypto::{DataKey, KeyRing, WrappedKey, aad};
use switchboard_store::rows::WrappedKeyRow;

/// Names of encrypted columns, bound into each ciphertext.
pub(crate) mod column {
    pub const SUBJECT: &str = "conversations.subject_ct";
    pub const BODY: &str = "messages.body_ct";
    pub const AMENDMENT: &str = "amendments.body_ct";
    pub const NOTE: &str = "notes.body_ct";
    pub const GIVEN_NAME: &str = "patients.given_name_ct";
    pub const FAMILY_NAME: &str = "patients.family_name_ct";
    pub const BIRTH_DATE: &str = "patients.birth_date_ct";
    pub const MRN: &str = "patients.mrn_ct";
    pub const ASSIGNMENT_REASON: &str = "assignment_history.reason_ct";
    pub const RATING_COMMENT: &str = "ratings.comment_ct";
    pub const EMAIL: &str = "patients.email_ct";
    pub const PHONE: &str = "patients.phone_ct";
    pub const DELIVERY_ADDRESS: &str = "deliveries.address_ct";
    pub const DELIVERY_LINK: &str = "deliveries.link_ct";
    pub const PUSH_SUBSCRIPTION: &str = "push_subscriptions.subscription_ct";
    pub const STAFF_MOBILE: &str = "contact_preferences.mobile_ct";
    pub const ATTACHMENT_NAME: &str = "attachments.filename_ct";
    pub const EMERGENCY_REASON: &str = "emergency_access.reason_ct";
    pub const CAREGIVER_GIVEN_NAME: &str = "caregiver_profiles.given_name_ct";
    pub const CAREGIVER_FAMILY_NAME: &str = "caregiver_profiles.family_name_ct";
}

pub(crate) fn seal(key: &DataKey, column: &str, row: &[u8; 16], text: &str) -> Result<Vec<u8>, ServiceError> {
    key.seal(&aad(&[column.as_bytes(), row]), text.as_bytes()).map_err(|_| ServiceError::Internal)
}

pub(crate) fn open(key: &DataKey, column: &'static str, row: &[u8; 16], sealed: &[u8]) -> Result<String, ServiceError> {
    key.open_string(&aad(&[column.as_bytes(), row]), sealed).map_err(|_| {
        // Tampering or a key mix-up: loud for operators, silent for users.
        tracing::error!(column, "stored ciphertext failed authentication");
        ServiceError::Internal
    })
}

pub(crate) fn data_key(keys: &KeyRing, row: &WrappedKeyRow) -> Result<Arc<DataKey>, ServiceError> {
    let wrapped = WrappedKey { kek_id: row.kek_id, bytes: row.wrapped.clone() };
    keys.data_key(*row.id.as_bytes(), &wrapped).map_err(|e| {
        tracing::error!(error = %e, "cannot unwrap a data key");
        ServiceError::Internal
    })
}
