// @ts-check
// People (/people). For practice administrators: staff accounts (add,
// change, deactivate, reset links), patient records (add, change, invite,
// deactivate, reset links) and the import from the EHR. For colleagues who
// care for patients (whom the patient list lets in): the patients of their
// care teams and departments, to invite and to message. Each patient has a
// page of their own (#/patient/<id>): record, care, enrollment,
// conversations and the notifications sent to them (never their words).
// Nobody is given a password: every link made here is shown once, to hand
// over, and an invitation chosen by email or text is sent as well.
import {
  $, ApiError, MEDIUM_NAMES, MEDIUM_WORDS, NOTICE_KIND_WORDS, api, apiText, civilDate, clear, dayAndTime, dayWithYear, el, fill, fullWhen, options,
  problem, topicLabel, ROLE_WORDS, runStaffPage, showError, WITHHELD_TEXT,
} from "./common.js";


const ENROLLMENT_WORDS = {
  not_invited: "Not invited",
  sent: "Invitation sent",
  opened: "Invitation opened",
  enrolled: "Enrolled",
  expired: "Invitation expired",
  revoked: "Invitation revoked",
};

/**
 * The roles that take no conversations, and so belong to no pool (the
 * server refuses them one), start none, and never read one.
 */
const NO_CONVERSATIONS = { practice_admin: "Practice administrators", compliance_officer: "Compliance officers" };

const CHANNEL_WORDS = { desk: "to hand over", email: "for email", sms: "for a text message", none: "" };


/** The input that a refused field came from, per form. */
const STAFF_INPUTS = { username: "staff-username", display_name: "staff-name", role: "staff-role", mobile: "staff-mobile" };
const PATIENT_INPUTS = {
  given_name: "patient-given", family_name: "patient-family", birth_date: "patient-birth", mrn: "patient-mrn",
  email: "patient-email", phone: "patient-phone", department_id: "patient-department", care_team_id: "patient-care-team",
};

/**
 * What differs between the page's two modes. Which one a colleague gets is
 * the server's call: the patient list answers them, or it does not (404).
 */
const MODES = {
  admin: {
    title: "People",
    patientsTitle: "Patients",
    noPatients: "No patients on file yet.",
    addContact: "Add one with Edit, or choose to hand the link over.",
  },
  care: {
    title: "Patients",
    patientsTitle: "Your patients",
    noPatients: "None of the patients of your care teams and departments are on file yet. If you expected some, ask your practice administrator which care teams and departments you are in.",
    addContact: "A practice administrator can add one to the record. Or choose to hand the link over.",
  },
};

const PAGE_SIZE = 100;
/** The most conversations a patient's page lists (the inbox has the rest). */
const CONVERSATIONS_SHOWN = 100;
/** A patient's page: `#/patient/<id>`. */
const PATIENT_ADDRESS = /^#\/patient\/([0-9a-fA-F-]{36})$/;

/** A conversation's status, as the inbox words it. */
const STATUS_WORDS = { needs_staff_response: "Needs response", awaiting_patient: "Awaiting patient", closed: "Closed" };
/** Who wrote the newest message, before its preview. */
const PREVIEW_WHO = { patient: "Patient: ", staff: "Staff: ", system: "Automatic reply: " };
const IMPORT_MAX_BYTES = 5 * 1024 * 1024;

/** @typedef {import("./common.js").ConversationSummary} ConversationSummary */
/** @typedef {import("./common.js").Me} Me */
/** @typedef {import("./common.js").Practice} Practice */

/**
 * A staff account (`StaffAccountDto` in routes/accounts.rs).
 * @typedef {object} StaffAccount
 * @property {string} id
 * @property {string} username
 * @property {string} display_name
 * @property {string} role
 * @property {string[]} departments
 * @property {string[]} care_teams
 * @property {string[] | null} [pools]
 * @property {boolean} active
 * @property {string | null} last_sign_in_at
 * @property {boolean} password_set
 * @property {string | null} reset_requested_at
 */

/**
 * A patient's account (`PatientAccountDto` in routes/patients.rs); the
 * patient's page (`PatientPageDto`) adds the number of conversations.
 * @typedef {object} PatientAccount
 * @property {string} id
 * @property {string} given_name
 * @property {string} family_name
 * @property {string} birth_date
 * @property {string | null} mrn
 * @property {string | null} email
 * @property {string | null} phone
 * @property {string | null} care_team
 * @property {string | null} department
 * @property {string | null} care_team_id
 * @property {string | null} department_id
 * @property {string | null} user_id
 * @property {string | null} username
 * @property {boolean | null} active
 * @property {string | null} last_sign_in_at
 * @property {string | null} reset_requested_at
 * @property {string} enrollment
 * @property {{ channel: string, state: string, sent_at: string, expires_at: string } | null} invitation
 * @property {boolean} messaging_open Whether the practice's soft launch includes them.
 * @property {{ version: number, accepted_at: string, method: "invitation" | "app" } | null} terms_accepted
 * @property {boolean} terms_current
 * @property {number} [open_conversations]
 * @property {number} [closed_conversations]
 */

const state = {
  /** @type {Me | null} */
  me: null,
  /** "admin" or "care" (see MODES). */
  mode: null,
  /** @type {Practice | null} */
  practice: null,
  departments: new Map(),
  careTeams: new Map(),
  /** Pool ids to names, in the setup page's order. */
  pools: new Map(),
  /** @type {StaffAccount[]} */
  staff: [],
  /** @type {PatientAccount[]} */
  patients: [],
  offset: 0,
  more: false,
  editingStaff: null,
  editingPatient: null,
  invitePatient: null,
  importText: null,
  /** The id of the patient whose page is open, or null for the list. */
  viewing: null,
};

const isAdmin = () => state.mode === "admin";
const hidden = (text) => el("span", { class: "visually-hidden" }, text);

/** "today at 2:14 PM", "yesterday at …", "Monday, March 9 at …". */
const at = (iso) => dayAndTime(iso);

/** An error for people: the server's sentence. */
const message = problem;

/** The `say` still on its way to each status region. */
const saying = new WeakMap();

/**
 * Text in a status region; cleared first so that the same words are
 * announced again. A later word replaces one still on its way, so a quick
 * outcome is never overwritten by the "working…" said before it.
 */
function say(node, text) {
  clearTimeout(saying.get(node));
  node.textContent = "";
  saying.set(node, setTimeout(() => (node.textContent = text), 30));
}

/** Shows a refusal next to its form and puts the cursor in the field at fault. */
function refuse(errorNode, e, inputs) {
  showError(errorNode, message(e));
  const id = e instanceof ApiError ? (inputs[e.field] ?? (e.status === 409 && inputs.conflict)) : null;
  for (const input of Object.values(inputs)) $(input)?.removeAttribute("aria-invalid");
  if (id && $(id)) {
    $(id).setAttribute("aria-invalid", "true");
    $(id).focus();
  }
}

const departmentName = (id) => state.departments.get(id) ?? "a former department";

/** Asks before something that cannot simply be undone. */
function confirmStep(title, text, yes) {
  const dialog = $("confirm");
  const back = /** @type {HTMLElement | null} */ (document.activeElement);
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("confirm-yes").onclick = null;
      $("confirm-no").onclick = null;
      dialog.oncancel = null;
      if (dialog.open) dialog.close();
      if (back && back.isConnected) back.focus();
      resolve(answer);
    };
    $("confirm-yes").onclick = () => finish(true);
    $("confirm-no").onclick = () => finish(false);
    dialog.oncancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    dialog.showModal();
    $("confirm-no").focus();
  });
}

// ---- A link shown once ---------------------------------------------------

/**
 * Shows a link just made, once, with a Copy button. It lives only in this
 * panel: closing it or leaving the page loses it (a new one can be made).
 */
/**
 * A link just made (`IssuedLinkDto` in routes/accounts.rs).
 * @typedef {object} Link
 * @property {"setup" | "invitation" | "reset"} purpose
 * @property {string} delivery
 * @property {string} path
 * @property {string} url
 * @property {string} message
 * @property {string} expires_at
 */

/**
 * @param {HTMLElement} container
 * @param {{ heading: string, label: string, who: string, link: Link, notes?: string[], back?: HTMLElement | null }} shown
 */
