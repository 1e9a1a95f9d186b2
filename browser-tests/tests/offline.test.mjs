// The patient app offline: the service worker's list of the app's files
// holds every file the page and its modules load (a module missing from it
// fails the whole app offline), and with the server gone the app's code
// still loads, from the worker's cache, and runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { browserSuite, ready, repo, signIn } from "./helpers.mjs";

const assets = join(repo, "crates", "web", "assets");

/** The paths sw.js caches (its `SHELL` list). */
function shellList() {
  const sw = readFileSync(join(assets, "sw.js"), "utf8");
  const list = sw.match(/const SHELL = \[([^\]]*)\]/);
  assert.ok(list, "sw.js has a SHELL list");
  return [...list[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/** The static files app.html names (its partials included), and every module they import, transitively. */
function appFiles() {
  let html = readFileSync(join(assets, "app.html"), "utf8");
  html = html.replace(/<!--#include ([\w-]+)-->/g, (_, name) => readFileSync(join(assets, "partials", `${name}.html`), "utf8"));
  const direct = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  const found = new Set(direct);
  const queue = direct.filter((p) => p.endsWith(".js"));
  while (queue.length) {
    const path = queue.pop();
    const source = readFileSync(join(assets, path.slice(1)), "utf8");
    // Static imports only (`import … from "./x.js"`); JSDoc's import("./x.js") types load nothing.
    for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"\.\/([\w.-]+\.js)"/g)) {
      const dep = `/static/${m[1]}`;
      if (!found.has(dep)) {
        found.add(dep);
        queue.push(dep);
      }
    }
  }
  return [...found].sort();
}

test("the worker caches the app's page and every file it loads, its modules' imports included", () => {
  const shell = shellList();
  const files = appFiles();
  assert.ok(files.includes("/static/patient.js") && files.includes("/static/common.js"), `found: ${files}`);
  const missing = ["/app", ...files].filter((f) => !shell.includes(f));
  assert.deepEqual(missing, [], "files the app loads that would not load offline");
});

const suite = browserSuite({ serviceWorkers: true });

test("with the server gone, the app's code loads from the worker's cache and runs", async () => {
  const p = await suite.page({ width: 390 });
  const origin = suite.server.url;
  await signIn(p, origin, "alice");
  await p.goto(`${origin}/app#/`);
  await p.evaluate(() => navigator.serviceWorker.ready);
  // Once it controls the page it is active: installing, it cached the list.
  await p.reload();
  await ready(p);
  await p.waitForFunction(() => Boolean(navigator.serviceWorker.controller), null, { timeout: 10000 });

  // Offline for real: the server stops (the suite then has none to stop).
  await suite.server.stop();
  suite.server = null;
  const failed = [];
  p.on("requestfailed", (r) => failed.push(new URL(r.url()).pathname));
  const asked = p.waitForRequest((r) => new URL(r.url()).pathname === "/api/v1/me", { timeout: 10000 });
  await p.reload();
  // The app's code ran (every module loaded): it asks who is signed in,
  // which cannot be answered offline.
  await asked;
  await p.locator("#main").waitFor();
  assert.equal(await p.locator(".brand").count(), 1, "the page's own markup is there");
  const own = failed.filter((path) => path === "/app" || path.startsWith("/static/"));
  assert.deepEqual(own, [], "every file of the app came from the cache");
});
