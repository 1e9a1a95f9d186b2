//! What Switchboard tells people outside the app, and when: the kinds of
//! notice, the words that carry them, the media they travel by, the
//! recipient's choices (media, quiet hours), the state of each delivery,
//! and the keywords an SMS reply may carry.
//!
//! The words are built from the practice's name and a link, and from
//! nothing else: no function here takes a subject, a body, a topic, a
//! department or a name, so no health information can reach an email, a
//! text or a push payload. The property tests check that stripping the
//! practice's name and the link from any notice leaves its fixed wording.

use crate::hours::{from_jiff, to_jiff};
use crate::time::Timestamp;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// How a notice travels.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Medium {
    Email,
    Sms,
    Push,
}

impl Medium {
    pub const ALL: [Medium; 3] = [Medium::Email, Medium::Sms, Medium::Push];

    pub const fn as_str(self) -> &'static str {
        match self {
            Medium::Email => "email",
            Medium::Sms => "sms",
            Medium::Push => "push",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Who a kind of notice is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Audience {
    Patient,
    Staff,
    /// Whoever holds the account (set-up and reset links).
    Anyone,
}

/// Why someone is told something.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum NoticeKind {
    /// A patient: a staff member replied.
    StaffReply,
    /// A patient: a reply has waited unread (the automatic reminder).
    ReplyReminder,
    /// A patient: an invitation to enroll.
    Invitation,
    /// A patient with no account: a secure message waits behind a link and
    /// an identity check.
    SecureLink,
    /// The one-time code that completes a secure link's identity check: in
    /// place of a link, the code itself (and the practice's name).
    VerificationCode,
    /// A new account's set-up link.
    AccountSetup,
    /// A password-reset link.
    PasswordReset,
    /// Staff: an urgent patient message in their care.
    UrgentMessage,
    /// Staff: a conversation escalated to them.
    Escalation,
    /// Staff: a response is overdue, or another alert is raised for them.
    Alert,
    /// Staff: the on-call page for an urgent message, to be acknowledged.
    Page,
    /// Anyone: their account was signed in to from a device and address
    /// it had not used lately.
    NewSignIn,
    /// Anyone: several wrong passwords in a row were tried on their account.
    FailedSignIns,
    /// Reviewers (compliance officers, else administrators): unusual
    /// access was found in the audit log for them to review.
    AccessReview,
    /// Reviewers (compliance officers, else administrators): someone used
    /// emergency access just now. Who, which patient and why are on the
    /// audit page, never in the notice.
    EmergencyAccess,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 15] = [
        NoticeKind::StaffReply,
        NoticeKind::ReplyReminder,
        NoticeKind::Invitation,
        NoticeKind::SecureLink,
        NoticeKind::VerificationCode,
        NoticeKind::AccountSetup,
        NoticeKind::PasswordReset,
        NoticeKind::UrgentMessage,
        NoticeKind::Escalation,
        NoticeKind::Alert,
        NoticeKind::Page,
        NoticeKind::NewSignIn,
        NoticeKind::FailedSignIns,
        NoticeKind::AccessReview,
        NoticeKind::EmergencyAccess,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            NoticeKind::StaffReply => "staff_reply",
            NoticeKind::ReplyReminder => "reply_reminder",
            NoticeKind::Invitation => "invitation",
            NoticeKind::SecureLink => "secure_link",
            NoticeKind::VerificationCode => "verification_code",
            NoticeKind::AccountSetup => "account_setup",
            NoticeKind::PasswordReset => "password_reset",
            NoticeKind::UrgentMessage => "urgent_message",
            NoticeKind::Escalation => "escalation",
            NoticeKind::Alert => "alert",
            NoticeKind::Page => "page",
            NoticeKind::NewSignIn => "new_sign_in",
            NoticeKind::FailedSignIns => "failed_sign_ins",
            NoticeKind::AccessReview => "access_review",
            NoticeKind::EmergencyAccess => "emergency_access",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub const fn audience(self) -> Audience {
        match self {
            NoticeKind::StaffReply
            | NoticeKind::ReplyReminder
            | NoticeKind::Invitation
            | NoticeKind::SecureLink
            | NoticeKind::VerificationCode => Audience::Patient,
            NoticeKind::AccountSetup
            | NoticeKind::PasswordReset
            | NoticeKind::NewSignIn
            | NoticeKind::FailedSignIns => Audience::Anyone,
            NoticeKind::UrgentMessage
            | NoticeKind::Escalation
            | NoticeKind::Alert
            | NoticeKind::Page
            | NoticeKind::AccessReview
            | NoticeKind::EmergencyAccess => Audience::Staff,
        }
    }

    /// Sent even in the recipient's quiet hours: a link someone is waiting
    /// for at this moment, anything about an urgent message, and a sign-in
    /// from a new device (someone has just signed in: if not the holder,
    /// they should know at once).
    pub const fn ignores_quiet_hours(self) -> bool {
        matches!(
            self,
            NoticeKind::NewSignIn
                | NoticeKind::AccountSetup
                | NoticeKind::PasswordReset
                | NoticeKind::SecureLink
                | NoticeKind::VerificationCode
                | NoticeKind::UrgentMessage
                | NoticeKind::Page
                // Reported at once, as the practice's policy promises.
                | NoticeKind::EmergencyAccess
        )
    }

    /// What it carries in place of a link is a one-time code, to be read,
    /// not opened: the sender passes the code as it is (no address in
    /// front), and the HTML shows it as text.
    pub const fn carries_code(self) -> bool {
        matches!(self, NoticeKind::VerificationCode)
    }

    /// A reminder the recipient may turn off from the message itself
    /// (`List-Unsubscribe`).
    pub const fn is_reminder(self) -> bool {
        matches!(self, NoticeKind::ReplyReminder)
    }
}

impl NoticeKind {
    /// Whether its link is itself a key: a single-use link that sets a
    /// password, enrolls, opens a secure message or acknowledges a page.
    /// The other kinds link to pages that ask the person to sign in.
    pub const fn link_is_secret(self) -> bool {
        matches!(
            self,
            NoticeKind::Invitation
                | NoticeKind::SecureLink
                | NoticeKind::AccountSetup
                | NoticeKind::PasswordReset
                | NoticeKind::Page
        )
    }
}

/// What stands in for a secret that is not shown.
pub const WITHHELD: &str = "[withheld]";

/// `link` (what a notice of `kind` carries: an address, or a one-time
/// code) with its secret withheld, for showing to someone it was not for:
/// a code becomes [`WITHHELD`], and a single-use link keeps its page but
/// not its token (`…/welcome#token=[withheld]`, `…/inbox#/ack/[withheld]`).
/// Links that carry no secret are left as they are.
pub fn withhold_secret(kind: NoticeKind, link: &str) -> String {
    if kind.carries_code() {
        return WITHHELD.to_owned();
    }
    if !kind.link_is_secret() {
        return link.to_owned();
    }
    // The token is the end of the fragment, after its last `=` or `/`.
    let Some((page, fragment)) = link.split_once('#') else { return WITHHELD.to_owned() };
    match fragment.rfind(['=', '/']).and_then(|i| fragment.get(..=i)) {
        Some(kept) => format!("{page}#{kept}{WITHHELD}"),
        None => format!("{page}#{WITHHELD}"),
    }
}

/// A notice in each medium's shape.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Words {
    pub subject: String,
    /// The plain-text email part.
    pub text: String,
    /// The HTML email part.
    pub html: String,
    pub sms: String,
    pub push_title: String,
    pub push_body: String,
}