function showLink(container, { heading, label, who, link, notes = [], back }) {
  // The server's public address when it knows it; this page's otherwise.
  const url = /^https:\/\//.test(link.url ?? "") ? link.url : `${location.origin}${link.path}`;
  const id = `${container.id}-url`;
  const input = el("input", { id, type: "text", readonly: true, value: url, spellcheck: "false", autocomplete: "off", class: "link-url" });
  input.addEventListener("focus", () => input.select());
  const copied = el("p", { class: "copy-status", role: "status" });
  const copyText = async (text, what, field) => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      field.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
    }
    copied.textContent = ok ? `${what} copied.` : `Could not copy: select the ${what.toLowerCase()} and copy it.`;
  };
  const copy = el("button", { type: "button", class: "secondary", onclick: () => copyText(url, "Link", input) },
    "Copy", hidden(` ${label.toLowerCase()}`));
  // Words to send or read out with it (the practice's name and the link, nothing about the person).
  const words = link.message
    ? el("textarea", { id: `${id}-message`, readonly: true, rows: 3, spellcheck: "false", class: "link-message" }, link.message)
    : null;
  const done = el("button", { type: "button", class: "secondary small", onclick: () => {
    clear(container);
    (back?.isConnected ? back : container.closest("section")?.querySelector("h2"))?.focus?.();
  } }, "Done: hide the link");
  const title = `${id}-title`;
  clear(container).append(el("div", { class: "link-panel", role: "region", "aria-labelledby": title },
    el("h3", { id: title }, heading),
    el("p", { class: "once" }, el("strong", {}, `Shown only now: hand it to ${who}.`),
      " When you close this or leave the page it cannot be shown again, but you can make a new one."),
    notes.map((n) => el("p", {}, n)),
    el("label", { for: id }, label),
    el("div", { class: "copy-row" }, input, copy),
    el("p", { class: "valid-until" }, `Valid until ${fullWhen(link.expires_at)}. It works once.`),
    words ? [
      el("label", { for: words.id }, "Words to send or read out with it"),
      words,
      el("button", { type: "button", class: "secondary small", onclick: () => copyText(link.message, "Message", words) }, "Copy the words"),
    ] : null,
    copied,
    done));
  container.scrollIntoView({ block: "nearest" });
  input.focus();
}

// ---- Staff ---------------------------------------------------------------

/** The names of `ids` (looked up in `known`), or null for none. */
function namesText(known, ids, former) {
  return ids?.length ? ids.map((id) => known.get(id) ?? former).join(", ") : null;
}

/** Fills `container` with a checkbox for each [id, name] of `items`, those in `chosen` ticked. */
function checkboxes(container, prefix, items, chosen = []) {
  const on = new Set(chosen);
  clear(container).append(...[...items].map(([id, name]) => el("div", { class: "check" },
    el("input", { type: "checkbox", id: `${prefix}-${id}`, value: id, checked: on.has(id) }),
    el("label", { for: `${prefix}-${id}` }, name))));
}

/** The values of the ticked checkboxes in `container`. */
const ticked = (container) => [...container.querySelectorAll("input:checked")].map((c) => c.value);

/** @param {StaffAccount} s */
function staffRow(s) {
  const self = s.id === state.me.id;
  const name = s.display_name;
  const depts = s.departments.map(departmentName);
  const teams = namesText(state.careTeams, s.care_teams, "a former care team");
  const pools = namesText(state.pools, s.pools, "another pool");
  const resetButton = () => el("button", { type: "button", class: "secondary small", dataset: { act: "reset" }, onclick: () => staffResetLink(s) },
    "Make reset link", hidden(` for ${name}`));
  const asked = s.active && s.reset_requested_at;
  const account = [
    el("span", { class: `tag ${s.active ? "active" : "inactive"}` }, s.active ? "Active" : "Deactivated"),
    s.password_set === false ? el("span", { class: "tag not-set-up" }, "Not set up yet") : null,
    asked ? el("p", { class: "reset-request" }, el("strong", {}, "Asked for a password reset"), ` ${at(s.reset_requested_at)}`) : null,
    asked ? resetButton() : null,
  ];
  return el("tr", { dataset: { id: s.id }, class: asked ? "asks-reset" : null },
    el("td", { "data-label": "Name" }, el("strong", {}, name), self ? " (you)" : null, el("span", { class: "sub" }, s.username)),
    el("td", { "data-label": "Role" }, ROLE_WORDS[s.role] ?? s.role),
    el("td", { "data-label": "Works in" },
      depts.length ? el("span", { class: "sub-line" }, depts.join(", ")) : null,
      teams ? el("span", { class: "sub-line" }, teams) : null,
      pools ? el("span", { class: "sub-line" }, `${s.pools.length === 1 ? "Pool" : "Pools"}: ${pools}`) : null,
      !depts.length && !teams && !pools ? el("span", { class: "muted" }, "No department") : null),
    el("td", { "data-label": "Account" }, account),
    el("td", { "data-label": "Last sign-in" }, s.last_sign_in_at ? at(s.last_sign_in_at) : el("span", { class: "muted" }, "Never signed in")),
    el("td", { class: "actions-cell" }, el("div", { class: "row-actions" },
      el("button", { type: "button", class: "secondary small", dataset: { act: "edit" }, onclick: () => openStaffForm(s) }, "Edit", hidden(` ${name}`)),
      s.active && !asked ? resetButton() : null,
      s.active && !self
        ? el("button", { type: "button", class: "secondary small", dataset: { act: "second-factor-reset" }, onclick: () => resetSecondFactor(s) }, "Reset second step", hidden(` for ${name}`))
        : null,
      s.active
        ? el("button", { type: "button", class: "secondary small", dataset: { act: "sso" }, onclick: () => openSso(s) }, "Single sign-on", hidden(` for ${name}`))
        : null,
      s.active && !self
        ? el("button", { type: "button", class: "secondary small danger", dataset: { act: "deactivate" }, onclick: () => setActive(s, false) }, "Deactivate", hidden(` ${name}`))
        : null,
      !s.active
        ? el("button", { type: "button", class: "secondary small", dataset: { act: "reactivate" }, onclick: () => setActive(s, true) }, "Reactivate", hidden(` ${name}`))
        : null)));
}

function renderStaff() {
  const rows = clear($("staff-rows"));
  const sorted = [...state.staff].sort((a, b) =>
    Number(b.active) - Number(a.active) || Number(Boolean(b.reset_requested_at)) - Number(Boolean(a.reset_requested_at))
    || a.display_name.localeCompare(b.display_name));
  rows.append(...sorted.map(staffRow));
}

/** The staff, and the pools their rows name. */
async function fetchStaff() {
  const [staff, pools] = await Promise.all([api("GET", "/api/v1/staff-accounts"), api("GET", "/api/v1/pools")]);
  state.staff = staff;
  state.pools = new Map(pools.map((p) => [p.id, p.name]));
}

async function loadStaff() {
  await fetchStaff();
  renderStaff();
}

/** Puts the cursor on the `act` control in `container`, else on its first button. */
function focusAction(container, act) {
  (container?.querySelector(`[data-act="${act}"]`) ?? container?.querySelector("button"))?.focus();
}

function focusRow(tbody, id, act) {
  focusAction($(tbody).querySelector(`tr[data-id="${id}"]`), act);
}

function openStaffForm(s) {
  state.editingStaff = s ?? null;
  const form = $("staff-form");
  form.hidden = false;
  $("add-staff").hidden = true;
  showError($("staff-form-error"), "");
  showError($("staff-pools-error"), "");
  for (const id of Object.values(STAFF_INPUTS)) $(id).removeAttribute("aria-invalid");
  $("staff-form-title").textContent = s ? `Edit ${s.display_name}` : "Add staff member";
  $("staff-save").textContent = s ? "Save changes" : "Add and make set-up link";
  $("staff-username-row").hidden = Boolean(s);
  $("staff-username").value = "";
  // Only for someone new: afterwards the number is theirs to change.
  $("staff-mobile-row").hidden = Boolean(s);
  $("staff-mobile").value = "";
  $("staff-text-link").checked = false;
  $("staff-name").value = s ? s.display_name : "";
  options($("staff-role"), Object.entries(ROLE_WORDS), s ? s.role : "nurse");
  checkboxes($("staff-departments"), "staff-dept", state.departments, s?.departments);
  checkboxes($("staff-care-teams"), "staff-team", state.careTeams, s?.care_teams);
  $("staff-care-teams-empty").hidden = state.careTeams.size > 0;
  poolChecks(s?.pools);
  (s ? $("staff-name") : $("staff-username")).focus();
  form.scrollIntoView({ block: "nearest" });
}

