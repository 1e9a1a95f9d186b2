use super::*;
use proptest::prelude::*;

fn t(s: i64) -> Timestamp {
    Timestamp::from_micros(s * 1_000_000)
}

#[test]
fn a_link_is_sent_opened_used_or_lapses() {
    let mut l = LinkFacts {
        purpose: LinkPurpose::Invitation,
        expires_at: t(100),
        opened_at: None,
        used_at: None,
        revoked_at: None,
    };
    assert_eq!(state(&l, t(10)), LinkState::Sent);
    l.opened_at = Some(t(20));
    assert_eq!(state(&l, t(30)), LinkState::Opened);
    assert_eq!(redeemable(&l, t(30)), Ok(()));
    assert_eq!(state(&l, t(100)), LinkState::Expired);
    assert_eq!(redeemable(&l, t(100)), Err(LinkRefusal::Expired));
    l.used_at = Some(t(40));
    assert_eq!(state(&l, t(200)), LinkState::Used, "used stays used after expiry");
    assert_eq!(LinkState::Used.as_str(LinkPurpose::Invitation), "enrolled");
    assert_eq!(redeemable(&l, t(50)), Err(LinkRefusal::Used));
    let revoked = LinkFacts { revoked_at: Some(t(5)), used_at: None, ..l };
    assert_eq!(redeemable(&revoked, t(6)), Err(LinkRefusal::Revoked));
    assert!(LinkPurpose::Reset.lifetime() < LinkPurpose::Setup.lifetime());
}

const GOOD: &str = "mrn,given_name,family_name,birth_date,email,phone,care_team,department\n\
RFM-2001,Ana,Lima,1990-04-02,ana@example.org,(555) 010-2001,Dr. Patel's team,Primary Care\n\
\"rfm-2002\",\"O'Neil, Jr.\",Smith,1975-12-31,,,,\n";

#[test]
fn a_good_file_parses_whole() {
    let rows = parse_import(GOOD).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].email.as_ref().unwrap().as_str(), "ana@example.org");
    assert_eq!(rows[0].care_team.as_deref(), Some("Dr. Patel's team"));
    assert_eq!(rows[1].given_name.as_str(), "O'Neil, Jr.");
    assert_eq!(mrn_key(&rows[1].mrn), "RFM-2002");
    assert!(rows[1].email.is_none() && rows[1].department.is_none());
}

#[test]
fn every_problem_is_reported_by_line_and_nothing_is_returned() {
    let bad = "mrn,given_name,family_name,birth_date,email\n\
RFM-1,Ana,Lima,1990-04-02,ana@example.org\n\
RFM-2,,Lima,1990-02-30,not-an-email\n\
rfm-1,Bo,Ek,2001-01-01,\n\
RFM-4,Cy,Oh\n";
    let errors = parse_import(bad).unwrap_err();
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(3, "given_name"), (3, "birth_date"), (3, "email"), (4, "mrn"), (5, "row")]);
    assert!(errors[3].problem.contains("line 2"), "{:?}", errors[3]);
    for e in &errors {
        assert!(!e.problem.contains("not-an-email") && !e.problem.contains("Lima"), "never echoes values");
    }
}

#[test]
fn headers_are_checked() {
    let e = parse_import("mrn,given_name,birth_date,shoe_size\n").unwrap_err();
    let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["shoe_size", "family_name"]);
    assert_eq!(parse_import("").unwrap_err()[0].problem, "the file is empty");
    assert_eq!(parse_import("mrn,\"given_name\n").unwrap_err()[0].problem, "a quoted field is not closed");
    // A byte-order mark, CRLF line ends, header case and blank lines are fine.
    let rows =
        parse_import("\u{feff}MRN,Given_Name,family_name,birth_date\r\nA-1,Ana,Lima,1990-04-02\r\n\r\n").unwrap();
    assert_eq!(rows.len(), 1);
}

#[test]
fn contact_details_are_checked() {
    use crate::text::{EmailAddress, PhoneNumber};
    assert_eq!(EmailAddress::parse(" Ana@Example.ORG ").unwrap().as_str(), "Ana@example.org");
    for bad in ["ana", "ana@", "@example.org", "ana@example", "a na@example.org", "ana@exa_mple.org"] {
        assert!(EmailAddress::parse(bad).is_err(), "{bad}");
    }
    assert!(PhoneNumber::parse("+1 (555) 010-0100").is_ok());
    assert!(PhoneNumber::parse("555-0100").is_ok());
    assert!(PhoneNumber::parse("12345").is_err());
    assert!(PhoneNumber::parse("call me").is_err());
}

#[test]
fn a_link_message_says_who_what_and_how_long() {
    let url = "https://messages.example/welcome#token=abc";
    let m = link_message(LinkPurpose::Invitation, "Riverside Family Medicine", url);
    assert!(m.contains("Riverside Family Medicine invites you"), "{m}");
    assert!(m.contains(url) && m.contains("7 days") && m.contains("911"), "{m}");
    assert!(link_message(LinkPurpose::Reset, "R", url).contains("1 hour"));
    assert!(link_message(LinkPurpose::Setup, "R", url).contains("72 hours"));
}

proptest! {
    /// The message is a function of the practice's name and the link
    /// alone: whatever else is known about the person cannot reach it.
    #[test]
    fn a_link_message_carries_nothing_but_the_practice_and_the_link(
        practice in "Zq[a-z]{2,10}( [A-Z][a-z]{1,12}){0,3}",
        token in "[A-Za-z0-9_-]{43}",
        purpose in proptest::sample::select(vec![LinkPurpose::Setup, LinkPurpose::Invitation, LinkPurpose::Reset]),
    ) {
        let url = format!("https://m.example/welcome#token={token}");
        let m = link_message(purpose, &practice, &url);
        let fixed = link_message(purpose, "@", "#");
        // Removing the practice name and the link leaves the same words for everyone.
        prop_assert_eq!(m.replacen(&url, "#", 1).replacen(practice.trim(), "@", 1), fixed);
    }

    #[test]
    fn parsing_never_panics(s in ".{0,300}") {
        let _ = parse_import(&s);
    }

    #[test]
    fn quoted_fields_round_trip(a in "[^\"\\r]{0,20}", b in "[a-zA-Z ,]{1,20}") {
        let text = format!("\"{}\",\"{}\"\n", a.replace('"', "\"\""), b);
        let records = split_csv(&text).unwrap();
        prop_assert_eq!(records.len(), 1);
        prop_assert_eq!(&records[0].1, &vec![a, b]);
    }
}

#[test]
fn a_reset_request_waits_for_an_administrator_for_a_week() {
    let asked = Timestamp::from_micros(1_000_000_000_000);
    assert_eq!(unanswered_reset(Some(asked), asked.plus(Span::from_hours(7 * 24 - 1))), Some(asked));
    assert_eq!(unanswered_reset(Some(asked), asked.plus(Span::from_hours(7 * 24))), None);
    assert_eq!(unanswered_reset(None, asked), None);
}
