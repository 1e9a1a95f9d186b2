// @ts-check
// Switchboard's service worker: makes the patient app installable and lets
// its shell load offline, and shows the notifications the server pushes
// (patients: a reply is waiting; staff: an alert). It caches only the app's
// own static files, never an API response: health information is never
// kept on the device. A pushed notification carries none either: the
// practice's name, fixed words and the page to open.
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = "switchboard-shell-v4";
// The app's page and every file it loads, the modules patient.js imports
// included: offline, a module missing from here fails the whole app.
// (browser-tests/tests/offline.test.mjs checks the list against the imports.)
const SHELL = [
  "/app",
  "/static/switchboard.css",
  "/static/common.js",
  "/static/patient.js",
  "/static/attachments.js",
  "/static/patient-secure.js",
  "/static/patient-terms.js",
  "/static/patient-caregivers.js",
  "/static/sessions.js",
  "/static/icon.svg",
  "/static/icon-192.png",
];

worker.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => worker.skipWaiting()));
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== worker.location.origin || !SHELL.includes(url.pathname)) {
    return; // the network, untouched: every API call, every other page
  }
  // Network first, so a new version is used at once; the cache when offline.
  event.respondWith(
    fetch(event.request)
      .then((res) => {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(event.request, copy));
        return res;
      })
      .catch(() => caches.match(event.request)),
  );
});

// ---- Notifications ----------------------------------------------------------

/**
 * What is shown when a push carries no payload, or one that is not ours
 * (not JSON, missing words): fixed words, never anything from the push.
 */
const GENERIC = { title: "Switchboard", body: "You have a new secure message.", path: "/app", tag: "switchboard" };

/** Bounds that any of the server's fixed wordings fits well within. */
const MAX_TITLE = 200;
const MAX_BODY = 500;
const MAX_TAG = 100;

/** A non-empty string of at most `max` characters, else null. */
function text(value, max) {
  return typeof value === "string" && value.trim() !== "" && value.length <= max ? value : null;
}

/**
 * The page a notification opens, always on this origin: only the path and
 * the fragment of `raw` are kept, so a payload can never send anyone to
 * another site (a whole URL elsewhere, or a "//host" path, stays here).
 * @param {unknown} raw
 * @returns {string} an absolute URL on this origin
 */
function pageOf(raw) {
  const target = new URL(worker.location.origin);
  let path = GENERIC.path;
  let hash = "";
  if (typeof raw === "string" && raw !== "") {
    try {
      const given = new URL(raw, worker.location.origin);
      path = given.pathname.replace(/^\/+/, "/");
      hash = given.hash;
    } catch {
      // Not a URL: the app's start page.
    }
  }
  target.pathname = path;
  target.hash = hash;
  return target.href;
}

/**
 * The notification to show for a push's data: the server's words when the
 * payload is well formed, else the generic ones.
 * @param {PushMessageData | null} data
 */
function notice(data) {
  /** @type {any} */
  let payload = null;
  try {
    payload = data ? data.json() : null;
  } catch {
    payload = null;
  }
  const title = payload && typeof payload === "object" ? text(payload.title, MAX_TITLE) : null;
  const body = payload && typeof payload === "object" ? text(payload.body, MAX_BODY) : null;
  if (!title || !body) {
    return { title: GENERIC.title, body: GENERIC.body, tag: GENERIC.tag, url: pageOf(GENERIC.path) };
  }
  return { title, body, tag: text(payload.tag, MAX_TAG) ?? GENERIC.tag, url: pageOf(payload.url) };
}

worker.addEventListener("push", (event) => {
  const n = notice(event.data);
  event.waitUntil(worker.registration.showNotification(n.title, {
    body: n.body,
    tag: n.tag,
    icon: "/static/icon-192.png",
    data: { url: n.url },
  }));
});

/**
 * Opens `target` (on this origin): in a Switchboard window already open,
 * preferably one on the same page (the app, the inbox), navigated there and
 * focused; in a new window if there is none or it cannot be navigated.
 * @param {string} target
 */
async function openPage(target) {
  const wanted = new URL(target);
  const windows = (await worker.clients.matchAll({ type: "window", includeUncontrolled: true }))
    .filter((c) => new URL(c.url).origin === worker.location.origin);
  const best = windows.find((c) => new URL(c.url).pathname === wanted.pathname) ?? windows[0];
  if (best) {
    /** @type {WindowClient | null} */
    let client = best;
    if (best.url !== target) {
      // Only a window this worker controls can be navigated; null means it
      // ended up elsewhere, which cannot happen for a same-origin target.
      client = await best.navigate(target).catch(() => null);
    }
    if (client) {
      // Focusing may be refused (no user activation); the window is on the page either way.
      await client.focus().catch(() => {});
      return;
    }
  }
  await worker.clients.openWindow(target);
}

worker.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data;
  event.waitUntil(openPage(pageOf(data && typeof data === "object" ? data.url : null)));
});
