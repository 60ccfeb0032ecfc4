"""Checks of assignment a2_linear (exercise ids ``linear.*``): one spec per exercise (course.checks.spec).

The losses run a battery of case types (reg > 0; tiny weights, where every score is about 0; N = 1; for the SVM
hinge margins of exactly 0; for softmax scores beyond exp's range and rows whose scores differ by thousands), each
compared with the reference's loss and dW (course/expected/linear.json for the visible draw, solutions at grading
time). ``train`` runs on a stand-in classifier whose loss is a fixed quadratic, so only the SGD loop is tested
(reg > 0, batch_size > N, a label gap); ``predict`` on weights with clear winners (N > C, N < C, N = 1).
"""

from typing import Any, Callable

import numpy as np

from course.checks.core import Call, as_array, assert_close, call_student
from course.checks.spec import Case, exercise


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


# ---- losses ---------------------------------------------------------------------------------------------
# Sizes stay small; weights and reg are large enough that a missing factor 2, a factor 1/2 or a missing
# regularization is far outside rtol = 1e-6.
def _problem(rng: np.random.Generator, N: int, C: int, w_scale: float) -> dict[str, np.ndarray]:
    """X (N, D) with a bias column of ones, W (D, C) of scale `w_scale`, y (N,) in 0 .. C-1."""
    D = int(rng.integers(2, 9))
    X = 10 ** rng.uniform(-0.3, 0.3) * rng.normal(size=(N, D))
    X[:, -1] = 1.0
    return {"W": w_scale * rng.normal(size=(D, C)), "X": X, "y": rng.integers(0, C, size=N)}


def _reg_positive(rng: np.random.Generator) -> Case:
    """N in 2..12, C in 3..8, |W| ~ 0.5 .. 2 and reg in [0.1, 1]: reg * sum(W*W) is a large part of the loss."""
    p = _problem(rng, int(rng.integers(2, 13)), int(rng.integers(3, 9)), float(10 ** rng.uniform(-0.3, 0.3)))
    return {**p, "reg": float(10 ** rng.uniform(-1, 0))}


def _tiny_weights(rng: np.random.Generator) -> Case:
    """W ~ 1e-4 (every score about 0, every hinge margin about 1 > 0), N in 2..20, C in 3..10, reg = 0."""
    return {**_problem(rng, int(rng.integers(2, 21)), int(rng.integers(3, 11)), 1e-4), "reg": 0.0}


def _single_sample(rng: np.random.Generator) -> Case:
    """N = 1 (a (1, D) X must stay two-dimensional), C in 2..8, reg in [0.1, 1]."""
    p = _problem(rng, 1, int(rng.integers(2, 9)), float(10 ** rng.uniform(-0.3, 0.3)))
    return {**p, "reg": float(10 ** rng.uniform(-1, 0))}


def _margins_at_zero(rng: np.random.Generator) -> Case:
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


def _beyond_exp_range(rng: np.random.Generator) -> Case:
    """Scores of 800 .. 2000 in every row (a bias of that size for every class): e^s overflows float64 (> ~709)
    unless each row is shifted by its maximum; the differences between classes stay moderate. N in 1..8, reg 0."""
    p = _problem(rng, int(rng.integers(1, 9)), int(rng.integers(2, 8)), 1.0)
    p["W"][-1] += rng.uniform(800, 2000)
    return {**p, "reg": 0.0}


def _rows_far_apart(rng: np.random.Generator) -> Case:
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


def loss_schema(case: Case) -> dict:
    W = case["W"].shape
    return {"loss": ((), "float"), "dW": (W, "float"), "data_loss": ((), "float"), "data_dW": (W, "float")}


