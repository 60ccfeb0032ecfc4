"""Every assignment through the sandboxed pipeline (`nndl-course grade`): the source notebook earns full marks
and the release as issued earns 0 — so no hidden check needs code the grading kernel does not have."""
import contextlib
import io
from pathlib import Path

import nbformat
import pytest

from autograder.build import assignments
from autograder.cli import main
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from tests.nbtools import ROOT

pytestmark = pytest.mark.nbgrader


@pytest.mark.parametrize("assignment", [a for a in assignments(ROOT) if a != "a1_knn"])  # a1: test_cli, security
def test_source_full_marks_release_zero_through_the_sandbox(assignment: str, tmp_path: Path) -> None:
    """source/ as submitted = every point of every test cell; release/ as issued = 0 on every cell; written
    answers wait for a human (0 until graded)."""
    root = copy_course(tmp_path / "course")
    subs = tmp_path / "subs"
    for student, base in (("perfect", "source"), ("blank", "release")):
        for nb_path in sorted((ROOT / base / assignment).glob("*.ipynb")):
            dest = subs / student / assignment / nb_path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nbformat.read(nb_path, as_version=4), dest)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--course", str(root), "grade", str(subs), "--assignment", assignment, "--workers", "2"])
    assert code == 0, out.getvalue()
    # written answers (-answer cells) are left to a human grader: autograding gives them 0 until then
    full = {g: 0.0 if g.endswith("-answer") else p for g, p in max_points(root, assignment).items()}
    got = scores(root, assignment)
    assert got["perfect"] == full, {g: (got["perfect"][g], p) for g, p in full.items() if got["perfect"][g] != p}
    assert set(got["blank"].values()) == {0.0}
