"""The visible (course.checks.linear) and hidden (autograder.checks.linear) checks of a2_linear: they pass the
reference, reject typical mistakes with the right hint, and their fixed data is what their docstrings say."""
import ast
import re
from pathlib import Path

import numpy as np
import pytest

from autograder import expected as expected_values
from autograder import registry
from autograder.hidden import check as hidden_check
from course.checks import check, spec
from course.checks import linear as visible
from solutions import linear

EXERCISES = [e.name for e in registry.load()["a2_linear"].exercises]


# ---- typical mistakes -----------------------------------------------------------------------------------
def svm_no_reg_in_loss(W, X, y, reg):
    loss, dW = linear.svm_loss_vectorized(W, X, y, 0.0)
    return loss, dW + 2 * reg * W


def svm_half_reg(W, X, y, reg):
    loss, dW = linear.svm_loss_vectorized(W, X, y, 0.0)
    return loss + 0.5 * reg * np.sum(W * W), dW + reg * W


def svm_no_reg_in_gradient(W, X, y, reg):
    loss, dW = linear.svm_loss_naive(W, X, y, reg)
    return loss, dW - 2 * reg * W


def svm_counts_correct_class(W, X, y, reg):
    loss, dW = linear.svm_loss_naive(W, X, y, reg)
    return loss + 1.0, dW


def softmax_reg_gradient_once(W, X, y, reg):
    loss, dW = linear.softmax_loss_vectorized(W, X, y, reg)
    return loss, dW - reg * W


def softmax_negated_gradient(W, X, y, reg):
    loss, dW = linear.softmax_loss_vectorized(W, X, y, reg)
    return loss, -dW


def softmax_summed_not_averaged(W, X, y, reg):
    loss, dW = linear.softmax_loss_vectorized(W, X, y, 0.0)
    return len(X) * loss + reg * np.sum(W * W), len(X) * dW + 2 * reg * W


def softmax_unstable(W, X, y, reg):
    rows = np.arange(len(X))
    p = np.exp(X @ W)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[rows, y]).mean() + reg * np.sum(W * W)
    p[rows, y] -= 1
    return loss, X.T @ p / len(X) + 2 * reg * W


def softmax_shift_then_log_p(W, X, y, reg):
    """Correct: shift by the row maximum, then -log p (no log-sum-exp)."""
    rows = np.arange(len(X))
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[rows, y]).mean() + reg * np.sum(W * W)
    p[rows, y] -= 1
    return loss, X.T @ p / len(X) + 2 * reg * W


def softmax_returns_loss_only(W, X, y, reg):
    return linear.softmax_loss_vectorized(W, X, y, reg)[0]


def make_train(bug: str):
    """A train with one mistake (or none, for bug == '')."""

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
        rng = np.random.default_rng(seed)
        if self.W is None:
            self.W = np.zeros((X.shape[1], int(y.max()) + 1)) if bug == "zero-init" else \
                0.001 * rng.standard_normal((X.shape[1], int(y.max()) + 1))
        history = []
        fixed = rng.choice(len(X), size=batch_size)
        for _ in range(num_iters):
            idx = np.random.choice(len(X), size=batch_size) if bug == "global-rng" else rng.choice(len(X), size=batch_size)
            idx = fixed if bug == "same-batch" else idx
            y_idx = rng.choice(len(X), size=batch_size) if bug == "misaligned" else idx
            loss, dW = self.loss(X[idx], y[y_idx], 0.0 if bug == "no-reg" else reg)
            step = {"uphill": -learning_rate, "no-lr": 1.0}.get(bug, learning_rate)
            self.W = self.W - step * dW
            history.append(loss)
        return history

    return train


def predict_argmin(self, X):
    return np.argmin(X @ self.W, axis=1)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ---- visible checks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
def test_visible_check_passes_the_reference(name, capsys):
    """Each visible check accepts solutions.linear's function and says so."""
    check(f"linear.{name}", getattr(linear, name))
    assert f"✓ linear.{name}: visible check passed" in capsys.readouterr().out


@pytest.mark.parametrize("name", EXERCISES)
def test_visible_check_lets_not_implemented_through(name):
    """A released stub raises NotImplementedError out of the check (not an AssertionError about its output)."""
    with pytest.raises(NotImplementedError):
        check(f"linear.{name}", stub)


