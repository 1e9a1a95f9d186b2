// @ts-check
// The staff inbox: views with live counts, a list sorted by what needs
// attention with a preview of each conversation, the conversation with the
// patient's context and internal notes, who was paged about it, starting a
// conversation with a patient, sending one as a secure link, corrections,
// printing, and keyboard shortcuts for working through the queue. On a
// phone it is one column with a way back.
import {
  $, ApiError, MEDIUM_WORDS, NO_CONVERSATIONS, TOPICS, announce, api, age, clear, counter, dayAndTime, el, fill, fullWhen, live,
  responseState, errorText, showError, throttle, topicLabel, when, startStaffPage, SENSITIVITY, sensitivityLabel, WITHHELD_TEXT,
} from "./common.js";
import { attachControl, attachmentList, failedText, fileUrl, kindLabel, sizeText } from "./attachments.js";
import { setupSearch } from "./inbox-search.js";
import { NOTHING_TO_FILE, toFileItems } from "./to-file.js";

const VIEWS = [
  ["needs_response", "Needs response"],
  ["awaiting_patient", "Awaiting patient"],
  ["unread", "Unread"],
  ["assigned_to_me", "Assigned to me"],
  ["my_team", "My team"],
  ["urgent", "Urgent"],
  ["escalated_to_me", "Escalated to me"],
  ["closed", "Closed"],
];

/** The documents to file: a view for the documents pool and administrators (the counts say whose). */
const TO_FILE = ["to_file", "To file"];

/** The views this person has: the inbox's, and "To file" when the counts carry it. */
function views() {
  return state.counts.to_file == null ? VIEWS : [...VIEWS, TO_FILE];
}

const HISTORY_TEXT = {
  routed: "Routed",
  assigned: "Assigned",
  auto_assigned: "Assigned automatically",
  kept: "Kept by its author",
  reassigned: "Reassigned",
  timed_out: "Not picked up in time; offered to the next member",
  cover_started: "Moved to the cover",
  cover_ended: "Back from cover",
  escalated: "Escalated",
  returned: "Returned from escalation",
  closed_unanswered: "Closed with no staff reply",
  overdue_to_lead: "Overdue: handed to the pool's lead",
  deactivated: "Handed on: the assignee's account was deactivated",
};

const ALERT_TEXT = {
  urgent_message: "Possible emergency",
  escalated: "Escalated to you",
  response_due_soon: "Reply due soon",
  response_overdue: "Reply overdue",
  reply_unread: "Reply not read by the patient: consider following up another way",
};

/** Alerts shown before "Show all": more would push the inbox off a phone's screen. */
const ALERTS_SHOWN = 3;

/** A rating's words: 1 (poor) to 5 (excellent). */
const SCORE_WORDS = ["", "poor", "fair", "good", "very good", "excellent"];

const TIME_ONLY = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const SHORT_DAY_TIME = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });

/** "2:00 PM" today, "Tue 2:00 PM" on another day. */
function dueClock(iso) {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? TIME_ONLY.format(d) : SHORT_DAY_TIME.format(d);
}

/** The badge on a list row: when a reply is due, and whether it is late. Text, not colour alone. */
function dueTag(response) {
  const now = responseState(response);
  const at = dueClock(response.due_at);
  const text = now === "overdue" ? `Overdue · was due ${at}` : now === "due_soon" ? `Due soon · ${at}` : `Due ${at}`;
  return el("span", { class: `tag due ${now}`, title: `Reply due ${fullWhen(response.due_at)}` }, text);
}

const REPLY_DATE_TIME = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

/** When a staff reply was sent: "Tue 10:12 AM" within the week, "Tue, Mar 3, 10:12 AM" before. */
function replyTime(iso) {
  const d = new Date(iso);
  return Date.now() - d.getTime() < 6 * 86400000 ? SHORT_DAY_TIME.format(d) : REPLY_DATE_TIME.format(d);
}

/** The follow-up flag on a list row: a reply the patient has not read in time. */
function unreadReplyTag(u) {
  return el("span", { class: "tag unread-reply", title: `Sent ${fullWhen(u.sent_at)}; not read by the patient` }, "Reply not read");
}

/** "Patient has not read your reply of Tue 10:12 AM", naming who sent it when it was someone else. */
function unreadReplyWords(c) {
  const u = c.unread_reply;
  const m = c.messages?.find((x) => x.sent_at === u.sent_at && x.sender.kind === "staff");
  const at = replyTime(u.sent_at);
  return !m || m.sender.id === state.me.id
    ? `Patient has not read your reply of ${at}`
    : `Patient has not read the reply of ${at} from ${m.sender.display_name}`;
}

/** The same, in words, for the open conversation. */
function dueWords(response) {
  const now = responseState(response);
  const at = dayAndTime(response.due_at);
  return now === "overdue" ? `Reply overdue: was due ${at}`
    : now === "due_soon" ? `Reply due soon: by ${at}` : `Reply due by ${at}`;
}

const STATUS_TEXT = {
  needs_staff_response: "Needs response",
  awaiting_patient: "Awaiting patient",
  closed: "Closed",
};

/** @typedef {import("./common.js").Conversation} Conversation */
/** @typedef {import("./common.js").ConversationSummary} ConversationSummary */
/** @typedef {import("./common.js").Me} Me */
/** @typedef {import("./common.js").Practice} Practice */
/** @typedef {import("./common.js").StaffMember} StaffMember */
/** @typedef {import("./attachments.js").Attachment} Attachment */
/** @typedef {import("./attachments.js").PatientDocument} PatientDocument */

/**
 * A staff member's alert (`AlertDto`): the patient and subject only for
 * those who may open the conversation.
 * @typedef {object} Alert
 * @property {string} id
 * @property {string} conversation_id
 * @property {string} kind
 * @property {string} created_at
 * @property {{ id: string, display_name: string }} [patient]
 * @property {string} [subject]
 */

/**
 * Someone paged (`PagedPersonDto`); none for the practice's fallback number.
 * @typedef {{ id: string, display_name: string }} PagedPerson
 */

/**
 * One page about an urgent conversation (`PageDto`): whom, when, by which
 * media and how far each got, and who acknowledged it.
 * @typedef {object} Page
 * @property {number} step
 * @property {PagedPerson | null} paged
 * @property {string} paged_at
 * @property {string | null} acknowledged_at
 * @property {PagedPerson | null} acknowledged_by
 * @property {{ medium: "email" | "sms" | "push", state: string, reason: string | null }[]} channels
 */

/**
 * What became of a secure link (`SecureLinkStatusDto`).
 * @typedef {object} SecureLinkStatus
 * @property {string} id
 * @property {"email" | "sms"} medium
 * @property {"queued" | "sent" | "delivered" | "failed" | "opted_out"} state
 * @property {string | null} reason
 * @property {string | null} sent_at
 * @property {string} expires_at
 * @property {string | null} opened_at
 * @property {string | null} used_at
 */

const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {Practice | null} */
  practice: null,
  /** @type {StaffMember[]} */
  staff: [],
  view: "needs_response",
  /** @type {ConversationSummary[]} */
  rows: [],
  selected: -1,
  /** @type {string | null} */
  open: null,
  /** @type {Conversation | null} */
  conversation: null,
  /** The number in each view (`InboxCountsDto`; `to_file` null for those who do not file). @type {Record<string, number | null>} */
  counts: {},
  /** @type {number | undefined} */
  typingTimer: null,
  /** @type {Alert[]} */
  alerts: [],
  /** @type {{ id: string, name: string }[]} */
  pools: [],
  // The history stays open across refreshes once opened.
  historyOpen: false,
  // So do the patient's documents, from one conversation to the next.
  documentsOpen: false,
  /** The open conversation's pages, once it has any. @type {Page[]} */
  pages: [],
  /** The secure link last sent from this page, while its result is followed. @type {number} */
  secureWatch: 0,
};

// ---- Views and counts ----------------------------------------------------

function renderViews() {
  clear($("views")).append(...views().map(([code, label], i) => {
    const n = state.counts[code];
    const what = code === "to_file" ? "documents" : "conversations";
    return el("li", {},
      el("button", {
        type: "button",
        class: `view${code === state.view ? " active" : ""}${code === "urgent" && n > 0 ? " alert" : ""}`,
        "aria-current": code === state.view ? "page" : false,
        "aria-keyshortcuts": String(i + 1),
        onclick: () => setView(code),
      },
      el("span", {}, label),
      el("span", { class: "count", "aria-label": `${n ?? 0} ${what}` }, n == null ? "" : String(n))));
  }));
}

async function loadCounts() {
  state.counts = await api("GET", "/api/v1/inbox/counts");
  renderViews();
}

function setView(code, openId) {
  state.view = code;
  state.selected = -1;
  location.hash = openId ? `#/${code}/c/${openId}` : `#/${code}`;
}

