// @ts-check
// Practice setup: each staff member's availability and time away, and
// where their alerts reach them outside the inbox (this browser, their
// mobile); the practice's quick replies, and (changed by practice administrators, seen
// by all staff) the routing rules and pools that decide who gets each new
// message, and the office hours, closures, response-time targets and
// automatic replies that decide when each reply is due (in admin-hours.js),
// and who is on call to be paged about urgent messages (admin-oncall.js);
// for administrators, how patients are told of replies until they choose,
// and the outbox of what no channel could send.
import { documentsPoolsChanged, showDocumentsRouting } from "./admin-documents.js";
import { showEnrollment } from "./admin-enrollment.js";
import { showEhrClients } from "./admin-ehr.js";
import { showSignInSecurity } from "./admin-security.js";
import { message, showResponseTimes } from "./admin-hours.js";
import { showOnCall } from "./admin-oncall.js";
import { showSensitivity } from "./admin-sensitivity.js";
import {
  $, ApiError, MEDIUM_NAMES, NOTICE_KIND_WORDS, NO_CONVERSATIONS, PushProblem, TOPICS, announce, api, civilDate, clear, el, options,
  pushOnHere, pushSupported, runStaffPage, showError, staffLinksFor, topicLabel, turnOffPush, turnOnPush, zoneName,
} from "./common.js";
import { showSessions } from "./sessions.js";

const PLACEHOLDERS = ["patient_first_name", "provider_name", "practice_phone", "scheduling_link", "office_hours", "my_name"];

const TARGETS = [
  ["pool", "A pool"],
  ["person", "A person"],
  ["patient_care_team", "The patient's care team"],
  ["program_staff", "The staff of the patient's monitoring program"],
  ["addressed_provider", "The provider the patient wrote to"],
];

/** Where a target sends a message, for targets that are not a named person or pool. */
const TARGET_WORDS = {
  patient_care_team: "the patient's care team",
  program_staff: "the staff of the patient's monitoring program",
  addressed_provider: "the provider the patient wrote to (if they take direct messages)",
};

/** @typedef {import("./common.js").Me} Me */
/** @typedef {import("./common.js").Practice} Practice */
/** @typedef {import("./common.js").StaffMember} StaffMember */
/** @typedef {import("./common.js").NotificationChoices} NotificationChoices */
/** @typedef {import("./common.js").Medium} Medium */

/**
 * What found no channel (`OutboxItemDto`): the notice's words and where it was for.
 * @typedef {{ id: string, medium: Medium, kind: string, to: string, subject: string, text: string, created_at: string }} OutboxItem
 */

/** @typedef {{ capacity: number, accepts_direct_messages: boolean }} StaffSettings `StaffSettingsDto` */
/** @typedef {{ id: string, starts_at: string, ends_at: string, cover_id: string | null }} Absence `AbsenceDto` */

/**
 * A quick reply (`TemplateDto`).
 * @typedef {object} Template
 * @property {string} id
 * @property {string} name
 * @property {string} body
 * @property {string} owner_id
 * @property {string} owner_name
 * @property {string} review_by
 * @property {number} usage_count
 * @property {boolean} stale
 */

/**
 * A routing rule (`RuleDto`); the server adds `described`, `target_name` and `never_used`.
 * @typedef {object} Rule
 * @property {string} name
 * @property {string | null} [topic]
 * @property {string | null} [department_id]
 * @property {boolean} [provider_direct]
 * @property {string} target
 * @property {string | null} [target_id]
 * @property {string | null} [described]
 * @property {string | null} [target_name]
 * @property {boolean} [never_used]
 */

/**
 * A pool (`PoolDto`).
 * @typedef {object} Pool
 * @property {string} id
 * @property {string} name
 * @property {string | null} lead_id
 * @property {string[]} members
 * @property {boolean} auto_assign
 */

const state = {
  /** @type {Me | null} */
  me: null,
  admin: false,
  /** @type {Practice | null} */
  practice: null,
  /** @type {StaffMember[]} */
  staff: [],
  /** @type {StaffSettings | null} */
  settings: null,
  /** @type {Absence[]} */
  absences: [],
  /** @type {Template[]} */
  templates: [],
  staleCount: 0,
  /** @type {Template | null} */
  editingTemplate: null,
  /** @type {Rule[]} */
  rules: [],
  rulesDirty: false,
  /** The rule whose editor is open. @type {Rule | null} */
  openRule: null,
  /** @type {Pool[]} */
  pools: [],
  /** @type {Pool | null} */
  editingPool: null,
  /** The signed-in colleague's own notification choices. @type {NotificationChoices | null} */
  alertChoices: null,
  /** Whether their alerts come to this browser. */
  pushHere: false,
};

/** Every medium, in the order choices are listed and saved. @type {Medium[]} */
const MEDIA = ["email", "sms", "push"];

const DATE_TIME = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

/** The name of a colleague (or of the signed-in user) by id. */
function personName(id) {
  if (!id) return null;
  if (state.me && id === state.me.id) return state.me.display_name;
  return state.staff.find((s) => s.id === id)?.display_name ?? "a former colleague";
}

