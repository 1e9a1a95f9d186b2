// Paging, in a real browser: with Nina on call, an urgent patient message
// pages her by text (a stand-in SMS gateway in this process records it);
// she opens the link from the text signed out, signs in, and lands on the
// conversation with the page acknowledged, which the paging record shows,
// in the conversation too. With the same gateway, a nurse sends a secure
// link from the inbox and is told it was sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

/** Every form the stand-in gateway was sent. */
const texts = [];
const gateway = createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    texts.push(Object.fromEntries(new URLSearchParams(body)));
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ sid: `SM${String(texts.length).padStart(32, "0")}` }));
  });
});
await new Promise((resolve) => gateway.listen(0, "127.0.0.1", resolve));
const address = gateway.address();
const port = typeof address === "object" && address ? address.port : 0;

const suite = browserSuite({
  env: {
    SWITCHBOARD_SMS_GATEWAY_URL: `http://127.0.0.1:${port}/send`,
    SWITCHBOARD_SMS_ACCOUNT: "AC-browser-tests",
    SWITCHBOARD_SMS_TOKEN: "browser-tests-token",
    SWITCHBOARD_SMS_FROM: "+15555550100",
  },
});

/**
 * The API, called from a page on the server's origin (the browser trusts
 * the test server's certificate; Node's fetch would not).
 */
let apiPage;
async function call(method, path, bearer, body) {
  apiPage ??= await (async () => {
    const p = await suite.page();
    await p.goto(`${suite.server.url}/`);
    return p;
  })();
  const r = await apiPage.evaluate(async ([method, path, bearer, body]) => {
    const headers = { "content-type": "application/json" };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, text: await res.text() };
  }, [method, path, bearer, body]);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : null;
}

const token = async (username) => (await call("POST", "/api/v1/auth/login", null, { username, password: PASSWORD })).token;

