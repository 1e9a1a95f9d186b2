// @ts-check
// Practice setup, on call: who is paged about a patient's message that may
// be an emergency (the schedule: shifts for the whole practice or one
// department, each with its place in the order), how long a page waits for
// an acknowledgement before the next person is paged, and the number
// texted when nobody acknowledges. Changed by practice administrators,
// read by all staff. Shifts are written and shown on the practice's clock,
// whatever the browser's time zone. The setup page (admin.js) starts it
// with `showOnCall`.
import { clearErrors, fieldError, message, setFieldError, showServerError } from "./admin-hours.js";
import { $, NO_CONVERSATIONS, ROLE_WORDS, announce, api, clear, el, fill, options, showError } from "./common.js";

/** @typedef {import("./common.js").Practice} Practice */
/** @typedef {import("./common.js").StaffMember} StaffMember */

/**
 * A stretch of someone being on call (`ShiftDto`): position 0 is paged first.
 * @typedef {object} Shift
 * @property {string} id
 * @property {string} user_id
 * @property {string | null} department_id
 * @property {string} starts_at
 * @property {string} ends_at
 * @property {number} position
 */

/** @typedef {{ ack_minutes: number, fallback_phone: string | null }} PagingSettings `PagingSettingsDto` */

/** How far ahead the schedule is listed. */
const WEEKS_SHOWN = 8;
/** The longest shift the server takes (`Shift::MAX_LENGTH`). */
const MAX_SHIFT_DAYS = 14;
/** A shift's place in the order, in words (positions 0 to 9). */
const ORDER = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];

const state = {
  admin: false,
  /** @type {Practice | null} */
  practice: null,
  /** @type {StaffMember[]} */
  staff: [],
  /** @type {Shift[]} */
  shifts: [],
  /** @type {PagingSettings | null} */
  paging: null,
  /** Shifts shown on the practice's clock: "Mon, Jan 5, 5:00 PM – Tue, Jan 6, 8:00 AM". @type {Intl.DateTimeFormat | null} */
  range: null,
};

const hiddenText = (text) => el("span", { class: "visually-hidden" }, text);

// ---- The practice's clock -----------------------------------------------------

/** The wall-clock time in the practice's zone at `date`, as if it were UTC (milliseconds). */
function wallClock(date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: state.practice.time_zone, hourCycle: "h23",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24,
    Number(parts.minute), Number(parts.second));
}

/**
 * A datetime-local value ("2026-01-05T17:00") read on the practice's clock:
 * the moment, `"gap"` for a time the clocks skip (the night they go
 * forward), or null when it is not a date and time.
 * @returns {Date | "gap" | null}
 */
function fromPracticeClock(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(value ?? "");
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The zone's offset at the moment depends on the moment: two rounds settle it.
  let t = wall;
  for (let i = 0; i < 2; i++) t = wall - (wallClock(new Date(t)) - t);
  return wallClock(new Date(t)) === wall ? new Date(t) : "gap";
}

/** RFC 3339 without milliseconds. */
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** "New York" for America/New_York. */
function zoneName() {
  const z = state.practice.time_zone;
  return z.slice(z.lastIndexOf("/") + 1).replaceAll("_", " ");
}

/** Whether this browser keeps another time zone than the practice's. */
function elsewhere() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone !== state.practice.time_zone;
  } catch {
    return false;
  }
}

function timesHint() {
  return `Times are the practice's (${zoneName()} time)${elsewhere() ? ", not this device's" : ""}.`;
}

// ---- Words --------------------------------------------------------------------

function personName(id) {
  return state.staff.find((s) => s.id === id)?.display_name ?? "A former colleague";
}

function departmentName(id) {
  return state.practice.departments.find((d) => d.id === id)?.name ?? "A department";
}

function rangeOf(s) {
  return state.range.formatRange(new Date(s.starts_at), new Date(s.ends_at));
}

function orderWords(position) {
  return `Paged ${ORDER[position] ?? `${position + 1}th`}`;
}

