// Files in conversations, in a real browser: a patient on a phone attaches
// a photo (its upload's progress shown, its location removed and said so),
// sends it and sees its preview in the thread; files alone are a message; a
// nurse sees the photo, files it to the chart and finds it among the
// patient's documents; a refused file shows the server's words and keeps
// the draft; the front desk (the demo's documents pool) files a photo from
// the inbox's "To file" view. Screenshots at 390, 820 and 1440 pixels wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { browserSuite, ready, screenshot, seriousViolations, signIn } from "./helpers.mjs";

// One MiB a file, so that "too large" is quick to reach.
const suite = browserSuite({ env: { SWITCHBOARD_ATTACHMENTS__MAX_FILE_MIB: "1" } });
const page = (opts) => suite.page(opts);
const LIVE = { timeout: 10000 };
const files = mkdtempSync(join(tmpdir(), "switchboard-files-"));
after(() => rmSync(files, { recursive: true, force: true }));

/** A phone the size of an iPhone 14's screen. */
async function phone() {
  const p = await page({ width: 390 });
  await p.setViewportSize({ width: 390, height: 844 });
  return p;
}

async function noOverflow(p) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

async function noSerious(p, what) {
  assert.deepEqual(await seriousViolations(p), [], what);
}

/** The patient writes a new message; returns the conversation's id. */
async function write(patient, subject, body) {
  await patient.goto(`${suite.server.url}/app#/new`);
  await ready(patient);
  await patient.getByLabel("What is it about?").selectOption("care_question");
  await patient.getByLabel("Subject").fill(subject);
  await patient.getByLabel("Your message").fill(body);
  await patient.getByRole("button", { name: "Send message" }).click();
  await patient.getByRole("heading", { name: subject }).waitFor();
  return patient.evaluate(() => location.hash.slice("#/c/".length));
}

/**
 * A camera photo: a JPEG drawn on a canvas in the page, with an EXIF block
 * holding a GPS directory (a latitude), as a phone's camera writes one.
 */
async function photoWithLocation(p, name) {
  const base64 = await p.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext("2d");
    const sky = g.createLinearGradient(0, 0, 0, 480);
    sky.addColorStop(0, "#f3d9c6");
    sky.addColorStop(1, "#d9a98c");
    g.fillStyle = sky;
    g.fillRect(0, 0, 640, 480);
    g.fillStyle = "#c0504d";
    for (const [x, y, r] of [[300, 220, 60], [360, 260, 38], [250, 280, 30], [340, 180, 22]]) {
      g.beginPath();
      g.arc(x, y, r, 0, Math.PI * 2);
      g.fill();
    }
    return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
  });
  const jpeg = Buffer.from(base64, "base64");
  // TIFF, big-endian: IFD0 with one entry (the GPS directory's offset), then
  // the GPS directory: its version and a latitude.
  const tiff = Buffer.alloc(8 + 2 + 12 + 4 + 2 + 24 + 4);
  tiff.write("MM\0*", 0, "latin1");
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x8825, 10);
  tiff.writeUInt16BE(4, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18);
  tiff.writeUInt32BE(0, 22);
  tiff.writeUInt16BE(2, 26);
  tiff.writeUInt16BE(0x0000, 28);
  tiff.writeUInt16BE(1, 30);
  tiff.writeUInt32BE(4, 32);
  tiff.writeUInt32BE(0x02020000, 36);
  tiff.writeUInt16BE(0x0002, 40);
  tiff.writeUInt16BE(5, 42);
  tiff.writeUInt32BE(1, 44);
  tiff.writeUInt32BE(0, 48);
  tiff.writeUInt32BE(0, 52);
  const exif = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(exif.length + 2, 2);
  const path = join(files, name);
  writeFileSync(path, Buffer.concat([jpeg.subarray(0, 2), app1, exif, jpeg.subarray(2)]));
  return path;
}

/** Waits until every preview in `scope` has loaded; returns their natural widths. */
async function previewsLoaded(p, selector) {
  await p.locator(`${selector} img`).first().waitFor(LIVE);
  await p.waitForFunction((s) => [...document.querySelectorAll(`${s} img`)].every((i) => i.complete && i.naturalWidth > 0), selector, LIVE);
  return p.locator(`${selector} img`).evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
}

