// @ts-check
// The patient app: conversations, a thread view, and writing a message,
// with live replies, read receipts and a typing indicator; the emergency
// guidance while writing; corrections to one's own messages; reminders of
// unread replies; a rating once a person has answered and the
// conversation is closed; printing a conversation; and the patient's own
// settings. Every time is shown in the practice's time zone.
import {
  ApiError, MEDIUM_WORDS, PushProblem, TOPICS, announce, api, clear, clock, counter, dayAndTime, el, errorText, fill, fullWhen,
  hoursLines, live, pushOnHere, pushSupported, responseState, showError, showTimesIn, signOut, throttle, topicLabel,
  turnOffPush, turnOnPush, when, wordsList, zoneLabel,
} from "./common.js";
import { attachControl, attachmentList, failedText, sizeText } from "./attachments.js";
import { enrollmentOffer } from "./patient-secure.js";
import { notOpenYet, showTerms, termsCard, termsWaiting } from "./patient-terms.js";
import { showSessions } from "./sessions.js";
import { actingBanner, caregiversSection, current, loadCaregiving, shareChoice, sharingNote, switcher } from "./patient-caregivers.js";

const main = document.getElementById("main");
/** @typedef {import("./common.js").Conversation} Conversation */
/** @typedef {import("./common.js").Me} Me */
/** @typedef {import("./common.js").Practice} Practice */
/** @typedef {import("./common.js").NotificationChoices} NotificationChoices */
/** @typedef {import("./common.js").Medium} Medium */

const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {Practice | null} */
  practice: null,
  /** The id of the conversation open. @type {string | null} */
  open: null,
  /** @type {number | undefined} */
  typingTimer: null,
  /** @type {string | null} */
  view: null,
  /** The conversation open, as last loaded. @type {Conversation | null} */
  thread: null,
  expectationAsked: 0,
  /** @type {number | undefined} */
  expectationTimer: null,
  /** The terms and the launch, for a patient with an account. @type {import("./patient-terms.js").MyEnrollment | null} */
  enrollment: null,
  /** The terms page was shown once this visit (then "Not now" is honoured). */
  termsShown: false,
  /**
   * Files that did not go with a message that started a conversation, said
   * in the thread it opens. @type {{ conversationId: string, text: string } | null}
   */
  startNotice: null,
  /**
   * Whom one may act for: oneself first, then the patients one is a
   * caregiver for. @type {import("./patient-caregivers.js").CaregivingPerson[]}
   */
  people: [],
};

/** The person acted for now, or null for oneself. */
function actingPerson() {
  return current(state.people);
}

/** Whether the patient must accept the terms in force before writing. */
function termsWait() {
  return state.enrollment !== null && state.enrollment.standing !== "current";
}

/**
 * A rating's words: 1 (poor) to 5 (excellent).
 * @type {[number, string][]}
 */
const SCORES = [[1, "Poor"], [2, "Fair"], [3, "Good"], [4, "Very good"], [5, "Excellent"]];
const RATING_COMMENT_MAX = 1000;
/** Reminders of unread replies listed by name; the rest are counted. */
const REMINDERS_SHOWN = 3;

const STATUS_TEXT = {
  needs_staff_response: "Waiting for your care team",
  awaiting_patient: "Your care team replied",
  closed: "Closed",
};

/** What messaging is for, that it is not for emergencies, and when to expect an answer. */
function guidance(compact) {
  const p = state.practice;
  const call = p.phone ? ` call us at ${p.phone}` : " call the office";
  const hours = hoursLines(p.office_hours);
  return el("section", { class: compact ? "guidance compact" : "guidance", "aria-labelledby": "guidance-title" },
    el("h2", { id: "guidance-title" }, compact ? "Before you send" : "How messaging works"),
    el("div", { class: "emergency", role: "note" },
      el("strong", {}, "Messages are not for emergencies. "),
      "If you have chest pain, trouble breathing, signs of a stroke, or thoughts of suicide, ",
      el("strong", {}, "call 911 now"),
      " or call or text ",
      el("strong", {}, "988"),
      " (Suicide & Crisis Lifeline). Do not wait for a reply."),
    compact ? null : el("p", {}, "Use messages for questions that can wait a little: medicines and refills, test results, appointments, billing, or how you are doing after a visit."),
    el("p", {}, el("strong", {}, "When to expect an answer. "),
      "Your care team reads messages during office hours",
      hours.length && zoneLabel() ? ` (${zoneLabel()}, the practice's time)` : "",
      hours.length ? ":" : ".",
    ),
    hours.length ? el("ul", { class: "hours" }, hours.map((line) => el("li", {}, line))) : null,
    el("p", {}, "A message sent after hours, on a weekend or on a holiday is answered the next business day. ",
      `If something cannot wait until then,${call}.`),
    afterHoursLine(),
  );
}

/** Whom to call when the office is closed, if the practice has a line for it. */
function afterHoursLine() {
  const line = state.practice.after_hours_phone;
  return line
    ? el("p", { class: "after-hours" }, el("strong", {}, "When we are closed: "),
      `for medical advice that cannot wait until we open, call our after-hours line at ${line}.`)
    : null;
}

function setTitle(text) {
  document.title = `${text} · Switchboard`;
}

function errorBox() {
  return el("p", { class: "error", role: "alert", hidden: true });
}

/** A reply-by time, in the practice's time zone (named when the device is elsewhere). */
function answerTime(iso) {
  return dayAndTime(iso);
}

function callUs() {
  return state.practice.phone ? `call us at ${state.practice.phone}` : "call the office";
}

/** For the list: "answer by today at 2:00 PM". */
function answerByShort(response) {
  return responseState(response) === "overdue" ? "answer coming soon" : `answer by ${answerTime(response.due_at)}`;
}

/** For an open conversation waiting on the care team: when they will answer. */
function answerBySentence(c) {
  if (!c.response || c.status === "closed") return null;
  const at = answerTime(c.response.due_at);
  if (responseState(c.response) === "overdue") {
    return `Your care team aimed to answer by ${at}. They will answer as soon as they can. If it cannot wait, ${callUs()}.`;
  }
  return `Your care team will answer by ${at}.`;
}

// ---- The list of conversations -------------------------------------------

