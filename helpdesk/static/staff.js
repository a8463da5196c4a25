/* Staff console: the live chat of a ticket page. Everything received is shown as text
   (textContent), never as HTML. Without this script every action still works as a form. */
(function () {
  "use strict";

  var live = document.getElementById("live");
  var list = document.getElementById("transcript");
  if (!live || !list) {
    return;
  }
  var state = document.getElementById("live-state");
  var form = document.getElementById("live-form");
  var box = document.getElementById("live-text");
  var held = live.dataset.held === "true";
  var socket = null;
  var attempt = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) {
      node.className = cls;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function setState(key, extra) {
    state.textContent = live.dataset[key] + (extra ? " · " + extra : "");
    live.dataset.connected = key === "textConnected" ? "true" : "false";
  }

  // As the server writes times on the page: YYYY-MM-DD HH:MM.
  function formatNow() {
    var d = new Date();
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function authorLabel(from) {
    var key = "author" + from.charAt(0).toUpperCase() + from.slice(1);
    return live.dataset[key] || from;
  }

  function addMessage(frame) {
    var from = ["customer", "bot", "staff", "system"].indexOf(frame.from) >= 0 ? frame.from : "bot";
    var id = frame.id === undefined || frame.id === null ? "" : String(frame.id);
    if (id && list.querySelector('li[data-id="' + CSS.escape(id) + '"]')) {
      return;
    }
    var item = el("li", "msg from-" + from);
    item.dataset.from = from;
    if (id) {
      item.dataset.id = id;
    }
    var meta = el("div", "meta");
    meta.appendChild(el("span", "who", authorLabel(from)));
    var stamp = el("time", null, formatNow());
    meta.appendChild(stamp);
    item.appendChild(meta);
    item.appendChild(el("p", "text", typeof frame.text === "string" ? frame.text : ""));
    list.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    var url = new URL(live.dataset.liveUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url.toString());
    socket.addEventListener("open", function () {
      attempt = 0;
      setState("textConnected");
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (!frame || typeof frame !== "object") {
        return;
      }
      if (frame.type === "message") {
        addMessage(frame);
      } else if (frame.type === "handoff" && Boolean(frame.active) !== held) {
        window.location.reload(); // someone else took or gave back the chat
      } else if (frame.type === "error") {
        setState("textConnected", String(frame.code || "error"));
      }
    });
    socket.addEventListener("close", function () {
      socket = null;
      setState("textDisconnected");
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt));
      attempt += 1;
      window.setTimeout(connect, delay);
    });
  }

  if (form && box) {
    form.addEventListener("submit", function (event) {
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        return; // the plain form post still works
      }
      event.preventDefault();
      var text = box.value.trim();
      if (!text) {
        return;
      }
      socket.send(JSON.stringify({ type: "message", text: text }));
      box.value = "";
      box.focus();
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  connect();
})();