test("a patient sends a photo from her phone; a nurse sees it, files it to the chart and finds it among the documents", async () => {
  const alice = await phone();
  await signIn(alice, suite.server.url, "alice");
  await alice.goto(`${suite.server.url}/app#/new`);
  await ready(alice);
  // A new message has no conversation to put files in yet: the form says where they go.
  await alice.getByText("Photos and files: send your message first, then add them in the conversation that opens.").waitFor();
  const id = await write(alice, "Rash on my arm", "A rash came up on my forearm two days ago. It itches but does not hurt.");

  // The button opens the device's picker, for several files at once.
  const photo = await photoWithLocation(alice, "rash.jpg");
  await alice.getByLabel("Write a reply").fill("Here is a photo of it this morning.");
  // Slow the upload, so its progress is there to see.
  const cdp = await alice.context().newCDPSession(alice);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 16 * 1024 });
  const [chooser] = await Promise.all([alice.waitForEvent("filechooser"), alice.getByRole("button", { name: "Attach photo or file" }).click()]);
  assert.ok(chooser.isMultiple(), "several files at once");
  assert.match(await alice.locator("#reply-attach-input").getAttribute("accept"), /^image\/\*,application\/pdf,.*\.heic,\.heif$/);
  await chooser.setFiles(photo);
  const row = alice.locator(".pending-file", { hasText: "rash.jpg" });
  await row.getByRole("progressbar", { name: "Uploading rash.jpg" }).waitFor(LIVE);
  assert.match(await row.textContent(), /KB/);
  await row.getByText("Ready to send").waitFor(LIVE);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await row.getByText("Location information was removed from this photo before it was sent.").waitFor();
  await noOverflow(alice);
  await noSerious(alice, "the reply box with a file");
  await screenshot(alice, "patient-attach-ready-390", { asScrolled: true });

  await alice.getByRole("button", { name: "Send", exact: true }).click();
  const sent = alice.locator("#thread .bubble.mine", { hasText: "Here is a photo of it this morning." });
  await sent.waitFor(LIVE);
  assert.equal(await alice.locator(".pending-file").count(), 0, "the list empties once sent");
  assert.equal(await alice.getByLabel("Write a reply").inputValue(), "");
  const widths = await previewsLoaded(alice, "#thread .bubble.mine");
  assert.ok(widths.every((w) => w > 0), `previews loaded: ${widths}`);
  // The preview opens the whole photo.
  const link = sent.locator("a.attachment.photo");
  assert.equal(await link.getAttribute("href"), await link.evaluate((a) => new URL(a.href).pathname));
  assert.match(await link.getAttribute("href"), /^\/api\/v1\/attachments\/[0-9a-f-]{36}$/);
  assert.match(await sent.textContent(), /rash\.jpg.*Photo \(JPEG\)/s);
  await sent.getByText("Location information was removed from this photo before it was sent.").waitFor();
  // Her message, photo and all, scrolls into view above the reply box.
  await alice.waitForFunction(() => {
    const last = document.querySelector("#thread .bubble:last-child").getBoundingClientRect();
    const reply = document.querySelector("form.reply").getBoundingClientRect();
    return last.bottom <= reply.top + 1 && last.top >= 0;
  }, null, LIVE);
  await screenshot(alice, "patient-thread-attachment-390", { asScrolled: true });

  // Files alone are a message.
  const notes = join(files, "blood-pressure.txt");
  writeFileSync(notes, "Mon 128/82\nTue 131/85\nWed 126/80\n");
  await alice.locator("#reply-attach-input").setInputFiles(notes);
  await alice.locator(".pending-file", { hasText: "blood-pressure.txt" }).getByText("Ready to send").waitFor(LIVE);
  await alice.getByRole("button", { name: "Send", exact: true }).click();
  const only = alice.locator("#thread .bubble.mine", { hasText: "blood-pressure.txt" });
  await only.waitFor(LIVE);
  assert.match(await only.textContent(), /Text file · \d+ bytes/);
  assert.equal(await only.locator("p.text").count(), 0, "no empty text");
  await noOverflow(alice);
  await noSerious(alice, "the thread with files");

  for (const width of [820, 1440]) {
    const wide = await page({ width });
    await signIn(wide, suite.server.url, "alice");
    await wide.goto(`${suite.server.url}/app#/c/${id}`);
    await ready(wide);
    await previewsLoaded(wide, "#thread");
    await noOverflow(wide);
    // After the page's own smooth scroll to the newest message has ended.
    await wide.waitForFunction(() => new Promise((r) => {
      const y = scrollY;
      setTimeout(() => r(scrollY === y), 300);
    }));
    await wide.locator("#thread .bubble.mine", { hasText: "Here is a photo" }).evaluate((b) => b.scrollIntoView({ block: "center" }));
    await screenshot(wide, `patient-thread-attachment-${width}`, { asScrolled: true });
  }

  // The nurse sees the photo, files it to the chart, and finds it among the documents.
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/inbox#/needs_response/c/${id}`);
  await ready(nina);
  await nina.getByRole("heading", { name: "Rash on my arm" }).waitFor();
  assert.ok((await previewsLoaded(nina, "#timeline")).every((w) => w > 0));
  await screenshot(nina, "staff-attachment-to-file", { element: nina.locator("#timeline .bubble", { hasText: "Here is a photo" }) });
  await nina.getByRole("button", { name: "File rash.jpg to chart" }).click();
  const filed = nina.locator("#timeline .attachment-item", { hasText: "rash.jpg" }).locator(".filed");
  await filed.waitFor(LIVE);
  assert.match(await filed.textContent(), /Filed to chart \d{1,2}:\d{2}/);
  assert.equal(await nina.getByRole("button", { name: "File rash.jpg to chart" }).count(), 0, "filed once");
  await nina.locator("#documents summary").click();
  const docs = nina.locator("#documents .document-list li");
  await docs.first().waitFor(LIVE);
  const rash = docs.filter({ hasText: "rash.jpg" });
  assert.match(await rash.textContent(), /Photo \(JPEG\) · \d+(\.\d)? KB · sent .*Filed to chart/s);
  assert.match(await rash.getByRole("link", { name: "rash.jpg" }).getAttribute("href"), /^\/api\/v1\/attachments\//);
  const txt = docs.filter({ hasText: "blood-pressure.txt" });
  assert.match(await txt.textContent(), /Text file/);
  // Filing from the documents list.
  await txt.getByRole("button", { name: "File blood-pressure.txt to chart" }).click();
  await txt.locator(".filed").waitFor(LIVE);
  await noSerious(nina, "the inbox with files and documents");
  await screenshot(nina, "staff-documents-1440");
  await nina.locator("#timeline .bubble", { hasText: "Here is a photo" }).evaluate((b) => b.scrollIntoView({ block: "center" }));
  await screenshot(nina, "staff-attachments-1440", { asScrolled: true });

  for (const width of [820, 390]) {
    const other = await page({ width });
    await signIn(other, suite.server.url, "nina.nurse");
    await other.goto(`${suite.server.url}/inbox#/needs_response/c/${id}`);
    await ready(other);
    await other.getByRole("heading", { name: "Rash on my arm" }).waitFor();
    await previewsLoaded(other, "#timeline");
    await other.locator("#documents summary").click();
    await other.locator("#documents .document-list li").first().waitFor(LIVE);
    await noOverflow(other);
    await screenshot(other, `staff-attachments-${width}`);
  }

  // The patient never sees the staff's filing controls.
  assert.equal(await alice.getByRole("button", { name: /to chart/ }).count(), 0);
});

