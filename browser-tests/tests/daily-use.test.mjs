// What a new user found missing in the patient app and the staff inbox, in
// a real browser: closing an unanswered emergency, the emergency guidance
// while writing, alerts that say whom they concern, the patient's list and
// thread on a phone, times in the practice's zone, corrections, starting a
// conversation, quick-reply previews, printing, the patient's settings,
// and the inbox on a tablet and a phone. Screenshots at 390, 820 and 1440
// pixels wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, fillStartDialog, ready, screenshot, seriousViolations, signIn, writeNewMessage } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);
const LIVE = { timeout: 10000 };
const EMERGENCY = "I have crushing chest pain right now and my left arm is numb";

/** The patient writes a new message; returns the conversation's id. */
const write = (patient, subject, body, topic) => writeNewMessage(patient, suite.server.url, subject, body, topic);

/** Staff open a conversation by its address. */
async function open(staff, id, subject) {
  await staff.goto(`${suite.server.url}/inbox#/needs_response/c/${id}`);
  await ready(staff);
  await staff.getByRole("heading", { name: subject }).waitFor();
}

/** Nina, at a desk, in the demo's answered conversation with Alice. */
async function ninaOnBloodPressure() {
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/inbox#/awaiting_patient`);
  await ready(nina);
  await nina.locator("#rows .row", { hasText: "New blood pressure medicine" }).click();
  await nina.getByRole("heading", { name: "New blood pressure medicine" }).waitFor();
  return nina;
}

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

async function noSerious(p, what) {
  assert.deepEqual(await seriousViolations(p), [], what);
}

test("an unanswered emergency is not closed with one key, and its patient is never asked to rate it", async () => {
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  const id = await write(alice, "Chest pain tonight", EMERGENCY);

  const mo = await page({ width: 1440 });
  await signIn(mo, suite.server.url, "mo.assistant");
  await open(mo, id, "Chest pain tonight");
  await mo.locator("#conversation").focus();
  await mo.keyboard.press("e");
  const dialog = mo.getByRole("dialog", { name: /Close an urgent conversation/ });
  await dialog.waitFor();
  // Still open behind the dialog; a reason is required.
  assert.equal(await mo.locator("#detail-status").textContent(), "Needs response");
  await dialog.getByRole("button", { name: "Close it" }).click();
  await dialog.getByText("Say why it can be closed").waitFor();
  await noSerious(mo, "the close dialog");
  await screenshot(mo, "staff-close-unanswered-urgent");
  await dialog.getByRole("button", { name: "Keep it open" }).click();
  assert.equal(await mo.locator("#detail-status").textContent(), "Needs response");

  await mo.keyboard.press("e");
  await dialog.getByLabel(/What was done/).fill("Called her: she is on her way to the emergency room.");
  await dialog.getByRole("button", { name: "Close it" }).click();
  await mo.locator("#detail-status", { hasText: "Closed" }).waitFor();
  if (!(await mo.locator("#routing details").evaluate((d) => d.open))) await mo.locator("#routing summary").click();
  const entry = mo.locator("#routing .history li", { hasText: "Closed with no staff reply" });
  assert.match(await entry.textContent(), /by Mo Rahman, MA.*emergency room/);

  // The patient sees it closed, and no "How did we do?".
  await alice.locator("#closed-note").waitFor({ state: "visible", ...LIVE });
  assert.equal(await alice.locator("#rating").isVisible(), false);
  assert.equal(await alice.getByText("How did we do?").count(), 0);
});

