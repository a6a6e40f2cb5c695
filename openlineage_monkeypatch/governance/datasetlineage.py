"""Dataset-to-dataset lineage: which datasets each output of a job really comes from.

An event lists inputs and outputs, not which input feeds which output: drawing every input of a
job to every output invents edges (a table the job only loads into would feed a file it wrote
before). Per run and output, the upstream datasets are, in this order of preference:

1. "lineage": the datasets its columnLineage facet names (field and dataset-level inputFields), as
   of its last mention in the run, the one the column edges come from. A dataset that is read and
   written by the same job is linked to itself only when that facet says so.
2. "event": our RUNNING events carry each output with exactly the inputs it came from; without
   column lineage, the inputs of those events (none: no upstream dataset is known).
3. "coarse": for other producers, or an output only seen in START/COMPLETE events, every input of
   every event that carries it, except itself. The view marks these edges as coarse.

`build` runs inside Store._aggregate while the `ok` (pass-1 events) and `variants` tables exist
and creates the tables `dataset_edges` (one row per job, input, output and basis, with run counts)
and `output_basis` (per job and output, how many runs had each basis).
"""

from __future__ import annotations

BASES = ("lineage", "event", "coarse")


def build(ex, our_producer_prefix: str) -> None:
    """Create `dataset_edges`; `ex` runs one SQL statement (Store._exec)."""
    prefix = "'" + our_producer_prefix.replace("'", "''") + "'"
    # each output of each run: the facets hash of its last mention, and whether one of our
    # RUNNING events carried it
    ex(f"""
        CREATE TEMP TABLE run_outputs AS
        WITH m AS (
          SELECT run_id, job_ns, job_name, t, rid,
                 event_type = 'RUNNING' AND starts_with(coalesce(producer, ''), {prefix}) AS precise,
                 unnest(outputs) AS o
          FROM ok
        )
        SELECT run_id, any_value(job_ns) AS job_ns, any_value(job_name) AS job_name, o.ns AS ns, o.name AS name,
               arg_max(o.h, (t, rid)) AS h, bool_or(precise) AS precise, min(t) AS first_seen, max(t) AS last_seen
        FROM m WHERE o.ns IS NOT NULL AND o.name IS NOT NULL
        GROUP BY run_id, o.ns, o.name
    """)
    # the output variants that carry a columnLineage facet, and the datasets it names
    ex("""
        CREATE TEMP TABLE lineage_refs AS
        WITH v AS (
          SELECT job_ns, job_name, ns, name, h, f.columnLineage AS cl FROM variants
          WHERE role = 'output' AND f.columnLineage IS NOT NULL
        ), fields AS (
          SELECT job_ns, job_name, ns, name, h, unnest(map_values(coalesce(cl.fields, MAP {}))) AS spec FROM v
        ), refs AS (
          SELECT job_ns, job_name, ns, name, h, unnest(spec.inputFields) AS i FROM fields
          UNION ALL
          SELECT job_ns, job_name, ns, name, h, unnest(cl.dataset) AS i FROM v
        )
        SELECT DISTINCT job_ns, job_name, ns, name, h, NULL::VARCHAR AS in_ns, NULL::VARCHAR AS in_name FROM v
        UNION ALL
        SELECT DISTINCT job_ns, job_name, ns, name, h, i.namespace, i.name FROM refs
        WHERE i.namespace IS NOT NULL AND i.name IS NOT NULL
    """)
    ex("""
        CREATE TEMP TABLE run_basis AS
        SELECT r.*, CASE WHEN EXISTS (SELECT 1 FROM lineage_refs l
                                      WHERE l.job_ns = r.job_ns AND l.job_name = r.job_name AND l.ns = r.ns
                                        AND l.name = r.name AND l.h = r.h)
                         THEN 'lineage' WHEN r.precise THEN 'event' ELSE 'coarse' END AS basis
        FROM run_outputs r
    """)
    ex("DROP TABLE run_outputs")
    ex("""
        CREATE TABLE dataset_edges AS
        WITH by_lineage AS (
          SELECT r.job_ns, r.job_name, l.in_ns, l.in_name, r.ns AS out_ns, r.name AS out_name, 'lineage' AS basis,
                 r.run_id, r.first_seen, r.last_seen
          FROM run_basis r JOIN lineage_refs l
            ON l.job_ns = r.job_ns AND l.job_name = r.job_name AND l.ns = r.ns AND l.name = r.name AND l.h = r.h
          WHERE r.basis = 'lineage' AND l.in_ns IS NOT NULL
        ), wanted AS (
          SELECT DISTINCT run_id FROM run_basis WHERE basis <> 'lineage'
        ), m AS (
          SELECT o.run_id, o.t, o.event_type, o.producer, unnest(o.outputs) AS out, o.inputs
          FROM ok o SEMI JOIN wanted w ON w.run_id = o.run_id
          WHERE len(o.inputs) > 0
        ), pairs AS (
          SELECT run_id, event_type, producer, out.ns AS out_ns, out.name AS out_name, unnest(inputs) AS i FROM m
        ), by_event AS (
          SELECT r.job_ns, r.job_name, p.i.ns AS in_ns, p.i.name AS in_name, r.ns AS out_ns, r.name AS out_name,
                 r.basis, r.run_id, r.first_seen, r.last_seen
          FROM pairs p JOIN run_basis r ON r.run_id = p.run_id AND r.ns = p.out_ns AND r.name = p.out_name
          WHERE p.i.ns IS NOT NULL AND p.i.name IS NOT NULL
            AND ((r.basis = 'event' AND p.event_type = 'RUNNING'
                  AND starts_with(coalesce(p.producer, ''), {prefix}))
                 OR (r.basis = 'coarse' AND NOT (p.i.ns = r.ns AND p.i.name = r.name)))
        )
        SELECT job_ns, job_name, in_ns, in_name, out_ns, out_name, basis, count(DISTINCT run_id) AS runs,
               min(first_seen) AS first_seen, max(last_seen) AS last_seen
        FROM (SELECT * FROM by_lineage UNION ALL SELECT * FROM by_event)
        GROUP BY ALL
    """.replace("{prefix}", prefix))
    ex("""
        CREATE TABLE output_basis AS
        SELECT job_ns, job_name, ns, name, basis, count(*) AS runs FROM run_basis GROUP BY ALL
    """)
    ex("DROP TABLE run_basis")
    ex("DROP TABLE lineage_refs")
