use super::*;
use proptest::prelude::*;

const ALONE: SecondFactor = SecondFactor::None;
const WITH_2FA: SecondFactor = SecondFactor::Enrolled;

fn check(p: &str) -> Result<NewPassword, PasswordProblem> {
    check_new(p, ALONE, Context::default())
}

fn listed() -> impl Iterator<Item = &'static str> {
    COMMON_PASSWORDS.lines().filter(|l| !l.starts_with('#'))
}

#[test]
fn the_list_is_the_published_one() {
    assert_eq!(listed().count(), 30_000);
    assert!(listed().all(|l| !l.is_empty() && l.is_ascii() && l == l.trim() && l == l.to_lowercase()));
    // Sorted and without repeats, for the bisection.
    let lines: Vec<&str> = listed().collect();
    assert!(lines.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    for p in ["123456", "password", "qwerty", "dragon", "00000000", "zzzzzz", "!@#$%^&*"] {
        assert_eq!(is_common(p), lines.contains(&p), "{p}");
    }
    assert!(is_common("password") && is_common("123456"));
    assert!(!is_common("") && !is_common("not a listed password at all"));
}

#[test]
fn lengths_depend_on_the_second_factor() {
    let eight = "tv7!rain";
    assert_eq!(check(eight), Err(PasswordProblem::TooShort { min: 15 }));
    assert!(check_new(eight, WITH_2FA, Context::default()).is_ok());
    assert_eq!(check_new("tv7!rai", WITH_2FA, Context::default()), Err(PasswordProblem::TooShort { min: 8 }));
    assert_eq!(SecondFactor::from_has_second_factor(false), ALONE);
    assert_eq!(SecondFactor::from_has_second_factor(true), WITH_2FA);
    let fourteen = "river lamp joy";
    assert_eq!(fourteen.chars().count(), 14);
    assert!(check(fourteen).is_err());
    assert!(check("river lamp joys").is_ok());
    assert!(check(&"x7".repeat(128)).is_ok());
    assert_eq!(check(&format!("{}y", "x7".repeat(128))), Err(PasswordProblem::TooLong { max: 256 }));
}

#[test]
fn any_characters_count_as_characters() {
    // Fifteen characters, emoji and spaces included (more than 15 bytes).
    let p = "🦊 🐻 🦉 🐢 🐙 🦋 🐝 🐞";
    assert_eq!(p.chars().count(), 15);
    assert!(check(p).is_ok());
    assert!(check("ünïcödé wörds ôk").is_ok());
}

#[test]
fn every_listed_password_is_refused() {
    for entry in listed() {
        // Short ones for their length, the rest for being listed.
        assert!(check(entry).is_err(), "{entry}");
        assert!(check_new(entry, WITH_2FA, Context::default()).is_err(), "{entry}");
        // Whole, trimmed and in any case.
        assert!(check_new(&format!("  {}  ", entry.to_uppercase()), WITH_2FA, Context::default()).is_err());
    }
    assert_eq!(check_new("PASSWORD1", WITH_2FA, Context::default()), Err(PasswordProblem::Common));
    for entry in listed() {
        assert!(is_common(entry), "{entry}");
        assert!(!is_common(&format!("{entry}\u{1}")));
    }
    let long = listed().find(|l| l.chars().count() >= 15).unwrap();
    assert_eq!(check(long), Err(PasswordProblem::Common));
}

#[test]
fn the_products_own_passwords_are_accepted() {
    for p in ["switchboard-demo", "load-generator-password", "correct horse battery staple"] {
        assert!(check(p).is_ok(), "{p}");
    }
}

#[test]
fn context_words_are_refused() {
    let words = ["dr.jameswilson1", "James Wilson Senior", "Riverside Family Medicine"];
    let ctx = Context { words: &words };
    assert_eq!(check_new("Dr.JamesWilson1", WITH_2FA, ctx), Err(PasswordProblem::ContextWord));
    assert_eq!(check_new("james wilson senior", ALONE, ctx), Err(PasswordProblem::ContextWord));
    assert_eq!(check_new("jameswilsonsenior", ALONE, ctx), Err(PasswordProblem::ContextWord));
    assert_eq!(check_new(" RIVERSIDE FAMILY MEDICINE ", ALONE, ctx), Err(PasswordProblem::ContextWord));
    assert_eq!(check_new("Switchboard", WITH_2FA, Context::default()), Err(PasswordProblem::ContextWord));
    // Containing a context word is not being one.
    assert!(check_new("james wilson senior likes tea", ALONE, ctx).is_ok());
}

#[test]
fn repeats_and_sequences_are_refused() {
    assert_eq!(check("aaaaaaaaaaaaaaaa"), Err(PasswordProblem::Repeated));
    assert_eq!(check("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂"), Err(PasswordProblem::Repeated));
    assert_eq!(check("123456789012345"), Err(PasswordProblem::Sequence));
    assert_eq!(check("abcdefghijklmno"), Err(PasswordProblem::Sequence));
    assert_eq!(check("ONMLKJIHGFEDCBA"), Err(PasswordProblem::Sequence));
    assert_eq!(check("543210987654321"), Err(PasswordProblem::Sequence));
    assert_eq!(check("qwertyuiopasdfg"), Err(PasswordProblem::Sequence));
    assert_eq!(check("uvwxyzabcdefghij"), Err(PasswordProblem::Sequence));
    assert!(check("abcdefghijklmnp").is_ok());
}

#[test]
fn the_reasons_are_worded_to_be_shown() {
    assert_eq!(
        PasswordProblem::Common.to_string(),
        "that password is on a list of passwords known to attackers; choose another"
    );
    assert!(
        PasswordProblem::TooShort { min: 15 }.to_string().starts_with("the password must be at least 15 characters")
    );
    assert!(PasswordProblem::TooShort { min: 8 }.to_string().starts_with("the password must be at least 8 characters"));
}

#[test]
fn normalisation_makes_equal_what_reads_the_same() {
    // The "fi" ligature and the two letters.
    assert_eq!(normalise("ﬁve"), normalise("five"));
    // A composed "é" and an "e" with a combining accent.
    assert_eq!(normalise("caf\u{e9}"), normalise("cafe\u{301}"));
    let a = check("caf\u{e9} au lait please").unwrap();
    let b = check("cafe\u{301} au lait please").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.expose(), "caf\u{e9} au lait please");
    // Counted after normalisation: 14 decomposed letters + accents are 14 characters.
    let decomposed = "e\u{301}".repeat(14);
    assert_eq!(decomposed.chars().count(), 28);
    assert_eq!(check(&decomposed), Err(PasswordProblem::TooShort { min: 15 }));
}

