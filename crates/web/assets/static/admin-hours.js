// @ts-check
// Practice setup, response times: office hours (the practice's and each
// department's), closures, the targets that say when a reply is due, and
// the automatic replies patients get. Changed by practice administrators,
// read by all staff. The rest of the setup page (admin.js) starts it with
// `showResponseTimes`, and takes the page's error words (`message`) from
// here; the on-call section (admin-oncall.js) takes its field errors too
// (`fieldError`, `setFieldError`, `showServerError`, `clearErrors`).
import {
  $, ApiError, DAYS, TOPICS, announce, api, civilDate, clear, counter, el, hoursLines, options, problem,
  showError, topicLabel, zoneName,
} from "./common.js";

/** @typedef {import("./common.js").OfficeHours} OfficeHours */
/** @typedef {import("./common.js").Practice} Practice */

/**
 * A response-time target (`TargetDto`): the most specific one wins.
 * @typedef {object} Target
 * @property {"routine" | "urgent" | null} [priority]
 * @property {string | null} [topic]
 * @property {number} first_response_minutes
 * @property {number} next_response_minutes
 * @property {"business" | "wall"} clock
 */

/**
 * A day or days the office is closed (`ClosureDto`): the whole practice, or one department.
 * @typedef {{ id: string, department_id: string | null, first_day: string, last_day: string, name: string }} Closure
 */

/**
 * The practice's response-time settings (`GET /api/v1/response-settings`, `ResponseSettingsDto`).
 * @typedef {object} ResponseSettings
 * @property {string} time_zone
 * @property {Target[]} targets
 * @property {number} due_soon_percent
 * @property {string | null} auto_reply_open
 * @property {string | null} auto_reply_closed
 * @property {string} default_auto_reply_open
 * @property {string} default_auto_reply_closed
 * @property {Closure[]} closures
 * @property {{ department_id: string, office_hours: OfficeHours[] }[]} department_hours
 * @property {number} unread_reminder_minutes
 * @property {number} unread_flag_minutes
 */

/**
 * This section's state: whether the user may change it (`admin`), the
 * practice as last loaded, the settings as last loaded (`response`), and
 * the targets being edited.
 */
const state = {
  admin: false,
  /** @type {Practice | null} */
  practice: null,
  /** @type {ResponseSettings | null} */
  response: null,
  /** @type {Target[]} */
  targets: [],
};


/** An error for people on the setup page. */
export const message = problem;

function departmentName(id) {
  return state.practice.departments.find((d) => d.id === id)?.name ?? "a department";
}

// A target without a priority is for routine messages: urgent ones answer
// only to targets that say "urgent" (an emergency must not wait on a topic's
// office-hours target).
const PRIORITIES = [["", "Not urgent (any)"], ["routine", "Routine"], ["urgent", "Urgent"]];
const CLOCKS = [["business", "In office hours"], ["wall", "Around the clock"]];
const REPLY_PLACEHOLDERS = [
  ["reply_by", "when the care team will answer, such as “Monday at 12:00 PM”"],
  ["opens", "when the office next opens, such as “tomorrow at 8:00 AM”"],
  ["practice_name", "the practice's name"],
  ["practice_phone", "the practice's phone number"],
];
/** Fields of the settings that this page shows but never sends back. */
const READ_ONLY_SETTINGS = ["time_zone", "closures", "department_hours", "default_auto_reply_open", "default_auto_reply_closed"];
const MAX_TARGET_MINUTES = 30 * 24 * 60;
/** Urgent targets count around the clock by default; counting them in office hours should be a choice made knowingly. */
const URGENT_IN_OFFICE_HOURS = "Counted in office hours, an urgent message sent on Friday evening would not be due until Monday.";
const urgentInOfficeHours = (t) => t.priority === "urgent" && t.clock === "business";
const AUTO_REPLY_MAX = 1000;

const hiddenText = (text) => el("span", { class: "visually-hidden" }, text);

