// @ts-check
// Practice setup, sign-in security (administrators): whether staff must use
// a second step (an authenticator app) when signing in, and how long staff
// without one may still sign in to set it up. While it is off, the section
// says so plainly (the demo practice turns it off so that its printed
// logins work with a password alone). Saving asks the administrator to
// confirm it is them (the server's re-authentication, handled by `api`).
import { message } from "./admin-hours.js";
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

export async function showSignInSecurity() {
  $("sign-in-security").hidden = false;
  $("sign-in-security-nav").hidden = false;
  render(await api("GET", "/api/v1/practice/second-factor"));
  $("second-factor-form").addEventListener("submit", save);
}