async function showList() {
  state.open = null;
  state.view = "list";
  const person = actingPerson();
  setTitle(person ? `Messages for ${person.display_name}` : "Messages");
  const [data, notifications] = await Promise.all([
    api("GET", `/api/v1/conversations?limit=100${person ? `&patient_id=${person.patient_id}` : ""}`),
    person ? [] : api("GET", "/api/v1/me/notifications").catch(() => []),
  ]);
  if (state.view !== "list") return;
  if (!person && !state.me.patient_id) {
    // A caregiver whose every access has ended: nothing to show but how
    // to be given access again.
    fill(main,
      el("h1", {}, "Messages"),
      el("p", { class: "lead", id: "no-one-to-help" }, "You are not helping anyone with their messages right now."),
      el("p", {}, "Your access may have ended or been removed. If someone gives you a new caregiver code, enter it in ",
        el("a", { href: "#/settings" }, "Settings"), "."),
      el("p", { class: "emergency-short" }, el("strong", {}, "In an emergency, call 911."), " For thoughts of suicide, call or text 988."));
    return;
  }
  const items = data.conversations;
  const body = [
    switcher(state.people, showList),
    el("div", { class: "page-head" },
      el("h1", {}, person ? `Messages for ${person.display_name}` : "Messages"),
      state.enrollment?.may_start_conversations === false ? null : el("a", { class: "button primary", href: "#/new" }, "New message")),
    actingBanner(person),
    state.enrollment?.may_start_conversations === false ? notOpenYet(callUs()) : null,
    termsWait() ? termsWaiting(state.enrollment) : null,
    reminders(notifications, items),
  ];
  if (items.length === 0) {
    body.push(el("p", { class: "lead" }, person
      ? `No messages for ${person.display_name} yet${person.confidential ? " that are shared with you" : ""}.`
      : "You have no messages yet. Write to your care team whenever it suits you."));
    body.push(guidance(false));
  } else {
    body.push(el("ul", { class: "conversations", "aria-label": person ? `${person.display_name}'s conversations` : "Your conversations" }, items.map((c) => {
      const unread = c.unread_count > 0;
      return el("li", { class: unread ? "conversation unread" : "conversation" },
        el("a", { href: `#/c/${c.id}` },
          el("span", { class: "subject" }, c.subject),
          unread ? el("span", { class: "badge" }, `${c.unread_count} new`) : null,
          c.preview ? el("span", { class: "preview" }, previewWho(c.preview), c.preview.text) : null,
          el("span", { class: "meta" }, `${topicLabel(c.topic)} · ${STATUS_TEXT[c.status]}`,
            c.response && c.status !== "closed" ? ` · ${answerByShort(c.response)}` : ""),
          el("time", { datetime: c.last_activity_at, class: "meta when" }, when(c.last_activity_at))));
    })));
    body.push(el("p", { class: "emergency-short" }, el("strong", {}, "In an emergency, call 911."), " For thoughts of suicide, call or text 988."));
  }
  fill(main, body);
}

/** Who wrote the newest message, as the list's preview says it. */
function previewWho(p) {
  return p.from === "patient" ? "You: " : "Care team: ";
}

/**
 * Gentle reminders of replies not read yet, one per conversation, each
 * leading to it (reading it clears the reminder).
 */
function reminders(notifications, items) {
  const ids = [];
  for (const n of notifications) {
    if (n.kind === "unread_reply_reminder" && n.conversation_id && !ids.includes(n.conversation_id)) ids.push(n.conversation_id);
  }
  if (ids.length === 0) return null;
  const shown = ids.slice(0, REMINDERS_SHOWN);
  const more = ids.length - shown.length;
  return el("section", { id: "reminders", class: "reminders", "aria-labelledby": "reminders-title" },
    el("h2", { id: "reminders-title", class: "visually-hidden" }, "Reminders"),
    el("ul", {}, shown.map((id) => {
      const c = items.find((x) => x.id === id);
      return el("li", {},
        el("a", { href: `#/c/${id}` },
          "You have a reply from your care team you have not read",
          c ? el("span", { class: "reminder-subject" }, `: ${c.subject}`) : null));
    }),
    more > 0
      ? el("li", { class: "reminder-more" }, `…and ${more} more ${more === 1 ? "reply" : "replies"} you have not read, marked “new” below.`)
      : null));
}

// ---- Writing a new message -----------------------------------------------

/**
 * Before sending: when the care team will answer a message about the chosen
 * topic (asked of the server, which knows the office hours, closures and
 * targets), and what to do in an emergency instead.
 */
function expectationBox() {
  return el("section", { id: "expectation", class: "expectation", "aria-labelledby": "expectation-title" },
    el("h2", { id: "expectation-title" }, "When you will hear back"),
    el("p", { id: "expectation-text", "aria-live": "polite" }, "Checking when your care team will answer…"),
    el("p", { class: "expectation-911" },
      el("strong", {}, "Emergencies: call 911."),
      " Do not send a message and wait for a reply. For a mental health crisis, call or text 988."));
}

