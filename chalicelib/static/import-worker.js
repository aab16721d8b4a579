// The import page's worker: reads a ChatGPT, Claude, DeepSeek or Grok data export (the zip, or its conversations.json) in the
// browser, off the page's main thread. Nothing of the export leaves this worker but what the page asks for:
// the list (title, date, site, turns) and, for a conversation the person chose, its create body and images.
// Parsing is incremental: the zip's central directory says where conversations.json is, it is inflated with
// the browser's DecompressionStream, and the top-level array is cut into one conversation at a time as the
// text streams in, so a 500 MB export never becomes one JSON.parse.
"use strict";

const params = new URL(self.location.href).searchParams;
// The extension's own files, served by the site (static/sites-*.js are links to extension/sites/): the common
// one, then the sites whose exports this page reads.
importScripts(...params.get("readers").trim().split(/\s+/));
const Readers = self.ShareReaders;

class ImportError extends Error {}

let source = null;          // the File
let entries = null;         // Map(name -> zip entry), when the file is a zip
let images = new Map();     // file id -> zip entry
let conversations = [];     // [{text, title, date, site, turns}] (text: the conversation's own JSON)

// ------------------------------------------------------------------ zip (central directory, no library)

async function bytesAt(offset, length) {
  return new DataView(await source.slice(offset, offset + length).arrayBuffer());
}

function bigOffset(view, at) {
  return Number(view.getBigUint64(at, true));
}

async function readDirectory() {
  const tailLength = Math.min(source.size, 22 + 0xffff);
  const tail = await bytesAt(source.size - tailLength, tailLength);
  let end = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw new ImportError("This file is not a readable zip archive.");
  let count = tail.getUint16(end + 10, true);
  let size = tail.getUint32(end + 12, true);
  let offset = tail.getUint32(end + 16, true);
  if (offset === 0xffffffff || count === 0xffff) {  // Zip64: exports of several GB
    const locator = end - 20;
    if (locator < 0 || tail.getUint32(locator, true) !== 0x07064b50) throw new ImportError("This zip archive is damaged.");
    const record = await bytesAt(bigOffset(tail, locator + 8), 56);
    count = bigOffset(record, 32); size = bigOffset(record, 40); offset = bigOffset(record, 48);
  }
  if (offset + size > source.size) throw new ImportError("This zip archive is damaged (or cut short).");
  const directory = await bytesAt(offset, size);
  const decoder = new TextDecoder();
  const found = new Map();
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > size || directory.getUint32(at, true) !== 0x02014b50) throw new ImportError("This zip archive is damaged.");
    const method = directory.getUint16(at + 10, true);
    let compressed = directory.getUint32(at + 20, true);
    let plain = directory.getUint32(at + 24, true);
    const nameLength = directory.getUint16(at + 28, true);
    const extraLength = directory.getUint16(at + 30, true);
    const commentLength = directory.getUint16(at + 32, true);
    let local = directory.getUint32(at + 42, true);
    const name = decoder.decode(new Uint8Array(directory.buffer, directory.byteOffset + at + 46, nameLength));
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {  // the Zip64 extra field holds the sizes and offset that did not fit
      const id = directory.getUint16(extra, true);
      const length = directory.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        if (plain === 0xffffffff) { plain = bigOffset(directory, field); field += 8; }
        if (compressed === 0xffffffff) { compressed = bigOffset(directory, field); field += 8; }
        if (local === 0xffffffff) { local = bigOffset(directory, field); }
      }
      extra += 4 + length;
    }
    found.set(name, { name, method, compressed, plain, local });
    at = extraEnd + commentLength;
  }
  return found;
}

// `bounded`: in small pieces (see `pieces`), for a reader that stops at a limit.
async function entryStream(entry, bounded = false) {
  const header = await bytesAt(entry.local, 30);
  if (header.getUint32(0, true) !== 0x04034b50) throw new ImportError("This zip archive is damaged.");
  const start = entry.local + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  const compressed = source.slice(start, start + entry.compressed);
  const raw = bounded ? pieces(compressed) : compressed.stream();
  if (entry.method === 0) return raw;
  if (entry.method === 8) return raw.pipeThrough(new DecompressionStream("deflate-raw"));
  throw new ImportError(`${entry.name} is compressed in a way this page cannot read.`);
}

// The compressed bytes in 16 KB pieces: deflate inflates at most ~1,000 to 1, so no piece the decompressor is
// given can come out as more than ~16 MB, and a reader that stops at a limit stops near it.
const PIECE = 16 * 1024;

function pieces(blob) {
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      if (at >= blob.size) { controller.close(); return; }
      controller.enqueue(new Uint8Array(await blob.slice(at, at + PIECE).arrayBuffer()));
      at += PIECE;
    },
  });
}

// ------------------------------------------------------------------ conversations.json, one conversation at a time

// DeepSeek's export nodes carry `fragments`, ChatGPT's an `author` and `content`: both keep a `mapping`.
const deepseekExported = (mapping) => Object.values(mapping).some((node) => node && node.message && Array.isArray(node.message.fragments));

