"""Written answers (nbgrader manually graded cells) through the instructor CLI: listed as needing grading, a grade
entered through nbgrader's API survives a re-run of `nndl-course grade`, and `export` includes it."""
import csv
from pathlib import Path

import nbformat
import pytest

from autograder import registry
from autograder.cli import main
from autograder.gradebook import open_gradebook
from autograder.nbg import copy_course
from tests.nbtools import reference_answers, submission

pytestmark = pytest.mark.nbgrader
ANSWER = "knn-q_validation-answer"


def _grade(root: Path, subs: Path) -> None:
    assert main(["--course", str(root), "grade", str(subs), "--assignment", "a1_knn"]) == 0


def _written(root: Path, student: str):
    with open_gradebook(root) as gb:
        g = gb.find_grade(ANSWER, "knn", "a1_knn", student)
        return g.needs_manual_grade, g.manual_score, g.max_score


def test_a_manual_grade_survives_regrading_and_is_exported(tmp_path: Path) -> None:
    """After `grade`, the written answer needs manual grading; a score set through nbgrader's Gradebook API is
    kept by a second `grade` of the same submission, and `export` counts it in its column and in the total."""
    assert ANSWER in registry.answer_points("a1_knn")
    root = copy_course(tmp_path / "course")
    subs = tmp_path / "subs"
    answers = {**reference_answers("a1_knn", "knn.ipynb"), ANSWER: "Cross-validation when data are scarce; ..."}
    (subs / "zoe" / "a1_knn").mkdir(parents=True)
    nbformat.write(submission("a1_knn", "knn.ipynb", answers), subs / "zoe" / "a1_knn" / "knn.ipynb")
    _grade(root, subs)
    needs, manual, max_score = _written(root, "zoe")
    assert needs and manual is None and max_score == registry.answer_points("a1_knn")[ANSWER]

    with open_gradebook(root) as gb:  # what formgrader does when the instructor enters a grade
        g = gb.find_grade(ANSWER, "knn", "a1_knn", "zoe")
        g.manual_score = 1.5
        gb.db.commit()
    _grade(root, subs)
    assert _written(root, "zoe")[1] == 1.5

    out = tmp_path / "grades.csv"
    assert main(["--course", str(root), "export", "a1_knn", "--out", str(out)]) == 0
    (row,) = list(csv.DictReader(out.open()))
    auto = registry.load()["a1_knn"].auto_points
    assert float(row["knn.q_validation"]) == 1.5
    assert float(row["total"]) == auto + 1.5 and float(row["max"]) == registry.load()["a1_knn"].points