@pytest.mark.parametrize("exercise, fn, message", [
    ("svm_loss_vectorized", svm_no_reg_in_loss, "add the regularization reg * np.sum(W * W)"),
    ("svm_loss_vectorized", svm_half_reg, "without a factor 1/2"),
    ("svm_loss_naive", svm_no_reg_in_gradient, "add 2 * reg * W"),
    ("svm_loss_naive", svm_counts_correct_class, "skip j == y_i"),
    ("softmax_loss_vectorized", softmax_reg_gradient_once, "is 2 * reg * W, not reg * W"),
    ("softmax_loss_naive", softmax_negated_gradient, "dW has the wrong sign"),
    ("softmax_loss_naive", softmax_summed_not_averaged, "divide by N"),
    ("softmax_loss_vectorized", softmax_unstable, "subtract EACH ROW's maximum score"),
    ("softmax_loss_vectorized", softmax_returns_loss_only, "must return a pair (loss, dW)"),
    ("train", make_train("uphill"), "SUBTRACT learning_rate * dW"),
    ("train", make_train("no-lr"), "multiply dW by learning_rate"),
    ("train", make_train("misaligned"), "index X and y with the SAME indices"),
    ("train", make_train("no-reg"), "pass reg on unchanged"),
    ("train", make_train("global-rng"), "np.random.default_rng(seed)"),
    ("train", make_train("same-batch"), "the same minibatch"),
    ("train", make_train("zero-init"), "small random numbers"),
    ("predict", predict_argmin, "not argmin"),
], ids=["svm-no-reg", "svm-half-reg", "svm-no-reg-grad", "svm-counts-y", "softmax-reg-grad-once", "softmax-neg-grad",
        "softmax-summed", "softmax-unstable", "softmax-no-pair", "train-uphill", "train-no-lr", "train-misaligned",
        "train-no-reg", "train-global-rng", "train-same-batch", "train-zero-init", "predict-argmin"])
def test_visible_check_rejects_a_mistake_with_its_hint(exercise, fn, message):
    """A typical mistake fails the visible check with a message that names the fix."""
    with pytest.raises(AssertionError, match="(?s).*" + re.escape(message)):
        check(f"linear.{exercise}", fn)


def test_shift_by_max_is_enough_for_the_stability_checks(grading):
    """A softmax that shifts by the row maximum and then takes -log p (CS231n style) passes visible and hidden checks."""
    check("linear.softmax_loss_vectorized", softmax_shift_then_log_p)
    for student in range(12):
        grading.setenv("NNDL_STUDENT_ID", f"student{student}")
        hidden_check("linear.softmax_loss_vectorized", softmax_shift_then_log_p)


def test_correct_train_written_differently_passes():
    """A train written independently (same protocol, other code) passes: the check is not tied to one text."""
    check("linear.train", make_train(""))


def test_warnings_of_a_correct_answer_do_not_leak(capsys):
    """A correct softmax that triggers numpy warnings passes, and nothing reaches stderr."""
    def noisy(W, X, y, reg):
        np.log(np.zeros(1))
        return linear.softmax_loss_vectorized(W, X, y, reg)

    check("linear.softmax_loss_vectorized", noisy)
    assert capsys.readouterr().err == ""


# ---- hidden checks --------------------------------------------------------------------------------------
@pytest.fixture
def grading(tmp_path, monkeypatch):
    """A scratch evidence folder and a student id for hidden checks."""
    monkeypatch.setenv("NNDL_EVIDENCE_DIR", str(tmp_path))
    monkeypatch.delenv("NNDL_HIDDEN_VERDICT", raising=False)
    return monkeypatch


@pytest.mark.parametrize("name", EXERCISES)
def test_hidden_check_passes_the_reference_for_many_students(name, grading):
    """For 8 students' grading-time inputs, the reference passes every hidden check."""
    for student in range(8):
        grading.setenv("NNDL_STUDENT_ID", f"student{student}")
        hidden_check(f"linear.{name}", getattr(linear, name))


def test_hidden_inputs_cover_edge_cases():
    """Every draw of the loss batteries has N = 1, reg > 0, reg = 0, a bias column, exact hinge kinks (SVM) and
    scores beyond e^s's range (> 710, softmax)."""
    for exercise in ("svm_loss_naive", "softmax_loss_naive"):
        ex = spec.lookup(f"linear.{exercise}")
        for seed in range(20):
            cases = dict(zip(ex.cases, spec.draw(ex.cases, np.random.default_rng(seed))))
            assert any(len(c["X"]) == 1 for c in cases.values())
            assert any(c["reg"] == 0 for c in cases.values()) and any(c["reg"] >= 0.1 for c in cases.values())
            assert all(np.all(c["X"][:, -1] != 0) for c in cases.values())
            if exercise.startswith("svm"):
                kink = cases["hinge margins exactly 0 (the kink)"]
                s = kink["X"] @ kink["W"]
                m = s - s[np.arange(len(s)), kink["y"]][:, None] + 1.0
                m[np.arange(len(s)), kink["y"]] = 1.0
                assert np.any(m == 0)
            else:
                assert any(np.abs(c["X"] @ c["W"]).min() > 710 for c in cases.values())


# ---- fixed data and hygiene -----------------------------------------------------------------------------
def test_expected_values_are_fresh():
    """course/expected/linear.json equals what autograder.expected generates from solutions now (numerically)."""
    assert expected_values.stale_entries("linear") == []


def test_visible_predict_cases_have_clear_winners():
    """In the visible predict check every row's best score beats the runner-up clearly (argmax is unambiguous)."""
    for p in spec.visible_cases(spec.lookup("linear.predict")):
        s = np.sort(p["X"] @ p["W"], axis=1)
        assert np.all(s[:, -1] - s[:, -2] > 1e-6 * max(1.0, np.abs(s).max()))


def test_course_checks_linear_imports_no_answers():
    """course/checks/linear.py imports neither solutions nor autograder (students get it)."""
    tree = ast.parse(Path(visible.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | \
        {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.split(".")[0] in {"solutions", "autograder"} for m in imported if m)
