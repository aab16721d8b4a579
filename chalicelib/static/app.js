// Behaviour for every page, loaded with `defer` from this origin only (the CSP allows nothing else).
// Delete tokens live in this browser's localStorage; a token arriving in the URL fragment
// (#token=..., never sent to any server) is moved there and removed from the address bar.
(() => {
  "use strict";
  const STORE = "sharegpt:shared";

  const load = () => {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  };
  const save = (store) => localStorage.setItem(STORE, JSON.stringify(store));

  const flash = (button, label) => {
    const original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = label;
    setTimeout(() => { button.textContent = original; }, 1500);
  };
  const copy = async (text, button) => {
    try { await navigator.clipboard.writeText(text); flash(button, "Copied"); }
    catch (e) { flash(button, "Copy failed"); }
  };
  const say = (text) => { const status = document.getElementById("status"); if (status) status.textContent = text; };

  async function deleteConversation(id) {
    const entry = load()[id];
    if (!entry) return "missing";
    let response;
    try {
      response = await fetch(`/api/conversations/${encodeURIComponent(id)}`, {
        method: "DELETE", headers: { Authorization: `Bearer ${entry.token}` } });
    } catch (e) { return "offline"; }
    if (response.status === 204 || response.status === 404) {
      const store = load(); delete store[id]; save(store);
      return "deleted";
    }
    return response.status === 403 ? "refused" : "failed";
  }
  const explain = { refused: "The server refused this browser's delete key.",
                    offline: "The server could not be reached; nothing was deleted.",
                    failed: "Deleting failed; please try again.", missing: "This browser has no delete key for it." };

  // Code blocks: a language label and a copy button on each.
  document.querySelectorAll(".msg pre").forEach((pre) => {
    const code = pre.querySelector("code");
    if (!code) return;
    const language = [...code.classList].find((c) => c.startsWith("language-"));
    const bar = document.createElement("div");
    bar.className = "code-bar";
    const label = document.createElement("span");
    label.textContent = language ? language.slice(9) : "code";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", `Copy ${label.textContent} code`);
    button.addEventListener("click", () => copy(code.innerText, button));
    bar.append(label, button);
    pre.prepend(bar);
  });

  // Wide code and tables scroll inside their box: keyboard users must be able to reach and scroll them.
  document.querySelectorAll(".msg pre, .msg table").forEach((box) => { box.tabIndex = 0; });

  // The conversation page.
  const page = document.querySelector("main[data-conversation-id]");
  if (page) {
    const id = page.dataset.conversationId;
    // Counted once per page load, even when the page itself came from a cache.
    if (navigator.sendBeacon) navigator.sendBeacon(`/api/conversations/${encodeURIComponent(id)}/view`);
    const fragment = location.hash.match(/^#token=([A-Za-z0-9_-]{16,128})$/);
    if (fragment) {
      const store = load();
      store[id] = { token: fragment[1], title: page.dataset.title, shortUrl: page.dataset.shortUrl,
                    url: location.origin + location.pathname, savedAt: new Date().toISOString() };
      save(store);
      history.replaceState(null, "", location.pathname + location.search);
    }
    const link = document.getElementById("copy-link");
    link.addEventListener("click", () => copy(link.dataset.copy, link));
    const del = document.getElementById("delete");
    const confirmBox = document.getElementById("delete-confirm");
    if (load()[id]) del.hidden = false;
    del.addEventListener("click", () => { confirmBox.hidden = false; document.getElementById("delete-yes").focus(); });
    document.getElementById("delete-no").addEventListener("click", () => { confirmBox.hidden = true; del.focus(); });
    document.getElementById("delete-yes").addEventListener("click", async () => {
      const outcome = await deleteConversation(id);
      if (outcome !== "deleted") { confirmBox.hidden = true; say(explain[outcome]); return; }
      const gone = document.createElement("p");
      gone.className = "status";
      gone.id = "gone";
      gone.textContent = "This conversation has been deleted. Its link no longer works.";
      page.replaceChildren(gone);
    });
  }

  // My shares.
  const mine = document.getElementById("mine-list");
  if (mine) {
    const render = () => {
      const store = load();
      const ids = Object.keys(store).sort((a, b) => (store[b].savedAt || "").localeCompare(store[a].savedAt || ""));
      mine.replaceChildren(...ids.map((id) => {
        const entry = store[id];
        const item = document.createElement("li");
        item.className = "card";
        item.dataset.id = id;
        const body = document.createElement("div");
        const open = document.createElement("a");
        open.className = "card-title";
        open.href = `/c/${encodeURIComponent(id)}`;
        open.textContent = entry.title || id;
        const meta = document.createElement("p");
        meta.className = "meta";
        meta.textContent = `${entry.shortUrl || ""} · shared ${(entry.savedAt || "").slice(0, 10)}`;
        const copyButton = document.createElement("button");
        copyButton.type = "button"; copyButton.className = "button"; copyButton.textContent = "Copy link";
        copyButton.addEventListener("click", () => copy(entry.shortUrl || open.href, copyButton));
        const deleteButton = document.createElement("button");
        deleteButton.type = "button"; deleteButton.className = "button danger"; deleteButton.textContent = "Delete";
        deleteButton.setAttribute("aria-label", `Delete ${open.textContent}`);
        deleteButton.addEventListener("click", async () => {
          const outcome = await deleteConversation(id);
          if (outcome === "deleted") { say(`Deleted “${open.textContent}”.`); render(); } else say(explain[outcome]);
        });
        body.append(open, meta, copyButton, document.createTextNode(" "), deleteButton);
        item.append(body);
        return item;
      }));
      document.getElementById("mine-empty").hidden = ids.length > 0;
    };
    render();
  }
})();
