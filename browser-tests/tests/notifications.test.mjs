// Notifications outside the app, in a real browser: the service worker
// shows a pushed notification in the practice's words (and fixed words for
// a payload that is not ours) and opens its page on this site only; a
// patient chooses how they are told, and sees what is missing; a staff
// reply shows on the patient's record for staff, and, with no email or
// text service set up, in the administrators' outbox. Plus screenshots of
// the patient's settings and the setup page's notification section.
//
// Chromium offline cannot subscribe to a real push service, so pushes are
// delivered to the worker through DevTools (`ServiceWorker.deliverPushMessage`),
// and the subscription is expected to fail, with words that say so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// Coalescing off, so a reply's notice is made at once (by the server's own job runner).
// Loopback push endpoints allowed, for the stand-in subscription of the sign-out test (never contacted).
const suite = browserSuite({ env: { SWITCHBOARD_NOTICE_COALESCING_SECS: "0", SWITCHBOARD_ALLOW_LOOPBACK_PUSH: "true" }, serviceWorkers: true });
const page = (opts) => suite.page(opts);
const PRACTICE = "Riverside Family Medicine";
const WIDTHS = [390, 820, 1440];

/** Waits until `fn` (async) returns something truthy, and returns it. */
async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The notifications this page's service worker is showing. */
const shown = (p) => p.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url })));

test("the service worker shows a push in the practice's words, and opening it goes to the conversation on this site only", async () => {
  const p = await page();
  const origin = suite.server.url;
  await p.context().grantPermissions(["notifications"], { origin });
  const cdp = await p.context().newCDPSession(p);
  const registrations = new Map();
  cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
    for (const r of e.registrations) registrations.set(r.scopeURL, r);
  });
  const activated = new Set();
  cdp.on("ServiceWorker.workerVersionUpdated", (e) => {
    for (const v of e.versions) if (v.status === "activated") activated.add(v.registrationId);
  });
  await cdp.send("ServiceWorker.enable");
  await signIn(p, origin, "alice");
  // The patient app registers the worker itself.
  await p.evaluate(() => navigator.serviceWorker.ready);
  const registration = await until(() => registrations.get(`${origin}/`), "the worker's registration");
  await until(() => activated.has(registration.registrationId), "the worker to be activated");
  const conversation = await p.evaluate(async () => (await (await fetch("/api/v1/conversations?limit=1")).json()).conversations[0].id);
  const push = (data) => cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId: registration.registrationId, data });

  // Playwright attaches to the worker as it starts, holding it meanwhile:
  // a push delivered before it has finished can be lost, so wait for it.
  const worker = await until(() => p.context().serviceWorkers().find((w) => w.url() === `${origin}/sw.js`), "the worker");
  await worker.evaluate(() => true);
  /** Delivers one push and waits for the notification it should show. */
  const deliver = async (data, tag) => {
    await push(data);
    let last = [];
    return until(async () => {
      last = await shown(p);
      return last.find((n) => n.tag === tag);
    }, `the notification ${tag}`).catch((e) => {
      throw new Error(`${e.message}: showing ${JSON.stringify(last)}; registrations ${JSON.stringify([...registrations.values()])}`);
    });
  };

  // What the server sends (crates/couriers/src/push.rs): the practice, fixed words, the page.
  const body = `Your care team at ${PRACTICE} has replied to you.`;
  await deliver(JSON.stringify({ title: PRACTICE, body, url: `${origin}/app#/c/${conversation}`, kind: "staff_reply", tag: "delivery-1" }), "delivery-1");
  // A payload naming another site keeps only its path and fragment.
  await deliver(JSON.stringify({ title: PRACTICE, body, url: "https://elsewhere.example//evil.example/inbox#/x", kind: "alert", tag: "delivery-2" }), "delivery-2");
  // Not ours: fixed words, nothing from the payload.
  await deliver("Lab result: positive", "switchboard");
  const notes = await shown(p);
  assert.equal(notes.length, 3);
  const byTag = Object.fromEntries(notes.map((n) => [n.tag, n]));
  assert.deepEqual(byTag["delivery-1"], { title: PRACTICE, body, tag: "delivery-1", url: `${origin}/app#/c/${conversation}` });
  assert.equal(byTag["delivery-2"].url, `${origin}/evil.example/inbox#/x`, "another site's address stays on this one");
  assert.deepEqual(byTag.switchboard, { title: "Switchboard", body: "You have a new secure message.", tag: "switchboard", url: `${origin}/app` });

  // Opening it. Headless Chromium cannot click a notification, so the
  // worker's own `notificationclick` listener is run by dispatching the
  // event in the worker with the real notification. (Such an untrusted
  // event cannot be extended with waitUntil, so the worker logs that; the
  // navigation it starts is what is checked.) The app is open at its
  // list, loaded under the worker (only such a window can be navigated;
  // any other gets a new window, which needs a real click): that window
  // is taken to the conversation.
  await p.goto(`${origin}/app#/`);
  await p.reload();
  await ready(p);
  await until(() => p.evaluate(() => Boolean(navigator.serviceWorker.controller)), "the worker to control the page");
  // The worker as it runs now (it may have been stopped and started since).
  const running = await until(() => p.context().serviceWorkers().find((w) => w.url() === `${origin}/sw.js`), "the worker");
  await running.evaluate(async (tag) => {
    const sw = /** @type {any} */ (self);
    const [n] = await sw.registration.getNotifications({ tag });
    // eslint-disable-next-line no-undef
    sw.dispatchEvent(new NotificationEvent("notificationclick", { notification: n }));
  }, "delivery-1");
  await p.waitForURL(`${origin}/app#/c/${conversation}`);
  await p.locator("h1.thread-title").waitFor();
  assert.equal((await shown(p)).some((n) => n.tag === "delivery-1"), false, "the notification is closed once opened");
});

