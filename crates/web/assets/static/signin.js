// @ts-check
// The sign-in page: sends people where they belong, patients to their
// messages and staff to the inbox. Also where a forgotten password is
// reported (the practice sees the request and hands over a reset link).
import { AFTER_SIGN_IN, ApiError, api, clear, el, problem } from "./common.js";

// Practice administrators and compliance officers do not work patient
// conversations: administrators land in setup, compliance officers in the audit log.
const LANDING = { practice_admin: "/admin", compliance_officer: "/audit" };
/** @param {import("./common.js").Me} user */
const destination = (user) => {
  const next = sessionStorage.getItem(AFTER_SIGN_IN);
  sessionStorage.removeItem(AFTER_SIGN_IN);
  if (user.kind === "staff" && next && next.startsWith("/inbox#/ack/")) return next;
  return user.kind !== "staff" ? "/app" : LANDING[user.role] ?? "/inbox";
};

async function alreadySignedIn() {
  const res = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
  if (res && res.ok) location.replace(destination(await res.json()));
}

function showNotice() {
  const params = new URLSearchParams(location.search);
  const notice = document.getElementById("signin-notice");
  const text = params.has("timed_out")
    ? "You were signed out after a period without activity, to protect your information."
    : params.has("deactivated")
      ? "You were signed out because your account is no longer active. If you did not expect this, ask your practice."
      : params.has("signed_out")
        ? "You are signed out."
        : params.has("sign_in_expired")
          ? "That sign-in was not finished in time. Please sign in again."
          : "";
  if (text) {
    notice.textContent = text;
    notice.hidden = false;
  }
}

/**
 * The forgotten-password form, built when asked for (and removed when
 * closed), so that the sign-in form stays the only one on the page otherwise.
 */
function openForgot() {
  const panel = document.getElementById("forgot");
  const toggle = document.getElementById("forgot-open");
  const input = el("input", { id: "forgot-username", name: "forgot-username", autocomplete: "username", autocapitalize: "none", spellcheck: "false", required: true });
  input.value = /** @type {HTMLInputElement} */ (document.getElementById("username")).value.trim();
  // Always present (only empty), so that screen readers hear the answer arrive.
  const status = el("p", { id: "forgot-status", class: "notice", role: "status" });
  const error = el("p", { id: "forgot-error", class: "error", role: "alert", hidden: true });
  const send = el("button", { type: "submit", class: "primary" }, "Ask for a reset link");
  const close = () => {
    clear(panel).hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  };
  const form = el("form", { id: "forgot-form", novalidate: true },
    el("label", { for: "forgot-username" }, "Your user name"), input,
    error,
    el("div", { class: "form-foot" },
      send,
      el("button", { type: "button", class: "link", onclick: close }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    status.textContent = "";
    const username = input.value.trim();
    if (!username) {
      error.textContent = "Enter your user name.";
      error.hidden = false;
      input.focus();
      return;
    }
    send.disabled = true;
    try {
      const answer = await api("POST", "/api/v1/auth/password-reset", { username });
      status.textContent = answer.message;
    } catch (e) {
      error.textContent = e instanceof ApiError && e.code === "too_many_attempts"
        ? "Too many requests. Please wait and try again."
        : e.message;
      error.hidden = false;
    } finally {
      send.disabled = false;
    }
  });
  clear(panel).append(
    el("h2", { id: "forgot-title" }, "Forgot your password?"),
    el("p", {}, "Tell us your user name. We send a reset link to the email address or mobile number on your account; if it has neither, your practice will know you asked."),
    el("p", { class: "desk-note" }, el("strong", {}, "The quickest way: "),
      "your practice can give you a reset link at the front desk, or when you call them."),
    form, status);
  panel.hidden = false;
  toggle.setAttribute("aria-expanded", "true");
  input.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  showNotice();
  document.getElementById("forgot-open").addEventListener("click", () => {
    if (document.getElementById("forgot").hidden) openForgot();
    else document.getElementById("forgot-username")?.focus();
  });
  alreadySignedIn();
  const form = /** @type {HTMLFormElement & { username: HTMLInputElement, password: HTMLInputElement }} */ (document.getElementById("signin-form"));
  const error = document.getElementById("signin-error");
  const button = form.querySelector("button");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = "Enter your user name and password.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      const result = await api("POST", "/api/v1/auth/login", { username, password });
      if (result.mfa_required) {
        askForCode(form, result.challenge);
        return;
      }
      signedIn(result.user);
    } catch (e) {
      error.textContent = e.code === "too_many_attempts"
        ? "Too many attempts. Please wait a moment and try again."
        : e.code === "invalid_credentials"
          ? "That user name and password do not match. Please try again."
          : e.message;
      error.hidden = false;
      form.password.select();
    } finally {
      button.disabled = false;
    }
  });
});

/** @param {import("./common.js").Me} user */
function signedIn(user) {
  // Staff whose practice requires a second factor and who have none yet
  // can only set one up.
  location.replace(user.second_factor_setup_required ? "/security" : destination(user));
}

/**
 * The second step: the password was right and the account has a second
 * factor. The password form is replaced by one for the code; the challenge
 * lasts five minutes.
 * @param {HTMLFormElement} passwordForm
 * @param {string} challenge
 */
function askForCode(passwordForm, challenge) {
  const input = el("input", { id: "code", name: "code", autocomplete: "one-time-code", inputmode: "numeric",
    autocapitalize: "none", spellcheck: "false", required: true, "aria-describedby": "code-hint" });
  const error = el("p", { id: "code-error", class: "error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Continue");
  const recovery = el("button", { type: "button", class: "link" }, "Lost your phone? Use a recovery code");
  const hint = el("p", { id: "code-hint", class: "hint" }, "Open your authenticator app and enter the 6-digit code it shows for Switchboard.");
  recovery.addEventListener("click", () => {
    hint.textContent = "Enter one of the recovery codes you saved when you set up the app (like abcde-fghjk). Each works once.";
    input.setAttribute("inputmode", "text");
    recovery.hidden = true;
    input.focus();
  });
  const form = el("form", { id: "code-form", class: "card", novalidate: true },
    el("h2", {}, "Enter your code"),
    el("label", { for: "code" }, "Code"), hint, input, error, submit, recovery);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) {
      error.textContent = "Enter the code from your app.";
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const result = await api("POST", "/api/v1/auth/mfa", { challenge, code });
      if (result.recovery_codes_left !== undefined) {
        sessionStorage.setItem("switchboard.recovery_codes_left", String(result.recovery_codes_left));
      }
      signedIn(result.user);
    } catch (e) {
      if (e.code === "mfa_challenge_invalid") {
        location.replace("/?sign_in_expired");
        return;
      }
      error.textContent = e.code === "too_many_attempts"
        ? "Too many attempts. Please wait a moment and try again."
        : problem(e);
      error.hidden = false;
      input.select();
    } finally {
      submit.disabled = false;
    }
  });
  passwordForm.replaceWith(form);
  input.focus();
}
