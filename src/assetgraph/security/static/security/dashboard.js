// Security dashboard: draws the charts from the JSON the page embeds (json_script) with the
// vendored Chart.js; "select all" on the findings list. A file: the CSP forbids inline scripts.
(function () {
  "use strict";

  function charts() {
    var source = document.getElementById("security-charts");
    if (!source || !window.Chart) { return; }
    JSON.parse(source.textContent).forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) { return; }
      new window.Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: [{ label: chart.title, data: chart.counts, backgroundColor: chart.colours }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          indexAxis: chart.type === "bar" ? "y" : "x",
          plugins: { legend: { display: chart.type === "doughnut", position: "bottom" } }
        }
      });
    });
  }

  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var scope = document.getElementById(box.getAttribute("data-select-all"));
        if (!scope) { return; }
        scope.querySelectorAll("input[type=checkbox][name=ids]").forEach(function (item) {
          item.checked = box.checked;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { charts(); selectAll(); });
})();
