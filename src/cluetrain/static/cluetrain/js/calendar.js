// The calendar: drag a scheduled post to another day (month: it keeps its time of day) or to
// another hour (week: it keeps its minutes). Each post also has a "Move" form, the keyboard's
// way to do the same; both post to the same address and get the updated grid back.
(function () {
  "use strict";

  var dragged = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function replaceGrid(html) {
    var grid = document.getElementById("calendar-grid");
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.querySelector("#calendar-grid");
    if (!grid || !fresh) return;
    grid.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  }

  function move(item, cell) {
    var body = { date: cell.getAttribute("data-drop-date") };
    var hour = cell.getAttribute("data-drop-hour");
    if (hour !== null) {
      var minutes = (item.getAttribute("data-time") || "00:00").slice(3, 5);
      body.time = pad(parseInt(hour, 10)) + ":" + minutes;
    }
    item.classList.add("moving");
    fetch(item.getAttribute("data-reschedule"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    })
      .then(function (response) { return response.text(); })
      .then(replaceGrid)
      .catch(function () {
        item.classList.remove("moving");
        var said = document.querySelector("#calendar-grid .calendar-said");
        if (said) said.textContent = "The post could not be moved: the connection failed. Try again.";
      });
  }

  function dropCell(target) {
    return target instanceof Element ? target.closest("[data-drop-date]") : null;
  }

  function clearTargets() {
    var marked = document.querySelectorAll(".drop-target");
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove("drop-target");
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target instanceof Element ? event.target.closest("[data-reschedule]") : null;
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-post"));
    item.classList.add("dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var cell = dropCell(event.target);
    if (!cell || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!cell.classList.contains("drop-target")) {
      clearTargets();
      cell.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var cell = dropCell(event.target);
    if (!cell || !dragged) return;
    event.preventDefault();
    var item = dragged;
    clearTargets();
    if (item.closest("[data-drop-date]") === cell) return;
    move(item, cell);
  });

  // A refused move answers 400 with the grid and the reason: show it like any other answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "calendar-grid" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
