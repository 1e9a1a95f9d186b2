// @ts-check
// The page behind set-up, invitation and password-reset links
// (/welcome#token=…). The token sits in the fragment, so it never reaches
// the server's logs; this page takes it out of the address bar at once and
// sends it only in request bodies. /welcome#caregiver is where a caregiver
// who is not a patient of the practice makes an account with the code
// they were given.
import { ApiError, api, birthDateParts, clear, el, errorText, problem, takeLinkToken } from "./common.js";
import { termsText } from "./patient-terms.js";

const box = document.getElementById("link-card");

const caregiverCode = location.hash === "#caregiver";
let token = takeLinkToken();

const PASSWORD_HINT = "At least 15 characters, any you like, spaces too. A few unrelated words make a good one. "
  + "Not a common password, your name or user name.";
const USERNAME_HINT = "3 to 64 characters: lower-case letters, numbers and . _ - @. You will use it to sign in.";
const DATE_HINT = "For example: 3 12 1984";

/** Replaces what the card shows, and moves focus to its heading. */
function show(title, ...children) {
  const heading = el("h1", { id: "welcome-title", tabindex: "-1" }, title);
  clear(box).append(heading, ...children);
  heading.focus();
  document.body.dataset.ready = "true";
}

function showInvalid(missing) {
  show("This link cannot be used",
    el("p", {}, missing
      ? "This page needs the whole link your practice gave you. Open the link again, or ask your practice for a new one."
      : "This link has expired or was already used. Ask your practice for a new one."),
    el("p", {}, el("a", { href: "/" }, "Go to the sign-in page")));
}

function showUnreachable(e) {
  show("Your link could not be checked",
    el("p", { class: "error", role: "alert" }, errorText(e)),
    el("button", { type: "button", class: "primary", onclick: () => start() }, "Try again"));
}

// ---- Fields --------------------------------------------------------------