/** The pool checkboxes, `chosen` ticked, shown as the chosen role allows. */
function poolChecks(chosen) {
  checkboxes($("staff-pools"), "staff-pool", state.pools, chosen);
  poolsForRole();
}

/**
 * A role that takes no conversations is in no pool: the pools are put away
 * (what was ticked stays, should the role change back) and a note says why.
 */
function poolsForRole() {
  const off = NO_CONVERSATIONS[$("staff-role").value];
  const inPools = state.editingStaff?.pools?.length > 0;
  $("staff-pools-set").disabled = Boolean(off);
  $("staff-pools-off").hidden = !off;
  $("staff-pools-off").textContent = off
    ? `${off} take no conversations, so they are in no pool.${inPools ? " Saving takes them out of the pools they are in." : ""}`
    : "";
  $("staff-pools-hint").hidden = Boolean(off);
  $("staff-pools").hidden = Boolean(off);
  $("staff-pools-empty").hidden = Boolean(off) || state.pools.size > 0;
}

/** A refusal about pools, shown in their fieldset. A pool gone since the page was opened leaves the list. */
async function poolsRefused(err) {
  let text = message(err);
  if (/no such pool$/.test(err.message)) {
    const chosen = ticked($("staff-pools"));
    await loadStaff().then(() => poolChecks(chosen)).catch(() => {});
    text = "One of the pools you chose no longer exists, so it is no longer listed. Check the pools, then save again.";
  }
  showError($("staff-pools-error"), text);
  ($("staff-pools").querySelector("input:not(:disabled)") ?? $("staff-role")).focus();
}

function closeStaffForm() {
  const s = state.editingStaff;
  state.editingStaff = null;
  $("staff-form").hidden = true;
  $("add-staff").hidden = false;
  if (s) focusRow("staff-rows", s.id, "edit");
  else $("add-staff").focus();
}

async function saveStaff(e) {
  e.preventDefault();
  const error = $("staff-form-error");
  showError(error, "");
  showError($("staff-pools-error"), "");
  const s = state.editingStaff;
  const role = $("staff-role").value;
  const body = {
    display_name: $("staff-name").value.trim(),
    role,
    departments: ticked($("staff-departments")),
    care_teams: ticked($("staff-care-teams")),
    // Every pool they should be in: the save replaces their pools.
    pools: NO_CONVERSATIONS[role] ? [] : ticked($("staff-pools")),
  };
  if (!s) {
    body.username = $("staff-username").value.trim().toLowerCase();
    const mobile = $("staff-mobile").value.trim();
    if (mobile) body.mobile = mobile;
    if ($("staff-text-link").checked) body.setup_link_by = "sms";
  }
  const problem = !s && !body.username ? ["staff-username", "Choose a user name for them."]
    : !body.display_name ? ["staff-name", "Enter their name as colleagues and patients see it."] : null;
  if (problem) {
    showError(error, problem[1]);
    $(problem[0]).focus();
    return;
  }
  const button = $("staff-save");
  button.disabled = true;
  let created;
  try {
    if (s) await api("PUT", `/api/v1/staff-accounts/${s.id}`, body);
    else created = await api("POST", "/api/v1/staff-accounts", body);
  } catch (err) {
    if (err instanceof ApiError && err.field === "pools") {
      for (const id of Object.values(STAFF_INPUTS)) $(id).removeAttribute("aria-invalid");
      await poolsRefused(err);
    } else {
      refuse(error, err, { ...STAFF_INPUTS, conflict: s ? null : "staff-username" });
    }
    return;
  } finally {
    button.disabled = false;
  }
  state.editingStaff = null;
  $("staff-form").hidden = true;
  $("add-staff").hidden = false;
  await loadStaff().catch((err) => showError($("staff-error"), message(err)));
  if (created) {
    const texted = created.setup_link.delivery === "sms";
    say($("staff-status"), texted
      ? `${body.display_name} added. Their set-up link is queued to be sent by text message.`
      : `${body.display_name} added. Give them their set-up link.`);
    showLink($("staff-link"), {
      heading: `Set-up link for ${body.display_name}`,
      label: "Set-up link",
      who: body.display_name,
      link: created.setup_link,
      notes: [`With it, ${body.display_name} chooses their own password and can then sign in as ${body.username}.`,
        ...(texted ? ["It is queued to be texted to the number you gave, and shown here once too, in case you would rather hand it over. If no text service is set up, it waits in the outbox on the setup page."] : [])],
      back: $("add-staff"),
    });
  } else {
    say($("staff-status"), `Changes to ${body.display_name} saved.`);
    focusRow("staff-rows", s.id, "edit");
  }
}

async function staffResetLink(s) {
  showError($("staff-error"), "");
  let link;
  try {
    link = await api("POST", `/api/v1/users/${s.id}/reset-link`);
  } catch (err) {
    showError($("staff-error"), message(err));
    return;
  }
  await loadStaff().catch((err) => showError($("staff-error"), message(err)));
  say($("staff-status"), `Reset link made for ${s.display_name}.`);
  showLink($("staff-link"), {
    heading: `Password reset link for ${s.display_name}`,
    label: "Reset link",
    who: s.display_name,
    link,
    notes: ["With it they choose a new password. Doing so signs them out everywhere. Any earlier reset link stops working."],
  });
}

/**
 * Removes a colleague's second step (a lost phone), after asking: they sign
 * in with their password and set up a new one within the practice's grace
 * period.
 */
async function resetSecondFactor(s) {
  showError($("staff-error"), "");
  const sure = await confirmStep(`Reset the second step for ${s.display_name}?`,
    `Their authenticator app and recovery codes stop working. Do this only when you know it is them asking (in person, or by calling them back). They sign in with their password and set up a new app.`,
    "Reset second step");
  if (!sure) return;
  try {
    await api("POST", `/api/v1/users/${s.id}/second-factor-reset`);
  } catch (err) {
    showError($("staff-error"), message(err));
    return;
  }
  say($("staff-status"), `${s.display_name}'s second step is reset. They set up a new one when they next sign in.`);
  focusRow("staff-rows", s.id, "second-factor-reset");
}

/**
 * A colleague's single sign-on: the work email their first sign-in with the
 * practice's provider is matched by, and, once linked, unlinking them
 * (their next sign-in matches by the email again). Saving and unlinking
 * ask the administrator to confirm it is them (handled by `api`).
 * @param {StaffAccount} s
 */
async function openSso(s) {
  showError($("staff-error"), "");
  let account;
  try {
    account = await api("GET", `/api/v1/users/${s.id}/sso`);
  } catch (err) {
    showError($("staff-error"), message(err));
    return;
  }
  const dialog = /** @type {HTMLDialogElement} */ ($("sso-dialog"));
  const back = /** @type {HTMLElement | null} */ (document.activeElement);
  const email = /** @type {HTMLInputElement} */ ($("sso-email"));
  const render = (/** @type {{ email: string | null, linked: boolean, linked_at: string | null }} */ a) => {
    $("sso-dialog-title").textContent = `Single sign-on for ${s.display_name}`;
    $("sso-dialog-state").textContent = a.linked
      ? `Linked to their account at your provider${a.linked_at ? ` since ${at(a.linked_at)}` : ""}.`
      : "Not linked yet: their first single sign-on links them.";
    email.value = a.email ?? "";
    $("sso-unlink").hidden = !a.linked;
  };
  render(account);
  showError($("sso-email-error"), "");
  showError($("sso-dialog-error"), "");
  const close = () => {
    $("sso-dialog-form").onsubmit = null;
    $("sso-unlink").onclick = null;
    $("sso-dialog-close").onclick = null;
    if (dialog.open) dialog.close();
    if (back && back.isConnected) back.focus();
  };
  $("sso-dialog-close").onclick = close;
  dialog.oncancel = (event) => {
    event.preventDefault();
    close();
  };
  $("sso-dialog-form").onsubmit = async (event) => {
    event.preventDefault();
    showError($("sso-email-error"), "");
    showError($("sso-dialog-error"), "");
    try {
      render(await api("PUT", `/api/v1/users/${s.id}/sso`, { email: email.value.trim() || null }));
      say($("staff-status"), `Saved the work email for ${s.display_name}.`);
      close();
    } catch (err) {
      const field = err instanceof ApiError && err.field === "email";
      showError(field ? $("sso-email-error") : $("sso-dialog-error"), message(err));
      if (field) email.focus();
    }
  };
  $("sso-unlink").onclick = async () => {
    showError($("sso-dialog-error"), "");
    try {
      await api("DELETE", `/api/v1/users/${s.id}/sso`);
      render(await api("GET", `/api/v1/users/${s.id}/sso`));
      say($("staff-status"), `${s.display_name} is unlinked from single sign-on.`);
    } catch (err) {
      showError($("sso-dialog-error"), message(err));
    }
  };
  dialog.showModal();
  email.focus();
}

