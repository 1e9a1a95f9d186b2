// Files in conversations, in a real browser: a patient on a phone attaches
// a photo (its upload's progress shown, its location removed and said so),
// sends it and sees its preview in the thread; files alone are a message; a
// nurse sees the photo, files it to the chart and finds it among the
// patient's documents; a refused file shows the server's words and keeps
// the draft; the front desk (the demo's documents pool) files a photo from
// the inbox's "To file" view. A new conversation takes files too: they
// follow the message once it exists, and one refused is named in the
// thread that opens. Video and audio play in the thread. Screenshots at
// 390, 820 and 1440 pixels wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { browserSuite, fillStartDialog, ready, screenshot, seriousViolations, signIn, writeNewMessage } from "./helpers.mjs";

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
const write = (patient, subject, body, topic) => writeNewMessage(patient, suite.server.url, subject, body, topic);

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
  // The timeline is drawn again as the inbox's first refreshes land: a
  // bubble may be replaced while it is photographed, so once more if so.
  const bubble = nina.locator("#timeline .bubble", { hasText: "Here is a photo" });
  await screenshot(nina, "staff-attachment-to-file", { element: bubble })
    .catch(() => screenshot(nina, "staff-attachment-to-file", { element: bubble }));
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
  // About an appointment: the front desk reads those (by default not
  // clinical topics, whose files wait for whoever reads them).
  const id = await write(alice, "Letter from the clinic", "The hospital sent me a letter about my appointment; a photo of it is attached.",
    "scheduling");
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

/** Records `ms` of a stream in the page (MediaRecorder); returns it base64. */
async function record(p, kind, ms) {
  return p.evaluate(async ([kind, ms]) => {
    const rec = (stream, mimeType) => new Promise((resolve) => {
      const chunks = [];
      const mr = new MediaRecorder(stream, { mimeType });
      mr.ondataavailable = (e) => chunks.push(e.data);
      mr.onstop = async () => {
        const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
        let s = "";
        for (const b of bytes) s += String.fromCharCode(b);
        resolve(btoa(s));
      };
      mr.start();
      setTimeout(() => mr.stop(), ms);
    });
    if (kind === "video") {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext("2d");
      let i = 0;
      const timer = setInterval(() => {
        g.fillStyle = `hsl(${(i++ * 25) % 360}, 55%, 55%)`;
        g.fillRect(0, 0, 320, 240);
      }, 40);
      const out = await rec(canvas.captureStream(25), "video/mp4;codecs=avc1");
      clearInterval(timer);
      return out;
    }
    const ac = new AudioContext();
    const tone = ac.createOscillator();
    const dest = ac.createMediaStreamDestination();
    tone.connect(dest);
    tone.start();
    const out = await rec(dest.stream, "audio/webm;codecs=opus");
    await ac.close();
    return out;
  }, [kind, ms]);
}

