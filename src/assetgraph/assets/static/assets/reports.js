// Asset reports page: draws the charts from the JSON the page embeds (json_script), with the
// vendored Chart.js. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";

  function init() {
    var source = document.getElementById("report-charts");
    if (!source || !window.Chart) { return; }
    var charts = JSON.parse(source.textContent);
    charts.forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) { return; }
      new window.Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: [{ label: "Assets", data: chart.counts }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: chart.type === "doughnut", position: "bottom" } }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
