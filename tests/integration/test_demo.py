"""`make demo` (integration/demo.py) end to end: its terminal report and its HTML view in headless Chromium."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from integration import harness
from integration.summary import Names
from tests.conftest import run_python

from . import expected_lineage as exp

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = run_python([str(harness.REPO / "integration" / "demo.py"), "--out", str(out)], env=harness.base_env(),
                      cwd=harness.REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, out


def label(ds) -> str:
    return f"{ds[0]}/{ds[1]}"


def expected_dataset_edges() -> set:
    """(input, output) of every dataset edge the expected lineage supports: an output's upstream
    datasets are those its column lineage names."""
    edges = set()
    for output, spec in exp.EXPECTED["outputs"].items():
        upstream = {e[0] for edges_ in spec["fields"].values() for e in edges_} | {e[0] for e in spec["dataset"]}
        edges |= {(u, output) for u in upstream}
    return edges


def test_demo_summary_says_what_a_governance_engineer_needs(demo):
    proc, out = demo
    text = proc.stdout
    block = text[text.index("\njob "):]
    lines = block.strip().splitlines()
    assert len(lines) <= 24, block  # about 20 lines, paths included
    assert re.search(r"^job +demo/integration\.pipeline: 1 run \(COMPLETE 1\)$", block, re.M)
    # datasets read and written, per system, exactly
    listed = set()
    for verb, ns, names in re.findall(r"^(reads|writes) +\w+ +(\S+): (.+)$", block, re.M):
        listed |= {(verb, ns, name) for name in names.split(", ")}
    outputs = set(exp.EXPECTED["outputs"])
    assert listed == {("reads", *d) for d in exp.EXPECTED["inputs"] - outputs} | {("writes", *d) for d in outputs}
    # what each written dataset comes from: the supported edges only
    edges = expected_dataset_edges()
    names = Names(exp.EXPECTED["inputs"] | outputs)
    said = {m[0]: set(m[1].split(", ")) for m in re.findall(r"^  (\S+) +<- (.+?)(?:  \(.*\))?$", block, re.M)}
    want = {names(*o): {("itself" if u == o else names(*u)) for u, o2 in edges if o2 == o} or {"?"} for o in outputs}
    assert said == want
    columns = re.search(r"^columns +(\d+) column edges \+ (\d+) row-level: DIRECT (.+); INDIRECT (.+) \((\d+) masked\)$",
                        block, re.M)
    assert columns and "IDENTITY" in columns[3] and "JOIN" in columns[4] and int(columns[5]) >= 1
    # PII: where it flows and where the hash stops it
    assert "  SHOP.CRM.CUSTOMERS.EMAIL -> customers.parquet.email (copied) -> features.parquet.email_hash " \
           "(masked, stops)" in block
    assert "  SHOP.CRM.CUSTOMERS.FULL_NAME -> customers.parquet.full_name (copied)" in block
    assert "  contact_preferences.csv.phone -> features.parquet.sms_reachable (derived)" in block
    assert re.search(r"^gaps +0 approximate column\(s\), 0 unparsed statement\(s\)", block, re.M)
    [events] = re.findall(r"^events +(\S+)", text, re.M)
    [view] = re.findall(r"^HTML view +(\S+)", text, re.M)
    assert os.path.isfile(events) and events.startswith(str(out))
    assert os.path.isfile(view) and view == str(out / "lineage.html")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
def test_demo_html_view_in_headless_chromium(demo):
    from playwright.sync_api import sync_playwright

    _, out = demo
    errors: list[str] = []
    expected = expected_dataset_edges()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith("file:") else None)
            page.goto((out / "lineage.html").as_uri())
            labels = set(page.eval_on_selector_all("g.node.dataset", "els => els.map(e => e.dataset.label)"))
            assert labels == {label(d) for d in exp.EXPECTED["inputs"] | set(exp.EXPECTED["outputs"])}
            ids = dict(page.eval_on_selector_all("g.node", "els => els.map(e => [e.dataset.id, e.dataset.label])"))
            edges = page.eval_on_selector_all(
                "path.edge", "els => els.map(e => [e.dataset.from, e.dataset.to, e.dataset.jobs, e.dataset.basis])")
            drawn = {(ids[f], ids[t], basis) for f, t, jobs, basis in edges}
            assert all(jobs == "integration.pipeline" for _, _, jobs, _ in edges)
            want = {(label(u), label(o), "lineage") for u, o in expected}
            assert drawn == want
            page.click(f'g.node.dataset[data-label="{label(exp.FEATURES)}"]')
            upstream = page.eval_on_selector_all("[data-testid=upstream-datasets] li.dataset-link",
                                                 "els => els.map(e => e.dataset.dataset)")
            assert sorted(upstream) == sorted(label(u) for u, o in expected if o == exp.FEATURES)
            page.click('li.column[data-column="email_hash"]')
            upstream = page.eval_on_selector_all("[data-testid=upstream] li.lineage-item",
                                                 "els => els.map(e => e.dataset.column)")
            assert f"{label(exp.STG_CUSTOMERS)}.email" in upstream
            assert f"{label(exp.CUSTOMERS)}.EMAIL" in upstream  # through the staging file
            assert page.locator("[data-testid=upstream]").inner_text().count("masked") >= 1
        finally:
            browser.close()
    assert not errors, errors
