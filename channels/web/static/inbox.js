// The officers' inbox: live updates (server-sent events) and the /shortcut picker.
// Every page works without this script; it only saves reloading and typing.
"use strict";

// -- live updates: on "changed", fetch this page again and swap the [data-live] parts --------
(function live() {
  if (!window.EventSource || document.body.classList.contains("login")) return;
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (response.redirected || !response.ok) { location.reload(); return; }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live][id]")) {
        const next = fresh.getElementById(part.id);
        if (next && next.innerHTML !== part.innerHTML) part.innerHTML = next.innerHTML;
      }
      document.body.dataset.refreshed = String(Date.now());
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const events = new EventSource("/inbox/events");
  events.addEventListener("changed", refresh);
  events.addEventListener("open", () => { document.body.dataset.live = "on"; });
})();

// -- quick replies: type "/" and part of a shortcut, pick with arrows + Enter/Tab or a click --
(function quickReplies() {
  const box = document.getElementById("text");
  const list = document.getElementById("quick-list");
  const data = document.getElementById("quick-replies");
  if (!box || !list || !data) return;
  const replies = JSON.parse(data.textContent || "{}");
  let matches = [], chosen = 0;

  function token() {  // the "/word" just before the cursor, if any
    const before = box.value.slice(0, box.selectionStart);
    const m = before.match(/(^|\s)\/([a-z0-9_-]*)$/i);
    return m ? { start: before.length - m[2].length - 1, word: m[2].toLowerCase() } : null;
  }
  function show() {
    const t = token();
    matches = t ? Object.keys(replies).filter((k) => k.startsWith(t.word)) : [];
    list.replaceChildren(...matches.map((k, i) => {
      const li = document.createElement("li");
      li.textContent = "/" + k + " — " + replies[k].slice(0, 80);
      li.dataset.shortcut = k;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === chosen));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); insert(k); });
      return li;
    }));
    list.hidden = matches.length === 0;
  }
  function insert(key) {
    const t = token();
    if (!t) return;
    const end = box.selectionStart;
    box.value = box.value.slice(0, t.start) + replies[key] + box.value.slice(end);
    const at = t.start + replies[key].length;
    box.setSelectionRange(at, at);
    matches = []; list.hidden = true; box.focus();
  }
  box.addEventListener("input", () => { chosen = 0; show(); });
  box.addEventListener("keydown", (e) => {
    if (list.hidden || !matches.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      chosen = (chosen + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      show();
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      insert(matches[chosen]);
    } else if (e.key === "Escape") {
      list.hidden = true;
    }
  });
})();