async function refreshExpectation(topic) {
  const mine = ++state.expectationAsked;
  let e = null;
  try {
    e = await api("GET", `/api/v1/practice/expectation${topic ? `?topic=${encodeURIComponent(topic)}` : ""}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
  }
  const node = document.getElementById("expectation-text");
  if (mine !== state.expectationAsked || state.view !== "compose" || !node) return;
  if (!e) {
    clear(node).append("We could not check when your care team will answer. They read messages during office hours. ",
      `If something cannot wait, ${callUs()}.`);
    return;
  }
  const answer = `Your care team will answer by ${answerTime(e.reply_by)}.`;
  if (e.open_now) {
    clear(node).append(el("strong", {}, answer));
  } else {
    const opens = e.opens_at ? ` when we open ${answerTime(e.opens_at)}` : " when we next open";
    const line = state.practice.after_hours_phone;
    fill(node, el("strong", {}, "Our office is closed right now. "), `We will read your message${opens}. `,
      el("strong", {}, answer),
      line ? ` For medical advice that cannot wait until then, call our after-hours line at ${line}.` : null);
  }
}

function showCompose() {
  state.open = null;
  state.view = "compose";
  const person = actingPerson();
  setTitle(person ? `New message for ${person.display_name}` : "New message");
  // A confidential minor writing for themselves chooses whether their
  // caregivers see it (private unless they do).
  const share = !person && state.people[0]?.confidential ? shareChoice() : null;
  const max = state.practice.message_max_chars;
  const errors = errorBox();
  const topic = el("select", { id: "topic", name: "topic", required: true },
    el("option", { value: "" }, "Choose one"),
    TOPICS.map(([code, label]) => el("option", { value: code }, label)));
  // Who reads it: the care team, or one of the patient's own providers.
  const providers = person ? [] : state.providers ?? [];
  const to = el("select", { id: "to", name: "to", "aria-describedby": "to-hint" },
    el("option", { value: "" }, "My care team"),
    providers.map((p) => el("option", { value: p.id }, p.display_name)));
  const toHint = el("p", { id: "to-hint", class: "hint" }, "Your care team makes sure the right person answers.");
  to.addEventListener("change", () => {
    const p = providers.find((x) => x.id === to.value);
    toHint.textContent = !p
      ? "Your care team makes sure the right person answers."
      : p.accepts_direct_messages
        ? `${p.display_name} will read it.`
        : `${p.display_name} has their team answer messages; your message will be marked for them.`;
  });
  const subject = el("input", { id: "subject", name: "subject", maxlength: 120, required: true, autocomplete: "off" });
  const body = el("textarea", { id: "body", name: "body", rows: 7, required: true, "aria-describedby": "body-count" });
  const count = counter(body, max);
  count.node.id = "body-count";
  const send = el("button", { type: "submit", class: "primary", "aria-describedby": "expectation-text" }, "Send message");
  const check = emergencyCheck(() => `${subject.value}. ${body.value}`, [subject, body]);
  // Files need the conversation this message starts: they are held here and
  // go up once it exists, then follow the text as a second message.
  const fileErrors = errorBox();
  const files = attachControl({
    errors: fileErrors, id: "new-attach", label: "Attach photo or file", photoNotes: true,
    maxBytes: state.practice.attachment_max_bytes, messageMaxBytes: state.practice.message_attachments_max_bytes,
  });
  files.button.setAttribute("aria-describedby", "new-attach-hint");
  const form = el("form", { class: "card compose", novalidate: true },
    actingBanner(person),
    el("label", { for: "topic" }, "What is it about?"), topic,
    providers.length ? [el("label", { for: "to" }, "Who should read it?"), to, toHint] : null,
    el("label", { for: "subject" }, "Subject ", el("span", { class: "hint" }, "(a few words)")), subject,
    el("label", { for: "body" }, "Your message"), body,
    el("p", { id: "new-attach-hint", class: "hint attach-hint" },
      `Photos, PDFs, video or audio, up to ${sizeText(state.practice.attachment_max_bytes)} each. They are sent just after your message.`),
    files.node,
    fileErrors,
    share?.node,
    check,
    expectationBox(),
    el("div", { class: "form-foot" }, count.node, send),
    errors);
  topic.addEventListener("change", () => refreshExpectation(topic.value));
  // The answer time moves on as the office opens and closes.
  clearInterval(state.expectationTimer);
  state.expectationTimer = setInterval(() => {
    if (state.view === "compose") refreshExpectation(topic.value);
    else clearInterval(state.expectationTimer);
  }, 60000);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    const problems = [];
    if (!topic.value) problems.push("Choose what your message is about.");
    if (!subject.value.trim()) problems.push("Add a short subject.");
    if (!body.value.trim()) problems.push("Write your message.");
    if (count.length() > max) problems.push(`Your message is ${count.length() - max} characters too long.`);
    if (problems.length) {
      errors.textContent = problems.join(" ");
      errors.hidden = false;
      return;
    }
    send.disabled = true;
    /** @type {{ id: string } | null} */
    let created = null;
    try {
      const request = { subject: subject.value, topic: topic.value, body: body.value };
      if (to.value) request.to_provider_id = to.value;
      if (person) request.patient_id = person.patient_id;
      if (share) request.share_with_caregivers = share.checked();
      created = await api("POST", "/api/v1/conversations", request);
    } catch (e) {
      if (!askForTerms(e, errors, form)) showError(errors, errorText(e));
      send.disabled = false;
      return;
    }
    // The message is sent; the files follow it, each with its progress. The
    // thread opens whatever becomes of them, saying which did not go.
    if (files.count() > 0) {
      send.textContent = "Sending your files…";
      announce("Your message was sent. Sending your files…");
      const { ids, failed } = await files.uploadTo(created.id);
      if (ids.length > 0) {
        try {
          await api("POST", `/api/v1/conversations/${created.id}/messages`, { body: "", attachment_ids: ids });
        } catch (e) {
          const reason = errorText(e);
          failed.push(...files.uploadedNames().map((name) => ({ name, reason })));
        }
      }
      if (failed.length > 0) {
        state.startNotice = { conversationId: created.id,
          text: `Your message was sent, but not every file went with it. ${failedText(failed)} To try again, use “Attach photo or file” below.` };
      }
    }
    location.hash = `#/c/${created.id}`;
  });
  fill(main,
    el("p", {}, el("a", { href: "#/", class: "back" }, "← All messages")),
    el("h1", {}, "New message"),
    guidance(true),
    form);
  refreshExpectation(topic.value);
  topic.focus();
}

/**
 * While the patient writes, the same emergency screen the server runs on
 * every message checks the draft (a moment after they stop typing) and, if
 * it may describe an emergency, shows what to do now. It never stops the
 * message from being sent.
 */
function emergencyCheck(text, inputs) {
  const box = el("div", { class: "emergency-check", role: "alert", hidden: true },
    el("strong", {}, "This may be an emergency. "),
    "If you have chest pain, trouble breathing, signs of a stroke, heavy bleeding, or thoughts of harming yourself, ",
    el("strong", {}, "call 911 now"), ", or call or text ", el("strong", {}, "988"),
    ". Do not wait for a reply to a message. You can still send it.");
  let timer = null;
  let asked = 0;
  const run = async () => {
    const draft = text().trim();
    const mine = ++asked;
    if (draft.length < 3) {
      box.hidden = true;
      return;
    }
    try {
      const r = await api("POST", "/api/v1/screen", { body: draft });
      if (mine === asked) box.hidden = !r.possible_emergency;
    } catch {
      // The check is a courtesy: the guidance on the page stands without it.
    }
  };
  for (const input of inputs) {
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, 600);
    });
  }
  return box;
}

// ---- One conversation ----------------------------------------------------

/** Who the server says may be named as having read a message. */
const READ_BY = { care_team: "your care team", front_desk: "the front desk", billing_office: "the billing office" };

