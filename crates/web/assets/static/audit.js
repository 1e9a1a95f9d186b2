// @ts-check
// The audit log (/audit), for compliance officers and practice
// administrators: search who did what, to which patient's record, when,
// with names; page back through older entries; download the same search as
// CSV. The filters live in the address's fragment (#actor=…&patient=…), so
// that other pages link to a person's trail and Back returns to the last
// search. Only ids go there, never names.
import { showRecords } from "./audit-records.js";
import { showAccessReviews } from "./audit-reviews.js";
import {
  $, ApiError, announce, api, clear, el, otherTimeZone, problem, ROLE_WORDS, runStaffPage, showError, staffLinksFor, zoneName,
} from "./common.js";

const PAGE_SIZE = 50;


/** Who acted, when the entry has no name for them. */
const KIND_WORDS = {
  staff: "Staff",
  patient: "Patient",
  anonymous: "Someone not signed in",
  system: "Switchboard itself",
  operator: "The deployment's operator",
};

/**
 * Every action code the server records (`AuditAction::as_str`), in words,
 * grouped as a reviewer looks for them. The browser test checks that no
 * code is missing.
 * @type {[string, [string, string][]][]}
 */
const ACTION_GROUPS = [
  ["Patients' conversations", [
    ["conversation_viewed", "Opened a conversation"],
    ["conversations_listed", "Listed conversations"],
    ["messages_searched", "Searched messages"],
    ["conversation_created", "Started a conversation"],
    ["message_sent", "Sent a message"],
    ["message_amended", "Amended a message"],
    ["messages_read", "Read messages"],
    ["conversation_marked_unread", "Marked a conversation unread"],
    ["note_added", "Added an internal note"],
    ["template_used", "Used a quick reply"],
    ["conversation_assigned", "Assigned a conversation"],
    ["conversation_escalated", "Escalated a conversation"],
    ["conversation_closed", "Closed a conversation"],
    ["conversation_reopened", "Reopened a conversation"],
    ["conversation_rated", "Rated a conversation"],
    ["urgent_message_flagged", "Flagged a message as urgent"],
    ["alert_acknowledged", "Acknowledged an alert"],
    ["assignment_timed_out", "Assignment not picked up in time"],
    ["response_target_missed", "Response time target missed"],
    ["paged", "Paged a clinician about an urgent message"],
    ["page_acknowledged", "Acknowledged a page"],
  ]],
  ["Notifications", [
    ["notification_sent", "Sent (or failed to send) an email, text or push"],
    ["notification_preferences_changed", "Changed how they are notified"],
    ["sms_received", "A text arrived at the practice's number"],
    ["deliveries_viewed", "Looked at sent notifications"],
  ]],
  ["Patient records", [
    ["patients_listed", "Listed patients"],
    ["patient_created", "Added a patient record"],
    ["patient_updated", "Changed a patient record"],
    ["patients_imported", "Imported patients from the EHR"],
  ]],
  ["Signing in and accounts", [
    ["login_succeeded", "Signed in"],
    ["login_failed", "Failed to sign in"],
    ["login_throttled", "Sign-in blocked after too many attempts"],
    ["logout", "Signed out"],
    ["password_changed", "Changed their password"],
    ["setup_viewed", "Looked at the practice's setup"],
    ["password_reset_requested", "Asked for a new password"],
    ["link_issued", "Made a set-up, invitation or reset link"],
    ["link_opened", "Opened a link"],
    ["link_redeemed", "Used a link"],
    ["link_refused", "A link was refused"],
    ["link_revoked", "Revoked a link"],
    ["code_sent", "Sent a one-time code for a secure link"],
    ["access_refused", "Refused: a secure-link session outside its conversation, or a session that must first set up a second step"],
    ["user_created", "Added an account"],
    ["user_updated", "Changed an account"],
    ["user_deactivated", "Deactivated an account"],
    ["user_reactivated", "Reactivated an account"],
    ["second_factor_challenged", "Gave the right password; asked for a second step"],
    ["second_factor_enrolled", "Set up an authenticator app"],
    ["second_factor_removed", "Removed their authenticator app"],
    ["second_factor_reset", "Reset someone's second step"],
    ["recovery_codes_issued", "Made new recovery codes"],
    ["reauthenticated", "Confirmed it was them before a sensitive action"],
    ["sso_linked", "Linked an account to the practice's single sign-on"],
    ["sso_unlinked", "Unlinked an account from single sign-on"],
  ]],
  ["Practice set-up", [
    ["practice_created", "Created the practice"],
    ["practice_updated", "Changed the practice's details"],
    ["department_created", "Added a department"],
    ["care_team_created", "Added a care team"],
    ["care_team_member_added", "Added someone to a care team"],
    ["staff_department_added", "Added someone to a department"],
    ["routing_rules_changed", "Changed the routing rules"],
    ["pool_changed", "Changed a pool"],
    ["response_settings_changed", "Changed the response time targets"],
    ["template_saved", "Saved a quick reply"],
    ["staff_settings_changed", "Changed their availability settings"],
    ["absence_recorded", "Recorded time away"],
    ["absence_cancelled", "Cancelled time away"],
    ["cover_started", "Cover started"],
    ["cover_ended", "Cover ended"],
    ["on_call_changed", "Changed the on-call schedule or paging"],
    ["terms_published", "Published new messaging terms"],
    ["terms_accepted", "Accepted the messaging terms"],
    ["rollout_changed", "Changed who patient messaging is on for"],
    ["attachment_uploaded", "Uploaded a file"],
    ["attachment_downloaded", "Opened a file"],
    ["attachment_filed", "Filed a file to the chart"],
    ["conversation_sensitivity_changed", "Marked a conversation sensitive, or cleared the mark"],
    ["sensitivity_settings_changed", "Changed who reads sensitive records"],
    ["caregiver_invited", "Invited a caregiver"],
    ["caregiver_invitation_accepted", "Accepted a caregiver invitation"],
    ["caregiver_granted", "Gave a caregiver access to a minor's messages"],
    ["caregiver_revoked", "Revoked a caregiver's access or invitation"],
    ["caregivers_listed", "Listed caregivers"],
    ["acting_for_changed", "Switched whom they act for (caregiver)"],
    ["conversation_sharing_changed", "Shared a minor's conversation with caregivers, or stopped"],
    ["caregiver_settings_changed", "Changed the confidentiality age for minors"],
  ]],
  ["Oversight and operations", [
    ["audit_log_searched", "Searched the audit log"],
    ["access_review_raised", "Unusual access found for review"],
    ["access_reviewed", "Marked unusual access reviewed"],
    ["emergency_patient_searched", "Searched for a patient for emergency access"],
    ["emergency_access_started", "Began emergency access to a patient"],
    ["emergency_access_ended", "Ended emergency access early"],
    ["analytics_viewed", "Viewed the analytics"],
    ["master_key_rotated", "Rotated the master key"],
    ["operator_key_created", "Made an operator key"],
    ["operator_key_revoked", "Revoked an operator key"],
    ["operator_auth_failed", "Operator key refused"],
    ["ehr_client_registered", "Registered an EHR client"],
    ["ehr_client_revoked", "Revoked an EHR client"],
    ["ehr_token_issued", "EHR client given an access token"],
    ["ehr_token_refused", "EHR client's token request refused"],
    ["fhir_read", "EHR client read the record (FHIR)"],
    ["retention_settings_changed", "Changed how long the record is kept"],
    ["legal_hold_placed", "Placed a legal hold"],
    ["legal_hold_released", "Released a legal hold"],
    ["conversation_removed", "Conversation removed at the end of its retention period"],
    ["record_export_requested", "Asked for a legal export of the record"],
    ["record_export_made", "A legal export was made"],
    ["record_export_downloaded", "Downloaded a legal export"],
    ["practices_listed", "Listed practices"],
  ]],
];

