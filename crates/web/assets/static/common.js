// @ts-check
// Shared by the patient app and the staff inbox: the API client, the live
// stream, DOM building and formatting. Text is only ever set as text
// (never parsed as HTML), so nothing a user writes can run as code.

// ---- The JSON the pages read ------------------------------------------------
// The API's shapes (crates/web/src/dto/, /api/v1/openapi.json) that more
// than one page reads. A page imports them with
// `@typedef {import("./common.js").Practice} Practice`; the shapes only one
// page reads are declared in that page.

/** @typedef {"practice_admin" | "provider" | "nurse" | "medical_assistant" | "front_desk" | "billing" | "compliance_officer"} Role */
/** @typedef {"needs_staff_response" | "awaiting_patient" | "closed"} Status */
/** @typedef {"routine" | "urgent"} Priority */

/**
 * The signed-in user (`GET /api/v1/me`, `UserDto`).
 * @typedef {object} Me
 * @property {string} id
 * @property {string} username
 * @property {string} display_name
 * @property {"patient" | "staff"} kind
 * @property {Role | null} role
 * @property {string} practice_id
 * @property {string | null} patient_id
 * @property {string | null} secure_conversation_id A secure-link session: its one conversation.
 * @property {boolean} second_factor_setup_required The session may only set up a second factor.
 */

/**
 * Someone named in a conversation (`PersonDto`): no id for the system.
 * @typedef {object} Person
 * @property {string | null} id
 * @property {"patient" | "staff" | "system"} kind
 * @property {string} display_name
 */

/**
 * A reply owed by staff (`ResponseDueDto`).
 * @typedef {object} ResponseDue
 * @property {string} waiting_since
 * @property {string} due_soon_at
 * @property {string} due_at
 * @property {"on_track" | "due_soon" | "overdue"} state
 */

/**
 * A conversation in a list (`ConversationSummaryDto`).
 * @typedef {object} ConversationSummary
 * @property {string} id
 * @property {{ id: string, display_name: string, birth_date: string | null, care_team: string | null, department: string | null }} patient
 * @property {string | null} subject null when `content_withheld`
 * @property {string} topic
 * @property {string | null} sensitivity the sensitive category it is marked with (staff who read it)
 * @property {boolean} content_withheld the row only: the caller's role does not read its content
 * @property {Status} status
 * @property {Priority} priority
 * @property {Person | null} assignee
 * @property {string} created_at
 * @property {string} last_activity_at
 * @property {number} unread_count
 * @property {{ owner_kind: string | null, owner_name: string | null, reason: string | null, intended_reader: string | null, covering_for: string | null }} [routing]
 * @property {Person} [escalated_to]
 * @property {ResponseDue} [response]
 * @property {{ sent_at: string, flagged_at: string }} [unread_reply]
 * @property {boolean} marked_unread
 * @property {{ from: "patient" | "staff" | "system", text: string }} [preview]
 */

/**
 * A message (`MessageDto`).
 * @typedef {object} Message
 * @property {string} id
 * @property {Person} sender
 * @property {string} body
 * @property {string} sent_at
 * @property {{ reader: Person, read_at: string }[]} read_by
 * @property {{ by: string, read_at: string }} [read_by_staff]
 * @property {{ id: string, author: Person, body: string, created_at: string }[]} amendments
 * @property {import("./attachments.js").Attachment[]} attachments its files (`AttachmentDto`)
 * @property {{ caregiver_name: string, relationship: string, patient_name: string, line: string }} [on_behalf]
 *   sent by a caregiver for the patient ("sent by Jane Doe (mother) on behalf of Sam Doe")
 */

/**
 * One conversation (`ConversationDto`): its summary's fields, its messages,
 * and for staff its notes and history.
 * @typedef {ConversationSummary & {
 *   messages: Message[],
 *   notes?: { id: string, author: Person, body: string, created_at: string }[],
 *   history?: { at: string, actor: string | null, event: string, to_assignee: string | null, to_owner: string | null, reason: string | null }[],
 *   rating?: { score: number, comment: string | null, created_at: string },
 *   answered_by_staff: boolean,
 *   rateable: boolean,
 *   caregivers?: { confidential_minor: boolean, shared: boolean },
 * }} Conversation
 */

/**
 * Weekly hours (`OfficeHoursDto`): weekday 1 is Monday; "24:00" closes at midnight.
 * @typedef {{ weekday: number, opens: string, closes: string }} OfficeHours
 */

/**
 * The caller's practice (`GET /api/v1/practice`, `PracticeDto`).
 * @typedef {object} Practice
 * @property {string} name
 * @property {string} time_zone
 * @property {string | null} phone
 * @property {string | null} after_hours_phone
 * @property {OfficeHours[]} office_hours
 * @property {number} message_max_chars
 * @property {number} attachment_max_bytes
 * @property {number} message_attachments_max_bytes
 * @property {{ id: string, name: string }[]} departments
 * @property {{ id: string, name: string }[]} care_teams
 */