/** A labelled input with its hint and its own error line. */
function field(id, label, attrs, hint) {
  const input = el("input", { id, name: id, ...attrs });
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const error = el("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true });
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return { node: el("div", { class: "field" }, el("label", { for: id }, label), hintNode, error, input), input, error, hint: hintNode };
}

/** Shows `text` as the field's error (or clears it), and ties it to the inputs. */
function setError(f, text) {
  f.error.textContent = text || "";
  f.error.hidden = !text;
  for (const input of f.inputs ?? [f.input]) {
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    const described = [f.hint?.id, text ? f.error.id : null].filter(Boolean).join(" ");
    if (described) input.setAttribute("aria-describedby", described);
    else input.removeAttribute("aria-describedby");
  }
}

/**
 * Shows each problem on its field and moves focus to the first; answers
 * whether there were any.
 * @param {any[][]} problems pairs of a field and what is wrong with it
 */
function showProblems(problems) {
  for (const [f, text] of problems) setError(f, text);
  problems[0]?.[0].input.focus();
  return problems.length > 0;
}

/** The date of birth as a field: the three boxes, a hint and an error line. */
function birthDateField() {
  const { parts, inputs } = birthDateParts();
  const hint = el("p", { class: "hint", id: "birth-hint" }, DATE_HINT);
  const error = el("p", { class: "field-error", id: "birth-error", role: "alert", hidden: true });
  for (const input of inputs) input.setAttribute("aria-describedby", "birth-hint");
  const node = el("fieldset", { class: "birth-date", "aria-describedby": "birth-hint" },
    el("legend", {}, "Your date of birth"), hint, error, el("div", { class: "date-parts" }, parts));
  return { node, inputs, input: inputs[0], error, hint };
}

/** "YYYY-MM-DD" from the three boxes, or the problem with them. */
function birthDate(f) {
  const [m, d, y] = f.inputs.map((i) => i.value.trim());
  if (!m || !d || !y) return { problem: "Enter your date of birth: month, day and year." };
  if (!/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(d) || !/^\d{4}$/.test(y)) {
    return { problem: "Enter the date of birth in numbers, with the year in full, for example 3 12 1984." };
  }
  const [month, day, year] = [Number(m), Number(d), Number(y)];
  const date = new Date(year, month - 1, day);
  if (month < 1 || month > 12 || date.getMonth() !== month - 1 || date.getDate() !== day) {
    return { problem: "That date does not exist. Check the month and the day." };
  }
  if (year < 1900 || date > new Date()) return { problem: "Check the year of your date of birth." };
  return { value: `${y}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}` };
}

/** The server's refusal of one field, in words for people. */
function problemText(e) {
  if (e.field === "birth_date" && /does not match/.test(e.message)) {
    return "This date of birth does not match our records. Check it and try again. After a few wrong tries the link stops working.";
  }
  return problem(e);
}

/**
 * The practice's messaging terms with the box to tick; `version` is the
 * version shown (sent back as the one accepted).
 */
function termsField(terms) {
  const input = el("input", { id: "accept-terms", name: "accept-terms", type: "checkbox" });
  const error = el("p", { class: "field-error", id: "accept-terms-error", role: "alert", hidden: true });
  const box = el("div", { class: "terms-box" }, termsText(terms.text));
  const node = el("fieldset", { class: "terms-field" },
    el("legend", {}, "Messaging terms"),
    box,
    error,
    el("div", { class: "terms-accept" }, input,
      el("label", { for: "accept-terms" }, "I have read and accept these terms")));
  const f = { node, input, error, hint: null, version: terms.version };
  /** Shows new terms (they changed while the patient read). */
  f.replace = (fresh) => {
    clear(box).append(termsText(fresh.text));
    f.version = fresh.version;
    input.checked = false;
  };
  return f;
}

// ---- The form ------------------------------------------------------------

function intro(info) {
  if (info.purpose === "invitation") {
    return {
      title: `${info.practice_name} invites you to message your care team securely`,
      lead: [el("p", {}, "First, confirm your date of birth, so we know this link reached you. Then choose the user name and password you will sign in with.")],
      button: "Enroll",
    };
  }
  if (info.purpose === "reset") {
    return {
      title: `Choose a new password for ${info.username}`,
      lead: [el("p", {}, `Your account at ${info.practice_name}.`),
        el("p", { class: "notice" }, "When you set it, you are signed out everywhere else you are signed in to Switchboard.")],
      button: "Set new password",
    };
  }
  return {
    title: `Welcome to ${info.practice_name}`,
    lead: [el("p", { class: "lead" }, "Choose a password for ", el("strong", {}, info.username), ".")],
    button: "Set password",
  };
}

function showForm(info) {
  const { title, lead, button } = intro(info);
  const fields = {};
  if (info.asks_birth_date) fields.birth_date = birthDateField();
  if (info.asks_username) {
    fields.username = field("new-username", "Choose a user name",
      { autocomplete: "username", autocapitalize: "none", spellcheck: "false", maxlength: 64 }, USERNAME_HINT);
  }
  fields.password = field("new-password", info.purpose === "invitation" ? "Choose a password" : "New password",
    { type: "password", autocomplete: "new-password", maxlength: 1024 }, PASSWORD_HINT);
  fields.confirm = field("confirm-password", "Type the password again", { type: "password", autocomplete: "new-password", maxlength: 1024 });
  if (info.terms) fields.terms_version = termsField(info.terms);
  const reveal = el("input", { id: "show-passwords", type: "checkbox" });
  reveal.addEventListener("change", () => {
    for (const f of [fields.password, fields.confirm]) f.input.type = reveal.checked ? "text" : "password";
  });
  const formError = el("p", { class: "error", id: "welcome-error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, button);
  const form = el("form", { id: "welcome-form", novalidate: true },
    // For password managers: which account this password belongs to.
    info.username ? el("input", { type: "text", name: "username", autocomplete: "username", value: info.username, hidden: true }) : null,
    Object.values(fields).map((f) => f.node),
    el("div", { class: "check" }, reveal, el("label", { for: "show-passwords" }, "Show the passwords")),
    formError,
    submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    redeem(info, fields, formError, submit);
  });
  show(title, ...lead, form);
}

async function redeem(info, fields, formError, submit) {
  for (const f of Object.values(fields)) setError(f, "");
  formError.hidden = true;
  const problems = [];
  const body = { token };
  if (fields.birth_date) {
    const date = birthDate(fields.birth_date);
    if (date.problem) problems.push([fields.birth_date, date.problem]);
    else body.birth_date = date.value;
  }
  if (fields.username) {
    body.username = fields.username.input.value.trim();
    if (!body.username) problems.push([fields.username, "Choose a user name."]);
  }
  body.password = fields.password.input.value;
  if (!body.password) problems.push([fields.password, "Choose a password."]);
  else if (fields.confirm.input.value !== body.password) {
    problems.push([fields.confirm, "The two passwords are not the same. Type the same password twice."]);
  }
  if (fields.terms_version) {
    if (fields.terms_version.input.checked) body.terms_version = fields.terms_version.version;
    else problems.push([fields.terms_version, "Read the messaging terms and tick the box to accept them."]);
  }
  if (showProblems(problems)) return;
  submit.disabled = true;
  try {
    await api("POST", "/api/v1/links/redeem", body);
  } catch (e) {
    submit.disabled = false;
    await refused(e, fields, formError);
    return;
  }
  token = null;
  showDone(info, body.username);
}

async function refused(e, fields, formError) {
  if (e instanceof ApiError && e.code === "link_invalid") {
    showInvalid(false);
    return;
  }
  if (e instanceof ApiError && e.field === "terms_version" && fields.terms_version) {
    // The practice published new terms while the patient read: show those.
    const fresh = /changed/.test(e.message) ? await api("POST", "/api/v1/links/inspect", { token }).catch(() => null) : null;
    if (fresh?.terms) fields.terms_version.replace(fresh.terms);
    setError(fields.terms_version, fresh?.terms
      ? "Your practice has updated its messaging terms. Read the new terms above and tick the box to accept them."
      : problemText(e));
    fields.terms_version.input.focus();
    return;
  }
  showRefusal(e, fields, formError, problemText);
}

/**
 * The server's refusal of a form: on the field it names (a taken user
 * name on the user name, in `words` for the rest), else under the form.
 * @param {any} e
 * @param {Record<string, any>} fields
 * @param {HTMLElement} formError
 * @param {(e: ApiError) => string} words
 */
function showRefusal(e, fields, formError, words) {
  const target = e instanceof ApiError && e.status === 409 && fields.username ? fields.username
    : e instanceof ApiError && e.field ? fields[e.field] : null;
  if (target) {
    setError(target, e.status === 409 ? "That user name is already taken. Choose another one." : words(e));
    target.input.focus();
    return;
  }
  formError.textContent = e instanceof ApiError && e.code === "too_many_attempts"
    ? "Too many tries. Please wait a moment and try again."
    : errorText(e);
  formError.hidden = false;
}

function showDone(info, username) {
  const signIn = el("a", { href: "/", class: "button primary" }, "Sign in");
  if (info.purpose === "invitation") {
    show("You are enrolled",
      el("p", {}, `You can now sign in as `, el("strong", {}, username), ` and message your care team at ${info.practice_name}.`),
      el("div", { class: "emergency", role: "note" },
        el("strong", {}, "Messages are not for emergencies. "),
        "In an emergency, call 911. For thoughts of suicide, call or text 988. Do not wait for a reply."),
      signIn);
    return;
  }
  show("Your password is set",
    el("p", {}, "Sign in as ", el("strong", {}, info.username), " with your new password."),
    info.purpose === "reset" ? el("p", {}, "You have been signed out everywhere else.") : null,
    signIn);
}

// ---- Start ---------------------------------------------------------------

// ---- A caregiver's code -------------------------------------------------

function showCaregiverForm() {
  const fields = {
    code: field("caregiver-code", "Your caregiver code",
      { autocomplete: "off", autocapitalize: "none", spellcheck: "false", maxlength: 32 },
      "Twelve letters and numbers, for example abcd-efgh-jkmn, from the patient or the practice."),
    given_name: field("given-name", "Your first name", { autocomplete: "given-name", maxlength: 100 }),
    family_name: field("family-name", "Your last name", { autocomplete: "family-name", maxlength: 100 }),
    username: field("new-username", "Choose a user name",
      { autocomplete: "username", autocapitalize: "none", spellcheck: "false", maxlength: 64 }, USERNAME_HINT),
    password: field("new-password", "Choose a password", { type: "password", autocomplete: "new-password", maxlength: 1024 }, PASSWORD_HINT),
    confirm: field("confirm-password", "Type the password again", { type: "password", autocomplete: "new-password", maxlength: 1024 }),
  };
  const formError = el("p", { class: "error", id: "welcome-error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Make my account");
  const form = el("form", { id: "caregiver-form", novalidate: true },
    Object.values(fields).map((f) => f.node), formError, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) setError(f, "");
    formError.hidden = true;
    const body = {
      code: fields.code.input.value.trim(),
      given_name: fields.given_name.input.value.trim(),
      family_name: fields.family_name.input.value.trim(),
      username: fields.username.input.value.trim(),
      password: fields.password.input.value,
    };
    /** @type {[ReturnType<typeof field>, string][]} */
    const problems = [];
    if (!body.code) problems.push([fields.code, "Enter the code you were given."]);
    if (!body.given_name) problems.push([fields.given_name, "Enter your first name."]);
    if (!body.family_name) problems.push([fields.family_name, "Enter your last name."]);
    if (!body.username) problems.push([fields.username, "Choose a user name."]);
    if (!body.password) problems.push([fields.password, "Choose a password."]);
    else if (fields.confirm.input.value !== body.password) {
      problems.push([fields.confirm, "The two passwords are not the same. Type the same password twice."]);
    }
    if (showProblems(problems)) return;
    submit.disabled = true;
    try {
      await api("POST", "/api/v1/caregiver-accounts", body);
    } catch (e) {
      submit.disabled = false;
      showRefusal(e, fields, formError, (err) => err.field === "code"
        ? "This code cannot be used: it may be mistyped, used already or expired. Check it, or ask for a new one."
        : problem(err));
      return;
    }
    show("Your account is ready",
      el("p", {}, "Sign in as ", el("strong", {}, body.username), " to read and send messages for the person who gave you the code."),
      el("p", {}, "Everything you send shows your name and theirs."),
      el("div", { class: "emergency", role: "note" },
        el("strong", {}, "Messages are not for emergencies. "),
        "In an emergency, call 911. For thoughts of suicide, call or text 988. Do not wait for a reply."),
      el("a", { href: "/", class: "button primary" }, "Sign in"));
  });
  show("Set up your caregiver account",
    el("p", {}, "For someone helping a patient with their messages who is not a patient of the practice themselves. "
      + "If you are a patient there too, sign in and enter the code under Settings instead."),
    form);
}

async function start() {
  if (caregiverCode) {
    showCaregiverForm();
    return;
  }
  if (!token) {
    showInvalid(true);
    return;
  }
  /**
   * What the link is for (`LinkInfoDto` in routes/accounts.rs).
   * @type {{ purpose: string, practice_name: string, asks_birth_date: boolean, asks_username: boolean, username: string | null,
   *   terms: import("./patient-terms.js").Terms | null }}
   */
  let info;
  try {
    info = await api("POST", "/api/v1/links/inspect", { token });
  } catch (e) {
    if (e instanceof ApiError && (e.code === "link_invalid" || e.status === 410)) showInvalid(false);
    else showUnreachable(e);
    return;
  }
  showForm(info);
}

start();
