"""Checks of assignment a0_concepts (exercise ids ``concepts.*``).

The losses, polynomial_features and fit_least_squares are exercise specs (course.checks.spec): their batteries
(residuals of both signs with an outlier, large targets, N = 1; several classes, two classes, confidently wrong
predictions; degrees 0, 1 and 2..9 with x = 0, x < 0, |x| > 1; reg = 0, reg > 0, reg > 0 with a singular X^T X) drive
the visible and the hidden check. The split and the Gaussian classifier keep hand-written visible checks on fixed
inputs (their hidden batteries are in autograder/checks/concepts.py); their expected outputs (and a few typical
WRONG outputs, used only to pick a hint) live in course/expected/concepts.json.
"""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import Call, as_array, assert_close, assert_equal_labels, call_student, load_expected
from course.checks.spec import Case, exercise


def _close(a: Any, b: Any) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-6, atol=1e-8))


# ---- fixed inputs ---------------------------------------------------------------------------------------
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


# ---- cost functions and model complexity (exercise specs) -----------------------------------------
def _residuals(rng: np.random.Generator, N: int, scale: float) -> Case:
    """Targets y of `scale`; residuals of both signs (at least two of each when N >= 4) and one outlier of 20·scale."""
    y = scale * rng.normal(size=N)
    r = scale * 10 ** rng.uniform(-1, 0, size=N) * rng.permutation(np.resize([1.0, -1.0], N))
    if N > 1:
        r[int(rng.integers(N))] += 20 * scale * rng.choice([-1.0, 1.0])
    return {"y_pred": y + r, "y": y}


def _mixed_residuals(rng: np.random.Generator) -> Case:
    """N in 5..60 at a scale of 0.1..10, residuals of both signs, one outlier (mean ≠ median, |mean r| ≠ mean |r|)."""
    return _residuals(rng, int(rng.integers(5, 61)), float(10 ** rng.uniform(-1, 1)))


def _large_targets(rng: np.random.Generator) -> Case:
    """N in 2..10 at a scale of 100..1000, residuals of both signs, one outlier."""
    return _residuals(rng, int(rng.integers(2, 11)), float(10 ** rng.uniform(2, 3)))


def _single_sample(rng: np.random.Generator) -> Case:
    """N = 1 (the mean of one residual; the result is still one number)."""
    return _residuals(rng, 1, float(10 ** rng.uniform(-1, 1)))


REGRESSION_CASES = {"residuals of both signs with an outlier (N >= 5)": _mixed_residuals,
                    "large targets (scale 100..1000)": _large_targets,
                    "a single sample (N = 1)": _single_sample}


def _probabilities(rng: np.random.Generator, N: int, C: int, spread: float) -> np.ndarray:
    scores = spread * rng.normal(size=(N, C))
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _many_classes(rng: np.random.Generator) -> Case:
    """N in 3..40, C in 3..8, softmax probabilities from almost uniform to confident, labels of at least two
    classes."""
    N, C = int(rng.integers(3, 41)), int(rng.integers(3, 9))
    y = rng.integers(0, C, size=N)
    y[:2] = rng.choice(C, size=2, replace=False)
    return {"p": _probabilities(rng, N, C, float(10 ** rng.uniform(-1, 0.5))), "y": rng.permutation(y)}


def _two_classes(rng: np.random.Generator) -> Case:
    """C = 2 (the Bernoulli case), N in 2..30, both labels present."""
    N = int(rng.integers(2, 31))
    y = rng.permutation(np.concatenate([[0, 1], rng.integers(0, 2, size=N - 2)]))
    return {"p": _probabilities(rng, N, 2, float(10 ** rng.uniform(-1, 0.5))), "y": y}


def _confidently_wrong(rng: np.random.Generator) -> Case:
    """N in 2..20, C in 2..6: every sample gives its true class a probability of 1e-5..1e-2 (another class is the
    most probable)."""
    N, C = int(rng.integers(2, 21)), int(rng.integers(2, 7))
    y = rng.integers(0, C, size=N)
    p, true = _probabilities(rng, N, C, 1.0), 10 ** rng.uniform(-5, -2, size=N)
    rows = np.arange(N)
    p[rows, y] = 0.0
    p *= (1 - true)[:, None] / p.sum(axis=1, keepdims=True)
    p[rows, y] = true
    return {"p": p, "y": y}


CROSS_ENTROPY_CASES = {"several classes and labels (N >= 3, C >= 3)": _many_classes,
                       "two classes (the Bernoulli case)": _two_classes,
                       "confidently wrong predictions (p of the true class 1e-5..1e-2)": _confidently_wrong}