/**
 * A colleague (`GET /api/v1/staff`, `StaffMemberDto`).
 * @typedef {{ id: string, display_name: string, role: Role }} StaffMember
 */

/**
 * An event of the live stream (`LiveEventDto`): ids and codes only.
 * @typedef {object} LiveEvent
 * @property {string} type
 * @property {string} conversation_id
 * @property {string} patient_id
 * @property {string} at
 * @property {string | null} actor_id
 * @property {string} [message_id]
 * @property {"patient" | "staff" | "system"} [actor_kind]
 * @property {Status} [status]
 * @property {Priority} [priority]
 * @property {string} [assignee_id]
 */

export class ApiError extends Error {
  constructor(status, code, message, field, body) {
    super(message);
    this.status = status;
    this.code = code;
    /** With `invalid_input`: the request field at fault, if the server named one. */
    this.field = field || null;
    /** The whole JSON answer, for the few routes whose refusals carry more than an error. */
    this.body = body ?? null;
  }
}

/**
 * A date of birth as three boxes, month, day and year (easy on a phone, no
 * date picker to fight), for the pages behind links: the boxes' wrappers
 * and their inputs.
 * @returns {{ parts: HTMLElement[], inputs: HTMLInputElement[] }}
 */
export function birthDateParts() {
  const part = (id, label, attrs) => el("div", { class: `date-part ${id}` },
    el("label", { for: `birth-${id}` }, label),
    el("input", { id: `birth-${id}`, name: `birth-${id}`, inputmode: "numeric", pattern: "[0-9]*", ...attrs }));
  const parts = [
    part("month", "Month", { maxlength: 2, autocomplete: "bday-month" }),
    part("day", "Day", { maxlength: 2, autocomplete: "bday-day" }),
    part("year", "Year", { maxlength: 4, autocomplete: "bday-year" }),
  ];
  return { parts, inputs: parts.map((p) => /** @type {HTMLInputElement} */ (p.querySelector("input"))) };
}

/** Calls the JSON API with the session cookie. A lost session goes back to sign-in. */
export async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return send(path, init);
}

/** Like `api`, with a text body of `contentType` (the CSV import) instead of JSON. */
export async function apiText(method, path, contentType, text) {
  return send(path, { method, headers: { accept: "application/json", "content-type": contentType }, body: text, credentials: "same-origin" });
}

async function send(path, init) {
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "offline", "You seem to be offline. Check your connection and try again.");
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  // Only a lost session signs out: a wrong password or code (another 401
  // code) is an answer to show.
  const lostSession = (data?.error?.code ?? "unauthenticated") === "unauthenticated";
  if (res.status === 401 && lostSession && !path.endsWith("/auth/login")) {
    goToSignIn("signed_out");
    throw new ApiError(401, "unauthenticated", "Please sign in again.");
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (e.code === "second_factor_enrolment_required") location.href = "/security";
    if (e.code === "reauthentication_required" && !init.reauthenticated && await confirmItIsYou(e.message)) {
      return send(path, { ...init, reauthenticated: true });
    }
    throw new ApiError(res.status, e.code || "error", e.message || "Something went wrong. Please try again.", e.field, data);
  }
  return data;
}

/**
 * Asks the person at the keyboard to prove again who they are (their
 * password, or a code from their authenticator app) before a sensitive
 * action; `true` once the server accepted it, `false` if they cancelled.
 * @param {string} why the server's words
 * @returns {Promise<boolean>}
 */
