// Replacement forecast: assets (bars) and budget (line) per quarter, from the JSON the page
// embeds (json_script), drawn with the vendored Chart.js. A file: the CSP forbids inline
// scripts.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("forecast-chart");
    var canvas = document.getElementById("forecast-canvas");
    if (!source || !canvas || !window.Chart) { return; }
    var chart = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      data: {
        labels: chart.labels,
        datasets: [
          { type: "bar", label: "Assets", data: chart.counts, yAxisID: "count", backgroundColor: "#0d6efd" },
          { type: "line", label: "Budget (" + chart.currency + ")", data: chart.budgets, yAxisID: "budget", borderColor: "#dc3545" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          budget: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
