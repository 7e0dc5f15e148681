/* The "cite a fact" panel: "Cite" puts the fact's text into the text box at the cursor and
   records the citation. One listener on the document, so panels that htmx swaps in (the inbox
   conversation pane) work without setting anything up again. */
(function () {
  "use strict";
  if (window.cluetrainCite) { return; }
  window.cluetrainCite = true;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function insert(box, text) {
    var start = box.selectionStart == null ? box.value.length : box.selectionStart;
    var end = box.selectionEnd == null ? start : box.selectionEnd;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var lead = before && !/\s$/.test(before) ? " " : "";
    var trail = after && !/^\s/.test(after) ? " " : "";
    box.value = before + lead + text + trail + after;
    var caret = (before + lead + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    // The composer and the reply box check their text on input.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function record(panel, factId) {
    var body = new URLSearchParams();
    body.set("where", panel.getAttribute("data-cite-where") || "");
    body.set("conversation", panel.getAttribute("data-cite-conversation") || "");
    var url = (panel.getAttribute("data-cite-url") || "").replace(/\/0\/cite\/$/, "/" + factId + "/cite/");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-cite-fact]") : null;
    if (!button) { return; }
    var panel = button.closest("[data-cite-panel]");
    if (!panel) { return; }
    var box = document.getElementById(panel.getAttribute("data-cite-target") || "");
    if (!box) { return; }
    event.preventDefault();
    insert(box, button.getAttribute("data-cite-text") || "");
    var factId = button.getAttribute("data-cite-fact") || "";
    if (/^\d+$/.test(factId)) {
      record(panel, factId).then(function (response) {
        button.textContent = response.ok ? "Cited" : "Not recorded";
      }).catch(function () { button.textContent = "Not recorded"; });
    }
  });
})();
