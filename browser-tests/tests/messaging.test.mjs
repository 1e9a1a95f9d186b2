// The patient app and the staff inbox in a real browser: live messaging in
// both directions, read receipts, the emergency guidance, isolation between
// patients, keyboard work, accessibility, and no CSP violations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

const LIVE = { timeout: 10000 };

test("a patient's message appears live in the staff inbox, the reply live for the patient, and staff see it read", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.getByRole("heading", { name: "Needs response" }).waitFor();
  const needsCountBefore = Number(await nina.locator("#views .view.active .count").textContent());

  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("link", { name: "New message" }).click();
  await alice.getByLabel("What is it about?").selectOption("prescription_refill");
  await alice.getByLabel("Subject").fill("Inhaler refill");
  await alice.getByLabel("Your message").fill("Could you refill my albuterol inhaler? I have two puffs left.");
  await screenshot(alice, "patient-compose");
  await alice.getByRole("button", { name: "Send message" }).click();
  await alice.getByRole("heading", { name: "Inhaler refill" }).waitFor();

  // Staff see it without reloading: the row, and the count.
  const row = nina.locator("#rows .row", { hasText: "Inhaler refill" });
  await row.waitFor(LIVE);
  assert.match(await row.textContent(), /Alice Nguyen/);
  assert.ok(await row.evaluate((r) => r.classList.contains("unread")), "shown as unread");
  await nina.waitForFunction((n) => Number(document.querySelector("#views .view.active .count").textContent) === n + 1, needsCountBefore, LIVE);
  await screenshot(nina, "staff-inbox");

  // Staff open it, start typing (the patient sees that), and reply.
  await row.click();
  await nina.getByRole("heading", { name: "Inhaler refill" }).waitFor();
  assert.match(await nina.locator(".context").textContent(), /1984-03-12.*Dr\. Patel's team.*Primary Care/s);
  await nina.getByLabel("Reply to the patient").pressSequentially("Sent to your pharmacy", { delay: 20 });
  await alice.getByText("Your care team is typing…").waitFor(LIVE);
  await nina.getByLabel("Reply to the patient").fill("Sent to your pharmacy; it will be ready after 3 PM today.");
  await nina.getByRole("button", { name: "Send reply" }).click();

  // The patient sees the reply live (the thread is open), which marks it read...
  await alice.getByText("it will be ready after 3 PM today").waitFor(LIVE);
  await alice.getByText(/Read by your care team at/).waitFor(LIVE);
  await screenshot(alice, "patient-thread");
  // ...and staff see "Read by Alice".
  await nina.getByText(/Read by Alice Nguyen at/).waitFor(LIVE);
  await nina.getByLabel("Internal note (staff only, never shown to the patient)").fill("Pharmacy confirmed by phone.");
  await nina.getByRole("button", { name: "Add note" }).click();
  await nina.getByText("Pharmacy confirmed by phone.").waitFor();
  await screenshot(nina, "staff-conversation");
  // The note never reaches the patient.
  await alice.reload();
  await alice.getByText("it will be ready after 3 PM today").waitFor();
  assert.equal(await alice.getByText("Pharmacy confirmed").count(), 0);
});

test("the compose screen tells the patient about emergencies and when to expect an answer", async () => {
  const carol = await page({ mobile: true });
  await signIn(carol, suite.server.url, "carol");
  await screenshot(carol, "patient-list");
  await carol.getByRole("link", { name: "New message" }).click();
  const guidance = carol.locator(".guidance");
  await guidance.waitFor();
  const text = await guidance.textContent();
  assert.match(text, /not for emergencies/i);
  assert.match(text, /chest pain/);
  assert.match(text, /trouble breathing/);
  assert.match(text, /thoughts of suicide/);
  assert.match(text, /call 911/);
  assert.match(text, /988/);
  assert.match(text, /Monday–Friday: 8:00 AM–5:00 PM/);
  assert.match(text, /after hours.*next business day/s);
  // The counter shows the limit while typing.
  await carol.getByLabel("Your message").fill("Hello");
  assert.equal(await carol.locator("#body-count").textContent(), "5 / 2000");
  // It fits a 360-pixel screen: nothing wider than the viewport.
  const overflow = await carol.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
});

