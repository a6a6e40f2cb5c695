"""Load-independent cost per operation: instructions executed (valgrind cachegrind), not seconds.

On a shared or throttled machine wall and CPU times drift by tens of percent; the number of
instructions a job executes does not. This runs a job script plain and instrumented, each at two
sizes, under `valgrind --tool=cachegrind --cache-sim=no`, and reports instructions per unit of
work added by the instrumentation: (I(n2) - I(n1)) / (n2 - n1), instrumented minus plain. Fixed
costs (interpreter start, imports, patching, the OpenLineage client's import on the emitter thread)
cancel out of the per-unit figure and are reported separately as the difference at n1.

    python benchmarks/instructions.py events_job.py "{out} {n}" 100 400
    python benchmarks/instructions.py ops_job.py "{n}" 20 80 --per 20

Needs valgrind; about 50x slower than native, so keep n small. Not part of run_all.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


def instructions(argv: list[str], env: dict) -> int:
    proc = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           *argv], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    match = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    return int(match.group(1).replace(",", ""))


def measure(job: str, template: str, n1: int, n2: int, per: int = 1, launcher: list[str] | None = None) -> dict:
    work = h.workdir("instr")
    out = {}
    try:
        for side in ("plain", "instrumented"):
            for n in (n1, n2):
                sub = work / f"{side}-{n}"
                sub.mkdir()
                env = h.plain_env() if side == "plain" else h.instrumented_env(sub)
                args = template.format(out=sub / "out", n=n).split()
                argv = [h.bench_python(), *(launcher or []), str(h.JOBS / job), *args]
                out[(side, n)] = instructions(argv, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    units = (n2 - n1) * per
    plain_per = (out[("plain", n2)] - out[("plain", n1)]) / units
    instr_per = (out[("instrumented", n2)] - out[("instrumented", n1)]) / units
    return {"plain_per_unit": plain_per, "instrumented_per_unit": instr_per, "added_per_unit": instr_per - plain_per,
            "ratio_per_unit": instr_per / plain_per if plain_per else None,
            "fixed_added": out[("instrumented", n1)] - out[("plain", n1)] - (instr_per - plain_per) * n1 * per,
            "raw": {f"{k[0]}-{k[1]}": v for k, v in out.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job")
    parser.add_argument("template", help='job arguments, with {n} (size) and {out} (a private folder)')
    parser.add_argument("n1", type=int)
    parser.add_argument("n2", type=int)
    parser.add_argument("--per", type=int, default=1, help="units of work per n (e.g. 20 operations per iteration)")
    args = parser.parse_args()
    r = measure(args.job, args.template, args.n1, args.n2, args.per)
    print(f"instructions per unit: plain {r['plain_per_unit']:,.0f}, instrumented {r['instrumented_per_unit']:,.0f}, "
          f"added {r['added_per_unit']:,.0f} (x{r['ratio_per_unit']:.2f}); fixed cost added {r['fixed_added']:,.0f}")


if __name__ == "__main__":
    main()