function readReceipt(messages) {
  // The newest message of mine, and who has read it, as the server words it:
  // "your care team" only when someone who answers for my care opened it.
  const mine = messages.filter((m) => m.sender.id === state.me.id);
  const last = mine[mine.length - 1];
  if (!last) return null;
  const read = last.read_by_staff;
  if (!read || !READ_BY[read.by]) return el("p", { class: "receipt" }, "Sent. Not read yet.");
  return el("p", { class: "receipt" }, `Read by ${READ_BY[read.by]} at ${when(read.read_at)}`);
}

function renderMessages(list, conversation, fresh) {
  fill(list, conversation.messages.map((m) => {
    const mine = m.sender.id === state.me.id;
    const system = m.sender.kind === "system";
    const isNew = fresh.has(m.id);
    // The urgent reply stands out; an acknowledgement is calmer.
    const systemClass = conversation.priority === "urgent" ? "bubble theirs system" : "bubble theirs system auto";
    const cls = mine ? "bubble mine" : system ? systemClass : "bubble theirs";
    return el("li", { class: isNew ? `${cls} new` : cls, dataset: { id: m.id } },
      isNew ? el("span", { class: "new-tag" }, "New") : null,
      el("span", { class: "who" }, mine ? "You" : m.sender.display_name),
      m.on_behalf ? el("span", { class: "on-behalf" }, m.on_behalf.line) : null,
      m.body ? el("p", { class: "text" }, m.body) : null,
      attachmentList(m.attachments, { photoNotes: mine }),
      m.amendments.length ? el("p", { class: "amended-note" }, "Corrected below; the original is kept as written.") : null,
      m.amendments.map((a) => el("p", { class: "amendment" },
        el("strong", {}, mine ? "Your correction" : "Correction"), ` (${when(a.created_at)}): `, a.body)),
      el("span", { class: "bubble-foot" },
        el("time", { datetime: m.sent_at, title: fullWhen(m.sent_at) }, el("span", { class: "screen-only" }, when(m.sent_at)),
          el("span", { class: "print-only" }, fullWhen(m.sent_at))),
        mine ? el("button", { type: "button", class: "link amend", onclick: () => openAmend(m) }, "Correct this") : null));
  }));
}

/** An inline form under one of my messages to append a correction. */
function openAmend(m) {
  const item = document.querySelector(`#thread li[data-id="${m.id}"]`);
  if (!item || item.querySelector(".amend-form")) return;
  const max = state.practice.message_max_chars;
  const id = `amend-${m.id}`;
  const box = el("textarea", { id, rows: 3 });
  const errors = errorBox();
  const form = el("form", { class: "amend-form", novalidate: true },
    el("label", { for: id }, "Your correction"),
    el("p", { class: "hint" }, "Your message stays as you wrote it; the correction is shown with it."),
    box,
    el("div", { class: "form-foot" },
      el("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Cancel"),
      el("button", { type: "submit", class: "primary" }, "Add correction")),
    errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!box.value.trim()) return;
    if ([...box.value].length > max) {
      errors.textContent = `Your correction is ${[...box.value].length - max} characters too long.`;
      errors.hidden = false;
      return;
    }
    try {
      await api("POST", `/api/v1/conversations/${state.open}/messages/${m.id}/amendments`, { body: box.value });
      announce("Correction added.");
      form.remove();
      await loadThread(state.open);
    } catch (e) {
      showError(errors, errorText(e));
    }
  });
  item.append(form);
  box.focus();
}

async function loadThread(id) {
  const c = await api("GET", `/api/v1/conversations/${id}`);
  if (state.open !== id) return null;
  const thread = document.getElementById("thread");
  const before = thread.children.length;
  // Messages from others that arrived since the thread was first drawn.
  const seen = state.seen ?? new Set(c.messages.map((m) => m.id));
  const fresh = new Set(c.messages.filter((m) => !seen.has(m.id) && m.sender.id !== state.me.id).map((m) => m.id));
  for (const m of c.messages) seen.add(m.id);
  state.seen = seen;
  state.fresh = new Set([...(state.fresh ?? []), ...fresh]);
  // A correction being written stays put while the thread refreshes.
  if (!thread.querySelector(".amend-form")) renderMessages(thread, c, state.fresh);
  document.getElementById("thread-status").textContent = `${topicLabel(c.topic)} · ${STATUS_TEXT[c.status]}`;
  document.getElementById("closed-note").hidden = c.status !== "closed";
  document.getElementById("print-title").textContent = `${c.subject} · ${state.practice.name}`;
  state.thread = c;
  renderReplyBy();
  renderRating(c);
  const sharing = document.getElementById("sharing");
  if (sharing) fill(sharing, sharingNote(c, () => loadThread(id)));
  const receipt = document.getElementById("receipt");
  clear(receipt);
  const r = readReceipt(c.messages);
  if (r) receipt.append(r);
  if (before > 0 && fresh.size > 0) {
    const last = c.messages[c.messages.length - 1];
    announce(`New message from ${last.sender.display_name}`);
    showNewest();
  }
  // Opening the thread reads everything in it, automatic replies included.
  const hasUnread = c.messages.some((m) => m.sender.id !== state.me.id && !m.read_by.some((r) => r.reader.id === state.me.id));
  if (hasUnread) await api("POST", `/api/v1/conversations/${id}/read`);
  return c;
}

/**
 * Brings the newest message into view above the reply box (which stays on
 * screen at the bottom): scrolled to the end of the page, where the box
 * sits below the thread instead of over it.
 */
function showNewest() {
  window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "smooth" });
  // A photo's preview takes its height once loaded: then again, so the
  // whole message shows above the reply box.
  const pending = [...document.querySelectorAll("#thread > li:last-child img")].filter((img) => !(/** @type {HTMLImageElement} */ (img).complete));
  for (const img of pending) {
    img.addEventListener("load", () => window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "smooth" }), { once: true });
  }
}

