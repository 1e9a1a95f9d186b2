//! Searching sealed messages (issue 17): indexing each text people write
//! (a message's body, a conversation's subject, an internal note, a
//! correction) as it is written, under keyed hashes of its terms
//! (`domain::search`, `KeyRing::search_term`), and staff's searches: the
//! index proposes candidates within the staff member's list scope, the
//! policy is asked of each, and only text that decrypts and matches is
//! shown, as a snippet. Audited per patient shown, never with the terms.
//! `docs/search.md` has the design and what the index reveals.

use crate::access::facts;
use crate::auth::Principal;
use crate::sealing::{self, column};
use crate::{RequestContext, ServiceError, Switchboard};
use std::collections::{BTreeSet, HashMap};
use switchboard_domain::audit::AuditAction;
use switchboard_domain::ids::*;
use switchboard_domain::policy::{self, Actor, ConversationAction};
use switchboard_domain::search::{self, SearchQuery, SearchSource, Snippet};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_store::queries::{conversations as conv_q, search as q};
use switchboard_store::rows::ConversationRow;
use switchboard_store::{Step, Unit};

/// The job that indexes texts written before the index existed, a batch
/// at a time, each batch scheduling the next.
pub const SEARCH_BACKFILL: &str = "search_backfill";
const BACKFILL_BATCH: i64 = 500;

/// Results per page unless asked otherwise, and at most.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;
/// Characters of text around the first match.
const SNIPPET_CHARS: usize = 160;
/// Candidates fetched per round: more than a page, since some are not
/// shown (the policy, a hash collision, a long word's tail).
const BATCH: i64 = 200;

/// A text just written, to index (see `Switchboard::index_steps`).
pub(crate) struct Indexed<'a> {
    pub practice: PracticeId,
    pub conversation: ConversationId,
    /// The message, note or correction.
    pub item: [u8; 16],
    /// The message it belongs to; `None` for a note.
    pub message: Option<MessageId>,
    pub source: SearchSource,
    pub at: Timestamp,
    pub text: &'a str,
}

/// A search as asked.
#[derive(Clone, Debug, Default)]
pub struct SearchInput {
    pub q: String,
    pub patient: Option<PatientId>,
    pub topic: Option<Topic>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One text that matched.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub conversation: ConversationId,
    /// The message it is or belongs to; `None` for a note.
    pub message: Option<MessageId>,
    /// The note, when it is one.
    pub note: Option<NoteId>,
    /// Where it is in the newest-first order (the message, note or
    /// correction).
    pub item: [u8; 16],
    pub source: SearchSource,
    pub snippet: Snippet,
    pub sent_at: Timestamp,
    pub patient: PatientId,
    pub patient_name: String,
    pub subject: String,
    pub topic: Topic,
}

#[derive(Clone, Debug)]
pub struct SearchPage {
    pub results: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

// Every item's id is a UUID: written as one in the cursor.
fn cursor_text((at, item): (Timestamp, [u8; 16])) -> String {
    format!("{}~{}", at.as_micros(), MessageId::from_bytes(item))
}

fn parse_cursor(text: &str) -> Option<(Timestamp, [u8; 16])> {
    let (at, item) = text.split_once('~')?;
    Some((Timestamp::from_micros(at.parse().ok()?), *MessageId::parse(item).ok()?.as_bytes()))
}

impl Switchboard {
    /// The step, in the transaction that stores a text, that indexes it:
    /// one statement for all its terms (`BENCHMARKS.md` has its cost).
    pub(crate) fn index_steps(&self, entry: Indexed<'_>) -> Vec<Step> {
        let Indexed { practice, conversation, item, message, source, at, text } = entry;
        let terms = self.hashed_terms(practice, text);
        let entry = q::IndexEntry { practice, conversation, item, message, source, at, terms: &terms };
        q::index(self.store().backend(), &entry).into_iter().collect()
    }

    fn hashed_terms(&self, practice: PracticeId, text: &str) -> Vec<[u8; 16]> {
        search::index_terms(text)
            .iter()
            .map(|term| self.keys().search_term(practice.as_bytes(), term.kind(), term.text()))
            .collect()
    }