test("the emergency guidance appears while the patient writes, before sending, and does not block", async () => {
  const carol = await page({ width: 390 });
  await signIn(carol, suite.server.url, "carol");
  await carol.getByRole("link", { name: "New message" }).click();
  await carol.getByLabel("What is it about?").selectOption("care_question");
  await carol.getByLabel("Subject").fill("Knee");
  const warning = carol.locator(".compose .emergency-check");
  await carol.getByLabel("Your message").pressSequentially("My knee is sore after the walk.", { delay: 5 });
  await carol.waitForTimeout(1200);
  assert.equal(await warning.isVisible(), false, "no warning for a sore knee");
  await carol.getByLabel("Your message").fill("");
  await carol.getByLabel("Your message").pressSequentially("I can't breathe and my chest hurts", { delay: 5 });
  await warning.waitFor({ state: "visible", ...LIVE });
  assert.match(await warning.textContent(), /call 911 now.*988/s);
  assert.equal(await carol.getByRole("button", { name: "Send message" }).isEnabled(), true);
  await noSerious(carol, "compose with the emergency guidance");
  await screenshot(carol, "patient-compose-emergency-warning");
  // The reply box of a thread checks too.
  await carol.getByRole("button", { name: "Send message" }).click();
  await carol.getByRole("heading", { name: "Knee" }).waitFor();
  await carol.getByLabel("Write a reply").pressSequentially("Now I can't breathe at all", { delay: 5 });
  await carol.locator(".reply .emergency-check").waitFor({ state: "visible", ...LIVE });
});

test("the patient's list and thread on a phone: no stray text, full-width subjects, new replies in view and marked, times in the practice's zone", async () => {
  // A patient travelling: her phone is on Pacific time, the practice on Eastern.
  const alice = await page({ width: 390, timezoneId: "America/Los_Angeles" });
  await signIn(alice, suite.server.url, "alice");
  await alice.locator(".conversations").waitFor();
  assert.doesNotMatch(await alice.locator("main").textContent(), /\bnull\b/, "no stray 'null' above the list");
  // A subject takes the card's width whether or not it has a "new" badge.
  const widths = await alice.$$eval(".conversation a", (cards) => cards.map((a) => {
    const subject = a.querySelector(".subject").getBoundingClientRect().width;
    const badge = a.querySelector(".badge");
    return { ratio: subject / a.clientWidth, badge: Boolean(badge) };
  }));
  for (const w of widths.filter((x) => !x.badge)) assert.ok(w.ratio > 0.7, `subject squeezed: ${JSON.stringify(widths)}`);
  // Times carry the practice's zone on a device elsewhere.
  assert.match(await alice.locator(".conversation time").first().textContent(), /E[SD]T/);
  await noSerious(alice, "the patient's list");
  await screenshot(alice, "patient-list-travelling");

  const id = await write(alice, "Refill timing", "When should I pick up my refill?");
  // The automatic acknowledgement is read once she has seen it: no "1 new" for ever.
  await alice.getByRole("link", { name: "← All messages" }).click();
  const row = alice.locator(".conversation", { hasText: "Refill timing" });
  await row.waitFor();
  assert.equal(await row.locator(".badge").count(), 0, "the automatic reply is not new for ever");
  await row.getByRole("link").click();
  await alice.locator("#thread .bubble").first().waitFor();
  assert.match(await alice.locator("#expectation-text, .reply-by").first().textContent(), /E[SD]T/);

  // A reply arrives while her thread is open: scrolled into view above the
  // reply box, and marked.
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await open(nina, id, "Refill timing");
  await nina.getByLabel("Reply to the patient").fill("Any time after 3 PM today at your usual pharmacy.");
  await nina.getByRole("button", { name: "Send reply" }).click();
  const arrived = alice.locator("#thread .bubble.new", { hasText: "after 3 PM" });
  await arrived.waitFor(LIVE);
  assert.equal(await arrived.locator(".new-tag").textContent(), "New");
  await alice.waitForFunction(() => {
    const last = document.querySelector("#thread .bubble:last-child").getBoundingClientRect();
    const reply = document.querySelector("form.reply").getBoundingClientRect();
    return last.bottom <= reply.top + 1 && last.top >= 0;
  }, null, LIVE);
  await noOverflow(alice);
  await noSerious(alice, "the thread");
  await screenshot(alice, "patient-thread-new-reply", { asScrolled: true });
});

