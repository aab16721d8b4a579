// The import page: the person picks their ChatGPT, Claude, DeepSeek or Grok export; a worker (import-worker.js) reads it on this
// device and lists its conversations; the chosen ones are shared one after another (waiting out the rate limit
// rather than failing halfway), their images uploaded straight to storage, and their delete keys kept in this
// browser like any share made here. Nothing else of the export is sent anywhere.
(() => {
  "use strict";
  const main = document.querySelector("[data-import]");
  if (!main) return;
  const $ = (id) => document.getElementById(id);
  const STORE = "sharegpt:shared";
  const PAGE = 200;
  const SITES = { chatgpt: "ChatGPT", claude: "Claude", deepseek: "DeepSeek", grok: "Grok" };

  let rows = [];
  let shown = PAGE;
  let imagesInExport = 0;
  const selected = new Set();
  const pending = new Map();

  const worker = new Worker(`${main.dataset.worker}&readers=${encodeURIComponent(main.dataset.readers)}`);

  const say = (text) => { $("status").textContent = text; };
  // A date as every page writes one (pages.DAY): "07 Dec 2026", in UTC; "" when there is none that reads.
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const day = (iso) => {
    const d = new Date(iso || "");
    if (Number.isNaN(d.getTime())) return "";
    return `${String(d.getUTCDate()).padStart(2, "0")} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  };
  const fail = (text) => { const box = $("import-error"); box.textContent = text; box.hidden = !text; };
  const progress = (value, text) => {
    $("import-progress").hidden = value === null;
    if (value !== null) { $("import-bar").value = value; $("import-progress-text").textContent = text; }
  };

  // The worker itself failing (a bug, or memory) ends the reading with a sentence, never a page that waits.
  worker.onerror = (event) => {
    event.preventDefault();
    progress(null);
    say("");
    fail("This file could not be read as a ChatGPT, Claude, DeepSeek or Grok export.");
  };

  worker.onmessage = ({ data }) => {
    if (data.type === "progress") {
      progress(data.total ? Math.min(99, Math.round((100 * data.done) / data.total)) : 50,
               `Reading… ${data.found.toLocaleString()} conversations so far`);
    } else if (data.type === "list") {
      rows = data.rows;
      imagesInExport = data.images;
      progress(null);
      say(`${rows.length.toLocaleString()} conversation${rows.length === 1 ? "" : "s"} read from your export` +
          (imagesInExport ? `, with ${imagesInExport.toLocaleString()} image${imagesInExport === 1 ? "" : "s"}.` : ".") +
          (data.skipped ? ` ${data.skipped.toLocaleString()} could not be read and ${data.skipped === 1 ? "was" : "were"} skipped.` : ""));
      $("import-list-section").hidden = false;
      $("import-share").hidden = false;
      render();
    } else if (data.type === "payload" || data.type === "error" && data.request === "payload") {
      const waiting = pending.get(data.index);
      pending.delete(data.index);
      if (waiting) (data.type === "error" ? waiting.reject(new Error(data.message)) : waiting.resolve(data));
    } else if (data.type === "error") {
      progress(null);
      say("");
      fail(data.message);
    }
  };

  $("import-file").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    fail("");
    rows = []; selected.clear(); shown = PAGE;
    $("import-list-section").hidden = true; $("import-share").hidden = true;
    $("import-results").replaceChildren(); $("import-preview").replaceChildren();
    progress(0, "Reading…");
    say(`Reading ${file.name} on this device…`);
    worker.postMessage({ type: "open", file });
  });

  // ------------------------------------------------------------------ the list

  const matching = () => {
    const query = $("import-search").value.trim().toLocaleLowerCase();
    return query ? rows.filter((r) => r.title.toLocaleLowerCase().includes(query)) : rows;
  };

  function row(r) {
    const item = document.createElement("li");
    item.dataset.index = String(r.index);
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `import-${r.index}`;
    box.checked = selected.has(r.index);
    box.addEventListener("change", () => { if (box.checked) selected.add(r.index); else selected.delete(r.index); updateChosen(); });
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.className = "import-title";
    label.textContent = r.title;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${day(r.date) || "undated"} · ${SITES[r.site]} · ${r.turns} turn${r.turns === 1 ? "" : "s"}`;
    const before = r.source && shared.get(r.source);
    if (before) {
      meta.append(" · ", Object.assign(document.createElement("a"), { href: before.url, className: "import-shared",
                                                                        textContent: "shared already" }));
    }
    const preview = document.createElement("button");
    preview.type = "button";
    preview.className = "button";
    preview.textContent = "Preview";
    preview.setAttribute("aria-label", `Preview ${r.title}`);
    preview.addEventListener("click", () => showPreview(r));
    item.append(box, label, meta, preview);
    return item;
  }

  let shared = new Map();

  function render() {
    shared = sharedSources();
    const found = matching();
    $("import-list").replaceChildren(...found.slice(0, shown).map(row));
    $("import-count").textContent = `${found.length.toLocaleString()} conversation${found.length === 1 ? "" : "s"}` +
      (found.length > shown ? ` (the newest ${shown.toLocaleString()} shown)` : "") + ", newest first";
    $("import-more").hidden = found.length <= shown;
    updateChosen();
  }

  function updateChosen() {
    const count = selected.size;
    $("import-go").textContent = count ? `Share ${count} selected` : "Share selected";
  }

  $("import-search").addEventListener("input", () => { shown = PAGE; render(); });
  $("import-more").addEventListener("click", () => { shown += PAGE; render(); });

  // ------------------------------------------------------------------ preview and share

  const payloadOf = (index) => new Promise((resolve, reject) => {
    pending.set(index, { resolve, reject });
    worker.postMessage({ type: "payload", index });
  });

  async function showPreview(r) {
    const box = $("import-preview");
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "meta", textContent: "Reading…" }));
    try {
      const { payload, summary, images } = await payloadOf(r.index);
      const heading = Object.assign(document.createElement("h3"), { textContent: r.title });
      const what = Object.assign(document.createElement("p"), { className: "summary", textContent: globalThis.ShareReaders.describe(summary) });
      const found = Object.values(images).filter((image) => image && image.bytes).length;
      const pictures = Object.assign(document.createElement("p"), { className: "meta",
        textContent: summary.images ? `${found} of ${summary.images} image${summary.images === 1 ? "" : "s"} found in the export.` : "No images." });
      const first = (payload.messages || []).find((m) => m.role === "user");
      const text = first && (Array.isArray(first.content) ? (first.content.find((b) => b.type === "text") || {}).text : first.content);
      const quote = Object.assign(document.createElement("blockquote"), { textContent: String(text || "").slice(0, 400) });
      box.replaceChildren(heading, what, pictures, quote);
    } catch (error) {
      box.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: error.message }));
    }
  }

  async function sha256(bytes) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  const errorOf = async (response) => {
    try { return (await response.json()).error.message; } catch (e) { return `HTTP ${response.status}`; }
  };

  // One image: ask the server, then send the bytes straight to storage with the presigned form.
  async function upload(image) {
    const answer = await fetch("/api/media", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sha256: await sha256(image.bytes), size: image.bytes.length, contentType: image.contentType }) });
    if (!answer.ok) throw new Error(await errorOf(answer));
    const media = await answer.json();
    if (!media.stored) {
      const form = new FormData();
      for (const [name, value] of Object.entries(media.upload.fields)) form.append(name, value);
      form.append("file", new Blob([image.bytes], { type: image.contentType }));
      let sent;
      try { sent = await fetch(media.upload.url, { method: "POST", body: form }); } catch (e) {
        // No answer at all: offline, or the browser refused the address (Chromium and Firefox block some
        // ports, 5060 among them, before any request is sent).
        const where = new URL(media.upload.url).host;
        throw new Error(`the upload could not reach storage at ${where}: check your connection, or whether the browser blocks that address`);
      }
      if (!sent.ok) throw new Error(`storage answered ${sent.status}`);
    }
    return media.id;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The create, waiting out the rate limit (with a countdown) instead of failing the rest of the queue.
  async function create(body, label) {
    for (;;) {
      const response = await fetch("/api/conversations", { method: "POST", headers: { "Content-Type": "application/json" },
                                                           body: JSON.stringify(body) });
      if (response.status !== 429) {
        if (!response.ok) throw new Error(await errorOf(response));
        return response.json();
      }
      let wait = Math.max(1, Number(response.headers.get("Retry-After")) || 30);
      while (wait > 0) { say(`${label}: waiting ${wait} s for the rate limit…`); await sleep(1000); wait -= 1; }
    }
  }

  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }

  // `source` names the export's own conversation ("chatgpt:<id>"), so opening the export again can say it
  // was shared from this browser already.
  function keep(share, title, source) {
    const store = stored();
    store[share.id] = { token: share.deleteToken, title, shortUrl: share.shortUrl, url: share.url,
                        savedAt: new Date().toISOString(), ...(source ? { source } : {}) };
    localStorage.setItem(STORE, JSON.stringify(store));
  }

  // The shares made from this browser, by the export conversation they came from.
  function sharedSources() {
    const found = new Map();
    for (const entry of Object.values(stored())) if (entry && entry.source && entry.url) found.set(entry.source, entry);
    return found;
  }

  // An image block's file name, by the pointer the worker fetched it by.
  function imageNames(payload) {
    const names = new Map();
    for (const message of payload.messages || []) {
      for (const block of Array.isArray(message.content) ? message.content : []) {
        if (block.type === "image" && block.fetch && !names.has(block.fetch)) names.set(block.fetch, block.name || "an image");
      }
    }
    return names;
  }

  const listed = (items) => items.map(({ name, why }) => `${name} (${String(why).replace(/\.$/, "")})`).join(", ");

  // One result line: the share's link, and the images left as placeholders, if any; or why it was not shared,
  // with a way to try again.
  function result(item, text, share, placeholders, retry) {
    item.className = "card";
    item.replaceChildren();
    if (share) {
      item.dataset.id = share.id;
      const link = Object.assign(document.createElement("a"), { className: "card-title", href: share.url, textContent: text });
      const meta = Object.assign(document.createElement("p"), { className: "meta", textContent: share.shortUrl });
      const copyButton = Object.assign(document.createElement("button"), { type: "button", className: "button",
                                                                           textContent: "Copy link" });
      copyButton.setAttribute("aria-label", `Copy the link to ${text}`);
      copyButton.addEventListener("click", async () => {
        try { await navigator.clipboard.writeText(share.shortUrl || share.url); copyButton.textContent = "Copied"; }
        catch (e) { copyButton.textContent = "Copy failed"; }
        setTimeout(() => { copyButton.textContent = "Copy link"; }, 1500);
      });
      meta.append(" ", copyButton);
      item.append(link, meta);
      if (placeholders.length) {
        item.append(Object.assign(document.createElement("p"), { className: "meta import-placeholders",
          textContent: `Shown as ${placeholders.length === 1 ? "a placeholder" : "placeholders"}: ${listed(placeholders)}.` }));
      }
    } else {
      delete item.dataset.id;
      item.append(Object.assign(document.createElement("p"), { className: "error", textContent: text }));
      if (retry) {
        const again = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: "Try again" });
        again.addEventListener("click", () => retry(false));
        const without = Object.assign(document.createElement("button"), { type: "button", className: "button",
                                                                          textContent: "Share without these images" });
        without.addEventListener("click", () => retry(true));
        const actions = Object.assign(document.createElement("div"), { className: "import-actions" });
        actions.append(again, without);
        item.append(actions);
      }
    }
    return item;
  }

  // Share one conversation into its result line. An image that fails to upload stops the share (the person
  // chose to include images) and says which and why; `withoutFailed` shares it with those as placeholders.
  async function shareOne(r, item, options, withoutFailed = false, label = r.title) {
    const retry = async (skip) => {
      if (busy) return;
      busy = true;
      say(`Sharing ${r.title}…`);
      await shareOne(r, item, options, skip);
      say(summary());
      busy = false;
    };
    try {
      const { payload, images } = await payloadOf(r.index);
      const names = imageNames(payload);
      const uploaded = new Map();
      const placeholders = [], failed = [];
      if (options.withImages) {
        for (const [pointer, image] of Object.entries(images)) {
          const name = names.get(pointer) || "an image";
          if (!image) { placeholders.push({ name, why: "not in the export" }); continue; }
          if (image.problem) { placeholders.push({ name, why: image.problem }); continue; }
          try { uploaded.set(pointer, await upload(image)); } catch (e) { failed.push({ name, why: e.message }); }
        }
      }
      if (failed.length && !withoutFailed) {
        result(item, `${r.title}: not shared, ${failed.length === 1 ? "an image" : `${failed.length} images`} could not be ` +
                     `uploaded: ${listed(failed)}.`, null, [], retry);
        return;
      }
      placeholders.push(...failed.map(({ name, why }) => ({ name, why: `upload failed: ${why}` })));
      const body = globalThis.ShareReaders.withMedia({ ...payload, visibility: options.visibility,
                                                       ...(options.dataset ? { dataset: options.dataset } : {}) }, uploaded);
      const share = await create(body, label);
      keep(share, r.title, r.source);
      result(item, r.title, share, placeholders, null);
      selected.delete(r.index);
    } catch (error) {
      result(item, `${r.title}: not shared (${error.message})`, null, [], retry);
    }
  }

  function summary() {
    const items = $("import-results").querySelectorAll("li");
    const shared = $("import-results").querySelectorAll("li[data-id]").length;
    const open = items.length - shared;
    return `Done: ${shared} of ${items.length} shared.` + (shared ? " They are in My shares." : "") +
      (open ? ` ${open} need${open === 1 ? "s" : ""} attention below.` : "");
  }

  let busy = false;
  $("import-go").addEventListener("click", async () => {
    if (busy) return;
    const chosen = rows.filter((r) => selected.has(r.index));
    if (!chosen.length) { say("Choose at least one conversation first."); return; }
    busy = true;
    $("import-go").disabled = true;
    const license = $("import-license").value;
    const attribution = $("import-attribution").value.trim();
    const options = { visibility: document.querySelector('input[name="import-visibility"]:checked').value,
                      withImages: $("import-images").checked,
                      dataset: $("import-donate").checked
                        ? { license, ...(license === "CC-BY-4.0" && attribution ? { attribution } : {}) } : null };
    let done = 0;
    for (const r of chosen) {
      const label = `Sharing ${done + 1} of ${chosen.length}: ${r.title}`;
      say(`${label}…`);
      progress(Math.round((100 * done) / chosen.length), label);
      const item = document.createElement("li");
      $("import-results").append(item);
      await shareOne(r, item, options, false, label);
      done += 1;
    }
    progress(null);
    say(summary());
    busy = false;
    $("import-go").disabled = false;
    render();
  });
})();
