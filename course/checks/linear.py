"""Visible checks of assignment a2_linear (exercise ids ``linear.*``).

Losses are checked on fixed inputs against fixed expected values (course/expected/linear.json) and their
gradients against numerical gradients of the student's own loss (``course.gradcheck``). ``train`` runs on a
stand-in classifier whose loss is a fixed quadratic, so only the SGD loop is tested; ``predict`` on fixed
weights.
"""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import Call, as_array, assert_close, assert_equal_labels, call_student, load_expected
from course.gradcheck import eval_numerical_gradient, rel_error

GRAD_TOL = 1e-7  # analytic vs numerical gradient, float64, h = 1e-5, inputs away from the hinge's kinks


# ---- fixed inputs (the expected outputs live in course/expected/linear.json) ----------------------------
def loss_inputs() -> dict[str, Any]:
    """W (6, 4), X (11, 6) with a bias column of ones, y (11,) covering every class, reg 0.1.

    Every hinge margin s_j - s_y + 1 is at least 1e-2 away from 0 (tests/checks/test_checks_linear.py proves it),
    so a centred difference with h = 1e-5 never crosses a kink.
    """
    rng = np.random.default_rng(202)
    N, D, C = 11, 6, 4
    X = rng.normal(size=(N, D))
    X[:, -1] = 1.0
    return {"W": 0.5 * rng.normal(size=(D, C)), "X": X, "y": np.arange(N) % C, "reg": 0.1}


def sanity_inputs() -> dict[str, Any]:
    """Small random weights (scale 1e-4) and C = 10 classes, no regularization: every score is about 0."""
    rng = np.random.default_rng(7)
    N, D, C = 50, 8, 10
    return {"W": 1e-4 * rng.normal(size=(D, C)), "X": rng.normal(size=(N, D)), "y": np.arange(N) % C, "reg": 0.0}


def large_score_inputs() -> dict[str, Any]:
    """Scores of 500 .. 3000 (a bias of about 1000 for every class, times a bias column of 0.5 .. 3 that differs
    from row to row): e^s overflows float64 unless the scores are shifted, and shifting every row by the maximum
    of ALL scores makes e^s of the lowest row underflow to 0. The differences between the classes' scores within
    a row stay moderate, so shifting each row by its own maximum is all it takes.
    """
    rng = np.random.default_rng(99)
    N, D, C = 6, 5, 3
    X, W = rng.normal(size=(N, D)), 2.0 * rng.normal(size=(D, C))
    X[:, -1] = [0.5, 3.0, 1.0, 2.0, 1.5, 2.5]
    W[-1] += 1000.0
    return {"W": W, "X": X, "y": np.arange(N) % C, "reg": 0.0}


def train_inputs() -> dict[str, Any]:
    """X (13, 4) whose first column is the sample id, y (13,) in 0..2, a starting W (4, 3) and SGD settings."""
    rng = np.random.default_rng(17)
    N, D, C = 13, 4, 3
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    return {"X": X, "y": rng.integers(0, C, size=N), "W0": rng.normal(size=(D, C)), "target": rng.normal(size=(D, C)),
            "learning_rate": 0.1, "reg": 0.25, "num_iters": 6, "batch_size": 5, "seed": 3}


def predict_inputs() -> dict[str, Any]:
    """W (5, 4) and X (9, 5): the highest score of every row is at least 0.05 above the runner-up."""
    rng = np.random.default_rng(8)
    return {"W": rng.normal(size=(5, 4)), "X": rng.normal(size=(9, 5))}


# ---- the stand-in classifier of the train check ---------------------------------------------------------
class SpyClassifier:
    """Stands in for a LinearSVM/Softmax while train is checked.

    Its loss is the quadratic 0.5·||W − target||² + reg·||W||², whatever the minibatch, so the path of W
    under SGD is known in advance however the minibatches are drawn. Every call of `loss` is recorded: the
    sample ids (first column of X_batch), the labels, reg and the W the classifier held at that moment.
    """

    def __init__(self, W: np.ndarray | None, target: np.ndarray) -> None:
        self.W = None if W is None else np.array(W, dtype=np.float64)
        self.target = np.array(target, dtype=np.float64)
        self.calls: list[dict[str, Any]] = []

    def loss(self, X_batch: Any, y_batch: Any, reg: Any) -> tuple[float, np.ndarray]:
        X_batch, y_batch = np.array(X_batch), np.array(y_batch)
        W = np.array(self.W, dtype=np.float64)
        self.calls.append({"ids": X_batch[:, 0].copy() if X_batch.ndim == 2 else X_batch, "labels": y_batch,
                           "X_shape": X_batch.shape, "reg": reg, "W": W})
        if W.shape != self.target.shape:
            raise AssertionError(f"self.W has shape {W.shape} when self.loss is called, expected {self.target.shape}")
        diff = W - self.target
        return float(0.5 * np.sum(diff * diff) + reg * np.sum(W * W)), diff + 2 * reg * W


