// The patient app: conversations, a thread view, and writing a message,
// with live replies, read receipts and a typing indicator; reminders of
// unread replies, and a rating once a conversation is closed.
import {
  ApiError, TOPICS, announce, api, clear, counter, dayAndTime, el, fullWhen, hoursLines, live, otherTimeZone, responseState,
  signOut, throttle, topicLabel, when,
} from "./common.js";

const main = document.getElementById("main");
const state = {
  me: null, practice: null, open: null, typingTimer: null, view: null, thread: null, expectationAsked: 0, expectationTimer: null,
};

/** A rating's words: 1 (poor) to 5 (excellent). */
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
      hours.length ? ":" : ".",
    ),
    hours.length ? el("ul", { class: "hours" }, hours.map((line) => el("li", {}, line))) : null,
    el("p", {}, "A message sent after hours, on a weekend or on a holiday is answered the next business day. ",
      `If something cannot wait until then,${call}.`),
  );
}

function setTitle(text) {
  document.title = `${text} · Switchboard`;
}

function errorBox() {
  return el("p", { class: "error", role: "alert", hidden: true });
}

function showError(box, e) {
  box.textContent = e instanceof ApiError ? e.message : "Something went wrong. Please try again.";
  box.hidden = false;
}

/** A reply-by time in the patient's own time zone, naming it when it is not the practice's. */
function answerTime(iso) {
  return dayAndTime(iso, { zone: otherTimeZone(state.practice.time_zone) });
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
  setTitle("Messages");
  const [data, notifications] = await Promise.all([
    api("GET", "/api/v1/conversations?limit=100"),
    api("GET", "/api/v1/me/notifications").catch(() => []),
  ]);
  if (state.view !== "list") return;
  const items = data.conversations;
  const body = [
    el("div", { class: "page-head" },
      el("h1", {}, "Messages"),
      el("a", { class: "button primary", href: "#/new" }, "New message")),
    reminders(notifications, items),
  ];
  if (items.length === 0) {
    body.push(el("p", { class: "lead" }, "You have no messages yet. Write to your care team whenever it suits you."));
    body.push(guidance(false));
  } else {
    body.push(el("ul", { class: "conversations", "aria-label": "Your conversations" }, items.map((c) => {
      const unread = c.unread_count > 0;
      return el("li", { class: unread ? "conversation unread" : "conversation" },
        el("a", { href: `#/c/${c.id}` },
          el("span", { class: "subject" }, c.subject),
          unread ? el("span", { class: "badge" }, `${c.unread_count} new`) : null,
          el("span", { class: "meta" }, `${topicLabel(c.topic)} · ${STATUS_TEXT[c.status]}`,
            c.response && c.status !== "closed" ? ` · ${answerByShort(c.response)}` : ""),
          el("time", { datetime: c.last_activity_at, class: "meta" }, when(c.last_activity_at))));
    })));
    body.push(el("p", { class: "emergency-short" }, el("strong", {}, "In an emergency, call 911."), " For thoughts of suicide, call or text 988."));
  }
  clear(main).append(...body);
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
    clear(node).append(el("strong", {}, "Our office is closed right now. "), `We will read your message${opens}. `,
      el("strong", {}, answer));
  }
}

function showCompose() {
  state.open = null;
  state.view = "compose";
  setTitle("New message");
  const max = state.practice.message_max_chars;
  const errors = errorBox();
  const topic = el("select", { id: "topic", name: "topic", required: true },
    el("option", { value: "" }, "Choose one"),
    TOPICS.map(([code, label]) => el("option", { value: code }, label)));
  // Who reads it: the care team, or one of the patient's own providers.
  const providers = state.providers ?? [];
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
  const form = el("form", { class: "card compose", novalidate: true },
    el("label", { for: "topic" }, "What is it about?"), topic,
    providers.length ? [el("label", { for: "to" }, "Who should read it?"), to, toHint] : null,
    el("label", { for: "subject" }, "Subject ", el("span", { class: "hint" }, "(a few words)")), subject,
    el("label", { for: "body" }, "Your message"), body,
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
    try {
      const request = { subject: subject.value, topic: topic.value, body: body.value };
      if (to.value) request.to_provider_id = to.value;
      const created = await api("POST", "/api/v1/conversations", request);
      location.hash = `#/c/${created.id}`;
    } catch (e) {
      showError(errors, e);
    } finally {
      send.disabled = false;
    }
  });
  clear(main).append(
    el("p", {}, el("a", { href: "#/", class: "back" }, "← All messages")),
    el("h1", {}, "New message"),
    guidance(true),
    form);
  refreshExpectation(topic.value);
  topic.focus();
}

// ---- One conversation ----------------------------------------------------

function readReceipt(messages) {
  // The newest message of mine that someone on the care team has read.
  const mine = messages.filter((m) => m.sender.id === state.me.id);
  const last = mine[mine.length - 1];
  if (!last) return null;
  const reads = last.read_by.filter((r) => r.reader.kind === "staff");
  if (reads.length === 0) return el("p", { class: "receipt" }, "Sent. Not read yet.");
  const first = reads.map((r) => r.read_at).sort()[0];
  return el("p", { class: "receipt" }, `Read by your care team at ${when(first)}`);
}

