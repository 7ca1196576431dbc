/*
 * Safeguarding guide chat widget. Embed with one tag:
 *   <script src="https://BOT/widget.js" data-bot-url="https://BOT" defer></script>
 * No framework, no CDN, no cookies. Every message is rendered with textContent, never as HTML.
 * The conversation lives in sessionStorage so it survives navigation within the site and is
 * gone when the tab closes; "Start again" and "Quick exit" clear it.
 */
(function () {
  "use strict";
  if (window.__sgbotLoaded) return;
  window.__sgbotLoaded = true;

  var script = document.currentScript || document.querySelector("script[data-bot-url]");
  var botUrl = ((script && script.getAttribute("data-bot-url")) || "").replace(/\/$/, "");
  if (!botUrl && script && script.src) botUrl = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var STORE_KEY = "sgbot:conversation";
  // Prefixed by the server from contacts.yml; 999 alone if even that is missing.
  var FALLBACK_SAFETY = window.__sgbotSafety || [{ name: "Emergency", number: "999", tel: "999" }];

  var config = null;
  var state = load() || { sessionId: null, items: [], open: false };
  var pending = false;
  var els = {};

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null"); }
    catch (e) { return null; }
  }
  function save() {
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  function clearStore() {
    try { window.sessionStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safetyContacts() {
    return (config && config.safety_contacts && config.safety_contacts.length)
      ? config.safety_contacts : FALLBACK_SAFETY;
  }

  function build() {
    var link = el("link", { rel: "stylesheet", href: botUrl + "/widget-static/widget.css" });
    document.head.appendChild(link);
    var root = el("div", { className: "sgbot", id: "sgbot" });
    var launcher = el("button", { type: "button", className: "sgbot-launcher",
      "aria-expanded": "false", "aria-controls": "sgbot-panel" }, "Safeguarding guide");
    var panel = el("section", { className: "sgbot-panel", id: "sgbot-panel", role: "dialog",
      "aria-modal": "false", "aria-labelledby": "sgbot-title", hidden: "" });

    var header = el("div", { className: "sgbot-header" });
    var title = el("h2", { id: "sgbot-title", className: "sgbot-title" }, "Safeguarding guide");
    var tools = el("div", { className: "sgbot-tools" });
    var restart = el("button", { type: "button", className: "sgbot-tool" }, "Start again");
    var exit = el("button", { type: "button", className: "sgbot-exit" }, "Quick exit");
    var close = el("button", { type: "button", className: "sgbot-tool", "aria-label": "Close chat" }, "Close");
    tools.appendChild(restart); tools.appendChild(exit); tools.appendChild(close);
    header.appendChild(title); header.appendChild(tools);

    var banner = el("p", { className: "sgbot-danger" });
    var log = el("div", { className: "sgbot-log", role: "log", "aria-live": "polite",
      "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0" });
    var typing = el("p", { className: "sgbot-typing", hidden: "" }, "The guide is typing…");
    var form = el("form", { className: "sgbot-form" });
    var label = el("label", { "for": "sgbot-input", className: "sgbot-label" }, "Your question");
    var input = el("textarea", { id: "sgbot-input", rows: "2", maxlength: "2000",
      placeholder: "Type your question (no names or addresses, please)" });
    var send = el("button", { type: "submit", className: "sgbot-send" }, "Send");
    form.appendChild(label); form.appendChild(input); form.appendChild(send);

    panel.appendChild(header); panel.appendChild(banner); panel.appendChild(log);
    panel.appendChild(typing); panel.appendChild(form);
    root.appendChild(panel); root.appendChild(launcher);
    document.body.appendChild(root);
    els = { root: root, launcher: launcher, panel: panel, log: log, input: input, form: form,
      typing: typing, banner: banner, title: title, send: send };

    launcher.addEventListener("click", function () { setOpen(!state.open); });
    close.addEventListener("click", function () { setOpen(false); });
    restart.addEventListener("click", startAgain);
    exit.addEventListener("click", quickExit);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); setOpen(false); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text || pending) return;
      input.value = "";
      ask(text, text);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
    });
    renderBanner();
  }

  function renderBanner() {
    var b = els.banner;
    b.textContent = "";
    b.appendChild(document.createTextNode("In immediate danger? Call "));
    b.appendChild(el("a", { href: "tel:999" }, "999"));
    safetyContacts().forEach(function (c) {
      if (c.number === "999") return;
      b.appendChild(document.createTextNode(" · " + c.name + " "));
      b.appendChild(el("a", { href: "tel:" + c.tel }, c.number));
    });
  }

  function applyConfig() {
    if (!config) return;
    var colours = config.colours || {};
    if (colours.primary) els.root.style.setProperty("--sgbot-primary", colours.primary);
    if (colours.primary_text) els.root.style.setProperty("--sgbot-primary-text", colours.primary_text);
    if (colours.accent) els.root.style.setProperty("--sgbot-accent", colours.accent);
    els.title.textContent = config.bot_name || "Safeguarding guide";
    els.launcher.textContent = config.bot_name || "Safeguarding guide";
    if (config.logo) {
      var logo = el("img", { src: config.logo, alt: "", className: "sgbot-logo" });
      els.title.insertBefore(logo, els.title.firstChild);
    }
    if (config.max_message_chars) els.input.setAttribute("maxlength", String(config.max_message_chars));
    renderBanner();
  }

  function setOpen(open) {
    state.open = open;
    save();
    els.panel.hidden = !open;
    els.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      if (!state.items.length) welcome();
      els.input.focus();
    } else {
      els.launcher.focus();
    }
  }

  function welcome() {
    var suggestions = (config && config.suggestions) || [];
    addItem({ from: "bot", text: (config && config.welcome) ||
      "Hello. Ask me about the partnership's briefings and procedures.",
      buttons: suggestions.map(function (s) { return { title: s, payload: s }; }),
      sources: [], contacts: [], welcome: true });
  }

  function addItem(item) {
    state.items.push(item);
    save();
    renderItem(item, state.items.length - 1);
  }

  function renderAll() {
    els.log.textContent = "";
    state.items.forEach(renderItem);
  }

  function renderItem(item, index) {
    var wrap = el("div", { className: "sgbot-msg sgbot-" + item.from });
    if (item.from === "user") {
      wrap.appendChild(el("span", { className: "sgbot-visually-hidden" }, "You said: "));
    }
    var body = el("div", { className: "sgbot-text" });
    String(item.text || "").split("\n").forEach(function (line, i) {
      if (i) body.appendChild(el("br"));
      body.appendChild(document.createTextNode(line));
    });
    wrap.appendChild(body);
    (item.contacts || []).forEach(function (c) {
      var card = el("div", { className: "sgbot-contact" });
      card.appendChild(el("strong", {}, c.name));
      var call = el("a", { href: "tel:" + (c.tel || ""), className: "sgbot-call" },
        "Call " + c.number + (c.option ? " (option " + c.option + ")" : ""));
      card.appendChild(call);
      if (c.hours) card.appendChild(el("span", { className: "sgbot-hours" }, c.hours));
      wrap.appendChild(card);
    });
    (item.sources || []).forEach(function (s) {
      var p = el("p", { className: "sgbot-source" }, "From: ");
      if (/^https?:\/\//.test(s.url || "")) {
        p.appendChild(el("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, s.title));
      } else {
        p.appendChild(document.createTextNode(s.title));
      }
      wrap.appendChild(p);
    });
    if (item.copy && navigator.clipboard) {
      var copy = el("button", { type: "button", className: "sgbot-copy" }, "Copy summary");
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(item.text).then(function () { copy.textContent = "Copied"; });
      });
      wrap.appendChild(copy);
    }
    if (item.buttons && item.buttons.length) {
      var group = el("div", { className: "sgbot-buttons", role: "group", "aria-label": "Options" });
      item.buttons.forEach(function (b, bi) {
        var btn = el("button", { type: "button", className: "sgbot-choice" }, b.title);
        if (item.chosen !== undefined && item.chosen !== null) {
          btn.disabled = true;
          if (item.chosen === bi) { btn.className += " sgbot-chosen"; btn.setAttribute("aria-pressed", "true"); }
        }
        btn.addEventListener("click", function () {
          if (pending || (item.chosen !== undefined && item.chosen !== null)) return;
          item.chosen = bi;
          save();
          Array.prototype.forEach.call(group.querySelectorAll("button"), function (x, xi) {
            x.disabled = true;
            if (xi === bi) { x.className += " sgbot-chosen"; x.setAttribute("aria-pressed", "true"); }
          });
          ask(b.payload, b.title);
        });
        group.appendChild(btn);
      });
      wrap.appendChild(group);
    }
    // Only answers that cite guidance are rated: a walkthrough's question or a greeting with
    // "Helpful / Not helpful" under it is noise on a phone.
    if (item.from === "bot" && !item.welcome && !item.error && (item.sources || []).length) {
      var fb = el("div", { className: "sgbot-feedback", role: "group", "aria-label": "Was this helpful?" });
      var up = el("button", { type: "button", className: "sgbot-thumb" }, "Helpful");
      var down = el("button", { type: "button", className: "sgbot-thumb" }, "Not helpful");
      if (item.rated) { up.disabled = down.disabled = true; (item.rated === "up" ? up : down).setAttribute("aria-pressed", "true"); }
      [["up", up], ["down", down]].forEach(function (pair) {
        pair[1].addEventListener("click", function () {
          if (item.rated) return;
          item.rated = pair[0];
          save();
          up.disabled = down.disabled = true;
          pair[1].setAttribute("aria-pressed", "true");
          rate(index, pair[0]);
        });
      });
      fb.appendChild(up); fb.appendChild(down);
      wrap.appendChild(fb);
    }
    if (item.retry) {
      var again = el("button", { type: "button", className: "sgbot-retry" }, "Try again");
      again.addEventListener("click", function () {
        if (pending) return;
        item.retry = null;
        again.disabled = true;
        save();
        send(item.retryPayload);
      });
      wrap.appendChild(again);
    }
    els.log.appendChild(wrap);
    els.log.scrollTop = els.log.scrollHeight;
  }

  function ask(payload, shown) {
    addItem({ from: "user", text: shown });
    send(payload);
  }

  function lastUserText() {
    for (var i = state.items.length - 1; i >= 0; i--) {
      if (state.items[i].from === "user") return state.items[i].text;
    }
    return "";
  }

  // A long reply is read from its top: when it does not fit the log (on a phone most answers
  // do not), show its start rather than its end.
  function revealReply(firstIndex) {
    var first = els.log.children[firstIndex];
    if (!first) return;
    var offset = first.getBoundingClientRect().top - els.log.getBoundingClientRect().top;
    if (els.log.scrollHeight - (els.log.scrollTop + offset) > els.log.clientHeight) {
      els.log.scrollTop += offset - 8;
    }
  }

  function setPending(on) {
    pending = on;
    els.typing.hidden = !on;
    els.send.disabled = on;
  }

  function send(payload) {
    setPending(true);
    fetch(botUrl + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ message: payload, session_id: state.sessionId, page: location.pathname })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { status: res.status, data: data };
      });
    }).then(function (r) {
      setPending(false);
      if (r.data.session_id) { state.sessionId = r.data.session_id; save(); }
      if (r.status === 400 && /Unknown conversation/.test(r.data.error || "")) {
        state.sessionId = null; save();
      }
      var messages = r.data.messages || [];
      var firstNew = els.log.children.length;
      messages.forEach(function (m) {
        addItem({ from: "bot", text: m.text, buttons: m.buttons || [], sources: m.sources || [],
          contacts: m.contacts || [], copy: !!m.copy, error: r.status >= 400,
          retry: r.status >= 500, retryPayload: payload });
      });
      refocusInput();
      revealReply(firstNew);
    }).catch(function () {
      setPending(false);
      var numbers = safetyContacts().map(function (c) { return c.name + ": " + c.number; }).join(". ");
      addItem({ from: "bot", error: true, retry: true, retryPayload: payload,
        text: "Sorry, I can't reach the guide right now. If anyone is in immediate danger, call 999. " + numbers + ".",
        buttons: [], sources: [], contacts: safetyContacts() });
      refocusInput();
    });
  }

  // Back to the input after a reply, for someone typing on a keyboard. Not on a touch screen:
  // there focusing the input raises the on-screen keyboard over the reply just revealed.
  function refocusInput() {
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (!touch) els.input.focus();
  }

  function rate(index, rating) {
    var item = state.items[index];
    var question = "";
    for (var i = index - 1; i >= 0; i--) { if (state.items[i].from === "user") { question = state.items[i].text; break; } }
    fetch(botUrl + "/api/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
      body: JSON.stringify({ session_id: state.sessionId, rating: rating, question: question,
        answer: item.text, page: location.pathname })
    }).catch(function () { /* feedback is best effort */ });
    if (rating === "down") {
      addItem({ from: "bot", welcome: true, text: "Thanks for telling me. It's logged so trainers can improve the answer. You could rephrase the question, or talk to a person.",
        buttons: [{ title: "Talk to a person", payload: "/talk_to_person" }], sources: [], contacts: [] });
    }
  }

  function startAgain() {
    var wasSession = state.sessionId;
    clearStore();
    state = { sessionId: null, items: [], open: true };
    save();
    renderAll();
    welcome();
    els.input.focus();
    if (wasSession) {
      fetch(botUrl + "/api/chat", { method: "POST", headers: { "Content-Type": "application/json" },
        credentials: "omit", body: JSON.stringify({ message: "/restart", session_id: wasSession }) })
        .catch(function () { /* the old conversation expires anyway */ });
    }
  }

  function quickExit() {
    clearStore();
    state = { sessionId: null, items: [], open: false };
    els.log.textContent = "";
    var target = (config && config.quick_exit_url) || "https://www.bbc.co.uk/weather";
    window.location.replace(target);
  }

  function init() {
    build();
    renderAll();
    if (state.open) { els.panel.hidden = false; els.launcher.setAttribute("aria-expanded", "true"); }
    fetch(botUrl + "/api/config", { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (c) { config = c; applyConfig(); })
      .catch(function () { renderBanner(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