def run_loss(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    """The loss and dW at the case's reg, and again at reg = 0 (the data part: it tells the hints apart)."""
    name = getattr(fn, "__name__", "your loss")
    (W, X, y, reg), out = (case[k] for k in ("W", "X", "y", "reg")), {}
    out["loss"], out["dW"] = unpack_loss(name, call_student(fn, W, X, y, reg), W.shape)
    out["data_loss"], out["data_dW"] = unpack_loss(name, call_student(fn, W, X, y, 0.0), W.shape)
    return out


def compare_loss(svm: bool) -> Callable[[Case, dict, dict], None]:
    def compare(case: Case, got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
        """The loss, then dW, with the hints of the mistakes the notebook teaches."""
        W, X, y, reg = (case[k] for k in ("W", "X", "y", "reg"))
        N, C = len(X), W.shape[1]

        def near(a: Any, b: Any) -> bool:
            return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8))

        stable = [(lambda g, e: not np.all(np.isfinite(g)),
                   "not finite: with large scores np.exp overflows (or e^s of every class underflows to 0) — "
                   "subtract EACH ROW's maximum score first (keepdims=True), and compute log p with log-sum-exp")]
        sanity = [(lambda g, e: np.abs(W).max() < 1e-3, f"with tiny W every score is about 0, so the loss is about "
                   + (f"C - 1 = {C - 1} (C - 1 margins of about 1 each)" if svm else f"log C = {np.log(C):.4f}"))]
        loss_h = stable + loss_hints(float(want["loss"]), float(want["data_loss"]), N, reg, svm, near) + sanity
        dW_h = stable + gradient_hints(want["dW"], want["data_dW"], N, reg, near)
        data_h = stable + loss_hints(float(want["data_loss"]), float(want["data_loss"]), N, 0.0, svm, near) + sanity
        if svm:
            s = X @ W
            margins = s - s[np.arange(N), y][:, None] + 1.0
            margins[np.arange(N), y] = 1.0
            if np.any(margins == 0):
                dW_h.append((lambda g, e: True, "some hinge margins are exactly 0 here: a margin of exactly 0 "
                                                "contributes nothing to dW (count only margin > 0)"))
        data_dW_h = stable + gradient_hints(want["data_dW"], want["data_dW"], N, 0.0, near)
        for key, hints in (("loss", loss_h), ("dW", dW_h), ("data_loss", data_h), ("data_dW", data_dW_h)):
            label = key if not key.startswith("data") else f"{key[5:]} with reg = 0"
            assert_close(label, got[key], want[key], rtol=1e-6, atol=1e-8, hints=hints)

    return compare


SVM = dict(run=run_loss, schema=loss_schema, compare=compare_loss(svm=True))
SOFTMAX = dict(run=run_loss, schema=loss_schema, compare=compare_loss(svm=False))
exercise("linear.svm_loss_naive", SVM_CASES, **SVM)
exercise("linear.svm_loss_vectorized", SVM_CASES, **SVM)
exercise("linear.softmax_loss_naive", SOFTMAX_CASES, **SOFTMAX)
exercise("linear.softmax_loss_vectorized", SOFTMAX_CASES, **SOFTMAX)


# ---- train (with a stand-in classifier) ---------------------------------------------------------------
def _train_problem(rng: np.random.Generator, N: int, C: int, batch_size: int) -> Case:
    """X whose first column is the sample id, y holding the top class C - 1 (so W = None creates (D, C))."""
    D = int(rng.integers(2, 7))
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    y = rng.integers(0, C, size=N)
    y[rng.integers(N)] = C - 1
    return {"X": X, "y": y, "W0": rng.normal(size=(D, C)), "target": rng.normal(size=(D, C)),
            "learning_rate": float(rng.uniform(0.01, 0.5)), "reg": float(rng.uniform(0.1, 1.0)),
            "num_iters": int(rng.integers(4, 11)), "batch_size": batch_size, "seed": int(rng.integers(0, 2**31))}


def _train_reg(rng: np.random.Generator) -> Case:
    """N in 8..30, batch_size in 3..N, reg in [0.1, 1] (reg must reach self.loss unchanged)."""
    N = int(rng.integers(8, 31))
    return _train_problem(rng, N, int(rng.integers(2, 6)), int(rng.integers(3, N + 1)))


def _train_big_batch(rng: np.random.Generator) -> Case:
    """batch_size > N (N in 3..8): sampling must be WITH replacement."""
    N = int(rng.integers(3, 9))
    return _train_problem(rng, N, int(rng.integers(2, 6)), int(rng.integers(N + 1, N + 7)))