test("an on-call nurse follows the page's link, signs in, and lands on the conversation with the page acknowledged", async () => {
  const admin = await token("admin");
  const nina = await token("nina.nurse");
  const me = await call("GET", "/api/v1/me", nina);
  const now = Date.now();
  await call("POST", "/api/v1/on-call", admin, {
    user_id: me.id,
    starts_at: new Date(now - 3600_000).toISOString(),
    ends_at: new Date(now + 3600_000).toISOString(),
  });
  const alice = await token("alice");
  const created = await call("POST", "/api/v1/conversations", alice, {
    subject: "Now", topic: "care_question", body: "I have crushing chest pain going down my left arm right now",
  });
  const thread = await call("GET", `/api/v1/conversations/${created.id}`, alice);
  assert.match(thread.messages.at(-1).body, /We are paging the clinician/);

  // The server's job runner pages Nina at her demo mobile number.
  const end = Date.now() + 15000;
  let page;
  while (!(page = texts.find((t) => t.To === "+15550100111" && /\/inbox#\/ack\//.test(t.Body)))) {
    assert.ok(Date.now() < end, `no page texted: ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.doesNotMatch(page.Body, /chest|arm|Alice|Nguyen/);
  const link = page.Body.match(/https:\/\/\S+(\/inbox#\/ack\/\S+)/)[1];

  const p = await suite.page({ mobile: true });
  await p.goto(`${suite.server.url}${link}`);
  // Signed out: to the sign-in page, then back to the link.
  await p.getByLabel("User name").fill("nina.nurse");
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(new RegExp(`/inbox#/needs_response/c/${created.id}$`));
  await ready(p);
  await p.getByText("Page acknowledged: nobody else will be paged about this message.").waitFor();
  const pages = await call("GET", `/api/v1/conversations/${created.id}/pages`, await token("nina.nurse"));
  assert.equal(pages[0].acknowledged_by.display_name, "Nina Alvarez, RN");
  assert.deepEqual(pages[0].channels, [{ medium: "sms", state: "sent", reason: null }]);

  // The conversation shows who was paged, when, how, and who acknowledged.
  const panel = p.locator("#pages-panel");
  await panel.getByText("Acknowledged", { exact: true }).waitFor();
  const words = (await panel.textContent()).replace(/\s+/g, " ");
  assert.match(words, /^Paged ?Acknowledged/);
  assert.match(words, /Nina Alvarez, RN: paged \S.*(AM|PM) by text message\. Acknowledged \S/);
  assert.doesNotMatch(words, /555|\+1/, "never the number");
  assert.equal(await p.locator("#pages-panel li").count(), 1);
  for (const width of [390, 820, 1440]) {
    const w = await suite.page({ width });
    await signIn(w, suite.server.url, "nina.nurse");
    await w.goto(`${suite.server.url}/inbox#/urgent/c/${created.id}`);
    await ready(w);
    await w.locator("#pages-panel li").waitFor();
    assert.deepEqual(await seriousViolations(w), [], `pages, ${width}`);
    await screenshot(w, `staff-paged-${width}`);
  }
  // A conversation nobody was paged about shows nothing of it.
  const routine = await call("POST", "/api/v1/conversations", alice, {
    subject: "Refill", topic: "prescription_refill", body: "Could you refill my inhaler?",
  });
  await p.goto(`${suite.server.url}/inbox#/needs_response/c/${routine.id}`);
  await p.locator("#detail-title", { hasText: "Refill" }).waitFor();
  assert.equal(await p.locator("#pages-panel").isVisible(), false);

  // The same link again: already used, said plainly.
  await p.goto(`${suite.server.url}${link}`);
  await p.getByText("This page link was already used or has expired.", { exact: false }).waitFor();
});

test("a nurse sends a patient without an account a secure link from the inbox, and is told it was sent", async () => {
  const nina = await token("nina.nurse");
  // Grace Kim: a mobile number on file, no email, not enrolled.
  const grace = (await call("GET", "/api/v1/patient-accounts?limit=200", nina)).find((x) => x.mrn === "RFM-1005");
  const started = await call("POST", "/api/v1/conversations", nina, {
    patient_id: grace.id, subject: "Your lab results", topic: "care_question", body: "Your results are in. Any questions?",
  });
  const p = await suite.page();
  await signIn(p, suite.server.url, "nina.nurse");
  await p.goto(`${suite.server.url}/inbox#/awaiting_patient/c/${started.id}`);
  await ready(p);
  await p.getByRole("button", { name: "Send secure link…" }).click();
  const dialog = p.getByRole("dialog", { name: "Send Grace Kim a secure link" });
  await dialog.waitFor();
  assert.equal(await p.locator("#secure-where").textContent(),
    "It goes to Grace Kim by text message to the mobile number on file, or by email if there is none.");

  // No email on file: said plainly, and the dialog stays for another choice.
  await dialog.getByLabel("Email", { exact: true }).check();
  assert.equal(await p.locator("#secure-where").textContent(), "It goes to Grace Kim by email to the address on file.");
  await dialog.getByRole("button", { name: "Send link" }).click();
  const error = p.locator("#secure-error");
  await error.waitFor();
  assert.match(await error.textContent(), /^Not sent: Grace Kim has no email address on file\. Choose the other way, or reach them by phone\.$/);
  assert.equal(await dialog.getByLabel("Email", { exact: true }).isChecked(), true, "the choice stays made");
  assert.deepEqual(await seriousViolations(p), []);
  for (const width of [390, 820, 1440]) {
    await p.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(p, `staff-secure-link-dialog-${width}`, { element: p.locator("#secure-dialog") });
  }
  await p.setViewportSize({ width: 1366, height: 900 });

  const before = texts.length;
  await dialog.getByLabel("Text message", { exact: true }).check();
  await dialog.getByRole("button", { name: "Send link" }).click();
  await dialog.waitFor({ state: "hidden" });
  const result = p.locator("#secure-result");
  await result.getByText(/^Secure link sent by text message to the mobile number on file at .*It works once, until /).waitFor({ timeout: 15000 });
  const sms = texts.slice(before).find((t) => t.To === "+15550100142");
  assert.ok(sms, `texted to Grace: ${JSON.stringify(texts.slice(before))}`);
  assert.match(sms.Body, /You have a secure message from Riverside Family Medicine/);
  assert.doesNotMatch(sms.Body, /lab|results|Grace|Kim/i);
  assert.equal(await p.evaluate(() => document.activeElement?.id), "secure-link", "focus back on the button");
  assert.deepEqual(await seriousViolations(p), []);
  for (const width of [390, 820, 1440]) {
    await p.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(p, `staff-secure-link-sent-${width}`);
  }
});

test.after(() => gateway.close());
