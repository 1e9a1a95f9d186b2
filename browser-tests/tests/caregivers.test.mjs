// Caregivers in a real browser: Jane Doe, the mother of Sam (13) and Mia (7),
// switches between her children on her phone, writes for Mia, and the
// care team sees "sent by Jane Doe (mother) on behalf of Mia Doe"; Sam's
// private conversation never shows on his mother's side. The switcher and
// the banner at a phone's, a tablet's and a desktop's width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn, writeNewMessage } from "./helpers.mjs";

const suite = browserSuite();
const page = (opts) => suite.page(opts);
const LIVE = { timeout: 10000 };

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

const PRIVATE = "Something I want to ask privately";
const FOR_MIA = "Mia's cough";

test("a mother switches between her two children and writes for one; the care team sees who wrote for whom", async () => {
  // Sam, 13, writes privately: the app says his caregivers do not see it.
  const sam = await page({ width: 390 });
  await signIn(sam, suite.server.url, "sam");
  await sam.goto(`${suite.server.url}/app#/new`);
  await ready(sam);
  const share = sam.getByLabel("Let my caregivers (such as a parent) see this conversation");
  assert.equal(await share.isChecked(), false, "private unless he says so");
  const samsId = await writeNewMessage(sam, suite.server.url, PRIVATE, "Can I talk to the doctor without my mum?");
  await sam.locator("#sharing-note", { hasText: "your caregivers (such as a parent) do not see it unless you share it" }).waitFor(LIVE);
  await screenshot(sam, "caregivers-minor-private-390");

  // Jane on her phone: whose messages, then Mia's.
  const jane = await page({ width: 390 });
  await signIn(jane, suite.server.url, "jane");
  const switcher = jane.getByRole("navigation", { name: "Whose messages" });
  await switcher.waitFor(LIVE);
  assert.deepEqual(await switcher.getByRole("button").allTextContents(), ["Me", "Sam", "Mia"]);
  assert.equal(await switcher.getByRole("button", { name: "Me" }).getAttribute("aria-pressed"), "true");
  assert.equal(await jane.locator(".acting-banner").count(), 0, "no banner for her own messages");
  await switcher.getByRole("button", { name: "Mia" }).click();
  await jane.getByRole("heading", { name: "Messages for Mia Doe" }).waitFor(LIVE);
  const banner = jane.locator(".acting-banner");
  assert.match(await banner.textContent(), /You are writing for Mia Doe, as their mother\./);
  assert.equal(await switcher.getByRole("button", { name: "Mia" }).getAttribute("aria-pressed"), "true");

  // She writes for Mia: the form says for whom; the thread says who sent it.
  await jane.getByRole("link", { name: "New message" }).click();
  await jane.locator("form.compose .acting-banner", { hasText: "You are writing for Mia Doe" }).waitFor(LIVE);
  assert.equal(await jane.getByLabel("Who should read it?").count(), 0, "Mia's providers are not Jane's to choose");
  await jane.getByLabel("What is it about?").selectOption("care_question");
  await jane.getByLabel("Subject").fill(FOR_MIA);
  await jane.getByLabel("Your message").fill("Mia has had a dry cough for a week. No fever.");
  await jane.getByRole("button", { name: "Send message" }).click();
  await jane.getByRole("heading", { name: FOR_MIA }).waitFor(LIVE);
  const miasId = await jane.evaluate(() => location.hash.slice("#/c/".length));
  await jane.locator("#thread .on-behalf", { hasText: "sent by Jane Doe (mother) on behalf of Mia Doe" }).waitFor(LIVE);
  assert.match(await jane.locator(".acting-banner").first().textContent(), /writing for Mia Doe/);

  // Switching to Sam: his private conversation is not there.
  await jane.getByRole("link", { name: "← All messages" }).click();
  await jane.getByRole("heading", { name: "Messages for Mia Doe" }).waitFor(LIVE);
  assert.ok((await jane.locator("#main").textContent()).includes(FOR_MIA));
  await jane.getByRole("navigation", { name: "Whose messages" }).getByRole("button", { name: "Sam" }).click();
  await jane.getByRole("heading", { name: "Messages for Sam Doe" }).waitFor(LIVE);
  const samsList = await jane.locator("#main").textContent();
  assert.ok(!samsList.includes(PRIVATE) && !samsList.includes(FOR_MIA), "neither Sam's private one nor Mia's");
  assert.match(await jane.locator(".acting-banner").textContent(), /you see the ones shared with you/);
  // By its address it is not found either.
  await jane.goto(`${suite.server.url}/app#/c/${samsId}`);
  await jane.getByRole("heading", { name: "We couldn't find that conversation" }).waitFor(LIVE);
  // Back to her own: Mia's conversation is Mia's, not hers.
  await jane.goto(`${suite.server.url}/app#/`);
  await jane.getByRole("navigation", { name: "Whose messages" }).getByRole("button", { name: "Me" }).click();
  await jane.getByRole("heading", { name: "Messages", exact: true }).waitFor(LIVE);
  assert.ok(!(await jane.locator("#main").textContent()).includes(FOR_MIA));

  // The care team sees who wrote, for whom; and that Sam's is confidential.
  const patel = await page({ width: 1440 });
  await signIn(patel, suite.server.url, "dr.patel");
  await patel.goto(`${suite.server.url}/inbox#/all/c/${miasId}`);
  await ready(patel);
  await patel.getByRole("heading", { name: FOR_MIA }).waitFor(LIVE);
  await patel.locator("#timeline .on-behalf", { hasText: "sent by Jane Doe (mother) on behalf of Mia Doe" }).waitFor(LIVE);
  assert.match(await patel.locator("#timeline .who").first().textContent(), /Jane Doe/);
  await screenshot(patel, "caregivers-staff-attribution-1440");
  await patel.goto(`${suite.server.url}/inbox#/all/c/${samsId}`);
  await patel.getByRole("heading", { name: PRIVATE }).waitFor(LIVE);
  await patel.locator(".caregiver-sharing", { hasText: "Minor patient: confidential" }).waitFor(LIVE);
});

