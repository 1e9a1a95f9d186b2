// After a reply, in a real browser: a patient rates a conversation once it
// is closed (once only) and staff see the rating; a patient is reminded of
// a reply they have not read, and reading it clears the reminder; staff
// see when a patient has not read their reply. The demo plays two weeks of
// history, whose unread replies are due for a reminder as soon as the
// server starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "playwright-core";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite({ demoArgs: ["--history-weeks", "2"] });
const page = (opts) => suite.page(opts);

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

/** The patient writes; returns the new conversation's id. */
async function write(patient, subject, body) {
  await patient.getByRole("link", { name: "New message" }).click();
  await patient.getByLabel("What is it about?").selectOption("care_question");
  await patient.getByLabel("Subject").fill(subject);
  await patient.getByLabel("Your message").fill(body);
  await patient.getByRole("button", { name: "Send message" }).click();
  await patient.getByRole("heading", { name: subject }).waitFor();
  return patient.evaluate(() => location.hash.slice("#/c/".length));
}

/** Staff open the conversation by its address and reply. */
async function reply(staff, id, subject, text) {
  await staff.goto(`${suite.server.url}/inbox#/needs_response/c/${id}`);
  await ready(staff);
  await staff.getByRole("heading", { name: subject }).waitFor();
  await staff.getByLabel("Reply to the patient").fill(text);
  await staff.getByRole("button", { name: "Send reply" }).click();
  await staff.locator("#timeline .bubble", { hasText: text }).waitFor();
}

/** Acknowledges the staff member's alerts (the history leaves many), so that what follows stands out. */
async function acknowledgeAll(staff) {
  await staff.evaluate(async () => {
    const alerts = await (await fetch("/api/v1/alerts")).json();
    await Promise.all(alerts.map((a) => fetch(`/api/v1/alerts/${a.id}/ack`, { method: "POST" })));
  });
}

const LIVE = { timeout: 10000 };

test("a patient rates a closed conversation once, and staff see the rating", async () => {
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  const subject = "Ankle brace size";
  const id = await write(alice, subject, "Which size of ankle brace should I buy, small or medium?");
  // Open, it cannot be rated yet.
  assert.equal(await alice.locator("#rating").isVisible(), false);
  const early = await alice.evaluate(async (c) => (await fetch(`/api/v1/conversations/${c}/rating`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ score: 5 }),
  })).status, id);
  assert.equal(early, 409);

  // Staff answer and close it; the patient's open thread offers the rating at once.
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await reply(nina, id, subject, "Medium fits most adults; bring it to your visit and we will check.");
  await nina.getByRole("button", { name: "Close", exact: true }).click();
  await nina.locator("#detail-status", { hasText: "Closed" }).waitFor();
  const rating = alice.locator("#rating");
  await rating.getByRole("heading", { name: "How did we do?" }).waitFor(LIVE);

  // A score is needed; the comment is optional.
  await rating.getByRole("button", { name: "Send rating" }).click();
  await rating.getByText("Choose a score from 1 to 5.").waitFor();
  await rating.getByLabel("Very good").check();
  await rating.getByLabel(/Anything you would like to tell us/).fill("Quick and clear, thank you.");
  assert.equal(await rating.locator("#rating-comment-count").textContent(), "27 / 1000");
  await screenshot(alice, "patient-rating");
  assert.deepEqual(await seriousViolations(alice), [], "rating form");
  await noOverflow(alice);
  await rating.getByRole("button", { name: "Send rating" }).click();

  // Given, it shows; there is no second chance.
  await rating.getByText("You rated this conversation 4 out of 5 (very good).").waitFor();
  assert.match(await rating.textContent(), /Your comment: Quick and clear, thank you\./);
  assert.equal(await rating.getByRole("button", { name: "Send rating" }).count(), 0);
  assert.deepEqual(await seriousViolations(alice), [], "rating given");
  const again = await alice.evaluate(async (c) => (await fetch(`/api/v1/conversations/${c}/rating`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ score: 1 }),
  })).status, id);
  assert.equal(again, 409);
  await alice.reload();
  await rating.getByText("You rated this conversation 4 out of 5 (very good).").waitFor();
  await screenshot(alice, "patient-rated");

  // Staff see it on the conversation.
  await acknowledgeAll(nina);
  await nina.goto(`${suite.server.url}/inbox#/closed/c/${id}`);
  await nina.reload();
  await ready(nina);
  const panel = nina.locator("#rating-panel");
  await panel.waitFor();
  assert.match(await panel.textContent(), /Patient's rating: 4 out of 5 \(very good\)/);
  assert.match(await panel.textContent(), /Quick and clear, thank you\./);
  assert.deepEqual(await seriousViolations(nina), [], "staff conversation with a rating");
  await screenshot(nina, "staff-rating");
});