test("a patient chooses how they are told, sees what is missing, and finds their choice again; this device's notifications fail plainly offline", async () => {
  const p = await page({ width: 390 });
  await p.context().grantPermissions(["notifications"], { origin: suite.server.url });
  await signIn(p, suite.server.url, "alice");
  await p.goto(`${suite.server.url}/app#/settings`);
  const card = p.locator("#notify-form");
  await card.waitFor();
  const summary = card.locator("#notify-summary");
  assert.match(await summary.textContent(), /Now: you are told by email\./);
  assert.match(await card.textContent(), /A notice says only that a message is waiting for you, never what it says/);
  assert.equal(await p.getByText("does not send emails or text messages yet").count(), 0, "the old words are gone");
  assert.equal(await p.getByText("In an emergency, call 911.").count(), 1);
  assert.deepEqual(await seriousViolations(p), []);
  for (const width of WIDTHS) {
    await p.setViewportSize({ width, height: width < 600 ? 780 : 900 });
    // The whole page on a phone; the window, scrolled to the card, wider.
    if (width >= 600) await card.evaluate((n) => n.scrollIntoView({ block: "start" }));
    await screenshot(p, `patient-settings-notifications-${width}`, { asScrolled: width >= 600 });
  }

  // Text messages too, with quiet hours: Alice has no mobile number on file.
  await card.getByLabel("Text message").check();
  await card.getByLabel("Quiet hours").check();
  await card.getByLabel("From").fill("21:30");
  await card.getByLabel("Until").fill("07:15");
  await card.getByRole("button", { name: "Save notification choices" }).click();
  await card.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.match(await summary.textContent(), /you are told by email and text message, except from 9:30 PM until 7:15 AM\./);
  assert.match(await summary.textContent(), /You chose text messages, but we have no mobile number for you/);
  await screenshot(p, "patient-settings-notifications-missing-number", { element: card });

  // Adding the number clears the warning at once.
  await p.getByLabel("Mobile phone").fill("(555) 010-0142");
  await p.locator("#contact-form").getByRole("button", { name: "Save" }).click();
  await p.locator("#contact-form").getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.doesNotMatch(await summary.textContent(), /no mobile number/);

  // This device: headless Chromium has no push service, so nothing is saved and it says why.
  await card.getByLabel("Notifications on this device").check();
  await card.getByRole("button", { name: "Save notification choices" }).click();
  const refusal = card.getByRole("alert");
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /could not sign up for notifications.*Nothing was saved/);

  // Found again after a reload, without the device.
  await p.reload();
  await card.waitFor();
  assert.equal(await card.getByLabel("Email").isChecked(), true);
  assert.equal(await card.getByLabel("Text message").isChecked(), true);
  assert.equal(await card.getByLabel("Notifications on this device").isChecked(), false);
  assert.equal(await card.getByLabel("From").inputValue(), "21:30");
  assert.equal(await card.getByLabel("Until").inputValue(), "07:15");

  // Back to the practice's settings.
  await card.getByRole("button", { name: `Use ${PRACTICE}'s settings` }).click();
  await card.getByRole("status").filter({ hasText: `You now have ${PRACTICE}'s settings.` }).waitFor();
  assert.match(await summary.textContent(), new RegExp(`These are ${PRACTICE}'s settings until you choose your own`));
  assert.equal(await card.getByRole("button", { name: `Use ${PRACTICE}'s settings` }).isVisible(), false);
});

