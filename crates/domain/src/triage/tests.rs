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

#[test]
fn word_families_stand_for_any_of_their_patterns() {
    let s = TriageScreen::parse("[family chest]\nchest\nbreast bone\n[emergency cardiac]\n@chest ... hurts").unwrap();
    assert!(s.screen("my breast bone really hurts").urgent());
    assert!(s.screen("my chest hurts").urgent());
    assert!(!s.screen("my knee hurts").urgent());
    // A family can be used inside another.
    let s =
        TriageScreen::parse("[family a]\nleft\nright\n[family side]\n@a side\n[emergency x]\nnumb ... @side").unwrap();
    assert!(s.screen("numb down my left side").urgent());
    assert!(!s.screen("numb down my back").urgent());
}

#[test]
fn word_families_are_checked() {
    assert!(TriageScreen::parse("[emergency x]\n@nothing hurts").is_err(), "unknown family");
    assert!(TriageScreen::parse("[family a]\n[emergency x]\nchest").is_err(), "empty family");
    assert!(TriageScreen::parse("[family a]\nb\n[family a]\nc\n[emergency x]\nchest").is_err(), "twice");
    assert!(TriageScreen::parse("[family a]\nb\n@a c\n[emergency x]\nchest").is_err(), "used inside itself");
    assert!(TriageScreen::parse("[family a b]\nc\n[emergency x]\nchest").is_err(), "two-word name");
    assert!(TriageScreen::parse("[family a]\nb\n[emergency x]\n@a").is_ok());
}

#[test]
fn together_needs_one_sentence_and_a_combination_does_not() {
    let s = TriageScreen::parse(
        "[emergency x]\nnever said\n[together cardiac]\nchest + tight*\n[combination breathing]\nwheezy + inhaler",
    )
    .unwrap();
    assert!(s.screen("my chest feels like it is getting really very tight").urgent());
    assert!(!s.screen("chest xray was clear. tight hamstrings from running").urgent());
    assert!(s.screen("so wheezy. the inhaler does nothing").urgent());
}

#[test]
fn a_negation_in_a_gap_counts_but_not_one_the_phrase_spells() {
    let s = TriageScreen::parse(
        "[emergency x]\nthroat ... swell*\nalbuterol isnt\nhave a plan\n[negation]\nnot\nisnt\ndont have",
    )
    .unwrap();
    assert!(!s.screen("my throat is not swelling").urgent());
    assert!(s.screen("my throat is swelling").urgent());
    assert!(s.screen("the albuterol isnt helping").urgent());
    // A negation that starts before the phrase counts even where it runs into it.
    assert!(!s.screen("i dont have a plan, i just want to talk").urgent());
    assert!(s.screen("i have a plan").urgent());
}

#[test]
fn a_figure_of_speech_hides_only_the_phrases_inside_it() {
    let s = TriageScreen::parse("[emergency x]\nblood\nsugar is 3?\n[not_emergency]\nblood sugar").unwrap();
    assert!(!s.screen("my blood sugar log is attached").urgent());
    assert!(s.screen("blood sugar is 35 and im shaking").urgent());
    assert!(s.screen("theres blood on the sheets").urgent());
}

#[test]
fn a_question_cue_inside_the_phrase_does_not_discount_it_but_a_past_cue_does() {
    let s = screen();
    assert!(s.screen("everyone would be happier if i wasnt around").urgent());
    assert!(!s.screen("if my teen ever says she wants to die what do i say").urgent());
    assert!(!s.screen("i was suicidal after my divorce but am doing well now").urgent());
}

