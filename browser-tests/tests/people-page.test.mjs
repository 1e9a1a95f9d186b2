// A patient's page (/people#/patient/<id>) in a real browser: the record,
// care, enrollment and conversations; the way back to the list; starting a
// conversation from the list or the page (also with a patient not yet
// enrolled, beside the invitation); the invitation actions on the page;
// administrators see how many conversations there are, never what they say.
// Plus accessibility and screenshots at the widths screens are judged at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

const WIDTHS = [390, 820, 1440];
const LONG_NAME = ["Anastasia-Maximiliana", "Wolfeschlegelsteinhausenbergerdorff"];

/** Signs `username` in and opens /people, at `path`'s hash if given. */
async function openPeople(username, opts, hash = "") {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/people${hash}`);
  await ready(p);
  return p;
}

/** The patients on file, as the administrator's list has them. */
async function patients(p) {
  return p.evaluate(async () => (await (await fetch("/api/v1/patient-accounts?limit=200")).json()));
}

const idOf = (list, given, family) => list.find((x) => x.given_name === given && x.family_name === family).id;

const patientRow = (p, name) => p.locator("#patient-rows tr", { hasText: name });
const title = (p) => p.locator("#patient-view-title");

async function noOverflow(p, where) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${where}: the page is ${overflow}px wider than the screen`);
}

test("a nurse opens a patient's page from the list: record, care, enrollment and conversations, each opening in the inbox; back to the list", async () => {
  const nina = await openPeople("nina.nurse");
  const alice = patientRow(nina, "Alice Nguyen");
  const aliceId = await alice.getAttribute("data-id");
  // From the list: a message to her, in the inbox's new-conversation dialog.
  assert.equal(await alice.getByRole("link", { name: "Message Alice Nguyen" }).getAttribute("href"), `/inbox#/start/${aliceId}`);

  await alice.getByRole("link", { name: "Alice Nguyen", exact: true }).click();
  await title(nina).filter({ hasText: "Alice Nguyen" }).waitFor();
  assert.equal(new URL(nina.url()).hash, `#/patient/${aliceId}`, "the page has its own address, with the id only");
  assert.equal(await nina.evaluate(() => document.activeElement.id), "patient-view-title", "the cursor is on the patient's name");
  assert.equal(await nina.title(), "Alice Nguyen · Patients · Switchboard");
  assert.equal(await nina.locator("#patient-rows").isVisible(), false, "the list is put away");

  const view = nina.locator("#patient-view");
  const record = view.getByRole("region", { name: "Record" });
  assert.match(await record.textContent(), /Date of birthMarch 12, 1984.*Record numberRFM-1001.*Emailalice\.nguyen@example\.org/);
  const care = view.getByRole("region", { name: "Care and enrollment" });
  assert.match(await care.textContent(), /Care teamDr\. Patel's team.*DepartmentPrimary Care.*Enrolled.*Signs in as alice/);

  // Her conversations, as the inbox lists them, each a link into the inbox.
  const listed = await nina.evaluate(async (id) =>
    (await (await fetch(`/api/v1/conversations?patient_id=${id}&limit=100`)).json()).conversations, aliceId);
  assert.ok(listed.length >= 2, `Alice has conversations: ${listed.length}`);
  const conversations = view.getByRole("region", { name: "Conversations" });
  const open = listed.filter((c) => c.status !== "closed").length;
  assert.match(await conversations.locator(".counts").textContent(), new RegExp(`^${open} open · ${listed.length - open} closed$`));
  const links = conversations.locator(".conversation-item .conversation-subject");
  assert.deepEqual(await links.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute("href")])),
    listed.map((c) => [c.subject, `/inbox#/all/c/${c.id}`]));
  const statement = conversations.locator(".conversation-item", { hasText: "Question about my statement" });
  assert.match(await statement.textContent(), /Needs response.*1 unread.*Billing · Last activity today at \d+:\d\d [AP]M.*Patient: I was charged twice/);
  const start = view.getByRole("link", { name: "Start a conversation with Alice Nguyen" });
  assert.equal(await start.getAttribute("href"), `/inbox#/start/${aliceId}`);
  assert.equal(await view.getByText("once they enroll").count(), 0, "she is enrolled: nothing waits");

  // The skip link's address (#main) leaves her page open.
  await nina.getByRole("link", { name: "Skip to content" }).focus();
  await nina.keyboard.press("Enter");
  await nina.waitForURL(/#main$/);
  assert.equal(await view.isVisible(), true);

  // Back: the list again, the cursor on her name.
  await view.getByRole("link", { name: "Back to the patients" }).click();
  await nina.locator("#patient-rows").waitFor();
  assert.equal(await view.isVisible(), false);
  assert.equal(await nina.evaluate(() => document.activeElement.textContent), "Alice Nguyen");
  assert.equal(await nina.title(), "Patients · Switchboard");

  // The browser's Back button works the same way, and the address opens the page by itself.
  await patientRow(nina, "Carol Smith").getByRole("link", { name: "Carol Smith", exact: true }).click();
  await title(nina).filter({ hasText: "Carol Smith" }).waitFor();
  await nina.goBack();
  await nina.locator("#patient-rows").waitFor();
  assert.equal(await nina.evaluate(() => document.activeElement.textContent), "Carol Smith");
  const direct = await openPeople("nina.nurse", {}, `#/patient/${aliceId}`);
  await title(direct).filter({ hasText: "Alice Nguyen" }).waitFor();

  // Into the inbox: a conversation opens there; "Start a conversation" opens its dialog, for her.
  await direct.getByRole("link", { name: listed[0].subject }).click();
  await direct.waitForURL(/\/inbox#\/all\/c\//);
  await direct.getByRole("heading", { name: listed[0].subject }).waitFor();
  await nina.goto(`${suite.server.url}/people#/patient/${aliceId}`);
  await ready(nina);
  await nina.getByRole("link", { name: "Start a conversation with Alice Nguyen" }).click();
  await nina.waitForURL(/\/inbox/);
  const dialog = nina.getByRole("dialog", { name: "Start a conversation with a patient" });
  await dialog.getByText("Alice Nguyen").first().waitFor();
});

