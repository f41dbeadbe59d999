// Console core: shared state, DOM and API helpers, labels, time. Loaded first.
// Every piece of user data is put in the page with textContent, never as HTML.
"use strict";
window.KS = (function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    me: null, labels: {}, csrf: "", clockOffset: 0, selected: null, caseState: null,
    lastMessageId: 0, categories: [], services: [], steps: [], referralStatuses: [],
    canned: [], people: [],
  };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function label(table, key) {
    return (state.labels[table] && state.labels[table][key]) || key || "—";
  }

  function time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("vi-VN", { hour12: false });
  }

  function now() { return Date.now() + state.clockOffset; }

  function waited(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " giây";
    if (seconds < 3600) return Math.floor(seconds / 60) + " phút";
    return Math.floor(seconds / 3600) + " giờ " + Math.floor((seconds % 3600) / 60) + " phút";
  }

  async function api(method, path, body) {
    const options = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = state.csrf;
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

  function fillSelect(id, keys, table, first) {
    const options = keys.map((key) => {
      const option = el("option", table ? label(table, key) : key);
      option.value = key;
      return option;
    });
    if (first) {
      const blank = el("option", first);
      blank.value = "";
      options.unshift(blank);
    }
    $(id).replaceChildren(...options);
  }

  function show(id, text) {
    const box = $(id);
    box.textContent = text || "";
    box.hidden = !text;
  }

  // A case as a list item: risk, id, category, channel, wait, preview, reasons (all as text).
  function caseItem(c, onOpen) {
    const li = el("li", null, "risk-" + c.risk);
    li.dataset.caseId = c.id;
    li.dataset.testid = "queue-item";
    if (state.selected === c.id) li.classList.add("selected");
    if (c.new) li.classList.add("fresh");
    const line1 = el("div", null, "line1");
    const left = el("span");
    if (c.new) left.appendChild(el("span", "MỚI", "badge new"));
    left.appendChild(el("span", label("risk", c.risk), "badge risk-" + c.risk));
    left.appendChild(el("span", c.id, "muted small"));
    line1.appendChild(left);
    if (c.status === "open" && !c.counsellor_id) {
      const wait = el("span", "chờ " + waited(c.opened_at), "waited small");
      wait.dataset.opened = c.opened_at;
      line1.appendChild(wait);
    }
    li.appendChild(line1);
    if (c.preview) li.appendChild(el("div", "“" + c.preview + "”", "preview"));
    const line2 = el("div", null, "line2");
    const parts = [label("category", c.category), label("channel", c.channel)];
    if (c.status !== "open" || c.counsellor_id) {
      parts.push(label("status", c.status), label("step", c.step));
      if (c.counsellor_name) parts.push(c.counsellor_name);
    }
    line2.appendChild(el("span", parts.join(" · ")));
    if (c.transfer_to_id) line2.appendChild(el("span", " · chuyển cho " + (c.transfer_to_name || "?")));
    li.appendChild(line2);
    if (c.reasons && c.reasons.length) li.appendChild(el("div", c.reasons.join(" · "), "why"));
    li.addEventListener("click", () => onOpen(c.id));
    return li;
  }

  setInterval(() => {
    for (const span of document.querySelectorAll(".waited")) {
      span.textContent = "chờ " + waited(span.dataset.opened);
    }
  }, 5000);

  return { $, state, el, label, time, waited, now, api, fillSelect, show, caseItem };
})();
