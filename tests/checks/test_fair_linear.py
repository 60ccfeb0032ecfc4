"""Fairness of the a2_linear checks: every known bug is caught for every student, the reference for none.

Per exercise, a table of known-bug variants, one per failure mode the notebook teaches, replayed through the hidden
check over 50 students' seeds (tests/fairness.py) and once through the visible check on its fixed inputs. A bug
the visible check deliberately leaves to the hidden check is listed in HIDDEN_ONLY with its reason.
"""

from typing import Any, Callable

import numpy as np

from course.checks.core import with_globals
from solutions import linear
from tests import fairness

SVM_IDS = ("linear.svm_loss_naive", "linear.svm_loss_vectorized")
SOFTMAX_IDS = ("linear.softmax_loss_naive", "linear.softmax_loss_vectorized")
ALL_IDS = SVM_IDS + SOFTMAX_IDS + ("linear.train", "linear.predict")


# ---- the losses, written once with a switch per failure mode --------------------------------------------
def _svm(W, X, y, reg, *, reg_loss=1.0, reg_grad=2.0, average=True, average_grad=True, count_correct=False,
         kink_counts=False, correct_minus_one=False, grad_sign=1.0, squeeze=False):
    """A vectorized hinge loss; every keyword switches on one known mistake (all off: the right answer)."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = np.squeeze(X @ W) if squeeze else X @ W
    margins = scores - scores[rows, y][:, None] + 1.0
    if not count_correct:
        margins[rows, y] = -np.inf if kink_counts else 0.0
    positive = margins >= 0 if kink_counts else margins > 0
    data = np.maximum(margins, 0.0).sum()
    dscores = positive.astype(float)
    if count_correct:
        dscores[rows, y] = 0.0
    dscores[rows, y] -= 1.0 if correct_minus_one else dscores.sum(axis=1)
    ddata = X.T @ dscores
    loss = (data / N if average else data) + reg_loss * reg * np.sum(W * W)
    dW = (ddata / N if average and average_grad else ddata) + reg_grad * reg * W
    return float(loss), grad_sign * dW


def _softmax(W, X, y, reg, *, shift="row", reg_loss=1.0, reg_grad=2.0, average=True, average_grad=True,
             loss_sign=1.0, grad_sign=1.0, onehot=True, squeeze=False, grad_unshifted=False):
    """A vectorized softmax loss; every keyword switches on one known mistake (all off: the right answer)."""
    N = X.shape[0]
    rows = np.arange(N)
    raw = np.squeeze(X @ W) if squeeze else X @ W
    with np.errstate(all="ignore"):  # the unstable variants overflow on purpose
        s = {"row": raw - raw.max(axis=1, keepdims=True), "global": raw - raw.max(), "none": raw}[shift]
        log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        p = np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True) if grad_unshifted else np.exp(log_p)
    data = -log_p[rows, y].sum() * loss_sign
    if onehot:
        p[rows, y] -= 1.0
    ddata = X.T @ p
    loss = (data / N if average else data) + reg_loss * reg * np.sum(W * W)
    dW = (ddata / N if average and average_grad else ddata) + reg_grad * reg * W
    return float(loss), grad_sign * dW


# bug name -> the keyword switches of _svm / _softmax that make the mistake (the failure mode is in the comment)
COMMON_LOSS_BUGS: dict[str, dict[str, Any]] = {
    # the regularization reg * sum(W*W) is missing from the loss (the gradient has it)
    "reg missing from the loss": {"reg_loss": 0.0},
    # the nets' convention 0.5 * reg * sum(W*W) (loss and gradient)
    "0.5 * reg convention": {"reg_loss": 0.5, "reg_grad": 1.0},
    # dW += reg * W: the factor 2 of the derivative is missing
    "dW += reg * W": {"reg_grad": 1.0},
    # the gradient of the regularization is missing from dW
    "reg missing from dW": {"reg_grad": 0.0},
    # the data loss and its gradient are summed, not averaged over N
    "summed over N": {"average": False},
    # the loss is averaged but dW is not divided by N
    "dW not averaged": {"average_grad": False},
    # dW has the wrong sign
    "dW negated": {"grad_sign": -1.0},
    # np.squeeze on the scores: breaks for a single sample (N = 1)
    "squeezes the scores": {"squeeze": True},
}

SVM_ONLY_BUGS: dict[str, dict[str, Any]] = {
    # j == y_i is not skipped: the correct class adds a margin of exactly 1
    "counts j == y_i": {"count_correct": True},
    # the correct class gets -1 instead of minus the number of positive margins
    "correct class gets -1": {"correct_minus_one": True},
    # a margin of exactly 0 counted as positive in dW (the kink takes derivative 0)
    "margin >= 0 at the kink": {"kink_counts": True},
}

SOFTMAX_ONLY_BUGS: dict[str, dict[str, Any]] = {
    # no shift by the maximum: e^s overflows for scores beyond ~709
    "no max shift": {"shift": "none"},
    # shifted by the maximum of ALL scores, not each row's: rows far below it underflow to p = 0/0
    "global max shift": {"shift": "global"},
    # a stable loss, but dW from the unshifted e^s
    "dW from unshifted exp": {"grad_unshifted": True},
    # the loss has the wrong sign (+log p)
    "loss negated": {"loss_sign": -1.0},
    # dL/ds = p, without subtracting the one-hot of the correct class
    "dscores lacks -onehot(y)": {"onehot": False},
}


def loss_bugs(loss: Callable[..., Any], switches: dict[str, dict[str, Any]],
              name: str) -> dict[str, Callable[..., Any]]:
    """{bug name: loss(W, X, y, reg) with that bug's switches}, each function named like the exercise."""
    def bug(kwargs: dict[str, Any]) -> Callable[..., Any]:
        def fn(W, X, y, reg):
            return loss(W, X, y, reg, **kwargs)
        fn.__name__ = name
        return fn
    return {bug_name: bug(kwargs) for bug_name, kwargs in switches.items()}


# ---- train ----------------------------------------------------------------------------------------------
def make_train(bug: str) -> Callable[..., Any]:
    """A train with one mistake (or none, for bug == ''), written independently of solutions.linear."""

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
        rng = np.random.default_rng(0 if bug == "ignores seed" else seed)
        if self.W is None:
            C = len(np.unique(y)) if bug == "C from distinct labels" else int(y.max()) + 1
            if bug == "zero init":
                self.W = np.zeros((X.shape[1], C))
            elif bug == "init from np.random":
                self.W = 0.001 * np.random.standard_normal((X.shape[1], C))
            else:
                self.W = 0.001 * rng.standard_normal((X.shape[1], C))
        history = []
        fixed = rng.choice(len(X), size=batch_size)
        for _ in range(num_iters):
            if bug == "global rng":
                idx = np.random.choice(len(X), size=batch_size)
            elif bug == "without replacement":
                idx = rng.choice(len(X), size=batch_size, replace=False)
            else:
                idx = rng.choice(len(X), size=batch_size)
            idx = fixed if bug == "same batch" else idx
            y_idx = rng.choice(len(X), size=batch_size) if bug == "misaligned labels" else idx
            loss, dW = self.loss(X[idx], y[y_idx], 0.0 if bug == "reg not passed" else reg)
            step = {"uphill": -learning_rate, "no learning rate": 1.0, "no update": 0.0}.get(bug, learning_rate)
            self.W = self.W - step * dW
            history.append(loss)
        return history[-1:] if bug == "returns the last loss" else history

    train.__name__ = "train"
    return train


TRAIN_BUGS = fairness.variants(make_train, {
    "uphill": "W <- W + lr * dW (uphill)",
    "no learning rate": "W <- W - dW (learning rate forgotten)",
    "no update": "self.W is never updated",
    "misaligned labels": "y_batch from other indices than X_batch",
    "reg not passed": "reg not passed on to self.loss",
    "global rng": "minibatches from the global np.random (not reproducible from seed)",
    "ignores seed": "the generator ignores `seed`",
    "same batch": "one minibatch drawn once and reused",
    "without replacement": "sampling WITHOUT replacement (fails for batch_size > N)",
    "zero init": "W created as zeros",
    "init from np.random": "W created from the global np.random (not reproducible from seed)",
    "C from distinct labels": "C = number of distinct labels instead of max(y) + 1",
    "returns the last loss": "returns only the last loss instead of the history",
})


# ---- predict --------------------------------------------------------------------------------------------
PREDICT_BUGS: dict[str, Callable[..., Any]] = {
    # the lowest score instead of the highest
    "argmin": lambda self, X: np.argmin(X @ self.W, axis=1),
    # argmax over the samples (axis 0) instead of the classes
    "argmax over axis 0": lambda self, X: np.argmax(X @ self.W, axis=0),
    # argmax of the flattened scores (one number)
    "argmax without axis": lambda self, X: np.argmax(X @ self.W),
    # the scores instead of the labels
    "returns the scores": lambda self, X: X @ self.W,
    # labels counted from 1
    "labels from 1": lambda self, X: np.argmax(X @ self.W, axis=1) + 1,
}


BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    **{eid: loss_bugs(_svm, {**COMMON_LOSS_BUGS, **SVM_ONLY_BUGS}, eid.partition(".")[2]) for eid in SVM_IDS},
    **{eid: loss_bugs(_softmax, {**COMMON_LOSS_BUGS, **SOFTMAX_ONLY_BUGS}, eid.partition(".")[2])
       for eid in SOFTMAX_IDS},
    "linear.train": TRAIN_BUGS,
    "linear.predict": PREDICT_BUGS,
}

