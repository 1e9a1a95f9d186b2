//! Urgency triage: does a patient's message describe an emergency
//! happening now?
//!
//! The screen looks for emergency phrases (chest pain, trouble breathing,
//! stroke signs, suicidal thoughts or self-harm, severe bleeding,
//! anaphylaxis, overdose, seizures…) clause by clause, and discounts a
//! match that is negated ("no chest pain since Tuesday"), in the past ("my
//! mother had a stroke in 2010") or hypothetical ("what should I do if I get
//! chest pain?"). It also flags combinations of lay words, in one sentence
//! or across the message ("indigestion" with "drenched in sweat"), written
//! with word families drawn from clinical red-flag lists (`@chest`,
//! `@chest_pain`, `@death_wish`…). The phrase lists are data
//! (`data/triage/phrases.txt`), so clinicians can read and extend them. It
//! favours recall: when in doubt it flags. Its precision and recall on
//! labelled sets are measured in the tests and reported in `docs/triage.md`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The screen's built-in phrase lists.
pub const BUILT_IN_PHRASES: &str = include_str!("../data/triage/phrases.txt");

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    /// `breath*`: any word starting with this.
    Prefix(String),
    /// `7?`: a word of this length, `?` standing for any character.
    Glob(String),
    /// Up to three words of anything.
    Gap,
    Year,
    /// `@chest`: any one of a word family's patterns (`chest`, `breast bone`, …).
    Family(Arc<Family>),
}

type Pattern = Vec<Token>;
type Families = BTreeMap<String, Arc<Family>>;

/// A word family: its patterns, indexed by the word they start with, so
/// that a word no alternative can start with is passed over at once.
#[derive(Debug, Default, PartialEq, Eq)]
struct Family {
    alternatives: Vec<Pattern>,
    /// The alternatives that start with this word.
    by_first_word: HashMap<String, Vec<usize>>,
    /// The alternatives that start otherwise (`word*`, `7?`, `@family`).
    others: Vec<usize>,
}

impl Family {
    fn push(&mut self, pattern: Pattern) {
        let k = self.alternatives.len();
        match pattern.first() {
            Some(Token::Word(w)) => self.by_first_word.entry(w.clone()).or_default().push(k),
            _ => self.others.push(k),
        }
        self.alternatives.push(pattern);
    }

    /// The alternatives that could match from the word `w`, in the order
    /// they were written.
    fn candidates<'a>(&'a self, w: &str) -> impl Iterator<Item = &'a Pattern> + 'a {
        let exact = self.by_first_word.get(w).map_or(&[][..], Vec::as_slice);
        let (mut a, mut b) = (exact.iter().peekable(), self.others.iter().peekable());
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(_), None) => a.next(),
            _ => b.next(),
        })
        .filter_map(|&k| self.alternatives.get(k))
    }
}

/// A word a pattern cannot match without: the exact word, or a word with
/// this beginning.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Anchor {
    Word(String),
    Prefix(String),
}

/// Words one of which a sentence must hold for `pattern` to match in it.
/// Any token's would do (a family's are its alternatives' together); the
/// token whose shortest word is longest is taken, since long words are rare
/// and "i" or "my" would make the pattern a candidate almost everywhere.
/// `None` when no token gives any (gaps, globs, years only).
fn anchors(pattern: &[Token]) -> Option<Vec<Anchor>> {
    let of_token = |t: &Token| match t {
        Token::Word(w) => Some(vec![Anchor::Word(w.clone())]),
        Token::Prefix(p) => Some(vec![Anchor::Prefix(p.clone())]),
        Token::Family(family) => family
            .alternatives
            .iter()
            .map(|a| anchors(a))
            .collect::<Option<Vec<_>>>()
            .map(|all| all.into_iter().flatten().collect()),
        Token::Glob(_) | Token::Gap | Token::Year => None,
    };
    let rarity = |list: &Vec<Anchor>| {
        list.iter()
            .map(|a| match a {
                Anchor::Word(w) => w.len(),
                Anchor::Prefix(p) => p.len(),
            })
            .min()
            .unwrap_or(0)
    };
    pattern.iter().filter_map(of_token).max_by_key(|list| rarity(list))
}

