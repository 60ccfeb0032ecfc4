"""Visible checks of assignment a0_concepts (exercise ids ``concepts.*``).

Fixed inputs are defined here; the expected outputs (and a few typical WRONG outputs, used only to pick a hint)
live in course/expected/concepts.json, generated from the reference by ``python -m autograder.expected``.
"""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import Call, as_array, assert_close, assert_equal_labels, call_student, load_expected


def _close(a: Any, b: Any) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-6, atol=1e-8))


# ---- fixed inputs ---------------------------------------------------------------------------------------
def loss_inputs() -> dict[str, np.ndarray]:
    """Regression targets y (9,) and predictions y_pred (9,) with one outlier; class probabilities p (6, 3)
    (rows sum to 1) with labels y_class (6,) covering every class."""
    rng = np.random.default_rng(40)
    y = rng.normal(size=9)
    y_pred = y + 0.5 * rng.normal(size=9)
    y_pred[4] += 6.0  # an outlier: the squared loss weighs it far more than the absolute loss
    scores = 1.5 * rng.normal(size=(6, 3))
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return {"y_pred": y_pred, "y": y, "p": p, "y_class": np.array([0, 1, 2, 2, 1, 0])}


def polynomial_inputs() -> dict[str, Any]:
    """x (7,) with 0, negatives and |x| > 1; the degrees to try."""
    return {"x": np.array([-1.5, -1.0, -0.25, 0.0, 0.5, 1.0, 2.0]), "degrees": [0, 1, 3, 5]}


def least_squares_inputs() -> dict[str, Any]:
    """X (12, 3) of full rank; X_dup (12, 4) = X with its column 1 repeated (rank 3: X^T X is singular)."""
    rng = np.random.default_rng(41)
    X = rng.normal(size=(12, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=12)
    X_dup = np.column_stack([X, X[:, 1]])
    return {"X": X, "y": y, "reg": 0.5, "X_dup": X_dup, "reg_dup": 0.1}


def split_inputs() -> dict[str, Any]:
    """X (23, 2) whose first column is the row id, y = 100 + id; fractions whose sizes need rounding, both up
    (0.2·23 = 4.6 → 5 validation rows, 0.11·23 = 2.53 → 3 test rows, so truncating loses rows and the training size
    is not round(0.69·23) = 16 but 23 − 5 − 3 = 15)."""
    N = 23
    X = np.column_stack([np.arange(N, dtype=float), np.linspace(-1, 1, N)])
    return {"X": X, "y": 100 + np.arange(N), "val_fraction": 0.2, "test_fraction": 0.11, "seed": 7}


def split_inputs_no_test() -> dict[str, Any]:
    """X (20, 2) as above, no test rows (test_fraction = 0) and a size that rounds down (0.32·20 = 6.4 → 6)."""
    N = 20
    X = np.column_stack([np.arange(N, dtype=float), np.linspace(-1, 1, N)])
    return {"X": X, "y": 100 + np.arange(N), "val_fraction": 0.32, "test_fraction": 0.0, "seed": 11}


def gaussian_inputs() -> dict[str, np.ndarray]:
    """X (24, 2) from three Gaussian classes of 5, 8 and 11 samples (shuffled), y (24,) in 0..2."""
    rng = np.random.default_rng(42)
    counts = [5, 8, 11]
    centres = np.array([[0.0, 0.0], [3.0, 1.0], [0.0, 4.0]])
    shapes = [np.array([[1.0, 0.0], [0.0, 0.5]]), np.array([[0.6, 0.4], [0.0, 1.2]]), np.eye(2)]
    X = np.concatenate([centres[c] + rng.normal(size=(n, 2)) @ shapes[c] for c, n in enumerate(counts)])
    y = np.repeat(np.arange(3), counts)
    perm = rng.permutation(len(y))
    return {"X": X[perm], "y": y[perm]}


def predict_gaussian_inputs() -> dict[str, Any]:
    """Hand-made parameters of three 2-D Gaussians (separate covariances, unequal priors), the same with one
    shared covariance, and X (20, 2): points between the means plus four points 1e3 away (where the densities
    underflow to 0, so only log-densities can tell the classes apart)."""
    means = np.array([[0.0, 0.0], [2.0, 0.5], [0.5, 2.5]])
    covariances = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, 0.0], [0.0, 2.0]], [[1.5, -0.5], [-0.5, 1.0]]])
    priors = np.array([0.2, 0.5, 0.3])
    shared = np.array([[0.8, 0.1], [0.1, 1.1]])
    rng = np.random.default_rng(43)
    near = rng.uniform(-1.0, 3.0, size=(16, 2))
    far = np.array([[1e3, 0.0], [-1e3, 0.0], [0.0, 1e3], [0.0, -1e3]])
    return {"separate": {"means": means, "covariances": covariances, "priors": priors},
            "shared": {"means": means, "covariances": np.stack([shared] * 3), "priors": priors},
            "X": np.vstack([near, far]), "far": np.arange(16, 20)}


