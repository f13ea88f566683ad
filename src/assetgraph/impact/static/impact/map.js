// Dependency map: fetch the neighbourhood as JSON from the map API and draw it with
// Cytoscape.js. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  var STYLE = [
    { selector: "node", style: {
      "label": "data(name)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 4,
      "text-wrap": "ellipsis", "text-max-width": 140, "width": 26, "height": 26,
      "background-color": "#6ea8fe", "border-width": 1, "border-color": "#495057" } },
    { selector: "node[?centre]", style: { "width": 40, "height": 40, "border-width": 4,
      "border-color": "#212529", "font-weight": "bold" } },
    { selector: 'node[state = "failed"]', style: { "background-color": "#dc3545" } },
    { selector: 'node[state = "down"]', style: { "background-color": "#f1aeb5",
      "border-color": "#dc3545", "border-width": 2 } },
    { selector: 'node[state = "degraded"]', style: { "background-color": "#ffe69c",
      "border-color": "#fd7e14", "border-width": 2 } },
    { selector: "node[?cluster]", style: { "shape": "round-rectangle", "width": 34,
      "height": 22, "background-color": "#e2e3e5", "border-style": "dashed" } },
    { selector: "edge", style: {
      "width": 1.2, "line-color": "#adb5bd", "target-arrow-color": "#adb5bd",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(type)",
      "font-size": 8, "color": "#6c757d", "text-rotation": "autorotate" } },
    { selector: "edge[?cluster]", style: { "line-style": "dashed", "target-arrow-shape": "none" } },
    { selector: ".flagged", style: { "border-width": 5, "border-color": "#6f42c1",
      "border-style": "double" } },
    { selector: ".filtered", style: { "display": "none" } }
  ];

  function status(text, isError) {
    var el = document.getElementById("map-status");
    if (el) {
      el.textContent = text;
      el.classList.toggle("text-danger", Boolean(isError));
    }
  }

  function summary(data) {
    var c = data.counts;
    var parts = [c.nodes + " CIs", c.edges + " relationships"];
    if (data.options.impact) {
      parts.push(c.down + " down", c.degraded + " degraded if it fails");
    }
    var text = parts.join(" · ");
    if (data.truncated) {
      text += " — truncated at " + data.options.limit + " CIs; " +
        (data.clusters_partial ? "at least " : "") + c.clustered +
        " more are grouped by class.";
    }
    return text;
  }

  function classFilters(cy, data) {
    var box = document.getElementById("map-classes");
    if (!box) { return; }
    box.textContent = "";
    data.classes.forEach(function (cls) {
      var id = "map-class-" + cls.id;
      var wrap = document.createElement("div");
      wrap.className = "form-check form-check-inline";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.className = "form-check-input";
      input.id = id;
      input.checked = true;
      input.setAttribute("data-class-id", String(cls.id));
      var label = document.createElement("label");
      label.className = "form-check-label";
      label.htmlFor = id;
      label.textContent = cls.name;
      input.addEventListener("change", function () {
        var nodes = cy.nodes().filter(function (n) {
          return n.data("class_id") === cls.id && !n.data("centre");
        });
        if (input.checked) { nodes.removeClass("filtered"); } else { nodes.addClass("filtered"); }
      });
      wrap.appendChild(input);
      wrap.appendChild(label);
      box.appendChild(wrap);
    });
  }

  function flagFilter(cy, data) {
    // Colour the map by any business flag (out of warranty, no support contract…).
    var select = document.getElementById("map-flag");
    var count = document.getElementById("map-flag-count");
    if (!select) { return; }
    (data.flag_kinds || []).forEach(function (kind) {
      var option = document.createElement("option");
      option.value = kind.kind;
      option.textContent = kind.label;
      option.title = kind.rule;
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      cy.nodes().removeClass("flagged");
      if (!select.value) { if (count) { count.textContent = ""; } return; }
      var hits = cy.nodes().filter(function (n) {
        return (n.data("flags") || []).indexOf(select.value) >= 0;
      });
      hits.addClass("flagged");
      if (count) { count.textContent = hits.length + " CI(s) outlined"; }
    });
  }

  function draw(container, data) {
    var cy = window.cytoscape({
      container: container,
      elements: data.elements,
      style: STYLE,
      wheelSensitivity: 0.3,
      layout: {
        name: "breadthfirst",
        directed: false,
        roots: "#" + data.centre.id,
        spacingFactor: 1.15,
        animate: false
      }
    });
    cy.on("tap", "node", function (event) {
      var url = event.target.data("url");
      if (url) { window.location.assign(url); }
    });
    classFilters(cy, data);
    flagFilter(cy, data);
    container.setAttribute("data-rendered-nodes", String(cy.nodes().length));
    container.setAttribute("data-rendered-edges", String(cy.edges().length));
    status(summary(data), false);
    window.assetgraphMap = cy;  // for tests and the browser console
  }

  function init() {
    var container = document.getElementById("dependency-map");
    if (!container) { return; }
    if (typeof window.cytoscape !== "function") {
      status("The map library did not load.", true);
      return;
    }
    fetch(container.getAttribute("data-src"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var message = body && body.error ? body.error.message : response.statusText;
          throw new Error(message || ("HTTP " + response.status));
        });
      }
      return response.json();
    }).then(function (data) {
      draw(container, data);
    }).catch(function (error) {
      status("Could not load the map: " + error.message, true);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
