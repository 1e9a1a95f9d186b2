//! Weeks of synthetic past conversations for the demo practice, so that
//! the analytics pages have something to show. Played through the real
//! use cases on a clock that walks through the past; every word and time
//! is invented, and the sequence is the same on every run.

use anyhow::Context as _;
use std::sync::Arc;
use switchboard_domain::hours::{self, BusinessCalendar, Period, WeeklyHours};
use switchboard_domain::time::Span;
use switchboard_service::{ManualClock, NewConversationInput, RequestContext, Switchboard};

/// Questions that are plainly routine (none trips the emergency screen).
const QUESTIONS: [(&str, &str, &str); 10] = [
    (
        "care_question",
        "Question about my new medication",
        "Should I take the new tablet with food or on an empty stomach?",
    ),
    (
        "prescription_refill",
        "Refill request",
        "Could you send a refill of my usual prescription to the pharmacy on Main Street?",
    ),
    ("scheduling", "Moving my appointment", "I need to move my appointment next week to a morning if possible."),
    (
        "billing",
        "Question about a bill",
        "I received a statement for my last visit and I think my insurance should have covered it.",
    ),
    ("test_results", "My lab results", "I saw my lab results were posted. Is there anything I should do about them?"),
    ("care_question", "Flu shot", "Can I get my flu shot at my next visit or do I need a separate appointment?"),
    (
        "prescription_refill",
        "Pharmacy change",
        "Please send my prescriptions to the new pharmacy near my work from now on.",
    ),
    ("scheduling", "Annual physical", "When is the next opening for an annual physical?"),
    ("care_question", "Travel letter", "I am travelling next month. Could I get a letter listing my medications?"),
    ("telehealth", "Video visit", "Is my follow-up a video visit or should I come in to the office?"),
];

const REPLIES: [&str; 4] = [
    "Thank you for your message. I have taken care of this for you.",
    "Yes, that is fine. Let us know if anything changes.",
    "I have passed this on and we will call you if we need anything else.",
    "Done. You should see it in the next day or two.",
];

/// A small deterministic generator (a 64-bit LCG), so the history is the
/// same on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

/// Plays `weeks` of history ending yesterday into the demo practice.
/// Returns how many conversations it started.
pub async fn play(app: &Switchboard, weeks: u32) -> anyhow::Result<usize> {
    let clock = Arc::new(ManualClock::new(app.now()));
    let past = app.with_clock(clock.clone());
    let zone = hours::time_zone("America/New_York").map_err(|e| anyhow::anyhow!("{e}"))?;
    let open = (1..=5).map(|d| Period::new(d, 8 * 60, 17 * 60)).collect::<Result<Vec<_>, _>>();
    let open = WeeklyHours::new(open.map_err(|e| anyhow::anyhow!("{e}"))?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let calendar = BusinessCalendar::new(zone, open, vec![]);
    let user = |name: &'static str| async move {
        app.user_id(name).await?.with_context(|| format!("demo user {name} missing"))
    };
    let (alice, carol, bob) = (user("alice").await?, user("carol").await?, user("bob").await?);
    let (nina, patel, fran, bill, okafor) = (
        user("nina.nurse").await?,
        user("dr.patel").await?,
        user("fran.frontdesk").await?,
        user("bill.billing").await?,
        user("dr.okafor").await?,
    );
    let ctx = RequestContext::default();
    let mut dice = Dice(0x5eed_2026);
    let today = calendar.local_date(app.now());
    let days = i64::from(weeks) * 7;
    let mut started = 0;
    for back in (1..=days).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else { continue };
        let weekend = day.weekday().to_monday_one_offset() > 5;
        let count = if weekend { dice.next(2) } else { 3 + dice.next(6) };
        for _ in 0..count {
            let (patient, team_reply) = match dice.next(3) {
                0 => (alice, if dice.next(2) == 0 { nina } else { patel }),
                1 => (carol, nina),
                _ => (bob, okafor),
            };
            let Some(&(topic, subject, body)) = QUESTIONS.get(usize::try_from(dice.next(10)).unwrap_or(0)) else {
                continue;
            };
            // Mostly in the day, some in the evening.
            let minute = if dice.next(5) == 0 { 17 * 60 + dice.next(5 * 60) } else { 7 * 60 + dice.next(10 * 60) };
            let Ok(at) = day
                .at(i8::try_from(minute / 60).unwrap_or(9), i8::try_from(minute % 60).unwrap_or(0), 0, 0)
                .to_zoned(calendar.zone().clone())
            else {
                continue;
            };
            let at = hours::from_jiff(at.timestamp());
            if at >= app.now() {
                continue;
            }
            clock.set(at);
            let p = past.principal_for(patient).await?;
            let input = NewConversationInput {
                patient_id: None,
                subject: subject.into(),
                topic: topic.into(),
                body: body.into(),
                priority: None,
                to_provider: None,
                keep_with_me: false,
                share_with_caregivers: None,
            };
            let sent = past.create_conversation(&p, input, None, &ctx).await?;
            started += 1;
            // Most are answered within the day's business hours; some wait.
            if dice.next(8) == 0 {
                continue;
            }
            let replier = match topic {
                "billing" => bill,
                "scheduling" => fran,
                _ => team_reply,
            };
            let slow = dice.next(4) == 0;
            let delay = Span::from_mins(i64::try_from(10 + dice.next(if slow { 600 } else { 180 })).unwrap_or(60));
            let Some(answered) = calendar.add(at, delay) else { continue };
            if answered >= app.now() {
                continue;
            }
            clock.set(answered);
            let staff = past.principal_for(replier).await?;
            let text = REPLIES.get(usize::try_from(dice.next(4)).unwrap_or(0)).copied().unwrap_or("Thank you.");
            past.mark_read(&staff, sent.conversation, &ctx).await?;
            past.post_message(&staff, sent.conversation, text.into(), &[], None, &ctx).await?;
            if dice.next(5) == 0 {
                continue;
            }
            let closed = answered.plus(Span::from_mins(i64::try_from(20 + dice.next(24 * 60)).unwrap_or(60)));
            if closed >= app.now() {
                continue;
            }
            clock.set(closed);
            past.mark_read(&p, sent.conversation, &ctx).await?;
            past.close_conversation(&staff, sent.conversation, None, &ctx).await?;
            if dice.next(3) != 0 {
                clock.set(closed.plus(Span::from_mins(5)));
                let score = [5, 5, 5, 4, 4, 4, 3, 2, 5, 1]
                    .get(usize::try_from(dice.next(10)).unwrap_or(0))
                    .copied()
                    .unwrap_or(5);
                past.rate_conversation(&p, sent.conversation, score, None, &ctx).await?;
            }
        }
    }
    // History is nobody's news: no notice or reminder of its replies.
    app.forget_pending_reply_notices().await?;
    Ok(started)
}
