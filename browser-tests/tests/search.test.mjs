// Searching messages from the inbox in a real browser: Alice writes about a
// medicine; Nina, a nurse of her care team, presses "/" in the inbox, types
// the start of the word and Enter, sees Alice's message with the word
// marked, and opens the conversation from the result. Dr. Okafor, on
// another team, finds nothing of Alice's. The dialog at a phone's, a
// tablet's and a desktop's width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn, writeNewMessage } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);
const LIVE = { timeout: 10000 };
const SUBJECT = "Brevanol and sleep";

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

async function searchFor(p, words) {
  await p.locator("body").press("/");
  const dialog = p.getByRole("dialog", { name: "Search messages" });
  await dialog.waitFor(LIVE);
  await dialog.getByLabel("Words to find").fill(words);
  await dialog.getByLabel("Words to find").press("Enter");
  await dialog.locator("#search-status:not(:text('Searching…'))").waitFor(LIVE);
  return dialog;
}

test("a nurse finds a patient's message by a word's start and opens it; another team finds nothing", async () => {
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  await writeNewMessage(alice, suite.server.url, SUBJECT, "Since I started brevanol I wake up at 3am. Is that normal?");

  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await ready(nina);
  const dialog = await searchFor(nina, "brev wake");
  const result = dialog.locator(".search-result").first();
  await result.waitFor(LIVE);
  assert.equal(await dialog.locator(".search-result").count(), 1);
  assert.match(await result.textContent(), /Alice Nguyen · Brevanol and sleep/);
  assert.deepEqual(await result.locator("mark").allTextContents(), ["brevanol", "wake"]);
  assert.deepEqual(await seriousViolations(nina), [], "the search dialog");
  await screenshot(nina, "inbox-search-1440");
  await result.click();
  await nina.locator("#conversation").getByRole("heading", { name: SUBJECT }).waitFor(LIVE);
  assert.equal(await dialog.isVisible(), false);

  const okafor = await page({ width: 1440 });
  await signIn(okafor, suite.server.url, "dr.okafor");
  await ready(okafor);
  const his = await searchFor(okafor, "brevanol");
  await his.getByText("Nothing found in the conversations you can read.").waitFor(LIVE);

  for (const width of [390, 820]) {
    const p = await page({ width });
    await signIn(p, suite.server.url, "nina.nurse");
    await ready(p);
    const d = await searchFor(p, "brevanol");
    await d.locator(".search-result").first().waitFor(LIVE);
    await noOverflow(p);
    assert.deepEqual(await seriousViolations(p), [], `the search dialog at ${width}`);
    await screenshot(p, `inbox-search-${width}`);
  }
});
