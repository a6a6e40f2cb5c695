"""`make demo`: a small pandas job run with instrumentation switched on by environment only.

(The full pandas + S3 + Snowflake pipeline replaces this job when the integration issue lands.)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

JOB = '''
import sys
import pandas as pd

src, out = sys.argv[1], sys.argv[2]
orders = pd.read_csv(src)
orders["total"] = orders["qty"] * orders["unit_price"]
orders[["order_id", "total"]].to_csv(out, index=False)
'''


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="olmp-demo-"))
    (work / "orders.csv").write_text("order_id,qty,unit_price\n1,2,3.5\n2,1,10\n")
    (work / "job.py").write_text(JOB)
    data_dir = work / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.update(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(data_dir))
    proc = subprocess.run([sys.executable, "job.py", "orders.csv", "totals.csv"], cwd=work, env=env)
    events = sorted(data_dir.rglob("*.ndjson"))
    print(f"\njob exit code {proc.returncode}; events: {', '.join(map(str, events)) or 'none'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
