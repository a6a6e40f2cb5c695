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
  // dataset edges come from the lineage (see governance/datasetlineage.py), never from all inputs x
  // all outputs of a job; a job is a node only for reads that feed none of its outputs and writes
  // with no known upstream dataset
  var RANK = { lineage: 0, event: 1, coarse: 2 };
  var nodes = [], links = [], linkByPair = {};
  datasets.forEach(function (d, i) {
    nodes.push({ id: "d" + i, kind: "dataset", ds: i, ns: d.namespace, title: d.short, sub: d.label });
  });
  function addLink(from, to, job, basis) {
    var key = from + ">" + to, l = linkByPair[key];
    if (!l) { l = linkByPair[key] = { from: from, to: to, jobs: [], basis: basis }; links.push(l); }
    if (l.jobs.indexOf(job) < 0) l.jobs.push(job);
    if (RANK[basis] < RANK[l.basis]) l.basis = basis;
  }
  (DATA.datasetEdges || []).forEach(function (e) {
    e.jobs.forEach(function (x) { addLink("d" + e.from, "d" + e.to, x.job, x.basis); });
  });
  (DATA.jobLinks || []).forEach(function (x) {
    var id = "j" + x.job;
    if (!linkByPair["node " + id]) {
      linkByPair["node " + id] = true;
      nodes.push({ id: id, kind: "job", job: x.job, ns: "job: " + jobs[x.job].namespace, title: jobs[x.job].name,
                   sub: "job (" + jobs[x.job].runs + " runs)" });
    }
    if (x.role === "input") addLink("d" + x.dataset, id, x.job, "event");
    else addLink(id, "d" + x.dataset, x.job, "event");
  });
  var byId = {};
  nodes.forEach(function (n) { byId[n.id] = n; n.out = []; n.inn = []; });
  links.forEach(function (l) { byId[l.from].out.push(l); byId[l.to].inn.push(l); });

  // ---------------------------------------------------------------- layout
  // Each connected part of the graph is laid out on its own, in layers from its sources (Sugiyama
  // style: longest path, points for long edges, barycentre sweeps), then the parts are packed in
  // rows, largest first, so a thousand small pipelines make a wall, not a 20 000 px column.
  var DUMMY_NS = "\u0000", DUMMY_H = 6, PACK_GAP = 60, dummies = 0;
  var comps = [], compOf = {};
  nodes.forEach(function (n) {
    if (compOf[n.id] !== undefined) return;
    var c = { nodes: [] }, stack = [n], k = comps.length;
    compOf[n.id] = k; comps.push(c);
    while (stack.length) {
      var m = stack.pop();
      c.nodes.push(m);
      [m.inn, m.out].forEach(function (ls) {
        ls.forEach(function (l) {
          [l.from, l.to].forEach(function (id) { if (compOf[id] === undefined) { compOf[id] = k; stack.push(byId[id]); } });
        });
      });
    }
  });
  function layoutComponent(c) {
    var state = {}, order = [];
    function visit(start) {  // iterative: a long chain must not overflow the stack; back edges break cycles
      var stack = [[start, 0]];
      state[start.id] = 1;
      while (stack.length) {
        var top = stack[stack.length - 1], n = top[0];
        if (top[1] < n.out.length) {
          var l = n.out[top[1]++], t = byId[l.to];
          if (l.from === l.to || state[t.id] === 1) { l.back = true; continue; }
          if (!state[t.id]) { state[t.id] = 1; stack.push([t, 0]); }
        } else {
          state[n.id] = 2; order.push(n); stack.pop();
        }
      }
    }
    c.nodes.slice().sort(function (a, b) { return a.inn.length - b.inn.length; }).forEach(function (n) { if (!state[n.id]) visit(n); });
    order.reverse();
    c.nodes.forEach(function (n) { n.layer = 0; });
    order.forEach(function (n) {
      n.out.forEach(function (l) { if (!l.back) { var t = byId[l.to]; t.layer = Math.max(t.layer, n.layer + 1); } });
    });
    // a source sits just before its first reader, not in the first column with long edges across
    c.nodes.forEach(function (n) {
      if (n.inn.some(function (l) { return !l.back; })) return;
      var first = Infinity;
      n.out.forEach(function (l) { if (!l.back) first = Math.min(first, byId[l.to].layer); });
      if (first !== Infinity && first - 1 > n.layer) n.layer = first - 1;
    });
    var layers = [];
    c.nodes.forEach(function (n) { (layers[n.layer] = layers[n.layer] || []).push(n); });
    layers = layers.filter(Boolean);
    layers.forEach(function (layer, i) { layer.forEach(function (n) { n.layer = i; }); });
    // an edge across several layers passes through a point in each layer between (ordered with the
    // nodes there instead of running behind them); those points gather between the groups
    c.nodes.forEach(function (n) { n.lin = []; n.lout = []; });
    c.nodes.forEach(function (n) {
      n.out.forEach(function (l) {
        if (l.back) return;
        var b = byId[l.to], prev = n;
        l.via = [];
        for (var k = n.layer + 1; k < b.layer; k++) {
          var d = { id: "v" + dummies++, kind: "dummy", ns: DUMMY_NS, title: "", layer: k, lin: [], lout: [] };
          layers[k].push(d); l.via.push(d); byId[d.id] = d;
          var seg = { from: prev.id, to: d.id }; prev.lout.push(seg); d.lin.push(seg);
          prev = d;
        }
        var last = { from: prev.id, to: b.id }; prev.lout.push(last); b.lin.push(last);
      });
    });
    layers.forEach(function (layer) {
      layer.sort(function (a, b) { return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : (a.title < b.title ? -1 : a.title > b.title ? 1 : 0); });
      layer.forEach(function (n, k) { n.pos = k; });
    });
    function bary(n, dir) {
      var ls = dir === "down" ? n.lin : n.lout, s = 0;
      ls.forEach(function (l) { s += byId[dir === "down" ? l.from : l.to].pos; });
      return ls.length ? s / ls.length : n.pos;
    }
    // crossings between adjacent layers (quadratic: only counted on parts small enough)
    var segCount = 0;
    layers.forEach(function (layer) { layer.forEach(function (n) { segCount += n.lout.length; }); });
    function crossings() {
      var total = 0;
      layers.forEach(function (layer) {
        var segs = [];
        layer.forEach(function (n) { n.lout.forEach(function (l) { segs.push([n.pos, byId[l.to].pos]); }); });
        for (var i = 0; i < segs.length; i++)
          for (var j = i + 1; j < segs.length; j++)
            if ((segs[i][0] - segs[j][0]) * (segs[i][1] - segs[j][1]) < 0) total++;
      });
      return total;
    }
    var measure = layers.length > 1 && segCount <= 1500, best = measure ? crossings() : 0, bestPos = null;
    function keep() { bestPos = {}; layers.forEach(function (layer) { layer.forEach(function (n) { bestPos[n.id] = n.pos; }); }); }
    keep();
    for (var sweep = 0; layers.length > 1 && sweep < (measure ? 12 : 4) && !(measure && best === 0); sweep++) {
      var dir = sweep % 2 ? "up" : "down";
      (dir === "down" ? layers : layers.slice().reverse()).forEach(function (layer) {
        var b = {}, nsB = {}, nsC = {};
        layer.forEach(function (n) { b[n.id] = bary(n, dir); nsB[n.ns] = (nsB[n.ns] || 0) + b[n.id]; nsC[n.ns] = (nsC[n.ns] || 0) + 1; });
        layer.sort(function (x, y) {
          var gx = nsB[x.ns] / nsC[x.ns], gy = nsB[y.ns] / nsC[y.ns];
          if (x.ns !== y.ns) return gx - gy || (x.ns < y.ns ? -1 : 1);
          return b[x.id] - b[y.id] || (x.title < y.title ? -1 : x.title > y.title ? 1 : 0);
        });
        layer.forEach(function (n, k) { n.pos = k; });
      });
      if (!measure) keep();
      else { var cr = crossings(); if (cr < best) { best = cr; keep(); } }
    }
    layers.forEach(function (layer) {
      layer.forEach(function (n) { n.pos = bestPos[n.id]; });
      layer.sort(function (x, y) { return x.pos - y.pos; });
    });
    var height = 0;
    layers.forEach(function (layer) {
      var y = 0, prev = null;
      layer.forEach(function (n) {
        if (prev !== null && prev !== n.ns) y += GROUP_GAP;
        n.y = y + 16; y += (n.kind === "dummy" ? DUMMY_H : NODE_H + GAP_Y); prev = n.ns;
      });
      layer.h = y;
      height = Math.max(height, y);
    });
    layers.forEach(function (layer, i) {
      var off = (height - layer.h) / 2;
      layer.forEach(function (n) { n.y += off; n.x = i * (NODE_W + GAP_X); });
    });
    c.layers = layers;
    c.w = layers.length * (NODE_W + GAP_X) - GAP_X;
    c.h = height;
  }
  comps.forEach(layoutComponent);
  comps.sort(function (a, b) { return b.nodes.length - a.nodes.length || b.w - a.w; });
  var area = 0, widest = 0;
  comps.forEach(function (c) { area += (c.w + PACK_GAP) * (c.h + PACK_GAP); widest = Math.max(widest, c.w); });
  var aspect = Math.max(0.8, (window.innerWidth - 430) / Math.max(200, window.innerHeight - 45));
  var rowW = Math.max(widest, Math.sqrt(area * aspect)), px = 0, py = 0, rowH = 0, graphW = 0;
  comps.forEach(function (c) {
    if (px > 0 && px + c.w > rowW) { px = 0; py += rowH + PACK_GAP; rowH = 0; }
    c.layers.forEach(function (layer) { layer.forEach(function (n) { n.x += 20 + px; n.y += py; }); });
    px += c.w + PACK_GAP; rowH = Math.max(rowH, c.h); graphW = Math.max(graphW, px - PACK_GAP);
  });
  var graphH = py + rowH;

  // ---------------------------------------------------------------- drawing
  var host = document.getElementById("graph");
  var root = svg("svg", { "data-testid": "lineage-graph" });
  var defs = svg("defs");
  var marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3b5" }));
  defs.appendChild(marker);
  var markerHl = marker.cloneNode(true);
  markerHl.setAttribute("id", "arrow-hl");
  markerHl.firstChild.setAttribute("fill", "#2b6cdf");
  defs.appendChild(markerHl);
  root.appendChild(defs);
  var scene = svg("g");
  root.appendChild(scene);
  host.appendChild(root);

  comps.forEach(function (c) { c.layers.forEach(function (layer) {
    var start = null;
    layer.forEach(function (n, k) {
      if (n.kind === "dummy") return;
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
  }); });

  // job names on edges: only when there is more than one job to tell apart, and not on huge graphs
  // (the tooltip always names them)
  var edgeJobs = {};
  links.forEach(function (l) { l.jobs.forEach(function (j) { edgeJobs[j] = true; }); });
  var edgeEls = [], showLabels = links.length <= 600 && Object.keys(edgeJobs).length > 1;
  var BASIS_TEXT = {
    lineage: "the output's column lineage names this input",
    event: "the output's own event lists this input",
    coarse: "coarse: only an event listing every input and output of the run; a possible edge, not a known one"
  };
  links.forEach(function (l) {
    var a = byId[l.from], b = byId[l.to], d, lx, ly;
    var x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    if (l.from === l.to) {  // the output's lineage names the dataset itself (e.g. DELETE ... WHERE on it)
      var sx = a.x + NODE_W - 40;
      d = "M " + sx + " " + a.y + " C " + (sx - 10) + " " + (a.y - 34) + ", " + (x1 + 34) + " " + (a.y - 24) + ", " + x1 + " " + (a.y + 8);
      lx = x1 + 10; ly = a.y - 22;
    } else if (l.back || x2 <= x1) {
      var low = Math.max(a.y, b.y) + NODE_H + 30;
      d = "M " + x1 + " " + y1 + " C " + (x1 + 60) + " " + low + ", " + (x2 - 60) + " " + low + ", " + x2 + " " + y2;
      lx = (x1 + x2) / 2; ly = low - 4;
    } else {
      var pts = [[x1, y1]];
      l.via.forEach(function (v) { pts.push([v.x, v.y + DUMMY_H / 2], [v.x + NODE_W, v.y + DUMMY_H / 2]); });
      pts.push([x2, y2]);
      d = "M " + x1 + " " + y1;
      for (var k = 1; k < pts.length; k++) {
        var p0 = pts[k - 1], p1 = pts[k];
        if (k % 2) { var mx = (p0[0] + p1[0]) / 2; d += " C " + mx + " " + p0[1] + ", " + mx + " " + p1[1] + ", " + p1[0] + " " + p1[1]; }
        else d += " L " + p1[0] + " " + p1[1];
      }
      lx = (pts[0][0] + pts[1][0]) / 2; ly = (pts[0][1] + pts[1][1]) / 2 - 4;
    }
    var names = l.jobs.map(function (j) { return jobs[j].name; });
    var toJob = a.kind === "job" || b.kind === "job";
    var p = svg("path", { "class": "edge" + (l.basis === "coarse" ? " coarse" : "") + (toJob ? " tojob" : ""), d: d,
                          "data-from": l.from, "data-to": l.to, "data-jobs": names.join("|"),
                          "data-basis": toJob ? (a.kind === "job" ? "writes" : "reads") : l.basis });
    var tip = svg("title");
    tip.textContent = l.jobs.map(jobLabel).join("\n") + "\n" + (toJob ? (a.kind === "job"
      ? "written by the job; no upstream dataset is known" : "read by the job; feeds none of its outputs")
      : BASIS_TEXT[l.basis]);
    p.appendChild(tip);
    scene.appendChild(p);
    var label = null;
    if (!toJob && showLabels) {
      label = svg("text", { "class": "edgelabel", x: lx, y: ly, "text-anchor": "middle" });
      label.textContent = (names[0].length > 28 ? names[0].slice(0, 27) + "…" : names[0]) +
        (names.length > 1 ? " +" + (names.length - 1) : "") + (l.basis === "coarse" ? " (coarse)" : "");
      scene.appendChild(label);
    }
    edgeEls.push({ link: l, el: p, label: label });
  });

  var nodeEls = {};
  nodes.forEach(function (n) {
    var g = svg("g", { "class": "node " + n.kind, transform: "translate(" + n.x + "," + n.y + ")", "data-id": n.id,
                       "data-label": n.kind === "dataset" ? datasets[n.ds].label : jobLabel(n.job) });
    g.appendChild(svg("rect", { width: NODE_W, height: NODE_H }));
    var strip = svg("rect", { "class": "strip", x: 0.5, y: 0.5, width: 4, height: NODE_H - 1 });
    strip.style.fill = nsColor[n.kind === "dataset" ? n.ns : ""] || "#8b5cf6";  // inline: beats the g.node rect rules
    strip.style.stroke = "none";
    g.appendChild(strip);
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
  function legendLine(cls, text, title) {
    var row = el("div", { "class": "legend-edge", title: title });
    row.appendChild(el("span", { "class": "ln " + cls }));
    row.appendChild(document.createTextNode(text));
    legend.appendChild(row);
  }
  legendLine("", "lineage: written from", "the output's column lineage (or its own event) names the input");
  if (links.some(function (l) { return l.basis === "coarse"; }))
    legendLine("coarse", "coarse: possibly written from", BASIS_TEXT.coarse);
  if (nodes.some(function (n) { return n.kind === "job"; }))
    legendLine("tojob", "read into no output / written from no known dataset", "edges to and from a job node");
  host.appendChild(legend);

  // pan and zoom
  var view = { x: 0, y: 0, k: 1 };
  function apply() { scene.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")"); }
  function fit() {
    var w = host.clientWidth || 800, h = host.clientHeight || 600;
    var gw = graphW + 40, gh = graphH + 60;
    view.k = Math.min(1.2, Math.max(0.02, Math.min(w / gw, h / gh)));
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
    for (var qi = 0; qi < queue.length; qi++) {
      var cur = queue[qi];
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
    var dsLinks = links.filter(function (l) { return byId[l.from].kind === "dataset" && byId[l.to].kind === "dataset"; });
    var coarse = dsLinks.filter(function (l) { return l.basis === "coarse"; }).length;
    panel.appendChild(el("p", { "class": "hint", "data-testid": "intro" }, datasets.length + " datasets, " + jobs.length + " jobs, " +
      dsLinks.length + " dataset edges" + (coarse ? " (" + coarse + " coarse)" : "") + ", " + colEdges.length +
      " column edges. An edge means the output's lineage names the input" + (coarse ? "; a dashed one only that the run read it" : "") +
      ". Click a dataset to see its columns; click a column to see where it comes from and where it goes."));
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
    edgeEls.forEach(function (x) { markEdge(x, !!(keep[x.link.from] && keep[x.link.to])); });
  }
  function markEdge(x, on) {
    x.el.classList.toggle("hl", on); x.el.classList.toggle("dim", !on);
    if (x.label) x.label.classList.toggle("dim", !on);
  }
  // a clicked node with its neighbours and the edges between them
  function focusNode(id) {
    var n = byId[id], keep = {};
    keep[id] = true;
    n.inn.concat(n.out).forEach(function (l) { keep[l.from] = true; keep[l.to] = true; });
    Object.keys(nodeEls).forEach(function (k) {
      nodeEls[k].classList.toggle("dim", !keep[k]);
      nodeEls[k].classList.toggle("related", !!keep[k] && k !== id);
      nodeEls[k].classList.toggle("selected", k === id);
    });
    edgeEls.forEach(function (x) { markEdge(x, x.link.from === id || x.link.to === id); });
  }
  function clearHighlight() {
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.remove("dim", "selected", "related"); });
    edgeEls.forEach(function (x) { x.el.classList.remove("hl", "dim"); if (x.label) x.label.classList.remove("dim"); });
  }
  function showJob(j) {
    clearPanel(); focusNode("j" + j);
    panel.appendChild(el("h2", null, jobLabel(j)));
    panel.appendChild(el("p", { "class": "hint" }, jobs[j].runs + " runs"));
    panel.appendChild(el("h3", null, "reads"));
    var ul = el("ul"); jobs[j].inputs.forEach(function (d) { ul.appendChild(el("li", null, datasets[d].label)); }); panel.appendChild(ul);
    panel.appendChild(el("h3", null, "writes"));
    ul = el("ul"); jobs[j].outputs.forEach(function (d) { ul.appendChild(el("li", null, datasets[d].label)); }); panel.appendChild(ul);
  }
  function showDataset(ds, selectedField) {
    var d = datasets[ds];
    clearPanel(); focusNode("d" + ds);
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
    datasetList("written from", byId["d" + ds].inn, "from", "upstream-datasets");
    datasetList("feeds", byId["d" + ds].out, "to", "downstream-datasets");
  }
  function datasetList(title, ls, end, testid) {
    ls = ls.filter(function (l) { return byId[l.from].kind === "dataset" && byId[l.to].kind === "dataset"; });
    panel.appendChild(el("h3", null, title));
    var ul = el("ul", { "data-testid": testid });
    if (!ls.length) ul.appendChild(el("li", { "class": "hint" }, "none known"));
    ls.forEach(function (l) {
      var other = byId[l[end]].ds;
      var li = el("li", { "class": "dataset-link", "data-dataset": datasets[other].label, "data-basis": l.basis });
      li.appendChild(el("span", null, datasets[other].label + " "));
      li.appendChild(el("span", { "class": "badge" + (l.basis === "coarse" ? " derived" : ""), title: BASIS_TEXT[l.basis] }, l.basis));
      li.appendChild(el("div", { "class": "type" }, "by " + l.jobs.map(jobLabel).join(", ")));
      li.addEventListener("click", function () { showDataset(other); });
      ul.appendChild(li);
    });
    panel.appendChild(ul);
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