def _x_values(rng: np.random.Generator, N: int) -> np.ndarray:
    """N >= 4 points at a scale of 0.1..3 with at least one 0, one negative and one |x| > 1."""
    x = 10 ** rng.uniform(-1, 0.5) * rng.normal(size=N)
    x[:3] = 0.0, -rng.uniform(0.1, 2.0), rng.choice([-1.0, 1.0]) * rng.uniform(1.2, 3.0)
    return rng.permutation(x)


def _degree_zero(rng: np.random.Generator) -> Case:
    """degree = 0 (a single column of ones), N in 4..25."""
    return {"x": _x_values(rng, int(rng.integers(4, 26))), "degree": 0}


def _degree_one(rng: np.random.Generator) -> Case:
    """degree = 1 (columns 1, x), N in 4..25."""
    return {"x": _x_values(rng, int(rng.integers(4, 26))), "degree": 1}


def _degree_high(rng: np.random.Generator) -> Case:
    """degree in 2..9, N in 4..25 with x = 0, x < 0 and |x| > 1."""
    return {"x": _x_values(rng, int(rng.integers(4, 26))), "degree": int(rng.integers(2, 10))}


POLYNOMIAL_CASES = {"degree 0": _degree_zero, "degree 1": _degree_one,
                    "degree 2..9 with x = 0, x < 0 and |x| > 1": _degree_high}


def _regression_problem(rng: np.random.Generator, duplicated: bool) -> Case:
    """Gaussian X (N >= D + 5 keeps cond(X) modest) at a scale of 0.1..10, D in 1..6; with `duplicated`, 1..3 of its
    columns repeated (X^T X singular)."""
    D = int(rng.integers(1, 7))
    N = int(rng.integers(D + 5, 50))
    scale = float(10 ** rng.uniform(-1, 1))
    X = scale * rng.normal(size=(N, D))
    y = X @ rng.normal(size=D) + rng.normal(size=N)
    if duplicated:
        X = np.column_stack([X, X[:, rng.integers(0, D, size=int(rng.integers(1, 4)))]])
    return {"X": X, "y": y, "scale": scale}


def _ols(rng: np.random.Generator) -> Case:
    """reg = 0 (ordinary least squares), full-rank X."""
    problem = _regression_problem(rng, duplicated=False)
    return {"X": problem["X"], "y": problem["y"], "reg": 0.0}


def _ridge(rng: np.random.Generator) -> Case:
    """reg > 0: reg in 0.3..30 × scale² (a visible share of X^T X, never 1), full-rank X."""
    problem = _regression_problem(rng, duplicated=False)
    return {"X": problem["X"], "y": problem["y"], "reg": float(10 ** rng.uniform(-0.5, 1.5) * problem["scale"] ** 2)}


def _ridge_singular(rng: np.random.Generator) -> Case:
    """reg > 0 with duplicated columns (X^T X singular, X^T X + reg I positive definite), reg in 0.3..30 × scale²."""
    problem = _regression_problem(rng, duplicated=True)
    return {"X": problem["X"], "y": problem["y"], "reg": float(10 ** rng.uniform(-0.5, 1.5) * problem["scale"] ** 2)}


LEAST_SQUARES_CASES = {"reg = 0, full-rank X": _ols, "reg > 0, full-rank X": _ridge,
                       "reg > 0 and duplicated columns (X^T X singular)": _ridge_singular}


