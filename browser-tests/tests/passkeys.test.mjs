// Passkeys in a real browser: Chromium's virtual authenticator (DevTools'
// WebAuthn domain: a platform authenticator that keeps discoverable
// credentials and verifies its user) stands in for a phone's or laptop's.
// A patient adds a passkey on the Security page, signs in again with the
// password and the passkey as the second step, then with the passkey
// alone ("Sign in with a passkey"), confirms it is her with it before a
// sensitive action, and removes it. WebAuthn needs the
// server's name, so the pages are opened at https://localhost (the demo's
// certificate names it), and the buttons are hidden at the IP address.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations } from "./helpers.mjs";

// Chromium refuses WebAuthn on a page whose certificate it does not trust:
// this suite's browser trusts the test server's self-signed one.
const suite = browserSuite({ serviceWorkers: true });
const byName = () => suite.server.url.replace("https://127.0.0.1:", "https://localhost:");

/** A virtual platform authenticator for the page, like a phone's: resident keys, user verification. */
async function authenticator(p) {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId, credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials };
}

async function signOut(p) {
  await p.evaluate(() => fetch("/api/v1/auth/logout", { method: "POST", credentials: "same-origin" }));
  await p.context().clearCookies();
}

async function passwordStep(p, base, username) {
  await p.goto(`${base}/`);
  await p.getByLabel("User name").fill(username);
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Signs in with the password alone (no second factor yet) and opens Security. */
async function toSecurity(p, base, username) {
  await passwordStep(p, base, username);
  await p.waitForURL(/\/app/);
  await p.goto(`${base}/security`);
  await ready(p);
}

async function addPasskey(p, name) {
  const card = p.locator("#passkeys");
  await card.getByRole("heading", { name: "Passkeys" }).waitFor();
  if (name) await card.getByLabel("Name (optional)").fill(name);
  await card.getByRole("button", { name: "Add a passkey" }).click();
  await card.locator("#passkey-list li").first().waitFor();
}

test("a patient adds a passkey, signs in with it as the second step and alone, and removes it", async () => {
  const p = await suite.page({ width: 1440 });
  const base = byName();
  const auth = await authenticator(p);
  await toSecurity(p, base, "alice");
  await addPasskey(p, "Work laptop");
  const item = p.locator("#passkey-list li");
  assert.equal(await item.count(), 1);
  assert.match(await item.textContent(), /Work laptop/);
  assert.match(await item.textContent(), /not used yet/);
  const made = await auth.credentials();
  assert.equal(made.length, 1);
  assert.equal(made[0].isResidentCredential, true, "a discoverable passkey, for signing in without a user name");
  assert.equal(made[0].rpId, "localhost");
  const registered = made[0].signCount;
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "security-passkeys-1440");

  // "Confirm it is you", the dialog every sensitive action opens, offers
  // the passkey, and the server accepts its signature.
  const confirmed = p.evaluate(() => import("/static/common.js").then((m) => m.confirmItIsYou("please confirm it is you")));
  const withKey = p.getByRole("button", { name: "Use a passkey" });
  await withKey.waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "reauth-passkey-1440");
  await withKey.click();
  assert.equal(await confirmed, true);
  assert.equal(await p.locator("#reauth").count(), 0, "the dialog closed");
  assert.equal((await auth.credentials())[0].signCount > registered, true, "the authenticator signed");
  const signedNow = (await auth.credentials())[0].signCount;

  // The password, then the passkey as the second step.
  await signOut(p);
  await passwordStep(p, base, "alice");
  const step = p.getByRole("button", { name: "Use your passkey" });
  await step.waitFor();
  // alice has no authenticator app: the passkey is the only second step offered.
  assert.equal(await p.locator("#code").count(), 0);
  await step.click();
  await p.waitForURL(/\/app/);
  await ready(p);
  assert.equal((await auth.credentials())[0].signCount, signedNow + 1, "the authenticator signed once");

  // The passkey alone.
  await signOut(p);
  await p.goto(`${base}/`);
  const alone = p.getByRole("button", { name: "Sign in with a passkey" });
  await alone.waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "signin-passkey-1440");
  await alone.click();
  await p.waitForURL(/\/app/);
  await ready(p);
  assert.equal((await auth.credentials())[0].signCount, signedNow + 2);

  // The list says when it was last used; removing it needs no new proof
  // within five minutes of signing in with it.
  await p.goto(`${base}/security`);
  await ready(p);
  await p.locator("#passkey-list li").waitFor();
  assert.match(await p.locator("#passkey-list li").textContent(), /last used/);
  p.once("dialog", (d) => d.accept());
  await p.getByRole("button", { name: "Remove Work laptop" }).click();
  await p.locator("#passkey-none").waitFor();

  // The removed passkey no longer signs in, and the page says so in words.
  await signOut(p);
  await p.goto(`${base}/`);
  await p.getByRole("button", { name: "Sign in with a passkey" }).click();
  const error = p.locator("#passkey-error");
  await error.waitFor();
  assert.match(await error.textContent(), /not accepted/);
});

test("on a phone: the passkey list and the sign-in button, and no passkey buttons at an IP address", async () => {
  const p = await suite.page({ width: 390 });
  const base = byName();
  await authenticator(p);
  await toSecurity(p, base, "carol");
  await addPasskey(p, "");
  assert.match(await p.locator("#passkey-list li").textContent(), /Passkey added \d+ \w{3} \d{4}/);
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "security-passkeys-390");
  await signOut(p);
  await p.goto(`${base}/`);
  await p.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
  await screenshot(p, "signin-passkey-390");

  // At the IP address the browser would refuse: no button, and the
  // Security page says why.
  await p.goto(`${suite.server.url}/`);
  await p.getByLabel("User name").waitFor();
  assert.equal(await p.getByRole("button", { name: "Sign in with a passkey" }).isVisible(), false);
  await passwordStep(p, suite.server.url, "carol");
  // carol's passkey is her second step; at the IP address it cannot be used.
  await p.locator("#code-form").getByText(/cannot be used at this address/).waitFor();
});