// ---- The list ------------------------------------------------------------

/**
 * A row whose content the caller's role does not read (a clinical topic for
 * the front desk or billing, a sensitive category not granted): the routing
 * metadata, never a subject or preview, and nothing to open.
 */
function withheldRowNode(c) {
  const urgent = c.priority === "urgent";
  return el("li", {},
    el("div", { class: `row withheld${urgent ? " urgent" : ""}`, dataset: { id: c.id } },
      el("span", { class: "row-top" },
        el("span", { class: "patient" }, c.patient.display_name),
        urgent ? el("span", { class: "tag urgent" }, "Urgent") : null,
        c.response && c.status !== "closed" ? dueTag(c.response) : null,
        el("time", { class: "age", datetime: c.last_activity_at, title: fullWhen(c.last_activity_at) }, age(c.last_activity_at))),
      el("span", { class: "row-withheld" }, WITHHELD_TEXT),
      el("span", { class: "row-meta" }, `${topicLabel(c.topic)} · ${STATUS_TEXT[c.status] ?? c.status} · ${holder(c)}`)));
}

function rowNode(c, index) {
  if (c.content_withheld) return withheldRowNode(c);
  const unread = c.unread_count > 0 || c.marked_unread;
  const urgent = c.priority === "urgent";
  const classes = ["row", unread && "unread", urgent && "urgent", c.id === state.open && "open", index === state.selected && "selected"]
    .filter(Boolean).join(" ");
  return el("li", {},
    el("button", { type: "button", class: classes, dataset: { id: c.id }, "aria-current": c.id === state.open ? "true" : false, onclick: () => openConversation(c.id) },
      el("span", { class: "row-top" },
        unread ? el("span", { class: "dot", "aria-hidden": "true" }) : null,
        unread ? el("span", { class: "visually-hidden" }, c.unread_count > 0 ? `Unread (${c.unread_count}): ` : "Marked unread: ") : null,
        el("span", { class: "patient" }, c.patient.display_name),
        urgent ? el("span", { class: "tag urgent" }, "Urgent") : null,
        c.response && c.status !== "closed" ? dueTag(c.response) : null,
        c.unread_reply ? unreadReplyTag(c.unread_reply) : null,
        c.sensitivity ? el("span", { class: "tag sensitive", title: "Marked sensitive" }, sensitivityLabel(c.sensitivity)) : null,
        el("time", { class: "age", datetime: c.last_activity_at, title: fullWhen(c.last_activity_at) }, age(c.last_activity_at))),
      el("span", { class: "row-subject" }, c.subject),
      c.preview ? el("span", { class: "row-preview" }, PREVIEW_WHO[c.preview.from] ?? "", c.preview.text) : null,
      el("span", { class: "row-meta" }, `${topicLabel(c.topic)} · ${holder(c)}`,
        c.escalated_to ? el("span", { class: "tag escalated" }, `Escalated to ${c.escalated_to.display_name}`) : null)));
}

/** Who wrote the newest message, before its preview. */
const PREVIEW_WHO = { patient: "", staff: "Staff: " };

/** Who holds it: the assignee, else the owner it waits with. */
function holder(c) {
  if (c.assignee) return c.assignee.display_name;
  if (c.routing?.owner_name) return `Waiting: ${c.routing.owner_name}`;
  return "Unassigned";
}

function renderRows() {
  if (state.view === "to_file") return;
  const list = $("rows");
  clear(list).append(...state.rows.map(rowNode));
  $("list-empty").textContent = "Nothing here. Well done.";
  $("list-empty").hidden = state.rows.length > 0;
  const label = VIEWS.find(([code]) => code === state.view)?.[1] ?? "Inbox";
  $("list-title").textContent = label;
}

async function loadRows() {
  if (state.view === "to_file") {
    await loadToFile();
    return;
  }
  const sort = state.view === "closed" ? "recent" : "attention";
  const data = await api("GET", `/api/v1/conversations?view=${state.view}&sort=${sort}&limit=200`);
  state.rows = data.conversations;
  if (state.selected >= state.rows.length) state.selected = state.rows.length - 1;
  renderRows();
}

function moveSelection(delta) {
  if (state.rows.length === 0) return;
  state.selected = Math.max(0, Math.min(state.rows.length - 1, state.selected + delta));
  renderRows();
  const button = $("rows").children[state.selected]?.querySelector("button");
  button?.focus();
}

// ---- One conversation ----------------------------------------------------

function timeline(c) {
  const items = c.messages.map((m) => ({ at: m.sent_at, kind: "message", m }));
  for (const n of c.notes ?? []) items.push({ at: n.created_at, kind: "note", n });
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return items.map((item) => {
    if (item.kind === "note") {
      const n = item.n;
      return el("li", { class: "note" },
        el("span", { class: "who" }, `Internal note · ${n.author.display_name}`),
        el("p", { class: "text" }, n.body),
        el("span", { class: "note-flag" }, "Not visible to the patient"),
        messageTime(n.created_at));
    }
    const m = item.m;
    if (m.sender.kind === "system") {
      return el("li", { class: c.priority === "urgent" ? "bubble theirs system" : "bubble theirs system auto" },
        el("span", { class: "who" }, m.sender.display_name),
        el("p", { class: "text" }, m.body),
        el("span", { class: "bubble-foot" }, messageTime(m.sent_at)));
    }
    const fromPatient = m.sender.kind === "patient";
    const patientRead = m.read_by.filter((r) => r.reader.kind === "patient");
    const staffRead = m.read_by.filter((r) => r.reader.kind === "staff");
    let receipt = null;
    if (!fromPatient) {
      receipt = patientRead.length
        ? el("span", { class: "read" }, `Read by ${patientRead[0].reader.display_name} at ${when(patientRead[0].read_at)}`)
        : el("span", { class: "unread-by" }, "Not read yet");
    } else if (staffRead.length) {
      receipt = el("span", { class: "read" }, `Read by ${staffRead[0].reader.display_name}`);
    }
    const own = m.sender.id === state.me.id;
    return el("li", { class: fromPatient ? "bubble theirs" : "bubble mine", dataset: { id: m.id } },
      el("span", { class: "who" }, m.sender.display_name),
      m.on_behalf ? el("span", { class: "on-behalf" }, m.on_behalf.line) : null,
      m.body ? el("p", { class: "text" }, m.body) : null,
      attachmentList(m.attachments, { extra: fromPatient ? filingState : undefined }),
      m.amendments.length ? el("p", { class: "amended-note" }, "Corrected below; the original is kept as written.") : null,
      m.amendments.map((a) => el("p", { class: "amendment" },
        el("strong", {}, `Correction by ${a.author.display_name}`), ` (${when(a.created_at)}): `, a.body)),
      el("span", { class: "bubble-foot" },
        messageTime(m.sent_at),
        receipt,
        own ? el("button", { type: "button", class: "link amend", onclick: () => openAmend(m) }, "Correct") : null));
  });
}

/**
 * A minor old enough to keep conversations from their caregivers: whether
 * this one is shared, and (for clinical roles) the way to change it.
 */
function caregiverSharing(c) {
  const s = c.caregivers;
  if (!s || !s.confidential_minor) return null;
  // Emergency access reads and answers; sharing stays with the care team.
  const clinical = !c.emergency_access_id && ["provider", "nurse", "medical_assistant"].includes(state.me.role ?? "");
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  return el("p", { class: "notice caregiver-sharing" },
    s.shared
      ? "Minor patient: this conversation is shared with their caregivers (such as a parent). "
      : "Minor patient: confidential. Their caregivers (such as a parent) do not see this conversation. ",
    clinical
      ? el("button", {
        type: "button", class: "link",
        onclick: async () => {
          try {
            await api("PUT", `/api/v1/conversations/${c.id}/sharing`, { shared: !s.shared });
            await refreshAll();
          } catch (e) {
            showError(errors, errorText(e));
          }
        },
      }, s.shared ? "Stop sharing with caregivers" : "Share with caregivers")
      : null,
    errors);
}

/** When a message was sent: short on screen, the full date and time on paper. */
function messageTime(iso) {
  return el("time", { datetime: iso, title: fullWhen(iso) },
    el("span", { class: "screen-only" }, when(iso)), el("span", { class: "print-only" }, fullWhen(iso)));
}

