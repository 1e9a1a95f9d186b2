// Sensitive records and clinical content in a real browser: a nurse marks
// a conversation sensitive and sees its badge; the front desk sees the row
// of a clinical conversation (who, topic, status, waiting time, who has it)
// without its subject or message, and cannot open it; an administrator
// sees who reads what on the setup page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn, writeNewMessage } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);
const LIVE = { timeout: 10000 };

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

async function noSerious(p, what) {
  assert.deepEqual(await seriousViolations(p), [], what);
}

const SUBJECT = "Feeling low since the move";
const BODY = "I have not been sleeping and I feel low most days since we moved.";

test("a nurse marks a conversation sensitive; the front desk sees its row, never its content", async () => {
  const alice = await page({ mobile: true });
  await signIn(alice, suite.server.url, "alice");
  const id = await writeNewMessage(alice, suite.server.url, SUBJECT, BODY);

  // Nina, of Alice's care team, marks it behavioural health.
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/inbox#/all/c/${id}`);
  await ready(nina);
  await nina.getByRole("heading", { name: SUBJECT }).waitFor(LIVE);
  assert.equal(await nina.locator("#sensitive-tag").isVisible(), false, "not marked yet");
  await nina.getByLabel("Sensitive record").selectOption("behavioural_health");
  await nina.getByRole("button", { name: "Mark sensitive" }).click();
  await nina.locator("#sensitive-tag", { hasText: "Sensitive: Behavioural health" }).waitFor(LIVE);
  // Her role reads it still, and the list row carries the mark.
  await nina.getByRole("heading", { name: SUBJECT }).waitFor();
  await nina.locator(`#rows .row[data-id="${id}"] .tag.sensitive`, { hasText: "Behavioural health" }).waitFor(LIVE);
  assert.equal(await nina.getByLabel("Sensitive record").inputValue(), "behavioural_health");
  await noSerious(nina, "a conversation marked sensitive");
  await screenshot(nina, "staff-sensitive-mark-1440");

  // Fran (front desk, Primary Care) at each width: the row, no content.
  for (const width of [390, 820, 1440]) {
    const fran = await page({ width });
    await signIn(fran, suite.server.url, "fran.frontdesk");
    await fran.goto(`${suite.server.url}/inbox#/needs_response`);
    await ready(fran);
    const row = fran.locator(`#rows .row.withheld[data-id="${id}"]`);
    await row.waitFor(LIVE);
    const text = await row.textContent();
    assert.match(text, /Alice Nguyen/);
    assert.match(text, /Clinical conversation: open to the care team/);
    assert.match(text, /A question for my care team/);
    assert.doesNotMatch(text, /Feeling low|sleeping|Behavioural/, "no subject, preview or mark");
    assert.equal(await row.evaluate((n) => n.tagName), "DIV", "nothing to open");
    const everything = await fran.locator("#rows").textContent();
    assert.ok(!everything.includes(SUBJECT) && !everything.includes("not been sleeping"), "nowhere in the list");
    await noOverflow(fran);
    await noSerious(fran, `the front desk's list at ${width}`);
    await screenshot(fran, `staff-withheld-row-${width}`);
    // Reaching for it by its address shows nothing of it either, and "next
    // needing response" passes over what she cannot read.
    if (width === 1440) {
      await fran.locator("#conversation").focus();
      await fran.keyboard.press("n");
      await fran.waitForFunction(() => {
        const said = document.getElementById("announcer")?.textContent ?? "";
        const title = document.getElementById("detail-title")?.textContent ?? "";
        return said === "Nothing else needs a response." || title !== "";
      }, null, LIVE);
      assert.ok(!(await fran.locator("#conversation").textContent()).includes(SUBJECT));
      await fran.goto(`${suite.server.url}/inbox#/all/c/${id}`);
      await fran.getByRole("heading", { name: "Not found" }).waitFor(LIVE);
      assert.ok(!(await fran.locator("#conversation").textContent()).includes(SUBJECT));
    }
  }
});

test("an administrator sees who reads sensitive records and which topics the front desk and billing read", async () => {
  const admin = await page({ width: 1440 });
  await signIn(admin, suite.server.url, "admin");
  await admin.goto(`${suite.server.url}/admin#sensitivity`);
  await ready(admin);
  const section = admin.locator("#sensitivity");
  await section.getByRole("heading", { name: "Sensitive records" }).waitFor();
  assert.equal(await admin.getByLabel("Substance use (42 CFR Part 2): Provider").isChecked(), true);
  assert.equal(await admin.getByLabel("Substance use (42 CFR Part 2): Nurse").isChecked(), false);
  assert.equal(await admin.getByLabel("Appointment / scheduling: Front desk").isChecked(), true);
  assert.equal(await admin.getByLabel("Test results: Front desk").isChecked(), false);
  assert.equal(await section.getByText("These are the defaults").isVisible(), true);
  // Let the front desk read telehealth visits; the monitoring program is
  // an opioid treatment program: its conversations are always Part 2.
  const monitoring = () => admin.locator("#sensitivity").getByLabel("My monitoring program", { exact: true });
  assert.equal(await monitoring().inputValue(), "", "no topic is marked by default");
  await admin.getByLabel("Telehealth visit: Front desk").check();
  await monitoring().selectOption("substance_use");
  await section.getByRole("button", { name: "Save who reads what" }).click();
  await section.getByText("Saved.").waitFor(LIVE);
  assert.equal(await section.getByText("These are the defaults").isVisible(), false);
  await admin.reload();
  await ready(admin);
  assert.equal(await admin.getByLabel("Telehealth visit: Front desk").isChecked(), true);
  assert.equal(await monitoring().inputValue(), "substance_use");
  await noSerious(admin, "the sensitive records section");
  await screenshot(admin, "admin-sensitive-records", { element: admin.locator("#sensitivity") });

  // On a phone it fits: the table scrolls within its card if it must.
  const phone = await page({ width: 390 });
  await signIn(phone, suite.server.url, "admin");
  await phone.goto(`${suite.server.url}/admin#sensitivity`);
  await ready(phone);
  await phone.locator("#sensitivity").getByRole("heading", { name: "Sensitive records" }).waitFor();
  await noOverflow(phone);
  await noSerious(phone, "the sensitive records section at 390");
  await screenshot(phone, "admin-sensitive-records-390", { element: phone.locator("#sensitivity") });

  // Not for other staff.
  const nina = await page({ width: 820 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/admin`);
  await ready(nina);
  assert.equal(await nina.locator("#sensitivity").isVisible(), false);
});
