// The practice setup page (/admin) in a real browser: routing rules that an
// administrator changes and everyone else only reads, a rule set that would
// leave messages without an owner being refused, time away with a cover,
// quick replies that need review, accessibility, and no CSP violations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

/** Signs `username` in and opens the setup page. */
async function openSetup(username, opts) {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/admin`);
  await ready(p);
  return p;
}

/** "YYYY-MM-DDTHH:MM" for a datetime-local input, `days` from now. */
function localDateTime(days, hour) {
  const d = new Date(Date.now() + days * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

test("an administrator cannot save rules that leave messages without an owner, and reorders and edits them", async () => {
  const admin = await openSetup("admin");
  await admin.getByRole("heading", { level: 1, name: "Practice setup" }).waitFor();
  assert.match(await admin.locator("#routing").textContent(), /first match wins/);
  const rules = admin.locator("#rules > li.rule");
  assert.equal(await rules.count(), 9);
  assert.match(await rules.nth(0).textContent(), /^Billing questions — when topic is “Billing” → Billing/);
  assert.match(await rules.nth(4).textContent(), /^Monitoring programs — when topic is “My monitoring program” → the staff of the patient's monitoring program/);
  assert.match(await rules.nth(8).textContent(), /^Everyone else — every message → Front desk/);

  // Keep only the first rule: billing questions have an owner, nothing else does.
  for (let i = 8; i >= 1; i--) await rules.nth(i).getByRole("button", { name: /^Delete/ }).click();
  assert.equal(await rules.count(), 1);
  await admin.getByText("Not saved yet").waitFor();
  await admin.getByRole("button", { name: "Save rules" }).click();
  const refusal = admin.getByRole("alert").filter({ hasText: "Not saved" });
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /^Not saved: some messages would have no owner, for example topic “[^”]+”.*end the list with a rule for every message/);
  assert.equal(await rules.count(), 1, "the edited list stays on screen");

  // Nothing was saved. Leaving with unsaved changes asks first.
  const dialogs = [];
  admin.on("dialog", (d) => {
    dialogs.push(d.type());
    d.accept().catch(() => {});
  });
  await admin.reload();
  await ready(admin);
  assert.deepEqual(dialogs, ["beforeunload"]);
  assert.equal(await rules.count(), 9);
  assert.equal(await admin.locator("#rules-error").isVisible(), false);

  // Refills first, then narrow the cardiology rule to test results.
  await rules.nth(1).getByRole("button", { name: /^Up/ }).click();
  assert.match(await rules.nth(0).textContent(), /^Refill requests/);
  assert.match(await admin.evaluate(() => document.activeElement.textContent), /^Down \(move “Refill requests” down\)$/, "focus stays on the moved rule");
  await rules.nth(6).getByRole("button", { name: /^Edit/ }).click();
  await rules.nth(6).getByLabel("Name", { exact: true }).fill("Cardiology test results");
  await rules.nth(6).getByLabel("When the topic is").selectOption("test_results");
  assert.match(await rules.nth(6).locator(".rule-summary").textContent(),
    /^Cardiology test results — when topic is “Test results” and patient is in Cardiology → Cardiology$/);
  await admin.getByRole("button", { name: "Done" }).click();
  await admin.getByRole("button", { name: "Save rules" }).click();
  await admin.locator("#rules-dirty").waitFor({ state: "hidden" });
  assert.equal(await admin.locator("#rules-error").isVisible(), false);

  await admin.reload();
  await ready(admin);
  assert.equal(await rules.count(), 9);
  assert.match(await rules.nth(0).textContent(), /^Refill requests — when topic is “Prescription refill” → Refills/);
  assert.match(await rules.nth(1).textContent(), /^Billing questions/);
  assert.match(await rules.nth(6).textContent(),
    /^Cardiology test results — when topic is “Test results” and patient is in Cardiology → Cardiology/);
  await screenshot(admin, "setup-admin");

  // Pools: Dr. Patel joins Cardiology, which now assigns by itself.
  const cardiology = admin.locator("#pool-list > li", { hasText: "Cardiology" });
  assert.match(await cardiology.textContent(), /Members.*Dr\. Chidi Okafor, Fran Lee.*The lead hands out work/);
  await cardiology.getByRole("button", { name: "Edit pool Cardiology" }).click();
  const form = admin.locator("#pool-form");
  assert.equal(await form.getByLabel("Lead", { exact: true }).inputValue(), await admin.evaluate(async () =>
    (await (await fetch("/api/v1/pools")).json()).find((p) => p.name === "Cardiology").lead_id));
  await form.getByLabel("Dr. Priya Patel").check();
  await form.getByLabel("Assigns automatically to the least-busy available member").check();
  await form.getByRole("button", { name: "Save pool" }).click();
  await form.waitFor({ state: "hidden" });
  assert.match(await cardiology.textContent(),
    /Members.*Dr\. Chidi Okafor, Fran Lee, Dr\. Priya Patel.*Assigns automatically to the least-busy available member/);
});

test("a nurse reads the rules, records time away with a cover, and finds the quick replies that need review", async () => {
  const nina = await openSetup("nina.nurse");
  // Routing rules and pools: read only.
  assert.equal(await nina.locator("#rules > li.rule").count(), 9);
  assert.equal(await nina.getByRole("button", { name: "Save rules" }).count(), 0);
  assert.equal(await nina.locator("#routing").getByRole("button").count(), 0);
  await nina.getByText("Only a practice administrator can change these.").waitFor();
  assert.equal(await nina.locator("#pools").getByRole("button").count(), 0);
  const refills = nina.locator("#pool-list > li", { hasText: "Refills" });
  assert.match(await refills.textContent(), /Mo Rahman, MA, Nina Alvarez, RN/);
  assert.match(await refills.textContent(), /Assigns automatically to the least-busy available member/);
  assert.match(await nina.locator("#pool-list > li", { hasText: "Remote monitoring" }).textContent(), /The lead hands out work/);

  // Time away, covered by Dr. Patel; then cancelled.
  assert.match(await nina.locator("#availability").textContent(), /new work and your open conversations go to your cover, and come back to you when you return/);
  await nina.getByText("No time away recorded.").waitFor();
  await nina.getByLabel("Away from").fill(localDateTime(7, 9));
  await nina.getByLabel("Back on").fill(localDateTime(9, 17));
  const cover = nina.getByLabel("Who covers (optional)");
  assert.equal(await cover.locator("option", { hasText: "Nina Alvarez" }).count(), 0, "not yourself");
  await cover.selectOption({ label: "Dr. Priya Patel" });
  await nina.getByRole("button", { name: "Record time away" }).click();
  const absence = nina.locator("#absences > li");
  await absence.waitFor();
  assert.match(await absence.textContent(), /Covered by Dr\. Priya Patel/);
  assert.match(await absence.textContent(), /9:00 AM.*5:00 PM/);
  const fromServer = await nina.evaluate(async () => (await (await fetch("/api/v1/me/absences")).json()));
  assert.equal(fromServer.length, 1);
  await absence.getByRole("button", { name: /^Cancel time away/ }).click();
  await nina.getByText("No time away recorded.").waitFor();
  assert.equal(await absence.count(), 0);

  // A start after the end is caught before sending.
  await nina.getByLabel("Away from").fill(localDateTime(3, 17));
  await nina.getByLabel("Back on").fill(localDateTime(3, 9));
  await nina.getByRole("button", { name: "Record time away" }).click();
  await nina.getByRole("alert").filter({ hasText: "must be after" }).waitFor();
  assert.equal(await nina.getByLabel("Away from").inputValue(), localDateTime(3, 17), "what was typed stays");

  // Quick replies: search, and the one that needs review.
  const staleCount = nina.locator("#stale-count");
  assert.equal(await staleCount.textContent(), "1 quick reply needs review.");
  const templates = nina.locator("#templates > li");
  assert.equal(await templates.count(), 4);
  await nina.getByLabel("Search by name or text").fill("lab results");
  await nina.waitForFunction(() => document.querySelectorAll("#templates > li").length === 1);
  assert.match(await templates.textContent(), /^Normal lab results/);
  await nina.getByLabel("Search by name or text").fill("");
  await nina.getByLabel("Needs review").check();
  await nina.waitForFunction(() => document.querySelectorAll("#templates > li").length === 1
    && document.querySelector("#templates > li h3").textContent === "Flu shot clinic");
  const flu = templates.first();
  assert.match(await flu.textContent(), /Needs review/);
  assert.match(await flu.textContent(), /Review was due January 31, 2026/);
  assert.match(await flu.textContent(), /Used 0 times · Owner: Alex Morgan/);
  // Only its owner (the administrator) or an administrator may change it.
  assert.equal(await flu.getByRole("button", { name: /^Edit/ }).count(), 0);
  assert.match(await flu.textContent(), /Only Alex Morgan \(its owner\) or an administrator can change it/);

  // A nurse adds her own, using a placeholder, and may edit it.
  await nina.getByLabel("Needs review").uncheck();
  await nina.getByRole("button", { name: "New quick reply" }).click();
  await nina.locator("#template-form").getByLabel("Name", { exact: true }).fill("Portal password reset");
  const body = nina.getByLabel("Text", { exact: true });
  await body.fill("Hi , use “Forgot password” on the sign-in page.");
  await body.evaluate((b) => b.setSelectionRange(3, 3));
  await nina.getByRole("button", { name: "{patient_first_name}" }).click();
  assert.equal(await body.inputValue(), "Hi {patient_first_name}, use “Forgot password” on the sign-in page.");
  await nina.getByRole("button", { name: "Save quick reply" }).click();
  const mine = templates.filter({ hasText: "Portal password reset" });
  await mine.waitFor();
  assert.match(await mine.textContent(), /Owner: Nina Alvarez, RN/);
  await mine.getByRole("button", { name: "Edit Portal password reset" }).click();
  await nina.getByLabel("Review by").fill("2030-01-15");
  await nina.getByRole("button", { name: "Save quick reply" }).click();
  await nina.waitForFunction(() => /Review by January 15, 2030/.test(
    [...document.querySelectorAll("#templates > li")].find((li) => li.textContent.includes("Portal password reset"))?.textContent ?? ""));

  // The administrator reviews the flu shot reply: the count drops.
  const admin = await openSetup("admin");
  assert.equal(await admin.locator("#stale-count").textContent(), "1 quick reply needs review.");
  await admin.getByLabel("Needs review").check();
  await admin.locator("#templates > li", { hasText: "Flu shot clinic" }).getByRole("button", { name: "Edit Flu shot clinic" }).click();
  assert.equal(await admin.getByLabel("Review by").inputValue(), "2026-01-31");
  await admin.getByLabel("Review by").fill(`${new Date().getFullYear() + 1}-01-31`);
  await admin.getByRole("button", { name: "Save quick reply" }).click();
  await admin.locator("#stale-count", { hasText: "All quick replies are up to date." }).waitFor();
  await admin.getByText("No quick replies need review.").waitFor();
  await nina.reload();
  await ready(nina);
  assert.equal(await staleCount.textContent(), "All quick replies are up to date.");
});

test("the setup page passes axe and fits a 360-pixel screen, for an administrator and a nurse", async () => {
  for (const username of ["admin", "nina.nurse"]) {
    for (const mobile of [false, true]) {
      const p = await openSetup(username, { mobile });
      if (username === "admin") {
        // With the editors open too.
        await p.locator("#rules > li.rule").nth(0).getByRole("button", { name: /^Edit/ }).click();
        await p.getByRole("button", { name: "New quick reply" }).click();
        await p.getByRole("button", { name: "New pool" }).click();
      }
      assert.deepEqual(await seriousViolations(p), [], `${username}, ${mobile ? "phone" : "desktop"}`);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
      assert.deepEqual(p.problems, []);
    }
  }
  // Patients never see it.
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  await alice.goto(`${suite.server.url}/admin`);
  await alice.waitForURL(/\/app/);
});

test("rules that can never decide a message are flagged in words: \"Everyone else\" moved to the top, saved, warns on every rule below it", async () => {
  const admin = await openSetup("admin");
  const rules = admin.locator("#rules > li.rule");
  const summary = admin.locator("#rules-never-used");
  const warnings = admin.locator("#rules .never-used");
  const n = await rules.count();
  assert.equal(await summary.isVisible(), false, "the demo's rules all decide some message");
  assert.equal(await warnings.count(), 0);

  // Everyone else, from last to first; the warnings come from the server, on saving.
  for (let i = n - 1; i >= 1; i--) await rules.nth(i).getByRole("button", { name: /^Up/ }).click();
  assert.match(await rules.nth(0).textContent(), /^Everyone else — every message/);
  assert.equal(await warnings.count(), 0, "nothing is claimed before the server has checked");
  await admin.getByRole("button", { name: "Save rules" }).click();
  await admin.locator("#rules-dirty").waitFor({ state: "hidden" });
  await summary.waitFor();
  assert.equal(await summary.textContent(),
    `${n - 1} rules are never used: the rules above them take every message they would match. Move them up or remove them. Each is marked “Never used” below.`);
  assert.equal(await warnings.count(), n - 1);
  assert.equal(await rules.nth(0).locator(".never-used").count(), 0, "the rule that takes everything is used");
  for (let i = 1; i < n; i++) {
    assert.equal(await rules.nth(i).locator(".never-used").textContent(),
      "Never used: the rules above it take every message it would match. Move it up or remove it.");
  }
  assert.equal(await admin.locator("#rules-error").isVisible(), false, "such a rule set is allowed");
  for (const width of [390, 820, 1440]) {
    const p = await openSetup("admin", { width });
    await p.locator("#rules-never-used").waitFor();
    assert.deepEqual(await seriousViolations(p), [], `rules never used, ${width}`);
    await screenshot(p, `setup-rules-never-used-${width}`, { element: p.locator("#routing") });
  }

  // Colleagues see the warnings, without being told to move what they cannot.
  const nina = await openSetup("nina.nurse");
  assert.match(await nina.locator("#rules-never-used").textContent(), /^\d+ rules are never used: the rules above them take every message they would match\. Each is marked/);
  assert.equal(await nina.locator("#rules .never-used").first().textContent(), "Never used: the rules above it take every message it would match.");

  // A change not yet saved puts the warnings away until the server checks again.
  await rules.nth(0).getByRole("button", { name: /^Down/ }).click();
  await admin.getByText("Not saved yet").waitFor();
  assert.equal(await warnings.first().isVisible(), false);
  assert.equal(await summary.textContent(), "Which rules are never used is checked again when you save.");
  // Back to the bottom, saved: no warnings.
  for (let i = 1; i < n - 1; i++) await rules.nth(i).getByRole("button", { name: /^Down/ }).click();
  assert.match(await rules.nth(n - 1).textContent(), /^Everyone else/);
  await admin.getByRole("button", { name: "Save rules" }).click();
  await admin.locator("#rules-dirty").waitFor({ state: "hidden" });
  await summary.waitFor({ state: "hidden" });
  assert.equal(await warnings.count(), 0);
});
