// @ts-check
// Files in conversations, for the patient app and the staff inbox: the
// attach control of a reply box (each file uploaded at once, with its
// progress, and removable until the message goes) or of a form that starts
// a conversation (the files held until it exists, then uploaded), and a
// message's files as the thread shows them (photos by their preview, video
// and audio in a player, each with its link). An upload waits on the
// server, the uploader's own, until a message names it: removing one before
// sending only drops its id here.
import { ApiError, announce, el, fill, goToSignIn, showError, wordsList } from "./common.js";

/**
 * A file (`AttachmentDto`). Its bytes are at `/api/v1/attachments/{id}`,
 * its preview (when `has_preview`) at `/api/v1/attachments/{id}/preview`.
 * @typedef {object} Attachment
 * @property {string} id
 * @property {string} filename
 * @property {string} content_type
 * @property {"jpeg" | "png" | "heic" | "pdf" | "text" | "mp4" | "mov" | "m4a" | "aac" | "mp3" | "webm" | "ogg"} kind
 * @property {number} size
 * @property {string} sha256
 * @property {boolean} has_preview
 * @property {boolean} location_removed
 * @property {boolean} metadata_removed
 * @property {string} uploaded_at
 * @property {string | null} filed_at
 */

/**
 * One of a patient's documents (`DocumentDto`): a file and where it was sent.
 * @typedef {Attachment & { conversation_id: string, message_id: string | null }} PatientDocument
 */

/**
 * What the file picker offers. `image/*` lets an iPhone hand over a camera
 * photo as JPEG; `.heic` and `.heif` let through those it keeps as they are.
 */
export const ACCEPT = "image/*,application/pdf,text/plain,video/mp4,video/quicktime,audio/*,.heic,.heif";

/** The most files one message may carry (`MessageRequest.attachment_ids`). */
export const MAX_FILES = 20;

export const LOCATION_REMOVED = "Location information was removed from this photo before it was sent.";

const KIND_WORDS = {
  jpeg: "Photo (JPEG)", png: "Picture (PNG)", heic: "Photo (HEIC)", pdf: "PDF document", text: "Text file",
  mp4: "Video (MP4)", mov: "Video (MOV)", m4a: "Audio (M4A)", aac: "Audio (AAC)", mp3: "Audio (MP3)",
  webm: "Audio (WebM)", ogg: "Audio (Ogg)",
};

/** A file's kind in words: "PDF document". @param {string} kind */
export function kindLabel(kind) {
  return KIND_WORDS[kind] ?? "File";
}

