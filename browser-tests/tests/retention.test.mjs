// Keeping the record on the audit page, in Chromium: the compliance
// officer places a legal hold on a patient found by name (a blank reason is
// refused on its field), sets how long conversations are kept (a period of
// 0 years is refused on its field, nothing typed lost; billing kept seven
// years), and releases the hold. Screenshots at three widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();

test("the compliance officer holds a patient's messages and sets retention periods", async () => {
  const base = suite.server.url;
  const cora = await suite.page({ width: 1440 });
  await signIn(cora, base, "cora.compliance");
  await cora.goto(`${base}/audit`);
  await ready(cora);
  const records = cora.locator("#records");
  await records.getByText("No legal hold is in force.").waitFor();
  assert.equal(await cora.getByLabel("Every conversation, after its last activity (years)").inputValue(), "10");

  // A hold on Bob: found by name; the reason is required.
  await records.getByLabel("Patient", { exact: true }).fill("Mart");
  await records.getByRole("button", { name: "Find patient" }).click();
  await records.getByRole("button", { name: /Bob Martinez/ }).click();
  await records.getByText(/Chosen: Bob Martinez/).waitFor();
  await records.getByRole("button", { name: "Place the hold" }).click();
  await records.locator("#hold-reason-error").waitFor();
  assert.equal(await records.getByLabel("Reason").getAttribute("aria-invalid"), "true");
  await records.getByLabel("Reason").fill("Records request RR-77");
  await records.getByRole("button", { name: "Place the hold" }).click();
  await records.getByText("All of Bob Martinez's messages").waitFor();
  await records.getByText(/Records request RR-77 · placed by Cora Jensen/).waitFor();

  // Periods: 0 years refused on its field, nothing lost; then saved.
  await cora.getByLabel("Billing (topic)").fill("7");
  await cora.getByLabel("Every conversation, after its last activity (years)").fill("0");
  await records.getByRole("button", { name: "Save the periods" }).click();
  await records.locator("#default-years-error").getByText(/from 1 to 100 years/).waitFor();
  assert.equal(await cora.getByLabel("Billing (topic)").inputValue(), "7");
  await cora.getByLabel("Every conversation, after its last activity (years)").fill("10");
  await records.getByRole("button", { name: "Save the periods" }).click();
  await records.locator("#periods-status").getByText("Saved.").waitFor();
  const saved = await cora.evaluate(async () => (await fetch("/api/v1/practice/retention")).json());
  assert.deepEqual(saved.overrides, [{ category: "topic:billing", years: 7 }]);
  assert.deepEqual(await seriousViolations(cora), []);
  for (const width of [390, 820, 1440]) {
    await cora.setViewportSize({ width, height: 900 });
    await screenshot(cora, `audit-records-${width}`, { element: records });
  }
  await cora.setViewportSize({ width: 1440, height: 900 });

  // Released: the hold leaves the list.
  cora.once("dialog", (d) => d.accept());
  await records.getByRole("button", { name: "Release the hold on Bob Martinez" }).click();
  await records.getByText("No legal hold is in force.").waitFor();
});
