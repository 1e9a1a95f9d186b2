// @ts-check
// Searching message text from the inbox (staff): a dialog opened with "/"
// or the top bar's button. The words go to the server in a request body
// (never in an address); a search runs when the person presses Enter, not
// on every keystroke, since each one is on the audit record. Results are
// the server's: only conversations the person may read, each a snippet
// with the matching words marked (built as text nodes, never as HTML).
import { ApiError, api, clear, dayAndTime, el, errorText, topicLabel } from "./common.js";

/**
 * One result (`SearchResultDto`).
 * @typedef {object} SearchResult
 * @property {string} conversation_id
 * @property {string | null} message_id
 * @property {string | null} note_id
 * @property {string} source
 * @property {{ text: string, marks: { start: number, end: number }[] }} snippet
 * @property {string} sent_at
 * @property {{ id: string, display_name: string }} patient
 * @property {string} subject
 * @property {string} topic
 */

/** What kind of text matched, in words. */
const SOURCE_WORDS = { body: "Message", subject: "Subject", note: "Internal note", amendment: "Correction" };

/** The snippet with its marked runs as <mark> elements. */
function snippetNode(snippet) {
  const node = el("span", { class: "search-snippet" });
  let at = 0;
  for (const m of snippet.marks) {
    if (m.start < at) continue;
    node.append(snippet.text.slice(at, m.start), el("mark", {}, snippet.text.slice(m.start, m.end)));
    at = m.end;
  }
  node.append(snippet.text.slice(at));
  return node;
}

/**
 * Wires the search dialog of the inbox page. `open(id)` opens a
 * conversation in the detail pane.
 * @param {(id: string) => Promise<void> | void} open
 * @returns {() => void} what opens the dialog
 */
export function setupSearch(open) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("search-dialog"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("search-form"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("search-q"));
  const list = /** @type {HTMLElement} */ (document.getElementById("search-results"));
  const status = /** @type {HTMLElement} */ (document.getElementById("search-status"));
  const more = /** @type {HTMLButtonElement} */ (document.getElementById("search-more"));
  /** @type {{ q: string, cursor: string | null }} */
  let current = { q: "", cursor: null };

  function row(/** @type {SearchResult} */ r) {
    const button = el("button", {
      type: "button", class: "search-result",
      onclick: async () => {
        dialog.close();
        await open(r.conversation_id);
      },
    },
    el("span", { class: "search-result-head" },
      el("strong", {}, r.patient.display_name), " · ", r.subject),
    el("span", { class: "search-result-meta" },
      `${SOURCE_WORDS[r.source] ?? "Message"} · ${topicLabel(r.topic)} · ${dayAndTime(r.sent_at)}`),
    snippetNode(r.snippet));
    return el("li", {}, button);
  }

  async function run(/** @type {boolean} */ next) {
    const body = { q: current.q };
    if (next && current.cursor) body.cursor = current.cursor;
    status.textContent = "Searching…";
    more.hidden = true;
    try {
      /** @type {{ results: SearchResult[], next_cursor: string | null }} */
      const page = await api("POST", "/api/v1/search", body);
      if (!next) clear(list);
      list.append(...page.results.map(row));
      current.cursor = page.next_cursor;
      more.hidden = !page.next_cursor;
      const shown = list.children.length;
      status.textContent = shown === 0
        ? "Nothing found in the conversations you can read."
        : `${shown} result${shown === 1 ? "" : "s"}${page.next_cursor ? ", more below" : ""}.`;
    } catch (e) {
      status.textContent = e instanceof ApiError && e.field === "q" ? e.message : errorText(e);
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    current = { q: input.value, cursor: null };
    run(false);
  });
  more.addEventListener("click", () => run(true));
  return () => {
    if (!dialog.open) dialog.showModal();
    input.focus();
    input.select();
  };
}
