// The composer: shows the fields that apply to the chosen voices and the chosen time, asks for
// a description as soon as an image is chosen, shows chosen images in the preview, asks the
// server to check again when anything besides the text changes, and sends with Ctrl/Cmd+Enter.
// Everything here is an enhancement: without it, the form still posts and the server decides.
(function () {
  "use strict";

  var SUBMIT_LABELS = { now: "Publish", at: "Schedule", slot: "Schedule", draft: "Save draft" };
  var imageUrls = {};

  function composer() {
    return document.getElementById("composer");
  }

  function chosenNetworks(form) {
    var networks = {};
    var boxes = form.querySelectorAll('input[name="voice"]:checked');
    for (var i = 0; i < boxes.length; i++) networks[boxes[i].getAttribute("data-network")] = true;
    return networks;
  }

  function showWhen(elements, visible) {
    for (var i = 0; i < elements.length; i++) elements[i].hidden = !visible(elements[i]);
  }

  function update(form) {
    var networks = chosenNetworks(form);
    showWhen(form.querySelectorAll("[data-variant-for]"), function (el) {
      return networks[el.getAttribute("data-variant-for")] === true;
    });
    showWhen(form.querySelectorAll("[data-needs-network]"), function (el) {
      return networks[el.getAttribute("data-needs-network")] === true;
    });
    var checked = form.querySelector('input[name="when"]:checked');
    var when = checked ? checked.value : "now";
    showWhen(form.querySelectorAll("[data-when-at]"), function () { return when === "at"; });
    showWhen(form.querySelectorAll("[data-when-slot]"), function () { return when === "slot"; });
    var button = form.querySelector("[data-submit-button]");
    if (button) button.textContent = SUBMIT_LABELS[when] || "Publish";
    // An image without a description is refused by the server too; this says so before sending.
    var files = form.querySelectorAll('input[type="file"][name^="image_"]');
    for (var i = 0; i < files.length; i++) {
      var alt = form.querySelector('[data-alt-for="' + files[i].id + '"]');
      if (alt) alt.required = files[i].files.length > 0;
    }
  }

  function recheck() {
    var text = document.getElementById("id_text");
    if (text && window.htmx) window.htmx.trigger(text, "cluetrain:recheck");
  }

  function imageUrl(input) {
    var file = input.files && input.files[0];
    if (!file) return null;
    var cached = imageUrls[input.id];
    if (cached && cached.file === file) return cached.url;
    if (cached) URL.revokeObjectURL(cached.url);
    imageUrls[input.id] = { file: file, url: URL.createObjectURL(file) };
    return imageUrls[input.id].url;
  }

  // The server knows each image's description but never sees the file before sending, so the
  // preview's placeholders are filled here with the chosen files.
  function fillPreviewImages() {
    var figures = document.querySelectorAll("#composer-check [data-image-slot]");
    for (var i = 0; i < figures.length; i++) {
      var slot = figures[i].getAttribute("data-image-slot");
      var input = document.getElementById("id_image_" + slot);
      var box = figures[i].querySelector(".preview-image-box");
      var url = input ? imageUrl(input) : null;
      if (!box || !url) continue;
      var img = document.createElement("img");
      img.src = url;
      var alt = document.getElementById("id_alt_" + slot);
      img.alt = alt ? alt.value : "";
      box.replaceWith(img);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = composer();
    if (!form) return;
    update(form);
    var text = document.getElementById("id_text");
    if (text && document.activeElement !== text) text.focus();
    if (text) text.setSelectionRange(text.value.length, text.value.length);

    form.addEventListener("change", function (event) {
      update(form);
      if (event.target.id !== "id_text") recheck();
    });
    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target.id !== "id_text" && target.tagName !== "SELECT" && target.type !== "file") recheck();
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        var button = form.querySelector("[data-submit-button]");
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(button || undefined);
        } else {
          form.submit();
        }
      }
    });
  });

  // A guideline finding's one-click fix: put the suggested words in place of the match. The
  // server counts offsets in code points, the textarea in UTF-16 units; if the text moved since
  // the check, the nearest copy of the match is replaced instead, or nothing.
  function replaceFinding(button) {
    var text = document.getElementById("id_text");
    if (!text) return;
    var match = button.getAttribute("data-match");
    var replacement = button.getAttribute("data-with");
    var start = parseInt(button.getAttribute("data-start"), 10);
    var value = text.value;
    var at = Array.from(value).slice(0, start).join("").length;
    if (value.substr(at, match.length) !== match) {
      var before = value.lastIndexOf(match, at);
      var after = value.indexOf(match, at);
      if (before < 0 && after < 0) return;
      at = before < 0 ? after : after < 0 ? before : (at - before <= after - at ? before : after);
    }
    text.value = value.slice(0, at) + replacement + value.slice(at + match.length);
    text.focus();
    text.setSelectionRange(at + replacement.length, at + replacement.length);
    if (window.htmx) window.htmx.trigger(text, "cluetrain:recheck");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-guideline-replace]");
    if (button) {
      event.preventDefault();
      replaceFinding(button);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "composer-check") {
      fillPreviewImages();
    }
  });
})();
