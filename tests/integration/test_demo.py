"""`make demo` (integration/demo.py) end to end: its terminal report and its HTML view in headless Chromium."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from integration import harness
from tests.conftest import run_python

from . import expected_lineage as exp

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = run_python([str(harness.REPO / "integration" / "demo.py"), "--out", str(out)], env=harness.base_env(),
                      cwd=harness.REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, out


def test_demo_reports_datasets_lineage_pii_and_paths(demo):
    proc, out = demo
    text = proc.stdout
    for namespace, name in sorted(exp.EXPECTED["inputs"] | set(exp.EXPECTED["outputs"])):
        assert f"{namespace}/{name}" in text
    assert re.search(r"column lineage: \d+ column edges", text)
    assert "SHOP.CRM.CUSTOMERS.EMAIL -> s3://acme-features/customer_features/as_of=2025-05-31/features.parquet " \
           ". email_hash  [masked]" in text
    [events] = re.findall(r"^events: +(\S+)", text, re.M)
    [view] = re.findall(r"^HTML view: +(\S+)", text, re.M)
    assert os.path.isfile(events) and events.startswith(str(out))
    assert os.path.isfile(view) and view == str(out / "lineage.html")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
def test_demo_html_view_in_headless_chromium(demo):
    from playwright.sync_api import sync_playwright

    _, out = demo
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((out / "lineage.html").as_uri())
            labels = set(page.eval_on_selector_all("g.node.dataset", "els => els.map(e => e.dataset.label)"))
            assert labels == {f"{ns}/{name}" for ns, name in exp.EXPECTED["inputs"] | set(exp.EXPECTED["outputs"])}
            page.click(f'g.node.dataset[data-label="{exp.FEATURES[0]}/{exp.FEATURES[1]}"]')
            page.click('li.column[data-column="email_hash"]')
            upstream = page.eval_on_selector_all("[data-testid=upstream] li.lineage-item",
                                                 "els => els.map(e => e.dataset.column)")
            assert f"{exp.STG_CUSTOMERS[0]}/{exp.STG_CUSTOMERS[1]}.email" in upstream
            assert f"{exp.CUSTOMERS[0]}/{exp.CUSTOMERS[1]}.EMAIL" in upstream  # through the staging file
            assert page.locator("[data-testid=upstream]").inner_text().count("masked") >= 1
        finally:
            browser.close()
    assert not errors, errors
