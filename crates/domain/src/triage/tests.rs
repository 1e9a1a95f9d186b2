// The evaluation tests print their figures for docs/triage.md.
#![allow(clippy::print_stdout)]

use super::*;

fn screen() -> TriageScreen {
    TriageScreen::built_in().expect("the built-in phrase lists parse")
}

#[test]
fn the_issues_examples() {
    let s = screen();
    assert!(!s.screen("No chest pain since Tuesday, just tired.").urgent());
    assert!(!s.screen("My mother had a stroke in 2010, should I be screened?").urgent());
    assert!(s.screen("I have chest pain and my left arm feels numb").urgent());
    assert!(s.screen("cant breath good since this morning").urgent());
    assert!(s.screen("I don't want to be alive anymore").urgent());
    assert!(!s.screen("Can I get a refill of my metformin?").urgent());
    assert!(!s.screen("What should I do if I get chest pain on this medicine?").urgent());
    // A negation in another clause does not hide a symptom.
    assert!(s.screen("No fever, but chest pain since an hour ago").urgent());
    // Pseudo-negations are not negations.
    assert!(s.screen("It's not getting better, the chest pain is worse").urgent());
    assert!(s.screen("I never felt pain like this in my chest").urgent());
}

#[test]
fn findings_name_their_category() {
    let r = screen().screen("My lips and tongue are swelling after the new antibiotic");
    assert!(r.urgent());
    assert_eq!(r.categories(), vec!["anaphylaxis"]);
}

#[test]
fn phrase_lists_are_checked() {
    assert!(TriageScreen::parse("chest pain").is_err(), "phrase outside a section");
    assert!(TriageScreen::parse("[emergency x]\n... pain").is_err());
    assert!(TriageScreen::parse("[nonsense]\nx").is_err());
    assert!(TriageScreen::parse("[emergency x] trailing words\nchest pain").is_err());
    assert!(TriageScreen::parse("[negation]\nno").is_err(), "no emergency phrases");
    assert!(TriageScreen::parse("[emergency x]\nchest pain").is_ok());
}

struct Tally {
    tp: u32,
    fp: u32,
    fneg: u32,
    tn: u32,
}

impl Tally {
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from(self.tp + self.fneg)
    }
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from(self.tp + self.fp)
    }
}

fn evaluate(s: &TriageScreen, data: &str) -> (Tally, Vec<String>, std::collections::BTreeMap<String, (u32, u32)>) {
    let mut t = Tally { tp: 0, fp: 0, fneg: 0, tn: 0 };
    let mut wrong = Vec::new();
    let mut by_category = std::collections::BTreeMap::new();
    for line in data.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut f = line.splitn(3, '\t');
        let (label, category, message) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let urgent = label == "urgent";
        let flagged = s.screen(message).urgent();
        let e: &mut (u32, u32) = by_category.entry(category.to_owned()).or_default();
        e.0 += 1;
        e.1 += u32::from(flagged == urgent);
        match (urgent, flagged) {
            (true, true) => t.tp += 1,
            (false, true) => t.fp += 1,
            (true, false) => t.fneg += 1,
            (false, false) => t.tn += 1,
        }
        if flagged != urgent {
            wrong.push(format!("{}: {message}", if urgent { "MISSED" } else { "FALSE ALARM" }));
        }
    }
    (t, wrong, by_category)
}

fn report(name: &str, t: &Tally, wrong: &[String], by_category: &std::collections::BTreeMap<String, (u32, u32)>) {
    println!(
        "{name}: {} messages ({} urgent): TP {} FP {} FN {} TN {}; recall {:.3}, precision {:.3}",
        t.tp + t.fp + t.fneg + t.tn,
        t.tp + t.fneg,
        t.tp,
        t.fp,
        t.fneg,
        t.tn,
        t.recall(),
        t.precision()
    );
    for (c, (n, right)) in by_category {
        println!("  {c:<22} {right:>3} / {n:<3} right");
    }
    for w in wrong {
        println!("  {w}");
    }
}

/// Precision and recall on labelled sets of realistic messages, all
/// written by someone who never saw the phrase lists:
/// - `labelled.tsv` (367 messages) and `tuning-2.tsv` (150), which the
///   phrase lists were tuned on: their figures flatter the screen;
/// - `evaluation.tsv` (200), written after tuning and never used for it:
///   its figures are the honest estimate of how the screen does on new
///   messages.
///
/// Run with `--nocapture` for the tables in docs/triage.md.
#[test]
fn precision_and_recall_on_the_labelled_sets() {
    let s = screen();
    let (first, wrong, cats) = evaluate(&s, include_str!("../../data/triage/labelled.tsv"));
    report("tuning set 1 (labelled.tsv)", &first, &wrong, &cats);
    let (second, wrong, cats) = evaluate(&s, include_str!("../../data/triage/tuning-2.tsv"));
    report("tuning set 2 (tuning-2.tsv)", &second, &wrong, &cats);
    let (eval, wrong, cats) = evaluate(&s, include_str!("../../data/triage/evaluation.tsv"));
    report("evaluation set (evaluation.tsv)", &eval, &wrong, &cats);
    assert!(first.tp + first.fneg >= 100 && first.fp + first.tn >= 200, "the labelled set is too small");
    // Floors just below what was measured (docs/triage.md), so that a change
    // to the phrase lists that loses ground fails here.
    for (name, t) in [("tuning 1", &first), ("tuning 2", &second)] {
        assert!(t.recall() >= 0.99, "{name} recall {:.3}", t.recall());
        assert!(t.precision() >= 0.95, "{name} precision {:.3}", t.precision());
    }
    assert!(eval.recall() >= EVALUATION_RECALL_FLOOR, "evaluation recall {:.3}", eval.recall());
    assert!(eval.precision() >= EVALUATION_PRECISION_FLOOR, "evaluation precision {:.3}", eval.precision());
}

const EVALUATION_RECALL_FLOOR: f64 = 0.66;
const EVALUATION_PRECISION_FLOOR: f64 = 0.79;
