// The office's report: figures of a period, charts (Chart.js, vendored), tables, CSV, print.
// Counts under 5 arrive as the string "<5": tables show it, charts leave that bar out.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let labels = {};
  const COLORS = { imminent: "#a3231b", high: "#d9731a", concern: "#d8b21c" };

  function el(tag, text) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function label(table, key) { return (labels[table] && labels[table][key]) || key; }
  function day(offset) {
    const d = new Date(Date.now() + 7 * 3600 * 1000 + offset * 86400000);  // Vietnam time
    return d.toISOString().slice(0, 10);
  }
  function seconds(value) {
    if (value === null || value === undefined) return "–";
    if (value < 60) return Math.round(value) + " giây";
    if (value < 3600) return Math.round(value / 60) + " phút";
    return (value / 3600).toFixed(1) + " giờ";
  }

  function table(id, data, table) {
    const rows = Object.entries(data).map(([key, value]) => {
      const tr = el("tr");
      tr.appendChild(el("td", table ? label(table, key) : key));
      tr.appendChild(el("td", value));
      return tr;
    });
    const head = el("tr");
    head.appendChild(el("th", "Mục"));
    head.appendChild(el("th", "Số ca"));
    $(id).replaceChildren(head, ...rows);
  }

  function chart(id, data, table, horizontal) {
    const keys = Object.keys(data);
    const values = keys.map((k) => (typeof data[k] === "number" ? data[k] : null));
    if (charts[id]) charts[id].destroy();
    charts[id] = new window.Chart($(id), {
      type: "bar",
      data: {
        labels: keys.map((k) => (table ? label(table, k) : k)),
        datasets: [{ data: values, backgroundColor: keys.map((k) => COLORS[k] || "#17705f") }],
      },
      options: {
        animation: false, indexAxis: horizontal ? "y" : "x", responsive: true,
        plugins: { legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => String(data[keys[ctx.dataIndex]]) } } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  async function show(from, to) {
    const query = "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to);
    $("csv").href = "/console/api/reports/export.csv" + query;
    const res = await fetch("/console/api/reports/summary" + query, { credentials: "same-origin" });
    if (res.status === 401) { window.location.assign("/console/login"); return; }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      $("report-error").textContent = (data.error && data.error.message) || "Không tải được báo cáo.";
      $("report-error").hidden = false;
      return;
    }
    $("report-error").hidden = true;
    $("report-title").textContent = "Báo cáo từ " + from + " đến " + to;
    $("k-total").textContent = String(data.cases.total);
    $("k-p50").textContent = seconds(data.first_response_seconds.p50);
    $("k-p95").textContent = seconds(data.first_response_seconds.p95);
    $("k-timeouts").textContent = String(data.timeouts);
    $("k-reviews").textContent = String(data.reviews.total);
    $("k-taken").textContent = String(data.reviews.taken);
    $("k-dismissed").textContent = String(data.reviews.dismissed);
    const parts = [["c-week", "t-week", data.cases.by_week, null, false],
      ["c-category", "t-category", data.cases.by_category, "category", true],
      ["c-risk", "t-risk", data.cases.by_risk, "risk", false],
      ["c-channel", "t-channel", data.cases.by_channel, "channel", false],
      ["c-service", "t-service", data.referrals.by_service, "service", true],
      ["c-status", "t-status", data.referrals.by_status, "referral_status", false]];
    for (const [canvas, list, values, names, horizontal] of parts) {
      table(list, values, names);
      chart(canvas, values, names, horizontal);
    }
    document.body.dataset.ready = "yes";
  }

  async function start() {
    const me = await fetch("/console/api/me", { credentials: "same-origin" });
    if (me.status === 401) { window.location.assign("/console/login"); return; }
    labels = (await me.json()).labels;
    const params = new URLSearchParams(window.location.search);
    $("from").value = params.get("from") || day(-29);
    $("to").value = params.get("to") || day(0);
    await show($("from").value, $("to").value);
  }

  $("period-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    document.body.dataset.ready = "";
    show($("from").value, $("to").value);
  });
  $("print").addEventListener("click", () => window.print());
  window.addEventListener("beforeprint", () => { for (const c of Object.values(charts)) c.resize(); });
  start();
})();
