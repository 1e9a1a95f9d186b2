//! EHR systems as clients (issue 17): the rules of SMART Backend Services
//! (the client-credentials grant with a signed JWT assertion,
//! hl7.org/fhir/smart-app-launch/backend-services), as plain data.
//!
//! - `Scope` and `Scopes`: what a client may read, in SMART's v1
//!   (`system/Communication.read`) and v2 (`system/Communication.rs`)
//!   spellings, `*` for every type this server serves. Only `system/`
//!   scopes: a backend client acts for no user.
//! - `AssertionClaims` and `check_assertion`: what the client's signed
//!   assertion must say (`iss` and `sub` its client id, `aud` the token
//!   endpoint, `exp` in the future and at most five minutes ahead, a `jti`
//!   used once), each refusal a stable `AssertionProblem` code.
//! - `ClientName` and `ClientIdText`: what a practice names a client and
//!   the identifier the client presents.
//! - `may_receive`: which conversations leave the practice this way.
//!
//! The signature is checked by `crypto::oidc::verify_allowing` (RS384 and
//! ES384, the two SMART requires servers to support); a `jti` is spent by a
//! guarded insert in the store. Nothing here sees a key or a token.

use crate::sensitivity::Sensitivity;
use crate::text::{Lines, check_free_text};
use crate::time::{Span, Timestamp};

/// How long an access token lasts (SMART: at most five minutes is
/// recommended; clients ask again).
pub const ACCESS_TOKEN_LIFETIME: Span = Span::from_secs(300);
/// The latest an assertion may expire, from now (SMART: "no more than five
/// minutes in the future").
pub const ASSERTION_MAX_AHEAD: Span = Span::from_secs(300);
/// The most scopes one request may name.
const MAX_SCOPES: usize = 16;

/// The FHIR resource types this server serves to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FhirType {
    Communication,
    Patient,
    Practitioner,
    Organization,
    /// A file sent with a message (`Communication.payload`'s URL).
    Binary,
}

impl FhirType {
    pub const ALL: [FhirType; 5] =
        [FhirType::Communication, FhirType::Patient, FhirType::Practitioner, FhirType::Organization, FhirType::Binary];

    pub const fn as_str(self) -> &'static str {
        match self {
            FhirType::Communication => "Communication",
            FhirType::Patient => "Patient",
            FhirType::Practitioner => "Practitioner",
            FhirType::Organization => "Organization",
            FhirType::Binary => "Binary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        FhirType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One granted scope: a resource type (or all of them), read only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read(FhirType),
    ReadAll,
}

/// Why a scope string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeProblem(pub String);

impl Scope {
    /// `system/<Type>.read` (SMART v1) or `system/<Type>.rs` (v2; `r` and
    /// `s` together, since this server's search is its read), `*` for
    /// every type. Patient and user scopes, writes and unknown types are
    /// refused by name.
    pub fn parse(s: &str) -> Result<Scope, ScopeProblem> {
        let refuse = || ScopeProblem(format!("`{}` is not a scope this server grants", printable(s)));
        let rest = s.strip_prefix("system/").ok_or_else(refuse)?;
        let (ty, access) = rest.split_once('.').ok_or_else(refuse)?;
        if !matches!(access, "read" | "rs" | "r" | "s") {
            return Err(refuse());
        }
        if ty == "*" {
            return Ok(Scope::ReadAll);
        }
        FhirType::parse(ty).map(Scope::Read).ok_or_else(refuse)
    }

    /// The canonical spelling (v1, which every SMART client reads).
    pub fn as_string(self) -> String {
        match self {
            Scope::Read(t) => format!("system/{}.read", t.as_str()),
            Scope::ReadAll => "system/*.read".to_owned(),
        }
    }

    pub fn allows(self, t: FhirType) -> bool {
        match self {
            Scope::ReadAll => true,
            Scope::Read(x) => x == t,
        }
    }
}

/// Keeps a refused value printable in a sentence: short, no control
/// characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(60).collect()
}

