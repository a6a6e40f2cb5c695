(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("lineage-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var NODE_W = 230, NODE_H = 40, GAP_X = 120, GAP_Y = 18, GROUP_GAP = 26;
  var PALETTE = ["#2b6cdf", "#2f9e6f", "#c2410c", "#8b5cf6", "#0e7490", "#b42318", "#a16207", "#4b5563"];

  var datasets = DATA.datasets, jobs = DATA.jobs, colEdges = DATA.columnEdges, ops = DATA.operations || {};
  var nsColor = {};
  DATA.namespaces.forEach(function (ns, i) { nsColor[ns] = PALETTE[i % PALETTE.length]; });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function colKey(ds, field) { return ds + "\u0000" + field; }
  function colLabel(ds, field) { return datasets[ds].label + "." + field; }
  function jobLabel(j) { return jobs[j].namespace + "/" + jobs[j].name; }
  function trLabel(e) {
    return e.type + (e.subtype ? "/" + e.subtype : "") + (e.masking ? " (masked)" : "") + (e.datasetLevel ? " (rows)" : "");
  }

  // ---------------------------------------------------------------- graph model
  var nodes = [], links = [], linkByPair = {};
  datasets.forEach(function (d, i) {
    nodes.push({ id: "d" + i, kind: "dataset", ds: i, ns: d.namespace, title: d.short, sub: d.label });
  });
  function addLink(from, to, job) {
    var key = from + ">" + to, l = linkByPair[key];
    if (!l) { l = linkByPair[key] = { from: from, to: to, jobs: [] }; links.push(l); }
    if (l.jobs.indexOf(job) < 0) l.jobs.push(job);
  }
  jobs.forEach(function (j, i) {
    if (j.inputs.length && j.outputs.length) {
      j.inputs.forEach(function (a) { j.outputs.forEach(function (b) { addLink("d" + a, "d" + b, i); }); });
    } else if (j.inputs.length || j.outputs.length) {
      var id = "j" + i;
      nodes.push({ id: id, kind: "job", job: i, ns: "job: " + j.namespace, title: j.name, sub: "job (" + j.runs + " runs)" });
      j.inputs.forEach(function (a) { addLink("d" + a, id, i); });
      j.outputs.forEach(function (b) { addLink(id, "d" + b, i); });
    }
  });
  var byId = {};
  nodes.forEach(function (n) { byId[n.id] = n; n.out = []; n.inn = []; });
  links.forEach(function (l) { byId[l.from].out.push(l); byId[l.to].inn.push(l); });

  // layers: longest path from the sources; back edges (cycles) are ignored
  var state = {}, order = [];
  function visit(n) {
    state[n.id] = 1;
    n.out.forEach(function (l) {
      if (l.from === l.to) { l.back = true; return; }
      var t = byId[l.to];
      if (state[t.id] === 1) { l.back = true; return; }
      if (!state[t.id]) visit(t);
    });
    state[n.id] = 2;
    order.push(n);
  }
  nodes.slice().sort(function (a, b) { return a.inn.length - b.inn.length; }).forEach(function (n) { if (!state[n.id]) visit(n); });
  order.reverse();
  nodes.forEach(function (n) { n.layer = 0; });
  order.forEach(function (n) {
    n.out.forEach(function (l) { if (!l.back) { var t = byId[l.to]; t.layer = Math.max(t.layer, n.layer + 1); } });
  });
  var layers = [];
  nodes.forEach(function (n) { (layers[n.layer] = layers[n.layer] || []).push(n); });
  layers = layers.filter(Boolean);
  layers.forEach(function (layer, i) {
    layer.forEach(function (n) { n.layer = i; });
    layer.sort(function (a, b) { return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : (a.title < b.title ? -1 : 1); });
    layer.forEach(function (n, k) { n.pos = k; });
  });
  function bary(n, dir) {
    var ls = dir === "down" ? n.inn : n.out, s = 0, c = 0;
    ls.forEach(function (l) { if (!l.back) { s += byId[dir === "down" ? l.from : l.to].pos; c++; } });
    return c ? s / c : n.pos;
  }
  for (var sweep = 0; sweep < 4; sweep++) {
    var dir = sweep % 2 ? "up" : "down";
    var seq = dir === "down" ? layers : layers.slice().reverse();
    seq.forEach(function (layer) {
      var b = {}, nsB = {}, nsC = {};
      layer.forEach(function (n) { b[n.id] = bary(n, dir); nsB[n.ns] = (nsB[n.ns] || 0) + b[n.id]; nsC[n.ns] = (nsC[n.ns] || 0) + 1; });
      layer.sort(function (x, y) {
        var gx = nsB[x.ns] / nsC[x.ns], gy = nsB[y.ns] / nsC[y.ns];
        if (x.ns !== y.ns) return gx - gy || (x.ns < y.ns ? -1 : 1);
        return b[x.id] - b[y.id] || (x.title < y.title ? -1 : 1);
      });
      layer.forEach(function (n, k) { n.pos = k; });
    });
  }
  var height = 0;
  layers.forEach(function (layer) {
    var y = 0, prev = null;
    layer.forEach(function (n) {
      if (prev !== null && prev !== n.ns) y += GROUP_GAP;
      n.y = y + 16; y += NODE_H + GAP_Y; prev = n.ns;
    });
    layer.h = y;
    height = Math.max(height, y);
  });
  layers.forEach(function (layer, i) {
    var off = (height - layer.h) / 2;
    layer.forEach(function (n) { n.y += off; n.x = 20 + i * (NODE_W + GAP_X); });
  });

  // ---------------------------------------------------------------- drawing
  var host = document.getElementById("graph");
  var root = svg("svg", { "data-testid": "lineage-graph" });
  var defs = svg("defs");
  var marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3b5" }));
  defs.appendChild(marker);
  root.appendChild(defs);
  var scene = svg("g");
  root.appendChild(scene);
  host.appendChild(root);

  layers.forEach(function (layer) {
    var start = null;
    layer.forEach(function (n, k) {
      if (start === null) start = n;
      var next = layer[k + 1];
      if (!next || next.ns !== n.ns) {
        var top = start.y - 14, bottom = n.y + NODE_H + 6;
        scene.appendChild(svg("rect", { "class": "nsgroup", x: n.x - 8, y: top, width: NODE_W + 16, height: bottom - top }));
        var t = svg("text", { "class": "nslabel", x: n.x - 2, y: top + 10 });
        t.textContent = n.ns;
        scene.appendChild(t);
        start = null;
      }
    });
  });

  var edgeEls = [];
  links.forEach(function (l) {
    var a = byId[l.from], b = byId[l.to], d;
    var x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    if (l.back || x2 <= x1) {
      var low = Math.max(a.y, b.y) + NODE_H + 30;
      d = "M " + x1 + " " + y1 + " C " + (x1 + 60) + " " + low + ", " + (x2 - 60) + " " + low + ", " + x2 + " " + y2;
    } else {
      var mx = (x1 + x2) / 2;
      d = "M " + x1 + " " + y1 + " C " + mx + " " + y1 + ", " + mx + " " + y2 + ", " + x2 + " " + y2;
    }
    var names = l.jobs.map(function (j) { return jobs[j].name; });
    var p = svg("path", { "class": "edge", d: d, "data-from": l.from, "data-to": l.to, "data-jobs": names.join("|") });
    var tip = svg("title"); tip.textContent = l.jobs.map(jobLabel).join("\n"); p.appendChild(tip);
    scene.appendChild(p);
    var label = svg("text", { "class": "edgelabel", x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, "text-anchor": "middle" });
    label.textContent = names[0].length > 28 ? names[0].slice(0, 27) + "…" : names[0];
    if (names.length > 1) label.textContent += " +" + (names.length - 1);
    scene.appendChild(label);
    edgeEls.push({ link: l, el: p });
  });

  var nodeEls = {};
  nodes.forEach(function (n) {
    var g = svg("g", { "class": "node " + n.kind, transform: "translate(" + n.x + "," + n.y + ")", "data-id": n.id,
                       "data-label": n.kind === "dataset" ? datasets[n.ds].label : jobLabel(n.job) });
    var r = svg("rect", { width: NODE_W, height: NODE_H });
    r.style.borderLeft = "3px solid";
    g.appendChild(r);
    g.appendChild(svg("rect", { width: 4, height: NODE_H, fill: nsColor[n.kind === "dataset" ? n.ns : ""] || "#8b5cf6", stroke: "none" }));
    var t = svg("text", { x: 10, y: 16 }); t.textContent = clip(n.title, 32); g.appendChild(t);
    var s = svg("text", { x: 10, y: 31, "class": "sub" }); s.textContent = clip(n.sub, 40); g.appendChild(s);
    var tip = svg("title"); tip.textContent = n.sub; g.appendChild(tip);
    g.addEventListener("click", function (ev) { ev.stopPropagation(); if (n.kind === "dataset") showDataset(n.ds); else showJob(n.job); });
    scene.appendChild(g);
    nodeEls[n.id] = g;
  });
  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  var legend = el("div", { id: "legend" });
  DATA.namespaces.forEach(function (ns) {
    var row = el("div");
    var sw = el("span", { "class": "sw" }); sw.style.background = nsColor[ns];
    row.appendChild(sw); row.appendChild(document.createTextNode(ns));
    legend.appendChild(row);
  });
  host.appendChild(legend);

  // pan and zoom
  var view = { x: 0, y: 0, k: 1 };
  function apply() { scene.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")"); }
  function fit() {
    var w = host.clientWidth || 800, h = host.clientHeight || 600;
    var gw = layers.length * (NODE_W + GAP_X) + 40, gh = height + 60;
    view.k = Math.min(1.2, Math.max(0.15, Math.min(w / gw, h / gh)));
    view.x = (w - gw * view.k) / 2; view.y = Math.max(10, (h - gh * view.k) / 2);
    apply();
  }
  root.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var f = ev.deltaY < 0 ? 1.1 : 1 / 1.1, rect = root.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    view.x = px - (px - view.x) * f; view.y = py - (py - view.y) * f; view.k *= f; apply();
  }, { passive: false });
  var drag = null;
  root.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX - view.x, y: ev.clientY - view.y }; });
  window.addEventListener("mousemove", function (ev) { if (drag) { view.x = ev.clientX - drag.x; view.y = ev.clientY - drag.y; apply(); } });
  window.addEventListener("mouseup", function () { drag = null; });
  root.addEventListener("click", function () { clearHighlight(); showIntro(); });
  fit();

  // ---------------------------------------------------------------- column lineage
  var down = {}, up = {};
  colEdges.forEach(function (e) {
    (down[colKey(e.from[0], e.from[1])] = down[colKey(e.from[0], e.from[1])] || []).push(e);
    (up[colKey(e.to[0], e.to[1])] = up[colKey(e.to[0], e.to[1])] || []).push(e);
  });
  // every column reachable from (ds, field), at its shortest distance, with all the edges that
  // reach it at that distance (a column can be both returned and a group key, say)
  function closure(ds, field, direction) {
    var adj = direction === "up" ? up : down, start = colKey(ds, field), seen = {}, out = [];
    seen[start] = { hops: 0 };
    var queue = [[ds, field, 0]];
    while (queue.length) {
      var cur = queue.shift();
      (adj[colKey(cur[0], cur[1])] || []).forEach(function (e) {
        var nxt = direction === "up" ? e.from : e.to, k = colKey(nxt[0], nxt[1]);
        var item = seen[k];
        if (item) {
          if (item.edges && item.hops === cur[2] + 1 && item.edges.indexOf(e) < 0) item.edges.push(e);
          return;
        }
        item = seen[k] = { ds: nxt[0], field: nxt[1], hops: cur[2] + 1, edges: [e] };
        out.push(item);
        queue.push([nxt[0], nxt[1], cur[2] + 1]);
      });
    }
    out.forEach(function (item) {
      item.edges.sort(function (a, b) { return (a.type === b.type ? 0 : a.type === "DIRECT" ? -1 : 1) || (a.datasetLevel ? 1 : 0) - (b.datasetLevel ? 1 : 0); });
      item.edge = item.edges[0];
    });
    return out;
  }

  // ---------------------------------------------------------------- panel
  var panel = document.getElementById("panel");
  function clearPanel() { while (panel.firstChild) panel.removeChild(panel.firstChild); }
  function showIntro() {
    clearPanel();
    panel.appendChild(el("h2", null, DATA.title));
    panel.appendChild(el("p", { "class": "hint" }, datasets.length + " datasets, " + jobs.length + " jobs, " +
      colEdges.length + " column edges. Click a dataset to see its columns; click a column to see where it comes from and where it goes."));
    if (DATA.notes && DATA.notes.length) {
      var ul = el("ul");
      DATA.notes.forEach(function (n) { ul.appendChild(el("li", null, n)); });
      panel.appendChild(ul);
    }
  }
  function badgesFor(ds, field) {
    var f = datasets[ds].fieldIndex[field], span = el("span");
    if (f && f.classes) f.classes.forEach(function (c) {
      span.appendChild(el("span", { "class": "badge " + (f.derived ? "derived" : "pii"), title: f.derived ? "derived from a classified column" : "classified" }, c + (f.derived ? " (derived)" : "")));
    });
    return span;
  }
  function jobList(title, list) {
    panel.appendChild(el("h3", null, title));
    var ul = el("ul");
    if (!list.length) ul.appendChild(el("li", { "class": "hint" }, "none"));
    list.forEach(function (j) { ul.appendChild(el("li", null, jobLabel(j) + "  (" + jobs[j].runs + " runs)")); });
    panel.appendChild(ul);
  }
  function highlight(dsIds) {
    var keep = {};
    dsIds.forEach(function (d) { keep["d" + d] = true; });
    Object.keys(nodeEls).forEach(function (id) {
      nodeEls[id].classList.toggle("dim", !keep[id]);
      nodeEls[id].classList.remove("selected", "related");
    });
    edgeEls.forEach(function (x) { var on = keep[x.link.from] && keep[x.link.to]; x.el.classList.toggle("hl", !!on); x.el.classList.toggle("dim", !on); });
  }
  function clearHighlight() {
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.remove("dim", "selected", "related"); });
    edgeEls.forEach(function (x) { x.el.classList.remove("hl", "dim"); });
  }
  function showJob(j) {
    clearPanel(); clearHighlight();
    nodeEls["j" + j].classList.add("selected");
    panel.appendChild(el("h2", null, jobLabel(j)));
    panel.appendChild(el("p", { "class": "hint" }, jobs[j].runs + " runs"));
    panel.appendChild(el("h3", null, "reads"));
    var ul = el("ul"); jobs[j].inputs.forEach(function (d) { ul.appendChild(el("li", null, datasets[d].label)); }); panel.appendChild(ul);
    panel.appendChild(el("h3", null, "writes"));
    ul = el("ul"); jobs[j].outputs.forEach(function (d) { ul.appendChild(el("li", null, datasets[d].label)); }); panel.appendChild(ul);
  }
  function showDataset(ds, selectedField) {
    var d = datasets[ds];
    clearPanel(); clearHighlight();
    nodeEls["d" + ds].classList.add("selected");
    panel.appendChild(el("h2", { "data-testid": "dataset-title" }, d.label));
    panel.appendChild(el("p", { "class": "hint" }, d.namespace));
    panel.appendChild(el("h3", null, "columns"));
    var ul = el("ul", { "data-testid": "columns" });
    if (!d.fields.length) ul.appendChild(el("li", { "class": "hint" }, "no schema seen"));
    d.fields.forEach(function (f) {
      var li = el("li", { "class": "column", "data-column": f.name });
      li.appendChild(el("span", null, f.name));
      if (f.type) li.appendChild(el("span", { "class": "type" }, f.type));
      li.appendChild(badgesFor(ds, f.name));
      li.addEventListener("click", function () { showColumn(ds, f.name); });
      if (f.name === selectedField) li.classList.add("selected");
      ul.appendChild(li);
    });
    panel.appendChild(ul);
    jobList("written by", d.writers);
    jobList("read by", d.readers);
  }
  function edgeItem(item, direction) {
    var li = el("li", { "class": "lineage-item", "data-column": colLabel(item.ds, item.field), "data-hops": item.hops });
    var line = el("div");
    line.appendChild(el("span", null, (direction === "up" ? "\u2190 " : "\u2192 ") + colLabel(item.ds, item.field) + " "));
    line.appendChild(badgesFor(item.ds, item.field));
    li.appendChild(line);
    var shown = {};
    item.edges.forEach(function (e) {
      var how = el("div", { "class": "type" });
      how.appendChild(el("span", { "class": "badge " + (e.masking ? "masked" : e.type === "INDIRECT" ? "indirect" : "") }, trLabel(e)));
      how.appendChild(document.createTextNode("  by " + jobLabel(e.job) + (item.hops > 1 ? "  (" + item.hops + " hops)" : "")));
      li.appendChild(how);
      var key = colKey(e.to[0], e.datasetLevel ? "*" : e.to[1]) + "\u0000" + e.job;
      if (shown[key]) return;
      shown[key] = true;
      (ops[colKey(e.to[0], e.datasetLevel ? "*" : e.to[1])] || []).filter(function (s) { return s.job === e.job; }).forEach(function (s) {
        li.appendChild(el("div", { "class": "ops" }, (s.location || "?") + "  " + s.operation + (s.detail ? " \u2014 " + s.detail : "") + (s.approximate ? "  [approximate]" : "")));
      });
    });
    li.addEventListener("click", function () { showColumn(item.ds, item.field); });
    return li;
  }
  function byHops(a, b) {
    return a.hops - b.hops || (a.edge.type === b.edge.type ? 0 : a.edge.type === "DIRECT" ? -1 : 1) ||
      (colLabel(a.ds, a.field) < colLabel(b.ds, b.field) ? -1 : 1);
  }
  function showColumn(ds, field) {
    showDataset(ds, field);
    var ups = closure(ds, field, "up").sort(byHops), downs = closure(ds, field, "down").sort(byHops);
    var involved = [ds];
    ups.concat(downs).forEach(function (x) { if (involved.indexOf(x.ds) < 0) involved.push(x.ds); });
    highlight(involved);
    nodeEls["d" + ds].classList.add("selected");
    involved.forEach(function (d) { if (d !== ds) nodeEls["d" + d].classList.add("related"); });
    var own = (ops[colKey(ds, field)] || []);
    var title = el("h3", { "data-testid": "column-title" }, "column " + field);
    panel.insertBefore(title, panel.querySelector("h3"));
    if (own.length) {
      var opsUl = el("ul");
      own.forEach(function (s) { opsUl.appendChild(el("li", { "class": "ops" }, jobLabel(s.job) + "  " + (s.location || "?") + "  " + s.operation + (s.detail ? " \u2014 " + s.detail : ""))); });
      panel.insertBefore(opsUl, title.nextSibling);
    }
    var h = el("h3", null, "upstream (" + ups.length + ")");
    var upUl = el("ul", { id: "upstream", "data-testid": "upstream" });
    if (!ups.length) upUl.appendChild(el("li", { "class": "hint" }, "none: a source column"));
    ups.forEach(function (x) { upUl.appendChild(edgeItem(x, "up")); });
    var h2 = el("h3", null, "downstream (" + downs.length + ")");
    var downUl = el("ul", { id: "downstream", "data-testid": "downstream" });
    if (!downs.length) downUl.appendChild(el("li", { "class": "hint" }, "none"));
    downs.forEach(function (x) { downUl.appendChild(edgeItem(x, "down")); });
    var anchor = panel.querySelector("[data-testid=columns]");
    panel.insertBefore(h, anchor.previousSibling);
    panel.insertBefore(upUl, anchor.previousSibling);
    panel.insertBefore(h2, anchor.previousSibling);
    panel.insertBefore(downUl, anchor.previousSibling);
  }
  datasets.forEach(function (d) { d.fieldIndex = {}; d.fields.forEach(function (f) { d.fieldIndex[f.name] = f; }); });

  // search
  var search = document.getElementById("search");
  if (search) search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    if (!q) { clearHighlight(); return; }
    var hits = [];
    datasets.forEach(function (d, i) {
      if (d.label.toLowerCase().indexOf(q) >= 0 || d.fields.some(function (f) { return f.name.toLowerCase().indexOf(q) >= 0; })) hits.push(i);
    });
    highlight(hits);
    search.hits = hits;
  });
  if (search) search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && search.hits && search.hits.length) showDataset(search.hits[0]);
  });

  // tabs (the survey report adds one)
  var tabs = document.querySelectorAll("nav.tabs button");
  Array.prototype.forEach.call(tabs, function (b) {
    b.addEventListener("click", function () {
      Array.prototype.forEach.call(tabs, function (x) { x.classList.toggle("active", x === b); });
      var report = document.getElementById("report"), graphView = b.getAttribute("data-tab") === "graph";
      document.getElementById("graph").style.display = graphView ? "" : "none";
      document.getElementById("panel").style.display = graphView ? "" : "none";
      if (report) report.style.display = graphView ? "none" : "block";
      if (graphView) fit();
    });
  });

  window.lineageViewer = { showDataset: showDataset, showColumn: showColumn, closure: closure,
                           datasetIndex: function (label) { for (var i = 0; i < datasets.length; i++) if (datasets[i].label === label) return i; return -1; } };
  showIntro();
})();
