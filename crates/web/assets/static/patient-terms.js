// @ts-check
// The practice's messaging terms in the patient app: shown before a patient
// who has not accepted the version in force writes (new patients of old,
// or everyone after the practice publishes new terms), and what the app
// says when the practice's launch does not include them yet.
import { api, el, errorText, fill, fullWhen, showError } from "./common.js";

/**
 * @typedef {object} Terms
 * @property {number} version
 * @property {string} text
 * @property {string} published_at
 * @property {string | null} published_by
 *
 * @typedef {object} MyEnrollment
 * @property {Terms} terms
 * @property {{ version: number, accepted_at: string, method: "invitation" | "app" } | null} accepted
 * @property {"current" | "outdated" | "never"} standing
 * @property {boolean} may_start_conversations
 */

/** The terms' words, one paragraph per blank-line-separated block. */
export function termsText(text) {
  return el("div", { class: "terms-text", tabindex: "0", role: "region", "aria-label": "Messaging terms" },
    text.split(/\n\s*\n/).map((para) => el("p", {}, para.trim())));
}

/**
 * The terms in force with an "I accept" button; `accepted` runs once they
 * are accepted (`enrollment` is brought up to date first). If new terms
 * came out while the patient read, the card shows those instead.
 * @param {MyEnrollment} enrollment
 * @param {() => void} accepted
 * @returns {HTMLElement}
 */
export function termsCard(enrollment, accepted) {
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const accept = el("button", { type: "button", class: "primary" }, "I accept these terms");
  const card = el("section", { class: "card terms", "aria-label": "Messaging terms" },
    termsText(enrollment.terms.text),
    el("p", { class: "hint" }, `Version ${enrollment.terms.version}, from ${fullWhen(enrollment.terms.published_at)}.`),
    el("div", { class: "form-foot" }, accept),
    errors);
  accept.addEventListener("click", async () => {
    accept.disabled = true;
    errors.hidden = true;
    try {
      enrollment.accepted = await api("POST", "/api/v1/me/terms-acceptances", { version: enrollment.terms.version });
      enrollment.standing = "current";
      accepted();
    } catch (e) {
      accept.disabled = false;
      const fresh = await api("GET", "/api/v1/me/enrollment").catch(() => null);
      if (fresh && fresh.terms.version !== enrollment.terms.version) {
        Object.assign(enrollment, fresh);
        card.replaceWith(termsCard(enrollment, accepted));
        return;
      }
      showError(errors, errorText(e));
    }
  });
  return card;
}

/**
 * The page asking the patient to accept the terms in force, below the
 * emergency note; `done` runs once they accept, `later` if they read
 * their messages first.
 * @param {HTMLElement} main
 * @param {MyEnrollment} enrollment
 * @param {HTMLElement} emergency
 * @param {() => void} done
 * @param {() => void} later
 */
export function showTerms(main, enrollment, emergency, done, later) {
  const changed = enrollment.standing === "outdated";
  fill(main,
    el("h1", {}, changed ? "Your practice updated its messaging terms" : "Messaging terms"),
    el("p", { class: "lead" }, changed
      ? "Please read the new terms. You can send messages again once you accept them."
      : "Please read how secure messaging works at your practice. You can send messages once you accept."),
    emergency,
    termsCard(enrollment, done),
    el("p", {}, el("button", { type: "button", class: "link", onclick: later }, "Not now: read my messages")));
}

/**
 * A line for the list while the terms wait to be accepted.
 * @param {MyEnrollment} enrollment
 */
export function termsWaiting(enrollment) {
  return el("p", { class: "notice terms-waiting", role: "status" },
    enrollment.standing === "outdated" ? "Your practice updated its messaging terms. " : "",
    el("a", { href: "#/terms" }, "Read and accept the messaging terms"), " to send messages.");
}

/** In place of "New message" when the practice has not turned messaging on for the patient yet. */
export function notOpenYet(callUs) {
  return el("p", { class: "notice not-open", role: "status" },
    "Your practice has not turned on messages from patients for you yet. ",
    `To reach your care team, ${callUs}. You can still answer messages your care team sends you here.`);
}