# bugs the visible check deliberately leaves to the hidden one, with the reason
HIDDEN_ONLY: dict[tuple[str, str], str] = {}  # none: the visible draw has every case type, the kink included



def _fn(exercise_id: str, name: str) -> Callable[..., Any]:
    return BUGS[exercise_id][name]


# ---- the tests ------------------------------------------------------------------------------------------


# ---- no collateral loss ---------------------------------------------------------------------------------
def _broken_loss(W, X, y, reg):
    raise RuntimeError("a broken loss")


class BrokenClassifier:
    """A classifier whose own loss is wrong: train must still be graded on the check's stand-in loss."""

    def __init__(self) -> None:
        self.W = None

    def loss(self, X_batch, y_batch, reg):
        raise RuntimeError("the student's loss is broken")


def test_train_keeps_full_marks_when_the_losses_are_wrong() -> None:
    """train is graded with the check's stand-in classifier: wrong losses in the notebook cost train nothing."""
    train = with_globals(linear.train, svm_loss_vectorized=_broken_loss, softmax_loss_vectorized=_broken_loss,
                         LinearSVM=BrokenClassifier, Softmax=BrokenClassifier)
    assert fairness.visible_verdict("linear.train", train) is None
    fairness.assert_passes_in_every_draw("linear.train", train)