async function showThread(id) {
  state.open = id;
  state.view = "thread";
  state.seen = null;
  state.fresh = null;
  // A secure-link session has no list to go back to: it is offered enrollment.
  const shell = [
    state.me.secure_conversation_id ? enrollmentOffer()
      : el("p", {}, el("a", { href: "#/", class: "back" }, "← All messages")),
  ];
  fill(main, shell, el("p", { class: "loading" }, "Loading…"));
  let c;
  try {
    c = await api("GET", `/api/v1/conversations/${id}`);
  } catch (e) {
    if (state.open !== id) return;
    setTitle("Not found");
    fill(main, shell, el("h1", {}, "We couldn't find that conversation"),
      el("p", {}, "It may have been moved, or the link is not right. Your conversations are listed on the messages page."));
    return;
  }
  if (state.open !== id) return;
  setTitle(c.subject);
  // Someone else's conversation: whose, and as whom one writes.
  const forWhom = c.patient.id !== state.me.patient_id
    ? state.people.find((p) => p.patient_id === c.patient.id && p.relationship) ?? null
    : null;
  const max = state.practice.message_max_chars;
  const errors = errorBox();
  const reply = el("textarea", { id: "reply", rows: 3, "aria-label": "Write a reply", "aria-describedby": "reply-count" });
  const files = attachControl({
    conversationId: id, errors, id: "reply-attach", label: "Attach photo or file", photoNotes: true,
    maxBytes: state.practice.attachment_max_bytes, messageMaxBytes: state.practice.message_attachments_max_bytes,
  });
  const count = counter(reply, max);
  count.node.id = "reply-count";
  const send = el("button", { type: "submit", class: "primary" }, "Send");
  const typing = throttle(() => api("POST", `/api/v1/conversations/${id}/typing`).catch(() => {}), 3000);
  reply.addEventListener("input", () => reply.value.trim() && typing());
  const form = el("form", { class: "reply", novalidate: true },
    el("label", { for: "reply", class: "visually-hidden" }, "Write a reply"),
    reply,
    emergencyCheck(() => reply.value, [reply]),
    files.node,
    el("div", { class: "form-foot" }, count.node, send),
    el("p", { class: "hint" }, "Not for emergencies: call 911, or 988 for a mental health crisis."),
    errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    // A message may be files alone.
    if (!reply.value.trim() && files.count() === 0) return;
    if (count.length() > max) {
      errors.textContent = `Your message is ${count.length() - max} characters too long.`;
      errors.hidden = false;
      return;
    }
    if (files.busy()) {
      showError(errors, "Your files are still uploading. Send when each one says “Ready to send”.");
      return;
    }
    send.disabled = true;
    try {
      await api("POST", `/api/v1/conversations/${id}/messages`,
        { body: reply.value.trim() ? reply.value : "", attachment_ids: files.ids() });
      reply.value = "";
      count.update();
      files.reset();
      await loadThread(id);
      showNewest();
    } catch (e) {
      if (!askForTerms(e, errors, form)) showError(errors, errorText(e));
    } finally {
      send.disabled = false;
    }
  });
  fill(main, shell,
    el("p", { id: "print-title", class: "print-only print-title" }),
    el("div", { class: "thread-head" },
      el("h1", { class: "thread-title" }, c.subject),
      el("button", { type: "button", class: "secondary small no-print", onclick: () => window.print() }, "Print or save as PDF")),
    el("p", { id: "thread-status", class: "meta" }),
    actingBanner(forWhom),
    el("div", { id: "sharing" }),
    el("p", { id: "reply-by", class: "notice reply-by", hidden: true }),
    el("ol", { id: "thread", class: "thread", "aria-label": "Messages", "aria-live": "polite" }),
    el("div", { id: "receipt" }),
    el("p", { id: "typing", class: "typing", "aria-live": "polite" }),
    el("p", { id: "closed-note", class: "notice", hidden: true }, "This conversation is closed. Writing again reopens it."),
    el("section", { id: "rating", class: "rating", "aria-labelledby": "rating-title", hidden: true }),
    form);
  await loadThread(id);
  showNewest();
  // Files that did not go with the message that started this conversation:
  // said under the thread, where it scrolls away, not in the pinned reply box.
  const notice = state.startNotice;
  if (notice && notice.conversationId === id) {
    state.startNotice = null;
    const note = el("p", { id: "start-notice", class: "notice warning", role: "alert" }, notice.text);
    document.getElementById("receipt")?.after(note);
    showNewest();
  }
}

// ---- Rating a closed conversation -----------------------------------------

/** Once the conversation is closed: "How did we do?" (once), then the rating given. */
function renderRating(c) {
  const node = document.getElementById("rating");
  if (!node) return;
  // Asked only when a person answered (never for an automatic reply alone).
  const key = c.rating ? `rated-${c.rating.score}` : c.rateable ? "unrated" : "";
  if (node.dataset.key === key) return; // leaves a rating being written alone
  node.dataset.key = key;
  clear(node);
  node.hidden = key === "";
  if (key === "") return;
  node.append(...(c.rating ? ratingGiven(c.rating) : ratingForm(c)).filter(Boolean));
}

function ratingGiven(r) {
  const word = SCORES.find(([n]) => n === r.score)?.[1] ?? "";
  return [
    el("h2", { id: "rating-title", tabindex: -1 }, "Your rating"),
    el("p", { class: "rating-given" },
      el("span", { class: "stars", "aria-hidden": "true" }, "★".repeat(r.score), el("span", { class: "stars-off" }, "★".repeat(5 - r.score))),
      el("span", {}, `You rated this conversation ${r.score} out of 5 (${word.toLowerCase()}).`)),
    r.comment ? el("p", { class: "rating-comment" }, el("strong", {}, "Your comment: "), r.comment) : null,
    el("p", { class: "hint" }, "Thank you. Your care team sees your rating."),
  ];
}