/// The emergency line every patient notice ends with.
pub const EMERGENCY: &str = "In an emergency, call 911.";

/// The words for one notice: `practice` is the practice's name, `link`
/// the address to open (a sign-in page, or a single-use link).
pub fn words(kind: NoticeKind, practice: &str, link: &str) -> Words {
    let practice = practice.trim();
    let (subject, lead, action) = match kind {
        NoticeKind::StaffReply => (
            format!("New secure message from {practice}"),
            format!("Your care team at {practice} has replied to you."),
            "Sign in to read it",
        ),
        NoticeKind::ReplyReminder => (
            format!("Unread secure message from {practice}"),
            format!("A message from your care team at {practice} is waiting for you."),
            "Sign in to read it",
        ),
        NoticeKind::Invitation => (
            format!("{practice} invites you to secure messaging"),
            format!("{practice} invites you to send secure messages to your care team."),
            "Enroll here (the link works once, for 7 days)",
        ),
        NoticeKind::SecureLink => (
            format!("You have a secure message from {practice}"),
            format!("You have a secure message from {practice}."),
            "Open it here; you will be asked to confirm who you are (the link works once)",
        ),
        NoticeKind::VerificationCode => (
            format!("Your {practice} verification code"),
            format!(
                "Your code to open your secure message from {practice}. It works once, for 10 minutes. Nobody from {practice} will ask you for it."
            ),
            "Code",
        ),
        NoticeKind::AccountSetup => (
            format!("Your new {practice} Switchboard account"),
            format!("You have a new Switchboard account at {practice}."),
            "Choose your password here (the link works once, for 72 hours)",
        ),
        NoticeKind::PasswordReset => (
            format!("Reset your {practice} Switchboard password"),
            format!("Someone asked to reset your {practice} Switchboard password. If it was not you, ignore this."),
            "Reset it here (the link works once, for 1 hour)",
        ),
        NoticeKind::UrgentMessage => (
            format!("Urgent patient message at {practice}"),
            format!("An urgent patient message at {practice} is waiting in your care."),
            "Open it",
        ),
        NoticeKind::Escalation => (
            format!("A conversation at {practice} was escalated to you"),
            format!("A conversation at {practice} was escalated to you."),
            "Open it",
        ),
        NoticeKind::Alert => (
            format!("A response alert at {practice}"),
            format!("A conversation at {practice} needs your attention."),
            "Open it",
        ),
        NoticeKind::Page => (
            format!("PAGE: urgent patient message at {practice}"),
            format!("You are paged: an urgent patient message at {practice} needs a clinician now."),
            "Acknowledge and open it",
        ),
        NoticeKind::NewSignIn => (
            format!("New sign-in to your {practice} Switchboard account"),
            format!(
                "Your {practice} Switchboard account was just signed in to from a device it had not used lately. If it was you, there is nothing to do."
            ),
            "If it was not you, sign out that device and change your password here",
        ),
        NoticeKind::FailedSignIns => (
            format!("Failed sign-ins to your {practice} Switchboard account"),
            format!(
                "Someone tried several wrong passwords on your {practice} Switchboard account. If it was you, there is nothing to do."
            ),
            "If it was not you, see where you are signed in and change your password here",
        ),
        NoticeKind::AccessReview => (
            format!("Access to review at {practice}"),
            format!("The hourly check of {practice}'s audit log found access to patients' records for you to review."),
            "Review it in the audit log",
        ),
        NoticeKind::EmergencyAccess => (
            format!("Emergency access used at {practice}"),
            format!(
                "A staff member at {practice} has just used emergency access to a patient's records. The reason they gave is in the audit log."
            ),
            "Review it in the audit log",
        ),
    };
    let closing = match kind.audience() {
        Audience::Patient | Audience::Anyone => EMERGENCY,
        Audience::Staff => "",
    };
    let parts = [lead.as_str(), &format!("{action}: {link}"), closing];
    let text = join(&parts, "\n\n");
    let sms = join(&parts, " ");
    let closing_html = if closing.is_empty() { String::new() } else { format!("<p>{}</p>", escape_html(closing)) };
    let html = if kind.carries_code() {
        format!(
            "<!doctype html><html><body><p>{}</p><p>{}: <strong>{}</strong></p>{}</body></html>",
            escape_html(&lead),
            escape_html(action),
            escape_html(link),
            closing_html,
        )
    } else {
        format!(
            "<!doctype html><html><body><p>{}</p><p><a href=\"{}\">{}</a></p>{}</body></html>",
            escape_html(&lead),
            escape_html(link),
            escape_html(action),
            closing_html,
        )
    };
    Words { subject, text, html, sms, push_title: practice.to_owned(), push_body: lead }
}

