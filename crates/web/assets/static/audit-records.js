// @ts-check
// The audit page's "Keeping the record" (administrators and the compliance
// officer): a patient found by name (as the log's own search finds them)
// can have their messages held or their record exported; legal holds in
// force with a way to release each; the exports with their progress and a
// one-time download; the practice's retention periods (a default and, per
// topic or sensitive category, a period of its own); and how many
// conversations the retention job has removed. Each of these asks the
// person to confirm it is them (the server's re-authentication, handled by
// `api`, and by `download` here for the archive).
import { $, ApiError, SENSITIVITY, TOPICS, announce, api, clear, confirmItIsYou, el, fill, problem, showError, when } from "./common.js";

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

const STATE_WORDS = {
  queued: "Waiting to start",
  running: "Being made",
  ready: "Ready to download (once)",
  downloaded: "Downloaded",
  expired: "Not downloaded in time: removed",
  failed: "Could not be made: ask again",
};

/**
 * @typedef {{ id: string, patient_name: string, conversation_id?: string, include_notes: boolean, state: string, done: number, total: number, size?: number, sha256?: string, requested_at: string, expires_at?: string }} Export
 * @param {Export[]} list
 */
function renderExports(list) {
  $("exports-none").hidden = list.length > 0;
  fill($("exports-list"), ...list.map((x) => {
    const what = `${x.conversation_id ? "One conversation" : "The record"} of ${x.patient_name}${x.include_notes ? ", with internal notes" : ""}`;
    const progress = x.state === "running" || x.state === "queued" ? ` (${x.done} of ${x.total || "?"} conversations)` : "";
    const facts = [`${STATE_WORDS[x.state] ?? x.state}${progress}`, `asked ${when(x.requested_at)}`];
    if (x.state === "ready" && x.expires_at) facts.push(`until ${when(x.expires_at)}`);
    const body = el("div", {}, el("p", { class: "item-head" }, el("strong", {}, what)), el("p", { class: "muted" }, facts.join(" · ")));
    if (x.sha256) body.append(el("p", { class: "muted small-print" }, `SHA-256 of the archive: ${x.sha256}`));
    if (x.state !== "ready") return el("li", {}, body);
    const button = el("button", { type: "button", class: "secondary small" }, `Download the export of ${x.patient_name}`);
    button.addEventListener("click", () => download(x, button));
    return el("li", {}, body, button);
  }));
}

let polling = 0;
async function loadExports() {
  const list = (await api("GET", "/api/v1/practice/exports")).exports;
  renderExports(list);
  window.clearTimeout(polling);
  if (list.some((/** @type {Export} */ x) => x.state === "queued" || x.state === "running")) {
    polling = window.setTimeout(() => loadExports().catch((e) => showError($("exports-error"), problem(e))), 1500);
  }
}

/** The archive, once: fetched (confirming who it is if the server asks), then saved by the browser. */
async function download(/** @type {Export} */ x, /** @type {HTMLElement} */ button) {
  showError($("exports-error"), "");
  button.setAttribute("disabled", "");
  const path = `/api/v1/practice/exports/${x.id}/download`;
  try {
    let res = await fetch(path, { credentials: "same-origin" });
    if (res.status === 403) {
      const e = await res.json().catch(() => null);
      if (e?.error?.code === "reauthentication_required" && await confirmItIsYou(e.error.message)) {
        res = await fetch(path, { credentials: "same-origin" });
      }
    }
    if (!res.ok) {
      const e = await res.json().catch(() => null);
      throw new ApiError(res.status, e?.error?.code ?? "error", e?.error?.message ?? "The export could not be downloaded.");
    }
    const url = URL.createObjectURL(await res.blob());
    const a = el("a", { href: url, download: `record-${x.id}.zip`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
    announce("The export is downloaded. It cannot be downloaded again.");
  } catch (e) {
    showError($("exports-error"), problem(e));
  }
  await loadExports();
}

async function makeExport(event) {
  event.preventDefault();
  showError($("export-error"), "");
  if (!state.patient) {
    showError($("export-error"), "Find and choose the patient first.");
    $("hold-find").focus();
    return;
  }
  try {
    await api("POST", "/api/v1/practice/exports", { patient_id: state.patient.id, include_notes: /** @type {HTMLInputElement} */ ($("export-notes")).checked });
    $("export-status").textContent = `Asked for ${state.patient.name}'s record. It is listed under Exports.`;
    announce(`The export of ${state.patient.name}'s record has started`);
    await loadExports();
  } catch (e) {
    showError($("export-error"), problem(e));
  }
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
    loadExports(),
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
  $("export-form").addEventListener("submit", makeExport);
  $("periods-form").addEventListener("submit", savePeriods);
}
