// @ts-check
// Practice analytics (/analytics), for practice administrators and
// compliance officers: response times, volume, backlog, workload,
// reassignments, satisfaction and access, for a period. The server sends
// every figure as tables; the charts are drawn from the same tables by
// charts.js, and each table downloads as CSV.
import { $, ApiError, api, clear, el, problem, runStaffPage, showError, staffLinksFor, zoneName } from "./common.js";
import { COLORS, HEAT, barChart, columnChart, heatMap, swatch } from "./charts.js";

/** @typedef {import("./common.js").Me} Me */

/**
 * A period's analytics (`AnalyticsDto` in routes/analytics.rs): each table
 * as its columns and rows of text, by name.
 * @typedef {object} Analytics
 * @property {string} from
 * @property {string} to
 * @property {string} time_zone
 * @property {Record<string, { columns: string[], rows: string[][] }>} tables
 */

const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {Analytics | null} */
  data: null,
  loading: 0,
  // The response-time chart: by pool or by topic.
  chartBy: "pool",
  // Charts redrawn at the width of their box when the window changes.
  charts: [],
};

// ---- Formatting ----------------------------------------------------------------

const COUNT = new Intl.NumberFormat(undefined);
const ONE_DECIMAL = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
/** Axis steps: "2.5", "5". */
const TICK = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const TWO_DECIMALS = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 2 });
const LONG_DATE = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
const WEEKDAY_DATE = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const SHORT_DATE = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const HOUR = new Intl.DateTimeFormat(undefined, { hour: "numeric" });

/** A cell's number, or null when the cell is empty (no value). */
function num(cell) {
  return cell === "" || cell === undefined || cell === null ? null : Number(cell);
}

/** A calendar day from "YYYY-MM-DD", in no time zone. */
function day(text) {
  const [y, m, d] = text.split("-").map(Number);
  return new Date(y, m - 1, d);
}

/** "YYYY-MM-DD" for a browser-local date. */
function ymd(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "2.1" hours, or a dash (read as "none") when there is no value. */
function hoursCell(v) {
  return v === null ? none() : ONE_DECIMAL.format(v);
}

function none() {
  return el("span", {}, el("span", { "aria-hidden": "true" }, "—"), el("span", { class: "visually-hidden" }, "none"));
}

function plural(n, one, many = `${one}s`) {
  return `${COUNT.format(n)} ${n === 1 ? one : many}`;
}

/** "8:00 AM"-style names of the 24 hours of a day. */
const HOURS = Array.from({ length: 24 }, (_, h) => HOUR.format(new Date(2000, 0, 3, h)));

const DIMENSIONS = {
  practice: "Whole practice",
  department: "By department",
  pool: "By pool",
  topic: "By topic",
  person: "By person (who holds it now)",
};

/** The reasons for a change of assignee, as the inbox's history words them. */
const REASONS = {
  routed: "Routed by the rules",
  assigned: "Assigned by a colleague",
  auto_assigned: "Assigned automatically",
  kept: "Kept by its author",
  reassigned: "Reassigned by a colleague",
  timed_out: "Not picked up in time; offered to the next member",
  cover_started: "Moved to the cover",
  cover_ended: "Back from cover",
  escalated: "Escalated to a provider",
  returned: "Returned from escalation",
  overdue_to_lead: "Overdue: escalated to the pool lead",
};

const SCORE_WORDS = { 1: "poor", 5: "excellent" };

// ---- Building blocks -------------------------------------------------------------

function csvUrl(name) {
  const d = state.data;
  return `/api/v1/analytics/${name}/csv?from=${encodeURIComponent(d.from)}&to=${encodeURIComponent(d.to)}`;
}

/** "Download CSV" for one of the server's tables; `what` completes the link's name for screen readers. */
function csvLink(name, what) {
  return el("p", { class: "table-foot" },
    el("a", { class: "csv", href: csvUrl(name), download: true, dataset: { table: name } },
      "Download CSV", el("span", { class: "visually-hidden" }, ` of ${what}`)));
}

/**
 * A table of figures that scrolls sideways on a narrow screen. `head` is
 * the `<thead>`; each row is `{ cells, className }`, its first cell the
 * row's heading, or `{ heading }`, which starts a group of rows. Without
 * rows, `empty` says so instead. The caption is shown above the scrolling
 * box (so that it never scrolls away), unless `titled` is false because a
 * heading just above already says it.
 */
function figures({ caption, head, rows, empty, csv, what, className = "", titled = true }) {
  if (rows.length === 0) return [el("p", { class: "muted empty-note" }, empty), csvLink(csv, what)];
  const span = Math.max(...rows.map((r) => r.cells?.length ?? 0));
  const groups = [];
  for (const r of rows) {
    if (r.heading || groups.length === 0) groups.push(el("tbody", {}));
    const tbody = groups[groups.length - 1];
    tbody.append(r.heading
      ? el("tr", { class: "group-head" }, el("th", { scope: "rowgroup", colspan: span }, r.heading))
      : el("tr", { class: r.className }, r.cells.map((cell, i) => (i === 0 ? el("th", { scope: "row" }, cell) : el("td", {}, cell)))));
  }
  const table = el("table", { class: `figures ${className}` }, el("caption", { class: "visually-hidden" }, caption), head, groups);
  const scroll = el("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": caption }, table);
  return titled
    ? [el("p", { class: "table-title", "aria-hidden": "true" }, caption), scroll, csvLink(csv, what)]
    : [scroll, csvLink(csv, what)];
}

