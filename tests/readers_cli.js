// Runs a chat site's reader in a bare `vm` context (no DOM, no network, no extension API, as sites/common.js
// promises), with only the files the extension loads on that site (sites/common.js, then sites/<site>.js), on
// a chat JSON file: `node tests/readers_cli.js chatgpt|claude|deepseek|grok|gemini|perplexity FILE` prints the create body.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [site, file] = process.argv.slice(2);
const context = vm.createContext({});
for (const name of ["common", site]) {
  const script = path.join(__dirname, "..", "extension", "sites", `${name}.js`);
  vm.runInContext(fs.readFileSync(script, "utf8"), context, { filename: `sites/${name}.js` });
}
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
