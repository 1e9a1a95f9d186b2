// Routing tools in a real browser: inserting a quick reply with a keystroke,
// escalating to a provider and getting it back, reassigning with a reason,
// the urgent automatic reply with its alert, and writing to one's provider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

const LIVE = { timeout: 10000 };

/** Opens a conversation from a view of the inbox ("My team" unless told). */
async function openRow(p, subject, view = "My team") {
  await p.locator("#views .view", { hasText: view }).click();
  await p.getByRole("heading", { name: view, exact: true }).waitFor();
  await p.locator("#rows .row", { hasText: subject }).first().click();
  await p.getByRole("heading", { name: subject }).waitFor();
}

test("a nurse inserts a quick reply with a keystroke, edits it, and sends it", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await openRow(nina, "New blood pressure medicine");
  // From the conversation, not from a text box: "t" opens the picker.
  await nina.locator("#conversation").focus();
  await nina.keyboard.press("t");
  const dialog = nina.getByRole("dialog", { name: "Insert a quick reply" });
  await dialog.waitFor();
  assert.equal(await nina.evaluate(() => document.activeElement.id), "template-search");
  await nina.keyboard.type("book a");
  // The search narrows the list to the one template.
  await nina.waitForFunction(() => {
    const found = document.querySelectorAll("#template-list .template");
    return found.length === 1 && found[0].textContent.includes("Please book a visit");
  });
  await screenshot(nina, "staff-quick-reply");
  await nina.locator("#template-search").focus(); // the screenshot helper blurs
  await nina.keyboard.press("Enter");
  await dialog.waitFor({ state: "hidden" });

  // Filled in for this patient, in the reply box, with the cursor there.
  const box = nina.getByLabel("Reply to the patient");
  assert.equal(await nina.evaluate(() => document.activeElement.id), "reply-box");
  const text = await box.inputValue();
  assert.match(text, /^Hi Alice, Dr\. Priya Patel would like to see you for this\./);
  assert.match(text, /https:\/\/book\.example\.org\/riverside/);
  assert.doesNotMatch(text, /[{}]/, "every placeholder filled");
  await nina.keyboard.type(" Mornings are best for the blood test.");
  await nina.keyboard.press("Control+Enter");
  await nina.locator("#timeline .bubble.mine", { hasText: "Mornings are best for the blood test." }).waitFor();

  // The patient gets the edited text.
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.locator(".conversation a", { hasText: "New blood pressure medicine" }).click();
  await alice.getByText(/would like to see you for this.*Mornings are best/s).waitFor();
});

test("a nurse escalates to a provider, who answers in a note, and it comes back", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await openRow(nina, "New blood pressure medicine");
  await nina.locator("#conversation").focus();
  await nina.keyboard.press("p");
  const dialog = nina.getByRole("dialog", { name: "Escalate to a provider" });
  await dialog.waitFor();
  await dialog.getByLabel("Provider", { exact: true }).selectOption({ label: "Dr. Priya Patel" });
  // A note is required.
  await dialog.getByRole("button", { name: "Escalate" }).click();
  await dialog.getByText("Write a note").waitFor();
  await dialog.getByLabel("Note for the provider").fill("Dry cough since starting lisinopril. Switch to losartan?");
  await dialog.getByRole("button", { name: "Escalate" }).click();
  await dialog.waitFor({ state: "hidden" });
  await nina.locator("#routing .routing-note.escalated", { hasText: "Escalated to Dr. Priya Patel" }).waitFor();

  // The provider is alerted, and finds it in "Escalated to me" with the note.
  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  await patel.locator("#alerts .alert-item", { hasText: "escalated to you" }).waitFor(LIVE);
  await openRow(patel, "New blood pressure medicine", "Escalated to me");
  await patel.locator("#timeline .note", { hasText: "Switch to losartan?" }).waitFor();
  await screenshot(patel, "staff-escalated");
  await patel.getByLabel("Internal note (staff only, never shown to the patient)").fill("Yes: losartan 25 mg daily; stop lisinopril.");
  await patel.getByRole("button", { name: "Add note" }).click();

  // Back with the nurse: no longer escalated, and the history says so.
  await nina.locator("#routing .routing-note.escalated").waitFor({ state: "detached", ...LIVE });
  await nina.locator("#timeline .note", { hasText: "losartan 25 mg" }).waitFor(LIVE);
  await nina.locator("#routing summary").click();
  await nina.locator("#routing .history li", { hasText: "Returned from escalation" }).waitFor();
  await nina.locator("#routing .history li", { hasText: "Escalated to Dr. Priya Patel by Nina Alvarez, RN" }).waitFor();
  // Having acted, the provider's "escalated to you" alert is gone by itself.
  await patel.locator("#alerts .alert-item", { hasText: "escalated to you" }).waitFor({ state: "detached", ...LIVE });
});

