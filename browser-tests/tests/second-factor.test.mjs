// Second factors in a real browser: a patient sets up an authenticator app
// from the Security page (the key read off the page as a person would type
// it, the codes computed here by RFC 6238), keeps the recovery codes, and
// signs in again with a code; the sign-in's second step refuses a wrong
// code in words; the practice's setup page warns that the demo lets staff
// sign in with a password alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);

/** RFC 4648 base32 (spaces ignored) to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/\s+/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The six-digit code of `secret` for time step `step` (RFC 6238, SHA-1). */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const word = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(word % 1_000_000).padStart(6, "0");
}

const stepNow = () => Math.floor(Date.now() / 30000);

test("a patient sets up an authenticator app and signs in with its code", async () => {
  const p = await page({ mobile: true });
  const base = suite.server.url;
  await signIn(p, base, "alice");
  await p.goto(`${base}/app#/settings`);
  await p.getByRole("link", { name: "Set up or change your second step" }).click();
  await p.waitForURL(/\/security$/);
  await ready(p);
  await screenshot(p, "security-start-390");
  await p.getByRole("button", { name: "Set up an authenticator app" }).click();
  await p.getByRole("img", { name: /QR code/ }).waitFor();
  await p.getByText("Can't scan it? Type this key instead").click();
  const secret = (await p.locator("#totp-secret").textContent()).trim();
  assert.match(secret, /^[A-Z2-7 ]{32,40}$/);
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "security-scan-390");

  // A wrong code is refused in words; the right one shows the recovery codes.
  const step = stepNow();
  const right = totp(secret, step);
  await p.getByLabel("The 6-digit code the app shows now").fill(right === "000000" ? "111111" : "000000");
  await p.getByRole("button", { name: "Confirm" }).click();
  await p.getByText("That code is not right").waitFor();
  await p.getByLabel("The 6-digit code the app shows now").fill(totp(secret, stepNow()));
  await p.getByRole("button", { name: "Confirm" }).click();
  await p.getByRole("heading", { name: "Your authenticator app is set up" }).waitFor();
  const codes = await p.locator("#recovery-codes li").allTextContents();
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await screenshot(p, "security-recovery-codes-390");
  await p.getByRole("button", { name: "I have saved these codes" }).click();
  await p.locator("#totp-on").waitFor();
  assert.match(await p.locator("main").textContent(), /You have 10 recovery codes left/);

  // Signing in again asks for a code after the password. A code works
  // once, so wait for the app's next one.
  const confirmedStep = stepNow();
  await p.goto(`${base}/app#/settings`);
  await ready(p);
  await p.getByRole("button", { name: "Sign out" }).first().click();
  await p.waitForURL(`${base}/?signed_out`);
  await p.getByLabel("User name").fill("alice");
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Enter your code" }).waitFor();
  assert.equal(await p.getByLabel("Password").count(), 0, "the password form is gone");
  await p.getByLabel("Code").fill("123 45");
  await p.getByRole("button", { name: "Continue" }).click();
  await p.getByText("that code is not right", { exact: false }).waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "signin-code-390");
  while (stepNow() <= confirmedStep) await new Promise((r) => setTimeout(r, 500));
  await p.getByLabel("Code").fill(totp(secret, stepNow()));
  await p.getByRole("button", { name: "Continue" }).click();
  await p.waitForURL(/\/app/);
  await ready(p);
});

test("a recovery code signs in once, and the second step looks right on a tablet and a desktop", async () => {
  const base = suite.server.url;
  const setup = await page({ width: 1440 });
  await signIn(setup, base, "carol");
  await setup.goto(`${base}/security`);
  await ready(setup);
  await setup.getByRole("button", { name: "Set up an authenticator app" }).click();
  await setup.getByText("Can't scan it? Type this key instead").click();
  const secret = (await setup.locator("#totp-secret").textContent()).trim();
  await screenshot(setup, "security-scan-1440");
  await setup.getByLabel("The 6-digit code the app shows now").fill(totp(secret, stepNow()));
  await setup.getByRole("button", { name: "Confirm" }).click();
  // The codes are drawn when the server's answer arrives.
  await setup.locator("#recovery-codes li").first().waitFor();
  const codes = await setup.locator("#recovery-codes li").allTextContents();
  assert.equal(codes.length, 10);

  for (const width of [820, 1440]) {
    const p = await page({ width });
    await p.goto(`${base}/`);
    await p.getByLabel("User name").fill("carol");
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Enter your code" }).waitFor();
    await p.getByRole("button", { name: "Lost your phone? Use a recovery code" }).click();
    await screenshot(p, `signin-code-${width}`);
    await p.getByLabel("Code").fill(codes[width === 820 ? 0 : 1].toUpperCase());
    await p.getByRole("button", { name: "Continue" }).click();
    await p.waitForURL(/\/app/);
    await ready(p);
  }
  // The code used at 820 px does not work again.
  const again = await page({ width: 820 });
  await again.goto(`${base}/`);
  await again.getByLabel("User name").fill("carol");
  await again.getByLabel("Password").fill(PASSWORD);
  await again.getByRole("button", { name: "Sign in" }).click();
  await again.getByLabel("Code").fill(codes[0]);
  await again.getByRole("button", { name: "Continue" }).click();
  await again.getByText("already used", { exact: false }).waitFor();
});

test("the demo's setup page warns that staff sign in with a password alone", async () => {
  const p = await page({ width: 1440 });
  await signIn(p, suite.server.url, "admin");
  const section = p.locator("#sign-in-security");
  await section.waitFor();
  await section.getByText("Staff can sign in with a password alone.").waitFor();
  assert.equal(await p.locator("#second-factor-required").isChecked(), false);
  await screenshot(p, "setup-sign-in-security-1440", { element: section });
  // Turning it on without a second step of one's own is refused, in words.
  await p.locator("#second-factor-required").check();
  await section.getByRole("button", { name: "Save", exact: true }).click();
  await section.getByText("set up your own second factor first", { exact: false }).waitFor();
  assert.deepEqual(await seriousViolations(p), []);
});