    /// The step that indexes one sealed text of `row` (none for a text
    /// without a word).
    fn text_index_steps(&self, row: &ConversationRow, t: &q::Unindexed) -> Result<Vec<Step>, ServiceError> {
        if t.sealed.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.conversation_key(row)?;
        let (col, aad) = match t.source {
            SearchSource::Body => (column::BODY, t.item),
            SearchSource::Subject => (column::SUBJECT, *row.id.as_bytes()),
            SearchSource::Note => (column::NOTE, t.item),
            SearchSource::Amendment => (column::AMENDMENT, t.item),
        };
        let text = sealing::open(&key, col, &aad, &t.sealed)?;
        Ok(self.index_steps(Indexed {
            practice: row.practice,
            conversation: row.id,
            item: t.item,
            message: t.message,
            source: t.source,
            at: t.at,
            text: &text,
        }))
    }

    /// Staff search the text of the conversations they may read: newest
    /// first, each result a snippet with its matches marked.
    pub async fn search_messages(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: SearchInput,
    ) -> Result<SearchPage, ServiceError> {
        if !matches!(p.actor, Actor::Staff(_)) {
            return Err(ServiceError::NotFound);
        }
        let query =
            SearchQuery::parse(&input.q).map_err(|e| ServiceError::Invalid { field: "q", problem: e.to_string() })?;
        let before = match input.cursor.as_deref() {
            None => None,
            Some(c) => Some(parse_cursor(c).ok_or(ServiceError::Invalid {
                field: "cursor",
                problem: "that is not a cursor of this search".into(),
            })?),
        };
        if let (Some(f), Some(t)) = (input.from, input.to)
            && f >= t
        {
            return Err(ServiceError::Invalid { field: "to", problem: "the end must be after the start".into() });
        }
        let limit = input.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
        let practice = p.user.practice;
        let terms: Vec<[u8; 16]> = query
            .index_terms()
            .iter()
            .map(|t| self.keys().search_term(practice.as_bytes(), t.kind(), t.text()))
            .collect();
        let mut narrowing =
            q::Narrowing { patient: input.patient, topic: input.topic, from: input.from, to: input.to, before };
        let mut rows: HashMap<ConversationId, Option<ConversationRow>> = HashMap::new();
        let mut results: Vec<SearchHit> = Vec::new();
        let mut shown: BTreeSet<[u8; 16]> = BTreeSet::new();
        let mut next_cursor = None;
        'rounds: loop {
            let batch = q::candidates(self.store(), practice, p.user.id, &terms, &narrowing, BATCH).await?;
            let full = batch.len() as i64 == BATCH;
            for c in &batch {
                if results.len() == limit {
                    // More may follow: the next page starts after the last shown.
                    next_cursor = results.last().map(|h| cursor_text((h.sent_at, h.item)));
                    break 'rounds;
                }
                narrowing.before = Some((c.at, c.item));
                if shown.contains(&c.item) {
                    continue;
                }
                if let Some(hit) = self.hit(p, &query, c, &mut rows).await? {
                    shown.insert(c.item);
                    results.push(hit);
                }
            }
            if !full {
                break;
            }
        }
        self.audit_search(p, ctx, &input, &results).await?;
        Ok(SearchPage { results, next_cursor })
    }

    /// A candidate as a result, if the caller may read its conversation and
    /// its text, decrypted, matches.
    async fn hit(
        &self,
        p: &Principal,
        query: &SearchQuery,
        c: &q::Candidate,
        rows: &mut HashMap<ConversationId, Option<ConversationRow>>,
    ) -> Result<Option<SearchHit>, ServiceError> {
        if let std::collections::hash_map::Entry::Vacant(slot) = rows.entry(c.conversation) {
            let row = conv_q::by_id(self.store(), c.conversation).await?;
            slot.insert(row.filter(|r| {
                policy::authorize_conversation(&p.actor, ConversationAction::View, &facts(r)).is_allowed()
            }));
        }
        let Some(Some(row)) = rows.get(&c.conversation) else { return Ok(None) };
        // Internal notes are for those who read them.
        if c.source == SearchSource::Note
            && !policy::authorize_conversation(&p.actor, ConversationAction::ViewNotes, &facts(row)).is_allowed()
        {
            return Ok(None);
        }
        let key = self.conversation_key(row)?;
        let subject = sealing::open(&key, column::SUBJECT, row.id.as_bytes(), &row.subject_ct)?;
        let text = match c.source {
            SearchSource::Subject => subject.clone(),
            source => {
                let col = match source {
                    SearchSource::Note => column::NOTE,
                    SearchSource::Amendment => column::AMENDMENT,
                    SearchSource::Body | SearchSource::Subject => column::BODY,
                };
                match q::sealed_text(self.store(), c.conversation, source, c.item).await? {
                    Some(ct) => sealing::open(&key, col, &c.item, &ct)?,
                    None => return Ok(None),
                }
            }
        };
        if !search::matches(query, &text) {
            return Ok(None);
        }
        Ok(Some(SearchHit {
            conversation: row.id,
            message: c.message,
            note: (c.source == SearchSource::Note).then(|| NoteId::from_bytes(c.item)),
            item: c.item,
            source: c.source,
            snippet: search::snippet(query, &text, SNIPPET_CHARS),
            sent_at: c.at,
            patient: row.patient.id,
            patient_name: self.patient_display_name(&row.patient)?,
            subject,
            topic: row.topic,
        }))
    }