const ACTION_WORDS = new Map(ACTION_GROUPS.flatMap(([, actions]) => actions));

/** @typedef {import("./common.js").Me} Me */

/**
 * An entry of the audit log (`AuditEventDto`): ids and codes, with the names of the people in it.
 * @typedef {object} AuditEntry
 * @property {number} seq
 * @property {string} at
 * @property {string | null} actor_id
 * @property {string} actor_kind
 * @property {string} action
 * @property {string} outcome
 * @property {string | null} patient_id
 * @property {string | null} resource_type
 * @property {string | null} resource_id
 * @property {string | null} client_addr
 * @property {string | null} detail
 * @property {string | null} actor_name
 * @property {import("./common.js").Role | null} actor_role
 * @property {string | null} patient_name
 */

const state = {
  /** @type {Me | null} */
  me: null,
  /** The practice's IANA time zone: days start at its midnight, and times are shown in it. */
  zone: null,
  /** Ids to names, learnt from picks and entries, for the filters' labels. */
  names: new Map(),
  /** The search shown (from the fragment). */
  filters: {},
  /** The person and patient chosen in the form, not yet searched. */
  draft: {},
  /** `before` of each page back from the newest (null for the newest). */
  pages: [null],
  loading: 0,
};

const hidden = (text) => el("span", { class: "visually-hidden" }, text);
const none = () => el("span", {}, el("span", { "aria-hidden": "true" }, "—"), hidden("none"));

