//! Search over sealed text, as plain rules: which terms a text is indexed
//! under, how a query is read, whether a text (once decrypted) really
//! matches, and the snippet shown with its matches marked.
//!
//! The index stores no words: the store keeps a keyed hash of each
//! [`IndexTerm`] (crypto's `KeyRing::search_term`), so the index proposes
//! candidates and [`matches`] decides on the decrypted text. That keeps
//! truncation and hash collisions from ever showing a wrong result, and
//! makes the index's one promise the property tested below: a text that
//! matches a query is always among the candidates the query's terms find.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

/// Prefixes are indexed from this many characters: a shorter query term
/// matches whole words only.
pub const MIN_PREFIX: usize = 3;
/// Prefixes are indexed up to this many characters; a longer query term is
/// looked up by its first `MAX_PREFIX` characters and then checked whole.
pub const MAX_PREFIX: usize = 12;
/// Words are indexed whole up to this many characters (the rest is cut).
pub const MAX_WORD: usize = 40;
/// A query's limits.
pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_QUERY_TERMS: usize = 8;
/// The shortest query term: one letter would find nearly everything.
pub const MIN_QUERY_TERM: usize = 2;

/// One thing a text is indexed under: a whole word or the start of one.
/// The two are hashed apart, so a word never answers for a prefix.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexTerm {
    Word(String),
    Prefix(String),
}

impl IndexTerm {
    /// What the keyed hash binds besides the text, so the kinds differ.
    pub fn kind(&self) -> &'static str {
        match self {
            IndexTerm::Word(_) => "word",
            IndexTerm::Prefix(_) => "prefix",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            IndexTerm::Word(t) | IndexTerm::Prefix(t) => t,
        }
    }
}

/// Which text an index entry is for: a message's body, (on a
/// conversation's first message) the conversation's subject, a staff
/// member's internal note, or a correction appended to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchSource {
    Body,
    Subject,
    Note,
    Amendment,
}

impl SearchSource {
    pub const ALL: [SearchSource; 4] =
        [SearchSource::Body, SearchSource::Subject, SearchSource::Note, SearchSource::Amendment];

    pub const fn as_str(self) -> &'static str {
        match self {
            SearchSource::Body => "body",
            SearchSource::Subject => "subject",
            SearchSource::Note => "note",
            SearchSource::Amendment => "amendment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Words of health information: never printed.
impl fmt::Debug for IndexTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndexTerm::{}(<redacted>)", self.kind())
    }
}

/// A word as it is indexed and compared: compatibility-decomposed, accents
/// and other combining marks dropped, lower case.
pub fn normalise_word(word: &str) -> String {
    word.nfkd().flat_map(char::to_lowercase).filter(|c| !is_combining_mark(*c)).collect()
}

/// The words of `text` with their byte ranges in it: runs of letters and
/// digits (so "500mg" is one word and "don't" is two).
fn words(text: &str) -> impl Iterator<Item = (Range<usize>, String)> + '_ {
    let mut start = None;
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out.into_iter().filter_map(move |r| {
        let w = normalise_word(text.get(r.clone())?);
        (!w.is_empty()).then_some((r, w))
    })
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Everything `text` is indexed under: each word whole (cut at
/// [`MAX_WORD`] characters) and its prefixes of [`MIN_PREFIX`] to
/// [`MAX_PREFIX`] characters, each once.
pub fn index_terms(text: &str) -> BTreeSet<IndexTerm> {
    let mut terms = BTreeSet::new();
    for (_, word) in words(text) {
        let len = word.chars().count();
        for n in MIN_PREFIX..=len.min(MAX_PREFIX) {
            terms.insert(IndexTerm::Prefix(first_chars(&word, n)));
        }
        terms.insert(IndexTerm::Word(first_chars(&word, MAX_WORD)));
    }
    terms
}

/// One word of a query, normalised.
#[derive(Clone, PartialEq, Eq)]
pub struct QueryTerm(String);

impl QueryTerm {
    /// Whether `word` (normalised) answers this term: it starts with the
    /// term, or, for a term shorter than [`MIN_PREFIX`], is the term.
    pub fn answers(&self, word: &str) -> bool {
        if self.0.chars().count() < MIN_PREFIX { word == self.0 } else { word.starts_with(&self.0) }
    }

    /// What the index is asked for: every text with a word that answers
    /// the term is indexed under it.
    pub fn index_term(&self) -> IndexTerm {
        let len = self.0.chars().count();
        if len < MIN_PREFIX {
            IndexTerm::Word(self.0.clone())
        } else {
            IndexTerm::Prefix(first_chars(&self.0, MAX_PREFIX))
        }
    }
}

impl fmt::Debug for QueryTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueryTerm(<redacted>)")
    }
}

