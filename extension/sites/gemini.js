// Gemini (gemini.google.com), everything the extension knows of it: how its JSON becomes the body of POST
// /api/conversations (`read`: no DOM, no network), its model names, where its images may be fetched from, how the
// page fetches the conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how its
// turns are read from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding a
// site: docs/pages.md.
(() => {
  "use strict";
  const { PRIVATE_USE, oneLine, parseJson, startedAt } = globalThis.ShareSites.helpers;

  // The raw text of batchexecute's answer to the read-conversation call (rpc hNvQHb): ")]}'", then length lines
  // and JSON arrays; the payload is a JSON string inside them, positional throughout. Turns come newest first;
  // each turn holds the user's text, the drafts the app made and the one chosen, and its thoughts.
  const GEMINI_PLACEHOLDER = /https?:\/\/googleusercontent\.com\/[a-z_]+_content\/\d+|image_agent_tag_\w+/g;
  const GEMINI_TAG = /<\/?FollowUp\b[^>]*>/gi;

  function geminiPayload(text, rpc = "hNvQHb") {
    const body = String(text).replace(/^\)\]\}'\s*/, "");
    for (const line of body.split("\n")) {
      if (!line.startsWith("[")) continue;
      const frame = parseJson(line);
      for (const entry of Array.isArray(frame) ? frame : []) {
        if (Array.isArray(entry) && entry[0] === "wrb.fr" && entry[1] === rpc && typeof entry[2] === "string") {
          return parseJson(entry[2]);
        }
      }
    }
    return null;
  }

  // The title the app shows for conversation `id`, from its conversation list (rpc MaZiqc: [null, next page,
  // [[c_id, title, pinned, null, null, [secs, nanos], …], …]]), or undefined: the read call carries none.
  function geminiTitle(text, id) {
    const payload = geminiPayload(text, "MaZiqc");
    const found = (Array.isArray(payload) && Array.isArray(payload[2]) ? payload[2] : [])
      .find((chat) => Array.isArray(chat) && chat[0] === `c_${id}` && typeof chat[1] === "string");
    return found ? oneLine(found[1], 2000) || undefined : undefined;
  }

  const at = (value, ...path) => path.reduce((v, i) => (Array.isArray(v) ? v[i] : undefined), value);

  function geminiImages(candidate) {
    const urls = new Set();
    const walk = (v, depth) => {
      if (depth > 12) return;
      if (typeof v === "string" && /^https:\/\/lh3\.googleusercontent\.com\/gg/.test(v)) urls.add(v);
      else if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    };
    walk(at(candidate, 12), 0);
    return [...urls].slice(0, 20).map((url) => ({ type: "image", name: "Generated image", fetch: url }));
  }

  function gemini(text) {
    const payload = typeof text === "string" ? geminiPayload(text) : text;
    const turns = at(payload, 0);
    if (!Array.isArray(turns)) throw new Error("Not a Gemini conversation.");
    const messages = [];
    let model;
    let first = null;
    for (const turn of [...turns].reverse()) {  // oldest first
      const asked = at(turn, 2, 0, 0);
      if (typeof asked === "string" && asked.trim()) messages.push({ role: "user", content: [{ type: "text", text: asked.replace(PRIVATE_USE, "") }] });
      const response = at(turn, 3);
      const drafts = Array.isArray(at(response, 0)) ? at(response, 0) : [];
      const chosen = drafts.find((d) => at(d, 0) === at(response, 3)) || drafts[0];
      const blocks = [];
      const thought = at(chosen, 37, 0, 0);
      if (typeof thought === "string" && thought.trim()) blocks.push({ type: "reasoning", title: "Thoughts", text: thought });
      const answer = at(chosen, 1, 0);
      if (typeof answer === "string") {
        const clean = answer.replace(GEMINI_TAG, "").replace(GEMINI_PLACEHOLDER, "").replace(PRIVATE_USE, "").trim();
        if (clean) blocks.push({ type: "text", text: clean });
      }
      blocks.push(...geminiImages(chosen));
      if (blocks.length) messages.push({ role: "assistant", content: blocks });
      const label = at(response, 21);
      if (typeof label === "string" && /^[\w .-]{1,40}$/.test(label)) model = `Gemini ${label}`;
      const secs = at(turn, 4, 0);
      if (Number.isFinite(secs) && (first === null || secs < first)) first = secs;
    }
    return { title: undefined, model, startedAt: startedAt(first === null ? null : first * 1000), source: "gemini", messages };
  }

  // ------------------------------------------------------------------ in the page

  // Gemini: the read-conversation call its app makes (batchexecute, rpc hNvQHb), with the page's own `at`
  // token and build label, which the page's inline configuration carries (this script cannot read the page's
  // variables, but it can read its markup).
  async function geminiText(id, page) {
    const { ShareError, signedOutMessage, pageTitle } = page;
    const config = [...document.querySelectorAll("script")].map((el) => el.textContent).join("\n");
    const value = (key) => (config.match(new RegExp(`"${key}":"([^"]{1,500})"`)) || [])[1];
    const token = value("SNlM0e");
    if (!token) throw new ShareError("signed-out", signedOutMessage());
    // One batchexecute call of the app's own, with its `at` token and build label.
    const call = (rpc, args) => fetch(`/_/BardChatUi/data/batchexecute?${new URLSearchParams({
      rpcids: rpc, "source-path": location.pathname, bl: value("cfb2h") || "", "f.sid": value("FdrFJe") || "", hl: "en",
      rt: "c" })}`, {
      method: "POST", credentials: "include", headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: new URLSearchParams({ "f.req": JSON.stringify([[[rpc, args, null, "generic"]]]), at: token }) });
    let response;
    try {
      response = await call("hNvQHb", JSON.stringify([`c_${id}`, 10, null, 1, [1], [4], null, 1]));
    } catch (e) { throw new ShareError("site-unreachable", "The chat site did not answer."); }
    if (response.status === 401 || response.status === 403) throw new ShareError("signed-out", signedOutMessage());
    if (!response.ok) throw new ShareError("site-error", `The chat site answered ${response.status}.`);
    const read = gemini(await response.text());
    return { ...read, title: read.title || await listedTitle(id, call) || pageTitle() || undefined };
  }

  // The conversation's title from the list the app's sidebar shows (its most recent 200), as maintained
  // exporters read it; nothing when the list cannot be had (the tab's title is the fallback).
  async function listedTitle(id, call) {
    try {
      const answer = await call("MaZiqc", JSON.stringify([200, null, [0, null, 1]]));
      return answer.ok ? geminiTitle(await answer.text(), id) : undefined;
    } catch (e) {
      return undefined;
    }
  }

  function pageTurns({ turn }) {
    return [...document.querySelectorAll("user-query, model-response")].map((el) => {
      if (el.matches("user-query")) return turn("user", el.querySelector(".query-text") || el, el);
      const answer = el.querySelector("message-content");
      return answer ? turn("assistant", answer.querySelector(".markdown") || answer, answer) : null;
    });
  }

  globalThis.ShareSites.register({
    name: "gemini",
    label: "Gemini",
    aliases: ["Google Gemini"],
    hosts: ["gemini.google.com"],
    imageHosts: [/^lh3\.googleusercontent\.com$/],
    path: /^\/(?:u\/\d+\/)?app\/([0-9a-f]{8,})/i,
    read: gemini,
    title: geminiTitle,
    load: geminiText,
    pageTurns,
  });
})();
