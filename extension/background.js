// Background (service worker in Chrome, event page in Firefox): the only code that talks to the
// ShareGPT server. It has the host permissions, so the chat sites' CORS rules never apply to it.
const ext = globalThis.browser ?? globalThis.chrome;
// The chat sites' files (their hosts and image hosts): Firefox's event page loads them before this file
// (manifest.json's background.scripts); Chrome's service worker loads here the same files its content scripts
// use, as the manifest lists them, so a new site needs no edit of this file.
if (typeof importScripts === "function") {
  const files = ext.runtime.getManifest().content_scripts.flatMap((entry) => entry.js)
    .filter((file) => file.startsWith("sites/"));
  importScripts(...new Set(files));
}
const DEFAULT_SERVER = "http://127.0.0.1:8000";
const SITES = globalThis.ShareSites.all();
const CHAT_SITES = SITES.flatMap((site) => site.hosts.map((host) => `https://${host}/*`));

async function config() {
  const { server } = await ext.storage.local.get("server");
  return { server: (server || DEFAULT_SERVER).replace(/\/+$/, "") };
}

async function shares() {
  const { shares: list } = await ext.storage.local.get("shares");
  return Array.isArray(list) ? list : [];
}

// Every failure becomes {kind, message, retryAfter?} for the page to show.
async function call(server, path, init = {}) {
  let response;
  try {
    response = await fetch(server + path, init);
  } catch (e) {
    return { ok: false, error: { kind: "unreachable", message: `The server ${server} could not be reached.` } };
  }
  let body = null;
  try { body = response.status === 204 ? null : await response.json(); } catch (e) { body = null; }
  if (response.ok) return { ok: true, status: response.status, body };
  const message = body && body.error && body.error.message;
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    return { ok: false, status: 429, error: { kind: "rate-limited", message: message || "Too many shares for now.", retryAfter } };
  }
  return { ok: false, status: response.status,
           error: { kind: "refused", message: `The server refused: ${message || `HTTP ${response.status}`}` } };
}

async function share(payload) {
  const { server } = await config();
  const post = (credentials) => call(server, "/api/conversations", {
    method: "POST", credentials, headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
  // With the site's session cookie when the person is signed in there: the share is then theirs on every
  // device. A session the server no longer accepts (401) falls back to an anonymous share.
  let answer = await post("include");
  if (!answer.ok && answer.status === 401) answer = await post("omit");
  if (!answer.ok) return answer;
  const entry = { ...answer.body, title: payload.title || "Untitled", server, createdAt: new Date().toISOString() };
  await ext.storage.local.set({ shares: [entry, ...(await shares())] });
  return { ok: true, share: entry };
}

// An image's bytes from a chat site's file host (a signed URL on another host than the page's, so the content
// script cannot read it under the page's CORS rules). Only https URLs of the hosts the asking site itself uses:
// a script on Grok's page cannot have the extension fetch from ChatGPT's file host, or anywhere else.
const IMAGE_HOSTS = Object.fromEntries(SITES.flatMap((site) => site.hosts.map((host) => [host, site.imageHosts])));
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function image(url, siteHost) {
  let parsed;
  try { parsed = new URL(url); } catch (e) { parsed = null; }
  const hosts = IMAGE_HOSTS[siteHost] || [];
  if (!parsed || parsed.protocol !== "https:" || !hosts.some((host) => host.test(parsed.hostname))) {
    return { ok: false, error: { kind: "refused", message: "Not a chat site's file." } };
  }
  let response;
  try { response = await fetch(parsed.href, { credentials: "omit" }); } catch (e) { response = null; }
  if (!response || !response.ok) return { ok: false, error: { kind: "unreachable", message: "The image could not be fetched." } };
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, error: { kind: "too-big", message: "The image is too big to share." } };
  return { ok: true, data: toBase64(bytes) };
}

// Upload one image: ask the server (POST /api/media), then send the bytes straight to the storage it names
// with the presigned form (nothing to send when the server has the image already).
async function media(data, contentType) {
  const { server } = await config();
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const answer = await call(server, "/api/media", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sha256, size: bytes.length, contentType }) });
  if (!answer.ok) return answer;
  if (!answer.body.stored) {
    const form = new FormData();
    for (const [name, value] of Object.entries(answer.body.upload.fields)) form.append(name, value);
    form.append("file", new Blob([bytes], { type: contentType }));
    let sent;
    try { sent = await fetch(answer.body.upload.url, { method: "POST", body: form }); } catch (e) { sent = null; }
    if (!sent || !sent.ok) return { ok: false, error: { kind: "refused", message: "An image could not be uploaded." } };
  }
  return { ok: true, id: answer.body.id };
}

