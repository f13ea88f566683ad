// Dashboard: draws the charts of the cards with rows from the JSON the page embeds
// (json_script), with the vendored Chart.js; a click on a bar opens its filtered list.
// Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";

  function init() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.Chart) { return; }
    JSON.parse(source.textContent).forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) { return; }
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: "Count", data: chart.counts }] },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          onClick: function (_event, elements) {
            if (elements.length) { window.location.assign(chart.urls[elements[0].index]); }
          }
        }
      });
      canvas.setAttribute("data-drawn", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
