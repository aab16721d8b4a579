// Grok (grok.com), everything the extension knows of it: how its JSON becomes the body of POST /api/conversations
// (`read`: no DOM, no network), its model names, where its images may be fetched from, how the page fetches the
// conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how its turns are read
// from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding a site:
// docs/pages.md.
(() => {
  "use strict";
  const {
    PRIVATE_USE, IMAGE_NAME, cut, oneLine, parseJson, compact, startedAt, cite, webLinks, seconds,
    maybeList
  } = globalThis.ShareSites.helpers;

  // POST /rest/app-chat/conversations/{id}/load-responses answers {responses: [...]}; GET .../response-node
  // ({responseNodes: [{responseId, parentResponseId}]}) gives the tree when asked. The branch on screen is
  // the newest leaf back to the root (the API marks no current branch; the app opens on the latest).
  const GROK_RENDER = /<grok:render\b[^>]*?\bcard_id="([^"]*)"[^>]*>[\s\S]*?<\/grok:render>/g;
  const SITE_TAG = /<\/?(?:grok|xai):[^>]*>/g;

  function grokBranch(responses, nodes) {
    const byId = new Map(responses.filter((r) => r && r.responseId).map((r) => [r.responseId, r]));
    const parent = new Map();
    for (const n of nodes || []) if (n && n.responseId) parent.set(n.responseId, n.parentResponseId || null);
    for (const r of byId.values()) if (!parent.has(r.responseId)) parent.set(r.responseId, r.parentResponseId || null);
    const hasChild = new Set([...parent.entries()].filter(([id]) => byId.has(id)).map(([, p]) => p).filter(Boolean));
    const leaves = [...byId.values()].filter((r) => !hasChild.has(r.responseId))
      .sort((a, b) => String(a.createTime || "").localeCompare(String(b.createTime || "")));
    const path = [];
    const seen = new Set();
    for (let id = leaves.length ? leaves[leaves.length - 1].responseId : null; id && byId.has(id) && !seen.has(id);
         id = parent.get(id)) {
      seen.add(id);
      path.push(byId.get(id));
    }
    return path.reverse();
  }

  function grokSteps(response) {
    const blocks = [];
    for (const step of maybeList(response.steps)) {
      if (!step) continue;
      const text = maybeList(step.text).join("") || (typeof step.text === "string" ? step.text : "");
      const tool = (text.match(/<xai:tool_name>([^<]{1,100})<\/xai:tool_name>/) || [])[1];
      if (!tool) continue;
      const args = parseJson((text.match(/<!\[CDATA\[([\s\S]*?)\]\]>/) || [])[1] || "") || {};
      const results = maybeList(step.toolUsageResults).flatMap((r) => (r && r.webSearchResults && r.webSearchResults.results) || []);
      const what = tool === "web_search" ? "Searched the web" : tool === "x_search" || tool === "x_keyword_search" ? "Searched X"
        : tool === "browse_page" ? "Read a web page" : `Used ${tool.replace(/_/g, " ")}`;
      const detail = args.query || args.url || "";
      blocks.push({ type: "tool", title: oneLine(detail ? `${what}: ${detail}` : what), links: webLinks(results) });
    }
    return blocks;
  }

  function grokText(response) {
    const cards = new Map();
    for (const raw of maybeList(response.cardAttachmentsJson)) {
      const card = typeof raw === "string" ? parseJson(raw) : raw;
      if (card && card.id) cards.set(String(card.id), card);
    }
    // A card names only its URL: its title is the search result's with that URL, if the search found it.
    const titles = new Map();
    const found = [...maybeList(response.webSearchResults), ...maybeList(response.steps).flatMap((step) =>
      maybeList(step && step.toolUsageResults).flatMap((r) => (r && r.webSearchResults && r.webSearchResults.results) || []))];
    for (const r of found) if (r && r.url && r.title && !titles.has(r.url)) titles.set(r.url, r.title);
    return String(response.message || "")
      .replace(GROK_RENDER, (all, id) => {
        const card = cards.get(id);
        return card ? cite(card.url, card.title || titles.get(card.url)) : "";
      })
      .replace(SITE_TAG, "").replace(PRIVATE_USE, "");
  }

  function grokAttachments(response) {
    return maybeList(response.fileAttachmentsMetadata).filter((f) => f && f.fileName).map((f) => (
      /^image\//.test(f.fileMimeType || "") || IMAGE_NAME.test(f.fileName)
        ? compact({ type: "image", name: cut(String(f.fileName), 300),
                    fetch: f.fileUri ? `https://assets.grok.com/${String(f.fileUri).replace(/^\/+/, "")}` : undefined })
        : compact({ type: "file", name: cut(String(f.fileName), 300), mimeType: f.fileMimeType ? cut(String(f.fileMimeType), 100) : undefined })));
  }

  // A conversation of Grok's data export (prod-grok-backend.json: {conversation, responses: [{response}]}, snake
  // case, BSON dates) in load-responses' shape; other values pass through.
  function grokExportEntry(entry) {
    if (!entry || !entry.conversation || !Array.isArray(entry.responses)) return entry;
    const date = (value) => {
      const ms = Number(value && value.$date && (value.$date.$numberLong ?? value.$date));
      return Number.isFinite(ms) ? new Date(ms).toISOString() : typeof value === "string" ? value : undefined;
    };
    const responses = entry.responses.map((r) => r && r.response).filter(Boolean).map((r) => ({
      responseId: r._id, message: r.message,
      sender: r.sender === "human" || r.sender === "USER" ? "human" : "ASSISTANT",
      createTime: date(r.create_time), parentResponseId: r.parent_response_id || undefined, model: r.model,
      webSearchResults: r.web_search_results, citedWebSearchResults: r.cited_web_search_results,
      thinkingTrace: r.thinking_trace, thinkingStartTime: date(r.thinking_start_time),
      thinkingEndTime: date(r.thinking_end_time), steps: r.steps, generatedImageUrls: r.generated_image_urls,
      cardAttachmentsJson: r.card_attachments_json,
    }));
    return { responses, title: entry.conversation.title };
  }

  function grok(responsesIn, nodes) {
    const responses = grokExportEntry(responsesIn);
    const list = Array.isArray(responses) ? responses : responses && Array.isArray(responses.responses) ? responses.responses : null;
    if (!list) throw new Error("Not a Grok conversation.");
    const tree = Array.isArray(nodes) ? nodes : nodes && Array.isArray(nodes.responseNodes) ? nodes.responseNodes : [];
    const messages = [];
    let model;
    for (const response of grokBranch(list, tree)) {
      const user = response.sender === "human" || response.sender === "USER";
      const blocks = [];
      if (user) {
        blocks.push(...grokAttachments(response));
        if (String(response.message || "").trim()) blocks.push({ type: "text", text: String(response.message).replace(PRIVATE_USE, "") });
      } else {
        const start = Date.parse(response.thinkingStartTime || "");
        const end = Date.parse(response.thinkingEndTime || "");
        const trace = typeof response.thinkingTrace === "string" ? response.thinkingTrace.replace(SITE_TAG, "").trim() : "";
        if (trace || (Number.isFinite(start) && Number.isFinite(end) && end > start)) {
          blocks.push({ type: "reasoning", title: seconds((end - start) / 1000), text: trace });
        }
        blocks.push(...grokSteps(response));
        const text = grokText(response);
        if (text.trim()) blocks.push({ type: "text", text });
        for (const url of maybeList(response.generatedImageUrls)) {
          if (typeof url === "string" && url) {
            blocks.push({ type: "image", name: "Generated image", fetch: /^https:\/\//.test(url) ? url : `https://assets.grok.com/${url.replace(/^\/+/, "")}` });
          }
        }
        model = grokModel(response.model) || model;
      }
      if (!blocks.length) continue;
      const role = user ? "user" : "assistant";
      const last = messages[messages.length - 1];
      if (last && last.role === role && role === "assistant") last.content.push(...blocks);
      else messages.push({ role, content: blocks });
    }
    const first = list.map((r) => Date.parse(r && r.createTime || "")).filter(Number.isFinite).sort((a, b) => a - b)[0];
    const title = responses && typeof responses.title === "string" ? oneLine(responses.title, 2000) : undefined;
    return { title: title || undefined, model, startedAt: startedAt(first ?? null), source: "grok", messages };
  }

  function grokModel(slug) {
    const m = String(slug || "").match(/^grok-(\d+(?:\.\d+)?)(?:-(mini|heavy|fast))?$/);
    return m ? `Grok ${m[1]}${m[2] ? ` ${m[2][0].toUpperCase()}${m[2].slice(1)}` : ""}` : undefined;
  }

  // ------------------------------------------------------------------ in the page

  // Grok: the tree of the conversation (which responses, which parent), then their bodies, with the cookies.
  async function grokJson(id, page) {
    const { getJson, ShareError, pageTitle } = page;
    const base = `/rest/app-chat/conversations/${encodeURIComponent(id)}`;
    const tree = await getJson(`${base}/response-node?includeThreads=true`);
    const ids = ((tree && tree.responseNodes) || []).map((n) => n && n.responseId).filter(Boolean);
    if (!ids.length) throw new ShareError("not-found", "This conversation has no messages to share.");
    const bodies = await getJson(`${base}/load-responses`, { method: "POST", headers: { "Content-Type": "application/json" },
                                                             body: JSON.stringify({ responseIds: ids }) });
    if (!bodies || !Array.isArray(bodies.responses)) throw new ShareError("site-error", "Unexpected answer from Grok.");
    const read = grok(bodies, tree);
    return { ...read, title: read.title || pageTitle() || undefined };
  }

  // Grok's turns are rows aligned right (the person's) or left (Grok's); the thinking panel is left out.
  function pageTurns({ turn }) {
    return [...document.querySelectorAll(".message-bubble")].map((el) => {
      const row = el.closest(".items-end, .items-start");
      if (row && row.matches(".items-end")) return turn("user", el.querySelector(".response-content-markdown") || el, row);
      const answers = [...el.querySelectorAll(".response-content-markdown")].filter((md) => !md.closest(".thinking-container"));
      return turn("assistant", answers.length ? answers : el, null);
    });
  }

  globalThis.ShareSites.register({
    name: "grok",
    label: "Grok",
    hosts: ["grok.com"],
    imageHosts: [/^grok\.com$/, /^assets\.grok\.com$/],
    path: /^\/(?:c|chat)\/([0-9a-f-]{8,})/i,
    read: grok,
    load: grokJson,
    pageTurns,
  });
})();
