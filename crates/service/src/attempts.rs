//! Counting attempts at what a guesser would repeat (signing in, changing a
//! password, asking for a reset, using a link). An attempt is counted
//! before the work it guards, by a compare-and-swap on its counters, so
//! that a hundred parallel attempts are counted as a hundred: the limit
//! holds exactly, whatever the timing. A success gives its attempt back.

use crate::{RequestContext, ServiceError, Switchboard};
use switchboard_domain::throttle::{self, ThrottlePolicy, ThrottleState};
use switchboard_domain::time::{Span, Timestamp};
use switchboard_store::queries::throttle as throttle_q;
use switchboard_store::{Conflict, Step, StoreError, Unit};

/// How often a counted attempt is retried after losing a race before the
/// caller is asked to wait: each loss means another attempt was counted,
/// so this is only reached under a flood.
const MAX_RACES: usize = 64;

/// An attempt that was counted against an account name and an address.
pub(crate) struct Attempt {
    account_key: String,
    address_key: Option<String>,
    /// The account name's consecutive failures, this attempt counted as one
    /// until it succeeds.
    pub(crate) account_failures: u32,
}

impl Attempt {
    /// A success forgets the account's failures and gives the address its
    /// attempt back (a clinic's staff share one address).
    pub(crate) fn success_steps(&self) -> Vec<Step> {
        let mut steps = vec![throttle_q::clear(&self.account_key)];
        steps.extend(self.address_key.as_deref().map(throttle_q::release));
        steps
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Switchboard {
    /// The counter's key for `value` in `purpose`: a keyed fingerprint, so
    /// the table never holds user names or addresses.
    pub(crate) fn attempt_key(&self, purpose: &'static str, value: &[u8]) -> String {
        format!("{purpose}:{}", hex(&self.keys().fingerprint(purpose, &[value])))
    }

    /// The caller's address's counter for `purpose`, when the address is known.
    pub(crate) fn address_key(&self, purpose: &'static str, ctx: &RequestContext) -> Option<String> {
        ctx.client_addr.map(|a| self.attempt_key(purpose, a.to_string().as_bytes()))
    }

    /// Counts one attempt at `purpose` by the account `user` (the account
    /// policy: a few free tries, then waiting that grows), or says how long
    /// to wait first. Answers the counter's key, to clear on success.
    pub(crate) async fn take_account_attempt(
        &self,
        purpose: &'static str,
        user: &[u8],
    ) -> Result<Result<String, Span>, ServiceError> {
        let key = self.attempt_key(purpose, user);
        let now = self.now();
        let counted = self
            .count_attempt(&[(key.clone(), ThrottlePolicy::ACCOUNT)], |policy, state| login_style(policy, state, now))
            .await?;
        Ok(counted.map(|_| key))
    }

    /// Counts one login-style attempt for `name` (per account) and the
    /// caller's address, or says how long to wait first.
    pub(crate) async fn take_attempt(
        &self,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<Result<Attempt, Span>, ServiceError> {
        let account_key = self.attempt_key("throttle.account", name.as_bytes());
        let address_key = self.address_key("throttle.address", ctx);
        let mut keys = vec![(account_key.clone(), ThrottlePolicy::ACCOUNT)];
        keys.extend(address_key.clone().map(|k| (k, ThrottlePolicy::ADDRESS)));
        let now = self.now();
        let counted = self.count_attempt(&keys, |policy, state| login_style(policy, state, now)).await?;
        Ok(counted.map(|states| Attempt {
            account_key,
            address_key,
            account_failures: states.first().map_or(0, |s| s.failures),
        }))
    }

    /// Counts one attempt from the caller's address at `purpose`, under the
    /// address policy; answers the key to give it back with on success.
    pub(crate) async fn take_address_attempt(
        &self,
        purpose: &'static str,
        ctx: &RequestContext,
    ) -> Result<Result<Option<String>, Span>, ServiceError> {
        let key = self.address_key(purpose, ctx);
        let keys: Vec<_> = key.iter().map(|k| (k.clone(), ThrottlePolicy::ADDRESS)).collect();
        let now = self.now();
        let counted = self.count_attempt(&keys, |policy, state| login_style(policy, state, now)).await?;
        Ok(counted.map(|_| key))
    }

    /// Counts one attempt against every key, all or none: `next` gives a
    /// key's state after this attempt, or the wait before one is allowed.
    /// Answers the new states, in the order of `keys`.
    pub(crate) async fn count_attempt<P>(
        &self,
        keys: &[(String, P)],
        next: impl Fn(&P, Option<ThrottleState>) -> Result<ThrottleState, Span>,
    ) -> Result<Result<Vec<ThrottleState>, Span>, ServiceError> {
        for _ in 0..MAX_RACES {
            let mut unit = Unit::new();
            let mut states = Vec::with_capacity(keys.len());
            let mut wait: Option<Span> = None;
            for (key, policy) in keys {
                let was = throttle_q::get(self.store(), key).await?;
                match next(policy, was) {
                    Ok(state) => {
                        unit.push(throttle_q::replace(key, was, state));
                        states.push(state);
                    }
                    Err(w) => wait = Some(wait.map_or(w, |x| x.max(w))),
                }
            }
            if let Some(w) = wait {
                return Ok(Err(w));
            }
            match self.store().commit(unit).await {
                Ok(()) => return Ok(Ok(states)),
                Err(StoreError::Conflict(Conflict::ThrottleRaced)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Err(Span::from_secs(1)))
    }
}

/// The login rule: allowed per `policy` now, and then counted as a failure
/// until it turns out otherwise.
fn login_style(policy: &ThrottlePolicy, state: Option<ThrottleState>, now: Timestamp) -> Result<ThrottleState, Span> {
    throttle::check(policy, state, now)?;
    Ok(throttle::record_failure(policy, state, now))
}

/// A single-use link's token as presented, before its row is looked up:
/// the try is counted against the caller's address first, so that tokens
/// cannot be guessed in bulk.
pub(crate) struct PresentedLink {
    /// The address's counter, given back when the link turns out usable.
    address: Option<String>,
    /// The token's SHA-256, if it has the shape of a token.
    pub hash: Option<[u8; 32]>,
}

impl Switchboard {
    pub(crate) async fn present_link(
        &self,
        presented: &str,
        ctx: &RequestContext,
    ) -> Result<PresentedLink, ServiceError> {
        let address = match self.take_address_attempt(crate::onboarding::LINK_ADDRESS, ctx).await? {
            Ok(key) => key,
            Err(wait) => return Err(ServiceError::throttled(wait)),
        };
        Ok(PresentedLink { address, hash: switchboard_crypto::token::hash_presented_token(presented) })
    }

    /// The token matched no link: recorded in the operator's log (it
    /// belongs to no practice), answered like any unusable link.
    pub(crate) async fn unknown_link(&self, ctx: &RequestContext) -> ServiceError {
        use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome};
        let rec = AuditRecord::new(self.now(), None, AuditActor::Anonymous, AuditAction::LinkRefused)
            .with_outcome(Outcome::Failed)
            .with_client_addr(ctx.client_text())
            .with_detail("unknown_token");
        match self.store().commit(Unit::new().audit(rec)).await {
            Ok(()) => ServiceError::LinkInvalid,
            Err(e) => e.into(),
        }
    }

    /// The link is usable: the address's try is given back.
    pub(crate) async fn link_accepted(&self, presented: PresentedLink) -> Result<(), ServiceError> {
        if let Some(key) = presented.address {
            self.store().commit(Unit::new().step(throttle_q::release(&key))).await?;
        }
        Ok(())
    }
}
