// The self-sufficiency chart: the in-house share by month, overall and per department.
// Months with nothing published are gaps (null), not 0 %.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("sufficiency-data");
  const canvas = document.getElementById("sufficiency-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const series = JSON.parse(data.textContent);
  const datasets = [{ label: "All", data: series.overall, borderWidth: 3, spanGaps: false }];
  for (const department of series.departments) {
    datasets.push({ label: department.name, data: department.shares, borderDash: [4, 3], spanGaps: false });
  }
  new Chart(canvas, {
    type: "line",
    data: { labels: series.labels, datasets },
    options: {
      animation: false,
      scales: { y: { min: 0, max: 100, title: { display: true, text: "% in-house" } } },
    },
  });
});
