"""Keep source notebooks' code in sync with `solutions/` (the one source of truth for reference code).

A code cell of a source notebook whose nbgrader grade_id is

- ``<module>-<name>-solution`` gets the source of ``solutions.<module>.<name>`` (decorators dropped), with its
  body — everything after the docstring — wrapped in ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
- ``<module>-<name>-provided`` (a read-only cell) gets that source verbatim (decorators dropped).

``python -m autograder.authoring`` rewrites source/*/*.ipynb; ``--check`` only reports cells out of sync
(tests/grading/test_authoring.py runs it).
"""

import ast
import importlib
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat

COURSE_ROOT = Path(__file__).resolve().parents[1]


def reference_source(module: str, name: str) -> str:
    """The source of solutions.<module>.<name> without its decorators, dedented."""
    obj = getattr(importlib.import_module(f"solutions.{module}"), name)
    obj = inspect.unwrap(obj)
    src = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(src)
    node = tree.body[0]
    first = node.lineno if not node.decorator_list else node.decorator_list[0].lineno
    lines = src.splitlines()
    return "\n".join(lines[node.lineno - 1:]) if first != node.lineno or node.decorator_list else src.rstrip("\n")


def solution_cell_source(module: str, name: str) -> str:
    """reference_source with the body after the docstring wrapped in solution markers."""
    src = reference_source(module, name)
    node = ast.parse(src).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        raise TypeError(f"solutions.{module}.{name} is not a function or class")
    body = node.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
        and isinstance(body[0].value.value, str)
    if has_doc and len(body) == 1:
        raise ValueError(f"solutions.{module}.{name} has only a docstring")
    first = body[1] if has_doc else body[0]
    decorators = getattr(first, "decorator_list", [])
    start = decorators[0].lineno if decorators else first.lineno  # first line of the solution (1-based)
    lines = src.splitlines()
    indent = " " * body[1 if has_doc else 0].col_offset
    out = lines[: start - 1] + [f"{indent}### BEGIN SOLUTION"] + lines[start - 1:] + [f"{indent}### END SOLUTION"]
    return "\n".join(out)


def nbgrader_meta(cell: Any) -> dict[str, Any]:
    """The cell's nbgrader metadata ({} if none or if a forged notebook put something else there)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: Any) -> str:
    """The cell's nbgrader grade_id ('' if none)."""
    gid = nbgrader_meta(cell).get("grade_id", "")
    return gid if isinstance(gid, str) else ""


def strip_markers(source: str) -> str:
    """A solution cell as a student would write it: the code without nbgrader's solution markers."""
    return "\n".join(l for l in source.splitlines() if l.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def answers_of(nb: Any, strip: bool = True) -> dict[str, str]:
    """{grade_id: source} of every solution cell of `nb` (markers stripped unless strip=False)."""
    return {grade_id(c): (strip_markers(c.source) if strip else c.source)
            for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("solution")}


def fill_answers(nb: Any, answers: dict[str, str]) -> Any:
    """`nb` with the solution cells named in `answers` ({grade_id: source}) replaced; returns `nb`."""
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def cell_target(cell: Any) -> tuple[str, str, str] | None:
    """(kind, module, name) for a synced cell, from its nbgrader grade_id; None for other cells."""
    parts = grade_id(cell).split("-")
    if cell.cell_type == "code" and len(parts) == 3 and parts[2] in ("solution", "provided"):
        return parts[2], parts[0], parts[1]
    return None


def expected_source(cell: Any) -> str | None:
    """What a synced cell's source should be (None if the cell is not synced)."""
    target = cell_target(cell)
    if target is None:
        return None
    kind, module, name = target
    return solution_cell_source(module, name) if kind == "solution" else reference_source(module, name)


def sync_notebook(path: Path, write: bool = True) -> list[str]:
    """Bring the synced cells of one notebook up to date; returns the grade_ids that were out of sync."""
    nb = nbformat.read(path, as_version=4)
    stale = []
    for cell in nb.cells:
        want = expected_source(cell)
        if want is not None and cell.source != want:
            stale.append(cell.metadata["nbgrader"]["grade_id"])
            cell.source = want
    if stale and write:
        nbformat.write(nb, path)
    return stale


def source_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    """Every source notebook of the course, sorted."""
    return sorted(p for p in (root / "source").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    """Sync every source notebook (or, with --check, exit 1 listing the cells out of sync)."""
    argv = sys.argv[1:] if argv is None else argv
    check_only = "--check" in argv
    bad = 0
    for path in source_notebooks():
        stale = sync_notebook(path, write=not check_only)
        for grade_id in stale:
            bad += 1
            print(f"{path.relative_to(COURSE_ROOT)}: {grade_id} {'out of sync' if check_only else 'updated'}")
    return 1 if (check_only and bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())


# ---- test cells (written by autograder.registry from assignments.toml) ----------------------------------------
def _meta(grade_id: str, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"schema_version": 3, "grade": grade, "solution": solution, "locked": locked,
                         "grade_id": grade_id}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def tests(module: str, name: str, visible_points: float, hidden_points: float, args: str | None = None) -> list[Any]:
    """The visible and hidden test cells of exercise module.name (`args`: what to pass, default `name`)."""
    exercise, args = f"{module}.{name}", args or name

    def pts(p: float) -> str:
        return f"{p:g} point" + ("" if p == 1 else "s")
    visible = nbformat.v4.new_code_cell(
        f'"""Visible check of {name} on fixed inputs ({pts(visible_points)})."""\n'
        f'check("{exercise}", {args})')
    visible.metadata = _meta(f"{module}-{name}-visible", grade=True, locked=True, points=visible_points)
    hidden_cell = nbformat.v4.new_code_cell(
        f'# Hidden check of {name} on inputs drawn at grading time ({pts(hidden_points)}).\n'
        f'### BEGIN HIDDEN TESTS\nfrom autograder.hidden import check as hidden_check\n'
        f'hidden_check("{exercise}", {args})\n### END HIDDEN TESTS')
    hidden_cell.metadata = _meta(f"{module}-{name}-hidden", grade=True, locked=True, points=hidden_points)
    return [visible, hidden_cell]
