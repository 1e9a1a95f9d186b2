// @ts-check
// The staff inbox's "To file" view: the documents patients sent (photos,
// PDFs and text files) that wait to be filed to the chart, oldest first,
// for the members of the practice's documents pool and its administrators.
// Each shows the patient, the file (a photo by its preview), when it came,
// the conversation it came in, and a button that files it.
import { el, fullWhen, when } from "./common.js";
import { attachmentList } from "./attachments.js";

/**
 * A document still to file (`DocumentToFileDto`).
 * @typedef {import("./attachments.js").PatientDocument & { patient_id: string, patient_name: string, subject: string }} DocumentToFile
 */

/** The empty queue's words. */
export const NOTHING_TO_FILE = "Nothing to file. Every document patients sent is in the chart.";

/**
 * The queue as list items.
 * @param {DocumentToFile[]} docs
 * @param {{ conversationHref: (id: string) => string, onFile: (d: DocumentToFile, button: HTMLButtonElement) => void }} how
 */
export function toFileItems(docs, { conversationHref, onFile }) {
  return docs.map((d) => el("li", { class: "to-file", dataset: { id: d.id } },
    el("p", { class: "to-file-who" },
      el("span", { class: "patient" }, d.patient_name), " · ",
      el("a", { href: conversationHref(d.conversation_id) }, d.subject)),
    attachmentList([d]),
    el("p", { class: "file-about" }, "Sent ",
      el("time", { datetime: d.uploaded_at, title: fullWhen(d.uploaded_at) }, when(d.uploaded_at))),
    el("button", { type: "button", class: "secondary small file-to-chart",
      onclick: (/** @type {MouseEvent} */ e) => onFile(d, /** @type {HTMLButtonElement} */ (e.currentTarget)) },
    "File to chart", el("span", { class: "visually-hidden" }, `: ${d.filename}`))));
}
