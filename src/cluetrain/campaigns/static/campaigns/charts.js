// The charts of the objectives, campaigns and cost pages, drawn from each page's JSON.
// A table of the same numbers sits under every chart, so nothing depends on this script.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const objective = read("objective-data");
  const objectiveCanvas = document.getElementById("objective-chart");
  if (objective && objectiveCanvas) {
    new Chart(objectiveCanvas, {
      type: "line",
      data: {
        labels: objective.labels,
        datasets: [
          { label: "Value", data: objective.values, spanGaps: true },
          { label: "Target", data: objective.target, borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: { animation: false, scales: { y: { beginAtZero: true } } },
    });
  }
  const campaign = read("campaign-data");
  const campaignCanvas = document.getElementById("campaign-chart");
  if (campaign && campaignCanvas) {
    new Chart(campaignCanvas, {
      data: {
        labels: campaign.labels,
        datasets: [
          { type: "bar", label: "Posts published", data: campaign.posts, yAxisID: "y" },
          { type: "line", label: "Running total", data: campaign.total, yAxisID: "y" },
        ],
      },
      options: { animation: false, scales: { y: { beginAtZero: true } } },
    });
  }
  const cost = read("cost-data");
  const costCanvas = document.getElementById("cost-chart");
  if (cost && costCanvas) {
    new Chart(costCanvas, {
      data: {
        labels: cost.labels,
        datasets: [
          { type: "bar", label: "Cost", data: cost.cost, yAxisID: "y" },
          { type: "line", label: "Engagement", data: cost.engagement, yAxisID: "e" },
        ],
      },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true }, e: { beginAtZero: true, position: "right" } },
      },
    });
  }
});