def test_predict_keeps_full_marks_when_train_and_the_losses_are_wrong() -> None:
    """predict is graded on weights the check gives it: a wrong train or loss costs predict nothing."""
    predict = with_globals(linear.predict, train=TRAIN_BUGS["uphill"], svm_loss_vectorized=_broken_loss,
                           softmax_loss_vectorized=_broken_loss)
    assert fairness.visible_verdict("linear.predict", predict) is None
    fairness.assert_passes_in_every_draw("linear.predict", predict)


def test_vectorized_losses_keep_full_marks_when_the_naive_ones_are_wrong() -> None:
    """A vectorized loss that calls nothing else is graded on its own: wrong naive losses cost it nothing."""
    for name in ("svm_loss_vectorized", "softmax_loss_vectorized"):
        fn = with_globals(getattr(linear, name), svm_loss_naive=_broken_loss, softmax_loss_naive=_broken_loss)
        assert fairness.visible_verdict(f"linear.{name}", fn) is None
        fairness.assert_passes_in_every_draw(f"linear.{name}", fn)


# right answers written independently of solutions (the bug tables with every switch off)
_RIGHT_BY_KIND = {"svm": lambda W, X, y, reg: _svm(W, X, y, reg),
                  "softmax": lambda W, X, y, reg: _softmax(W, X, y, reg),
                  "train": make_train(""), "predict": lambda self, X: np.argmax(X @ self.W, axis=1)}
RIGHT = {eid: {"independent": _RIGHT_BY_KIND[eid.partition(".")[2].split("_")[0]]} for eid in ALL_IDS}