/** A one-row `<thead>` of column names. */
function simpleHead(names) {
  return el("thead", {}, el("tr", {}, names.map((n) => el("th", { scope: "col" }, n))));
}

/** Key figures as a row of boxes: [label, value, note?]. */
function stats(items, label) {
  return el("dl", { class: "stats", "aria-label": label }, items.map(([term, value, note, cls]) => el("div", { class: `stat ${cls ?? ""}` },
    el("dt", {}, term),
    el("dd", {}, el("span", { class: "stat-value" }, value), note ? el("span", { class: "stat-note" }, note) : null))));
}

function legend(items) {
  return el("ul", { class: "legend", "aria-hidden": "true" }, items.map(([color, words, shape]) => el("li", {}, swatch(color, shape), words)));
}

/**
 * A box that holds a chart drawn at its own width: `draw(width)` returns
 * the `<svg>`. Drawn once the box is on the page, and again when the
 * window changes size.
 */
function chartBox(draw, className = "") {
  const box = el("div", { class: `chart-box ${className}` });
  state.charts.push({ box, draw, width: 0 });
  return box;
}

function drawCharts(force = false) {
  state.charts = state.charts.filter((c) => c.box.isConnected);
  for (const c of state.charts) {
    const width = Math.max(260, Math.floor(c.box.clientWidth));
    if (!force && width === c.width) continue;
    c.width = width;
    clear(c.box).append(c.draw(width));
  }
}

// ---- Response times ----------------------------------------------------------------

function responseRows(table) {
  return table.rows.map((r) => ({
    dimension: r[0],
    group: r[1],
    conversations: Number(r[2]),
    answered: Number(r[3]),
    first: [num(r[4]), num(r[5]), num(r[6]), num(r[7])],
    resolved: Number(r[8]),
    resolution: [num(r[9]), num(r[10]), num(r[11]), num(r[12])],
    within: num(r[13]),
  }));
}

function responseHead() {
  const col = (text, attrs = {}) => el("th", { scope: "col", ...attrs }, text);
  return el("thead", {},
    el("tr", {},
      col("Group", { rowspan: 2 }),
      col("Conversations", { rowspan: 2 }),
      col("Answered", { rowspan: 2 }),
      el("th", { scope: "colgroup", colspan: 4 }, "First reply, hours"),
      col("Closed", { rowspan: 2 }),
      el("th", { scope: "colgroup", colspan: 4 }, "Time to close, hours"),
      col("Answered by the due time", { rowspan: 2 })),
    el("tr", {},
      col("Median (office)"), col("90th percentile (office)"), col("Median (clock)"), col("90th percentile (clock)"),
      col("Median (office)"), col("90th percentile (office)"), col("Median (clock)"), col("90th percentile (clock)")));
}

