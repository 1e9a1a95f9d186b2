// A patient with no account opens a secure link in a real browser: the
// date of birth, then the one-time code, then the one conversation in the
// patient app, answered, with enrollment offered in place of the list.
// The demo has no SMS gateway, so the link and the code are read from the
// administrators' outbox, where what would have been sent waits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();

/** The newest outbox text matching `pattern`, once the delivery job has run. */
async function fromOutbox(admin, pattern) {
  for (let i = 0; i < 100; i++) {
    const texts = await admin.evaluate(async () => (await (await fetch("/api/v1/outbox")).json()).map((o) => o.text));
    const found = texts.map((t) => t.match(new RegExp(pattern))).find(Boolean);
    if (found) return found[1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing matching ${pattern} in the outbox`);
}

test("a patient without an account reads and answers a secure message", async () => {
  const nina = await suite.page();
  await signIn(nina, suite.server.url, "nina.nurse");
  // Grace Kim: on file with a mobile number, not enrolled.
  const conversation = await nina.evaluate(async () => {
    const post = async (path, body) => {
      const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const patients = await (await fetch("/api/v1/patient-accounts?limit=200")).json();
    const grace = patients.find((p) => p.mrn === "RFM-1005");
    const c = await post("/api/v1/conversations",
      { patient_id: grace.id, subject: "Your lab results", topic: "care_question", body: "Your results are in. Any questions?" });
    await post(`/api/v1/conversations/${c.id}/secure-links`, {});
    return c.id;
  });
  const admin = await suite.page();
  await signIn(admin, suite.server.url, "admin");
  const token = await fromOutbox(admin, "/secure#token=([A-Za-z0-9_-]+)");

  const p = await suite.page({ mobile: true });
  await p.goto(`${suite.server.url}/secure#token=${token}`);
  await ready(p);
  assert.equal(new URL(p.url()).hash, "", "the token leaves the address bar");
  await p.getByRole("heading", { name: "You have a secure message from Riverside Family Medicine" }).waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  assert.doesNotMatch(await p.textContent("body"), /lab|Grace/i, "nothing is shown before the check");
  await p.getByLabel("Month").fill("9");
  await p.getByLabel("Day").fill("30");
  await p.getByLabel("Year").fill("1975");
  await p.getByRole("button", { name: "Continue" }).click();
  await p.getByRole("heading", { name: "Enter your code" }).waitFor();
  const code = await fromOutbox(admin, "Code: (\\d{6})");
  await p.getByLabel("Your 6-digit code").fill(code);
  await p.getByRole("button", { name: "Open the message" }).click();
  await p.waitForURL(new RegExp(`/app#/c/${conversation}$`));
  await ready(p);
  await p.getByRole("heading", { name: "Your lab results" }).waitFor();
  await p.getByText("Your results are in. Any questions?").waitFor();
  assert.equal(await p.getByRole("link", { name: "← All messages" }).count(), 0, "no list to go back to");
  await p.getByRole("button", { name: "Enroll" }).waitFor();
  assert.deepEqual(await seriousViolations(p), []);

  await p.getByLabel("Write a reply").fill("Thank you, no questions.");
  await p.getByRole("button", { name: "Send" }).click();
  await p.locator("#thread").getByText("Thank you, no questions.").waitFor();

  // Any other address in the app still opens the one conversation.
  await p.goto(`${suite.server.url}/app#/`);
  await ready(p);
  await p.getByRole("heading", { name: "Your lab results" }).waitFor();

  // Staff see the answer.
  const last = await nina.evaluate(async (id) => {
    const c = await (await fetch(`/api/v1/conversations/${id}`)).json();
    return c.messages[c.messages.length - 1];
  }, conversation);
  assert.equal(last.body, "Thank you, no questions.");
  assert.equal(last.sender.kind, "patient");

  // Enrollment is offered: an invitation to the same number.
  await p.getByRole("button", { name: "Enroll" }).click();
  await p.getByText("We sent you an invitation by text message.", { exact: false }).waitFor();
});

test("a secure link sent from the inbox where no email service is set up says so, and where it waits", async () => {
  const nina = await suite.page({ width: 820 });
  await signIn(nina, suite.server.url, "nina.nurse");
  // Evan Brooks: an email address on file, no mobile number, not enrolled.
  const conversation = await nina.evaluate(async () => {
    const patients = await (await fetch("/api/v1/patient-accounts?limit=200")).json();
    const evan = patients.find((p) => p.mrn === "RFM-1004");
    const r = await fetch("/api/v1/conversations", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ patient_id: evan.id, subject: "Your appointment", topic: "scheduling", body: "Can you come in on Tuesday?" }),
    });
    return (await r.json()).id;
  });
  await nina.goto(`${suite.server.url}/inbox#/awaiting_patient/c/${conversation}`);
  await ready(nina);
  await nina.getByRole("button", { name: "Send secure link…" }).click();
  const dialog = nina.getByRole("dialog", { name: "Send Evan Brooks a secure link" });
  await dialog.getByRole("button", { name: "Send link" }).click();
  await dialog.waitFor({ state: "hidden" });
  const result = nina.locator("#secure-result.problem");
  await result.waitFor({ timeout: 15000 });
  assert.equal(await result.textContent(),
    "Secure link not sent: no email service is set up here. An administrator can pass it on from the outbox on the setup page, or call Evan Brooks.");
  assert.deepEqual(await seriousViolations(nina), []);
  await screenshot(nina, "staff-secure-link-not-sent-820");

  // It waits in the outbox, addressed to the email on file.
  const admin = await suite.page();
  await signIn(admin, suite.server.url, "admin");
  const outbox = await admin.evaluate(async () => (await (await fetch("/api/v1/outbox")).json()));
  assert.ok(outbox.some((o) => o.kind === "secure_link" && o.medium === "email" && o.to === "evan.brooks@example.org"), JSON.stringify(outbox));
});
