// Emergency ("break-glass") access in a real browser: Nina, a nurse of
// Primary Care, is not on Bob's care team (Cardiology). She finds him by
// family name and date of birth, says why, confirms it is her with her
// password, and reads his conversation under a banner that names him,
// says until when and that every action is recorded; she ends it, and the
// conversation is closed to her again. The compliance officer finds the
// use, with the reason, on the audit page. At 390, 820 and 1440 pixels
// the banner and the page fit and pass axe.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);

const REASON = "Bob called the nurse line with chest pain; cardiology is closed";

/** Nothing is wider than the screen. */
async function noOverflow(p, what) {
  const screen = p.viewportSize().width;
  const { scroll, inner } = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= screen && inner <= screen, `${what}: ${Math.max(scroll, inner) - screen}px wider than the screen`);
}

async function noSerious(p, what) {
  assert.deepEqual(await seriousViolations(p), [], `${what}: no serious or critical axe violations`);
}

/** Bob writes to the practice, so that he has a conversation of his own. */
async function bobWrites() {
  const bob = await page({ mobile: true });
  await signIn(bob, suite.server.url, "bob");
  const status = await bob.evaluate(async () => (await fetch("/api/v1/conversations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subject: "Chest pain", topic: "care_question", body: "My chest hurts when I climb the stairs." }),
  })).status);
  assert.equal(status, 201);
  await bob.close();
}

