// DeepSeek (chat.deepseek.com), everything the extension knows of it: how its JSON becomes the body of POST
// /api/conversations (`read`: no DOM, no network), its model names, where its images may be fetched from, how the
// page fetches the conversation as the site's own app does (`load`, with content.js's toolkit `page`), and how its
// turns are read from the page when the JSON cannot be had (`pageTurns`). Who loads it: sites/common.js; adding a
// site: docs/pages.md.
(() => {
  "use strict";
  const {
    PRIVATE_USE, IMAGE_NAME, cut, oneLine, dimension, size, compact, startedAt, cite, webLinks, seconds,
    maybeList
  } = globalThis.ShareSites.helpers;

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

  // DeepSeek's app names no model on screen (only its DeepThink switch), its history sends `model: ""`, and
  // its API's names `deepseek-chat` and `deepseek-reasoner` are aliases that moved from V3 and R1 to V3.1
  // (August 2025) and V3.2 (December 2025): none of them says which model answered, so none is named.
  function deepseekModel(messages) {
    const named = messages.map((m) => m && m.model).filter((m) => typeof m === "string" && m).pop();
    const m = String(named || "").match(/^deepseek-(v\d+(?:\.\d+)?|r\d)$/i);
    return m ? `DeepSeek-${m[1].toUpperCase()}` : undefined;  // only a name that carries its version
  }

  // ------------------------------------------------------------------ in the page

  // DeepSeek's app sends its own bearer token, kept in the page's storage, with each API call.
  async function deepseekJson(id, page) {
    const { getJson, ShareError, signedOutMessage } = page;
    let token = null;
    try { token = (JSON.parse(localStorage.getItem("userToken") || "null") || {}).value || null; } catch (e) { token = null; }
    if (!token) throw new ShareError("signed-out", signedOutMessage());
    const data = await getJson(`/api/v0/chat/history_messages?chat_session_id=${encodeURIComponent(id)}`, {
      headers: { Authorization: `Bearer ${token}`, "x-client-platform": "web" } });
    if (!data || data.code !== 0 || !data.data || !data.data.biz_data) {
      throw new ShareError("site-error", "Unexpected answer from DeepSeek.");
    }
    return deepseek(data);
  }

  // A message with an answer or a thought is DeepSeek's; the thought (shown open on the page) is a reasoning
  // step under its own header ("Thought for 12 seconds"), so the reasoning switch works as for the JSON.
  function pageTurns({ turn, markdownOf }) {
    return [...document.querySelectorAll(".ds-message")].map((el) => {
      const think = el.querySelector(".ds-think-content");
      const answers = [...el.querySelectorAll(".ds-markdown")].filter((md) => !md.closest(".ds-think-content"));
      if (!think && !answers.length) return turn("user", el, el);
      const before = [];
      if (think && think.textContent.trim()) {
        const header = think.parentElement && think.parentElement.firstElementChild !== think
          ? think.parentElement.firstElementChild.innerText.trim() : "";
        before.push({ type: "reasoning", title: header && header.length <= 200 ? header : "Thought process",
                      text: markdownOf(think) });
      }
      return turn("assistant", answers, null, before);
    });
  }

  globalThis.ShareSites.register({
    name: "deepseek",
    label: "DeepSeek",
    hosts: ["chat.deepseek.com"],
    imageHosts: [/^chat\.deepseek\.com$/],
    path: /^\/a\/chat\/s\/([0-9a-f-]{8,})/i,
    read: deepseek,
    load: deepseekJson,
    pageTurns,
  });
})();
