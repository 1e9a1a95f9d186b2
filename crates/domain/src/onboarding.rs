//! Bringing people in: single-use links (account set-up, invitations,
//! password resets) and their states, and the patient import from an EHR
//! export (CSV), checked whole before anything is stored; and staff
//! accounts as administrators see them.

use crate::ids::{CareTeamId, DepartmentId, PoolId, UserId};
use crate::role::StaffRole;
use crate::text::{EmailAddress, MedicalRecordNumber, PersonName, PhoneNumber, TextError};
use crate::time::{CivilDate, Span, Timestamp};

/// What a link is for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LinkPurpose {
    /// A new staff member (or a new practice's first administrator) sets a
    /// password.
    Setup,
    /// A patient confirms their date of birth and enrolls.
    Invitation,
    /// Someone who forgot their password sets a new one.
    Reset,
}

impl LinkPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::Reset => "reset",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [LinkPurpose::Setup, LinkPurpose::Invitation, LinkPurpose::Reset].into_iter().find(|p| p.as_str() == s)
    }
    /// How long a link stays valid: a reset briefly, since it is asked for
    /// by whoever knows a username.
    pub const fn lifetime(self) -> Span {
        match self {
            LinkPurpose::Setup => Span::from_hours(72),
            LinkPurpose::Invitation => Span::from_hours(7 * 24),
            LinkPurpose::Reset => Span::from_hours(1),
        }
    }
}

/// How a link was delivered. `Desk`: shown once to the staff member who
/// made it, to hand over in person.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Channel {
    Email,
    Sms,
    Desk,
    /// Nowhere (a reset asked for by an unknown or undeliverable account).
    None,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Desk => "desk",
            Channel::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Channel::Email, Channel::Sms, Channel::Desk, Channel::None].into_iter().find(|c| c.as_str() == s)
    }
}

/// What is known about one link.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LinkFacts {
    pub purpose: LinkPurpose,
    pub expires_at: Timestamp,
    pub opened_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Where a link stands, as staff see an invitation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LinkState {
    Sent,
    Opened,
    /// Used: the account was set up, the patient enrolled, the password reset.
    Used,
    Expired,
    Revoked,
}

impl LinkState {
    pub const fn as_str(self, purpose: LinkPurpose) -> &'static str {
        match (self, purpose) {
            (LinkState::Sent, _) => "sent",
            (LinkState::Opened, _) => "opened",
            (LinkState::Used, LinkPurpose::Invitation) => "enrolled",
            (LinkState::Used, _) => "used",
            (LinkState::Expired, _) => "expired",
            (LinkState::Revoked, _) => "revoked",
        }
    }
}

pub fn state(link: &LinkFacts, now: Timestamp) -> LinkState {
    if link.used_at.is_some() {
        LinkState::Used
    } else if link.revoked_at.is_some() {
        LinkState::Revoked
    } else if now >= link.expires_at {
        LinkState::Expired
    } else if link.opened_at.is_some() {
        LinkState::Opened
    } else {
        LinkState::Sent
    }
}

/// Why a link cannot be used. Shown to its holder, so it says no more than
/// that: every failure reads alike to the outside.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LinkRefusal {
    Used,
    Expired,
    Revoked,
}

/// The words that carry a link to its holder, whatever the channel: the
/// practice's name, what the link is for, how long it lasts, and the link.
/// It is built from nothing else, so no health information (not even the
/// patient's name) can travel with it.
pub fn link_message(purpose: LinkPurpose, practice_name: &str, url: &str) -> String {
    let practice = practice_name.trim();
    let (what, lasts) = match purpose {
        LinkPurpose::Setup => {
            (format!("You have a new Switchboard account at {practice}. Choose your password here"), "72 hours")
        }
        LinkPurpose::Invitation => {
            (format!("{practice} invites you to send secure messages to your care team. Enroll here"), "7 days")
        }
        LinkPurpose::Reset => (format!("Reset your {practice} Switchboard password here"), "1 hour"),
    };
    format!("{what}: {url} (the link works once, for {lasts}). In an emergency, call 911.")
}

pub fn redeemable(link: &LinkFacts, now: Timestamp) -> Result<(), LinkRefusal> {
    match state(link, now) {
        LinkState::Sent | LinkState::Opened => Ok(()),
        LinkState::Used => Err(LinkRefusal::Used),
        LinkState::Expired => Err(LinkRefusal::Expired),
        LinkState::Revoked => Err(LinkRefusal::Revoked),
    }
}

/// The medical record number as matched: trimmed and upper-cased, so
/// `rfm-1001` and `RFM-1001` are one patient.
pub fn mrn_key(mrn: &MedicalRecordNumber) -> String {
    mrn.as_str().to_ascii_uppercase()
}