test("a patient on her phone starts a conversation with a photo attached and sees it in the thread", async () => {
  const dana = await phone();
  await signIn(dana, suite.server.url, "alice");
  await dana.goto(`${suite.server.url}/app#/new`);
  await ready(dana);
  await dana.getByLabel("What is it about?").selectOption("care_question");
  await dana.getByLabel("Subject").fill("Swollen ankle");
  await dana.getByLabel("Your message").fill("My left ankle has been swollen since Sunday. Photo attached.");
  assert.match(await dana.locator("#new-attach-hint").textContent(), /up to 1 MB each/);

  // Chosen files are listed, with name and size, removable before sending.
  const photo = await photoWithLocation(dana, "ankle.jpg");
  const extra = join(files, "wrong-one.txt");
  writeFileSync(extra, "not this one\n");
  const [chooser] = await Promise.all([dana.waitForEvent("filechooser"), dana.getByRole("button", { name: "Attach photo or file" }).click()]);
  assert.ok(chooser.isMultiple());
  let uploads = 0;
  dana.on("request", (r) => { if (r.method() === "POST" && r.url().includes("/attachments")) uploads += 1; });
  await chooser.setFiles([photo, extra]);
  const row = dana.locator(".pending-file", { hasText: "ankle.jpg" });
  await row.getByText("Sends with your message").waitFor();
  assert.match(await row.textContent(), /KB/);
  await dana.getByRole("button", { name: "Remove wrong-one.txt" }).click();
  assert.equal(await dana.locator(".pending-file").count(), 1);
  assert.equal(uploads, 0, "nothing goes up before the conversation exists");
  // Over the practice's limit: refused here, before sending.
  const big = join(files, "big-scan.pdf");
  writeFileSync(big, Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(1200 * 1024, 0x20)]));
  await dana.locator("#new-attach-input").setInputFiles(big);
  await dana.getByText("“big-scan.pdf” was not attached. The file is larger than 1 MB, the most one file may be.").waitFor();
  assert.equal(await dana.locator(".pending-file").count(), 1);
  await dana.locator("#new-attach-input").setInputFiles([]);
  await noOverflow(dana);
  await noSerious(dana, "the new-message form with a file");
  await dana.locator(".attach").evaluate((n) => n.scrollIntoView({ block: "center" }));
  await screenshot(dana, "patient-new-attach-390", { asScrolled: true });

  // Sending: the message, then the file with its progress, then the thread.
  const cdp = await dana.context().newCDPSession(dana);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 16 * 1024 });
  await dana.getByRole("button", { name: "Send message" }).click();
  await row.getByRole("progressbar", { name: "Uploading ankle.jpg" }).waitFor(LIVE);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await dana.getByRole("heading", { name: "Swollen ankle" }).waitFor(LIVE);
  const mine = dana.locator("#thread .bubble.mine");
  await mine.filter({ hasText: "My left ankle has been swollen" }).waitFor(LIVE);
  const withPhoto = mine.filter({ hasText: "ankle.jpg" });
  await withPhoto.waitFor(LIVE);
  assert.ok((await previewsLoaded(dana, "#thread .bubble.mine")).every((w) => w > 0));
  await withPhoto.getByText("Location information was removed from this photo before it was sent.").waitFor();
  assert.equal(await dana.locator("form.reply p.error").isHidden(), true, "nothing to report");
  assert.equal(uploads, 1, "the photo went up once; the removed file never did");

  // The same form at 1440, with a file chosen.
  const wide = await page({ width: 1440 });
  await signIn(wide, suite.server.url, "alice");
  await wide.goto(`${suite.server.url}/app#/new`);
  await ready(wide);
  await wide.getByLabel("What is it about?").selectOption("care_question");
  await wide.getByLabel("Subject").fill("Swollen ankle");
  await wide.getByLabel("Your message").fill("My left ankle has been swollen since Sunday. Photo attached.");
  await wide.locator("#new-attach-input").setInputFiles(photo);
  await wide.locator(".pending-file", { hasText: "ankle.jpg" }).waitFor();
  await noOverflow(wide);
  await wide.evaluate(() => /** @type {HTMLElement} */ (document.activeElement)?.blur());
  await wide.locator(".attach").evaluate((n) => n.scrollIntoView({ block: "center" }));
  await screenshot(wide, "patient-new-attach-1440", { asScrolled: true });
});

test("a file refused when starting a conversation: the conversation is there, and the thread says which file did not go and why", async () => {
  const carol = await phone();
  await signIn(carol, suite.server.url, "carol");
  await carol.goto(`${suite.server.url}/app#/new`);
  await ready(carol);
  await carol.getByLabel("What is it about?").selectOption("care_question");
  await carol.getByLabel("Subject").fill("Readings this week");
  await carol.getByLabel("Your message").fill("My readings, and the page from the pharmacy.");
  const page1 = join(files, "pharmacy.html");
  writeFileSync(page1, "<!doctype html><title>pharmacy</title><p>hello</p>");
  const notes = join(files, "readings.txt");
  writeFileSync(notes, "Mon 120/80\nTue 122/81\n");
  await carol.locator("#new-attach-input").setInputFiles([page1, notes]);
  assert.equal(await carol.locator(".pending-file").count(), 2);
  await carol.getByRole("button", { name: "Send message" }).click();
  await carol.getByRole("heading", { name: "Readings this week" }).waitFor(LIVE);
  const alert = carol.locator("#start-notice[role=alert]");
  await alert.waitFor(LIVE);
  assert.match(await alert.textContent(),
    /^Your message was sent, but not every file went with it\. “pharmacy\.html” was not sent\. This kind of file cannot be sent\. Allowed: [^]*To try again, use “Attach photo or file” below\.$/);
  assert.doesNotMatch(await alert.textContent(), /readings\.txt/);
  // The text and the file that went are both in the thread; the refused one is not.
  await carol.locator("#thread .bubble.mine", { hasText: "My readings, and the page" }).waitFor();
  await carol.locator("#thread .bubble.mine", { hasText: "readings.txt" }).waitFor(LIVE);
  assert.equal(await carol.locator("#thread", { hasText: "pharmacy.html" }).count(), 0);
  await carol.getByRole("button", { name: "Attach photo or file" }).waitFor();
  await noOverflow(carol);
  await noSerious(carol, "a file refused at the start");
  // The notice sits under the thread, above the reply box, once scrolled to the end.
  await carol.waitForFunction(() => {
    const note = document.getElementById("start-notice").getBoundingClientRect();
    const reply = document.querySelector("form.reply").getBoundingClientRect();
    return note.bottom <= reply.top + 1 && note.top >= 0;
  }, null, LIVE);
  await screenshot(carol, "patient-new-attach-refused-390", { asScrolled: true });
});

