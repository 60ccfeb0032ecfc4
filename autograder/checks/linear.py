"""Hidden checks of assignment a2_linear: the student's losses, SGD loop and predict vs `solutions.linear`.

Every check is a `battery`: the same case types for every student (values drawn per student), together covering
every failure mode the notebook teaches — reg > 0 (missing, halved or un-doubled regularization), N > 1 with every
hinge margin positive (averaging, the correct class's count), N = 1, hinge margins of exactly 0 (SVM), scores
beyond exp's range and rows far apart (softmax's shift by each row's maximum); for train reg > 0, batch_size > N
and a label gap (C = max(y) + 1), with seed reproducibility; for predict N > C, N < C and N = 1.
tests/checks/test_fair_linear.py replays one known bug per failure mode over 50 students: caught in every draw.
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import Schema, battery, hidden
from course.checks import linear as visible
from course.checks.core import assert_close, assert_equal_labels, call_student


# ---- losses ---------------------------------------------------------------------------------------------
# One battery per loss family: every student gets every case type below, with values drawn for them. Sizes stay
# small (the reference runs on every case), weights and reg large enough that a missing factor 2, a factor 1/2
# or a missing regularization is far outside rtol = 1e-6.
def _problem(rng: np.random.Generator, N: int, C: int, w_scale: float) -> dict[str, np.ndarray]:
    """X (N, D) with a bias column of ones, W (D, C) of scale `w_scale`, y (N,) in 0 .. C-1."""
    D = int(rng.integers(2, 9))
    X = 10 ** rng.uniform(-0.3, 0.3) * rng.normal(size=(N, D))
    X[:, -1] = 1.0
    return {"W": w_scale * rng.normal(size=(D, C)), "X": X, "y": rng.integers(0, C, size=N)}


def _reg_positive(rng: np.random.Generator) -> dict[str, Any]:
    """N in 2..12, C in 3..8, |W| ~ 0.5 .. 2 and reg in [0.1, 1]: reg * sum(W*W) is a large part of the loss."""
    p = _problem(rng, int(rng.integers(2, 13)), int(rng.integers(3, 9)), float(10 ** rng.uniform(-0.3, 0.3)))
    return {**p, "reg": float(10 ** rng.uniform(-1, 0))}


def _tiny_weights(rng: np.random.Generator) -> dict[str, Any]:
    """W ~ 1e-4 (every score about 0, every hinge margin about 1 > 0), N in 2..20, C in 3..10, reg = 0."""
    return {**_problem(rng, int(rng.integers(2, 21)), int(rng.integers(3, 11)), 1e-4), "reg": 0.0}


def _single_sample(rng: np.random.Generator) -> dict[str, Any]:
    """N = 1 (a (1, D) X must stay two-dimensional), C in 2..8, reg in [0.1, 1]."""
    p = _problem(rng, 1, int(rng.integers(2, 9)), float(10 ** rng.uniform(-0.3, 0.3)))
    return {**p, "reg": float(10 ** rng.uniform(-1, 0))}


def _margins_at_zero(rng: np.random.Generator) -> dict[str, Any]:
    """Hinge margins of EXACTLY 0: dyadic X (multiples of 1/4) and W (of 1/8), so every score is exact; columns a
    and b of W are equal but for the bias row, W[-1, b] = W[-1, a] - 1, so every sample of class a has margin
    s_b - s_a + 1 = 0 for class b (the first sample is of class a). reg in [0.1, 1]."""
    N, D, C = int(rng.integers(3, 9)), int(rng.integers(3, 7)), int(rng.integers(3, 7))
    X = rng.integers(-8, 9, size=(N, D)) / 4.0
    X[:, -1] = 1.0
    W = rng.integers(-8, 9, size=(D, C)) / 8.0
    a, b = (int(v) for v in rng.choice(C, size=2, replace=False))
    W[:, b] = W[:, a]
    W[-1, b] -= 1.0
    y = rng.integers(0, C, size=N)
    y[0] = a
    return {"W": W, "X": X, "y": y, "reg": float(10 ** rng.uniform(-1, 0))}


def _beyond_exp_range(rng: np.random.Generator) -> dict[str, Any]:
    """Scores of 800 .. 2000 in every row (a bias of that size for every class): e^s overflows float64 (> ~709)
    unless each row is shifted by its maximum; the differences between classes stay moderate. N in 1..8, reg 0."""
    p = _problem(rng, int(rng.integers(1, 9)), int(rng.integers(2, 8)), 1.0)
    p["W"][-1] += rng.uniform(800, 2000)
    return {**p, "reg": 0.0}


def _rows_far_apart(rng: np.random.Generator) -> dict[str, Any]:
    """Rows whose score levels differ by thousands: the bias column holds 0.5 (first row), 3 (second row) and
    values in between, times a common bias of 500 .. 1000 per class. Shifting by the maximum of ALL scores makes
    the first row's e^s underflow to 0 (0/0); each row's own maximum is needed. N in 2..8, reg 0."""
    p = _problem(rng, int(rng.integers(2, 9)), int(rng.integers(2, 8)), 1.0)
    level = rng.uniform(0.5, 3.0, size=len(p["X"]))
    level[:2] = 0.5, 3.0
    p["X"][:, -1] = level
    p["W"][-1] += rng.uniform(500, 1000)
    return {**p, "reg": 0.0}


COMMON_LOSS_CASES = {"reg > 0": _reg_positive, "tiny weights (every margin positive), N > 1": _tiny_weights,
                     "a single sample (N = 1)": _single_sample}
SVM_CASES = {**COMMON_LOSS_CASES, "hinge margins exactly 0 (the kink)": _margins_at_zero}
SOFTMAX_CASES = {**COMMON_LOSS_CASES, "scores beyond exp's range": _beyond_exp_range,
                 "rows whose scores differ by thousands": _rows_far_apart}


def _loss_schema(inputs: dict[str, Any]) -> Schema:
    return {"loss": ((), "float"), "dW": (inputs["W"].shape, "float")}


def _loss_run(name: str) -> Callable[..., dict[str, Any]]:
    def run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        call = call_student(fn, inputs["W"], inputs["X"], inputs["y"], inputs["reg"])
        loss, dW = visible.unpack_loss(name, call, inputs["W"].shape)
        return {"loss": loss, "dW": dW}

    run.__name__ = f"run_{name}"
    return run


def _loss_judge(name: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import linear

        W, X, y, reg = inputs["W"], inputs["X"], inputs["y"], inputs["reg"]
        N = len(X)
        loss, dW = getattr(linear, name)(W, X, y, reg)
        data_loss, data_dW = getattr(linear, name)(W, X, y, 0.0)

        def near(a: np.ndarray, b: np.ndarray) -> bool:
            return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8))

        stable = [(lambda g, e: not np.all(np.isfinite(g)),
                   "not finite: with large scores np.exp overflows (or e^s of every class underflows to 0) — "
                   "subtract EACH ROW's maximum score first (keepdims=True)")]
        loss_hints = stable + visible.loss_hints(loss, data_loss, N, reg, name.startswith("svm"), near)
        dW_hints = stable + visible.gradient_hints(dW, data_dW, N, reg, near)
        if name.startswith("svm"):
            scores = X @ W
            margins = scores - scores[np.arange(N), y][:, None] + 1.0
            margins[np.arange(N), y] = 1.0
            if np.any(margins == 0):
                dW_hints.append((lambda g, e: True, "some hinge margins are exactly 0 here: a margin of exactly 0 "
                                                    "contributes nothing to dW (count only margin > 0)"))
        assert_close(f"{name}: loss on hidden inputs", outputs["loss"], np.array(loss), hints=loss_hints)
        assert_close(f"{name}: dW on hidden inputs", outputs["dW"], dW, hints=dW_hints)

    judge.__name__ = f"judge_{name}"
    return judge


hidden(battery("linear.svm_loss_naive", SVM_CASES, _loss_run("svm_loss_naive"), _loss_schema,
               _loss_judge("svm_loss_naive")))
hidden(battery("linear.svm_loss_vectorized", SVM_CASES, _loss_run("svm_loss_vectorized"), _loss_schema,
               _loss_judge("svm_loss_vectorized")))
hidden(battery("linear.softmax_loss_naive", SOFTMAX_CASES, _loss_run("softmax_loss_naive"), _loss_schema,
               _loss_judge("softmax_loss_naive")))
hidden(battery("linear.softmax_loss_vectorized", SOFTMAX_CASES, _loss_run("softmax_loss_vectorized"),
               _loss_schema, _loss_judge("softmax_loss_vectorized")))


# ---- train (with the stand-in classifier of the visible check) ------------------------------------------
def _train_problem(rng: np.random.Generator, N: int, C: int, batch_size: int) -> dict[str, Any]:
    """X whose first column is the sample id, y holding the top class C - 1 (so W = None creates (D, C))."""
    D = int(rng.integers(2, 7))
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    y = rng.integers(0, C, size=N)
    y[rng.integers(N)] = C - 1
    return {"X": X, "y": y, "W0": rng.normal(size=(D, C)), "target": rng.normal(size=(D, C)),
            "learning_rate": float(rng.uniform(0.01, 0.5)), "reg": float(rng.uniform(0.1, 1.0)),
            "num_iters": int(rng.integers(4, 11)), "batch_size": batch_size, "seed": int(rng.integers(0, 2**31))}


def _train_reg(rng: np.random.Generator) -> dict[str, Any]:
    """N in 8..30, batch_size in 3..N, reg in [0.1, 1] (reg must reach self.loss unchanged)."""
    N = int(rng.integers(8, 31))
    return _train_problem(rng, N, int(rng.integers(2, 6)), int(rng.integers(3, N + 1)))


def _train_big_batch(rng: np.random.Generator) -> dict[str, Any]:
    """batch_size > N (N in 3..8): sampling must be WITH replacement."""
    N = int(rng.integers(3, 9))
    return _train_problem(rng, N, int(rng.integers(2, 6)), int(rng.integers(N + 1, N + 7)))


def _train_label_gap(rng: np.random.Generator) -> dict[str, Any]:
    """y lacks a class below its maximum (C in 3..5): W = None must get C = max(y) + 1 columns, not the number
    of distinct labels."""
    N, C = int(rng.integers(8, 21)), int(rng.integers(3, 6))
    case = _train_problem(rng, N, C, int(rng.integers(3, N + 1)))
    gap = int(rng.integers(0, C - 1))
    case["y"] = np.where(case["y"] == gap, C - 1, case["y"])
    return case


TRAIN_CASES = {"reg > 0": _train_reg, "batch_size > N (with replacement)": _train_big_batch,
               "labels missing a class below max(y)": _train_label_gap}


def _train_schema(inputs: dict[str, Any]) -> Schema:
    n, bs, (D, C) = inputs["num_iters"], inputs["batch_size"], inputs["W0"].shape
    return {"ids": ((n, bs), "int"), "labels": ((n, bs), "int"), "regs": ((n,), "float"),
            "W_seen": ((n, D, C), "float"), "W_final": ((D, C), "float"), "loss_history": ((n,), "float"),
            "ids_again": ((n, bs), "int"), "ids_other_seed": ((n, bs), "int"),
            "W_init": ((D, C), "float"), "W_init_again": ((D, C), "float")}


def _train_run(inputs: dict[str, Any], train: Callable[..., Any]) -> dict[str, Any]:
    n, bs = inputs["num_iters"], inputs["batch_size"]
    call, spy = visible.run_train_with_spy(train, inputs)
    record = visible.spy_record(spy, inputs, n, bs)
    _, again = visible.run_train_with_spy(train, inputs)
    _, other = visible.run_train_with_spy(train, inputs, seed=inputs["seed"] + 1)
    inits = [visible.initial_weights(visible.run_train_with_spy(train, inputs, no_weights=True, num_iters=1)[1])
             for _ in range(2)]
    return {**record, "W_final": spy.W, "loss_history": call.value,
            "ids_again": visible.spy_record(again, inputs, n, bs)["ids"],
            "ids_other_seed": visible.spy_record(other, inputs, n, bs)["ids"], "W_init": inits[0],
            "W_init_again": inits[1]}


def _train_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import linear

    visible.check_batches(outputs, inputs)
    visible.check_randomness(outputs["ids"], outputs["ids_again"], outputs["ids_other_seed"])
    call, spy = visible.run_train_with_spy(linear.train, inputs)
    want = visible.spy_record(spy, inputs, inputs["num_iters"], inputs["batch_size"])
    assert_close("the weights self.loss saw at each iteration (hidden inputs)", outputs["W_seen"], want["W_seen"],
                 hints=visible.step_hints(outputs["W_seen"], want["W_seen"], inputs["learning_rate"]))
    assert_close("self.W after training (hidden inputs)", outputs["W_final"], spy.W,
                 hints=[(lambda g, e: np.allclose(g, outputs["W_seen"][-1]), "the last update is missing")])
    assert_close("loss_history (hidden inputs)", outputs["loss_history"], np.array(call.value))
    visible.check_initial_weights(outputs["W_init"], outputs["W_init_again"])


hidden(battery("linear.train", TRAIN_CASES, _train_run, _train_schema, _train_judge))


# ---- predict --------------------------------------------------------------------------------------------
def _predict_problem(rng: np.random.Generator, N: int, C: int) -> dict[str, Any]:
    """W (D, C) over decades of scale and X (N, D) whose best score beats the runner-up by >= 1e-6 of the scale."""
    D, scale = int(rng.integers(1, 10)), float(10 ** rng.uniform(-2, 1))
    while True:
        W, X = scale * rng.normal(size=(D, C)), rng.normal(size=(N, D))
        top = np.sort(X @ W, axis=1)
        if np.all(top[:, -1] - top[:, -2] > 1e-6 * max(scale, np.abs(top).max())):
            return {"W": W, "X": X}


PREDICT_CASES = {
    "more samples than classes (N > C)": lambda rng: _predict_problem(rng, int(rng.integers(11, 40)),
                                                                      int(rng.integers(2, 11))),
    "fewer samples than classes (N < C)": lambda rng: _predict_problem(rng, int(rng.integers(2, 5)),
                                                                       int(rng.integers(5, 11))),
    "a single sample (N = 1)": lambda rng: _predict_problem(rng, 1, int(rng.integers(2, 11))),
}


class _Model:
    """A bare object with the weights, standing in for `self`."""

    def __init__(self, W: np.ndarray) -> None:
        self.W = W


def _predict_run(inputs: dict[str, Any], predict: Callable[..., Any]) -> dict[str, Any]:
    return {"y_pred": call_student(predict, _Model(inputs["W"].copy()), inputs["X"]).value}


def _predict_schema(inputs: dict[str, Any]) -> Schema:
    return {"y_pred": ((len(inputs["X"]),), "int")}


def _predict_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import linear

    expected = linear.predict(_Model(inputs["W"]), inputs["X"])
    assert_equal_labels("predict(X) on hidden inputs", outputs["y_pred"], expected, hints=[
        (lambda g, e: np.array_equal(g, np.argmin(inputs["X"] @ inputs["W"], axis=1)), "take the argmax, not argmin"),
        (lambda g, e: np.array_equal(g, e + 1), "labels count from 0: the class of column j of W is j")])


hidden(battery("linear.predict", PREDICT_CASES, _predict_run, _predict_schema, _predict_judge))