test("a staff reply shows on the patient's record, and with no email service, in the administrators' outbox", async () => {
  const base = suite.server.url;
  const bob = await page();
  await signIn(bob, base, "bob");
  const subject = "Refill question";
  const conversation = await bob.evaluate(async (s) => {
    const r = await fetch("/api/v1/conversations", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ subject: s, topic: "prescription_refill", body: "Could I get a refill?" }),
    });
    return (await r.json()).id;
  }, subject);
  const nina = await page();
  await signIn(nina, base, "nina.nurse");
  const status = await nina.evaluate(async (id) => (await fetch(`/api/v1/conversations/${id}/messages`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ body: "Yes, it is sent to your pharmacy." }),
  })).status, conversation);
  assert.equal(status, 201);

  const admin = await page({ width: 1440 });
  await signIn(admin, base, "admin");
  const bobId = await admin.evaluate(async () => (await (await fetch("/api/v1/patient-accounts?limit=200")).json())
    .find((x) => x.given_name === "Bob").id);
  // The server's job runner makes and tries the text within a few seconds.
  await until(async () => (await admin.evaluate(async (id) => (await (await fetch(`/api/v1/patient-accounts/${id}/deliveries`)).json()), bobId))
    .deliveries.some((d) => d.kind === "staff_reply" && d.state !== "queued"), "the text to be tried");
  await admin.goto(`${base}/people#/patient/${bobId}`);
  const card = admin.getByRole("region", { name: "Notifications" });
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /Not reachable by text message since .*\. No service for it is set up here/);
  assert.doesNotMatch(text, /Check the mobile number/, "the number is not at fault");
  assert.match(text, /A reply from the care team · Text message/);
  assert.match(text, /Not sent: no email or text-message service is set up here/);
  assert.doesNotMatch(text, new RegExp(subject), "never what was written");
  await screenshot(admin, "people-patient-notifications", { element: card });

  await admin.goto(`${base}/admin#patient-notifications`);
  await ready(admin);
  const section = admin.locator("#patient-notifications");
  // The demo practice tells its patients every way it can.
  assert.deepEqual(await section.locator('input[type="checkbox"]:checked').evaluateAll((xs) => xs.map((x) => x.id)),
    ["defaults-email", "defaults-sms", "defaults-push"]);
  // Time zones as people read them; the value stays the IANA name.
  assert.equal(await admin.locator("#defaults-zone").textContent(), " (America/New York)");
  const zone = admin.locator("#time-zone");
  assert.equal(await zone.inputValue(), "America/New_York");
  assert.equal(await zone.locator("option:checked").textContent(), "America/New York");
  assert.doesNotMatch(await admin.locator("main").innerText(), /[A-Za-z]\/[A-Za-z/]*_/, "no zone shown with an underscore");
  const outbox = section.locator("#outbox");
  await outbox.waitFor();
  const item = outbox.locator(".outbox-item").filter({ hasText: "Text message to" }).first();
  assert.match(await item.textContent(), new RegExp(`A reply from the care team.*${PRACTICE} has replied to you.*/app#/c/${conversation}`, "s"));
  assert.doesNotMatch(await outbox.textContent(), new RegExp(subject));
  // A reply's link opens a page that asks for a sign-in: nothing is withheld, and the note about withheld links is not shown.
  assert.equal(await outbox.locator("#outbox-withheld").isVisible(), false);
  assert.deepEqual(await seriousViolations(admin), []);
  await screenshot(admin, "setup-patient-notifications", { element: section });

  // The practice's defaults, saved and found again.
  await section.getByLabel("Text message (to the mobile number on their record)").uncheck();
  await section.getByLabel("Quiet hours").check();
  await section.getByLabel("From").fill("20:00");
  await section.getByLabel("Until").fill("08:00");
  await section.getByRole("button", { name: "Save notification settings" }).click();
  await section.locator("#defaults-status", { hasText: "Saved." }).waitFor();
  await admin.reload();
  await ready(admin);
  assert.equal(await section.getByLabel("Text message (to the mobile number on their record)").isChecked(), false);
  assert.equal(await section.getByLabel("Email (to the address on their record)").isChecked(), true);
  assert.equal(await section.getByLabel("From").inputValue(), "20:00");
  const saved = await admin.evaluate(async () => (await fetch("/api/v1/practice/notification-defaults")).json());
  assert.deepEqual(saved, { media: ["email", "push"], quiet_hours: { from: "20:00", to: "08:00" } });
});

