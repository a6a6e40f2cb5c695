"""The start-up hook ships in the wheel and in editable installs: a fresh virtual environment per
install mode, only the environment variable set, and the job is instrumented.

Fast, and never touching the running environment: the venv is made without pip; the running
environment's site-packages (pip, hatchling, the job's dependencies) is appended to the new venv's
path by a plain path file (the .pth files found there stay inactive), and pip runs with the NEW
interpreter and --ignore-installed, so it can only ever write into the new venv. The wheel builds with
the hatchling already installed (--no-build-isolation); the editable install needs hatchling's
`editables` helper, and uses build isolation (the package index, or pip's cache) when it is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO, read_events
from tests.fixtures.jobs import PANDAS_JOB, types, write_job

pytestmark = pytest.mark.slow
RUNNING_SITE = sysconfig.get_paths()["purelib"]


def _pip(python: Path, *args: str, cwd: Path, isolated_build: bool) -> None:
    build = [] if isolated_build else ["--no-build-isolation"]
    cmd = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", "-q", *args, *build]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "PYTHON"))}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _fresh_venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=False, clear=True, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    (Path(_site(python)) / "zz_test_dependencies.pth").write_text(RUNNING_SITE + "\n")
    return python


def _site(python: Path) -> str:
    return subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True, env={"PATH": os.environ.get("PATH", "")}).strip()


@pytest.fixture(autouse=True)
def running_environment_untouched():
    before = sorted(p.name for p in Path(RUNNING_SITE).iterdir())
    yield
    assert sorted(p.name for p in Path(RUNNING_SITE).iterdir()) == before, "the test changed the running environment"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    python = _fresh_venv(out / "builder")
    _pip(python, "wheel", "--no-deps", "-w", str(out), str(REPO), cwd=out,
         isolated_build=importlib.util.find_spec("hatchling") is None)
    wheels = list(out.glob("openlineage_monkeypatch-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_carries_the_hook_at_the_root(wheel):
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "openlineage_monkeypatch.pth" in names
        assert archive.read("openlineage_monkeypatch.pth") == (REPO / "openlineage_monkeypatch.pth").read_bytes()
        assert "openlineage_monkeypatch/py.typed" in names
        assert any(n.endswith("facets/schemas/InstrumentationRunFacet.json") for n in names)
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
        assert "[openlineage_monkeypatch.integrations]" in text and "openlineage-monkeypatch = " in text


@pytest.mark.parametrize("mode", ["wheel", "editable"])
def test_fresh_venv_is_instrumented_by_the_environment_alone(tmp_path, wheel, mode):
    python = _fresh_venv(tmp_path / "venv")
    target = [str(wheel)] if mode == "wheel" else ["-e", str(REPO)]
    isolated = mode == "editable" and importlib.util.find_spec("editables") is None
    _pip(python, "install", "--no-deps", "--ignore-installed", *target, cwd=tmp_path, isolated_build=isolated)
    site = _site(python)
    assert (Path(site) / "openlineage_monkeypatch.pth").is_file(), sorted(os.listdir(site))

    work = tmp_path / "work"
    write_job(work, "job.py", PANDAS_JOB)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "PYTHON"))}
    events = work / "events.ndjson"
    env = dict(base, OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE__TRANSPORT__TYPE="file",
               OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(events), OPENLINEAGE__TRANSPORT__APPEND="true",
               OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "data"))
    where = subprocess.run([str(python), "-c", "import sys, json, openlineage_monkeypatch as m; "
                            "print(json.dumps([m.__file__, 'openlineage_monkeypatch._bootstrap' in sys.modules]))"],
                           env=env, cwd=work, capture_output=True, text=True, timeout=60)
    location, hooked = json.loads(where.stdout)
    assert hooked, where.stderr
    expected_root = Path(site) if mode == "wheel" else REPO
    assert Path(location).resolve().is_relative_to(expected_root.resolve()), location

    proc = subprocess.run([str(python), "job.py", "in.csv", "out.csv"], env=env, cwd=work, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == "job: start\nrows 3\n", proc.stderr
    assert types(read_events(events)) == ["START", "RUNNING", "COMPLETE"]

    off = dict(env, OPENLINEAGE_MONKEYPATCH_ENABLED="")
    quiet = subprocess.run([str(python), "-c", "import sys; print(sorted(m for m in sys.modules if 'openlineage' in m))"],
                           env=off, cwd=work, capture_output=True, text=True, timeout=60)
    assert quiet.stdout == "[]\n", quiet.stderr

    console = Path(tmp_path / "venv" / "bin" / "openlineage-monkeypatch")
    if console.exists():  # the console script, run by the new venv's interpreter
        doctor = subprocess.run([str(python), str(console), "doctor", "--json"], env=env, cwd=work,
                                capture_output=True, text=True, timeout=60)
        assert doctor.returncode == 0, doctor.stderr
        assert json.loads(doctor.stdout)["startup_hook"] == str(Path(site) / "openlineage_monkeypatch.pth")