// ---- Days and times in the practice's time zone ----------------------------------

/** How far `zone`'s wall clock is ahead of UTC at `ms`, in milliseconds. */
function zoneOffset(zone, ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
  }).formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a calendar day ("YYYY-MM-DD", plus `days`) starts in the
 * practice's time zone, as RFC 3339. Two passes, because the offset at
 * midnight may differ from the offset at the first guess (daylight saving).
 */
function dayStart(ymd, days = 0) {
  const [y, m, d] = ymd.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d + days);
  let t = wall - zoneOffset(state.zone, wall);
  t = wall - zoneOffset(state.zone, t);
  return new Date(t).toISOString();
}

const DAY_FORMAT = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
/** "December 6, 2026" for "2026-12-06", in no time zone. */
function longDay(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return DAY_FORMAT.format(new Date(y, m - 1, d));
}

let dateFormat;
let timeFormat;
function timeFormats() {
  // The zone's short name follows the time only when this browser is elsewhere.
  /** @type {Intl.DateTimeFormatOptions} */
  const zoneName = otherTimeZone(state.zone) ? { timeZoneName: "short" } : {};
  dateFormat = new Intl.DateTimeFormat(undefined, { timeZone: state.zone, year: "numeric", month: "short", day: "numeric" });
  timeFormat = new Intl.DateTimeFormat(undefined, { timeZone: state.zone, hour: "numeric", minute: "2-digit", second: "2-digit", ...zoneName });
}

function timeCell(iso) {
  const d = new Date(iso);
  return el("time", { datetime: iso }, el("span", { class: "date" }, dateFormat.format(d)), " ", el("span", { class: "clock" }, timeFormat.format(d)));
}

// ---- The filters and the address ---------------------------------------------------

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const KEYS = ["actor", "patient", "action", "outcome", "from", "to"];
const OUTCOMES = { success: "succeeded", denied: "denied", failed: "failed" };

/** The filters in the fragment; anything malformed is left out (the form then shows what is searched). */
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const f = {};
  for (const key of KEYS) {
    const v = params.get(key);
    if (!v) continue;
    if ((key === "actor" || key === "patient") && !ID.test(v)) continue;
    if ((key === "from" || key === "to") && !DAY.test(v)) continue;
    if (key === "outcome" && !OUTCOMES[v]) continue;
    f[key] = v;
  }
  return f;
}

function hashOf(f) {
  const params = new URLSearchParams();
  for (const key of KEYS) if (f[key]) params.set(key, f[key]);
  return params.toString();
}

/** The API's query for the filters (and, for a page, `before` and `limit`). */
function query(f, extra = {}) {
  const params = new URLSearchParams();
  if (f.patient) params.set("patient_id", f.patient);
  if (f.actor) params.set("actor_id", f.actor);
  if (f.action) params.set("action", f.action);
  if (f.outcome) params.set("outcome", f.outcome);
  if (f.from) params.set("from", dayStart(f.from));
  // The form's last day is included; the API's `to` is not.
  if (f.to) params.set("to", dayStart(f.to, 1));
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) params.set(k, String(v));
  return params.toString();
}

/** Searches `f`: through the fragment, so that Back returns to the search before. */
function navigate(f) {
  const hash = hashOf(f);
  if (hash === location.hash.slice(1)) {
    applyHash();
  } else if (!hash) {
    history.pushState(null, "", location.pathname);
    applyHash();
  } else {
    location.hash = hash; // hashchange runs the search.
  }
}

function applyHash() {
  state.filters = readHash();
  state.draft = { actor: state.filters.actor, patient: state.filters.patient };
  $("action").value = state.filters.action && ACTION_WORDS.has(state.filters.action) ? state.filters.action : "";
  $("outcome").value = state.filters.outcome ?? "";
  $("from").value = state.filters.from ?? "";
  $("to").value = state.filters.to ?? "";
  markInvalid(null);
  renderChosen();
  state.pages = [null];
  return load();
}