/// One patient from an import file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub mrn: MedicalRecordNumber,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub birth_date: CivilDate,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    /// By name, as the practice calls them.
    pub care_team: Option<String>,
    pub department: Option<String>,
}

/// A problem on one line. Never echoes the value (it may be PHI).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LineError {
    pub line: usize,
    pub field: String,
    pub problem: String,
}

pub const IMPORT_MAX_ROWS: usize = 10_000;
const REQUIRED: [&str; 4] = ["mrn", "given_name", "family_name", "birth_date"];
const OPTIONAL: [&str; 4] = ["email", "phone", "care_team", "department"];

/// Parses a whole import file. Either every row is good and all come back,
/// or every problem comes back by line and nothing is imported.
pub fn parse_import(text: &str) -> Result<Vec<ImportRow>, Vec<LineError>> {
    let records = match split_csv(text) {
        Ok(r) => r,
        Err(line) => {
            return Err(vec![LineError { line, field: "file".into(), problem: "a quoted field is not closed".into() }]);
        }
    };
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(vec![LineError { line: 1, field: "file".into(), problem: "the file is empty".into() }]);
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let mut errors = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()) {
            errors.push(LineError { line: 1, field: h.clone(), problem: format!("unknown column {}", i + 1) });
        } else if header.iter().filter(|x| *x == h).count() > 1 {
            errors.push(LineError { line: 1, field: h.clone(), problem: "column appears twice".into() });
        }
    }
    for r in REQUIRED {
        if !header.iter().any(|h| h == r) {
            errors.push(LineError { line: 1, field: r.into(), problem: "required column missing".into() });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut rows = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != header.len() {
            errors.push(LineError {
                line,
                field: "row".into(),
                problem: format!("has {} fields, the header has {}", fields.len(), header.len()),
            });
            continue;
        }
        let get = |name: &str| col(name).and_then(|i| fields.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
        let mut bad = |field: &str, problem: String| errors.push(LineError { line, field: field.into(), problem });
        let text_err = |e: TextError| e.to_string();
        let mrn = match get("mrn").map(MedicalRecordNumber::parse) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                bad("mrn", text_err(e));
                None
            }
            None => {
                bad("mrn", "is required".into());
                None
            }
        };
        let name = |field: &str, bad: &mut dyn FnMut(&str, String)| match get(field).map(PersonName::parse) {
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                bad(field, e.to_string());
                None
            }
            None => {
                bad(field, "is required".into());
                None
            }
        };
        let given = name("given_name", &mut bad);
        let family = name("family_name", &mut bad);
        let birth = match get("birth_date").map(CivilDate::parse) {
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => {
                bad("birth_date", "must be a date as YYYY-MM-DD".into());
                None
            }
            None => {
                bad("birth_date", "is required".into());
                None
            }
        };
        let email = match get("email").map(EmailAddress::parse) {
            Some(Ok(e)) => Some(e),
            Some(Err(_)) => {
                bad("email", "is not an email address".into());
                None
            }
            None => None,
        };
        let phone = match get("phone").map(PhoneNumber::parse) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                bad("phone", format!("is not a telephone number ({e})"));
                None
            }
            None => None,
        };
        if let Some(m) = &mrn {
            let key = mrn_key(m);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                bad("mrn", format!("same medical record number as line {first}"));
            } else {
                seen.push((key, line));
            }
        }
        if let (Some(mrn), Some(given_name), Some(family_name), Some(birth_date)) = (mrn, given, family, birth) {
            rows.push(ImportRow {
                line,
                mrn,
                given_name,
                family_name,
                birth_date,
                email,
                phone,
                care_team: get("care_team").map(str::to_owned),
                department: get("department").map(str::to_owned),
            });
        }
        if rows.len() > IMPORT_MAX_ROWS {
            return Err(vec![LineError {
                line,
                field: "file".into(),
                problem: format!("at most {IMPORT_MAX_ROWS} patients per file"),
            }]);
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

/// Splits CSV text (RFC 4180: quoted fields may hold commas, quotes and
/// line breaks) into records with the line each starts on. `Err(line)`
/// for a quote left open.
fn split_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(start);
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

/// A staff account as administrators manage it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub active: bool,
    pub last_login_at: Option<Timestamp>,
    /// False until the account's holder has chosen a password.
    pub password_set: bool,
    /// The latest self-service reset request nobody has answered yet (as
    /// stored; what administrators are shown is [`unanswered_reset`] of it).
    pub reset_requested_at: Option<Timestamp>,
    pub departments: Vec<DepartmentId>,
    pub care_teams: Vec<CareTeamId>,
    pub pools: Vec<PoolId>,
}

/// A self-service reset request stays in front of administrators for a
/// week; after that the person has given up or asked again.
pub fn unanswered_reset(requested: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
    requested.filter(|at| now.minus(Span::from_hours(7 * 24)) < *at)
}

#[cfg(test)]
mod tests;
