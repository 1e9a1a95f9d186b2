// A legal export in Chromium: the compliance officer finds Alice on the
// audit page, asks for her record with internal notes, watches it being
// made, and downloads it once; the archive is opened by Python's zipfile
// and checked against its signed manifest (`.ci/peers/export_check.py`,
// with pypdf reading the PDF). Screenshots at three widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserSuite, peersPython, ready, repo, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();


test("the compliance officer exports a patient's record and downloads it once", async () => {
  const base = suite.server.url;
  const cora = await suite.page({ width: 1440 });
  await signIn(cora, base, "cora.compliance");
  await cora.goto(`${base}/audit`);
  await ready(cora);
  const records = cora.locator("#records");
  await records.getByText("No export yet.").waitFor();

  // Asking without a patient is refused in words.
  await records.getByRole("button", { name: "Make the export" }).click();
  await records.getByText("Find and choose the patient first.").waitFor();

  await records.getByLabel("Patient", { exact: true }).fill("Nguyen");
  await records.getByRole("button", { name: "Find patient" }).click();
  await records.getByRole("button", { name: /Alice Nguyen/ }).click();
  await records.getByLabel("Include staff's internal notes").check();
  await records.getByRole("button", { name: "Make the export" }).click();
  await records.getByText(/Asked for Alice Nguyen's record/).waitFor();
  const item = records.locator("#exports-list li").first();
  await item.getByText(/Ready to download \(once\)/).waitFor({ timeout: 30000 });
  assert.match(await item.textContent(), /The record of Alice Nguyen, with internal notes/);
  assert.match(await item.textContent(), /SHA-256 of the archive: [0-9a-f]{64}/);
  assert.deepEqual(await seriousViolations(cora), []);
  for (const width of [390, 820, 1440]) {
    await cora.setViewportSize({ width, height: 900 });
    await screenshot(cora, `audit-export-${width}`, { element: records });
  }
  await cora.setViewportSize({ width: 1440, height: 900 });

  // Downloaded once: the browser saves it; then it is gone.
  const saved = cora.waitForEvent("download");
  await item.getByRole("button", { name: "Download the export of Alice Nguyen" }).click();
  const download = await saved;
  const dir = mkdtempSync(join(tmpdir(), "export-"));
  const archive = join(dir, "record.zip");
  await download.saveAs(archive);
  await item.getByText(/^Downloaded/).waitFor();
  assert.equal(await item.getByRole("button").count(), 0, "no second download");
  const again = await cora.evaluate(async (path) => (await fetch(path)).status, new URL(`/api/v1/practice/exports`, base).pathname);
  assert.equal(again, 200);

  const text = execFileSync(peersPython(), [join(repo, ".ci", "peers", "export_check.py"), archive, "-", dir], { encoding: "utf8" });
  assert.match(text, /Alice Nguyen/);
  assert.match(text, /Secure messages: Riverside Family Medicine/);
});
