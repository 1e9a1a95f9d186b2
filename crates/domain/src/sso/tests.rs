use super::*;
use proptest::prelude::*;

const NOW_SECS: i64 = 1_800_000_000;

fn now() -> Timestamp {
    Timestamp::from_micros(NOW_SECS * 1_000_000)
}

fn good() -> IdTokenClaims {
    IdTokenClaims {
        iss: "https://id.example.org".into(),
        sub: "248289761001".into(),
        aud: vec!["switchboard".into()],
        azp: None,
        exp: NOW_SECS + 300,
        iat: NOW_SECS - 5,
        nonce: Some("n-0S6_WzA2Mj".into()),
        email: Some("Jane.Doe@Example.org".into()),
        email_verified: Some(true),
    }
}

fn expected() -> Expected<'static> {
    Expected { issuer: "https://id.example.org", client_id: "switchboard", nonce: "n-0S6_WzA2Mj", now: now() }
}

#[test]
fn good_claims_pass() {
    assert_eq!(check_claims(&good(), &expected()), Ok(()));
}

#[test]
fn each_rule_refuses_with_its_reason() {
    type Change = fn(&mut IdTokenClaims);
    let cases: Vec<(Change, ClaimProblem)> = vec![
        (|c| c.iss = "https://id.example.org/".into(), ClaimProblem::WrongIssuer),
        (|c| c.iss = "https://evil.example".into(), ClaimProblem::WrongIssuer),
        (|c| c.aud = vec!["someone-else".into()], ClaimProblem::WrongAudience),
        (|c| c.aud = vec![], ClaimProblem::WrongAudience),
        (|c| c.aud = vec!["switchboard".into(), "other".into()], ClaimProblem::WrongAuthorizedParty),
        (|c| c.azp = Some("other".into()), ClaimProblem::WrongAuthorizedParty),
        (|c| c.exp = NOW_SECS, ClaimProblem::Expired),
        (|c| c.exp = NOW_SECS - 1, ClaimProblem::Expired),
        (|c| c.iat = NOW_SECS + 61, ClaimProblem::IssuedInFuture),
        (|c| c.nonce = None, ClaimProblem::WrongNonce),
        (|c| c.nonce = Some("n-0S6_WzA2Mk".into()), ClaimProblem::WrongNonce),
        (|c| c.nonce = Some(String::new()), ClaimProblem::WrongNonce),
        (|c| c.sub = String::new(), ClaimProblem::NoSubject),
    ];
    for (change, want) in cases {
        let mut c = good();
        change(&mut c);
        assert_eq!(check_claims(&c, &expected()), Err(want), "{want:?}");
    }
}

#[test]
fn several_audiences_pass_with_azp_the_client() {
    let mut c = good();
    c.aud = vec!["other".into(), "switchboard".into()];
    c.azp = Some("switchboard".into());
    assert_eq!(check_claims(&c, &expected()), Ok(()));
}

#[test]
fn iat_may_run_a_minute_ahead() {
    let mut c = good();
    c.iat = NOW_SECS + 60;
    assert_eq!(check_claims(&c, &expected()), Ok(()));
}

#[test]
fn binding_needs_a_verified_email() {
    assert_eq!(binding_email(&good()), Ok("jane.doe@example.org".into()));
    let mut c = good();
    c.email_verified = Some(false);
    assert_eq!(binding_email(&c), Err(BindingProblem::EmailNotVerified));
    c.email_verified = None;
    assert_eq!(binding_email(&c), Err(BindingProblem::EmailNotVerified));
    c.email = None;
    assert_eq!(binding_email(&c), Err(BindingProblem::NoEmail));
    c.email = Some("not an address".into());
    assert_eq!(binding_email(&c), Err(BindingProblem::NoEmail));
}