function describe(text) {
  const data = JSON.parse(text);
  if (data && typeof data === "object" && data.mapping && typeof data.mapping === "object" && deepseekExported(data.mapping)) {
    const payload = Readers.deepseek(data);
    return { site: "deepseek", title: payload.title || "Untitled", turns: payload.messages.length,
             source: typeof data.id === "string" ? `deepseek:${data.id}` : "", date: payload.startedAt || "" };
  }
  if (data && typeof data === "object" && data.mapping && typeof data.mapping === "object") {
    const payload = Readers.chatgpt(data);
    return { site: "chatgpt", title: payload.title || "Untitled", turns: payload.messages.length,
             source: typeof (data.conversation_id || data.id) === "string" ? `chatgpt:${data.conversation_id || data.id}` : "",
             date: typeof data.create_time === "number" ? new Date(data.create_time * 1000).toISOString() : "" };
  }
  if (data && typeof data === "object" && data.conversation && Array.isArray(data.responses)) {
    const payload = Readers.grok(data);
    return { site: "grok", title: payload.title || "Untitled", turns: payload.messages.length,
             source: typeof data.conversation.id === "string" ? `grok:${data.conversation.id}` : "",
             date: payload.startedAt || "" };
  }
  if (data && typeof data === "object" && Array.isArray(data.chat_messages)) {
    const payload = Readers.claude(data);
    return { site: "claude", title: payload.title || "Untitled", turns: payload.messages.length,
             source: typeof data.uuid === "string" ? `claude:${data.uuid}` : "",
             date: typeof data.created_at === "string" ? data.created_at : "" };
  }
  return null;
}

// Bounds that keep a crafted file from costing the tab more than it is worth. Real exports nest a few levels
// (ChatGPT's deepest is about 10) and a conversation's JSON is at most tens of MB; JSON.parse of millions of
// nested "[" builds millions of arrays (a 61 KB zip of 60 MB of "[" took the tab down after 7 s), and a
// conversation that never closes would be collected whole.
const MAX_DEPTH = 256;
const MAX_CONVERSATION_CHARS = 64 * 1024 * 1024;
const TOO_DEEP = "This file cannot be read: its JSON nests deeper than any chat export does.";

async function readConversations(stream, total) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let depth = 0, inString = false, escaped = false, started = false, ended = false;
  let collecting = false, parts = [], collected = 0, read = 0, lastReport = 0, notConversations = 0, skipped = 0;
  const list = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    read += value.length;
    let start = 0;  // where the conversation being collected starts in this chunk
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      const space = c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
      if (!started || ended) {
        if (space) continue;
        if (ended || c !== 91) throw new ImportError("This JSON is not a ChatGPT, Claude or DeepSeek export: its conversations.json is a list of conversations.");
        started = true; depth = 1; continue;
      }
      if (depth === 1 && !space && c !== 44 && c !== 123 && c !== 93) notConversations++;
      if (c === 34) { inString = true; continue; }
      if (c === 123 || c === 91) {
        depth++;
        if (depth > MAX_DEPTH) { await reader.cancel(); throw new ImportError(TOO_DEEP); }
        if (depth === 2 && c === 123) { collecting = true; start = i; parts = []; collected = 0; }
      } else if (c === 125 || c === 93) {
        depth--;
        if (depth === 1 && collecting) {
          collecting = false;
          parts.push(value.slice(start, i + 1));
          const text = parts.join("");
          parts = [];
          // One conversation that does not read (not JSON, a title that is not text...) is skipped and counted;
          // it does not cost the person the rest of their export.
          let described;
          try { described = describe(text); } catch (e) { skipped++; continue; }
          if (described) list.push({ text, ...described }); else notConversations++;
        } else if (depth === 0) {
          ended = true;
        }
      }
    }
    if (collecting) {
      parts.push(value.slice(start));
      collected += value.length - start;
      if (collected > MAX_CONVERSATION_CHARS) {
        await reader.cancel();
        throw new ImportError(`This file cannot be read: one of its conversations is over ${MAX_CONVERSATION_CHARS / 1024 / 1024} MB.`);
      }
    }
    if (read - lastReport > 1 << 20) {
      lastReport = read;
      postMessage({ type: "progress", done: read, total, found: list.length });
    }
  }
  if (!ended) throw new ImportError(started ? "The export is damaged or cut short." : "This file is empty.");
  if (!list.length) {
    if (skipped) throw new ImportError(`None of the ${skipped} conversation${skipped === 1 ? "" : "s"} in this export could be read.`);
    throw new ImportError(notConversations ? "This JSON is not a ChatGPT, Claude or DeepSeek export." : "This export holds no conversations.");
  }
  return { list, skipped };
}

// ------------------------------------------------------------------ Grok's export

// prod-grok-backend.json is one object ({conversations: [...], projects, tasks, ...}), not a list: read whole,
// within a bound (inflating stops there whatever the zip's directory says), then one conversation at a time.
const MAX_GROK_EXPORT = 64 * 1024 * 1024;

