//! The automatic replies a patient gets on writing: an acknowledgement with
//! when to expect an answer, worded differently when the office is closed.
//! Practices may reword them, but every version must still send
//! emergencies to 911.

use crate::templates::{self, TemplateError};

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
    Empty,
    TooLong,
    /// It no longer tells the patient to call 911 in an emergency.
    NoEmergencyAdvice,
    Template(TemplateError),
}

impl std::fmt::Display for AutoReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AutoReplyError::Empty => f.write_str("must not be empty"),
            AutoReplyError::TooLong => write!(f, "must be at most {MAX_CHARS} characters"),
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
        if text.is_empty() {
            return Err(AutoReplyError::Empty);
        }
        if text.chars().count() > MAX_CHARS {
            return Err(AutoReplyError::TooLong);
        }
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
    fn rewordings_must_keep_the_emergency_advice() {
        assert_eq!(AutoReplyText::parse("We got it, answer by {reply_by}."), Err(AutoReplyError::NoEmergencyAdvice));
        assert_eq!(AutoReplyText::parse("   "), Err(AutoReplyError::Empty));
        assert!(matches!(AutoReplyText::parse("Call 911. {patient_first_name}"), Err(AutoReplyError::Template(_))));
        assert_eq!(AutoReplyText::parse(&"911 ".repeat(300)), Err(AutoReplyError::TooLong));
        // The advice must be in the text, not only in a placeholder's value.
        assert!(AutoReplyText::parse("Emergencies: {practice_phone}").is_err());
        assert!(AutoReplyText::parse("Thanks from {practice_name}. Emergencies: call 911.").is_ok());
    }
}