def run_loss(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    """One number from a loss of (y_pred, y) or (p, y)."""
    first = case["y_pred"] if "y_pred" in case else case["p"]
    call = call_student(fn, first, case["y"])
    if isinstance(call.value, np.ndarray) and call.value.shape != ():
        raise AssertionError(f"expected one number (the average over the N samples), got an array of shape "
                             f"{call.value.shape} — did you forget to average with np.mean?")
    return {"loss": call}


LOSS_SCHEMA = {"loss": ((), "float")}


def squared_hints(case: Case, name: str) -> list:
    N = len(case["y"])
    return [(lambda g, e: N > 1 and _close(g, N * e), "this is the SUM of the squared residuals: average them "
                                                       "(divide by N)"),
            (lambda g, e: _close(g, e / 2), "that is half the mean squared error: drop the factor 1/2"),
            (lambda g, e: _close(g, np.sqrt(e)), "that is the root of the mean squared error: do not take the root"),
            (lambda g, e: True, "the squared loss is the mean of the SQUARED residuals (y_pred - y)**2")]


def absolute_hints(case: Case, name: str) -> list:
    N, r = len(case["y"]), case["y_pred"] - case["y"]
    return [(lambda g, e: N > 1 and _close(g, N * e), "this is the SUM of the absolute residuals: average them "
                                                       "(divide by N)"),
            (lambda g, e: _close(np.abs(g), abs(np.mean(r))),
             "this is |mean residual|: take the absolute value of each residual BEFORE averaging"),
            (lambda g, e: True, "the absolute loss is the mean of |y_pred - y| (np.abs), not of the squares")]


def cross_entropy_hints(case: Case, name: str) -> list:
    p, N = case["p"], len(case["y"])
    return [(lambda g, e: _close(g, -e), "the sign is wrong: log p <= 0, so the loss is MINUS the mean log-probability"),
            (lambda g, e: N > 1 and _close(g, N * e), "this is the sum over samples: average it (divide by N)"),
            (lambda g, e: _close(g, e / np.log(10)) or _close(g, e / np.log(2)), "use the natural logarithm np.log"),
            (lambda g, e: _close(g, -np.mean(np.sum(np.log(p), axis=1))),
             "you summed log p over ALL classes: take only the true class's probability p[i, y[i]] "
             "(fancy indexing: p[np.arange(N), y])")]


exercise("concepts.squared_loss", REGRESSION_CASES, run=run_loss, schema=lambda case: LOSS_SCHEMA, hints=squared_hints)
exercise("concepts.absolute_loss", REGRESSION_CASES, run=run_loss, schema=lambda case: LOSS_SCHEMA,
         hints=absolute_hints)
exercise("concepts.cross_entropy", CROSS_ENTROPY_CASES, run=run_loss, schema=lambda case: LOSS_SCHEMA,
         hints=cross_entropy_hints)


def run_polynomial(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    x, degree = case["x"], case["degree"]
    call = call_student(fn, x, degree)
    got = as_array(f"polynomial_features(x, degree={degree})", call.value)
    if got.shape in {(len(x), degree), (len(x), degree + 2)}:
        raise AssertionError(f"polynomial_features(x, degree={degree}): expected shape {(len(x), degree + 1)}, got "
                             f"{got.shape} — there are degree + 1 columns x^0, x^1, ..., x^degree (column 0 is all "
                             "ones)" + call.notes())
    return {"Phi": call}


exercise("concepts.polynomial_features", POLYNOMIAL_CASES, run=run_polynomial,
         schema=lambda case: {"Phi": ((len(case["x"]), case["degree"] + 1), "float")},
         hints=lambda case, name: [(lambda g, e: np.allclose(g, e[:, ::-1]), "the columns are in decreasing order: "
                                    "column k must be x**k (np.vander needs increasing=True)")])


def run_least_squares(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return {"w": call_student(fn, case["X"], case["y"], reg=case["reg"])}
    except Exception as exc:  # noqa: BLE001 - a LinAlgError (or its replay, naming it) gets a hint
        if case["reg"] > 0 and (isinstance(exc, np.linalg.LinAlgError) or "LinAlgError" in str(exc)):
            raise AssertionError(f"fit_least_squares(X, y, reg={case['reg']:.3g}) raised LinAlgError ({exc}): with "
                                 "reg > 0, X^T X + reg·I is positive definite even when X^T X is singular — did you "
                                 "leave out reg?") from None
        raise


def compare_least_squares(case: Case, got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """w within rtol 1e-6: correct solvers (solve, inv, lstsq on an augmented system) agree to ~cond²·eps."""
    hints = [(lambda g, e: "~ols.w" in want and case["reg"] > 0 and _close(g, want["~ols.w"]),
              "you ignored reg: solve (X^T X + reg·I) w = X^T y"),
             (lambda g, e: "~reg_times_N.w" in want and _close(g, want["~reg_times_N.w"]),
              "you added reg·N·I: the objective is ||Xw - y||² + reg·||w||², so add reg·I"),
             (lambda g, e: g.shape == e.shape and _close(g, e[::-1]), "the weights are in reverse order")]
    assert_close(f"fit_least_squares(X, y, reg={case['reg']:.3g}) → w", got["w"], want["w"], rtol=1e-6,
                 atol=1e-8 * (1 + float(np.abs(want["w"]).max())), hints=hints)


exercise("concepts.fit_least_squares", LEAST_SQUARES_CASES, run=run_least_squares,
         schema=lambda case: {"w": ((case["X"].shape[1],), "float")}, compare=compare_least_squares,
         variants={"ols": lambda case: {**case, "reg": 0.0},
                   "reg_times_N": lambda case: {**case, "reg": case["reg"] * len(case["y"])}})


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
