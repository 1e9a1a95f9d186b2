//! How long the emergency screen takes per message: every message of the
//! tuning sets, screened repeatedly. Run in release mode:
//! `cargo run --release -p switchboard-domain --example triage_bench`.
#![allow(clippy::print_stdout)]

use std::time::Instant;

const SETS: [&str; 3] = [
    include_str!("../data/triage/labelled.tsv"),
    include_str!("../data/triage/tuning-2.tsv"),
    include_str!("../data/triage/tuning-3.tsv"),
];

fn main() {
    let Ok(screen) = switchboard_domain::triage::TriageScreen::built_in() else {
        println!("the built-in phrase lists do not parse");
        return;
    };
    let mut messages: Vec<&str> =
        SETS.iter().flat_map(|s| s.lines().skip(1)).filter_map(|l| l.splitn(3, '\t').nth(2)).collect();
    // The load generator's message (BENCHMARKS.md), 200 characters.
    let load: String = "Is it normal to feel dizzy after the new dose? ".chars().cycle().take(200).collect();
    messages.push(&load);
    let rounds = 20;
    let mut times = Vec::with_capacity(messages.len() * rounds);
    let mut flagged = 0usize;
    let started = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            let t = Instant::now();
            flagged += usize::from(std::hint::black_box(screen.screen(m)).urgent());
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let total = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times.get(((times.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    let t = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(screen.screen(&load));
    }
    let load_us = t.elapsed().as_secs_f64() * 1e3;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("triage screen, one thread of {cores}: {} messages x {rounds} rounds ({flagged} flagged)", messages.len());
    println!(
        "  per message: mean {:.1} us, p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        total * 1e6 / times.len() as f64,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    println!("  the load generator's 200-character message: {load_us:.1} us");
}