# ---- cost functions -------------------------------------------------------------------------------------
def _scalar_loss(name: str, fn: Callable[..., Any], args: tuple, expected: float, hints: list) -> None:
    call = call_student(fn, *args)
    value = call.value
    if isinstance(value, np.ndarray) and value.shape != ():
        raise AssertionError(f"{name}: expected one number (the average over the N samples), got an array of "
                             f"shape {value.shape} — did you forget to average with np.mean?")
    assert_close(name, value, np.array(expected), hints=hints, call=call)


@visible("concepts.squared_loss")
def check_squared_loss(squared_loss: Callable[..., Any]) -> None:
    """Mean squared error on fixed residuals with one outlier."""
    inp, exp = loss_inputs(), load_expected("concepts")["losses"]
    N = len(inp["y"])
    hints = [
        (lambda g, e: _close(g, N * e), "this is the SUM of the squared residuals: average them (divide by N)"),
        (lambda g, e: _close(g, e / 2), "that is half the mean squared error: drop the factor 1/2"),
        (lambda g, e: _close(g, np.sqrt(e)), "that is the root of the mean squared error: do not take the root"),
        (lambda g, e: _close(g, exp["absolute"]), "this is the mean ABSOLUTE error: square the residuals instead"),
    ]
    _scalar_loss("squared_loss(y_pred, y)", squared_loss, (inp["y_pred"], inp["y"]), exp["squared"], hints)


@visible("concepts.absolute_loss")
def check_absolute_loss(absolute_loss: Callable[..., Any]) -> None:
    """Mean absolute error on fixed residuals with one outlier."""
    inp, exp = loss_inputs(), load_expected("concepts")["losses"]
    N = len(inp["y"])
    hints = [
        (lambda g, e: _close(g, N * e), "this is the SUM of the absolute residuals: average them (divide by N)"),
        (lambda g, e: _close(g, exp["squared"]), "this is the mean SQUARED error: take |y_pred - y| instead"),
        (lambda g, e: _close(np.abs(g), abs(np.mean(inp["y_pred"] - inp["y"]))),
         "this is |mean residual|: take the absolute value of each residual BEFORE averaging"),
    ]
    _scalar_loss("absolute_loss(y_pred, y)", absolute_loss, (inp["y_pred"], inp["y"]), exp["absolute"], hints)


@visible("concepts.cross_entropy")
def check_cross_entropy(cross_entropy: Callable[..., Any]) -> None:
    """Mean negative log-probability of the true class on fixed probabilities."""
    inp, exp = loss_inputs(), load_expected("concepts")["losses"]
    N = len(inp["y_class"])
    hints = [
        (lambda g, e: _close(g, -e), "the sign is wrong: log p <= 0, so the loss is MINUS the mean log-probability"),
        (lambda g, e: _close(g, N * e), "this is the sum over samples: average it (divide by N)"),
        (lambda g, e: _close(g, e / np.log(10)) or _close(g, e / np.log(2)), "use the natural logarithm np.log"),
        (lambda g, e: _close(g, exp["cross_entropy_all_classes"]),
         "you summed log p over ALL classes: take only the true class's probability p[i, y[i]] "
         "(fancy indexing: p[np.arange(N), y])"),
    ]
    _scalar_loss("cross_entropy(p, y)", cross_entropy, (inp["p"], inp["y_class"]), exp["cross_entropy"], hints)


