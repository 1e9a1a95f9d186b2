// @ts-check
// The emergency access page (`/emergency`): a provider, nurse or medical
// assistant finds a patient who is not theirs (exactly: the whole family
// name and date of birth, or the MRN), says why, confirms it is them
// (`api` asks through `confirmItIsYou` when the server wants it), and sees
// the patient's conversations, each opened in the inbox. `#/<grant id>`
// shows the conversations of one's open access. The banner on every staff
// page (`common.js` `showEmergencyBanner`) says whose record is open and
// ends it.
import {
  $, ApiError, BREAKS_GLASS, api, clear, el, problem, runStaffPage, showEmergencyBanner, showError, topicLabel, when,
} from "./common.js";

/**
 * `EmergencyMatchDto`.
 * @typedef {object} Match
 * @property {string} patient_id
 * @property {string} display_name
 * @property {string} birth_date
 */

/** @type {Match | null} */
let chosen = null;

/** "March 12, 1984" for "1984-03-12", in no time zone. */
function birthDate(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { timeZone: "UTC", year: "numeric", month: "long", day: "numeric" });
}

async function search(event) {
  event.preventDefault();
  const error = $("search-error");
  showError(error, "");
  const family = $("family-name").value.trim();
  const born = $("birth-date").value;
  const mrn = $("mrn").value.trim();
  let body;
  if (mrn && !family && !born) body = { mrn };
  else if (family && born && !mrn) body = { family_name: family, birth_date: born };
  else {
    showError(error, "Give the whole family name and the date of birth, or the medical record number.");
    return;
  }
  const results = clear($("results"));
  try {
    /** @type {{ patients: Match[] }} */
    const answer = await api("POST", "/api/v1/emergency-access/search", body);
    if (!answer.patients.length) {
      results.append(el("p", { class: "muted" }, "No patient matches exactly. Check the spelling and the date, or try the medical record number."));
      return;
    }
    results.append(el("h3", {}, answer.patients.length === 1 ? "One patient matches" : `${answer.patients.length} patients match`));
    for (const m of answer.patients) {
      results.append(el("div", { class: "match" },
        el("span", {}, el("strong", {}, m.display_name), `, born ${birthDate(m.birth_date)}`),
        el("button", { type: "button", class: "secondary small", onclick: () => openDialog(m) }, `Open ${m.display_name}'s record…`)));
    }
  } catch (e) {
    showError(error, e instanceof ApiError && e.status === 429
      ? "Too many searches in a short time. Wait a few minutes, or ask a colleague of the patient's care team."
      : problem(e));
  }
}

/** @param {Match} m */
function openDialog(m) {
  chosen = m;
  $("start-patient").textContent = m.display_name;
  showError($("start-error"), "");
  $("start-dialog").showModal();
  $("reason").focus();
}

async function start(event) {
  event.preventDefault();
  if (!chosen) return;
  const error = $("start-error");
  const reason = $("reason").value.trim();
  if (reason.length < 10) {
    showError(error, "Say why, in at least 10 characters: the compliance officer reads it.");
    $("reason").focus();
    return;
  }
  const body = { patient_id: chosen.patient_id, reason, minutes: Number($("minutes").value) };
  if ($("category").value) body.category = $("category").value;
  // The confirmation that it is them opens over the page, not this dialog.
  $("start-dialog").close();
  try {
    const grant = await api("POST", "/api/v1/emergency-access", body);
    $("reason").value = "";
    clear($("results"));
    await showEmergencyBanner({ focus: true });
    location.hash = `#/${grant.id}`;
  } catch (e) {
    $("start-dialog").showModal();
    showError(error, e instanceof ApiError && e.code === "reauthentication_required"
      ? "Emergency access needs you to confirm it is you. Try again, and enter your password when asked."
      : problem(e));
  }
}

/** Shows the conversations of open access `grantId`, or the search. */
async function show() {
  const grantId = location.hash.slice(2);
  const view = $("grant-view");
  const form = $("search-form");
  if (!grantId) {
    view.hidden = true;
    form.hidden = false;
    return;
  }
  const grants = await showEmergencyBanner();
  const grant = grants.find((g) => g.id === grantId);
  form.hidden = Boolean(grant);
  view.hidden = !grant;
  if (!grant) {
    history.replaceState(null, "", "/emergency");
    showError($("search-error"), "That emergency access has ended. Find the patient again if the emergency goes on.");
    return;
  }
  $("grant-title").textContent = `${grant.patient_name}'s conversations`;
  const list = clear($("grant-conversations"));
  try {
    const answer = await api("GET", `/api/v1/emergency-access/${grant.id}/conversations`);
    $("grant-none").hidden = answer.conversations.length > 0;
    for (const c of answer.conversations) {
      list.append(el("li", { class: "conversation-row" },
        el("a", { href: `/inbox#/all/c/${c.id}` }, c.subject ?? "A conversation"),
        el("span", { class: "muted" }, `${topicLabel(c.topic)} · ${c.status === "closed" ? "closed" : "open"} · ${when(c.last_activity_at)}`)));
    }
  } catch (e) {
    showError($("grant-error"), problem(e));
  }
}

runStaffPage(async (me) => {
  if (!BREAKS_GLASS.includes(me.role)) {
    $("not-available").hidden = false;
    return;
  }
  $("emergency").hidden = false;
  $("search-form").addEventListener("submit", search);
  $("start-form").addEventListener("submit", start);
  $("start-cancel").addEventListener("click", () => $("start-dialog").close());
  $("reason").addEventListener("input", () => showError($("start-error"), ""));
  window.addEventListener("hashchange", () => { show().catch((e) => showError($("load-error"), problem(e))); });
  document.addEventListener("emergency-access-changed", () => { show().catch(() => {}); });
  await show();
}, problem);
