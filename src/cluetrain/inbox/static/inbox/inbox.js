// The inbox page: keys to move and act, selection for bulk actions, the assignee picker,
// @mention suggestions, saved replies and the heartbeat. htmx does the requests; this file only
// decides which one. Text from people is only ever put in the page with textContent.
(function () {
  "use strict";

  var NON_TEXT_INPUTS = ["button", "checkbox", "color", "file", "hidden", "image", "radio", "range", "reset", "submit"];
  var HEARTBEAT_MS = 60000;

  function isTextField(element) {
    if (!(element instanceof Element)) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") return NON_TEXT_INPUTS.indexOf((element.type || "text").toLowerCase()) === -1;
    return false;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#inbox-rows .inbox-row"));
  }

  function selectedRow() {
    return document.querySelector("#inbox-rows .inbox-row[aria-selected='true']");
  }

  function select(row) {
    rows().forEach(function (r) { r.setAttribute("aria-selected", "false"); r.classList.remove("is-selected"); });
    if (!row) return;
    row.setAttribute("aria-selected", "true");
    row.classList.add("is-selected");
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selectedRow());
    if (index === -1) {
      var open = openId();
      index = open ? all.findIndex(function (r) { return r.dataset.id === open; }) : -1;
    }
    var next = index === -1 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
  }

  function openId() {
    var article = document.querySelector("#conversation-pane .conversation");
    return article ? article.dataset.id : null;
  }

  function openRow(row) {
    if (!row) return;
    var link = row.querySelector(".row-link");
    if (link) link.click();
  }

  // Actions apply to the open conversation; with none open, to the selected row (opened first).
  function withConversation(then) {
    var row = selectedRow();
    var current = openId();
    if (row && row.dataset.id !== current) {
      document.body.addEventListener("htmx:afterSettle", function once(event) {
        if (event.target && event.target.id === "conversation-pane") {
          document.body.removeEventListener("htmx:afterSettle", once);
          then();
        }
      });
      openRow(row);
      return;
    }
    if (current) then();
  }

  function click(selector) {
    var element = document.querySelector("#conversation-pane " + selector);
    if (element) element.click();
  }

  function focus(selector) {
    var element = document.querySelector(selector);
    if (element) { element.focus(); if (element.select && element.tagName === "INPUT") element.select(); }
    return element;
  }

  function toggleDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog || typeof dialog.showModal !== "function") return null;
    if (dialog.open) dialog.close(); else dialog.showModal();
    return dialog;
  }

  function toggleCheck(row) {
    if (!row) return;
    var box = row.querySelector(".row-check");
    if (box) { box.checked = !box.checked; countSelected(); }
  }

  function countSelected() {
    var count = document.querySelectorAll("#inbox-rows .row-check:checked").length;
    var label = document.getElementById("bulk-count");
    if (label) label.textContent = count + " selected";
    var bar = document.getElementById("bulk-form");
    if (bar) bar.classList.toggle("has-selection", count > 0);
  }

  var KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    o: function () { openRow(selectedRow()); },
    Enter: function () { openRow(selectedRow()); },
    a: function () { withConversation(function () { var d = toggleDialog("assign-dialog"); if (d) focus("#assign-filter"); }); },
    c: function () { withConversation(function () { click("[data-key='c']"); }); },
    e: function () { withConversation(function () { click("[data-key='e']"); }); },
    r: function () { withConversation(function () { focus("#reply-text"); }); },
    n: function () { withConversation(function () { focus("#note-body"); }); },
    "#": function () { withConversation(function () { focus("#conversation-pane [data-tag-input]"); }); },
    s: function () { withConversation(function () { focus("#conversation-pane [data-snooze]"); }); },
    x: function () { toggleCheck(selectedRow() || rows()[0]); },
    "/": function () { focus("#inbox-q"); },
    "?": function () { toggleDialog("inbox-help"); }
  };

  // Capture phase on window: runs before the shell's own "?" (which opens the general help).
  window.addEventListener("keydown", function (event) {
    if (!document.getElementById("inbox")) return;
    if (event.defaultPrevented || event.isComposing) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && isTextField(event.target)) { event.target.blur(); return; }
    if (isTextField(event.target)) return;
    var openDialog = document.querySelector("dialog[open]");
    if (openDialog && event.key !== "?") return;
    var action = KEYS[event.key];
    if (!action) return;
    // Enter on a focused link or button keeps its own meaning.
    if (event.key === "Enter" && event.target instanceof Element && event.target.closest("a, button")) return;
    event.preventDefault();
    event.stopPropagation();
    action();
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var row = target.closest("#inbox-rows .inbox-row");
    if (row) select(row);
    if (target.closest("[data-close-dialog]")) {
      var dialog = target.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.classList.contains("row-check")) countSelected();
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-saved-replies")) {
      var option = target.selectedOptions[0];
      var text = document.getElementById("reply-text");
      if (option && option.value && text) {
        text.value = option.getAttribute("data-text") || "";
        text.focus();
        text.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
    if (target instanceof HTMLSelectElement && target.id === "bulk-action") {
      var tag = document.getElementById("bulk-tag");
      var value = document.getElementById("bulk-value");
      var wantsTag = target.value === "tag" || target.value === "untag";
      if (tag) tag.hidden = !wantsTag;
      if (value) value.hidden = wantsTag || target.value === "resolve" || target.value === "claim";
    }
  });

  // The assignee picker: type to narrow the list; Enter gives it to the first one shown.
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-assign-filter")) {
      var words = target.value.trim().toLowerCase();
      var items = target.closest("form").querySelectorAll(".assign-options li[data-name]");
      items.forEach(function (item) {
        item.hidden = words !== "" && item.getAttribute("data-name").indexOf(words) === -1;
      });
    }
    if (target instanceof HTMLTextAreaElement && target.hasAttribute("data-mentions")) suggestMentions(target);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target instanceof HTMLInputElement && target.hasAttribute("data-assign-filter")) {
      event.preventDefault();
      var first = target.closest("form").querySelector(".assign-options li:not([hidden]) button[value]:not([value='me'])");
      if (first) first.click();
    }
  });

  function people() {
    var node = document.getElementById("inbox-people");
    if (!node) return [];
    try { return JSON.parse(node.textContent || "[]"); } catch (error) { return []; }
  }

  function suggestMentions(textarea) {
    var list = textarea.parentElement.querySelector(".mention-suggestions");
    if (!list) return;
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|\s)@([\w.+-]{1,30})$/.exec(before);
    list.textContent = "";
    if (!match) { list.hidden = true; return; }
    var typed = match[2].toLowerCase();
    var found = people().filter(function (p) {
      return p.handle.indexOf(typed) === 0 || p.name.toLowerCase().indexOf(typed) !== -1;
    }).slice(0, 6);
    found.forEach(function (person) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button link small";
      button.textContent = person.name + " (@" + person.handle + ")";
      button.addEventListener("click", function () {
        var start = before.length - typed.length;
        textarea.value = textarea.value.slice(0, start) + person.handle + " " + textarea.value.slice(textarea.selectionStart);
        list.hidden = true;
        textarea.focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = found.length === 0;
  }

  // Bulk: the chosen conversations go with the form (the row checkboxes name it).
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt.id === "bulk-form" && event.detail.successful) {
      countSelected();
    }
  });

  // After the pane changes, keep the list's selection on the open conversation.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.target || event.target.id !== "conversation-pane") return;
    var id = openId();
    rows().forEach(function (r) { r.classList.toggle("is-open", r.dataset.id === id); });
    var row = id && document.getElementById("row-" + id);
    if (row) select(row);
  });

  function heartbeat() {
    var inbox = document.getElementById("inbox");
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!inbox || !window.fetch || document.hidden) return;
    fetch(inbox.dataset.heartbeatUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta ? meta.content : "" }
    }).catch(function () { /* the next beat tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("inbox")) return;
    var open = openId();
    var row = open && document.getElementById("row-" + open);
    select(row || rows()[0] || null);
    heartbeat();
    setInterval(heartbeat, HEARTBEAT_MS);
  });
})();
