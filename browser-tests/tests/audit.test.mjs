// The audit log page (/audit) in a real browser: a compliance officer lands
// on it, finds a patient and a staff member by name, searches by action and
// by day, narrows by clicking names in the results, pages back through older
// entries and downloads the same search as CSV; links from other pages open
// it filtered; a nurse is told it is not for her, and the API agrees; it
// fits a phone and a tablet, and names every action in words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PASSWORD, browserSuite, ready, repo, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite();
const page = (opts) => suite.page(opts);

/** Signs the compliance officer in; she lands on the audit log, not an inbox. */
async function openAsCora(opts) {
  const p = await page(opts);
  await p.goto(`${suite.server.url}/`);
  await p.getByLabel("User name").fill("cora.compliance");
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/audit$/);
  await ready(p);
  return p;
}

/** Waits for the search shown to be the one summed up by `summary`, loaded. */
async function shown(p, summary) {
  await p.locator("#summary", { hasText: summary }).waitFor();
  await p.locator("#results:not([aria-busy])").waitFor();
}

const cells = (p, column) => p.locator(`.audit-table td.col-${column}`).allTextContents();
const COLUMN = { when: 0, who: 1, action: 2, outcome: 3, patient: 4, detail: 5, address: 6 };

/** The search in the address's fragment, as an object. */
const hashOf = (p) => Object.fromEntries(new URLSearchParams(new URL(p.url()).hash.slice(1)));

/** "YYYY-MM-DD", `days` from today in the practice's time zone. */
function practiceDate(days) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Nothing is wider than the screen (on a phone, the layout would widen `innerWidth` with it). */
async function noOverflow(p) {
  const screen = p.viewportSize().width;
  const { scroll, inner } = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= screen && inner <= screen, `page is ${Math.max(scroll, inner) - screen}px wider than the screen`);
}

/**
 * Work for the log to show: the nurse signs in and opens a conversation of
 * Alice's many times, fails to sign in once, and tries the audit log
 * (refused). Returns her user id.
 */
let seeded = null;
async function seed() {
  if (seeded) return seeded;
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  const me = await nina.evaluate(async () => (await fetch("/api/v1/me")).json());
  const alices = await nina.evaluate(async () => {
    const list = await (await fetch("/api/v1/conversations?view=all&limit=100")).json();
    return list.conversations.filter((c) => c.patient.display_name === "Alice Nguyen").map((c) => c.id);
  });
  assert.ok(alices.length > 0, "Alice has a conversation the nurse can open");
  // Enough openings for three pages of entries.
  await nina.evaluate(async (id) => {
    for (let i = 0; i < 110; i++) await fetch(`/api/v1/conversations/${id}`);
  }, alices[0]);
  const refused = await nina.evaluate(async () => Promise.all([
    ...["/api/v1/audit-events", "/api/v1/audit-events/csv"].map(async (u) => (await fetch(u)).status),
    fetch("/api/v1/audit-events/subjects", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ q: "alice" }),
    }).then((r) => r.status),
  ]));
  assert.deepEqual(refused, [404, 404, 404], "the API refuses a nurse");
  const failed = await nina.evaluate(async () => (await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "nina.nurse", password: "not her password" }),
  })).status);
  assert.equal(failed, 401);
  seeded = { ninaId: me.id };
  return seeded;
}

