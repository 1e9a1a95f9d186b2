// The sign-in page: sends people where they belong, patients to their
// messages and staff to the inbox.
import { api } from "./common.js";

// Practice administrators do not work patient conversations: they land in setup.
const destination = (user) => (user.kind !== "staff" ? "/app" : user.role === "practice_admin" ? "/admin" : "/inbox");

async function alreadySignedIn() {
  const res = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
  if (res && res.ok) location.replace(destination(await res.json()));
}

function showNotice() {
  const params = new URLSearchParams(location.search);
  const notice = document.getElementById("signin-notice");
  const text = params.has("timed_out")
    ? "You were signed out after a period without activity, to protect your information."
    : params.has("signed_out")
      ? "You are signed out."
      : "";
  if (text) {
    notice.textContent = text;
    notice.hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  showNotice();
  alreadySignedIn();
  const form = document.getElementById("signin-form");
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
      location.replace(destination(result.user));
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