function poolName(id) {
  return state.pools.find((p) => p.id === id)?.name ?? null;
}

// ---- My availability -------------------------------------------------------

function renderSettings() {
  $("capacity").value = String(state.settings.capacity);
  $("accepts-direct").checked = state.settings.accepts_direct_messages;
  $("direct-row").hidden = state.me.role !== "provider";
}

async function saveSettings(e) {
  e.preventDefault();
  const error = $("settings-error");
  showError(error, "");
  $("settings-status").textContent = "";
  const raw = $("capacity").value.trim();
  const capacity = Number(raw);
  if (raw === "" || !Number.isInteger(capacity) || capacity < 0 || capacity > 500) {
    showError(error, "Enter a whole number from 0 to 500.");
    $("capacity").focus();
    return;
  }
  const body = { capacity, accepts_direct_messages: state.me.role === "provider" ? $("accepts-direct").checked : state.settings.accepts_direct_messages };
  try {
    await api("PUT", "/api/v1/me/settings", body);
    state.settings = body;
    $("settings-status").textContent = "Saved.";
    announce("Availability saved");
  } catch (err) {
    showError(error, message(err));
  }
}

function renderAbsences() {
  const list = clear($("absences"));
  const now = Date.now();
  for (const a of state.absences) {
    const start = new Date(a.starts_at);
    const end = new Date(a.ends_at);
    const range = `${DATE_TIME.format(start)} – ${DATE_TIME.format(end)}`;
    const current = start.getTime() <= now && now < end.getTime();
    list.append(el("li", { class: "absence" },
      el("span", { class: "grow" },
        current ? el("span", { class: "tag stale" }, "Away now") : null, current ? " " : null,
        el("strong", {}, range),
        el("span", { class: "muted" }, a.cover_id ? ` · Covered by ${personName(a.cover_id)}` : " · No cover: work stays with its pool or team")),
      el("button", { type: "button", class: "secondary small", onclick: () => cancelAbsence(a, range) },
        "Cancel", el("span", { class: "visually-hidden" }, ` time away ${range}`))));
  }
  $("absences-empty").hidden = state.absences.length > 0;
}

async function loadAbsences() {
  state.absences = await api("GET", "/api/v1/me/absences");
  state.absences.sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1));
  renderAbsences();
}

async function recordAbsence(e) {
  e.preventDefault();
  const error = $("absence-error");
  showError(error, "");
  const startValue = $("absence-start").value;
  const endValue = $("absence-end").value;
  if (!startValue || !endValue) {
    showError(error, "Enter when you leave and when you are back.");
    $(startValue ? "absence-end" : "absence-start").focus();
    return;
  }
  const start = new Date(startValue);
  const end = new Date(endValue);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    showError(error, "Enter the dates and times in full.");
    return;
  }
  if (end <= start) {
    showError(error, "The time you are back must be after the time you leave.");
    $("absence-end").focus();
    return;
  }
  const body = { starts_at: start.toISOString(), ends_at: end.toISOString() };
  if ($("absence-cover").value) body.cover_id = $("absence-cover").value;
  try {
    await api("POST", "/api/v1/me/absences", body);
    $("absence-form").reset();
    await loadAbsences();
    announce(body.cover_id ? `Time away recorded; ${personName(body.cover_id)} covers` : "Time away recorded");
  } catch (err) {
    showError(error, message(err));
  }
}

async function cancelAbsence(a, range) {
  const error = $("absence-error");
  showError(error, "");
  try {
    await api("DELETE", `/api/v1/me/absences/${a.id}`);
    await loadAbsences();
    announce(`Time away ${range} cancelled`);
    $("absence-start").focus();
  } catch (err) {
    showError(error, message(err));
  }
}

// ---- Quick replies -----------------------------------------------------------

function canEditTemplate(t) {
  return state.admin || t.owner_id === state.me.id;
}

function templateNode(t) {
  const editable = canEditTemplate(t);
  return el("li", { class: `item${t.stale ? " is-stale" : ""}`, dataset: { id: t.id } },
    el("div", { class: "item-head" },
      el("h3", {}, t.name),
      t.stale ? el("span", { class: "tag stale" }, "Needs review") : null),
    el("p", { class: "template-body" }, t.body),
    el("p", { class: "meta" },
      t.stale ? el("strong", { class: "due" }, `Review was due ${civilDate(t.review_by)}`) : `Review by ${civilDate(t.review_by)}`,
      ` · Used ${t.usage_count} ${t.usage_count === 1 ? "time" : "times"} · Owner: ${t.owner_name}`),
    editable
      ? el("button", { type: "button", class: "secondary small", onclick: () => openTemplateForm(t) },
        "Edit", el("span", { class: "visually-hidden" }, ` ${t.name}`))
      : el("p", { class: "hint" }, `Only ${t.owner_name} (its owner) or an administrator can change it.`));
}