def _train_label_gap(rng: np.random.Generator) -> Case:
    """y lacks a class below its maximum (C in 3..5): W = None must get C = max(y) + 1 columns, not the number
    of distinct labels."""
    N, C = int(rng.integers(8, 21)), int(rng.integers(3, 6))
    case = _train_problem(rng, N, C, int(rng.integers(3, N + 1)))
    gap = int(rng.integers(0, C - 1))
    case["y"] = np.where(case["y"] == gap, C - 1, case["y"])
    return case


TRAIN_CASES = {"reg > 0": _train_reg, "batch_size > N (with replacement)": _train_big_batch,
               "labels missing a class below max(y)": _train_label_gap}


def train_schema(case: Case) -> dict:
    n, bs, (D, C) = case["num_iters"], case["batch_size"], case["W0"].shape
    return {"ids": ((n, bs), "int"), "labels": ((n, bs), "int"), "regs": ((n,), "float"),
            "W_seen": ((n, D, C), "float"), "W_final": ((D, C), "float"), "loss_history": ((n,), "float"),
            "ids_again": ((n, bs), "int"), "ids_other_seed": ((n, bs), "int"),
            "W_init": ((D, C), "float"), "W_init_again": ((D, C), "float")}


def run_train(case: Case, train: Callable[..., Any]) -> dict[str, Any]:
    """train with the spy: the path of W, twice more for the randomness, twice with self.W = None."""
    n, bs, N = case["num_iters"], case["batch_size"], len(case["X"])
    try:
        call, spy = run_train_with_spy(train, case)
    except AssertionError as exc:
        if bs > N and "ValueError" in str(exc):
            raise AssertionError(f"{exc}\n  Hint: batch_size = {bs} > N = {N}: sample the minibatch WITH replacement "
                                 "(rng.choice(N, batch_size), the default replace=True)") from None
        raise
    record = spy_record(spy, case, n, bs)
    _, again = run_train_with_spy(train, case)
    _, other = run_train_with_spy(train, case, seed=case["seed"] + 1)
    inits = [initial_weights(run_train_with_spy(train, case, no_weights=True, num_iters=1)[1]) for _ in range(2)]
    if inits[0].shape != case["W0"].shape:
        raise AssertionError(f"with self.W = None and labels {sorted(set(case['y'].tolist()))}, train must create W "
                             f"of shape (D, C) = {case['W0'].shape} with C = max(y) + 1, got {inits[0].shape}")
    return {**record, "W_final": spy.W, "loss_history": call.value, "ids_again": spy_record(again, case, n, bs)["ids"],
            "ids_other_seed": spy_record(other, case, n, bs)["ids"], "W_init": inits[0], "W_init_again": inits[1]}


def compare_train(case: Case, got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """Batches and reg, randomness, then the path of W, the final W, the history and the initial weights."""
    check_batches(got, case)
    check_randomness(got["ids"], got["ids_again"], got["ids_other_seed"])
    tol = dict(rtol=1e-9, atol=1e-12)
    assert_close("the weights self.loss saw at each iteration", got["W_seen"], want["W_seen"], **tol,
                 hints=step_hints(got["W_seen"], want["W_seen"], case["learning_rate"]))
    assert_close("self.W after training", got["W_final"], want["W_final"], **tol,
                 hints=[(lambda g, e: np.allclose(g, got["W_seen"][-1]), "the last update is missing")])
    assert_close("loss_history (the loss of every iteration)", got["loss_history"], want["loss_history"], **tol)
    check_initial_weights(got["W_init"], got["W_init_again"])


exercise("linear.train", TRAIN_CASES, run=run_train, schema=train_schema, compare=compare_train)


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


class Model:
    """A bare object with the weights, standing in for `self`."""

    def __init__(self, W: np.ndarray) -> None:
        self.W = W


exercise("linear.predict", PREDICT_CASES,
         run=lambda case, predict: {"y_pred": call_student(predict, Model(case["W"].copy()), case["X"])},
         schema=lambda case: {"y_pred": ((len(case["X"]),), "int")},
         hints=lambda case, name: [
             (lambda g, e: np.all(g != e), "no label is the class of the highest score: take the argmax, not argmin"),
             (lambda g, e: np.array_equal(g, e + 1), "labels count from 0: the class of column j of W is j")])
