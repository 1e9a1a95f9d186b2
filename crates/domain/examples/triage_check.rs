//! Screens each line of standard input and prints what the screen found:
//! for clinicians and developers working on the phrase lists.
#![allow(clippy::print_stdout)]

fn main() {
    let Ok(screen) = switchboard_domain::triage::TriageScreen::built_in() else {
        println!("the built-in phrase lists do not parse");
        return;
    };
    for line in std::io::stdin().lines().map_while(Result::ok) {
        let r = screen.screen(&line);
        let found: Vec<String> = r.findings.iter().map(|f| format!("{}:{}", f.category, f.phrase)).collect();
        println!("{} | {} | {}", if r.urgent() { "URGENT " } else { "routine" }, found.join(", "), line);
    }
}