/** The form's filters, or a problem with them: [input id, message]. */
function formFilters() {
  const from = $("from").value;
  const to = $("to").value;
  if (from && to && from > to) return { problem: ["from", "The first day must be on or before the last day."] };
  return {
    filters: {
      ...state.draft, action: $("action").value || undefined, outcome: $("outcome").value || undefined,
      from: from || undefined, to: to || undefined,
    },
  };
}

/** Marks the filter at fault (or none), tied to the error's words. */
function markInvalid(id) {
  for (const input of ["action", "from", "to"]) {
    const described = [input === id ? "filter-error" : null, input === "action" ? null : "dates-hint"].filter(Boolean).join(" ");
    if (input === id) $(input).setAttribute("aria-invalid", "true");
    else $(input).removeAttribute("aria-invalid");
    if (described) $(input).setAttribute("aria-describedby", described);
    else $(input).removeAttribute("aria-describedby");
  }
}

function submitFilters(event) {
  event.preventDefault();
  const { filters, problem } = formFilters();
  if (problem) {
    showError($("filter-error"), problem[1]);
    markInvalid(problem[0]);
    $(problem[0]).focus();
    return;
  }
  showError($("filter-error"), "");
  navigate(filters);
}

// ---- Choosing whose entries ----------------------------------------------------------

const staffLabel = (id) => state.names.get(id) ?? "the person chosen";
const patientLabel = (id) => state.names.get(id) ?? "the patient chosen";

/** The person and patient chosen, each with a button to drop it. */
function renderChosen() {
  const list = clear($("chosen"));
  const item = (what, name, key) => el("li", { class: "chip" },
    el("span", {}, `${what}: `, el("strong", {}, name)),
    el("button", {
      type: "button", class: "link", onclick: () => {
        state.draft = { ...state.draft, [key]: undefined };
        renderChosen();
        $("find-name").focus();
      },
    }, "Remove", hidden(` ${what.toLowerCase()} ${name}`)));
  if (state.draft.actor) list.append(item("Done by", staffLabel(state.draft.actor), "actor"));
  if (state.draft.patient) list.append(item("About patient", patientLabel(state.draft.patient), "patient"));
  if (!state.draft.actor && !state.draft.patient) {
    list.append(el("li", { class: "muted" }, "Everyone, about any patient. Find someone above to narrow it down."));
  }
}

async function find() {
  const q = $("find-name").value.trim();
  const out = clear($("find-results"));
  showError($("find-error"), "");
  if ([...q].length < 2) {
    showError($("find-error"), "Type at least 2 letters of a name.");
    $("find-name").setAttribute("aria-invalid", "true");
    $("find-name").focus();
    return;
  }
  $("find-name").removeAttribute("aria-invalid");
  let found;
  try {
    found = await api("POST", "/api/v1/audit-events/subjects", { q });
  } catch (e) {
    showError($("find-error"), problem(e));
    return;
  }
  const pick = (key, id, name) => {
    state.names.set(id, name);
    state.draft = { ...state.draft, [key]: id };
    renderChosen();
    clear(out);
    $("find-name").value = "";
    announce(`${name} chosen. Search to see the entries.`);
    $("action").focus();
  };
  const option = (label, sub, onclick) => el("li", {},
    el("button", { type: "button", class: "pick", onclick }, el("span", { class: "pick-name" }, label), el("span", { class: "pick-sub" }, sub)));
  const staff = found.staff.filter((s) => s.id).map((s) => option(s.display_name, "Staff member", () => pick("actor", s.id, s.display_name)));
  const patients = found.patients.map((p) => option(p.display_name, `Patient, born ${longDay(p.birth_date)}`,
    () => pick("patient", p.id, p.display_name)));
  if (staff.length + patients.length === 0) {
    out.append(el("p", { class: "muted" }, `No staff member or patient has a name with “${q}” in it.`));
    return;
  }
  out.append(el("p", { class: "find-count" }, `${plural(staff.length + patients.length, "match", "matches")}. Choose one:`));
  if (staff.length) out.append(el("h3", { id: "found-staff" }, "Staff"), el("ul", { class: "picks", "aria-labelledby": "found-staff" }, staff));
  if (patients.length) out.append(el("h3", { id: "found-patients" }, "Patients"), el("ul", { class: "picks", "aria-labelledby": "found-patients" }, patients));
}

// ---- Results ---------------------------------------------------------------------------

const COUNT = new Intl.NumberFormat(undefined);
function plural(n, one, many = `${one}s`) {
  return `${COUNT.format(n)} ${n === 1 ? one : many}`;
}