export function confirmItIsYou(why) {
  return new Promise((resolve) => {
    const secret = el("input", { id: "reauth-secret", type: "password", autocomplete: "current-password", required: true });
    const error = el("p", { id: "reauth-error", class: "error", role: "alert", hidden: true });
    let useCode = false;
    const label = el("label", { for: "reauth-secret" }, "Your password");
    const toggle = el("button", { type: "button", class: "link" }, "Use a code from your authenticator app instead");
    toggle.addEventListener("click", () => {
      useCode = !useCode;
      label.textContent = useCode ? "Code from your authenticator app (or a recovery code)" : "Your password";
      secret.setAttribute("type", useCode ? "text" : "password");
      secret.setAttribute("autocomplete", useCode ? "one-time-code" : "current-password");
      toggle.textContent = useCode ? "Use your password instead" : "Use a code from your authenticator app instead";
      secret.value = "";
      secret.focus();
    });
    const confirm = el("button", { type: "submit", class: "primary" }, "Confirm");
    const cancel = el("button", { type: "button", class: "link" }, "Cancel");
    // Shown once the account turns out to have a passkey this page can use.
    const withPasskey = el("button", { type: "button", class: "secondary", id: "reauth-passkey", hidden: true }, "Use a passkey");
    const dialog = el("dialog", { id: "reauth", class: "reauth", "aria-labelledby": "reauth-title" },
      el("form", { method: "dialog", novalidate: true },
        el("h2", { id: "reauth-title" }, "Confirm it is you"),
        el("p", {}, sentence(why)),
        label, secret, toggle, error,
        el("div", { class: "form-foot" }, confirm, withPasskey, cancel)));
    const done = (ok) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", () => done(false));
    dialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!secret.value) {
        showError(error, useCode ? "Enter the code." : "Enter your password.");
        return;
      }
      confirm.disabled = true;
      try {
        await api("POST", "/api/v1/auth/reauthenticate", useCode ? { code: secret.value } : { password: secret.value });
        done(true);
      } catch (e) {
        showError(error, e instanceof ApiError && e.code === "too_many_attempts"
          ? "Too many attempts. Please wait a moment and try again."
          : problem(e));
        secret.select();
      } finally {
        confirm.disabled = false;
      }
    });
    withPasskey.addEventListener("click", async () => {
      withPasskey.disabled = true;
      // Loaded only when used: most pages never ask for a passkey.
      const { browserRefusal, usePasskey } = await import("./passkeys.js");
      try {
        const options = await api("POST", "/api/v1/auth/reauthenticate/passkey-options");
        const credential = await usePasskey(options.publicKey);
        await api("POST", "/api/v1/auth/reauthenticate", { passkey: { state: options.state, credential } });
        done(true);
      } catch (e) {
        showError(error, browserRefusal(e) ?? (e instanceof ApiError && e.code === "too_many_attempts"
          ? "Too many attempts. Please wait a moment and try again."
          : problem(e)));
      } finally {
        withPasskey.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    secret.focus();
    offerPasskey(withPasskey);
  });
}

/**
 * Shows the dialog's passkey button when this page can use passkeys and
 * the account has one.
 * @param {HTMLElement} button
 */
async function offerPasskey(button) {
  try {
    const { passkeysUsable } = await import("./passkeys.js");
    if (!passkeysUsable()) return;
    const status = await api("GET", "/api/v1/me/mfa");
    button.hidden = !(status.passkeys > 0);
  } catch {
    // Without it the password and codes still work.
  }
}

const SOMETHING_WRONG = "Something went wrong. Please try again.";

/** `text` as a sentence: a capital first, a full stop last unless it ends in one. */
export function sentence(text) {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
}

/** The server's refusal as it words it, or that something went wrong. */
export function errorText(e) {
  return e instanceof ApiError ? e.message : SOMETHING_WRONG;
}

/**
 * The server's refusal as a sentence: "That is not an audit action." The
 * server words each refusal to read alone; the field at fault, when there
 * is one, is `e.field`.
 */
export function problem(e) {
  if (!(e instanceof ApiError)) return SOMETHING_WRONG;
  return sentence(e.message);
}

export function goToSignIn(reason) {
  // A page's acknowledgement link is followed after signing in.
  if (location.hash.startsWith("#/ack/")) sessionStorage.setItem(AFTER_SIGN_IN, location.pathname + location.hash);
  location.href = "/" + (reason ? "?" + reason : "");
}

/**
 * A single-use link's token (`#token=…`), removed from the address bar at
 * once (and so from history and bookmarks); it never reaches the server's
 * logs, and is sent only in request bodies.
 * @returns {string | null}
 */
export function takeLinkToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = (params.get("token") || "").trim();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return token || null;
}

/**
 * An IANA time zone as people read it: "America/New_York" is
 * "America/New York". What is sent and stored stays the IANA name.
 * @param {string} zone
 */
export function zoneName(zone) {
  return zone.replaceAll("_", " ");
}

/** Where sign-in goes next when a page's link was opened signed out. */
export const AFTER_SIGN_IN = "switchboard.after_sign_in";

export async function signOut() {
  // A browser signed out of is told nothing more for the account: the
  // server drops the push subscriptions made in this session, and this
  // browser's own (perhaps made in an earlier one) goes too.
  await forgetPushHere();
  try {
    await api("POST", "/api/v1/auth/logout");
  } catch {
    // Signed out already, or offline: the cookie is cleared either way below.
  }
  goToSignIn("signed_out");
}

/** Roles that never open patients' conversations (they may still be told one is overdue). */
export const NO_CONVERSATIONS = ["practice_admin", "compliance_officer"];

/** Roles that oversee the practice: its analytics and its audit log (the API answers 404 to anyone else). */
const OVERSIGHT = ["practice_admin", "compliance_officer"];

