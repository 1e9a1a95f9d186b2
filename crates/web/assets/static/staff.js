// The staff inbox: views with live counts, a list sorted by what needs
// attention, the conversation with the patient's context and internal
// notes, and keyboard shortcuts for working through the queue.
import {
  ApiError, announce, api, age, clear, counter, el, fullWhen, live, signOut, throttle, topicLabel, when,
} from "./common.js";

const VIEWS = [
  ["needs_response", "Needs response"],
  ["awaiting_patient", "Awaiting patient"],
  ["unread", "Unread"],
  ["assigned_to_me", "Assigned to me"],
  ["my_team", "My team"],
  ["urgent", "Urgent"],
  ["closed", "Closed"],
];

const STATUS_TEXT = {
  needs_staff_response: "Needs response",
  awaiting_patient: "Awaiting patient",
  closed: "Closed",
};

const state = {
  me: null,
  practice: null,
  staff: [],
  view: "needs_response",
  rows: [],
  selected: -1,
  open: null,
  conversation: null,
  counts: {},
  typingTimer: null,
};

const $ = (id) => document.getElementById(id);

// ---- Views and counts ----------------------------------------------------

function renderViews() {
  clear($("views")).append(...VIEWS.map(([code, label], i) => {
    const n = state.counts[code];
    return el("li", {},
      el("button", {
        type: "button",
        class: `view${code === state.view ? " active" : ""}${code === "urgent" && n > 0 ? " alert" : ""}`,
        "aria-current": code === state.view ? "page" : false,
        "aria-keyshortcuts": String(i + 1),
        onclick: () => setView(code),
      },
      el("span", {}, label),
      el("span", { class: "count", "aria-label": `${n ?? 0} conversations` }, n === undefined ? "" : String(n))));
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

function rowNode(c, index) {
  const unread = c.unread_count > 0;
  const urgent = c.priority === "urgent";
  const classes = ["row", unread && "unread", urgent && "urgent", c.id === state.open && "open", index === state.selected && "selected"]
    .filter(Boolean).join(" ");
  return el("li", {},
    el("button", { type: "button", class: classes, dataset: { id: c.id }, "aria-current": c.id === state.open ? "true" : false, onclick: () => openConversation(c.id) },
      el("span", { class: "row-top" },
        unread ? el("span", { class: "dot", "aria-hidden": "true" }) : null,
        unread ? el("span", { class: "visually-hidden" }, `Unread (${c.unread_count}): `) : null,
        el("span", { class: "patient" }, c.patient.display_name),
        urgent ? el("span", { class: "tag urgent" }, "Urgent") : null,
        el("time", { class: "age", datetime: c.last_activity_at, title: fullWhen(c.last_activity_at) }, age(c.last_activity_at))),
      el("span", { class: "row-subject" }, c.subject),
      el("span", { class: "row-meta" }, `${topicLabel(c.topic)} · ${c.assignee ? c.assignee.display_name : "Unassigned"}`)));
}

function renderRows() {
  const list = $("rows");
  clear(list).append(...state.rows.map(rowNode));
  $("list-empty").hidden = state.rows.length > 0;
  const label = VIEWS.find(([code]) => code === state.view)?.[1] ?? "Inbox";
  $("list-title").textContent = label;
}

async function loadRows() {
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
        el("time", { datetime: n.created_at, title: fullWhen(n.created_at) }, when(n.created_at)));
    }
    const m = item.m;
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
    return el("li", { class: fromPatient ? "bubble theirs" : "bubble mine" },
      el("span", { class: "who" }, m.sender.display_name),
      el("p", { class: "text" }, m.body),
      m.amendments.map((a) => el("p", { class: "amendment" }, el("strong", {}, `Correction by ${a.author.display_name}: `), a.body)),
      el("span", { class: "bubble-foot" },
        el("time", { datetime: m.sent_at, title: fullWhen(m.sent_at) }, when(m.sent_at)), receipt));
  });
}