/** An inline form under one of my messages to append a correction (the original stays). */
function openAmend(m) {
  const item = document.querySelector(`#timeline li[data-id="${m.id}"]`);
  if (!item || item.querySelector(".amend-form")) return;
  const id = `amend-${m.id}`;
  const box = el("textarea", { id, rows: 3 });
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { class: "amend-form", novalidate: true },
    el("label", { for: id }, "Correction (the patient sees it with your message)"), box,
    el("div", { class: "form-foot" },
      el("button", { type: "button", class: "secondary small", onclick: () => form.remove() }, "Cancel"),
      el("button", { type: "submit", class: "primary small" }, "Add correction")),
    errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!box.value.trim()) return;
    try {
      await api("POST", `/api/v1/conversations/${state.open}/messages/${m.id}/amendments`, { body: box.value });
      announce("Correction added.");
      form.remove();
      await refreshOpen();
    } catch (e) {
      errors.textContent = e instanceof ApiError ? e.message : "Something went wrong.";
      errors.hidden = false;
    }
  });
  item.append(form);
  box.focus();
}

// ---- Files: filing to the chart, the patient's documents --------------------

/** A file's place in the chart: filed (when), or a button to file it. @param {Attachment} a */
function filingState(a) {
  if (a.filed_at) {
    return el("p", { class: "filed" },
      el("span", { "aria-hidden": "true" }, "✓ "), "Filed to chart ",
      el("time", { datetime: a.filed_at, title: fullWhen(a.filed_at) }, when(a.filed_at)));
  }
  return el("button", { type: "button", class: "secondary small file-to-chart", "aria-label": `File ${a.filename} to chart`,
    onclick: (/** @type {MouseEvent} */ e) => fileToChart(a, /** @type {HTMLButtonElement} */ (e.currentTarget)) }, "File to chart");
}

/**
 * Files one to the chart from wherever it is shown; a file filed already
 * (by a colleague) is said so, and the refresh shows how it stands. Then
 * the open conversation (and its documents, when open), the queue and its
 * count are loaded again.
 * @param {{ id: string, filename: string }} a
 * @param {HTMLButtonElement} button
 */
async function fileToChart(a, button) {
  button.disabled = true;
  try {
    await api("POST", `${fileUrl(a.id)}/filing`);
    announce(`${a.filename} filed to the chart.`);
  } catch (e) {
    announce(errorText(e));
  }
  const queue = state.counts.to_file != null ? Promise.all([loadRows(), loadCounts()]) : Promise.resolve();
  const open = state.conversation ? refreshOpen() : Promise.resolve();
  await Promise.all([queue.catch(() => {}), open.catch(() => {})]);
}

/** The "To file" view: the documents patients sent that wait to be filed, oldest first. */
async function loadToFile() {
  state.rows = [];
  state.selected = -1;
  $("list-title").textContent = TO_FILE[1];
  /** @type {import("./to-file.js").DocumentToFile[]} */
  const docs = await api("GET", "/api/v1/documents/to-file");
  if (state.view !== "to_file") return;
  clear($("rows")).append(...toFileItems(docs, {
    conversationHref: (id) => `#/to_file/c/${id}`,
    onFile: (d, button) => fileToChart(d, button),
  }));
  $("list-empty").textContent = NOTHING_TO_FILE;
  $("list-empty").hidden = docs.length > 0;
}

/** The patient's documents: every file in the conversations I may see, loaded when opened. */
function documentsPanel() {
  return el("details", { id: "documents", class: "documents", open: state.documentsOpen,
    ontoggle: (/** @type {Event} */ e) => {
      state.documentsOpen = /** @type {HTMLDetailsElement} */ (e.target).open;
      if (state.documentsOpen) loadDocuments().catch((err) => fill($("documents-list"), el("p", { class: "error", role: "alert" }, errorText(err))));
    } },
  el("summary", {}, "Documents"),
  el("div", { id: "documents-list", "aria-live": "polite" }, el("p", { class: "muted" }, "Loading…")));
}

async function loadDocuments() {
  const c = state.conversation;
  if (!c || !state.documentsOpen || !$("documents-list")) return;
  /** @type {PatientDocument[]} */
  const docs = await api("GET", `/api/v1/patients/${encodeURIComponent(c.patient.id)}/documents`);
  if (state.conversation?.id !== c.id) return;
  fill($("documents-list"), docs.length === 0
    ? el("p", { class: "muted" }, `No files have been sent in ${c.patient.display_name}'s conversations.`)
    : el("ul", { class: "document-list", "aria-label": `Documents of ${c.patient.display_name}` }, docs.map((d) => el("li", {},
      el("a", { href: fileUrl(d.id), target: "_blank", rel: "noopener", class: "file-name" }, d.filename),
      el("span", { class: "file-about" }, `${kindLabel(d.kind)} · ${sizeText(d.size)} · sent `,
        el("time", { datetime: d.uploaded_at, title: fullWhen(d.uploaded_at) }, when(d.uploaded_at)),
        d.conversation_id === c.id ? "" : " · ",
        d.conversation_id === c.id ? null : el("a", { href: `#/${state.view}/c/${d.conversation_id}` }, "in another conversation")),
      filingState(d)))));
}

function contextPanel(c) {
  const p = c.patient;
  return el("dl", { class: "context", "aria-label": "Patient" },
    el("dt", {}, "Patient"), el("dd", {}, p.display_name),
    el("dt", {}, "Date of birth"), el("dd", {}, p.birth_date ?? "—"),
    el("dt", {}, "Care team"), el("dd", {}, p.care_team ?? "—"),
    el("dt", {}, "Department"), el("dd", {}, p.department ?? "—"));
}

function staffName(id) {
  return state.staff.find((x) => x.id === id)?.display_name ?? "a colleague";
}

/** Why it is here: the routing decision, cover, escalation, and the history. */
function routingPanel(c) {
  const r = c.routing;
  const history = c.history ?? [];
  return el("section", { id: "routing", class: "routing", "aria-label": "Routing" },
    r?.reason ? el("p", { class: "routing-reason" }, r.reason) : null,
    r?.covering_for
      ? el("p", { class: "routing-note" }, `${c.assignee?.display_name ?? "A colleague"} is covering for ${staffName(r.covering_for)}, who is away.`)
      : null,
    c.escalated_to
      ? el("p", { class: "routing-note escalated" },
        `Escalated to ${c.escalated_to.display_name}. Their reply to the patient, or a note back, returns it.`)
      : null,
    history.length
      ? el("details", { class: "history", open: state.historyOpen, ontoggle: (e) => (state.historyOpen = e.target.open) },
        el("summary", {}, `History (${history.length})`),
        el("ol", {}, history.map((h) => el("li", {},
          el("time", { datetime: h.at, title: fullWhen(h.at) }, when(h.at)), " ",
          historyWords(h),
          h.actor ? ` by ${h.actor}` : "",
          h.reason ? el("q", { class: "reason" }, h.reason) : null))))
      : null);
}

/** One history entry in words: where it went, and to whom. */
function historyWords(h) {
  const text = HISTORY_TEXT[h.event] ?? h.event;
  // An escalation names the provider it went to; the assignee stays.
  if (h.event === "escalated") return h.to_assignee ? `Escalated to ${h.to_assignee}` : text;
  if (h.event === "closed_unanswered") return text;
  return `${text}${h.to_owner ? ` to ${h.to_owner}` : ""}${h.to_assignee ? ` → ${h.to_assignee}` : ""}`;
}

// ---- Pages: who was paged about an urgent conversation ---------------------

/** How far a page's text or push got, when it did not simply go. */
const PAGE_STATE_WORDS = { queued: " (waiting to go)", failed: " (not sent)", opted_out: " (not sent: texts turned off)" };

/**
 * A page's media in words, with how far each got: " by text message and
 * device notification", " by text message (not sent)".
 */
function pageChannels(channels) {
  if (!channels.length) return ", but there was no way to reach them (no browser alerts, no mobile number)";
  return ` by ${channels.map((c) => `${MEDIUM_WORDS[c.medium] ?? c.medium}${PAGE_STATE_WORDS[c.state] ?? ""}`).join(" and ")}`;
}

/** The fallback number is only ever texted: said only when the text did not go. */
function fallbackChannel(channels) {
  const sms = channels.find((c) => c.medium === "sms");
  if (!sms) return ", but it could not be texted";
  return PAGE_STATE_WORDS[sms.state] ?? "";
}

/** "Nina Alvarez, RN: paged 6:31 PM by text message. Acknowledged 6:33 PM" @param {Page} p */
function pageItem(p) {
  const who = p.paged ? p.paged.display_name : "The fallback number";
  const by = p.acknowledged_by && p.acknowledged_by.id !== p.paged?.id ? ` by ${p.acknowledged_by.display_name}` : "";
  return el("li", { class: p.acknowledged_at ? "acknowledged" : null },
    el("strong", {}, who), p.paged ? ": paged " : ": texted ",
    el("time", { datetime: p.paged_at, title: fullWhen(p.paged_at) }, when(p.paged_at)),
    p.paged ? pageChannels(p.channels) : fallbackChannel(p.channels),
    p.acknowledged_at
      ? el("span", { class: "page-ack" }, ". Acknowledged", by, " ",
        el("time", { datetime: p.acknowledged_at, title: fullWhen(p.acknowledged_at) }, when(p.acknowledged_at)))
      : null);
}