test("a patient not yet enrolled: a message waits for them, with the invitation beside it; invited, resent and revoked from their page", async () => {
  const admin = await openPeople("admin");
  // A long name, which must wrap rather than spill.
  await admin.evaluate(async ([given, family]) => {
    const practice = await (await fetch("/api/v1/practice")).json();
    await fetch("/api/v1/patient-accounts", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({
        given_name: given, family_name: family, birth_date: "1969-12-31", mrn: "RFM-9001",
        email: `${given.toLowerCase()}.${family.toLowerCase()}@example.org`,
        department_id: practice.departments.find((d) => d.name === "Primary Care").id,
        care_team_id: practice.care_teams.find((t) => t.name === "Dr. Patel's team").id,
      }),
    });
  }, LONG_NAME);
  const name = LONG_NAME.join(" ");
  const id = idOf(await patients(admin), ...LONG_NAME);

  const fran = await openPeople("fran.frontdesk");
  const row = patientRow(fran, name);
  assert.equal(await row.getByRole("link", { name: `Message ${name}` }).getAttribute("href"), `/inbox#/start/${id}`);
  assert.match(await row.locator(".actions-cell").textContent(), /They will see messages once they enroll\./);
  await row.getByRole("link", { name, exact: true }).click();
  await title(fran).filter({ hasText: name }).waitFor();

  const actions = fran.locator("#patient-view-actions");
  assert.equal(await actions.getByRole("link", { name: `Start a conversation with ${name}` }).getAttribute("href"), `/inbox#/start/${id}`);
  assert.match(await actions.textContent(), /They will see messages once they enroll\./);
  assert.match(await fran.getByRole("region", { name: "Care and enrollment" }).textContent(), /Not invited/);
  assert.match(await fran.getByRole("region", { name: "Conversations" }).textContent(), /0 open · 0 closed.*No conversations yet\./);

  // Invited from their page: the form and the link shown once are here.
  await actions.getByRole("button", { name: `Invite ${name}` }).click();
  const invite = fran.locator("#patient-view #invite-form");
  await invite.getByRole("heading", { name: `Invite ${name}` }).waitFor();
  await invite.getByRole("button", { name: "Make invitation link" }).click();
  const panel = fran.locator("#patient-view-link .link-panel");
  await panel.getByRole("heading", { name: `Invitation link for ${name}` }).waitFor();
  await fran.locator("#patient-view-status", { hasText: `Invitation made for ${name}.` }).waitFor();
  assert.match(await fran.getByRole("region", { name: "Care and enrollment" }).textContent(), /Invitation sent.*to hand over.*Valid until/);
  const first = await panel.getByLabel("Invitation link", { exact: true }).inputValue();
  for (const width of WIDTHS) {
    await fran.setViewportSize({ width, height: width < 600 ? 780 : width < 1000 ? 1100 : 900 });
    await screenshot(fran, `people-patient-invited-${width}`);
  }

  // Resent: a new link replaces the first.
  await actions.getByRole("button", { name: `Resend invitation to ${name}` }).click();
  await invite.getByRole("heading", { name: `Resend the invitation to ${name}` }).waitFor();
  await invite.getByRole("button", { name: "Make invitation link" }).click();
  await fran.waitForFunction((old) => {
    const input = document.querySelector("#patient-view-link .link-url");
    return input && input.value !== old;
  }, first);

  // Revoked from their page, after being asked; the cursor back on Invite.
  await actions.getByRole("button", { name: `Revoke invitation for ${name}` }).click();
  await fran.getByRole("dialog", { name: `Revoke the invitation for ${name}?` }).getByRole("button", { name: "Revoke invitation" }).click();
  await fran.locator("#patient-view-status", { hasText: `The invitation for ${name} is revoked.` }).waitFor();
  assert.match(await fran.getByRole("region", { name: "Care and enrollment" }).textContent(), /Invitation revoked/);
  assert.equal(await fran.evaluate(() => document.activeElement.textContent), `Invite ${name}`);

  // Back in the list: the row says so too, and the link shown once is gone.
  await fran.getByRole("link", { name: "Back to the patients" }).click();
  await row.filter({ hasText: "Invitation revoked" }).waitFor();
  assert.equal(await fran.locator(".link-panel").count(), 0);
  assert.equal(await fran.locator("#invite-form").isVisible(), false);
});