test("a compliance officer lands on the audit log and searches it by patient, action, staff member and day", async () => {
  const { ninaId } = await seed();
  const p = await openAsCora({ width: 1440 });
  await p.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
  const topbar = p.locator(".topbar");
  assert.equal(await topbar.getByRole("link", { name: "Inbox" }).isVisible(), false, "no inbox: she works no conversations");
  assert.equal(await topbar.getByRole("link", { name: "Analytics" }).isVisible(), true);
  assert.equal(await topbar.getByRole("link", { name: "Setup" }).isVisible(), true);
  assert.equal(await p.locator("#whoami").textContent(), "Cora Jensen");

  // Everything, newest first, with names and actions in words; refusals and failures say so.
  await shown(p, "All entries, newest first.");
  const table = p.getByRole("table", { name: /^All entries, newest first\. Entries 1–50\.$/ });
  assert.equal(await table.locator("tbody tr").count(), 50);
  const failedRow = table.locator("tr", { hasText: "Failed to sign in" }).first();
  assert.match(await failedRow.locator("td.col-1").textContent(), /Nina Alvarez, RN.*Nurse/);
  assert.equal(await failedRow.locator("td.col-3").textContent(), "Failed");
  assert.equal(await failedRow.locator("td.col-5").textContent(), "wrong password");
  assert.match(await failedRow.getAttribute("class"), /\bproblem\b/);
  const deniedRow = table.locator("tr", { hasText: "Searched the audit log" }).filter({ hasText: "Nina Alvarez, RN" }).first();
  assert.equal(await deniedRow.locator("td.col-3").textContent(), "Denied");

  // A patient, found by name (her date of birth tells namesakes apart).
  await p.getByLabel("Find a staff member or patient").fill("alice");
  await p.getByRole("button", { name: "Find", exact: true }).click();
  const alice = p.locator("#find-results").getByRole("button", { name: /Alice Nguyen.*born March 12, 1984/ });
  await alice.click();
  await p.locator("#chosen", { hasText: "About patient: Alice Nguyen" }).waitFor();
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "Entries about Alice Nguyen, newest first.");
  const aliceId = hashOf(p).patient;
  assert.match(aliceId, /^[0-9a-f-]{36}$/, "the patient's id, not her name, in the address");
  assert.ok(!decodeURIComponent(p.url()).includes("Alice"), "no name in the address");
  assert.ok((await cells(p, COLUMN.patient)).every((t) => t === "Alice Nguyen"));

  // Then an action, chosen in words.
  await p.getByLabel("Action").selectOption({ label: "Opened a conversation" });
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "Entries about Alice Nguyen: “Opened a conversation”, newest first.");
  assert.deepEqual(hashOf(p), { patient: aliceId, action: "conversation_viewed" });
  assert.ok((await cells(p, COLUMN.action)).every((t) => t === "Opened a conversation"));

  // Clicking a name in the results narrows to that person.
  await p.locator(".audit-table").getByRole("button", { name: "Show only entries by Nina Alvarez, RN" }).first().click();
  await shown(p, "Entries by Nina Alvarez, RN about Alice Nguyen: “Opened a conversation”, newest first.");
  assert.deepEqual(hashOf(p), { actor: ninaId, patient: aliceId, action: "conversation_viewed" });
  assert.ok((await cells(p, COLUMN.who)).every((t) => t === "Nina Alvarez, RNNurse"));
  await p.locator("#chosen", { hasText: "Done by: Nina Alvarez, RN" }).waitFor();

  // The CSV is the same search: its link carries the filters, and the file names names.
  const href = await p.getByRole("link", { name: /Download CSV/ }).getAttribute("href");
  const query = Object.fromEntries(new URL(href, suite.server.url).searchParams);
  assert.deepEqual(query, { patient_id: aliceId, actor_id: ninaId, action: "conversation_viewed" });
  const csv = await p.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
  }, href);
  assert.equal(csv.status, 200);
  assert.match(csv.type, /^text\/csv/);
  const lines = csv.text.trim().split("\r\n");
  assert.equal(lines[0], "seq,at,action,outcome,actor_kind,actor_id,actor,actor_role,patient_id,patient,resource_type,resource_id,client_addr,detail");
  assert.ok(lines.length > 100, `rows: ${lines.length}`);
  assert.match(lines[1], /,conversation_viewed,success,staff,/);
  assert.ok(lines[1].includes(`,${ninaId},"Nina Alvarez, RN",nurse,${aliceId},Alice Nguyen,`), lines[1]);

  // Days, in the practice's time zone: nothing yet tomorrow, all of it today.
  await p.getByLabel("From").fill(practiceDate(1));
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await p.locator(".empty-results", { hasText: "No entries match these filters." }).waitFor();
  assert.equal(await p.locator(".audit-table").count(), 0);
  await p.getByLabel("From").fill(practiceDate(0));
  await p.getByLabel("To (included)").fill(practiceDate(0));
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await p.locator(".audit-table").waitFor();
  assert.equal(hashOf(p).from, practiceDate(0));
  const dated = Object.fromEntries(new URL(await p.locator("#csv").getAttribute("href"), suite.server.url).searchParams);
  assert.match(dated.from, /^\d{4}-\d{2}-\d{2}T0[45]:00:00\.000Z$/, "the practice's midnight (New York) in UTC");
  assert.equal(Date.parse(dated.to) - Date.parse(dated.from) >= 23 * 3600e3, true, "the last day is included");
  // A period that ends before it starts is caught before asking.
  await p.getByLabel("From").fill(practiceDate(1));
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await p.locator("#filter-error", { hasText: "The first day must be on or before the last day." }).waitFor();
  assert.equal(await p.getByLabel("From").getAttribute("aria-invalid"), "true");

  // Back returns to the search before (the one from tomorrow); clearing shows everything again.
  await p.goBack();
  await p.locator("#summary", { hasText: / on, newest first\.$/ }).waitFor();
  await p.locator(".empty-results").waitFor();
  assert.equal(await p.getByLabel("From").inputValue(), practiceDate(1));
  assert.equal(await p.getByLabel("To (included)").inputValue(), "");
  await p.getByRole("button", { name: "Clear filters" }).click();
  await shown(p, "All entries, newest first.");
  assert.equal(new URL(p.url()).hash, "");

  // The nurse's trail, as the analytics page links to it: for the screenshot.
  await p.goto(`${suite.server.url}/audit#actor=${ninaId}`);
  await shown(p, "Entries by Nina Alvarez, RN, newest first.");
  await screenshot(p, "audit-search");
  assert.deepEqual(await seriousViolations(p), [], "audit log, desktop");
  await noOverflow(p);
});

