//! Outbound deliveries (email, SMS, push), people's choices of media and
//! quiet hours, SMS opt-outs. Addresses and links stay sealed here.

use crate::rows::*;
use crate::{Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::notify::{DeliveryState, Medium, NoticeKind};
use switchboard_domain::time::Timestamp;

/// A delivery to write.
pub struct NewDelivery<'a> {
    pub id: DeliveryId,
    pub practice: PracticeId,
    pub cause: &'a str,
    pub medium: Medium,
    pub kind: NoticeKind,
    pub user: Option<UserId>,
    pub patient: Option<PatientId>,
    pub key: DataKeyId,
    pub address_ct: Vec<u8>,
    pub link_ct: Vec<u8>,
    pub state: DeliveryState,
    pub reason: Option<&'a str>,
    pub at: Timestamp,
}

pub fn insert(d: NewDelivery<'_>) -> Step {
    Step::new(
        "INSERT INTO deliveries (id, practice_id, cause, medium, kind, user_id, patient_id, key_id, address_ct, link_ct, \
         state, reason, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13)",
        vec![
            d.id.to_vec().into(),
            d.practice.to_vec().into(),
            d.cause.into(),
            d.medium.as_str().into(),
            d.kind.as_str().into(),
            d.user.map(|u| u.to_vec()).into(),
            d.patient.map(|p| p.to_vec()).into(),
            d.key.to_vec().into(),
            d.address_ct.into(),
            d.link_ct.into(),
            d.state.as_str().into(),
            d.reason.into(),
            d.at.as_micros().into(),
        ],
    )
}

/// A delivery as stored, sealed parts and their key included.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub practice: PracticeId,
    pub medium: Medium,
    pub kind: NoticeKind,
    pub user: Option<UserId>,
    pub patient: Option<PatientId>,
    pub key: WrappedKeyRow,
    pub address_ct: Vec<u8>,
    pub link_ct: Vec<u8>,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

const COLUMNS: &str = "d.id, d.practice_id, d.medium, d.kind, d.user_id, d.patient_id, d.key_id, k.kek_id, k.wrapped, \
     d.address_ct, d.link_ct, d.state, d.reason, d.attempts, d.created_at, d.updated_at, d.sent_at \
     FROM deliveries d JOIN data_keys k ON k.id = d.key_id";

fn read(r: &sqlx::any::AnyRow) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        id: id(r, "id", DeliveryId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        medium: code(r, "medium", Medium::parse)?,
        kind: code(r, "kind", NoticeKind::parse)?,
        user: opt_id(r, "user_id", UserId::from_slice)?,
        patient: opt_id(r, "patient_id", PatientId::from_slice)?,
        key: WrappedKeyRow::read(r, "key_id", "kek_id", "wrapped")?,
        address_ct: col(r, "address_ct")?,
        link_ct: col(r, "link_ct")?,
        state: code(r, "state", DeliveryState::parse)?,
        reason: col(r, "reason")?,
        attempts: col(r, "attempts")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        sent_at: opt_ts(r, "sent_at")?,
    })
}

pub async fn by_id(store: &Store, delivery: DeliveryId) -> Result<Option<DeliveryRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE d.id = $1"))
        .bind(delivery.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.as_ref().map(read).transpose()
}

/// Whether anything was already made for a cause (a job run again after a
/// crash makes nothing twice).
pub async fn cause_exists(store: &Store, cause: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM deliveries WHERE cause = $1 LIMIT 1")
        .bind(cause.to_owned())
        .fetch_optional(store.reader())
        .await?;
    Ok(row.is_some())
}

/// Where one delivery stands: by which medium, and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub medium: Medium,
    pub state: DeliveryState,
    /// The short code of the last failure, if any.
    pub reason: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// What became of everything made for one cause (`page:<id>`,