#[test]
fn red_flags_described_indirectly() {
    let s = screen();
    // AHA: discomfort spreading, with a sweat or nausea; atypical in women and diabetics.
    assert!(s.screen("my jaw and upper back ache and im breaking out in a sweat").urgent());
    assert!(s.screen("shes 74 and diabetic, suddenly so weak, short of breath and threw up").urgent());
    // 988 / Columbia: a method with readiness; goodbyes; burden.
    assert!(s.screen("ive got enough of my meds saved up").urgent());
    assert!(s.screen("can u cancel my appts. i wont need them after this weekend. thanks for everything").urgent());
    assert!(s.screen("my son texted that he wants to disappear forever").urgent());
    // BE FAST: two signs, or one sign that came on suddenly.
    assert!(s.screen("her smile looks off and shes mixing up her words").urgent());
    // …and the routine ones beside them.
    assert!(!s.screen("im moving to ohio, please cancel my appointments. thanks for everything!").urgent());
    assert!(!s.screen("i have enough of my pills to last until the 20th").urgent());
    assert!(!s.screen("my chest hurts when i cough from this cold").urgent());
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

/// Prints a set's figures; `wrong` lists the messages it got wrong, which
/// must be empty for a held-out evaluation set (its misses are not to be
/// seen, or they would be tuned on).
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

/// Precision and recall on labelled sets of realistic messages:
/// - `labelled.tsv` (367 messages) and `tuning-2.tsv` (150), written by
///   someone who never saw the phrase lists, which were then tuned on them:
///   their figures flatter the screen;
/// - `tuning-3.tsv` (244), derived from clinical red-flag lists by the
///   person who then widened the phrase lists from the same red-flag lists
///   and tuned on it: its figures flatter the screen most;
/// - `evaluation.tsv` (200), written after the first tuning and never
///   used for it (only its aggregate figures were seen);
/// - `evaluation-2.tsv` (220), written blind by someone who saw neither the
///   phrase lists nor the other sets, measured once before and once after
///   the second round of changes: the honest estimate on new messages.
///
/// Run with `--nocapture` for the tables in docs/triage.md.
#[test]
fn precision_and_recall_on_the_labelled_sets() {
    let s = screen();
    let (first, wrong, cats) = evaluate(&s, include_str!("../../data/triage/labelled.tsv"));
    report("tuning set 1 (labelled.tsv)", &first, &wrong, &cats);
    let (second, wrong, cats) = evaluate(&s, include_str!("../../data/triage/tuning-2.tsv"));
    report("tuning set 2 (tuning-2.tsv)", &second, &wrong, &cats);
    let (third, wrong, cats) = evaluate(&s, include_str!("../../data/triage/tuning-3.tsv"));
    report("tuning set 3 (tuning-3.tsv)", &third, &wrong, &cats);
    // Only the aggregate figures of the evaluation set are printed, never
    // its misses: reading them would turn it into a tuning set.
    let (eval, _, cats) = evaluate(&s, include_str!("../../data/triage/evaluation.tsv"));
    report("evaluation set (evaluation.tsv)", &eval, &[], &cats);
    let (blind, _, cats) = evaluate(&s, include_str!("../../data/triage/evaluation-2.tsv"));
    report("evaluation set 2 (evaluation-2.tsv)", &blind, &[], &cats);
    assert!(blind.tp + blind.fneg >= 90 && blind.fp + blind.tn >= 130, "evaluation set 2 is too small");
    assert!(first.tp + first.fneg >= 100 && first.fp + first.tn >= 200, "the labelled set is too small");
    assert!(third.tp + third.fneg >= 100 && third.fp + third.tn >= 120, "tuning set 3 is too small");
    // Floors just below what was measured (docs/triage.md), so that a change
    // to the phrase lists that loses ground fails here.
    for (name, t, recall, precision) in [
        ("tuning 1", &first, TUNING_1_FLOORS.0, TUNING_1_FLOORS.1),
        ("tuning 2", &second, TUNING_2_FLOORS.0, TUNING_2_FLOORS.1),
        ("tuning 3", &third, TUNING_3_FLOORS.0, TUNING_3_FLOORS.1),
    ] {
        assert!(t.recall() >= recall, "{name} recall {:.3}", t.recall());
        assert!(t.precision() >= precision, "{name} precision {:.3}", t.precision());
    }
    assert!(eval.recall() >= EVALUATION_RECALL_FLOOR, "evaluation recall {:.3}", eval.recall());
    assert!(eval.precision() >= EVALUATION_PRECISION_FLOOR, "evaluation precision {:.3}", eval.precision());
    assert!(blind.recall() >= EVALUATION_2_FLOORS.0, "evaluation 2 recall {:.3}", blind.recall());
    assert!(blind.precision() >= EVALUATION_2_FLOORS.1, "evaluation 2 precision {:.3}", blind.precision());
}

/// (recall, precision) floors for the tuning sets, just below the figures
/// measured on 2026-11-22.
const TUNING_1_FLOORS: (f64, f64) = (0.99, 0.98);
const TUNING_2_FLOORS: (f64, f64) = (0.99, 0.96);
const TUNING_3_FLOORS: (f64, f64) = (0.99, 0.98);
const EVALUATION_RECALL_FLOOR: f64 = 0.79;
const EVALUATION_PRECISION_FLOOR: f64 = 0.82;
/// (recall, precision) on the blind set: 0.933 and 0.875 when first measured.
const EVALUATION_2_FLOORS: (f64, f64) = (0.93, 0.87);

/// The word index only skips patterns that cannot match: with it off, every
/// labelled message gets the same findings, in the same order.
#[test]
fn the_index_changes_no_answer() {
    let indexed = screen();
    let mut unindexed = screen();
    unindexed.unindexed = true;
    let sets = [
        include_str!("../../data/triage/labelled.tsv"),
        include_str!("../../data/triage/tuning-2.tsv"),
        include_str!("../../data/triage/tuning-3.tsv"),
        include_str!("../../data/triage/evaluation.tsv"),
        include_str!("../../data/triage/evaluation-2.tsv"),
    ];
    let mut n = 0;
    for line in sets.iter().flat_map(|s| s.lines().skip(1)) {
        let message = line.splitn(3, '\t').nth(2).unwrap();
        // The line number only: evaluation messages are not to be read.
        assert_eq!(indexed.screen(message), unindexed.screen(message), "message {n}");
        n += 1;
    }
    assert!(n > 1000);
}