test("paging goes to older entries, back to newer ones and to the newest", async () => {
  await seed();
  const p = await openAsCora();
  await shown(p, "All entries, newest first.");
  const seqs = () => p.locator(".audit-table tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  const first = await seqs();
  assert.equal(await p.getByRole("button", { name: "Newer entries" }).isVisible(), false);

  await p.getByRole("button", { name: "Older entries" }).click();
  await p.locator("#status", { hasText: /^Showing entries 51 to 100/ }).waitFor();
  const second = await seqs();
  assert.ok(Math.max(...second) < Math.min(...first), "older entries, none repeated");
  assert.equal(await p.evaluate(() => document.activeElement?.id), "results-title", "the cursor goes to the new page");

  await p.getByRole("button", { name: "Older entries" }).click();
  await p.locator("#status", { hasText: /^Showing entries 101 to/ }).waitFor();
  await p.getByRole("button", { name: "Newer entries" }).click();
  await p.locator("#status", { hasText: /^Showing entries 51 to 100/ }).waitFor();
  assert.deepEqual(await seqs(), second);
  await p.getByRole("button", { name: "Older entries" }).click();
  await p.locator("#status", { hasText: /^Showing entries 101 to/ }).waitFor();
  await p.getByRole("button", { name: "Back to newest" }).click();
  await p.locator("#status", { hasText: /^Showing entries 1 to 50/ }).waitFor();
  // The newest page now starts with the searches just made.
  assert.ok((await seqs())[0] > first[0]);
});

test("links name a person's or a patient's trail by id and open it filtered, with names", async () => {
  const { ninaId } = await seed();
  const p = await openAsCora({ width: 820 });
  await p.goto(`${suite.server.url}/audit#actor=${ninaId}`);
  await shown(p, "Entries by Nina Alvarez, RN, newest first.");
  await p.locator("#chosen", { hasText: "Done by: Nina Alvarez, RN" }).waitFor();
  assert.ok((await cells(p, COLUMN.who)).every((t) => t.startsWith("Nina Alvarez, RN")));

  const aliceId = await p.evaluate(async () => (await (await fetch("/api/v1/audit-events/subjects", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ q: "alice" }),
  })).json()).patients[0].id);
  await p.goto(`${suite.server.url}/audit#patient=${aliceId}&actor=${ninaId}`);
  await shown(p, "Entries by Nina Alvarez, RN about Alice Nguyen, newest first.");
  assert.ok((await cells(p, COLUMN.patient)).every((t) => t === "Alice Nguyen"));
  await p.getByRole("button", { name: "Remove about patient Alice Nguyen" }).click();
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "Entries by Nina Alvarez, RN, newest first.");
  assert.deepEqual(hashOf(p), { actor: ninaId });
  await screenshot(p, "audit-search-tablet");
  assert.deepEqual(await seriousViolations(p), [], "audit log, tablet");
  await noOverflow(p);

  // What the system did by itself says so.
  await p.goto(`${suite.server.url}/audit#action=care_team_created`);
  await shown(p, "All entries: “Added a care team”, newest first.");
  assert.equal(await p.getByLabel("Action").inputValue(), "care_team_created");
  assert.ok((await cells(p, COLUMN.who)).every((t) => t === "Switchboard itself"));

  // An action the log does not know is refused in words, next to the list of actions.
  await p.goto(`${suite.server.url}/audit#action=no_such_thing`);
  await p.locator("#filter-error", { hasText: "Not an audit action." }).waitFor();
  assert.equal(await p.getByLabel("Action").getAttribute("aria-invalid"), "true");
});

