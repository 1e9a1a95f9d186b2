//! FHIR search parameters for `Communication` (R4 §3.1.1 search): the
//! query string as pairs, each parameter read into the store's filter.
//! Dates take the prefixes `eq`, `gt`, `lt`, `ge`, `le`, `sa`, `eb` and any
//! precision from a year to fractions of a second; a value without a zone
//! is read in UTC. Unknown parameters and modifiers are refused (400), not
//! ignored: a filter silently dropped would send more of the record than
//! asked.

use switchboard_domain::ids::*;
use switchboard_domain::time::{Span, Timestamp};
use switchboard_domain::topic::Topic;
use switchboard_service::record::{Bound, Party, Range, RecordFilter};

/// The coding system of `Communication.category`: the practice's topics.
pub(crate) const TOPIC_SYSTEM: &str = "urn:switchboard:fhir:topic";
pub(crate) const DEFAULT_COUNT: i64 = 50;

/// A `Communication` search as asked.
#[derive(Debug, Default)]
pub(crate) struct Search {
    pub filter: RecordFilter,
    pub count: i64,
    /// A value that can match nothing here (a category that is not a
    /// topic): the answer is an empty page.
    pub matches_nothing: bool,
}

/// A refused parameter: the sentence for `OperationOutcome.diagnostics`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParamProblem(pub String);

fn problem(s: impl Into<String>) -> ParamProblem {
    ParamProblem(s.into())
}

/// `Type/id` or a bare id, for a parameter whose target is `expect`.
fn reference<'a>(value: &'a str, expect: &[&str], param: &str) -> Result<(Option<&'a str>, &'a str), ParamProblem> {
    match value.split_once('/') {
        Some((t, id)) if expect.contains(&t) => Ok((Some(t), id)),
        Some(_) => Err(problem(format!("`{param}` takes a reference to {}", expect.join(" or ")))),
        None => Ok((None, value)),
    }
}

fn uuid<T>(
    v: &str,
    param: &str,
    parse: fn(&str) -> Result<T, switchboard_domain::ids::InvalidId>,
) -> Result<T, ParamProblem> {
    parse(v).map_err(|_| problem(format!("`{param}` names no resource of this server (ids are UUIDs)")))
}

fn party(value: &str, param: &str) -> Result<Party, ParamProblem> {
    match reference(value, &["Patient", "Practitioner", "Organization"], param)? {
        (Some("Practitioner"), id) => Ok(Party::Staff(uuid(id, param, UserId::parse)?)),
        (Some("Organization"), id) => Ok(Party::Practice(uuid(id, param, PracticeId::parse)?)),
        (Some(_), id) => Ok(Party::Patient(uuid(id, param, PatientId::parse)?)),
        (None, _) => Err(problem(format!("`{param}` needs the type: Patient/…, Practitioner/… or Organization/…"))),
    }
}

/// Reads the query's pairs. `count` is bounded by `max`.
pub(crate) fn parse(pairs: &[(String, String)], max: i64) -> Result<Search, ParamProblem> {
    let mut s = Search { count: DEFAULT_COUNT, ..Search::default() };
    for (name, value) in pairs {
        if name.contains(':') {
            return Err(problem(format!("the modifier in `{}` is not supported here", printable(name))));
        }
        if value.is_empty() {
            continue;
        }
        let values = || value.split(',').map(str::trim);
        match name.as_str() {
            "patient" | "subject" => {
                for v in values() {
                    let (_, id) = reference(v, &["Patient"], name)?;
                    s.filter.patients.push(uuid(id, name, PatientId::parse)?);
                }
            }
            "sender" => {
                for v in values() {
                    s.filter.senders.push(party(v, name)?);
                }
            }
            "recipient" => {
                for v in values() {
                    s.filter.recipients.push(party(v, name)?);
                }
            }
            "part-of" => {
                for v in values() {
                    let (_, id) = reference(v, &["Communication"], name)?;
                    s.filter.part_of.push(uuid(id, name, ConversationId::parse)?);
                }
            }
            "_id" => {
                for v in values() {
                    s.filter.ids.push(*uuid(v, name, ConversationId::parse)?.as_bytes());
                }
            }
            "category" => {
                let mut any = false;
                for v in values() {
                    let code = match v.split_once('|') {
                        Some((system, code)) if system.is_empty() || system == TOPIC_SYSTEM => code,
                        Some(_) => continue,
                        None => v,
                    };
                    if let Some(t) = Topic::parse(code) {
                        s.filter.topics.push(t);
                        any = true;
                    }
                }
                if !any {
                    s.matches_nothing = true;
                }
            }
            "sent" => s.filter.sent.push(date_range(value, name)?),
            "_lastUpdated" => s.filter.updated.push(date_range(value, name)?),
            "_count" => {
                let n: i64 = value.parse().map_err(|_| problem("`_count` must be a whole number"))?;
                if n < 0 {
                    return Err(problem("`_count` must not be negative"));
                }
                s.count = n.min(max);
            }
            "_cursor" => s.filter.after = Some(cursor(value)?),
            "_format" if matches!(value.as_str(), "json" | "application/fhir+json" | "application/json") => {}
            other => {
                return Err(problem(format!(
                    "the search parameter `{}` is not supported for Communication",
                    printable(other)
                )));
            }
        }
    }
    Ok(s)
}

fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && *c != '`').take(40).collect()
}

/// A page's position: `<micros>~<uuid>`.
pub(crate) fn cursor_text(at: Timestamp, id: [u8; 16]) -> String {
    format!("{}~{}", at.as_micros(), ConversationId::from_bytes(id))
}

fn cursor(v: &str) -> Result<(Timestamp, [u8; 16]), ParamProblem> {
    let bad = || problem("`_cursor` is not a position this server gave");
    let (at, id) = v.split_once('~').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    let id = ConversationId::parse(id).map_err(|_| bad())?;
    Ok((Timestamp::from_micros(at), *id.as_bytes()))
}

/// The range a date value stands for: `[start, end)` at its precision.
fn precision_range(v: &str) -> Option<(Timestamp, Timestamp)> {
    let ts = |s: &str| Timestamp::parse_rfc3339(s).ok();
    match v.len() {
        4 => {
            let y: i64 = v.parse().ok()?;
            Some((ts(&format!("{y:04}-01-01"))?, ts(&format!("{:04}-01-01", y + 1))?))
        }
        7 => {
            let (y, m) = v.split_once('-')?;
            let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
            if !(1..=12).contains(&m) {
                return None;
            }
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((ts(&format!("{y:04}-{m:02}-01"))?, ts(&format!("{ny:04}-{nm:02}-01"))?))
        }
        10 => {
            let start = ts(v)?;
            Some((start, start.plus(Span::from_hours(24))))
        }
        _ => {
            // A time without a zone is read as UTC.
            let has_zone = v.ends_with('Z') || v.ends_with('z') || v.get(19..).is_some_and(|t| t.contains(['+', '-']));
            let full = if has_zone { v.to_owned() } else { format!("{v}Z") };
            let start = ts(&full)?;
            let step = if v.contains('.') { Span::from_micros(1) } else { Span::from_secs(1) };
            Some((start, start.plus(step)))
        }
    }
}

