// @ts-check
// Practice setup, sensitive records (administrators): which roles read
// conversations marked with each sensitive category, and which topics the
// front desk and billing read (every other topic is clinical to them: they
// see its row, not its content). The rules are the server's
// (`domain::sensitivity`); this page shows the practice's choice and sends
// a new one whole. The setup page (admin.js) starts it with
// `showSensitivity`.
import { message } from "./admin-hours.js";
import { $, ROLE_WORDS, SENSITIVITY, TOPICS, announce, api, clear, el, showError } from "./common.js";

/**
 * The practice's choice (`SensitivitySettingsDto`).
 * @typedef {object} SensitivitySettings
 * @property {{ category: string, roles: string[] }[]} categories
 * @property {{ role: string, topics: string[] }[]} topics
 * @property {{ topic: string, category: string }[]} topic_marks
 * @property {string | null} updated_at
 */

/** The roles that can be granted a category (those that work conversations). */
const CATEGORY_ROLES = ["provider", "nurse", "medical_assistant", "front_desk", "billing"];
/** The roles whose reading is limited to topics. */
const TOPIC_ROLES = ["front_desk", "billing"];

/** @param {string} id */
function checkbox(id, checked, label) {
  return el("input", { type: "checkbox", id, checked, "aria-label": label });
}

/** @param {SensitivitySettings} s */
function render(s) {
  $("sensitivity-defaults").hidden = s.updated_at !== null;
  clear($("categories-head")).append(el("th", { scope: "col" }, "Category"),
    ...CATEGORY_ROLES.map((r) => el("th", { scope: "col" }, ROLE_WORDS[r] ?? r)));
  clear($("categories-body")).append(...SENSITIVITY.map(([code, label]) => {
    const roles = s.categories.find((c) => c.category === code)?.roles ?? [];
    return el("tr", {},
      el("th", { scope: "row" }, label),
      ...CATEGORY_ROLES.map((r) => el("td", {},
        checkbox(`grant-${code}-${r}`, roles.includes(r), `${label}: ${ROLE_WORDS[r] ?? r}`))));
  }));
  clear($("desk-topics-head")).append(el("th", { scope: "col" }, "Topic"),
    ...TOPIC_ROLES.map((r) => el("th", { scope: "col" }, ROLE_WORDS[r] ?? r)));
  clear($("desk-topics-body")).append(...TOPICS.map(([code, label]) => {
    return el("tr", {},
      el("th", { scope: "row" }, label),
      ...TOPIC_ROLES.map((r) => {
        const topics = s.topics.find((t) => t.role === r)?.topics ?? [];
        return el("td", {}, checkbox(`topic-${code}-${r}`, topics.includes(code), `${label}: ${ROLE_WORDS[r] ?? r}`));
      }));
  }));
  clear($("topic-marks")).append(...TOPICS.map(([code, label]) => {
    const marked = s.topic_marks.find((m) => m.topic === code)?.category ?? "";
    const select = el("select", { id: `mark-${code}` },
      el("option", { value: "" }, "Not marked"),
      ...SENSITIVITY.map(([c, words]) => el("option", { value: c }, words)));
    select.value = marked;
    return el("div", { class: "topic-mark" }, el("label", { for: `mark-${code}` }, label), select);
  }));
}

/** @param {string} id */
function ticked(id) {
  const box = /** @type {HTMLInputElement | null} */ (document.getElementById(id));
  return Boolean(box?.checked);
}

/** The category chosen for a topic, or "" for none. @param {string} code */
function markOf(code) {
  const select = /** @type {HTMLSelectElement | null} */ (document.getElementById(`mark-${code}`));
  return select?.value ?? "";
}

/** @param {SubmitEvent} e */
async function save(e) {
  e.preventDefault();
  const error = $("sensitivity-error");
  showError(error, "");
  const body = {
    categories: SENSITIVITY.map(([code]) => ({ category: code, roles: CATEGORY_ROLES.filter((r) => ticked(`grant-${code}-${r}`)) })),
    topics: TOPIC_ROLES.map((r) => ({ role: r, topics: TOPICS.map(([code]) => code).filter((code) => ticked(`topic-${code}-${r}`)) })),
    topic_marks: TOPICS.map(([code]) => ({ topic: code, category: markOf(code) })).filter((m) => m.category),
  };
  try {
    /** @type {SensitivitySettings} */
    const saved = await api("PUT", "/api/v1/practice/sensitivity", body);
    render(saved);
    $("sensitivity-status").textContent = "Saved.";
    announce("Who reads what saved");
  } catch (err) {
    showError(error, message(err));
  }
}

/** Loads the practice's choice and draws the section. */
export async function showSensitivity() {
  /** @type {SensitivitySettings} */
  const s = await api("GET", "/api/v1/practice/sensitivity");
  render(s);
  $("sensitivity-form").addEventListener("submit", save);
}
