"""Tests over the benchmark tooling: the CI guard's budget and the start-up import check."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO


def benchmark_module(name: str):
    """benchmarks/<name>.py as a module (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"olmp_bench_{name.lstrip('_')}", REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
