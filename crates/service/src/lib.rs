//! Switchboard's use cases.
//!
//! Each public method of [`Switchboard`] is one thing a user or operator
//! does: it authenticates or takes an authenticated [`Principal`], asks the
//! domain policy, encrypts or decrypts through the crypto layer, writes one
//! [`switchboard_store::Unit`] (the change, its audit records and its
//! events, committed together), publishes events, and returns plain view
//! structs. It knows nothing of HTTP or JSON; the web layer turns
//! [`ServiceError`] into responses.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod access;
pub mod access_reviews;
pub mod analytics;
mod assignment;
pub mod attachments;
mod attempts;
mod audit_chain;
mod audit_log;
mod auth;
pub mod caregiver_accounts;
pub mod caregivers;
pub mod clock;
mod commit;
mod conversations;
pub mod delivery;
mod directory;
pub mod ehr;
pub mod emergency;
pub mod enrollment;
mod error;
pub mod events;
pub mod export;
pub mod follow_ups;
pub mod health;
pub mod jobs;
mod keys;
pub mod my_account;
pub mod onboarding;
pub mod oncall;
pub mod operator;
pub mod passkeys;
pub mod patient_admin;
pub mod record;
mod refusals;
pub mod response_times;
pub mod retention;
pub mod routing;
pub mod scanner;
mod sealing;
pub mod search;
pub mod second_factor;
pub mod secure_links;
pub mod sensitivity;
mod setup;
pub mod sign_ins;
pub mod sso;
pub mod views;

pub use assignment::{AssignOutcome, AssignTarget};
pub use audit_log::AuditSearch;
pub use auth::{LoginOutcome, LoginResult, Principal, SessionCheck, SessionEnd};
pub use clock::{Clock, ManualClock, SystemClock};
pub use conversations::{ConversationFilter, NewConversationInput, StaffFilterAssignee};
pub use directory::{NewPatientInput, NewStaffInput, OpeningPeriod, PracticeContact};
pub use error::{ErrorCode, ServiceError};
pub use events::EventBus;
pub use health::{Check, KeyProblem, Readiness};
pub use keys::RotationReport;
pub use setup::{
    AlertAbout, AlertView, PoolInput, PoolView, RuleInput, RuleView, StaffSettings, TemplateInput, TemplateView,
};
pub use switchboard_domain::audit::verify::{VerifyProblem, VerifyReport};

use std::net::IpAddr;
use std::sync::Arc;
use switchboard_crypto::webpush::VapidKey;
use switchboard_crypto::{KeyRing, PasswordHasher};
use switchboard_domain::session::SessionPolicy;
use switchboard_domain::text::MessageBody;
use switchboard_domain::time::Timestamp;
use switchboard_store::Store;
use tokio::sync::Semaphore;

/// Settings the use cases need.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    pub sessions: SessionPolicy,
    /// The longest message a patient may send, in characters.
    pub patient_message_max_chars: usize,
    /// The longest message staff may send, in characters.
    pub staff_message_max_chars: usize,
    /// How many password hashes may run at once (each takes 19 MiB).
    pub concurrent_password_hashes: usize,
    /// How long someone auto-assigned a conversation from a pool has to act
    /// on it before it goes back to the pool for the next member.
    pub assignment_timeout: switchboard_domain::time::Span,
    /// How long after a staff reply the patient is told of it: replies in
    /// the meantime make the same notice.
    pub notice_coalescing: switchboard_domain::time::Span,
    /// Accept `http://` push endpoints on this machine (the test suite's
    /// stand-in push service); never in production.
    pub allow_loopback_push: bool,
    /// The application server's VAPID key, which signs Web Push requests
    /// and whose public half browsers subscribe with. `None` where push is
    /// not set up (tests that build the service directly).
    pub vapid: Option<Arc<VapidKey>>,
    /// This is the demo (`switchboard demo`): synthetic people only, so the
    /// administrators' outbox shows the links and codes it holds in full.
    /// Anywhere else it withholds them: they are keys to patients'
    /// accounts and messages.
    pub demo: bool,
    /// Where uploads are kept, how large they may be, and the scanner.
    pub attachments: attachments::AttachmentSettings,
    /// This server as a WebAuthn relying party (for the host of the public
    /// address, else `localhost`); `None` where passkeys cannot work (a
    /// public address that is an IP address).
    pub passkeys: Option<Arc<switchboard_crypto::passkey::RelyingParty>>,
    /// Where signed audit checkpoints are written (and read back by
    /// `audit verify`); `None`: nowhere on disk.
    pub audit_checkpoint_dir: Option<std::path::PathBuf>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            sessions: SessionPolicy::default(),
            patient_message_max_chars: MessageBody::DEFAULT_MAX_CHARS,
            staff_message_max_chars: 10_000,
            concurrent_password_hashes: 4,
            assignment_timeout: switchboard_domain::time::Span::from_hours(2),
            notice_coalescing: switchboard_domain::time::Span::from_mins(2),
            allow_loopback_push: false,
            vapid: None,
            demo: false,
            attachments: attachments::AttachmentSettings::default(),
            passkeys: switchboard_crypto::passkey::RelyingParty::new("localhost", "Switchboard").ok().map(Arc::new),
            audit_checkpoint_dir: None,
        }
    }
}

/// Where a request came from, for the audit log and throttling, and the
/// device it came from (as its `User-Agent` says), for the sessions a
/// person sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub client_addr: Option<IpAddr>,
    pub device: switchboard_domain::sign_in::Device,
}

impl RequestContext {
    pub fn client_text(&self) -> Option<String> {
        self.client_addr.map(|a| a.to_string())
    }
}

