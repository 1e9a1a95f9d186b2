// Single sign-on in a real browser, against the local OpenID Connect
// provider the API suite uses (`.ci/peers/oidc_provider.py`, PyJWT): the
// administrator configures it on the setup page and sets a colleague's
// work email on the People page; the sign-in page then shows the
// practice's button, and a click goes to the provider and back (every
// redirect followed by Chromium itself) and lands in the inbox. A failure
// comes back as words on the sign-in page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { browserSuite, peersPython, ready, repo, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();
const CLIENT_ID = "switchboard-browser";
const CLIENT_SECRET = "browser-test-secret-0123456789abcdef";
const LABEL = "Sign in with Riverside Health";

/** A free port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** The provider: the Python of `.ci/peers` (the API suite makes its venv). */
async function startProvider() {
  const python = peersPython();
  const port = await freePort();
  const child = spawn(python, [join(repo, ".ci", "peers", "oidc_provider.py"), String(port), CLIENT_ID, CLIENT_SECRET],
    { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider did not start: ${stderr}`)), 30000);
    child.stdout.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
    child.on("exit", (code) => reject(new Error(`provider exited with ${code}: ${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    async user(body) {
      const r = await fetch(`${base}/admin/user`, { method: "POST", body: JSON.stringify(body) });
      assert.equal(r.status, 204);
    },
    stop() {
      child.stdin.end();
      child.kill();
    },
  };
}

let provider;
before(async () => {
  provider = await startProvider();
});
after(() => provider?.stop());

test("an administrator sets up single sign-on and a colleague signs in with it", async () => {
  const base = suite.server.url;
  const admin = await suite.page({ width: 1440 });
  await signIn(admin, base, "admin");
  await admin.goto(`${base}/admin#sign-in-security`);
  await ready(admin);
  await admin.getByLabel("Offer single sign-on on the sign-in page").check();
  await admin.getByLabel("Issuer URL").fill(provider.base);
  await admin.getByLabel("Client ID").fill(CLIENT_ID);
  await admin.getByLabel("Client secret").fill(CLIENT_SECRET);
  await admin.getByLabel("Button label").fill(LABEL);
  await admin.getByRole("button", { name: "Save single sign-on" }).click();
  await admin.getByText("Saved.", { exact: true }).last().waitFor();
  assert.equal(await admin.getByLabel("Client secret").inputValue(), "", "the secret is not shown again");
  assert.match(await admin.locator("#sso-redirect-uri").textContent(), /\/api\/v1\/auth\/sso\/callback$/);
  assert.deepEqual(await seriousViolations(admin), []);
  for (const width of [390, 820, 1440]) {
    await admin.setViewportSize({ width, height: 900 });
    await screenshot(admin, `setup-sso-${width}`, { element: admin.locator("#sign-in-security") });
  }
  await admin.setViewportSize({ width: 1440, height: 900 });

  // The colleague's work email, on the People page.
  await admin.goto(`${base}/people`);
  await ready(admin);
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.getByRole("button", { name: /Single sign-on for Dr\. .*Patel/ }).click();
  await admin.getByLabel("Work email").fill("patel@riverside.example");
  assert.deepEqual(await seriousViolations(admin), []);
  await screenshot(admin, "people-sso-390", { asScrolled: true });
  await admin.setViewportSize({ width: 1440, height: 900 });
  await screenshot(admin, "people-sso-1440", { asScrolled: true });
  await admin.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await admin.getByText(/Saved the work email for/).waitFor();

  // Signed out, the sign-in page offers the practice's button.
  const p = await suite.page({ width: 1440 });
  await p.goto(`${base}/`);
  const button = p.getByRole("link", { name: LABEL });
  await button.waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  for (const width of [390, 820, 1440]) {
    await p.setViewportSize({ width, height: 900 });
    await screenshot(p, `signin-sso-${width}`);
  }

  // An account the provider does not verify the email of: refused in words.
  await provider.user({ sub: "patel-1", email: "patel@riverside.example", email_verified: false });
  await button.click();
  await p.getByText(/did not confirm your email address/).waitFor();
  assert.equal(new URL(p.url()).search, "", "the code is taken out of the address");

  // Verified: through the provider and back, into the inbox.
  await provider.user({ sub: "patel-1", email: "patel@riverside.example", email_verified: true });
  await p.getByRole("link", { name: LABEL }).click();
  await p.waitForURL(/\/inbox/);
  await ready(p);
  const me = await p.evaluate(async () => (await fetch("/api/v1/me")).json());
  assert.equal(me.username, "dr.patel");
});
