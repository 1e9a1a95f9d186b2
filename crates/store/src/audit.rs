//! Reading and verifying the audit log. Appending is the writer's job
//! (see `writer.rs`), inside the same transaction as the change it records.

use crate::rows::{col, opt_id, ts};
use crate::{Store, StoreError};
use sqlx::any::AnyRow;
use switchboard_crypto::AuditMac;
use switchboard_domain::audit::verify::{VerifyProblem, VerifyReport};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome, ResourceKind};
use switchboard_domain::ids::{EhrClientId, OperatorKeyId, PatientId, PracticeId, UserId};
use switchboard_domain::role::UserKind;
use switchboard_domain::time::Timestamp;

/// A search of one practice's audit log, newest first.
#[derive(Clone, Debug)]
pub struct AuditQuery {
    pub practice: PracticeId,
    pub patient: Option<PatientId>,
    pub actor: Option<UserId>,
    /// An action code (`conversation_viewed`).
    pub action: Option<&'static str>,
    /// An outcome code (`success`, `denied`, `failed`).
    pub outcome: Option<&'static str>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only entries older than this sequence number (paging).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub record: AuditRecord,
}

const COLUMNS: &str = "seq, at, practice_id, actor_kind, actor_id, action, outcome, patient_id, resource_kind, resource_id, client_addr, detail, mac";

fn decode(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let actor_kind: String = col(row, "actor_kind")?;
    let actor_id = opt_id(row, "actor_id", UserId::from_slice)?;
    let actor = match (actor_kind.as_str(), actor_id) {
        ("anonymous", None) => AuditActor::Anonymous,
        ("system", None) => AuditActor::System,
        ("operator", Some(id)) => AuditActor::Operator { key: OperatorKeyId::from_bytes(*id.as_bytes()) },
        ("ehr_client", Some(id)) => AuditActor::EhrClient { client: EhrClientId::from_bytes(*id.as_bytes()) },
        (k, Some(id)) => AuditActor::User { id, kind: UserKind::parse(k).ok_or(StoreError::Corrupt("actor_kind"))? },
        _ => return Err(StoreError::Corrupt("actor_kind")),
    };
    let resource_kind: Option<String> = col(row, "resource_kind")?;
    let resource_id: Option<Vec<u8>> = col(row, "resource_id")?;
    let resource = match (resource_kind, resource_id) {
        (None, None) => None,
        (Some(k), Some(id)) => Some((
            ResourceKind::parse(&k).ok_or(StoreError::Corrupt("resource_kind"))?,
            <[u8; 16]>::try_from(id.as_slice()).map_err(|_| StoreError::Corrupt("resource_id"))?,
        )),
        _ => return Err(StoreError::Corrupt("resource")),
    };
    let action: String = col(row, "action")?;
    let outcome: String = col(row, "outcome")?;
    Ok(AuditEntry {
        seq: col(row, "seq")?,
        // Every field spelled out rather than `AuditRecord::new` and its
        // defaults: a field added to the record must fail to compile here
        // until it is read back, or stored entries would lose it.
        record: AuditRecord {
            at: ts(row, "at")?,
            practice: opt_id(row, "practice_id", PracticeId::from_slice)?,
            actor,
            action: AuditAction::parse(&action).ok_or(StoreError::Corrupt("action"))?,
            outcome: Outcome::parse(&outcome).ok_or(StoreError::Corrupt("outcome"))?,
            patient: opt_id(row, "patient_id", PatientId::from_slice)?,
            resource,
            client_addr: col(row, "client_addr")?,
            detail: col(row, "detail")?,
        },
    })
}

pub async fn search(store: &Store, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE practice_id = $1 AND ($2 IS NULL OR patient_id = $2) \
         AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
         AND ($6 IS NULL OR seq < $6) AND ($8 IS NULL OR action = $8) AND ($9 IS NULL OR outcome = $9) ORDER BY seq DESC LIMIT $7"
    );
    let rows = sqlx::query(&sql)
        .bind(q.practice.to_vec())
        .bind(q.patient.map(|p| p.to_vec()))
        .bind(q.actor.map(|a| a.to_vec()))
        .bind(q.from.map(Timestamp::as_micros))
        .bind(q.to.map(Timestamp::as_micros))
        .bind(q.before_seq)
        .bind(q.limit)
        .bind(q.action)
        .bind(q.outcome)
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(decode).collect()
}

const VERIFY_PAGE: i64 = 5000;