/** Who was paged, when, how, and who acknowledged: shown only when there were pages. */
function pagesPanel(pages) {
  if (!pages.length) return el("section", { id: "pages-panel", hidden: true });
  // Paging starts again (step 0) for a later urgent message: the tag is the latest round's.
  const round = pages.slice(Math.max(0, pages.map((p) => p.step).lastIndexOf(0)));
  const acked = round.some((p) => p.acknowledged_at);
  return el("section", { id: "pages-panel", class: "pages-panel", "aria-labelledby": "pages-title" },
    el("h3", { id: "pages-title" }, "Paged",
      el("span", { class: `tag ${acked ? "page-acked" : "page-waiting"}` }, acked ? "Acknowledged" : "Not acknowledged yet")),
    el("ol", { class: "pages" }, pages.map(pageItem)));
}

/** Loads the open conversation's pages (only urgent ones are ever paged about) and shows them. */
async function loadPages(c) {
  if (c.priority !== "urgent" && state.pages.length === 0) return;
  /** @type {Page[]} */
  const pages = await api("GET", `/api/v1/conversations/${c.id}/pages`);
  if (state.open !== c.id) return;
  state.pages = pages;
  $("pages-panel")?.replaceWith(pagesPanel(pages));
}

// ---- Secure links ---------------------------------------------------------

const SECURE_MEDIUM_WORDS = {
  "": "by text message to the mobile number on file, or by email if there is none",
  sms: "by text message to the mobile number on file",
  email: "by email to the address on file",
};

function secureMedium() {
  return /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="secure-medium"]:checked'))?.value ?? "";
}

/** The dialog that confirms where a secure link goes before it is sent. */
function openSecureLink() {
  const c = state.conversation;
  if (!c || document.querySelector("dialog[open]")) return;
  $("secure-patient").textContent = c.patient.display_name;
  $("secure-error").hidden = true;
  showSecureWhere();
  $("secure-dialog").showModal();
  /** @type {HTMLInputElement} */ (document.querySelector('input[name="secure-medium"]:checked'))?.focus();
}

function showSecureWhere() {
  const c = state.conversation;
  $("secure-where").textContent = `It goes to ${c?.patient.display_name ?? "the patient"} ${SECURE_MEDIUM_WORDS[secureMedium()]}.`;
}

async function submitSecureLink(e) {
  e.preventDefault();
  const c = state.conversation;
  if (!c) return;
  const medium = secureMedium();
  const send = $("secure-send");
  send.disabled = true;
  /** @type {{ id: string, medium: "email" | "sms", expires_at: string }} */
  let sent;
  try {
    sent = await api("POST", `/api/v1/conversations/${c.id}/secure-links`, medium ? { medium } : {});
  } catch (err) {
    // The choice stays made: another medium can be tried at once.
    const words = err instanceof ApiError && err.field === "medium"
      ? `Not sent: ${c.patient.display_name} has ${medium === "sms" ? "no mobile number that can take texts" : medium === "email" ? "no email address" : "no mobile number or email address"} on file. ${medium ? "Choose the other way, or" : "Add one to their record (Patients), or"} reach them by phone.`
      : errorText(err);
    showDialogError("secure-error", new ApiError(422, "invalid_input", words));
    return;
  } finally {
    send.disabled = false;
  }
  $("secure-dialog").close();
  showSecureResult(c, sent, null);
  $("secure-link")?.focus();
  await followSecureLink(c, sent);
}

/**
 * Says what became of a secure link: queued, then sent, or why not.
 * @param {Conversation} c
 * @param {{ medium: "email" | "sms", expires_at: string }} sent
 * @param {SecureLinkStatus | null} status
 */
function showSecureResult(c, sent, status) {
  const node = $("secure-result");
  if (!node || state.open !== c.id) return;
  const by = sent.medium === "sms" ? "text message to the mobile number on file" : "email to the address on file";
  const service = sent.medium === "sms" ? "text-message" : "email";
  const until = `It works once, until ${dayAndTime(sent.expires_at)}.`;
  const s = status?.state ?? "queued";
  let words;
  let problem = false;
  if (s === "sent" || s === "delivered") {
    words = `Secure link sent by ${by}${status.sent_at ? ` at ${when(status.sent_at)}` : ""}. ${until}`;
  } else if (s === "opted_out") {
    words = `Secure link not sent: ${c.patient.display_name} turned off texts from the practice (replied STOP). Send it by email, or call them.`;
    problem = true;
  } else if (s === "failed" && status?.reason === "no_channel") {
    words = `Secure link not sent: no ${service} service is set up here. An administrator can pass it on from the outbox on the setup page, or call ${c.patient.display_name}.`;
    problem = true;
  } else if (s === "failed") {
    words = `Secure link not sent: the ${service} service did not take it. Check the ${sent.medium === "sms" ? "mobile number" : "email address"} on file, or call ${c.patient.display_name}.`;
    problem = true;
  } else {
    words = `Secure link queued: a ${by}${status?.reason ? "; the service has not taken it yet and it will be tried again" : ""}. ${until}`;
  }
  node.className = problem ? "secure-result no-print problem" : "secure-result no-print";
  node.hidden = false;
  if (node.textContent !== words) {
    node.textContent = words;
    announce(words);
  }
}

/** Asks a few times, for a few seconds, what became of the link just sent. */
async function followSecureLink(c, sent) {
  const mine = ++state.secureWatch;
  for (const wait of [300, 700, 1000, 1500, 2500, 4000]) {
    await new Promise((r) => setTimeout(r, wait));
    if (mine !== state.secureWatch || state.open !== c.id) return;
    /** @type {SecureLinkStatus} */
    let status;
    try {
      status = await api("GET", `/api/v1/conversations/${c.id}/secure-links/${sent.id}`);
    } catch {
      return;
    }
    if (mine !== state.secureWatch) return;
    showSecureResult(c, sent, status);
    if (status.state !== "queued") return;
  }
}

/**
 * A box to write a reply or a note in, with its counter and Send button;
 * with `attachTo` (a conversation's id), files can go with it.
 * @param {{ id: string, label: string, button: string, cls: string, max: number, path: string,
 *   onSent: () => Promise<void>, typing?: () => void, extra?: HTMLElement, attachTo?: string }} options
 */
function composer({ id, label, button, cls, max, path, onSent, typing, extra, attachTo }) {
  const box = el("textarea", { id, rows: 3, class: cls });
  const count = counter(box, max);
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const files = attachTo ? attachControl({
    conversationId: attachTo, errors, id: `${id}-attach`, label: "Attach file",
    maxBytes: state.practice.attachment_max_bytes, messageMaxBytes: state.practice.message_attachments_max_bytes,
  }) : null;
  const send = el("button", { type: "submit", class: cls === "note-input" ? "secondary" : "primary" }, button);
  const form = el("form", { class: `composer ${cls}`, novalidate: true },
    el("label", { for: id }, label), box, files?.node,
    el("div", { class: "form-foot" }, count.node, el("span", { class: "foot-buttons" }, extra, send)), errors);
  if (typing) box.addEventListener("input", () => box.value.trim() && typing());
  const submit = async () => {
    errors.hidden = true;
    if (!box.value.trim() && !files?.count()) return;
    if (count.length() > max) {
      errors.textContent = `That is ${count.length() - max} characters too long.`;
      errors.hidden = false;
      return;
    }
    if (files?.busy()) {
      errors.textContent = "Files are still uploading: send when each says “Ready to send”.";
      errors.hidden = false;
      return;
    }
    send.disabled = true;
    try {
      await api("POST", path, files ? { body: box.value.trim() ? box.value : "", attachment_ids: files.ids() } : { body: box.value });
      box.value = "";
      count.update();
      files?.reset();
      await onSent();
    } catch (e) {
      errors.textContent = e instanceof ApiError ? e.message : "Something went wrong.";
      errors.hidden = false;
    } finally {
      send.disabled = false;
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    }
  });
  return form;
}