// Whether `text` nests deeper than MAX_DEPTH outside its strings: one pass, before JSON.parse is let near it.
function nestsTooDeep(text) {
  let depth = 0, inString = false, escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > MAX_DEPTH) return true; }
    else if (c === 125 || c === 93) depth--;
  }
  return false;
}

async function readGrokExport(entry) {
  const reader = (await entryStream(entry, true)).pipeThrough(new TextDecoderStream()).getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_GROK_EXPORT) {
      await reader.cancel();
      throw new ImportError(`This Grok export is over ${MAX_GROK_EXPORT / 1024 / 1024} MB: this page reads smaller ones for now.`);
    }
    parts.push(value);
  }
  const text = parts.join("");
  if (nestsTooDeep(text)) throw new ImportError(TOO_DEEP);
  let data;
  try { data = JSON.parse(text); } catch (e) { throw new ImportError("The Grok export is damaged or cut short."); }
  if (!data || !Array.isArray(data.conversations)) throw new ImportError("This JSON is not a Grok export.");
  const list = [];
  let skipped = 0;
  for (const entryData of data.conversations) {
    try {
      const text = JSON.stringify(entryData);
      const described = describe(text);
      if (described) list.push({ text, ...described }); else skipped++;
    } catch (e) { skipped++; }
  }
  if (!list.length) throw new ImportError("This Grok export holds no conversation that could be read.");
  return { list, skipped };
}

// ------------------------------------------------------------------ images in a ChatGPT export

const FILE_ID = /^(file[-_][A-Za-z0-9]{6,})/;

function imageIndex(found) {
  const index = new Map();
  for (const entry of found.values()) {
    const base = entry.name.split("/").pop();
    const match = base.match(FILE_ID);
    if (match && entry.plain > 0 && !index.has(match[1])) index.set(match[1], entry);
  }
  return index;
}

const MAX_IMAGE_BYTES = 10 * 1024 * 1024;  // the server's limit per image

// An image of the export: {bytes, contentType}, {problem} when it cannot be shared, null when the export does
// not hold it. The zip's directory says how big it is, but may lie: inflating stops at the limit whatever it says.
async function imageBytes(pointer) {
  const id = String(pointer).replace(/^[a-z-]+:\/\//, "");
  const entry = images.get(id);
  if (!entry) return null;
  const tooLarge = { problem: `over ${MAX_IMAGE_BYTES / 1024 / 1024} MB` };
  if (entry.plain > MAX_IMAGE_BYTES) return tooLarge;
  const reader = (await entryStream(entry, true)).getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_IMAGE_BYTES) { await reader.cancel(); return tooLarge; }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  const contentType = Readers.imageType(bytes);
  return contentType ? { bytes, contentType } : { problem: "not a PNG, JPEG, WebP or GIF image" };
}

// ------------------------------------------------------------------ the page's requests

async function open(file) {
  source = file;
  entries = null;
  images = new Map();
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  let stream, skipped;
  if (head[0] === 0x50 && head[1] === 0x4b) {
    entries = await readDirectory();
    const json = [...entries.values()].find((e) => e.name.split("/").pop() === "conversations.json");
    const grok = [...entries.values()].find((e) => e.name.split("/").pop() === "prod-grok-backend.json");
    if (!json && grok) {
      ({ list: conversations, skipped } = await readGrokExport(grok));
    } else {
      if (!json) throw new ImportError("There is no conversations.json in this zip: is it a ChatGPT, Claude, DeepSeek or Grok data export?");
      images = imageIndex(entries);
      stream = await entryStream(json);
      ({ list: conversations, skipped } = await readConversations(stream, json.plain));
    }
  } else {
    ({ list: conversations, skipped } = await readConversations(file.stream(), file.size));
  }
  conversations.forEach((c, index) => { c.index = index; });
  const rows = conversations.map(({ index, title, date, site, turns, source }) => ({ index, title, date, site, turns, source }))
    .sort((a, b) => b.date.localeCompare(a.date));
  postMessage({ type: "list", rows, images: images.size, skipped });
}

async function payload(index) {
  const conversation = conversations[index];
  const data = JSON.parse(conversation.text);
  const read = Readers[conversation.site](data);
  const found = {};
  for (const message of read.messages) {
    for (const block of Array.isArray(message.content) ? message.content : []) {
      if (block.type === "image" && block.fetch && !(block.fetch in found)) found[block.fetch] = await imageBytes(block.fetch);
    }
  }
  postMessage({ type: "payload", index, payload: { ...read, source: conversation.site }, images: found,
                summary: Readers.summary(read) });
}

onmessage = async ({ data }) => {
  try {
    if (data.type === "open") await open(data.file);
    else if (data.type === "payload") await payload(data.index);
  } catch (error) {
    postMessage({ type: "error", request: data.type, index: data.index,
                  message: error instanceof ImportError ? error.message : "This file could not be read as a ChatGPT, Claude, DeepSeek or Grok export." });
  }
};
