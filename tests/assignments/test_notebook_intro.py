"""Every source notebook opens like a lesson: learning goals, then a "What you will build" table whose points are
exactly the points nbgrader grades (one row per graded exercise, visible + hidden; one per written question)."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))


def graded_points(nb: nbformat.NotebookNode) -> dict[str, tuple[float, float]]:
    """{function: (visible points, hidden points)} from the nbgrader metadata of the test cells."""
    points: dict[str, dict[str, float]] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta["grade_id"].endswith("-answer"):
            _, name, kind = meta["grade_id"].rsplit("-", 2)  # <module>-<function>-visible|hidden
            assert kind in ("visible", "hidden"), f"unexpected grade_id {meta['grade_id']}"
            points.setdefault(name, {})[kind] = float(meta["points"])
    return {name: (p.get("visible", 0.0), p.get("hidden", 0.0)) for name, p in points.items()}


def announced_points(intro: str) -> dict[str, tuple[float, float]]:
    """{function: (a, b)} from the rows "| ... | `f`, `g` | a + b [each] |" of the intro's table."""
    announced = {}
    for row in intro.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        match = re.fullmatch(r"(\d+(?:\.\d+)?) \+ (\d+(?:\.\d+)?)(?: each)?", cells[-1]) if row.startswith("|") else None
        if match:
            for name in re.findall(r"`(\w+)`", " ".join(cells[:-1])):
                announced[name] = (float(match[1]), float(match[2]))
    return announced


def written_points(nb: nbformat.NotebookNode) -> list[float]:
    """The points of the written answer cells (``*-answer``, graded by hand), in notebook order."""
    return [float(c.metadata["nbgrader"]["points"]) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"]["grade_id"].endswith("-answer")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_intro_has_goals_and_a_points_table_that_matches_the_grading(path: Path) -> None:
    """The first cell has a title, learning goals and a table announcing each exercise's points as graded."""
    nb = nbformat.read(path, as_version=4)
    intro = nb.cells[0].source
    assert nb.cells[0].cell_type == "markdown" and intro.startswith("# ")
    assert "**Learning goals.**" in intro and "**What you will build**" in intro
    graded, written = graded_points(nb), written_points(nb)
    assert announced_points(intro) == graded
    assert [float(p) for p in re.findall(r"^\| Q\d+ \| written: .+ \| (\d+(?:\.\d+)?) \(graded by hand\) \|$", intro,
                                         re.M)] == written
    total = re.search(r"\*\*total\*\* \| \*\*(\d+)\*\*", intro)
    if total:
        assert float(total[1]) == sum(v + h for v, h in graded.values()) + sum(written)