async function refreshOpen() {
  if (!state.open) return;
  const id = state.open;
  let c;
  try {
    c = await api("GET", `/api/v1/conversations/${id}`);
  } catch (e) {
    // Out of reach now (marked sensitive, handed on): its content goes too.
    if (e instanceof ApiError && e.status === 404 && state.open === id) {
      state.conversation = null;
      fill($("conversation"), backButton(), el("h2", {}, "Not found"), el("p", { class: "muted" }, "This conversation is not in your inbox."));
      return;
    }
    throw e;
  }
  if (c.id !== state.open) return;
  const before = state.conversation?.messages.length ?? 0;
  const markBefore = state.conversation?.sensitivity ?? null;
  state.conversation = c;
  clear($("timeline")).append(...timeline(c));
  $("detail-status").textContent = STATUS_TEXT[c.status];
  $("detail-status").className = `tag ${c.status}`;
  // Under emergency access the conversation's management is not shown.
  if ($("toggle-open")) $("toggle-open").textContent = c.status === "closed" ? "Reopen" : "Close";
  if ($("take")) $("take").hidden = Boolean(c.assignee);
  $("assigned-to").textContent = c.assignee ? c.assignee.display_name : "Nobody yet";
  $("routing").replaceWith(routingPanel(c));
  $("rating-panel").replaceWith(ratingPanel(c));
  fill($("caregiver-sharing"), caregiverSharing(c));
  await loadPages(c).catch(() => {});
  await loadDocuments().catch(() => {});
  $("urgent-tag").hidden = c.priority !== "urgent";
  $("sensitive-tag").hidden = !c.sensitivity;
  $("sensitive-tag").textContent = c.sensitivity ? `Sensitive: ${sensitivityLabel(c.sensitivity)}` : "";
  // A choice not yet saved stays, unless someone changed the mark meanwhile.
  if ($("sensitivity-select") && (c.sensitivity ?? null) !== markBefore) $("sensitivity-select").value = c.sensitivity ?? "";
  renderDetailDue();
  renderUnreadReply();
  if (c.messages.length > before && before > 0) {
    const last = c.messages[c.messages.length - 1];
    if (last.sender.kind === "patient") announce(`New message from ${last.sender.display_name}`);
  }
  if (c.messages.some((m) => m.sender.kind === "patient" && !m.read_by.some((r) => r.reader.kind === "staff"))) {
    await api("POST", `/api/v1/conversations/${c.id}/read`);
  }
}

/** After a change to the open conversation: it, the list and the counts again. */
async function refreshAll() {
  await refreshOpen();
  await Promise.all([loadRows(), loadCounts()]);
}

/** The open conversation's due time and state, while it waits on staff. */
function renderDetailDue() {
  const node = $("detail-due");
  const c = state.conversation;
  if (!node || !c) return;
  const r = c.status !== "closed" ? c.response : null;
  node.hidden = !r;
  if (!r) return;
  node.textContent = dueWords(r);
  node.className = `tag due ${responseState(r)}`;
  node.title = `Waiting since ${fullWhen(r.waiting_since)}; reply due ${fullWhen(r.due_at)}`;
}

/** The follow-up flag of the open conversation, while the patient has not read a reply in time. */
function renderUnreadReply() {
  const node = $("unread-reply");
  const c = state.conversation;
  if (!node || !c) return;
  node.hidden = !c.unread_reply;
  node.textContent = c.unread_reply ? unreadReplyWords(c) : "";
  node.title = c.unread_reply ? `Sent ${fullWhen(c.unread_reply.sent_at)}; flagged ${fullWhen(c.unread_reply.flagged_at)}` : "";
}

/** The patient's rating, once they have given one. */
function ratingPanel(c) {
  const r = c.rating;
  if (!r) return el("section", { id: "rating-panel", hidden: true });
  return el("section", { id: "rating-panel", class: "rating-note", "aria-label": "Patient's rating" },
    el("p", {},
      el("span", { class: "stars", "aria-hidden": "true" }, "★".repeat(r.score), el("span", { class: "stars-off" }, "★".repeat(5 - r.score))),
      el("strong", {}, ` Patient's rating: ${r.score} out of 5 (${SCORE_WORDS[r.score] ?? ""})`),
      " · ", el("time", { datetime: r.created_at, title: fullWhen(r.created_at) }, when(r.created_at))),
    r.comment ? el("p", { class: "rating-comment" }, el("q", {}, r.comment)) : null);
}

async function openConversation(id) {
  state.open = id;
  state.selected = state.rows.findIndex((r) => r.id === id);
  if (!location.hash.endsWith(`/c/${id}`)) history.replaceState(null, "", `#/${state.view}/c/${id}`);
  document.body.classList.add("showing-conversation");
  renderRows();
  const pane = $("conversation");
  const marked = state.rows.find((r) => r.id === id)?.marked_unread;
  let c;
  try {
    c = await api("GET", `/api/v1/conversations/${id}`);
  } catch (e) {
    if (state.open !== id) return;
    fill(pane, backButton(), el("h2", {}, "Not found"), el("p", { class: "muted" }, "This conversation is not in your inbox."));
    return e instanceof ApiError && e.status === 404 ? "not_found" : undefined;
  }
  if (state.open !== id) return;
  state.conversation = c;
  state.pages = [];
  state.secureWatch++;
  document.title = `${c.patient.display_name} · Inbox · Switchboard`;
  // Opening what one marked unread ends the mark.
  if (marked) await api("POST", `/api/v1/conversations/${id}/read`).catch(() => {});
  const max = state.practice.message_max_chars;
  const toggle = el("button", { type: "button", id: "toggle-open", class: "secondary small", "aria-keyshortcuts": "e", onclick: () => toggleOpen() },
    c.status === "closed" ? "Reopen" : "Close");
  const typing = throttle(() => api("POST", `/api/v1/conversations/${id}/typing`).catch(() => {}), 3000);
  const after = refreshAll;
  const quickReply = el("button", { type: "button", id: "insert-template", class: "secondary", "aria-keyshortcuts": "t", onclick: () => openTemplates() },
    "Quick reply ", el("kbd", {}, "t"));
  fill(pane,
    el("header", { class: "detail-head" },
      backButton(),
      el("p", { class: "print-only print-title" }, `${state.practice.name} · conversation with ${c.patient.display_name}`),
      el("h2", { id: "detail-title" }, c.subject),
      el("p", { class: "detail-tags" },
        el("span", { id: "detail-status", class: `tag ${c.status}` }, STATUS_TEXT[c.status]),
        el("span", { id: "urgent-tag", class: "tag urgent", hidden: c.priority !== "urgent" }, "Urgent"),
        el("span", { id: "detail-due", class: "tag due", hidden: true }),
        el("span", { class: "tag topic" }, topicLabel(c.topic)),
        el("span", { id: "sensitive-tag", class: "tag sensitive", hidden: !c.sensitivity }, c.sensitivity ? `Sensitive: ${sensitivityLabel(c.sensitivity)}` : "")),
      el("p", { id: "unread-reply", class: "unread-reply-note", hidden: true })),
    // Opened through emergency access: reading, answering and notes only.
    c.emergency_access_id ? el("p", { class: "tag sensitive emergency-tag" }, "Opened through your emergency access: read, answer and write notes; its care team manages it") : sensitivityControl(c),
    el("div", { id: "caregiver-sharing" }, caregiverSharing(c)),
    contextPanel(c),
    documentsPanel(),
    routingPanel(c),
    pagesPanel([]),
    ratingPanel(c),
    c.emergency_access_id ? el("div", { class: "actions no-print" },
      el("span", { class: "assigned" }, "Assigned to ", el("strong", { id: "assigned-to" }, c.assignee ? c.assignee.display_name : "Nobody yet")),
      el("button", { type: "button", id: "print", class: "secondary small", onclick: () => openPrint() }, "Print…")) :
    el("div", { class: "actions no-print" },
      el("span", { class: "assigned" }, "Assigned to ", el("strong", { id: "assigned-to" }, c.assignee ? c.assignee.display_name : "Nobody yet")),
      el("button", { type: "button", id: "take", class: "secondary small", "aria-keyshortcuts": "a", hidden: Boolean(c.assignee), onclick: () => takeIt() }, "Assign to me"),
      el("button", { type: "button", id: "reassign", class: "secondary small", "aria-keyshortcuts": "g", onclick: () => openReassign() }, "Reassign…"),
      el("button", { type: "button", id: "escalate", class: "secondary small", "aria-keyshortcuts": "p", onclick: () => openEscalate() }, "Escalate to a provider…"),
      el("button", { type: "button", id: "mark-unread", class: "secondary small", "aria-keyshortcuts": "u", onclick: () => markUnread() }, "Mark unread"),
      el("button", { type: "button", id: "secure-link", class: "secondary small", onclick: () => openSecureLink() }, "Send secure link…"),
      el("button", { type: "button", id: "print", class: "secondary small", onclick: () => openPrint() }, "Print…"),
      toggle),
    el("p", { id: "secure-result", class: "secure-result no-print", hidden: true }),
    el("ol", { id: "timeline", class: "thread", "aria-label": "Messages and notes", "aria-live": "polite" }, timeline(c)),
    el("p", { id: "typing", class: "typing", "aria-live": "polite" }),
    composer({
      id: "reply-box", label: "Reply to the patient", button: "Send reply", cls: "reply-input", max,
      path: `/api/v1/conversations/${id}/messages`, onSent: after, typing, extra: quickReply, attachTo: id,
    }),
    composer({
      id: "note-box", label: "Internal note (staff only, never shown to the patient)", button: "Add note", cls: "note-input",
      max: 10000, path: `/api/v1/conversations/${id}/notes`, onSent: after,
    }));
  renderDetailDue();
  renderUnreadReply();
  $("timeline").lastElementChild?.scrollIntoView({ block: "nearest" });
  await refreshOpen();
  await Promise.all([loadRows(), loadCounts()]);
}