/** "4 hours", "1 hour 30 minutes", "2 days". */
function duration(minutes) {
  const n = Number(minutes);
  if (!Number.isInteger(n) || n <= 0) return "";
  const plural = (k, word) => `${k} ${word}${k === 1 ? "" : "s"}`;
  const days = Math.floor(n / 1440);
  const hours = Math.floor((n % 1440) / 60);
  const mins = n % 60;
  return [days && plural(days, "day"), hours && plural(hours, "hour"), mins && plural(mins, "minute")].filter(Boolean).join(" ");
}

/** A paragraph for the error of one field; the field points to it while it shows. */
export function fieldError(inputId) {
  return el("p", { id: `${inputId}-error`, class: "error field-error", role: "alert", hidden: true });
}

export function setFieldError(inputId, text) {
  const node = $(`${inputId}-error`);
  if (node) showError(node, text);
  const input = $(inputId);
  if (!input) return;
  const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((x) => x && x !== `${inputId}-error`);
  if (text) {
    input.setAttribute("aria-invalid", "true");
    described.push(`${inputId}-error`);
  } else {
    input.removeAttribute("aria-invalid");
  }
  if (described.length) input.setAttribute("aria-describedby", described.join(" "));
  else input.removeAttribute("aria-describedby");
}

/**
 * Shows a refusal next to the field the server named (`fields` maps the
 * server's field names to input ids), else in `fallback`. Returns the input
 * it marked, if any.
 */
export function showServerError(err, fields, fallback) {
  const inputId = err instanceof ApiError && err.field ? fields[err.field] : null;
  if (inputId && $(inputId)) {
    setFieldError(inputId, problem(err));
    $(inputId).focus();
    return $(inputId);
  }
  showError(fallback, message(err));
  fallback.scrollIntoView({ block: "nearest" });
  return null;
}

export function clearErrors(container) {
  for (const node of container.querySelectorAll(".field-error")) showError(node, "");
  for (const input of container.querySelectorAll("[aria-invalid]")) setFieldError(input.id, "");
  for (const row of container.querySelectorAll(".invalid")) row.classList.remove("invalid");
}

function status(id, text) {
  const node = $(id);
  if (node) node.textContent = text;
  if (text) announce(text);
}

/** "November 26, 2026", or "November 26 – 27, 2026" style ranges, from YYYY-MM-DD. */
function dayRange(first, last) {
  return first === last ? civilDate(first) : `${civilDate(first)} to ${civilDate(last)}`;
}

// -- Weekly hours ------------------------------------------------------------------

