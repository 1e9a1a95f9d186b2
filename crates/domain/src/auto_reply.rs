//! The automatic replies a patient gets on writing: an acknowledgement with
//! when to expect an answer, worded differently when the office is closed.
//! Practices may reword them, but every version must still send
//! emergencies to 911.

use crate::templates::{self, TemplateError};
use crate::text::{self, Lines, TextError};

/// The placeholders an automatic reply may use.
pub const PLACEHOLDERS: [(&str, &str); 4] = [
    ("reply_by", "when the care team will answer, such as \"Monday at 12:00 PM\""),
    ("opens", "when the office next opens, such as \"tomorrow at 8:00 AM\""),
    ("practice_name", "the practice's name"),
    ("practice_phone", "the practice's phone number"),
];

pub const DEFAULT_OPEN: &str = "Thank you, we have your message. Your care team will answer by {reply_by}. \
If this is an emergency, call 911 now. For a mental health crisis, call or text 988.";

pub const DEFAULT_CLOSED: &str = "Our office is closed right now. We will read your message when we open \
{opens}, and your care team will answer by {reply_by}. If this is an emergency, call 911 now. \
For a mental health crisis, call or text 988.";

const MAX_CHARS: usize = 1000;

/// Values for one reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub reply_by: String,
    pub opens: String,
    pub practice_name: String,
    pub practice_phone: String,
}

