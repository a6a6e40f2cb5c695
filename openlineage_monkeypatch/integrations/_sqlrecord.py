"""One SQL statement -> one lineage record (shared by the Snowflake integration and pandas' SQL I/O).

A statement that touches datasets becomes exactly one RUNNING event: its inputs (schema facet with
the fields it read), its outputs (schema, columnLineage with transformation types, our column
operations), the sql job facet, the externalQuery run facet (the database's query id), and our
access facet on each dataset with the privileges the statement needed. A statement that could not
be parsed becomes a RUNNING event with the sql and extractionError facets; the job still ran it.
"""

from __future__ import annotations

from .. import run
from ..lineage import facets, model
from ..lineage import sql as sqllineage
from ..naming import DatasetId

_NEEDS_WAREHOUSE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "UNLOAD", "CREATE TABLE",
                              "CREATE TABLE CLONE"})
_RESETS = frozenset({"OVERWRITE", "TRUNCATE", "DROP", "CREATE"})


def system_of(dataset: DatasetId, default: str) -> str:
    namespace = dataset.namespace
    if namespace == "file" or namespace.startswith("file://"):
        return "file"
    if namespace.startswith(("s3://", "gs://", "abfss://", "wasbs://")):
        return namespace.split("://", 1)[0]
    return default


def usage_privileges(dataset: DatasetId, namespace: str, dialect: str) -> list[tuple[str, str, str]]:
    """USAGE on the database and schema that hold a DATABASE.SCHEMA.OBJECT dataset."""
    if dataset.namespace != namespace or dialect not in ("snowflake", "postgres", "redshift"):
        return []
    name = dataset.name.split("/", 1)[0]
    parts = sqllineage.name_parts(name, "generic") if '"' in name else name.split(".")
    if len(parts) < 3:
        return []
    database = parts[0]
    return [("USAGE", "DATABASE", database), ("USAGE", "SCHEMA", f"{database}.{parts[1]}")]


def sql_facets(statement: sqllineage.Statement, query_id: str | None, source: str | None) -> tuple[dict, dict]:
    job_facets: dict = {}
    text = sqllineage.facet_text(statement.sql) if statement.sql else None  # "": no statement of the job's own
    if text is not None:
        job_facets["sql"] = {"query": text, "dialect": statement.dialect}
    run_facets: dict = {}
    if query_id and source:
        run_facets["externalQuery"] = {"externalQueryId": str(query_id), "source": source}
    return job_facets, run_facets