test("alerts say which patient and conversation, collapse when many, and fit a phone", async () => {
  const bob = await page({ width: 390 });
  await signIn(bob, suite.server.url, "bob");
  const patel = await page({ width: 1440 });
  await signIn(patel, suite.server.url, "dr.okafor");
  for (let i = 1; i <= 5; i++) await write(bob, `Bad night ${i}`, EMERGENCY);
  const alerts = patel.locator("#alerts");
  await alerts.locator(".alert-item", { hasText: "Bad night 5" }).waitFor(LIVE);
  const first = alerts.locator(".alert-item").first();
  assert.match(await first.textContent(), /Possible emergency · Bob Martinez: Bad night 5/);
  assert.equal(await alerts.locator(".alert-item").count(), 3, "three shown");
  await alerts.getByRole("button", { name: /Show all \d+ alerts/ }).click();
  assert.ok(await alerts.locator(".alert-item").count() >= 5);
  await noSerious(patel, "the inbox with many alerts");
  await screenshot(patel, "staff-alerts");
  // The name leads to the conversation.
  await first.getByRole("link").click();
  await patel.getByRole("heading", { name: "Bad night 5" }).waitFor();

  const phone = await page({ width: 390 });
  await signIn(phone, suite.server.url, "dr.okafor");
  await phone.locator("#alerts .alert-item").first().waitFor();
  const share = await phone.evaluate(() => document.getElementById("alerts").getBoundingClientRect().height / window.innerHeight);
  assert.ok(share <= 0.31, `alerts take ${Math.round(share * 100)}% of a phone's screen`);
  await phone.locator("#rows .row").first().waitFor();
  await screenshot(phone, "staff-alerts-phone");
});

test("staff start a conversation from the inbox and from a patient's address; the patient sees it", async () => {
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  const dialog = await fillStartDialog(nina, {
    search: "carol", name: /Carol Smith/, topic: "test_results", subject: "Your A1c result",
    message: "Your A1c is 6.4, a little better than last time.",
  });
  await noSerious(nina, "the start dialog");
  await screenshot(nina, "staff-start-conversation");
  await dialog.getByRole("button", { name: "Send to the patient" }).click();
  await nina.getByRole("heading", { name: "Your A1c result" }).waitFor();
  assert.match(await nina.locator("#assigned-to").textContent(), /Nina Alvarez/);

  const carol = await page({ width: 390 });
  await signIn(carol, suite.server.url, "carol");
  await carol.locator(".conversation", { hasText: "Your A1c result" }).waitFor();

  // From the patient list: /inbox#/start/<patient id> opens the dialog with her chosen.
  const patients = await nina.evaluate(async () => (await fetch("/api/v1/patient-accounts")).json());
  const alice = patients.find((p) => p.given_name === "Alice");
  await nina.goto(`${suite.server.url}/inbox#/start/${alice.id}`);
  await ready(nina);
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel(/Alice Nguyen/).isChecked(), true);
});