/** "HH:MM" as minutes after midnight ("24:00" is 1440); NaN if not a time. */
function minutesOf(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm ?? "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

/**
 * An editor of weekly hours: a line per day with any number of opening
 * periods. `hours` ([{weekday, opens, closes}]) is changed in place. A time
 * field cannot hold 24:00, so a closing time of 00:00 means midnight.
 */
function hoursEditor(prefix, hours, label) {
  const root = el("div", { id: prefix, class: "week", role: "group", "aria-label": label });
  const render = (focusId) => {
    clear(root).append(...[1, 2, 3, 4, 5, 6, 7].map((day) => {
      const periods = hours.filter((h) => h.weekday === day);
      const dayId = `${prefix}-day-${day}`;
      const add = () => {
        const earlier = [...hours].filter((h) => h.weekday < day).sort((a, b) => b.weekday - a.weekday)[0];
        const last = periods[periods.length - 1];
        hours.push(last ? { weekday: day, opens: last.closes === "24:00" ? "" : last.closes, closes: "" }
          : { weekday: day, opens: earlier?.opens ?? "09:00", closes: earlier?.closes ?? "17:00" });
        render(`${prefix}-${day}-${periods.length}-opens`);
      };
      return el("div", { class: "day", role: "group", "aria-labelledby": dayId },
        el("span", { class: "day-name", id: dayId }, DAYS[day]),
        el("div", { class: "periods" },
          periods.length === 0 ? el("span", { class: "muted closed-day" }, "Closed") : null,
          periods.map((h, n) => {
            const id = `${prefix}-${day}-${n}`;
            const which = periods.length > 1 ? ` (${n + 1})` : "";
            const opens = el("input", { type: "time", id: `${id}-opens`, value: h.opens });
            const closes = el("input", { type: "time", id: `${id}-closes`, value: h.closes === "24:00" ? "00:00" : h.closes });
            opens.addEventListener("input", () => (h.opens = opens.value));
            closes.addEventListener("input", () => (h.closes = closes.value === "00:00" ? "24:00" : closes.value));
            return el("span", { class: "period" },
              el("label", { for: opens.id, class: "visually-hidden" }, `${DAYS[day]}${which} opens at`), opens,
              el("span", { "aria-hidden": "true" }, "to"),
              el("label", { for: closes.id, class: "visually-hidden" }, `${DAYS[day]}${which} closes at`), closes,
              el("button", {
                type: "button", class: "link", onclick: () => {
                  hours.splice(hours.indexOf(h), 1);
                  render(`${prefix}-${day}-add`);
                },
              }, "Remove", hiddenText(` ${DAYS[day]}${which} hours`)));
          }),
          el("button", { type: "button", id: `${prefix}-${day}-add`, class: "secondary small", onclick: add },
            "Add hours", hiddenText(` on ${DAYS[day]}`))));
    }));
    if (focusId) $(focusId)?.focus();
  };
  render();
  return root;
}

/** Hours ready to send, or a problem to show. */
function checkHours(hours) {
  for (const h of hours) {
    const o = minutesOf(h.opens);
    const c = minutesOf(h.closes);
    if (Number.isNaN(o) || Number.isNaN(c)) return [null, `Enter both times for ${DAYS[h.weekday]}.`];
    if (c <= o) return [null, `On ${DAYS[h.weekday]}, closing must be after opening (00:00 means midnight).`];
  }
  const sorted = [...hours].sort((a, b) => a.weekday - b.weekday || minutesOf(a.opens) - minutesOf(b.opens));
  return [sorted.map((h) => ({ weekday: h.weekday, opens: h.opens, closes: h.closes })), null];
}

const copyHours = (hours) => hours.map((h) => ({ weekday: h.weekday, opens: h.opens, closes: h.closes }));

function hoursList(hours) {
  const lines = hoursLines(hours);
  return lines.length ? el("ul", { class: "hours-lines" }, lines.map((line) => el("li", {}, line))) : el("p", {}, "Closed every day.");
}

function practiceHoursSection() {
  const p = state.practice;
  if (!state.admin) {
    return [el("h3", {}, "Office hours"),
      el("dl", { class: "facts" },
        el("dt", {}, "Time zone"), el("dd", {}, zoneName(p.time_zone)),
        el("dt", {}, "Phone"), el("dd", {}, p.phone ?? "None"),
        el("dt", {}, "After-hours line"), el("dd", {}, p.after_hours_phone ?? "None")),
      hoursList(p.office_hours)];
  }
  const hours = copyHours(p.office_hours);
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  if (!zones.includes(p.time_zone)) zones.unshift(p.time_zone);
  const zone = el("select", { id: "time-zone" }, zones.map((z) => el("option", { value: z }, zoneName(z))));
  zone.value = p.time_zone;
  const phone = el("input", { id: "practice-phone", type: "tel", maxlength: 32, autocomplete: "off", value: p.phone ?? "", "aria-describedby": "practice-phone-hint" });
  const afterHours = el("input", {
    id: "after-hours-phone", type: "tel", maxlength: 32, autocomplete: "off", value: p.after_hours_phone ?? "", "aria-describedby": "after-hours-phone-hint",
  });
  const error = el("p", { id: "hours-error", class: "error", role: "alert", hidden: true });
  const form = el("form", { id: "hours-form", novalidate: true, "aria-labelledby": "hours-title" },
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "time-zone" }, "Time zone"), zone, fieldError("time-zone"))),
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "practice-phone" }, "Phone for patients"), phone,
        el("p", { id: "practice-phone-hint", class: "hint" }, "Shown to patients, and used in {practice_phone}."), fieldError("practice-phone")),
      el("div", {}, el("label", { for: "after-hours-phone" }, "After-hours line"), afterHours,
        el("p", { id: "after-hours-phone-hint", class: "hint" },
          "Patients are told to call it when the office is closed and something cannot wait: urgent automatic replies and the screen for writing a message show it."),
        fieldError("after-hours-phone"))),
    el("p", { class: "label-like" }, "Weekly hours"),
    hoursEditor("practice-hours", hours, "Weekly hours"),
    el("p", { class: "hint" }, "A closing time of 00:00 means midnight."),
    fieldError("practice-hours"),
    el("div", { class: "form-foot" }, el("span", { id: "hours-status", class: "muted" }), el("button", { type: "submit", class: "secondary" }, "Save office hours")),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    showError(error, "");
    status("hours-status", "");
    const [office_hours, bad] = checkHours(hours);
    if (bad) {
      setFieldError("practice-hours", bad);
      return;
    }
    const body = { time_zone: zone.value, phone: phone.value.trim() || null, after_hours_phone: afterHours.value.trim() || null, office_hours };
    try {
      await api("PUT", "/api/v1/practice/hours", body);
    } catch (err) {
      showServerError(err, { time_zone: "time-zone", phone: "practice-phone", after_hours_phone: "after-hours-phone", office_hours: "practice-hours" }, error);
      return;
    }
    state.practice = await api("GET", "/api/v1/practice");
    document.dispatchEvent(new CustomEvent("practice-changed", { detail: state.practice }));
    renderResponseTimes(["hours", "departments"]);
    $("hours-form")?.querySelector("button[type=submit]")?.focus();
    status("hours-status", "Office hours saved.");
  });
  return [el("h3", { id: "hours-title" }, "Office hours"), form];
}