/**
 * The staff top bar's links (`partials/staff-topbar-links.html`, each
 * `#<name>-link`) and whom each is for: the one table of which staff page
 * is whose.
 */
const STAFF_LINKS = {
  // The compliance officer's inbox would always be empty: it sends her to the audit log.
  inbox: (/** @type {Role} */ role) => role !== "compliance_officer",
  setup: () => true,
  // Administrators manage accounts; colleagues who work conversations invite the patients they care for.
  people: (/** @type {Role} */ role) => role === "practice_admin",
  patients: (/** @type {Role} */ role) => !NO_CONVERSATIONS.includes(role),
  analytics: (/** @type {Role} */ role) => OVERSIGHT.includes(role),
  audit: (/** @type {Role} */ role) => OVERSIGHT.includes(role),
  // Emergency (break-glass) access: the clinical roles that answer patients.
  emergency: (/** @type {Role} */ role) => BREAKS_GLASS.includes(role),
};

/** Roles that may use emergency access (`domain::emergency::may_break_glass`). */
export const BREAKS_GLASS = ["provider", "nurse", "medical_assistant"];

/** @typedef {keyof typeof STAFF_LINKS} StaffLink */

/**
 * Which of the staff pages `role` may use, by their top-bar link.
 * @param {Role} role
 * @returns {Record<StaffLink, boolean>}
 */
export function staffLinksFor(role) {
  return /** @type {Record<StaffLink, boolean>} */ (Object.fromEntries(Object.entries(STAFF_LINKS).map(([name, mayUse]) => [name, mayUse(role)])));
}

/**
 * Shows the top bar's links to the pages `role` may use, except the one to
 * the page this is (People and Patients both lead to /people).
 * @param {Role} role
 */
export function showStaffLinks(role) {
  for (const [name, mayUse] of Object.entries(staffLinksFor(role))) {
    /** @type {HTMLAnchorElement} */
    const link = $(`${name}-link`);
    link.hidden = !mayUse || link.pathname === location.pathname;
  }
}

/**
 * The start of every staff page: Sign out wired, the signed-in user loaded
 * and named in the top bar, and the top bar's links theirs shown. Patients
 * are sent to their app (`null`).
 * @returns {Promise<Me | null>}
 */
export async function startStaffPage() {
  $("sign-out").addEventListener("click", signOut);
  /** @type {Me} */
  const me = await api("GET", "/api/v1/me");
  if (me.kind !== "staff") {
    location.replace("/app");
    return null;
  }
  const who = document.getElementById("whoami");
  if (who) who.textContent = me.display_name;
  showStaffLinks(me.role);
  if (BREAKS_GLASS.includes(me.role)) await showEmergencyBanner();
  return me;
}

/**
 * `EmergencyGrantDto`: emergency access its holder has open.
 * @typedef {object} EmergencyGrant
 * @property {string} id
 * @property {string} patient_id
 * @property {string} patient_name
 * @property {string | null} category
 * @property {number} minutes
 * @property {string} started_at
 * @property {string} ends_at
 */

/** @type {number | undefined} */
let bannerTimer;

/**
 * The banner every staff page shows while its holder has emergency access
 * open: whose record, until when, that every action is recorded, and a way
 * to end it now. It is a status region (read out when it appears or
 * changes) that can take focus; it goes when the access ends, by itself at
 * its time or with "End now". `focus` moves the keyboard to it (after
 * access has just been opened).
 * @param {{ focus?: boolean }} [opts]
 * @returns {Promise<EmergencyGrant[]>}
 */
export async function showEmergencyBanner({ focus = false } = {}) {
  /** @type {{ grants: EmergencyGrant[] }} */
  const answer = await api("GET", "/api/v1/emergency-access");
  let banner = document.getElementById("emergency-banner");
  if (!banner) {
    banner = el("section", { id: "emergency-banner", class: "emergency-banner", role: "status", tabindex: "-1", "aria-labelledby": "emergency-banner-title" });
    const header = document.querySelector("header.topbar");
    if (header) header.after(banner); else document.body.prepend(banner);
  }
  clear(banner);
  banner.hidden = answer.grants.length === 0;
  if (bannerTimer !== undefined) clearTimeout(bannerTimer);
  if (!answer.grants.length) return answer.grants;
  banner.append(el("h2", { id: "emergency-banner-title", class: "visually-hidden" }, "Emergency access open"));
  for (const g of answer.grants) {
    const end = el("button", { type: "button", class: "secondary small" }, "End now");
    const error = el("p", { class: "error", role: "alert", hidden: true });
    end.addEventListener("click", async () => {
      end.disabled = true;
      try {
        await api("POST", `/api/v1/emergency-access/${g.id}/end`);
        await showEmergencyBanner();
        announce(`Emergency access to ${g.patient_name}'s record ended`);
        document.dispatchEvent(new CustomEvent("emergency-access-changed"));
      } catch (e) {
        showError(error, problem(e));
        end.disabled = false;
      }
    });
    banner.append(el("div", { class: "emergency-grant" },
      el("p", {},
        el("strong", {}, "Emergency access: "), `${g.patient_name}'s record, until ${when(g.ends_at)}. `,
        el("span", { class: "emergency-recorded" }, "Every action is recorded and reported to the compliance officer.")),
      el("div", { class: "emergency-actions" },
        el("a", { href: `/emergency#/${g.id}`, class: "button secondary small" }, "Their conversations"),
        end),
      error));
  }
  // Gone at its time, without a reload.
  const soonest = Math.min(...answer.grants.map((g) => Date.parse(g.ends_at)));
  bannerTimer = window.setTimeout(() => {
    showEmergencyBanner().then(() => document.dispatchEvent(new CustomEvent("emergency-access-changed"))).catch(() => {});
  }, Math.max(1000, soonest - Date.now() + 500));
  if (focus) banner.focus();
  return answer.grants;
}