test("a nurse outside the care team breaks glass, sees the banner and the conversation, and ends it; the compliance officer sees it", async () => {
  await bobWrites();
  const base = suite.server.url;

  for (const width of [390, 820, 1440]) {
    const nina = await page({ width });
    await signIn(nina, base, "nina.nurse");
    // The top bar offers it to a nurse.
    if (width >= 820) {
      await nina.getByRole("link", { name: "Emergency access" }).click();
    } else {
      await nina.goto(`${base}/emergency`);
    }
    await nina.waitForURL(/\/emergency/);
    await ready(nina);
    await nina.getByRole("heading", { name: "Only in an emergency" }).waitFor();

    // Exact search: a part of the name finds nobody.
    await nina.getByLabel("Family name").fill("Mart");
    await nina.getByLabel("Date of birth").fill("1962-07-21");
    await nina.getByRole("button", { name: "Find" }).click();
    await nina.getByText("No patient matches exactly").waitFor();
    await nina.getByLabel("Family name").fill("martinez");
    await nina.getByRole("button", { name: "Find" }).click();
    await nina.getByText("Bob Martinez", { exact: true }).waitFor();
    await nina.getByText(", born July 21, 1962").waitFor();
    await noSerious(nina, `the search at ${width}`);
    await noOverflow(nina, `the search at ${width}`);
    await screenshot(nina, `break-glass-search-${width}`);

    // The dialog: the reason, the kind, the length, and the warning.
    await nina.getByRole("button", { name: "Open Bob Martinez's record…" }).click();
    const dialog = nina.getByRole("dialog", { name: "Open Bob Martinez's record in an emergency" });
    await dialog.waitFor();
    await dialog.getByText("reported to the practice's compliance officer at once").waitFor();
    // Too short a reason is refused on the page.
    await dialog.getByLabel("Why (required)").fill("urgent");
    await dialog.getByRole("button", { name: "Open the record" }).click();
    await dialog.getByRole("alert").filter({ hasText: "at least 10 characters" }).waitFor();
    await dialog.getByLabel("Why (required)").fill(REASON);
    await dialog.getByLabel("Kind of emergency").selectOption("immediate_danger");
    await dialog.getByLabel("For how long").selectOption("30");
    if (width === 1440) await screenshot(nina, "break-glass-reason-1440");
    await dialog.getByRole("button", { name: "Open the record" }).click();

    // The server asks her to confirm it is her: her password.
    const confirm = nina.getByRole("dialog", { name: "Confirm it is you" });
    await confirm.waitFor();
    await confirm.getByLabel("Your password").fill(PASSWORD);
    await confirm.getByRole("button", { name: "Confirm" }).click();

    // The banner: whose record, until when, every action recorded, End now.
    const banner = nina.getByRole("status").filter({ hasText: "Emergency access:" });
    await banner.waitFor();
    const words = await banner.textContent();
    assert.match(words, /Bob Martinez's record, until \d{1,2}:\d{2}\s?[AP]M/);
    assert.match(words, /Every action is recorded/);
    assert.equal(await nina.evaluate(() => document.activeElement?.id), "emergency-banner", "the banner takes focus");
    await nina.getByRole("heading", { name: "Bob Martinez's conversations" }).waitFor();
    await noSerious(nina, `the banner and conversations at ${width}`);
    await noOverflow(nina, `the banner at ${width}`);
    await screenshot(nina, `break-glass-banner-${width}`);

    // The conversation opens in the inbox, under the same banner.
    await nina.getByRole("link", { name: "Chest pain" }).first().click();
    await nina.waitForURL(/\/inbox#\/all\/c\//);
    await nina.getByText("My chest hurts when I climb the stairs.").first().waitFor();
    await nina.getByRole("status").filter({ hasText: "Emergency access:" }).waitFor();
    // Reading, answering and notes: the care team's controls are not offered.
    await nina.getByText("Opened through your emergency access").waitFor();
    for (const name of ["Close", "Reassign…", "Escalate to a provider…", "Send secure link…", "Mark sensitive"]) {
      assert.equal(await nina.getByRole("button", { name, exact: true }).count(), 0, `no ${name} under emergency access`);
    }
    await nina.getByRole("button", { name: "Send reply" }).waitFor();
    await nina.getByRole("button", { name: "Add note" }).waitFor();
    const id = new URL(nina.url()).hash.split("/").pop();
    await noOverflow(nina, `the inbox under the banner at ${width}`);
    await screenshot(nina, `break-glass-inbox-${width}`);

    // End now: the banner goes and the conversation is closed to her.
    await nina.getByRole("status").filter({ hasText: "Emergency access:" }).getByRole("button", { name: "End now" }).click();
    await nina.locator("#emergency-banner[hidden]").waitFor({ state: "attached" });
    const after = await nina.evaluate(async (c) => (await fetch(`/api/v1/conversations/${c}`)).status, id);
    assert.equal(after, 404, "ended: the conversation is hers no more");
    await nina.close();
  }

  // The compliance officer's "To review": every use, with the reason.
  const cora = await page({ width: 1440 });
  await cora.goto(`${base}/`);
  await cora.getByLabel("User name").fill("cora.compliance");
  await cora.getByLabel("Password").fill(PASSWORD);
  await cora.getByRole("button", { name: "Sign in", exact: true }).click();
  await cora.waitForURL(/\/audit$/);
  await ready(cora);
  const uses = cora.locator(".emergency-review");
  await uses.first().waitFor();
  assert.equal(await uses.count(), 3, "one use at each width, each listed");
  const first = await uses.first().textContent();
  assert.match(first, /Nina Alvarez, RN used emergency access to Bob Martinez's record\./);
  assert.match(first, new RegExp(REASON.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(first, /a patient in danger now/);
  assert.match(first, /for 30 minutes/);
  assert.match(first, /by them, early/);
  await noSerious(cora, "the audit page's emergency uses");
  await screenshot(cora, "break-glass-audit-1440", { element: cora.locator("#reviews") });
});

test("roles that may not break glass are told so, and the link is not theirs", async () => {
  const fran = await page({ width: 1440 });
  await signIn(fran, suite.server.url, "fran.frontdesk");
  assert.equal(await fran.getByRole("link", { name: "Emergency access" }).isVisible(), false);
  await fran.goto(`${suite.server.url}/emergency`);
  await ready(fran);
  await fran.getByRole("heading", { name: "Emergency access is not available to you" }).waitFor();
  const status = await fran.evaluate(async () => (await fetch("/api/v1/emergency-access/search", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ mrn: "RFM-1003" }),
  })).status);
  assert.equal(status, 404);
});
