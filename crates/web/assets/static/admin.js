// Practice setup: each staff member's availability and time away, the
// practice's quick replies, and (changed by practice administrators, seen
// by all staff) the routing rules and pools that decide who gets each new
// message, and the office hours, closures, response-time targets and
// automatic replies that decide when each reply is due.
import { ApiError, DAYS, TOPICS, announce, api, clear, counter, el, hoursLines, signOut, topicLabel } from "./common.js";

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

const state = {
  me: null,
  admin: false,
  practice: null,
  staff: [],
  settings: null,
  absences: [],
  templates: [],
  staleCount: 0,
  editingTemplate: null,
  rules: [],
  rulesDirty: false,
  openRule: null,
  pools: [],
  editingPool: null,
  // Response times: the settings as last loaded, and the targets being edited.
  response: null,
  targets: [],
};

const $ = (id) => document.getElementById(id);

const DATE_TIME = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const LONG_DATE = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });

/** "January 31, 2026" for "2026-01-31", in no time zone. */
function civilDate(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  if (!y || !m || !d) return ymd;
  return LONG_DATE.format(new Date(y, m - 1, d));
}

/** What a refused field is called on this page. */
const FIELD_WORDS = {
  name: "Name", body: "Text", review_by: "Review-by date", owner_id: "Owner", capacity: "Open conversations",
  starts_at: "Away from", ends_at: "Back on", cover_id: "Who covers", lead_id: "Lead", members: "Members", rules: "Rules",
  time_zone: "Time zone", phone: "Phone", office_hours: "Hours", targets: "Targets", due_soon_percent: "Due soon",
  auto_reply_open: "Automatic reply while open", auto_reply_closed: "Automatic reply while closed",
  first_day: "First day", last_day: "Last day", department_id: "Department",
};

/** An error for people: "Name: must be …" rather than "name: must be …". */
function message(e) {
  if (!(e instanceof ApiError)) return "Something went wrong. Please try again.";
  const m = /^([a-z_]+): ([\s\S]*)$/.exec(e.message);
  return m && FIELD_WORDS[m[1]] ? `${FIELD_WORDS[m[1]]}: ${m[2]}` : e.message;
}

