// @ts-check
// Practice setup, sign-in security (administrators): whether staff must use
// a second step (an authenticator app) when signing in, and how long staff
// without one may still sign in to set it up. While it is off, the section
// says so plainly (the demo practice turns it off so that its printed
// logins work with a password alone). Saving asks the administrator to
// confirm it is them (the server's re-authentication, handled by `api`).
import { clearErrors, message, showServerError } from "./admin-hours.js";
import { $, announce, api, options, showError } from "./common.js";

const GRACE_DAYS = [1, 3, 7, 14, 30];

/** @param {{ staff_second_factor_required: boolean, grace_hours: number }} policy */
function render(policy) {
  /** @type {HTMLInputElement} */ ($("second-factor-required")).checked = policy.staff_second_factor_required;
  const days = GRACE_DAYS.includes(policy.grace_hours / 24) ? [] : [[String(policy.grace_hours), `${policy.grace_hours} hours`]];
  options($("second-factor-grace"), [...days, ...GRACE_DAYS.map((d) => [String(d * 24), d === 1 ? "1 day" : `${d} days`])], String(policy.grace_hours));
  $("second-factor-off").hidden = policy.staff_second_factor_required;
}

async function save(event) {
  event.preventDefault();
  const error = $("second-factor-error");
  showError(error, "");
  const policy = {
    staff_second_factor_required: /** @type {HTMLInputElement} */ ($("second-factor-required")).checked,
    grace_hours: Number($("second-factor-grace").value),
  };
  try {
    await api("PUT", "/api/v1/practice/second-factor", policy);
    render(policy);
    announce(policy.staff_second_factor_required ? "Staff must now use a second step when signing in" : "Staff may now sign in with a password alone");
    $("second-factor-status").textContent = "Saved.";
  } catch (e) {
    showError(error, message(e));
  }
}

/**
 * Single sign-on's settings (the practice's OpenID Connect provider). The
 * client secret is never sent back: the field stays empty and says
 * whether one is saved.
 * @param {{ enabled: boolean, issuer: string, client_id: string, client_secret_set: boolean, label: string, trust_provider_mfa: boolean, redirect_uri?: string } | null} s
 */
function renderSso(s) {
  const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));
  input("sso-enabled").checked = !!s?.enabled;
  input("sso-issuer").value = s?.issuer ?? "";
  input("sso-client-id").value = s?.client_id ?? "";
  input("sso-client-secret").value = "";
  input("sso-client-secret").placeholder = s?.client_secret_set ? "Saved (hidden)" : "";
  input("sso-label").value = s?.label ?? "";
  input("sso-trust-mfa").checked = !!s?.trust_provider_mfa;
  if (s?.redirect_uri) {
    $("sso-redirect-uri").textContent = s.redirect_uri;
    $("sso-redirect").hidden = false;
  }
}

async function saveSso(event) {
  event.preventDefault();
  const form = $("sso-form");
  clearErrors(form);
  showError($("sso-error"), "");
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
  const secret = /** @type {HTMLInputElement} */ ($("sso-client-secret")).value;
  const body = {
    enabled: /** @type {HTMLInputElement} */ ($("sso-enabled")).checked,
    issuer: value("sso-issuer"),
    client_id: value("sso-client-id"),
    label: value("sso-label"),
    trust_provider_mfa: /** @type {HTMLInputElement} */ ($("sso-trust-mfa")).checked,
    ...(secret ? { client_secret: secret } : {}),
  };
  try {
    const saved = await api("PUT", "/api/v1/practice/sso", body);
    renderSso(saved);
    announce(saved.enabled ? "Single sign-on is on" : "Single sign-on is off");
    $("sso-status").textContent = "Saved.";
  } catch (e) {
    showServerError(e, { issuer: "sso-issuer", client_id: "sso-client-id", client_secret: "sso-client-secret", label: "sso-label" }, $("sso-error"));
  }
}

export async function showSignInSecurity() {
  $("sign-in-security").hidden = false;
  $("sign-in-security-nav").hidden = false;
  render(await api("GET", "/api/v1/practice/second-factor"));
  $("second-factor-form").addEventListener("submit", save);
  const sso = await api("GET", "/api/v1/practice/sso").catch((e) => {
    if (e.status === 404) return null;
    throw e;
  });
  renderSso(sso);
  $("sso-form").addEventListener("submit", saveSso);
}