function departmentHoursSection() {
  const departments = state.practice.departments;
  if (departments.length === 0) return [];
  const own = (d) => state.response.department_hours.find((x) => x.department_id === d.id)?.office_hours ?? [];
  const items = departments.map((d) => {
    const current = own(d);
    if (!state.admin) {
      return el("li", { class: "item" }, el("h4", {}, d.name), current.length ? hoursList(current) : el("p", {}, "The practice's office hours."));
    }
    const prefix = `dept-${d.id}`;
    const hours = copyHours(current.length ? current : state.practice.office_hours);
    const same = el("input", { id: `${prefix}-same`, type: "checkbox", checked: current.length === 0 });
    const editor = el("div", { hidden: current.length === 0 }, hoursEditor(`${prefix}-hours`, hours, `${d.name} hours`));
    same.addEventListener("change", () => (editor.hidden = same.checked));
    const error = el("p", { id: `${prefix}-error`, class: "error", role: "alert", hidden: true });
    const form = el("form", { class: "item dept-hours", novalidate: true, "aria-label": `${d.name} hours` },
      el("h4", {}, d.name),
      el("div", { class: "check" }, same, el("label", { for: same.id }, "Uses the practice's office hours")),
      editor,
      fieldError(`${prefix}-hours`),
      el("div", { class: "form-foot" }, el("span", { id: `${prefix}-status`, class: "muted" }),
        el("button", { type: "submit", class: "secondary small" }, "Save", hiddenText(` ${d.name} hours`))),
      error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      showError(error, "");
      status(`${prefix}-status`, "");
      const [office_hours, bad] = same.checked ? [[], null] : checkHours(hours);
      if (bad) {
        setFieldError(`${prefix}-hours`, bad);
        return;
      }
      if (!same.checked && office_hours.length === 0) {
        setFieldError(`${prefix}-hours`, "Add some hours, or choose the practice's office hours.");
        return;
      }
      try {
        await api("PUT", `/api/v1/departments/${d.id}/hours`, { office_hours });
      } catch (err) {
        showServerError(err, { office_hours: `${prefix}-hours` }, error);
        return;
      }
      await loadResponseSettings(["departments"]);
      $(`${prefix}-same`)?.focus();
      status(`${prefix}-status`, `${d.name} hours saved.`);
    });
    return el("li", {}, form);
  });
  return [el("h3", {}, "Department hours"),
    el("p", { class: "hint" }, "A department with hours of its own counts response times in those hours."),
    el("ul", { id: "department-hours", class: "plain-list items" }, items)];
}

// -- Closures ------------------------------------------------------------------------