function renderMessages(list, conversation) {
  clear(list).append(...conversation.messages.map((m) => {
    const mine = m.sender.id === state.me.id;
    const system = m.sender.kind === "system";
    // The urgent reply stands out; an acknowledgement is calmer.
    const systemClass = conversation.priority === "urgent" ? "bubble theirs system" : "bubble theirs system auto";
    return el("li", { class: mine ? "bubble mine" : system ? systemClass : "bubble theirs" },
      el("span", { class: "who" }, mine ? "You" : m.sender.display_name),
      el("p", { class: "text" }, m.body),
      m.amendments.map((a) => el("p", { class: "amendment" }, el("strong", {}, "Correction: "), a.body)),
      el("time", { datetime: m.sent_at, title: fullWhen(m.sent_at) }, when(m.sent_at)));
  }));
}

async function loadThread(id) {
  const c = await api("GET", `/api/v1/conversations/${id}`);
  if (state.open !== id) return null;
  const thread = document.getElementById("thread");
  const before = thread.children.length;
  renderMessages(thread, c);
  document.getElementById("thread-status").textContent = `${topicLabel(c.topic)} · ${STATUS_TEXT[c.status]}`;
  document.getElementById("closed-note").hidden = c.status !== "closed";
  state.thread = c;
  renderReplyBy();
  renderRating(c);
  const receipt = document.getElementById("receipt");
  clear(receipt);
  const r = readReceipt(c.messages);
  if (r) receipt.append(r);
  if (before > 0 && c.messages.length > before) {
    const last = c.messages[c.messages.length - 1];
    if (last.sender.id !== state.me.id) announce(`New message from ${last.sender.display_name}`);
  }
  const hasUnread = c.messages.some((m) => m.sender.kind === "staff" && !m.read_by.some((r) => r.reader.id === state.me.id));
  if (hasUnread) await api("POST", `/api/v1/conversations/${id}/read`);
  return c;
}

async function showThread(id) {
  state.open = id;
  state.view = "thread";
  const shell = [
    el("p", {}, el("a", { href: "#/", class: "back" }, "← All messages")),
  ];
  clear(main).append(...shell, el("p", { class: "loading" }, "Loading…"));
  let c;
  try {
    c = await api("GET", `/api/v1/conversations/${id}`);
  } catch (e) {
    if (state.open !== id) return;
    setTitle("Not found");
    clear(main).append(...shell, el("h1", {}, "We couldn't find that conversation"),
      el("p", {}, "It may have been moved, or the link is not right. Your conversations are listed on the messages page."));
    return;
  }
  if (state.open !== id) return;
  setTitle(c.subject);
  const max = state.practice.message_max_chars;
  const errors = errorBox();
  const reply = el("textarea", { id: "reply", rows: 3, "aria-label": "Write a reply", "aria-describedby": "reply-count" });
  const count = counter(reply, max);
  count.node.id = "reply-count";
  const send = el("button", { type: "submit", class: "primary" }, "Send");
  const typing = throttle(() => api("POST", `/api/v1/conversations/${id}/typing`).catch(() => {}), 3000);
  reply.addEventListener("input", () => reply.value.trim() && typing());
  const form = el("form", { class: "reply", novalidate: true },
    el("label", { for: "reply", class: "visually-hidden" }, "Write a reply"),
    reply,
    el("div", { class: "form-foot" }, count.node, send),
    el("p", { class: "hint" }, "Not for emergencies: call 911, or 988 for a mental health crisis."),
    errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    if (!reply.value.trim()) return;
    if (count.length() > max) {
      errors.textContent = `Your message is ${count.length() - max} characters too long.`;
      errors.hidden = false;
      return;
    }
    send.disabled = true;
    try {
      await api("POST", `/api/v1/conversations/${id}/messages`, { body: reply.value });
      reply.value = "";
      count.update();
      await loadThread(id);
    } catch (e) {
      showError(errors, e);
    } finally {
      send.disabled = false;
    }
  });
  clear(main).append(...shell,
    el("h1", { class: "thread-title" }, c.subject),
    el("p", { id: "thread-status", class: "meta" }),
    el("p", { id: "reply-by", class: "notice reply-by", hidden: true }),
    el("ol", { id: "thread", class: "thread", "aria-label": "Messages", "aria-live": "polite" }),
    el("div", { id: "receipt" }),
    el("p", { id: "typing", class: "typing", "aria-live": "polite" }),
    el("p", { id: "closed-note", class: "notice", hidden: true }, "This conversation is closed. Writing again reopens it."),
    el("section", { id: "rating", class: "rating", "aria-labelledby": "rating-title", hidden: true }),
    form);
  await loadThread(id);
  document.getElementById("thread").lastElementChild?.scrollIntoView({ block: "nearest" });
}

// ---- Rating a closed conversation -----------------------------------------

/** Once the conversation is closed: "How did we do?" (once), then the rating given. */
function renderRating(c) {
  const node = document.getElementById("rating");
  if (!node) return;
  const key = c.status !== "closed" ? "" : c.rating ? `rated-${c.rating.score}` : "unrated";
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
    if (event.target.name === "rating-score") errors.hidden = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    const picked = form.querySelector('input[name="rating-score"]:checked');
    if (!picked) {
      errors.textContent = "Choose a score from 1 to 5.";
      errors.hidden = false;
      form.querySelector('input[name="rating-score"]').focus();
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
      showError(errors, e);
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

// ---- Routing and live updates --------------------------------------------

async function route() {
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/c/")) await showThread(hash.slice(4));
    else if (hash === "#/new") showCompose();
    else await showList();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    clear(main).append(el("p", { class: "error", role: "alert" }, e.message || "Something went wrong."));
  }
  main.focus({ preventScroll: true });
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
