"""A minimal self-contained HTML lineage view, used by `make demo` until the governance viewer lands.

    python -m integration.placeholder_viewer EVENTS_FILE_OR_FOLDER OUT.html

Datasets as columns of boxes (sources left, outputs right), their fields inside; click a field to
see its upstream and downstream fields, with the transformation of each edge and the file:line of
the pandas operations behind it (monkeypatch_columnOperations). No server, no external resource.
"""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path

from integration import summary

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lineage: __TITLE__</title>
<style>
body{font:13px system-ui,sans-serif;margin:0;display:flex;height:100vh}
#graph{flex:1;overflow:auto;position:relative;padding:16px;display:flex;align-items:flex-start}
#side{width:380px;border-left:1px solid #ccc;padding:12px;overflow:auto;background:#fafafa}
.layer{display:flex;flex-direction:column;margin-right:90px;gap:18px;flex:none}
.ds{border:1px solid #888;border-radius:6px;background:#fff;min-width:220px}
.ds h3{margin:0;padding:6px 8px;font-size:12px;background:#e8eef7;border-bottom:1px solid #888;word-break:break-all}
.f{padding:2px 8px;cursor:pointer;border-top:1px solid #eee}
.f:hover{background:#f0f0f0}.f.sel{background:#ffd54f}.f.up{background:#c8e6c9}.f.down{background:#bbdefb}
.pii{color:#b00020;font-weight:600}
svg{position:absolute;left:0;top:0;pointer-events:none}
code{font-size:12px}
</style></head><body>
<div id="graph"><svg id="wires"></svg></div>
<div id="side"><h2>__TITLE__</h2><p>Click a column to see where it comes from (green) and where it goes (blue).</p>
<div id="detail"></div></div>
<script>
const G = __DATA__;
const graph = document.getElementById('graph'), wires = document.getElementById('wires');
const key = (d, f) => d + '\\u0000' + f;
const layers = {}, els = new Map();
G.datasets.forEach(d => (layers[d.depth] = layers[d.depth] || []).push(d));
Object.keys(layers).sort((a, b) => a - b).forEach(depth => {
  const col = document.createElement('div'); col.className = 'layer';
  layers[depth].forEach(d => {
    const box = document.createElement('div'); box.className = 'ds';
    const h = document.createElement('h3'); h.textContent = d.id; box.appendChild(h);
    d.fields.forEach(f => {
      const el = document.createElement('div'); el.className = 'f' + (G.pii.includes(key(d.id, f)) ? ' pii' : '');
      el.textContent = f; els.set(key(d.id, f), el); el.onclick = () => select(d.id, f); box.appendChild(el);
    });
    col.appendChild(box);
  });
  graph.appendChild(col);
});
function fieldEl(k) { return els.get(k); }
function walk(start, dir) {
  const seen = new Map(), todo = [start];
  while (todo.length) {
    const k = todo.pop();
    G.edges.forEach(e => {
      const [from, to] = dir === 'up' ? [key(e.out, e.col), key(e.ds, e.field)] : [key(e.ds, e.field), key(e.out, e.col)];
      if (from === k && !seen.has(to)) { seen.set(to, e); todo.push(to); }
    });
  }
  return seen;
}
function select(ds, f) {
  document.querySelectorAll('.f').forEach(el => el.classList.remove('sel', 'up', 'down'));
  const k = key(ds, f), up = walk(k, 'up'), down = walk(k, 'down');
  fieldEl(k).classList.add('sel');
  up.forEach((e, x) => fieldEl(x) && fieldEl(x).classList.add('up'));
  down.forEach((e, x) => fieldEl(x) && fieldEl(x).classList.add('down'));
  draw([...up.values(), ...down.values()]);
  const fmt = e => '<li><code>' + e.ds + ' . ' + e.field + '</code> &rarr; <code>' + e.out + ' . ' + e.col +
    '</code> <b>' + e.type + '/' + e.subtype + (e.masking ? ' (masked)' : '') + '</b>' +
    (e.ops && e.ops.length ? '<br><small>' + e.ops.map(o => o.operation + (o.location ? ' @ ' + o.location : '')).join('<br>') + '</small>' : '') + '</li>';
  document.getElementById('detail').innerHTML = '<h3>' + ds + ' . ' + f + '</h3><h4>upstream</h4><ul>' +
    [...up.values()].map(fmt).join('') + '</ul><h4>downstream</h4><ul>' + [...down.values()].map(fmt).join('') + '</ul>';
}
function draw(edges) {
  wires.setAttribute('width', graph.scrollWidth); wires.setAttribute('height', graph.scrollHeight); wires.innerHTML = '';
  const box = graph.getBoundingClientRect();
  edges.forEach(e => {
    const a = fieldEl(key(e.ds, e.field)), b = fieldEl(key(e.out, e.col)); if (!a || !b) return;
    const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
    const x1 = ra.right - box.left + graph.scrollLeft, y1 = ra.top + ra.height / 2 - box.top + graph.scrollTop;
    const x2 = rb.left - box.left + graph.scrollLeft, y2 = rb.top + rb.height / 2 - box.top + graph.scrollTop;
    const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', `M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2},${y2}`);
    p.setAttribute('fill', 'none'); p.setAttribute('stroke', e.type === 'DIRECT' ? '#2e7d32' : '#9e9e9e');
    p.setAttribute('stroke-dasharray', e.type === 'DIRECT' ? '' : '4 3'); wires.appendChild(p);
  });
}
</script></body></html>
"""


def graph_data(events: list[dict]) -> dict:
    datasets: dict[str, list[str]] = {}
    depth: dict[str, int] = {}
    for event in events:
        for ds in (event.get("inputs") or []) + (event.get("outputs") or []):
            name = summary.short(ds["namespace"], ds["name"])
            fields = datasets.setdefault(name, [])
            for f in ((ds.get("facets") or {}).get("schema") or {}).get("fields") or []:
                if f["name"] not in fields:
                    fields.append(f["name"])
    operations = {}
    for (ns, name), facets in summary.final_outputs(events).items():
        for column, entry in ((facets.get("monkeypatch_columnOperations") or {}).get("fields") or {}).items():
            operations[(summary.short(ns, name), column)] = entry.get("operations") or []
    edges = []
    for out, column, ds, field, kind, subtype, masking in summary.edges(events):
        if column == "*":
            continue
        o, i = summary.short(*out), summary.short(*ds)
        datasets.setdefault(i, [])
        if field not in datasets[i]:
            datasets[i].append(field)
        edges.append({"out": o, "col": column, "ds": i, "field": field, "type": kind, "subtype": subtype,
                      "masking": masking, "ops": operations.get((o, column), [])})
    for _ in range(len(datasets)):  # longest path from a source, for the layout
        for e in edges:
            if e["out"] != e["ds"]:
                depth[e["out"]] = max(depth.get(e["out"], 0), depth.get(e["ds"], 0) + 1)
    pii = sorted({f"{summary.short(*t[0])}\u0000{t[1]}" for _, t, _ in summary.pii_flow(summary.edges(events))}
                 | {f"{summary.short(*s[0])}\u0000{s[1]}" for s, _, _ in summary.pii_flow(summary.edges(events))})
    return {"datasets": [{"id": d, "fields": f, "depth": min(depth.get(d, 0), 20)} for d, f in sorted(datasets.items())],
            "edges": edges, "pii": pii}


def write(events: list[dict], out: Path, title: str = "lineage") -> Path:
    data = json.dumps(graph_data(events)).replace("</", "<\\/")
    out.write_text(PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", data), encoding="utf-8")
    return out


if __name__ == "__main__":
    events = summary.load(sys.argv[1])
    print(write(events, Path(sys.argv[2]), title="lineage"))