impl Values {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "reply_by" => &self.reply_by,
            "opens" => &self.opens,
            "practice_name" => &self.practice_name,
            "practice_phone" => &self.practice_phone,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoReplyError {
    /// Blank, too long, or with characters no text may carry (the rule
    /// messages follow).
    Text(TextError),
    /// It no longer tells the patient to call 911 in an emergency.
    NoEmergencyAdvice,
    Template(TemplateError),
}

impl std::fmt::Display for AutoReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AutoReplyError::Text(e) => e.fmt(f),
            AutoReplyError::NoEmergencyAdvice => f.write_str("must tell patients to call 911 in an emergency"),
            AutoReplyError::Template(TemplateError::Unknown(name)) => {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                write!(f, "{{{name}}} is not a placeholder; use one of {{{}}}", known.join("}, {"))
            }
            AutoReplyError::Template(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AutoReplyError {}

/// A practice's wording of an automatic reply, checked when saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReplyText(String);

impl AutoReplyText {
    pub fn parse(text: &str) -> Result<Self, AutoReplyError> {
        let text = text.trim();
        text::check_free_text(text, MAX_CHARS, Lines::Many).map_err(AutoReplyError::Text)?;
        let rendered =
            templates::render_with(text, |n| Values::default().get(n).map(|_| "")).map_err(AutoReplyError::Template)?;
        if !rendered.contains("911") {
            return Err(AutoReplyError::NoEmergencyAdvice);
        }
        Ok(AutoReplyText(text.to_owned()))
    }

    /// The built-in wording while open (tested to parse).
    pub fn default_open() -> Self {
        AutoReplyText(DEFAULT_OPEN.to_owned())
    }

    /// The built-in wording while closed (tested to parse).
    pub fn default_closed() -> Self {
        AutoReplyText(DEFAULT_CLOSED.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn render(&self, values: &Values) -> String {
        // Parsing checked every placeholder, so this cannot fail; the text
        // as written is the safe fallback.
        templates::render_with(&self.0, |n| values.get(n)).unwrap_or_else(|_| self.0.clone())
    }
}

/// Who an urgent message's alert can reach now, as far as Switchboard
/// knows. Alerts are shown in the staff inbox, so they reach only those
/// signed in; the reply must never promise more than that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrgentReach {
    /// This many alerted colleagues are signed in now.
    SignedIn(usize),
    /// Nobody alerted is signed in, while the office is open.
    NobodyWhileOpen,
    /// The office is closed; `opens` is when it next opens, in words
    /// ("tomorrow at 8:00 AM"), if it ever does.
    Closed { opens: Option<String> },
    /// A clinician is being paged now (by push and text, with others after
    /// them if nobody acknowledges): the one on call after hours, on duty
    /// while open.
    Paging { after_hours: bool },
}

/// The first, fixed part of every urgent reply: what to do now.
pub const URGENT_ADVICE: &str = "This is an automatic reply. Your message may describe an emergency. \
If you have chest pain, trouble breathing, signs of a stroke, heavy bleeding, a severe allergic reaction, \
or thoughts of harming yourself, call 911 now, or call or text 988 (Suicide & Crisis Lifeline). \
Do not wait for a reply to this message.";

/// The automatic reply to a message that may describe an emergency: the
/// 911/988 advice, then exactly what happened to the message. When no one
/// can see it now, it says so, and offers the after-hours line (or, while
/// open, the office's number) for what cannot wait. It names no patient
/// and repeats nothing they wrote.
pub fn urgent_reply(reach: &UrgentReach, after_hours_line: Option<&str>, office_phone: Option<&str>) -> String {
    let what_happened = match reach {
        UrgentReach::SignedIn(1) => "It has been flagged as urgent on the screen of 1 member of your care team \
who is signed in now. They may not see it right away."
            .to_owned(),
        UrgentReach::SignedIn(n) => format!(
            "It has been flagged as urgent on the screens of {n} members of your care team who are signed in now. \
They may not see it right away."
        ),
        UrgentReach::NobodyWhileOpen => "No one on your care team is signed in to read messages right now. \
Your message is flagged as urgent for when they are."
            .to_owned(),
        UrgentReach::Closed { opens: Some(opens) } => format!(
            "Our office is closed, and no one is reading messages right now. \
Your message is flagged as urgent for your care team, who will see it when we open {opens}."
        ),
        UrgentReach::Closed { opens: None } => "Our office is closed, and no one is reading messages right now. \
Your message is flagged as urgent for your care team."
            .to_owned(),
        UrgentReach::Paging { after_hours: true } => "Our office is closed. We are paging the clinician on call \
about your message now. They may not answer right away."
            .to_owned(),
        UrgentReach::Paging { after_hours: false } => "We are paging the clinician on duty about your message now. \
They may not answer right away."
            .to_owned(),
    };
    let call = match (reach, after_hours_line, office_phone) {
        (UrgentReach::Closed { .. } | UrgentReach::Paging { after_hours: true }, Some(line), _) => {
            format!(" If you need medical advice that cannot wait, call our after-hours line at {line}.")
        }
        (UrgentReach::Closed { .. } | UrgentReach::Paging { after_hours: true }, None, _) => String::new(),
        (_, _, Some(phone)) => format!(" If you need to speak to someone today, call us at {phone}."),
        (_, Some(line), None) => format!(" If you need medical advice that cannot wait, call {line}."),
        (_, None, None) => String::new(),
    };
    format!("{URGENT_ADVICE} {what_happened}{call}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_parse_and_fill_in() {
        let v =
            Values { reply_by: "Monday at 12:00 PM".into(), opens: "Monday at 8:00 AM".into(), ..Values::default() };
        assert_eq!(AutoReplyText::parse(DEFAULT_OPEN).unwrap(), AutoReplyText::default_open());
        assert_eq!(AutoReplyText::parse(DEFAULT_CLOSED).unwrap(), AutoReplyText::default_closed());
        let open = AutoReplyText::parse(DEFAULT_OPEN).unwrap().render(&v);
        assert!(open.contains("answer by Monday at 12:00 PM."), "{open}");
        let closed = AutoReplyText::parse(DEFAULT_CLOSED).unwrap().render(&v);
        assert!(closed.contains("when we open Monday at 8:00 AM, and"), "{closed}");
        assert!(closed.contains("911"));
    }

    #[test]
    fn wordings_follow_the_text_rule() {
        let base = "Thanks. If this is an emergency, call 911.";
        assert!(AutoReplyText::parse(&format!("{base}\n\nBy {{reply_by}}.")).is_ok());
        for bad in ["\u{202E}", "\u{202A}", "\u{2067}", "\u{0}", "\u{7}", "\u{85}", "\u{1b}"] {
            assert_eq!(
                AutoReplyText::parse(&format!("{base} {bad} Thanks.")),
                Err(AutoReplyError::Text(TextError::InvalidCharacters)),
                "{bad:?}"
            );
        }
    }

    proptest::proptest! {
        /// A wording is refused for its characters exactly when a message
        /// would be.
        #[test]
        fn wordings_and_messages_share_one_rule(s in "[^{}]{0,40}") {
            let wording = format!("Call 911. {s}");
            let as_message = crate::text::MessageBody::parse(wording.trim().to_owned(), MAX_CHARS).is_ok();
            proptest::prop_assert_eq!(AutoReplyText::parse(&wording).is_ok(), as_message);
        }
    }

    #[test]
    fn rewordings_must_keep_the_emergency_advice() {
        assert_eq!(AutoReplyText::parse("We got it, answer by {reply_by}."), Err(AutoReplyError::NoEmergencyAdvice));
        assert_eq!(AutoReplyText::parse("   "), Err(AutoReplyError::Text(TextError::Empty)));
        assert!(matches!(AutoReplyText::parse("Call 911. {patient_first_name}"), Err(AutoReplyError::Template(_))));
        assert_eq!(
            AutoReplyText::parse(&"911 ".repeat(300)),
            Err(AutoReplyError::Text(TextError::TooLong { max: 1000 }))
        );
        // The advice must be in the text, not only in a placeholder's value.
        assert!(AutoReplyText::parse("Emergencies: {practice_phone}").is_err());
        assert!(AutoReplyText::parse("Thanks from {practice_name}. Emergencies: call 911.").is_ok());
    }

    #[test]
    fn the_urgent_reply_says_a_clinician_is_paged_only_when_paging() {
        let after = urgent_reply(&UrgentReach::Paging { after_hours: true }, Some("555-0100"), Some("555-0199"));
        assert!(after.starts_with(URGENT_ADVICE));
        assert!(after.contains("paging the clinician on call"), "{after}");
        assert!(after.contains("after-hours line at 555-0100"), "{after}");
        let open = urgent_reply(&UrgentReach::Paging { after_hours: false }, Some("555-0100"), Some("555-0199"));
        assert!(open.contains("paging the clinician on duty") && open.contains("call us at 555-0199"), "{open}");
        for reach in [UrgentReach::SignedIn(1), UrgentReach::NobodyWhileOpen, UrgentReach::Closed { opens: None }] {
            assert!(!urgent_reply(&reach, Some("1"), Some("2")).contains("paging"), "{reach:?}");
        }
    }

    #[test]
    fn the_urgent_reply_says_exactly_who_can_see_it_now() {
        let signed_in = urgent_reply(&UrgentReach::SignedIn(2), Some("555-0100"), Some("555-0199"));
        assert!(signed_in.starts_with(URGENT_ADVICE));
        assert!(signed_in.contains("screens of 2 members of your care team who are signed in now"), "{signed_in}");
        assert!(signed_in.contains("call us at 555-0199"), "{signed_in}");
        assert!(urgent_reply(&UrgentReach::SignedIn(1), None, None).contains("screen of 1 member"));

        let closed = urgent_reply(
            &UrgentReach::Closed { opens: Some("Monday at 8:00 AM".into()) },
            Some("555-0100"),
            Some("555-0199"),
        );
        assert!(closed.contains("no one is reading messages right now"), "{closed}");
        assert!(closed.contains("when we open Monday at 8:00 AM"), "{closed}");
        assert!(closed.contains("after-hours line at 555-0100"), "{closed}");
        // The office number rings in an empty office: never offered while closed.
        assert!(!closed.contains("555-0199"), "{closed}");
        let closed_no_line = urgent_reply(&UrgentReach::Closed { opens: None }, None, Some("555-0199"));
        assert!(!closed_no_line.contains("555-0199"));

        let nobody = urgent_reply(&UrgentReach::NobodyWhileOpen, None, Some("555-0199"));
        assert!(nobody.contains("No one on your care team is signed in"), "{nobody}");
        assert!(nobody.contains("call us at 555-0199"));
    }

    #[test]
    fn every_urgent_reply_keeps_911_and_988_and_never_claims_an_alert_it_did_not_make() {
        let reaches = [
            UrgentReach::SignedIn(1),
            UrgentReach::SignedIn(3),
            UrgentReach::NobodyWhileOpen,
            UrgentReach::Closed { opens: Some("tomorrow at 8:00 AM".into()) },
            UrgentReach::Closed { opens: None },
        ];
        for reach in &reaches {
            for line in [None, Some("555-0100")] {
                for phone in [None, Some("555-0199")] {
                    let text = urgent_reply(reach, line, phone);
                    assert!(text.contains("call 911 now") && text.contains("988"), "{text}");
                    assert!(!text.contains("has been alerted"), "{text}");
                    let says_seen = text.contains("signed in now");
                    assert_eq!(says_seen, matches!(reach, UrgentReach::SignedIn(_)), "{text}");
                }
            }
        }
    }
}