/// Patterns indexed by the words they cannot match without, so that a
/// sentence tries only the few whose words it holds instead of all of them
/// (the screen runs on every patient message).
#[derive(Clone, Debug, Default)]
struct PatternSet {
    patterns: Vec<Pattern>,
    by_word: HashMap<String, Vec<usize>>,
    by_prefix: HashMap<String, Vec<usize>>,
    /// The distinct lengths (bytes) of the prefixes in `by_prefix`.
    prefix_lengths: Vec<usize>,
    /// Patterns with no anchor: always tried.
    always: Vec<usize>,
}

impl PatternSet {
    fn push(&mut self, pattern: Pattern) {
        let k = self.patterns.len();
        match anchors(&pattern) {
            None => self.always.push(k),
            Some(list) => {
                for anchor in list {
                    match anchor {
                        Anchor::Word(w) => self.by_word.entry(w).or_default().push(k),
                        Anchor::Prefix(p) => {
                            if !self.prefix_lengths.contains(&p.len()) {
                                self.prefix_lengths.push(p.len());
                            }
                            self.by_prefix.entry(p).or_default().push(k);
                        }
                    }
                }
            }
        }
        self.patterns.push(pattern);
    }

    /// The patterns that may match a sentence of these (sorted, distinct)
    /// words, in the order they were written, with their positions.
    fn candidates(&self, vocabulary: &[String]) -> Vec<(usize, &Pattern)> {
        let mut picked = self.always.clone();
        for w in vocabulary {
            picked.extend(self.by_word.get(w.as_str()).into_iter().flatten());
            for &n in &self.prefix_lengths {
                if let Some(start) = w.get(..n) {
                    picked.extend(self.by_prefix.get(start).into_iter().flatten());
                }
            }
        }
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().filter_map(|k| self.patterns.get(k).map(|p| (k, p))).collect()
    }

    /// Every pattern, for the short windows where indexing does not pay.
    fn all(&self) -> &[Pattern] {
        &self.patterns
    }
}

/// Words of several groups that, found together in one message (or, for
/// `[together]`, in one sentence), flag it: "indigestion" with "drenched in
/// sweat".
#[derive(Clone, Debug)]
struct Combination {
    category: String,
    /// How many groups it has; their alternatives are in
    /// `TriageScreen::combination_patterns`.
    groups: usize,
    line: String,
    one_sentence: bool,
}

/// A compiled screen.
#[derive(Clone, Debug, Default)]
pub struct TriageScreen {
    /// (category, phrase as written), in step with `emergency_patterns`.
    emergencies: Vec<(String, String)>,
    emergency_patterns: PatternSet,
    combinations: Vec<Combination>,
    /// Every group alternative of every combination, and whose it is:
    /// (combination, group), in step with `combination_patterns`.
    combination_owners: Vec<(usize, usize)>,
    combination_patterns: PatternSet,
    negation: PatternSet,
    pseudo_negation: PatternSet,
    after_negation: PatternSet,
    past: PatternSet,
    hypothetical: PatternSet,
    now: PatternSet,
    handled: PatternSet,
    not_emergency: PatternSet,
    /// Tests turn the index off to check it changes no answer.
    #[cfg(test)]
    unindexed: bool,
}

/// How far before a phrase a negation cue counts, and how far after it an
/// "it went away" cue counts, in words.
const NEGATION_WINDOW: usize = 5;
const AFTER_WINDOW: usize = 6;

/// Words that turn "go away" into "won't go away".
const NEGATES_AN_ENDING: [&str; 10] =
    ["wont", "not", "hasnt", "havent", "didnt", "doesnt", "isnt", "never", "cant", "aint"];

/// One emergency phrase found and not discounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `cardiac`, `breathing`, `stroke`, `suicide_self_harm`, …
    pub category: String,
    /// The pattern that matched, as written in the phrase list.
    pub phrase: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Screening {
    pub findings: Vec<Finding>,
}

