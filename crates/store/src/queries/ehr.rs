//! EHR systems as clients (SMART Backend Services): their registrations,
//! access tokens by hash, spent assertion ids; and the record's walk for
//! FHIR `Communication` search: messages and conversations (each
//! conversation is the parent `Communication` its messages are `partOf`),
//! in the practice, never a conversation marked sensitive, in
//! (sent, id) order. Whether a client may have what it asks is the
//! service's to decide; this module only answers what is there.

use crate::rows::{col, id, opt_ts, ts};
use crate::{Conflict, Step, Store, StoreError};
use switchboard_domain::ids::*;
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;

/// A registered client as stored (`jwks` and `scopes` as registered, to be
/// parsed by the caller).
#[derive(Clone, Debug)]
pub struct ClientRow {
    pub id: EhrClientId,
    pub practice: PracticeId,
    pub name: String,
    pub scopes: String,
    pub jwks: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

const CLIENT_COLUMNS: &str =
    "SELECT id, practice_id, name, scopes, jwks, created_by, created_at, revoked_at, last_used_at FROM ehr_clients";

fn client_row(r: &sqlx::any::AnyRow) -> Result<ClientRow, StoreError> {
    Ok(ClientRow {
        id: id(r, "id", EhrClientId::from_slice)?,
        practice: id(r, "practice_id", PracticeId::from_slice)?,
        name: col(r, "name")?,
        scopes: col(r, "scopes")?,
        jwks: col(r, "jwks")?,
        created_by: id(r, "created_by", UserId::from_slice)?,
        created_at: ts(r, "created_at")?,
        revoked_at: opt_ts(r, "revoked_at")?,
        last_used_at: opt_ts(r, "last_used_at")?,
    })
}

pub struct NewClient<'a> {
    pub id: EhrClientId,
    pub practice: PracticeId,
    pub name: &'a str,
    pub scopes: &'a str,
    pub jwks: &'a str,
    pub by: UserId,
    pub at: Timestamp,
}

pub fn insert_client(c: &NewClient<'_>) -> Step {
    Step::new(
        "INSERT INTO ehr_clients (id, practice_id, name, scopes, jwks, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            c.id.to_vec().into(),
            c.practice.to_vec().into(),
            c.name.into(),
            c.scopes.into(),
            c.jwks.into(),
            c.by.to_vec().into(),
            c.at.as_micros().into(),
        ],
    )
}

/// Revokes a practice's client once (`client_missing` otherwise), and ends
/// its tokens with it.
pub fn revoke_client(practice: PracticeId, client: EhrClientId, by: UserId, at: Timestamp) -> [Step; 2] {
    [
        Step::new(
            "UPDATE ehr_clients SET revoked_at = $3, revoked_by = $4 \
             WHERE id = $1 AND practice_id = $2 AND revoked_at IS NULL",
            vec![client.to_vec().into(), practice.to_vec().into(), at.as_micros().into(), by.to_vec().into()],
        )
        .guarded(Conflict::ClientMissing),
        Step::new("DELETE FROM ehr_tokens WHERE client_id = $1", vec![client.to_vec().into()]),
    ]
}

pub async fn clients(store: &Store, practice: PracticeId) -> Result<Vec<ClientRow>, StoreError> {
    let sql = format!("{CLIENT_COLUMNS} WHERE practice_id = $1 ORDER BY created_at, id");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(client_row).collect()
}

pub async fn client(store: &Store, client: EhrClientId) -> Result<Option<ClientRow>, StoreError> {
    let sql = format!("{CLIENT_COLUMNS} WHERE id = $1");
    let row = sqlx::query(&sql).bind(client.to_vec()).fetch_optional(store.reader()).await?;
    row.map(|r| client_row(&r)).transpose()
}

/// Spends an assertion's `jti` for a client, once (`assertion_replayed`
/// when it was used before), and records the token issued for it.
pub fn issue_token(
    client: EhrClientId,
    jti: &str,
    assertion_expires: Timestamp,
    token_hash: &[u8; 32],
    scopes: &str,
    at: Timestamp,
    expires: Timestamp,
) -> [Step; 3] {
    [
        Step::new(
            "INSERT INTO ehr_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![client.to_vec().into(), jti.into(), assertion_expires.as_micros().into()],
        )
        .guarded(Conflict::AssertionReplayed),
        Step::new(
            "INSERT INTO ehr_tokens (token_hash, client_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                token_hash.to_vec().into(),
                client.to_vec().into(),
                scopes.into(),
                at.as_micros().into(),
                expires.as_micros().into(),
            ],
        ),
        Step::new(
            "UPDATE ehr_clients SET last_used_at = $2 WHERE id = $1",
            vec![client.to_vec().into(), at.as_micros().into()],
        ),
    ]
}

