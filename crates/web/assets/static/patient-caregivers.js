// @ts-check
// Caregivers in the patient app: the "Messages for" switcher and the banner
// while acting for someone; the settings section where a patient invites,
// sees and removes their caregivers, and enters a code someone gave them;
// and a minor's plain sentence about who sees a conversation. Every switch
// is told to the server (it is audited there); whom one acts for is kept
// for this tab only, as an id.
import { api, dayWithYear, el, errorText, fill, showError, when } from "./common.js";

/**
 * Someone the signed-in patient may act for (`CaregivingPersonDto`).
 * @typedef {object} CaregivingPerson
 * @property {string} patient_id
 * @property {string} display_name
 * @property {string | null} relationship
 * @property {string | null} relationship_words
 * @property {string | null} grant_id
 * @property {string | null} until
 * @property {boolean} confidential
 */

/** The relationships a patient can choose, in the words shown. */
export const RELATIONSHIPS = /** @type {const} */ ([
  ["mother", "My mother"],
  ["father", "My father"],
  ["guardian", "My guardian"],
  ["spouse", "My spouse or partner"],
  ["adult_child", "My adult child"],
  ["other", "Someone else who cares for me"],
]);

const KEY = "switchboard.acting-for";

/** Whom this tab acts for: a patient id, or null for oneself. */
export function actingFor() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function remember(id) {
  try {
    if (id) sessionStorage.setItem(KEY, id);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Private browsing: the choice lasts until the page reloads.
  }
}

/**
 * The people one may act for (oneself first); drops a remembered choice
 * that no longer stands (a grant ended or was revoked).
 * @returns {Promise<CaregivingPerson[]>}
 */
export async function loadCaregiving() {
  /** @type {CaregivingPerson[]} */
  const people = await api("GET", "/api/v1/me/caregiving").catch(() => []);
  const chosen = actingFor();
  if (chosen && !people.some((p) => p.patient_id === chosen && p.relationship)) remember(null);
  // A caregiver who is not a patient here has no "Me": they always act
  // for someone, the first person until they switch (told to the server).
  const first = people[0];
  if (!actingFor() && first && !people.some((p) => !p.relationship)) {
    await api("PUT", "/api/v1/me/acting-for", { patient_id: first.patient_id }).catch(() => {});
    remember(first.patient_id);
  }
  return people;
}

/** The person acted for now, or null for oneself. */
export function current(people) {
  const chosen = actingFor();
  return people.find((p) => p.patient_id === chosen && p.relationship) ?? null;
}

/** First name, for short labels ("Sam" from "Sam Doe"). */
function firstName(name) {
  return name.split(" ")[0] || name;
}

/**
 * "Messages for: Me / Sam / Mia", only for someone with grants. Switching
 * is told to the server, then `done` redraws.
 */
export function switcher(people, done) {
  if (people.length < 2) return null;
  const chosen = current(people);
  return el("nav", { class: "acting-switcher", "aria-label": "Whose messages" },
    el("span", { class: "acting-label", id: "acting-label" }, "Messages for:"),
    el("ul", { class: "acting-options", "aria-labelledby": "acting-label" }, people.map((p) => {
      const selected = p.relationship ? chosen?.patient_id === p.patient_id : !chosen;
      return el("li", {},
        el("button", {
          type: "button",
          class: selected ? "acting-option selected" : "acting-option",
          "aria-pressed": String(selected),
          onclick: async () => {
            if (selected) return;
            await api("PUT", "/api/v1/me/acting-for", { patient_id: p.patient_id });
            remember(p.relationship ? p.patient_id : null);
            await done();
          },
        }, p.relationship ? firstName(p.display_name) : "Me"));
    })));
}

/** While acting for someone: whose messages these are, in plain words. */
export function actingBanner(person) {
  if (!person) return null;
  return el("p", { class: "acting-banner", role: "status" },
    el("strong", {}, `You are writing for ${person.display_name}`), `, as their ${person.relationship_words}. `,
    person.confidential
      ? `${firstName(person.display_name)} is old enough to keep some conversations private; you see the ones shared with you.`
      : "Everything you send shows your name and theirs.");
}

/** Under a minor's own conversation: who sees it, and the way to change that. */
export function sharingNote(conversation, reload) {
  const s = conversation.caregivers;
  if (!s || !s.confidential_minor) return null;
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const toggle = el("button", {
    type: "button", class: "secondary small",
    onclick: async () => {
      try {
        await api("PUT", `/api/v1/conversations/${conversation.id}/sharing`, { shared: !s.shared });
        await reload();
      } catch (e) {
        showError(errors, errorText(e));
      }
    },
  }, s.shared ? "Stop sharing with my caregivers" : "Share with my caregivers");
  return el("div", { class: "notice sharing-note", id: "sharing-note" },
    el("p", {}, s.shared
      ? "Your caregivers (such as a parent) can see this conversation, because it is shared with them."
      : "This conversation is private: your caregivers (such as a parent) do not see it unless you share it."),
    toggle, errors);
}

