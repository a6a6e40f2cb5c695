"""The enabled start-up hook stays light: with OPENLINEAGE_MONKEYPATCH_ENABLED set, `python -c pass`
loads our own small modules and nothing else beyond __future__ and atexit (no threading, functools,
collections, importlib: ~2.5 ms together in a bare interpreter), and with the variable unset it loads
nothing at all. Module sets, not times: deterministic. Timings are in benchmarks/bench_startup.py."""

from __future__ import annotations

import subprocess

from tests.perf import benchmark_module

ALLOWED_WHEN_ENABLED = {"__future__", "atexit"}


def _modules(python: str, env: dict) -> set[str]:
    out = subprocess.run([python, "-c", "import sys; sys.stdout.write(' '.join(sys.modules))"], env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return set(out.split())


def test_start_up_hook_imports(tmp_path):
    h = benchmark_module("_harness")
    python = h.bench_python()
    plain = _modules(python, h.plain_env())
    enabled = _modules(python, h.instrumented_env(tmp_path))
    assert not any(name.startswith("openlineage") for name in plain), "the hook imported something while unset"
    extra = {name for name in enabled - plain if not name.startswith("openlineage_monkeypatch")}
    assert extra <= ALLOWED_WHEN_ENABLED, f"the enabled start-up hook now also imports {sorted(extra - ALLOWED_WHEN_ENABLED)}"
    assert "openlineage_monkeypatch._bootstrap" in enabled
