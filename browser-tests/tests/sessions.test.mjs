// "Where you're signed in": a patient signed in on a phone and on a
// desktop sees both sessions in their settings, this one marked; signing
// the other out from the desktop signs the phone out. Staff see the same
// section on the setup page. Screenshots of the section at 390 and 1440 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();

/** The settings' sessions section, once it lists `n` sessions. */
async function sessionsListed(p, n) {
  const section = p.locator("#sessions");
  await section.getByRole("heading", { name: "Where you're signed in" }).waitFor();
  await p.waitForFunction((count) => document.querySelectorAll("#sessions-list li").length === count, n);
  return section;
}

test("a patient sees where they are signed in and signs out another device", async () => {
  const base = suite.server.url;
  const phone = await suite.page({ width: 390 });
  const desktop = await suite.page({ width: 1440 });
  await signIn(phone, base, "alice");
  await signIn(desktop, base, "alice");

  await desktop.goto(`${base}/app#/settings/sessions`);
  const section = await sessionsListed(desktop, 2);
  const items = section.locator("#sessions-list li");
  // This one is marked and cannot be signed out from here; the other can.
  const here = items.filter({ hasText: "This device" });
  await assert.doesNotReject(here.waitFor());
  assert.equal(await here.getByRole("button").count(), 0);
  assert.match(await here.textContent(), /Chrome on Linux/);
  assert.match(await here.textContent(), /This computer · in use now/);
  const other = items.filter({ hasNotText: "This device" });
  assert.match(await other.textContent(), /This computer · last used (just now|\d+ minutes? ago)/);
  assert.ok(await section.getByRole("button", { name: "Sign out everywhere else" }).isVisible());
  assert.deepEqual(await seriousViolations(desktop), []);
  await screenshot(desktop, "sessions-desktop", { element: section });

  await phone.goto(`${base}/app#/settings/sessions`);
  const onPhone = await sessionsListed(phone, 2);
  await screenshot(phone, "sessions-phone", { element: onPhone });
  assert.deepEqual(await seriousViolations(phone), []);

  // Signed out from the desktop: the desktop lists itself alone, and the
  // phone is signed out.
  await other.getByRole("button", { name: /^Sign out/ }).click();
  await sessionsListed(desktop, 1);
  await section.getByText("You are signed in only here.").waitFor();
  assert.equal(await section.getByRole("button", { name: "Sign out everywhere else" }).isVisible(), false);
  const status = await phone.evaluate(async () => (await fetch("/api/v1/me")).status);
  assert.equal(status, 401);
  await phone.goto(`${base}/app#/settings`);
  await phone.waitForURL((url) => url.pathname === "/");
});

test("staff see where they are signed in on the setup page", async () => {
  const base = suite.server.url;
  const other = await suite.page({ width: 1440 });
  await signIn(other, base, "nina.nurse");
  const p = await suite.page({ width: 1440 });
  await signIn(p, base, "nina.nurse");
  await p.goto(`${base}/admin#sessions`);
  const section = await sessionsListed(p, 2);
  await screenshot(p, "sessions-setup", { element: section });
  await section.getByRole("button", { name: "Sign out everywhere else" }).click();
  await sessionsListed(p, 1);
  const status = await other.evaluate(async () => (await fetch("/api/v1/me")).status);
  assert.equal(status, 401);
  assert.deepEqual(await seriousViolations(p), []);
});