def run_train_with_spy(train: Callable[..., Any], inputs: dict[str, Any], no_weights: bool = False,
                       seed: int | None = None, **overrides: Any) -> tuple[Call, SpyClassifier]:
    """Call train(spy, X, y, ...) with a SpyClassifier as self (W = inputs["W0"], or None if no_weights).

    Returns (the call, the spy).
    """
    spy = SpyClassifier(None if no_weights else inputs["W0"], inputs["target"])
    kwargs = {k: inputs[k] for k in ("learning_rate", "reg", "num_iters", "batch_size")}
    kwargs.update(overrides)
    kwargs["seed"] = inputs["seed"] if seed is None else seed
    return call_student(train, spy, inputs["X"], inputs["y"], **kwargs), spy


def spy_record(spy: SpyClassifier, inputs: dict[str, Any], num_iters: int, batch_size: int) -> dict[str, np.ndarray]:
    """The spy's log as arrays: ids/labels (num_iters, batch_size), W_seen (num_iters, D, C), regs (num_iters,).

    Raises AssertionError with a teaching message if self.loss was not called once per iteration with a
    (batch_size, D) minibatch.
    """
    if len(spy.calls) != num_iters:
        raise AssertionError(f"train called self.loss {len(spy.calls)} times for num_iters={num_iters}: "
                             "compute the loss and gradient once per iteration, on that iteration's minibatch")
    D = inputs["X"].shape[1]
    for t, c in enumerate(spy.calls):
        if c["X_shape"] != (batch_size, D) or np.shape(c["labels"]) != (batch_size,):
            raise AssertionError(
                f"iteration {t}: self.loss got X_batch of shape {c['X_shape']} and y_batch of shape "
                f"{np.shape(c['labels'])}, expected ({batch_size}, {D}) and ({batch_size},): sample batch_size rows")
    ids = np.array([c["ids"] for c in spy.calls], dtype=np.float64).reshape(num_iters, batch_size)
    if not np.all((ids == np.round(ids)) & (ids >= 0) & (ids < len(inputs["X"]))):
        raise AssertionError("the minibatch rows are not rows of X: index X with integer row indices (X[idx])")
    return {"ids": ids.astype(np.int64),
            "labels": np.array([c["labels"] for c in spy.calls]).reshape(num_iters, batch_size),
            "W_seen": np.array([c["W"] for c in spy.calls]).reshape(num_iters, *inputs["target"].shape),
            "regs": np.array([float(c["reg"]) for c in spy.calls]).reshape(num_iters)}


def initial_weights(spy: SpyClassifier) -> np.ndarray:
    """The W train created: the one self.loss saw first (or self.W if loss was never called)."""
    return np.asarray(spy.calls[0]["W"]) if spy.calls else np.asarray(spy.W)


def step_hints(W_seen: np.ndarray, want: np.ndarray, learning_rate: float) -> list:
    """Hints for wrong weights along the SGD path: no update, uphill, learning rate forgotten."""
    step_got, step_want = W_seen[1] - W_seen[0], want[1] - want[0]
    return [
        (lambda g, e: np.allclose(step_got, 0), "self.W never changes: update it, self.W = self.W - learning_rate * dW"),
        (lambda g, e: np.allclose(step_got, -step_want), "W moves uphill: SUBTRACT learning_rate * dW"),
        (lambda g, e: np.allclose(step_got, step_want / learning_rate), "multiply dW by learning_rate"),
    ]


def check_randomness(ids: np.ndarray, ids_again: np.ndarray, ids_other_seed: np.ndarray) -> None:
    """Minibatches vary from iteration to iteration, follow `seed`, and never come from the global RNG."""
    if len({tuple(row) for row in ids}) == 1:
        raise AssertionError("every iteration used the same minibatch: draw new random indices in every iteration")
    if not np.array_equal(ids_again, ids):
        raise AssertionError("two runs with the same seed drew different minibatches: take every random number "
                             "from rng = np.random.default_rng(seed), not from np.random.*")
    if np.array_equal(ids_other_seed, ids):
        raise AssertionError("a different seed drew the same minibatches: sample with rng = np.random.default_rng(seed)")


