// The web chat client. Customer and agent text is only ever set with textContent: it stays inert.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  let lastOutbox = 0;
  const pageLang = new URLSearchParams(location.search).get("lang");
  const langQuery = pageLang ? "?lang=" + encodeURIComponent(pageLang) : "";
  let source = null;

  function newId() {
    const a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(author, text, kind) {
    const div = document.createElement("div");
    div.className = "msg " + author + (kind === "handoff" ? " handoff" : "");
    if (author === "agent") div.dataset.who = "Beta Me Agent";
    div.textContent = text;
    log.appendChild(div);
    return div;
  }

  function disableOld() {
    log.querySelectorAll(".options button, .options input").forEach((b) => { b.disabled = true; });
  }

  // An agent's photo or document: shown from /api/chat/files/<token>, which only this visitor's
  // cookie opens. The name is text (textContent), the URL is built from the token alone.
  function fileMessage(m, author) {
    const ex = m.extra || {};
    const url = "/api/chat/files/" + encodeURIComponent(String(ex.attachment || ""));
    const div = document.createElement("div");
    div.className = "msg file " + author;
    if (author === "agent") div.dataset.who = "Beta Me Agent";
    div.dataset.testid = "chat-file";
    const a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener";
    if (ex.kind === "image") {
      const img = document.createElement("img");
      img.src = url;
      img.alt = m.text;
      a.appendChild(img);
    } else {
      a.textContent = "📄 " + m.text;
    }
    div.appendChild(a);
    log.appendChild(div);
  }

  function renderMessage(m, author, live) {
    if (m.kind === "file") { fileMessage(m, author); return; }
    bubble(author, m.text, m.kind);
    const options = m.options || [];
    if (m.kind === "date_picker" || options.length) {
      if (live) disableOld();
      const box = document.createElement("div");
      box.className = "options";
      if (m.kind === "date_picker") {
        const d = document.createElement("input");
        d.type = "date";
        if (m.min_date) d.min = m.min_date;
        if (m.max_date) d.max = m.max_date;
        d.setAttribute("aria-label", m.text);
        d.addEventListener("change", () => { if (d.value) send({ date: d.value, token: m.token || "" }, d.value); });
        box.appendChild(d);
      }
      options.forEach((o) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = o.label;
        b.dataset.option = o.id;
        b.addEventListener("click", () => send({ choice: o.id, token: m.token || "" }, o.label));
        box.appendChild(b);
      });
      if (!live) box.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
      log.appendChild(box);
    }
  }

  async function send(payload, shown) {
    payload.id = newId();
    if (shown) bubble("customer", shown);
    scroll();
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const res = await fetch("/api/chat/messages" + langQuery, {
          method: "POST", headers: { "Content-Type": "application/json" },
          credentials: "same-origin", body: JSON.stringify(payload),
        });
        if (res.ok) { ensureStream(); return; }
        const err = await res.json().catch(() => ({}));
        const p = document.createElement("p");
        p.className = "error";
        // The page's own (translated) words; the API's error detail is for developers.
        p.textContent = form.dataset.error || err.error || "Sorry, that could not be sent.";
        log.appendChild(p);
        return;
      } catch (e) {
        // The same id is sent again: the server answers it once, however often it arrives.
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  }

  function ensureStream() {
    if (source) return;
    source = new EventSource("/api/chat/stream?after=" + lastOutbox);
    source.addEventListener("reply", (ev) => {
      const data = JSON.parse(ev.data);
      if (data.outbox_id <= lastOutbox) return;
      lastOutbox = data.outbox_id;
      const author = data.source === "agent" ? "agent" : "bot";
      (data.messages || []).forEach((m) => renderMessage(m, author, true));
      scroll();
    });
    // A stream that ends (its lifetime is a few minutes) is resumed by the browser itself, with
    // Last-Event-ID. One refused (429: too many open) is closed for good: opened again a little later,
    // from the last reply shown.
    source.addEventListener("error", () => {
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(ensureStream, 5000 + Math.random() * 5000);
      }
    });
  }

  // ---- files: the paperclip (a photo or a PDF), the camera on a phone, drag and drop ------------
  const maxBytes = Number(form.dataset.maxBytes || 0);
  function showError(text) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = text;
    log.appendChild(p);
    scroll();
  }

  async function upload(file) {
    if (!file) return;
    if (maxBytes && file.size > maxBytes) { showError(form.dataset.tooLarge); return; }
    const id = newId();
    bubble("customer", (file.type.startsWith("image/") ? "📷 " : "📄 ") + file.name).dataset.testid = "sent-file";
    scroll();
    const q = "?id=" + id + (pageLang ? "&lang=" + encodeURIComponent(pageLang) : "");
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const res = await fetch("/api/chat/files" + q, {
          method: "POST", credentials: "same-origin", body: file,
          headers: { "Content-Type": file.type || "application/octet-stream", "X-File-Name": encodeURIComponent(file.name) },
        });
        if (res.ok) { ensureStream(); return; }
        showError(res.status === 413 ? form.dataset.tooLarge : form.dataset.error);
        return;
      } catch (e) {
        // The same id again: the server stores the upload once however often it arrives.
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  }

  ["file", "camera"].forEach((name) => {
    const picker = document.getElementById(name);
    picker.addEventListener("change", () => { upload(picker.files[0]); picker.value = ""; });
  });
  const chat = document.querySelector("main.chat");
  chat.addEventListener("dragover", (ev) => { ev.preventDefault(); chat.classList.add("dropping"); });
  chat.addEventListener("dragleave", () => chat.classList.remove("dropping"));
  chat.addEventListener("drop", (ev) => {
    ev.preventDefault();
    chat.classList.remove("dropping");
    if (ev.dataTransfer && ev.dataTransfer.files.length) upload(ev.dataTransfer.files[0]);
  });

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }, text);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });

  fetch("/api/chat/history", { credentials: "same-origin" }).then((r) => r.json()).then((h) => {
    lastOutbox = h.last_outbox_id || 0;
    const msgs = h.messages || [];
    msgs.forEach((m, i) => {
      const live = i === msgs.length - 1 || (m.message && m.message.token && m.message.token === h.token);
      if (m.message) renderMessage(m.message, m.author, live && i >= msgs.length - 2);
      else bubble(m.author, m.text);
    });
    scroll();
    if (msgs.length === 0) send({ start: true });
    else ensureStream();
  });
})();