/** Deactivates (after asking) or reactivates an account, staff or patient. */
async function setActive(account, active) {
  const isPatient = "given_name" in account;
  const name = isPatient ? `${account.given_name} ${account.family_name}` : account.display_name;
  const userId = isPatient ? account.user_id : account.id;
  const [statusNode, errorNode, tbody] = isPatient
    ? [$("patients-status"), $("patients-error"), "patient-rows"]
    : [$("staff-status"), $("staff-error"), "staff-rows"];
  showError(errorNode, "");
  if (!active) {
    const sure = await confirmStep(`Deactivate ${name}?`,
      `${name} is signed out everywhere at once and cannot sign in until reactivated. ${isPatient ? "Their record, messages and history are" : "Their messages, notes and history are"} kept.`,
      `Deactivate ${name}`);
    if (!sure) return;
  }
  try {
    await api("POST", `/api/v1/users/${userId}/${active ? "reactivate" : "deactivate"}`);
  } catch (err) {
    showError(errorNode, err instanceof ApiError && err.status === 409 ? `Not deactivated: ${message(err)}` : message(err));
    return;
  }
  await (isPatient ? loadPatients() : loadStaff()).catch((err) => showError(errorNode, message(err)));
  say(statusNode, active ? `${name} is active again and can sign in.` : `${name} is deactivated. Their sessions have ended.`);
  focusRow(tbody, account.id, active ? "deactivate" : "reactivate");
}

// ---- Patients --------------------------------------------------------------

const patientName = (p) => `${p.given_name} ${p.family_name}`;

function enrollmentCell(p) {
  const words = ENROLLMENT_WORDS[p.enrollment] ?? p.enrollment;
  const inv = p.invitation;
  const lines = [el("span", { class: `tag enrollment ${p.enrollment}` }, words)];
  if (p.enrollment === "enrolled") {
    if (p.active === false) lines.push(el("span", { class: "tag inactive" }, "Deactivated"));
    if (p.username) lines.push(el("span", { class: "sub" }, `Signs in as ${p.username}`));
    if (isAdmin() && p.active !== false && p.reset_requested_at) {
      lines.push(el("p", { class: "reset-request" }, el("strong", {}, "Asked for a password reset"), ` ${at(p.reset_requested_at)}`));
    }
    lines.push(el("span", { class: "sub" }, p.last_sign_in_at ? `Last signed in ${at(p.last_sign_in_at)}` : "Never signed in"));
    lines.push(termsLine(p));
  } else if (!p.messaging_open) {
    lines.push(el("span", { class: "sub" }, "Messaging is not on for this patient yet"));
  } else if (inv && (inv.state === "sent" || inv.state === "opened")) {
    lines.push(el("span", { class: "sub" }, `Made ${at(inv.sent_at)} ${CHANNEL_WORDS[inv.channel] ?? ""}`.trim()));
    lines.push(el("span", { class: "sub" }, `Valid until ${at(inv.expires_at)}`));
  }
  return lines;
}

/** Which messaging terms the patient accepted, when and how. */
function termsLine(p) {
  const a = p.terms_accepted;
  if (!a) return el("span", { class: "sub" }, "Has not accepted the messaging terms yet");
  const how = a.method === "invitation" ? "when enrolling" : "in the app";
  return el("span", { class: "sub" }, p.terms_current
    ? `Accepted the messaging terms (version ${a.version}) ${at(a.accepted_at)}, ${how}`
    : `Accepted version ${a.version} of the messaging terms; the new terms wait to be accepted`);
}

/**
 * For administrators while messaging is on for chosen groups only: whether
 * this patient is on the launch list (added one by one).
 * @param {PatientAccount} p
 */
function launchControl(p) {
  const box = el("div", { class: "launch" }, el("span", { class: "sub" }, p.messaging_open ? "On" : "Not on yet"));
  api("GET", "/api/v1/practice/rollout").then((rollout) => {
    if (rollout.mode !== "cohorts") {
      clear(box).append(el("span", {}, "On (on for every patient)"));
      return;
    }
    const listed = rollout.patient_ids.includes(p.id);
    const input = el("input", { id: "launch-listed", type: "checkbox", checked: listed });
    const status = el("span", { class: "sub", role: "status" }, p.messaging_open ? "On" : "Not on yet");
    input.addEventListener("change", async () => {
      input.disabled = true;
      try {
        const fresh = await api("GET", "/api/v1/practice/rollout");
        const ids = fresh.patient_ids.filter((x) => x !== p.id);
        if (input.checked) ids.push(p.id);
        await api("PUT", "/api/v1/practice/rollout", { ...fresh, patient_ids: ids });
        await loadPatientView();
      } catch (e) {
        input.checked = !input.checked;
        status.textContent = problem(e);
      } finally {
        input.disabled = false;
      }
    });
    clear(box).append(status,
      el("div", { class: "check" }, input, el("label", { for: "launch-listed" }, "On the launch list (messaging on for this patient)")));
  }).catch(() => {});
  return box;
}

/** An email address that may break after its @ and dots (<wbr>) rather than anywhere. */
const breakable = (address) => address.split(/(?<=[@.])/).flatMap((part, i) => (i ? [el("wbr"), part] : [part]));

/** Whether an invitation is out and not yet used. */
const invitationOpen = (p) => Boolean(p.invitation && (p.invitation.state === "sent" || p.invitation.state === "opened"));

/** Colleagues who work conversations may start one with a patient; administrators and compliance officers may not. */
const worksConversations = () => !(state.me.role in NO_CONVERSATIONS);

function actionButton(act, label, suffix, onclick, cls = "secondary small") {
  return el("button", { type: "button", class: cls, dataset: { act }, onclick }, label, hidden(suffix));
}

/** Invite, or resend and revoke, for a patient not yet enrolled. */
function invitationButtons(p) {
  if (p.user_id) return [];
  const name = patientName(p);
  return invitationOpen(p)
    ? [actionButton("invite", "Resend invitation", ` to ${name}`, () => openInvite(p)),
      actionButton("revoke", "Revoke invitation", ` for ${name}`, () => revokeInvitation(p), "secondary small danger")]
    : [actionButton("invite", "Invite", ` ${name}`, () => openInvite(p))];
}

/** A link to the inbox's new-conversation dialog, which opens from this address. */
function messageLink(p, label, suffix, cls) {
  return el("a", { href: `/inbox#/start/${p.id}`, class: cls, dataset: { act: "message" } }, label, hidden(suffix));
}

/** Why a message to `p` would wait (not enrolled, or deactivated), or null if they can read it. */
function messageWaits(p) {
  if (!p.user_id) return "They will see messages once they enroll.";
  if (p.active === false) return "Their account is deactivated: they will see messages only if it is reactivated.";
  return null;
}

/** @param {PatientAccount} p */
function patientRow(p) {
  const name = patientName(p);
  const enrolled = Boolean(p.user_id);
  const contact = [p.email && breakable(p.email), p.phone].filter(Boolean);
  const care = [p.care_team, p.department].filter(Boolean);
  // Colleagues invite and message; administrators also edit, reset and deactivate.
  const manage = isAdmin();
  const talk = worksConversations();
  const asked = manage && enrolled && p.active !== false && p.reset_requested_at;
  const waits = talk ? messageWaits(p) : null;
  return el("tr", { dataset: { id: p.id }, class: asked ? "asks-reset" : null },
    el("td", { "data-label": "Name" }, el("a", { href: `#/patient/${p.id}`, class: "name-link" }, el("strong", {}, name))),
    el("td", { "data-label": "Date of birth" }, civilDate(p.birth_date)),
    el("td", { "data-label": "Record number" }, p.mrn ?? el("span", { class: "muted" }, "None")),
    el("td", { "data-label": "Contact" }, contact.length ? contact.map((c) => el("span", { class: "sub-line" }, c)) : el("span", { class: "muted" }, "None on file")),
    el("td", { "data-label": "Care" }, care.length ? care.map((c) => el("span", { class: "sub-line" }, c)) : el("span", { class: "muted" }, "None")),
    el("td", { "data-label": "Enrollment" }, enrollmentCell(p)),
    el("td", { class: "actions-cell" }, el("div", { class: "row-actions" },
      talk ? messageLink(p, "Message", ` ${name}`, "button secondary small") : null,
      manage ? actionButton("edit", "Edit", ` ${name}`, () => openPatientForm(p)) : null,
      invitationButtons(p),
      manage && enrolled && p.active !== false ? actionButton("reset", "Make reset link", ` for ${name}`, () => patientResetLink(p), asked ? "primary small" : "secondary small") : null,
      manage && enrolled && p.active !== false ? actionButton("deactivate", "Deactivate", ` ${name}`, () => setActive(p, false), "secondary small danger") : null,
      manage && enrolled && p.active === false ? actionButton("reactivate", "Reactivate", ` ${name}`, () => setActive(p, true)) : null),
    waits ? el("p", { class: "hint row-note" }, waits) : null));
}