def check_initial_weights(W0: np.ndarray, W0_again: np.ndarray) -> None:
    """With self.W = None: small random weights, the same for the same seed."""
    if not (np.all(np.isfinite(W0)) and 0 < np.abs(W0).max() < 0.01):
        raise AssertionError("with self.W = None, the initial W should be small random numbers: "
                             "0.001 * rng.standard_normal((D, C))")
    if not np.array_equal(W0_again, W0):
        raise AssertionError("two runs with the same seed created different initial weights: draw them from "
                             "rng = np.random.default_rng(seed) too, 0.001 * rng.standard_normal((D, C))")


def check_batches(record: dict[str, np.ndarray], inputs: dict[str, Any]) -> None:
    """Each minibatch's labels belong to its rows, and reg reaches self.loss unchanged."""
    y, reg = inputs["y"], inputs["reg"]
    wrong = record["labels"] != y[record["ids"]]
    if wrong.any():
        t = int(np.argwhere(wrong)[0][0])
        raise AssertionError(f"iteration {t}: y_batch does not hold the labels of the rows in X_batch — "
                             "index X and y with the SAME indices: X[idx], y[idx]")
    if not np.allclose(record["regs"], reg, rtol=0, atol=1e-15):
        raise AssertionError(f"self.loss got reg={record['regs'][0]!r}, expected reg={reg}: pass reg on unchanged")


# ---- loss checks ----------------------------------------------------------------------------------------
def unpack_loss(name: str, call: Call, shape: tuple[int, int]) -> tuple[float, np.ndarray]:
    """(loss, dW) from a student's return value, or an AssertionError saying what was expected."""
    value = call.value
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = "None" if value is None else type(value).__name__
        raise AssertionError(f"{name} must return a pair (loss, dW), got {got}" + call.notes())
    loss = as_array(f"{name}: loss", value[0])
    if loss.size != 1:
        raise AssertionError(f"{name}: the loss must be a single number, got an array of shape {loss.shape} "
                             "(average over the samples and sum over the classes)" + call.notes())
    return float(loss.reshape(())), as_array(f"{name}: dW", value[1], shape)


def loss_hints(loss: float, data_loss: float, N: int, reg: float, svm: bool,
               near: Callable[[Any, Any], Any] = np.isclose) -> list:
    """Hints for a wrong loss, given the right `loss` and its reg = 0 part `data_loss` (visible and hidden checks)."""
    reg_term = loss - data_loss
    hints = [
        (lambda g, e: reg > 0 and near(g, data_loss),
         "this is the data loss alone: add the regularization reg * np.sum(W * W)"),
        (lambda g, e: reg > 0 and near(g, data_loss + 0.5 * reg_term),
         "the regularization of a linear classifier is reg * np.sum(W * W), without a factor 1/2"),
        (lambda g, e: N > 1 and near(g, N * data_loss + reg_term),
         "average the data loss over the N samples (divide by N)"),
        (lambda g, e: near(g, -data_loss + reg_term), "the loss has the wrong sign: L_i = -log p_{y_i} >= 0"),
    ]
    if svm:
        hints.append((lambda g, e: near(g, loss + 1.0),
                      "the loss is 1 too big: skip j == y_i (the correct class has margin exactly 1 with itself)"))
    return hints


def gradient_hints(dW: np.ndarray, data_dW: np.ndarray, N: int, reg: float,
                   near: Callable[[Any, Any], bool]) -> list:
    """Hints for a wrong dW, given the right `dW` and its reg = 0 part `data_dW` (visible and hidden checks)."""
    reg_grad = dW - data_dW
    return [
        (lambda g, e: reg > 0 and near(g, data_dW), "dW lacks the gradient of the regularization: add 2 * reg * W"),
        (lambda g, e: reg > 0 and near(g, data_dW + 0.5 * reg_grad),
         "the gradient of reg * sum(W*W) is 2 * reg * W, not reg * W"),
        (lambda g, e: near(g, -dW), "dW has the wrong sign"),
        (lambda g, e: N > 1 and near(g, N * data_dW + reg_grad), "divide the data part of dW by N, like the loss"),
        (lambda g, e: N > 1 and near(g, data_dW / N + reg_grad), "you divided dW by N twice"),
    ]