/// A search as typed, read into terms that must all be found (in any
/// order, each as the start of a word).
#[derive(Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<QueryTerm>,
}

impl fmt::Debug for SearchQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SearchQuery({} terms)", self.terms.len())
    }
}

/// Why a query cannot be run, worded to be shown as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryProblem {
    /// Nothing of two letters or more to look for.
    Empty,
    TooLong,
    TooManyTerms,
}

impl fmt::Display for QueryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryProblem::Empty => f.write_str("type a word of at least two letters to search for"),
            QueryProblem::TooLong => write!(f, "a search is at most {MAX_QUERY_CHARS} characters"),
            QueryProblem::TooManyTerms => write!(f, "a search is at most {MAX_QUERY_TERMS} words"),
        }
    }
}

impl SearchQuery {
    /// Reads a typed search. Words of one letter are left out (they would
    /// find nearly everything); the same word twice counts once.
    pub fn parse(typed: &str) -> Result<SearchQuery, QueryProblem> {
        if typed.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryProblem::TooLong);
        }
        let mut terms: Vec<QueryTerm> = Vec::new();
        for (_, word) in words(typed) {
            if word.chars().count() < MIN_QUERY_TERM || terms.iter().any(|t| t.0 == word) {
                continue;
            }
            terms.push(QueryTerm(word));
        }
        if terms.is_empty() {
            return Err(QueryProblem::Empty);
        }
        if terms.len() > MAX_QUERY_TERMS {
            return Err(QueryProblem::TooManyTerms);
        }
        Ok(SearchQuery { terms })
    }

    pub fn terms(&self) -> &[QueryTerm] {
        &self.terms
    }

    /// What to ask the index for: a candidate is indexed under all of them.
    pub fn index_terms(&self) -> BTreeSet<IndexTerm> {
        self.terms.iter().map(QueryTerm::index_term).collect()
    }
}

/// Whether `text` answers `query`: every term answers some word of it.
pub fn matches(query: &SearchQuery, text: &str) -> bool {
    let words: Vec<String> = words(text).map(|(_, w)| w).collect();
    query.terms.iter().all(|t| words.iter().any(|w| t.answers(w)))
}

/// Byte ranges of `text`'s words that answer some term of `query`, in
/// order.
pub fn marks(query: &SearchQuery, text: &str) -> Vec<Range<usize>> {
    words(text).filter(|(_, w)| query.terms.iter().any(|t| t.answers(w))).map(|(r, _)| r).collect()
}

/// A piece of a text to show in a result, with the words that matched
/// marked (byte ranges into `text`).
#[derive(Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub marks: Vec<Range<usize>>,
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Snippet(<redacted>, {} marks)", self.marks.len())
    }
}

const ELLIPSIS: &str = "…";

