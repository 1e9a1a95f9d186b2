// @ts-check
// The sign-in page: sends people where they belong, patients to their
// messages and staff to the inbox. Also where a forgotten password is
// reported (the practice sees the request and hands over a reset link).
import { AFTER_SIGN_IN, ApiError, api, clear, el, problem } from "./common.js";
import { browserRefusal, passkeysUsable, usePasskey } from "./passkeys.js";

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
  if (res && res.ok) signedIn(await res.json());
}

/** What a single sign-on that did not sign anyone in is told, by its code. */
const SSO_ERRORS = {
  unavailable: "Single sign-on is not available for that practice just now. Sign in with your user name and password.",
  expired: "That sign-in took too long or was already used. Please try again.",
  refused: "Your organisation's sign-in did not go through. Please try again; if it keeps happening, tell your practice administrator.",
  no_account: "No staff account here matches the account you signed in with. Ask your practice administrator to set your work email on your account.",
  email_unverified: "Your organisation's sign-in did not confirm your email address, so it cannot be matched to your account. Ask your practice administrator.",
  inactive: "Your account is no longer active. If you did not expect this, ask your practice.",
  second_factor_overdue: "Your practice requires a second step for staff, and the time to set one up has passed. Ask your practice administrator to reopen it.",
  throttled: "Too many attempts. Please wait a moment and try again.",
  error: "Something went wrong on our side. Please try again in a moment.",
};

/**
 * Single sign-on: one button per practice that offers it (only this
 * practice's when the page was opened with `?practice=<id>`, the link a
 * practice gives its staff), and what the return from the provider says:
 * signed in (the session cookie is set; `alreadySignedIn` moves on), the
 * second step (the challenge in the address's fragment, which no server
 * sees, taken out of the address at once), or a failure's code.
 * @param {HTMLFormElement} form
 */
async function offerSso(form) {
  const params = new URLSearchParams(location.search);
  if (params.get("sso") === "second_factor") {
    const hash = new URLSearchParams(location.hash.slice(1));
    const challenge = hash.get("challenge");
    history.replaceState(null, "", "/");
    if (challenge) askForCode(form, challenge, (hash.get("methods") ?? "").split(",").filter(Boolean));
    return;
  }
  const failure = params.get("sso_error");
  if (failure) {
    const error = document.getElementById("signin-error");
    error.textContent = SSO_ERRORS[failure] ?? SSO_ERRORS.refused;
    error.hidden = false;
    // The code is said; the address keeps only the practice it was for.
    const practice = params.get("practice");
    history.replaceState(null, "", practice ? `/?practice=${encodeURIComponent(practice)}` : "/");
  }
  const only = params.get("practice");
  const ask = only ? `?practice=${encodeURIComponent(only)}` : "";
  const shown = await api("GET", `/api/v1/auth/sso/providers${ask}`).catch(() => []);
  if (!shown.length) return;
  document.getElementById("sso-buttons").append(
    ...shown.map((p) => el("a", { class: "button", href: p.start_url }, p.label)));
  document.getElementById("sso-signin-box").hidden = false;
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
  offerPasskey();
  const form = /** @type {HTMLFormElement & { username: HTMLInputElement, password: HTMLInputElement }} */ (document.getElementById("signin-form"));
  offerSso(form);
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
        askForCode(form, result.challenge, result.methods ?? []);
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

/**
 * "Sign in with a passkey": no user name, no password. The device offers
 * the passkeys it holds for this site; one whose lock (PIN, fingerprint,
 * face) was used signs in on its own.
 */
function offerPasskey() {
  const box = document.getElementById("passkey-signin-box");
  const button = /** @type {HTMLButtonElement} */ (document.getElementById("passkey-signin"));
  const error = document.getElementById("passkey-error");
  if (!box || !button || !passkeysUsable()) return;
  box.hidden = false;
  button.addEventListener("click", async () => {
    error.hidden = true;
    button.disabled = true;
    try {
      const options = await api("POST", "/api/v1/auth/passkey/options");
      const credential = await usePasskey(options.publicKey);
      const result = await api("POST", "/api/v1/auth/passkey", { state: options.state, credential });
      signedIn(result.user);
    } catch (e) {
      error.textContent = browserRefusal(e) ?? (e.code === "too_many_attempts"
        ? "Too many attempts. Please wait a moment and try again."
        : e.code === "passkey_refused"
          ? "That passkey was not accepted. It may have been removed from your account; sign in with your password."
          : e.code === "mfa_challenge_invalid"
            ? "That took too long. Please try again."
            : problem(e));
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

/** @param {import("./common.js").Me} user */
function signedIn(user) {
  // Staff whose practice requires a second factor and who have none yet
  // can only set one up.
  location.replace(user.second_factor_setup_required ? "/security" : destination(user));
}

/**
 * The second step: the password was right and the account has a second
 * factor. The password form is replaced by one for the code (and, with a
 * passkey, a button to use it); the challenge lasts five minutes.
 * @param {HTMLFormElement} passwordForm
 * @param {string} challenge
 * @param {string[]} methods
 */
function askForCode(passwordForm, challenge, methods) {
  const withPasskey = methods.includes("passkey") && passkeysUsable();
  const withCode = methods.includes("totp") || methods.includes("recovery_code");
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
  const passkeyError = el("p", { id: "passkey-step-error", class: "error", role: "alert", hidden: true });
  const passkey = el("button", { type: "button", class: withCode ? "secondary" : "primary", id: "passkey-step" }, "Use your passkey");
  passkey.addEventListener("click", async () => {
    passkeyError.hidden = true;
    passkey.disabled = true;
    try {
      const options = await api("POST", "/api/v1/auth/mfa/passkey-options", { challenge });
      const credential = await usePasskey(options.publicKey);
      const result = await api("POST", "/api/v1/auth/mfa", { challenge, passkey: { state: options.state, credential } });
      signedIn(result.user);
    } catch (e) {
      if (e.code === "mfa_challenge_invalid") {
        location.replace("/?sign_in_expired");
        return;
      }
      passkeyError.textContent = browserRefusal(e) ?? (e.code === "too_many_attempts"
        ? "Too many attempts. Please wait a moment and try again."
        : problem(e));
      passkeyError.hidden = false;
    } finally {
      passkey.disabled = false;
    }
  });
  const passkeyPart = withPasskey
    ? [el("p", { class: "hint" }, "Use the passkey on this device (your fingerprint, face or device PIN)."), passkey, passkeyError]
    : methods.includes("passkey") && !withCode
      ? [el("p", { class: "error", role: "alert" }, "This account signs in with a passkey, which cannot be used at this address. Open Switchboard by its name (such as https://localhost).")]
      : [];
  const codePart = withCode
    ? [withPasskey ? el("p", { class: "or" }, "Or enter a code") : null,
      el("label", { for: "code" }, "Code"), hint, input, error, submit, recovery]
    : [];
  const form = el("form", { id: "code-form", class: "card", novalidate: true },
    el("h2", {}, withCode ? "Enter your code" : "Use your passkey"), ...passkeyPart, ...codePart);
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
  document.getElementById("passkey-signin-box")?.setAttribute("hidden", "");
  document.getElementById("sso-signin-box")?.setAttribute("hidden", "");
  if (withCode) input.focus();
  else passkey.focus();
}
