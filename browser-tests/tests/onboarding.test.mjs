// Onboarding in a real browser: an administrator brings staff and patients
// in on /people with links shown once; the people who get them choose their
// own passwords on /welcome; the import from the EHR; deactivation that
// signs someone out at once; forgotten passwords. Colleagues who care for
// patients invite the patients of their care teams and departments on the
// same page, and nothing more. Plus accessibility, a 360-pixel screen, and
// no CSP violations or page errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

/** Signs `username` in and opens /people. */
async function openPeople(username = "admin", opts) {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/people`);
  await ready(p);
  return p;
}

/** Signs in with a password of one's own, on the sign-in page; returns where it landed. */
async function signInWith(p, username, password) {
  await p.goto(`${suite.server.url}/`);
  await p.getByLabel("User name").fill(username);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/(app|inbox|admin)/);
  await ready(p);
  return new URL(p.url()).pathname;
}

const signInPage = (p) => p.getByRole("heading", { name: "Sign in", exact: true });
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The link shown once in `panel`, after checking what it says about itself. */
async function shownLink(panel, label, who) {
  await panel.waitFor();
  const text = await panel.textContent();
  assert.match(text, new RegExp(`Shown only now: hand it to ${escape(who)}\\.`));
  assert.match(text, /Valid until [A-Z][a-z]+day, [A-Z][a-z]+ \d+(,| at) \d+:\d\d [AP]M\. It works once\./);
  const link = await panel.getByLabel(label, { exact: true }).inputValue();
  assert.match(link, new RegExp(`^${escape(suite.server.url)}/welcome#token=[A-Za-z0-9_-]{40,}$`));
  return link;
}

/** How many patients the practice has on file. */
async function patientCount(admin) {
  return admin.evaluate(async () => (await (await fetch("/api/v1/patient-accounts?limit=200")).json()).length);
}

