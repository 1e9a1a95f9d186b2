// The analytics page in a real browser, on a demo practice with four weeks
// of synthetic history: an administrator sees response times, volume,
// backlog, workload, reassignments, satisfaction and access as SVG charts
// (each an image with a text alternative) and tables (each with its CSV),
// changes the period, and downloads a table; a compliance officer sees the
// same; a nurse is told the page is not for them, and the API agrees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// The demo server and browser this file's tests share; `page` opens a
// fresh context whose page errors and CSP violations are checked at the end.
const suite = browserSuite({ demoArgs: ["--history-weeks", "4"] });
const page = (opts) => suite.page(opts);

/** Signs `username` in and opens the analytics page. */
async function openAnalytics(username, opts) {
  const p = await page(opts);
  await signIn(p, suite.server.url, username);
  await p.goto(`${suite.server.url}/analytics`);
  await ready(p);
  return p;
}

/** "YYYY-MM-DD", `days` from today in the practice's (and the test browser's) time zone. */
function localDate(days) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

/** Every chart is an image named by its title and described in words; every table has a CSV link. */
async function checkChartsAndTables(p) {
  const found = await p.evaluate(() => {
    const charts = [...document.querySelectorAll("#report svg.chart")].map((svg) => ({
      role: svg.getAttribute("role"),
      title: document.getElementById(svg.getAttribute("aria-labelledby"))?.textContent ?? "",
      desc: document.getElementById(svg.getAttribute("aria-describedby"))?.textContent ?? "",
      styled: svg.querySelectorAll("[style]").length,
    }));
    const tables = [...document.querySelectorAll("#report table")].map((t) => ({
      caption: t.querySelector("caption")?.textContent ?? "",
      csv: t.closest(".table-scroll")?.nextElementSibling?.querySelector("a.csv")?.getAttribute("href") ?? null,
    }));
    return { charts, tables };
  });
  assert.ok(found.charts.length >= 5, `charts: ${found.charts.length}`);
  for (const c of found.charts) {
    assert.equal(c.role, "img");
    assert.match(c.title, /\S/);
    assert.match(c.desc, /\d/, `${c.title}: a description with the figures`);
    assert.equal(c.styled, 0, "no inline styles");
  }
  assert.ok(found.tables.length >= 10, `tables: ${found.tables.length}`);
  for (const t of found.tables) {
    assert.match(t.caption, /\S/);
    assert.match(t.csv ?? "", /^\/api\/v1\/analytics\/[a-z_]+\/csv\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$/, `${t.caption}: CSV link`);
  }
}

/**
 * The nurse writes to `n` new patients of her department (added by the
 * administrator) and opens each conversation. Returns her user id.
 */
async function busyNurse(nina, n) {
  const admin = await page();
  await signIn(admin, suite.server.url, "admin");
  const ids = await admin.evaluate(async (count) => {
    const practice = await (await fetch("/api/v1/practice")).json();
    const department = practice.departments.find((d) => d.name === "Primary Care").id;
    const team = practice.care_teams.find((t) => t.name === "Dr. Patel's team").id;
    const names = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jules", "Kendall", "Logan", "Morgan", "Noel"];
    const made = [];
    for (const given of names.slice(0, count)) {
      const r = await fetch("/api/v1/patient-accounts", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ given_name: given, family_name: "Sample", birth_date: "1970-01-01", department_id: department, care_team_id: team }),
      });
      made.push((await r.json()).id);
    }
    return made;
  }, n);
  assert.equal(ids.filter(Boolean).length, n, "patients added");
  return nina.evaluate(async (patients) => {
    for (const patient_id of patients) {
      const r = await fetch("/api/v1/conversations", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ subject: "Checking in", topic: "care_question", body: "How are you feeling since your visit?", patient_id }),
      });
      await fetch(`/api/v1/conversations/${(await r.json()).id}`);
    }
    return (await (await fetch("/api/v1/me")).json()).id;
  }, ids);
}

const number = async (locator) => Number((await locator.textContent()).replace(/[^\d.]/g, ""));