function showError(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

/** The name of a colleague (or of the signed-in user) by id. */
function personName(id) {
  if (!id) return null;
  if (state.me && id === state.me.id) return state.me.display_name;
  return state.staff.find((s) => s.id === id)?.display_name ?? "a former colleague";
}

function poolName(id) {
  return state.pools.find((p) => p.id === id)?.name ?? null;
}

function options(select, items, selected) {
  clear(select).append(...items.map(([value, label]) => el("option", { value }, label)));
  select.value = selected ?? "";
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

function ruleNode(r, i, count) {
  const label = r.name || `rule ${i + 1}`;
  const hidden = (text) => el("span", { class: "visually-hidden" }, text);
  const editing = state.openRule === r;
  return el("li", { class: `rule${editing ? " editing" : ""}` },
    el("p", { class: "rule-summary", id: `rule-${i}-summary` }, ruleSummary(r)),
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
      ? `Not saved: ${err.message.replace(/^rules: /, "")}.`
      : message(err);
    showError(error, text);
    error.scrollIntoView({ block: "nearest" });
    return;
  } finally {
    button.disabled = false;
  }
  await loadRules();
  announce("Routing rules saved");
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

// ---- Response times ------------------------------------------------------------
// Office hours (the practice's and each department's), closures, the targets
// that say when a reply is due, and the automatic replies patients get.

const PRIORITIES = [["", "Any priority"], ["routine", "Routine"], ["urgent", "Urgent"]];
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

/** The problem the server found, without the field's code name: "Must tell patients …". */
function problem(e) {
  if (!(e instanceof ApiError)) return "Something went wrong. Please try again.";
  const text = e.message.replace(/^[a-z_]+: /, "");
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

/** A paragraph for the error of one field; the field points to it while it shows. */
function fieldError(inputId) {
  return el("p", { id: `${inputId}-error`, class: "error field-error", role: "alert", hidden: true });
}

function setFieldError(inputId, text) {
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
function showServerError(err, fields, fallback) {
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

function clearErrors(container) {
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
        el("dt", {}, "Time zone"), el("dd", {}, p.time_zone.replaceAll("_", " ")),
        el("dt", {}, "Phone"), el("dd", {}, p.phone ?? "None")),
      hoursList(p.office_hours)];
  }
  const hours = copyHours(p.office_hours);
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  if (!zones.includes(p.time_zone)) zones.unshift(p.time_zone);
  const zone = el("select", { id: "time-zone" }, zones.map((z) => el("option", { value: z }, z.replaceAll("_", " "))));
  zone.value = p.time_zone;
  const phone = el("input", { id: "practice-phone", type: "tel", maxlength: 32, autocomplete: "off", value: p.phone ?? "", "aria-describedby": "practice-phone-hint" });
  const error = el("p", { id: "hours-error", class: "error", role: "alert", hidden: true });
  const form = el("form", { id: "hours-form", novalidate: true, "aria-labelledby": "hours-title" },
    el("div", { class: "field-row" },
      el("div", {}, el("label", { for: "time-zone" }, "Time zone"), zone, fieldError("time-zone")),
      el("div", {}, el("label", { for: "practice-phone" }, "Phone for patients"), phone,
        el("p", { id: "practice-phone-hint", class: "hint" }, "Shown to patients, and used in {practice_phone}."), fieldError("practice-phone"))),
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
    const body = { time_zone: zone.value, phone: phone.value.trim() || null, office_hours };
    try {
      await api("PUT", "/api/v1/practice/hours", body);
    } catch (err) {
      showServerError(err, { time_zone: "time-zone", phone: "practice-phone", office_hours: "practice-hours" }, error);
      return;
    }
    state.practice = await api("GET", "/api/v1/practice");
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
  return el("tr", {}, cells.map(([label, text]) => el("td", { dataset: { label } }, text)));
}

function targetRow(t, i) {
  const id = (name) => `target-${i}-${name}`;
  const n = i + 1;
  const priority = el("select", { id: id("priority"), class: "priority", "aria-label": `Target ${n}: priority` });
  options(priority, PRIORITIES, t.priority ?? "");
  priority.addEventListener("change", () => (t.priority = priority.value || null));
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
  clock.addEventListener("change", () => (t.clock = clock.value));
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
    el("td", { dataset: { label: "Counted" } }, clock),
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
    : el("p", { class: "muted" }, "No targets of the practice's own: urgent messages are due within 1 office hour, routine ones within 4."));
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
  const explain = el("p", {}, "When a reply is due, by the priority and topic of the conversation. The most specific target that matches applies; conversations no target covers are due within 1 office hour if urgent, 4 if routine.");
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

async function loadResponseSettings(parts) {
  state.response = await api("GET", "/api/v1/response-settings");
  showError($("response-error"), "");
  renderResponseTimes(parts);
}

// ---- Start -------------------------------------------------------------------

async function boot() {
  $("sign-out").addEventListener("click", signOut);
  state.me = await api("GET", "/api/v1/me");
  if (state.me.kind !== "staff") {
    location.replace("/app");
    return;
  }
  state.admin = state.me.role === "practice_admin";
  // Administrators and compliance officers take no conversations, so they
  // have no capacity or cover to set.
  const takesWork = !["practice_admin", "compliance_officer"].includes(state.me.role);
  $("availability").hidden = !takesWork;
  document.querySelector('.setup-nav a[href="#availability"]').parentElement.hidden = !takesWork;
  $("whoami").textContent = state.me.display_name;
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
  window.addEventListener("beforeunload", (e) => {
    if (!state.rulesDirty) return;
    e.preventDefault();
    e.returnValue = true; // older browsers
  });

  await Promise.all([loadAbsences(), loadTemplates(), loadRules(),
    loadResponseSettings().catch((e) => showError($("response-error"), `Response times could not be loaded. ${message(e)}`))]);
  document.body.dataset.ready = "true";
}

boot().catch((e) => {
  showError($("load-error"), `This page could not be loaded. ${message(e)}`);
});
