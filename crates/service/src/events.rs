//! The in-process event bus. Events are also written to the `events` table
//! in the same transaction as the change, so that other nodes (and a
//! restarted node) can follow the same stream from the database.

use std::sync::Arc;
use switchboard_domain::event::DomainEvent;
use switchboard_domain::ids::UserId;
use tokio::sync::broadcast;

#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<DomainEvent>>,
    /// Accounts whose sessions were all just ended (deactivation, a new
    /// password): their live streams on this node close at once instead of
    /// at their next periodic check.
    sessions_ended: broadcast::Sender<UserId>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        let (sessions_ended, _) = broadcast::channel(256);
        EventBus { tx, sessions_ended }
    }

    /// Announces that every session of `user` has ended.
    pub fn sessions_ended(&self, user: UserId) {
        let _ = self.sessions_ended.send(user);
    }

    /// Asks `user`'s live streams to re-read their session now, because what
    /// it may reach changed (a caregiver's grant began or was revoked). It
    /// travels with ended sessions: their listeners re-check the session,
    /// which finds it active and picks up the change.
    pub fn access_changed(&self, user: UserId) {
        let _ = self.sessions_ended.send(user);
    }

    /// A receiver of accounts whose sessions end from now on.
    pub fn subscribe_sessions_ended(&self) -> broadcast::Receiver<UserId> {
        self.sessions_ended.subscribe()
    }

    /// Announces committed events. Nobody listening is fine.
    pub fn publish(&self, events: Vec<switchboard_domain::event::DomainEvent>) {
        for e in events {
            let _ = self.tx.send(Arc::new(e));
        }
    }

    /// A receiver of every event from now on. A slow receiver that falls
    /// more than 4096 events behind is told it lagged and must resync.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DomainEvent>> {
        self.tx.subscribe()
    }
}