test("an administrator sees response times, volume, backlog, workload, satisfaction and access, as charts and tables", async () => {
  // Staff work the inbox first, so that the access report has people in
  // it: a provider glances at his list; a nurse opens one patient's
  // conversation forty times, then writes to and opens a dozen more
  // patients, far more patients than her colleagues (what makes access unusual).
  const patel = await page();
  await signIn(patel, suite.server.url, "dr.patel");
  await patel.locator("#rows .row").first().waitFor();
  const nina = await page();
  await signIn(nina, suite.server.url, "nina.nurse");
  const first = nina.locator("#rows .row").first();
  const id = await first.getAttribute("data-id");
  await first.click();
  await nina.locator("#detail-title").waitFor();
  await nina.evaluate(async (c) => {
    for (let i = 0; i < 40; i++) await fetch(`/api/v1/conversations/${c}`);
  }, id);
  const ninaId = await busyNurse(nina, 12);
  // Reached from the inbox.
  const admin = await page();
  await signIn(admin, suite.server.url, "admin");
  await admin.goto(`${suite.server.url}/inbox`);
  await ready(admin);
  await admin.getByRole("link", { name: "Analytics" }).click();
  await admin.waitForURL(/\/analytics/);
  await ready(admin);
  await admin.getByRole("heading", { name: "Analytics", level: 1 }).waitFor();

  // The last 30 days by default.
  assert.equal(await admin.getByLabel("From", { exact: true }).inputValue(), localDate(-29));
  assert.equal(await admin.getByLabel("To", { exact: true }).inputValue(), localDate(0));
  assert.match(await admin.locator("#period-status").textContent(), /^Showing .+ to .+ \(30 days\)\. .*America\/New York/);
  assert.equal(await admin.getByRole("button", { name: "Last 30 days" }).getAttribute("aria-pressed"), "true");
  assert.match(admin.url(), new RegExp(`/analytics\\?from=${localDate(-29)}&to=${localDate(0)}$`));

  // Response times: key figures, the chart by pool (then by topic), the table.
  const rt = admin.locator("#response-times");
  assert.ok(await number(rt.locator(".stat", { hasText: "Conversations started" }).locator(".stat-value")) > 0);
  assert.match(await rt.locator(".stat", { hasText: "Median first reply" }).locator(".stat-value").textContent(), /^\d+\.\d h$/);
  const chart = rt.locator("svg.chart");
  assert.match(await chart.locator("title").first().textContent(), /^First reply by pool/);
  assert.ok(await chart.locator("rect").count() >= 4, "bars for the pools");
  assert.match(await chart.locator("desc").textContent(), /Refills: median \d+\.\d h, 90th percentile \d+\.\d h/);
  await screenshot(admin, "analytics");
  await screenshot(admin, "analytics-response-times", { element: rt });
  await rt.getByLabel("By topic").check();
  assert.match(await chart.locator("title").first().textContent(), /^First reply by topic/);
  assert.match(await chart.locator("desc").textContent(), /Prescription refill: median/);
  const table = rt.locator("table");
  for (const group of ["Whole practice", "By department", "By pool", "By topic", "By person (who holds it now)"]) {
    await table.getByRole("rowheader", { name: group, exact: true }).waitFor();
  }
  const all = table.locator("tr", { has: admin.getByRole("rowheader", { name: "All", exact: true }) });
  assert.ok(await number(all.locator("td").first()) > 0, "conversations in the practice row");
  assert.match(await all.locator("td").nth(2).textContent(), /^\d+\.\d$/, "a median in hours");

  // Volume: a bar a day with a line over it, the hours of the week, topics and departments.
  const volume = admin.locator("#volume");
  const [daily, heat] = [volume.locator("svg.chart").nth(0), volume.locator("svg.chart").nth(1)];
  assert.equal(await daily.locator("rect").count(), 30);
  assert.equal(await daily.locator("polyline").count(), 1);
  assert.match(await daily.locator("desc").textContent(), /^30 days from .+: \d+ messages and \d+ new conversations in all/);
  assert.equal(await heat.locator("rect").count(), 7 * 24);
  assert.match(await heat.locator("desc").textContent(), /The busiest hour was \w+day at \d+\s(AM|PM), with \d+ messages?\./);
  assert.match(await volume.locator(".heat-legend").textContent(), /Messages in the hour:.*None/);
  assert.ok(await number(volume.locator(".stat", { has: admin.locator("dt", { hasText: /^Messages$/ }) }).locator(".stat-value")) > 0);
  const topics = volume.getByRole("table", { name: "Conversations and messages by topic" });
  assert.ok(await topics.locator("tbody tr").count() >= 3);
  await topics.getByRole("rowheader", { name: "Prescription refill" }).waitFor();
  await volume.getByRole("table", { name: "Conversations and messages by department" }).getByRole("rowheader", { name: "Cardiology" }).waitFor();
  // The daily figures are one click away.
  await volume.getByText("The figures by day").click();
  assert.equal(await volume.getByRole("table", { name: "Messages and new conversations per day" }).locator("tbody tr").count(), 30);
  await screenshot(admin, "analytics-volume", { element: volume });

  // Backlog: bars by age, and how many are overdue (in words, not colour alone).
  const backlog = admin.locator("#backlog");
  assert.ok(await number(backlog.locator(".stat", { hasText: "Waiting on staff now" }).locator(".stat-value")) > 0);
  assert.match(await backlog.locator(".stat", { hasText: "Overdue now" }).textContent(), /Overdue now\d+(past their due time|none past its due time)/);
  assert.match(await backlog.locator("svg.chart desc").textContent(), /Under 4 hours: \d+; 4 to 24 hours: \d+; 1 to 3 days: \d+; Over 3 days: \d+\./);

  // Workload, reassignments (in words), satisfaction.
  await admin.locator("#workload").getByRole("rowheader", { name: "Nina Alvarez, RN" }).waitFor();
  await admin.locator("#reassignments").getByRole("rowheader", { name: "Routed by the rules" }).waitFor();
  const satisfaction = admin.locator("#satisfaction");
  assert.match(await satisfaction.locator(".stat", { hasText: "Average" }).textContent(), /\d\.\d+ out of 5/);
  assert.ok(await number(satisfaction.locator(".stat", { has: admin.locator("dt", { hasText: /^Ratings$/ }) }).locator(".stat-value")) > 0);
  assert.equal(await satisfaction.locator("svg.chart rect").count(), 5);
  await screenshot(admin, "analytics-satisfaction", { element: satisfaction });

  // Access: the nurse's is unusual, and says so in words, not colour alone;
  // each row links to the audit log by ids; the per-patient table starts
  // collapsed and names the patients.
  const access = admin.locator("#access");
  const byStaff = access.getByRole("table", { name: "Patients' conversations opened or listed, by staff member" });
  const ninaRow = byStaff.locator("tr", { has: admin.getByRole("rowheader", { name: "Nina Alvarez, RN" }) });
  await ninaRow.waitFor();
  assert.ok(await number(ninaRow.locator("td").nth(0)) >= 13, "patients opened");
  assert.ok(await number(ninaRow.locator("td").nth(1)) >= 52, "times opened");
  assert.ok(await number(ninaRow.locator("td").nth(2)) >= 13, "patients listed");
  assert.equal(await ninaRow.locator("td").nth(3).textContent(), "Unusual");
  assert.match(await ninaRow.getAttribute("class"), /\bunusual\b/);
  assert.equal(await ninaRow.getByRole("link", { name: "See in the audit log for Nina Alvarez, RN" }).getAttribute("href"), `/audit#actor=${ninaId}`);
  const patelRow = byStaff.locator("tr", { has: admin.getByRole("rowheader", { name: "Dr. Priya Patel" }) });
  assert.equal(await patelRow.locator("td").nth(0).textContent(), "0", "he only saw his list");
  assert.equal(await patelRow.locator("td").nth(3).textContent(), "No");
  assert.match(await access.locator(".unusual-note").textContent(), /^Unusual access: Nina Alvarez, RN\. Check what they opened/);
  const byPatient = access.locator("details#access-by-patient");
  assert.equal(await byPatient.evaluate((d) => d.open), false);
  await byPatient.locator("summary").click();
  const perPatient = byPatient.getByRole("table", { name: "Each patient's conversations opened or listed, by staff member" });
  const top = perPatient.locator("tbody tr").first();
  assert.equal(await top.locator("th").textContent(), "Nina Alvarez, RN");
  const topPatient = await top.locator("td").nth(0).textContent();
  assert.match(topPatient, /^[A-Z][a-z]+ [A-Z][a-z]+$/, "the patient by name");
  assert.ok(await number(top.locator("td").nth(1)) >= 40, "times opened");
  const trail = await top.getByRole("link", { name: `See in the audit log for Nina Alvarez, RN and ${topPatient}` }).getAttribute("href");
  assert.match(trail, new RegExp(`^/audit#actor=${ninaId}&patient=[0-9a-f-]{36}$`));
  const texts = await access.locator("td, th").allTextContents();
  assert.ok(!texts.some((t) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(t)), "no raw ids shown");
  // The screenshot at the desktop width screens are judged at.
  const wide = await openAnalytics("admin", { width: 1440 });
  await wide.locator("#access-by-patient summary").click();
  await screenshot(wide, "analytics-access", { element: wide.locator("#access") });

  await checkChartsAndTables(admin);
  assert.deepEqual(await seriousViolations(admin), [], "analytics, desktop");
  await noOverflow(admin);

  // The link opens the audit log at the nurse's entries about that patient.
  await top.getByRole("link", { name: /See in the audit log/ }).click();
  await admin.waitForURL(/\/audit#actor=/);
  await ready(admin);
  await admin.locator("#summary", { hasText: `Entries by Nina Alvarez, RN about ${topPatient}, newest first.` }).waitFor();
});

test("the period can be changed, with quick buttons or dates, and every table downloads as CSV", async () => {
  const admin = await openAnalytics("admin");
  const status = admin.locator("#period-status");

  await admin.getByRole("button", { name: "Last 7 days" }).click();
  await status.getByText("(7 days)").waitFor();
  assert.equal(await admin.getByRole("button", { name: "Last 7 days" }).getAttribute("aria-pressed"), "true");
  assert.equal(await admin.getByRole("button", { name: "Last 30 days" }).getAttribute("aria-pressed"), "false");
  assert.equal(await admin.getByLabel("From", { exact: true }).inputValue(), localDate(-6));
  assert.equal(await admin.locator("#volume svg.chart").first().locator("rect").count(), 7);

  await admin.getByRole("button", { name: "Last 90 days" }).click();
  await status.getByText("(90 days)").waitFor();
  assert.equal(await admin.locator("#volume svg.chart").first().locator("rect").count(), 90);

  // Dates of one's own: a week, two weeks ago. The address keeps it.
  await admin.getByLabel("From", { exact: true }).fill(localDate(-20));
  await admin.getByLabel("To", { exact: true }).fill(localDate(-14));
  await admin.getByRole("button", { name: "Show", exact: true }).click();
  await status.getByText("(7 days)").waitFor();
  assert.equal(await admin.getByRole("button", { name: "Last 7 days" }).getAttribute("aria-pressed"), "false");
  const csv = admin.locator("#response-times a.csv");
  assert.equal(await csv.getAttribute("href"), `/api/v1/analytics/response_times/csv?from=${localDate(-20)}&to=${localDate(-14)}`);
  await admin.reload();
  await ready(admin);
  assert.equal(await admin.getByLabel("From", { exact: true }).inputValue(), localDate(-20));
  assert.equal(await admin.getByLabel("To", { exact: true }).inputValue(), localDate(-14));

  // A period that ends before it starts is caught before asking.
  await admin.getByLabel("From", { exact: true }).fill(localDate(-1));
  await admin.getByRole("button", { name: "Show", exact: true }).click();
  await admin.locator("#period-error", { hasText: "The first day must be on or before the last day." }).waitFor();
  assert.equal(await admin.getByLabel("From", { exact: true }).getAttribute("aria-invalid"), "true");
  // So is one longer than a year.
  await admin.getByLabel("From", { exact: true }).fill(localDate(-800));
  await admin.getByLabel("To", { exact: true }).fill(localDate(0));
  await admin.getByRole("button", { name: "Show", exact: true }).click();
  await admin.locator("#period-error", { hasText: /at most a year/ }).waitFor();
  assert.equal(await admin.getByLabel("From", { exact: true }).getAttribute("aria-invalid"), "true");

  // The links download CSV that starts with the table's columns (the session cookie authenticates them).
  const hrefs = await admin.locator("a.csv").evaluateAll((links) => [...new Set(links.map((a) => a.getAttribute("href")))]);
  assert.equal(hrefs.length, 10, "one CSV per table");
  const got = await admin.evaluate(async (href) => {
    const r = await fetch(href);
    return { status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"), text: await r.text() };
  }, await csv.getAttribute("href"));
  assert.equal(got.status, 200);
  assert.match(got.type, /^text\/csv/);
  assert.match(got.disposition, /attachment; filename="switchboard-response_times-.+\.csv"/);
  assert.match(got.text, /^dimension,group,conversations,answered,first_response_median_business_hours,/);
  assert.match(got.text.split("\r\n")[1], /^practice,All,\d+,/);
  const daily = await admin.evaluate(async (href) => (await fetch(href)).text(), hrefs.find((h) => h.includes("/daily/")));
  assert.match(daily, /^day,conversations,messages,from_patients\r\n/);
  assert.equal(daily.trim().split("\r\n").length, 1 + 7);
});

test("a compliance officer sees analytics; a nurse is told they are not available, and the API agrees; it all fits a phone", async () => {
  const cora = await openAnalytics("cora.compliance");
  await cora.locator("#access table").first().waitFor();
  await checkChartsAndTables(cora);
  // The inbox is not hers: it sends her to the audit log, which links here.
  await cora.goto(`${suite.server.url}/inbox`);
  await cora.waitForURL(/\/audit/);
  await ready(cora);
  assert.equal(await cora.locator(".topbar").getByRole("link", { name: "Analytics" }).isVisible(), true, "linked from the audit log");
  await cora.goto(`${suite.server.url}/admin`);
  await ready(cora);
  assert.equal(await cora.locator(".topbar").getByRole("link", { name: "Analytics" }).isVisible(), true, "linked from the setup page");

  const nina = await openAnalytics("nina.nurse");
  await nina.getByRole("heading", { name: "Analytics are not available to you" }).waitFor();
  assert.equal(await nina.locator("#report").isVisible(), false);
  assert.equal(await nina.locator("svg.chart").count(), 0);
  const statuses = await nina.evaluate(async () => Promise.all(
    ["/api/v1/analytics", "/api/v1/analytics/response_times/csv"].map(async (u) => (await fetch(u)).status)));
  assert.deepEqual(statuses, [404, 404]);
  assert.deepEqual(await seriousViolations(nina), [], "not available");
  await nina.goto(`${suite.server.url}/inbox`);
  await ready(nina);
  assert.equal(await nina.getByRole("link", { name: "Analytics" }).isVisible(), false, "no link for a nurse");

  const phone = await openAnalytics("admin", { mobile: true });
  await phone.locator("#volume svg.chart").first().waitFor();
  await noOverflow(phone);
  await phone.locator("#access-by-patient summary").click();
  await phone.locator("#volume").getByText("The figures by weekday and hour").click();
  await noOverflow(phone);
  assert.deepEqual(await seriousViolations(phone), [], "analytics, phone");
  const width = await phone.locator("#volume svg.chart").first().evaluate((svg) => svg.getBoundingClientRect().width);
  assert.ok(width <= 360, `the daily chart is drawn for the phone (${width}px)`);
});