/// `secure:<id>`), by medium: no addresses, no words.
pub async fn outcomes_for_cause(store: &Store, cause: &str) -> Result<Vec<DeliveryOutcome>, StoreError> {
    let rows = sqlx::query("SELECT medium, state, reason, sent_at FROM deliveries WHERE cause = $1 ORDER BY medium")
        .bind(cause.to_owned())
        .fetch_all(store.reader())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryOutcome {
                medium: code(r, "medium", Medium::parse)?,
                state: code(r, "state", DeliveryState::parse)?,
                reason: col(r, "reason")?,
                sent_at: opt_ts(r, "sent_at")?,
            })
        })
        .collect()
}

/// A patient's deliveries, newest first.
pub async fn for_patient(store: &Store, patient: PatientId, limit: i64) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} WHERE d.patient_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
    ))
    .bind(patient.to_vec())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(read).collect()
}

/// A practice's deliveries that found no channel to leave by, newest
/// first: the outbox administrators see when nothing is configured.
pub async fn unsent_for_practice(
    store: &Store,
    practice: PracticeId,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} WHERE d.practice_id = $1 AND d.reason = 'no_channel' ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
    ))
    .bind(practice.to_vec())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(read).collect()
}

/// Records the outcome of an attempt: a new state (or still queued), the
/// reason for a failure, the channel's id, and counts the attempt. Only a
/// queued delivery changes, so a late duplicate run cannot undo a result.
pub fn record_attempt(
    delivery: DeliveryId,
    state: DeliveryState,
    reason: Option<&str>,
    provider_ref: Option<&str>,
    at: Timestamp,
) -> Step {
    let sent_at = matches!(state, DeliveryState::Sent | DeliveryState::Delivered).then_some(at.as_micros());
    Step::new(
        "UPDATE deliveries SET state = $2, reason = $3, provider_ref = COALESCE($4, provider_ref), attempts = attempts + 1, \
         updated_at = $5, sent_at = COALESCE($6, sent_at) WHERE id = $1 AND state = 'queued'",
        vec![
            delivery.to_vec().into(),
            state.as_str().into(),
            reason.into(),
            provider_ref.into(),
            at.as_micros().into(),
            sent_at.into(),
        ],
    )
}

/// A channel's report that something it accepted reached the person (or
/// did not).
pub fn report_by_provider(
    medium: Medium,
    provider_ref: &str,
    state: DeliveryState,
    reason: Option<&str>,
    at: Timestamp,
) -> Step {
    Step::new(
        "UPDATE deliveries SET state = $3, reason = $4, updated_at = $5 \
         WHERE medium = $1 AND provider_ref = $2 AND state IN ('sent', 'delivered')",
        vec![medium.as_str().into(), provider_ref.into(), state.as_str().into(), reason.into(), at.as_micros().into()],
    )
}

/// The practice's defaults for patients: media (`email,sms,push`) and
/// quiet hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachRow {
    pub reach: Option<String>,
    pub quiet_from: Option<i64>,
    pub quiet_to: Option<i64>,
}

pub async fn practice_defaults(store: &Store, practice: PracticeId) -> Result<Option<ReachRow>, StoreError> {
    let row = sqlx::query("SELECT patient_reach, quiet_from, quiet_to FROM practices WHERE id = $1")
        .bind(practice.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(ReachRow {
            reach: col(&r, "patient_reach")?,
            quiet_from: col(&r, "quiet_from")?,
            quiet_to: col(&r, "quiet_to")?,
        })
    })
    .transpose()
}

pub fn set_practice_defaults(practice: PracticeId, d: &ReachRow) -> Step {
    Step::new(
        "UPDATE practices SET patient_reach = COALESCE($2, patient_reach), quiet_from = $3, quiet_to = $4 WHERE id = $1",
        vec![practice.to_vec().into(), d.reach.clone().into(), d.quiet_from.into(), d.quiet_to.into()],
    )
}

/// One person's own choices (`None` where the practice's default holds).
pub async fn preferences(store: &Store, user: UserId) -> Result<Option<ReachRow>, StoreError> {
    let row = sqlx::query("SELECT reach, quiet_from, quiet_to FROM contact_preferences WHERE user_id = $1")
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| {
        Ok(ReachRow { reach: col(&r, "reach")?, quiet_from: col(&r, "quiet_from")?, quiet_to: col(&r, "quiet_to")? })
    })
    .transpose()
}