test("corrections from the thread, by the patient and by staff; the original stays", async () => {
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  const id = await write(alice, "Dose question", "I take 50 mg of metoprolol every morning.");
  await alice.locator("#thread .bubble.mine").getByRole("button", { name: "Correct this" }).click();
  await alice.getByLabel("Your correction").fill("Sorry, it is 25 mg.");
  await alice.getByRole("button", { name: "Add correction" }).click();
  const mine = alice.locator("#thread .bubble.mine");
  await mine.locator(".amendment", { hasText: "25 mg" }).waitFor();
  assert.match(await mine.textContent(), /I take 50 mg of metoprolol every morning\./, "the original stays");

  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await open(nina, id, "Dose question");
  await nina.locator("#timeline .bubble.theirs .amendment", { hasText: "25 mg" }).waitFor();
  await nina.getByLabel("Reply to the patient").fill("Take it at night.");
  await nina.getByRole("button", { name: "Send reply" }).click();
  const reply = nina.locator("#timeline .bubble.mine", { hasText: "Take it at night." });
  await reply.getByRole("button", { name: "Correct" }).click();
  await nina.getByLabel(/Correction \(the patient sees it/).fill("At bedtime, with food.");
  await nina.getByRole("button", { name: "Add correction" }).click();
  await reply.locator(".amendment", { hasText: "At bedtime" }).waitFor();
  await alice.locator("#thread .amendment", { hasText: "At bedtime" }).waitFor(LIVE);
  // Nobody corrects someone else's words: no button on the other side's messages.
  assert.equal(await nina.locator("#timeline .bubble.theirs .amend").count(), 0);
});

test("a quick reply shows the filled-in text before it goes in, and templates past review come last, marked", async () => {
  const nina = await ninaOnBloodPressure();
  await nina.locator("#conversation").focus();
  await nina.keyboard.press("t");
  const dialog = nina.getByRole("dialog", { name: "Insert a quick reply" });
  await dialog.locator(".template").first().waitFor();
  const names = await dialog.locator(".template-name").allTextContents();
  const stale = names.findIndex((n) => /past its review date/i.test(n));
  if (stale >= 0) assert.equal(stale, names.length - 1, `the template due for review is last: ${names}`);
  await dialog.locator(".template", { hasText: "Refill sent" }).focus();
  const preview = dialog.locator("#template-preview");
  await preview.waitFor({ state: "visible" });
  assert.match(await preview.textContent(), /Hi Alice, your refill has been sent/);
  assert.equal(await nina.getByLabel("Reply to the patient").inputValue(), "", "nothing inserted yet");
  await noSerious(nina, "the quick-reply preview");
  await screenshot(nina, "staff-quick-reply-preview");
  // (The screenshot takes focus away; choosing it is Enter on the focused template.)
  await dialog.locator(".template", { hasText: "Refill sent" }).focus();
  await nina.keyboard.press("Enter");
  await dialog.waitFor({ state: "hidden" });
  assert.match(await nina.getByLabel("Reply to the patient").inputValue(), /Hi Alice, your refill has been sent/);
});

test("a conversation prints every message, sender and time in full, without the reply box", async () => {
  const nina = await ninaOnBloodPressure();
  const screenOnly = [".composer", ".actions", ".topbar", ".list-pane"];
  for (const shown of screenOnly) assert.equal(await nina.locator(shown).first().isVisible(), true, `${shown} on screen`);
  await nina.emulateMedia({ media: "print" });
  const reply = nina.locator("#timeline .bubble.mine").first();
  await reply.waitFor({ state: "visible" }); // the reply text prints
  // The full date and time (once the print rules apply).
  await reply.locator("time .print-only").waitFor({ state: "visible" });
  assert.match(await reply.locator("time").innerText(), /\w+day, \w+ \d+ at \d+:\d\d/, "the full date and time");
  for (const hidden of screenOnly) await nina.locator(hidden).first().waitFor({ state: "hidden" });
  const colour = await reply.evaluate((n) => getComputedStyle(n).color);
  assert.equal(colour, "rgb(0, 0, 0)", "full contrast");
  await nina.emulateMedia({ media: "screen" });

  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  await alice.locator(".conversation", { hasText: "New blood pressure medicine" }).getByRole("link").click();
  await alice.getByRole("button", { name: "Print or save as PDF" }).waitFor();
  assert.equal(await alice.locator("form.reply").isVisible(), true, "the reply box on screen");
  await alice.emulateMedia({ media: "print" });
  await alice.locator("#thread .bubble.theirs").first().waitFor({ state: "visible" });
  await alice.locator("form.reply").waitFor({ state: "hidden" });
  await alice.getByRole("button", { name: "Print or save as PDF" }).waitFor({ state: "hidden" });
  await alice.emulateMedia({ media: "screen" });
});

test("a patient keeps their contact details and changes their password in settings", async () => {
  const carol = await page({ width: 390 });
  await signIn(carol, suite.server.url, "carol");
  await carol.getByRole("link", { name: "Settings" }).click();
  await carol.getByRole("heading", { name: "Settings" }).waitFor();
  // The contact card (the notifications card has an "Email" and a "Save" of its own).
  const contact = carol.locator("#contact-form");
  await contact.getByLabel("Email").fill("not an address");
  await contact.getByRole("button", { name: "Save", exact: true }).click();
  await carol.getByText("is not an email address").waitFor();
  await contact.getByLabel("Email").fill("carol.smith@example.org");
  await contact.getByLabel("Mobile phone").fill("(555) 010-0188");
  await contact.getByRole("button", { name: "Save", exact: true }).click();
  await contact.getByText("Saved.").waitFor();
  await carol.reload();
  await ready(carol);
  assert.equal(await contact.getByLabel("Email").inputValue(), "carol.smith@example.org");
  await carol.getByLabel("Current password").fill("switchboard-demo");
  await carol.getByLabel("New password").fill("a river and three bicycles");
  await carol.getByRole("button", { name: "Change password" }).click();
  await carol.getByText("Your password is changed").waitFor();
  await noSerious(carol, "settings");
  await screenshot(carol, "patient-settings");
});

test("the staff inbox on a tablet and on a phone: one scroll area per pane, the title in view, a way back", async () => {
  const tablet = await page({ width: 820 });
  // A nurse: the front desk's rows of clinical conversations do not open.
  await signIn(tablet, suite.server.url, "nina.nurse");
  await tablet.locator("#rows button.row").first().click();
  await tablet.locator("#detail-title").waitFor();
  await noOverflow(tablet);
  // The list and the conversation sit side by side, not on top of each other.
  const [list, detail] = await Promise.all([".list-pane", ".detail-pane"].map((s) => tablet.locator(s).boundingBox()));
  assert.ok(list.x + list.width <= detail.x + 1, `panes overlap: ${JSON.stringify({ list, detail })}`);
  // Scrolling the conversation keeps its title in view.
  await tablet.locator(".detail-pane").evaluate((p) => p.scrollTo(0, p.scrollHeight));
  const title = await tablet.locator("#detail-title").boundingBox();
  const pane = await tablet.locator(".detail-pane").boundingBox();
  assert.ok(title.y >= pane.y - 1 && title.y < pane.y + 120, `the title scrolled away: ${JSON.stringify({ title, pane })}`);
  await noSerious(tablet, "the inbox at 820 px");
  await screenshot(tablet, "staff-inbox-tablet");

  const phone = await page({ width: 390 });
  await signIn(phone, suite.server.url, "nina.nurse");
  await phone.locator("#rows .row").first().waitFor();
  assert.equal(await phone.locator(".detail-pane").isVisible(), false, "the list alone");
  await noOverflow(phone);
  await screenshot(phone, "staff-inbox-phone");
  await phone.locator("#rows button.row").first().click();
  await phone.locator("#detail-title").waitFor();
  assert.equal(await phone.locator(".list-pane").isVisible(), false, "the conversation alone");
  await noOverflow(phone);
  await noSerious(phone, "a conversation on a phone");
  await screenshot(phone, "staff-conversation-phone");
  await phone.getByRole("button", { name: "← Back to the list" }).click();
  await phone.locator("#rows .row").first().waitFor({ state: "visible" });

  const desk = await page({ width: 1440 });
  await signIn(desk, suite.server.url, "nina.nurse");
  await desk.locator("#rows button.row").first().click();
  await desk.locator("#detail-title").waitFor();
  await noSerious(desk, "the inbox at 1440 px");
  await screenshot(desk, "staff-conversation-actions");
});

test("the patient app on a tablet and a desktop: list, writing, a thread and settings pass axe and fit", async () => {
  for (const width of [820, 1440]) {
    const alice = await page({ width });
    await signIn(alice, suite.server.url, "alice");
    await alice.locator(".conversations").waitFor();
    await noOverflow(alice);
    await noSerious(alice, `the list at ${width}`);
    await screenshot(alice, `patient-list-${width}`);
    await alice.getByRole("link", { name: "New message" }).click();
    await alice.locator(".guidance").waitFor();
    await noSerious(alice, `writing at ${width}`);
    await screenshot(alice, `patient-compose-${width}`);
    await alice.goto(`${suite.server.url}/app#/`);
    await alice.locator(".conversation", { hasText: "New blood pressure medicine" }).getByRole("link").click();
    await alice.locator("#thread .bubble").first().waitFor();
    await noOverflow(alice);
    await noSerious(alice, `a thread at ${width}`);
    await screenshot(alice, `patient-thread-${width}`);
    await alice.getByRole("link", { name: "Settings" }).click();
    await alice.getByRole("heading", { name: "Settings" }).waitFor();
    await noSerious(alice, `settings at ${width}`);
  }
});
