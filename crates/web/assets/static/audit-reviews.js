// @ts-check
// The audit page's "To review" list: unusual access the hourly check found
// in the log (a person opening far more patients in a day than they
// usually do, a patient outside their departments and care teams, a
// patient who shares their family name) and every use of emergency
// access (reported at once, with the reason given), each with a link to that
// person's trail and a way to mark it reviewed. For practice
// administrators and compliance officers, like the rest of the page.
import { $, announce, api, clear, el, fullWhen, problem, showError } from "./common.js";

/**
 * `AccessReviewDto`.
 * @typedef {object} Review
 * @property {string} id
 * @property {"many_patients" | "outside_teams" | "shared_family_name" | "emergency_access"} reason
 * @property {string} user_id
 * @property {string} user_name
 * @property {string | null} patient_id
 * @property {string | null} patient_name
 * @property {number} patients_opened
 * @property {string} raised_at
 * @property {string | null} reviewed_at
 * @property {Emergency | null} [emergency]
 */

/**
 * `EmergencyUseDto`.
 * @typedef {object} Emergency
 * @property {string} grant_id
 * @property {string} reason
 * @property {string | null} category
 * @property {number} minutes
 * @property {string} started_at
 * @property {string} ends_at
 * @property {string | null} ended_at
 */

/** Kinds of emergency in words. */
const EMERGENCY_KINDS = {
  immediate_danger: "a patient in danger now",
  covering: "covering for an absent colleague",
  urgent_request: "an urgent request from another clinician or service",
  other: "other",
};

/** @param {Review} r */
function what(r) {
  const patient = r.patient_name ?? "a patient";
  switch (r.reason) {
    case "many_patients": return `${r.user_name} opened ${r.patients_opened} different patients' conversations in one day, far more than usual for them.`;
    case "outside_teams": return `${r.user_name} opened ${patient}'s conversation, a patient of none of their departments or care teams.`;
    case "shared_family_name": return `${r.user_name} opened ${patient}'s conversation: they share a family name.`;
    case "emergency_access": return `${r.user_name} used emergency access to ${patient}'s record.`;
    default: return `${r.user_name}: unusual access.`;
  }
}

/** @param {(hash: Record<string, string>) => void} navigate the page's search, to show a trail */
export async function showAccessReviews(navigate) {
  const section = $("reviews");
  const list = clear($("reviews-list"));
  const error = $("reviews-error");
  /** @type {{ reviews: Review[] }} */
  const answer = await api("GET", "/api/v1/access-reviews");
  section.hidden = false;
  $("reviews-count").textContent = answer.reviews.length ? `(${answer.reviews.length})` : "";
  $("reviews-none").hidden = answer.reviews.length > 0;
  for (const r of answer.reviews) {
    const done = el("button", { type: "button", class: "secondary small" }, "Mark reviewed");
    const e = r.emergency;
    const item = el("li", { class: e ? "review emergency-review" : "review" },
      el("p", {}, what(r)),
      e ? el("dl", { class: "emergency-use" },
        el("dt", {}, "Reason given"), el("dd", {}, e.reason),
        el("dt", {}, "Kind"), el("dd", {}, e.category ? (EMERGENCY_KINDS[/** @type {keyof typeof EMERGENCY_KINDS} */ (e.category)] ?? e.category) : "not given"),
        el("dt", {}, "When"), el("dd", {}, `${fullWhen(e.started_at)}, for ${e.minutes} minutes`),
        el("dt", {}, "Ended"), el("dd", {}, e.ended_at ? `${fullWhen(e.ended_at)}, by them, early` : Date.parse(e.ends_at) > Date.now() ? `Still open until ${fullWhen(e.ends_at)}` : fullWhen(e.ends_at))) : null,
      el("p", { class: "muted" }, `Found ${fullWhen(r.raised_at)}`),
      el("div", { class: "row-actions" },
        el("button", { type: "button", class: "link", onclick: () => navigate(r.patient_id ? { actor: r.user_id, patient: r.patient_id } : { actor: r.user_id }) },
          r.patient_id ? "Show what they did with this patient" : "Show their trail"),
        done));
    done.addEventListener("click", async () => {
      done.disabled = true;
      try {
        await api("POST", `/api/v1/access-reviews/${r.id}/reviewed`);
        item.remove();
        const left = list.children.length;
        $("reviews-count").textContent = left ? `(${left})` : "";
        $("reviews-none").hidden = left > 0;
        announce("Marked reviewed");
      } catch (e) {
        showError(error, problem(e));
        done.disabled = false;
      }
    });
    list.append(item);
  }
}
