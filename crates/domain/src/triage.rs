//! Urgency triage: does a patient's message describe an emergency
//! happening now?
//!
//! The screen looks for emergency phrases (chest pain, trouble breathing,
//! stroke signs, suicidal thoughts or self-harm, severe bleeding,
//! anaphylaxis, overdose, seizures…) clause by clause, and discounts a
//! match that is negated ("no chest pain since Tuesday"), in the past ("my
//! mother had a stroke in 2010") or hypothetical ("what should I do if I get
//! chest pain?"). The phrase lists are data (`data/triage/phrases.txt`), so
//! clinicians can read and extend them. It favours recall: when in doubt it
//! flags. Its precision and recall on a labelled set are measured in the
//! tests and reported in `docs/triage.md`.

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
}

type Pattern = Vec<Token>;

/// Words of several groups that, found together in one sentence, flag it:
/// "indigestion" with "drenched in sweat".
#[derive(Clone, Debug)]
struct Combination {
    category: String,
    groups: Vec<Vec<Pattern>>,
    line: String,
}

/// A compiled screen.
#[derive(Clone, Debug, Default)]
pub struct TriageScreen {
    emergencies: Vec<(String, Pattern, String)>,
    combinations: Vec<Combination>,
    negation: Vec<Pattern>,
    pseudo_negation: Vec<Pattern>,
    after_negation: Vec<Pattern>,
    past: Vec<Pattern>,
    hypothetical: Vec<Pattern>,
    now: Vec<Pattern>,
    handled: Vec<Pattern>,
    not_emergency: Vec<Pattern>,
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

fn parse_pattern(line: &str) -> Result<Pattern, &'static str> {
    let tokens: Pattern = normalise(line)
        .split_whitespace()
        .map(|t| match t {
            "..." => Token::Gap,
            "#year" => Token::Year,
            w if w.len() > 1 && w.ends_with('*') => Token::Prefix(w.trim_end_matches('*').to_owned()),
            w if w.contains('?') => Token::Glob(w.to_owned()),
            w => Token::Word(w.to_owned()),
        })
        .collect();
    match (tokens.first(), tokens.last()) {
        (None, _) => Err("empty pattern"),
        (Some(Token::Gap), _) | (_, Some(Token::Gap)) => Err("a pattern cannot start or end with ..."),
        _ => Ok(tokens),
    }
}

fn is_year(w: &str) -> bool {
    w.len() == 4 && (w.starts_with("19") || w.starts_with("20")) && w.chars().all(|c| c.is_ascii_digit())
}

fn token_matches(t: &Token, w: &str) -> bool {
    match t {
        Token::Word(x) => x == w,
        Token::Prefix(p) => w.starts_with(p.as_str()),
        Token::Glob(g) => {
            g.chars().count() == w.chars().count() && g.chars().zip(w.chars()).all(|(a, b)| a == '?' || a == b)
        }
        Token::Year => is_year(w),
        Token::Gap => true,
    }
}

/// Every (start, end) span where `pattern` matches `words` (end exclusive),
/// taking the shortest gaps.
fn find(pattern: &[Token], words: &[String]) -> Vec<(usize, usize)> {
    fn at(pattern: &[Token], words: &[String], i: usize) -> Option<usize> {
        let Some((first, rest)) = pattern.split_first() else { return Some(i) };
        match first {
            Token::Gap => (0..=3).find_map(|skip| at(rest, words, i + skip)),
            t => match words.get(i) {
                Some(w) if token_matches(t, w) => at(rest, words, i + 1),
                _ => None,
            },
        }
    }
    (0..words.len()).filter_map(|start| at(pattern, words, start).map(|end| (start, end))).collect()
}

fn any_match(patterns: &[Pattern], words: &[String]) -> bool {
    patterns.iter().any(|p| !find(p, words).is_empty())
}

impl TriageScreen {
    /// The screen with the built-in phrase lists.
    pub fn built_in() -> Result<Self, PhraseError> {
        Self::parse(BUILT_IN_PHRASES)
    }