/** The server's "topic=billing;count=2" or "denied:role_not_permitted" as "topic: billing · count: 2", "denied: role not permitted". */
function detailWords(detail) {
  if (!detail) return none();
  return detail.split(";").map((part) => part.replace(/^([a-z_]+)[=:]/, "$1: ").replaceAll("_", " ")).join(" · ");
}

/** Filters the search shown by one more person or patient, from a row. */
function narrow(key, id, name) {
  state.names.set(id, name);
  navigate({ ...state.filters, [key]: id });
}

function whoCell(e) {
  const kind = KIND_WORDS[e.actor_kind] ?? e.actor_kind;
  if (!e.actor_id) return el("span", { class: "who-kind" }, kind);
  const role = e.actor_kind === "staff" ? ROLE_WORDS[e.actor_role] ?? kind : kind;
  // Only this practice's people are named: a nameless actor reached in
  // from another practice (their refusals are filed here, with us).
  const name = e.actor_name || "Someone outside this practice";
  const label = e.actor_id === state.filters.actor
    ? el("span", { class: "name" }, name)
    : el("button", { type: "button", class: "link name", onclick: () => narrow("actor", e.actor_id, name) }, hidden("Show only entries by "), name);
  return [label, el("span", { class: "sub" }, role)];
}

function patientCell(e) {
  if (!e.patient_id) return none();
  const name = e.patient_name || "Unnamed patient record";
  return e.patient_id === state.filters.patient
    ? el("span", { class: "name" }, name)
    : el("button", { type: "button", class: "link name", onclick: () => narrow("patient", e.patient_id, name) }, hidden("Show only entries about "), name);
}

function outcomeCell(outcome) {
  if (outcome === "success") return el("span", { class: "outcome-ok" }, "Succeeded");
  const words = outcome === "denied" ? "Denied" : outcome === "failed" ? "Failed" : outcome;
  return el("span", { class: `tag outcome ${outcome}` }, words);
}

const COLUMNS = ["When", "Who", "Action", "Outcome", "Patient", "Detail", "IP address"];

/** @param {AuditEntry} e */
function row(e) {
  const cells = [
    timeCell(e.at),
    whoCell(e),
    ACTION_WORDS.get(e.action) ?? e.action,
    outcomeCell(e.outcome),
    patientCell(e),
    detailWords(e.detail),
    e.client_addr || none(),
  ];
  return el("tr", { class: e.outcome === "success" ? "" : "problem", dataset: { seq: e.seq } },
    cells.map((c, i) => el("td", { "data-label": COLUMNS[i], class: `col-${i}` }, c)));
}

/** Words for the search shown: "Entries by Nina Alvarez, RN about Alice Nguyen: “Opened a conversation”, from … to …". */
function describe(f) {
  const people = [f.actor ? `by ${staffLabel(f.actor)}` : null, f.patient ? `about ${patientLabel(f.patient)}` : null].filter(Boolean);
  let text = people.length ? `Entries ${people.join(" ")}` : "All entries";
  if (f.action) text += `: “${ACTION_WORDS.get(f.action) ?? f.action}”`;
  if (f.outcome) text += `, ${OUTCOMES[f.outcome]} only`;
  if (f.from && f.to) text += `, from ${longDay(f.from)} to ${longDay(f.to)}`;
  else if (f.from) text += `, from ${longDay(f.from)} on`;
  else if (f.to) text += `, up to ${longDay(f.to)}`;
  return text;
}

/** Learns the names of the people filtered by from the entries that carry them. */
function learnNames(events) {
  for (const e of events) {
    if (e.actor_id && e.actor_name && e.actor_id === state.filters.actor) state.names.set(e.actor_id, e.actor_name);
    if (e.patient_id && e.patient_name && e.patient_id === state.filters.patient) state.names.set(e.patient_id, e.patient_name);
  }
}