#[test]
fn never_truncated() {
    let a = format!("{}a", "long passphrase ".repeat(12));
    let b = format!("{}b", "long passphrase ".repeat(12));
    assert!(a.chars().count() > 190);
    assert_ne!(check(&a).unwrap(), check(&b).unwrap());
    assert_eq!(check(&a).unwrap().expose(), a);
}

#[test]
fn debug_hides_the_password() {
    let p = check("correct horse battery staple").unwrap();
    assert!(!format!("{p:?}").contains("horse"));
}

proptest! {
    #[test]
    fn long_random_passwords_not_listed_pass(p in "[a-zA-Z0-9 !@#$%^&*éß🙂]{15,80}") {
        let folded = p.trim().to_lowercase();
        prop_assume!(!listed().any(|l| l == folded));
        prop_assume!(!is_repeated(&folded) && !is_sequence(&folded) && folded != "switchboard");
        prop_assume!(normalise(&p).chars().count() >= 15);
        prop_assert!(check(&p).is_ok());
    }

    #[test]
    fn eight_characters_pass_only_with_a_second_factor(p in "[a-z0-9]{8,14}[A-Z!]") {
        let p: String = p.chars().take(8).collect();
        let folded = p.to_lowercase();
        prop_assume!(!listed().any(|l| l == folded) && !is_repeated(&folded) && !is_sequence(&folded));
        prop_assert!(check_new(&p, WITH_2FA, Context::default()).is_ok());
        prop_assert_eq!(check(&p), Err(PasswordProblem::TooShort { min: 15 }));
    }

    #[test]
    fn normalising_is_idempotent(p in "\\PC{0,40}") {
        prop_assert_eq!(normalise(&normalise(&p)), normalise(&p));
    }
}