function responseChart(rows) {
  const by = state.chartBy;
  const groups = rows.filter((r) => r.dimension === by && r.conversations > 0);
  const words = by === "pool" ? "pool" : "topic";
  const title = `First reply by ${words}, in office hours: median and 90th percentile`;
  if (!groups.some((g) => g.first[0] !== null)) {
    return el("p", { class: "muted empty-note" }, `No replies by ${words} to chart in this period.`);
  }
  const fmt = (v) => `${ONE_DECIMAL.format(v)} h`;
  const desc = groups.map((g) => g.first[0] === null
    ? `${g.group}: no replies`
    : `${g.group}: median ${fmt(g.first[0])}, 90th percentile ${fmt(g.first[1])}`).join("; ");
  return chartBox((width) => barChart({
    width, title, desc: `${desc}.`,
    categories: groups.map((g) => g.group),
    series: [
      { name: "Median", color: COLORS.teal, values: groups.map((g) => g.first[0]) },
      { name: "90th percentile", color: COLORS.amber, values: groups.map((g) => g.first[1]) },
    ],
    format: fmt,
    tick: (t) => `${TICK.format(t)} h`,
  }));
}

function renderResponseTimes(table) {
  const body = clear($("response-body"));
  const rows = responseRows(table);
  const practice = rows.find((r) => r.dimension === "practice");
  if (!practice || practice.conversations === 0) {
    body.append(el("p", { class: "muted empty-note" }, "No conversations started in this period."), csvLink("response_times", "response times"));
    return;
  }
  const share = practice.conversations ? Math.round((practice.answered / practice.conversations) * 100) : 0;
  body.append(stats([
    ["Conversations started", COUNT.format(practice.conversations)],
    ["Answered", COUNT.format(practice.answered), `${share} %`],
    ["Median first reply", practice.first[0] === null ? "—" : `${ONE_DECIMAL.format(practice.first[0])} h`, "office hours"],
    ["90 % answered within", practice.first[1] === null ? "—" : `${ONE_DECIMAL.format(practice.first[1])} h`, "office hours"],
    ["Answered by the due time", practice.within === null ? "—" : `${practice.within} %`],
  ], "Response times, whole practice"));

  const chartHolder = el("div", { id: "response-chart" });
  const choice = el("fieldset", { class: "choice chart-choice" },
    el("legend", {}, "Chart first replies"),
    [["pool", "By pool"], ["topic", "By topic"]].map(([value, words]) => el("label", {},
      el("input", {
        type: "radio", name: "response-chart-by", value, checked: state.chartBy === value,
        onchange: () => {
          state.chartBy = value;
          clear(chartHolder).append(responseChart(rows));
          drawCharts();
        },
      }), ` ${words}`)));
  chartHolder.append(responseChart(rows));
  body.append(
    el("h3", {}, "First reply by pool or topic"),
    choice,
    legend([[COLORS.teal, "Median"], [COLORS.amber, "90th percentile (9 in 10 answered within)"]]),
    chartHolder);

  const tableRows = [];
  for (const dimension of Object.keys(DIMENSIONS)) {
    const group = rows.filter((r) => r.dimension === dimension);
    if (group.length === 0) continue;
    tableRows.push({ heading: DIMENSIONS[dimension] });
    for (const r of group) {
      tableRows.push({
        cells: [r.group, COUNT.format(r.conversations), COUNT.format(r.answered), ...r.first.map(hoursCell),
          COUNT.format(r.resolved), ...r.resolution.map(hoursCell), r.within === null ? none() : `${r.within} %`],
      });
    }
  }
  body.append(el("h3", {}, "All figures"),
    ...figures({
      caption: "Response times by practice, department, pool, topic and person", head: responseHead(), rows: tableRows,
      empty: "", csv: "response_times", what: "response times", className: "wide",
    }));
}

// ---- Volume ------------------------------------------------------------------------

