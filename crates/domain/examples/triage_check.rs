//! Screens each line of standard input and prints what the screen found:
//! for clinicians and developers working on the phrase lists.
//!
//! ```sh
//! echo "my chest feels heavy" | cargo run -q -p switchboard-domain --example triage_check
//! cargo run -q -p switchboard-domain --example triage_check -- crates/domain/data/triage/tuning-3.tsv
//! ```
//!
//! Given labelled tuning sets (`label<TAB>category<TAB>message`), it prints
//! their figures and every message the screen gets wrong. It refuses an
//! evaluation set: the misses of a held-out set must not be seen, or they
//! would be tuned on.
#![allow(clippy::print_stdout)]

use switchboard_domain::triage::TriageScreen;

fn main() {
    let Ok(screen) = TriageScreen::built_in() else {
        println!("the built-in phrase lists do not parse");
        return;
    };
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            let r = screen.screen(&line);
            let found: Vec<String> = r.findings.iter().map(|f| format!("{}:{}", f.category, f.phrase)).collect();
            println!("{} | {} | {}", if r.urgent() { "URGENT " } else { "routine" }, found.join(", "), line);
        }
        return;
    }
    for file in files {
        let name = std::path::Path::new(&file).file_name().map(|n| n.to_string_lossy().to_lowercase());
        if name.as_deref().is_none_or(|n| n.contains("evaluation")) {
            println!("{file}: not an evaluation set: run the tests for its aggregate figures");
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(text) => check(&screen, &file, &text),
            Err(e) => println!("{file}: {e}"),
        }
    }
}

/// Prints a tuning set's figures and the messages it gets wrong.
fn check(screen: &TriageScreen, file: &str, text: &str) {
    let (mut tp, mut fp, mut fneg, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut wrong = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut f = line.splitn(3, '\t');
        let (Some(label), Some(category), Some(message)) = (f.next(), f.next(), f.next()) else {
            println!("{file}: not a labelled line: {line}");
            continue;
        };
        let urgent = label == "urgent";
        let r = screen.screen(message);
        match (urgent, r.urgent()) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fneg += 1,
            (false, false) => tn += 1,
        }
        if urgent != r.urgent() {
            let found: Vec<&str> = r.findings.iter().map(|f| f.phrase.as_str()).collect();
            let what = if urgent { "MISSED" } else { "FALSE ALARM" };
            wrong.push(format!("{what} [{category}] {message}  <- {}", found.join(" / ")));
        }
    }
    let ratio = |a: u32, b: u32| if a + b == 0 { 0.0 } else { f64::from(a) / f64::from(a + b) };
    println!(
        "{file}: TP {tp} FP {fp} FN {fneg} TN {tn}; recall {:.3}, precision {:.3}",
        ratio(tp, fneg),
        ratio(tp, fp)
    );
    for w in wrong {
        println!("  {w}");
    }
}
