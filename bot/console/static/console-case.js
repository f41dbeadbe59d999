// One case: transcript, chat with canned responses and typing, steps, risk assessment,
// referral, follow-ups, notes and whispers, transfer, hand-back and close (with a closing
// message and a confirmation), earlier cases (opened with a reason).
"use strict";
(function (KS) {
  const { $, state, el, label, time, api, show } = KS;
  const TYPING_EVERY_MS = 3000;
  let lastTyping = 0;
  let childTypingTimer = null;

  function showPanel(which) {
    $("placeholder").hidden = which !== null || (state.me && state.me.role !== "counsellor");
    $("supervision").hidden = which !== null || !state.me || state.me.role === "counsellor";
    $("accounts-box").hidden = which !== null || !state.me || state.me.role !== "admin";
    $("review").hidden = which !== "review";
    $("case").hidden = which !== "case";
  }

  function messageNode(m) {
    const div = el("div", null, "msg " + m.author);
    div.dataset.testid = "transcript-msg";
    div.dataset.author = m.author;
    if (m.case_id && m.case_id === state.selected) div.classList.add("in-case");
    div.appendChild(el("span", label("author", m.author) + " · " + time(m.created_at), "who"));
    const body = m.text === null ? "[nội dung đã được xóa theo chính sách lưu trữ]" :
      (m.kind && m.kind !== "text" && !m.text ? "[" + m.kind + "]" : m.text);
    div.appendChild(el("span", body, "text"));  // textContent: the child's text stays text
    return div;
  }

  function addMessages(messages) {
    const box = $("transcript");
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 30;
    for (const m of messages) {
      if (m.id <= state.lastMessageId) continue;
      state.lastMessageId = m.id;
      box.appendChild(messageNode(m));
      if (m.author === "user") $("typing").hidden = true;
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function renderCase(c) {
    state.caseState = c;
    $("case-id").textContent = c.id;
    $("case-meta").replaceChildren(
      el("span", label("risk", c.risk), "badge risk-" + c.risk),
      el("span", label("status", c.status), "badge"),
      el("span", "Bước: " + label("step", c.step), "badge"),
      el("span", label("category", c.category), "badge"),
      el("span", label("channel", c.channel), "badge"),
      el("span", c.counsellor_name ? "Tư vấn viên: " + c.counsellor_name : "Chưa có người nhận"),
      el("span", " · " + (c.with_bot ? "Bot đang trả lời trẻ" : (c.counsellor_id
        ? "Tư vấn viên đang trò chuyện với trẻ" : "Trẻ đang chờ tư vấn viên")), "muted"),
    );
    $("case-reasons").replaceChildren(...(c.reasons || []).map((x) => el("li", x)));
    const offered = c.transfer_to_id ? "Đang chờ " + (c.transfer_to_name || "?") + " nhận ca được chuyển." : "";
    show("transfer-note", c.can_answer_transfer ? "Ca này được chuyển cho bạn. Đọc rồi nhận hoặc từ chối." : offered);
    const zalo = $("zalo-window");
    zalo.hidden = !c.zalo_window;
    if (c.zalo_window) {
      const w = c.zalo_window;
      zalo.classList.toggle("closed", !w.open);
      zalo.textContent = w.open
        ? "Zalo OA: còn " + w.remaining + "/" + w.limit + " tin trả lời, đến " + time(w.expires_at)
        : "Zalo OA: đã hết lượt trả lời (tối đa " + w.limit + " tin trong 48 giờ sau tin cuối của người dùng). Chờ trẻ nhắn lại.";
    }
    const mineNow = c.counsellor_id === state.me.id;
    $("accept").hidden = !c.can_accept;
    $("accept").textContent = mineNow ? "Tiếp tục trò chuyện" : "Nhận ca";
    $("transfer-accept").hidden = !c.can_answer_transfer;
    $("transfer-reject").hidden = !c.can_answer_transfer;
    $("transfer-open").hidden = !c.can_transfer;
    $("handback").hidden = !c.can_act || c.status === "closed" || c.with_bot;
    $("close").hidden = !c.can_act || c.status === "closed";
    $("archive").hidden = !c.can_archive;
    $("reply").disabled = !c.can_chat;
    $("reply-form").querySelector("button").disabled = !c.can_chat;
    $("canned").disabled = !c.can_chat;
    $("reply").placeholder = c.can_chat ? "Nhắn cho trẻ…" :
      (c.can_accept ? "Nhận ca để trò chuyện với trẻ." : "Không thể nhắn trong trạng thái này.");
    for (const id of ["category-form", "referral-form", "note-form", "assess-form", "followup-form", "step-form"]) {
      for (const control of $(id).elements) control.disabled = !c.can_act || c.status === "closed";
    }
    $("whisper-form").hidden = !c.can_whisper;
    if (c.category) $("category").value = c.category;
    fillCanned(c.audience);
    fillSteps(c.step);
  }

  function fillCanned(audience) {
    const wanted = state.canned.filter((x) => x.audience === audience || audience === "unknown");
    const first = el("option", "Mẫu trả lời (chèn vào ô soạn)…");
    first.value = "";
    const groups = {};
    for (const x of wanted) {
      if (!groups[x.group]) { groups[x.group] = document.createElement("optgroup"); groups[x.group].label = label("canned_group", x.group); }
      const option = el("option", x.title);
      option.value = x.id;
      groups[x.group].appendChild(option);
    }
    $("canned").replaceChildren(first, ...Object.values(groups));
  }

  const RANK = { received: 0, assessed: 1, plan: 2, intervention: 3, referral: 3, follow_up: 4, closed: 5 };
  function fillSteps(current) {
    const next = state.steps.filter((s) => s !== "closed" && (RANK[s] > RANK[current] ||
      (RANK[s] === 3 && RANK[current] === 3 && s !== current)));
    KS.fillSelect("step-select", next, "step");
  }

  function list(id, rows, line, testid) {
    $(id).replaceChildren(...rows.map((r) => {
      const li = el("li", line(r));
      li.dataset.testid = testid;
      return li;
    }));
  }

  function renderRecord(d) {
    $("steps").replaceChildren(...d.steps.map((s) => {
      const tr = el("tr");
      tr.dataset.testid = "step-row";
      for (const text of [label("step", s.step), s.by || "Hệ thống", time(s.at), s.note || ""]) tr.appendChild(el("td", text));
      return tr;
    }));
    list("assessments", d.assessments, (a) => time(a.created_at) + " · " + (a.by || "") + ": " +
      label("risk", a.risk) + " — " + a.reasons.join("; "), "assessment");
    $("referrals").replaceChildren(...d.referrals.map((r) => {
      const li = el("li", time(r.created_at) + " · " + label("service", r.service) +
        (r.note ? " — " + r.note : "") + " (" + (r.author || "") + ") ");
      li.dataset.testid = "referral";
      const status = el("select");
      status.dataset.testid = "referral-status";
      for (const key of state.referralStatuses) {
        const option = el("option", label("referral_status", key));
        option.value = key;
        status.appendChild(option);
      }
      status.value = r.status;
      status.disabled = !state.caseState.can_act;
      status.addEventListener("change", () => act("/referral-status", { referral_id: r.id, status: status.value }, reload));
      li.appendChild(status);
      return li;
    }));
    $("case-followups").replaceChildren(...d.follow_ups.map((f) => {
      const li = el("li", time(f.due_at) + (f.note ? " — " + f.note : "") + (f.done_at ? " ✓ đã xong" : ""));
      li.dataset.testid = "case-followup";
      if (!f.done_at && state.caseState.can_act) {
        const done = el("button", "Xong");
        done.type = "button";
        done.addEventListener("click", () => act("/follow-ups/done", { follow_up_id: f.id }, reload));
        li.appendChild(done);
      }
      return li;
    }));
    $("notes").replaceChildren(...d.notes.map((n) => {
      const li = el("li", time(n.created_at) + " · " + (n.author || "") +
        (n.kind === "whisper" ? " (nhắn riêng, trẻ không thấy)" : "") + ": " + n.text,
        n.kind === "whisper" ? "whisper" : "");
      li.dataset.testid = n.kind === "whisper" ? "whisper" : "note";
      return li;
    }));
    $("history").replaceChildren(...d.history.map((h) => {
      const li = el("li", time(h.opened_at) + " · " + label("category", h.category) + " · " +
        label("risk", h.risk) + " · " + label("status", h.status) + " ");
      li.dataset.testid = "history-item";
      const open = el("button", "Mở bản ghi…");
      open.type = "button";
      open.addEventListener("click", () => openHistory(h.id));
      li.appendChild(open);
      return li;
    }));
    if (!d.history.length) $("history").replaceChildren(el("li", "Không có ca nào khác.", "muted"));
    $("audit-box").hidden = !d.audit;
    if (d.audit) list("audit", d.audit, (a) => time(a.at) + " · " + a.actor + " · " + a.action, "audit");
  }

  async function openCase(id) {
    show("case-error", "");
    let detail;
    try { detail = await api("GET", "/cases/" + encodeURIComponent(id)); } catch (e) { show("case-error", e.message); return; }
    const switched = state.selected !== id;
    state.selected = id;
    if (switched) {
      state.lastMessageId = 0;
      $("transcript").replaceChildren();
      $("whisper-note").hidden = true;
      $("typing").hidden = true;
    }
    showPanel("case");
    addMessages(detail.messages);
    $("transcript").scrollTop = $("transcript").scrollHeight;
    renderCase(detail.case);
    renderRecord(detail);
    KS.render();
    if (switched) KS.connect();
  }

  function reload() { return openCase(state.selected); }

  async function act(path, body, after) {
    show("case-error", "");
    try {
      const data = await api("POST", "/cases/" + encodeURIComponent(state.selected) + path, body);
      if (data.case) renderCase(data.case);
      if (after) await after();
      return true;
    } catch (e) {
      show("case-error", e.message);
      return false;
    }
  }

  // ---- actions ---------------------------------------------------------------------------
  $("accept").addEventListener("click", () => act("/accept"));
  $("transfer-accept").addEventListener("click", () => act("/transfer/accept", {}, reload));
  $("transfer-reject").addEventListener("click", () => act("/transfer/reject", {}, reload));
  $("archive").addEventListener("click", () => act("/archive"));
  $("reply-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("reply").value;
    if (!text.trim()) return;
    act("/messages", { text: text }, () => { $("reply").value = ""; });
  });
  $("reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("reply-form").requestSubmit(); }
  });
  $("reply").addEventListener("input", () => {  // the child sees "typing…" (throttled)
    if (!state.caseState || !state.caseState.can_chat || Date.now() - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = Date.now();
    api("POST", "/cases/" + encodeURIComponent(state.selected) + "/typing").catch(() => {});
  });
  $("canned").addEventListener("change", () => {
    const chosen = state.canned.find((x) => x.id === $("canned").value);
    if (!chosen) return;
    const box = $("reply");
    const start = box.selectionStart || box.value.length;
    box.value = box.value.slice(0, start) + chosen.text + box.value.slice(box.selectionEnd || start);
    box.focus();
    $("canned").value = "";
  });
  $("category-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/category", { category: $("category").value });
  });
  $("referral-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/referrals", { service: $("service").value, note: $("referral-note").value },
      () => { $("referral-note").value = ""; return reload(); });
  });
  $("note-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/notes", { text: $("note").value }, () => { $("note").value = ""; return reload(); });
  });
  $("whisper-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/whisper", { text: $("whisper").value }, () => { $("whisper").value = ""; return reload(); });
  });
  $("step-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act("/step", { step: $("step-select").value, note: $("step-note").value },
      () => { $("step-note").value = ""; return reload(); });
  });
  $("followup-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const local = $("followup-at").value;
    if (!local) { show("case-error", "Hãy chọn ngày giờ hẹn."); return; }
    act("/follow-ups", { due_at: new Date(local).toISOString(), note: $("followup-note").value },
      () => { $("followup-note").value = ""; KS.loadFollowUps(); return reload(); });
  });

  // ---- risk assessment -------------------------------------------------------------------
  function setupAssessment() {
    const answers = ["unsure", "yes", "no"];
    for (const name of ["thoughts", "plan", "means", "safe_now", "person_near"]) {
      const select = document.querySelector("#assess-form select[name=" + name + "]");
      select.replaceChildren(...answers.map((key) => { const o = el("option", label("answer", key)); o.value = key; return o; }));
    }
    const timeframe = document.querySelector("#assess-form select[name=timeframe]");
    timeframe.replaceChildren(...["unsure", "now", "today", "later", "none"].map((key) => {
      const o = el("option", label("timeframe", key)); o.value = key; return o;
    }));
    const place = document.querySelector("#assess-form select[name=place_level]");
    place.replaceChildren(...["not_shared", "province", "district", "commune", "address"].map((key) => {
      const o = el("option", label("place_level", key)); o.value = key; return o;
    }));
    $("assess-kind").addEventListener("change", () => {
      $("assess-self_harm").hidden = $("assess-kind").value !== "self_harm";
      $("assess-abuse").hidden = $("assess-kind").value !== "abuse";
    });
  }
  $("assess-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const kind = $("assess-kind").value;
    const answers = {};
    for (const input of $("assess-" + kind).querySelectorAll("select, input")) answers[input.name] = input.value;
    act("/assessment", { kind: kind, answers: answers }, reload);
  });

  // ---- dialogs: hand back / close, transfer, history ---------------------------------------
  let closingAction = "/handback";
  function openClosing(action) {
    closingAction = action;
    $("handback-title").textContent = action === "/close" ? "Đóng ca" : "Trả lại cho bot";
    const live = state.caseState && !state.caseState.with_bot;
    const goodbye = state.canned.find((x) => x.group === "closing" && x.audience === (state.caseState.audience === "parent" ? "parent" : "child"));
    $("closing").value = live && goodbye ? goodbye.text : "";
    $("closing").disabled = !live;
    $("closing-confirm").checked = false;
    show("handback-error", "");
    $("handback-dialog").showModal();
  }
  $("handback").addEventListener("click", () => openClosing("/handback"));
  $("close").addEventListener("click", () => openClosing("/close"));
  $("handback-cancel").addEventListener("click", () => $("handback-dialog").close());
  $("handback-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!$("closing-confirm").checked) { show("handback-error", "Hãy đánh dấu xác nhận trước."); return; }
    const live = !$("closing").disabled;
    if (live && !$("closing").value.trim()) { show("handback-error", "Hãy viết lời chào kết thúc cho trẻ."); return; }
    const ok = await act(closingAction, live ? { closing: $("closing").value } : {}, reload);
    if (ok) $("handback-dialog").close();
    else show("handback-error", $("case-error").textContent);
  });

  $("transfer-open").addEventListener("click", async () => {
    try { state.people = (await api("GET", "/counsellors")).counsellors; } catch (e) { show("case-error", e.message); return; }
    const others = state.people.filter((p) => p.id !== state.me.id && p.id !== state.caseState.counsellor_id);
    $("transfer-to").replaceChildren(...others.map((p) => {
      const o = el("option", p.name + " · " + label("role", p.role) + " · đang giữ " + p.load + " ca" + (p.online ? " · đang trực" : ""));
      o.value = String(p.id);
      return o;
    }));
    show("transfer-error", "");
    $("transfer-dialog").showModal();
  });
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("transfer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ok = await act("/transfer", { to: Number($("transfer-to").value), note: $("transfer-reason").value }, reload);
    if (ok) { $("transfer-reason").value = ""; $("transfer-dialog").close(); }
    else show("transfer-error", $("case-error").textContent);
  });

  let historyCase = null;
  function openHistory(id) {
    historyCase = id;
    $("history-case").textContent = id;
    $("history-reason").value = "";
    $("history-transcript").replaceChildren();
    show("history-error", "");
    $("history-dialog").showModal();
  }
  $("history-close").addEventListener("click", () => $("history-dialog").close());
  $("history-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const data = await api("POST", "/cases/" + encodeURIComponent(state.selected) + "/history/" +
        encodeURIComponent(historyCase), { reason: $("history-reason").value });
      $("history-transcript").replaceChildren(...data.messages.map(messageNode));
    } catch (e) { show("history-error", e.message); }
  });

  // ---- live frames about the case on screen ---------------------------------------------
  function childTyping() {
    $("typing").hidden = false;
    clearTimeout(childTypingTimer);
    childTypingTimer = setTimeout(() => { $("typing").hidden = true; }, 6000);
  }
  function whispered() {
    show("whisper-note", "Giám sát viên vừa nhắn riêng cho bạn (xem mục Ghi chú).");
    reload();
  }

  Object.assign(KS, { openCase, renderCase, addMessages, messageNode, showPanel, childTyping,
    whispered, setupAssessment, reloadCase: reload });
})(window.KS);
