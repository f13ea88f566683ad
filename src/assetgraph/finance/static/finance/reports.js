// Finance reports: the depreciation forecast per month (bars), the amount ordered per
// supplier (horizontal bars) and the annual cost of contract renewals per month (stacked
// bars, one series per currency), from the JSON the page embeds, with the vendored
// Chart.js. A file: the CSP forbids inline scripts.
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

  // One stacked series per currency (amounts keep their currency); a month's bar links to
  // its rows of the renewals calendar.
  function renewals(id, data) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    var colours = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return { label: series.label, data: series.values, backgroundColor: colours[index % colours.length] };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true } },
        onClick: function (event, elements) {
          if (elements.length) { window.location.hash = data.links[elements[0].index]; }
        }
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
    if (charts.renewals) {
      renewals("renewals-chart", charts.renewals);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