function renderVolume(daily, heat, volume) {
  const body = clear($("volume-body"));
  const days = daily.rows.map((r) => ({ day: r[0], conversations: Number(r[1]), messages: Number(r[2]), fromPatients: Number(r[3]) }));
  const total = (key) => days.reduce((sum, d) => sum + d[key], 0);
  const messages = total("messages");
  const conversations = total("conversations");
  const dailyTable = () => figures({
    caption: "Messages and new conversations per day",
    head: simpleHead(["Day", "New conversations", "Messages", "From patients"]),
    rows: days.map((d) => ({ cells: [WEEKDAY_DATE.format(day(d.day)), COUNT.format(d.conversations), COUNT.format(d.messages), COUNT.format(d.fromPatients)] })),
    empty: "No days in this period.", csv: "daily", what: "messages per day",
  });
  if (messages === 0 && conversations === 0) {
    body.append(el("p", { class: "muted empty-note" }, "No messages in this period."), csvLink("daily", "messages per day"));
  } else {
    const busiest = days.reduce((a, b) => (b.messages > a.messages ? b : a), days[0]);
    body.append(stats([
      ["New conversations", COUNT.format(conversations)],
      ["Messages", COUNT.format(messages), "without automatic replies"],
      ["From patients", COUNT.format(total("fromPatients"))],
      ["Busiest day", WEEKDAY_DATE.format(day(busiest.day)), plural(busiest.messages, "message")],
    ], "Volume in the period"));
    const desc = `${days.length} days from ${LONG_DATE.format(day(days[0].day))} to ${LONG_DATE.format(day(days[days.length - 1].day))}: `
      + `${plural(messages, "message")} and ${plural(conversations, "new conversation")} in all; the most messages, ${busiest.messages}, `
      + `on ${WEEKDAY_DATE.format(day(busiest.day))}. Every day's figures are in the table below the chart.`;
    body.append(
      el("h3", {}, "Per day"),
      legend([[COLORS.sea, "Messages"], [COLORS.amber, "New conversations", "line"]]),
      chartBox((width) => columnChart({
        width, height: 230, title: "Messages and new conversations per day", desc,
        labels: days.map((d) => d.day),
        bars: { name: "Messages", color: COLORS.sea, values: days.map((d) => d.messages) },
        line: { name: "New conversations", color: COLORS.amber, values: days.map((d) => d.conversations) },
        label: (i) => SHORT_DATE.format(day(days[i].day)),
        long: (i) => WEEKDAY_DATE.format(day(days[i].day)),
        format: (v) => COUNT.format(v),
      }), "daily-chart"),
      el("details", { class: "figures-details" }, el("summary", {}, "The figures by day"), ...dailyTable()));
  }

  // The hours of the week.
  const grid = heat.rows.map((r) => ({ label: r[0], values: r.slice(1).map(Number) }));
  const max = Math.max(0, ...grid.flatMap((r) => r.values));
  body.append(el("h3", {}, "Patients' messages by hour of the week"),
    el("p", { class: "hint" }, `In the practice's time zone (${zoneName(state.data.time_zone)}).`));
  if (max === 0) {
    body.append(el("p", { class: "muted empty-note" }, "No messages from patients in this period."), csvLink("heat_map", "messages by hour of the week"));
  } else {
    // Four shades above none, each a quarter of the busiest hour.
    const bounds = [1, 2, 3, 4].map((k) => Math.floor((max * k) / 4));
    const step = (v) => (v <= 0 ? 0 : 1 + bounds.findIndex((b) => v <= b));
    const ranges = [[HEAT[0], "None"]];
    let low = 1;
    bounds.forEach((high, k) => {
      if (high >= low) ranges.push([HEAT[k + 1], low === high ? COUNT.format(high) : `${COUNT.format(low)}–${COUNT.format(high)}`]);
      low = Math.max(low, high + 1);
    });
    let peak = null;
    grid.forEach((r) => r.values.forEach((v, h) => {
      if (!peak || v > peak.v) peak = { day: r.label, h, v };
    }));
    const perDay = grid.map((r) => `${r.label} ${r.values.reduce((a, b) => a + b, 0)}`).join(", ");
    body.append(
      chartBox((width) => heatMap({
        width, title: "Patients' messages by weekday and hour",
        desc: `The busiest hour was ${peak.day} at ${HOURS[peak.h]}, with ${plural(peak.v, "message")}. Messages per weekday: ${perDay}. Every hour's count is in the table below.`,
        rows: grid.map((r) => ({ ...r, label: r.label.slice(0, 3), name: r.label })),
        columns: HOURS,
        step,
        cellTitle: (r, h, v) => `${r.name}, ${HOURS[h]}: ${plural(v, "message")}`,
      }), "heat"),
      el("div", { class: "heat-legend", "aria-hidden": "true" }, el("span", { class: "legend-title" }, "Messages in the hour:"), legend(ranges)),
      el("details", { class: "figures-details" }, el("summary", {}, "The figures by weekday and hour"),
        ...figures({
          caption: "Patients' messages by weekday and hour",
          head: simpleHead(["Weekday", ...HOURS]),
          rows: grid.map((r) => ({ cells: [r.label, ...r.values.map((v) => COUNT.format(v))] })),
          empty: "", csv: "heat_map", what: "messages by hour of the week", className: "heat-table",
        })));
  }

  // By topic and department.
  const by = (dimension) => volume.rows.filter((r) => r[0] === dimension)
    .map((r) => ({ cells: [r[1], COUNT.format(Number(r[2])), COUNT.format(Number(r[3]))] }));
  body.append(el("div", { class: "two-up" },
    el("div", {}, el("h3", {}, "By topic"), ...figures({
      caption: "Conversations and messages by topic", head: simpleHead(["Topic", "Conversations", "Messages"]),
      rows: by("topic"), empty: "No conversations in this period.", csv: "volume", what: "volume by topic and department", titled: false,
    })),
    el("div", {}, el("h3", {}, "By department"), ...figures({
      caption: "Conversations and messages by department", head: simpleHead(["Department", "Conversations", "Messages"]),
      rows: by("department"), empty: "No conversations in this period.", csv: "volume", what: "volume by department and topic", titled: false,
    }))));
}