test("a video and a recording play in the thread, with their link and size beneath", async () => {
  const alice = await phone();
  await signIn(alice, suite.server.url, "alice");
  await write(alice, "How my knee sounds", "It clicks when I walk.");
  const video = join(files, "knee.mp4");
  writeFileSync(video, Buffer.from(await record(alice, "video", 1000), "base64"));
  const voice = join(files, "voice-note.webm");
  writeFileSync(voice, Buffer.from(await record(alice, "audio", 1000), "base64"));
  await alice.locator("#reply-attach-input").setInputFiles([video, voice]);
  for (const name of ["knee.mp4", "voice-note.webm"]) {
    await alice.locator(".pending-file", { hasText: name }).getByText("Ready to send").waitFor(LIVE);
  }
  await alice.getByRole("button", { name: "Send", exact: true }).click();
  const sent = alice.locator("#thread .bubble.mine", { hasText: "knee.mp4" });
  await sent.waitFor(LIVE);

  const player = sent.locator("video");
  assert.equal(await player.getAttribute("preload"), "metadata");
  assert.ok(await player.evaluate((v) => v.controls));
  // Served as a download, yet the video element loads it: its size and length.
  await alice.waitForFunction(() => {
    const v = document.querySelector("#thread video");
    return v && v.readyState >= 1 && v.videoWidth > 0;
  }, null, LIVE);
  assert.equal(await player.evaluate((v) => v.videoWidth), 320);
  const videoItem = sent.locator(".attachment-item", { hasText: "knee.mp4" });
  assert.match(await videoItem.textContent(), /knee\.mp4.*Video \(MP4\) · \d+(\.\d)? KB/s);
  assert.match(await videoItem.getByRole("link").getAttribute("href"), /^\/api\/v1\/attachments\/[0-9a-f-]{36}$/);

  const audio = sent.locator("audio");
  assert.equal(await audio.getAttribute("preload"), "none", "a recording loads only when played");
  const audioItem = sent.locator(".attachment-item", { hasText: "voice-note.webm" });
  assert.match(await audioItem.textContent(), /voice-note\.webm.*Audio \(WebM\) · \d+(\.\d)? KB/s);
  // Its address plays too: an audio element loads its length from it.
  const duration = await audio.evaluate((a) => new Promise((resolve, reject) => {
    const probe = new Audio();
    probe.preload = "metadata";
    probe.addEventListener("loadedmetadata", () => resolve(probe.duration));
    probe.addEventListener("error", () => reject(new Error(`audio error ${probe.error?.code}`)));
    probe.src = a.src;
  }));
  assert.ok(duration > 0, `duration ${duration}`);
  assert.equal(await sent.locator(".attachment-item.unplayable").count(), 0);

  // A live redraw keeps the same players (a playing one is not cut off).
  const before = await player.evaluate((v) => { v.dataset.mark = "kept"; return true; });
  assert.ok(before);
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  const id = await alice.evaluate(() => location.hash.slice("#/c/".length));
  await nina.evaluate(async (id) => {
    await fetch(`/api/v1/conversations/${id}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ body: "Thanks, we will look." }) });
  }, id);
  await alice.locator("#thread .bubble", { hasText: "Thanks, we will look." }).waitFor(LIVE);
  assert.equal(await alice.locator("#thread video").getAttribute("data-mark"), "kept");
  await noOverflow(alice);
  await noSerious(alice, "the thread with a video and a recording");
  // The whole message above the pinned reply box.
  await sent.evaluate((b) => b.scrollIntoView({ block: "start" }));
  await screenshot(alice, "patient-thread-media-390", { asScrolled: true });
});

test("a nurse starts a conversation with a file attached; one refused is named in the conversation that opens", async () => {
  const nina = await page({ width: 1440 });
  await signIn(nina, suite.server.url, "nina.nurse");
  const dialog = await fillStartDialog(nina, {
    search: "carol", name: /Carol Smith/, topic: "test_results", subject: "Your lab report", message: "Your lab report is attached.",
  });
  const report = join(files, "lab-report.txt");
  writeFileSync(report, "A1c 6.4\n");
  const bad = join(files, "portal.html");
  writeFileSync(bad, "<!doctype html><p>x</p>");
  await dialog.locator("#start-attach-input").setInputFiles([report, bad]);
  await dialog.locator(".pending-file", { hasText: "lab-report.txt" }).getByText("Sends with your message").waitFor();
  await noSerious(nina, "the start dialog with files");
  await dialog.getByRole("button", { name: "Send to the patient" }).click();
  await nina.getByRole("heading", { name: "Your lab report" }).waitFor(LIVE);
  await nina.locator("#timeline .bubble", { hasText: "lab-report.txt" }).waitFor(LIVE);
  const said = nina.locator("form.composer.reply-input p.error[role=alert]");
  await said.waitFor(LIVE);
  assert.match(await said.textContent(), /^The message was sent, but not every file went with it\. “portal\.html” was not sent\. This kind of file cannot be sent\./);
  // The dialog opens empty next time.
  await nina.keyboard.press("Escape");
  await nina.locator("body").click({ position: { x: 5, y: 5 } });
  await nina.keyboard.press("c");
  await dialog.waitFor();
  assert.equal(await dialog.locator(".pending-file").count(), 0);
});