/// Recomputes the whole chain. On a mismatch it reports and continues from
/// the stored MAC, so one run lists every damaged place.
pub async fn verify(store: &Store, mac: &AuditMac) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut prev = AuditMac::GENESIS;
    let mut last_seq = 0i64;
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    loop {
        let rows = sqlx::query(&sql).bind(last_seq).bind(VERIFY_PAGE).fetch_all(store.reader()).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq: i64 = col(row, "seq")?;
            let stored: Vec<u8> = col(row, "mac")?;
            let stored: [u8; 32] = stored.as_slice().try_into().unwrap_or([0u8; 32]);
            if seq != last_seq + 1 {
                report.problems.push(VerifyProblem::Missing { after: last_seq, next: seq });
            }
            match decode(row) {
                Ok(entry) => {
                    if mac.chain(&prev, &entry.record.canonical_bytes(seq)) != stored {
                        report.problems.push(VerifyProblem::Altered { seq });
                    }
                }
                Err(_) => report.problems.push(VerifyProblem::Unreadable { seq }),
            }
            prev = stored;
            last_seq = seq;
            report.entries += 1;
        }
    }
    report.last_seq = last_seq;
    let head = sqlx::query("SELECT seq, mac FROM audit_head WHERE id = 1").fetch_one(store.reader()).await?;
    let head_seq: i64 = col(&head, "seq")?;
    let head_mac: Vec<u8> = col(&head, "mac")?;
    if head_seq > last_seq {
        report.problems.push(VerifyProblem::Truncated { last: last_seq, head: head_seq });
    } else if head_seq != last_seq || head_mac.as_slice() != prev.as_slice() {
        report.problems.push(VerifyProblem::HeadMismatch);
    }
    Ok(report)
}

/// The operator's log: entries that belong to no practice (sign-in
/// failures for unknown names, unknown link tokens, operator key use),
/// newest first, older than `before_seq` when given.
pub async fn unplaced(store: &Store, before_seq: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE practice_id IS NULL AND ($1 IS NULL OR seq < $1) ORDER BY seq DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql).bind(before_seq).bind(limit).fetch_all(store.reader()).await?;
    rows.iter().map(decode).collect()
}

/// Whether the chain's last link was made with the audit key on hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadCheck {
    /// Nothing was written yet.
    Empty,
    /// The last entry's MAC recomputes under the key, and the head row
    /// agrees with it.
    Verified,
    /// The last entry's MAC does not recompute under this key: another key
    /// wrote it (or the entry was altered).
    WrongKey,
    /// The head row and the last entry disagree: the log was cut or edited
    /// (`audit verify` says where).
    Damaged,
}

/// Recomputes only the newest link of the chain: cheap enough for every
/// start and every readiness probe, and enough to tell a wrong audit key.
pub async fn verify_head(store: &Store, mac: &AuditMac) -> Result<HeadCheck, StoreError> {
    let head = sqlx::query("SELECT seq, mac FROM audit_head WHERE id = 1").fetch_one(store.reader()).await?;
    let head_seq: i64 = col(&head, "seq")?;
    let head_mac: Vec<u8> = col(&head, "mac")?;
    if head_seq == 0 {
        return Ok(HeadCheck::Empty);
    }
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq <= $1 ORDER BY seq DESC LIMIT 2");
    let rows = sqlx::query(&sql).bind(head_seq).fetch_all(store.reader()).await?;
    let mut rows = rows.iter();
    let Some(last) = rows.next() else { return Ok(HeadCheck::Damaged) };
    let seq: i64 = col(last, "seq")?;
    let stored: Vec<u8> = col(last, "mac")?;
    if seq != head_seq || stored != head_mac {
        return Ok(HeadCheck::Damaged);
    }
    let prev: [u8; 32] = match rows.next() {
        Some(row) if col::<i64>(row, "seq")? == seq - 1 => {
            col::<Vec<u8>>(row, "mac")?.as_slice().try_into().map_err(|_| StoreError::Corrupt("audit mac"))?
        }
        Some(_) => return Ok(HeadCheck::Damaged),
        None if seq == 1 => AuditMac::GENESIS,
        None => return Ok(HeadCheck::Damaged),
    };
    let Ok(entry) = decode(last) else { return Ok(HeadCheck::Damaged) };
    if mac.chain(&prev, &entry.record.canonical_bytes(seq)).as_slice() == stored.as_slice() {
        Ok(HeadCheck::Verified)
    } else {
        Ok(HeadCheck::WrongKey)
    }
}

/// Latest entries of the whole log (all practices), for operators' tools.
pub async fn latest(store: &Store, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1");
    let rows = sqlx::query(&sql).bind(limit).fetch_all(store.reader()).await?;
    rows.iter().map(decode).collect()
}

/// The chain's head: the last entry's number and MAC (0 and the genesis
/// value before the first entry), for a checkpoint.
pub async fn head(store: &Store) -> Result<(i64, [u8; 32]), StoreError> {
    let head = sqlx::query("SELECT seq, mac FROM audit_head WHERE id = 1").fetch_one(store.reader()).await?;
    let seq: i64 = col(&head, "seq")?;
    let mac: Vec<u8> = col(&head, "mac")?;
    Ok((seq, mac.as_slice().try_into().map_err(|_| StoreError::Corrupt("audit head mac"))?))
}

/// The MAC stored with entry `seq`, if there is one.
pub async fn mac_at(store: &Store, seq: i64) -> Result<Option<[u8; 32]>, StoreError> {
    let row = sqlx::query("SELECT mac FROM audit_log WHERE seq = $1").bind(seq).fetch_optional(store.reader()).await?;
    row.map(|r| {
        let mac: Vec<u8> = col(&r, "mac")?;
        mac.as_slice().try_into().map_err(|_| StoreError::Corrupt("audit mac"))
    })
    .transpose()
}