function renderTemplates() {
  const list = clear($("templates"));
  list.append(...state.templates.map(templateNode));
  const empty = $("templates-empty");
  empty.hidden = state.templates.length > 0;
  const searching = $("template-search").value.trim() !== "";
  empty.textContent = $("template-stale").checked && !searching
    ? "No quick replies need review."
    : searching ? "No quick replies match your search." : "No quick replies yet.";
  const n = state.staleCount;
  $("stale-count").textContent = n === 0
    ? "All quick replies are up to date."
    : `${n} quick ${n === 1 ? "reply needs" : "replies need"} review.`;
  $("stale-count").classList.toggle("has-stale", n > 0);
}

let templateQuery = 0;
async function loadTemplates() {
  const mine = ++templateQuery;
  const params = new URLSearchParams();
  const q = $("template-search").value.trim();
  if (q) params.set("q", q);
  params.set("stale", $("template-stale").checked ? "true" : "false");
  const [list, stale] = await Promise.all([
    api("GET", `/api/v1/templates?${params}`),
    api("GET", "/api/v1/templates?stale=true"),
  ]);
  if (mine !== templateQuery) return; // a newer search is under way
  state.templates = list;
  state.staleCount = stale.length;
  renderTemplates();
}

let searchTimer = null;
function searchSoon() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => loadTemplates().catch((e) => showError($("template-error"), message(e))), 250);
}

function openTemplateForm(t) {
  state.editingTemplate = t ?? null;
  const form = $("template-form");
  form.hidden = false;
  showError($("template-error"), "");
  $("template-form-title").textContent = t ? `Edit “${t.name}”` : "New quick reply";
  $("template-name").value = t ? t.name : "";
  $("template-body").value = t ? t.body : "";
  if (t) {
    $("template-review").value = t.review_by;
  } else {
    const next = new Date();
    next.setFullYear(next.getFullYear() + 1);
    $("template-review").value = `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, "0")}-${String(next.getDate()).padStart(2, "0")}`;
  }
  const ownerRow = $("template-owner-row");
  ownerRow.hidden = !(t && state.admin);
  if (t && state.admin) {
    const people = new Map([[state.me.id, state.me.display_name], [t.owner_id, t.owner_name]]);
    for (const s of state.staff) people.set(s.id, s.display_name);
    options($("template-owner"), [...people], t.owner_id);
  }
  $("new-template").hidden = true;
  $("template-name").focus();
  form.scrollIntoView({ block: "nearest" });
}

function closeTemplateForm() {
  $("template-form").hidden = true;
  $("new-template").hidden = false;
  const t = state.editingTemplate;
  state.editingTemplate = null;
  const back = t && $("templates").querySelector(`li[data-id="${t.id}"] button`);
  (back || $("new-template")).focus();
}

async function saveTemplate(e) {
  e.preventDefault();
  const error = $("template-error");
  showError(error, "");
  const body = { name: $("template-name").value.trim(), body: $("template-body").value, review_by: $("template-review").value };
  const problem = !body.name ? ["template-name", "Give the quick reply a name."]
    : !body.body.trim() ? ["template-body", "Write the text of the quick reply."]
      : !/^\d{4}-\d{2}-\d{2}$/.test(body.review_by) ? ["template-review", "Choose a review-by date."] : null;
  if (problem) {
    showError(error, problem[1]);
    $(problem[0]).focus();
    return;
  }
  const t = state.editingTemplate;
  try {
    if (t) {
      if (state.admin && $("template-owner").value && $("template-owner").value !== t.owner_id) body.owner_id = $("template-owner").value;
      await api("PUT", `/api/v1/templates/${t.id}`, body);
    } else {
      await api("POST", "/api/v1/templates", body);
    }
  } catch (err) {
    showError(error, err instanceof ApiError && err.status === 404
      ? "Only its owner or an administrator may change this quick reply."
      : message(err));
    return;
  }
  await loadTemplates();
  announce(t ? `Quick reply “${body.name}” saved` : `Quick reply “${body.name}” added`);
  closeTemplateForm();
}

function insertPlaceholder(name) {
  const box = $("template-body");
  const text = `{${name}}`;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.setRangeText(text, start, end, "end");
  box.focus();
  announce(`Inserted ${text}`);
}

// ---- Routing rules -------------------------------------------------------------

function departmentName(id) {
  return state.practice.departments.find((d) => d.id === id)?.name ?? "a department";
}

/** The condition in words, as the server words it. */
function describe(r) {
  if (r.described) return r.described;
  const parts = [];
  if (r.topic) parts.push(`topic is “${topicLabel(r.topic)}”`);
  if (r.department_id) parts.push(`patient is in ${departmentName(r.department_id)}`);
  if (r.provider_direct) parts.push("the patient wrote to a provider directly");
  return parts.length ? parts.join(" and ") : "every message";
}

function targetWords(r) {
  if (r.target === "person") {
    return state.staff.find((s) => s.id === r.target_id)?.display_name ?? r.target_name ?? personName(r.target_id) ?? "a person";
  }
  if (r.target === "pool") return poolName(r.target_id) ?? r.target_name ?? "a pool";
  return TARGET_WORDS[r.target] ?? r.target;
}