    /// Compiles phrase lists in the format of `data/triage/phrases.txt`.
    pub fn parse(text: &str) -> Result<Self, PhraseError> {
        let mut screen = TriageScreen::default();
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
                section = Some(name.trim().to_owned());
                continue;
            }
            let is_combination = section.as_deref().is_some_and(|s| s.starts_with("combination "));
            let pattern = if is_combination { Vec::new() } else { parse_pattern(line).map_err(bad)? };
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
                    if let Some(category) = s.strip_prefix("emergency ") {
                        screen.emergencies.push((category.trim().to_owned(), pattern, line.to_owned()));
                    } else if let Some(category) = s.strip_prefix("combination ") {
                        let groups = line
                            .split(" + ")
                            .map(|g| g.split('|').map(parse_pattern).collect::<Result<Vec<_>, _>>())
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(bad)?;
                        if groups.len() < 2 {
                            return Err(bad("a combination needs groups joined by ` + `"));
                        }
                        screen.combinations.push(Combination {
                            category: category.trim().to_owned(),
                            groups,
                            line: line.to_owned(),
                        });
                    } else {
                        return Err(bad("unknown section"));
                    }
                }
                None => return Err(bad("a phrase before any [section]")),
            }
        }
        if screen.emergencies.is_empty() {
            return Err(PhraseError { line: 0, reason: "no emergency phrases" });
        }
        Ok(screen)
    }

    /// Whether a cue shortly before the match negates it (ignoring
    /// pseudo-negations such as "not getting better"), or a cue shortly
    /// after says it is over ("went away").
    fn negated(&self, clause: &[String], start: usize, end: usize) -> bool {
        let from = start.saturating_sub(NEGATION_WINDOW);
        let before = clause.get(from..start).unwrap_or(&[]);
        let window = clause.get(from..end).unwrap_or(&[]);
        let pseudo: Vec<(usize, usize)> = self.pseudo_negation.iter().flat_map(|p| find(p, window)).collect();
        let real = self
            .negation
            .iter()
            .flat_map(|p| find(p, before))
            .any(|(s, _)| !pseudo.iter().any(|(ps, pe)| *ps <= s && s < *pe));
        // "went away" says it is over; "wont go away" says the opposite.
        let after = clause.get(end..(end + AFTER_WINDOW).min(clause.len())).unwrap_or(&[]);
        let over = self.after_negation.iter().flat_map(|p| find(p, after)).any(|(s, _)| {
            let previous = if s == 0 { end.checked_sub(1).and_then(|i| clause.get(i)) } else { after.get(s - 1) };
            !previous.is_some_and(|w| NEGATES_AN_ENDING.contains(&w.as_str()))
        });
        real || over
    }

    /// Screens one message.
    ///
    /// Phrases must be found within one sentence; combinations may gather
    /// their groups across the sentences of the message ("he says it's just
    /// gas. But he's gray and drenched"). Sentences about the past, questions
    /// and teaching are left out unless they also say it is happening now,
    /// and sentences saying professionals already have it in hand are left
    /// out altogether.
    pub fn screen(&self, text: &str) -> Screening {
        let mut findings = Vec::new();
        // Per clause: its words, and the (start, end) word spans matched.
        type Clause = (Vec<String>, Vec<(usize, usize)>);
        let mut counted: Vec<Clause> = Vec::new();
        for clause in clauses(text) {
            let discounted = any_match(&self.handled, &clause)
                || ((any_match(&self.past, &clause) || any_match(&self.hypothetical, &clause))
                    && !any_match(&self.now, &clause));
            if discounted {
                continue;
            }
            let figures: Vec<(usize, usize)> = self.not_emergency.iter().flat_map(|p| find(p, &clause)).collect();
            for (category, pattern, phrase) in &self.emergencies {
                let hit = find(pattern, &clause).into_iter().find(|(start, end)| {
                    !figures.iter().any(|(fs, fe)| fs < end && start < fe) && !self.negated(&clause, *start, *end)
                });
                if hit.is_some() && !findings.iter().any(|f: &Finding| f.phrase == *phrase) {
                    findings.push(Finding { category: category.clone(), phrase: phrase.clone() });
                }
            }
            counted.push((clause, figures));
        }
        for c in &self.combinations {
            let all_groups = c.groups.iter().all(|group| {
                counted.iter().any(|(clause, figures)| {
                    group.iter().flat_map(|p| find(p, clause)).any(|(start, end)| {
                        !figures.iter().any(|(fs, fe)| *fs < end && start < *fe) && !self.negated(clause, start, end)
                    })
                })
            });
            if all_groups && !findings.iter().any(|f| f.phrase == c.line) {
                findings.push(Finding { category: c.category.clone(), phrase: c.line.clone() });
            }
        }
        Screening { findings }
    }
}

#[cfg(test)]
mod tests;