/**
 * Runs a staff page: `startStaffPage`, then `boot` with the signed-in user.
 * The page is marked ready (`body[data-ready]`) when `boot` returns; if
 * anything fails, `#load-error` says so, with `describe`'s words for the error.
 * @param {(me: Me) => Promise<void>} boot
 * @param {(e: unknown) => string} describe
 */
export function runStaffPage(boot, describe) {
  (async () => {
    const me = await startStaffPage();
    if (!me) return;
    await boot(me);
    document.body.dataset.ready = "true";
  })().catch((e) => {
    showError($("load-error"), `This page could not be loaded. ${describe(e)}`);
  });
}

/** Staff roles in words. */
export const ROLE_WORDS = {
  practice_admin: "Practice administrator",
  provider: "Provider",
  nurse: "Nurse",
  medical_assistant: "Medical assistant",
  front_desk: "Front desk",
  billing: "Billing",
  compliance_officer: "Compliance officer",
};

/**
 * Builds an element. `attrs` keys starting with "on" add listeners; children are nodes or text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  return appendChildren(node, children);
}

/**
 * Appends children (nested arrays flattened) to `node`: nodes as they are,
 * anything else as text; `undefined`, `null` and `false` are left out.
 * @template {Element} E
 * @param {E} node
 * @param {any[]} children
 * @returns {E}
 */
export function appendChildren(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * The element with this id. What kind of element it is (an input, a
 * select, a dialog) is the page's HTML's to say, so it is not checked here.
 * @param {string} id
 * @returns {any}
 */
export const $ = (id) => document.getElementById(id);

/** Shows `text` in an error box, or hides the box when there is none. */
export function showError(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

/** Fills a select with `[value, label]` options and selects `selected` (none: ""). */
export function options(select, items, selected) {
  clear(select).append(...items.map(([value, label]) => el("option", { value }, label)));
  select.value = selected ?? "";
}

const LONG_DATE = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });

/** "July 4, 1990" for "1990-07-04", in no time zone. */
export function civilDate(ymd) {
  const [y, m, d] = (ymd || "").split("-").map(Number);
  return y && m && d ? LONG_DATE.format(new Date(y, m - 1, d)) : ymd;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/**
 * Replaces a node's children. Children left out on purpose (`null`,
 * `undefined`, `false`) are skipped: `append` would show them as text.
 */
export function fill(node, ...children) {
  clear(node).append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// ---- Times ----------------------------------------------------------------
// Staff see times in their browser's zone. The patient app shows every time
// in the practice's zone (`showTimesIn`), so the compose screen, the thread
// and the automatic replies agree; when the device is elsewhere, each time
// says which zone it is in ("8:00 AM EST").

let displayZone;
let labelZone = false;
const formats = new Map();

/** Shows times from now on in `zone` (IANA), labelled when the device is elsewhere. */
export function showTimesIn(zone) {
  displayZone = zone || undefined;
  labelZone = otherTimeZone(zone);
  formats.clear();
}

function format(options, d) {
  const key = JSON.stringify(options);
  if (!formats.has(key)) {
    const withZone = { ...options, timeZone: displayZone };
    if (labelZone && options.hour) withZone.timeZoneName = "short";
    formats.set(key, new Intl.DateTimeFormat(undefined, withZone));
  }
  return formats.get(key).format(d);
}

/** The calendar day of `d` where times are shown, as a number of days since 1970. */
function dayNumber(d) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: displayZone, year: "numeric", month: "numeric", day: "numeric" })
      .formatToParts(d).map((p) => [p.type, p.value]),
  );
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86400000;
}

const TIME = { hour: "numeric", minute: "2-digit" };