function contextPanel(c) {
  const p = c.patient;
  return el("dl", { class: "context", "aria-label": "Patient" },
    el("dt", {}, "Patient"), el("dd", {}, p.display_name),
    el("dt", {}, "Date of birth"), el("dd", {}, p.birth_date ?? "—"),
    el("dt", {}, "Care team"), el("dd", {}, p.care_team ?? "—"),
    el("dt", {}, "Department"), el("dd", {}, p.department ?? "—"));
}

function composer({ id, label, button, cls, max, path, onSent, typing }) {
  const box = el("textarea", { id, rows: 3, class: cls });
  const count = counter(box, max);
  const errors = el("p", { class: "error", role: "alert", hidden: true });
  const send = el("button", { type: "submit", class: cls === "note-input" ? "secondary" : "primary" }, button);
  const form = el("form", { class: `composer ${cls}`, novalidate: true },
    el("label", { for: id }, label), box, el("div", { class: "form-foot" }, count.node, send), errors);
  if (typing) box.addEventListener("input", () => box.value.trim() && typing());
  const submit = async () => {
    errors.hidden = true;
    if (!box.value.trim()) return;
    if (count.length() > max) {
      errors.textContent = `That is ${count.length() - max} characters too long.`;
      errors.hidden = false;
      return;
    }
    send.disabled = true;
    try {
      await api("POST", path, { body: box.value });
      box.value = "";
      count.update();
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
  const c = await api("GET", `/api/v1/conversations/${state.open}`);
  if (c.id !== state.open) return;
  const before = state.conversation?.messages.length ?? 0;
  state.conversation = c;
  clear($("timeline")).append(...timeline(c));
  $("detail-status").textContent = STATUS_TEXT[c.status];
  $("detail-status").className = `tag ${c.status}`;
  $("toggle-open").textContent = c.status === "closed" ? "Reopen" : "Close";
  $("assignee").value = c.assignee ? c.assignee.id : "";
  if (c.messages.length > before && before > 0) {
    const last = c.messages[c.messages.length - 1];
    if (last.sender.kind === "patient") announce(`New message from ${last.sender.display_name}`);
  }
  if (c.messages.some((m) => m.sender.kind === "patient" && !m.read_by.some((r) => r.reader.kind === "staff"))) {
    await api("POST", `/api/v1/conversations/${c.id}/read`);
  }
}

async function openConversation(id) {
  state.open = id;
  state.selected = state.rows.findIndex((r) => r.id === id);
  if (!location.hash.endsWith(`/c/${id}`)) history.replaceState(null, "", `#/${state.view}/c/${id}`);
  renderRows();
  const pane = $("conversation");
  let c;
  try {
    c = await api("GET", `/api/v1/conversations/${id}`);
  } catch (e) {
    if (state.open !== id) return;
    clear(pane).append(el("h2", {}, "Not found"), el("p", { class: "muted" }, "This conversation is not in your inbox."));
    return;
  }
  if (state.open !== id) return;
  state.conversation = c;
  document.title = `${c.patient.display_name} · Inbox · Switchboard`;
  const max = state.practice.message_max_chars;
  const assignee = el("select", { id: "assignee", "aria-label": "Assigned to" },
    el("option", { value: "" }, "Unassigned"),
    state.staff.map((s) => el("option", { value: s.id }, s.display_name)));
  assignee.value = c.assignee ? c.assignee.id : "";
  assignee.addEventListener("change", async () => {
    try {
      await api("POST", `/api/v1/conversations/${id}/assign`, { assignee_id: assignee.value || null });
      announce(assignee.value ? `Assigned to ${assignee.selectedOptions[0].textContent}` : "Unassigned");
      await Promise.all([loadRows(), loadCounts()]);
    } catch (e) {
      announce(e.message);
    }
  });
  const toggle = el("button", { type: "button", id: "toggle-open", class: "secondary", "aria-keyshortcuts": "e", onclick: () => toggleOpen() },
    c.status === "closed" ? "Reopen" : "Close");
  const typing = throttle(() => api("POST", `/api/v1/conversations/${id}/typing`).catch(() => {}), 3000);
  const after = async () => {
    await refreshOpen();
    await Promise.all([loadRows(), loadCounts()]);
  };
  clear(pane).append(
    el("header", { class: "detail-head" },
      el("h2", { id: "detail-title" }, c.subject),
      el("p", { class: "detail-tags" },
        el("span", { id: "detail-status", class: `tag ${c.status}` }, STATUS_TEXT[c.status]),
        c.priority === "urgent" ? el("span", { class: "tag urgent" }, "Urgent") : null,
        el("span", { class: "tag topic" }, topicLabel(c.topic)))),
    contextPanel(c),
    el("div", { class: "actions" },
      el("label", { for: "assignee" }, "Assigned to"), assignee, toggle),
    el("ol", { id: "timeline", class: "thread", "aria-label": "Messages and notes", "aria-live": "polite" }, timeline(c)),
    el("p", { id: "typing", class: "typing", "aria-live": "polite" }),
    composer({
      id: "reply-box", label: "Reply to the patient", button: "Send reply", cls: "reply-input", max,
      path: `/api/v1/conversations/${id}/messages`, onSent: after, typing,
    }),
    composer({
      id: "note-box", label: "Internal note (staff only, never shown to the patient)", button: "Add note", cls: "note-input",
      max: 10000, path: `/api/v1/conversations/${id}/notes`, onSent: after,
    }));
  $("timeline").lastElementChild?.scrollIntoView({ block: "nearest" });
  await refreshOpen();
  await Promise.all([loadRows(), loadCounts()]);
}

async function toggleOpen() {
  const c = state.conversation;
  if (!c) return;
  const action = c.status === "closed" ? "reopen" : "close";
  try {
    await api("POST", `/api/v1/conversations/${c.id}/${action}`);
    announce(action === "close" ? "Conversation closed" : "Conversation reopened");
    await refreshOpen();
    await Promise.all([loadRows(), loadCounts()]);
  } catch (e) {
    announce(e.message);
  }
}

async function nextNeedingResponse() {
  const data = await api("GET", "/api/v1/conversations?view=needs_response&sort=attention&limit=2");
  const next = data.conversations.find((c) => c.id !== state.open);
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

// ---- Keyboard ------------------------------------------------------------

function typingInField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function onKey(e) {
  if (e.key === "Escape" && typingInField(e.target)) {
    e.target.blur();
    return;
  }
  if (typingInField(e.target) || e.ctrlKey || e.metaKey || e.altKey || $("help").open) return;
  const actions = {
    n: () => nextNeedingResponse(),
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    Enter: () => state.rows[state.selected] && openConversation(state.rows[state.selected].id),
    r: () => $("reply-box")?.focus(),
    i: () => $("note-box")?.focus(),
    a: () => $("assignee")?.focus(),
    e: () => toggleOpen(),
    "?": () => $("help").showModal(),
  };
  const index = Number(e.key);
  if (Number.isInteger(index) && index >= 1 && index <= VIEWS.length) {
    e.preventDefault();
    setView(VIEWS[index - 1][0]);
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
  const [, view, , id] = (location.hash || "#/needs_response").slice(1).split("/");
  state.view = VIEWS.some(([code]) => code === view) ? view : "needs_response";
  renderViews();
  await loadRows();
  if (id && id !== state.open) await openConversation(id);
  else if (!id && state.open && !state.rows.some((r) => r.id === state.open)) {
    // Keep the open conversation even if it left this view.
  }
}

let pending = null;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    Promise.all([loadRows(), loadCounts()]).catch(() => {});
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
  $("sign-out").addEventListener("click", signOut);
  $("next-needing").addEventListener("click", () => nextNeedingResponse());
  $("show-help").addEventListener("click", () => $("help").showModal());
  state.me = await api("GET", "/api/v1/me");
  if (state.me.kind !== "staff") {
    location.replace("/app");
    return;
  }
  $("whoami").textContent = state.me.display_name;
  const [practice, staff] = await Promise.all([api("GET", "/api/v1/practice"), api("GET", "/api/v1/staff")]);
  state.practice = practice;
  state.staff = staff;
  $("practice-name").textContent = practice.name;
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", () => route().catch(() => {}));
  await Promise.all([loadCounts(), route()]);
  live({ typing: showTyping, any: onEvent, resync: () => onEvent({}) });
  setInterval(() => renderRows(), 60000); // keep the ages current
  document.body.dataset.ready = "true";
}

boot().catch(() => {});