/// A live token's client and scopes (`None` when unknown, expired, or its
/// client revoked).
pub async fn token(store: &Store, hash: &[u8; 32], now: Timestamp) -> Result<Option<(ClientRow, String)>, StoreError> {
    let sql = "SELECT c.id, c.practice_id, c.name, c.scopes AS scopes, c.jwks, c.created_by, c.created_at, \
         c.revoked_at, c.last_used_at, t.scopes AS token_scopes FROM ehr_tokens t JOIN ehr_clients c ON c.id = t.client_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL";
    let row = sqlx::query(sql).bind(hash.to_vec()).bind(now.as_micros()).fetch_optional(store.reader()).await?;
    row.map(|r| Ok((client_row(&r)?, col(&r, "token_scopes")?))).transpose()
}

/// Housekeeping: tokens and spent assertion ids past their time.
pub fn purge_expired(now: Timestamp) -> [Step; 2] {
    [
        Step::new("DELETE FROM ehr_tokens WHERE expires_at <= $1", vec![now.as_micros().into()]),
        Step::new("DELETE FROM ehr_assertions WHERE expires_at <= $1", vec![now.as_micros().into()]),
    ]
}

/// A `Communication` as the record's walk finds it: a message, or a
/// conversation (the parent its messages are `partOf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordItem {
    Message(MessageId),
    Conversation(ConversationId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHit {
    pub item: RecordItem,
    pub conversation: ConversationId,
    /// When it was sent (a conversation: when it was started).
    pub at: Timestamp,
}

/// Who sent or received, as a search names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The patient themself (not a caregiver writing for them).
    Patient(PatientId),
    Staff(UserId),
    /// The practice's care team as a whole (what a patient writes to).
    Practice(PracticeId),
}

/// A bound on a time, inclusive or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub at: Timestamp,
    pub inclusive: bool,
}

/// A range of times (either end open).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
}

/// What a `Communication` search narrows to. Each list is or-ed within and
/// and-ed with the others; an empty list does not narrow.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub patients: Vec<PatientId>,
    pub senders: Vec<Party>,
    pub recipients: Vec<Party>,
    /// `part-of`: the messages of these conversations.
    pub part_of: Vec<ConversationId>,
    pub topics: Vec<Topic>,
    /// `_id`: messages or conversations by id.
    pub ids: Vec<[u8; 16]>,
    /// `sent`: each range must hold.
    pub sent: Vec<Range>,
    /// `_lastUpdated`: each range must hold.
    pub updated: Vec<Range>,
    /// Where the previous page ended.
    pub after: Option<(Timestamp, [u8; 16])>,
}

