// @ts-check
// Switchboard's service worker: makes the patient app installable and lets
// its shell load offline. It caches only the app's own static files, never
// an API response: health information is never kept on the device.
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = "switchboard-shell-v1";
const SHELL = [
  "/app",
  "/static/switchboard.css",
  "/static/common.js",
  "/static/patient.js",
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
