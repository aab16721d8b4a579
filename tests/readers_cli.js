// Runs extension/readers.js in a bare `vm` context (no DOM, no network, no extension API, as its header
// promises) on a chat JSON file: `node tests/readers_cli.js chatgpt|claude|deepseek|grok|gemini|perplexity FILE` prints the create body.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [site, file] = process.argv.slice(2);
const context = vm.createContext({});
vm.runInContext(fs.readFileSync(path.join(__dirname, "..", "extension", "readers.js"), "utf8"), context,
                { filename: "readers.js" });
// Gemini's reader takes batchexecute's raw text (")]}'", length lines, arrays); the others a JSON value.
const raw = fs.readFileSync(file, "utf8");
const data = site === "gemini" ? raw : JSON.parse(raw);
const read = context.ShareReaders[site](data);
// What the extension sends when no image could be fetched; `fetches` lists where it would fetch them from.
const payload = context.ShareReaders.withMedia(read);
const fetches = [];
for (const message of read.messages || []) {
  for (const block of Array.isArray(message.content) ? message.content : []) if (block.fetch) fetches.push(block.fetch);
}
process.stdout.write(JSON.stringify({ payload, fetches, summary: context.ShareReaders.summary(payload),
                                      withoutSteps: context.ShareReaders.withoutSteps(payload) }));
