"""From provenance to facet data: columnLineage (standard) and monkeypatch_columnOperations (ours).

The result is plain JSON-ready data; the emitter turns it into the client's facet classes off the
job's thread. Edges are normalized per input field: one DIRECT transformation (the strongest
subtype; masked only when every DIRECT path was masked) and each distinct INDIRECT subtype once.
"""

from __future__ import annotations

from typing import Iterable

from .model import DIRECT, DIRECT_RANK, INDIRECT, Col, Field, Frame


def normalize(edges: Iterable) -> dict[Field, list[dict]]:
    """Field -> the transformations list of its InputField, in a stable order."""
    direct: dict[Field, list] = {}
    indirect: dict[Field, set] = {}
    for field, kind, subtype, masking in edges:
        if kind == DIRECT:
            current = direct.get(field)
            if current is None:
                direct[field] = [subtype, bool(masking)]
            else:
                if DIRECT_RANK.get(subtype, 2) > DIRECT_RANK.get(current[0], 2):
                    current[0] = subtype
                current[1] = current[1] and bool(masking)
        else:
            indirect.setdefault(field, set()).add(subtype)
    out: dict[Field, list[dict]] = {}
    for field in sorted(set(direct) | set(indirect)):
        transformations = []
        if field in direct:
            subtype, masking = direct[field]
            transformations.append({"type": DIRECT, "subtype": subtype, "masking": masking})
        for subtype in sorted(indirect.get(field, ())):
            transformations.append({"type": INDIRECT, "subtype": subtype, "masking": False})
        out[field] = transformations
    return out


def _input_fields(edges) -> list[dict]:
    return [
        {"namespace": f.namespace, "name": f.name, "field": f.field, "transformations": transformations}
        for f, transformations in normalize(edges).items()
    ]


def summary(input_fields: list[dict]) -> tuple[str, str]:
    """The facet's deprecated per-column `transformationType` / `transformationDescription`.

    Marquez reads only these two (not the per-edge transformations), so filling them makes the types
    visible in its column-lineage view: IDENTITY or MASKED in the old sense when that is all there
    is, else the strongest DIRECT subtype (or INDIRECT), and a short description without values.
    """
    direct = [t for f in input_fields for t in f["transformations"] if t["type"] == DIRECT]
    if direct and all(t["masking"] for t in direct):
        kind = "MASKED"
    elif direct:
        kind = max((t["subtype"] for t in direct), key=lambda sub: DIRECT_RANK.get(sub, 2))
    else:
        kind = INDIRECT
    parts = []
    for f in input_fields:
        types = ", ".join(f"{t['type']}/{t['subtype']}" + (" masked" if t["masking"] else "") for t in f["transformations"])
        parts.append(f"{f['name'].rsplit('/', 1)[-1]}.{f['field']} ({types})")
    return kind, "; ".join(parts)[:1000]


def column_lineage(columns: list[tuple[str, Col]], rows: Iterable = ()) -> tuple[dict, set[Field]]:
    """(columnLineage facet data, every input Field it references) for named output columns."""
    fields: dict[str, dict] = {}
    referenced: set[Field] = set()
    for name, col in columns:
        if not col.edges:
            continue
        input_fields = _input_fields(col.edges)
        kind, description = summary(input_fields)
        fields[name] = {"inputFields": input_fields, "transformationType": kind,
                        "transformationDescription": description}
        referenced.update(edge[0] for edge in col.edges)
    rows = list(rows)
    dataset = _input_fields(rows)
    referenced.update(edge[0] for edge in rows)
    data: dict = {"fields": fields}
    if dataset:
        data["dataset"] = dataset
    return data, referenced


def operations(columns: list[tuple[str, Col]], row_history=None) -> dict:
    """monkeypatch_columnOperations facet data: per output column, the steps that produced it."""
    out: dict[str, dict] = {}
    for name, col in columns:
        steps = [_step(op) for op in col.history.lineage()] if col.history is not None else []
        entry: dict = {"operations": steps}
        if col.approximate:
            entry["approximate"] = True
        if steps or col.approximate:
            out[name] = entry
    data: dict = {"fields": out}
    if row_history is not None:
        data["rows"] = [_step(op) for op in row_history.lineage()]
    return data


def _step(op) -> dict:
    step = {"operation": op.name}
    if op.location:
        step["location"] = op.location
    if op.detail:
        step["detail"] = op.detail
    return step


def frame_outputs(frame: Frame, names: list[tuple[object, str]]) -> tuple[dict, dict, set[Field]]:
    """columnLineage data, operations data and referenced fields for writing `frame`.

    `names` pairs each written column label (or ("__index__", level)) with its output field name.
    """
    columns: list[tuple[str, Col]] = []
    for label, name in names:
        if isinstance(label, tuple) and len(label) == 2 and label[0] == "__index__":
            level = label[1]
            col = frame.index[level] if level < len(frame.index) else None
        else:
            col = frame.columns.get(label)
        if col is not None:
            columns.append((name, col))
    lineage, referenced = column_lineage(columns, frame.rows)
    return lineage, operations(columns, frame.row_history), referenced