function renderPatients() {
  const q = $("patient-filter").value.trim().toLowerCase();
  const shown = q
    ? state.patients.filter((p) => `${p.given_name} ${p.family_name}`.toLowerCase().includes(q)
      || `${p.family_name} ${p.given_name}`.toLowerCase().includes(q) || (p.mrn ?? "").toLowerCase().includes(q))
    : state.patients;
  clear($("patient-rows")).append(...shown.map(patientRow));
  const n = state.patients.length;
  const first = state.offset + 1;
  $("patients-page").textContent = n ? `Patients ${first}–${state.offset + n}` : "";
  $("patient-count").textContent = n === 0
    ? (state.offset === 0 ? MODES[state.mode].noPatients : "No more patients.")
    : q ? `${shown.length} of the ${n} patients on this page match.` : "";
  // Nothing on file at all: no empty table to filter.
  const none = n === 0 && state.offset === 0;
  $("patient-filter").closest(".toolbar").hidden = none;
  $("patient-table").closest(".table-wrap").hidden = none;
  $("patients-prev").disabled = state.offset === 0;
  $("patients-next").disabled = !state.more;
  /** @type {HTMLElement} */ (document.querySelector(".pager")).hidden = state.offset === 0 && !state.more;
}

async function fetchPatients() {
  const list = await api("GET", `/api/v1/patient-accounts?offset=${state.offset}&limit=${PAGE_SIZE}`);
  state.patients = list;
  state.more = list.length === PAGE_SIZE;
}

async function loadPatients() {
  await fetchPatients();
  renderPatients();
}

/** A choice for `id` even if the practice no longer lists it, so that saving keeps it. */
function withCurrent(known, id, name) {
  return id && !known.has(id) ? [...known, [id, name]] : [...known];
}

function openPatientForm(p) {
  state.editingPatient = p ?? null;
  const form = $("patient-form");
  form.hidden = false;
  $("add-patient").hidden = true;
  showError($("patient-form-error"), "");
  for (const id of Object.values(PATIENT_INPUTS)) $(id)?.removeAttribute("aria-invalid");
  $("patient-form-title").textContent = p ? `Edit ${patientName(p)}` : "Add patient";
  $("patient-save").textContent = p ? "Save changes" : "Add patient";
  $("patient-given").value = p?.given_name ?? "";
  $("patient-family").value = p?.family_name ?? "";
  $("patient-birth").value = p?.birth_date ?? "";
  $("patient-mrn").value = p?.mrn ?? "";
  $("patient-email").value = p?.email ?? "";
  $("patient-phone").value = p?.phone ?? "";
  // By id: a name shown is only for display. The save replaces the whole record.
  const deptId = p?.department_id ?? "";
  const teamId = p?.care_team_id ?? "";
  options($("patient-department"),
    [["", "No department"], ...withCurrent(state.departments, deptId, p?.department ?? "A former department")], deptId);
  options($("patient-care-team"),
    [["", "No care team"], ...withCurrent(state.careTeams, teamId, p?.care_team ?? "A former care team")], teamId);
  $("patient-given").focus();
  form.scrollIntoView({ block: "nearest" });
}

function closePatientForm() {
  const p = state.editingPatient;
  state.editingPatient = null;
  $("patient-form").hidden = true;
  $("add-patient").hidden = false;
  if (p) focusRow("patient-rows", p.id, "edit");
  else $("add-patient").focus();
}

async function savePatient(e) {
  e.preventDefault();
  const error = $("patient-form-error");
  showError(error, "");
  const value = (id) => $(id).value.trim() || null;
  const body = {
    given_name: $("patient-given").value.trim(),
    family_name: $("patient-family").value.trim(),
    birth_date: $("patient-birth").value,
    mrn: value("patient-mrn"),
    email: value("patient-email"),
    phone: value("patient-phone"),
    department_id: $("patient-department").value || null,
    care_team_id: $("patient-care-team").value || null,
  };
  const problem = !body.given_name ? ["patient-given", "Enter the patient's given name."]
    : !body.family_name ? ["patient-family", "Enter the patient's family name."]
      : !/^\d{4}-\d{2}-\d{2}$/.test(body.birth_date) ? ["patient-birth", "Enter the patient's date of birth."] : null;
  if (problem) {
    showError(error, problem[1]);
    $(problem[0]).focus();
    return;
  }
  const p = state.editingPatient;
  const button = $("patient-save");
  button.disabled = true;
  try {
    if (p) await api("PUT", `/api/v1/patient-accounts/${p.id}`, body);
    else await api("POST", "/api/v1/patient-accounts", body);
  } catch (err) {
    refuse(error, err, { ...PATIENT_INPUTS, conflict: "patient-mrn" });
    return;
  } finally {
    button.disabled = false;
  }
  state.editingPatient = null;
  $("patient-form").hidden = true;
  $("add-patient").hidden = false;
  await loadPatients().catch((err) => showError($("patients-error"), message(err)));
  const name = `${body.given_name} ${body.family_name}`;
  say($("patients-status"), p ? `Changes to ${name} saved.` : `${name} added. Invite them when they are ready to enroll.`);
  if (p) focusRow("patient-rows", p.id, "edit");
  else $("add-patient").focus();
}

/**
 * Where the invitation actions work: on the patient's page when it is open,
 * else in the list. `form` is where the invitation form goes.
 */
function patientPlace() {
  if (state.viewing) {
    return {
      status: $("patient-view-status"), error: $("patient-view-error"), link: $("patient-view-link"), form: $("patient-view-invite"),
      back: $("patient-view-title"), focus: (id, act) => focusAction($("patient-view-actions"), act),
    };
  }
  return {
    status: $("patients-status"), error: $("patients-error"), link: $("patient-link"), form: $("invite-home"),
    back: null, focus: (id, act) => focusRow("patient-rows", id, act),
  };
}

/** The list again, and the open patient's page with it. */
async function reloadPatients() {
  await Promise.all([loadPatients(), state.viewing ? loadPatientView() : null]);
}

function openInvite(p) {
  state.invitePatient = p;
  const name = patientName(p);
  const form = $("invite-form");
  patientPlace().form.append(form);
  form.hidden = false;
  showError($("invite-error"), "");
  $("invite-title").textContent = invitationOpen(p) ? `Resend the invitation to ${name}` : `Invite ${name}`;
  $("invite-legend").textContent = `How will ${name} get the link?`;
  $("invite-desk").checked = true;
  inviteButtonWords();
  form.scrollIntoView({ block: "nearest" });
  $("invite-desk").focus();
}

/** The invitation form's button says what it will do: make a link to hand over, or send one. */
function inviteButtonWords() {
  const channel = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="invite-channel"]:checked'))?.value ?? "desk";
  $("invite-save").textContent = channel === "desk" ? "Make invitation link" : "Send invitation";
}

function closeInvite() {
  const p = state.invitePatient;
  state.invitePatient = null;
  $("invite-form").hidden = true;
  if (p) patientPlace().focus(p.id, "invite");
}

