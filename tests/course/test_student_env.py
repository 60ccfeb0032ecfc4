"""The student environment: a wheel with only `course`, installed offline into a fresh venv, runs every visible
check (stubs raise NotImplementedError, reference answers pass) and cannot import solutions or autograder.

The fresh venv borrows the main venv's third-party packages (numpy, matplotlib, ...) through one path line in a
.pth file. Python appends such a line to sys.path without processing the .pth files inside that directory, so
the main venv's editable install of course/solutions/autograder (a .pth-installed import finder) stays
invisible; test_fresh_venv_sees_numpy_but_not_the_project proves that before the wheel goes in.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("build_student_wheel", ROOT / "tools" / "build_student_wheel.py")
bsw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bsw)

RUNS = ("-solution", "-provided")  # the code cells a student's notebook defines functions in
TIMEOUT = 180

# Runs inside the student venv with cwd = the student's folder (a copy of release/, not the repo).
PROBE = r'''
import importlib, json, os, pkgutil, socket, sys, sysconfig
from pathlib import Path


def fail(message):
    print("PROBE-FAILED:", message, file=sys.stderr)
    sys.exit(1)


def offline(*args, **kwargs):
    raise OSError("network access attempted in the offline student environment")


socket.socket.connect = socket.socket.connect_ex = offline
socket.create_connection = offline

import numpy as np
import course, course.checks, course.data, course.gradcheck
for info in pkgutil.walk_packages(course.__path__, "course."):
    importlib.import_module(info.name)  # every module the wheel ships imports without solutions/autograder
site = Path(sysconfig.get_paths()["purelib"]).resolve()
if not Path(course.__file__).resolve().is_relative_to(site):
    fail(f"course was imported from {course.__file__}, not from the wheel installed in {site}")
print("COURSE-FROM", course.__file__)

from course.checks import check, exercise_ids

answers = json.loads(Path(sys.argv[1]).read_text())  # {notebook path: [source of its solution/provided cells]}


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def run_cells(notebook, sources):
    """The namespace a student's kernel has after running these cells (numpy as np, like the setup cell)."""
    ns = {"__name__": "__main__", "np": np, "check": check}
    here, sys.path[:0] = os.getcwd(), [str(notebook.parent)]
    os.chdir(notebook.parent)
    try:
        for source in sources:
            exec(compile(source, str(notebook), "exec"), ns)
    finally:
        os.chdir(here)
        sys.path.remove(str(notebook.parent))
    return ns


def resolve(ns, dotted):
    obj = ns[dotted.split(".")[0]]
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


ids = exercise_ids()
if not ids:
    fail("course.checks.exercise_ids() is empty")
where = {}  # exercise id -> the release notebook with its visible check cell
for notebook in sorted(Path(".").glob("*/*.ipynb")):
    for cell in json.loads(notebook.read_text())["cells"]:
        gid = grade_id(cell)
        if gid.endswith("-visible"):
            module, _, function = gid[: -len("-visible")].partition("-")
            where[f"{module}.{function}"] = notebook
missing = sorted(set(ids) - set(where))
if missing:
    fail(f"visible checks with no exercise in any release notebook: {missing}")

stubs, solved = {}, {}
for notebook in sorted(set(where[i] for i in ids)):
    cells = [c for c in json.loads(notebook.read_text())["cells"]
             if c["cell_type"] == "code" and grade_id(c).endswith(("-solution", "-provided"))]
    stubs[notebook] = run_cells(notebook, ["".join(c["source"]) for c in cells])
    solved[notebook] = run_cells(notebook, answers[notebook.as_posix()])

for eid in ids:
    name = eid.split(".", 1)[1]
    try:
        check(eid, resolve(stubs[where[eid]], name))
    except NotImplementedError:
        print("STUB-RAISES-NOTIMPLEMENTED", eid)
    except BaseException as exc:
        fail(f"{eid}: the released stub raised {type(exc).__name__}: {exc} (expected NotImplementedError)")
    else:
        fail(f"{eid}: the visible check passed the released stub")
    try:
        check(eid, resolve(solved[where[eid]], name))
    except BaseException as exc:
        fail(f"{eid}: the visible check rejected the reference answer: {type(exc).__name__}: {exc}")
    print("ANSWER-PASSES", eid)

for module in ("solutions", "autograder"):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError:
        print("NOT-IMPORTABLE", module)
    else:
        fail(f"import {module} succeeded in the student environment")
print("STUDENT-ENV-OK", len(ids))
'''

PRE_INSTALL_PROBE = r'''
import importlib, json
result = {}
for name in ("numpy", "sklearn", "matplotlib", "course", "solutions", "autograder"):
    try:
        importlib.import_module(name)
        result[name] = "ok"
    except ModuleNotFoundError as exc:
        result[name] = "ModuleNotFoundError"