pub fn set_preferences(user: UserId, p: &ReachRow, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO contact_preferences (user_id, reach, quiet_from, quiet_to, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET reach = excluded.reach, quiet_from = excluded.quiet_from, \
         quiet_to = excluded.quiet_to, updated_at = excluded.updated_at",
        vec![
            user.to_vec().into(),
            p.reach.clone().into(),
            p.quiet_from.into(),
            p.quiet_to.into(),
            at.as_micros().into(),
        ],
    )
}

/// When the person turned reminder emails off, if they did.
pub async fn reminder_emails_off_since(store: &Store, user: UserId) -> Result<Option<Timestamp>, StoreError> {
    let row = sqlx::query("SELECT reminder_emails_off_at FROM contact_preferences WHERE user_id = $1")
        .bind(user.to_vec())
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map(|r| opt_ts(&r, "reminder_emails_off_at")).transpose()?.flatten())
}

/// Turns reminder emails off (`Some(since)`) or back on (`None`), leaving
/// every other choice as it is. Turning off again keeps the first time.
pub fn set_reminder_emails_off(user: UserId, off_since: Option<Timestamp>, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO contact_preferences (user_id, reminder_emails_off_at, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET \
         reminder_emails_off_at = CASE WHEN excluded.reminder_emails_off_at IS NULL THEN NULL \
         ELSE COALESCE(contact_preferences.reminder_emails_off_at, excluded.reminder_emails_off_at) END, \
         updated_at = excluded.updated_at",
        vec![user.to_vec().into(), off_since.map(Timestamp::as_micros).into(), at.as_micros().into()],
    )
}

/// When a number texted STOP, if it has not texted START since.
pub async fn opted_out_since(store: &Store, number_index: &[u8]) -> Result<Option<Timestamp>, StoreError> {
    let row = sqlx::query("SELECT opted_out_at FROM sms_opt_outs WHERE number_index = $1")
        .bind(number_index.to_vec())
        .fetch_optional(store.reader())
        .await?;
    row.map(|r| ts(&r, "opted_out_at")).transpose()
}

pub fn opt_out(number_index: &[u8], at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO sms_opt_outs (number_index, opted_out_at) VALUES ($1, $2) ON CONFLICT (number_index) DO NOTHING",
        vec![number_index.to_vec().into(), at.as_micros().into()],
    )
}

pub fn opt_in(number_index: &[u8]) -> Step {
    Step::new("DELETE FROM sms_opt_outs WHERE number_index = $1", vec![number_index.to_vec().into()])
}

/// A user's push subscriptions.
pub async fn push_subscriptions(store: &Store, user: UserId) -> Result<Vec<PushSubscriptionId>, StoreError> {
    let rows = sqlx::query("SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id")
        .bind(user.to_vec())
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| id(r, "id", PushSubscriptionId::from_slice)).collect()
}

/// A push subscription as stored: sealed under its own key.
#[derive(Clone, Debug)]
pub struct PushSubscriptionRow {
    pub id: PushSubscriptionId,
    pub practice: PracticeId,
    pub user: UserId,
    pub key: WrappedKeyRow,
    pub subscription_ct: Vec<u8>,
}

pub async fn push_subscription(
    store: &Store,
    subscription: PushSubscriptionId,
) -> Result<Option<PushSubscriptionRow>, StoreError> {
    let row = sqlx::query(
        "SELECT s.id, s.practice_id, s.user_id, s.key_id, k.kek_id, k.wrapped, s.subscription_ct \
         FROM push_subscriptions s JOIN data_keys k ON k.id = s.key_id WHERE s.id = $1",
    )
    .bind(subscription.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| {
        Ok(PushSubscriptionRow {
            id: id(&r, "id", PushSubscriptionId::from_slice)?,
            practice: id(&r, "practice_id", PracticeId::from_slice)?,
            user: id(&r, "user_id", UserId::from_slice)?,
            key: WrappedKeyRow::read(&r, "key_id", "kek_id", "wrapped")?,
            subscription_ct: col(&r, "subscription_ct")?,
        })
    })
    .transpose()
}

