"""Build the student wheel: the `course` package only (never `solutions` or `autograder`).

    python tools/build_student_wheel.py [--out DIR]

writes ``DIR/nndl_course_student-<version>-py3-none-any.whl`` (DIR defaults to ``dist/``) and prints its path.
The version and the dependency pins come from the repository's pyproject.toml, so the student environment
resolves the same numpy/matplotlib/ipywidgets/scikit-learn/tqdm/jupyterlab as the instructor's.

How: copy ``course/`` into a temporary directory, refuse if any file there imports ``solutions`` or
``autograder`` (an ``ast`` scan), write a minimal pyproject.toml beside it and run
``python -m pip wheel --no-deps --no-build-isolation --no-index`` (offline; needs setuptools in this
interpreter). The finished wheel is checked: it must hold every file of the copied ``course/`` and nothing
outside ``course/`` and its ``.dist-info``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_DIR = REPO / "course"
DIST_NAME = "nndl-course-student"
FORBIDDEN = ("solutions", "autograder")
# Runtime dependencies a student needs, by distribution name; pins are read from the repo's pyproject.toml.
STUDENT_DEPENDENCIES = ("numpy", "matplotlib", "ipywidgets", "scikit-learn", "tqdm", "jupyterlab")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".ipynb_checkpoints", ".pytest_cache")


class StudentWheelError(RuntimeError):
    """The student wheel cannot (or must not) be built; the message says why."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise StudentWheelError(f"cannot read a package name from the requirement {requirement!r}")
    return _normalize(match.group(1))


def read_project(pyproject: Path = REPO / "pyproject.toml") -> dict:
    """The repository's pyproject.toml, parsed."""
    with open(pyproject, "rb") as f:
        return tomllib.load(f)


def student_dependencies(project: dict) -> list[str]:
    """The repo's `[project].dependencies` entries (pins as written there) for STUDENT_DEPENDENCIES."""
    by_name = {_requirement_name(req): req.strip() for req in project["project"].get("dependencies", [])}
    missing = [name for name in STUDENT_DEPENDENCIES if _normalize(name) not in by_name]
    if missing:
        raise StudentWheelError(f"pyproject.toml [project].dependencies lists no {', '.join(missing)}")
    return [by_name[_normalize(name)] for name in STUDENT_DEPENDENCIES]


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted module name) for every absolute import and every import_module/__import__ of a literal."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def find_forbidden_imports(package_dir: Path) -> list[str]:
    """'path:line: imports X' for each .py file under package_dir that imports solutions or autograder."""
    problems = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        except SyntaxError as exc:
            problems.append(f"{rel}:{exc.lineno}: cannot be parsed ({exc.msg})")
            continue
        for line, module in _imported_names(tree):
            if module.split(".")[0] in FORBIDDEN:
                problems.append(f"{rel}:{line}: imports {module}")
    return problems


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def student_pyproject(project: dict) -> str:
    """The minimal pyproject.toml of the student distribution (course only)."""
    meta = project["project"]
    package_data = project.get("tool", {}).get("setuptools", {}).get("package-data", {}).get("course", [])
    package_data = sorted(set(package_data) | {"expected/*.json"})
    description = f"Student toolkit of {meta['name']}: data, visible checks, plots, widgets."
    return "\n".join(
        [
            "[build-system]",
            'requires = ["setuptools>=68"]',
            'build-backend = "setuptools.build_meta"',
            "",
            "[project]",
            f"name = {_toml_string(DIST_NAME)}",
            f"version = {_toml_string(meta['version'])}",
            f"description = {_toml_string(description)}",
            f"requires-python = {_toml_string(meta.get('requires-python', '>=3.11'))}",
            f"dependencies = {_toml_list(student_dependencies(project))}",
            "",
            "[tool.setuptools.packages.find]",
            'include = ["course", "course.*"]',
            "",
            "[tool.setuptools.package-data]",
            f"course = {_toml_list(package_data)}",
            "",
        ]
    )


def _verify_wheel(wheel: Path, staged_course: Path) -> None:
    """The wheel holds every file of the staged course/ and nothing outside course/ and its .dist-info."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    tops = {name: name.split("/", 1)[0] for name in names}
    outside = sorted(n for n, top in tops.items() if top != "course" and not top.endswith(".dist-info"))
    if outside:
        raise StudentWheelError(f"{wheel.name} holds files outside course/: {outside}")
    wanted = {
        p.relative_to(staged_course.parent).as_posix() for p in staged_course.rglob("*") if p.is_file()
    }
    missing = sorted(wanted - names)
    if missing:
        raise StudentWheelError(f"{wheel.name} lacks files of course/: {missing} (check package-data)")


def build_student_wheel(out_dir: Path, course_dir: Path = COURSE_DIR) -> Path:
    """Build the course-only wheel into out_dir and return its path; StudentWheelError if it must not be built."""
    if importlib.util.find_spec("setuptools") is None:  # the in-process build backend (--no-build-isolation)
        raise StudentWheelError(
            f"setuptools is not installed in {sys.executable}: `{sys.executable} -m pip install setuptools`"
        )
    project = read_project()
    version = project["project"]["version"]
    out_dir = Path(out_dir).resolve()
    wheel = out_dir / f"{DIST_NAME.replace('-', '_')}-{version}-py3-none-any.whl"
    with tempfile.TemporaryDirectory(prefix="student-wheel-") as tmp:
        staging = Path(tmp) / "src"
        staged_course = staging / "course"
        shutil.copytree(course_dir, staged_course, ignore=IGNORED)
        problems = find_forbidden_imports(staged_course)
        if problems:
            raise StudentWheelError(
                "course/ must not import solutions or autograder (students do not have them):\n  "
                + "\n  ".join(problems)
            )
        (staging / "pyproject.toml").write_text(student_pyproject(project), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        if wheel.exists():
            wheel.unlink()
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--disable-pip-version-check", "-q", "-w", str(out_dir), str(staging)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not wheel.exists():
            raise StudentWheelError(
                f"pip wheel failed (exit {proc.returncode}), expected {wheel}:\n{proc.stdout}\n{proc.stderr}"
            )
        _verify_wheel(wheel, staged_course)
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the student wheel (the course package only).")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output directory (default: dist/)")
    parser.add_argument("--course-dir", type=Path, default=COURSE_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        wheel = build_student_wheel(args.out, course_dir=args.course_dir)
    except StudentWheelError as exc:
        print(f"build_student_wheel: refused: {exc}", file=sys.stderr)
        return 1
    print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
