//! Quick-reply templates: placeholders filled in before the sender edits
//! and sends.

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

/// A template that does not parse: an unknown or unclosed placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    Unknown(String),
    Unclosed,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unknown(name) => {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                write!(f, "{{{name}}} is not a placeholder; use one of {{{}}}", known.join("}, {"))
            }
            TemplateError::Unclosed => f.write_str("a placeholder is missing its closing }"),
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

/// Checks a template when it is saved.
pub fn validate(body: &str) -> Result<(), TemplateError> {
    render(body, &Values::default()).map(|_| ())
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

    proptest! {
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
