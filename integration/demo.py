"""`make demo`: the customer-features pipeline, instrumented by one environment variable, and its lineage.

1. starts a local S3 (moto) and a local Snowflake (fakesnow) on 127.0.0.1, each in its own process;
2. seeds them: raw CSV / JSON lines in S3, customers, orders, products in Snowflake;
3. runs integration/pipeline/ unmodified, with OPENLINEAGE_MONKEYPATCH_ENABLED=1 and nothing else
   about lineage: events go to the embedded default transport, here in demo-output/ (git-ignored)
   instead of the per-user data folder, so a demo never mixes with real lineage;
4. stops the servers, prints a summary (integration/summary.py: the job, datasets read and written
   per system, what each written dataset comes from, column edges by transformation type, where PII
   flows and where masking stops it, coverage gaps) and writes the self-contained HTML lineage view
   (what `openlineage-monkeypatch view` writes) next to the events.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from integration import harness, servers, summary  # noqa: E402

OUT = REPO / "demo-output"
JOB_NAMESPACE = "demo"
PII = REPO / "integration" / "pii.yml"
TITLE = "customer features demo"


def view_command(events_dir: Path, out: Path) -> str:
    return (f"openlineage-monkeypatch view {_shown(events_dir)} --classifications {_shown(PII)} "
            f"--title '{TITLE}' --out {_shown(out)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: demo-output/, emptied first)")
    out = parser.parse_args(argv).out.resolve()
    started = time.monotonic()
    shutil.rmtree(out, ignore_errors=True)
    data_dir = out / "data"
    print("starting local S3 (moto) and Snowflake (fakesnow) on 127.0.0.1 ...", flush=True)
    s3 = servers.start("s3")
    try:
        snowflake = servers.start("snowflake")
        try:
            harness.seed(s3, snowflake)
            print("seeded: s3://acme-raw (CRM export CSV, web events JSON lines), Snowflake SHOP.CRM / SHOP.SALES",
                  flush=True)
            env = harness.pipeline_env(s3, snowflake, OPENLINEAGE_MONKEYPATCH_ENABLED="1",
                                       OPENLINEAGE_NAMESPACE=JOB_NAMESPACE,
                                       OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(data_dir))
            print(f"running: OPENLINEAGE_MONKEYPATCH_ENABLED=1 python {' '.join(harness.PIPELINE[:2])} "
                  f"{' '.join(harness.PIPELINE[2:])}", flush=True)
            proc = harness.run_pipeline(env)
        finally:
            snowflake.stop()
    finally:
        s3.stop()
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        print(f"the pipeline failed (exit code {proc.returncode})", file=sys.stderr)
        return proc.returncode
    events_dir = data_dir / "events"
    event_files = sorted(events_dir.rglob("*.ndjson"))
    if not event_files:
        sys.stderr.write(proc.stderr[-4000:])
        print("no lineage events were written", file=sys.stderr)
        return 1
    view = out / "lineage.html"
    from openlineage_monkeypatch import viewer

    # one survey of the events (openlineage_monkeypatch.governance) for the summary and the view,
    # which is what `openlineage-monkeypatch view` writes
    with summary.open_survey(events_dir, PII) as survey:
        print()
        print(summary.format_text(survey, _shown(PII)))
        viewer.write(str(view), viewer.build_data(survey, TITLE, survey.sensitive(), survey.store.summary.notes))
    print()
    for path in event_files:
        print(f"events     {_shown(path)}  ({len(path.read_text().splitlines())} OpenLineage events)")
    print(f"HTML view  {_shown(view)}  (self-contained, no server: open file://{view})")
    print(f"           the same page: {view_command(events_dir, view)}")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main(sys.argv[1:]))