function renderResults(data) {
  const f = state.filters;
  const page = state.pages.length;
  const body = clear($("results-body"));
  learnNames(data.events);
  renderChosen();
  const text = `${describe(f)}, newest first.`;
  $("summary").textContent = text;
  $("csv").href = `/api/v1/audit-events/csv${hashOf(f) ? `?${query(f)}` : ""}`;
  const first = (page - 1) * PAGE_SIZE + 1;
  const last = first + data.events.length - 1;
  if (data.events.length === 0) {
    body.append(el("div", { class: "empty-results" },
      el("p", {}, page > 1 ? "No older entries." : "No entries match these filters."),
      page > 1 ? null : el("p", { class: "muted" }, "Try a longer period, another action, or fewer filters.")));
  } else {
    body.append(el("table", { class: "audit-table" },
      el("caption", { class: "visually-hidden" }, `${text} Entries ${COUNT.format(first)}–${COUNT.format(last)}.`),
      el("thead", {}, el("tr", {}, COLUMNS.map((c, i) => el("th", { scope: "col", class: `col-${i}` }, c)))),
      el("tbody", {}, data.events.map(row))));
  }
  $("status").textContent = data.events.length === 0 ? "No entries."
    : `Showing entries ${COUNT.format(first)} to ${COUNT.format(last)}${data.next_before ? "; there are older ones" : ""}.`;
  $("older").hidden = !data.next_before;
  $("older").dataset.before = data.next_before ?? "";
  $("newer").hidden = page < 2;
  $("newest").hidden = page < 3;
}

async function load({ focus = false } = {}) {
  const mine = ++state.loading;
  const f = state.filters;
  const results = $("results");
  results.setAttribute("aria-busy", "true");
  showError($("results-error"), "");
  /** @type {{ events: AuditEntry[], next_before: number | null }} */
  let data;
  try {
    data = await api("GET", `/api/v1/audit-events?${query(f, { before: state.pages[state.pages.length - 1], limit: PAGE_SIZE })}`);
  } catch (e) {
    if (mine !== state.loading) return;
    results.removeAttribute("aria-busy");
    if (e instanceof ApiError && e.status === 404) {
      notAvailable();
      return;
    }
    clear($("results-body"));
    $("status").textContent = "";
    for (const id of ["older", "newer", "newest"]) $(id).hidden = true;
    if (e instanceof ApiError && e.status === 422) {
      showError($("filter-error"), problem(e));
      if (["action", "from", "to"].includes(e.field)) markInvalid(e.field);
      showError($("results-error"), "Nothing was searched: correct the filters above.");
    } else {
      showError($("results-error"), `The entries could not be loaded. ${problem(e)}`);
    }
    return;
  }
  if (mine !== state.loading) return;
  renderResults(data);
  results.removeAttribute("aria-busy");
  if (focus) $("results-title").focus();
}

function page(move) {
  if (move === "older") state.pages.push(Number($("older").dataset.before));
  else if (move === "newer") state.pages.pop();
  else state.pages = [null];
  load({ focus: true });
}

// ---- Start -------------------------------------------------------------------------

function notAvailable() {
  $("audit").hidden = true;
  $("not-available").hidden = false;
  document.title = "Audit log not available · Switchboard";
}

function buildActionSelect() {
  clear($("action")).append(
    el("option", { value: "" }, "Any action"),
    ...ACTION_GROUPS.map(([group, actions]) => el("optgroup", { label: group }, actions.map(([code, words]) => el("option", { value: code }, words)))),
  );
}

runStaffPage(async (me) => {
  state.me = me;
  const practice = await api("GET", "/api/v1/practice");
  $("practice-name").textContent = practice.name;
  // Those the top bar does not link here are told the log is not for them (the API answers 404 to them).
  if (!staffLinksFor(state.me.role).audit) {
    notAvailable();
    return;
  }
  state.zone = practice.time_zone;
  timeFormats();
  $("dates-hint").textContent = `Days run from midnight to midnight in the practice's time zone, ${zoneName(state.zone)}`
    + `${otherTimeZone(state.zone) ? " (not this browser's)" : ""}; the times below are in it too. Leave the dates empty to search all time.`;
  buildActionSelect();
  $("audit").hidden = false;
  $("find").addEventListener("click", find);
  // Enter in the name box finds names; it does not search the log yet.
  $("find-name").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      find();
    }
  });
  $("filter-form").addEventListener("submit", submitFilters);
  $("clear-filters").addEventListener("click", () => {
    showError($("filter-error"), "");
    clear($("find-results"));
    navigate({});
  });
  showAccessReviews(navigate).catch((e) => showError($("reviews-error"), `What to review could not be loaded. ${problem(e)}`));
  showRecords().catch((e) => showError($("holds-error"), `Retention and legal holds could not be loaded. ${problem(e)}`));
  $("older").addEventListener("click", () => page("older"));
  $("newer").addEventListener("click", () => page("newer"));
  $("newest").addEventListener("click", () => page("newest"));
  window.addEventListener("hashchange", () => applyHash());
  await applyHash();
}, problem);
