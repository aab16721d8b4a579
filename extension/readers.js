// From a chat site's own JSON to the body of POST /api/conversations: one message per visible turn, the
// assistant's side as ordered blocks (reasoning, code runs, tool steps, documents, text, images), and nothing
// the sharer did not see: no system or hidden messages, custom instructions, memory, tool plumbing, raw
// search or file-search results, and never the contents of an uploaded file (only its name, type and size).
//
// A plain script: no imports, no DOM, no network, no extension API. The extension loads it before content.js;
// tests load it in Node with `vm`; a page of the site can load the same file.
(() => {
  "use strict";

  const PRIVATE_USE = /[\uE000-\uF8FF]/g;
  // 【5†source】, 【3:0†report.pdf】, 【Page title, lines 66–76】: ChatGPT uses these brackets for citations only.
  const OLD_CITATION = /【[^【】\n]{0,400}】/g;
  const SANDBOX_LINK = /\[([^\]\n]{0,300})\]\(sandbox:([^)\s]{1,500})\)/g;
  // {{file:file-2QL5…}}: where ChatGPT's app shows a file card (agent mode's PDF, a generated file).
  const FILE_MARKER = /\{\{file:([A-Za-z0-9_-]{1,200})\}\}/g;
  const MIME_TYPES = { pdf: "application/pdf", zip: "application/zip", csv: "text/csv", txt: "text/plain",
                       md: "text/markdown", json: "application/json", py: "text/x-python", html: "text/html",
                       docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                       png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };
  const LANGUAGE = /^[A-Za-z0-9_+#.-]{1,40}$/;
  const IMAGE_NAME = /\.(png|jpe?g|gif|webp|heic|bmp|svg)$/i;
  const MAX_LINKS = 50;

  const cut = (text, limit) => (text.length > limit ? text.slice(0, limit - 1) + "…" : text);
  const oneLine = (text, limit = 500) => cut(String(text || "").replace(/\s+/g, " ").trim(), limit);
  const language = (name) => (name && LANGUAGE.test(name) && name !== "unknown" ? name : undefined);
  const dimension = (n) => (Number.isInteger(n) && n > 0 && n <= 100000 ? n : undefined);
  const size = (n) => (Number.isInteger(n) && n >= 0 ? n : undefined);
  const parseJson = (text) => { try { return JSON.parse(text); } catch (e) { return null; } };
  const basename = (path) => String(path).split("/").pop();

  // Where the extension can fetch an image's bytes: ChatGPT's asset pointer (file-service://…, sediment://…)
  // or a claude.ai path. `fetch` never reaches the server: content.js replaces it with the uploaded `media`.
  function pointer(value) {
    const text = String(value || "");
    return /^(file-service|sediment):\/\/[\w-]{1,200}$/.test(text) ? text : undefined;
  }

  function compact(block) {
    for (const key of Object.keys(block)) if (block[key] === undefined) delete block[key];
    return block;
  }

  // Files never sent as a link: `[report](sandbox:/mnt/data/report.pdf)` becomes the file's name.
  function withoutSandboxLinks(text) {
    return text.replace(SANDBOX_LINK, (all, label, path) => {
      const name = basename(path);
      return label && label !== name ? `${label} (\`${name}\`)` : `\`${name}\``;
    });
  }

  // Numbered sources (title and URL, http(s) only) under a text: `sources` maps each URL to its title.
  function withSources(text, sources) {
    if (!sources.size) return text;
    const list = [...sources].slice(0, MAX_LINKS)
      .map(([url, title], i) => `${i + 1}. [${title}](${url.replace(/[()\s]/g, encodeURIComponent)})`);
    return `${text}\n\nSources:\n\n${list.join("\n")}`;
  }

  // ------------------------------------------------------------------ ChatGPT

  // The web pages (http(s) only) a content reference points at: its grouped items, or itself.
  const refPages = (ref) => (Array.isArray(ref.items) ? ref.items : ref.url ? [ref] : [])
    .filter((i) => i && /^https?:\/\//.test(i.url || ""));

  // The web pages a reply cites whose marker is not in its text (a voice answer's transcript has none, yet
  // ChatGPT shows its source chip): URL to title.
  function unplacedSources(raw, metadata) {
    const sources = new Map();
    for (const ref of (metadata && metadata.content_references) || []) {
      if (!ref || ref.type === "sources_footnote" || typeof ref.matched_text !== "string" || raw.includes(ref.matched_text)) continue;
      for (const item of refPages(ref)) {
        if (!sources.has(item.url)) sources.set(item.url, oneLine(item.title || item.attribution || item.url, 120).replace(/[[\]]/g, ""));
      }
    }
    return sources;
  }

  // The pages a search step read, from its result groups, as links (http(s) only).
  function searchedPages(metadata) {
    return ((metadata && metadata.search_result_groups) || []).flatMap((group) => (group && group.entries) || [])
      .filter((entry) => entry && /^https?:\/\//.test(entry.url || ""))
      .map((entry) => compact({ url: cut(entry.url, 2000), title: entry.title ? oneLine(entry.title, 300) : undefined }));
  }

  // File names by file id, from the references any message of the conversation carries (`{file_id,
  // file_name}` objects in its metadata, whatever the key: `n7jupd_crefs`, `content_references`...).
  function fileNames(data) {
    const names = new Map();
    for (const node of Object.values(data.mapping || {})) {
      const metadata = (node && node.message && node.message.metadata) || {};
      for (const value of Object.values(metadata)) {
        if (!Array.isArray(value)) continue;
        for (const ref of value) {
          if (ref && typeof ref.file_id === "string" && typeof ref.file_name === "string" && ref.file_name.trim()) {
            names.set(ref.file_id, basename(ref.file_name));
          }
        }
      }
    }
    return names;
  }

  // An image the agent opened again is shown once in its turn.
  function pushImage(blocks, image) {
    if (image.fetch && blocks.some((b) => b.type === "image" && b.fetch === image.fetch)) return;
    blocks.push(image);
  }

  function fileBlock(name) {
    const extension = (name.match(/\.([A-Za-z0-9]{1,8})$/) || [])[1];
    return compact({ type: "file", name: cut(name, 300), mimeType: MIME_TYPES[(extension || "").toLowerCase()] });
  }

  // A reply's text with its file markers where the app shows a file card: the text cut there, the file's
  // chip between (by the name the conversation gives it; a marker of a file it does not name is removed).
  function textAndFiles(text, names, spoken) {
    const blocks = [];
    let at = 0;
    const add = (piece) => { if (piece.trim()) blocks.push(compact({ type: "text", text: piece.trim(), spoken })); };
    for (const match of text.matchAll(FILE_MARKER)) {
      add(text.slice(at, match.index));
      const name = names.get(match[1]);
      if (name) blocks.push(fileBlock(name));
      at = match.index + match[0].length;
    }
    if (at === 0) return text.trim() ? [compact({ type: "text", text, spoken })] : [];
    add(text.slice(at));
    return blocks;
  }

  // In a reasoning summary a marker becomes the file's name, as words.
  const withFileNames = (text, names) => text.replace(FILE_MARKER, (all, id) => (names.has(id) ? `\`${names.get(id)}\`` : ""));

  // Citation markers resolved into links through the message's references, then any marker left removed.
  function resolveCitations(text, metadata) {
    let out = text;
    for (const ref of (metadata && metadata.content_references) || []) {
      // Only markers are replaced (a footnote reference may "match" a plain space), once each.
      // (`search` ignores a global regex's lastIndex, so the same patterns serve to find and to replace.)
      if (!ref || typeof ref.matched_text !== "string" || (ref.matched_text.search(PRIVATE_USE) < 0 &&
          ref.matched_text.search(OLD_CITATION) < 0)) continue;
      // Web sources become links (at most three per marker); a footnote list or an internal reference, nothing.
      const sources = refPages(ref);
      const replacement = ref.type === "sources_footnote" ? "" : sources.slice(0, 3)
        .map((i) => ` ([${oneLine(i.attribution || i.title || i.url, 120).replace(/[[\]]/g, "")}](${i.url.replace(/[()\s]/g, encodeURIComponent)}))`)
        .join("");
      const at = out.indexOf(ref.matched_text);
      if (at >= 0) out = out.slice(0, at) + replacement + out.slice(at + ref.matched_text.length);
    }
    const citations = ((metadata && metadata.citations) || [])
      .filter((c) => c && Number.isInteger(c.start_ix) && Number.isInteger(c.end_ix) && c.end_ix >= c.start_ix)
      .sort((a, b) => b.start_ix - a.start_ix);
    if (out === text) {
      for (const c of citations) {
        const url = c.metadata && c.metadata.url;
        const title = oneLine((c.metadata && c.metadata.title) || url, 120);
        const link = url && /^https?:\/\//.test(url) ? ` ([${title}](${url}))` : "";
        out = out.slice(0, c.start_ix) + link + out.slice(c.end_ix);
      }
    }
    return out.replace(OLD_CITATION, "").replace(PRIVATE_USE, "");
  }

  // The visible transcript is one branch: current_node back to the root (an export entry without one: the
  // newest leaf), reversed.
  function chatgptBranch(data) {
    const mapping = data.mapping || {};
    let leaf = data.current_node;
    if (!leaf || !mapping[leaf]) {
      let newest = -Infinity;
      for (const [id, node] of Object.entries(mapping)) {
        const time = (node.message && node.message.create_time) || 0;
        if (!(node.children || []).length && time >= newest) { newest = time; leaf = id; }
      }
    }
    const chain = [];
    const seen = new Set();
    for (let id = leaf; id && mapping[id] && !seen.has(id); id = mapping[id].parent) {
      seen.add(id);
      chain.push(mapping[id]);
    }
    return chain.reverse().map((node) => node.message).filter(Boolean);
  }

  function toolStep(recipient, code) {
    const args = parseJson(code) || {};
    if (/^(web|browser)(\.|$)/.test(recipient) || recipient === "web.run" || recipient === "web.search") {
      const queries = [];
      for (const q of args.search_query || []) if (q && q.q) queries.push(q.q);
      if (args.query) queries.push(args.query);
      if (args.q) queries.push(args.q);
      const called = /search\("([^"]{1,300})"/.exec(code || "");
      if (called) queries.push(called[1]);
      const opened = /open_url\("([^"]{1,500})"/.exec(code || "");
      if (queries.length) return `Searched the web: ${queries.join("; ")}`;
      if (opened || args.open || recipient === "browser.open") return "Read a web page";
      return "Browsed the web";
    }
    if (recipient.startsWith("imagegen")) return args.prompt ? `Created an image: ${args.prompt}` : "Created an image";
    if (recipient.startsWith("container") || recipient.startsWith("computer")) return "Worked in its sandbox";
    if (recipient === "myfiles_browser" || recipient === "file_search" || recipient.startsWith("file_search")) {
      return "Searched the files you shared";
    }
    // Canvas is shown as its document; memory, and tools under internal names, are plumbing.
    return null;
  }

  // The new text of a whole-document rewrite (`pattern` ".*") whose JSON was cut off mid-stream, as far as it
  // streamed; null for anything else (a partial edit of one passage cannot be placed).
  function partialRewrite(code) {
    if (!/^\s*\{\s*"updates"\s*:\s*\[\s*\{\s*"pattern"\s*:\s*"\.\*"/.test(code)) return null;
    const start = code.search(/"replacement"\s*:\s*"/);
    if (start < 0) return null;
    const rest = code.slice(code.indexOf('"', code.indexOf(":", start)) + 1);
    let end = 0;
    while (end < rest.length && rest[end] !== '"') end += rest[end] === "\\" ? 2 : 1;
    // Cut where the stream cut: an escape it did not finish (at most "\\u00e") is dropped.
    let body = rest.slice(0, Math.min(end, rest.length));
    for (let tries = 0; tries < 6 && body; tries += 1) {
      const text = parseJson(`"${body}"`);
      if (typeof text === "string") return text.trim() ? text : null;
      body = body.slice(0, -1);
    }
    return null;
  }

  function applyCanvasUpdates(document, updates) {
    let content = document.content;
    for (const update of updates || []) {
      if (!update || typeof update.pattern !== "string") continue;
      try {
        const pattern = new RegExp(update.pattern, update.multiple ? "g" : "");
        content = content.replace(pattern, () => String(update.replacement ?? ""));
      } catch (e) { /* a pattern this engine cannot read leaves the document as it was */ }
    }
    document.content = content;
  }

  function chatgptUserTurn(message, pendingFiles) {
    const blocks = [];
    const attachments = (message.metadata && message.metadata.attachments) || [];
    const byId = new Map(attachments.map((a) => [a.id, a]));
    const shownImages = new Set();
    for (const part of (message.content && message.content.parts) || []) {
      if (typeof part === "string") {
        const text = withoutSandboxLinks(part).replace(PRIVATE_USE, "");
        if (text.trim()) blocks.push({ type: "text", text });
      } else if (part && part.content_type === "audio_transcription" && part.text && part.text.trim()) {
        blocks.push({ type: "text", text: part.text, spoken: true });
      } else if (part && part.content_type === "image_asset_pointer") {
        const id = String(part.asset_pointer || "").replace(/^[a-z-]+:\/\//, "");
        const attachment = byId.get(id);
        if (attachment) shownImages.add(id);
        blocks.push(compact({ type: "image", name: cut((attachment && attachment.name) || "image", 300),
                              width: dimension(part.width), height: dimension(part.height), fetch: pointer(part.asset_pointer) }));
      }
    }
    if (message.content && message.content.content_type === "text" && !blocks.length && message.content.text) {
      blocks.push({ type: "text", text: message.content.text });
    }
    // A spoken turn ChatGPT kept no transcript of is still a turn: dropping it merged the replies around it.
    const audio = ((message.content && message.content.parts) || []).some((part) => part &&
      /^(real_time_user_audio_video_asset_pointer|audio_asset_pointer)$/.test(part.content_type || ""));
    if (audio && !blocks.length) blocks.push({ type: "text", text: "_Voice message (no transcript)_", spoken: true });
    const listed = new Set();
    for (const file of [...pendingFiles, ...attachments.filter((a) => !shownImages.has(a.id))]) {
      if (!file || !file.name || listed.has(file.id || file.name)) continue;
      listed.add(file.id || file.name);
      blocks.push(compact({ type: "file", name: cut(file.name, 300), mimeType: file.mimeType || file.mime_type || undefined,
                            size: size(file.size) }));
    }
    return blocks;
  }

  function chatgpt(data) {
    if (!data || typeof data !== "object" || !data.mapping) throw new Error("Not a ChatGPT conversation.");
    const messages = [];
    const documents = [];
    let assistant = null;
    let pendingFiles = [];
    let model = null;
    const names = fileNames(data);
    const assistantBlocks = () => {
      if (!assistant) { assistant = { role: "assistant", content: [] }; messages.push(assistant); }
      return assistant.content;
    };
    for (const message of chatgptBranch(data)) {
      const role = message.author && message.author.role;
      const content = message.content || {};
      const type = content.content_type;
      const metadata = message.metadata || {};
      const recipient = message.recipient || "all";
      if (role === "system" || metadata.is_visually_hidden_from_conversation ||
          type === "user_editable_context" || type === "model_editable_context") {
        // Files attached through a hidden message are shown on the next question, by name only.
        if (Array.isArray(metadata.attachments)) pendingFiles.push(...metadata.attachments);
        continue;
      }
      if (role === "user") {
        const blocks = chatgptUserTurn(message, pendingFiles);
        pendingFiles = [];
        if (!blocks.length) continue;
        messages.push({ role: "user", content: blocks });
        assistant = null;
        continue;
      }
      if (role === "assistant" && metadata.model_slug) model = metadata.model_slug;
      // The person pressed Stop: what streamed until then is what they saw, marked as stopped after it.
      const stopped = role === "assistant" && recipient === "all" && metadata.finish_details &&
        metadata.finish_details.type === "interrupted" && metadata.finish_details.reason === "client_stopped";
      if (stopped) assistantBlocks();  // the turn exists even if nothing of it streamed
      if (role === "assistant" && type === "thoughts") {
        const text = (content.thoughts || []).map((t) => [t.summary && `**${oneLine(t.summary, 300)}**`, t.content]
          .filter(Boolean).join("\n\n")).filter(Boolean).join("\n\n");
        assistantBlocks().push({ type: "reasoning", text: withFileNames(text, names).replace(PRIVATE_USE, "") });
        continue;
      }
      if (role === "assistant" && type === "reasoning_recap") {
        const blocks = assistantBlocks();
        const last = [...blocks].reverse().find((b) => b.type === "reasoning");
        const title = oneLine(content.content, 200) || undefined;
        if (last && !last.title) last.title = title;
        else blocks.push(compact({ type: "reasoning", title, text: "" }));
        continue;
      }
      if (role === "assistant" && recipient === "all") {
        // The pages the turn's search read (its visible reply carries them, as ChatGPT's source list shows).
        const step = [...(assistant ? assistant.content : [])].reverse().find((b) => b.type === "tool");
        for (const link of step ? searchedPages(metadata) : []) {
          if (step.links.length < MAX_LINKS && !step.links.some((l) => l.url === link.url)) step.links.push(link);
        }
        for (const part of content.parts || []) {
          if (typeof part === "string" || (part && part.content_type === "audio_transcription")) {
            const raw = typeof part === "string" ? part : part.text || "";
            const text = withSources(withoutSandboxLinks(resolveCitations(raw, metadata)), unplacedSources(raw, metadata));
            assistantBlocks().push(...textAndFiles(text, names, typeof part === "string" ? undefined : true));
          } else if (part && part.content_type === "image_asset_pointer") {
            pushImage(assistantBlocks(), compact({ type: "image", name: "image", width: dimension(part.width),
                                                   height: dimension(part.height), fetch: pointer(part.asset_pointer) }));
          }
        }
        if (type === "code" && content.text) {  // code shown to the reader, not run
          assistantBlocks().push({ type: "text", text: "```" + (language(content.language) || "") + "\n" + content.text + "\n```" });
        }
        if (stopped) assistantBlocks().push({ type: "text", text: "_Stopped_" });
        continue;
      }
      if (role === "assistant") {
        const code = typeof content.text === "string" ? content.text
          : (content.parts || []).filter((p) => typeof p === "string").join("\n");
        if (recipient === "python") {
          assistantBlocks().push({ type: "code", language: "python", code });
        } else if (recipient === "canmore.create_textdoc") {
          const args = parseJson(code);
          if (args && typeof args.content === "string") {
            const kind = String(args.type || "document");
            const doc = compact({ type: "document", title: cut(String(args.name || "Document").replace(/_/g, " "), 300),
                                  format: kind.startsWith("code") ? "code" : "markdown",
                                  language: kind.startsWith("code/") ? language(kind.slice(5)) : undefined,
                                  content: args.content });
            documents.push(doc);
            assistantBlocks().push(doc);
          }
        } else if (recipient === "canmore.update_textdoc") {
          const args = parseJson(code);
          const current = documents[documents.length - 1];
          if (args && current) applyCanvasUpdates(current, args.updates);
          const partial = !args && current ? partialRewrite(code) : null;
          if (partial !== null) {
            // A rewrite the person stopped: its JSON ends where the stream did, and the canvas showed the
            // document as far as it got. That is this reply, marked stopped (never dropped).
            const doc = { ...current, content: partial };
            documents.push(doc);
            assistantBlocks().push(doc, { type: "text", text: "_Stopped_" });
          }
        } else {
          const title = toolStep(recipient, code);
          const blocks = assistantBlocks();
          const previous = blocks[blocks.length - 1];
          if (title && !(previous && previous.type === "tool" && previous.title === oneLine(title))) {
            blocks.push({ type: "tool", title: oneLine(title), links: [] });
          }
        }
        continue;
      }
      if (role === "tool") {
        const blocks = assistant ? assistant.content : [];
        const last = blocks[blocks.length - 1];
        if (type === "execution_output" && last && last.type === "code" && content.text) {
          // The sandbox's own notices ("Code execution state reset. IMPORTANT: …") are not the run's output.
          if (!/^Code execution state reset\./.test(content.text)) last.output = cut(content.text, 20000);
        } else if (type === "multimodal_text") {
          // Images a code run or the image tool made (screenshots of the agent's sandbox are plumbing).
          for (const part of content.parts || []) {
            if (part && part.content_type === "image_asset_pointer") {
              const generated = part.metadata && part.metadata.dalle;
              pushImage(assistantBlocks(), compact({ type: "image", name: generated ? "Generated image" : "image",
                                                     width: dimension(part.width), height: dimension(part.height),
                                                     fetch: pointer(part.asset_pointer) }));
            }
          }
        }
        // tether_quote, tether_browsing_display, system_error, computer_output, text: tool plumbing, never shown.
      }
    }
    const visible = messages.filter((m) => m.content.length);
    return {
      title: oneLine(data.title, 2000) || undefined,
      model: publicModel(model || data.default_model_slug),
      startedAt: startedAt(typeof data.create_time === "number" ? data.create_time * 1000 : null),
      source: "chatgpt",
      messages: visible,
    };
  }

  // ------------------------------------------------------------------ model names

  // What the sites call their models on screen, from the internal slugs their JSON holds. An unknown slug is
  // left out rather than shown: it may be an internal name (text-davinci-002-render-sha was GPT-3.5).
  const LEGACY_MODELS = {
    "text-davinci-002-render": "GPT-3.5", "text-davinci-002-render-sha": "GPT-3.5",
    "text-davinci-002-render-paid": "GPT-3.5", "text-davinci-002-render-sha-mobile": "GPT-3.5",
    "gpt-3.5-turbo": "GPT-3.5", "gpt-4-browsing": "GPT-4", "gpt-4-plugins": "GPT-4", "gpt-4-code-interpreter": "GPT-4",
    "gpt-4-dalle": "GPT-4", "gpt-4-mobile": "GPT-4", "gpt-4-gizmo": "GPT-4", "gpt-4o-canmore": "GPT-4o",
    "agent-mode": "Agent mode",
  };
  const VARIANTS = { mini: "mini", nano: "nano", thinking: "Thinking", instant: "Instant", pro: "Pro" };

  // When the conversation began on its site, as the API takes it (ISO 8601, UTC), or nothing.
  function startedAt(ms) {
    return Number.isFinite(ms) && ms > Date.UTC(2015, 0, 1) && ms < Date.now() + 86400000
      ? new Date(ms).toISOString() : undefined;
  }

  function publicModel(slug) {
    const name = String(slug || "").trim().toLowerCase();
    if (LEGACY_MODELS[name]) return LEGACY_MODELS[name];
    // gpt-4, gpt-4o, gpt-4-1-mini (GPT-4.1 mini), gpt-5-2-thinking (GPT-5.2 Thinking)
    let m = name.match(/^gpt-(\d)(o)?(?:-(\d))?(?:-(mini|nano|thinking|instant|pro))?$/);
    if (m) return `GPT-${m[1]}${m[3] ? `.${m[3]}` : ""}${m[2] || ""}${m[4] ? ` ${VARIANTS[m[4]]}` : ""}`;
    // The o-series is shown as its slug: o1, o3-mini-high, o4-mini.
    if (/^o\d(?:-(?:mini|pro|preview))?(?:-high)?$/.test(name)) return name;
    // claude-3-5-sonnet-20241022 (Claude 3.5 Sonnet), claude-sonnet-4-5-20250929 (Claude Sonnet 4.5)
    m = name.match(/^claude-(\d)(?:-(\d))?-(opus|sonnet|haiku)(?:-\d{8})?(?:-latest)?$/);
    if (m) return `Claude ${m[1]}${m[2] ? `.${m[2]}` : ""} ${m[3][0].toUpperCase()}${m[3].slice(1)}`;
    m = name.match(/^claude-(opus|sonnet|haiku)-(\d)(?:-(\d))?(?:-\d{8})?$/);
    if (m) return `Claude ${m[1][0].toUpperCase()}${m[1].slice(1)} ${m[2]}${m[3] ? `.${m[3]}` : ""}`;
    return undefined;
  }

  // ------------------------------------------------------------------ Claude

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
      model: publicModel(data.model),
      startedAt: startedAt(typeof data.created_at === "string" ? Date.parse(data.created_at) : null),
      source: "claude",
      messages,
    };
  }

  // What the share dialog says will be published.
  // ------------------------------------------------------------------ shared by the other assistants

  const cite = (url, title) => (typeof url === "string" && /^https?:\/\//.test(url)
    ? ` ([${oneLine(title || hostOf(url), 120).replace(/[[\]]/g, "")}](${url.replace(/[()\s]/g, encodeURIComponent)}))` : "");
  const hostOf = (url) => ((String(url).match(/^https?:\/\/([^/:?#\s]+)/) || [])[1] || String(url)).replace(/^www\./, "");
  const webLinks = (results) => (Array.isArray(results) ? results : [])
    .filter((r) => r && typeof r.url === "string" && /^https?:\/\//.test(r.url))
    .slice(0, MAX_LINKS).map((r) => compact({ url: r.url, title: oneLine(r.title || r.name || hostOf(r.url), 300) }));
  const seconds = (n) => (Number.isFinite(n) && n >= 0 ? `Thought for ${n < 60 ? `${Math.max(1, Math.round(n))}s`
    : `${Math.floor(n / 60)}m ${Math.round(n % 60)}s`}` : "Thought");
  const maybeList = (value) => (Array.isArray(value) ? value : typeof value === "string" ? parseJson(value) || [] : []);

  // ------------------------------------------------------------------ DeepSeek

  // GET /api/v0/chat/history_messages answers {code, data: {biz_data: {chat_session, chat_messages}}}; the
  // exporters keep the whole envelope or just biz_data. Two message schemas are live: `fragments`
  // (REQUEST, RESPONSE, THINK, SEARCH, TOOL_*) and the older flat one (content, thinking_content, ...).
  const DEEPSEEK_MARKER = /\[(?:citation|reference):(\d+)\]/g;

  function deepseekBranch(session, messages) {
    const byId = new Map(messages.filter((m) => m && m.message_id !== undefined).map((m) => [m.message_id, m]));
    let id = session && byId.has(session.current_message_id) ? session.current_message_id
      : Math.max(...[...byId.keys()].filter(Number.isFinite));
    const path = [];
    const seen = new Set();
    while (byId.has(id) && !seen.has(id)) {  // up to its root (an edited first prompt is another root)
      seen.add(id);
      path.push(byId.get(id));
      id = byId.get(id).parent_id;
    }
    return path.reverse();
  }

  function deepseekCitations(text, results) {
    const byIndex = new Map();
    for (const r of results) if (r && Number.isInteger(r.cite_index)) byIndex.set(r.cite_index, r);
    // A marker becomes a link to the search result it names, or nothing: never shown raw.
    return text.replace(DEEPSEEK_MARKER, (all, n) => {
      const r = byIndex.get(Number(n));
      return r ? cite(r.url, r.site_name || r.title) : "";
    }).replace(PRIVATE_USE, "");
  }

  function deepseekFiles(message) {
    return (message.files || []).filter((f) => f && f.file_name).map((f) => (IMAGE_NAME.test(f.file_name) ||
      /^image\//.test(f.mime_type || "")
      ? compact({ type: "image", name: cut(String(f.file_name), 300), width: dimension(f.width), height: dimension(f.height) })
      : compact({ type: "file", name: cut(String(f.file_name), 300), mimeType: f.mime_type ? cut(String(f.mime_type), 100) : undefined,
                  size: size(f.file_size) })));
  }

  // DeepSeek's data export (Settings → Data → Export: conversations.json, a list) keeps each conversation as
  // {id, title, inserted_at, mapping: {root: {children}, <id>: {parent, children, message: {model,
  // inserted_at, files, fragments}}}}, as the public readers of real exports describe it: no role (REQUEST or
  // FILE fragments are the person's) and no current message (the newest message's branch is the one shown).
  const isoSeconds = (value) => {
    const ms = typeof value === "number" ? value * 1000 : Date.parse(String(value || "").replace(/(\.\d{3})\d+/, "$1"));
    return Number.isFinite(ms) ? ms / 1000 : null;
  };

  function deepseekFromExport(conversation) {
    const messages = [];
    for (const [id, node] of Object.entries(conversation.mapping)) {
      const message = node && node.message;
      if (id === "root" || !message || typeof message !== "object") continue;
      const fragments = Array.isArray(message.fragments) ? message.fragments.filter((f) => f && typeof f === "object") : [];
      const files = [...(Array.isArray(message.files) ? message.files : []),
                     ...fragments.filter((f) => f.type === "FILE").flatMap((f) => (Array.isArray(f.files) ? f.files : []))];
      const user = message.role ? String(message.role).toUpperCase() === "USER"
        : fragments.some((f) => f.type === "REQUEST" || f.type === "FILE");
      messages.push({ ...message, message_id: id, parent_id: node.parent && node.parent !== "root" ? String(node.parent) : null,
                      role: user ? "USER" : "ASSISTANT", files, fragments, inserted_at: isoSeconds(message.inserted_at) });
    }
    const newest = messages.reduce((best, m) => (!best || (m.inserted_at || 0) >= (best.inserted_at || 0) ? m : best), null);
    return { chat_session: { id: conversation.id, title: conversation.title, inserted_at: isoSeconds(conversation.inserted_at),
                             current_message_id: newest ? newest.message_id : null },
             chat_messages: messages };
  }

  function deepseek(answer) {
    const exported = answer && typeof answer.mapping === "object" && answer.mapping !== null && !Array.isArray(answer.mapping);
    const biz = exported ? deepseekFromExport(answer)
      : (answer && answer.data && answer.data.biz_data) || (answer && answer.biz_data) || answer;
    if (!biz || !Array.isArray(biz.chat_messages)) throw new Error("Not a DeepSeek conversation.");
    const session = biz.chat_session || {};
    const messages = [];
    for (const message of deepseekBranch(session, biz.chat_messages)) {
      const user = message.role === "USER";
      const blocks = user ? deepseekFiles(message) : [];
      const fragments = Array.isArray(message.fragments) ? message.fragments : null;
      const results = [];
      if (fragments) {
        for (const f of fragments) {
          if (!f || typeof f.content !== "string" && !Array.isArray(f.results)) continue;
          if (f.type === "REQUEST" && user && f.content.trim()) blocks.push({ type: "text", text: f.content });
          else if (f.type === "THINK" && !user && f.content.trim()) {
            blocks.push({ type: "reasoning", title: seconds(f.elapsed_secs), text: f.content });
          } else if ((f.type === "SEARCH" || f.type === "TOOL_SEARCH" || f.type === "TOOL_OPEN") && !user) {
            const found = maybeList(f.results);
            results.push(...found);
            const queries = maybeList(f.queries).map((q) => (typeof q === "string" ? q : q && q.query)).filter(Boolean);
            blocks.push({ type: "tool", title: oneLine(queries.length ? `Searched the web: ${queries.join("; ")}`
                                                          : f.type === "TOOL_OPEN" ? "Read a web page" : "Searched the web"),
                          links: webLinks(found) });
          } else if (f.type === "RESPONSE" && !user && f.content.trim()) {
            results.push(...maybeList(f.references));
            blocks.push({ type: "text", text: deepseekCitations(f.content, results) });
          }
          // TEMPLATE_RESPONSE (a content filter's stand-in) and anything unknown: not what the model said.
        }
      } else if (user && typeof message.content === "string" && message.content.trim()) {
        blocks.push({ type: "text", text: message.content });
      } else if (!user) {
        if (typeof message.thinking_content === "string" && message.thinking_content.trim()) {
          blocks.push({ type: "reasoning", title: seconds(message.thinking_elapsed_secs), text: message.thinking_content });
        }
        const found = maybeList(message.search_results);
        if (found.length) blocks.push({ type: "tool", title: "Searched the web", links: webLinks(found) });
        if (typeof message.content === "string" && message.content.trim()) {
          blocks.push({ type: "text", text: deepseekCitations(message.content, found) });
        }
        // `tips` are DeepSeek's own notes about its UI, not content.
      }
      if (!blocks.length) continue;
      const role = user ? "user" : "assistant";
      const last = messages[messages.length - 1];
      if (last && last.role === role && role === "assistant") last.content.push(...blocks);
      else messages.push({ role, content: blocks });
    }
    const started = Number(session.inserted_at);
    return {
      title: oneLine(session.title, 2000) || undefined,
      model: deepseekModel(biz.chat_messages),
      startedAt: startedAt(Number.isFinite(started) && started > 0 ? started * 1000 : null),
      source: "deepseek",
      messages,
    };
  }

  function deepseekModel(messages) {
    const named = messages.map((m) => m && m.model).filter((m) => typeof m === "string" && m).pop();
    if (named === "deepseek-reasoner") return "DeepSeek-R1";
    if (named === "deepseek-chat") return "DeepSeek-V3";
    return undefined;  // unknown names are not guessed at
  }

  // ------------------------------------------------------------------ Grok

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

  // ------------------------------------------------------------------ Gemini

  // The raw text of batchexecute's answer to the read-conversation call (rpc hNvQHb): ")]}'", then length lines
  // and JSON arrays; the payload is a JSON string inside them, positional throughout. Turns come newest first;
  // each turn holds the user's text, the drafts the app made and the one chosen, and its thoughts.
  const GEMINI_PLACEHOLDER = /https?:\/\/googleusercontent\.com\/[a-z_]+_content\/\d+|image_agent_tag_\w+/g;
  const GEMINI_TAG = /<\/?FollowUp\b[^>]*>/gi;

  function geminiPayload(text) {
    const body = String(text).replace(/^\)\]\}'\s*/, "");
    for (const line of body.split("\n")) {
      if (!line.startsWith("[")) continue;
      const frame = parseJson(line);
      for (const entry of Array.isArray(frame) ? frame : []) {
        if (Array.isArray(entry) && entry[0] === "wrb.fr" && entry[1] === "hNvQHb" && typeof entry[2] === "string") {
          return parseJson(entry[2]);
        }
      }
    }
    return null;
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

  // ------------------------------------------------------------------ Perplexity

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

  globalThis.ShareReaders = Object.freeze({ chatgpt, claude, deepseek, grok, gemini, perplexity, summary, describe, withoutSteps, withMedia, imageType,
                                            publicModel });
})();