/** "850 bytes", "12 KB", "3.4 MB". @param {number} bytes */
export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb < 10 ? kb.toFixed(1) : Math.round(kb)} KB`;
  const mb = kb / 1024;
  return `${mb < 10 && !Number.isInteger(mb) ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** Where a file's bytes are. @param {string} id */
export function fileUrl(id) {
  return `/api/v1/attachments/${encodeURIComponent(id)}`;
}

/** The kinds a browser shows by itself (the server sends them inline); the rest download. */
const INLINE = ["jpeg", "png", "pdf"];

/**
 * Uploads one file to a conversation. XMLHttpRequest rather than `fetch`,
 * for its upload progress; it goes with the session cookie and the
 * browser's own Origin and Sec-Fetch-Site headers, as `api` does. Refusals
 * are `ApiError`s with the server's words.
 * @param {string} conversationId
 * @param {File} file
 * @param {(fraction: number) => void} onProgress
 * @returns {{ done: Promise<Attachment>, abort: () => void }}
 */
export function upload(conversationId, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments`);
    xhr.setRequestHeader("accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const data = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && data) {
        resolve(data);
        return;
      }
      if (xhr.status === 401) {
        goToSignIn("signed_out");
        reject(new ApiError(401, "unauthenticated", "Please sign in again."));
        return;
      }
      const e = (data && data.error) || {};
      reject(new ApiError(xhr.status, e.code || "error", e.message || "Something went wrong. Please try again.", e.field, data));
    });
    // The server answers a file over the limit as soon as it is over, and
    // stops reading; a browser may report that as a lost connection.
    xhr.addEventListener("error", () => reject(new ApiError(0, "offline",
      "It could not be uploaded: the connection was lost, or the file is too large. Check your connection and try again.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "Upload stopped.")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * A file that did not go with a message, and why (the server's words).
 * @typedef {{ name: string, reason: string }} Failed
 */

/**
 * The attach control of a reply box: a button that opens the file picker
 * (several files at once), and the files chosen, each uploading at once
 * with its progress, then ready to send, each with a Remove button.
 * Without a `conversationId` (a form that starts the conversation), the
 * files are held here, checked against the limits, until `uploadTo` sends
 * them to the conversation once it exists.
 * Refusals go in `errors` (a `role="alert"` box) naming the file; what is
 * typed in the box is never touched.
 * @param {{ conversationId?: string | null, errors: HTMLElement, id: string, label: string, photoNotes?: boolean,
 *   maxBytes?: number, messageMaxBytes?: number }} options
 *   `photoNotes`: tell the sender when location data was removed from a photo.
 *   `maxBytes`, `messageMaxBytes`: the practice's limits (`Practice`); a file
 *   over them is refused here, before a byte is sent (the server holds to
 *   them too).
 */
export function attachControl({ conversationId = null, errors, id, label, photoNotes = false, maxBytes = Infinity, messageMaxBytes = Infinity }) {
  const input = el("input", { type: "file", id: `${id}-input`, multiple: true, accept: ACCEPT, hidden: true, tabindex: -1 });
  const button = el("button", { type: "button", id: `${id}-button`, class: "secondary small attach-button", "aria-controls": `${id}-files` },
    el("span", { class: "attach-icon", "aria-hidden": "true" }, "+"), label);
  const list = el("ul", { id: `${id}-files`, class: "pending-files", "aria-label": "Files to send", hidden: true });
  /**
   * `start` uploads the file (once); held files have not started yet.
   * @typedef {{ file: File, row: HTMLLIElement, done: Attachment | null, abort: () => void,
   *   start: (to: string) => Promise<Attachment>, started: boolean }} Pending
   * @type {Pending[]}
   */
  let pending = [];
  // Files refused for the same reason are named together: the reason once.
  /** @type {Map<string, string[]>} */
  let refusals = new Map();

  const redraw = () => {
    list.hidden = pending.length === 0;
  };
  const refuse = (/** @type {string} */ reason, /** @type {string[]} */ names) => {
    refusals.set(reason, [...(refusals.get(reason) ?? []), ...names]);
    showError(errors, [...refusals].map(([why, who]) => (who.length
      ? `${wordsList(who.map((n) => `“${n}”`))} ${who.length === 1 ? "was" : "were"} not attached. ${why}`
      : why)).join(" "));
  };
  const remove = (/** @type {Pending} */ p, /** @type {boolean} */ byHand) => {
    pending = pending.filter((x) => x !== p);
    if (!p.done) p.abort();
    p.row.remove();
    redraw();
    if (byHand) {
      announce(`${p.file.name} removed.`);
      button.focus();
    }
  };

  const add = (/** @type {File} */ file) => {
    if (file.size > maxBytes) {
      refuse(`The file is larger than ${sizeText(maxBytes)}, the most one file may be.`, [file.name]);
      return;
    }
    const total = pending.reduce((sum, p) => sum + p.file.size, 0) + file.size;
    if (total > messageMaxBytes) {
      refuse(`Together with the files already attached it would come to more than ${sizeText(messageMaxBytes)}, the most one message may carry. Send these first, then attach it to another message.`, [file.name]);
      return;
    }
    const progress = el("progress", { max: 100, value: 0, "aria-label": `Uploading ${file.name}`, hidden: !conversationId });
    const status = el("span", { class: "file-state" }, conversationId ? "Uploading…" : "Sends with your message");
    const row = el("li", { class: conversationId ? "pending-file uploading" : "pending-file held" },
      el("span", { class: "file-line" },
        el("span", { class: "file-name" }, file.name),
        el("span", { class: "file-size" }, sizeText(file.size))),
      el("span", { class: "file-line" }, progress, status));
    /** @type {Pending} */
    const p = { file, row, done: null, abort: () => {}, start: () => Promise.reject(new Error("started")), started: false };
    row.append(el("button", { type: "button", class: "link remove-file", "aria-label": `Remove ${file.name}`, onclick: () => remove(p, true) }, "Remove"));
    p.start = (to) => {
      p.started = true;
      row.classList.replace("held", "uploading");
      progress.hidden = false;
      status.textContent = "Uploading…";
      const job = upload(to, file, (f) => {
        progress.value = Math.round(f * 100);
        status.textContent = f >= 1 ? "Checking…" : `Uploading… ${Math.round(f * 100)}%`;
      });
      p.abort = job.abort;
      return job.done.then((a) => {
        p.done = a;
        row.classList.remove("uploading");
        row.classList.add("ready");
        progress.value = 100;
        progress.setAttribute("aria-label", `${file.name} uploaded`);
        status.textContent = conversationId ? "Ready to send" : "Uploaded";
        if (photoNotes && a.location_removed) row.append(el("p", { class: "location-note" }, LOCATION_REMOVED));
        return a;
      });
    };
    pending.push(p);
    list.append(row);
    redraw();
    if (!conversationId) return;
    p.start(conversationId).then((a) => {
      if (!pending.includes(p)) return;
      announce(`${file.name} is ready to send.${photoNotes && a.location_removed ? ` ${LOCATION_REMOVED}` : ""}`);
    }, (e) => {
      if (!pending.includes(p)) return;
      remove(p, false);
      refuse(e instanceof ApiError ? e.message : "Something went wrong. Please try again.", [file.name]);
    });
  };

  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    // The same file may be chosen again after a removal.
    input.value = "";
    refusals = new Map();
    showError(errors, "");
    const room = MAX_FILES - pending.length;
    for (const file of files.slice(0, Math.max(0, room))) add(file);
    if (files.length > room) {
      refuse(`A message can carry at most ${MAX_FILES} files: ${files.length - Math.max(0, room)} were left out. Send these, then attach the rest in another message.`, []);
    }
  });
  button.addEventListener("click", () => input.click());

  return {
    node: el("div", { class: "attach" }, input, button, list),
    button,
    /** The uploaded files' ids, to send with the message. */
    ids: () => pending.filter((p) => p.done).map((p) => /** @type {Attachment} */ (p.done).id),
    /** The names of the files uploaded. */
    uploadedNames: () => pending.filter((p) => p.done).map((p) => p.file.name),
    /** Files chosen and not removed, uploaded or not. */
    count: () => pending.length,
    /** Whether a file is still uploading (held files are not). */
    busy: () => pending.some((p) => p.started && !p.done),
    /**
     * Held files (no `conversationId`): uploads each in turn to the
     * conversation just started, its progress in its row, and answers the
     * ids uploaded and the files refused or lost on the way. Nothing can be
     * added or removed meanwhile.
     * @param {string} to the conversation's id
     * @returns {Promise<{ ids: string[], failed: Failed[] }>}
     */
    uploadTo: async (to) => {
      button.disabled = true;
      for (const b of list.querySelectorAll("button")) /** @type {HTMLButtonElement} */ (b).disabled = true;
      /** @type {Failed[]} */
      const failed = [];
      try {
        for (const p of [...pending]) {
          if (p.started) continue;
          try {
            await p.start(to);
          } catch (e) {
            failed.push({ name: p.file.name, reason: e instanceof ApiError ? e.message : "Something went wrong. Please try again." });
            p.row.classList.replace("uploading", "failed");
            const state = p.row.querySelector(".file-state");
            if (state) state.textContent = "Not sent";
          }
        }
      } finally {
        button.disabled = false;
      }
      return { ids: pending.filter((p) => p.done).map((p) => /** @type {Attachment} */ (p.done).id), failed };
    },
    /** After sending: the list empties. */
    reset: () => {
      pending = [];
      refusals = new Map();
      fill(list);
      redraw();
    },
  };
}

/**
 * Files that did not go, each named, the reason once for files refused alike:
 * "“a.html” was not sent. This kind of file cannot be sent. …"
 * @param {Failed[]} failed
 */
export function failedText(failed) {
  /** @type {Map<string, string[]>} */
  const byReason = new Map();
  for (const f of failed) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.name]);
  return [...byReason].map(([why, who]) =>
    `${wordsList(who.map((n) => `“${n}”`))} ${who.length === 1 ? "was" : "were"} not sent. ${why}`).join(" ");
}

// A thread is drawn again on every live event: each preview keeps its
// <img>, and each player its element, so neither is fetched again, flickers
// or stops playing.
/** @type {Map<string, HTMLImageElement>} */
const previews = new Map();
/** @type {Map<string, HTMLMediaElement>} */
const players = new Map();

const VIDEO = ["mp4", "mov"];
const AUDIO = ["m4a", "aac", "mp3", "webm", "ogg"];

/**
 * A player for a video or a recording. The file is served as a download
 * (`Content-Disposition: attachment`), which media elements ignore. A
 * video fetches only its first frames' worth to show its size and length;
 * audio nothing until played. One the browser cannot play (a MOV's codec,
 * say) hides itself: the link beneath it stays.
 * @param {Attachment} a
 */
function player(a) {
  let media = players.get(a.id);
  if (!media) {
    const video = VIDEO.includes(a.kind);
    media = video
      ? el("video", { controls: true, preload: "metadata", playsinline: true, src: fileUrl(a.id), "aria-label": `Video: ${a.filename}` })
      : el("audio", { controls: true, preload: "none", src: fileUrl(a.id), "aria-label": `Recording: ${a.filename}` });
    const m = media;
    m.addEventListener("error", () => m.closest(".attachment-item")?.classList.add("unplayable"));
    players.set(a.id, media);
  }
  return media;
}

function previewImage(/** @type {Attachment} */ a) {
  let img = previews.get(a.id);
  if (!img) {
    img = el("img", { src: `${fileUrl(a.id)}/preview`, alt: `Photo: ${a.filename}`, decoding: "async" });
    previews.set(a.id, img);
  }
  return img;
}

/**
 * A message's files: photos as their preview, opening the whole photo;
 * video and audio in a player, their link beneath; other files as a link
 * with name, kind and size. `extra` adds to each
 * (staff: filing to the chart); `photoNotes` says on the sender's own
 * photos that their location was removed.
 * @param {Attachment[]} files
 * @param {{ extra?: (a: Attachment) => any, photoNotes?: boolean }} [options]
 */
export function attachmentList(files, { extra, photoNotes = false } = {}) {
  if (!files || files.length === 0) return null;
  return el("ul", { class: "attachments", "aria-label": files.length === 1 ? "Attached file" : `${files.length} attached files` },
    files.map((a) => {
      const about = `${kindLabel(a.kind)} · ${sizeText(a.size)}`;
      const inline = INLINE.includes(a.kind);
      const link = a.has_preview
        ? el("a", { class: "attachment photo", href: fileUrl(a.id), target: "_blank", rel: "noopener" },
          previewImage(a),
          el("span", { class: "attachment-caption" }, el("span", { class: "file-name" }, a.filename), el("span", { class: "file-about" }, about)))
        : el("a", { class: "attachment file", href: fileUrl(a.id), target: inline ? "_blank" : undefined, rel: inline ? "noopener" : undefined,
          download: inline ? undefined : a.filename },
          el("span", { class: "file-badge", "aria-hidden": "true" }, a.kind.toUpperCase()),
          el("span", { class: "attachment-caption" }, el("span", { class: "file-name" }, a.filename), el("span", { class: "file-about" }, about)));
      const playable = VIDEO.includes(a.kind) || AUDIO.includes(a.kind);
      return el("li", { class: playable && players.get(a.id)?.error ? "attachment-item unplayable" : "attachment-item" },
        playable ? el("div", { class: VIDEO.includes(a.kind) ? "attachment-player video" : "attachment-player audio" }, player(a)) : null,
        link,
        photoNotes && a.location_removed ? el("p", { class: "location-note" }, LOCATION_REMOVED) : null,
        extra ? extra(a) : null);
    }));
}