/** The roles that mark a conversation sensitive (`domain::sensitivity::marks_sensitivity`). */
const MARKS_SENSITIVITY = ["provider", "nurse", "medical_assistant"];

/** Marking the open conversation sensitive, for the clinical roles. */
function sensitivityControl(c) {
  if (!MARKS_SENSITIVITY.includes(state.me?.role ?? "")) return null;
  const select = el("select", { id: "sensitivity-select" },
    el("option", { value: "" }, "Not sensitive"),
    ...SENSITIVITY.map(([code, label]) => el("option", { value: code }, label)));
  select.value = c.sensitivity ?? "";
  return el("div", { class: "sensitivity-control no-print" },
    el("label", { for: "sensitivity-select" }, "Sensitive record"),
    select,
    el("button", { type: "button", id: "mark-sensitive", class: "secondary small", onclick: () => markSensitive(select.value || null) },
      "Mark sensitive"),
    el("span", { class: "muted hint" }, "Only the roles your practice allows read it once marked."));
}

async function markSensitive(category) {
  const c = state.conversation;
  if (!c || (c.sensitivity ?? null) === category) return;
  try {
    await api("PUT", `/api/v1/conversations/${c.id}/sensitivity`, { category });
  } catch (e) {
    announce(errorText(e));
    return;
  }
  announce(category ? `Marked sensitive: ${sensitivityLabel(category)}` : "No longer marked sensitive");
  const opened = await openConversation(c.id);
  if (opened === "not_found") {
    // The caller's own role is not granted the category they chose.
    fill($("conversation"), backButton(), el("h2", {}, "Marked sensitive"),
      el("p", { class: "muted" }, "Your role does not read conversations marked this way, so it has left your view. Colleagues whose role does still see it."));
  }
}

async function toggleOpen() {
  const c = state.conversation;
  if (!c) return;
  // An urgent message nobody on staff has answered is not closed with one
  // key: confirm, and say why (kept in the history).
  if (c.status !== "closed" && c.priority === "urgent" && !c.answered_by_staff) {
    openCloseUnanswered();
    return;
  }
  const action = c.status === "closed" ? "reopen" : "close";
  try {
    await api("POST", `/api/v1/conversations/${c.id}/${action}`);
    announce(action === "close" ? "Conversation closed" : "Conversation reopened");
    await refreshAll();
  } catch (e) {
    announce(e.message);
  }
}

function openCloseUnanswered() {
  $("close-reason").value = "";
  $("close-error").hidden = true;
  $("close-dialog").showModal();
  $("close-reason").focus();
}

async function submitCloseUnanswered(e) {
  e.preventDefault();
  const c = state.conversation;
  const reason = $("close-reason").value;
  if (!reason.trim()) {
    showDialogError("close-error", new ApiError(422, "invalid_input", "Say why it can be closed: what was done for the patient?"));
    $("close-reason").focus();
    return;
  }
  try {
    await api("POST", `/api/v1/conversations/${c.id}/close`, { reason });
    $("close-dialog").close();
    announce("Conversation closed; the reason is in its history.");
    await refreshAll();
  } catch (err) {
    showDialogError("close-error", err);
  }
}

/**
 * Takes the open conversation. Nobody holds it: assigned to me at once.
 * Someone else does: that is a reassignment, which says why (the dialog).
 */
async function takeIt() {
  const c = state.conversation;
  if (!c || c.assignee?.id === state.me.id) return;
  if (c.assignee) {
    openReassign(state.me.id);
    return;
  }
  try {
    await api("POST", `/api/v1/conversations/${c.id}/assign`, { assignee_id: state.me.id });
    announce("Assigned to you");
    await refreshAll();
  } catch (e) {
    announce(e.message);
  }
}

/** Marks the open conversation unread for me, and goes back to the list. */
async function markUnread() {
  const c = state.conversation;
  if (!c) return;
  try {
    await api("POST", `/api/v1/conversations/${c.id}/unread`);
    announce("Marked unread");
    closeConversation();
    await Promise.all([loadRows(), loadCounts()]);
  } catch (e) {
    announce(e.message);
  }
}

/** Leaves the open conversation: the list again (on a phone, the whole screen). */
function closeConversation() {
  state.open = null;
  state.conversation = null;
  document.body.classList.remove("showing-conversation");
  history.replaceState(null, "", `#/${state.view}`);
  fill($("conversation"), el("p", { class: "muted empty" }, "Choose a conversation, or press ", el("kbd", {}, "n"),
    " for the next one needing a response."));
  document.title = "Inbox · Switchboard";
  renderRows();
  const row = $("rows").querySelector("button.row");
  (row ?? $("list-title")).focus?.();
}

function backButton() {
  return el("button", { type: "button", class: "link back-to-list", onclick: () => closeConversation() }, "← Back to the list");
}

/** Printing: for the chart (with internal notes) or for the patient (without). */
function openPrint() {
  $("print-dialog").showModal();
}

function print(withNotes) {
  $("print-dialog").close();
  document.body.classList.toggle("print-without-notes", !withNotes);
  window.print();
}

async function nextNeedingResponse() {
  // The next one this person reads: rows whose content their role does not
  // read (clinical, sensitive) wait for colleagues who do.
  const readable = (/** @type {ConversationSummary[]} */ list) => list.find((c) => c.id !== state.open && !c.content_withheld);
  let data = await api("GET", "/api/v1/conversations?view=needs_response&sort=attention&limit=2");
  let next = readable(data.conversations);
  if (!next && data.conversations.some((c) => c.content_withheld)) {
    data = await api("GET", "/api/v1/conversations?view=needs_response&sort=attention&limit=200");
    next = readable(data.conversations);
  }
  if (!next) {
    announce("Nothing else needs a response.");
    return;
  }
  // Focus moves now, not after loading, so it never jumps under the user's
  // hands once they have started typing.
  $("conversation").focus({ preventScroll: true });
  if (state.view !== "needs_response") {
    setView("needs_response", next.id);
  } else {
    await openConversation(next.id);
  }
}

function showTyping(data) {
  if (data.conversation_id !== state.open || data.actor_kind !== "patient") return;
  const node = $("typing");
  if (!node) return;
  node.textContent = `${state.conversation?.patient.display_name ?? "The patient"} is typing…`;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => (node.textContent = ""), 5000);
}

// ---- Quick replies, escalation, reassignment -----------------------------

let templateSearch = 0;