// ---- Backlog -----------------------------------------------------------------------

function renderBacklog(table) {
  const body = clear($("backlog-body"));
  const value = (measure) => table.rows.find((r) => r[0] === measure)?.[1] ?? "";
  const buckets = table.rows.slice(0, 4).map((r) => ({ label: r[0].charAt(0).toUpperCase() + r[0].slice(1), n: Number(r[1]) }));
  const waiting = Number(value("waiting now"));
  const overdue = Number(value("overdue now"));
  const oldest = num(value("oldest wait (hours)"));
  const oldestWords = oldest === null ? "—"
    : oldest >= 48 ? `${ONE_DECIMAL.format(oldest / 24)} days` : `${ONE_DECIMAL.format(oldest)} h`;
  body.append(stats([
    ["Waiting on staff now", COUNT.format(waiting)],
    ["Overdue now", COUNT.format(overdue), overdue > 0 ? "past their due time" : "none past its due time", overdue > 0 ? "alarm" : ""],
    ["Oldest wait", oldestWords, oldest === null ? null : "counted around the clock"],
  ], "Backlog now"));
  if (waiting === 0) {
    body.append(el("p", { class: "muted empty-note" }, "Nothing is waiting on staff right now."));
  } else {
    body.append(el("h3", {}, "Waiting, by how long"),
      chartBox((width) => barChart({
        width, title: "Conversations waiting on staff, by how long they have waited",
        desc: `${buckets.map((b) => `${b.label}: ${b.n}`).join("; ")}. ${plural(overdue, "conversation is", "conversations are")} overdue.`,
        categories: buckets.map((b) => b.label),
        series: [{ name: "Waiting", color: COLORS.teal, values: buckets.map((b) => b.n) }],
        format: (v) => plural(v, "conversation"),
        tick: (t) => COUNT.format(t),
        whole: true,
      })));
  }
  const words = { "waiting now": "Waiting now", "overdue now": "Overdue now", "oldest wait (hours)": "Oldest wait (hours)" };
  body.append(...figures({
    caption: "Backlog now", head: simpleHead(["Measure", "Value"]),
    rows: table.rows.map((r) => ({
      cells: [words[r[0]] ?? `Waiting ${r[0]}`, r[0] === "oldest wait (hours)" ? hoursCell(num(r[1])) : COUNT.format(Number(r[1]))],
    })),
    empty: "", csv: "backlog", what: "the backlog", className: "narrow",
  }));
}

// ---- Workload, reassignments ---------------------------------------------------------

function renderWorkload(table) {
  clear($("workload-body")).append(...figures({
    caption: "Workload by person",
    head: simpleHead(["Person", "Open now", "Handled in the period", "Messages sent", "Reassigned away", "Escalations received"]),
    rows: table.rows.map((r) => ({ cells: [r[0], ...r.slice(1).map((c) => COUNT.format(Number(c)))] })),
    empty: "No one held or answered conversations in this period.", csv: "workload", what: "workload", titled: false,
  }));
}

function renderReassignments(table) {
  const rows = [...table.rows].sort((a, b) => Number(b[1]) - Number(a[1]));
  clear($("reassignments-body")).append(...figures({
    caption: "Changes of assignee by reason",
    head: simpleHead(["Reason", "Changes"]),
    rows: rows.map((r) => ({ cells: [REASONS[r[0]] ?? r[0], COUNT.format(Number(r[1]))] })),
    empty: "No changes of assignee in this period.", csv: "reassignments", what: "reassignments", className: "narrow", titled: false,
  }));
}

// ---- Satisfaction ----------------------------------------------------------------------

