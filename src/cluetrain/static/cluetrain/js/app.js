// Cluetrain web shell: CSRF for htmx, keyboard shortcuts, small progressive enhancements.
// No dependencies; htmx is loaded before this file (both deferred, in order).
(function () {
  "use strict";

  var SEQUENCE_TIMEOUT_MS = 1500;
  var NON_TEXT_INPUTS = ["button", "checkbox", "color", "file", "hidden", "image", "radio", "range", "reset", "submit"];

  // app.css hides the no-JS fallbacks (and shows the JS-only controls) under html.js; a CSS
  // rule rather than a one-off DOM change also covers content that htmx swaps in later.
  document.documentElement.classList.add("js");

  // Django rejects unsafe requests without the token; htmx sends no form field for it
  // when the element is not inside a form, so it always goes in the header.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  function isTextField(element) {
    if (!(element instanceof Element)) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    // A focused select uses letter keys for type-ahead, so it counts as a text field here.
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") return NON_TEXT_INPUTS.indexOf((element.type || "text").toLowerCase()) === -1;
    return false;
  }

  function shortcutLink(letter) {
    var links = document.querySelectorAll("a[data-shortcut]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-shortcut").toLowerCase() === letter) return links[i];
    }
    return null;
  }

  function toggleDialog(dialog) {
    if (!dialog || typeof dialog.showModal !== "function") return;
    if (dialog.open) {
      dialog.close();
    } else {
      dialog.showModal();
    }
  }

  var waitingForSecondKey = false;
  var sequenceTimer = null;

  function resetSequence() {
    waitingForSecondKey = false;
    if (sequenceTimer) {
      clearTimeout(sequenceTimer);
      sequenceTimer = null;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTextField(event.target)) return;

    var key = event.key;
    if (key === "?") {
      resetSequence();
      event.preventDefault();
      toggleDialog(document.getElementById("keyboard-help"));
      return;
    }
    if (waitingForSecondKey) {
      resetSequence();
      var link = shortcutLink(key.toLowerCase());
      if (link) {
        event.preventDefault();
        // click() rather than location.assign so hx-boost and other link handlers still apply.
        link.click();
      }
      return;
    }
    if (key === "g") {
      waitingForSecondKey = true;
      sequenceTimer = setTimeout(resetSequence, SEQUENCE_TIMEOUT_MS);
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target instanceof Element && event.target.closest("[data-open-dialog]");
    if (opener) {
      toggleDialog(document.getElementById(opener.getAttribute("data-open-dialog")));
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      if (typeof select.form.requestSubmit === "function") {
        select.form.requestSubmit();
      } else {
        select.form.submit();
      }
    }
  });
})();