test("a refused file shows why (the server's words, or the limit before uploading) and keeps what the patient typed", async () => {
  const carol = await phone();
  await signIn(carol, suite.server.url, "carol");
  await write(carol, "Insurance card", "My insurance changed this month.");
  const draft = "The new card is attached, front and back.";
  await carol.getByLabel("Write a reply").fill(draft);

  const page1 = join(files, "card.html");
  writeFileSync(page1, "<!doctype html><title>card</title><script>alert(1)</script>");
  const drawing = join(files, "card.svg");
  writeFileSync(drawing, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  await carol.locator("#reply-attach-input").setInputFiles([page1, drawing]);
  const alert = carol.locator("form.reply p.error[role=alert]");
  await carol.waitForFunction(() => (document.querySelector("form.reply p.error[role=alert]")?.textContent ?? "").includes("card.svg"), null, LIVE);
  const words = await alert.textContent();
  // Both named, the reason (the server's words) once.
  assert.match(words, /^“card\.(html|svg)” and “card\.(svg|html)” were not attached\. This kind of file cannot be sent\. Allowed: photos \(JPEG, PNG, HEIC\), PDF[^.]*\.$/);
  assert.equal(await carol.locator(".pending-file").count(), 0, "refused files are not listed to send");
  assert.equal(await carol.getByLabel("Write a reply").inputValue(), draft);

  // Over the limit for one file (1 MiB here): refused on the page before a
  // byte is sent (the limit comes from GET /api/v1/practice), in the same
  // words the server uses; no upload is started.
  let uploads = 0;
  carol.on("request", (r) => { if (r.method() === "POST" && r.url().includes("/attachments")) uploads += 1; });
  const big = join(files, "scan.pdf");
  writeFileSync(big, Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(1536 * 1024, 0x20)]));
  await carol.locator("#reply-attach-input").setInputFiles(big);
  await carol.waitForFunction(() => (document.querySelector("form.reply p.error[role=alert]")?.textContent ?? "").includes("scan.pdf"), null, LIVE);
  assert.match(await alert.textContent(), /“scan\.pdf” was not attached\. The file is larger than 1 MB, the most one file may be\./);
  assert.equal(uploads, 0, "nothing was uploaded");
  assert.equal(await carol.getByLabel("Write a reply").inputValue(), draft);
  await noOverflow(carol);
  await noSerious(carol, "a refused file");
  await screenshot(carol, "patient-attach-refused-390", { asScrolled: true });

  // The draft still sends.
  await carol.getByRole("button", { name: "Send", exact: true }).click();
  await carol.locator("#thread .bubble.mine", { hasText: draft }).waitFor(LIVE);
});

