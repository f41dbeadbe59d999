// Counsellor console: live queue over Server-Sent Events, case view, chat and case actions.
// Every piece of user data is put in the page with textContent, never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const baseTitle = document.title;
  let me = null;
  let labels = {};
  let csrf = "";
  let selected = null;
  let caseState = null;
  let lastMessageId = 0;
  let source = null;
  let knownQueue = null;
  let newCount = 0;
  let flashTimer = null;
  let clockOffset = 0;
  let lastQueue = null;
  let knownAlerts = null;
  let flashText = "Ca mới!";

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function label(table, key) {
    return (labels[table] && labels[table][key]) || key || "—";
  }

  function time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("vi-VN", { hour12: false });
  }

  function waited(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((Date.now() + clockOffset - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " giây";
    if (seconds < 3600) return Math.floor(seconds / 60) + " phút";
    return Math.floor(seconds / 3600) + " giờ " + Math.floor((seconds % 3600) / 60) + " phút";
  }

  async function api(method, path, body) {
    const options = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    const res = await fetch("/console/api" + path, options);
    if (res.status === 401) {
      window.location.assign("/console/login");
      throw new Error("login required");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const message = (data.error && data.error.message) || "Thao tác không thành công.";
      throw new Error(message);
    }
    return data;
  }

  // ---- title alert -------------------------------------------------------------------------
  function flashTitle(text) {
    flashText = text;
    if (flashTimer) return;
    let on = false;
    const tick = () => {
      on = !on;
      document.title = on ? "(" + newCount + ") " + flashText : baseTitle;
    };
    tick();
    flashTimer = setInterval(tick, 1000);
  }

  function stopFlash() {
    if (!flashTimer) return;
    clearInterval(flashTimer);
    flashTimer = null;
    newCount = 0;
    document.title = baseTitle;
  }
  document.addEventListener("click", stopFlash);
  document.addEventListener("keydown", stopFlash);

  // ---- queue -------------------------------------------------------------------------------
  function caseItem(c) {
    const li = el("li", null, "risk-" + c.risk);
    li.dataset.caseId = c.id;
    li.dataset.testid = "queue-item";
    if (selected === c.id) li.classList.add("selected");
    const line1 = el("div", null, "line1");
    line1.appendChild(el("span", c.id));
    line1.appendChild(el("span", label("risk", c.risk), "badge risk-" + c.risk));
    const line2 = el("div", null, "line2");
    line2.appendChild(el("span", label("category", c.category) + " · " +
      label("channel", c.channel) + " · "));
    const wait = el("span", c.status === "open" ? "chờ " + waited(c.opened_at) :
      label("status", c.status));
    wait.dataset.opened = c.opened_at || "";
    if (c.status === "open") wait.className = "waited";
    line2.appendChild(wait);
    if (c.counsellor_name && !c.mine) line2.appendChild(el("span", " · " + c.counsellor_name));
    li.appendChild(line1);
    li.appendChild(line2);
    li.addEventListener("click", () => openCase(c.id));
    return li;
  }

  function renderQueue(data) {
    lastQueue = data;
    if (data.now) clockOffset = Date.parse(data.now) - Date.now();
    const ids = data.queue.map((c) => c.id);
    if (knownQueue !== null) {
      const fresh = ids.filter((id) => !knownQueue.has(id));
      if (fresh.length) {
        newCount += fresh.length;
        flashTitle("Ca mới!");
      }
    }
    knownQueue = new Set([...(knownQueue || []), ...ids]);
    const queue = $("queue");
    queue.replaceChildren(...data.queue.map(caseItem));
    $("queue-count").textContent = String(data.queue.length);
    $("queue-empty").hidden = data.queue.length > 0;
    const cases = $("cases");
    cases.replaceChildren(...data.cases.map((c) => {
      const li = caseItem(c);
      li.dataset.testid = "case-item";
      return li;
    }));
  }

  // ---- review list ("Cần xem"): doubtful conversations, highest score first -----------------
  let reviewSelected = null;

  function reviewItem(r) {
    const li = el("li", null, "risk-" + r.risk);
    li.dataset.testid = "review-item";
    li.dataset.reviewId = String(r.id);
    const line1 = el("div", null, "line1");
    line1.appendChild(el("span", "Điểm " + r.score.toFixed(2)));
    line1.appendChild(el("span", label("category", r.category), "badge"));
    li.appendChild(line1);
    li.appendChild(el("div", r.preview, "line2"));  // textContent: the child's words stay text
    li.appendChild(el("div", label("channel", r.channel) + " · " + r.messages + " tin · " +
      waited(r.created_at), "line2 muted"));
    li.addEventListener("click", () => openReview(r.id));
    return li;
  }

  async function loadReviews() {
    let data;
    try { data = await api("GET", "/reviews"); } catch (e) { return; }
    $("reviews").replaceChildren(...data.reviews.map(reviewItem));
    $("reviews-count").textContent = String(data.reviews.length);
    $("reviews-empty").hidden = data.reviews.length > 0;
  }

  async function openReview(id) {
    let data;
    try { data = await api("GET", "/reviews/" + id); } catch (e) { showError(e.message); return; }
    reviewSelected = id;
    const r = data.review;
    $("placeholder").hidden = true;
    $("case").hidden = true;
    $("review").hidden = false;
    $("review-error").hidden = true;
    $("review-id").textContent = "#" + r.id;
    $("review-meta").replaceChildren(
      el("span", "Điểm " + r.score.toFixed(2), "badge"),
      el("span", label("risk", r.risk), "badge risk-" + r.risk),
      el("span", label("category", r.category), "badge"),
      el("span", label("channel", r.channel), "badge"));
    $("review-reasons").replaceChildren(...r.reasons.map((x) => el("li", x)));
    const box = $("review-transcript");
    box.replaceChildren(...data.messages.map((m) => {
      const div = el("div", null, "msg " + m.author);
      div.appendChild(el("span", label("author", m.author) + " · " + time(m.created_at), "who"));
      div.appendChild(el("span", m.text === null ? "[đã xóa]" : m.text, "text"));
      return div;
    }));
    box.scrollTop = box.scrollHeight;
  }

  $("review-take").addEventListener("click", async () => {
    try {
      const data = await api("POST", "/reviews/" + reviewSelected + "/take");
      $("review").hidden = true;
      loadReviews();
      openCase(data.case_id);
    } catch (e) { $("review-error").textContent = e.message; $("review-error").hidden = false; }
  });
  $("review-dismiss-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/reviews/" + reviewSelected + "/dismiss",
        { reason: $("review-reason").value });
      $("review-reason").value = "";
      $("review").hidden = true;
      $("placeholder").hidden = false;
      loadReviews();
    } catch (e) { $("review-error").textContent = e.message; $("review-error").hidden = false; }
  });

  function refreshWaits() {
    for (const span of document.querySelectorAll(".waited")) {
      span.textContent = "chờ " + waited(span.dataset.opened);
    }
  }
  setInterval(refreshWaits, 5000);

  // ---- alerts ------------------------------------------------------------------------------
  function renderAlerts(data) {
    const box = $("alerts-box");
    const list = $("alerts");
    box.hidden = data.alerts.length === 0;
    const ids = data.alerts.map((a) => a.id);
    if (knownAlerts !== null) {
      const fresh = ids.filter((id) => !knownAlerts.has(id));
      if (fresh.length) {
        newCount += fresh.length;
        flashTitle("Cảnh báo: chưa ai nhận ca!");
      }
    }
    knownAlerts = new Set([...(knownAlerts || []), ...ids]);
    list.replaceChildren(...data.alerts.map((a) => {
      const li = el("li");
      li.dataset.testid = "alert";
      li.appendChild(el("span", label("alert", a.kind) + " — ca " + (a.case_id || "?") +
        " (" + time(a.created_at) + ") "));
      const ack = el("button", "Đã xem");
      ack.type = "button";
      ack.addEventListener("click", async () => {
        try { await api("POST", "/alerts/" + a.id + "/ack"); } catch (e) { /* shown next tick */ }
      });
      li.appendChild(ack);
      return li;
    }));
  }

  // ---- one case ----------------------------------------------------------------------------
  function showError(text) {
    const box = $("case-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function addMessage(m) {
    lastMessageId = Math.max(lastMessageId, m.id);
    const div = el("div", null, "msg " + m.author);
    div.dataset.testid = "transcript-msg";
    div.dataset.author = m.author;
    if (m.case_id && m.case_id === selected) div.classList.add("in-case");
    div.appendChild(el("span", label("author", m.author) + " · " + time(m.created_at), "who"));
    const body = m.text === null ? "[nội dung đã được xóa theo chính sách lưu trữ]" :
      (m.kind && m.kind !== "text" && !m.text ? "[" + m.kind + "]" : m.text);
    div.appendChild(el("span", body, "text"));  // textContent: the child's text stays text
    $("transcript").appendChild(div);
  }

  function renderCase(c) {
    caseState = c;
    $("case-id").textContent = c.id;
    const meta = $("case-meta");
    meta.replaceChildren(
      el("span", label("risk", c.risk), "badge risk-" + c.risk),
      el("span", label("status", c.status), "badge"),
      el("span", label("category", c.category), "badge"),
      el("span", label("channel", c.channel), "badge"),
      el("span", c.counsellor_name ? "Tư vấn viên: " + c.counsellor_name : "Chưa có người nhận"),
      el("span", " · " + (c.with_bot ? "Bot đang trả lời trẻ" : (c.counsellor_id
        ? "Tư vấn viên đang trò chuyện với trẻ" : "Trẻ đang chờ tư vấn viên")), "muted"),
    );
    const reasons = el("ul", null, "list small");
    reasons.dataset.testid = "case-reasons";
    (c.reasons || []).forEach((x) => reasons.appendChild(el("li", x)));
    if ((c.reasons || []).length) meta.appendChild(reasons);
    const zalo = $("zalo-window");
    if (c.zalo_window) {
      const w = c.zalo_window;
      zalo.hidden = false;
      zalo.classList.toggle("closed", !w.open);
      zalo.textContent = w.open
        ? "Zalo OA: còn " + w.remaining + "/" + w.limit + " tin trả lời, đến " + time(w.expires_at)
        : "Zalo OA: đã hết lượt trả lời (tối đa " + w.limit +
          " tin trong 48 giờ sau tin cuối của người dùng). Chờ trẻ nhắn lại.";
    } else {
      zalo.hidden = true;
    }
    $("accept").hidden = !c.can_accept;
    $("handback").hidden = !c.can_act || c.status === "closed" || c.with_bot;
    $("close").hidden = !c.can_act || c.status === "closed";
    $("archive").hidden = !c.can_archive;
    const canChat = c.can_act && c.mine && c.status !== "closed" && !c.with_bot;
    $("reply").disabled = !canChat;
    $("reply-form").querySelector("button").disabled = !canChat;
    $("reply").placeholder = canChat ? "Nhắn cho trẻ…" :
      (c.can_accept ? "Nhận ca để trò chuyện với trẻ." : "Không thể nhắn trong trạng thái này.");
    for (const id of ["category-form", "referral-form", "note-form"]) {
      for (const control of $(id).elements) control.disabled = !c.can_act;
    }
    if (c.category) $("category").value = c.category;
  }

  function renderList(id, rows, line) {
    $(id).replaceChildren(...rows.map((r) => {
      const li = el("li", line(r));
      li.dataset.testid = id.replace(/s$/, "");
      return li;
    }));
  }

  async function openCase(id) {
    showError("");
    let detail;
    try {
      detail = await api("GET", "/cases/" + encodeURIComponent(id));
    } catch (e) {
      showError(e.message);
      return;
    }
    selected = id;
    lastMessageId = 0;
    $("placeholder").hidden = true;
    $("review").hidden = true;
    $("case").hidden = false;
    $("transcript").replaceChildren();
    detail.messages.forEach(addMessage);
    $("transcript").scrollTop = $("transcript").scrollHeight;
    renderCase(detail.case);
    renderList("notes", detail.notes, (n) => time(n.created_at) + " · " + (n.author || "") +
      ": " + n.text);
    renderList("referrals", detail.referrals, (r) => time(r.created_at) + " · " +
      label("service", r.service) + (r.note ? " — " + r.note : "") + " (" + (r.author || "") + ")");
    $("audit-box").hidden = !detail.audit;
    if (detail.audit) {
      renderList("audit", detail.audit, (a) => time(a.at) + " · " + a.actor + " · " + a.action);
    }
    if (lastQueue) renderQueue(lastQueue);
    connect();
  }

  async function act(path, body, after) {
    showError("");
    try {
      const data = await api("POST", "/cases/" + encodeURIComponent(selected) + path, body);
      if (data.case) renderCase(data.case);
      if (after) after();
    } catch (e) {
      showError(e.message);
    }
  }

  $("accept").addEventListener("click", () => act("/accept"));
  $("handback").addEventListener("click", () => act("/handback"));
  $("close").addEventListener("click", () => {
    if (window.confirm("Đóng ca này? Trẻ sẽ trò chuyện tiếp với bot.")) act("/close");
  });
  $("archive").addEventListener("click", () => act("/archive"));
  $("reply-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("reply").value;
    if (!text.trim()) return;
    act("/messages", { text: text }, () => { $("reply").value = ""; });
  });
  $("reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
  $("category-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/category", { category: $("category").value });
  });
  $("referral-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/referrals", { service: $("service").value, note: $("referral-note").value },
      () => { $("referral-note").value = ""; openCase(selected); });
  });
  $("note-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/notes", { text: $("note").value }, () => { $("note").value = ""; openCase(selected); });
  });

  // ---- live updates ------------------------------------------------------------------------
  function connect() {
    if (source) source.close();
    let url = "/console/events";
    if (selected) {
      url += "?case=" + encodeURIComponent(selected) + "&after=" + lastMessageId;
    }
    source = new EventSource(url);
    source.addEventListener("open", () => { $("live").textContent = "● Trực tuyến"; });
    source.addEventListener("error", () => { $("live").textContent = "Mất kết nối, đang thử lại…"; });
    source.addEventListener("queue", (ev) => renderQueue(JSON.parse(ev.data)));
    source.addEventListener("alerts", (ev) => renderAlerts(JSON.parse(ev.data)));
    source.addEventListener("case", (ev) => {
      const c = JSON.parse(ev.data);
      if (c.id === selected) renderCase(c);
    });
    source.addEventListener("messages", (ev) => {
      const data = JSON.parse(ev.data);
      if (data.case_id !== selected) return;
      const box = $("transcript");
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 30;
      data.messages.filter((m) => m.id > lastMessageId).forEach(addMessage);
      if (atBottom) box.scrollTop = box.scrollHeight;
    });
    source.addEventListener("case_gone", () => {
      showError("Bạn không còn quyền xem ca này.");
      selected = null;
      connect();
    });
    source.addEventListener("logout", () => { window.location.assign("/console/login"); });
  }

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/logout"); } catch (e) { /* go to login anyway */ }
    window.location.assign("/console/login");
  });

  function fillSelect(id, keys, table) {
    $(id).replaceChildren(...keys.map((key) => {
      const option = el("option", label(table, key));
      option.value = key;
      return option;
    }));
  }

  async function start() {
    const data = await api("GET", "/me");
    me = data.user;
    labels = data.labels;
    csrf = me.csrf_token;
    $("me").textContent = me.display_name + " (" + label("role", me.role) + ")";
    $("cases-title").textContent = me.role === "counsellor" ? "Ca của tôi" : "Tất cả ca đang xử lý";
    fillSelect("category", data.categories, "category");
    fillSelect("service", data.services, "service");
    connect();
    loadReviews();
    setInterval(loadReviews, 5000);
  }
  start().catch(() => { /* redirected to the login page */ });
})();