/// A set of scopes, each once, in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// A space-separated list (OAuth 2.0's `scope`); at least one.
    pub fn parse(s: &str) -> Result<Scopes, ScopeProblem> {
        let mut out: Vec<Scope> = Vec::new();
        for word in s.split_ascii_whitespace() {
            out.push(Scope::parse(word)?);
            if out.len() > MAX_SCOPES {
                return Err(ScopeProblem(format!("name at most {MAX_SCOPES} scopes")));
            }
        }
        if out.is_empty() {
            return Err(ScopeProblem("name at least one scope, such as system/Communication.read".into()));
        }
        out.sort();
        out.dedup();
        Ok(Scopes(out))
    }

    pub fn allows(&self, t: FhirType) -> bool {
        self.0.iter().any(|s| s.allows(t))
    }

    /// What a request may have of what the client was registered for:
    /// the scopes asked that the registration covers. A request that asks
    /// for nothing gets everything registered; one asking only for what
    /// is not registered gets nothing (`None`, refused as `invalid_scope`).
    pub fn granted(&self, asked: Option<&Scopes>) -> Option<Scopes> {
        let Some(asked) = asked else { return Some(self.clone()) };
        let mut out = Vec::new();
        for s in &asked.0 {
            match s {
                Scope::ReadAll if self.0.contains(&Scope::ReadAll) => out.push(Scope::ReadAll),
                Scope::ReadAll => out.extend(self.0.iter().copied()),
                Scope::Read(t) if self.allows(*t) => out.push(*s),
                Scope::Read(_) => {}
            }
        }
        out.sort();
        out.dedup();
        (!out.is_empty()).then_some(Scopes(out))
    }

    pub fn to_text(&self) -> String {
        self.0.iter().map(|s| s.as_string()).collect::<Vec<_>>().join(" ")
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

/// What a practice calls a client ("Epic production"): one line, 1 to 80
/// characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientName(String);

impl ClientName {
    pub fn parse(s: &str) -> Result<ClientName, String> {
        let t = s.trim();
        check_free_text(t, 80, Lines::One).map_err(|e| e.to_string())?;
        Ok(ClientName(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The signed assertion's claims as the rules need them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    /// Seconds since the epoch.
    pub exp: Option<i64>,
    pub jti: Option<String>,
}

/// Why an assertion was refused; stable codes for the audit log and the
/// operator's log (the client is told only `invalid_client`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertionProblem {
    WrongIssuer,
    WrongSubject,
    WrongAudience,
    MissingExpiry,
    Expired,
    TooFarAhead,
    MissingJti,
}

impl AssertionProblem {
    pub const fn as_str(self) -> &'static str {
        match self {
            AssertionProblem::WrongIssuer => "wrong_issuer",
            AssertionProblem::WrongSubject => "wrong_subject",
            AssertionProblem::WrongAudience => "wrong_audience",
            AssertionProblem::MissingExpiry => "missing_exp",
            AssertionProblem::Expired => "expired",
            AssertionProblem::TooFarAhead => "exp_too_far_ahead",
            AssertionProblem::MissingJti => "missing_jti",
        }
    }
}

/// Checks the claims of an assertion whose signature a registered key
/// verified. `token_url` is the token endpoint's absolute URL, which `aud`
/// must be. No leeway on `exp`: the client signs just before it asks.
pub fn check_assertion(
    c: &AssertionClaims,
    client_id: &str,
    token_url: &str,
    now: Timestamp,
) -> Result<(), AssertionProblem> {
    if c.iss.as_deref() != Some(client_id) {
        return Err(AssertionProblem::WrongIssuer);
    }
    if c.sub.as_deref() != Some(client_id) {
        return Err(AssertionProblem::WrongSubject);
    }
    if !c.aud.iter().any(|a| a == token_url) {
        return Err(AssertionProblem::WrongAudience);
    }
    let exp = c.exp.ok_or(AssertionProblem::MissingExpiry)?;
    let exp_micros = exp.saturating_mul(1_000_000);
    if exp_micros <= now.as_micros() {
        return Err(AssertionProblem::Expired);
    }
    if exp_micros > now.as_micros().saturating_add(ASSERTION_MAX_AHEAD.as_micros()) {
        return Err(AssertionProblem::TooFarAhead);
    }
    match c.jti.as_deref() {
        Some(j) if !j.is_empty() && j.len() <= 255 => Ok(()),
        _ => Err(AssertionProblem::MissingJti),
    }
}

/// Whether a conversation may leave the practice to an EHR client. A
/// conversation marked with a sensitive category stays: behavioural and
/// reproductive health are kept from staff who do not read them, and
/// Part 2 records may not be redisclosed without the patient's consent,
/// which this server does not record.
pub fn may_receive(sensitivity: Option<Sensitivity>) -> bool {
    sensitivity.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claims() -> AssertionClaims {
        AssertionClaims {
            iss: Some("c1".into()),
            sub: Some("c1".into()),
            aud: vec!["https://sb.example/fhir/r4/auth/token".into()],
            exp: Some(1_000_100),
            jti: Some("j".into()),
        }
    }
    const URL: &str = "https://sb.example/fhir/r4/auth/token";
    fn now() -> Timestamp {
        Timestamp::from_micros(1_000_000 * 1_000_000)
    }

    #[test]
    fn scopes_in_both_spellings() {
        assert_eq!(Scope::parse("system/Communication.read"), Ok(Scope::Read(FhirType::Communication)));
        assert_eq!(Scope::parse("system/Patient.rs"), Ok(Scope::Read(FhirType::Patient)));
        assert_eq!(Scope::parse("system/*.read"), Ok(Scope::ReadAll));
        for bad in [
            "patient/Communication.read",
            "user/*.read",
            "system/Communication.write",
            "system/Observation.read",
            "system/Communication.cruds",
            "",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
        let s = Scopes::parse("system/Patient.read  system/Communication.rs system/Patient.read").unwrap();
        assert_eq!(s.to_text(), "system/Communication.read system/Patient.read");
        assert!(s.allows(FhirType::Patient) && !s.allows(FhirType::Practitioner));
        assert!(Scopes::parse("  ").is_err());
    }

    #[test]
    fn a_request_gets_at_most_what_was_registered() {
        let reg = Scopes::parse("system/Communication.read system/Patient.read").unwrap();
        assert_eq!(reg.granted(None), Some(reg.clone()));
        let asked = Scopes::parse("system/Communication.read system/Practitioner.read").unwrap();
        assert_eq!(reg.granted(Some(&asked)).unwrap().to_text(), "system/Communication.read");
        assert_eq!(reg.granted(Some(&Scopes::parse("system/Practitioner.read").unwrap())), None);
        assert_eq!(reg.granted(Some(&Scopes::parse("system/*.read").unwrap())), Some(reg.clone()));
        let all = Scopes::parse("system/*.read").unwrap();
        assert_eq!(all.granted(Some(&asked)).unwrap().to_text(), asked.to_text());
    }

    #[test]
    fn assertion_rules() {
        assert_eq!(check_assertion(&claims(), "c1", URL, now()), Ok(()));
        let with = |f: &dyn Fn(&mut AssertionClaims)| {
            let mut c = claims();
            f(&mut c);
            check_assertion(&c, "c1", URL, now())
        };
        assert_eq!(with(&|c| c.iss = Some("c2".into())), Err(AssertionProblem::WrongIssuer));
        assert_eq!(with(&|c| c.sub = None), Err(AssertionProblem::WrongSubject));
        assert_eq!(with(&|c| c.aud = vec!["https://other/token".into()]), Err(AssertionProblem::WrongAudience));
        assert_eq!(with(&|c| c.exp = Some(1_000_000)), Err(AssertionProblem::Expired));
        assert_eq!(with(&|c| c.exp = Some(999_000)), Err(AssertionProblem::Expired));
        assert_eq!(with(&|c| c.exp = Some(1_000_301)), Err(AssertionProblem::TooFarAhead));
        assert_eq!(with(&|c| c.exp = Some(1_000_300)), Ok(()));
        assert_eq!(with(&|c| c.exp = None), Err(AssertionProblem::MissingExpiry));
        assert_eq!(with(&|c| c.jti = Some(String::new())), Err(AssertionProblem::MissingJti));
    }

    #[test]
    fn sensitive_conversations_stay() {
        assert!(may_receive(None));
        for s in Sensitivity::ALL {
            assert!(!may_receive(Some(s)));
        }
    }

    proptest! {
        #[test]
        fn only_a_live_assertion_naming_this_client_passes(
            iss in prop::option::of("[a-c]{1,2}"), sub in prop::option::of("[a-c]{1,2}"),
            exp in prop::option::of(999_000i64..1_001_000), jti in prop::option::of("[a-z]{0,3}"),
        ) {
            let c = AssertionClaims { iss: iss.clone(), sub: sub.clone(), aud: vec![URL.into()], exp, jti: jti.clone() };
            let ok = check_assertion(&c, "a", URL, now()).is_ok();
            let expect = iss.as_deref() == Some("a") && sub.as_deref() == Some("a")
                && exp.is_some_and(|e| e > 1_000_000 && e <= 1_000_300)
                && jti.is_some_and(|j| !j.is_empty());
            prop_assert_eq!(ok, expect);
        }

        #[test]
        fn granted_never_exceeds_registration(reg in prop::collection::vec(0usize..5, 1..4), ask in prop::collection::vec(0usize..5, 1..4)) {
            let name = |i: usize| FhirType::ALL.get(i).map_or("*".to_owned(), |t| t.as_str().to_owned());
            let reg = Scopes::parse(&reg.iter().map(|i| format!("system/{}.read", name(*i))).collect::<Vec<_>>().join(" ")).unwrap();
            let ask = Scopes::parse(&ask.iter().map(|i| format!("system/{}.rs", name(*i))).collect::<Vec<_>>().join(" ")).unwrap();
            if let Some(g) = reg.granted(Some(&ask)) {
                for t in FhirType::ALL {
                    prop_assert!(!g.allows(t) || (reg.allows(t) && ask.allows(t)));
                }
            }
        }
    }
}
