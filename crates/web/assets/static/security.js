// @ts-check
// Sign-in security, for patients and staff alike: set up an authenticator
// app (QR code or typed secret, confirmed by its first code), see and
// replace recovery codes, remove the app. Staff whose practice requires a
// second factor and who have none yet are sent here after signing in: it is
// the one page their session opens until they set one up.
import { $, ApiError, api, clear, el, fill, fullWhen, problem, showError, signOut } from "./common.js";

/**
 * `GET /api/v1/me/mfa` (`SecondFactorStatusDto`).
 * @typedef {object} Status
 * @property {boolean} totp
 * @property {number} recovery_codes_left
 * @property {boolean} required
 * @property {string | null} enrol_by
 */

/** @type {import("./common.js").Me} */
let me;
const card = () => $("second-factor");

/** Where "Back" goes: the person's own part of Switchboard. */
function home() {
  if (me.kind !== "staff") return "/app#/settings";
  return me.role === "practice_admin" ? "/admin" : me.role === "compliance_officer" ? "/audit" : "/inbox";
}

async function show() {
  /** @type {Status} */
  const status = await api("GET", "/api/v1/me/mfa");
  const back = /** @type {HTMLAnchorElement} */ ($("back-link"));
  back.hidden = me.second_factor_setup_required;
  back.href = home();
  if (status.totp) return showEnrolled(status);
  const intro = me.second_factor_setup_required
    ? [el("p", { class: "notice", role: "status" },
        "Your practice asks staff to use a second step when signing in. Set it up now to continue",
        status.enrol_by ? ` (by ${fullWhen(status.enrol_by)}).` : "."),
      el("p", {}, el("button", { type: "button", class: "link", onclick: () => signOut() }, "Sign out instead"))]
    : [el("p", {}, "After your password, Switchboard can also ask for a code from an authenticator app on your phone. ",
        "Someone who learns your password still cannot sign in without your phone.")];
  const start = el("button", { type: "button", class: "primary", id: "totp-start" }, "Set up an authenticator app");
  const error = el("p", { class: "error", role: "alert", hidden: true });
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      showScan(await api("POST", "/api/v1/me/mfa/totp"));
    } catch (e) {
      showError(error, problem(e));
      start.disabled = false;
    }
  });
  fill(card(), el("h2", { id: "second-factor-title" }, "Second step when you sign in"), ...intro, start, error);
}

/**
 * The QR code as an SVG (the server sends its modules as one path).
 * @param {{ size: number, path: string }} qr
 */
function qrImage(qr) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${qr.size} ${qr.size}`);
  svg.setAttribute("class", "qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "QR code to scan with your authenticator app");
  const back = document.createElementNS(ns, "rect");
  back.setAttribute("width", String(qr.size));
  back.setAttribute("height", String(qr.size));
  back.setAttribute("fill", "#fff");
  const dots = document.createElementNS(ns, "path");
  dots.setAttribute("d", qr.path);
  dots.setAttribute("fill", "#000");
  svg.append(back, dots);
  return svg;
}

/**
 * Step two of setting up: scan (or type), then the first code.
 * @param {{ secret: string, otpauth_uri: string, qr: { size: number, path: string } }} enrolment
 */
function showScan(enrolment) {
  const grouped = enrolment.secret.replace(/(.{4})/g, "$1 ").trim();
  const code = el("input", { id: "totp-code", name: "totp-code", autocomplete: "one-time-code", inputmode: "numeric",
    maxlength: 7, required: true });
  const error = el("p", { id: "totp-error", class: "error", role: "alert", hidden: true });
  const confirm = el("button", { type: "submit", class: "primary" }, "Confirm");
  const form = el("form", { id: "totp-form", novalidate: true },
    el("label", { for: "totp-code" }, "The 6-digit code the app shows now"), code, error, confirm);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!code.value.trim()) {
      showError(error, "Enter the code from the app.");
      return;
    }
    confirm.disabled = true;
    try {
      const answer = await api("POST", "/api/v1/me/mfa/totp/confirm", { code: code.value.trim() });
      me.second_factor_setup_required = false;
      showCodes(answer.recovery_codes, true);
    } catch (e) {
      showError(error, e instanceof ApiError && e.code === "invalid_second_factor"
        ? "That code is not right. Check that your phone's clock is set automatically, and enter the newest code."
        : problem(e));
      code.select();
    } finally {
      confirm.disabled = false;
    }
  });
  fill(card(),
    el("h2", { id: "second-factor-title" }, "Scan this code with your authenticator app"),
    el("p", {}, "Use any authenticator app, such as Google Authenticator, Microsoft Authenticator or 1Password."),
    el("div", { class: "qr-box" }, qrImage(enrolment.qr)),
    el("details", {}, el("summary", {}, "Can't scan it? Type this key instead"),
      el("p", { class: "secret", id: "totp-secret" }, grouped),
      el("p", { class: "hint" }, "Choose a time-based code if the app asks.")),
    form);
  code.focus();
}

/**
 * Recovery codes, shown once.
 * @param {string[]} codes
 * @param {boolean} justEnrolled
 */
function showCodes(codes, justEnrolled) {
  const list = el("ol", { class: "recovery-codes", id: "recovery-codes" }, codes.map((c) => el("li", {}, el("code", {}, c))));
  const done = el("button", { type: "button", class: "primary", id: "codes-saved" }, "I have saved these codes");
  done.addEventListener("click", () => {
    if (justEnrolled && me.kind === "staff") location.replace(home());
    else show();
  });
  fill(card(),
    el("h2", { id: "second-factor-title" }, justEnrolled ? "Your authenticator app is set up" : "Your new recovery codes"),
    el("p", {}, "If you lose your phone, each of these codes signs you in once instead of a code from the app. ",
      "Print them or keep them somewhere safe. They are shown only now."),
    list,
    el("p", {}, el("button", { type: "button", class: "link", onclick: () => navigator.clipboard?.writeText(codes.join("\n")) }, "Copy the codes")),
    done);
  done.focus();
}

/** @param {Status} status */
function showEnrolled(status) {
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const renew = el("button", { type: "button", id: "codes-renew" }, "Make new recovery codes");
  renew.addEventListener("click", async () => {
    try {
      showCodes((await api("POST", "/api/v1/me/mfa/recovery-codes")).recovery_codes, false);
    } catch (e) {
      showError(error, problem(e));
    }
  });
  const remove = el("button", { type: "button", class: "link danger", id: "totp-remove" }, "Remove the authenticator app");
  remove.addEventListener("click", async () => {
    if (!confirm("Remove the authenticator app? Signing in will then take your password alone.")) return;
    try {
      await api("DELETE", "/api/v1/me/mfa/totp");
      show();
    } catch (e) {
      showError(error, problem(e));
    }
  });
  const left = status.recovery_codes_left;
  fill(card(),
    el("h2", { id: "second-factor-title" }, "Second step when you sign in"),
    el("p", { id: "totp-on" }, "On: signing in asks for a code from your authenticator app."),
    el("p", { class: left < 3 ? "notice" : "" }, `You have ${left} recovery ${left === 1 ? "code" : "codes"} left.`),
    el("div", { class: "form-foot" }, renew, status.required ? null : remove),
    status.required ? el("p", { class: "hint" }, "Your practice requires a second step for staff. If you lose your phone, use a recovery code or ask an administrator.") : null,
    error);
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    me = await api("GET", "/api/v1/me");
    await show();
    document.body.dataset.ready = "true";
  } catch (e) {
    clear(card());
    showError($("load-error"), `This page could not be loaded. ${problem(e)}`);
  }
});