# ---- model complexity -----------------------------------------------------------------------------------
@visible("concepts.polynomial_features")
def check_polynomial_features(polynomial_features: Callable[..., Any]) -> None:
    """Powers x^0..x^degree of fixed points, for several degrees (0 included)."""
    inp, exp = polynomial_inputs(), load_expected("concepts")["polynomial_features"]
    x, N = inp["x"], len(inp["x"])
    for degree in inp["degrees"]:
        name = f"polynomial_features(x, degree={degree})"
        call = call_student(polynomial_features, x, degree)
        got = as_array(name, call.value)
        if got.shape in {(N, degree), (N, degree + 2)}:
            raise AssertionError(f"{name}: expected shape {(N, degree + 1)}, got {got.shape} — there are degree + 1 "
                                 "columns x^0, x^1, ..., x^degree (column 0 is all ones)" + call.notes())
        hints = [(lambda g, e: np.allclose(g, e[:, ::-1]),
                  "the columns are in decreasing order: column k must be x**k (np.vander needs increasing=True)")]
        assert_close(name, got, np.array(exp[f"degree={degree}"]), rtol=1e-12, atol=1e-12, hints=hints, call=call)


@visible("concepts.fit_least_squares")
def check_fit_least_squares(fit_least_squares: Callable[..., Any]) -> None:
    """Least squares without and with regularization, and with a rank-deficient X (duplicated column) and reg > 0."""
    inp, exp = least_squares_inputs(), load_expected("concepts")["fit_least_squares"]
    call = call_student(fit_least_squares, inp["X"], inp["y"], reg=0.0)
    assert_close("fit_least_squares(X, y, reg=0)", call.value, np.array(exp["w_ols"]), call=call,
                 hints=[(lambda g, e: g.shape == e.shape and _close(g, e[::-1]), "the weights are in reverse order")])
    ignored = "you ignored reg: solve (X^T X + reg·I) w = X^T y"
    call = call_student(fit_least_squares, inp["X"], inp["y"], reg=inp["reg"])
    assert_close(f"fit_least_squares(X, y, reg={inp['reg']})", call.value, np.array(exp["w_ridge"]), call=call,
                 hints=[(lambda g, e: _close(g, exp["w_ols"]), ignored),
                        (lambda g, e: _close(g, exp["w_ridge_reg_times_N"]),
                         "you added reg·N·I: the objective is ||Xw - y||² + reg·||w||², so add reg·I")])
    try:
        call = call_student(fit_least_squares, inp["X_dup"], inp["y"], reg=inp["reg_dup"])
    except Exception as exc:  # noqa: BLE001 - a LinAlgError (or its replay, a ValueError naming it) gets a hint
        if not (isinstance(exc, np.linalg.LinAlgError) or "LinAlgError" in str(exc)):
            raise
        raise AssertionError(f"fit_least_squares(X_dup, y, reg={inp['reg_dup']}) raised LinAlgError ({exc}) on an X "
                             "with a duplicated column: with reg > 0, X^T X + reg·I is positive definite — did you "
                             "leave out reg?") from None
    assert_close(f"fit_least_squares(X_dup, y, reg={inp['reg_dup']}) with a duplicated column", call.value,
                 np.array(exp["w_rank_deficient"]), call=call,
                 hints=[(lambda g, e: _close(g, exp["w_rank_deficient_min_norm"]), ignored)])


# ---- train / validation / test ----------------------------------------------------------------------------
def _split_parts(name: str, value: Any, call: Call) -> list[np.ndarray]:
    if not isinstance(value, (tuple, list)) or len(value) != 6:
        raise AssertionError(f"{name} must return 6 arrays (X_train, y_train, X_val, y_val, X_test, y_test), got "
                             f"{type(value).__name__}" + (f" of length {len(value)}" if hasattr(value, '__len__') else "")
                             + call.notes())
    return [as_array(f"{name}[{i}]", v) for i, v in enumerate(value)]


@visible("concepts.train_val_test_split")
def check_train_val_test_split(train_val_test_split: Callable[..., Any]) -> None:
    """Two fixed splits (sizes rounding up, and no test rows with a size rounding down): no leaks (disjoint parts
    covering every row once), rounded sizes, the documented shuffle, and the same split for the same seed."""
    expected = load_expected("concepts")["train_val_test_split"]
    _check_split(train_val_test_split, split_inputs(), expected)
    _check_split(train_val_test_split, split_inputs_no_test(), expected["no_test"])