fn join(parts: &[&str], separator: &str) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(separator)
}

/// Text made safe to place in HTML, in element content or a quoted
/// attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where one outbound message stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DeliveryState {
    /// Waiting to be sent (or for the recipient's quiet hours to end).
    Queued,
    /// Accepted by the channel (the SMTP server, the SMS gateway, the push
    /// service).
    Sent,
    /// Reported delivered by the channel (where it reports that).
    Delivered,
    /// Given up: refused for good, or out of retries.
    Failed,
    /// Not sent: the recipient opted out of this medium.
    OptedOut,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Queued,
        DeliveryState::Sent,
        DeliveryState::Delivered,
        DeliveryState::Failed,
        DeliveryState::OptedOut,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::OptedOut => "opted_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Nothing more will happen to it.
    pub const fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Queued)
    }
}

/// The media a person may be reached by.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Reach {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
}

impl Reach {
    pub const fn allows(self, medium: Medium) -> bool {
        match medium {
            Medium::Email => self.email,
            Medium::Sms => self.sms,
            Medium::Push => self.push,
        }
    }

    pub fn media(self) -> impl Iterator<Item = Medium> {
        Medium::ALL.into_iter().filter(move |m| self.allows(*m))
    }
}

/// A daily stretch, in the practice's time zone, when only notices that
/// ignore quiet hours are sent. `from` and `to` are minutes after
/// midnight; `from > to` spans midnight (22:00–07:00).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct QuietHours {
    from: u16,
    to: u16,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InvalidQuietHours;