test("on a phone in another time zone, entries are cards and days are still the practice's", async () => {
  const { ninaId } = await seed();
  const p = await openAsCora({ width: 390, timezoneId: "America/Los_Angeles" });
  assert.match(await p.locator("#dates-hint").textContent(), /America\/New York \(not this browser's\)/);
  await p.getByLabel("Find a staff member or patient").fill("nina");
  await p.getByLabel("Find a staff member or patient").press("Enter");
  await p.locator("#find-results").getByRole("button", { name: /Nina Alvarez, RN/ }).click();
  await p.getByLabel("From").fill(practiceDate(0));
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await p.locator("#summary", { hasText: /^Entries by Nina Alvarez, RN, from .+ on, newest first\.$/ }).waitFor();
  assert.equal(hashOf(p).actor, ninaId);
  const from = new URL(await p.locator("#csv").getAttribute("href"), suite.server.url).searchParams.get("from");
  assert.match(from, /T0[45]:00:00\.000Z$/, "midnight in New York, not Los Angeles");
  assert.match((await cells(p, COLUMN.when))[0], /[AP]M E[SD]T$/, "times say the practice's zone");
  await p.getByLabel("From").fill("");
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "Entries by Nina Alvarez, RN, newest first.");
  const card = await p.locator(".audit-table tbody tr").first().boundingBox();
  assert.ok(card.width <= 390, "each entry fits the screen");
  await noOverflow(p);
  assert.deepEqual(await seriousViolations(p), [], "audit log, phone");

  // Who signed in today: a short page, for the screenshot.
  await p.getByRole("button", { name: "Remove done by Nina Alvarez, RN" }).click();
  await p.getByLabel("Action").selectOption({ label: "Signed in" });
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "All entries: “Signed in”, newest first.");
  await noOverflow(p);
  await screenshot(p, "audit-search-phone");
});

test("only what was refused or failed, by its outcome", async () => {
  await seed();
  const p = await openAsCora();
  await shown(p, "All entries, newest first.");
  await p.getByLabel("Outcome").selectOption("failed");
  await p.getByRole("button", { name: "Search", exact: true }).click();
  await shown(p, "All entries, failed only, newest first.");
  await p.locator(".audit-table tr.problem").first().waitFor();
  assert.equal(await p.locator(".audit-table tbody tr:not(.problem)").count(), 0, "only failures");
  assert.match(await p.evaluate(() => location.hash), /outcome=failed/);
});

test("a nurse is told the audit log is not for her", async () => {
  const p = await page({ width: 390 });
  await signIn(p, suite.server.url, "nina.nurse");
  await p.goto(`${suite.server.url}/audit`);
  await ready(p);
  await p.getByRole("heading", { name: "The audit log is not available to you" }).waitFor();
  assert.equal(await p.locator("#audit").isVisible(), false);
  assert.equal(await p.locator(".topbar").getByRole("link", { name: "Inbox" }).isVisible(), true);
  assert.deepEqual(await seriousViolations(p), [], "not available");
});

test("every action the server records has words, in groups", async () => {
  const source = readFileSync(join(repo, "crates", "domain", "src", "audit.rs"), "utf8");
  const asStr = source.slice(source.indexOf("impl AuditAction"), source.indexOf("pub fn parse"));
  const codes = [...asStr.matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 59, `codes: ${codes.length}`);
  const p = await openAsCora({ width: 1440 });
  const options = await p.locator("#action optgroup option").evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options.map(([v]) => v).sort(), [...codes].sort(), "one option per action, no more");
  for (const [value, words] of options) assert.ok(!words.includes("_") && words !== value, `${value} in words`);
  assert.ok(await p.locator("#action optgroup").count() >= 4);
});