function ruleSummary(r) {
  const condition = describe(r);
  return [
    el("strong", { class: "rule-name" }, r.name || "Unnamed rule"),
    ` — ${condition === "every message" ? "every message" : `when ${condition}`} → `,
    el("span", { class: "rule-target" }, targetWords(r)),
  ];
}

function changed(r) {
  r.described = null;
  r.target_name = null;
  if (!state.rulesDirty) {
    state.rulesDirty = true;
    renderRulesActions();
  }
}

function ruleEditor(r, i) {
  const id = (name) => `rule-${i}-${name}`;
  const summary = () => {
    const node = $(id("summary"));
    if (node) clear(node).append(...ruleSummary(r));
  };
  const name = el("input", { id: id("name"), type: "text", value: r.name, maxlength: 200, autocomplete: "off" });
  name.addEventListener("input", () => {
    r.name = name.value;
    changed(r);
    summary();
  });
  const topic = el("select", { id: id("topic") });
  options(topic, [["", "Any topic"], ...TOPICS], r.topic);
  topic.addEventListener("change", () => {
    r.topic = topic.value || null;
    changed(r);
    summary();
  });
  const dept = el("select", { id: id("department") });
  options(dept, [["", "Any department"], ...state.practice.departments.map((d) => [d.id, d.name])], r.department_id);
  dept.addEventListener("change", () => {
    r.department_id = dept.value || null;
    changed(r);
    summary();
  });
  const direct = el("input", { id: id("direct"), type: "checkbox", checked: r.provider_direct });
  direct.addEventListener("change", () => {
    r.provider_direct = direct.checked;
    changed(r);
    summary();
  });
  const target = el("select", { id: id("target") });
  options(target, TARGETS, r.target);
  const whoLabel = el("label", { for: id("target-id") });
  const who = el("select", { id: id("target-id") });
  const whoRow = el("div", {}, whoLabel, who);
  const fillWho = () => {
    whoRow.hidden = r.target !== "person" && r.target !== "pool";
    const choices = r.target === "person" ? state.staff.map((s) => [s.id, s.display_name])
      : r.target === "pool" ? state.pools.map((p) => [p.id, p.name]) : [];
    // Keep a target that is no longer listed rather than quietly replacing it.
    if (r.target_id && !choices.some(([id]) => id === r.target_id)) choices.unshift([r.target_id, targetWords(r)]);
    whoLabel.textContent = r.target === "person" ? "Person" : "Pool";
    options(who, choices, r.target_id);
    if (!whoRow.hidden && !r.target_id) r.target_id = who.value || null;
  };
  fillWho();
  target.addEventListener("change", () => {
    r.target = target.value;
    r.target_id = null;
    fillWho();
    changed(r);
    summary();
  });
  who.addEventListener("change", () => {
    r.target_id = who.value || null;
    changed(r);
    summary();
  });
  return el("fieldset", { class: "rule-editor" },
    el("legend", {}, `Rule ${i + 1}`),
    el("label", { for: id("name") }, "Name"), name,
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: id("topic") }, "When the topic is"), topic),
      el("div", {}, el("label", { for: id("department") }, "And the patient's department is"), dept)),
    el("div", { class: "check" }, direct, el("label", { for: id("direct") }, "Only messages written to a provider")),
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: id("target") }, "Send to"), target),
      whoRow),
    el("button", { type: "button", class: "secondary small", onclick: () => toggleRule(r, i, "edit") }, "Done"));
}

/**
 * The server's warning on a saved rule that never decides a message. It is
 * hidden while the list has unsaved changes (`.rules.changed`): it was worked
 * out for the rules as saved, and the server works it out again on saving.
 */
function neverUsedWarning(r) {
  if (!r.never_used) return null;
  return el("p", { class: "never-used" },
    el("strong", {}, "Never used: "),
    "the rules above it take every message it would match.",
    state.admin ? " Move it up or remove it." : null);
}

/** "2 rules are never used: …", for `n` (at least 1) saved rules that never decide a message. */
function neverUsedSummary(n) {
  const one = n === 1;
  const them = one ? "it" : "them";
  return `${one ? "1 rule is" : `${n} rules are`} never used: the rules above ${them} take every message ${one ? "it" : "they"} would match.`
    + `${state.admin ? ` Move ${them} up or remove ${them}.` : ""} ${one ? "It is" : "Each is"} marked “Never used” below.`;
}

/** The summary above the list, while the saved rules have some that never decide a message. */
function renderNeverUsed() {
  const n = state.rules.filter((r) => r.never_used).length;
  const node = $("rules-never-used");
  $("rules").classList.toggle("changed", state.rulesDirty);
  node.hidden = n === 0;
  node.textContent = n === 0 ? ""
    : state.rulesDirty ? "Which rules are never used is checked again when you save." : neverUsedSummary(n);
}

