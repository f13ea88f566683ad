// Dependency map: fetch the neighbourhood as JSON from the map API and draw it with
// Cytoscape.js. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  var STYLE = [
    { selector: "node", style: {
      "label": "data(name)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 4,
      "text-wrap": "ellipsis", "text-max-width": 140, "width": 26, "height": 26,
      "background-color": "data(colour)", "border-width": 1, "border-color": "#495057" } },
    { selector: 'node[kind = "service"]', style: { "shape": "round-rectangle", "width": 44 } },
    { selector: 'node[kind = "application"]', style: { "shape": "hexagon", "width": 34 } },
    { selector: 'node[kind = "group"]', style: { "shape": "octagon", "width": 32, "height": 32 } },
    { selector: 'node[kind = "endpoint"]', style: { "shape": "triangle" } },
    { selector: 'node[kind = "other"]', style: { "shape": "ellipse" } },
    { selector: "node[?fanout]", style: { "shape": "round-tag", "width": 40, "height": 24,
      "border-style": "dashed", "font-style": "italic" } },
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
    { selector: ".filtered", style: { "display": "none" } },
    { selector: "edge[?layout]", style: { "visibility": "hidden", "events": "no" } }
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
      var swatch = document.createElement("span");
      swatch.className = "legend";
      swatch.style.backgroundColor = colourOf(cls.id);  // CSSOM, not an inline style attribute
      swatch.setAttribute("aria-hidden", "true");
      label.appendChild(swatch);
      if (cls.icon) {
        var icon = document.createElement("i");
        icon.className = "bi bi-" + cls.icon + " ms-1";
        icon.setAttribute("aria-hidden", "true");
        label.appendChild(icon);
      }
      label.appendChild(document.createTextNode(" " + cls.name));
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

  // One colour per class (stable for a class id), so a glance tells servers from databases.
  var PALETTE = ["#6ea8fe", "#75b798", "#feb272", "#c29ffa", "#6edff6", "#ea868f",
    "#a3cfbb", "#ffda6a", "#9ec5fe", "#e685b5", "#79dfc1", "#adb5bd"];

  function colourOf(classId) { return PALETTE[Math.abs(Number(classId) || 0) % PALETTE.length]; }

  var FANOUT = 6;  // more same-class leaves than this on one CI are drawn as one group node

  function groupFanOuts(data) {
    // "48 Laptop": CIs of one class with exactly the same relationships (same neighbours,
    // same types, same directions) are interchangeable on a map, so more than FANOUT of them
    // are folded into one node; a click on it unfolds them. Returns the folded elements.
    var nodes = data.elements.nodes, edges = data.elements.edges;
    var byId = {}, links = {};
    nodes.forEach(function (n) { byId[n.data.id] = n; links[n.data.id] = []; });
    edges.forEach(function (e) {
      links[e.data.source].push({ edge: e, key: "out:" + e.data.type + ":" + e.data.target });
      links[e.data.target].push({ edge: e, key: "in:" + e.data.type + ":" + e.data.source });
    });
    var buckets = {};
    nodes.forEach(function (n) {
      var d = n.data;
      if (d.centre || d.cluster || !links[d.id].length) { return; }
      var signature = d.class_id + "|" + links[d.id].map(function (l) { return l.key; })
        .sort().join("|");
      (buckets[signature] = buckets[signature] || []).push(n);
    });
    var folded = {}, drop = {}, index = 0;
    Object.keys(buckets).forEach(function (signature) {
      var members = buckets[signature];
      if (members.length <= FANOUT) { return; }
      index += 1;
      var id = "fan-" + index, sample = members[0].data;
      var memberIds = {};
      members.forEach(function (m) { memberIds[m.data.id] = true; drop[m.data.id] = true; });
      var memberEdges = edges.filter(function (e) {
        return memberIds[e.data.source] || memberIds[e.data.target];
      });
      memberEdges.forEach(function (e) { drop["e" + e.data.id] = true; });
      var worst = members.some(function (m) { return m.data.state === "down"; }) ? "down" :
        (members.some(function (m) { return m.data.state === "degraded"; }) ? "degraded" : "ok");
      folded[id] = { nodes: members, edges: memberEdges };
      nodes.push({ data: { id: id, name: members.length + " " + sample.ci_class,
        ci_class: sample.ci_class, class_id: sample.class_id, kind: sample.kind, fanout: true,
        count: members.length, state: worst, colour: colourOf(sample.class_id) } });
      links[sample.id].forEach(function (l, i) {  // the sample's relationships, for the group
        var e = l.edge.data, out = String(e.source) === String(sample.id);
        edges.push({ data: { id: id + "-" + i, source: out ? id : e.source,
          target: out ? e.target : id, type: e.type, needs: e.needs } });
      });
    });
    data.elements.nodes = nodes.filter(function (n) { return !drop[n.data.id]; });
    data.elements.edges = edges.filter(function (e) {
      return !drop["e" + e.data.id] && !drop[e.data.source] && !drop[e.data.target];
    });
    return folded;
  }

  function layoutEdges(edges) {
    // Invisible edges from each CI to what it needs, so the layered layout puts what depends
    // on something above it (services on top, infrastructure at the bottom).
    return edges.filter(function (e) { return e.data.needs && e.data.needs !== "none"; })
      .map(function (e) {
        var needer = e.data.needs === "source" ? e.data.source : e.data.target;
        var needed = e.data.needs === "source" ? e.data.target : e.data.source;
        return { data: { id: "layout-" + e.data.id, source: needer, target: needed, layout: true } };
      });
  }

  function runLayout(cy, centreId) {
    var dagre = typeof window.cytoscapeDagre === "function" || typeof window.dagre === "object";
    var options = dagre ?
      { name: "dagre", rankDir: "TB", nodeSep: 24, rankSep: 70, edgeSep: 8, animate: false,
        fit: true, padding: 20 } :
      { name: "breadthfirst", directed: false, roots: "#" + centreId, spacingFactor: 1.15,
        animate: false };
    var laid = cy.elements().filter(function (el) {
      return el.isNode() ? !el.hasClass("filtered") : Boolean(el.data("layout"));
    });
    if (dagre && laid.edges().length === 0) { laid = cy.elements(); }
    laid.layout(options).run();
    cy.container().setAttribute("data-layout", options.name);
  }

  function draw(container, data) {
    data.elements.nodes.forEach(function (n) {
      n.data.colour = n.data.cluster ? "#e2e3e5" : colourOf(n.data.class_id);
    });
    var folded = groupFanOuts(data);
    var hidden = layoutEdges(data.elements.edges);
    var cy = window.cytoscape({
      container: container,
      elements: { nodes: data.elements.nodes, edges: data.elements.edges.concat(hidden) },
      style: STYLE,
      wheelSensitivity: 0.3,
      layout: { name: "preset" }
    });
    runLayout(cy, data.centre.id);
    cy.on("tap", "node", function (event) {
      var node = event.target;
      var group = folded[node.id()];
      if (group) {  // unfold "48 Laptop" into its CIs
        cy.remove(node);
        cy.add(group.nodes.concat(group.edges).concat(layoutEdges(group.edges)));
        delete folded[node.id()];
        runLayout(cy, data.centre.id);
        container.setAttribute("data-rendered-nodes", String(cy.nodes().length));
        return;
      }
      var url = node.data("url");
      if (url) { window.location.assign(url); }
    });
    classFilters(cy, data);
    flagFilter(cy, data);
    container.setAttribute("data-rendered-nodes", String(cy.nodes().length));
    container.setAttribute("data-rendered-edges", String(cy.edges("[!layout]").length));
    container.setAttribute("data-fanout-groups", String(Object.keys(folded).length));
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