function renderSatisfaction(table) {
  const body = clear($("satisfaction-body"));
  const counts = [1, 2, 3, 4, 5].map((s) => Number(table.rows.find((r) => r[0] === String(s))?.[1] ?? 0));
  const ratings = Number(table.rows.find((r) => r[0] === "ratings")?.[1] ?? 0);
  const average = num(table.rows.find((r) => r[0] === "average")?.[1] ?? "");
  const scoreWords = (s) => (SCORE_WORDS[s] ? `${s} (${SCORE_WORDS[s]})` : String(s));
  if (ratings === 0) {
    body.append(el("p", { class: "muted empty-note" }, "No ratings in this period."), csvLink("satisfaction", "satisfaction"));
    return;
  }
  body.append(stats([
    ["Average", `${TWO_DECIMALS.format(average)} out of 5`],
    ["Ratings", COUNT.format(ratings)],
  ], "Satisfaction in the period"),
  el("h3", {}, "Ratings by score"),
  el("div", { class: "two-up" }, chartBox((width) => columnChart({
    width, height: 200, title: "Ratings by score, from 1 (poor) to 5 (excellent)",
    desc: `${counts.map((n, i) => `${scoreWords(i + 1)}: ${n}`).join("; ")}. Average ${TWO_DECIMALS.format(average)} from ${plural(ratings, "rating")}.`,
    labels: ["1 poor", "2", "3", "4", "5 excellent"],
    bars: { name: "Ratings", color: COLORS.teal, values: counts },
    long: (i) => `Score ${scoreWords(i + 1)}`,
    valueLabels: true,
    format: (v) => COUNT.format(v),
  })),
  el("div", {}, ...figures({
    caption: "Ratings by score", head: simpleHead(["Score", "Ratings"]),
    rows: [...counts.map((n, i) => ({ cells: [scoreWords(i + 1), COUNT.format(n)] })),
      { cells: ["Average", TWO_DECIMALS.format(average)], className: "total" },
      { cells: ["All ratings", COUNT.format(ratings)], className: "total" }],
    empty: "", csv: "satisfaction", what: "satisfaction", titled: false,
  }))));
}

// ---- Access ------------------------------------------------------------------------------

/** "See in the audit log", to the entries of a staff member (and a patient): ids only in the address. */
function auditLink(ids, who) {
  return el("a", { href: `/audit#${new URLSearchParams(ids)}` }, "See in the audit log", el("span", { class: "visually-hidden" }, ` for ${who}`));
}

function renderAccess(access, byPatient) {
  const body = clear($("access-body"));
  const unusual = access.rows.filter((r) => r[5] === "yes");
  body.append(unusual.length
    ? el("p", { class: "unusual-note", role: "note" }, el("strong", {}, `Unusual access: ${unusual.map((r) => r[0]).join(", ")}. `),
      "Check what they opened in the audit log, and whether their work explains it.")
    : el("p", {}, "No one's access looks unusual in this period."));
  body.append(...figures({
    caption: "Patients' conversations opened or listed, by staff member",
    head: simpleHead(["Staff member", "Patients opened", "Times opened", "Patients listed", "Unusual?", "Entries"]),
    rows: access.rows.map((r) => ({
      className: r[5] === "yes" ? "unusual" : "",
      cells: [r[0], COUNT.format(Number(r[2])), COUNT.format(Number(r[3])), COUNT.format(Number(r[4])),
        r[5] === "yes" ? el("span", { class: "tag unusual" }, "Unusual") : "No",
        auditLink({ actor: r[1] }, r[0])],
    })),
    empty: "No staff opened or listed patients' conversations in this period.", csv: "access", what: "access by staff member",
  }),
  el("details", { class: "figures-details", id: "access-by-patient" },
    el("summary", {}, `By patient (${plural(byPatient.rows.length, "row")})`),
    ...figures({
      caption: "Each patient's conversations opened or listed, by staff member",
      head: simpleHead(["Staff member", "Patient", "Times opened", "Times listed", "Entries"]),
      rows: byPatient.rows.map((r) => ({
        cells: [r[0], r[2], COUNT.format(Number(r[4])), COUNT.format(Number(r[5])),
          auditLink({ actor: r[1], patient: r[3] }, `${r[0]} and ${r[2]}`)],
      })),
      empty: "No patients' conversations opened or listed in this period.", csv: "access_by_patient", what: "access by patient",
      className: "by-patient",
    })));
}

// ---- The period ------------------------------------------------------------------------