async function sendInvite(e) {
  e.preventDefault();
  const p = state.invitePatient;
  if (!p) return;
  const name = patientName(p);
  const channel = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="invite-channel"]:checked'))?.value ?? "desk";
  const place = patientPlace();
  const error = $("invite-error");
  showError(error, "");
  const button = $("invite-save");
  button.disabled = true;
  let link;
  try {
    link = await api("POST", `/api/v1/patient-accounts/${p.id}/invitation`, { channel });
  } catch (err) {
    showError(error, err instanceof ApiError && err.field === "channel" && channel !== "desk"
      ? `${name} has no ${channel === "email" ? "email address" : "mobile number"} on file. ${MODES[state.mode].addContact}`
      : message(err));
    return;
  } finally {
    button.disabled = false;
  }
  state.invitePatient = null;
  $("invite-form").hidden = true;
  await reloadPatients().catch((err) => showError(place.error, message(err)));
  const sent = link.delivery === "email" || link.delivery === "sms";
  const by = link.delivery === "email" ? "email" : "text message";
  const to = link.delivery === "email" ? "emailed to the address" : "texted to the mobile number";
  say(place.status, `Invitation made for ${name}.${sent ? ` It is queued to be sent by ${by}.` : ""}`);
  showLink(place.link, {
    back: place.back,
    heading: `Invitation link for ${name}`,
    label: "Invitation link",
    who: name,
    link,
    notes: [
      sent
        ? `The link is queued to be ${to} on ${p.given_name}'s record. It is shown here once too, in case you would rather hand it over. Whether it went out shows on ${p.given_name}'s page, under Notifications.`
        : "The patient gets this link only from you: hand it over at the desk, print it, or read it out.",
      `With it, ${p.given_name} confirms their date of birth, then chooses a user name and password. Any earlier invitation stops working.`,
    ],
  });
}

async function revokeInvitation(p) {
  const name = patientName(p);
  const place = patientPlace();
  showError(place.error, "");
  const sure = await confirmStep(`Revoke the invitation for ${name}?`,
    "The link stops working at once. You can invite them again later.", "Revoke invitation");
  if (!sure) return;
  try {
    await api("DELETE", `/api/v1/patient-accounts/${p.id}/invitation`);
  } catch (err) {
    showError(place.error, message(err));
    return;
  }
  await reloadPatients().catch((err) => showError(place.error, message(err)));
  say(place.status, `The invitation for ${name} is revoked.`);
  place.focus(p.id, "invite");
}

async function patientResetLink(p) {
  const name = patientName(p);
  showError($("patients-error"), "");
  let link;
  try {
    link = await api("POST", `/api/v1/users/${p.user_id}/reset-link`);
  } catch (err) {
    showError($("patients-error"), message(err));
    return;
  }
  await loadPatients().catch((err) => showError($("patients-error"), message(err)));
  say($("patients-status"), `Reset link made for ${name}.`);
  showLink($("patient-link"), {
    heading: `Password reset link for ${name}`,
    label: "Reset link",
    who: name,
    link,
    notes: ["With it they choose a new password. Doing so signs them out everywhere. Any earlier reset link stops working."],
  });
}

// ---- A patient's page ------------------------------------------------------

const none = (text) => el("span", { class: "muted" }, text);

/** A card of facts: `rows` are [term, description]. */
function factsCard(id, title, rows) {
  return el("section", { class: "card patient-card", "aria-labelledby": id },
    el("h2", { id }, title),
    el("dl", { class: "facts" }, rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)])));
}

function conversationItem(c) {
  const unread = c.unread_count > 0;
  return el("li", { class: `conversation-item${c.priority === "urgent" ? " urgent" : ""}${c.content_withheld ? " withheld" : ""}` },
    el("p", { class: "conversation-head" },
      c.content_withheld
        ? el("span", { class: "conversation-subject withheld-note" }, WITHHELD_TEXT)
        : el("a", { href: `/inbox#/all/c/${c.id}`, class: "conversation-subject" }, c.subject),
      el("span", { class: "conversation-tags" },
        c.priority === "urgent" ? el("span", { class: "tag urgent" }, "Urgent") : null,
        el("span", { class: `tag ${c.status}` }, STATUS_WORDS[c.status] ?? c.status),
        unread ? el("span", { class: "tag unread" }, `${c.unread_count} unread`) : null)),
    el("p", { class: "meta" }, `${topicLabel(c.topic)} · Last activity ${at(c.last_activity_at)}`),
    c.preview ? el("p", { class: "conversation-preview" }, PREVIEW_WHO[c.preview.from] ?? "", c.preview.text) : null);
}

/**
 * The patient's conversations: the counts for everyone; the list for those
 * who work conversations (`list` is null for anyone else, who does not read them).
 */
function conversationsCard(p, list) {
  const id = "patient-conversations-title";
  const counts = el("p", { class: "counts" },
    el("strong", {}, String(p.open_conversations)), " open · ", el("strong", {}, String(p.closed_conversations)), " closed");
  let body;
  if (!list) {
    body = el("p", { class: "notice" }, "Administrators do not see what conversations say, only how many there are. The care team reads and answers them in the inbox.");
  } else if (list.conversations.length === 0) {
    body = none(p.open_conversations + p.closed_conversations ? "None of them are in your inbox." : "No conversations yet.");
  } else {
    body = [el("ul", { class: "plain-list conversation-list" }, list.conversations.map(conversationItem)),
      list.next_cursor ? el("p", { class: "hint" }, `The ${list.conversations.length} most recent are listed here; the inbox has them all.`) : null];
  }
  return el("section", { class: "card patient-card", "aria-labelledby": id }, el("h2", { id }, "Conversations"), counts, body);
}

/**
 * A patient's recent notices (`PatientDeliveriesDto`): medium, kind and
 * state only, never their words or the address.
 * @typedef {object} Deliveries
 * @property {{ id: string, medium: string, kind: string, state: string, reason: string | null, attempts: number, created_at: string, sent_at: string | null }[]} deliveries
 * @property {{ medium: string, since: string }[]} unreachable
 */

/** The notices listed on a patient's page; the rest are counted. */
const DELIVERIES_SHOWN = 10;

const DELIVERY_STATE_WORDS = {
  queued: "Waiting to be sent",
  sent: "Sent",
  delivered: "Delivered",
  failed: "Not sent",
  opted_out: "Not sent: they opted out",
};

/** Why a notice failed or waits, in words (the server's reason codes). */
function reasonWords(reason) {
  if (!reason) return null;
  const known = {
    no_channel: "no email or text-message service is set up here (administrators find it in the outbox on the setup page)",
    sms_opted_out: "they replied STOP to our texts",
    push_gone: "the device no longer takes notifications",
    not_an_email_address: "the email address on file is not a working address",
    not_a_phone_number: "the mobile number on file is not a working number",
  };
  if (known[reason]) return known[reason];
  if (reason.startsWith("smtp_") || reason.startsWith("email_")) return "the email server did not take it";
  if (reason.startsWith("sms_")) return "the text-message service did not take it";
  if (reason.startsWith("push_")) return "the notification service did not take it";
  return null;
}

/** One notice: what, how, where it stands, when. */
function deliveryItem(d) {
  const why = reasonWords(d.reason);
  const state = DELIVERY_STATE_WORDS[d.state] ?? d.state;
  const stands = d.state === "queued" && why ? `${state}: trying again, as ${why}`
    : d.state === "failed" && why ? `${state}: ${why}` : state;
  return el("li", { class: `delivery ${d.state}` },
    el("p", { class: "delivery-head" },
      el("strong", {}, NOTICE_KIND_WORDS[d.kind] ?? d.kind),
      el("span", { class: "muted" }, ` · ${MEDIUM_NAMES[d.medium] ?? d.medium}`)),
    el("p", { class: "meta" }, `${capitalised(stands)} · ${at(d.sent_at ?? d.created_at)}`));
}

