// What every chat site's reader shares, and the register the sites join. Each chat site is one file beside this
// one (sites/<name>.js) that calls `ShareSites.register` with everything about it: how its JSON becomes the body
// of POST /api/conversations, its model names, its image hosts, how the page fetches the conversation, and how
// its turns are read from the page. What a reader makes is one message per visible turn, the assistant's side as
// ordered blocks (reasoning, code runs, tool steps, documents, text, images), and nothing the sharer did not
// see: no system or hidden messages, custom instructions, memory, tool plumbing, raw search or file-search
// results, and never the contents of an uploaded file (only its name, type and size).
//
// A plain script: no imports, and no DOM, network or extension API in anything a reader calls. The extension
// loads it, then the one site's file, before content.js (manifest.json: one entry per site); the background
// loads it with every site's file (their image hosts); tests load it in Node with `vm`; the import page and its
// worker load it with the sites whose exports they read.
(() => {
  "use strict";

  const PRIVATE_USE = /[\uE000-\uF8FF]/g;
  const LANGUAGE = /^[A-Za-z0-9_+#.-]{1,40}$/;
  const IMAGE_NAME = /\.(png|jpe?g|gif|webp|heic|bmp|svg)$/i;
  const MAX_LINKS = 50;

  const cut = (text, limit) => (text.length > limit ? text.slice(0, limit - 1) + "…" : text);
  const oneLine = (text, limit = 500) => cut(String(text || "").replace(/\s+/g, " ").trim(), limit);
  const language = (name) => (name && LANGUAGE.test(name) && name !== "unknown" ? name : undefined);
  const dimension = (n) => (Number.isInteger(n) && n > 0 && n <= 100000 ? n : undefined);
  const size = (n) => (Number.isInteger(n) && n >= 0 ? n : undefined);
  const parseJson = (text) => { try { return JSON.parse(text); } catch (e) { return null; } };

  function compact(block) {
    for (const key of Object.keys(block)) if (block[key] === undefined) delete block[key];
    return block;
  }

  // Numbered sources (title and URL, http(s) only) under a text: `sources` maps each URL to its title.
  function withSources(text, sources) {
    if (!sources.size) return text;
    const list = [...sources].slice(0, MAX_LINKS)
      .map(([url, title], i) => `${i + 1}. [${title}](${url.replace(/[()\s]/g, encodeURIComponent)})`);
    return `${text}\n\nSources:\n\n${list.join("\n")}`;
  }

  // When the conversation began on its site, as the API takes it (ISO 8601, UTC), or nothing.
  function startedAt(ms) {
    return Number.isFinite(ms) && ms > Date.UTC(2015, 0, 1) && ms < Date.now() + 86400000
      ? new Date(ms).toISOString() : undefined;
  }

  // ------------------------------------------------------------------ shared by the newer assistants

  const cite = (url, title) => (typeof url === "string" && /^https?:\/\//.test(url)
    ? ` ([${oneLine(title || hostOf(url), 120).replace(/[[\]]/g, "")}](${url.replace(/[()\s]/g, encodeURIComponent)}))` : "");
  const hostOf = (url) => ((String(url).match(/^https?:\/\/([^/:?#\s]+)/) || [])[1] || String(url)).replace(/^www\./, "");
  const webLinks = (results) => (Array.isArray(results) ? results : [])
    .filter((r) => r && typeof r.url === "string" && /^https?:\/\//.test(r.url))
    .slice(0, MAX_LINKS).map((r) => compact({ url: r.url, title: oneLine(r.title || r.name || hostOf(r.url), 300) }));
  const seconds = (n) => (Number.isFinite(n) && n >= 0 ? `Thought for ${n < 60 ? `${Math.max(1, Math.round(n))}s`
    : `${Math.floor(n / 60)}m ${Math.round(n % 60)}s`}` : "Thought");
  const maybeList = (value) => (Array.isArray(value) ? value : typeof value === "string" ? parseJson(value) || [] : []);

  // ------------------------------------------------------------------ what the dialog shows and sends

  function summary(payload) {
    const counts = { turns: 0, images: 0, files: 0, reasoning: 0, tools: 0 };
    for (const message of payload.messages || []) {
      counts.turns += 1;
      for (const block of Array.isArray(message.content) ? message.content : []) {
        if (block.type === "image") counts.images += 1;
        else if (block.type === "file") counts.files += 1;
        else if (block.type === "reasoning") counts.reasoning += 1;
        else if (block.type === "code" || block.type === "tool") counts.tools += 1;
      }
    }
    return counts;
  }

  // The summary in words, as the extension's dialog and the import page show it.
  function describe(counts) {
    const parts = [`${counts.turns} turn${counts.turns === 1 ? "" : "s"}`];
    for (const [n, one, many] of [[counts.images, "image", "images"], [counts.files, "file (name only)", "files (names only)"],
                                  [counts.reasoning, "reasoning summary", "reasoning summaries"],
                                  [counts.tools, "tool step", "tool steps"]]) {
      if (n) parts.push(`${n} ${n === 1 ? one : many}`);
    }
    return `Will publish: ${parts.join(", ")}.`;
  }

  // The switch "include reasoning and tool steps" off: those blocks go, and turns left empty go too.
  function withoutSteps(payload) {
    const messages = (payload.messages || [])
      .map((m) => ({ ...m, content: m.content.filter((b) => !["reasoning", "code", "tool"].includes(b.type)) }))
      .filter((m) => m.content.length);
    return { ...payload, messages };
  }

  // What is sent: each image's `fetch` replaced by the `media` id its uploaded bytes got (`uploaded`, keyed by
  // the `fetch` value), or dropped (the image is then shown by its name). A copy: the read stays as it was.
  function withMedia(payload, uploaded = new Map()) {
    const messages = (payload.messages || []).map((m) => ({
      ...m,
      content: Array.isArray(m.content) ? m.content.map((b) => {
        if (b.type !== "image" || !("fetch" in b)) return b;
        const { fetch, ...rest } = b;
        return uploaded.has(fetch) ? { ...rest, media: uploaded.get(fetch) } : rest;
      }) : m.content,
    }));
    return { ...payload, messages };
  }

  // An image's type from its first bytes (PNG, JPEG, GIF, WebP: what the server accepts), or null.
  function imageType(bytes) {
    const starts = (...b) => b.every((v, i) => bytes[i] === v);
    if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
    if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
    if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
    if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 &&
        bytes[10] === 0x42 && bytes[11] === 0x50) return "image/webp";
    return null;
  }

  // ------------------------------------------------------------------ the sites

  const sites = new Map();
  // The readers by site name, and what the dialog and the import page call on a read (the API tests, the
  // import worker and content.js use): site readers join as their files load.
  const readers = { summary, describe, withoutSteps, withMedia, imageType };
  const FIELDS = ["name", "label", "hosts", "imageHosts", "path", "read", "load", "pageTurns"];

  // A site's file joins: its name (keys.SOURCES on the server), the name it shows, the hosts of its pages and of
  // its images, the path its conversations' ids are in, and its functions (read, load, pageTurns; model and
  // image when it has them). A site registered twice, or missing a field, is a mistake in its file.
  function register(site) {
    const missing = FIELDS.filter((field) => !(field in site));
    if (missing.length) throw new Error(`The site ${site.name} lacks ${missing.join(", ")}.`);
    if (sites.has(site.name)) throw new Error(`The site ${site.name} is registered twice.`);
    sites.set(site.name, Object.freeze({ aliases: [], ...site }));
    Object.defineProperty(readers, site.name, { value: site.read, enumerable: true });
  }

  // The registered site whose pages are on `hostname`, or null.
  const forHost = (hostname) => [...sites.values()].find((site) => site.hosts.includes(hostname)) || null;

  globalThis.ShareSites = Object.freeze({
    helpers: Object.freeze({ PRIVATE_USE, IMAGE_NAME, MAX_LINKS, cut, oneLine, language, dimension, size, parseJson,
                             compact, withSources, startedAt, cite, hostOf, webLinks, seconds, maybeList }),
    register, forHost, all: () => [...sites.values()],
  });
  globalThis.ShareReaders = readers;
})();
