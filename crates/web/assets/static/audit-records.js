// @ts-check
// The audit page's "Keeping the record" (administrators and the compliance
// officer): legal holds on patients (found by name, as the log's own
// search finds them) with a way to release each, the practice's retention
// periods (a default and, per topic or sensitive category, a period of its
// own), and how many conversations the retention job has removed. Placing
// and releasing holds and saving periods ask the person to confirm it is
// them (the server's re-authentication, handled by `api`).
import { $, SENSITIVITY, TOPICS, announce, api, clear, el, fill, problem, showError, when } from "./common.js";

/** @type {{ patient: { id: string, name: string } | null }} */
const state = { patient: null };

const CATEGORIES = [
  ...TOPICS.map(([code, words]) => [`topic:${code}`, `${words} (topic)`]),
  ...SENSITIVITY.map(([code, words]) => [`sensitive:${code}`, `${words} (marked sensitive)`]),
];

/**
 * @typedef {{ id: string, on: string, patient_name?: string, reason: string, placed_by: string, placed_at: string, released_at?: string }} Hold
 * @param {Hold[]} holds
 */
function renderHolds(holds) {
  const live = holds.filter((h) => !h.released_at);
  $("holds-none").hidden = live.length > 0;
  fill($("holds-list"), ...live.map((h) => {
    const button = el("button", { type: "button", class: "secondary small" }, `Release the hold on ${h.patient_name ?? "this conversation"}`);
    button.addEventListener("click", () => release(h, button));
    const what = h.on === "patient" ? `All of ${h.patient_name}'s messages` : `One conversation of ${h.patient_name ?? "a patient"}`;
    return el("li", {}, el("div", {},
      el("p", { class: "item-head" }, el("strong", {}, what)),
      el("p", { class: "muted" }, `${h.reason} · placed by ${h.placed_by}, ${when(h.placed_at)}`)), button);
  }));
}

async function loadHolds() {
  renderHolds((await api("GET", "/api/v1/practice/legal-holds")).holds);
}

/** @param {Hold} h @param {HTMLElement} button */
async function release(h, button) {
  if (!window.confirm(`Release this hold (${h.reason})? What it kept is removed once its period has passed.`)) return;
  showError($("holds-error"), "");
  button.setAttribute("disabled", "");
  try {
    await api("POST", `/api/v1/practice/legal-holds/${h.id}/release`, {});
    announce("The hold is released");
    await loadHolds();
  } catch (e) {
    button.removeAttribute("disabled");
    showError($("holds-error"), problem(e));
  }
}

async function findPatient() {
  const input = /** @type {HTMLInputElement} */ ($("hold-find"));
  const q = input.value.trim();
  const out = clear($("hold-find-results"));
  if ([...q].length < 2) {
    out.append(el("p", { class: "error" }, "Type at least 2 letters of a name."));
    input.focus();
    return;
  }
  let found;
  try {
    found = await api("POST", "/api/v1/audit-events/subjects", { q });
  } catch (e) {
    out.append(el("p", { class: "error" }, problem(e)));
    return;
  }
  if (found.patients.length === 0) {
    out.append(el("p", { class: "muted" }, `No patient has a name with “${q}” in it.`));
    return;
  }
  out.append(el("ul", { class: "picks", "aria-label": "Patients found" }, found.patients.map((/** @type {{id: string, display_name: string, birth_date: string}} */ p) =>
    el("li", {}, el("button", {
      type: "button",
      class: "pick",
      onclick: () => {
        state.patient = { id: p.id, name: p.display_name };
        $("hold-patient").textContent = `Chosen: ${p.display_name}, born ${p.birth_date}`;
        $("hold-patient").hidden = false;
        clear(out);
        input.value = "";
        $("hold-reason").focus();
      },
    }, el("span", { class: "pick-name" }, p.display_name), el("span", { class: "pick-sub" }, `born ${p.birth_date}`))))));
}

async function placeHold(event) {
  event.preventDefault();
  showError($("hold-error"), "");
  showError($("hold-reason-error"), "");
  if (!state.patient) {
    showError($("hold-error"), "Find and choose the patient first.");
    $("hold-find").focus();
    return;
  }
  const reason = /** @type {HTMLInputElement} */ ($("hold-reason"));
  reason.removeAttribute("aria-invalid");
  try {
    await api("POST", "/api/v1/practice/legal-holds", { patient_id: state.patient.id, reason: reason.value });
    $("hold-status").textContent = `Held: ${state.patient.name}.`;
    announce(`A legal hold keeps ${state.patient.name}'s messages`);
    state.patient = null;
    $("hold-patient").hidden = true;
    reason.value = "";
    await loadHolds();
  } catch (e) {
    if (/** @type {{ field?: string }} */ (e).field === "reason") {
      showError($("hold-reason-error"), problem(e));
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
    } else {
      showError($("hold-error"), problem(e));
    }
  }
}

/** @param {{ default_years: number, overrides: { category: string, years: number }[] }} s */
function renderPeriods(s) {
  /** @type {HTMLInputElement} */ ($("default-years")).value = String(s.default_years);
  const years = new Map(s.overrides.map((o) => [o.category, o.years]));
  fill($("period-rows"), ...CATEGORIES.map(([code, words], i) => el("div", { class: "period-row field" },
    el("label", { for: `period-${i}` }, words),
    el("input", { id: `period-${i}`, type: "number", min: "1", max: "100", step: "1", inputmode: "numeric", class: "years",
      "data-category": code, value: years.has(code) ? String(years.get(code)) : "", placeholder: "default" }))));
}

async function savePeriods(event) {
  event.preventDefault();
  for (const id of ["periods-error", "default-years-error", "overrides-error"]) showError($(id), "");
  const overrides = [...$("period-rows").querySelectorAll("input")]
    .filter((i) => /** @type {HTMLInputElement} */ (i).value.trim() !== "")
    .map((i) => ({ category: /** @type {HTMLElement} */ (i).dataset.category ?? "", years: Number(/** @type {HTMLInputElement} */ (i).value) }));
  try {
    const saved = await api("PUT", "/api/v1/practice/retention", { default_years: Number(/** @type {HTMLInputElement} */ ($("default-years")).value), overrides });
    renderPeriods(saved);
    $("periods-status").textContent = "Saved.";
    announce("The retention periods are saved");
  } catch (e) {
    const field = /** @type {{ field?: string }} */ (e).field;
    const node = field === "default_years" ? $("default-years-error") : field === "overrides" ? $("overrides-error") : $("periods-error");
    showError(node, problem(e));
  }
}

export async function showRecords() {
  $("records").hidden = false;
  const [periods, removed] = await Promise.all([
    api("GET", "/api/v1/practice/retention"),
    api("GET", "/api/v1/practice/retention/removals"),
    loadHolds(),
  ]);
  renderPeriods(periods);
  const n = removed.removals.length;
  $("removed-summary").textContent = n === 0
    ? "None yet."
    : `${n === 200 ? "The latest 200" : n} conversation${n === 1 ? "" : "s"}, the latest ${when(removed.removals[0].removed_at)}. The audit log lists each one (Conversation removed at the end of its retention period).`;
  $("hold-find-button").addEventListener("click", findPatient);
  $("hold-find").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      findPatient();
    }
  });
  $("hold-form").addEventListener("submit", placeHold);
  $("periods-form").addEventListener("submit", savePeriods);
}