/** The short name of the zone times are shown in ("EST"), when the device is elsewhere; else "". */
export function zoneLabel() {
  if (!labelZone) return "";
  const part = new Intl.DateTimeFormat("en-US", { timeZone: displayZone, timeZoneName: "short" })
    .formatToParts(new Date()).find((p) => p.type === "timeZoneName");
  return part ? part.value : "";
}

/** "2:14 PM" today, "Tue, Mar 3, 2:14 PM" otherwise. */
export function when(iso) {
  const d = new Date(iso);
  return dayNumber(d) === dayNumber(new Date()) ? format(TIME, d)
    : `${format({ weekday: "short", month: "short", day: "numeric" }, d)}, ${format(TIME, d)}`;
}

/** The day of an instant, with its year, in the practice's zone ("September 14, 2036"): for ends years away. */
export function dayWithYear(iso) {
  return format({ year: "numeric", month: "long", day: "numeric" }, new Date(iso));
}

export function fullWhen(iso) {
  return format({ weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit" }, new Date(iso));
}

/**
 * A day and time the way the server words reply-by times: "today at 2:00
 * PM", "tomorrow at 8:00 AM", "Monday at 12:00 PM", "Monday, March 9 at
 * 12:00 PM".
 */
export function dayAndTime(iso, { now = new Date() } = {}) {
  const d = new Date(iso);
  const time = format(TIME, d);
  const days = dayNumber(d) - dayNumber(now);
  if (days === 0) return `today at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  if (days === -1) return `yesterday at ${time}`;
  if (days >= 2 && days <= 6) return `${format({ weekday: "long" }, d)} at ${time}`;
  return `${format({ weekday: "long", month: "long", day: "numeric" }, d)} at ${time}`;
}

/** Whether the browser's time zone is not `zone` (the practice's). */
export function otherTimeZone(zone) {
  try {
    return Boolean(zone) && Intl.DateTimeFormat().resolvedOptions().timeZone !== zone;
  } catch {
    return false;
  }
}

/**
 * Where a conversation waiting on staff stands now: `on_track`, `due_soon`
 * or `overdue`. The server's answer is a floor; the times move it on while
 * the page stays open.
 * @param {ResponseDue} response
 * @returns {ResponseDue["state"]}
 */
export function responseState(response, now = Date.now()) {
  /** @type {ResponseDue["state"][]} */
  const order = ["on_track", "due_soon", "overdue"];
  const byTime = now >= Date.parse(response.due_at) ? "overdue"
    : now >= Date.parse(response.due_soon_at) ? "due_soon" : "on_track";
  return order[Math.max(order.indexOf(response.state), order.indexOf(byTime))];
}

/** How long ago, briefly: "4 min", "3 h", "2 d". */
export function age(iso, now = Date.now()) {
  const mins = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60000));
  if (mins < 1) return "now";
  if (mins < 60) return `${mins} min`;
  const hours = Math.round(mins / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

export const TOPICS = [
  ["care_question", "A question for my care team"],
  ["prescription_refill", "Prescription refill"],
  ["scheduling", "Appointment / scheduling"],
  ["billing", "Billing"],
  ["test_results", "Test results"],
  ["telehealth", "Telehealth visit"],
  ["monitoring_program", "My monitoring program"],
];

/** The sensitive categories, with the words staff see. */
export const SENSITIVITY = [
  ["behavioural_health", "Behavioural health"],
  ["reproductive_health", "Reproductive health"],
  ["substance_use", "Substance use (42 CFR Part 2)"],
];

/** @param {string} code */
export function sensitivityLabel(code) {
  return SENSITIVITY.find(([c]) => c === code)?.[1] ?? code;
}

/** What a row whose content the caller's role does not read says in place of its subject and preview. */
export const WITHHELD_TEXT = "Clinical conversation: open to the care team";

export function topicLabel(code) {
  const found = TOPICS.find(([c]) => c === code);
  return found ? found[1] : code;
}

export const DAYS = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** "9:00 PM" for "21:00". */
export function clock(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  const suffix = h >= 12 && h < 24 ? "PM" : "AM";
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${h12}:${String(m).padStart(2, "0")} ${suffix}`;
}

/**
 * Office hours as lines: consecutive days with the same hours are joined ("Monday–Friday: 8:00 AM–5:00 PM").
 * @param {OfficeHours[]} officeHours
 */
export function hoursLines(officeHours) {
  const byDay = new Map();
  for (const h of officeHours) {
    const text = `${clock(h.opens)}–${clock(h.closes)}`;
    byDay.set(h.weekday, byDay.has(h.weekday) ? `${byDay.get(h.weekday)}, ${text}` : text);
  }
  const lines = [];
  let start = null;
  let prev = null;
  for (let d = 1; d <= 8; d++) {
    const text = byDay.get(d);
    if (start !== null && (text !== byDay.get(start) || d === 8)) {
      const days = prev === start ? DAYS[start] : `${DAYS[start]}–${DAYS[prev]}`;
      lines.push(`${days}: ${byDay.get(start)}`);
      start = null;
    }
    if (text && start === null) start = d;
    prev = d;
  }
  return lines;
}

/**
 * The events of the live stream that carry data for the page: the server's
 * event codes (`EventKind::CODES`), then `resync` (events were missed). The
 * stream's own `session_ended` and `reconnect` are handled by `live`. A test
 * in `crates/web` compares this list with the server's.
 */
export const LIVE_EVENTS = ["conversation_created", "message_sent", "message_amended", "messages_read", "note_added",
  "status_changed", "priority_changed", "assigned", "typing", "alert", "escalated", "sensitivity_changed", "resync"];

/**
 * The live stream of this session. `handlers` maps event types to
 * functions of the event's data; "resync" is called after a gap.
 * @param {Record<string, (data: Partial<LiveEvent>, type: string) => void>} handlers
 */
export function live(handlers) {
  const source = new EventSource("/api/v1/events");
  for (const type of LIVE_EVENTS) {
    source.addEventListener(type, (/** @type {MessageEvent} */ e) => {
      /** @type {LiveEvent} */
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      (handlers[type] || handlers.any || (() => {}))(data, type);
    });
  }
  source.addEventListener("session_ended", (e) => {
    source.close();
    let reason = "timed_out";
    try {
      reason = JSON.parse(e.data).reason || reason;
    } catch {
      // An older server said no more: assume the common case.
    }
    goToSignIn(["timed_out", "signed_out", "deactivated"].includes(reason) ? reason : "signed_out");
  });
  source.addEventListener("reconnect", () => {
    // The server is restarting: EventSource reconnects by itself.
  });
  source.addEventListener("open", () => (handlers.resync || (() => {}))({}, "resync"));
  return source;
}

/** Calls `fn` at most once per `ms`. */
export function throttle(fn, ms) {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      fn(...args);
    }
  };
}

