// Content script for every chat site the extension reads (one sites/<name>.js each, loaded just before this
// file on that site only): a Share button, the share dialog, and reading the conversation. The site's own JSON
// first (its file's `load`), then the page (its `pageTurns`): stable data-* attributes where the site has them
// (ChatGPT, Claude), never their Tailwind classes (changing them broke the original extension again and again);
// the newer sites have none, so their page readers are the last resort.
(() => {
  "use strict";
  if (window.__sharegptServerless) return;
  window.__sharegptServerless = true;
  const ext = globalThis.browser ?? globalThis.chrome;

  // ------------------------------------------------------------------ reading the conversation

  class ShareError extends Error {
    constructor(kind, message, retryAfter) { super(message); this.kind = kind; this.retryAfter = retryAfter; }
  }

  // The one site this page is on: its file (sites/<name>.js) is the only one the manifest loads here.
  const site = globalThis.ShareSites.forHost(location.hostname) || globalThis.ShareSites.all()[0];

  function conversationId(url = location) {
    const match = url.pathname.match(site.path);
    return match ? match[1] : null;
  }

  async function getJson(url, init = {}) {
    let response;
    try { response = await fetch(url, { credentials: "include", ...init }); }
    catch (e) { throw new ShareError("site-unreachable", "The chat site did not answer."); }
    if (response.status === 401 || response.status === 403) throw new ShareError("signed-out", signedOutMessage());
    if (response.status === 404) throw new ShareError("not-found", "This conversation was not found on the chat site.");
    if (!response.ok) throw new ShareError("site-error", `The chat site answered ${response.status}.`);
    try { return await response.json(); } catch (e) { throw new ShareError("site-error", "The chat site sent something unreadable."); }
  }

  // The tab's title without the site's name after it ("Pretraining a 7B model - Grok").
  const escaped = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const names = [...site.aliases, site.label];
  const SITE_SUFFIX = new RegExp(`\\s*[-|–]\\s*(${names.map(escaped).join("|")})\\s*$`, "i");
  const SITE_NAMES = names.map((name) => name.toLowerCase());
  // A tab titled only by the site ("Gemini") names no conversation.
  const pageTitle = () => {
    const title = document.title.replace(SITE_SUFFIX, "").trim();
    return SITE_NAMES.includes(title.toLowerCase()) ? "" : title;
  };
  const signedOutMessage = () => `Sign in to ${site.label} first, then share again.`;

  // Page fallback: the page's turns as the same typed blocks the readers make from the JSON. Assistant HTML
  // becomes Markdown with Turndown (a maintained library, bundled in vendor/, never fetched): math as its TeX
  // (KaTeX keeps the source in an annotation; its rendered HTML would flatten to "x = 2 a − b"), code as a
  // fenced block in its language without the site's copy bar, tables as GFM tables.
  let turndown = null;
  function markdownOf(element) {
    if (!turndown) {
      turndown = new globalThis.TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", fence: "```",
                                                  bulletListMarker: "-", emDelimiter: "*" });
      turndown.use(globalThis.turndownPluginGfm.gfm);
      const isMath = (node) => node.nodeType === 1 && (node.classList.contains("katex-display") ||
        (node.classList.contains("katex") && !(node.parentElement && node.parentElement.closest(".katex-display"))));
      turndown.addRule("tex", {
        filter: isMath,
        replacement: (content, node) => {
          const tex = node.querySelector('annotation[encoding="application/x-tex"]');
          if (!tex) return content;
          return node.classList.contains("katex-display") ? `\n\n\\[${tex.textContent}\\]\n\n` : `\\(${tex.textContent}\\)`;
        },
      });
      // Code: a <pre><code> (ChatGPT, Claude, Gemini) or a bare <pre> (DeepSeek's).
      turndown.addRule("code", {
        filter: "pre",
        replacement: (content, node) => {
          const code = node.querySelector("code") || node;
          const text = code.textContent.replace(/\n$/, "");
          const fence = "`".repeat(Math.max(3, ...(text.match(/`+/g) || []).map((run) => run.length + 1)));
          return `\n\n${fence}${codeLanguage(code)}\n${text}\n${fence}\n\n`;
        },
      });
      // The bar above a code block (its language label, a copy button): the fence says the language already.
      turndown.addRule("codeLabel", { filter: (node) => codeHeaderLabel(node) !== null, replacement: () => "" });
      turndown.remove(["button", "script", "style", "svg", "noscript"]);
    }
    // A <code> laid out as a block (Grok's) is a code block: in a <pre>, Turndown keeps its line breaks.
    const copy = element.cloneNode(true);
    copy.querySelectorAll(BLOCK_CODE).forEach((code) => {
      if (code.closest("pre")) return;
      const pre = document.createElement("pre");
      code.replaceWith(pre);
      pre.append(code);
    });
    return turndown.turndown(copy).trim();
  }

  // A code block's bar: an element before the block's <pre> (with only wordless bars between), holding no code,
  // whose only words besides its buttons are a short language name ("python", "JavaScript"). Returns it, or null.
  // It reads the copy markdownOf made, where Grok's block-laid <code> already sits in a <pre>.
  const BLOCK_CODE = "code[style*='white-space: pre'], code[style*='white-space:pre']";
  const PROSE = /^(P|H[1-6]|LI|UL|OL|BLOCKQUOTE|TABLE)$/;
  // Words of a bar, without its buttons' (Turndown asks every node, so a long node is never copied).
  function wordsOf(node) {
    if (node.textContent.length > 200) return node.textContent.trim().slice(0, 200);
    const copy = node.cloneNode(true);
    copy.querySelectorAll("button, [role='button'], svg").forEach((el) => el.remove());
    return copy.textContent.trim();
  }

  function codeHeaderLabel(node) {
    if (node.nodeType !== 1 || PROSE.test(node.nodeName) || node.matches("pre") || node.querySelector("pre, code")) return null;
    const label = wordsOf(node);
    if (!/^[\w+#.-]{1,30}$/.test(label)) return null;
    let next = node.nextElementSibling;
    while (next && !next.matches("pre") && !next.querySelector("pre") && !wordsOf(next)) next = next.nextElementSibling;
    const pre = next && (next.matches("pre") ? next : next.querySelector("pre"));
    if (!pre) return null;
    // A paragraph saying "Run" before a block is prose, not a label: with a language known, the label must name it.
    const named = classLanguage(pre.querySelector("code") || pre);
    return !named || named.toLowerCase() === label.toLowerCase() ? label : null;
  }

  const classLanguage = (code) => ([...code.classList].find((c) => c.startsWith("language-")) || "").slice(9);

  function codeLanguage(code) {
    const named = classLanguage(code);
    if (named) return named;
    for (let el = code, depth = 0; el && depth < 4; el = el.parentElement, depth += 1) {
      for (let prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        const label = codeHeaderLabel(prev);
        if (label) return label.toLowerCase();
        if (wordsOf(prev)) break;
      }
    }
    return "";
  }

  function pageImages(element) {
    return [...element.querySelectorAll("img")]
      .filter((img) => /^https:\/\//.test(img.currentSrc || img.src))
      .map((img) => ({ type: "image", name: (img.alt || "image").slice(0, 300), fetch: img.currentSrc || img.src }));
  }

  // The person's words as they typed them (never Markdown-escaped), without the labels only screen readers hear.
  function userText(element) {
    if (!element) return "";
    const parts = [...element.children].filter((child) => !child.matches(".cdk-visually-hidden, .sr-only, button"));
    if (!element.querySelector(".cdk-visually-hidden, .sr-only") || !parts.length) return element.innerText.trim();
    return parts.map((child) => child.innerText.replace(/\n$/, "")).join("\n").trim();
  }

  function turn(role, textElement, imagesFrom, before = []) {
    const images = imagesFrom ? pageImages(imagesFrom) : [];
    const texts = role === "user" ? [userText(textElement)] : [].concat(textElement || []).map(markdownOf);
    const content = [...before, ...images, ...texts.filter(Boolean).map((text) => ({ type: "text", text }))];
    return content.length ? { role, content } : null;
  }

  // What a site's file may use in the page (its `load`, `image` and `pageTurns`).
  const page = Object.freeze({ ShareError, getJson, signedOutMessage, pageTitle, conversationId, turn, markdownOf });

  function fromPage() {
    // Each site's turns, read from what its own page shows (its file's pageTurns). The four newer sites carry no
    // data-* attributes for turns; their readers use the custom elements (Gemini), design-system classes
    // (DeepSeek's ds-*) and layout (Grok, Perplexity) that maintained exporters of those sites rely on, and
    // only when the JSON cannot be had.
    const messages = site.pageTurns(page);
    // Two replies in a row are one reply (the site shows them so); a turn without content is left out.
    const merged = [];
    for (const message of messages.filter(Boolean)) {
      const last = merged[merged.length - 1];
      if (last && last.role === "assistant" && message.role === "assistant") last.content.push(...message.content);
      else merged.push(message);
    }
    const modelEl = document.querySelector("[data-message-model-slug]");
    // Without a title of its own, the server takes the first question's words.
    return { title: pageTitle() || undefined,
             model: modelEl && site.model ? site.model(modelEl.getAttribute("data-message-model-slug")) : null,
             messages: merged };
  }

  async function readConversation() {
    const id = conversationId();
    if (!id) throw new ShareError("not-found", "Open a conversation first: there is nothing to share on this page.");
    let result;
    try {
      result = await site.load(id, page);
    } catch (error) {
      if (error.kind === "signed-out") throw error;
      const read = fromPage();
      if (!read.messages.length) {
        throw error.kind === "not-found" ? error : new ShareError("not-found", "No conversation could be read on this page.");
      }
      return { ...read, source: site.name, via: "page" };
    }
    if (!result.messages.length) throw new ShareError("not-found", "This conversation has no messages to share.");
    return { ...result, source: site.name, via: "json" };
  }

  // ------------------------------------------------------------------ images

  const MAX_IMAGE_BYTES = 10 * 1024 * 1024;  // the server's limit per image

  function base64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }

  // The bytes of one image, {data (base64), contentType, size}, or null when they cannot be had (expired,
  // too big, not an image). Same-origin URLs are fetched here with the site's session; another host's signed
  // URL by the background, which has the host permission (the page's CORS rules bind this script).
  async function imageBytes(block) {
    // A site's own pointer (ChatGPT's file ids) is resolved through its API; a URL (Claude's, or an image read
    // from the page) is fetched.
    let found = site.image && !/^https:\/\//.test(block.fetch) ? await site.image(block.fetch, page) : { url: block.fetch };
    if (!found) return null;
    let bytes;
    if (found.response || new URL(found.url, location.href).origin === location.origin) {
      const response = found.response || await fetch(found.url, { credentials: "include" }).catch(() => null);
      if (!response || !response.ok) return null;
      const declared = Number(response.headers.get("content-length") || 0);
      if (declared > MAX_IMAGE_BYTES) return null;
      // Copied into an array of this script's own: in Firefox the response's buffer belongs to the page, and
      // reading a view of it (subarray, spread) is "Permission denied to access property constructor".
      const buffer = await response.arrayBuffer();
      bytes = new Uint8Array(buffer.byteLength);
      bytes.set(new Uint8Array(buffer));
    } else {
      const answer = await ext.runtime.sendMessage({ type: "image", url: found.url });
      if (!answer || !answer.ok) return null;
      bytes = Uint8Array.from(atob(answer.data), (c) => c.charCodeAt(0));
    }
    const contentType = globalThis.ShareReaders.imageType(bytes);
    if (!contentType || bytes.length > MAX_IMAGE_BYTES) return null;
    return { data: base64(bytes), contentType, size: bytes.length };
  }

  // Every image of the conversation, fetched at most four at a time: Map(fetch value -> bytes or null).
  async function fetchImages(conversation) {
    const wanted = [];
    for (const message of conversation.messages || []) {
      for (const block of Array.isArray(message.content) ? message.content : []) {
        if (block.type === "image" && block.fetch && !wanted.includes(block.fetch)) wanted.push(block.fetch);
      }
    }
    const found = new Map();
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const pointer = wanted[next++];
        found.set(pointer, await imageBytes({ fetch: pointer }).catch(() => null));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return found;
  }

  function megabytes(bytes) {
    return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
  }

  // ------------------------------------------------------------------ the interface (in a shadow root)

  const STYLE = `
    :host { all: initial; }
    .share { font: 600 13px/1 system-ui, sans-serif; padding: 7px 12px; border-radius: 8px; border: 1px solid #8884;
             background: #0a58ca; color: #fff; cursor: pointer; }
    .floating { position: fixed; right: 16px; bottom: 88px; z-index: 2147483646; }
    .overlay { position: fixed; inset: 0; background: #0007; z-index: 2147483647; display: flex; align-items: center; justify-content: center; }
    .dialog { font: 14px/1.5 system-ui, sans-serif; color: #1f2328; background: #fff; border-radius: 12px; padding: 20px;
              width: min(560px, 92vw); max-height: 86vh; overflow: auto; box-shadow: 0 10px 40px #0005; }
    h2 { font-size: 18px; margin: 0 0 12px; }
    label { display: block; margin: 10px 0 4px; font-weight: 600; }
    input[type=text] { width: 100%; box-sizing: border-box; font: inherit; padding: 6px 8px; border: 1px solid #d0d7de; border-radius: 6px; }
    fieldset { border: 1px solid #d0d7de; border-radius: 6px; margin: 10px 0; padding: 8px 10px; }
    fieldset label { font-weight: 400; display: flex; gap: 8px; align-items: baseline; margin: 4px 0; }
    .messages { max-height: 220px; overflow: auto; }
    .row { display: flex; gap: 8px; justify-content: flex-end; margin-top: 14px; flex-wrap: wrap; }
    button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; color: #1f2328; cursor: pointer; }
    button.primary { background: #0a58ca; color: #fff; border-color: #0a58ca; }
    .error { color: #b42318; background: #fef3f2; border-radius: 6px; padding: 8px 10px; }
    .link { font: 13px ui-monospace, monospace; word-break: break-all; background: #f6f8fa; padding: 8px; border-radius: 6px; }
    .muted { color: #57606a; font-size: 12px; }
  `;

  let host = null;
  let root = null;

  function ensureButton() {
    const wanted = Boolean(conversationId());
    if (!host) {
      // A neutral custom element (no id or class an ad-block cosmetic list targets) with a closed shadow root:
      // the chat page's own scripts can see the host but not reach the button, the dialog or the link.
      host = document.createElement("sgpt-action");
      root = host.attachShadow({ mode: "closed" });
      const style = document.createElement("style");
      style.textContent = STYLE;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "share";
      button.textContent = "Share";
      button.setAttribute("aria-label", "Share this conversation");
      button.addEventListener("click", trusted(openDialog));
      root.append(style, button);
    }
    const button = root.querySelector(".share");
    button.hidden = !wanted;
    const header = document.querySelector("#page-header, main header, header");
    const parent = header || document.body;
    button.classList.toggle("floating", !header);
    if (host.parentNode !== parent) parent.append(host);
  }

  // Only a person's click or key press counts: a script on the chat page could otherwise press "Share"
  // (public, under the person's account) by dispatching synthetic events.
  function trusted(handler) {
    return (event) => { if (event && event.isTrusted) handler(event); };
  }

  function element(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    Object.assign(el, props);
    el.append(...children);
    return el;
  }

  function closeDialog() {
    const overlay = root && root.querySelector(".overlay");
    if (overlay) overlay.remove();
  }

  function showDialog(...content) {
    closeDialog();
    const dialog = element("div", { className: "dialog" }, ...content);
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Share this conversation");
    const overlay = element("div", { className: "overlay" }, dialog);
    overlay.addEventListener("click", (event) => { if (event.target === overlay) closeDialog(); });
    overlay.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDialog(); });
    root.append(overlay);
    return dialog;
  }

  function showError(error) {
    const text = error.kind === "rate-limited" && error.retryAfter
      ? `${error.message} Try again in ${error.retryAfter} s.` : error.message;
    const paragraph = element("p", { className: "error", textContent: text });
    paragraph.setAttribute("role", "alert");
    paragraph.dataset.kind = error.kind || "error";
    return paragraph;
  }

  function previewOf(content) {
    if (!Array.isArray(content)) return String(content || "");
    const text = content.find((b) => b.type === "text");
    if (text) return text.text;
    const first = content[0] || {};
    return `[${first.type}${first.name || first.title ? ": " + (first.name || first.title) : ""}]`;
  }

  async function openDialog() {
    const dialog = showDialog(element("h2", { textContent: "Share this conversation" }),
                              element("p", { className: "muted", textContent: "Reading the conversation…" }));
    let conversation, config;
    try {
      [conversation, config] = await Promise.all([readConversation(), ext.runtime.sendMessage({ type: "config" })]);
    } catch (error) {
      dialog.lastChild.replaceWith(showError(error.kind ? error : new ShareError("error", String(error.message || error))));
      dialog.append(element("div", { className: "row" }, element("button", { type: "button", textContent: "Close", onclick: closeDialog })));
      return;
    }
    const turns = conversation.messages || conversation.items;
    const title = element("input", { type: "text", id: "sgpt-title", value: (conversation.title || "").trim() });
    const checks = turns.map((turn, index) => {
      const box = element("input", { type: "checkbox", checked: true, value: String(index) });
      const who = turn.role || (turn.from === "human" ? "user" : "assistant");
      const preview = previewOf(turn.content ?? turn.value).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 80);
      return element("label", {}, box, element("span", { textContent: `${index + 1}. ${who}: ${preview}` }));
    });
    // What will be published, and one switch for the steps behind the answers.
    const counts = conversation.messages ? globalThis.ShareReaders.summary(conversation) : null;
    const steps = element("input", { type: "checkbox", id: "sgpt-steps", checked: true });
    const stepsRow = counts && (counts.reasoning || counts.tools)
      ? element("label", {}, steps, element("span", { textContent: "Include reasoning and tool steps" })) : null;
    const publishes = counts ? element("p", { className: "muted summary", textContent: globalThis.ShareReaders.describe(counts) }) : null;
    // The images' bytes are fetched while the person looks at the dialog; it says how many and how big.
    const images = conversation.messages ? fetchImages(conversation) : Promise.resolve(new Map());
    const withImages = element("input", { type: "checkbox", id: "sgpt-images", checked: true });
    const imagesNote = element("span", { className: "muted images-note", textContent: "fetching…" });
    const imagesRow = counts && counts.images
      ? element("label", {}, withImages, element("span", { textContent: "Include images " }), imagesNote) : null;
    images.then((found) => {
      const fetched = [...found.values()].filter(Boolean);
      const missing = counts ? counts.images - fetched.length : 0;
      const total = fetched.reduce((sum, image) => sum + image.size, 0);
      imagesNote.textContent = `(${fetched.length} image${fetched.length === 1 ? "" : "s"}, ${megabytes(total)}` +
        (missing > 0 ? `; ${missing} could not be fetched and will show by name)` : ")");
      if (!fetched.length) withImages.checked = false;
      withImages.disabled = !fetched.length;
    });
    const unlisted = element("input", { type: "radio", name: "visibility", value: "unlisted", checked: true });
    const publicRadio = element("input", { type: "radio", name: "visibility", value: "public" });
    // The open dataset: off unless chosen, with the license and one sentence of what it means.
    const donate = element("input", { type: "checkbox", id: "sgpt-donate" });
    const license = element("select", { id: "sgpt-license", disabled: true },
      element("option", { value: "CC0-1.0", textContent: "CC0-1.0: no conditions" }),
      element("option", { value: "CC-BY-4.0", textContent: "CC-BY-4.0: credit me" }));
    const attribution = element("input", { type: "text", id: "sgpt-attribution", maxLength: 100, disabled: true,
                                           placeholder: "Name to credit (optional)" });
    attribution.setAttribute("aria-label", "Name to credit under CC-BY-4.0 (optional)");
    const donation = () => {
      license.disabled = !donate.checked;
      attribution.disabled = !donate.checked || license.value !== "CC-BY-4.0";
    };
    donate.addEventListener("change", donation);
    license.addEventListener("change", donation);
    const status = element("div", { className: "status" });
    const shareButton = element("button", { type: "button", className: "primary", textContent: "Share" });
    dialog.replaceChildren(
      element("h2", { textContent: "Share this conversation" }),
      element("label", { htmlFor: "sgpt-title", textContent: "Title" }), title,
      element("fieldset", { className: "messages" }, element("legend", { textContent: `Messages (${turns.length})` }), ...checks),
      ...(publishes ? [publishes] : []), ...(stepsRow ? [stepsRow] : []), ...(imagesRow ? [imagesRow] : []),
      element("fieldset", {}, element("legend", { textContent: "Who can see it" }),
              element("label", {}, unlisted, element("span", { textContent: "Unlisted: only people with the link" })),
              element("label", {}, publicRadio, element("span", { textContent: "Public: also listed on Explore" }))),
      element("fieldset", { className: "dataset" }, element("legend", { textContent: "Open dataset" }),
              element("label", {}, donate, element("span", { textContent: "Also donate to the open dataset" })),
              element("p", { className: "muted", textContent: "Public and downloadable, used to train and study models, even if unlisted; " +
                "e-mails, phone numbers, IPs, card numbers and keys are scrubbed, names and addresses are not. It is published a day " +
                "later; you can withdraw it from later snapshots at any time." }),
              element("label", { htmlFor: "sgpt-license", textContent: "License" }), license, attribution),
      element("p", { className: "muted", textContent: `Server: ${config.server}` }),
      status,
      element("div", { className: "row" }, element("button", { type: "button", textContent: "Cancel", onclick: closeDialog }), shareButton));
    title.focus();

    shareButton.addEventListener("click", trusted(async () => {
      const chosen = checks.map((label, i) => (label.querySelector("input").checked ? turns[i] : null)).filter(Boolean);
      if (!chosen.length) { status.replaceChildren(showError(new ShareError("empty", "Choose at least one message."))); return; }
      let payload = { title: title.value, model: conversation.model || undefined, source: conversation.source,
                      startedAt: conversation.startedAt || undefined, visibility: publicRadio.checked ? "public" : "unlisted" };
      payload[conversation.messages ? "messages" : "items"] = chosen;
      if (donate.checked) {
        payload.dataset = { license: license.value };
        if (license.value === "CC-BY-4.0" && attribution.value.trim()) payload.dataset.attribution = attribution.value.trim();
      }
      if (conversation.messages && !steps.checked) payload = globalThis.ShareReaders.withoutSteps(payload);
      if (conversation.messages && !payload.messages.length) {
        status.replaceChildren(showError(new ShareError("empty", "Choose at least one message with something to show.")));
        return;
      }
      shareButton.disabled = true;
      status.replaceChildren(element("p", { className: "muted", textContent: "Sharing…" }));
      if (conversation.messages) {
        const uploaded = new Map();
        if (withImages.checked) {
          const found = await images;
          let done = 0;
          for (const [pointer, image] of found) {
            if (!image) continue;
            status.replaceChildren(element("p", { className: "muted", textContent: `Uploading images (${++done} of ${[...found.values()].filter(Boolean).length})…` }));
            const sent = await ext.runtime.sendMessage({ type: "media", data: image.data, contentType: image.contentType });
            if (!sent.ok) { shareButton.disabled = false; status.replaceChildren(showError(sent.error)); return; }
            uploaded.set(pointer, sent.id);
          }
        }
        payload = globalThis.ShareReaders.withMedia(payload, uploaded);
      }
      const answer = await ext.runtime.sendMessage({ type: "share", payload });
      shareButton.disabled = false;
      if (!answer.ok) { status.replaceChildren(showError(answer.error)); return; }
      const { id, shortUrl, url, deleteToken, dataset } = answer.share;
      const copy = element("button", { type: "button", className: "primary", textContent: "Copy link" });
      copy.addEventListener("click", trusted(async () => {
        try { await navigator.clipboard.writeText(shortUrl); copy.textContent = "Copied"; }
        catch (e) { copy.textContent = "Copy failed"; }
      }));
      const open = element("button", { type: "button", textContent: "Open" });
      // The delete key travels in the fragment, which browsers never send to a server.
      open.addEventListener("click", trusted(() => window.open(`${url}#token=${deleteToken}`, "_blank", "noopener")));
      const link = element("p", { className: "link", textContent: shortUrl });
      link.dataset.id = id;
      dialog.replaceChildren(element("h2", { textContent: "Shared" }), link,
        element("p", { className: "muted", textContent: payload.visibility === "public" ? "Public: listed on Explore." : "Unlisted: only people with the link can see it." }),
        ...(dataset ? [element("p", { className: "muted donated", textContent: `Donated under ${dataset.license}: in the open dataset's snapshots from ${new Date(dataset.includedFrom).toLocaleString()}. Open the page to preview what is published, or to withdraw.` })] : []),
        element("div", { className: "row" }, element("button", { type: "button", textContent: "Close", onclick: closeDialog }), open, copy));
      copy.focus();
    }));
  }

  ext.runtime.onMessage.addListener((message) => {
    if (message && message.type === "open-share") { ensureButton(); openDialog(); }
  });

  // Keep the button in place across the site's client-side navigation and re-renders.
  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => { scheduled = false; ensureButton(); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  // A URL change without a DOM change (history.pushState) must still show or hide the button.
  if (window.navigation) window.navigation.addEventListener("currententrychange", ensureButton);
  window.addEventListener("popstate", ensureButton);
  ensureButton();
})();
