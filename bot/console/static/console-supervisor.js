// Supervision (queue health, every high-risk chat), coalesced alerts, follow-up reminders, and
// how a new urgent case announces itself: title, sound (Web Audio), desktop notification.
"use strict";
(function (KS) {
  const { $, state, el, label, time, api } = KS;
  const baseTitle = document.title;
  let flashTimer = null;
  let newCount = 0;
  let knownAlerts = null;
  let audio = null;

  // ---- the title --------------------------------------------------------------------------
  function flashTitle(text) {
    if (flashTimer) clearInterval(flashTimer);
    let on = false;
    const tick = () => { on = !on; document.title = on ? "(" + newCount + ") " + text : baseTitle; };
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

  // ---- sound and notifications: both can be turned off (remembered by this browser) --------
  const prefs = {
    get sound() { return localStorage.getItem("kidsafe-console-sound") !== "off"; },
    set sound(on) { localStorage.setItem("kidsafe-console-sound", on ? "on" : "off"); },
    get notify() { return localStorage.getItem("kidsafe-console-notify") === "on"; },
    set notify(on) { localStorage.setItem("kidsafe-console-notify", on ? "on" : "off"); },
  };

  function showPrefs() {
    $("sound-toggle").textContent = "🔔 Âm báo: " + (prefs.sound ? "bật" : "tắt");
    $("sound-toggle").setAttribute("aria-pressed", String(prefs.sound));
    const allowed = "Notification" in window && Notification.permission === "granted";
    const on = prefs.notify && allowed;
    $("notify-toggle").textContent = "Thông báo: " + (on ? "bật" : "tắt");
    $("notify-toggle").setAttribute("aria-pressed", String(on));
  }

  function unlockAudio() {  // browsers let a page play sound after a click
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("click", unlockAudio, { once: true });

  function beep() {
    if (!prefs.sound || !audio) return;
    const start = audio.currentTime;
    for (const [offset, pitch] of [[0, 880], [0.22, 660], [0.44, 880]]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = pitch;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    }
  }

  function notify(c) {
    if (!prefs.notify || !("Notification" in window) || Notification.permission !== "granted") return;
    // no message text on a desktop notification: the screen may be seen by others
    const note = new Notification("Ca mới – nguy cơ " + label("risk", c.risk).toLowerCase(), {
      body: label("category", c.category) + " · " + label("channel", c.channel) + " · " + c.id,
      tag: c.id,
    });
    note.addEventListener("click", () => { window.focus(); KS.openCase(c.id); note.close(); });
  }

  $("sound-toggle").addEventListener("click", () => { prefs.sound = !prefs.sound; unlockAudio(); showPrefs(); });
  $("notify-toggle").addEventListener("click", async () => {
    if (!("Notification" in window)) return;
    if (!prefs.notify && Notification.permission !== "granted") {
      await Notification.requestPermission();
    }
    prefs.notify = !prefs.notify && Notification.permission === "granted";
    showPrefs();
  });

  // A case the page had not seen before appeared in the queue.
  function announce(c) {
    newCount += 1;
    flashTitle(c.risk === "concern" ? "Ca mới!" : "Ca mới nguy cơ cao!");
    if (c.new) { beep(); notify(c); }
  }

  // ---- alerts -------------------------------------------------------------------------------
  function renderAlerts(data) {
    $("alerts-box").hidden = data.alerts.length === 0;
    const fresh = knownAlerts === null ? [] : data.alerts.filter((a) => !knownAlerts.has(a.id + ":" + a.count));
    knownAlerts = new Set(data.alerts.map((a) => a.id + ":" + a.count));
    if (fresh.length) { newCount += fresh.length; flashTitle("Cảnh báo!"); }
    $("alerts").replaceChildren(...data.alerts.map((a) => {
      const li = el("li");
      li.dataset.testid = "alert";
      const about = a.case_id ? "ca " + a.case_id : (a.subject ? "kênh " + label("channel", a.subject) : "");
      const times = a.count > 1 ? " ×" + a.count : "";
      li.appendChild(el("span", label("alert", a.kind) + (about ? " — " + about : "") + times +
        " (" + time(a.updated_at) + ") "));
      if (a.case_id) {
        const open = el("button", "Mở");
        open.type = "button";
        open.addEventListener("click", () => KS.openCase(a.case_id));
        li.appendChild(open);
      }
      const ack = el("button", "Đã xem");
      ack.type = "button";
      ack.addEventListener("click", async () => {
        try { await api("POST", "/alerts/" + a.id + "/ack"); await loadAlerts(); } catch (e) { /* next frame */ }
      });
      li.appendChild(ack);
      return li;
    }));
  }
  async function loadAlerts() {
    try { renderAlerts(await api("GET", "/alerts")); } catch (e) { /* not a supervisor */ }
  }

  // ---- queue health ------------------------------------------------------------------------
  function renderHealth(h) {
    $("h-waiting").textContent = String(h.waiting);
    $("h-long").textContent = String(h.waiting_long);
    $("h-high").textContent = String(h.high_waiting);
    $("h-timeouts").textContent = String(h.timeouts_today);
    $("health-time").textContent = "cập nhật " + time(h.now);
    $("h-online").replaceChildren(...h.online.map((p) => {
      const tr = el("tr");
      for (const text of [p.name, label("role", p.role), p.load + " ca"]) tr.appendChild(el("td", text));
      return tr;
    }));
    if (!h.online.length) $("h-online").replaceChildren(el("tr", "Không có ai đang trực."));
    $("h-highrisk").replaceChildren(...h.high_risk.map((c) => {
      const li = KS.caseItem(c, KS.openCase);
      li.dataset.testid = "highrisk-item";
      return li;
    }));
  }
  async function loadHealth() {
    try { renderHealth(await api("GET", "/supervisor/health")); } catch (e) { /* not a supervisor */ }
  }

  // ---- accounts (admins) --------------------------------------------------------------------
  async function loadAccounts() {
    let data;
    try { data = await api("GET", "/accounts"); } catch (e) { return; }
    $("accounts").replaceChildren(...data.accounts.map((a) => {
      const tr = el("tr");
      tr.dataset.testid = "account";
      for (const text of [a.username, a.display_name, label("role", a.role),
        a.active ? "Đang hoạt động" : "Đã khóa", a.last_login_at ? time(a.last_login_at) : "Chưa đăng nhập"]) {
        tr.appendChild(el("td", text));
      }
      return tr;
    }));
  }

  // ---- follow-up reminders -----------------------------------------------------------------
  async function loadFollowUps() {
    let data;
    try { data = await api("GET", "/follow-ups"); } catch (e) { return; }
    $("followups-box").hidden = data.follow_ups.length === 0;
    $("followups").replaceChildren(...data.follow_ups.map((f) => {
      const li = el("li", (f.due ? "Đến hạn: " : "") + time(f.due_at) + " · ca " + f.case_id +
        (f.note ? " — " + f.note : ""), f.due ? "due" : "");
      li.dataset.testid = "followup-reminder";
      li.addEventListener("click", () => KS.openCase(f.case_id));
      return li;
    }));
  }
  setInterval(loadFollowUps, 60000);

  Object.assign(KS, { announce, renderAlerts, loadAlerts, renderHealth, loadHealth,
    loadFollowUps, loadAccounts, showPrefs, stopFlash });
})(window.KS);
