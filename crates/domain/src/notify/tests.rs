use super::*;
use proptest::prelude::*;

fn strip(words: &Words, practice: &str, link: &str) -> Vec<String> {
    let p = practice.trim();
    let plain = |s: &str| s.replace(link, "{LINK}").replace(p, "{PRACTICE}");
    let html = |s: &str| s.replace(&escape_html(link), "{LINK}").replace(&escape_html(p), "{PRACTICE}");
    vec![
        plain(&words.subject),
        plain(&words.text),
        html(&words.html),
        plain(&words.sms),
        plain(&words.push_title),
        plain(&words.push_body),
    ]
}

proptest! {
    /// Every notice is its fixed wording plus the practice's name and the
    /// link: nothing else can be in it.
    #[test]
    fn words_are_fixed_apart_from_practice_and_link(
        kind in proptest::sample::select(NoticeKind::ALL.to_vec()),
        practice in "[A-Z][a-z]{2,12}( [A-Z&][a-z'<>]{1,10}){0,3}",
        token in "[A-Za-z0-9_-]{8,43}",
    ) {
        let link = format!("https://messages.example.org/welcome#token={token}");
        let reference = strip(&words(kind, "Qqq Reference", "https://r.example/x"), "Qqq Reference", "https://r.example/x");
        prop_assert_eq!(strip(&words(kind, &practice, &link), &practice, &link), reference);
    }

    #[test]
    fn quiet_hours_hold_only_inside_and_release_at_the_end(
        from in 0u16..1440, to in 0u16..1440, secs in 1_600_000_000i64..1_900_000_000,
        zone in proptest::sample::select(vec!["America/New_York", "Europe/London", "Asia/Kolkata", "UTC"]),
    ) {
        prop_assume!(from != to);
        let q = QuietHours::new(from, to).unwrap();
        let tz = crate::hours::time_zone(zone).unwrap();
        let now = Timestamp::from_micros(secs * 1_000_000);
        match q.held_until(&tz, now) {
            None => prop_assert!(!q.contains(local_minute(&tz, now))),
            Some(until) => {
                prop_assert!(q.contains(local_minute(&tz, now)));
                prop_assert!(until > now);
                // Never more than a day, and released outside the stretch
                // (or at its end, give or take a daylight-saving hour).
                prop_assert!(until.as_micros() - now.as_micros() <= 24 * 3600 * 1_000_000);
                let after = local_minute(&tz, until);
                let dst_slack = local_minute(&tz, Timestamp::from_micros(until.as_micros() + 3600 * 1_000_000));
                prop_assert!(!q.contains(after) || !q.contains(dst_slack) || after == to);
            }
        }
    }
}

/// Held on the eve of the clocks going forward, a notice goes at the local
/// end of the quiet stretch, not an hour after it (which, with quiet hours
/// nearly all day, would start them again and hold it another day); and
/// an end the clocks skip releases it at the jump.
#[test]
fn quiet_hours_end_by_the_local_clock_across_daylight_saving() {
    let ny = crate::hours::time_zone("America/New_York").unwrap();
    let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
    // 15:20 to 14:20, held at 15:20 EST on 9 March 2024: 14:20 EDT on 10 March.
    let q = QuietHours::new(920, 860).unwrap();
    assert_eq!(q.held_until(&ny, at("2024-03-09T20:20:00Z")), Some(at("2024-03-10T18:20:00Z")));
    // 01:00 to 02:30, held at 01:30 EST on 10 March: 02:30 never comes, so 03:00 EDT.
    let q = QuietHours::new(60, 150).unwrap();
    assert_eq!(q.held_until(&ny, at("2024-03-10T06:30:00Z")), Some(at("2024-03-10T07:00:00Z")));
    // 00:30 to 01:30, held at 01:10 EDT on 3 November: the first 01:30 (EDT).
    let q = QuietHours::new(30, 90).unwrap();
    assert_eq!(q.held_until(&ny, at("2024-11-03T05:10:00Z")), Some(at("2024-11-03T05:30:00Z")));
    // Held at 01:10 EST (the second pass): the second 01:30.
    assert_eq!(q.held_until(&ny, at("2024-11-03T06:10:00Z")), Some(at("2024-11-03T06:30:00Z")));
}

fn local_minute(tz: &TimeZone, t: Timestamp) -> u16 {
    let z = to_jiff(t).to_zoned(tz.clone());
    u16::try_from(i32::from(z.hour()) * 60 + i32::from(z.minute())).unwrap()
}

