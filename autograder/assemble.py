"""Step 3a — assemble: the notebook a submission is graded with, built from the SOURCE notebook's structure.

Every cell that has a grade_id and is not a solution cell (test cells, read-only cells, provided code, locked
markdown) comes from source/, with the source's metadata (so forged points or flags change nothing, and hidden
tests are the source's); solution cells come from the student's notebook, matched by grade_id (missing → the
release stub). The student's own cells (no grade_id: scratch work, plots) are kept after the graded cell they
followed. Deleted or edited locked cells are reported (compared with the release); the student's kernelspec and
notebook metadata are ignored.
"""
import copy
import re
from dataclasses import dataclass, field
from typing import Any

import nbformat

from autograder.authoring import grade_id, nbgrader_meta

CHECK_CALL = re.compile(r"(?<![\w.])(hidden_check|check)\(\s*[\"']([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)[\"']")


@dataclass
class Graded:
    """A test cell of the source notebook: what it checks and how much it is worth."""

    index: int  # position in the assembled notebook
    grade_id: str
    points: float
    checks: list[tuple[str, str]]  # (kind 'visible'|'hidden', exercise id), in call order
    manual: bool = False  # a graded answer cell (written answer): left to a human


@dataclass
class Assembled:
    """The notebook to run, its graded cells, and what was restored."""

    nb: Any
    graded: list[Graded]
    report: list[str] = field(default_factory=list)

    def hidden_ids(self) -> list[str]:
        return sorted({eid for g in self.graded for kind, eid in g.checks if kind == "hidden"})


def checks_in(source: str) -> list[tuple[str, str]]:
    """The check calls of a test cell's source: [(kind, exercise id)]."""
    return [("hidden" if fn == "hidden_check" else "visible", eid) for fn, eid in CHECK_CALL.findall(source)]


def assemble(source_nb: Any, release_nb: Any, student_nb: Any | None) -> Assembled:
    """Build the notebook to grade from the source's structure and the student's solution cells."""
    report: list[str] = []
    release = {grade_id(c): c for c in release_nb.cells if grade_id(c)}
    source_ids = [grade_id(c) for c in source_nb.cells if grade_id(c)]
    known = set(source_ids)
    student_cells: dict[str, Any] = {}
    anchored: dict[str | None, list[Any]] = {}
    if student_nb is None:
        student_nb = copy.deepcopy(release_nb)
        report.append("notebook missing: graded as the release (no answers)")
    anchor: str | None = None
    for cell in student_nb.cells:
        gid = grade_id(cell)
        if gid in known:
            if gid in student_cells:
                report.append(f"cell {gid} appears twice: the first one counts, the copy runs as ordinary code")
                anchored.setdefault(anchor, []).append(_plain_cell(cell))
                continue
            student_cells[gid] = cell
            anchor = gid
        else:
            if gid or nbgrader_meta(cell):
                report.append(f"a cell with nbgrader metadata not in the assignment ({gid or 'no grade_id'}) "
                              "runs as ordinary code and is never graded")
            anchored.setdefault(anchor, []).append(_plain_cell(cell))
    cells: list[Any] = list(anchored.get(None, []))
    graded: list[Graded] = []
    for src in source_nb.cells:
        gid = grade_id(src)
        if not gid:
            continue  # unmarked source cells are the student's to edit: the student's version runs (anchored)
        meta = nbgrader_meta(src)
        theirs = student_cells.get(gid)
        if meta.get("solution"):
            cell = copy.deepcopy(src)
            if theirs is not None and theirs.get("cell_type") == src.cell_type:
                cell.source = _text(theirs.get("source", ""))
            else:
                cell.source = release[gid].source if gid in release else ""
                report.append(f"answer cell {gid} missing: graded as the release stub")
        else:
            cell = copy.deepcopy(src)
            if theirs is None:
                report.append(f"{'test' if meta.get('grade') else 'read-only'} cell {gid} was deleted: restored from source")
            elif gid in release and (_text(theirs.get("source", "")).strip() not in
                                     (release[gid].source.strip(), src.source.strip())
                                     or theirs.get("cell_type") != release[gid].cell_type):
                report.append(f"{'test' if meta.get('grade') else 'read-only'} cell {gid} was edited: restored from source")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if meta.get("grade"):
            graded.append(Graded(len(cells) - 1, gid, float(meta.get("points", 0) or 0),
                                 checks_in(cell.source) if cell.cell_type == "code" else [],
                                 manual=bool(meta.get("solution")) or cell.cell_type != "code"))
        cells.extend(anchored.get(gid, []))
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(source_nb.metadata)
    nb.cells = cells
    return Assembled(nb, graded, report)


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _plain_cell(cell: Any) -> Any:
    """A student cell as ordinary content: no nbgrader metadata, outputs cleared."""
    kind = cell.get("cell_type")
    text = _text(cell.get("source", ""))
    if kind == "code":
        return nbformat.v4.new_code_cell(text)
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(text)
    return nbformat.v4.new_raw_cell(text)