test("the front desk, the demo's documents pool, files a patient's photo from the To file view", async () => {
  const alice = await phone();
  await signIn(alice, suite.server.url, "alice");
  const id = await write(alice, "Letter from the clinic", "The hospital sent me a letter; a photo of it is attached.");
  const photo = await photoWithLocation(alice, "letter-photo.jpg");
  await alice.locator("#reply-attach-input").setInputFiles(photo);
  await alice.locator(".pending-file", { hasText: "letter-photo.jpg" }).getByText("Ready to send").waitFor(LIVE);
  await alice.getByRole("button", { name: "Send", exact: true }).click();
  await alice.locator("#thread .bubble.mine", { hasText: "letter-photo.jpg" }).waitFor(LIVE);

  const fran = await page({ width: 1440 });
  await signIn(fran, suite.server.url, "fran.frontdesk");
  await fran.goto(`${suite.server.url}/inbox#/to_file`);
  await ready(fran);
  const view = fran.locator("#views .view", { hasText: "To file" });
  const before = Number(await view.locator(".count").textContent());
  assert.ok(before >= 1, `the badge counts it: ${before}`);
  const item = fran.locator("#rows li.to-file", { hasText: "letter-photo.jpg" });
  await item.waitFor(LIVE);
  assert.match(await item.textContent(), /Alice Nguyen · Letter from the clinic.*Photo \(JPEG\).*Sent /s);
  assert.equal(await item.getByRole("link", { name: "Letter from the clinic" }).getAttribute("href"), `#/to_file/c/${id}`);
  assert.ok((await previewsLoaded(fran, "#rows li.to-file")).every((w) => w > 0), "the photo by its preview");
  await noSerious(fran, "the To file view");
  await screenshot(fran, "staff-to-file-1440");
  await item.getByRole("button", { name: /^File to chart\W+letter-photo\.jpg$/ }).click();
  await item.waitFor({ state: "detached", ...LIVE });
  await fran.waitForFunction((n) => {
    const toFile = [...document.querySelectorAll("#views .view")].find((v) => v.textContent.includes("To file"));
    return Number(toFile?.querySelector(".count")?.textContent) === n - 1;
  }, before, LIVE);

  // Someone outside the pool has no such view.
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  await nina.goto(`${suite.server.url}/inbox`);
  await ready(nina);
  assert.equal(await nina.locator("#views .view", { hasText: "To file" }).count(), 0);
});