test("reassigning to a pool keeps the reason in the history", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await openRow(nina, "Metformin refill");
  await nina.locator("#conversation").focus();
  await nina.keyboard.press("g");
  const dialog = nina.getByRole("dialog", { name: "Reassign" });
  await dialog.waitFor();
  await dialog.getByLabel("A pool").check();
  await dialog.getByLabel("Who").selectOption({ label: "Front desk" });
  await dialog.getByLabel("Reason").fill("Needs a visit booked first");
  await dialog.getByRole("button", { name: "Reassign" }).click();
  await dialog.waitFor({ state: "hidden" });
  await nina.locator("#routing .routing-reason", { hasText: "Front desk" }).waitFor();
  if (!(await nina.locator("#routing details").evaluate((d) => d.open))) await nina.locator("#routing summary").click();
  const entry = nina.locator("#routing .history li", { hasText: "Needs a visit booked first" });
  await entry.waitFor();
  assert.match(await entry.textContent(), /Reassigned to Front desk.*by Nina Alvarez, RN/);
});

test("an emergency message gets the 911 reply at once and alerts the care team live", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("link", { name: "New message" }).click();
  await alice.getByLabel("What is it about?").selectOption("care_question");
  await alice.getByLabel("Subject").fill("Feeling awful");
  await alice.getByLabel("Your message").fill("I have crushing chest pain right now and my left arm is numb");
  await alice.getByRole("button", { name: "Send message" }).click();
  const reply = alice.locator("#thread .bubble.system");
  await reply.waitFor();
  assert.match(await reply.textContent(), /call 911 now/);
  await screenshot(alice, "patient-urgent-reply");

  const alert = nina.locator("#alerts .alert-item", { hasText: "Possible emergency" });
  await alert.waitFor(LIVE);
  assert.doesNotMatch(await alert.textContent(), /chest/i, "no health information in the alert");
  await alert.getByRole("button", { name: "Open" }).click();
  await nina.getByRole("heading", { name: "Feeling awful" }).waitFor();
  assert.equal(await nina.locator("#urgent-tag").isVisible(), true);
  await nina.locator("#timeline .bubble.system", { hasText: "Automatic reply" }).waitFor();
  await screenshot(nina, "staff-urgent");
  await nina.getByRole("button", { name: "Acknowledge" }).first().click();
  await nina.locator("#alerts .alert-item", { hasText: "Possible emergency" }).waitFor({ state: "detached" });
});

test("a patient can write to their provider, and the new screens are accessible", async () => {
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.getByRole("link", { name: "New message" }).click();
  await alice.getByLabel("What is it about?").selectOption("care_question");
  await alice.getByLabel("Who should read it?").selectOption({ label: "Dr. Priya Patel" });
  await alice.getByText("Dr. Priya Patel will read it.").waitFor();
  const found = { patientCompose: await seriousViolations(alice) };
  await alice.getByLabel("Subject").fill("For Dr. Patel");
  await alice.getByLabel("Your message").fill("Thank you for last week.");
  await alice.getByRole("button", { name: "Send message" }).click();
  await alice.getByRole("heading", { name: "For Dr. Patel" }).waitFor();

  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  await openRow(patel, "For Dr. Patel");
  assert.match(await patel.locator("#routing .routing-reason").textContent(), /Routed to Dr\. Priya Patel because rule 6/);
  found.routing = await seriousViolations(patel);
  await patel.locator("#conversation").focus();
  await patel.keyboard.press("t");
  await patel.getByRole("dialog", { name: "Insert a quick reply" }).locator(".template").first().waitFor();
  found.quickReply = await seriousViolations(patel);
  await patel.keyboard.press("Escape");
  await patel.keyboard.press("g");
  await patel.getByRole("dialog", { name: "Reassign" }).waitFor();
  found.reassign = await seriousViolations(patel);
  for (const [where, violations] of Object.entries(found)) {
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 1)}`);
  }
});
