// Web chat. The chat's id and session live in this tab only (sessionStorage) and travel in
// headers, never in a URL. New messages are pushed: a fetch() stream of Server-Sent Events
// (EventSource cannot send headers) says what changed; the page then reads the new messages.
"use strict";
(function () {
  const T = document.body.dataset; // texts from content/messages.yml, filled in by the server
  const STORE = "kidsafe-chat";
  const ERASE_CONFIRM = "/erase_confirm";
  const PAGE = 200; // the server's page size for messages
  const TYPING_EVERY_MS = 3000;
  const TYPING_SHOWN_MS = 6000;
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const typing = document.getElementById("typing");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const names = { bot: T.nameBot, system: T.nameBot, counsellor: T.nameCounsellor,
                  user: T.nameUser };

  let chat = loadChat(); // {userId, session}
  let lastId = 0;
  let counsellor = "none"; // none | waiting | joined
  let stream = null; // the AbortController of the open event stream
  let retryMs = 1000;
  let restarts = 0;
  let typingSentAt = 0;
  let typingTimer = 0;
  let sending = Promise.resolve();
  let syncing = Promise.resolve();

  function loadChat() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(STORE) || "null");
      return kept && typeof kept.userId === "string" ? kept : null;
    } catch (e) {
      return null;
    }
  }

  function saveChat() {
    sessionStorage.setItem(STORE, JSON.stringify(chat));
  }

  function newUserId() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function chatHeaders(extra) {
    const headers = Object.assign({ "X-Chat-User": chat.userId }, extra || {});
    if (chat.session) headers["X-Chat-Session"] = chat.session;
    return headers;
  }

  // ------------------------------------------------------------------ rendering

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function bubble(author, text) {
    const div = document.createElement("div");
    div.className = "msg " + author;
    div.dataset.testid = "msg-" + author;
    const who = document.createElement("span");
    who.className = author === "user" ? "visually-hidden" : "who";
    who.textContent = (names[author] || "") + (author === "user" ? ": " : "");
    div.append(who, document.createTextNode(text)); // always text, never HTML
    log.appendChild(div);
    scrollDown();
  }

  // Old buttons are answered or superseded: they stay visible, but can no longer be pressed.
  function retireButtons() {
    for (const row of log.querySelectorAll(".buttons:not(.retired)")) {
      row.classList.add("retired");
      for (const b of row.querySelectorAll("button")) b.disabled = true;
    }
  }

  function buttonRow(buttons) {
    retireButtons();
    const row = document.createElement("div");
    row.className = "buttons";
    row.setAttribute("role", "group");
    for (const b of buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.dataset.testid = "quick-reply";
      btn.textContent = b.title;
      btn.addEventListener("click", () => {
        btn.classList.add("chosen");
        send(b.payload, b.title);
      });
      row.appendChild(btn);
    }
    log.appendChild(row);
    scrollDown();
  }

  // A quiz question also writes its options out for channels without buttons: show them once.
  function withoutButtonLines(text, buttons) {
    const titles = new Set(buttons.map((b) => b.title.trim()));
    return text.split("\n").filter((line) => !titles.has(line.trim())).join("\n");
  }

  function render(m) {
    if (m.id <= lastId) return;
    lastId = m.id;
    if (m.author === "user") {
      retireButtons();
      bubble("user", m.text);
      return;
    }
    const buttons = m.buttons || [];
    bubble(m.author, buttons.length ? withoutButtonLines(m.text, buttons) : m.text);
    if (buttons.length) buttonRow(buttons);
    if (m.author === "counsellor") showTyping(false);
  }

  function showState(data) {
    const active = !!(data.handoff && data.handoff.active);
    counsellor = data.counsellor || (active ? "waiting" : "none");
    status.hidden = counsellor === "none";
    status.dataset.state = counsellor;
    status.textContent = { none: "", waiting: T.waiting, joined: T.joined }[counsellor] || "";
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => { typing.hidden = true; }, TYPING_SHOWN_MS);
  }

  function clearScreen() {
    log.replaceChildren();
    showTyping(false);
  }

  // ------------------------------------------------------------------ reading messages

  // Read what is new (and, on a reload, the user's own messages too), one request at a time.
  function sync(mine) {
    syncing = syncing.then(() => readAfter(mine)).catch(() => {});
    return syncing;
  }

  async function readAfter(mine) {
    if (!chat || !chat.session) return;
    for (;;) {
      const res = await fetch(`/api/chat/messages?after=${lastId}${mine ? "&mine=1" : ""}`,
                              { headers: chatHeaders(), cache: "no-store" });
      if (res.status === 401) return restart();
      if (!res.ok) return;
      const data = await res.json();
      data.messages.forEach(render);
      showState(data);
      if (data.messages.length < PAGE) return;
    }
  }

  async function openStream() {
    if (stream || !chat || !chat.session || !window.TextDecoderStream) return;
    const control = new AbortController();
    stream = control;
    try {
      const res = await fetch("/api/chat/stream", { headers: chatHeaders(), cache: "no-store",
                                                    signal: control.signal });
      if (res.status === 401) {
        stream = null;
        return restart();
      }
      if (!res.ok || !res.body) throw new Error("no stream");
      retryMs = 1000;
      sync(false); // whatever came while the stream was closed
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (control.signal.aborted) return;
    }
    if (stream !== control) return;
    stream = null;
    setTimeout(openStream, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  }

  function onFrame(frame) {
    let event = "message";
    let data = "";
    for (const line of frame.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (!data) return;
    const body = JSON.parse(data);
    if (event === "typing") showTyping(body.who === "counsellor");
    else if (event === "change") sync(false);
  }

  // ------------------------------------------------------------------ sending

  function send(text, shown) {
    if (!text.trim()) return sending;
    retireButtons();
    bubble("user", shown || text);
    sending = sending.then(() => post(text));
    return sending;
  }

  async function post(text) {
    let res;
    try {
      res = await fetch("/api/chat", {
        method: "POST",
        headers: chatHeaders({ "Content-Type": "application/json" }),
        body: JSON.stringify({ user_id: chat.userId, text: text }),
      });
    } catch (e) {
      bubble("system", T.offline);
      return;
    }
    if (res.status === 401) return restart();
    if (!res.ok) {
      bubble("system", T.sendFailed);
      return;
    }
    const data = await res.json();
    if (data.session) {
      chat.session = data.session;
      saveChat();
      openStream();
    }
    if (text === ERASE_CONFIRM && !(data.handoff && data.handoff.active)) clearScreen();
    showState(data);
    await sync(false);
  }

  function sendTyping() {
    const now = Date.now();
    if (counsellor === "none" || !chat || !chat.session || now - typingSentAt < TYPING_EVERY_MS) {
      return;
    }
    typingSentAt = now;
    fetch("/api/chat/typing", {
      method: "POST",
      headers: chatHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify({ user_id: chat.userId }),
    }).catch(() => {});
  }

  // ------------------------------------------------------------------ starting, leaving

  function begin() {
    chat = { userId: newUserId(), session: null };
    saveChat();
    send(T.greeting); // the bot answers with its one welcome
  }

  // The server does not know this tab's session (for example after a quick exit elsewhere).
  function restart() {
    if (stream) stream.abort();
    stream = null;
    sessionStorage.removeItem(STORE);
    clearScreen();
    lastId = 0;
    if (++restarts > 1) {
      bubble("system", T.sendFailed);
      return;
    }
    begin();
  }

  function quickExit() {
    if (stream) stream.abort();
    sessionStorage.clear();
    clearScreen();
    input.value = "";
    window.location.replace(T.exitUrl); // replaces this page in the history: Back cannot return
  }

  function erase() {
    if (counsellor !== "none") {
      bubble("system", T.eraseInCase);
      return;
    }
    if (!chat || !chat.session) {
      clearScreen();
      return;
    }
    send(T.eraseRequest); // the server asks to confirm, as for a typed request
  }

  document.getElementById("quick-exit").addEventListener("click", quickExit);
  document.getElementById("erase").addEventListener("click", erase);
  input.addEventListener("input", sendTyping);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });

  if (chat && chat.session) {
    sync(true).then(openStream); // a reload: both sides of the conversation, then live
  } else {
    begin();
  }
  if (!window.TextDecoderStream) setInterval(() => sync(false), 3000); // no push: read often
})();