function closuresSection() {
  const closures = [...state.response.closures].sort((a, b) => (a.first_day < b.first_day ? -1 : a.first_day > b.first_day ? 1 : 0));
  const scope = (c) => (c.department_id ? departmentName(c.department_id) : "Whole practice");
  const list = el("ul", { id: "closures", class: "plain-list" }, closures.map((c) => {
    const range = dayRange(c.first_day, c.last_day);
    return el("li", { class: "closure", dataset: { id: c.id } },
      el("span", {}, el("strong", {}, c.name), ` · ${range} · ${scope(c)}`),
      state.admin
        ? el("button", { type: "button", class: "secondary small", onclick: () => removeClosure(c, range) },
          "Remove", hiddenText(` closure ${c.name}, ${range}`))
        : null);
  }));
  /** @type {HTMLElement[]} */
  const parts = [el("h3", { id: "closures-title" }, "Closures"),
    el("p", { class: "hint" }, "Whole days the office is closed, such as holidays. Response times do not count on them, and patients are told when the office opens again."),
    list,
    closures.length ? null : el("p", { id: "closures-empty", class: "muted" }, "No closures planned.")];
  if (!state.admin) return parts;
  const name = el("input", { id: "closure-name", type: "text", maxlength: 100, autocomplete: "off" });
  const first = el("input", { id: "closure-first", type: "date" });
  const last = el("input", { id: "closure-last", type: "date", "aria-describedby": "closure-last-hint" });
  const where = el("select", { id: "closure-department" });
  options(where, [["", "The whole practice"], ...state.practice.departments.map((d) => [d.id, `${d.name} only`])], "");
  const error = el("p", { id: "closure-error", class: "error", role: "alert", hidden: true });
  const form = el("form", { id: "closure-form", class: "subform", novalidate: true, "aria-label": "Add a closure" },
    el("label", { for: "closure-name" }, "Name ", el("span", { class: "hint" }, "(such as Thanksgiving)")), name, fieldError("closure-name"),
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "closure-first" }, "First day closed"), first, fieldError("closure-first")),
      el("div", {}, el("label", { for: "closure-last" }, "Last day closed"), last,
        el("p", { id: "closure-last-hint", class: "hint" }, "Leave empty for a single day."), fieldError("closure-last"))),
    el("label", { for: "closure-department" }, "Closed"), where, fieldError("closure-department"),
    el("div", { class: "form-foot" }, el("span", {}), el("button", { type: "submit", class: "secondary" }, "Add closure")),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    showError(error, "");
    if (!name.value.trim()) {
      setFieldError("closure-name", "Give the closure a name.");
      name.focus();
      return;
    }
    if (!first.value) {
      setFieldError("closure-first", "Choose the first day the office is closed.");
      first.focus();
      return;
    }
    const body = { name: name.value.trim(), first_day: first.value, last_day: last.value || first.value };
    if (where.value) body.department_id = where.value;
    try {
      await api("POST", "/api/v1/closures", body);
    } catch (err) {
      showServerError(err, { name: "closure-name", first_day: "closure-first", last_day: "closure-last", department_id: "closure-department" }, error);
      return;
    }
    await loadResponseSettings(["closures"]);
    announce(`Closure “${body.name}” added`);
    $("closure-name")?.focus();
  });
  parts.push(form);
  return parts;
}

async function removeClosure(c, range) {
  showError($("response-error"), "");
  try {
    await api("DELETE", `/api/v1/closures/${c.id}`);
  } catch (err) {
    showError($("response-error"), message(err));
    return;
  }
  await loadResponseSettings(["closures"]);
  announce(`Closure “${c.name}”, ${range}, removed`);
  $("closure-name")?.focus();
}

// -- Targets and automatic replies ---------------------------------------------------

function targetWordsRow(t) {
  const cells = [
    ["Priority", PRIORITIES.find(([v]) => v === (t.priority ?? ""))?.[1] ?? t.priority],
    ["Topic", t.topic ? topicLabel(t.topic) : "Any topic"],
    ["First reply within", duration(t.first_response_minutes)],
    ["Later replies within", duration(t.next_response_minutes)],
    ["Counted", CLOCKS.find(([v]) => v === t.clock)?.[1] ?? t.clock],
  ];
  return el("tr", {}, cells.map(([label, text]) => el("td", { dataset: { label } }, text,
    label === "Counted" && urgentInOfficeHours(t) ? el("p", { class: "clock-warning" }, URGENT_IN_OFFICE_HOURS) : null)));
}