async function fitsPhone(p, where) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${where}: the page is ${overflow}px wider than the screen`);
}

test("a new staff member's set-up link is shown once; they choose a password (a short one is refused) and sign in", async () => {
  const admin = await openPeople();
  await admin.getByRole("heading", { level: 1, name: "People" }).waitFor();
  await admin.getByRole("button", { name: "Add staff member" }).click();
  const form = admin.locator("#staff-form");
  await form.getByLabel("User name").fill("sam.rivera");
  await form.getByLabel("Name as colleagues and patients see it").fill("Sam Rivera");
  await form.getByLabel("Role").selectOption({ label: "Front desk" });
  await form.getByLabel("Primary Care").check();
  await form.getByLabel("Dr. Patel's team").check();
  // By text, a number is needed: refused beside it, nothing else lost.
  await form.getByLabel("Text them the set-up link").check();
  await form.getByRole("button", { name: "Add and make set-up link" }).click();
  await form.getByRole("alert").filter({ hasText: "add their mobile number to send the set-up link by text" }).waitFor();
  assert.equal(await form.getByLabel(/^Mobile number/).getAttribute("aria-invalid"), "true");
  assert.equal(await form.getByLabel("User name").inputValue(), "sam.rivera");
  await form.getByLabel(/^Mobile number/).fill("(555) 010-0160");
  await form.getByRole("button", { name: "Add and make set-up link" }).click();

  const panel = admin.locator("#staff-link .link-panel");
  const link = await shownLink(panel, "Set-up link", "Sam Rivera");
  assert.match(await panel.getByRole("heading").textContent(), /^Set-up link for Sam Rivera$/);
  await admin.locator("#staff-status", { hasText: "Sam Rivera added. Their set-up link is queued to be sent by text message." }).waitFor();
  assert.match(await panel.textContent(), /queued to be texted to the number you gave/);
  const row = admin.locator("#staff-rows tr", { hasText: "sam.rivera" });
  const rowText = await row.textContent();
  for (const want of ["Sam Rivera", "Front desk", "Primary Care", "Dr. Patel's team", "Active", "Not set up yet", "Never signed in"]) {
    assert.ok(rowText.includes(want), `the new row says ${want}: ${rowText}`);
  }

  // Editing keeps what is not changed (departments, care teams).
  await row.getByRole("button", { name: "Edit Sam Rivera" }).click();
  assert.equal(await form.getByLabel("Name as colleagues and patients see it").inputValue(), "Sam Rivera");
  assert.equal(await form.getByLabel("Dr. Patel's team").isChecked(), true);
  assert.equal(await form.locator("#staff-username").isVisible(), false, "a user name cannot be changed");
  await form.getByLabel("Role").selectOption({ label: "Medical assistant" });
  await form.getByRole("button", { name: "Save changes" }).click();
  await admin.locator("#staff-status", { hasText: "Changes to Sam Rivera saved." }).waitFor();
  assert.match(await row.textContent(), /Medical assistant.*Primary Care.*Dr\. Patel's team/);

  // Shown once: hidden when done, and not to be had again from the page.
  const token = link.split("#token=")[1];
  await panel.getByRole("button", { name: "Done: hide the link" }).click();
  assert.equal(await admin.locator("#staff-link .link-panel").count(), 0);
  await admin.reload();
  await ready(admin);
  assert.ok(!(await admin.content()).includes(token), "the link is not on the page any more");

  // Sam, on a phone, with a browser of their own.
  const sam = await page({ mobile: true });
  await sam.goto(link);
  await sam.getByRole("heading", { name: "Welcome to Riverside Family Medicine" }).waitFor();
  assert.ok(!sam.url().includes("token"), `the token leaves the address bar: ${sam.url()}`);
  assert.match(await sam.locator("#link-card").textContent(), /Choose a password for sam\.rivera\./);
  await sam.getByText("At least 15 characters, any you like, spaces too. A few unrelated words make a good one. Not a common password, your name or user name.").waitFor();
  await screenshot(sam, "welcome-setup");

  await sam.getByLabel("New password").fill("too short");
  await sam.getByLabel("Type the password again").fill("too short");
  await sam.getByRole("button", { name: "Set password" }).click();
  const refusal = sam.getByRole("alert").filter({ hasText: "15 characters" });
  await refusal.waitFor();
  assert.equal(await refusal.textContent(), "The password must be at least 15 characters; a few unrelated words are easy to remember.");
  assert.equal(await sam.getByLabel("New password").getAttribute("aria-invalid"), "true");
  // A password attackers try first is refused, and the page says why.
  await sam.getByLabel("New password").fill("1qaz2wsx3edc4rfv");
  await sam.getByLabel("Type the password again").fill("1qaz2wsx3edc4rfv");
  await sam.getByRole("button", { name: "Set password" }).click();
  const known = sam.getByRole("alert").filter({ hasText: "known to attackers" });
  await known.waitFor();
  assert.equal(await known.textContent(), "That password is on a list of passwords known to attackers; choose another.");

  const password = "violet tractor anchors the moon";
  await sam.getByLabel("New password").fill(password);
  await sam.getByLabel("Type the password again").fill(`${password}s`);
  await sam.getByRole("button", { name: "Set password" }).click();
  await sam.getByRole("alert").filter({ hasText: "The two passwords are not the same" }).waitFor();
  assert.equal(await sam.locator("#new-password-error").isVisible(), false, "the old refusal is gone");

  await sam.getByLabel("Type the password again").fill(password);
  await sam.getByRole("button", { name: "Set password" }).click();
  await sam.getByRole("heading", { name: "Your password is set" }).waitFor();
  await sam.getByRole("link", { name: "Sign in" }).click();
  await signInPage(sam).waitFor();
  assert.equal(await signInWith(sam, "sam.rivera", password), "/inbox");

  await admin.reload();
  await ready(admin);
  const after = await row.textContent();
  assert.ok(!after.includes("Not set up yet"), after);
  assert.ok(!after.includes("Never signed in"), after);
  assert.match(after, /today at \d+:\d\d [AP]M/);
});

test("pools on the staff form: a new nurse joins Refills (last in turn), moves to Billing, and a compliance officer is in none", async () => {
  const admin = await openPeople();
  await admin.getByRole("button", { name: "Add staff member" }).click();
  const form = admin.locator("#staff-form");
  const pools = form.getByRole("group", { name: "Pools" });
  assert.match(await pools.textContent(), /Pool work goes to the members in turn\. Someone new is given none until they have set up their account/);
  const poolNames = await pools.locator("label").allTextContents();
  for (const want of ["Billing", "Refills"]) assert.ok(poolNames.includes(want), `a checkbox for ${want}: ${poolNames}`);
  await form.getByLabel("User name").fill("pat.quinn");
  await form.getByLabel("Name as colleagues and patients see it").fill("Pat Quinn, RN");
  await form.getByLabel("Role").selectOption({ label: "Nurse" });
  await form.getByLabel("Primary Care").check();
  await pools.getByLabel("Refills", { exact: true }).check();
  await form.getByRole("button", { name: "Add and make set-up link" }).click();
  await admin.locator("#staff-status", { hasText: "Pat Quinn, RN added." }).waitFor();
  const row = admin.locator("#staff-rows tr", { hasText: "pat.quinn" });
  assert.match(await row.textContent(), /Nurse.*Primary Care.*Pool: Refills.*Not set up yet/);

  // The pool has them, last in its turn order; the setup page lists them.
  const poolsNow = () => admin.evaluate(async () => (await (await fetch("/api/v1/pools")).json()));
  const pat = await admin.evaluate(async () => (await (await fetch("/api/v1/staff-accounts")).json()).find((s) => s.username === "pat.quinn").id);
  const refills = (await poolsNow()).find((p) => p.name === "Refills");
  assert.equal(refills.members.at(-1), pat, `last in turn: ${refills.members}`);
  const setup = await page();
  await signIn(setup, suite.server.url, "admin");
  await setup.goto(`${suite.server.url}/admin#pools`);
  await ready(setup);
  const refillsItem = setup.locator("#pool-list li", { has: setup.getByRole("heading", { name: "Refills", exact: true }) });
  assert.match(await refillsItem.textContent(), /Members.*Pat Quinn, RN/);

  // Edit: their pool is ticked. A pool that has gone is refused beside the pools, and nothing typed is lost.
  await row.getByRole("button", { name: "Edit Pat Quinn, RN" }).click();
  assert.equal(await pools.getByLabel("Refills", { exact: true }).isChecked(), true);
  assert.equal(await pools.getByLabel("Billing", { exact: true }).isChecked(), false);
  await form.getByLabel("Name as colleagues and patients see it").fill("Pat Quinn, BSN");
  await pools.getByLabel("Refills", { exact: true }).evaluate((c) => (c.value = crypto.randomUUID()));
  await form.getByRole("button", { name: "Save changes" }).click();
  const gone = pools.getByRole("alert");
  await gone.filter({ hasText: "One of the pools you chose no longer exists" }).waitFor();
  assert.equal(await form.getByLabel("Name as colleagues and patients see it").inputValue(), "Pat Quinn, BSN");
  assert.equal(await form.locator("#staff-form-error").isVisible(), false, "the refusal is beside the pools only");
  assert.equal(await admin.evaluate(() => document.activeElement.closest("fieldset")?.id), "staff-pools-set");
  assert.match(await row.textContent(), /Pat Quinn, RN.*Pool: Refills/, "nothing was saved");

  // Into Billing instead of Refills.
  await pools.getByLabel("Refills", { exact: true }).uncheck();
  await pools.getByLabel("Billing", { exact: true }).check();
  await form.getByRole("button", { name: "Save changes" }).click();
  await admin.locator("#staff-status", { hasText: "Changes to Pat Quinn, BSN saved." }).waitFor();
  assert.equal(await gone.isVisible(), false);
  let text = await row.textContent();
  assert.match(text, /Primary Care.*Pool: Billing/);
  assert.ok(!text.includes("Refills"), text);
  const after = await poolsNow();
  assert.ok(!after.find((p) => p.name === "Refills").members.includes(pat));
  assert.equal(after.find((p) => p.name === "Billing").members.at(-1), pat);

  // A compliance officer takes no conversations: the pools are put away, with a note, and saving empties them.
  await row.getByRole("button", { name: "Edit Pat Quinn, BSN" }).click();
  assert.equal(await pools.getByLabel("Billing", { exact: true }).isChecked(), true);
  await form.getByLabel("Role").selectOption({ label: "Compliance officer" });
  assert.equal(await pools.evaluate((f) => f.disabled), true);
  assert.equal(await pools.getByLabel("Billing", { exact: true }).isVisible(), false);
  assert.equal(await form.locator("#staff-pools-off").textContent(),
    "Compliance officers take no conversations, so they are in no pool. Saving takes them out of the pools they are in.");
  assert.deepEqual(await seriousViolations(admin), [], "the staff form with the pools put away");
  // Changing back shows the pools as they were.
  await form.getByLabel("Role").selectOption({ label: "Nurse" });
  assert.equal(await pools.getByLabel("Billing", { exact: true }).isChecked(), true);
  assert.equal(await form.locator("#staff-pools-off").isVisible(), false);
  await form.getByLabel("Role").selectOption({ label: "Compliance officer" });
  await form.getByRole("button", { name: "Save changes" }).click();
  await row.filter({ hasText: "Compliance officer" }).waitFor();
  text = await row.textContent();
  assert.match(text, /Compliance officer.*Primary Care/);
  assert.ok(!/Pool|Billing|Refills/.test(text), text);
  assert.ok((await poolsNow()).every((p) => !p.members.includes(pat)), "in no pool");
  await row.getByRole("button", { name: "Edit Pat Quinn, BSN" }).click();
  assert.equal(await form.locator("#staff-pools-off").textContent(), "Compliance officers take no conversations, so they are in no pool.");
  await form.getByRole("button", { name: "Cancel" }).click();
});

