"""a2_linear through real nbgrader: build the release, autograde a small class, read the SQLite gradebook."""
from pathlib import Path

import pytest

from autograder import registry
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from tests.nbtools import (assert_release_scores_zero_and_completes, autograded_notebook, class_of, grade_class,
                         noisy_outputs, reference_answers, release_is_fresh)

pytestmark = pytest.mark.nbgrader
ASSIGNMENT, NOTEBOOK = "a2_linear", "linear.ipynb"
EXERCISES = [e.name for e in registry.load()[ASSIGNMENT].exercises]  # from assignments.toml
POINTS = {e.name: e.visible for e in registry.load()[ASSIGNMENT].exercises}  # the visible and hidden cells are equal
TOTAL = registry.load()[ASSIGNMENT].points

UPHILL_TRAIN = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
    rng = np.random.default_rng(seed)
    if self.W is None:
        self.W = 0.001 * rng.standard_normal((X.shape[1], np.max(y) + 1))
    losses = []
    for it in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, dW = self.loss(X[idx], y[idx], reg)
        self.W += learning_rate * dW          # wrong sign: steps uphill
        losses.append(loss)
    return losses
'''

# A correct train written independently (a while loop, in-place update, a numpy history), and a correct naive
# softmax that warns and writes to stderr: neither costs a point.
OWN_TRAIN = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
    rng = np.random.default_rng(seed)
    N, D = X.shape
    if self.W is None:
        self.W = 0.001 * rng.standard_normal((D, int(y.max()) + 1))
    history = np.zeros(num_iters)
    t = 0
    while t < num_iters:
        rows = rng.choice(N, size=batch_size, replace=True)
        history[t], grad = self.loss(X[rows, :], y[rows], reg)
        self.W -= learning_rate * grad
        t += 1
    return history
'''

NOISY_SOFTMAX = '''
import sys
import warnings

def softmax_loss_naive(W, X, y, reg):
    _ = np.log(np.zeros(1))                        # RuntimeWarning: divide by zero
    warnings.warn("a note from my solution")        # UserWarning
    print("debug: softmax", file=sys.stderr)
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        s = X[i] @ W
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary course: release rebuilt, four students submitted and autograded in one run."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    answers = reference_answers(ASSIGNMENT, NOTEBOOK)
    partial = {f"linear-{e}-solution": answers[f"linear-{e}-solution"]
               for e in ("svm_loss_naive", "softmax_loss_vectorized", "predict")}
    partial["linear-train-solution"] = UPHILL_TRAIN
    independent = {**answers, "linear-train-solution": OWN_TRAIN, "linear-softmax_loss_naive-solution": NOISY_SOFTMAX}
    class_ = class_of(ASSIGNMENT, NOTEBOOK, partial=partial, independent=independent)
    grade_class(root, ASSIGNMENT, NOTEBOOK, class_)
    return root


def points(root: Path, student: str) -> dict[str, float]:
    return scores(root, ASSIGNMENT)[student]


def test_release_equals_fresh_build(graded: Path) -> None:
    """release/a2_linear committed in the repo is byte-identical to a fresh `nbgrader generate_assignment`."""
    assert release_is_fresh(graded, ASSIGNMENT) == []


def test_source_scores_full_marks(graded: Path) -> None:
    """The source notebook submitted as-is earns every point of every test cell (26 in all)."""
    full = max_points(graded, ASSIGNMENT)
    assert full == {f"linear-{e}-{kind}": float(p) for e, p in POINTS.items() for kind in ("visible", "hidden")}
    assert full == registry.cell_points(ASSIGNMENT) and sum(full.values()) == TOTAL
    assert points(graded, "perfect") == full


def test_release_scores_zero_and_run_completes(graded: Path) -> None:
    """The release as issued scores 0 on every autograded cell, and every cell was executed (no abort)."""
    assert_release_scores_zero_and_completes(graded, ASSIGNMENT, NOTEBOOK, "blank",
        {f"linear-{e}-{kind}" for e in EXERCISES for kind in ("visible", "hidden")})


def test_partial_submission_gets_exactly_its_right_parts(graded: Path) -> None:
    """Right svm_loss_naive, softmax_loss_vectorized and predict, an uphill train, rest blank: exactly 2·(2+3+1) points."""
    got = points(graded, "partial")
    right = {f"linear-{e}-{kind}": POINTS[e] for e in ("svm_loss_naive", "softmax_loss_vectorized", "predict")
             for kind in ("visible", "hidden")}
    assert got == {g: float(right.get(g, 0)) for g in got}
    assert sum(got.values()) == 12


def test_independent_correct_answers_with_warnings_keep_their_points(graded: Path) -> None:
    """Another correct train and a correct softmax that warns and writes to stderr still earn all 26 points."""
    assert sum(points(graded, "independent").values()) == TOTAL


def test_feedback_of_a_wrong_train_teaches(graded: Path) -> None:
    """The partial student's visible train cell fails with the 'subtract learning_rate * dW' hint."""
    cell = next(c for c in autograded_notebook(graded, ASSIGNMENT, NOTEBOOK, "partial").cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "linear-train-visible")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "SUBTRACT learning_rate * dW" in errors[0].evalue


def test_graded_notebook_shows_the_static_explorer(graded: Path) -> None:
    """Under autograde the explorer cell draws one static PNG (feedback HTML needs no JavaScript) and no widget."""
    last = [c for c in autograded_notebook(graded, ASSIGNMENT, NOTEBOOK, "perfect").cells if c.cell_type == "code"][-1]
    kinds = [o.get("data", {}).keys() for o in last.outputs if o.output_type == "display_data"]
    assert any("image/png" in k for k in kinds)
    assert not any("application/vnd.jupyter.widget-view+json" in k for k in kinds)


def test_solved_notebook_shows_no_warnings_or_errors(graded) -> None:
    """The reference answers run top to bottom without a single stderr line or error output (no wall of warnings)."""
    assert noisy_outputs(graded, ASSIGNMENT, NOTEBOOK, "perfect") == []
