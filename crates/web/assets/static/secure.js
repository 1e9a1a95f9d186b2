// @ts-check
// The page behind a secure link (/secure#token=…): a patient with no
// account (or not signed in) proves who they are before anything is
// shown: their date of birth, then the one-time code sent to the phone or
// email on file. Then the patient app opens on that one conversation. The
// token is taken out of the address bar at once and sent only in request
// bodies.
import { ApiError, api, birthDateParts, clear, el, errorText, takeLinkToken } from "./common.js";

/**
 * What the link is (`SecureLinkInfoDto` in routes/secure_links.rs).
 * @typedef {{ practice_name: string, medium: "sms" | "email", code_sent: boolean }} SecureLinkInfo
 */

const box = document.getElementById("link-card");

const token = takeLinkToken();

/** Replaces what the card shows, and moves focus to its heading. */
function show(title, ...children) {
  const heading = el("h1", { id: "secure-title", tabindex: "-1" }, title);
  clear(box).append(heading, ...children);
  heading.focus();
  document.body.dataset.ready = "true";
}

function showInvalid() {
  show("This link cannot be used",
    el("p", {}, "This link has expired, was already used, or too many answers were wrong. Ask your practice to send you a new one."),
    el("p", {}, el("a", { href: "/" }, "Go to the sign-in page")));
}

/** Where the code goes, in words. */
const where = (medium) => (medium === "sms" ? "by text message to the mobile number" : "by email to the address");

/** A refusal, in words; `true` when the link can no longer be used. */
function refusal(e, errorLine) {
  if (e instanceof ApiError && (e.code === "link_invalid" || e.status === 410)) {
    showInvalid();
    return true;
  }
  errorLine.textContent = e instanceof ApiError && e.code === "too_many_attempts"
    ? "Too many tries. Please wait a moment and try again."
    : errorText(e);
  errorLine.hidden = false;
  return false;
}

/** @param {SecureLinkInfo} info */
function askBirthDate(info) {
  const { parts, inputs } = birthDateParts();
  const error = el("p", { class: "error", id: "secure-error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Continue");
  const form = el("form", { id: "birth-form", novalidate: true },
    el("fieldset", { class: "birth-date", "aria-describedby": "birth-hint" },
      el("legend", {}, "Your date of birth"),
      el("p", { class: "hint", id: "birth-hint" }, "For example: 3 12 1984"),
      el("div", { class: "date-parts" }, parts)),
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const [m, d, y] = inputs.map((i) => i.value.trim());
    if (!/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(d) || !/^\d{4}$/.test(y)) {
      error.textContent = "Enter your date of birth in numbers: month, day and the year in full.";
      error.hidden = false;
      inputs[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      const sent = await api("POST", "/api/v1/secure-links/birth-date",
        { token, birth_date: `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}` });
      askCode({ ...info, medium: sent.medium });
    } catch (e) {
      submit.disabled = false;
      refusal(e, error);
    }
  });
  show(`You have a secure message from ${info.practice_name}`,
    el("p", {}, "To keep it private, first confirm who you are. We will then send a code ", where(info.medium), " we have on file."),
    form);
}

/** @param {SecureLinkInfo} info */
function askCode(info) {
  const input = el("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 7,
    "aria-describedby": "code-hint" });
  const error = el("p", { class: "error", id: "secure-error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Open the message");
  const again = el("button", { type: "button", class: "secondary" }, "Send a new code");
  again.addEventListener("click", () => askBirthDate(info));
  const form = el("form", { id: "code-form", novalidate: true },
    el("div", { class: "field" },
      el("label", { for: "code" }, "Your 6-digit code"),
      el("p", { class: "hint", id: "code-hint" }, "It works once, for 10 minutes."),
      input),
    error, submit, again);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const session = await api("POST", "/api/v1/secure-links/session", { token, code: input.value });
      location.replace(`/app#/c/${session.conversation_id}`);
    } catch (e) {
      submit.disabled = false;
      if (!refusal(e, error)) input.focus();
    }
  });
  show("Enter your code",
    el("p", {}, "If the date of birth matches our records, we have sent a code ", where(info.medium), " on file."),
    form);
}

async function start() {
  if (!token) {
    showInvalid();
    return;
  }
  /** @type {SecureLinkInfo} */
  let info;
  try {
    info = await api("POST", "/api/v1/secure-links/inspect", { token });
  } catch (e) {
    if (e instanceof ApiError && (e.code === "link_invalid" || e.status === 410)) showInvalid();
    else show("Your link could not be checked", el("p", { class: "error", role: "alert" }, errorText(e)),
      el("button", { type: "button", class: "primary", onclick: () => start() }, "Try again"));
    return;
  }
  if (info.code_sent) askCode(info);
  else askBirthDate(info);
}

start();
