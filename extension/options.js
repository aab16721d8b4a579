// Options: which server to share to, checked with a request before it is saved.
const ext = globalThis.browser ?? globalThis.chrome;
const input = document.getElementById("server");
const status = document.getElementById("status");
const say = (text, error = false) => { status.textContent = text; status.classList.toggle("error", error); };

ext.runtime.sendMessage({ type: "config" }).then(({ server }) => { input.value = server; });

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  let url;
  try { url = new URL(input.value.trim()); } catch (e) { say("That is not a URL.", true); return; }
  if (!["http:", "https:"].includes(url.protocol)) { say("Use an http or https address.", true); return; }
  const server = url.origin + url.pathname.replace(/\/+$/, "");
  // Servers other than the local ones need a host permission, asked for now. A match pattern has no port
  // (http://127.0.0.1/* covers every port; Firefox answers false for one with a port even when it is granted),
  // and the request comes first, with no await before it: Firefox honours it only inside this click's gesture,
  // and it answers true at once, without a prompt, for what is granted already.
  const origins = [`${url.protocol}//${url.hostname}/*`];
  if (!(await ext.permissions.request({ origins }))) {
    say(`Permission to reach ${url.origin} was not given.`, true);
    return;
  }
  say("Checking…");
  const answer = await ext.runtime.sendMessage({ type: "verify", server });
  if (!answer.ok) { say(answer.error.message, true); return; }
  await ext.storage.local.set({ server });
  say(`Saved. ${server} answers: ${answer.count} public conversations.`);
});