impl Screening {
    pub fn urgent(&self) -> bool {
        !self.findings.is_empty()
    }
    pub fn categories(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self.findings.iter().map(|f| f.category.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    }
}

/// A line of the phrase list that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhraseError {
    pub line: usize,
    pub reason: &'static str,
}

fn normalise(text: &str) -> String {
    text.to_lowercase().replace(['\u{2019}', '\u{2018}', '\''], "")
}

/// Sentences of lower-cased words. Sentence ends and "but" start a new
/// one: "no fever but chest pain" has chest pain.
fn clauses(text: &str) -> Vec<Vec<String>> {
    let norm = normalise(text);
    let mut out = Vec::new();
    for piece in norm.split(['.', '!', '?', ';', '\n']) {
        let mut clause = Vec::new();
        for word in piece.split(|c: char| !(c.is_alphanumeric() || c == '-')).filter(|w| !w.is_empty()) {
            if word == "but" || word == "however" || word == "although" {
                if !clause.is_empty() {
                    out.push(std::mem::take(&mut clause));
                }
                continue;
            }
            clause.push(word.to_owned());
        }
        if !clause.is_empty() {
            out.push(clause);
        }
    }
    out
}

fn parse_pattern(line: &str, families: &Families) -> Result<Pattern, &'static str> {
    let tokens: Pattern = normalise(line)
        .split_whitespace()
        .map(|t| match t {
            "..." => Ok(Token::Gap),
            "#year" => Ok(Token::Year),
            w if w.len() > 1 && w.starts_with('@') => {
                families.get(&w[1..]).map(|f| Token::Family(Arc::clone(f))).ok_or("unknown word family")
            }
            w if w.len() > 1 && w.ends_with('*') => Ok(Token::Prefix(w.trim_end_matches('*').to_owned())),
            w if w.contains('?') => Ok(Token::Glob(w.to_owned())),
            w => Ok(Token::Word(w.to_owned())),
        })
        .collect::<Result<_, _>>()?;
    match (tokens.first(), tokens.last()) {
        (None, _) => Err("empty pattern"),
        (Some(Token::Gap), _) | (_, Some(Token::Gap)) => Err("a pattern cannot start or end with ..."),
        _ => Ok(tokens),
    }
}

fn is_year(w: &str) -> bool {
    w.len() == 4 && (w.starts_with("19") || w.starts_with("20")) && w.chars().all(|c| c.is_ascii_digit())
}

/// Whether a one-word token matches `w` (a gap or a family never does here).
fn token_matches(t: &Token, w: &str) -> bool {
    match t {
        Token::Word(x) => x == w,
        Token::Prefix(p) => w.starts_with(p.as_str()),
        Token::Glob(g) => {
            g.chars().count() == w.chars().count() && g.chars().zip(w.chars()).all(|(a, b)| a == '?' || a == b)
        }
        Token::Year => is_year(w),
        Token::Gap | Token::Family(_) => false,
    }
}

/// Whether `pattern` matches `words` from `i`, calling `done` with the end
/// of each way it does, shortest gaps and first family alternatives first,
/// until `done` accepts one.
fn at(pattern: &[Token], words: &[String], i: usize, done: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = pattern.split_first() else { return done(i) };
    match first {
        Token::Gap => (0..=3).any(|skip| i + skip < words.len() && at(rest, words, i + skip, done)),
        Token::Family(family) => words.get(i).is_some_and(|w| {
            family.candidates(w).any(|alternative| at(alternative, words, i, &mut |j| at(rest, words, j, done)))
        }),
        t => words.get(i).is_some_and(|w| token_matches(t, w)) && at(rest, words, i + 1, done),
    }
}

/// Every (start, end) span where `pattern` matches `words` (end exclusive),
/// taking the shortest gaps.
fn find(pattern: &[Token], words: &[String]) -> Vec<(usize, usize)> {
    (0..words.len())
        .filter_map(|start| {
            let mut end = None;
            at(pattern, words, start, &mut |e| {
                end = Some(e);
                true
            });
            end.map(|e| (start, e))
        })
        .collect()
}

