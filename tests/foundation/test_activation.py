"""Activation by environment only: what the start-up hook imports when off and when on, switches,
third-party integrations through the entry-point group, unsupported library versions, and the
.pth line itself (it only ever imports our package)."""

from __future__ import annotations

import ast
import json
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO, clean_env, read_events, run_python
from tests.fixtures.jobs import INPUT_CSV, PREFIX, by_run, names, types, write_job

SHOW_MODULES = "import sys, json; print(json.dumps(sorted(sys.modules)))"
HEAVY = ("pandas", "numpy", "boto3", "botocore", "s3fs", "snowflake", "snowflake.connector", "openlineage",
         "openlineage.client", "wrapt", "attr", "yaml", "requests", "importlib.metadata", "sqlglot",
         "openlineage_sql", "pyarrow", "fsspec")


def modules(env, code=SHOW_MODULES, cwd=None) -> set[str]:
    proc = run_python(code, env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_hook_off_imports_nothing_of_ours_and_nothing_third_party(tmp_path):
    code = ("import sys, json\nprint(json.dumps({n: getattr(m, '__file__', None) or '' for n, m in "
            "list(sys.modules.items())}))")
    proc = run_python(code, env=clean_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert not [n for n in loaded if n.startswith("openlineage")]
    purelib = sysconfig.get_paths()["purelib"]
    third_party = {n for n, f in loaded.items() if f.startswith((purelib, str(REPO)))}
    # other .pth files of the shared environment (setuptools' distutils shim) are not ours to judge
    assert third_party <= {"_distutils_hack"}, third_party
    timing = run_python(["-X", "importtime", "-c", "pass"], env=clean_env(), cwd=tmp_path)
    assert "openlineage" not in timing.stderr


def test_hook_on_never_imports_the_patched_libraries(tmp_path, ol_env):
    loaded = modules(ol_env, cwd=tmp_path)
    assert "openlineage_monkeypatch._bootstrap" in loaded, "the hook ran"
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_hook_on_patches_pandas_when_the_job_imports_it(tmp_path, ol_env):
    code = "import pandas as pd; print(type(pd.read_csv).__name__, hasattr(pd.read_csv, '__wrapped__'))"
    proc = run_python(code, env=ol_env, cwd=tmp_path)
    assert proc.stdout.split() == ["FunctionWrapper", "True"], proc.stderr


@pytest.mark.parametrize("switch", [
    {"OPENLINEAGE_MONKEYPATCH_DISABLED_INTEGRATIONS": "boto3, PANDAS ,snowflake"},
    {"OPENLINEAGE_DISABLED": "true"},
    {"OPENLINEAGE_DISABLED": "TRUE"},
    {"OPENLINEAGE_MONKEYPATCH_ENABLED": "0"},
    {"OPENLINEAGE_MONKEYPATCH_ENABLED": "no"},
])
def test_switches_turn_instrumentation_off(tmp_path, ol_env, events_file, switch):
    write_job(tmp_path)
    env = dict(ol_env, **switch)
    code = "import pandas as pd; print(hasattr(pd.read_csv, '__wrapped__'))"
    assert run_python(code, env=env, cwd=tmp_path).stdout.strip() == "False"
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and PREFIX not in proc.stderr, proc.stderr
    assert read_events(events_file) == []
    if "OPENLINEAGE_DISABLED" in switch or switch.get("OPENLINEAGE_MONKEYPATCH_ENABLED"):
        assert not [m for m in modules(env, cwd=tmp_path) if m.startswith("openlineage")]


# -- a third-party integration, registered through the entry-point group ------------------------------

FAKELIB = """\
__version__ = "{version}"


def load(path):
    with open(path) as handle:
        return handle.read()
"""

PLUGIN = """\
from openlineage_monkeypatch import run
from openlineage_monkeypatch.integrations import Integration
from openlineage_monkeypatch.naming import local_file


class FakeLibIntegration(Integration):
    name = "fakelib"
    modules = ("fakelib",)
    distribution = "fakelib"
    min_version, max_version = "1.0", "2"

    def instrument(self, module):
        self.patcher.wrap(module, "load", self._on_load)

    def _on_load(self, wrapped, instance, args, kwargs):
        result = wrapped(*args, **kwargs)
        from openlineage_monkeypatch import _guard
        _guard.call(self.name, run.read, local_file(args[0]), [("line", "string")], action="read", system="file")
        return result


integration = FakeLibIntegration()
"""


def make_plugin(folder: Path, version: str) -> Path:
    site = folder / "thirdparty"
    (site / "fakelib").mkdir(parents=True)
    (site / "fakelib" / "__init__.py").write_text(FAKELIB.format(version=version))
    (site / "fakelib_lineage.py").write_text(PLUGIN)
    info = site / "fakelib_lineage-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib-lineage\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[openlineage_monkeypatch.integrations]\nfakelib = fakelib_lineage:integration\n")
    return site


FAKE_JOB = "import fakelib\nprint(len(fakelib.load('in.csv')))\n"


def test_third_party_integration_is_discovered_and_used(tmp_path, ol_env, events_file, spec_checker):
    site = make_plugin(tmp_path, "1.4.2")
    write_job(tmp_path, "job.py", FAKE_JOB)
    env = dict(ol_env, PYTHONPATH=f"{ol_env['PYTHONPATH']}:{site}")
    proc = run_python(["job.py"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == f"{len(INPUT_CSV)}\n", proc.stderr
    run = list(by_run(read_events(events_file)).values())
    assert len(run) == 1 and types(run[0]) == ["START", "COMPLETE"]
    assert names(run[0][-1]["inputs"]) == ["in.csv"]
    integrations = run[0][-1]["run"]["facets"]["monkeypatch_instrumentation"]["integrations"]
    assert integrations["fakelib"] == {"libraryVersion": "1.4.2", "status": "instrumented"}
    from tests.conftest import assert_valid

    assert_valid(run[0], spec_checker)


def test_unsupported_library_version_is_skipped_with_one_warning(tmp_path, ol_env, events_file):
    site = make_plugin(tmp_path, "0.9.1")
    write_job(tmp_path, "job.py", FAKE_JOB + "import importlib; importlib.reload(fakelib); fakelib.load('in.csv')\n")
    env = dict(ol_env, PYTHONPATH=f"{ol_env['PYTHONPATH']}:{site}")
    proc = run_python(["job.py"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == f"{len(INPUT_CSV)}\n", proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(ours) == 1 and "fakelib 0.9.1 is not a supported version" in ours[0], proc.stderr
    assert read_events(events_file) == [], "nothing patched, nothing reported"
    code = "import fakelib; print(hasattr(fakelib.load, '__wrapped__'))"
    assert run_python(code, env=env, cwd=tmp_path).stdout.strip() == "False"


# -- the .pth line ----------------------------------------------------------------------------------


def test_pth_line_only_imports_our_bootstrap():
    text = (REPO / "openlineage_monkeypatch.pth").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("import ")
    tree = ast.parse(lines[0])
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    imported = [c.args[0].value for c in calls if isinstance(c.func, ast.Name) and c.func.id == "__import__"]
    assert imported == ["openlineage_monkeypatch._bootstrap"], "a constant module name, nothing else"
    names_used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names_used & {"exec", "eval", "compile", "open", "getattr", "globals", "__builtins__"}
    attrs = {(n.value.id if isinstance(n.value, ast.Name) else None, n.attr) for n in ast.walk(tree)
             if isinstance(n, ast.Attribute)}
    assert attrs <= {("os", "environ"), (None, "get"), (None, "strip"), (None, "lower")}, attrs
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in imports for a in n.names] == ["os"]


HOSTILE = [
    '1"); __import__("os").system("touch pwned"); ("',
    "1; import os; os.system('touch pwned')",
    "$(touch pwned)",
    "`touch pwned`",
    "__import__('os').system('touch pwned')",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_environment_values_are_never_run_as_code(tmp_path, value):
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED=value, OPENLINEAGE_MONKEYPATCH_DISABLED_INTEGRATIONS=value,
                    OPENLINEAGE_NAMESPACE=value, OPENLINEAGE_JOB_NAME=value, OPENLINEAGE_PARENT_ID=value,
                    OPENLINEAGE_MONKEYPATCH_FLUSH_TIMEOUT=value, OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    proc = run_python(["-c", "print('ok')"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "ok\n" and proc.stderr == ""
    env["OPENLINEAGE_MONKEYPATCH_ENABLED"] = "1"
    write_job(tmp_path)
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "pwned").exists()
    assert not list(tmp_path.rglob("pwned"))


def test_bootstrap_module_imports_only_the_standard_library(tmp_path, ol_env):
    loaded = modules(ol_env, cwd=tmp_path)
    ours = sorted(m for m in loaded if m.startswith("openlineage_monkeypatch"))
    # the start-up path: no integration code beyond the registry's plugin objects, no client, no wrapt
    assert "openlineage_monkeypatch.run" not in ours and "openlineage_monkeypatch.emitter" not in ours
    stdlib = set(sys.stdlib_module_names)
    foreign = {m for m in loaded if m.split(".")[0] not in stdlib and not m.startswith("openlineage_monkeypatch")
               and m not in ("_distutils_hack", "__main__")}
    assert not foreign, foreign