function targetRow(t, i) {
  const id = (name) => `target-${i}-${name}`;
  const n = i + 1;
  const priority = el("select", { id: id("priority"), class: "priority", "aria-label": `Target ${n}: priority` });
  options(priority, PRIORITIES, t.priority ?? "");
  const topic = el("select", { id: id("topic"), "aria-label": `Target ${n}: topic` });
  options(topic, [["", "Any topic"], ...TOPICS], t.topic ?? "");
  topic.addEventListener("change", () => (t.topic = topic.value || null));
  const minutes = (key, label) => {
    const hint = el("span", { id: id(`${key}-words`), class: "duration hint" }, duration(t[key]));
    const input = el("input", {
      id: id(key), type: "number", min: 1, max: MAX_TARGET_MINUTES, step: 1, inputmode: "numeric",
      value: t[key], "aria-label": `Target ${n}: ${label} (minutes)`, "aria-describedby": hint.id,
    });
    input.addEventListener("input", () => {
      t[key] = input.value === "" ? "" : Number(input.value);
      hint.textContent = duration(t[key]);
    });
    return [input, hint];
  };
  const clock = el("select", { id: id("clock"), class: "clock", "aria-label": `Target ${n}: counted` });
  options(clock, CLOCKS, t.clock);
  const warning = el("p", { id: id("clock-warning"), class: "clock-warning" }, URGENT_IN_OFFICE_HOURS);
  // Shown, and read out with the clock, while the row counts urgent messages in office hours.
  const warn = () => {
    const on = urgentInOfficeHours(t);
    warning.hidden = !on;
    if (on) clock.setAttribute("aria-describedby", warning.id);
    else clock.removeAttribute("aria-describedby");
  };
  warn();
  priority.addEventListener("change", () => {
    t.priority = priority.value || null;
    warn();
  });
  clock.addEventListener("change", () => {
    t.clock = clock.value;
    warn();
  });
  const remove = el("button", {
    type: "button", class: "link", onclick: () => {
      state.targets.splice(i, 1);
      renderTargets();
      ($(`target-${Math.min(i, state.targets.length - 1)}-priority`) ?? $("add-target"))?.focus();
      announce(`Target ${n} removed. Save response times to keep this change.`);
    },
  }, "Remove", hiddenText(` target ${n}`));
  return el("tr", { id: id("row") },
    el("td", { dataset: { label: "Priority" } }, priority),
    el("td", { dataset: { label: "Topic" } }, topic),
    el("td", { dataset: { label: "First reply within (minutes)" } }, minutes("first_response_minutes", "first reply within")),
    el("td", { dataset: { label: "Later replies within (minutes)" } }, minutes("next_response_minutes", "later replies within")),
    el("td", { dataset: { label: "Counted" } }, clock, warning),
    el("td", {}, remove));
}

function targetsTable(rows, editable) {
  return el("div", { class: "table-wrap" },
    el("table", { class: "targets", "aria-labelledby": "targets-title" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Priority"),
        el("th", { scope: "col" }, "Topic"),
        el("th", { scope: "col" }, editable ? "First reply (minutes)" : "First reply within"),
        el("th", { scope: "col" }, editable ? "Later replies (minutes)" : "Later replies within"),
        el("th", { scope: "col" }, "Counted"),
        editable ? el("th", { scope: "col" }, hiddenText("Remove")) : null)),
      el("tbody", { id: "targets" }, rows)));
}

function renderTargets() {
  const holder = $("targets-holder");
  if (!holder) return;
  clear(holder).append(state.targets.length
    ? targetsTable(state.targets.map(targetRow), true)
    : el("p", { class: "muted" }, "No targets of the practice's own: urgent messages are due within 1 hour, around the clock; routine ones within 4 office hours."));
}

