"""The self-contained HTML lineage view in headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import os

import pytest

from openlineage_monkeypatch.cli import main

from .scenarios import CLASSIFICATIONS, three_jobs

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to test the page")


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"file://{path}")
    page.wait_for_selector("g.node")
    return page, problems, requests


def test_view_shows_the_graph_and_column_lineage(browser, tmp_path):
    events = tmp_path / "events.ndjson"
    three_jobs().write(events)
    out = tmp_path / "lineage.html"
    assert main(["view", str(events), "--out", str(out)]) == 0
    text = out.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text.split(
        '<script id="lineage-data"')[0]
    page, problems, requests = _open(browser, out)
    labels = sorted(page.locator("g.node").evaluate_all("els => els.map(e => e.dataset.label)"))
    assert labels == ["bi/audit", "file:/data/customers.csv", "file:/out/report.csv",
                      "s3://lake/stage/customers.parquet", "snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS"]
    edges = sorted(page.locator("path.edge").evaluate_all(
        "els => els.map(e => e.dataset.from + '>' + e.dataset.to + ':' + e.dataset.jobs)"))
    ids = dict(page.locator("g.node").evaluate_all("els => els.map(e => [e.dataset.label, e.dataset.id])"))
    assert edges == sorted([
        f"{ids['file:/data/customers.csv']}>{ids['s3://lake/stage/customers.parquet']}:extract",
        f"{ids['s3://lake/stage/customers.parquet']}>{ids['snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS']}:load",
        f"{ids['snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS']}>{ids['file:/out/report.csv']}:report",
        f"{ids['snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS']}>{ids['bi/audit']}:audit",
    ])
    # namespaces are grouped
    assert sorted(set(page.locator("text.nslabel").evaluate_all("els => els.map(e => e.textContent)"))) == [
        "file", "job: bi", "s3://lake", "snowflake://acme-xy123"]

    page.locator("g.node[data-label='file:/out/report.csv']").click()
    assert page.locator("[data-testid=dataset-title]").inner_text() == "file:/out/report.csv"
    assert sorted(page.locator("li.column").evaluate_all("els => els.map(e => e.dataset.column)")) == [
        "country", "customers", "email_hash", "name_upper"]
    page.locator("li.column[data-column='email_hash']").click()
    upstream = page.locator("#upstream li.lineage-item")
    items = upstream.evaluate_all("els => els.map(e => [e.dataset.column, e.dataset.hops])")
    assert sorted(items, key=lambda x: (x[1], x[0])) == [
        ["snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.COUNTRY", "1"],
        ["snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.EMAIL_NORM", "1"],
        ["s3://lake/stage/customers.parquet.country", "2"],
        ["s3://lake/stage/customers.parquet.email_norm", "2"],
        ["file:/data/customers.csv.country", "3"],
        ["file:/data/customers.csv.email", "3"],
    ]
    assert [x[1] for x in items] == ["1", "1", "2", "2", "3", "3"]
    assert items[0][0].endswith("EMAIL_NORM")  # DIRECT before INDIRECT at the same distance
    first = upstream.nth(0).inner_text()
    assert "DIRECT/TRANSFORMATION (masked)" in first and "bi/report" in first
    assert "bi/report.py:22" in first and "Series.map" in first and "sha256" in first
    assert "INDIRECT/GROUP_BY (rows)" in upstream.nth(1).inner_text()
    stage = page.locator("#upstream li.lineage-item[data-column='s3://lake/stage/customers.parquet.email_norm']")
    assert "DIRECT/IDENTITY" in stage.inner_text() and "etl/load" in stage.inner_text()
    assert page.locator("#downstream li").inner_text() == "none"
    # a column reached by several edges at once shows each: the report returns COUNTRY and groups by it
    page.locator("li.column[data-column='country']").click()
    both = page.locator("#upstream li.lineage-item[data-column='snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.COUNTRY']")
    assert "DIRECT/IDENTITY" in both.inner_text() and "INDIRECT/GROUP_BY (rows)" in both.inner_text()
    # the source column: no upstream, three downstream columns
    page.locator("g.node[data-label='file:/data/customers.csv']").click()
    page.locator("li.column[data-column='email']").click()
    assert page.locator("#upstream li").inner_text().startswith("none")
    assert page.locator("#downstream li.lineage-item").evaluate_all("els => els.map(e => e.dataset.column)") == [
        "s3://lake/stage/customers.parquet.email_norm",
        "snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.EMAIL_NORM",
        "file:/out/report.csv.email_hash",
    ]
    assert "etl/extract.py:14" in page.locator("#downstream li.lineage-item").nth(0).inner_text()
    assert problems == []
    assert [r for r in requests if not r.startswith("file://")] == []


def test_survey_html_report_embeds_the_view(browser, tmp_path):
    events = tmp_path / "events.ndjson"
    three_jobs().write(events)
    rules = tmp_path / "classes.yml"
    rules.write_text(CLASSIFICATIONS)
    out = tmp_path / "survey.html"
    assert main(["survey", str(events), "--classifications", str(rules), "--format", "html", "--out", str(out)]) == 0
    page, problems, requests = _open(browser, out)
    assert page.locator("g.node").count() == 5
    page.locator("g.node[data-label='s3://lake/stage/customers.parquet']").click()
    badge = page.locator("li.column[data-column='email_norm'] .badge")
    assert badge.inner_text() == "PII (derived)"
    page.locator("nav.tabs button[data-tab=report]").click()
    assert page.locator("#report").is_visible() and not page.locator("#graph").is_visible()
    report = page.locator("#report").inner_text()
    assert "Materializations holding sensitive columns" in report
    assert "snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.EMAIL_NORM" in report
    assert problems == []
    assert [r for r in requests if not r.startswith("file://")] == []


def test_view_draws_only_the_dataset_edges_the_lineage_supports(browser, tmp_path):
    from openlineage_monkeypatch.governance.synthetic import OTHER_PRODUCER

    from .scenarios import mixed_jobs

    events = tmp_path / "events.ndjson"
    mixed_jobs(OTHER_PRODUCER).write(events)
    out = tmp_path / "lineage.html"
    assert main(["view", str(events), "--all-producers", "--out", str(out)]) == 0
    page, problems, requests = _open(browser, out)
    ids = dict(page.locator("g.node").evaluate_all("els => els.map(e => [e.dataset.id, e.dataset.label])"))
    edges = sorted(page.locator("path.edge").evaluate_all(
        "els => els.map(e => [e.dataset.from, e.dataset.to, e.dataset.jobs, e.dataset.basis, e.classList.contains('coarse')])"))
    named = sorted((ids[f], ids[t], jobs, basis, coarse) for f, t, jobs, basis, coarse in edges)
    assert named == sorted([
        ("file:/in/a.csv", "s3://lake/stage/a.parquet", "split", "lineage", False),
        ("file:/in/b.csv", "s3://lake/stage/b.parquet", "split", "lineage", False),
        ("s3://lake/stage/a.parquet", "s3://lake/out/joined.parquet", "split", "lineage", False),
        ("file:/in/b.csv", "s3://lake/out/joined.parquet", "split", "lineage", False),
        ("s3://lake/stage/b.parquet", "snowflake://acme-xy123/DB.PUBLIC.FACTS", "load", "event", False),
        ("snowflake://acme-xy123/DB.PUBLIC.FACTS", "snowflake://acme-xy123/DB.PUBLIC.FACTS", "dedupe", "lineage",
         False),
        ("snowflake://acme-xy123/DB.PUBLIC.FACTS", "file:/out/summary.csv", "summarize", "coarse", True),
        ("s3://lake/stage/b.parquet", "file:/out/summary.csv", "summarize", "coarse", True),
        # the listing feeds no output of the load job: drawn to the job, not to the table
        ("s3://lake/stage/", "etl/load", "load", "reads", False),
    ])
    assert sorted(page.locator("g.node.job").evaluate_all("els => els.map(e => e.dataset.label)")) == ["etl/load"]
    legend = page.locator("#legend").inner_text()
    assert "coarse" in legend and "read into no output" in legend
    page.locator("g.node[data-label='file:/out/summary.csv']").click()
    upstream = page.locator("[data-testid=upstream-datasets] li.dataset-link")
    assert sorted(upstream.evaluate_all("els => els.map(e => [e.dataset.dataset, e.dataset.basis])")) == [
        ["s3://lake/stage/b.parquet", "coarse"], ["snowflake://acme-xy123/DB.PUBLIC.FACTS", "coarse"]]
    page.locator("g.node[data-label='s3://lake/stage/a.parquet']").click()
    assert page.locator("[data-testid=upstream-datasets] li.dataset-link").evaluate_all(
        "els => els.map(e => e.dataset.dataset)") == ["file:/in/a.csv"]
    assert page.locator("[data-testid=downstream-datasets] li.dataset-link").evaluate_all(
        "els => els.map(e => e.dataset.dataset)") == ["s3://lake/out/joined.parquet"]
    assert problems == []
    assert [r for r in requests if not r.startswith("file://")] == []
