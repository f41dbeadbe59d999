// Web chat: posts to /api/chat, renders the message stream from GET /api/chat/{id}/messages.
"use strict";
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const banner = document.querySelector("[data-testid=handoff-banner]");
  const storageKey = "kidsafe-user-id";
  let userId = localStorage.getItem(storageKey);
  if (!userId) {
    userId = "web-" + crypto.randomUUID();
    localStorage.setItem(storageKey, userId);
  }
  const afterKey = "kidsafe-wiped-after";
  let lastId = Number(localStorage.getItem(afterKey) || 0);
  let polling = false;
  const names = { bot: "Bạn Nhỏ An Toàn", system: "Bạn Nhỏ An Toàn", counsellor: "Tư vấn viên" };

  function addBubble(author, text) {
    const div = document.createElement("div");
    div.className = "msg " + author;
    div.dataset.testid = "msg-" + author;
    if (names[author]) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = names[author];
      div.appendChild(who);
    }
    div.appendChild(document.createTextNode(text));  // always text, never HTML
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function addButtons(buttons) {
    if (!buttons || !buttons.length) return;
    const row = document.createElement("div");
    row.className = "buttons";
    for (const b of buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.dataset.testid = "quick-reply";
      btn.textContent = b.title;
      btn.addEventListener("click", () => send(b.payload, b.title));
      row.appendChild(btn);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  // Say honestly whether a counsellor has joined: only after a counsellor (or the "joined"
  // notice) has written, never when the case is only waiting.
  let joined = false;
  function showHandoff(handoff) {
    const active = !!(handoff && handoff.active);
    if (!active) joined = false;
    banner.hidden = !active;
    banner.textContent = joined
      ? "Tư vấn viên đã vào cuộc trò chuyện. Nếu cần gấp, hãy gọi 111."
      : "Đang mời tư vấn viên, cô chú sẽ vào sớm nhất có thể. Nếu cần gấp, hãy gọi 111.";
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const res = await fetch(`/api/chat/${encodeURIComponent(userId)}/messages?after=${lastId}`);
      if (res.ok) {
        const data = await res.json();
        for (const m of data.messages) {
          lastId = Math.max(lastId, m.id);
          if (m.author === "counsellor" || (m.author === "system" && /đã vào/.test(m.text))) {
            joined = true;
          }
          addBubble(m.author, m.text);
          addButtons(m.buttons);
        }
        showHandoff(data.handoff);
      }
    } catch (e) { /* offline: try again on the next tick */ }
    polling = false;
  }

  async function send(text, shown) {
    if (!text.trim()) return;
    addBubble("user", shown || text);
    try {
      const res = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: userId, text: text }),
      });
      if (!res.ok) {
        addBubble("system", "Xin lỗi, tin nhắn chưa gửi được. Nếu cần giúp ngay, hãy gọi 111.");
      } else {
        showHandoff((await res.json()).handoff);
      }
    } catch (e) {
      addBubble("system", "Mất kết nối. Nếu cần giúp ngay, hãy gọi 111 (miễn phí, 24/7).");
    }
    await poll();
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
  document.getElementById("wipe").addEventListener("click", () => {
    log.textContent = "";
    localStorage.setItem(afterKey, String(lastId));  // stays wiped after a reload too
  });

  poll().then(() => {
    if (lastId === 0) send("xin chào", "Xin chào 👋");
  });
  setInterval(poll, 2000);
})();
