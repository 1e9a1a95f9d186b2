// Starting a demo server and driving Debian's Chromium with playwright-core.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, "..", "..");
export const PASSWORD = "switchboard-demo";

/** The Python of `.ci/peers` (the API suite makes its venv in target/). */
export function peersPython() {
  const venv = join(repo, "target", "peers-venv", "bin", "python");
  return process.env.SWITCHBOARD_PEERS_PYTHON || (existsSync(venv) ? venv : "python3");
}

/**
 * Starts `switchboard demo` on a free port in a fresh directory.
 * `demoArgs` go after `demo`, such as `["--history-weeks", "4"]` for weeks
 * of synthetic past conversations (the analytics pages' data); `env` adds
 * settings, such as `{ SWITCHBOARD_NOTICE_COALESCING_SECS: "0" }`.
 */
export async function startServer({ demoArgs = [], env = {} } = {}) {
  const bin = process.env.SWITCHBOARD_BIN || join(repo, "target", "debug", "switchboard");
  const dir = mkdtempSync(join(tmpdir(), "switchboard-browser-"));
  const child = spawn(bin, ["--data-dir", dir, "--addr", "127.0.0.1:0", "demo", ...demoArgs], {
    env: { ...process.env, RUST_LOG: "warn", SWITCHBOARD_MASTER_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/Switchboard demo: (https:\/\/[^\s/]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium, headless. With `serviceWorkers`, it trusts the test server's
 * self-signed certificate, without which it registers no service worker
 * (the context's `ignoreHTTPSErrors` does not change that): only for the
 * tests of the worker, so that the others see the pages as they are.
 */
export async function launchBrowser({ serviceWorkers = false } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic", ...(serviceWorkers ? ["--ignore-certificate-errors"] : [])],
  });
}

/**
 * A fresh browser context (its own cookies) that records Content-Security-Policy
 * violations and page errors, which every test then checks are empty.
 */
export async function newPage(browser, { mobile = false, width = null, timezoneId = "America/New_York" } = {}) {
  // `width` picks one of the widths screens are judged at (390 a phone,
  // 820 a tablet, 1440 a desktop); without it, 360 or 1366.
  const w = width ?? (mobile ? 360 : 1366);
  const phone = mobile || w < 600;
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: w, height: phone ? 780 : w < 1000 ? 1100 : 900 },
    deviceScaleFactor: 1,
    isMobile: phone,
    hasTouch: phone,
    timezoneId,
    locale: "en-US",
  });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // The test server's certificate is self-signed: Chromium refuses to
    // register the service worker over it, which is expected here. A test
    // context is incognito, where Chromium has no push service and says so
    // when a page subscribes (the page says it in its own words).
    if (m.type() === "error" && !/Failed to load resource|service ?worker|SSL certificate|fetching the script|Push API in incognito/i.test(m.text())) {
      page.problems.push(`console: ${m.text()}`);
    }
    if (/Content Security Policy/i.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  return page;
}

export async function signIn(page, base, username) {
  await page.goto(`${base}/`);
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  // Exactly: at https://localhost the page also offers "Sign in with a passkey".
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/(app|inbox|admin|audit)/);
  await page.locator("body[data-ready]").waitFor();
}

const axeSource = readFileSync(join(repo, "browser-tests", "node_modules", "axe-core", "axe.min.js"), "utf8");

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/**
 * Saves a screenshot to docs/screenshots when SCREENSHOTS=1: the whole page
 * on a phone, the window on a desktop, scrolled to the top; or, given an
 * `element` (a locator), just that part of the page.
 */
export async function screenshot(page, name, { element = null, asScrolled = false } = {}) {
  if (process.env.SCREENSHOTS !== "1") return;
  const dir = join(repo, "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  // `asScrolled`: the screen as the user sees it now (a thread scrolled to
  // its newest message, with the reply box pinned below it).
  if (asScrolled) {
    await page.screenshot({ path: join(dir, `${name}.png`) });
    return;
  }
  const mobile = page.viewportSize().width < 600;
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    for (const pane of document.querySelectorAll(".detail-pane, .list-pane")) pane.scrollTop = 0;
    document.activeElement?.blur();
  });
  if (element) await element.screenshot({ path: join(dir, `${name}.png`) });
  else await page.screenshot({ path: join(dir, `${name}.png`), fullPage: mobile });
}

/**
 * What one test file shares: a demo server (`demoArgs` and `env` as for
 * `startServer`) and a browser (`serviceWorkers` as for `launchBrowser`),
 * started before its tests and stopped after them. `suite.page(opts)` opens a fresh context (see `newPage`); at the end
 * every page opened must have logged no error and no CSP violation.
 */
export function browserSuite({ demoArgs = [], env = {}, serviceWorkers = false } = {}) {
  const suite = {
    server: null,
    browser: null,
    pages: [],
    async page(opts) {
      const p = await newPage(suite.browser, opts);
      suite.pages.push(p);
      return p;
    },
  };
  before(async () => {
    suite.server = await startServer({ demoArgs, env });
    suite.browser = await launchBrowser({ serviceWorkers });
  });
  after(async () => {
    for (const p of suite.pages) assert.deepEqual(p.problems, [], "no page errors or CSP violations");
    await suite.browser?.close();
    await suite.server?.stop();
  });
  return suite;
}

/** Waits until a page's script has drawn it (`body[data-ready]`). */
export async function ready(p) {
  await p.locator("body[data-ready]").waitFor({ timeout: 10000 });
}

/**
 * Opens the inbox's "Start a conversation" dialog (its key, `c`) and fills
 * it in: the patient found by `search` and chosen by `name`, the topic, the
 * subject and the message. Returns the dialog, not yet sent.
 */
export async function fillStartDialog(p, { search, name, topic, subject, message }) {
  await p.keyboard.press("c");
  const dialog = p.getByRole("dialog", { name: "Start a conversation with a patient" });
  await dialog.waitFor();
  await dialog.getByLabel("Patient", { exact: true }).fill(search);
  await dialog.getByLabel(name).check();
  await dialog.getByLabel("About").selectOption(topic);
  await dialog.getByLabel(/Subject/).fill(subject);
  await dialog.getByLabel("Message").fill(message);
  return dialog;
}

/** The patient writes a new message from the app's form; returns the conversation's id. */
export async function writeNewMessage(patient, base, subject, body, topic = "care_question") {
  await patient.goto(`${base}/app#/new`);
  await ready(patient);
  await patient.getByLabel("What is it about?").selectOption(topic);
  await patient.getByLabel("Subject").fill(subject);
  await patient.getByLabel("Your message").fill(body);
  await patient.getByRole("button", { name: "Send message" }).click();
  await patient.getByRole("heading", { name: subject }).waitFor();
  return patient.evaluate(() => location.hash.slice("#/c/".length));
}