function ratingForm(c) {
  const errors = errorBox();
  const comment = el("textarea", { id: "rating-comment", rows: 3, "aria-describedby": "rating-comment-count rating-comment-hint" });
  const count = counter(comment, RATING_COMMENT_MAX);
  count.node.id = "rating-comment-count";
  const send = el("button", { type: "submit", class: "primary" }, "Send rating");
  const form = el("form", { class: "rating-form", novalidate: true },
    el("fieldset", { class: "scores" },
      el("legend", {}, "Your rating, from 1 (poor) to 5 (excellent)"),
      el("div", { class: "score-row" }, SCORES.map(([n, word]) => el("label", { class: "score" },
        el("input", { type: "radio", name: "rating-score", value: n }),
        el("span", { class: "score-n" }, n),
        el("span", { class: "score-word" }, word))))),
    el("label", { for: "rating-comment" }, "Anything you would like to tell us? ", el("span", { class: "hint" }, "(optional)")),
    el("p", { id: "rating-comment-hint", class: "hint" }, "Not for medical questions: for those, write a message."),
    comment,
    el("div", { class: "form-foot" }, count.node, send),
    errors);
  form.addEventListener("change", (event) => {
    if (/** @type {HTMLInputElement} */ (event.target).name === "rating-score") errors.hidden = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    const picked = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="rating-score"]:checked'));
    if (!picked) {
      errors.textContent = "Choose a score from 1 to 5.";
      errors.hidden = false;
      /** @type {HTMLInputElement} */ (form.querySelector('input[name="rating-score"]')).focus();
      return;
    }
    if (count.length() > RATING_COMMENT_MAX) {
      errors.textContent = `Your comment is ${count.length() - RATING_COMMENT_MAX} characters too long.`;
      errors.hidden = false;
      comment.focus();
      return;
    }
    const body = { score: Number(picked.value) };
    if (comment.value.trim()) body.comment = comment.value;
    send.disabled = true;
    try {
      await api("POST", `/api/v1/conversations/${c.id}/rating`, body);
    } catch (e) {
      send.disabled = false;
      if (e instanceof ApiError && e.status === 409) {
        // Rated already (in another tab), or written in again: show how it stands now.
        await loadThread(c.id).catch(() => {});
        announce(e.message);
        return;
      }
      showError(errors, errorText(e));
      return;
    }
    await loadThread(c.id).catch(() => {});
    announce("Thank you for your rating.");
    document.getElementById("rating-title")?.focus();
  });
  return [
    el("h2", { id: "rating-title" }, "How did we do?"),
    el("p", { class: "hint" }, "You can rate this conversation once. It helps your care team do better."),
    form,
  ];
}

/** "Your care team will answer by …" while the conversation waits on them. */
function renderReplyBy() {
  const node = document.getElementById("reply-by");
  const c = state.thread;
  if (!node || !c || c.id !== state.open) return;
  const text = answerBySentence(c);
  node.textContent = text ?? "";
  node.hidden = !text;
  node.classList.toggle("late", Boolean(c.response) && responseState(c.response) === "overdue");
}

function showTyping(data) {
  if (data.conversation_id !== state.open || data.actor_kind !== "staff") return;
  const node = document.getElementById("typing");
  if (!node) return;
  node.textContent = "Your care team is typing…";
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => (node.textContent = ""), 5000);
}

// ---- Settings -------------------------------------------------------------

/** @param {boolean} [toSessions] scroll to "Where you're signed in" (a sign-in notice's link) */
async function showSettings(toSessions = false) {
  state.open = null;
  state.view = "settings";
  setTitle("Settings");
  // A caregiver who is not a patient here has no record, so no contact
  // details on file: they are reached by notifications on their devices.
  const ownRecord = Boolean(state.me.patient_id);
  const [contact, choices, pushHere] = await Promise.all([
    ownRecord ? api("GET", "/api/v1/me/contact") : { email: null, phone: null },
    api("GET", "/api/v1/me/notification-choices"),
    pushOnHere(state.me),
  ]);
  if (state.view !== "settings") return;
  const notices = notificationsForm(contact, choices, pushHere);
  const sessions = el("section", { id: "sessions", class: "card settings-section", tabindex: "-1" });
  fill(main,
    el("p", {}, el("a", { href: "#/", class: "back" }, "← All messages")),
    el("h1", {}, "Settings"),
    ownRecord ? contactForm(contact, notices.contactChanged) : null,
    notices.form,
    passwordForm(),
    await caregiversSection(async () => {
      state.people = await loadCaregiving();
    }, ownRecord),
    el("section", { class: "card", "aria-labelledby": "security-title" },
      el("h2", { id: "security-title" }, "Sign-in security"),
      el("p", {}, "Add a second step to signing in: a code from an app on your phone."),
      el("p", {}, el("a", { href: "/security", id: "security-link" }, "Set up or change your second step"))),
    sessions,
    el("p", { class: "emergency-short" }, el("strong", {}, "In an emergency, call 911."), " For thoughts of suicide, call or text 988."));
  await showSessions(sessions);
  if (toSessions) {
    sessions.scrollIntoView();
    sessions.focus({ preventScroll: true });
  }
}

/** The ways a patient may be told of a reply, in the order the form lists them. */
const MEDIA = /** @type {const} */ ([["email", "Email"], ["sms", "Text message"], ["push", "Notifications on this device"]]);

/**
 * "Notifications": how the patient is told of a reply outside Switchboard
 * (email, text message, this device), quiet hours, or the practice's own
 * settings; what holds now, and what is missing for it to work. A notice
 * never says what a message says, and the card tells them so.
 * @param {{ email: string | null, phone: string | null }} contact
 * @param {NotificationChoices} choices
 * @param {boolean} pushHere whether this device already shows their notifications
 */