test("a patient is invited at the desk, confirms their date of birth, enrolls and signs in; the used link is refused", async () => {
  const admin = await openPeople();
  const before = await patientCount(admin);
  await admin.getByRole("button", { name: "Add patient" }).click();
  const form = admin.locator("#patient-form");
  await form.getByLabel("Given name").fill("Rosa");
  await form.getByLabel("Family name").fill("Delgado");
  await form.getByLabel("Date of birth").fill("1990-07-04");
  await form.getByLabel("Medical record number").fill("RFM-5001");
  await form.getByLabel("Department").selectOption({ label: "Primary Care" });
  await form.getByLabel("Care team").selectOption({ label: "Dr. Patel's team" });
  await form.getByRole("button", { name: "Add patient" }).click();
  await admin.locator("#patients-status", { hasText: "Rosa Delgado added." }).waitFor();
  assert.equal(await patientCount(admin), before + 1);
  const row = admin.locator("#patient-rows tr", { hasText: "Rosa Delgado" });
  const rowText = await row.textContent();
  for (const want of ["July 4, 1990", "RFM-5001", "Dr. Patel's team", "Primary Care", "Not invited"]) {
    assert.ok(rowText.includes(want), `the new row says ${want}: ${rowText}`);
  }

  // A second record with the same MRN is refused, and what was typed stays.
  await admin.getByRole("button", { name: "Add patient" }).click();
  await form.getByLabel("Given name").fill("Rosalind");
  await form.getByLabel("Family name").fill("Delgado");
  await form.getByLabel("Date of birth").fill("1991-01-02");
  await form.getByLabel("Medical record number").fill("rfm-5001");
  await form.getByRole("button", { name: "Add patient" }).click();
  await form.getByRole("alert").filter({ hasText: "medical record number is already on file" }).waitFor();
  assert.equal(await form.getByLabel("Given name").inputValue(), "Rosalind");
  assert.equal(await admin.evaluate(() => document.activeElement.id), "patient-mrn");
  await form.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await patientCount(admin), before + 1);

  // Email is not on file: that channel is refused with a way out.
  await row.getByRole("button", { name: "Invite Rosa Delgado" }).click();
  const invite = admin.locator("#invite-form");
  await invite.getByLabel("By email").check();
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await invite.getByRole("alert").filter({ hasText: "Rosa Delgado has no email address on file" }).waitFor();
  await invite.getByRole("button", { name: "Cancel" }).click();

  // Editing the record keeps its care team and department.
  await row.getByRole("button", { name: "Edit Rosa Delgado" }).click();
  assert.equal(await form.getByLabel("Given name").inputValue(), "Rosa");
  assert.equal(await form.getByLabel("Date of birth").inputValue(), "1990-07-04");
  assert.equal(await form.getByLabel("Care team").locator("option:checked").textContent(), "Dr. Patel's team");
  assert.equal(await form.getByLabel("Department").locator("option:checked").textContent(), "Primary Care");
  await form.getByLabel("Mobile phone").fill("(555) 010-0199");
  await form.getByRole("button", { name: "Save changes" }).click();
  await admin.locator("#patients-status", { hasText: "Changes to Rosa Delgado saved." }).waitFor();
  assert.match(await row.textContent(), /\(555\) 010-0199.*Dr\. Patel's team.*Primary Care.*Not invited/);

  await row.getByRole("button", { name: "Invite Rosa Delgado" }).click();
  await invite.getByLabel("I hand it over").check();
  await invite.getByRole("button", { name: "Make invitation link" }).click();
  const panel = admin.locator("#patient-link .link-panel");
  const link = await shownLink(panel, "Invitation link", "Rosa Delgado");
  assert.match(await panel.textContent(), /The patient gets this link only from you: hand it over/);
  assert.match(await row.textContent(), /Invitation sent/);

  // Rosa, on her phone.
  const rosa = await page({ mobile: true });
  await rosa.goto(link);
  await rosa.getByRole("heading", { name: "Riverside Family Medicine invites you to message your care team securely" }).waitFor();
  assert.ok(!rosa.url().includes("token"), rosa.url());
  await rosa.getByLabel("Month").fill("7");
  await rosa.getByLabel("Day").fill("5");
  await rosa.getByLabel("Year").fill("1990");
  await rosa.getByLabel("Choose a user name").fill("alice");
  const password = "paper lanterns over the harbor";
  await rosa.getByLabel("Choose a password").fill(password);
  await rosa.getByLabel("Type the password again").fill(password);
  // The practice's messaging terms, with the emergency wording, to accept.
  const terms = rosa.getByRole("group", { name: "Messaging terms" });
  assert.match(await terms.textContent(), /call 911.*988/s);
  await rosa.getByRole("button", { name: "Enroll" }).click();
  await rosa.getByRole("alert").filter({ hasText: "Read the messaging terms and tick the box to accept them." }).waitFor();
  await rosa.getByLabel("I have read and accept these terms").check();
  await screenshot(rosa, "welcome-invitation");
  await rosa.getByRole("button", { name: "Enroll" }).click();
  const wrong = rosa.getByRole("alert").filter({ hasText: "does not match our records" });
  await wrong.waitFor();
  assert.match(await wrong.textContent(), /^This date of birth does not match our records\. Check it and try again\./);
  assert.equal(await rosa.getByLabel("Month").inputValue(), "7", "what was typed stays");
  assert.equal(await rosa.getByLabel("Choose a password").inputValue(), password);

  // The right date, but a user name someone has.
  await rosa.getByLabel("Day").fill("4");
  await rosa.getByRole("button", { name: "Enroll" }).click();
  await rosa.getByRole("alert").filter({ hasText: "That user name is already taken. Choose another one." }).waitFor();
  assert.equal(await wrong.count(), 0, "the date of birth is no longer refused");

  await rosa.getByLabel("Choose a user name").fill("rosa.delgado");
  await rosa.getByRole("button", { name: "Enroll" }).click();
  await rosa.getByRole("heading", { name: "You are enrolled" }).waitFor();
  assert.match(await rosa.locator("#link-card").textContent(), /In an emergency, call 911\. For thoughts of suicide, call or text 988\./);
  await rosa.getByRole("link", { name: "Sign in" }).click();
  await signInPage(rosa).waitFor();
  assert.equal(await signInWith(rosa, "rosa.delgado", password), "/app");

  await admin.reload();
  await ready(admin);
  const enrolled = await row.textContent();
  assert.match(enrolled, /Enrolled/);
  assert.match(enrolled, /Signs in as rosa\.delgado/);
  assert.match(enrolled, /Last signed in today at \d+:\d\d [AP]M/);
  assert.equal(await row.getByRole("button", { name: /^Invite/ }).count(), 0);

  // The link was used: it explains itself and points to sign-in.
  const again = await page({ mobile: true });
  await again.goto(link);
  await again.getByText("This link has expired or was already used. Ask your practice for a new one.").waitFor();
  await again.getByRole("link", { name: "Go to the sign-in page" }).click();
  await signInPage(again).waitFor();
});