const minutesWords = (n) => `${n} minute${n === 1 ? "" : "s"}`;

// ---- The schedule -------------------------------------------------------------

/** @param {Shift} s */
function shiftItem(s, now) {
  const current = Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at);
  const who = personName(s.user_id);
  const range = rangeOf(s);
  return el("li", { class: `shift${current ? " current" : ""}`, dataset: { id: s.id } },
    el("div", { class: "grow" },
      el("p", { class: "shift-who" },
        el("strong", {}, who),
        current ? el("span", { class: "tag on-now" }, "On call now") : null),
      el("p", { class: "shift-when" }, range),
      el("p", { class: "meta" }, `${s.department_id ? departmentName(s.department_id) : "Whole practice"} · ${orderWords(s.position)}`)),
    state.admin
      ? el("button", { type: "button", class: "secondary small", onclick: () => removeShift(s, who, range) },
        "Remove", hiddenText(` ${who}, ${range}`))
      : null);
}

function renderShifts() {
  const now = Date.now();
  const onNow = state.shifts.some((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
  const holder = $("on-call-shifts");
  fill(holder,
    onNow ? null : el("p", { id: "on-call-nobody", class: "nobody-on-call" },
      el("strong", {}, "Nobody is on call right now. "),
      "An urgent message now raises alerts in the inbox",
      state.paging?.fallback_phone ? ", and only the fallback number is texted." : ", and nobody is paged."),
    state.shifts.length
      ? el("ul", { id: "shift-list", class: "plain-list shift-list", "aria-labelledby": "shifts-title" },
        state.shifts.map((s) => shiftItem(s, now)))
      : el("p", { class: "muted" }, `No one is on the schedule for the next ${WEEKS_SHOWN} weeks.`));
}

async function loadShifts() {
  const from = new Date();
  const to = new Date(from.getTime() + WEEKS_SHOWN * 7 * 86400000);
  state.shifts = await api("GET", `/api/v1/on-call?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`);
  renderShifts();
}

/** @param {Shift} s */
async function removeShift(s, who, range) {
  const error = $("on-call-error");
  showError(error, "");
  const index = state.shifts.indexOf(s);
  try {
    await api("DELETE", `/api/v1/on-call/${s.id}`);
    await loadShifts();
  } catch (err) {
    showError(error, message(err));
    error.scrollIntoView({ block: "nearest" });
    return;
  }
  announce(`Removed from the on-call schedule: ${who}, ${range}`);
  const buttons = [...$("on-call-shifts").querySelectorAll("button")];
  (buttons[Math.min(index, buttons.length - 1)] ?? $("shift-user"))?.focus();
}

/** The schedule as everyone sees it, and for administrators the form to add to it. */
function scheduleSection() {
  return [
    el("h3", { id: "shifts-title" }, `Schedule, next ${WEEKS_SHOWN} weeks`),
    el("p", { class: "hint" }, timesHint()),
    el("div", { id: "on-call-shifts" }),
    ...(state.admin ? shiftForm() : []),
  ];
}

/** Overlaps `s`: the same person for the same place at some of the same time. */
function sameCover(s, user, department, start, end) {
  return s.user_id === user && (s.department_id ?? "") === department
    && Date.parse(s.starts_at) < end.getTime() && start.getTime() < Date.parse(s.ends_at);
}

function shiftForm() {
  const people = state.staff.filter((s) => !NO_CONVERSATIONS.includes(s.role));
  const who = el("select", { id: "shift-user" });
  options(who, [["", "Choose a colleague"], ...people.map((s) => [s.id, `${s.display_name} (${ROLE_WORDS[s.role] ?? s.role})`])], "");
  const where = el("select", { id: "shift-department", "aria-describedby": "shift-department-hint" });
  options(where, [["", "The whole practice"], ...state.practice.departments.map((d) => [d.id, d.name])], "");
  const start = el("input", { id: "shift-start", type: "datetime-local", "aria-describedby": "shift-times-hint" });
  const end = el("input", { id: "shift-end", type: "datetime-local", "aria-describedby": "shift-times-hint" });
  const order = el("select", { id: "shift-position", "aria-describedby": "shift-position-hint" });
  options(order, ORDER.map((_, i) => [String(i), orderWords(i)]), "0");
  const error = el("p", { id: "shift-form-error", class: "error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "secondary" }, "Add to the schedule");
  const form = el("form", { id: "shift-form", class: "subform", novalidate: true, "aria-labelledby": "shift-form-title" },
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "shift-user" }, "Who is on call"), who, fieldError("shift-user")),
      el("div", {}, el("label", { for: "shift-department" }, "For"), where,
        el("p", { id: "shift-department-hint", class: "hint" }, "A department's people on call are paged before the whole practice's."),
        fieldError("shift-department"))),
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "shift-start" }, "On call from"), start, fieldError("shift-start")),
      el("div", {}, el("label", { for: "shift-end" }, "Until"), end, fieldError("shift-end"))),
    el("p", { id: "shift-times-hint", class: "hint" }, `${timesHint()} A shift lasts at most ${MAX_SHIFT_DAYS} days.`),
    el("label", { for: "shift-position" }, "Order"), order,
    el("p", { id: "shift-position-hint", class: "hint" },
      "Whoever is paged first has the wait below to acknowledge; then the next is paged."),
    fieldError("shift-position"),
    el("div", { class: "form-foot" }, el("span", { id: "shift-status", class: "muted", role: "status" }), submit),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    showError(error, "");
    $("shift-status").textContent = "";
    const bad = (id, text) => {
      setFieldError(id, text);
      $(id).focus();
    };
    if (!who.value) return bad("shift-user", "Choose who is on call.");
    const from = fromPracticeClock(start.value);
    const until = fromPracticeClock(end.value);
    if (!start.value || from === null) return bad("shift-start", "Enter the day and time the shift starts.");
    if (from === "gap") return bad("shift-start", `There is no such time in ${zoneName()} that night: the clocks go forward. Choose another time.`);
    if (!end.value || until === null) return bad("shift-end", "Enter the day and time the shift ends.");
    if (until === "gap") return bad("shift-end", `There is no such time in ${zoneName()} that night: the clocks go forward. Choose another time.`);
    if (until <= from) return bad("shift-end", "The shift must end after it starts.");
    if (until.getTime() - from.getTime() > MAX_SHIFT_DAYS * 86400000) {
      return bad("shift-end", `A shift can last at most ${MAX_SHIFT_DAYS} days. Add longer cover as more than one shift.`);
    }
    const twin = state.shifts.find((s) => sameCover(s, who.value, where.value, from, until));
    if (twin) {
      return bad("shift-start", `${personName(who.value)} is already on call for ${twin.department_id ? departmentName(twin.department_id) : "the whole practice"} at some of that time (${rangeOf(twin)}). Choose other times, or remove that shift first.`);
    }
    const body = { user_id: who.value, starts_at: iso(from), ends_at: iso(until), position: Number(order.value) };
    if (where.value) body.department_id = where.value;
    submit.disabled = true;
    try {
      await api("POST", "/api/v1/on-call", body);
    } catch (err) {
      showServerError(err, { user_id: "shift-user", department_id: "shift-department", starts_at: "shift-start", ends_at: "shift-end", position: "shift-position" }, error);
      return;
    } finally {
      submit.disabled = false;
    }
    // What was typed stays, to add the next person for the same times.
    await loadShifts().catch((err) => showError($("on-call-error"), message(err)));
    const words = `Added: ${personName(body.user_id)}, ${state.range.formatRange(from, until)}.`;
    $("shift-status").textContent = words;
    announce(words);
  });
  return [el("h3", { id: "shift-form-title" }, "Add someone to the schedule"), form];
}

