// The report's chart: message volume as bars, mean sentiment as a line, from the page's JSON.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("chart-data");
  const canvas = document.getElementById("incident-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const series = JSON.parse(data.textContent);
  new Chart(canvas, {
    data: {
      labels: series.labels,
      datasets: [
        { type: "bar", label: "Messages", data: series.messages, yAxisID: "y" },
        { type: "line", label: "Mean sentiment", data: series.sentiment, yAxisID: "s", spanGaps: true },
      ],
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true }, s: { position: "right", min: -1, max: 1 } },
    },
  });
  const fallback = document.getElementById("chart-fallback");
  if (fallback) fallback.hidden = true;
});
