"""Packaging: environment.yml matches pyproject's pins; the packages keep their roles apart."""
import ast
import tomllib
from pathlib import Path

from tests.nbtools import ROOT


def test_environment_yml_pins_equal_pyproject() -> None:
    """environment.yml lists exactly pyproject's dependencies and test extras (plus the project itself)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"] + ["-e ."]
    lines = (ROOT / "environment.yml").read_text().split("- pip:", 1)[1].splitlines()
    listed = [l.strip()[2:] for l in lines if l.strip().startswith("- ")]
    assert sorted(listed) == sorted(wanted)
    spec = project["requires-python"]
    assert spec == ">=3.11,<3.14"
    assert f"python{spec}" in (ROOT / "environment.yml").read_text()
    assert all(f"Python :: 3.{v}" in " ".join(project["classifiers"]) for v in (11, 12, 13))


def _imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


def test_course_never_imports_solutions_or_autograder() -> None:
    """The student-safe package `course` imports neither `solutions` nor `autograder` (DESIGN.md)."""
    bad = sorted(f"{p}: {m}" for p, m in _imports("course") if m in {"solutions", "autograder"})
    assert not bad, bad


def test_solutions_never_import_autograder() -> None:
    """`solutions` may use `course` but never `autograder`."""
    bad = sorted(f"{p}: {m}" for p, m in _imports("solutions") if m == "autograder")
    assert not bad, bad


def test_console_script_is_declared() -> None:
    """pyproject declares the `nndl-course` console script pointing at autograder.cli:main."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["nndl-course"] == "autograder.cli:main"
    assert Path(ROOT / "autograder" / "cli.py").is_file()