test("a patient is reminded of a reply they have not read, and reading it clears the reminder", async () => {
  // Whichever demo patient the history left with an unread reply (the
  // reminders are sent by the job runner just after the server starts).
  const client = await request.newContext({ baseURL: suite.server.url, ignoreHTTPSErrors: true });
  const tokens = {};
  for (const username of ["alice", "bob", "carol"]) {
    const login = await client.post("/api/v1/auth/login", { data: { username, password: PASSWORD } });
    tokens[username] = (await login.json()).token;
  }
  let who = null;
  for (let tries = 0; tries < 20 && !who; tries++) {
    for (const [username, token] of Object.entries(tokens)) {
      const res = await client.get("/api/v1/me/notifications", { headers: { authorization: `Bearer ${token}` } });
      if ((await res.json()).some((n) => n.kind === "unread_reply_reminder")) {
        who = username;
        break;
      }
    }
    if (!who) await new Promise((r) => setTimeout(r, 500));
  }
  await client.dispose();
  assert.ok(who, "the history leaves some patient with an unread reply");

  const patient = await page({ mobile: true });
  await signIn(patient, suite.server.url, who);
  const links = patient.locator("#reminders a");
  await links.first().waitFor();
  assert.ok(await links.count() <= 3, "at most three by name; the rest are counted");
  const first = links.first();
  assert.match(await first.textContent(), /^You have a reply from your care team you have not read: \S/);
  const subject = (await first.textContent()).replace(/^[^:]+: /, "");
  const href = await first.getAttribute("href");
  await screenshot(patient, "patient-reminder");
  assert.deepEqual(await seriousViolations(patient), [], "list with reminders");
  await noOverflow(patient);

  await first.click();
  await patient.getByRole("heading", { name: subject }).waitFor();
  await patient.getByRole("link", { name: "← All messages" }).click();
  await patient.getByRole("heading", { name: "Messages" }).waitFor();
  assert.equal(await patient.locator(`#reminders a[href="${href}"]`).count(), 0, "read, it is no longer a reminder");
});

test("staff see when a patient has not read their reply, on the row, in the conversation and as an alert", async () => {
  // The flag comes a day after the reminder, so the page is shown the
  // server's answer with the flag added (the API's side is tested in
  // crates/switchboard/tests/api).
  const carol = await page({ mobile: true });
  await signIn(carol, suite.server.url, "carol");
  const subject = "Sleep after the new tablet";
  const id = await write(carol, subject, "Since the new tablet I wake up at 3 AM most nights.");
  await carol.getByRole("link", { name: "← All messages" }).click();
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await reply(nina, id, subject, "Try taking it in the morning instead, and tell us in a week how you sleep.");
  const sentAt = await nina.evaluate(async (c) => {
    const conversation = await (await fetch(`/api/v1/conversations/${c}`)).json();
    return conversation.messages.filter((m) => m.sender.kind === "staff").at(-1).sent_at;
  }, id);
  const flag = { sent_at: sentAt, flagged_at: new Date().toISOString() };
  await acknowledgeAll(nina);
  await nina.route(/\/api\/v1\/conversations\?/, async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    for (const c of json.conversations) if (c.id === id) c.unread_reply = flag;
    await route.fulfill({ response, json });
  });
  await nina.route(new RegExp(`/api/v1/conversations/${id}$`), async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    await route.fulfill({ response, json: { ...json, unread_reply: flag } });
  });
  await nina.route(/\/api\/v1\/alerts$/, async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    await route.fulfill({ response, json: [...json, {
      id: "01a20000-0000-7000-8000-000000000001", kind: "reply_unread", conversation_id: id, created_at: flag.flagged_at,
      patient: { id: "01a20000-0000-7000-8000-000000000002", display_name: "Carol Smith" }, subject,
    }] });
  });
  await nina.goto(`${suite.server.url}/inbox#/awaiting_patient/c/${id}`);
  await nina.reload();
  await ready(nina);

  const expected = await nina.evaluate((iso) =>
    new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" }).format(new Date(iso)), sentAt);
  const note = nina.locator("#unread-reply");
  await note.waitFor();
  assert.equal(await note.textContent(), `Patient has not read your reply of ${expected}`);
  const row = nina.locator("#rows .row", { hasText: subject });
  assert.equal(await row.locator(".tag.unread-reply").textContent(), "Reply not read");
  const alert = nina.locator("#alerts .alert-item.reply_unread");
  assert.match(await alert.textContent(), /^Reply not read by the patient/);
  await alert.getByRole("button", { name: "Open" }).waitFor();
  assert.deepEqual(await seriousViolations(nina), [], "inbox with an unread-reply flag");
  await screenshot(nina, "staff-reply-unread");
});