async function searchTemplates() {
  const mine = ++templateSearch;
  const q = $("template-search").value.trim();
  const list = await api("GET", `/api/v1/templates${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  if (mine !== templateSearch) return;
  // The server lists templates due for review last; they stay usable, marked.
  fill($("template-list"), list.map((t) => el("li", {},
    el("button", {
      type: "button", class: t.stale ? "template stale" : "template", dataset: { id: t.id },
      "aria-describedby": "template-preview", onclick: () => insertTemplate(t), onfocus: () => previewTemplate(t),
      onmouseenter: () => previewTemplate(t),
    },
    el("span", { class: "template-name" }, t.name, t.stale ? el("span", { class: "tag stale" }, "Past its review date") : null),
    el("span", { class: "template-body" }, t.body)))));
  if (list.length === 0) $("template-list").append(el("li", { class: "muted" }, "No quick reply matches."));
  $("template-preview").hidden = true;
}

let previewing = null;

/** Shows a template filled in for this patient, as it would be inserted. */
async function previewTemplate(t) {
  if (previewing === t.id) return;
  previewing = t.id;
  const node = $("template-preview");
  try {
    const filled = await api("POST", `/api/v1/conversations/${state.conversation.id}/render-template`, { template_id: t.id });
    if (previewing !== t.id) return;
    fill(node, el("span", { class: "preview-label" }, t.stale ? "Preview (past its review date: check it says what is still true)" : "Preview"),
      el("p", { class: "preview-text" }, filled.body));
    node.hidden = false;
  } catch (e) {
    showDialogError("template-error", e);
  }
}

async function openTemplates() {
  if (!state.conversation || !$("reply-box")) return;
  const dialog = $("templates-dialog");
  $("template-search").value = "";
  $("template-error").hidden = true;
  previewing = null;
  dialog.showModal();
  $("template-search").focus();
  await searchTemplates().catch((e) => showDialogError("template-error", e));
}

async function insertTemplate(t) {
  const c = state.conversation;
  try {
    const filled = await api("POST", `/api/v1/conversations/${c.id}/render-template`, { template_id: t.id });
    $("templates-dialog").close();
    const box = $("reply-box");
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.setRangeText(filled.body, start, end, "end");
    box.dispatchEvent(new Event("input"));
    box.focus();
    announce(`Quick reply “${t.name}” inserted. Check it, then send.`);
  } catch (e) {
    showDialogError("template-error", e);
  }
}

function showDialogError(id, e) {
  $(id).textContent = e instanceof ApiError ? e.message : "Something went wrong.";
  $(id).hidden = false;
}

function openEscalate() {
  const c = state.conversation;
  if (!c) return;
  const providers = state.staff.filter((x) => x.role === "provider" && x.id !== state.me.id);
  clear($("escalate-provider")).append(...providers.map((x) => el("option", { value: x.id }, x.display_name)));
  $("escalate-note").value = "";
  $("escalate-error").hidden = true;
  $("escalate-dialog").showModal();
  $("escalate-provider").focus();
}

async function submitEscalate(e) {
  e.preventDefault();
  const c = state.conversation;
  const note = $("escalate-note").value;
  if (!note.trim()) {
    showDialogError("escalate-error", new ApiError(422, "invalid_input", "Write a note: what should the provider decide?"));
    $("escalate-note").focus();
    return;
  }
  try {
    const r = await api("POST", `/api/v1/conversations/${c.id}/escalate`, { provider_id: $("escalate-provider").value, note });
    $("escalate-dialog").close();
    announce(`Escalated to ${r.escalated_to.display_name}`);
    await refreshAll();
  } catch (err) {
    showDialogError("escalate-error", err);
  }
}

function reassignKind() {
  return /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="reassign-kind"]:checked'))?.value ?? "person";
}

function fillReassignTargets() {
  const options = {
    person: state.staff.map((x) => [x.id, x.display_name]),
    pool: state.pools.map((x) => [x.id, x.name]),
    department: state.practice.departments.map((x) => [x.id, x.name]),
  }[reassignKind()];
  clear($("reassign-target")).append(...options.map(([id, name]) => el("option", { value: id }, name)));
}

function openReassign(person) {
  if (!state.conversation) return;
  /** @type {HTMLInputElement} */ (document.querySelector('input[name="reassign-kind"][value="person"]')).checked = true;
  fillReassignTargets();
  if (typeof person === "string") $("reassign-target").value = person;
  $("reassign-reason").value = "";
  $("reassign-error").hidden = true;
  $("reassign-dialog").showModal();
  $("reassign-target").focus();
}

async function submitReassign(e) {
  e.preventDefault();
  const c = state.conversation;
  const field = { person: "assignee_id", pool: "pool_id", department: "department_id" }[reassignKind()];
  if (!$("reassign-reason").value.trim()) {
    showDialogError("reassign-error", new ApiError(422, "invalid_input", "Give a reason: it goes in the history for whoever takes it."));
    $("reassign-reason").focus();
    return;
  }
  const body = { [field]: $("reassign-target").value, reason: $("reassign-reason").value };
  try {
    await api("POST", `/api/v1/conversations/${c.id}/assign`, body);
    $("reassign-dialog").close();
    announce(`Reassigned to ${$("reassign-target").selectedOptions[0]?.textContent ?? "them"}`);
    await refreshAll();
  } catch (err) {
    showDialogError("reassign-error", err);
  }
}

function setUpDialogs() {
  let timer = null;
  $("template-search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => searchTemplates().catch((e) => showDialogError("template-error", e)), 150);
  });
  $("templates-dialog").addEventListener("keydown", (e) => {
    // Arrow keys move through the list; Enter in the search box takes the first.
    const buttons = [...$("template-list").querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = e.key === "ArrowDown" ? Math.min(buttons.length - 1, at + 1) : at - 1;
      (next < 0 ? $("template-search") : buttons[next])?.focus();
    } else if (e.key === "Enter" && e.target === $("template-search") && buttons[0]) {
      e.preventDefault();
      buttons[0].click();
    }
  });
  $("escalate-form").addEventListener("submit", submitEscalate);
  $("reassign-form").addEventListener("submit", submitReassign);
  $("close-form").addEventListener("submit", submitCloseUnanswered);
  $("start-form").addEventListener("submit", submitStart);
  newStartFiles();
  $("secure-form").addEventListener("submit", submitSecureLink);
  for (const radio of document.querySelectorAll('input[name="secure-medium"]')) radio.addEventListener("change", showSecureWhere);
  $("start-patient-search").addEventListener("input", () => filterStartPatients());
  $("print-chart").addEventListener("click", () => print(true));
  $("print-patient").addEventListener("click", () => print(false));
  for (const radio of document.querySelectorAll('input[name="reassign-kind"]')) radio.addEventListener("change", fillReassignTargets);
  for (const button of document.querySelectorAll("dialog [data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
}

// ---- Starting a conversation with a patient ---------------------------------

/** Opens the dialog; with `patientId`, that patient is chosen already. */
async function openStart(patientId) {
  if (NO_CONVERSATIONS.includes(state.me.role) || document.querySelector("dialog[open]")) return;
  $("start-error").hidden = true;
  $("start-patient-search").value = "";
  $("start-dialog").showModal();
  try {
    // The patients of my care teams and departments (the list audits each one shown).
    state.patients = await api("GET", "/api/v1/patient-accounts?limit=200");
  } catch (e) {
    state.patients = [];
    showDialogError("start-error", e);
  }
  state.startChosen = patientId && state.patients.some((p) => p.id === patientId) ? patientId : null;
  if (patientId && !state.startChosen) {
    showDialogError("start-error", new ApiError(404, "not_found", "That patient is not one of yours to write to. Choose another."));
  }
  filterStartPatients();
  (state.startChosen ? $("start-subject") : $("start-patient-search")).focus();
}

function patientLabel(p) {
  return `${p.given_name} ${p.family_name}`;
}

/** The patients matching the search box, as choices. */
function filterStartPatients() {
  const q = $("start-patient-search").value.trim().toLowerCase();
  const matches = (state.patients ?? []).filter((p) => state.startChosen === p.id || !q
    || patientLabel(p).toLowerCase().includes(q) || p.birth_date.includes(q) || (p.mrn ?? "").toLowerCase().includes(q));
  fill($("start-patients"), matches.slice(0, 50).map((p) => el("li", {},
    el("label", { class: "patient-choice" },
      el("input", { type: "radio", name: "start-patient", value: p.id, checked: state.startChosen === p.id,
        onchange: () => (state.startChosen = p.id) }),
      el("span", {}, el("strong", {}, patientLabel(p)), ` · born ${p.birth_date}`,
        p.care_team ? ` · ${p.care_team}` : "",
        p.enrollment !== "enrolled"
          ? el("span", { class: "hint not-enrolled" }, " · not enrolled yet: they will see it once they join")
          : null)))));
  if (matches.length === 0) $("start-patients").append(el("li", { class: "muted" }, "No patient of yours matches."));
}

/**
 * The start dialog's files: held until the conversation exists, then sent
 * after the message. @type {ReturnType<typeof attachControl> | null}
 */
let startFiles = null;

function newStartFiles() {
  startFiles = attachControl({
    errors: $("start-error"), id: "start-attach", label: "Attach file",
    maxBytes: state.practice.attachment_max_bytes, messageMaxBytes: state.practice.message_attachments_max_bytes,
  });
  fill($("start-attach"), startFiles.node);
}

/**
 * Uploads the start dialog's files to the conversation just started and
 * sends them as a second message; answers what did not go, in words.
 * @param {string} id
 * @returns {Promise<string | null>}
 */
async function sendStartFiles(id) {
  if (!startFiles || startFiles.count() === 0) return null;
  const { ids, failed } = await startFiles.uploadTo(id);
  if (ids.length > 0) {
    try {
      await api("POST", `/api/v1/conversations/${id}/messages`, { body: "", attachment_ids: ids });
    } catch (err) {
      failed.push(...startFiles.uploadedNames().map((name) => ({ name, reason: errorText(err) })));
    }
  }
  return failed.length ? `The message was sent, but not every file went with it. ${failedText(failed)} Attach them again below to retry.` : null;
}

async function submitStart(e) {
  e.preventDefault();
  $("start-error").hidden = true;
  const problems = [];
  if (!state.startChosen) problems.push("Choose the patient.");
  if (!$("start-topic").value) problems.push("Choose what it is about.");
  if (!$("start-subject").value.trim()) problems.push("Add a subject.");
  if (!$("start-body").value.trim()) problems.push("Write the message.");
  if (problems.length) {
    showDialogError("start-error", new ApiError(422, "invalid_input", problems.join(" ")));
    return;
  }
  const send = /** @type {HTMLButtonElement} */ ($("start-form").querySelector('button[type="submit"]'));
  if (send.disabled) return;
  send.disabled = true;
  let created;
  try {
    created = await api("POST", "/api/v1/conversations", {
      patient_id: state.startChosen, topic: $("start-topic").value, subject: $("start-subject").value,
      body: $("start-body").value, keep_with_me: $("start-keep").checked,
    });
  } catch (err) {
    showDialogError("start-error", err);
    send.disabled = false;
    return;
  }
  // The conversation exists: whatever becomes of the files, it opens.
  const missed = await sendStartFiles(created.id);
  send.disabled = false;
  $("start-dialog").close();
  for (const id of ["start-subject", "start-body"]) $(id).value = "";
  newStartFiles();
  announce("Conversation started");
  await Promise.all([loadRows(), loadCounts()]).catch(() => {});
  await openConversation(created.id).catch(() => {});
  if (missed && state.open === created.id) {
    const box = /** @type {HTMLElement | null} */ (document.querySelector("form.composer.reply-input p.error"));
    if (box) showError(box, missed);
    announce(missed);
  }
}

// ---- Alerts --------------------------------------------------------------

// Conversations an alert pointed to that this user may not open (an
// administrator is told about overdue replies in conversations they do not work).
const unopenable = new Set();

function mayOpen(a) {
  return Boolean(a.patient) && !NO_CONVERSATIONS.includes(state.me.role) && !unopenable.has(a.conversation_id);
}

function renderAlerts() {
  const box = $("alerts");
  box.hidden = state.alerts.length === 0;
  const shown = state.alertsExpanded ? state.alerts : state.alerts.slice(0, ALERTS_SHOWN);
  const more = state.alerts.length - shown.length;
  fill(box,
    el("h2", { class: "visually-hidden" }, "Alerts"),
    el("ul", { class: "alert-list" }, shown.map(alertItem)),
    state.alerts.length > ALERTS_SHOWN
      ? el("button", { type: "button", class: "link alerts-toggle", "aria-expanded": String(Boolean(state.alertsExpanded)),
        onclick: () => {
          state.alertsExpanded = !state.alertsExpanded;
          renderAlerts();
        } }, state.alertsExpanded ? "Show fewer alerts" : `Show all ${state.alerts.length} alerts (${more} more)`)
      : null);
}

/** One alert: what, about whom (a link to the conversation), when, and what to do. */
function alertItem(a) {
  const about = a.patient
    ? el("a", { href: `#/${state.view}/c/${a.conversation_id}`, class: "alert-about",
      onclick: (e) => {
        e.preventDefault();
        openAlert(a);
      } }, `${a.patient.display_name}: ${a.subject}`)
    : null;
  return el("li", { class: `alert-item ${a.kind}` },
    el("span", { class: "alert-text" }, el("strong", {}, ALERT_TEXT[a.kind] ?? "Needs your attention"), about ? " · " : "", about),
    el("time", { datetime: a.created_at, title: fullWhen(a.created_at) }, when(a.created_at)),
    mayOpen(a)
      ? el("button", { type: "button", class: "small primary", onclick: () => openAlert(a) }, "Open")
      : el("span", { class: "alert-note" }, "Not in your inbox: the staff who hold it were alerted too."),
    el("button", { type: "button", class: "small secondary", onclick: () => acknowledge(a.id) }, "Acknowledge"));
}

