// Perplexity (www.perplexity.ai), everything the extension knows of it: how its JSON becomes the body of POST
// /api/conversations (`read`: no DOM, no network), its model names, where its images may be fetched from, how the
// page fetches the conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how its
// turns are read from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding a
// site: docs/pages.md.
(() => {
  "use strict";
  const { PRIVATE_USE, MAX_LINKS, oneLine, size, hostOf } = globalThis.ShareSites.helpers;

  // The thread's Markdown export ({file_content_64, filename}: one "# query" per turn, the answer, footnote
  // definitions "[^turn_n]: url", a hidden span listing the uncited ones), or the thread JSON ({entries}).
  function perplexity(answer) {
    if (answer && typeof answer.file_content_64 === "string") return perplexityMarkdown(answer);
    if (answer && Array.isArray(answer.entries)) return perplexityThread(answer);
    throw new Error("Not a Perplexity thread.");
  }

  function decodeBase64(text) {
    const binary = atobSafe(text);
    try { return decodeURIComponent(escape(binary)); } catch (e) { return binary; }  // UTF-8 bytes to text
  }

  function atobSafe(text) {
    if (typeof atob === "function") return atob(text);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let out = "";
    let buffer = 0;
    let bits = 0;
    for (const ch of String(text).replace(/[^A-Za-z0-9+/]/g, "")) {
      buffer = (buffer << 6) | alphabet.indexOf(ch);
      bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((buffer >> bits) & 255); }
    }
    return out;
  }

  function withFootnotes(text, definitions) {
    // Each cited footnote becomes a numbered link where it is cited, and a numbered source under the answer;
    // the uncited ones (Perplexity hides them) are not published.
    const cited = new Map();
    const body = text.replace(/\[\^(\d+)_(\d+)\]/g, (all, turn, n) => {
      const url = definitions.get(`${turn}_${n}`);
      if (!url) return "";
      cited.set(Number(n), url);
      return ` [${n}](${url.replace(/[()\s]/g, encodeURIComponent)})`;
    });
    if (!cited.size) return body;
    const list = [...cited.entries()].sort((a, b) => a[0] - b[0]).slice(0, MAX_LINKS)
      .map(([n, url]) => `${n}. [${hostOf(url)}](${url.replace(/[()\s]/g, encodeURIComponent)})`);
    return `${body}\n\nSources:\n\n${list.join("\n")}`;
  }

  function perplexityMarkdown(answer) {
    const markdown = decodeBase64(answer.file_content_64).replace(/\r\n/g, "\n");
    const definitions = new Map();
    const text = markdown.replace(/^\[\^(\d+_\d+)\]:\s*(\S+)\s*$/gm, (all, key, url) => {
      if (/^https?:\/\//.test(url)) definitions.set(key, url.replace(/\\([&_*])/g, "$1"));
      return "";
    });
    const cleaned = text.replace(/<img\b[^>]*>/gi, "").replace(/<span style="display:none">[\s\S]*?<\/span>/gi, "")
      .replace(/<div style="text-align: center">⁂<\/div>/g, "");
    const messages = [];
    for (const part of cleaned.split(/\n---\n/)) {
      const match = part.match(/^\s*#\s+(.+)\n([\s\S]*)$/);
      if (!match) continue;
      messages.push({ role: "user", content: [{ type: "text", text: match[1].trim() }] });
      const reply = withFootnotes(match[2], definitions).replace(PRIVATE_USE, "").trim();
      if (reply) messages.push({ role: "assistant", content: [{ type: "text", text: reply }] });
    }
    const title = String(answer.filename || "").replace(/\.md$/i, "");
    return { title: oneLine(title, 2000) || undefined, source: "perplexity", messages };
  }

  // Internal model slugs as Perplexity names them; an unknown slug is left out rather than shown.
  const PERPLEXITY_MODELS = { pplx_pro: "Perplexity Pro", turbo: "Perplexity", experimental: "Sonar", gpt4o: "GPT-4o",
                              claude2: "Claude", gpt5: "GPT-5", grok4: "Grok 4" };

  function perplexityThread(thread) {
    // Field names from parsers' tests and stream captures (no stored thread JSON seen): read defensively.
    const messages = [];
    thread.entries.forEach((entry, index) => {
      if (!entry || typeof entry.query_str !== "string") return;
      messages.push({ role: "user", content: [{ type: "text", text: entry.query_str }] });
      const blocks = [];
      const byUsage = new Map((entry.blocks || []).filter(Boolean).map((b) => [b.intended_usage, b]));
      const plan = byUsage.get("pro_search_steps");
      const goals = plan && plan.plan_block && Array.isArray(plan.plan_block.goals) ? plan.plan_block.goals : [];
      const steps = goals.map((g) => (typeof g === "string" ? g : g && g.description)).filter(Boolean);
      if (steps.length) blocks.push({ type: "reasoning", title: "Search plan", text: steps.map((g) => `- ${g}`).join("\n") });
      const web = byUsage.get("web_results");
      const results = (web && web.web_result_block && web.web_result_block.web_results) || [];
      const definitions = new Map(results.map((r, i) => [`${index + 1}_${i + 1}`, r && r.url]).filter(([, url]) => url));
      const ask = byUsage.get("ask_text");
      const markdown = ask && ask.markdown_block && typeof ask.markdown_block.answer === "string" ? ask.markdown_block.answer : "";
      const numbered = markdown.replace(/\[(\d+)\]/g, (all, n) => (definitions.has(`${index + 1}_${n}`) ? `[^${index + 1}_${n}]` : ""));
      const reply = withFootnotes(numbered, definitions).replace(PRIVATE_USE, "").trim();
      if (reply) blocks.push({ type: "text", text: reply });
      if (blocks.length) messages.push({ role: "assistant", content: blocks });
    });
    const slug = thread.entries.map((e) => e && e.display_model).filter((m) => typeof m === "string" && m).pop();
    return { title: undefined, model: PERPLEXITY_MODELS[slug], source: "perplexity", messages };
  }

  // ------------------------------------------------------------------ in the page

  // Perplexity: the thread as its app reads it, with the cookies.
  async function perplexityJson(slug, page) {
    const { getJson, ShareError, pageTitle } = page;
    const thread = await getJson(`/rest/thread/${encodeURIComponent(slug)}?version=2.18&source=default`);
    if (!thread || !Array.isArray(thread.entries)) throw new ShareError("site-error", "Unexpected answer from Perplexity.");
    const read = perplexity(thread);
    return { ...read, title: read.title || pageTitle() || undefined };
  }

  function pageTurns({ turn }) {
    return [...document.querySelectorAll('[class~="group/query"], [class~="group/user-bubble"], .prose')]
      .filter((el) => !el.parentElement.closest('.prose, [class~="group/query"], [class~="group/user-bubble"]'))
      .map((el) => (el.matches(".prose") ? turn("assistant", el, null) : turn("user", el, el)));
  }

  globalThis.ShareSites.register({
    name: "perplexity",
    label: "Perplexity",
    hosts: ["www.perplexity.ai"],
    imageHosts: [/^www\.perplexity\.ai$/],
    path: /^\/search\/([A-Za-z0-9._-]{4,200})/,
    read: perplexity,
    load: perplexityJson,
    pageTurns,
  });
})();
