// Insights: draws each chart from the JSON the page carries (json_script), makes typed dates a
// custom period, and prints the monthly report.
(() => {
  "use strict";

  function drawCharts() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || Chart.getChart(canvas)) return;
      const config = JSON.parse(source.textContent);
      config.options = Object.assign(
        { animation: false, responsive: true, maintainAspectRatio: false },
        config.options || {},
      );
      new Chart(canvas, config);
    });
  }

  function wirePeriod() {
    const preset = document.querySelector("[data-range-preset]");
    if (!preset) return;
    const form = preset.form;
    // Typing a date makes the period a custom one. The period is shown on "Show", not on each
    // change of the list: arrow keys move through a closed list one option at a time.
    ["from", "to"].forEach((name) => {
      const input = form.elements.namedItem(name);
      if (input) input.addEventListener("change", () => { preset.value = "custom"; });
    });
  }

  function wirePrint() {
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
    // Charts are drawn for the screen's width; redraw them for the printed page and back.
    const resize = () => {
      if (typeof Chart === "undefined") return;
      Object.values(Chart.instances).forEach((chart) => chart.resize());
    };
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    wirePeriod();
    wirePrint();
  });
})();
