// The reset page's helpers: show the passwords, and suggest a strong one.
// Loaded as a file (the page's CSP allows no inline script); the form works without it.
(function () {
  "use strict";
  var ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  var SYMBOLS = "-_.!?+*";

  function randomIndex(n) {
    // Rejection sampling: no modulo bias.
    var limit = Math.floor(4294967296 / n) * n;
    var buf = new Uint32Array(1);
    do {
      window.crypto.getRandomValues(buf);
    } while (buf[0] >= limit);
    return buf[0] % n;
  }

  function suggest(length) {
    var chars = [];
    for (var i = 0; i < length; i++) {
      chars.push(ALPHABET.charAt(randomIndex(ALPHABET.length)));
    }
    // One symbol somewhere but first: the provider's rule wants a letter or digit first.
    chars[1 + randomIndex(length - 1)] = SYMBOLS.charAt(randomIndex(SYMBOLS.length));
    return chars.join("");
  }

  function setVisible(fields, visible) {
    fields.forEach(function (field) {
      field.type = visible ? "text" : "password";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var password = document.getElementById("password");
    var confirm = document.getElementById("confirm");
    var show = document.getElementById("show-passwords");
    var button = document.getElementById("generate");
    var note = document.getElementById("generated-note");
    if (!password || !confirm) {
      return;
    }
    var fields = [password, confirm];
    if (show) {
      show.addEventListener("change", function () {
        setVisible(fields, show.checked);
      });
    }
    if (button && window.crypto && window.crypto.getRandomValues) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var min = parseInt(button.getAttribute("data-min-length") || "8", 10);
        var value = suggest(Math.max(16, min));
        password.value = value;
        confirm.value = value;
        setVisible(fields, true);
        if (show) {
          show.checked = true;
        }
        if (note) {
          note.hidden = false;
        }
        password.focus();
        password.select();
      });
    }
  });
})();