const capitalised = (text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * What to do about a medium that does not reach the patient, from why its
 * latest notice failed: only an address problem is the record's to fix.
 */
function unreachableAdvice(p, medium, latest) {
  if (latest?.reason === "no_channel") return " No service for it is set up here, so nothing can be sent that way yet.";
  if (latest?.reason === "sms_opted_out") return ` ${p.given_name} replied STOP; texts start again if they reply START.`;
  if (medium === "push") return " Their devices no longer take notifications; they can turn them on again in the app's settings.";
  return ` Check the ${medium === "email" ? "email address" : "mobile number"} on the record with ${p.given_name}.`;
}

/**
 * "Notifications": the emails, texts and device notifications sent to the
 * patient, and the ways they cannot be reached. `d` is null when they
 * could not be loaded.
 * @param {PatientAccount} p
 * @param {Deliveries | null} d
 */
function deliveriesCard(p, d) {
  const id = "patient-deliveries-title";
  let body;
  if (!d) {
    body = el("p", { class: "error" }, "The notifications sent to this patient could not be loaded.");
  } else {
    const shown = d.deliveries.slice(0, DELIVERIES_SHOWN);
    body = [
      ...d.unreachable.map((u) => el("p", { class: "unreachable" },
        el("strong", {}, `Not reachable by ${MEDIUM_WORDS[u.medium] ?? u.medium} since ${at(u.since)}.`),
        unreachableAdvice(p, u.medium, d.deliveries.find((x) => x.medium === u.medium)))),
      shown.length
        ? el("ul", { class: "plain-list delivery-list" }, shown.map(deliveryItem))
        : none("Nothing sent yet."),
      d.deliveries.length > shown.length ? el("p", { class: "hint" }, `The ${shown.length} most recent of ${d.deliveries.length} are listed.`) : null,
    ];
  }
  return el("section", { class: "card patient-card", "aria-labelledby": id },
    el("h2", { id }, "Notifications"),
    el("p", { class: "hint" }, "Emails, texts and device notifications sent to the patient. They say only that something waits at the practice, never what."),
    body);
}

/** Starting a conversation (for those who work them), and the invitation actions. */
function patientViewActions(p) {
  const talk = worksConversations();
  const waits = talk ? messageWaits(p) : null;
  return el("div", {},
    el("div", { class: "row-actions view-actions" },
      talk ? messageLink(p, "Start a conversation", ` with ${patientName(p)}`, "button primary") : null,
      invitationButtons(p)),
    waits ? el("p", { class: "hint" }, waits) : null);
}

/**
 * @param {PatientAccount} p
 * @param {{ conversations: ConversationSummary[], next_cursor: string | null } | null} list
 * @param {Deliveries | null} deliveries
 */
const RELATIONSHIP_WORDS = /** @type {const} */ ([
  ["mother", "Mother"], ["father", "Father"], ["guardian", "Guardian"], ["spouse", "Spouse"], ["adult_child", "Adult child"], ["other", "Other caregiver"],
]);
const STANDING_WORDS = {
  adult: "Adult: they invite their own caregivers in the app.",
  child: "Minor: caregivers see all of this patient's conversations.",
  confidential_minor: "Minor old enough for confidentiality: caregivers see only the conversations the patient or a clinician shares.",
};

/**
 * Who may act for the patient (`CaregiversDto`): each caregiver with the
 * way to revoke them; for a minor, a grant to another patient who has an
 * account here. `null` when the caller may not see them.
 */
function caregiversCard(p, overview) {
  if (!overview) return null;
  const id = "patient-caregivers-title";
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const reload = async () => {
    const fresh = await api("GET", `/api/v1/patient-accounts/${p.id}/caregivers`);
    $("patient-caregivers").replaceWith(caregiversCard(p, fresh));
  };
  const list = overview.caregivers.length
    ? el("ul", { class: "plain-list caregiver-list" }, overview.caregivers.map((c) => el("li", {},
      el("span", {}, el("strong", {}, c.caregiver_name), ` (${c.relationship_words}) · `,
        c.granted_by === "practice" ? "given by the practice" : "invited by the patient",
        c.ends_at ? ` · until ${dayWithYear(c.ends_at)}` : ""),
      " ",
      el("button", {
        type: "button", class: "link",
        onclick: async () => {
          try {
            await api("DELETE", `/api/v1/caregivers/${c.grant_id}`);
            await reload();
          } catch (e) {
            showError(errors, message(e));
          }
        },
      }, `Revoke ${c.caregiver_name}`))))
    : none("Nobody acts for this patient.");
  let grant = null;
  let code = null;
  if (overview.standing !== "adult") {
    // A caregiver who is not a patient here (the usual parent): a code to
    // hand over in person or read out by phone; they make an account with
    // it from the sign-in page.
    const codeRelationship = el("select", { id: "code-relationship" },
      RELATIONSHIP_WORDS.map(([c, words]) => el("option", { value: c }, words)));
    const shown = el("div", { id: "caregiver-code", "aria-live": "polite" });
    code = el("form", { class: "grant-caregiver caregiver-code-form", "aria-labelledby": "caregiver-code-title" },
      el("h3", { id: "caregiver-code-title" }, "A caregiver who is not a patient here"),
      el("label", { for: "code-relationship" }, "Who is the code for?"), codeRelationship,
      el("button", { type: "submit", class: "secondary" }, "Make a caregiver code"),
      el("p", { class: "hint" }, "Check who they are first. They enter the code on the sign-in page, under “Caring for a patient?”, to make their account. Access ends at the patient's 18th birthday."),
      shown);
    code.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const made = await api("POST", `/api/v1/patient-accounts/${p.id}/caregiver-invitations`,
          { relationship: codeRelationship.value });
        fill(shown,
          el("p", {}, "Give this code to the caregiver. It is shown only now:"),
          el("p", { class: "invitation-code" }, made.code),
          el("p", { class: "hint" }, `It works once, until ${dayWithYear(made.expires_at)}.`));
      } catch (e) {
        showError(errors, message(e));
      }
    });
    const others = state.patients.filter((x) => x.id !== p.id && x.user_id);
    const who = el("select", { id: "grant-caregiver", required: true },
      el("option", { value: "" }, "Choose a patient with an account"),
      others.map((x) => el("option", { value: x.id }, `${x.given_name} ${x.family_name}`)));
    const relationship = el("select", { id: "grant-relationship" },
      RELATIONSHIP_WORDS.map(([code, words]) => el("option", { value: code }, words)));
    grant = el("form", { class: "grant-caregiver" },
      el("label", { for: "grant-caregiver" }, "Caregiver"), who,
      el("label", { for: "grant-relationship" }, "Relationship"), relationship,
      el("button", { type: "submit", class: "secondary" }, "Give access"),
      el("p", { class: "hint" }, "Access ends at the patient's 18th birthday. The caregiver needs their own account here."));
    grant.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!who.value) return showError(errors, "Choose the caregiver.");
      try {
        await api("POST", `/api/v1/patient-accounts/${p.id}/caregivers`,
          { caregiver_patient_id: who.value, relationship: relationship.value });
        await reload();
      } catch (e) {
        showError(errors, message(e));
      }
    });
  }
  return el("section", { id: "patient-caregivers", class: "card patient-card", "aria-labelledby": id },
    el("h2", { id }, "Caregivers"),
    el("p", { class: "hint" }, STANDING_WORDS[overview.standing] ?? ""),
    list, grant, code,
    overview.invitations.length
      ? el("p", { class: "hint" }, `${overview.invitations.length} caregiver code${overview.invitations.length === 1 ? "" : "s"} not used yet.`)
      : null,
    errors);
}

function renderPatientView(p, list, deliveries, caregivers) {
  const name = patientName(p);
  $("patient-view-title").textContent = name;
  document.title = `${name} · ${MODES[state.mode].title} · Switchboard`;
  clear($("patient-view-actions")).append(patientViewActions(p));
  clear($("patient-view-body")).append(
    el("div", { class: "patient-cards" },
      factsCard("patient-record-title", "Record", [
        ["Date of birth", civilDate(p.birth_date)],
        ["Record number", p.mrn ?? none("None")],
        ["Email", p.email ? breakable(p.email) : none("None on file")],
        ["Mobile phone", p.phone ?? none("None on file")],
      ]),
      factsCard("patient-care-title", "Care and enrollment", [
        ["Care team", p.care_team ?? none("None")],
        ["Department", p.department ?? none("None")],
        ["Enrollment", el("div", { class: "enrollment" }, enrollmentCell(p))],
        isAdmin() ? ["Messaging", launchControl(p)] : null,
      ].filter(Boolean))),
    conversationsCard(p, list),
    caregiversCard(p, caregivers),
    deliveriesCard(p, deliveries));
}

/** Loads and draws the open patient's page; false if another was opened meanwhile. */
async function loadPatientView() {
  const id = state.viewing;
  const [p, list, deliveries, caregivers] = await Promise.all([
    api("GET", `/api/v1/patient-accounts/${id}`),
    worksConversations() ? api("GET", `/api/v1/conversations?patient_id=${id}&limit=${CONVERSATIONS_SHOWN}`) : null,
    // The rest of the page stands without them.
    api("GET", `/api/v1/patient-accounts/${id}/deliveries`).catch(() => null),
    api("GET", `/api/v1/patient-accounts/${id}/caregivers`).catch(() => null),
  ]);
  if (state.viewing !== id) return false;
  renderPatientView(p, list, deliveries, caregivers);
  return true;
}

/** Puts the invitation form back in the list, closed. */
function homeInvite() {
  state.invitePatient = null;
  $("invite-form").hidden = true;
  $("invite-home").append($("invite-form"));
}