#[test]
fn issuer_urls() {
    for ok in [
        "https://login.example.org",
        "https://login.example.org/realms/clinic",
        "https://login.example.org:8443/",
        "http://127.0.0.1:9000",
        "http://localhost:9000/x",
        "http://[::1]:9000",
    ] {
        assert!(IssuerUrl::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "login.example.org",
        "http://login.example.org",
        "http://10.0.0.1",
        "http://localhost.evil.example",
        "ftp://login.example.org",
        "https://login.example.org?x=1",
        "https://login.example.org#x",
        "https://user:pw@login.example.org",
        "https://",
        "https://login example.org",
    ] {
        assert!(IssuerUrl::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        IssuerUrl::parse("https://id.example.org/").unwrap().discovery_url(),
        "https://id.example.org/.well-known/openid-configuration"
    );
}

#[test]
fn only_rs256_and_es256_with_a_fitting_key() {
    assert_eq!(key_fits("RS256", "RSA", None, None, None), Some(SigningAlg::Rs256));
    assert_eq!(key_fits("RS256", "RSA", None, Some("RS256"), Some("sig")), Some(SigningAlg::Rs256));
    assert_eq!(key_fits("ES256", "EC", Some("P-256"), Some("ES256"), None), Some(SigningAlg::Es256));
    assert_eq!(key_fits("ES256", "EC", Some("P-384"), None, None), None);
    assert_eq!(key_fits("ES256", "RSA", None, None, None), None);
    assert_eq!(key_fits("RS256", "RSA", None, Some("RS384"), None), None);
    assert_eq!(key_fits("RS256", "RSA", None, None, Some("enc")), None);
    for alg in ["none", "HS256", "HS512", "RS384", "PS256", "ES384", "EdDSA", "", "rs256"] {
        assert_eq!(key_fits(alg, "RSA", None, None, None), None, "{alg}");
        assert_eq!(key_fits(alg, "EC", Some("P-256"), None, None), None, "{alg}");
        assert_eq!(key_fits(alg, "oct", None, None, None), None, "{alg}");
    }
}

#[test]
fn state_lives_ten_minutes_once() {
    let t = now();
    assert!(state_open(t, false, t));
    assert!(state_open(t, false, t.plus(Span::from_mins(10)).minus(Span::from_micros(1))));
    assert!(!state_open(t, false, t.plus(Span::from_mins(10))));
    assert!(!state_open(t, true, t));
}

#[test]
fn labels_and_client_ids() {
    assert_eq!(button_label("  Sign in with Contoso Health ").unwrap(), "Sign in with Contoso Health");
    assert!(button_label("").is_err());
    assert!(button_label(&"x".repeat(61)).is_err());
    assert!(button_label("a\u{202e}b").is_err());
    assert!(client_id("switchboard-prod").is_ok());
    assert!(client_id("with space").is_err());
    assert!(client_secret(" ").is_err());
}

#[test]
fn authorization_url_encodes() {
    let url = authorization_url("https://id.example.org/auth?tenant=1", &[("scope", "openid email"), ("x", "a&b=c")]);
    assert_eq!(url, "https://id.example.org/auth?tenant=1&scope=openid%20email&x=a%26b%3Dc");
}

fn claims_strategy() -> impl Strategy<Value = IdTokenClaims> {
    (
        prop_oneof![Just("https://id.example.org".to_owned()), "[a-z:/.]{0,30}"],
        prop::collection::vec(prop_oneof![Just("switchboard".to_owned()), "[a-z]{0,12}"], 0..4),
        prop::option::of(prop_oneof![Just("switchboard".to_owned()), "[a-z]{0,12}"]),
        (NOW_SECS - 1000)..(NOW_SECS + 1000),
        (NOW_SECS - 1000)..(NOW_SECS + 1000),
        prop::option::of(prop_oneof![Just("n-0S6_WzA2Mj".to_owned()), "[a-zA-Z0-9_-]{0,16}"]),
        "[a-z0-9]{0,8}",
    )
        .prop_map(|(iss, aud, azp, exp, iat, nonce, sub)| IdTokenClaims {
            iss,
            sub,
            aud,
            azp,
            exp,
            iat,
            nonce,
            email: None,
            email_verified: None,
        })
}

proptest! {
    /// Accepted claims meet every rule, each written here independently.
    #[test]
    fn accepted_means_every_rule_holds(c in claims_strategy()) {
        let e = expected();
        let ok = check_claims(&c, &e).is_ok();
        let holds = c.iss == e.issuer
            && c.aud.contains(&"switchboard".to_owned())
            && (c.aud.len() == 1 || c.azp.as_deref() == Some("switchboard"))
            && c.azp.as_deref().is_none_or(|a| a == "switchboard")
            && c.exp > NOW_SECS
            && c.iat <= NOW_SECS + 60
            && c.nonce.as_deref() == Some(e.nonce)
            && !c.sub.is_empty();
        prop_assert_eq!(ok, holds);
    }

    /// No issuer with a scheme other than https passes unless it is loopback http.
    #[test]
    fn issuer_scheme(s in "[a-z]{1,6}://[a-z0-9.]{1,20}(:[0-9]{1,4})?") {
        if let Ok(u) = IssuerUrl::parse(&s) {
            let lower = u.as_str().to_ascii_lowercase();
            prop_assert!(lower.starts_with("https://") || lower.starts_with("http://localhost") || lower.starts_with("http://127.0.0.1"));
        }
    }

    /// Encoded query values hold only unreserved characters and escapes.
    #[test]
    fn encoded_values_are_safe(s in ".{0,40}") {
        let e = query_encode(&s);
        prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    }
}

#[test]
fn a_bare_sign_in_page_names_a_practice_only_when_it_is_the_only_one() {
    assert_eq!(providers_shown(&[1], None), vec![1]);
    assert_eq!(providers_shown::<u8>(&[], None), Vec::<u8>::new());
    assert_eq!(providers_shown(&[1, 2], None), Vec::<u8>::new(), "several practices: none listed");
    assert_eq!(providers_shown(&[1, 2], Some(2)), vec![2]);
    assert_eq!(providers_shown(&[1, 2], Some(3)), Vec::<u8>::new());
    assert_eq!(providers_shown(&[1], Some(3)), Vec::<u8>::new());
}