function ruleNode(r, i, count) {
  const label = r.name || `rule ${i + 1}`;
  const hidden = (text) => el("span", { class: "visually-hidden" }, text);
  const editing = state.openRule === r;
  return el("li", { class: `rule${editing ? " editing" : ""}` },
    el("p", { class: "rule-summary", id: `rule-${i}-summary` }, ruleSummary(r)),
    neverUsedWarning(r),
    state.admin
      ? el("div", { class: "rule-controls" },
        el("button", { type: "button", class: "secondary small", "aria-expanded": editing ? "true" : "false", dataset: { act: "edit" }, onclick: () => toggleRule(r, i, "edit") },
          editing ? "Close" : "Edit", hidden(` “${label}”`)),
        el("button", { type: "button", class: "secondary small", disabled: i === 0, dataset: { act: "up" }, onclick: () => moveRule(i, -1) },
          "Up", hidden(` (move “${label}” up)`)),
        el("button", { type: "button", class: "secondary small", disabled: i === count - 1, dataset: { act: "down" }, onclick: () => moveRule(i, 1) },
          "Down", hidden(` (move “${label}” down)`)),
        el("button", { type: "button", class: "link", dataset: { act: "delete" }, onclick: () => deleteRule(i) },
          "Delete", hidden(` “${label}”`)))
      : null,
    editing ? ruleEditor(r, i) : null);
}

function renderRules(focus) {
  const list = clear($("rules"));
  list.append(...state.rules.map((r, i) => ruleNode(r, i, state.rules.length)));
  if (state.rules.length === 0) list.append(el("li", { class: "muted" }, "No rules: add one that catches every message."));
  renderRulesActions();
  if (focus) {
    const [index, act] = focus;
    const item = list.children[Math.min(index, list.children.length - 1)];
    // The same button if it still works; at the top or bottom, the other move.
    const other = { up: "down", down: "up" }[act];
    const button = item?.querySelector(`button[data-act="${act}"]:not(:disabled)`)
      ?? item?.querySelector(`button[data-act="${other}"]:not(:disabled)`) ?? item?.querySelector("button:not(:disabled)");
    (button ?? $("add-rule")).focus();
  }
}

function renderRulesActions() {
  renderNeverUsed();
  $("rules-actions").hidden = !state.admin;
  $("rules-readonly").hidden = state.admin;
  $("rules-dirty").hidden = !state.rulesDirty;
  $("discard-rules").hidden = !state.rulesDirty;
}

function toggleRule(r, i, act) {
  state.openRule = state.openRule === r ? null : r;
  renderRules();
  if (state.openRule) $(`rule-${i}-name`)?.focus();
  else $("rules").children[i]?.querySelector(`button[data-act="${act}"]`)?.focus();
}

function moveRule(i, delta) {
  const j = i + delta;
  if (j < 0 || j >= state.rules.length) return;
  const [r] = state.rules.splice(i, 1);
  state.rules.splice(j, 0, r);
  state.rulesDirty = true;
  renderRules([j, delta < 0 ? "up" : "down"]);
  announce(`“${r.name}” is now rule ${j + 1} of ${state.rules.length}`);
}

function deleteRule(i) {
  const [r] = state.rules.splice(i, 1);
  if (state.openRule === r) state.openRule = null;
  state.rulesDirty = true;
  renderRules([i, "delete"]);
  announce(`Rule “${r.name}” removed. Save rules to keep this change.`);
}

function addRule() {
  const r = { name: "New rule", topic: null, department_id: null, provider_direct: false, target: "pool", target_id: state.pools[0]?.id ?? null };
  state.rules.push(r);
  state.openRule = r;
  state.rulesDirty = true;
  renderRules();
  $(`rule-${state.rules.length - 1}-name`)?.select();
}

async function loadRules() {
  const data = await api("GET", "/api/v1/routing-rules");
  state.rules = data.rules;
  state.rulesDirty = false;
  state.openRule = null;
  showError($("rules-error"), "");
  renderRules();
}

async function saveRules() {
  const error = $("rules-error");
  showError(error, "");
  const missing = state.rules.findIndex((r) => (r.target === "person" || r.target === "pool") && !r.target_id);
  if (missing >= 0) {
    showError(error, `Rule ${missing + 1} needs a ${state.rules[missing].target} to send messages to.`);
    return;
  }
  const unnamed = state.rules.findIndex((r) => !r.name.trim());
  if (unnamed >= 0) {
    showError(error, `Rule ${unnamed + 1} needs a name.`);
    return;
  }
  const rules = state.rules.map((r) => ({
    name: r.name.trim(),
    topic: r.topic || null,
    department_id: r.department_id || null,
    provider_direct: Boolean(r.provider_direct),
    target: r.target,
    target_id: r.target === "person" || r.target === "pool" ? r.target_id : null,
  }));
  const button = $("save-rules");
  button.disabled = true;
  try {
    await api("PUT", "/api/v1/routing-rules", { rules });
  } catch (err) {
    const text = err instanceof ApiError && err.status === 422
      ? `Not saved: ${err.message}.`
      : message(err);
    showError(error, text);
    error.scrollIntoView({ block: "nearest" });
    return;
  } finally {
    button.disabled = false;
  }
  await loadRules();
  const unused = state.rules.filter((r) => r.never_used).length;
  announce(unused ? `Routing rules saved. ${neverUsedSummary(unused)}` : "Routing rules saved");
}