impl QuietHours {
    pub fn new(from: u16, to: u16) -> Result<Self, InvalidQuietHours> {
        if from >= 24 * 60 || to >= 24 * 60 || from == to {
            return Err(InvalidQuietHours);
        }
        Ok(QuietHours { from, to })
    }

    /// From `HH:MM` local times (24-hour clock).
    pub fn parse(from: &str, to: &str) -> Result<Self, InvalidQuietHours> {
        Self::new(parse_hhmm(from)?, parse_hhmm(to)?)
    }

    /// `(from, to)` as `HH:MM`.
    pub fn display(self) -> (String, String) {
        let f = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        (f(self.from), f(self.to))
    }

    pub const fn from_minutes(self) -> u16 {
        self.from
    }

    pub const fn to_minutes(self) -> u16 {
        self.to
    }

    fn contains(self, minute: u16) -> bool {
        if self.from < self.to {
            self.from <= minute && minute < self.to
        } else {
            minute >= self.from || minute < self.to
        }
    }

    /// When a notice held at `now` may go: `None` if it may go now,
    /// otherwise the end of this quiet stretch (the first instant at or
    /// after the local time `to`, whatever the clocks do in between).
    pub fn held_until(self, zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
        let local = to_jiff(now).to_zoned(zone.clone());
        let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        if !self.contains(minute) {
            return None;
        }
        // This stretch ends at the local time `to` today, or tomorrow when
        // it runs past midnight.
        let day = if minute < self.to { Some(local.date()) } else { local.date().tomorrow().ok() };
        let end = day.and_then(|d| self.local_end(zone, d, now));
        // Only a date past jiff's range has no end: then the wait is counted
        // in absolute minutes.
        end.or_else(|| {
            let wait_minutes = if minute < self.to { self.to - minute } else { 24 * 60 - minute + self.to };
            let start_of_minute =
                now.as_micros() - i64::from(local.second()) * 1_000_000 - i64::from(local.subsec_nanosecond()) / 1_000;
            Some(Timestamp::from_micros(start_of_minute + i64::from(wait_minutes) * 60_000_000))
        })
    }

    /// The first instant after `now` at or after the local time `to` on
    /// `day`: when the clocks go back, the first of the two that is still
    /// to come; when they skip it, the moment of the jump.
    fn local_end(self, zone: &TimeZone, day: jiff::civil::Date, now: Timestamp) -> Option<Timestamp> {
        let hour = i8::try_from(self.to / 60).ok()?;
        let minute = i8::try_from(self.to % 60).ok()?;
        let end = day.at(hour, minute, 0, 0);
        let at = match zone.to_ambiguous_timestamp(end).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(end).ok()?,
            AmbiguousOffset::Fold { before, after } => {
                let first = before.to_timestamp(end).ok()?;
                if from_jiff(first) > now { first } else { after.to_timestamp(end).ok()? }
            }
            // Read with the offset before the jump, the skipped time falls
            // after it: the jump is the transition just before that.
            AmbiguousOffset::Gap { before, .. } => {
                let past = before.to_timestamp(end).ok()?;
                zone.preceding(past).next()?.timestamp()
            }
        };
        Some(from_jiff(at))
    }
}