def _check_loss(name: str, fn: Callable[..., Any], svm: bool) -> None:
    expected = load_expected("linear")["svm" if svm else "softmax"]

    # 1. a sanity check you can do in your head
    s = sanity_inputs()
    C = s["W"].shape[1]
    call = call_student(fn, s["W"], s["X"], s["y"], s["reg"])
    loss, _ = unpack_loss(name, call, s["W"].shape)
    target, why = ((C - 1, f"every margin is about 1 and there are C - 1 = {C - 1} of them")
                   if svm else (np.log(C), f"every class has probability about 1/C, so the loss is about log C = {np.log(C):.4f}"))
    if not abs(loss - target) < 0.05:
        N = len(s["X"])
        hints = [(abs(loss / N - target) < 0.05, "average the loss over the N samples (divide by N)"),
                 (abs(loss + target) < 0.05, "the loss has the wrong sign: L_i = -log p_{y_i} >= 0"),
                 (svm and abs(loss - C) < 0.05, "skip j == y_i: the correct class is not a margin")]
        hint = next((f"\n  Hint: {text}" for holds, text in hints if holds), "")
        raise AssertionError(f"{name}: sanity check failed. With tiny random W (C = {C}, reg = 0) all scores are "
                             f"about 0: {why}. Your loss is {loss!r}." + hint + call.notes())

    # 2. the loss on fixed inputs
    inp = loss_inputs()
    W, X, y, reg = inp["W"], inp["X"], inp["y"], inp["reg"]
    call = call_student(fn, W, X, y, reg)
    loss, dW = unpack_loss(name, call, W.shape)
    assert_close(f"{name}(W, X, y, reg): loss", loss, np.array(expected["loss"]), rtol=1e-7, atol=1e-8,
                 hints=loss_hints(expected["loss"], expected["data_loss"], len(X), reg, svm), call=call)

    # 3. one sample at a time (N = 1): the data loss of N samples is the mean of their single-sample losses
    singles = []
    for i in range(len(X)):
        c1 = call_student(fn, W, X[i:i + 1], y[i:i + 1], 0.0)
        singles.append(unpack_loss(f"{name} on the single sample X[{i}:{i + 1}] (N = 1)", c1, W.shape)[0])
    assert_close(f"{name}: the mean of the single-sample losses (reg = 0)", np.mean(singles),
                 np.array(expected["data_loss"]), rtol=1e-7, atol=1e-8, call=call, hints=[
                     (lambda g, e: np.isclose(g, e * len(X)), "the loss of one sample is L_i itself: average over "
                                                             "N = X.shape[0], whatever N is")])

    # 4. the gradient against centred differences of your own loss
    def f(w: np.ndarray, r: float = reg) -> float:
        return unpack_loss(name, call_student(fn, w, X, y, r), W.shape)[0]

    Wc = W.copy()
    num = eval_numerical_gradient(f, Wc)
    err = rel_error(dW, num)
    if not err <= GRAD_TOL:
        num_noreg = eval_numerical_gradient(lambda w: f(w, 0.0), Wc)
        def near(a: np.ndarray, b: np.ndarray) -> bool:
            return bool(np.allclose(a, b, rtol=1e-5, atol=1e-7 * max(1.0, float(np.abs(b).max()))))

        hint = next((f"\n  Hint: {text}" for pred, text in gradient_hints(num, num_noreg, len(X), reg, near)
                     if pred(dW, num)), "")
        raise AssertionError(
            f"{name}: dW differs from the numerical gradient (relative error {err:.3g} > {GRAD_TOL:g}); "
            f"first entry that differs: {_first_diff(dW, num)}." + hint + call.notes())

    # 5. (softmax) large scores must not overflow
    if not svm:
        big = large_score_inputs()
        call = call_student(fn, big["W"], big["X"], big["y"], big["reg"])
        loss, dW = unpack_loss(name, call, big["W"].shape)
        stable = ("e^s overflowed (or underflowed to 0 in every class): subtract each row's maximum score (its own, "
                  "keepdims=True) before np.exp — softmax does not change — and compute log p with log-sum-exp")
        assert_close(f"{name} with scores of 500 .. 3000: loss", loss, np.array(expected["large_loss"]),
                     rtol=1e-7, atol=1e-8, hints=[(lambda g, e: not np.all(np.isfinite(g)), stable)], call=call)
        assert_close(f"{name} with scores of 500 .. 3000: dW", dW, np.array(expected["large_dW"]), rtol=1e-6,
                     atol=1e-8, hints=[(lambda g, e: not np.all(np.isfinite(g)), stable)], call=call)


def _first_diff(got: np.ndarray, num: np.ndarray) -> str:
    err = np.abs(got - num) / np.maximum(1e-8, np.abs(got) + np.abs(num))
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    return f"dW{list(idx)} = {got[idx]:.8g}, numerically {num[idx]:.8g}"


@visible("linear.svm_loss_naive")
def check_svm_loss_naive(svm_loss_naive: Callable[..., Any]) -> None:
    """Hinge loss: a sanity value (C − 1 at W ≈ 0), the loss on fixed inputs, dW vs numerical gradient."""
    _check_loss("svm_loss_naive", svm_loss_naive, svm=True)


