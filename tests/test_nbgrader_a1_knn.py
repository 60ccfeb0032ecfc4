"""a1_knn through real nbgrader: build the release, autograde a small class, read the SQLite gradebook."""
from pathlib import Path

import pytest

from autograder import registry
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from tests.nbtools import (assert_release_scores_zero_and_completes, autograded_notebook, class_of, grade_class,
                         noisy_outputs, reference_answers, release_is_fresh)

pytestmark = pytest.mark.nbgrader
ASSIGNMENT, NOTEBOOK = "a1_knn", "knn.ipynb"
EXERCISES = [e.name for e in registry.load()[ASSIGNMENT].exercises]  # from assignments.toml
TOTAL = registry.load()[ASSIGNMENT].points

SQUARED_ONE_LOOP = '''
def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sum((X_train - X_test[i]) ** 2, axis=1)   # forgot the square root
    return dists
'''

WARNING_NO_LOOPS = '''
import warnings

def compute_distances_no_loops(X_test, X_train):
    """Correct, but noisy: a numpy RuntimeWarning, a Python warning and a line on stderr."""
    import sys
    _ = np.log(np.zeros(1))                       # RuntimeWarning: divide by zero
    warnings.warn("just a note from my solution")  # UserWarning
    print("debug: computing distances", file=sys.stderr)
    sq = np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :] - 2 * X_test @ X_train.T
    return np.sqrt(np.maximum(sq, 0))

warnings.warn("defining my functions")  # a warning in the answer cell itself
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary course: release rebuilt, four students submitted and autograded in one run."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    answers = reference_answers(ASSIGNMENT, NOTEBOOK)
    partial = {g: answers[g] for g in ("knn-compute_distances_two_loops-solution", "knn-predict_labels-solution")}
    partial["knn-compute_distances_one_loop-solution"] = SQUARED_ONE_LOOP
    noisy = dict(answers)
    noisy["knn-compute_distances_no_loops-solution"] = WARNING_NO_LOOPS
    class_ = class_of(ASSIGNMENT, NOTEBOOK, partial=partial, noisy=noisy, deleter=partial)
    # the deleter removed every test cell of predict_labels (worth 4 points of a right answer) and a wrong one
    class_["deleter"].cells = [c for c in class_["deleter"].cells if c.metadata.get("nbgrader", {}).get("grade_id")
                               not in ("knn-predict_labels-visible", "knn-predict_labels-hidden",
                                       "knn-compute_distances_one_loop-visible")]
    grade_class(root, ASSIGNMENT, NOTEBOOK, class_)
    return root


def points(root: Path, student: str) -> dict[str, float]:
    return scores(root, ASSIGNMENT)[student]


def test_release_equals_fresh_build(graded: Path) -> None:
    """release/a1_knn committed in the repo is byte-identical to a fresh `nbgrader generate_assignment`."""
    assert release_is_fresh(graded, ASSIGNMENT) == []


def test_source_scores_full_marks(graded: Path) -> None:
    """The source notebook submitted as-is earns every point of every test cell."""
    full = max_points(graded, ASSIGNMENT)
    assert full == registry.cell_points(ASSIGNMENT) and sum(full.values()) == TOTAL
    assert points(graded, "perfect") == {g: p for g, p in full.items() if g.endswith(("-visible", "-hidden"))}


def test_release_scores_zero_and_run_completes(graded: Path) -> None:
    """The release as issued scores 0 on every autograded cell, and every cell was executed (no abort)."""
    assert_release_scores_zero_and_completes(graded, ASSIGNMENT, NOTEBOOK, "blank",
        {f"knn-{e}-{kind}" for e in EXERCISES for kind in ("visible", "hidden")})


def test_partial_submission_gets_exactly_its_right_parts(graded: Path) -> None:
    """Right two_loops and predict_labels, squared one_loop, rest unanswered: exactly 1+1+2+2 points."""
    got = points(graded, "partial")
    right = {"knn-compute_distances_two_loops-visible": 1, "knn-compute_distances_two_loops-hidden": 1,
             "knn-predict_labels-visible": 2, "knn-predict_labels-hidden": 2}
    assert got == {g: float(right.get(g, 0)) for g in got}


def test_honest_answer_with_warnings_keeps_its_points(graded: Path) -> None:
    """A correct answer that emits numpy/Python warnings and writes to stderr still earns full marks."""
    assert sum(points(graded, "noisy").values()) == TOTAL


def test_feedback_of_hidden_failure_teaches(graded: Path) -> None:
    """The partial student's hidden one_loop cell fails with the square-root hint in its output."""
    nb = autograded_notebook(graded, ASSIGNMENT, NOTEBOOK, "partial")
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") ==
                "knn-compute_distances_one_loop-hidden")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "square root" in errors[0].evalue


def test_deleted_test_cells_come_back_and_are_graded(graded: Path) -> None:
    """Deleted test cells are restored from the source (add_missing_cells) and scored, not left for manual grading."""
    assert points(graded, "deleter") == points(graded, "partial")
    from nbgrader.api import Gradebook

    from autograder.gradebook import db_url

    with Gradebook(db_url(graded), "nndl-course") as gb:
        sub = gb.find_submission(ASSIGNMENT, "deleter")
        assert not sub.needs_manual_grade


def test_solved_notebook_shows_no_warnings_or_errors(graded) -> None:
    """The reference answers run top to bottom without a single stderr line or error output (no wall of warnings)."""
    assert noisy_outputs(graded, ASSIGNMENT, NOTEBOOK, "perfect") == []