function notificationsForm(contact, choices, pushHere) {
  const practice = state.practice.name;
  const summary = el("div", { id: "notify-summary", class: "notify-summary" });
  const boxes = Object.fromEntries(MEDIA.map(([m]) => [m, el("input", { type: "checkbox", id: `notify-${m}`, name: "notify-media", value: m })]));
  const pushHint = el("p", { id: "notify-push-hint", class: "hint" });
  boxes.push.setAttribute("aria-describedby", pushHint.id);
  const reminders = el("input", { type: "checkbox", id: "notify-reminders", "aria-describedby": "notify-reminders-hint" });
  const quietOn = el("input", { type: "checkbox", id: "notify-quiet", "aria-describedby": "notify-quiet-hint" });
  const from = el("input", { type: "time", id: "notify-quiet-from", required: true });
  const to = el("input", { type: "time", id: "notify-quiet-to", required: true });
  const times = el("div", { class: "field-row quiet-times" },
    el("div", {}, el("label", { for: from.id }, "From"), from),
    el("div", {}, el("label", { for: to.id }, "Until"), to));
  quietOn.addEventListener("change", () => (times.hidden = !quietOn.checked));
  const useDefaults = el("button", { type: "button", class: "link", id: "notify-defaults" }, `Use ${practice}'s settings instead`);

  const draw = () => {
    const media = choices.media ?? choices.effective_media;
    for (const [m] of MEDIA) boxes[m].checked = media.includes(m);
    reminders.checked = choices.reminder_emails;
    const quiet = choices.quiet_hours ?? choices.effective_quiet_hours;
    quietOn.checked = Boolean(quiet);
    from.value = quiet?.from ?? "21:00";
    to.value = quiet?.to ?? "08:00";
    times.hidden = !quiet;
    boxes.push.disabled = !pushSupported() && !boxes.push.checked;
    pushHint.textContent = !pushSupported()
      ? "This browser cannot show notifications from Switchboard."
      : pushHere
        ? "On for this device."
        : boxes.push.checked
          ? "Not on for this device yet: save, and allow notifications when your browser asks."
          : "Your browser will ask you to allow them. Choose this on each device where you want them.";
    fill(summary, inEffect(choices, contact, pushHere));
    // Their own choice can be undone: back to what the practice chose.
    if (choices.custom) summary.firstElementChild.append(" ", useDefaults);
  };
  draw();

  const save = async () => {
    /** @type {Medium[]} */
    const media = MEDIA.map(([m]) => m).filter((m) => boxes[m].checked);
    if (quietOn.checked && (!from.value || !to.value)) throw new PushProblem("Choose when your quiet hours start and end.");
    // This device first: if it cannot show notifications, nothing is saved
    // that would say it does.
    if (media.includes("push") && !pushHere && pushSupported()) {
      try {
        await turnOnPush(state.me);
      } catch (e) {
        if (!(e instanceof PushProblem)) throw e;
        throw new PushProblem(`${e.message} Nothing was saved. To save your other choices, untick “Notifications on this device” and save again.`);
      }
      pushHere = true;
    } else if (!media.includes("push") && pushHere) {
      await turnOffPush(state.me);
      pushHere = false;
    }
    choices = await api("PUT", "/api/v1/me/notification-choices",
      { media, quiet_hours: quietOn.checked ? { from: from.value, to: to.value } : null, reminder_emails: reminders.checked });
    draw();
    return "Saved.";
  };

  const form = settingsForm({
    id: "notify",
    title: "Notifications",
    fields: [
      el("p", {}, `When your care team replies, ${practice} can tell you by email, by text message or with a notification on this device. `,
        el("strong", {}, "A notice says only that a message is waiting for you, never what it says:"),
        " to read it, you sign in to Switchboard."),
      summary,
      el("fieldset", { class: "checks" },
        el("legend", {}, "Tell me about new messages by"),
        MEDIA.map(([m, label]) => el("div", { class: "check" }, boxes[m], el("label", { for: boxes[m].id }, label))),
        pushHint),
      el("div", { class: "check" }, reminders, el("label", { for: reminders.id }, "A reminder when I leave a reply unread")),
      el("p", { id: "notify-reminders-hint", class: "hint" },
        "One more email about a reply you have not read, when you are told by email. The link in a reminder email turns these off."),
      el("div", { class: "check" }, quietOn, el("label", { for: quietOn.id }, "Quiet hours")),
      el("p", { id: "notify-quiet-hint", class: "hint" },
        `Notices of replies wait until these hours end (${zoneLabel() ? `${zoneLabel()}, ` : ""}the practice's time). `,
        "A link you ask for, such as a password reset, still comes at once."),
      times,
    ],
    button: "Save notification choices",
    save,
    focusOnError: (e) => (e instanceof ApiError && e.field === "quiet_hours" ? from : e instanceof ApiError && e.field === "media" ? boxes.email : null),
  });
  useDefaults.addEventListener("click", async () => {
    const status = /** @type {HTMLElement} */ (form.querySelector('[role="status"]'));
    const errors = /** @type {HTMLElement} */ (form.querySelector('[role="alert"]'));
    status.hidden = true;
    errors.hidden = true;
    try {
      choices = await api("PUT", "/api/v1/me/notification-choices", { media: null, quiet_hours: null });
      draw();
      status.textContent = `You now have ${practice}'s settings.`;
      status.hidden = false;
      boxes.email.focus();
    } catch (e) {
      showError(errors, errorText(e));
    }
  });
  return {
    form,
    /** Redraws what holds after the contact details change (an address added or removed). */
    contactChanged: (saved) => {
      contact = saved;
      draw();
    },
  };
}

/**
 * What holds now: the media they are told by, quiet hours, whether these
 * are the practice's settings, and what is missing for a medium to work.
 * @param {NotificationChoices} choices
 * @param {{ email: string | null, phone: string | null }} contact
 * @param {boolean} pushHere
 */
function inEffect(choices, contact, pushHere) {
  const media = choices.effective_media;
  const quiet = choices.effective_quiet_hours;
  const lines = [];
  lines.push(el("p", {}, el("strong", {}, "Now: "),
    media.length
      ? `you are told by ${wordsList(media.map((m) => MEDIUM_WORDS[m]))}`
      : "you are not told outside Switchboard. Open Switchboard to see replies: your messages page marks them “new”",
    quiet && media.length ? `, except from ${clock(quiet.from)} until ${clock(quiet.to)}` : "",
    ".",
    choices.custom ? " These are your own choices." : ` These are ${state.practice.name}'s settings until you choose your own.`));
  const missing = [];
  if (media.includes("email") && !contact.email) missing.push("You chose email, but we have no email address for you: add one above, or no emails can be sent.");
  if (media.includes("sms") && !contact.phone) missing.push("You chose text messages, but we have no mobile number for you: add one above, or no texts can be sent.");
  if (media.includes("push") && !pushHere) missing.push("Device notifications come only to devices where you turned them on, and they are not on for this one.");
  for (const text of missing) lines.push(el("p", { class: "notice warning" }, text));
  return lines;
}

/**
 * One settings card: a form whose `save` returns the words to confirm it
 * with; a refusal is shown under it and `focusOnError` picks the field.
 */
function settingsForm({ id, title, fields, button, save, focusOnError, extra = null }) {
  const status = el("p", { class: "notice", role: "status", hidden: true });
  const errors = errorBox();
  const form = el("form", { id: `${id}-form`, class: "card settings-section", novalidate: true, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, title),
    fields,
    el("div", { class: "form-foot" }, extra ?? el("span"), el("button", { type: "submit", class: "primary" }, button)),
    status, errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.hidden = true;
    errors.hidden = true;
    try {
      status.textContent = await save();
      status.hidden = false;
    } catch (e) {
      showError(errors, e instanceof PushProblem ? e.message : errorText(e));
      focusOnError(e)?.focus();
    }
  });
  return form;
}