/** Announces `text` to screen readers through a polite live region. */
export function announce(text) {
  let region = document.getElementById("announcer");
  if (!region) {
    region = el("div", { id: "announcer", class: "visually-hidden", "aria-live": "polite", role: "status" });
    document.body.append(region);
  }
  region.textContent = "";
  setTimeout(() => (region.textContent = text), 50);
}

/** A textarea's character counter, updated while typing. */
export function counter(textarea, max) {
  const out = el("span", { class: "counter", "aria-live": "off" });
  const update = () => {
    const n = [...textarea.value].length;
    out.textContent = `${n} / ${max}`;
    out.classList.toggle("over", n > max);
    out.classList.toggle("near", n <= max && n > max * 0.9);
  };
  textarea.addEventListener("input", update);
  update();
  return { node: out, update, length: () => [...textarea.value].length };
}

// ---- Notifications outside the app ------------------------------------------
// A notice (email, text, push) says only that something waits at the
// practice, never what: the pages tell people so, and words for media and
// kinds are here because the patient app, the setup page and the people
// page all show them.

/** @typedef {"email" | "sms" | "push"} Medium */

/**
 * Someone's notification choices (`NotificationChoicesDto`).
 * @typedef {object} NotificationChoices
 * @property {Medium[] | null} media
 * @property {{ from: string, to: string } | null} quiet_hours
 * @property {boolean} custom
 * @property {Medium[]} effective_media
 * @property {{ from: string, to: string } | null} effective_quiet_hours
 * @property {boolean} reminder_emails whether an unread reply is also reminded by email
 */

/** Media in words, as a list reads them ("email and text message"). */
export const MEDIUM_WORDS = { email: "email", sms: "text message", push: "device notification" };

/** Media as a label or a line starts with them. */
export const MEDIUM_NAMES = { email: "Email", sms: "Text message", push: "Device notification" };

/** What a notice was about (`NoticeKind`), in plain words. */
export const NOTICE_KIND_WORDS = {
  staff_reply: "A reply from the care team",
  reply_reminder: "A reminder of an unread reply",
  invitation: "An invitation to enroll",
  secure_link: "A secure message link",
  account_setup: "An account set-up link",
  password_reset: "A password reset link",
  urgent_message: "An urgent message alert",
  escalation: "An escalation alert",
  alert: "A response-time alert",
  page: "A page",
  new_sign_in: "A notice of a sign-in from a new device",
  failed_sign_ins: "A notice of failed sign-ins",
  access_review: "A notice of access to review",
};