/// The application: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Switchboard {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    hash_slots: Semaphore,
    events: EventBus,
    config: ServiceConfig,
    triage: Arc<switchboard_domain::triage::TriageScreen>,
    ids: std::sync::Mutex<switchboard_domain::ids::MonotonicV7>,
    schedules: response_times::ScheduleCache,
    couriers: std::sync::OnceLock<delivery::Couriers>,
    /// How this node reaches practices' OpenID Connect providers.
    sso_client: std::sync::OnceLock<Arc<dyn sso::ProviderClient>>,
    export_renderer: std::sync::OnceLock<Arc<dyn export::ExportRenderer>>,
    /// Providers' discovery documents and keys, kept a while.
    sso_cache: Arc<sso::ProviderCache>,
}

impl std::fmt::Debug for Switchboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Switchboard").finish_non_exhaustive()
    }
}

impl Switchboard {
    pub fn new(
        store: Store,
        keys: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> Result<Self, ServiceError> {
        let hasher = PasswordHasher::new().map_err(|_| ServiceError::Internal)?;
        let slots = config.concurrent_password_hashes.max(1);
        let triage = switchboard_domain::triage::TriageScreen::built_in().map_err(|e| {
            tracing::error!(line = e.line, reason = e.reason, "the built-in triage phrase lists do not parse");
            ServiceError::Internal
        })?;
        Ok(Switchboard {
            inner: Arc::new(Inner {
                store,
                keys,
                clock,
                hasher,
                hash_slots: Semaphore::new(slots),
                events: EventBus::new(),
                config,
                triage: Arc::new(triage),
                ids: std::sync::Mutex::new(switchboard_domain::ids::MonotonicV7::default()),
                schedules: response_times::ScheduleCache::default(),
                couriers: std::sync::OnceLock::new(),
                sso_client: std::sync::OnceLock::new(),
                export_renderer: std::sync::OnceLock::new(),
                sso_cache: Arc::default(),
            }),
        })
    }

    /// The same application (store, keys, events, configuration) on another
    /// clock: for playing synthetic history into the demo.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        let i = &self.inner;
        Switchboard {
            inner: Arc::new(Inner {
                store: i.store.clone(),
                keys: i.keys.clone(),
                clock,
                hasher: i.hasher.clone(),
                hash_slots: Semaphore::new(i.config.concurrent_password_hashes.max(1)),
                events: i.events.clone(),
                config: i.config.clone(),
                triage: i.triage.clone(),
                ids: std::sync::Mutex::new(switchboard_domain::ids::MonotonicV7::default()),
                schedules: response_times::ScheduleCache::default(),
                couriers: i.couriers.clone(),
                sso_client: i.sso_client.clone(),
                export_renderer: i.export_renderer.clone(),
                sso_cache: i.sso_cache.clone(),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The store, for integration tests that seed or read rows directly.
    #[cfg(feature = "test-support")]
    pub fn store_for_tests(&self) -> &Store {
        &self.inner.store
    }

    /// Lets the store finish the writes it holds, then closes its
    /// connections (on shutdown, and after a one-off command).
    pub async fn close(&self) {
        self.inner.store.close().await;
    }

    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    /// A new time-ordered id.
    pub(crate) fn new_id<T>(&self, make: fn([u8; 16]) -> T) -> Result<T, ServiceError> {
        let random = switchboard_crypto::random::array::<10>().map_err(|_| ServiceError::Internal)?;
        let ms = u64::try_from(self.now().as_millis()).unwrap_or(0);
        let bytes = self.inner.ids.lock().map_err(|_| ServiceError::Internal)?.next(ms, random);
        Ok(make(bytes))
    }

    /// Runs password work off the async threads, a few at a time (each
    /// argon2 call takes 19 MiB and tens of milliseconds).
    async fn with_hasher<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let _slot = self.inner.hash_slots.acquire().await.map_err(|_| ServiceError::Internal)?;
        let hasher = self.inner.hasher.clone();
        tokio::task::spawn_blocking(move || work(&hasher)).await.map_err(|_| ServiceError::Internal)
    }

    /// Hashes a password in its normalised form (NFKC,
    /// `domain::password::normalise`), the form it is verified in.
    pub(crate) async fn hash_password(&self, password: String) -> Result<String, ServiceError> {
        let password = switchboard_domain::password::normalise(&password);
        self.with_hasher(move |h| h.hash(&password)).await?.map_err(|_| ServiceError::Internal)
    }

    /// Verifies a password (or burns the same time if there is no hash):
    /// normalised, as it was hashed; and, for a password set before
    /// passwords were normalised (hashed as typed), as typed too when the
    /// two differ, so no existing password stops working.
    pub(crate) async fn verify_password(&self, password: String, phc: Option<String>) -> Result<bool, ServiceError> {
        let normalised = switchboard_domain::password::normalise(&password);
        self.with_hasher(move |h| {
            let differs = normalised != password;
            match phc {
                Some(phc) => h.verify(&normalised, &phc) || (differs && h.verify(&password, &phc)),
                None => {
                    h.verify_dummy(&normalised);
                    if differs {
                        h.verify_dummy(&password);
                    }
                    false
                }
            }
        })
        .await
    }

    /// Whether the database answers (see [`Switchboard::readiness`] for
    /// the whole picture).
    pub async fn healthy(&self) -> bool {
        self.inner.store.ping().await.is_ok()
    }

    /// The master keys (for the binary's start-up messages).
    pub fn key_ring(&self) -> &KeyRing {
        &self.inner.keys
    }
}