def _check_split(train_val_test_split: Callable[..., Any], inp: dict[str, Any], exp: dict[str, Any]) -> None:
    args = (inp["X"], inp["y"], inp["val_fraction"], inp["test_fraction"], inp["seed"])
    N = len(inp["X"])
    name = (f"train_val_test_split(X ({N} rows), y, {inp['val_fraction']:g}, {inp['test_fraction']:g}, "
            f"seed={inp['seed']})")
    call = call_student(train_val_test_split, *args)
    X_tr, y_tr, X_va, y_va, X_te, y_te = _split_parts(name, call.value, call)
    parts = {"training": (X_tr, y_tr), "validation": (X_va, y_va), "test": (X_te, y_te)}
    ids = {}
    for part, (Xp, yp) in parts.items():
        if Xp.ndim != 2 or Xp.shape[1:] != inp["X"].shape[1:] or yp.shape != (len(Xp),):
            raise AssertionError(f"{name}: the {part} set has X of shape {Xp.shape} and y of shape {yp.shape}; "
                                 "expected X (n, 2) rows of X and y (n,)")
        if not np.array_equal(yp, 100 + Xp[:, 0]):
            raise AssertionError(f"{name}: in the {part} set some y no longer belong to their X rows — index X and "
                                 "y with the SAME rows")
        ids[part] = Xp[:, 0].astype(int)
    no_test = ("" if inp["test_fraction"] else
               " (with n_test = 0, perm[-n_test:] is perm[0:], the WHOLE permutation)")
    for a, b in (("training", "validation"), ("training", "test"), ("validation", "test")):
        shared = np.intersect1d(ids[a], ids[b])
        if shared.size:
            raise AssertionError(f"{name}: {shared.size} rows are in both the {a} and the {b} set (a leak) — "
                                 "every row must go to exactly one set" + (no_test if b == "test" else ""))
    every = np.concatenate(list(ids.values()))
    if len(every) != N or not np.array_equal(np.sort(every), np.arange(N)):
        raise AssertionError(f"{name}: the three sets hold {len(every)} rows ({len(np.unique(every))} distinct) "
                             f"but X has {N}: every row must be used exactly once" + no_test)
    sizes = tuple(len(ids[p]) for p in ("training", "validation", "test"))
    want = tuple(len(exp[k]) for k in ("train_ids", "val_ids", "test_ids"))
    if sizes != want:
        raise AssertionError(f"{name}: sizes (train, val, test) = {sizes}, expected {want}: n_val = "
                             f"round(val_fraction·N) = round({inp['val_fraction'] * N:.4g}) = {want[1]} and n_test = "
                             f"round({inp['test_fraction'] * N:.4g}) = {want[2]} (round, do not truncate with int() "
                             "or round up); the rest, N − n_val − n_test, is for training")
    starts = {"training": 0, "validation": sizes[0], "test": sizes[0] + sizes[1]}
    for part, key in (("training", "train_ids"), ("validation", "val_ids"), ("test", "test_ids")):
        block = np.arange(starts[part], starts[part] + len(ids[part]))
        hints = [
            (lambda g, e: np.array_equal(np.sort(g), np.sort(e)),
             "the right rows in another order: keep the order of the permutation"),
            (lambda g, e, block=block: len(g) > 1 and np.array_equal(np.sort(g), block),
             "the rows are not shuffled: use perm = np.random.default_rng(seed).permutation(N)"),
            (lambda g, e: True, "shuffle with perm = np.random.default_rng(seed).permutation(N); training = "
                                "perm[:n_train], validation = the next n_val rows, test = the last n_test"),
        ]
        assert_equal_labels(f"{name}: row ids of the {part} set", ids[part], np.array(exp[key]), call=call,
                            hints=hints)
    again = call_student(train_val_test_split, *args)
    for i, (a, b) in enumerate(zip(_split_parts(name, again.value, again), (X_tr, y_tr, X_va, y_va, X_te, y_te))):
        if not np.array_equal(a, b):
            raise AssertionError(f"{name}: a second call with the same seed gave a different split — make the "
                                 "generator from the seed inside the function (no global np.random)")