function autoReplyField(key, label) {
  const custom = state.response[key];
  const fallback = state.response[`default_${key}`];
  const id = key.replaceAll("_", "-");
  const builtIn = el("input", { id: `${id}-builtin`, type: "checkbox", checked: custom === null || custom === undefined });
  const box = el("textarea", { id, rows: 4, "aria-describedby": `${id}-count reply-placeholders-hint` }, custom ?? fallback);
  const count = counter(box, AUTO_REPLY_MAX);
  count.node.id = `${id}-count`;
  builtIn.addEventListener("change", () => {
    if (builtIn.checked) {
      box.value = fallback;
      count.update();
    }
  });
  // Writing your own wording stops using the built-in one.
  box.addEventListener("input", () => (builtIn.checked = box.value === fallback && builtIn.checked));
  return {
    node: el("div", { class: "auto-reply" },
      el("label", { for: id }, label),
      el("div", { class: "check" }, builtIn, el("label", { for: builtIn.id }, "Use the built-in wording")),
      box, el("div", { class: "form-foot" }, count.node), fieldError(id)),
    value: () => (builtIn.checked ? null : box.value),
  };
}

function targetsSection() {
  const r = state.response;
  const explain = el("p", {}, "When a reply is due, by the priority and topic of the conversation. The most specific target that matches applies; urgent conversations follow only targets for urgent ones. Conversations no target covers are due within 1 hour around the clock if urgent, and within 4 office hours if routine.");
  if (!state.admin) {
    const reply = (key) => {
      const custom = r[key];
      return el("p", { class: "reply-text" }, custom ?? r[`default_${key}`], custom ? null : el("span", { class: "muted" }, " (built-in wording)"));
    };
    return [el("h3", { id: "targets-title" }, "Targets"), explain,
      r.targets.length ? targetsTable(r.targets.map(targetWordsRow), false) : el("p", { class: "muted" }, "No targets of the practice's own."),
      el("p", {}, `A reply is “due soon” after ${r.due_soon_percent} % of its time has passed.`),
      el("h3", {}, "Automatic replies"),
      el("h4", {}, "While the office is open"), reply("auto_reply_open"),
      el("h4", {}, "While the office is closed"), reply("auto_reply_closed")];
  }
  state.targets = r.targets.map((t) => ({ ...t }));
  const dueSoon = el("input", { id: "due-soon", type: "number", min: 1, max: 99, step: 1, inputmode: "numeric", value: r.due_soon_percent, "aria-describedby": "due-soon-hint" });
  const open = autoReplyField("auto_reply_open", "Automatic reply while the office is open");
  const closed = autoReplyField("auto_reply_closed", "Automatic reply while the office is closed");
  const error = el("p", { id: "targets-form-error", class: "error", role: "alert", hidden: true });
  const add = el("button", {
    type: "button", id: "add-target", class: "secondary", onclick: () => {
      state.targets.push({ priority: null, topic: null, first_response_minutes: 240, next_response_minutes: 240, clock: "business" });
      renderTargets();
      $(`target-${state.targets.length - 1}-priority`)?.focus();
    },
  }, "Add target");
  const form = el("form", { id: "targets-form", novalidate: true, "aria-labelledby": "targets-title" },
    explain,
    el("div", { id: "targets-holder" }),
    el("p", { id: "targets-error", class: "error field-error", role: "alert", hidden: true }),
    add,
    el("label", { for: "due-soon" }, "“Due soon” after this share of the time (percent)"),
    el("p", { id: "due-soon-hint", class: "hint" }, "From 1 to 99. At 75, a reply due in 4 hours is due soon after 3, and its owners are alerted."),
    dueSoon, fieldError("due-soon"),
    el("h3", {}, "Automatic replies"),
    el("p", {}, "Every patient who starts a conversation gets one at once, saying when to expect an answer. Each must tell patients to call 911 in an emergency."),
    open.node,
    closed.node,
    el("p", { id: "reply-placeholders-hint", class: "hint" }, "Placeholders are filled in for each message:"),
    el("dl", { class: "facts placeholders-list" }, REPLY_PLACEHOLDERS.flatMap(([p, words]) => [el("dt", {}, el("code", {}, `{${p}}`)), el("dd", {}, words)])),
    el("div", { class: "form-foot" }, el("span", { id: "targets-status", class: "muted" }), el("button", { type: "submit", class: "primary", id: "save-targets" }, "Save response times")),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    showError(error, "");
    status("targets-status", "");
    const markRow = (i, text) => {
      $(`target-${i}-row`)?.classList.add("invalid");
      showError($("targets-error"), text);
      $(`target-${i}-first_response_minutes`)?.focus();
    };
    for (const [i, t] of state.targets.entries()) {
      for (const key of ["first_response_minutes", "next_response_minutes"]) {
        if (!Number.isInteger(t[key]) || t[key] < 1 || t[key] > MAX_TARGET_MINUTES) {
          markRow(i, `Target ${i + 1}: enter whole minutes from 1 to ${MAX_TARGET_MINUTES} (30 days).`);
          return;
        }
      }
      const twin = state.targets.findIndex((o, j) => j < i && (o.priority ?? null) === (t.priority ?? null) && (o.topic ?? null) === (t.topic ?? null));
      if (twin >= 0) {
        markRow(i, `Targets ${twin + 1} and ${i + 1} cover the same priority and topic: change or remove one.`);
        return;
      }
    }
    const percent = Number(dueSoon.value);
    if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
      setFieldError("due-soon", "Enter a whole number from 1 to 99.");
      dueSoon.focus();
      return;
    }
    // Settings this page does not edit are sent back as they came.
    const body = Object.fromEntries(Object.entries(state.response).filter(([k]) => !READ_ONLY_SETTINGS.includes(k)));
    Object.assign(body, {
      targets: state.targets.map((t) => ({
        priority: t.priority || null,
        topic: t.topic || null,
        first_response_minutes: t.first_response_minutes,
        next_response_minutes: t.next_response_minutes,
        clock: t.clock,
      })),
      due_soon_percent: percent,
      auto_reply_open: open.value(),
      auto_reply_closed: closed.value(),
    });
    const button = $("save-targets");
    button.disabled = true;
    try {
      await api("PUT", "/api/v1/response-settings", body);
    } catch (err) {
      const row = err instanceof ApiError && err.field === "targets" ? /target (\d+):/.exec(err.message) : null;
      if (row) markRow(Number(row[1]) - 1, problem(err));
      else if (err instanceof ApiError && err.field === "targets") showError($("targets-error"), problem(err));
      else showServerError(err, { due_soon_percent: "due-soon", auto_reply_open: "auto-reply-open", auto_reply_closed: "auto-reply-closed" }, error);
      return;
    } finally {
      button.disabled = false;
    }
    await loadResponseSettings(["targets"]);
    $("save-targets")?.focus();
    status("targets-status", "Response times saved.");
  });
  return [el("h3", { id: "targets-title" }, "Targets"), form];
}

const RESPONSE_PARTS = {
  hours: practiceHoursSection,
  departments: departmentHoursSection,
  closures: closuresSection,
  targets: targetsSection,
};

/** Draws the given parts of the section (all at first), leaving the others and their unsaved edits alone. */
function renderResponseTimes(parts = Object.keys(RESPONSE_PARTS)) {
  $("response-readonly").hidden = state.admin;
  const body = $("response-body");
  if (!body.querySelector("[data-part]")) {
    clear(body).append(...Object.keys(RESPONSE_PARTS).map((part) => el("div", { dataset: { part } })));
  }
  for (const part of parts) {
    clear(body.querySelector(`[data-part="${part}"]`)).append(...RESPONSE_PARTS[part]());
  }
  if (parts.includes("targets")) renderTargets();
}

/**
 * Shows the section to the signed-in user (`admin`: a practice
 * administrator, who may change it) for `practice`.
 */
export async function showResponseTimes(admin, practice) {
  state.admin = admin;
  state.practice = practice;
  await loadResponseSettings();
}

/** Loads the settings and draws the given parts of the section (all at first). */
async function loadResponseSettings(parts) {
  state.response = await api("GET", "/api/v1/response-settings");
  showError($("response-error"), "");
  renderResponseTimes(parts);
}
