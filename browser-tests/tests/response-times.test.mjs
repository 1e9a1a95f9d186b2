// Office hours and response times in a real browser: the patient is told
// before sending when to expect an answer (and to call 911 in an emergency),
// the conversation then shows when the care team will answer and the
// automatic acknowledgement; staff see when each reply is due; an
// administrator sets hours, closures, targets and the automatic replies,
// with refusals shown beside the field at fault; due-soon and overdue
// alerts. The demo server runs on the real clock, so no exact time is
// asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

/** Signs `username` in and opens the setup page at its response times. */
async function openSetup(username, opts) {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/admin#response-times`);
  await ready(p);
  await p.locator("#targets-title").waitFor();
  return p;
}

/** "YYYY-MM-DD", `days` from today, for a date input. */
function localDate(days) {
  const d = new Date(Date.now() + days * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

const LIVE = { timeout: 10000 };
const ANSWER_BY = /Your care team (will answer|aimed to answer) by (today|tomorrow|yesterday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b.* (AM|PM)/;

test("before sending, a patient is told when the care team will answer and to call 911 in an emergency; after, the conversation says so too", async () => {
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("link", { name: "New message" }).click();
  const expectation = alice.locator("#expectation");
  await expectation.getByText(/will answer by/).waitFor();
  let text = await expectation.textContent();
  assert.match(text, /Your care team will answer by .+ (AM|PM)\./);
  assert.match(text, /call 911/);
  assert.match(text, /988/);
  // Closed, it says so, and when the office opens.
  const open = await alice.evaluate(async () => (await (await fetch("/api/v1/practice/expectation")).json()).open_now);
  if (!open) assert.match(text, /Our office is closed right now\. We will read your message when we (open .+ (AM|PM)|next open)\./);
  // The emergency advice on the page stays, above the form.
  assert.match(await alice.locator(".guidance .emergency").textContent(), /call 911 now/);
  // The send button is described by the promise.
  assert.match(await alice.getByRole("button", { name: "Send message" }).getAttribute("aria-describedby"), /expectation-text/);

  // A new topic asks again, for that topic.
  const asked = alice.waitForResponse((r) => r.url().includes("/api/v1/practice/expectation?topic=billing") && r.ok());
  await alice.getByLabel("What is it about?").selectOption("billing");
  const billing = await (await asked).json();
  await alice.waitForFunction(() => /will answer by/.test(document.getElementById("expectation-text").textContent));
  text = await expectation.textContent();
  assert.match(text, /will answer by/);
  assert.match(text, /911/);
  assert.equal(typeof billing.reply_by_text, "string");
  await screenshot(alice, "patient-compose-expectation");
  assert.deepEqual(await seriousViolations(alice), [], "compose");
  await noOverflow(alice);

  await alice.getByLabel("Subject").fill("Charged twice");
  await alice.getByLabel("Your message").fill("My card was charged twice for the March visit.");
  await alice.getByRole("button", { name: "Send message" }).click();
  await alice.getByRole("heading", { name: "Charged twice" }).waitFor();

  // The conversation: when to expect an answer, and the acknowledgement.
  const replyBy = alice.locator("#reply-by");
  await replyBy.waitFor({ state: "visible" });
  assert.match(await replyBy.textContent(), ANSWER_BY);
  const ack = alice.locator("#thread .bubble.system");
  await ack.waitFor();
  const ackText = await ack.textContent();
  assert.match(ackText, /automatic reply/i);
  assert.match(ackText, /will answer by/);
  assert.match(ackText, /call 911/);
  assert.equal(await alice.locator("#thread .bubble").count(), 2, "her message and the acknowledgement");
  await screenshot(alice, "patient-thread-reply-by");
  assert.deepEqual(await seriousViolations(alice), [], "thread");
  await noOverflow(alice);

  // In the list too; the acknowledgement counts as read.
  await alice.getByRole("link", { name: "← All messages" }).click();
  // By its subject: the demo's billing question says "charged twice" in its preview.
  const row = alice.locator(".conversation", { has: alice.getByText("Charged twice", { exact: true }) });
  await row.waitFor();
  assert.match(await row.textContent(), /answer (by|coming soon)/);
  assert.doesNotMatch(await row.textContent(), /new/);
});

test("staff see when each reply is due, on the row and in the conversation", async () => {
  const carol = await page({ mobile: true });
  await signIn(carol, suite.server.url, "carol");
  await carol.getByRole("link", { name: "New message" }).click();
  await carol.getByLabel("What is it about?").selectOption("care_question");
  await carol.getByLabel("Subject").fill("Dizzy in the mornings");
  await carol.getByLabel("Your message").fill("I have felt a little dizzy after breakfast this week.");
  await carol.getByRole("button", { name: "Send message" }).click();
  await carol.getByRole("heading", { name: "Dizzy in the mornings" }).waitFor();

  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  const row = nina.locator("#rows .row", { hasText: "Dizzy in the mornings" });
  await row.waitFor(LIVE);
  const badge = row.locator(".tag.due");
  assert.match(await badge.textContent(), /^(Due \S.* (AM|PM)|Due soon · .+|Overdue · was due .+)$/);
  assert.match(await badge.getAttribute("class"), /\b(on_track|due_soon|overdue)\b/);
  // Every waiting row says when it is due.
  const waiting = await nina.locator("#rows .row").count();
  assert.equal(await nina.locator("#rows .row .tag.due").count(), waiting);
  await screenshot(nina, "staff-inbox-due");
  assert.deepEqual(await seriousViolations(nina), [], "inbox");

  await row.click();
  await nina.getByRole("heading", { name: "Dizzy in the mornings" }).waitFor();
  const due = nina.locator("#detail-due");
  await due.waitFor({ state: "visible" });
  assert.match(await due.textContent(), /^Reply (due by|due soon: by|overdue: was due) .+ (AM|PM)$/);
  await nina.locator("#timeline .bubble.system", { hasText: "will answer by" }).waitFor();
  assert.deepEqual(await seriousViolations(nina), [], "conversation");

  // Answered, it no longer waits on staff: no due time.
  await nina.getByLabel("Reply to the patient").fill("Please check your blood pressure sitting and standing, and tell us the numbers.");
  await nina.getByRole("button", { name: "Send reply" }).click();
  await due.waitFor({ state: "hidden" });
  await nina.locator("#views .view", { hasText: "Awaiting patient" }).click();
  const answered = nina.locator("#rows .row", { hasText: "Dizzy in the mornings" });
  await answered.waitFor();
  assert.equal(await answered.locator(".tag.due").count(), 0);
  // And the patient no longer sees a promise.
  await carol.locator("#thread .bubble", { hasText: "sitting and standing" }).waitFor(LIVE);
  await carol.locator("#reply-by").waitFor({ state: "hidden" });
});

test("an administrator sets office hours, closures, targets and automatic replies, with refusals beside the field", async () => {
  const admin = await openSetup("admin");
  const section = admin.locator("#response-times");
  await section.getByRole("heading", { name: "Response times" }).waitFor();
  assert.equal(await admin.getByLabel("Time zone").inputValue(), "America/New_York");

  // Office hours: open Saturday morning, saved and shown after a reload.
  await admin.getByRole("button", { name: "Add hours on Saturday" }).click();
  const hours = admin.locator("#hours-form");
  await hours.getByLabel("Saturday opens at").fill("09:00");
  await hours.getByLabel("Saturday closes at").fill("12:00");
  await admin.getByRole("button", { name: "Save office hours" }).click();
  await admin.locator("#hours-status", { hasText: "Office hours saved." }).waitFor();
  const practice = await admin.evaluate(async () => (await (await fetch("/api/v1/practice")).json()));
  assert.deepEqual(practice.office_hours.filter((h) => h.weekday === 6), [{ weekday: 6, opens: "09:00", closes: "12:00" }]);
  await admin.reload();
  await ready(admin);
  assert.equal(await hours.getByLabel("Saturday opens at").inputValue(), "09:00");
  await admin.getByRole("button", { name: "Remove Saturday hours" }).click();
  await admin.getByRole("button", { name: "Save office hours" }).click();
  await admin.locator("#hours-status", { hasText: "Office hours saved." }).waitFor();
  assert.equal(await hours.getByLabel("Saturday opens at").count(), 0);

  // A department with hours of its own, then back to the practice's.
  const cardiology = admin.locator(".dept-hours", { hasText: "Cardiology" });
  await cardiology.getByLabel("Uses the practice's office hours").uncheck();
  await cardiology.getByLabel("Friday closes at").fill("13:00");
  await cardiology.getByRole("button", { name: "Save Cardiology hours" }).click();
  await cardiology.getByText("Cardiology hours saved.").waitFor();
  let settings = await admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  const own = settings.department_hours.find((d) => d.office_hours.length > 0);
  assert.ok(own.office_hours.some((h) => h.weekday === 5 && h.closes === "13:00"));
  await cardiology.getByLabel("Uses the practice's office hours").check();
  await cardiology.getByRole("button", { name: "Save Cardiology hours" }).click();
  await cardiology.getByText("Cardiology hours saved.").waitFor();
  settings = await admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  assert.ok(settings.department_hours.every((d) => d.office_hours.length === 0));

  // Closures: a refusal beside the last day, then one added and removed.
  await admin.getByText("No closures planned.").waitFor();
  await admin.locator("#closure-form").getByLabel("Name").fill("Staff training");
  await admin.getByLabel("First day closed").fill(localDate(30));
  await admin.getByLabel("Last day closed").fill(localDate(29));
  await admin.getByRole("button", { name: "Add closure" }).click();
  const lastDayError = admin.locator("#closure-last-error");
  await lastDayError.waitFor();
  assert.match(await lastDayError.textContent(), /\S/);
  assert.equal(await admin.getByLabel("Last day closed").getAttribute("aria-invalid"), "true");
  assert.match(await admin.getByLabel("Last day closed").getAttribute("aria-describedby"), /closure-last-error/);
  await admin.getByLabel("Last day closed").fill(localDate(31));
  await admin.getByRole("button", { name: "Add closure" }).click();
  const closure = admin.locator("#closures > li", { hasText: "Staff training" });
  await closure.waitFor();
  assert.equal(await lastDayError.isVisible(), false);
  settings = await admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  assert.deepEqual(settings.closures.map((c) => [c.name, c.first_day, c.last_day]), [["Staff training", localDate(30), localDate(31)]]);
  await admin.reload();
  await ready(admin);
  await closure.waitFor();
  await closure.getByRole("button", { name: /^Remove closure Staff training/ }).click();
  await admin.getByText("No closures planned.").waitFor();
  assert.equal(await closure.count(), 0);
  settings = await admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  assert.deepEqual(settings.closures, []);

  // An automatic reply without the 911 advice is refused beside its box.
  const openReply = admin.getByLabel("Automatic reply while the office is open");
  await openReply.fill("Thanks! We will answer by {reply_by}.");
  assert.equal(await admin.locator("#auto-reply-open-builtin").isChecked(), false, "own wording");
  await admin.getByRole("button", { name: "Save response times" }).click();
  const replyError = admin.locator("#auto-reply-open-error");
  await replyError.waitFor();
  assert.match(await replyError.textContent(), /911/);
  assert.equal(await openReply.getAttribute("aria-invalid"), "true");
  assert.equal(await admin.evaluate(() => document.activeElement.id), "auto-reply-open");
  await admin.locator("#auto-reply-open-builtin").check();
  assert.match(await openReply.inputValue(), /call 911/);

  // Settings this page does not show are kept as they were when it saves.
  const untouched = Object.fromEntries(Object.entries(settings).filter(([k]) => !["time_zone", "targets", "due_soon_percent",
    "auto_reply_open", "auto_reply_closed", "default_auto_reply_open", "default_auto_reply_closed", "closures", "department_hours"].includes(k)));

  // A target for billing questions, counted around the clock, kept after a reload.
  const before = await admin.locator("#targets > tr").count();
  await admin.getByRole("button", { name: "Add target" }).click();
  const n = before + 1;
  await admin.getByLabel(`Target ${n}: topic`).selectOption("billing");
  await admin.getByLabel(`Target ${n}: first reply within (minutes)`).fill("480");
  assert.equal(await admin.locator(`#target-${before}-first_response_minutes-words`).textContent(), "8 hours");
  await admin.getByLabel(`Target ${n}: later replies within (minutes)`).fill("1440");
  await admin.getByLabel(`Target ${n}: counted`).selectOption("wall");
  await admin.getByLabel("“Due soon” after this share of the time (percent)").fill("80");
  await admin.getByRole("button", { name: "Save response times" }).click();
  await admin.locator("#targets-status", { hasText: "Response times saved." }).waitFor();
  assert.equal(await replyError.isVisible(), false);
  await admin.reload();
  await ready(admin);
  await admin.locator("#targets > tr").nth(before).waitFor();
  assert.equal(await admin.locator("#targets > tr").count(), n);
  assert.equal(await admin.getByLabel(`Target ${n}: priority`).inputValue(), "");
  assert.equal(await admin.getByLabel(`Target ${n}: topic`).inputValue(), "billing");
  assert.equal(await admin.getByLabel(`Target ${n}: first reply within (minutes)`).inputValue(), "480");
  assert.equal(await admin.getByLabel(`Target ${n}: later replies within (minutes)`).inputValue(), "1440");
  assert.equal(await admin.getByLabel(`Target ${n}: counted`).inputValue(), "wall");
  assert.equal(await admin.getByLabel("“Due soon” after this share of the time (percent)").inputValue(), "80");
  assert.equal(await admin.locator("#auto-reply-open-builtin").isChecked(), true, "the built-in wording stayed");
  settings = await admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  assert.equal(settings.auto_reply_open, null);
  assert.deepEqual(settings.targets.at(-1),
    { priority: null, topic: "billing", first_response_minutes: 480, next_response_minutes: 1440, clock: "wall" });
  for (const [key, value] of Object.entries(untouched)) assert.deepEqual(settings[key], value, key);

  // Two targets for the same priority and topic are caught before sending.
  await admin.getByRole("button", { name: "Add target" }).click();
  await admin.getByLabel(`Target ${n + 1}: topic`).selectOption("billing");
  await admin.getByRole("button", { name: "Save response times" }).click();
  await admin.locator("#targets-error", { hasText: `Targets ${n} and ${n + 1} cover the same priority and topic` }).waitFor();
  await admin.getByRole("button", { name: `Remove target ${n + 1}` }).click();
  assert.equal(await admin.locator("#targets > tr").count(), n);
  await screenshot(admin, "setup-response-times", { element: admin.locator("#response-times") });
});

test("the response-times section passes axe and fits a 360-pixel screen; other staff only read it", async () => {
  for (const username of ["admin", "nina.nurse"]) {
    for (const mobile of [false, true]) {
      const p = await openSetup(username, { mobile });
      assert.deepEqual(await seriousViolations(p), [], `${username}, ${mobile ? "phone" : "desktop"}`);
      await noOverflow(p);
    }
  }
  const nina = await openSetup("nina.nurse");
  const section = nina.locator("#response-times");
  await nina.getByText("Only a practice administrator can change response times.").waitFor();
  assert.equal(await section.getByRole("button").count(), 0);
  assert.equal(await section.locator("input, select, textarea").count(), 0);
  assert.match(await section.textContent(), /Monday–Friday: 8:00 AM–5:00 PM/);
  assert.match(await section.textContent(), /call 911/);
});

test("owners are alerted when a reply is due soon; an administrator sees an overdue reply without a link to a conversation they cannot open", async () => {
  // A one-minute target for telehealth questions, "due soon" at once.
  const admin = await page();
  await signIn(admin, suite.server.url, "admin");
  const saved = await admin.evaluate(async () => {
    const s = await (await fetch("/api/v1/response-settings")).json();
    const body = {
      targets: [...s.targets, { topic: "telehealth", first_response_minutes: 1, next_response_minutes: 1, clock: "wall" }],
      due_soon_percent: 1,
      auto_reply_open: s.auto_reply_open,
      auto_reply_closed: s.auto_reply_closed,
    };
    const res = await fetch("/api/v1/response-settings", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.status;
  });
  assert.equal(saved, 204);
  await admin.goto(`${suite.server.url}/inbox`);
  await ready(admin);

  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("link", { name: "New message" }).click();
  await alice.getByLabel("What is it about?").selectOption("telehealth");
  await alice.getByLabel("Subject").fill("Video visit link");
  await alice.getByLabel("Your message").fill("The link for tomorrow's video visit does not open.");
  await alice.getByRole("button", { name: "Send message" }).click();
  await alice.getByRole("heading", { name: "Video visit link" }).waitFor();
  const id = await alice.evaluate(() => location.hash.slice("#/c/".length));

  // Whoever holds it (the Virtual care pool gives it to Dr. Patel or Nina)
  // hears that a reply is due soon, and can open it.
  const held = await patel.evaluate(async (c) => (await (await fetch(`/api/v1/conversations/${c}`)).json()).assignee, id);
  const holder = held?.display_name === "Nina Alvarez, RN" ? nina : patel;
  const dueSoon = holder.locator("#alerts .alert-item.response_due_soon");
  await dueSoon.waitFor(LIVE);
  assert.match(await dueSoon.textContent(), /^Reply due soon/);
  // Whoever may open it is told whose and which it is (the alert itself carries ids only).
  assert.match(await dueSoon.textContent(), /^Reply due soon · Alice Nguyen: Video visit link/);
  await dueSoon.getByRole("button", { name: "Open" }).click();
  await holder.getByRole("heading", { name: "Video visit link" }).waitFor();
  await holder.locator("#detail-due", { hasText: /^Reply (due soon|overdue)/ }).waitFor();
  await holder.locator("#views .view", { hasText: "Needs response" }).click();
  const row = holder.locator("#rows .row", { hasText: "Video visit link" });
  await row.locator(".tag.due.due_soon, .tag.due.overdue").waitFor();
  assert.deepEqual(await seriousViolations(holder), [], "inbox with a due-soon alert");
  // Choosing a view closes the conversation: open it again from its row.
  await row.click();
  await holder.getByRole("heading", { name: "Video visit link" }).waitFor();

  // A minute later it is overdue: the administrator is told, with no link.
  const overdue = admin.locator("#alerts .alert-item.response_overdue");
  await overdue.waitFor({ timeout: 120000 });
  assert.match(await overdue.textContent(), /^Reply overdue/);
  assert.equal(await overdue.getByRole("button", { name: "Open" }).count(), 0);
  assert.match(await overdue.textContent(), /Not in your inbox/);
  assert.doesNotMatch(await overdue.textContent(), /Alice|Video/, "no patient or subject for someone who may not open it");
  assert.deepEqual(await seriousViolations(admin), [], "administrator's alerts");
  await overdue.getByRole("button", { name: "Acknowledge" }).click();
  await overdue.waitFor({ state: "detached" });
  // So are the holder and the pool's lead (Dr. Patel), and the conversation says so.
  await patel.locator("#alerts .alert-item.response_overdue").waitFor(LIVE);
  await holder.locator("#alerts .alert-item.response_overdue").waitFor(LIVE);
  await holder.locator("#detail-due", { hasText: /^Reply overdue/ }).waitFor(LIVE);
  await row.locator(".tag.due.overdue", { hasText: /^Overdue/ }).waitFor(LIVE);
});

test("the after-hours line: refused beside the field when not a telephone number, saved, and shown to colleagues", async () => {
  const admin = await openSetup("admin");
  const line = admin.getByLabel("After-hours line");
  const before = await line.inputValue();
  assert.equal(before, (await admin.evaluate(async () => (await (await fetch("/api/v1/practice")).json()))).after_hours_phone);
  assert.match(await admin.locator("#after-hours-phone-hint").textContent(),
    /^Patients are told to call it when the office is closed and something cannot wait: urgent automatic replies and the screen for writing a message show it\.$/);

  await line.fill("ask the neighbours");
  await admin.getByRole("button", { name: "Save office hours" }).click();
  const refusal = admin.locator("#after-hours-phone-error");
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /telephone number/);
  assert.equal(await line.getAttribute("aria-invalid"), "true");
  assert.equal(await admin.evaluate(() => document.activeElement.id), "after-hours-phone");
  assert.equal(await admin.locator("#hours-status").textContent(), "", "not saved");
  for (const width of [390, 820, 1440]) {
    await admin.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(admin, `setup-after-hours-refused-${width}`, { element: admin.locator("#hours-form") });
  }

  await line.fill("(555) 010-0188");
  await admin.getByRole("button", { name: "Save office hours" }).click();
  await admin.locator("#hours-status", { hasText: "Office hours saved." }).waitFor();
  assert.equal(await refusal.isVisible(), false);
  const practice = await admin.evaluate(async () => (await (await fetch("/api/v1/practice")).json()));
  assert.equal(practice.after_hours_phone, "(555) 010-0188");
  assert.equal(practice.phone, "(555) 010-0100", "the office's own number is kept");
  await admin.reload();
  await ready(admin);
  assert.equal(await admin.getByLabel("After-hours line").inputValue(), "(555) 010-0188");

  const nina = await openSetup("nina.nurse");
  assert.match(await nina.locator("#response-times .facts").textContent(), /After-hours line\(555\) 010-0188/);

  // As it was, for the other tests.
  await admin.getByLabel("After-hours line").fill(before);
  await admin.getByRole("button", { name: "Save office hours" }).click();
  await admin.locator("#hours-status", { hasText: "Office hours saved." }).waitFor();
});

test("an urgent target counted in office hours is saved only as a deliberate choice: a warning beside it says what it means", async () => {
  const admin = await openSetup("admin");
  const settings = () => admin.evaluate(async () => (await (await fetch("/api/v1/response-settings")).json()));
  const urgent = (await settings()).targets.findIndex((t) => t.priority === "urgent" && !t.topic);
  assert.ok(urgent >= 0, "the demo has an urgent target");
  const n = urgent + 1;
  const clock = admin.getByLabel(`Target ${n}: counted`);
  const warning = admin.locator(`#target-${urgent}-clock-warning`);
  const words = "Counted in office hours, an urgent message sent on Friday evening would not be due until Monday.";
  assert.equal(await clock.inputValue(), "wall", "urgent messages are counted around the clock by default");
  assert.equal(await warning.isVisible(), false);

  await clock.selectOption("business");
  assert.equal(await warning.textContent(), words);
  assert.equal(await warning.isVisible(), true);
  assert.equal(await clock.getAttribute("aria-describedby"), `target-${urgent}-clock-warning`, "read out with the choice");
  await admin.getByRole("button", { name: "Save response times" }).click();
  await admin.locator("#targets-status", { hasText: "Response times saved." }).waitFor();
  assert.equal((await settings()).targets[urgent].clock, "business");

  // Saved, it stays flagged for everyone who reads the targets.
  await admin.reload();
  await ready(admin);
  await warning.waitFor();
  assert.equal(await warning.textContent(), words);
  for (const width of [390, 820, 1440]) {
    const p = await openSetup("admin", { width });
    await p.locator(`#target-${urgent}-clock-warning`).waitFor();
    assert.deepEqual(await seriousViolations(p), [], `urgent target in office hours, ${width}`);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width}: page is ${overflow}px wider than the screen`);
    await screenshot(p, `setup-urgent-office-hours-${width}`, { element: p.locator("#targets-form") });
  }
  const nina = await openSetup("nina.nurse");
  const row = nina.locator("#targets > tr").nth(urgent);
  assert.match(await row.textContent(), new RegExp(`In office hours${words}`));

  // A routine target in office hours is not flagged; back around the clock, the warning goes.
  assert.equal(await admin.locator("#targets .clock-warning:not([hidden])").count(), 1);
  await clock.selectOption("wall");
  assert.equal(await warning.isVisible(), false);
  assert.equal(await clock.getAttribute("aria-describedby"), null);
  await admin.getByRole("button", { name: "Save response times" }).click();
  await admin.locator("#targets-status", { hasText: "Response times saved." }).waitFor();
  assert.equal((await settings()).targets[urgent].clock, "wall");
});
