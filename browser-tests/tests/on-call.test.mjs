// The on-call card of the setup page in a real browser: an administrator
// whose computer is in another time zone adds shifts on the practice's
// clock (refused beside the field when they end before they start or
// repeat someone's cover, with what was typed kept), sees who is on call
// now, removes a shift, and changes the paging settings (a number that is
// not one refused beside its field); colleagues read it all and change
// nothing. Accessibility and screenshots at 390, 820 and 1440 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();
const ZONE = "America/New_York"; // the demo practice's

/** Signs `username` in and opens the setup page at its on-call card. */
async function openSetup(username, opts) {
  const p = await suite.page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/admin#on-call`);
  await ready(p);
  return p;
}

/** The practice's calendar day `days` from now, "YYYY-MM-DD". */
function practiceDay(days) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(Date.now() + days * 86400000));
}

/** The practice's wall clock at `iso`: "YYYY-MM-DD HH:MM". */
function practiceClock(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const shifts = (p) => p.evaluate(async () => (await (await fetch("/api/v1/on-call")).json()));

test("an administrator in another time zone puts people on call on the practice's clock, and takes them off", async () => {
  // Her laptop is in London; the practice is in New York.
  const admin = await openSetup("admin", { timezoneId: "Europe/London" });
  const card = admin.locator("#on-call");
  await card.getByRole("heading", { name: "On call" }).waitFor();
  await admin.locator("#on-call-nobody").waitFor();
  assert.match(await admin.locator("#on-call-nobody").textContent(), /^Nobody is on call right now\. An urgent message now raises alerts in the inbox/);
  assert.match(await card.textContent(), /Times are the practice's \(New York time\), not this device's\./);
  assert.deepEqual(await seriousViolations(admin), []);

  // Tomorrow evening to the morning after, for Primary Care, as the backup.
  const [evening, morning] = [practiceDay(1), practiceDay(2)];
  await card.getByLabel("Who is on call").selectOption({ label: "Nina Alvarez, RN (Nurse)" });
  await card.getByLabel("For", { exact: true }).selectOption({ label: "Primary Care" });
  await card.getByLabel("On call from").fill(`${evening}T17:00`);
  // Ending before it starts: refused beside "Until", nothing typed lost.
  await card.getByLabel("Until").fill(`${evening}T08:00`);
  await card.getByLabel("Order").selectOption({ label: "Paged second" });
  await admin.getByRole("button", { name: "Add to the schedule" }).click();
  const endError = admin.locator("#shift-end-error");
  await endError.waitFor();
  assert.equal(await endError.textContent(), "The shift must end after it starts.");
  assert.equal(await card.getByLabel("Until").getAttribute("aria-invalid"), "true");
  assert.equal(await admin.evaluate(() => document.activeElement.id), "shift-end");
  assert.equal(await card.getByLabel("On call from").inputValue(), `${evening}T17:00`);
  assert.equal(await card.getByLabel("Order").inputValue(), "1");
  assert.equal((await shifts(admin)).length, 0, "nothing saved");
  for (const width of [390, 820, 1440]) {
    await admin.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(admin, `setup-on-call-refused-${width}`, { element: admin.locator("#shift-form") });
  }
  await admin.setViewportSize({ width: 1366, height: 900 });

  await card.getByLabel("Until").fill(`${morning}T08:00`);
  await admin.getByRole("button", { name: "Add to the schedule" }).click();
  await admin.locator("#shift-status", { hasText: "Added: Nina Alvarez, RN" }).waitFor();
  assert.equal(await endError.isVisible(), false);
  let saved = await shifts(admin);
  assert.equal(saved.length, 1);
  // 5 PM and 8 AM in New York, whatever the browser's zone.
  assert.equal(practiceClock(saved[0].starts_at), `${evening} 17:00`);
  assert.equal(practiceClock(saved[0].ends_at), `${morning} 08:00`);
  assert.equal(saved[0].position, 1);
  const item = admin.locator("#shift-list > li").first();
  const itemText = await item.textContent();
  assert.match(itemText, /Nina Alvarez, RN/);
  assert.match(itemText, /5:00\s?PM/);
  assert.match(itemText, /8:00\s?AM/);
  assert.match(itemText, /Primary Care · Paged second/);

  // The same person and place again at some of the same time: refused, said why.
  await card.getByLabel("On call from").fill(`${morning}T06:00`);
  await card.getByLabel("Until").fill(`${morning}T09:00`);
  await admin.getByRole("button", { name: "Add to the schedule" }).click();
  await admin.locator("#shift-start-error", { hasText: "Nina Alvarez, RN is already on call for Primary Care at some of that time" }).waitFor();
  assert.equal((await shifts(admin)).length, 1);

  // Dr. Patel for the whole practice, now: on call now.
  const now = new Date();
  const clock = (d) => practiceClock(d.toISOString()).replace(" ", "T");
  await card.getByLabel("Who is on call").selectOption({ label: "Dr. Priya Patel (Provider)" });
  await card.getByLabel("For", { exact: true }).selectOption({ label: "The whole practice" });
  await card.getByLabel("On call from").fill(clock(new Date(now.getTime() - 3600_000)));
  await card.getByLabel("Until").fill(clock(new Date(now.getTime() + 3 * 3600_000)));
  await card.getByLabel("Order").selectOption({ label: "Paged first" });
  await admin.getByRole("button", { name: "Add to the schedule" }).click();
  await admin.locator("#shift-status", { hasText: "Added: Dr. Priya Patel" }).waitFor();
  await admin.locator("#on-call-nobody").waitFor({ state: "detached" });
  const current = admin.locator("#shift-list > li.current");
  assert.equal(await current.count(), 1);
  assert.match(await current.textContent(), /Dr\. Priya Patel.*On call now.*Whole practice · Paged first/);
  assert.deepEqual(await seriousViolations(admin), []);
  for (const width of [390, 820, 1440]) {
    const p = await openSetup("admin", { width });
    await p.locator("#shift-list").waitFor();
    assert.deepEqual(await seriousViolations(p), [], `on call, ${width}`);
    await screenshot(p, `setup-on-call-${width}`, { element: p.locator("#on-call") });
  }

  // Colleagues see the schedule and paging, and change nothing.
  const nina = await openSetup("nina.nurse");
  await nina.locator("#shift-list").waitFor();
  assert.equal(await nina.locator("#on-call-readonly").isVisible(), true);
  assert.equal(await nina.locator("#shift-form").count(), 0);
  assert.equal(await nina.locator("#on-call").getByRole("button").count(), 0);
  assert.match(await nina.locator("#on-call .facts").textContent(), /Wait for an acknowledgement10 minutes/);
  assert.deepEqual(await seriousViolations(nina), []);

  // Dr. Patel's shift removed: nobody is on call now again.
  await item.waitFor();
  const remove = admin.getByRole("button", { name: /^Remove Dr\. Priya Patel, / });
  await remove.click();
  await admin.locator("#on-call-nobody").waitFor();
  saved = await shifts(admin);
  assert.deepEqual(saved.map((s) => s.position), [1], "Nina's shift stays");
  assert.equal(await admin.locator("#shift-list > li").count(), 1);
  // Focus stays in the list, on the next Remove.
  assert.match(await admin.evaluate(() => document.activeElement.textContent), /^Remove Nina Alvarez, RN/);
});

test("an administrator changes how long a page waits and the fallback number; a wrong number is refused beside its field", async () => {
  const admin = await openSetup("admin");
  const wait = admin.getByLabel("Minutes to wait for an acknowledgement");
  const fallback = admin.getByLabel("Fallback number");
  assert.equal(await wait.inputValue(), "10");
  assert.match(await admin.locator("#on-call-after-hours").textContent(), /After-hours line for patients: \(555\) 010-0199\./);

  await wait.fill("0");
  await admin.getByRole("button", { name: "Save paging settings" }).click();
  await admin.locator("#paging-ack-error", { hasText: "Enter whole minutes from 1 to 120." }).waitFor();

  await wait.fill("15");
  await fallback.fill("ask the neighbours");
  await admin.getByRole("button", { name: "Save paging settings" }).click();
  const refusal = admin.locator("#paging-fallback-error");
  await refusal.waitFor();
  assert.ok((await refusal.textContent()).length > 10, await refusal.textContent());
  assert.equal(await fallback.getAttribute("aria-invalid"), "true");
  assert.equal(await admin.evaluate(() => document.activeElement.id), "paging-fallback");
  assert.equal(await fallback.inputValue(), "ask the neighbours", "what was typed stays");
  assert.equal(await wait.inputValue(), "15");
  assert.equal(await admin.locator("#paging-ack-error").isVisible(), false);
  assert.equal(await admin.locator("#paging-status").textContent(), "");
  const paging = () => admin.evaluate(async () => (await (await fetch("/api/v1/practice/paging")).json()));
  assert.deepEqual(await paging(), { ack_minutes: 10, fallback_phone: null }, "nothing saved");
  for (const width of [390, 820, 1440]) {
    await admin.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(admin, `setup-paging-refused-${width}`, { element: admin.locator("#paging-form") });
  }
  assert.deepEqual(await seriousViolations(admin), []);

  await fallback.fill("(555) 010-0190");
  await admin.getByRole("button", { name: "Save paging settings" }).click();
  await admin.locator("#paging-status", { hasText: "Paging settings saved." }).waitFor();
  assert.equal(await refusal.isVisible(), false);
  assert.deepEqual(await paging(), { ack_minutes: 15, fallback_phone: "(555) 010-0190" });
  // With nobody on call, the fallback number is said to be the one texted.
  if (await admin.locator("#on-call-nobody").count()) {
    assert.match(await admin.locator("#on-call-nobody").textContent(), /only the fallback number is texted/);
  }
  await admin.reload();
  await ready(admin);
  assert.equal(await admin.getByLabel("Minutes to wait for an acknowledgement").inputValue(), "15");
  assert.equal(await admin.getByLabel("Fallback number").inputValue(), "(555) 010-0190");

  const nina = await openSetup("nina.nurse");
  await nina.locator("#on-call .facts").waitFor();
  assert.match(await nina.locator("#on-call .facts").textContent(), /Wait for an acknowledgement15 minutes.*Fallback number\(555\) 010-0190/);
});
