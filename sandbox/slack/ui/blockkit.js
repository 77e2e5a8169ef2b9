/* Block Kit -> DOM. Every string reaches the page through textContent or an attribute set by the DOM
   API, never through innerHTML, so CRM-derived text (which may contain <script>) stays inert. */
"use strict";

(function () {
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function decode(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function safeHref(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : null;
  }

  // Slack's <...> constructs: mentions, channels, special mentions, dates and links.
  function special(inner, ctx) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : null;
    if (target.startsWith("@")) {
      const user = (ctx.users || []).find((u) => u.id === target.slice(1));
      return el("span", "mention", "@" + (label || (user ? user.name : target.slice(1))));
    }
    if (target.startsWith("#")) return el("span", "mention", "#" + (label || target.slice(1)));
    if (target.startsWith("!")) {
      if (target.startsWith("!date^")) return document.createTextNode(decode(label || ""));
      const name = target.slice(1).split("^")[0];
      return el("span", "mention loud", "@" + (label || name));
    }
    const href = safeHref(decode(target));
    if (!href) return document.createTextNode(decode(label || target));
    const link = el("a", null, decode(label || target));
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  const STYLES = [
    [/\*([^*\n]+)\*/, "strong"],
    [/_([^_\n]+)_/, "em"],
    [/~([^~\n]+)~/, "s"],
  ];

  function styled(text, parent) {
    let best = null;
    for (const [re, tag] of STYLES) {
      const m = re.exec(text);
      if (m && (!best || m.index < best.m.index)) best = { m, tag };
    }
    if (!best) {
      parent.appendChild(document.createTextNode(decode(text)));
      return;
    }
    parent.appendChild(document.createTextNode(decode(text.slice(0, best.m.index))));
    const node = el(best.tag);
    styled(best.m[1], node);
    parent.appendChild(node);
    styled(text.slice(best.m.index + best.m[0].length), parent);
  }

  // The emoji shortcodes the bot's messages use, shown as Slack shows them.
  const EMOJI = {
    bell: "🔔", bookmark_tabs: "📑", calendar: "📆", chart_with_downwards_trend: "📉", disappointed: "😞",
    door: "🚪", hourglass: "⌛", large_yellow_circle: "🟡", no_entry: "⛔", no_entry_sign: "🚫",
    red_circle: "🔴", rotating_light: "🚨", tada: "🎉", ticket: "🎫", warning: "⚠️",
    wastebasket: "🗑️", white_check_mark: "✅", zzz: "💤",
  };

  function emoji(text) {
    return String(text || "").replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
  }

  function mrkdwn(text, ctx) {
    const frag = document.createDocumentFragment();
    const parts = emoji(text).split(/(```[\s\S]*?```|`[^`\n]+`|<[^<>\n]+>)/);
    for (const part of parts) {
      if (!part) continue;
      if (part.startsWith("```") && part.length >= 6) frag.appendChild(el("pre", null, decode(part.slice(3, -3))));
      else if (part.startsWith("`") && part.length >= 2) frag.appendChild(el("code", null, decode(part.slice(1, -1))));
      else if (part.startsWith("<") && part.endsWith(">")) frag.appendChild(special(part.slice(1, -1), ctx));
      else styled(part, frag);
    }
    return frag;
  }

  function textObject(obj, ctx) {
    if (!obj) return document.createTextNode("");
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
    return document.createTextNode(obj.emoji === false ? obj.text || "" : emoji(obj.text));
  }

  function plain(obj) {
    return obj && obj.text ? emoji(obj.text) : "";
  }

  function options(element) {
    const out = [...(element.options || [])];
    for (const g of element.option_groups || []) out.push(...(g.options || []));
    return out;
  }

  function selectNode(element, ctx, placeholder) {
    const select = el("select");
    select.setAttribute("data-action-id", element.action_id || "");
    select.appendChild(el("option", null, placeholder));
    select.firstChild.value = "";
    const choices = element.type === "users_select"
      ? (ctx.users || []).filter((u) => !u.is_bot).map((u) => ({ value: u.id, text: { text: u.real_name + " (@" + u.name + ")" } }))
      : options(element);
    for (const opt of choices) {
      const o = el("option", null, plain(opt.text));
      o.value = opt.value;
      select.appendChild(o);
    }
    const initial = element.initial_option ? element.initial_option.value : element.initial_user;
    if (initial) select.value = initial;
    return select;
  }

  // An interactive element in a message, App Home or a modal's non-input block.
  function element(element, ctx) {
    const act = (extra) => ctx.onAction(element.action_id, extra);
    switch (element.type) {
      case "button": {
        const b = el("button", "bk-button" + (element.style ? " " + element.style : ""), plain(element.text));
        b.type = "button";
        b.setAttribute("data-action-id", element.action_id || "");
        b.addEventListener("click", () => act({ value: element.value }));
        return b;
      }
      case "static_select":
      case "users_select":
      case "overflow": {
        const label = element.type === "overflow" ? "⋯" : plain(element.placeholder) || "Select…";
        const s = selectNode(element, ctx, label);
        s.addEventListener("change", () => s.value && act({ selected: s.value }));
        return s;
      }
      case "datepicker": {
        const d = el("input");
        d.type = "date";
        d.setAttribute("data-action-id", element.action_id || "");
        if (element.initial_date) d.value = element.initial_date;
        d.addEventListener("change", () => d.value && act({ selected: d.value }));
        return d;
      }
      case "image":
        return el("span", "note", "[image: " + (element.alt_text || "") + "]");
      case "mrkdwn":
      case "plain_text": {
        const span = el("span");
        span.appendChild(textObject(element, ctx));
        return span;
      }
      default:
        return el("span", "bk-unsupported", "[unsupported element: " + element.type + "]");
    }
  }

  // A modal input's form control; `ctx.inputs` collects a getter per action_id for submission.
  function inputControl(block, ctx) {
    const e = block.element || {};
    let control;
    let read;
    if (e.type === "plain_text_input") {
      control = el(e.multiline ? "textarea" : "input");
      if (e.initial_value) control.value = e.initial_value;
      if (e.placeholder) control.placeholder = plain(e.placeholder);
      read = () => control.value;
    } else if (e.type === "number_input") {
      control = el("input");
      control.type = "number";
      read = () => control.value;
    } else if (e.type === "static_select" || e.type === "users_select") {
      control = selectNode(e, ctx, plain(e.placeholder) || "Select…");
      read = () => control.value || null;
    } else if (e.type === "datepicker") {
      control = el("input");
      control.type = "date";
      if (e.initial_date) control.value = e.initial_date;
      read = () => control.value || null;
    } else {
      return el("span", "bk-unsupported", "[unsupported input: " + e.type + "]");
    }
    control.name = e.action_id || "";
    control.setAttribute("data-action-id", e.action_id || "");
    ctx.inputs[e.action_id] = read;
    return control;
  }

  function richText(elements) {
    return elements.map((e) => (e.text || "") + (e.elements ? richText(e.elements) : "")).join("");
  }

  function block(b, ctx) {
    switch (b.type) {
      case "header":
        return el("div", "bk-header", plain(b.text));
      case "section": {
        const node = el("div", "bk-section");
        const main = el("div", "bk-text");
        if (b.text) main.appendChild(textObject(b.text, ctx));
        if (b.fields) {
          const grid = el("div", "bk-fields");
          for (const f of b.fields) {
            const cell = el("div");
            cell.appendChild(textObject(f, ctx));
            grid.appendChild(cell);
          }
          main.appendChild(grid);
        }
        node.appendChild(main);
        if (b.accessory) node.appendChild(element(b.accessory, ctx));
        return node;
      }
      case "context": {
        const node = el("div", "bk-context");
        for (const e of b.elements || []) node.appendChild(element(e, ctx));
        return node;
      }
      case "divider":
        return el("hr", "bk-divider");
      case "actions": {
        const node = el("div", "bk-actions");
        for (const e of b.elements || []) node.appendChild(element(e, ctx));
        return node;
      }
      case "input": {
        const node = el("div", "bk-input");
        const label = el("label", null, plain(b.label));
        if (b.optional) label.appendChild(el("span", "optional", " (optional)"));
        node.appendChild(label);
        node.appendChild(inputControl(b, ctx));
        if (b.hint) node.appendChild(el("div", "hint", plain(b.hint)));
        const error = (ctx.errors || {})[b.block_id];
        if (error) node.appendChild(el("div", "error", error));
        return node;
      }
      case "image":
        return el("div", "note", "[image: " + (b.alt_text || "") + "]");
      case "rich_text":
        return el("div", "bk-text", richText(b.elements || []));
      default:
        return el("div", "bk-unsupported", "[unsupported block: " + b.type + "]");
    }
  }

  function render(blocks, ctx) {
    const frag = document.createDocumentFragment();
    for (const b of blocks || []) frag.appendChild(block(b, ctx));
    return frag;
  }

  window.BlockKit = { render, mrkdwn, el };
})();