async function remove(id) {
  const list = await shares();
  const entry = list.find((s) => s.id === id);
  if (!entry) return { ok: false, error: { kind: "missing", message: "This browser has no delete key for that link." } };
  const answer = await call(entry.server, `/api/conversations/${encodeURIComponent(id)}`, {
    method: "DELETE", headers: { Authorization: `Bearer ${entry.deleteToken}` } });
  if (!answer.ok && answer.status !== 404) return answer;
  await ext.storage.local.set({ shares: list.filter((s) => s.id !== id) });
  return { ok: true };
}

async function verify(server) {
  const answer = await call(server.replace(/\/+$/, ""), "/api/conversations/count");
  if (!answer.ok) return answer;
  if (typeof answer.body !== "number") {
    return { ok: false, error: { kind: "refused", message: "That address answers, but not as a ShareGPT server." } };
  }
  return { ok: true, count: answer.body };
}

// Who may ask for what. Our content script on a chat site may read the settings and share; only the
// extension's own pages (popup, options) may list shares and their delete keys, delete, or change servers.
const CHAT_ORIGINS = CHAT_SITES.map((pattern) => pattern.replace("/*", ""));
const hostOf = (url) => { try { return new URL(String(url)).hostname; } catch (e) { return ""; } };
function senderKind(sender) {
  if (!sender || sender.id !== ext.runtime.id) return null;
  const url = String(sender.url || "");
  if (url.startsWith(ext.runtime.getURL(""))) return "extension-page";
  if (sender.tab && CHAT_ORIGINS.some((origin) => url === origin || url.startsWith(origin + "/"))) return "chat-site";
  return null;
}

ext.runtime.onMessage.addListener((message, sender, respond) => {
  const handlers = {
    config: () => config(),
    share: () => share(message.payload),
    shares: () => shares(),
    delete: () => remove(message.id),
    verify: () => verify(message.server),
    image: () => image(String(message.url || ""), hostOf(sender && sender.url)),
    media: () => media(String(message.data || ""), String(message.contentType || "")),
  };
  const allowed = { "extension-page": ["config", "share", "shares", "delete", "verify"],
                    "chat-site": ["config", "share", "image", "media"] };
  const handler = handlers[message && message.type];
  if (!handler) return false;
  const kind = senderKind(sender);
  if (!kind || !allowed[kind].includes(message.type)) {
    respond({ ok: false, error: { kind: "refused", message: "Not allowed from here." } });
    return false;
  }
  handler().then(respond, (error) => respond({ ok: false, error: { kind: "error", message: String(error) } }));
  return true; // answer asynchronously
});

function openShareIn(tab) {
  if (tab && tab.id !== undefined) ext.tabs.sendMessage(tab.id, { type: "open-share" }).catch(() => {});
}

ext.runtime.onInstalled.addListener(() => {
  ext.contextMenus.create({ id: "share-conversation", title: "Share this conversation", contexts: ["page"],
                            documentUrlPatterns: CHAT_SITES });
});
ext.contextMenus.onClicked.addListener((info, tab) => { if (info.menuItemId === "share-conversation") openShareIn(tab); });
ext.commands.onCommand.addListener(async (command) => {
  if (command !== "share-conversation") return;
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  openShareIn(tab);
});