test("the switcher and the banner at a phone's, a tablet's and a desktop's width", async () => {
  for (const width of [390, 820, 1440]) {
    const jane = await page({ width });
    await signIn(jane, suite.server.url, "jane");
    const switcher = jane.getByRole("navigation", { name: "Whose messages" });
    await switcher.waitFor(LIVE);
    await noOverflow(jane);
    assert.deepEqual(await seriousViolations(jane), [], `Jane's own messages at ${width}`);
    await screenshot(jane, `caregivers-switcher-${width}`);
    await switcher.getByRole("button", { name: "Sam" }).click();
    await jane.getByRole("heading", { name: "Messages for Sam Doe" }).waitFor(LIVE);
    // The buttons are big enough to tap.
    const box = await switcher.getByRole("button", { name: "Sam" }).boundingBox();
    assert.ok(box && box.height >= 44, `the switch is ${box?.height}px tall`);
    await noOverflow(jane);
    assert.deepEqual(await seriousViolations(jane), [], `Sam's messages for Jane at ${width}`);
    await screenshot(jane, `caregivers-banner-${width}`);
    // Leave her own view chosen for the next width (a new context anyway).
  }
});

test("a patient invites a caregiver with a code, and the caregiver enters it in their own settings", async () => {
  const alice = await page({ width: 390 });
  await signIn(alice, suite.server.url, "alice");
  await alice.goto(`${suite.server.url}/app#/settings`);
  const section = alice.locator("#caregivers");
  await section.getByRole("heading", { name: "Caregivers" }).waitFor(LIVE);
  assert.match(await section.textContent(), /Nobody can see or send your messages but you\./);
  await section.getByLabel("Who are you inviting?").selectOption("spouse");
  await section.getByRole("button", { name: "Make an invitation code" }).click();
  const code = (await section.locator(".invitation-code").textContent()).trim();
  assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  await noOverflow(alice);
  assert.deepEqual(await seriousViolations(alice), [], "the caregivers settings");
  await screenshot(alice, "caregivers-settings-invite-390", { element: section });

  const carol = await page({ width: 390 });
  await signIn(carol, suite.server.url, "carol");
  await carol.goto(`${suite.server.url}/app#/settings`);
  const hers = carol.locator("#caregivers");
  await hers.getByLabel(/Someone gave you a code/).fill(code.toUpperCase());
  await hers.getByRole("button", { name: "Accept" }).click();
  await hers.getByText("You can now read and send messages for Alice Nguyen.", { exact: false }).waitFor(LIVE);
  // Alice sees her caregiver, and can remove her.
  await alice.reload();
  await alice.locator("#caregivers", { hasText: "Carol Smith" }).waitFor(LIVE);
  assert.match(await alice.locator("#caregivers").textContent(), /Carol Smith \(spouse\)/);
});