async function loadAlerts() {
  state.alerts = await api("GET", "/api/v1/alerts");
  renderAlerts();
}

async function openAlert(a) {
  if ((await openConversation(a.conversation_id)) === "not_found") {
    // Not this user's to open: say so on the alert rather than offer a link that goes nowhere.
    unopenable.add(a.conversation_id);
    renderAlerts();
  }
}

async function acknowledge(id) {
  try {
    await api("POST", `/api/v1/alerts/${id}/ack`);
    announce("Alert acknowledged");
  } catch (e) {
    announce(e.message);
  }
  await loadAlerts();
}

// ---- Keyboard ------------------------------------------------------------

/** Opens the search dialog (set once the page starts). */
let openSearch = () => {};

function typingInField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function onKey(e) {
  if (e.key === "Escape" && typingInField(e.target)) {
    e.target.blur();
    return;
  }
  if (typingInField(e.target) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
  const actions = {
    n: () => nextNeedingResponse(),
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    Enter: () => state.rows[state.selected] && !state.rows[state.selected].content_withheld && openConversation(state.rows[state.selected].id),
    r: () => $("reply-box")?.focus(),
    i: () => $("note-box")?.focus(),
    a: () => takeIt(),
    u: () => markUnread(),
    c: () => openStart(),
    t: () => openTemplates(),
    g: () => openReassign(),
    p: () => openEscalate(),
    e: () => toggleOpen(),
    "?": () => $("help").showModal(),
    "/": () => openSearch(),
  };
  const index = Number(e.key);
  if (Number.isInteger(index) && index >= 1 && index <= views().length) {
    e.preventDefault();
    setView(views()[index - 1][0]);
    return;
  }
  if (e.key === "Enter" && e.target instanceof HTMLButtonElement) return;
  const action = actions[e.key];
  if (action) {
    e.preventDefault();
    action();
  }
}

// ---- Routing, live updates, start ----------------------------------------

async function route() {
  const [, view, kind, id] = (location.hash || "#/needs_response").slice(1).split("/");
  if (view === "ack") {
    await acknowledgePage(kind);
    return;
  }
  if (view === "start") {
    // "Start a conversation" from the patient list: #/start/<patient id>.
    history.replaceState(null, "", `#/${state.view}`);
    await openStart(kind);
    return;
  }
  // "To file" is taken at its word: the server answers whether it is this person's.
  state.view = [...VIEWS, TO_FILE].some(([code]) => code === view) ? view : "needs_response";
  renderViews();
  await loadRows();
  // Switching views keeps the open conversation, even if it left the view.
  if (kind === "c" && id && id !== state.open) await openConversation(id);
}

/**
 * A page's link (`#/ack/<token>`, from a text or a push): acknowledge it,
 * so nobody else is paged, then open the conversation. The token leaves the
 * address bar (and the history) at once.
 * @param {string} token
 */
async function acknowledgePage(token) {
  history.replaceState(null, "", "#/needs_response");
  const note = $("page-ack");
  note.classList.remove("error");
  try {
    const { conversation_id } = await api("POST", "/api/v1/pages/acknowledge", { token });
    note.textContent = "Page acknowledged: nobody else will be paged about this message.";
    note.hidden = false;
    location.hash = `#/needs_response/c/${conversation_id}`;
  } catch (e) {
    note.textContent = e instanceof ApiError && e.status === 410
      ? "This page link was already used or has expired. Open the urgent conversations to see where things stand."
      : errorText(e);
    note.classList.add("error");
    note.hidden = false;
    await route();
  }
}

let pending = null;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    Promise.all([loadRows(), loadCounts(), loadAlerts()]).catch(() => {});
  }, 150);
}

function onEvent(data) {
  refreshSoon();
  if (data.conversation_id && data.conversation_id === state.open) {
    if (data.type === "message_sent" && data.actor_kind === "patient") $("typing").textContent = "";
    refreshOpen().catch(() => {});
  }
}

async function boot() {
  $("next-needing").addEventListener("click", () => nextNeedingResponse());
  $("show-help").addEventListener("click", () => $("help").showModal());
  openSearch = setupSearch(async (id) => {
    await openConversation(id);
  });
  $("open-search").addEventListener("click", () => openSearch());
  state.me = await startStaffPage();
  if (!state.me) return;
  // A compliance officer's work is the audit log, not an inbox that is always empty for them.
  if (state.me.role === "compliance_officer") {
    location.replace("/audit");
    return;
  }
  $("start-conversation").hidden = NO_CONVERSATIONS.includes(state.me.role);
  $("start-conversation").addEventListener("click", () => openStart());
  fill($("start-topic"), el("option", { value: "" }, "Choose one"), TOPICS.map(([code, label]) => el("option", { value: code }, label)));
  const [practice, staff, pools] = await Promise.all([
    api("GET", "/api/v1/practice"), api("GET", "/api/v1/staff"), api("GET", "/api/v1/pools").catch(() => []),
  ]);
  state.practice = practice;
  state.staff = staff;
  state.pools = pools;
  setUpDialogs();
  $("practice-name").textContent = practice.name;
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", () => route().catch(() => {}));
  await Promise.all([loadCounts(), route(), loadAlerts()]);
  live({ typing: showTyping, any: onEvent, resync: () => onEvent({}) });
  setInterval(() => {
    // Keep the ages and the due badges current.
    renderRows();
    renderDetailDue();
  }, 60000);
  document.body.dataset.ready = "true";
}

boot().catch(() => {});
