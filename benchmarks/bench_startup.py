"""Benchmark 1: interpreter start-up.

(a) The start-up hook with OPENLINEAGE_MONKEYPATCH_ENABLED unset, against no hook at all. Two
    throw-away virtual environments are made from the same base interpreter, each with a
    site-packages holding symlinks to every entry of this environment's site-packages; they differ
    only by our openlineage_monkeypatch.pth. `python -c pass` runs alternately in both (many pairs);
    the cost is the median of the per-pair differences. The hook line is also timed in-process
    (site.addpackage on the .pth, thousands of times) and the module sets are compared: with the
    variable unset the hook must import nothing.
(b) The variable set against unset, in this environment with the repository first on the path:
    `python -c pass` (the cost every Python process of an enabled container pays, pip and health
    checks included) and where it goes (-X importtime, the entry-point scan timed alone).
(c) `import pandas` / `import boto3` set against unset: the price of patching at import time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

PTH = h.PTH


def make_venvs(root: Path) -> tuple[str, str]:
    """(python with our .pth, python without): identical symlinked site-packages otherwise."""
    repo = h.target_repo()
    return h.make_overlay(root / "with-hook", True, repo), h.make_overlay(root / "without-hook", False, repo)


def _time_pass(python: str, env: dict, code: str = "pass") -> float:
    return h.run_child([python, "-c", code], env=env).wall


def _modules(python: str, env: dict) -> set[str]:
    out = subprocess.run([python, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


HOOK_LOOP = r"""
import site, sys, time, json
sitedir, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
line = open(sitedir + "/" + name).read().strip()
code = compile(line, name, "exec")
def best(fn, rounds=7):
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t) / n)
    return min(out), sorted(out)[len(out) // 2]
print(json.dumps({
    "addpackage": best(lambda: site.addpackage(sitedir, name, set())),
    "exec_line": best(lambda: exec(code, {})),
}))
"""


def hook_unset(reps: int, quick: bool) -> list[dict]:
    rows = []
    root = h.workdir("startup")
    try:
        with_hook, without_hook = make_venvs(root)
        env = h.base_env()
        mods_with, mods_without = _modules(with_hook, env), _modules(without_hook, env)
        extra = sorted(mods_with - mods_without)
        plain, hooked = h.alternate(lambda: _time_pass(without_hook, env), lambda: _time_pass(with_hook, env),
                                    reps=reps, warmup=5)
        diff = h.diff_stats(plain, hooked, 1e3)
        rows.append(h.result(
            "1 start-up", "hook cost, variable unset (python -c pass, with .pth - without)", unit="ms",
            plain=[x * 1e3 for x in plain], instrumented=[x * 1e3 for x in hooked], value=diff,
            ratio=h.ratio_stats(plain, hooked), target="< 1 ms, no import", ok=diff["median"] < 1.0 and not extra, key=True,
            note=f"extra modules imported: {extra or 'none'}"))
        site_dir = subprocess.run([with_hook, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        n = 2000 if quick else 20000
        out = subprocess.run([with_hook, "-c", HOOK_LOOP, site_dir, PTH, str(n)], env=env, capture_output=True,
                             text=True, check=True).stdout
        timing = json.loads(out)
        rows.append(h.result(
            "1 start-up", "hook cost, variable unset, in-process (site.addpackage of our .pth)", unit="µs",
            value=round(timing["addpackage"][1] * 1e6, 2), target="< 1000 µs", ok=timing["addpackage"][1] < 1e-3,
            note=f"min {timing['addpackage'][0] * 1e6:.2f} µs; the line alone (exec) "
                 f"{timing['exec_line'][1] * 1e6:.2f} µs"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) from -X importtime output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((name.strip(), int(self_us), int(cumulative), depth))
    return rows


SCAN_LOOP = r"""
import sys, time, json, os
from openlineage_monkeypatch import _bootstrap, registry
n = int(sys.argv[1])
t = time.perf_counter()
for _ in range(n):
    found = _bootstrap.discover_entry_points(registry.GROUP)
scan = (time.perf_counter() - t) / n
dists = 0
for folder in sys.path:
    try:
        dists += sum(1 for e in os.scandir(folder or ".") if e.name.endswith((".dist-info", ".egg-info")))
    except OSError:
        pass
print(json.dumps({"scan": scan, "dists": dists, "found": len(found), "paths": len(sys.path)}))
"""


def variable_set(reps: int, quick: bool) -> list[dict]:
    rows = []
    plain_env = h.plain_env()
    work = h.workdir("startup-set")
    try:
        on_env = h.instrumented_env(work)
        python = h.bench_python()
        plain, enabled = h.alternate(lambda: _time_pass(python, plain_env), lambda: _time_pass(python, on_env),
                                     reps=reps, warmup=5)
        diff = h.diff_stats(plain, enabled, 1e3)
        unset_mods, set_mods = _modules(python, plain_env), _modules(python, on_env)
        extra = sorted(set_mods - unset_mods)
        ours = [m for m in extra if m.startswith("openlineage_monkeypatch")]
        stdlib = [m for m in extra if not m.startswith("openlineage_monkeypatch")]
        third_party = [m for m in stdlib if m.split(".")[0] not in sys.stdlib_module_names]
        rows.append(h.result(
            "1 start-up", "variable set vs unset (python -c pass)", unit="ms",
            plain=[x * 1e3 for x in plain], instrumented=[x * 1e3 for x in enabled], value=diff,
            ratio=h.ratio_stats(plain, enabled), target="no third-party import", key=True,
            ok=not third_party,
            note=f"{len(ours)} modules of ours, stdlib: {', '.join(stdlib) or 'none'}; third-party: "
                 f"{', '.join(third_party) or 'none'}"))
        # where it goes: -X importtime, best of several runs per module
        samples: dict[str, list[int]] = {}
        for _ in range(5 if quick else 15):
            err = subprocess.run([python, "-X", "importtime", "-c", "pass"], env=on_env, capture_output=True,
                                 text=True).stderr
            for name, self_us, _cum, _depth in parse_importtime(err):
                if name in extra:
                    samples.setdefault(name, []).append(self_us)
        breakdown = {name: statistics.median(v) for name, v in samples.items()}
        out = subprocess.run([python, "-c", SCAN_LOOP, "20" if quick else "200"], env=plain_env,
                             capture_output=True, text=True, check=True).stdout
        scan = json.loads(out)
        top = sorted(breakdown.items(), key=lambda kv: -kv[1])
        rows.append(h.result(
            "1 start-up", "where the enabled start-up goes (-X importtime self µs, median)", unit="µs",
            value={name: us for name, us in top},
            note=f"entry-point scan alone {scan['scan'] * 1e6:.0f} µs over {scan['dists']} dist-infos on "
                 f"{scan['paths']} sys.path entries (counted inside _bootstrap's self time; integration "
                 f"modules loaded by importlib.import_module are too)",
            entry_point_scan_us=round(scan["scan"] * 1e6, 1), dist_infos=scan["dists"]))
        # patching at import time
        for library, code in (("pandas", "import pandas"), ("boto3", "import boto3")):
            n = max(3, reps // 10)
            plain_i, on_i = h.alternate(lambda: _time_pass(python, plain_env, code),
                                        lambda: _time_pass(python, on_env, code), reps=n, warmup=1)
            rows.append(h.result(
                "1 start-up", f"`{code}` variable set vs unset (patching at import)", unit="ms",
                plain=[x * 1e3 for x in plain_i], instrumented=[x * 1e3 for x in on_i],
                value=h.diff_stats(plain_i, on_i, 1e3), ratio=h.ratio_stats(plain_i, on_i), key=library == "pandas"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    reps = reps or (60 if quick else 300)
    rows = hook_unset(reps, quick)
    rows += variable_set(max(20, reps // 2), quick)
    return rows


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)
