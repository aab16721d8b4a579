// Claude (claude.ai), everything the extension knows of it: how its JSON becomes the body of POST
// /api/conversations (`read`: no DOM, no network), its model names, where its images may be fetched from, how the
// page fetches the conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how its
// turns are read from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding a
// site: docs/pages.md.
(() => {
  "use strict";
  const {
    PRIVATE_USE, IMAGE_NAME, MAX_LINKS, cut, oneLine, language, dimension, size, compact, withSources,
    startedAt
  } = globalThis.ShareSites.helpers;

  function claudeBranch(data) {
    const list = Array.isArray(data.chat_messages) ? data.chat_messages : [];
    const byId = new Map(list.map((m) => [m.uuid, m]));
    let leaf = data.current_leaf_message_uuid;
    if (!leaf || !byId.has(leaf)) {  // an official export: the newest leaf
      const parents = new Set(list.map((m) => m.parent_message_uuid));
      const leaves = list.filter((m) => !parents.has(m.uuid));
      leaves.sort((a, b) => String(a.created_at || "").localeCompare(String(b.created_at || "")) || (a.index || 0) - (b.index || 0));
      leaf = leaves.length ? leaves[leaves.length - 1].uuid : null;
    }
    const chain = [];
    const seen = new Set();
    for (let id = leaf; id && byId.has(id) && !seen.has(id); id = byId.get(id).parent_message_uuid) {
      seen.add(id);
      chain.push(byId.get(id));
    }
    return chain.reverse();
  }

  // A text block's citations become numbered sources under it (title and URL), once each.
  function claudeText(block) {
    const text = String(block.text || "").replace(PRIVATE_USE, "");
    const sources = new Map();
    for (const c of Array.isArray(block.citations) ? block.citations : []) {
      const url = c && (c.url || (c.details && c.details.url));
      if (!url || !/^https?:\/\//.test(url) || sources.has(url)) continue;
      sources.set(url, oneLine((c.title || (c.details && c.details.title) || url), 120).replace(/[[\]]/g, ""));
    }
    return withSources(text, sources);
  }

  function claudeFiles(message) {
    const blocks = [];
    const seen = new Set();
    for (const file of [...(message.files_v2 || []), ...(message.files || [])]) {
      const name = file && (file.file_name || file.name);
      const id = file && (file.file_uuid || file.uuid || name);
      if (!name || seen.has(id)) continue;
      seen.add(id);
      const image = file.file_kind === "image" || IMAGE_NAME.test(name);
      const asset = file.preview_asset || file.thumbnail_asset || {};
      const url = String(asset.url || file.preview_url || file.thumbnail_url || "");
      blocks.push(image
        ? compact({ type: "image", name: cut(name, 300), width: dimension(asset.image_width), height: dimension(asset.image_height),
                    fetch: /^\/api\/[\w\/.-]{1,300}$/.test(url) ? url : undefined })
        : compact({ type: "file", name: cut(name, 300), mimeType: file.file_type || undefined, size: size(file.file_size) }));
    }
    // Attachments carry the file's extracted text: only the name, type and size are shared.
    for (const file of message.attachments || []) {
      if (file && file.file_name) {
        blocks.push(compact({ type: "file", name: cut(file.file_name, 300), mimeType: file.file_type || undefined,
                              size: size(file.file_size) }));
      }
    }
    return blocks;
  }

  function claudeToolUse(block, results) {
    const input = block.input || {};
    const name = String(block.name || "tool");
    if (name === "artifacts") {
      return { artifact: input };
    }
    if (name === "repl" || name === "analysis") {
      const result = results.get(block.id);
      const output = result && (result.content || []).map((c) => (c && typeof c.text === "string" ? c.text : "")).join("\n").trim();
      return { block: compact({ type: "code", language: "javascript", code: String(input.code || ""), output: output || undefined }) };
    }
    if (name === "web_search" || name === "web_fetch") {
      const result = results.get(block.id);
      const links = ((result && result.content) || [])
        .filter((c) => c && /^https?:\/\//.test(c.url || ""))
        .slice(0, MAX_LINKS)
        .map((c) => compact({ url: cut(c.url, 2000), title: c.title ? oneLine(c.title, 300) : undefined }));
      const title = name === "web_search" ? `Searched the web: ${input.query || ""}` : `Read ${input.url || "a web page"}`;
      return { block: { type: "tool", title: oneLine(title), links } };
    }
    return { block: { type: "tool", title: oneLine(block.message || `Used ${name}`), links: [] } };
  }

  function claudeArtifact(artifacts, input) {
    const id = input.id || input.title || "artifact";
    let doc = artifacts.get(id);
    const command = input.command || "create";
    if (command === "update" && doc && typeof input.old_str === "string") {
      doc.content = doc.content.split(input.old_str).join(String(input.new_str ?? ""));
      return null;
    }
    if (command === "rewrite" && doc) {
      doc.content = String(input.content || "");
      return null;
    }
    const kind = String(input.type || "text/markdown");
    const code = kind === "application/vnd.ant.code" || /^(text\/html|image\/svg|application\/vnd\.ant\.react)/.test(kind);
    doc = compact({ type: "document", title: cut(String(input.title || "Artifact"), 300), format: code ? "code" : "markdown",
                    language: code ? language(input.language || (kind.includes("html") ? "html" : kind.includes("svg") ? "xml" : kind.includes("react") ? "jsx" : undefined)) : undefined,
                    content: String(input.content || "") });
    artifacts.set(id, doc);
    return doc;
  }

  function claude(data) {
    if (!data || typeof data !== "object" || !Array.isArray(data.chat_messages)) throw new Error("Not a Claude conversation.");
    const messages = [];
    const artifacts = new Map();
    for (const message of claudeBranch(data)) {
      const blocks = [];
      const content = Array.isArray(message.content) ? message.content : [];
      const results = new Map(content.filter((b) => b && b.type === "tool_result").map((b) => [b.tool_use_id, b]));
      const user = message.sender === "human";
      if (user) blocks.push(...claudeFiles(message));
      for (const block of content) {
        if (!block || typeof block !== "object") continue;
        if (block.type === "text" && claudeText(block).trim()) {
          blocks.push({ type: "text", text: claudeText(block) });
        } else if (!user && block.type === "thinking" && (block.thinking || "").trim()) {
          const summary = (block.summaries || []).map((s) => s && s.summary).filter(Boolean).pop();
          blocks.push(compact({ type: "reasoning", title: summary ? oneLine(summary, 200) : "Thought process", text: String(block.thinking) }));
        } else if (!user && block.type === "tool_use") {
          const step = claudeToolUse(block, results);
          if (step.artifact) {
            const doc = claudeArtifact(artifacts, step.artifact);
            if (doc) blocks.push(doc);
          } else if (step.block) {
            blocks.push(step.block);
          }
        }
        // tool_result: read through its tool_use (links, output); never shown as it came.
      }
      if (!content.length && typeof message.text === "string" && message.text.trim()) {
        blocks.push({ type: "text", text: message.text });
      }
      if (!user) blocks.push(...claudeFiles(message).filter((b) => b.type === "image"));
      if (blocks.length) messages.push({ role: user ? "user" : "assistant", content: blocks });
    }
    return {
      title: oneLine(data.name, 2000) || undefined,
      model: claudeModel(data.model),
      startedAt: startedAt(typeof data.created_at === "string" ? Date.parse(data.created_at) : null),
      source: "claude",
      messages,
    };
  }

  // What Claude calls its models on screen, from their slugs; an unknown slug is left out rather than shown.
  function claudeModel(slug) {
    const name = String(slug || "").trim().toLowerCase();
    // claude-3-5-sonnet-20241022 (Claude 3.5 Sonnet), claude-sonnet-4-5-20250929 (Claude Sonnet 4.5)
    let m = name.match(/^claude-(\d)(?:-(\d))?-(opus|sonnet|haiku)(?:-\d{8})?(?:-latest)?$/);
    if (m) return `Claude ${m[1]}${m[2] ? `.${m[2]}` : ""} ${m[3][0].toUpperCase()}${m[3].slice(1)}`;
    m = name.match(/^claude-(opus|sonnet|haiku)-(\d)(?:-(\d))?(?:-\d{8})?$/);
    if (m) return `Claude ${m[1][0].toUpperCase()}${m[1].slice(1)} ${m[2]}${m[3] ? `.${m[3]}` : ""}`;
    return undefined;
  }

  // ------------------------------------------------------------------ in the page

  async function claudeJson(id, page) {
    const { getJson, ShareError, signedOutMessage } = page;
    const organizations = await getJson("/api/organizations");
    const org = Array.isArray(organizations) && organizations[0] && organizations[0].uuid;
    if (!org) throw new ShareError("signed-out", signedOutMessage());
    const data = await getJson(`/api/organizations/${org}/chat_conversations/${encodeURIComponent(id)}?tree=True&rendering_mode=messages`);
    if (!data || !Array.isArray(data.chat_messages)) throw new ShareError("site-error", "Unexpected answer from Claude.");
    return claude(data);
  }

  // An artifact's card in the page: its title and its kind ("Code · HTML", "Document"). Its content is only in
  // the side panel, which the page renders when the card is opened, so the card is shared as a document with
  // its title and kind and no content. The classes are the ones maintained Claude exporters match (2026 markup:
  // the cell is the one class old and new markup agree on).
  const ARTIFACT_CELL = ".artifact-block-cell";
  const MARK = (i) => `\uE000${i}\uE001`;

  function artifactCard(cell) {
    const lines = [...cell.querySelectorAll(".line-clamp-1")].map((el) => oneLine(el.textContent, 300)).filter(Boolean);
    const kind = lines[1] || "";
    const code = /^code\b/i.test(kind);
    const named = kind.split("·").map((part) => part.trim()).filter(Boolean).pop() || "";
    return compact({ type: "document", title: cut(lines[0] || "Artifact", 300), format: code ? "code" : "markdown",
                     language: code ? language(named.toLowerCase().replace(/\s+/g, "")) : undefined, content: "" });
  }

  // An answer's text and its artifact cards, in the order the page shows them.
  function answer(el, markdownOf) {
    const cells = [...el.querySelectorAll(ARTIFACT_CELL)];
    if (!cells.length) return [{ type: "text", text: markdownOf(el) }];
    const copy = el.cloneNode(true);
    [...copy.querySelectorAll(ARTIFACT_CELL)].forEach((cell, i) => {
      // The card is a button around the cell: the whole button goes, its place kept by a mark.
      const card = cell.closest('[role="button"]') || cell;
      card.replaceWith(document.createTextNode(MARK(i)));
    });
    const blocks = [];
    for (const part of markdownOf(copy).split(/(\uE000\d+\uE001)/)) {
      const i = part.match(/^\uE000(\d+)\uE001$/);
      if (i && cells[Number(i[1])]) blocks.push(artifactCard(cells[Number(i[1])]));
      else if (part.trim()) blocks.push({ type: "text", text: part.trim() });
    }
    return blocks;
  }

  function pageTurns({ turn, markdownOf }) {
    return [...document.querySelectorAll('[data-testid="user-message"], .font-claude-response')].map((el) => {
      if (el.matches('[data-testid="user-message"]')) return turn("user", el, el.parentElement);
      const content = answer(el, markdownOf).filter((b) => b.type !== "text" || b.text);
      return content.length ? { role: "assistant", content } : null;
    });
  }

  globalThis.ShareSites.register({
    name: "claude",
    label: "Claude",
    hosts: ["claude.ai"],
    imageHosts: [/^claude\.ai$/],
    path: /^\/chat\/([0-9a-f-]{8,})/i,
    read: claude,
    model: claudeModel,
    load: claudeJson,
    pageTurns,
  });
})();