/// At most `max_chars` characters of `text` (plus an ellipsis at a cut
/// end) around its first match, starting a little before it, with every
/// whole match inside marked. Line breaks become spaces.
pub fn snippet(query: &SearchQuery, text: &str, max_chars: usize) -> Snippet {
    let flat: String = text.chars().map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c }).collect();
    let all = marks(query, &flat);
    let lead = max_chars / 4;
    // Start `lead` characters before the first match, at a char boundary.
    let first = all.first().map_or(0, |r| r.start);
    let chars_before = flat.get(..first).map_or(0, |s| s.chars().count());
    let skip = chars_before.saturating_sub(lead);
    let start = flat.char_indices().nth(skip).map_or(flat.len(), |(i, _)| i);
    let end = flat.get(start..).and_then(|s| s.char_indices().nth(max_chars)).map_or(flat.len(), |(i, _)| start + i);
    let body = flat.get(start..end).unwrap_or("");
    let prefix = if start > 0 { ELLIPSIS } else { "" };
    let suffix = if end < flat.len() { ELLIPSIS } else { "" };
    let shift = prefix.len();
    let marks = all
        .into_iter()
        .filter(|r| r.start >= start && r.end <= end)
        .map(|r| (r.start - start + shift)..(r.end - start + shift))
        .collect();
    Snippet { text: format!("{prefix}{body}{suffix}"), marks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &str) -> SearchQuery {
        SearchQuery::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn words_are_folded_and_prefixes_bounded() {
        let terms = index_terms("Café REFILL, 500mg");
        assert!(terms.contains(&IndexTerm::Word("cafe".into())));
        assert!(terms.contains(&IndexTerm::Prefix("caf".into())));
        assert!(terms.contains(&IndexTerm::Prefix("refill".into())));
        assert!(terms.contains(&IndexTerm::Word("500mg".into())));
        assert!(!terms.contains(&IndexTerm::Prefix("re".into())), "prefixes start at three characters");
        let long = index_terms("pneumonoultramicroscopic");
        assert!(long.contains(&IndexTerm::Prefix("pneumonoultr".into())));
        assert!(!long.iter().any(|t| matches!(t, IndexTerm::Prefix(p) if p.chars().count() > MAX_PREFIX)));
    }

    #[test]
    fn a_query_needs_every_term_as_the_start_of_a_word() {
        let text = "My lisinopril refill ran out on Tuesday";
        assert!(matches(&q("refill lisino"), text));
        assert!(matches(&q("TUESDAY"), text));
        assert!(!matches(&q("refill metformin"), text));
        assert!(!matches(&q("fill"), text), "the middle of a word does not count");
        assert!(matches(&q("on"), text), "a two-letter term is a whole word");
        assert!(!matches(&q("ou"), text), "not the start of 'out'");
    }

    #[test]
    fn queries_are_bounded_and_need_a_real_word() {
        assert_eq!(SearchQuery::parse("  ").unwrap_err(), QueryProblem::Empty);
        assert_eq!(SearchQuery::parse("a b c").unwrap_err(), QueryProblem::Empty);
        assert_eq!(SearchQuery::parse(&"x".repeat(201)).unwrap_err(), QueryProblem::TooLong);
        assert_eq!(SearchQuery::parse("aa bb cc dd ee ff gg hh ii").unwrap_err(), QueryProblem::TooManyTerms);
        assert_eq!(q("refill Refill REFILL").terms().len(), 1);
        assert_eq!(format!("{:?}", q("lisinopril")), "SearchQuery(1 terms)");
        assert!(!format!("{:?}", index_terms("lisinopril")).contains("lisin"));
    }

    #[test]
    fn a_snippet_is_cut_around_the_first_match_and_marks_it() {
        let text = format!("{} the rash on my arm is spreading {}", "word ".repeat(40), "more ".repeat(40));
        let s = snippet(&q("rash"), &text, 60);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'), "{}", s.text);
        assert_eq!(s.marks.len(), 1);
        assert_eq!(s.text.get(s.marks[0].clone()), Some("rash"));
        let short = snippet(&q("rash"), "Rash\nagain", 60);
        assert_eq!(short.text, "Rash again");
        assert_eq!(short.marks, vec![0..4]);
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z]{1,15}",
                "[0-9]{1,4}",
                Just("café".to_owned()),
                Just("Ünïcödé".to_owned()),
                Just("ﬁle".to_owned()),
                "[ .,!?\n-]{1,3}",
            ],
            0..30,
        )
        .prop_map(|parts| parts.join(" "))
    }

    proptest! {
        /// The index's promise: a text that matches a query is indexed
        /// under every term the query asks the index for.
        #[test]
        fn the_index_never_misses_a_match(text in text_strategy(), typed in "[a-zA-Zé ]{1,40}") {
            if let Ok(query) = SearchQuery::parse(&typed)
                && matches(&query, &text)
            {
                let indexed = index_terms(&text);
                for t in query.index_terms() {
                    prop_assert!(indexed.contains(&t));
                }
            }
        }

        /// Any word of a text, or its start, finds the text.
        #[test]
        fn every_word_finds_its_text(text in text_strategy(), cut in 2usize..20) {
            for (_, word) in words(&text) {
                let typed: String = word.chars().take(cut.max(MIN_PREFIX)).collect();
                if typed.chars().count() < MIN_QUERY_TERM || typed.chars().any(|c| !c.is_alphanumeric()) {
                    continue;
                }
                if let Ok(query) = SearchQuery::parse(&typed) {
                    prop_assert!(matches(&query, &text));
                    let indexed = index_terms(&text);
                    prop_assert!(query.index_terms().iter().all(|t| indexed.contains(t)));
                }
            }
        }

        /// Marks fall on character boundaries inside the snippet, and each
        /// marks a word that answers the query.
        #[test]
        fn snippet_marks_are_whole_matching_words(text in text_strategy(), typed in "[a-z]{2,6}", max in 10usize..120) {
            let query = q(&typed);
            let s = snippet(&query, &text, max);
            for m in &s.marks {
                let marked = s.text.get(m.clone());
                prop_assert!(marked.is_some());
                let word = normalise_word(marked.unwrap_or(""));
                prop_assert!(query.terms().iter().any(|t| t.answers(&word)));
            }
            prop_assert!(s.text.chars().count() <= max + 2);
        }
    }
}
