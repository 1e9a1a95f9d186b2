//! The durable job runner: retries with backoff, parks dead jobs, runs each
//! job once, and keeps jobs across restarts.

use crate::support::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use switchboard_domain::time::Span;
use switchboard_service::jobs::{HOUSEKEEPING, JobFuture, JobHandler, JobRunner, Turn};

/// Fails `failures` times, then succeeds; counts runs.
struct Flaky {
    failures: u32,
    runs: Arc<AtomicU32>,
}

impl JobHandler for Flaky {
    fn run<'a>(&'a self, _app: &'a switchboard_service::Switchboard, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            assert_eq!(payload, "{\"n\":1}");
            let n = self.runs.fetch_add(1, Ordering::SeqCst);
            if n < self.failures { Err("remote_unavailable".into()) } else { Ok(()) }
        })
    }
}

#[tokio::test]
async fn failed_jobs_are_retried_with_backoff_then_done() {
    let t = TestApp::spawn().await;
    let runs = Arc::new(AtomicU32::new(0));
    let runner =
        JobRunner::new(t.app().clone()).with_handler("flaky", Arc::new(Flaky { failures: 2, runs: runs.clone() }));
    let due = t.app().now().plus(Span::from_mins(5));
    let job = t.app().schedule("flaky", "{\"n\":1}", due, None).await.unwrap();

    // Not due yet (the server's own runner polls in real time but the test
    // clock has not moved, so it cannot take it either).
    assert_eq!(runner.run_once().await.unwrap(), Turn::Idle);
    t.advance(Span::from_mins(5));
    assert_eq!(runner.run_once().await.unwrap(), Turn::Retrying(job));
    let s = t.app().job_status(job).await.unwrap().unwrap();
    assert_eq!((s.state.as_str(), s.attempts, s.last_error.as_deref()), ("pending", 1, Some("remote_unavailable")));
    assert_eq!(s.run_at, t.app().now().plus(Span::from_secs(10)));
    assert_eq!(runner.run_once().await.unwrap(), Turn::Idle, "backing off");
    t.advance(Span::from_secs(10));
    assert_eq!(runner.run_once().await.unwrap(), Turn::Retrying(job));
    t.advance(Span::from_secs(19));
    assert_eq!(runner.run_once().await.unwrap(), Turn::Idle, "the second wait is 20 s");
    t.advance(Span::from_secs(1));
    assert_eq!(runner.run_once().await.unwrap(), Turn::Done(job));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(t.app().job_status(job).await.unwrap().unwrap().state, "done");
    t.stop().await;
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_parked_as_dead() {
    let t = TestApp::spawn().await;
    let runs = Arc::new(AtomicU32::new(0));
    let runner = JobRunner::new(t.app().clone())
        .with_handler("flaky", Arc::new(Flaky { failures: u32::MAX, runs: runs.clone() }));
    let job = t.app().schedule("flaky", "{\"n\":1}", t.app().now(), None).await.unwrap();
    // The seeded practice has its own jobs (assignment timeouts) that fall
    // due as the clock moves; only the turns that ran this job count.
    let mut turns = Vec::new();
    for _ in 0..40 {
        match runner.run_once().await.unwrap() {
            Turn::Idle => t.advance(Span::from_hours(1)),
            turn @ (Turn::Retrying(id) | Turn::Dead(id) | Turn::Done(id)) if id == job => {
                turns.push(turn);
                t.advance(Span::from_hours(1));
            }
            _ => {}
        }
        if turns.len() == 8 {
            break;
        }
    }
    assert_eq!(turns.len(), 8);
    assert!(turns[..7].iter().all(|t| *t == Turn::Retrying(job)), "{turns:?}");
    assert_eq!(turns.last(), Some(&Turn::Dead(job)));
    assert_eq!(runs.load(Ordering::SeqCst), 8);
    while let turn @ (Turn::Done(_) | Turn::Retrying(_) | Turn::Dead(_)) = runner.run_once().await.unwrap() {
        assert!(!matches!(turn, Turn::Done(id) | Turn::Retrying(id) | Turn::Dead(id) if id == job));
    }
    assert_eq!(t.app().job_status(job).await.unwrap().unwrap().state, "dead");
    t.stop().await;
}

#[tokio::test]
async fn concurrent_runners_run_each_job_once() {
    let t = TestApp::spawn().await;
    let runs = Arc::new(AtomicU32::new(0));
    let make =
        || JobRunner::new(t.app().clone()).with_handler("flaky", Arc::new(Flaky { failures: 0, runs: runs.clone() }));
    let now = t.app().now();
    for _ in 0..10 {
        t.app().schedule("flaky", "{\"n\":1}", now, None).await.unwrap();
    }
    let (a, b) = (make(), make());
    let mut set = tokio::task::JoinSet::new();
    for r in [a, b] {
        set.spawn(async move {
            let mut done = 0;
            loop {
                match r.run_once().await.unwrap() {
                    Turn::Idle => return done,
                    _ => done += 1,
                }
            }
        });
    }
    let mut total = 0;
    while let Some(n) = set.join_next().await {
        total += n.unwrap();
    }
    assert_eq!(total, 10);
    assert_eq!(runs.load(Ordering::SeqCst), 10);
    t.stop().await;
}

#[tokio::test]
async fn jobs_survive_a_restart_and_housekeeping_purges_ended_sessions() {
    let mut t = TestApp::spawn().await;
    let runs = Arc::new(AtomicU32::new(0));
    let job = t.app().schedule("flaky", "{\"n\":1}", t.app().now(), None).await.unwrap();
    let hk = t.app().schedule(HOUSEKEEPING, "{}", t.app().now(), Some(HOUSEKEEPING)).await.unwrap();
    let _ = t.login("alice").await;
    t.restart().await;
    let runner =
        JobRunner::new(t.app().clone()).with_handler("flaky", Arc::new(Flaky { failures: 0, runs: runs.clone() }));
    t.advance(Span::from_hours(30));
    loop {
        match runner.run_once().await.unwrap() {
            Turn::Idle => break,
            Turn::Dead(j) => panic!("job {j:?} died"),
            _ => {}
        }
    }
    assert_eq!(t.app().job_status(job).await.unwrap().unwrap().state, "done");
    assert_eq!(t.app().job_status(hk).await.unwrap().unwrap().state, "done");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Housekeeping ran and removed the day-old session, and re-scheduled itself.
    assert_eq!(t.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(t.count("SELECT count(*) FROM jobs WHERE kind = 'housekeeping' AND state = 'pending'").await, 1);
    t.stop().await;
}

#[tokio::test]
async fn the_server_runs_jobs_itself_and_schedules_housekeeping() {
    let t = TestApp::spawn_with(|c| c.run_jobs = true).await;
    // Jobs of kinds this server does not know are left for a node that does.
    let foreign = t.app().schedule("from_a_newer_version", "{}", t.app().now(), None).await.unwrap();
    let mut done = 0;
    for _ in 0..100 {
        done = t.count("SELECT count(*) FROM jobs WHERE kind = 'housekeeping' AND state = 'done'").await;
        if done > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done, 1, "housekeeping ran once");
    assert_eq!(
        t.count("SELECT count(*) FROM jobs WHERE kind = 'housekeeping' AND state = 'pending'").await,
        1,
        "and is scheduled again"
    );
    let s = t.app().job_status(foreign).await.unwrap().unwrap();
    assert_eq!((s.state.as_str(), s.attempts), ("pending", 0));
    t.stop().await;
}