test("a clinician opts into text alerts with her mobile; turning on this browser's alerts fails plainly offline", async () => {
  const p = await page({ width: 1440 });
  await p.context().grantPermissions(["notifications"], { origin: suite.server.url });
  await signIn(p, suite.server.url, "dr.patel");
  await p.goto(`${suite.server.url}/admin#alerts`);
  await ready(p);
  const section = p.locator("#alerts");
  assert.equal(await section.getByLabel("My mobile number").inputValue(), "(555) 010-0112");
  assert.equal(await section.getByLabel("Also text my alerts to my mobile").isChecked(), false);
  await section.getByLabel("My mobile number").fill("");
  await section.getByLabel("Also text my alerts to my mobile").check();
  await section.getByRole("button", { name: "Save text alerts" }).click();
  await section.getByRole("alert").filter({ hasText: "Add your mobile number" }).waitFor();
  await section.getByLabel("My mobile number").fill("(555) 010-0177");
  await section.getByRole("button", { name: "Save text alerts" }).click();
  await section.locator("#alerts-status", { hasText: "Saved: your alerts are texted to you too." }).waitFor();
  const choices = await p.evaluate(async () => (await (await fetch("/api/v1/me/notification-choices")).json()).effective_media);
  assert.deepEqual(choices, ["sms", "push"]);

  await section.getByRole("button", { name: "Turn on alerts in this browser" }).click();
  await section.locator("#alerts-push-error").filter({ hasText: "could not sign up for notifications" }).waitFor();
  assert.equal(await section.locator("#alerts-push-status").textContent(), "Alerts do not come to this browser.");
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "setup-my-alerts", { element: section });
});

test("signing out of the patient app drops this device's notifications, on the server and in the browser", async () => {
  const p = await page({ width: 390 });
  const origin = suite.server.url;
  await p.context().grantPermissions(["notifications"], { origin });
  // Chromium offline has no push service: a stand-in subscription (its
  // endpoint on this machine's discard port, never contacted) that counts
  // the browser's unsubscribe calls.
  const p256dh = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64url");
  const auth = Buffer.alloc(16, 9).toString("base64url");
  await p.addInitScript(({ p256dh, auth }) => {
    const fake = {
      endpoint: "http://127.0.0.1:9/push/this-phone",
      expirationTime: null,
      options: { applicationServerKey: null },
      toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh, auth } }; },
      async unsubscribe() {
        localStorage.setItem("test.subscribed", "no");
        localStorage.setItem("test.unsubscribed", String(Number(localStorage.getItem("test.unsubscribed") ?? 0) + 1));
        return true;
      },
    };
    PushManager.prototype.getSubscription = async function () { return localStorage.getItem("test.subscribed") === "yes" ? fake : null; };
    PushManager.prototype.subscribe = async function () { localStorage.setItem("test.subscribed", "yes"); return fake; };
  }, { p256dh, auth });
  await signIn(p, origin, "alice");
  await p.goto(`${origin}/app#/settings`);
  const card = p.locator("#notify-form");
  await card.waitFor();
  await card.getByLabel("Notifications on this device").check();
  await card.getByRole("button", { name: "Save notification choices" }).click();
  await card.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.equal(await card.locator("#notify-push-hint").textContent(), "On for this device.");
  const record = await p.evaluate(() => JSON.parse(localStorage.getItem("switchboard-push") ?? "null"));
  assert.ok(record?.id, "the server took the subscription");

  const calls = [];
  p.on("request", (r) => {
    if (r.url().includes("/api/v1/")) calls.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  await p.locator("#sign-out").click();
  await p.waitForURL(/\?signed_out/);
  assert.deepEqual(calls.filter((c) => c.includes("push-subscriptions") || c.includes("logout")),
    [`DELETE /api/v1/me/push-subscriptions/${record.id}`, "POST /api/v1/auth/logout"],
    "the server forgets it while the session still lets it, then the session ends");
  assert.equal(await p.evaluate(() => localStorage.getItem("test.unsubscribed")), "1", "the browser's subscription is dropped");
  assert.equal(await p.evaluate(() => localStorage.getItem("switchboard-push")), null);

  // Signed in again, the subscription is gone from the server.
  await signIn(p, origin, "alice");
  const status = await p.evaluate(async (id) => (await fetch(`/api/v1/me/push-subscriptions/${id}`, { method: "DELETE" })).status, record.id);
  assert.equal(status, 404);
});

test("a reminder email's unsubscribe link shows a plain page with a button", async () => {
  const p = await page({ width: 390 });
  const base = suite.server.url;
  // Not a token this server made: the page is the same, and the button says the link does not work.
  await p.goto(`${base}/unsubscribe/not-a-real-token`);
  await p.getByRole("heading", { name: "Stop reminder emails?" }).waitFor();
  assert.match(await p.locator("main").textContent(), /You will still be told of new replies the way you chose/);
  assert.match(await p.locator("main").textContent(), /In an emergency, call 911\./);
  assert.deepEqual(await seriousViolations(p), []);
  for (const width of WIDTHS) {
    await p.setViewportSize({ width, height: width < 600 ? 780 : 900 });
    await screenshot(p, `unsubscribe-${width}`);
  }
  await p.getByRole("button", { name: "Stop reminder emails" }).click();
  await p.getByRole("heading", { name: "This link does not work" }).waitFor();
  assert.deepEqual(await seriousViolations(p), []);
  await screenshot(p, "unsubscribe-not-working");
});
