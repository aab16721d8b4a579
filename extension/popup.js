// The toolbar popup: share the current tab, and the links shared from this browser.
const ext = globalThis.browser ?? globalThis.chrome;
const status = document.getElementById("status");
const say = (text, error = false) => { status.textContent = text; status.classList.toggle("error", error); };

async function render() {
  const [{ server }, shares] = await Promise.all([ext.runtime.sendMessage({ type: "config" }),
                                                  ext.runtime.sendMessage({ type: "shares" })]);
  document.getElementById("server").textContent = `Server: ${server}`;
  const list = document.getElementById("shares");
  list.replaceChildren(...shares.map((share) => {
    const item = document.createElement("li");
    item.dataset.id = share.id;
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = share.title;
    const meta = document.createElement("div");
    meta.className = "muted";
    meta.textContent = `${share.shortUrl} · ${(share.createdAt || "").slice(0, 10)}`;
    const actions = document.createElement("div");
    actions.className = "actions";
    const button = (label, handler, className = "") => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.className = className;
      b.setAttribute("aria-label", `${label}: ${share.title}`);
      b.addEventListener("click", handler);
      return b;
    };
    actions.append(
      button("Copy", async (event) => {
        try { await navigator.clipboard.writeText(share.shortUrl); event.target.textContent = "Copied"; }
        catch (e) { say("Copying failed.", true); }
      }),
      button("Open", () => ext.tabs.create({ url: `${share.url}#token=${share.deleteToken}` })),
      // Deleting cannot be undone: the first click asks, in place (the site's pages ask the same way).
      button("Delete", (event) => {
        const ask = event.currentTarget;
        const yes = button("Yes, delete", async () => {
          const answer = await ext.runtime.sendMessage({ type: "delete", id: share.id });
          if (answer.ok) { say(`Deleted “${share.title}”.`); render(); } else say(answer.error.message, true);
        }, "danger");
        const no = button("Cancel", () => { yes.remove(); no.remove(); ask.hidden = false; ask.focus(); });
        ask.hidden = true;
        ask.after(yes, no);
        no.focus();
      }, "danger"));
    item.append(title, meta, actions);
    return item;
  }));
  document.getElementById("empty").hidden = shares.length > 0;
}

document.getElementById("share-tab").addEventListener("click", async () => {
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  try {
    await ext.tabs.sendMessage(tab.id, { type: "open-share" });
    window.close();
  } catch (e) {
    say("Open a conversation on ChatGPT, Claude, DeepSeek, Gemini, Grok or Perplexity in this tab, then share.", true);
  }
});

render();