def record(statement: sqllineage.Statement, *, namespace: str, system: str, api: str, query_id: str | None = None,
           warehouse: str | None = None, location: str | None = None, io: sqllineage.IOContext | None = None,
           catalog: sqllineage.Catalog | None = None) -> None:
    """Report one executed statement (see the module docstring)."""
    cat = catalog or sqllineage.catalog
    job_facets, run_facets = sql_facets(statement, query_id, namespace)
    if statement.error:
        task = job_facets.get("sql", {}).get("query") or statement.kind
        error = run.extraction_error(statement.error, task=task[:2000])
        if error:
            run_facets["extractionError"] = {"totalTasks": 1, "failedTasks": 1, "errors": [error]}
        run.statement(job_facets=job_facets, run_facets=run_facets)
        return
    if not statement.touches_data:
        if statement.kind in ("CALL", "EXECUTE"):
            run.opaque_operation(f"{system} {statement.kind}")
        return
    if statement.star is not None:
        run.opaque_operation(f"{system} SELECT * over a table whose columns this run has not seen")
    detail = job_facets.get("sql", {}).get("query")
    op = model.Op(f"{system} {statement.kind}", location, detail=detail[:300] if detail else None)

    inputs = list(statement.inputs)
    columns = [(name, model.Col(edges, op, approx)) for name, edges, approx in statement.columns]
    rows = statement.rows
    per_target = None
    if statement.per_target:
        per_target = {target: [(n, model.Col(e, op, a)) for n, e, a in cols]
                      for target, cols in statement.per_target.items()}
    privileges = list(statement.privileges)
    if io is not None and io.kind == "write" and statement.kind in ("INSERT", "COPY") and (
            statement.client_values or statement.kind == "COPY") and statement.target is not None:
        from_frame = sqllineage.frame_columns(io, statement.frame_columns or [])
        if io.api and "write_pandas" in io.api:
            # the stage is write_pandas' temporary one: the data came from the frame
            stages = {p.dataset for p in privileges if p.object_type == "STAGE"}
            inputs = [d for d in inputs if d not in stages]
            privileges = [p for p in privileges if p.object_type != "STAGE"]
            privileges.append(sqllineage.Privilege(statement.target, "CREATE STAGE", "SCHEMA",
                                                   statement.target.name.rsplit(".", 1)[0], "output"))
        if from_frame:
            columns = [(name, col.then(op)) for name, col in from_frame]
            rows = io.frame.rows if io.frame is not None else model.NO_EDGES
        io.handled = True

    referenced: set = set()
    output_records = []
    for target in statement.outputs:
        cols = per_target.get(target, []) if per_target is not None else (
            columns if target == statement.target else [])
        lifecycle = statement.lifecycle.get(target)
        reset = lifecycle in _RESETS
        if lifecycle == "DROP":
            sqllineage.written.forget(target)
            merged, merged_rows = [], model.NO_EDGES
        else:
            merged, merged_rows = sqllineage.written.merge(target, cols, rows if target == statement.target else
                                                           model.NO_EDGES, reset=reset)
        lineage = operations = None
        refs: set = set()
        if merged or merged_rows:
            lineage, refs = facets.column_lineage(merged, merged_rows)
            operations = facets.operations(merged, op if merged_rows else None)
        referenced |= refs
        known = cat.columns(target)
        fields = None
        if known is not None:
            fields = list(known)
        elif statement.fields is not None or merged:
            names = [n for n, _ in (statement.fields or [])] + [n for n, _ in merged]
            fields = [(n, None) for n in dict.fromkeys(names)]
        # set on every write, so an INSERT after a CREATE does not carry the CREATE on
        dataset_facets = {"lifecycleStateChange": {"lifecycleStateChange": lifecycle} if lifecycle in (
            "CREATE", "OVERWRITE", "TRUNCATE", "DROP", "RENAME", "ALTER") else None}
        output_records.append((target, fields, lineage, operations, refs, dataset_facets))

    event_inputs = list(dict.fromkeys(inputs + sorted({DatasetId(f.namespace, f.name) for f in referenced})))
    input_fields: dict[DatasetId, list] = {}
    for dataset in inputs:
        known = dict(cat.columns(dataset) or ())
        input_fields[dataset] = [(f, known.get(f)) for f in statement.referenced.get(dataset, ())]

    by_dataset: dict[tuple[DatasetId, str], list] = {}
    for p in privileges:
        by_dataset.setdefault((p.dataset, p.side), []).append((p.action, p.object_type, p.obj))
    uses_warehouse = statement.kind in _NEEDS_WAREHOUSE or bool(statement.inputs)
    for dataset, side in [(d, "output") for d in statement.outputs] + [(d, "input") for d in inputs
                                                                       if d not in statement.outputs]:
        entries = by_dataset.setdefault((dataset, side), [])
        entries.extend(usage_privileges(dataset, namespace, statement.dialect))
        if warehouse and uses_warehouse and system_of(dataset, system) == system:
            entries.append(("USAGE", "WAREHOUSE", warehouse))

    for dataset in inputs:
        entries = by_dataset.get((dataset, "input"), [])
        first = entries[0] if entries else (None, None, None)
        ds_system = system_of(dataset, system)
        run.read(dataset, input_fields.get(dataset) or None, action=first[0], system=ds_system, api=api,
                 object_type=first[1], object_name=first[2])
        for action, object_type, obj in entries[1:]:
            run.access(dataset, action, system=ds_system, api=api, object_type=object_type, object_name=obj)
    for target, fields, lineage, operations, refs, dataset_facets in output_records:
        entries = by_dataset.get((target, "output"), [])
        first = entries[0] if entries else (None, None, None)
        ds_system = system_of(target, system)
        run.wrote(target, fields, lineage=lineage, operations=operations, referenced=refs, inputs=inputs,
                  facets=dataset_facets, action=first[0], system=ds_system, api=api, object_type=first[1],
                  object_name=first[2], emit=False)
        for action, object_type, obj in entries[1:]:
            run.access(target, action, system=ds_system, api=api, object_type=object_type, object_name=obj,
                       output=True)
    run.statement(inputs=event_inputs, outputs=list(statement.outputs), job_facets=job_facets,
                  run_facets=run_facets)


def record_failure(statement: sqllineage.Statement, error: BaseException, *, system: str) -> None:
    """A statement the database refused: its datasets go to the failed-access facet, never to lineage.

    Only the error's class and code are kept: database messages can quote data values.
    """
    code = getattr(error, "errno", None)
    state = getattr(error, "sqlstate", None)
    text = type(error).__name__ + (f" {code}" if code not in (None, -1) else "") + (f" ({state})" if state else "")
    actions = {}
    for p in statement.privileges:
        actions.setdefault(p.dataset, p.action)
    for dataset in list(statement.outputs) + list(statement.inputs):
        run.failed(dataset, actions.get(dataset, "SELECT" if dataset in statement.inputs else "WRITE"), text)