# ---- maximum-likelihood classification ----------------------------------------------------------------------
def _gaussian_params(name: str, value: Any, C: int, D: int, call: Call) -> dict[str, np.ndarray]:
    if not isinstance(value, dict) or not {"means", "covariances", "priors"} <= set(value):
        keys = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise AssertionError(f"{name} must return a dict with keys 'means', 'covariances' and 'priors', got {keys}"
                             + call.notes())
    shapes = {"means": (C, D), "covariances": (C, D, D), "priors": (C,)}
    return {k: as_array(f"{name}['{k}']", value[k], shape) for k, shape in shapes.items()}


@visible("concepts.fit_gaussian_classes")
def check_fit_gaussian_classes(fit_gaussian_classes: Callable[..., Any]) -> None:
    """ML means, covariances (divided by N_c) and priors of three fixed classes, separate and shared."""
    inp, exp = gaussian_inputs(), load_expected("concepts")["fit_gaussian_classes"]
    counts = np.bincount(inp["y"])
    C, D = len(counts), inp["X"].shape[1]
    sep = {k: np.array(v) for k, v in exp["separate"].items()}
    unweighted = np.mean(sep["covariances"], axis=0)
    for shared in (False, True):
        name = f"fit_gaussian_classes(X, y, shared_covariance={shared})"
        call = call_student(fit_gaussian_classes, inp["X"], inp["y"], shared_covariance=shared)
        got = _gaussian_params(name, call.value, C, D, call)
        want = {k: np.array(v) for k, v in exp["shared" if shared else "separate"].items()}
        assert_close(f"{name}['means']", got["means"], want["means"], call=call)
        assert_close(f"{name}['priors']", got["priors"], want["priors"], call=call, hints=[
            (lambda g, e: np.allclose(g, counts), "these are the counts N_c: divide by N"),
            (lambda g, e: np.allclose(g, 1 / C), "the ML priors are the class fractions N_c / N, not uniform")])
        unbiased = want["covariances"] * (counts / (counts - 1))[:, None, None]
        pooled_unbiased = np.tile(np.sum(sep["covariances"] * counts[:, None, None], axis=0) / (len(inp["y"]) - C),
                                  (C, 1, 1))
        assert_close(f"{name}['covariances']", got["covariances"], want["covariances"], call=call, hints=[
            (lambda g, e: np.allclose(g, unbiased) or np.allclose(g, pooled_unbiased),
             "you divided by N_c − 1 (np.cov's default): the maximum-likelihood estimate divides by N_c "
             "(np.cov(..., bias=True))"),
            (lambda g, e: shared and np.allclose(g, sep["covariances"]),
             "with shared_covariance=True every class gets the same pooled matrix Σ = Σ_c (N_c / N) Σ_c"),
            (lambda g, e: shared and np.allclose(g, unweighted),
             "weight each class's covariance by N_c / N when pooling, not by 1 / C"),
            (lambda g, e: np.allclose(g, np.swapaxes(e, 1, 2)) or np.allclose(g[:, 0, 0], e[:, 0, 0]),
             "check the off-diagonal entries: Σ_c = (1/N_c) Σ_i (x_i − μ_c)(x_i − μ_c)ᵀ, i.e. diff.T @ diff / N_c"),
        ])


@visible("concepts.predict_gaussian")
def check_predict_gaussian(predict_gaussian: Callable[..., Any]) -> None:
    """Largest-posterior labels for fixed parameters (separate and shared covariances), including far points."""
    inp, exp = predict_gaussian_inputs(), load_expected("concepts")["predict_gaussian"]
    far = inp["far"]
    for kind in ("separate", "shared"):
        name = f"predict_gaussian(params_{kind}, X)"
        call = call_student(predict_gaussian, inp[kind], inp["X"])
        e = exp[kind]
        hints = [
            (lambda g, _: np.array_equal(g[:far[0]], e["uniform_priors"][:far[0]]),
             "these labels ignore the priors: add log π_c to each class's log-density"),
            (lambda g, _: kind == "separate" and np.array_equal(g[:far[0]], e["without_logdet"][:far[0]]),
             "with separate covariances the term −½ log det Σ_c matters: include it (np.linalg.slogdet)"),
            (lambda g, _: np.array_equal(g[:far[0]], np.array(e["labels"])[:far[0]]),
             "right near the means but wrong 1e3 away, where exp(−½·Mahalanobis²) underflows to 0: compare "
             "LOG-densities, never densities"),
        ]
        assert_equal_labels(name, call.value, np.array(e["labels"]), hints=hints, call=call)
