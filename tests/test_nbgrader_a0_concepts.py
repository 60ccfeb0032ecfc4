"""a0_concepts through real nbgrader: build the release, autograde a small class, read the SQLite gradebook."""
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from tests.nbtools import (assert_release_scores_zero_and_completes, autograded_notebook, class_of, grade_class,
                         noisy_outputs, reference_answers, release_is_fresh)

pytestmark = pytest.mark.nbgrader
ASSIGNMENT, NOTEBOOK = "a0_concepts", "concepts.ipynb"
EXERCISES = [e.name for e in registry.load()[ASSIGNMENT].exercises]  # from assignments.toml
TOTAL = registry.load()[ASSIGNMENT].points

WRONG_SIGN_CROSS_ENTROPY = '''
def cross_entropy(p, y):
    return float(np.mean(np.log(p[np.arange(len(y)), y])))   # forgot the minus sign
'''

NOISY_PREDICT = '''
import sys
import warnings

def predict_gaussian(params, X):
    """Correct, but noisy: a numpy RuntimeWarning, a Python warning and a line on stderr."""
    _ = np.log(np.zeros(1))                      # RuntimeWarning: divide by zero
    warnings.warn("just a note from my solution")
    print("debug: predicting", file=sys.stderr)
    scores = []
    for mu, S, prior in zip(params["means"], params["covariances"], params["priors"]):
        diff = X - mu
        maha = np.einsum("nd,nd->n", diff, np.linalg.solve(S, diff.T).T)
        scores.append(np.log(prior) - 0.5 * (maha + np.linalg.slogdet(S)[1]))
    return np.argmax(np.column_stack(scores), axis=1)

warnings.warn("defining my functions")
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary course: release rebuilt, four students submitted and autograded in one run."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    answers = reference_answers(ASSIGNMENT, NOTEBOOK)
    partial = {f"concepts-{g}-solution": answers[f"concepts-{g}-solution"]
               for g in ("squared_loss", "polynomial_features", "fit_gaussian_classes")}
    partial["concepts-cross_entropy-solution"] = WRONG_SIGN_CROSS_ENTROPY
    noisy = dict(answers)
    noisy["concepts-predict_gaussian-solution"] = NOISY_PREDICT
    class_ = class_of(ASSIGNMENT, NOTEBOOK, partial=partial, noisy=noisy)
    start = time.perf_counter()
    grade_class(root, ASSIGNMENT, NOTEBOOK, class_)
    (root / "autograde_seconds.txt").write_text(f"{time.perf_counter() - start:.1f}")
    return root


def points(root: Path, student: str) -> dict[str, float]:
    return scores(root, ASSIGNMENT)[student]


def test_release_equals_fresh_build(graded: Path) -> None:
    """release/a0_concepts committed in the repo is byte-identical to a fresh `nbgrader generate_assignment`."""
    assert release_is_fresh(graded, ASSIGNMENT) == []


def test_source_scores_full_marks(graded: Path) -> None:
    """The source notebook submitted as-is earns every point of every test cell (24)."""
    full = max_points(graded, ASSIGNMENT)
    assert full == registry.cell_points(ASSIGNMENT) and sum(full.values()) == TOTAL
    assert points(graded, "perfect") == {g: p for g, p in full.items() if g.endswith(("-visible", "-hidden"))}


def test_release_scores_zero_and_run_completes(graded: Path) -> None:
    """The release as issued scores 0 on every autograded cell, and every cell was executed (no abort)."""
    assert_release_scores_zero_and_completes(graded, ASSIGNMENT, NOTEBOOK, "blank",
        {f"concepts-{e}-{kind}" for e in EXERCISES for kind in ("visible", "hidden")})


def test_partial_submission_gets_exactly_its_right_parts(graded: Path) -> None:
    """Right squared_loss, polynomial_features, fit_gaussian_classes; wrong-sign cross_entropy; rest blank: 1+1+1+1+2+2."""
    got = points(graded, "partial")
    right = {"concepts-squared_loss-visible": 1, "concepts-squared_loss-hidden": 1,
             "concepts-polynomial_features-visible": 1, "concepts-polynomial_features-hidden": 1,
             "concepts-fit_gaussian_classes-visible": 2, "concepts-fit_gaussian_classes-hidden": 2}
    assert got == {g: float(right.get(g, 0)) for g in got}


def test_honest_answer_with_warnings_keeps_its_points(graded: Path) -> None:
    """A correct answer that emits numpy/Python warnings and writes to stderr still earns full marks."""
    assert sum(points(graded, "noisy").values()) == TOTAL


def test_feedback_of_hidden_failure_teaches(graded: Path) -> None:
    """The partial student's hidden cross_entropy cell fails with the sign hint in its output."""
    nb = autograded_notebook(graded, ASSIGNMENT, NOTEBOOK, "partial")
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") ==
                "concepts-cross_entropy-hidden")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "sign" in errors[0].evalue


def test_autograde_of_four_students_is_fast(graded: Path) -> None:
    """Autograding the class (four notebooks, one nbgrader run) takes well under the 90 s budget."""
    assert float((graded / "autograde_seconds.txt").read_text()) < 90


def test_solved_notebook_shows_no_warnings_or_errors(graded) -> None:
    """The reference answers run top to bottom without a single stderr line or error output (no wall of warnings)."""
    assert noisy_outputs(graded, ASSIGNMENT, NOTEBOOK, "perfect") == []