/** "email", "email and text message", "email, text message and device notification". */
export function wordsList(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Where this browser's push subscription is recorded (whose it is, and its id on the server), to remove it later. */
const PUSH_RECORD = "switchboard-push";

/** Why notifications could not be turned on in this browser, in words for the person. */
export class PushProblem extends Error {}

/** Whether this browser can show pushed notifications at all. */
export function pushSupported() {
  return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** @returns {{ user: string, id: string, endpoint: string } | null} */
function pushRecord() {
  try {
    const r = JSON.parse(localStorage.getItem(PUSH_RECORD) ?? "null");
    return r && typeof r.user === "string" && typeof r.id === "string" && typeof r.endpoint === "string" ? r : null;
  } catch {
    return null;
  }
}

/** This browser's push subscription, if it has one. */
async function currentSubscription() {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

/**
 * Whether notifications for `me` come to this browser: allowed, subscribed,
 * and that subscription given to the server as theirs.
 * @param {Me} me
 */
export async function pushOnHere(me) {
  if (!pushSupported() || Notification.permission !== "granted") return false;
  const sub = await currentSubscription().catch(() => null);
  const record = pushRecord();
  return Boolean(sub && record && record.user === me.id && record.endpoint === sub.endpoint);
}

/** The bytes of a base64url string (the server's key). */
function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameBytes(a, b) {
  if (!a) return false;
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((v, i) => v === b[i]);
}

/** The service worker, registered and active (the patient app registers it too; staff pages only here). */
async function activeWorker() {
  try {
    await navigator.serviceWorker.register("/sw.js");
  } catch {
    throw new PushProblem("This browser would not set up notifications for Switchboard.");
  }
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new PushProblem("This browser took too long to set up notifications. Try again.")), 15000));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/**
 * Turns notifications on in this browser for `me`: asks the person's
 * permission, subscribes with the server's key and gives the subscription
 * to the server. Call it straight from a click or submit, so the browser
 * lets it ask. Fails with a `PushProblem` that says why, having recorded
 * nothing on the server.
 * @param {Me} me
 */
export async function turnOnPush(me) {
  if (!pushSupported()) throw new PushProblem("This browser cannot show notifications from Switchboard.");
  const permission = await Notification.requestPermission();
  if (permission === "denied") {
    throw new PushProblem("This browser is set to block notifications from Switchboard. Allow them in the browser's settings for this site, then try again.");
  }
  if (permission !== "granted") throw new PushProblem("Notifications were not allowed. Try again, and choose Allow when the browser asks.");
  /** @type {{ public_key: string }} */
  let key;
  try {
    key = await api("GET", "/api/v1/push/key");
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new PushProblem("This Switchboard server does not send notifications to devices.");
    throw e;
  }
  const serverKey = fromBase64Url(key.public_key);
  const reg = await activeWorker();
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameBytes(sub.options.applicationServerKey, serverKey)) {
    // Made with another key (the server's changed): the server could not reach it.
    await sub.unsubscribe().catch(() => {});
    sub = null;
  }
  if (!sub) {
    try {
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
    } catch {
      throw new PushProblem("This browser could not sign up for notifications: its notification service did not answer. "
        + "It may be offline, in a private window, or have notifications turned off. Try again later.");
    }
  }
  /** @type {{ id: string }} */
  let created;
  try {
    created = await api("POST", "/api/v1/me/push-subscriptions", sub.toJSON());
  } catch (e) {
    await sub.unsubscribe().catch(() => {});
    throw e;
  }
  localStorage.setItem(PUSH_RECORD, JSON.stringify({ user: me.id, id: created.id, endpoint: sub.endpoint }));
}

/**
 * `promise`, or `undefined` after `ms`: for what a browser may take long
 * over (a push service it cannot reach) while the person waits.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 */
function within(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

/**
 * On signing out: the server forgets this browser's push subscription
 * (while the session still lets it) and the browser drops it. Never fails,
 * and gives up on a browser that takes longer than a few seconds.
 */
async function forgetPushHere() {
  const record = pushRecord();
  if (record) {
    await within(api("DELETE", `/api/v1/me/push-subscriptions/${encodeURIComponent(record.id)}`).catch(() => {}), 5000);
    localStorage.removeItem(PUSH_RECORD);
  }
  const sub = await within(currentSubscription().catch(() => null), 3000);
  if (sub) await within(sub.unsubscribe().catch(() => false), 3000);
}

/**
 * Stops notifications for `me` in this browser: the server forgets the
 * subscription, and the browser drops it.
 * @param {Me} me
 */
export async function turnOffPush(me) {
  const record = pushRecord();
  if (record && record.user === me.id) {
    try {
      await api("DELETE", `/api/v1/me/push-subscriptions/${encodeURIComponent(record.id)}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    localStorage.removeItem(PUSH_RECORD);
  }
  const sub = await currentSubscription().catch(() => null);
  if (sub) await sub.unsubscribe().catch(() => {});
}