// ---- Pools -------------------------------------------------------------------

function poolNode(p) {
  const members = p.members.map(personName);
  return el("li", { class: "item", dataset: { id: p.id } },
    el("div", { class: "item-head" }, el("h3", {}, p.name),
      el("span", { class: "tag" }, p.auto_assign ? "Automatic" : "Lead assigns")),
    el("dl", { class: "facts" },
      el("dt", {}, "Lead"), el("dd", {}, personName(p.lead_id) ?? "None"),
      el("dt", {}, "Members"), el("dd", {}, members.length ? members.join(", ") : "None yet"),
      el("dt", {}, "New work"), el("dd", {}, p.auto_assign
        ? "Assigns automatically to the least-busy available member"
        : "The lead hands out work")),
    state.admin
      ? el("button", { type: "button", class: "secondary small", onclick: () => openPoolForm(p) },
        "Edit", el("span", { class: "visually-hidden" }, ` pool ${p.name}`))
      : null);
}

function renderPools() {
  clear($("pool-list")).append(...state.pools.map(poolNode));
  if (state.pools.length === 0) $("pool-list").append(el("li", { class: "muted" }, "No pools yet."));
  $("new-pool").hidden = !state.admin || !$("pool-form").hidden;
}

async function loadPools() {
  state.pools = await api("GET", "/api/v1/pools");
  renderPools();
  documentsPoolsChanged(state.pools);
}

function openPoolForm(p) {
  state.editingPool = p ?? null;
  $("pool-form").hidden = false;
  $("new-pool").hidden = true;
  showError($("pool-error"), "");
  $("pool-form-title").textContent = p ? `Edit pool “${p.name}”` : "New pool";
  $("pool-name").value = p ? p.name : "";
  const people = new Map(state.staff.map((s) => [s.id, s.display_name]));
  if (p?.lead_id && !people.has(p.lead_id)) people.set(p.lead_id, personName(p.lead_id));
  options($("pool-lead"), [["", "No lead"], ...people], p?.lead_id ?? "");
  const members = p ? p.members : [];
  clear($("pool-members")).append(...state.staff.map((s) => el("div", { class: "check" },
    el("input", { type: "checkbox", id: `pool-member-${s.id}`, value: s.id, checked: members.includes(s.id) }),
    el("label", { for: `pool-member-${s.id}` }, s.display_name))));
  $(p && !p.auto_assign ? "pool-lead-mode" : "pool-auto").checked = true;
  $("pool-name").focus();
  $("pool-form").scrollIntoView({ block: "nearest" });
}

function closePoolForm() {
  const p = state.editingPool;
  state.editingPool = null;
  $("pool-form").hidden = true;
  $("new-pool").hidden = !state.admin;
  const back = p && $("pool-list").querySelector(`li[data-id="${p.id}"] button`);
  (back || $("new-pool")).focus();
}

async function savePool(e) {
  e.preventDefault();
  const error = $("pool-error");
  showError(error, "");
  const name = $("pool-name").value.trim();
  if (!name) {
    showError(error, "Give the pool a name.");
    $("pool-name").focus();
    return;
  }
  // Keep the existing order of members (work goes round them in order).
  const checked = [...$("pool-members").querySelectorAll("input:checked")].map((c) => c.value);
  const before = state.editingPool?.members ?? [];
  const members = [...before.filter((m) => checked.includes(m)), ...checked.filter((m) => !before.includes(m))];
  const body = { name, lead_id: $("pool-lead").value || null, members, auto_assign: $("pool-auto").checked };
  const p = state.editingPool;
  try {
    if (p) await api("PUT", `/api/v1/pools/${p.id}`, body);
    else await api("POST", "/api/v1/pools", body);
  } catch (err) {
    showError(error, message(err));
    return;
  }
  await loadPools();
  if (!state.rulesDirty) await loadRules();
  else renderRules();
  announce(p ? `Pool “${name}” saved` : `Pool “${name}” added`);
  closePoolForm();
}

// ---- My alerts ---------------------------------------------------------------

async function renderPushStatus() {
  state.pushHere = await pushOnHere(state.me);
  const supported = pushSupported();
  $("alerts-push-status").textContent = !supported ? "This browser cannot show alerts from Switchboard."
    : state.pushHere ? "Alerts come to this browser, even when the inbox is closed." : "Alerts do not come to this browser.";
  $("alerts-push").hidden = !supported;
  $("alerts-push").textContent = state.pushHere ? "Turn off alerts in this browser" : "Turn on alerts in this browser";
}

/** Adds or removes one medium from the colleague's own choices, keeping the rest. */
async function setMedium(medium, on) {
  const now = state.alertChoices.effective_media;
  const media = MEDIA.filter((m) => (m === medium ? on : now.includes(m)));
  state.alertChoices = await api("PUT", "/api/v1/me/notification-choices", { media, quiet_hours: state.alertChoices.quiet_hours });
}