test("administrators see a patient's counts, told plainly they do not see what conversations say; no messages from them; a patient outside a nurse's list is not shown", async () => {
  const admin = await openPeople("admin");
  assert.equal(await admin.locator("#patient-rows").getByRole("link", { name: /^Message / }).count(), 0, "administrators work no conversations");
  const list = await patients(admin);
  const aliceId = idOf(list, "Alice", "Nguyen");
  await patientRow(admin, "Alice Nguyen").getByRole("link", { name: "Alice Nguyen", exact: true }).click();
  await title(admin).filter({ hasText: "Alice Nguyen" }).waitFor();
  const conversations = admin.getByRole("region", { name: "Conversations" });
  await conversations.getByText("Administrators do not see what conversations say, only how many there are.").waitFor();
  const counts = await admin.evaluate(async (id) => (await (await fetch(`/api/v1/patient-accounts/${id}`)).json()), aliceId);
  assert.ok(counts.open_conversations > 0, "Alice has open conversations");
  assert.equal(await conversations.locator(".counts").textContent(), `${counts.open_conversations} open · ${counts.closed_conversations} closed`);
  assert.equal(await conversations.locator(".conversation-item").count(), 0);
  assert.equal(await admin.locator("#patient-view").getByRole("link", { name: /^Start a conversation/ }).count(), 0);

  // Henry is Cardiology's: not on Nina's list, so not on a page of hers either.
  const henryId = idOf(list, "Henry", "Osei");
  const nina = await openPeople("nina.nurse", {}, `#/patient/${henryId}`);
  await nina.getByRole("alert").filter({ hasText: "This patient is not on your list." }).waitFor();
  assert.equal(await nina.locator("#patient-view-body").textContent(), "");
  await nina.getByRole("link", { name: "Back to the patients" }).click();
  await nina.locator("#patient-rows").waitFor();
});

test("the patient's page and the list with its Message links pass axe and fit at 390, 820 and 1440 pixels", async () => {
  const admin = await openPeople("admin");
  const list = await patients(admin);
  const found = {};
  for (const width of WIDTHS) {
    const nina = await openPeople("nina.nurse", { width });
    found[`list ${width}`] = await seriousViolations(nina);
    await noOverflow(nina, `list ${width}`);
    await screenshot(nina, `people-patients-care-${width}`, { element: nina.locator("#patients") });

    await nina.goto(`${suite.server.url}/people#/patient/${idOf(list, "Alice", "Nguyen")}`);
    await nina.locator("#patient-view .conversation-item").first().waitFor();
    found[`patient ${width}`] = await seriousViolations(nina);
    await noOverflow(nina, `patient ${width}`);
    await screenshot(nina, `people-patient-${width}`);

    await nina.goto(`${suite.server.url}/people#/patient/${idOf(list, "Evan", "Brooks")}`);
    await title(nina).filter({ hasText: "Evan Brooks" }).waitFor();
    await nina.getByRole("button", { name: /^(Invite|Resend invitation to) Evan Brooks$/ }).click();
    await nina.locator("#patient-view #invite-form").waitFor();
    found[`not enrolled, inviting ${width}`] = await seriousViolations(nina);
    await noOverflow(nina, `not enrolled ${width}`);

    const p = await openPeople("admin", { width }, `#/patient/${idOf(list, "Alice", "Nguyen")}`);
    await p.getByText("Administrators do not see what conversations say").waitFor();
    found[`administrator ${width}`] = await seriousViolations(p);
    await noOverflow(p, `administrator ${width}`);
    await screenshot(p, `people-patient-admin-${width}`);
  }
  for (const [where, violations] of Object.entries(found)) {
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 1)}`);
  }
});
