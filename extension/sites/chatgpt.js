// ChatGPT (chatgpt.com, chat.openai.com), everything the extension knows of it: how its JSON becomes the body of
// POST /api/conversations (`read`: no DOM, no network), its model names, where its images may be fetched from, how
// the page fetches the conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how
// its turns are read from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding
// a site: docs/pages.md.
(() => {
  "use strict";
  const {
    PRIVATE_USE, MAX_LINKS, cut, oneLine, language, dimension, size, parseJson, compact, withSources,
    startedAt
  } = globalThis.ShareSites.helpers;

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

  const basename = (path) => String(path).split("/").pop();

  // Where the extension can fetch an image's bytes: ChatGPT's asset pointer (file-service://…, sediment://…).
  // `fetch` never reaches the server: content.js replaces it with the uploaded `media`.
  function pointer(value) {
    const text = String(value || "");
    return /^(file-service|sediment):\/\/[\w-]{1,200}$/.test(text) ? text : undefined;
  }

  // Files never sent as a link: `[report](sandbox:/mnt/data/report.pdf)` becomes the file's name.
  function withoutSandboxLinks(text) {
    return text.replace(SANDBOX_LINK, (all, label, path) => {
      const name = basename(path);
      return label && label !== name ? `${label} (\`${name}\`)` : `\`${name}\``;
    });
  }

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
        } else if (metadata.canvas && typeof metadata.canvas.title === "string" && metadata.canvas.title.trim() &&
                   documents.length && /^canmore\./.test((message.author && message.author.name) || "")) {
          // The canvas's answer names the document as the app titles it ("Look What Cat Picked"), where the
          // call had only its internal name (look_what_cat_picked).
          documents[documents.length - 1].title = cut(oneLine(metadata.canvas.title, 300), 300);
        } else if (type === "tether_browsing_display" && last && last.type === "tool") {
          // The page the browser opened, listed under its step as ChatGPT lists it: title and address only.
          for (const page of ((metadata._cite_metadata || {}).metadata_list || [])) {
            if (!page || !/^https?:\/\//.test(page.url || "") || last.links.length >= MAX_LINKS ||
                last.links.some((l) => l.url === page.url)) continue;
            last.links.push(compact({ url: cut(page.url, 2000), title: page.title ? oneLine(page.title, 300) : undefined }));
          }
        }
        // The pages' text (tether_browsing_display, tether_quote), system_error, computer_output, text: tool
        // plumbing, never shown.
      }
    }
    const visible = messages.filter((m) => m.content.length);
    return {
      title: oneLine(data.title, 2000) || undefined,
      model: chatgptModel(model || data.default_model_slug),
      startedAt: startedAt(typeof data.create_time === "number" ? data.create_time * 1000 : null),
      source: "chatgpt",
      messages: visible,
    };
  }

  // What ChatGPT calls its models on screen, from the internal slugs its JSON holds. An unknown slug is left out
  // rather than shown: it may be an internal name (text-davinci-002-render-sha was GPT-3.5).
  const LEGACY_MODELS = {
    "text-davinci-002-render": "GPT-3.5", "text-davinci-002-render-sha": "GPT-3.5",
    "text-davinci-002-render-paid": "GPT-3.5", "text-davinci-002-render-sha-mobile": "GPT-3.5",
    "gpt-3.5-turbo": "GPT-3.5", "gpt-4-browsing": "GPT-4", "gpt-4-plugins": "GPT-4", "gpt-4-code-interpreter": "GPT-4",
    "gpt-4-dalle": "GPT-4", "gpt-4-mobile": "GPT-4", "gpt-4-gizmo": "GPT-4", "gpt-4o-canmore": "GPT-4o",
    "agent-mode": "Agent mode",
  };
  // `t` is how the app's JSON spells Thinking (gpt-5-t-mini: "GPT-5 Thinking mini" on screen).
  const VARIANTS = { mini: "mini", nano: "nano", thinking: "Thinking", t: "Thinking", instant: "Instant", pro: "Pro" };

  function chatgptModel(slug) {
    const name = String(slug || "").trim().toLowerCase();
    if (LEGACY_MODELS[name]) return LEGACY_MODELS[name];
    // gpt-4, gpt-4o, gpt-4-1-mini (GPT-4.1 mini), gpt-5-2-thinking (GPT-5.2 Thinking), gpt-5-t-mini
    const m = name.match(/^gpt-(\d)(o)?(?:-(\d))?(?:-(mini|nano|instant|pro)|-(thinking|t)(?:-(mini|nano))?)?$/);
    if (m) {
      const variants = [m[4], m[5], m[6]].filter(Boolean).map((v) => VARIANTS[v]).join(" ");
      return `GPT-${m[1]}${m[3] ? `.${m[3]}` : ""}${m[2] || ""}${variants ? ` ${variants}` : ""}`;
    }
    // The o-series is shown as its slug: o1, o3-mini-high, o4-mini.
    if (/^o\d(?:-(?:mini|pro|preview))?(?:-high)?$/.test(name)) return name;
    return undefined;
  }

  // ------------------------------------------------------------------ in the page

  function accountHeader() {
    const match = document.cookie.match(/(?:^|;\s*)_account=([^;]+)/);
    return match ? { "Chatgpt-Account-Id": decodeURIComponent(match[1]) } : {};
  }

  let chatgptHeaders = {};

  async function chatgptJson(id, page) {
    const { getJson, ShareError, signedOutMessage } = page;
    const session = await getJson("/api/auth/session");
    if (!session || !session.accessToken) throw new ShareError("signed-out", signedOutMessage());
    chatgptHeaders = { Authorization: `Bearer ${session.accessToken}`, ...accountHeader() };
    const data = await getJson(`/backend-api/conversation/${encodeURIComponent(id)}`, { headers: chatgptHeaders });
    if (!data || !data.mapping) throw new ShareError("site-error", "Unexpected answer from ChatGPT.");
    return chatgpt(data);
  }

  // Where ChatGPT serves a file's bytes: its download API answers a signed URL (or, on some paths, the bytes).
  async function chatgptImageUrl(asset, page) {
    const { conversationId } = page;
    const fileId = asset.replace(/^[a-z-]+:\/\//, "");
    const cid = conversationId();
    for (const path of [`/backend-api/files/download/${encodeURIComponent(fileId)}?conversation_id=${encodeURIComponent(cid || "")}&inline=false`,
                        `/backend-api/files/${encodeURIComponent(fileId)}/download`]) {
      const response = await fetch(path, { credentials: "include", headers: chatgptHeaders }).catch(() => null);
      if (!response || !response.ok) continue;
      if (!/json/.test(response.headers.get("content-type") || "")) return { response };
      const answer = await response.json().catch(() => null);
      const url = answer && (answer.download_url || answer.url);
      if (url) return { url };
    }
    return null;
  }

  function pageTurns({ turn }) {
    return [...document.querySelectorAll("[data-message-author-role]")].map((el) => {
      const role = el.getAttribute("data-message-author-role");
      if (role === "user") return turn("user", el.querySelector(".whitespace-pre-wrap"), el);
      return role === "assistant" ? turn("assistant", el.querySelector(".markdown") || el, null) : null;
    });
  }

  globalThis.ShareSites.register({
    name: "chatgpt",
    label: "ChatGPT",
    hosts: ["chatgpt.com", "chat.openai.com"],
    imageHosts: [/^chatgpt\.com$/, /^chat\.openai\.com$/, /^[\w.-]+\.oaiusercontent\.com$/],
    path: /^\/(?:g\/[^/]+\/)?c\/([0-9A-Za-z-]{8,})/,
    read: chatgpt,
    model: chatgptModel,
    load: chatgptJson,
    image: chatgptImageUrl,
    pageTurns,
  });
})();