async function togglePush() {
  const button = $("alerts-push");
  const error = $("alerts-push-error");
  showError(error, "");
  button.disabled = true;
  try {
    if (state.pushHere) {
      await turnOffPush(state.me);
      announce("Alerts turned off in this browser");
    } else {
      await turnOnPush(state.me);
      // Alerts go by push unless the colleague chose otherwise earlier.
      if (!state.alertChoices.effective_media.includes("push")) await setMedium("push", true);
      announce("Alerts turned on in this browser");
    }
  } catch (e) {
    showError(error, e instanceof PushProblem ? e.message : message(e));
  } finally {
    button.disabled = false;
    await renderPushStatus();
  }
}

async function saveAlerts(e) {
  e.preventDefault();
  const error = $("alerts-error");
  showError(error, "");
  $("alerts-mobile").removeAttribute("aria-invalid");
  $("alerts-status").textContent = "";
  const sms = $("alerts-sms").checked;
  const mobile = $("alerts-mobile").value.trim();
  if (sms && !mobile) {
    showError(error, "Add your mobile number to get alerts by text message.");
    $("alerts-mobile").setAttribute("aria-invalid", "true");
    $("alerts-mobile").focus();
    return;
  }
  try {
    const saved = await api("PUT", "/api/v1/me/mobile", { mobile: mobile || null });
    $("alerts-mobile").value = saved.mobile ?? "";
    await setMedium("sms", sms);
  } catch (err) {
    showError(error, message(err));
    if (err instanceof ApiError && err.field === "mobile") {
      $("alerts-mobile").setAttribute("aria-invalid", "true");
      $("alerts-mobile").focus();
    }
    return;
  }
  $("alerts-sms").checked = state.alertChoices.effective_media.includes("sms");
  $("alerts-status").textContent = $("alerts-sms").checked ? "Saved: your alerts are texted to you too." : "Saved: your alerts are not texted.";
  announce("Text alerts saved");
}

async function loadAlerts() {
  const [choices, mine] = await Promise.all([api("GET", "/api/v1/me/notification-choices"), api("GET", "/api/v1/me/mobile")]);
  state.alertChoices = choices;
  $("alerts-sms").checked = choices.effective_media.includes("sms");
  $("alerts-mobile").value = mine.mobile ?? "";
  await renderPushStatus();
}

// ---- Patient notifications (administrators) -------------------------------------

/** @param {{ media: Medium[], quiet_hours: { from: string, to: string } | null }} d */
function renderDefaults(d) {
  for (const m of MEDIA) $(`defaults-${m}`).checked = d.media.includes(m);
  $("defaults-quiet").checked = Boolean(d.quiet_hours);
  $("defaults-quiet-from").value = d.quiet_hours?.from ?? "21:00";
  $("defaults-quiet-to").value = d.quiet_hours?.to ?? "08:00";
  $("defaults-times").hidden = !d.quiet_hours;
}

async function saveDefaults(e) {
  e.preventDefault();
  const error = $("defaults-error");
  showError(error, "");
  $("defaults-status").textContent = "";
  const quiet = $("defaults-quiet").checked;
  if (quiet && (!$("defaults-quiet-from").value || !$("defaults-quiet-to").value)) {
    showError(error, "Choose when quiet hours start and end.");
    $("defaults-quiet-from").focus();
    return;
  }
  const body = {
    media: MEDIA.filter((m) => $(`defaults-${m}`).checked),
    quiet_hours: quiet ? { from: $("defaults-quiet-from").value, to: $("defaults-quiet-to").value } : null,
  };
  try {
    renderDefaults(await api("PUT", "/api/v1/practice/notification-defaults", body));
  } catch (err) {
    showError(error, message(err));
    if (err instanceof ApiError && err.field === "quiet_hours") $("defaults-quiet-from").focus();
    return;
  }
  $("defaults-status").textContent = "Saved.";
  announce("Patient notification settings saved");
}

/** @param {OutboxItem} o */
function outboxItem(o) {
  return el("li", { class: "outbox-item" },
    el("p", { class: "outbox-head" },
      el("strong", {}, `${MEDIUM_NAMES[o.medium] ?? o.medium} to `, el("span", { class: "outbox-to" }, o.to)),
      el("span", { class: "muted" }, ` · ${NOTICE_KIND_WORDS[o.kind] ?? o.kind} · ${DATE_TIME.format(new Date(o.created_at))}`)),
    o.medium === "email" && o.subject ? el("p", { class: "outbox-subject" }, el("span", { class: "muted" }, "Subject: "), o.subject) : null,
    el("pre", { class: "outbox-text" }, o.text));
}