test("an import with problems on two lines lists both and imports nothing; the corrected file imports, and again changes nothing", async () => {
  const admin = await openPeople();
  const before = await patientCount(admin);
  const header = "mrn,given_name,family_name,birth_date,email,care_team,department";
  const good = [
    "IMP-1,Ana,Lopez,1975-02-14,ana@example.org,Dr. Patel's team,Primary Care",
    "IMP-2,Ben,Okoro,1975-11-01,,,Cardiology",
    "IMP-3,Cy,Park,1981-09-30,cy.park@example.org,,",
  ];
  const bad = [good[0], "IMP-2,Ben,Okoro,1975-13-01,,,Cardiology", "IMP-3,Cy,Park,1981-09-30,not an email,,"];
  const file = (rows) => ({ name: "patients.csv", mimeType: "text/csv", buffer: Buffer.from(`${[header, ...rows].join("\n")}\n`) });
  const section = admin.locator("#import");
  const check = section.getByRole("button", { name: "Check file" });
  const importButton = section.getByRole("button", { name: "Import", exact: true });

  await section.getByLabel("CSV file").setInputFiles(file(bad));
  await check.click();
  const problems = section.locator("#import-problems tbody tr");
  await problems.first().waitFor();
  assert.deepEqual(await problems.evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))), [
    ["3", "birth_date", "Must be a date as YYYY-MM-DD"],
    ["4", "email", "Is not an email address"],
  ]);
  assert.match(await section.getByRole("alert").first().textContent(), /^Nothing was imported\. The file has 2 problems/);
  // The status line says how the check ended, and nothing said before it
  // ("Checking the file…") arrives after it.
  const status = section.locator("#import-status");
  await status.filter({ hasText: "Checked: 2 problems found." }).waitFor();
  await admin.waitForTimeout(300);
  assert.equal(await status.textContent(), "Checked: 2 problems found.");
  assert.equal(await importButton.isVisible(), false);
  assert.equal(await patientCount(admin), before, "nothing was imported");
  await screenshot(admin, "people-import-errors", { element: section });

  await section.getByLabel("CSV file").setInputFiles(file(good));
  assert.equal(await problems.count(), 0, "choosing another file clears the old problems");
  await check.click();
  await section.getByText("Checked: no problems. Would create 3, update 0, leave 0 unchanged.").waitFor();
  assert.equal(await patientCount(admin), before, "a check writes nothing");
  await importButton.click();
  await section.getByText("Imported: created 3, updated 0, left 0 unchanged.").waitFor();
  assert.equal(await patientCount(admin), before + 3);
  const ana = admin.locator("#patient-rows tr", { hasText: "Ana Lopez" });
  await ana.waitFor();
  assert.match(await ana.textContent(), /IMP-1.*ana@example\.org.*Dr\. Patel's team.*Primary Care.*Not invited/);

  await check.click();
  await section.getByText("Checked: no problems. Would create 0, update 0, leave 3 unchanged. Nothing to import.").waitFor();
  assert.equal(await importButton.isVisible(), false);

  // The filter narrows the loaded page by name or record number.
  await admin.getByLabel("Filter this page by name or medical record number").fill("imp-");
  assert.equal(await admin.locator("#patient-rows tr").count(), 3);
  await admin.getByLabel("Filter this page by name or medical record number").fill("okoro");
  assert.equal(await admin.locator("#patient-rows tr").count(), 1);
  assert.match(await admin.locator("#patient-count").textContent(), /^1 of the \d+ patients on this page match\.$/);
});