/// Whether one of the pattern's own words (not a gap) could be `w`: a
/// negation inside a match counts only where it fills a gap ("throat is not
/// swelling"), not where the phrase spells it ("albuterol isnt").
fn spells(pattern: &[Token], w: &str) -> bool {
    pattern.iter().any(|t| match t {
        Token::Family(family) => family.alternatives.iter().any(|a| spells(a, w)),
        t => token_matches(t, w),
    })
}

/// Whether every word the pattern spells out (outside its families) is in
/// the sentence's sorted `vocabulary`: a cheap test that passes over most
/// patterns before matching them word by word.
fn may_match(pattern: &[Token], vocabulary: &[String]) -> bool {
    pattern.iter().all(|t| match t {
        Token::Word(w) => vocabulary.binary_search_by(|v| v.as_str().cmp(w)).is_ok(),
        // The first word not before the prefix is the one that could start with it.
        Token::Prefix(p) => vocabulary
            .get(vocabulary.partition_point(|v| v.as_str() < p.as_str()))
            .is_some_and(|v| v.starts_with(p.as_str())),
        _ => true,
    })
}

/// One sentence of a message, with what it takes to judge a match in it.
struct Sentence {
    words: Vec<String>,
    /// Its words, sorted, without repeats.
    vocabulary: Vec<String>,
    /// Figures of speech and names ("gave me a heart attack").
    figures: Vec<(usize, usize)>,
    /// Past cues, unless the sentence also says it is happening now.
    past: Vec<(usize, usize)>,
    /// Question and teaching cues, unless the sentence also says it is
    /// happening now.
    hypothetical: Vec<(usize, usize)>,
}

impl Sentence {
    fn new(words: Vec<String>) -> Self {
        let mut vocabulary = words.clone();
        vocabulary.sort_unstable();
        vocabulary.dedup();
        Sentence { words, vocabulary, figures: Vec::new(), past: Vec::new(), hypothetical: Vec::new() }
    }

    /// Every (start, end) span where `pattern` matches the sentence.
    fn find(&self, pattern: &[Token]) -> Vec<(usize, usize)> {
        if may_match(pattern, &self.vocabulary) { find(pattern, &self.words) } else { Vec::new() }
    }
}

impl TriageScreen {
    /// The screen with the built-in phrase lists.
    pub fn built_in() -> Result<Self, PhraseError> {
        Self::parse(BUILT_IN_PHRASES)
    }