test("staff see a minor's caregivers on the patient's page, give one access and revoke it", async () => {
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/people`);
  await ready(nina);
  await nina.locator("#patient-rows tr", { hasText: "Mia Doe" }).getByRole("link", { name: "Mia Doe", exact: true }).click();
  const card = nina.locator("#patient-caregivers");
  await card.getByRole("heading", { name: "Caregivers" }).waitFor(LIVE);
  assert.match(await card.textContent(), /Jane Doe \(mother\) · given by the practice · until September 14, 2036/, "Mia's 18th birthday");
  assert.match(await card.textContent(), /Minor: caregivers see all of this patient's conversations\./);
  await card.getByLabel("Caregiver", { exact: true }).selectOption({ label: "Carol Smith" });
  await card.getByLabel("Relationship").selectOption("guardian");
  await card.getByRole("button", { name: "Give access" }).click();
  await nina.locator("#patient-caregivers .caregiver-list", { hasText: "Carol Smith (guardian)" }).waitFor(LIVE);
  assert.deepEqual(await seriousViolations(nina), [], "the patient page with caregivers");
  await screenshot(nina, "caregivers-staff-patient-page-1440", { element: nina.locator("#patient-caregivers") });
  await nina.locator("#patient-caregivers").getByRole("button", { name: "Revoke Carol Smith" }).click();
  await nina.waitForFunction(() => {
    const list = document.querySelector("#patient-caregivers .caregiver-list");
    return list && !list.textContent.includes("Carol Smith") && list.textContent.includes("Jane Doe");
  }, null, LIVE);
});

test("a father who is not a patient here gets a code from the practice, makes his account, and writes for his daughter", async () => {
  // The nurse makes a code on Mia's page, to hand over at the desk.
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/people`);
  await ready(nina);
  await nina.locator("#patient-rows tr", { hasText: "Mia Doe" }).getByRole("link", { name: "Mia Doe", exact: true }).click();
  const card = nina.locator("#patient-caregivers");
  await card.getByLabel("Who is the code for?").selectOption("father");
  await card.getByRole("button", { name: "Make a caregiver code" }).click();
  const code = (await card.locator(".invitation-code").textContent()).trim();
  assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  assert.deepEqual(await seriousViolations(nina), [], "the patient page with a caregiver code");
  await screenshot(nina, "caregivers-practice-code-1440", { element: card });

  // He starts from the sign-in page on his phone.
  const dad = await page({ width: 390 });
  await dad.goto(`${suite.server.url}/`);
  await dad.getByRole("link", { name: /Caring for a patient\? Set up an account with your caregiver code/ }).click();
  await dad.getByRole("heading", { name: "Set up your caregiver account" }).waitFor(LIVE);
  await noOverflow(dad);
  assert.deepEqual(await seriousViolations(dad), [], "the caregiver account form");
  // A mistyped code is said plainly, and nothing he typed is lost.
  await dad.getByLabel("Your caregiver code").fill("abcd-efgh-jkmn");
  await dad.getByLabel("Your first name").fill("Tom");
  await dad.getByLabel("Your last name").fill("Doe");
  await dad.getByLabel("Choose a user name").fill("tom.doe");
  await dad.getByLabel("Choose a password", { exact: true }).fill("pebble orchard lantern quietly");
  await dad.getByLabel("Type the password again").fill("pebble orchard lantern quietly");
  await dad.getByRole("button", { name: "Make my account" }).click();
  await dad.locator("#caregiver-code-error", { hasText: "This code cannot be used" }).waitFor(LIVE);
  assert.equal(await dad.getByLabel("Your first name").inputValue(), "Tom");
  await screenshot(dad, "caregivers-account-form-390");
  await dad.getByLabel("Your caregiver code").fill(code.toUpperCase());
  await dad.getByRole("button", { name: "Make my account" }).click();
  await dad.getByRole("heading", { name: "Your account is ready" }).waitFor(LIVE);
  assert.match(await dad.locator("#main").textContent(), /In an emergency, call 911\. For thoughts of suicide, call or text 988\./);

  // Signed in, he sees Mia's messages (no "Me": he is not a patient here).
  await dad.getByRole("link", { name: "Sign in" }).click();
  await dad.getByLabel("User name").fill("tom.doe");
  await dad.getByLabel("Password").fill("pebble orchard lantern quietly");
  await dad.getByRole("button", { name: "Sign in", exact: true }).click();
  await dad.waitForURL(/\/app/);
  // The practice's terms first, as for any patient.
  await dad.getByRole("button", { name: "I accept these terms" }).click();
  await dad.getByRole("heading", { name: "Messages for Mia Doe" }).waitFor(LIVE);
  assert.equal(await dad.getByRole("navigation", { name: "Whose messages" }).count(), 0, "one person: no switcher");
  assert.match(await dad.locator(".acting-banner").textContent(), /You are writing for Mia Doe, as their father\./);
  // His message, attributed.
  await dad.getByRole("link", { name: "New message" }).click();
  await dad.locator("form.compose .acting-banner", { hasText: "You are writing for Mia Doe" }).waitFor(LIVE);
  await dad.getByLabel("What is it about?").selectOption("care_question");
  await dad.getByLabel("Subject").fill("Mia's rash");
  await dad.getByLabel("Your message").fill("Mia has a small rash on her arm since yesterday.");
  await dad.getByRole("button", { name: "Send message" }).click();
  await dad.getByRole("heading", { name: "Mia's rash" }).waitFor(LIVE);
  await dad.locator("#thread .on-behalf", { hasText: "sent by Tom Doe (father) on behalf of Mia Doe" }).waitFor(LIVE);
  // His settings have no contact details of a record he does not have.
  await dad.goto(`${suite.server.url}/app#/settings`);
  await dad.locator("#caregivers", { hasText: "You help with the messages of the people who gave you a code." }).waitFor(LIVE);
  assert.equal(await dad.locator("#contact-form").count(), 0);
  for (const width of [390, 820, 1440]) {
    await dad.setViewportSize({ width, height: 900 });
    await dad.goto(`${suite.server.url}/app#/`);
    await dad.getByRole("heading", { name: "Messages for Mia Doe" }).waitFor(LIVE);
    await noOverflow(dad);
    assert.deepEqual(await seriousViolations(dad), [], `his messages at ${width}`);
    await screenshot(dad, `caregivers-not-a-patient-${width}`);
  }
});
