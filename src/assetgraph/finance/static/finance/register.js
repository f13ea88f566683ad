// The fixed-asset register's charts: net book value by cost centre and by category
// (horizontal bars), from the JSON the page embeds, with the vendored Chart.js. A bar links
// to its row of the group's table (the text alternative). A file: the CSP forbids inline
// scripts.
(function () {
  "use strict";

  function bars(id, data, currency) {
    var canvas = document.getElementById(id);
    if (!canvas || !data) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: "Net book value (" + currency + ")", data: data.values, backgroundColor: "#0d6efd" }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: "y",
        plugins: { legend: { display: false } },
        onClick: function (event, elements) {
          if (elements.length) { window.location.hash = data.links[elements[0].index]; }
        }
      }
    });
  }

  function draw() {
    var source = document.getElementById("register-charts");
    if (!source || !window.Chart) { return; }
    var charts = JSON.parse(source.textContent);
    bars("chart-cost-centre", charts.cost_centre, charts.currency);
    bars("chart-category", charts.category, charts.currency);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