// ---- Paging settings ----------------------------------------------------------

function afterHoursFact() {
  const line = state.practice.after_hours_phone;
  return el("p", { id: "on-call-after-hours", class: "after-hours-fact" },
    el("strong", {}, "After-hours line for patients: "), line ?? "none",
    ". Patients are told to call it when the office is closed. ",
    state.admin ? el("a", { href: "#hours-title" }, "Change it with the office hours") : null,
    state.admin ? "." : null);
}

function pagingSection() {
  const p = state.paging;
  if (!state.admin) {
    return [el("h3", {}, "Paging"),
      el("dl", { class: "facts" },
        el("dt", {}, "Wait for an acknowledgement"), el("dd", {}, minutesWords(p.ack_minutes)),
        el("dt", {}, "Fallback number"), el("dd", {}, p.fallback_phone ?? "None")),
      afterHoursFact()];
  }
  const ack = el("input", {
    id: "paging-ack", type: "number", min: 1, max: 120, step: 1, inputmode: "numeric", value: p.ack_minutes,
    "aria-describedby": "paging-ack-hint",
  });
  const fallback = el("input", {
    id: "paging-fallback", type: "tel", maxlength: 32, autocomplete: "off", value: p.fallback_phone ?? "",
    "aria-describedby": "paging-fallback-hint",
  });
  const error = el("p", { id: "paging-error", class: "error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Save paging settings");
  const form = el("form", { id: "paging-form", novalidate: true, "aria-labelledby": "paging-title" },
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "paging-ack" }, "Minutes to wait for an acknowledgement"), ack,
        el("p", { id: "paging-ack-hint", class: "hint" }, "Then the next person in the order is paged. From 1 to 120."),
        fieldError("paging-ack")),
      el("div", {}, el("label", { for: "paging-fallback" }, "Fallback number"), fallback,
        el("p", { id: "paging-fallback-hint", class: "hint" },
          "Texted when nobody on call acknowledges. A US number such as (555) 010-0190, or one with its country code. Leave it empty for none."),
        fieldError("paging-fallback"))),
    el("div", { class: "form-foot" }, el("span", { id: "paging-status", class: "muted", role: "status" }), submit),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    showError(error, "");
    $("paging-status").textContent = "";
    const minutes = Number(ack.value);
    if (ack.value.trim() === "" || !Number.isInteger(minutes) || minutes < 1 || minutes > 120) {
      setFieldError("paging-ack", "Enter whole minutes from 1 to 120.");
      ack.focus();
      return;
    }
    submit.disabled = true;
    try {
      state.paging = await api("PUT", "/api/v1/practice/paging", { ack_minutes: minutes, fallback_phone: fallback.value.trim() || null });
    } catch (err) {
      showServerError(err, { ack_minutes: "paging-ack", fallback_phone: "paging-fallback" }, error);
      return;
    } finally {
      submit.disabled = false;
    }
    ack.value = String(state.paging.ack_minutes);
    fallback.value = state.paging.fallback_phone ?? "";
    renderShifts();
    $("paging-status").textContent = "Paging settings saved.";
    announce("Paging settings saved");
  });
  return [el("h3", { id: "paging-title" }, "Paging"), form, afterHoursFact()];
}

// ---- Start --------------------------------------------------------------------

/**
 * Shows the section to the signed-in user (`admin`: a practice
 * administrator, who may change it), for `practice` and its `staff`.
 * @param {boolean} admin
 * @param {Practice} practice
 * @param {StaffMember[]} staff
 */
export async function showOnCall(admin, practice, staff) {
  state.admin = admin;
  state.practice = practice;
  state.staff = staff;
  state.range = new Intl.DateTimeFormat(undefined, {
    timeZone: practice.time_zone, weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
  });
  $("on-call-readonly").hidden = admin;
  state.paging = await api("GET", "/api/v1/practice/paging");
  clear($("on-call-body")).append(...scheduleSection(), ...pagingSection());
  await loadShifts();
}

// The office hours form (admin-hours.js) changes the practice: the after-hours line shown here follows it.
document.addEventListener("practice-changed", (/** @type {CustomEvent<Practice>} */ e) => {
  if (!state.practice) return;
  state.practice = e.detail;
  $("on-call-after-hours")?.replaceWith(afterHoursFact());
});
