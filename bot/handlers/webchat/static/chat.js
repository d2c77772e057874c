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
  const typing = document.getElementById("typing");
  const soundButton = document.getElementById("sound");
  const baseTitle = document.title;
  let unread = 0;
  let typingTimer = null;
  let audio = null;
  const SOUND_KEY = "cb_sound";

  function newId() {
    const a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(author, text, kind, id) {
    const div = document.createElement("div");
    div.className = "msg " + author + (kind === "handoff" ? " handoff" : "");
    if (author === "agent") div.dataset.who = "Beta Me Agent";
    if (author === "customer" && id) div.dataset.id = id;
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

  // "Seen": an agent has read up to the message with this id; the mark sits under it.
  function markSeen(id) {
    const mine = Array.from(log.querySelectorAll(".msg.customer"));
    const upTo = mine.findIndex((b) => b.dataset.id === id);
    if (upTo < 0) return;
    mine.slice(0, upTo + 1).forEach((b) => b.classList.add("seen"));
    const old = document.getElementById("seen-mark");
    if (old) old.remove();
    const mark = document.createElement("p");
    mark.id = "seen-mark";
    mark.className = "seen-mark";
    mark.dataset.testid = "seen";
    mark.textContent = form.dataset.seen || "Seen";
    mine[upTo].after(mark);
  }

  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    // The console repeats the signal every few seconds while the agent writes.
    typingTimer = setTimeout(() => { typing.hidden = true; }, 6000);
  }

  function soundOn() { return localStorage.getItem(SOUND_KEY) === "on"; }

  function showSound() {
    const on = soundOn();
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
    soundButton.textContent = on ? soundButton.dataset.on : soundButton.dataset.off;
  }

  function beep() {
    if (!soundOn()) return;
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.12, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (e) { /* no audio here: the title still counts */ }
  }

  function arrived(count) {
    if (document.hidden) {
      unread += count;
      document.title = "(" + unread + ") " + baseTitle;
    }
    beep();
  }

  async function send(payload, shown) {
    payload.id = newId();
    if (shown) bubble("customer", shown, null, payload.id);
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
      if (author === "agent") { typing.hidden = true; clearTimeout(typingTimer); }
      (data.messages || []).forEach((m) => renderMessage(m, author, true));
      arrived((data.messages || []).length || 1);
      scroll();
    });
    source.addEventListener("typing", () => { showTyping(); scroll(); });
    source.addEventListener("seen", (ev) => { markSeen(JSON.parse(ev.data).id); });
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

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { unread = 0; document.title = baseTitle; }
  });
  soundButton.addEventListener("click", () => {
    localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    showSound();
    if (soundOn()) { audio = audio || new AudioContext(); audio.resume().catch(() => {}); }
  });
  showSound();

  fetch("/api/chat/history", { credentials: "same-origin" }).then((r) => r.json()).then((h) => {
    lastOutbox = h.last_outbox_id || 0;
    const msgs = h.messages || [];
    msgs.forEach((m, i) => {
      const live = i === msgs.length - 1 || (m.message && m.message.token && m.message.token === h.token);
      if (m.message) renderMessage(m.message, m.author, live && i >= msgs.length - 2);
      else bubble(m.author, m.text, null, m.id);
    });
    scroll();
    if (msgs.length === 0) send({ start: true });
    else ensureStream();
  });
})();
