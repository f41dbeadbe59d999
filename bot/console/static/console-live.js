// The live stream (Server-Sent Events): only what changed, applied where it belongs. Starts the page.
"use strict";
(function (KS) {
  const { $, state, api } = KS;
  let source = null;
  let loading = null;  // frames that come while the page reloads wait for it

  async function reloadAll() {
    const work = [KS.loadQueue(), KS.loadReviews(), KS.loadFollowUps()];
    if (state.me.role !== "counsellor") work.push(KS.loadAlerts(), KS.loadHealth());
    if (state.me.role === "admin") work.push(KS.loadAccounts());
    if (state.selected) work.push(KS.reloadCase());
    await Promise.all(work);
  }

  function on(event, handle) {
    source.addEventListener(event, (ev) => {
      const data = JSON.parse(ev.data);
      if (loading) loading.then(() => handle(data));
      else handle(data);
    });
  }

  function connect() {
    if (source) source.close();
    let url = "/console/events";
    if (state.selected) url += "?case=" + encodeURIComponent(state.selected) + "&after=" + state.lastMessageId;
    source = new EventSource(url);
    source.addEventListener("hello", () => {  // subscribed: now read the state, miss nothing
      $("live").textContent = "● Trực tuyến";
      loading = reloadAll().finally(() => { loading = null; });
    });
    source.addEventListener("error", () => { $("live").textContent = "Mất kết nối, đang thử lại…"; });
    on("item", KS.upsert);
    on("item_gone", (d) => KS.gone(d.id));
    on("counts", KS.counts);
    on("review", KS.reviewChanged);
    on("alerts", KS.renderAlerts);
    on("health", KS.renderHealth);
    on("case", (c) => { if (c.id === state.selected) KS.renderCase(c); });
    on("messages", (d) => { if (d.case_id === state.selected) KS.addMessages(d.messages); });
    on("typing", (d) => { if (d.case_id === state.selected) KS.childTyping(); });
    on("whisper", (d) => { if (d.case_id === state.selected) KS.whispered(); });
    on("reset", () => { loading = reloadAll().finally(() => { loading = null; }); });
    on("case_gone", () => {
      KS.show("case-error", "Bạn không còn quyền xem ca này.");
      state.selected = null;
      KS.showPanel(null);
      connect();
    });
    source.addEventListener("logout", () => { window.location.assign("/console/login"); });
  }

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/logout"); } catch (e) { /* go to login anyway */ }
    window.location.assign("/console/login");
  });

  async function start() {
    const data = await api("GET", "/me");
    Object.assign(state, { me: data.user, labels: data.labels, csrf: data.user.csrf_token,
      categories: data.categories, services: data.services, steps: data.steps,
      referralStatuses: data.referral_statuses });
    $("me").textContent = state.me.display_name + " (" + KS.label("role", state.me.role) + ")";
    $("reports-link").hidden = state.me.role === "counsellor";
    KS.fillSelect("category", data.categories, "category");
    KS.fillSelect("service", data.services, "service");
    KS.setupFilters(Object.keys(data.labels.channel).filter((c) => c !== "zalo"));
    KS.setupAssessment();
    KS.showPrefs();
    KS.showPanel(null);
    state.canned = (await api("GET", "/canned")).canned;
    connect();
  }

  KS.connect = connect;
  start().catch(() => { /* redirected to the login page */ });
})(window.KS);