test("deactivating a nurse signs her out at once and keeps her out; reactivating lets her back in", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  assert.equal(new URL(nina.url()).pathname, "/inbox");

  const admin = await openPeople();
  const row = admin.locator("#staff-rows tr", { hasText: "nina.nurse" });
  assert.equal(await admin.locator("#staff-rows tr", { hasText: "(you)" }).getByRole("button", { name: /^Deactivate/ }).count(), 0,
    "administrators cannot deactivate themselves");
  await row.getByRole("button", { name: "Deactivate Nina Alvarez, RN" }).click();
  const dialog = admin.getByRole("dialog", { name: "Deactivate Nina Alvarez, RN?" });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /signed out everywhere at once.*history are kept/);
  // Changing one's mind changes nothing.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.match(await row.textContent(), /Active/);
  await row.getByRole("button", { name: "Deactivate Nina Alvarez, RN" }).click();
  await dialog.getByRole("button", { name: "Deactivate Nina Alvarez, RN" }).click();
  await admin.locator("#staff-status", { hasText: "Nina Alvarez, RN is deactivated. Their sessions have ended." }).waitFor();
  assert.match(await row.textContent(), /Deactivated/);

  // Her open inbox goes to the sign-in page: the live stream ends at once, and says why.
  await signInPage(nina).waitFor({ timeout: 5000 });
  assert.equal(new URL(nina.url()).search, "?deactivated");
  const notice = nina.locator("#signin-notice");
  assert.equal(await notice.isVisible(), true);
  assert.equal(await notice.textContent(),
    "You were signed out because your account is no longer active. If you did not expect this, ask your practice.");
  // And the old session is refused on any request.
  await nina.goto(`${suite.server.url}/inbox`);
  await signInPage(nina).waitFor();
  await nina.getByLabel("User name").fill("nina.nurse");
  await nina.getByLabel("Password").fill(PASSWORD);
  await nina.getByRole("button", { name: "Sign in" }).click();
  await nina.locator("#signin-error").waitFor();
  assert.equal(new URL(nina.url()).pathname, "/");

  await row.getByRole("button", { name: "Reactivate Nina Alvarez, RN" }).click();
  await admin.locator("#staff-status", { hasText: "Nina Alvarez, RN is active again and can sign in." }).waitFor();
  assert.match(await row.textContent(), /Active/);
  await signIn(nina, suite.server.url, "nina.nurse");
  assert.equal(new URL(nina.url()).pathname, "/inbox");
});

/** The controls that only administrators get on /people. */
async function adminControls(p) {
  const controls = {};
  for (const [what, name] of [["add staff", "Add staff member"], ["add patient", "Add patient"], ["check import", "Check file"],
    ["edit", /^Edit /], ["deactivate", /^Deactivate /], ["reactivate", /^Reactivate /], ["reset link", /^Make reset link/]]) {
    const n = await p.getByRole("button", { name }).count();
    if (n) controls[what] = n;
  }
  for (const id of ["staff", "import", "patient-form"]) if (await p.locator(`#${id}`).isVisible()) controls[`#${id}`] = true;
  if (await p.locator(".setup-nav").isVisible()) controls.sections = true;
  return controls;
}