test("a patient cannot reach another patient's conversation by its address", async () => {
  const bob = await page({ mobile: true });
  await signIn(bob, suite.server.url, "bob");
  const bobs = await bob.evaluate(async () => (await (await fetch("/api/v1/conversations")).json()).conversations);
  assert.ok(bobs.length > 0);
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.goto(`${suite.server.url}/app#/c/${bobs[0].id}`);
  await alice.getByRole("heading", { name: "We couldn't find that conversation" }).waitFor();
  assert.equal(await alice.getByText(bobs[0].subject).count(), 0);
  // Nor through the API from her session.
  const status = await alice.evaluate(async (id) => (await fetch(`/api/v1/conversations/${id}`)).status, bobs[0].id);
  assert.equal(status, 404);
});

test("staff work the queue from the keyboard", async () => {
  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  await patel.getByRole("heading", { name: "Needs response" }).waitFor();
  await patel.keyboard.press("n");
  await patel.locator("#reply-box").waitFor();
  await patel.keyboard.press("r");
  assert.equal(await patel.evaluate(() => document.activeElement.id), "reply-box");
  await patel.keyboard.press("Escape");
  await patel.keyboard.press("3");
  await patel.getByRole("heading", { name: "Unread" }).waitFor();
  await patel.keyboard.press("?");
  await patel.getByRole("heading", { name: "Keyboard shortcuts" }).waitFor();
  await screenshot(patel, "staff-shortcuts");
  await patel.keyboard.press("Escape");
});

test("no page has a serious or critical accessibility violation", async () => {
  const anon = await page();
  await anon.goto(`${suite.server.url}/`);
  await anon.getByRole("heading", { name: "Sign in" }).waitFor();
  await screenshot(anon, "signin");
  const found = { signin: await seriousViolations(anon) };

  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("heading", { name: "Messages" }).waitFor();
  found.patientList = await seriousViolations(alice);
  await alice.getByRole("link", { name: "New message" }).click();
  await alice.locator(".guidance").waitFor();
  found.patientCompose = await seriousViolations(alice);
  await alice.goto(`${suite.server.url}/app#/`);
  await alice.locator(".conversation a").first().click();
  await alice.locator("#thread .bubble").first().waitFor();
  found.patientThread = await seriousViolations(alice);

  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.locator("#rows .row").first().waitFor();
  found.staffInbox = await seriousViolations(nina);
  await nina.locator("#rows .row").first().click();
  await nina.locator("#detail-title").waitFor();
  found.staffConversation = await seriousViolations(nina);
  await nina.keyboard.press("?");
  await nina.getByRole("heading", { name: "Keyboard shortcuts" }).waitFor();
  found.staffHelp = await seriousViolations(nina);

  for (const [where, violations] of Object.entries(found)) {
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 1)}`);
  }
});

test("assignments appear live in other staff members' inboxes", async () => {
  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  const mine = patel.locator("#views .view", { hasText: "Assigned to me" }).locator(".count");
  const before = Number(await mine.textContent());
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.locator("#rows .row", { hasText: "Metformin refill" }).click();
  // One way to reassign: the dialog, with a reason.
  await nina.getByRole("button", { name: "Reassign…" }).click();
  const dialog = nina.getByRole("dialog", { name: "Reassign" });
  await dialog.getByLabel("Who").selectOption({ label: "Dr. Priya Patel" });
  await dialog.getByRole("button", { name: "Reassign" }).click();
  await dialog.getByText("Give a reason").waitFor();
  await dialog.getByLabel("Reason").fill("Dr. Patel prescribed it");
  await dialog.getByRole("button", { name: "Reassign" }).click();
  await dialog.waitFor({ state: "hidden" });
  await patel.waitForFunction((n) => {
    const views = [...document.querySelectorAll("#views .view")];
    const view = views.find((v) => v.textContent.includes("Assigned to me"));
    return Number(view.querySelector(".count").textContent) === n + 1;
  }, before, LIVE);
  await patel.locator("#views .view", { hasText: "Assigned to me" }).click();
  await patel.locator("#rows .row", { hasText: "Metformin refill" }).waitFor(LIVE);
  assert.match(await patel.locator("#rows .row", { hasText: "Metformin refill" }).textContent(), /Dr\. Priya Patel/);
});

test("signing out ends the session everywhere", async () => {
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("button", { name: "Sign out" }).click();
  await alice.getByText("You are signed out.").waitFor();
  await alice.goto(`${suite.server.url}/app`);
  await alice.getByRole("heading", { name: "Sign in" }).waitFor();
});
