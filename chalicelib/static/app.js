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
  // A date as every page writes one (pages.DAY): "07 Dec 2026", in UTC whatever the reader's clock.
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const day = (iso) => {
    const d = new Date(iso);
    return `${String(d.getUTCDate()).padStart(2, "0")} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  };
  const say = (text) => { const status = document.getElementById("status"); if (status) status.textContent = text; };
  // An action that cannot be undone asks first, in place: `button` gives way to the question, "Yes" and
  // "Cancel" (Cancel, or Escape, brings the button back with focus on it).
  const confirmInline = (button, question, yesLabel, onYes) => {
    const box = document.createElement("span");
    box.className = "confirm-inline";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", question);
    const text = document.createElement("span");
    text.textContent = question;
    const yes = document.createElement("button");
    yes.type = "button"; yes.className = "button danger"; yes.textContent = yesLabel;
    const no = document.createElement("button");
    no.type = "button"; no.className = "button"; no.textContent = "Cancel";
    const back = () => { box.replaceWith(button); button.focus(); };
    no.addEventListener("click", back);
    box.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.stopPropagation(); back(); } });
    yes.addEventListener("click", async () => { yes.disabled = true; no.disabled = true; await onYes(); if (box.isConnected) back(); });
    box.append(text, yes, no);
    button.replaceWith(box);
    no.focus();
  };

  // Signed in? The session cookies are HttpOnly; sg_user only says there is one (it grants nothing).
  const signedIn = /(?:^|;\s*)sg_user=[1m](?:;|$)/.test(document.cookie);
  const moderator = /(?:^|;\s*)sg_user=m(?:;|$)/.test(document.cookie);  // shows a link; grants nothing
  document.querySelectorAll("[data-when]").forEach((el) => {
    const when = el.dataset.when;
    el.hidden = !(when === "moderator" ? moderator : (when === "in") === signedIn);
  });
  // Actions that cannot be undone in a click ask first (the moderators' Takedown and Suspend).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  const signInHref = () => `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
  const api = async (method, path, body, headers) => {
    const init = { method, headers: { ...(headers || {}) } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    let response;
    try { response = await fetch(path, init); } catch (e) {
      return { ok: false, status: 0, message: "The server could not be reached. Check your connection." };
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    const message = data && data.error && data.error.message;
    return { ok: response.ok, status: response.status, data, message: message || `HTTP ${response.status}` };
  };

  // Save buttons (conversation page, Explore cards, Saved): toggle, and show the server's exact count.
  const saveButtons = [...document.querySelectorAll("[data-save]")];
  const showSaved = (button, saved, count) => {
    button.setAttribute("aria-pressed", saved ? "true" : "false");
    button.querySelector(".label").textContent = saved ? "Saved" : "Save";
    if (count !== undefined) button.querySelector(".count").textContent = String(count);
  };
  saveButtons.forEach((button) => button.addEventListener("click", async () => {
    if (!signedIn) { location.href = signInHref(); return; }
    const id = button.dataset.save;
    const saved = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    const answer = await api(saved ? "DELETE" : "POST", `/api/conversations/${encodeURIComponent(id)}/save`);
    button.disabled = false;
    if (answer.ok) {
      document.querySelectorAll(`[data-save="${CSS.escape(id)}"]`).forEach((b) => showSaved(b, answer.data.saved, answer.data.saves));
    } else if (answer.status === 401) { location.href = signInHref(); }
    else say(`Saving failed: ${answer.message}`);
  }));
  // Which of these the person saved (and owns): one request for the whole page.
  const statusOf = async (ids, owned) => {
    if (!signedIn || !ids.length) return { saved: [], owned: [] };
    const answer = await api("GET", `/api/me/status?ids=${ids.map(encodeURIComponent).join(",")}${owned ? "&owned=1" : ""}`);
    return answer.ok ? answer.data : { saved: [], owned: [] };
  };
  const onConversation = Boolean(document.querySelector("main[data-conversation-id]"));
  const pageStatus = statusOf([...new Set(saveButtons.map((b) => b.dataset.save))], onConversation).then((status) => {
    saveButtons.forEach((b) => { if (status.saved.includes(b.dataset.save)) showSaved(b, true); });
    return status;
  });

  // With this browser's delete key when it has one; else as the signed-in owner (the session cookie).
  async function deleteConversation(id) {
    const entry = load()[id];
    if (!entry && !signedIn) return "missing";
    let response;
    try {
      response = await fetch(`/api/conversations/${encodeURIComponent(id)}`, {
        method: "DELETE", headers: entry ? { Authorization: `Bearer ${entry.token}` } : {} });
    } catch (e) { return "offline"; }
    if (response.status === 403 && entry && signedIn) {
      // A stored key that fails (planted, or from before a change): the signed-in owner's session may still do.
      try {
        response = await fetch(`/api/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
      } catch (e) { return "offline"; }
    }
    if (response.status === 204 || response.status === 404 || response.status === 410) {
      const store = load(); delete store[id]; save(store);
      // This browser's HTTP cache still holds the page for minutes: fetch it past the cache so the stale
      // copy is replaced (by the 404), and going back to the link shows the truth.
      for (const path of [`/c/${encodeURIComponent(id)}`, `/api/conversations/${encodeURIComponent(id)}`]) {
        fetch(path, { cache: "reload" }).catch(() => {});
      }
      return response.status === 204 ? "deleted" : "gone";
    }
    return response.status === 403 ? "refused" : "failed";
  }
  const explain = { refused: "The server refused this browser's delete key.",
                    gone: "It was already gone: deleted, or removed by the moderators. Its link no longer works.",
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

  // Documents (canvas, artifacts): a copy button for the whole document, in its title bar.
  document.querySelectorAll(".msg .document").forEach((doc) => {
    const header = doc.querySelector("header");
    const body = doc.querySelector(".document-body");
    if (!header || !body) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", `Copy the document ${header.textContent}`);
    // A card's body may be closed (not rendered): its text is then the source, as written.
    button.addEventListener("click", () => copy(body.innerText || body.textContent, button));
    header.append(button);
  });

  // Wide code and tables scroll inside their box: keyboard users must be able to reach and scroll them.
  document.querySelectorAll(".msg pre, .msg table").forEach((box) => { box.tabIndex = 0; });

  // The conversation page.
  const page = document.querySelector("main[data-conversation-id]");
  if (page) {
    const id = page.dataset.conversationId;
    // No view beacon: views are counted from the CDN's access logs, so a reader's view runs none of our code.
    const fragment = location.hash.match(/^#token=([A-Za-z0-9_-]{16,128})$/);
    if (fragment) {
      history.replaceState(null, "", location.pathname + location.search);
      // Anyone can craft a link with #token=...: keep the key only if the server says it is this
      // conversation's, so a bad one can neither replace a working key nor plant a share in "My shares".
      fetch(`/api/conversations/${encodeURIComponent(id)}/key`, {
        headers: { Authorization: `Bearer ${fragment[1]}` }, cache: "no-store" })
        .then((answer) => {
          if (answer.status !== 204) return;
          const store = load();
          store[id] = { token: fragment[1], title: page.dataset.title, shortUrl: page.dataset.shortUrl,
                        url: location.origin + location.pathname, savedAt: new Date().toISOString() };
          save(store);
          showOwnerTools();
        })
        .catch(() => {});
    }
    const link = document.getElementById("copy-link");
    link.addEventListener("click", () => copy(link.dataset.copy, link));
    setUpContinue(page);
    // The browser's own dialog: "Save as PDF" is one of its printers; the print stylesheet makes it a document.
    document.getElementById("print").addEventListener("click", () => window.print());
    const del = document.getElementById("delete");
    const confirmBox = document.getElementById("delete-confirm");
    // This browser's delete key proves ownership too: the owner's tools, with the key.
    const key = () => (load()[id] ? { Authorization: `Bearer ${load()[id].token}` } : undefined);
    const tools = document.getElementById("owner-tools");
    const offNote = document.getElementById("comments-off");
    const donationForm = document.getElementById("donation");
    let donationShown = false;
    function showOwnerTools() {
      del.hidden = false;
      tools.hidden = false;
      offNote.textContent = "Comments are off: readers do not see them; you still do, and can turn them back on below.";
      if (!donationShown) { donationShown = true; setUpDonation(id, donationForm, key, say); }
    }
    const held = load()[id];
    if (held) {
      showOwnerTools();
      // The page shows the current title: My shares in this browser follows it (a retitle made elsewhere too).
      if (held.title !== page.dataset.title) { const store = load(); store[id].title = page.dataset.title; save(store); }
    }
    del.addEventListener("click", () => { confirmBox.hidden = false; document.getElementById("delete-yes").focus(); });
    document.getElementById("delete-no").addEventListener("click", () => { confirmBox.hidden = true; del.focus(); });
    pageStatus.then((status) => { if (status.owned.includes(id)) showOwnerTools(); });
    tools.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(tools);
      const answer = await api("PATCH", `/api/conversations/${encodeURIComponent(id)}`,
                               { title: form.get("title"), visibility: form.get("visibility"),
                                 comments: form.get("comments") === "on" }, key());
      if (!answer.ok) { say(`The change failed: ${answer.message}`); return; }
      page.querySelector("h1").textContent = answer.data.title;
      page.querySelector(".visibility").textContent = answer.data.visibility;
      page.dataset.title = answer.data.title;
      const store = load();
      if (store[id]) { store[id].title = answer.data.title; save(store); }  // My shares shows the new title
      offNote.hidden = answer.data.comments !== false;
      say(`Saved: “${answer.data.title}”, ${answer.data.visibility}, comments ${answer.data.comments === false ? "off" : "on"}.`);
    });
    // Comments its owner turned off are not shown to readers; the owner still sees and manages them.
    const commentsOff = (() => { try { return JSON.parse(document.getElementById("comments-data").textContent).off; }
                                 catch (e) { return false; } })();
    if (!commentsOff) setUpComments(page, id);
    else pageStatus.then((status) => { if (status.owned.includes(id)) setUpComments(page, id); });
    document.getElementById("delete-yes").addEventListener("click", async () => {
      const outcome = await deleteConversation(id);
      if (outcome !== "deleted" && outcome !== "gone") { confirmBox.hidden = true; say(explain[outcome]); return; }
      const gone = document.createElement("p");
      gone.className = "status";
      gone.id = "gone";
      gone.textContent = "This conversation has been deleted. Its link no longer works.";
      page.replaceChildren(gone);
    });
  }

  // The owner's donation to the open dataset: its state and the scrubbed row come from the owner-only preview
  // (the published page cannot hold them); the preview's text is shown as text, never as markup.
  async function setUpDonation(id, form, key, say) {
    const path = `/api/conversations/${encodeURIComponent(id)}/dataset`;
    const state = form.querySelector("#donation-state");
    const fields = () => {
      const donate = form.elements.donate.checked;
      form.elements.license.disabled = !donate;
      form.elements.attribution.disabled = !donate || form.elements.license.value !== "CC-BY-4.0";
    };
    const show = (answer) => {
      const given = answer.dataset;
      form.elements.donate.checked = Boolean(given);
      if (given) {
        form.elements.license.value = given.license;
        form.elements.attribution.value = given.attribution || "";
        const from = new Date(given.includedFrom);
        state.textContent = from > new Date()
          ? `Donated under ${given.license}: published from ${day(from)} (until then, read below what will be, and change your mind).`
          : `Donated under ${given.license}: in the open dataset's snapshots since ${day(from)}.`;
      } else {
        state.textContent = "Not donated.";
      }
      const turns = form.querySelector(".preview-turns");
      turns.replaceChildren(...answer.row.conversations.map((turn) => {
        const item = document.createElement("li");
        const who = document.createElement("strong");
        who.textContent = turn.from === "human" ? "Human: " : "Assistant: ";
        const text = document.createElement("span");
        text.textContent = turn.value;
        item.append(who, text);
        return item;
      }));
      fields();
    };
    const read = await api("GET", path, undefined, key());
    if (!read.ok) return;
    form.hidden = false;
    show(read.data);
    form.elements.donate.addEventListener("change", fields);
    form.elements.license.addEventListener("change", fields);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const license = form.elements.license.value;
      const attribution = form.elements.attribution.value.trim();
      const dataset = form.elements.donate.checked
        ? { license, ...(license === "CC-BY-4.0" && attribution ? { attribution } : {}) } : null;
      const answer = await api("PATCH", `/api/conversations/${encodeURIComponent(id)}`, { dataset }, key());
      if (!answer.ok) { say(`The change failed: ${answer.message}`); return; }
      say(answer.data.dataset ? `Donated under ${answer.data.dataset.license}.` : "Not donated: later snapshots leave it out.");
      const again = await api("GET", path, undefined, key());
      if (again.ok) show(again.data);
    });
  }

  // "Continue in…": the assistants whose web app takes a prompt in its URL (each checked against maintained
  // clients that open it so: docs/pages.md), opened with this conversation as the first message of a new chat.
  // A URL carries only so much (servers refuse request lines past about 8 KB): past that, the link holds the
  // newest messages that fit and says so, with this page's address; "Copy as prompt" copies it whole.
  const CONTINUE_IN = [
    ["ChatGPT", "https://chatgpt.com/?q="],
    ["Claude", "https://claude.ai/new?q="],
    ["Grok", "https://grok.com/?q="],
    ["Perplexity", "https://www.perplexity.ai/search?q="],
  ];
  const MAX_URL = 6000;

  function turnsOf(page) {
    // The text as the page lays it out (innerText: paragraphs and list items on lines of their own), without
    // reasoning and tool steps (closed on the page, and not the conversation itself) or our buttons: hidden for
    // the moment of reading, in the same frame.
    const skipped = [...page.querySelectorAll(".messages .body :is(details.block, .code-bar, .copy-code, button)")];
    skipped.forEach((el) => el.classList.add("prompt-skip"));
    try {
      return [...page.querySelectorAll(".messages > .msg")].map((message) =>
        `${message.querySelector(".role").textContent.trim()}: ${message.querySelector(".body").innerText.trim()}`);
    } finally {
      skipped.forEach((el) => el.classList.remove("prompt-skip"));
    }
  }

  function promptOf(page, turns, from) {
    const title = page.dataset.title;
    const where = location.origin + location.pathname;
    const head = from > 0
      ? `This is the end of a conversation titled "${title}" (the first ${from} of ${turns.length} messages are left out; the whole is at ${where}). Continue it with me.`
      : `This is a conversation titled "${title}" (${where}). Continue it with me.`;
    return `${head}\n\n${turns.slice(from).join("\n\n")}`;
  }

  function setUpContinue(page) {
    const menu = document.getElementById("continue");
    if (!menu) return;
    menu.hidden = false;
    menu.addEventListener("toggle", () => {
      if (!menu.open) return;
      const turns = turnsOf(page);
      const links = CONTINUE_IN.map(([name, base]) => {
        // The newest messages that fit, keeping at least the last one (cut itself when it alone is too long).
        let from = 0;
        let url = base + encodeURIComponent(promptOf(page, turns, from));
        while (url.length > MAX_URL && from < turns.length - 1) {
          from += 1;
          url = base + encodeURIComponent(promptOf(page, turns, from));
        }
        let cutShort = false;
        if (url.length > MAX_URL) {
          let text = promptOf(page, turns, from);
          while (base.length + encodeURIComponent(text).length > MAX_URL - 20) text = text.slice(0, Math.floor(text.length * 0.9));
          url = base + encodeURIComponent(`${text} […]`);
          cutShort = true;
        }
        return { name, url, from, cutShort };
      });
      document.getElementById("continue-links").replaceChildren(...links.map(({ name, url }) => {
        const item = document.createElement("li");
        const a = document.createElement("a");
        a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = name;
        item.append(a);
        return item;
      }));
      const cut = links[0];
      const note = document.getElementById("continue-cut");
      note.hidden = !(cut.from > 0 || cut.cutShort);
      note.textContent = cut.cutShort
        ? "This conversation is longer than a link can carry: the links hold its beginning words and this page's address. Copy as prompt copies it whole."
        : `This conversation is longer than a link can carry: the links hold its last ${turns.length - cut.from} of ${turns.length} messages and this page's address. Copy as prompt copies it whole.`;
    });
    const button = document.getElementById("copy-prompt");
    button.addEventListener("click", () => copy(promptOf(page, turnsOf(page), 0), button));
  }

  // Comments: a bubble on each message, and a side panel (a bottom sheet on phones) to read and write.
  function setUpComments(page, id) {
    const panel = document.getElementById("comments-panel");
    const threads = document.getElementById("threads");
    const form = document.getElementById("comment-form");
    const replying = document.getElementById("replying");
    const panelSay = (text) => { document.getElementById("panel-status").textContent = text; };
    document.getElementById("comment-signin").href = signInHref();
    // The published page carries its comments (as an anonymous reader sees them): reading costs no request.
    let data = { count: 0, positions: {} };
    try { data = JSON.parse(document.getElementById("comments-data").textContent) || data; } catch (e) { /* none */ }
    // One bubble per message, made here rather than repeated in every page's HTML.
    page.querySelectorAll(".messages > .msg").forEach((message, index) => {
      const bubble = document.createElement("button");
      bubble.type = "button";
      bubble.className = "bubble";
      bubble.dataset.position = String(index);
      bubble.setAttribute("aria-controls", "comments-panel");
      const label = document.createElement("span");
      label.className = "bubble-label";
      label.textContent = "Comment";
      const where = document.createElement("span");
      where.className = "sr-only";
      where.textContent = ` on message ${index + 1}`;
      bubble.append(label, where);
      message.append(bubble);
    });
    let position = null;
    let parentId = null;
    let opener = null;

    const countOf = (list) => list.reduce((n, c) => n + 1 + c.replies.length, 0);
    const paintBubbles = () => {
      document.querySelectorAll(".bubble").forEach((bubble) => {
        const n = countOf(data.positions[bubble.dataset.position] || []);
        bubble.querySelector(".bubble-label").textContent = n ? `${n} comment${n === 1 ? "" : "s"}` : "Comment";
        bubble.classList.toggle("has", n > 0);
      });
    };
    const commentItem = (comment, isReply) => {
      const item = document.createElement("li");
      item.className = isReply ? "comment reply" : "comment";
      item.dataset.id = comment.id;
      const who = document.createElement("p");
      who.className = "meta";
      const name = document.createElement("strong");
      name.textContent = comment.author;
      const when = document.createElement("time");
      when.dateTime = comment.createdAt;
      when.textContent = day(comment.createdAt);
      who.append(name, document.createTextNode(" · "), when);
      const body = document.createElement("div");
      body.className = "body html";
      body.innerHTML = comment.html; // sanitized by the server's allow-list when it was written
      item.append(who, body);
      const actions = document.createElement("p");
      actions.className = "actions";
      if (!isReply && signedIn) {
        const reply = document.createElement("button");
        reply.type = "button"; reply.className = "button"; reply.textContent = "Reply";
        reply.setAttribute("aria-label", `Reply to ${comment.author}`);
        reply.addEventListener("click", () => {
          parentId = comment.id;
          replying.hidden = false;
          replying.querySelector("span").textContent = `Replying to ${comment.author}`;
          form.elements.content.focus();
        });
        actions.append(reply);
      }
      if (comment.canDelete) {
        const remove = document.createElement("button");
        remove.type = "button"; remove.className = "button danger"; remove.textContent = "Delete";
        remove.setAttribute("aria-label", `Delete the comment by ${comment.author}`);
        remove.addEventListener("click", () => confirmInline(remove, "Delete this comment?", "Yes, delete", async () => {
          const answer = await api("DELETE", `/api/conversations/${encodeURIComponent(id)}/comments/${comment.id}`);
          if (!answer.ok) { panelSay(`Deleting failed: ${answer.message}`); return; }
          panelSay("Comment deleted.");
          await refresh();
          document.getElementById("panel-heading").focus(); // the button that had focus is gone
        }));
        actions.append(remove);
      }
      if (!comment.mine) {  // one's own comment is deleted, not reported
        const report = document.createElement("a");
        report.className = "button"; report.textContent = "Report"; report.rel = "nofollow";
        report.href = `/report?conversation=${encodeURIComponent(id)}&comment=${encodeURIComponent(comment.id)}`;
        report.setAttribute("aria-label", `Report the comment by ${comment.author}`);
        actions.append(report);
      }
      item.append(actions);
      if (!isReply && comment.replies.length) {
        const replies = document.createElement("ol");
        replies.className = "replies";
        replies.append(...comment.replies.map((r) => commentItem(r, true)));
        item.append(replies);
      }
      return item;
    };
    const paintPanel = () => {
      if (position === null) return;
      const list = data.positions[position] || [];
      threads.replaceChildren(...list.map((c) => commentItem(c, false)));
      document.getElementById("threads-empty").hidden = list.length > 0;
      document.getElementById("panel-heading").textContent = `Comments on message ${Number(position) + 1}`;
    };
    const refresh = async () => {
      const answer = await api("GET", `/api/conversations/${encodeURIComponent(id)}/comments`);
      if (!answer.ok) { panelSay(`Comments could not be loaded: ${answer.message}`); return; }
      data = answer.data;
      paintBubbles();
      paintPanel();
    };
    const resetReply = () => { parentId = null; replying.hidden = true; };
    document.getElementById("reply-cancel").addEventListener("click", resetReply);
    const close = () => {
      panel.hidden = true;
      document.body.classList.remove("panel-open");
      document.querySelectorAll(".bubble").forEach((b) => b.setAttribute("aria-expanded", "false"));
      if (opener) opener.focus();
    };
    document.getElementById("panel-close").addEventListener("click", close);
    document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !panel.hidden) close(); });
    document.querySelectorAll(".bubble").forEach((bubble) => {
      bubble.setAttribute("aria-expanded", "false");
      bubble.addEventListener("click", () => {
        opener = bubble;
        position = bubble.dataset.position;
        resetReply();
        panelSay("");
        document.querySelectorAll(".bubble").forEach((b) => b.setAttribute("aria-expanded", String(b === bubble)));
        panel.hidden = false;
        document.body.classList.add("panel-open");
        paintPanel();
        document.getElementById("panel-heading").focus();
      });
    });
    document.getElementById("panel-heading").tabIndex = -1;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const content = form.elements.content.value;
      const body = { position: Number(position), content, ...(parentId ? { parentId } : {}) };
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const answer = await api("POST", `/api/conversations/${encodeURIComponent(id)}/comments`, body);
      button.disabled = false;
      if (answer.status === 401) { location.href = signInHref(); return; }
      if (!answer.ok) { panelSay(answer.message); return; }
      form.reset();
      resetReply();
      panelSay("Comment posted.");
      await refresh();
    });
    paintBubbles();
    // Signed in, on a page with comments: which ones are yours to delete (and any newer than the published
    // page) come fresh. Anyone else reads what the page carries, with no request.
    if (signedIn && data.count > 0) refresh();
  }

  // My shares: what this browser holds the delete keys of. The server says which keys still hold a
  // conversation (with its current title), which were taken down and which are gone (one request); signed in,
  // the ones this account owns are left out here, since they are listed above it.
  const mine = document.getElementById("mine-list");
  if (mine) {
    const forget = (id) => { const store = load(); delete store[id]; save(store); };
    const card = (id, entry, state) => {
      const item = document.createElement("li");
      item.className = "card";
      item.dataset.id = id;
      const body = document.createElement("div");
      const title = entry.title || id;
      const meta = document.createElement("p");
      meta.className = "meta";
      if (state === "removed" || state === "refused") {
        const name = document.createElement("p");
        name.className = "card-title";
        name.textContent = title;
        meta.textContent = state === "removed" ? "Removed by the moderators: its link no longer works."
                                               : "The server no longer accepts this browser's key for it.";
        const forgetButton = document.createElement("button");
        forgetButton.type = "button"; forgetButton.className = "button"; forgetButton.textContent = "Forget";
        forgetButton.setAttribute("aria-label", `Forget ${title} in this browser`);
        forgetButton.addEventListener("click", () => {
          forget(id); item.remove(); say(`Forgot “${title}”.`);
          document.getElementById("mine-empty").hidden = mine.children.length > 0;
        });
        body.append(name, meta, forgetButton);
        item.append(body);
        return item;
      }
      const open = document.createElement("a");
      open.className = "card-title";
      open.href = `/c/${encodeURIComponent(id)}`;
      open.textContent = title;
      meta.textContent = `${entry.shortUrl || ""} · shared ${day(entry.savedAt || new Date().toISOString())}`;
      const copyButton = document.createElement("button");
      copyButton.type = "button"; copyButton.className = "button"; copyButton.textContent = "Copy link";
      copyButton.addEventListener("click", () => copy(entry.shortUrl || open.href, copyButton));
      // Donating (or withdrawing) happens on its page, where the owner reads the scrubbed preview first.
      const donation = document.createElement("a");
      donation.className = "button";
      donation.href = `/c/${encodeURIComponent(id)}#donation`;
      donation.textContent = entry.dataset ? `Donated (${entry.dataset})` : "Donate to the dataset";
      // The accessible name starts with the visible words (WCAG 2.5.3), then says which conversation.
      donation.setAttribute("aria-label", `${donation.textContent}: ${title}`);
      const deleteButton = document.createElement("button");
      deleteButton.type = "button"; deleteButton.className = "button danger"; deleteButton.textContent = "Delete";
      deleteButton.setAttribute("aria-label", `Delete ${title}`);
      deleteButton.addEventListener("click", () => confirmInline(
        deleteButton, `Delete “${title}” for everyone?`, "Yes, delete it", async () => {
          const outcome = await deleteConversation(id);
          if (outcome === "deleted" || outcome === "gone") {
            say(outcome === "deleted" ? `Deleted “${title}”.` : `“${title}”: ${explain.gone}`);
            item.remove();
            document.getElementById("mine-empty").hidden = mine.children.length > 0;
          } else say(explain[outcome]);
        }));
      body.append(open, meta, copyButton, document.createTextNode(" "), donation, document.createTextNode(" "), deleteButton);
      item.append(body);
      return item;
    };
    const render = async () => {
      const store = load();
      const ids = Object.keys(store).sort((a, b) => (store[b].savedAt || "").localeCompare(store[a].savedAt || ""));
      const states = new Map(ids.map((id) => [id, "held"]));
      const checked = ids.slice(0, 50);  // the newest: the server checks up to 50 keys at once
      if (checked.length) {
        const answer = await api("POST", "/api/keys", { keys: checked.map((id) => ({ id, token: store[id].token })) });
        if (answer.ok) {
          const held = new Map(answer.data.held.map((c) => [c.id, c]));
          for (const id of checked) {
            if (held.has(id)) { store[id].title = held.get(id).title; store[id].dataset = held.get(id).dataset; }
            else if (answer.data.removed.includes(id)) states.set(id, "removed");
            else if (answer.data.gone.includes(id)) states.set(id, "gone");
            else states.set(id, "refused");
          }
          // Deleted (here, elsewhere, or by closing the account): nothing left to show or to delete.
          for (const [id, state] of states) if (state === "gone") delete store[id];
          save(store);
        }
        const owned = signedIn ? (await statusOf(checked, true)).owned : [];
        owned.forEach((id) => states.set(id, "owned"));
      }
      const shown = ids.filter((id) => store[id] && states.get(id) !== "owned" && states.get(id) !== "gone");
      mine.replaceChildren(...shown.map((id) => card(id, store[id], states.get(id))));
      document.getElementById("mine-empty").hidden = shown.length > 0;
    };
    render();
  }
})();
