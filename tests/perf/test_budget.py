"""Performance guard: intercepted calls, Python calls, retained memory and provenance-table size per
operation on a fixed pandas workload, against benchmarks/budget.json. Counts, not times: it cannot
flake on a busy machine. Re-record deliberately with `python benchmarks/guard.py --record`."""

from __future__ import annotations

import json

import pytest

from tests.perf import benchmark_module

pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


def test_counts_per_operation_within_budget():
    guard = benchmark_module("guard")
    budget = json.loads(guard.BUDGET.read_text())
    measured = guard.measure()
    problems = guard.compare(measured, budget)
    assert not problems, (
        "\n".join(problems)
        + f"\nmeasured {measured}\nbudget {budget['metrics']}\n"
        + "If the growth is intended, re-record with `python benchmarks/guard.py --record` and say why in the commit."
    )
    assert measured["entries_per_op"] > 0, "nothing was intercepted: is the pandas integration active?"
    assert measured["provenance_entries"] <= 16, "the weak provenance tables did not empty after the workload"