/// Adds a subscription made in the session whose token hashes to
/// `session_hash`; one already known by its endpoint's fingerprint is
/// replaced (a browser that subscribed again, or another user on it).
pub fn insert_push_subscription(
    s: &PushSubscriptionRow,
    endpoint_index: &[u8],
    session_hash: &[u8; 32],
    at: Timestamp,
) -> [Step; 2] {
    [
        Step::new("DELETE FROM push_subscriptions WHERE endpoint_index = $1", vec![endpoint_index.to_vec().into()]),
        Step::new(
            "INSERT INTO push_subscriptions (id, practice_id, user_id, endpoint_index, key_id, subscription_ct, \
             created_at, session_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                s.id.to_vec().into(),
                s.practice.to_vec().into(),
                s.user.to_vec().into(),
                endpoint_index.to_vec().into(),
                s.key.id.to_vec().into(),
                s.subscription_ct.clone().into(),
                at.as_micros().into(),
                session_hash.to_vec().into(),
            ],
        ),
    ]
}

/// Drops the push subscriptions made in one session (it signed out).
pub fn delete_session_push_subscriptions(session_hash: &[u8; 32]) -> Step {
    Step::new("DELETE FROM push_subscriptions WHERE session_hash = $1", vec![session_hash.to_vec().into()])
}

/// How many push subscriptions a session made that are still kept.
pub async fn session_push_subscriptions(store: &Store, session_hash: &[u8; 32]) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT count(*) AS n FROM push_subscriptions WHERE session_hash = $1")
        .bind(session_hash.to_vec())
        .fetch_one(store.reader())
        .await?;
    col(&row, "n")
}

pub fn delete_push_subscription(subscription: PushSubscriptionId) -> Step {
    Step::new("DELETE FROM push_subscriptions WHERE id = $1", vec![subscription.to_vec().into()])
}

pub fn delete_user_push_subscription(user: UserId, subscription: PushSubscriptionId) -> Step {
    Step::new(
        "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2",
        vec![subscription.to_vec().into(), user.to_vec().into()],
    )
}

/// The practice's name when the deployment serves exactly one.
pub async fn sole_practice_name(store: &Store) -> Result<Option<String>, StoreError> {
    let rows = sqlx::query("SELECT name FROM practices ORDER BY id LIMIT 2").fetch_all(store.reader()).await?;
    match rows.as_slice() {
        [only] => Ok(Some(col(only, "name")?)),
        _ => Ok(None),
    }
}

/// A staff member's sealed mobile number and its key.
pub async fn staff_mobile(store: &Store, user: UserId) -> Result<Option<(WrappedKeyRow, Vec<u8>)>, StoreError> {
    let row = sqlx::query(
        "SELECT p.key_id, k.kek_id, k.wrapped, p.mobile_ct FROM contact_preferences p \
         JOIN data_keys k ON k.id = p.key_id WHERE p.user_id = $1 AND p.mobile_ct IS NOT NULL",
    )
    .bind(user.to_vec())
    .fetch_optional(store.reader())
    .await?;
    row.map(|r| Ok((WrappedKeyRow::read(&r, "key_id", "kek_id", "wrapped")?, col(&r, "mobile_ct")?))).transpose()
}

/// Sets (or, with `None`, clears) a staff member's sealed mobile number.
pub fn set_staff_mobile(user: UserId, sealed: Option<(DataKeyId, Vec<u8>)>, at: Timestamp) -> Step {
    let (key, mobile) = match sealed {
        Some((k, m)) => (Some(k.to_vec()), Some(m)),
        None => (None, None),
    };
    Step::new(
        "INSERT INTO contact_preferences (user_id, key_id, mobile_ct, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, mobile_ct = excluded.mobile_ct, \
         updated_at = excluded.updated_at",
        vec![user.to_vec().into(), key.into(), mobile.into(), at.as_micros().into()],
    )
}