fn parse_hhmm(text: &str) -> Result<u16, InvalidQuietHours> {
    let (h, m) = text.trim().split_once(':').ok_or(InvalidQuietHours)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 || !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
        return Err(InvalidQuietHours);
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| InvalidQuietHours)?, m.parse().map_err(|_| InvalidQuietHours)?);
    if h > 23 || m > 59 {
        return Err(InvalidQuietHours);
    }
    Ok(h * 60 + m)
}

/// A phone number as an SMS gateway takes it (E.164, `+15555550123`):
/// written with a `+` and a country code, or a ten-digit North American
/// number (with or without its leading 1). `None` for anything else, which
/// cannot be texted without guessing its country.
pub fn e164(number: &str) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let international = number.trim_start().starts_with('+');
    match digits.len() {
        _ if international && (8..=15).contains(&digits.len()) && !digits.starts_with('0') => {
            Some(format!("+{digits}"))
        }
        10 if !international && !digits.starts_with(['0', '1']) => Some(format!("+1{digits}")),
        11 if !international && digits.starts_with('1') => Some(format!("+{digits}")),
        _ => None,
    }
}

/// What an SMS reply asks for, by the carriers' keywords (CTIA): the whole
/// message, any case, surrounding spaces and punctuation ignored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SmsKeyword {
    Stop,
    Start,
    Help,
}

impl SmsKeyword {
    pub fn parse(body: &str) -> Option<Self> {
        let word: String =
            body.trim().trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()).to_ascii_uppercase();
        match word.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => {
                Some(SmsKeyword::Stop)
            }
            "START" | "UNSTOP" | "YES" | "OPTIN" => Some(SmsKeyword::Start),
            "HELP" | "INFO" => Some(SmsKeyword::Help),
            _ => None,
        }
    }

    /// The answer texted back. A STOP is confirmed once, as carriers
    /// require; after it nothing more is sent until START.
    pub fn reply(self, practice: &str) -> String {
        let practice = practice.trim();
        match self {
            SmsKeyword::Stop => format!(
                "{practice}: you will get no more texts from us. Reply START to receive them again. {EMERGENCY}"
            ),
            SmsKeyword::Start => {
                format!("{practice}: texts are on again. Reply STOP to stop, HELP for help. {EMERGENCY}")
            }
            SmsKeyword::Help => format!(
                "{practice} secure messaging: texts only tell you a message is waiting; replies here are not read. \
                 Reply STOP to stop. {EMERGENCY}"
            ),
        }
    }
}

/// The answer to any other text: replies by SMS are not read, so the
/// sender is sent to the app (and to 911).
pub fn sms_not_read_reply(practice: &str) -> String {
    format!(
        "{}: this number does not receive messages. Please use the secure messaging app. {EMERGENCY}",
        practice.trim()
    )
}

/// One delivery's outcome, for [`unreachable_since`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Outcome {
    pub medium: Medium,
    pub state: DeliveryState,
    pub at: Timestamp,
}

/// Since when a person has not been reachable by `medium`: the first of
/// the unbroken run of failed (or opted-out) deliveries that ends with the
/// latest one; `None` if the latest went, or there is none. `outcomes` in
/// any order.
pub fn unreachable_since(outcomes: &[Outcome], medium: Medium) -> Option<Timestamp> {
    let mut mine: Vec<&Outcome> =
        outcomes.iter().filter(|o| o.medium == medium && o.state != DeliveryState::Queued).collect();
    mine.sort_by_key(|o| std::cmp::Reverse(o.at));
    let mut since = None;
    for o in mine {
        match o.state {
            DeliveryState::Failed | DeliveryState::OptedOut => since = Some(o.at),
            _ => break,
        }
    }
    since
}

#[cfg(test)]
mod tests;