/// A `sent` or `_lastUpdated` value with its prefix, as bounds on a point
/// in time.
pub(crate) fn date_range(value: &str, param: &str) -> Result<Range, ParamProblem> {
    let (prefix, v) = match value.get(..2) {
        Some(p) if p.chars().all(|c| c.is_ascii_lowercase()) => (p, value.get(2..).unwrap_or_default()),
        _ => ("eq", value),
    };
    let (start, end) = precision_range(v).ok_or_else(|| {
        problem(format!(
            "`{param}` takes a date such as 2026, 2026-03, 2026-03-05 or 2026-03-05T14:30:00Z, with an optional prefix"
        ))
    })?;
    let incl = |at| Some(Bound { at, inclusive: true });
    let excl = |at| Some(Bound { at, inclusive: false });
    Ok(match prefix {
        "eq" => Range { from: incl(start), to: excl(end) },
        "gt" | "sa" => Range { from: incl(end), to: None },
        "ge" => Range { from: incl(start), to: None },
        "lt" | "eb" => Range { from: None, to: excl(start) },
        "le" => Range { from: None, to: excl(end) },
        _ => return Err(problem(format!("the prefix `{}` is not supported for `{param}`", printable(prefix)))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn holds(r: &Range, at: Timestamp) -> bool {
        r.from.is_none_or(|b| if b.inclusive { at >= b.at } else { at > b.at })
            && r.to.is_none_or(|b| if b.inclusive { at <= b.at } else { at < b.at })
    }

    #[test]
    fn prefixes_at_each_precision() {
        let r = date_range("2026", "sent").unwrap();
        assert!(holds(&r, t("2026-01-01T00:00:00Z")) && holds(&r, t("2026-12-31T23:59:59Z")));
        assert!(!holds(&r, t("2027-01-01T00:00:00Z")) && !holds(&r, t("2025-12-31T23:59:59Z")));
        let r = date_range("ge2026-03", "sent").unwrap();
        assert!(holds(&r, t("2026-03-01T00:00:00Z")) && !holds(&r, t("2026-02-28T23:59:59Z")));
        let r = date_range("lt2026-03-05", "sent").unwrap();
        assert!(holds(&r, t("2026-03-04T23:59:59Z")) && !holds(&r, t("2026-03-05T00:00:00Z")));
        let r = date_range("le2026-03-05", "sent").unwrap();
        assert!(holds(&r, t("2026-03-05T23:59:59Z")) && !holds(&r, t("2026-03-06T00:00:00Z")));
        let r = date_range("gt2026-03-05T10:00:00Z", "sent").unwrap();
        assert!(holds(&r, t("2026-03-05T10:00:01Z")) && !holds(&r, t("2026-03-05T10:00:00.5Z")));
        let r = date_range("sa2026-12", "sent").unwrap();
        assert!(holds(&r, t("2027-01-01T00:00:00Z")) && !holds(&r, t("2026-12-31T00:00:00Z")));
        let r = date_range("2026-03-05T10:00:00+02:00", "sent").unwrap();
        assert!(holds(&r, t("2026-03-05T08:00:00.3Z")));
        for bad in ["ne2026", "ap2026", "2026-13", "yesterday", "2026-02-30", "ge"] {
            assert!(date_range(bad, "sent").is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters() {
        let p =
            |q: &[(&str, &str)]| parse(&q.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>(), 100);
        let id = "0193f0a0-0000-7000-8000-000000000001";
        let s = p(&[("patient", &format!("Patient/{id}")), ("_count", "500"), ("category", "prescription_refill")])
            .unwrap();
        assert_eq!(s.filter.patients.len(), 1);
        assert_eq!(s.count, 100);
        assert_eq!(s.filter.topics, vec![Topic::PrescriptionRefill]);
        assert!(p(&[("category", "not-a-topic")]).unwrap().matches_nothing);
        assert!(p(&[("sender", id)]).is_err(), "a sender needs its type");
        assert!(p(&[("sender", &format!("Practitioner/{id}"))]).is_ok());
        assert!(p(&[("subject:Patient", id)]).is_err());
        assert!(p(&[("_summary", "true")]).is_err());
        assert!(p(&[("part-of", &format!("Patient/{id}"))]).is_err());
        assert!(p(&[("_count", "-1")]).is_err());
        let c = cursor_text(Timestamp::from_micros(42), [7; 16]);
        assert_eq!(p(&[("_cursor", &c)]).unwrap().filter.after, Some((Timestamp::from_micros(42), [7; 16])));
    }

    proptest! {
        /// A value at a precision holds exactly the instants that start
        /// with it (`eq`), and `ge`/`lt` split time there.
        #[test]
        fn eq_is_the_instants_at_that_precision(micros in 0i64..4_000_000_000_000_000, len in prop::sample::select(vec![4usize, 7, 10, 19])) {
            let at = Timestamp::from_micros(micros);
            let text = at.to_rfc3339();
            let v = &text[..len];
            let r = date_range(v, "sent").unwrap();
            prop_assert!(holds(&r, at));
            let ge = date_range(&format!("ge{v}"), "sent").unwrap();
            let lt = date_range(&format!("lt{v}"), "sent").unwrap();
            prop_assert!(holds(&ge, at) && !holds(&lt, at));
            let gt = date_range(&format!("gt{v}"), "sent").unwrap();
            prop_assert!(!holds(&gt, at));
        }
    }
}