#[test]
fn patient_notices_carry_the_emergency_line_and_staff_notices_do_not() {
    for kind in NoticeKind::ALL {
        let w = words(kind, "Riverside Family Medicine", "https://x.example/a");
        let patient_side = kind.audience() != Audience::Staff;
        assert_eq!(w.text.contains(EMERGENCY), patient_side, "{kind:?}");
        assert_eq!(w.sms.contains(EMERGENCY), patient_side, "{kind:?}");
        assert_eq!(w.html.contains(EMERGENCY), patient_side, "{kind:?}");
        assert!(w.sms.contains("https://x.example/a"), "{kind:?}");
        assert!(!w.sms.contains('\n') && !w.sms.contains("  "), "{}", w.sms);
        assert!(w.subject.contains("Riverside Family Medicine"));
    }
}

#[test]
fn a_verification_code_is_shown_not_linked() {
    let w = words(NoticeKind::VerificationCode, "Riverside Family Medicine", "042917");
    assert!(w.sms.contains("Code: 042917"), "{}", w.sms);
    assert!(w.html.contains("<strong>042917</strong>"));
    assert!(!w.html.contains("href"));
    assert!(NoticeKind::VerificationCode.carries_code());
    assert!(NoticeKind::ALL.iter().filter(|k| k.carries_code()).eq([NoticeKind::VerificationCode].iter()));
}

#[test]
fn html_is_escaped() {
    let w = words(NoticeKind::StaffReply, "A&B <Clinic>", "https://x.example/a?b=\"c\"");
    assert!(w.html.contains("A&amp;B &lt;Clinic&gt;"));
    assert!(w.html.contains("href=\"https://x.example/a?b=&quot;c&quot;\""));
    assert!(!w.html.contains("<Clinic>"));
}

#[test]
fn codes_round_trip() {
    for k in NoticeKind::ALL {
        assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
    }
    for m in Medium::ALL {
        assert_eq!(Medium::parse(m.as_str()), Some(m));
    }
    for s in DeliveryState::ALL {
        assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
    }
    assert_eq!(Medium::parse("fax"), None);
}

#[test]
fn quiet_hours_across_midnight() {
    let tz = crate::hours::time_zone("America/New_York").unwrap();
    let q = QuietHours::new(22 * 60, 7 * 60).unwrap();
    // 2026-03-04 23:30 EST = 04:30Z on the 5th.
    let late = Timestamp::parse_rfc3339("2026-03-05T04:30:00Z").unwrap();
    assert_eq!(q.held_until(&tz, late), Some(Timestamp::parse_rfc3339("2026-03-05T12:00:00Z").unwrap()));
    // 06:59:30 local holds to 07:00.
    let early = Timestamp::parse_rfc3339("2026-03-05T11:59:30Z").unwrap();
    assert_eq!(q.held_until(&tz, early), Some(Timestamp::parse_rfc3339("2026-03-05T12:00:00Z").unwrap()));
    // 07:00 and noon go at once.
    assert_eq!(q.held_until(&tz, Timestamp::parse_rfc3339("2026-03-05T12:00:00Z").unwrap()), None);
    assert_eq!(q.held_until(&tz, Timestamp::parse_rfc3339("2026-03-05T17:00:00Z").unwrap()), None);
    assert!(QuietHours::new(60, 60).is_err());
    assert!(QuietHours::new(1440, 60).is_err());
}

#[test]
fn sms_keywords() {
    for (text, want) in [
        ("STOP", Some(SmsKeyword::Stop)),
        (" stop. ", Some(SmsKeyword::Stop)),
        ("Unsubscribe", Some(SmsKeyword::Stop)),
        ("start", Some(SmsKeyword::Start)),
        ("HELP!", Some(SmsKeyword::Help)),
        ("please stop texting me", None),
        ("", None),
        ("my chest hurts", None),
    ] {
        assert_eq!(SmsKeyword::parse(text), want, "{text:?}");
    }
    for k in [SmsKeyword::Stop, SmsKeyword::Start, SmsKeyword::Help] {
        assert!(k.reply("Riverside").contains(EMERGENCY));
    }
    assert!(sms_not_read_reply("Riverside").contains("911"));
}

