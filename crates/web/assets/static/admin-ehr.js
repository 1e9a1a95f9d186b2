// @ts-check
// Practice setup, EHR connections (administrators): the EHR systems that
// read messages into the chart over FHIR, each a SMART Backend Services
// client with its own public keys. Shows the two addresses to give the
// EHR, the connected ones (their client ID, what they may read, when they
// last connected) with a way to disconnect each, and a form to connect one.
// Connecting and disconnecting ask the administrator to confirm it is them
// (the server's re-authentication, handled by `api`).
import { clearErrors, message, showServerError } from "./admin-hours.js";
import { $, announce, api, el, fill, showError, when } from "./common.js";

const SCOPE_WORDS = {
  "system/*.read": "everything this server offers",
  "system/Communication.read": "messages",
  "system/Binary.read": "files",
  "system/Patient.read": "patients",
  "system/Practitioner.read": "staff names",
  "system/Organization.read": "the practice",
};

/** @param {string} scopes */
function readsWhat(scopes) {
  return scopes.split(" ").map((s) => SCOPE_WORDS[s] ?? s).join(", ");
}

/**
 * @typedef {{ id: string, name: string, scopes: string, keys: number, created_at: string, revoked_at?: string, last_used_at?: string }} EhrClient
 * @param {{ clients: EhrClient[], fhir_base?: string, token_endpoint?: string }} list
 */
function render(list) {
  if (list.fhir_base && list.token_endpoint) {
    $("ehr-fhir-base").textContent = list.fhir_base;
    $("ehr-token-endpoint").textContent = list.token_endpoint;
    $("ehr-addresses").hidden = false;
  }
  const live = list.clients.filter((c) => !c.revoked_at);
  $("ehr-none").hidden = live.length > 0;
  fill($("ehr-list"), ...list.clients.map(item));
}

/** @param {EhrClient} c */
function item(c) {
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "Client ID"), el("dd", {}, el("code", {}, c.id)),
    el("dt", {}, "May read"), el("dd", {}, readsWhat(c.scopes)),
    el("dt", {}, "Keys"), el("dd", {}, String(c.keys)),
    el("dt", {}, "Last connected"), el("dd", {}, c.last_used_at ? when(c.last_used_at) : "never"));
  if (c.revoked_at) {
    return el("li", { class: "absence" }, el("div", { class: "grow" },
      el("p", { class: "item-head" }, el("strong", {}, c.name), el("span", { class: "muted" }, `Disconnected ${when(c.revoked_at)}`))));
  }
  const button = el("button", { type: "button", class: "secondary small danger" }, `Disconnect ${c.name}`);
  button.addEventListener("click", () => revoke(c, button));
  return el("li", { class: "absence" }, el("div", { class: "grow" }, el("p", { class: "item-head" }, el("strong", {}, c.name)), facts), button);
}

/** @param {EhrClient} c @param {HTMLElement} button */
async function revoke(c, button) {
  if (!window.confirm(`Disconnect ${c.name}? It stops reading messages at once.`)) return;
  showError($("ehr-list-error"), "");
  button.setAttribute("disabled", "");
  try {
    await api("POST", `/api/v1/practice/ehr-clients/${c.id}/revoke`, {});
    announce(`${c.name} is disconnected`);
    await load();
  } catch (e) {
    button.removeAttribute("disabled");
    showError($("ehr-list-error"), message(e));
  }
}

async function load() {
  render(await api("GET", "/api/v1/practice/ehr-clients"));
}

async function connect(event) {
  event.preventDefault();
  const form = $("ehr-form");
  clearErrors(form);
  showError($("ehr-error"), "");
  const scopes = [...form.querySelectorAll("#ehr-scopes input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
  if (scopes.length === 0) {
    showError($("ehr-scopes-error"), "Tick at least one thing it may read.");
    return;
  }
  const name = /** @type {HTMLInputElement} */ ($("ehr-name"));
  const jwks = /** @type {HTMLTextAreaElement} */ ($("ehr-jwks"));
  try {
    const made = await api("POST", "/api/v1/practice/ehr-clients", { name: name.value.trim(), scopes: scopes.join(" "), jwks: jwks.value });
    name.value = "";
    jwks.value = "";
    $("ehr-status").textContent = `Connected. Give your EHR its client ID: ${made.id}`;
    announce(`${made.name} is connected`);
    await load();
  } catch (e) {
    showServerError(e, { name: "ehr-name", scopes: "ehr-scopes-error", jwks: "ehr-jwks" }, $("ehr-error"));
  }
}

export async function showEhrClients() {
  $("ehr-clients").hidden = false;
  $("ehr-clients-nav").hidden = false;
  await load();
  $("ehr-form").addEventListener("submit", connect);
}
