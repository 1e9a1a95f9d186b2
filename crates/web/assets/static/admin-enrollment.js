// @ts-check
// Practice setup, enrollment: how far enrollment has come, who patient
// messaging is on for (everyone, or chosen groups first: the soft launch),
// and the messaging terms patients accept (published in versions; every
// version is kept). Administrators only; admin.js starts it with
// `showEnrollment`.
import { $, announce, api, clear, el, fullWhen, problem, showError } from "./common.js";
import { termsText } from "./patient-terms.js";

/** @typedef {import("./common.js").Practice} Practice */
/** @typedef {import("./common.js").StaffMember} StaffMember */
/** @typedef {import("./patient-terms.js").Terms} Terms */

/**
 * @typedef {object} Rollout
 * @property {"everyone" | "cohorts"} mode
 * @property {string[]} department_ids
 * @property {string[]} provider_ids
 * @property {string[]} patient_ids
 *
 * @typedef {object} Summary
 * @property {number} patients
 * @property {number} open_to
 * @property {number} enrolled
 * @property {number} on_current_terms
 * @property {number} on_earlier_terms
 * @property {number} never_accepted
 * @property {number} current_version
 */

const state = {
  /** @type {Practice | null} */
  practice: null,
  /** @type {StaffMember[]} */
  providers: [],
  /** @type {Rollout | null} */
  rollout: null,
  /** @type {Terms[]} */
  terms: [],
};

/** "1 patient", "3 patients". */
function patients(n) {
  return `${n} ${n === 1 ? "patient" : "patients"}`;
}

async function loadSummary() {
  /** @type {Summary} */
  const s = await api("GET", "/api/v1/practice/enrollment");
  const earlier = s.on_earlier_terms + s.never_accepted;
  clear($("enrollment-summary")).append(
    el("li", {}, el("strong", {}, `${s.enrolled} of ${patients(s.patients)}`), " enrolled."),
    el("li", {}, state.rollout?.mode === "cohorts"
      ? [el("strong", {}, `${s.open_to} of ${patients(s.patients)}`), " in the groups messaging is on for."]
      : "Messaging is on for every patient."),
    el("li", {}, `${s.on_current_terms} enrolled ${s.on_current_terms === 1 ? "has" : "have"} accepted the terms in force (version ${s.current_version})`,
      earlier ? `; ${earlier} will be asked to accept them before they next write.` : "."),
  );
}

// ---- The soft launch -------------------------------------------------------

/** A checkbox per item, checked where `chosen` has its id. */
function checks(name, items, chosen) {
  return items.map((item) => {
    const id = `${name}-${item.id}`;
    return el("div", { class: "check" },
      el("input", { id, type: "checkbox", name, value: item.id, checked: chosen.includes(item.id) }),
      el("label", { for: id }, item.name));
  });
}

function renderRollout() {
  const r = state.rollout;
  const cohorts = r.mode === "cohorts";
  $("rollout-everyone").checked = !cohorts;
  $("rollout-cohorts").checked = cohorts;
  clear($("rollout-departments")).append(
    el("legend", {}, "Departments"),
    ...checks("rollout-department", state.practice.departments, r.department_ids));
  clear($("rollout-providers")).append(
    el("legend", {}, "Providers' patients"),
    el("p", { class: "hint" }, "Patients whose care team the provider leads."),
    ...checks("rollout-provider", state.providers.map((p) => ({ id: p.id, name: p.display_name })), r.provider_ids));
  $("rollout-listed").textContent = r.patient_ids.length
    ? `${patients(r.patient_ids.length)} added one by one, on their page under People and accounts.`
    : "Patients can also be added one by one, on their page under People and accounts.";
  $("rollout-groups").hidden = !cohorts;
}

function chosen(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => /** @type {HTMLInputElement} */ (i).value);
}

