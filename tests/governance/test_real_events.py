"""The survey, the policy drafts and the view on events of real instrumented pandas jobs."""

from __future__ import annotations

import csv
import json
import textwrap

from openlineage_monkeypatch.cli import main
from tests.conftest import run_python

EXTRACT = textwrap.dedent("""
    import hashlib
    import pandas as pd

    customers = pd.read_csv("customers.csv")
    french = customers[customers["country"] == "FR"].copy()
    french["email_hash"] = french["email"].map(lambda e: hashlib.sha256(e.encode()).hexdigest())
    french["name_upper"] = french["name"].str.upper()
    french[["id", "email_hash", "name_upper", "amount"]].to_csv("stage.csv", index=False)
""")
REPORT = textwrap.dedent("""
    import pandas as pd

    stage = pd.read_csv("stage.csv")
    totals = stage.groupby("name_upper", as_index=False)["amount"].sum()
    totals.to_csv("report.csv", index=False)
    stage[["name_upper"]].to_csv("names.csv", index=False)
""")


def test_two_real_pandas_jobs(tmp_path, ol_env, events_file, capsys):
    work = tmp_path / "work"
    work.mkdir()
    with open(work / "customers.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "name", "country", "amount"])
        writer.writerows([(1, "a@x.fr", "Ann", "FR", 10), (2, "b@x.de", "Bob", "DE", 20), (3, "c@x.fr", "Cy", "FR", 5)])
    (work / "extract.py").write_text(EXTRACT)
    (work / "report.py").write_text(REPORT)
    for script in ("extract.py", "report.py"):
        done = run_python([script], ol_env, cwd=work)
        assert done.returncode == 0, done.stderr
    rules = tmp_path / "classes.yml"
    rules.write_text("customers.csv.email: PII\ncustomers.csv.name: PII\n")
    out = tmp_path / "survey.json"
    assert main(["survey", str(events_file), "--classifications", str(rules), "--format", "json",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    f = lambda name: f"file:{work / name}"  # noqa: E731
    assert data["input"]["skipped"] == {"malformed": 0, "invalid": 0, "otherProducer": 0, "duplicate": 0,
                                        "outsideWindow": 0}
    assert sorted((j["name"], j["runs"], j["states"]["COMPLETE"]) for j in data["jobs"]) == [
        ("extract.py", 1, 1), ("report.py", 1, 1)]
    datasets = {d["label"]: d for d in data["datasets"]}
    assert [r["job"]["name"] for r in datasets[f("stage.csv")]["readers"]] == ["report.py"]
    assert [w["job"]["name"] for w in datasets[f("stage.csv")]["writers"]] == ["extract.py"]
    how = {(u["job"]["name"], u["column"]): u["how"] for u in data["columnUsage"]
           if u["dataset"] == str(work / "customers.csv")}
    assert how[("extract.py", "country")] == "indirect only (filter)"
    assert how[("extract.py", "email")] == "masked"
    assert how[("extract.py", "name")] == "returned"
    sens = data["sensitive"]
    assert {d["label"]: d["origins"] for d in sens["derived"]} == {
        f("stage.csv") + ".name_upper": [f("customers.csv") + ".name"],
        f("report.csv") + ".name_upper": [f("customers.csv") + ".name"],
        f("names.csv") + ".name_upper": [f("customers.csv") + ".name"],
    }
    assert [(s["from"], s["to"], s["reason"]) for s in sens["stopped"]] == [
        (f("customers.csv") + ".email", f("stage.csv") + ".email_hash", "masking")]
    deps = {d["label"]: {x["label"] for x in d["downstream"] if x["direct"]} for d in data["dependencies"]}
    assert deps[f("customers.csv") + ".name"] == {f("stage.csv") + ".name_upper", f("report.csv") + ".name_upper",
                                                  f("names.csv") + ".name_upper"}
    assert data["gaps"]["unfinishedRuns"]["total"] == 0

    html = tmp_path / "lineage.html"
    assert main(["view", str(events_file), "--out", str(html)]) == 0
    page_data = html.read_text().split('<script id="lineage-data" type="application/json">')[1].split("</script>")[0]
    embedded = json.loads(page_data)
    assert sorted(d["label"] for d in embedded["datasets"]) == sorted(
        f(n) for n in ("customers.csv", "names.csv", "report.csv", "stage.csv"))
    ops = [o for key, items in embedded["operations"].items() for o in items]
    extract_steps = {o["operation"] for o in ops if (o["location"] or "").startswith(f"{work / 'extract.py'}:")}
    assert {"pandas.read_csv", "Series.str.upper"} <= extract_steps, extract_steps
    labels = [d["label"] for d in embedded["datasets"]]
    edges = sorted((labels[e["from"]], labels[e["to"]], [(embedded["jobs"][x["job"]]["name"], x["basis"])
                                                         for x in e["jobs"]]) for e in embedded["datasetEdges"])
    assert edges == sorted([
        (f("customers.csv"), f("stage.csv"), [("extract.py", "lineage")]),
        (f("stage.csv"), f("report.csv"), [("report.py", "lineage")]),
        (f("stage.csv"), f("names.csv"), [("report.py", "lineage")]),
    ])
    assert embedded["jobLinks"] == []
