"""Hidden checks of assignment a2_linear: the student's losses, SGD loop and predict vs `solutions.linear`."""

from typing import Any, Callable

import numpy as np

from autograder.hidden import HiddenCheck, hidden
from course.checks import linear as visible
from course.checks.core import assert_close, assert_equal_labels, call_student

Schema = dict[str, tuple[tuple[int, ...], str]]

LOSSES = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized")


# ---- losses ---------------------------------------------------------------------------------------------
def _loss_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Random N (1 .. 30, so a single sample happens), D, C (2 .. 8), scales over decades, reg 0 or not.

    One draw in four adds a bias of 500 .. 2000 to every class (scores that large make e^s overflow unless they
    are shifted by their maximum; the differences between classes stay moderate), with reg = 0.
    """
    N, D, C = int(rng.integers(1, 31)), int(rng.integers(2, 13)), int(rng.integers(2, 9))
    huge = rng.random() < 0.25
    X = 10 ** rng.uniform(-1, 0.5) * rng.normal(size=(N, D))
    W = 10 ** rng.uniform(-1.5, 0.5) * rng.normal(size=(D, C))
    if huge or rng.random() < 0.5:
        X[:, -1] = 1.0  # a bias column
    if huge:
        W[-1] += rng.uniform(500, 2000)
    reg = 0.0 if huge or rng.random() < 0.25 else float(10 ** rng.uniform(-2, 0))  # large enough to matter
    return {"W": W, "X": X, "y": rng.integers(0, C, size=N), "reg": reg}


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

        loss, dW = getattr(linear, name)(inputs["W"], inputs["X"], inputs["y"], inputs["reg"])
        data_loss = getattr(linear, name)(inputs["W"], inputs["X"], inputs["y"], 0.0)[0]
        stable = [(lambda g, e: not np.all(np.isfinite(g)),
                   "not finite: with large scores np.exp overflows — subtract each row's maximum score first")]
        hints = stable + [
            (lambda g, e: inputs["reg"] > 0 and np.isclose(g, data_loss), "the regularization reg * sum(W*W) is missing"),
            (lambda g, e: len(inputs["X"]) > 1 and np.isclose(g, len(inputs["X"]) * data_loss + loss - data_loss),
             "average the data loss over the N samples"),
        ]
        assert_close(f"{name}: loss on hidden inputs", outputs["loss"], np.array(loss), hints=hints)
        assert_close(f"{name}: dW on hidden inputs", outputs["dW"], dW, hints=stable)

    judge.__name__ = f"judge_{name}"
    return judge


for _name in LOSSES:
    hidden(HiddenCheck(f"linear.{_name}", _loss_inputs, _loss_run(_name), _loss_schema, _loss_judge(_name)))


# ---- train (with the stand-in classifier of the visible check) ------------------------------------------
def _train_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """X whose first column is the sample id; batch_size may exceed N (sampling is with replacement)."""
    N, D, C = int(rng.integers(8, 41)), int(rng.integers(2, 7)), int(rng.integers(2, 6))
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    return {"X": X, "y": rng.integers(0, C, size=N), "W0": rng.normal(size=(D, C)),
            "target": rng.normal(size=(D, C)), "learning_rate": float(rng.uniform(0.01, 0.5)),
            "reg": 0.0 if rng.random() < 0.25 else float(rng.uniform(0, 1)), "num_iters": int(rng.integers(3, 13)),
            "batch_size": int(rng.integers(3, N + 6)), "seed": int(rng.integers(0, 2**31))}


def _train_schema(inputs: dict[str, Any]) -> Schema:
    n, bs, (D, C) = inputs["num_iters"], inputs["batch_size"], inputs["W0"].shape
    return {"ids": ((n, bs), "int"), "labels": ((n, bs), "int"), "regs": ((n,), "float"),
            "W_seen": ((n, D, C), "float"), "W_final": ((D, C), "float"), "loss_history": ((n,), "float"),
            "W_init": ((D, C), "float")}


def _train_run(inputs: dict[str, Any], train: Callable[..., Any]) -> dict[str, Any]:
    call, spy = visible.run_train_with_spy(train, inputs)
    record = visible.spy_record(spy, inputs, inputs["num_iters"], inputs["batch_size"])
    _, fresh = visible.run_train_with_spy(train, inputs, no_weights=True, num_iters=1)
    W_init = fresh.calls[0]["W"] if fresh.calls else fresh.W
    return {**record, "W_final": spy.W, "loss_history": call.value, "W_init": W_init}


def _train_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import linear

    visible.check_batches(outputs, inputs)
    ids = outputs["ids"]
    if len({tuple(row) for row in ids}) == 1:
        raise AssertionError("every iteration used the same minibatch: draw new random indices in every iteration")
    call, spy = visible.run_train_with_spy(linear.train, inputs)
    want = visible.spy_record(spy, inputs, inputs["num_iters"], inputs["batch_size"])
    assert_close("the weights self.loss saw at each iteration (hidden inputs)", outputs["W_seen"], want["W_seen"])
    assert_close("self.W after training (hidden inputs)", outputs["W_final"], spy.W)
    assert_close("loss_history (hidden inputs)", outputs["loss_history"], np.array(call.value))
    W_init = outputs["W_init"]
    if not (np.all(np.isfinite(W_init)) and 0 < np.abs(W_init).max() < 0.01):
        raise AssertionError("with self.W = None, the initial W should be 0.001 * rng.standard_normal((D, C))")


hidden(HiddenCheck("linear.train", _train_inputs, _train_run, _train_schema, _train_judge))


# ---- predict --------------------------------------------------------------------------------------------
def _predict_inputs(rng: np.random.Generator) -> dict[str, Any]:
    N, D, C = int(rng.integers(1, 40)), int(rng.integers(1, 10)), int(rng.integers(2, 11))
    return {"W": 10 ** rng.uniform(-2, 1) * rng.normal(size=(D, C)), "X": rng.normal(size=(N, D))}


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
        (lambda g, e: np.array_equal(g, np.argmin(inputs["X"] @ inputs["W"], axis=1)), "take the argmax, not argmin")])


hidden(HiddenCheck("linear.predict", _predict_inputs, _predict_run, _predict_schema, _predict_judge))
