// EHR connections in a real browser: an administrator connects the
// practice's EHR as a SMART Backend Services client on the setup page with
// keys an independent JOSE implementation made (PyJWT,
// `.ci/peers/smart_client.py`); a private key pasted by mistake is refused
// in words and nothing typed is lost; the EHR then gets a token with those
// keys and reads the record over FHIR; disconnecting it ends that at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserSuite, peersPython, ready, repo, screenshot, seriousViolations, signIn } from "./helpers.mjs";

const suite = browserSuite();


function smart(...args) {
  return execFileSync(peersPython(), [join(repo, ".ci", "peers", "smart_client.py"), ...args], { encoding: "utf8" }).trim();
}

test("an administrator connects the EHR, which reads the record, and disconnects it", async () => {
  const base = suite.server.url;
  const dir = mkdtempSync(join(tmpdir(), "ehr-keys-"));
  const jwks = smart("keys", dir);
  const admin = await suite.page({ width: 1440 });
  await signIn(admin, base, "admin");
  await admin.goto(`${base}/admin#ehr-clients`);
  await ready(admin);
  const section = admin.locator("#ehr-clients");
  await section.getByText("No EHR is connected.").waitFor();
  const tokenEndpoint = await admin.locator("#ehr-token-endpoint").textContent();
  assert.match(tokenEndpoint, /\/fhir\/r4\/auth\/token$/);

  // A private key pasted by mistake: refused on its field, nothing lost.
  const pem = readFileSync(join(dir, "es384.pem"), "utf8");
  assert.ok(pem.includes("PRIVATE KEY"));
  const withPrivate = JSON.parse(jwks);
  withPrivate.keys[0].d = "AAAA";
  await section.getByLabel("Name", { exact: true }).fill("Riverside EHR");
  await section.getByLabel("Its public keys").fill(JSON.stringify(withPrivate));
  await section.getByRole("button", { name: "Connect this EHR" }).click();
  await section.getByText(/private key/).first().waitFor();
  assert.equal(await section.getByLabel("Name", { exact: true }).inputValue(), "Riverside EHR");
  assert.equal(await section.getByLabel("Its public keys").getAttribute("aria-invalid"), "true");

  // The public keys: connected, with the client ID to give the EHR.
  await section.getByLabel("Its public keys").fill(jwks);
  await section.getByLabel("Patients' names, dates of birth and MRNs").uncheck();
  await section.getByRole("button", { name: "Connect this EHR" }).click();
  await section.getByText(/Connected\. Give your EHR its client ID/).waitFor();
  const item = section.locator("#ehr-list li").first();
  await item.getByText("Riverside EHR", { exact: true }).waitFor();
  const clientId = (await item.locator("code").textContent()).trim();
  assert.match(await item.textContent(), /May read\s*messages, staff names, the practice, files/);
  assert.match(await item.textContent(), /Last connected\s*never/);
  assert.deepEqual(await seriousViolations(admin), []);
  for (const width of [390, 820, 1440]) {
    await admin.setViewportSize({ width, height: 900 });
    await screenshot(admin, `setup-ehr-${width}`, { element: section });
  }
  await admin.setViewportSize({ width: 1440, height: 900 });

  // The EHR: a token for a signed assertion, then the record. (Fetched
  // from the page, which trusts the server's certificate.)
  const exp = Math.floor(Date.now() / 1000) + 120;
  const assertion = smart("sign", join(dir, "es384.pem"), "ec-1", "ES384", clientId, tokenEndpoint, String(exp), "browser-1");
  const read = (token) => admin.evaluate(async ([assertion, token]) => {
    let access = token;
    if (!access) {
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      });
      const t = await fetch("/fhir/r4/auth/token", { method: "POST", body: form, credentials: "omit" });
      if (!t.ok) return { status: t.status };
      access = (await t.json()).access_token;
    }
    const r = await fetch("/fhir/r4/Communication?_count=5", { headers: { Authorization: `Bearer ${access}` }, credentials: "omit" });
    return { status: r.status, token: access, body: await r.json() };
  }, [assertion, token]);
  const first = await read(null);
  assert.equal(first.status, 200);
  assert.equal(first.body.resourceType, "Bundle");
  assert.ok(first.body.entry.length > 0);
  await admin.reload();
  await ready(admin);
  assert.doesNotMatch(await section.locator("#ehr-list li").first().textContent(), /Last connected\s*never/);

  // Disconnecting ends its token at once.
  admin.once("dialog", (d) => d.accept());
  await section.getByRole("button", { name: "Disconnect Riverside EHR" }).click();
  await section.getByText(/^Disconnected /).waitFor();
  await section.getByText("No EHR is connected.").waitFor();
  const after = await read(first.token);
  assert.equal(after.status, 401);
  assert.equal(after.body.resourceType, "OperationOutcome");
});