print(json.dumps(result))
'''


def _env() -> dict[str, str]:
    """The caller's environment minus anything that would leak the repo or the main venv into the student's."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH"}}
    env.update(PYTHONNOUSERSITE="1", MPLBACKEND="Agg", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(cmd: list, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=TIMEOUT)


def _grade_id(cell: dict) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return bsw.build_student_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def student_env(tmp_path_factory, wheel) -> SimpleNamespace:
    """A fresh venv (with pip) seeing the main venv's site-packages via a .pth path line; probed, then the wheel in."""
    home = tmp_path_factory.mktemp("student")
    env_dir = home / "venv"
    proc = _run([sys.executable, "-m", "venv", env_dir], cwd=home)
    assert proc.returncode == 0, proc.stderr
    python = env_dir / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], home).stdout.strip())
    main_sites = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "main_venv_packages.pth").write_text("".join(f"{p}\n" for p in main_sites))
    before = _run([python, "-c", PRE_INSTALL_PROBE], cwd=home)
    install = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel], cwd=home)
    assert install.returncode == 0, install.stdout + install.stderr
    return SimpleNamespace(home=home, python=python, site=site, before=before, install=install)


def test_wheel_holds_only_course_and_its_data(wheel):
    """The wheel's entries are course/... and its .dist-info only, including course/expected/knn.json."""
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith("nndl_course_student-") and wheel.name.endswith("-py3-none-any.whl")
    tops = {n.split("/", 1)[0] for n in names}
    assert tops - {"course"} == {wheel.name.split("-py3")[0] + ".dist-info"}, sorted(tops)
    assert "course/expected/knn.json" in names
    assert "course/checks/__init__.py" in names and "course/checks/knn.py" in names
    assert not any(n.startswith(("solutions/", "autograder/")) or n.endswith(".pyc") for n in names)


def test_wheel_pins_are_the_repo_pins(wheel):
    """The wheel's version and Requires-Dist are the repo pyproject's version and pins, jupyterlab included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    lines = zipfile.ZipFile(wheel).read(meta).decode().splitlines()
    assert f"Version: {project['version']}" in lines
    requires = {line.split(": ", 1)[1] for line in lines if line.startswith("Requires-Dist: ")}
    pins = {r for r in project["dependencies"]
            if r.split("==")[0].strip() in {"numpy", "matplotlib", "ipywidgets", "scikit-learn", "tqdm", "jupyterlab"}}
    assert len(pins) == 6 and requires == pins


def test_build_refuses_a_course_that_imports_solutions(tmp_path):
    """The build script exits 1, naming file and line, if course/ imports solutions or autograder."""
    bad = tmp_path / "course"
    shutil.copytree(ROOT / "course", bad, ignore=shutil.ignore_patterns("__pycache__"))
    with open(bad / "checks" / "core.py", "a") as f:
        f.write("\n\ndef _cheat():\n    from solutions.knn import compute_distances_no_loops\n")
    (bad / "sneaky.py").write_text("import importlib\nimportlib.import_module('autograder.hidden')\n")
    out = tmp_path / "dist"
    proc = _run([sys.executable, ROOT / "tools" / "build_student_wheel.py", "--out", out, "--course-dir", bad],
                cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "course/checks/core.py" in proc.stderr and "imports solutions.knn" in proc.stderr
    assert "course/sneaky.py:2: imports autograder.hidden" in proc.stderr
    assert not list(tmp_path.rglob("*.whl"))


def test_fresh_venv_sees_numpy_but_not_the_project(student_env):
    """Before the wheel goes in, the fresh venv imports numpy/sklearn/matplotlib but not course/solutions/autograder."""
    assert student_env.before.returncode == 0, student_env.before.stderr
    seen = json.loads(student_env.before.stdout)
    assert seen == {"numpy": "ok", "sklearn": "ok", "matplotlib": "ok", "course": "ModuleNotFoundError",
                    "solutions": "ModuleNotFoundError", "autograder": "ModuleNotFoundError"}


def test_student_env_runs_every_visible_check_offline_without_solutions(student_env, tmp_path):
    """In the student venv (cwd outside the repo) stubs raise NotImplementedError, answers pass, solutions is absent."""
    folder = tmp_path / "course-work"  # the student's folder: the release notebooks, nothing else of the repo
    shutil.copytree(ROOT / "release", folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    answers = {}
    for notebook in sorted((ROOT / "source").glob("*/*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        answers[notebook.relative_to(ROOT / "source").as_posix()] = [
            "".join(c["source"]) for c in cells if c["cell_type"] == "code" and _grade_id(c).endswith(RUNS)]
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    (tmp_path / "probe.py").write_text(PROBE)

    proc = _run([student_env.python, tmp_path / "probe.py", tmp_path / "answers.json"], cwd=folder)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert f"COURSE-FROM {student_env.site}" in out.replace(str(student_env.site.resolve()), str(student_env.site))
    assert str(ROOT) not in out
    ids = [line.split()[1] for line in out.splitlines() if line.startswith("ANSWER-PASSES")]
    stubbed = [line.split()[1] for line in out.splitlines() if line.startswith("STUB-RAISES-NOTIMPLEMENTED")]
    assert ids and ids == stubbed
    assert "knn.compute_distances_no_loops" in ids and "knn.cross_validate_k" in ids
    assert "NOT-IMPORTABLE solutions" in out and "NOT-IMPORTABLE autograder" in out
    assert out.rstrip().endswith(f"STUDENT-ENV-OK {len(ids)}")
