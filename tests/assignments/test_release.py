"""release/ is safe to give students: no solution code, no hidden test, no markers; source/ is stored clean."""
import re
from pathlib import Path

import nbformat
import pytest

from tests.nbtools import ROOT, grade_id

SOURCES = sorted((ROOT / "source").glob("*/*.ipynb"))
RELEASES = sorted((ROOT / "release").glob("*/*.ipynb"))


def _regions(text: str, begin: str, end: str) -> list[str]:
    return re.findall(rf"{re.escape(begin)}\n(.*?){re.escape(end)}", text, flags=re.S)


def test_every_source_notebook_is_released() -> None:
    """Each source/<a>/<nb>.ipynb has a release/<a>/<nb>.ipynb."""
    assert SOURCES, "no source notebooks found"
    assert [p.relative_to(ROOT / "source") for p in SOURCES] == [p.relative_to(ROOT / "release") for p in RELEASES]


@pytest.mark.parametrize("path", RELEASES, ids=lambda p: p.parent.name)
def test_release_has_no_solution_or_hidden_test(path: Path) -> None:
    """No marker, no line of any solution region and no line of any hidden test appears in the release."""
    text = path.read_text()
    assert not re.search(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS", text)
    source = nbformat.read(ROOT / "source" / path.parent.name / path.name, as_version=4)
    released = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    secret_lines, public = set(), set()
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution") and "BEGIN HIDDEN TESTS" not in cell.source:
            public |= {l.strip() for l in cell.source.splitlines()}
        for region in _regions(cell.source + "\n", "### BEGIN SOLUTION", "### END SOLUTION") + \
                _regions(cell.source + "\n", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            secret_lines |= {l.strip() for l in region.splitlines() if len(l.strip()) > 12}
    assert secret_lines, "found no solution regions to compare against"
    leaked = sorted(l for l in secret_lines - public if l in released)
    assert not leaked, f"{path}: solution/hidden lines in the release: {leaked[:5]}"
    assert "autograder" not in released and "solutions" not in released.replace("solutions/", "")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_source_notebook_is_valid_and_clean(path: Path) -> None:
    """Source notebooks are nbformat-valid, carry no outputs, and every graded cell is locked with points."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [grade_id(c) for c in nb.cells if grade_id(c)]
    assert len(ids) == len(set(ids)), "duplicate grade_ids"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{grade_id(cell) or cell.id} has outputs"
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            # visible test cells open with a docstring; hidden ones with a comment (a docstring left alone in
            # the student's copy would be echoed as the cell's output)
            opener = "# Hidden check of" if meta["grade_id"].endswith("-hidden") else '"""'
            assert meta["locked"] and meta["points"] > 0 and cell.source.lstrip().startswith(opener)
