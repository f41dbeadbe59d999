// The queue (filters, paging, live items), "Ca của tôi", and the "Cần xem" review list.
"use strict";
(function (KS) {
  const { $, state, el, label, api, caseItem } = KS;
  const LONG_WAIT_MS = 5 * 60 * 1000;
  const view = { items: [], total: 0, page: 1, size: 50, mine: [], reviews: [] };
  const known = new Set();  // case ids already seen: only new ones alert
  let refillTimer = null;

  function filter() {
    return {
      scope: $("f-scope").value, risk: $("f-risk").value, category: $("f-category").value,
      channel: $("f-channel").value,
      q: $("f-search").value.toUpperCase().replace(/[^A-Z0-9]/g, ""),
    };
  }

  function query(page) {
    const f = filter();
    const params = new URLSearchParams({ scope: f.scope, page: String(page), size: String(view.size) });
    for (const key of ["risk", "category", "channel", "q"]) if (f[key]) params.set(key, f[key]);
    return "/queue?" + params.toString();
  }

  function waiting(c) { return c.status === "open" && !c.counsellor_id; }
  function mine(c) {
    return c.status !== "closed" && (c.counsellor_id === state.me.id || c.transfer_to_id === state.me.id);
  }

  function matches(c) {
    const f = filter();
    if (f.q) return c.id.includes(f.q);
    if (f.risk && c.risk !== f.risk) return false;
    if (f.category && c.category !== f.category) return false;
    if (f.channel && c.channel !== f.channel) return false;
    if (f.scope === "unassigned") return waiting(c);
    if (f.scope === "waiting") return waiting(c) && KS.now() - Date.parse(c.opened_at) >= LONG_WAIT_MS;
    if (f.scope === "mine") return mine(c);
    return c.status !== "closed" && !c.archived_at;
  }

  // The server's order: new urgent cases first (newest first), then risk, then longest wait.
  function before(a, b) {
    if (a.new !== b.new) return a.new ? -1 : 1;
    if (a.risk_rank !== b.risk_rank) return b.risk_rank - a.risk_rank;
    const ta = Date.parse(a.opened_at), tb = Date.parse(b.opened_at);
    if (ta !== tb) return a.new ? tb - ta : ta - tb;
    return a.id < b.id ? -1 : 1;
  }

  function render() {
    $("queue").replaceChildren(...view.items.map((c) => caseItem(c, KS.openCase)));
    $("queue-empty").hidden = view.items.length > 0;
    const pages = Math.max(1, Math.ceil(view.total / view.size));
    $("page-info").textContent = "Trang " + view.page + "/" + pages + " · " + view.total + " ca";
    $("page-prev").disabled = view.page <= 1;
    $("page-next").disabled = view.page >= pages;
    $("mine").replaceChildren(...view.mine.map((c) => {
      const li = caseItem(c, KS.openCase);
      li.dataset.testid = "mine-item";
      if (c.transfer_to_id === state.me.id) li.appendChild(el("div", "Được chuyển cho bạn: mở để nhận hoặc từ chối", "why"));
      return li;
    }));
    $("mine-count").textContent = String(view.mine.length);
    $("mine-empty").hidden = view.mine.length > 0;
  }

  function counts(data) {
    $("queue-count").textContent = String(data.waiting);
    $("p-waiting").textContent = String(data.waiting);
    $("p-long").textContent = String(data.waiting_long);
    $("p-high").textContent = String(data.high_waiting);
  }

  async function load(page) {
    let data;
    try { data = await api("GET", query(page || view.page)); } catch (e) { return; }
    if (data.now) state.clockOffset = Date.parse(data.now) - Date.now();
    Object.assign(view, { items: data.items, total: data.total, page: data.page, size: data.size,
      mine: data.mine });
    for (const c of [...data.items, ...data.mine]) known.add(c.id);
    counts(data.counts);
    render();
  }

  function refillSoon() {
    if (refillTimer) return;
    refillTimer = setTimeout(() => { refillTimer = null; load(); }, 1500);
  }

  // One changed case from the live stream: update, insert in order, or remove.
  function upsert(c) {
    const fresh = !known.has(c.id);
    known.add(c.id);
    const at = view.items.findIndex((x) => x.id === c.id);
    if (at >= 0) {
      if (matches(c)) view.items[at] = c;
      else { view.items.splice(at, 1); view.total -= 1; refillSoon(); }
    } else if (matches(c)) {
      view.total += 1;
      if (view.page === 1) view.items.push(c);
      else refillSoon();  // its place may be on an earlier page: read this page again
    }
    view.items.sort(before);
    if (view.items.length > view.size) view.items.length = view.size;
    const m = view.mine.findIndex((x) => x.id === c.id);
    if (m >= 0) { if (mine(c)) view.mine[m] = c; else view.mine.splice(m, 1); }
    else if (mine(c)) view.mine.push(c);
    view.mine.sort(before);
    render();
    if (fresh && waiting(c)) KS.announce(c);
  }

  function gone(id) {
    const at = view.items.findIndex((x) => x.id === id);
    if (at >= 0) { view.items.splice(at, 1); view.total -= 1; refillSoon(); }
    view.mine = view.mine.filter((x) => x.id !== id);
    render();
  }

  // ---- "Cần xem" -------------------------------------------------------------------------
  let reviewSelected = null;

  function reviewItem(r) {
    const li = el("li", null, "risk-" + r.risk);
    li.dataset.testid = "review-item";
    li.dataset.reviewId = String(r.id);
    const line1 = el("div", null, "line1");
    line1.appendChild(el("span", "Điểm " + r.score.toFixed(2)));
    line1.appendChild(el("span", label("category", r.category), "badge"));
    li.appendChild(line1);
    li.appendChild(el("div", r.preview, "preview"));  // textContent: the child's words stay text
    li.appendChild(el("div", label("channel", r.channel) + " · " + r.messages + " tin · " +
      KS.waited(r.created_at), "line2"));
    li.addEventListener("click", () => openReview(r.id));
    return li;
  }

  function renderReviews() {
    view.reviews.sort((a, b) => b.score - a.score || a.id - b.id);
    $("reviews").replaceChildren(...view.reviews.map(reviewItem));
    $("reviews-count").textContent = String(view.reviews.length);
    $("reviews-empty").hidden = view.reviews.length > 0;
  }

  async function loadReviews() {
    try { view.reviews = (await api("GET", "/reviews")).reviews; } catch (e) { return; }
    renderReviews();
  }

  function reviewChanged(r) {
    view.reviews = view.reviews.filter((x) => x.id !== r.id);
    if (r.status === "open") view.reviews.push(r);
    renderReviews();
  }

  function reviewError(e) { KS.show("review-error", e.message); }

  async function openReview(id) {
    let data;
    try { data = await api("GET", "/reviews/" + id); } catch (e) { reviewError(e); return; }
    reviewSelected = id;
    const r = data.review;
    KS.showPanel("review");
    KS.show("review-error", "");
    $("review-id").textContent = "#" + r.id;
    $("review-meta").replaceChildren(
      el("span", "Điểm " + r.score.toFixed(2), "badge"),
      el("span", label("risk", r.risk), "badge risk-" + r.risk),
      el("span", label("category", r.category), "badge"),
      el("span", label("channel", r.channel), "badge"));
    $("review-reasons").replaceChildren(...r.reasons.map((x) => el("li", x)));
    const box = $("review-transcript");
    box.replaceChildren(...data.messages.map(KS.messageNode));
    box.scrollTop = box.scrollHeight;
  }

  $("review-take").addEventListener("click", async () => {
    try {
      const data = await api("POST", "/reviews/" + reviewSelected + "/take");
      loadReviews();
      KS.openCase(data.case_id);
    } catch (e) { reviewError(e); }
  });
  $("review-dismiss-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/reviews/" + reviewSelected + "/dismiss", { reason: $("review-reason").value });
      $("review-reason").value = "";
      KS.showPanel(null);
      loadReviews();
    } catch (e) { reviewError(e); }
  });

  // ---- tabs, filters, pages ------------------------------------------------------------
  function tab(which) {
    const queue = which === "queue";
    $("queue-pane").hidden = !queue;
    $("reviews-pane").hidden = queue;
    $("tab-queue").classList.toggle("active", queue);
    $("tab-reviews").classList.toggle("active", !queue);
    $("tab-queue").setAttribute("aria-selected", String(queue));
    $("tab-reviews").setAttribute("aria-selected", String(!queue));
  }
  $("tab-queue").addEventListener("click", () => tab("queue"));
  $("tab-reviews").addEventListener("click", () => tab("reviews"));
  for (const id of ["f-scope", "f-risk", "f-category", "f-channel"]) {
    $(id).addEventListener("change", () => load(1));
  }
  let searchTimer = null;
  $("f-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => load(1), 300);
  });
  $("queue-filter").addEventListener("submit", (ev) => { ev.preventDefault(); load(1); });
  $("page-prev").addEventListener("click", () => load(view.page - 1));
  $("page-next").addEventListener("click", () => load(view.page + 1));

  function setupFilters(channels) {
    KS.fillSelect("f-risk", ["imminent", "high", "concern"], "risk", "Mọi mức nguy cơ");
    KS.fillSelect("f-category", state.categories, "category", "Mọi phân loại");
    KS.fillSelect("f-channel", channels, "channel", "Mọi kênh");
  }

  Object.assign(KS, { loadQueue: load, upsert, gone, counts, loadReviews, reviewChanged,
    setupFilters, known, render });
})(window.KS);