#[test]
fn only_time_critical_notices_break_quiet_hours() {
    assert!(!NoticeKind::StaffReply.ignores_quiet_hours());
    assert!(!NoticeKind::ReplyReminder.ignores_quiet_hours());
    assert!(NoticeKind::Page.ignores_quiet_hours());
    assert!(NoticeKind::PasswordReset.ignores_quiet_hours());
}

#[test]
fn unreachable_since_counts_the_latest_run_of_failures() {
    let at = |s: i64| Timestamp::from_micros(s * 1_000_000);
    let o = |medium, state, s| Outcome { medium, state, at: at(s) };
    let list = [
        o(Medium::Sms, DeliveryState::Failed, 10),
        o(Medium::Sms, DeliveryState::Sent, 20),
        o(Medium::Sms, DeliveryState::Failed, 30),
        o(Medium::Email, DeliveryState::Sent, 35),
        o(Medium::Sms, DeliveryState::OptedOut, 40),
        o(Medium::Sms, DeliveryState::Queued, 50),
    ];
    assert_eq!(unreachable_since(&list, Medium::Sms), Some(at(30)));
    assert_eq!(unreachable_since(&list, Medium::Email), None);
    assert_eq!(unreachable_since(&list, Medium::Push), None);
    assert_eq!(unreachable_since(&list[..2], Medium::Sms), None);
}

#[test]
fn quiet_hours_parse_and_display() {
    let q = QuietHours::parse("21:30", "07:00").unwrap();
    assert_eq!(q.display(), ("21:30".to_owned(), "07:00".to_owned()));
    assert_eq!(QuietHours::parse("7:05", "8:00").unwrap().display().0, "07:05");
    for bad in ["24:00", "12:60", "12", "ab:cd", "-1:00", "12:5", ""] {
        assert!(QuietHours::parse(bad, "07:00").is_err(), "{bad}");
    }
    assert!(QuietHours::parse("07:00", "07:00").is_err());
}

#[test]
fn phone_numbers_to_e164() {
    assert_eq!(e164("(555) 010-0142").as_deref(), Some("+15550100142"));
    assert_eq!(e164("1-555-010-0142").as_deref(), Some("+15550100142"));
    assert_eq!(e164("+44 20 7946 0018").as_deref(), Some("+442079460018"));
    assert_eq!(e164("010-0142"), None);
    assert_eq!(e164("020 7946 0018"), None);
    assert_eq!(e164("+0123456789"), None);
}

#[test]
fn secrets_are_withheld_and_plain_links_kept() {
    let base = "https://messages.example.org";
    let t = "AbC_d-123xyz";
    assert_eq!(
        withhold_secret(NoticeKind::PasswordReset, &format!("{base}/welcome#token={t}")),
        format!("{base}/welcome#token=[withheld]")
    );
    assert_eq!(
        withhold_secret(NoticeKind::SecureLink, &format!("{base}/secure#token={t}")),
        format!("{base}/secure#token=[withheld]")
    );
    assert_eq!(
        withhold_secret(NoticeKind::Page, &format!("{base}/inbox#/ack/{t}")),
        format!("{base}/inbox#/ack/[withheld]")
    );
    assert_eq!(withhold_secret(NoticeKind::VerificationCode, "123456"), "[withheld]");
    // Nothing to go on: all of it.
    assert_eq!(withhold_secret(NoticeKind::Invitation, &format!("{base}/welcome?{t}")), "[withheld]");
    assert_eq!(
        withhold_secret(NoticeKind::AccountSetup, &format!("{base}/welcome#{t}")),
        format!("{base}/welcome#[withheld]")
    );
    // Links to pages that ask for a sign-in are kept.
    let reply = format!("{base}/app#/c/0190");
    assert_eq!(withhold_secret(NoticeKind::StaffReply, &reply), reply);
    assert_eq!(withhold_secret(NoticeKind::ReplyReminder, &reply), reply);
    let alert = format!("{base}/inbox#/needs_response/c/0190");
    for kind in [NoticeKind::UrgentMessage, NoticeKind::Escalation, NoticeKind::Alert] {
        assert_eq!(withhold_secret(kind, &alert), alert);
    }
    // Every kind that carries a secret loses it.
    for kind in NoticeKind::ALL {
        let link = if kind.carries_code() { t.to_owned() } else { format!("{base}/welcome#token={t}") };
        let shown = withhold_secret(kind, &link);
        assert_eq!(kind.link_is_secret() || kind.carries_code(), !shown.contains(t), "{kind:?}: {shown}");
    }
}
