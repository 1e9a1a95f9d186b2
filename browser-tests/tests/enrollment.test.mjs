// Enrollment terms and the soft launch in a real browser: an administrator
// publishes new messaging terms on the setup page; a patient is shown them
// (with the emergency wording), may read their messages first, and accepts
// them before writing, without losing what they typed. Then a soft launch:
// patient messaging on for Cardiology first, and one patient added on their
// page. Screenshots at 390, 820 and 1440 pixels wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);
const WIDTHS = [390, 820, 1440];
const NEW_TERMS = "Secure messages are for questions that can wait a business day.\n\n"
  + "In an emergency, call 911. If you are thinking about harming yourself, call or text 988.\n\n"
  + "From March, the front desk also reads messages about appointments.";

async function setup(username, opts = {}) {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/admin#enrollment`);
  await ready(p);
  await p.locator("#enrollment-summary li").first().waitFor();
  return p;
}

test("new terms: published by an administrator, shown to the patient, accepted before their reply goes, with the reply kept", async () => {
  const admin = await setup("admin");
  const section = admin.locator("#enrollment");
  assert.match(await section.locator("#enrollment-summary").textContent(), /enrolled\..*Messaging is on for every patient\..*accepted the terms in force \(version 1\)/s);
  assert.match(await section.locator("#terms-current").textContent(), /call 911.*Version 1, published .* \(the standard wording every practice starts with\)/s);
  await section.getByRole("button", { name: "Write new terms" }).click();
  // The same terms again are refused, and nothing is published.
  await section.getByRole("button", { name: "Publish…" }).click();
  await section.getByRole("alert").filter({ hasText: "These are the terms in force." }).waitFor();
  await section.getByLabel("New terms").fill(NEW_TERMS);
  await section.getByRole("button", { name: "Publish…" }).click();
  assert.match(await section.locator("#terms-confirm").textContent(), /Publish these as version 2\? Every enrolled patient will be shown them/);
  assert.deepEqual(await seriousViolations(admin), []);
  await section.getByRole("button", { name: "Publish", exact: true }).click();
  await section.locator("#terms-current").filter({ hasText: "Version 2, published" }).waitFor();
  assert.match(await section.locator("#terms-current").textContent(), /From March, the front desk.*by Alex Morgan/s);
  assert.match(await section.locator("#terms-earlier").textContent(), /Version 1/);
  assert.match(await section.locator("#enrollment-summary").textContent(), /will be asked to accept them before they next write/);

  // Alice, on her phone: the new terms first, below the emergency note.
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("heading", { name: "Your practice updated its messaging terms" }).waitFor();
  assert.match(await alice.locator("#main").textContent(), /call 911 now.*988.*From March, the front desk/s);
  assert.deepEqual(await seriousViolations(alice), []);
  await screenshot(alice, "patient-terms-updated-390");
  // She reads her messages first.
  await alice.getByRole("button", { name: "Not now: read my messages" }).click();
  await alice.getByRole("heading", { name: "Messages" }).waitFor();
  await alice.getByRole("link", { name: "Read and accept the messaging terms" }).waitFor();
  await alice.locator(".conversations a").first().click();
  const reply = alice.getByLabel(/Reply|Your reply|Write a reply/);
  await reply.fill("Is my refill ready?");
  await alice.getByRole("button", { name: /^Send/ }).click();
  await alice.getByRole("alert").filter({ hasText: "Before your message is sent, please read and accept" }).waitFor();
  assert.equal(await reply.inputValue(), "Is my refill ready?", "the reply is kept");
  await screenshot(alice, "patient-terms-inline-390", { asScrolled: true });
  await alice.getByRole("button", { name: "I accept these terms" }).click();
  // Accepted: the reply goes, and shows in the conversation.
  await alice.locator(".bubble.mine").filter({ hasText: "Is my refill ready?" }).waitFor();
  assert.equal(await reply.inputValue(), "");
  await alice.reload();
  await ready(alice);
  assert.equal(await alice.getByRole("heading", { name: "Your practice updated its messaging terms" }).count(), 0);

  // The record says when and how she accepted.
  await admin.goto(`${suite.server.url}/people`);
  await ready(admin);
  const row = admin.locator("tr", { hasText: "Alice Nguyen" });
  await row.waitFor();
  assert.match(await row.textContent(), /Accepted the messaging terms \(version 2\) today at \d+:\d\d [AP]M, in the app/);
});

test("a soft launch: Cardiology first, then one patient added on her page; the setup section at three widths", async () => {
  const admin = await setup("admin");
  const section = admin.locator("#enrollment");
  await section.getByLabel("Chosen groups first (a soft launch)").check();
  await section.getByLabel("Cardiology").check();
  await section.getByRole("button", { name: "Save who it is on for" }).click();
  await section.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.match(await section.locator("#enrollment-summary").textContent(), /\d+ of \d+ patients in the groups messaging is on for\./);

  // Alice (Primary Care) cannot start a conversation yet, and is told whom to call; Bob (Cardiology) can.
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("heading", { name: "Messages" }).waitFor();
  await alice.getByText("Your practice has not turned on messages from patients for you yet.").waitFor();
  assert.equal(await alice.getByRole("link", { name: "New message" }).count(), 0);
  assert.match(await alice.locator(".not-open").textContent(), /call (us at|the office).*You can still answer messages your care team sends you here\./);
  await screenshot(alice, "patient-not-open-390");
  const bob = await page({ width: 390 });
  await signIn(bob, suite.server.url, "bob");
  // Bob has not seen the terms published in the test before: he accepts them first.
  await bob.getByRole("button", { name: "I accept these terms" }).click();
  await bob.getByRole("link", { name: "New message" }).waitFor();

  // The administrator adds Alice on her page.
  await admin.goto(`${suite.server.url}/people`);
  await ready(admin);
  await admin.locator("tr", { hasText: "Alice Nguyen" }).getByRole("link", { name: "Alice Nguyen", exact: true }).click();
  const launch = admin.getByLabel("On the launch list (messaging on for this patient)");
  await launch.waitFor();
  assert.equal(await launch.isChecked(), false);
  await launch.check();
  await admin.locator("#patient-view .launch").filter({ hasText: /^On/ }).waitFor();
  await alice.reload();
  await ready(alice);
  await alice.getByRole("link", { name: "New message" }).waitFor();

  for (const width of WIDTHS) {
    const p = await setup("admin", { width });
    assert.deepEqual(await seriousViolations(p), [], `setup at ${width}`);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the setup page is ${overflow}px too wide at ${width}`);
    await screenshot(p, `setup-enrollment-${width}`, { element: p.locator("#enrollment") });
  }
});