function daysBetween(from, to) {
  return Math.round((day(to).getTime() - day(from).getTime()) / 86400000) + 1;
}

function markPeriod(field) {
  for (const id of ["period-from", "period-to"]) {
    const input = $(id);
    if (id === field) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "period-error");
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
}

function renderPeriod() {
  const d = state.data;
  const n = daysBetween(d.from, d.to);
  $("period-status").textContent = `Showing ${LONG_DATE.format(day(d.from))} to ${LONG_DATE.format(day(d.to))} (${plural(n, "day")}). `
    + `Days and hours are in the practice's time zone, ${zoneName(d.time_zone)}.`;
  const today = ymd(new Date());
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll(".quick button"))) {
    const days = Number(button.dataset.days);
    button.setAttribute("aria-pressed", String(d.to === today && n === days));
  }
}

function render() {
  const t = state.data.tables;
  const empty = { columns: [], rows: [] };
  state.charts = [];
  renderPeriod();
  renderResponseTimes(t.response_times ?? empty);
  renderVolume(t.daily ?? empty, t.heat_map ?? empty, t.volume ?? empty);
  renderBacklog(t.backlog ?? empty);
  renderWorkload(t.workload ?? empty);
  renderReassignments(t.reassignments ?? empty);
  renderSatisfaction(t.satisfaction ?? empty);
  renderAccess(t.access ?? empty, t.access_by_patient ?? empty);
  drawCharts(true);
}

function notAvailable() {
  $("report").hidden = true;
  $("not-available").hidden = false;
  document.title = "Analytics not available · Switchboard";
}

/** Loads the period (the server's default, the last 30 days, without one). */
async function load(from, to) {
  const mine = ++state.loading;
  const params = new URLSearchParams();
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  const query = params.toString();
  const report = $("report");
  report.setAttribute("aria-busy", "true");
  showError($("period-error"), "");
  markPeriod(null);
  /** @type {Analytics} */
  let data;
  try {
    data = await api("GET", `/api/v1/analytics${query ? `?${query}` : ""}`);
  } catch (e) {
    if (mine !== state.loading) return;
    report.removeAttribute("aria-busy");
    if (e instanceof ApiError && e.status === 404) {
      notAvailable();
    } else if (e instanceof ApiError && e.status === 422) {
      showError($("period-error"), problem(e));
      markPeriod(e.field === "to" ? "period-to" : "period-from");
    } else {
      showError($("load-error"), `The figures could not be loaded. ${e instanceof ApiError ? e.message : ""}`);
    }
    return;
  }
  if (mine !== state.loading) return;
  state.data = data;
  $("period-from").value = data.from;
  $("period-to").value = data.to;
  history.replaceState(null, "", `/analytics?from=${data.from}&to=${data.to}${location.hash}`);
  report.hidden = false;
  showError($("load-error"), "");
  render();
  report.removeAttribute("aria-busy");
}

function submitPeriod(e) {
  e.preventDefault();
  const from = $("period-from").value;
  const to = $("period-to").value;
  const problem = !from ? ["period-from", "Choose the first day."]
    : !to ? ["period-to", "Choose the last day."]
      : from > to ? ["period-from", "The first day must be on or before the last day."]
        : daysBetween(from, to) > 367 ? ["period-from", "Choose a period of at most a year."] : null;
  if (problem) {
    showError($("period-error"), problem[1]);
    markPeriod(problem[0]);
    $(problem[0]).focus();
    return;
  }
  load(from, to);
}

function quickPeriod(days) {
  const to = new Date();
  const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (days - 1));
  load(ymd(from), ymd(to));
}

// ---- Start -------------------------------------------------------------------------------

runStaffPage(async (me) => {
  state.me = me;
  api("GET", "/api/v1/practice").then((p) => ($("practice-name").textContent = p.name)).catch(() => {});
  // Those the top bar does not link here are told the page is not for them.
  if (!staffLinksFor(state.me.role).analytics) {
    notAvailable();
    return;
  }
  $("period-form").addEventListener("submit", submitPeriod);
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll(".quick button"))) {
    button.addEventListener("click", () => quickPeriod(Number(button.dataset.days)));
  }
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => drawCharts(), 150);
  });
  const params = new URLSearchParams(location.search);
  await load(params.get("from"), params.get("to"));
  if (location.hash) $(location.hash.slice(1))?.scrollIntoView();
}, (e) => (e instanceof ApiError ? e.message : ""));