enum Bind {
    Bytes(Vec<u8>),
    Int(i64),
    Text(&'static str),
}

/// A message's last change: sent, corrected, or first read by the other
/// side (`received`); a conversation's: its last activity.
const WALK: &str = "SELECT 'm' AS rk, m2.id AS rid, m2.cid AS cid, m2.at AS at, m2.sender AS sender, m2.skind AS skind, \
     CASE WHEN m2.amended >= m2.received THEN m2.amended ELSE m2.received END AS upd FROM (\
     SELECT m.id AS id, m.conversation_id AS cid, m.sent_at AS at, m.sender_id AS sender, m.sender_kind AS skind, \
     COALESCE((SELECT MAX(am.created_at) FROM amendments am WHERE am.message_id = m.id), m.sent_at) AS amended, \
     COALESCE((SELECT MIN(rd.read_at) FROM message_reads rd WHERE rd.message_id = m.id AND rd.reader_kind = CASE WHEN m.sender_kind = 'patient' THEN 'staff' ELSE 'patient' END), m.sent_at) AS received \
     FROM messages m) m2 \
     UNION ALL SELECT 'c' AS rk, c0.id AS rid, c0.id AS cid, c0.created_at AS at, c0.created_by AS sender, u0.kind AS skind, \
     c0.last_activity_at AS upd FROM conversations c0 JOIN users u0 ON u0.id = c0.created_by";

fn range_sql(sql: &mut String, binds: &mut Vec<Bind>, n: &mut usize, column: &str, r: &Range) {
    let mut next = |b: Bind, binds: &mut Vec<Bind>| {
        *n += 1;
        binds.push(b);
        format!("${n}")
    };
    if let Some(f) = r.from {
        let p = next(Bind::Int(f.at.as_micros()), binds);
        sql.push_str(&format!(" AND x.{column} {} {p}", if f.inclusive { ">=" } else { ">" }));
    }
    if let Some(t) = r.to {
        let p = next(Bind::Int(t.at.as_micros()), binds);
        sql.push_str(&format!(" AND x.{column} {} {p}", if t.inclusive { "<=" } else { "<" }));
    }
}

/// One page of the practice's record in (sent, id) order: `limit` hits
/// and whether more follow. Conversations marked sensitive are never
/// walked.
pub async fn walk(
    store: &Store,
    practice: PracticeId,
    f: &RecordFilter,
    limit: i64,
) -> Result<(Vec<RecordHit>, bool), StoreError> {
    let mut binds: Vec<Bind> = vec![Bind::Bytes(practice.to_vec())];
    let mut n = 1usize;
    let mut sql = format!(
        "SELECT x.rk, x.rid, x.cid, x.at FROM ({WALK}) x JOIN conversations c ON c.id = x.cid \
         WHERE c.practice_id = $1 AND c.sensitivity IS NULL"
    );
    let param = |b: Bind, binds: &mut Vec<Bind>, n: &mut usize| {
        *n += 1;
        binds.push(b);
        format!("${n}")
    };
    let list = |items: Vec<String>| format!("({})", items.join(" OR "));
    if !f.patients.is_empty() {
        let ors = f
            .patients
            .iter()
            .map(|p| format!("c.patient_id = {}", param(Bind::Bytes(p.to_vec()), &mut binds, &mut n)))
            .collect();
        sql.push_str(&format!(" AND {}", list(ors)));
    }
    if !f.part_of.is_empty() {
        let ors = f
            .part_of
            .iter()
            .map(|c| format!("(x.rk = 'm' AND x.cid = {})", param(Bind::Bytes(c.to_vec()), &mut binds, &mut n)))
            .collect();
        sql.push_str(&format!(" AND {}", list(ors)));
    }
    if !f.ids.is_empty() {
        let ors =
            f.ids.iter().map(|i| format!("x.rid = {}", param(Bind::Bytes(i.to_vec()), &mut binds, &mut n))).collect();
        sql.push_str(&format!(" AND {}", list(ors)));
    }
    if !f.topics.is_empty() {
        let ors = f
            .topics
            .iter()
            .map(|t| format!("c.topic = {}", param(Bind::Text(t.as_str()), &mut binds, &mut n)))
            .collect();
        sql.push_str(&format!(" AND {}", list(ors)));
    }
    for (parties, sending) in [(&f.senders, true), (&f.recipients, false)] {
        if parties.is_empty() {
            continue;
        }
        let mut ors = Vec::new();
        for party in parties {
            ors.push(match (party, sending) {
                (Party::Patient(p), true) => format!(
                    "(x.skind = 'patient' AND x.sender IN (SELECT pp.user_id FROM patients pp WHERE pp.id = {}))",
                    param(Bind::Bytes(p.to_vec()), &mut binds, &mut n)
                ),
                (Party::Staff(u), true) => {
                    format!("(x.skind = 'staff' AND x.sender = {})", param(Bind::Bytes(u.to_vec()), &mut binds, &mut n))
                }
                (Party::Practice(p), true) => {
                    format!(
                        "(x.skind = 'system' AND c.practice_id = {})",
                        param(Bind::Bytes(p.to_vec()), &mut binds, &mut n)
                    )
                }
                (Party::Patient(p), false) => format!(
                    "(x.skind <> 'patient' AND c.patient_id = {})",
                    param(Bind::Bytes(p.to_vec()), &mut binds, &mut n)
                ),
                (Party::Practice(p), false) => {
                    format!(
                        "(x.skind = 'patient' AND c.practice_id = {})",
                        param(Bind::Bytes(p.to_vec()), &mut binds, &mut n)
                    )
                }
                // Patients write to the care team, not to a person.
                (Party::Staff(_), false) => "1 = 0".to_owned(),
            });
        }
        sql.push_str(&format!(" AND {}", list(ors)));
    }
    for r in &f.sent {
        range_sql(&mut sql, &mut binds, &mut n, "at", r);
    }
    if !f.updated.is_empty() {
        // `upd` is only in the walk's select list for this filter.
        sql = sql.replacen("SELECT x.rk, x.rid, x.cid, x.at FROM", "SELECT x.rk, x.rid, x.cid, x.at, x.upd FROM", 1);
        for r in &f.updated {
            range_sql(&mut sql, &mut binds, &mut n, "upd", r);
        }
    }
    if let Some((at, item)) = f.after {
        let a = param(Bind::Int(at.as_micros()), &mut binds, &mut n);
        let b = param(Bind::Int(at.as_micros()), &mut binds, &mut n);
        let i = param(Bind::Bytes(item.to_vec()), &mut binds, &mut n);
        sql.push_str(&format!(" AND (x.at > {a} OR (x.at = {b} AND x.rid > {i}))"));
    }
    sql.push_str(&format!(" ORDER BY x.at, x.rid LIMIT {}", limit.saturating_add(1)));
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = match b {
            Bind::Bytes(v) => q.bind(v),
            Bind::Int(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
        };
    }
    let rows = q.fetch_all(store.reader()).await?;
    let more = rows.len() as i64 > limit;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        let kind: String = col(r, "rk")?;
        let conversation = id(r, "cid", ConversationId::from_slice)?;
        let item = match kind.as_str() {
            "m" => RecordItem::Message(id(r, "rid", MessageId::from_slice)?),
            _ => RecordItem::Conversation(id(r, "rid", ConversationId::from_slice)?),
        };
        out.push(RecordHit { item, conversation, at: ts(r, "at")? });
    }
    Ok((out, more))
}