async function saveRollout(event) {
  event.preventDefault();
  $("rollout-error").hidden = true;
  const body = {
    mode: $("rollout-cohorts").checked ? "cohorts" : "everyone",
    department_ids: chosen("rollout-department"),
    provider_ids: chosen("rollout-provider"),
    // Those added one by one stay on the list.
    patient_ids: state.rollout.patient_ids,
  };
  try {
    state.rollout = await api("PUT", "/api/v1/practice/rollout", body);
    renderRollout();
    await loadSummary();
    $("rollout-status").textContent = "Saved.";
    announce(body.mode === "everyone" ? "Messaging is on for every patient" : "Messaging is on for the chosen groups");
  } catch (e) {
    showError($("rollout-error"), problem(e));
  }
}

// ---- The messaging terms ---------------------------------------------------

function publishedLine(t) {
  return `Version ${t.version}, published ${fullWhen(t.published_at)}${t.published_by ? ` by ${t.published_by}` : " (the standard wording every practice starts with)"}.`;
}

function renderTerms() {
  const [current, ...earlier] = state.terms;
  clear($("terms-current")).append(
    termsText(current.text),
    el("p", { class: "hint" }, publishedLine(current)));
  clear($("terms-earlier")).append(...earlier.map((t) =>
    el("details", {}, el("summary", {}, `Version ${t.version}`), termsText(t.text), el("p", { class: "hint" }, publishedLine(t)))));
  $("terms-earlier").hidden = earlier.length === 0;
}

function openTermsForm() {
  const box = /** @type {HTMLTextAreaElement} */ ($("terms-new"));
  box.value = state.terms[0].text;
  $("terms-form").hidden = false;
  $("terms-confirm").hidden = true;
  $("terms-edit").hidden = true;
  box.focus();
}

function closeTermsForm() {
  $("terms-form").hidden = true;
  $("terms-edit").hidden = false;
  $("terms-error").hidden = true;
  $("terms-edit").focus();
}

/** First "Publish" asks to confirm what it does to enrolled patients. */
function askToPublish(event) {
  event.preventDefault();
  $("terms-error").hidden = true;
  const text = /** @type {HTMLTextAreaElement} */ ($("terms-new")).value.trim();
  if (text === state.terms[0].text) {
    showError($("terms-error"), "These are the terms in force. Change them to publish a new version.");
    return;
  }
  $("terms-confirm-text").textContent = `Publish these as version ${state.terms[0].version + 1}? Every enrolled patient will be shown them and asked to accept them before they send their next message. Invitations show them from now on.`;
  $("terms-confirm").hidden = false;
  $("terms-publish").focus();
}

async function publish() {
  const text = /** @type {HTMLTextAreaElement} */ ($("terms-new")).value;
  try {
    await api("POST", "/api/v1/practice/messaging-terms", { text });
    state.terms = await api("GET", "/api/v1/practice/messaging-terms");
    renderTerms();
    await loadSummary();
    closeTermsForm();
    announce(`Version ${state.terms[0].version} of the messaging terms published`);
  } catch (e) {
    $("terms-confirm").hidden = true;
    showError($("terms-error"), problem(e));
  }
}

/**
 * Shows the section (administrators only).
 * @param {Practice} practice
 * @param {StaffMember[]} staff
 */
export async function showEnrollment(practice, staff) {
  state.practice = practice;
  state.providers = staff.filter((s) => s.role === "provider");
  $("enrollment").hidden = false;
  $("enrollment-nav").hidden = false;
  $("rollout-form").addEventListener("submit", saveRollout);
  for (const id of ["rollout-everyone", "rollout-cohorts"]) {
    $(id).addEventListener("change", () => ($("rollout-groups").hidden = !$("rollout-cohorts").checked));
  }
  $("terms-edit").addEventListener("click", openTermsForm);
  $("terms-cancel").addEventListener("click", closeTermsForm);
  $("terms-form").addEventListener("submit", askToPublish);
  $("terms-publish").addEventListener("click", publish);
  $("terms-keep").addEventListener("click", () => ($("terms-confirm").hidden = true));
  [state.rollout, state.terms] = await Promise.all([
    api("GET", "/api/v1/practice/rollout"),
    api("GET", "/api/v1/practice/messaging-terms"),
  ]);
  renderRollout();
  renderTerms();
  await loadSummary();
}
