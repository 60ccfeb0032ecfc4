"""a3_backprop through real nbgrader: build the release, autograde a small class, read the SQLite gradebook."""
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from tests.nbtools import (assert_release_scores_zero_and_completes, autograded_notebook, class_of, grade_class,
                         noisy_outputs, reference_answers, release_is_fresh)

pytestmark = pytest.mark.nbgrader
ASSIGNMENT, NOTEBOOK = "a3_backprop", "backprop.ipynb"
TOTAL = registry.load()[ASSIGNMENT].points  # from assignments.toml
EXERCISES = [f"{e.module}-{e.name}" for e in registry.load()[ASSIGNMENT].exercises]

MAX_GATE_TIE_TO_X = '''
def max_gate(x, y, df):
    return df * (x >= y), df * (x < y)   # a tie goes to x: not the lecture's 1(x > y)
'''

RELU_NP_MAX = '''
def relu_forward(x):
    out = np.max(x, 0)   # a reduction, not the elementwise maximum
    return out, x
'''

ELU_SHORTHAND = '''
def elu_forward(x, alpha=1.0):
    out = np.maximum(alpha * (np.exp(np.minimum(x, 50)) - 1), x)   # the notes' shorthand: wrong for x > 0
    return out, (x, alpha)
'''

SOFTPLUS_NAIVE = '''
def softplus_forward(x):
    return np.log(1 + np.exp(x)), x   # overflows to inf for x > 709
'''

SOFTPLUS_NOISY = '''
import sys
import warnings

def softplus_forward(x):
    """Right, but noisy: evaluates np.exp(x) everywhere (overflow warning), warns and prints to stderr."""
    warnings.warn("just a note from my solution")
    print("debug: softplus", file=sys.stderr)
    out = np.where(x > 30, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(x)))
    return out, x
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A temporary course: release rebuilt, four students submitted and autograded in one run (timed)."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    answers = reference_answers(ASSIGNMENT, NOTEBOOK)
    right = ("backprop-add_gate", "layers-relu_backward", "layers-sigmoid_cross_entropy",
             "backprop-three_layer_prelu_elu", "backprop-small_graph_backward")
    partial = {f"{g}-solution": answers[f"{g}-solution"] for g in right}  # mult_gate left unanswered
    partial["backprop-max_gate-solution"] = MAX_GATE_TIE_TO_X
    partial["layers-relu_forward-solution"] = RELU_NP_MAX
    partial["layers-elu_forward-solution"] = ELU_SHORTHAND
    partial["layers-softplus_forward-solution"] = SOFTPLUS_NAIVE
    noisy = dict(answers)
    noisy["layers-softplus_forward-solution"] = SOFTPLUS_NOISY
    class_ = class_of(ASSIGNMENT, NOTEBOOK, partial=partial, noisy=noisy)
    start = time.perf_counter()
    grade_class(root, ASSIGNMENT, NOTEBOOK, class_)
    return root, time.perf_counter() - start


def points(root: Path, student: str) -> dict[str, float]:
    return scores(root, ASSIGNMENT)[student]


def test_release_equals_fresh_build(graded) -> None:
    """release/a3_backprop committed in the repo is byte-identical to a fresh `nbgrader generate_assignment`."""
    assert release_is_fresh(graded[0], ASSIGNMENT) == []


def test_source_scores_full_marks(graded) -> None:
    """The source notebook submitted as-is earns every point of every test cell (56 in all)."""
    root, _ = graded
    full = max_points(root, ASSIGNMENT)
    assert full == registry.cell_points(ASSIGNMENT) and sum(full.values()) == TOTAL
    assert set(full) == {f"{e}-{kind}" for e in EXERCISES for kind in ("visible", "hidden")}
    assert points(root, "perfect") == full


def test_release_scores_zero_and_run_completes(graded) -> None:
    """The release as issued scores 0 on every autograded cell, and every cell was executed (no abort)."""
    root, _ = graded
    assert_release_scores_zero_and_completes(root, ASSIGNMENT, NOTEBOOK, "blank",
        {f"{e}-{kind}" for e in EXERCISES for kind in ("visible", "hidden")})


def test_partial_submission_gets_exactly_its_right_parts(graded) -> None:
    """Right: add gate, relu_backward, sigmoid CE, exam network, small graph (mult gate unanswered, max gate
    wrong — the check's stand-in gates keep the small graph's points); wrong relu/elu/softplus forwards: 16."""
    root, _ = graded
    got = points(root, "partial")
    right = {"backprop-add_gate": 1, "layers-relu_backward": 1, "layers-sigmoid_cross_entropy": 2,
             "backprop-three_layer_prelu_elu": 3, "backprop-small_graph_backward": 1}
    want = {f"{e}-{kind}": float(right.get(e, 0)) for e in EXERCISES for kind in ("visible", "hidden")}
    assert got == want
    assert sum(got.values()) == 16


def test_honest_answer_with_warnings_keeps_its_points(graded) -> None:
    """A correct softplus that overflows inside np.where, warns and writes to stderr still earns full marks."""
    assert sum(points(graded[0], "noisy").values()) == TOTAL


@pytest.mark.parametrize("grade_id,phrase", [
    ("layers-relu_forward-visible", "np.maximum"),
    ("layers-elu_forward-hidden", "NOT ELU"),
    ("layers-softplus_forward-visible", "np.logaddexp"),
    ("backprop-max_gate-visible", "goes to y"),
])
def test_feedback_of_a_failure_teaches(graded, grade_id: str, phrase: str) -> None:
    """The partial student's failing cells explain the classic slip (np.max, ELU shorthand, overflow, ties)."""
    cell = next(c for c in autograded_notebook(graded[0], ASSIGNMENT, NOTEBOOK, "partial").cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and phrase in errors[0].evalue, errors[0].evalue if errors else cell.outputs


def test_autograde_is_fast(graded) -> None:
    """Four submissions autograde in one run in under 90 s (heavy cells are light under NBGRADER_EXECUTION)."""
    assert graded[1] < 90, f"autograde took {graded[1]:.1f} s"


def test_solved_notebook_shows_no_warnings_or_errors(graded) -> None:
    """The reference answers run top to bottom without a single stderr line or error output (no wall of warnings)."""
    root, _ = graded
    assert noisy_outputs(root, ASSIGNMENT, NOTEBOOK, "perfect") == []
