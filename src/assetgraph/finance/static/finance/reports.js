// Finance reports: the depreciation forecast per month (bars) and the amount ordered per
// supplier (horizontal bars), from the JSON the page embeds, with the vendored Chart.js.
// A file: the CSP forbids inline scripts.
(function () {
  "use strict";

  function bar(id, labels, values, label, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: "#0d6efd" }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } }
      }
    });
  }

  function draw() {
    var source = document.getElementById("report-charts");
    if (!source || !window.Chart) { return; }
    var charts = JSON.parse(source.textContent);
    if (charts.forecast) {
      bar("forecast-chart", charts.forecast.labels, charts.forecast.values,
        "Depreciation (" + charts.forecast.currency + ")", false);
    }
    if (charts.spend) {
      bar("spend-chart", charts.spend.labels, charts.spend.values, "Ordered", true);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
