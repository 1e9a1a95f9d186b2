// Paging, in a real browser: with Nina on call, an urgent patient message
// pages her by text (a stand-in SMS gateway in this process records it);
// she opens the link from the text signed out, signs in, and lands on the
// conversation with the page acknowledged, which the paging record shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { PASSWORD, browserSuite, ready } from "./helpers.mjs";

/** Every form the stand-in gateway was sent. */
const texts = [];
const gateway = createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    texts.push(Object.fromEntries(new URLSearchParams(body)));
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ sid: `SM${String(texts.length).padStart(32, "0")}` }));
  });
});
await new Promise((resolve) => gateway.listen(0, "127.0.0.1", resolve));
const address = gateway.address();
const port = typeof address === "object" && address ? address.port : 0;

const suite = browserSuite({
  env: {
    SWITCHBOARD_SMS_GATEWAY_URL: `http://127.0.0.1:${port}/send`,
    SWITCHBOARD_SMS_ACCOUNT: "AC-browser-tests",
    SWITCHBOARD_SMS_TOKEN: "browser-tests-token",
    SWITCHBOARD_SMS_FROM: "+15555550100",
  },
});

/**
 * The API, called from a page on the server's origin (the browser trusts
 * the test server's certificate; Node's fetch would not).
 */
let apiPage;
async function call(method, path, bearer, body) {
  apiPage ??= await (async () => {
    const p = await suite.page();
    await p.goto(`${suite.server.url}/`);
    return p;
  })();
  const r = await apiPage.evaluate(async ([method, path, bearer, body]) => {
    const headers = { "content-type": "application/json" };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, text: await res.text() };
  }, [method, path, bearer, body]);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : null;
}

const token = async (username) => (await call("POST", "/api/v1/auth/login", null, { username, password: PASSWORD })).token;

test("an on-call nurse follows the page's link, signs in, and lands on the conversation with the page acknowledged", async () => {
  const admin = await token("admin");
  const nina = await token("nina.nurse");
  const me = await call("GET", "/api/v1/me", nina);
  const now = Date.now();
  await call("POST", "/api/v1/on-call", admin, {
    user_id: me.id,
    starts_at: new Date(now - 3600_000).toISOString(),
    ends_at: new Date(now + 3600_000).toISOString(),
  });
  const alice = await token("alice");
  const created = await call("POST", "/api/v1/conversations", alice, {
    subject: "Now", topic: "care_question", body: "I have crushing chest pain going down my left arm right now",
  });
  const thread = await call("GET", `/api/v1/conversations/${created.id}`, alice);
  assert.match(thread.messages.at(-1).body, /We are paging the clinician/);

  // The server's job runner pages Nina at her demo mobile number.
  const end = Date.now() + 15000;
  let page;
  while (!(page = texts.find((t) => t.To === "+15550100111" && /\/inbox#\/ack\//.test(t.Body)))) {
    assert.ok(Date.now() < end, `no page texted: ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.doesNotMatch(page.Body, /chest|arm|Alice|Nguyen/);
  const link = page.Body.match(/https:\/\/\S+(\/inbox#\/ack\/\S+)/)[1];

  const p = await suite.page({ mobile: true });
  await p.goto(`${suite.server.url}${link}`);
  // Signed out: to the sign-in page, then back to the link.
  await p.getByLabel("User name").fill("nina.nurse");
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(new RegExp(`/inbox#/needs_response/c/${created.id}$`));
  await ready(p);
  await p.getByText("Page acknowledged: nobody else will be paged about this message.").waitFor();
  const pages = await call("GET", `/api/v1/conversations/${created.id}/pages`, await token("nina.nurse"));
  assert.equal(pages[0].acknowledged_by.display_name, "Nina Alvarez, RN");

  // The same link again: already used, said plainly.
  await p.goto(`${suite.server.url}${link}`);
  await p.getByText("This page link was already used or has expired.", { exact: false }).waitFor();
});

test.after(() => gateway.close());
