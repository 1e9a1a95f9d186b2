//! The live event stream: server-sent events for one signed-in session.

use crate::AppState;
use crate::dto::*;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{LinkAuth, LiveEvents};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use switchboard_domain::event::DomainEvent;
use switchboard_domain::ids::UserId;
use switchboard_service::{Principal, SessionCheck, Switchboard};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, sleep_until};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// This file's routes, one entry per path: each handler's
/// `#[utoipa::path]` is both its route and its documentation.
pub(super) fn routes() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![routes!(events)]
}

struct Live {
    app: Switchboard,
    principal: Principal,
    events: broadcast::Receiver<Arc<DomainEvent>>,
    sessions_ended: broadcast::Receiver<UserId>,
    stopping: watch::Receiver<bool>,
    recheck_every: std::time::Duration,
    next_check: Instant,
    done: bool,
}

/// Events were missed: the client reloads what it shows.
const RESYNC: &str = "resync";

fn named(name: &'static str, data: &str) -> Event {
    Event::default().event(name).data(data)
}

impl Live {
    /// The next event to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        loop {
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(e) if e.visible_to(&self.principal.actor) => {
                        let json = serde_json::to_string(&LiveEventDto::new(&e)).unwrap_or_default();
                        return Some(named(e.kind.code(), &json));
                    }
                    Ok(_) => {}
                    // Fell behind: the client reloads what it shows.
                    Err(broadcast::error::RecvError::Lagged(_)) => return Some(named(RESYNC, "{}")),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                ended = self.sessions_ended.recv() => match ended {
                    // This account's sessions were ended: check now.
                    Ok(user) if user == self.principal.user.id => self.next_check = Instant::now(),
                    Ok(_) => {}
                    // Missed some: check now rather than risk missing ours.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.next_check = Instant::now(),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = sleep_until(self.next_check) => {
                    self.next_check = Instant::now() + self.recheck_every;
                    match self.app.recheck_session(&self.principal).await {
                        Ok(SessionCheck::Active(fresh)) => self.principal = *fresh,
                        // Signed out, timed out or deactivated: say which, then end.
                        Ok(SessionCheck::Ended(why)) => {
                            self.done = true;
                            return Some(named("session_ended", &format!("{{\"reason\":\"{}\"}}", why.as_str())));
                        }
                        Err(_) => {}
                    }
                }
                changed = self.stopping.changed() => {
                    if changed.is_err() || *self.stopping.borrow() {
                        // The server is going down: the client reconnects elsewhere.
                        self.done = true;
                        return Some(named("reconnect", "{}"));
                    }
                }
            }
        }
    }
}

/// Live updates for the signed-in session, as server-sent events.
///
/// Each event is named by its type (`conversation_created`, `message_sent`,
/// `message_amended`, `messages_read`, `note_added`, `status_changed`,
/// `priority_changed`, `assigned`, `typing`) and carries a JSON
/// `LiveEvent`: ids and codes only, never message text. Only events about
/// conversations the session may see are sent (patients are not told of
/// notes or assignments). `resync` means events were missed: reload.
/// `session_ended` (with `reason`: `signed_out`, `timed_out` or
/// `deactivated`) and `reconnect` end the stream. The stream does not keep
/// the session alive; it ends when the session does.
#[utoipa::path(get, path = "/api/v1/events", tag = "live", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of LiveEvent", body = LiveEventDto, content_type = "text/event-stream"),
        (status = 401, body = ErrorBody)))]
pub(crate) async fn events(
    State(s): State<AppState>,
    LinkAuth(p, _): LinkAuth<LiveEvents>,
) -> Result<Response, ApiError> {
    let live = Live {
        events: s.app.events().subscribe(),
        sessions_ended: s.app.events().subscribe_sessions_ended(),
        app: s.app.clone(),
        principal: p,
        stopping: s.stopping.clone(),
        recheck_every: s.web.live_session_check,
        next_check: Instant::now() + s.web.live_session_check,
        done: false,
    };
    let stream = futures_util::stream::unfold(live, |mut live| async move {
        live.next().await.map(|e| (Ok::<Event, Infallible>(e), live))
    });
    let mut res = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies must not buffer the stream.
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::RESYNC;
    use switchboard_domain::event::EventKind;

    /// The quoted names in `export const LIVE_EVENTS = [...]` of a script.
    fn live_events_of(script: &str) -> Vec<String> {
        let start = script.find("export const LIVE_EVENTS = [").map(|i| i + "export const LIVE_EVENTS = [".len());
        let list = start.and_then(|s| script.get(s..)).and_then(|rest| rest.split(']').next()).unwrap_or_default();
        list.split(',').map(|item| item.trim().trim_matches('"').to_owned()).filter(|item| !item.is_empty()).collect()
    }

    #[test]
    fn the_pages_listen_to_every_event_the_stream_sends() {
        let script = include_str!("../../assets/static/common.js");
        let mut expected: Vec<String> = EventKind::CODES.iter().map(|c| (*c).to_owned()).collect();
        expected.push(RESYNC.to_owned());
        assert_eq!(live_events_of(script), expected);
        // The stream's own events, which end it, are handled by name.
        for name in ["session_ended", "reconnect"] {
            assert!(script.contains(&format!("addEventListener(\"{name}\"")), "common.js does not handle {name}");
        }
    }
}