/** For a new message by a minor who keeps conversations private. */
export function shareChoice() {
  const box = el("input", { type: "checkbox", id: "share-with-caregivers", name: "share" });
  return {
    node: el("div", { class: "check share-choice" },
      box,
      el("label", { for: "share-with-caregivers" }, "Let my caregivers (such as a parent) see this conversation"),
      el("p", { class: "hint" }, "If you leave this unticked, only you and your care team see it.")),
    checked: () => box.checked,
  };
}

/**
 * The caregivers settings section: who can act for me, invitations, codes.
 * `accepted` runs once a code is accepted (the switcher then offers them).
 */
export async function caregiversSection(accepted = async () => {}, ownRecord = true) {
  const section = el("section", { id: "caregivers", class: "card settings-section", "aria-labelledby": "caregivers-title" });
  if (!ownRecord) {
    // A caregiver who is not a patient here: nobody acts for them; they
    // can take on someone else's code.
    const errors = el("p", { class: "error", role: "alert", hidden: true });
    fill(section,
      el("h2", { id: "caregivers-title" }, "Caregivers"),
      el("p", {}, "You help with the messages of the people who gave you a code. Everything you send shows your name."),
      acceptForm(accepted, errors),
      errors);
    return section;
  }
  const draw = async () => {
    const mine = await api("GET", "/api/v1/me/caregivers");
    const errors = el("p", { class: "error", role: "alert", hidden: true });
    const list = mine.caregivers.length
      ? el("ul", { class: "plain-list caregiver-list" }, mine.caregivers.map((c) => el("li", {},
        el("span", {}, el("strong", {}, c.caregiver_name), ` (${c.relationship_words})`,
          c.ends_at ? el("span", { class: "hint" }, ` until ${dayWithYear(c.ends_at)}`) : null),
        el("button", {
          type: "button", class: "link",
          onclick: async () => {
            if (!confirm(`Stop ${c.caregiver_name} from seeing and sending your messages?`)) return;
            try {
              await api("DELETE", `/api/v1/caregivers/${c.grant_id}`);
              await draw();
            } catch (e) {
              showError(errors, errorText(e));
            }
          },
        }, "Remove"))))
      : el("p", {}, "Nobody can see or send your messages but you.");
    const relationship = el("select", { id: "invite-relationship", required: true },
      RELATIONSHIPS.map(([code, words]) => el("option", { value: code }, words)));
    const code = el("div", { id: "invite-code", "aria-live": "polite" });
    const invite = el("form", { class: "invite-caregiver" },
      el("label", { for: "invite-relationship" }, "Who are you inviting?"), relationship,
      el("button", { type: "submit", class: "secondary" }, "Make an invitation code"), code);
    invite.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const made = await api("POST", "/api/v1/me/caregiver-invitations", { relationship: relationship.value });
        fill(code,
          el("p", {}, "Give this code to the person you trust. They enter it under Settings in their own account here:"),
          el("p", { class: "invitation-code" }, made.code),
          el("p", { class: "hint" }, `It works once, until ${when(made.expires_at)}.`));
      } catch (e) {
        showError(errors, errorText(e));
      }
    });
    const accept = acceptForm(accepted, errors);
    fill(section,
      el("h2", { id: "caregivers-title" }, "Caregivers"),
      el("p", {}, "A caregiver signs in as themselves and can read and send your messages. Everything they send shows their name."),
      list,
      mine.standing === "confidential_minor"
        ? el("p", { class: "hint" }, "Your caregivers do not see conversations you keep private.")
        : null,
      invite,
      mine.invitations.length
        ? el("p", { class: "hint" }, `${mine.invitations.length} invitation${mine.invitations.length === 1 ? "" : "s"} not used yet.`)
        : null,
      accept,
      errors);
  };
  await draw();
  return section;
}

/** "Someone gave you a code?": accepting a caregiver invitation. */
function acceptForm(accepted, errors) {
  const typed = el("input", { id: "accept-code", autocomplete: "off", spellcheck: "false", inputmode: "text" });
  const said = el("p", { "aria-live": "polite" });
  const accept = el("form", { class: "accept-caregiver" },
    el("label", { for: "accept-code" }, "Someone gave you a code? Enter it to help with their messages"), typed,
    el("button", { type: "submit", class: "secondary" }, "Accept"), said);
  accept.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const person = await api("POST", "/api/v1/caregiver-invitations/accept", { code: typed.value });
      typed.value = "";
      await accepted();
      said.textContent = `You can now read and send messages for ${person.display_name}. Choose them under “Messages for”.`;
    } catch (e) {
      showError(errors, errorText(e));
    }
  });
  return accept;
}
