/* The Slack-like page: polls /_sandbox/ui/state, renders channels, messages, the App Home and modals with
   BlockKit.render, and acts as the chosen user through /_sandbox/act/* (real signed deliveries). */
"use strict";

(function () {
  const { el, render, mrkdwn } = window.BlockKit;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  const ui = {
    user: localStorage.getItem("retainer.user") || "UMANAGER",
    channel: localStorage.getItem("retainer.channel") || "",
    tab: "channel",
    version: -1,
    state: null,
    modalKey: "",
    crmOpen: false,
    logOpen: false,
  };

  function toast(text, bad) {
    const t = el("div", "toast" + (bad ? " bad" : ""), text);
    $("toasts").appendChild(t);
    setTimeout(() => t.remove(), 4000);
  }

  async function api(path, body) {
    const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const res = await fetch("/_sandbox/" + path, opts);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  async function act(kind, body) {
    try {
      const d = await api("act/" + kind, { user: ui.user, ...body });
      if (d.status !== undefined && d.status !== 200) toast("The bot answered " + (d.status || d.error), true);
      await refresh(true);
      return d;
    } catch (err) {
      toast(err.message, true);
      return null;
    }
  }

  function userName(id) {
    const u = (ui.state.users || []).find((x) => x.id === id);
    return u ? u.name : id;
  }

  function blockCtx(extra) {
    return { users: ui.state.users, inputs: {}, errors: {}, ...extra };
  }

  function renderSwitcher() {
    const sel = $("user-switcher");
    if (sel.options.length) return;
    for (const u of ui.state.users.filter((x) => !x.is_bot)) {
      const o = el("option", null, u.real_name + " (@" + u.name + ")");
      o.value = u.id;
      sel.appendChild(o);
    }
    sel.value = ui.user;
  }

  function renderChannels() {
    const list = $("channel-list");
    list.replaceChildren();
    for (const c of ui.state.channels) {
      const b = el("button", c.id === ui.channel && ui.tab === "channel" ? "active" : "", (c.is_im ? "@ " : "# ") + c.name);
      b.setAttribute("data-channel", c.name);
      b.addEventListener("click", () => { ui.tab = "channel"; ui.channel = c.id; localStorage.setItem("retainer.channel", c.id); refresh(true); });
      list.appendChild(el("li")).appendChild(b);
    }
    $("nav-home").classList.toggle("active", ui.tab === "home");
  }

  function messageNode(m) {
    const isBot = !!m.bot_id;
    const node = el("div", "message" + (m.ephemeral_for ? " ephemeral" : "") + (m.thread_ts && m.thread_ts !== m.ts ? " reply" : ""));
    node.setAttribute("data-ts", m.ts);
    const name = isBot ? "retainer" : userName(m.user);
    node.appendChild(el("div", "avatar" + (isBot ? " bot" : ""), name.slice(0, 1).toUpperCase()));
    const body = el("div", "body");
    const meta = el("div", "meta");
    meta.appendChild(el("span", "name", name));
    if (isBot) meta.appendChild(el("span", "badge", "APP"));
    meta.appendChild(el("span", null, new Date(parseFloat(m.ts) * 1000).toLocaleString()));
    if (m.edited) meta.appendChild(el("span", "note", " (edited)"));
    body.appendChild(meta);
    if (m.ephemeral_for) body.appendChild(el("div", "note", "Only visible to you"));
    const onAction = (actionId, extra) => act("click", { channel: ui.channel, ts: m.ts, action_id: actionId, ...extra });
    if (m.blocks && m.blocks.length) body.appendChild(render(m.blocks, blockCtx({ onAction })));
    else body.appendChild(mrkdwn(m.text, { users: ui.state.users }));
    for (const f of m.files || []) {
      const a = el("a", null, "File: " + f.title);
      a.href = "/files/" + encodeURIComponent(f.id);
      body.appendChild(el("div")).appendChild(a);
    }
    node.appendChild(body);
    return node;
  }

  function renderMessages() {
    const box = $("messages");
    const channel = ui.state.channels.find((c) => c.id === ui.state.channel);
    $("channel-header").textContent = ui.tab === "home" ? "App Home · retainer" : channel ? "# " + channel.name : "";
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.replaceChildren();
    const roots = ui.state.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    for (const m of roots) {
      box.appendChild(messageNode(m));
      for (const r of ui.state.messages.filter((x) => x.thread_ts === m.ts && x.ts !== m.ts)) box.appendChild(messageNode(r));
    }
    if (!roots.length) box.appendChild(el("div", "note", "No messages yet."));
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function renderHome() {
    const box = $("home");
    box.replaceChildren();
    const view = ui.state.home;
    if (!view) { box.appendChild(el("div", "note", "The bot has not published an App Home for you yet.")); return; }
    const onAction = (actionId, extra) => act("click", { view_id: view.id, action_id: actionId, ...extra });
    box.appendChild(render(view.blocks, blockCtx({ onAction })));
  }

  function renderModal() {
    const view = ui.state.modal;
    const key = view ? view.id + ":" + view.hash + ":" + JSON.stringify(ui.state.modal_errors) : "";
    if (key === ui.modalKey) return;
    ui.modalKey = key;
    $("modal-overlay").hidden = !view;
    const form = $("modal");
    form.replaceChildren();
    if (!view) return;
    const ctx = blockCtx({ errors: ui.state.modal_errors || {}, onAction: (actionId, extra) => act("click", { view_id: view.id, action_id: actionId, ...extra }) });
    form.appendChild(el("div", "modal-title", (view.title || {}).text || ""));
    const body = el("div", "modal-body");
    body.appendChild(render(view.blocks, ctx));
    form.appendChild(body);
    const footer = el("div", "modal-footer");
    const close = el("button", "bk-button", (view.close || {}).text || "Cancel");
    close.type = "button";
    close.addEventListener("click", () => act("close", { view_id: view.id }));
    footer.appendChild(close);
    if (view.submit) {
      const submit = el("button", "bk-button primary", view.submit.text);
      submit.type = "submit";
      footer.appendChild(submit);
    }
    form.appendChild(footer);
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const values = {};
      for (const [actionId, read] of Object.entries(ctx.inputs)) { const v = read(); if (v !== null && v !== "") values[actionId] = v; }
      act("submit", { view_id: view.id, values });
    };
  }

  function cell(value) {
    return el("td", null, typeof value === "object" && value !== null ? JSON.stringify(value) : value);
  }

  async function renderCrm() {
    if (!ui.crmOpen) return;
    const data = await api("ui/crm").catch(() => ({}));
    const box = $("crm-body");
    box.replaceChildren();
    for (const [crm, records] of Object.entries(data)) {
      box.appendChild(el("h3", null, crm + " (" + records.length + ")"));
      if (!records.length) { box.appendChild(el("div", "note", "Nothing written yet.")); continue; }
      const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
      const table = el("table");
      const head = el("tr");
      for (const k of keys) head.appendChild(el("th", null, k));
      table.appendChild(head);
      for (const r of records) {
        const row = el("tr");
        for (const k of keys) row.appendChild(cell(r[k] === undefined ? "" : r[k]));
        table.appendChild(row);
      }
      box.appendChild(table);
    }
  }

  async function renderLog() {
    if (!ui.logOpen) return;
    const deliveries = await api("deliveries").catch(() => []);
    const list = $("log-body");
    list.replaceChildren();
    for (const d of deliveries.slice(-30).reverse()) {
      const item = el("li", d.status === 200 ? "status-ok" : "status-bad",
        d.kind + " by " + userName(d.user) + " → " + (d.status || d.error) + " in " + d.latency_ms + " ms");
      list.appendChild(item);
    }
  }

  async function refresh(force) {
    const query = "ui/state?user=" + encodeURIComponent(ui.user) + "&channel=" + encodeURIComponent(ui.channel);
    const state = await api(query).catch((err) => {
      if (/no user/.test(err.message)) ui.user = "UMANAGER";  // a remembered user from another workspace
      return null;
    });
    if (!state) return;
    $("clock").textContent = new Date(state.now).toLocaleString();
    $("toggle-crm").hidden = !state.panels.crm;
    if (!force && state.version === ui.version) { renderCrm(); renderLog(); return; }
    ui.version = state.version;
    ui.state = state;
    ui.channel = state.channel;
    renderSwitcher();
    renderChannels();
    $("messages").hidden = ui.tab !== "channel";
    $("home").hidden = ui.tab !== "home";
    if (ui.tab === "home") renderHome(); else renderMessages();
    renderModal();
    renderCrm();
    renderLog();
  }

  $("user-switcher").addEventListener("change", (ev) => {
    ui.user = ev.target.value;
    localStorage.setItem("retainer.user", ui.user);
    ui.channel = "";
    ui.modalKey = "";
    if (ui.tab === "home") act("home", {});
    refresh(true);
  });
  $("nav-home").addEventListener("click", () => { ui.tab = "home"; act("home", {}); });
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const line = $("slash-input").value.trim();
    const m = /^(\/\S+)\s*([\s\S]*)$/.exec(line);
    if (!m) { toast("Type a slash command, e.g. /portfolio", true); return; }
    $("slash-input").value = "";
    act("slash", { command: m[1], text: m[2], channel: ui.channel });
  });
  $("time-travel").addEventListener("click", async () => {
    try {
      const r = await api("ui/time_travel", {});
      toast("Sandbox clock is now " + new Date(r.now).toLocaleString());
      refresh(true);
    } catch (err) { toast(err.message, true); }
  });
  $("toggle-crm").addEventListener("click", () => { ui.crmOpen = !ui.crmOpen; $("crm-panel").hidden = !ui.crmOpen; $("toggle-crm").classList.toggle("active", ui.crmOpen); renderCrm(); });
  $("toggle-log").addEventListener("click", () => { ui.logOpen = !ui.logOpen; $("log-panel").hidden = !ui.logOpen; $("toggle-log").classList.toggle("active", ui.logOpen); renderLog(); });
  const link = /^#\/archives\/(\w+)\//.exec(location.hash);
  if (link) ui.channel = link[1];
  refresh(true);
  setInterval(() => refresh(false), POLL_MS);
})();