@visible("linear.svm_loss_vectorized")
def check_svm_loss_vectorized(svm_loss_vectorized: Callable[..., Any]) -> None:
    """The vectorized hinge loss on the same inputs as the naive one."""
    _check_loss("svm_loss_vectorized", svm_loss_vectorized, svm=True)


@visible("linear.softmax_loss_naive")
def check_softmax_loss_naive(softmax_loss_naive: Callable[..., Any]) -> None:
    """Softmax loss: log C at W ≈ 0, the loss on fixed inputs, dW vs numerical gradient, huge scores."""
    _check_loss("softmax_loss_naive", softmax_loss_naive, svm=False)


@visible("linear.softmax_loss_vectorized")
def check_softmax_loss_vectorized(softmax_loss_vectorized: Callable[..., Any]) -> None:
    """The vectorized softmax loss on the same inputs as the naive one."""
    _check_loss("softmax_loss_vectorized", softmax_loss_vectorized, svm=False)


# ---- train and predict ----------------------------------------------------------------------------------
@visible("linear.train")
def check_train(train: Callable[..., Any]) -> None:
    """Minibatch SGD with a stand-in loss: one loss call per iteration, aligned batches, the update, the history."""
    inp, expected = train_inputs(), load_expected("linear")["train"]
    n, bs = inp["num_iters"], inp["batch_size"]
    call, spy = run_train_with_spy(train, inp)
    record = spy_record(spy, inp, n, bs)
    check_batches(record, inp)
    W_seen, want = record["W_seen"], np.array(expected["W_seen"])
    assert_close("the weights self.loss saw at each iteration", W_seen, want, rtol=1e-9, atol=1e-12,
                 hints=step_hints(W_seen, want, inp["learning_rate"]), call=call)
    history = call.value
    if not isinstance(history, (list, tuple, np.ndarray)):
        raise AssertionError(f"train must return the list of losses, got {type(history).__name__}" + call.notes())
    assert_close("loss_history (the loss of every iteration)", np.asarray(history, dtype=float),
                 np.array(expected["loss_history"]), rtol=1e-9, atol=1e-12, call=call)
    assert_close("self.W after training", spy.W, np.array(expected["W_final"]), rtol=1e-9, atol=1e-12, call=call,
                 hints=[(lambda g, e: np.allclose(g, W_seen[-1]), "the last update is missing")])

    # the randomness: minibatches vary, follow `seed`, and never come from the global RNG
    _, spy_again = run_train_with_spy(train, inp)
    _, spy_other = run_train_with_spy(train, inp, seed=inp["seed"] + 1)
    check_randomness(record["ids"], spy_record(spy_again, inp, n, bs)["ids"], spy_record(spy_other, inp, n, bs)["ids"])

    # sampling WITH replacement: a minibatch larger than the data set still works
    big = dict(inp, batch_size=len(inp["X"]) + 3, num_iters=2)
    try:
        _, spy_big = run_train_with_spy(train, big)
    except ValueError as exc:
        raise AssertionError(f"train with batch_size = {big['batch_size']} > N = {len(inp['X'])} raised ValueError: "
                             f"{exc}. Sample the minibatch WITH replacement (rng.choice(N, batch_size), the default "
                             "replace=True)") from None
    spy_record(spy_big, big, 2, big["batch_size"])

    # creating W when there is none: C = max(y) + 1 columns even if a class below max(y) has no sample
    gap = dict(inp, y=np.where(inp["y"] == 1, 0, inp["y"]))
    call, spy = run_train_with_spy(train, gap, no_weights=True, num_iters=2)
    shape = inp["target"].shape
    W0 = initial_weights(spy)
    if W0.shape != shape:
        raise AssertionError(f"with self.W = None and labels {sorted(set(gap['y'].tolist()))}, train must create W "
                             f"of shape (D, C) = {shape} with C = max(y) + 1, got {W0.shape}" + call.notes())
    _, spy_again = run_train_with_spy(train, gap, no_weights=True, num_iters=2)
    check_initial_weights(W0, initial_weights(spy_again))


@visible("linear.predict")
def check_predict(predict: Callable[..., Any]) -> None:
    """predict on fixed weights: the class of the highest score, one label per row."""
    inp, expected = predict_inputs(), load_expected("linear")["predict"]

    class Model:
        W = inp["W"].copy()

    call = call_student(predict, Model(), inp["X"])
    assert_equal_labels("predict(X)", call.value, np.array(expected["y_pred"]), call=call, hints=[
        (lambda g, e: np.array_equal(g, np.array(expected["y_argmin"])), "take the HIGHEST score (argmax), not argmin"),
    ])