async function showPatientView(id) {
  homeInvite();
  state.viewing = id;
  for (const node of [$("patient-view-link"), $("patient-view-actions"), $("patient-view-body")]) clear(node);
  say($("patient-view-status"), "");
  showError($("patient-view-error"), "");
  $("patient-view-title").textContent = "Patient";
  $("patient-view-body").append(el("p", { class: "loading" }, "Loading…"));
  $("people").hidden = true;
  $("page-title").hidden = true;
  $("patient-view").hidden = false;
  window.scrollTo(0, 0);
  let shown;
  try {
    shown = await loadPatientView();
  } catch (e) {
    if (state.viewing !== id) return;
    clear($("patient-view-body"));
    showError($("patient-view-error"), e instanceof ApiError && e.status === 404
      ? "This patient is not on your list."
      : `This patient's page could not be loaded. ${message(e)}`);
    shown = true;
  }
  if (shown) $("patient-view-title").focus();
}

/** Back to the list, the cursor on the patient whose page it was. */
function showList() {
  const id = state.viewing;
  state.viewing = null;
  homeInvite();
  // A link shown once on the patient's page is gone with it.
  clear($("patient-view-link"));
  $("patient-view").hidden = true;
  $("people").hidden = false;
  $("page-title").hidden = false;
  document.title = `${MODES[state.mode].title} · Switchboard`;
  const link = $("patient-rows").querySelector(`tr[data-id="${id}"] .name-link`);
  if (link) link.focus();
  else document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

/** Whether the address is the list's: none, or one of its sections (not the skip link's #main). */
function listAddress() {
  return !location.hash || Boolean(document.getElementById(location.hash.slice(1))?.closest("#people"));
}

/** Shows what the address asks for: a patient's page, or the list. */
async function route() {
  const id = PATIENT_ADDRESS.exec(location.hash)?.[1];
  if (id && id !== state.viewing) await showPatientView(id);
  else if (!id && state.viewing && listAddress()) showList();
}

// ---- Import ----------------------------------------------------------------

const COLUMN_WORDS = { row: "(the whole line)", file: "(the file)" };

function importProblems(report) {
  const n = report.errors.length;
  const box = clear($("import-problems"));
  box.append(
    el("p", { class: "error", role: "alert" },
      el("strong", {}, "Nothing was imported. "),
      `The file has ${n} ${n === 1 ? "problem" : "problems"}: fix ${n === 1 ? "it" : "them"} in the file, then check it again.`),
    el("div", { class: "table-wrap" },
      el("table", { class: "people-table problems" },
        el("caption", { class: "visually-hidden" }, "Problems in the file, by line"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Line"), el("th", { scope: "col" }, "Column"), el("th", { scope: "col" }, "Problem"))),
        el("tbody", {}, report.errors.map((e) => el("tr", {},
          el("td", { "data-label": "Line" }, String(e.line)),
          el("td", { "data-label": "Column" }, COLUMN_WORDS[e.field] ?? el("code", {}, e.field)),
          el("td", { "data-label": "Problem" }, `${e.problem.charAt(0).toUpperCase()}${e.problem.slice(1)}`)))))));
}

/** Shows why a check or an import failed, and says its outcome in the status line. */
function importRefused(err) {
  if (err instanceof ApiError && err.status === 422 && Array.isArray(err.body?.errors)) {
    const n = err.body.errors.length;
    say($("import-status"), `Checked: ${n} ${n === 1 ? "problem" : "problems"} found.`);
    importProblems(err.body);
    return;
  }
  say($("import-status"), "");
  const text = err instanceof ApiError && err.status === 413
    ? "This file is larger than 5 MB (about 10,000 patients). Split it into smaller files and import each one."
    : err instanceof ApiError && err.status === 415 ? "The file could not be sent as CSV. Try again."
      : `Nothing was imported. ${message(err)}`;
  clear($("import-problems")).append(el("p", { class: "error", role: "alert" }, text));
}

function resetImport() {
  state.importText = null;
  $("import-apply").hidden = true;
  say($("import-status"), "");
  clear($("import-problems"));
}

const counts = (r) => `create ${r.created}, update ${r.updated}, leave ${r.unchanged} unchanged`;

async function checkImport() {
  resetImport();
  const file = $("import-file").files[0];
  if (!file) {
    clear($("import-problems")).append(el("p", { class: "error", role: "alert" }, "Choose a CSV file first."));
    $("import-file").focus();
    return;
  }
  if (file.size > IMPORT_MAX_BYTES) {
    importRefused(new ApiError(413, "payload_too_large", ""));
    return;
  }
  const button = $("import-check");
  button.disabled = true;
  say($("import-status"), "Checking the file…");
  try {
    const text = await file.text();
    const report = await apiText("POST", "/api/v1/patient-accounts/import?dry_run=true", "text/csv", text);
    const changes = report.created + report.updated;
    say($("import-status"), `Checked: no problems. Would ${counts(report)}.${changes ? "" : " Nothing to import."}`);
    if (changes) {
      state.importText = text;
      $("import-apply").hidden = false;
    }
  } catch (err) {
    importRefused(err);
  } finally {
    button.disabled = false;
  }
}

async function applyImport() {
  if (state.importText === null) return;
  const button = $("import-apply");
  button.disabled = true;
  clear($("import-problems"));
  try {
    const r = await apiText("POST", "/api/v1/patient-accounts/import", "text/csv", state.importText);
    state.importText = null;
    button.hidden = true;
    say($("import-status"), `Imported: created ${r.created}, updated ${r.updated}, left ${r.unchanged} unchanged.`);
    await loadPatients().catch((err) => showError($("patients-error"), message(err)));
  } catch (err) {
    importRefused(err);
  } finally {
    button.disabled = false;
  }
}

// ---- Start -------------------------------------------------------------------

/** Administrators: the practice's departments, care teams and pools, the staff, and what only they may change. */
async function startAdmin(practice) {
  [state.practice] = await Promise.all([practice, fetchStaff()]);
  state.departments = new Map(state.practice.departments.map((d) => [d.id, d.name]));
  state.careTeams = new Map((state.practice.care_teams ?? []).map((t) => [t.id, t.name]));
  $("add-staff").addEventListener("click", () => openStaffForm(null));
  $("staff-cancel").addEventListener("click", closeStaffForm);
  $("staff-role").addEventListener("change", poolsForRole);
  $("staff-form").addEventListener("submit", saveStaff);
  $("add-patient").addEventListener("click", () => openPatientForm(null));
  $("patient-cancel").addEventListener("click", closePatientForm);
  $("patient-form").addEventListener("submit", savePatient);
  $("import-file").addEventListener("change", resetImport);
  $("import-check").addEventListener("click", checkImport);
  $("import-apply").addEventListener("click", applyImport);
}

/** Shows the parts of the page for `mode` (`[data-mode]`), and names the page after it. */
function showMode(mode) {
  state.mode = mode;
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-mode]"))) node.hidden = node.dataset.mode !== mode;
  const { title, patientsTitle } = MODES[mode];
  $("page-title").textContent = title;
  document.title = `${title} · Switchboard`;
  $("patients-title").textContent = patientsTitle;
  $("people").hidden = false;
}

runStaffPage(async (me) => {
  state.me = me;
  const practice = api("GET", "/api/v1/practice");
  practice.then((p) => ($("practice-name").textContent = p.name)).catch(() => {});
  // Administrators manage everyone. Anyone else gets the patients the list
  // shows them, if it shows them any: the server decides (404 otherwise).
  const mode = state.me.role === "practice_admin" ? "admin" : "care";
  try {
    if (mode === "admin") await startAdmin(practice);
    else await fetchPatients();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    $("not-admin").hidden = false;
    return;
  }
  showMode(mode);
  if (mode === "admin") renderStaff();

  $("invite-cancel").addEventListener("click", closeInvite);
  $("invite-form").addEventListener("submit", sendInvite);
  $("invite-form").addEventListener("change", inviteButtonWords);
  $("patient-filter").addEventListener("input", renderPatients);
  $("patients-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    loadPatients().catch((e) => showError($("patients-error"), message(e)));
  });
  $("patients-next").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    loadPatients().catch((e) => showError($("patients-error"), message(e)));
  });

  if (mode === "admin") {
    await loadPatients().catch((e) => showError($("patients-error"), `The patient list could not be loaded. ${message(e)}`));
  } else {
    renderPatients();
  }
  window.addEventListener("hashchange", route);
  await route();
}, message);