test("the front desk follows Patients from the inbox to the patients of its departments, invites by text message once, is told of a missing number, and revokes", async () => {
  const fran = await page();
  await signIn(fran, suite.server.url, "fran.frontdesk");
  assert.equal(new URL(fran.url()).pathname, "/inbox");
  const topbar = fran.locator(".topbar");
  assert.equal(await topbar.getByRole("link", { name: "People", exact: true }).count(), 0, "the administrators' link is not hers");
  await topbar.getByRole("link", { name: "Patients", exact: true }).click();
  await fran.waitForURL(/\/people$/);
  await ready(fran);

  await fran.getByRole("heading", { level: 1, name: "Patients" }).waitFor();
  assert.equal(await fran.title(), "Patients · Switchboard");
  assert.match(await fran.locator("#patients").textContent(), /You see the patients of your care teams and departments\./);
  assert.deepEqual(await adminControls(fran), {}, "no staff, import, records, deactivation or reset links");
  assert.equal(await fran.getByText("Only a practice administrator can manage accounts").isVisible(), false);

  const row = (name) => fran.locator("#patient-rows tr", { hasText: name });
  const evan = row("Evan Brooks");
  const grace = row("Grace Kim");
  const henry = row("Henry Osei");
  assert.match(await evan.textContent(), /RFM-1004.*evan\.brooks@example\.org.*Dr\. Patel's team.*Primary Care.*Not invited/);
  assert.match(await grace.textContent(), /RFM-1005.*\(555\) 010-0142.*Dr\. Patel's team.*Primary Care.*Not invited/);
  assert.match(await henry.textContent(), /RFM-1006.*\(555\) 010-0177.*Dr\. Okafor's team.*Cardiology.*Not invited/);
  for (const r of [evan, grace, henry]) {
    assert.deepEqual(await r.getByRole("button").evaluateAll((bs) => bs.map((b) => b.textContent.replace(/ .*/, ""))), ["Invite"]);
  }
  // An enrolled patient: how they sign in and when they last did, and nothing to press.
  const alice = row("Alice Nguyen");
  assert.match(await alice.textContent(), /Enrolled.*Signs in as alice.*(Last signed in|Never signed in)/);
  assert.equal(await alice.getByRole("button").count(), 0);

  // The filter narrows the page.
  const filter = fran.getByLabel("Filter this page by name or medical record number");
  await filter.fill("kim");
  assert.equal(await fran.locator("#patient-rows tr").count(), 1);
  await filter.fill("");

  // Grace by text message: the link is shown once.
  await grace.getByRole("button", { name: "Invite Grace Kim" }).click();
  const invite = fran.locator("#invite-form");
  await invite.getByRole("heading", { name: "Invite Grace Kim" }).waitFor();
  await invite.getByLabel("By text message").check();
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const panel = fran.locator("#patient-link .link-panel");
  const link = await shownLink(panel, "Invitation link", "Grace Kim");
  assert.match(await panel.getByRole("heading").textContent(), /^Invitation link for Grace Kim$/);
  await fran.locator("#patients-status", { hasText: "Invitation made for Grace Kim." }).waitFor();
  assert.match(await grace.textContent(), /Invitation sent.*for a text message.*Valid until/);
  await screenshot(fran, "people-invite-care-staff", { element: fran.locator("#main") });

  // Evan has no mobile number: refused, with what to do instead.
  await evan.getByRole("button", { name: "Invite Evan Brooks" }).click();
  await invite.getByLabel("By text message").check();
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const refusal = invite.getByRole("alert").filter({ hasText: "no mobile number" });
  await refusal.waitFor();
  assert.equal(await refusal.textContent(),
    "Evan Brooks has no mobile number on file. A practice administrator can add one to the record. Or choose to hand the link over.");
  await invite.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await invite.isVisible(), false);
  assert.match(await evan.textContent(), /Not invited/);
  assert.equal(await panel.getByLabel("Invitation link", { exact: true }).inputValue(), link, "Grace's link is still on screen");

  // Revoking Grace's invitation, after being asked.
  await grace.getByRole("button", { name: "Revoke invitation for Grace Kim" }).click();
  const dialog = fran.getByRole("dialog", { name: "Revoke the invitation for Grace Kim?" });
  await dialog.getByRole("button", { name: "Revoke invitation" }).click();
  await fran.locator("#patients-status", { hasText: "The invitation for Grace Kim is revoked." }).waitFor();
  assert.match(await grace.textContent(), /Invitation revoked/);
  assert.equal(await grace.getByRole("button", { name: "Revoke invitation for Grace Kim" }).count(), 0);
  await grace.getByRole("button", { name: "Invite Grace Kim" }).waitFor();
  // The revoked link explains itself.
  const used = await page({ mobile: true });
  await used.goto(link);
  await used.getByText("This link has expired or was already used. Ask your practice for a new one.").waitFor();
});

test("a nurse sees the patients of her department and care team only", async () => {
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.locator(".topbar").getByRole("link", { name: "Patients", exact: true }).waitFor();
  await nina.goto(`${suite.server.url}/people`);
  await ready(nina);
  await nina.getByRole("heading", { level: 1, name: "Patients" }).waitFor();
  const names = await nina.locator("#patient-rows tr td:first-child").allTextContents();
  for (const want of ["Evan Brooks", "Grace Kim", "Alice Nguyen"]) assert.ok(names.includes(want), `she sees ${want}: ${names}`);
  for (const other of ["Henry Osei", "Bob Martinez"]) assert.ok(!names.includes(other), `Cardiology's ${other} is not hers: ${names}`);
  assert.deepEqual(await adminControls(nina), {});
});

test("the care-staff patients page, with an invitation form, a link and the revoke dialog, passes axe and fits 360 pixels", async () => {
  const found = {};
  for (const mobile of [false, true]) {
    const p = await openPeople("fran.frontdesk", { mobile });
    const where = `care-staff people ${mobile ? "phone" : "desktop"}`;
    const henry = p.locator("#patient-rows tr", { hasText: "Henry Osei" });
    await henry.getByRole("button", { name: /^(Invite|Resend invitation)/ }).click();
    await p.locator("#invite-form").getByRole("button", { name: "Make invitation link" }).click();
    await p.locator("#patient-link .link-panel").waitFor();
    // With a refusal on screen too.
    await p.locator("#patient-rows tr", { hasText: "Evan Brooks" }).getByRole("button", { name: /^Invite/ }).click();
    await p.locator("#invite-form").getByLabel("By text message").check();
    await p.locator("#invite-form").getByRole("button", { name: "Send invitation" }).click();
    await p.locator("#invite-error:not([hidden])").waitFor();
    found[where] = await seriousViolations(p);
    if (mobile) await fitsPhone(p, where);
    await henry.getByRole("button", { name: /^Revoke invitation/ }).click();
    await p.getByRole("dialog").waitFor();
    found[`${where} dialog`] = await seriousViolations(p);
    await p.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  }
  for (const [where, violations] of Object.entries(found)) {
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 1)}`);
  }
});

test("a forgotten password: the same answer for any name, the request flagged for the administrator, a reset link that works and signs out elsewhere", async () => {
  const earlier = await page();
  await signIn(earlier, suite.server.url, "fran.frontdesk");

  const anon = await page({ mobile: true });
  await anon.goto(`${suite.server.url}/`);
  await anon.getByRole("button", { name: "Forgot your password?" }).click();
  const forgot = anon.locator("#forgot");
  assert.match(await forgot.textContent(), /your practice can give you a reset link at the front desk/);
  await forgot.getByLabel("Your user name").fill("fran.frontdesk");
  await forgot.getByRole("button", { name: "Ask for a reset link" }).click();
  const answer = forgot.getByRole("status");
  await answer.waitFor();
  const first = await answer.textContent();
  assert.equal(first, "If that account exists, we send the reset link to its email address or mobile number, or, if it has neither, let your practice know you asked. You can also ask at the front desk or call them.");
  await screenshot(anon, "signin-forgot");
  await forgot.getByLabel("Your user name").fill("nobody.by.this.name");
  await forgot.getByRole("button", { name: "Ask for a reset link" }).click();
  await answer.waitFor();
  assert.equal(await answer.textContent(), first, "the same answer whether or not the account exists");
  // A patient can ask too.
  await forgot.getByLabel("Your user name").fill("alice");
  await forgot.getByRole("button", { name: "Ask for a reset link" }).click();
  await answer.waitFor();
  assert.equal(await answer.textContent(), first);
  // The sign-in form is still there, and closing the request form leaves it alone.
  await forgot.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await forgot.isVisible(), false);
  await anon.locator("#signin-form #username").waitFor();

  // The administrator sees Fran's request, and hands her a reset link.
  const admin = await openPeople();
  const row = admin.locator("#staff-rows tr", { hasText: "fran.frontdesk" });
  assert.match(await row.textContent(), /Asked for a password reset today at \d+:\d\d [AP]M/);
  assert.ok(await row.evaluate((r) => r.classList.contains("asks-reset")), "shown prominently");
  assert.equal(await admin.locator("#staff-rows tr", { hasText: "bill.billing" }).getByText("Asked for a password reset").count(), 0);
  await screenshot(admin, "people-staff", { element: admin.locator("#staff") });
  await row.getByRole("button", { name: "Make reset link for Fran Lee" }).click();
  const link = await shownLink(admin.locator("#staff-link .link-panel"), "Reset link", "Fran Lee");
  await row.filter({ hasNotText: "Asked for a password reset" }).waitFor();

  // Alice's link went to the email address on her record: nothing for the
  // administrator to answer.
  const alice = admin.locator("#patient-rows tr", { hasText: "Alice Nguyen" });
  assert.doesNotMatch(await alice.textContent(), /Asked for a password reset/);

  const fran = await page({ mobile: true });
  await fran.goto(link);
  await fran.getByRole("heading", { name: "Choose a new password for fran.frontdesk" }).waitFor();
  assert.match(await fran.locator("#link-card").textContent(), /signed out everywhere else/);
  const password = "seven quiet herons at dawn";
  await fran.getByLabel("New password").fill(password);
  await fran.getByLabel("Type the password again").fill(password);
  await fran.getByRole("button", { name: "Set new password" }).click();
  await fran.getByRole("heading", { name: "Your password is set" }).waitFor();
  assert.equal(await signInWith(fran, "fran.frontdesk", password), "/inbox");

  // The session from before the reset has ended.
  await earlier.reload();
  await signInPage(earlier).waitFor();
  // The same link cannot be used twice.
  const twice = await page({ mobile: true });
  await twice.goto(link);
  await twice.getByText("This link has expired or was already used. Ask your practice for a new one.").waitFor();
});

test("only administrators manage people: links from setup and the inbox; colleagues who care for patients get Patients; a polite refusal for the compliance officer", async () => {
  const admin = await page();
  await signIn(admin, suite.server.url, "admin");
  await admin.goto(`${suite.server.url}/admin`);
  await ready(admin);
  await admin.locator(".topbar").getByRole("link", { name: "People" }).click();
  await admin.waitForURL(/\/people$/);
  await ready(admin);
  await admin.goto(`${suite.server.url}/admin`);
  await ready(admin);
  await admin.locator(".setup-nav").getByRole("link", { name: "People and accounts" }).waitFor();
  await admin.goto(`${suite.server.url}/inbox`);
  await ready(admin);
  await admin.locator(".topbar").getByRole("link", { name: "People" }).waitFor();

  assert.equal(await admin.locator(".topbar").getByRole("link", { name: "Patients", exact: true }).count(), 0, "administrators have People");

  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  assert.equal(await nina.locator(".topbar").getByRole("link", { name: "People" }).count(), 0);
  await nina.locator(".topbar").getByRole("link", { name: "Patients", exact: true }).waitFor();
  await nina.goto(`${suite.server.url}/admin`);
  await ready(nina);
  assert.equal(await nina.getByRole("link", { name: /^People/ }).count(), 0);

  // The compliance officer works no patient conversations: no link, and on /people a polite refusal.
  const cora = await page();
  await signIn(cora, suite.server.url, "cora.compliance");
  assert.equal(await cora.locator(".topbar").getByRole("link", { name: /^(People|Patients)$/ }).count(), 0);
  await cora.goto(`${suite.server.url}/people`);
  await ready(cora);
  await cora.getByText("Only a practice administrator can manage accounts").waitFor();
  for (const id of ["staff", "patients", "import"]) assert.equal(await cora.locator(`#${id}`).isVisible(), false, `#${id}`);
  assert.deepEqual(await seriousViolations(cora), []);
});

test("the welcome page (each kind of link, and a bad one), the people page and the forgotten-password form pass axe and fit 360 pixels", async () => {
  // Links of every kind, made through the API.
  const admin = await openPeople();
  const links = await admin.evaluate(async () => {
    const post = async (path, body) => (await fetch(path, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}), credentials: "same-origin",
    })).json();
    const staff = await (await fetch("/api/v1/staff-accounts")).json();
    const bill = staff.find((s) => s.username === "bill.billing");
    const setup = await post("/api/v1/staff-accounts", { username: "axe.check", display_name: "Avery Check", role: "nurse", departments: [], care_teams: [] });
    const reset = await post(`/api/v1/users/${bill.id}/reset-link`);
    const patient = await post("/api/v1/patient-accounts", { given_name: "Ivy", family_name: "Marsh", birth_date: "1970-01-01" });
    const invitation = await post(`/api/v1/patient-accounts/${patient.id}/invitation`, { channel: "desk" });
    return { setup: setup.setup_link.path, reset: reset.path, invitation: invitation.path };
  });
  const found = {};
  for (const [purpose, path] of [...Object.entries(links), ["invalid", "/welcome#token=not-a-real-token"], ["missing", "/welcome"]]) {
    const p = await page({ mobile: true });
    await p.goto(`${suite.server.url}${path}`);
    await ready(p);
    if (purpose === "invalid") await p.getByText("This link has expired or was already used.").waitFor();
    else if (purpose === "missing") await p.getByText("This page needs the whole link").waitFor();
    else {
      await p.locator("#welcome-form").waitFor();
      // With the refusals on screen too.
      await p.locator("#welcome-form button[type=submit]").click();
      await p.locator(".field-error:not([hidden])").first().waitFor();
    }
    found[`welcome ${purpose}`] = await seriousViolations(p);
    await fitsPhone(p, `welcome ${purpose}`);
  }

  const anon = await page({ mobile: true });
  await anon.goto(`${suite.server.url}/`);
  await anon.getByRole("button", { name: "Forgot your password?" }).click();
  await anon.getByLabel("Your user name").waitFor();
  found.signinForgot = await seriousViolations(anon);
  await fitsPhone(anon, "sign-in with the forgotten-password form");

  for (const mobile of [false, true]) {
    const p = mobile ? await openPeople("admin", { mobile }) : admin;
    if (!mobile) {
      await p.reload();
      await ready(p);
      await screenshot(p, "people-patients", { element: p.locator("#patients") });
    }
    await p.getByRole("button", { name: "Add staff member" }).click();
    await p.locator("#staff-form").getByRole("group", { name: "Pools" }).getByLabel("Refills", { exact: true }).waitFor();
    await p.getByRole("button", { name: "Add patient" }).click();
    await p.locator("#patient-rows tr", { hasText: "Ivy Marsh" }).getByRole("button", { name: /^Resend invitation/ }).click();
    await p.locator("#staff-rows tr", { hasText: "axe.check" }).getByRole("button", { name: /^Make reset link/ }).click();
    await p.locator("#staff-link .link-panel").waitFor();
    found[`people ${mobile ? "phone" : "desktop"}`] = await seriousViolations(p);
    if (mobile) await fitsPhone(p, "people");
    await p.locator("#staff-rows tr", { hasText: "axe.check" }).getByRole("button", { name: /^Deactivate/ }).click();
    await p.getByRole("dialog").waitFor();
    found[`people dialog ${mobile ? "phone" : "desktop"}`] = await seriousViolations(p);
    await p.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  }
  for (const [where, violations] of Object.entries(found)) {
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 1)}`);
  }
});
