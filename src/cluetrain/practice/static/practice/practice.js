// Practice space: a mentor selects words in a learner's text to comment on them.
// Fills the comment form's quote and offsets (Python str offsets: code points, <br> = "\n").
(function () {
  "use strict";

  function length(text) {
    return Array.from(text).length; // code points, as Python counts them
  }

  // Characters of `container`'s text before (node, offset), skipping the comment numbers.
  function offsetOf(container, node, offset) {
    var count = 0;
    var walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var current = walker.nextNode();
    while (current) {
      if (current === node) {
        return count + (current.nodeType === Node.TEXT_NODE ? length(current.data.slice(0, offset)) : 0);
      }
      if (current.nodeType === Node.ELEMENT_NODE && current.tagName === "BR") count += 1;
      if (current.nodeType === Node.TEXT_NODE && !(current.parentElement && current.parentElement.tagName === "SUP")) {
        count += length(current.data);
      }
      current = walker.nextNode();
    }
    return null;
  }

  document.addEventListener("mouseup", fill);
  document.addEventListener("keyup", fill);

  function fill() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return;
    var range = selection.getRangeAt(0);
    var start = range.startContainer.nodeType === Node.TEXT_NODE ? range.startContainer.parentElement : range.startContainer;
    var container = start && start.closest("[data-text-of]");
    if (!container || !container.contains(range.endContainer)) return;
    var form = document.querySelector('form[data-comment-for="' + container.getAttribute("data-text-of") + '"]');
    if (!form) return;
    var from = offsetOf(container, range.startContainer, range.startOffset);
    var to = offsetOf(container, range.endContainer, range.endOffset);
    form.elements.quote.value = selection.toString();
    form.elements.start.value = from === null ? "" : String(from);
    form.elements.end.value = to === null ? "" : String(to);
    var details = form.closest("details");
    if (details) details.open = true;
  }

  // Typing the words by hand means the page's offsets no longer apply.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.name === "quote" && field.form && field.form.hasAttribute("data-comment-for")) {
      field.form.elements.start.value = "";
      field.form.elements.end.value = "";
    }
  });
})();