    /// One record per patient whose messages were shown (or one with none),
    /// saying what narrowed the search, never what was searched for.
    async fn audit_search(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: &SearchInput,
        results: &[SearchHit],
    ) -> Result<(), ServiceError> {
        let narrowed: Vec<&str> = [
            input.patient.map(|_| "patient"),
            input.topic.map(|_| "topic"),
            input.from.map(|_| "from"),
            input.to.map(|_| "to"),
            input.cursor.as_ref().map(|_| "page"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut per_patient: Vec<(PatientId, usize)> = Vec::new();
        for h in results {
            match per_patient.iter_mut().find(|(id, _)| *id == h.patient) {
                Some((_, n)) => *n += 1,
                None => per_patient.push((h.patient, 1)),
            }
        }
        let detail = |n: usize| {
            format!("results={n};narrowed={}", if narrowed.is_empty() { "none".to_owned() } else { narrowed.join(",") })
        };
        let mut unit = Unit::new();
        if per_patient.is_empty() {
            unit.push_audit(
                self.record(p, ctx, AuditAction::MessagesSearched).with_patient(input.patient).with_detail(detail(0)),
            );
        }
        for (patient, n) in per_patient {
            unit.push_audit(
                self.record(p, ctx, AuditAction::MessagesSearched).with_patient(Some(patient)).with_detail(detail(n)),
            );
        }
        self.store().commit(unit).await?;
        Ok(())
    }

    /// One batch of the backfill: indexes the next texts written before the
    /// index existed (indexing is idempotent, so texts indexed as they were
    /// written are only walked over), records how far it came, and
    /// schedules the next batch until it reaches the end.
    pub(crate) async fn search_backfill(&self, _payload: &str) -> Result<(), String> {
        self.backfill_batch().await.map_err(|e| {
            tracing::warn!(error = %e, "a search backfill batch failed");
            "failed".to_owned()
        })
    }

    async fn backfill_batch(&self) -> Result<(), ServiceError> {
        let state = q::backfill_state(self.store()).await?;
        if state.as_ref().is_some_and(|s| s.done) {
            return Ok(());
        }
        let after = state.map_or((Timestamp::from_micros(i64::MIN), [0; 16], SearchSource::Body), |s| s.after);
        let texts = q::texts_after(self.store(), after, BACKFILL_BATCH).await?;
        let mut rows: HashMap<ConversationId, ConversationRow> = HashMap::new();
        let mut unit = Unit::new();
        for t in &texts {
            if let std::collections::hash_map::Entry::Vacant(slot) = rows.entry(t.conversation)
                && let Some(row) = conv_q::by_id(self.store(), t.conversation).await?
            {
                slot.insert(row);
            }
            if let Some(row) = rows.get(&t.conversation) {
                unit.extend(self.text_index_steps(row, t)?);
            }
        }
        let done = (texts.len() as i64) < BACKFILL_BATCH;
        let last = texts.last().map_or(after, |t| (t.at, t.item, t.source));
        unit.push(q::set_backfill_state(&q::BackfillState { after: last, done }));
        if !done {
            let job = self.new_id(JobId::from_bytes)?;
            let now = self.now();
            unit.push(switchboard_store::queries::jobs::enqueue(job, SEARCH_BACKFILL, "{}", now, 8, None, now));
        }
        self.store().commit(unit).await?;
        if done {
            tracing::info!("search index backfill finished");
        }
        Ok(())
    }
}