    /// Compiles phrase lists in the format of `data/triage/phrases.txt`.
    pub fn parse(text: &str) -> Result<Self, PhraseError> {
        let mut screen = TriageScreen::default();
        let mut families = Families::new();
        let mut section: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("");
            // `#year` is a token, not a comment.
            let line = if raw.trim_start().starts_with("#year") { raw.trim() } else { line.trim() };
            if line.is_empty() {
                continue;
            }
            let bad = |reason| PhraseError { line: n + 1, reason };
            if line.starts_with('[') && !line.ends_with(']') {
                return Err(bad("a section header must be only `[name]`"));
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim().to_owned();
                if let Some(family) = name.strip_prefix("family ") {
                    let family = family.trim();
                    if family.is_empty() || family.contains(char::is_whitespace) {
                        return Err(bad("a word family is named by one word"));
                    }
                    if families.insert(family.to_owned(), Arc::new(Family::default())).is_some() {
                        return Err(bad("a word family is defined twice"));
                    }
                }
                section = Some(name);
                continue;
            }
            let is_combination =
                section.as_deref().is_some_and(|s| s.starts_with("combination ") || s.starts_with("together "));
            let pattern = if is_combination { Vec::new() } else { parse_pattern(line, &families).map_err(bad)? };
            match section.as_deref() {
                Some("negation") => screen.negation.push(pattern),
                Some("pseudo_negation") => screen.pseudo_negation.push(pattern),
                Some("after_negation") => screen.after_negation.push(pattern),
                Some("past") => screen.past.push(pattern),
                Some("hypothetical") => screen.hypothetical.push(pattern),
                Some("now") => screen.now.push(pattern),
                Some("handled") => screen.handled.push(pattern),
                Some("not_emergency") => screen.not_emergency.push(pattern),
                Some(s) => {
                    if let Some(family) = s.strip_prefix("family ") {
                        // A family is complete before it is used: its
                        // section comes before the patterns that name it.
                        let members = families.get_mut(family.trim()).and_then(Arc::get_mut);
                        members.ok_or_else(|| bad("a word family is used before it is complete"))?.push(pattern);
                    } else if let Some(category) = s.strip_prefix("emergency ") {
                        screen.emergencies.push((category.trim().to_owned(), line.to_owned()));
                        screen.emergency_patterns.push(pattern);
                    } else if let Some((category, one_sentence)) = s
                        .strip_prefix("combination ")
                        .map(|c| (c, false))
                        .or_else(|| s.strip_prefix("together ").map(|c| (c, true)))
                    {
                        let groups = line
                            .split(" + ")
                            .map(|g| g.split('|').map(|p| parse_pattern(p, &families)).collect::<Result<Vec<_>, _>>())
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(bad)?;
                        if groups.len() < 2 {
                            return Err(bad("a combination needs groups joined by ` + `"));
                        }
                        let c = screen.combinations.len();
                        for (g, group) in groups.iter().enumerate() {
                            for alternative in group {
                                screen.combination_owners.push((c, g));
                                screen.combination_patterns.push(alternative.clone());
                            }
                        }
                        screen.combinations.push(Combination {
                            category: category.trim().to_owned(),
                            groups: groups.len(),
                            line: line.to_owned(),
                            one_sentence,
                        });
                    } else {
                        return Err(bad("unknown section"));
                    }
                }
                None => return Err(bad("a phrase before any [section]")),
            }
        }
        if families.values().any(|family| family.alternatives.is_empty()) {
            return Err(PhraseError { line: 0, reason: "an empty word family" });
        }
        if screen.emergencies.is_empty() {
            return Err(PhraseError { line: 0, reason: "no emergency phrases" });
        }
        Ok(screen)
    }

    /// Whether a cue shortly before the match, or in one of its gaps ("throat
    /// is not swelling"), negates it (ignoring pseudo-negations such as "not
    /// getting better"), or a cue shortly after says it is over ("went
    /// away").
    fn negated(&self, clause: &[String], pattern: &[Token], start: usize, end: usize) -> bool {
        let from = start.saturating_sub(NEGATION_WINDOW);
        let window = clause.get(from..end).unwrap_or(&[]);
        let pseudo: Vec<(usize, usize)> = self.pseudo_negation.all().iter().flat_map(|p| find(p, window)).collect();
        let real = self.negation.all().iter().flat_map(|p| find(p, window)).any(|(s, _)| {
            // "dont have a plan": a cue that starts before the phrase counts
            // even where it runs into it.
            let before = from + s < start;
            let in_gap = from + s > start && window.get(s).is_some_and(|w| !spells(pattern, w));
            (before || in_gap) && !pseudo.iter().any(|(ps, pe)| *ps <= s && s < *pe)
        });
        // "went away" says it is over; "wont go away" says the opposite.
        let after = clause.get(end..(end + AFTER_WINDOW).min(clause.len())).unwrap_or(&[]);
        let over = self.after_negation.all().iter().flat_map(|p| find(p, after)).any(|(s, _)| {
            let previous = if s == 0 { end.checked_sub(1).and_then(|i| clause.get(i)) } else { after.get(s - 1) };
            !previous.is_some_and(|w| NEGATES_AN_ENDING.contains(&w.as_str()))
        });
        real || over
    }

    /// Whether a match of `pattern` at `start..end` of a sentence counts: it
    /// is not inside a figure of speech or a name (the "heart attack" of
    /// "gave me a heart attack", the "blood" of "blood sugar"; "blood sugar is
    /// 35" is not inside "blood sugar"), it is not set in the past, nor in a
    /// question by a cue outside the phrase itself ("if" does not discount
    /// "better off if i wasnt around"), and it is not negated.
    fn counts(&self, s: &Sentence, pattern: &[Token], start: usize, end: usize) -> bool {
        let figure = s.figures.iter().any(|&(fs, fe)| fs <= start && end <= fe);
        let out_of_time = !s.past.is_empty() || s.hypothetical.iter().any(|&(cs, ce)| ce <= start || end <= cs);
        !figure && !out_of_time && !self.negated(&s.words, pattern, start, end)
    }

    /// Screens one message.
    ///
    /// Phrases and `[together]` combinations must be found within one
    /// sentence; other combinations may gather their groups across the
    /// sentences of the message ("he says it's just gas. But he's gray and
    /// drenched"). Sentences about the past, questions
    /// and teaching are left out unless they also say it is happening now,
    /// and sentences saying professionals already have it in hand are left
    /// out altogether.
    pub fn screen(&self, text: &str) -> Screening {
        let mut findings = Vec::new();
        // Per sentence kept: which (combination, group) pairs it satisfies.
        let mut satisfied: Vec<Vec<(usize, usize)>> = Vec::new();
        for words in clauses(text) {
            let mut sentence = Sentence::new(words);
            if self.any(&self.handled, &sentence) {
                continue;
            }
            if !self.any(&self.now, &sentence) {
                sentence.past = self.spans(&self.past, &sentence);
                sentence.hypothetical = self.spans(&self.hypothetical, &sentence);
            }
            sentence.figures = self.spans(&self.not_emergency, &sentence);
            let counted = |pattern: &Pattern| {
                sentence.find(pattern).into_iter().any(|(start, end)| self.counts(&sentence, pattern, start, end))
            };
            for (k, pattern) in self.candidates(&self.emergency_patterns, &sentence) {
                let Some((category, phrase)) = self.emergencies.get(k) else { continue };
                if !findings.iter().any(|f: &Finding| f.phrase == *phrase) && counted(pattern) {
                    findings.push(Finding { category: category.clone(), phrase: phrase.clone() });
                }
            }
            let mut here: Vec<(usize, usize)> = Vec::new();
            for (k, pattern) in self.candidates(&self.combination_patterns, &sentence) {
                if let Some(&owner) = self.combination_owners.get(k)
                    && !here.contains(&owner)
                    && counted(pattern)
                {
                    here.push(owner);
                }
            }
            satisfied.push(here);
        }
        for (c, combination) in self.combinations.iter().enumerate() {
            let groups = 0..combination.groups;
            let all_groups = if combination.one_sentence {
                satisfied.iter().any(|here| groups.clone().all(|g| here.contains(&(c, g))))
            } else {
                groups.clone().all(|g| satisfied.iter().any(|here| here.contains(&(c, g))))
            };
            if all_groups && !findings.iter().any(|f| f.phrase == combination.line) {
                findings.push(Finding { category: combination.category.clone(), phrase: combination.line.clone() });
            }
        }
        Screening { findings }
    }

    /// The patterns of `set` that may match in `sentence` (all of them when
    /// a test turns the index off).
    fn candidates<'a>(&self, set: &'a PatternSet, sentence: &Sentence) -> Vec<(usize, &'a Pattern)> {
        #[cfg(test)]
        if self.unindexed {
            return set.all().iter().enumerate().collect();
        }
        set.candidates(&sentence.vocabulary)
    }

    /// Every (start, end) span where a pattern of `set` matches `sentence`.
    fn spans(&self, set: &PatternSet, sentence: &Sentence) -> Vec<(usize, usize)> {
        self.candidates(set, sentence).into_iter().flat_map(|(_, p)| sentence.find(p)).collect()
    }

    fn any(&self, set: &PatternSet, sentence: &Sentence) -> bool {
        self.candidates(set, sentence).into_iter().any(|(_, p)| !sentence.find(p).is_empty())
    }
}

#[cfg(test)]
mod tests;
