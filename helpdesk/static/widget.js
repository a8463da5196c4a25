/*
 * Help desk chat widget. Embed with one tag on any page:
 *   <script src="https://helpdesk.example/widget.js" defer></script>
 * Optional: data-lang="fr" | "en" on that tag forces the language.
 *
 * Speaks the /chat/ws protocol of docs/contracts.md. Vanilla JavaScript, no build step.
 * Security: every node is built with createElement/textContent (server text is never
 * parsed as HTML), no inline style and no eval, so a host page's Content-Security-Policy
 * only needs to allow this origin for script-src, style-src and connect-src.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src || window.__helpdeskChatLoaded) {
    return;
  }
  window.__helpdeskChatLoaded = true;

  var ORIGIN = new URL(script.src, document.baseURI).origin;
  var WS_URL = ORIGIN.replace(/^http/, "ws") + "/chat/ws";
  var TOKEN_KEY = "helpdesk-chat:conversation";
  var LANG_KEY = "helpdesk-chat:lang";
  var OPEN_KEY = "helpdesk-chat:open";
  var BACKOFF_MAX_MS = 30000;
  var TYPING_TIMEOUT_MS = 60000;

  // Interface chrome only: what the bot says comes from the server, in its own language.
  var STRINGS = {
    fr: {
      launcher: "Aide",
      launcherUnread: "Aide, nouveaux messages",
      title: "Assistance",
      dialog: "Discussion avec l'assistance",
      ticket: "Dossier",
      log: "Messages de la discussion",
      label: "Votre message",
      placeholder: "Écrivez votre question…",
      send: "Envoyer",
      close: "Fermer la discussion",
      switchLang: "Switch to English",
      otherLang: "EN",
      connecting: "Connexion…",
      reconnecting: "Reconnexion…",
      offline: "Hors ligne : votre message partira dès la reconnexion.",
      pending: "Pas encore reçu par l'assistance",
      typing: "L'assistant écrit…",
      choices: "Réponses proposées",
      you: "Vous",
      bot: "Assistant",
      staff: "Conseiller",
      system: "Information",
      colon: " : ",
    },
    en: {
      launcher: "Help",
      launcherUnread: "Help, new messages",
      title: "Support",
      dialog: "Chat with support",
      ticket: "Ticket",
      log: "Chat messages",
      label: "Your message",
      placeholder: "Type your question…",
      send: "Send",
      close: "Close the chat",
      switchLang: "Passer en français",
      otherLang: "FR",
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      offline: "Offline: your message will be sent once reconnected.",
      pending: "Not yet received by support",
      typing: "The assistant is typing…",
      choices: "Suggested replies",
      you: "You",
      bot: "Assistant",
      staff: "Agent",
      system: "Notice",
      colon: ": ",
    },
  };

  function storageGet(key, store) {
    try {
      return (store || window.localStorage).getItem(key);
    } catch (e) {
      return null; // storage disabled (privacy mode, sandboxed frame): the chat still works
    }
  }

  function storageSet(key, value, store) {
    try {
      if (value === null) {
        (store || window.localStorage).removeItem(key);
      } else {
        (store || window.localStorage).setItem(key, value);
      }
    } catch (e) {
      /* see storageGet */
    }
  }

  function normaliseLang(value) {
    var primary = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
    return primary === "fr" || primary === "en" ? primary : null;
  }

  function initialLang() {
    return (
      normaliseLang(script.getAttribute("data-lang")) ||
      normaliseLang(storageGet(LANG_KEY)) ||
      normaliseLang(document.documentElement.getAttribute("lang")) ||
      normaliseLang(navigator.language) ||
      "fr"
    );
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function isSafeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url);
  }

  // ---- state ----------------------------------------------------------------------------

  var state = {
    lang: initialLang(),
    open: false,
    socket: null,
    ready: false, // welcome received on the current socket
    everConnected: false,
    attempt: 0,
    retryTimer: null,
    typingTimer: null,
    sentToken: null,
    shown: {}, // message ids already in the log
    // Messages sent (or to send) that the server has not acknowledged with its echo yet:
    // {frame, label, node, socket}, re-sent after a reconnect. Kept in memory only: the
    // server redacts passwords before storing, and the browser must not keep them either.
    pending: [],
    notice: null, // a refusal of the server to show instead of "reconnecting"
    messages: [], // conversation messages in display order (not notices)
    unread: 0,
    ticket: null,
  };

  // ---- DOM ------------------------------------------------------------------------------

  var host = el("div");
  host.id = "helpdesk-chat";
  var shadow = host.attachShadow({ mode: "open" });

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = ORIGIN + "/widget.css";
  shadow.appendChild(stylesheet);

  var root = el("div", "hd-root");
  root.hidden = true; // shown once the stylesheet is in, so nothing flashes unstyled
  root.setAttribute("lang", state.lang);
  shadow.appendChild(root);
  function reveal() {
    root.hidden = false;
  }
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  var launcher = el("button", "hd-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "hd-panel");
  var launcherIcon = el("span", "hd-launcher-icon");
  launcherIcon.setAttribute("aria-hidden", "true");
  var launcherText = el("span", "hd-launcher-text");
  var badge = el("span", "hd-badge");
  badge.setAttribute("aria-hidden", "true");
  badge.hidden = true;
  launcher.appendChild(launcherIcon);
  launcher.appendChild(launcherText);
  launcher.appendChild(badge);
  root.appendChild(launcher);

  var panel = el("div", "hd-panel");
  panel.id = "hd-panel";
  panel.setAttribute("role", "dialog");
  panel.hidden = true;
  root.appendChild(panel);

  var header = el("div", "hd-header");
  var heading = el("div", "hd-heading");
  var title = el("h2", "hd-title");
  var subtitle = el("p", "hd-ticket");
  subtitle.hidden = true;
  heading.appendChild(title);
  heading.appendChild(subtitle);
  var langButton = el("button", "hd-lang");
  langButton.type = "button";
  var closeButton = el("button", "hd-close");
  closeButton.type = "button";
  var closeGlyph = el("span", null, "×");
  closeGlyph.setAttribute("aria-hidden", "true");
  closeButton.appendChild(closeGlyph);
  header.appendChild(heading);
  header.appendChild(langButton);
  header.appendChild(closeButton);
  panel.appendChild(header);

  var status = el("p", "hd-status");
  status.setAttribute("role", "status");
  status.hidden = true;
  panel.appendChild(status);

  var log = el("div", "hd-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.tabIndex = 0; // scrollable region: reachable and scrollable from the keyboard
  panel.appendChild(log);

  var typing = el("p", "hd-typing");
  typing.setAttribute("role", "status");
  typing.hidden = true;
  var typingDots = el("span", "hd-dots");
  typingDots.setAttribute("aria-hidden", "true");
  typingDots.appendChild(el("span"));
  typingDots.appendChild(el("span"));
  typingDots.appendChild(el("span"));
  var typingText = el("span", "hd-typing-text");
  typing.appendChild(typingDots);
  typing.appendChild(typingText);
  panel.appendChild(typing);

  var choices = el("div", "hd-choices");
  choices.setAttribute("role", "group");
  choices.hidden = true;
  panel.appendChild(choices);

  var form = el("form", "hd-form");
  form.noValidate = true;
  var label = el("label", "hd-sr");
  label.htmlFor = "hd-input";
  var input = el("textarea", "hd-input");
  input.id = "hd-input";
  input.rows = 1;
  input.maxLength = 50000; // the server takes up to 50,000 characters: a whole pasted bounce
  input.setAttribute("autocomplete", "off");
  var sendButton = el("button", "hd-send");
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(form);

  function t(key) {
    return STRINGS[state.lang][key];
  }

  function applyStrings() {
    root.setAttribute("lang", state.lang);
    launcherText.textContent = t("launcher");
    launcher.setAttribute("aria-label", state.unread ? t("launcherUnread") : t("launcher"));
    panel.setAttribute("aria-label", t("dialog"));
    title.textContent = t("title");
    subtitle.textContent = state.ticket ? t("ticket") + " " + state.ticket : "";
    langButton.textContent = t("otherLang");
    langButton.setAttribute("aria-label", t("switchLang"));
    langButton.setAttribute("lang", state.lang === "fr" ? "en" : "fr");
    closeButton.setAttribute("aria-label", t("close"));
    log.setAttribute("aria-label", t("log"));
    choices.setAttribute("aria-label", t("choices"));
    label.textContent = t("label");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
    if (!typing.hidden && !typing.dataset.server) {
      typingText.textContent = t("typing");
    }
    renderStatus();
    var whos = log.querySelectorAll(".hd-who");
    for (var i = 0; i < whos.length; i++) {
      whos[i].textContent = t(whos[i].dataset.role) + t("colon");
    }
    var states = log.querySelectorAll(".hd-state");
    for (var j = 0; j < states.length; j++) {
      states[j].textContent = t("pending");
    }
  }

  // ---- log ------------------------------------------------------------------------------

  function roleOf(from) {
    return from === "customer" ? "you" : from === "staff" || from === "system" ? from : "bot";
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // Pending messages stay at the bottom of the log: what arrives goes above them.
  function place(node) {
    log.insertBefore(node, log.querySelector(".hd-pending"));
  }

  function renderMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    var id = message.id === undefined || message.id === null ? null : String(message.id);
    // The server's echo of a pending message (its client id comes back) acknowledges it.
    var entry = message.from === "customer" ? pendingOf(message.client_id) : null;
    if (id !== null) {
      if (state.shown[id]) {
        if (entry) {
          dropPending(entry);
        }
        return;
      }
      state.shown[id] = true;
    }
    var from = ["bot", "staff", "customer", "system"].indexOf(message.from) >= 0
      ? message.from
      : "bot";
    var item = el("div", "hd-msg hd-from-" + from);
    if (id !== null) {
      item.dataset.id = id;
    }
    item.dataset.from = from;
    // Who said it, for screen readers; the bubbles' side and colour say it visually.
    var who = el("span", "hd-sr hd-who", t(roleOf(from)) + t("colon"));
    who.dataset.role = roleOf(from);
    item.appendChild(who);
    item.appendChild(el("p", "hd-text", typeof message.text === "string" ? message.text : ""));
    var links = Array.isArray(message.links) ? message.links.filter(function (link) {
      return link && isSafeUrl(link.url);
    }) : [];
    if (links.length) {
      var list = el("ul", "hd-links");
      links.forEach(function (link) {
        var a = el("a", null, link.label || link.url);
        a.href = link.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        var li = el("li");
        li.appendChild(a);
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    if (entry) {
      log.insertBefore(item, entry.node); // where the customer saw it waiting
      dropPending(entry);
    } else {
      place(item);
    }
    state.messages.push({ from: from, choices: Array.isArray(message.choices) ? message.choices : [] });
    if (from === "bot" || from === "staff") {
      hideTyping();
      if (!state.open) {
        state.unread += 1;
        renderBadge();
      }
    }
    scrollToEnd();
  }

  function renderNotice(text) {
    var item = el("div", "hd-msg hd-notice");
    item.appendChild(el("span", "hd-sr hd-who", t("system") + t("colon"))).dataset.role = "system";
    item.appendChild(el("p", "hd-text", text));
    place(item);
    scrollToEnd();
  }

  function clearLog() {
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    state.pending.forEach(function (entry) {
      log.appendChild(entry.node); // not sent yet: they go to the new conversation
    });
    state.shown = {};
    state.messages = [];
  }

  // ---- pending messages -----------------------------------------------------------------

  function newClientId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    var id = "w";
    for (var j = 0; j < bytes.length; j++) {
      id += ("0" + bytes[j].toString(16)).slice(-2);
    }
    return id;
  }

  function pendingOf(clientId) {
    if (typeof clientId !== "string") {
      return null;
    }
    for (var i = 0; i < state.pending.length; i++) {
      if (state.pending[i].frame.client_id === clientId) {
        return state.pending[i];
      }
    }
    return null;
  }

  function addPending(frame, label) {
    var node = el("div", "hd-msg hd-from-customer hd-pending");
    // Read out once, as the server's echo; offline, the status line says it will wait.
    node.setAttribute("aria-hidden", "true");
    node.dataset.from = "customer";
    node.dataset.clientId = frame.client_id;
    var who = el("span", "hd-sr hd-who", t("you") + t("colon"));
    who.dataset.role = "you";
    node.appendChild(who);
    node.appendChild(el("p", "hd-text", label));
    node.appendChild(el("span", "hd-state", t("pending")));
    log.appendChild(node);
    state.pending.push({ frame: frame, label: label, node: node, socket: null });
    renderStatus();
    scrollToEnd();
  }

  function dropPending(entry) {
    var index = state.pending.indexOf(entry);
    if (index >= 0) {
      state.pending.splice(index, 1);
    }
    if (entry.node.parentNode) {
      entry.node.parentNode.removeChild(entry.node);
    }
    renderStatus();
  }

  // Each pending message goes once on each socket: again after a reconnect, since the old
  // socket may have died before the server stored it. The client id makes that harmless.
  function flushPending() {
    if (!state.ready || !state.socket || state.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    state.pending.forEach(function (entry) {
      if (entry.socket !== state.socket) {
        entry.socket = state.socket;
        state.socket.send(JSON.stringify(entry.frame));
      }
    });
  }

  // The server refused a pending message: give it back, unless it only has to wait.
  function refused(entry, code) {
    if (code === "rate_limited") {
      entry.socket = null;
      setTimeout(flushPending, 3000);
      return;
    }
    dropPending(entry);
    if (entry.frame.type === "message" && !input.value) {
      input.value = entry.frame.text;
    }
  }

  // Quick replies belong to the last bot or staff message, and only while the customer
  // has not answered it yet.
  function renderChoices() {
    while (choices.firstChild) {
      choices.removeChild(choices.firstChild);
    }
    var offered = [];
    for (var i = state.messages.length - 1; i >= 0; i--) {
      var m = state.messages[i];
      if (m.from === "system") {
        continue;
      }
      if (m.from === "bot" || m.from === "staff") {
        offered = m.choices;
      }
      break;
    }
    offered.forEach(function (choice) {
      if (!choice || choice.value === undefined || choice.value === null) {
        return;
      }
      var button = el("button", "hd-choice", choice.label || choice.value);
      button.type = "button";
      button.dataset.value = String(choice.value);
      button.addEventListener("click", function () {
        if (!state.ready) {
          return; // quick replies answer the message on screen: only while connected
        }
        var frame = { type: "choice", value: String(choice.value), client_id: newClientId() };
        addPending(frame, String(choice.label || choice.value));
        flushPending();
        choices.hidden = true;
        input.focus();
      });
      choices.appendChild(button);
    });
    choices.hidden = !choices.firstChild;
  }

  function showTyping(text) {
    if (typeof text === "string" && text) {
      typingText.textContent = text;
      typing.dataset.server = "1";
    } else {
      typingText.textContent = t("typing");
      delete typing.dataset.server;
    }
    typing.hidden = false;
    clearTimeout(state.typingTimer);
    // A lost answer must not leave the indicator spinning forever.
    state.typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    typing.hidden = true;
    delete typing.dataset.server;
  }

  function renderBadge() {
    badge.hidden = state.unread === 0;
    badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    launcher.setAttribute("aria-label", state.unread ? t("launcherUnread") : t("launcher"));
  }

  function renderStatus() {
    var text = "";
    if (!state.ready && (state.socket || state.retryTimer)) {
      text = state.notice || (
        state.pending.length ? t("offline") : state.everConnected ? t("reconnecting") : t("connecting")
      );
    }
    status.textContent = text;
    status.hidden = !text;
    var buttons = choices.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = !state.ready;
    }
  }

  // ---- connection -----------------------------------------------------------------------

  function send(frame) {
    if (!state.ready || !state.socket || state.socket.readyState !== WebSocket.OPEN) {
      return false;
    }
    state.socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    if (state.socket) {
      return;
    }
    var socket;
    try {
      socket = new WebSocket(WS_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    state.ready = false;
    renderStatus();
    socket.addEventListener("open", function () {
      state.sentToken = storageGet(TOKEN_KEY);
      socket.send(JSON.stringify({ type: "hello", conversation: state.sentToken, lang: state.lang }));
    });
    socket.addEventListener("message", function (event) {
      if (socket !== state.socket) {
        return;
      }
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame && typeof frame === "object") {
        handleFrame(frame);
      }
    });
    socket.addEventListener("close", function () {
      if (socket !== state.socket) {
        return;
      }
      state.socket = null;
      state.ready = false;
      hideTyping();
      scheduleReconnect();
    });
    // "error" is always followed by "close", which does the reconnecting.
  }

  function scheduleReconnect() {
    if (state.retryTimer) {
      return;
    }
    // 1 s, 2 s, 4 s… up to 30 s, each ±25 % so that a restarted server is not hit by every
    // widget at the same instant.
    var base = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, state.attempt));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    state.attempt += 1;
    state.retryTimer = setTimeout(connect, delay);
    renderStatus();
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case "welcome":
        if (typeof frame.conversation === "string" && frame.conversation) {
          if (state.sentToken && frame.conversation !== state.sentToken) {
            clearLog(); // the old conversation could not be resumed: a new one starts
          }
          storageSet(TOKEN_KEY, frame.conversation);
        }
        state.ticket = typeof frame.ticket === "string" && frame.ticket ? frame.ticket : null;
        subtitle.textContent = state.ticket ? t("ticket") + " " + state.ticket : "";
        subtitle.hidden = !state.ticket;
        (Array.isArray(frame.history) ? frame.history : []).forEach(renderMessage);
        state.ready = true;
        state.everConnected = true;
        state.attempt = 0;
        state.notice = null;
        root.dataset.connected = "true";
        renderChoices();
        renderStatus();
        flushPending();
        break;
      case "message":
        renderMessage(frame);
        renderChoices();
        renderStatus();
        break;
      case "typing":
        if (frame.from !== "customer") {
          showTyping(frame.text);
        }
        break;
      case "error":
        hideTyping();
        var text = typeof frame.message === "string" && frame.message ? frame.message : String(frame.code || "error");
        if (frame.code === "too_many_conversations" || frame.code === "too_many_connections") {
          // Not now: say so in the status line and try again later, backing off.
          state.notice = text;
          renderStatus();
          if (state.socket && frame.code === "too_many_conversations") {
            state.socket.close();
          }
          break;
        }
        var entry = pendingOf(frame.client_id);
        if (entry) {
          refused(entry, frame.code);
        }
        renderNotice(text);
        break;
      default:
        break; // unknown frames are future extensions: ignore them
    }
  }

  // ---- interaction ----------------------------------------------------------------------

  function openPanel() {
    state.open = true;
    panel.hidden = false;
    root.dataset.open = "true";
    launcher.setAttribute("aria-expanded", "true");
    storageSet(OPEN_KEY, "1", window.sessionStorage);
    state.unread = 0;
    renderBadge();
    connect();
    scrollToEnd();
    input.focus();
  }

  function closePanel() {
    state.open = false;
    panel.hidden = true;
    delete root.dataset.open;
    launcher.setAttribute("aria-expanded", "false");
    storageSet(OPEN_KEY, null, window.sessionStorage);
    launcher.focus();
  }

  function submit() {
    var text = input.value.trim();
    if (!text) {
      return;
    }
    // Shown as pending until the server's echo (what it stored, redacted where needed)
    // takes its place; offline, it waits for the reconnection.
    addPending({ type: "message", text: text, client_id: newClientId() }, text);
    input.value = "";
    choices.hidden = true;
    flushPending();
  }

  launcher.addEventListener("click", function () {
    if (state.open) {
      closePanel();
    } else {
      openPanel();
    }
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  langButton.addEventListener("click", function () {
    state.lang = state.lang === "fr" ? "en" : "fr";
    storageSet(LANG_KEY, state.lang);
    send({ type: "lang", lang: state.lang }); // a hint for the server's next answers
    applyStrings();
  });
  window.addEventListener("online", function () {
    if (!state.socket && state.retryTimer) {
      state.attempt = 0;
      connect();
    }
  });

  function mount() {
    document.body.appendChild(host);
    applyStrings();
    renderBadge();
    if (storageGet(OPEN_KEY, window.sessionStorage)) {
      openPanel();
    } else if (storageGet(TOKEN_KEY)) {
      connect(); // resume now, so that answers arriving while closed raise the badge
    }
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