/** @param {(saved: { email: string | null, phone: string | null }) => void} changed */
function contactForm(contact, changed) {
  const email = el("input", { id: "contact-email", type: "email", autocomplete: "email", value: contact.email ?? "" });
  const phone = el("input", { id: "contact-phone", type: "tel", autocomplete: "tel", value: contact.phone ?? "" });
  return settingsForm({
    id: "contact",
    title: "How we can reach you",
    fields: [
      el("p", { class: "hint" }, "Your care team uses these to contact you. Leave one empty to remove it."),
      el("label", { for: "contact-email" }, "Email"), email,
      el("label", { for: "contact-phone" }, "Mobile phone"), phone,
    ],
    button: "Save",
    save: async () => {
      const saved = await api("PUT", "/api/v1/me/contact", { email: email.value, phone: phone.value });
      email.value = saved.email ?? "";
      phone.value = saved.phone ?? "";
      changed(saved);
      return "Saved.";
    },
    focusOnError: (e) => (e instanceof ApiError && e.field === "phone" ? phone : e instanceof ApiError && e.field === "email" ? email : null),
  });
}

/** What a new password must be (the server says exactly why when it refuses one). */
const PASSWORD_HINT = "At least 15 characters, any you like, spaces too. A few unrelated words are easy to remember. "
  + "Not a common password, your name or user name.";

function passwordForm() {
  const current = el("input", { id: "current-password", type: "password", autocomplete: "current-password" });
  const next = el("input", { id: "new-password", type: "password", autocomplete: "new-password", "aria-describedby": "new-password-hint" });
  return settingsForm({
    id: "password",
    title: "Change your password",
    fields: [
      el("label", { for: "current-password" }, "Current password"), current,
      el("label", { for: "new-password" }, "New password"),
      el("p", { id: "new-password-hint", class: "hint" }, PASSWORD_HINT),
      next,
    ],
    button: "Change password",
    save: async () => {
      await api("POST", "/api/v1/me/password", { current_password: current.value, new_password: next.value });
      current.value = "";
      next.value = "";
      return "Your password is changed. You stay signed in here; other devices are signed out.";
    },
    focusOnError: (e) => (e instanceof ApiError && e.field === "current_password" ? current : next),
  });
}

// ---- The messaging terms ---------------------------------------------------

/**
 * A message refused because the terms in force wait to be accepted: the
 * terms are shown under the form (the draft stays), and once accepted the
 * message is sent. Answers whether it was that refusal.
 */
function askForTerms(e, errors, form) {
  if (!(e instanceof ApiError && e.code === "terms_not_accepted")) return false;
  const done = async () => {
    state.enrollment = await api("GET", "/api/v1/me/enrollment").catch(() => state.enrollment);
    card.remove();
    form.requestSubmit();
  };
  const refresh = state.enrollment
    ? Promise.resolve(state.enrollment)
    : api("GET", "/api/v1/me/enrollment");
  /** @type {HTMLElement} */
  let card = el("p");
  refresh.then((enrollment) => {
    state.enrollment = enrollment;
    showError(errors, "Before your message is sent, please read and accept your practice's messaging terms below.");
    card = termsCard(enrollment, done);
    errors.after(card);
    card.scrollIntoView({ block: "nearest" });
  }).catch(() => showError(errors, errorText(e)));
  return true;
}

function showTermsPage() {
  state.view = "terms";
  state.termsShown = true;
  setTitle("Messaging terms");
  showTerms(main, state.enrollment, guidance(true).querySelector(".emergency"), toList, toList);
}

/** To the list of conversations, whether or not the address changes. */
function toList() {
  if (!location.hash || location.hash === "#/") route();
  else location.hash = "#/";
}

// ---- Routing and live updates --------------------------------------------

async function route() {
  // A secure-link session reaches one conversation: every address opens it.
  const secure = state.me.secure_conversation_id;
  const hash = secure ? `#/c/${secure}` : location.hash || "#/";
  try {
    if (hash === "#/terms" && state.enrollment) showTermsPage();
    // The terms come first once per visit; "Not now" leads to the messages.
    else if (termsWait() && !state.termsShown) showTermsPage();
    else if (hash.startsWith("#/c/")) await showThread(hash.slice(4));
    else if (hash === "#/new") showCompose();
    else if (hash === "#/settings") await showSettings();
    else if (hash === "#/settings/sessions") await showSettings(true);
    else await showList();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    fill(main, el("p", { class: "error", role: "alert" }, e.message || "Something went wrong."));
  }
  // Focus goes to the new page, unless the patient is already typing in it
  // (a thread's reply box is there before its messages have loaded).
  const typing = document.activeElement;
  if (!(typing instanceof HTMLTextAreaElement || typing instanceof HTMLInputElement) || !main.contains(typing)) {
    main.focus({ preventScroll: true });
  }
}

function refresh(data, type) {
  if (state.view === "thread" && data.conversation_id === state.open) {
    // Their message has arrived: they are no longer typing. (Other staff
    // events, such as their read receipt, say nothing about typing.)
    const node = document.getElementById("typing");
    if (node && data.actor_kind === "staff" && type === "message_sent") node.textContent = "";
    loadThread(state.open).catch(() => {});
  } else if (state.view === "list") {
    showList().catch(() => {});
  }
}

async function boot() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  state.me = await api("GET", "/api/v1/me");
  if (state.me.kind !== "patient") {
    location.replace("/inbox");
    return;
  }
  [state.practice, state.providers] = await Promise.all([
    api("GET", "/api/v1/practice"),
    api("GET", "/api/v1/me/providers").catch(() => []),
  ]);
  document.getElementById("practice-name").textContent = state.practice.name;
  if (!state.me.secure_conversation_id) {
    [state.enrollment, state.people] = await Promise.all([
      api("GET", "/api/v1/me/enrollment").catch(() => null),
      loadCaregiving(),
    ]);
  }
  // Every time the patient sees is the practice's, like the automatic replies'.
  showTimesIn(state.practice.time_zone);
  window.addEventListener("hashchange", route);
  await route();
  live({
    typing: showTyping,
    resync: () => refresh({ conversation_id: state.open }),
    any: refresh,
  });
  // Keeps "will answer by" current while a conversation stays open.
  setInterval(renderReplyBy, 60000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  document.body.dataset.ready = "true";
}

boot().catch(() => {});
