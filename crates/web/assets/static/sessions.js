// @ts-check
// "Where you're signed in": the signed-in person's open sessions (device,
// place, when last used; "This device" for this one), with a way to sign
// out each other one and all the others at once. Shared by the patient
// app's settings and the staff setup page.

import { ApiError, announce, api, dayAndTime, el, errorText, fill, showError } from "./common.js";

/**
 * One open session, as `/api/v1/me/sessions` lists it.
 * @typedef {{ id: string, device: string, place: string, signed_in_at: string, last_used_at: string, current: boolean }} SessionInfo
 */

/**
 * When a session was last used, in words: "just now", "5 minutes ago",
 * "2 hours ago", else the day and time.
 * @param {string} iso
 * @param {number} [now]
 */
export function lastUsedWords(iso, now = Date.now()) {
  const minutes = Math.floor((now - Date.parse(iso)) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 12) return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
  return dayAndTime(iso, { now: new Date(now) });
}

/** A first letter in capitals: "Chrome on Android", "This computer". */
function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Fills `card` (an element with id `sessions`) with the section and loads
 * it. `heading` is the level of its title.
 * @param {HTMLElement} card
 * @param {"h2" | "h3"} [heading]
 */
export async function showSessions(card, heading = "h2") {
  const list = el("ul", { id: "sessions-list", class: "plain-list sessions-list" });
  const status = el("p", { id: "sessions-status", class: "muted", role: "status" });
  const error = el("p", { id: "sessions-error", class: "error", role: "alert", hidden: true });
  const others = el("button", { type: "button", class: "secondary", id: "sessions-end-others", hidden: true }, "Sign out everywhere else");
  card.setAttribute("aria-labelledby", "sessions-title");
  fill(card,
    el(heading, { id: "sessions-title" }, "Where you're signed in"),
    el("p", { class: "hint" },
      "The devices and browsers where you are signed in now. A place is only what the connection's address tells: ",
      "this computer, a local network, or the address itself. If you do not recognise one, sign it out and change your password."),
    list, others, status, error);

  /** @param {unknown} e */
  const failed = (e) => showError(error, e instanceof ApiError ? errorText(e) : "Something went wrong. Please try again.");

  async function load() {
    /** @type {{ sessions: SessionInfo[] }} */
    const { sessions } = await api("GET", "/api/v1/me/sessions");
    fill(list, ...sessions.map(item));
    const count = sessions.filter((s) => !s.current).length;
    others.hidden = count === 0;
    status.textContent = count === 0 ? "You are signed in only here." : "";
  }

  /** @param {SessionInfo} s */
  function item(s) {
    const button = s.current ? null : el("button", {
      type: "button", class: "secondary small", "aria-label": `Sign out ${s.device}, ${s.place}`,
      onclick: async () => {
        error.hidden = true;
        button.disabled = true;
        try {
          await api("DELETE", `/api/v1/me/sessions/${encodeURIComponent(s.id)}`);
          announce(`Signed out ${s.device}.`);
          await load();
          others.focus();
        } catch (e) {
          button.disabled = false;
          failed(e);
        }
      },
    }, "Sign out");
    return el("li", { class: "session-item", "data-session": s.id },
      el("div", { class: "session-what" },
        el("strong", { class: "session-device" }, capital(s.device)),
        s.current ? el("span", { class: "tag this-device" }, "This device") : null,
        el("p", { class: "muted session-where" },
          `${capital(s.place)} · ${s.current ? "in use now" : `last used ${lastUsedWords(s.last_used_at)}`}`)),
      button);
  }

  others.addEventListener("click", async () => {
    error.hidden = true;
    others.disabled = true;
    try {
      /** @type {{ ended: number }} */
      const { ended } = await api("POST", "/api/v1/me/sessions/end-others", {});
      await load();
      announce(ended === 1 ? "Signed out 1 other session." : `Signed out ${ended} other sessions.`);
      status.textContent = "Signed out everywhere else. You are signed in only here.";
    } catch (e) {
      failed(e);
    } finally {
      others.disabled = false;
    }
  });

  try {
    await load();
  } catch (e) {
    failed(e);
  }
}