async function loadPatientNotifications() {
  /** @type {[{ media: Medium[], quiet_hours: { from: string, to: string } | null }, OutboxItem[]]} */
  const [defaults, outbox] = await Promise.all([api("GET", "/api/v1/practice/notification-defaults"), api("GET", "/api/v1/outbox")]);
  renderDefaults(defaults);
  $("outbox").hidden = outbox.length === 0;
  $("outbox-withheld").hidden = !outbox.some((o) => o.text.includes("[withheld]"));
  clear($("outbox-list")).append(...outbox.map(outboxItem));
}

// ---- Start -------------------------------------------------------------------

runStaffPage(async (me) => {
  state.me = me;
  state.admin = state.me.role === "practice_admin";
  // Administrators and compliance officers take no conversations, so they
  // have no capacity or cover to set.
  const takesWork = !NO_CONVERSATIONS.includes(state.me.role);
  $("availability").hidden = !takesWork;
  document.querySelector('.setup-nav a[href="#availability"]').parentElement.hidden = !takesWork;
  // The sections list links to the other pages of the practice's set-up, as the top bar does.
  const pages = staffLinksFor(state.me.role);
  $("analytics-nav").hidden = !pages.analytics;
  $("people-nav").hidden = !pages.people;
  const [practice, staff, settings, pools] = await Promise.all([
    api("GET", "/api/v1/practice"),
    api("GET", "/api/v1/staff"),
    api("GET", "/api/v1/me/settings"),
    api("GET", "/api/v1/pools"),
  ]);
  state.practice = practice;
  state.staff = staff;
  state.settings = settings;
  state.pools = pools;
  $("practice-name").textContent = practice.name;

  renderSettings();
  options($("absence-cover"), [["", "No cover"],
    ...staff.filter((s) => s.id !== state.me.id).map((s) => [s.id, s.display_name])], "");
  $("placeholders").append(...PLACEHOLDERS.map((p) =>
    el("button", { type: "button", class: "secondary small", onclick: () => insertPlaceholder(p) }, `{${p}}`)));
  renderPools();

  $("settings-form").addEventListener("submit", saveSettings);
  $("absence-form").addEventListener("submit", recordAbsence);
  $("template-search").addEventListener("input", searchSoon);
  $("template-stale").addEventListener("change", () => loadTemplates().catch((e) => showError($("template-error"), message(e))));
  $("new-template").addEventListener("click", () => openTemplateForm(null));
  $("template-cancel").addEventListener("click", closeTemplateForm);
  $("template-form").addEventListener("submit", saveTemplate);
  $("add-rule").addEventListener("click", addRule);
  $("save-rules").addEventListener("click", saveRules);
  $("discard-rules").addEventListener("click", async () => {
    await loadRules();
    announce("Changes to the routing rules discarded");
    $("add-rule").focus();
  });
  $("new-pool").addEventListener("click", () => openPoolForm(null));
  $("pool-cancel").addEventListener("click", closePoolForm);
  $("pool-form").addEventListener("submit", savePool);
  $("alerts-push").addEventListener("click", togglePush);
  $("alerts-form").addEventListener("submit", saveAlerts);
  $("defaults-form").addEventListener("submit", saveDefaults);
  $("defaults-quiet").addEventListener("change", () => ($("defaults-times").hidden = !$("defaults-quiet").checked));
  $("defaults-zone").textContent = ` (${zoneName(practice.time_zone)})`;
  $("patient-notifications").hidden = !state.admin;
  $("patient-notifications-nav").hidden = !state.admin;
  $("sensitivity").hidden = !state.admin;
  $("sensitivity-nav").hidden = !state.admin;
  window.addEventListener("beforeunload", (e) => {
    if (!state.rulesDirty) return;
    e.preventDefault();
    e.returnValue = true; // older browsers
  });

  await Promise.all([loadAbsences(), loadTemplates(), loadRules(),
    loadAlerts().catch((e) => showError($("alerts-error"), `Your alert settings could not be loaded. ${message(e)}`)),
    showSessions($("sessions")),
    state.admin ? loadPatientNotifications().catch((e) => showError($("defaults-error"), `Patient notification settings could not be loaded. ${message(e)}`)) : null,
    state.admin ? showEnrollment(practice, staff).catch((e) => showError($("rollout-error"), `Enrollment settings could not be loaded. ${message(e)}`)) : null,
    state.admin ? showSignInSecurity().catch((e) => showError($("second-factor-error"), `Sign-in security could not be loaded. ${message(e)}`)) : null,
    state.admin ? showEhrClients().catch((e) => showError($("ehr-list-error"), `EHR connections could not be loaded. ${message(e)}`)) : null,
    state.admin ? showSensitivity().catch((e) => showError($("sensitivity-error"), `Who reads sensitive records could not be loaded. ${message(e)}`)) : null,
    showResponseTimes(state.admin, practice).catch((e) => showError($("response-error"), `Response times could not be loaded. ${message(e)}`)),
    showOnCall(state.admin, practice, staff).catch((e) => showError($("on-call-error"), `The on-call schedule could not be loaded. ${message(e)}`)),
    showDocumentsRouting(state.admin, pools).catch((e) => showError($("documents-error"), `Where documents go could not be loaded. ${message(e)}`))]);
}, message);
