//! Quick-reply templates: placeholders filled in before the sender edits
//! and sends.

use crate::ids::{TemplateId, UserId};
use crate::text::{self, Lines, TextError};
use crate::time::Timestamp;

/// A saved quick reply, as the store reads it back: one definition that
/// the store decodes into and the service's view extends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub body: String,
    pub owner: UserId,
    pub owner_name: String,
    /// `YYYY-MM-DD`.
    pub review_by: String,
    pub usage_count: i64,
    pub updated_at: Timestamp,
}

/// The placeholders a template may use, and what they stand for.
pub const PLACEHOLDERS: [(&str, &str); 6] = [
    ("patient_first_name", "the patient's first name"),
    ("provider_name", "the patient's primary provider"),
    ("practice_phone", "the practice's phone number"),
    ("scheduling_link", "the link for booking visits online"),
    ("office_hours", "the practice's office hours"),
    ("my_name", "the name of the person sending"),
];

/// Values for the placeholders of one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub patient_first_name: String,
    pub provider_name: String,
    pub practice_phone: String,
    pub scheduling_link: String,
    pub office_hours: String,
    pub my_name: String,
}

impl Values {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "patient_first_name" => &self.patient_first_name,
            "provider_name" => &self.provider_name,
            "practice_phone" => &self.practice_phone,
            "scheduling_link" => &self.scheduling_link,
            "office_hours" => &self.office_hours,
            "my_name" => &self.my_name,
            _ => return None,
        })
    }
}

/// A template that does not parse: an unknown or unclosed placeholder, or
/// text that breaks the rule every text follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    Unknown(String),
    Unclosed,
    Text(TextError),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unknown(name) => {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                write!(f, "{{{name}}} is not a placeholder; use one of {{{}}}", known.join("}, {"))
            }
            TemplateError::Unclosed => f.write_str("a placeholder is missing its closing }"),
            TemplateError::Text(e) => e.fmt(f),
        }
    }
}

/// `body` with each `{placeholder}` replaced; `{{` and `}}` are literal
/// braces.
pub fn render(body: &str, values: &Values) -> Result<String, TemplateError> {
    render_with(body, |name| values.get(name))
}

/// `render` with any set of placeholders: `lookup` answers each name, or
/// `None` for one that is not a placeholder.
pub fn render_with<'v>(body: &str, lookup: impl Fn(&str) -> Option<&'v str>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(body.len() + 32);
    let mut rest = body;
    while let Some(i) = rest.find(['{', '}']) {
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
        } else if let Some(t) = tail.strip_prefix('{') {
            let end = t.find('}').ok_or(TemplateError::Unclosed)?;
            let (name, after) = t.split_at(end);
            out.push_str(lookup(name.trim()).ok_or_else(|| TemplateError::Unknown(name.to_owned()))?);
            rest = after.get(1..).unwrap_or("");
        } else {
            // A lone `}`: kept as written.
            out.push('}');
            rest = tail.get(1..).unwrap_or("");
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a template's placeholders.
pub fn validate(body: &str) -> Result<(), TemplateError> {
    render(body, &Values::default()).map(|_| ())
}

/// A quick-reply template's text as saved: several lines allowed, held to
/// the rule messages follow (it becomes one), its placeholders known.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TemplateBody(String);

impl TemplateBody {
    pub const MAX_CHARS: usize = 4000;

    /// Surrounding whitespace is removed.
    pub fn parse(body: &str) -> Result<Self, TemplateError> {
        let body = body.trim();
        text::check_free_text(body, Self::MAX_CHARS, Lines::Many).map_err(TemplateError::Text)?;
        validate(body)?;
        Ok(Self(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn placeholders_are_filled() {
        let v =
            Values { patient_first_name: "Alice".into(), practice_phone: "(555) 010-0100".into(), ..Values::default() };
        assert_eq!(
            render("Hi {patient_first_name}, call {practice_phone}.", &v).unwrap(),
            "Hi Alice, call (555) 010-0100."
        );
        assert_eq!(render("{{literal}}", &v).unwrap(), "{literal}");
        assert_eq!(render("{nope}", &v), Err(TemplateError::Unknown("nope".into())));
        assert_eq!(render("{patient_first_name", &v), Err(TemplateError::Unclosed));
    }

    #[test]
    fn template_bodies_follow_the_text_rule() {
        let ok = TemplateBody::parse("  Hi {patient_first_name},\n\n\tsee you soon.\r\n ").unwrap();
        assert_eq!(ok.as_str(), "Hi {patient_first_name},\n\n\tsee you soon.");
        for bad in ["Pay \u{202E}gnp.exe", "a\u{2066}b\u{2069}", "bell\u{7}", "esc\u{1b}[2J", "nul\u{0}"] {
            assert_eq!(TemplateBody::parse(bad), Err(TemplateError::Text(TextError::InvalidCharacters)), "{bad:?}");
        }
        assert_eq!(TemplateBody::parse(" \n "), Err(TemplateError::Text(TextError::Empty)));
        assert_eq!(TemplateBody::parse(&"x".repeat(4001)), Err(TemplateError::Text(TextError::TooLong { max: 4000 })));
        assert_eq!(TemplateBody::parse("{nope}"), Err(TemplateError::Unknown("nope".into())));
    }

    proptest! {
        /// A template is accepted exactly when a message of the same text
        /// would be (and its placeholders are known).
        #[test]
        fn templates_and_messages_share_one_rule(s in "[^{}]{0,40}") {
            let as_message = crate::text::MessageBody::parse(s.trim().to_owned(), TemplateBody::MAX_CHARS).is_ok();
            prop_assert_eq!(TemplateBody::parse(&s).is_ok(), as_message);
        }

        #[test]
        fn text_without_braces_is_unchanged(s in "[^{}]{0,80}") {
            prop_assert_eq!(render(&s, &Values::default()).unwrap(), s);
        }

        #[test]
        fn never_panics(s in ".{0,60}") {
            let _ = render(&s, &Values::default());
        }
    }
}
