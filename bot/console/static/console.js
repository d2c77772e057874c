// The agents' console. Anything that came from a customer (or anyone) is put on the page with
// textContent only: never innerHTML, never a link made from text. The server has already turned
// bidi control characters into visible codes.
(function () {
  "use strict";
  const body = document.body;
  const prefix = body.dataset.prefix || "/console";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.getAttribute("content") : "";

  // The console's strings in the agent's language: the server renders the translations of every T("…")
  // of this file into the page's data-strings (bot/console/i18n.py); no inline script is needed.
  let STRINGS = {};
  try { STRINGS = JSON.parse(body.dataset.strings || "{}"); } catch (e) { STRINGS = {}; }
  function T(message, values) {
    const text = STRINGS[message] || message;
    if (!values) return text;
    return text.replace(/%\((\w+)\)[sd]/g, (m, name) => (name in values ? String(values[name]) : m)).replace(/%%/g, "%");
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function captioned(e, caption) {
    e.dataset.label = caption;  // shown before the value on narrow screens (console.css)
    return e;
  }

  async function post(url, data) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data || {}),
    });
    let json = {};
    try { json = await res.json(); } catch (e) { json = {}; }
    return { ok: res.ok, status: res.status, data: json };
  }

  function waiting(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return T("under a minute");
    const m = Math.floor(seconds / 60);
    if (m < 60) return T("%(m)s min", { m: m });
    const h = Math.floor(m / 60);
    if (h < 48) return T("%(h)s h %(m)s min", { h: h, m: m % 60 });
    return T("%(d)s days", { d: Math.floor(h / 24) });
  }

  function liveState(source, badge) {
    source.addEventListener("open", () => { badge.textContent = T("live"); badge.dataset.state = "live"; });
    source.addEventListener("error", () => { badge.textContent = T("reconnecting…"); badge.dataset.state = "down"; });
  }

  // ---- the queue -------------------------------------------------------------------------------
  function initQueue() {
    const list = document.getElementById("tickets");
    const empty = document.getElementById("empty");
    const message = document.getElementById("queue-message");
    const alertBox = document.getElementById("alert");
    const enable = document.getElementById("enable-alerts");
    const beep = new Audio(prefix + "/static/alert.wav");
    let urgentSeen = null;
    let alerts = 0;

    if ("Notification" in window && Notification.permission === "granted") enable.hidden = true;
    enable.addEventListener("click", async () => {
      // A click is the user gesture browsers want before allowing notifications and sound.
      beep.muted = true;
      beep.play().then(() => { beep.pause(); beep.muted = false; }).catch(() => { beep.muted = false; });
      if ("Notification" in window) {
        const answer = await Notification.requestPermission();
        enable.textContent = answer === "granted" ? T("Alerts on") : T("Alerts: sound only");
      }
      enable.disabled = true;
    });

    function raise(tickets) {
      const t = tickets[0];
      alerts += 1;
      body.dataset.urgentAlerts = String(alerts);
      alertBox.hidden = false;
      alertBox.textContent = T("New urgent ticket #%(id)s: %(reason)s", { id: t.id, reason: t.reason_label }) + (t.language ? " (" + t.language + ")" : "");
      if ("Notification" in window && Notification.permission === "granted") {
        try {
          new Notification(T("Urgent: %(reason)s", { reason: t.reason_label }), { body: T("Ticket #%(id)s", { id: t.id }) + " · " + t.language + " · " + t.channel, tag: "ticket-" + t.id });
        } catch (e) { /* some browsers only allow notifications from a service worker */ }
      }
      beep.currentTime = 0;
      beep.play().catch(() => {});
    }

    async function claim(t, button) {
      button.disabled = true;
      const r = await post(prefix + "/tickets/" + t.id + "/claim");
      if (r.ok && r.data.url) { location.assign(r.data.url); return; }
      message.textContent = T("Ticket #%(id)s", { id: t.id }) + ": " + (r.data.error || T("It could not be claimed."));
      message.dataset.kind = "conflict";
      button.disabled = false;
    }

    function labelChips(labels) {
      const box = el("span", "labels");
      (labels || []).forEach((l) => {
        // The colour picks a class of the fixed palette; anything else gets the default look.
        const colour = /^[a-z]{1,16}$/.test(l.colour) ? l.colour : "grey";
        const chip = el("span", "label label-" + colour, l.name);
        chip.dataset.testid = "label";
        box.appendChild(chip);
      });
      return box;
    }

    function row(t) {
      const li = el("li", "ticket " + t.priority + " " + t.status);
      li.dataset.ticket = String(t.id);
      li.dataset.reason = t.reason;
      const state = t.status === "open" ? T("waiting") : (t.mine ? T("yours") : T("claimed by %(name)s", { name: t.claimed_by }));
      const waited = el("span", "waiting", waiting(t.created_at));
      waited.dataset.since = t.created_at;
      waited.dataset.label = T("Waiting:");
      const actions = el("span", "actions");
      if (t.status === "open") {
        const b = el("button", "primary", T("Claim"));
        b.type = "button";
        b.dataset.claim = String(t.id);
        b.addEventListener("click", () => claim(t, b));
        actions.appendChild(b);
      }
      if (t.conversation_id) {
        const a = el("a", "open", t.mine ? T("Open") : T("View"));
        a.href = prefix + "/conversations/" + Number(t.conversation_id);
        actions.appendChild(a);
      }
      li.append(
        el("span", "priority", t.priority === "urgent" ? T("Urgent") : T("Normal")),
        el("span", "reason", t.reason_label),
        labelChips(t.labels),
        captioned(el("span", "lang", t.language || "—"), T("Language:")),
        captioned(el("span", "channel", t.channel || "—"), T("Channel:")),
        waited,
        el("span", "state", state),
        actions,
      );
      return li;
    }

    // Who is at their desk and their load; labels come from the page (the agent's language).
    const teamList = document.getElementById("team");
    function member(a) {
      const li = el("li", "member " + a.status);
      li.dataset.agent = String(a.id);
      li.dataset.status = a.status;
      li.append(
        el("span", "name", a.name),
        el("span", "status", teamList.dataset["label" + a.status.charAt(0).toUpperCase() + a.status.slice(1)] || a.status),
        el("span", "langs", (a.languages || []).join(", ") || "—"),
        el("span", "load", a.load + "/" + a.capacity + " " + (teamList.dataset.labelLoad || "")),
      );
      return li;
    }
    const mine = document.getElementById("my-languages");
    const myLanguages = (mine.dataset.languages || "").split(",").filter(Boolean);
    let lastTickets = [];
    function shown(tickets) {
      return mine.checked ? tickets.filter((t) => myLanguages.includes(t.language_code)) : tickets;
    }
    function draw() {
      const visible = shown(lastTickets);
      list.replaceChildren(...visible.map(row));
      empty.hidden = visible.length > 0;
    }
    mine.addEventListener("change", draw);

    const source = new EventSource(body.dataset.stream);
    liveState(source, document.getElementById("live"));
    source.addEventListener("queue", (ev) => {
      const data = JSON.parse(ev.data);
      const tickets = data.tickets || [];
      teamList.replaceChildren(...(data.team || []).map(member));
      const urgent = tickets.filter((t) => t.priority === "urgent" && t.status === "open");
      if (urgentSeen !== null) {
        const fresh = urgent.filter((t) => !urgentSeen.has(t.id));
        if (fresh.length) raise(fresh);
      }
      urgentSeen = urgentSeen || new Set();
      urgent.forEach((t) => urgentSeen.add(t.id));
      lastTickets = tickets;
      draw();
      body.dataset.queueLoaded = "yes";
    });
    setInterval(() => {
      list.querySelectorAll(".waiting").forEach((w) => { w.textContent = waiting(w.dataset.since); });
    }, 30000);
  }

  // ---- a conversation --------------------------------------------------------------------------
  const DELIVERY = { pending: T("queued"), sending: T("sending…"), sent: T("sent"), dead: T("failed"), cancelled: T("not sent") };
  const MODES = { bot: T("bot"), queued: T("waiting for an agent"), agent: T("agent") };

  function entry(e) {
    const li = el("li", "entry " + e.author);
    li.dataset.id = String(e.id);
    li.id = "m-" + e.id; // a search result links here (#m-<id>)
    const head = el("div", "meta");
    head.append(el("span", "who", e.label), el("time", "", e.at));
    if (e.outbox_id) {
      const d = el("span", "delivery", DELIVERY[e.delivery] || e.delivery || "");
      d.dataset.outbox = String(e.outbox_id);
      d.dataset.state = e.delivery || "";
      head.appendChild(d);
      if (e.delivery === "dead") {
        const again = el("button", "retry", T("Retry delivery"));
        again.type = "button";
        again.dataset.retry = String(e.outbox_id);
        again.addEventListener("click", async () => {
          again.disabled = true;
          await post(location.pathname.replace(/\/$/, "") + "/retry/" + e.outbox_id);
        });
        head.appendChild(again);
      }
    }
    const text = el("p", "text", e.text);
    text.dir = "auto";
    li.append(head, text);
    return li;
  }

  // An attachment under its transcript line: a thumbnail that opens the full image, a document's
  // name, type and size, a location's coordinates and map link. URLs and labels come from the server.
  function attachmentBlock(a) {
    const box = el("div", "attachment " + a.kind);
    box.dataset.attachment = String(a.id);
    box.dataset.status = a.status;
    box.dataset.testid = "attachment";
    if (a.status !== "fetched") {
      box.appendChild(el("span", "attachment-status", a.kind_label + " · " + a.status_label));
      return box;
    }
    if (a.kind === "location") {
      box.appendChild(el("span", "coordinates", a.coordinates));
      if (a.place) box.appendChild(el("span", "place", a.place));
      const map = el("a", "map", a.map_label);
      map.href = a.map; map.target = "_blank"; map.rel = "noopener noreferrer";
      box.appendChild(map);
      return box;
    }
    const link = el("a", "open");
    link.href = a.url; link.target = "_blank"; link.rel = "noopener";
    if (a.thumb) {
      const img = el("img", "thumb");
      img.src = a.thumb; img.alt = a.kind_label; img.dataset.testid = "attachment-thumb";
      link.appendChild(img);
    } else {
      link.textContent = a.name || a.kind_label;
      link.dataset.testid = "attachment-download";
    }
    box.append(link, el("span", "file-meta", [a.type_label, a.size].filter(Boolean).join(" · ")));
    return box;
  }

  const files = new Map();
  function placeAttachments(list) {
    files.forEach((a) => {
      const li = list.querySelector('li[data-id="' + a.entry + '"]');
      if (!li) return;
      const old = li.querySelector('[data-attachment="' + a.id + '"]');
      if (old && old.dataset.status === a.status) return;
      const block = attachmentBlock(a);
      if (old) old.replaceWith(block); else li.appendChild(block);
    });
  }

  function ticketText(t) {
    if (!t || t.id === null) return T("No open ticket.");
    if (t.status === "open") return T("Ticket #%(id)s (%(reason)s) is waiting for an agent.", { id: t.id, reason: t.reason });
    if (t.mine) return T("You have ticket #%(id)s (%(reason)s).", { id: t.id, reason: t.reason });
    return T("Ticket #%(id)s is claimed by %(name)s.", { id: t.id, name: t.claimed_by || T("another agent") });
  }

  async function showLine(list, id, firstLoaded) {
    if (!document.getElementById("m-" + id) && firstLoaded && id < firstLoaded) {
      // Older than the lines the stream sent: fetch from it up to them, and put them before.
      const url = prefix + "/api/conversations/" + Number(body.dataset.conversation) + "/lines?from=" + id + "&before=" + firstLoaded;
      const res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (res.ok) {
        const older = (await res.json()).entries || [];
        list.prepend(...older.map(entry));
      }
    }
    const target = document.getElementById("m-" + id);
    if (target) {
      target.classList.add("found");
      target.scrollIntoView({ block: "center" });
    }
    body.dataset.lineShown = target ? "yes" : "no";
  }

  function initConversation() {
    const list = document.getElementById("transcript");
    const replyForm = document.getElementById("reply");
    const replyText = document.getElementById("reply-text");
    const replyError = document.getElementById("reply-error");
    const noteForm = document.getElementById("note");
    const noteText = document.getElementById("note-text");
    let baseline = null;
    let loaded = false;

    const source = new EventSource(body.dataset.stream);
    source.addEventListener("transcript", (ev) => {
      const data = JSON.parse(ev.data);
      if (!loaded) { list.replaceChildren(); loaded = true; }
      const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
      const first = !body.dataset.transcriptLoaded;
      data.entries.forEach((e) => list.appendChild(entry(e)));
      placeAttachments(list);
      const wanted = first && /^#m-\d+$/.test(location.hash) ? Number(location.hash.slice(3)) : 0;
      if (wanted) {
        // Opened from a search result: show that line, not the end of the transcript.
        showLine(list, wanted, data.entries.length ? data.entries[0].id : 0);
      } else if (nearBottom || data.entries.some((e) => e.author === "agent")) list.scrollTop = list.scrollHeight;
      body.dataset.transcriptLoaded = "yes";
    });
    source.addEventListener("attachments", (ev) => {
      (JSON.parse(ev.data).attachments || []).forEach((a) => files.set(a.id, a));
      placeAttachments(list);
    });
    source.addEventListener("delivery", (ev) => {
      const states = JSON.parse(ev.data).states || {};
      list.querySelectorAll(".delivery").forEach((d) => {
        const state = states[d.dataset.outbox];
        if (state) { d.dataset.state = state; d.textContent = DELIVERY[state] || state; }
      });
    });
    source.addEventListener("ticket", (ev) => {
      const t = JSON.parse(ev.data);
      const key = JSON.stringify(t);
      const mode = document.getElementById("mode");
      mode.textContent = MODES[t.mode] || t.mode;
      mode.dataset.mode = t.mode;
      if (baseline === null) { baseline = key; return; }
      if (key === baseline) return;
      document.getElementById("ticket-state").textContent = ticketText(t);
      document.getElementById("ticket-changed").hidden = false;
      if (!t.mine) {
        replyText.disabled = true;
        replyForm.querySelectorAll("button, input[type=file]").forEach((b) => { b.disabled = true; });
      }
    });

    function showError(text) { replyError.textContent = text; replyError.hidden = !text; }

    replyForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = replyText.value.trim();
      if (!text) return;
      const send = document.getElementById("reply-send");
      send.disabled = true;
      try {
        const r = await post(replyForm.action, { text: text });
        if (r.ok) { replyText.value = ""; showError(""); } else { showError(r.data.error || T("Not sent.")); }
      } catch (e) {
        showError(T("Not sent: the connection failed. Try again."));
      } finally {
        send.disabled = replyText.disabled;
      }
    });
    // "The agent is typing" for the customer's channel: at most every 3 s while the text changes.
    let lastTyping = 0;
    replyText.addEventListener("input", () => {
      const now = Date.now();
      if (replyText.disabled || !replyText.value.trim() || now - lastTyping < 3000) return;
      lastTyping = now;
      post(replyForm.action.replace(/\/reply$/, "/typing"), {}).catch(() => {});
    });
    // An agent's photo or PDF: the bytes as the body, through the outbox like a reply.
    const filePick = document.getElementById("reply-file");
    if (filePick) {
      filePick.addEventListener("change", async () => {
        const file = filePick.files[0];
        if (!file) return;
        filePick.disabled = true;
        try {
          const res = await fetch(filePick.dataset.action, {
            method: "POST", credentials: "same-origin", body: file,
            headers: {
              "Content-Type": file.type || "application/octet-stream", "Accept": "application/json",
              "X-CSRF-Token": csrf, "X-File-Name": encodeURIComponent(file.name),
            },
          });
          const data = await res.json().catch(() => ({}));
          showError(res.ok ? "" : (data.error || "Not sent."));
        } catch (e) {
          showError("Not sent: the connection failed. Try again.");
        } finally {
          filePick.value = "";
          filePick.disabled = replyText.disabled;
        }
      });
    }
    replyText.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); replyForm.requestSubmit(); }
    });
    document.querySelectorAll(".canned-reply").forEach((b) => {
      b.addEventListener("click", () => {
        replyText.focus();
        replyText.setRangeText(b.dataset.text, replyText.selectionStart, replyText.selectionEnd, "end");
      });
    });
    noteForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = noteText.value.trim();
      if (!text) return;
      const r = await post(noteForm.action, { text: text });
      if (r.ok) noteText.value = "";
    });
    document.querySelectorAll(".claim-form").forEach((form) => {
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const r = await post(form.action);
        if (r.ok) { location.reload(); return; }
        document.getElementById("ticket-state").textContent = r.data.error || T("It could not be claimed.");
      });
    });
    const outcome = document.getElementById("outcome");
    if (outcome) {
      const toggle = () => {
        document.querySelectorAll("#resolve [data-for]").forEach((f) => {
          f.hidden = !f.dataset.for.split(" ").includes(outcome.value);
        });
      };
      outcome.addEventListener("change", toggle);
      toggle();
    }
  }

  // ---- the CSV import: a progress bar while the upload's answer is on its way ---------------------
  function initImport() {
    const form = document.querySelector('form[enctype="multipart/form-data"]');
    const token = document.getElementById("import-token");
    const box = document.getElementById("import-progress");
    const bar = document.getElementById("import-bar");
    const text = document.getElementById("import-progress-text");
    if (!form || !token || !box || !bar || !text) return;
    const words = { uploading: T("Uploading…"), checking: T("Checking rows"), writing: T("Importing rows"), done: T("Finishing…") };
    form.addEventListener("submit", () => {
      const bytes = new Uint8Array(18);
      crypto.getRandomValues(bytes);
      token.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      box.hidden = false;
      bar.removeAttribute("value");  // indeterminate until the server says how far it is
      // This page stays until the answer arrives (a new page): poll until then.
      const poll = async () => {
        try {
          const res = await fetch(prefix + "/api/bookings/import/progress?token=" + token.value, {
            credentials: "same-origin", headers: { "Accept": "application/json" },
          });
          if (res.ok) {
            const p = await res.json();
            if (p.total > 0) { bar.max = p.total; bar.value = p.done; }
            text.textContent = (words[p.phase] || T("Working…")) + (p.total > 0 ? " " + p.done + " / " + p.total : "");
            box.dataset.phase = p.phase;
          }
        } catch (e) { /* the next poll tries again */ }
        setTimeout(poll, 400);
      };
      setTimeout(poll, 200);
    });
  }

  if (body.dataset.page === "queue") initQueue();
  if (body.dataset.page === "import") initImport();
  if (body.dataset.page === "conversation") initConversation();
})();
